"""NN202 grad-clip-misplaced: gradient clipping that does not sit between `backward()` and `step()`."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from nnlint.engine.bindings import reaching_value
from nnlint.engine.index import children
from nnlint.engine.loops import Event, EventKind, Loop
from nnlint.engine.names import call_argument, dotted_name
from nnlint.engine.roles import Role
from nnlint.finding import Severity
from nnlint.rule import Invalid, LoopRule

_GRADIENT_EVENTS = (EventKind.BACKWARD, EventKind.STEP, EventKind.ZERO_GRAD)
BEFORE_BACKWARD = (
    "Gradients are clipped before `backward()` computes the ones the next `step()` applies, so the "
    "update is not clipped; clip between `backward()` and `optimizer.step()`."
)
AFTER_STEP = (
    "Gradients are clipped after `optimizer.step()` has already applied them, so the update is not "
    "clipped; clip between `backward()` and `optimizer.step()`."
)
DISCARDED = (
    "`{op}` returns a new tensor and its result is discarded, so the gradient is not changed at all; use "
    "the in-place `{op}_` (or `torch.nn.utils.clip_grad_value_` to clip)."
)
PARTIAL_SUMS = (
    "The step runs only every few micro-batches, but this clips after every micro-batch's backward, so it "
    "bounds partial sums of the gradient, not the one the step applies; clip right before the step, "
    "under the same condition."
)
ACCELERATE_PARTIAL_SUMS = (
    "Inside `accelerator.accumulate()` the step and `zero_grad` only take effect every few micro-batches, "
    "but this clip runs on every one, so it bounds partial sums of the gradient; clip under "
    "`if accelerator.sync_gradients:`."
)
SCALED = (
    "With a GradScaler the gradients are still multiplied by the loss scale here, so clipping compares "
    "the wrong norm; call `scaler.unscale_(optimizer)` before clipping."
)


class GradClipMisplaced(LoopRule):
    """## What it does
    Flags gradient clipping that cannot bound the update: before `backward()`, after `step()`, on
    gradients a GradScaler has not unscaled, after every micro-batch while the step runs every k
    (clipping partial sums; with accelerate, a clip inside `accelerator.accumulate()` of an
    `Accelerator(gradient_accumulation_steps=...)` not under `if accelerator.sync_gradients:`), in a
    helper that clips and then backpropagates, or an out-of-place clamp of a
    gradient written as a statement of its own (`p.grad.data.clamp(-1, 1)`, `torch.clamp(p.grad, -1, 1)`),
    whose result is discarded so it clips nothing.

    That is `torch.nn.utils.clip_grad_norm_` / `clip_grad_value_` (or a model's or accelerator's
    `clip_grad_norm_`) placed before the `backward()` that produces the gradients the next
    `optimizer.step()` applies, or after that step; and, with a `GradScaler`, clipping without
    `scaler.unscale_(optimizer)` first, in a training loop or in one call of a function that scales and
    backpropagates the loss, clips and steps the scaler (a per-batch `step(loss)` method whose loop is
    elsewhere).

    The check follows the loop around: a clip at the top of an iteration that the previous iteration's
    `backward()` fed, right before the step, is well placed; gradient accumulation (backward in an inner
    loop, then clip, then step) is well placed too.

    ## Why is this bad?
    Clipping only protects an update if it edits the gradients that update uses. Before `backward()` it
    edits gradients that are about to be cleared or added to; after `step()` the parameters have already
    moved. Under a `GradScaler`, `.grad` holds gradients multiplied by the loss scale (often 2**16), so
    `clip_grad_norm_(params, 1.0)` clips almost everything to a tiny norm, or the scale factor hides real
    explosions; the PyTorch AMP recipe calls `scaler.unscale_` first for exactly this reason. In all cases
    training runs without errors and the exploding-gradient protection the code promises is not there.

    ## Example
    ```python
    for x, y in loader:
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        loss.backward()
        optimizer.step()
    ```

    ## Use instead
    ```python
    for x, y in loader:
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    ```
    With AMP: `scaler.scale(loss).backward(); scaler.unscale_(optimizer); clip_grad_norm_(...);
    scaler.step(optimizer); scaler.update()`.

    ## References
    - PyTorch docs, "Automatic Mixed Precision examples: Gradient clipping" (unscale before clipping).
    - PyTorch docs, `torch.nn.utils.clip_grad_norm_`.
    - A. Karpathy, "A Recipe for Training Neural Networks" (2019): clip gradients, and verify each
      step of the training loop does what you think.
    """

    code = "NN202"
    name = "grad-clip-misplaced"
    severity = Severity.ERROR
    message = BEFORE_BACKWARD
    hint = "Order: backward(), [scaler.unscale_(optimizer)], clip_grad_norm_(...), optimizer.step()."

    VALID: ClassVar[list[str]] = [
        # The same per-batch update method with the clip where it belongs, and a helper that only
        # backpropagates and clips (its step is elsewhere).
        """
