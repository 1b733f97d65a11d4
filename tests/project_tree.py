"""Helpers for the tests that check a small project written into a temporary folder.

Many tests build the same kind of scene: a handful of modules (``models.py``, ``train.py``, ...) written
under a root, then ``run_check`` on one of them. Writing the files and asserting that the check did not
crash live here once, so a test states only its files and what it expects.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from nnlint.config import Overrides
from nnlint.finding import Finding
from nnlint.session import run_check


def write_tree(root: Path, files: dict[str, str], *, project_marker: bool = False) -> None:
    """Write each ``relative path -> text`` under ``root``, creating folders as needed.

    ``project_marker`` adds an empty ``pyproject.toml`` so the root is the project root whatever folder
    the test runs in.
    """
    if project_marker:
        (root / "pyproject.toml").write_text("")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def checked_findings(targets: Iterable[Path], codes: Iterable[str]) -> list[Finding]:
    """The findings of ``codes`` on ``targets``; a crash on any file fails the test."""
    outcome = run_check(list(targets), Overrides(select=frozenset(codes)))
    assert outcome.crashes == []
    return list(outcome.findings)
