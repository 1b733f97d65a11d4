"""What `nnlint run` does at the script's optimizer steps: run the checks, measure the steps, then stop.

At an optimizer's first step the model is still at its initial weights and the first backward has filled the
gradients, so that is where the checks on the model run (NN911-NN914, NN916's gradient half, NN917 and the
batch-mixing probe). The step itself is measured for NN915. Once every optimizer has taken its steps, the
orphan half of NN916 runs and the session ends the script, or removes every hook and lets it train on.
All checks run paused (the hooks ignore nnlint's own forwards) and inside a forked RNG, so the script's
random stream, weights, buffers, gradients and optimizer state are exactly what they would have been.
"""

from __future__ import annotations

import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import torch
from torch import nn

from nnlint.finding import Finding
from nnlint.run import (
    dead_units,
    dropout_before_bn,
    input_independent,
    loss_at_init,
    overfit_batch,
    params_not_updated,
    update_ratio,
)
from nnlint.run.capture import Instrumentation, LossCall, ModelCall
from nnlint.run.layout import Layout, infer
from nnlint.run.replay import Replay, link
from nnlint.run.thresholds import Thresholds
from nnlint.run.trace import traced_forward
from nnlint.runtime.frames import Site
from nnlint.runtime.state import kept_rng
from nnlint.vocabulary import MULTI_UPDATE_OPTIMIZERS, RUNTIME_MODEL_WRAPPERS
from nnlint.vocabulary import RUNTIME_LOSS_FUNCTIONS as LOSS_FUNCTIONS


@dataclass
class ModelResult:
    """What the checks measured on one model, for the summary and the plots."""

    name: str
    losses: list[dict[str, Any]] = field(default_factory=list)
    real: overfit_batch.Curve | None = None
    zeroed: overfit_batch.Curve | None = None
    layers: list[dead_units.LayerStats] = field(default_factory=list)
    probe: Any = None


@dataclass
class OptimizerResult:
    name: str
    site: Site | None
    steps: int = 0
    groups: list[update_ratio.GroupRatios] = field(default_factory=list)
    before: update_ratio.Snapshot | None = None


