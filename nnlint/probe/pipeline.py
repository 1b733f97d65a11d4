"""The probe from start to end: prepare, detect batch mixing, detect causal leakage, fall back to perturbation
where gradients are blind, localize what leaked, look at train mode if asked, and restore the model.
"""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from nnlint.probe import batch as batch_test
from nnlint.probe import causal as causal_test
from nnlint.probe import perturb
from nnlint.probe.batch import BatchVerdict
from nnlint.probe.capture import Frame
from nnlint.probe.causal import CausalVerdict
from nnlint.probe.cause import causal_cause
from nnlint.probe.errors import NoTimeDim, ProbeError
from nnlint.probe.forward import NO_BATCHED_OUTPUT, BlindGradients, GradientRun, gradient_run, out_of_memory
from nnlint.probe.localize import BatchRule, CausalRule, Localization, exercised_lines, localize
from nnlint.probe.prepare import ProbeBatch, preserved, probe_batch, resolve_device
from nnlint.probe.report import UNBATCHED_NOTE, VACUOUS_NOTE, ProbeReport, TrainModeResult
from nnlint.probe.target import ProbeSpec
from nnlint.runtime.frames import SiteMap


@dataclass(frozen=True)
class Options:
    """How to probe. `thorough` tests every split point and adds the perturbation tests to the gradient
    ones; `exercised` also collects the source lines the forward runs through (for `check --probe`)."""

    device: str | None = "auto"
    train_mode: bool = False
    thorough: bool = False
    localize: bool = True
    exercised: bool = False
    seed: int = 0


class _Generators:
    """Our own random streams (the global RNG is the user's): cotangents on the device, the rest on CPU."""

    def __init__(self, device: torch.device, seed: int) -> None:
        self.cpu = torch.Generator().manual_seed(seed)
        self.device = self.cpu if device.type == "cpu" else torch.Generator(device=device).manual_seed(seed)


def run_probe(spec: ProbeSpec, options: Options) -> ProbeReport:
    """Probe the model of `spec` on its inputs; raises ProbeError for bad input."""
    if spec.args is None:
        raise ProbeError(
            "The factory returned only a model, so the probe has no inputs: return (model, inputs) from it, "
            "or pass --input-shape (with --dtype, or --vocab-size for token ids)."
        )
    model = spec.model
    device = resolve_device(options.device, model)
    try:
        with preserved(model, device):
            model.eval()
            sizes = frozenset(size for parameter in model.parameters() for size in parameter.shape)
            batch = probe_batch(
                spec.args, spec.kwargs, spec.batch_dim, spec.time_dim, device, spec.autoregressive(), sizes
            )
            return _probe(spec, batch, device, options)
    except torch.cuda.OutOfMemoryError as error:
        raise out_of_memory(error) from error


def _probe(spec: ProbeSpec, batch: ProbeBatch, device: torch.device, options: Options) -> ProbeReport:
    model = spec.model
    generators = _Generators(device, options.seed)
    integer_inputs = any(
        is_batched and not leaf.is_floating_point() and leaf.dtype != torch.bool
        for leaf, is_batched in zip(batch.leaves, batch.batched, strict=True)
    )
    detected = _detect(model, batch, spec, options, generators, causal=spec.causal)
    verdict = detected.batch
    # Integer inputs are token ids when an embedding reads them or perturbation changed them; `labels=` of an
    # image classifier (HF ViT) are neither, and the summary must not call them so.
    token_ids = integer_inputs and (detected.embedded or verdict.method == "perturbation")
    report = ProbeReport(
        target=spec.name,
        model=type(model).__name__,
        device=str(device),
        samples=batch.b,
        steps=batch.steps,
        causal=spec.causal,
        shift=spec.shift,
        token_ids=token_ids,
        batch=verdict,
        gradient_note=detected.note,
        inconclusive=detected.inconclusive,
        causal_verdict=detected.causal,
    )
    if options.localize and verdict.mixing:
        report.batch_location = _localize_batch(model, batch, verdict, generators)
    if options.localize and report.causal_verdict is not None and report.causal_verdict.leak:
        report.causal_location = _localize_causal(
            model, batch, report.causal_verdict, generators, spec.buffer_sites
        )
    if options.train_mode:
        report.train_mode = _train_mode(model, batch, spec, options, generators, eval_mixing=verdict.mixing)
    report.built_at = spec.built_at
    if report.findings():  # where a finding goes when localization fails
        report.forward_at = _forward_at(model)
    if options.exercised:
        report.exercised, report.exercised_method = exercised_lines(model, batch)
    return report


