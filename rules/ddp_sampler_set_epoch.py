"""NN603 ddp-sampler-set-epoch: a DistributedSampler whose `set_epoch` is never called."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from nnlint.engine.evaluation import is_eval_data_name
from nnlint.finding import Severity
from nnlint.rule import Invalid, Rule


class DdpSamplerSetEpoch(Rule):
    """## What it does
    Flags a shuffling `DistributedSampler` in a file that trains over several epochs but never calls
    `set_epoch` (on the sampler, on `loader.sampler`, or in a helper).

    Not flagged: samplers with `shuffle=False` and samplers over validation or test data (their order
    does not matter), files without an epoch loop (the loop that would call `set_epoch` is elsewhere),
    samplers handed to another function (`train(..., sampler=sampler)`, which may set the epoch), and
    files using accelerate, Lightning, Fabric or DeepSpeed, which set the epoch themselves.

    ## Why is this bad?
    `DistributedSampler` shuffles with a generator seeded by `seed + epoch`, and the epoch only changes
    through `set_epoch`. Without it every epoch visits the data in exactly the same order, and each rank
    keeps the same shard forever: the shuffling the code asks for never happens after the first epoch,
    which costs accuracy in the way training on an unshuffled dataset does.

    ## Example
    ```python
    sampler = DistributedSampler(train_set)
    loader = DataLoader(train_set, batch_size=64, sampler=sampler)
    for epoch in range(epochs):
        train_one_epoch(model, loader, optimizer)
    ```

    ## Use instead
    ```python
    sampler = DistributedSampler(train_set)
    loader = DataLoader(train_set, batch_size=64, sampler=sampler)
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        train_one_epoch(model, loader, optimizer)
    ```

    ## References
    - PyTorch docs, `torch.utils.data.distributed.DistributedSampler`: "calling the set_epoch() method at
      the beginning of each epoch before creating the DataLoader iterator is necessary to make shuffling
      work properly across multiple epochs."
    """

    code = "NN603"
    name = "ddp-sampler-set-epoch"
    severity = Severity.ERROR
    message = (
        "This DistributedSampler is never told the epoch, so it yields the same order (and the same shard) "
        "every epoch; call `sampler.set_epoch(epoch)` at the start of each epoch."
    )
    hint = "The sampler seeds its shuffle with `seed + epoch`; only `set_epoch` changes the epoch."

    VALID: ClassVar[list[str]] = [
        # set_epoch in the epoch loop, through the loader, and in a helper.
        """
import torch
from torch.utils.data import DataLoader, DistributedSampler
sampler = DistributedSampler(train_set)
loader = DataLoader(train_set, batch_size=64, sampler=sampler)
for epoch in range(epochs):
    loader.sampler.set_epoch(epoch)
    for x, y in loader:
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
""",
        """
import torch
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

def train_epoch(model, loader, optimizer, epoch):
    loader.sampler.set_epoch(epoch)
    for x, y in loader:
        model(x).sum().backward()
        optimizer.step()
        optimizer.zero_grad()

loader = DataLoader(train_set, sampler=DistributedSampler(train_set))
for epoch in range(10):
    train_epoch(model, loader, optimizer, epoch)
""",
        # Validation sampler without shuffling; a Lightning script.
        """
import torch
from torch.utils.data import DataLoader, DistributedSampler
val_sampler = DistributedSampler(val_set, shuffle=False)
test_loader = DataLoader(test_set, sampler=DistributedSampler(test_set))
for epoch in range(epochs):
    for x, y in val_loader:
        model(x).sum().backward()
        optimizer.step()
        optimizer.zero_grad()
""",
        """
import lightning as L
from torch.utils.data import DataLoader, DistributedSampler
loader = DataLoader(train_set, sampler=DistributedSampler(train_set))
trainer = L.Trainer(max_epochs=10)
""",
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        Invalid(
            """
import torch
from torch.utils.data import DataLoader, DistributedSampler
sampler = DistributedSampler(train_set)
loader = DataLoader(train_set, batch_size=64, sampler=sampler)
for epoch in range(epochs):
    for x, y in loader:
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
""",
            line=4,
        ),
        # Built in a helper, trained through another helper.
        Invalid(
            """
import torch
import torch.utils.data as data

def make_loader(dataset, rank, world_size):
    sampler = data.distributed.DistributedSampler(dataset, world_size, rank, True)
    return data.DataLoader(dataset, batch_size=32, sampler=sampler)

def train_one_epoch(model, loader, optimizer):
    for x, y in loader:
        model(x).sum().backward()
        optimizer.step()
        optimizer.zero_grad()

loader = make_loader(train_set, rank, world)
for epoch in range(cfg["epochs"]):
    train_one_epoch(model, loader, optimizer)
""",
            line=6,
        ),
        # Sampler options from a config dict.
        Invalid(
            """
import torch
from torch.utils.data import DataLoader, DistributedSampler
sampler_cfg = dict(num_replicas=world_size, rank=rank, shuffle=True, seed=0)
train_loader = DataLoader(train_set, sampler=DistributedSampler(train_set, **sampler_cfg))
for epoch in range(epochs):
    for x, y in train_loader:
        model(x).sum().backward()
        optimizer.step()
        optimizer.zero_grad()
""",
            line=5,
        ),
    ]

    def visit_Module(self, node: cst.Module) -> None:
        facts = self.ctx.data_loading
        if facts.sets_sampler_epoch or facts.framework_managed or not self._trains_over_epochs():
            return
        for sampler in facts.samplers:
            if sampler.has("shuffle") and not sampler.is_literal("shuffle", True):
                continue  # shuffle=False, or decided elsewhere
            if self._held_out(sampler.node, sampler.settings.get("dataset")) or self._handed_on(sampler.node):
                continue
            self.report(sampler.node)

    def _handed_on(self, call: cst.Call) -> bool:
        """The sampler's name passed to a call other than a DataLoader (`train(..., sampler=sampler)`):
        that function may set the epoch, in this file's helpers or another module."""
        statement = self.ctx.index.statement_of(call)
        names = set()
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    names |= {self.ctx.dotted(target.target) for target in small.targets}
        names.discard(None)
        for other in self.ctx.index.nodes(cst.Call):
            callee = self.ctx.dotted(other.func) or ""
            if callee.rsplit(".", 1)[-1] == "DataLoader":
                continue
            if any(self.ctx.dotted(arg.value) in names for arg in other.args):
                return True
        return False

    def _trains_over_epochs(self) -> bool:
        loops = self.ctx.loops
        return loops.may_train and any(loop.kind == "epoch" for loop in loops.loops)

    def _held_out(self, call: cst.Call, dataset: cst.BaseExpression | None) -> bool:
        """A sampler over validation or test data, by the dataset's name or the name it is bound to."""
        if dataset is not None and is_eval_data_name(self.ctx.dotted(dataset)):
            return True
        statement = self.ctx.index.statement_of(call)
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    if any(is_eval_data_name(self.ctx.dotted(target.target)) for target in small.targets):
                        return True
        return False
