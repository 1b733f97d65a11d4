"""NN503 and a model's own step-by-step decoder (as-ideas/DeepPhonemizer's `TransformerModel.generate`): a
method of the model class that runs the model's parts on the tokens decoded so far and keeps only the next
token's index (`.item()`, `.argmax()`), with autograd on. Nothing it returns can carry a gradient, so every
step's graph is waste; a sampler that keeps the log-probabilities attached is left alone."""

from __future__ import annotations

from nnlint.runner import check_source
from rules.eval_without_no_grad import EvalWithoutNoGrad

_MODEL = """
import torch
import torch.nn as nn
import torch.nn.functional as F


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(10, 8)
        self.rnn = nn.GRUCell(8, 8)
        self.out = nn.Linear(8, 10)

    def forward(self, tokens, h):
        h = self.rnn(self.embed(tokens), h)
        return self.out(h), h


class Seq2Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.decoder = Decoder()

    def decode(self, h, max_len=20):
{body}
"""

_GREEDY_ITEMS = """\
        indices = [1]
        for _ in range(max_len):
            logits, h = self.decoder(torch.tensor(indices[-1:]), h)
            indices.append(logits.argmax(-1).item())
        return indices
"""

_GREEDY_TENSOR = """\
        tokens = torch.ones(1, dtype=torch.long)
        out = []
        while len(out) < max_len:
            logits, h = self.decoder(tokens, h)
            tokens = logits.argmax(-1)
            out.append(tokens)
        return out
"""

_NO_GRAD = """\
        indices = [1]
        with torch.no_grad():
            for _ in range(max_len):
                logits, h = self.decoder(torch.tensor(indices[-1:]), h)
                indices.append(logits.argmax(-1).item())
        return indices
"""

_KEEPS_LOGITS = """\
        tokens = torch.ones(1, dtype=torch.long)
        steps = []
        for _ in range(max_len):
            logits, h = self.decoder(tokens, h)
            tokens = logits.argmax(-1)
            steps.append(F.log_softmax(logits, -1))
        return steps
"""

_NOT_FED_BACK = """\
        values = []
        for t in range(max_len):
            logits, _ = self.decoder(torch.tensor([t]), h)
            values.append(logits.argmax(-1).item())
        return values
"""


def _lines(body: str) -> list[int]:
    source = _MODEL.format(body=body)
    return [f.location.row for f in check_source("model.py", source, [EvalWithoutNoGrad]).findings]


def test_greedy_decoder_that_keeps_token_indices_records() -> None:
    assert _lines(_GREEDY_ITEMS) == [26]


def test_decoder_fed_its_argmax_tensor_records() -> None:
    assert _lines(_GREEDY_TENSOR) == [27]


def test_decoder_under_no_grad_is_silent() -> None:
    assert _lines(_NO_GRAD) == []


def test_decoder_that_keeps_its_log_probabilities_is_silent() -> None:
    assert _lines(_KEEPS_LOGITS) == []


def test_loop_that_never_feeds_back_is_silent() -> None:
    assert _lines(_NOT_FED_BACK) == []
