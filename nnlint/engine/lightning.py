"""What a LightningModule asks Lightning to do with its schedulers.

A LightningModule never calls `scheduler.step()` in automatic optimization: it returns its schedulers from
`configure_optimizers`, and Lightning steps each one after every epoch, or after every optimizer step when
its config says `"interval": "step"`. So the frequency a schedule runs at is written in the return value,
in one of the shapes Lightning accepts: `[optimizers], [schedulers]`, `[optimizer], scheduler`,
`{"optimizer": ..., "lr_scheduler": scheduler or config}`, a tuple of such dicts, where a config is
`{"scheduler": ..., "interval": ...}`. A module may also override `lr_scheduler_step(scheduler, metric)`,
which Lightning calls at those moments in place of `scheduler.step()`.

This module reads those shapes (names are followed to the value they are assigned in the method); any other
shape, or a name whose value is not certain, is left out, so rules asking about it stay silent.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst

from nnlint.engine.bindings import reaching_value, returned_values
from nnlint.engine.index import children
from nnlint.engine.names import dotted_name

if TYPE_CHECKING:
    from nnlint.engine.context import FileContext

# Lightning's default for a scheduler returned without an interval.
DEFAULT_INTERVAL = "epoch"


@dataclass(frozen=True)
class ReturnedScheduler:
    """One scheduler a LightningModule's `configure_optimizers` returns.

    `expr` is the scheduler as written in the return value (where a finding goes); `value` the constructor
    call it stands for when certain, else None; `intervals` the values its config's `"interval"` may take
    (`{"epoch"}` when it has no config or no key), or None when the interval is not a literal."""

    cls: cst.ClassDef
    expr: cst.BaseExpression
    value: cst.Call | None
    intervals: frozenset[str] | None


class LightningModules:
    """Lightning facts of one file (`ctx.lightning`)."""

    def __init__(self, ctx: FileContext) -> None:
        self._ctx = ctx

    @cached_property
    def classes(self) -> list[cst.ClassDef]:
        """The file's classes that derive from a LightningModule (by the base's qualified name)."""
        if "LightningModule" not in self._ctx.source:
            return []
        return [
            cls
            for cls in self._ctx.index.nodes(cst.ClassDef)
            if any(base.endswith("LightningModule") for base in self._ctx.base_names(cls))
        ]

    def manual_optimization(self, cls: cst.ClassDef) -> bool:
        """Whether the class sets `self.automatic_optimization = False`: Lightning then steps nothing."""
        for assign in self._ctx.index.nodes(cst.Assign):
            if (
                len(assign.targets) == 1
                and dotted_name(assign.targets[0].target) == "self.automatic_optimization"
                and isinstance(assign.value, cst.Name)
                and assign.value.value == "False"
                and cls in self._ctx.index.ancestors(assign)
            ):
                return True
        return False

    def own_method(self, cls: cst.ClassDef, name: str) -> cst.FunctionDef | None:
        """A method the class itself defines (not inherited)."""
        if not isinstance(cls.body, cst.IndentedBlock):
            return None
        found = [s for s in cls.body.body if isinstance(s, cst.FunctionDef) and s.name.value == name]
        return found[-1] if found else None

    @cached_property
    def returned_schedulers(self) -> list[ReturnedScheduler]:
        """Every scheduler the file's LightningModules return from their own `configure_optimizers`, in
        automatic optimization."""
        found: list[ReturnedScheduler] = []
        for cls in self.classes:
            method = self.own_method(cls, "configure_optimizers")
            if method is None or self.manual_optimization(cls):
                continue
            reader = _ReturnReader(self._ctx, cls)
            for value in returned_values(method):
                if value is not None:
                    found.extend(reader.schedulers(value))
        return found

    def epoch_stepped_by_override(self) -> list[tuple[cst.Call, ReturnedScheduler]]:
        """`.step()` calls in an `lr_scheduler_step` override that pass the epoch index
        (`scheduler.step(epoch=self.current_epoch)`), each with a scheduler of the same class that
        Lightning may step per optimizer step (an `"interval"` that can be `"step"`): the override then
        drives a per-step schedule with the epoch count."""
        found: list[tuple[cst.Call, ReturnedScheduler]] = []
        for cls in self.classes:
            override = self.own_method(cls, "lr_scheduler_step")
            if override is None:
                continue
            per_step = [
                returned
                for returned in self.returned_schedulers
                if returned.cls is cls and returned.intervals is not None and "step" in returned.intervals
            ]
            if not per_step:
                continue
            for call in self._ctx.index.nodes(cst.Call):
                if (
                    isinstance(call.func, cst.Attribute)
                    and call.func.attr.value == "step"
                    and override in self._ctx.index.ancestors(call)
                    and any(_reads_current_epoch(arg.value) for arg in call.args)
                ):
                    found.append((call, per_step[0]))
        return found


class _ReturnReader:
    """Reads the schedulers out of one `configure_optimizers` return value."""

    def __init__(self, ctx: FileContext, cls: cst.ClassDef) -> None:
        self._ctx = ctx
        self._cls = cls

    def _value(self, expr: cst.BaseExpression) -> cst.BaseExpression | None:
        """A plain name's assigned value at this point (None when unsure); anything else as it is."""
        if isinstance(expr, cst.Name):
            return reaching_value(self._ctx, expr.value, expr)
        return expr

    def schedulers(self, returned: cst.BaseExpression) -> list[ReturnedScheduler]:
        value = self._value(returned)
        if isinstance(value, cst.Dict):
            return self._from_dict(value)
        if not isinstance(value, (cst.Tuple, cst.List)):
            return []  # one optimizer (or an unknown value)
        elements = [element.value for element in value.elements]
        if any(isinstance(element, cst.StarredElement) for element in value.elements):
            return []
        values = [self._value(element) for element in elements]
        if values and all(isinstance(v, cst.Dict) for v in values):
            return [found for v in values for found in self._from_dict(v)]  # type: ignore[arg-type]
        if len(values) == 2 and isinstance(values[0], (cst.List, cst.Tuple)):
            second = values[1]
            if isinstance(second, (cst.List, cst.Tuple)):
                return [found for e in second.elements for found in self._entry(e.value)]
            return self._entry(elements[1])
        return []  # a list of optimizers

    def _from_dict(self, config: cst.Dict) -> list[ReturnedScheduler]:
        """`{"optimizer": ..., "lr_scheduler": ...}`: the scheduler entry, if any."""
        entry = _key(config, "lr_scheduler")
        return self._entry(entry) if entry is not None else []

    def _entry(self, expr: cst.BaseExpression) -> list[ReturnedScheduler]:
        """A scheduler, or a config dict holding one under "scheduler"."""
        value = self._value(expr)
        if isinstance(value, cst.Dict):
            scheduler = _key(value, "scheduler")
            if scheduler is None:
                return []
            interval = _key(value, "interval")
            intervals = _literals(interval) if interval is not None else frozenset({DEFAULT_INTERVAL})
            return [ReturnedScheduler(self._cls, scheduler, self._call(scheduler), intervals)]
        return [ReturnedScheduler(self._cls, expr, self._call(expr), frozenset({DEFAULT_INTERVAL}))]

    def _call(self, expr: cst.BaseExpression) -> cst.Call | None:
        """The constructor call a scheduler expression stands for: a local name's value, or the call that
        made `self.scheduler` a scheduler."""
        value = self._value(expr)
        if isinstance(value, cst.Call):
            return value
        name = dotted_name(expr) if isinstance(expr, cst.Attribute) else None
        return self._ctx.roles.constructor(name) if name is not None else None


def _key(config: cst.Dict, key: str) -> cst.BaseExpression | None:
    for element in config.elements:
        if (
            isinstance(element, cst.DictElement)
            and isinstance(element.key, cst.SimpleString)
            and element.key.evaluated_value == key
        ):
            return element.value
    return None


def _literals(expr: cst.BaseExpression) -> frozenset[str] | None:
    """The strings an interval may be: a literal, or either side of `"a" if cond else "b"`."""
    if isinstance(expr, cst.SimpleString) and isinstance(expr.evaluated_value, str):
        return frozenset({expr.evaluated_value})
    if isinstance(expr, cst.IfExp):
        body, orelse = _literals(expr.body), _literals(expr.orelse)
        return body | orelse if body is not None and orelse is not None else None
    return None


def _reads_current_epoch(expr: cst.BaseExpression) -> bool:
    stack: list[cst.CSTNode] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Attribute) and dotted_name(node) in (
            "self.current_epoch",
            "self.trainer.current_epoch",
        ):
            return True
        stack.extend(children(node))
    return False
