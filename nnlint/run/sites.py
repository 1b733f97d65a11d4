"""Runtime findings located at a line of the user's code (whose lines count: nnlint/runtime/frames.py).

Runtime findings point at the user's source, never at torch's: the line that built the model, layer or
optimizer (the frame that called the constructor), or the line that called the loss or the step. The stack is
read at construction or call time, because afterwards the frames are gone.
"""

from __future__ import annotations

import linecache
from typing import Any

from nnlint.finding import Finding, Position, Severity
from nnlint.runtime.frames import Site, display_path


def finding_at(
    site: Site | None,
    fallback: Site,
    code: str,
    name: str,
    message: str,
    severity: Severity = Severity.WARNING,
    hint: str | None = None,
    evidence: dict[str, Any] | None = None,
) -> Finding:
    """A finding whose span covers the code on the site's line (the text reporter underlines it)."""
    where = site or fallback
    text = linecache.getline(where.filename, where.line).rstrip()
    start = len(text) - len(text.lstrip()) + 1 if text else 1
    return Finding(
        code=code,
        name=name,
        message=message,
        filename=display_path(where.filename),
        location=Position(where.line, start),
        end_location=Position(where.line, max(len(text) + 1, start + 1)),
        severity=severity,
        hint=hint,
        evidence=evidence or {},
    )
