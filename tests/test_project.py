"""The project, not the file: imports between project modules, findings at the line to change in another
module with related locations, the same findings as the same code in one file, and a cache that is never
stale when an imported module changes."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import libcst as cst
import pytest
from project_tree import write_tree

from nnlint.config import Overrides, clear_config_cache
from nnlint.engine.bindings import resolve_call, resolve_name
from nnlint.engine.project import STORE, find_module, this_file_only
from nnlint.finding import Finding
from nnlint.reporters import RenderOptions, render
from nnlint.rule import default_rules
from nnlint.runner import check_bytes
from nnlint.session import CheckOptions, run_check

PROJECTS = Path(__file__).resolve().parent.parent / "fixtures" / "projects"
CLASSIFIER = PROJECTS / "classifier"
EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>NN\d{3}(?:\s*,\s*NN\d{3})*)")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the classifier project, as the working directory."""
    root = tmp_path / "classifier"
    shutil.copytree(CLASSIFIER, root)
    monkeypatch.chdir(root)
    yield root


def _expected(root: Path) -> set[tuple[str, int, str]]:
    found = set()
    for path in sorted(root.rglob("*.py")):
        for row, line in enumerate(path.read_text().splitlines(), start=1):
            match = EXPECT.search(line)
            if match:
                for code in match.group("codes").split(","):
                    found.add((path.relative_to(root).as_posix(), row, code.strip()))
    return found


def _line(root: Path, filename: str, row: int) -> str:
    return (root / filename).read_text().splitlines()[row - 1].split("#")[0].strip()


def test_checking_the_package_reports_at_the_lines_to_change(project: Path) -> None:
    outcome = run_check([Path(".")], Overrides())
    assert outcome.crashes == []
    got = {(f.filename, f.location.row, f.code) for f in outcome.findings}
    assert got == _expected(project)
    softmax = next(f for f in outcome.findings if f.filename.endswith("models.py"))
    assert [(r.filename, _line(project, r.filename, r.location.row)) for r in softmax.related] == [
        ("classifier/train.py", "loss = criterion(output, labels)")
    ]


@pytest.mark.parametrize(
    "name", sorted(p.name for p in PROJECTS.iterdir() if (p / "pyproject.toml").is_file()), ids=str
)
def test_every_project_fixture_gets_the_findings_its_modules_expect(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each package under fixtures/projects marks the findings it expects with `# expect: NNxxx` on the
    line each must start on, in whichever module that is; every other line of every module stays silent
    (the `*_clean` packages are near-misses of the `*_buggy` ones)."""
    root = tmp_path / name
    shutil.copytree(PROJECTS / name, root)
    monkeypatch.chdir(root)
    outcome = run_check([Path(".")], Overrides())
    assert outcome.crashes == []
    got = {(f.filename, f.location.row, f.code) for f in outcome.findings}
    expected = _expected(root)
    assert got == expected, f"unexpected: {sorted(got - expected)}; missing: {sorted(expected - got)}"


def test_checking_only_the_script_reports_in_the_imported_modules(project: Path) -> None:
    outcome = run_check([Path("classifier/train.py")], Overrides())
    assert {(f.filename, f.location.row, f.code) for f in outcome.findings} == _expected(project)


def test_the_package_gets_the_findings_of_the_same_code_in_one_file(project: Path, tmp_path: Path) -> None:
    """models.py, utils.py, data.py and train.py pasted into one script, project imports dropped."""
    parts = []
    for name in ("models", "utils", "data", "train"):
        source = (project / "classifier" / f"{name}.py").read_text()
        parts.append(
            "\n".join(line for line in source.splitlines() if not line.startswith("from classifier"))
        )
    single = tmp_path / "single" / "train_all.py"
    single.parent.mkdir()
    single.write_text("\n".join(parts) + "\n")
    one_file = check_bytes(str(single), single.read_bytes(), list(default_rules())).findings
    package = run_check([Path(".")], Overrides()).findings

    def described(
        findings: list[Finding], root: Path, single_file: bool
    ) -> set[tuple[str, str, tuple[str, ...]]]:
        def text(filename: str, row: int) -> str:
            path = single if single_file else root / filename
            return path.read_text().splitlines()[row - 1].split("#")[0].strip()

        return {
            (
                f.code,
                text(f.filename, f.location.row),
                tuple(text(r.filename, r.location.row) for r in f.related),
            )
            for f in findings
        }

    assert described(package, project, False) == described(one_file, project, True)
    assert {f.code for f in package} == {"NN401"}


def test_noqa_and_per_file_ignores_apply_in_the_file_the_finding_lands_in(project: Path) -> None:
    models = project / "classifier" / "models.py"
    models.write_text(models.read_text().replace("# expect: NN401", "# noqa: NN401"))
    findings = run_check([Path("classifier/train.py")], Overrides()).findings
    assert [f.filename for f in findings] == ["classifier/utils.py"]
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + '\n[tool.nnlint.per-file-ignores]\n"classifier/utils.py" = ["NN401"]\n'
    )
    clear_config_cache()
    assert run_check([Path("classifier/train.py")], Overrides()).findings == []


def test_a_noqa_used_only_by_another_files_check_is_not_called_unused(project: Path) -> None:
    models = project / "classifier" / "models.py"
    models.write_text(models.read_text().replace("# expect: NN401", "# noqa: NN401"))
    findings = run_check(
        [Path("classifier/models.py")], Overrides(select=frozenset({"NN001", "NN401"}))
    ).findings
    assert findings == []


def test_a_warm_rerun_after_editing_an_imported_module_is_never_stale(project: Path) -> None:
    options = CheckOptions(cache=True)
    first = run_check([Path(".")], Overrides(), options=options).findings
    assert len(first) == 2
    models = project / "classifier" / "models.py"
    models.write_text(models.read_text().replace("return F.softmax(self.fc(x), dim=1)", "return self.fc(x)"))
    second = run_check([Path(".")], Overrides(), options=options).findings
    assert [f.filename for f in second] == ["classifier/utils.py"]
    models.write_text(
        models.read_text().replace("return self.fc(x)  # expect", "return F.softmax(self.fc(x), 1)  # expect")
    )
    third = run_check([Path("classifier/train.py")], Overrides(), options=options).findings
    assert sorted(f.filename for f in third) == ["classifier/models.py", "classifier/utils.py"]


def test_every_format_shows_the_related_locations(project: Path) -> None:
    findings = run_check([Path("classifier/train.py")], Overrides()).findings
    options = RenderOptions(color=False, show_source=False)
    assert "related: classifier/train.py:25:20: its output reaches" in render(findings, "text", options)
    assert "    related: classifier/train.py:25:20:" in render(findings, "concise", options)
    assert "related: classifier/train.py:25:20" in render(findings, "github", options)
    as_json = json.loads(render(findings, "json", options))
    assert as_json[0]["related"][0]["location"] == {"row": 25, "column": 20}
    sarif = json.loads(render(findings, "sarif", options))
    related = sarif["runs"][0]["results"][0]["relatedLocations"][0]
    assert related["physicalLocation"]["region"]["startLine"] == 25
    assert related["physicalLocation"]["artifactLocation"]["uri"] == "classifier/train.py"
    lsp = json.loads(render(findings, "lsp", options))
    information = lsp[0]["relatedInformation"][0]
    assert information["location"]["range"]["start"] == {"line": 24, "character": 19}
    assert information["location"]["uri"].endswith("classifier/train.py")


# -- import resolution ------------------------------------------------------------------------------------


def test_imports_resolve_as_python_would(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_tree(
        tmp_path,
        {
            "proj/pyproject.toml": "",
            "proj/train.py": "",
            "proj/helpers.py": "",
            "proj/pkg/__init__.py": "",
            "proj/pkg/sub/__init__.py": "",
            "proj/pkg/sub/layers.py": "",
            "proj/pkg/sub/run.py": "",
            "proj/pkg/models.py": "",
            "other/models.py": "",
        },
    )
    proj = tmp_path / "proj"
    train = proj / "train.py"
    run = proj / "pkg" / "sub" / "run.py"
    assert find_module(train, "helpers.f") == (proj / "helpers.py", ["f"])
    assert find_module(train, "pkg.models.Net") == (proj / "pkg" / "models.py", ["Net"])
    assert find_module(train, "pkg.sub.Thing") == (proj / "pkg" / "sub" / "__init__.py", ["Thing"])
    assert find_module(run, ".layers.Head") == (proj / "pkg" / "sub" / "layers.py", ["Head"])
    assert find_module(run, "..models.Net") == (proj / "pkg" / "models.py", ["Net"])
    assert find_module(run, ".layers") == (proj / "pkg" / "sub" / "layers.py", [])
    # From inside the package, the folder above the package chain is searched (absolute imports).
    assert find_module(run, "pkg.models.Net") == (proj / "pkg" / "models.py", ["Net"])
    # Libraries and other projects are never project modules.
    assert find_module(train, "torch.nn.Linear") is None
    assert find_module(train, "models.Net") is None


def test_a_package_module_imports_absolutely_and_only_a_script_its_folder_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python 3: an imported module of a package resolves `import logging` to the standard library, not a
    sibling `logging.py` (torch's `_dynamo/`), and a name a root holds from the root; a file run as a
    script (a `__main__` guard) has its own folder first; a sibling no root holds stays found."""
    monkeypatch.chdir(tmp_path)
    write_tree(
        tmp_path,
        {
            "proj/pyproject.toml": "",
            "proj/utils.py": "",
            "proj/pkg/__init__.py": "",
            "proj/pkg/logging.py": "",
            "proj/pkg/utils.py": "",
            "proj/pkg/layers.py": "",
            "proj/pkg/eval_frame.py": "import logging\nimport utils\n",
            "proj/pkg/tool.py": "import logging\n\nif __name__ == '__main__':\n    main()\n",
            "proj/flat/logging.py": "",
            "proj/flat/train.py": "import logging\n",
        },
    )
    proj = tmp_path / "proj"
    module, script = proj / "pkg" / "eval_frame.py", proj / "pkg" / "tool.py"
    flat = proj / "flat" / "train.py"
    assert find_module(module, "logging.getLogger") is None
    assert find_module(module, "utils.f") == (proj / "utils.py", ["f"])
    assert find_module(module, "layers.Head") == (proj / "pkg" / "layers.py", ["Head"])
    assert find_module(script, "logging.getLogger") == (proj / "pkg" / "logging.py", ["getLogger"])
    assert find_module(script, "utils.f") == (proj / "pkg" / "utils.py", ["f"])
    # A folder with no `__init__.py` is a folder of scripts: its own folder stays first.
    assert find_module(flat, "logging.getLogger") == (proj / "flat" / "logging.py", ["getLogger"])


def test_another_projects_module_is_not_mixed_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    softmax_model = (
        "import torch.nn as nn\nimport torch.nn.functional as F\n"
        "class Net(nn.Module):\n    def forward(self, x):\n        return F.softmax(x, 1)\n"
    )
    script = "import torch.nn as nn\nfrom models import Net\nloss = nn.CrossEntropyLoss()(Net()(x), y)\n"
    write_tree(
        tmp_path, {"a/.git/HEAD": "", "a/models.py": softmax_model, "b/.git/HEAD": "", "b/train.py": script}
    )
    assert run_check([Path("b/train.py")], Overrides()).findings == []
    write_tree(tmp_path, {"b/models.py": softmax_model})
    assert [f.filename for f in run_check([Path("b/train.py")], Overrides()).findings] == ["b/models.py"]


INIT_PATHS = """
import os.path as osp
import sys

def add_path(path):
    if path not in sys.path:
        sys.path.insert(0, path)

this_dir = osp.dirname(__file__)
lib_path = osp.join(this_dir, '..', 'lib')
add_path(lib_path)
"""


def _resolved(path: Path, qualified: str) -> Path | None:
    ctx = STORE.context(path)
    assert ctx is not None
    found = ctx.project.find(qualified)
    return found[0] if found is not None else None


@pytest.mark.parametrize(
    ("set_up", "found"),
    [
        # `import _init_paths`: a module beside the script puts `../lib` on `sys.path` through a helper.
        ("import _init_paths", True),
        # The same inline, in the spellings real scripts use.
        (
            "import sys, os\n"
            "sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '../lib'))",
            True,
        ),
        (
            "import sys\nfrom pathlib import Path\n"
            "sys.path.append(str(Path(__file__).resolve().parent.parent / 'lib'))",
            True,
        ),
        (
            "import sys\nfrom pathlib import Path\n"
            "sys.path.insert(0, str(Path(__file__).parents[1] / 'lib'))",
            True,
        ),
        ("import sys\nsys.path.append('../lib')", True),
        ("import sys, os\nsys.path.append(os.path.dirname(os.path.dirname(__file__)) + '/lib')", True),
        # Computed otherwise: unknown, nothing is added.
        ("import sys, os\nsys.path.append(os.environ['LIB'])", False),
        ("import sys, os\nsys.path.append(os.path.join(os.getcwd(), 'lib'))", False),
        ("import sys\nsys.path.append(LIB_DIR)", False),
        # A set-up module the script never imports adds nothing to it.
        ("import os", False),
    ],
)
def test_imports_resolve_through_sys_path_set_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, set_up: str, found: bool
) -> None:
    monkeypatch.chdir(tmp_path)
    write_tree(
        tmp_path,
        {
            "proj/.git/HEAD": "",
            "proj/tools/_init_paths.py": INIT_PATHS,
            "proj/tools/train.py": f"{set_up}\nfrom model.train_val import train_net\n",
            "proj/lib/model/__init__.py": "",
            "proj/lib/model/train_val.py": "def train_net(net):\n    pass\n",
        },
    )
    train = tmp_path / "proj" / "tools" / "train.py"
    expected = tmp_path / "proj" / "lib" / "model" / "train_val.py"
    assert _resolved(train, "model.train_val.train_net") == (expected if found else None)


