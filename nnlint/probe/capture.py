"""Capture the model as a sequence of steps that know their source lines, so a leak can be pinned to one.

Four methods, tried in order until one works: `torch.export` non-strict, then strict, then `torch.fx` symbolic
tracing with stack traces, then plain eager execution, where module hooks name the module and a
`TorchFunctionMode` records every torch call with the user's frame that made it. The graph methods fail on
common models (fx on nanoGPT-style mask slicing, all of them on a data-dependent `if`), so the eager method is
what guarantees an answer; it also sees the branches the model really takes.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import logging
import os
import re
import sys
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.utils import _pytree as pytree

from nnlint.probe.forward import reseed
from nnlint.probe.prepare import ProbeBatch
from nnlint.runtime.frames import Frame, is_library, user_frames
from nnlint.runtime.recorder import Op, OpRecorder

EXPORT_NON_STRICT = "torch.export (non-strict)"
EXPORT_STRICT = "torch.export (strict)"
FX = "torch.fx symbolic_trace"
EAGER = "eager (module hooks)"
INPUT = "input"  # the op of the steps that stand for the model's inputs

_FRAME = re.compile(r'File "([^"]+)", line (\d+)')
# Calls that turn a tensor into a Python value: where data-dependent control flow decides.
_DECISIONS = {"__bool__", "item", "tolist", "__int__", "__float__", "__index__"}


@dataclass
class Step:
    """One operation of a run: what it produced, who called it, which earlier steps fed it."""

    op: str
    outputs: list[torch.Tensor]
    frames: tuple[Frame, ...]  # user frames, outermost first; the last is the line that made the call
    inputs: tuple[int, ...]
    module: str | None = None
    value: Any = None  # the Python value of a decision step (bool(), .item())

    def same_call(self, other: Step) -> bool:
        return self.op == other.op and self.frames == other.frames and len(self.outputs) == len(other.outputs)


class Capture(ABC):
    method: str

    @abstractmethod
    def record(self, leaves: list[Any]) -> list[Step]:
        """Run the captured model on the given input leaves, keeping every step's outputs."""

    @abstractmethod
    def exercised(self) -> set[Frame]:
        """Every user source line the captured run passed through."""


