"""One walk over the syntax tree: parents and nodes grouped by type, in source order.

libcst's own visitor rebuilds every node as it goes, which costs about as much as parsing. Rules and
analyses here never change the tree, so a plain iterative walk over each node type's child fields is
enough, and it is an order of magnitude cheaper. Everything else in the engine reads this index instead of
walking the tree again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from operator import attrgetter
from typing import Literal, TypeVar, get_args, get_origin

import libcst as cst

N = TypeVar("N", bound=cst.CSTNode)

# Fields that only hold whitespace, comments or punctuation: never a node a rule cares about.
_SKIPPED_FIELD_PREFIXES = (
    "whitespace",
    "lpar",
    "rpar",
    "lbracket",
    "rbracket",
    "lbrace",
    "rbrace",
    "leading_lines",
    "lines_after",
    "comma",
    "semicolon",
    "header",
    "footer",
    "colon",
    "equal",
    "dot",
    "trailing_whitespace",
)
_child_getters: dict[type, Callable[[cst.CSTNode], tuple[object, ...]]] = {}


def _getter_of(node_type: type) -> Callable[[cst.CSTNode], tuple[object, ...]]:
    """A function returning the values of a node type's code-carrying fields, in one C-level call. A
    field whose declared type can hold no node (`Name.value: str`, `Arg.star: Literal["", "*", "**"]`)
    is left out: a leaf (a name, a string, a number) has no child to look for."""
    getter = _child_getters.get(node_type)
    if getter is None:
        names = tuple(
            f.name
            for f in dataclasses.fields(node_type)
            if not f.name.startswith(_SKIPPED_FIELD_PREFIXES) and _may_hold_node(f.type)
        )
        if not names:
            getter = _no_fields
        elif len(names) == 1:
            single = attrgetter(names[0])
            getter = lambda node: (single(node),)  # noqa: E731
        else:
            getter = attrgetter(*names)
        _child_getters[node_type] = getter
    return getter


def _no_fields(node: cst.CSTNode) -> tuple[object, ...]:
    return ()


def _may_hold_node(declared: object) -> bool:
    """Whether a field declared with this type may hold a node (unknown spellings: yes)."""
    if isinstance(declared, type):
        return issubclass(declared, cst.CSTNode) or not issubclass(declared, (str, bool, int, float))
    if get_origin(declared) is Literal:
        return False
    arguments = get_args(declared)
    return not arguments or any(_may_hold_node(argument) for argument in arguments)


_is_node_type: dict[type, bool] = {}


def _is_node(value: object) -> bool:
    # isinstance against CSTNode (an ABC) is slow; the answer per concrete type never changes.
    kind = type(value)
    known = _is_node_type.get(kind)
    if known is None:
        known = _is_node_type[kind] = issubclass(kind, cst.CSTNode)
    return known


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The child nodes of `node` that carry code, in source order."""
    kids: list[cst.CSTNode] = []
    known = _is_node_type
    for value in (_child_getters.get(type(node)) or _getter_of(type(node)))(node):
        kind = type(value)
        if kind is list or kind is tuple:
            for item in value:
                is_node = known.get(type(item))
                if is_node or (is_node is None and _is_node(item)):
                    kids.append(item)
        else:
            is_node = known.get(kind)
            if is_node or (is_node is None and _is_node(value)):
                kids.append(value)
    return kids


def walk(node: cst.CSTNode) -> list[cst.CSTNode]:
    """`node` and every node under it that carries code, parents before children, in source order."""
    found: list[cst.CSTNode] = []
    stack = [node]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(reversed(children(current)))
    return found


# Per `enclosing` question, the node types asked for when none has subclasses (FunctionDef, For, ...):
# then a type's identity answers, without `isinstance`, which goes through `ABCMeta.__instancecheck__`
# for libcst classes. Empty for a question about a base class (BaseCompoundStatement).
_leaf_types: dict[type | tuple[type, ...], frozenset[type]] = {}


def _leaves_of(node_type: type | tuple[type, ...]) -> frozenset[type]:
    types = node_type if isinstance(node_type, tuple) else (node_type,)
    return frozenset(types) if not any(kind.__subclasses__() for kind in types) else frozenset()


class TreeIndex:
    """Parents of every node and every node grouped by its type, in source (pre-)order."""

    def __init__(self, module: cst.Module) -> None:
        # Keyed by id: a node's own __hash__ is a Python-level call, and nodes hash by identity anyway.
        self._parents: dict[int, cst.CSTNode] = {}
        self.by_type: dict[type, list[cst.CSTNode]] = {}
        parents, by_type = self._parents, self.by_type
        getters, known = _child_getters, _is_node_type
        stack: list[cst.CSTNode] = [module]
        while stack:
            node = stack.pop()
            kind = type(node)
            group = by_type.get(kind)
            if group is None:
                group = by_type[kind] = []
            group.append(node)
            getter = getters.get(kind) or _getter_of(kind)
            if getter is _no_fields:
                continue  # a leaf (most nodes are names): no call, no list
            # `children(node)`, inlined: this loop visits every node of every file.
            kids: list[cst.CSTNode] = []
            for value in getter(node):
                value_kind = type(value)
                if value_kind is list or value_kind is tuple:
                    for item in value:
                        is_node = known.get(type(item))
                        if is_node or (is_node is None and _is_node(item)):
                            kids.append(item)
                            parents[id(item)] = node
                else:
                    is_node = known.get(value_kind)
                    if is_node or (is_node is None and _is_node(value)):
                        kids.append(value)
                        parents[id(value)] = node
            kids.reverse()
            stack.extend(kids)

    def nodes(self, node_type: type[N]) -> list[N]:
        """All nodes of exactly this type, in source order."""
        return self.by_type.get(node_type, [])  # type: ignore[return-value]

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self._parents.get(id(node))

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        """Parents of `node`, nearest first."""
        parents = self._parents
        current = parents.get(id(node))
        while current is not None:
            yield current
            current = parents.get(id(current))

    def enclosing(self, node: cst.CSTNode, node_type: type[N] | tuple[type, ...]) -> N | None:
        """The nearest ancestor of the given type(s), if any."""
        parents = self._parents
        current = parents.get(id(node))
        leaves = _leaf_types.get(node_type)
        if leaves is None:
            leaves = _leaf_types[node_type] = _leaves_of(node_type)
        if leaves:
            while current is not None and type(current) not in leaves:
                current = parents.get(id(current))
            return current  # type: ignore[return-value]
        while current is not None and not isinstance(current, node_type):
            current = parents.get(id(current))
        return current  # type: ignore[return-value]

    def covering(self, node_types: tuple[type, ...]) -> set[int]:
        """The ids of the nodes that are, or hold somewhere below them, a node of one of these types: a
        walk that looks only for those (`TrainingLoops._collect`, for calls and assignments) skips every
        other subtree without walking it. One pass up from each such node, stopping at a marked one."""
        parents = self._parents
        marked: set[int] = set()
        for node_type in node_types:
            for node in self.by_type.get(node_type, ()):
                current: cst.CSTNode | None = node
                while current is not None and id(current) not in marked:
                    marked.add(id(current))
                    current = parents.get(id(current))
        return marked

    def statement_of(self, node: cst.CSTNode) -> cst.CSTNode:
        """The statement that contains `node` (itself if it is one)."""
        current: cst.CSTNode | None = node
        while current is not None and not isinstance(
            current, (cst.SimpleStatementLine, cst.BaseCompoundStatement)
        ):
            current = self._parents.get(id(current))
        return current or node
