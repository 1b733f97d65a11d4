"""How long a run is: the epoch counts a script states in literals.

Epoch-based schedules (`StepLR(step_size=30)`, `MultiStepLR(milestones=[30, 60])`, a cosine over `T_max`
epochs) only make sense against the number of epochs the run lasts. Scripts state that number in a few
conventional ways, and this module reads them without running anything: the epoch loop's own
`range(...)`, a module constant (`epochs = 90`), an argparse default (`--epochs`, default 90), a config
dict or keyword (`{"epochs": 90}`, `Trainer(max_epochs=10)`), a parameter default (`def fit(epochs=10)`).

Names are matched by their last component (`args.epochs`, `cfg["epochs"]`, `self.epochs` all read the
bindings of `epochs`), since scripts move the same setting between argparse, dicts and attributes. A
value that cannot be read (`int(os.environ[...])`) adds nothing: the answer is the set of literal values
the expression may take, empty when none is known.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst

from nnlint import vocabulary as vocab
from nnlint.engine.bindings import VALUE_KINDS, resolve_name
from nnlint.engine.index import children
from nnlint.engine.names import dotted_name
from nnlint.engine.project import only_if_mentions

if TYPE_CHECKING:
    from nnlint.engine.context import FileContext
    from nnlint.engine.loops import Loop
    from nnlint.engine.project import Resolved

# How many values a combination may produce before the answer is treated as unknown.
_MAX_VALUES = 8
_MAX_DEPTH = 4


PERIOD, MILESTONE, SHADOWED = "period", "milestone", "shadowed"


@dataclass(frozen=True)
class HandDecay:
    """A hand-written decay: `kind` PERIOD (every `epochs` epochs, by `factor`), MILESTONE (from epoch
    `epochs` on) or SHADOWED (a milestone an earlier branch of its if/elif chain always takes first);
    `node` is the expression or `if` test that states it."""

    node: cst.CSTNode
    kind: str
    epochs: int
    factor: float | None = None
    shadowed_by: int | None = None  # SHADOWED: the earlier `epoch >= K` branch that takes its epochs


@dataclass(frozen=True)
class SettingDecay:
    """A hand-written schedule that decays once per epoch listed in a setting: `np.sum(epoch >
    np.asarray(opt.lr_decay_epochs))`, `if epoch in args.schedule: lr *= gamma`. `node` is where the list
    is stated (an argparse default `'250,300,350'`, a list `[150, 225]`), `milestones` its values, `first`
    the offset from a milestone to the first epoch that decays (1 for `epoch > m`, else 0) and `where` the
    function that compares."""

    node: cst.CSTNode
    milestones: tuple[int, ...]
    first: int
    where: str


# Wrappers a schedule puts around a list of milestones before comparing the epoch with it.
_LIST_WRAPPERS = frozenset({"asarray", "array", "tensor", "list", "tuple", "sorted"})


class RunLength:
    """Literal integer values of names in one file, and the epoch counts they imply."""

    def __init__(self, ctx: FileContext) -> None:
        self._ctx = ctx

    # -- queries ---------------------------------------------------------------------------------

    @cached_property
    def stated_epochs(self) -> frozenset[int]:
        """Every epoch count the file states through a conventionally named setting."""
        found: set[int] = set()
        for name, values in self._bindings.items():
            if name.lower() != "epoch" and vocab.EPOCH_COUNT_NAME.match(name):
                for value in values:
                    found |= self.values(value)
        return frozenset(value for value in found if value > 0)

    def iterations(self, loop: Loop) -> frozenset[int]:
        """How many times a `for _ in range(...)` loop runs, when its bounds are literal."""
        node = loop.node
        if not isinstance(node, cst.For):
            return frozenset()
        expr = node.iter
        while isinstance(expr, cst.Call) and dotted_name(expr.func) in vocab.ITERATION_WRAPPERS and expr.args:
            expr = expr.args[0].value
        if not isinstance(expr, cst.Call) or dotted_name(expr.func) not in vocab.RANGE_FUNCTIONS:
            return frozenset()
        bounds = [arg.value for arg in expr.args if arg.keyword is None]
        if len(bounds) == 1:
            return self.values(bounds[0])
        if len(bounds) == 2:
            starts, stops = self.values(bounds[0]), self.values(bounds[1])
            if not starts:
                return stops  # `range(args.start_epoch, args.epochs)` with an unreadable start
            return _combine(stops, starts, lambda stop, start: stop - start)
        return frozenset()

    def values(self, expr: cst.BaseExpression, depth: int = 0) -> frozenset[int]:
        """The literal integers `expr` may evaluate to, as far as the file's literals tell."""
        if depth > _MAX_DEPTH:
            return frozenset()
        if isinstance(expr, cst.Integer):
            return frozenset({int(expr.evaluated_value)})
        if isinstance(expr, cst.Float):
            value = expr.evaluated_value
            return frozenset({int(value)}) if value.is_integer() else frozenset()
        if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
            return frozenset(-value for value in self.values(expr.expression, depth + 1))
        if isinstance(expr, cst.BinaryOperation):
            operation = _OPERATIONS.get(type(expr.operator))
            if operation is None:
                return frozenset()
            left, right = self.values(expr.left, depth + 1), self.values(expr.right, depth + 1)
            return _combine(left, right, operation)
        if isinstance(expr, cst.Call) and dotted_name(expr.func) == "int" and expr.args:
            return self.values(expr.args[0].value, depth + 1)
        key = _key_of(expr)
        if key is None:
            return frozenset()
        found: set[int] = set()
        for value in self._bindings.get(key, ()):
            if value is not expr:
                found |= self.values(value, depth + 1)
        return frozenset(found) if len(found) <= _MAX_VALUES else frozenset()

    def numbers(self, expr: cst.BaseExpression, depth: int = 0) -> frozenset[float]:
        """The literal numbers (floats too: a decay factor `gamma=0.95`, `parser.add_argument('--gamma',
        default=0.9)`) `expr` may be, as far as the file's literals tell; empty when any is unknown."""
        if depth > _MAX_DEPTH:
            return frozenset()
        if isinstance(expr, (cst.Integer, cst.Float)):
            return frozenset({float(expr.evaluated_value)})
        key = _key_of(expr)
        if key is None:
            return frozenset()
        found: set[float] = set()
        for value in self._bindings.get(key, ()):
            if value is expr:
                continue
            numbers = self.numbers(value, depth + 1)
            if not numbers:
                return frozenset()  # one binding nnlint cannot read: the value is unknown
            found |= numbers
        return frozenset(found) if len(found) <= _MAX_VALUES else frozenset()

    @cached_property
    def run_epochs(self) -> frozenset[int]:
        """Every epoch count the run may last: the `range` of each epoch loop, and the stated settings."""
        found = set(self.stated_epochs)
        for loop in self._ctx.loops.loops:
            if loop.kind == "epoch":
                found |= self.iterations(loop)
        return frozenset(value for value in found if value > 0)

    @cached_property
    def hand_written_decays(self) -> list[HandDecay]:
        """Learning-rate schedules written by hand against the current epoch:
        `lr = base * 0.1 ** (epoch // 30)` (also inside a `LambdaLR` lambda) is a step decay of period 30;
        `if epoch >= 30: lr *= 0.1` / `elif epoch > 60: g["lr"] = ...` decays at a milestone."""
        found: list[HandDecay] = []
        for power in self._ctx.index.nodes(cst.BinaryOperation):
            if type(power.operator) is not cst.Power:
                continue
            factor = _float(power.left)
            exponent = power.right
            if (
                factor is not None
                and 0 < factor < 1
                and isinstance(exponent, cst.BinaryOperation)
                and isinstance(exponent.operator, cst.FloorDivide)
                and self._is_current_epoch(exponent.left)
                and isinstance(exponent.right, cst.Integer)
            ):
                found.append(HandDecay(power, PERIOD, int(exponent.right.evaluated_value), factor))
        for branch in self._ctx.index.nodes(cst.If):
            milestone = self._milestone(branch.test)
            if milestone is None or not (
                _sets_learning_rate(branch.body) or self._sets_decay_exponent(branch)
            ):
                continue
            first, _ = milestone
            earlier = self._earlier_lower_bounds(branch)
            shadowing = [bound for bound in earlier if bound <= first]
            if shadowing:
                found.append(HandDecay(branch.test, SHADOWED, first, shadowed_by=max(shadowing)))
            else:
                found.append(HandDecay(branch.test, MILESTONE, first))
        return found

    @cached_property
    def setting_decays(self) -> list[SettingDecay]:
        """Hand-written schedules that decay at the epochs a setting lists, with the lists this file
        states: the comparisons of this file's functions, and those of a project helper the file calls
        with the current epoch (`adjust_learning_rate(epoch, opt, optimizer)` from util.py). Only asked
        about settings this file gives a list of integers (or a string of them, split at run time)."""
        lists = self._milestone_lists if "epoch" in self._ctx.source else {}
        if not lists:
            return []
        ctx = self._ctx
        found: dict[int, SettingDecay] = {}
        comparisons = epoch_list_comparisons(ctx)
        for call in ctx.index.nodes(cst.Call):
            helper = self._epoch_helper(call)
            if helper is not None and helper.ctx is not ctx:
                in_helper = epoch_list_comparisons(helper.ctx, helper.node)  # type: ignore[arg-type]
                comparisons += [
                    (key, first, f"{name}` in `{helper.ctx.path}") for key, first, name in in_helper
                ]
        for key, first, where in comparisons:
            for node, milestones in lists.get(key, ()):
                found.setdefault(id(node), SettingDecay(node, milestones, first, where))
        return list(found.values())

    @cached_property
    def _milestone_lists(self) -> dict[str, list[tuple[cst.CSTNode, tuple[int, ...]]]]:
        """Settings bound to a list of epochs: `[150, 225]`, or a string of integers an argparse option
        gives as its default (`'250,300,350'`, split into integers by the script)."""
        found: dict[str, list[tuple[cst.CSTNode, tuple[int, ...]]]] = {}
        for key, values in self._bindings.items():
            for value in values:
                milestones = _integer_list(value)
                if milestones:
                    found.setdefault(key, []).append((value, milestones))
        return found

    def _epoch_helper(self, call: cst.Call) -> Resolved | None:
        """The project function a call runs when it is handed the current epoch (`util.adjust_lr(epoch,
        ...)`), resolved only in modules that mention epochs."""
        if not any(self._is_current_epoch(arg.value) for arg in call.args):
            return None
        ctx = self._ctx
        with only_if_mentions("epoch"):
            if isinstance(call.func, cst.Name):
                found = resolve_name(ctx, call.func.value, call)
            else:
                qualified = ctx.qualified_name(call.func) if isinstance(call.func, cst.Attribute) else None
                found = ctx.project.resolve_qualified(qualified) if qualified else None
        return found if found is not None and isinstance(found.node, cst.FunctionDef) else None

    def _sets_decay_exponent(self, branch: cst.If) -> bool:
        """Whether the branch sets the exponent of a decay factor of its function: `decay = 2` where
        `lr = args.lr * (0.1 ** decay)` follows, the schedule spelled through a counter of decays."""
        function = self._ctx.index.enclosing(branch, cst.FunctionDef)
        exponents = self._decay_exponents.get(function)
        if not exponents:
            return False
        return any(
            isinstance(node, cst.Assign)
            and any(isinstance(t.target, cst.Name) and t.target.value in exponents for t in node.targets)
            for node in _walk_block(branch.body)
        )

    @cached_property
    def _decay_exponents(self) -> dict[cst.FunctionDef | None, set[str]]:
        """Per function, the names raised as a decay factor's exponent: `decay` in `0.1 ** decay`."""
        found: dict[cst.FunctionDef | None, set[str]] = {}
        for power in self._ctx.index.nodes(cst.BinaryOperation):
            if not isinstance(power.operator, cst.Power) or not isinstance(power.right, cst.Name):
                continue
            factor = _float(power.left)
            if factor is not None and 0 < factor < 1:
                function = self._ctx.index.enclosing(power, cst.FunctionDef)
                found.setdefault(function, set()).add(power.right.value)
        return found

    def _earlier_lower_bounds(self, branch: cst.If) -> list[int]:
        """The `epoch >= K` bounds of the branches before `branch` in its if/elif chain: each one takes
        every epoch from K on, so a later branch needing a larger epoch never runs."""
        bounds: list[int] = []
        child: cst.CSTNode = branch
        parent = self._ctx.index.parent(child)
        while isinstance(parent, cst.If) and parent.orelse is child:
            milestone = self._milestone(parent.test)
            if milestone is not None and milestone[1]:
                bounds.append(milestone[0])
            child, parent = parent, self._ctx.index.parent(parent)
        return bounds

    def _milestone(self, test: cst.BaseExpression) -> tuple[int, bool] | None:
        """`epoch >= 30`, `epoch > 29`, `30 <= epoch`, `epoch == 30` -> 30, the first epoch it holds at,
        and whether it holds from then on (a lower bound, not `==`)."""
        if not (type(test) is cst.Comparison and len(test.comparisons) == 1):
            return None
        left, operator, right = test.left, test.comparisons[0].operator, test.comparisons[0].comparator
        if self._is_current_epoch(right) and isinstance(left, cst.Integer):
            left, right = right, left
            flipped = {cst.LessThanEqual: cst.GreaterThanEqual, cst.LessThan: cst.GreaterThan}
            operator_type = flipped.get(type(operator), type(operator))
        else:
            operator_type = type(operator)
        if not (self._is_current_epoch(left) and isinstance(right, cst.Integer)):
            return None
        bound = int(right.evaluated_value)
        if operator_type in (cst.GreaterThanEqual, cst.Equal):
            return bound, operator_type is cst.GreaterThanEqual
        if operator_type is cst.GreaterThan:
            return bound + 1, True
        return None

    def _is_current_epoch(self, expr: cst.BaseExpression) -> bool:
        """The current epoch: `epoch`, `self.epoch`, `cur_epoch`, or the parameter of a lambda."""
        name = dotted_name(expr)
        if name is None:
            return False
        last = name.rsplit(".", 1)[-1]
        if vocab.CURRENT_EPOCH_NAME.match(last):
            return True
        lambda_ = self._ctx.index.enclosing(expr, cst.Lambda)
        return (
            type(expr) is cst.Name
            and lambda_ is not None
            and [param.name.value for param in lambda_.params.params] == [expr.value]
        )

    # -- bindings ----------------------------------------------------------------------------------

    @cached_property
    def _bindings(self) -> dict[str, list[cst.BaseExpression]]:
        """The values each setting name is given: its bindings with a known value (by the last part of
        the name, from the binding model), dict displays (`{"epochs": 90}`), keyword arguments
        (`Trainer(max_epochs=10)`) and argparse defaults (`add_argument("--epochs", default=90)`). Built on
        the first question that reads them: most files write no schedule by hand, which NN211 asks first."""
        bindings: dict[str, list[cst.BaseExpression]] = defaultdict(list)
        for key, found in self._ctx.bindings.by_last_name.items():
            bindings[key].extend(b.value for b in found if b.value is not None and b.kind in VALUE_KINDS)
        index = self._ctx.index
        for element in index.nodes(cst.DictElement):
            key = _key_of(element.key)
            if key is not None:
                bindings[key].append(element.value)
        for call in index.nodes(cst.Call):
            option = _argparse_option(call)
            for arg in call.args:
                if arg.keyword is None:
                    continue
                if option is not None and arg.keyword.value == "default":
                    bindings[option].append(arg.value)
                elif arg.keyword.value not in ("default", "dest"):
                    bindings[arg.keyword.value].append(arg.value)
        return bindings


