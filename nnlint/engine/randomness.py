"""Randomness and seeding: which calls draw from a global generator, which seed one, and what a project
function or class does with randomness when it runs.

A script's randomness often lives in the modules it imports: the model class in models.py initialises
its layers and applies dropout, the loader factory in data.py shuffles. `summarize` answers, once per
definition and per run, what running a function (or constructing a class, whose methods all count) draws
and seeds, following calls into this file's and the project's other definitions. Library code stays
unknown, and a call it cannot resolve adds nothing: unknown means silent.

`classify` is the one place a call is judged; the vocabulary (nnlint/vocabulary.py) holds the names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

import libcst as cst

from nnlint import vocabulary as vocab
from nnlint.engine.bindings import bound_name, project_bases, reaching_value, registry_entries, resolve_name
from nnlint.engine.names import dotted_name
from nnlint.engine.project import STORE, Resolved, paths_mentioning
from nnlint.engine.roles import Role

if TYPE_CHECKING:
    from nnlint.engine.context import FileContext

# How deep summaries follow calls into other definitions.
_MAX_DEPTH = 6
# Modules whose functions draw from a global generator, as a value bound to a name (`self.rng = np.random`).
_RANDOM_MODULES = frozenset({"numpy.random", "random", "torch"})


@dataclass(frozen=True)
class Draw:
    """One use of a generator: what it is, in words, and the call that makes it (in `ctx`'s file)."""

    generator: str
    what: str
    call: cst.Call
    ctx: FileContext
    # Fills a tensor with random values (`torch.randn`, `.random_()`, `nn.init`): an input or weights, as a
    # benchmark's dummy batch is, rather than a choice among data (a shuffle, a sample, a split).
    dummy: bool = False
    # Chooses among data (`np.random.permutation` for a split, `np.random.choice` in a sampler's `__iter__`)
    # outside a dataset's `__getitem__`: in the main process, where only the script's own seeds count
    # (DataLoader workers reseed `random`, numpy and torch from the torch seed; the main process does not).
    chooses_data: bool = False


@dataclass
class Effect:
    """What one call does with randomness, judged on its own (not following it into a definition)."""

    draw: Draw | None = None
    implicit: Draw | None = None  # a layer's initialisation or dropout: counts only in code that trains
    seeds: frozenset[str] = frozenset()
    trains: bool = False
    loads_data: bool = False
    times: bool = False  # times code precisely (see `vocabulary.BENCHMARK_TIMERS`)
    builds_loader: bool = False  # builds a DataLoader, shuffling or not


@dataclass
class Randomness:
    """What some code draws and seeds: the first draw of each generator, seeds, and whether it trains."""

    draws: dict[str, Draw] = field(default_factory=dict)
    implicit: Draw | None = None
    seeded: set[str] = field(default_factory=set)
    trains: bool = False
    loads_data: bool = False
    times: bool = False
    builds_loader: bool = False
    draws_beyond_inputs: bool = False  # some draw is not a random tensor factory

    def add(self, effect: Effect) -> None:
        if effect.draw is not None:
            self.draws.setdefault(effect.draw.generator, effect.draw)
            self.draws_beyond_inputs |= not effect.draw.dummy
        if self.implicit is None:
            self.implicit = effect.implicit
        self.seeded |= effect.seeds
        self.trains |= effect.trains
        self.loads_data |= effect.loads_data
        self.times |= effect.times
        self.builds_loader |= effect.builds_loader

    def merge(self, other: Randomness) -> None:
        for generator, draw in other.draws.items():
            self.draws.setdefault(generator, draw)
        self.implicit = self.implicit or other.implicit
        self.seeded |= other.seeded
        for flag in ("trains", "loads_data", "times", "builds_loader", "draws_beyond_inputs"):
            setattr(self, flag, getattr(self, flag) or getattr(other, flag))

    @property
    def benchmark(self) -> bool:
        """Whether this run is a throughput benchmark: it times code precisely, builds no data loader,
        draws no data at random, and every draw (in the script and in the project code it runs) only fills
        tensors with random values: dummy inputs, initial weights. Nothing a benchmark reports depends on
        those numbers."""
        return self.times and not (self.builds_loader or self.loads_data or self.draws_beyond_inputs)

    def unseeded(self) -> dict[str, Draw]:
        """The generators this code relies on without seeding them, in the vocabulary's order.

        Only code that trains or draws data at random counts (a benchmark's random input does not), and
        layer initialisation and dropout count only in code that trains.
        """
        if not (self.trains or self.loads_data):
            return {}
        draws = dict(self.draws)
        if self.trains and self.implicit is not None:
            draws.setdefault("torch", self.implicit)
        return {g: draws[g] for g in vocab.RNG_GENERATORS if g in draws and g not in self.seeded}


def classify(ctx: FileContext, call: cst.Call) -> Effect:
    """What a call does with randomness by what it calls: draws, seeds, trains, loads data at random."""
    callee = ctx.callee(call)
    func = call.func
    method = func.attr.value if isinstance(func, cst.Attribute) else None
    trains = method in ("backward", "manual_backward", "fit") or (
        # `optim.step()`: the update shows training even where the backward hides in a loss object's
        # call (OpenNMT-style sharded losses backpropagate inside `criterion(...)`)
        method == "step" and ctx.roles.has(func.value, Role.OPTIMIZER)  # type: ignore[union-attr]
    )
    if callee is None:
        bound = _seeds_bound(ctx, call)
        if bound is not None:
            return Effect(seeds=bound)
        if method in vocab.RNG_TORCH_METHODS:
            return Effect(draw=Draw("torch", f"`.{method}()`", call, ctx, dummy=True), trains=trains)
        if _seeds_by_name(ctx, call):
            return Effect(seeds=frozenset(vocab.RNG_GENERATORS))
        return Effect(trains=trains)
    effect = _classify_qualified(ctx, call, callee)
    effect.trains |= trains
    effect.times = callee in vocab.BENCHMARK_TIMERS
    effect.builds_loader = callee in vocab.DATA_LOADERS
    return effect


def _classify_qualified(ctx: FileContext, call: cst.Call, callee: str) -> Effect:
    last = callee.rsplit(".", 1)[-1]
    if callee in vocab.SEEDS_ONE:
        return Effect(seeds=frozenset({vocab.SEEDS_ONE[callee]}) if call.args else frozenset())
    if (
        callee in vocab.SEEDS_ALL
        or _seeds_by_name(ctx, call)
        or _seeding_trainer(ctx, callee)
        or (callee in vocab.SEEDING_CLI_CLASSES and _cli_seeds(call))
    ):
        return Effect(seeds=frozenset(vocab.RNG_GENERATORS))
    if any(
        (arg.keyword is not None and arg.keyword.value == "generator")
        or (ctx.randomness.builds_generators and _is_generator(ctx, arg.value))
        for arg in call.args
    ):
        return Effect()  # draws from a generator of its own, not the global one

    def draw(generator: str, what: str, loads_data: bool = False) -> Effect:
        dummy = callee in vocab.RNG_TENSOR_FACTORIES or callee.startswith("torch.nn.init.")
        chooses = last in vocab.RNG_DATA_CHOICES.get(generator, ()) and not _in_worker_code(ctx, call)
        return Effect(draw=Draw(generator, what, call, ctx, dummy, chooses), loads_data=loads_data)

    if callee.startswith("random.") and last in vocab.RNG_RANDOM_MODULE_FUNCTIONS:
        return draw("random", f"`{last}()`")
    if callee.startswith("numpy.random.") and last not in vocab.RNG_NUMPY_NOT_GLOBAL:
        return draw("numpy", f"`np.random.{last}()`")
    if callee in vocab.RNG_TORCH_FUNCTIONS or (
        callee.startswith("torch.distributions.") and last[:1].isupper()
    ):
        return draw("torch", f"`{callee.replace('torch.nn.init.', 'nn.init.')}()`")
    if callee in vocab.RNG_TORCH_DATA or (_is_random_augmentation(callee) and not _certain_coin(call, last)):
        return draw("torch", f"`{last}`", loads_data=True)
    if (
        ((last == "DataLoader" and callee.startswith("torch.")) or callee in vocab.RNG_SHUFFLING_LOADERS)
        and _shuffles(call)
        and not _never_read(ctx, call)
    ):
        return draw("torch", f"`{last}(shuffle=True)`", loads_data=True)
    implicit = None if _pretrained(call) else _implicit_randomness(callee, last)
    return Effect(implicit=Draw("torch", implicit, call, ctx) if implicit else None)


def _is_generator(ctx: FileContext, value: cst.BaseExpression) -> bool:
    """Whether an argument is a `torch.Generator` of the script's own, built in the call or bound to the
    name it passes (`generator = torch.Generator().manual_seed(seed)`, then `random_split(dataset,
    [0.8, 0.2], generator)` with the generator given by position, abacaj/fine-tune-mistral
    scripts/split_validation.py)."""
    if isinstance(value, cst.Name):
        value = reaching_value(ctx, value.value, value)  # type: ignore[assignment]
    while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):
        if value.func.attr.value != "manual_seed":
            break
        value = value.func.value  # `torch.Generator().manual_seed(seed)` gives the generator back
    return isinstance(value, cst.Call) and ctx.callee(value) == "torch.Generator"


