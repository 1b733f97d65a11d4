"""Whole training scripts in fixtures/scripts/, checked with the default rules, against the findings they
expect.

A fixture marks each expected finding with a trailing `# expect: NN204` (several codes comma-separated) on
the line the finding must start on. Every other line must stay silent, so a clean script is simply a
fixture without markers: near-misses count as much as hits. A fixture for opt-in rules says so with a
`# fixture: extend-select NN7` line; it is then checked with those rules as well.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nnlint.config import resolve_selectors
from nnlint.rule import all_rules, default_rules
from nnlint.runner import check_bytes

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "scripts"
EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>NN\d{3}(?:\s*,\s*NN\d{3})*)")
EXTEND = re.compile(r"^#\s*fixture:\s*extend-select\s+(?P<selectors>\S+)", re.MULTILINE)
SCRIPTS = sorted(FIXTURES.rglob("*.py"))


def expected_findings(source: str) -> set[tuple[int, str]]:
    expected = set()
    for row, line in enumerate(source.splitlines(), start=1):
        match = EXPECT.search(line)
        if match:
            expected |= {(row, code.strip()) for code in match.group("codes").split(",")}
    return expected


def rules_for(source: str) -> list:
    """The default rules, plus the opt-in ones a `# fixture: extend-select` line names."""
    extra: set[str] = set()
    for match in EXTEND.finditer(source):
        extra |= resolve_selectors(match.group("selectors").split(","), "fixture")
    return [*default_rules(), *(rule for rule in all_rules() if rule.code in extra and rule.opt_in)]


def test_there_are_fixtures() -> None:
    assert len(SCRIPTS) >= 10


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_findings_match_expectations(script: Path) -> None:
    data = script.read_bytes()
    result = check_bytes(str(script), data, rules_for(data.decode("utf-8")))
    assert result.crashes == []
    actual = {(f.location.row, f.code) for f in result.findings}
    expected = expected_findings(data.decode("utf-8"))
    assert actual == expected, (
        f"unexpected: {sorted(actual - expected)}; missing: {sorted(expected - actual)}"
    )
