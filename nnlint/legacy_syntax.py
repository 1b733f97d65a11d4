"""Parse Python 3 code written for a grammar older than libcst's: `async` and `await` used as names.

Before Python 3.7, `async` and `await` were ordinary names outside coroutines, and PyTorch code of that
time spells a non-blocking copy `x.cuda(async=True)`. libcst's native parser always uses the current
grammar (its `PartialParserConfig(python_version=...)` no longer selects another one), so such a file
would be an NN000 and nothing else. Here each such name is swapped for a placeholder of the same length,
the text is parsed, and the placeholders are renamed back in the tree: the tree prints exactly the
original text, so positions, suppressions and fixes stay right.

This runs only after the normal parse failed: files that parse pay nothing. Python 2 files (a print
statement, `except E, e:`) stay unparseable; `python2_hint` says so in the NN000 message.
"""

from __future__ import annotations

import io
import tokenize

import libcst as cst

_SOFT_KEYWORDS = ("async", "await")
# Tokens after `async` that make it the keyword (`async def`, `async for`, `async with`).
_ASYNC_KEYWORD_NEXT = {"def", "for", "with"}
# CPython's own words for Python 2 spellings it recognises.
_PYTHON2_MESSAGES = (
    "Missing parentheses in call to",
    "multiple exception types must be parenthesized",
    "leading zeros in decimal integer literals",
)


def parse_pre37(source: str) -> cst.Module | None:
    """The module of a text that parses once pre-3.7 `async`/`await` names are read as names, else None."""
    if "async" not in source and "await" not in source:
        return None
    spans = _legacy_name_spans(source)
    if not spans:
        return None
    placeholders = {word: _placeholder(word, source) for word in _SOFT_KEYWORDS}
    if None in placeholders.values():
        return None
    lines = io.StringIO(source).readlines()  # the lines tokenize numbered
    for row, column, word in reversed(spans):
        line = lines[row - 1]
        lines[row - 1] = line[:column] + placeholders[word] + line[column + len(word) :]
    try:
        module = cst.parse_module("".join(lines))
    except (cst.ParserSyntaxError, RecursionError, MemoryError):
        return None
    originals = {placeholder: word for word, placeholder in placeholders.items()}
    return module.visit(_RenameBack(originals))


def python2_hint(message: str) -> str:
    """A note for an NN000 message when CPython's error names a Python 2 spelling, else ""."""
    if message.startswith(_PYTHON2_MESSAGES):
        return " (this looks like Python 2 code, which nnlint does not check)"
    return ""


def _legacy_name_spans(source: str) -> list[tuple[int, int, str]]:
    """(row, column, word) of each `async`/`await` that a pre-3.7 Python reads as a plain name.

    `async` is the keyword only before `def`/`for`/`with`. `await` is the keyword only inside an
    `async def`, so it is taken as a name only in a file that has none.
    """
    try:
        tokens = [
            token
            for token in tokenize.generate_tokens(io.StringIO(source).readline)
            if token.type not in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)
        ]
    except (tokenize.TokenError, SyntaxError):  # IndentationError is a SyntaxError
        return []
    has_coroutines = any(
        token.string == "async" and following.string == "def"
        for token, following in zip(tokens, tokens[1:], strict=False)
    )
    spans = []
    for index, token in enumerate(tokens):
        if token.type != tokenize.NAME or token.string not in _SOFT_KEYWORDS:
            continue
        following = tokens[index + 1].string if index + 1 < len(tokens) else ""
        if token.string == "async" and following in _ASYNC_KEYWORD_NEXT:
            continue
        if token.string == "await" and has_coroutines:
            continue
        spans.append((token.start[0], token.start[1], token.string))
    return spans


def _placeholder(word: str, source: str) -> str | None:
    """A name as long as `word` that the text never contains (so renaming it back is exact)."""
    for index in range(100):
        candidate = f"_{index:02d}{word[-2:]}"
        if candidate not in source:
            return candidate
    return None


class _RenameBack(cst.CSTTransformer):
    def __init__(self, originals: dict[str, str]) -> None:
        super().__init__()
        self._originals = originals

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        word = self._originals.get(updated_node.value)
        return updated_node if word is None else updated_node.with_changes(value=word)
