"""NN301 unseeded-rng: a training script draws random numbers from generators it never seeds."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from nnlint import vocabulary as vocab
from nnlint.engine.positions import compute_ranges
from nnlint.engine.project import Resolved
from nnlint.engine.randomness import (
    Draw,
    Randomness,
    classify,
    defined_function,
    module_level_seeds,
    probe_input,
    project_target,
    seeds_as_subclass,
    seeds_on_import,
    summarize,
    trains_through,
)
from nnlint.finding import Severity
from nnlint.rule import Evidence, Invalid, Rule, RuleFix


class UnseededRng(Rule):
    """## What it does
    Flags a training script (a file with an `if __name__ == "__main__":` guard, a module-level training
    loop, a notebook, a module-level `main()` call, or a module-level call that trains through the project,
    as a flat example script's `framework.train_model(...)`) that draws random numbers and never seeds the
    generators it draws from. Randomness counts from torch (`torch.rand*`/`randn`/`randint`/`randperm`,
    `normal_` and the other in-place samplers, `nn.init`, `DataLoader(shuffle=True)`, random samplers,
    `random_split`, random augmentations, and, in a script that trains, random weight initialisation by
    constructing layers, a Hugging Face model built with `from_config` or PEFT adapters added by
    `get_peft_model`, and dropout), from Python's `random` module and from numpy's global generator.
    Seeding counts through `torch.manual_seed`, `torch.cuda.manual_seed_all`, `random.seed`,
    `np.random.seed`, `seed_everything` (Lightning), `set_seed` (transformers, accelerate), Lightning's
    `LightningCLI` and its subclasses (unless `seed_everything_default=False`), colossalai's `launch*`,
    transformers' `Trainer` and trl's trainers (which seed from their config since trl 0.3; in trl's own
    source tree the trainer's code is read instead), an imported helper with "seed" in its name, and the
    functions of the file and of the project's other modules that do any of this, followed from the entry
    point. Seeding a private generator (`self.rng.seed(seed)` on `np.random.RandomState()`,
    `random.Random()`, `torch.Generator()`) or another object the code holds (`env.seed(seed)` on a gym
    environment, `env.action_space.seed(seed)`, an imgaug pipeline's `aug.seed_(entropy)`) seeds that
    object only.

    A script that never names torch is checked when it imports a project module that does (a flat
    folder's `train.py` building and training the networks of `agent.py`), or a project module that does
    not when some module of the project names torch and backpropagates (CRSLab's `run_crslab.py` reaches
    torch two packages down). A call through a module-level registry of project classes
    (`system_register_table[cfg["model_name"]](...)`) runs whichever entry the key picks: a generator
    counts as drawn, and the code as training, only when every entry does.

    The script trains when it backpropagates, calls a project function or method that does (also deep
    inside the project: `train_net(net, ...)` building a solver whose method runs `self.net.train_step(...)`
    on the network it was handed, when every project definition of that method backpropagates), or starts
    one of another module in another process (`multiprocessing.Process(target=train, ...)`: what that
    process seeds stays in it, so the model the parent builds for it is still drawn unseeded).

    Randomness in the project's other modules counts too: the model class in models.py that initialises its
    layers, the loader factory in data.py that shuffles, a project `DataLoader` subclass whose project base
    class builds a random sampler (`super().__init__(...)` of a `BaseDataLoader`). The finding sits on the
    first random draw in the script (one line, where a `# noqa: NN301` goes), or, when every draw happens in
    an imported project module, on the script's first seeding call when it seeds other generators
    (`np.random.seed(...)`: the forgotten seed goes beside it), else on the entry point's first line (the
    `__main__` guard, or the first training loop), with the draws shown as related locations. A random tensor
    made only to inspect the model (`get_model_summary(model, dump_input)`) is no such place: the finding goes
    to the layers the file builds, else where the seed goes. A worker that `torch.multiprocessing.spawn` runs
    starts in a fresh process that does not inherit the parent's seeds: a worker that draws and never seeds is
    reported at its `def` (unless the parent seeds only when asked, `if args.seed is not None:`: such a script
    promises no reproducibility by default). In a script that seeds, a side generator (`random`, numpy) drawn
    only in the project's other modules is left alone; torch, draws in the script itself, and a choice of data
    made in the main process (`np.random.choice` in a sampler's `__iter__`, `np.random.permutation` for a
    split; DataLoader workers reseed `random` and numpy from the torch seed, the main process does not) are
    reported. Library modules without an entry point, scripts that neither train nor draw data at random
    (exports), and throughput benchmarks (timed precisely, no data loaded, only random dummy tensors) are left
    alone; so are a shuffling loader bound to a name the script never mentions again, a coin-flip
    augmentation with probability 0 or 1, and a draw handed a `torch.Generator` of the script's own.

    ## Why is this bad?
    Without a seed, every run starts from different weights, sees batches in a different order and draws
    different dropout masks, so two runs of the same code give different numbers. A change that seems to
    help may be noise, a bug that shows once cannot be reproduced, and a comparison between two variants
    measures the seeds as much as the variants. Karpathy's "A Recipe for Training Neural Networks" starts
    its training skeleton with "fix random seed"; each generator in use needs its own seed:
    `torch.manual_seed` does not seed `random` or numpy.

    ## Example
    ```python
    import torch

    if __name__ == "__main__":
        model = torch.nn.Linear(10, 1)
        loader = torch.utils.data.DataLoader(dataset, batch_size=32, shuffle=True)
        train(model, loader)
    ```

    ## Use instead
    ```python
    import torch

    if __name__ == "__main__":
        torch.manual_seed(0)
        model = torch.nn.Linear(10, 1)
        loader = torch.utils.data.DataLoader(dataset, batch_size=32, shuffle=True)
        train(model, loader)
    ```

    ## Fix safety
    The fix inserts `torch.manual_seed(0)` (and `random.seed(0)`, `np.random.seed(0)` as needed) at the start
    of the entry point. It is unsafe: it changes the numbers every later run produces, and a script may
    want its seed from the command line instead.

    ## References
    - A. Karpathy, "A Recipe for Training Neural Networks" (2019): "fix random seed".
    - PyTorch docs, "Reproducibility" (`torch.manual_seed`, `random.seed`, `numpy.random.seed`).
    """

    code = "NN301"
    needs_torch = False  # a script may train torch models it never names (see `runs_project_torch`)
    name = "unseeded-rng"
    severity = Severity.WARNING
    message = (
        "This script uses random generators it never seeds, so no two runs agree; seed them at the start."
    )
    hint = "Seed each generator the script uses once, at its start: `torch.manual_seed(0)`, `random.seed(0)`."

    VALID: ClassVar[list[str]] = [
        # Style transfer from a pretrained VGG, started from the content image: the random initial weights
        # of the VGG are all overwritten by the loaded ones, and nothing else is drawn.
        """
import torch
from torchvision import models

if __name__ == "__main__":
    vgg = models.vgg16(pretrained=True).features.eval()
    image = load_image("content.jpg").requires_grad_()
    optimizer = torch.optim.Adam([image], lr=10.0)
    for step in range(500):
        optimizer.zero_grad()
        style_loss(vgg, image).backward()
        optimizer.step()
""",
        # An inference script that builds a shuffling training loader it never reads (a cell copied from
        # the training notebook): nothing is drawn from it.
        """
import torch
from torch.utils.data import DataLoader

model = load_finetuned("adapter")
train_dataloader = DataLoader(train_dataset, shuffle=True, batch_size=8)
test_dataloader = DataLoader(test_dataset, batch_size=8)
model.eval()
with torch.no_grad():
    for batch in test_dataloader:
        print(model.generate(**batch))
""",
        # A flip with probability 1 always flips: the mirrored samples are certain.
        """
import torch
from torchvision.transforms import RandomHorizontalFlip, ToPILImage, ToTensor

if __name__ == "__main__":
    model = load_inception()
    flipper = RandomHorizontalFlip(p=1.0)
    samples = torch.load("samples.pt")
    flipped = torch.stack([ToTensor()(flipper(ToPILImage()(img))) for img in samples])
    save_features(model(samples), model(flipped))
""",
        # The split draws from a seeded generator of its own, handed over by position.
        """
import json

import torch
from torch.utils import data


def load_records(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


seed = 42
records = load_records("train.jsonl")
generator = torch.Generator().manual_seed(seed)
train, validation = data.random_split(records, [0.8, 0.2], generator)
""",
        # A data module whose `__main__` guard only builds one and throws it away (the smoke test of the
        # lightning-hydra-template): its shuffling loader is never built when the file runs.
        """
import torch
from torch.utils.data import DataLoader


class DigitsDataModule:
    def __init__(self, data, batch_size=64):
        self.data, self.batch_size = data, batch_size

    def train_dataloader(self):
        return DataLoader(self.data, batch_size=self.batch_size, shuffle=True)


if __name__ == "__main__":
    _ = DigitsDataModule(torch.zeros(10, 2))
""",
        # `env.step()` is not an optimizer's step: a rollout that never trains draws nothing that matters.
        """
import random
import torch


def rollout(env, steps):
    policy = torch.nn.Linear(4, 2)
    obs = env.reset()
    for _ in range(steps):
        action = random.randrange(2) if random.random() < 0.1 else int(policy(obs).argmax())
        obs, reward, done, info = env.step(action)


if __name__ == "__main__":
    rollout(make_env(), 100)
""",
        # Seeded in main.
        """
import torch
def main():
    torch.manual_seed(1)
    model = torch.nn.Linear(4, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for x in torch.randn(10, 4):
        model(x).sum().backward()
        opt.step()

if __name__ == "__main__":
    main()
""",
        # A local seeding helper, called from the entry point through another helper.
        """
import random
import numpy as np
import torch

def set_seed(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)

def setup(args):
    set_seed(args.seed)

def main(args):
    setup(args)
    idx = np.random.permutation(100)
    random.shuffle(idx)
    loader = torch.utils.data.DataLoader(data, shuffle=True)

if __name__ == "__main__":
    main(parse())
""",
        # Lightning, aliased.
        """
import lightning as L
import torch
if __name__ == "__main__":
    L.seed_everything(42)
    model = torch.nn.Linear(3, 3)
    L.Trainer().fit(model)
""",
        # transformers' set_seed, imported under another name.
        """
from transformers import set_seed as fix_seed
import torch
if __name__ == "__main__":
    fix_seed(0)
    loader = torch.utils.data.DataLoader(ds, shuffle=True)
""",
        # A seeded numpy Generator and a seeded torch: numpy's global state is never used.
        """
import numpy as np
import torch
torch.manual_seed(0)
rng = np.random.default_rng(0)
model = torch.nn.Linear(2, 2)
opt = torch.optim.Adam(model.parameters())
for step in range(100):
    x = torch.from_numpy(rng.normal(size=(8, 2))).float()
    loss = model(x).pow(2).mean()
    loss.backward()
    opt.step()
""",
        # A library module: no entry point.
        """
import torch
import torch.nn as nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
        self.drop = nn.Dropout(0.5)
def noise(x):
    return x + torch.randn_like(x)
""",
        # A benchmark: random inputs, but it neither trains nor loads data.
        """
import time
import torch
if __name__ == "__main__":
    x = torch.randn(64, 1024)
    start = time.time()
    y = x @ x.T
    print(time.time() - start)
""",
        # Seeding through an imported project helper.
        """
import torch
from utils.misc import init_seeds
if __name__ == "__main__":
    init_seeds(3)
    model = torch.nn.Linear(2, 2)
    model(torch.randn(4, 2)).sum().backward()
""",
        # Lightning's CLI seeds every generator: its `seed_everything_default` is True unless turned off.
        """
import torch
from lightning.pytorch.cli import LightningCLI
import lightning as L

class Model(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 2)
    def train_dataloader(self):
        return torch.utils.data.DataLoader(data, shuffle=True)

if __name__ == "__main__":
    LightningCLI(Model, seed_everything_default=1234)
""",
        # A subclass of the CLI seeds as the CLI does.
        """
import torch
from lightning.pytorch.cli import LightningCLI

class MyCLI(LightningCLI):
    def add_arguments_to_parser(self, parser):
        parser.link_arguments("data.classes", "model.classes")

if __name__ == "__main__":
    MyCLI(Model, DataModule, seed_everything_default=1234)
    loader = torch.utils.data.DataLoader(data, shuffle=True)
""",
        # colossalai's launchers seed torch, random and numpy themselves (seed=1024 by default).
        """
import colossalai
import torch
def main(args):
    colossalai.launch_from_torch(config={})
    loader = torch.utils.data.DataLoader(data, shuffle=True)
    for x in loader:
        model(x).sum().backward()
if __name__ == "__main__":
    main(parse())
""",
        # A throughput benchmark: it times the steps precisely, loads no data, and its only draws are a
        # dummy batch; the model's weights are random, but the speed it reports does not depend on them.
        """
import time
import torch
def bench(model, steps):
    x = torch.randn(64, 3, 224, 224)
    target = torch.empty(64, dtype=torch.long).random_(1000)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        torch.nn.functional.cross_entropy(model(x), target).backward()
        opt.step()
    torch.cuda.synchronize()
    return steps / (time.perf_counter() - start)
if __name__ == "__main__":
    print(bench(torch.nn.Linear(10, 10), 100))
""",
        # Workers started by mp.spawn seed themselves.
        """
import torch
import torch.multiprocessing as mp
def worker(rank, args):
    torch.manual_seed(args.seed)
    model = torch.nn.Linear(4, 2)
    loader = torch.utils.data.DataLoader(data, shuffle=True)
    for x in loader:
        model(x).sum().backward()
def main(args):
    torch.manual_seed(args.seed)
    mp.spawn(worker, nprocs=2, args=(args,))
if __name__ == "__main__":
    main(parse())
""",
        # Seeding is opt-in (`--seed`): the script promises no reproducibility by default, so whether the
        # option's seed reaches the spawned workers is left alone (the ImageNet/MoCo/SimSiam spelling).
        """
import random
import torch
import torch.multiprocessing as mp
def main(args):
    if args.seed is not None:
        random.seed(args.seed)
        torch.manual_seed(args.seed)
    mp.spawn(worker, nprocs=4, args=(args,))
def worker(rank, args):
    loader = torch.utils.data.DataLoader(data, shuffle=True)
    for x, y in loader:
        model(x).sum().backward()
if __name__ == "__main__":
    main(parse())
""",
        # Module-level seeding outside the guard runs again in each spawned process (it imports the file).
        """
import torch
import torch.multiprocessing as mp
torch.manual_seed(0)
def worker(rank):
    model = torch.nn.Linear(4, 2)
    model(torch.randn(2, 4)).sum().backward()
if __name__ == "__main__":
    mp.spawn(worker, nprocs=2)
""",
        # A flat module whose module-level call only evaluates is no script: its shuffling loader is
        # the importer's business.
        """
import torch

class Framework:
    def __init__(self, model):
        self.model = model

    def evaluate(self, batches):
        return [self.model(x) for x in batches]

loader = torch.utils.data.DataLoader(data, shuffle=True)
framework = Framework(torch.nn.Linear(4, 2))
framework.evaluate(loader)
""",
        # A name bound to numpy's random module seeds numpy's global generator (`self.rng = np.random`).
        """
import numpy as np
import torch

if __name__ == "__main__":
    torch.manual_seed(0)
    rng = np.random
    rng.seed(0)
    model = torch.nn.Linear(4, 2)
    for i in np.random.permutation(10):
        model(batches[i]).sum().backward()
""",
        # The same script seeded first (`transformers.set_seed`), and a model loaded with `from_pretrained`
        # (weights read, not drawn) trained on a fixed batch.
        """
import torch
from transformers import AutoConfig, AutoModelForCausalLM, set_seed

if __name__ == "__main__":
    set_seed(0)
    model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained("gpt2"))
    ids = torch.tensor([[1, 2, 3]])
    model(input_ids=ids, labels=ids).loss.backward()
""",
        """
import torch
from transformers import AutoModelForCausalLM

if __name__ == "__main__":
    model = AutoModelForCausalLM.from_pretrained("gpt2")
    ids = torch.tensor([[1, 2, 3]])
    model(input_ids=ids, labels=ids).loss.backward()
""",
        # A diffusers noise scheduler's `from_config` builds no network: nothing is drawn.
        """
import torch
from diffusers import DDPMScheduler, UNet2DModel

if __name__ == "__main__":
    noise_scheduler = DDPMScheduler.from_config("scheduler_config.json")
    model = UNet2DModel.from_pretrained("ddpm-cifar10")
    x = torch.ones(1, 3, 32, 32)
    model(x, 1).sample.mean().backward()
""",
        # torch's own seeding, the names reached through a star import: still the library's seed.
        """
from common import *

if __name__ == "__main__":
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 2)
    model(torch.ones(1, 4)).sum().backward()
""",
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        # NJUNMT-pytorch: the backward happens inside the loss object's call (a sharded criterion handed in
        # as a parameter), and only the optimizer's `step()` shows that the script trains; the
        # Transformer's initialisation and the data shuffle are never seeded.
        Invalid(
            """
import random
import torch


def train(criterion, batches):
    model = torch.nn.Linear(8, 2)
    optim = torch.optim.Adam(model.parameters())
    random.shuffle(batches)
    for x, y in batches:
        optim.zero_grad()
        criterion(model(x), y)
        optim.step()


if __name__ == "__main__":
    train(make_criterion(), load_batches())
""",
            line=7,
        ),
        # uberduck-ml-dev's nbdev-exported training script: the `__main__` guard is one operand of an `and`
        # (`and not IN_NOTEBOOK`, so that the notebook it comes from does not run it); it is the entry point.
        Invalid(
            """
import torch

try:
    from nbdev.imports import IN_NOTEBOOK
except ImportError:
    IN_NOTEBOOK = False

if __name__ == "__main__" and not IN_NOTEBOOK:
    model = torch.nn.Linear(4, 2)
    loader = torch.utils.data.DataLoader(dataset, batch_size=8, shuffle=True)
    for x, y in loader:
        torch.nn.functional.mse_loss(model(x), y).backward()
""",
            line=11,
        ),
        # imgaug's `aug.seed_(...)` reseeds that augmentation pipeline, not torch's generator
        # (lightning-pose's dataset reseeds its pipeline per sample).
        Invalid(
            """
import imgaug.augmenters as iaa
import torch

def main(seed):
    aug = iaa.Fliplr(0.5)
    aug.seed_(seed)
    net = torch.nn.Linear(4, 2)
    net(torch.as_tensor(aug(images=batch))).sum().backward()

if __name__ == "__main__":
    main(0)
""",
            line=8,
        ),
        # `env.seed(...)` seeds the environment, not torch's generator the layer is drawn from.
        Invalid(
            """
import gym
import torch

def main(seed):
    env = gym.make("CartPole-v1")
    env.seed(seed)
    env.action_space.seed(seed)
    policy = torch.nn.Linear(4, 2)
    policy(torch.as_tensor(env.reset())).sum().backward()

if __name__ == "__main__":
    main(0)
""",
            line=9,
        ),
        Invalid(
            """
import torch

if __name__ == "__main__":
    model = torch.nn.Linear(10, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loader = torch.utils.data.DataLoader(dataset, batch_size=32, shuffle=True)
    fit(model, optimizer, loader)
""",
            line=7,
            fixed="""
import torch

if __name__ == "__main__":
    torch.manual_seed(0)
    model = torch.nn.Linear(10, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loader = torch.utils.data.DataLoader(dataset, batch_size=32, shuffle=True)
    fit(model, optimizer, loader)
""",
        ),
        # Only torch is seeded; numpy's and random's global generators are not, and the imports they need
        # (here `random`) are added.
        Invalid(
            """
import numpy as np
import torch.nn as nn
from random import shuffle
import torch

def main():
    torch.manual_seed(0)
    order = list(range(10))
    shuffle(order)
    noise = np.random.randn(10)
    model = nn.Linear(10, 1)
    model(torch.tensor(noise)).sum().backward()

if __name__ == "__main__":
    args = parse()
    main()
""",
            line=10,
            fixed="""
import numpy as np
import torch.nn as nn
from random import shuffle
import torch
import random

def main():
    torch.manual_seed(0)
    order = list(range(10))
    shuffle(order)
    noise = np.random.randn(10)
    model = nn.Linear(10, 1)
    model(torch.tensor(noise)).sum().backward()

if __name__ == "__main__":
    random.seed(0)
    np.random.seed(0)
    args = parse()
    main()
""",
        ),
        # A notebook-style script: the training loop at module level; the seed goes after the imports.
        Invalid(
            """
import torch
from torch import nn
model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
opt = torch.optim.Adam(model.parameters())
for step in range(1000):
    x = torch.rand(16, 2)
    loss = (model(x) - x.sum(1, keepdim=True)).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
""",
            line=7,
            fixed="""
import torch
from torch import nn
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
opt = torch.optim.Adam(model.parameters())
for step in range(1000):
    x = torch.rand(16, 2)
    loss = (model(x) - x.sum(1, keepdim=True)).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
""",
        ),
        # A seeding helper that is defined but never called does not seed anything.
        Invalid(
            """
import torch
def set_seed(seed):
    torch.manual_seed(seed)

def main():
    model = torch.nn.Linear(3, 3)
    model(torch.randn(2, 3)).sum().backward()

if __name__ == "__main__":
    main()
""",
            line=8,
        ),
        # Randomness inside a local model class that the script builds: its dropout and its init.
        Invalid(
            """
import torch
import torch.nn as nn
import torch.nn.functional as F

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
    def forward(self, x):
        return self.fc(F.dropout(x, 0.1, self.training))

def train(model, loader, optimizer):
    for x, y in loader:
        optimizer.zero_grad()
        F.mse_loss(model(x), y).backward()
        optimizer.step()

model = Net()
train(model, loader, torch.optim.SGD(model.parameters(), lr=0.1))
""",
            line=9,
        ),
        # The parent seeds, but mp.spawn starts fresh processes that do not inherit its seeds: the finding
        # sits on the worker, where its own seed goes.
        Invalid(
            """
import random
import torch
import torch.multiprocessing as mp
from torchvision import transforms

def main(args):
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    mp.spawn(worker, nprocs=4, args=(args,))

def worker(rank, args):
    augment = transforms.RandomResizedCrop(224)
    loader = torch.utils.data.DataLoader(data, sampler=sampler)
    train(model, loader)

def train(model, loader):
    for x, y in loader:
        model(x).sum().backward()

if __name__ == "__main__":
    main(parse())
""",
            line=12,
        ),
        # Lightning's CLI with its seeding turned off seeds nothing.
        Invalid(
            """
import torch
from lightning.pytorch.cli import LightningCLI

if __name__ == "__main__":
    loader = torch.utils.data.DataLoader(data, shuffle=True)
    LightningCLI(Model, seed_everything_default=False)
    inspect(loader)
""",
            line=6,
        ),
        # Timed precisely, but it shuffles its batches: not a benchmark of dummy inputs.
        Invalid(
            """
import time
import numpy as np
import torch
if __name__ == "__main__":
    order = np.random.permutation(len(batches))
    for i in order:
        torch.cuda.synchronize()
        start = time.perf_counter()
        model(batches[i]).sum().backward()
        print(time.perf_counter() - start)
""",
            line=6,
        ),
        # Timed, but it shuffles a data set: not a benchmark of dummy inputs.
        Invalid(
            """
import time
import torch
if __name__ == "__main__":
    loader = torch.utils.data.DataLoader(data, shuffle=True)
    start = time.perf_counter()
    for x, y in loader:
        model(x).sum().backward()
    print(time.perf_counter() - start)
""",
            line=5,
        ),
        # A flat script: no `__main__` guard, no loop, no `main()`; it trains through a method call at
        # module level.
        Invalid(
            """
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

model = torch.nn.Linear(4, 2)
framework = Framework(model)
if not args.only_test:
    framework.train_model(batches)
""",
            line=15,
        ),
        # Seeding a private generator (`RandomState`, `default_rng`, `torch.Generator`) seeds that object
        # only: torch's global generator still initialises the layer.
        Invalid(
            """
import numpy as np
import torch

if __name__ == "__main__":
    rng = np.random.RandomState()
    rng.seed(0)
    model = torch.nn.Linear(4, 2)
    model(torch.tensor(rng.uniform(size=4))).sum().backward()
""",
            line=8,
        ),
        # A Hugging Face model built from its config (`from_config`) starts from random weights, and LoRA
        # adapters (`get_peft_model`) are drawn too: a fine-tuning script that seeds nothing.
        Invalid(
            """
import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoConfig, AutoModelForCausalLM

if __name__ == "__main__":
    config = AutoConfig.from_pretrained("gpt2")
    model = AutoModelForCausalLM.from_config(config)
    model = get_peft_model(model, LoraConfig(r=8))
    ids = torch.tensor([[1, 2, 3]])
    model(input_ids=ids, labels=ids).loss.backward()
""",
            line=8,
        ),
        # A random batch made only to inspect the model (a summary's dummy input) is no place for the
        # finding: it goes to the layers the script builds, else to where the seed goes.
        Invalid(
            """
import torch
from torchinfo import summary


def main(loader):
    model = torch.nn.Linear(8, 2)
    dump_input = torch.rand(1, 8)
    summary(model, dump_input.cuda())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for x, y in loader:
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()


if __name__ == "__main__":
    main(None)
""",
            line=7,
        ),
        Invalid(
            """
import torch
from models import build_model


def main(loader):
    model = build_model()
    dump_input = torch.rand(1, 3, 224, 224)
    writer.add_graph(model, (dump_input,))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for x, y in loader:
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()


if __name__ == "__main__":
    main(None)
""",
            line=17,
        ),
        # The random batch is what the model trains on: the finding stays on it.
        Invalid(
            """
import torch
from models import build_model

if __name__ == "__main__":
    model = build_model()
    inputs = torch.rand(64, 8)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for step in range(100):
        optimizer.zero_grad()
        model(inputs).pow(2).mean().backward()
        optimizer.step()
""",
            line=7,
        ),
    ]

    def finish(self) -> None:
        ctx = self.ctx
        if not ctx.runs_project_torch:
            return
        entry = ctx.entry
        if entry.anchor is None:
            return
        calls: list[cst.Call] = entry.nodes(cst.Call)  # type: ignore[assignment]
        order = {id(call): position for position, call in enumerate(calls)}
        local, imported = Randomness(), Randomness()
        targets: list[tuple[cst.Call, Resolved]] = []
        spawns: list[cst.Call] = []
        for call in calls:
            local.add(classify(ctx, call))
            if ctx.callee(call) in vocab.PROCESS_SPAWNERS:
                spawns.append(call)
        # The project's functions and classes are asked about only when the script's own code leaves a
        # generator unseeded: resolving them reads other modules, and a fully seeded script needs none.
        if not local.seeded.issuperset(vocab.RNG_GENERATORS):
            for call in calls:
                target = project_target(ctx, call)
                if target is None:
                    continue
                if seeds_as_subclass(target, call):
                    local.seeded.update(vocab.RNG_GENERATORS)
                if target.ctx is not ctx:
                    targets.append((call, target))
        # A draw in another module -> the call of this file that leads there.
        through: dict[int, cst.Call] = {}
        if not local.seeded.issuperset(vocab.RNG_GENERATORS):  # else nothing the project does can matter
            for call, target in targets:
                summary = summarize(target)
                for draw in (*summary.draws.values(), summary.implicit):
                    if draw is not None:
                        through.setdefault(id(draw), call)
                imported.merge(summary)
        total = Randomness()
        total.merge(local)
        total.merge(imported)
        if not total.trains and (total.draws or total.implicit is not None):
            # A script may train only deep inside the project: `train_net(net, ...)` builds a solver whose
            # method runs `self.net.train_step(...)` on the network it was handed, where the backward is.
            total.trains = self._trains_elsewhere(calls) or any(
                trains_through(target) for _, target in targets
            )
        # A project helper's random data pipeline (a loader factory, a transforms factory) often draws on
        # some paths only (`is_training=True`): it makes the script count when the script trains, but
        # not on its own, as an inference script's call of the same factory must stay silent.
        total.loads_data = local.loads_data
        unseeded = {} if total.benchmark else total.unseeded()
        if unseeded:
            imported.seeded |= seeds_on_import(ctx)  # only asked when it matters: it reads modules
            unseeded = {g: draw for g, draw in unseeded.items() if g not in imported.seeded}
        if unseeded and (local.seeded or imported.seeded):
            # A script that seeds has a seeding policy; a side generator (Python's `random`, numpy's) that
            # only the project's other modules draw from is too weak a claim against it (DeiT seeds torch
            # and numpy, its augment module draws `random.random()`). Torch, and draws in this file, stay,
            # and so does a choice of data in the main process (`np.random.choice` in a sampler, a
            # permutation for a split): only the script's seeds reach it.
            unseeded = {
                g: draw
                for g, draw in unseeded.items()
                if g == "torch" or g in local.draws or draw.chooses_data
            }
        if not unseeded:
            if not self._seeding_opt_in(calls):
                self._check_spawned(spawns)
            return
        # One line, where the user looks: the first of those draws in this file's code (the whole `__main__`
        # block would be underlined, and a noqa would land on its first line). When every draw is in an
        # imported project module, the script's seeding of its other generators, else the entry point's first
        # line: that is where the seed goes. A draw that only makes an input for inspecting the model (a
        # summary's dummy batch, `probe_input`) is no such place: the layers this file builds are, else the
        # seed's place, with the probe shown beside the finding.
        probes: list[Draw] = []
        for generator in unseeded:
            mine = local.draws.get(generator)
            if mine is not None and mine.dummy and probe_input(ctx, mine.call):
                probes.append(mine)
                mine = None
            if mine is None and generator == "torch" and total.trains:
                mine = local.implicit
            if mine is not None:
                unseeded[generator] = mine
        here = [draw for draw in unseeded.values() if draw.ctx is ctx and all(draw is not p for p in probes)]
        described = ", ".join(
            f"{generator} ({self._describe(draw, through)})" for generator, draw in unseeded.items()
        )
        message = (
            f"This script draws random numbers from generators it never seeds: {described}; "
            f"seed them at the start of {self._entry_description()} so that runs can be reproduced."
        )
        related = tuple(
            Evidence(draw.call.func, f"draws from the unseeded {generator} generator", ctx=draw.ctx)
            for generator, draw in unseeded.items()
            if draw.ctx is not ctx or any(draw is p for p in probes)
        )
        if here:
            node: cst.CSTNode = min(here, key=lambda draw: order.get(id(draw.call), 0)).call.func
            # The line where the seed goes, shown beside the draw (its line costs nothing to find there:
            # related locations get their positions with the finding's).
            related = (Evidence(entry.anchor_line, "the entry point: seed here"), *related)
        else:
            # Every draw is in an imported module: where the script seeds its other generators
            # (`np.random.seed(cfg.RNG_SEED)`), the seed it forgot goes beside them; else the entry point.
            seeding = (
                next((call for call in calls if classify(ctx, call).seeds), None) if local.seeded else None
            )
            node = seeding.func if seeding is not None else entry.anchor_line  # type: ignore[assignment]
        self.report(node, message=message, fix=self._fix(list(unseeded)), related=related)

    def _trains_elsewhere(self, calls: list[cst.Call]) -> bool:
        """Whether the script trains in another process: `multiprocessing.Process(target=train, ...)` runs
        a project function that trains, but what that function seeds stays in its process (the model the
        parent builds for it was drawn before). Asked only when the script draws and trains nowhere else."""
        ctx = self.ctx
        for call in calls:
            if ctx.callee(call) in vocab.PROCESS_CLASSES:
                target = next((a.value for a in call.args if a.keyword and a.keyword.value == "target"), None)
                worker = defined_function(ctx, target, call) if target is not None else None
                if worker is not None and summarize(worker).trains:
                    return True
        return False

    def _describe(self, draw: Draw, through: dict[int, cst.Call]) -> str:
        """A draw in words; one in another module says which call of this file leads there."""
        call = through.get(id(draw))
        if draw.ctx is self.ctx or call is None:
            return draw.what
        return f"{draw.what} in {draw.ctx.path}, through `{self.ctx.module.code_for_node(call.func)}()`"

    def _entry_description(self) -> str:
        """Where the entry point is, for the message (its line is a related location of the finding)."""
        return "the `__main__` block" if self.ctx.entry.guards else "the entry point"

    def _seeding_opt_in(self, calls: list[cst.Call]) -> bool:
        """Whether every seeding call of the entry point sits under an `if` on a seed option
        (`if args.seed is not None:`): the script is reproducible only when its user asks for it.

        Such a script makes no promise by default, and whether the option's seed also reaches the workers
        `mp.spawn` starts is a question for `nnlint run`, not a static guess: the official ImageNet,
        MoCo and SimSiam scripts all seed this way, so reporting their workers would cry wolf.
        """
        ctx = self.ctx
        seeding = [call for call in calls if classify(ctx, call).seeds]
        return bool(seeding) and all(self._under_seed_test(call) for call in seeding)

    def _under_seed_test(self, node: cst.CSTNode) -> bool:
        for ancestor in self.ctx.index.ancestors(node):
            if isinstance(ancestor, cst.If):
                if "seed" in self.ctx.module.code_for_node(ancestor.test).lower():
                    return True
        return False

    def _check_spawned(self, spawns: list[cst.Call]) -> None:
        """`mp.spawn(worker, ...)` runs `worker` in fresh processes: the parent's seeds do not reach them,
        only what the worker seeds and what the file seeds at module level (a spawned process imports it
        again)."""
        ctx = self.ctx
        for call in spawns:
            worker = defined_function(ctx, call.args[0].value, call) if call.args else None
            if worker is None:
                continue
            child = Randomness()
            child.merge(summarize(worker))
            child.seeded |= module_level_seeds(ctx) | seeds_on_import(ctx)
            unseeded = {} if child.benchmark else child.unseeded()
            if not unseeded:
                continue
            name = worker.node.name.value  # type: ignore[union-attr]
            described = ", ".join(f"{generator} ({draw.what})" for generator, draw in unseeded.items())
            row = compute_ranges(ctx.module, [call])[id(call)].start.line
            message = (
                f"`{name}` runs in the processes started at line {row}, which do not inherit the parent's "
                f"seeds, and draws from generators it never seeds: {described}; seed them at the start of "
                f"`{name}`."
            )
            related = (
                Evidence(call.func, f"starts fresh processes running `{name}`"),
                *(
                    Evidence(draw.call.func, f"draws from the unseeded {generator} generator", ctx=draw.ctx)
                    for generator, draw in unseeded.items()
                ),
            )
            # At the worker's `def`, where its seed goes; at the spawn call when the worker is imported.
            node = worker.node.name if worker.ctx is ctx else call.func  # type: ignore[union-attr]
            self.report(node, message=message, related=related)

    # -- fix -------------------------------------------------------------------------------------

    def _fix(self, generators: list[str]) -> RuleFix | None:
        entry = self.ctx.entry
        seeds: list[str] = []
        imports: list[str] = []
        for generator in generators:
            usual, statement = vocab.SEED_IMPORTS[generator]
            found = entry.import_name(generator, usual, statement)
            if found is None:
                return None  # the usual name is taken by something else
            local, missing = found
            if missing is not None:
                imports.append(missing)
            seeds.append(vocab.SEED_STATEMENTS[generator].format(local))
        replacements = entry.insertion(seeds, imports)
        if replacements is None:
            return None
        summary = ", ".join(f"`{seed}`" for seed in seeds)
        return RuleFix(
            message=f"Seed at the start of the entry point: {summary}", replacements=replacements, safe=False
        )
