"""Causal leakage: does the output at step t depend on inputs after t + shift?

One backward tests b split points at once: sample i carries random cotangents on its outputs at steps
<= t_i, and any gradient at its inputs after t_i + shift is a leak. Samples are independent (the batch test
ran first), so the splits do not interfere; when they are not, each split gets its own backward. The splits
are the boundaries (0 and the last step that still has a future), the middle, and random steps.
`thorough` instead computes the whole T x T dependency matrix, b rows per backward.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from nnlint.probe.batch import RTOL
from nnlint.probe.errors import ProbeError
from nnlint.probe.forward import GradientRun

# Sequences up to this length get the full step-by-step matrix after a leak, for the terminal drawing.
MATRIX_STEPS = 24


@dataclass
class Leak:
    """Sample `sample`, split at step `split`: outputs up to `split` see input step `furthest` (None when
    perturbation found the leak and cannot say how far it reaches)."""

    sample: int
    split: int
    furthest: int | None
    magnitude: float


@dataclass
class CausalVerdict:
    method: str
    passes: int
    leak: bool
    steps: int
    shift: int
    splits: list[int]
    leaks: list[Leak] = field(default_factory=list)
    # How many steps past itself the worst output sees (None: unknown, e.g. from perturbation).
    lookahead: int | None = None
    matrix: list[list[float]] | None = None


def choose_splits(steps: int, shift: int, count: int, generator: torch.Generator) -> list[int]:
    """Boundaries, the middle, then random distinct steps; repeated when the sequence is short."""
    last = min(steps - 1, steps - 2 - shift)  # some input must lie after last + shift
    if last < 0:
        raise ProbeError(
            f"A sequence of {steps} steps is too short to test causality with shift {shift}; "
            "give longer inputs."
        )
    picks: list[int] = []
    for step in [0, last, last // 2, *torch.randperm(last + 1, generator=generator).tolist()]:
        if step not in picks:
            picks.append(step)
    return [picks[k % len(picks)] for k in range(count)]


def split_weights(b: int, steps: int, splits: list[int], packed: bool) -> list[torch.Tensor]:
    """Cotangent weights of the split test: sample i weighs its outputs up to splits[i]; one set in all, or
    one per sample when samples are not independent."""
    groups = [list(range(b))] if packed else [[i] for i in range(b)]
    sets = []
    for group in groups:
        weights = torch.zeros(b, steps)
        for i in group:
            weights[i, : splits[i] + 1] = 1.0
        sets.append(weights)
    return sets


def gradient_test(
    run: GradientRun,
    steps: int,
    shift: int,
    splits: list[int],
    packed: bool,
    generator: torch.Generator,
    thorough: bool = False,
    found: list[torch.Tensor] | None = None,
) -> CausalVerdict | None:
    """Split-point (or, thorough, full-matrix) causality test; None when gradients see nothing at all.

    `found`: the split test's result when the caller already ran it (batched with the batch test's passes).
    """
    verdict = CausalVerdict("gradient", 0, False, steps, shift, splits)
    if thorough:
        matrix, samples = _rows(run, list(range(steps)), packed, generator, verdict)
        if not bool((matrix > 0).any()):
            return None
        _read_matrix(verdict, matrix, samples)
        return verdict
    if found is None:
        found = run.reach(split_weights(run.b, steps, splits, packed), generator)
    # Row i of the result: sample i, read from the pass that carried it.
    reach = torch.stack([found[0][i] if packed else found[i][i] for i in range(run.b)])
    verdict.passes += len(found)
    if not bool((reach > 0).any()):
        return None
    tolerance = RTOL * float(reach.max())
    for i, split in enumerate(splits):
        future = (reach[i, split + shift + 1 :] > tolerance).nonzero()
        if len(future):
            furthest = split + shift + 1 + int(future.max())
            verdict.leaks.append(Leak(i, split, furthest, float(reach[i, furthest] / reach[i].max())))
    verdict.leak = bool(verdict.leaks)
    if verdict.leak:
        # Exact rows for the evidence: the whole matrix for short sequences, else the leaking split points.
        outputs = (
            list(range(steps)) if steps <= MATRIX_STEPS else sorted({leak.split for leak in verdict.leaks})
        )
        matrix, _ = _rows(run, outputs, packed, generator, verdict)
        if steps <= MATRIX_STEPS:
            verdict.matrix = _relative(matrix).tolist()
        verdict.lookahead = _lookahead(matrix, outputs)
    return verdict


def _rows(
    run: GradientRun, outputs: list[int], packed: bool, generator: torch.Generator, verdict: CausalVerdict
) -> tuple[torch.Tensor, list[int]]:
    """Dependency row of each output step, and the sample each row was read on: b rows per backward when
    samples are independent, else one."""
    per_pass = run.b if packed else 1
    chunks = [outputs[start : start + per_pass] for start in range(0, len(outputs), per_pass)]
    weight_sets = []
    for chunk in chunks:
        weights = torch.zeros(run.b, verdict.steps)
        for i, step in enumerate(chunk):
            weights[i, step] = 1.0
        weight_sets.append(weights)
    found = run.reach(weight_sets, generator)
    verdict.passes += len(chunks)
    samples = [i for chunk in chunks for i in range(len(chunk))]
    rows = [found[k][i] for k, chunk in enumerate(chunks) for i in range(len(chunk))]
    return torch.stack(rows), samples


def _read_matrix(verdict: CausalVerdict, matrix: torch.Tensor, samples: list[int]) -> None:
    """Thorough mode: every output step is a split point of its own."""
    tolerance = RTOL * float(matrix.max())
    for step in range(verdict.steps):
        future = (matrix[step, step + verdict.shift + 1 :] > tolerance).nonzero()
        if len(future):
            furthest = step + verdict.shift + 1 + int(future.max())
            magnitude = float(matrix[step, furthest] / matrix[step].max())
            verdict.leaks.append(Leak(samples[step], step, furthest, magnitude))
    verdict.splits = list(range(verdict.steps))
    verdict.leak = bool(verdict.leaks)
    verdict.matrix = _relative(matrix).tolist()
    verdict.lookahead = _lookahead(matrix, list(range(verdict.steps))) if verdict.leak else None


def _relative(matrix: torch.Tensor) -> torch.Tensor:
    return matrix / matrix.amax(1, keepdim=True).clamp_min(torch.finfo(torch.float32).tiny)


def _lookahead(matrix: torch.Tensor, outputs: list[int]) -> int:
    """The largest p - t over output steps t and input steps p with a dependency."""
    tolerance = RTOL * float(matrix.max())
    ahead = 0
    for row, step in zip(matrix, outputs, strict=True):
        seen = (row > tolerance).nonzero()
        if len(seen):
            ahead = max(ahead, int(seen.max()) - step)
    return ahead
