"""The project a checked file belongs to: which of its imports are project modules, and their definitions.

`from models import Net` in train.py means models.py beside it when Python would find it there. This module
answers that the way `python train.py` would for the project's layout: the script's own folder first (Python
puts it on `sys.path`; a module of a package that is imported, not run, searches its own folder only after the
others, and never for a standard-library name), then the folder above the chain of packages (folders with
`__init__.py`) the file sits in, then the project root (the nearest folder with `pyproject.toml`, `setup.py`,
`setup.cfg` or `.git`, else the working directory). Relative imports count from the file's package. Only files
inside the checked file's project (its root, or its own folder when it has no root) are project modules: torch
and every other library stay unknown, and unknown means silent. A folder that holds several unrelated projects
does not mix them, since each file searches from its own folder and root.

Imported modules are parsed once per process (`ModuleStore`) and never reported on. Every resolution made
from a file is remembered on that file's context (`FileContext.project_deps`), so a check can tell which
project modules its result depends on (`dependencies`): the result cache keys on their contents, and a warm
rerun after an edit of models.py checks train.py again. Answers also rest on what is not there: the paths an
import probed and did not find (`ProjectView.absent`; a module created there would win), the project markers
and `__init__.py` files whose absence placed the project's root and package chain where they are (a
`pyproject.toml` created later moves them), and which of the project's files mention a function that "who
calls this?" asked about (`ProjectView.mentioned`; a module created or edited to call it may be a caller).
All count as dependencies too, for the result cache, the module store and the language server, so no
answer goes stale when a module appears or changes.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from stat import S_ISREG
from typing import TYPE_CHECKING

import libcst as cst

from nnlint.engine.names import UNKNOWN_STAR, dotted_name
from nnlint.vocabulary import LIBRARY_PREFIXES

if TYPE_CHECKING:
    from nnlint.engine.context import FileContext

PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")
# How many re-exports (`from .models import Net` in `__init__.py`) one resolution follows.
_MAX_HOPS = 8
_BUILTIN_NAMES = frozenset(dir(builtins))
# Source larger than this is not parsed: libcst needs about a gigabyte and half a minute per megabyte (a
# 10 MB generated file took 11 GB), in native code that no time limit interrupts. A checked file that
# large gets an NN000 saying so; a project module that large is not read (unknown, silent).
MAX_SOURCE_BYTES = 2_000_000

Definition = cst.FunctionDef | cst.ClassDef
# A folder's Python files as (name, size, modification time): a cache key that changes with any edit.
_Listing = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class Resolved:
    """A definition found in a project module (or in the checked file itself) and the file it lives in."""

    ctx: FileContext
    node: Definition


def package_torch_module(folder: Path) -> Path | None:
    """A module of the package `folder` (a folder with `__init__.py`) that mentions torch, or None.

    Answered per process for the folder's current listing (names, sizes, modification times), so an edit
    that adds or drops torch from a sibling is seen by the next check in the same process (`nnlint lsp`).
    """
    listing = _package_listing(folder)
    return _torch_module_in(folder, listing) if listing is not None else None


def flat_torch_importer(path: Path) -> Path | None:
    """A module beside `path`, in a folder that is no package, that mentions torch and imports `path`'s
    module by its name (`from utils import to_sequence`, `import metrics`), or None.

    A flat research project keeps its helpers in utils.py or metrics.py beside train.py; a helper that
    reshapes or evaluates what models.py hands it needs no `import torch` of its own. Answered from the
    folder's text only (a folder of more than `_FLAT_FOLDER_FILES` Python files is not read), per
    listing, like `package_torch_module`."""
    folder = path.parent
    if (folder / "__init__.py").is_file():
        return None
    listing = _folder_listing(folder, leaving_out=path.name)
    if listing is None or len(listing) > _FLAT_FOLDER_FILES:
        return None
    stem = path.stem
    imports = (f"from {stem} import".encode(), f"import {stem}".encode())
    found = _modules_mentioning(folder, listing, (b"torch",), imports)
    return found[0] if found else None


# A flat folder with more Python files than this is a collection of scripts, not one project's modules.
_FLAT_FOLDER_FILES = 100


def _package_listing(folder: Path, leaving_out: str = "") -> _Listing | None:
    """The Python files of a package folder (one with `__init__.py`), None for any other folder."""
    if not (folder / "__init__.py").is_file():
        return None
    return _folder_listing(folder, leaving_out)


def _folder_listing(folder: Path, leaving_out: str = "") -> _Listing | None:
    """The Python files of a folder (but `leaving_out`), None when it cannot be listed."""
    try:
        return tuple(
            (entry.name, entry.stat().st_size, entry.stat().st_mtime_ns)
            for entry in sorted(os.scandir(folder), key=lambda e: e.name)
            if entry.name.endswith(".py") and entry.is_file() and entry.name != leaving_out
        )
    except OSError:
        return None


@lru_cache(maxsize=256)
def _torch_module_in(folder: Path, listing: _Listing) -> Path | None:
    found = _modules_mentioning(folder, listing, (b"torch",), ())
    return found[0] if found else None


def package_modules_mentioning(
    path: Path, all_of: tuple[str, ...], any_of: tuple[str, ...] = ()
) -> tuple[Path, ...]:
    """The other modules of the package `path` is in whose text holds every word of `all_of` and one of
    `any_of`: a cheap, conservative look at callers a module cannot see (`evaluate` called under
    `torch.no_grad()` in train.py). Empty when `path` is in no package."""
    listing = _package_listing(path.parent, leaving_out=path.name)
    if listing is None:
        return ()
    encoded = (tuple(w.encode() for w in all_of), tuple(w.encode() for w in any_of))
    return _modules_mentioning(path.parent, listing, *encoded)


@lru_cache(maxsize=256)
def _modules_mentioning(
    folder: Path, listing: _Listing, all_of: tuple[bytes, ...], any_of: tuple[bytes, ...]
) -> tuple[Path, ...]:
    found: list[Path] = []
    for name, size, _ in listing:
        if size > MAX_SOURCE_BYTES:
            continue
        try:
            text = (folder / name).read_bytes()
        except OSError:
            continue
        if all(word in text for word in all_of) and (not any_of or any(word in text for word in any_of)):
            found.append(folder / name)
    return tuple(found)


# Folders that installed distributions live in: a library there is never part of a sibling's project.
_INSTALL_FOLDERS = frozenset({"site-packages", "dist-packages"})


def _installed_package(folder: Path) -> tuple[Path, Path] | None:
    """For a folder inside an installed distribution (`.../site-packages/torch/nn`): the install folder
    (`site-packages`) and the distribution's own top-level package (`site-packages/torch`), else None."""
    parts = folder.parts
    for position in range(len(parts) - 1, -1, -1):
        if parts[position] in _INSTALL_FOLDERS:
            install = Path(*parts[: position + 1])
            return install, (install / parts[position + 1] if position + 1 < len(parts) else install)
    return None