import torch


class Agent:
    def update(self, loss):
        self.optim.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, 0.5)
        self.optim.step()

    def backward_clipped(self, loss):
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, 0.5)
""",
        # `grad.mul(op)` on a project gradient container whose own `mul` works in place: no tensor method.
        """
import torch


class Grad:
    def __init__(self, network):
        self.grads = [torch.zeros_like(p) for p in network.parameters()]

    def mul(self, coef):
        for grad in self.grads:
            grad.mul_(coef)
        return self


class Grads:
    def __init__(self, network, n):
        self.grads = [Grad(network) for _ in range(n)]

    def scale(self, op):
        for grad in self.grads:
            grad.mul(op)
        return self
""",
        # accelerate's documented form: clip only on the micro-batch that syncs and steps.
        """
import torch
from accelerate import Accelerator
accelerator = Accelerator(gradient_accumulation_steps=args.gradient_accumulation_steps)
model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
for batch in loader:
    with accelerator.accumulate(model):
        loss = model(batch).mean()
        accelerator.backward(loss)
        if accelerator.sync_gradients:
            accelerator.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad()
""",
        # Accumulation that clips once, under the step's condition; and a clip whose norm gates the step.
        """
import torch
for i, (x, y) in enumerate(loader):
    loss = criterion(model(x), y) / accum
    loss.backward()
    if (i + 1) % accum == 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad()
for x, y in loader:
    optimizer.zero_grad()
    criterion(model(x), y).backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    if torch.isfinite(norm):
        optimizer.step()
optimizer = torch.optim.AdamW(model.parameters())
criterion = torch.nn.CrossEntropyLoss()
""",
        # A helper that backpropagates, then clips.
        """
import torch
def backward(loss, params):
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
""",
        # In-place clamps of the gradients, and an out-of-place one whose result is used.
        """
import torch
for x, y in loader:
    optimizer.zero_grad()
    criterion(model(x), y).backward()
    for p in model.parameters():
        p.grad.data.clamp_(-1, 1)
        clipped = p.grad.clamp(-1, 1)
        p.grad.copy_(clipped)
    optimizer.step()
""",
        """
import torch
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for x, y in loader:
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
""",
        # A per-batch step method that unscales before clipping; one that never scales is left alone.
        """
import torch

class Stepper:
    def __init__(self, optimizer, params):
        self.scaler = torch.cuda.amp.GradScaler()
        self.optimizer = optimizer
        self.params = params

    def step(self, loss):
        self.scaler.scale(loss).backward()
        self.scaler.unscale_(self.optimizer)
        torch.nn.utils.clip_grad_norm_(self.params, 1.0)
        self.scaler.step(self.optimizer)
        self.scaler.update()

    def plain_step(self, loss):
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, 1.0)
        self.optimizer.step()
