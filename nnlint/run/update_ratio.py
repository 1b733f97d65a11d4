"""NN915 update-ratio: how far one optimizer step moves the weights, relative to their size.

CS231n: "the ratio of the update magnitudes to the value magnitudes ... should be somewhere around 1e-3".
Much lower and the model barely learns (learning rate too low, or gradients vanish); much higher and it
thrashes (learning rate too high; with SGD at lr=10 the first step rewrites the weights). Measured per
weight tensor and per parameter group, over the real steps of the real optimizer:
||w_after - w_before|| / ||w_before||, judged by its median over the observed steps.

"Too small" is judged only on steps taken at the rate the schedule is heading for: a warm-up starts below it,
at 0 for the Hugging Face `Trainer` with `warmup_steps`/`warmup_ratio` (LambdaLR from 0), where the first step
moves nothing by design. Judged there, every such run was told to raise its learning rate.
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
from nnlint.vocabulary import ADAPTIVE_OPTIMIZERS

CODE, NAME = declared("NN915")

Snapshot = list[list[torch.Tensor | None]]


@dataclass
class GroupRatios:
    """One parameter group's ratios, one per observed step, and each parameter's, with the lr of each step."""

    index: int
    lr: float | None  # the lr of the first observed step (kept for the API; `lrs` has every step's)
    adaptive: bool = False  # the optimizer scales each update by running gradient statistics
    steps: list[float] = field(default_factory=list)
    lrs: list[float | None] = field(default_factory=list)
    # Per step: whether it ran below the rate its schedule starts from and returns to (a warm-up step).
    warming: list[bool] = field(default_factory=list)
    params: dict[int, list[float]] = field(default_factory=dict)  # id(param) -> its ratio at each step
    judged: set[int] = field(default_factory=set)  # ids of matrix-shaped params (judged one by one)

    @property
    def per_param(self) -> dict[int, float]:
        """Each parameter's median ratio (the statistic the check judges)."""
        return {key: median(values) for key, values in self.params.items()}

    @property
    def ratio(self) -> float:
        return median(self.steps)

    @property
    def settled(self) -> list[int]:
        """The indices of the steps taken at the scheduled rate, not during a warm-up."""
        return [i for i in range(len(self.steps)) if not (i < len(self.warming) and self.warming[i])]

    @property
    def settled_ratio(self) -> float:
        """The median ratio over the settled steps (call only when there are some)."""
        return median(self.steps[i] for i in self.settled)

    def lr_text(self, indices: list[int] | None = None) -> str:
        lrs = self.lrs if indices is None else [self.lrs[i] for i in indices]
        known = sorted({lr for lr in lrs if lr is not None})
        if not known:
            return "its learning rate"
        if len(known) == 1:
            return f"lr={known[0]:g}"
        return f"lr {lrs[0]:g} to {lrs[-1]:g} over the steps"


def snapshot(optimizer: torch.optim.Optimizer) -> Snapshot:
    """Copies of the weights the step is about to change (parameters with a gradient)."""
    return [
        [p.detach().clone() if p.grad is not None else None for p in group["params"]]
        for group in optimizer.param_groups
    ]


def _lr(group: dict, key: str = "lr") -> float | None:
    lr = group.get(key)
    return float(lr) if isinstance(lr, (int, float, torch.Tensor)) else None


def _warming(group: dict, reached: bool) -> bool:
    """Whether this step runs below the group's scheduled rate: at lr 0 (nothing can move), or, before any
    watched step ran at it (`reached`; after that a lower rate is a decay), below the `initial_lr` torch's
    schedulers record (LambdaLR, LinearLR and the Hugging Face warm-ups ramp up to it)."""
    lr, initial = _lr(group), _lr(group, "initial_lr")
    return lr is not None and (lr == 0.0 or (not reached and initial is not None and lr < initial))


