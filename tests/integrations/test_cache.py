"""The result cache: unchanged files are not checked again, anything that changes results misses, and a
damaged or unwritable cache never changes what a run reports."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from integration_helpers import BUGGY, nnlint

from nnlint.cache import CACHE_DIR_NAME, Cache, settings_digest
from nnlint.notebook import check_notebook
from nnlint.runner import FileResult, RuleCrash, check_bytes


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files actually checked (not answered from the cache) during the test, in order."""
    checked: list[str] = []

    def counting(check: Callable[[str, bytes, list], FileResult]) -> Callable[[str, bytes, list], FileResult]:
        def count(filename: str, data: bytes, rules: list) -> FileResult:
            checked.append(filename)
            return check(filename, data, rules)

        return count

    monkeypatch.setattr("nnlint.session.check_bytes", counting(check_bytes))
    monkeypatch.setattr("nnlint.notebook.check_notebook", counting(check_notebook))
    return checked


def entries(root: Path) -> list[Path]:
    return sorted((root / CACHE_DIR_NAME).rglob("*.json"))


def test_a_second_run_reads_every_result_from_the_cache(project: Path, checks: list[str]) -> None:
    (project / "train.py").write_text(BUGGY)
    (project / "clean.py").write_text("x = 1\n")
    cold = nnlint("check", ".", "--format", "json")
    assert sorted(checks) == ["clean.py", "train.py"]
    warm = nnlint("check", ".", "--format", "json")
    assert sorted(checks) == ["clean.py", "train.py"]  # nothing checked again
    assert (warm.code, warm.stdout) == (cold.code, cold.stdout)
    assert len(entries(project)) == 2
    assert (project / CACHE_DIR_NAME / ".gitignore").read_text().endswith("*\n")
    assert (
        (project / CACHE_DIR_NAME / "CACHEDIR.TAG")
        .read_text()
        .startswith("Signature: 8a477f597d28d172789f0688")
    )


def test_changed_content_and_changed_selection_miss(project: Path, checks: list[str]) -> None:
    path = project / "train.py"
    path.write_text(BUGGY)
    nnlint("check", "train.py")
    path.write_text(BUGGY + "\n")
    nnlint("check", "train.py")
    nnlint("check", "train.py", "--ignore", "NN204")
    run = nnlint("check", "train.py", "--ignore", "NN204", "--format", "concise")
    assert checks == ["train.py"] * 3
    assert "NN204" not in run.stdout


def test_no_cache_neither_reads_nor_writes(project: Path, checks: list[str]) -> None:
    (project / "train.py").write_text(BUGGY)
    nnlint("check", "train.py", "--no-cache")
    assert not (project / CACHE_DIR_NAME).exists()
    nnlint("check", "train.py")
    nnlint("check", "train.py", "--no-cache")
    assert checks == ["train.py"] * 3


@pytest.mark.parametrize(
    "damage",
    [b"", b"{not json", b'{"findings": [{"code": 1}]}', b'{"findings": 3}', b"\xff\xfe\x00", b"[]"],
    ids=["empty", "truncated", "wrong-types", "wrong-shape", "binary", "list"],
)
def test_a_damaged_cache_is_ignored_and_repaired(project: Path, checks: list[str], damage: bytes) -> None:
    (project / "train.py").write_text(BUGGY)
    first = nnlint("check", "train.py", "--format", "json")
    (entry,) = entries(project)
    entry.write_bytes(damage)
    second = nnlint("check", "train.py", "--format", "json")
    assert (second.code, second.stdout) == (first.code, first.stdout)
    assert checks == ["train.py", "train.py"]
    nnlint("check", "train.py")
    assert checks == ["train.py", "train.py"]  # the entry was written again


def test_an_unwritable_cache_is_skipped(project: Path) -> None:
    (project / CACHE_DIR_NAME).write_text("a file where the cache folder would go")
    (project / "train.py").write_text(BUGGY)
    run = nnlint("check", "train.py", "--format", "concise")
    assert run.code == 1 and "NN204" in run.stdout and run.stderr == ""


def test_the_cache_lives_beside_the_config_file(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "repo" / "src").mkdir(parents=True)
    (project / "repo" / "pyproject.toml").write_text('[tool.nnlint]\nignore = ["NN3"]\n')
    (project / "repo" / "src" / "train.py").write_text(BUGGY)
    (project / "elsewhere").mkdir()
    monkeypatch.chdir(project / "elsewhere")
    nnlint("check", "../repo/src/train.py")
    assert len(entries(project / "repo")) == 1
    assert not (project / "elsewhere" / CACHE_DIR_NAME).exists()


