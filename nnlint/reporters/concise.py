"""`--format concise`: one line per finding, `file:row:col: CODE [name] message`, for grep and editors;
related locations follow on indented `related:` lines."""

from __future__ import annotations

from nnlint.finding import Finding
from nnlint.reporters import RenderOptions, printable
from nnlint.reporters.summary import summary_line


def location(finding: Finding) -> str:
    cell = f"[cell {finding.cell}]" if finding.cell is not None else ""
    return printable(f"{finding.filename}{cell}:{finding.location.row}:{finding.location.column}")


def render(findings: list[Finding], options: RenderOptions) -> str:
    lines = []
    for f in findings:
        lines.append(f"{location(f)}: {f.code} [{f.name}] {printable(f.message)}")
        # Related locations follow their finding, indented, so `grep NN401` still finds the finding itself.
        lines.extend(f"    related: {printable(related.describe())}" for related in f.related)
    summary = summary_line(findings, options)
    if summary:
        lines.append(summary)
    return "\n".join(lines) + "\n" if lines else ""