@dataclass(frozen=True)
class _Layout:
    """What a folder's place in the project gives (the folders absolute imports are searched in, the
    project's bounds and root), with the paths whose absence it rests on: a project marker or an
    `__init__.py` created there moves the root or extends the chain of packages, so the answer holds only
    while they stay absent (`find_module` records them). A file of an installed distribution (inside
    `site-packages`) belongs to its own top-level package: `import sympy` in torch's sources names a
    library, not a module of torch's project."""

    roots: tuple[Path, ...]
    bound: Path
    root: Path | None
    absent: frozenset[Path]
    package: bool = False  # the folder itself is a package (has `__init__.py`)


# Layouts by folder, each with the check it was computed in: a long-lived process (the language server)
# sees a `pyproject.toml` or an `__init__.py` created since, from the next check on.
_LAYOUTS: dict[Path, tuple[int, _Layout]] = {}


def _layout(folder: Path) -> _Layout:
    cached = _LAYOUTS.get(folder)
    if cached is not None and cached[0] == _check_number:
        return cached[1]
    if len(_LAYOUTS) >= 4096:
        _LAYOUTS.clear()
    layout = _compute_layout(folder)
    _LAYOUTS[folder] = (_check_number, layout)
    return layout


def _compute_layout(folder: Path) -> _Layout:
    installed = _installed_package(folder)
    if installed is not None:
        install, package = installed
        # Absolute imports of the package's own modules (`import torch.nn`) start in `site-packages`;
        # `find_module` keeps only what it finds below the package, its root. No marker decides anything.
        # A module directly in `site-packages` (`six.py`) is a project of its own: no other module is its.
        roots = (folder, install) if folder != install else ()
        return _Layout(roots, package, package, frozenset(), (folder / "__init__.py").is_file())
    absent: list[Path] = []
    root = None  # the nearest folder at or above `folder` with a project marker
    for candidate in (folder, *folder.parents):
        markers = [candidate / marker for marker in PROJECT_MARKERS]
        if any(marker.exists() for marker in markers):
            root = candidate
            break
        absent.extend(markers)
    top = folder  # the folder above the chain of packages `folder` belongs to (itself when it is none)
    while (top / "__init__.py").is_file() and top.parent != top:
        top = top.parent
    absent.append(top / "__init__.py")
    bound = root if root is not None else folder
    if root is None and _is_below(folder, Path.cwd()):
        bound = Path.cwd()
    roots: list[Path] = []
    for candidate in (folder, top, root or bound):
        if candidate not in roots and _is_below(candidate, bound):
            roots.append(candidate)
    return _Layout(tuple(roots), bound, root, frozenset(absent), top != folder)


