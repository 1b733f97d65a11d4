"""Entry points: whether a file runs as a script, where, and which of its code that run reaches.

Reproducibility rules care about scripts, not libraries: a module of helper functions decides nothing about
seeds, the script that calls it does. A file is an entry point when it has an `if __name__ == "__main__":`
guard, a module-level loop that trains or iterates over data or epochs (a notebook's cells, concatenated,
look like this too), a module-level call of one of its own functions (`main()` at the bottom; in a module
of a package only as a statement: `PATTERN = _build()` there sets up a library on import), or a
module-level call that trains through the project (`framework.train_model(...)` at the end of a flat
example script whose model and trainer are built at module level). The code
such a run executes is the module-level code plus every function and class of the file it references,
followed transitively: calls, but also functions passed as values (`mp.spawn(main_worker, ...)`,
`Trainer(...)`), since a callback runs as surely as a call. A class that is referenced brings all its
methods. Over-approximating what runs is the quiet direction for rules that look for a missing seed, as
long as they look for the seed in the same code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cached_property
from pathlib import PurePath
from typing import TYPE_CHECKING

import libcst as cst

from nnlint import vocabulary as vocab
from nnlint.engine.index import children
from nnlint.engine.project import project_mentions

if TYPE_CHECKING:
    from nnlint.engine.context import FileContext

_DEFINITIONS = (cst.FunctionDef, cst.ClassDef)
# Decorators that only wrap a function; any other decorator on a module-level function may register it
# as a command or a task (click, typer, hydra, fire), so it counts as reached.
_WRAPPING_DECORATOR_ROOTS = frozenset({"torch", "functools", "typing", "dataclasses", "abc", "contextlib"})
_BUILTIN_DECORATORS = frozenset({"property", "staticmethod", "classmethod"})


class EntryPoints:
    """The entry points of one file and the code they run."""

    def __init__(self, ctx: FileContext) -> None:
        self._ctx = ctx
        body = ctx.module.body
        self.guards: list[cst.If] = [statement for statement in body if _is_main_guard(statement)]
        self.calls: list[cst.SimpleStatementLine] = [
            statement for statement in body if self._calls_local_function(statement)
        ]

    # -- queries ---------------------------------------------------------------------------------

    @cached_property
    def loops(self) -> list[cst.For | cst.While]:
        """Module-level loops (outside any function or class) that train or iterate batches or epochs."""
        index = self._ctx.index
        candidates = [
            node
            for node in (*index.nodes(cst.For), *index.nodes(cst.While))
            if index.enclosing(node, _DEFINITIONS) is None
        ]
        if not candidates:
            return []
        found = [node for node in candidates if self._ctx.loops.loop(node).kind in ("batch", "epoch")]
        return sorted(found, key=_module_order(self._ctx))

    @cached_property
    def trainings(self) -> list[cst.SimpleStatementLine]:
        """Module-level statements (outside any function or class, possibly under an `if`) that call a
        project function or method that trains (`training_calls.trains`): a flat script with no guard, no
        loop and no `main()`. Asked only of files that are no entry point otherwise, and only of calls made
        as statements, so that a library module pays nothing."""
        ctx = self._ctx
        if self.guards or self.calls or self.loops:
            return []
        if self._in_package:
            # A module of a package runs on import, not as a script: a flat training script lives outside
            # packages (and a library package's modules would each ask the project below; cost).
            return []
        # Imported here: training_calls asks about loops, whose module asks about entry points.
        from nnlint.engine.training_calls import trains

        if "backward" not in ctx.source and not project_mentions(ctx, "backward"):
            return []  # cheap: nothing in the file or its project backpropagates (nothing parsed)
        index = ctx.index
        found = []
        # A call made as a statement, or whose results are kept (`actor_loss, critic_loss = agent.update(
        # memory, batch_size)` in an RL script's episode loop).
        for expr in (*index.nodes(cst.Expr), *index.nodes(cst.Assign)):
            call = expr.value
            if not isinstance(call, cst.Call) or index.enclosing(expr, _DEFINITIONS) is not None:
                continue
            if (ctx.callee(call) or "").startswith(vocab.LIBRARY_PREFIXES):
                continue  # `logging.info(...)`, `torch.cuda.empty_cache()`: library code trains nothing here
            if trains(ctx, call):
                statement = index.parent(expr)
                if isinstance(statement, cst.SimpleStatementLine):
                    found.append(statement)
        return sorted(found, key=_module_order(ctx))

    @property
    def exists(self) -> bool:
        return bool(self.guards or self.calls or self.loops or self.trainings)

    @property
    def anchor(self) -> cst.CSTNode | None:
        """Where a finding about the whole script belongs: the main guard, else the first loop or call."""
        if self.guards:
            return self.guards[0]
        if self.loops:
            return self.loops[0]
        if self.calls:
            return self.calls[0]
        return self.trainings[0] if self.trainings else None

    @property
    def first_statement(self) -> cst.CSTNode | None:
        """The statement the entry point starts with: the first in the main guard, else the first
        module-level statement that is neither an import, a docstring nor a definition."""
        if self.guards:
            block = self.guards[0].body
            return block.body[0] if isinstance(block, cst.IndentedBlock) and block.body else None
        for statement in self._ctx.module.body:
            if not _is_preamble(statement):
                return statement
        return None

    @property
    def anchor_line(self) -> cst.CSTNode | None:
        """A node on the anchor's first line only, for a finding about the whole script: the guard's test,
        a loop's target (or `while` test), or the module-level call."""
        anchor = self.anchor
        if isinstance(anchor, cst.If | cst.While):
            return anchor.test
        if isinstance(anchor, cst.For):
            return anchor.target
        if isinstance(anchor, cst.SimpleStatementLine) and anchor.body:
            return anchor.body[0]
        return anchor

    # -- inserting code at the start ---------------------------------------------------------------

    def import_name(self, module: str, usual: str, statement: str) -> tuple[str, str | None] | None:
        """The local name that reaches `module` (`numpy` -> `np`), and the import to add when none does
        (`statement`, binding `usual`); None when `usual` is already taken by something else."""
        aliases = self._ctx.imports.aliases
        local = next((name for name, target in aliases.items() if target == module and "." not in name), None)
        if local is not None:
            return local, None
        if usual in aliases or usual in self._names_in_file:
            return None
        return usual, statement

    def insertion(
        self, statements: list[str], imports: list[str]
    ) -> tuple[tuple[cst.CSTNode, str], ...] | None:
        """Replacements that put `statements` at the start of the entry point (indented as its block) and
        `imports` after the file's last top-level import before it (or before the statements)."""
        start = self.first_statement
        if not isinstance(start, cst.SimpleStatementLine):
            return None
        indent = ""
        if self.guards:
            block = self.guards[0].body
            indent = (
                block.indent if isinstance(block, cst.IndentedBlock) else None
            ) or self._ctx.module.default_indent
        newline = self._ctx.module.default_newline  # a CRLF file stays CRLF
        replacements: list[tuple[cst.CSTNode, str]] = []
        last_import = self._last_import(start)
        if imports and last_import is not None:
            replacements.append((last_import, newline.join([self._code(last_import), *imports])))
        elif imports:
            statements = imports + statements
        # The statements go in front of the start's first token, which alone is rewritten: the rest of the
        # statement (continuation lines and their indentation) stays exactly as written.
        head = _leading_node(start)
        head_code = self._ctx.module.code_for_node(head).rstrip()
        if "\n" in head_code:
            return None
        replacements.append((head, f"{newline}{indent}".join([*statements, head_code])))
        return tuple(replacements)

    @cached_property
    def _names_in_file(self) -> set[str]:
        """Names the file uses as variables: not in imports (`from random import shuffle` binds no `random`),
        not as attributes (`np.random`)."""
        index = self._ctx.index
        names = set()
        for name in index.nodes(cst.Name):
            parent = index.parent(name)
            if isinstance(parent, cst.Attribute) and parent.attr is name:
                continue
            if index.enclosing(name, (cst.Import, cst.ImportFrom)) is None:
                names.add(name.value)
        return names

    def _last_import(self, before: cst.CSTNode) -> cst.SimpleStatementLine | None:
        """The last top-level import statement before the entry point starts (its guard, or `before`)."""
        stop = self.guards[0] if self.guards else before
        found = None
        for statement in self._ctx.module.body:
            if statement is stop:
                break
            if isinstance(statement, cst.SimpleStatementLine) and all(
                isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body
            ):
                found = statement
        return found

    def _code(self, statement: cst.SimpleStatementLine) -> str:
        """A simple statement's text as its range covers it: no leading comments, no trailing comment."""
        return "".join(self._ctx.module.code_for_node(small) for small in statement.body).rstrip()

    @cached_property
    def reached(self) -> frozenset[cst.CSTNode]:
        """Functions and classes of this file that running it may execute (empty without an entry point)."""
        if not self.exists:
            return frozenset()
        reached: set[cst.CSTNode] = set()
        pending: list[cst.CSTNode] = []

        def reach(definition: cst.CSTNode) -> None:
            if definition in reached:
                return
            reached.add(definition)
            pending.append(definition)
            if isinstance(definition, cst.ClassDef):
                run = _run_by_init(definition) if self._only_built(definition) else None
                for statement in _class_statements(definition):
                    if isinstance(statement, cst.FunctionDef) and (run is None or statement in run):
                        reach(statement)

        for statement in self._ctx.module.body:
            if isinstance(statement, cst.FunctionDef) and self._registers(statement):
                reach(statement)
        pending.append(self._ctx.module)
        while pending:
            scope = pending.pop()
            for name in _names_read(scope):
                for definition in self._definitions(name):
                    reach(definition)
        return frozenset(reached)

    def _only_built(self, cls: cst.ClassDef) -> bool:
        """Whether the file only builds instances of a class and throws them away (`_ =
        MNISTDataModule()`, the smoke test under the `__main__` guard of every module of the
        lightning-hydra-template, ashleve/lightning-hydra-template src/data/mnist_datamodule.py): then
        running the file runs `__init__` and the methods it calls (`_run_by_init`), not the others
        (`train_dataloader`). A class named in any other way (bound to a used name, passed on,
        subclassed, built in a bare statement) may have any method run."""
        name = cls.name.value
        if not re.search(rf"(?<![\w.])_[ \t]*=[ \t]*{re.escape(name)}[ \t]*\(", self._ctx.source):
            return False  # cheap: no `_ = Name(` written
        index = self._ctx.index
        uses = [node for node in index.nodes(cst.Name) if node.value == name and node is not cls.name]
        for use in uses:
            call = index.parent(use)
            if not (isinstance(call, cst.Call) and call.func is use):
                return False
            holder = index.parent(call)
            discarded = (
                isinstance(holder, cst.Assign)
                and len(holder.targets) == 1
                and isinstance(holder.targets[0].target, cst.Name)
                and holder.targets[0].target.value == "_"
            )
            if not discarded:
                return False
        return bool(uses)

    def runs(self, node: cst.CSTNode) -> bool:
        """Whether running this file executes `node`: it is at module level or in a reached definition."""
        if not self.exists:
            return False
        definition = self._ctx.index.enclosing(node, _DEFINITIONS)
        return definition is None or definition in self.reached

    def nodes(self, node_type: type) -> list[cst.CSTNode]:
        """All nodes of a type in code that running this file executes, in source order."""
        if not self.exists:
            return []
        return [node for node in self._ctx.index.nodes(node_type) if self.runs(node)]

    # -- analysis --------------------------------------------------------------------------------

    def _definitions(self, name: str) -> list[cst.CSTNode]:
        """The functions (not methods: a bare name cannot call those) and classes this file names `name`."""
        index = self._ctx.index
        return [
            b.node
            for b in self._ctx.bindings.of(name)
            if b.kind == "class"
            or (
                b.kind == "def" and not isinstance(index.parent(index.parent(b.node) or b.node), cst.ClassDef)
            )
        ]

    @cached_property
    def _in_package(self) -> bool:
        """Whether the file is a module of a package (its folder has an `__init__.py`): imported, mostly."""
        path = self._ctx.real_path
        return path is not None and (path.parent / "__init__.py").is_file()

    def _calls_local_function(self, statement: cst.CSTNode) -> bool:
        """`main()` as a module-level statement, for a function `main` defined in this file; also
        `result = main()`, except in a module of a package: there a module-level assignment from a helper
        of the file (`PATTERN = _build_pattern(...)`) sets up a constant of a library on import, and
        a script run with `python -m` calls its `main()` as a statement."""
        if type(statement) is not cst.SimpleStatementLine:
            return False
        for small in statement.body:
            value = small.value if type(small) in (cst.Expr, cst.Assign) else None
            if type(value) is cst.Call and type(value.func) is cst.Name:
                name = value.func.value
                if any(
                    type(node) is cst.FunctionDef and node.name.value == name
                    for node in self._ctx.module.body
                ) and (isinstance(small, cst.Expr) or not self._in_package):
                    return True
        return False

    def _registers(self, function: cst.FunctionDef) -> bool:
        """Whether a decorator may register the function to be run (a CLI command, a hydra main)."""
        for decorator in function.decorators:
            expr = decorator.decorator
            target = expr.func if isinstance(expr, cst.Call) else expr
            qualified = self._ctx.qualified_name(target) or ""
            head = qualified.split(".", 1)[0]
            if head in _WRAPPING_DECORATOR_ROOTS:
                continue
            if isinstance(target, cst.Name) and target.value in _BUILTIN_DECORATORS:
                continue
            return True
        return False


