"""Configuration: `[tool.nnlint]` in the nearest pyproject.toml above each checked file, or `--config PATH`.

Selection works like ruff's: `select` replaces the default (every rule that is on by default),
`extend-select` adds, `ignore` removes, `per-file-ignores` removes for files matching a glob. A selector is a
code (`NN101`), a code prefix (`NN1`, `NN`), a rule name (`view-as-permute`) or `ALL`. Unknown keys and
selectors that match no rule are errors: a typo in a linter's config must not silently turn a rule off.

Opt-in rules (the NN7 performance family) are selected only explicitly: by their family prefix (`NN7`),
a longer prefix, their code or their name. `ALL` and `NN` mean every rule that is on by default, so a
`select = ["ALL"]` config does not start reporting style-of-performance advice when nnlint adds it, as
ruff's `ALL` leaves preview rules out. Ignoring is inclusive: `ignore = ["ALL"]` removes opt-in rules too.
"""

from __future__ import annotations

import fnmatch
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from nnlint.rule import Rule, all_rules, default_rules

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_EXCLUDES = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "__pycache__",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    ".eggs",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".nnlint_cache",
    ".ipynb_checkpoints",
)
# Sub-tables read by other commands (`nnlint probe`, `nnlint run`), which validate their own keys.
SUBTABLES = frozenset({"probe", "run"})
KEYS = frozenset({"select", "extend-select", "ignore", "per-file-ignores", "exclude", "extend-exclude"})
# Which files are looked at (see `nnlint.discovery`); booleans, like ruff's keys of the same names.
FILE_KEYS = frozenset({"force-exclude", "respect-gitignore"})


class ConfigError(Exception):
    """A configuration or selection problem: reported as a usage error (exit code 2)."""


# A prefix at least this long names one family (`NN7`), which selects that family's opt-in rules.
_FAMILY_PREFIX = len("NN7")


def _selects(rule: type[Rule], selector: str, inclusive: bool) -> bool:
    """Whether a selector (not `ALL`) names a rule: by name, or by a prefix of its code, which for an
    opt-in rule must name at least its family unless the selection is `inclusive` (ignores)."""
    if rule.name == selector:
        return True
    prefix = selector.upper()
    if not rule.code.startswith(prefix):
        return False
    return inclusive or not rule.opt_in or len(prefix) >= _FAMILY_PREFIX


class _Named(Protocol):
    code: str
    name: str


def did_you_mean(selector: str, rules: Sequence[_Named]) -> str:
    """`; did you mean 'NN101'?` for a selector a typo away from a rule's code or name, else "" (for the
    config and the command line's selectors, and for `nnlint rule`, whose rules include the runtime ones).

    A code-like selector is compared with the codes (the longest shared start wins: NN1011 -> NN101), a
    name with the names."""
    import difflib
    import os.path

    if selector[:2].upper() == "NN":
        wanted = selector.upper()
        shared = {rule.code: len(os.path.commonprefix([rule.code, wanted])) for rule in rules}
        best = max(shared.values(), default=0)
        close = sorted(code for code, length in shared.items() if length == best and best > 2)[:3]
    else:
        close = difflib.get_close_matches(selector, [rule.name for rule in rules], n=2, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(name) for name in close)}?" if close else ""


def resolve_selectors(selectors: list[str], origin: str, inclusive: bool = False) -> set[str]:
    """The codes a list of selectors names. Raises ConfigError for a selector that names nothing.

    `inclusive` (for ignores) lets `ALL` and short prefixes name the opt-in rules as well."""
    rules = all_rules()
    codes: set[str] = set()
    for raw in selectors:
        selector = raw.strip()
        if not selector:
            continue
        if selector.upper() == "ALL":
            codes |= {rule.code for rule in rules if inclusive or not rule.opt_in}
            continue
        matched = {rule.code for rule in rules if _selects(rule, selector, inclusive)}
        if not matched:
            raise ConfigError(
                f"{origin}: unknown rule code or name {selector!r}{did_you_mean(selector, rules)} "
                "(see `nnlint rules`)"
            )
        codes |= matched
    return codes


