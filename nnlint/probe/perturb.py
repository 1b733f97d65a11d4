"""The no-gradient fallback: change some inputs, run the model again, and compare outputs exactly.

Gradients cannot see a dependency that flows through integers (token ids without an `nn.Embedding`), routing
(argmax, top-k), or code under `torch.no_grad()`. Perturbation sees anything that changes the output, at the
price of one forward per test. Every forward is seeded identically, so dropout draws the same masks.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from nnlint.probe.batch import BatchVerdict, group_passes, record_matrix
from nnlint.probe.causal import CausalVerdict, Leak
from nnlint.probe.forward import Tracked, call, spread, track, tracked_outputs
from nnlint.probe.prepare import ProbeBatch

# A change counts when it exceeds this fraction of the tensor's largest value (or the run-to-run noise).
RELATIVE_CHANGE = 1e-5


def perturbed_leaves(
    model: nn.Module, batch: ProbeBatch, where: torch.Tensor, generator: torch.Generator
) -> list[Any]:
    """Fresh inputs with samples (`where` is (b,)) or samples and steps (`where` is (b, T)) replaced.

    Floats get noise at their own scale; token ids move to another id below the smallest embedding table.
    """
    leaves = batch.fresh_leaves()
    vocab = _vocab(model, batch)
    for k, leaf in enumerate(leaves):
        if not batch.batched[k] or leaf.dtype == torch.bool:
            continue
        tracked = track(leaf, batch)
        if tracked is None or (where.dim() == 2 and (tracked.time_dim is None or not batch.is_causal(k))):
            continue
        mask = spread(where.float(), tracked).bool()
        if leaf.is_floating_point():
            scale = leaf.float().std().item() if leaf.numel() > 1 else 1.0
            noise = torch.randn(leaf.shape, generator=generator, device="cpu").to(leaf.device, leaf.dtype)
            leaves[k] = torch.where(mask, leaf + noise * (scale or 1.0), leaf)
        else:
            offset = torch.randint(1, vocab, leaf.shape, generator=generator).to(leaf.device, leaf.dtype)
            leaves[k] = torch.where(mask, (leaf + offset) % vocab, leaf)
    return leaves


def _vocab(model: nn.Module, batch: ProbeBatch) -> int:
    """An exclusive bound for token ids that every embedding table in the model accepts."""
    tables = [m.num_embeddings for m in model.modules() if isinstance(m, nn.Embedding)]
    if tables:
        return max(2, min(tables))
    integers = [
        int(leaf.max()) + 1
        for leaf, batched in zip(batch.leaves, batch.batched, strict=True)
        if batched and not leaf.is_floating_point() and leaf.dtype != torch.bool and leaf.numel()
    ]
    return max(2, min(integers, default=2))


def changed(clean: torch.Tensor, other: torch.Tensor, floor: float = 0.0) -> torch.Tensor | None:
    """Which entries differ beyond rounding; None when the shapes differ (a data-dependent shape)."""
    if clean.shape != other.shape:
        return None
    if not clean.is_floating_point() and not clean.is_complex():
        return clean != other
    finite = clean[torch.isfinite(clean)]
    scale = float(finite.abs().max()) if finite.numel() else 0.0
    tolerance = max(RELATIVE_CHANGE * scale, floor)
    return ~torch.isclose(clean, other, rtol=0.0, atol=tolerance, equal_nan=True)


def _outputs(model: nn.Module, batch: ProbeBatch, leaves: list[Any] | None = None) -> list[Tracked]:
    with torch.no_grad():
        return tracked_outputs(call(model, batch, leaves), batch)


def _change_per_sample(
    clean: list[Tracked], other: list[Tracked], floors: list[float], b: int
) -> torch.Tensor:
    """Largest change per output sample, relative to each output's scale, (b,)."""
    total = torch.zeros(b)
    for out, new, floor in zip(clean, other, floors, strict=False):
        mask = changed(out.tensor, new.tensor, floor)
        if mask is None:
            return torch.ones(b)  # the shape itself moved: everything depends on it
        total = torch.maximum(total, mask.movedim(out.batch_dim, 0).reshape(b, -1).any(1).float().cpu())
    return total