def _is_below(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _module_file(base: Path, parts: list[str], absent: set[Path] | None = None) -> Path | None:
    """`base/a/b.py` or `base/a/b/__init__.py` for parts ["a", "b"]; `base/__init__.py` for no parts.
    Each candidate not found goes into `absent` (see `find_module`)."""
    target = base.joinpath(*parts)
    if parts:
        module = target.with_name(target.name + ".py")
        if module.is_file():
            return module
        if absent is not None:
            absent.add(_first_missing(base, parts[:-1], module))
    package = target / "__init__.py"
    if package.is_file():
        return package
    if absent is not None:
        absent.add(_first_missing(base, parts, package))
    return None


def _first_missing(base: Path, folders: list[str], candidate: Path) -> Path:
    """What must appear for `candidate` (in `base/folders...`) to exist: the first of those folders that
    does not exist, else the candidate itself. One path stands for every module below a missing folder
    (`torch/` for `torch/nn/functional.py`), which keeps the negative lookups of library names few."""
    folder = base
    for part in folders:
        folder = folder / part
        if not folder.exists():
            return folder
    return candidate


def find_module(
    from_file: Path, qualified: str, absent: set[Path] | None = None
) -> tuple[Path, list[str]] | None:
    """The project module a qualified name starts in, and the attribute path that remains in it.

    `models.Net` from train.py -> (models.py, ["Net"]); `.layers.Head` -> (package/layers.py, ["Head"]);
    `pkg.sub` -> (pkg/sub/__init__.py, []). The longest importable prefix wins, as in Python.
    The candidates probed and not found before the answer go into `absent` (a negative lookup): the
    answer holds only while they stay absent, since a module created there would win.
    """
    level = len(qualified) - len(qualified.lstrip("."))
    parts = [part for part in qualified[level:].split(".") if part]
    folder = from_file.parent
    layout = _layout(folder)
    if absent is not None:
        absent |= layout.absent
    bound = layout.bound
    if level:
        base = folder
        for _ in range(level - 1):
            base = base.parent
        bases: tuple[Path, ...] = (base,) if _is_below(base, bound) else ()
    else:
        bases = _absolute_bases(from_file, parts, layout)
    lowest = 0 if level else 1  # `from . import x` may name the package itself; `import` needs a name
    for base in bases:
        found = _find_in(base, parts, lowest, from_file, absent)
        if found is not None and _is_below(found[0], bound):
            return found
    if not level and parts:
        for base in _own_package_base(folder, parts[0], bound, bases):
            found = _find_in(base, parts, lowest, from_file, absent)
            if found is not None and _is_below(found[0], bound):
                return found
    return None


def _absolute_bases(from_file: Path, parts: list[str], layout: _Layout) -> tuple[Path, ...]:
    """The folders an absolute import of `parts` is searched in from `from_file`, in Python 3's order.

    Python puts a file's own folder first on `sys.path` only for the file it runs as a script. A module
    of a package (its folder has `__init__.py`) that is imported, not run, resolves `import logging`
    from the roots: the standard library's `logging`, never a sibling `logging.py` (torch's `_dynamo/`
    has one). So for such a module (no `__main__` guard, read from its text) the folder goes after the
    other roots, and for a standard-library name it is not searched at all; a sibling that no root
    holds stays found (code written for Python 2's implicit relative imports, or run with the folder on
    the path), as before."""
    roots = layout.roots
    folder = from_file.parent
    if not layout.package or len(roots) < 2 or roots[0] != folder:
        return roots
    if runs_as_script(from_file):
        return roots
    if parts and parts[0] in sys.stdlib_module_names:
        return roots[1:]
    return (*roots[1:], folder)


def runs_as_script(path: Path) -> bool:
    """Whether a module is a file Python runs as a script: its text has an `if __name__ == "__main__":`
    guard (`entry.has_main_guard`). Unreadable text counts as a script, which keeps the old order."""
    from nnlint.engine.entry import has_main_guard

    text = STORE.text(path)
    return text is None or has_main_guard(text)


@lru_cache(maxsize=4096)  # names only, no file system: the answer never goes stale
def _own_package_base(folder: Path, first: str, bound: Path, bases: tuple[Path, ...]) -> tuple[Path, ...]:
    """The folder above the importing file's own package, found by its name, when no `__init__.py` chains
    up to it: llama-recipes keeps `src/llama_recipes/` as a namespace package (no `__init__.py` in it,
    the installed distribution puts `src` on the path), and `src/llama_recipes/finetuning.py` imports
    `from llama_recipes.utils.train_utils import train`. Only a folder at or above the file, inside the
    project bound, whose name is the import's first part counts; () otherwise."""
    if first not in folder.parts:
        return ()  # cheap: the usual answer (`torch`, a sibling module), without walking the parents
    for candidate in (folder, *folder.parents):
        if not _is_below(candidate, bound):
            break
        if candidate.name == first:
            return () if candidate.parent in bases else (candidate.parent,)
    return ()


def _find_in(
    base: Path, parts: list[str], lowest: int, from_file: Path, absent: set[Path] | None
) -> tuple[Path, list[str]] | None:
    """`find_module` in one search folder: the longest prefix of `parts` that is a module there."""
    if parts and not (base / parts[0]).exists():
        # Nothing exists below a missing folder (`torch/` for a library name): of all the prefixes only
        # `parts[0].py` (or, for a relative import, the package itself) can be a module here.
        if absent is not None:
            absent.add(base / parts[0])
        candidates = [(1, base / f"{parts[0]}.py")] + ([(0, base / "__init__.py")] if lowest == 0 else [])
        for size, candidate in candidates:
            if candidate.is_file():
                if candidate != from_file:
                    return candidate, parts[size:]
            elif absent is not None:
                absent.add(candidate)
        return None
    for size in range(len(parts), lowest - 1, -1):
        found = _module_file(base, parts[:size], absent)
        if found is not None and found != from_file:
            return found, parts[size:]
    return None


def display_path(path: Path) -> str:
    """A path as findings name it: relative to the working directory when below it (as the CLI does)."""
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


class ModuleStore:
    """Project modules read so far in this process, each parsed once (re-read when the file changes)."""

    def __init__(self) -> None:
        self._modules: dict[Path, tuple[tuple[int, int], FileContext | None, str]] = {}
        self._texts: dict[Path, tuple[tuple[int, int], bytes | None]] = {}

    def context(self, path: Path) -> FileContext | None:
        """The context of a project module (None when it cannot be read or parsed)."""
        from nnlint.engine.context import FileContext
        from nnlint.runner import decode_source, parse_source

        try:
            stat = path.stat()
        except OSError:
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        cached = self._modules.get(path)
        if cached is not None and cached[0] == stamp and self._deps_fresh(cached[1], {path}):
            return cached[1]
        ctx: FileContext | None = None
        digest = ""
        if stat.st_size <= MAX_SOURCE_BYTES:
            try:
                data = path.read_bytes()
                digest = hashlib.sha256(data).hexdigest()
                source = decode_source(data)
                # The checked file's own parse: the same recovery of older grammars, the same guards.
                parsed = parse_source("", source)
                if isinstance(parsed, cst.Module):
                    ctx = FileContext(display_path(path), source, parsed)
                    ctx.real_path = path
            except (OSError, UnicodeDecodeError, LookupError):
                ctx = None
        self._modules[path] = (stamp, ctx, digest)
        return ctx

    def _deps_fresh(self, ctx: FileContext | None, seen: set[Path]) -> bool:
        """Whether every module a cached module's answers were drawn from is unchanged too: its memoized
        summaries (what its functions return) may rest on them. A long-lived process (the language
        server) then never answers from a summary of code that has changed."""
        if ctx is None:
            return True
        view = ctx.project
        if view.confirmed != _check_number:  # once per check: the paths are many, the files stay put
            if any(path.exists() for path in view.absent):
                return False  # a module its imports would now resolve to has appeared
            if any(mentioning(*asked) != found for asked, found in view.mentioned.items()):
                return False  # a module that calls a function it asked about came, went or changed
            view.confirmed = _check_number
        for dep in ctx.project_deps:
            if dep in seen:
                continue
            seen.add(dep)
            cached = self._modules.get(dep)
            try:
                stat = dep.stat()
            except OSError:
                return False
            stamp = (stat.st_mtime_ns, stat.st_size)
            if cached is None:
                # A module only looked at as text (`text`) drew on nothing else.
                looked_at = self._texts.get(dep)
                if looked_at is None or looked_at[0] != stamp:
                    return False
                continue
            if cached[0] != stamp:
                return False
            if not self._deps_fresh(cached[1], seen):
                return False
        return True

    def text(self, path: Path) -> bytes | None:
        """The bytes of a project module (None when it cannot be read or is too large to be read), for
        questions answered from its text without parsing it. Read once per version of the file."""
        try:
            stat = path.stat()
        except OSError:
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        cached = self._texts.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        data: bytes | None = None
        if stat.st_size <= MAX_SOURCE_BYTES:
            try:
                data = path.read_bytes()
            except OSError:
                data = None
        self._texts[path] = (stamp, data)
        return data

    def parsed(self, path: Path) -> FileContext | None:
        """The context of a module this process has parsed already (None for one it has not parsed):
        the modules it drew answers from are recorded there. One it never parsed drew none."""
        cached = self._modules.get(path)
        return cached[1] if cached is not None else None

    def clear(self) -> None:
        """Forget every module read so far: the next check starts as cold as a fresh process."""
        self._modules.clear()
        self._texts.clear()

    def digest(self, path: Path) -> str:
        """The digest of a module a check depended on: of the bytes it was parsed from, or of the file now
        when the check only looked at it (a sibling that mentions torch) without parsing it."""
        cached = self._modules.get(path)
        if cached is not None and cached[2]:
            return cached[2]
        return file_digest(str(path)) or ""


STORE = ModuleStore()


def _top_level(module: cst.Module) -> dict[str, cst.CSTNode]:
    """Top-level definitions and imports by the name they bind (inside `if`/`try` too); the last wins."""
    table: dict[str, cst.CSTNode] = {}
    stack: list[cst.CSTNode] = list(reversed(module.body))
    while stack:
        statement = stack.pop()
        if type(statement) in (cst.FunctionDef, cst.ClassDef):
            table[statement.name.value] = statement
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if type(small) in (cst.Import, cst.ImportFrom) and not isinstance(
                    getattr(small, "names", None), cst.ImportStar
                ):
                    for alias in small.names:  # type: ignore[union-attr]
                        bound = alias.asname.name if alias.asname is not None else alias.name
                        name = dotted_name(bound)  # type: ignore[arg-type]
                        if name:
                            table[name.split(".", 1)[0]] = small
                elif isinstance(small, (cst.Assign, cst.AnnAssign)):
                    for target in small.targets if isinstance(small, cst.Assign) else [small]:
                        node = target.target
                        if isinstance(node, cst.Name):
                            table[node.value] = small  # shadows an earlier definition: unknown
        elif isinstance(statement, cst.If):
            stack.extend(reversed(_block(statement.body)))
        elif isinstance(statement, (cst.Try, cst.TryStar)):
            stack.extend(reversed(_block(statement.body)))
    return table


def _top_level_value(module: FileContext, name: str) -> cst.BaseExpression | None:
    """The value of the one binding of `name` at the module's top level (outside every function and
    class, inside `if`/`try`/loops too), read from the module's binding table, when that binding is a plain
    assignment; None when the top level binds it more than once or in any other way (an unpacking, `+=`,
    a def or an import)."""
    top = [
        binding
        for binding in module.bindings.of(name)
        if module.index.enclosing(binding.node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) is None
    ]
    if len(top) != 1 or top[0].kind not in ("assign", "annotated"):
        return None
    return top[0].value


def _block(suite: cst.BaseSuite) -> list[cst.CSTNode]:
    return list(suite.body) if isinstance(suite, cst.IndentedBlock) else []


def _member(cls: cst.ClassDef, name: str) -> cst.FunctionDef | None:
    """A method defined directly in a class body (the last definition wins, as in Python)."""
    found = None
    if isinstance(cls.body, cst.IndentedBlock):
        for statement in cls.body.body:
            if isinstance(statement, cst.FunctionDef) and statement.name.value == name:
                found = statement
    return found


# Above zero while questions are asked about the checked file alone (`this_file_only`).
_LOCAL_ONLY = 0


@contextmanager
def this_file_only() -> Iterator[None]:
    """Resolve names without reading any other module: for questions whose answer is kept only when it
    is a definition of the asking file itself (`bindings.local_function`), so reading the module an
    imported name leads to would be wasted work. Inside, every project module is unknown."""
    global _LOCAL_ONLY
    _LOCAL_ONLY += 1
    try:
        yield
    finally:
        _LOCAL_ONLY -= 1


# What a module's text must say for a function of it to be resolved, and whether a class is an answer
# (`only_if_text`); None: no gate.
_TEXT_GATE: tuple[Callable[[bytes], bool], bool] | None = None


@contextmanager
def only_if_text(says: Callable[[bytes], bool], classes: bool = True) -> Iterator[None]:
    """Resolve a function of another module only when `says(its text)`: for questions whose answer about
    such a function is "unknown" anyway unless its module says something (what a function returns is
    not asked of a module that never calls a backward; a loss is not computed by a module that names
    none). The module is looked at as text, not parsed, when a plain top-level `def` of the name is all
    it binds the name to, or, for `Class.method`, a `class` is all it binds the class's name to (the
    method is then looked up in that class's own body, in that text). Classes themselves and re-exports
    are resolved as always, unless `classes` is False: for a question whose answer is never a class (a
    call of a name that runs a function), a name bound only by a `class` is unknown without parsing too.
    `says` must be one object per question (a module-level function): the answers are remembered by it."""
    global _TEXT_GATE
    previous = _TEXT_GATE
    _TEXT_GATE = (says, classes)
    try:
        yield
    finally:
        _TEXT_GATE = previous


# Above zero while the question only cares about classes that list a base (`only_classes_with_bases`).
_WITH_BASES_ONLY = 0


@contextmanager
def only_classes_with_bases() -> Iterator[None]:
    """Resolve a name of another module only when it may be a class that lists a base: for questions that a
    class listing none answers "no" anyway (does it derive from `nn.Module`? `summaries.is_model_class`),
    so parsing its module to find that out would be wasted work. A module whose text binds the name only
    by `class` statements that list no base is looked at as text, not parsed: the name is unknown."""
    global _WITH_BASES_ONLY
    _WITH_BASES_ONLY += 1
    try:
        yield
    finally:
        _WITH_BASES_ONLY -= 1


def only_if_mentions(*words: str) -> AbstractContextManager[None]:
    """`only_if_text` for a module whose text holds every word."""
    return only_if_text(_saying_all(tuple(word.encode() for word in words)))


@lru_cache(maxsize=64)
def _saying_all(words: tuple[bytes, ...]) -> Callable[[bytes], bool]:
    """One test per set of words, so that `_unknown_from_text` remembers its answers across questions."""
    return lambda text: all(word in text for word in words)


@lru_cache(maxsize=4096)
def _unknown_from_text(
    text: bytes, attributes: tuple[str, ...], says: Callable[[bytes], bool], classes: bool
) -> bool:
    """Whether a module's text alone answers "unknown" for its function or method (`only_if_text`).
    Asked again for the same module and name by every file that calls it: remembered (a text's hash is
    computed once, and the text is the store's one copy)."""
    name = attributes[0]
    if len(attributes) == 1 and not classes and _bound_only_by(text, name, _CLASS, _DEF):
        return True
    if says(text):
        return False
    if len(attributes) == 1:
        return _bound_only_by(text, name, _TOP_LEVEL_DEF, _CLASS)
    return len(attributes) == 2 and _bound_only_by(text, name, _CLASS, _DEF)


@lru_cache(maxsize=4096)
def _no_method_from_text(text: bytes, name: str, method: str, says: Callable[[bytes], bool] | None) -> bool:
    """Whether a module's text alone shows that its class `name`, looked up for `method` as a base class,
    gives nothing worth parsing the module for: the module binds `name` only by `class` statements that
    list no base (so the method can only be in that body), and the text never says the method's name
    (it has no such method), or a text gate is on (`only_if_text`) and the text fails it (a method of
    that module is unknown to the question anyway). A class with bases is read: they are not in the text."""
    if not _only_baseless_classes(text, name):
        return False
    return method.encode() not in text or (says is not None and not says(text))


@lru_cache(maxsize=4096)
def _only_baseless_classes(text: bytes, name: str) -> bool:
    """Whether a module binds `name` only by `class` statements that list no base (`class A:`, `class
    A(object):`), and by nothing else: a conservative look at its text, which says no when unsure."""
    if not _bound_only_by(text, name, _CLASS, _DEF):
        return False
    word = re.escape(name.encode())
    statements = re.findall(_CLASS + word + rb"\b[^:\n]*", text, re.MULTILINE)
    return all(re.fullmatch(_CLASS + word + _NO_BASES, line) for line in statements)


# Lines that define a name (`_bound_only_by`): a class (also under `if`/`try`), a top-level function.
_CLASS = rb"^[ \t]*class[ \t]+"
_DEF = rb"^[ \t]*(?:async[ \t]+)?def[ \t]+"
_TOP_LEVEL_DEF = rb"^(?:async[ \t]+)?def[ \t]+"
# What follows the name of a class that lists no base: `class A:`, `class A():`, `class A(object):`.
_NO_BASES = rb"[ \t]*(?:\([ \t]*(?:object)?[ \t]*\))?[ \t]*"


def _bound_only_by(text: bytes, name: str, definition: bytes, other: bytes) -> bool:
    """Whether a module binds `name` by a `definition` (a top-level `def`, or a `class`) and by nothing
    else that could win (the `other` kind of definition, an assignment, an import): a conservative look
    at the text, which says no when unsure."""
    word = re.escape(name.encode())
    # The one-line forms are looked for in the lines that say the name only: a pattern that starts with
    # `^` is tried at every position of the text, ~4 ms for a 200 KB module, asked once per name.
    lines = _lines_saying(text, name.encode())
    if not re.search(definition + word + rb"\b", lines, re.MULTILINE):
        return False
    rebound = (
        other + word + rb"\b"  # a class (or def) of the same name
        rb"|^[ \t]*" + word + rb"[ \t]*(?::[^=\n]*)?=[^=]"  # `name = ...`, `name: T = ...`
    )
    if re.search(rebound, lines, re.MULTILINE):
        return False
    # The import forms may span lines, so they are looked for in the whole text; the pattern starts with
    # the literal `import` (which the regex engine skips to), and `(?<!\wimport)` is the `\b` before it.
    imported = (
        rb"import(?<!\wimport)(?:"
        rb"\b(?:[^\n]*\\\n)*[^\n]*\b" + word + rb"\b"  # `from x import name`, also after `\`
        rb"|[ \t]*\((?:[^)#]|#[^\n]*\n)*\b" + word + rb"\b"  # `from x import (\n    a,\n    name,\n)`
        rb")"
    )
    return re.search(imported, text) is None


def _lines_saying(text: bytes, word: bytes) -> bytes:
    """The lines of `text` that hold `word` anywhere, each with its line end, in order: a one-line pattern
    that must match `word` finds in them exactly what it finds in `text` (each line still starts after a
    line end or at the start, and ends with its own)."""
    lines: list[bytes] = []
    start = text.find(word)
    while start != -1:
        end = text.find(b"\n", start)
        end = len(text) if end == -1 else end + 1
        lines.append(text[text.rfind(b"\n", 0, start) + 1 : end])
        start = text.find(word, end)
    return b"".join(lines)


class ProjectView:
    """Project questions asked from one file: what does this imported name define?"""

    def __init__(self, ctx: FileContext) -> None:
        self._ctx = ctx
        self._file = ctx.real_path
        self._tables: dict[int, dict[str, cst.CSTNode]] = {}
        # Names resolved through this file's `from m import *` statements (`_through_star_imports`), by name
        # and text gate (`only_if_text`, `only_classes_with_bases`): what is unknown under a gate may be known
        # to a question without it.
        self._starred: dict[tuple[str, object, bool], Resolved | None] = {}
        self._star_paths: dict[str, Path | None] = {}  # each star-imported module's file, when in the project
        # Imported names this file's star imports bring (`star_imported`), by the local name.
        self._star_aliases: dict[str, str | None] = {}
        # Negative lookups this file's answers rest on: module paths probed and not found (`find_module`).
        self.absent: set[Path] = set()
        # Who mentions what in the project (who calls this?), as this file's answers found it: by project
        # root, words and the size cap the question had (`mentioning`).
        self.mentioned: dict[tuple[Path, tuple[str, ...], int | None], tuple[Path, ...] | None] = {}
        # The check in which `absent` and `mentioned` were last confirmed to hold (`ModuleStore`).
        self.confirmed = -1
        self._path_folders: tuple[Path, ...] | None = None  # `path_folders`, once asked

    def resolve_qualified(self, qualified: str, hops: int = 0, method: str | None = None) -> Resolved | None:
        """The project definition a qualified name from this file's imports stands for (`models.Net`).

        A name of a library the vocabulary knows (`torch.`, `timm.`, `numpy.`: `LIBRARY_PREFIXES`) is
        never a project definition, also where the checked file is part of that library's own source
        tree: what it defines stays unknown, as every analysis that asks treats library code.

        `method`: a class is wanted only to look that method up in it (a base class, `bindings.method_of`):
        a module whose text shows that the class cannot give the method, or gives it from a module the
        question's text gate (`only_if_text`) rules out, is not read (`_no_method_from_text`)."""
        if self._file is None or hops > _MAX_HOPS or _LOCAL_ONLY or qualified.startswith(LIBRARY_PREFIXES):
            return None
        found = self.find(qualified)
        if found is None:
            return None
        path, attributes = found
        if not attributes:
            return None
        gated = _TEXT_GATE is not None and len(attributes) <= 2
        for_method = method is not None and len(attributes) == 1
        with_bases = _WITH_BASES_ONLY > 0 and len(attributes) == 1
        if (gated or for_method or with_bases) and path != self._file:
            text = STORE.text(path)
            if text is not None and (
                (gated and _unknown_from_text(text, tuple(attributes), *_TEXT_GATE))  # type: ignore[misc]
                or (with_bases and _only_baseless_classes(text, attributes[0]))
                or (
                    for_method
                    and _no_method_from_text(
                        text, attributes[0], method, _TEXT_GATE[0] if _TEXT_GATE is not None else None
                    )
                )
            ):
                self._ctx.project_deps.add(path)  # the answer (unknown) was drawn from its text
                return None
        module = self.read(path)
        return module.project.member(attributes, hops + 1, method) if module is not None else None

    def unreadable(self, qualified: str) -> bool:
        """Whether a qualified name from this file's imports (`models.test.test_img`) lives in a project
        module that cannot be parsed (a TabError, Python 2 syntax): what it does is unknown, not merely
        unseen, so no guess about it may be made. Recorded as a dependency, like any answer drawn from it."""
        if self._file is None or qualified.startswith(LIBRARY_PREFIXES):
            return False
        found = self.find(qualified)
        return found is not None and found[0] != self._file and self.read(found[0]) is None

    def find(self, qualified: str) -> tuple[Path, list[str]] | None:
        """`find_module` from this file, its negative lookups recorded as this file's dependencies; an
        absolute name not found there is looked for in the folders the file, or a module it imports
        (`import _init_paths`), adds to `sys.path` (`path_folders`)."""
        if self._file is None:
            return None
        found = find_module(self._file, qualified, self.absent)
        if found is not None or qualified.startswith(".") or qualified.startswith(LIBRARY_PREFIXES):
            return found
        parts = [part for part in qualified.split(".") if part]
        for folder in self.path_folders():
            found = _find_in(folder, parts, 1, self._file, self.absent)
            if found is not None:
                return found
        return None

    def path_folders(self) -> tuple[Path, ...]:
        """The folders this file's top level, or the top level of a project module it imports, adds to
        `sys.path` (`syspath.added_folders`), inside the file's project bound; memoized. A module whose
        text never says `sys.path` is not parsed; one that does is a dependency of this file's result."""
        if self._path_folders is not None:
            return self._path_folders
        self._path_folders = ()  # meanwhile (a module importing this file back): none
        from nnlint.engine.syspath import added_folders, mentions_sys_path

        assert self._file is not None
        folders = list(added_folders(self._ctx))
        for qualified in {*self._ctx.imports.aliases.values(), *self._ctx.imports.star_modules}:
            head = qualified.split(".", 1)[0]
            if not head or f"{qualified}.".startswith(LIBRARY_PREFIXES) or head in sys.stdlib_module_names:
                continue
            located = find_module(self._file, head, self.absent)
            if located is None or located[1]:
                continue
            text = STORE.text(located[0])
            if text is None or not mentions_sys_path(text):
                continue
            module = self.read(located[0])
            if module is not None:
                folders.extend(added_folders(module))
        bound = _layout(self._file.parent).bound
        self._path_folders = tuple(folder for folder in dict.fromkeys(folders) if _is_below(folder, bound))
        return self._path_folders

    def read(self, path: Path) -> FileContext | None:
        """The project module at `path`, recorded as a module this file's result depends on, also when it
        cannot be parsed: the answer drawn from it (unknown, then) changes when it is fixed."""
        if _LOCAL_ONLY:
            return None
        self._ctx.project_deps.add(path)
        return STORE.context(path)

    def member(self, attributes: list[str], hops: int, method: str | None = None) -> Resolved | None:
        """`Net` or `Net.forward` defined in this module, following re-exports through its imports
        (`method`: as `resolve_qualified`)."""
        ctx = self._ctx
        table = self._tables.get(0)
        if table is None:
            table = self._tables[0] = _top_level(ctx.module)
        node = table.get(attributes[0])
        if node is None and len(attributes) <= 2:
            found = self._through_star_imports(attributes[0], hops)
            if found is None or len(attributes) == 1:
                return found
            method = _member(found.node, attributes[1]) if isinstance(found.node, cst.ClassDef) else None
            return Resolved(found.ctx, method) if method is not None else None
        if type(node) in (cst.Import, cst.ImportFrom):
            qualified = ctx.imports.resolve(attributes[0])
            if qualified is None:
                return None
            rest = ".".join(attributes[1:])
            return self.resolve_qualified(f"{qualified}.{rest}" if rest else qualified, hops, method)
        if type(node) is cst.ClassDef and len(attributes) == 2:
            method = _member(node, attributes[1])
            return Resolved(ctx, method) if method is not None else None
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)) and len(attributes) == 1:
            return Resolved(ctx, node)
        return None

    def module_value(self, qualified: str) -> tuple[FileContext, cst.BaseExpression] | None:
        """The value a project module's top level assigns to a setting (`config.lr_decay_step` of a
        `config.py` holding `lr_decay_step = [200, 400]`), with the module it is written in: only for a
        name the module's top level (its `if`/`try` blocks too) assigns exactly once, to one name. Anything
        else (a library, a function's or class's member, a setting assigned twice) is None."""
        if self._file is None or _LOCAL_ONLY or qualified.startswith(LIBRARY_PREFIXES):
            return None
        found = self.find(qualified)
        if found is None or len(found[1]) != 1:
            return None
        module = self.read(found[0])
        if module is None:
            return None
        value = _top_level_value(module, found[1][0])
        return (module, value) if value is not None else None

    def _through_star_imports(self, name: str, hops: int) -> Resolved | None:
        """The project definition a name nothing else in this file binds gets from a `from m import *` of a
        project module, as Python binds it: m's public top-level names, or those its `__all__` lists (the
        last star import that exports the name wins). Asked only for such names, and remembered per name;
        a library's star import stays unknown."""
        ctx = self._ctx
        if _LOCAL_ONLY or hops > _MAX_HOPS or not ctx.imports.star_modules:
            return None  # (not remembered: asked again outside `this_file_only`, the answer may be known)
        if name in _BUILTIN_NAMES or ctx.bindings.of(name):
            return None
        key = (name, _TEXT_GATE, _WITH_BASES_ONLY > 0)
        if key in self._starred:
            return self._starred[key]
        self._starred[key] = None  # a cycle of star imports meanwhile answers "unknown"
        found: Resolved | None = None
        for module in reversed(ctx.imports.star_modules):
            if module.startswith(LIBRARY_PREFIXES):
                continue
            if module not in self._star_paths:
                located = self.find(module)
                self._star_paths[module] = located[0] if located is not None and not located[1] else None
            path = self._star_paths[module]
            if path is None:
                continue  # not a project module
            other = self.read(path)
            if other is None or other is ctx or not _exports(other.module, name):
                continue
            found = other.project.member([name], hops + 1)
            if found is not None:
                break
        self._starred[key] = found
        return found

    def exported(self, hops: int = 0) -> dict[str, Resolved | None] | None:
        """What `from <this module> import *` (or `module.__dict__`) gives that can be called: each public
        name the module defines or imports by name (`__all__` decides when literal), also through its own
        star imports of project modules, with its project definition (None: a library's, or unknown).
        Plain `import x` binds a module, not a callable: left out. None when a star import cannot be
        followed (a library's, a module not found) or the chain is too deep."""
        ctx = self._ctx
        if _LOCAL_ONLY or hops > _MAX_HOPS:
            return None
        found: dict[str, Resolved | None] = {}
        for module in ctx.imports.star_modules:
            located = None if module.startswith(LIBRARY_PREFIXES) else self.find(module)
            other = self.read(located[0]) if located is not None and not located[1] else None
            names = other.project.exported(hops + 1) if other is not None and other is not ctx else None
            if names is None:
                return None
            found.update((name, value) for name, value in names.items() if _exports(ctx.module, name))
        for name, node in _top_level(ctx.module).items():
            if isinstance(node, cst.Import) or not _exports(ctx.module, name):
                continue
            if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.ImportFrom)):
                found[name] = self.member([name], hops + 1)
            else:
                found.pop(name, None)  # an assignment: a value, not known to be callable (left out)
        return found

    def star_imported(self, name: str, hops: int = 0) -> str | None:
        """What a name this file never binds stands for when a `from m import *` of a project module brings
        m's own import of it: `torch` (`torch.nn` for `nn`) in a script that gets torch from `from
        models.net import *`, whose module says `import torch`. Followed through m's own star imports;
        the last star import that exports the name decides, as in Python. None when none binds it by an
        import (m defines it itself: a project definition, `_through_star_imports`); `UNKNOWN_STAR` when
        what binds it cannot be read: a library's star import, a module not found in the project, an
        import relative to m's own folder. Rules then stay silent on it (`ImportTable.star_unknown`).

        Asked by the import table only for names no import of the file binds, remembered per name. Read
        also inside `this_file_only`: the answer is kept by every callee memo, so it may not depend on
        the mode it was first asked in (and only files with star imports pay)."""
        ctx = self._ctx
        if hops > _MAX_HOPS or name in _BUILTIN_NAMES:
            return None
        if name in self._star_aliases:
            return self._star_aliases[name]
        self._star_aliases[name] = None  # a cycle of star imports meanwhile answers "not bound"
        found: str | None = None
        if not ctx.bindings.of(name):
            found = self._star_import_of(name, hops)
        self._star_aliases[name] = found
        return found

    def _star_import_of(self, name: str, hops: int) -> str | None:
        ctx = self._ctx
        for module in reversed(ctx.imports.star_modules):
            if module.startswith(LIBRARY_PREFIXES) or self._file is None:
                return UNKNOWN_STAR  # what a library's star import binds is unknown, and it would win
            if module not in self._star_paths:
                located = self.find(module)
                self._star_paths[module] = located[0] if located is not None and not located[1] else None
            path = self._star_paths[module]
            if path is None:
                return UNKNOWN_STAR  # not a module of the project
            ctx.project_deps.add(path)
            other = STORE.context(path)
            if other is None:
                return UNKNOWN_STAR
            if other is ctx or not _exports(other.module, name):
                continue
            target = other.imports.aliases.get(name)
            if target is None and name not in _top_level(other.module):
                target = other.project.star_imported(name, hops + 1)
                ctx.project_deps.update(other.project_deps)
            if target is not None and target.startswith("."):
                return UNKNOWN_STAR  # relative to m's own folder
            return target
        return None


