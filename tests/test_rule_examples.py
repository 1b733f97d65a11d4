"""Every rule's own examples, as tests: INVALID examples must trigger it, VALID near-misses must not.

This is the contract of a rule module: no rule ships without examples on both sides, and its docs follow
the template `nnlint rule CODE` prints.
"""

from __future__ import annotations

import pytest

from nnlint.fixes import apply_fixes
from nnlint.rule import Invalid, Rule, all_rules
from nnlint.runner import check_source, parse_source

RULES = all_rules()


def _cases(kind: str) -> list[tuple[type[Rule], int, str | Invalid]]:
    return [(rule, i, example) for rule in RULES for i, example in enumerate(getattr(rule, kind))]


def _id(case: tuple[type[Rule], int, object]) -> str:
    return f"{case[0].code}-{case[1]}"


@pytest.mark.parametrize("case", _cases("VALID"), ids=_id)
def test_valid_example_does_not_trigger(case: tuple[type[Rule], int, str]) -> None:
    rule, _, source = case
    findings = check_source("example.py", source, [rule]).findings
    assert [f for f in findings if f.code == rule.code] == [], source


@pytest.mark.parametrize("case", _cases("INVALID"), ids=_id)
def test_invalid_example_triggers(case: tuple[type[Rule], int, str | Invalid]) -> None:
    rule, _, example = case
    invalid = example if isinstance(example, Invalid) else Invalid(example)
    result = check_source("example.py", invalid.source, [rule])
    assert result.crashes == []
    hits = [f for f in result.findings if f.code == rule.code]
    assert hits, f"{rule.code} did not trigger on:\n{invalid.source}"
    if invalid.line is not None:
        assert invalid.line in [f.location.row for f in hits]
    if invalid.fixed is not None:
        fixed, applied = apply_fixes(invalid.source, hits, unsafe=True)
        assert applied
        assert fixed == invalid.fixed
        assert not isinstance(parse_source("fixed.py", fixed), type(hits[0]))


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_rule_is_complete(rule: type[Rule]) -> None:
    assert rule.code.startswith("NN") and rule.code[2:].isdigit() and len(rule.code) == 5
    assert rule.name == rule.name.lower() and " " not in rule.name
    assert rule.message.strip()
    assert len(rule.VALID) >= 2 and len(rule.INVALID) >= 2, "every rule needs hits and near-misses"
    docs = rule.docs()
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert section in docs, f"{rule.code} docs lack {section!r}"


def test_codes_and_names_are_unique() -> None:
    assert len({rule.code for rule in RULES}) == len(RULES)
    assert len({rule.name for rule in RULES}) == len(RULES)