def test_a_sys_path_set_up_never_reaches_outside_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`../lib` from a project at the top of a folder of projects names a sibling project's folder: several
    projects side by side stay apart, whatever a path set-up says."""
    monkeypatch.chdir(tmp_path)
    write_tree(
        tmp_path,
        {
            "proj/.git/HEAD": "",
            "proj/_init_paths.py": INIT_PATHS,
            "proj/train.py": "import _init_paths\nfrom model.train_val import train_net\n",
            "lib/model/__init__.py": "",
            "lib/model/train_val.py": "def train_net(net):\n    pass\n",
        },
    )
    assert _resolved(tmp_path / "proj" / "train.py", "model.train_val.train_net") is None


def test_a_warm_rerun_after_editing_the_path_set_up_is_never_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    softmax_model = (
        "import torch.nn as nn\nimport torch.nn.functional as F\n"
        "class Net(nn.Module):\n    def forward(self, x):\n        return F.softmax(x, 1)\n"
    )
    script = "import torch.nn as nn\nimport _init_paths\nfrom models import Net\n"
    script += "loss = nn.CrossEntropyLoss()(Net()(x), y)\n"
    write_tree(
        tmp_path,
        {
            "proj/.git/HEAD": "",
            "proj/tools/_init_paths.py": INIT_PATHS.replace("'..', 'lib'", "'..', 'elsewhere'"),
            "proj/tools/train.py": script,
            "proj/lib/models.py": softmax_model,
        },
    )
    overrides, options = Overrides(select=frozenset({"NN401"})), CheckOptions(cache=True)
    assert run_check([Path("proj/tools/train.py")], overrides, options=options).findings == []
    write_tree(tmp_path, {"proj/tools/_init_paths.py": INIT_PATHS})
    findings = run_check([Path("proj/tools/train.py")], overrides, options=options).findings
    assert [f.filename for f in findings] == ["proj/lib/models.py"]


def test_an_installed_distribution_is_a_project_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Python install that is a git checkout puts a project root above `site-packages`: a file of an
    installed package still sees only its own package's modules (sympy is a library to torch), and a
    user's project with a virtual environment inside it resolves its own modules as before."""
    monkeypatch.chdir(tmp_path)
    packages = "py/.git/HEAD", "py/lib/site-packages"
    write_tree(
        tmp_path,
        {
            packages[0]: "",
            f"{packages[1]}/torch/__init__.py": "",
            f"{packages[1]}/torch/nn/__init__.py": "",
            f"{packages[1]}/torch/nn/modules.py": "",
            f"{packages[1]}/torch/utils.py": "",
            f"{packages[1]}/sympy/__init__.py": "",
            f"{packages[1]}/six.py": "",
            "user/pyproject.toml": "",
            "user/train.py": "",
            "user/models.py": "",
            "user/.venv/lib/site-packages/sympy/__init__.py": "",
        },
    )
    site = tmp_path / packages[1]
    modules = site / "torch" / "nn" / "modules.py"
    assert find_module(modules, "torch.utils.f") == (site / "torch" / "utils.py", ["f"])
    assert find_module(modules, "..utils.f") == (site / "torch" / "utils.py", ["f"])
    assert find_module(modules, "sympy.Symbol") is None
    assert find_module(site / "six.py", "torch.utils.f") is None
    train = tmp_path / "user" / "train.py"
    assert find_module(train, "models.Net") == (tmp_path / "user" / "models.py", ["Net"])
    assert find_module(train, "sympy.Symbol") is None


def test_import_as_and_module_attribute_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "",
            "lib/__init__.py": "",
            "lib/heads.py": (
                "import torch\n\ndef probs(x):\n"
                "    out = torch.softmax(x, dim=-1)\n    return out.squeeze(1)\n"
            ),
            "train.py": (
                "import torch.nn.functional as F\nimport lib.heads as h\nimport lib.heads\n"
                "a = F.cross_entropy(h.probs(z), y)\nb = F.cross_entropy(lib.heads.probs(z), y)\n"
            ),
        },
    )
    findings = run_check([Path("train.py")], Overrides()).findings
    assert [(f.filename, f.location.row) for f in findings] == [("lib/heads.py", 4)]
    assert sorted(r.location.row for r in findings[0].related) == [4]  # shown once per place
    # The module itself, checked alone, has nothing to report.
    assert run_check([Path("lib/heads.py")], Overrides()).findings == []


def test_checking_a_file_reads_imported_modules_without_reporting_them(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "models.py").write_text("import torch\nx = torch.randn(3)\nloss.backward()\n")
    (tmp_path / "train.py").write_text("import torch\nfrom models import x\nprint(x)\n")
    outcome = run_check([tmp_path / "train.py"], Overrides())
    assert {f.filename for f in outcome.findings} <= {str(tmp_path / "train.py"), "train.py"}


def test_the_module_store_parses_each_module_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path, {"pyproject.toml": "", "m.py": "def f(x):\n    return x\n"})
    scripts = {
        f"s{i}.py": "import torch.nn.functional as F\nfrom m import f\nF.cross_entropy(f(z), y)\n"
        for i in range(3)
    }
    write_tree(tmp_path, scripts)
    parsed = []
    original = cst.parse_module

    def counting(source: str, *args: object, **kwargs: object) -> cst.Module:
        parsed.append(source)
        return original(source, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cst, "parse_module", counting)
    run_check([Path(name) for name in scripts], Overrides(), jobs=1)
    assert parsed.count("def f(x):\n    return x\n") <= 1
    assert os.path.exists(tmp_path / "m.py")


def test_summaries_of_a_module_are_not_reused_after_a_module_they_rest_on_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In one process (the language server), models.py's memoized summary rests on layers.py."""
    monkeypatch.chdir(tmp_path)
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "",
            "layers.py": "import torch.nn.functional as F\ndef head(x):\n    return F.softmax(x, 1)\n",
            "models.py": "from layers import head\ndef predict(x):\n    return head(x)\n",
            "train.py": (
                "import torch.nn.functional as F\nfrom models import predict\n"
                "F.cross_entropy(predict(z), y)\n"
            ),
        },
    )
    rules = list(default_rules())
    first = check_bytes("train.py", (tmp_path / "train.py").read_bytes(), rules).findings
    assert [(f.filename, f.location.row) for f in first] == [("layers.py", 3)]
    (tmp_path / "layers.py").write_text("def head(x):\n    return x\n")
    assert check_bytes("train.py", (tmp_path / "train.py").read_bytes(), rules).findings == []


