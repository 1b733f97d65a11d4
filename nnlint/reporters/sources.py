"""The lines of checked files, for reporters that show them (text) or measure them (lsp, in UTF-16).

Read on demand and cached by path, size and modification time, so a file that `--fix` rewrote, or that a
long-lived process (the language server, a test session) sees change, is read again.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

# Rows end at \r\n, \r or \n, as libcst and LSP count them; str.splitlines would also split at form feeds
# and U+2028, which are no line breaks to either, and shift every row after them.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """The text's rows without their line endings: row r (1-based) is item r - 1."""
    return _LINE_BREAK.split(text)


@lru_cache(maxsize=64)
def _read(filename: str, size: int, mtime_ns: int) -> tuple[str, ...]:
    """The file's rows, decoded as the check decoded it (a BOM, a coding line: a latin-1 file's `é` is an
    `é`, not U+FFFD), or as UTF-8 with replacement characters when it could not be decoded at all."""
    from nnlint.runner import decode_source

    try:
        data = Path(filename).read_bytes()
    except OSError:
        return ()
    try:
        text = decode_source(data)
    except (UnicodeDecodeError, LookupError, SyntaxError):
        text = data.decode("utf-8", errors="replace")
    return tuple(split_lines(text))


# Text checked from standard input, under the name it is reported as (`--stdin-filename`): the file of
# that name on disk, if any, is not what was checked.
_IN_MEMORY: dict[str, tuple[str, ...]] = {}


def remember_text(filename: str, text: str) -> None:
    """Make reporters show `text` for `filename` instead of reading the file."""
    _IN_MEMORY[filename] = tuple(split_lines(text))


def source_lines(filename: str) -> tuple[str, ...]:
    """The file's rows without line endings (see `split_lines`), or () when it cannot be read."""
    if filename in _IN_MEMORY:
        return _IN_MEMORY[filename]
    try:
        stat = os.stat(filename)
    except OSError:
        return ()
    return _read(filename, stat.st_size, stat.st_mtime_ns)


def row_text(lines: Sequence[str], row: int) -> str | None:
    """The 1-based row of `lines`, or None when there is no such row."""
    return lines[row - 1] if 0 < row <= len(lines) else None


def source_line(filename: str, row: int) -> str | None:
    """The 1-based row of the file without its line ending, or None when there is no such row."""
    return row_text(source_lines(filename), row)
