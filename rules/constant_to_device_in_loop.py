"""NN703 constant-to-device-in-loop (opt-in): the same host constant copied to the GPU every iteration."""

from __future__ import annotations

from typing import ClassVar

from nnlint.engine.loops import Loop
from nnlint.finding import Severity
from nnlint.rule import Invalid, LoopRule


class ConstantToDeviceInLoop(LoopRule):
    """## What it does
    Flags, in a script that trains on a GPU, a constant tensor moved to the device inside a training
    loop: `class_weights.to(device)` of a tensor built from host data before the loop and never rebound
    in it, or a tensor written out in the code (`torch.tensor([0.2, 0.8], device=device)`) built there.

    Opt-in: part of the NN7 performance family, which runs only when selected (`--select NN7`,
    `extend-select = ["NN7"]`, or this code).

    Not flagged: constants moved once before the loop or registered as module buffers, batches moved
    as they arrive, tensors built on the device from sizes (`torch.zeros(n, device=device)`), and
    CPU-only scripts.

    ## Why is this bad?
    Each move is a host-to-device copy from pageable memory, which the CPU waits for, on every
    iteration, of data that never changes. Class weights, masks and normalisation tables belong on the
    device once: moved before the loop, or registered with `register_buffer` so `model.to(device)` moves
    them along with the parameters.

    ## Example
    ```python
    class_weights = torch.tensor([1.0, 5.0, 10.0])
    for x, y in loader:
        loss = F.cross_entropy(model(x.cuda()), y.cuda(), weight=class_weights.cuda())
    ```

    ## Use instead
    ```python
    class_weights = torch.tensor([1.0, 5.0, 10.0]).cuda()
    for x, y in loader:
        loss = F.cross_entropy(model(x.cuda()), y.cuda(), weight=class_weights)
    ```

    ## References
    - PyTorch Performance Tuning Guide: "Create tensors directly on the target device" and "Avoid
      unnecessary CPU-GPU synchronization".
    """

    code = "NN703"
    name = "constant-to-device-in-loop"
    severity = Severity.INFO
    opt_in = True
    message = (
        "This copies the same constant to the GPU on every iteration; move it once before the loop (or "
        "register it as a buffer)."
    )
    hint = "Constants do not change between steps: put them on the device once."

    VALID: ClassVar[list[str]] = [
        # Moved once before the loop; batches moved as they arrive; zeros built on the device.
        """
import torch
import torch.nn.functional as F
device = torch.device("cuda")
class_weights = torch.tensor([1.0, 5.0, 10.0]).to(device)
for x, y in loader:
    x, y = x.to(device), y.to(device)
    h = torch.zeros(x.size(0), 16, device=device)
    loss = F.cross_entropy(model(x, h), y, weight=class_weights)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
""",
        # A CPU-only script.
        """
import torch
weights = torch.tensor([1.0, 2.0])
for x, y in loader:
    loss = criterion(model(x), y) * weights.to("cpu")
    loss.sum().backward()
    optimizer.step()
    optimizer.zero_grad()
""",
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        Invalid(
            """
import torch
import torch.nn.functional as F
class_weights = torch.tensor([1.0, 5.0, 10.0])
for x, y in loader:
    loss = F.cross_entropy(model(x.cuda()), y.cuda(), weight=class_weights.cuda())
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
""",
            line=6,
        ),
        # A normalisation table built in the loop, from a config-chosen device.
        Invalid(
            """
import torch
device = torch.device(cfg["device"] if torch.cuda.is_available() else "cpu")
for x, y in loader:
    x = x.to(device)
    mean = torch.tensor([0.485, 0.456, 0.406], device=device).view(1, 3, 1, 1)
    loss = criterion(model(x - mean), y.to(device))
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
""",
            line=6,
        ),
        # A mask moved inside the training step helper's loop.
        Invalid(
            """
import torch
mask = torch.ones(512, 512)
model = model.cuda()

def train(model, loader, optimizer):
    for x, y in loader:
        out = model(x.cuda(), attn_mask=mask.cuda())
        loss = criterion(out, y.cuda())
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
""",
            line=8,
        ),
    ]

    def check_loop(self, loop: Loop) -> None:
        if not loop.trains or not self.ctx.device.trains_on_gpu:
            return
        for call in self.ctx.device.constant_moves(loop):
            self.report(call)