def _exports(module: cst.Module, name: str) -> bool:
    """Whether `from module import *` binds `name`: listed in a literal `__all__` when the module has one,
    else public (no leading underscore)."""
    listed: set[str] | None = None
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if (
                isinstance(small, cst.Assign)
                and len(small.targets) == 1
                and isinstance(small.targets[0].target, cst.Name)
                and small.targets[0].target.value == "__all__"
            ):
                value = small.value
                elements = value.elements if isinstance(value, (cst.List, cst.Tuple)) else None
                if elements is None or not all(isinstance(e.value, cst.SimpleString) for e in elements):
                    return False  # computed: unknown
                listed = {e.value.evaluated_value for e in elements}  # type: ignore[union-attr]
    return name in listed if listed is not None else not name.startswith("_")


# Folders never searched for callers: virtual environments, caches, build output, hidden folders.
_SKIPPED_FOLDERS = frozenset({"venv", "env", "site-packages", "node_modules", "__pycache__", "build", "dist"})
# Above this many files a project is too large to scan for callers (silence, not a slow check).
_MAX_SCANNED_FILES = 3000


@dataclass
class _ProjectListing:
    """A project's Python files as last listed (None: too many), with the modification time of every
    folder the listing walked (a file created, deleted or renamed changes its folder's time); `check` is
    the check it was last confirmed for."""

    folders: tuple[tuple[str, int], ...]
    sources: tuple[Path, ...] | None
    check: int