# A test framework imported (`import pytest`, `from unittest import TestCase`), tests defined, argparse
# imported, and a `__main__` guard with the indented body that follows it: the text signals of
# `is_test_module`, read without parsing (it is asked of other modules' texts too).
_TEST_FRAMEWORK = re.compile(r"^[ \t]*(?:import|from)[ \t]+(?:pytest|unittest)\b", re.M)
_DEFINES_TESTS = re.compile(r"^[ \t]*(?:(?:async[ \t]+)?def[ \t]+test|class[ \t]+\w+\([^)]*TestCase\b)", re.M)
_ARGPARSE = re.compile(r"^[ \t]*(?:import[ \t]+argparse\b|from[ \t]+argparse[ \t]+import\b)", re.M)
_GUARD = re.compile(
    r"^if[ \t]+(?:__name__[ \t]*==[ \t]*['\"]__main__['\"]|['\"]__main__['\"][ \t]*==[ \t]*__name__)"
    r"(?:[ \t]+and[ \t][^\n:]*)?[ \t]*:"
    r"(?P<inline>[^\n]*)\n(?P<body>(?:[ \t]+[^\n]*\n|[ \t]*\n)*)",
    re.M,
)


def has_main_guard(text: str | bytes) -> bool:
    """Whether a module's text has an `if __name__ == "__main__":` guard at its top level (read without
    parsing: asked of modules an import reaches, to tell a script from a module of a package)."""
    if isinstance(text, bytes):
        if b"__main__" not in text:
            return False
        text = text.decode("utf-8", "replace")
    return _GUARD.search(text) is not None


