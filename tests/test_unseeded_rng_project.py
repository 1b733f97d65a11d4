"""NN301 across a project: randomness and seeding that live in the modules a training script imports.

Real scripts build the model in models.py (layer initialisation, dropout) and the loaders in data.py
(shuffling), and seed, when they do, through a helper in utils.py. The rule sees all of it through the
engine's project model, and reports at the script's entry point, where the seed goes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nnlint.config import Overrides
from nnlint.session import run_check

MODELS = """
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.fc(self.drop(x))
"""
DATA = """
import torch

def loaders(dataset, batch_size):
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True)
"""
TRAIN = """
import torch
from models import Net
from data import loaders
{imports}

def main():
{setup}
    model = Net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for x, y in loaders(dataset, 32):
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()

if __name__ == "__main__":
    main()
"""


def _check(root: Path, files: dict[str, str]) -> list:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    overrides = Overrides(select=frozenset({"NN301"}))
    return [f for f in run_check([Path("train.py")], overrides).findings if f.code == "NN301"]


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_randomness_in_imported_modules_is_reported_at_the_entry_point(root: Path) -> None:
    findings = _check(
        root, {"models.py": MODELS, "data.py": DATA, "train.py": TRAIN.format(imports="", setup="    pass")}
    )
    assert len(findings) == 1
    finding = findings[0]
    assert (finding.filename, finding.location.row) == ("train.py", 16)  # the main guard
    assert "through `loaders()`" in finding.message
    assert {(r.filename, r.location.row) for r in finding.related} == {("data.py", 5)}


def test_layer_initialisation_in_an_imported_model_counts_when_the_script_trains(root: Path) -> None:
    no_loader = TRAIN.format(imports="", setup="    pass").replace("loaders(dataset, 32)", "batches")
    findings = _check(root, {"models.py": MODELS, "data.py": DATA, "train.py": no_loader})
    assert len(findings) == 1
    assert "`nn.Linear` initialisation in models.py, through `Net()`" in findings[0].message
    assert [(r.filename, r.location.row) for r in findings[0].related] == [("models.py", 7)]


def test_seeding_in_an_imported_helper_is_seen_whatever_its_name(root: Path) -> None:
    utils = "import torch\n\ndef setup(args):\n    torch.manual_seed(args.seed)\n"
    train = TRAIN.format(imports="from utils import setup", setup="    setup(args)")
    assert _check(root, {"models.py": MODELS, "data.py": DATA, "utils.py": utils, "train.py": train}) == []


def test_a_project_subclass_of_lightning_cli_seeds(root: Path) -> None:
    cli = "from lightning.pytorch.cli import LightningCLI\n\nclass MyCLI(LightningCLI):\n    pass\n"
    train = TRAIN.format(imports="from cli import MyCLI", setup="    MyCLI(Net)")
    assert _check(root, {"models.py": MODELS, "data.py": DATA, "cli.py": cli, "train.py": train}) == []
    setup = "    MyCLI(Net, seed_everything_default=False)"
    turned_off = TRAIN.format(imports="from cli import MyCLI", setup=setup)
    assert len(_check(root, {"train.py": turned_off})) == 1


def test_a_library_module_checked_alone_reports_nothing(root: Path) -> None:
    train = TRAIN.format(imports="", setup="    pass")
    _check(root, {"models.py": MODELS, "data.py": DATA, "train.py": train})
    overrides = Overrides(select=frozenset({"NN301"}))
    assert run_check([Path("data.py"), Path("models.py")], overrides).findings == []


def test_a_module_that_seeds_when_imported_seeds_the_script(root: Path) -> None:
    config = "import torch\nimport random\n\ntorch.manual_seed(0)\nrandom.seed(0)\nLR = 0.1\n"
    train = TRAIN.format(imports="import config", setup="    pass")
    assert _check(root, {"models.py": MODELS, "data.py": DATA, "config.py": config, "train.py": train}) == []
    # Seeding under the imported module's own `__main__` guard does not run on import.
    guarded = "import torch\n\nif __name__ == '__main__':\n    torch.manual_seed(0)\n"
    assert len(_check(root, {"config.py": guarded})) == 1


def test_an_imported_spawn_worker_that_never_seeds_is_reported_at_the_spawn(root: Path) -> None:
    worker = (
        "import torch\nfrom models import Net\n\ndef work(rank):\n    model = Net()\n"
        "    torch.nn.functional.mse_loss(model(x), y).backward()\n"
    )
    script = (
        "import torch\nimport torch.multiprocessing as mp\nfrom worker import work\n\n"
        "if __name__ == '__main__':\n    torch.manual_seed(0)\n    mp.spawn(work, nprocs=2)\n"
    )
    findings = _check(root, {"models.py": MODELS, "worker.py": worker, "train.py": script})
    assert [(f.location.row, "`work` runs in the processes" in f.message) for f in findings] == [(7, True)]
    seeded = worker.replace("    model = Net()", "    torch.manual_seed(rank)\n    model = Net()")
    assert _check(root, {"worker.py": seeded}) == []


def test_an_inference_script_using_the_project_loader_factory_is_left_alone(root: Path) -> None:
    script = (
        "import torch\nfrom data import loaders\nfrom models import Net\n\n"
        "if __name__ == '__main__':\n    model = Net().eval()\n"
        "    with torch.no_grad():\n        for x in loaders(dataset, 8):\n            print(model(x))\n"
    )
    assert _check(root, {"models.py": MODELS, "data.py": DATA, "train.py": script}) == []


def test_a_side_generator_drawn_only_by_a_project_module_of_a_seeding_script_is_quiet(root: Path) -> None:
    augment = "import random\n\ndef jitter(b):\n    return b if random.random() < 0.5 else b[::-1]\n"
    script = (
        "import numpy as np\nimport torch\nfrom augment import jitter\n\n"
        "if __name__ == '__main__':\n    torch.manual_seed(0)\n    np.random.seed(0)\n"
        "    for x, y in torch.utils.data.DataLoader(data, shuffle=True, collate_fn=jitter):\n"
        "        model(x).sum().backward()\n"
    )
    assert _check(root, {"augment.py": augment, "train.py": script}) == []
    # The same draw in the script itself is its own code's gap: reported.
    own = script.replace("from augment import jitter\n", "import random\n").replace(
        "    torch.manual_seed(0)\n", "    torch.manual_seed(0)\n    random.shuffle(files)\n"
    )
    findings = _check(root, {"train.py": own})
    assert len(findings) == 1 and "random" in findings[0].message
    # A script that seeds nothing is reported for the module's draw as before.
    unseeded = script.replace("    torch.manual_seed(0)\n    np.random.seed(0)\n", "")
    assert len(_check(root, {"augment.py": augment, "train.py": unseeded})) == 1
