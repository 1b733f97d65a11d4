"""The training loop: which loops iterate over batches and which over epochs, and what one iteration does.

Most loop rules are questions about one ordered sequence: in one iteration of this loop, is there a
`zero_grad` before the `step`, a `clip_grad_norm_` between `backward` and `step`, a `scheduler.step()` at
the right frequency? This module answers them once per file. Each loop gets the ordered events of its body
(forward, backward, step, zero_grad, clip, unscale, scheduler step, eval/train toggles, no-grad blocks),
including those inside helper functions of the same file that the body calls (several levels deep, with the
helper's parameter names mapped back to the caller's arguments), so `train_one_epoch(model, opt)` is seen
through.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst

from nnlint.engine.index import children
from nnlint.engine.names import dotted_name
from nnlint.engine.roles import Role

if TYPE_CHECKING:
    from nnlint.engine.context import FileContext

# How many helper calls deep events are followed; deeper helpers rarely hold the training step.
MAX_HELPER_DEPTH = 3

CLIP_FUNCTIONS = frozenset(
    {
        "torch.nn.utils.clip_grad_norm_",
        "torch.nn.utils.clip_grad_value_",
        "torch.nn.utils.clip_grad.clip_grad_norm_",
        "torch.nn.utils.clip_grad.clip_grad_value_",
        "torch.nn.utils.clip_grad_norm",
    }
)
NO_GRAD_CONTEXTS = frozenset({"torch.no_grad", "torch.inference_mode", "torch.autograd.no_grad"})


class EventKind(str, Enum):
    FORWARD = "forward"
    BACKWARD = "backward"
    STEP = "step"
    ZERO_GRAD = "zero_grad"
    CLIP = "clip"
    UNSCALE = "unscale"
    SCHEDULER_STEP = "scheduler_step"
    EVAL = "eval"
    TRAIN = "train"
    NO_GRAD = "no_grad"


@dataclass(frozen=True)
class Event:
    """One thing that happens in an iteration.

    `node` is where it happens (possibly inside a helper); `site` is the statement-level call in the
    analysed body that leads to it (the helper call), or `node` itself when it happens directly there.
    `target` is the dotted name it acts on, in the caller's names: the optimizer for step/zero_grad/
    unscale, the loss for backward, the model for forward/eval/train, the scheduler for scheduler_step.
    """

    kind: EventKind
    node: cst.CSTNode
    site: cst.CSTNode
    target: str | None = None
    conditional: bool = False  # under an `if`/`except` inside the analysed body
    nested: int = 0  # how many loops deep inside the analysed body
    no_grad: bool = False  # inside a `with torch.no_grad()` / `inference_mode()` block
    via: tuple[str, ...] = ()  # helper functions passed through


@dataclass
class Loop:
    """A `for` or `while` loop with the events of one of its iterations."""

    node: cst.For | cst.While
    events: list[Event] = field(default_factory=list)
    kind: str = "other"  # "batch", "epoch" or "other"
    iterates: str | None = None  # dotted name of what a `for` loop iterates over, unwrapped
    function: cst.FunctionDef | None = None

    @property
    def own_events(self) -> list[Event]:
        """Events of this loop's iteration that are not inside a nested loop."""
        return [event for event in self.events if event.nested == 0]

    def of_kind(self, *kinds: EventKind, own: bool = True) -> list[Event]:
        events = self.own_events if own else self.events
        return [event for event in events if event.kind in kinds]

    @property
    def trains(self) -> bool:
        """Whether one iteration of this loop itself runs a training step."""
        return bool(self.of_kind(EventKind.BACKWARD)) and bool(self.of_kind(EventKind.STEP))


_ITER_WRAPPERS = frozenset({"enumerate", "tqdm", "iter", "zip", "tqdm.tqdm", "tqdm.auto.tqdm", "progress_bar"})


