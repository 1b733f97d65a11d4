"""The training loop: which loops iterate over batches and which over epochs, and what one iteration does.

Most loop rules are questions about one ordered sequence: in one iteration of this loop, is there a
`zero_grad` before the `step`, a `clip_grad_norm_` between `backward` and `step`, a `scheduler.step()` at
the right frequency? This module answers them once per file. Each loop gets the ordered events of its body
(forward, backward, step, zero_grad, clip, unscale, scheduler step, eval/train toggles, no-grad blocks),
including those inside helper functions of the same file that the body calls (several levels deep, with the
helper's parameter names mapped back to the caller's arguments), so `train_one_epoch(model, opt)` is seen
through.

A FORWARD event is a call of the model (`model(x)`, `model.forward(x)`, `model.generate(ids)`) or a model
handed together with data to a function this file cannot see into (`loss = dsm_loss(score, x)`), which
most likely runs it. `Loop.runs_once` tells a loop whose body ends in an unconditional `break`;
`never_stepped` and `manual_schedulers_never_stepped` find optimizers and schedulers nothing steps.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst

from nnlint import vocabulary as vocab
from nnlint.engine.bindings import (
    assigned_names,
    call_candidates,
    call_parameters,
    class_hierarchy,
    closure_factory_call,
    enclosing_parameter,
    local_function,
    matched_arguments,
    method_of,
    overrides_in_file,
    own_nodes,
    passed_methods,
    reaching_values,
    resolve_call,
    resolve_name,
    returned_values,
    target_names,
)
from nnlint.engine.index import children, walk
from nnlint.engine.names import (
    call_argument,
    dotted_name,
    handed_module,
    handed_name,
    handed_object,
    is_false,
    keyed_name,
    moved_module,
    unwrapped,
    words,
)
from nnlint.engine.roles import Role, Roles, is_scheduler_class
from nnlint.engine.summaries import Effect, clearing, clears_grad, handed

if TYPE_CHECKING:
    from nnlint.engine.context import FileContext
    from nnlint.engine.epochs import RunLength
    from nnlint.engine.project import Resolved
    from nnlint.engine.summaries import SelfForward

Comprehension = cst.ListComp | cst.SetComp | cst.DictComp | cst.GeneratorExp
COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)

# How many helper calls deep events are followed; deeper helpers rarely hold the training step.
MAX_HELPER_DEPTH = 3


# Spellings that reach an attribute of `self` by a name computed at run time.
_DYNAMIC_ATTRIBUTE_ACCESS = ("getattr(self", "__dict__", "vars(self")


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
    # A call that runs a whole training step (forward, backward and optimizer step) inside a project
    # method of a model wrapper (`model.train_emb(*batch)`, `model.optimize_parameters()`): its target is
    # the wrapper. Only the mode simulation and the evaluation finder read it.
    TRAIN_STEP = "train_step"


# What a function handed over as a callable (`backprop(loss)`) contributes to the loop that calls it.
_PASSED_KINDS = frozenset({EventKind.BACKWARD, EventKind.STEP, EventKind.ZERO_GRAD, EventKind.UNSCALE})


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
    # The innermost `if`/`else` block or `except` handler the event is under (None when unconditional),
    # so a rule can tell a guard that skips the rest of the iteration from one that wraps the whole step.
    guard: cst.CSTNode | None = None
    # The target as the code at `node` names it, before a helper's parameters are renamed to the caller's
    # names (`model` in `def _predict(self, model, batch): return model.predict_step(batch)`, whose event in
    # a loop calling `self._predict(self.model, b)` targets `self.model`). None: the same as `target`.
    spelled: str | None = None

    @property
    def own_target(self) -> str | None:
        """The target in the names of the code at `node` (`spelled`, else `target`)."""
        return self.spelled if self.spelled is not None else self.target


@dataclass
class Loop:
    """A `for` or `while` loop with the events of one of its iterations; or a comprehension over data
    whose element runs a model (`TrainingLoops.comprehension_loops`), its iteration being the element."""

    node: cst.For | cst.While | Comprehension
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
    def runs_once(self) -> bool:
        """Whether the body ends in an unconditional `break`: the loop runs one iteration at most."""
        return runs_once(self.node)

    @property
    def trains(self) -> bool:
        """Whether one iteration of this loop itself runs a training step.

        The step must be the loop's own; the backward may sit in a nested loop, which is how gradient
        accumulation is written (nanoGPT: `for micro_step in range(k): loss.backward()`, then one step).
        """
        return bool(self.of_kind(EventKind.STEP)) and bool(self.of_kind(EventKind.BACKWARD, own=False))

    def position(self, event: Event) -> int:
        """The index of `event` (by identity) in this loop's ordered events."""
        return next(i for i, candidate in enumerate(self.events) if candidate is event)

    def after(self, event: Event, wrap: bool = False) -> list[Event]:
        """The events that follow `event` in one iteration; with `wrap`, then those of the next iteration
        up to `event`, since a loop body's tail runs right before its head."""
        i = self.position(event)
        return self.events[i + 1 :] + (self.events[:i] if wrap else [])

    def before(self, event: Event, wrap: bool = False) -> list[Event]:
        """The events that precede `event`, nearest first; with `wrap`, then the previous iteration's tail."""
        i = self.position(event)
        earlier = self.events[:i][::-1]
        return earlier + (self.events[i + 1 :][::-1] if wrap else [])


def may_backpropagate(source: str) -> bool:
    """Whether a source may backpropagate: it says `backward`, or calls a loss scaler that does
    (`loss_scaler(loss, optimizer)`, see `TrainingLoops._scaler_call`). Cheap text, for gates."""
    return "backward" in source or "scaler(" in source


def _may_train_or_switch(source: str) -> bool:
    """Text that may switch a mode, backpropagate or step (a method nnlint does not inline)."""
    return ".train(" in source or ".eval(" in source or may_backpropagate(source) or ".step(" in source