def epoch_list_comparisons(
    ctx: FileContext, only: cst.FunctionDef | None = None
) -> list[tuple[str, int, str]]:
    """The settings learning-rate functions compare the current epoch with as a list: `epoch >
    np.asarray(opt.lr_decay_epochs)` -> ("lr_decay_epochs", 1, function name), `epoch in args.schedule`
    -> ("schedule", 0, ...), with the offset from a listed epoch to the first epoch that decays. Only in
    functions that set a learning rate (`new_lr = ...`, `group["lr"] = ...`); `only`: in that one."""
    found: dict[cst.FunctionDef, list[tuple[str, int, str]]] = {}
    for node in ctx.index.nodes(cst.Comparison):
        if len(node.comparisons) != 1:
            continue
        operator = node.comparisons[0].operator
        first = 1 if type(operator) is cst.GreaterThan else 0
        if not first and type(operator) not in (cst.GreaterThanEqual, cst.In):
            continue
        name = dotted_name(node.left)
        if name is None or not vocab.CURRENT_EPOCH_NAME.match(name.rsplit(".", 1)[-1]):
            continue
        listed = node.comparisons[0].comparator
        while (
            isinstance(listed, cst.Call)
            and len(listed.args) == 1
            and (dotted_name(listed.func) or "").rsplit(".", 1)[-1] in _LIST_WRAPPERS
        ):
            listed = listed.args[0].value
        key = _key_of(listed) if isinstance(listed, (cst.Attribute, cst.Subscript, cst.Name)) else None
        function = ctx.index.enclosing(node, cst.FunctionDef)
        if key is None or function is None or (only is not None and function is not only):
            continue
        found.setdefault(function, []).append((key, first, function.name.value))  # type: ignore[arg-type]
    return [hit for function, hits in found.items() if _sets_learning_rate(function.body) for hit in hits]


