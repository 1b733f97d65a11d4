"""Which files a `nnlint check PATH...` looks at.

Directories are walked recursively for `.py` sources and `.ipynb` notebooks (no `.pyi` stubs), skipping
excluded folders before descending into them, so a `.venv` with thousands of files costs nothing. What
`.gitignore`, `.ignore` and `.git/info/exclude` exclude is skipped too (`respect-gitignore = false` turns
that off; see `nnlint.ignore_files`). A file named explicitly is always checked, like ruff does, even when
an exclude pattern matches it, unless `force-exclude` is set: pre-commit names every staged file, and a
project's excludes must hold there too; unless its name says it is no Python (`NAMED_SUFFIXES`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from stat import S_ISREG

from nnlint import ignore_files
from nnlint.config import Config, Overrides, config_for

SOURCE_SUFFIXES = (".py", ".ipynb")
# A file named on the command line is checked when its name says Python (stubs and .pyw too) or says
# nothing (a script with a shebang, `<(cat train.py)`); one named like something else (README.md, data.csv,
# what `nnlint check *` puts there) is skipped with a warning, as ruff skips it, not reported as NN000.
NAMED_SUFFIXES = (*SOURCE_SUFFIXES, ".pyi", ".pyw")


def _respects_gitignore(config: Config, overrides: Overrides) -> bool:
    return config.respect_gitignore if overrides.respect_gitignore is None else overrides.respect_gitignore


def force_excluded(path: Path, explicit: Config | None, overrides: Overrides) -> bool:
    """Whether a file named on the command line is left out: only with force-exclude, and then by the same
    excludes and ignore files that a walk of its folder would apply."""
    config = config_for(path, explicit)
    force = config.force_exclude if overrides.force_exclude is None else overrides.force_exclude
    if not force:
        return False
    if config.is_excluded(path):
        return True
    return _respects_gitignore(config, overrides) and ignore_files.is_ignored_with_parents(path)


def discover(
    paths: list[Path],
    explicit: Config | None,
    suffixes: tuple[str, ...] = SOURCE_SUFFIXES,
    overrides: Overrides | None = None,
    problems: list[str] | None = None,
) -> Iterator[Path]:
    """Yield each file to check once, in a stable order.

    Folders that cannot be listed, and broken symbolic links (dangling, or loops) met in a folder, are not
    skipped silently: each is described in `problems`. Symlinked folders are not followed (so a symlink loop
    costs nothing). A path given by the caller is yielded whatever it is, and reported when it cannot be read.
    """
    overrides = overrides or Overrides()
    seen: set[Path] = set()

    def unlisted(error: OSError) -> None:
        if problems is not None:
            problems.append(f"{error.filename}: cannot list this folder: {error.strerror or error}")

    for path in paths:
        if not path.is_dir():
            if force_excluded(path, explicit, overrides):
                continue
            if path.suffix and path.suffix.lower() not in NAMED_SUFFIXES:
                if problems is not None:
                    problems.append(f"{path}: not a Python file (.py, .pyi, .pyw, .ipynb), skipped")
                continue
            if _resolve(path) not in seen:
                seen.add(_resolve(path))
                yield path
            continue
        for root, dirs, files in os.walk(path, onerror=unlisted):
            root_path = Path(root)
            config = config_for(root_path / "_", explicit)
            gitignore = _respects_gitignore(config, overrides)
            dirs[:] = sorted(
                d
                for d in dirs
                if not config.is_excluded(root_path / d, path)
                and not (gitignore and ignore_files.is_ignored(root_path / d, is_dir=True))
            )
            for name in sorted(files):
                candidate = root_path / name
                if not name.endswith(suffixes) or config.is_excluded(candidate, path):
                    continue
                if gitignore and ignore_files.is_ignored(candidate):
                    continue
                kind = _kind(candidate)
                if kind == "special":
                    continue
                if kind == "broken link":
                    # A link to nothing holds no source: skipped with a warning, as for a folder that cannot
                    # be listed, so one stale link does not fail the check of a whole tree. A path named on
                    # the command line is read, and an error when it cannot be.
                    if problems is not None:
                        problems.append(f"{candidate}: broken symbolic link (or a link loop), skipped")
                    continue
                resolved = _resolve(candidate)
                if resolved not in seen:
                    seen.add(resolved)
                    yield candidate


def _kind(path: Path) -> str:
    """What a folder's entry is, with one stat (and a link test only when the stat fails).

    "special": a FIFO, socket or device with a source's name; reading it would block or never end, so a walk
    passes it by (one named on the command line is read: `<(cat train.py)` is a pipe). "broken link": a
    symbolic link to nothing (dangling, or a loop). "file" otherwise, an unreadable entry included: it is
    yielded, and reported when it cannot be read.
    """
    try:
        return "file" if S_ISREG(path.stat().st_mode) else "special"
    except OSError:
        return "broken link" if path.is_symlink() else "file"


def _resolve(path: Path) -> Path:
    """The real path, or the absolute one for a symlink loop (RuntimeError before Python 3.13)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()