def runs_once(node: cst.For | cst.While) -> bool:
    """Whether a loop's body ends in an unconditional `break`: it runs one iteration at most (a fact of
    its text alone, which a rule may ask before the loop analysis)."""
    body = node.body
    statements = body.body if isinstance(body, cst.IndentedBlock) else [body]
    last = statements[-1] if statements else None
    if isinstance(last, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
        return isinstance(last.body[-1], cst.Break)
    return False


# Nodes that can hold no event: definitions (they run nothing where they stand), names, literals,
# operators and simple statements. The collector returns at once instead of looking inside.
_NOTHING_HAPPENS = frozenset(
    {
        cst.FunctionDef,
        cst.ClassDef,
        cst.Lambda,
        cst.Name,
        cst.Integer,
        cst.Float,
        cst.Imaginary,
        cst.SimpleString,
        cst.Ellipsis,
        cst.Import,
        cst.ImportFrom,
        cst.Pass,
        cst.Break,
        cst.Continue,
        cst.Global,
        cst.Nonlocal,
        cst.Decorator,
        cst.Parameters,
        *(
            operator
            for base in (cst.BaseBinaryOp, cst.BaseBooleanOp, cst.BaseCompOp, cst.BaseUnaryOp, cst.BaseAugOp)
            for operator in base.__subclasses__()
        ),
    }
)

_BUILTIN_NAMES = frozenset(dir(builtins))


class TrainingLoops:
    """All loops of a file, classified, each with the ordered events of one iteration."""

    def __init__(self, ctx: FileContext) -> None:
        self._ctx = ctx
        self._body_cache: dict[tuple[cst.CSTNode, int, tuple[str, ...]], list[Event]] = {}
        self._forwarding: dict[cst.Call, SelfForward | None] = {}  # `_wrapper_forward`, per call
        self._switching: dict[cst.Call, list[tuple[str, cst.BaseExpression, bool]]] = {}  # `_object_switches`
        self._handing: dict[cst.Call, list[tuple[str, cst.BaseExpression, bool]]] = {}  # `_handed_switches`
        self._varying_names: dict[cst.CSTNode, frozenset[str]] = {}  # `_varying`, per loop
        self._passed: dict[cst.Call, list[tuple[EventKind, str | None]] | None] = {}  # `_passed_steps`
        self._backpropagating: dict[cst.CSTNode, bool] = {}  # `_backpropagates_in`, per scope

    @cached_property
    def _roles(self) -> Roles:
        """The file's roles, built on the first question that needs them: a summary of one function of
        another module asks for its loops (`backward_operand`) and must not build that module's roles
        (which read further modules) when the function has no backward call."""
        return self._ctx.roles

    @cached_property
    def _eventful(self) -> set[int]:
        """The ids of the nodes with a call or an assignment at or below them: every event `_collect` finds
        comes from one (`_call_events`, `_assign_event`, `_factory_mode_event`, a `with` item's call), so
        its walk goes into no other subtree (an index, an operator, a condition without a call): about a
        third of the nodes it visited in torch's sources."""
        return self._ctx.index.covering((cst.Call, cst.Assign))

    @cached_property
    def may_train(self) -> bool:
        """Whether any loop of the file can run a training step: without a `backward` anywhere in the
        source, no iteration can (`trains` needs one), so per-loop training rules skip the file; unless
        a loop of a method calls a callable parameter for its effect that backpropagates (`backprop(loss)`,
        `_passed_steps`)."""
        if may_backpropagate(self._ctx.source):
            return True
        if "class " not in self._ctx.source:
            return False  # `_passed_steps` follows methods only
        index = self._ctx.index
        for statement in index.nodes(cst.Expr):
            call = statement.value
            if (
                type(call) is cst.Call
                and type(call.func) is cst.Name
                and index.enclosing(statement, (cst.For, cst.While)) is not None
                and self._passed_steps(call)
            ):
                return True
        return False

    @cached_property
    def loops(self) -> list[Loop]:
        nodes: list[cst.For | cst.While] = [
            *self._ctx.index.nodes(cst.For),
            *self._ctx.index.nodes(cst.While),
        ]
        loops = []
        for node in nodes:
            loop = Loop(node=node, function=self._ctx.enclosing_function(node))
            loop.events = self._body_events(node, 0, ())
            if isinstance(node, cst.For):
                loop.iterates = self._iterated(node)
            loops.append(loop)
        for loop in loops:
            loop.kind = self._classify(loop)
        return loops

    def _iterated(self, node: cst.For) -> str | None:
        """What a `for` loop goes over, through iteration wrappers (`enumerate(tqdm(loader))`) and a
        progress bar bound by the enclosing `with` (`with tqdm(loader) as it: for b in enumerate(it)`)."""
        name = _unwrap_iterable(node.iter)
        if name is None or "." in name:
            return name
        for item in self._ctx.index.ancestors(node):
            if not isinstance(item, cst.With):
                continue
            for withitem in item.items:
                bound = withitem.asname.name if withitem.asname is not None else None
                if type(bound) is cst.Name and bound.value == name and isinstance(withitem.item, cst.Call):
                    if dotted_name(withitem.item.func) in vocab.ITERATION_WRAPPERS:
                        return _unwrap_iterable(withitem.item) or name
                    return name
        return name

    @cached_property
    def comprehension_loops(self) -> list[Loop]:
        """Comprehensions whose outermost `for` goes over a data loader or a name that says data and whose
        element runs a model: `[model.validation_step(b) for b in val_loader]` (the evaluation of a
        much-copied course template), `torch.cat([net(x) for x, _ in test_dl])`. Each is a loop whose
        iteration is its element. Kept apart from `loops`, whose users read a statement body: a rule
        that judges evaluation loops asks for these too. Inside a `for` loop, a comprehension's events
        are also that loop's (`_collect` walks it like any expression)."""
        index = self._ctx.index
        found: list[Loop] = []
        for kind in COMPREHENSIONS:
            for node in index.nodes(kind):
                iterated = _unwrap_iterable(node.for_in.iter)
                if iterated is None or not self._ctx.evaluation.names_data(iterated):
                    continue
                events: list[Event] = []
                elements = (node.key, node.value) if type(node) is cst.DictComp else (node.elt,)
                for element in elements:
                    self._collect(element, events, _Where(), {}, 0, ())
                if not any(event.kind is EventKind.FORWARD for event in events):
                    continue
                function = self._ctx.enclosing_function(node)
                found.append(Loop(node=node, events=events, iterates=iterated, function=function))
        return found

    @cached_property
    def inherited_loops(self) -> list[Loop]:
        """Loops of a project base class in another module whose iteration runs methods that a class of
        this file overrides: `BaseTrainer.train`'s `for epoch in ...: self._train_epoch(epoch)`, with
        `_train_epoch` (and the `_valid_epoch` it calls) defined by `Trainer(BaseTrainer)` here, the
        template that pytorch-template and its many descendants share. On this class's instances one
        iteration of the base loop runs the overrides' events, in the order the loop calls them; that is
        the loop these events repeat in. A method the base loop calls on `self` that this file does not
        define and whose text switches a mode, backpropagates or steps makes the iteration unknown (no
        loop). Only asked by the mode simulation, in a file that may train and switches a mode."""
        source = self._ctx.source
        if ".eval(" not in source or "class " not in source or not self.may_train:
            return []
        from nnlint.engine.bindings import class_hierarchy
        from nnlint.engine.project import Resolved

        found: list[Loop] = []
        for cls in self._ctx.index.nodes(cst.ClassDef):
            if not cls.bases:
                continue
            hierarchy = class_hierarchy(Resolved(self._ctx, cls))
            for base in (hierarchy or [])[1:]:
                if base.ctx is self._ctx:
                    continue
                for loop in base.ctx.loops.loops:
                    if loop.function is None or base.ctx.enclosing_class(loop.function) is not base.node:
                        continue
                    inherited = self._run_by_subclass(loop, base, cls)
                    if inherited is not None:
                        found.append(inherited)
        return found

    def _run_by_subclass(self, loop: Loop, base: Resolved, cls: cst.ClassDef) -> Loop | None:
        """`inherited_loops` for one loop of a base class: its iteration as `cls` runs it, or None."""
        from nnlint.engine.bindings import method_of
        from nnlint.engine.project import Resolved

        index = base.ctx.index
        methods: list[cst.FunctionDef] = []
        for call in index.nodes(cst.Call):
            func = call.func
            if not (type(func) is cst.Attribute and dotted_name(func.value) == "self"):
                continue
            if loop.node not in index.ancestors(call):
                continue
            method = method_of(Resolved(self._ctx, cls), func.attr.value)
            if method is None or not isinstance(method.node, cst.FunctionDef):
                continue
            if method.ctx is self._ctx:
                methods.append(method.node)
            elif _may_train_or_switch(method.ctx.module.code_for_node(method.node)):
                return None
        if not methods:
            return None
        events = [event for method in methods for event in self.function_events(method)]
        return Loop(node=methods[0], events=events, kind="epoch", function=methods[0])

    @cached_property
    def process_loops(self) -> dict[cst.FunctionDef, Loop]:
        """Process functions handed to PyTorch-Ignite's `Engine` (`def update(engine, batch): ...`, then
        `trainer = Engine(update)`; CDial-GPT's and the NAACL transfer-learning tutorial's `train.py`).
        Ignite calls such a function once per batch of `trainer.run(loader)`, so its body is one
        iteration of a batch loop: a loop whose node is the function, its events the function's. The
        function must be a def of this file the argument names (`resolve_name`); a method passed through
        an attribute, a lambda or another module's function is no loop here."""
        ctx = self._ctx
        if "ignite" not in ctx.source or "Engine" not in ctx.source:
            return {}
        found: dict[cst.FunctionDef, Loop] = {}
        for call in ctx.index.nodes(cst.Call):
            if not ctx.callee_in(call, vocab.IGNITE_ENGINES):
                continue
            handed = call_argument(call, 0, "process_function")
            if type(handed) is not cst.Name:
                continue
            target = resolve_name(ctx, handed.value, call)
            if target is None or target.ctx is not ctx or type(target.node) is not cst.FunctionDef:
                continue
            function = target.node
            if function not in found:
                events = self.function_events(function)
                found[function] = Loop(node=function, events=events, kind="batch", function=function)
        return found

    def process_loop(self, function: cst.FunctionDef) -> Loop | None:
        """The batch loop a function is the body of when it is an Ignite process function, else None."""
        return self.process_loops.get(function)

    @cached_property
    def _by_node(self) -> dict[cst.CSTNode, Loop]:
        return {loop.node: loop for loop in (*self.loops, *self.comprehension_loops)}

    def loop(self, node: cst.For | cst.While | Comprehension) -> Loop:
        return self._by_node[node]

    def training_loops(self) -> list[Loop]:
        """Loops whose own iteration runs backward and an optimizer step: the batch loops that train."""
        return [loop for loop in self.loops if loop.trains]

    def enclosing_loop(self, node: cst.CSTNode) -> Loop | None:
        found = self._ctx.index.enclosing(node, (cst.For, cst.While))
        return self._by_node.get(found) if found is not None else None

    @cached_property
    def inlined_functions(self) -> frozenset[cst.FunctionDef]:
        """Functions of this file whose events a loop of this file analyses as part of its iteration (the
        helpers it calls, directly or through other helpers)."""
        index = self._ctx.index
        found: set[cst.FunctionDef] = set()
        for loop in self.loops:
            for event in loop.events:
                if not event.via:
                    continue
                first = self.helper_called(event.site) if isinstance(event.site, cst.Call) else None
                for function in (first, index.enclosing(event.node, cst.FunctionDef)):
                    if function is not None:
                        found.add(function)
        return frozenset(found)

    def function_events(self, function: cst.FunctionDef) -> list[Event]:
        """The events of one call of a function defined in this file."""
        return self.events_of_body(function.body)

    def events_of_body(self, body: cst.CSTNode) -> list[Event]:
        events: list[Event] = []
        self._collect(body, events, _Where(), subst={}, depth=0, stack=())
        return events

    def helper_called(self, call: cst.Call) -> cst.FunctionDef | None:
        """The function of this file that a call runs, whose events the collector inlines: `helper(...)`
        (scope-aware), `self.helper(...)`, `obj.method(...)` on an instance of a class of this file."""
        return local_function(self._ctx, call)

    def backward_operand(self, call: cst.Call) -> cst.BaseExpression | None:
        """The expression a backward call backpropagates, or None when `call` is not one.

        `loss.backward()` -> `loss`, `accelerator.backward(loss)` / `self.manual_backward(loss)` -> `loss`,
        `scaler.scale(loss).backward()` -> `loss`. The BACKWARD event's target is this expression's name;
        analyses that follow the value rather than the name (nnlint.engine.gradflow) use the node.
        """
        func = call.func
        if type(func) is not cst.Attribute or func.attr.value not in ("backward", "manual_backward"):
            scaled = self._scaler_call(call)
            return scaled[0] if scaled is not None else None  # `loss_scaler(loss, optimizer)`
        owner = func.value
        positional = [arg.value for arg in call.args if arg.keyword is None]
        if positional and (func.attr.value == "manual_backward" or not self._roles.has(owner, Role.LOSS)):
            return positional[0]
        if isinstance(owner, cst.Call) and isinstance(owner.func, cst.Attribute):
            if owner.func.attr.value == "scale" and owner.args:
                return owner.args[0].value
        return owner

    def clears(self, loop: Loop, zero: Event, step: Event) -> bool:
        """Whether a zero_grad event clears the gradients that a step event of `loop` applies.

        `optimizer.zero_grad()` clears only that optimizer's parameters; `model.zero_grad()` clears the
        model's, which serve every optimizer built over it. In a GAN, `netD.zero_grad()` is D's and
        `optimizerG.zero_grad()` is G's. When the link is not visible, the answer is yes: a rule then
        stays silent rather than claim that gradients are left uncleared or kept. A `zero_grad` in the other
        branch of an `if` (`if amp: opt.zero_grad(); ... else: loss.backward(); opt.step()`) never runs in
        the same iteration as the step, so it clears nothing for it.
        """
        return self.clears_among(loop.of_kind(EventKind.STEP, own=False), zero, step)

    def clears_among(self, steps: list[Event], zero: Event, step: Event) -> bool:
        """`clears` for a step among `steps`, the steps of one iteration or of one call of a function."""
        if self.exclusive(zero, step):
            return False
        cleared, stepped = zero.target, step.target
        if cleared is None or stepped is None or cleared == stepped:
            return True
        if "[" in cleared or "[" in stepped:
            # One optimizer of a dict (`opts["G"]`) is told apart only from another key of the same dict;
            # the container's clear (`for opt in opts.values(): opt.zero_grad()`) clears each, and any
            # other link (an alias `opt = opts["G"]`) is not visible.
            return not ("[" in cleared and "[" in stepped and cleared.split("[")[0] == stepped.split("[")[0])
        others = {event.target for event in steps} - {None, stepped}
        if cleared in others or self._roles.has(cleared, Role.OPTIMIZER):
            return False  # another optimizer's gradients
        if any(_same_object(cleared, model) for model in self._roles.models_of(stepped)):
            return True
        return not any(
            _same_object(cleared, model) for other in others for model in self._roles.models_of(other)
        )

    def sparse_clearing(self, loop: Loop, zero: Event, step: Event) -> cst.If | None:
        """The `if` that keeps a clear of `loop` from running on the iterations `step` applies, or None.

        Two guards: one that holds on a single iteration, a loop counter compared with an integer
        (`if batch_index == 0: model.zero_grad()`, also as a conjunct, the counter bound by the loop or
        assigned in its body, `self.batch_index = b_idx`, and never set back to that integer there); and
        one that holds only when an optional scheduler exists (`if self.scheduler: scheduler.step();
        zero_grad()`, the clear indented into the scheduler's block). An `if` that also holds the step
        guards both alike and is not counted; a clear in another module's helper is not read (None: it
        clears).
        """
        index = self._ctx.index
        around_step = {*index.ancestors(step.node), *index.ancestors(step.site)}
        chains = [(zero.node, loop.node)] + ([(zero.site, loop.node)] if zero.site is not zero.node else [])
        for start, stop in chains:
            path: list[cst.CSTNode] = []
            for node in index.ancestors(start):
                if node is stop or isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                    break
                path.append(node)
            if any(isinstance(node, (cst.For, cst.While)) for node in path):
                continue  # an inner loop may run the guarded clear once per iteration of this one
            for inner, node in zip([start, *path], path, strict=False):
                if (
                    isinstance(node, cst.If)
                    and node not in around_step
                    and inner is node.body
                    and (self._once(node.test, loop) or self._scheduler_exists(node.test))
                ):
                    return node
        return None

    def one_sided_clearing(self, loop: Loop, clearing: list[Event], step: Event) -> cst.If | None:
        """The `if`/`else` of `loop` one side of which clears the gradients `step` applies while the other
        side clears nothing and goes on to the step, under a test the loop never changes; or None.

        chemprop's batch loop: `if args.moe: loss = model.compute_loss(...) else: model.zero_grad(); loss =
        ...`, then the shared `loss.backward(); optimizer.step()`. The test is fixed for a run (it reads no
        name the loop binds or assigns, and calls nothing), so a run that takes the side without the
        clearing never clears. `clearing` holds the clears that reach `step`; the `if` must not hold the
        step, and its other side must not end the iteration (`continue`: that side never steps)."""
        index = self._ctx.index
        around_step = {*index.ancestors(step.node), *index.ancestors(step.site)}
        places = [
            {zero.node, *index.ancestors(zero.node), zero.site, *index.ancestors(zero.site)}
            for zero in clearing
        ]
        for node in index.ancestors(clearing[0].site):
            if node is loop.node or isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.For, cst.While)):
                return None
            if not isinstance(node, cst.If) or node.orelse is None or node in around_step:
                continue
            side, other = (node.body, node.orelse) if node.body in places[0] else (node.orelse, node.body)
            if not all(side in place for place in places):
                continue  # a clear outside this side (in the other, or around the `if`)
            if not self._invariant_test(node.test, loop) or self._side_ends(other):
                return None
            if self._stepped_on_side(node, side, step, loop):
                return None
            return node if self._shared_backward(loop, node, step) else None
        return None

    def _stepped_on_side(self, branch: cst.If, side: cst.CSTNode, step: Event, loop: Loop) -> bool:
        """Whether the step sits, between it and the loop, under an `if` of the same (fixed) test as
        `branch` and on the side that clears: a run that takes the other side never steps. EGNN's QM9 loop
        clears under `if partition == 'train':` and, after the shared forward, backpropagates and steps
        under a second `if partition == 'train':`."""
        index = self._ctx.index
        code = self._ctx.module.code_for_node
        test = code(branch.test)
        clearing_body = side is branch.body
        for start in dict.fromkeys((step.node, step.site)):
            child: cst.CSTNode = start
            for node in index.ancestors(start):
                if node is loop.node or isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                    break
                if (
                    isinstance(node, cst.If)
                    and child is not node.test
                    and (child is node.body) == clearing_body
                    and code(node.test) == test
                ):
                    return True
                child = node
        return False

    def _shared_backward(self, loop: Loop, branch: cst.If, step: Event) -> bool:
        """Whether a backward of `loop` that feeds `step` runs outside `branch`, on either side's path (the
        shared `loss.backward()` after chemprop's `if args.moe: ... else: ...`). A side with no backward of
        its own before that step gets its gradients elsewhere: NVIDIA modulus replays a captured CUDA graph
        (`self.train_graph.replay()`, which clears and backpropagates inside the graph) on one side and
        clears, runs the forward and backpropagates on the other."""
        index = self._ctx.index
        for backward in loop.of_kind(EventKind.BACKWARD, own=False):
            inside = branch in index.ancestors(backward.node) or branch in index.ancestors(backward.site)
            if not inside and not self.exclusive(backward, step):
                return True
        return False

    def under_fixed_tests(self, loop: Loop, event: Event) -> bool:
        """Whether an event of `loop` runs on every iteration of a run that reaches it: every `if` between
        it and the loop (through the helper call that leads to it) has a test the loop never changes
        (`if self.auto_mix_prec: self.optimizer.zero_grad()` in speechbrain's `fit_batch`), and no inner
        loop, `except` handler or other branching statement lies on the way."""
        index = self._ctx.index
        for start in dict.fromkeys((event.node, event.site)):
            child = start
            for node in index.ancestors(start):
                if node is loop.node or isinstance(node, (cst.FunctionDef, cst.Lambda)):
                    break
                if isinstance(node, (cst.For, cst.While, cst.ExceptHandler, cst.Match, cst.IfExp)):
                    return False
                if (
                    isinstance(node, cst.If)
                    and child is not node.test
                    and not self._invariant_test(node.test, loop)
                ):
                    return False
                child = node
        return True

    def _invariant_test(self, test: cst.BaseExpression, loop: Loop) -> bool:
        """A condition that holds for every iteration of `loop` or for none: it calls nothing and reads no
        name the loop binds or assigns (`args.moe`, `self.use_amp`), nor, for a test in a helper the loop
        calls, one the helper assigns (`should_step = self.step % k == 0`)."""
        if any(isinstance(node, cst.Call) for node in walk(test)):
            return False
        names = _dotted_names(test)
        if names & self._varying(loop):
            return False
        index = self._ctx.index
        function = index.enclosing(test, cst.FunctionDef)
        if function is None or loop.node in index.ancestors(test):
            return True
        return not (names & self._assigned_in(function))

    def _assigned_in(self, function: cst.FunctionDef) -> frozenset[str]:
        """The names a function binds or assigns (its parameters included), cached per function."""
        cached = self._varying_names.get(function)
        if cached is not None:
            return cached
        # A method's own object is the same on every call from the loop (its attributes are what vary).
        found: set[str] = {param.name.value for param in function.params.params} - {"self"}
        for node in own_nodes(function):
            if isinstance(node, (cst.Assign, cst.AugAssign, cst.AnnAssign)):
                found.update(assigned_names(node))
            elif isinstance(node, cst.For):
                found.update(target_names(node.target))
        self._varying_names[function] = frozenset(found)
        return self._varying_names[function]

    @staticmethod
    def _side_ends(side: cst.CSTNode) -> bool:
        """Whether one side of an `if` (its body, its `else` or an `elif`) leaves the iteration."""
        block = side.body if isinstance(side, cst.Else) else side
        return isinstance(block, cst.IndentedBlock) and _ends_iteration(block)

    def _once(self, test: cst.BaseExpression, loop: Loop) -> bool:
        """`counter == 0` (or a conjunction holding it) for a name the loop binds or assigns."""
        while isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
            if self._once(test.left, loop):
                return True
            test = test.right
        if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
            return False
        target = test.comparisons[0]
        if not isinstance(target.operator, cst.Equal):
            return False
        sides = (test.left, target.comparator)
        name = next((dotted_name(side) for side in sides if not isinstance(side, cst.Integer)), None)
        value = next((side.value for side in sides if isinstance(side, cst.Integer)), None)
        return value is not None and name in self._varying(loop) and not self._reset_to(loop, name, value)

    def _reset_to(self, loop: Loop, name: str, value: str) -> bool:
        """Whether the loop's body sets `name` back to the integer `value` (`batch_idx = 0` after the
        step of an accumulation): the counter comes round again, so `name == value` holds periodically."""
        index = self._ctx.index
        for node in index.nodes(cst.Assign):
            if (
                isinstance(node.value, cst.Integer)
                and node.value.value == value
                and loop.node in index.ancestors(node)
                and any(dotted_name(target.target) == name for target in node.targets)
            ):
                return True
        return False

    def _varying(self, loop: Loop) -> frozenset[str]:
        """The names a loop changes every iteration: its own target and what its body assigns."""
        cached = self._varying_names.get(loop.node)
        if cached is not None:
            return cached
        found: set[str] = set()
        if isinstance(loop.node, cst.For):
            found.update(target_names(loop.node.target))
        elif isinstance(loop.node, cst.FunctionDef) and loop.node in self.process_loops:
            found.update(_process_function_counters(loop.node))
        index = self._ctx.index
        for node in (*index.nodes(cst.Assign), *index.nodes(cst.AugAssign)):
            if loop.node in index.ancestors(node):
                found.update(assigned_names(node))
        self._varying_names[loop.node] = frozenset(found)
        return self._varying_names[loop.node]

    def starts_without_gradients(self, loop: Loop, step: Event) -> bool:
        """Whether the optimizer a step of `loop` applies is built in this iteration over parameters that
        are new in it too (`for lr in lrs: model = Net(); opt = SGD(model.parameters(), lr=lr)`): nothing
        has backpropagated into them before this iteration, so there is nothing to clear.

        Gradients live on the parameters (`.grad`), not on the optimizer: one rebuilt every batch over
        the same model (DANN ports that set the learning rate that way) clears nothing. So each value of
        the optimizer's name that reaches the step (per `if` branch) is read: a constructor whose
        parameters argument names something the loop rebinds starts clean; one over names bound outside
        the loop, a value handed the optimizer itself (`optimizer_scheduler(optimizer, p)`, a wrapper) and
        a binding outside the loop keep the old gradients. An in-loop value of any other kind, or a
        binding this cannot follow, is unknown: True, so that a rule stays silent."""
        name = step.target
        if name is None:
            return False
        index = self._ctx.index
        in_loop = [b for b in self._ctx.bindings.of(name) if loop.node in index.ancestors(b.node)]
        if not in_loop:
            return False
        values = reaching_values(self._ctx, name, step.site)
        if values is None or None in values:
            return True  # a binding of the loop this cannot follow (an unpacking, a later rebinding)
        varying = self._varying(loop)
        for value in values:
            if loop.node not in index.ancestors(value):
                continue  # bound before the loop: the same parameters every iteration
            if name in _dotted_names(value):
                continue  # the optimizer itself, rescheduled or wrapped
            if not isinstance(value, cst.Call) or self._roles.role_of(value) is not Role.OPTIMIZER:
                return True
            params = matched_arguments(["params"], value).get("params")
            if params is None or _dotted_names(params) & varying:
                return True
        return False

    def _scheduler_exists(self, test: cst.BaseExpression) -> bool:
        """`if scheduler:` / `if self.lr_scheduler is not None:`: whether an optional scheduler exists."""
        if (
            isinstance(test, cst.Comparison)
            and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].operator, cst.IsNot)
            and isinstance(test.comparisons[0].comparator, cst.Name)
            and test.comparisons[0].comparator.value == "None"
        ):
            test = test.left
        name = dotted_name(test) if isinstance(test, (cst.Name, cst.Attribute)) else None
        if name is None:
            return False
        return self._roles.has(name, Role.SCHEDULER) or any(
            word in ("scheduler", "sched") for word in words(name.rsplit(".", 1)[-1])
        )

    def exclusive(self, a: Event, b: Event) -> bool:
        """Whether two events sit in different branches of one `if` (its body and its `else`/`elif`)."""
        x, y = (a.node, b.node) if a.via == b.via else (a.site, b.site)
        index = self._ctx.index
        above = set(index.ancestors(y))
        for node in index.ancestors(x):
            if node in above:
                if not isinstance(node, cst.If):
                    return self._leaves_before(x, y, node) or self._leaves_before(y, x, node)
                tested = {x, y, *above, *index.ancestors(x)}
                return node.test not in tested  # both in branches, neither in the condition
        return False

    def _leaves_before(self, x: cst.CSTNode, y: cst.CSTNode, common: cst.CSTNode) -> bool:
        """Whether `x` sits in an `if` branch or `except` handler that ends the iteration (its last
        statement is `continue`, `break`, `return` or `raise`) and that comes before `y` in the block
        `common` holding both: no iteration that reaches `y` has run `x` (`if mode == "dann":
        opt.zero_grad(); ...; continue`, then the other modes' step), and none that runs `x` goes on to
        `y`. A jump inside a loop nested under `common` leaves only that loop: not counted."""
        statements = common.body if type(common) in _BLOCKS else None
        if not isinstance(statements, (list, tuple)):
            return False
        index = self._ctx.index
        ends = False
        child = x
        for node in index.ancestors(x):
            if node is common:
                break
            if isinstance(node, (cst.For, cst.While, cst.FunctionDef, cst.Lambda)):
                return False
            if (
                type(node) is cst.IndentedBlock
                and isinstance(index.parent(node), (cst.If, cst.Else, cst.ExceptHandler))
                and _ends_iteration(node)
            ):
                ends = True
            child = node
        else:
            return False
        if not ends:
            return False
        position = {id(statement): i for i, statement in enumerate(statements)}
        y_child = next((node for node in (y, *index.ancestors(y)) if index.parent(node) is common), None)
        if child not in statements or y_child is None:
            return False
        return position[id(child)] < position[id(y_child)]

    def clears_in_unread_closure(self, step: Event) -> bool:
        """Whether a step hands the optimizer a closure (`runs_closure`) that this file does not hold: such a
        closure may clear, and is taken to. A closure defined here (a lambda, a local function) was read
        with the step (its events are the iteration's), so whether it clears is known."""
        return self.runs_closure(step) and self._closure_of(step.node) is None  # type: ignore[arg-type]

    def runs_closure(self, step: Event) -> bool:
        """Whether a step hands the optimizer a closure (`optimizer.step(closure)`, LBFGS-style): the
        closure runs its own zero_grad, forward and backward, whether or not the engine could read it."""
        call = step.node
        if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
            return False
        skipped = 1 if self._roles.has(call.func.value, Role.SCALER) else 0  # scaler.step(optimizer, ...)
        positional = [arg for arg in call.args if arg.keyword is None and not arg.star][skipped:]
        return bool(positional) or any(
            arg.keyword is not None and arg.keyword.value == "closure" for arg in call.args
        )

    @cached_property
    def run_length(self) -> RunLength:
        """The epoch counts the file states (`range(90)`, `epochs = 90`, `--epochs` defaults, configs)."""
        from nnlint.engine.epochs import RunLength

        return RunLength(self._ctx)

    def scheduler_steps(self, scheduler: str) -> list[cst.Call]:
        """The `.step()` calls that step a scheduler: `scheduler.step()` itself, and the calls in helpers
        that receive it under another name (`def train(sched): ... sched.step()`), in source order."""
        found: dict[cst.CSTNode, None] = {}
        for call in self._ctx.index.nodes(cst.Call):
            func = call.func
            if (
                isinstance(func, cst.Attribute)
                and func.attr.value == "step"
                and dotted_name(func.value) == scheduler
            ):
                found[call] = None
        for loop in self.loops:
            for event in loop.events:
                if event.kind is EventKind.SCHEDULER_STEP and event.target == scheduler:
                    found[event.node] = None
        return [call for call in self._ctx.index.nodes(cst.Call) if call in found]

    def never_stepped(self, name: str, constructor: cst.Call) -> bool:
        """Whether an optimizer or scheduler bound to a plain name is certainly never stepped: in the
        function (or module) that builds it, every other mention of the name only reads it
        (`sched.get_last_lr()`, `opt.zero_grad()`, `opt.state_dict()`) or hands an optimizer to a scheduler
        constructor, or hands it to a project function that certainly never steps it
        (`summaries.handed`: `adjust_learning_rate(optimizer, epoch)` that only writes
        `param_group["lr"]`), and then only where that function (or module) backpropagates. Any other
        use (an argument of any other call, a return, a container, an attribute, `global`) may step it
        elsewhere, and the answer is no."""
        if "." in name:
            return self._attribute_never_stepped(name, constructor)
        scope: cst.CSTNode = self._ctx.enclosing_function(constructor) or self._ctx.module
        index = self._ctx.index
        handoffs: list[tuple[cst.Call, cst.Name]] = []
        for node in self._ctx.bindings.mentions(name):
            if scope is not self._ctx.module and scope not in index.ancestors(node):
                continue
            parent = index.parent(node)
            if type(parent) is cst.Attribute and parent.attr is node:
                continue  # `self.name`: another name
            if type(parent) is cst.Arg and parent.keyword is node:
                continue  # `f(name=...)`: a keyword, not a use
            if type(parent) is cst.Param:
                return False  # a parameter of the same name: another binding
            if type(parent) is cst.AssignTarget and index.parent(parent) is index.parent(constructor):
                continue  # the binding itself
            if type(parent) is cst.Attribute and parent.value is node:
                if parent.attr.value in vocab.OPTIMIZER_READ_ONLY_MEMBERS:
                    continue
                return False
            grand = index.parent(parent) if type(parent) is cst.Arg else None
            if (
                type(grand) is cst.Call
                and self._builds_scheduler(grand)
                and self._roles.has(node, Role.OPTIMIZER)
            ):
                continue
            if isinstance(grand, cst.Call) and not parent.star:  # type: ignore[union-attr]
                handoffs.append((grand, node))  # asked last: resolving it may read other modules
                continue
            return False
        if handoffs and not self._backpropagates_in(scope) and not self._trains_in_any(handoffs):
            return False  # built to be saved or loaded with a checkpoint (`save_checkpoint(model, opt)`)
        if any(handed(self._ctx, call, node, Effect.STEP) is not False for call, node in handoffs):
            return False  # handed to something that steps it, or may
        # A module-level one in a module that is no script (no entry point: a `config.py` that train.py
        # star-imports and steps `d_optimizer` from) is built for its importers: maybe stepped there.
        # Asked of the module itself, not by scanning the project for importers: that read every file
        # of a torch-sized project once per optimizer name.
        return scope is not self._ctx.module or self._is_script()

    def _attribute_never_stepped(self, name: str, constructor: cst.Call) -> bool:
        """Whether an optimizer or scheduler a class keeps on `self` is certainly never stepped: the class
        backpropagates in its own methods, yet nothing reads the attribute again (nni's
        `PyTorchImageClassificationTrainer` builds `self._optimizer` in `__init__` and its `_train()` only
        calls `loss.backward()`). Nothing else may reach it: no other mention of the attribute in this
        file (on any object, in a string, through `getattr(self, name)` or `self.__dict__`), no base class
        but the project's own ones that never name it (or `nn.Module`, `object`, typing markers), and no
        other module of the project that names the attribute together with the class or one of its
        methods (a script that calls `trainer.learn(batch)` and then `trainer.optimizer.step()`)."""
        owner, _, attribute = name.partition(".")
        if owner != "self" or "." in attribute:
            return False
        cls = self._ctx.enclosing_class(constructor)
        source = self._ctx.source
        if cls is None or any(word in source for word in _DYNAMIC_ATTRIBUTE_ACCESS):
            return False
        index = self._ctx.index
        targets = [
            node
            for node in index.nodes(cst.Attribute)
            if node.attr.value == attribute and type(index.parent(node)) is cst.AssignTarget
        ]
        if any(target.value.value != "self" for target in targets if type(target.value) is cst.Name):
            return False
        mentions = [node for node in index.nodes(cst.Attribute) if node.attr.value == attribute]
        if len(mentions) != len(targets) or any(
            cls not in index.ancestors(target)
            or not isinstance(index.parent(index.parent(target)), cst.Assign)
            or type(index.parent(index.parent(target)).value) is not cst.Call  # type: ignore[union-attr]
            for target in targets
        ):
            return False  # read somewhere, or bound from something that is not built here
        if any(attribute in string.value for string in index.nodes(cst.SimpleString)):
            return False
        calls = [call for call in index.nodes(cst.Call) if cls in index.ancestors(call)]
        if not any(self.backward_operand(call) is not None for call in calls):
            return False  # a class that only holds the optimizer: whoever trains with it may step it
        if self._roles.role_of(constructor) is Role.OPTIMIZER and any(
            type(call.func) is cst.Attribute and call.func.attr.value == "step" for call in calls
        ):
            return False  # another optimizer steps: this one may be left over, its parameters trained
        return self._bases_never_name(cls, attribute) and self._no_module_reaches(cls, attribute)

    def _bases_never_name(self, cls: cst.ClassDef, attribute: str) -> bool:
        """Whether every base class of `cls` is the project's (`bindings.class_hierarchy`: a library base
        may read any attribute) and none of their modules names `attribute` or reaches attributes by a
        computed name (DI-engine's `Policy.get_attribute(name)` returns `getattr(self, '_' + name)`, and
        an entry script steps `policy.get_attribute('lr_scheduler')`)."""
        from nnlint.engine.project import Resolved

        hierarchy = class_hierarchy(Resolved(self._ctx, cls))
        return hierarchy is not None and not any(
            word in base.ctx.source
            for base in hierarchy[1:]
            if base.ctx is not self._ctx
            for word in (attribute, *_DYNAMIC_ATTRIBUTE_ACCESS)
        )

    def _no_module_reaches(self, cls: cst.ClassDef, attribute: str) -> bool:
        """Whether no other module of the project may reach the attribute (by text, without parsing): none
        names it together with the class (a subclass, or a user that builds one), and none names it on
        another object than `self` (`trainer._optimizer.step()`) together with one of the class's methods
        (`trainer._train()`); `self._optimizer` of a module that never names the class is another class's
        own. Unknown (a project too large to scan) is no; a source with no project (an editor buffer) has
        no other module. Asked last, and only of an attribute nothing in its own file reads: a rare
        question, worth reading a large project's files once."""
        if self._ctx.real_path is None:
            return True
        from nnlint.engine.project import STORE, paths_mentioning

        paths = paths_mentioning(self._ctx, f".{attribute}")
        if paths is None:
            return False
        spelled = re.escape(attribute.encode())
        named = re.compile(rb"\." + spelled + rb"\b")  # not `._optimizers`
        foreign = re.compile(rb"(?<!\bself)\." + spelled + rb"\b")
        methods = [
            f".{statement.name.value}(".encode()
            for statement in getattr(cls.body, "body", ())
            if type(statement) is cst.FunctionDef and not statement.name.value.startswith("__")
        ]
        for path in paths:
            text = STORE.text(path)
            self._ctx.project_deps.add(path)
            if text is None:
                return False
            if named.search(text) and cls.name.value.encode() in text:
                return False
            if foreign.search(text) and any(method in text for method in methods):
                return False
        return True

    def _backpropagates_in(self, scope: cst.CSTNode) -> bool:
        """Whether the function (or module) that builds an optimizer backpropagates itself: one handed only
        to helpers that never step it is a training bug there, not in a script that builds it only to
        save or load it with a checkpoint (glow-tts's data-dependent initialisation). Asked once per scope:
        every name bound there from a call asks it (`names` with NN212's filter)."""
        if not may_backpropagate(self._ctx.source):
            return False
        known = self._backpropagating.get(scope)
        if known is None:
            if isinstance(scope, cst.FunctionDef):
                nodes = (node for node in own_nodes(scope) if type(node) is cst.Call)
            else:
                nodes = self._ctx.index.nodes(cst.Call)
            known = self._backpropagating[scope] = any(
                self.backward_operand(node) is not None  # type: ignore[arg-type]
                for node in nodes
            )
        return known

    def _trains_in_any(self, handoffs: list[tuple[cst.Call, cst.Name]]) -> bool:
        """Whether one of the project functions an optimizer or scheduler is handed to backpropagates
        itself: a `main()` that builds the scheduler and hands it to the `train_one_epoch(...,
        lr_scheduler=lr_scheduler)` of another module, which runs the backward and never steps it
        (DAB-DETR), trains with it as surely as a `main()` that backpropagates. Whether that function
        steps it is asked of `handed` afterwards."""
        from nnlint.engine.summaries import summary_of_call

        for call, _ in handoffs:
            summary = summary_of_call(self._ctx, call)
            if summary is not None and summary.ctx.loops._backpropagates_in(summary.function):
                return True
        return False

    def _is_script(self) -> bool:
        """Whether the module runs something itself: a `__main__` guard, a module-level call of its own
        function, or a module-level loop (read from the syntax: the loops' kinds are being computed)."""
        entry = self._ctx.entry
        if entry.guards or entry.calls:
            return True
        return any(
            self._ctx.enclosing_function(node) is None
            for node in (*self._ctx.index.nodes(cst.For), *self._ctx.index.nodes(cst.While))
        )

    def manual_schedulers_never_stepped(self) -> list[cst.Call]:
        """Schedulers a LightningModule with `self.automatic_optimization = False` builds for itself and
        never steps: with manual optimization Lightning steps neither optimizers nor schedulers, so the
        class must call `.step()` on them (directly or through `self.lr_schedulers()`)."""
        found: list[cst.Call] = []
        if "automatic_optimization" not in self._ctx.source:
            return found
        for cls in self._ctx.index.nodes(cst.ClassDef):
            if not self._ctx.lightning.manual_optimization(cls):
                continue
            steps_something = False
            for call in self._ctx.index.nodes(cst.Call):
                func = call.func
                if cls not in self._ctx.index.ancestors(call) or not isinstance(func, cst.Attribute):
                    continue
                if func.attr.value == "lr_schedulers" or (
                    func.attr.value == "step" and not self._roles.has(func.value, Role.OPTIMIZER)
                ):
                    steps_something = True
                    break
            if steps_something:
                continue
            for name in sorted(self._roles.names(Role.SCHEDULER)):
                constructor = self._roles.constructor(name)
                if (
                    constructor is not None
                    and name.startswith("self.")
                    and cls in self._ctx.index.ancestors(constructor)
                ):
                    found.append(constructor)
        return found

    def _builds_scheduler(self, call: cst.Call) -> bool:
        return is_scheduler_class(self._ctx.callee(call) or "")

    def step_frequency(self, call: cst.CSTNode) -> str | None:
        """How often `call` runs relative to the data: "batch" (once per batch, or every few batches for
        gradient accumulation), "epoch" (once per pass over the data), or None when it cannot be told.

        A call in a loop runs as often as that loop iterates, unless a condition other than gradient
        accumulation or a plain flag gates it (`if i == len(loader) - 1`, `if step % n == 0`: unknown).
        A call outside any loop of a function that itself runs a batch loop (`def train_epoch(): for batch
        in loader: ...; scheduler.step()`) runs once per epoch; one in a helper without loops runs as
        often as the loops that call it.
        """
        loop = self.enclosing_loop(call)
        if loop is not None:
            return self._frequency_in(loop, call, loop.node)
        function = self._ctx.enclosing_function(call)
        if function is None:
            return None
        if any(inner.function is function and self._per_batch(inner) for inner in self.loops):
            return "epoch"
        found = {
            self._frequency_in(caller, event.site, caller.node, extra=(event.node, function))
            for caller in self.loops
            for event in caller.own_events
            if event.node is call
        }
        return found.pop() if len(found) == 1 else None

    def _frequency_in(
        self,
        loop: Loop,
        node: cst.CSTNode,
        stop: cst.CSTNode,
        extra: tuple[cst.CSTNode, cst.CSTNode] | None = None,
    ) -> str | None:
        if self._per_batch(loop):
            gated = not self._runs_every_time(node, stop, batch_loop=loop) or (
                extra is not None and not self._runs_every_time(*extra)
            )
            return None if gated else "batch"
        return "epoch" if loop.kind == "epoch" else None

    def _per_batch(self, loop: Loop) -> bool:
        """A loop over the batches of an epoch: it trains or reads a loader, and it is either a loader
        loop or nested in (or called from) another loop, which is then the epoch loop."""
        if loop.kind != "batch":
            return False
        if loop.iterates and self._roles.has(loop.iterates, Role.LOADER):
            return True
        if self._ctx.index.enclosing(loop.node, (cst.For, cst.While)) is not None:
            return True
        return loop.function is not None and loop.function in self._functions_called_in_loops

    @cached_property
    def _functions_called_in_loops(self) -> set[cst.FunctionDef]:
        called = set()
        for call in self._ctx.index.nodes(cst.Call):
            helper = self.helper_called(call)
            if helper is not None and self._ctx.index.enclosing(call, (cst.For, cst.While)) is not None:
                called.add(helper)
        return called

    def _runs_every_time(self, node: cst.CSTNode, stop: cst.CSTNode, batch_loop: Loop | None = None) -> bool:
        """Whether no condition between `node` and its ancestor `stop` can skip it on some iterations,
        other than gradient accumulation (the update runs on every optimizer step) and plain flags or
        None checks (they hold for the whole run); in a `batch_loop`, also a condition on the epoch
        (`if epoch_no > swa_start:`), which holds on every batch of the epochs it holds in."""
        child = node
        for ancestor in self._ctx.index.ancestors(node):
            if ancestor is stop:
                return True
            if (
                isinstance(ancestor, cst.If)
                and child is not ancestor.test
                and not _steady_condition(self._ctx.module.code_for_node(ancestor.test), ancestor.test)
                and not (batch_loop is not None and self._holds_per_epoch(ancestor.test, batch_loop))
            ):
                return False
            child = ancestor
        return True

    def _holds_per_epoch(self, test: cst.BaseExpression, loop: Loop) -> bool:
        """Whether a condition inside a batch loop is a condition on the epoch: it reads the counter of
        the epoch loop around `loop` (`epoch_no > swa_epoch_start`, `epoch < warmup_epochs`), nothing
        `loop` changes and calls nothing, so within one epoch it holds on every batch or on none. A test
        of anything else (a setting compared with a string, a counter of batches) may choose the
        frequency itself and stays unknown."""
        outer = self._ctx.index.enclosing(loop.node, (cst.For, cst.While))
        if not isinstance(outer, cst.For) or self.loop(outer).kind != "epoch":
            return False
        if any(isinstance(node, cst.Call) for node in walk(test)):
            return False
        read = _dotted_names(test)
        return bool(read & set(target_names(outer.target))) and not read & self._varying(loop)

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
        node_type = type(node)
        if node_type in _NOTHING_HAPPENS:
            return
        if node_type is cst.If:
            self._collect(node.test, out, where, subst, depth, stack)
            self._collect(node.body, out, where.conditionally(node.body), subst, depth, stack)
            if node.orelse is not None:
                self._collect(node.orelse, out, where.conditionally(node.orelse), subst, depth, stack)
            return
        if node_type is cst.ExceptHandler or node_type is cst.ExceptStarHandler:
            self._collect(node.body, out, where.conditionally(node), subst, depth, stack)
            return
        if node_type is cst.For or node_type is cst.While:
            head = node.iter if node_type is cst.For else node.test
            self._collect(head, out, where, subst, depth, stack)
            inner = self._body_events(node, depth, stack)
            container = self._training_objects(node) if node_type is cst.For else None
            if container is not None:
                # `for opt in self.optimizers: opt.step()` steps each optimizer once per iteration of the
                # loop around it: its events belong to that iteration, acting on the container.
                variable = node.target.value  # type: ignore[attr-defined]
                renamed = {**subst, variable: _substitute(container, subst) or container}
                self._inline(inner, out, where, renamed, site=None, via=())
                return
            self._inline(inner, out, where.deeper(), subst, site=None, via=())
            return
        if node_type is cst.With:
            self._collect_with(node, out, where, subst, depth, stack)
            return
        if node_type is cst.Assign:
            self._assign_event(node, out, where, subst)
        eventful, parent = self._eventful, self._ctx.index.parent
        for child in children(node):
            # A subtree of this file without a call or an assignment has no event (a node of another file,
            # which this file's index does not hold, is walked as before).
            if id(child) in eventful or parent(child) is None:
                self._collect(child, out, where, subst, depth, stack)
        if node_type is cst.Assign:
            self._factory_mode_event(node, out, where, subst)
        if node_type is cst.Call:
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
            if isinstance(call, cst.Call) and turns_recording_off(self._ctx, call):
                out.append(where.event(EventKind.NO_GRAD, node))
                inner = replace(inner, no_grad=True)
        self._collect(node.body, out, inner, subst, depth, stack)

    def _assign_event(self, node: cst.Assign, out: list[Event], where: _Where, subst: dict[str, str]) -> None:
        # `p.grad = None` (or a fresh zero tensor) clears a gradient just like zero_grad(set_to_none=True).
        if clears_grad(self._ctx, node):
            out.append(where.event(EventKind.ZERO_GRAD, node, target=None))

    def _own_switches(self, call: cst.Call) -> tuple[EventKind | None, EventKind | None] | None:
        """`model.generate(mel)` whose project method (of the class the object is known to be) switches its
        own object (`self.eval()`) before it runs: that switch, and the one it leaves in force after the
        run when it switches back (`self.train()` at the end). Only the model-running methods other than
        `forward` (`generate`) are looked up; None when nothing is known."""
        func = call.func
        if type(func) is not cst.Attribute or func.attr.value not in _OWN_SWITCH_METHODS:
            return None
        from nnlint.engine.summaries import summary_of_call

        summary = summary_of_call(self._ctx, call)
        use = summary.on_self if summary is not None else None
        if use is None or use.mode is None:
            return None
        before = EventKind.EVAL if use.mode == "eval" else EventKind.TRAIN
        toggles = [
            event.kind
            for event in summary.ctx.loops.function_events(summary.function)  # type: ignore[union-attr]
            if event.kind in _MODE_EVENTS and event.target == "self" and not event.conditional
        ]
        return before, (toggles[-1] if toggles and toggles[-1] is not before else None)

    def _factory_mode_event(
        self, node: cst.Assign, out: list[Event], where: _Where, subst: dict[str, str]
    ) -> None:
        """`model = load_model(path)` where the project function switches the model it gives back to eval
        (`Summary.returns_in_mode`): the name is switched to that mode where the call returns. So is a
        name bound to a chain that switches the module it returns (`model = Net().to(device).eval()`,
        `net = net.cuda().train(False)`): the switch's own event names no model, the chain's value."""
        if len(node.targets) != 1 or type(node.value) is not cst.Call:
            return
        target = node.targets[0].target
        name = keyed_name(target) if type(target) in (cst.Name, cst.Attribute) else None
        if name is None:
            return
        call: cst.BaseExpression = node.value
        switched: str | None = None  # the mode of the chain's last switch, which is the one in force
        while type(call) is cst.Call and type(call.func) is cst.Attribute:
            method = call.func.attr.value  # type: ignore[attr-defined]
            if method not in vocab.SELF_RETURNING_METHODS:
                break
            if method in ("eval", "train") and switched is None:
                switched = _chained_switch(call)  # type: ignore[arg-type]
                if switched is None:
                    return  # `model.train(flag)`: a mode nothing here can read
                if keyed_name(call.func.value) is not None:  # type: ignore[attr-defined]
                    return  # `net = net.eval()`: the switch's own event names the model
            call = call.func.value  # type: ignore[attr-defined]
        if switched is not None:
            if self._roles.has(target, Role.MODEL):
                kind = EventKind.EVAL if switched == "eval" else EventKind.TRAIN
                out.append(where.event(kind, node, target=_substitute(name, subst)))
            return
        if type(call) is not cst.Call or type(call.func) not in (cst.Name, cst.Attribute):
            return
        if (self._ctx.callee(call) or "").startswith(vocab.LIBRARY_PREFIXES):
            return  # cheap: `x = torch.zeros(1)`, a library's call
        mode = _mode_a_call_returns(self._ctx, call)
        # The role last: asking it builds the file's roles, which most files never need here.
        if mode is not None and self._roles.has(target, Role.MODEL):
            kind = EventKind.EVAL if mode == "eval" else EventKind.TRAIN
            out.append(where.event(kind, node, target=_substitute(name, subst)))

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
        if kind is EventKind.STEP:
            # `optimizer.step(closure)` (LBFGS) runs the closure, which usually clears, forwards and
            # backpropagates, before it updates.
            closure = self._closure_of(call)
            if closure is not None and depth < MAX_HELPER_DEPTH:
                self._collect(closure, out, where, subst, depth + 1, stack)
        if kind is not None:
            switches = self._own_switches(call) if kind is EventKind.FORWARD else None
            named = _substitute(target, subst)
            if switches is not None and switches[0] is not None:
                out.append(where.event(switches[0], call, target=named))
            out.append(where.event(kind, call, target=named))
            if switches is not None and switches[1] is not None:
                out.append(where.event(switches[1], call, target=named))
            return
        helper = self.helper_called(call) or self._agreed_alias(call, depth, stack)
        if helper is None:
            passed = self._passed_steps(call)
            if passed is not None:
                for kind, target in passed:
                    out.append(where.event(kind, call, target=_substitute(target, subst)))
                return
            scaled = self._scaler_call(call)
            if scaled is not None:
                loss, optimizer, steps = scaled
                out.append(
                    where.event(EventKind.BACKWARD, call, target=_substitute(dotted_name(loss), subst))
                )
                if steps:
                    named = dotted_name(optimizer) or self._ctx.module.code_for_node(optimizer)
                    out.append(where.event(EventKind.STEP, call, target=_substitute(named, subst)))
                return
            cleared = clearing(self._ctx, call)  # a project helper of another module that clears
            if cleared is not None:
                out.append(where.event(EventKind.ZERO_GRAD, call, target=_substitute(cleared.target, subst)))
                return
            self._holder_switch_events(self._object_switches(call), call, out, where, subst)
            model = self._model_handed_over(call)
            models = [model] if model is not None else self._models_run_elsewhere(call)
            for model in models:
                if self._evaluates_and_restores(call, model):
                    continue  # its own evaluation, in the mode it chose, leaving the caller's mode as it was
                if self._evaluates_elsewhere(call, model):
                    out.append(where.event(EventKind.EVAL, call, target=_substitute(model, subst)))
                out.append(where.event(EventKind.FORWARD, call, target=_substitute(model, subst)))
            for model in self._trained_elsewhere(call, models):
                out.append(where.event(EventKind.TRAIN_STEP, call, target=_substitute(model, subst)))
            if models:
                return
            if self._wrapper_training_step(call):
                target = keyed_name(call.func.value)  # type: ignore[attr-defined]
                out.append(where.event(EventKind.TRAIN_STEP, call, target=_substitute(target, subst)))
            else:
                self._wrapper_forward(call, out, where, subst)
            return
        if depth >= MAX_HELPER_DEPTH or helper.name.value in stack:
            return
        helper = self._dispatched(helper, call, depth, stack)
        name = helper.name.value
        inner = self._switches_as_called(helper, call, self._body_events(helper, depth + 1, (*stack, name)))
        self._inline(
            inner, out, where, _bind_closure_arguments(self._ctx, helper, call, subst), site=call, via=(name,)
        )
        self._holder_switch_events(self._handed_switches(call), call, out, where, subst)

    def _agreed_alias(self, call: cst.Call, depth: int, stack: tuple[str, ...]) -> cst.FunctionDef | None:
        """For a call of a name (or `self.<attribute>`) that holds one of several methods of this file's
        class, picked at run time (`bindings.call_candidates`: `rank = self._filtered_rank if filtered
        else self._rank`, then `rank(model=self.model, ...)`), the first candidate when every candidate
        has the same events and the same decorators (a `@torch.no_grad()` on one only chooses the grad
        mode for that one): what the call does whichever it is. None otherwise (unknown: a training step
        or an evaluation step, `self.train_one_batch if phase == "train" else self.eval_one_batch`)."""
        if depth >= MAX_HELPER_DEPTH:
            return None
        candidates = call_candidates(self._ctx, call)
        if not candidates or any(
            target.ctx is not self._ctx
            or not isinstance(target.node, cst.FunctionDef)
            or target.node.name.value in stack
            for target in candidates
        ):
            return None
        code = self._ctx.module.code_for_node
        shapes = {
            (
                tuple(code(decorator) for decorator in target.node.decorators),  # type: ignore[attr-defined]
                tuple(
                    (event.kind, event.target, event.no_grad)
                    for event in self._body_events(target.node, depth + 1, (*stack, target.node.name.value))  # type: ignore[attr-defined]
                ),
            )
            for target in candidates
        }
        return candidates[0].node if len(shapes) == 1 else None  # type: ignore[return-value]

    def _dispatched(
        self, helper: cst.FunctionDef, call: cst.Call, depth: int, stack: tuple[str, ...]
    ) -> cst.FunctionDef:
        """For `self.method(...)` whose method is a stub of a base class (`pass`, `raise
        NotImplementedError`, `return None`), the override of this file's subclasses that runs instead,
        when every override has the same events (`predict_w.apply_model` and `predict_wc.apply_model` both
        run `ner_model(...)`): what the call does whichever subclass the object is. Otherwise the stub."""
        from nnlint.engine.training_calls import is_stub

        func = call.func
        if not (type(func) is cst.Attribute and dotted_name(func.value) == "self") or not is_stub(helper):
            return helper
        overrides = overrides_in_file(self._ctx, helper)
        shapes = {
            tuple((event.kind, event.target) for event in self._body_events(other, depth + 1, stack))
            for other in overrides
        }
        return overrides[0] if len(shapes) == 1 else helper

    def _switches_as_called(
        self, helper: cst.FunctionDef, call: cst.Call, events: list[Event]
    ) -> list[Event]:
        """A mode-switching helper's switches as this call makes them. `set_mode("eval", [encoder, decoder])`
        over `for m in models: if mode == "train": m.train()` / `if mode == "eval": m.eval()` switches
        both models to eval: a branch on a string parameter is taken or skipped by the string literal the
        call passes, and a helper that does nothing but switch the variable of a loop over a list parameter
        switches each model the call lists (every listed name a model here). A test or an argument of any
        other form leaves the helper's events as they are: unknown."""
        if not any(type(arg.value) in _LITERAL_ARGUMENTS for arg in call.args):
            return events  # cheap: the call passes no string, list or tuple literal
        passed = matched_arguments([param.name.value for param in call_parameters(self._ctx, helper)], call)
        strings = {
            name: value.evaluated_value for name, value in passed.items() if type(value) is cst.SimpleString
        }
        lists = {
            name: elements
            for name, value in passed.items()
            if (elements := _listed_names(value)) and self._lists_a_model(value)  # type: ignore[arg-type]
        }
        # A pure switching helper: its only events are the switches of its loop variable.
        switched = self._listed_switches(helper, lists, set(passed)) if lists else []
        nodes = {id(event.node) for event in switched}
        listed = bool(switched) and all(id(event.node) in nodes and not event.via for event in events)
        if listed:
            events = switched
        if not strings and not listed:
            return events
        found: list[Event] = []
        for event in events:
            taken = self._branch_taken(event.node, helper, strings) if event.kind in _MODE_EVENTS else None
            if taken is False:
                continue
            if taken and not event.via:
                event = replace(event, conditional=False, guard=None)
            # The call is the switch a pure switching helper makes: the place to point at.
            found.append(replace(event, node=call, site=call) if listed else event)
        return found

    def _lists_a_model(self, value: cst.List | cst.Tuple) -> bool:
        return any(self._roles.has(element.value, Role.MODEL) for element in value.elements)

    def _listed_switches(
        self, helper: cst.FunctionDef, lists: dict[str, list[str]], parameters: set[str]
    ) -> list[Event]:
        """`m.eval()` / `m.train()` / `m.train(False)` on the variable of the helper's `for m in models:`,
        once per model the call lists for `models`, in order (the loop is unrolled)."""
        found: list[Event] = []
        for node in own_nodes(helper):
            if type(node) is not cst.Call:
                continue
            func = node.func
            if not (type(func) is cst.Attribute and func.attr.value in ("eval", "train")):
                continue
            receiver = func.value  # `m.eval()`, or `m.module.eval()` through a DDP/DataParallel wrapper
            while type(receiver) is cst.Attribute and f".{receiver.attr.value}" in vocab.WRAPPER_ATTRIBUTES:
                receiver = receiver.value
            if type(receiver) is not cst.Name:
                continue
            loop = self._ctx.index.enclosing(node, (cst.For, cst.FunctionDef))
            if not (type(loop) is cst.For and self._ctx.enclosing_function(loop) is helper):
                continue
            variable, iterated = loop.target, loop.iter
            names = lists.get(iterated.value) if type(iterated) is cst.Name else None
            if names is None or type(variable) is not cst.Name or variable.value != receiver.value:
                continue
            if parameters & {name.split(".")[0] for name in names}:
                continue  # a listed name is also a parameter of the helper: renaming it would mislead
            is_eval = func.attr.value == "eval" or is_false(node.args[0].value if node.args else None)
            guard = self._ctx.index.enclosing(node, (cst.If, cst.For))
            block = guard.body if type(guard) is cst.If else None
            kind = EventKind.EVAL if is_eval else EventKind.TRAIN
            for name in names:
                found.append(
                    Event(
                        kind=kind,
                        node=node,
                        site=node,
                        target=name,
                        conditional=block is not None,
                        guard=block,
                    )
                )
        return found

    def _branch_taken(
        self, node: cst.CSTNode, helper: cst.FunctionDef, strings: dict[str, str]
    ) -> bool | None:
        """Whether every `if` between `node` and its helper's top is decided by the string arguments
        (`branch_taken`)."""
        return branch_taken(self._ctx, node, helper, strings)

    def _passed_steps(self, call: cst.Call) -> list[tuple[EventKind, str | None]] | None:
        """The training events of a callable parameter called as a statement, `backprop(loss)`, when
        every call of its method passes a project function that backpropagates and steps
        (`bindings.passed_methods`) and they all agree: that function's own unconditional backward, step
        and clearing, with its parameters renamed to this call's arguments (`loss.backward()` in
        `def _backprop(self, loss)` is a backward of the caller's `loss`; `self.optimizer.step()` steps
        the same object's optimizer). Memoized per call; None while one is being computed (a function
        handed to itself), and for anything unknown."""
        if type(call.func) is not cst.Name or type(self._ctx.index.parent(call)) is not cst.Expr:
            return None  # cheap gate: only a bare name called for its effect
        if call in self._passed:
            return self._passed[call]
        self._passed[call] = None
        found = enclosing_parameter(self._ctx, call.func)
        functions = passed_methods(self._ctx, *found) if found is not None else None
        agreed: list[tuple[EventKind, str | None]] | None = None
        for function in functions or ():
            positional = [param.name.value for param in call_parameters(function.ctx, function.node)]
            renamed = {
                name: value
                for name, expr in matched_arguments(positional, call).items()
                if (value := dotted_name(expr))
            }
            events = [
                (event.kind, _substitute(event.target, renamed))
                for event in function.ctx.loops.function_events(function.node)  # type: ignore[arg-type]
                if event.kind in _PASSED_KINDS and not event.conditional and not event.nested
            ]
            if agreed is not None and events != agreed:
                agreed = None
                break
            agreed = events
        kinds = {kind for kind, _ in agreed or ()}
        result = agreed if {EventKind.BACKWARD, EventKind.STEP} <= kinds else None
        self._passed[call] = result
        return result

    @cached_property
    def _calls_scaler(self) -> bool:
        return "scaler(" in self._ctx.source

    def _scaler_call(self, call: cst.Call) -> tuple[cst.BaseExpression, cst.BaseExpression, bool] | None:
        """`loss_scaler(loss, optimizer, clip_grad=..., parameters=...)`: timm's loss-scaler object (and
        the many training scripts built on it: DeiT, MAE, ConvNeXt) backpropagates the loss and steps the
        optimizer in its `__call__`. A call of an object named like a scaler (or a GradScaler's holder)
        given a loss and then an optimizer: the loss, the optimizer, and whether it certainly steps (not
        when an `update_grad=`/`need_update=` keyword decides: an accumulation guard inside the call)."""
        if not self._calls_scaler:
            return None  # cheap: no scaler is called in this file (asked of every call)
        func = call.func
        name = dotted_name(func)
        if name is None or "scaler" not in name.lower() or self._ctx.callee(call) is not None:
            return None
        if "scaler" not in words(name.rsplit(".", 1)[-1]) and not self._roles.has(func, Role.SCALER):
            return None
        positional = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
        keyed = {arg.keyword.value: arg.value for arg in call.args if arg.keyword is not None}
        loss = positional[0] if positional else keyed.get("loss")
        optimizer = positional[1] if len(positional) > 1 else keyed.get("optimizer")
        if loss is None or optimizer is None or not self._roles.has(optimizer, Role.OPTIMIZER):
            return None
        loss_name = dotted_name(loss)
        if not self._roles.has(loss, Role.LOSS) and "loss" not in words(loss_name or ""):
            return None
        steps = not any(
            "update" in words(keyword) and not (isinstance(value, cst.Name) and value.value == "True")
            for keyword, value in keyed.items()
        )
        return loss, optimizer, steps

    def _training_objects(self, node: cst.For) -> str | None:
        """The container a `for` loop walks when it walks optimizers or schedulers, not data
        (`for opt in self.optimizers:`, `for opt in opts.values():`, `for s in [sched_g, sched_d]:`): its
        dotted name, or its source."""
        if not isinstance(node.target, cst.Name):
            return None
        iterated = node.iter
        if (
            type(iterated) is cst.Call
            and type(iterated.func) is cst.Attribute
            and iterated.func.attr.value == "values"
            and not iterated.args
        ):
            iterated = iterated.func.value  # a dict of optimizers: its values are the optimizers
        wanted = (Role.OPTIMIZER, Role.SCHEDULER)
        name = dotted_name(iterated)
        if name is not None:
            return name if self._roles.elements(name) & set(wanted) else None
        if isinstance(iterated, (cst.List, cst.Tuple)) and iterated.elements:
            names = [dotted_name(element.value) for element in iterated.elements]
            for role in wanted:
                if all(item is not None and self._roles.has(item, role) for item in names):
                    return self._ctx.module.code_for_node(iterated)
        return None

    def _models_run_elsewhere(self, call: cst.Call) -> list[str]:
        """The models a call of a project function of another module runs, by that function's summary,
        whichever way they are passed (`rescore(lattice=lat, model=model, lm=masked_lm_model)`, by keyword,
        two models at once, or the model alone: `test(model)`, whose helper loads its own data, as
        Mobile-Image-Matting's epoch loop calls test.py's `test`, or by keyword beside spread arguments:
        marugoto's `extract_features_(*args, **kwargs, model=model.cuda())`): each argument holding a model
        that the function, or a project function it hands it to, calls. `_model_handed_over` guesses from
        the call alone when the model comes with other arguments; this asks the definition."""
        from nnlint.engine.summaries import summary_of_call

        passed = [
            arg for arg in call.args if not arg.star and self._roles.has(handed_module(arg.value), Role.MODEL)
        ]
        if not passed or (
            len(passed) == 1
            and passed[0].keyword is None
            and len(call.args) > 1
            and not _settings_only(call, passed[0].value)
        ):
            return []  # cheap: no model, or one by position among others (`_model_handed_over` judges those)
        qualified = self._ctx.callee(call)
        if qualified is not None and qualified.startswith(vocab.LIBRARY_PREFIXES):
            return []  # cheap: a library's function (`DDP(model, ...)`, `torch.save(model, path)`)
        if len(call.args) == 1:
            # The model alone (`test(model)`): asked only of a module whose text says it evaluates, so a
            # module that never does (`build(net)` of plain.py) is answered from its text, not parsed.
            from nnlint.engine.project import only_if_text

            with only_if_text(_says_it_evaluates):
                summary = summary_of_call(self._ctx, call)
        else:
            summary = summary_of_call(self._ctx, call)
        if summary is None or summary.ctx is self._ctx:
            return []
        found: list[str] = []
        for value in summary.passed_with(call, Effect.FORWARD, spread=True):
            value = handed_module(value)
            name = dotted_name(value)
            if name is not None and name not in found and self._roles.has(value, Role.MODEL):
                found.append(name)
        return found

    def _trained_elsewhere(self, call: cst.Call, models: list[str]) -> list[str]:
        """The models among `models` that a project function of another module certainly trains when
        `call` hands them over with their optimizer: the function backpropagates and steps, on every run
        (no `if` around them: UCTransNet's `train_one_epoch` steps only `if model.training`, and is called
        for validation too), an optimizer the call passes that is built over the model (sr-gan's
        `dnn_training_step(DNN, DNN_optimizer, ...)` in training_functions.py, called from the step loop
        of srgan.py). One call is then a training step of each such model, as `model.train_step(batch)`
        is one of a wrapper's."""
        if not models or not any(self._roles.has(arg.value, Role.OPTIMIZER) for arg in call.args):
            return []  # cheap: no optimizer handed over
        from nnlint.engine.summaries import summary_of_call

        summary = summary_of_call(self._ctx, call)
        if summary is None or summary.ctx is self._ctx or not may_backpropagate(summary.ctx.source):
            return []
        events = [e for e in summary.ctx.loops.function_events(summary.function) if not e.conditional]
        if not any(event.kind is EventKind.BACKWARD for event in events):
            return []
        stepped_here = {event.target for event in events if event.kind is EventKind.STEP}
        stepped: set[str] = set()
        for parameter, value in (summary.arguments(call) or {}).items():
            name = dotted_name(value)
            if parameter in stepped_here and name is not None and self._roles.has(value, Role.OPTIMIZER):
                stepped |= self._roles.models_of(name)
        return [model for model in models if model in stepped]

    def _evaluates_and_restores(self, call: cst.Call, model: str) -> bool:
        """Whether a project function of another module that `call` hands `model` to switches it to eval and
        then puts back the mode it found (`with inference_context(model), torch.no_grad():` in fast-reid's
        and detectron2's `inference_on_dataset`): a self-contained evaluation that neither runs the model in
        the caller's mode nor leaves it switched; nothing of it is the caller's to judge."""
        return any(
            Effect.EVAL in effects and Effect.RESTORE in effects and Effect.TRAIN not in effects
            for effects in self._effects_elsewhere(call, model)
        )

    def _evaluates_elsewhere(self, call: cst.Call, model: str) -> bool:
        """Whether a project function of another module that `call` hands `model` to switches it to eval and
        never to train (`encode_data(model, loader)` whose `model.val_start()` evaluates), by its summary."""
        return any(
            Effect.EVAL in effects and Effect.TRAIN not in effects
            for effects in self._effects_elsewhere(call, model)
        )

    def _effects_elsewhere(self, call: cst.Call, model: str) -> list[frozenset[Effect]]:
        """What the project function of another module that `call` runs does to each of its parameters that
        the call fills with `model`, by its summary; empty for a function of this file or an unknown one."""
        from nnlint.engine.summaries import summary_of_call

        summary = summary_of_call(self._ctx, call)
        if summary is None or summary.ctx is self._ctx:
            return []
        passed = summary.arguments(call) or {}
        return [summary.effects_of(name) for name, value in passed.items() if handed_name(value) == model]

    def _object_switches(self, call: cst.Call) -> list[tuple[str, cst.BaseExpression, bool]]:
        """`Evaluator(self.model, loader).get_scores()`: the mode switches a method of a project class of
        another module makes on the model its object was built with (`summaries`); also made by a project
        function of another module the object is handed to (`evaluate(generator, loader)` calling
        `generator.beam_search()`; one of this file is inlined, and `_call_events` adds its switches at the
        call), memoized per call."""
        found = self._switching.get(call)
        if found is None:
            from nnlint.engine.summaries import modes_switched_through_object

            if type(call.func) is cst.Attribute:
                found = modes_switched_through_object(self._ctx, call)
            self._switching[call] = found = found or self._handed_switches(call)
        return found

    def _handed_switches(self, call: cst.Call) -> list[tuple[str, cst.BaseExpression, bool]]:
        """The switches a project function makes through an object built on a model that `call` hands it
        (`summaries.modes_switched_through_handed_object`), memoized per call."""
        found = self._handing.get(call)
        if found is None:
            from nnlint.engine.summaries import modes_switched_through_handed_object

            found = self._handing[call] = modes_switched_through_handed_object(self._ctx, call)
        return found

    @staticmethod
    def _holder_switch_events(
        switches: list[tuple[str, cst.BaseExpression, bool]],
        call: cst.Call,
        out: list[Event],
        where: _Where,
        subst: dict[str, str],
    ) -> None:
        """The events of `_object_switches`' answers at `call`: the switch of the caller's model, then, when
        the method evaluates it, a forward with recording off."""
        for mode, value, evaluates in switches:
            kind = EventKind.EVAL if mode == "eval" else EventKind.TRAIN
            switched = _substitute(dotted_name(value), subst)
            out.append(where.event(kind, call, target=switched))
            if evaluates:  # then runs it with recording off: an evaluation
                out.append(replace(where, no_grad=True).event(EventKind.FORWARD, call, target=switched))

    def _wrapper_training_step(self, call: cst.Call) -> bool:
        """`model.train_emb(*batch)`: a method of a model wrapper whose project definitions all run a
        training step (`training_calls.trains`). Only methods named for training (`train_emb`,
        `train_step`, `optimize_parameters`) are looked up, so most calls read nothing."""
        func = call.func
        if type(func) is not cst.Attribute or not set(words(func.attr.value)) & vocab.TRAINING_METHOD_WORDS:
            return False
        if (
            not self._roles.has(func.value, Role.MODEL)
            or isinstance(func.value, cst.Name)
            and func.value.value == "self"
        ):
            return False
        from nnlint.engine.training_calls import trains

        return trains(self._ctx, call)

    def _wrapper_forward(
        self, call: cst.Call, out: list[Event], where: _Where, subst: dict[str, str]
    ) -> None:
        """`model.predict(batch_meta, batch_data)`, `model.infer(x)`: a project method (of another module, or
        of a class this file cannot tie the object to) that runs its object's forward is a forward of the
        receiver, after the mode switch the method makes, and with recording off when the method chose
        that (`training_calls.runs_forward`)."""
        from nnlint.engine.training_calls import runs_forward

        if call not in self._forwarding:
            self._forwarding[call] = runs_forward(self._ctx, call)
        use = self._forwarding[call]
        if use is None:
            return
        target = _substitute(keyed_name(call.func.value), subst)  # type: ignore[attr-defined]
        if use.mode is not None:
            kind = EventKind.EVAL if use.mode == "eval" else EventKind.TRAIN
            out.append(where.event(kind, call, target=target))
        inside = replace(where, no_grad=True) if use.chooses_grad_mode else where
        out.append(inside.event(EventKind.FORWARD, call, target=target))

    def _model_handed_over(self, call: cst.Call) -> str | None:
        """The model a call this file cannot see into is given together with data, and so most likely
        runs: `loss = dsm_score_loss(score, x, sigmas)`, `utils.evaluate(model, loader)`. Builtins and
        calls named for saving, logging, copying or counting (`torch.save(model, path)`) do not run it."""
        positional = [handed_object(arg.value) for arg in call.args if arg.keyword is None and not arg.star]
        if len(positional) < 2:
            return None
        models = [value for value in positional if self._roles.has(value, Role.MODEL)]
        if len(models) != 1 or _settings_only(call, models[0]):
            return None
        func = call.func
        if isinstance(func, cst.Name):
            name = func.value
        elif isinstance(func, cst.Attribute):
            name = func.attr.value
            owner = func.value
            if not (isinstance(owner, cst.Name) and owner.value == "self") and not self._ctx.callee(call):
                return None  # a method of some object (`ema.update(model)`, `writer.add_graph(model, x)`)
        else:
            return None
        if name in _BUILTIN_NAMES or vocab.NOT_RUNNING_NAME.search(name):
            return None
        qualified = self._ctx.callee(call)
        if qualified is not None and self._ctx.project.unreadable(qualified):
            return None  # a function of a project module that does not parse: unknown, so no guess
        if self._builds_evaluating_holder(call, models[0]):
            return None
        return dotted_name(models[0])

    def _builds_evaluating_holder(self, call: cst.Call, model: cst.BaseExpression) -> bool:
        """Whether the call builds an object of a project class that keeps the model without running it
        in `__init__` and that is switched to eval before it runs it: by a method of its class that calls
        `eval()` (huanghoujing's reid `ExtractFeature(model_w, TVT)`, whose `__call__` switches the model
        and restores its mode), or by the caller on the name it binds the object to (PyTorch-Encoding's
        `evaluator = MultiEvalModule(model, nclass).cuda(); evaluator.eval()`, a DataParallel subclass).
        The object's own methods then run the model, in the mode it chose."""
        target = resolve_call(self._ctx, call)
        if target is None or not isinstance(target.node, cst.ClassDef):
            return False
        init = method_of(target, "__init__")
        if init is None or not isinstance(init.node, cst.FunctionDef):
            return False
        summary = init.ctx.summaries.of(init.node)
        arguments = summary.arguments(call) if summary is not None else None
        landed = [name for name, value in (arguments or {}).items() if value is model]
        if len(landed) != 1 or Effect.FORWARD in summary.effects_of(landed[0]):  # type: ignore[union-attr]
            return False
        return _switches_to_eval(target.ctx, target.node) or self._switched_after(call)

    def _switched_after(self, call: cst.Call) -> bool:
        """Whether the name a constructor call is bound to (through `.cuda()`-like calls) is switched to
        eval in the same function: `evaluator = Wrapper(model).cuda()`, then `evaluator.eval()`."""
        index = self._ctx.index
        node: cst.CSTNode = call
        parent = index.parent(node)
        while (
            isinstance(parent, cst.Attribute)
            and isinstance(index.parent(parent), cst.Call)
            and parent.attr.value in vocab.SELF_RETURNING_METHODS
        ):
            node = index.parent(parent)  # type: ignore[assignment]
            parent = index.parent(node)
        if not (isinstance(parent, cst.Assign) and len(parent.targets) == 1):
            return False
        bound = dotted_name(parent.targets[0].target)
        function = self._ctx.enclosing_function(call)
        return bound is not None and any(
            isinstance(other.func, cst.Attribute)
            and other.func.attr.value == "eval"
            and not other.args
            and dotted_name(other.func.value) == bound
            and self._ctx.enclosing_function(other) is function
            for other in index.nodes(cst.Call)
        )

    def _body_events(self, owner: cst.CSTNode, depth: int, stack: tuple[str, ...]) -> list[Event]:
        """The events of a loop's or a helper's body as seen from inside it (its own names, no context),
        computed once: an inner loop is walked once, not again for every loop around it, and a helper
        once, not again at every call. `_inline` then adds the context of where the body runs."""
        key = (owner, depth, stack)
        events = self._body_cache.get(key)
        if events is None:
            events = []
            self._collect(owner.body, events, _Where(), {}, depth, stack)  # type: ignore[attr-defined]
            self._body_cache[key] = events
        return events

    @staticmethod
    def _inline(
        events: list[Event],
        out: list[Event],
        where: _Where,
        subst: dict[str, str],
        site: cst.CSTNode | None,
        via: tuple[str, ...],
    ) -> None:
        """Append a body's events as seen from `where`: its names renamed by `subst`, its conditions,
        loops and no-grad blocks added to the context's, and `site` (a helper call) as the place it runs."""
        for event in events:
            out.append(
                replace(
                    event,
                    site=where.site or site or event.site,
                    target=_substitute(event.target, subst),
                    conditional=where.conditional or event.conditional,
                    guard=event.guard if event.guard is not None else where.guard,
                    nested=where.nested + event.nested,
                    no_grad=where.no_grad or event.no_grad,
                    via=(*where.via, *via, *event.via),
                )
            )

    def _closure_of(self, call: cst.Call) -> cst.CSTNode | None:
        """The body of the closure an optimizer step is given, when it is a lambda or a local function."""
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value != "closure":
                continue
            if isinstance(arg.value, cst.Lambda):
                return arg.value.body
            if isinstance(arg.value, cst.Name):
                function = resolve_name(self._ctx, arg.value.value, call)
                if (
                    function is not None
                    and function.ctx is self._ctx
                    and isinstance(function.node, cst.FunctionDef)
                ):
                    return function.node.body
        return None

    def _lightning_loaded(self, receiver: cst.BaseExpression) -> bool:
        """Whether a name holds a module built by Lightning's `X.load_from_checkpoint(...)`, whose
        `freeze()` switches it to eval."""
        from nnlint.engine.roles import loads_lightning_checkpoint

        name = dotted_name(receiver)
        value: cst.BaseExpression | None = self._roles.constructor(name) if name else None
        value = moved_module(value)  # `X.load_from_checkpoint(path).to(device)`
        return isinstance(value, cst.Call) and loads_lightning_checkpoint(value)

    def _classify_call(self, call: cst.Call) -> tuple[EventKind | None, str | None]:
        roles = self._roles
        callee = self._ctx.callee(call)
        if callee in vocab.CLIP_FUNCTIONS:
            return EventKind.CLIP, None
        func = call.func
        if type(func) is not cst.Attribute:
            if roles.has(func, Role.MODEL):
                return EventKind.FORWARD, keyed_name(func)  # `model(x)`, `self.model["generator"](z)`
            return None, None
        method = func.attr.value
        owner = dotted_name(func.value)
        first_arg = dotted_name(call.args[0].value) if call.args else None
        if method in ("backward", "manual_backward"):
            operand = self.backward_operand(call)
            return EventKind.BACKWARD, dotted_name(operand) if operand is not None else None
        if method == "step":
            # The owner as a node: `self.optimizers[0].step()` is an element of a container of optimizers.
            if roles.has(func.value, Role.SCALER):
                return EventKind.STEP, first_arg
            if roles.has(func.value, Role.SCHEDULER):
                return EventKind.SCHEDULER_STEP, owner
            if roles.has(func.value, Role.OPTIMIZER):
                # `opts["G"].step()`: one optimizer of a dict of them, told apart from `opts["D"]` by its key.
                return EventKind.STEP, keyed_name(func.value)
            return None, None
        if method == "zero_grad":
            return EventKind.ZERO_GRAD, keyed_name(func.value)
        if method == "zero_" and owner is not None and owner.endswith((".grad", ".grad.data")):
            return EventKind.ZERO_GRAD, None  # `p.grad.zero_()`, the manual form of zero_grad()
        if method == "unscale_":
            return EventKind.UNSCALE, first_arg
        if method in ("clip_grad_norm_", "clip_grad_value_"):
            return EventKind.CLIP, owner
        # `accelerator.unwrap_model(model).generate(...)`: the switches and runs of the module it unwraps.
        # `(model if single else models[0]).eval()`: on its path, the switch of the model a branch names.
        receiver = handed_object(unwrapped(func.value))
        switched = method in ("eval", "train")
        if switched and (
            roles.has(receiver, Role.MODEL)
            or _part_of_model(roles, receiver)
            or _entry_of_models(roles, receiver)
        ):
            is_eval = method == "eval" or is_false(call.args[0].value if call.args else None)
            return (EventKind.EVAL if is_eval else EventKind.TRAIN), keyed_name(receiver)
        if method == "freeze" and not call.args and self._lightning_loaded(receiver):
            return EventKind.EVAL, keyed_name(receiver)  # Lightning's `freeze()` calls `self.eval()`
        if not call.args and roles.has(func.value, Role.MODEL):
            from nnlint.engine.training_calls import switched_mode

            mode = switched_mode(self._ctx, call)  # `model.val_start()`: a wrapper's own mode switch
            if mode is not None:
                return (EventKind.EVAL if mode == "eval" else EventKind.TRAIN), keyed_name(func.value)
        if roles.has(func, Role.MODEL):
            return EventKind.FORWARD, dotted_name(func)
        if (
            ((type(func.value) is cst.Name and func.value.value != "self") or _attribute_of_self(func.value))
            and set(words(method)) & vocab.MODEL_PART_WORDS
            and roles.has(func.value, Role.MODEL)
        ):
            # `model.encoder(src)`, `self.global_model.head(rep)`: a part of the model runs
            return EventKind.FORWARD, dotted_name(func.value)
        if method in vocab.MODEL_RUNNING_METHODS and roles.has(receiver, Role.MODEL):
            return EventKind.FORWARD, keyed_name(receiver)  # `model.forward(x)`, `model.generate(ids)`
        return None, None