def _integer_list(value: cst.BaseExpression) -> tuple[int, ...]:
    """`[150, 225]`, `(150, 225)` or `'250,300,350'` -> the integers, when they could be decay epochs
    (positive, increasing); else nothing (`'0'`, a GPU id, is no schedule)."""
    found: tuple[int, ...] = ()
    if type(value) in (cst.List, cst.Tuple):
        elements = [element.value for element in value.elements]
        if elements and all(isinstance(element, cst.Integer) for element in elements):
            found = tuple(int(element.evaluated_value) for element in elements)  # type: ignore[union-attr]
    elif type(value) is cst.SimpleString:
        text = value.evaluated_value
        parts = [part.strip() for part in text.split(",")] if isinstance(text, str) else []
        if parts and all(part.isdigit() for part in parts):
            found = tuple(int(part) for part in parts)
    if found and found[0] > 0 and all(a < b for a, b in zip(found, found[1:], strict=False)):
        return found
    return ()


_OPERATIONS: dict[type, Callable[[int, int], int | None]] = {
    cst.Add: lambda a, b: a + b,
    cst.Subtract: lambda a, b: a - b,
    cst.Multiply: lambda a, b: a * b,
    cst.FloorDivide: lambda a, b: a // b if b else None,
}


def _combine(
    left: frozenset[int], right: frozenset[int], operation: Callable[[int, int], int | None]
) -> frozenset[int]:
    if not left or not right or len(left) * len(right) > _MAX_VALUES:
        return frozenset()
    found = {operation(a, b) for a in left for b in right}
    return frozenset(value for value in found if value is not None)


