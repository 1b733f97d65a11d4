"""The captured batch and loss, re-run on a copy of the model's weights with other samples or zeroed inputs.

The checks that train (NN912, NN913) or look inside (NN914, NN917) must compute the script's loss again
without running the script's code again. That works when the loss input is one of the model's outputs (or a
contiguous reshape of one, as in `logits.view(-1, vocab)`, or its softmax, log_softmax or sigmoid), or when
the model returns the loss itself (nanoGPT, Hugging Face). Anything else between model and loss is user code
nnlint cannot replay, and the checks that need a replay say so instead of guessing.

Weights are never touched: the model runs with cloned parameters and buffers swapped in (runtime/state.py), so
BatchNorm statistics, `.grad` and the optimizer's state stay exactly as the script left them.

Samples are taken along the batch dim of the run's layout (layout.py, the probe's too): PyTorch's
word_language_model feeds `(T, B)` token ids, and picking rows of dim 0 there would train on a few time steps
of every sequence, whose targets (the next steps) were cut away, instead of on a few whole sequences.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.utils._pytree import tree_flatten, tree_map

from nnlint.run.capture import LossCall, ModelCall
from nnlint.run.layout import Layout, infer
from nnlint.runtime.state import swapped_in
from nnlint.vocabulary import MODEL_TARGET_KEYWORDS

Path = tuple[Any, ...]


def batch_size(call: ModelCall, dim: int = 0) -> int | None:
    """The size along the batch dim `dim` of the first tensor the model was called with that has it."""
    for value in (*call.args, *call.kwargs.values()):
        if isinstance(value, torch.Tensor) and value.ndim > dim:
            return int(value.shape[dim])
    return None


def find_tensor(obj: Any, match: Callable[[torch.Tensor], bool], path: Path = ()) -> Path | None:
    """Where in a (nested tuple / list / dict) model output the first matching tensor sits."""
    if isinstance(obj, torch.Tensor):
        return path if match(obj) else None
    items: Any = ()
    if isinstance(obj, Mapping):
        items = obj.items()
    elif isinstance(obj, (tuple, list)):
        items = enumerate(obj)
    for key, value in items:
        found = find_tensor(value, match, (*path, key))
        if found is not None:
            return found
    return None


def at(obj: Any, path: Path) -> Any:
    for key in path:
        obj = obj[key]
    return obj


def rows(value: Any, indices: torch.Tensor, size: int, flattened: bool = False, dim: int = 0) -> Any:
    """The chosen samples, along `dim`, of a tensor with the batch there; with `flattened`, also of one whose
    first dim flattens the batch and time dims (`(B*T, ...)` batch-first, `(T*B, ...)` sequence-first).

    Detached: the replay trains the model's cloned weights and nothing upstream. Lightning's README
    autoencoder calls `self.decoder(self.encoder(x))` in its training_step: the decoder's input carries the
    encoder's graph, which the script's backward had freed, and the decoder's replay died with "Trying to
    backward through the graph a second time" (with retain_graph it would have added to the encoder's .grad).
    """
    if not isinstance(value, torch.Tensor):
        return value
    value = value.detach()
    if value.ndim == 0:
        return value
    chosen = indices.to(value.device)
    if value.ndim > dim and value.shape[dim] == size:
        return value.index_select(dim, chosen)
    if flattened and dim <= 1 and value.shape[0] % size == 0:
        rest = value.shape[1:]
        grouped = value.reshape(size, -1, *rest) if dim == 0 else value.reshape(-1, size, *rest)
        return grouped.index_select(dim, chosen).reshape(-1, *rest)
    return value


def is_mask(value: torch.Tensor) -> bool:
    """Boolean or 0/1 integer tensors are masks: zeroing one masks everything, it removes no information."""
    if value.dtype == torch.bool:
        return True
    return (
        not value.is_floating_point()
        and value.numel() > 0
        and int(value.max()) <= 1
        and int(value.min()) >= 0
    )


@dataclass
class Replay:
    """How to compute the script's loss on chosen samples of its first batch, with given weights."""

    model: nn.Module
    call: ModelCall
    loss: LossCall
    path: Path  # where the loss input (or, with returns_loss, the loss) sits in the model's output
    returns_loss: bool
    reshape_tail: tuple[int, ...] | None  # the loss input is output.reshape(-1, *tail)
    size: int
    batch_dim: int = 0  # the run's layout (layout.infer): 1 for sequence-first `(T, B)` batches
    normalise: Callable[[torch.Tensor], torch.Tensor] | None = None  # the loss input is normalise(output)

    def targets(self, indices: torch.Tensor) -> Any:
        return rows(self.loss.target, indices, self.size, flattened=True, dim=self.batch_dim)

    def inputs(self, indices: torch.Tensor, zeroed: bool = False) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The chosen samples of the model's arguments; with `zeroed`, features and token ids set to zero."""
        target = self.loss.target

        def pick(value: Any) -> Any:
            chosen = rows(value, indices, self.size, dim=self.batch_dim)
            if not zeroed or not isinstance(chosen, torch.Tensor) or is_mask(chosen):
                return chosen
            if value.ndim <= self.batch_dim or value.shape[self.batch_dim] != self.size:
                return chosen  # not a per-sample input (HF's num_items_in_batch, a shared table)
            if self.returns_loss and isinstance(target, torch.Tensor) and _shares_memory(value, target):
                return chosen  # targets passed to a model that computes its own loss stay real
            return torch.zeros_like(chosen)

        kwargs = {
            key: tree_map(lambda v: rows(v, indices, self.size, dim=self.batch_dim), value)
            if self.returns_loss and key in MODEL_TARGET_KEYWORDS  # zeroing the inputs keeps the targets real
            else tree_map(pick, value)
            for key, value in self.call.kwargs.items()
        }
        return tree_map(pick, self.call.args), kwargs

    def zeroes_something(self, indices: torch.Tensor) -> bool:
        """Whether `inputs(zeroed=True)` changes anything: if not, zeroed inputs prove nothing."""
        real, _ = tree_flatten(self.inputs(indices))
        zero, _ = tree_flatten(self.inputs(indices, zeroed=True))
        return any(
            isinstance(a, torch.Tensor) and not torch.equal(a, b) for a, b in zip(real, zero, strict=True)
        )

    def compute(
        self, state: dict[str, torch.Tensor], indices: torch.Tensor, zeroed: bool = False
    ) -> torch.Tensor:
        args, kwargs = self.inputs(indices, zeroed)
        with swapped_in(self.model, state):
            picked = at(self.model(*args, **kwargs), self.path)
        if self.returns_loss:
            return picked
        if self.normalise is not None:
            picked = self.normalise(picked)
        if self.reshape_tail is not None:
            picked = picked.reshape(-1, *self.reshape_tail)
        arguments = dict(self.loss.arguments)
        arguments[self.loss.input_name] = picked
        arguments[self.loss.target_name] = self.targets(indices)
        return self.loss.function(**arguments)

    def choose(self, count: int) -> torch.Tensor:
        """Up to `count` samples, distinct classes first as far as the targets allow (NN913 needs variety)."""
        count = min(count, self.size)
        target = self.loss.target
        dim = self.batch_dim
        if (
            isinstance(target, torch.Tensor)
            and not target.is_floating_point()
            and target.ndim > dim
            and target.shape[dim] == self.size
        ):
            first_of_class: dict[Any, int] = {}
            for index, label in enumerate(target.movedim(dim, 0).reshape(self.size, -1).tolist()):
                first_of_class.setdefault(tuple(label), index)
            chosen = list(first_of_class.values())[:count]
            chosen += [i for i in range(self.size) if i not in chosen][: count - len(chosen)]
            return torch.tensor(sorted(chosen))
        return torch.arange(count)