_SUPER_RESOLUTION_MAIN = """
import torch
from model import Net

model = Net(3).to("cpu")
optimizer = torch.optim.Adam(model.parameters())
for epoch in range(5):
    for x, y in train_loader:
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        optimizer.step()
    with torch.no_grad():
        for x, y in test_loader:
            prediction = model(x)
"""
_SUPER_RESOLUTION_MODEL = """
import torch.nn as nn
from blocks import {block}

class Net(nn.Module):
    def __init__(self, factor):
        super().__init__()
        self.body = {block}()
        self.conv = nn.Conv2d(32, factor**2, 3, padding=1)
        self.shuffle = nn.PixelShuffle(factor)

    def forward(self, x):
        return self.shuffle(self.conv(self.body(x)))
"""
_BLOCKS = """
import torch.nn as nn

class Plain(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.ReLU())

    def forward(self, x):
        return self.layers(x)

class Dropping(Plain):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout2d(0.1)

    def forward(self, x):
        return self.drop(self.layers(x))
"""


@pytest.mark.parametrize(("block", "reported"), [("Plain", False), ("Dropping", True), ("Missing", True)])
def test_nn404_asks_the_model_modules_whether_the_mode_matters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: str, reported: bool
) -> None:
    """A model built in project modules from mode-free layers only is silent; a dropout in a submodule's
    class, or a submodule class that cannot be found, keeps the finding."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "main.py").write_text(_SUPER_RESOLUTION_MAIN)
    (tmp_path / "model.py").write_text(_SUPER_RESOLUTION_MODEL.format(block=block))
    (tmp_path / "blocks.py").write_text(_BLOCKS)
    outcome = run_check([Path("main.py")], Overrides())
    assert outcome.crashes == []
    assert [f.location.row for f in outcome.findings if f.code == "NN404"] == ([12] if reported else [])


def test_a_model_parameter_follows_the_callers_in_other_modules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DANN's layout: the loop in train.py takes the model as a parameter; only main.py calls it."""
    monkeypatch.chdir(tmp_path)
    models = (
        "import torch.nn as nn\nimport torch.nn.functional as F\n"
        "class Classifier(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(8, 2)\n    def forward(self, x):\n"
        "        return F.softmax(self.fc(x), dim=1)\n"
    )
    train = (
        "import torch.nn as nn\n\ndef fit(classifier, loader):\n"
        "    criterion = nn.CrossEntropyLoss().cuda()\n    for x, y in loader:\n"
        "        loss = criterion(classifier(x), y)\n        loss.backward()\n"
    )
    main = "import model\nimport train\n\ntrain.fit(model.Classifier().cuda(), loader)\n"
    write_tree(tmp_path, {"pyproject.toml": "", "model.py": models, "train.py": train, "main.py": main})
    overrides = Overrides(select=frozenset({"NN401"}))
    findings = run_check([Path("train.py")], overrides).findings
    assert [(f.filename, f.location.row) for f in findings] == [("model.py", 8)]
    assert [(r.filename, r.location.row) for r in findings[0].related] == [("train.py", 6)]
    # A caller that passes a model ending in logits: nothing to report.
    logits = models.replace("F.softmax(self.fc(x), dim=1)", "self.fc(x)")
    write_tree(tmp_path, {"model.py": logits})
    assert run_check([Path("train.py")], overrides).findings == []


def test_a_helper_of_another_module_that_clears_gradients_clears_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """improved-diffusion's layout: every step starts with `zero_grad(self.model_params)`, a helper of
    fp16_util.py that zeroes each parameter's `.grad`. A helper that clears one model clears only that one:
    a GAN step that clears D through it still leaves G's gradients."""
    monkeypatch.chdir(tmp_path)
    util = (
        "def zero_grad(model_params):\n    for param in model_params:\n"
        "        if param.grad is not None:\n            param.grad.detach_()\n"
        "            param.grad.zero_()\n"
        "\ndef clear(net):\n    net.zero_grad()\n"
    )
    train = (
        "import torch\nfrom pkg.fp16_util import zero_grad\n\n"
        "class TrainLoop:\n    def __init__(self, model):\n        self.model = model\n"
        "        self.params = list(model.parameters())\n"
        "        self.opt = torch.optim.AdamW(self.params)\n"
        "    def run_loop(self, data):\n        for batch in data:\n            self.run_step(batch)\n"
        "    def run_step(self, batch):\n        zero_grad(self.params)\n"
        "        self.model(batch).mean().backward()\n        self.opt.step()\n"
    )
    gan = (
        "import torch\nfrom pkg import fp16_util\n\n"
        "opt_d = torch.optim.Adam(net_d.parameters())\nopt_g = torch.optim.Adam(net_g.parameters())\n"
        "for real in loader:\n    fp16_util.clear(net_d)\n    d_loss(real).backward()\n    opt_d.step()\n"
        "    g_loss(real).backward()\n    opt_g.step()\n"
    )
    write_tree(
        tmp_path,
        {"pyproject.toml": "", "pkg/__init__.py": "", "pkg/fp16_util.py": util},
    )
    write_tree(tmp_path, {"train.py": train, "gan.py": gan})
    overrides = Overrides(select=frozenset({"NN203"}))
    assert run_check([Path("train.py")], overrides).findings == []
    assert [(f.filename, f.location.row) for f in run_check([Path("gan.py")], overrides).findings] == [
        ("gan.py", 11)
    ]
    # Without the clearing call the step method is reported (it steps its object's optimizer: the line
    # to change is there), with the loop's call of it as the related location.
    write_tree(tmp_path, {"train.py": train.replace("        zero_grad(self.params)\n", "")})
    findings = run_check([Path("train.py")], overrides).findings
    assert [(f.location.row, [r.location.row for r in f.related]) for f in findings] == [(14, [11])]
    # DINO's helper drops some gradients, only in the first epochs (a frozen layer): not a clearing, so
    # calling it between backward and step is no NN204.
    freeze = (
        "def cancel_last_layer(epoch, model, freeze):\n    if epoch >= freeze:\n        return\n"
        "    for n, p in model.named_parameters():\n"
        "        if 'last_layer' in n:\n            p.grad = None\n"
    )
    dino = (
        "import torch\nfrom pkg import freeze_util\n\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "for epoch in range(9):\n    for x in loader:\n        opt.zero_grad()\n"
        "        model(x).sum().backward()\n"
        "        freeze_util.cancel_last_layer(epoch, model, 1)\n        opt.step()\n"
    )
    write_tree(tmp_path, {"pkg/freeze_util.py": freeze, "dino.py": dino})
    assert run_check([Path("dino.py")], Overrides(select=frozenset({"NN203", "NN204"}))).findings == []


def test_a_scheduler_parameter_is_judged_by_what_other_modules_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """llama-recipes' layout: the script builds `StepLR(optimizer, step_size=1)` and hands it to
    utils/train_utils.py's `train(..., lr_scheduler, ...)`, which steps it in the batch loop."""
    monkeypatch.chdir(tmp_path)
    train = (
        "def train(model, loader, optimizer, lr_scheduler, epochs):\n    for epoch in range(epochs):\n"
        "        for batch in loader:\n            model(batch).mean().backward()\n"
        "            optimizer.step()\n            optimizer.zero_grad()\n            lr_scheduler.step()\n"
    )
    script = (
        "import torch\nfrom torch.optim.lr_scheduler import {kind}\nfrom utils.train_utils import train\n\n"
        "optimizer = torch.optim.AdamW(model.parameters())\nscheduler = {kind}(optimizer, {args})\n"
        "train(model, loader, optimizer, scheduler, 3)\n"
    )
    write_tree(tmp_path, {"pyproject.toml": "", "utils/__init__.py": "", "utils/train_utils.py": train})
    overrides = Overrides(select=frozenset({"NN212"}))
    write_tree(tmp_path, {"finetune.py": script.format(kind="StepLR", args="step_size=1, gamma=0.85")})
    findings = run_check([Path("utils/train_utils.py")], overrides).findings
    assert [(f.filename, f.location.row) for f in findings] == [("utils/train_utils.py", 7)]
    # A per-step schedule stepped per batch is right.
    write_tree(
        tmp_path, {"finetune.py": script.format(kind="OneCycleLR", args="max_lr=0.1, total_steps=1000")}
    )
    assert run_check([Path("utils/train_utils.py")], overrides).findings == []


def test_an_api_evaluation_function_nobody_in_the_project_calls_sets_the_mode_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dnnbrain's `dnn_test_model(dataloaders, model)`: a library function whose callers are its users."""
    monkeypatch.chdir(tmp_path)
    api = (
        "import torch\n\ndef test_model(loader, model):\n    with torch.no_grad():\n"
        "        for x, y in loader:\n            out = model(x)\n    return out\n"
    )
    write_tree(tmp_path, {"pyproject.toml": "", "pkg/__init__.py": "", "pkg/models.py": api})
    overrides = Overrides(select=frozenset({"NN404"}))
    findings = run_check([Path("pkg/models.py")], overrides).findings
    assert [(f.filename, f.location.row) for f in findings] == [("pkg/models.py", 4)]
    # A project module that calls it may set the mode first: unknown, silent. The project's file listing
    # is confirmed again by the next check in the same process, which sees the new module.
    write_tree(tmp_path, {"pkg/run.py": "from pkg.models import test_model\n\ntest_model(loader, net)\n"})
    assert run_check([Path("pkg/models.py")], overrides).findings == []
    # Tests calling it say nothing about its users.
    (tmp_path / "pkg/run.py").unlink()
    write_tree(
        tmp_path, {"tests/test_models.py": "from pkg.models import test_model\n\ntest_model([], None)\n"}
    )
    assert len(run_check([Path("pkg/models.py")], overrides).findings) == 1


