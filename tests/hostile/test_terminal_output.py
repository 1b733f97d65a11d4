"""What a checked file holds reaches the user's terminal only as text to read: its control characters (an
ESC that would clear the screen or retitle the window, a BEL, a backspace) are shown as symbols, never sent
as they are, and the snippet's caret stays under the span."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from nnlint.cli import main
from nnlint.reporters import printable

HOSTILE = b"y = 0\nx = = 1  # \x1b]0;pwned\x07 \x1b[2J\x08\x7f\xc2\x9b\n"


@pytest.mark.parametrize("fmt", ["text", "concise", "pylint"])
def test_control_characters_of_a_file_never_reach_the_terminal(tmp_path: Path, fmt: str) -> None:
    name = tmp_path / "bad\x1b[31mname.py"
    name.write_bytes(HOSTILE)
    result = CliRunner().invoke(main, ["check", "--no-cache", "--format", fmt, str(name)])
    assert result.exit_code == 1, result.output
    assert "NN000" in result.output
    for control in ("\x1b", "\x07", "\x08", "\x7f", "\x9b"):
        assert control not in result.output, (fmt, repr(control))
    assert "␛[31mname.py" in result.output  # the name, still readable
    if fmt == "text":
        assert "2 | x = = 1  # ␛]0;pwned␇ ␛[2J␈␡\ufffd" in result.output
        line, caret = [row for row in result.output.splitlines() if row.startswith(("2 |", "  |"))][1:3]
        assert caret.index("^") == line.index("= 1")  # one column per shown control, carets in place


def test_printable_keeps_text_and_tabs() -> None:
    assert printable("a\tb é — ✓") == "a\tb é — ✓"
    assert printable("\x00\x1f\x7f") == "␀␟␡"


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        (b'# -*- coding: latin-1 -*-\ns = "\xe9t\xe9" = 1\n', '2 | s = "été" = 1'),
        (b'\xef\xbb\xbfs = "x" = 1\n', '1 | s = "x" = 1'),  # no BOM before the row, carets in place
    ],
)
def test_the_snippet_shows_the_file_as_the_check_decoded_it(tmp_path: Path, data: bytes, shown: str) -> None:
    """Source lines were read as UTF-8 whatever the file's coding line said: a latin-1 file's `é` showed
    as U+FFFD (the check itself, and `nnlint check -`, decode it as Python does)."""
    path = tmp_path / "coded.py"
    path.write_bytes(data)
    result = CliRunner().invoke(main, ["check", "--no-cache", str(path)])
    assert result.exit_code == 1 and "NN000" in result.output
    rows = result.output.splitlines()
    assert shown in rows, result.output
    line = rows.index(shown)
    assert rows[line + 1].index("^") == rows[line].index('"')


def test_the_caret_counts_terminal_cells_past_wide_characters(tmp_path: Path) -> None:
    """Each CJK character takes two cells on a terminal: the caret stood two cells left of the span for
    each one before it (ruff counts cells too)."""
    from rich.cells import cell_len

    path = tmp_path / "wide.py"
    path.write_text('a = "日本"; b = = 1\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--no-cache", str(path)])
    rows = result.output.splitlines()
    line = rows.index('1 | a = "日本"; b = = 1')
    assert cell_len(rows[line][: rows[line].rindex("= 1")]) == rows[line + 1].index("^")


def test_warnings_on_stderr_show_control_characters_as_symbols(tmp_path: Path) -> None:
    """A broken link named with an ESC went into the warning line as is."""
    (tmp_path / "ok.py").write_text("x = 1\n")
    (tmp_path / "gone\x1b[2J.py").symlink_to(tmp_path / "missing.py")
    result = CliRunner().invoke(main, ["check", "--no-cache", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "gone␛[2J.py: broken symbolic link" in result.output and "\x1b" not in result.output
