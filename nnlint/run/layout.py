"""Which dims of the captured batch are the batch and the time, and which inputs are autoregressive.

The probe needs to know where the batch is. Most scripts are batch-first, but PyTorch's own
word_language_model feeds `(T, B)` token ids to a sequence-first RNN or Transformer: probing its dim 0 as the
batch would call the time steps "samples" and report them mixing. The user can say so (`--batch-dim 1
--time-dim 0`, or `batch-dim`/`time-dim` in `[tool.nnlint.run]`); otherwise two facts of the run decide:

- a language-model target is the input shifted by one step: `target[:-1] == input[1:]` along dim 0 means dim 0
  is time (and along dim 1, that dim 1 is);
- a recurrent model called with its hidden state: `h0` is `(layers * directions, N, hidden)` for any
  `batch_first`, so N is the batch size, and the input dim of that size is the batch.

Without such evidence the batch is dim 0, as before.

A target that is the input shifted by one step also says the model predicts the next token: its output at
step t must not see input t + 1, which is its own target. The causality test then runs without `--causal`.
The shift is read from the loss the script's backward went through, wherever it was computed: a Hugging Face
causal LM called with `labels=input_ids` shifts inside the model (`ForCausalLMLoss` pads each row's shifted
labels with `ignore_index`; older versions cut the last step), and the comparison skips ignored targets.
The input the target is shifted from is then the autoregressive one, unless the user named others: a
translation model's source (`model(src, tgt[:, :-1])`) is context its encoder may read whole.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.utils._pytree import tree_leaves

from nnlint.run.capture import LossCall, ModelCall
from nnlint.vocabulary import MODEL_TARGET_KEYWORDS


@dataclass(frozen=True)
class Layout:
    batch_dim: int = 0
    time_dim: int = 1
    causal_inputs: tuple[int | str, ...] | None = None
    why: str | None = None  # "given" by the user, or how the run showed it; None for the default
    next_token: bool = False  # the target is the input shifted by one step: a next-token predictor


def infer(model: nn.Module, call: ModelCall, loss: LossCall | None, given: Layout) -> Layout:
    """`given` when the user set the dims (`why` is "given"); else what the run shows, else the default."""
    if given.why == "given":
        return given
    if loss is not None and isinstance(loss.target, torch.Tensor):
        ignore = loss.arguments.get("ignore_index", -100)
        for key, tokens in _token_inputs(call):
            time = _shifted_dim(tokens, loss.target, ignore if isinstance(ignore, int) else None)
            if time is not None:
                why = f"the target is the input shifted along dim {time}"
                # That input is the autoregressive one; any other (a translation model's source) is context.
                causal_inputs = given.causal_inputs or (key,)
                return Layout(1 - time, time, causal_inputs, why, next_token=True)
    batch = _rnn_batch(model, call)
    first = next((a for a in call.args if isinstance(a, torch.Tensor) and a.ndim >= 2), None)
    if batch is not None and first is not None:
        dims = [d for d, size in enumerate(first.shape[:2]) if size == batch]
        if dims == [1]:
            return Layout(1, 0, given.causal_inputs, f"the RNN's hidden state holds {batch} sequences")
    return Layout(given.batch_dim, given.time_dim, given.causal_inputs, None)


def _token_inputs(call: ModelCall) -> list[tuple[int | str, torch.Tensor]]:
    """The (N, T) integer inputs of the call with their positions or keywords; not the targets handed to a
    model that computes its own loss (`labels=`), which are the target, not an input."""
    values = [
        *enumerate(call.args),
        *((k, v) for k, v in call.kwargs.items() if k not in MODEL_TARGET_KEYWORDS),
    ]
    return [
        (key, v)
        for key, v in values
        if isinstance(v, torch.Tensor) and v.ndim == 2 and not v.is_floating_point()
    ]


def _shifted_dim(tokens: torch.Tensor, target: torch.Tensor, ignore: int | None) -> int | None:
    """The dim along which the target's step t is the input's step t + 1, if one is.

    The target may hold every step (`target[t] = tokens[t + 1]` for t < T - 1, the last one ignored or
    anything) or only the first T - 1 (the last step, which has no next token, cut away). Ignored targets are
    skipped.
    """
    if target.is_floating_point():
        return None
    target = target.to(tokens.device)
    for dim in (0, 1):
        steps = tokens.shape[dim]
        if steps < 3 or tokens.shape[1 - dim] == steps:
            continue
        later = tokens.narrow(dim, 1, steps - 1)
        if target.numel() == tokens.numel():
            earlier = target.reshape(tokens.shape).narrow(dim, 0, steps - 1)
        elif target.numel() == later.numel():
            earlier = target.reshape(later.shape)
        else:
            continue
        kept = earlier != ignore if ignore is not None else torch.ones_like(earlier, dtype=torch.bool)
        if kept.sum() < 2 or not torch.equal(later[kept], earlier[kept]):
            continue
        if target.numel() != tokens.numel() or not torch.equal(tokens, target.reshape(tokens.shape)):
            return dim
    return None


def _rnn_batch(model: nn.Module, call: ModelCall) -> int | None:
    """N from a hidden state `(layers * directions, N, hidden)` passed to a model that holds such an RNN."""
    shapes = {
        (m.num_layers * (2 if m.bidirectional else 1), m.hidden_size)
        for m in model.modules()
        if isinstance(m, nn.RNNBase)
    }
    if not shapes:
        return None
    for value in tree_leaves((call.args[1:], call.kwargs)):
        if isinstance(value, torch.Tensor) and value.ndim == 3 and (value.shape[0], value.shape[2]) in shapes:
            return int(value.shape[1])
    return None