def test_a_module_edited_to_call_an_api_function_is_seen_by_a_warm_rerun(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "Nobody in the project calls this function" rests on which modules mention it: an existing module
    edited to call it makes the cached answer stale (its file listing is the same)."""
    monkeypatch.chdir(tmp_path)
    api = (
        "import torch\n\ndef test_model(loader, model):\n    with torch.no_grad():\n"
        "        for x, y in loader:\n            out = model(x)\n    return out\n"
    )
    write_tree(
        tmp_path, {"pyproject.toml": "", "pkg/__init__.py": "", "pkg/models.py": api, "pkg/run.py": "x = 1\n"}
    )
    overrides, options = Overrides(select=frozenset({"NN404"})), CheckOptions(cache=True)
    assert len(run_check([Path("pkg/models.py")], overrides, options=options).findings) == 1
    write_tree(tmp_path, {"pkg/run.py": "from pkg.models import test_model\n\ntest_model(loader, net)\n"})
    assert run_check([Path("pkg/models.py")], overrides, options=options).findings == []
    # And an edit of a module that has nothing to do with it keeps the cached result.
    write_tree(
        tmp_path, {"pkg/run.py": "from pkg.models import test_model\n\ntest_model(loader, net)\ny = 2\n"}
    )
    assert run_check([Path("pkg/models.py")], overrides, options=options).findings == []


def test_a_project_marker_or_package_created_later_is_seen_by_the_next_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where a file's project root and package chain are is looked up again by each check (a long-lived
    process such as the language server outlives the layout), and a cached result rests on the markers
    and `__init__.py` files whose absence placed them."""
    monkeypatch.chdir(tmp_path)
    softmax_model = (
        "import torch.nn as nn\nimport torch.nn.functional as F\n"
        "class Net(nn.Module):\n    def forward(self, x):\n        return F.softmax(x, 1)\n"
    )
    script = "import torch.nn as nn\nfrom models import Net\nloss = nn.CrossEntropyLoss()(Net()(x), y)\n"
    write_tree(
        tmp_path, {"outer/.git/HEAD": "", "outer/models.py": softmax_model, "outer/inner/train.py": script}
    )
    train = [Path("outer/inner/train.py")]
    for options in (CheckOptions(), CheckOptions(cache=True)):
        assert [f.filename for f in run_check(train, Overrides(), options=options).findings] == [
            "outer/models.py"
        ]
        # inner/ becomes a project of its own: outer/models.py is another project's module.
        write_tree(tmp_path, {"outer/inner/pyproject.toml": ""})
        assert run_check(train, Overrides(), options=options).findings == []
        (tmp_path / "outer/inner/pyproject.toml").unlink()
    # A script in a folder that becomes a package: its imports are searched above the package chain.
    nested = "import torch.nn as nn\nfrom lib.models import Net\nloss = nn.CrossEntropyLoss()(Net()(x), y)\n"
    write_tree(
        tmp_path,
        {"proj/.git/HEAD": "", "proj/src/lib/models.py": softmax_model, "proj/src/app/run.py": nested},
    )
    run = [Path("proj/src/app/run.py")]
    assert run_check(run, Overrides(), options=CheckOptions(cache=True)).findings == []
    write_tree(tmp_path, {"proj/src/app/__init__.py": ""})
    assert [f.filename for f in run_check(run, Overrides(), options=CheckOptions(cache=True)).findings] == [
        "proj/src/lib/models.py"
    ]


def test_a_submodule_given_to_a_constructor_in_another_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """seq2seq's layout: `Seq2Seq(encoder, decoder)` built in train.py keeps `self.decoder = decoder`;
    its forward fills a buffer with the decoder's softmax outputs. Another caller passing a plain Linear
    makes the decoder unknown: no finding."""
    model = (
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n"
        "class Decoder(nn.Module):\n    def __init__(self, n):\n        super().__init__()\n"
        "        self.out = nn.Linear(n, n)\n    def forward(self, x):\n"
        "        return F.softmax(self.out(x), dim=-1)\n\n"
        "class Seq2Seq(nn.Module):\n    def __init__(self, encoder, decoder):\n        super().__init__()\n"
        "        self.encoder = encoder\n        self.decoder = decoder\n"
        "    def forward(self, src, steps):\n        outputs = torch.zeros(steps, src.size(0), 10)\n"
        "        for t in range(steps):\n            outputs[t] = self.decoder(self.encoder(src))\n"
        "        return outputs\n"
    )
    train = (
        "import torch.nn as nn\nimport torch.nn.functional as F\nfrom model import Decoder, Seq2Seq\n\n"
        "model = Seq2Seq(nn.Linear(10, 10), Decoder(10)).cuda()\n"
        "for src, trg in loader:\n    out = model(src, 5)\n"
        "    F.cross_entropy(out[1:].view(-1, 10), trg[1:].view(-1)).backward()\n"
    )
    other = "import torch.nn as nn\nfrom model import Seq2Seq\nm = Seq2Seq(None, nn.Linear(2, 2))\n"
    selected = Overrides(select=frozenset({"NN401"}))
    buggy, mixed = tmp_path / "buggy", tmp_path / "mixed"
    write_tree(buggy, {"pyproject.toml": "", "model.py": model, "train.py": train})
    write_tree(mixed, {"pyproject.toml": "", "model.py": model, "train.py": train, "other.py": other})
    monkeypatch.chdir(buggy)
    findings = run_check([Path("train.py")], selected).findings
    assert [(f.filename, f.location.row) for f in findings] == [("model.py", 10)]
    assert [(r.filename, r.location.row) for r in findings[0].related] == [("train.py", 8)]
    monkeypatch.chdir(mixed)
    assert run_check([Path("train.py")], selected).findings == []


def test_another_modules_definitions_are_read_only_when_a_question_needs_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file's roles resolve `opt = make()` from another module on the first question about `opt`; a
    function of a module that never calls a backward (it may say the word) returns no role, known from
    its text (not parsed)."""
    from nnlint.engine.project import STORE
    from nnlint.engine.roles import Role

    monkeypatch.chdir(tmp_path)
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "",
            "train.py": (
                "from optim import make\nfrom plain import helper\n"
                "opt = make()\nvalue = helper()\nloss.backward()\n"
            ),
            "optim.py": (
                "import torch\n\ndef make():\n    return torch.optim.SGD([], lr=1)\n\n"
                "def train(loss):\n    loss.backward()\n"
            ),
            "plain.py": (
                "import torch\n\ndef helper():  # no backward here\n    return torch.optim.SGD([], lr=1)\n"
            ),
        },
    )
    STORE.clear()
    ctx = STORE.context(tmp_path / "train.py")
    assert ctx is not None
    roles = ctx.roles
    assert STORE.parsed(tmp_path / "optim.py") is None
    assert roles.of("opt") == {Role.OPTIMIZER}
    assert STORE.parsed(tmp_path / "optim.py") is not None
    assert roles.of("value") == set()
    assert STORE.parsed(tmp_path / "plain.py") is None
    assert tmp_path / "plain.py" in ctx.project_deps  # its text decided: an edit of it re-checks


def test_the_carried_sampler_gate_reads_texts_not_modules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NN603's carried-loader search starts only when some module of the project names DistributedSampler:
    that is a question about texts, answered without parsing the modules that name it (a single-file check
    inside a large repository parsed every one of them). The answer still rests on those texts: creating
    such a module changes the gate."""
    from nnlint.engine.project import STORE, begin_check

    monkeypatch.chdir(tmp_path)
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "",
            "train.py": (
                "from torch.utils.data import DataLoader\n\ndef train(model, data, optimizer):\n"
                "    loader = DataLoader(data, shuffle=True)\n    for epoch in range(10):\n"
                "        for x in loader:\n            model(x).sum().backward()\n"
                "            optimizer.step()\n"
            ),
        },
    )
    STORE.clear()
    ctx = STORE.context(tmp_path / "train.py")
    assert ctx is not None
    assert ctx.data_loading._project_mentions_samplers is False
    (tmp_path / "shards.py").write_text(
        "from torch.utils.data import DistributedSampler\n\ndef sampler(data):\n"
        "    return DistributedSampler(data)\n"
    )
    begin_check()
    STORE.clear()
    ctx = STORE.context(tmp_path / "train.py")
    assert ctx is not None
    assert ctx.data_loading._project_mentions_samplers is True
    findings = check_bytes("train.py", (tmp_path / "train.py").read_bytes(), list(default_rules())).findings
    assert not [finding for finding in findings if finding.code == "NN603"]
    assert STORE.parsed(tmp_path / "shards.py") is None


