"""NN915 update-ratio: how far one optimizer step moves the weights, relative to their size.

CS231n: "the ratio of the update magnitudes to the value magnitudes ... should be somewhere around 1e-3".
Much lower and the model barely learns (learning rate too low, or gradients vanish); much higher and it
thrashes (learning rate too high; with SGD at lr=10 the first step rewrites the weights). Measured per
parameter group, over the real steps of the real optimizer: ||w_after - w_before|| / ||w_before||.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import median

import torch

from nnlint.finding import Finding, Severity
from nnlint.run.sites import finding_at
from nnlint.run.thresholds import Thresholds
from nnlint.runtime.frames import Site
from nnlint.runtime_codes import declared

CODE, NAME = declared("NN915")
# Optimizers whose first step moves every weight by about the learning rate (updates normalised by running
# gradient statistics), so a single first step overstates the steps that follow.
ADAPTIVE_OPTIMIZERS = frozenset(
    {"Adam", "AdamW", "Adamax", "NAdam", "RAdam", "Adadelta", "Adagrad", "RMSprop", "SparseAdam", "Adafactor"}
)

Snapshot = list[list[torch.Tensor | None]]


@dataclass
class GroupRatios:
    """One parameter group's ratios, one per observed step, and per parameter for the first step."""

    index: int
    lr: float | None
    adaptive: bool = False  # the optimizer scales each update by running gradient statistics
    steps: list[float] = field(default_factory=list)
    per_param: dict[int, float] = field(default_factory=dict)  # id(param) -> ratio at the first step


def snapshot(optimizer: torch.optim.Optimizer) -> Snapshot:
    """Copies of the weights the step is about to change (parameters with a gradient)."""
    return [
        [p.detach().clone() if p.grad is not None else None for p in group["params"]]
        for group in optimizer.param_groups
    ]


def measure(optimizer: torch.optim.Optimizer, before: Snapshot, groups: list[GroupRatios]) -> None:
    """Add this step's ratios to `groups` (created on the first call)."""
    for index, (group, old) in enumerate(zip(optimizer.param_groups, before, strict=True)):
        if len(groups) <= index:
            lr = group.get("lr")
            groups.append(
                GroupRatios(
                    index,
                    float(lr) if isinstance(lr, (int, float, torch.Tensor)) else None,
                    adaptive=type(optimizer).__name__ in ADAPTIVE_OPTIMIZERS,
                )
            )
        update_sq = weight_sq = 0.0
        first = not groups[index].steps
        for param, previous in zip(group["params"], old, strict=True):
            if previous is None:
                continue
            delta = float((param.detach() - previous).float().norm()) ** 2
            size = float(previous.float().norm()) ** 2
            update_sq, weight_sq = update_sq + delta, weight_sq + size
            if first and size > 0:
                groups[index].per_param[id(param)] = math.sqrt(delta / size)
        if weight_sq > 0:  # all-zero weights (fresh biases) have no ratio
            groups[index].steps.append(math.sqrt(update_sq / weight_sq))


def check(
    groups: list[GroupRatios], thresholds: Thresholds, site: Site | None, fallback: Site
) -> list[Finding]:
    findings = []
    for group in groups:
        if not group.steps:
            continue
        ratio = median(group.steps)
        high = thresholds.update_ratio_high
        if group.adaptive and len(group.steps) == 1:
            high = max(high, thresholds.update_ratio_high_first_adaptive)
        if thresholds.update_ratio_low <= ratio <= high:
            continue
        direction = "too large: lower" if ratio > high else "too small: raise"
        lr = f"lr={group.lr:g}" if group.lr is not None else "its learning rate"
        steps = "the first step" if len(group.steps) == 1 else f"the median of {len(group.steps)} steps"
        message = (
            f"parameter group {group.index} moves {ratio:.2g} of its weight norm per step ({steps}, {lr}); "
            f"about 1e-3 is healthy, so the step is {direction} the learning rate"
        )
        evidence = {"group": group.index, "ratio": float(f"{ratio:.3g}"), "lr": group.lr}
        findings.append(finding_at(site, fallback, CODE, NAME, message, Severity.WARNING, evidence=evidence))
    return findings