class TrainingLoops:
    """All loops of a file, classified, each with the ordered events of one iteration."""

    def __init__(self, ctx: FileContext) -> None:
        self._ctx = ctx
        self._roles = ctx.roles

    @cached_property
    def loops(self) -> list[Loop]:
        nodes: list[cst.For | cst.While] = [*self._ctx.index.nodes(cst.For), *self._ctx.index.nodes(cst.While)]
        loops = []
        for node in nodes:
            loop = Loop(node=node, function=self._ctx.enclosing_function(node))
            loop.events = self.events_of_body(node.body)
            if isinstance(node, cst.For):
                loop.iterates = _unwrap_iterable(node.iter)
            loops.append(loop)
        for loop in loops:
            loop.kind = self._classify(loop)
        return loops

    @cached_property
    def _by_node(self) -> dict[cst.CSTNode, Loop]:
        return {loop.node: loop for loop in self.loops}

    def loop(self, node: cst.For | cst.While) -> Loop:
        return self._by_node[node]

    def training_loops(self) -> list[Loop]:
        """Loops whose own iteration runs backward and an optimizer step: the batch loops that train."""
        return [loop for loop in self.loops if loop.trains]

    def enclosing_loop(self, node: cst.CSTNode) -> Loop | None:
        found = self._ctx.index.enclosing(node, (cst.For, cst.While))
        return self._by_node.get(found) if found is not None else None

    def function_events(self, function: cst.FunctionDef) -> list[Event]:
        """The events of one call of a function defined in this file."""
        return self.events_of_body(function.body)

    def events_of_body(self, body: cst.CSTNode) -> list[Event]:
        events: list[Event] = []
        self._collect(body, events, _Where(), subst={}, depth=0, stack=())
        return events

    # -- classification ---------------------------------------------------------------------------

    def _classify(self, loop: Loop) -> str:
        if loop.trains or (loop.iterates and self._roles.has(loop.iterates, Role.LOADER)):
            return "batch"
        nested = [event for event in loop.events if event.nested > 0]
        if any(event.kind in (EventKind.STEP, EventKind.BACKWARD) for event in nested):
            return "epoch"
        target = loop.node.target if isinstance(loop.node, cst.For) else None
        if target is not None and "epoch" in (dotted_name(target) or ""):
            return "epoch"
        return "other"

    # -- event collection -------------------------------------------------------------------------

    def _collect(
        self,
        node: cst.CSTNode,
        out: list[Event],
        where: _Where,
        subst: dict[str, str],
        depth: int,
        stack: tuple[str, ...],
    ) -> None:
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return  # a definition runs nothing
        if isinstance(node, cst.If):
            self._collect(node.test, out, where, subst, depth, stack)
            self._collect(node.body, out, where.conditionally(), subst, depth, stack)
            if node.orelse is not None:
                self._collect(node.orelse, out, where.conditionally(), subst, depth, stack)
            return
        if isinstance(node, (cst.ExceptHandler, cst.ExceptStarHandler)):
            self._collect(node.body, out, where.conditionally(), subst, depth, stack)
            return
        if isinstance(node, (cst.For, cst.While)):
            head = node.iter if isinstance(node, cst.For) else node.test
            self._collect(head, out, where, subst, depth, stack)
            self._collect(node.body, out, where.deeper(), subst, depth, stack)
            return
        if isinstance(node, cst.With):
            self._collect_with(node, out, where, subst, depth, stack)
            return
        if isinstance(node, cst.Assign):
            self._assign_event(node, out, where, subst)
        for child in children(node):
            self._collect(child, out, where, subst, depth, stack)
        if isinstance(node, cst.Call):
            # Children first: in `scaler.scale(loss).backward()` and `opt.step(closure())` the inner
            # calls run before the outer one.
            self._call_events(node, out, where, subst, depth, stack)

    def _collect_with(
        self,
        node: cst.With,
        out: list[Event],
        where: _Where,
        subst: dict[str, str],
        depth: int,
        stack: tuple[str, ...],
    ) -> None:
        inner = where
        for item in node.items:
            self._collect(item.item, out, where, subst, depth, stack)
            call = item.item
            if isinstance(call, cst.Call) and self._ctx.callee(call) in NO_GRAD_CONTEXTS:
                out.append(where.event(EventKind.NO_GRAD, node))
                inner = replace(inner, no_grad=True)
        self._collect(node.body, out, inner, subst, depth, stack)

    def _assign_event(self, node: cst.Assign, out: list[Event], where: _Where, subst: dict[str, str]) -> None:
        # `p.grad = None` clears a gradient just like zero_grad(set_to_none=True).
        for target in node.targets:
            if (
                isinstance(target.target, cst.Attribute)
                and target.target.attr.value == "grad"
                and isinstance(node.value, cst.Name)
                and node.value.value == "None"
            ):
                out.append(where.event(EventKind.ZERO_GRAD, node, target=None))

    def _call_events(
        self,
        call: cst.Call,
        out: list[Event],
        where: _Where,
        subst: dict[str, str],
        depth: int,
        stack: tuple[str, ...],
    ) -> None:
        kind, target = self._classify_call(call)
        if kind is not None:
            out.append(where.event(kind, call, target=_substitute(target, subst)))
            return
        helper = self._helper_called(call)
        if helper is None or depth >= MAX_HELPER_DEPTH or helper.name.value in stack:
            return
        inner_where = where.through(call, helper.name.value)
        inner_subst = _bind_arguments(helper, call, subst)
        self._collect(helper.body, out, inner_where, inner_subst, depth + 1, (*stack, helper.name.value))

    def _helper_called(self, call: cst.Call) -> cst.FunctionDef | None:
        """The function of this file that a call runs: `helper(...)` or `self.helper(...)`."""
        func = call.func
        if isinstance(func, cst.Name):
            name = func.value
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self":
            name = func.attr.value
        else:
            return None
        candidates = self._ctx.functions.get(name)
        if not candidates or len(candidates) > 1:
            return None  # unknown, or ambiguous between several definitions
        return candidates[0]

    def _classify_call(self, call: cst.Call) -> tuple[EventKind | None, str | None]:
        roles = self._roles
        callee = self._ctx.callee(call)
        if callee in CLIP_FUNCTIONS:
            return EventKind.CLIP, None
        func = call.func
        if not isinstance(func, cst.Attribute):
            if roles.has(func, Role.MODEL):
                return EventKind.FORWARD, dotted_name(func)
            return None, None
        method = func.attr.value
        owner_expr = func.value
        owner = dotted_name(owner_expr)
        first_arg = dotted_name(call.args[0].value) if call.args else None
        if method == "backward":
            positional = [arg for arg in call.args if arg.keyword is None]
            if positional and not roles.has(owner, Role.LOSS):
                # accelerator.backward(loss), fabric.backward(loss)
                return EventKind.BACKWARD, dotted_name(positional[0].value)
            if isinstance(owner_expr, cst.Call) and isinstance(owner_expr.func, cst.Attribute):
                if owner_expr.func.attr.value == "scale" and owner_expr.args:
                    # scaler.scale(loss).backward()
                    return EventKind.BACKWARD, dotted_name(owner_expr.args[0].value)
            return EventKind.BACKWARD, owner
        if method == "manual_backward":
            return EventKind.BACKWARD, first_arg
        if method == "step":
            if roles.has(owner, Role.SCALER):
                return EventKind.STEP, first_arg
            if roles.has(owner, Role.SCHEDULER):
                return EventKind.SCHEDULER_STEP, owner
            if roles.has(owner, Role.OPTIMIZER):
                return EventKind.STEP, owner
            return None, None
        if method == "zero_grad":
            return EventKind.ZERO_GRAD, owner
        if method == "unscale_":
            return EventKind.UNSCALE, first_arg
        if method in ("clip_grad_norm_", "clip_grad_value_"):
            return EventKind.CLIP, owner
        if method in ("eval", "train") and roles.has(owner, Role.MODEL):
            is_eval = method == "eval" or _is_false(call.args[0].value if call.args else None)
            return (EventKind.EVAL if is_eval else EventKind.TRAIN), owner
        if roles.has(func, Role.MODEL):
            return EventKind.FORWARD, dotted_name(func)
        return None, None