def test_a_question_that_needs_a_loss_reads_no_module_that_names_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NN401's passed-model trigger (`fit(net)` of another module) wants a function that computes a loss:
    a module whose text names none, a class called by its name (`Holder(net)`) and a method of a class of
    such a module (`Runner.go(net)`) are answered from the text, not parsed; a name the module imports
    (in a parenthesized import) is followed to the module that defines it, as before."""
    from nnlint.engine.project import STORE

    monkeypatch.chdir(tmp_path)
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "",
            "main.py": (
                "import torch\nfrom helpers import fit, Holder, Runner\nfrom reexport import run\n"
                "net = Net()\nfit(net)\nHolder(net)\nRunner.go(net)\nrun(net)\n"
            ),
            "helpers.py": (
                "def fit(model):\n    return model(1)\n\n"
                "class Holder:\n    def __init__(self, model):\n        self.model = model\n\n"
                "class Runner:\n    @staticmethod\n    def go(model):\n        return model(2)\n"
            ),
            "reexport.py": "from impl import (\n    other,  # (unused)\n    run,\n)\n",
            "impl.py": (
                "import torch.nn.functional as F\n\ndef other():\n    pass\n\n"
                "def run(model):\n    return F.cross_entropy(model(1), 0)\n"
            ),
        },
    )
    STORE.clear()
    ctx = STORE.context(tmp_path / "main.py")
    assert ctx is not None
    calls = [node for node in ctx.index.nodes(cst.Call) if ctx.dotted(node.func) != "Net"]
    assert [ctx.dotted(call.func) for call in calls] == ["fit", "Holder", "Runner.go", "run"]
    for call in calls[:3]:
        assert ctx.activations.passed_model_losses(call) == []
    assert STORE.parsed(tmp_path / "helpers.py") is None
    assert tmp_path / "helpers.py" in ctx.project_deps  # its text decided: an edit of it re-checks
    ctx.activations.passed_model_losses(calls[3])
    assert STORE.parsed(tmp_path / "reexport.py") is not None
    assert STORE.parsed(tmp_path / "impl.py") is not None


def test_worker_processes_find_what_one_process_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each worker reads the project modules its files import for itself (its own module store): the
    project-wide findings must not depend on which process checked which file, nor on a store filled
    before the workers were started."""
    from nnlint.engine.project import STORE

    monkeypatch.chdir(PROJECTS)
    STORE.clear()
    alone = run_check([Path(".")], Overrides(), jobs=1).findings
    assert alone
    # Workers are forked from this process, whose store the run above filled: they must find the same.
    together = run_check([Path(".")], Overrides(), jobs=2).findings
    STORE.clear()
    cold = run_check([Path(".")], Overrides(), jobs=2).findings
    assert [f.to_json() for f in together] == [f.to_json() for f in alone] == [f.to_json() for f in cold]


def test_a_model_passed_to_another_modules_trainer_method_is_judged_at_the_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """main.py picks one of two models (a softmax and a log_softmax, both wrong for cross-entropy) and
    hands a copy to `LocalUpdate(...).train(net=...)` of update.py, whose criterion is a `self.`
    attribute: checking main.py alone, or update.py alone, reports both models. A pick that may give
    logits, or a trainer that scores something else than the model's output, is silent."""
    nets = (
        "import torch.nn as nn\nimport torch.nn.functional as F\n\n"
        "class MLP(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(4, 2)\n        self.softmax = nn.Softmax(dim=1)\n"
        "    def forward(self, x):\n        return self.softmax(self.fc(x))\n\n"
        "class CNN(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(4, 2)\n"
        "    def forward(self, x):\n        return F.log_softmax(self.fc(x), dim=1)\n\n"
        "class Plain(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(4, 2)\n"
        "    def forward(self, x):\n        return self.fc(x)\n"
    )
    update = (
        "import torch\nfrom torch import nn\n\n"
        "class LocalUpdate(object):\n    def __init__(self, args):\n        self.args = args\n"
        "        self.loss_func = nn.CrossEntropyLoss()\n\n"
        "    def train(self, net, loader):\n        net.train()\n"
        "        optimizer = torch.optim.SGD(net.parameters(), lr=0.1)\n"
        "        for images, labels in loader:\n            net.zero_grad()\n"
        "            log_probs = net(images)\n            loss = self.loss_func(log_probs, labels)\n"
        "            loss.backward()\n            optimizer.step()\n"
        "        return net.state_dict()\n"
    )
    main = (
        "import copy\nimport torch\nfrom nets import MLP, CNN, Plain\nfrom update import LocalUpdate\n\n"
        "if args.model == 'mlp':\n    net_glob = MLP().to(args.device)\n"
        "else:\n    net_glob = {other}().to(args.device)\nnet_glob.train()\n"
        "for idx in range(10):\n    local = LocalUpdate(args=args)\n"
        "    w = local.train(net=copy.deepcopy(net_glob).to(args.device), loader=loader)\n"
    )
    selected = Overrides(select=frozenset({"NN401"}))
    buggy, clean = tmp_path / "buggy", tmp_path / "clean"
    write_tree(
        buggy,
        {"pyproject.toml": "", "nets.py": nets, "update.py": update, "main.py": main.format(other="CNN")},
    )
    write_tree(
        clean,
        {"pyproject.toml": "", "nets.py": nets, "update.py": update, "main.py": main.format(other="Plain")},
    )
    monkeypatch.chdir(buggy)
    for checked in ("main.py", "update.py"):
        findings = run_check([Path(checked)], selected).findings
        assert sorted((f.filename, f.location.row) for f in findings) == [("nets.py", 10), ("nets.py", 17)]
    via_main = run_check([Path("main.py")], selected).findings
    assert {(r.filename, r.location.row) for r in via_main[0].related} == {("update.py", 15), ("main.py", 13)}
    monkeypatch.chdir(clean)
    assert run_check([Path("main.py")], selected).findings == []
    assert run_check([Path("update.py")], selected).findings == []
    monkeypatch.chdir(buggy)
    (buggy / "update.py").write_text(
        update.replace("self.loss_func(log_probs, labels)", "self.loss_func(images, labels)")
    )
    assert run_check([Path("main.py")], selected).findings == []


def test_a_star_import_binds_the_public_names_of_a_project_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`from util import *` binds util's public top-level names, or those its `__all__` lists; a name the
    file binds itself, a private name and a library's star import stay as they are."""
    monkeypatch.chdir(tmp_path)
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "",
            "util.py": "def do_eval(model, loader):\n    pass\n\ndef _hidden(model):\n    pass\n",
            "listed.py": "__all__ = ['shown']\n\ndef shown():\n    pass\n\ndef unlisted():\n    pass\n",
            "train.py": (
                "from torch.nn import *\nfrom listed import *\nfrom util import *\n\n"
                "do_eval(model, loader)\n_hidden(model)\nshown()\nunlisted()\nLinear(2, 2)\n\n"
                "def mine():\n    pass\n\nmine()\n"
            ),
        },
    )
    ctx = STORE.context((tmp_path / "train.py").resolve())
    assert ctx is not None
    resolved = {}
    for call in ctx.index.nodes(cst.Call):
        target = resolve_call(ctx, call)
        resolved[ctx.module.code_for_node(call.func)] = (
            (Path(target.ctx.path).name, target.node.name.value) if target is not None else None  # type: ignore[union-attr]
        )
    assert resolved == {
        "do_eval": ("util.py", "do_eval"),
        "_hidden": None,
        "shown": ("listed.py", "shown"),
        "unlisted": None,
        "Linear": None,
        "mine": ("train.py", "mine"),
    }
    # Asked first while only this file may be read, the answer is not remembered as unknown.
    with this_file_only():
        assert resolve_name(ctx, "shown", ctx.module) is None
    assert resolve_name(ctx, "shown", ctx.module) is not None


