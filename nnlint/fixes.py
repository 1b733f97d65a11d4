"""Applying fixes: splicing edits into source text, and fixing a file until no fix applies.

`apply_fixes` is one pass over one text: every edit's offsets are taken in the text as it was, then the
edits are spliced in at once, and overlapping edits from different findings are not combined (the first
in file order wins, the others wait for the next pass). `apply_edits` splices edits that are known not to
overlap (the noqa comments of `--add-noqa`). `fix_until_stable` runs passes the way ruff does: apply,
check the result again, apply what the new findings offer, until nothing applies or MAX_PASSES is reached.
A pass whose result would not parse is never kept. The same loop serves Python files and notebooks; only
the one-pass function differs (`fix_python` here, `nnlint.notebook.fix_notebook_pass` for notebooks).
"""

from __future__ import annotations

import codecs
import io
import tokenize
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from nnlint.finding import Edit, Finding, Position
from nnlint.runner import FileResult, decode_source, parse_source

# Fixes of different rules can enable each other (removing a softmax exposes a second one), but a file
# that still changes after this many passes has fixes fighting each other.
MAX_PASSES = 10


def is_applicable(finding: Finding, unsafe: bool) -> bool:
    """Whether `--fix` applies this finding's fix (`--unsafe-fixes` adds the unsafe ones)."""
    return finding.fix is not None and (unsafe or finding.fix.applicability == "safe")


def _offset(line_starts: list[int], position: Position) -> int:
    return line_starts[position.row - 1] + position.column - 1


def _line_starts(source: str) -> list[int]:
    starts = [0]
    for index, char in enumerate(source):
        if char == "\n":
            starts.append(index + 1)
    return starts


Span = tuple[int, int, str]  # start and end offsets in the text, and what replaces the text between


def _span(line_starts: list[int], edit: Edit) -> Span:
    return (_offset(line_starts, edit.location), _offset(line_starts, edit.end_location), edit.content)


def _splice(source: str, spans: Iterable[Span]) -> str:
    pieces: list[str] = []
    cursor = 0
    for start, end, content in sorted(spans):
        pieces += [source[cursor:start], content]
        cursor = end
    pieces.append(source[cursor:])
    return "".join(pieces)


def apply_edits(source: str, edits: Iterable[Edit]) -> str:
    """The source with `edits` applied; they must not overlap (positions count in the text as given)."""
    starts = _line_starts(source)
    return _splice(source, (_span(starts, edit) for edit in edits))


def apply_fixes(source: str, findings: list[Finding], unsafe: bool = False) -> tuple[str, int]:
    """The source with every applicable fix applied once, and how many fixes were applied."""
    starts = _line_starts(source)
    chosen: list[Span] = []
    applied = 0
    for finding in sorted(findings, key=Finding.sort_key):
        if not is_applicable(finding, unsafe):
            continue
        assert finding.fix is not None
        spans = [_span(starts, edit) for edit in finding.fix.edits]
        if any(
            start < t_end and t_start < end or start == t_start
            for start, end, _ in spans
            for t_start, t_end, _ in chosen
        ):
            continue
        chosen.extend(spans)
        applied += 1
    return _splice(source, chosen), applied


class UnparsableFix(Exception):
    """Applying these fixes would leave a file that does not parse (a bug in a rule's fix)."""


def encode_like(original: bytes, text: str) -> bytes:
    """`text` in the encoding of `original`: its PEP 263 coding line or BOM (UTF-8 otherwise, as
    `decode_source` reads a file whose coding line names no codec Python knows)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(original).readline)
    except SyntaxError:
        encoding = "utf-8-sig" if original.startswith(codecs.BOM_UTF8) else "utf-8"
    return text.encode(encoding)


def fix_python(data: bytes, findings: list[Finding], unsafe: bool) -> tuple[bytes, int] | None:
    """One pass over a Python file: the fixed bytes and the number of fixes, or None when nothing changes.

    Raises UnparsableFix when the fixed text would not parse or not encode back to the file's encoding.
    """
    source = decode_source(data)
    fixed, applied = apply_fixes(source, findings, unsafe)
    if not applied or fixed == source:
        return None
    if isinstance(parse_source("", fixed), Finding):
        raise UnparsableFix
    try:
        return encode_like(data, fixed), applied
    except UnicodeEncodeError as error:
        raise UnparsableFix from error


FixPass = Callable[[bytes, list[Finding], bool], tuple[bytes, int] | None]


@dataclass
class FixedFile:
    """The outcome of fixing one file: its final content and the findings that remain in it."""

    data: bytes
    result: FileResult
    fixed: int = 0
    # Codes whose fixes were withheld because the file would not parse after them.
    withheld: list[str] = field(default_factory=list)
    # False when fixes still applied after MAX_PASSES passes (fixes that undo each other).
    converged: bool = True


def fix_until_stable(
    data: bytes,
    result: FileResult,
    check: Callable[[bytes], FileResult],
    fix_pass: FixPass,
    unsafe: bool,
    max_passes: int = MAX_PASSES,
) -> FixedFile:
    """Apply fixes to `data` (whose findings are `result`), check again, and repeat until none applies.

    When a pass would break the file, its fixes are tried one at a time: those that keep the file parsing
    are kept, and a rule whose fix breaks it is not trusted again in this file.
    """
    outcome = FixedFile(data, result)
    for _ in range(max_passes):
        fixable = _fixable(outcome, unsafe)
        if not fixable:
            return outcome
        try:
            step = fix_pass(outcome.data, fixable, unsafe)
        except UnparsableFix:
            step = _one_at_a_time(outcome, fixable, fix_pass, unsafe)
        if step is None:
            return outcome
        outcome.data, applied = step
        outcome.fixed += applied
        outcome.result = check(outcome.data)
    outcome.converged = not _fixable(outcome, unsafe)
    return outcome


def _fixable(outcome: FixedFile, unsafe: bool) -> list[Finding]:
    return [f for f in outcome.result.findings if is_applicable(f, unsafe) and f.code not in outcome.withheld]


def _one_at_a_time(
    outcome: FixedFile, fixable: list[Finding], fix_pass: FixPass, unsafe: bool
) -> tuple[bytes, int] | None:
    """The first single fix that keeps the file parsing; the codes of those that break it are withheld."""
    for finding in fixable:
        if finding.code in outcome.withheld:
            continue
        try:
            step = fix_pass(outcome.data, [finding], unsafe)
        except UnparsableFix:
            outcome.withheld.append(finding.code)
            continue
        if step is not None:
            return step
    return None


def unified_diff(filename: str, before: str, after: str) -> str:
    """A `diff -u` of one file's change, as `--diff` prints it (with git's marker for a missing newline)."""
    import difflib

    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{filename}", f"b/{filename}"
    )
    return "".join(
        line if line.endswith("\n") else f"{line}\n\\ No newline at end of file\n" for line in lines
    )
