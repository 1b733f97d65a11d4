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


class Detector(nn.Module):
    """Returns one dict of boxes per image, as torchvision's detectors do in eval mode; at random weights no
    score passes the threshold, so every dict is empty. `mix` normalises features over the batch, a bug."""

    def __init__(self, mix: bool = False) -> None:
        super().__init__()
        self.backbone = nn.Conv2d(3, 8, 3, padding=1)
        self.head = nn.Conv2d(8, 4 + 1, 1)  # 4 box coordinates and a score per location
        self.mix = mix

    def forward(self, images: torch.Tensor) -> list[dict[str, torch.Tensor]]:
        features = self.backbone(images)
        if self.mix:
            features = features - features.mean(dim=0, keepdim=True)
        out = self.head(features).flatten(2)
        detections = []
        for per_image in out:
            keep = per_image[4] > 1e6  # nothing passes at these weights
            detections.append({"boxes": per_image[:4].T[keep], "scores": per_image[4][keep]})
        return detections


def test_a_detectors_per_image_outputs_are_judged_on_its_layers() -> None:
    images = torch.randn(4, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    report = nnlint.probe(Detector(), images)
    assert report.clean and report.inconclusive is None and report.batch.method == "gradient"
    assert "no output has the batch dim" in report.text()
    mixing = nnlint.probe(Detector(mix=True), images)
    assert mixing.batch.mixing and [f.code for f in mixing.findings()] == ["NN901"]


class Contrastive(nn.Module):
    """CLIP's shape: two encoders, and `logits_per_image`, the b x b similarity of every image-text pair."""

    def __init__(self, mix: bool = False) -> None:
        super().__init__()
        self.image = nn.Linear(12, 8)
        self.text = nn.Embedding(30, 8)
        self.mix = mix

    def forward(self, pixels: torch.Tensor, ids: torch.Tensor) -> dict[str, torch.Tensor]:
        image = F.normalize(self.image(pixels), dim=-1)
        text = F.normalize(self.text(ids).mean(1), dim=-1)
        if self.mix:
            image = image - image.mean(0)
        return {"logits_per_image": image @ text.T, "image_embeds": image, "text_embeds": text}


def test_a_contrastive_similarity_matrix_is_not_batch_mixing() -> None:
    pixels = torch.randn(4, 12, generator=torch.Generator().manual_seed(0))
    assert nnlint.probe(Contrastive(), (pixels, _ids(4, 6))).clean
    assert nnlint.probe(Contrastive(mix=True), (pixels, _ids(4, 6))).batch.mixing


def test_the_probe_batch_avoids_the_models_sizes() -> None:
    """A 5-class head: with 5 samples its logits would be a b x b matrix, taken for pairwise scores."""
    head = nn.Sequential(nn.Linear(12, 5))
    report = nnlint.probe(head, torch.randn(4, 12))
    assert report.samples == 7 and report.clean


class ImageClassifierWithLabels(nn.Module):
    """HF's ViTForImageClassification(pixel_values=..., labels=...): integer inputs that are no token ids."""

    def __init__(self) -> None:
        super().__init__()
        self.head = nn.Linear(12, 3)

    def forward(self, pixel_values: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
        logits = self.head(pixel_values)
        return {"loss": F.cross_entropy(logits, labels), "logits": logits}


def test_labels_are_not_called_token_ids() -> None:
    inputs = {"pixel_values": torch.randn(4, 12), "labels": torch.tensor([0, 1, 2, 0])}
    report = nnlint.probe(ImageClassifierWithLabels(), inputs)
    assert report.clean and not report.token_ids and "token ids" not in report.text()
    assert "token ids" in nnlint.probe(FlatLM(causal=True), _ids(4, 6), causal=True).text()


def test_an_inconclusive_report_does_not_end_with_clean() -> None:
    class Constant(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.zeros_like(x)

    report = nnlint.probe(Constant(), torch.randn(4, 12))
    assert report.inconclusive is not None and not report.clean
    assert report.text().rstrip().endswith("Inconclusive: nothing was judged (see above).")
