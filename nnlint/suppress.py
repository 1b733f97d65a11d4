"""Suppression comments: `# noqa`, `# noqa: NN101`, `# nnlint: ignore[NN101]`, `# nnlint: file-ignore[NN301]`.

Comments are found with the tokenizer, not a regex over lines, so a `# noqa` inside a string does not count.
Tokenizing costs time, so it runs only for files that mention `noqa` or `nnlint:`, up to the last row
that does.

Each directive remembers which of its codes suppressed a finding, so NN001 (unused-noqa) can tell a stale
suppression from a working one, and `noqa_edits` writes directives for the findings of a codebase that
adopts nnlint (`--add-noqa`) or of one finding (the language server's code action).
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from nnlint.finding import Edit, Finding, Position

# The codes part stops before a second comment (`# noqa: NN101  # why`), which is kept as it is.
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Za-z0-9_,\s-]+?))?\s*(?=#|$)", re.IGNORECASE)
_IGNORE = re.compile(r"#\s*nnlint:\s*(?P<scope>ignore|file-ignore)(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)
_CODE = re.compile(r"[A-Za-z]+[0-9]+|[a-z]+(?:-[a-z0-9]+)+")

ALL = "*"
NOQA, IGNORE, FILE_IGNORE = "noqa", "ignore", "file-ignore"


def normalize(code: str) -> str:
    """Codes compare upper-case (`nn101` == `NN101`); rule names compare as written (`view-as-permute`)."""
    return code.upper() if code[-1].isdigit() else code.lower()


@dataclass
class Directive:
    """One suppression in a comment, where it sits, and which of its codes suppressed something.

    Columns are 0-based offsets into the physical line `line` (which keeps its line ending); `end` is
    exclusive and excludes trailing whitespace. `codes` holds the codes as written, empty for "every code".
    """

    kind: str
    row: int
    start: int
    end: int
    line: str
    comment_start: int
    codes: tuple[str, ...] = ()
    codes_span: tuple[int, int] | None = None
    used: set[str] = field(default_factory=set)

    def claim(self, keys: set[str]) -> bool:
        """Whether this directive suppresses a finding named by `keys`; if so, remember what matched."""
        if not self.codes:
            self.used.add(ALL)
            return True
        matched = {code for code in self.codes if normalize(code) in keys}
        self.used |= matched
        return bool(matched)


@dataclass
class Suppressions:
    """Which codes are suppressed on which line, and for the whole file."""

    directives: list[Directive] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._by_line: dict[int, list[Directive]] = {}
        self._whole_file: list[Directive] = []
        for directive in self.directives:
            if directive.kind == FILE_IGNORE:
                self._whole_file.append(directive)
            else:
                self._by_line.setdefault(directive.row, []).append(directive)

    def suppresses(self, code: str, name: str, rows: Iterable[int]) -> bool:
        """Whether a finding of this rule on these rows is suppressed; marks the directive that does it."""
        keys = {code.upper(), name}
        on_lines = (d for row in dict.fromkeys(rows) for d in self._by_line.get(row, ()))
        return any(directive.claim(keys) for directive in (*self._whole_file, *on_lines))


def _directives(token: tokenize.TokenInfo) -> list[Directive]:
    row, column = token.start
    comment = token.string
    found = []

    def directive(kind: str, match: re.Match[str]) -> Directive:
        codes_text = match.group("codes")
        codes = tuple(_CODE.findall(codes_text)) if codes_text else ()
        span = match.span("codes") if codes else None
        text = match.group(0).rstrip()
        return Directive(
            kind=kind,
            row=row,
            start=column + match.start(),
            end=column + match.start() + len(text),
            line=token.line,
            comment_start=column,
            codes=codes,
            codes_span=(column + span[0], column + span[1]) if span else None,
        )

    for match in _IGNORE.finditer(comment):
        found.append(directive(match.group("scope").lower(), match))
    match = _NOQA.search(comment)
    if match:
        found.append(directive(NOQA, match))
    return found


@lru_cache(maxsize=1)
def _tokens(source: str) -> tuple[tokenize.TokenInfo, ...]:
    """The source's tokens, or () when it does not tokenize.

    Tokenizing a large file takes a good part of a second, and the same text is often tokenized again
    right after: by the language server once per finding it offers a noqa for.
    """
    try:
        return tuple(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return ()


def parse_suppressions(source: str) -> Suppressions:
    """The directives in the source's comments.

    The tokenizer stops after the last row that says `noqa` or `nnlint:`: no later comment can hold a
    directive, and the torch-style `# noqa: F401` sits in the imports at the top of a long file.
    """
    lowered = source.lower()
    if "noqa" not in lowered and "nnlint:" not in source:
        return Suppressions()
    last = max(lowered.rfind("noqa"), lowered.rfind("nnlint:"))
    last_row = source.count("\n", 0, last) + 1  # rows as the tokenizer counts them
    found: list[Directive] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.start[0] > last_row:
                break
            if token.type == tokenize.COMMENT:
                found.extend(_directives(token))
    except (tokenize.TokenError, SyntaxError):
        return Suppressions()
    return Suppressions(found)


# -- adding directives (--add-noqa) ---------------------------------------------------------------------

# Never written by --add-noqa: a file that does not parse has no comments to add to, and a stale
# suppression wants removing (NN001's fix), not suppressing.
NOT_SUPPRESSIBLE = frozenset({"NN000", "NN001"})


def _commentable_rows(
    lines: list[str], tokens: Sequence[tokenize.TokenInfo]
) -> tuple[dict[int, tokenize.TokenInfo], set[int]]:
    """The comment on each row, and the rows where a comment cannot go at the end of the line.

    A line that ends inside a multi-line string, or with a backslash continuation, cannot take a
    trailing comment without changing what the code means or breaking it.
    """
    comments: dict[int, tokenize.TokenInfo] = {}
    blocked: set[int] = set()
    for token in tokens:
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token
        elif token.start[0] < token.end[0]:
            blocked.update(range(token.start[0], token.end[0]))
    for row, line in enumerate(lines, start=1):
        if row not in comments and line.rstrip("\r").endswith("\\"):
            blocked.add(row)
    return comments, blocked


def _with_codes(body: str, comment: tokenize.TokenInfo | None, codes: list[str]) -> str:
    """The line `body` (no line ending) suppressing `codes` too, merged into a `# noqa: ...` it has."""
    if comment is not None:
        column = comment.start[1]
        match = _NOQA.search(comment.string)
        if match and not match.group("codes"):
            return body  # a bare noqa already suppresses everything
        if match:
            present = {normalize(code) for code in _CODE.findall(match.group("codes"))}
            new = [code for code in codes if normalize(code) not in present]
            if not new:
                return body
            at = column + match.end("codes")
            return f"{body[:at]}, {', '.join(new)}{body[at:]}"
    return f"{body.rstrip()}  # noqa: {', '.join(codes)}"


def noqa_edits(source: str, findings: list[Finding]) -> list[Edit]:
    """Edits that make `source` suppress every finding with a `# noqa: CODES`, one per line changed.

    A directive goes on the finding's first line, or its last when the first cannot take a comment.
    Existing noqa comments are extended, never duplicated; the rest of each line stays as written. Each
    edit replaces the text of one line (without its line ending), so an editor can apply it as is.
    """
    tokens = _tokens(source)
    if not tokens:
        return []
    lines = source.split("\n")  # rows as the tokenizer counts them
    comments, blocked = _commentable_rows(lines, tokens)
    wanted: dict[int, list[str]] = {}
    for finding in findings:
        if finding.code in NOT_SUPPRESSIBLE or finding.cell is not None:
            continue
        rows = (finding.location.row, finding.end_location.row)
        row = next((row for row in rows if row not in blocked), None)
        if row is not None and finding.code not in wanted.setdefault(row, []):
            wanted[row].append(finding.code)
    edits = []
    for row, codes in sorted(wanted.items()):
        body = lines[row - 1].removesuffix("\r")
        new_body = _with_codes(body, comments.get(row), sorted(codes))
        if new_body != body:
            edits.append(Edit(Position(row, 1), Position(row, len(body) + 1), new_body))
    return edits