def _shares_memory(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


def link(model: nn.Module, calls: list[ModelCall], loss: LossCall, given: Layout) -> Replay | str:
    """The replay of `loss` from one of `model`'s calls, or why there is none.

    `given` is the layout the user set (or the default); the batch dim is the one the probe uses too.
    """
    for call in reversed(calls):
        if call.module is not model:
            continue
        dim = infer(model, call, loss, given).batch_dim
        size = batch_size(call, dim)
        if size is None:
            continue
        path = find_tensor(call.output, lambda t: t is loss.output)
        if path is None:  # a loss the model normalised after the fact (HF: sum / num_items_in_batch)
            path = find_tensor(call.output, lambda t: t.ndim == 0 and _derives_from(t, loss.output))
        if path is not None:
            return _upstream(call) or Replay(model, call, loss, path, True, None, size, dim)
        path = find_tensor(call.output, lambda t: t is loss.input)
        tail: tuple[int, ...] | None = None
        normalise = None
        if path is None:
            path = find_tensor(
                call.output, lambda t, size=size, dim=dim: _is_reshape(t, loss.input, size, dim)
            )
            tail = tuple(loss.input.shape[1:])
        if path is None:
            path = find_tensor(call.output, lambda t: _normalisation(t, loss.input) is not None)
            if path is not None:
                normalise, tail = _normalisation(at(call.output, path), loss.input), None
        if path is None:
            continue
        target = loss.target
        if isinstance(target, torch.Tensor) and (target.ndim == 0 or target.shape[0] % size):
            return f"the {loss.name} target's first dim ({tuple(target.shape)}) is not the batch ({size})"
        return _upstream(call) or Replay(model, call, loss, path, False, tail, size, dim, normalise)
    return (
        f"the {loss.name} input is computed from the model's output by code nnlint cannot replay "
        "(only the output itself, a reshape of it, its softmax, log_softmax or sigmoid, or a loss the model "
        "returns)"
    )


def _upstream(call: ModelCall) -> str | None:
    """Why a call whose input was computed with gradients (another model's output, trained with it) is not
    replayed: the replay would train this model alone on inputs frozen at their initial values, which is not
    the script's problem. Lightning's README autoencoder calls `self.decoder(self.encoder(x))`: the decoder
    alone, on its random encoder's 3-wide codes of 8 images, came down 0.348 -> 0.059, zeroed codes to 0.071,
    a false NN913. A leaf input that asks for its gradient (an adversarial example's) is data, and replayed.
    """
    tensors = [t for t in tree_flatten((call.args, call.kwargs))[0] if isinstance(t, torch.Tensor)]
    if any(t.grad_fn is not None for t in tensors):
        return (
            "its input is computed with gradients (another model's output, trained with it): replaying it "
            "alone would hold that model at its initial weights"
        )
    return None


def _signed(dim: int) -> int:
    """A dim saved by autograd as an unsigned 64-bit integer (-1 reads 2**64 - 1)."""
    return dim - 2**64 if dim >= 2**63 else dim


# Loss inputs one normalisation away from a model output: probabilities or log-probabilities taken by the
# script's own loss code (`F.cross_entropy(outputs.logits.softmax(-1), labels)` in a Trainer's compute_loss,
# `F.nll_loss(F.log_softmax(model(x), 1), y)`), recognised by the autograd node that made them.
_NORMALISATIONS: dict[str, Callable[[Any], Callable[[torch.Tensor], torch.Tensor]]] = {
    "SoftmaxBackward0": lambda node: lambda t: torch.softmax(t, _signed(node._saved_dim)),
    "LogSoftmaxBackward0": lambda node: lambda t: torch.log_softmax(t, _signed(node._saved_dim)),
    "SigmoidBackward0": lambda node: torch.sigmoid,
}


def _normalisation(output: torch.Tensor, loss_input: Any) -> Callable[[torch.Tensor], torch.Tensor] | None:
    """How `loss_input` was computed from `output` by one softmax, log_softmax or sigmoid; None otherwise."""
    if not isinstance(loss_input, torch.Tensor) or loss_input.shape != output.shape:
        return None
    node, source = loss_input.grad_fn, output.grad_fn
    if node is None or source is None or type(node).__name__ not in _NORMALISATIONS:
        return None
    if not any(child is source for child, _ in node.next_functions):
        return None
    return _NORMALISATIONS[type(node).__name__](node)


def _derives_from(value: torch.Tensor, source: torch.Tensor, depth: int = 4) -> bool:
    """`value` is computed from `source` by a few autograd steps (a division, a mean, a cast)."""
    target = source.grad_fn
    if target is None or value.grad_fn is None:
        return False
    frontier = [value.grad_fn]
    for _ in range(depth):
        if any(node is target for node in frontier):
            return True
        frontier = [child for node in frontier for child, _ in node.next_functions if child is not None]
    return any(node is target for node in frontier)


def _is_reshape(output: torch.Tensor, loss_input: Any, size: int, dim: int) -> bool:
    """`loss_input` is `output.reshape(-1, ...)` of an output with the batch at `dim` (0 or 1): same memory,
    same order."""
    return (
        isinstance(loss_input, torch.Tensor)
        and loss_input.ndim >= 1
        and output.ndim > dim
        and dim <= 1
        and output.shape[dim] == size
        and output.numel() == loss_input.numel()
        and output.data_ptr() == loss_input.data_ptr()
        and output.is_contiguous()
        and loss_input.is_contiguous()
        and loss_input.shape[0] % size == 0
    )
