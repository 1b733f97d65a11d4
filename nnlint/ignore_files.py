"""`.gitignore`, `.ignore` and `.git/info/exclude`: the files a repository says are not its source.

ML repositories keep copies of code in the output folders of their runs (`outputs/`, `wandb/`,
`lightning_logs/`) and list those folders in `.gitignore`; checking the copies would report every bug once
per run. The rules are git's, matched by `pathspec` (the library black, mypy and others use for gitignore
semantics), and layered like git and ripgrep layer them (later wins):

1. `.git/info/exclude` of the repository;
2. for each directory from the repository's root down to the file: its `.gitignore`, then its `.ignore`.

Within one file, the last matching pattern wins, and `!pattern` re-includes. As in git (and ruff),
`.gitignore` and `info/exclude` count only inside a git repository (a folder with a `.git` above the
file); `.ignore` files, a ripgrep convention, count everywhere. A user's global git excludes file is not
read.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pathspec

IGNORE_FILES = (".gitignore", ".ignore")


@cache
def _spec(path: str) -> pathspec.GitIgnoreSpec | None:
    """The patterns of one ignore file, or None when there is none (or it cannot be read)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    import pathspec  # only where an ignore file exists: the import costs tens of milliseconds

    return pathspec.GitIgnoreSpec.from_lines(lines)


@cache
def _repository_root(directory: str) -> str | None:
    """The nearest folder at or above `directory` with a `.git` (a folder, or a worktree's file)."""
    current = directory
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


@cache
def _layers(directory: str) -> tuple[tuple[str, pathspec.GitIgnoreSpec], ...]:
    """The (base folder, patterns) pairs that apply to entries of `directory`, highest precedence first."""
    root = _repository_root(directory)
    chain = []
    current = directory
    while True:
        chain.append(current)
        parent = os.path.dirname(current)
        if current == root or parent == current:
            break
        current = parent
    layers: list[tuple[str, pathspec.GitIgnoreSpec]] = []
    for folder in chain:  # deepest first
        names = IGNORE_FILES if root is not None else (".ignore",)
        for name in reversed(names):  # .ignore wins over .gitignore in the same folder
            spec = _spec(os.path.join(folder, name))
            if spec is not None:
                layers.append((folder, spec))
    if root is not None:
        spec = _spec(os.path.join(root, ".git", "info", "exclude"))
        if spec is not None:
            layers.append((root, spec))
    return tuple(layers)


def is_ignored(path: Path, is_dir: bool = False) -> bool:
    """Whether the ignore files above `path` exclude it (the path itself, not its parent folders)."""
    absolute = os.path.abspath(path)
    directory = os.path.dirname(absolute)
    for base, spec in _layers(directory):
        relative = os.path.relpath(absolute, base).replace(os.sep, "/")
        result = spec.check_file(relative + "/" if is_dir else relative)
        if result.include is not None:
            return result.include
    return False


def is_ignored_with_parents(path: Path) -> bool:
    """Whether `path` or a folder above it, below its repository's root, is ignored: what a walk of the
    repository would skip. For files named on the command line with `--force-exclude`."""
    absolute = Path(os.path.abspath(path))
    root = _repository_root(str(absolute.parent))
    top = Path(root) if root is not None else Path.cwd()  # outside a repository: below the working dir
    for parent in reversed(absolute.parents):
        if top in parent.parents and is_ignored(parent, is_dir=True):
            return True
    return is_ignored(absolute, is_dir=absolute.is_dir())
