"""Findings that one file's check reports in another file: the settings of the file they land in decide.

A check of train.py may report the softmax in models.py (the line to change, found through the project's
imports). Such a finding is the other file's: its per-file ignores and enabled codes apply (its noqa
comments were applied by the runner already), and when several checked files lead to the same place, or
models.py reports it itself, it is shown once.
"""

from __future__ import annotations

from pathlib import Path

from nnlint.config import Config, Overrides, config_for
from nnlint.finding import Finding
from nnlint.rule import all_rules


def settle(findings: list[Finding], explicit: Config | None, overrides: Overrides) -> list[Finding]:
    """Drop duplicates, and findings of cross-file rules where the settings of their file disable them."""
    cross_file = {rule.code for rule in all_rules() if rule.cross_file}
    enabled: dict[str, frozenset[str]] = {}
    kept: list[Finding] = []
    seen: set[tuple[str, str, int | None, int, int]] = set()
    for finding in findings:
        key = (finding.code, finding.filename, finding.cell, finding.location.row, finding.location.column)
        if key in seen:
            continue
        seen.add(key)
        if finding.code in cross_file:
            if finding.filename not in enabled:
                path = Path(finding.filename)
                enabled[finding.filename] = config_for(path, explicit).enabled_codes(path, overrides)
            if finding.code not in enabled[finding.filename]:
                continue
        kept.append(finding)
    return kept