def _string_list(value: Any, key: str, origin: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{origin}: `{key}` must be a list of strings")
    return value


@dataclass(frozen=True)
class Config:
    """The effective settings for the files under one config file's directory."""

    root: Path
    source: str  # where the settings came from, for messages
    select: frozenset[str] | None = None  # None: every rule that is on by default
    extend_select: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset()
    per_file_ignores: tuple[tuple[str, frozenset[str]], ...] = ()
    exclude: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    # Apply `exclude` (and the ignore files) to files named on the command line too (pre-commit names them).
    force_exclude: bool = False
    # Skip what .gitignore, .ignore and .git/info/exclude exclude.
    respect_gitignore: bool = True

    @classmethod
    def from_table(cls, table: dict[str, Any], root: Path, source: str) -> Config:
        unknown = set(table) - KEYS - FILE_KEYS - SUBTABLES
        if unknown:
            raise ConfigError(
                f"{source}: unknown key(s) in [tool.nnlint]: {', '.join(sorted(unknown))} "
                f"(known: {', '.join(sorted(KEYS | FILE_KEYS))})"
            )
        for key in FILE_KEYS & set(table):
            if not isinstance(table[key], bool):
                raise ConfigError(f"{source}: `{key}` must be true or false")

        def codes(key: str) -> frozenset[str]:
            selectors = _string_list(table.get(key, []), key, source)
            return frozenset(resolve_selectors(selectors, source, inclusive=key == "ignore"))

        per_file = table.get("per-file-ignores", {})
        if not isinstance(per_file, dict):
            raise ConfigError(f"{source}: `per-file-ignores` must be a table of glob = [codes]")
        return cls(
            root=root,
            source=source,
            select=codes("select") if "select" in table else None,
            extend_select=codes("extend-select"),
            ignore=codes("ignore"),
            per_file_ignores=tuple(
                (
                    glob,
                    frozenset(
                        resolve_selectors(
                            _string_list(sel, "per-file-ignores", source), source, inclusive=True
                        )
                    ),
                )
                for glob, sel in per_file.items()
            ),
            exclude=tuple(
                _string_list(table.get("exclude", []), "exclude", source)
                + _string_list(table.get("extend-exclude", []), "extend-exclude", source)
            ),
            extra={key: table[key] for key in SUBTABLES if key in table},
            force_exclude=table.get("force-exclude", False),
            respect_gitignore=table.get("respect-gitignore", True),
        )

    def enabled_codes(self, path: Path, overrides: Overrides) -> frozenset[str]:
        """The codes enabled for one file: config, then command-line overrides, then per-file ignores."""
        every = {rule.code for rule in default_rules()}
        selected = set(every)
        for chosen in (self.select, overrides.select):  # `select = []` selects nothing, as in ruff
            if chosen is not None:
                selected = set(chosen)
        selected |= self.extend_select | overrides.extend_select
        selected -= self.ignore | overrides.ignore
        relative = _relative(path, self.root)
        for glob, codes in self.per_file_ignores:
            if fnmatch.fnmatch(relative, glob) or fnmatch.fnmatch(path.name, glob):
                selected -= codes
        return frozenset(selected)

    def is_excluded(self, path: Path, start: Path | None = None) -> bool:
        """Whether an exclude pattern matches `path` below the project root (or below `start`, the path
        given on the command line). Folders above them never count: a project that lives under
        `/home/me/build/` is checked."""
        relative = _below(path, self.root)
        below_start = _below(path, start) if start is not None else None
        if relative is None:
            relative = below_start if below_start is not None else path.name
        parts = Path(below_start if below_start is not None else relative).parts
        for pattern in (*DEFAULT_EXCLUDES, *self.exclude):
            if fnmatch.fnmatch(relative, pattern) or any(fnmatch.fnmatch(part, pattern) for part in parts):
                return True
        return False


@dataclass(frozen=True)
class Overrides:
    """Selection given on the command line; it wins over every config file."""

    select: frozenset[str] | None = None
    extend_select: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset()
    # `--force-exclude` / `--respect-gitignore` and their `--no-` forms; None: as the config says.
    force_exclude: bool | None = None
    respect_gitignore: bool | None = None


def _relative(path: Path, root: Path) -> str:
    relative = _below(path, root)
    return relative if relative is not None else path.as_posix()


def _below(path: Path, root: Path) -> str | None:
    """`path` relative to `root` (both resolved), or None when it is not below it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return None


def _read_toml(path: Path) -> dict[str, Any]:
    """A TOML file's data; every way it can fail to be read is a ConfigError that says why."""
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read config file {path}: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: cannot read it: not UTF-8 ({error.reason})") from error
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from error
    except RecursionError as error:
        raise ConfigError(f"{path}: invalid TOML: it nests too deep") from error


def _nnlint_table(data: dict[str, Any], path: Path) -> dict[str, Any] | None:
    """`[tool.nnlint]` of parsed TOML (None when absent), however the TOML spells it."""
    tool = data.get("tool")
    if tool is None:
        return None
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: `tool` must be a table")
    table = tool.get("nnlint")
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.nnlint] must be a table")
    return table


