"""NN404: a `model.train()` a function makes for a pass over data that only runs the model (held-out set 15
part D: eai-vc's linear probe embeds CIFAR with `model = model.train()` before its `no_grad` loop; PFLlib's
APFL client computes its training loss after `self.model_per.train()`), in a file that trains. The
`train()` is reported (`eval()` was meant); training mode chosen on purpose stays silent."""

from __future__ import annotations

import pytest

from nnlint.runner import check_source
from rules.train_eval_mode import TrainEvalMode

_PROBE = """import torch


def precompute_embeddings(model, dataset):
    model = torch.nn.DataParallel(model)
{switch}
    loader = torch.utils.data.DataLoader(dataset, batch_size=64, shuffle=False)
    embeddings = []
    with torch.no_grad():
        for x, y in loader:
{forward}
    return embeddings


def fit_probe(backbone, probe, optimizer, dataset):
    for z in precompute_embeddings(backbone, dataset):
        loss = probe(z).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
"""

_KEPT = "            embeddings.append(model(x).cpu())"


def _rows(source: str) -> list[tuple[int, str]]:
    return [
        (finding.location.row, finding.message[:20])
        for finding in check_source("probe.py", source, [TrainEvalMode]).findings
    ]


@pytest.mark.parametrize(
    ("switch", "forward", "rows"),
    [
        # eai-vc's spelling, and the plain statement.
        ("    model = model.train()", _KEPT, [(6, "`train()` switches t")]),
        ("    model.train()", _KEPT, [(6, "`train()` switches t")]),
        # `eval()`: right.
        ("    model.eval()", _KEPT, []),
        # BatchNorm recalibration: the output is dropped (bare, or bound to `_` only).
        ("    model.train()", "            model(x)", []),
        ("    model.train()", "            _, _ = model(x)", []),
        # A switch behind a flag (a debug mode forcing training mode).
        ("    if force_train:\n        model.train()", _KEPT, []),
        # A function that saves the mode it found (and restores it) chose the mode on purpose.
        ("    was_training = model.training\n    model.train()", _KEPT, []),
        # A function that speaks of BatchNorm statistics.
        ("    model.apply(reset_bn)\n    model.train()", _KEPT, []),
        # A model handed the targets computes its own losses (a torchvision detector, in training mode only).
        ("    model.train()", "            embeddings.append(model(x, targets=y))", []),
        ("    model.train()", "            embeddings.append(model(*(x, y)))", []),
        # MC sampling: the forward is repeated for each batch.
        ("    model.train()", "            embeddings.append([model(x) for _ in range(8)])", []),
    ],
)
def test_a_train_before_a_pass_that_only_runs_the_model_is_reported(
    switch: str, forward: str, rows: list[tuple[int, str]]
) -> None:
    """The `train()` is the line to change; each near miss is training mode chosen on purpose."""
    assert _rows(_PROBE.format(switch=switch, forward=forward)) == rows


def test_a_function_that_also_trains_is_not_an_extraction() -> None:
    """A function that trains after its `no_grad` pass (a teacher's targets, then a step) is a training
    step: its `train()` is for that step."""
    source = _PROBE.format(switch="    model.train()", forward=_KEPT).replace(
        "    return embeddings\n", "    torch.stack(embeddings).sum().backward()\n    return embeddings\n", 1
    )
    assert _rows(source) == []


_CLIENT = """import copy

import torch


class Client:
    def __init__(self, model, loader):
        self.model = model
        self.model_per = copy.deepcopy(model)
        self.optimizer = torch.optim.SGD(self.model_per.parameters(), lr=0.1)
        self.loader = loader
        self.loss = torch.nn.CrossEntropyLoss()

    def train(self):
        self.model_per.train()
        for x, y in self.loader:
            self.optimizer.zero_grad()
            self.loss(self.model_per(x), y).backward()
            self.optimizer.step()

    def train_metrics(self):
        trainloader = self.loader
        self.model_per.{mode}()
        losses = 0
        with torch.no_grad():
            for x, y in trainloader:
                output = self.model_per(x)
                losses += self.loss(output, y).item()
        return losses
"""


@pytest.mark.parametrize(("mode", "rows"), [("train", [(23, "`train()` switches t")]), ("eval", [])])
def test_a_method_measuring_the_training_loss_in_training_mode(
    mode: str, rows: list[tuple[int, str]]
) -> None:
    """PFLlib's clientAPFL: `train_metrics` switches its personal model to `train()` before the `no_grad`
    pass over the training data, where its base class and the other clients call `eval()`."""
    assert _rows(_CLIENT.format(mode=mode)) == rows


def test_a_function_decorated_with_no_grad_is_a_pass_without_gradients() -> None:
    """`@torch.no_grad()` on the function turns recording off as a `with` block does."""
    source = """import torch


@torch.no_grad()
def precompute(model, loader):
    model.train()
    outs = []
    for x, y in loader:
        outs.append(model(x))
    return outs


def fit(model, optimizer, loader):
    for x, y in loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
"""
    assert _rows(source) == [(6, "`train()` switches t")]
    assert _rows(source.replace("    model.train()\n", "    model.eval()\n")) == []
