"""NN301 across a project: randomness and seeding that live in the modules a training script imports.

Real scripts build the model in models.py (layer initialisation, dropout) and the loaders in data.py
(shuffling), and seed, when they do, through a helper in utils.py. The rule sees all of it through the
engine's project model, and reports at the script's entry point, where the seed goes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from project_tree import write_tree

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
    write_tree(root, files)
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


WORKER = """
import torch

def train(rank, model, batches):
{seed}
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for x in batches:
        opt.zero_grad()
        model(x).sum().backward()
        opt.step()
"""
PROCESSES = """
import torch
import torch.multiprocessing as mp
from models import Net
from worker import train

if __name__ == "__main__":
{seed}
    model = Net()
    model.share_memory()
    workers = [mp.Process(target=train, args=(rank, model, [])) for rank in range(4)]
    for p in workers:
        p.start()
"""


def test_a_model_built_for_workers_that_multiprocessing_process_starts_is_drawn_unseeded(root: Path) -> None:
    # The workers train and each seeds its own process; the shared model's weights come from the parent.
    worker = WORKER.format(seed="    torch.manual_seed(rank)")
    files = {"models.py": MODELS, "worker.py": worker, "train.py": PROCESSES.format(seed="    pass")}
    findings = _check(root, files)
    assert len(findings) == 1
    assert "`nn.Linear` initialisation in models.py, through `Net()`" in findings[0].message
    files["train.py"] = PROCESSES.format(seed="    torch.manual_seed(0)")
    assert _check(root, files) == []


def test_a_process_target_that_does_not_train_leaves_the_model_alone(root: Path) -> None:
    worker = "def train(rank, model, batches):\n    print(model(batches))\n"
    files = {"models.py": MODELS, "worker.py": worker, "train.py": PROCESSES.format(seed="    pass")}
    assert _check(root, files) == []


FRAMEWORK = """
import torch

class Framework:
    def __init__(self, model):
        self.model = model
        self.optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    def train_model(self, batches):
        for x in batches:
            self.optimizer.zero_grad()
            self.model(x).sum().backward()
            self.optimizer.step()

    def eval_model(self, batches):
        return [self.model(x) for x in batches]
"""
FLAT = """
import torch
import framework
from models import Net
{seed}
model = Net()
runner = framework.Framework(model)
if not args.only_test:
    runner.{method}(batches)
"""


def test_a_flat_script_training_through_a_project_method_is_an_entry_point(root: Path) -> None:
    files = {
        "models.py": MODELS,
        "framework.py": FRAMEWORK,
        "train.py": FLAT.format(seed="", method="train_model"),
    }
    findings = _check(root, files)
    assert [(f.filename, f.location.row) for f in findings] == [("train.py", 9)]  # the training call
    files["train.py"] = FLAT.format(seed="torch.manual_seed(0)", method="train_model")
    assert _check(root, files) == []
    files["train.py"] = FLAT.format(seed="", method="eval_model")  # no training call: a module, not a script
    assert _check(root, files) == []
    # A module of a package runs on import, not as a script: the same statements there are no entry point.
    files["train.py"] = FLAT.format(seed="", method="train_model")
    files["__init__.py"] = ""
    assert _check(root, files) == []


def test_a_private_generator_seeded_in_a_project_module_does_not_seed_the_script(root: Path) -> None:
    masks = """
import numpy as np

class MaskFunc:
    def __init__(self):
        self.rng = np.random.RandomState()

    def __call__(self, shape, seed=None):
        self.rng.seed(seed)
        return self.rng.uniform(size=shape)