# A string that names a setting (`"greedy"`, `"summarization"`, `"ema"`), not a text fed to a model.
_SETTING_WORD = re.compile(r"[A-Za-z_][\w.-]*")


def _settings_only(call: cst.Call, model: cst.BaseExpression) -> bool:
    """Whether every argument a call passes besides `model` is a setting: a one-word string, `True`,
    `False` or `None` (`set_decode_type(model, "greedy")`, `use_task_specific_params(model, "summary")`).
    Such a call is given no data, so nothing says it runs the model; only its definition can tell."""
    others = [arg.value for arg in call.args if arg.value is not model]
    return bool(others) and all(_setting(value) for value in others)


def _setting(value: cst.BaseExpression) -> bool:
    if type(value) is cst.Name:
        return value.value in _CONSTANTS
    if type(value) is not cst.SimpleString:
        return False
    text = value.evaluated_value
    return isinstance(text, str) and _SETTING_WORD.fullmatch(text) is not None


def _attribute_of_self(expr: cst.BaseExpression) -> bool:
    """`self.<attr>`: a network an object holds (not `self`, which is the model inside a model class)."""
    return type(expr) is cst.Attribute and type(expr.value) is cst.Name and expr.value.value == "self"  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _Where:
    """Where in the analysed body the collector stands."""

    conditional: bool = False
    nested: int = 0
    no_grad: bool = False
    site: cst.CSTNode | None = None
    via: tuple[str, ...] = ()
    guard: cst.CSTNode | None = None

    def conditionally(self, block: cst.CSTNode) -> _Where:
        return replace(self, conditional=True, guard=block)

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
            guard=self.guard,
            spelled=target,
        )


