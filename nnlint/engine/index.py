"""One walk over the syntax tree: parents and nodes grouped by type, in source order.

libcst's own visitor rebuilds every node as it goes, which costs about as much as parsing. Rules and
analyses here never change the tree, so a plain iterative walk over each node type's child fields is
enough, and it is an order of magnitude cheaper. Everything else in the engine reads this index instead of
walking the tree again.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterator
from typing import TypeVar

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
_child_fields: dict[type, tuple[str, ...]] = {}


def _fields_of(node_type: type) -> tuple[str, ...]:
    names = _child_fields.get(node_type)
    if names is None:
        names = tuple(
            f.name
            for f in dataclasses.fields(node_type)
            if not f.name.startswith(_SKIPPED_FIELD_PREFIXES)
        )
        _child_fields[node_type] = names
    return names


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The child nodes of `node` that carry code, in source order."""
    kids: list[cst.CSTNode] = []
    for name in _fields_of(type(node)):
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            kids.append(value)
        elif isinstance(value, (list, tuple)):
            kids.extend(item for item in value if isinstance(item, cst.CSTNode))
    return kids


class TreeIndex:
    """Parents of every node and every node grouped by its type, in source (pre-)order."""

    def __init__(self, module: cst.Module) -> None:
        self.parents: dict[cst.CSTNode, cst.CSTNode] = {}
        self.by_type: dict[type, list[cst.CSTNode]] = defaultdict(list)
        stack: list[cst.CSTNode] = [module]
        while stack:
            node = stack.pop()
            self.by_type[type(node)].append(node)
            kids = children(node)
            for kid in kids:
                self.parents[kid] = node
            stack.extend(reversed(kids))

    def nodes(self, node_type: type[N]) -> list[N]:
        """All nodes of exactly this type, in source order."""
        return self.by_type.get(node_type, [])  # type: ignore[return-value]

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.parents.get(node)

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        """Parents of `node`, nearest first."""
        current = self.parents.get(node)
        while current is not None:
            yield current
            current = self.parents.get(current)

    def enclosing(self, node: cst.CSTNode, node_type: type[N] | tuple[type, ...]) -> N | None:
        """The nearest ancestor of the given type(s), if any."""
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, node_type):
                return ancestor  # type: ignore[return-value]
        return None

    def statement_of(self, node: cst.CSTNode) -> cst.CSTNode:
        """The statement that contains `node` (itself if it is one)."""
        current: cst.CSTNode | None = node
        while current is not None and not isinstance(
            current, (cst.SimpleStatementLine, cst.BaseCompoundStatement)
        ):
            current = self.parents.get(current)
        return current or node