def _in_worker_code(ctx: FileContext, call: cst.Call) -> bool:
    """Whether a call may run in a DataLoader worker: in a dataset's `__getitem__`, or an `__iter__` of a
    class that is no sampler (an iterable dataset). A sampler's `__iter__` runs in the main process."""
    function = ctx.enclosing_function(call)
    if function is None or function.name.value not in ("__getitem__", "__iter__"):
        return False
    if function.name.value == "__getitem__":
        return True
    cls = ctx.enclosing_class(function)
    bases = [dotted_name(base.value) or "" for base in cls.bases] if cls is not None else []
    return not any(base.rsplit(".", 1)[-1].endswith("Sampler") for base in bases)


def probe_input(ctx: FileContext, call: cst.Call) -> bool:
    """Whether a random tensor only makes an input for inspecting a model: an argument after the first of
    a call that is handed something else first (`profile(model, inputs=(torch.randn(1, 3, 32, 32),))`), or
    bound to a name read only so (`dump_input = torch.rand(1, 3, H, W)`, then `get_model_summary(model,
    dump_input.cuda())`, `writer.add_graph(model, (dump_input,))`, `torch.onnx.export(model, dump_input,
    path)`). Its values never reach what a run computes, so the place to ask for a seed is not there."""
    if _later_argument(ctx, call):
        return True
    assign = ctx.index.parent(call)
    if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
        return False
    target = assign.targets[0].target
    if not isinstance(target, cst.Name):
        return False
    scope = ctx.enclosing_function(call)
    reads = [
        name
        for name in ctx.bindings.mentions(target.value)
        if name is not target and ctx.enclosing_function(name) is scope and _plain_read(ctx, name)
    ]
    return bool(reads) and all(_later_argument(ctx, name) for name in reads)