def _steady_condition(text: str, test: cst.BaseExpression) -> bool:
    """A condition that either holds on every optimizer step or for the whole run."""
    if "accum" in text or "sync_gradients" in text:
        return True
    stack: list[cst.CSTNode] = [test]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Modulo, cst.FloorDivide)):
            return False
        if isinstance(node, cst.ComparisonTarget) and not isinstance(
            node.operator, (cst.Is, cst.IsNot, cst.In, cst.NotIn)
        ):
            return False
        stack.extend(children(node))
    return True


# Blocks whose statements run in order, one after the other.
_BLOCKS = frozenset({cst.IndentedBlock, cst.Module})


def _ends_iteration(block: cst.IndentedBlock) -> bool:
    """A block whose last statement leaves the iteration: `continue`, `break`, `return` or `raise`."""
    last = block.body[-1] if block.body else None
    if not isinstance(last, cst.SimpleStatementLine):
        return False
    return isinstance(last.body[-1], (cst.Continue, cst.Break, cst.Return, cst.Raise))


def _process_function_counters(function: cst.FunctionDef) -> set[str]:
    """What changes from one call of an Ignite process function to the next: its batch (every parameter
    but the engine) and the engine's state (`engine.state.iteration`, the counter an accumulation guard
    reads: `if engine.state.iteration % k == 0:`; `engine.state.epoch`)."""
    params = [param.name.value for param in function.params.params]
    if not params:
        return set()
    return {f"{params[0]}.state", *params[1:]}


