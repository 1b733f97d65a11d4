"""Checking notebooks: cells joined as the kernel runs them, IPython syntax masked, findings by cell.

The fixture notebooks in fixtures/notebooks/ mark each expected finding with `# expect: NN204` on the cell
line it must start on, like the script fixtures; every other line must stay silent.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from nnlint.cli import main
from nnlint.notebook import check_notebook, mask_ipython
from nnlint.rule import all_rules, rule_by_code_or_name

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "notebooks"
NOTEBOOKS = sorted(FIXTURES.glob("*.ipynb"))
EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>NN\d{3}(?:\s*,\s*NN\d{3})*)")
NN204 = [rule_by_code_or_name("NN204")]


def notebook(*cells: tuple[str, str], language: str = "python") -> bytes:
    """A Jupyter-style notebook of (cell_type, source) pairs."""
    raw = {
        "cells": [
            {"cell_type": kind, "metadata": {}, "source": source.splitlines(keepends=True)}
            | ({"execution_count": None, "outputs": []} if kind == "code" else {})
            for kind, source in cells
        ],
        "metadata": {"kernelspec": {"language": language, "name": "k", "display_name": "k"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return (json.dumps(raw, indent=1) + "\n").encode()


SETUP = """import torch
model = torch.nn.Linear(2, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
"""
BUGGY_LOOP = """for x, y in loader:
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    optimizer.zero_grad()
    optimizer.step()
"""


def expected_in(path: Path) -> set[tuple[int, int, str]]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    expected = set()
    for number, cell in enumerate(raw["cells"], start=1):
        for row, line in enumerate("".join(cell["source"]).splitlines(), start=1):
            match = EXPECT.search(line)
            if match and cell["cell_type"] == "code":
                expected |= {(number, row, code.strip()) for code in match.group("codes").split(",")}
    return expected


def test_there_is_a_buggy_and_a_clean_fixture() -> None:
    assert any(expected_in(path) for path in NOTEBOOKS)
    assert any(not expected_in(path) for path in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_fixture_notebook_findings_match_expectations(path: Path) -> None:
    result = check_notebook(str(path), path.read_bytes(), list(all_rules()))
    assert result.crashes == []
    actual = {(f.cell, f.location.row, f.code) for f in result.findings}
    assert actual == expected_in(path)


def test_names_flow_between_cells_and_rows_count_within_the_cell() -> None:
    data = notebook(("markdown", "# Setup"), ("code", SETUP), ("markdown", "Train"), ("code", BUGGY_LOOP))
    [finding] = check_notebook("nb.ipynb", data, NN204).findings
    # Cells count markdown too (cell 4 is the second code cell); rows and columns count within it.
    assert (finding.cell, finding.location.row, finding.location.column) == (4, 4, 5)
    assert (finding.end_location.row, finding.end_location.column) == (4, 26)
    assert finding.filename == "nb.ipynb"


def test_magics_shell_escapes_and_help_keep_rows_in_place() -> None:
    cell = "%load_ext autoreload\n!nvidia-smi\ntorch.nn.Linear?\n" + BUGGY_LOOP
    data = notebook(("code", SETUP), ("code", cell))
    [finding] = check_notebook("nb.ipynb", data, NN204).findings
    assert (finding.cell, finding.location.row) == (2, 7)


def test_a_foreign_cell_magic_skips_the_cell_and_a_python_one_is_checked() -> None:
    bash = notebook(("code", SETUP), ("code", "%%bash\n" + BUGGY_LOOP))
    assert check_notebook("nb.ipynb", bash, NN204).findings == []
    timed = notebook(("code", SETUP), ("code", "%%time\n" + BUGGY_LOOP))
    [finding] = check_notebook("nb.ipynb", timed, NN204).findings
    assert (finding.cell, finding.location.row) == (2, 5)


def test_a_cell_indented_as_a_whole_runs_as_ipython_dedents_it() -> None:
    """IPython strips the first line's leading whitespace from every line that starts with it (a cell
    pasted with one space in front, rasbt/machine-learning-book ch13_part1.ipynb): the cell is checked,
    not reported as "unexpected indent", and its findings keep the columns of the cell as written. The
    dedented rows take no fix: their checked text is not what the cell says."""
    indented = "".join(" " + line for line in BUGGY_LOOP.splitlines(keepends=True))
    data = notebook(("code", SETUP), ("code", indented))
    [finding] = check_notebook("nb.ipynb", data, NN204).findings
    assert (finding.code, finding.cell, finding.location.row, finding.location.column) == ("NN204", 2, 4, 6)
    assert finding.fix is None or all(edit.cell != 2 for edit in finding.fix.edits)


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        ("%matplotlib inline", ""),
        ("!pip install torch", ""),
        ("files = !ls *.pt", "files = ..."),
        ("a, b = %time f()", "a, b = ..."),
        ("torch.nn.Linear?", ""),
        ("??torch.nn.functional.softmax", ""),
        ("x = a % b", "x = a % b"),  # the modulo operator, not a magic
        ("ok = a != b", "ok = a != b"),
        ("print('why?')", "print('why?')"),
    ],
)
def test_mask_line(line: str, masked: str) -> None:
    lines, rows = mask_ipython(line + "\n")
    assert lines == [masked]
    assert rows == (frozenset({1}) if masked != line else frozenset())


def test_mask_keeps_blocks_valid_and_follows_continuations() -> None:
    lines, rows = mask_ipython("for i in range(2):\n    %time step()\n!echo a \\\n  b\nx = 1")
    assert lines == ["for i in range(2):", "    pass", "", "", "x = 1"]
    assert rows == {2, 3, 4}


def test_noqa_in_a_cell_suppresses() -> None:
    loop = BUGGY_LOOP.replace("optimizer.zero_grad()", "optimizer.zero_grad()  # noqa: NN204")
    assert check_notebook("nb.ipynb", notebook(("code", SETUP), ("code", loop)), NN204).findings == []


def test_a_cell_that_does_not_parse_is_reported_and_the_others_are_still_checked() -> None:
    data = notebook(("code", SETUP), ("code", "def broken(:\n    pass\n"), ("code", BUGGY_LOOP))
    findings = check_notebook("nb.ipynb", data, NN204).findings
    assert [(f.code, f.cell, f.location.row) for f in findings] == [("NN000", 2, 1), ("NN204", 3, 4)]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"cells": [', "invalid JSON at line 1 column 12"),
        (b'{"cells": "\xff"}', "not UTF-8"),
        (b"[1, 2]", "no nbformat version"),
        (json.dumps({"nbformat": 3, "worksheets": []}).encode(), "nbformat 3"),
        (json.dumps({"nbformat": 4, "cells": "x"}).encode(), "its `cells` is not a list"),
        (json.dumps({"nbformat": 4}).encode(), "its `cells` is not a list"),
        (
            json.dumps({"nbformat": 4, "cells": [{"cell_type": "code", "source": 7}]}).encode(),
            "text `source`",
        ),
    ],
)
def test_unreadable_notebook_is_an_nn000_finding(data: bytes, reason: str) -> None:
    [finding] = check_notebook("bad.ipynb", data, list(all_rules())).findings
    assert finding.code == "NN000"
    assert reason in finding.message
    assert finding.cell is None


def test_a_notebook_with_another_kernel_language_is_skipped() -> None:
    data = notebook(("code", SETUP), ("code", BUGGY_LOOP), language="R")
    assert check_notebook("r.ipynb", data, NN204).findings == []


def test_cli_finds_notebooks_and_shows_the_cell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "train.ipynb").write_bytes(notebook(("markdown", "# Title"), ("code", SETUP + BUGGY_LOOP)))
    (tmp_path / "clean.ipynb").write_bytes(notebook(("code", SETUP)))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", ".", "--format", "concise", "--select", "NN204"])
    assert result.exit_code == 1, result.output
    assert result.output.splitlines()[0].startswith("train.ipynb[cell 2]:7:5: NN204 ")
    assert "in 2 files" in result.output
    as_json = CliRunner().invoke(main, ["check", "train.ipynb", "--format", "json", "--select", "NN204"])
    assert [(f["cell"], f["location"]["row"]) for f in json.loads(as_json.output)] == [(2, 7)]
