"""Line and column of the few nodes that findings point at, without paying for every node.

libcst's PositionProvider records a range for every node of a module; on real code that costs more than
parsing the file. A linter needs positions only for the nodes it reports, in the few files that have
findings. This codegen state tracks line and column like PositionProvider does, records ranges only inside
the requested nodes, and stops generating code as soon as the last of them has been seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.metadata import CodePosition, CodeRange

_NULL = nullcontext()


class _AllFound(Exception):
    """Raised to stop code generation once every requested node has a range."""


@dataclass
class _TargetedPositionState(CodegenState):
    targets: set[int] = field(default_factory=set)
    ranges: dict[int, CodeRange] = field(default_factory=dict)
    line: int = 1
    column: int = 0
    _depth: int = 0  # > 0 while generating code inside a requested node
    _stack: list[CodePosition | None] = field(default_factory=list)
    _remaining: int = 0

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.add_token(token)

    def add_token(self, value: str) -> None:
        # No token list is kept: nobody reads the generated code.
        newlines = value.count("\n")
        if newlines:
            self.line += newlines
            self.column = len(value) - value.rfind("\n") - 1
        else:
            self.column += len(value)

    def pop_trailing_newline(self) -> None:
        pass

    def before_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self.targets:
            self._depth += 1
        self._stack.append(CodePosition(self.line, self.column) if self._depth else None)

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self._stack.pop()
        key = id(node)
        if start is not None and key not in self.ranges:
            self.ranges[key] = CodeRange(start, CodePosition(self.line, self.column))
        if key in self.targets:
            self._depth -= 1
            self._remaining -= 1
            if self._remaining == 0:
                raise _AllFound

    def record_syntactic_position(
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> Iterator[None]:
        if not self._depth:
            return _NULL  # type: ignore[return-value]
        return self._record(node, start_node, end_node)

    @contextmanager
    def _record(
        self, node: cst.CSTNode, start_node: cst.CSTNode | None, end_node: cst.CSTNode | None
    ) -> Iterator[None]:
        start = CodePosition(self.line, self.column)
        yield
        end = CodePosition(self.line, self.column)
        if start_node is not None and id(start_node) in self.ranges:
            start = self.ranges[id(start_node)].start
        if end_node is not None and id(end_node) in self.ranges:
            end = self.ranges[id(end_node)].end
        # The syntactic range (without surrounding whitespace) wins over the inclusive one.
        self.ranges[id(node)] = CodeRange(start, end)


def compute_ranges(module: cst.Module, nodes: Iterable[cst.CSTNode]) -> dict[int, CodeRange]:
    """Map id(node) to its syntactic range (1-based line, 0-based column) for each requested node."""
    targets = {id(node) for node in nodes}
    if not targets:
        return {}
    state = _TargetedPositionState(
        default_indent=module.default_indent,
        default_newline=module.default_newline,
        targets=targets,
        _remaining=len(targets),
    )
    try:
        module._codegen(state)
    except _AllFound:
        pass
    return {key: state.ranges[key] for key in targets if key in state.ranges}