def _dotted_names(expr: cst.CSTNode) -> set[str]:
    """Every (dotted) name an expression reads: `list(model.encoder.parameters())` gives `list`, `model`,
    `model.encoder` and `model.encoder.parameters`."""
    found: set[str] = set()
    stack: list[cst.CSTNode] = [expr]
    while stack:
        node = stack.pop()
        if type(node) is cst.Name or type(node) is cst.Attribute:
            name = dotted_name(node)  # type: ignore[arg-type]
            if name:
                found.add(name)
        stack.extend(children(node))
    return found


def _same_object(a: str, b: str | None) -> bool:
    """`model` and `model.module` name the same parameters (a DDP wrapper and what it wraps)."""
    return b is not None and (a == b or a.startswith(b + ".") or b.startswith(a + "."))


def _unwrap_iterable(expr: cst.BaseExpression) -> str | None:
    """`enumerate(tqdm(train_loader))` -> "train_loader"."""
    while isinstance(expr, cst.Call) and expr.args and dotted_name(expr.func) in vocab.ITERATION_WRAPPERS:
        expr = expr.args[0].value
    return dotted_name(expr)


def _chained_switch(call: cst.Call) -> str | None:
    """The mode a `.eval()` / `.train(...)` call of a chain leaves its module in: "eval" for `eval()` and
    `train(False)`, "train" for `train()` and `train(True)`, None for a flag that cannot be read."""
    if call.func.attr.value == "eval":  # type: ignore[attr-defined]
        return "eval"
    if not call.args:
        return "train"
    flag = call.args[0].value
    if is_false(flag):
        return "eval"
    return "train" if type(flag) is cst.Name and flag.value == "True" else None