def test_a_star_import_of_a_project_module_brings_its_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pytorch-deeplab-xception's train.py never imports torch: `from modeling.deeplab import *` brings the
    module's own `import torch`, so its `torch.no_grad()` and `torch.manual_seed()` are torch's (also
    through a second star import, and as `__all__` allows). Through a library's star import the name is
    unknown, and the rules stay silent rather than reading `torch.no_grad()` as something else."""
    monkeypatch.chdir(tmp_path)
    script = (
        "{star}\n\n\ndef evaluate(model, loader):\n    model.eval()\n    with torch.no_grad():\n"
        "        for x in loader:\n            model(x)\n\n\ndef main():\n    {seed}\n"
        "    loader = make_loader()\n    model = Net()\n    opt = torch.optim.SGD(model.parameters(), 0.1)\n"
        "    for x in loader:\n        opt.zero_grad()\n        model(x).sum().backward()\n"
        "        opt.step()\n"
        "    evaluate(model, loader)\n\n\n"
        "if __name__ == '__main__':\n    main()\n"
    )
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "",
            "modeling/__init__.py": "",
            "modeling/net.py": "import torch\nimport torch.nn as nn\n\n\nclass Net(nn.Module):\n    pass\n",
            "modeling/again.py": "from modeling.net import *\n",
            "modeling/listed.py": "import torch\n__all__ = ['Net']\n\nclass Net:\n    pass\n",
            "data.py": (
                "import torch\n\n\ndef make_loader():\n"
                "    return torch.utils.data.DataLoader(range(4), shuffle=True)\n"
            ),
        },
    )
    selected = Overrides(select=frozenset({"NN301", "NN503"}))
    cases = {
        "from modeling.net import *": [],
        "from modeling.again import *": [],
        "from torchvision.models import *": [],  # a library's: unknown, silent
        # `__all__` leaves torch out: neither the no_grad nor the seed is torch's
        "from modeling.listed import *": ["NN503", "NN301"],
    }
    for star, expected in cases.items():
        (tmp_path / "train.py").write_text(
            script.format(star=f"from data import make_loader\n{star}", seed="torch.manual_seed(0)")
        )
        findings = run_check([Path("train.py")], selected).findings
        assert [f.code for f in findings] == expected, star
    star = "from data import make_loader\nfrom modeling.net import *"
    (tmp_path / "train.py").write_text(script.format(star=star, seed="pass"))
    assert [f.code for f in run_check([Path("train.py")], selected).findings] == ["NN301"]


def test_an_evaluation_helper_called_under_no_grad_from_outside_its_package_is_not_judged_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """mt-dnn's layout: the evaluation loop is in `mt_dnn/inference.py`, its callers are scripts beside the
    package. When a caller imports the helper's module and wraps its call in `no_grad`, the helper's own
    check cannot tell the grad mode (silent); without any setter in its callers, its loop records."""
    monkeypatch.chdir(tmp_path)
    helper = "import torch\n\ndef eval_model(model, data):\n    for x in data:\n        model(x)\n"
    caller = "import torch\nfrom mt_dnn.inference import eval_model\n\n{body}\n"
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "",
            "mt_dnn/__init__.py": "",
            "mt_dnn/model.py": "import torch\n",
            "mt_dnn/inference.py": helper,
            "train.py": caller.format(body="with torch.no_grad():\n    eval_model(model, dev_data)"),
            # Another script that names a setter but never imports the helper's module decides nothing.
            "other.py": "import torch\n\nwith torch.no_grad():\n    eval_model(model, data)\n",
        },
    )
    select = Overrides(select=frozenset({"NN503"}))
    assert run_check([Path("mt_dnn/inference.py")], select).findings == []
    write_tree(tmp_path, {"train.py": caller.format(body="eval_model(model, dev_data)")})
    found = run_check([Path("mt_dnn/inference.py")], select).findings
    assert [(f.filename, f.location.row) for f in found] == [("mt_dnn/inference.py", 4)]


def test_a_shared_evaluation_helper_is_reported_at_each_call_with_its_loop_related(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "star_helpers_buggy"
    shutil.copytree(PROJECTS / "star_helpers_buggy", root)
    monkeypatch.chdir(root)
    findings = run_check([Path("tagger/train.py")], Overrides(select=frozenset({"NN503"}))).findings
    assert [(f.filename, f.location.row) for f in findings] == [("tagger/train.py", 13)]
    assert [(r.filename, r.location.row) for r in findings[0].related] == [("tagger/util.py", 8)]


def test_a_base_class_of_another_module_is_read_only_when_its_text_may_give_the_method(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`self.size_args()` looked up through a base class of another module (`bindings.method_of`): a base
    that lists no base of its own and whose module never says the method's name cannot give it, known
    from the text (not parsed); a base that defines it, or lists bases of its own (not in the text), is
    read and the method is found, also two modules up. Under a question's text gate (`only_if_text`) a
    method of a module that fails the gate is unknown too, unparsed, while one that passes is found."""
    from nnlint.engine.bindings import method_of
    from nnlint.engine.project import Resolved, only_if_mentions

    monkeypatch.chdir(tmp_path)
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "",
            "plain.py": "class Plain(object):\n    def other(self):\n        return 0\n",
            "defines.py": "class Defines:\n    def size_args(self):\n        return 1\n",
            "chained.py": "from defines import Defines\n\nclass Chained(Defines):\n    pass\n",
            "trains.py": "class Trains:\n    def size_args(self, loss):\n        loss.backward()\n",
            "main.py": (
                "from plain import Plain\nfrom defines import Defines\nfrom chained import Chained\n"
                "from trains import Trains\n\n"
                "class A(Plain):\n    pass\n\nclass B(Defines):\n    pass\n\n"
                "class C(Chained):\n    pass\n\nclass D(Trains):\n    pass\n"
            ),
        },
    )

    def lookup(name: str) -> Resolved | None:
        ctx = STORE.context(tmp_path / "main.py")
        assert ctx is not None
        cls = next(node for node in ctx.index.nodes(cst.ClassDef) if node.name.value == name)
        return method_of(Resolved(ctx, cls), "size_args")

    def found_in(resolved: Resolved | None) -> str | None:
        return resolved.ctx.real_path.name if resolved is not None and resolved.ctx.real_path else None

    STORE.clear()
    assert lookup("A") is None
    assert STORE.parsed(tmp_path / "plain.py") is None
    main = STORE.context(tmp_path / "main.py")
    assert main is not None and tmp_path / "plain.py" in main.project_deps  # its text decided
    assert found_in(lookup("B")) == "defines.py"
    assert found_in(lookup("C")) == "defines.py"
    STORE.clear()
    with only_if_mentions("backward("):
        assert lookup("B") is None
        assert lookup("C") is None
        assert found_in(lookup("D")) == "trains.py"
    assert STORE.parsed(tmp_path / "defines.py") is None
    assert STORE.parsed(tmp_path / "chained.py") is not None  # it lists a base: read


_RUNNER_WITH_SAMPLER = (
    "import torch\nfrom torch.utils.data import DataLoader, DistributedSampler\n{imports}\n\n"
    "def train(model, data, optimizer):\n"
    "    sampler = DistributedSampler(data, shuffle=True)\n"
    "    loader = DataLoader(data, batch_size=8, sampler=sampler)\n"
    "    loader = {wrap}\n"
    "    for epoch in range(10):\n"
    "        for x in loader:\n            model(x).sum().backward()\n"
    "            optimizer.step()\n            optimizer.zero_grad()\n"
)


@pytest.mark.parametrize(
    ("imports", "wrap", "reported"),
    [
        # A project wrapper of another module holds the loader (MiniGPT-4's IterLoader): it may set the epoch.
        ("from loaders import IterLoader", "IterLoader(loader)", False),
        # A library's progress bar only iterates it: the sampler is still never told the epoch.
        ("from tqdm import tqdm", "tqdm(loader)", True),
    ],
)
def test_a_loader_given_the_sampler_by_name_carries_it_to_a_project_wrapper(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, imports: str, wrap: str, reported: bool
) -> None:
    monkeypatch.chdir(tmp_path)
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "",
            "loaders.py": (
                "class IterLoader:\n    def __init__(self, loader):\n        self._loader = loader\n"
                "        self._epoch = 0\n\n    def __iter__(self):\n"
                "        self._loader.sampler.set_epoch(self._epoch)\n        self._epoch += 1\n"
                "        return iter(self._loader)\n"
            ),
            "train.py": _RUNNER_WITH_SAMPLER.format(imports=imports, wrap=wrap),
        },
    )
    findings = run_check([Path("train.py")], Overrides()).findings
    assert bool([f for f in findings if f.code == "NN603"]) is reported


def test_a_module_level_optimizer_that_another_module_imports_is_stepped_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lornatang's DCGAN builds its optimizers in config.py; train.py star-imports them and steps them. A
    module-level optimizer of a module that is no script is built for its importers (silent, without
    scanning the project for them); one that a script builds and never steps is reported."""
    monkeypatch.chdir(tmp_path)
    config = (
        "import torch\nfrom torch import nn\n\nmodel = nn.Linear(4, 1)\n"
        "optimizer = torch.optim.Adam(model.parameters(), 2e-4)\n"
    )
    train = (
        "from config import *\n\nfor x, y in loader:\n    loss = (model(x) - y).pow(2).mean()\n"
        "    optimizer.zero_grad()\n    loss.backward()\n    optimizer.step()\n"
    )
    write_tree(tmp_path, {"pyproject.toml": "", "config.py": config, "train.py": train})
    assert not [f for f in run_check([Path(".")], Overrides()).findings if f.code == "NN212"]
    (tmp_path / "train.py").write_text("print('no training here')\n")
    STORE.clear()
    findings = run_check([Path(".")], Overrides(), options=CheckOptions(cache=False)).findings
    assert not [f for f in findings if f.code == "NN212"]
    (tmp_path / "config.py").write_text(config + "\nfor x, y in loader:\n    model(x).sum().backward()\n")
    STORE.clear()
    findings = run_check([Path(".")], Overrides(), options=CheckOptions(cache=False)).findings
    assert [(f.filename, f.location.row) for f in findings if f.code == "NN212"] == [("config.py", 5)]


def test_a_scheduler_handed_to_another_modules_training_function_that_never_steps_it_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DAB-DETR's main.py builds a StepLR and hands it to engine.py's `train_one_epoch(...,
    lr_scheduler=lr_scheduler)`, which backpropagates and never steps it; `main()` only saves its state.
    Handed to a function that steps it, or to one that does not train (a checkpoint writer), it is not."""
    monkeypatch.chdir(tmp_path)
    engine = (
        "def train_one_epoch(model, loader, optimizer, lr_scheduler=None):\n    for x, y in loader:\n"
        "        loss = (model(x) - y).pow(2).mean()\n        optimizer.zero_grad()\n"
        "        loss.backward()\n        optimizer.step()\n{tail}"
    )
    main = (
        "import torch\nfrom engine import train_one_epoch\n\n\ndef main(model, loader):\n"
        "    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)\n"
        "    lr_scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 200)\n"
        "    for epoch in range(50):\n"
        "        train_one_epoch(model, loader, optimizer, lr_scheduler=lr_scheduler)\n"
        "        torch.save({{'lr_scheduler': lr_scheduler.state_dict()}}, 'checkpoint.pth')\n\n\n"
        "if __name__ == '__main__':\n    main(None, None)\n"
    )
    files = {"pyproject.toml": "", "engine.py": engine.format(tail=""), "main.py": main.format()}
    write_tree(tmp_path, files)
    findings = run_check([Path("main.py")], Overrides(), options=CheckOptions(cache=False)).findings
    assert [(f.filename, f.location.row) for f in findings if f.code == "NN212"] == [("main.py", 7)]
    (tmp_path / "engine.py").write_text(engine.format(tail="    lr_scheduler.step()\n"))
    STORE.clear()
    findings = run_check([Path("main.py")], Overrides(), options=CheckOptions(cache=False)).findings
    assert not [f for f in findings if f.code == "NN212"]
    # Handed to a function that does not train: built to be saved, not to train with.
    (tmp_path / "engine.py").write_text(
        "import torch\n\n\ndef train_one_epoch(model, loader, optimizer, lr_scheduler=None):\n"
        "    torch.save(lr_scheduler.state_dict(), 'sched.pth')\n"
    )
    STORE.clear()
    findings = run_check([Path("main.py")], Overrides(), options=CheckOptions(cache=False)).findings
    assert not [f for f in findings if f.code == "NN212"]


def test_a_project_decorator_that_applies_inference_mode_manages_the_grad_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """YOLOv5's `@smart_inference_mode()` from utils/torch_utils.py on val.py's `run`: recording is off."""
    monkeypatch.chdir(tmp_path)
    decorator = (
        "import torch\n\n\ndef smart_inference_mode(torch_1_9=True):\n    def decorate(fn):\n"
        "        return (torch.inference_mode if torch_1_9 else torch.no_grad)()(fn)\n\n"
        "    return decorate\n\n\n"
        "def timed(fn):\n    return fn\n"
    )
    val = (
        "from utils.torch_utils import {name}\n\n\n@{name}{call}\ndef run(model, dataloader):\n"
        "    model.eval()\n    for images, labels in dataloader:\n        preds = model(images)\n"
        "        print((preds.argmax(1) == labels).float().mean())\n"
    )
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "",
            "utils/__init__.py": "",
            "utils/torch_utils.py": decorator,
            "val.py": val.format(name="smart_inference_mode", call="()"),
        },
    )
    assert not [f for f in run_check([Path(".")], Overrides()).findings if f.code == "NN503"]
    # A project decorator that names no grad-mode setter leaves recording on.
    (tmp_path / "val.py").write_text(val.format(name="timed", call=""))
    STORE.clear()
    findings = run_check([Path(".")], Overrides(), options=CheckOptions(cache=False)).findings
    assert [f.code for f in findings if f.code == "NN503"] == ["NN503"]