"""
    train = TRAIN.format(imports="from masks import MaskFunc", setup="    mask = MaskFunc()")
    files = {"models.py": MODELS, "data.py": DATA, "masks.py": masks, "train.py": train}
    findings = _check(root, files)
    assert len(findings) == 1
    assert "torch (" in findings[0].message
    # The same method on the numpy module itself seeds numpy's global generator, and only that one.
    files["masks.py"] = masks.replace("np.random.RandomState()", "np.random")
    findings = _check(root, files)
    assert len(findings) == 1 and "numpy" not in findings[0].message and "torch (" in findings[0].message


def test_a_package_module_setting_up_constants_with_its_helpers_is_no_entry_point(root: Path) -> None:
    """`PATTERN = _pattern(...)` at module level of a package module builds a library's constant on import
    (its project calls are not resolved: their modules are not read); outside a package the same
    assignment still makes a flat script, and a package module calling `main()` as a statement is still
    a script run with `python -m`."""
    from nnlint.engine.project import STORE

    library = (
        "import torch\nfrom models import Net\n\ndef _build():\n    model = Net()\n"
        "    model(torch.ones(4, 3)).sum().backward()\n    return model\n\nPATTERN = _build()\n"
    )
    files = {"models.py": MODELS, "train.py": library}
    assert [(f.filename, f.location.row) for f in _check(root, files)] == [("train.py", 9)]
    files["__init__.py"] = ""
    STORE.clear()
    assert _check(root, files) == []
    assert STORE.parsed(root / "models.py") is None  # `Net()` was not resolved
    files["train.py"] = library.replace("PATTERN = _build()", "_build()")
    assert [(f.filename, f.location.row) for f in _check(root, files)] == [("train.py", 9)]


AGENT = """
import torch
from models import Net

class Agent:
    def __init__(self, env):
        self.env = env
        self.net = Net()
        self.opt = torch.optim.Adam(self.net.parameters())

    def learn(self):
        for _ in range(10):
            self._update()

    def _update(self):
        self.opt.zero_grad()
        self.net(self.env.sample()).sum().backward()
        self.opt.step()
"""
AGENT_SCRIPT = """
import random
import gym
import numpy as np
from agent import Agent

def launch(seed):
    env = gym.make("FetchReach-v1")
    env.seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    Agent(env).learn()

if __name__ == "__main__":
    launch(0)
"""


def test_a_script_training_a_project_agent_without_naming_torch_is_checked(root: Path) -> None:
    """A flat folder's script builds a project agent (its networks in models.py) and trains it through
    `agent.learn()`, never importing torch; `env.seed(...)` seeds the environment only."""
    findings = _check(root, {"models.py": MODELS, "agent.py": AGENT, "train.py": AGENT_SCRIPT})
    # At the script's `random.seed(seed)`: the torch seed it forgot goes beside the seeds it has.
    assert [(f.location.row, "through `Agent()`" in f.message) for f in findings] == [(10, True)]
    seeded = AGENT_SCRIPT.replace("from agent import Agent", "from agent import Agent\nimport torch")
    seeded = seeded.replace("    env.seed(seed)", "    env.seed(seed)\n    torch.manual_seed(seed)")
    assert _check(root, {"train.py": seeded}) == []


def test_a_script_importing_no_torch_project_module_is_left_alone(root: Path) -> None:
    plain = "import numpy as np\n\ndef prepare(seed):\n    return np.arange(seed)\n"
    script = AGENT_SCRIPT.replace("from agent import Agent", "from agent import prepare")
    script = script.replace("    Agent(env).learn()", "    prepare(seed).fit()")
    assert _check(root, {"agent.py": plain, "train.py": script}) == []


TRAINER_LIBRARY = """
import torch

class PPOTrainer:
    def __init__(self, config, model, dataset):
        self.dataloader = torch.utils.data.DataLoader(dataset, batch_size=8, shuffle=True)
{seed}
    def step(self):
        pass
"""
TRAINER_SCRIPT = """
import torch
from trl import PPOTrainer

if __name__ == "__main__":
    trainer = PPOTrainer(config, model, dataset)
    for epoch, batch in enumerate(trainer.dataloader):
        model(batch).sum().backward()
        trainer.step()
