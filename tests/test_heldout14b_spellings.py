"""Engine facts behind held-out set 14b (language and speech code): lists grown by `append` whose elements
are activations (nnlint.engine.activations, bindings.listed_elements), a criterion returned in a tuple or
moved under an `if`, a decoder trained on its own samples (evaluation), and torchaudio feature transforms
held by a project module (modes.parameter_free_class)."""

from __future__ import annotations

import libcst as cst

from nnlint.engine.bindings import listed_elements
from nnlint.engine.context import FileContext
from nnlint.engine.modes import mode_free_class, parameter_free_class
from nnlint.engine.project import Resolved
from nnlint.runner import check_source
from rules.eval_without_no_grad import EvalWithoutNoGrad
from rules.softmax_into_cross_entropy import SoftmaxIntoCrossEntropy
from rules.train_eval_mode import TrainEvalMode


def _context(source: str, path: str = "script.py") -> FileContext:
    return FileContext(path, source, cst.parse_module(source))


def _function(ctx: FileContext, name: str) -> cst.FunctionDef:
    return next(f for f in ctx.index.nodes(cst.FunctionDef) if f.name.value == name)


def _codes(source: str, rule: type) -> list[tuple[str, int]]:
    return [(f.code, f.location.row) for f in check_source("script.py", source, [rule]).findings]


_HEADS = """
import torch
import torch.nn as nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.heads = nn.ModuleList([nn.Linear(8, 3), nn.Linear(8, 5)])
        self.softmax = nn.Softmax(dim=1)
    def forward(self, x):
        outputs = []
        for fc in self.heads:
            outputs.append({element})
        {use}
        return outputs
net = Net()
criterion = nn.CrossEntropyLoss()
for x, labels in loader:
    outputs = net(x)
    loss = criterion(outputs[0], labels[0]) + criterion(outputs[1], labels[1])
    loss.backward()
"""


def test_a_list_of_softmax_heads_reaches_cross_entropy() -> None:
    source = _HEADS.format(element="self.softmax(fc(x))", use="pass")
    assert _codes(source, SoftmaxIntoCrossEntropy) == [("NN401", 12)]


def test_a_list_of_logits_is_no_finding() -> None:
    assert _codes(_HEADS.format(element="fc(x)", use="pass"), SoftmaxIntoCrossEntropy) == []


def test_a_list_handed_to_a_helper_or_stored_into_is_unknown() -> None:
    for use in ("extend_heads(outputs)", "outputs[0] = self.heads[0](x)", "outputs.extend(more)"):
        source = _HEADS.format(element="self.softmax(fc(x))", use=use)
        assert _codes(source, SoftmaxIntoCrossEntropy) == [], use


def test_listed_elements_reads_appends_and_literals() -> None:
    ctx = _context("def f(a, b, c):\n    xs = [a]\n    xs.append(b)\n    xs.extend([c])\n    return xs\n")
    ret = next(n for n in ctx.index.nodes(cst.Return))
    kept = lambda ctx, node, parent: isinstance(parent, cst.Return)  # noqa: E731
    elements = listed_elements(ctx, "xs", ret, kept)
    assert sorted(e.value for e in elements or []) == ["a", "b", "c"]  # type: ignore[attr-defined]
    passed = _context("def f(a):\n    xs = []\n    xs.append(a)\n    g(xs)\n    return xs\n")
    assert listed_elements(passed, "xs", next(n for n in passed.index.nodes(cst.Return)), kept) is None


_DECODER = """
import torch
import torch.nn as nn
import torch.nn.functional as F
class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.cell = nn.LSTMCell(8, 8)
        self.out = nn.Linear(8, 20)
    def forward(self, x, state):
        probs = []
        for t in range(x.size(0)):
            state = self.cell(x[t], state)
            probs.append(F.softmax(self.out(state[0]), dim=-1))
        probs = torch.cat(probs, 0).view(x.size(0), -1, 20)
        return probs
def build(model):
    criterion = nn.CrossEntropyLoss()
    if torch.cuda.is_available():
        criterion = criterion.cuda()
    return torch.optim.Adam(model.parameters()), criterion
def train(model, optimizer, criterion, loader):
    for x, y in loader:
        loss = criterion(model(x, None).view(-1, 20), y.view(-1))
        loss.backward()
def main():
    model = Decoder()
    optimizer, criterion = build(model)
    train(model, optimizer, criterion, loader)
"""


