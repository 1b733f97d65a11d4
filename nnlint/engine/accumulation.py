"""Gradient accumulation: which training loops step every k micro-batches, and how their loss is scaled.

Accumulation is written two ways. A batch loop steps under a modulo guard
(`if (i + 1) % accum_steps == 0: optimizer.step()`) while `backward()` runs every iteration; or an outer
loop steps once after an inner micro-batch loop (`for micro_step in range(grad_accum): ... backward()`,
nanoGPT). Both sum k gradients into `.grad` before one update. This module finds those shapes and
answers the questions NN206 asks about them: is the guard inverted, is the loss divided by k on its way to
`backward()`, are the gradients cleared every micro-batch. Unknown answers are None, and rules stay silent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst

from nnlint import vocabulary as vocab
from nnlint.engine.bindings import (
    method_of,
    own_nodes,
    read_names,
    resolve_call,
    returned_values,
    target_names,
)
from nnlint.engine.index import children
from nnlint.engine.loops import Event, EventKind, Loop
from nnlint.engine.names import dotted_name
from nnlint.engine.roles import LOSS_FUNCTIONS, Role

if TYPE_CHECKING:
    from nnlint.engine.context import FileContext


# A value a function returns, with the file it is written in.
Returned = tuple["FileContext", "cst.BaseExpression | None"]


@dataclass(frozen=True)
class Accumulation:
    """A training loop that sums several micro-batches' gradients into one optimizer step.

    `step` is the stepping event; `guard` the `if` that gates it (modulo form) and `micro_loop` the inner
    loop of micro-batches (nested form), exactly one of them set. `inverted` when the guard steps on every
    iteration but the k-th (`if i % k != 0: step()`)."""

    loop: Loop
    step: Event
    guard: cst.If | None = None
    micro_loop: cst.For | None = None
    inverted: bool = False


class GradientAccumulation:
    """Accumulation facts of one file (`ctx.accumulation`)."""

    def __init__(self, ctx: FileContext) -> None:
        self._ctx = ctx
        # Guards that skip the rest of the iteration before the step (`if i % k != 0: continue`): what
        # follows them in their block is what they gate (`_gates`).
        self._skip_guards: set[cst.If] = set()

    def of_loop(self, loop: Loop) -> Accumulation | None:
        """The accumulation a training loop runs, or None when it steps on every iteration or it cannot
        be told (the step gated by anything but a modulo of a counter, a helper owning accumulation)."""
        if not loop.trains or self._framework_accumulates(loop):
            return None
        for step in loop.of_kind(EventKind.STEP):
            found = self._modulo_guard(loop, step)
            if found is not None:
                guard, inverted = found
                if self._own_update(loop, guard, step):
                    continue  # an extra update every k iterations (lazy regularisation), not accumulation
                if not self._backward_outside(loop, guard):
                    return None  # the guard gates a whole update (a GAN's generator every n steps)
                return Accumulation(loop, step, guard=guard, inverted=inverted)
            if step.conditional:
                continue
            micro = self._micro_loop(loop)
            if micro is not None:
                return Accumulation(loop, step, micro_loop=micro)
        return None

    # -- the loss on its way to backward() ------------------------------------------------------------

    def loss_divided(self, backward: Event) -> bool | None:
        """Whether the loss a backward event backpropagates is scaled before it: True when a division or
        multiplication touches it (`loss / k`, `loss *= 1 / k`, a helper returning `criterion(...) / k`,
        `scaler.scale(loss / k)`), False when it certainly is a plain mean-reduced loss, None when unknown
        (a sum-reduced loss, a loss from another module, a backward that scales by itself)."""
        call = backward.node
        if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
            return None
        if call.func.attr.value != "backward":
            return None  # manual_backward: Lightning scales
        if _self_scaling(backward):
            return None
        operand = self._ctx.loops.backward_operand(call)
        if operand is None:
            return None
        return self._scaled(operand, call, depth=0)

    def _scaled(self, expr: cst.BaseExpression, at: cst.CSTNode, depth: int) -> bool | None:
        if depth > 4:
            return None
        if _has_scaling(expr):
            return True
        if not isinstance(expr, (cst.Name, cst.Attribute)):
            return self._mean_reduced(expr, at, depth)
        name = dotted_name(expr)
        values, complete = self._bindings_in_scope(name, at) if name else ([], False)
        answers = {self._scaled(value, at, depth + 1) for value in values}
        if True in answers:
            return True  # some path scales it: stay silent rather than judge each path
        if not values:
            return False if isinstance(expr, cst.Attribute) and expr.attr.value == "loss" else None
        return False if complete and answers == {False} else None

    def _mean_reduced(self, expr: cst.BaseExpression, at: cst.CSTNode, depth: int) -> bool | None:
        """False when `expr` is certainly a mean-reduced loss and nothing scales it, else None (or True
        when a helper it calls scales it)."""
        if isinstance(expr, cst.Attribute) and expr.attr.value == "loss":
            return False  # a Hugging Face model output's loss: a mean over tokens
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Add, cst.Subtract)):
            parts = {self._scaled(expr.left, at, depth + 1), self._scaled(expr.right, at, depth + 1)}
            if True in parts:
                return True
            return False if parts == {False} else None
        if not isinstance(expr, cst.Call):
            return None
        func = expr.func
        if isinstance(func, cst.Attribute):
            if func.attr.value == "mean" and not expr.args:
                return False
            if func.attr.value in vocab.LOSS_PRESERVING_METHODS:
                return self._scaled(func.value, at, depth + 1)
        if _reduction(expr) not in (None, "mean"):
            return None
        if self._ctx.callee(expr) in LOSS_FUNCTIONS:
            return False
        if self._ctx.roles.has(func, Role.CRITERION):
            return False if self._criterion_means(dotted_name(func)) else None
        if self._ctx.roles.has(func, Role.MODEL):
            # A loss the model's forward computes: a mean, as a Hugging Face `.loss` is; but a project
            # loss module whose forward returns one loss that is not known to be a mean stays unknown.
            returned = self._forward_returns(expr)
            if returned and not any(isinstance(value, cst.Tuple) for _, value in returned):
                return False if self._returns_mean(returned) else None
            return False
        helper = self._ctx.loops.helper_called(expr)
        if helper is not None:
            answers = {
                self._scaled(value, value, depth + 1)
                for value in returned_values(helper)
                if value is not None
            }
            if True in answers:
                return True
            return False if answers == {False} else None
        return None

    def _model_call(self, expr: cst.BaseExpression) -> bool:
        """A call of the model itself (`model(x, y)`), whose unpacked loss is the forward's own loss."""
        return isinstance(expr, cst.Call) and self._ctx.roles.has(expr.func, Role.MODEL)

    def _criterion_means(self, name: str | None) -> bool:
        """A criterion built here with the default (or `mean`) reduction: `nn.CrossEntropyLoss()`, or a
        project loss module whose `forward` returns a mean (`return loss.mean()`); when the name is bound
        more than once (`LabelSmoothing(ls) if ls else CrossEntropyLoss()` in an `if`), every binding."""
        if name is None:
            return False
        values = self._ctx.bindings.assigned(name)
        if not values:
            call = self._ctx.roles.constructor(name)
            values = [call] if call is not None else []
        return bool(values) and all(self._mean_criterion(value) for value in values)

    def _mean_criterion(self, value: cst.BaseExpression) -> bool:
        if not isinstance(value, cst.Call):
            return False
        callee = self._ctx.callee(value) or ""
        if callee.startswith("torch.nn."):
            return _reduction(value) in (None, "mean")
        return self._returns_mean(self._class_forward_returns(value))

    def _forward_returns(self, call: cst.Call) -> list[Returned]:
        """What the `forward` of the project class a called name was built from returns (`loss_fn(x, y)`
        with `loss_fn = LabelSmoothing()`), when the name has one binding; empty when unknown."""
        values = self._ctx.bindings.assigned(dotted_name(call.func) or "")
        return self._class_forward_returns(values[0]) if len(values) == 1 else []

    def _class_forward_returns(self, value: cst.BaseExpression) -> list[Returned]:
        """What `forward` returns (each with its file) for the project class `value` constructs; empty
        when unknown."""
        if not isinstance(value, cst.Call):
            return []
        target = resolve_call(self._ctx, value)
        if target is None or not isinstance(target.node, cst.ClassDef):
            return []
        forward = method_of(target, "forward")
        if forward is None or not isinstance(forward.node, cst.FunctionDef):
            return []
        return [(forward.ctx, returned) for returned in returned_values(forward.node)]

    @staticmethod
    def _returns_mean(returned: list[Returned]) -> bool:
        """Every returned value is certainly an unscaled mean-reduced loss (`return loss.mean()`)."""
        return bool(returned) and all(
            value is not None and module.accumulation._scaled(value, value, 1) is False
            for module, value in returned
        )

    def _bindings_in_scope(self, name: str, at: cst.CSTNode) -> tuple[list[cst.BaseExpression], bool]:
        """Every value `name` is bound to in the function (or module) around `at`, an augmented
        assignment standing for its scaling operation, and whether that is all of them (not when it is
        also a parameter or unpacked from a tuple, whose values are unknown)."""
        scope: cst.CSTNode = self._ctx.enclosing_function(at) or self._ctx.module
        values: list[cst.BaseExpression] = []
        complete = not (
            isinstance(scope, cst.FunctionDef) and any(p.name.value == name for p in scope.params.params)
        )
        stack = list(children(scope.body if isinstance(scope, cst.FunctionDef) else scope))
        while stack:
            node = stack.pop()
            if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                continue
            if isinstance(node, cst.Assign):
                for target in node.targets:
                    if dotted_name(target.target) == name:
                        values.append(node.value)
                    elif name in target_names(target.target):
                        if self._model_call(node.value):
                            values.append(node.value)  # `logits, loss = model(x, y)` (nanoGPT)
                        else:
                            complete = False
            elif isinstance(node, cst.AugAssign) and dotted_name(node.target) == name:
                if isinstance(node.operator, (cst.DivideAssign, cst.MultiplyAssign)):
                    values.append(cst.BinaryOperation(node.target, cst.Divide(), node.value))
                else:
                    complete = False
            elif (
                isinstance(node, cst.AnnAssign)
                and node.value is not None
                and dotted_name(node.target) == name
            ):
                values.append(node.value)
            elif isinstance(node, cst.For) and name in target_names(node.target):
                complete = False
            stack.extend(children(node))
        return values, complete

    # -- the accumulation shapes ---------------------------------------------------------------------

    def _modulo_guard(self, loop: Loop, step: Event) -> tuple[cst.If, bool] | None:
        """The `if` between the loop and the step whose test is a modulo of a counter: the guard and
        whether it is inverted. `if ... or is_last_batch` still steps every k."""
        for node in self._path(loop, step):
            parent = self._ctx.index.parent(node)
            if not isinstance(parent, cst.If):
                continue
            in_body = parent.body is node
            if not in_body and parent.orelse is not node:
                continue
            polarity = _modulo_polarity(self._named_test(parent.test, parent))
            if polarity is None:
                continue
            steps_on_zero = polarity if in_body else not polarity
            return parent, not steps_on_zero
        return self._skip_guard(loop, step)

    def _skip_guard(self, loop: Loop, step: Event) -> tuple[cst.If, bool] | None:
        """An `if` before the step, in a block around it, that skips the rest of the iteration under a
        modulo test: `if is_accumulating: continue` with `is_accumulating = steps % k != 0` (fish-speech's
        trainer), `if (i + 1) % k != 0: continue`. The step then runs only when the test fails, so the
        guard is inverted when the test holds on multiples of k."""
        index = self._ctx.index
        for node in self._path(loop, step):
            block = index.parent(node)
            if not isinstance(block, cst.IndentedBlock) or node not in block.body:
                continue
            statements = list(block.body)
            for earlier in reversed(statements[: statements.index(node)]):
                if not isinstance(earlier, cst.If) or earlier.orelse is not None:
                    continue
                if not self._skips_iteration(earlier, loop):
                    continue
                polarity = _modulo_polarity(self._named_test(earlier.test, earlier))
                if polarity is not None:
                    self._skip_guards.add(earlier)
                    return earlier, polarity
        return None

    def _skips_iteration(self, guard: cst.If, loop: Loop) -> bool:
        """The body of `guard` ends in a `continue` of `loop` itself (not of a loop inside it)."""
        body = guard.body.body
        last = body[-1] if body else None
        if isinstance(last, cst.SimpleStatementLine):
            last = last.body[-1] if last.body else None
        if not isinstance(last, cst.Continue):
            return False
        return self._ctx.index.enclosing(last, (cst.For, cst.While)) is loop.node

    def _gates(self, guard: cst.If, event: Event) -> bool:
        """Whether `guard` decides if `event` runs: the event is inside it, or, for a guard that skips the
        rest of the iteration, after it in its block."""
        index = self._ctx.index
        for start in (event.site, event.node):
            ancestors = (start, *index.ancestors(start))
            if guard in ancestors:
                return True
            if guard not in self._skip_guards:
                continue
            block = index.parent(guard)
            if not isinstance(block, cst.IndentedBlock):
                continue
            statements = list(block.body)
            for node in ancestors:
                if index.parent(node) is block and node in statements:
                    if statements.index(node) > statements.index(guard):
                        return True
        return False

    def _named_test(self, test: cst.BaseExpression, at: cst.CSTNode) -> cst.BaseExpression:
        """A test that is a flag computed earlier (timm: `need_update = (i + 1) % k == 0 or last`;
        `if need_update:`), replaced by the flag's value when one assignment in the functions around
        `at` binds it; `not flag` keeps its `not`."""
        negated = isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)
        name = test.expression if negated else test  # type: ignore[attr-defined]
        if not isinstance(name, cst.Name):
            return test
        values: list[cst.BaseExpression] = []
        function = self._ctx.enclosing_function(at)
        while function is not None and not values:
            values, _ = self._bindings_in_scope(name.value, function.body)
            function = self._ctx.enclosing_function(function)
        if len(values) != 1:
            return test
        value = values[0]
        return cst.UnaryOperation(operator=cst.Not(), expression=value) if negated else value

    def _path(self, loop: Loop, step: Event) -> list[cst.CSTNode]:
        """The nodes from the step up to the loop, through the helper call that leads to it."""
        index = self._ctx.index
        path: list[cst.CSTNode] = []
        for start in dict.fromkeys((step.node, step.site)):
            for node in (start, *index.ancestors(start)):
                if node is loop.node or isinstance(node, (cst.FunctionDef, cst.Lambda)):
                    break
                path.append(node)
        return path

    def _backward_outside(self, loop: Loop, guard: cst.If) -> bool:
        """A backward runs on every iteration, outside the step's guard."""
        return any(not self._gates(guard, event) for event in loop.of_kind(EventKind.BACKWARD, own=False))

    def _own_update(self, loop: Loop, guard: cst.If, step: Event) -> bool:
        """Whether the guarded step applies an update the guard's block makes whole by itself: it clears
        the step's gradients and then backpropagates (StyleGAN2's lazy R1 and path-length regularisation:
        `if d_regularize: D.zero_grad(); r1_loss.backward(); d_optim.step()`, every 16 iterations, beside
        the unconditional D step), or the same optimizer also steps outside the guard on every iteration.
        Either way nothing the other iterations backpropagate reaches this step: no accumulation."""

        def guarded(event: Event) -> bool:
            return self._gates(guard, event)

        events, loops = loop.events, self._ctx.loops
        for position, zero in enumerate(events):
            if zero.kind is EventKind.ZERO_GRAD and guarded(zero) and loops.clears(loop, zero, step):
                if any(e.kind is EventKind.BACKWARD and guarded(e) for e in events[position + 1 :]):
                    return True
        return step.target is not None and any(
            other.target == step.target and not other.conditional and not guarded(other)
            for other in loop.of_kind(EventKind.STEP)
        )

    def _micro_loop(self, loop: Loop) -> cst.For | None:
        """An inner `for` loop of micro-batches: it runs every backward of the iteration, holds no step,
        and says it accumulates (`range(grad_accum_steps)`, `micro_step`)."""
        backwards = loop.of_kind(EventKind.BACKWARD, own=False)
        if not backwards or any(event.nested == 0 for event in backwards):
            return None
        index = self._ctx.index
        inner = {index.enclosing(event.site, (cst.For, cst.While)) for event in backwards}
        if len(inner) != 1:
            return None
        found = inner.pop()
        if found is None or found is loop.node or not isinstance(found, cst.For):
            return None
        if loop.node not in index.ancestors(found) or self._ctx.loops.loop(found).of_kind(EventKind.STEP):
            return None
        text = (dotted_name(found.target) or "") + " " + self._ctx.module.code_for_node(found.iter)
        return found if any(word in text.lower() for word in vocab.MICRO_BATCH_WORDS) else None

    def clears_model_under_accumulate(self, loop: Loop) -> Event | None:
        """A model's `zero_grad()` that runs on every micro-batch inside `with accelerator.accumulate(
        model):`. accelerate skips the prepared optimizer's `zero_grad()` and `step()` off the sync
        boundary (`AcceleratedOptimizer` checks `gradient_state.sync_gradients`), but nothing skips the
        model's own `zero_grad()`: it wipes each micro-batch's gradients, so only the last one reaches the
        step (alpaca-farm's `self.policy.zero_grad()`). The cleared object is the model the context is
        given, or a name holding a model; a file that builds its `Accelerator` with
        `gradient_accumulation_steps=1` accumulates nothing and is left alone."""
        if not loop.trains or not self._accumulates_by_context or not self._accumulation_configured:
            return None
        for zero in loop.of_kind(EventKind.ZERO_GRAD):
            if zero.conditional or zero.target is None:
                continue
            context = self._accumulate_context(zero.site, loop)
            if context is None or self._ctx.roles.has(zero.target, Role.OPTIMIZER):
                continue
            models = {dotted_name(arg.value) for arg in context.args}
            if zero.target in models or self._ctx.roles.has(zero.target, Role.MODEL):
                return zero
        return None

    def clears_before_step_after(self, loop: Loop) -> Event | None:
        """A clearing that runs on every iteration of a loop of micro-batches that its function steps
        once after (ai-toolkit's `hook_train_loop`: `for batch in batch_list:` clears the optimizer, then
        `self.train_single_accumulation(batch)` backpropagates; `self.optimizer.step()` follows the loop):
        each micro-batch wipes what the ones before it accumulated, so only the last reaches the step.
        The loop is the function's outermost, backpropagates after the clearing, never steps and never
        reads a gradient (per-sample gradients and gradient surgery read `.grad` between clearings, itself
        or in a helper of this file), and says it accumulates (`_says_accumulates`)."""
        node = loop.node
        if not isinstance(node, cst.For) or not self._names_accumulation:
            return None
        if loop.of_kind(EventKind.STEP, own=False) or self._ctx.index.enclosing(node, (cst.For, cst.While)):
            return None  # a loop around it is the training loop (`_micro_loop`)
        clearings = [zero for zero in loop.of_kind(EventKind.ZERO_GRAD) if not zero.conditional]
        if not clearings:
            return None  # asked first: most loops clear nothing, and the function's events cost a walk
        function = self._ctx.enclosing_function(node)
        if function is None:
            return None
        events = self._ctx.loops.function_events(function)
        inside = [i for i, event in enumerate(events) if node in self._ctx.index.ancestors(event.site)]
        if not inside:
            return None
        steps = [event for event in events[inside[-1] + 1 :] if event.kind is EventKind.STEP]
        if not steps or self._reads_gradients(node) or not self._says_accumulates(node, steps):
            return None
        for zero in clearings:
            later = loop.events[loop.position(zero) + 1 :]
            if not any(event.kind is EventKind.BACKWARD for event in later):
                continue
            if any(self._ctx.loops.clears_among(steps, zero, step) for step in steps):
                return zero
        return None

    def _reads_gradients(self, loop: cst.For) -> bool:
        """Whether the loop's body, or a function of this file it calls (transitively), reads a gradient:
        `p.grad`, `torch.autograd.grad(...)`, a `grads` name (`vocab.GRADIENT_READS`)."""
        loops = self._ctx.loops
        pending: list[cst.CSTNode] = [loop.body]
        seen: set[cst.FunctionDef] = set()
        while pending:
            for current in own_nodes(pending.pop()):
                kind = type(current)
                if kind is cst.Attribute and current.attr.value in vocab.GRADIENT_READS:  # type: ignore[attr-defined]
                    return True
                if kind is cst.Name and current.value in vocab.GRADIENT_READS:  # type: ignore[attr-defined]
                    return True
                if kind is cst.Call:
                    helper = loops.helper_called(current)  # type: ignore[arg-type]
                    if helper is not None and helper not in seen:
                        seen.add(helper)
                        pending.append(helper.body)
        return False

    def _says_accumulates(self, loop: cst.For, steps: list[Event]) -> bool:
        """Whether the micro-batch loop says it accumulates (`vocab.MICRO_BATCH_WORDS`): in its header, in
        the name of a function its body calls (`self.train_single_accumulation(batch)`), or in the test
        of an `if` around the step after it (`if not self.is_grad_accumulation_step:`)."""
        module = self._ctx.module
        texts = [(dotted_name(loop.target) or "") + " " + module.code_for_node(loop.iter)]
        texts += [dotted_name(call.func) or "" for call in own_nodes(loop.body) if type(call) is cst.Call]
        for step in steps:
            guard = self._ctx.index.enclosing(step.site, cst.If)
            if guard is not None and loop not in self._ctx.index.ancestors(guard):
                texts.append(module.code_for_node(guard.test))
        return any(word in text.lower() for text in texts for word in vocab.MICRO_BATCH_WORDS)

    def _accumulate_context(self, node: cst.CSTNode, loop: Loop) -> cst.Call | None:
        """The `accelerator.accumulate(...)` call of a `with` inside
        `loop` around `node`."""
        for ancestor in self._ctx.index.ancestors(node):
            if ancestor is loop.node:
                return None
            if isinstance(ancestor, cst.With) and (call := _accumulate_call(ancestor)) is not None:
                return call
        return None

    @cached_property
    def _accumulates_by_context(self) -> bool:
        """Cheap: the file's text names an accumulating context (`accumulate(`)."""
        return any(f"{name}(" in self._ctx.source for name in vocab.ACCUMULATE_CONTEXTS)

    @cached_property
    def _names_accumulation(self) -> bool:
        """Cheap: the file's text says `accum` somewhere (an accumulation count's name)."""
        return "accum" in self._ctx.source.lower()

    @cached_property
    def _accumulation_configured(self) -> bool:
        """Not known to accumulate a single micro-batch: no `Accelerator(gradient_accumulation_steps=1)`
        in the file (the count may come from a keyword, a plugin, the launcher's config or another module)."""
        for call in self._ctx.index.nodes(cst.Call):
            if (self._ctx.callee(call) or "").rsplit(".", 1)[-1] != "Accelerator":
                continue
            for arg in call.args:
                if arg.keyword is not None and arg.keyword.value == "gradient_accumulation_steps":
                    if isinstance(arg.value, cst.Integer) and arg.value.value == "1":
                        return False
        return True

    def _framework_accumulates(self, loop: Loop) -> bool:
        """`with accelerator.accumulate(model):` around the step (Fabric's `no_backward_sync` and DDP's
        `no_sync` only skip the all-reduce: the loop's own guard still steps)."""
        for with_node in self._ctx.index.nodes(cst.With):
            if loop.node not in self._ctx.index.ancestors(
                with_node
            ) and with_node not in self._ctx.index.ancestors(loop.node):
                continue
            if _accumulate_call(with_node) is not None:
                return True
        return False

    def clears_every_micro_batch(self, accumulation: Accumulation) -> Event | None:
        """A zero_grad of the stepped optimizer that runs on every micro-batch: unconditional in a loop
        that steps under a modulo guard (or conditional only on a setting the loop never changes, such as
        a mixed-precision flag), or inside the micro-batch loop."""
        loop = accumulation.loop
        loops = self._ctx.loops
        if self._skips_rest(loop):
            return None  # `if not need_update: continue` makes what follows conditional
        for zero in loop.of_kind(EventKind.ZERO_GRAD, own=False):
            if not loops.clears(loop, zero, accumulation.step):
                continue
            if accumulation.guard is not None:
                if zero.nested == 0 and (
                    not zero.conditional or self._fixed_branch(loop, zero, accumulation)
                ):
                    return zero
            elif accumulation.micro_loop is not None and not zero.conditional:
                if accumulation.micro_loop in self._ctx.index.ancestors(zero.site):
                    return zero
        return None

    def _fixed_branch(self, loop: Loop, zero: Event, accumulation: Accumulation) -> bool:
        """A clear that is conditional only on tests the loop never changes, outside the step's guard: it
        runs on every micro-batch of a run that takes its branch (speechbrain's `fit_batch`: `if
        self.auto_mix_prec: self.optimizer.zero_grad()` before the forward, the step under `if
        should_step:`)."""
        guard = accumulation.guard
        if guard is not None and self._gates(guard, zero):
            return False
        return self._ctx.loops.under_fixed_tests(loop, zero)

    def steps_outside_guard(self, loop: Loop) -> tuple[cst.If, Event] | None:
        """An accumulation guard that gates no step while the optimizer steps on every iteration: the
        loop computes `if actual_step % gradient_accumulation_steps == 0:` (clipping, counters) but
        `optimizer.step()` sits after it, unguarded, so nothing accumulates. The guard is the loop's own
        `if`s on a modulo of a counter whose test names accumulation; the step runs unconditionally or
        under `x is not None` tests only; a backward runs every iteration. Returns the guard and the step."""
        if (
            not loop.trains
            or loop.kind != "batch"
            or self._framework_accumulates(loop)
            or self._skips_rest(loop)
        ):
            return None
        if self.of_loop(loop) is not None:
            return None
        index = self._ctx.index
        code = self._ctx.module.code_for_node
        guards = [
            node
            for node in index.nodes(cst.If)
            if index.enclosing(node, (cst.For, cst.While, cst.FunctionDef)) is loop.node
            and _modulo_polarity(node.test) is True
            and "accum" in code(node.test).lower()
        ]
        if not guards or not all(self._backward_outside(loop, guard) for guard in guards):
            return None
        if any(_self_scaling(event) for event in loop.of_kind(EventKind.BACKWARD, own=False)):
            return None  # DeepSpeed's engine and accelerate step every micro-batch and accumulate inside
        for step in loop.of_kind(EventKind.STEP):
            path = self._path(loop, step)
            if step.nested or any(guard in path for guard in guards):
                continue
            tests = [parent.test for node in path if isinstance(parent := index.parent(node), cst.If)]
            if all(_is_none_test(test) for test in tests):
                return guards[0], step
        return None

    def steps_every_divided_micro_batch(self, loop: Loop) -> Event | None:
        """A loop that divides its loss by the accumulation count but steps on every iteration: the loss
        reaching an unconditional `backward()` is divided by a name that says accumulation
        (`loss /= gradient_accumulation_steps`) while every optimizer step of the iteration runs
        unconditionally, with no micro-batch loop and no accumulating framework (reformer's pretraining
        loop). Nothing accumulates, and each update is k times too small. Returns the step."""
        if not loop.trains or not self._names_accumulation:
            return None
        if self._framework_accumulates(loop) or self._skips_rest(loop):
            return None
        steps = loop.of_kind(EventKind.STEP)
        if not steps or any(step.conditional for step in steps):
            return None
        backwards = loop.of_kind(EventKind.BACKWARD, own=False)
        if any(event.nested or _self_scaling(event) for event in backwards):
            return None
        for backward in backwards:
            call = backward.node
            operand = self._ctx.loops.backward_operand(call) if isinstance(call, cst.Call) else None
            if operand is not None and self._divided_by_accumulation(operand, call, loop, 0):
                return steps[0]
        return None

    def _divided_by_accumulation(
        self, expr: cst.BaseExpression, at: cst.CSTNode, loop: Loop, depth: int
    ) -> bool:
        """A division of the loss by an accumulation count (`/ gradient_accumulation_steps`,
        `.div(args.accum_iter)`), in the expression or in a value its name is bound to inside `loop`."""
        code = self._ctx.module.code_for_node
        return self._division(expr, at, loop, lambda divisor: "accum" in code(divisor).lower(), 0) is not None

    def _division(
        self,
        expr: cst.BaseExpression,
        at: cst.CSTNode,
        loop: Loop,
        divides: Callable[[cst.BaseExpression], bool],
        depth: int,
    ) -> cst.CSTNode | None:
        """The division (`a / d`, `a.div(d)`) whose divisor `divides` accepts, in the expression or in a
        value its name is bound to inside `loop` (`loss = loss / d` before `loss.backward()`)."""
        if depth > 4:
            return None
        stack: list[cst.CSTNode] = [expr]
        while stack:
            node = stack.pop()
            divisor = None
            if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Divide):
                divisor = node.right
            elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.args:
                if node.func.attr.value in ("div", "div_", "true_divide"):
                    divisor = node.args[0].value
            if divisor is not None and divides(divisor):
                return node
            stack.extend(children(node))
        if not isinstance(expr, (cst.Name, cst.Attribute)):
            return None
        name = dotted_name(expr)
        values = self._bindings_in_scope(name, at)[0] if name else []
        index = self._ctx.index
        for value in values:
            anchor = value if index.parent(value) else _anchor(value)
            if loop.node in index.ancestors(anchor):
                found = self._division(value, at, loop, divides, depth + 1)
                if found is not None:
                    # `loss /= n` is rewritten as a new `loss / n` node: report the statement's divisor.
                    return found if index.parent(found) else anchor
        return None

    def divided_by_running_count(self, loop: Loop) -> tuple[cst.CSTNode, str] | None:
        """A loss divided, on its way to `backward()`, by the loop's running micro-batch counter instead
        of the accumulation count: `n += 1` on every iteration, `n = 0` again under an `if` that tests
        `n` (the step's guard, `if n >= accum_steps:`), and `loss = loss / n` in between. The micro-batches
        of one accumulation are weighted 1, 1/2, 1/3, ... of each other, so the update is neither their
        mean nor their sum. Returns the division and the counter's name."""
        backwards = loop.of_kind(EventKind.BACKWARD, own=False)
        counters = self._running_counters(loop) if backwards else set()
        if not counters:
            return None
        for backward in backwards:
            call = backward.node
            operand = self._ctx.loops.backward_operand(call) if isinstance(call, cst.Call) else None
            if operand is None or self._tests_counter(call, loop, counters):
                continue  # `(total / n).backward()` once n losses are summed: the mean, not a running weight
            found = self._division(
                operand, call, loop, lambda d: isinstance(d, cst.Name) and d.value in counters, 0
            )
            if found is not None:
                divisor = found.right if isinstance(found, cst.BinaryOperation) else found
                name = divisor.value if isinstance(divisor, cst.Name) else next(iter(counters))
                return found, name
        return None

    def _tests_counter(self, node: cst.CSTNode, loop: Loop, counters: set[str]) -> bool:
        """Whether `node` runs under an `if` inside `loop` whose test reads one of the counters."""
        for ancestor in self._ctx.index.ancestors(node):
            if ancestor is loop.node:
                return False
            if isinstance(ancestor, cst.If) and read_names(ancestor.test) & counters:
                return True
        return False

    def _running_counters(self, loop: Loop) -> set[str]:
        """The names this loop counts its iterations with and resets: `n += 1` in the loop's own body,
        under no `if`, and `n = 0` under an `if` of the loop (or of a loop nested in it) whose test reads
        `n`."""
        index = self._ctx.index
        outside = {id(node) for node in index.ancestors(loop.node)}
        counted = {
            node.target.value
            for node in own_nodes(loop.node.body, nested_loops=False)
            if isinstance(node, cst.AugAssign)
            and isinstance(node.operator, cst.AddAssign)
            and isinstance(node.target, cst.Name)
            and isinstance(node.value, cst.Integer)
            and node.value.value == "1"
            and id(index.enclosing(node, cst.If)) in outside | {id(None)}
        }
        reset: set[str] = set()
        for node in own_nodes(loop.node.body) if counted else ():
            if (
                isinstance(node, cst.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0].target, cst.Name)
                and _is_zero(node.value)
            ):
                name = node.targets[0].target.value
                guard = index.enclosing(node, cst.If)
                if guard is None or name not in read_names(guard.test):
                    continue
                if loop.node in index.ancestors(guard):
                    reset.add(name)
        return counted & reset

    def _skips_rest(self, loop: Loop) -> bool:
        """A `continue` of this loop anywhere in its body."""
        index = self._ctx.index
        return any(
            index.enclosing(node, (cst.For, cst.While)) is loop.node and loop.node in index.ancestors(node)
            for node in index.nodes(cst.Continue)
        )


