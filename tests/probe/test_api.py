"""The Python API (`nnlint.probe`, the assertions, `probe_target`) and the algorithms' own guarantees."""

from __future__ import annotations

import linecache
from itertools import permutations

import pytest
import torch
import torch.nn.functional as F
from probe_helpers import fixture, marked_line
from torch import nn

import nnlint
from nnlint.probe.api import probe_target
from nnlint.probe.batch import group_passes
from nnlint.probe.causal import choose_splits
from nnlint.probe.errors import ProbeError


class SeqFirstMixer(nn.Module):
    """(time, batch, features) inputs; `mix` adds the batch mean, a bug."""

    def __init__(self, mix: bool) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 3)
        self.mix = mix

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.fc(x)
        return h + h.mean(dim=1, keepdim=True) if self.mix else h


class Shifted(nn.Module):
    """Output t predicts input t: it may only see inputs before t (shift -1). `bug` forgets the shift."""

    def __init__(self, bug: bool) -> None:
        super().__init__()
        self.bug = bug

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.cumsum(x, dim=1)
        return h if self.bug else F.pad(h, (0, 0, 1, 0))[:, :-1]


class PeekAtFour(nn.Module):
    """Only output step 3 sees input step 4: a leak at a single split point."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x.clone()
        out[:, 3] = out[:, 3] + x[:, 4]
        return out


def test_probe_returns_a_report_with_verdicts(device: str) -> None:
    report = nnlint.probe(nn.Linear(4, 2), torch.randn(3, 4), device=device)
    assert isinstance(report, nnlint.ProbeReport)
    assert report.clean and not report.batch_mixing and not report.causal_leakage
    assert report.samples == 5 and report.causal_verdict is None


def test_batch_dim_other_than_zero(device: str) -> None:
    x = torch.randn(6, 4, 3)
    assert nnlint.probe(SeqFirstMixer(mix=False), x, batch_dim=1, device=device).clean
    report = nnlint.probe(SeqFirstMixer(mix=True), x, batch_dim=1, device=device)
    assert report.batch_mixing
    assert report.batch_location is not None and report.batch_location.code.startswith("return h + h.mean")


def test_keyword_inputs(device: str) -> None:
    class Keyword(nn.Module):
        def forward(self, *, features: torch.Tensor, scale: float) -> torch.Tensor:
            return features * scale

    assert nnlint.probe(Keyword(), {"features": torch.randn(2, 3), "scale": 2.0}, device=device).clean


def test_negative_shift_requires_the_output_to_be_shifted(device: str) -> None:
    x = torch.randn(2, 9, 3)
    assert nnlint.probe(Shifted(bug=False), x, causal=True, shift=-1, device=device).clean
    report = nnlint.probe(Shifted(bug=True), x, causal=True, shift=-1, device=device)
    assert report.causal_leakage
    assert report.causal_verdict is not None and report.causal_verdict.lookahead == 0
    # With the default shift of 0 the unshifted cumulative sum is causal.
    assert nnlint.probe(Shifted(bug=True), x, causal=True, device=device).clean


def test_thorough_tests_every_split_point(device: str) -> None:
    x = torch.randn(2, 10, 3)
    report = nnlint.probe(PeekAtFour(), x, causal=True, thorough=True, device=device)
    assert report.causal_verdict is not None
    assert report.causal_verdict.splits == list(range(10))
    assert [(leak.split, leak.furthest) for leak in report.causal_verdict.leaks] == [(3, 4)]
    assert report.causal_verdict.lookahead == 1


def test_assert_batch_independent(device: str) -> None:
    x = torch.randn(6, 4, 3)
    nnlint.assert_batch_independent(SeqFirstMixer(mix=False), x, batch_dim=1, device=device)
    with pytest.raises(AssertionError, match="samples mix across the batch"):
        nnlint.assert_batch_independent(SeqFirstMixer(mix=True), x, batch_dim=1, device=device)


def test_assert_causal(device: str) -> None:
    conv = nn.Conv1d(2, 2, kernel_size=3, padding=1)
    with pytest.raises(AssertionError, match="sees the future") as raised:
        nnlint.assert_causal(conv, torch.randn(3, 2, 8), time_dim=2, device=device)
    assert "NN902 causal-leakage" in str(raised.value)
    nnlint.assert_causal(nn.Conv1d(2, 2, kernel_size=1), torch.randn(3, 2, 8), time_dim=2, device=device)


def test_probe_target_contract_for_check(device: str) -> None:
    """confirmed_lines() names the leak; exercised covers every line the forward ran, not the leak alone."""
    report = probe_target(fixture("view_mixing"), device=device)
    path, line = marked_line("view_mixing")
    assert report.confirmed_lines() == [(path, line)]
    assert report.exercised is not None and (path, line) in report.exercised
    forward_lines = {n for name, n in report.exercised if name == path}
    assert {line - 2, line + 1} <= forward_lines  # the stem call and the encoder call around the view
    assert report.exercised_method == "eager (module hooks)"  # the cheapest capture comes first
    clean = probe_target(fixture("view_mixing_fixed"), device=device)
    assert clean.confirmed_lines() == [] and clean.exercised


def test_probe_target_overrides_and_synthetic_inputs(device: str) -> None:
    report = probe_target(fixture("missing_mask"), causal=False, device=device, exercised=False)
    assert report.clean and report.causal_verdict is None
    report = probe_target(
        fixture("batchnorm_net"), input_shapes=[(2, 3, 8, 8)], device=device, exercised=False
    )
    assert report.clean


def test_untraceable_model_still_lists_exercised_lines(device: str) -> None:
    report = probe_target(fixture("untraceable_gpt"), device=device)
    assert report.exercised_method == "eager (module hooks)"
    assert report.exercised and any(name.endswith("_tinygpt.py") for name, _ in report.exercised)


def test_inputs_without_a_batch_dim_are_rejected() -> None:
    with pytest.raises(ProbeError, match="batch dimension"):
        nnlint.probe(nn.Identity(), (torch.tensor(1.0),), device="cpu")
    with pytest.raises(ProbeError, match="no tensor"):
        nnlint.probe(nn.Identity(), (1, 2), device="cpu")


@pytest.mark.parametrize("b", range(2, 32))
def test_group_passes_separate_every_ordered_pair(b: int) -> None:
    passes = group_passes(b)
    for i, j in permutations(range(b), 2):
        assert any(carried[i] and not carried[j] for carried in passes), (i, j)
    assert len(passes) <= 2 * (b - 1).bit_length()


def test_group_passes_are_few() -> None:
    assert [len(group_passes(b)) for b in (5, 7, 11, 13)] == [4, 5, 6, 6]


def test_split_points_cover_the_boundaries() -> None:
    generator = torch.Generator().manual_seed(0)
    splits = choose_splits(12, 0, 5, generator)
    assert splits[:3] == [0, 10, 5] and len(set(splits)) == 5
    assert choose_splits(3, 0, 5, generator) == [0, 1, 0, 1, 0]
    with pytest.raises(ProbeError, match="too short"):
        choose_splits(1, 0, 5, generator)


@pytest.mark.parametrize("name", ["batch_mean", "off_by_one_mask", "symmetric_conv", "causal_gpt"])
def test_batched_backward_gives_the_same_verdicts(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Accelerators run the passes of a test as one batched backward; check that path on the CPU too."""
    import nnlint.probe.pipeline as run

    plain = probe_target(fixture(name), device="cpu", exercised=False, localize=False)
    original = run.gradient_run
    runs = []

    def batched(model: nn.Module, batch: object) -> tuple:
        gradient, note = original(model, batch)
        assert gradient is not None
        gradient.batched = True
        runs.append(gradient)
        return gradient, note

    monkeypatch.setattr(run, "gradient_run", batched)
    report = probe_target(fixture(name), device="cpu", exercised=False, localize=False)
    assert [f.code for f in report.findings()] == [f.code for f in plain.findings()]
    assert report.batch.passes == plain.batch.passes
    assert runs and all(gradient.batched for gradient in runs)  # no silent fallback to the loop
    if plain.causal_verdict is not None:
        assert report.causal_verdict is not None
        assert report.causal_verdict.lookahead == plain.causal_verdict.lookahead