def test_a_decoding_method_of_a_model_whose_base_is_in_another_module_is_no_evaluation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ImageCaptioning's `FCModel(CaptionModel)`: `_sample` decodes step by step through its recurrent core,
    but it is a method of a model (CaptionModel, in another module, is an nn.Module), whose callers choose
    its grad mode (self-critical training samples with gradients)."""
    monkeypatch.chdir(tmp_path)
    base = "import torch.nn as nn\n\n\nclass CaptionModel(nn.Module):\n    pass\n"
    fc = (
        "import torch.nn as nn\nfrom base import CaptionModel\n\n\nclass Core(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.cell = nn.LSTMCell(8, 8)\n\n"
        "    def forward(self, xt, state):\n        return self.cell(xt, state)\n\n\n"
        "class FCModel(CaptionModel):\n    def __init__(self):\n        super().__init__()\n"
        "        self.embed = nn.Embedding(10, 8)\n        self.core = Core()\n"
        "        self.logit = nn.Linear(8, 10)\n\n"
        "    def _sample(self, it, steps):\n        state = None\n        seq = []\n"
        "        for t in range(steps):\n            h, c = self.core(self.embed(it), state)\n"
        "            state = (h, c)\n            it = self.logit(h).argmax(1)\n            seq.append(it)\n"
        "        return seq\n"
    )
    write_tree(tmp_path, {"pyproject.toml": "", "base.py": base, "fc.py": fc})
    assert not [f for f in run_check([Path(".")], Overrides()).findings if f.code in ("NN503", "NN404")]


def test_the_same_file_base_classes_read_no_other_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`bindings.file_bases` keeps only classes of the asking file, so a base imported from another project
    module is not parsed for it (torch's instancenorm.py read batchnorm.py that way); the same-file chain is
    still followed through each class's bases."""
    from nnlint.engine.bindings import file_bases

    monkeypatch.chdir(tmp_path)
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "",
            "norms.py": "class NormBase:\n    def __init__(self):\n        self.weight = 1\n",
            "main.py": (
                "from norms import NormBase\n\n"
                "class Local(NormBase):\n    pass\n\n"
                "class Child(Local):\n    pass\n"
            ),
        },
    )
    STORE.clear()
    ctx = STORE.context(tmp_path / "main.py")
    assert ctx is not None
    child = next(node for node in ctx.index.nodes(cst.ClassDef) if node.name.value == "Child")
    assert [cls.name.value for cls in file_bases(ctx, child)] == ["Local"]
    assert STORE.parsed(tmp_path / "norms.py") is None
    STORE.clear()


def test_a_factory_assignment_reads_only_modules_that_write_a_mode_switch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop collector asks every `x = f(...)` of a project function whether `f` hands back a model in
    eval mode (`Summary.returns_in_mode`): a module that never writes `.eval(` or `.train(` cannot, so it
    is answered from its text, not parsed, nor is a class called by its bare name; a loader that switches
    its model is read and its mode found, as before."""
    from nnlint.engine.loops import EventKind

    monkeypatch.chdir(tmp_path)
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "",
            "loader.py": "def load_model(net):\n    net.eval()\n    return net\n",
            "plain.py": "def build(net):\n    return net\n\nclass Holder:\n    pass\n",
            "main.py": (
                "import torch\nfrom loader import load_model\nfrom plain import build, Holder\n\n"
                "def run(net, x):\n    model = load_model(net)\n    other = build(net)\n    held = Holder()\n"
                "    model(x)\n    other(x)\n"
            ),
        },
    )
    STORE.clear()
    ctx = STORE.context(tmp_path / "main.py")
    assert ctx is not None
    run = next(node for node in ctx.index.nodes(cst.FunctionDef) if node.name.value == "run")
    switched = [(event.kind, event.target) for event in ctx.loops.function_events(run)]
    assert (EventKind.EVAL, "model") in switched
    assert not any(target == "other" for kind, target in switched if kind is EventKind.EVAL)
    assert STORE.parsed(tmp_path / "loader.py") is not None
    assert STORE.parsed(tmp_path / "plain.py") is None
    assert tmp_path / "plain.py" in ctx.project_deps  # its text decided: an edit of it re-checks
    STORE.clear()


def test_a_base_class_of_another_module_that_lists_no_base_is_no_model_from_its_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`is_model_class` through a base class of another module: a base that lists no base of its own is no
    model, known from its module's text (not parsed, but a dependency of the asking file); a base that
    lists one is read and followed, also two modules up and through a star import, which the text-only
    question does not leave "unknown" for a later question without it."""
    from nnlint.engine.project import Resolved
    from nnlint.engine.summaries import is_model_class

    monkeypatch.chdir(tmp_path)
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "",
            "plain.py": "class Plain(object):\n    def __call__(self, x):\n        return x\n",
            "net.py": "import torch.nn as nn\n\nclass Net(nn.Module):\n    pass\n",
            "chained.py": "from net import Net\n\nclass Chained(Net):\n    pass\n",
            "star.py": "from plain import *\nfrom net import *\n",
            "main.py": (
                "from plain import Plain\nfrom chained import Chained\nfrom star import *\n\n"
                "class A(Plain):\n    pass\n\nclass B(Chained):\n    pass\n\nclass C(Net):\n    pass\n"
            ),
        },
    )

    def is_model(name: str) -> bool:
        ctx = STORE.context(tmp_path / "main.py")
        assert ctx is not None
        cls = next(node for node in ctx.index.nodes(cst.ClassDef) if node.name.value == name)
        return is_model_class(Resolved(ctx, cls))

    STORE.clear()
    assert not is_model("A")
    assert STORE.parsed(tmp_path / "plain.py") is None
    main = STORE.context(tmp_path / "main.py")
    assert main is not None and tmp_path / "plain.py" in main.project_deps  # its text decided
    assert is_model("B")
    assert is_model("C")
    found = resolve_name(main, "Net", main.module)
    assert found is not None and Path(found.ctx.path).name == "net.py"
    STORE.clear()


def test_a_star_imported_name_unknown_under_a_text_gate_is_known_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name a star import brings is remembered per text gate (`only_if_text`): a question that ruled its
    module out first does not leave "unknown" for the questions asked without a gate."""
    from nnlint.engine.project import only_if_text

    monkeypatch.chdir(tmp_path)
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "",
            "net.py": "class Net:\n    pass\n",
            "models.py": "from net import Net\n",
            "train.py": "from models import *\n\nmodel = Net()\n",
        },
    )
    STORE.clear()
    ctx = STORE.context(tmp_path / "train.py")
    assert ctx is not None
    with only_if_text(_says_nothing, classes=False):
        assert resolve_name(ctx, "Net", ctx.module) is None
    found = resolve_name(ctx, "Net", ctx.module)
    assert found is not None and Path(found.ctx.path).name == "net.py"
    STORE.clear()


def _says_nothing(text: bytes) -> bool:
    return False


@pytest.mark.parametrize(
    "text",
    [
        b"def f(x):\n    return F.cross_entropy(x, 0)\n",
        b"crit = nn.BCEWithLogitsLoss()\n",
        b"total_LoSs = 0\n",
        b"\xe2loss = 1  # a stray byte before the word\n",
        b"name = 'LO\xc5\xbfS'  # long s: no loss\n",
        "k = '\u212aelvin'  # lowercases to ASCII, no loss\n".encode(),
        b"def g():\n    return 1\n",
    ],
)
def test_the_loss_text_gate_reads_bytes_as_the_decoded_text(text: bytes) -> None:
    """`activations._module_says_loss` answers on a module's bytes what `_says_loss` answers on its decoded
    text, without decoding it."""
    from nnlint.engine.activations import _module_says_loss, _says_loss

    assert _module_says_loss(text) == _says_loss(text.decode("utf-8", "replace"))


def test_names_imported_inside_functions_resolve_as_module_level_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DBNet's tools/train.py imports its project modules inside `main()` (after argparse and a `sys.path`
    set-up): the names mean there, and in functions nested in it, what they would mean imported at the
    top. A name the function also binds otherwise, or imports twice, is unknown; the import does not reach
    other functions or the module level."""
    monkeypatch.chdir(tmp_path)
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "",
            "loaders.py": "def get_loader(cfg):\n    return cfg\n",
            "other.py": "def get_loader(cfg):\n    return None\n",
            "train.py": (
                "def main(cfg):\n"
                "    from loaders import get_loader\n"
                "    import loaders as L\n"
                "    a = get_loader(cfg)\n"
                "    b = L.get_loader(cfg)\n"
                "    def inner():\n"
                "        return get_loader(cfg)\n"
                "    return inner\n"
                "\n"
                "def shadowed(cfg):\n"
                "    from loaders import get_loader\n"
                "    get_loader = wrap(get_loader)\n"
                "    return get_loader(cfg)\n"
                "\n"
                "def twice(cfg, fast):\n"
                "    if fast:\n"
                "        from other import get_loader\n"
                "    else:\n"
                "        from loaders import get_loader\n"
                "    return get_loader(cfg)\n"
                "\n"
                "def elsewhere(cfg):\n"
                "    return get_loader(cfg)\n"
            ),
        },
    )
    STORE.clear()
    ctx = STORE.context(tmp_path / "train.py")
    assert ctx is not None
    calls = {
        (ctx.enclosing_function(call).name.value, ctx.dotted(call.func)): call  # type: ignore[union-attr]
        for call in ctx.index.nodes(cst.Call)
        if (ctx.dotted(call.func) or "").endswith("get_loader")
    }

    def target(function: str, callee: str = "get_loader") -> Path | None:
        found = resolve_call(ctx, calls[(function, callee)])
        return found.ctx.real_path if found is not None else None

    assert target("main") == tmp_path / "loaders.py"
    assert target("main", "L.get_loader") == tmp_path / "loaders.py"
    assert target("inner") == tmp_path / "loaders.py"
    assert target("shadowed") is None
    assert target("twice") is None
    assert target("elsewhere") is None


