"""A model zoo's evaluation runs whichever recommender a setting picks through one method that every model
class defines (SSLRec's `Metric.eval(model, loader)` calling `model.full_predict(batch)`, defined by 22
recommenders): more modules define the name than a wrapper's method lookup reads, yet when every one is a
method of a project `nn.Module` class that runs its layers, or computes its scores from its own embedding
weights, and none turns recording off, the call records a graph: NN503 judges the loop."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnlint.config import Overrides
from nnlint.session import run_check

_BASE = """import torch
from torch import nn


class BaseModel(nn.Module):
    def full_predict(self, batch_data):
        pass
"""
_RUNNING = """import torch
from torch import nn
from models.base import BaseModel


class Model{i}(BaseModel):
    def __init__(self):
        super().__init__()
        self.users = nn.Embedding(10, 4)
        self.items = nn.Embedding(20, 4)

    def forward(self):
        return self.users.weight, self.items.weight

{decorator}    def full_predict(self, batch_data):
        users, items = self.forward()
        return users[batch_data[0]] @ items.T
"""
_WEIGHTS = """import torch
from torch import nn
from models.base import BaseModel


class Weights(BaseModel):
    def __init__(self):
        super().__init__()
        self.users = nn.Embedding(10, 4)
        self.items = nn.Embedding(20, 4)

    def full_predict(self, batch_data):
        users, items = self.users.weight{suffix}, self.items.weight{suffix}
        return users[batch_data[0]] @ items.T
"""
_METRICS = """import torch


class Metric:
    def eval(self, model, test_dataloader):
        ratings = []
        for batch in test_dataloader:
            pred = model.full_predict(batch)
            ratings.append(torch.topk(pred, k=10)[1].cpu())
        return ratings
"""


def _project(tmp_path: Path, count: int, decorator: str = "", suffix: str = "") -> None:
    (tmp_path / "pyproject.toml").write_text("")
    models = tmp_path / "models"
    models.mkdir()
    (models / "__init__.py").write_text("")
    (models / "base.py").write_text(_BASE)
    for i in range(count):
        (models / f"model{i}.py").write_text(_RUNNING.format(i=i, decorator=decorator if i == 0 else ""))
    (models / "weights.py").write_text(_WEIGHTS.format(suffix=suffix))
    (tmp_path / "metrics.py").write_text(_METRICS)


def _found(tmp_path: Path) -> list[tuple[str, str, int]]:
    outcome = run_check([Path("metrics.py")], Overrides(select=frozenset({"NN503"})))
    assert outcome.crashes == []
    return [(f.filename, f.code, f.location.row) for f in outcome.findings]


@pytest.mark.parametrize("count", [7, 12])
def test_a_zoo_method_every_model_runs_records_a_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    monkeypatch.chdir(tmp_path)
    _project(tmp_path, count)
    assert _found(tmp_path) == [("metrics.py", "NN503", 7)]


@pytest.mark.parametrize(
    ("decorator", "suffix"),
    [
        ("    @torch.no_grad()\n", ""),  # one model turns recording off itself: the zoo disagrees
        ("", ".data"),  # one model reads its weights' data, recording nothing: the zoo disagrees
    ],
)
def test_a_zoo_that_disagrees_is_silent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, decorator: str, suffix: str
) -> None:
    monkeypatch.chdir(tmp_path)
    _project(tmp_path, 9, decorator, suffix)
    assert _found(tmp_path) == []


def test_a_zoo_with_a_module_that_never_imports_torch_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _project(tmp_path, 9)
    (tmp_path / "cached.py").write_text(
        "class Cached:\n    def full_predict(self, batch_data):\n        return self.table[batch_data[0]]\n"
    )
    assert _found(tmp_path) == []


def test_a_zoo_call_passing_a_keyword_no_model_accepts_is_silent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _project(tmp_path, 9)
    metrics = tmp_path / "metrics.py"
    metrics.write_text(_METRICS.replace("full_predict(batch)", "full_predict(batch, unknown_flag=True)"))
    assert _found(tmp_path) == []
