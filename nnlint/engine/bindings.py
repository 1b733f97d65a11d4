"""The value a local name holds at a statement, when one assignment certainly reaches it.

Rules and analyses ask "what is `out` here?" (`out = model(x)`, then `criterion(out, y)`), and forward
chains ask "what produced `x`?" (`x = self.conv(x)`, then `x = self.bn(x)`). A full reaching-definitions
analysis is not needed for that: walking back over the statements that precede the use, block by block,
answers it for straight-line code, and anything less certain (the name rebound inside an `if` or a loop
before the use, a parameter, a tuple unpacking) answers None, which keeps every caller quiet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from nnlint.engine.index import children

if TYPE_CHECKING:
    from nnlint.engine.context import FileContext

_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
# Compound statements whose body may run again (or only partly) before control leaves them: a binding
# anywhere inside makes the value at their start uncertain for code inside them.
_REPEATING = (cst.For, cst.While, cst.Try, cst.TryStar)
# Comprehensions bind their loop names in their own scope.
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


def reaching_value(ctx: FileContext, name: str, at: cst.CSTNode) -> cst.BaseExpression | None:
    """The right-hand side of the assignment `name = <value>` that reaches `at`, or None when unsure.

    Only plain single-target assignments count; the search stays inside the enclosing function (or the
    module) and gives up at the first statement that may rebind `name` in any other way.
    """
    index = ctx.index
    current: cst.CSTNode = at
    while True:
        parent = index.parent(current)
        if parent is None or isinstance(current, _SCOPES):
            return None
        if isinstance(parent, _SCOPES):
            return None  # reached the start of the function: a parameter or a global, unknown here
        body = _statement_list(parent)
        if body is not None:
            position = _position_in(body, current)
            for statement in reversed(body[:position]):
                found = _binding_in(statement, name)
                if found is not _NOT_BOUND:
                    return found  # type: ignore[return-value]
        elif isinstance(parent, (*_REPEATING, *_COMPREHENSIONS)) and binds(parent, name):
            return None
        elif isinstance(parent, cst.With) and any(
            item.asname is not None and binds(item.asname, name) for item in parent.items
        ):
            return None
        current = parent


_NOT_BOUND = object()


def _statement_list(node: cst.CSTNode) -> list[cst.CSTNode] | None:
    """The ordered statements (or small statements) a node holds directly, if it is a block."""
    if isinstance(node, (cst.Module, cst.IndentedBlock, cst.SimpleStatementSuite, cst.SimpleStatementLine)):
        return list(node.body)
    return None


def _position_in(body: list[cst.CSTNode], node: cst.CSTNode) -> int:
    for position, statement in enumerate(body):
        if statement is node:
            return position
    return len(body)


def _binding_in(statement: cst.CSTNode, name: str) -> object:
    """What a statement that precedes the use tells about `name`.

    The assigned value for `name = value`; None when the statement may rebind `name` otherwise; the
    `_NOT_BOUND` marker when it leaves `name` alone.
    """
    if isinstance(statement, cst.SimpleStatementLine):
        for small in reversed(statement.body):
            found = _binding_in(small, name)
            if found is not _NOT_BOUND:
                return found
        return _NOT_BOUND
    if isinstance(statement, cst.Assign):
        if len(statement.targets) == 1:
            target = statement.targets[0].target
            if isinstance(target, cst.Name) and target.value == name:
                return statement.value
        return None if binds(statement, name) else _NOT_BOUND
    if isinstance(statement, cst.AnnAssign) and statement.value is not None:
        if isinstance(statement.target, cst.Name) and statement.target.value == name:
            return statement.value
    return None if binds(statement, name) else _NOT_BOUND


def binds(node: cst.CSTNode, name: str) -> bool:
    """Whether `name` may be bound anywhere in `node` (nested functions and classes bind only their name)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (cst.FunctionDef, cst.ClassDef)):
            if current.name.value == name:
                return True
            continue
        if isinstance(current, cst.Lambda):
            continue
        targets: list[cst.CSTNode] = []
        if isinstance(current, cst.Assign):
            targets = [target.target for target in current.targets]
        elif isinstance(current, (cst.AugAssign, cst.AnnAssign, cst.NamedExpr)):
            targets = [current.target]
        elif isinstance(current, (cst.For, cst.CompFor)):
            targets = [current.target]
        elif isinstance(current, cst.AsName):
            targets = [current.name]
        elif isinstance(current, (cst.Global, cst.Nonlocal, cst.Del)):
            return True  # rare enough that giving up costs nothing
        if any(_names_target(target, name) for target in targets):
            return True
        stack.extend(children(current))
    return False


def _names_target(target: cst.CSTNode, name: str) -> bool:
    if isinstance(target, cst.Name):
        return target.value == name
    if isinstance(target, (cst.Tuple, cst.List)):
        return any(_names_target(element.value, name) for element in target.elements)
    if isinstance(target, cst.StarredElement):
        return _names_target(target.value, name)
    return False