def _accumulate_call(with_node: cst.With) -> cst.Call | None:
    """The `accelerator.accumulate(model)` call a `with` enters."""
    for item in with_node.items:
        call = item.item
        if (
            isinstance(call, cst.Call)
            and isinstance(call.func, cst.Attribute)
            and call.func.attr.value in vocab.ACCUMULATE_CONTEXTS
        ):
            return call
    return None


def _anchor(value: cst.BaseExpression) -> cst.BaseExpression:
    """A node of the tree standing for a value: `_bindings_in_scope` writes `loss /= k` as a new
    `loss / k` node, whose divisor is the tree's own."""
    return value.right if isinstance(value, cst.BinaryOperation) else value


def _modulo_polarity(test: cst.BaseExpression) -> bool | None:
    """For a test about `counter % k`: True when it holds on multiples of k (`x % k == 0`,
    `not x % k`), False when it holds on the others (`x % k != 0`, `x % k > 0`, a bare `x % k`: a
    remainder is never negative), None otherwise.
    In `a or b` / `a and b` only a true-on-multiples part counts (`... == 0 or last_batch`)."""
    if isinstance(test, cst.BooleanOperation):
        parts = {_modulo_polarity(test.left), _modulo_polarity(test.right)}
        return True if True in parts else None
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        if _is_modulo(test.expression):
            return True
        inner = _modulo_polarity(test.expression)
        return None if inner is None else not inner
    if _is_modulo(test):
        return False
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        left, right = test.left, target.comparator
        above = cst.GreaterThan
        if _is_modulo(right):
            left, right, above = right, left, cst.LessThan  # `0 < x % k`
        if not _is_modulo(left) or not _is_zero(right):
            return None
        if isinstance(target.operator, cst.Equal):
            return True
        if isinstance(target.operator, (cst.NotEqual, above)):
            return False
    return None


