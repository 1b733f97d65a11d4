"""NN912 cannot-overfit-batch: a copy of the model must be able to memorise a handful of its own samples.

The recipe: "overfit one batch" of as few as two examples, with Adam at 3e-4 and no regularisation, down to
the loss's floor. A model that cannot memorise eight samples has a bug that no amount of data or tuning fixes:
a broken forward, a loss fed the wrong tensor, labels that do not match the inputs. The training runs on a
clone of the weights (see replay.py), with dropout off and no weight decay, for a bounded number of steps.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import torch

from nnlint.finding import Finding, Severity
from nnlint.run.loss_at_init import terms
from nnlint.run.replay import Replay
from nnlint.run.sites import finding_at
from nnlint.run.thresholds import Thresholds
from nnlint.runtime.frames import Site
from nnlint.runtime.state import cloned_state, modes, swapped_in, unique
from nnlint.runtime_codes import declared

CODE, NAME = declared("NN912")


@dataclass
class Curve:
    """The loss of one memorisation run, step by step, and the lowest loss the targets allow."""

    losses: list[float]
    floor: float
    seconds: float
    zeroed: bool = False
    # The loss an uninformed model gives (ln(classes) for cross-entropy), when known: "near the floor" is
    # measured against it, so a run starting from a huge loss cannot pass by merely becoming ordinary.
    uninformed: float | None = None
    # The lowest loss an output that depends on no input reaches (input_free_floor), when known: a zeroed run
    # still falling towards it has not yet shown what the inputs add.
    input_free: float | None = None
    # The loss of the best constant output (prior_floor), when known.
    prior: float | None = None

    @property
    def start(self) -> float:
        return self.losses[0]

    @property
    def end(self) -> float:
        return self.losses[-1]

    @property
    def finite(self) -> bool:
        return all(math.isfinite(value) for value in self.losses)

    def near_floor(self, tolerance: float) -> bool:
        """Whether the run closed all but `tolerance` of the gap between its start and the floor."""
        reference = min(self.start, self.uninformed) if self.uninformed is not None else self.start
        return self.finite and self.end - self.floor <= tolerance * max(reference - self.floor, 0.0)

    def still_falling(self) -> bool:
        """Whether the last quarter of the run still closed a tenth of the remaining gap: not a plateau.

        A healthy but slow learner (a small model, a saturating loss) is still descending when the step
        budget ends; a broken one has flattened out. Only the second is a finding.
        """
        if len(self.losses) < 8 or not self.finite:
            return False
        before = self.losses[(3 * len(self.losses)) // 4]
        return before - self.end > 0.1 * max(before - self.floor, 0.0)


def floor(replay: Replay, indices: torch.Tensor) -> float:
    """The lowest loss the chosen targets allow, for the loss's reduction: 0, except for soft or
    label-smoothed targets, whose entropy is the floor of each term (times the terms, for a sum)."""
    loss = replay.loss
    target = replay.targets(indices)
    if not isinstance(target, torch.Tensor):
        return 0.0
    per_term = _floor_per_term(replay, target)
    if per_term and loss.arguments.get("reduction", "mean") == "sum" and not replay.returns_loss:
        return per_term * (terms(loss, target) or 1)
    return per_term


def input_free_floor(replay: Replay, indices: torch.Tensor) -> float | None:
    """The lowest mean cross-entropy of an output that sees no input, for class-index targets: it may still
    depend on the position (a positional embedding, a recurrence from a zero state), so it is the entropy of
    the chosen samples' targets at each position, averaged. None for other losses and targets, for a sum, and
    for ignored targets (their positions hold fewer terms)."""
    target = _class_targets(replay, indices)
    if target is None:
        return None
    # One row per position, one column per sample, in the order rows() laid the samples out.
    flat = target.reshape(len(indices), -1).T if replay.batch_dim == 0 else target.reshape(-1, len(indices))
    return sum(_entropy(labels) for labels in flat.tolist()) / max(len(flat), 1)


def prior_floor(replay: Replay, indices: torch.Tensor) -> float | None:
    """The mean cross-entropy of the best constant output: the entropy of the chosen samples' targets pooled
    over every position (the label prior; a language model's unigram). Every healthy model learns it first, an
    output bias alone reaches it, and a model that cannot get there in the budget has flattened on a broken
    loss or forward. None where `input_free_floor` is None."""
    target = _class_targets(replay, indices)
    return None if target is None else _entropy(target.reshape(-1).tolist())


def _class_targets(replay: Replay, indices: torch.Tensor) -> torch.Tensor | None:
    """The chosen class-index targets of a mean cross-entropy or NLL the loss of whose output nnlint computes,
    every one counted (no weights, smoothing or ignored targets); else None."""
    loss = replay.loss
    target = replay.targets(indices)
    if (
        loss.name not in ("cross_entropy", "nll_loss")
        or replay.returns_loss
        or not isinstance(target, torch.Tensor)
        or target.is_floating_point()
        or float(loss.arguments.get("label_smoothing", 0.0)) > 0
        or loss.arguments.get("reduction", "mean") != "mean"
        or loss.arguments.get("weight") is not None
        or bool((target == int(loss.arguments.get("ignore_index", -100))).any())
        or target.numel() % len(indices)
    ):
        return None
    return target


def _entropy(labels: list[int]) -> float:
    counts = torch.tensor(list(Counter(labels).values()), dtype=torch.float64)
    probs = counts / counts.sum()
    return float(-(probs * probs.log()).sum())


def _floor_per_term(replay: Replay, target: torch.Tensor) -> float:
    loss = replay.loss
    if loss.name == "cross_entropy":
        smoothing = float(loss.arguments.get("label_smoothing", 0.0))
        if target.is_floating_point():  # class probabilities: the floor is their entropy
            probs = target.float().clamp_min(1e-12)
            return float(-(probs * probs.log()).sum(dim=1 if probs.ndim > 1 else 0).mean())
        classes = int(loss.input.shape[1] if loss.input.ndim >= 2 else loss.input.shape[0])
        if smoothing <= 0:
            return 0.0
        high, low = 1 - smoothing + smoothing / classes, smoothing / classes
        return float(-(high * math.log(high) + (classes - 1) * low * math.log(low)))
    if (
        loss.name in ("binary_cross_entropy", "binary_cross_entropy_with_logits")
        and target.is_floating_point()
    ):
        p = target.float().clamp(1e-12, 1 - 1e-12)
        return float(-(p * p.log() + (1 - p) * (1 - p).log()).mean())
    return 0.0


def fit(
    replay: Replay,
    indices: torch.Tensor,
    thresholds: Thresholds,
    zeroed: bool = False,
    steps: int | None = None,
    uninformed: float | None = None,
) -> Curve:
    """Train cloned weights on the chosen samples with Adam, recording the loss before every update.

    Without `steps`, training stops once the loss is near its floor (or at the step or time limit).
    """
    state = cloned_state(replay.model, trainable=True)
    trainable = [tensor for tensor in unique(state) if tensor.requires_grad]
    optimizer = torch.optim.Adam(trainable, lr=thresholds.overfit_lr)
    limit = thresholds.overfit_steps if steps is None else steps
    lowest = floor(replay, indices)
    losses: list[float] = []
    started = time.perf_counter()
    # The cloned weights stay swapped in through each backward, which gradient checkpointing recomputes in.
    swap = swapped_in(replay.model, state)
    with modes(replay.model, replay.call.training, dropout=False), torch.enable_grad(), swap:
        for step in range(limit + 1):
            loss = replay.compute(state, indices, zeroed)
            loss = loss.mean() if loss.ndim else loss
            losses.append(float(loss.detach()))
            curve = Curve(losses, lowest, time.perf_counter() - started, zeroed, uninformed)
            done = step == limit or (
                step and steps is None and curve.near_floor(thresholds.overfit_tolerance)
            )
            if done or not curve.finite or curve.seconds > thresholds.overfit_seconds:
                return curve
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    raise AssertionError("unreachable: the loop returns at its last step")


def check(
    curve: Curve, samples: int, thresholds: Thresholds, site: Site | None, fallback: Site
) -> list[Finding]:
    """The finding for a run that flattened (or blew up) far from the floor; a still-falling run is none."""
    if curve.near_floor(thresholds.overfit_tolerance) or curve.still_falling():
        return []
    evidence: dict[str, Any] = {
        "samples": samples,
        "steps": len(curve.losses) - 1,
        "start": round(curve.start, 4),
        "end": round(curve.end, 4),
        "floor": round(curve.floor, 4),
    }
    how = f"{samples} samples of the first batch with Adam {thresholds.overfit_lr:g} and no dropout"
    if not curve.finite:
        message = f"memorising {how}, the loss became {curve.end} after {len(curve.losses) - 1} steps"
    else:
        message = (
            f"memorising {how} took the loss only from {curve.start:.3f} to {curve.end:.3f} in "
            f"{len(curve.losses) - 1} steps (floor {curve.floor:.3f}): the forward, the loss or the labels "
            "are wrong"
        )
    return [finding_at(site, fallback, CODE, NAME, message, Severity.WARNING, evidence=evidence)]
