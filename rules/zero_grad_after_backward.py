"""NN204 zero-grad-after-backward: gradients are cleared between `backward()` and `step()`."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from nnlint.engine.loops import Event, EventKind, Loop
from nnlint.engine.roles import Role
from nnlint.finding import Severity
from nnlint.rule import Invalid, Rule


class ZeroGradAfterBackward(Rule):
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
    ]

    def visit_For(self, node: cst.For) -> None:
        self._check(node)

    def visit_While(self, node: cst.While) -> None:
        self._check(node)

    def _check(self, node: cst.For | cst.While) -> None:
        loop = self.ctx.loops.loop(node)
        backward_seen = False
        for event in loop.own_events:
            if event.kind is EventKind.BACKWARD:
                backward_seen = True
            elif event.kind is EventKind.STEP:
                backward_seen = False
            elif event.kind is EventKind.ZERO_GRAD and backward_seen and self._clears_before_step(loop, event):
                self.report(event.node)

    def _clears_before_step(self, loop: Loop, zero: Event) -> bool:
        """Whether the next step after this zero_grad steps what it cleared.

        An optimizer's `zero_grad` matters only to that optimizer's step (GANs clear D between G's backward
        and step on purpose); a model's `zero_grad` clears the gradients whatever optimizer steps next.
        """
        events = loop.own_events
        for event in events[events.index(zero) + 1 :]:
            if event.kind is EventKind.STEP:
                if zero.target is None or event.target is None or zero.target == event.target:
                    return True
                return not self.ctx.roles.has(zero.target, Role.OPTIMIZER)
        return False
