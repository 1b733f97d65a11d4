"""`--format gitlab`: a GitLab Code Quality report (the Code Climate subset GitLab reads), shown in merge
requests when a CI job saves it as `artifacts: reports: codequality`.

Each finding is an issue with `description`, `check_name` (the code), `fingerprint`, `severity` (error:
critical, warning: major, info: info) and `location` (`path`, `lines.begin`/`end`). The fingerprint is a hash
of the file, the code and the text of the finding's line (not its number), so GitLab sees a finding whose
line moved as the same finding and reports only new ones as new; identical ones in a file are told apart by
their order (GitLab shows one issue per fingerprint).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from nnlint.finding import Finding, Severity
from nnlint.reporters import RenderOptions
from nnlint.reporters.sources import source_line

SEVERITY = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}


def _issue(finding: Finding, occurrence: int) -> dict[str, Any]:
    description = f"{finding.code} {finding.name}: {finding.message}"
    if finding.cell is not None:
        description = f"cell {finding.cell}, line {finding.location.row}: {description}"
        lines = {"begin": 1}
    else:
        lines = {"begin": finding.location.row, "end": finding.end_location.row}
    key = "\0".join((finding.filename, finding.code, _anchor_text(finding), str(occurrence)))
    return {
        "type": "issue",
        "check_name": finding.code,
        "description": description,
        "categories": ["Bug Risk"],
        "severity": SEVERITY[finding.severity],
        "fingerprint": hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest(),  # a non-UTF-8 name
        "location": {"path": finding.filename, "lines": lines},
    }


def _anchor_text(finding: Finding) -> str:
    """What identifies the finding's place when lines move: its line's text, else its message."""
    line = source_line(finding.filename, finding.location.row) if finding.cell is None else None
    return line.strip() if line is not None else finding.message


def render(findings: list[Finding], options: RenderOptions) -> str:
    seen: dict[tuple[str, str, str], int] = {}
    issues = []
    for finding in findings:
        key = (finding.filename, finding.code, _anchor_text(finding))
        seen[key] = seen.get(key, -1) + 1
        issues.append(_issue(finding, seen[key]))
    return json.dumps(issues, indent=2) + "\n"
