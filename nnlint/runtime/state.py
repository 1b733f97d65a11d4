"""Save and restore what the runtime checks could change: one home for the probe and `run`.

Nothing the user holds is ever written: the probe runs the model on *copies* of its parameters and buffers
swapped into the modules (`on_copies`), and `run`'s checks run `torch.func.functional_call` on cloned state
(`cloned_state`). So BatchNorm statistics, `.grad`, storage, devices and even tensor version counters stay as
they were, and a backward the user's graph still has pending works after a probe. Train/eval flags
(`modes`) and the global random generators (`kept_rng`) are put back on the way out.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn


def cloned_state(model: nn.Module, trainable: bool) -> dict[str, torch.Tensor]:
    """Copies of the buffers, and with `trainable` of the parameters too (as fresh leaves to train).

    Every name of a tied tensor is in the state, all bound to one copy: GPT-2's `lm_head.weight` is
    `transformer.wte.weight`, and a state naming only the first would leave the head on the user's own
    parameter, whose `.grad` every replayed backward would then add to. Train `unique(state)`.
    """
    copies: dict[int, torch.Tensor] = {}

    def copy_of(tensor: torch.Tensor, leaf: bool) -> torch.Tensor:
        if id(tensor) not in copies:
            data = tensor.detach().clone()
            copies[id(tensor)] = data.requires_grad_(tensor.requires_grad) if leaf else data
        return copies[id(tensor)]

    state = {name: copy_of(buffer, False) for name, buffer in model.named_buffers(remove_duplicate=False)}
    if trainable:
        for name, param in model.named_parameters(remove_duplicate=False):
            state[name] = copy_of(param, True)
    return state


def unique(state: dict[str, torch.Tensor]) -> list[torch.Tensor]:
    """The distinct tensors of a state (a tied weight once), in order."""
    return list({id(tensor): tensor for tensor in state.values()}.values())


@contextmanager
def modes(model: nn.Module, training: bool | None = None, dropout: bool = True) -> Iterator[None]:
    """Train/eval flags set for the block (`training`; dropout optionally off) and restored after it."""
    saved = [(module, module.training) for module in model.modules()]
    try:
        if training is not None:
            model.train(training)
        if not dropout:
            for module in model.modules():
                if isinstance(module, nn.modules.dropout._DropoutNd):
                    module.eval()
        yield
    finally:
        for module, flag in saved:
            module.training = flag


@contextmanager
def swapped_in(model: nn.Module, state: dict[str, torch.Tensor]) -> Iterator[None]:
    """Run the block with the named tensors of `state` in place of the model's own (the originals go back).

    Unlike `torch.func.functional_call`, the swap lasts for the whole block, backward included: gradient
    checkpointing recomputes the forward during backward, and must see the same weights there.
    """
    swapped: list[tuple[dict[str, Any], str, torch.Tensor]] = []
    try:
        for name, tensor in state.items():
            owner, _, attr = name.rpartition(".")
            module = model.get_submodule(owner)
            table = module._parameters if attr in module._parameters else module._buffers
            swapped.append((table, attr, table[attr]))
            table[attr] = tensor
        yield
    finally:
        for table, attr, original in reversed(swapped):
            table[attr] = original


@contextmanager
def on_copies(model: nn.Module, device: torch.device) -> Iterator[None]:
    """Run the block with every parameter and buffer of `model` replaced by a copy on `device`.

    The copies sit in the modules' own parameter and buffer tables, so hooks, tracers and `model.parameters()`
    all see them; tied weights stay tied (one copy per original). On the way out the original objects go
    back, untouched: a probe between a user's forward and backward leaves the saved tensors valid.
    """
    copies: dict[int, torch.Tensor] = {}
    swapped: list[tuple[dict[str, Any], str, torch.Tensor]] = []

    def copy_of(tensor: torch.Tensor, parameter: bool) -> torch.Tensor:
        if id(tensor) not in copies:
            data = tensor.detach().to(device, copy=True)
            copies[id(tensor)] = nn.Parameter(data, tensor.requires_grad) if parameter else data
        return copies[id(tensor)]

    try:
        with torch.no_grad():
            for module in model.modules():
                for table, parameter in ((module._parameters, True), (module._buffers, False)):
                    for name, tensor in list(table.items()):
                        if tensor is not None:
                            swapped.append((table, name, tensor))
                            table[name] = copy_of(tensor, parameter)
        with modes(model):
            yield
    finally:
        for table, name, tensor in reversed(swapped):
            table[name] = tensor


@contextmanager
def kept_rng(*devices: torch.device) -> Iterator[None]:
    """The global generators a check may draw from (torch's CPU and device ones, `random`, numpy), restored.

    Only the device generators asked for are saved: touching CUDA's would initialise it in a CPU-only script.
    """
    cuda = [d for d in devices if d.type == "cuda"]
    state: dict[str, Any] = {"torch": torch.get_rng_state(), "random": random.getstate()}
    state["cuda"] = [(d, torch.cuda.get_rng_state(d)) for d in cuda]
    if any(d.type == "mps" for d in devices):
        state["mps"] = torch.mps.get_rng_state()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        state["numpy"] = numpy.random.get_state()
    try:
        yield
    finally:
        torch.set_rng_state(state["torch"])
        random.setstate(state["random"])
        for device, saved in state["cuda"]:
            torch.cuda.set_rng_state(saved, device)
        if "mps" in state:
            torch.mps.set_rng_state(state["mps"])
        if numpy is not None:
            numpy.random.set_state(state["numpy"])
