"""The closing line of human output: findings by severity, files checked, and what --fix did."""

from __future__ import annotations

from collections import Counter

from nnlint.finding import Finding
from nnlint.reporters import RenderOptions


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _fixable(findings: list[Finding], options: RenderOptions) -> str:
    safe = sum(1 for f in findings if f.fix is not None and f.fix.applicability == "safe")
    unsafe = sum(1 for f in findings if f.fix is not None and f.fix.applicability != "safe")
    if options.unsafe_fixes:
        safe, unsafe = safe + unsafe, 0
    parts = []
    if safe:
        parts.append(f" {safe} fixable with --fix.")
    if unsafe:
        parts.append(f" {unsafe} {'more ' if safe else ''}fixable with --fix --unsafe-fixes.")
    return "".join(parts)


def summary_line(findings: list[Finding], options: RenderOptions) -> str:
    if options.files_checked is None:
        return ""
    files = _plural(options.files_checked, "file")
    hidden = ""
    if options.hidden:
        hidden = f" ({options.hidden} refuted by the probe, hidden; --show-refuted shows them)"
    fixed = f"Fixed {_plural(options.fixed, 'finding')}. " if options.fixed else ""
    if not findings and options.errors:
        problems = _plural(options.errors, "error")
        return f"{fixed}No findings in {files}, but the check is incomplete: {problems} (on stderr).{hidden}"
    if not findings:
        return f"{fixed}All checks passed: no findings in {files}.{hidden}"
    by_severity = Counter(f.severity.value for f in findings)
    counts = [(by_severity[s], s) for s in ("error", "warning", "info") if by_severity[s]]
    detail = ", ".join(f"{count} {s}" if s == "info" else _plural(count, s) for count, s in counts)
    remaining = "remaining " if options.fixed else ""
    # Findings do not make a run complete: a file that could not be read, a rule that crashed, is said here
    # too, not only in an error line that a long report has scrolled away.
    incomplete = (
        f" The check is incomplete: {_plural(options.errors, 'error')} (on stderr)." if options.errors else ""
    )
    return (
        f"{fixed}Found {_plural(len(findings), remaining + 'finding')} ({detail}) in {files}.{hidden}"
        f"{_fixable(findings, options)}{incomplete}"
    )
