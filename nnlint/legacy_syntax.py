"""Parse code written for a grammar older than libcst's: `async`/`await` names, Python 2 print statements,
and indentation that mixes tabs into blanks the way CPython still accepts (`parse_mixed_indentation`).

Before Python 3.7, `async` and `await` were ordinary names outside coroutines, and PyTorch code of that
time spells a non-blocking copy `x.cuda(async=True)`. libcst's native parser always uses the current
grammar (its `PartialParserConfig(python_version=...)` no longer selects another one), so such a file
would be an NN000 and nothing else. Here each such name is swapped for a placeholder of the same length,
the text is parsed, and the placeholders are renamed back in the tree: the tree prints exactly the
original text, so positions, suppressions and fixes stay right.

Early PyTorch training scripts (2017-2018) were often Python 2 whose only Python 2 spelling is the print
statement (`print 'loss', loss.data[0]`). The blank after such a `print` is swapped for a comma
(`print,'loss', loss.data[0]`): a tuple expression of the same length, so every position stays right and
the printed values stay visible to the rules as expressions. Only these statements print differently from
the original text (fixes edit the original text by position, so they are unaffected).

This runs only after the normal parse failed: files that parse pay nothing. Python 2 files with any other
Python 2 spelling (`except E, e:`, `exec "..."`, backquotes) stay unparseable; `python2_hint` says so in
the NN000 message.
"""

from __future__ import annotations

import ast
import io
import keyword
import tokenize
import warnings

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


def parse_mixed_indentation(source: str) -> cst.Module | None:
    """The module of a text CPython accepts but libcst's tokenizer rejects for tabs mixed into blank
    indentation (`\t    x` under a four-blank `for`: "no matching outer block for dedent"), else None.

    Each tab of a line's leading whitespace becomes one blank, so the text keeps its length and every
    position stays right; the result is used only when CPython reads the very same tree from both texts
    (a tab inside a string, or an indentation the swap changes, leaves the file an NN000)."""
    if "\t" not in source:
        return None
    lines = source.splitlines(keepends=True)
    for row, line in enumerate(lines):
        code = line.lstrip(" \t")
        lead = line[: len(line) - len(code)]
        if "\t" in lead:
            lines[row] = lead.replace("\t", " ") + code
    swapped = "".join(lines)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if ast.dump(ast.parse(source)) != ast.dump(ast.parse(swapped)):
                return None
        return cst.parse_module(swapped)
    except (SyntaxError, ValueError, cst.ParserSyntaxError, RecursionError, MemoryError):
        return None


def parse_legacy(source: str) -> cst.Module | None:
    """The module of a text that parses once pre-3.7 `async`/`await` names are read as names and Python 2
    print statements as tuples, else None."""
    if "async" not in source and "await" not in source and "print" not in source:
        return None
    tokens = _tokens(source)
    name_spans = _legacy_name_spans(tokens)
    print_blanks = _print_statement_blanks(tokens)
    if not name_spans and not print_blanks:
        return None
    placeholders = {word: _placeholder(word, source) for word in _SOFT_KEYWORDS}
    if None in placeholders.values():
        return None
    edits = [(row, column, word, placeholders[word]) for row, column, word in name_spans]
    edits += [(row, column, " ", ",") for row, column in print_blanks]
    lines = io.StringIO(source).readlines()  # the lines tokenize numbered
    for row, column, old, new in sorted(edits, reverse=True):
        line = lines[row - 1]
        lines[row - 1] = line[:column] + new + line[column + len(old) :]
    try:
        module = cst.parse_module("".join(lines))
    except (cst.ParserSyntaxError, RecursionError, MemoryError):
        return None
    if not name_spans:
        return module
    originals = {placeholder: word for word, placeholder in placeholders.items()}
    return module.visit(_RenameBack(originals))


def python2_hint(message: str) -> str:
    """A note for an NN000 message when CPython's error names a Python 2 spelling, else ""."""
    if message.startswith(_PYTHON2_MESSAGES):
        return " (this looks like Python 2 code, which nnlint does not check)"
    return ""


def _tokens(source: str) -> list[tokenize.TokenInfo]:
    """The text's tokens without blank-line, comment and indentation tokens; [] if it cannot be tokenized."""
    try:
        return [
            token
            for token in tokenize.generate_tokens(io.StringIO(source).readline)
            if token.type not in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)
        ]
    except (tokenize.TokenError, SyntaxError):  # IndentationError is a SyntaxError
        return []


def _legacy_name_spans(tokens: list[tokenize.TokenInfo]) -> list[tuple[int, int, str]]:
    """(row, column, word) of each `async`/`await` that a pre-3.7 Python reads as a plain name.

    `async` is the keyword only before `def`/`for`/`with`. `await` is the keyword only inside an
    `async def`, so it is taken as a name only in a file that has none.
    """
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


# Tokens that end the statement before a token: a `print` right after one of them starts a statement.
_STATEMENT_BOUNDARIES = {";", ":"}
# Keywords that can start an expression (after any other keyword, `print` followed by it is Python 3 or no
# statement at all).
_EXPRESSION_KEYWORDS = {"not", "lambda", "None", "True", "False"}
# Operators that can start an expression but never continue one after a name (`print -x`, `print (x)`,
# `print [x]` are already Python 3 expressions and stay as they are).
_EXPRESSION_OPENERS = {"{", "~"}


def _print_statement_blanks(tokens: list[tokenize.TokenInfo]) -> list[tuple[int, int]]:
    """(row, column) of the blank after each Python 2 print statement's `print`.

    A print statement is a `print` that starts a statement and is followed, after a blank, by a token that
    starts an expression and cannot continue the name `print` in Python 3: a string, a number, a name, an
    expression keyword, `{` or `~`.
    """
    blanks = []
    for index, token in enumerate(tokens[:-1]):
        if token.type != tokenize.NAME or token.string != "print":
            continue
        before = tokens[index - 1] if index else None
        starts = (
            before is None
            or before.type == tokenize.NEWLINE
            or (before.type == tokenize.OP and before.string in _STATEMENT_BOUNDARIES)
        )
        following = tokens[index + 1]
        if not starts or following.start != (token.end[0], token.end[1] + 1):
            continue
        opens = (
            following.type in (tokenize.STRING, tokenize.NUMBER)
            or (
                following.type == tokenize.NAME
                and (not keyword.iskeyword(following.string) or following.string in _EXPRESSION_KEYWORDS)
            )
            or (following.type == tokenize.OP and following.string in _EXPRESSION_OPENERS)
        )
        if opens and token.line[token.end[1]] in " \t":
            blanks.append(token.end)
    return blanks


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
