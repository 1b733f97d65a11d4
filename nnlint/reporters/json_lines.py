"""`--format json-lines`: one finding object per line (the `json` format's objects), for streaming readers."""

from __future__ import annotations

import json

from nnlint.finding import Finding
from nnlint.reporters import RenderOptions


def render(findings: list[Finding], options: RenderOptions) -> str:
    return "".join(json.dumps(finding.to_json()) + "\n" for finding in findings)
