"""NN404 for networks an object or a script holds (held-out set 11): a subclass running the model its
project base class of another module keeps, an inference class whose network is run through
`model = self.dp.to(device)` while other modules call an `eval(coords)` inference API, and a feature-export
script that never trains but builds a project model class."""

from __future__ import annotations

from pathlib import Path

import pytest
from project_tree import checked_findings, write_tree


def _rows(target: str) -> list[tuple[str, int]]:
    return [(f.filename, f.location.row) for f in checked_findings([Path(target)], {"NN404"})]


_BASE = """import torch


class BaseModel:
    def __init__(self, model, optimizer, device="cpu"):
        self.model = model
        self.optimizer = optimizer
        self.device = device
        self.model.to(self.device)
"""
_TRAINER = """import torch
from torch import nn

from base import BaseModel


class Model(BaseModel):
    def __init__(self, model: nn.Module, lr: float = 3e-4):
        super().__init__(model=model, optimizer=torch.optim.Adam(model.parameters(), lr=lr))
        self.criterion = nn.CrossEntropyLoss()

    def train_step(self, inputs, target):
        self.optimizer.zero_grad()
        loss = self.criterion(self.model(inputs), target)
        loss.backward()
        self.optimizer.step()
        return loss

    def val_step(self, inputs, target):
        logits = self.model(inputs)
        return self.criterion(logits, target)

    def train_epoch(self, train_loader):
        for inputs, labels in train_loader:
            self.train_step(inputs, labels)

    def val_epoch(self, val_loader):
{switch}        total = 0.0
        for inputs, labels in val_loader:
            with torch.no_grad():
                total += self.val_step(inputs, labels).item()
        return total

    def fit(self, train_loader, val_loader, epochs):
        for epoch in range(epochs):
            self.train_epoch(train_loader)
            self.val_epoch(val_loader)
"""


@pytest.mark.parametrize(
    ("switch", "rows"),
    [("", [("model.py", 20)]), ("        self.model.eval()\n", [("model.py", 28)])],
)
def test_a_subclass_runs_the_model_its_base_class_of_another_module_keeps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, switch: str, rows: list[tuple[str, int]]
) -> None:
    """gradsflow: `Model(BaseModel)` trains and validates `self.model`, which only `BaseModel.__init__` (in
    base.py) binds, from its `model` parameter. Validation runs in training mode; with `eval()` in the
    validation and no `train()` before training, the next epoch trains in eval mode instead."""
    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path, {"pyproject.toml": "", "base.py": _BASE, "model.py": _TRAINER.format(switch=switch)})
    assert _rows("model.py") == rows


_NETS = """from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 1)
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        return self.fc(self.drop(x))


class ModelWrapper(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)


def get_model():
    return Net()
"""
_DEEP_EVAL = """import torch

from nets import ModelWrapper, get_model

DEVICE = "cpu"


class DeepEval:
    def __init__(self, path):
        model = get_model().to(DEVICE)
        self.dp = ModelWrapper(model)
        self.dp.load_state_dict(torch.load(path))

    def eval(self, coords):
        return self._eval_model(coords)

    def _eval_model(self, coords):
        model = self.dp.to(DEVICE)
        batch = torch.tensor(coords)
        return model(batch).detach().numpy()
"""
_DRIVER = """from deep_eval import DeepEval


class Driver:
    def __init__(self, path):
        self.dp = DeepEval(path)

    def energy(self, coords):
        return self.dp.eval(coords)
"""
_OTHER_BACKEND = """class DeepEval:
    def __init__(self, path):
        self.dp = load_frozen(path)

    def eval(self, coords):
        return self.dp(coords)
"""


