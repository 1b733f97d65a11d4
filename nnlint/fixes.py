"""Applying fixes to source text: edits are spliced in from the end so earlier positions stay valid.

Overlapping edits from different findings are not combined: the first (in file order) wins and the others
wait for the next pass, the way ruff iterates until no fix applies.
"""

from __future__ import annotations

from nnlint.finding import Edit, Finding, Position


def _offset(line_starts: list[int], position: Position) -> int:
    return line_starts[position.row - 1] + position.column - 1


def _line_starts(source: str) -> list[int]:
    starts = [0]
    for index, char in enumerate(source):
        if char == "\n":
            starts.append(index + 1)
    return starts


def apply_fixes(source: str, findings: list[Finding], unsafe: bool = False) -> tuple[str, int]:
    """The source with every applicable fix applied once, and how many fixes were applied."""
    starts = _line_starts(source)
    chosen: list[tuple[int, int, Edit]] = []
    applied = 0
    taken: list[tuple[int, int]] = []
    for finding in sorted(findings, key=Finding.sort_key):
        fix = finding.fix
        if fix is None or (fix.applicability != "safe" and not unsafe):
            continue
        spans = [(_offset(starts, e.location), _offset(starts, e.end_location), e) for e in fix.edits]
        if any(start < t_end and t_start < end or start == t_start for start, end, _ in spans for t_start, t_end in taken):
            continue
        chosen.extend(spans)
        taken.extend((start, end) for start, end, _ in spans)
        applied += 1
    for start, end, edit in sorted(chosen, key=lambda item: item[0], reverse=True):
        source = source[:start] + edit.content + source[end:]
    return source, applied