_LISTINGS: dict[Path, _ProjectListing] = {}
# How a dependency on who mentions what in a project is marked among a cached result's dependencies.
LISTING_DIGEST_PREFIX = "files:"
# Counts the generations of this process's view of the file tree (`begin_check`, `project_run`,
# `files_changed`): layouts, listings, who mentions what and a cached module's negative lookups are
# confirmed at most once per generation.
_check_number = 0
# Above zero while a run holds the file tree still (`project_run`): its checks share one generation.
_RUN_DEPTH = 0


def begin_check() -> None:
    """A new check (of a file, or a run's cache lookups) starts: project listings are confirmed again
    (once) when it asks about them. Inside a run (`project_run`) the check keeps the run's generation:
    the tree was confirmed when the run began and nothing in it writes."""
    if _RUN_DEPTH == 0:
        files_changed()


def files_changed() -> None:
    """The file tree may have changed (a file was written): everything confirmed so far is confirmed
    again when next asked, in a run too, so no later check sees a stale listing, layout or module."""
    global _check_number
    _check_number += 1


@contextmanager
def project_run() -> Iterator[None]:
    """One run over many files during which the file tree is taken as unchanged (`nnlint check` without
    --fix or --add-noqa): project listings, folder layouts and cached modules' negative lookups are
    confirmed once for the run, not once per checked file. Each confirmation of a project listing stats
    every folder of the project, so over a run of many files of one large project (torch's sources) those
    stats alone cost more than the checks that asked. A write inside the run must call `files_changed`.
    Modules themselves stay stamp-checked on each read (`ModuleStore`). A long-lived process (the language
    server) holds no run: every check there confirms the tree afresh, so an edit is seen by the next one."""
    global _RUN_DEPTH
    files_changed()  # the run starts from the tree as it is now, whatever was confirmed before it
    _RUN_DEPTH += 1
    try:
        yield
    finally:
        _RUN_DEPTH -= 1


