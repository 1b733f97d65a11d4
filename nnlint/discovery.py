"""Which files a `nnlint check PATH...` looks at.

Directories are walked recursively for `.py` sources and `.ipynb` notebooks (no `.pyi` stubs), skipping
excluded folders before descending into them, so a `.venv` with thousands of files costs nothing. A file
named explicitly is always checked, like ruff does, even when an exclude pattern matches it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from nnlint.config import Config, config_for

SOURCE_SUFFIXES = (".py", ".ipynb")


def discover(
    paths: list[Path],
    explicit: Config | None,
    suffixes: tuple[str, ...] = SOURCE_SUFFIXES,
    problems: list[str] | None = None,
) -> Iterator[Path]:
    """Yield each file to check once, in a stable order.

    Folders that cannot be listed are not skipped silently: each is described in `problems`. Symlinked
    folders are not followed (so a symlink loop costs nothing); a file that is a symlink loop is yielded
    and reported when it cannot be read.
    """
    seen: set[Path] = set()

    def unlisted(error: OSError) -> None:
        if problems is not None:
            problems.append(f"{error.filename}: cannot list this folder: {error.strerror or error}")

    for path in paths:
        if not path.is_dir():
            if _resolve(path) not in seen:
                seen.add(_resolve(path))
                yield path
            continue
        for root, dirs, files in os.walk(path, onerror=unlisted):
            root_path = Path(root)
            config = config_for(root_path / "_", explicit)
            dirs[:] = sorted(d for d in dirs if not config.is_excluded(root_path / d, path))
            for name in sorted(files):
                candidate = root_path / name
                if not name.endswith(suffixes) or config.is_excluded(candidate, path):
                    continue
                resolved = _resolve(candidate)
                if resolved not in seen:
                    seen.add(resolved)
                    yield candidate


def _resolve(path: Path) -> Path:
    """The real path, or the absolute one for a symlink loop (RuntimeError before Python 3.13)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()