def load_config_file(path: Path) -> Config:
    """Read `[tool.nnlint]` from a pyproject.toml, or the top level of a standalone nnlint.toml."""
    data = _read_toml(path)
    table = _nnlint_table(data, path)
    if table is None:
        table = {} if path.name == "pyproject.toml" else data
    return Config.from_table(table, path.parent, str(path))


@cache
def _config_in_dir(directory: Path) -> Config | None:
    """The config of `directory`'s own pyproject.toml, or None when it has none or no [tool.nnlint].

    A pyproject.toml that does not mention nnlint is not parsed at all; one that does is parsed as TOML,
    so every valid spelling (`[ tool.nnlint ]`, `[tool."nnlint"]`, dotted keys, inline tables) counts.
    """
    candidate = directory / "pyproject.toml"
    if not candidate.is_file():
        return None
    try:
        raw = candidate.read_bytes()
    except OSError as error:
        raise ConfigError(f"cannot read config file {candidate}: {error.strerror or error}") from error
    if b"nnlint" not in raw:
        return None
    data = _read_toml(candidate)
    table = _nnlint_table(data, candidate)
    return Config.from_table(table, directory, str(candidate)) if table is not None else None


@cache
def find_config_for_dir(directory: Path) -> Config | None:
    """The config of the nearest pyproject.toml with a [tool.nnlint] table at or above `directory`.

    Memoized (and each folder's own file once, in `_config_in_dir`), because every file of a directory
    asks the same question; a long-lived process whose config files may change (the language server)
    calls `clear_config_cache()` first.
    """
    for candidate_dir in (directory, *directory.parents):
        found = _config_in_dir(candidate_dir)
        if found is not None:
            return found
    return None


def clear_config_cache() -> None:
    """Forget every config read so far (config files may have changed since)."""
    find_config_for_dir.cache_clear()
    _config_in_dir.cache_clear()


def config_for(path: Path, explicit: Config | None) -> Config:
    """The config that governs `path`: the explicit one, else the nearest one (`find_config_for_dir`)."""
    if explicit is not None:
        return explicit
    try:
        directory = path.resolve().parent if not path.is_dir() else path.resolve()
    except (OSError, RuntimeError):  # a symlink loop (RuntimeError before Python 3.13)
        directory = path.absolute().parent
    found = find_config_for_dir(directory)
    return found if found is not None else Config(root=Path.cwd(), source="defaults")


def rules_for_codes(codes: frozenset[str]) -> list[type[Rule]]:
    return [rule for rule in all_rules() if rule.code in codes]