_CALLED = re.compile(r"\b([A-Za-z_][\w.]*)[ \t]*\(")


def named_like_test(path: str, folders: bool = False) -> bool:
    """pytest's default file names (`test_*.py`, `*_test.py`) and `conftest.py`; with `folders`, also any
    file under a `tests`/`test` folder."""
    parts = PurePath(path.replace("\\", "/")).parts
    name = parts[-1] if parts else ""
    named = name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
    return named or (folders and any(part in ("tests", "test") for part in parts[:-1]))


def in_test_function(ctx: FileContext, node: cst.CSTNode) -> bool:
    """Whether `node` runs in a test of a test suite: a `test*` function (or method) around it, in a
    module `is_test_module` calls a test suite. A smoke test that steps an optimizer a few times to see
    that training runs trains nothing anyone uses."""
    if not is_test_module(ctx.path, ctx.source):
        return False
    function = ctx.enclosing_function(node)
    while function is not None:
        if function.name.value.startswith("test"):
            return True
        function = ctx.enclosing_function(function)
    return False


def is_test_module(path: str, source: str, folders: bool = False) -> bool:
    """Whether a module is a test suite (pytest or unittest collects it, its `test*` functions are tests)
    rather than a script, decided by its content with its name as one signal. A module that imports a test
    framework is one when it is named like a test or defines tests; one named like a test without a
    framework import stays one unless it shows that it runs as a script: it imports argparse, or its
    `__main__` guard runs more than its own `test*` functions (`main()`; pcrnet's test_pcrnet.py
    evaluates a trained network). Real research repositories name their evaluation scripts
    `test_<model>.py`; a plain pytest file (no framework import, no guard) keeps its name's verdict."""
    if _imports_test_framework(source):
        return named_like_test(path, folders) or bool(_DEFINES_TESTS.search(source))
    if not named_like_test(path, folders):
        return False
    return not (_ARGPARSE.search(source) or _guard_runs_more_than_tests(source))