def test_a_loader_built_by_a_function_imported_inside_main_is_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NN603 on DBNet's spelling: the loader factory (with its own function-local sampler import) is
    imported inside `main()`, whose epoch loop never sets the epoch."""
    monkeypatch.chdir(tmp_path)
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "",
            "data_loader/__init__.py": (
                "from torch.utils.data import DataLoader\n\n"
                "def get_dataloader(config, distributed=False):\n"
                "    if distributed:\n"
                "        from torch.utils.data.distributed import DistributedSampler\n"
                "        sampler = DistributedSampler(config['dataset'], shuffle=config['shuffle'])\n"
                "        return DataLoader(config['dataset'], sampler=sampler)\n"
                "    return DataLoader(config['dataset'], shuffle=True)\n"
            ),
            "train.py": (
                "import argparse\n\n"
                "def main(config):\n"
                "    import torch\n"
                "    from data_loader import get_dataloader\n"
                "    train_loader = get_dataloader(config, True)\n"
                "    model = torch.nn.Linear(3, 1)\n"
                "    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n"
                "    for epoch in range(config['epochs']):\n"
                "        for x, y in train_loader:\n"
                "            optimizer.zero_grad()\n"
                "            torch.nn.functional.mse_loss(model(x), y).backward()\n"
                "            optimizer.step()\n\n"
                "if __name__ == '__main__':\n"
                "    main(vars(argparse.ArgumentParser().parse_args()))\n"
            ),
        },
    )
    findings = run_check([Path("train.py")], Overrides()).findings
    assert [(f.code, f.filename, f.location.row) for f in findings if f.code == "NN603"] == [
        ("NN603", "train.py", 9)
    ]


def test_a_torch_free_helper_of_a_flat_project_is_checked_when_a_torch_module_imports_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A flat project's metrics.py evaluates the model train.py hands it without importing torch (so it
    cannot write `torch.no_grad()`); a torch-free module that no torch module imports stays unchecked."""
    monkeypatch.chdir(tmp_path)
    evaluation = (
        "def score(net, val_loader):\n"
        "    net.eval()\n"
        "    hits = 0\n"
        "    for x, y in val_loader:\n"
        "        hits += (net(x).argmax(1) == y).sum().item()\n"
        "    return hits\n"
    )
    write_tree(
        tmp_path,
        {
            "proj/pyproject.toml": "",
            "proj/metrics.py": evaluation,
            "proj/plots.py": evaluation,
            "proj/train.py": (
                "import torch\n"
                "from metrics import score\n\n"
                "def main(net, train_loader, val_loader, opt):\n"
                "    for epoch in range(3):\n"
                "        net.train()\n"
                "        for x, y in train_loader:\n"
                "            opt.zero_grad()\n"
                "            torch.nn.functional.cross_entropy(net(x), y).backward()\n"
                "            opt.step()\n"
                "        print(score(net, val_loader))\n"
            ),
        },
    )
    outcome = run_check([Path("proj")], Overrides())
    assert outcome.crashes == []
    assert {(f.filename, f.code) for f in outcome.findings} == {("proj/metrics.py", "NN503")}


def test_project_methods_read_only_modules_that_define_the_name_as_a_method(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A method call on an object of unknown class is looked up among the project's methods: modules
    that define the name only as a module-level function (every diffusers training script's
    `parse_args()`, with a backward) are not parsed; a method indented by spaces or by a tab is found."""
    import libcst as cst

    from nnlint.engine.names import dotted_name
    from nnlint.engine.training_calls import backpropagating_candidates, project_methods

    monkeypatch.chdir(tmp_path)
    script = "def parse_args():\n    return None\n\nloss.backward()\n"
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "",
            "train_a.py": script,
            "train_b.py": script,
            "solver.py": "class Solver:\n    def fit(self):\n        self.loss.backward()\n",
            "tabbed.py": "class Other:\n\tdef fit(self):\n\t\tpass\n",
            "infer.py": "args = parser.parse_args()\nsolver.fit()\n",
        },
    )
    ctx = STORE.context((tmp_path / "infer.py").resolve())
    assert ctx is not None
    calls = {dotted_name(c.func): c for c in ctx.index.nodes(cst.Call)}
    assert backpropagating_candidates(ctx, calls["parser.parse_args"]) == []
    assert not {p.name for p in ctx.project_deps} & {"train_a.py", "train_b.py"}
    found = sorted(
        (module.path.rsplit("/", 1)[-1], method.name.value) for module, method in project_methods(ctx, "fit")
    )
    assert found == [("solver.py", "fit"), ("tabbed.py", "fit")]


LLAMA_TRAIN_UTILS = (
    "import torch\n\n"
    "def train(model, train_dataloader, optimizer, train_config):\n"
    "    for epoch in range(train_config.num_epochs):\n"
    "        for batch in train_dataloader:\n"
    "            optimizer.zero_grad()\n"
    "            model(**batch).loss.backward()\n"
    "            optimizer.step()\n"
)
LLAMA_FINETUNING = (
    "import torch\n"
    "from torch.utils.data import DistributedSampler\n"
    "from llama_recipes.utils.train_utils import train\n\n"
    "def main(train_config, dataset_train, model, optimizer):\n"
    "    train_sampler = None\n"
    "    if train_config.enable_fsdp:\n"
    "        train_sampler = DistributedSampler(dataset_train, shuffle=True)\n"
    "    train_dataloader = torch.utils.data.DataLoader(\n"
    "        dataset_train, batch_size=4, sampler=train_sampler if train_sampler else None\n"
    "    )\n"
    "    train(model, train_dataloader, optimizer, train_config)\n"
)


@pytest.mark.parametrize("sampler", ["train_sampler if train_sampler else None", "train_sampler"])
def test_a_loader_of_a_namespace_package_with_a_conditional_sampler_is_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sampler: str
) -> None:
    """NN603 on llama-recipes' layout: `src/llama_recipes/` has no `__init__.py` (the installed distribution
    puts `src` on the path), finetuning.py imports `llama_recipes.utils.train_utils.train` and hands it a
    loader whose sampler is a DistributedSampler on one path (`train_sampler = None`, then built under
    `if train_config.enable_fsdp:`), passed through a conditional expression or by name."""
    monkeypatch.chdir(tmp_path)
    finetuning = LLAMA_FINETUNING.replace("train_sampler if train_sampler else None", sampler)
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "",
            "src/llama_recipes/utils/__init__.py": "",
            "src/llama_recipes/utils/train_utils.py": LLAMA_TRAIN_UTILS,
            "src/llama_recipes/finetuning.py": finetuning,
        },
    )
    checked = Path("src/llama_recipes/utils/train_utils.py")
    findings = [f for f in run_check([checked], Overrides()).findings if f.code == "NN603"]
    assert [(f.filename, f.location.row) for f in findings] == [(str(checked), 4)]
    # The sampler built with shuffle=False: nothing to set.
    quiet = finetuning.replace("shuffle=True", "shuffle=False")
    write_tree(tmp_path, {"src/llama_recipes/finetuning.py": quiet})
    assert not [f for f in run_check([checked], Overrides()).findings if f.code == "NN603"]


def test_an_import_names_the_importing_files_own_namespace_package(tmp_path: Path) -> None:
    """`find_module` finds `llama_recipes.utils.x` from `src/llama_recipes/finetuning.py` through the folder
    above the file's own package, found by its name; a name that is no folder above the file is not."""
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "",
            "src/llama_recipes/utils/__init__.py": "",
            "src/llama_recipes/utils/x.py": "",
            "src/llama_recipes/finetuning.py": "",
        },
    )
    here = tmp_path / "src/llama_recipes/finetuning.py"
    assert find_module(here, "llama_recipes.utils.x.f") == (tmp_path / "src/llama_recipes/utils/x.py", ["f"])
    assert find_module(here, "other_pkg.utils.x") is None


NNI_TRAINER = """import torch
from torch import nn


class ImageClassificationTrainer:
    def __init__(self, model, loader, optimizer_cls="SGD"):
        self.model = model
        self.loader = loader
        self._loss_fn = nn.CrossEntropyLoss()
        self._optimizer = getattr(torch.optim, optimizer_cls)(model.parameters())

    def _train(self):
        for x, y in self.loader:
            loss = self._loss_fn(self.model(x), y)
            loss.backward()
"""


def test_an_optimizer_kept_on_self_and_never_read_is_never_stepped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NN212 on nni's retiarii trainer: `self._optimizer` is built in `__init__`, the class backpropagates
    in `_train()` and nothing reads the attribute again. Another module that names `._optimizer` of its
    own objects changes nothing; one that runs the trainer's method and then steps `trainer._optimizer`
    may step it, and the finding goes."""
    monkeypatch.chdir(tmp_path)
    other = "class Pruner:\n    def __init__(self, optimizer):\n        self._optimizer = optimizer\n"
    write_tree(tmp_path, {"pyproject.toml": "", "trainer.py": NNI_TRAINER, "pruner.py": other})
    checked = Path("trainer.py")
    findings = [f for f in run_check([checked], Overrides()).findings if f.code == "NN212"]
    assert [(f.filename, f.location.row) for f in findings] == [("trainer.py", 10)]
    steps = "def run(trainer):\n    trainer._train()\n    trainer._optimizer.step()\n"
    write_tree(tmp_path, {"loop.py": steps})
    assert not [f for f in run_check([checked], Overrides()).findings if f.code == "NN212"]