def _plain_read(ctx: FileContext, name: cst.Name) -> bool:
    """A mention that is the name itself, not an attribute or keyword spelled the same."""
    parent = ctx.index.parent(name)
    if isinstance(parent, cst.Attribute) and parent.attr is name:
        return False
    return not (isinstance(parent, cst.Arg) and parent.keyword is name)


def _later_argument(ctx: FileContext, value: cst.BaseExpression) -> bool:
    """`f(first, value)`, `f(first, inputs=(value,))`: the value (moved, `value.cuda()`, or in a tuple) is
    an argument after the first of a call."""
    node: cst.CSTNode = value
    parent = ctx.index.parent(node)
    while True:
        if isinstance(parent, cst.Attribute) and parent.value is node:
            call = ctx.index.parent(parent)
            if not (isinstance(call, cst.Call) and call.func is parent and parent.attr.value in _MOVES):
                return False
            node = call
        elif isinstance(parent, cst.Element | cst.Tuple):
            node = parent
        elif isinstance(parent, cst.Arg):
            call = ctx.index.parent(parent)
            return (
                isinstance(call, cst.Call)
                and parent.star == ""
                and any(arg is parent for arg in call.args[1:])
            )
        else:
            return False
        parent = ctx.index.parent(node)


# Methods that give the same values on another device or in another type.
_MOVES = frozenset({"cuda", "to", "cpu", "float", "half"})