def test_mixing_beyond_batchnorm_in_train_mode_is_reported(device: str) -> None:
    class TrainOnlyCentering(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 6)
            self.bn = nn.BatchNorm1d(6)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = self.bn(self.fc(x))
            return h - h.mean(dim=0) if self.training else h

    report = nnlint.probe(TrainOnlyCentering(), torch.randn(3, 4), train_mode=True, device=device)
    assert report.train_mode is not None and report.train_mode.legitimate  # BatchNorm is named...
    [finding] = report.findings()  # ...and the centering is still reported, in train mode only
    assert finding.code == "NN901" and finding.evidence["mode"] == "train"
    assert "h.mean(dim=0)" in (report.train_mode.location.code if report.train_mode.location else "")
    assert "X" in report.text()  # the train-mode dependency matrix is drawn


class _ZeroHead(nn.Module):
    """A zero-initialised head (torchvision's ViT does this): at init the output depends on no input."""

    def __init__(self, leak: bool) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(8, 16), nn.GELU(), nn.Linear(16, 16))
        self.head = nn.Linear(16, 3)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)
        self.leak = leak

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.body(x)
        if self.leak:
            h = h - h.mean(0)  # planted right before the head
        return self.head(h)


def test_a_zero_initialised_head_does_not_hide_mixing_before_it() -> None:
    report = nnlint.probe(_ZeroHead(leak=True), torch.randn(6, 8), device="cpu")
    assert report.batch_mixing  # was: "no batch mixing", from an output that ignores every input
    (finding,) = report.findings()
    assert "h.mean(0)" in linecache.getline(__file__, finding.location.row)
    clean = nnlint.probe(_ZeroHead(leak=False), torch.randn(6, 8), device="cpu")
    assert clean.clean and "judged on the activations" in clean.text()


