"""`--format text`, the default: each finding with its source line, the span underlined, and a hint.

    train.py:14:13: NN101 view-as-permute  `.view()` reorders the dims of `x` ...
       |
    14 |         x = x.view(b, h, w, c)
       |             ^^^^^^^^^^^^^^^^^^
       = related: train.py:30:12: ...  (one line per related location, when the finding has any)
       = hint: use `x.permute(0, 2, 3, 1)` to move dims; view/reshape only merges or splits them

Colour comes from rich and only when writing to a terminal; rich honours NO_COLOR.
"""

from __future__ import annotations

import io

from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape

from nnlint.finding import Finding, Severity
from nnlint.reporters import RenderOptions, printable
from nnlint.reporters.concise import location
from nnlint.reporters.sources import source_line
from nnlint.reporters.summary import summary_line

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "bold cyan"}


# A minified or generated file can hold one line of many kilobytes; the snippet shows a window of it
# around the span instead, with an ellipsis where it was cut, as compilers' caret diagnostics do.
_WIDTH = 120
_LEAD = 40  # columns kept before the span when the line is cut on the left
_CUT = "…"


def _window(text: str, start: int, end: int) -> tuple[str, int, int]:
    """`text` cut to about `_WIDTH` columns around [start, end), and the span's offsets in the cut text."""
    if len(text) <= _WIDTH:
        return text, start, end
    left = max(0, min(start - _LEAD, len(text) - _WIDTH))
    right = min(len(text), left + _WIDTH)
    shown = text[left:right]
    prefix = _CUT if left > 0 else ""
    suffix = _CUT if right < len(text) else ""
    offset = len(prefix) - left
    return prefix + shown + suffix, start + offset, min(end, right) + offset


def _snippet(finding: Finding) -> list[str]:
    """The finding's first line with a caret underline, in plain text (no markup)."""
    if finding.cell is not None:
        return []  # notebook cells: the reporter has no cell source at hand
    row = finding.location.row
    line = source_line(finding.filename, row)
    if line is None:
        return []
    text = printable(line.expandtabs(1))
    start = finding.location.column - 1
    if finding.end_location.row == row:
        end = max(finding.end_location.column - 1, start + 1)
    else:
        end = len(text.rstrip())
    end = min(end, len(text))
    text, start, end = _window(text, start, end)
    gutter = " " * len(str(row))
    # Carets count terminal cells, not characters: a CJK character or an emoji takes two.
    lead, span = cell_len(text[:start]), cell_len(text[start:end])
    return [
        f"{gutter} |",
        f"{row} | {text}",
        f"{gutter} | {' ' * lead}{'^' * max(1, span)}",
    ]


def render(findings: list[Finding], options: RenderOptions) -> str:
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=options.color,
        no_color=not options.color,
        highlight=False,
        soft_wrap=True,
        width=200,
    )
    for finding in findings:
        style = _STYLE[finding.severity]
        console.print(
            f"[bold]{escape(location(finding))}:[/bold] [{style}]{finding.code}[/{style}] "
            f"[dim]{finding.name}[/dim]  {escape(printable(finding.message))}"
            + (f" [dim]({finding.confirmation} by the probe)[/dim]" if finding.confirmation else "")
        )
        if options.show_source:
            for number, line in enumerate(_snippet(finding)):
                console.print(f"[blue]{escape(line)}[/blue]" if number == 2 else escape(line))
        gutter = " " * len(str(finding.location.row))
        for related in finding.related:
            console.print(f"{gutter} [cyan]= related:[/cyan] {escape(printable(related.describe()))}")
        if finding.hint:
            console.print(f"{gutter} [cyan]= hint:[/cyan] {escape(printable(finding.hint))}")
        console.print()
    summary = summary_line(findings, options)
    if summary:
        console.print(f"[bold]{escape(summary)}[/bold]")
    return buffer.getvalue()
