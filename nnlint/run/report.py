"""What `nnlint run` prints: a short account of what it measured (stderr), then the findings (stdout).

The account says which model, batch and loss were caught and the numbers behind each check, including the
checks that passed or could not run, so a clean run is visibly a checked run and not a silent one.
"""

from __future__ import annotations

from typing import Any

import torch

from nnlint.run.capture import ModelCall
from nnlint.run.session import ModelResult, OptimizerResult, Session


def _shape(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"{tuple(value.shape)} {str(value.dtype).removeprefix('torch.')} on {value.device}"
    return type(value).__name__


def _batch(call: ModelCall | None) -> str:
    if call is None:
        return "no captured batch"
    parts = [_shape(arg) for arg in call.args] + [f"{key}={_shape(v)}" for key, v in call.kwargs.items()]
    return "batch " + ", ".join(parts)


def _model_lines(result: ModelResult, call: ModelCall | None) -> list[str]:
    lines = [f"  model {result.name}: {_batch(call)}"]
    for loss in result.losses:
        expected = (
            f" (expected {loss['expected']:.3f}, ratio {loss['ratio']:.2f})" if "expected" in loss else ""
        )
        lines.append(f"    loss at init: {loss['function']} = {loss['loss']:.4f}{expected}")
    if result.real is not None:
        real = result.real
        line = (
            f"    overfit: {real.start:.3f} -> {real.end:.3f} in {len(real.losses) - 1} steps "
            f"(floor {real.floor:.3f}, {real.seconds:.1f} s)"
        )
        if result.zeroed is not None:
            line += f"; zeroed inputs: {result.zeroed.start:.3f} -> {result.zeroed.end:.3f}"
        lines.append(line)
    if result.layers:
        worst = max(result.layers, key=lambda layer: layer.share)
        state = "dead" if worst.kind == "relu" else "saturated"
        lines.append(
            f"    activations: {len(result.layers)} activation layer(s) watched; worst {worst.name}: "
            f"{worst.share:.0%} of {worst.units} {worst.kind} units {state}"
        )
    if result.probe is not None:
        lines += [f"    {line.strip()}" for line in result.probe.summary_lines()]
    return lines


def _optimizer_lines(result: OptimizerResult) -> list[str]:
    # The statistic NN915 judges: the median over the steps, of the group and of its most-moved weight.
    ratios = ", ".join(
        f"group {g.index}: {g.ratio:.2g}"
        + (f" (largest weight {max(g.per_param.values()):.2g})" if g.params else "")
        for g in result.groups
        if g.steps
    )
    where = f" (built at {result.site})" if result.site else ""
    return [f"  optimizer {result.name}{where}: {result.steps} step(s); update/weight {ratios or 'n/a'}"]


def account(session: Session, target: str) -> str:
    """The human summary of a finished session."""
    capture = session.instrumentation
    how = "training went on (--continue)" if session.keep_going else "stopped the script"
    lines = [f"nnlint run {target}: checked at the first optimizer step, then {how}"]
    for key, result in session.models.items():
        model = capture.models.get(key)
        calls = [call for call in capture.calls if call.module is model]
        lines += _model_lines(result, calls[0] if calls else None)
    for result in session.optimizers.values():
        lines += _optimizer_lines(result)
    lines += [f"  note: {note}" for note in session.notes]
    if not session.findings:
        lines.append("  all checks passed")
    return "\n".join(lines) + "\n"
