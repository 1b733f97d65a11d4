"""NN911 loss-at-init: the first loss against the value a freshly initialised model should give.

The recipe's first check: a softmax classifier that knows nothing predicts uniformly, so its cross-entropy is
ln(classes); binary cross-entropy starts at ln 2; a regression starts near the target variance (or the mean
square of the targets, when the model outputs about zero). A first loss far above that means the model is
confidently wrong before it has learned anything: a last layer initialised too large or with a large bias, or
inputs that were never normalised. A first loss far below it, on a model nobody trained, means the answer
leaked into the inputs (or the model was loaded pretrained, which is fine).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from nnlint.finding import Finding, Severity
from nnlint.run.capture import LossCall, ModelCall
from nnlint.run.sites import finding_at
from nnlint.run.thresholds import Thresholds
from nnlint.runtime.frames import Site
from nnlint.runtime_codes import declared

CODE, NAME = declared("NN911")
# Inputs whose mean or spread exceeds this were not standardised (raw 0-255 pixels, raw tabular units).
RAW_INPUT_SCALE = 5.0


@dataclass(frozen=True)
class Expectation:
    value: float  # the loss an uninformed model gives
    upper: float  # the highest loss still explained by an uninformed model (MSE: outputs near 0)
    why: str


def terms(loss: LossCall, target: Any = None) -> int | None:
    """How many terms a `reduction="sum"` loss adds up: targets not ignored for class indices, else elements
    (over the classes' dim for class probabilities)."""
    target = loss.target if target is None else target
    if not isinstance(target, torch.Tensor):
        return None
    if loss.name in ("cross_entropy", "nll_loss"):
        if target.is_floating_point():  # class probabilities: one term per sample (and position)
            source = loss.input
            classes = int(source.shape[1] if source.ndim >= 2 else source.shape[0])
            return max(target.numel() // max(classes, 1), 1)
        return int((target != int(loss.arguments.get("ignore_index", -100))).sum())
    return target.numel()


def expected(loss: LossCall) -> Expectation | None:
    """What an uninformed model's loss is, for losses where that is known, for every reduction: the mean
    value, times the number of terms for `reduction="sum"` (Hugging Face's losses normalised by
    `num_items_in_batch` sum first and divide afterwards)."""
    if loss.arguments.get("size_average") is not None or loss.arguments.get("reduce") is not None:
        return None
    mean = _expected_mean(loss)
    if mean is None or loss.arguments.get("reduction", "mean") != "sum":
        return mean
    count = terms(loss)
    if not count:
        return None
    why = f"{mean.why}, summed over {count} terms"
    return Expectation(mean.value * count, mean.upper * count, why)


def _expected_mean(loss: LossCall) -> Expectation | None:
    source, target = loss.input, loss.target
    if not isinstance(source, torch.Tensor) or not isinstance(target, torch.Tensor) or source.ndim == 0:
        return None
    if loss.name in ("cross_entropy", "nll_loss"):
        classes = int(source.shape[1] if source.ndim >= 2 else source.shape[0])
        if classes < 2:
            return None
        value = math.log(classes)
        return Expectation(value, value, f"ln({classes}) = {value:.3f} for {classes} classes")
    if loss.name in ("binary_cross_entropy", "binary_cross_entropy_with_logits"):
        return Expectation(math.log(2), math.log(2), "ln 2 = 0.693 for binary cross-entropy")
    if loss.name == "mse_loss" and target.is_floating_point() and target.numel() > 1:
        variance = float(target.float().var())
        mean_square = float(target.float().square().mean())
        if variance <= 0:
            return None
        return Expectation(variance, mean_square, f"the target variance {variance:.4g}")
    return None


def _input_scale(call: ModelCall | None) -> float:
    if call is None:
        return 0.0
    scales = [0.0]
    for value in (*call.args, *call.kwargs.values()):
        if isinstance(value, torch.Tensor) and value.is_floating_point() and value.numel() > 1:
            flat = value.detach().float()
            scales += [abs(float(flat.mean())), float(flat.std())]
    return max(scales)


def check(
    loss: LossCall, call: ModelCall | None, thresholds: Thresholds, fallback: Site
) -> tuple[list[Finding], dict[str, Any]]:
    """The NN911 finding (if any) and the numbers behind it."""
    expectation = expected(loss)
    value = float(loss.output.detach().float().mean())  # reduction="none": the mean of the terms
    stats: dict[str, Any] = {"loss": value, "function": loss.name}
    if expectation is None or not math.isfinite(value):
        return [], stats
    ratio = value / expectation.value
    stats.update(expected=expectation.value, ratio=ratio)
    evidence = {"loss": round(value, 4), "expected": round(expectation.value, 4), "ratio": round(ratio, 2)}
    if value > thresholds.loss_init_ratio * expectation.upper:
        scale = _input_scale(call)
        if scale > RAW_INPUT_SCALE:
            cause = f"the inputs look un-normalised (mean or std up to {scale:.3g}): standardise them"
        else:
            cause = (
                "the inputs look normalised, so the last layer is likelier: its weights or bias start too "
                "large (initialise it near zero, or its bias to the class prior)"
            )
        message = (
            f"first {loss.name} loss is {value:.3f}, {ratio:.1f}x the {expectation.value:.3f} an untrained "
            f"model should give ({expectation.why}): {cause}"
        )
        return [
            finding_at(loss.site, fallback, CODE, NAME, message, Severity.WARNING, evidence=evidence)
        ], stats
    if value < expectation.value / thresholds.loss_init_ratio:
        message = (
            f"first {loss.name} loss is {value:.3f}, only {ratio:.2f}x the {expectation.value:.3f} an "
            f"untrained model should give ({expectation.why}): the targets may leak into the inputs "
            "(expected if the model was loaded pretrained)"
        )
        return [finding_at(loss.site, fallback, CODE, NAME, message, Severity.INFO, evidence=evidence)], stats
    return [], stats
