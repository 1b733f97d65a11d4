"""A run (`project_run`): the file tree is confirmed once for all the files `nnlint check` checks, not once
per file. What must hold: a run that writes (--fix) never leaves a later file a stale copy of what it wrote,
a write inside a run (`files_changed`) ends what the run had confirmed, and outside a run (the language
server, a library caller checking one file) each check confirms the tree again."""

from __future__ import annotations

from pathlib import Path

import pytest
from project_tree import write_tree

from nnlint.config import Overrides, rules_for_codes
from nnlint.engine import project
from nnlint.engine.project import files_changed, project_run
from nnlint.runner import check_bytes
from nnlint.session import CheckOptions, run_check

_API = (
    "import torch\n\ndef test_model(loader, model):\n    with torch.no_grad():\n"
    "        for x, y in loader:\n            out = model(x)\n    return out\n"
)
_CALLER = "from pkg.models import test_model\n\ntest_model(loader, net)\n"

# models.py has a fixable finding (the softmax written inside the loss call); train.py imports from it.
_MODELS = """import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return F.softmax(self.fc(x), 1)


def step(x, y):
    return nn.CrossEntropyLoss()(F.softmax(x, 1), y)
"""
_TRAIN = "from models import Net, step\n\nloss = step(Net()(x), y)\n"


def _nn404(path: Path) -> list[int]:
    """The NN404 rows of one check of `path`, as the language server checks a document: no run of its own."""
    result = check_bytes(path.as_posix(), path.read_bytes(), rules_for_codes(frozenset({"NN404"})))
    return [f.location.row for f in result.findings]


def test_a_run_confirms_the_tree_once_and_a_write_ends_that(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_tree(
        tmp_path, {"pyproject.toml": "", "pkg/__init__.py": "", "pkg/models.py": _API, "pkg/run.py": ""}
    )
    models = Path("pkg/models.py")
    with project_run():
        assert _nn404(models) == [4]  # nobody in the project calls the evaluation function
        generation = project._check_number
        write_tree(tmp_path, {"pkg/run.py": _CALLER})
        assert _nn404(models) == [4]  # the run holds the tree as it was: no stat, no new listing
        assert project._check_number == generation
        files_changed()  # what a write inside the run does
        assert _nn404(models) == []  # a caller may set the mode first: unknown, silent
    # Outside a run every check confirms the tree again: an edit is seen by the very next check.
    write_tree(tmp_path, {"pkg/run.py": "x = 1\n"})
    assert _nn404(models) == [4]
    write_tree(tmp_path, {"pkg/run.py": _CALLER})
    assert _nn404(models) == []


def test_a_check_run_sees_the_tree_as_it_is_when_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two `nnlint check` runs in one process (a library caller, the benchmark): the second is a new run
    and sees a module created after the first."""
    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path, {"pyproject.toml": "", "pkg/__init__.py": "", "pkg/models.py": _API})
    overrides = Overrides(select=frozenset({"NN404"}))
    assert [f.location.row for f in run_check([Path("pkg")], overrides).findings] == [4]
    write_tree(tmp_path, {"pkg/run.py": _CALLER})
    assert run_check([Path("pkg")], overrides).findings == []


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_fix_run_leaves_no_later_file_a_stale_copy_of_what_it_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    """models.py is fixed (written) before train.py, which imports it, is checked: the run's findings are
    those of a fresh check of the fixed tree. A run that writes holds no run (`run_check`), and each write
    ends what its process had confirmed (`files_changed`); the module store re-reads a module whose stamp
    changed in any case. A guard for the design, in one process and in workers."""
    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path, {"pyproject.toml": "", "models.py": _MODELS, "train.py": _TRAIN})
    overrides = Overrides(select=frozenset({"NN401"}))
    before = run_check([Path(".")], overrides).findings
    fixed = run_check([Path(".")], overrides, jobs=jobs, options=CheckOptions(fix=True))
    assert fixed.fixed == 1
    assert "CrossEntropyLoss()(x, y)" in (tmp_path / "models.py").read_text()
    fresh = run_check([Path(".")], overrides).findings
    assert fixed.findings == fresh
    assert [(f.filename, f.location.row) for f in before] == [("models.py", 15)]
    assert fresh == []