def _mode_a_call_returns(ctx: FileContext, call: cst.Call) -> str | None:
    """`Summary.returns_in_mode` of the project function a call runs (`summary_of_call`), asked by the loop
    collector of every assignment from a call that is not a library's. Resolved under a text gate
    (`project.only_if_text`): the answer is None for a function whose module never writes `.eval(` or
    `.train(` (`summaries._returned_mode`), so such a module is not parsed to find it; nor for a class, so
    a bare name that another module binds only by a `class` (`PatternMatcherPass()`) is not looked up
    either. A mode found under the gate is confirmed without it (a base class the gate passed over could
    have given the method). A call on `self` is resolved as always: its candidates' summaries
    (`alias_summary`) are not asked under a gate."""
    from nnlint.engine.project import only_if_text
    from nnlint.engine.summaries import summary_of_call

    func = call.func
    if type(func) is not cst.Attribute or type(func.value) is not cst.Name or func.value.value != "self":
        with only_if_text(_writes_a_mode_switch, classes=type(func) is not cst.Name):
            summary = summary_of_call(ctx, call)
        if summary is None or summary.returns_in_mode is None:
            return None
    summary = summary_of_call(ctx, call)
    return summary.returns_in_mode if summary is not None else None


def _says_it_evaluates(text: bytes) -> bool:
    """The text gate of `_models_run_elsewhere` for a model passed alone: a mode switch or a no-grad block."""
    return b".eval(" in text or b".train(" in text or b"no_grad" in text or b"inference_mode" in text


