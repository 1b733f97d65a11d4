"""Batch mixing: does output sample i depend on input sample j != i?

Group testing instead of one backward per sample: each sample gets a distinct code of m bits with exactly
m//2 ones, and pass k puts random cotangents on the samples whose code has bit k set. Two different codes of
the same weight are never contained in one another, so for every ordered pair (i, j) some pass carries i's
output but not j's, and any gradient reaching j in that pass means i depends on j. m is the smallest width
with C(m, m//2) >= b: 4 passes for 5 samples, 5 for 7 (a per-sample loop needs b, the plain two-sided bit
split 2*ceil(log2 b)).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from math import comb

import torch

from nnlint.probe.forward import GradientRun

# Dependencies through the graph are exact zeros; this only guards against rounding in exotic kernels.
RTOL = 1e-6


@dataclass
class BatchVerdict:
    """The batch-independence result. `matrix[i][j]`: how strongly output sample i depends on input j,
    relative to its dependence on itself (filled in only when samples mix)."""

    method: str
    passes: int
    mixing: bool
    matrix: list[list[float]] | None = None
    leaks: list[tuple[int, int, float]] = field(default_factory=list)

    def leaking_source(self) -> int:
        """The input sample that reaches the most other samples: the one to perturb when localizing."""
        counts: dict[int, int] = {}
        for _, source, _ in self.leaks:
            counts[source] = counts.get(source, 0) + 1
        return max(counts, key=lambda j: counts[j]) if counts else 0


def group_passes(b: int) -> list[list[bool]]:
    """For each pass, which samples carry cotangents (see the module docstring)."""
    m = 1
    while comb(m, m // 2) < b:
        m += 1
    codes = list(combinations(range(m), m // 2))[:b]
    return [[k in codes[i] for i in range(b)] for k in range(m)]


def weight_sets(b: int) -> list[torch.Tensor]:
    """The per-sample cotangent weights of the group-testing passes."""
    return list(torch.tensor(group_passes(b)).float())


def gradient_test(
    run: GradientRun, generator: torch.Generator, found: list[torch.Tensor] | None = None
) -> BatchVerdict | None:
    """Group-tested batch independence; None when gradients cannot see every sample's own input.

    `found`: the passes' results when the caller already ran them (batched with the causal test's pass)."""
    passes = torch.tensor(group_passes(run.b))
    reach = torch.stack(found if found is not None else run.reach(weight_sets(run.b), generator))
    seen = torch.where(passes, reach, 0.0).amax(0)
    crossed = torch.where(passes, 0.0, reach).amax(0)
    if not bool((seen > 0).all()):
        return None
    mixing = bool((crossed > RTOL * seen.max()).any())
    verdict = BatchVerdict("gradient", len(passes), mixing)
    if mixing:
        # The exact b x b matrix, one pass per output sample: evidence, paid only after a positive.
        record_matrix(verdict, torch.stack(run.reach(list(torch.eye(run.b)), generator)))
        verdict.passes += run.b
    return verdict


def record_matrix(verdict: BatchVerdict, matrix: torch.Tensor) -> None:
    """Store a raw dependency matrix normalised by each row's self-dependence, and list the leaks."""
    scale = matrix.max().clamp_min(torch.finfo(torch.float32).tiny)
    self_dependence = matrix.diagonal().clamp_min(RTOL * scale).unsqueeze(1)
    relative = matrix / self_dependence
    verdict.matrix = relative.tolist()
    verdict.leaks = [
        (i, j, float(relative[i, j]))
        for i in range(matrix.shape[0])
        for j in range(matrix.shape[1])
        if i != j and matrix[i, j] > RTOL * scale
    ]
