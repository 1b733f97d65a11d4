"""Device use in training: does the script train on a GPU, which values live on it, and where one iteration
of a training loop waits for the GPU or copies the same constant to it again.

These are the questions of the opt-in performance family (NN7xx). They only make sense for a script that
trains on a GPU, so everything here starts from `trains_on_gpu`; a CPU-only script has nothing to report.
A value is on the device when it comes from a model's forward, a loss, or `.to(...)`/`.cuda()`, or is
computed from such values, in the same function; anything else is treated as host data, which keeps
`labels.numpy()` on a batch that was never moved silent.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst

from nnlint import vocabulary as vocab
from nnlint.engine.bindings import binds, target_names
from nnlint.engine.index import children
from nnlint.engine.loops import Loop
from nnlint.engine.names import dotted_name
from nnlint.engine.roles import Role

if TYPE_CHECKING:
    from nnlint.engine.context import FileContext

_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
# How many helper calls deep a sync is followed from the training loop.
_MAX_HELPER_DEPTH = 2


@dataclass(frozen=True)
class Sync:
    """A host-device synchronisation: `node` where it happens, `site` the statement in the loop body."""

    node: cst.CSTNode
    site: cst.CSTNode


class DeviceUse:
    """Device facts of one file (`ctx.device`)."""

    def __init__(self, ctx: FileContext) -> None:
        self._ctx = ctx
        self._device_names: dict[cst.CSTNode, frozenset[str]] = {}

    @cached_property
    def trains_on_gpu(self) -> bool:
        """The file runs a training loop and puts things on a CUDA device (`.cuda()`, a `"cuda"` string,
        `torch.cuda.is_available()`)."""
        if "cuda" not in self._ctx.source or not self._ctx.loops.training_loops():
            return False
        for call in self._ctx.index.nodes(cst.Call):
            if isinstance(call.func, cst.Attribute) and call.func.attr.value == "cuda":
                return True
            if self._ctx.callee(call) == "torch.cuda.is_available":
                return True
        return any(
            isinstance(string.evaluated_value, str) and string.evaluated_value.startswith("cuda")
            for string in self._ctx.index.nodes(cst.SimpleString)
        )

    # -- host-device synchronisation ---------------------------------------------------------------------

    def syncs(self, loop: Loop) -> list[Sync]:
        """Host-device syncs on every iteration of a training loop: `.item()`, `.cpu()`, `.numpy()`,
        `.tolist()`, `float(...)`, `print`/f-strings of device values, directly in the loop body or in
        helpers it calls, not under any `if` (logging every N steps) nor in a nested loop."""
        found: list[Sync] = []
        scope = self._ctx.enclosing_function(loop.node) or self._ctx.module
        self._collect_syncs(loop.node.body, None, self.device_names(scope), found, depth=0, stack=())
        return found

    def _collect_syncs(
        self,
        body: cst.CSTNode,
        site: cst.CSTNode | None,
        names: frozenset[str],
        found: list[Sync],
        depth: int,
        stack: tuple[str, ...],
    ) -> None:
        pending: list[cst.CSTNode] = list(children(body))
        while pending:
            node = pending.pop()
            if isinstance(node, (*_SCOPES, cst.If, cst.IfExp, cst.For, cst.While, cst.Try, cst.CompFor)):
                continue
            here = site or self._ctx.index.statement_of(node)
            if isinstance(node, cst.Call):
                if self._is_sync(node, names):
                    found.append(Sync(node, here))
                    continue
                helper = self._ctx.loops.helper_called(node)
                if helper is not None and depth < _MAX_HELPER_DEPTH and helper.name.value not in stack:
                    inner = self.device_names(helper) | self._device_parameters(helper, node, names)
                    self._collect_syncs(
                        helper.body, here, inner, found, depth + 1, (*stack, helper.name.value)
                    )
            elif isinstance(node, cst.FormattedStringExpression) and self._on_device(node.expression, names):
                found.append(Sync(node, here))
                continue
            pending.extend(children(node))

    def _device_parameters(
        self, helper: cst.FunctionDef, call: cst.Call, names: frozenset[str]
    ) -> frozenset[str]:
        """The helper's parameters that receive device values at this call."""
        params = [param.name.value for param in helper.params.params]
        if params and params[0] == "self" and isinstance(call.func, cst.Attribute):
            params = params[1:]
        found: set[str] = set()
        positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
        for param, arg in zip(params, positional, strict=False):
            if self._on_device(arg.value, names):
                found.add(param)
        for arg in call.args:
            if arg.keyword is not None and self._on_device(arg.value, names):
                found.add(arg.keyword.value)
        return frozenset(found)

    def _is_sync(self, call: cst.Call, names: frozenset[str]) -> bool:
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in vocab.SYNC_METHODS and not call.args:
            return self._on_device(func.value, names)
        if isinstance(func, cst.Name) and func.value in vocab.SYNC_BUILTINS and call.args:
            return any(
                arg.keyword is None
                and isinstance(arg.value, (cst.Name, cst.Attribute))
                and self._on_device(arg.value, names)
                for arg in call.args
            )
        return False

    def _on_device(self, expr: cst.BaseExpression, names: frozenset[str]) -> bool:
        """A device value: a loss, a name bound from device values in this scope, or arithmetic and
        method calls over one (`(pred == y).sum()`, `out.argmax(1)`)."""
        if self._ctx.roles.is_loss_expr(expr):
            return True
        stack: list[cst.CSTNode] = [expr]
        while stack:
            node = stack.pop()
            if isinstance(node, (cst.Name, cst.Attribute)):
                if dotted_name(node) in names:
                    return True
                if isinstance(node, cst.Attribute):
                    stack.append(node.value)
                continue
            if isinstance(node, cst.Call):
                if isinstance(node.func, cst.Attribute) and node.func.attr.value in vocab.SYNC_METHODS:
                    continue  # already on the host
                stack.append(node.func)
                continue
            if isinstance(node, (cst.BinaryOperation, cst.Comparison, cst.UnaryOperation, cst.Subscript)):
                stack.extend(children(node))
        return False

    def device_names(self, scope: cst.CSTNode) -> frozenset[str]:
        """Names a function (or the module) binds to device values: model outputs, losses, moved
        tensors, and what is computed from them (two passes, so `pred = out.argmax(1)` counts)."""
        cached = self._device_names.get(scope)
        if cached is not None:
            return cached
        assigns = [
            node
            for node in self._ctx.index.nodes(cst.Assign)
            if (self._ctx.enclosing_function(node) or self._ctx.module) is scope
        ]
        names: set[str] = set()
        for _ in range(2):
            for assign in assigns:
                if self._device_value(assign.value, names):
                    for target in assign.targets:
                        names.update(target_names(target.target))
        result = frozenset(names)
        self._device_names[scope] = result
        return result

    def _device_value(self, expr: cst.BaseExpression, names: set[str]) -> bool:
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
            if expr.func.attr.value in vocab.SYNC_METHODS:
                return False
            if expr.func.attr.value in vocab.MOVE_METHODS and not _moves_to_cpu(expr):
                return True
        stack: list[cst.CSTNode] = [expr]
        while stack:
            node = stack.pop()
            if isinstance(node, (cst.Name, cst.Attribute)) and dotted_name(node) in names:
                return True
            if isinstance(node, cst.Call):
                if self._ctx.roles.has(node.func, Role.MODEL):
                    return True
                if isinstance(node.func, cst.Attribute) and node.func.attr.value in vocab.SYNC_METHODS:
                    continue
            if isinstance(node, _SCOPES):
                continue
            stack.extend(children(node))
        return self._ctx.roles.is_loss_expr(expr)

    # -- constants moved in the loop ----------------------------------------------------------------------

    def constant_moves(self, loop: Loop) -> list[cst.Call]:
        """Moves of the same host constant to the device on every iteration of a training loop:
        `weights.to(device)` of a tensor built before the loop and never rebound in it, or
        `torch.tensor([...literal...], device=...)` / `.to(...)` of one."""
        index = self._ctx.index
        body = loop.node.body
        found: list[cst.Call] = []
        for call in index.nodes(cst.Call):
            if loop.node not in index.ancestors(call) or not self._in_body(call, body):
                continue
            func = call.func
            if (
                isinstance(func, cst.Attribute)
                and func.attr.value in vocab.MOVE_METHODS
                and not _moves_to_cpu(call)
            ):
                moved = func.value
                name = dotted_name(moved)
                if name is not None and not binds(loop.node, name) and self._host_constant(name):
                    found.append(call)
                elif isinstance(moved, cst.Call) and self._literal_tensor(moved):
                    found.append(call)
            elif self._literal_tensor(call) and any(
                arg.keyword is not None and arg.keyword.value == "device" for arg in call.args
            ):
                found.append(call)
        return found

    def _in_body(self, node: cst.CSTNode, body: cst.CSTNode) -> bool:
        """Inside the loop body, not in a definition nested in it."""
        for ancestor in self._ctx.index.ancestors(node):
            if ancestor is body:
                return True
            if isinstance(ancestor, _SCOPES):
                return False
        return False

    def _host_constant(self, name: str) -> bool:
        """Every binding of the name in the file builds a tensor from host data (`torch.tensor(...)`)."""
        if self._ctx.roles.of(name):
            return False  # a model, a loss, a loader...
        values = self._ctx.bindings.assigned(name)
        return bool(values) and all(
            isinstance(value, cst.Call)
            and self._ctx.callee(value) in vocab.TENSOR_CONSTRUCTORS
            and not _has_device(value)
            for value in values
        )

    def _literal_tensor(self, call: cst.Call) -> bool:
        """`torch.tensor([1.0, 2.0, 0.5])`: host data written in the code."""
        if self._ctx.callee(call) not in vocab.HOST_DATA_CONSTRUCTORS or not call.args:
            return False
        return _is_literal_data(call.args[0].value)


def _moves_to_cpu(call: cst.Call) -> bool:
    for arg in call.args:
        value = arg.value
        if isinstance(value, cst.SimpleString) and value.evaluated_value == "cpu":
            return True
    return isinstance(call.func, cst.Attribute) and call.func.attr.value == "to" and not call.args


def _has_device(call: cst.Call) -> bool:
    return any(arg.keyword is not None and arg.keyword.value == "device" for arg in call.args)


def _is_literal_data(expr: cst.BaseExpression, top: bool = True) -> bool:
    """A list or tuple of numbers written in the code (a table; a lone scalar is an accumulator's start)."""
    if isinstance(expr, (cst.Integer, cst.Float)):
        return not top
    if isinstance(expr, cst.UnaryOperation):
        return _is_literal_data(expr.expression, top)
    if isinstance(expr, (cst.List, cst.Tuple)):
        return bool(expr.elements) and all(
            _is_literal_data(element.value, False) for element in expr.elements
        )
    return False
