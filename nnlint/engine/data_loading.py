"""Data loaders and distributed training: how each `DataLoader` is configured, and whether the file trains
with DistributedDataParallel and shards its data per rank.

A loader's settings come from keywords, positions, or a `**config` dict bound in the same file
(`loader_kwargs = {"batch_size": 64, "shuffle": True}`; `DataLoader(ds, **loader_kwargs)`); a dict that
cannot be read leaves the settings incomplete, and rules then treat every missing setting as unknown.
Frameworks that shard and reseed for the user (accelerate's `prepare()`, Lightning, Fabric) make the
distributed questions moot; DeepSpeed shards only the loader it builds and never sets a sampler's epoch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst

from nnlint import vocabulary as vocab
from nnlint.engine.bindings import (
    argument_values,
    enclosing_parameter,
    project_argument_values,
    reaching_unpacked,
    reaching_value,
    reaching_values,
    resolve_call,
    returned_values,
)
from nnlint.engine.names import dotted_name
from nnlint.engine.project import project_mentions

if TYPE_CHECKING:
    from nnlint.engine.context import FileContext

# How many hops (a caller's argument, a function's return) a loader is followed back to its sampler.
_MAX_LOADER_HOPS = 6
# The values followed for one loader's `sampler=` argument (branches and bindings), at most.
_MAX_SAMPLER_CHOICES = 16


@dataclass
class LoaderCall:
    """One `DataLoader(...)` construction with the settings that can be read.

    `settings` maps a parameter name to its expression; `complete` is False when a `*args`/`**kwargs`
    could not be read, so an absent setting may still be set."""

    node: cst.Call
    settings: dict[str, cst.BaseExpression] = field(default_factory=dict)
    complete: bool = True

    def is_literal(self, name: str, value: bool | int) -> bool:
        found = _literal(self.settings[name]) if name in self.settings else None
        return found is not None and type(found) is type(value) and found == value

    def has(self, name: str) -> bool:
        return name in self.settings


class DataLoading:
    """Loader and distributed-training facts of one file (`ctx.data_loading`)."""

    def __init__(self, ctx: FileContext) -> None:
        self._ctx = ctx
        self._carried: dict[tuple[int, int], tuple[FileContext, LoaderCall] | None] = {}

    @cached_property
    def loaders(self) -> list[LoaderCall]:
        found = []
        for call in self._ctx.index.nodes(cst.Call):
            name = self._ctx.callee(call) or dotted_name(call.func) or ""
            if name.rsplit(".", 1)[-1] == "DataLoader":
                found.append(self._read(call, vocab.LOADER_POSITIONS))
        return found

    @cached_property
    def samplers(self) -> list[LoaderCall]:
        """`DistributedSampler(...)` constructions, read like loaders; also calls of a name bound to the
        class, or to a choice between it and a single-process sampler (`S = RandomSampler if
        args.local_rank == -1 else DistributedSampler`, then `S(dataset)`): the distributed run shards."""
        if "DistributedSampler" not in self._ctx.source:
            return []
        found = []
        for call in self._ctx.index.nodes(cst.Call):
            if self._is_sampler_class(call.func, call):
                found.append(self._read(call, vocab.SAMPLER_POSITIONS))
        return found

    def _is_sampler_class(self, expr: cst.BaseExpression, at: cst.CSTNode, alias: bool = True) -> bool:
        name = self._ctx.qualified_name(expr) or dotted_name(expr) or ""
        if name in vocab.DISTRIBUTED_SAMPLERS or name.rsplit(".", 1)[-1] == "DistributedSampler":
            return True
        if not alias or not isinstance(expr, cst.Name):
            return False
        if not any(binding.kind == "assign" for binding in self._ctx.bindings.of(expr.value)):
            return False  # cheap: most called names (`print`, `len`, functions) are never assigned
        value = reaching_value(self._ctx, expr.value, at)
        choices = [value.body, value.orelse] if isinstance(value, cst.IfExp) else [value]
        return any(choice is not None and self._is_sampler_class(choice, at, False) for choice in choices)

    @cached_property
    def uses_ddp(self) -> bool:
        """The file wraps a model in DistributedDataParallel or starts a process group itself."""
        names = vocab.DDP_WRAPPERS | vocab.PROCESS_GROUP_STARTS
        return any(self._ctx.callee(call) in names for call in self._ctx.index.nodes(cst.Call))

    @cached_property
    def framework_managed(self) -> bool:
        """A framework shards the data: accelerate (`prepare()`), Lightning, Fabric, DeepSpeed, Ignite,
        Composer imported in the file."""
        return self._imports_any(vocab.SHARDING_FRAMEWORKS)

    @cached_property
    def framework_sets_epochs(self) -> bool:
        """A framework that calls `set_epoch` on the samplers of the loaders it runs is imported in the
        file (not DeepSpeed, which never does: `vocab.EPOCH_SETTING_FRAMEWORKS`)."""
        return self._imports_any(vocab.EPOCH_SETTING_FRAMEWORKS)

    def _imports_any(self, frameworks: tuple[str, ...]) -> bool:
        text = self._ctx.source
        return any(f"import {name}" in text or f"from {name}" in text for name in frameworks)

    def sampler_alternative(self, loader: LoaderCall) -> bool:
        """The loader may be the single-process alternative of a sharded one: it is built under an
        `if`/`else` (or a conditional expression), or its function (the module, outside functions) also
        builds a DistributedSampler."""
        index = self._ctx.index
        scope = self._ctx.enclosing_function(loader.node)
        for ancestor in index.ancestors(loader.node):
            if isinstance(ancestor, (cst.If, cst.IfExp)):
                return True
            if ancestor is scope:
                break
        return any(self._ctx.enclosing_function(sampler.node) is scope for sampler in self.samplers)

    def sampler_carried(
        self, expr: cst.BaseExpression, at: cst.CSTNode, depth: int = 0
    ) -> tuple[FileContext, LoaderCall] | None:
        """The shuffling DistributedSampler a loader expression carries when the loader was built elsewhere
        in the project, with the file that builds it: through a parameter (what this file's or the
        project's other callers pass), a name bound from a project function's return (also unpacked:
        `train_loader, val_loader = build_loaders(cfg)`), returns of returns, to a `DataLoader(...,
        sampler=DistributedSampler(ds))` or a sampler name bound to one. Any path that leads to one
        counts; a module on the way that mentions `set_epoch` (a helper may set it) ends the search."""
        if depth > _MAX_LOADER_HOPS or "set_epoch" in self._ctx.source:
            return None
        if depth == 0 and not self._project_mentions_samplers:
            return None  # cheap: no module of the project could have built one
        key = (id(expr), id(at))
        if key not in self._carried:
            self._carried[key] = None  # a cycle through callers answers nothing
            self._carried[key] = self._sampler_carried(expr, at, depth)
        return self._carried[key]

    @cached_property
    def _project_mentions_samplers(self) -> bool:
        """Some module of the project (this one or another) names `DistributedSampler` in its text: a test of
        the texts alone (parsing them is left to the search that follows a loader there)."""
        if "DistributedSampler" in self._ctx.source:
            return True
        return bool(project_mentions(self._ctx, "DistributedSampler"))

    def _sampler_carried(
        self, expr: cst.BaseExpression, at: cst.CSTNode, depth: int
    ) -> tuple[FileContext, LoaderCall] | None:
        if isinstance(expr, cst.Call):
            return self._built_with_sampler(expr, depth)
        if not isinstance(expr, cst.Name):
            return None
        owner = enclosing_parameter(self._ctx, expr) if self._ctx.index.parent(expr) is not None else None
        if owner is not None and reaching_values(self._ctx, expr.value, at) is None:
            function, param = owner
            here = argument_values(self._ctx, function, param) or ()
            passed = [(self._ctx, value, call) for value, call in here]
            passed += project_argument_values(self._ctx, function, param) or []
            for module, value, call in passed:
                found = module.data_loading.sampler_carried(value, call, depth + 1)
                if found is not None:
                    return found
            return None
        unpacked = reaching_unpacked(self._ctx, expr.value, at)
        if unpacked is not None:
            call, position = unpacked
            return self._returned_with_sampler(call, position, depth) if isinstance(call, cst.Call) else None
        for value in reaching_values(self._ctx, expr.value, at) or ():
            found = self.sampler_carried(value, value, depth + 1) if value is not None else None
            if found is not None:
                return found
        return None

    def _built_with_sampler(self, call: cst.Call, depth: int) -> tuple[FileContext, LoaderCall] | None:
        """A `DataLoader(...)` built with a shuffling DistributedSampler, or a project function's call
        that returns one."""
        loader = next((found for found in self.loaders if found.node is call), None)
        if loader is None:
            return self._returned_with_sampler(call, None, depth)
        choices = self._sampler_choices(loader.settings.get("sampler"), call)
        for candidate in self.samplers:
            off = candidate.is_literal("shuffle", False) or candidate.is_literal("shuffle", 0)
            if any(candidate.node is choice for choice in choices) and not off:
                return self._ctx, candidate
        return None

    def _sampler_choices(
        self, sampler: cst.BaseExpression | None, at: cst.CSTNode
    ) -> list[cst.BaseExpression]:
        """The values a loader's `sampler=` argument may be: both branches of a conditional expression
        and every binding of a name that reaches the loader (llama-recipes: `train_sampler = None`, then
        `if train_config.enable_fsdp: train_sampler = DistributedSampler(...)`, and the loader's
        `sampler=train_sampler if train_sampler else None`). A run that takes the sampler's path carries
        it."""
        pending = [sampler] if sampler is not None else []
        found: list[cst.BaseExpression] = []
        for _ in range(_MAX_SAMPLER_CHOICES):
            if not pending:
                break
            value = pending.pop()
            if isinstance(value, cst.IfExp):
                pending += [value.body, value.orelse]
            elif isinstance(value, cst.Name) and value.value != "None":
                pending += [
                    bound for bound in reaching_values(self._ctx, value.value, at) or () if bound is not None
                ]
            else:
                found.append(value)
        return found

    def _returned_with_sampler(
        self, call: cst.Call, position: int | None, depth: int
    ) -> tuple[FileContext, LoaderCall] | None:
        """What a project function's `return`s give, at a tuple position when the call is unpacked."""
        target = resolve_call(self._ctx, call) if depth <= _MAX_LOADER_HOPS else None
        if target is None or not isinstance(target.node, cst.FunctionDef):
            return None
        facts = target.ctx.data_loading
        for value in returned_values(target.node):
            found = None
            if value is None:
                continue
            if position is None:
                found = facts.sampler_carried(value, value, depth + 1)
            elif isinstance(value, cst.Tuple) and len(value.elements) > position:
                element = value.elements[position].value
                found = facts.sampler_carried(element, element, depth + 1)
            elif isinstance(value, cst.Call) and "set_epoch" not in target.ctx.source:
                found = facts._returned_with_sampler(value, position, depth + 1)  # `return build(...)`
            if found is not None:
                return found
        return None

    @cached_property
    def sets_sampler_epoch(self) -> bool:
        """Any `.set_epoch(...)` call: on the sampler, the loader's sampler, or through a helper."""
        return any(
            isinstance(call.func, cst.Attribute) and call.func.attr.value == "set_epoch"
            for call in self._ctx.index.nodes(cst.Call)
        )

    def shards_dataset(self, loader: LoaderCall) -> bool:
        """The loader's dataset is split per rank by hand (`Subset(ds, idx[rank::world])`,
        `split_dataset_by_node(ds, rank=...)`) or is an iterable dataset class of this file."""
        dataset = loader.settings.get("dataset")
        if dataset is None:
            return True  # unknown
        expressions: list[cst.CSTNode] = [dataset]
        name = dotted_name(dataset)
        if name is not None:
            expressions += self._ctx.bindings.assigned(name)
        for expr in expressions:
            text = _text_without_rank_gates(self._ctx.module, expr)
            if "rank" in text or "shard" in text or "node" in text:
                return True
            if isinstance(expr, cst.Call) and dotted_name(expr.func) in self.iterable_dataset_classes:
                return True
        return False

    @cached_property
    def iterable_dataset_classes(self) -> frozenset[str]:
        """Classes of this file that derive from IterableDataset."""
        return frozenset(
            cls.name.value
            for cls in self._ctx.index.nodes(cst.ClassDef)
            if any(
                base in vocab.ITERABLE_DATASETS or base.endswith("IterableDataset")
                for base in self._ctx.base_names(cls)
            )
        )

    # -- reading a call's settings -----------------------------------------------------------------

    def _read(self, call: cst.Call, positions: tuple[str, ...]) -> LoaderCall:
        loader = LoaderCall(call)
        index = 0
        for arg in call.args:
            if arg.star == "*":
                loader.complete = False
            elif arg.star == "**":
                settings = self._dict_settings(arg.value)
                if settings is None:
                    loader.complete = False
                else:
                    loader.settings.update(settings)
            elif arg.keyword is not None:
                loader.settings[arg.keyword.value] = arg.value
            else:
                if index < len(positions):
                    loader.settings[positions[index]] = arg.value
                index += 1
        return loader

    def _dict_settings(self, expr: cst.BaseExpression) -> dict[str, cst.BaseExpression] | None:
        """The keys of a `**` dict: a literal, `dict(...)`, or a name every binding of which is one of
        those (plus `name["key"] = value` assignments); None when it cannot be read."""
        literal = _dict_literal(expr)
        if literal is not None:
            return literal
        name = dotted_name(expr)
        if name is None:
            return None
        values = self._ctx.bindings.assigned(name)
        if not values:
            return None
        settings: dict[str, cst.BaseExpression] = {}
        for value in values:
            read = _dict_literal(value)
            if read is None:
                return None
            settings.update(read)
        for key, items in self._ctx.bindings.items(name).items():
            for item in items:
                if item.value is not None:
                    settings[key] = item.value  # the last write wins
        for call in self._ctx.index.nodes(cst.Call):
            if isinstance(call.func, cst.Attribute) and dotted_name(call.func.value) == name:
                if call.func.attr.value in ("update", "setdefault", "pop"):
                    return None  # changed in ways not followed here
        return settings


def _text_without_rank_gates(module: cst.Module, expr: cst.BaseExpression) -> str:
    """The source of `expr` with every test of a rank against constants left out.

    `download=local_rank == 0` or `verbose=rank in (-1, 0)` asks whether this is the main process (to
    download or print once); it selects no data, so it is no sign of a dataset split by rank, unlike
    `idx[rank::world]` or `i % world == rank`, which compare with something that varies."""
    text = module.code_for_node(expr)
    for test in _rank_gates(expr):
        text = text.replace(module.code_for_node(test), "", 1)
    return text


def _rank_gates(expr: cst.BaseExpression) -> list[cst.Comparison]:
    """The comparisons inside `expr` of one rank-named operand with integer constants only."""
    gates = []
    for test in _comparisons(expr):
        operands = [test.left, *(target.comparator for target in test.comparisons)]
        named = [op for op in operands if not _is_int_constant(op)]
        if len(named) == 1 and "rank" in (dotted_name(named[0]) or "").lower():
            gates.append(test)
    return gates


def _comparisons(node: cst.CSTNode) -> list[cst.Comparison]:
    if isinstance(node, cst.Comparison):
        return [node]
    return [found for child in node.children for found in _comparisons(child)]


def _is_int_constant(expr: cst.BaseExpression) -> bool:
    """`0`, `-1`, or a tuple/list/set of such (`rank in (-1, 0)`)."""
    if isinstance(expr, cst.Integer):
        return True
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
        return isinstance(expr.expression, cst.Integer)
    if isinstance(expr, (cst.Tuple, cst.List, cst.Set)):
        return bool(expr.elements) and all(_is_int_constant(e.value) for e in expr.elements)
    return False


def _dict_literal(expr: cst.BaseExpression) -> dict[str, cst.BaseExpression] | None:
    if isinstance(expr, cst.Dict):
        found: dict[str, cst.BaseExpression] = {}
        for element in expr.elements:
            if not isinstance(element, cst.DictElement) or not isinstance(element.key, cst.SimpleString):
                return None
            key = element.key.evaluated_value
            if not isinstance(key, str):
                return None
            found[key] = element.value
        return found
    if isinstance(expr, cst.Call) and dotted_name(expr.func) == "dict":
        if any(arg.keyword is None for arg in expr.args):
            return None
        return {arg.keyword.value: arg.value for arg in expr.args if arg.keyword is not None}
    return None


def _literal(expr: cst.BaseExpression) -> bool | int | None:
    if isinstance(expr, cst.Name) and expr.value in ("True", "False"):
        return expr.value == "True"
    if isinstance(expr, cst.Integer):
        return int(expr.evaluated_value)
    return None