def _key_of(expr: cst.BaseExpression) -> str | None:
    """The setting name an expression reads: `epochs`, `args.epochs`, `cfg["epochs"]` -> "epochs"."""
    if type(expr) is cst.Name:
        return expr.value
    if type(expr) is cst.Attribute:
        return expr.attr.value
    if isinstance(expr, cst.SimpleString):
        text = expr.evaluated_value
        return text if isinstance(text, str) and text.isidentifier() else None
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1:
        index = expr.slice[0].slice
        if isinstance(index, cst.Index):
            return _key_of(index.value) if isinstance(index.value, cst.SimpleString) else None
    return None


def _argparse_option(call: cst.Call) -> str | None:
    """The attribute `add_argument("--num-epochs", ...)` sets: its `dest`, else its first long flag."""
    if not (type(call.func) is cst.Attribute and call.func.attr.value == "add_argument"):
        return None
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "dest":
            return _key_of(arg.value) if isinstance(arg.value, cst.SimpleString) else None
    flags = [
        arg.value.evaluated_value
        for arg in call.args
        if arg.keyword is None and isinstance(arg.value, cst.SimpleString)
    ]
    names = [flag for flag in flags if isinstance(flag, str)]
    long_flags = [flag for flag in names if flag.startswith("--")]
    chosen = long_flags[0] if long_flags else (names[0] if names else None)
    if chosen is None:
        return None
    dest = chosen.lstrip("-").replace("-", "_")
    return dest if dest.isidentifier() else None


def _float(expr: cst.BaseExpression) -> float | None:
    if isinstance(expr, (cst.Float, cst.Integer)):
        return float(expr.evaluated_value)
    return None


def _walk_block(body: cst.CSTNode) -> list[cst.CSTNode]:
    """The nodes of a block, not descending into nested functions, classes or lambdas."""
    found: list[cst.CSTNode] = []
    stack: list[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        found.append(node)
        if not isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            stack.extend(children(node))
    return found


def _sets_learning_rate(body: cst.CSTNode) -> bool:
    """Whether a block assigns a learning rate: `lr = ...`, `lr *= 0.1`, `group["lr"] = ...`."""
    for node in _walk_block(body):
        targets: list[cst.BaseExpression] = []
        if isinstance(node, cst.Assign):
            targets = [target.target for target in node.targets]
        elif isinstance(node, (cst.AugAssign, cst.AnnAssign)):
            targets = [node.target]
        for target in targets:
            key = _key_of(target)
            if key is not None and vocab.LR_NAME.search(key):
                return True
    return False
