"""Adopting nnlint on an existing codebase: `--add-noqa` writes suppressions for today's findings, and
NN001 (unused-noqa) reports the suppressions that no longer suppress anything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from integration_helpers import BUGGY, ZERO_GRAD_ROW, nnlint

from nnlint.finding import Finding, Position, Severity
from nnlint.fixes import apply_edits
from nnlint.rule import Rule, all_rules, rule_by_code_or_name
from nnlint.runner import check_source
from nnlint.suppress import noqa_edits

ZERO_GRAD = "    optimizer.zero_grad()"


def codes(path: str, *args: str) -> list[tuple[str, int]]:
    run = nnlint("check", path, "--format", "json", *args)
    return [(f["code"], f["location"]["row"]) for f in json.loads(run.stdout)]


# -- --add-noqa --------------------------------------------------------------------------------------------


def test_add_noqa_silences_every_finding_and_is_idempotent(project: Path) -> None:
    path = project / "train.py"
    path.write_text(BUGGY)
    before = codes("train.py")
    assert len(before) >= 3
    run = nnlint("check", "train.py", "--add-noqa")
    assert run.code == 0
    assert f"added {len({row for _, row in before})} noqa directives" in run.stderr
    annotated = path.read_text()
    assert f"{ZERO_GRAD}  # noqa: NN204\n" in annotated
    assert codes("train.py") == []
    again = nnlint("check", "train.py", "--add-noqa")
    assert "added 0 noqa directives" in again.stderr
    assert path.read_text() == annotated


def test_add_noqa_merges_into_an_existing_noqa_and_keeps_the_rest_of_the_line(project: Path) -> None:
    path = project / "train.py"
    path.write_text(
        BUGGY.replace(ZERO_GRAD, f"{ZERO_GRAD}  # noqa: E501  # why").replace(
            "total += loss", "total += loss  # running sum"
        )
    )
    nnlint("check", "train.py", "--add-noqa")
    text = path.read_text()
    assert f"{ZERO_GRAD}  # noqa: E501, NN204  # why\n" in text
    assert "total += loss  # running sum  # noqa: NN501\n" in text
    assert codes("train.py") == []


def test_add_noqa_avoids_lines_that_end_inside_a_string_or_continue() -> None:
    source = 'x = f("""a\nb""")\ny = 1 + \\\n    2\n'

    def at(row: int, end_row: int) -> Finding:
        return Finding("NN101", "n", "m", "t.py", Position(row, 1), Position(end_row, 2), Severity.WARNING)

    edits = noqa_edits(source, [at(1, 2), at(3, 4)])
    assert len(edits) == 2
    expected = 'x = f("""a\nb""")  # noqa: NN101\ny = 1 + \\\n    2  # noqa: NN101\n'
    assert apply_edits(source, edits) == expected


def test_add_noqa_keeps_crlf_line_endings() -> None:
    finding = Finding("NN101", "n", "m", "t.py", Position(2, 1), Position(2, 2), Severity.WARNING)
    source = "x = 1\r\ny = 2\r\n"
    assert apply_edits(source, noqa_edits(source, [finding])) == "x = 1\r\ny = 2  # noqa: NN101\r\n"


def test_add_noqa_never_suppresses_nn001(project: Path) -> None:
    (project / "a.py").write_text("x = 1  # noqa: NN204\n")
    nnlint("check", "a.py", "--add-noqa")
    assert (project / "a.py").read_text() == "x = 1  # noqa: NN204\n"


# -- NN001 unused-noqa -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        f"{ZERO_GRAD}  # noqa",
        f"{ZERO_GRAD}  # noqa: NN204",
        f"{ZERO_GRAD}  # noqa: zero-grad-after-backward",
        f"{ZERO_GRAD}  # nnlint: ignore[NN204]",
        f"{ZERO_GRAD}  # nnlint: ignore",
        f"{ZERO_GRAD}  # noqa: E501, NN204",
    ],
)
def test_a_suppression_that_suppresses_something_is_not_reported(project: Path, line: str) -> None:
    (project / "train.py").write_text(BUGGY.replace(ZERO_GRAD, line))
    found = codes("train.py")
    assert ("NN204", ZERO_GRAD_ROW) not in found
    assert "NN001" not in {code for code, _ in found}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("    loss.backward()  # noqa: NN204", "`NN204` suppresses nothing on this line"),
        ("    loss.backward()  # nnlint: ignore[NN204]", "`NN204` suppresses nothing on this line"),
        ("    loss.backward()  # nnlint: ignore", "This suppression suppresses nothing"),
        (
            "    loss.backward()  # noqa: NN204, NN240",
            "`NN204` suppresses nothing on this line; `NN240` is not",
        ),
    ],
)
def test_a_stale_suppression_is_reported_and_fixed(project: Path, line: str, message: str) -> None:
    path = project / "train.py"
    path.write_text(BUGGY.replace("    loss.backward()", line))
    findings = json.loads(nnlint("check", "train.py", "--format", "json").stdout)
    (stale,) = [f for f in findings if f["code"] == "NN001"]
    assert stale["location"]["row"] == ZERO_GRAD_ROW - 1
    assert message in stale["message"]
    assert stale["fix"]["applicability"] == "safe"
    nnlint("check", "train.py", "--fix")
    assert "    loss.backward()\n" in path.read_text()
    assert "NN001" not in {code for code, _ in codes("train.py")}


def test_foreign_codes_and_disabled_rules_are_not_judged(project: Path) -> None:
    (project / "train.py").write_text(
        BUGGY.replace("    loss.backward()", "    loss.backward()  # noqa: E501, NN204")
    )
    assert ("NN001", ZERO_GRAD_ROW - 1) in codes("train.py")
    assert "NN001" not in {code for code, _ in codes("train.py", "--ignore", "NN204")}
    (project / "other.py").write_text("x = 1  # noqa: E501, W291\n")
    assert codes("other.py") == []


def test_an_unused_file_level_ignore_is_reported(project: Path) -> None:
    (project / "train.py").write_text("# nnlint: file-ignore[NN203]\n" + BUGGY)
    findings = json.loads(nnlint("check", "train.py", "--format", "json").stdout)
    (stale,) = [f for f in findings if f["code"] == "NN001"]
    assert stale["location"] == {"row": 1, "column": 1}
    assert "`NN203` suppresses nothing in this file" in stale["message"]
    (project / "used.py").write_text("# nnlint: file-ignore[NN204]\n" + BUGGY)
    assert "NN001" not in {code for code, _ in codes("used.py")}


def test_nn001_can_itself_be_suppressed(project: Path) -> None:
    (project / "a.py").write_text("x = 1  # noqa: NN204, NN001\n")
    (project / "b.py").write_text("# nnlint: file-ignore[unused-noqa]\nx = 1  # noqa: NN204\n")
    assert codes("a.py") == [] and codes("b.py") == []


def test_a_crashed_rule_makes_no_suppression_stale() -> None:
    class Broken(Rule):
        code = "NN501"  # stands in for a real rule that crashes on this file
        name = "broken"
        message = "never"

        def visit_Name(self, node: object) -> None:
            raise ValueError("boom")

    unused_noqa = rule_by_code_or_name("NN001")
    nn204 = rule_by_code_or_name("NN204")
    assert unused_noqa is not None and nn204 is not None
    source = "import torch\nx = 1  # noqa: NN501\ny = 2  # noqa: NN204\n"
    result = check_source("t.py", source, [Broken, unused_noqa, nn204])
    assert [crash.code for crash in result.crashes] == ["NN501"]
    assert [(f.code, f.location.row) for f in result.findings] == [("NN001", 3)]


def test_nn001_is_registered_and_documented() -> None:
    rule = rule_by_code_or_name("unused-noqa")
    assert rule is not None and rule in all_rules() and rule.code == "NN001"
    assert "## Why is this bad?" in rule.docs()
