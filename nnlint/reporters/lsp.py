"""`--format lsp`: a JSON list of Language Server Protocol `Diagnostic` objects, for editors and tools that
want diagnostics without running a server. `nnlint lsp` builds what it publishes with the same functions.

LSP positions are 0-based and count code units of an encoding (UTF-16 unless client and server agree on
another), where nnlint counts 1-based code points, so a line with characters outside ASCII shifts the
columns after it in UTF-8 and outside the BMP (an emoji in a string) in UTF-16. Converting needs the
line's text: `--format lsp` reads it from the file and counts UTF-16; the server passes the editor's
buffer and the encoding it negotiated (`position_converter`). `data` carries what a client needs to act on
the diagnostic: the file, the rule's name, the cell of a notebook finding, and the fix as LSP text edits.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

from nnlint.finding import Edit, Finding, Fix, Position, Related, Severity
from nnlint.reporters import RenderOptions
from nnlint.reporters.sources import source_line

SOURCE = "nnlint"
SEVERITY = {Severity.ERROR: 1, Severity.WARNING: 2, Severity.INFO: 3}

# The text of a 1-based row (no line ending), or None when unknown.
LineText = Callable[[int], "str | None"]
# How many code units of the position encoding a text takes.
Units = Callable[[str], int]
# A 1-based code-point position as a 0-based LSP position ({"line", "character"}).
ToLsp = Callable[[Position], dict[str, int]]


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def position_converter(line_text: LineText | None = None, units: Units = utf16_units) -> ToLsp:
    """Positions in the `units` of each line's text; without the text (a notebook cell, whose rows are not
    the file's), columns are taken to be code points, which they are on ASCII lines."""

    def convert(position: Position) -> dict[str, int]:
        character = position.column - 1
        text = line_text(position.row) if line_text is not None else None
        if text is not None and not text.isascii():
            character = units(text[:character])
        return {"line": position.row - 1, "character": character}

    return convert


CODE_POINTS = position_converter()


def lsp_range(start: Position, end: Position, to_lsp: ToLsp) -> dict[str, dict[str, int]]:
    return {"start": to_lsp(start), "end": to_lsp(end)}


def text_edits(edits: Iterable[Edit], to_lsp: ToLsp) -> list[dict[str, Any]]:
    """Edits as LSP `TextEdit` objects."""
    return [
        {"range": lsp_range(edit.location, edit.end_location, to_lsp), "newText": edit.content}
        for edit in edits
    ]


def _fix(fix: Fix, to_lsp: ToLsp) -> dict[str, Any]:
    return {
        "message": fix.message,
        "applicability": fix.applicability,
        "edits": text_edits(fix.edits, to_lsp),
    }


def to_diagnostic(finding: Finding, to_lsp: ToLsp = CODE_POINTS) -> dict[str, Any]:
    """One finding as an LSP Diagnostic (a plain dict, ready for JSON)."""
    data: dict[str, Any] = {"filename": finding.filename, "name": finding.name}
    if finding.cell is not None:
        data["cell"] = finding.cell
    data["fix"] = _fix(finding.fix, to_lsp) if finding.fix else None
    diagnostic = {
        "range": lsp_range(finding.location, finding.end_location, to_lsp),
        "severity": SEVERITY[finding.severity],
        "code": finding.code,
        "codeDescription": {"href": finding.url},
        "source": SOURCE,
        "message": finding.message,
        "data": data,
    }
    if finding.related:
        diagnostic["relatedInformation"] = [_related(related) for related in finding.related]
    return diagnostic


def _related(related: Related) -> dict[str, Any]:
    """An LSP `DiagnosticRelatedInformation`: the place (as a file URI) and its message."""
    position = CODE_POINTS(related.location)
    return {
        "location": {
            "uri": Path(related.filename).resolve().as_uri(),
            "range": {"start": position, "end": position},
        },
        "message": related.message,
    }


def _positions_in_file(finding: Finding) -> ToLsp:
    if finding.cell is not None:
        return CODE_POINTS  # rows of a notebook finding count within its cell, not within the file
    return position_converter(partial(source_line, finding.filename))


def render(findings: list[Finding], options: RenderOptions) -> str:
    diagnostics = [to_diagnostic(finding, _positions_in_file(finding)) for finding in findings]
    return json.dumps(diagnostics, indent=2) + "\n"
