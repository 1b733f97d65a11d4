"""Where the two halves meet: the probe settles what the static rules can only suspect.

A static finding of a rule that sets `probe_settles` (NN101, NN102, NN601) is *confirmed* when a probe
localized a leak to one of its lines. A clean probe refutes only what it tested, cross-sample mixing: a
finding whose whole claim is that (NN102, a flatten that merges the batch) is *refuted* when the probe ran
its line and found none. A view that reorders dims within each sample (NN101) or targets the model is
trained on (NN601) are things a clean probe does not test: they stay reported, marked *not confirmed*.
A finding on code no probe ran stays as it was. This module only compares places; it never imports torch,
so `nnlint check` stays torch-free unless `--probe` is given.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Protocol

from nnlint.finding import Finding
from nnlint.rule import all_rules

CONFIRMED, REFUTED, NOT_CONFIRMED = "confirmed", "refuted", "not confirmed"
# The settleable findings whose claim is exactly what a clean probe rules out (cross-sample mixing). The
# others (NN101 can scramble data within one sample; NN601 is about the loss targets) are never refuted.
REFUTABLE = frozenset({"NN102"})

Frame = tuple[str, int]


class SettlingReport(Protocol):
    """What settling needs from a probe report (nnlint.probe.report.ProbeReport provides it)."""

    exercised: set[Frame] | None

    @property
    def clean(self) -> bool: ...

    def confirmed_lines(self) -> list[Frame]: ...


def _rows(finding: Finding) -> range:
    return range(finding.location.row, finding.end_location.row + 1)


def settle(findings: Iterable[Finding], reports: list[SettlingReport]) -> None:
    """Set `confirmation` on the static findings the probe reports can settle (in place)."""
    settleable = {rule.code for rule in all_rules() if rule.probe_settles}
    confirmed = {
        (os.path.abspath(name), line) for report in reports for name, line in report.confirmed_lines()
    }
    # Only a probe that found nothing can vouch that the code it ran is harmless.
    harmless = {
        (os.path.abspath(name), line)
        for report in reports
        if report.clean and report.exercised
        for name, line in report.exercised
    }
    for finding in findings:
        if finding.code not in settleable:
            continue
        path = os.path.abspath(finding.filename)
        places = {(path, row) for row in _rows(finding)}
        if places & confirmed:
            finding.confirmation = CONFIRMED
        elif places & harmless:
            finding.confirmation = REFUTED if finding.code in REFUTABLE else NOT_CONFIRMED


def split_refuted(findings: list[Finding], show_refuted: bool) -> tuple[list[Finding], int]:
    """The findings to show, and how many refuted ones were hidden."""
    if show_refuted:
        return findings, 0
    shown = [finding for finding in findings if finding.confirmation != REFUTED]
    return shown, len(findings) - len(shown)
