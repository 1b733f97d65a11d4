"""NN205 step-before-backward: the optimizer steps before this iteration's `backward()` has run."""

from __future__ import annotations

from typing import ClassVar

from nnlint.engine.loops import Event, EventKind, Loop
from nnlint.finding import Severity
from nnlint.rule import Invalid, LoopRule


class StepBeforeBackward(LoopRule):
    """## What it does
    Flags `optimizer.step()` that runs before the iteration's `backward()`, on gradients just cleared.

    The step comes before the `backward()` that computes its gradients, and the gradients it would
    otherwise apply were cleared first (by a `zero_grad()` at the top of the iteration or at the end of
    the previous one).

    Steps of different optimizers are told apart: a GAN that steps the discriminator before the
    generator's `backward()` is not flagged. A loop written "rotated", where the step at the top applies
    the gradients of the previous iteration's `backward()` (`step(); zero_grad(); forward; backward()`),
    is not flagged either: it trains, one batch late.

    ## Why is this bad?
    The step applies whatever `.grad` holds at that moment: nothing (gradients are `None` after
    `zero_grad()`, so the parameters do not move), or only weight decay and momentum. The `backward()` that
    follows fills gradients that the next `zero_grad()` throws away. The loss is computed, logged and looks
    plausible while the model never learns from it; Karpathy's recipe lists misplaced `zero_grad`/`step`
    calls among the most common mistakes.

    ## Example
    ```python
    for x, y in loader:
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        optimizer.step()
        loss.backward()
    ```

    ## Use instead
    ```python
    for x, y in loader:
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
    ```

    ## References
    - A. Karpathy, "A Recipe for Training Neural Networks" (2019).
    - PyTorch docs, "Optimizing Model Parameters" (the `zero_grad`, `backward`, `step` sequence).
    """

    code = "NN205"
    name = "step-before-backward"
    severity = Severity.ERROR
    message = (
        "`step()` runs before this iteration's `backward()` and after the gradients were cleared, so it "
        "applies no gradient; call `loss.backward()` before `optimizer.step()`."
    )
    hint = "The order within one iteration is zero_grad(), forward, backward(), step()."

    VALID: ClassVar[list[str]] = [
        """
import torch
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for x, y in loader:
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
""",
        # GAN: D steps before G's backward; each optimizer steps after its own backward.
        """
import torch
opt_d = torch.optim.Adam(net_d.parameters())
opt_g = torch.optim.Adam(net_g.parameters())
for real in loader:
    opt_d.zero_grad()
    d_loss = disc_loss(net_d, net_g, real)
    d_loss.backward()
    opt_d.step()
    opt_g.zero_grad()
    g_loss = gen_loss(net_d, net_g, real)
    g_loss.backward()
    opt_g.step()
""",
        # Rotated loop: the step applies the previous iteration's gradients, then clears them.
        """
import torch
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for x, y in loader:
    optimizer.step()
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
""",
        # Gradient accumulation over micro-batches, then one step.
        """
import torch
optimizer = torch.optim.AdamW(model.parameters())
while True:
    for micro in range(8):
        loss = model(next(batches)).mean() / 8
        loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
""",
        # D's gradients come from a helper the engine cannot see into; the backward after D's step
        # feeds G's step, not D's.
        """
import torch
from losses import discriminator_gradients
opt_d = torch.optim.Adam(net_d.parameters())
opt_g = torch.optim.Adam(net_g.parameters())
for real in loader:
    opt_d.zero_grad()
    discriminator_gradients(net_d, net_g, real)
    opt_d.step()
    opt_g.zero_grad()
    g_loss(real).backward()
    opt_g.step()
""",
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        Invalid(
            """
import torch
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for x, y in loader:
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    optimizer.step()
    loss.backward()
""",
            line=7,
        ),
        # The previous iteration's gradients are cleared at its end, so the step at the top has none.
        Invalid(
            """
import torch
optimizer = torch.optim.Adam(model.parameters())
for batch in loader:
    optimizer.step()
    loss = model(batch).mean()
    loss.backward()
    optimizer.zero_grad()
""",
            line=5,
        ),
        # DCGAN with D's step moved above D's backward: G's step comes later, but G clears first.
        Invalid(
            """
import torch
optimizer_d = torch.optim.Adam(net_d.parameters())
optimizer_g = torch.optim.Adam(net_g.parameters())
for real in loader:
    net_d.zero_grad()
    err_real = criterion(net_d(real), ones)
    optimizer_d.step()
    err_real.backward()
    net_g.zero_grad()
    criterion(net_d(net_g(noise)), ones).backward()
    optimizer_g.step()
""",
            line=8,
        ),
        # Through a helper, with a GradScaler.
        Invalid(
            """
import torch
scaler = torch.amp.GradScaler()
optimizer = torch.optim.AdamW(model.parameters())

def apply(opt):
    scaler.step(opt)
    scaler.update()

for batch in loader:
    optimizer.zero_grad()
    loss = model(batch).mean()
    apply(optimizer)
    scaler.scale(loss).backward()
""",
            line=7,
        ),
    ]

    def check_loop(self, loop: Loop) -> None:
        if not loop.trains:
            return
        for step in loop.of_kind(EventKind.STEP):
            if self.ctx.loops.runs_closure(step):
                continue  # the closure computes the gradients inside the step
            if self._steps_cleared_gradients(loop, step):
                self.report(step.node)

    def _steps_cleared_gradients(self, loop: Loop, step: Event) -> bool:
        if any(event.kind is EventKind.BACKWARD for event in loop.before(step)):
            return False  # backward first: the usual order (a zero_grad between them is NN204's)
        later = [event for event in loop.after(step) if event.kind in (EventKind.BACKWARD, EventKind.STEP)]
        if not later or later[0].kind is not EventKind.BACKWARD:
            return False
        if self._feeds_another_optimizer(loop, later[0], step):
            return False  # that backward is another optimizer's (a GAN)
        for event in loop.before(step, wrap=True):
            if event.kind is EventKind.BACKWARD:
                return False  # rotated loop: it applies the previous iteration's gradients
            if event.kind is EventKind.STEP and event.target == step.target:
                return False
            if event.kind is EventKind.ZERO_GRAD and self.ctx.loops.clears(loop, event, step):
                return True
        return False

    def _feeds_another_optimizer(self, loop: Loop, backward: Event, step: Event) -> bool:
        """Whether the gradients of `backward` reach the step of another optimizer uncleared."""
        following = loop.after(backward)
        for i, event in enumerate(following):
            if event.kind is EventKind.STEP and event.target not in (None, step.target):
                cleared = any(
                    zero.kind is EventKind.ZERO_GRAD and self.ctx.loops.clears(loop, zero, event)
                    for zero in following[:i]
                )
                if not cleared:
                    return True
        return False
