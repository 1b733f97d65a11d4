"""NN702 host-device-sync (opt-in): a training loop that waits for the GPU on every step."""

from __future__ import annotations

from typing import ClassVar

from nnlint.engine.loops import Loop
from nnlint.finding import Severity
from nnlint.rule import Invalid, LoopRule


class HostDeviceSync(LoopRule):
    """## What it does
    Flags, in a script that trains on a GPU, a host-device synchronisation on every step of a training
    loop: `.item()`, `.cpu()`, `.numpy()` or `.tolist()` of a device value (the loss, a model output, a
    tensor moved with `.to(device)`, or anything computed from them), `float(loss)`, or a print or
    f-string of a device tensor, directly in the loop body or in a helper it calls.

    Opt-in: part of the NN7 performance family, which runs only when selected (`--select NN7`,
    `extend-select = ["NN7"]`, or this code).

    Not flagged: syncs under a condition (logging every N steps), in nested loops, on values that never
    went to the device (`labels.numpy()` of a CPU batch), and CPU-only scripts.

    ## Why is this bad?
    CUDA runs asynchronously: the Python loop normally queues the next step's kernels while the GPU is
    still working. Reading a value back to the host makes the CPU wait until every queued kernel has
    finished, so data loading, kernel launches and the GPU's work stop overlapping. One `loss.item()`
    per step is enough to serialise the pipeline; accumulate on the device and read it every N steps.

    ## Example
    ```python
    for step, (x, y) in enumerate(loader):
        loss = criterion(model(x.cuda()), y.cuda())
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        running_loss += loss.item()
    ```

    ## Use instead
    ```python
    running_loss = torch.zeros((), device="cuda")
    for step, (x, y) in enumerate(loader):
        loss = criterion(model(x.cuda()), y.cuda())
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        running_loss += loss.detach()
        if step % log_every == 0:
            print(running_loss.item() / (step + 1))
    ```

    ## References
    - PyTorch Performance Tuning Guide: "Avoid unnecessary CPU-GPU synchronization".
    - PyTorch docs, "CUDA semantics: asynchronous execution".
    """

    code = "NN702"
    name = "host-device-sync"
    severity = Severity.INFO
    opt_in = True
    message = (
        "This reads a GPU value back to the host on every training step, making the CPU wait for the GPU; "
        "keep it on the device and read it every N steps."
    )
    hint = "`.item()`, `.cpu()` and printing a CUDA tensor each wait for all queued GPU work."

    VALID: ClassVar[list[str]] = [
        # Logging every N steps.
        """
import torch
model = model.cuda()
for step, (x, y) in enumerate(loader):
    loss = criterion(model(x.cuda()), y.cuda())
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    if step % 100 == 0:
        print(f"step {step} loss {loss.item():.4f}")
""",
        # A CPU-only script, and host data read on the host.
        """
import torch
for x, y in loader:
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    total += loss.item()
""",
        """
import torch
model = model.cuda()
for x, y in loader:
    counts += y.numpy().sum()
    loss = criterion(model(x.cuda()), y.cuda())
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
""",
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        Invalid(
            """
import torch
device = "cuda"
for x, y in loader:
    loss = criterion(model(x.to(device)), y.to(device))
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    running_loss += loss.item()
""",
            line=9,
        ),
        # Through a helper that records metrics.
        Invalid(
            """
import torch
model = model.cuda()

def record(history, outputs, targets):
    history.append((outputs.argmax(1) == targets).float().mean().cpu())

for x, y in loader:
    x, y = x.cuda(), y.cuda()
    out = model(x)
    loss = criterion(out, y)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    record(history, out, y)
""",
            line=15,
        ),
        # Printing the loss tensor in an f-string with a config-chosen device.
        Invalid(
            """
import torch
device = torch.device(cfg.get("device", "cuda"))
for x, y in loader:
    out = model(x.to(device))
    loss = criterion(out, y.to(device))
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    print(f"loss {loss}")
""",
            line=10,
        ),
    ]

    def check_loop(self, loop: Loop) -> None:
        if not loop.trains or not self.ctx.device.trains_on_gpu:
            return
        reported = set()
        for sync in self.ctx.device.syncs(loop):
            if sync.site not in reported:
                reported.add(sync.site)
                self.report(sync.node if sync.site is self.ctx.index.statement_of(sync.node) else sync.site)
