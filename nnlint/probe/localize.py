"""Localization, run only after a positive: the first step whose output changes where it must not.

Run the captured model on the clean probe batch and on a copy where only the leaking input was changed (one
sample for batch mixing; one sample's future for causal leakage), then walk the steps in order. A step is
judged on the dims it has: a dim whose size is the probe batch (a prime chosen to differ from every other
size) is a batch dim, one whose size is the sequence length is a time dim. An entry "belongs" to the perturbed
sample when any batch-sized coordinate points at it, and lies in the past when every time-sized coordinate is
at or before the split; attention scores (T x T) and coincidental sizes are then judged correctly without
knowing which dim is which. Steps with no such dim cannot be judged and are skipped; when the first violation
is fed by such a step that shrank a judged tensor (a mean over the batch, say), that reduction is the cause.
"""

from __future__ import annotations

import linecache
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from nnlint.probe.capture import INPUT, Capture, Frame, Step, captures
from nnlint.probe.cause import mask_lookahead
from nnlint.probe.perturb import changed
from nnlint.probe.prepare import ProbeBatch
from nnlint.runtime.frames import innermost_own


@dataclass
class BatchRule:
    """Perturbed sample `sample`: entries of every other sample must not change."""

    sample: int
    size: int

    def dims(self, tensor: torch.Tensor) -> list[int]:
        return [d for d, n in enumerate(tensor.shape) if n == self.size]

    def violated(self, mask: torch.Tensor) -> bool:
        others = mask.clone()
        for dim in self.dims(mask):
            others.narrow(dim, self.sample, 1).fill_(False)
        return bool(others.any())


@dataclass
class CausalRule:
    """Perturbed steps after `last` (of one sample): entries at or before `last` must not change."""

    last: int
    size: int
    shift: int | None = None  # how far ahead an output may see; with it, a wrongly built mask is the cause

    def dims(self, tensor: torch.Tensor) -> list[int]:
        return [d for d, n in enumerate(tensor.shape) if n == self.size]

    def violated(self, mask: torch.Tensor) -> bool:
        if self.last < 0:
            return False
        past = mask
        for dim in self.dims(mask):
            past = past.narrow(dim, 0, self.last + 1)
        return bool(past.any())


Rule = BatchRule | CausalRule


@dataclass
class Localization:
    """Where a leak first shows, and how we know. `frames` is the call chain, outermost first."""

    filename: str | None = None
    line: int | None = None
    code: str = ""
    op: str = ""
    module: str | None = None
    method: str | None = None
    reason: str = ""
    frames: tuple[Frame, ...] = ()
    attempts: list[str] = field(default_factory=list)
    # Set when the line above is the cause (a layer's or a mask's construction) and not where the leak first
    # shows: that first symptom, as a related location.
    symptom: Frame | None = None
    symptom_code: str = ""

    def blame(self, frame: Frame, why: str) -> None:
        """Make `frame` the finding's line, keeping where the leak first shows as the symptom."""
        if self.filename and self.line and (self.filename, self.line) != frame:
            self.symptom, self.symptom_code = (self.filename, self.line), self.code
        self.filename, self.line = frame
        self.code = linecache.getline(frame[0], frame[1]).strip()
        self.reason = why

    @property
    def found(self) -> bool:
        return self.line is not None


def localize(model: nn.Module, batch: ProbeBatch, rule: Rule, perturbed: list[Any]) -> Localization:
    """Try each capture method until one reproduces the leak and names a step."""
    result = Localization()
    for capture in captures(model, batch):
        if isinstance(capture, str):
            result.attempts.append(capture)
            continue
        try:
            clean = capture.record(batch.fresh_leaves())
            other = capture.record(perturbed)
        except Exception as error:  # a graph that cannot run the probe batch: try the next method
            result.attempts.append(f"{capture.method}: running the graph raised {type(error).__name__}")
            continue
        hit = first_violation(clean, other, rule)
        if hit is None:
            result.attempts.append(f"{capture.method}: no step reproduced the leak")
            continue
        index, reason = hit
        _fill(result, clean[index], capture, reason)
        if isinstance(rule, CausalRule) and rule.shift is not None:
            mask = _built_mask(clean[:index], rule)
            if mask is not None:
                result.blame(*mask)
        return result
    return result


