"""Run the user's training script in-process and catch what the checks need, with no wiring by the user.

While the script runs, global hooks see every call: module forward hooks find the outermost model calls (the
model and its first real batch, on the device the script chose), wrappers around the `torch.nn.functional`
losses and `torch.autograd.backward` find the loss, and `Module.__init__` / `Optimizer.__init__` wrappers note
the line that built each layer and optimizer. Optimizer step hooks hand control to a listener (the session)
before and after each step. Everything is undone by `Instrumentation.remove()`: torch's fast path (no global
hooks) is back, so training that goes on afterwards runs exactly as it would have without nnlint.
"""

from __future__ import annotations

import functools
import inspect
import multiprocessing.process
import runpy
import sys
import warnings
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn
from torch.nn.modules.loss import _Loss

from nnlint.runtime.frames import (
    Site,
    SiteMap,
    caller_site,
    setting_site,
    wrap_module_init,
    wrap_register_buffer,
)
from nnlint.vocabulary import LEARNING_RATE_ATTRIBUTES, SYMMETRIC_LOSS_FUNCTIONS
from nnlint.vocabulary import RUNTIME_LOSS_FUNCTIONS as LOSS_FUNCTIONS

# Recent calls kept for linking a step to its model call and loss; a GAN needs a few, nothing needs many.
KEEP_RECENT = 16
# Bound on the autograd nodes walked per backward() to see which recorded losses it went through.
GRAPH_WALK_LIMIT = 20_000


class StopScript(BaseException):
    """Raised from the last step hook to end the script; a BaseException, so `except Exception` lets it by."""


class ManualUpdate(BaseException):
    """The script changed its weights between its first backward and its next forward without an optimizer
    step: a hand-written update, which `nnlint run` cannot check (it hooks optimizer steps)."""

    def __init__(self, site: Site | None) -> None:
        super().__init__(site)
        self.site = site


@dataclass
class ModelCall:
    """One outermost call of a trainable module, with grad enabled: a training forward."""

    module: nn.Module
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    output: Any
    training: bool
    site: Site | None


@dataclass
class LossCall:
    """One call of a known torch.nn.functional loss (directly or from an nn loss module)."""

    name: str
    function: Callable[..., torch.Tensor]
    arguments: dict[str, Any]  # bound by parameter name, so the loss can be replayed with other inputs
    input_name: str
    target_name: str
    output: torch.Tensor
    site: Site | None
    steps_before: int  # optimizer steps the script had taken when it computed this loss
    reached: bool = False  # a backward() went through this loss

    @property
    def input(self) -> Any:
        return self.arguments[self.input_name]

    @property
    def target(self) -> Any:
        return self.arguments[self.target_name]


class Listener(Protocol):
    def before_step(self, optimizer: torch.optim.Optimizer) -> None: ...

    def after_step(self, optimizer: torch.optim.Optimizer) -> None: ...


