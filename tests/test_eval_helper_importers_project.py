"""NN503 on an evaluation helper of a package that scripts import: whether the importers chose its grad mode.

A text search answers first (a module that says `test(`, imports a module of the helper's name and names
`no_grad` may call it under `no_grad`); when it says "maybe", the importers' calls are read: GraphXAI's
graph-classification `test(model, loader)` is called at module level by scripts that name `no_grad` for
another forward and import an unrelated `graphxai.utils`, so nothing chose its mode and its loop is reported.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from project_tree import checked_findings, write_tree

_HELPER = """import torch


def test(model, data_loader):
    model.eval()
    correct = 0
    for data in data_loader:
        out = model(data.x)
        correct += int((out.argmax(dim=1) == data.y).sum())
    return correct / len(data_loader.dataset)
"""

_SCRIPT = """import torch
from lab.models.utils import test
from lab.utils import explain

model = build()
loader = load()
{call}
with torch.no_grad():
    prediction = model(sample)
explain(model, sample)
"""


def _rows(root: Path, call: str, extra: dict[str, str] | None = None) -> list[int]:
    files = {
        "lab/__init__.py": "",
        "lab/utils.py": "def explain(model, x):\n    return x\n",
        "lab/models/__init__.py": "",
        "lab/models/utils.py": _HELPER,
        "scripts/run.py": _SCRIPT.format(call=call),
        **(extra or {}),
    }
    write_tree(root, files, project_marker=True)
    target = root / "lab/models/utils.py"
    return [f.location.row for f in checked_findings([target], {"NN503"}) if f.filename.endswith("utils.py")]


@pytest.mark.parametrize(
    ("call", "rows"),
    [
        ("accuracy = test(model, loader)", [7]),  # called with recording on: the loop is reported
        ("with torch.no_grad():\n    accuracy = test(model, loader)", []),  # the importer chose
        ("accuracy = evaluate(model, loader)", [7]),  # the text's "maybe" never matched a call of it
    ],
)
def test_an_importer_that_calls_the_helper_with_recording_on_chose_nothing(
    tmp_path: Path, call: str, rows: list[int]
) -> None:
    assert _rows(tmp_path, call) == rows


def test_a_call_that_resolves_to_nothing_leaves_the_helper_unknown(tmp_path: Path) -> None:
    """A second importer whose call spelled `.test(...)` resolves to nothing (a method of an object it
    was handed) may run the helper under any mode: the text's "maybe" stands, and the loop stays silent."""
    other = {
        "scripts/other.py": (
            "import torch\nfrom lab.models.utils import test\n\nrunner = make_runner(test)\n"
            "with torch.no_grad():\n    pass\nacc = runner.test(model, loader)\n"
        )
    }
    assert _rows(tmp_path, "accuracy = test(model, loader)", other) == []