def test_parallel_workers_share_the_cache(project: Path) -> None:
    for index in range(12):
        (project / f"train_{index}.py").write_text(BUGGY.replace("lr=0.1", f"lr=0.{index + 1}"))
    cold = nnlint("check", ".", "--format", "json", "--jobs", "2")
    warm = nnlint("check", ".", "--format", "json", "--jobs", "2")
    assert cold.stdout == warm.stdout and cold.code == warm.code == 1
    assert len(entries(project)) == 12
    leftovers = [p for p in (project / CACHE_DIR_NAME).rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_fix_results_are_cached_for_the_fixed_content(project: Path, checks: list[str]) -> None:
    (project / "train.py").write_text(BUGGY)
    nnlint("check", "train.py", "--fix")
    assert checks == ["train.py", "train.py"]  # the file, then the file as fixed
    nnlint("check", "train.py")
    assert checks == ["train.py", "train.py"]


def test_results_with_a_crashed_rule_are_not_cached(tmp_path: Path) -> None:
    cache = Cache(tmp_path / CACHE_DIR_NAME, settings_digest(frozenset({"NN204"})))
    crashed = FileResult("t.py", crashes=[RuleCrash("t.py", "NN204", "boom")])
    cache.put("t.py", b"x = 1\n", crashed)
    assert cache.get("t.py", b"x = 1\n") is None
    cache.put("t.py", b"x = 1\n", FileResult("t.py"))
    assert cache.get("t.py", b"x = 1\n") == FileResult("t.py")
    assert cache.get("u.py", b"x = 1\n") is None  # the path is part of the key


def test_settings_digest_changes_with_codes_and_version(monkeypatch: pytest.MonkeyPatch) -> None:
    base = settings_digest(frozenset({"NN204"}))
    assert settings_digest(frozenset({"NN204"})) == base
    assert settings_digest(frozenset({"NN204", "NN501"})) != base
    monkeypatch.setattr("nnlint.cache.__version__", "99.0")
    assert settings_digest(frozenset({"NN204"})) != base


def test_cached_findings_round_trip_every_field(tmp_path: Path) -> None:
    """A field added to Finding, Fix or Edit must be written and read back by the cache, or a cached
    result would silently lose it (as a notebook fix's edit cell once was)."""
    import dataclasses

    from nnlint.finding import Edit, Finding, Fix, Position, Related, Severity

    edit = Edit(Position(2, 3), Position(2, 7), "new", cell=4)
    fix = Fix("message", (edit,), applicability="unsafe")
    finding = Finding(
        code="NN501",
        name="loss-accumulated-as-tensor",
        message="m",
        filename="nb.ipynb",
        location=Position(2, 1),
        end_location=Position(3, 2),
        severity=Severity.INFO,
        hint="h",
        fix=fix,
        confirmation="confirmed",
        evidence={"samples": [1, 2]},
        cell=4,
        related=(Related("models.py", Position(40, 16), "the softmax"),),
    )
    for value in (finding, fix, edit):
        defaults = [f.name for f in dataclasses.fields(value) if getattr(value, f.name) == f.default]
        assert defaults == [], f"set {defaults} in this test so the cache round trip covers them"
    cache = Cache(tmp_path, "settings")
    cache.put("nb.ipynb", b"{}", FileResult("nb.ipynb", [finding]))
    assert cache.get("nb.ipynb", b"{}") == FileResult("nb.ipynb", [finding])


def test_a_cached_notebook_result_can_still_be_fixed(project: Path, checks: list[str]) -> None:
    """A notebook fix's edits name their cell; the fix read back from the cache must still apply."""
    import json

    cell = {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": BUGGY}
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [cell]}
    path = project / "train.ipynb"
    path.write_text(json.dumps(notebook, indent=1) + "\n")
    nnlint("check", "train.ipynb")  # fills the cache
    assert checks == ["train.ipynb"]
    run = nnlint("check", "train.ipynb", "--fix")
    assert checks == ["train.ipynb"] * 2  # the fixes came from the cache; only the fixed notebook is checked
    assert "Fixed 1 finding." in run.stdout
    assert json.loads(path.read_text())["cells"][0]["source"].endswith("total += loss.item()\n")


def test_a_files_old_entries_are_pruned(project: Path) -> None:
    path = project / "train.py"
    for number in range(20):
        path.write_text(f"x = {number}\n")
        nnlint("check", "train.py")
    assert len(entries(project)) == 1


def test_the_cache_is_capped(tmp_path: Path) -> None:
    from nnlint.cache import prune

    cache = Cache(tmp_path, "settings")
    for number in range(30):
        cache.put(f"file{number}.py", b"x", FileResult(f"file{number}.py"))
    (tmp_path / "v1" / "ab").mkdir(parents=True)  # an older layout
    prune(tmp_path, limit=10)
    assert len(list(tmp_path.rglob("*.json"))) == 10
    assert not (tmp_path / "v1").exists()


CLASSIFIER = Path(__file__).resolve().parents[2] / "fixtures" / "projects" / "classifier"


@pytest.fixture
def package(project: Path) -> Path:
    """The classifier package (train.py imports models.py, utils.py, data.py and the package's
    `__init__.py`; no other module imports a project module), copied into the working directory."""
    shutil.copytree(CLASSIFIER, project, dirs_exist_ok=True)
    return project / "classifier"


def _edit(path: Path) -> None:
    """A change that leaves the findings as they are (a comment), so only the re-checks differ."""
    path.write_text(path.read_text() + "# edited\n")


@pytest.mark.parametrize(
    ("edited", "rechecked"),
    [
        ("models.py", ["classifier/models.py", "classifier/train.py"]),
        # `__init__.py` never names torch: torch rules run on it because its sibling data.py does.
        ("data.py", ["classifier/__init__.py", "classifier/data.py", "classifier/train.py"]),
        ("utils.py", ["classifier/train.py", "classifier/utils.py"]),
        ("__init__.py", ["classifier/__init__.py", "classifier/train.py"]),
        ("train.py", ["classifier/train.py"]),
    ],
)
def test_a_warm_rerun_rechecks_the_edited_file_and_its_dependents_only(
    package: Path, checks: list[str], edited: str, rechecked: list[str]
) -> None:
    cold = nnlint("check", ".", "--format", "json")
    assert len(checks) == 5
    checks.clear()
    assert nnlint("check", ".", "--format", "json").stdout == cold.stdout
    assert checks == []
    _edit(package / edited)
    assert nnlint("check", ".", "--format", "json").stdout == cold.stdout
    assert sorted(checks) == rechecked


def test_a_module_that_did_not_parse_is_a_dependency_too(package: Path, checks: list[str]) -> None:
    models = package / "models.py"
    source = models.read_text()
    models.write_text(source + "def broken(:\n")
    first = nnlint("check", "classifier/train.py", "--format", "concise", "--quiet").stdout
    assert "classifier/models.py" not in first  # unparseable: unknown, silent
    models.write_text(source)
    second = nnlint("check", "classifier/train.py", "--format", "concise", "--quiet").stdout
    assert checks == ["classifier/train.py", "classifier/train.py"]
    assert "classifier/models.py:14:16: NN401" in second


NET_WITH_SOFTMAX = """import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return F.softmax(self.fc(x), dim=1)
"""
TRAIN_IMPORTING = """import torch
import torch.nn as nn
from {module} import Net

model = Net()
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for x, y in loader:
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
"""


@pytest.mark.parametrize(
    ("module", "created"),
    [
        ("models", {"models.py": NET_WITH_SOFTMAX}),
        # The first missing piece was the folder: creating the package in it counts too.
        ("nets.models", {"nets/__init__.py": "", "nets/models.py": NET_WITH_SOFTMAX}),
    ],
)
def test_a_module_created_where_an_import_looked_makes_the_warm_rerun_miss(
    project: Path, checks: list[str], module: str, created: dict[str, str]
) -> None:
    """A cached result rests on the modules its imports did not find, too: once the module an import now
    resolves to exists, the result is checked again (here it then finds the softmax fed to the loss)."""
    (project / "pyproject.toml").write_text("")
    (project / "train.py").write_text(TRAIN_IMPORTING.format(module=module))
    command = ("check", "train.py", "--format", "concise", "--quiet", "--select", "NN401")
    assert nnlint(*command).stdout == ""  # the module does not exist: unknown, silent
    assert nnlint(*command).stdout == ""
    assert checks == ["train.py"]  # the warm rerun came from the cache
    for name, text in created.items():
        (project / name).parent.mkdir(exist_ok=True)
        (project / name).write_text(text)
    found = nnlint(*command).stdout
    assert checks == ["train.py", "train.py"]
    assert f"{created and list(created)[-1]}:11:16: NN401" in found


def test_a_new_caller_module_makes_the_callees_warm_rerun_miss(project: Path, checks: list[str]) -> None:
    """A result that rests on who calls a function (an evaluation function of the package's API that no
    project module calls must set the mode itself) holds while the project's modules are the same ones."""
    (project / "pyproject.toml").write_text("")
    (project / "pkg").mkdir()
    (project / "pkg" / "__init__.py").write_text("")
    (project / "pkg" / "models.py").write_text(
        "import torch\n\ndef test_model(loader, model):\n    with torch.no_grad():\n"
        "        for x, y in loader:\n            out = model(x)\n    return out\n"
    )
    command = ("check", "pkg/models.py", "--format", "concise", "--quiet", "--select", "NN404")
    assert "pkg/models.py:4:" in nnlint(*command).stdout
    assert "pkg/models.py:4:" in nnlint(*command).stdout
    assert checks == ["pkg/models.py"]  # the warm rerun came from the cache
    (project / "pkg" / "run.py").write_text("from pkg.models import test_model\n\ntest_model(loader, net)\n")
    assert nnlint(*command).stdout == ""  # a caller may set the mode first: unknown, silent
    assert checks == ["pkg/models.py", "pkg/models.py"]


def test_a_project_copied_with_its_cache_sees_edits_of_its_own_modules(
    package: Path, checks: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entries name their dependencies by absolute path: the copy's train.py depends on the copy's models.py,
    not on the original's, so editing the copy's models.py makes its train.py miss."""
    nnlint("check", ".")
    copy = package.parent.parent / "copy"
    shutil.copytree(package.parent, copy)
    monkeypatch.chdir(copy)
    checks.clear()
    _edit(copy / "classifier" / "models.py")
    nnlint("check", ".")
    assert "classifier/train.py" in checks
