"""`--format json`: a list of finding objects, 1-based rows and columns, same schema for check and probe."""

from __future__ import annotations

import json

from nnlint.finding import Finding
from nnlint.reporters import RenderOptions


def render(findings: list[Finding], options: RenderOptions) -> str:
    return json.dumps([finding.to_json() for finding in findings], indent=2) + "\n"
