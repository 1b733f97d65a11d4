"""NN503 and a model's own step-by-step decoder (as-ideas/DeepPhonemizer's `TransformerModel.generate`): a
method of the model class that runs the model's parts on the tokens decoded so far and keeps only the next
token's index (`.item()`, `.argmax()`), with autograd on. Nothing it returns can carry a gradient, so every
step's graph is waste; a sampler that keeps the log-probabilities attached is left alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from project_tree import checked_findings, write_tree

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


_THROUGH_OWN_METHOD = """
import torch
import torch.nn as nn


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerDecoderLayer(8, 2)

    def forward(self, x, memory):
        return self.layer(x, memory)


class EncoderDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.TransformerEncoderLayer(8, 2)
        self.decoder = Decoder()
        self.tgt_embed = nn.Embedding(10, 8)
        self.generator = nn.Linear(8, 10)

    def forward(self, src, tgt):
        return self.decode(self.encoder(src), tgt)

    def decode(self, memory, tgt):
        return self.decoder(self.tgt_embed(tgt), memory)

    def greedy_decode(self, src, max_len, start):
        memory = self.encoder(src)
        ys = torch.full((1, 1), start, dtype=torch.long)
        for _ in range(max_len - 1):
            out = self.decode(memory, ys)
            next_word = self.generator(out[:, -1]).argmax(dim=1)
            ys = torch.cat([ys, next_word.unsqueeze(0)], dim=1)
        return ys
{caller}
"""


def test_decoder_through_a_method_of_the_model_records() -> None:
    source = _THROUGH_OWN_METHOD.format(caller="")
    findings = check_source("model.py", source, [EvalWithoutNoGrad]).findings
    assert [f.location.row for f in findings] == [32]


def test_decoder_that_forward_calls_runs_in_its_callers_mode() -> None:
    caller = """
    def sample(self, src):
        return self.greedy_decode(src, 8, 1)
"""
    source = _THROUGH_OWN_METHOD.format(caller=caller)
    assert check_source("model.py", source, [EvalWithoutNoGrad]).findings == []


_CALLER = """
import torch

from model import Seq2Seq


def sample(model: Seq2Seq, h):
{body}
"""


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("    return model.decode(h)\n", [26]),  # a caller that records: the model's method is reported
        ("    with torch.no_grad():\n        return model.decode(h)\n", []),  # every caller chose
    ],
)
def test_callers_in_other_modules_decide(tmp_path: Path, body: str, expected: list[int]) -> None:
    write_tree(
        tmp_path,
        {"model.py": _MODEL.format(body=_GREEDY_ITEMS), "sample.py": _CALLER.format(body=body)},
        project_marker=True,
    )
    findings = checked_findings([tmp_path / "model.py"], {"NN503"})
    assert [f.location.row for f in findings] == expected