""",
        # AMP with unscale_ before the clip.
        """
import torch
from torch.nn.utils import clip_grad_norm_
scaler = torch.amp.GradScaler("cuda")
optimizer = torch.optim.AdamW(model.parameters())
for x, y in loader:
    optimizer.zero_grad(set_to_none=True)
    with torch.autocast("cuda"):
        loss = criterion(model(x), y)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    clip_grad_norm_(model.parameters(), 1.0)
    scaler.step(optimizer)
    scaler.update()
""",
        # nanoGPT: accumulation in an inner loop, conditional unscale and clip, then the step.
        """
import torch
scaler = torch.cuda.amp.GradScaler(enabled=True)
optimizer = model.configure_optimizers(0.1, 6e-4, (0.9, 0.95), "cuda")
while True:
    for micro_step in range(8):
        logits, loss = model(X, Y)
        scaler.scale(loss / 8).backward()
    if grad_clip != 0.0:
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    scaler.step(optimizer)
    scaler.update()
    optimizer.zero_grad(set_to_none=True)
""",
        # Accelerate clips (and unscales) through the accelerator, under its accumulation context.
        """
import torch
optimizer = torch.optim.AdamW(model.parameters())
for batch in train_dataloader:
    with accelerator.accumulate(model):
        loss = model(**batch).loss
        accelerator.backward(loss)
        if accelerator.sync_gradients:
            accelerator.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad()
""",
        # An infinite bound only measures the gradient norm, for logging.
        """
import torch
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for x, y in loader:
    optimizer.zero_grad()
    criterion(model(x), y).backward()
    optimizer.step()
    grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), float("inf"))
""",
        # Rotated loop: the clip at the top bounds the gradients of the previous iteration's backward.
        """
import torch
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for x, y in loader:
    torch.nn.utils.clip_grad_value_(model.parameters(), 0.5)
    optimizer.step()
    optimizer.zero_grad()
    criterion(model(x), y).backward()
""",
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        # A per-batch update method (its loop is elsewhere) that clears, backpropagates, steps, then clips.
        Invalid(
            """
import torch


class Agent:
    def update(self, loss):
        self.optim.zero_grad()
        loss.backward()
        self.optim.step()
        torch.nn.utils.clip_grad_norm_(self.params, 0.5)
""",
            line=10,
        ),
        # accelerate accumulates: the clip runs on every micro-batch's partial sum.
        Invalid(
            """
import torch
from accelerate import Accelerator
accelerator = Accelerator(gradient_accumulation_steps=args.gradient_accumulation_steps)
model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
for batch in loader:
    with accelerator.accumulate(model):
        loss = model(batch).mean()
        accelerator.backward(loss)
        accelerator.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad()
""",
            line=10,
        ),
        Invalid(
            """
import torch
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for x, y in loader:
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    loss.backward()
    optimizer.step()
""",
            line=7,
        ),
        Invalid(
            """
import torch
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for x, y in loader:
    optimizer.zero_grad()
    criterion(model(x), y).backward()
    optimizer.step()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
""",
            line=8,
        ),
        # A per-batch step method with no loop of its own (EveryDream2's optimizer wrapper): it scales
        # and backpropagates, clips the scaled gradients, then steps each optimizer through the scaler.
        Invalid(
            """
import torch

class Stepper:
    def __init__(self, optimizers, params, clip):
        self.scaler = torch.cuda.amp.GradScaler()
        self.optimizers = optimizers
        self.params = params
        self.clip = clip

    def step(self, loss):
        self.scaler.scale(loss).backward()
        if self.clip is not None:
            torch.nn.utils.clip_grad_norm_(parameters=self.params, max_norm=self.clip)
        for optimizer in self.optimizers:
            self.scaler.step(optimizer)
        self.scaler.update()
""",
            line=14,
        ),
        # AMP without unscale_: the clip sees scaled gradients.
        Invalid(
            """
