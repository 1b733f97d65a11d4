"""Suppression comments: `# noqa`, `# noqa: NN101`, `# nnlint: ignore[NN101]`, `# nnlint: file-ignore[NN301]`.

Comments are found with the tokenizer, not a regex over lines, so a `# noqa` inside a string does not count.
Tokenizing costs time, so it runs only for files that have findings and mention `noqa` or `nnlint:`.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field

_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Za-z0-9_,\s-]+?))?\s*(?:#|$)", re.IGNORECASE)
_IGNORE = re.compile(r"#\s*nnlint:\s*(?P<scope>ignore|file-ignore)(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)
_CODE = re.compile(r"[A-Za-z]+[0-9]+|[a-z]+(?:-[a-z0-9]+)+")

ALL = "*"


@dataclass
class Suppressions:
    """Which codes are suppressed on which line, and for the whole file."""

    by_line: dict[int, set[str]] = field(default_factory=dict)
    whole_file: set[str] = field(default_factory=set)

    def suppresses(self, code: str, name: str, rows: tuple[int, ...]) -> bool:
        keys = {ALL, code.upper(), name}
        if keys & self.whole_file:
            return True
        return any(keys & self.by_line.get(row, set()) for row in rows)


def _codes(text: str | None) -> set[str]:
    """Codes are compared upper-case (`nn101` == `NN101`); rule names as written (`view-as-permute`)."""
    if not text:
        return {ALL}
    found = {c.upper() if c[-1].isdigit() else c.lower() for c in _CODE.findall(text)}
    return found or {ALL}


def parse_suppressions(source: str) -> Suppressions:
    result = Suppressions()
    if "noqa" not in source.lower() and "nnlint:" not in source:
        return result
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return result
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        row = token.start[0]
        comment = token.string
        for match in _IGNORE.finditer(comment):
            codes = _codes(match.group("codes"))
            if match.group("scope").lower() == "file-ignore":
                result.whole_file |= codes
            else:
                result.by_line.setdefault(row, set()).update(codes)
        match = _NOQA.search(comment)
        if match:
            result.by_line.setdefault(row, set()).update(_codes(match.group("codes")))
    return result