@dataclass
class _Detected:
    batch: BatchVerdict
    causal: CausalVerdict | None
    note: str | None  # why perturbation stood in for gradients, if it did
    inconclusive: str | None = None  # why no verdict means anything (the output ignores every input)
    embedded: bool = False  # the gradients were read at embedding outputs (token ids among the inputs)


def _detect(
    model: nn.Module,
    batch: ProbeBatch,
    spec: ProbeSpec,
    options: Options,
    generators: _Generators,
    causal: bool,
) -> _Detected:
    """Both tests from one forward. The causal split pass runs with the batch passes (one batched backward
    on an accelerator), on the bet that samples are independent; if they mix, it is redone one sample at a
    time. Perturbation stands in where gradients are blind, and double-checks clean results when thorough."""
    splits = _splits(batch, spec, generators) if causal else []
    run, note = gradient_run(model, batch)
    verdict, causal_verdict, note = _gradient_verdicts(run, note, batch, spec, options, generators, splits)
    # A zero-initialised head (torchvision's ViT, many recipes): the output depends on no input at these
    # weights, so "no mixing" would mean nothing. A detector returns one dict per image, empty at random
    # weights: no output has the batch dim. Either way, judge the activations inside the model instead.
    vacuous = verdict is None and run is not None and _ignores_inputs(run, generators)
    unbatched = run is None and note == NO_BATCHED_OUTPUT and not causal
    if vacuous or unbatched:
        inner, _ = gradient_run(model, batch, intermediate=True)
        inner_verdict, inner_causal, _ = _gradient_verdicts(
            inner, None, batch, spec, options, generators, splits
        )
        if inner_verdict is not None:
            note = VACUOUS_NOTE if vacuous else UNBATCHED_NOTE
            return _Detected(inner_verdict, inner_causal, note, embedded=inner is not None and inner.embedded)
        if vacuous:
            reason = "the output depends on no input at these weights, nor do the layers' activations"
            return _Detected(BatchVerdict("gradient", 0, False), None, None, reason)
    if verdict is None:
        note = note or "gradients do not reach every sample's own input"
        verdict = perturb.batch_test(model, batch, generators.cpu)
    elif options.thorough and not verdict.mixing:
        checked = perturb.batch_test(model, batch, generators.cpu)
        if checked.mixing:
            verdict, note = checked, "gradients missed a dependency that perturbation found"
    if causal and (causal_verdict is None or (options.thorough and not causal_verdict.leak)):
        checked_causal = perturb.causal_test(
            model, batch, spec.shift, splits, not verdict.mixing, generators.cpu
        )
        if causal_verdict is None or checked_causal.leak:
            causal_verdict = checked_causal
    inconclusive = None
    vacuous_check = verdict.method == "perturbation" and not verdict.mixing
    if vacuous_check and perturb.ignores_inputs(model, batch, generators.cpu):
        inconclusive = (
            "the output depends on no input at these weights (perturbing every input changes nothing)"
        )
    embedded = verdict.method == "gradient" and run is not None and run.embedded
    return _Detected(verdict, causal_verdict, note, inconclusive, embedded)


def _ignores_inputs(run: GradientRun, generators: _Generators) -> bool:
    """No gradient from any output reaches any input: the output is constant in the inputs."""
    try:
        (reach,) = run.reach([torch.ones(run.b)], generators.device)
    except BlindGradients:
        return False  # the backward itself fails (reentrant checkpointing): perturbation will judge
    return not bool((reach > 0).any())


