"""Shapes of real models the probe met (Lightning 2.6.6's demo Transformer, PyTorch's word_language_model
RNN), kept as stand-ins: neither Lightning nor transformers is a test dependency."""

from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn.functional as F
from click.testing import CliRunner
from torch import nn

import nnlint
from nnlint.cli import main


class FlatLM(nn.Module):
    """Returns `log_softmax(logits).view(-1, vocab)`, flattening batch and time for the loss, as Lightning's
    demo Transformer does. `causal` masks the attention; `mix` adds the batch mean, a bug."""

    def __init__(self, causal: bool, mix: bool = False, seq_first: bool = False) -> None:
        super().__init__()
        self.emb = nn.Embedding(30, 16)
        self.layer = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=not seq_first)
        self.out = nn.Linear(16, 30)
        self.causal, self.mix, self.seq_first = causal, mix, seq_first

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        steps = ids.shape[0 if self.seq_first else 1]
        mask = nn.Transformer.generate_square_subsequent_mask(steps) if self.causal else None
        h = self.layer(self.emb(ids), src_mask=mask)
        if self.mix:
            h = h + h.mean(dim=1 if self.seq_first else 0, keepdim=True)
        return F.log_softmax(self.out(h), dim=-1).view(-1, 30)


def _ids(*shape: int) -> torch.Tensor:
    return torch.randint(0, 30, shape, generator=torch.Generator().manual_seed(0))


def test_an_output_flattening_batch_and_time_is_split_back_for_the_verdicts() -> None:
    clean = nnlint.probe(FlatLM(causal=True), _ids(4, 9), causal=True, device="cpu")
    assert clean.clean, clean.text()  # was: INCONCLUSIVE, "the output depends on no input"
    leaky = nnlint.probe(FlatLM(causal=False), _ids(4, 9), causal=True, device="cpu")
    assert leaky.causal_leakage and not leaky.batch_mixing, leaky.text()
    mixing = nnlint.probe(FlatLM(causal=True, mix=True), _ids(4, 9), device="cpu")
    assert mixing.batch_mixing, mixing.text()


def test_a_sequence_first_flattened_output_is_split_in_time_batch_order() -> None:
    model = FlatLM(causal=True, seq_first=True)
    clean = nnlint.probe(model, _ids(9, 4), causal=True, batch_dim=1, time_dim=0, device="cpu")
    assert clean.clean, clean.text()
    mixing = FlatLM(causal=True, mix=True, seq_first=True)
    assert nnlint.probe(mixing, _ids(9, 4), batch_dim=1, time_dim=0, device="cpu").batch_mixing


class TimeMajorInside(nn.Module):
    """Batch-first ids, a sequence-first layer inside: the flattened output is in (time, batch) order."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(30, 16)
        self.layer = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0)
        self.out = nn.Linear(16, 30)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        mask = nn.Transformer.generate_square_subsequent_mask(ids.shape[1])
        h = self.layer(self.emb(ids).transpose(0, 1), src_mask=mask)
        return F.log_softmax(self.out(h), dim=-1).view(-1, 30)


def test_the_flattening_order_is_the_models_not_the_inputs() -> None:
    report = nnlint.probe(TimeMajorInside(), _ids(4, 9), causal=True, device="cpu")
    assert report.clean, report.text()  # split in the inputs' order, its steps would look like samples


MASKED = """
import torch
import torch.nn.functional as F
from torch import nn


class Attention(nn.Module):
    def __init__(self, width=16, steps=12):
        super().__init__()
        self.qkv = nn.Linear(width, 3 * width)
        self.register_buffer("bias", torch.tril(torch.ones(steps, steps)))  # correct: nanoGPT's mask

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        t = x.shape[1]
        att = (q @ k.transpose(-2, -1)).masked_fill(self.bias[:t, :t] == 0, float("-inf"))
        return F.softmax(att, dim=-1) @ v


class LM(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb, self.attn, self.head = nn.Embedding(30, 16), Attention(), nn.Linear(16, 30)

    def forward(self, ids):
        return self.head(self.attn(self.emb(ids)))


def build():
    model = LM()
    model.attn.register_buffer("bias", torch.tril(torch.ones(12, 12), diagonal=2))  # widened: the mistake
    ids = torch.randint(0, 30, (4, 12), generator=torch.Generator().manual_seed(0))
    return {"model": model, "inputs": ids, "causal": True}
"""


def test_a_mask_replaced_after_construction_is_blamed_where_it_was_replaced(tmp_path: Path) -> None:
    """nanoGPT with its mask buffer re-registered two steps wider by the factory: the finding sat at the
    `register_buffer` in nanoGPT's class, which builds a correct mask. It now sits where the mask was set."""
    (tmp_path / "masked.py").write_text(MASKED)
    ran = CliRunner().invoke(main, ["probe", "--format", "json", f"{tmp_path / 'masked.py'}:build"])
    (finding,) = json.loads(ran.stdout)
    assert finding["code"] == "NN902" and finding["location"]["row"] == 31, ran.stdout  # was 11, the class
