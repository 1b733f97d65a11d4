"""Fixing notebooks: only the changed cells are rewritten; outputs, metadata and the JSON layout stay.

The fixes come from a rule defined here, run through the real engine (check_notebook builds the fixes,
fix_notebook_pass applies them), so these tests do not wait for the shipped rules to offer fixes.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import libcst as cst
import pytest

from nnlint.config import Overrides
from nnlint.engine.context import FileContext
from nnlint.finding import Finding, Severity
from nnlint.fixes import UnparsableFix
from nnlint.notebook import check_notebook, fix_notebook_pass
from nnlint.rule import Rule, RuleFix
from nnlint.session import CheckOptions, run_check

BUGGY = Path(__file__).resolve().parents[2] / "fixtures" / "notebooks" / "buggy_training.ipynb"


class RenameSlowCalls(Rule):
    """Flags `slow_sum(...)` (safe fix: `fast_sum`), `risky_sum(...)` (unsafe fix: `fast_sum`) and
    `broken_sum(...)`, whose fix does not parse."""

    code = "NN990"
    name = "test-slow-sum"
    severity = Severity.WARNING
    message = "Call `fast_sum` instead."
    needs_torch = False

    def visit_Call(self, node: cst.Call) -> None:
        if not isinstance(node.func, cst.Name):
            return
        if node.func.value in ("slow_sum", "risky_sum"):
            safe = node.func.value == "slow_sum"
            self.report(node, fix=RuleFix("Use fast_sum", ((node.func, cst.Name("fast_sum")),), safe=safe))
        elif node.func.value == "broken_sum":
            self.report(node, fix=RuleFix("Break it", ((node.func, "fast_sum(("),)))


class FillPlaceholder(Rule):
    """Flags `needs_setup()`; its fix edits another place: the `PLACEHOLDER` name, wherever it is."""

    code = "NN991"
    name = "test-fill-placeholder"
    severity = Severity.WARNING
    message = "Fill the placeholder."
    needs_torch = False

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self.placeholder: cst.Name | None = None
        self.calls: list[cst.Call] = []

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == "PLACEHOLDER":
            self.placeholder = node

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "needs_setup":
            self.calls.append(node)

    def finish(self) -> None:
        for call in self.calls:
            replacements = ((self.placeholder, cst.Name("setup_done")),) if self.placeholder else ()
            self.report(call, fix=RuleFix("Fill it", replacements))


RULES: list[type[Rule]] = [RenameSlowCalls, FillPlaceholder]


def jupyter_notebook(*sources: str | list[str], newline: str = "\n") -> bytes:
    """Code cells (with outputs and metadata) between markdown cells, written the way Jupyter writes them."""
    cells: list[dict] = [{"cell_type": "markdown", "id": "intro", "metadata": {}, "source": ["# Title"]}]
    for number, source in enumerate(sources):
        cells.append(
            {
                "cell_type": "code",
                "execution_count": number + 1,
                "id": f"c{number}",
                "metadata": {"tags": ["keep-me"]},
                "outputs": [{"name": "stdout", "output_type": "stream", "text": ["42 ✓\n"]}],
                "source": source,
            }
        )
    raw = {
        "cells": cells,
        "metadata": {"kernelspec": {"language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    text = json.dumps(raw, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    return text.replace("\n", newline).encode("utf-8")


def fix_once(data: bytes, findings: list[Finding], unsafe: bool = False) -> bytes | None:
    """The notebook after one fix pass, or None when nothing changes."""
    fixed = fix_notebook_pass(data, findings, unsafe)
    return None if fixed is None else fixed[0]


def fix(data: bytes, unsafe: bool = False) -> bytes | None:
    return fix_once(data, check_notebook("nb.ipynb", data, RULES).findings, unsafe)


def test_fix_rewrites_only_the_changed_cell() -> None:
    data = jupyter_notebook(["x = 1\n", "y = 2"], ["total = slow_sum(xs)\n", "print(total)"])
    fixed = fix(data)
    assert fixed is not None
    before, after = data.decode().splitlines(), fixed.decode().splitlines()
    assert len(before) == len(after)
    assert [(b, a) for b, a in zip(before, after, strict=True) if b != a] == [
        ('    "total = slow_sum(xs)\\n",', '    "total = fast_sum(xs)\\n",')
    ]


def test_a_second_fix_changes_nothing() -> None:
    fixed = fix(jupyter_notebook(["total = slow_sum(xs)\n", "other = slow_sum(ys)"]))
    assert fixed is not None
    assert check_notebook("nb.ipynb", fixed, RULES).findings == []
    assert fix(fixed) is None


def test_unsafe_fixes_need_the_flag() -> None:
    data = jupyter_notebook(["total = risky_sum(xs)"])
    assert fix(data) is None
    fixed = fix(data, unsafe=True)
    assert fixed is not None
    assert json.loads(fixed)["cells"][1]["source"] == ["total = fast_sum(xs)"]


def test_layout_of_the_file_is_kept() -> None:
    crlf = jupyter_notebook("total = slow_sum(xs)\n", newline="\r\n")  # a string source, CRLF file
    fixed = fix(crlf)
    assert fixed is not None
    assert fixed == crlf.replace(b"slow_sum", b"fast_sum")


def test_fixes_are_located_by_cell_around_magics() -> None:
    data = jupyter_notebook(["%matplotlib inline\n", "a = slow_sum(xs)"], ["!ls\n", "b = slow_sum(ys)"])
    fixed = fix(data)
    assert fixed is not None
    sources = [cell["source"] for cell in json.loads(fixed)["cells"]]
    assert sources[1:] == [["%matplotlib inline\n", "a = fast_sum(xs)"], ["!ls\n", "b = fast_sum(ys)"]]


def test_no_fix_for_an_unreadable_notebook() -> None:
    assert fix_notebook_pass(b"not json", [], unsafe=True) is None


def test_a_fix_that_would_not_parse_raises_for_the_fix_loop_to_withhold_it() -> None:
    data = jupyter_notebook(["a = slow_sum(xs)\n", "b = broken_sum(ys)"])
    findings = check_notebook("nb.ipynb", data, RULES).findings
    assert len(findings) == 2
    with pytest.raises(UnparsableFix):
        fix_notebook_pass(data, findings, unsafe=False)
    assert fix_notebook_pass(data, [f for f in findings if f.location.row == 1], unsafe=False) == (
        data.replace(b"slow_sum", b"fast_sum"),
        1,
    )


def test_a_fix_may_edit_another_cell_than_its_finding() -> None:
    data = jupyter_notebook(["mode = PLACEHOLDER\n", "x = 1"], ["y = 2\n", "needs_setup()"])
    [finding] = check_notebook("nb.ipynb", data, RULES).findings
    assert finding.cell == 3
    assert finding.fix is not None
    [edit] = finding.fix.edits
    assert (edit.cell, edit.location.row, edit.location.column) == (2, 1, 8)
    assert finding.to_json()["fix"]["edits"][0]["cell"] == 2
    fixed = fix_notebook_pass(data, [finding], unsafe=False)
    assert fixed is not None
    assert fixed[1] == 1
    sources = [cell["source"] for cell in json.loads(fixed[0])["cells"]]
    assert sources[1:] == [["mode = setup_done\n", "x = 1"], ["y = 2\n", "needs_setup()"]]


def test_an_edit_that_lost_its_cell_is_not_applied() -> None:
    data = jupyter_notebook(["mode = PLACEHOLDER\n", "needs_setup()"])
    [finding] = check_notebook("nb.ipynb", data, RULES).findings
    assert finding.fix is not None
    finding.fix = replace(finding.fix, edits=tuple(replace(e, cell=None) for e in finding.fix.edits))
    assert fix_notebook_pass(data, [finding], unsafe=False) is None


def test_fixing_the_fixture_notebook_keeps_every_other_byte() -> None:
    original = BUGGY.read_bytes()  # written by Jupyter's rules: indent 1, sorted keys, UTF-8, outputs
    assert b'"print(len(files))"' in original
    slow = original.replace(b'"print(len(files))"', b'"print(slow_sum(files))"')
    fixed = fix_once(slow, check_notebook(str(BUGGY), slow, RULES).findings)
    assert fixed == original.replace(b'"print(len(files))"', b'"print(fast_sum(files))"')


def test_check_fix_counts_applied_notebook_fixes_and_withholds_one_that_would_not_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`nnlint check --fix` fixes notebooks through fix_notebook_pass: it counts the fixes applied, and a
    fix that would leave a cell unparsable is withheld with a warning while the others still apply."""
    monkeypatch.setattr("nnlint.session.rules_for_codes", lambda codes: RULES)
    path = tmp_path / "nb.ipynb"
    data = jupyter_notebook(["a = slow_sum(xs)\n", "b = broken_sum(ys)"])
    path.write_bytes(data)
    outcome = run_check([path], Overrides(), options=CheckOptions(fix=True))
    assert outcome.fixed == 1
    assert [warning.split(": ", 1)[1] for warning in outcome.warnings] == [
        "fixes of NN990 were not applied: the file would not parse afterwards (please report this)"
    ]
    assert [(f.cell, f.location.row) for f in outcome.findings] == [(2, 2)]  # broken_sum remains
    assert path.read_bytes() == data.replace(b"slow_sum", b"fast_sum")