@dataclass
class Instrumentation:
    """The hooks and wrappers, and what they have seen so far."""

    listener: Listener
    calls: deque[ModelCall] = field(default_factory=lambda: deque(maxlen=KEEP_RECENT))
    losses: deque[LossCall] = field(default_factory=lambda: deque(maxlen=KEEP_RECENT))
    models: dict[int, nn.Module] = field(default_factory=dict)  # outermost trainable modules, in call order
    optimizers: list[weakref.ref[torch.optim.Optimizer]] = field(default_factory=list)
    sites: SiteMap = field(default_factory=SiteMap)  # the line that built each layer and optimizer
    buffer_sites: SiteMap = field(default_factory=SiteMap)  # per module, the line that set each buffer
    # The line that set the learning rate of an optimizer a framework built (frames.setting_site).
    lr_sites: SiteMap = field(default_factory=SiteMap)
    step_sites: dict[int, Site] = field(default_factory=dict)
    model_calls: int = 0
    optimizers_built: int = 0  # the weak references above die with the script; the count does not
    backward_calls: int = 0
    # Processes the script started (DDP spawn, torch.multiprocessing, DataLoader workers): training done in
    # them is out of sight, and a run that never trained here says so.
    processes_started: int = 0
    steps: int = 0
    # True while nnlint runs the model itself: its own forwards and losses are not the script's.
    paused: bool = False
    stopping: bool = False  # the checks are done and the script must end (see stop())
    _depth: int = 0
    # After the first backward, before any step: a few values of each parameter, to catch manual updates.
    _versions: dict[int, tuple[torch.Tensor, torch.Tensor]] | None = None
    _in_step: bool = False  # inside optimizer.step(): a closure's forwards see weights the step moved
    _undo: list[Callable[[], None]] = field(default_factory=list)

    def install(self) -> None:
        from torch.nn.modules import module as module_hooks
        from torch.optim import optimizer as optimizer_hooks

        handles = [
            module_hooks.register_module_forward_pre_hook(self._before_forward),
            module_hooks.register_module_forward_hook(
                self._after_forward, with_kwargs=True, always_call=True
            ),
            optimizer_hooks.register_optimizer_step_pre_hook(self._before_step),
            optimizer_hooks.register_optimizer_step_post_hook(self._after_step),
        ]
        self._undo.extend(handle.remove for handle in handles)
        # torch warns that global hooks fire once more for a torch.compile wrapper; the session expects that.
        quiet = warnings.catch_warnings()
        quiet.__enter__()
        warnings.filterwarnings(
            "ignore", message=r"Using `torch.compile\(module\)` when there are global hooks"
        )
        self._undo.append(lambda: quiet.__exit__(None, None, None))
        self._wrap(nn.Module, "__init__", lambda init: wrap_module_init(init, self.sites))
        self._wrap(
            nn.Module, "register_buffer", lambda register: wrap_register_buffer(register, self.buffer_sites)
        )
        self._wrap(torch.optim.Optimizer, "__init__", self._wrap_optimizer_init)
        self._wrap(torch.autograd, "backward", self._wrap_backward)
        self._wrap(multiprocessing.process.BaseProcess, "start", self._wrap_process_start)
        for name in LOSS_FUNCTIONS:
            self._wrap(torch.nn.functional, name, functools.partial(self._wrap_loss, name))

    def remove(self) -> None:
        """Undo every hook and wrapper, newest first, and drop references to the script's tensors."""
        while self._undo:
            self._undo.pop()()
        self.calls.clear()
        self.losses.clear()

    def _wrap(self, owner: Any, name: str, make: Callable[[Any], Any]) -> None:
        original = getattr(owner, name)
        setattr(owner, name, make(original))
        self._undo.append(lambda: setattr(owner, name, original))

    def _wrap_process_start(self, original: Callable[[Any], None]) -> Callable[[Any], None]:
        @functools.wraps(original)
        def start(process: Any) -> None:
            self.processes_started += 1
            original(process)

        return start

    # Model calls -------------------------------------------------------------------------------------------

    def _before_forward(self, module: nn.Module, args: tuple[Any, ...]) -> None:
        self._stop_if_stopping()
        if not self._depth and not self.paused and not self._in_step and self._versions is not None:
            self._check_manual_update()
        self._depth += 1

    def _after_forward(self, module: nn.Module, args: tuple[Any, ...], *rest: Any) -> None:
        # rest is (kwargs, output); a forward that raised calls this with (output,) only.
        self._depth -= 1
        if self._depth or self.paused or len(rest) != 2 or isinstance(module, _Loss):
            return
        if not torch.is_grad_enabled() or not any(p.requires_grad for p in module.parameters()):
            return  # evaluation passes and parameter-free transforms are not the training forward
        if torch._C._current_graph_task_id() != -1:
            return  # a forward recomputed inside backward (gradient checkpointing) is not a new call
        self.model_calls += 1
        self.models.setdefault(id(module), module)
        kwargs, output = rest
        site = caller_site(sys._getframe(1))
        self.calls.append(ModelCall(module, args, dict(kwargs), output, module.training, site))

    def _check_manual_update(self) -> None:
        """At the forward after the first backward: weights that changed with no optimizer step in between
        were updated by hand (`p.data.add_(...)`, `p -= lr * p.grad`); say so now, not after the whole run."""
        samples, self._versions = self._versions or {}, None
        if self.steps:
            return
        if any(not torch.equal(_sample(param), before) for param, before in samples.values()):
            raise ManualUpdate(caller_site(sys._getframe(2)))

    # Construction sites ------------------------------------------------------------------------------------

    def _wrap_optimizer_init(self, original: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(original)
        def init(optimizer: torch.optim.Optimizer, *args: Any, **kwargs: Any) -> None:
            original(optimizer, *args, **kwargs)
            if self.paused:
                return  # nnlint's own optimizers (the overfit test's Adam) are not the script's
            self.optimizers.append(weakref.ref(optimizer))
            self.optimizers_built += 1
            site = caller_site(sys._getframe(1), constructing=optimizer)
            if site is not None:
                self.sites[optimizer] = site
            lr = optimizer.param_groups[0].get("lr") if optimizer.param_groups else None
            if isinstance(lr, (int, float)):
                setting = setting_site(sys._getframe(1), lr, LEARNING_RATE_ATTRIBUTES)
                if setting is not None:
                    self.lr_sites[optimizer] = setting

        return init

    # Losses and backward ------------------------------------------------------------------------------------

    def _wrap_loss(self, name: str, original: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
        signature = inspect.signature(original)
        input_name, target_name = list(signature.parameters)[:2]

        @functools.wraps(original)
        def loss(*args: Any, **kwargs: Any) -> torch.Tensor:
            output = original(*args, **kwargs)
            if not self.paused and isinstance(output, torch.Tensor) and output.requires_grad:
                arguments = dict(signature.bind(*args, **kwargs).arguments)
                site = caller_site(sys._getframe(1))
                prediction, truth = _roles(name, arguments, input_name, target_name)
                self.losses.append(
                    LossCall(
                        name,
                        original,
                        arguments,
                        prediction,
                        truth,
                        output,
                        site,
                        self.steps,
                    )
                )
            return output

        return loss

    def _wrap_backward(self, original: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(original)
        def backward(tensors: Any, *args: Any, **kwargs: Any) -> None:
            self._stop_if_stopping()
            if self.paused:
                return original(tensors, *args, **kwargs)
            self.backward_calls += 1
            self._mark_reached(tensors)
            result = original(tensors, *args, **kwargs)
            if self.steps == 0 and not self._in_step and self._versions is None:
                params = {id(p): p for model in self.models.values() for p in model.parameters()}
                self._versions = {key: (p, _sample(p)) for key, p in params.items()}
            return result

        return backward

    def _mark_reached(self, tensors: Any) -> None:
        """Note which recorded losses this backward goes through (before it frees the graph)."""
        pending = {id(call.output.grad_fn): call for call in self.losses if not call.reached}
        if not pending:
            return
        roots = [tensors] if isinstance(tensors, torch.Tensor) else list(tensors)
        stack = [t.grad_fn for t in roots if isinstance(t, torch.Tensor) and t.grad_fn is not None]
        seen: set[int] = set()
        while stack and len(seen) < GRAPH_WALK_LIMIT:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if id(node) in pending:
                pending.pop(id(node)).reached = True
                if not pending:
                    return
            stack.extend(child for child, _ in node.next_functions if child is not None)

    # Optimizer steps ---------------------------------------------------------------------------------------

    def _before_step(self, optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> Any:
        """Before a step: the checks need the step's gradients and the weights it is about to change.

        With `optimizer.step(closure)` (LBFGS, Lightning's automatic and manual optimization) the forward and
        backward happen inside the step: the closure is wrapped, and the listener runs once it first returns.
        """
        self._stop_if_stopping()
        if self.paused:
            return None
        self._in_step = True
        site = caller_site(sys._getframe(1))
        if site is not None:
            self.step_sites.setdefault(id(optimizer), site)
        closure = kwargs.get("closure", args[1] if len(args) > 1 else None)  # args[0] is the optimizer
        if not callable(closure):
            self.listener.before_step(optimizer)
            return None
        fired = False

        def checked_closure(*closure_args: Any, **closure_kwargs: Any) -> Any:
            nonlocal fired
            result = closure(*closure_args, **closure_kwargs)
            if not fired:
                fired = True
                self.listener.before_step(optimizer)
            return result

        if "closure" in kwargs:
            return args, {**kwargs, "closure": checked_closure}
        return (args[0], checked_closure, *args[2:]), kwargs

    def _after_step(self, optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        if self.paused:
            return
        self._in_step = False
        self.steps += 1
        self.listener.after_step(optimizer)

    # Stopping ----------------------------------------------------------------------------------------------

    def stop(self) -> None:
        """End the script; the stop is raised again at its next forward, backward or step, so a bare
        `except:` around the step cannot swallow it for good."""
        self.stopping = True
        raise StopScript

    def _stop_if_stopping(self) -> None:
        if self.stopping and not self.paused:
            raise StopScript

    def constructed_optimizers(self) -> list[torch.optim.Optimizer]:
        return [opt for ref in self.optimizers if (opt := ref()) is not None]


def _roles(name: str, arguments: dict[str, Any], input_name: str, target_name: str) -> tuple[str, str]:
    """Which argument of a loss call is the prediction and which the target, as (input, target) names.

    A symmetric loss given the prediction second (`F.mse_loss(x, self(x))`, Lightning's autoencoder example)
    computes the same value with the two swapped; taken as written, the data would be judged as the model's
    output: NN911 expected the model output's variance, and NN912/NN913 said the input was not replayable.
    Only the one argument that carries a gradient is the prediction.
    """
    given, wanted = arguments.get(input_name), arguments.get(target_name)
    if (
        name in SYMMETRIC_LOSS_FUNCTIONS
        and isinstance(given, torch.Tensor)
        and isinstance(wanted, torch.Tensor)
        and wanted.requires_grad
        and not given.requires_grad
    ):
        return target_name, input_name
    return input_name, target_name


def _sample(param: torch.Tensor) -> torch.Tensor:
    """Up to 64 evenly spaced values: an update moves nearly every weight that has a gradient."""
    flat = param.detach().reshape(-1)
    return flat[:: max(1, flat.numel() // 64)][:64].clone()


@dataclass(frozen=True)
class Target:
    """What to run: a script path, or a module name for `-m`."""

    path: Path | None = None
    module: str | None = None

    def __str__(self) -> str:
        return str(self.path) if self.path is not None else f"-m {self.module}"


def run_target(target: Target, script_args: list[str]) -> None:
    """Run the script as `python script.py args` (or `python -m module args`) would, in this process.

    sys.argv and sys.path are restored afterwards, so a test suite can run several scripts in one process.
    """
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    try:
        if target.path is not None:
            sys.argv = [str(target.path), *script_args]
            sys.path.insert(0, str(target.path.resolve().parent))
            runpy.run_path(str(target.path), run_name="__main__")
        else:
            assert target.module is not None
            sys.argv = [target.module, *script_args]
            sys.path.insert(0, str(Path.cwd()))
            runpy.run_module(target.module, run_name="__main__", alter_sys=True)
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
