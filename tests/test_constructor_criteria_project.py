"""NN401 through a criterion handed to a wrapper's constructor by another module (piwise: main.py builds
`Trainer(model, optimizer, criterion)` after `criterion = CrossEntropyLoss2d()`, and trainer.py runs
`self.criterion(self.model(x), y)`; davidtvs/PyTorch-ENet passes `nn.CrossEntropyLoss(...)` the same way).
The criterion's loss is what every construction in the project passes; constructions that disagree leave it
unknown."""

from __future__ import annotations

from pathlib import Path

from project_tree import checked_findings, write_tree

_NETS = """
import torch.nn as nn
import torch.nn.functional as F


class Seg(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 21, 1)

    def forward(self, x):
        return F.softmax(self.conv(x), dim=1)


class Loss2d(nn.Module):
    def __init__(self):
        super().__init__()
        self.loss = nn.NLLLoss2d()

    def forward(self, x, y):
        return self.loss(x, y)
"""

_TRAINER = """
class Trainer:
    def __init__(self, model, optimizer, criterion):
        self.model = model
        self.optimizer = optimizer
        self.criterion = criterion

    def cuda(self):
        self.criterion = self.criterion.cuda()

    def train_epoch(self, loader):
        for x, y in loader:
            self.optimizer.zero_grad()
            loss = self.criterion(self.model(x), y)
            loss.backward()
            self.optimizer.step()
"""

_MAIN = """
import torch.nn as nn
from torch.optim import Adam
from nets import Seg, Loss2d
from trainer import Trainer


def main(loader):
    model = Seg()
    criterion = {criterion}
    trainer = Trainer(model, Adam(model.parameters()), criterion)
    trainer.train_epoch(loader)
"""


def _rows(tmp_path: Path, criterion: str, extra: str = "") -> list[tuple[str, int]]:
    write_tree(
        tmp_path,
        {
            "nets.py": _NETS,
            "trainer.py": _TRAINER,
            "main.py": _MAIN.format(criterion=criterion) + extra,
        },
        project_marker=True,
    )
    findings = checked_findings([tmp_path / "nets.py", tmp_path / "trainer.py"], {"NN401"})
    return [(Path(f.filename).name, f.location.row) for f in findings]


def test_a_project_criterion_handed_to_the_constructor_is_the_loss(tmp_path: Path) -> None:
    assert _rows(tmp_path, "Loss2d()") == [("nets.py", 12)]


def test_a_library_criterion_handed_to_the_constructor_is_the_loss(tmp_path: Path) -> None:
    assert _rows(tmp_path, "nn.NLLLoss()") == [("nets.py", 12)]


def test_a_criterion_that_takes_probabilities_is_no_mistake(tmp_path: Path) -> None:
    assert _rows(tmp_path, "nn.BCELoss()") == []


def test_constructions_that_disagree_leave_the_loss_unknown(tmp_path: Path) -> None:
    other = """

def finetune(loader):
    model = Seg()
    Trainer(model, Adam(model.parameters()), nn.MSELoss()).train_epoch(loader)
"""
    assert _rows(tmp_path, "nn.NLLLoss()", other) == []
