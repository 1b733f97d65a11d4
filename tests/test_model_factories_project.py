"""A model is a model whatever project function hands it over (nnlint.engine.roles, summaries,
activations): a factory of another module that builds and returns it (`models.build(data)`,
`from models import build`), also in a module and an inference script that never train; a constructor
picked by name from a package whose every export builds a model (`models.__dict__[arch](data)`, FlowNet's
inference script); a helper that gives back the model it was passed (`model, sched, epoch =
load_checkpoint(model, path)` under `if resume:`, distiller's classifier), which keeps the model's last
layer for NN401."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnlint.config import Overrides
from nnlint.session import run_check

_NET = """import torch.nn as nn

__all__ = ["build", "build_bn"]


class Net(nn.Module):
    def __init__(self, bn=False):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.drop(self.conv(x))


def build(data=None):
    model = Net()
    if data is not None:
        model.load_state_dict(data)
    return model


def build_bn(data=None):
    model = Net(bn=True)
    if data is not None:
        model.load_state_dict(data)
    return model
"""
# A module of the package that exports a callable that builds no model (when `__all__` lets it out).
_UTIL = """import torch

__all__ = {exports}


def count(model):
    return sum(p.numel() for p in model.parameters())


def ones():
    return torch.ones(3)
"""
_INFER = """import torch
{imports}


def main():
    model = {build}(torch.load("net.pth"))
    model.eval()
    for pair in [torch.zeros(1, 3, 8, 8)]:
        output = model(pair)
        print(output.cpu())


if __name__ == "__main__":
    main()
"""


def _check(root: Path, code: str) -> list[tuple[str, int]]:
    outcome = run_check([Path(".")], Overrides(select=frozenset({code})))
    assert outcome.crashes == []
    return sorted((f.filename, f.location.row) for f in outcome.findings)


@pytest.mark.parametrize(
    ("imports", "build"),
    [
        ("import models", "models.build"),
        ("from models import build", "build"),
        ("from models.net import build", "build"),
        ("import models", 'models.__dict__["build"]'),
        ("import models", 'getattr(models, "build_bn")'),
    ],
)
def test_an_inference_loop_over_a_model_a_project_factory_returns_records_a_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, imports: str, build: str
) -> None:
    """The factory's module never trains, nor does the script: the model comes back from the factory (or
    is picked by name from the package) and the loop runs it with autograd on (NN503 at the loop)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "__init__.py").write_text("from .net import *\nfrom .util import *\n")
    (tmp_path / "models" / "net.py").write_text(_NET)
    (tmp_path / "models" / "util.py").write_text(_UTIL.format(exports="[]"))
    (tmp_path / "infer.py").write_text(_INFER.format(imports=imports, build=build))
    assert _check(tmp_path, "NN503") == [("infer.py", 8)]


@pytest.mark.parametrize("exports", ['["count"]', '["ones"]'])
def test_a_constructor_picked_from_a_package_that_exports_other_callables_is_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exports: str
) -> None:
    """`models.__dict__[arch]` of a package that also exports a helper returning no model (a count, a
    tensor): the picked callable may be that helper, so the result is no known model (silent)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "__init__.py").write_text("from .net import *\nfrom .util import *\n")
    (tmp_path / "models" / "net.py").write_text(_NET)
    (tmp_path / "models" / "util.py").write_text(_UTIL.format(exports=exports))
    (tmp_path / "infer.py").write_text(_INFER.format(imports="import models", build="models.__dict__[arch]"))
    assert _check(tmp_path, "NN503") == []


_ZOO = """import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(x)


def create_model(arch):
    model = Net()
    model = torch.nn.Sequential(model, torch.nn.Softmax(dim=1))
    return model
"""
_CHECKPOINT = """import torch


def load_checkpoint(model, path, optimizer=None):
    if not path:
        return model, None, 0
{body}    return model, optimizer, 7
"""
_TRAIN = """import torch
import torch.nn as nn
from zoo import create_model
from checkpoint import load_checkpoint


def train(loader, model, criterion, optimizer):
    for x, y in loader:
        loss = criterion(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def main(resume):
    torch.manual_seed(0)
    model = create_model("net")
    if resume:
        model, optimizer, start = load_checkpoint(model, resume)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    train([(torch.zeros(2, 4), torch.zeros(2, dtype=torch.long))], model, criterion, optimizer)
"""


@pytest.mark.parametrize(
    ("body", "rows"),
    [
        ("    model.load_state_dict(torch.load(path))\n", [("zoo.py", 16)]),
        # The helper may hand back another network (a fresh one, logits): the model is then unknown.
        ("    model = torch.nn.Linear(4, 3)\n", []),
    ],
)
def test_a_helper_that_gives_back_the_model_it_was_passed_keeps_its_last_layer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, rows: list[tuple[str, int]]
) -> None:
    """`model, optimizer, start = load_checkpoint(model, path)` under `if resume:` gives back the factory's
    Sequential ending in a softmax, which the training loop feeds to cross-entropy (NN401 at the softmax,
    in the factory's module); a helper that rebinds the name gives back something else: silent."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "zoo.py").write_text(_ZOO)
    (tmp_path / "checkpoint.py").write_text(_CHECKPOINT.format(body=body))
    (tmp_path / "train.py").write_text(_TRAIN)
    assert _check(tmp_path, "NN401") == rows