def _seeding_trainer(ctx: FileContext, callee: str) -> bool:
    """A library trainer that seeds every generator when built (transformers' `Trainer` from `args.seed`,
    trl's trainers from v0.3 on). Not when the project holds the trainer's own source (the library's
    repository): its definition is summarized and says what it seeds at that version."""
    return (
        callee.startswith(vocab.SEEDING_TRAINER_PREFIXES)
        and callee.endswith("Trainer")
        and callee not in vocab.NOT_SEEDING_TRAINERS
        and not _in_project(ctx, callee)
    )


def _seeds_by_name(ctx: FileContext, call: cst.Call) -> bool:
    """An imported or unknown helper named like a seeder (`utils.set_seed`, `fabric.seed_everything`).

    A function of this file is not judged by its name: its body is part of the code that runs, so what it
    seeds is seen directly.
    """
    func = call.func
    if isinstance(func, cst.Name):
        if func.value in ctx.functions:
            return False
        name = func.value
    elif isinstance(func, cst.Attribute):
        if func.attr.value in vocab.OBJECT_SEED_METHODS and _local_object(ctx, func.value):
            # `generator.manual_seed(0)`, `env.seed(args.seed)`, `self.env.action_space.seed(s)`,
            # `self.imgaug_transform.seed_(seed)` (imgaug's in-place reseed of one augmenter): that
            # object only (`torch.manual_seed` through a star import stays a seed of torch)
            return False
        if (
            func.attr.value == "manual_seed"
            and ctx.callee(call) is None
            and not ctx.imports.star_unknown(func)
        ):
            return False  # an unresolved `x.manual_seed(0)` seeds that generator only
        name = func.attr.value
    else:
        return False
    return "seed" in name.lower() and (ctx.callee(call) or "") not in vocab.NOT_SEEDING


def _local_object(ctx: FileContext, expr: cst.BaseExpression) -> bool:
    """Whether an expression is an object the code holds (`env`, `self.env`, `envs.action_space`) rather
    than a module: its root is bound by the file (assigned, a parameter, a loop target), or it is an
    attribute of `self`. A name the file binds only by an import, or not at all (a star import), may be
    a random module."""
    root = expr
    while isinstance(root, cst.Attribute):
        root = root.value
    if not isinstance(root, cst.Name):
        return True  # `make_env().seed(0)`, `envs[0].seed(0)`
    if root.value in ("self", "cls"):
        return root is not expr
    return any(b.kind not in ("import", "def", "class") for b in ctx.bindings.of(root.value))


def _seeds_bound(ctx: FileContext, call: cst.Call) -> frozenset[str] | None:
    """What a seed-named method of a name bound to a generator seeds (None when the name is bound to no
    generator): a private generator's (`self.rng.seed(seed)` on `np.random.RandomState()`) seeds that
    object only, and a random module's alias (`self.rng = np.random`) seeds that module's generator only."""
    func = call.func
    if not isinstance(func, cst.Attribute) or "seed" not in func.attr.value.lower():
        return None
    bound = ctx.randomness.generators.get(ctx.dotted(func.value) or "")
    if bound is None:
        return None
    seeded = vocab.SEEDS_ONE.get(f"{bound}.{func.attr.value}") if call.args else None
    return frozenset({seeded}) if seeded else frozenset()


