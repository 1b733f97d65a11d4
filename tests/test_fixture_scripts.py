"""Whole training scripts in fixtures/scripts/, checked with every rule, against the findings they expect.

A fixture marks each expected finding with a trailing `# expect: NN204` (several codes comma-separated) on
the line the finding must start on. Every other line must stay silent, so a clean script is simply a
fixture without markers: near-misses count as much as hits.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nnlint.rule import all_rules
from nnlint.runner import check_bytes

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "scripts"
EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>NN\d{3}(?:\s*,\s*NN\d{3})*)")
SCRIPTS = sorted(FIXTURES.rglob("*.py"))


def expected_findings(source: str) -> set[tuple[int, str]]:
    expected = set()
    for row, line in enumerate(source.splitlines(), start=1):
        match = EXPECT.search(line)
        if match:
            expected |= {(row, code.strip()) for code in match.group("codes").split(",")}
    return expected


def test_there_are_fixtures() -> None:
    assert len(SCRIPTS) >= 10


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_findings_match_expectations(script: Path) -> None:
    data = script.read_bytes()
    result = check_bytes(str(script), data, list(all_rules()))
    assert result.crashes == []
    actual = {(f.location.row, f.code) for f in result.findings}
    expected = expected_findings(data.decode("utf-8"))
    assert actual == expected, (
        f"unexpected: {sorted(actual - expected)}; missing: {sorted(expected - actual)}"
    )