def _imports_test_framework(source: str) -> bool:
    """`_TEST_FRAMEWORK` on the text, asked only of a text that says a framework's name: the pattern starts
    with `^`, which the regex engine tries at every position (half a millisecond for a 20 KB module, and
    every checked file is asked), while the substring searches skip to the names."""
    return ("pytest" in source or "unittest" in source) and _TEST_FRAMEWORK.search(source) is not None


def _guard_runs_more_than_tests(source: str) -> bool:
    """A `__main__` guard whose body calls something other than the module's `test*` functions and
    `print`: the file does its own work when run."""
    for guard in _GUARD.finditer(source):
        body = guard.group("inline") + "\n" + guard.group("body")
        for line in body.splitlines():
            code = line.split("#", 1)[0]
            for called in _CALLED.findall(code):
                if not called.split(".")[-1].startswith("test") and called != "print":
                    return True
    return False


def _is_main_guard(statement: cst.CSTNode) -> bool:
    """`if __name__ == "__main__":` (either operand order, any quotes), also as the first operand of an
    `and` (`if __name__ == "__main__" and not IN_NOTEBOOK:`, nbdev's exported scripts; ignite's teaser
    `and not (in_colab or with_torchrun)`): the body runs only when the file is run, and runs then unless
    the other operands say otherwise, as a guard's body does."""
    if type(statement) is not cst.If:
        return False
    test = statement.test
    while type(test) is cst.BooleanOperation and isinstance(test.operator, cst.And):
        test = test.left
    if type(test) is not cst.Comparison:
        return False
    if len(test.comparisons) != 1 or not isinstance(test.comparisons[0].operator, cst.Equal):
        return False
    operands = [test.left, test.comparisons[0].comparator]
    names = [operand for operand in operands if isinstance(operand, cst.Name) and operand.value == "__name__"]
    strings = [
        operand
        for operand in operands
        if isinstance(operand, cst.SimpleString) and operand.evaluated_value == "__main__"
    ]
    return len(names) == 1 and len(strings) == 1


