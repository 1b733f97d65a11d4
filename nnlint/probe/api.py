"""The Python API: probe a model from a test suite, or a factory target from `nnlint check --probe`.

report = nnlint.probe(model, tokens, causal=True)
assert report.clean, report.text()

def test_model_is_causal():
    nnlint.assert_causal(build_model(), torch.randint(0, 100, (4, 32)))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import nn

from nnlint.probe.pipeline import Options, run_probe
from nnlint.probe.report import ProbeReport
from nnlint.probe.target import ProbeSpec, build_spec, normalise_inputs, override, synthetic_inputs

__all__ = ["ProbeReport", "assert_batch_independent", "assert_causal", "probe", "probe_target"]


def probe(
    model: nn.Module,
    inputs: Any,
    *,
    causal: bool = False,
    batch_dim: int = 0,
    time_dim: int = 1,
    shift: int = 0,
    device: str | None = "auto",
    train_mode: bool = False,
    thorough: bool = False,
    localize: bool = True,
    causal_inputs: Sequence[int | str] | None = None,
) -> ProbeReport:
    """Probe `model` on `inputs` (a tensor, a tuple of positional inputs, or a dict of keyword inputs).

    The model is left exactly as it was found. `causal` also tests that the output at step t depends on no
    input after t + `shift` along `time_dim`. `device="auto"` keeps a model that is already on an
    accelerator there and otherwise uses a GPU when one is present; pass "cpu" to stay on the CPU.
    `causal_inputs` names the autoregressive inputs (positions or keywords, e.g. `["tgt"]` for a seq2seq
    model); the others are context the output may see whole. HF encoder-decoders called with
    `decoder_input_ids` are recognised without it.
    Raises `nnlint.probe.errors.ProbeError` for inputs the model cannot run.
    """
    args, kwargs = normalise_inputs(inputs)
    spec = ProbeSpec(
        model,
        args,
        kwargs,
        batch_dim,
        time_dim,
        causal,
        shift,
        name=type(model).__name__,
        causal_inputs=tuple(causal_inputs) if causal_inputs is not None else None,
    )
    options = Options(device=device, train_mode=train_mode, thorough=thorough, localize=localize)
    return run_probe(spec, options)


def assert_batch_independent(model: nn.Module, inputs: Any, **options: Any) -> ProbeReport:
    """Fail (AssertionError with the probe's report) when any output sample depends on another sample."""
    report = probe(model, inputs, **options)
    if report.batch_mixing:
        raise AssertionError("samples mix across the batch\n" + report.text())
    if report.inconclusive:
        raise AssertionError("the probe could not tell\n" + report.text())
    return report


def assert_causal(model: nn.Module, inputs: Any, **options: Any) -> ProbeReport:
    """Fail (AssertionError with the probe's report) when an output sees inputs from its future."""
    report = probe(model, inputs, causal=True, **options)
    if report.causal_leakage:
        raise AssertionError("the model sees the future\n" + report.text())
    if report.inconclusive:
        raise AssertionError("the probe could not tell\n" + report.text())
    return report


def probe_target(
    target: str,
    *,
    input_shapes: Sequence[Sequence[int]] | None = None,
    dtype: str | None = None,
    vocab_size: int | None = None,
    device: str | None = "auto",
    train_mode: bool = False,
    thorough: bool = False,
    localize: bool = True,
    exercised: bool = True,
    **overrides: Any,
) -> ProbeReport:
    """Probe the model a factory target builds (`path/to/file.py:build` or `package.module:build`).

    `overrides` (`causal`, `batch_dim`, `time_dim`, `shift`) replace what the factory returned; None keeps
    the factory's value. Inputs come from the factory, else from `input_shapes` (+ `dtype`/`vocab_size`).

    Contract with `nnlint check --probe` (static findings the probe can settle: NN101, NN102, NN601):
    - `report.findings()` are the probe's own findings (NN901, NN902), same schema as check's.
    - `report.confirmed_lines()` lists (filename, line) for each leak the probe localized: a static finding
      at that line is `confirmed`.
    - `report.exercised` (collected because `exercised=True`) is the set of (filename, line) pairs the
      probed forward passed through, read from the captured graph's stack traces (every user frame of the
      call chain, not only the innermost); `report.exercised_method` names the capture. A static finding at
      an exercised line that is not confirmed was run by the probe and found harmless: `refuted`. A line
      outside this set says nothing either way.
    - Filenames are absolute and normalised with `os.path.abspath`; compare after normalising the static
      finding's path the same way.
    Raises `nnlint.probe.errors.ProbeError` with a one-paragraph message for bad input.
    """
    spec = override(build_spec(target), **overrides)
    if spec.args is None and input_shapes:
        spec.args, spec.kwargs = synthetic_inputs(input_shapes, dtype, vocab_size), {}
    options = Options(
        device=device, train_mode=train_mode, thorough=thorough, localize=localize, exercised=exercised
    )
    return run_probe(spec, options)