def test_an_output_that_ignores_every_input_is_inconclusive_never_clean() -> None:
    class Constant(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bias = nn.Parameter(torch.zeros(3))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x.sum(1, keepdim=True) * 0 + self.bias

    report = nnlint.probe(Constant(), torch.randn(6, 8), device="cpu")
    assert not report.clean and report.findings() == []
    assert "INCONCLUSIVE" in report.text() and "depends on no input" in report.text()
    with pytest.raises(AssertionError, match="could not tell"):
        nnlint.assert_batch_independent(Constant(), torch.randn(6, 8), device="cpu")


class _Seq2Seq(nn.Module):
    """nn.Transformer encoder-decoder: the decoder may see the whole source, not the future target."""

    def __init__(self, masked: bool) -> None:
        super().__init__()
        self.emb = nn.Embedding(50, 16)
        self.core = nn.Transformer(16, 2, 1, 1, 32, dropout=0.0, batch_first=True)
        self.out = nn.Linear(16, 50)
        self.masked = masked

    def forward(self, src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
        mask = nn.Transformer.generate_square_subsequent_mask(tgt.shape[1]) if self.masked else None
        return self.out(self.core(self.emb(src), self.emb(tgt), tgt_mask=mask))


def test_causal_inputs_make_the_source_context_in_an_encoder_decoder() -> None:
    torch.manual_seed(0)
    src, tgt = torch.randint(0, 50, (4, 9)), torch.randint(0, 50, (4, 9))
    told = nnlint.probe(_Seq2Seq(masked=True), (src, tgt), causal=True, causal_inputs=[1], device="cpu")
    assert told.clean
    untold = nnlint.probe(_Seq2Seq(masked=True), (src, tgt), causal=True, device="cpu")
    assert untold.causal_leakage  # every input's dim 1 is time: the source "leaks", as documented
    buggy = nnlint.probe(_Seq2Seq(masked=False), (src, tgt), causal=True, causal_inputs=[1], device="cpu")
    assert buggy.causal_leakage


def test_hf_style_decoder_inputs_are_recognised_as_the_causal_ones() -> None:
    class EncoderDecoder(_Seq2Seq):
        def forward(self, input_ids: torch.Tensor, decoder_input_ids: torch.Tensor) -> torch.Tensor:
            return super().forward(input_ids, decoder_input_ids)

    torch.manual_seed(0)
    inputs = {"input_ids": torch.randint(0, 50, (4, 9)), "decoder_input_ids": torch.randint(0, 50, (4, 9))}
    assert nnlint.probe(EncoderDecoder(masked=True), inputs, causal=True, device="cpu").clean
    assert nnlint.probe(EncoderDecoder(masked=False), inputs, causal=True, device="cpu").causal_leakage


def _center(h: torch.Tensor) -> torch.Tensor:
    return h - h.mean(0)  # the leak, inside a helper function


def test_a_leak_inside_a_helper_function_is_located_in_the_helper() -> None:
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(6, 6)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(_center(x))

    (finding,) = nnlint.probe(Net(), torch.randn(4, 6), device="cpu").findings()
    assert "h.mean(0)" in linecache.getline(__file__, finding.location.row)  # was: the caller in forward


def test_a_users_replacement_of_a_library_forward_is_blamed_not_the_library(monkeypatch) -> None:
    """A user's code that replaces an installed layer's forward (calling back into the library) is where the
    leak is reported; the installed code's frames stay in the call chain only."""
    import types

    library = types.ModuleType("fakelib")
    source = "def scale(h, ref):\n    return h * ref.mean(0)\n"
    path = "/site-packages/fakelib.py"
    exec(compile(source, path, "exec"), library.__dict__)
    linecache.cache[path] = (len(source), None, source.splitlines(True), path)

    def patched(self: nn.Linear, x: torch.Tensor) -> torch.Tensor:
        return library.scale(F.linear(x, self.weight, self.bias), x)  # mixes: the user's call

    monkeypatch.setattr(nn.Linear, "forward", patched)
    (finding,) = nnlint.probe(nn.Linear(6, 6), torch.randn(4, 6), device="cpu").findings()
    assert "library.scale(" in linecache.getline(__file__, finding.location.row)


class _ForwardMask(nn.Module):
    """Attention whose mask is built inside forward: `diagonal` 1 is right, 2 lets t see t + 1."""

    def __init__(self, diagonal: int) -> None:
        super().__init__()
        self.emb = nn.Embedding(30, 16)
        self.qkv = nn.Linear(16, 48)
        self.out = nn.Linear(16, 30)
        self.diagonal = diagonal

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        q, k, v = self.qkv(self.emb(idx)).chunk(3, -1)
        steps = idx.shape[1]
        future = torch.triu(torch.ones(steps, steps, dtype=torch.bool), diagonal=self.diagonal)  # the mask
        att = (q @ k.transpose(-1, -2)).masked_fill(future, float("-inf")).softmax(-1)
        return self.out(att @ v)


def test_an_off_by_one_mask_built_in_forward_is_the_cause() -> None:
    torch.manual_seed(0)
    tokens = torch.randint(0, 30, (3, 10))
    (finding,) = nnlint.probe(_ForwardMask(2), tokens, causal=True, device="cpu").findings()
    assert "# the mask" in linecache.getline(__file__, finding.location.row)
    assert "softmax" in finding.evidence["first_symptom"]["code"]
    assert nnlint.probe(_ForwardMask(1), tokens, causal=True, device="cpu").clean
