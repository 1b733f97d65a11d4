"""NN701 dataloader-workers (opt-in): a GPU training script loading batches in the main process."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from nnlint import vocabulary as vocab
from nnlint.engine.data_loading import LoaderCall
from nnlint.finding import Severity
from nnlint.rule import Invalid, Rule


class DataloaderWorkers(Rule):
    """## What it does
    Flags, in a script that trains on a GPU, a `DataLoader` left at the default `num_workers=0` with no
    `pin_memory`: every batch is read, decoded and collated in the training process, between steps.
    Settings passed through a `**dict` bound in the file are read too.

    Opt-in: part of the NN7 performance family, which runs only when selected (`--select NN7`,
    `extend-select = ["NN7"]`, or this code).

    Only training loaders count: one that shuffles, or one a training loop iterates.
    Not flagged: CPU-only scripts, loaders that set `num_workers` or `pin_memory` (directly or through
    a readable config dict), loaders whose settings cannot be read (`**cfg.loader`), and in-memory
    `TensorDataset`s (or ranges and lists), for which worker processes would cost more than they save.

    ## Why is this bad?
    With `num_workers=0` the GPU idles while the CPU prepares each batch: loading, augmentation and
    collation run serially with the forward and backward passes. Without pinned memory the copy to the
    GPU cannot overlap with compute either. On image or text pipelines this commonly leaves the GPU
    idle for most of every step.

    ## Example
    ```python
    loader = DataLoader(train_set, batch_size=128, shuffle=True)
    model = model.cuda()
    ```

    ## Use instead
    ```python
    loader = DataLoader(train_set, batch_size=128, shuffle=True, num_workers=8, pin_memory=True,
                        persistent_workers=True)
    ```

    ## References
    - PyTorch Performance Tuning Guide: "Enable async data loading and augmentation" and
      "Use pinned memory".
    """

    code = "NN701"
    name = "dataloader-workers"
    severity = Severity.INFO
    opt_in = True
    message = (
        "This loader prepares every batch in the training process (num_workers=0, no pin_memory) while "
        "the GPU waits; set `num_workers` (and `pin_memory=True`)."
    )
    hint = "Worker processes load the next batches while the GPU computes this one."

    VALID: ClassVar[list[str]] = [
        # Workers set, directly and through a config dict.
        """
import torch
from torch.utils.data import DataLoader
loader_cfg = {"batch_size": 64, "num_workers": 4}
train_loader = DataLoader(train_set, batch_size=64, shuffle=True, num_workers=8, pin_memory=True)
val_loader = DataLoader(val_set, **loader_cfg)
model = model.cuda()
for x, y in train_loader:
    loss = criterion(model(x.cuda()), y.cuda())
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
""",
        # A CPU-only script.
        """
import torch
from torch.utils.data import DataLoader
loader = DataLoader(train_set, batch_size=64, shuffle=True)
for x, y in loader:
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
""",
        # An in-memory TensorDataset, and settings that cannot be read.
        """
import torch
from torch.utils.data import DataLoader, TensorDataset
loader = DataLoader(TensorDataset(X, Y), batch_size=64, shuffle=True)
other = DataLoader(train_set, **cfg.loader)
device = torch.device("cuda")
for x, y in loader:
    loss = criterion(model(x.to(device)), y.to(device))
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
""",
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        Invalid(
            """
import torch
from torch.utils.data import DataLoader
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
loader = DataLoader(train_set, batch_size=64, shuffle=True)
for x, y in loader:
    loss = criterion(model(x.to(device)), y.to(device))
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
""",
            line=5,
        ),
        # Through a helper, and through a config dict without workers.
        Invalid(
            """
import torch
from torch.utils.data import DataLoader
loader_cfg = dict(batch_size=32, shuffle=True)

def make_loader(dataset):
    return DataLoader(dataset, **loader_cfg)

loader = make_loader(train_set)
model = model.cuda()
for x, y in loader:
    loss = criterion(model(x.cuda()), y.cuda())
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
""",
            line=7,
        ),
    ]

    def visit_Module(self, node: cst.Module) -> None:
        if not self.ctx.device.trains_on_gpu:
            return
        for loader in self.ctx.data_loading.loaders:
            if not loader.complete or loader.has("num_workers") or loader.has("pin_memory"):
                continue
            dataset = loader.settings.get("dataset")
            if dataset is None or self._in_memory(dataset) or not self._trains_from(loader):
                continue
            self.report(loader.node)

    def _trains_from(self, loader: LoaderCall) -> bool:
        """A training loader: it shuffles, or a training loop iterates the name it is bound to."""
        if loader.is_literal("shuffle", True):
            return True
        statement = self.ctx.index.statement_of(loader.node)
        names = set()
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    names |= {self.ctx.dotted(target.target) for target in small.targets}
        return any(loop.iterates in names for loop in self.ctx.loops.training_loops() if loop.iterates)

    def _in_memory(self, dataset: cst.BaseExpression) -> bool:
        values: list[cst.BaseExpression] = [dataset]
        name = self.ctx.dotted(dataset)
        if name is not None:
            values += self.ctx.bindings.assigned(name)
        for value in values:
            if isinstance(value, (cst.List, cst.Tuple)):
                return True
            if isinstance(value, cst.Call):
                callee = self.ctx.callee(value) or self.ctx.dotted(value.func) or ""
                if callee.rsplit(".", 1)[-1] in vocab.IN_MEMORY_DATASETS:
                    return True
        return False
