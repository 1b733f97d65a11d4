"""Get ready to probe and clean up after: pick the device, build the probe batch, and leave the model exactly
as it was found (the probe runs on copies of its state; see nnlint/runtime/state.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from typing import Any

import torch
from torch import nn
from torch.utils import _pytree as pytree

from nnlint.probe.errors import ProbeError
from nnlint.runtime.state import kept_rng, on_copies

# The probe batch is a prime that differs from every other dimension of the inputs and of the model's
# parameters (a 5-class head, a 7x7 kernel), so a dimension of that size inside the model or in its outputs is
# almost surely the batch, and a reshape that mixes samples cannot line up with it by accident.
_LARGEST_BATCH = 31


def _prime_not_in(sizes: set[int] | frozenset[int]) -> int:
    """The smallest prime from 5 up that is none of `sizes`."""
    candidate = 5
    while candidate in sizes or any(candidate % k == 0 for k in range(2, int(candidate**0.5) + 1)):
        candidate += 1
    return candidate


def resolve_device(requested: str | None, model: nn.Module) -> torch.device:
    """`auto`: where the model's tensors already are if not the CPU, else a GPU when present, else the CPU."""
    if requested in (None, "auto"):
        for tensor in chain(model.parameters(), model.buffers()):
            if tensor.device.type != "cpu":
                return tensor.device
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(requested)
    except RuntimeError as error:
        raise ProbeError(f"Unknown device '{requested}'; use auto, cpu, cuda, cuda:N or mps.") from error
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ProbeError(f"--device {requested} was asked for, but torch sees no CUDA GPU here.")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ProbeError(f"--device {requested}: only {torch.cuda.device_count()} CUDA device(s) here.")
    elif device.type == "mps" and not torch.backends.mps.is_available():
        raise ProbeError("--device mps was asked for, but the MPS backend is not available here.")
    return device


@contextmanager
def preserved(model: nn.Module, device: torch.device) -> Iterator[None]:
    """Probe `model` on copies of its weights and buffers on `device`, with flags and RNG restored after.

    The user's tensors are never written (see nnlint/runtime/state.py): not their values, their storage, their
    device, their `.grad` or their version counters.
    """
    with kept_rng(device), on_copies(model, device):
        yield


@dataclass
class ProbeBatch:
    """The probe's own copy of the inputs: `b` samples along `batch_dim`, flattened into pytree leaves.

    `batched[k]` says whether leaf k carries the batch dimension; only those are sliced, perturbed and used
    as gradient sources. `steps` is the length of the time dimension (None when no input has one).
    """

    leaves: list[Any]
    treespec: pytree.TreeSpec
    batched: list[bool]
    b: int
    batch_dim: int
    time_dim: int
    steps: int | None
    user_batch: int
    device: torch.device
    causal: list[bool] | None = None  # per leaf: an autoregressive input (None: every timed input is)

    def is_causal(self, k: int) -> bool:
        return self.causal is None or self.causal[k]

    def call(self, model: nn.Module, leaves: list[Any] | None = None) -> Any:
        args, kwargs = pytree.tree_unflatten(self.leaves if leaves is None else leaves, self.treespec)
        return model(*args, **kwargs)

    def fresh_leaves(self) -> list[Any]:
        """Clones of the batched leaves, so nothing the model does in place reaches the probe's copy."""
        pairs = zip(self.leaves, self.batched, strict=True)
        return [leaf.clone() if batched else leaf for leaf, batched in pairs]

    @property
    def args_kwargs(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return pytree.tree_unflatten(self.leaves, self.treespec)


def _leaf_owners(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[int | str]:
    """For each pytree leaf of (args, kwargs), the position or keyword of the argument it belongs to."""
    owners: list[int | str] = []
    for position, value in enumerate(args):
        owners += [position] * len(pytree.tree_leaves(value))
    for name, value in kwargs.items():
        owners += [name] * len(pytree.tree_leaves(value))
    return owners


def probe_batch(
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    batch_dim: int,
    time_dim: int,
    device: torch.device,
    causal_inputs: tuple[int | str, ...] | None = None,
    model_sizes: frozenset[int] = frozenset(),
) -> ProbeBatch:
    """Resample the user's batch to a prime number of samples (repeating samples when it has fewer), avoiding
    the sizes of the inputs' dims and `model_sizes` (the model's parameters' dims).

    With `causal_inputs`, only those arguments are autoregressive: the time dimension is theirs, and the
    other inputs are context that any output may see whole (an encoder's source).
    """
    leaves, treespec = pytree.tree_flatten((args, kwargs))
    causal = None
    if causal_inputs is not None:
        owners = _leaf_owners(args, kwargs)
        unknown = set(causal_inputs) - set(owners)
        if unknown:
            raise ProbeError(
                f"causal inputs {sorted(map(str, unknown))} are not among the model's inputs "
                f"(positions 0-{len(args) - 1}, keywords {sorted(kwargs)})."
            )
        causal = [owner in causal_inputs for owner in owners]
    tensors = [leaf for leaf in leaves if isinstance(leaf, torch.Tensor)]
    first = next((t for t in tensors if t.dim() > batch_dim), None)
    if first is None:
        raise ProbeError(f"No input tensor has a batch dimension {batch_dim}; set --batch-dim.")
    user_batch = first.shape[batch_dim]
    batched = [
        isinstance(leaf, torch.Tensor) and leaf.dim() > batch_dim and leaf.shape[batch_dim] == user_batch
        for leaf in leaves
    ]
    batched_leaves = [leaf for leaf, is_batched in zip(leaves, batched, strict=True) if is_batched]
    timed = [
        leaf
        for k, (leaf, is_batched) in enumerate(zip(leaves, batched, strict=True))
        if is_batched and leaf.dim() > time_dim and (causal is None or causal[k])
    ]
    steps = timed[0].shape[time_dim] if timed and time_dim != batch_dim else None
    input_sizes = {size for leaf in batched_leaves for size in leaf.shape}
    b = _prime_not_in(input_sizes | model_sizes)
    if b > _LARGEST_BATCH:  # a model with parameters of every small size: the inputs' sizes alone decide
        b = _prime_not_in(input_sizes)
    index = torch.arange(b) % user_batch
    probe_leaves = []
    for leaf, is_batched in zip(leaves, batched, strict=True):
        if isinstance(leaf, torch.Tensor):
            leaf = leaf.detach()
            if is_batched:
                leaf = leaf.index_select(batch_dim, index.to(leaf.device))
            leaf = leaf.to(device).clone()
        probe_leaves.append(leaf)
    return ProbeBatch(
        probe_leaves, treespec, batched, b, batch_dim, time_dim, steps, user_batch, device, causal
    )
