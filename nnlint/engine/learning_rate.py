"""Learning rates a training step computes for itself and never hands to the optimizer.

Some scripts drive the learning rate by hand: each step they compute `cur_lr = schedule.value(step)` and
write it into every `optimizer.param_groups[i]["lr"]`. When that write is missing, the value is still
logged (and may feed the loss), so the run looks scheduled while the optimizer keeps the rate it was built
with. The claim is made only when nothing could apply the value: the optimizer is a `torch.optim` one bound
to a plain name, and every mention of that name in its scope only clears, steps (with no arguments) or
saves it; the file never touches `param_groups` and builds no scheduler.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from nnlint.engine.index import TreeIndex, walk
from nnlint.engine.roles import Role
from nnlint.vocabulary import CURRENT_EPOCH_NAME, LR_NAME, STEP_COUNTER_NAME

if TYPE_CHECKING:
    from nnlint.engine.context import FileContext

# What a scope may do with an optimizer without touching its learning rate.
_LR_NEUTRAL_MEMBERS = frozenset({"zero_grad", "step", "state_dict", "load_state_dict"})
_OPTIMIZERS = "torch.optim."


@dataclass(frozen=True)
class UnappliedRate:
    """`assign` binds `name` to a rate computed from the step or epoch counter in a function that steps
    `optimizer`, whose learning rate nothing in the file ever sets."""

    assign: cst.Assign
    name: str
    optimizer: str
    counter: str


def unapplied_rates(ctx: FileContext) -> list[UnappliedRate]:
    """Per-step (or per-epoch) learning rates that never reach the optimizer they are computed for."""
    source = ctx.source
    if "param_groups" in source or "lr_scheduler" in source:
        return []
    found: list[UnappliedRate] = []
    for assign in ctx.index.nodes(cst.Assign):
        if len(assign.targets) != 1 or type(assign.targets[0].target) is not cst.Name:
            continue
        name = assign.targets[0].target.value
        counter = _counter_read(ctx, assign.value) if LR_NAME.search(name) else None
        if counter is None:
            continue
        function = ctx.enclosing_function(assign)
        if function is None:
            continue
        if _in_arithmetic(ctx, name, function):
            continue  # `p - lr * g`: a hand-written update uses it
        for optimizer in _stepped_optimizers(ctx, function):
            if _untouched(ctx, optimizer, name, assign):
                found.append(UnappliedRate(assign, name, optimizer, counter))
                break
    if found and ctx.roles.names(Role.SCHEDULER):
        return []  # a scheduler sets the rate (asked last: it resolves every name bound from a project call)
    return found


def _counter_read(ctx: FileContext, value: cst.BaseExpression) -> str | None:
    """The step or epoch counter a call reads when it is handed no optimizer (`sched.value(step_id)`)."""
    if not isinstance(value, cst.Call):
        return None
    counter = None
    for arg in value.args:
        if ctx.roles.has(arg.value, Role.OPTIMIZER):
            return None
        if isinstance(arg.value, cst.Name) and (
            STEP_COUNTER_NAME.search(arg.value.value) or CURRENT_EPOCH_NAME.match(arg.value.value)
        ):
            counter = arg.value.value
    return counter


def _stepped_optimizers(ctx: FileContext, function: cst.FunctionDef) -> list[str]:
    """Plain names `function` steps with `name.step()` (no closure, no per-step settings)."""
    names: list[str] = []
    for call in ctx.index.nodes(cst.Call):
        func = call.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value == "step"
            and isinstance(func.value, cst.Name)
            and not call.args
            and function in ctx.index.ancestors(call)
            and ctx.roles.has(func.value, Role.OPTIMIZER)
        ):
            names.append(func.value.value)
    return names


def _untouched(ctx: FileContext, optimizer: str, rate: str, at: cst.Assign) -> bool:
    """Whether a `torch.optim` optimizer's learning rate stays what it was built with: the rate is computed
    in the scope that builds it, where the name is only cleared, stepped or saved, and it is not built
    from the rate."""
    constructor = ctx.roles.constructor(optimizer)
    callee = (ctx.callee(constructor) or "") if constructor is not None else ""
    if (
        constructor is None
        or not callee.startswith(_OPTIMIZERS)
        or ctx.roles.role_of(constructor) is not Role.OPTIMIZER  # not a scheduler or an averaged model
    ):
        return False
    index = ctx.index
    if any(_reads(index, node, rate) for node in walk(constructor)):
        return False  # built from the rate (`Adam(params, lr=lr)`; not `lr=args.lr`, a keyword and a field)
    scope: cst.CSTNode = ctx.enclosing_function(constructor) or ctx.module
    if scope is not ctx.module and scope not in index.ancestors(at):
        return False
    for node in index.nodes(cst.Name):
        if node.value != optimizer or (scope is not ctx.module and scope not in index.ancestors(node)):
            continue
        parent = index.parent(node)
        if isinstance(parent, cst.Attribute):
            if parent.attr is node:
                continue  # `self.optimizer`: another name
            if parent.attr.value in _LR_NEUTRAL_MEMBERS:
                continue
            return False
        if isinstance(parent, cst.AssignTarget) and index.parent(parent) is index.parent(constructor):
            continue  # the binding itself
        return False  # handed somewhere, returned, rebound: it may be given a rate there
    return True


def _reads(index: TreeIndex, node: cst.CSTNode, name: str) -> bool:
    """Whether `node` is a `Name` that reads the variable `name`: not a keyword (`lr=`) nor an attribute's
    field (`args.lr`) of that spelling."""
    if not isinstance(node, cst.Name) or node.value != name:
        return False
    parent = index.parent(node)
    if isinstance(parent, cst.Attribute) and parent.attr is node:
        return False
    return not (isinstance(parent, cst.Arg) and parent.keyword is node)


def _in_arithmetic(ctx: FileContext, name: str, function: cst.FunctionDef) -> bool:
    """Whether the function computes with the rate (an operand of `*`, `-`, ..., or of `x -= ...`)."""
    for node in walk(function):
        if isinstance(node, cst.Name) and node.value == name:
            parent = ctx.index.parent(node)
            if isinstance(parent, cst.BinaryOperation) or (
                isinstance(parent, cst.AugAssign) and parent.value is node
            ):
                return True
    return False