def _project_listing(root: Path) -> _ProjectListing:
    """The project's current listing: walked once, then confirmed (the folders' modification times, not
    a new walk) once per check, so a long-lived process (the language server) sees a module created
    since, such as a new caller of the function a check asks about."""
    cached = _LISTINGS.get(root)
    if cached is not None and (cached.check == _check_number or _unchanged(cached.folders)):
        cached.check = _check_number
        return cached
    folders: list[tuple[str, int]] = []
    found: list[Path] = []
    complete = True
    for folder, subfolders, files in os.walk(root):
        try:
            folders.append((folder, os.stat(folder).st_mtime_ns))
        except OSError:
            continue
        subfolders[:] = [d for d in subfolders if not d.startswith(".") and d not in _SKIPPED_FOLDERS]
        found.extend(Path(folder, name) for name in files if name.endswith(".py"))
        if len(found) > _MAX_SCANNED_FILES:
            complete = False
            break
    sources = tuple(sorted(found)) if complete else None
    if cached is None and len(_LISTINGS) >= 16:
        _LISTINGS.pop(next(iter(_LISTINGS)))
    listing = _LISTINGS[root] = _ProjectListing(tuple(folders), sources, _check_number)
    return listing


def _unchanged(folders: tuple[tuple[str, int], ...]) -> bool:
    try:
        return all(os.stat(folder).st_mtime_ns == stamp for folder, stamp in folders)
    except OSError:
        return False