@pytest.mark.parametrize(("user", "rows"), [("", [("deep_eval.py", 20)]), ("evaluator.dp.eval()\n", [])])
def test_an_inference_class_runs_its_network_through_a_moved_alias(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, user: str, rows: list[tuple[str, int]]
) -> None:
    """deepmd's DeepEval: `self.dp` is built in `__init__` and `_eval_model` runs it as `model =
    self.dp.to(DEVICE)`. Another module's `self.dp.eval(coords)` is the inference API (arguments: no mode
    switch) and another backend's same-named class binds its own `self.dp`: the network stays in training
    mode. A user module that switches `evaluator.dp.eval()` decides the mode: silent."""
    monkeypatch.chdir(tmp_path)
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "",
            "nets.py": _NETS,
            "deep_eval.py": _DEEP_EVAL,
            "driver.py": _DRIVER,
            "other_backend.py": _OTHER_BACKEND,
            "user.py": "from deep_eval import DeepEval\n\nevaluator = DeepEval('model.pt')\n" + user,
        },
    )
    assert _rows("deep_eval.py") == rows


_TACOTRON = """from torch import nn


class Tacotron(nn.Module):
    def __init__(self, dims, dropout):
        super().__init__()
        self.prenet = nn.Sequential(nn.Linear(dims, dims), nn.Dropout(dropout))
        self.proj = nn.Linear(dims, dims)

    def forward(self, x):
        return self.proj(self.prenet(x))
"""
_EXPORT = """import sys

import numpy as np
import torch

from checkpoints import restore_checkpoint
from tacotron import Tacotron


def create_gta_features(model: Tacotron, loader, save_path):
{switch}    for i, (x, ids) in enumerate(loader):
        with torch.no_grad():
            gta = model(x)
        for j, item_id in enumerate(ids):
            np.save(f"{{save_path}}/{{item_id}}.npy", gta[j].numpy())


if __name__ == "__main__":
    model = Tacotron(dims=80, dropout=0.5).to("cpu")
    restore_checkpoint(sys.argv[1], model)
    create_gta_features(model, torch.load(sys.argv[2]), sys.argv[3])
"""
_CHECKPOINTS = """import torch


def restore_checkpoint(path, model):
    model.load_state_dict(torch.load(path)["model"])
"""


@pytest.mark.parametrize(("switch", "rows"), [("", [("export.py", 13)]), ("    model.eval()\n", [])])
def test_an_export_script_builds_a_project_model_in_training_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, switch: str, rows: list[tuple[str, int]]
) -> None:
    """ForwardTacotron's train_tacotron_new.py with `--force_gta`: the script never trains, builds the
    Tacotron of another module, restores its weights and exports features under no_grad with dropout on."""
    monkeypatch.chdir(tmp_path)
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "",
            "tacotron.py": _TACOTRON,
            "checkpoints.py": _CHECKPOINTS,
            "export.py": _EXPORT.format(switch=switch),
        },
    )
    assert _rows("export.py") == rows


def _shared_layer_example() -> str:
    from nnlint.rules.train_eval_mode import TrainEvalMode

    return next(example for example in TrainEvalMode.VALID if "self.linear = base.linear" in example)


def test_mode_free_layer_of_its_own_class_is_not_reported(tmp_path: Path) -> None:
    """NVFlare fed-bpt: a class runs its own `nn.Linear` in an evaluation while a subclass keeps another
    object's layer under the same attribute name; the class's own binding decides that the mode changes
    nothing in the layer it runs."""
    write_tree(tmp_path, {"api.py": _shared_layer_example()})
    assert _rows(str(tmp_path)) == []


def test_layer_with_dropout_of_its_own_class_is_still_reported(tmp_path: Path) -> None:
    """The same class with dropout in the layer it builds evaluates it in training mode."""
    text = _shared_layer_example().replace(
        "torch.nn.Linear(dim, size, bias=False)",
        "torch.nn.Sequential(torch.nn.Linear(dim, size), torch.nn.Dropout(0.1))",
    )
    write_tree(tmp_path, {"api.py": text})
    assert _rows(str(tmp_path)) == [(str(tmp_path / "api.py"), 19)]
