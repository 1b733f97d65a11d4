"""Run the model on the probe batch: guarded against errors, with gradient sources attached.

Gradients are taken at the batched float inputs and, for integer token inputs, at the output of every
`nn.Embedding` that the batch flows through (a forward hook swaps that output for a fresh leaf tensor), so one
backward pass tells which input samples and steps each output depends on.
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.utils import _pytree as pytree

from nnlint.probe.errors import ProbeError
from nnlint.probe.prepare import ProbeBatch

SEED = 0
NO_BATCHED_OUTPUT = "no batched output carries a gradient"


@dataclass
class Tracked:
    """A tensor with the position of its batch dim and, when it has one, its time dim."""

    tensor: torch.Tensor
    batch_dim: int
    time_dim: int | None
    causal: bool = True  # from an autoregressive input (a source the causal test reads)


def track(tensor: torch.Tensor, batch: ProbeBatch) -> Tracked | None:
    """Where the batch (and time) dims of a model tensor are: the declared dim when its size fits, else the
    one dim of that size. None when the tensor has no batch dim we can find."""
    batch_dim = _dim_of_size(tensor, batch.batch_dim, batch.b)
    if batch_dim is None:
        return None
    time_dim = None
    if batch.steps is not None:
        time_dim = _dim_of_size(tensor, batch.time_dim, batch.steps, exclude=batch_dim)
    return Tracked(tensor, batch_dim, time_dim)


def _dim_of_size(tensor: torch.Tensor, preferred: int, size: int, exclude: int | None = None) -> int | None:
    if tensor.dim() > preferred and tensor.shape[preferred] == size and preferred != exclude:
        return preferred
    matches = [d for d, n in enumerate(tensor.shape) if n == size and d != exclude]
    return matches[0] if len(matches) == 1 else None


def tracked_outputs(result: Any, batch: ProbeBatch) -> list[Tracked]:
    """The batched tensors among whatever the model returned (tensor, tuple, dict, dataclass-like output).

    A b x b output (CLIP's `logits_per_image`, any contrastive similarity matrix) scores pairs of samples: its
    entry (i, j) depends on samples i and j by design, so it is not judged. The probe batch size is chosen to
    differ from every other dim of the inputs, so a second dim of that size is the batch again.
    """
    tracked = []
    for leaf in pytree.tree_leaves(result):
        if not isinstance(leaf, torch.Tensor) or sum(n == batch.b for n in leaf.shape) > 1:
            continue
        if found := track(leaf, batch) or _merged(leaf, batch):
            tracked.append(found)
    return tracked


def _merged(tensor: torch.Tensor, batch: ProbeBatch) -> Tracked | None:
    """An output that is a view flattening the batch and time dims of another tensor, split back into two.

    Language models often return `log_softmax(logits).view(-1, vocab)` for the loss (Lightning's demo
    Transformer). The order of the two dims is read from the tensor the view was taken of: a batch-first
    model and one that went time-major inside give different orders, and guessing wrong would call the
    steps of one sample "other samples". An output flattened by a copy (`reshape` of a non-contiguous
    tensor, an op after the view) carries no such record and is left out.
    """
    base, b, steps = tensor._base, batch.b, batch.steps
    if base is None or steps is None or steps < 2 or b == steps:
        return None
    for dim in range(base.dim() - 1):
        pair = tuple(base.shape[dim : dim + 2])
        flattened = (*base.shape[:dim], b * steps, *base.shape[dim + 2 :])
        if pair in ((b, steps), (steps, b)) and tuple(tensor.shape) == flattened:
            batch_first = pair == (b, steps)
            return Tracked(tensor.unflatten(dim, pair), dim + (not batch_first), dim + batch_first)
    return None


def reseed(device: torch.device) -> None:
    """Same seed before every forward, so dropout or sampling draws the same numbers in runs we compare.

    Only the generators the probe uses: `torch.manual_seed` would also queue a seed for a CUDA that is not
    initialized yet, changing the user's random numbers after we restored them.
    """
    torch.random.default_generator.manual_seed(SEED)
    if device.type == "cuda":
        with torch.cuda.device(device):
            torch.cuda.manual_seed(SEED)
    elif device.type == "mps":
        torch.mps.manual_seed(SEED)
    random.seed(SEED)


def call(model: nn.Module, batch: ProbeBatch, leaves: list[Any] | None = None) -> Any:
    """One forward of the model on the probe batch, with errors turned into a ProbeError for the user."""
    reseed(batch.device)
    try:
        return batch.call(model, leaves)
    except torch.cuda.OutOfMemoryError as error:
        raise out_of_memory(error) from error
    except ProbeError:
        raise
    except Exception as error:
        if isinstance(error, NotImplementedError) and _innermost_function(error) == "_forward_unimplemented":
            raise _no_forward(model) from error
        raise _forward_failed(error, batch) from error


def _forward_failed(error: Exception, batch: ProbeBatch) -> ProbeError:
    shapes = ", ".join(
        f"{tuple(leaf.shape)} {str(leaf.dtype).removeprefix('torch.')}"
        for leaf in batch.leaves
        if isinstance(leaf, torch.Tensor)
    )
    return ProbeError(
        f"The model's forward raised {type(error).__name__}: {str(error).rstrip('.')}. The probe called "
        f"it on {batch.b} samples (inputs {shapes}); check that the inputs match what the model expects, "
        f"and that it accepts any batch size along dim {batch.batch_dim}."
    )


def _innermost_function(error: BaseException) -> str | None:
    """The function the error was raised in (nn.Module's `_forward_unimplemented` for a missing forward)."""
    trace = error.__traceback__
    while trace is not None and trace.tb_next is not None:
        trace = trace.tb_next
    return trace.tb_frame.f_code.co_name if trace is not None else None


def _no_forward(model: nn.Module) -> ProbeError:
    """A module that defines no forward() (a LightningModule may compute in its training_step alone, and
    its own forward only passes the call on to nn.Module's): name the submodules that could be probed. It
    read "check that the inputs match what the model expects", which no input could satisfy."""
    children = [f"`.{child}`" for child, _ in model.named_children()]
    hint = f"; probe the submodule it runs instead ({', '.join(children[:6])})" if children else ""
    return ProbeError(
        f"{type(model).__name__} defines no forward(), so the probe has nothing to call (a LightningModule "
        f"may compute in its training_step alone){hint}."
    )


def out_of_memory(error: BaseException) -> ProbeError:
    return ProbeError(
        f"Out of memory while probing ({error}). The probe needs about one forward and backward of "
        "a few samples: probe a smaller config of the model, or run on the CPU with --device cpu."
    )


class BlindGradients(Exception):
    """The backward pass itself failed (an op without a derivative, say): fall back to perturbation."""


@dataclass
class GradientRun:
    """One forward kept alive for several backward passes: outputs to pull from, sources to read at.

    On an accelerator the passes of one test go through a single batched backward (`is_grads_batched`), which
    saves kernel launches; on the CPU a plain loop is faster. Either way nothing is copied to the host until
    the test has all its passes.
    """

    outputs: list[Tracked]
    sources: list[Tracked]
    b: int
    batched: bool
    embedded: bool = False  # some sources are embedding outputs (the inputs include token ids)

    def reach(self, weight_sets: list[torch.Tensor], generator: torch.Generator) -> list[torch.Tensor]:
        """One backward pass per weight set: how strongly the weighted outputs depend on each input sample
        ((b,) weights give (b,)) or on each sample and step ((b, T) weights give (b, T)), on the CPU."""
        cotangents = [self._cotangents(weights, generator) for weights in weight_sets]
        grads = self._pull_batched(cotangents) if self.batched and len(cotangents) > 1 else None
        if grads is None:
            grads = [self._pull(c) for c in cotangents]
        found = [magnitudes(self.sources, g, w.dim() == 2) for g, w in zip(grads, weight_sets, strict=True)]
        flat = torch.cat([f.flatten() for f in found]).cpu()  # one copy to the host for all passes
        return [
            part.view(f.shape) for part, f in zip(flat.split([f.numel() for f in found]), found, strict=True)
        ]

    def _pull(self, cotangents: list[torch.Tensor]) -> list[torch.Tensor]:
        """Vector-Jacobian product: the gradient at each source for the given output cotangents.

        `torch.autograd.grad` never touches `.grad`, and autograd prunes the parameter gradients we do not ask
        for, so each pass costs about one backward of the probe batch.
        """
        grads = self._grad(cotangents, batched=False)
        pairs = zip(self.sources, grads, strict=True)
        return [torch.zeros_like(s.tensor) if g is None else g for s, g in pairs]

    def _pull_batched(self, cotangents: list[list[torch.Tensor]]) -> list[list[torch.Tensor]] | None:
        stacked = [torch.stack(per_output) for per_output in zip(*cotangents, strict=True)]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "no batching rule, falling back to a loop" is fine here
                grads = self._grad(stacked, batched=True)
        except BlindGradients:
            self.batched = False  # some op cannot be batched: the plain loop will do
            return None
        return [
            [
                torch.zeros_like(s.tensor) if g is None else g[index]
                for s, g in zip(self.sources, grads, strict=True)
            ]
            for index in range(len(cotangents))
        ]

    def _grad(self, cotangents: list[torch.Tensor], batched: bool) -> tuple[torch.Tensor | None, ...]:
        try:
            return torch.autograd.grad(
                [o.tensor for o in self.outputs],
                [s.tensor for s in self.sources],
                cotangents,
                retain_graph=True,
                allow_unused=True,
                is_grads_batched=batched,
            )
        except torch.cuda.OutOfMemoryError as error:
            raise out_of_memory(error) from error
        except RuntimeError as error:
            raise BlindGradients(f"the backward pass failed ({_first_line(error)})") from error

    def _cotangents(self, weights: torch.Tensor, generator: torch.Generator) -> list[torch.Tensor]:
        """Random cotangents masked per sample (`weights` (b,)) or per sample and step (`weights` (b, T)).

        Random rather than all-ones, so that dependencies cannot cancel (d/dx_j of sum_i (x_i - mean(x))
        is exactly zero).
        """
        result = []
        for out in self.outputs:
            noise = torch.randn(
                out.tensor.shape, generator=generator, device=out.tensor.device, dtype=out.tensor.dtype
            )
            result.append(noise * spread(weights, out).to(noise.dtype))
        return result


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0][:160] if lines else type(error).__name__


def spread(weights: torch.Tensor, out: Tracked) -> torch.Tensor:
    """Reshape (b,) or (b, T) weights so they broadcast along the tensor's batch (and time) dims."""
    shape = [1] * out.tensor.dim()
    shape[out.batch_dim] = weights.shape[0]
    if weights.dim() == 2:
        if out.time_dim is None:
            return torch.zeros(shape, device=out.tensor.device)
        shape[out.time_dim] = weights.shape[1]
        if out.time_dim < out.batch_dim:
            weights = weights.t()
    return weights.to(out.tensor.device).reshape(shape)


def magnitudes(sources: list[Tracked], grads: list[torch.Tensor], per_step: bool) -> torch.Tensor:
    """Largest gradient entry per sample, (b,), or per sample and step, (b, T), over all sources."""
    total: torch.Tensor | None = None
    for source, grad in zip(sources, grads, strict=True):
        if per_step and (source.time_dim is None or not source.causal):
            continue
        g = grad.detach().abs().float()
        if per_step:
            g = g.movedim((source.batch_dim, source.time_dim), (0, 1))
            g = g.reshape(g.shape[0], g.shape[1], -1).amax(-1)
        else:
            g = g.movedim(source.batch_dim, 0)
            g = g.reshape(g.shape[0], -1).amax(-1)
        total = g if total is None else torch.maximum(total, g)
    if total is None:
        raise BlindGradients("no gradient source of an autoregressive input has a time dimension")
    return total


def gradient_run(
    model: nn.Module, batch: ProbeBatch, intermediate: bool = False
) -> tuple[GradientRun | None, str | None]:
    """Forward with gradient sources attached; (None, why) when gradients cannot see the batch at all.

    With `intermediate`, the outputs pulled from are the inputs and outputs of every layer instead of the
    model's result: for a model whose output ignores its inputs at these weights (a zero-initialised head).
    """
    leaves = batch.fresh_leaves()
    sources: list[Tracked] = []
    integer_inputs = False
    for k, leaf in enumerate(leaves):
        if not batch.batched[k]:
            continue
        if leaf.is_floating_point():
            tracked = track(leaf.requires_grad_(True), batch)
            if tracked is not None:
                tracked.causal = batch.is_causal(k)
                sources.append(tracked)
            leaves[k] = leaf.clone()  # the model may modify its input in place; a leaf must not be
        elif leaf.dtype != torch.bool:
            integer_inputs = True
    hooks = _embedding_sources(model, batch, sources, leaves) if integer_inputs else nullcontext()
    # cuDNN's RNN kernels refuse a backward in eval mode; PyTorch's own RNN code does not.
    rnn_on_cuda = batch.device.type == "cuda" and any(isinstance(m, nn.RNNBase) for m in model.modules())
    cudnn = torch.backends.cudnn.flags(enabled=False) if rnn_on_cuda else nullcontext()
    inside: list[Any] = []
    given = {id(leaf) for leaf in leaves}
    seen = _layer_tensors(model, inside, given) if intermediate else nullcontext()
    float_sources = len(sources)
    with torch.enable_grad(), hooks, cudnn, seen:
        result = call(model, batch, leaves)
    outputs = [
        o for o in tracked_outputs(inside if intermediate else result, batch) if o.tensor.requires_grad
    ]
    if not sources:
        return None, "no float input or embedding output to take gradients at"
    if not outputs:
        return None, NO_BATCHED_OUTPUT
    embedded = len(sources) > float_sources
    return GradientRun(outputs, sources, batch.b, batched=batch.device.type != "cpu", embedded=embedded), None


def _from_causal_input(ids: Any, batch: ProbeBatch, leaves: list[Any]) -> bool:
    """Whether an embedding looked up an autoregressive input: the ids share storage with that input (HF
    models pass views of `input_ids`). An embedding of something else is context when causal inputs are
    named, and counted as causal otherwise."""
    if batch.causal is None:
        return True
    if not isinstance(ids, torch.Tensor):
        return False
    storage = ids.untyped_storage().data_ptr()
    return any(
        isinstance(leaf, torch.Tensor) and leaf.untyped_storage().data_ptr() == storage and batch.causal[k]
        for k, leaf in enumerate(leaves)
    )


@contextmanager
def _layer_tensors(model: nn.Module, sink: list[Any], given: set[int]) -> Iterator[None]:
    """Collect the float inputs and outputs of every layer the forward runs, except the model's inputs."""

    def hook(module: nn.Module, inputs: Any, output: Any) -> None:
        for value in pytree.tree_leaves((inputs, output)):
            # Computed tensors only: a gradient source itself would trivially depend on itself.
            if (
                isinstance(value, torch.Tensor)
                and value.is_floating_point()
                and value.grad_fn is not None
                and id(value) not in given
            ):
                sink.append(value)

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


@contextmanager
def _embedding_sources(
    model: nn.Module, batch: ProbeBatch, sink: list[Tracked], leaves: list[Any]
) -> Iterator[None]:
    """Swap each batched embedding output for a leaf tensor we can take gradients at."""

    def hook(module: nn.Module, inputs: Any, output: Any) -> Any:
        if not isinstance(output, torch.Tensor) or not output.is_floating_point():
            return None
        tracked = track(output, batch)
        if tracked is None:  # e.g. position embeddings, shared by every sample
            return None
        leaf = output.detach().requires_grad_(True)
        causal = _from_causal_input(inputs[0] if inputs else None, batch, leaves)
        sink.append(Tracked(leaf, tracked.batch_dim, tracked.time_dim, causal))
        return leaf

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.Embedding)]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()