def _is_preamble(statement: cst.CSTNode) -> bool:
    """Imports, a docstring and definitions: what precedes a script's first executable statement."""
    if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
        return True
    if isinstance(statement, cst.SimpleStatementLine):
        return all(
            isinstance(small, (cst.Import, cst.ImportFrom))
            or (
                isinstance(small, cst.Expr)
                and isinstance(small.value, (cst.SimpleString, cst.ConcatenatedString))
            )
            for small in statement.body
        )
    return False


def _run_by_init(cls: cst.ClassDef) -> set[cst.FunctionDef]:
    """`__init__` and the methods it runs through `self.<name>`, transitively (a trainer whose
    `__init__` calls `self.train()`): what building an instance runs."""
    methods = {s.name.value: s for s in _class_statements(cls) if isinstance(s, cst.FunctionDef)}
    run: set[cst.FunctionDef] = set()
    pending = [methods["__init__"]] if "__init__" in methods else []
    while pending:
        method = pending.pop()
        if method in run:
            continue
        run.add(method)
        for node in _self_attributes(method):
            if node in methods:
                pending.append(methods[node])
    return run


def _self_attributes(function: cst.FunctionDef) -> set[str]:
    """The names of the `self.<name>` accesses in a function's body."""
    found: set[str] = set()

    class Visitor(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> None:
            if isinstance(node.value, cst.Name) and node.value.value == "self":
                found.add(node.attr.value)

    function.body.visit(Visitor())
    return found


def _class_statements(cls: cst.ClassDef) -> list[cst.CSTNode]:
    return list(cls.body.body) if isinstance(cls.body, cst.IndentedBlock) else []


def _names_read(scope: cst.CSTNode) -> set[str]:
    """Bare names used in a scope's own code: nested function and class bodies are left for their turn.

    A nested definition's decorators, defaults and bases run with the scope and are included.
    """
    names: set[str] = set()
    if isinstance(scope, cst.ClassDef):
        stack: list[cst.CSTNode] = [base.value for base in scope.bases]
        stack += [
            statement for statement in _class_statements(scope) if not isinstance(statement, cst.FunctionDef)
        ]
    elif isinstance(scope, cst.FunctionDef):
        stack = [scope.body]
    else:
        stack = [scope]
    while stack:
        node = stack.pop()
        if type(node) is cst.Name:
            names.add(node.value)
            continue
        if type(node) is cst.Attribute:  # `obj.train` reads `obj`, not a function called `train`
            stack.append(node.value)
            continue
        if type(node) is cst.Arg:  # `f(seed=1)` reads `1`, not `seed`
            stack.append(node.value)
            continue
        if type(node) is cst.FunctionDef:
            stack.extend(decorator.decorator for decorator in node.decorators)
            stack.append(node.params)
            continue
        if type(node) is cst.ClassDef:
            stack.extend(base.value for base in node.bases)
            continue
        stack.extend(children(node))
    return names


def _module_order(ctx: FileContext) -> Callable[[cst.CSTNode], tuple[int, int]]:
    """Sort key for module-level nodes: the top-level statement they are in, then how deep they sit."""
    top = {statement: position for position, statement in enumerate(ctx.module.body)}

    def key(node: cst.CSTNode) -> tuple[int, int]:
        depth = 0
        while node not in top:
            node = ctx.index.parent(node)  # type: ignore[assignment]
            depth += 1
        return top[node], depth

    return key


# How to reach the node a statement starts with: through the field that begins each of these nodes.
_LEADING_FIELD: dict[type, str] = {
    cst.Expr: "value",
    cst.Assign: "targets",
    cst.AssignTarget: "target",
    cst.AugAssign: "target",
    cst.AnnAssign: "target",
    cst.Call: "func",
    cst.Attribute: "value",
    cst.Subscript: "value",
    cst.BinaryOperation: "left",
    cst.BooleanOperation: "left",
    cst.Comparison: "left",
}


def _leading_node(statement: cst.SimpleStatementLine) -> cst.CSTNode:
    """The smallest node whose text starts where the statement's does (`model` in `model = Net(\n...)`).

    A parenthesized node starts after its parenthesis, so the walk stops at its parent.
    """
    node: cst.CSTNode = statement.body[0]
    while type(node) in _LEADING_FIELD:
        child = getattr(node, _LEADING_FIELD[type(node)])
        if isinstance(child, (list, tuple)):
            child = child[0]
        if getattr(child, "lpar", None):
            break
        node = child
    return node