import torch
scaler = torch.cuda.amp.GradScaler()
optimizer = torch.optim.AdamW(model.parameters())
for x, y in loader:
    optimizer.zero_grad()
    with torch.autocast("cuda"):
        loss = criterion(model(x), y)
    scaler.scale(loss).backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    scaler.step(optimizer)
    scaler.update()
""",
            line=10,
        ),
        # An out-of-place clamp of each gradient, as a statement: it clips nothing.
        Invalid(
            """
import torch
for x, y in loader:
    optimizer.zero_grad()
    criterion(model(x), y).backward()
    for p in model.parameters():
        p.grad.data.clamp(-1, 1)
    optimizer.step()
""",
            line=7,
        ),
        Invalid(
            """
import torch
for p in model.parameters():
    torch.clamp(p.grad, -5, 5)
""",
            line=4,
        ),
        # Gradient accumulation: clipping every micro-batch, stepping every k.
        Invalid(
            """
import torch
for i, (x, y) in enumerate(loader):
    loss = criterion(model(x), y) / accum
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    is_grad_step = (i + 1) % accum == 0
    if is_grad_step:
        optimizer.step()
        optimizer.zero_grad()
optimizer = torch.optim.AdamW(model.parameters())
criterion = torch.nn.CrossEntropyLoss()
""",
            line=6,
        ),
        # A helper that clips before the backward it then runs; the caller steps.
        Invalid(
            """
import torch
class Weighting:
    def backward(self, losses, shared_parameters):
        loss = sum(losses)
        torch.nn.utils.clip_grad_norm_(shared_parameters, 1.0)
        loss.backward()
        return loss
""",
            line=6,
        ),
        # Through a helper that clips after stepping.
        Invalid(
            """
import torch
optimizer = torch.optim.Adam(model.parameters())

def update(opt):
    opt.step()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    opt.zero_grad()

for batch in loader:
    model(batch).mean().backward()
    update(optimizer)
