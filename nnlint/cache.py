"""The result cache: a file checked before with the same bytes and the same settings is not checked again.

Entries live in `.nnlint_cache/` beside the config file that governs the file (or in the working directory
when there is none), one small JSON file per checked file, named by a hash of everything that decides its
findings: the file's bytes, the path its findings carry and its absolute path, the enabled codes, the nnlint,
Python and libcst versions, and a fingerprint of nnlint's own source files, so an editable install whose rules
changed never reads results of the old rules. An entry also lists the project modules the check read through
imports (models.py for train.py) with their content digests, and the paths its imports probed and did not
find; when one of the modules changed, or one of those paths exists now, the entry is a miss. Anything new
that changes results (rule options, say) belongs in `settings_digest`.

Entries are written atomically, so parallel workers never read half an entry, and the last of two writers
of the same entry wins with identical content. An entry that cannot be read or decoded is a miss, and a
cache directory that cannot be written is skipped: the cache may make a run faster, never fail it.

The cache stays small: each file's entries live in one folder named by its path, and writing an entry
deletes the file's older ones (old contents, old settings); each run then caps the whole
cache at MAX_ENTRIES, dropping the least recently written, and removes folders of older layouts.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from nnlint import __version__
from nnlint.atomic import write_atomic
from nnlint.engine.project import LISTING_DIGEST_PREFIX, asked_in, callers_digest, file_digest
from nnlint.finding import Edit, Finding, Fix, Position, Related, Severity
from nnlint.runner import FileResult

CACHE_DIR_NAME = ".nnlint_cache"
# Bump when the entry layout changes; old entries are then never looked up again (and pruned).
LAYOUT = "v4"
# The most entries one cache keeps; each run prunes the oldest beyond it.
MAX_ENTRIES = 20_000


@cache
def _source_fingerprint() -> str:
    """Paths, sizes and mtimes of nnlint's own Python files: cheap (stat only) and changes with any edit."""
    import nnlint
    import nnlint.rules

    stamps = []
    for package in (nnlint, nnlint.rules):
        for path in sorted(Path(package.__file__).parent.rglob("*.py")):
            stat = path.stat()
            stamps.append(f"{path}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(stamps).encode()).hexdigest()


def settings_digest(codes: frozenset[str]) -> str:
    """A hash of everything besides the file itself that decides a file's findings."""
    from libcst._version import __version__ as libcst_version

    parts = [LAYOUT, __version__, sys.version, libcst_version, ",".join(sorted(codes)), _source_fingerprint()]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Cache:
    """The cache in one directory, for one set of settings (see `settings_digest`)."""

    directory: Path
    settings: str

    def _entry(self, filename: str, data: bytes) -> Path:
        """`LAYOUT/ab/<hash of the path>/<hash of settings and content>.json`: one folder per file.

        The path is the one findings carry and the absolute one: an entry lists its dependencies by
        absolute path, so a project copied with its cache (`cp -r`) must not read the original's entries,
        whose dependencies are the original's modules (an edit in the copy would go unseen)."""
        located = f"{os.path.abspath(filename)}\0{filename}"
        folder = hashlib.sha256(located.encode("utf-8", "surrogateescape")).hexdigest()
        digest = hashlib.sha256(self.settings.encode() + b"\0")
        digest.update(data)
        return self.directory / LAYOUT / folder[:2] / folder / f"{digest.hexdigest()}.json"

    def get(self, filename: str, data: bytes) -> FileResult | None:
        """The cached result for these bytes at this path, or None (a miss, or an entry that is damaged)."""
        try:
            raw = json.loads(self._entry(filename, data).read_bytes())
            depends = raw.get("depends", {})
            if any(_changed(path, digest) for path, digest in depends.items()):
                return None  # a project module this result read has changed, or one it missed appeared
            findings = [_finding(item) for item in raw["findings"]]
            return FileResult(filename, findings, depends=dict(depends))
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            return None

    def put(self, filename: str, data: bytes, result: FileResult) -> None:
        """Remember a result; results with a crashed rule are not cached, so the crash is reported again."""
        if result.crashes:
            return
        entry = self._entry(filename, data)
        payload = json.dumps(
            {"findings": [finding.to_json() for finding in result.findings], "depends": result.depends}
        )
        try:
            _prepare(self.directory)
            entry.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(entry, payload.encode())
            for older in os.scandir(entry.parent):
                if older.name != entry.name and older.name.endswith(".json"):
                    os.unlink(older.path)
        except OSError:
            pass  # a read-only checkout or a full disk: run without the cache


def _changed(path: str, digest: str | None) -> bool:
    """Whether a dependency of a cached result changed: a module's digest, a path an import resolution
    probed and did not find (None) that exists now (a module, or a folder of modules, created since), or
    the file listing of a project whose callers the check looked for."""
    if digest is None:
        return os.path.exists(path)
    if digest.startswith(LISTING_DIGEST_PREFIX):  # who mentions what: a caller came, went or changed
        asked = asked_in(digest)
        return asked is None or callers_digest(Path(path), asked) != digest
    return file_digest(path) != digest


def prune(directory: Path, limit: int = MAX_ENTRIES) -> None:
    """Keep at most `limit` entries in the cache at `directory` (the most recently written), and drop the
    folders of other layouts. Never raises: a cache that cannot be pruned is left as it is."""
    try:
        for child in os.scandir(directory):
            if child.is_dir(follow_symlinks=False) and child.name.startswith("v") and child.name != LAYOUT:
                shutil.rmtree(child.path, ignore_errors=True)
        entries = [
            entry
            for prefix in _folders(directory / LAYOUT)
            for folder in _folders(Path(prefix))
            for entry in os.scandir(folder)
            if entry.name.endswith(".json")
        ]
        if len(entries) <= limit:
            return
        entries.sort(key=lambda entry: entry.stat().st_mtime_ns)
        for entry in entries[: len(entries) - limit]:
            os.unlink(entry.path)
    except OSError:
        pass


def _folders(directory: Path) -> list[str]:
    return [entry.path for entry in os.scandir(directory) if entry.is_dir(follow_symlinks=False)]


def _prepare(directory: Path) -> None:
    """Create the cache directory so that git and backup tools leave it alone (as ruff and pytest do)."""
    if directory.is_dir():
        return
    directory.mkdir(parents=True, exist_ok=True)
    (directory / ".gitignore").write_text("# Created by nnlint.\n*\n")
    (directory / "CACHEDIR.TAG").write_text(
        "Signature: 8a477f597d28d172789f06886806bc55\n"
        "# This file is a cache directory tag created by nnlint (https://bford.info/cachedir/).\n"
    )


# -- decoding the JSON that Finding.to_json writes; anything unexpected raises and counts as a miss --------
# A field added to Finding, Fix or Edit must be decoded here too (tests/integrations/test_cache.py checks).


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _position(value: Any) -> Position:
    row, column = value["row"], value["column"]
    if not (isinstance(row, int) and isinstance(column, int)):
        raise TypeError("expected integer positions")
    return Position(row, column)


def _cell(value: Any) -> int | None:
    if value is not None and not isinstance(value, int):
        raise TypeError("expected a cell number")
    return value


def _fix(value: Any) -> Fix | None:
    if value is None:
        return None
    edits = tuple(
        Edit(
            _position(edit["location"]),
            _position(edit["end_location"]),
            _text(edit["content"]),
            _cell(edit.get("cell")),
        )
        for edit in value["edits"]
    )
    return Fix(_text(value["message"]), edits, _text(value["applicability"]))


def _finding(item: Any) -> Finding:
    hint = item.get("hint")
    return Finding(
        code=_text(item["code"]),
        name=_text(item["name"]),
        message=_text(item["message"]),
        filename=_text(item["filename"]),
        location=_position(item["location"]),
        end_location=_position(item["end_location"]),
        severity=Severity(item["severity"]),
        hint=_text(hint) if hint is not None else None,
        fix=_fix(item["fix"]),
        confirmation=item.get("confirmation"),
        evidence=dict(item.get("evidence", {})),
        cell=_cell(item.get("cell")),
        related=tuple(
            Related(_text(rel["filename"]), _position(rel["location"]), _text(rel["message"]))
            for rel in item.get("related", ())
        ),
    )