def captures(model: nn.Module, batch: ProbeBatch) -> Iterator[Capture | str]:
    """The capture methods in order, lazily: a Capture, or a one-line reason why the method failed.

    Eager first: it costs two plain forwards (no tracing, which on Hugging Face models fails twice on the
    default cache before anything runs), sees the branches really taken, and keeps every user frame, helper
    functions included (export's stack traces keep only `forward` frames). The graph methods follow for
    the rare leak the eager run does not reproduce."""
    yield EagerCapture(model, batch)
    for method, build in ((EXPORT_NON_STRICT, _export), (EXPORT_STRICT, _export), (FX, _fx)):
        try:
            with _quiet():
                capture = build(model, batch, method)
        except Exception as error:  # every tracer has its own error types; any of them means "next"
            yield f"{method}: {type(error).__name__}: {_first_line(error)}"
            continue
        yield capture


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Tracers print graphs and warnings when they fail; the probe reports the failure in one line instead."""
    logger = logging.getLogger("torch")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with (
            warnings.catch_warnings(),
            contextlib.redirect_stdout(io.StringIO()),
            contextlib.redirect_stderr(io.StringIO()),
        ):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:160] if text else ""


class GraphCapture(Capture):
    """A torch.export or torch.fx graph, run node by node with an fx Interpreter."""

    def __init__(
        self, module: torch.fx.GraphModule, method: str, to_placeholders: Any, device: torch.device
    ) -> None:
        self.module = module
        self.method = method
        self._to_placeholders = to_placeholders
        self._device = device

    def record(self, leaves: list[Any]) -> list[Step]:
        recorder = _GraphRecorder(self.module)
        reseed(self._device)
        with torch.no_grad(), _quiet():
            recorder.run(*self._to_placeholders(leaves))
        return recorder.steps

    def exercised(self) -> set[Frame]:
        return {frame for node in self.module.graph.nodes for frame in _node_frames(node)}


def _export(model: nn.Module, batch: ProbeBatch, method: str) -> GraphCapture:
    args, kwargs = batch.args_kwargs
    program = torch.export.export(model, args, kwargs, strict=method == EXPORT_STRICT)
    # The exported module takes the flattened (args, kwargs) leaves as its placeholders, in order.
    return GraphCapture(program.module(), method, lambda leaves: leaves, batch.device)


def _fx(model: nn.Module, batch: ProbeBatch, method: str) -> GraphCapture:
    tracer = torch.fx.Tracer()
    tracer.record_stack_traces = True
    graph = tracer.trace(model)
    module = torch.fx.GraphModule(tracer.root, graph)
    signature = inspect.signature(model.forward)

    def to_placeholders(leaves: list[Any]) -> tuple[Any, ...]:
        args, kwargs = pytree.tree_unflatten(leaves, batch.treespec)
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return tuple(bound.arguments.values())

    return GraphCapture(module, method, to_placeholders, batch.device)


def _node_frames(node: torch.fx.Node) -> tuple[Frame, ...]:
    trace = node.meta.get("stack_trace") or ""
    return tuple(
        (os.path.abspath(name), int(line)) for name, line in _FRAME.findall(trace) if not is_library(name)
    )


def _node_module(node: torch.fx.Node) -> str | None:
    if node.op == "call_module":
        return str(node.target)
    stack = node.meta.get("nn_module_stack")
    if not stack:
        return None
    path = list(stack.values())[-1][0]
    return path or None


class _GraphRecorder(torch.fx.Interpreter):
    def __init__(self, module: torch.fx.GraphModule) -> None:
        super().__init__(module)
        self.steps: list[Step] = []
        self._index: dict[torch.fx.Node, int] = {}

    def run_node(self, node: torch.fx.Node) -> Any:
        result = super().run_node(node)
        if node.op not in ("placeholder", "call_function", "call_method", "call_module"):
            return result
        tensors = [t for t in pytree.tree_leaves(result) if isinstance(t, torch.Tensor)]
        if tensors:
            self._index[node] = len(self.steps)
            self.steps.append(
                Step(
                    op=_node_op(node),
                    outputs=[t.detach().clone() for t in tensors],
                    frames=_node_frames(node),
                    inputs=tuple(self._index[n] for n in node.all_input_nodes if n in self._index),
                    module=_node_module(node),
                )
            )
        return result


def _node_op(node: torch.fx.Node) -> str:
    if node.op == "placeholder":
        return INPUT
    if node.op == "call_module":
        return f"{type(node.graph.owning_module.get_submodule(str(node.target))).__name__} module"
    if node.op == "call_method":
        return f"Tensor.{node.target}"
    return getattr(node.target, "__name__", str(node.target))


class EagerCapture(Capture):
    """Plain execution of the real model: every torch call, with the user frames that made it."""

    method = EAGER

    def __init__(self, model: nn.Module, batch: ProbeBatch) -> None:
        self.model = model
        self.batch = batch

    def record(self, leaves: list[Any]) -> list[Step]:
        steps = _EagerSteps()
        steps.add_inputs(leaves)
        reseed(self.batch.device)
        with torch.no_grad(), OpRecorder(self.model, steps.observe):
            self.batch.call(self.model, leaves)
        return steps.steps

    def exercised(self) -> set[Frame]:
        return {frame for step in self.record(self.batch.fresh_leaves()) for frame in step.frames}


class _EagerSteps:
    """The recorder's ops as steps: tensors out, the earlier steps that fed them, the frames that called."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self._producer: dict[int, int] = {}
        self._alive: list[torch.Tensor] = []  # keeps ids unique while the run lasts

    def add_inputs(self, leaves: list[Any]) -> None:
        """The input tensors become the first steps, so steps reading them know they read batched data."""
        for leaf in leaves:
            if isinstance(leaf, torch.Tensor):
                self._producer[id(leaf)] = len(self.steps)
                self.steps.append(Step(INPUT, [leaf.detach().clone()], (), ()))

    def observe(self, op: Op) -> None:
        tensors = [t for t in pytree.tree_leaves(op.output) if isinstance(t, torch.Tensor)]
        decision = op.name.rpartition(".")[2] in _DECISIONS
        if not tensors and not decision:
            return
        inputs = tuple(
            sorted(
                {
                    self._producer[id(t)]
                    for t in pytree.tree_leaves((op.args, op.kwargs))
                    if isinstance(t, torch.Tensor) and id(t) in self._producer
                }
            )
        )
        step = Step(
            op=op.name,
            outputs=[t.detach().clone() for t in tensors],
            frames=user_frames(sys._getframe(1)),
            inputs=inputs,
            module=op.path or None,
            value=op.output if decision else None,
        )
        for tensor in tensors:
            self._producer[id(tensor)] = len(self.steps)
            self._alive.append(tensor)
        self.steps.append(step)