def _gradient_verdicts(
    run: GradientRun | None,
    note: str | None,
    batch: ProbeBatch,
    spec: ProbeSpec,
    options: Options,
    generators: _Generators,
    splits: list[int],
) -> tuple[BatchVerdict | None, CausalVerdict | None, str | None]:
    causal = bool(splits)
    verdict = causal_verdict = None
    if run is not None:
        if causal and not any(out.time_dim is not None for out in run.outputs):
            shapes = ", ".join(str(tuple(out.tensor.shape)) for out in run.outputs)
            raise NoTimeDim(
                f"A causal probe needs an output with the time dimension ({batch.steps} steps at dim "
                f"{spec.time_dim}); this model's batched outputs have none ({shapes}). A model that computes "
                "every step only when given targets (nanoGPT) needs them among the inputs."
            )
        speculative = []
        if causal and not options.thorough:
            speculative = causal_test.split_weights(batch.b, batch.steps or 0, splits, packed=True)
        try:
            found = run.reach(batch_test.weight_sets(batch.b) + speculative, generators.device)
            passes = len(found) - len(speculative)
            verdict = batch_test.gradient_test(run, generators.device, found[:passes])
            if causal and verdict is not None:
                packed = not verdict.mixing
                causal_verdict = causal_test.gradient_test(
                    run,
                    batch.steps or 0,
                    spec.shift,
                    splits,
                    packed,
                    generators.device,
                    thorough=options.thorough,
                    found=found[passes:] if packed and speculative else None,
                )
        except BlindGradients as error:
            note = str(error)
    return verdict, causal_verdict, note


def _splits(batch: ProbeBatch, spec: ProbeSpec, generators: _Generators) -> list[int]:
    if batch.steps is None:
        raise NoTimeDim(
            f"A causal probe needs inputs with a time dimension at dim {spec.time_dim}; set --time-dim."
        )
    return causal_test.choose_splits(batch.steps, spec.shift, batch.b, generators.cpu)


def _localize_batch(
    model: nn.Module, batch: ProbeBatch, verdict: BatchVerdict, generators: _Generators
) -> Localization:
    source = verdict.leaking_source()
    where = torch.zeros(batch.b, dtype=torch.bool)
    where[source] = True
    perturbed = perturb.perturbed_leaves(model, batch, where, generators.cpu)
    return localize(model, batch, BatchRule(source, batch.b), perturbed)


def _localize_causal(
    model: nn.Module,
    batch: ProbeBatch,
    verdict: CausalVerdict,
    generators: _Generators,
    buffer_sites: SiteMap | None = None,
) -> Localization:
    leak = verdict.leaks[0]
    assert batch.steps is not None
    where = torch.zeros(batch.b, batch.steps, dtype=torch.bool)
    where[leak.sample, leak.split + verdict.shift + 1 :] = True
    perturbed = perturb.perturbed_leaves(model, batch, where, generators.cpu)
    # Inside the model a step may see itself even when the output must not (shift < 0): judge the
    # intermediate steps against the looser bound.
    rule = CausalRule(leak.split + min(verdict.shift, 0), batch.steps, verdict.shift)
    location = localize(model, batch, rule, perturbed)
    if location.found:
        cause = causal_cause(model, location.module, batch.steps, verdict.shift, buffer_sites)
        if cause is not None:
            location.blame(cause.frame, cause.why)
    return location


def _train_mode(
    model: nn.Module,
    batch: ProbeBatch,
    spec: ProbeSpec,
    options: Options,
    generators: _Generators,
    eval_mixing: bool,
) -> TrainModeResult:
    """In train mode BatchNorm mixes samples by design: name it, then look for mixing beyond it."""
    result = TrainModeResult()
    model.train()
    verdict = _detect(model, batch, spec, options, generators, causal=False).batch
    norms = [(name, m) for name, m in model.named_modules() if isinstance(m, _BatchNorm)]
    if verdict.mixing and norms:
        for _, norm in norms:
            norm.eval()
        names = ", ".join(f"{type(norm).__name__} `{name}`" for name, norm in norms)
        result.legitimate.append(f"the batch statistics of {names}")
        verdict = _detect(model, batch, spec, options, generators, causal=False).batch
    if not eval_mixing:  # otherwise the eval-mode finding already covers it
        result.batch = verdict
        if verdict.mixing and options.localize:
            result.location = _localize_batch(model, batch, verdict, generators)
    model.eval()
    return result


def _forward_at(model: nn.Module) -> Frame | None:
    """The model's `forward` definition: where findings go when localization fails."""
    try:
        forward = type(model).forward
        filename = inspect.getsourcefile(forward)
        line = inspect.getsourcelines(forward)[1]
    except (TypeError, OSError):
        return None
    return (os.path.abspath(filename), line) if filename else None