def _built_mask(steps: list[Step], rule: CausalRule) -> tuple[Frame, str] | None:
    """The line (in the user's code) of the latest step before the leak that built a square step-by-step mask,
    when its triangle lets step t see more than allowed: an off-by-one `triu`/`tril` computed in forward.
    A correct latest mask means the mask is not the cause: nothing is blamed."""
    for step in reversed(steps):
        frame = innermost_own(step.frames)
        if frame is None or step.op == INPUT:
            continue
        for tensor in step.outputs:
            if tensor.dim() != 2 or tensor.shape[0] != rule.size:
                continue
            lookahead = mask_lookahead(tensor, rule.size)
            if lookahead is None:
                continue
            if lookahead > rule.shift:
                return frame, f"the mask built here lets step t see {lookahead} step(s) ahead"
            return None
    return None


def exercised_lines(model: nn.Module, batch: ProbeBatch) -> tuple[set[Frame], str | None]:
    """Source lines the model's forward passes through, from the first capture method that works."""
    for capture in captures(model, batch):
        if isinstance(capture, Capture):
            return capture.exercised(), capture.method
    return set(), None


def first_violation(clean: list[Step], other: list[Step], rule: Rule) -> tuple[int, str] | None:
    """Index of the step to blame and why, or None when no step changes where it must not."""
    judged: dict[int, bool | None] = {}
    for index, (before, after) in enumerate(zip(clean, other, strict=False)):
        if not before.same_call(after):  # a branch went the other way (a value alone may differ freely)
            return _last_decision(clean, index), "control flow depends on the changed input here"
        verdicts = [_judge(a, b, rule) for a, b in zip(before.outputs, after.outputs, strict=True)]
        if any(v is True for v in verdicts):
            return _blame(
                clean, other, judged, index, rule
            ), "first step whose output changes where it must not"
        judged[index] = False if any(v is False for v in verdicts) else None
    if len(clean) != len(other):
        return _last_decision(
            clean, min(len(clean), len(other))
        ), "control flow depends on the changed input here"
    return None


def _judge(before: torch.Tensor, after: torch.Tensor, rule: Rule) -> bool | None:
    """True: changed where it must not; False: judged clean; None: no batch or time dim to judge by."""
    if not rule.dims(before):
        return None
    mask = changed(before, after)
    if mask is None:
        return True
    return rule.violated(mask)


def _last_decision(steps: list[Step], before: int) -> int:
    """The last Python-value decision (`if tensor...`, `.item()`) before a divergence, else the divergence."""
    for index in range(min(before, len(steps)) - 1, -1, -1):
        if steps[index].value is not None:
            return index
    return min(before, len(steps) - 1)


def _blame(
    clean: list[Step], other: list[Step], judged: dict[int, bool | None], index: int, rule: Rule
) -> int:
    """Walk back from the first violation through unjudgeable steps that changed; a reduction that dropped
    the batch (or time) dim on the way is where samples (or steps) were mixed. Graph steps without a stack
    trace (torch.export's wrapper around a no_grad block) are reported through the nearest step that has one.
    """
    blamed = earliest = index
    pending = [(index, index)]
    visited = set()
    while pending:
        current, framed = pending.pop()
        for source in clean[current].inputs:
            if (
                source in visited
                or judged.get(source) is not None
                or not _moved(clean[source], other[source])
            ):
                continue
            visited.add(source)
            nearest = source if clean[source].frames else framed
            if source < earliest and _reduces(clean, source, rule):
                earliest, blamed = source, nearest
            pending.append((source, nearest))
    return blamed


def _moved(before: Step, after: Step) -> bool:
    masks = [changed(a, b) for a, b in zip(before.outputs, after.outputs, strict=True)]
    return any(mask is None or bool(mask.any()) for mask in masks)


def _reduces(steps: list[Step], index: int, rule: Rule) -> bool:
    """A step whose inputs had a batch/time dim and whose smaller output has none."""
    largest_out = max((t.numel() for t in steps[index].outputs), default=0)
    return any(
        rule.dims(t) and t.numel() > largest_out
        for source in steps[index].inputs
        for t in steps[source].outputs
    )


def _fill(result: Localization, step: Step, capture: Capture, reason: str) -> None:
    result.method = capture.method
    result.op = step.op
    result.module = step.module
    result.reason = reason
    result.frames = step.frames
    # The innermost frame of the user's own code: a replaced forward of a library layer, not the library
    # helper it calls; a helper function, not its caller (eager frames keep helpers).
    frame = innermost_own(step.frames)
    if frame is not None:
        result.filename, result.line = frame
        result.code = linecache.getline(result.filename, result.line).strip()
