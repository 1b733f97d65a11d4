"""One forward of the captured batch that watches every torch function call, for checks that look inside.

A TorchFunctionMode sees functional calls (`F.relu`, `torch.tanh`, `x.sigmoid()`) as well as the ones nn
layers make, so models that never use an `nn.ReLU` module are covered too. Module hooks on the model's own
submodules say which layer is running. Buffers are cloned (BatchNorm statistics stay as they were), gradients
are off, and the train/eval flags are the ones the script used for its forward.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch
from torch import nn
from torch.func import functional_call
from torch.overrides import TorchFunctionMode

from nnlint.sanity.capture import ModelCall
from nnlint.sanity.replay import cloned_state, modes
from nnlint.sanity.sites import Site, caller_site


@dataclass
class Place:
    """Where a function call happened: the innermost running layer."""

    path: str  # dotted submodule name, "" for the model itself
    module: nn.Module
    producers: dict[int, str] = field(repr=False)  # id(output tensor) -> the layer that produced it

    def produced_by(self, tensor: Any) -> str | None:
        return self.producers.get(id(tensor)) if isinstance(tensor, torch.Tensor) else None


class Observer(Protocol):
    def observe(
        self, func: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any], output: Any, place: Place
    ) -> None: ...


class _Watch(TorchFunctionMode):
    def __init__(
        self, stack: list[tuple[str, nn.Module]], producers: dict[int, str], observers: Sequence[Observer]
    ) -> None:
        super().__init__()
        self.stack, self.producers, self.observers = stack, producers, observers

    def __torch_function__(
        self, func: Any, types: Any, args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None
    ) -> Any:
        kwargs = kwargs or {}
        output = func(*args, **kwargs)
        if getattr(func, "__name__", "") not in _PLAIN_ACCESS:
            path, module = self.stack[-1]
            place = Place(path, module, self.producers)
            for observer in self.observers:
                observer.observe(func, args, kwargs, output, place)
        return output


# Attribute reads and sizes: far too frequent, and no observer cares about them.
_PLAIN_ACCESS = frozenset({"__get__", "size", "dim", "shape", "numel", "stride", "is_contiguous", "data_ptr"})


def call_site() -> Site | None:
    """The user's line for the function call being observed (its frames are still on the stack)."""
    return caller_site(sys._getframe(1))


def traced_forward(model: nn.Module, call: ModelCall, observers: Sequence[Observer]) -> None:
    """Run `call` again on `model` with every torch function call shown to the observers."""
    stack: list[tuple[str, nn.Module]] = [("", model)]
    producers: dict[int, str] = {}
    keep_alive: list[Any] = []  # ids in `producers` must not be reused by new tensors during the forward
    handles = []
    for name, module in model.named_modules():
        if not name:
            continue

        def enter(module: nn.Module, args: Any, name: str = name) -> None:
            stack.append((name, module))

        def leave(module: nn.Module, args: Any, output: Any, name: str = name) -> None:
            stack.pop()
            if isinstance(output, torch.Tensor):
                producers[id(output)] = f"{name} ({type(module).__name__})"
                keep_alive.append(output)

        handles.append(module.register_forward_pre_hook(enter))
        handles.append(module.register_forward_hook(leave, always_call=True))
    try:
        state = cloned_state(model, trainable=False)
        with modes(model, call.training, dropout=True), torch.no_grad(), _Watch(stack, producers, observers):
            functional_call(model, state, call.args, call.kwargs)
    finally:
        for handle in handles:
            handle.remove()
