"""`--format gitlab`: a GitLab Code Quality report (the Code Climate subset GitLab reads), shown in merge
requests when a CI job saves it as `artifacts: reports: codequality`.

Each finding is an issue with `description`, `check_name` (the code), `fingerprint`, `severity` (error:
critical, warning: major, info: info) and `location` (`path`, `lines.begin`/`end`). The fingerprint is a hash
of the file, code and message (not the line), so GitLab sees a finding that moved as the same finding and
reports only new ones as new; identical findings in one file are told apart by their order.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from nnlint.finding import Finding, Severity
from nnlint.reporters import RenderOptions

SEVERITY = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}


def _issue(finding: Finding, occurrence: int) -> dict[str, Any]:
    description = f"{finding.code} {finding.name}: {finding.message}"
    if finding.cell is not None:
        description = f"cell {finding.cell}, line {finding.location.row}: {description}"
        lines = {"begin": 1}
    else:
        lines = {"begin": finding.location.row, "end": finding.end_location.row}
    key = "\0".join((finding.filename, finding.code, finding.message, str(occurrence)))
    return {
        "type": "issue",
        "check_name": finding.code,
        "description": description,
        "categories": ["Bug Risk"],
        "severity": SEVERITY[finding.severity],
        "fingerprint": hashlib.sha256(key.encode("utf-8")).hexdigest(),
        "location": {"path": finding.filename, "lines": lines},
    }


def render(findings: list[Finding], options: RenderOptions) -> str:
    seen: dict[tuple[str, str, str], int] = {}
    issues = []
    for finding in findings:
        key = (finding.filename, finding.code, finding.message)
        seen[key] = seen.get(key, -1) + 1
        issues.append(_issue(finding, seen[key]))
    return json.dumps(issues, indent=2) + "\n"
