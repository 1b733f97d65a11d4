"""Opt-in rules (the NN7 performance family): off by default and under ALL, on when named."""

from __future__ import annotations

import pytest

from nnlint.config import resolve_selectors
from nnlint.rule import all_rules, default_rules

OPT_IN = {rule.code for rule in all_rules() if rule.opt_in}


def test_the_performance_family_is_opt_in() -> None:
    assert OPT_IN == {"NN701", "NN702", "NN703"}
    assert not OPT_IN & {rule.code for rule in default_rules()}
    assert all(rule.family() == "performance (opt-in)" for rule in all_rules() if rule.opt_in)


@pytest.mark.parametrize("selector", ["ALL", "NN", "all"])
def test_broad_selectors_leave_opt_in_rules_out(selector: str) -> None:
    codes = resolve_selectors([selector], "test")
    assert not codes & OPT_IN
    assert "NN206" in codes and "NN503" in codes


@pytest.mark.parametrize(("selector", "expected"), [("NN7", OPT_IN), ("NN70", OPT_IN), ("NN702", {"NN702"})])
def test_family_prefix_or_code_selects_opt_in_rules(selector: str, expected: set[str]) -> None:
    assert resolve_selectors([selector], "test") == expected


def test_name_selects_an_opt_in_rule() -> None:
    assert resolve_selectors(["host-device-sync"], "test") == {"NN702"}


def test_ignore_all_includes_opt_in_rules() -> None:
    assert OPT_IN <= resolve_selectors(["ALL"], "test", inclusive=True)
