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
    paths: list[Path], explicit: Config | None, suffixes: tuple[str, ...] = SOURCE_SUFFIXES
) -> Iterator[Path]:
    """Yield each file to check once, in a stable order."""
    seen: set[Path] = set()
    for path in paths:
        if path.is_file():
            resolved = path.resolve()
            if resolved not in seen:
                seen.add(resolved)
                yield path
            continue
        for root, dirs, files in os.walk(path):
            root_path = Path(root)
            config = config_for(root_path / "_", explicit)
            dirs[:] = sorted(d for d in dirs if not config.is_excluded(root_path / d))
            for name in sorted(files):
                candidate = root_path / name
                if not name.endswith(suffixes) or config.is_excluded(candidate):
                    continue
                resolved = candidate.resolve()
                if resolved not in seen:
                    seen.add(resolved)
                    yield candidate
