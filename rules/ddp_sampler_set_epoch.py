"""NN603 ddp-sampler-set-epoch: a DistributedSampler whose `set_epoch` is never called."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import libcst as cst

from nnlint.engine.bindings import local_function, resolve_call
from nnlint.engine.data_loading import LoaderCall
from nnlint.engine.evaluation import is_eval_data_name
from nnlint.engine.loops import Loop
from nnlint.engine.summaries import Effect, handed
from nnlint.engine.training_calls import trains
from nnlint.finding import Severity
from nnlint.rule import Evidence, Invalid, Rule

if TYPE_CHECKING:
    from nnlint.engine.context import FileContext

# Builtins that only iterate a loader or measure it: they never set its sampler's epoch.
_ITERATING_BUILTINS = frozenset({"iter", "next", "enumerate", "len", "zip"})
_LOOPS = (cst.For, cst.While)


SEVERAL = (
    "These DistributedSamplers are never told the epoch, so each yields the same order (and the same shard) "
    "every epoch; call `set_epoch(epoch)` on each at the start of each epoch."
)


class DdpSamplerSetEpoch(Rule):
    """## What it does
    Flags a shuffling `DistributedSampler` in a file that trains over several epochs but never calls
    `set_epoch` (on the sampler, on `loader.sampler`, or in a helper). The sampler class may be chosen through
    an alias (`S = RandomSampler if rank == -1 else DistributedSampler`), its shuffling may come from the
    configuration, and the epoch loop may train through a project model wrapper
    (`model.optimize_parameters(step)`, whose every definition in the project backpropagates and steps). A
    training loader built in another module with a DistributedSampler and handed to this file's epoch loop (a
    parameter whose callers pass it, a name unpacked from a project function's return, returns of returns; a
    sampler chosen on one path, `sampler=train_sampler if train_sampler else None` after `train_sampler =
    None; if fsdp: train_sampler = DistributedSampler(...)`) is followed to its sampler; the finding then sits
    on the epoch loop, where `set_epoch` belongs, with the sampler as related location. So does the finding
    of a sampler built in the same function (or module body) as the one epoch loop that follows it; a
    sampler built elsewhere (a loader helper, a trainer's constructor) is itself the finding's place. An
    epoch loop may also train through a project function of another module (`fit_one_epoch(model_train,
    ..., gen, gen_val, ...)`), and a loader or sampler handed to a project function is followed into it:
    when every use of it there (and in what that function hands it to) is seen and none sets the epoch
    (`enumerate(gen)`, `len(gen)`), handing it over does not set the epoch.

    Not flagged: samplers with `shuffle=False` and samplers over validation or test data (their order
    does not matter; also one built in a loader helper that only evaluation functions call), files
    without an epoch loop (the loop that would call `set_epoch` is elsewhere), loaders built elsewhere
    in modules that mention `set_epoch` (a helper there may set it),
    samplers handed to another function that may set the epoch (`train(..., sampler=sampler)` of code
    nnlint cannot read; a loader built around one, or given one by name and handed to a project class or
    function of another module such as an `IterLoader(loader)` that calls `loader.sampler.set_epoch`,
    counts as handed on too), and
    files using accelerate, Lightning or Fabric, which set the epoch themselves. DeepSpeed does not: its
    library never calls `set_epoch`, so a DistributedSampler a DeepSpeed script builds is flagged like
    any other.

    ## Why is this bad?
    `DistributedSampler` shuffles with a generator seeded by `seed + epoch`, and the epoch only changes
    through `set_epoch`. Without it every epoch visits the data in exactly the same order, and each rank
    keeps the same shard forever: the shuffling the code asks for never happens after the first epoch,
    which costs accuracy in the way training on an unshuffled dataset does.

    ## Example
    ```python
    sampler = DistributedSampler(train_set)
    loader = DataLoader(train_set, batch_size=64, sampler=sampler)
    for epoch in range(epochs):
        train_one_epoch(model, loader, optimizer)
    ```

    ## Use instead
    ```python
    sampler = DistributedSampler(train_set)
    loader = DataLoader(train_set, batch_size=64, sampler=sampler)
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        train_one_epoch(model, loader, optimizer)
    ```

    ## References
    - PyTorch docs, `torch.utils.data.distributed.DistributedSampler`: "calling the set_epoch() method at
      the beginning of each epoch before creating the DataLoader iterator is necessary to make shuffling
      work properly across multiple epochs."
    """

    code = "NN603"
    name = "ddp-sampler-set-epoch"
    severity = Severity.ERROR
    message = (
        "This DistributedSampler is never told the epoch, so it yields the same order (and the same shard) "
        "every epoch; call `sampler.set_epoch(epoch)` at the start of each epoch."
    )
    hint = "The sampler seeds its shuffle with `seed + epoch`; only `set_epoch` changes the epoch."

    VALID: ClassVar[list[str]] = [
        # set_epoch in the epoch loop, through the loader, and in a helper.
        """
import torch
from torch.utils.data import DataLoader, DistributedSampler
sampler = DistributedSampler(train_set)
loader = DataLoader(train_set, batch_size=64, sampler=sampler)
for epoch in range(epochs):
    loader.sampler.set_epoch(epoch)
    for x, y in loader:
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
""",
        """
import torch
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

def train_epoch(model, loader, optimizer, epoch):
    loader.sampler.set_epoch(epoch)
    for x, y in loader:
        model(x).sum().backward()
        optimizer.step()
        optimizer.zero_grad()

loader = DataLoader(train_set, sampler=DistributedSampler(train_set))
for epoch in range(10):
    train_epoch(model, loader, optimizer, epoch)
""",
        # Validation sampler without shuffling; a Lightning script.
        """
import torch
from torch.utils.data import DataLoader, DistributedSampler
val_sampler = DistributedSampler(val_set, shuffle=False)
test_loader = DataLoader(test_set, sampler=DistributedSampler(test_set))
for epoch in range(epochs):
    for x, y in val_loader:
        model(x).sum().backward()
        optimizer.step()
        optimizer.zero_grad()
""",
        """
import lightning as L
from torch.utils.data import DataLoader, DistributedSampler
loader = DataLoader(train_set, sampler=DistributedSampler(train_set))
trainer = L.Trainer(max_epochs=10)
""",
        # The loader (sampler inside) goes to a function of another module, which may set the epoch.
        """
import torch
from torch.utils.data import DataLoader, DistributedSampler
from engine import train_one_epoch
loader = DataLoader(train_set, sampler=DistributedSampler(train_set))
for epoch in range(epochs):
    train_one_epoch(model, loader, optimizer)
loss.backward()
""",
        # The sampler handed to a function that hands it on to code nnlint cannot read (a callback
        # object of unknown class, which may set the epoch).
        """
import torch
from torch.utils.data import DataLoader, DistributedSampler

def fit_one_epoch(model, optimizer, gen, sampler, epoch, callbacks):
    callbacks.on_epoch_start(sampler, epoch)
    for x, y in gen:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()

train_sampler = DistributedSampler(train_set, shuffle=True)
gen = DataLoader(train_set, batch_size=16, sampler=train_sampler)
for epoch in range(epochs):
    fit_one_epoch(model, optimizer, gen, train_sampler, epoch, callbacks)
""",
        # The epoch loop runs a wrapper method that only evaluates: nothing in this file trains.
        """
import torch
from torch.utils.data import DataLoader, DistributedSampler
from models import define_model

class Wrapper:
    def test(self):
        with torch.no_grad():
            self.out = self.net(self.x)

model = define_model(opt)
loader = DataLoader(train_set, sampler=DistributedSampler(train_set))
for epoch in range(10):
    for batch in loader:
        model.test()
""",
        # The sampler is built in a loader helper that only the validation function calls.
        """
import deepspeed
from torch.utils.data import DataLoader, DistributedSampler

def get_dataloader(args, dataset):
    sampler = DistributedSampler(dataset)
    return DataLoader(dataset, sampler=sampler, batch_size=args.batch_size)

def pretrain_validation(args, model):
    for batch in get_dataloader(args, PreTrainingDataset(args.valid_path)):
        model.eval_batch(batch)

for epoch in range(args.epochs):
    for batch in shards.get_batches(epoch):
        loss = model(batch)
        model.backward(loss)
        model.step()
    pretrain_validation(args, model)
""",
        # A sampler class chosen by alias, but with shuffling switched off.
        """
import torch
from torch.utils.data import DataLoader, RandomSampler, DistributedSampler
Sampler = RandomSampler if local_rank == -1 else DistributedSampler
loader = DataLoader(train_set, sampler=Sampler(train_set, shuffle=False))
for epoch in range(epochs):
    for x, y in loader:
        model(x).sum().backward()
        optimizer.step()
""",
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        # The sampler class through an alias; batches drawn with next() from iterators rebuilt per pass
        # (FixMatch's spelling): the loader iterated with `iter()` still never sets the epoch.
        Invalid(
            """
import torch
from torch.utils.data import DataLoader, RandomSampler, DistributedSampler
Sampler = RandomSampler if local_rank == -1 else DistributedSampler
loader = DataLoader(train_set, sampler=Sampler(train_set), batch_size=64)

def train(loader, model, optimizer):
    batches = iter(loader)
    for epoch in range(epochs):
        for step in range(steps_per_epoch):
            try:
                x, y = next(batches)
            except StopIteration:
                batches = iter(loader)
                x, y = next(batches)
            model(x).sum().backward()
            optimizer.step()
            optimizer.zero_grad()

train(loader, model, optimizer)
""",
            line=5,
        ),
        # The epoch loop trains through a model wrapper built by a factory (KAIR's spelling): every
        # `optimize_parameters` of the project backpropagates and steps; shuffling comes from the config.
        Invalid(
            """
import torch
from torch.utils.data import DataLoader, DistributedSampler
from models.select import define_model

class ModelPlain:
    def optimize_parameters(self, step):
        self.optimizer.zero_grad()
        self.loss_fn(self.net(self.x), self.y).backward()
        self.optimizer.step()

model = define_model(opt)
sampler = DistributedSampler(train_set, shuffle=opt["shuffle"])
loader = DataLoader(train_set, batch_size=16, sampler=sampler)
for epoch in range(1000):
    for batch in loader:
        model.feed_data(batch)
        model.optimize_parameters(epoch)
""",
            line=15,
        ),
        Invalid(
            """
import torch
from torch.utils.data import DataLoader, DistributedSampler
sampler = DistributedSampler(train_set)
loader = DataLoader(train_set, batch_size=64, sampler=sampler)
for epoch in range(epochs):
    for x, y in loader:
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
""",
            line=6,
        ),
        # Built in a helper, trained through another helper.
        Invalid(
            """
import torch
import torch.utils.data as data

def make_loader(dataset, rank, world_size):
    sampler = data.distributed.DistributedSampler(dataset, world_size, rank, True)
    return data.DataLoader(dataset, batch_size=32, sampler=sampler)

def train_one_epoch(model, loader, optimizer):
    for x, y in loader:
        model(x).sum().backward()
        optimizer.step()
        optimizer.zero_grad()

loader = make_loader(train_set, rank, world)
for epoch in range(cfg["epochs"]):
    train_one_epoch(model, loader, optimizer)
""",
            line=6,
        ),
        # A DeepSpeed script: the engine never sets the epoch of a loader the script built itself
        # (min-max-gpt's spelling: the sampler chosen by rank in a conditional expression).
        Invalid(
            """
import deepspeed
from torch.utils.data import DataLoader, RandomSampler
from torch.utils.data.distributed import DistributedSampler

def train(engine, loader):
    for batch in loader:
        loss = engine(batch["input_ids"])["loss"]
        engine.backward(loss)
        engine.step()

sampler = RandomSampler(train_set) if local_rank == -1 else DistributedSampler(train_set, seed=seed)
loader = DataLoader(train_set, sampler=sampler, batch_size=8)
engine, optimizer, _, _ = deepspeed.initialize(model=model, config=ds_config)
for epoch in range(epochs):
    train(engine, loader)
""",
            line=15,
        ),
        # The sampler handed by name to the epoch function, which only iterates the loader and never
        # sets the epoch: being handed to a function is not being told the epoch.
        Invalid(
            """
import torch
from torch.utils.data import DataLoader, DistributedSampler
from tqdm import tqdm

def fit_one_epoch(model, optimizer, gen, sampler, epoch):
    for x, y in tqdm(gen, desc=f"epoch {epoch}"):
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()

train_sampler = DistributedSampler(train_set, shuffle=True)
gen = DataLoader(train_set, batch_size=16, sampler=train_sampler)
for epoch in range(epochs):
    fit_one_epoch(model, optimizer, gen, train_sampler, epoch)
""",
            line=14,
        ),
        # Sampler options from a config dict.
        Invalid(
            """
import torch
from torch.utils.data import DataLoader, DistributedSampler
sampler_cfg = dict(num_replicas=world_size, rank=rank, shuffle=True, seed=0)
train_loader = DataLoader(train_set, sampler=DistributedSampler(train_set, **sampler_cfg))
for epoch in range(epochs):
    for x, y in train_loader:
        model(x).sum().backward()
        optimizer.step()
        optimizer.zero_grad()
""",
            line=6,
        ),
    ]

    def visit_Module(self, node: cst.Module) -> None:
        facts = self.ctx.data_loading
        if not facts.samplers:
            self._check_carried()
            return
        if facts.sets_sampler_epoch or facts.framework_sets_epochs:
            return
        if not self._trains_over_epochs():
            return
        beside: dict[cst.For | cst.While, list[cst.Call]] = {}
        for sampler in facts.samplers:
            if sampler.has("shuffle") and _literal_false(sampler.settings["shuffle"]):
                continue  # shuffle=False (a value read from a config may shuffle: set_epoch is needed then)
            if self._held_out(sampler.node, sampler.settings.get("dataset")) or self._handed_on(sampler.node):
                continue
            loop = self._epoch_loop_beside(sampler.node)
            if loop is None:
                self.report(sampler.node)
            else:
                beside.setdefault(loop, []).append(sampler.node)
        for loop, built in beside.items():
            # One finding per epoch loop, every sampler it should tell the epoch as related location.
            related = tuple(Evidence(node, "the DistributedSampler, built here") for node in built)
            self.report(loop, SEVERAL if len(built) > 1 else None, related=related)

    def _epoch_loop_beside(self, call: cst.Call) -> cst.For | cst.While | None:
        """The one epoch loop of the function (or module body) that builds the sampler, where the fix puts
        `sampler.set_epoch(epoch)` (minimind's `train_pretrain.py`: the sampler, the loader and
        `for epoch in range(args.epochs): train_epoch(epoch, wandb)` under one `__main__` guard). None when
        the epoch loop is in another function (a trainer method, where the fix may go into the per-epoch
        method instead), when there are several, or when the sampler is rebuilt inside the loop: the
        sampler is then the place to show."""
        index = self.ctx.index
        function = self.ctx.enclosing_function(call)
        enclosing = set(map(id, index.ancestors(call)))
        found: list[cst.For | cst.While] = []
        for loop in self.ctx.loops.loops:
            node = loop.node
            if loop.kind != "epoch" or loop.function is not function or not isinstance(node, _LOOPS):
                continue
            if id(node) in enclosing:
                return None  # built anew inside the epoch loop
            if not self._nested(node, function):
                found.append(node)
        return found[0] if len(found) == 1 else None

    def _nested(self, node: cst.CSTNode, function: cst.FunctionDef | None) -> bool:
        """Whether `node` sits inside a loop of `function` (or of the module body, when None)."""
        for outer in self.ctx.index.ancestors(node):
            if outer is function or type(outer) is cst.FunctionDef:
                return False
            if isinstance(outer, _LOOPS):
                return True
        return False

    def _check_carried(self) -> None:
        """An epoch loop of this file runs a training loader built elsewhere in the project with a
        DistributedSampler (HydraGNN: `create_dataloaders` in load_data.py builds it, run_training.py
        hands the loader to `train_validate_test`, whose epoch loop never sets the epoch). The line to
        change is the epoch loop's start, where `set_epoch` belongs."""
        source = self.ctx.source
        if not self.ctx.loops.may_train or "set_epoch" in source:
            return  # cheap text gates first: no backward in the file, or an epoch set somewhere
        if ("loader" not in source and "Loader" not in source) or self.ctx.data_loading.framework_sets_epochs:
            return
        if not self._trains_over_epochs():
            return
        for loop in self.ctx.loops.loops:
            if loop.kind != "epoch":
                continue
            for name in self._loader_names(loop):
                found = self.ctx.data_loading.sampler_carried(name, name)
                if found is None:
                    continue
                module, sampler = found
                if self._held_out_in(module, sampler):
                    continue
                self.report(
                    loop.node,
                    f"This epoch loop runs `{name.value}`, whose DistributedSampler is never told the epoch, "
                    "so it yields the same order (and the same shard) every epoch; call "
                    f"`{name.value}.sampler.set_epoch(epoch)` at the start of each epoch.",
                    related=(Evidence(sampler.node, "the DistributedSampler, built here", ctx=module),),
                )
                break

    def _loader_names(self, loop: Loop) -> list[cst.Name]:
        """Training loaders the epoch loop runs: names iterated by its loops or passed to its calls, whose
        name says loader and not held-out data."""
        found: dict[str, cst.Name] = {}
        index = self.ctx.index
        for call in index.nodes(cst.Call):
            if loop.node not in index.ancestors(call):
                continue
            for arg in call.args:
                value = arg.value
                if isinstance(value, cst.Name) and "loader" in value.value.lower():
                    found.setdefault(value.value, value)
        for inner in index.nodes(cst.For):
            iterated = inner.iter
            if not isinstance(iterated, cst.Name) or "loader" not in iterated.value.lower():
                continue
            if inner is loop.node or loop.node in index.ancestors(inner):
                found.setdefault(iterated.value, iterated)
        return [name for key, name in found.items() if not is_eval_data_name(key)]

    @staticmethod
    def _held_out_in(module: FileContext, sampler: LoaderCall) -> bool:
        """A sampler of another module over validation or test data, by its dataset's or its own name."""
        dataset = sampler.settings.get("dataset")
        if dataset is not None and is_eval_data_name(module.dotted(dataset)):
            return True
        statement = module.index.statement_of(sampler.node)
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    if any(is_eval_data_name(module.dotted(target.target)) for target in small.targets):
                        return True
        return False

    def _handed_on(self, call: cst.Call) -> bool:
        """The sampler's name passed to a call other than a DataLoader (`train(..., sampler=sampler)`):
        that function may set the epoch, in this file's helpers or another module. A sampler built inside
        the loader's construction, or given to it by name, travels with the loader
        (`loader.sampler.set_epoch`): the loader passed to a function this file cannot see into
        (`IterLoader(loader)` of another module) may have its epoch set there, but not when it is only
        iterated (`iter(loader)`) or handed to a function of this file (whose `set_epoch` calls count)."""
        names = self._assigned_by(call)
        in_loader = self._in_loader(call)
        # Loaders given the sampler by name carry it too, into a project helper of another module.
        carriers: set[str | None] = set()
        for found in self.ctx.data_loading.loaders:
            if not in_loader and any(self.ctx.dotted(arg.value) in names for arg in found.node.args):
                carriers |= self._assigned_by(found.node)
        for other in self.ctx.index.nodes(cst.Call):
            callee = self.ctx.dotted(other.func) or ""
            if callee.rsplit(".", 1)[-1] == "DataLoader":
                continue
            carried = [arg.value for arg in other.args if self.ctx.dotted(arg.value) in carriers]
            if carried:
                wrapper = resolve_call(self.ctx, other)
                elsewhere = wrapper is not None and wrapper.ctx is not self.ctx
                if elsewhere and not self._never_sets(other, carried):
                    return True  # `IterLoader(loader)` of another module: `loader.sampler.set_epoch` there
            if in_loader and (callee in _ITERATING_BUILTINS or local_function(self.ctx, other) is not None):
                continue
            passed = [arg.value for arg in other.args if self.ctx.dotted(arg.value) in names]
            if passed and not self._never_sets(other, passed):
                return True
        return False

    def _never_sets(self, call: cst.Call, arguments: list[cst.BaseExpression]) -> bool:
        """Whether the project function `call` runs certainly never sets the epoch of any of `arguments`
        (a loader or a sampler): every use of each is seen and none reaches `set_epoch` or the loader's
        sampler (`summaries.handed`: bubbliiiing's `fit_one_epoch(..., gen, ...)` only runs `enumerate(gen)`).
        Unknown (a class such as `IterLoader(loader)`, a library function, a use that cannot be read) is
        no."""
        return all(handed(self.ctx, call, argument, Effect.SET_EPOCH) is False for argument in arguments)

    def _assigned_by(self, call: cst.Call) -> set[str | None]:
        """The names the statement of `call` assigns (`sampler = DistributedSampler(...)`)."""
        statement = self.ctx.index.statement_of(call)
        names: set[str | None] = set()
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    names |= {self.ctx.dotted(target.target) for target in small.targets}
        names.discard(None)
        return names

    def _in_loader(self, call: cst.Call) -> bool:
        """Whether the sampler is built as an argument of a `DataLoader(...)` call."""
        parent = self.ctx.index.parent(call)
        loader = self.ctx.index.parent(parent) if isinstance(parent, cst.Arg) else None
        return isinstance(loader, cst.Call) and any(
            found.node is loader for found in self.ctx.data_loading.loaders
        )

    def _trains_over_epochs(self) -> bool:
        """An epoch loop in a file that trains, or whose iteration trains through a project wrapper's
        method (`model.optimize_parameters(step)`, the backward and step inside it) or a project function
        of another module (`fit_one_epoch(model_train, ..., gen, ...)` of utils/utils_fit.py)."""
        loops = self.ctx.loops
        epochs = [loop for loop in loops.loops if loop.kind == "epoch"]
        if loops.may_train:
            return bool(epochs)
        return any(
            trains(self.ctx, call)
            for loop in epochs
            for call in self.ctx.index.nodes(cst.Call)
            if type(call.func) in (cst.Attribute, cst.Name) and loop.node in self.ctx.index.ancestors(call)
        )

    def _held_out(self, call: cst.Call, dataset: cst.BaseExpression | None) -> bool:
        """A sampler over validation or test data, by the dataset's name or the name it is bound to, or
        built in a loader helper that only evaluation functions of this file call."""
        if dataset is not None and is_eval_data_name(self.ctx.dotted(dataset)):
            return True
        statement = self.ctx.index.statement_of(call)
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    if any(is_eval_data_name(self.ctx.dotted(target.target)) for target in small.targets):
                        return True
        return self._only_evaluation_calls(self.ctx.enclosing_function(call))

    def _only_evaluation_calls(self, function: cst.FunctionDef | None) -> bool:
        """Every call of `function` in this file sits in an evaluation function (DeepSpeed's bing_bert
        builds its sampler in `get_dataloader`, which only `pretrain_validation` calls)."""
        if function is None or self.ctx.evaluation.is_eval_function(function):
            return function is not None
        callers = [
            self.ctx.enclosing_function(other)
            for other in self.ctx.index.nodes(cst.Call)
            if local_function(self.ctx, other) is function
        ]
        return bool(callers) and all(
            caller is not None and self.ctx.evaluation.is_eval_function(caller) for caller in callers
        )


def _literal_false(value: cst.BaseExpression) -> bool:
    return (isinstance(value, cst.Name) and value.value == "False") or (
        isinstance(value, cst.Integer) and value.value == "0"
    )