def _names_no_grad_context(text: bytes) -> bool:
    """The text gate of `hands_out_no_grad` (its own test on the helper's module, on the bytes)."""
    return b"no_grad" in text or b"inference_mode" in text


def _writes_a_mode_switch(text: bytes) -> bool:
    """The text gate of `_mode_a_call_returns` (one object, so `project` remembers its answers)."""
    return b".eval(" in text or b".train(" in text


def turns_recording_off(ctx: FileContext, call: cst.Call) -> bool:
    """Whether a context manager call turns autograd recording off: `torch.no_grad()`,
    `torch.inference_mode()`, or `torch.set_grad_enabled(False)` with the literal (the same thing, spelled
    as a setter: DeepSatModels' and pytorch-ssd's evaluation loops)."""
    callee = ctx.callee(call)
    if callee in vocab.NO_GRAD_CONTEXTS:
        return True
    if callee not in ("torch.set_grad_enabled", "torch.autograd.set_grad_enabled") or len(call.args) != 1:
        return hands_out_no_grad(ctx, call, callee)
    value = call.args[0].value
    return isinstance(value, cst.Name) and value.value == "False"


def hands_out_no_grad(ctx: FileContext, call: cst.Call, callee: str | None) -> bool:
    """A project helper that hands out the context (pymss's `_inference_context(device)`, returning
    `torch.no_grad()` on one device and `torch.inference_mode()` on the others): every `return` of it
    gives a context that turns recording off, so `with helper(...):` does."""
    if callee is not None and callee.startswith(vocab.LIBRARY_PREFIXES):
        return False
    from nnlint.engine.project import only_if_text

    # Another module that names neither context, or binds the name only by a class, is not read.
    with only_if_text(_names_no_grad_context, classes=False):
        target = resolve_call(ctx, call)
    if target is None or not isinstance(target.node, cst.FunctionDef):
        return False
    if "no_grad" not in target.ctx.source and "inference_mode" not in target.ctx.source:
        return False  # cheap: no such context named in its module
    values = returned_values(target.node)
    return bool(values) and all(
        isinstance(value, cst.Call) and target.ctx.callee(value) in vocab.NO_GRAD_CONTEXTS for value in values
    )


