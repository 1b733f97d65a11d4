"""Paths of the probe fixtures and the line each leak must be localized to.

Fixture files mark that line with a `# probe: leak` comment, so the tests never hard-code line numbers. (A
module of its own rather than conftest.py: several test folders have a conftest, and only one can be imported
under that name.)
"""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "probe"
MARKER = "# probe: leak"


def fixture(name: str) -> str:
    return str(FIXTURES / f"{name}.py")


def marked_line(name: str, marker: str = MARKER) -> tuple[str, int]:
    """(absolute path, line) of the single `# probe: leak` marker (or another marker) in a fixture."""
    path = FIXTURES / f"{name}.py"
    lines = [n for n, text in enumerate(path.read_text().splitlines(), start=1) if marker in text]
    assert len(lines) == 1, f"{path} must mark exactly one line with {marker!r}"
    return str(path), lines[0]