""",
            line=7,
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        discarded = self.ctx.gradients.discarded_result(node)
        if discarded is None:
            return
        op, operand = discarded
        name = dotted_name(operand)
        if name is not None and (name.endswith((".grad", ".grad.data")) or name == "grad"):
            self.report(node, DISCARDED.format(op=op))

    def check_loop(self, loop: Loop) -> None:
        if not loop.trains:
            return
        for clip in loop.of_kind(EventKind.CLIP):
            if _measures_only(clip.node):
                continue
            message = self._misplacement(loop, clip) or self._clips_partial_sums(loop, clip)
            if message is not None:
                self._report_once(clip.node, message)

    def finish(self) -> None:
        """A function that clips and then backpropagates, with no gradient event before the clip
        (FAMO's `backward()` helper): whatever step follows applies the unclipped new gradients. And a
        function whose one call scales, backpropagates, clips and steps the scaler without `unscale_`."""
        if not self.ctx.loops.may_train or "clip_grad" not in self.ctx.source:
            return
        functions = {
            self.ctx.enclosing_function(call)
            for call in self.ctx.index.nodes(cst.Call)
            if isinstance(call.func, (cst.Attribute, cst.Name))
            and (call.func.attr if isinstance(call.func, cst.Attribute) else call.func).value.startswith(
                "clip_grad"
            )
        }
        for function in self.ctx.index.nodes(cst.FunctionDef):
            if function not in functions:
                continue
            all_events = self.ctx.loops.function_events(function)
            events = [event for event in all_events if event.kind in (*_GRADIENT_EVENTS, EventKind.CLIP)]
            for position, event in enumerate(events):
                if event.kind is not EventKind.CLIP or event.nested or _measures_only(event.node):
                    continue
                later = _first(events[position + 1 :])
                if (
                    _first(events[:position]) is None
                    and later is not None
                    and later.kind is EventKind.BACKWARD
                ):
                    self._report_once(event.node, BEFORE_BACKWARD)
                elif later is not None and self._clips_scaled_in_call(all_events, event, later):
                    self._report_once(event.node, SCALED)
                elif later is None and _after_own_update(events, position):
                    self._report_once(event.node, AFTER_STEP)

    def _clips_scaled_in_call(self, events: list[Event], clip: Event, step: Event) -> bool:
        """One call of a function scales and backpropagates the loss, clips, then steps the GradScaler,
        with no `unscale_` between the backward and the clip (a per-batch `step(loss)` method whose
        training loop is elsewhere): the clip sees scaled gradients, as in a loop."""
        if step.kind is not EventKind.STEP or not self._steps_scaler(step):
            return False
        position = next(index for index, event in enumerate(events) if event is clip)
        for event in reversed(events[:position]):
            if event.kind is EventKind.UNSCALE:
                return False
            if event.kind is EventKind.BACKWARD:
                return event.nested == 0 and self._scaled_backward(event)
        return False  # the backward is not in this call: its unscale may be too

    def _steps_scaler(self, step: Event) -> bool:
        func = step.node.func if isinstance(step.node, cst.Call) else None
        return isinstance(func, cst.Attribute) and self.ctx.roles.has(func.value, Role.SCALER)

    def _scaled_backward(self, backward: Event) -> bool:
        """`scaler.scale(loss).backward()`: the gradients it writes are multiplied by the loss scale."""
        func = backward.node.func if isinstance(backward.node, cst.Call) else None
        if not isinstance(func, cst.Attribute) or not isinstance(func.value, cst.Call):
            return False
        scale = func.value.func
        return (
            isinstance(scale, cst.Attribute)
            and scale.attr.value == "scale"
            and self.ctx.roles.has(scale.value, Role.SCALER)
        )

    def _report_once(self, node: cst.CSTNode, message: str) -> None:
        if all(report.node is not node for report in self.reports):
            self.report(node, message)

    def _clips_partial_sums(self, loop: Loop, clip: Event) -> str | None:
        """Accumulating gradients (the step runs only every k micro-batches) and clipping after every
        micro-batch's backward: each clip bounds a partial sum, not the gradient the step applies."""
        if self._accelerate_accumulates(clip):
            return ACCELERATE_PARTIAL_SUMS
        steps = loop.of_kind(EventKind.STEP)
        if len(steps) != 1 or steps[0].guard is None or clip.site is steps[0].site:
            return None
        guard = steps[0].guard
        if guard in self.ctx.index.ancestors(clip.site) or not self._accumulates(guard):
            return None
        backwards = loop.of_kind(EventKind.BACKWARD)
        if not backwards or any(event.conditional for event in backwards):
            return None
        position = loop.position(clip)
        if loop.position(backwards[0]) < position < loop.position(steps[0]):
            return PARTIAL_SUMS
        return None

    def _accelerate_accumulates(self, clip: Event) -> bool:
        """A clip inside `with accelerator.accumulate(model):`, not under `if accelerator.sync_gradients:`,
        in a file that builds its `Accelerator(gradient_accumulation_steps=...)` with more than one step:
        accelerate skips the step and zero_grad off the sync boundary, but not the clip."""
        index = self.ctx.index
        clip_node = clip.node
        within = [*index.ancestors(clip_node), *index.ancestors(clip.site)]
        if not any(
            isinstance(node, cst.With)
            and any(
                isinstance(item.item, cst.Call)
                and isinstance(item.item.func, cst.Attribute)
                and item.item.func.attr.value == "accumulate"
                for item in node.items
            )
            for node in within
        ):
            return False
        if any(
            isinstance(node, cst.If) and "sync_gradients" in self.ctx.module.code_for_node(node.test)
            for node in within
        ):
            return False
        for call in index.nodes(cst.Call):
            if self.ctx.callee(call) == "accelerate.Accelerator":
                for arg in call.args:
                    if arg.keyword is not None and arg.keyword.value == "gradient_accumulation_steps":
                        return not (isinstance(arg.value, cst.Integer) and arg.value.value == "1")
        return False

    def _accumulates(self, guard: cst.CSTNode) -> bool:
        """The `if` over a step runs every k micro-batches: `if (i + 1) % k == 0`, or a flag bound from
        such a test (`is_grad_step = (i + 1) % k == 0`)."""
        branch = self.ctx.index.parent(guard)
        if not isinstance(branch, cst.If) or branch.body is not guard:
            return False
        test = branch.test
        if isinstance(test, cst.Name):
            value = reaching_value(self.ctx, test.value, branch)
            test = value if value is not None else test
        return _has_modulo(test)

    def _misplacement(self, loop: Loop, clip: Event) -> str | None:
        # The gradient event the clip hands over to, following the loop around into the next iteration.
        upcoming = _first(loop.after(clip, wrap=True))
        if upcoming is None:
            return None
        if upcoming.kind is EventKind.STEP:
            return SCALED if self._clips_scaled_gradients(loop, clip, upcoming) else None
        earlier = _first(loop.before(clip))
        if earlier is not None and earlier.kind is EventKind.STEP:
            return AFTER_STEP
        previous = _first(loop.before(clip, wrap=True))
        if previous is not None and previous.kind is EventKind.BACKWARD:
            return None  # between two backwards, or before a zero_grad that wipes them (NN204's case)
        if upcoming.kind is EventKind.BACKWARD:
            return BEFORE_BACKWARD
        return AFTER_STEP if previous is not None and previous.kind is EventKind.STEP else None

    def _clips_scaled_gradients(self, loop: Loop, clip: Event, step: Event) -> bool:
        """A GradScaler step whose optimizer's gradients were not unscaled since the last backward."""
        if not self._steps_scaler(step):
            return False
        for event in loop.before(clip, wrap=True):
            if event.kind is EventKind.UNSCALE and event.target in (None, step.target):
                return False
            if event.kind is EventKind.BACKWARD:
                return True
        return True


def _after_own_update(events: list[Event], position: int) -> bool:
    """The clip at `position` ends a function whose one call clears, backpropagates and steps, in that
    order, unconditionally and outside any loop (a per-batch `update()` method whose loop is elsewhere):
    the step has already used the gradients, and every later call clears them before its own backward,
    so no step ever applies what the clip edits."""
    before = [event for event in events[:position] if event.kind in _GRADIENT_EVENTS]
    if len(before) < 3 or any(event.nested or event.conditional for event in (*before, events[position])):
        return False
    kinds = [event.kind for event in before[-3:]]
    return kinds == [EventKind.ZERO_GRAD, EventKind.BACKWARD, EventKind.STEP]


def _first(events: list[Event]) -> Event | None:
    return next((event for event in events if event.kind in _GRADIENT_EVENTS), None)


def _measures_only(call: cst.CSTNode) -> bool:
    """`clip_grad_norm_(params, float("inf"))` only measures the norm (for logging); it clips nothing."""
    if not isinstance(call, cst.Call):
        return False
    # The bound follows the parameters, except in FSDP's `model.clip_grad_norm_(max_norm)`.
    positional = [arg for arg in call.args if arg.keyword is None]
    index = 1 if len(positional) >= 2 else 0
    bound = call_argument(call, index, "max_norm") or call_argument(call, index, "clip_value")
    if isinstance(bound, cst.Call) and dotted_name(bound.func) == "float" and bound.args:
        text = bound.args[0].value
        return isinstance(text, cst.SimpleString) and str(text.evaluated_value).lower() in ("inf", "+inf")
    return isinstance(bound, cst.Attribute) and bound.attr.value == "inf"


def _has_modulo(expr: cst.CSTNode) -> bool:
    stack: list[cst.CSTNode] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Modulo):
            return True
        stack.extend(children(node))
    return False