def _noise_floors(model: nn.Module, batch: ProbeBatch, clean: list[Tracked]) -> list[float]:
    """Run-to-run differences of two identical forwards (non-deterministic GPU kernels), per output."""
    again = _outputs(model, batch)
    return [
        float((a.tensor.float() - b.tensor.float()).abs().nan_to_num(0.0).max()) * 4
        if a.tensor.is_floating_point() and a.tensor.shape == b.tensor.shape
        else 0.0
        for a, b in zip(clean, again, strict=False)
    ]


def ignores_inputs(model: nn.Module, batch: ProbeBatch, generator: torch.Generator) -> bool:
    """Whether perturbing every sample's inputs leaves every output exactly as it was."""
    clean = _outputs(model, batch)
    floors = _noise_floors(model, batch, clean)
    new = _outputs(
        model, batch, perturbed_leaves(model, batch, torch.ones(batch.b, dtype=torch.bool), generator)
    )
    return not bool(_change_per_sample(clean, new, floors, batch.b).any())


def batch_test(model: nn.Module, batch: ProbeBatch, generator: torch.Generator) -> BatchVerdict:
    """Group-tested batch independence by perturbation: perturb the samples a pass does not carry."""
    clean = _outputs(model, batch)
    floors = _noise_floors(model, batch, clean)
    verdict = BatchVerdict("perturbation", 2, False)
    for carriers in group_passes(batch.b):
        inside = torch.tensor(carriers)
        new = _outputs(model, batch, perturbed_leaves(model, batch, ~inside, generator))
        verdict.passes += 1
        if bool((_change_per_sample(clean, new, floors, batch.b) * inside).any()):
            verdict.mixing = True
    if verdict.mixing:
        columns = []
        for j in range(batch.b):
            where = torch.zeros(batch.b, dtype=torch.bool)
            where[j] = True
            new = _outputs(model, batch, perturbed_leaves(model, batch, where, generator))
            columns.append(_change_per_sample(clean, new, floors, batch.b))
            verdict.passes += 1
        record_matrix(verdict, torch.stack(columns, dim=1))
    return verdict


def causal_test(
    model: nn.Module,
    batch: ProbeBatch,
    shift: int,
    splits: list[int],
    packed: bool,
    generator: torch.Generator,
) -> CausalVerdict:
    """Perturb each sample after its split point and check its outputs up to the split did not move."""
    steps = batch.steps or 0
    verdict = CausalVerdict("perturbation", 1, False, steps, shift, splits)
    clean = [o for o in _outputs(model, batch) if o.time_dim is not None]
    floors = _noise_floors(model, batch, clean)
    verdict.passes += 1
    groups = [list(range(batch.b))] if packed else [[i] for i in range(batch.b)]
    for group in groups:
        where = torch.zeros(batch.b, steps, dtype=torch.bool)
        for i in group:
            where[i, splits[i] + shift + 1 :] = True
        new = [
            o
            for o in _outputs(model, batch, perturbed_leaves(model, batch, where, generator))
            if o.time_dim is not None
        ]
        verdict.passes += 1
        for i in group:
            if _past_moved(clean, new, floors, i, splits[i]):
                verdict.leaks.append(Leak(i, splits[i], None, 1.0))
    verdict.leak = bool(verdict.leaks)
    return verdict


def _past_moved(
    clean: list[Tracked], new: list[Tracked], floors: list[float], sample: int, split: int
) -> bool:
    for out, other, floor in zip(clean, new, floors, strict=False):
        mask = changed(out.tensor, other.tensor, floor)
        if mask is None:
            return True
        assert out.time_dim is not None
        past = mask.select(out.batch_dim, sample)
        time_dim = out.time_dim - (out.time_dim > out.batch_dim)
        if bool(past.narrow(time_dim, 0, split + 1).any()):
            return True
    return False