# One entry per (file, words asked): a project the size of torch's has thousands of files, and each rule's
# question (a name, a method, `backward`) is its own set of words; a smaller cache thrashed and re-read
# every file of the project on every check (check_bench went from 1.5x to 2.3x the parse).
@lru_cache(maxsize=1 << 16)
def _mentions(path: Path, stamp: tuple[int, int], words: tuple[str, ...]) -> bool:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return all(word in text for word in words)


# Who mentions what (`mentioning`), by project root and words, with the check it was confirmed for.
_MENTIONING: dict[tuple[Path, tuple[str, ...]], tuple[int, tuple[Path, ...] | None]] = {}


def mentioning(root: Path, words: tuple[str, ...], max_files: int | None = None) -> tuple[Path, ...] | None:
    """Every Python file of the project at `root` whose text holds every word; None when the project is
    too large to scan, or has more than `max_files` Python files (`paths_mentioning`). Confirmed once per
    check (each file's size and modification time; a text is read again only when it changed): a module
    created, deleted or edited to call a function, or to stop calling it, changes the answer of the next
    check in a long-lived process (the language server); so does a module created or deleted across the
    cap, whatever it says."""
    if max_files is not None and len(_project_listing(root).sources or ()) > max_files:
        return None
    cached = _MENTIONING.get((root, words))
    if cached is not None and cached[0] == _check_number:
        return cached[1]
    sources = _project_listing(root).sources
    found: tuple[Path, ...] | None = None
    if sources is not None:
        hits = []
        for path in sources:
            try:
                info = path.stat()
            except OSError:
                continue
            # A FIFO or device named like a module would block the read (or never end): not source.
            if S_ISREG(info.st_mode) and _mentions(path, (info.st_mtime_ns, info.st_size), words):
                hits.append(path)
        found = tuple(hits)
    if len(_MENTIONING) >= 256:
        _MENTIONING.clear()
    _MENTIONING[(root, words)] = (_check_number, found)
    return found


# A question of who mentions what (`mentioning`): the words, and the project size cap it was asked with.
Mention = tuple[tuple[str, ...], int | None]


