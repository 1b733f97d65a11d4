"""NN301 unseeded-rng: a training script draws random numbers from generators it never seeds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import libcst as cst

from nnlint.engine.names import dotted_name
from nnlint.finding import Severity
from nnlint.rule import Invalid, Rule, RuleFix

GENERATORS = ("torch", "random", "numpy")

_TORCH_RANDOM_FUNCTIONS = frozenset(
    f"torch.{name}"
    for name in (
        "rand",
        "rand_like",
        "randn",
        "randn_like",
        "randint",
        "randint_like",
        "randperm",
        "normal",
        "bernoulli",
        "multinomial",
        "poisson",
    )
) | frozenset(
    f"torch.nn.init.{name}"
    for name in (
        "uniform_",
        "normal_",
        "trunc_normal_",
        "xavier_uniform_",
        "xavier_normal_",
        "kaiming_uniform_",
        "kaiming_normal_",
        "orthogonal_",
        "sparse_",
    )
)
# In-place samplers, called on a tensor (`m.weight.data.normal_(0.0, 0.02)`).
_TORCH_RANDOM_METHODS = frozenset(
    {"normal_", "uniform_", "bernoulli_", "random_", "exponential_", "geometric_", "log_normal_", "cauchy_"}
)
# Randomness in the data pipeline: shuffling, splitting, sampling, augmenting.
_TORCH_DATA_RANDOM = frozenset(
    {
        "torch.utils.data.random_split",
        "torch.utils.data.dataset.random_split",
        "torch.utils.data.RandomSampler",
        "torch.utils.data.SubsetRandomSampler",
        "torch.utils.data.WeightedRandomSampler",
        "torch.utils.data.sampler.RandomSampler",
        "torch.utils.data.sampler.SubsetRandomSampler",
        "torch.utils.data.sampler.WeightedRandomSampler",
    }
)
_RANDOM_AUGMENTATIONS = frozenset(
    {"ColorJitter", "AutoAugment", "RandAugment", "TrivialAugmentWide", "AugMix"}
)
# Layers whose construction draws their initial weights, and dropout: randomness a training run depends on.
_RANDOMLY_INITIALISED_LAYERS = frozenset(
    {
        "Linear",
        "Bilinear",
        "Conv1d",
        "Conv2d",
        "Conv3d",
        "ConvTranspose1d",
        "ConvTranspose2d",
        "ConvTranspose3d",
        "Embedding",
        "EmbeddingBag",
        "RNN",
        "LSTM",
        "GRU",
        "RNNCell",
        "LSTMCell",
        "GRUCell",
        "MultiheadAttention",
        "Transformer",
        "TransformerEncoderLayer",
        "TransformerDecoderLayer",
        "Dropout",
        "Dropout1d",
        "Dropout2d",
        "Dropout3d",
        "AlphaDropout",
        "FeatureAlphaDropout",
    }
)
_FUNCTIONAL_DROPOUT = frozenset(
    f"torch.nn.functional.{name}"
    for name in ("dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout")
)
_RANDOM_MODULE_FUNCTIONS = frozenset(
    {
        "random",
        "randint",
        "randrange",
        "choice",
        "choices",
        "shuffle",
        "sample",
        "uniform",
        "gauss",
        "normalvariate",
        "triangular",
        "betavariate",
        "expovariate",
        "lognormvariate",
        "vonmisesvariate",
        "paretovariate",
        "weibullvariate",
        "getrandbits",
        "randbytes",
    }
)
# numpy.random names that do not draw from the global generator.
_NUMPY_NOT_GLOBAL = frozenset(
    {
        "seed",
        "get_state",
        "set_state",
        "default_rng",
        "RandomState",
        "Generator",
        "SeedSequence",
        "BitGenerator",
        "PCG64",
        "PCG64DXSM",
        "MT19937",
        "Philox",
        "SFC64",
    }
)
_SEEDS_ONE = {
    "torch.manual_seed": "torch",
    "torch.random.manual_seed": "torch",
    "torch.cuda.manual_seed": "torch",
    "torch.cuda.manual_seed_all": "torch",
    "random.seed": "random",
    "numpy.random.seed": "numpy",
}
_SEEDS_ALL = frozenset(
    {
        "lightning.seed_everything",
        "lightning.pytorch.seed_everything",
        "lightning.fabric.seed_everything",
        "lightning_fabric.seed_everything",
        "pytorch_lightning.seed_everything",
        "lightning.pytorch.utilities.seed.seed_everything",
        "lightning.fabric.utilities.seed.seed_everything",
        "pytorch_lightning.utilities.seed.seed_everything",
        "transformers.set_seed",
        "transformers.trainer_utils.set_seed",
        "accelerate.utils.set_seed",
        "accelerate.utils.random.set_seed",
    }
)
# Library functions with "seed" in their name that do not make a run repeatable.
_NOT_SEEDING = frozenset(
    {"torch.seed", "torch.initial_seed", "torch.cuda.seed", "torch.cuda.seed_all", "torch.cuda.initial_seed"}
)
_SEED_CALLS = {
    "torch": "{}.manual_seed(0)",
    "random": "{}.seed(0)",
    "numpy": "{}.random.seed(0)",
}
_IMPORTS = {
    "torch": ("torch", "import torch"),
    "random": ("random", "import random"),
    "numpy": ("np", "import numpy as np"),
}


@dataclass
class _Evidence:
    """What the code an entry point runs does with randomness."""

    used: dict[str, str] = field(default_factory=dict)  # generator -> first explicit use, described
    implicit: str | None = None  # first layer initialisation or dropout, described
    seeded: set[str] = field(default_factory=set)
    trains: bool = False
    loads_data: bool = False  # draws data at random: shuffles, samples, splits, augments

    def use(self, generator: str, what: str) -> None:
        self.used.setdefault(generator, what)


class UnseededRng(Rule):
    """## What it does
    Flags a training script (a file with an `if __name__ == "__main__":` guard, a module-level training
    loop, a notebook, or a module-level `main()` call) that draws random numbers and never seeds the
    generators it draws from. Randomness counts from torch (`torch.rand*`/`randn`/`randint`/`randperm`,
    `normal_` and the other in-place samplers, `nn.init`, `DataLoader(shuffle=True)`, random samplers,
    `random_split`, random augmentations, and, in a script that trains, random weight initialisation by
    constructing layers and dropout), from Python's `random` module and from numpy's global generator.
    Seeding counts through `torch.manual_seed`, `torch.cuda.manual_seed_all`, `random.seed`,
    `np.random.seed`, `seed_everything` (Lightning), `set_seed` (transformers, accelerate), an imported
    helper with "seed" in its name, and helpers of the same file that do any of this, followed from the
    entry point. The message says which generators are used and unseeded. Library modules without an
    entry point, and scripts that neither train nor draw data at random (benchmarks, exports), are left
    alone.

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
    name = "unseeded-rng"
    severity = Severity.WARNING
    message = (
        "This script uses random generators it never seeds, so no two runs agree; seed them at the start."
    )
    hint = "Seed each generator the script uses once, at its start: `torch.manual_seed(0)`, `random.seed(0)`."

    VALID: ClassVar[list[str]] = [
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
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        Invalid(
            """
import torch

if __name__ == "__main__":
    model = torch.nn.Linear(10, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loader = torch.utils.data.DataLoader(dataset, batch_size=32, shuffle=True)
""",
            line=4,
            fixed="""
import torch

if __name__ == "__main__":
    torch.manual_seed(0)
    model = torch.nn.Linear(10, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loader = torch.utils.data.DataLoader(dataset, batch_size=32, shuffle=True)
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
            line=15,
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
            line=6,
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
            line=10,
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
            line=20,
        ),
    ]

    def finish(self) -> None:
        entry = self.ctx.entry
        anchor = entry.anchor
        if anchor is None:
            return
        evidence = _Evidence()
        for call in entry.nodes(cst.Call):
            self._gather(call, evidence)  # type: ignore[arg-type]
        if not (evidence.trains or evidence.loads_data):
            return
        if evidence.trains and evidence.implicit is not None:
            evidence.use("torch", evidence.implicit)
        unseeded = [generator for generator in GENERATORS if generator in evidence.used]
        unseeded = [generator for generator in unseeded if generator not in evidence.seeded]
        if not unseeded:
            return
        described = ", ".join(f"{generator} ({evidence.used[generator]})" for generator in unseeded)
        message = (
            f"This script draws random numbers from generators it never seeds: {described}; "
            "seed them at its start so that runs can be reproduced."
        )
        self.report(anchor, message=message, fix=self._fix(unseeded))

    # -- evidence --------------------------------------------------------------------------------

    def _gather(self, call: cst.Call, evidence: _Evidence) -> None:
        callee = self.ctx.callee(call)
        func = call.func
        method = func.attr.value if isinstance(func, cst.Attribute) else None
        if method in ("backward", "manual_backward", "fit"):
            evidence.trains = True
        if callee is None:
            if method in _TORCH_RANDOM_METHODS:
                evidence.use("torch", f"`.{method}()`")
            elif self._seeds_by_name(call):
                evidence.seeded.update(GENERATORS)
            return
        self._gather_qualified(call, callee, evidence)

    def _gather_qualified(self, call: cst.Call, callee: str, evidence: _Evidence) -> None:
        last = callee.rsplit(".", 1)[-1]
        if callee in _SEEDS_ONE:
            if call.args:  # `random.seed()` without an argument seeds from the clock
                evidence.seeded.add(_SEEDS_ONE[callee])
            return
        if callee in _SEEDS_ALL or self._seeds_by_name(call) or _is_hf_trainer(callee):
            evidence.seeded.update(GENERATORS)
            return
        passes_generator = any(
            arg.keyword is not None and arg.keyword.value == "generator" for arg in call.args
        )
        if passes_generator:
            return  # draws from a generator of its own, not the global one
        if callee.startswith("random.") and last in _RANDOM_MODULE_FUNCTIONS:
            evidence.use("random", f"`{last}()`")
        elif callee.startswith("numpy.random.") and last not in _NUMPY_NOT_GLOBAL:
            evidence.use("numpy", f"`np.random.{last}()`")
        elif callee in _TORCH_RANDOM_FUNCTIONS or (
            callee.startswith("torch.distributions.") and last[:1].isupper()
        ):
            evidence.use("torch", f"`{_short(callee)}()`")
        elif callee in _TORCH_DATA_RANDOM or _is_random_augmentation(callee):
            evidence.use("torch", f"`{last}`")
            evidence.loads_data = True
        elif last == "DataLoader" and callee.startswith("torch.") and _shuffles(call):
            evidence.use("torch", "`DataLoader(shuffle=True)`")
            evidence.loads_data = True
        elif evidence.implicit is None:
            evidence.implicit = _implicit_randomness(callee, last)

    def _seeds_by_name(self, call: cst.Call) -> bool:
        """An imported or unknown helper named like a seeder (`utils.set_seed`, `fabric.seed_everything`).

        A function of this file is not judged by its name: its body is part of the code the entry point
        runs, so what it seeds is seen directly.
        """
        func = call.func
        if isinstance(func, cst.Name):
            if func.value in self.ctx.functions:
                return False
            name = func.value
        elif isinstance(func, cst.Attribute):
            if func.attr.value == "manual_seed" and self.ctx.callee(call) is None:
                return False  # `generator.manual_seed(0)` seeds that generator only
            name = func.attr.value
        else:
            return False
        return "seed" in name.lower() and (self.ctx.callee(call) or "") not in _NOT_SEEDING

    # -- fix -------------------------------------------------------------------------------------

    def _fix(self, generators: list[str]) -> RuleFix | None:
        entry = self.ctx.entry
        start = entry.first_statement
        if not isinstance(start, cst.SimpleStatementLine):
            return None
        aliases = self.ctx.imports.aliases
        names: dict[str, str] = {}
        imports: list[str] = []
        for generator in generators:
            local = next(
                (name for name, target in aliases.items() if target == generator and "." not in name), None
            )
            if local is None:
                local, statement = _IMPORTS[generator]
                if local in aliases or local in self._names_in_file:
                    return None  # the usual name is taken by something else
                imports.append(statement)
            names[generator] = local
        indent = ""
        if entry.guards:
            block = entry.guards[0].body
            indent = (
                block.indent if isinstance(block, cst.IndentedBlock) else None
            ) or self.ctx.module.default_indent
        seeds = [_SEED_CALLS[generator].format(names[generator]) for generator in generators]
        newline = self.ctx.module.default_newline  # a CRLF file stays CRLF
        replacements: list[tuple[cst.CSTNode, str]] = []
        last_import = self._last_import(start)
        if imports and last_import is not None:
            replacements.append((last_import, newline.join([self._code(last_import), *imports])))
        elif imports:
            seeds = imports + seeds
        # The seeds go in front of the statement's first token, which alone is rewritten: the rest of the
        # statement (continuation lines and their indentation) stays exactly as written.
        head = _leading_node(start)
        head_code = self.ctx.module.code_for_node(head).rstrip()
        if "\n" in head_code:
            return None
        replacements.append((head, f"{newline}{indent}".join([*seeds, head_code])))
        summary = ", ".join(f"`{seed}`" for seed in seeds if not seed.startswith("import"))
        return RuleFix(
            message=f"Seed at the start of the entry point: {summary}",
            replacements=tuple(replacements),
            safe=False,
        )

    @property
    def _names_in_file(self) -> set[str]:
        """Names the file uses as variables: not in imports (`from random import shuffle` binds no `random`),
        not as attributes (`np.random`)."""
        index = self.ctx.index
        names = set()
        for name in index.nodes(cst.Name):
            parent = index.parent(name)
            if isinstance(parent, cst.Attribute) and parent.attr is name:
                continue
            if index.enclosing(name, (cst.Import, cst.ImportFrom)) is None:
                names.add(name.value)
        return names

    def _last_import(self, before: cst.CSTNode) -> cst.SimpleStatementLine | None:
        """The last top-level import statement before the entry point starts (its guard, or `before`)."""
        guards = self.ctx.entry.guards
        stop = guards[0] if guards else before
        found = None
        for statement in self.ctx.module.body:
            if statement is stop:
                break
            if isinstance(statement, cst.SimpleStatementLine) and all(
                isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body
            ):
                found = statement
        return found

    def _code(self, statement: cst.SimpleStatementLine) -> str:
        """A simple statement's text as its range covers it: no leading comments, no trailing comment."""
        return "".join(self.ctx.module.code_for_node(small) for small in statement.body).rstrip()


# How to reach the node a statement starts with: through the field that begins each of these nodes.
_LEADING_FIELD: dict[type, str] = {
    cst.Expr: "value",
    cst.Assign: "targets",
    cst.AssignTarget: "target",
    cst.AugAssign: "target",
    cst.AnnAssign: "target",
    cst.Call: "func",
    cst.Attribute: "value",
    cst.Subscript: "value",
    cst.BinaryOperation: "left",
    cst.BooleanOperation: "left",
    cst.Comparison: "left",
}


def _leading_node(statement: cst.SimpleStatementLine) -> cst.CSTNode:
    """The smallest node whose text starts where the statement's does (`model` in `model = Net(\n...)`).

    A parenthesized node starts after its parenthesis, so the walk stops at its parent.
    """
    node: cst.CSTNode = statement.body[0]
    while type(node) in _LEADING_FIELD:
        child = getattr(node, _LEADING_FIELD[type(node)])
        if isinstance(child, (list, tuple)):
            child = child[0]
        if getattr(child, "lpar", None):
            break
        node = child
    return node


def _short(qualified: str) -> str:
    return qualified.replace("torch.nn.init.", "nn.init.")


def _is_hf_trainer(callee: str) -> bool:
    """transformers' Trainer seeds every generator from `TrainingArguments.seed` (42 by default)."""
    return callee.startswith(("transformers.", "trl.")) and callee.endswith("Trainer")


def _is_random_augmentation(callee: str) -> bool:
    if not callee.startswith("torchvision.transforms."):
        return False
    last = callee.rsplit(".", 1)[-1]
    return last.startswith("Random") or last in _RANDOM_AUGMENTATIONS


def _shuffles(call: cst.Call) -> bool:
    """`shuffle=True`, or a shuffle flag computed at run time (`shuffle=(sampler is None)`)."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "shuffle":
            value = arg.value
            if isinstance(value, cst.Name):
                return value.value == "True"
            return not isinstance(value, (cst.Integer, cst.SimpleString)) and dotted_name(value) is None
    return False


def _implicit_randomness(callee: str, last: str) -> str | None:
    """Randomness a training run depends on without drawing numbers itself: initial weights, dropout."""
    if callee.startswith("torch.nn.") and last in _RANDOMLY_INITIALISED_LAYERS:
        return f"`nn.{last}` initialisation" if "Dropout" not in last else f"`nn.{last}`"
    if callee in _FUNCTIONAL_DROPOUT:
        return f"`F.{last}()`"
    if callee.startswith("torchvision.models.") and last[:1].islower() or callee == "timm.create_model":
        return f"`{last}()` initialisation"
    return None
