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
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

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
            raise ConfigError(f"{origin}: unknown rule code or name {selector!r} (see `nnlint rules`)")
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

    @classmethod
    def from_table(cls, table: dict[str, Any], root: Path, source: str) -> Config:
        unknown = set(table) - KEYS - SUBTABLES
        if unknown:
            raise ConfigError(
                f"{source}: unknown key(s) in [tool.nnlint]: {', '.join(sorted(unknown))} "
                f"(known: {', '.join(sorted(KEYS))})"
            )

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
        )

    def enabled_codes(self, path: Path, overrides: Overrides) -> frozenset[str]:
        """The codes enabled for one file: config, then command-line overrides, then per-file ignores."""
        every = {rule.code for rule in default_rules()}
        selected = set(overrides.select if overrides.select is not None else (self.select or every))
        selected |= self.extend_select | overrides.extend_select
        selected -= self.ignore | overrides.ignore
        relative = _relative(path, self.root)
        for glob, codes in self.per_file_ignores:
            if fnmatch.fnmatch(relative, glob) or fnmatch.fnmatch(path.name, glob):
                selected -= codes
        return frozenset(selected)

    def is_excluded(self, path: Path) -> bool:
        relative = _relative(path, self.root)
        parts = Path(relative).parts
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


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def load_config_file(path: Path) -> Config:
    """Read `[tool.nnlint]` from a pyproject.toml, or the top level of a standalone nnlint.toml."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read config file {path}: {error.strerror or error}") from error
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from error
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("nnlint", {})
    else:
        table = data.get("tool", {}).get("nnlint", data)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.nnlint] must be a table")
    return Config.from_table(table, path.parent, str(path))


@cache
def find_config_for_dir(directory: Path) -> Config | None:
    """The config of the nearest pyproject.toml with a [tool.nnlint] table at or above `directory`.

    Memoized, because every file of a directory asks the same question; a long-lived process whose
    config files may change (the language server) calls `find_config_for_dir.cache_clear()` first.
    """
    for candidate_dir in (directory, *directory.parents):
        candidate = candidate_dir / "pyproject.toml"
        if candidate.is_file():
            try:
                text = candidate.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if "[tool.nnlint" in text:
                return load_config_file(candidate)
    return None


def config_for(path: Path, explicit: Config | None) -> Config:
    """The config that governs `path`: the explicit one, else the nearest one (`find_config_for_dir`)."""
    if explicit is not None:
        return explicit
    directory = path.resolve().parent if not path.is_dir() else path.resolve()
    found = find_config_for_dir(directory)
    return found if found is not None else Config(root=Path.cwd(), source="defaults")


def rules_for_codes(codes: frozenset[str]) -> list[type[Rule]]:
    return [rule for rule in all_rules() if rule.code in codes]
