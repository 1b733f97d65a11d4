"""Folders a module puts on `sys.path`, read statically: where a script's later imports are found.

Detection and pose code bases keep their packages in `lib/` and their scripts in `tools/`; each script
starts with `import _init_paths`, a module beside it whose top level runs
`sys.path.insert(0, osp.join(osp.dirname(__file__), '..', 'lib'))` (often through a one-line helper,
`add_path(lib_path)`), and then imports `from model.train_val import train_net`, which Python finds in
`lib/`. Other scripts do the same inline: `sys.path.append(os.path.dirname(os.path.abspath(__file__)))`,
`sys.path.insert(0, str(Path(__file__).parent / 'lib'))`, `sys.path.append('..')`.

Only paths that can be read without running anything are understood: `__file__` and what
`os.path.dirname`/`abspath`/`realpath`/`normpath`/`join`, `+ '/lib'` and `pathlib.Path` (`.parent`,
`.parents[n]`, `/`, `.resolve()`, `.absolute()`, `.joinpath()`) make of it and of string literals, through
names the module's top level binds to such values. A relative literal counts from the module's own
folder (where such scripts are run from). Anything else (an absolute literal, the working directory, an
environment variable, a configuration value) is unknown and adds nothing. Calls inside functions are read
only through a helper of the module called at its top level with the path (`add_path(lib_path)`).

`ProjectView.find` searches these folders after the usual ones (a name found there before stays found
there), for the file that makes the calls and for the files that import the module that makes them, for
all their absolute imports (where the set-up sits among them is not read); a folder outside the importing
file's project bound is never searched (several unrelated projects side by side stay apart).
"""

from __future__ import annotations

import os
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from nnlint.engine.context import FileContext

_ADDERS = frozenset({"sys.path.insert", "sys.path.append"})
# Calls that give back the path they are handed (as far as where it points is concerned).
_SAME_PATH = frozenset({"os.path.abspath", "os.path.realpath", "os.path.normpath"})
_PATH_CLASSES = frozenset({"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath"})
_SAME_PATH_METHODS = frozenset({"resolve", "absolute"})

_FOLDERS: weakref.WeakKeyDictionary[FileContext, tuple[Path, ...]] = weakref.WeakKeyDictionary()


def mentions_sys_path(text: str | bytes) -> bool:
    """The cheap gate: only a module whose text says `sys.path` can add a folder to it."""
    return ("sys.path" in text) if isinstance(text, str) else (b"sys.path" in text)


def added_folders(ctx: FileContext) -> tuple[Path, ...]:
    """The folders a module's top-level code adds to `sys.path`, in order (memoized per module)."""
    found = _FOLDERS.get(ctx)
    if found is None:
        here = ctx.real_path
        found = () if here is None or not mentions_sys_path(ctx.source) else _Reader(ctx, here).read()
        _FOLDERS[ctx] = found
    return found


