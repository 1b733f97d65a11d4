"""One recorder of a forward's torch calls, with the module that was running each: shared by the probe's eager
capture (localization) and `run`'s checks that look inside a forward (dead units, dropout before BatchNorm).

A `TorchFunctionMode` sees functional calls (`F.relu`, `torch.softmax`, `x.view(...)`) as well as the calls nn
layers make, so models that never use an `nn.ReLU` module are covered too; forward hooks on every submodule
keep a stack of the running modules and note which module produced each output tensor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode, resolve_name

# Attribute reads and sizes: far too frequent, and no observer cares about them.
PLAIN_ACCESS = frozenset(
    {"__get__", "size", "dim", "shape", "numel", "stride", "is_contiguous", "data_ptr", "__len__"}
)


@dataclass
class Op:
    """One torch call of the recorded forward."""

    func: Callable[..., Any]
    name: str  # `softmax`, `Tensor.view`, `nn.functional.relu`: torch's name without the `torch.` prefix
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    output: Any
    path: str  # dotted name of the innermost running submodule, "" for the model itself
    module: nn.Module
    recorder: OpRecorder

    def produced_by(self, tensor: Any) -> str | None:
        """The submodule (`"body.2 (ReLU)"`) whose forward returned `tensor`, if one did."""
        return self.recorder.produced_by(tensor)


class OpRecorder(TorchFunctionMode):
    """`with OpRecorder(model, observe): model(...)` calls `observe(op)` for each torch call of a forward."""

    def __init__(self, model: nn.Module, observe: Callable[[Op], None]) -> None:
        super().__init__()
        self.model = model
        self.observe = observe
        self.stack: list[tuple[str, nn.Module]] = [("", model)]
        self._produced: dict[int, str] = {}
        self._alive: list[Any] = []  # ids in `_produced` must not be reused by new tensors during the forward
        self._handles: list[Any] = []

    def produced_by(self, tensor: Any) -> str | None:
        return self._produced.get(id(tensor)) if isinstance(tensor, torch.Tensor) else None

    def __enter__(self) -> OpRecorder:
        for name, module in self.model.named_modules():
            if not name:
                continue

            def enter(module: nn.Module, args: Any, name: str = name) -> None:
                self.stack.append((name, module))

            def leave(module: nn.Module, args: Any, output: Any, name: str = name) -> None:
                self.stack.pop()
                if isinstance(output, torch.Tensor):
                    self._produced[id(output)] = f"{name} ({type(module).__name__})"
                    self._alive.append(output)

            self._handles.append(module.register_forward_pre_hook(enter))
            self._handles.append(module.register_forward_hook(leave, always_call=True))
        try:
            super().__enter__()
        except BaseException:
            self._remove_hooks()
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            super().__exit__(*exc)
        finally:
            self._remove_hooks()

    def _remove_hooks(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        output = func(*args, **kwargs)
        short = getattr(func, "__name__", "")
        if short in PLAIN_ACCESS:
            return output
        name = (resolve_name(func) or short or repr(func)).removeprefix("torch.")
        path, module = self.stack[-1]
        self.observe(Op(func, name, tuple(args), kwargs, output, path, module, self))
        return output