_MODE_EVENTS = (EventKind.EVAL, EventKind.TRAIN)


def _part_of_model(roles: Roles, expr: cst.BaseExpression) -> bool:
    """`reranker.model` in `reranker.model.eval()`: an attribute of a model that is switched is a
    submodule of it (BLINK's ranker holds its whole network there), so the switch is a mode event of
    that part; whether it covers the whole model stays unknown to the analyses that compare names."""
    return type(expr) is cst.Attribute and roles.has(expr.value, Role.MODEL)


def _entry_of_models(roles: Roles, expr: cst.BaseExpression) -> bool:
    """`model[key]` in `[model[key].eval() for key in model]` (StyleTTS2's dict of networks, run as
    `model.text_encoder(...)`): an entry picked by a computed key of a container whose attributes are
    models. The switch is a mode event of a model nothing can name (which entry is unknown), so a later
    question about `model.text_encoder`'s mode is answered unknown, not by an older switch."""
    if type(expr) is not cst.Subscript or keyed_name(expr) is not None:
        return False
    container = dotted_name(expr.value)
    if container is None:
        return False
    prefix = f"{container}."
    return bool(roles.names(Role.MODEL, where=lambda name: name.startswith(prefix)))


# Model-running methods whose project definition may switch the object's own mode (`forward` never does).
_OWN_SWITCH_METHODS = vocab.MODEL_RUNNING_METHODS - {"forward"}
_LITERAL_ARGUMENTS = (cst.SimpleString, cst.List, cst.Tuple)


def _listed_names(expr: cst.BaseExpression) -> list[str] | None:
    """The dotted names a list or tuple literal holds (`[encoder, self.decoder]`), if it holds only names."""
    if type(expr) not in (cst.List, cst.Tuple) or not expr.elements:
        return None
    names = [dotted_name(element.value) for element in expr.elements]
    if any(
        name is None or isinstance(element, cst.StarredElement)
        for name, element in zip(names, expr.elements, strict=True)
    ):
        return None
    return names  # type: ignore[return-value]


# A literal a call passes for a flag or a mode (`training=False`, `mode="eval"`), as its Python value.
LiteralValue = str | bool | int | None


def literal_arguments(passed: dict[str, cst.BaseExpression]) -> dict[str, LiteralValue]:
    """The arguments a call passes as literals (`training=False`, `mode="eval"`, `None`, `0`), by name."""
    found: dict[str, LiteralValue] = {}
    for name, value in passed.items():
        if type(value) is cst.SimpleString:
            found[name] = value.evaluated_value  # type: ignore[assignment]
        elif type(value) is cst.Name and value.value in _CONSTANTS:
            found[name] = _CONSTANTS[value.value]
        elif type(value) is cst.Integer:
            found[name] = value.evaluated_value
    return found


_CONSTANTS: dict[str, LiteralValue] = {"True": True, "False": False, "None": None}


def branch_taken(
    ctx: FileContext, node: cst.CSTNode, function: cst.FunctionDef, values: Mapping[str, LiteralValue]
) -> bool | None:
    """Whether every `if` between `node` and the top of `function` is decided by the literal arguments a call
    passes (`values`): True when all are taken, False when one is skipped, None when some condition is not
    such a test (or there is none). The tests read are a flag (`if training:`, `if not eval_mode:`, `if flag
    is False:`) and a string mode (`if mode == "eval":`, `elif mode in ("train", "finetune"):`): a helper
    `set_mode("eval", models)` switches as its `"eval"` branch does, and a method `run_batch(batch,
    training=False)` runs its `else:` branch (`self.net.eval()`, then the forward under `no_grad`)."""
    child: cst.CSTNode = node
    decided = False
    for ancestor in ctx.index.ancestors(node):
        if ancestor is function:
            return decided or None
        if isinstance(ancestor, (cst.Try, cst.TryStar, cst.IfExp, cst.BooleanOperation)):
            return None
        if isinstance(ancestor, cst.If) and child is not ancestor.test:
            holds = _literal_test(ancestor.test, values)
            if holds is None:
                return None
            if holds != (child is ancestor.body):
                return False
            decided = True
        child = ancestor
    return None


def _literal_test(test: cst.BaseExpression, values: Mapping[str, LiteralValue]) -> bool | None:
    """The value of a test of one parameter bound to a known literal: `flag`, `not flag`, `flag is False`,
    `name == "lit"`, `name != "lit"`, `"lit" == name`, `name in ("a", "b")`; None for any other test."""
    if type(test) is cst.Name:
        return bool(values[test.value]) if test.value in values else None
    if type(test) is cst.UnaryOperation and type(test.operator) is cst.Not:
        inner = _literal_test(test.expression, values)
        return None if inner is None else not inner
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return None
    target = test.comparisons[0]
    left, right = test.left, target.comparator
    if type(left) is cst.SimpleString and type(right) is cst.Name:
        left, right = right, left
    if type(left) is not cst.Name or left.value not in values:
        return None
    value = values[left.value]
    operator = type(target.operator)
    if operator in (cst.Is, cst.IsNot) and type(right) is cst.Name and right.value in _CONSTANTS:
        return (value is _CONSTANTS[right.value]) == (operator is cst.Is)
    if not isinstance(value, str):
        return None
    if operator in (cst.Equal, cst.NotEqual) and type(right) is cst.SimpleString:
        return (value == right.evaluated_value) == (operator is cst.Equal)
    if operator in (cst.In, cst.NotIn) and isinstance(right, (cst.List, cst.Tuple, cst.Set)):
        options = [element.value for element in right.elements]
        if not all(type(option) is cst.SimpleString for option in options):
            return None
        return (value in [option.evaluated_value for option in options]) == (operator is cst.In)  # type: ignore[attr-defined]
    return None


def _substitute(name: str | None, subst: dict[str, str]) -> str | None:
    """Rename a helper's parameter to the caller's argument (`opt.step` in `def f(opt)` -> `optimizer`)."""
    if name is None or not subst:
        return name
    head, dot, rest = name.partition(".")
    if head in subst:
        return subst[head] + dot + rest
    return name


def _bind_closure_arguments(
    ctx: FileContext, helper: cst.FunctionDef, call: cst.Call, outer: dict[str, str]
) -> dict[str, str]:
    """`_bind_arguments`, and for a closure a factory made (`bindings.closure_factory_call`) the
    factory's parameters too, renamed to what the factory's call passed (the closure's captured names:
    `model` inside `train_val_loop` is the `net` given to `get_train_val_loop(net, ...)`)."""
    bound = _bind_arguments(ctx, helper, call, outer)
    made = closure_factory_call(ctx, call)
    if made is not None and ctx.index.enclosing(helper, cst.FunctionDef) is made[1]:
        captured = _bind_arguments(ctx, made[1], made[0], outer)
        bound = {**{k: v for k, v in captured.items() if k not in bound}, **bound}
    return bound


def _bind_arguments(
    ctx: FileContext, helper: cst.FunctionDef, call: cst.Call, outer: dict[str, str]
) -> dict[str, str]:
    """The helper's parameters renamed to the caller's names for what the call passes them (`def f(opt)`
    called as `f(optimizer)`: `opt` -> `optimizer`), through the engine's one argument matcher; a
    parameter given anything but a (dotted) name is left out."""
    bound: dict[str, str] = {}
    positional = [param.name.value for param in call_parameters(ctx, helper)]
    for name, expr in matched_arguments(positional, call).items():
        value = handed_name(expr)
        if value:
            bound[name] = _substitute(value, outer) or value
    return bound


def _switches_to_eval(ctx: FileContext, cls: cst.ClassDef) -> bool:
    """Whether a method of the class calls `<something>.eval()` (its object switches what it holds)."""
    return any(
        isinstance(call.func, cst.Attribute) and call.func.attr.value == "eval" and not call.args
        for call in ctx.index.nodes(cst.Call)
        if cls in ctx.index.ancestors(call)
    )
