"""A project module that does not parse says nothing about what its functions do.

Handing the model, with data, to a function the checked file cannot see into is taken to run it
(`loops._model_handed_over`); that guess is for library or unresolved code. When the name resolves to a
project module that fails to parse (lgcollins/FedRep's `models/test.py`, a TabError at its newest commit),
the function is unknown, not unseen: no guess, so no NN404 resting on it.
"""

from __future__ import annotations

from pathlib import Path

from project_tree import checked_findings, write_tree

SCRIPT = """
import torch
from models.test import test_img_local
from models.nets import get_model

net = get_model()
net.train()
for epoch in range(10):
    acc = test_img_local(net, dataset_test, args)
    print(acc)
"""

READABLE = """
import torch
def test_img_local(net, dataset, args):
    correct = 0
    for x, y in dataset:
        correct += (net(x).argmax(1) == y).sum().item()
    return correct
"""

NETS = """
import torch.nn as nn
def get_model():
    return nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 2))
"""


def _nn404(tmp_path: Path, test_module: str) -> list[str]:
    write_tree(
        tmp_path,
        {
            "models/__init__.py": "",
            "models/nets.py": NETS,
            "models/test.py": test_module,
            "main.py": SCRIPT,
        },
        project_marker=True,
    )
    return [f.code for f in checked_findings([tmp_path / "main.py"], ["NN404"])]


def test_a_readable_evaluation_helper_is_followed(tmp_path: Path) -> None:
    assert _nn404(tmp_path, READABLE) != []


def test_a_helper_in_a_module_that_does_not_parse_is_unknown(tmp_path: Path) -> None:
    broken = READABLE.replace("        correct +=", "\t\tcorrect +=")  # tabs after spaces: a TabError
    assert _nn404(tmp_path, broken) == []
