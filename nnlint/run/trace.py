"""One forward of the captured batch that watches every torch function call, for checks that look inside.

The shared recorder (nnlint/runtime/recorder.py) sees functional calls as well as the ones nn layers make and
says which layer is running. Buffers are cloned (BatchNorm statistics stay as they were), gradients
are off, and the train/eval flags are the ones the script used for its forward.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Protocol

import torch
from torch import nn
from torch.func import functional_call

from nnlint.run.capture import ModelCall
from nnlint.runtime.frames import Site, caller_site
from nnlint.runtime.recorder import Op, OpRecorder
from nnlint.runtime.state import cloned_state, modes


class Observer(Protocol):
    def observe(self, op: Op) -> None: ...


def call_site() -> Site | None:
    """The user's line for the function call being observed (its frames are still on the stack)."""
    return caller_site(sys._getframe(1))


def traced_forward(model: nn.Module, call: ModelCall, observers: Sequence[Observer]) -> None:
    """Run `call` again on `model` with every torch function call shown to the observers."""

    def observe(op: Op) -> None:
        for observer in observers:
            observer.observe(op)

    state = cloned_state(model, trainable=False)
    with modes(model, call.training, dropout=True), torch.no_grad(), OpRecorder(model, observe):
        functional_call(model, state, call.args, call.kwargs)
