"""NN602 ddp-missing-distributed-sampler: a DDP training loader that shuffles without a DistributedSampler."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from nnlint.finding import Severity
from nnlint.rule import Invalid, Rule


class DdpMissingDistributedSampler(Rule):
    """## What it does
    Flags a `DataLoader(..., shuffle=True)` without a `sampler` or `batch_sampler`, in a file that trains
    with DistributedDataParallel (it wraps a model in `DistributedDataParallel` or calls
    `torch.distributed.init_process_group`, as torchrun scripts do). Settings passed through a `**dict`
    bound in the file are read too.

    Not flagged: a loader built under an `if`/`else` or in a function that also builds a
    `DistributedSampler` (the single-process branch of `sampler if distributed else shuffle`), datasets
    split by rank by hand or iterable datasets that shard themselves, settings that cannot be read
    (`**cfg.loader`), and files using accelerate (`prepare()` shards the loader), Lightning, Fabric or
    DeepSpeed.

    ## Why is this bad?
    Every DDP process builds the same loader over the same dataset. Without a `DistributedSampler`, each
    rank draws from the whole dataset: the N ranks see overlapping, often identical, batches, so an
    "epoch" is N passes over the data, the effective batch holds duplicates, and adding GPUs adds no
    data. Nothing fails; the run just learns from a fraction of what it pays for.

    ## Example
    ```python
    dist.init_process_group("nccl")
    model = DistributedDataParallel(model.cuda(), device_ids=[local_rank])
    loader = DataLoader(train_set, batch_size=64, shuffle=True)
    ```

    ## Use instead
    ```python
    sampler = DistributedSampler(train_set)  # shuffles, and splits the data across ranks
    loader = DataLoader(train_set, batch_size=64, sampler=sampler)
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        ...
    ```

    ## References
    - PyTorch docs, `torch.utils.data.distributed.DistributedSampler`.
    - PyTorch tutorial, "Multi GPU training with DDP".
    """

    code = "NN602"
    name = "ddp-missing-distributed-sampler"
    severity = Severity.ERROR
    message = (
        "This loader shuffles the whole dataset in every DDP process, so all ranks train on overlapping "
        "data; give it a `DistributedSampler` (and drop `shuffle=True`)."
    )
    hint = "Each rank needs its own shard: `sampler=DistributedSampler(dataset)`."

    VALID: ClassVar[list[str]] = [
        # The sampler, and the non-distributed branch shuffling.
        """
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler
dist.init_process_group("nccl")
model = DDP(model)
sampler = DistributedSampler(train_set) if args.distributed else None
loader = DataLoader(train_set, batch_size=64, shuffle=(sampler is None), sampler=sampler)
single = DataLoader(train_set, batch_size=64, shuffle=True)
""",
        # accelerate's prepare() shards the loader.
        """
import torch
from accelerate import Accelerator
from torch.utils.data import DataLoader
accelerator = Accelerator()
loader = DataLoader(train_set, batch_size=64, shuffle=True)
model, loader = accelerator.prepare(model, loader)
""",
        # A dataset split by rank by hand, and a loader whose settings cannot be read.
        """
import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, Subset
dist.init_process_group("nccl")
shard = Subset(train_set, range(dist.get_rank(), len(train_set), dist.get_world_size()))
loader = DataLoader(shard, batch_size=64, shuffle=True)
other = DataLoader(train_set, **cfg.loader_kwargs)
""",
        # Split by rank in a comprehension: the rank is compared with what varies, not a constant.
        """
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, Subset
dist.init_process_group("nccl")
rank, world = dist.get_rank(), dist.get_world_size()
mine = Subset(train_set, [i for i in range(len(train_set)) if i % world == rank])
model = DDP(model)
loader = DataLoader(mine, batch_size=64, shuffle=True)
""",
        # No DDP in the file: a single-process script.
        """
import torch
from torch.utils.data import DataLoader
model = torch.nn.DataParallel(model)
loader = DataLoader(train_set, batch_size=64, shuffle=True)
""",
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        Invalid(
            """
import torch
import torch.distributed as dist
from torch.utils.data import DataLoader
dist.init_process_group(backend="nccl")
model = torch.nn.parallel.DistributedDataParallel(model.cuda(), device_ids=[local_rank])
loader = DataLoader(train_set, batch_size=64, shuffle=True)
""",
            line=7,
        ),
        # Through a helper that builds the loader.
        Invalid(
            """
import torch
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader

def build_loader(dataset, batch_size):
    return DataLoader(dataset, batch_size, True, num_workers=4)

def main():
    torch.distributed.init_process_group("nccl")
    model = DDP(build_model().cuda())
    loader = build_loader(train_set, 32)
""",
            line=7,
        ),
        # Downloading on the main process only (`download=(rank == 0)`) does not split the data by rank.
        Invalid(
            """
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torchvision import datasets
dist.init_process_group("nccl")
rank = dist.get_rank()
train_set = datasets.CIFAR10("./data", train=True, download=(rank == 0))
model = DDP(model.cuda())
loader = DataLoader(train_set, batch_size=128, shuffle=True)
""",
            line=10,
        ),
        # Through a config dict.
        Invalid(
            """
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
loader_kwargs = {"batch_size": 32, "shuffle": True, "num_workers": 8}
dist.init_process_group("nccl")
model = DistributedDataParallel(model)
train_loader = DataLoader(train_set, **loader_kwargs)
""",
            line=8,
        ),
    ]

    def visit_Module(self, node: cst.Module) -> None:
        facts = self.ctx.data_loading
        if not facts.uses_ddp or facts.framework_managed:
            return
        for loader in facts.loaders:
            if not loader.is_literal("shuffle", True) or not loader.complete:
                continue
            if loader.has("sampler") or loader.has("batch_sampler") or facts.shards_dataset(loader):
                continue
            if facts.sampler_alternative(loader):
                continue
            self.report(loader.node)