def _self_scaling(backward: Event) -> bool:
    """`accelerator.backward(loss)`, `model_engine.backward(loss)`: a backward that scales by itself."""
    call = backward.node
    if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
        return False
    owner = dotted_name(call.func.value)
    return owner is not None and owner.rsplit(".", 1)[-1].startswith(vocab.SELF_SCALING_BACKWARD_OWNERS)


def _is_none_test(test: cst.BaseExpression) -> bool:
    """`x is not None` / `x is None`: a test that holds for the whole run, not per iteration."""
    return (
        isinstance(test, cst.Comparison)
        and len(test.comparisons) == 1
        and isinstance(test.comparisons[0].operator, (cst.Is, cst.IsNot))
        and isinstance(test.comparisons[0].comparator, cst.Name)
        and test.comparisons[0].comparator.value == "None"
    )


def _is_modulo(expr: cst.BaseExpression) -> bool:
    """`counter % k` with a counter that is a name (possibly `+ 1`) and k not the literal 1."""
    if not isinstance(expr, cst.BinaryOperation) or not isinstance(expr.operator, cst.Modulo):
        return False
    if isinstance(expr.right, cst.Integer) and int(expr.right.evaluated_value) <= 1:
        return False
    return any(isinstance(node, (cst.Name, cst.Attribute)) for node in (expr.left, *children(expr.left)))


def _is_zero(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Integer) and expr.value == "0"


def _has_scaling(expr: cst.CSTNode) -> bool:
    """A division or multiplication anywhere in an expression (`loss / k`, `loss * scale`, `.div(k)`)."""
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.BinaryOperation) and isinstance(
            node.operator, (cst.Divide, cst.Multiply, cst.FloorDivide)
        ):
            return True
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            if node.func.attr.value in ("div", "div_", "mul", "mul_", "true_divide"):
                return True
        stack.extend(children(node))
    return False


def _reduction(call: cst.Call) -> str | None:
    """The literal `reduction=` of a loss call or criterion constructor; "?" when it is not a literal."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "reduction":
            value = arg.value
            if isinstance(value, cst.SimpleString):
                return value.evaluated_value if isinstance(value.evaluated_value, str) else "?"
            return "?"
    return None