def measure(optimizer: torch.optim.Optimizer, before: Snapshot, groups: list[GroupRatios]) -> None:
    """Add this step's ratios to `groups` (created on the first call), with the lr the step used."""
    for index, (group, old) in enumerate(zip(optimizer.param_groups, before, strict=True)):
        if len(groups) <= index:
            adaptive = type(optimizer).__name__ in ADAPTIVE_OPTIMIZERS
            groups.append(GroupRatios(index, _lr(group), adaptive=adaptive))
        ratios = groups[index]
        update_sq = weight_sq = 0.0
        for param, previous in zip(group["params"], old, strict=True):
            if previous is None:
                continue
            delta = float((param.detach() - previous).float().norm()) ** 2
            size = float(previous.float().norm()) ** 2
            update_sq, weight_sq = update_sq + delta, weight_sq + size
            if size > 0:
                ratios.params.setdefault(id(param), []).append(math.sqrt(delta / size))
                if param.dim() >= 2:
                    ratios.judged.add(id(param))
        if weight_sq > 0:  # all-zero weights (fresh biases) have no ratio
            ratios.steps.append(math.sqrt(update_sq / weight_sq))
            ratios.lrs.append(_lr(group))
            ratios.warming.append(_warming(group, reached=not all(ratios.warming)))


def check(
    groups: list[GroupRatios],
    thresholds: Thresholds,
    site: Site | None,
    fallback: Site,
    names: dict[int, str] | None = None,
) -> list[Finding]:
    """One finding per group whose step is too large or too small.

    Too large is judged per weight matrix (a head moving twice its size per step does not hide behind a
    large group); vectors (biases, norm scales) are judged only through their group, because a small bias
    moved by Adam's lr-sized first step shows a large ratio without harm. Too small is judged on the group:
    a single tensor can legitimately barely move (an embedding whose rows were not in the batch), and only
    over the steps at the scheduled rate (see `warming_up`).
    """
    names = names or {}
    findings = []
    for group in groups:
        if not group.steps:
            continue
        high = thresholds.update_ratio_high
        if group.adaptive and len(group.steps) == 1:
            high = max(high, thresholds.update_ratio_high_first_adaptive)
        medians = group.per_param
        weight_high = max(high, thresholds.update_ratio_high_weight)
        loud = sorted(
            ((medians[key], key) for key in group.judged if medians.get(key, 0.0) > weight_high), reverse=True
        )
        steps = "the first step" if len(group.steps) == 1 else f"the median of {len(group.steps)} steps"
        if loud:
            ratio, key = loud[0]
            what = names.get(key, f"a weight of parameter group {group.index}")
            others = f" ({len(loud)} of {len(group.judged)} weight tensors of group {group.index})"
            message = (
                f"{what} moves {ratio:.2g} of its norm per step{others if len(loud) > 1 else ''} ({steps}, "
                f"{group.lr_text()}); about 1e-3 is healthy, so the step is too large: lower the learning "
                "rate"
            )
        elif group.ratio > high:
            ratio = group.ratio
            message = (
                f"parameter group {group.index} moves {ratio:.2g} of its weight norm per step ({steps}, "
                f"{group.lr_text()}); about 1e-3 is healthy, so the step is too large: lower the learning "
                "rate"
            )
        elif group.settled and group.settled_ratio < thresholds.update_ratio_low:
            ratio, settled = group.settled_ratio, group.settled
            if len(settled) < len(group.steps):
                steps = f"the median of {len(settled)} step(s) past the warm-up"
            message = (
                f"parameter group {group.index} moves {ratio:.2g} of its weight norm per step ({steps}, "
                f"{group.lr_text(settled)}); about 1e-3 is healthy, so the step is too small: raise the "
                "learning rate"
            )
        else:
            continue
        evidence = {
            "group": group.index,
            "ratio": float(f"{ratio:.3g}"),
            "statistic": "median over steps" if len(group.steps) > 1 else "first step",
            "lr": group.lrs[-1] if group.lrs else group.lr,
        }
        if loud:
            evidence["parameter"] = names.get(loud[0][1])
        findings.append(finding_at(site, fallback, CODE, NAME, message, Severity.WARNING, evidence=evidence))
    return findings


def warming_up(groups: list[GroupRatios], thresholds: Thresholds) -> list[GroupRatios]:
    """The groups whose step looked too small but ran only during a warm-up: "too small" was not judged."""
    return [
        group
        for group in groups
        if group.steps and not group.settled and group.ratio < thresholds.update_ratio_low
    ]
