"""NN204 zero-grad-after-backward: gradients are cleared between `backward()` and `step()`."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from nnlint.engine.loops import Event, EventKind, Loop
from nnlint.finding import Severity
from nnlint.rule import Invalid, LoopRule


class ZeroGradAfterBackward(LoopRule):
    """## What it does
    Flags `optimizer.zero_grad()` (or `model.zero_grad()`) called after `loss.backward()` and before
    `optimizer.step()` in the same iteration of a training loop.

    ## Why is this bad?
    `zero_grad()` wipes the gradients that `backward()` just computed, so `step()` updates the weights with
    zeros (or, with momentum or weight decay, with stale state alone). The loop runs, the loss barely moves,
    and nothing crashes. Karpathy's recipe lists "forgot to zero_grad / zeroed at the wrong place" among
    the most common mistakes.

    ## Example
    ```python
    for x, y in loader:
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.zero_grad()
        optimizer.step()
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
    - PyTorch docs, `torch.optim.Optimizer.zero_grad`.
    """

    code = "NN204"
    name = "zero-grad-after-backward"
    severity = Severity.ERROR
    message = "`zero_grad()` between `backward()` and `step()` throws away the gradients this step uses."
    hint = "Clear gradients at the start of the iteration (before the forward pass) or right after `step()`."

    VALID: ClassVar[list[str]] = [
        """
import torch
model = torch.nn.Linear(2, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for x, y in loader:
    optimizer.zero_grad()
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    optimizer.step()
""",
        """
import torch
model = torch.nn.Linear(2, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for x, y in loader:
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
""",
        # Two optimizers: clearing D's gradients after G's backward is the GAN recipe, not a bug.
        """
import torch
for real in loader:
    g_loss = gen_loss(real)
    g_loss.backward()
    opt_d.zero_grad()
    opt_g.step()
opt_g = torch.optim.Adam(g.parameters())
opt_d = torch.optim.Adam(d.parameters())
""",
        # Skipping a bad batch: the clearing guard ends the iteration before the step.
        """
import torch
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for x, y in loader:
    loss = criterion(model(x), y)
    loss.backward()
    if not torch.isfinite(loss):
        optimizer.zero_grad()
        continue
    optimizer.step()
    optimizer.zero_grad()
""",
        # DCGAN: clearing the generator's model between D's backward and D's step leaves D's gradients.
        """
import torch
optimizer_d = torch.optim.Adam(net_d.parameters())
optimizer_g = torch.optim.Adam(net_g.parameters())
for real in loader:
    net_d.zero_grad()
    criterion(net_d(real), ones).backward()
    net_g.zero_grad()
    optimizer_d.step()
    criterion(net_d(net_g(noise)), ones).backward()
    optimizer_g.step()
""",
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        Invalid(
            """
import torch
model = torch.nn.Linear(2, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for x, y in loader:
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    optimizer.zero_grad()
    optimizer.step()
""",
            line=8,
        ),
        # Through a helper defined in the same file, with the optimizer under another name.
        Invalid(
            """
import torch
def update(opt):
    opt.zero_grad()
    opt.step()

optimizer = torch.optim.Adam(model.parameters())
for batch in loader:
    loss = model(batch).sum()
    loss.backward()
    update(optimizer)
""",
            line=4,
        ),
        # Gradient accumulation whose micro-batch gradients are wiped before the step.
        Invalid(
            """
import torch
optimizer = torch.optim.AdamW(model.parameters())
while True:
    for micro in range(4):
        model(next(batches)).mean().backward()
    optimizer.zero_grad()
    optimizer.step()
""",
            line=7,
        ),
    ]

    def check_loop(self, loop: Loop) -> None:
        for zero in loop.of_kind(EventKind.ZERO_GRAD):
            # The nearest gradient event before it, nested loops included (an accumulation loop's backward).
            previous = next(
                (event for event in loop.before(zero) if event.kind in (EventKind.BACKWARD, EventKind.STEP)),
                None,
            )
            if (
                previous is not None
                and previous.kind is EventKind.BACKWARD
                and self._clears_before_step(loop, zero)
            ):
                self.report(zero.node)

    def _clears_before_step(self, loop: Loop, zero: Event) -> bool:
        """Whether the next step after this zero_grad, with no backward in between, steps what it cleared.

        An optimizer's `zero_grad` matters only to that optimizer's step (GANs clear D between G's backward
        and step on purpose), and a model's only to the optimizers built over that model. A `zero_grad`
        under a guard the step is not under (`if not torch.isfinite(loss): opt.zero_grad(); continue`)
        skips the update rather than wiping it.
        """
        for event in loop.after(zero):
            if event.kind is EventKind.BACKWARD:
                return False  # new gradients come first: this clears before a forward/backward, as it should
            if event.kind is EventKind.STEP:
                if zero.guard is not None and not self._inside(event, zero.guard):
                    return False
                return self.ctx.loops.clears(loop, zero, event)
        return False

    def _inside(self, event: Event, block: cst.CSTNode) -> bool:
        return any(block in self.ctx.index.ancestors(node) for node in (event.node, event.site))