class _Reader:
    """One pass over a module's top-level statements, with the path values its names hold so far."""

    def __init__(self, ctx: FileContext, here: Path) -> None:
        self._ctx = ctx
        self._here = here
        self._env: dict[str, Path | None] = {}
        self._found: list[Path] = []
        self._helpers = _path_adding_helpers(ctx)

    def read(self) -> tuple[Path, ...]:
        self._block(self._ctx.module.body)
        return tuple(dict.fromkeys(self._found))

    def _block(self, statements: tuple[cst.BaseStatement, ...] | list[cst.BaseStatement]) -> None:
        for statement in statements:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    self._small(small)
            elif isinstance(statement, (cst.If, cst.Try, cst.With)):
                # `if path not in sys.path:`, `try:`, `with ...:` around the set-up (both branches may add)
                self._suite(statement.body)
                orelse = getattr(statement, "orelse", None)
                while orelse is not None:
                    self._suite(orelse.body)
                    orelse = getattr(orelse, "orelse", None)

    def _suite(self, suite: cst.BaseSuite) -> None:
        if isinstance(suite, cst.IndentedBlock):
            self._block(suite.body)

    def _small(self, small: cst.BaseSmallStatement) -> None:
        if isinstance(small, cst.Assign):
            value = self._path(small.value)
            for target in small.targets:
                if isinstance(target.target, cst.Name):
                    self._env[target.target.value] = value
        elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            call = small.value
            added = _added_argument(self._ctx, call)
            if added is None and isinstance(call.func, cst.Name) and call.func.value in self._helpers:
                added = _argument(call, self._helpers[call.func.value])
            folder = self._path(added) if added is not None else None
            if folder is not None:
                self._found.append(folder)

    def _path(self, expr: cst.BaseExpression) -> Path | None:
        """Where an expression points (normalized, absolute), or None when it cannot be read."""
        raw = self._raw(expr)
        return Path(os.path.normpath(raw)) if raw is not None else None

    def _raw(self, expr: cst.BaseExpression) -> Path | None:
        ctx = self._ctx
        if isinstance(expr, cst.Name):
            return self._here if expr.value == "__file__" else self._env.get(expr.value)
        if isinstance(expr, cst.SimpleString):
            text = expr.evaluated_value
            if not isinstance(text, str) or os.path.isabs(text) or text.startswith("~"):
                return None
            return self._here.parent / text
        if isinstance(expr, cst.Attribute) and expr.attr.value == "parent":
            inner = self._raw(expr.value)
            return _up(inner, 1)
        if isinstance(expr, cst.Subscript) and len(expr.slice) == 1:
            index = expr.slice[0].slice
            value = expr.value
            if (
                isinstance(value, cst.Attribute)
                and value.attr.value == "parents"
                and isinstance(index, cst.Index)
                and isinstance(index.value, cst.Integer)
            ):
                return _up(self._raw(value.value), int(index.value.value) + 1)
            return None
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Divide):
            left = self._raw(expr.left)
            part = _literal(expr.right)
            return _joined(left, [part]) if part is not None else None
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
            # `os.path.dirname(__file__) + '/lib'`: a literal that starts a path part below the left side
            left, part = self._raw(expr.left), _literal(expr.right)
            if left is None or part is None or not part.startswith(("/", os.sep)):
                return None
            return _joined(left, [part.lstrip("/" + os.sep)])
        if not isinstance(expr, cst.Call):
            return None
        func = expr.func
        if isinstance(func, cst.Attribute) and func.attr.value in _SAME_PATH_METHODS and not expr.args:
            return self._raw(func.value)  # `Path(__file__).resolve()`
        positional = [arg.value for arg in expr.args if arg.keyword is None and not arg.star]
        if not positional or len(positional) != len(expr.args):
            return None
        callee = ctx.callee(expr)
        if callee == "os.path.dirname" and len(positional) == 1:
            return _up(self._raw(positional[0]), 1)
        plain_str = callee is None and isinstance(func, cst.Name) and func.value == "str"
        if (callee in _SAME_PATH or callee in _PATH_CLASSES or plain_str) and len(positional) == 1:
            return self._raw(positional[0])
        if callee == "os.path.join" or (callee in _PATH_CLASSES and len(positional) > 1):
            return _joined(self._raw(positional[0]), [_literal(part) for part in positional[1:]])
        if isinstance(func, cst.Attribute) and callee is None and func.attr.value == "joinpath":
            return _joined(self._raw(func.value), [_literal(part) for part in positional])
        return None


def _up(path: Path | None, levels: int) -> Path | None:
    if path is None:
        return None
    normal = Path(os.path.normpath(path))
    for _ in range(levels):
        normal = normal.parent
    return normal


def _joined(base: Path | None, parts: list[str | None]) -> Path | None:
    if base is None or any(part is None or os.path.isabs(part) for part in parts):
        return None
    return base.joinpath(*parts)  # type: ignore[arg-type]


def _literal(expr: cst.BaseExpression) -> str | None:
    if isinstance(expr, cst.SimpleString):
        value = expr.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _argument(call: cst.Call, position: int) -> cst.BaseExpression | None:
    positional = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
    return positional[position] if len(positional) > position and len(positional) == len(call.args) else None


def _added_argument(ctx: FileContext, call: cst.Call) -> cst.BaseExpression | None:
    """The path a `sys.path.insert(i, path)` / `sys.path.append(path)` call adds, else None."""
    callee = ctx.callee(call)
    if callee == "sys.path.insert":
        return _argument(call, 1)
    if callee == "sys.path.append":
        return _argument(call, 0)
    return None


def _path_adding_helpers(ctx: FileContext) -> dict[str, int]:
    """The module's top-level functions that add one of their parameters to `sys.path` (`def add_path(path):
    if path not in sys.path: sys.path.insert(0, path)`), with that parameter's position."""
    helpers: dict[str, int] = {}
    top_level = {id(statement) for statement in ctx.module.body if isinstance(statement, cst.FunctionDef)}
    for call in ctx.index.nodes(cst.Call):
        function = ctx.enclosing_function(call)
        added = _added_argument(ctx, call) if function is not None and id(function) in top_level else None
        if isinstance(added, cst.Name):
            names = [param.name.value for param in function.params.params]  # type: ignore[union-attr]
            if added.value in names:
                helpers[function.name.value] = names.index(added.value)  # type: ignore[union-attr]
    return helpers