"""


def test_a_library_trainer_whose_source_is_in_the_project_is_read_not_assumed(root: Path) -> None:
    """trl's trainers seed from their config (v0.3 on), so a script using the installed library is
    silent; in trl's own repository the trainer's source says what that version does."""
    library = {"trl/__init__.py": "from trl.trainer import PPOTrainer\n", "train.py": TRAINER_SCRIPT}
    unseeding = TRAINER_LIBRARY.format(seed="")
    findings = _check(root, {**library, "trl/trainer.py": unseeding})
    assert len(findings) == 1 and "through `PPOTrainer()`" in findings[0].message
    seeding = TRAINER_LIBRARY.format(seed="        torch.manual_seed(config.seed)\n")
    assert _check(root, {"trl/trainer.py": seeding}) == []
    (root / "trl" / "trainer.py").unlink()
    (root / "trl" / "__init__.py").unlink()
    (root / "trl").rmdir()
    assert _check(root, {}) == []  # installed trl: its trainers seed


# A detection code base's layout: scripts in tools/ reach lib/ through `import _init_paths`, and the script
# trains only through a helper that builds a solver, whose method runs the handed network's `train_step`.
_INIT_PATHS = """
import os.path as osp
import sys

def add_path(path):
    if path not in sys.path:
        sys.path.insert(0, path)

add_path(osp.join(osp.dirname(__file__), '..', 'lib'))
"""
_NETWORK = """
import torch.nn as nn

class Network(nn.Module):
    def train_step(self, blobs, train_op):
        train_op.zero_grad()
        self.loss(blobs).backward()
        train_op.step()

class Detector(Network):
    def __init__(self):
        super().__init__()
        self.head = nn.Linear(4, 2)
        self.head.weight.data.normal_(0, 0.01)
"""
_TRAIN_VAL = """
import torch

class SolverWrapper:
    def __init__(self, network):
        self.net = network

    def train_model(self, max_iters):
        optimizer = torch.optim.SGD(self.net.parameters(), lr=0.01)
        for _ in range(max_iters):
            self.net.train_step(next_blobs(), optimizer)

def train_net(network, max_iters=10):
    sw = SolverWrapper(network)
    sw.train_model(max_iters)
"""
_TRAINVAL_NET = """
import numpy as np
import _init_paths
from model.train_val import train_net
from nets.network import Detector

if __name__ == '__main__':
    np.random.seed(3)
    net = Detector()
    train_net(net, max_iters=100)
"""


def _detection_tree(root: Path, **changes: str) -> dict[str, str]:
    files = {
        "tools/_init_paths.py": _INIT_PATHS,
        "tools/train.py": _TRAINVAL_NET,
        "lib/model/__init__.py": "",
        "lib/model/train_val.py": _TRAIN_VAL,
        "lib/nets/__init__.py": "",
        "lib/nets/network.py": _NETWORK,
    }
    files.update(changes)
    write_tree(root, files)
    return files


def _check_tools(root: Path) -> list:
    overrides = Overrides(select=frozenset({"NN301"}))
    return [f for f in run_check([Path("tools/train.py")], overrides).findings if f.code == "NN301"]


def test_a_script_that_trains_deep_inside_the_project_through_sys_path_imports(root: Path) -> None:
    _detection_tree(root)
    findings = _check_tools(root)
    assert len(findings) == 1
    # Beside the script's seeding of numpy: the seed it forgot goes there.
    assert (findings[0].filename, findings[0].location.row) == ("tools/train.py", 8)
    assert "`.normal_()` in lib/nets/network.py, through `Detector()`" in findings[0].message


@pytest.mark.parametrize(
    "changes",
    [
        # The script seeds torch too.
        {
            "tools/train.py": _TRAINVAL_NET.replace(
                "np.random.seed(3)", "np.random.seed(3); torch.manual_seed(3)"
            ).replace("import numpy as np", "import numpy as np\nimport torch")
        },
        # Without the path set-up, lib/ is not where Python looks: unknown, silent.
        {"tools/train.py": _TRAINVAL_NET.replace("import _init_paths\n", "")},
        # One project definition of `train_step` only evaluates: the handed network may be that one.
        {
            "lib/nets/other.py": "class Evaluator:\n"
            "    def train_step(self, blobs, op):\n        return self(blobs)\n"
        },
        # The solver never runs the network's training step.
        {"lib/model/train_val.py": _TRAIN_VAL.replace("self.net.train_step(", "self.net.evaluate(")},
    ],
)
def test_deep_project_training_near_misses_stay_silent(root: Path, changes: dict[str, str]) -> None:
    _detection_tree(root, **changes)
    assert _check_tools(root) == []


BASE_LOADER = """
import numpy as np
from torch.utils.data import DataLoader
from torch.utils.data.sampler import SubsetRandomSampler