@dataclass(frozen=True)
class _Where:
    """Where in the analysed body the collector stands."""

    conditional: bool = False
    nested: int = 0
    no_grad: bool = False
    site: cst.CSTNode | None = None
    via: tuple[str, ...] = ()

    def conditionally(self) -> _Where:
        return replace(self, conditional=True)

    def deeper(self) -> _Where:
        return replace(self, nested=self.nested + 1)

    def through(self, call: cst.Call, helper: str) -> _Where:
        return replace(self, site=self.site or call, via=(*self.via, helper))

    def event(self, kind: EventKind, node: cst.CSTNode, target: str | None = None) -> Event:
        return Event(
            kind=kind,
            node=node,
            site=self.site or node,
            target=target,
            conditional=self.conditional,
            nested=self.nested,
            no_grad=self.no_grad,
            via=self.via,
        )


def _is_false(expr: cst.BaseExpression | None) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "False"


def _unwrap_iterable(expr: cst.BaseExpression) -> str | None:
    """`enumerate(tqdm(train_loader))` -> "train_loader"."""
    while isinstance(expr, cst.Call) and expr.args and dotted_name(expr.func) in _ITER_WRAPPERS:
        expr = expr.args[0].value
    return dotted_name(expr)


def _substitute(name: str | None, subst: dict[str, str]) -> str | None:
    """Rename a helper's parameter to the caller's argument (`opt.step` in `def f(opt)` -> `optimizer`)."""
    if name is None or not subst:
        return name
    head, dot, rest = name.partition(".")
    if head in subst:
        return subst[head] + dot + rest
    return name


def _bind_arguments(helper: cst.FunctionDef, call: cst.Call, outer: dict[str, str]) -> dict[str, str]:
    params = [param.name.value for param in helper.params.params]
    if params and params[0] == "self" and isinstance(call.func, cst.Attribute):
        params = params[1:]
    bound: dict[str, str] = {}
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    for name, arg in zip(params, positional):
        value = dotted_name(arg.value)
        if value:
            bound[name] = _substitute(value, outer) or value
    for arg in call.args:
        if arg.keyword is not None:
            value = dotted_name(arg.value)
            if value:
                bound[arg.keyword.value] = _substitute(value, outer) or value
    return bound