def test_joined_step_softmaxes_reach_a_criterion_returned_in_a_tuple() -> None:
    assert _codes(_DECODER, SoftmaxIntoCrossEntropy) == [("NN401", 14)]


_SCHEDULED = """
import torch
import torch.nn as nn
import torch.nn.functional as F
class Trainer:
    def __init__(self, model):
        self.model = model
        self.optimizer = torch.optim.Adam(model.parameters())
    def decode_steps(self, enc_out, targets):
        x_t = targets[:, 0]
        step_losses = []
        for t in range(targets.size(1)):
            final_dist = self.model.decoder(x_t, enc_out)
            step_losses.append(F.nll_loss(torch.log(final_dist), targets[:, t]))
            x_t = torch.multinomial(final_dist, 1).squeeze()
        return torch.stack(step_losses).mean()
    def train_one_batch(self, batch):
        enc_out = self.model.encoder(batch.src)
        mle_loss = self.decode_steps(enc_out, batch.tgt)
        self.optimizer.zero_grad()
        {backward}
        self.optimizer.step()
"""


def test_a_decoder_fed_its_samples_is_training_when_its_loss_is_backpropagated() -> None:
    trained = _context(_SCHEDULED.format(backward="(0.5 * mle_loss).backward()"))
    assert not trained.evaluation.is_eval_function(_function(trained, "decode_steps"))
    # The same loop whose result nobody backpropagates is decoding: an evaluation.
    decoding = _context(_SCHEDULED.format(backward="print(mle_loss.item())"))
    assert decoding.evaluation.is_eval_function(_function(decoding, "decode_steps"))


_MEL = """
import torch
import torch.nn as nn
from torchaudio.transforms import {transform}
class MelFixed(nn.Module):
    def __init__(self, **kwargs):
        super().__init__()
        self.backend = {transform}(**kwargs)
    def forward(self, x):
        return self.backend(x).log10()
"""


def test_a_module_holding_a_torchaudio_feature_transform_is_parameter_free() -> None:
    ctx = _context(_MEL.format(transform="MelSpectrogram"))
    cls = Resolved(ctx, next(iter(ctx.index.nodes(cst.ClassDef))))
    assert parameter_free_class(cls) and mode_free_class(cls)
    # A random augmentation is not among them: unknown.
    masking = _context(_MEL.format(transform="FrequencyMasking"))
    assert not parameter_free_class(Resolved(masking, next(iter(masking.index.nodes(cst.ClassDef)))))


def test_mel_features_logged_before_training_are_no_evaluation_finding() -> None:
    source = (
        _MEL.format(transform="MelSpectrogram")
        + """
class Vocoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv1d(80, 1, 3), nn.Dropout(0.1))
    def forward(self, mel):
        return self.net(mel)
model = Vocoder()
mel_fn = MelFixed(n_mels=80)
optimizer = torch.optim.Adam(model.parameters())
specs = {f"mel_{i}": mel_fn(audio).cpu() for i, audio in enumerate(test_batch)}
for epoch in range(3):
    model.train()
    for batch in train_loader:
        loss = (model(mel_fn(batch)) - batch).abs().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        for batch in test_loader:
            test_loss = (model(mel_fn(batch)) - batch).abs().mean()
"""
    )
    assert _codes(source, EvalWithoutNoGrad) == []
    assert _codes(source, TrainEvalMode) == []


def test_a_criterion_unpacked_from_a_literal_tuple_is_still_read() -> None:
    source = """
import torch
import torch.nn as nn
criterion, bce = nn.CrossEntropyLoss(), nn.BCEWithLogitsLoss()
for x, y in loader:
    loss = criterion(torch.softmax(x, dim=1), y)
"""
    assert _codes(source, SoftmaxIntoCrossEntropy) == [("NN401", 6)]