class BaseDataLoader(DataLoader):
    def __init__(self, dataset, batch_size, validation_split):
        self.sampler, self.valid_sampler = self._split_sampler(len(dataset), validation_split)
        super().__init__(dataset, batch_size=batch_size, sampler=self.sampler)

    def _split_sampler(self, n, split):
        idx = np.arange(n)
        np.random.seed(0)
        np.random.shuffle(idx)
        cut = int(n * split)
        return SubsetRandomSampler(idx[cut:]), SubsetRandomSampler(idx[:cut])
"""
LOADERS = """
from base.base_data_loader import BaseDataLoader

class MnistDataLoader(BaseDataLoader):
    def __init__(self, data_dir, batch_size, validation_split=0.1):
        self.dataset = load(data_dir)
        super().__init__(self.dataset, batch_size, validation_split)
"""


def test_a_project_loader_draws_through_its_project_base_class(root: Path) -> None:
    """pytorch-template's spelling: the project's `DataLoader` subclass builds its random sampler in a
    project base class's `__init__` (`super().__init__(...)`); building it draws from torch, which
    nothing seeds. The numpy shuffle is seeded there."""
    train = (
        TRAIN.format(imports="import data_loaders as module_data", setup="    pass")
        .replace("model = Net()", "model = load_model()")
        .replace("loaders(dataset, 32)", "module_data.MnistDataLoader('data', 64)")
    )
    files = {"base/base_data_loader.py": BASE_LOADER, "data_loaders.py": LOADERS, "train.py": train}
    findings = _check(root, files)
    assert len(findings) == 1
    assert "torch (`SubsetRandomSampler` in base/base_data_loader.py" in findings[0].message
    assert "numpy" not in findings[0].message
    seeded = train.replace("    pass", "    torch.manual_seed(0)")
    assert _check(root, {"train.py": seeded}) == []


@pytest.mark.parametrize(
    ("split", "draws"),
    [
        ("random_split(data, [8, 2], generator)", False),  # by position (abacaj/fine-tune-mistral)
        ("random_split(data, [8, 2], generator=generator)", False),
        ("random_split(data, [8, 2], torch.Generator().manual_seed(0))", False),
        ("random_split(data, [8, 2], lengths)", True),  # another argument: the global generator
        ("random_split(data, [8, 2])", True),
    ],
)
def test_a_generator_given_by_position_is_the_calls_own(split: str, draws: bool) -> None:
    import libcst as cst

    from nnlint.engine.context import FileContext
    from nnlint.engine.randomness import classify

    source = (
        "import torch\nfrom torch.utils.data import random_split\n"
        "generator = torch.Generator().manual_seed(42)\nlengths = None\n"
        f"train, val = {split}\n"
    )
    ctx = FileContext("split.py", source, cst.parse_module(source))
    call = next(c for c in ctx.index.nodes(cst.Call) if ctx.callee(c) == "torch.utils.data.random_split")
    assert (classify(ctx, call).draw is not None) is draws


@pytest.mark.parametrize(
    ("transform", "draws"),
    [
        ("RandomHorizontalFlip(p=1.)", False),  # ermongroup/ncsnv2 nearest_neighbor.py
        ("RandomHorizontalFlip(1)", False),
        ("RandomVerticalFlip(p=0)", False),
        ("RandomSolarize(128, 1.0)", False),
        ("RandomHorizontalFlip()", True),
        ("RandomHorizontalFlip(p=0.5)", True),
        ("RandomHorizontalFlip(p=prob)", True),
        ("RandomSolarize(1)", True),  # the threshold, not the probability
        ("RandomResizedCrop(32)", True),
    ],
)
def test_a_coin_flip_with_a_certain_probability_draws_nothing(transform: str, draws: bool) -> None:
    import libcst as cst

    from nnlint.engine.context import FileContext
    from nnlint.engine.randomness import classify

    source = f"from torchvision.transforms import *\nprob = 0.5\nt = {transform}\n"
    source = source.replace("import *", f"import {transform.split('(')[0]}")
    ctx = FileContext("aug.py", source, cst.parse_module(source))
    call = next(c for c in ctx.index.nodes(cst.Call) if (ctx.callee(c) or "").startswith("torchvision."))
    assert (classify(ctx, call).draw is not None) is draws


@pytest.mark.parametrize(
    ("after", "draws"),
    [
        ("", False),  # never read again (PEFT's inference notebooks)
        ("for batch in loader:\n    step(batch)\n", True),
        ("# the loader is kept for later\n", True),  # mentioned in the text: kept
    ],
)
def test_a_shuffling_loader_that_is_never_read_draws_nothing(after: str, draws: bool) -> None:
    import libcst as cst

    from nnlint.engine.context import FileContext
    from nnlint.engine.randomness import classify

    source = "from torch.utils.data import DataLoader\nloader = DataLoader(data, shuffle=True)\n" + after
    ctx = FileContext("infer.py", source, cst.parse_module(source))
    call = next(c for c in ctx.index.nodes(cst.Call) if ctx.callee(c) == "torch.utils.data.DataLoader")
    assert (classify(ctx, call).draw is not None) is draws


@pytest.mark.parametrize(
    ("spelled", "draws"),
    [
        ("from torch_geometric.loader import DataLoader\nloader = DataLoader(graphs, shuffle=True)", True),
        ("from torch_geometric.data import DataLoader\nloader = DataLoader(graphs, shuffle=True)", True),
        ("from torch_geometric.loader import NeighborLoader\nloader = NeighborLoader(shuffle=a == b)", True),
        ("from dgl.dataloading import GraphDataLoader\nloader = GraphDataLoader(graphs, shuffle=True)", True),
        ("from torch_geometric.loader import DataLoader\nloader = DataLoader(graphs, shuffle=False)", False),
        ("from torch_geometric.loader import DataLoader\nloader = DataLoader(graphs)", False),
        ("from mylib.loader import DataLoader\nloader = DataLoader(graphs, shuffle=True)", False),
    ],
)
def test_a_graph_librarys_shuffling_loader_draws_from_torch(spelled: str, draws: bool) -> None:
    """PyG's and DGL's loaders subclass torch's `DataLoader`: their shuffle draws from torch's generator
    (relbench examples/gnn_node.py, lukecavabarrett/pna's example.py); an unknown library's stays unknown."""
    import libcst as cst

    from nnlint.engine.context import FileContext
    from nnlint.engine.randomness import classify

    source = spelled + "\nfor batch in loader:\n    step(batch)\n"
    ctx = FileContext("train.py", source, cst.parse_module(source))
    call = next(c for c in ctx.index.nodes(cst.Call) if "Loader" in (ctx.callee(c) or ""))
    effect = classify(ctx, call)
    assert (effect.draw is not None and effect.draw.generator == "torch") is draws


@pytest.mark.parametrize(
    ("build", "draws"),
    [
        ("models.vgg16(pretrained=True)", False),  # gordicaleksa/pytorch-neural-style-transfer
        ("models.resnet18(weights=models.ResNet18_Weights.DEFAULT)", False),
        ("models.vgg16()", True),
        ("models.vgg16(pretrained=False)", True),
        ("models.resnet18(weights=None)", True),
    ],
)
def test_a_pretrained_model_build_leaves_no_random_initialisation(build: str, draws: bool) -> None:
    import libcst as cst

    from nnlint.engine.context import FileContext
    from nnlint.engine.randomness import classify

    source = f"from torchvision import models\nnet = {build}\n"
    ctx = FileContext("build.py", source, cst.parse_module(source))
    call = next(
        c for c in ctx.index.nodes(cst.Call) if (ctx.callee(c) or "").startswith("torchvision.models.")
    )
    assert (classify(ctx, call).implicit is not None) is draws


REGISTRY_SYSTEMS = """
import random

import torch


class RecSystem:
    def __init__(self, cfg):
        self.model = torch.nn.Linear(4, 2)
        self.optimizer = torch.optim.Adam(self.model.parameters())
        self.data = list(range(10))

    def fit(self):
        random.shuffle(self.data)
        for x in self.data:
            self.optimizer.zero_grad()
            self.model(torch.full((4,), float(x))).sum().backward()
            self.optimizer.step()


class ConvSystem(RecSystem):
    def fit(self):
        random.shuffle(self.data)
        for x in self.data:
            self.model(torch.full((4,), float(x))).sum().backward()
            self.optimizer.step()
            self.optimizer.zero_grad()


{extra}
system_register_table = {{
    "rec": RecSystem,
    "conv": {second},
}}


def get_system(cfg):
    return system_register_table[cfg["model_name"]](cfg)
"""
REGISTRY_QUICK_START = """
from crs.system import get_system


def run_crs(cfg):
    system = get_system(cfg)
    system.fit()
"""
REGISTRY_SCRIPT = """
import argparse

from crs.quick_start import run_crs

if __name__ == "__main__":
    args = argparse.ArgumentParser().parse_args()
    run_crs(vars(args))
"""
_PRINTER = """
class Printer:
    def __init__(self, cfg):
        self.cfg = cfg

    def fit(self):
        print(self.cfg)
"""


def test_a_script_training_through_a_registry_of_a_deeper_torch_module_is_checked(root: Path) -> None:
    """CRSLab's shape: the script names no torch and imports a project module that does not either; the
    system it trains is picked from a module-level registry (`table[cfg["model_name"]](cfg)`) two modules
    down, every entry of which shuffles with `random` and trains."""
    files = {
        "crs/__init__.py": "",
        "crs/system.py": REGISTRY_SYSTEMS.format(extra="", second="ConvSystem"),
        "crs/quick_start.py": REGISTRY_QUICK_START,
        "train.py": REGISTRY_SCRIPT,
    }
    findings = _check(root, files)
    assert [(f.location.row, "random (`shuffle()`" in f.message) for f in findings] == [(6, True)]


def test_a_registry_entry_that_draws_nothing_keeps_the_script_quiet(root: Path) -> None:
    """What a registry call runs is the key's choice: a generator counts only when every entry draws from
    it, and training only when every entry trains (one entry only prints)."""
    files = {
        "crs/__init__.py": "",
        "crs/system.py": REGISTRY_SYSTEMS.format(extra=_PRINTER, second="Printer"),
        "crs/quick_start.py": REGISTRY_QUICK_START,
        "train.py": REGISTRY_SCRIPT,
    }
    assert _check(root, files) == []


def test_reseeding_an_augmenter_the_project_holds_seeds_that_augmenter_only(root: Path) -> None:
    # lightning-pose's dataset reseeds its imgaug pipeline per sample (`self.imgaug_transform.seed_(seed)`)
    # with a seed drawn from numpy's global generator: no global generator is seeded by it.
    data = DATA + (
        "\nclass Frames:\n    def __init__(self, aug):\n        self.aug = aug\n\n"
        "    def __getitem__(self, i):\n        self.aug.seed_(i)\n        self.aug.reseed(i)\n"
        "        return self.aug(i)\n"
    )
    train = TRAIN.format(imports="from data import Frames", setup="    dataset = Frames(None)")
    findings = _check(root, {"models.py": MODELS, "data.py": data, "train.py": train})
    assert len(findings) == 1
    assert "torch" in findings[0].message