def callers_digest(root: Path, asked: Iterable[Mention]) -> str:
    """A digest, for a cached result, of which files of the project at `root` mention each set of words
    its check asked about (who calls this function?), under the size cap it was asked with, the questions
    themselves kept readable after it (`asked_in`): a module created, deleted or edited so that it
    mentions them, or no longer does, changes it, and so does one created or deleted across a cap; an
    edit of anything else does not."""
    questions = sorted(set(asked), key=lambda q: (q[0], -1 if q[1] is None else q[1]))
    lines = []
    for words, max_files in questions:
        found = mentioning(root, words, max_files)
        found_text = "too many files" if found is None else " ".join(map(str, found))
        lines.append(f"{words!r} {max_files}: {found_text}")
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    return f"{LISTING_DIGEST_PREFIX}{digest}:{json.dumps(questions)}"


def asked_in(digest: str) -> list[Mention] | None:
    """The questions a `callers_digest` was made for (None for a digest of another form)."""
    try:
        questions = json.loads(digest[len(LISTING_DIGEST_PREFIX) + 65 :])
        found: list[Mention] = []
        for words, max_files in questions:
            if not isinstance(words, list) or not (max_files is None or isinstance(max_files, int)):
                return None
            found.append((tuple(words), max_files))
        return found
    except (ValueError, TypeError):
        return None


def modules_mentioning(
    ctx: FileContext, *words: str, max_files: int | None = None
) -> list[FileContext] | None:
    """The project's other modules whose text contains every word (parsed through the module store and
    recorded as this file's dependencies), for questions asked the other way round: who calls this
    function? None when the file has no project or the project is too large to scan. The answer is
    recorded on the asking file (`ProjectView.mentioned`), which rests on it. `max_files`: as in
    `paths_mentioning`."""
    paths = _paths_mentioning(ctx, words, max_files)
    if paths is None:
        return None
    found: list[FileContext] = []
    for path in paths:
        module = STORE.context(path)
        if module is not None:
            ctx.project_deps.add(path)
            found.append(module)
    return found


def importers_of(
    ctx: FileContext, name: str, *words: str, max_files: int | None = None
) -> list[FileContext] | None:
    """The project's other modules that may import `name` from this file and whose text holds every
    word: those that name the file's module (`from clmr.modules.supervised_learning import ...`), and,
    when the package's `__init__.py` re-exports the name (`from .supervised_learning import
    SupervisedLearning`), those that name the package instead (`from clmr.modules import
    SupervisedLearning`), up to `_REEXPORT_LEVELS` packages up; for a name defined in a package's
    `__init__.py`, those that name the package. Each search is one recorded text search
    (`modules_mentioning`); None when the file has no project or it is too large (`max_files`: as in
    `paths_mentioning`)."""
    here = ctx.real_path
    if here is None:
        return None
    spelled, package = here.stem, here.parent
    if spelled == "__init__":  # a name the package's own `__init__.py` defines: importers name the package
        spelled, package = package.name, package.parent
    found = modules_mentioning(ctx, name, spelled, *words, max_files=max_files)
    if found is None:
        return None
    by_path = {module.real_path: module for module in found}
    for _ in range(_REEXPORT_LEVELS):
        reexports = paths_mentioning(ctx, name, spelled, max_files=max_files)
        if not reexports or package / "__init__.py" not in reexports:
            break
        spelled = package.name
        for module in modules_mentioning(ctx, name, spelled, *words, max_files=max_files) or ():
            by_path.setdefault(module.real_path, module)
        package = package.parent
    return list(by_path.values())


# How many package `__init__.py` files up a re-exported name is followed (`clmr.modules` re-exporting
# `clmr.modules.supervised_learning.SupervisedLearning` is one).
_REEXPORT_LEVELS = 2


def project_mentions(ctx: FileContext, *words: str) -> bool | None:
    """Whether another module of the project has every word in its text, without parsing any (a gate
    before `modules_mentioning`); None when the file has no project or the project is too large."""
    paths = _paths_mentioning(ctx, words)
    return None if paths is None else bool(paths)


# Above this many Python files, a project is too large for a question worth less than reading every
# file's text once (`paths_mentioning(max_files=...)`): who passes what for a parameter
# (`Roles._from_callers`), which class defines a method not named for running a model
# (`training_calls.runs_forward`). torch's own tree has 2,300; a user's project is far smaller.
LARGE_PROJECT_FILES = 500


def paths_mentioning(ctx: FileContext, *words: str, max_files: int | None = None) -> list[Path] | None:
    """The paths of the project's other modules whose text holds every word, without parsing any (who
    else may call this?); None when the file has no project or the project is too large (more than
    `max_files` Python files, where the question is worth less than reading them all: each new set of
    words reads every file once, and torch's own tree has thousands)."""
    return _paths_mentioning(ctx, words, max_files)


def _paths_mentioning(
    ctx: FileContext, words: tuple[str, ...], max_files: int | None = None
) -> list[Path] | None:
    """The other modules of the file's project whose text holds every word, recorded on the asking file."""
    here = ctx.real_path
    if here is None:
        return None
    installed = _installed_package(here.parent)
    if installed is not None and installed[0] == here.parent:
        return None  # a module directly in `site-packages`: a project of its own
    layout = _layout(here.parent)  # an installed distribution's root is its own top-level package
    root = layout.root or here.parent
    ctx.project.absent |= layout.absent  # a marker created below the root moves it
    paths = mentioning(root, words, max_files)
    # Recorded also when the cap answered: a module created or deleted across it changes the answer.
    ctx.project.mentioned[(root, words, max_files)] = paths
    if paths is None:
        return None
    return [path for path in paths if path != here]


def dependencies(ctx: FileContext) -> dict[str, str | None]:
    """Every project module a check of `ctx` read, directly or through another module, with its digest;
    every path its import resolutions probed without finding a module (`find_module`), with None: the
    result holds only while they stay absent; and the root of every project whose file listing it asked
    (who calls this?), with `callers_digest`: a module created, deleted or edited there may be a caller."""
    seen: dict[Path, str] = {}
    absent: set[Path] = set(ctx.project.absent)
    mentioned: set[tuple[Path, tuple[str, ...], int | None]] = set(ctx.project.mentioned)
    stack = list(ctx.project_deps)
    while stack:
        path = stack.pop()
        if path in seen or path == ctx.real_path:
            continue
        seen[path] = STORE.digest(path)
        module = STORE.parsed(path)
        if module is not None:
            stack.extend(module.project_deps)
            absent |= module.project.absent
            mentioned |= set(module.project.mentioned)
    found: dict[str, str | None] = {str(path): digest for path, digest in sorted(seen.items())}
    for root in sorted({root for root, _, _ in mentioned}):
        found[str(root)] = callers_digest(
            root, [(words, cap) for other, words, cap in mentioned if other == root]
        )
    for path in sorted(absent):
        found.setdefault(str(path), None)
    return found


def file_digest(path: str) -> str | None:
    """The current digest of a file a cached result depended on, or None when it is gone."""
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None


def real_path(filename: str) -> Path | None:
    """The absolute path of a checked file, or None for names that are no file (`<stdin>`, tests)."""
    if not filename or filename.startswith("<") or not os.path.isfile(filename):
        return None
    return Path(filename).resolve()