def _cli_seeds(call: cst.Call) -> bool:
    """Lightning's CLI seeds unless `seed_everything_default` is False or None."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == vocab.SEEDING_CLI_SWITCH:
            value = arg.value
            return not (isinstance(value, cst.Name) and value.value in ("False", "None"))
    return True


def _is_random_augmentation(callee: str) -> bool:
    if not callee.startswith("torchvision.transforms."):
        return False
    last = callee.rsplit(".", 1)[-1]
    return last.startswith("Random") or last in vocab.RNG_AUGMENTATIONS


def _never_read(ctx: FileContext, call: cst.Call) -> bool:
    """Whether a call's result is bound to a name that the file's text never mentions again
    (`train_dataloader = DataLoader(train_dataset, shuffle=True, ...)` copied into an inference notebook
    that never iterates it, PEFT's `peft_lora_clm_accelerate_big_model_inference.ipynb`): a loader
    nobody reads shuffles nothing. Read off the text, so a mention in a comment or string keeps it."""
    target = bound_name(ctx, call)
    if target is None:
        return False
    return len(re.findall(rf"(?<![\w.]){re.escape(target.value)}\b", ctx.source)) == 1


def _certain_coin(call: cst.Call, last: str) -> bool:
    """A coin-flip augmentation whose probability is literally 0 or 1 (`RandomHorizontalFlip(p=1.)`,
    ermongroup/ncsnv2 evaluation/nearest_neighbor.py's mirror images): it always or never applies, so
    nothing about its result is random."""
    position = vocab.RNG_COIN_FLIP_TRANSFORMS.get(last)
    if position is None:
        return False
    positional = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
    keyword = [arg.value for arg in call.args if arg.keyword is not None and arg.keyword.value == "p"]
    given = keyword or positional[position : position + 1]
    if not given:
        return False  # the default probability (0.5): a real coin
    value = given[0]
    return isinstance(value, (cst.Integer, cst.Float)) and value.evaluated_value in (0, 1)


def _shuffles(call: cst.Call) -> bool:
    """`shuffle=True`, or a shuffle flag computed at run time (`shuffle=(sampler is None)`)."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "shuffle":
            value = arg.value
            if isinstance(value, cst.Name):
                return value.value == "True"
            return not isinstance(value, (cst.Integer, cst.SimpleString)) and dotted_name(value) is None
    return False


def _pretrained(call: cst.Call) -> bool:
    """A model builder asked for trained weights (`models.vgg16(pretrained=True)`, `weights=...` other
    than None, gordicaleksa/pytorch-neural-style-transfer vgg_nets.py): every initial weight it draws is
    overwritten by the loaded ones, so no result depends on that draw."""
    for arg in call.args:
        if arg.keyword is None:
            continue
        value = arg.value
        if arg.keyword.value == "pretrained":
            return isinstance(value, cst.Name) and value.value == "True"
        if arg.keyword.value == "weights":
            return not (isinstance(value, cst.Name) and value.value == "None")
    return False


def _implicit_randomness(callee: str, last: str) -> str | None:
    """Randomness a training run depends on without drawing numbers itself: initial weights, dropout."""
    if callee.startswith("torch.nn.") and last in vocab.RNG_INITIALISED_LAYERS:
        return f"`nn.{last}` initialisation" if "Dropout" not in last else f"`nn.{last}`"
    if callee in vocab.FUNCTIONAL_DROPOUTS:
        return f"`F.{last}()`"
    if callee.startswith("torchvision.models.") and last[:1].islower() or callee == "timm.create_model":
        return f"`{last}()` initialisation"
    if last == "from_config" and callee.startswith(vocab.RNG_FROM_CONFIG_LIBRARIES):
        owner = callee.rsplit(".", 2)[-2]
        if "Model" in owner or "For" in owner or owner.startswith("Autoencoder"):
            return f"`{owner}.from_config()` initialisation"  # a network; a noise scheduler draws nothing
    if callee in vocab.RNG_INITIALISING_CALLS:
        return f"`{last}()` adapter initialisation"
    return None


# -- project definitions -------------------------------------------------------------------------------


def project_target(ctx: FileContext, call: cst.Call) -> Resolved | None:
    """The project function or class a call runs, when the call names it through a plain or imported name
    (`build_model(...)`, `models.Net(...)`, `utils.get_loaders(...)`); None for methods on local objects
    and library calls. The narrow question this module asks of the engine's call resolution; library
    calls (most of them) are ruled out first by their module, without resolving any binding."""
    func = call.func
    if isinstance(func, cst.Name):
        if func.value == "self":
            return None
        imported = ctx.imports.resolve(func.value)
        if imported is not None and (
            imported.startswith(vocab.LIBRARY_PREFIXES) or not _in_project(ctx, imported)
        ):
            return None
        return resolve_name(ctx, func.value, call)
    root: cst.BaseExpression = func
    while isinstance(root, cst.Attribute):
        root = root.value
    if not isinstance(root, cst.Name) or ctx.imports.resolve(root.value) is None:
        return None  # a method of a local object: its class, if any, is summarized where it is built
    qualified = ctx.qualified_name(func)
    # Library names (`torch.randn`) are never followed, also from the library's own sources.
    if qualified is None or qualified.startswith(vocab.LIBRARY_PREFIXES) or not _in_project(ctx, qualified):
        return None
    return ctx.project.resolve_qualified(qualified)


def _in_project(ctx: FileContext, qualified: str) -> bool:
    """Whether a qualified name starts in a project module, memoized per file and module prefix."""
    if ctx.real_path is None:
        return False
    memo = ctx.randomness.in_project
    prefix = qualified.rsplit(".", 1)[0] if "." in qualified.lstrip(".") else qualified
    if prefix not in memo:
        memo[prefix] = ctx.project.find(qualified) is not None
    return memo[prefix]


def seeds_as_subclass(target: Resolved, call: cst.Call, hops: int = 0) -> bool:
    """Building a project class derived from a seeding CLI (`class MyCLI(LightningCLI)`) seeds, unless the
    call turns it off (`seed_everything_default=False`)."""
    if not isinstance(target.node, cst.ClassDef) or hops > _MAX_DEPTH or not _cli_seeds(call):
        return False
    for base in target.node.bases:
        qualified = target.ctx.qualified_name(base.value)
        if qualified in vocab.SEEDING_CLI_CLASSES:
            return True
        if isinstance(base.value, cst.Name):
            parent = resolve_name(target.ctx, base.value.value, target.node)
        else:
            parent = target.ctx.project.resolve_qualified(qualified) if qualified else None
        if parent is not None and seeds_as_subclass(parent, call, hops + 1):
            return True
    return False


def defined_function(ctx: FileContext, expr: cst.BaseExpression, at: cst.CSTNode) -> Resolved | None:
    """The project function a bare name passed as a value means (`mp.spawn(main_worker, ...)`)."""
    if not isinstance(expr, cst.Name):
        return None
    found = resolve_name(ctx, expr.value, at)
    return found if found is not None and isinstance(found.node, cst.FunctionDef) else None


def module_level_seeds(ctx: FileContext) -> set[str]:
    """Generators seeded by a file's module-level code outside its `__main__` guard: what runs whenever
    the file is imported (by another module, or again in each process `mp.spawn` starts)."""
    seeded: set[str] = set()
    guards = {id(guard) for guard in ctx.entry.guards}
    for call in ctx.index.nodes(cst.Call):
        if any(
            isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) or id(node) in guards
            for node in ctx.index.ancestors(call)
        ):
            continue
        seeded |= classify(ctx, call).seeds
    return seeded


def seeds_on_import(ctx: FileContext) -> set[str]:
    """Generators seeded by the module-level code of the project modules a file imports."""
    if ctx.real_path is None:
        return set()
    seeded: set[str] = set()
    for qualified in {*ctx.imports.aliases.values(), *ctx.imports.star_modules}:
        if f"{qualified}.".startswith(vocab.LIBRARY_PREFIXES):
            continue  # a library (also imported from its own sources) seeds nothing on import
        found = ctx.project.find(qualified)
        module = ctx.project.read(found[0]) if found is not None else None
        if module is not None:
            seeded |= module_level_seeds(module)
    return seeded


def summarize(definition: Resolved, depth: int = 0) -> Randomness:
    """What running a project function, or building a project class (all its methods), does with
    randomness, following the project calls it makes. Memoized per definition; a cycle adds nothing."""
    memo = definition.ctx.randomness
    key = id(definition.node)
    if key in memo.summaries:
        return memo.summaries[key]
    memo.summaries[key] = Randomness()  # in progress: a recursive call sees nothing new
    result = Randomness()
    ctx = definition.ctx
    for call in memo.calls_in(definition.node):
        result.add(classify(ctx, call))
        if depth < _MAX_DEPTH:
            target = project_target(ctx, call)
            if target is not None and target.node is not definition.node:
                result.merge(summarize(target, depth + 1))
                if seeds_as_subclass(target, call):
                    result.seeded.update(vocab.RNG_GENERATORS)
            elif type(call.func) is cst.Subscript:
                result.merge(_registry_summary(ctx, call, depth + 1))
    if depth < _MAX_DEPTH and isinstance(definition.node, cst.ClassDef) and definition.node.bases:
        # An instance runs its project base classes' methods too (`super().__init__(...)` of a project
        # `BaseDataLoader(DataLoader)` that builds a `SubsetRandomSampler`): what they draw and seed
        # counts. Whether the code trains is not taken from them: a base's training method (`Network.
        # train_step`) runs only when something calls it, which `trains_through` asks of the callers.
        for base in project_bases(definition):
            inherited = summarize(base, depth + 1)
            trains = result.trains
            result.merge(inherited)
            result.trains = trains
    memo.summaries[key] = result
    return result


def _registry_summary(ctx: FileContext, call: cst.Call, depth: int) -> Randomness:
    """What a call through a registry of project definitions does whichever entry the key picks
    (`registry_entries`: CRSLab's `system_register_table[model_name](...)`): a generator counts as drawn,
    and the code as training or loading data, only when every entry does; seeding by any entry counts
    (a run might take it). Nothing when the entries are unknown."""
    entries = registry_entries(ctx, call)
    if not entries:
        return Randomness()
    summaries = [summarize(entry, depth) for entry in entries]
    first, common = summaries[0], Randomness()
    common.draws = {g: d for g, d in first.draws.items() if all(g in other.draws for other in summaries)}
    common.implicit = first.implicit if all(other.implicit is not None for other in summaries) else None
    for other in summaries:
        common.seeded |= other.seeded
        common.builds_loader |= other.builds_loader
        common.times |= other.times
        common.draws_beyond_inputs |= other.draws_beyond_inputs
    common.trains = all(other.trains for other in summaries)
    common.loads_data = all(other.loads_data for other in summaries)
    return common


def trains_through(definition: Resolved, depth: int = 0) -> bool:
    """Whether running a project function, or building a project class, backpropagates somewhere down
    its project calls: what `summarize` sees (its own `backward()`, the project functions and classes it
    calls), and also a method it calls on an object of unknown class, such as the network a helper was
    handed (`self.net.train_step(blobs, optimizer)` in a `SolverWrapper` that `train_net(net, ...)`
    builds), when every non-stub project definition of that method does
    (`training_calls.backpropagating_candidates`). Asked only of scripts that draw and do not visibly
    train (NN301); memoized per definition, bounded in depth, a cycle adds nothing."""
    if summarize(definition).trains:
        return True
    memo = definition.ctx.randomness
    key = id(definition.node)
    if key in memo.trains_through:
        return memo.trains_through[key]
    memo.trains_through[key] = False  # in progress
    found = depth < _MAX_DEPTH and _calls_train(definition, depth)
    memo.trains_through[key] = found
    return found


def _calls_train(definition: Resolved, depth: int) -> bool:
    from nnlint.engine.training_calls import backpropagating_candidates

    ctx = definition.ctx
    memo = ctx.randomness
    names = memo.backpropagating_names
    for call in memo.calls_in(definition.node):
        target = project_target(ctx, call)
        if target is not None:
            if target.node is not definition.node and trains_through(target, depth + 1):
                return True
            continue
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in names:
            continue  # cheap: no module of the project that backpropagates defines the method
        candidates = backpropagating_candidates(ctx, call)
        if candidates and all(
            trains_through(Resolved(module, method), depth + 1) for module, method in candidates
        ):
            return True
    return False


# `def name(` in a module's text: the functions and methods a module defines.
_DEFINED = re.compile(rb"^[ \t]*(?:async[ \t]+)?def[ \t]+(\w+)[ \t]*\(", re.MULTILINE)


@lru_cache(maxsize=1024)
def _defined_names(text: bytes) -> frozenset[str]:
    return frozenset(name.decode() for name in _DEFINED.findall(text))


class RandomnessMemo:
    """Per file (`FileContext.randomness`): the calls inside each definition (nested ones included), and
    the summaries made."""

    def __init__(self, ctx: FileContext) -> None:
        self.summaries: dict[int, Randomness] = {}
        self.trains_through: dict[int, bool] = {}
        self.in_project: dict[str, bool] = {}
        self._ctx = ctx
        self._calls: dict[int, list[cst.Call]] | None = None

    @cached_property
    def builds_generators(self) -> bool:
        """Whether the file's text names `torch.Generator` at all: the cheap gate of `_is_generator`."""
        return "Generator(" in self._ctx.source

    @cached_property
    def generators(self) -> dict[str, str]:
        """Names (`rng`, `self.rng`) this file binds, anywhere, to a generator object
        (`np.random.RandomState(...)`: the constructor's name) or to a random module itself
        (`self.rng = np.random`: `numpy.random`). Asked only of a seed-named method of an unknown object."""
        ctx = self._ctx
        bound: dict[str, str] = {}
        for assign in ctx.index.nodes(cst.Assign):
            value = assign.value
            what = ctx.callee(value) if isinstance(value, cst.Call) else ctx.qualified_name(value)
            if what in vocab.PRIVATE_GENERATORS or what in _RANDOM_MODULES:
                for target in assign.targets:
                    name = ctx.dotted(target.target)
                    if name is not None:
                        bound[name] = what
        return bound

    @cached_property
    def backpropagating_names(self) -> frozenset[str]:
        """The names of the functions and methods defined in this file or in the project's modules that
        say `backward` (read as text, nothing parsed): the only methods of objects of unknown class that
        `trains_through` looks up."""
        ctx = self._ctx
        names: set[str] = set()
        if "backward" in ctx.source:
            names |= _defined_names(ctx.source.encode())
        for path in paths_mentioning(ctx, "backward") or ():
            text = STORE.text(path)
            if text is not None:
                names |= _defined_names(text)
        return frozenset(names)

    def calls_in(self, definition: cst.CSTNode) -> list[cst.Call]:
        if self._calls is None:
            index = self._ctx.index
            self._calls = {}
            for call in index.nodes(cst.Call):
                for ancestor in index.ancestors(call):
                    if type(ancestor) is cst.FunctionDef or type(ancestor) is cst.ClassDef:
                        self._calls.setdefault(id(ancestor), []).append(call)
        return self._calls.get(id(definition), [])