@dataclass
class Session:
    thresholds: Thresholds
    fallback: Site  # the script's first line: where a finding goes when no better line is known
    steps: int = 1
    keep_going: bool = False
    causal: bool | None = None
    layout: Layout = field(default_factory=Layout)  # as given; the probe infers the rest from the run
    on_done: Callable[[Session], None] = lambda session: None
    instrumentation: Instrumentation = field(init=False)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # checks that could not run, and why
    models: dict[int, ModelResult] = field(default_factory=dict)
    optimizers: dict[int, OptimizerResult] = field(default_factory=dict)
    done: bool = False
    internal_error: str | None = None  # a traceback when reporting itself failed
    _losses_checked: set[int] = field(default_factory=set)

    # Listener ---------------------------------------------------------------------------------------------

    def before_step(self, optimizer: torch.optim.Optimizer) -> None:
        result = self._optimizer(optimizer)
        if self.done or result.steps >= self.steps:
            return
        with self._quietly():
            if result.steps == 0:
                named = params_not_updated.owners(self.instrumentation.models.values())
                sites = self.instrumentation.sites
                self._guard(
                    "NN916",
                    lambda: params_not_updated.check_gradients(
                        optimizer, named, sites, self.fallback, result.site
                    ),
                )
                for model in self._models_of(optimizer):
                    self._guard("the checks", lambda model=model: self._check_model(model))
            result.before = update_ratio.snapshot(optimizer)

    def after_step(self, optimizer: torch.optim.Optimizer) -> None:
        result = self._optimizer(optimizer)
        result.steps += 1
        if result.before is not None:
            update_ratio.measure(optimizer, result.before, result.groups)
            result.before = None
            if result.steps == self.steps:
                self._guard("NN915", lambda: self._update_ratio(optimizer, result))
        if not self.done and self._all_stepped():
            self.finish()
            if not self.keep_going:
                self.instrumentation.stop()

    def finish(self) -> None:
        """The checks that need every optimizer, then hand over: stop, or remove the hooks and train on."""
        self.done = True
        capture = self.instrumentation
        models = list(capture.models.values())
        named = params_not_updated.owners(models)
        optimizers = capture.constructed_optimizers()
        if models and not self._losses_checked:
            # Silent otherwise: the Hugging Face Trainer with label_smoothing_factor computes its loss with
            # its own LabelSmoother (log_softmax and gather), and the report simply had no "loss at init".
            self.notes.append(
                "NN911 skipped: the loss was not computed by a torch.nn.functional loss nnlint knows "
                f"({', '.join(LOSS_FUNCTIONS)}, or an nn loss module calling one)"
            )
        self._guard(
            "NN916",
            lambda: params_not_updated.check_orphans(models, optimizers, named, capture.sites, self.fallback),
        )
        try:
            self.on_done(self)  # before the hooks go: the report still sees the captured calls
        except Exception:  # noqa: BLE001 - nnlint's failure, not the script's: kept apart from the run
            self.internal_error = traceback.format_exc()
        if self.keep_going:
            capture.remove()

    # The checks on one model ------------------------------------------------------------------------------

    def _check_model(self, model: nn.Module) -> list[Finding]:
        """Every check of one model (they add their findings as they run); each is guarded, and so is the
        whole: it runs inside the script's step, where a failure of nnlint's own must not become the
        script's exception."""
        capture = self.instrumentation
        calls = [call for call in capture.calls if call.module is model]
        # A wrapped model (torch.compile, DDP, Fabric) is checked through the module it wraps, eagerly: the
        # checks call it with other batches and weights, which would recompile (or fail to) for every one.
        eager = unwrapped(model)
        model_site = (
            capture.sites.get(eager) or capture.sites.get(model) or (calls[-1].site if calls else None)
        )
        label = type(eager).__name__ + (f" ({model_site})" if model_site else "")
        result = self.models[id(model)] = ModelResult(label)
        replay: Replay | str = "the script's loss is not a torch.nn.functional loss nnlint knows"
        for loss in self._losses_newest_first():
            linked = link(model, calls, loss, self.layout)
            if isinstance(replay, str) and (isinstance(linked, Replay) or loss.reached):
                replay = linked
            if loss.steps_before == 0 and id(loss) not in self._losses_checked:
                self._losses_checked.add(id(loss))
                call = linked.call if isinstance(linked, Replay) else (calls[-1] if calls else None)
                self._guard("NN911", lambda loss=loss, call=call: self._loss_at_init(loss, call, result))
        if isinstance(replay, str):
            self.notes.append(f"NN912/NN913 skipped for {result.name}: {replay}")
        else:
            replay.model = eager
            self._guard("NN912", lambda: self._overfit(replay, result, model_site))
        call = replay.call if isinstance(replay, Replay) else (calls[-1] if calls else None)
        if call is not None:
            self._guard("NN914", lambda: self._look_inside(eager, call, result))
            self._guard("NN901", lambda: self._probe(eager, call, result, model_site))
        return []

    def _losses_newest_first(self) -> list[LossCall]:
        """The recorded losses a backward went through, newest first (then any others, for NN911's sake)."""
        losses = list(reversed(self.instrumentation.losses))
        return [loss for loss in losses if loss.reached] + [loss for loss in losses if not loss.reached]

    def _loss_at_init(self, loss: LossCall, call: ModelCall | None, result: ModelResult) -> list[Finding]:
        findings, stats = loss_at_init.check(loss, call, self.thresholds, self.fallback)
        result.losses.append(stats)
        return findings

    def _overfit(self, replay: Replay, result: ModelResult, site: Site | None) -> list[Finding]:
        indices = replay.choose(self.thresholds.overfit_samples)
        expected = loss_at_init.expected(replay.loss)
        uninformed = expected.value if expected is not None else None
        real = result.real = overfit_batch.fit(replay, indices, self.thresholds, uninformed=uninformed)
        targets = replay.targets(indices)
        varied = isinstance(targets, torch.Tensor) and bool(
            (targets.reshape(len(indices), -1) != targets.reshape(len(indices), -1)[:1]).any()
        )
        if not varied or not replay.zeroes_something(indices):
            self.notes.append(
                f"NN913 skipped for {result.name}: the chosen samples' targets or inputs do not vary"
            )
        else:
            zeroed = result.zeroed = overfit_batch.fit(
                replay,
                indices,
                self.thresholds,
                zeroed=True,
                steps=len(real.losses) - 1,
                uninformed=uninformed,
            )
            zeroed.input_free = overfit_batch.input_free_floor(replay, indices)
            real.prior = overfit_batch.prior_floor(replay, indices)
            if input_independent.undecided(real, zeroed, self.thresholds):
                self.notes.append(
                    f"NN913 inconclusive for {result.name}: in {len(zeroed.losses) - 1} steps zeroed inputs "
                    f"came down to {zeroed.end:.3f}, short of the {zeroed.input_free:.3f} an output that "
                    "sees no input can reach; raise overfit-steps in [tool.nnlint.run] to settle it"
                )
                if input_independent.no_input_used_yet(real, zeroed, self.thresholds):
                    self.notes.append(
                        f"NN912 inconclusive for {result.name}: real inputs came down no further than zeroed "
                        f"ones ({real.end:.3f}), towards the {real.prior:.3f} a constant output reaches (the "
                        "targets' prior): the model has not started using its input yet; raise overfit-steps "
                        "in [tool.nnlint.run] to settle it"
                    )
                    return []
            else:
                found = input_independent.check(real, zeroed, self.thresholds, site, self.fallback)
                if found:
                    return found  # an input-independent model cannot overfit either: one finding, the cause
        if real.still_falling() and not real.near_floor(self.thresholds.overfit_tolerance):
            self.notes.append(
                f"NN912 inconclusive for {result.name}: the loss was still falling after "
                f"{len(real.losses) - 1} steps ({real.start:.3f} -> {real.end:.3f}); raise overfit-steps "
                "in [tool.nnlint.run] to settle it"
            )
        return overfit_batch.check(real, len(indices), self.thresholds, site, self.fallback)

    def _look_inside(self, model: nn.Module, call: ModelCall, result: ModelResult) -> list[Finding]:
        sites = self.instrumentation.sites
        units, dropouts = dead_units.UnitWatch(sites), dropout_before_bn.DropoutWatch(sites)
        traced_forward(model, call, [units, dropouts])
        result.layers = units.layers
        return dead_units.check(units.layers, self.thresholds, self.fallback) + dropout_before_bn.check(
            dropouts.hits, self.fallback
        )

    def _probe(
        self, model: nn.Module, call: ModelCall, result: ModelResult, site: Site | None
    ) -> list[Finding]:
        """The batch-mixing (and, if asked, causal) probe on the real model with the captured batch.

        Positional and keyword inputs alike (HF Trainer and accelerate call `model(**batch)`): the batched
        tensors are probed, everything else (flags, `num_items_in_batch`) is passed unchanged.
        """
        try:
            from nnlint.probe.errors import NoTimeDim
            from nnlint.probe.pipeline import Options, run_probe
            from nnlint.probe.target import ProbeSpec
        except ImportError:
            self.notes.append("NN901/NN902 skipped: the batch-mixing probe (nnlint.probe) is not installed")
            return []
        if not any(isinstance(v, torch.Tensor) for v in (*call.args, *call.kwargs.values())):
            self.notes.append(f"NN901/NN902 skipped for {result.name}: it is called with no tensor argument")
            return []
        device = next((str(p.device) for p in model.parameters()), "auto")
        loss = next((loss for loss in self._losses_newest_first() if loss.reached), None)
        layout = infer(model, call, loss, self.layout)
        if layout.why not in (None, "given"):
            self.notes.append(
                f"probe of {result.name}: batch dim {layout.batch_dim}, time dim {layout.time_dim} "
                f"({layout.why}; set --batch-dim/--time-dim to override)"
            )
        # A next-token target makes causality a requirement: output t must not see its own target, input t+1.
        causal = self.causal if self.causal is not None else layout.next_token
        if causal and self.causal is None:
            self.notes.append(
                f"probe of {result.name}: causality tested, as the target is the next input token "
                "(--no-causal to skip)"
            )
        spec = ProbeSpec(
            model,
            tuple(call.args),
            dict(call.kwargs),
            batch_dim=layout.batch_dim,
            time_dim=layout.time_dim,
            causal=causal,
            name=type(model).__name__,
            causal_inputs=layout.causal_inputs,
            built_at=(site.filename, site.line) if site is not None else None,
            buffer_sites=self.instrumentation.buffer_sites,
        )
        try:
            result.probe = run_probe(spec, Options(device=device))
        except NoTimeDim as error:  # batch mixing is still worth judging
            self.notes.append(f"NN902 skipped for {result.name}: {error}")
            result.probe = run_probe(replace(spec, causal=False), Options(device=device))
        return list(result.probe.findings())

    def _update_ratio(self, optimizer: torch.optim.Optimizer, result: OptimizerResult) -> list[Finding]:
        if result.name in MULTI_UPDATE_OPTIMIZERS:
            self.notes.append(
                f"NN915 skipped for {result.name}: one of its steps runs many updates (a line search), so "
                "the one-step update/weight heuristic does not apply"
            )
            return []
        named = params_not_updated.owners(self.instrumentation.models.values())
        names = {key: owner.name for key, owner in named.items()}
        # A framework that built the optimizer from the user's settings object (HF's TrainingArguments): the
        # line that set the learning rate, which the finding tells the user to change.
        site = self.instrumentation.lr_sites.get(optimizer) or result.site
        warming = update_ratio.warming_up(result.groups, self.thresholds)
        if warming:
            which = ", ".join(str(group.index) for group in warming)
            self.notes.append(
                f"NN915 'too small' not judged for {result.name} (group {which}): its learning rate was "
                f"still warming up ({warming[0].lr_text()}) at the {result.steps} step(s) watched; "
                "--steps N watches past the warm-up"
            )
        return update_ratio.check(result.groups, self.thresholds, site, self.fallback, names)

    # Helpers ----------------------------------------------------------------------------------------------

    def _optimizer(self, optimizer: torch.optim.Optimizer) -> OptimizerResult:
        key = id(optimizer)
        if key not in self.optimizers:
            capture = self.instrumentation
            site = capture.sites.get(optimizer) or capture.step_sites.get(key)
            self.optimizers[key] = OptimizerResult(type(optimizer).__name__, site)
        return self.optimizers[key]

    def _models_of(self, optimizer: torch.optim.Optimizer) -> list[nn.Module]:
        held = params_not_updated.held_by(optimizer)
        return [
            model
            for key, model in self.instrumentation.models.items()
            if key not in self.models and any(id(p) in held for p in model.parameters())
        ]

    def _all_stepped(self) -> bool:
        """Every optimizer the script built took its steps, or one took an extra (others may never step)."""
        counts = [self._optimizer(opt).steps for opt in self.instrumentation.constructed_optimizers()]
        counts = counts or [result.steps for result in self.optimizers.values()]
        return min(counts) >= self.steps or max(counts) > self.steps

    def _guard(self, code: str, check: Callable[[], list[Finding]]) -> None:
        """Run one check; a check that fails on an unusual model is noted, never fatal to the user's run."""
        try:
            self.findings.extend(check())
        except Exception as error:  # noqa: BLE001 - any failure of a check is reported, not raised
            where = traceback.extract_tb(error.__traceback__)[-1]
            first = next((line for line in str(error).splitlines() if line.strip()), "")[:200]
            self.notes.append(
                f"{code} could not run: {type(error).__name__}: {first} (at {where.filename}:{where.lineno})"
            )

    @contextmanager
    def _quietly(self) -> Iterator[None]:
        """Hooks paused and the RNG forked: nothing the checks do is seen by, or changes, the script. The
        warnings their own forwards raise (a checkpoint run without gradients, say) are not the script's.

        The checks train on a handful of samples: one CPU thread does that as fast as several on an idle
        machine and, measured on a loaded 2-core one, 15x faster than two threads fighting for the cores.
        """
        devices = (
            [torch.device("cuda", i) for i in range(torch.cuda.device_count())]
            if torch.cuda.is_initialized()
            else []
        )
        threads = torch.get_num_threads()
        self.instrumentation.paused = True
        torch.set_num_threads(1)
        try:
            with kept_rng(*devices), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yield
        finally:
            torch.set_num_threads(threads)
            self.instrumentation.paused = False


def unwrapped(model: nn.Module) -> nn.Module:
    """The model a wrapper that only passes its call on runs (torch.compile's `_orig_mod`, DDP's and Fabric's
    module), else the model itself: the checks call it with other batches and weights, eagerly."""
    while True:
        kind = type(model)
        attribute = RUNTIME_MODEL_WRAPPERS.get(f"{kind.__module__}.{kind.__qualname__}")
        inner = getattr(model, attribute, None) if attribute else None
        if not isinstance(inner, nn.Module):
            return model
        model = inner
