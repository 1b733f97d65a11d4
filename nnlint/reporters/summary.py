"""The closing line of human output: how many findings, of which severity, in how many files."""

from __future__ import annotations

from collections import Counter

from nnlint.finding import Finding
from nnlint.reporters import RenderOptions


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary_line(findings: list[Finding], options: RenderOptions) -> str:
    if options.files_checked is None:
        return ""
    files = _plural(options.files_checked, "file")
    hidden = f" ({options.hidden} refuted by the probe, hidden; --show-refuted shows them)" if options.hidden else ""
    if not findings:
        return f"All checks passed: no findings in {files}.{hidden}"
    by_severity = Counter(f.severity.value for f in findings)
    detail = ", ".join(f"{by_severity[s]} {s}" for s in ("error", "warning", "info") if by_severity[s])
    fixable = sum(1 for f in findings if f.fix is not None)
    tail = f" {fixable} fixable with --fix." if fixable else ""
    return f"Found {_plural(len(findings), 'finding')} ({detail}) in {files}.{hidden}{tail}"
