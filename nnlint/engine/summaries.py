"""Role summaries of project functions and methods: what a function returns, and what it does to each
parameter.

A training loop in train.py calls helpers of utils.py and methods of classes of other modules; the
questions its rules ask are about those helpers: does `eval_net(net, val)` run `net` as an evaluation
without switching it to eval mode? Does `meter.update(loss)` add the loss tensor into the meter's running
sum? Does `self._backward(loss, opt)` return the loss it backpropagated, graph attached? A summary answers
them once per function, on the context of the file that defines it (which the project's module store keeps
for the whole run), so every file that calls it shares the answer.

A summary holds

- `effects`: per parameter, what the function (or a project function it passes the parameter on to) does
  with it: switches it to eval or train mode, runs it as a model, steps or zeroes it, backpropagates it,
  or adds it into persistent state (`self.sum += val * n`, `self._sum[i] += v` for each `v` of a list
  parameter, `self.history.append(val)`);
- `returns`: the role (`roles.Role`) every `return` gives when they agree; a loss only when its graph is
  attached (not `.item()`, not detached); `elements`, the role of each position when every `return` gives
  a tuple of the same length (`return loss, logits`), where a loss's parts computed here and added into it
  (`loss = coarse + fine`) are losses too;
- `evaluates`: the parameters the function runs as an evaluation (its file's `evaluation` analysis says
  the function evaluates) without switching their mode on the way;
- `on_self` (methods): what one call does with the method's own object, when it runs a forward of it or
  of the network it holds (`self(x)`, `self.forward(x)`, `self.encoder(x)`, `self.network(*inputs)`, through
  other methods of the class) and trains nothing: a wrapper's `predict(batch)` or a model's `infer(x)`.
  Calling such a method is a forward of the object; `SelfForward` also says whether the method switches
  the network's mode first (`self.network.eval()`) and whether it chose the grad mode of its forwards itself
  (`@torch.no_grad()`, a `no_grad` block around them all);
- `clears` (asked of `FunctionSummaries`, without the rest): whether the function is a gradient clearer,
  and which parameter it clears. The training-loop collector inlines the helpers of the checked file, but
  a helper of another project module (`from .fp16_util import zero_grad`, then `zero_grad(params)` at the
  top of every step) is opaque to it; a call of a clearer counts as a `zero_grad` there (`clearing`).
  A clearer's body clears gradients (`opt.zero_grad()`, `p.grad.zero_()`, `p.grad = None` or a fresh zero
  tensor, or a call of another clearer), always and all of them, and neither backpropagates nor steps: a
  helper that also trains is a training step, and one whose clearing sits under a condition (other than `if
  p.grad is not None`) clears only some gradients or only sometimes, like DINO's
  `cancel_gradients_last_layer` (the last layer's `p.grad = None` during the first epochs), which freezes a
  layer rather than clearing the step.

`effects` says what is seen to happen to a parameter; `uses_of` says everything that happens to it, or
nothing when some of it cannot be read. A rule that reports something never done to an object its code
hands to a helper (an optimizer never stepped, a sampler never told the epoch) needs the second: the
helper certainly does not do it only when every use of the parameter is seen (`handed`). Being handed
to a function is not "anything may happen": `adjust_learning_rate(optimizer, epoch)` that only writes
`param_group["lr"]` never steps, and `fit_one_epoch(..., gen, ...)` that only runs `enumerate(gen)`
never sets the epoch of `gen.sampler`.

Anything not visible (a library call, a registry, `*args`) adds nothing: unknown means silent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

import libcst as cst

from nnlint import vocabulary as vocab
from nnlint.engine.bindings import (
    Binding,
    assigned_names,
    attribute_values,
    call_candidates,
    call_parameters,
    matched_arguments,
    method_of,
    own_nodes,
    parameter_class,
    reaching_value,
    read_names,
    resolve_call,
    resolve_name,
    returned_values,
)
from nnlint.engine.names import dotted_name, moved_module, words
from nnlint.engine.project import Resolved, only_classes_with_bases
from nnlint.engine.roles import Role, building_roles, picked_namespace

if TYPE_CHECKING:
    from nnlint.engine.context import FileContext
    from nnlint.engine.gradflow import GradientFlow
    from nnlint.engine.loops import Event, LiteralValue

# Names that are literal flags (`training=False`): with a string or an integer, what a call may pass to
# select a method's branch; a call passing none of them is answered by `on_self` alone.
_LITERAL_NAMES = frozenset({"True", "False", "None"})

# How many project calls deep a parameter's effects are followed.
_MAX_DEPTH = 4
# Wrappers whose mode and forward are the wrapped model's: `model.module.eval()` toggles `model`.
_WRAPPER_ATTRIBUTES = tuple(attribute.lstrip(".") for attribute in vocab.WRAPPER_ATTRIBUTES)
# Marks the effects of a parameter being computed (recursion answers "unknown" meanwhile).
_COMPUTING = object()


class Effect(str, Enum):
    EVAL = "eval"
    TRAIN = "train"
    FORWARD = "forward"
    STEP = "step"
    ZERO_GRAD = "zero_grad"
    BACKWARD = "backward"
    ACCUMULATE = "accumulate"
    # `model.train(was_training)` after `was_training = model.training`: the mode the caller left comes back.
    RESTORE = "restore"
    # Asked of `handed` only: `loader.sampler.set_epoch(epoch)`, `sampler.set_epoch(epoch)`.
    SET_EPOCH = "set_epoch"


_METHOD_EFFECTS = {
    "eval": Effect.EVAL,
    "train": Effect.TRAIN,
    "forward": Effect.FORWARD,
    "step": Effect.STEP,
    "zero_grad": Effect.ZERO_GRAD,
}


@dataclass(frozen=True)
class Summary:
    """What one function does with its parameters and gives back (see the module docstring).

    Every answer is computed on first request: what the function does with one parameter follows the
    project calls that parameter is passed to (reading their modules) only when that parameter is asked
    about, and what it returns only when that is asked."""

    function: cst.FunctionDef
    ctx: FileContext
    # Positional parameter names in order, without `self`/`cls` for a method.
    positional: tuple[str, ...]
    # Every parameter name: the positional ones and the keyword-only ones.
    parameters: frozenset[str]
    # How many project calls deep the question that made this summary was: callees are followed up to
    # `_MAX_DEPTH` calls from there.
    depth: int = 0
    # Answers computed on first request (what it returns, what it evaluates): most callers ask neither.
    _lazy: dict[object, object] = field(default_factory=dict, compare=False, repr=False)
    # What the function does with each parameter asked about so far (`_COMPUTING` while it is computed).
    _effects: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def _once(self, key: object, unknown: Any, compute: Callable[[], Any]) -> Any:
        """The answer to one lazy question, computed on its first request and remembered. Asked again
        while it is computed, the answer is `unknown`: a recursive function (`def to_namespace(config):
        ... value = to_namespace(value) ... return namespace`, ncsnv2's `dict2namespace`) or two that call
        each other ask about themselves through the loop collector, which would otherwise recurse until
        the stack runs out and the whole file went unchecked."""
        if key not in self._lazy:
            self._lazy[key] = unknown
            self._lazy[key] = compute()
        return self._lazy[key]

    def effects_of(self, parameter: str) -> frozenset[Effect]:
        """What the function (or a project function it passes the parameter on to) does with a parameter.
        Asked again while it is computed (recursion), the answer is unknown: nothing."""
        cached = self._effects.get(parameter)
        if cached is _COMPUTING or parameter not in self.parameters:
            return frozenset()
        if cached is not None:
            return cached  # type: ignore[return-value]
        self._effects[parameter] = _COMPUTING
        try:
            found = _effects_on(self, parameter)
        finally:
            del self._effects[parameter]
        self._effects[parameter] = found
        return found

    @property
    def effects(self) -> Mapping[str, frozenset[Effect]]:
        """The effects of every parameter the function does something with."""
        return {name: found for name in sorted(self.parameters) if (found := self.effects_of(name))}

    def computing(self) -> bool:
        """Whether what the function does with some parameter is being computed right now."""
        return _COMPUTING in self._effects.values()

    def does(self, parameter: str, effect: Effect) -> bool:
        return effect in self.effects_of(parameter)

    def uses_of(self, parameter: str) -> frozenset[str] | None:
        """Everything the function (and the project functions it hands the parameter to) does with a
        parameter, as `_Uses` tokens (`step()`, `param_groups`, `sampler.set_epoch()`, `iter`, `read`);
        None when some use is unknown: the parameter handed to a library call, a class or a call
        spreading `*args`, stored, returned, aliased, put in a container, rebound, or read by a nested
        function. Asked again while it is computed (recursion), the answer is unknown."""
        answers: dict[str, object] = self._lazy.setdefault("uses", {})  # type: ignore[assignment]
        if parameter in answers:
            cached = answers[parameter]
            return None if cached is _COMPUTING else cached  # type: ignore[return-value]
        if parameter not in self.parameters:
            return None
        answers[parameter] = _COMPUTING
        found = _uses(self, parameter)
        answers[parameter] = found
        return found

    def arguments(self, call: cst.Call) -> dict[str, cst.BaseExpression] | None:
        """The expression a call passes for each parameter it names or fills by position; None when it
        passes `*args`/`**kwargs` (which parameter gets what is then unknown)."""
        if any(arg.star for arg in call.args):
            return None
        return matched_arguments(self.positional, call)

    def certain_arguments(self, call: cst.Call) -> dict[str, cst.BaseExpression]:
        """The expression a call certainly passes for a parameter, even when it spreads `*args`/`**kwargs`:
        by position before the first star, and by keyword (a star argument that filled the same parameter
        would raise a TypeError). marugoto's `extract_features_(*args, **kwargs, model=model.cuda())` hands
        over `model` for certain. For questions about what the function does with what it is given; a
        question about every parameter (defaults included) asks `arguments`."""
        return matched_arguments(self.positional, call)

    def passed_with(self, call: cst.Call, effect: Effect, spread: bool = False) -> list[cst.BaseExpression]:
        """The arguments of `call` that the function does `effect` to; none from a call that spreads
        `*args`/`**kwargs` unless `spread` asks for those it certainly passes (`certain_arguments`)."""
        passed = self.certain_arguments(call) if spread else self.arguments(call) or {}
        return [value for name, value in passed.items() if self.does(name, effect)]

    @property
    def evaluates(self) -> frozenset[str]:
        """The parameters the function runs as an evaluation without switching their mode."""
        return self._once(
            "evaluates", frozenset(), lambda: _evaluated(self.ctx, self.function, set(self.parameters))
        )

    @property
    def on_self(self) -> SelfForward | None:
        """For a method that runs a forward of its own object or of the network it holds, and trains
        nothing: what one call of it does (`SelfForward`); None otherwise (and for plain functions)."""
        return self._once("on_self", None, lambda: _self_forward(self.ctx, self.function))

    def on_self_as_called(self, call: cst.Call) -> SelfForward | None:
        """`on_self` for one call: when the call passes literals for parameters the method's `if` tests
        read (`model.run_batch(batch, training=False)` over `if training: ... else: self.net.eval(); with
        torch.no_grad(): ...`), only the events of the branches those literals select count
        (`loops.branch_taken`, the mechanism that decides a mode-switching helper's branches by its string
        arguments); otherwise `on_self`. Computed only for calls that pass a literal, once per literal set."""
        from nnlint.engine.loops import literal_arguments

        if not any(_is_literal(arg.value) for arg in call.args):
            return self.on_self  # cheap: the call passes no literal
        literals = literal_arguments(self.arguments(call) or {})
        if not literals:
            return self.on_self
        key = ("on_self", *sorted((name, repr(value)) for name, value in literals.items()))
        return self._once(key, None, lambda: _self_forward(self.ctx, self.function, literals))

    @property
    def self_modes(self) -> Mapping[str, tuple[str, bool]]:
        """For a method: the mode ("eval" or "train") each network it holds (`self.model`) is left in by
        one call of it, by the last unconditional switch of it in the method's events (its file's loop
        collector follows `self.helper()` calls), and whether the method then evaluates it (runs it with
        recording off); empty for plain functions."""
        return self._once("self_modes", {}, lambda: _self_modes(self.ctx, self.function))

    @property
    def returns_in_mode(self) -> str | None:
        """For a function whose last statement gives back a model it holds (`model.eval(); return model`,
        the only `return` of a bare name): the mode ("eval" or "train") its last switch of that model leaves
        it in, when that switch is unconditional; None otherwise. A project factory or loader
        (`load_model(name, path)`, `get_model(args, configs, train=False)` whose `if train:` branch returns
        a tuple) hands its caller a model already in eval mode: the caller need not switch it."""
        return self._once("returns_in_mode", None, lambda: _returned_mode(self))

    @property
    def records_evaluation(self) -> tuple[cst.For | cst.While, frozenset[str]] | None:
        """For an evaluation function (its file's `evaluation` says so), a loop of its own that runs
        models with autograd recording, by its file's grad-mode analysis (nobody chose the grad mode for
        it: no `no_grad` inside or around it, no decorator, no caller in its file or package that names
        a grad-mode setter), with the parameters whose models it runs; None otherwise. A caller of
        another module that calls it with recording on evaluates with recording on."""
        return self._once("records_evaluation", None, lambda: _recording_evaluation(self))

    @property
    def returns(self) -> Role | None:
        """The role of what every `return` gives (a loss only with its graph attached), else None."""
        return self._returned()[0]  # type: ignore[return-value]

    @property
    def elements(self) -> tuple[Role | None, ...]:
        """The role of each position of the tuple every `return` gives (empty when not such a tuple)."""
        return self._returned()[1]  # type: ignore[return-value]

    @property
    def returns_model(self) -> bool:
        """Whether every `return` (leaving out constants: `return None` on a failed load) gives a model by
        this file's roles: a project factory (`def build(data): model = Net(); model.load_state_dict(data);
        return model`, `create_model(arch)` returning one of several model classes or a Sequential around
        one). Unlike `returns`, asked of modules that never train and without their gradient flow: a
        model's role needs neither."""
        if "returns_model" not in self._lazy:
            if self.ctx in building_roles():
                return False  # asked while this file's roles are built: unknown (and not remembered)
            self._lazy["returns_model"] = False  # a recursive question meanwhile answers "unknown"
            values = _significant_returns(self.function)
            self._lazy["returns_model"] = bool(values) and all(
                value is not None and self.ctx.roles.role_of(value) is Role.MODEL for value in values
            )
        return self._lazy["returns_model"]  # type: ignore[return-value]

    @property
    def passes_through(self) -> Mapping[int | None, str]:
        """The parameters the function gives back as it got them, by the position of the returned tuple
        they take (None: the whole value): `def load_checkpoint(model, optimizer, path): ...; return model,
        optimizer, epoch` gives {0: "model", 1: "optimizer"}; `return model` gives {None: "model"}. Every
        `return` must agree (constants aside; for a position, every tuple `return`, since only those can
        be unpacked) and the function must never rebind the parameter, so what the caller gets is the very
        object it passed, with its facts (class, last layer, role)."""
        return self._once("passes_through", {}, lambda: _passed_through(self))

    @property
    def summed_into(self) -> Mapping[int, int]:
        """Positions of the returned tuple that hold a dict whose values another position sums, by that
        position: `return loss_sum, loss_dict` with `loss_sum = sum(loss_dict.values()) / len(loss_dict)`
        gives {1: 0}. A caller that backpropagates position 0 holds the loss's parts, graphs attached, at
        position 1."""
        return self._once("summed_into", {}, lambda: _summed_into(self))

    def _returned(self) -> tuple[Role | None, tuple[Role | None, ...]]:
        cached = self._lazy.get("returned")
        if cached is not None:
            return cached  # type: ignore[return-value]
        if self.ctx in building_roles():
            return None, ()  # asked while this file's roles are built: unknown (and not remembered)
        self._lazy["returned"] = (None, ())  # a recursive question meanwhile answers "unknown"
        found = _returned_roles(self)
        self._lazy["returned"] = found
        return found


@dataclass(frozen=True)
class SelfForward:
    """What one call of a method that runs its own object's forward does (`Summary.on_self`)."""

    # "eval" or "train" when the method switches its object's network to that mode before its first
    # forward (`self.network.eval()`; `self.train(False)` is eval), else None.
    mode: str | None
    # Whether the method itself set the grad mode of every forward it runs (a grad-mode decorator, a
    # `no_grad` block around them, a `set_grad_enabled` statement): it records or not as it chose.
    chooses_grad_mode: bool


@dataclass(frozen=True)
class Clearing:
    """A call that clears gradients. `target` is what it clears, in the caller's names (`optimizer` for
    `reset(optimizer)` of `def reset(opt): opt.zero_grad()`), or None when that is not one visible
    object (parameter by parameter, several objects, a global of the other module): then it clears what
    is stepped."""

    target: str | None


class FunctionSummaries:
    """Summaries of one file's functions, computed on first request and kept with the file's context."""

    def __init__(self, ctx: FileContext) -> None:
        self._ctx = ctx
        self._summaries: dict[cst.FunctionDef, Summary] = {}
        self._clears: dict[cst.FunctionDef, str | None] = {}
        self._only_models: bool | None = None

    def builds_only_models(self) -> bool:
        """Whether this module (a package's `__init__`) exports callables and every one builds a model: an
        nn.Module subclass, or a function that returns a model (`picks_a_model`). Remembered."""
        if self._only_models is None:
            self._only_models = False  # a cycle meanwhile answers "unknown"
            exported = self._ctx.project.exported()
            self._only_models = bool(exported) and all(
                found is not None
                and (
                    is_model_class(found)
                    if isinstance(found.node, cst.ClassDef)
                    else found.ctx.summaries.of(found.node).returns_model  # type: ignore[union-attr, arg-type]
                )
                for found in exported.values()  # type: ignore[union-attr]
            )
        return self._only_models

    def clears(self, function: cst.FunctionDef, depth: int = 0) -> str | None:
        """Whether `function` is a gradient clearer (module docstring): None if not, else the parameter
        whose gradients it clears (`opt` for `opt.zero_grad()`), or "" when that is not one parameter.
        Computed apart from the other facts, which the loop collector that asks this must not need."""
        if function not in self._clears:
            self._clears[function] = None  # a recursive call of itself clears nothing more
            self._clears[function] = _cleared(self._ctx, function, depth)
        return self._clears[function]

    def pending(self, function: cst.FunctionDef) -> bool:
        """Whether what `function` does with its parameters is being computed right now (a question that
        needs it answers "unknown" meanwhile)."""
        summary = self._summaries.get(function)
        return summary is not None and summary.computing()

    def of(self, function: cst.FunctionDef, depth: int = 0) -> Summary | None:
        if depth > _MAX_DEPTH:
            return None
        summary = self._summaries.get(function)
        if summary is None:
            positional, names = _parameters(self._ctx, function)
            summary = Summary(function, self._ctx, positional, frozenset(names), depth)
            self._summaries[function] = summary
        return summary


def clearing(ctx: FileContext, call: cst.Call) -> Clearing | None:
    """The clearing a call performs when it runs a project function that clears gradients (in this file or
    another project module), or None."""
    # A cheap gate before resolving (which may read another module): a clearer is named for what it does
    # (`zero_grad`, `clear_grads`, `reset_gradients`); its body then decides.
    spelled = (dotted_name(call.func) or "").rsplit(".", 1)[-1].lower()
    if not any(word in spelled for word in ("zero", "grad", "clear", "reset")):
        return None
    called = resolve_call(ctx, call)
    if called is None or not isinstance(called.node, cst.FunctionDef):
        return None
    function = called.node
    cleared = called.ctx.summaries.clears(function)
    if cleared is None:
        return None
    if not cleared:
        return Clearing(None)
    head, dot, rest = cleared.partition(".")
    argument = matched_arguments(_parameters(called.ctx, function)[0], call).get(head)
    named = dotted_name(argument) if argument is not None else None
    return Clearing(named + dot + rest if named else None)


def summary_of_call(ctx: FileContext, call: cst.Call, depth: int = 0) -> Summary | None:
    """The summary of the project function or method a call runs (`resolve_call`, plus methods of the
    object a name or `self.attr` holds when every binding of it builds the same project class)."""
    target = resolve_call(ctx, call) or _instance_method(ctx, call)
    if target is None:
        return alias_summary(ctx, call, depth)
    if not isinstance(target.node, cst.FunctionDef):
        return None
    return target.ctx.summaries.of(target.node, depth)


def summaries_of_call(ctx: FileContext, call: cst.Call, depth: int = 0) -> list[Summary]:
    """Every summary a call may run: the one of `summary_of_call`, or, for a call of one of several
    candidates picked at run time, each candidate's when they agree (`agreed_summaries`). A finding in
    the function a call runs belongs in each candidate (sr-gan's `validation_summaries(D, DNN, G, ...)`
    runs the helper of the application a setting chose); empty when nothing is known."""
    target = resolve_call(ctx, call) or _instance_method(ctx, call)
    if target is None:
        return agreed_summaries(ctx, call, depth) or []
    if not isinstance(target.node, cst.FunctionDef):
        return []
    summary = target.ctx.summaries.of(target.node, depth)
    return [summary] if summary is not None else []


def alias_summary(ctx: FileContext, call: cst.Call, depth: int = 0) -> Summary | None:
    """The first of `agreed_summaries`: what the call does whichever candidate runs."""
    summaries = agreed_summaries(ctx, call, depth)
    return summaries[0] if summaries else None


def agreed_summaries(ctx: FileContext, call: cst.Call, depth: int = 0) -> list[Summary] | None:
    """`self.step_fn(x)` where `self.step_fn` is one of several methods of the class, picked at run time
    (`bindings.method_aliases`: `{"auto": self.step_auto, "manual": self.step_manual}[mode]`), or a local
    name holding one of several project functions (`bindings.call_candidates`): every candidate's summary
    when each agrees with the first on what it gives back (each position) and what it does with each
    positional parameter; None when they differ (unknown: silent)."""
    candidates = call_candidates(ctx, call)
    if candidates is None:
        return None
    summaries = [
        target.ctx.summaries.of(target.node, depth)
        for target in candidates
        if isinstance(target.node, cst.FunctionDef)
    ]
    if len(summaries) != len(candidates) or any(summary is None for summary in summaries):
        return None
    first = summaries[0]
    if any(_agreement(summary) != _agreement(first) for summary in summaries[1:]):  # type: ignore[arg-type]
        return None
    return summaries  # type: ignore[return-value]


def _agreement(summary: Summary) -> tuple[object, ...]:
    """What callers of one of several candidate methods may rely on, by position (names may differ)."""
    return (
        len(summary.positional),
        summary.returns,
        summary.elements,
        tuple(summary.effects_of(name) for name in summary.positional),
        summary.on_self is None,
    )


def _instance_method(ctx: FileContext, call: cst.Call) -> Resolved | None:
    """`self.losses.update(...)` where `self.losses = AverageMeter(...)` in the class (or `meter.update`
    where every binding of `meter` in the file builds one class): that class's method."""
    func = call.func
    if not isinstance(func, cst.Attribute):
        return None
    if type(func.value) is cst.Subscript and type(func.value.value) is cst.Name:
        # `metrics[k].update(...)` of `metrics = {name: AverageMeter(name) for name in names}`.
        held = _element_class(ctx, func.value.value.value)
        return method_of(held, func.attr.value) if held is not None else None
    receiver = dotted_name(func.value)
    if receiver == "self":
        return _called_object(ctx, call)
    if receiver is None:
        return None
    annotated = _annotated_class(ctx, call, receiver)
    if annotated is not None:
        return method_of(annotated, func.attr.value)
    if receiver.startswith("self."):
        values = attribute_values(ctx, ctx.enclosing_class(call), receiver[len("self.") :])
    else:
        values = ctx.bindings.values(receiver)
    found = _one_class(ctx, values) if values else None
    return method_of(found, func.attr.value) if found is not None else None


def called_object_summary(ctx: FileContext, call: cst.Call) -> Summary | None:
    """The summary of the `__call__` that `self.loss_fn(...)` runs (`_called_object`), if any."""
    if not (type(call.func) is cst.Attribute and dotted_name(call.func.value) == "self"):
        return None
    target = _called_object(ctx, call)
    if target is None or not isinstance(target.node, cst.FunctionDef):
        return None
    return target.ctx.summaries.of(target.node)


def _called_object(ctx: FileContext, call: cst.Call) -> Resolved | None:
    """`self.loss_fn(...)`, calling an object the class holds, where every value of `self.loss_fn` builds
    one project class with a `__call__` (`DualLoss(...)`, also through a project factory that returns one:
    `self.loss_fn = create_loss_function(cfg)`): that `__call__`. An nn.Module's call is its `forward`,
    which the roles and layers read; only plain callable objects are answered here."""
    attribute = call.func.attr.value  # type: ignore[attr-defined]
    values = attribute_values(ctx, ctx.enclosing_class(call), attribute)
    classes = [_class_built(ctx, value) for value in values or ()]
    if not classes or any(cls is None for cls in classes) or len({cls.node for cls in classes}) != 1:
        return None
    found = classes[0]
    if found is None or is_model_class(found):
        return None
    return method_of(found, "__call__")


def _class_built(ctx: FileContext, value: cst.BaseExpression, hops: int = 0) -> Resolved | None:
    """The project class a value certainly builds: `DualLoss(cfg)`, or a call of a project function whose
    one `return` gives such a value (`return DualLoss(cfg)`, or a local bound to one: `loss_function =
    DualLoss(cfg)`, `return loss_function`), read in the function's file."""
    if not isinstance(value, cst.Call) or hops > 1:
        return None
    target = resolve_call(ctx, value)
    if target is None:
        return None
    if isinstance(target.node, cst.ClassDef):
        return target
    returned = returned_values(target.node) if isinstance(target.node, cst.FunctionDef) else []
    if len(returned) != 1 or returned[0] is None:
        return None
    made = returned[0]
    if isinstance(made, cst.Name):
        made = reaching_value(target.ctx, made.value, made)
    return _class_built(target.ctx, made, hops + 1) if made is not None else None


def _one_class(ctx: FileContext, values: list[cst.BaseExpression]) -> Resolved | None:
    """The one project class every value builds (`Meter()`, `AverageMeter(name)`); None when one of
    them is anything else, or they build two classes."""
    classes = set()
    found: Resolved | None = None
    for value in values:
        built = resolve_call(ctx, value) if isinstance(value, cst.Call) else None
        if built is None or not isinstance(built.node, cst.ClassDef):
            return None
        classes.add(built.node)
        found = built
    return found if len(classes) == 1 else None


def _element_class(ctx: FileContext, container: str) -> Resolved | None:
    """The one project class every element of a container name holds, when each of its bindings builds
    the elements in place: `{k: Meter(k) for k in names}`, `OrderedDict([(k, Meter(k)) for k in names])`,
    `[Meter() for _ in range(n)]`, `{"loss": Meter(), "acc": Meter()}` (SLIP's dict of AverageMeters);
    None for anything else, or elements of two classes."""
    values = ctx.bindings.values(container)
    built = [_built_elements(value) for value in values] if values else []
    if not built or not all(built):
        return None
    return _one_class(ctx, [element for elements in built for element in elements])


def _built_elements(value: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The element expressions a container display or comprehension builds (the values of a dict), also
    through `dict(...)`/`OrderedDict(...)` of a list of `(key, value)` pairs; empty when not such a
    container."""
    if isinstance(value, cst.Call) and len(value.args) == 1 and dotted_name(value.func) in _DICT_BUILDERS:
        pairs = _built_elements(value.args[0].value)
        if not all(isinstance(pair, cst.Tuple) and len(pair.elements) == 2 for pair in pairs):
            return []
        return [pair.elements[1].value for pair in pairs]  # type: ignore[attr-defined]
    if isinstance(value, cst.DictComp):
        return [value.value]
    if isinstance(value, (cst.ListComp, cst.GeneratorExp)):
        return [value.elt]
    if isinstance(value, cst.Dict) and all(
        isinstance(element, cst.DictElement) for element in value.elements
    ):
        return [element.value for element in value.elements]  # type: ignore[union-attr]
    if isinstance(value, (cst.List, cst.Tuple)) and all(
        isinstance(element, cst.Element) for element in value.elements
    ):
        return [element.value for element in value.elements]
    return []


_DICT_BUILDERS = frozenset({"dict", "OrderedDict", "collections.OrderedDict"})


def _annotated_class(ctx: FileContext, call: cst.Call, receiver: str) -> Resolved | None:
    """The project class a parameter of the enclosing function is annotated with (`def gen_testset(model:
    WaveRNN, ...)`, `bindings.parameter_class`)."""
    function = ctx.enclosing_function(call)
    if function is None or not receiver.isidentifier():
        return None
    return parameter_class(ctx, function, receiver)


def is_model_class(cls: Resolved, hops: int = 0) -> bool:
    """Whether a project class derives from `nn.Module` (or a LightningModule), through project bases. A
    base of another module that lists no base of its own is not one, known from its module's text
    (`project.only_classes_with_bases`: that module is not parsed)."""
    from nnlint.vocabulary import MODEL_MODULE_BASES

    node = cls.node
    if not isinstance(node, cst.ClassDef) or hops > _MAX_DEPTH:
        return False
    for base in node.bases:
        qualified = cls.ctx.qualified_name(base.value) or dotted_name(base.value) or ""
        if qualified in MODEL_MODULE_BASES or qualified.endswith("LightningModule"):
            return True
        with only_classes_with_bases():
            parent = (
                resolve_name(cls.ctx, base.value.value, node) if isinstance(base.value, cst.Name) else None
            )
            if parent is None and qualified:
                parent = cls.ctx.project.resolve_qualified(qualified)
        if parent is not None and is_model_class(parent, hops + 1):
            return True
    return False


# -- computing a summary ---------------------------------------------------------------------------------


def _parameters(ctx: FileContext, function: cst.FunctionDef) -> tuple[tuple[str, ...], set[str]]:
    positional = [param.name.value for param in call_parameters(ctx, function)]
    names = set(positional) | {param.name.value for param in function.params.kwonly_params}
    return tuple(positional), names


def _parameter_of(expr: cst.BaseExpression, names: set[str]) -> str | None:
    """The parameter an expression is, through wrapper attributes: `model`, `model.module` -> model."""
    while type(expr) is cst.Attribute and expr.attr.value in _WRAPPER_ATTRIBUTES:
        expr = expr.value
    return expr.value if isinstance(expr, cst.Name) and expr.value in names else None


def _effects_on(summary: Summary, parameter: str) -> frozenset[Effect]:
    """What `Summary.effects_of` answers, computed: the calls of the function's own body that run the
    parameter, backpropagate it, call one of its effect methods, or pass it to a project function (whose
    summary is asked about the parameter it lands in), and its accumulation into `self` state."""
    ctx, function, names = summary.ctx, summary.function, summary.parameters
    nodes = _own_nodes(summary)
    found: set[Effect] = set()
    loops = ctx.loops
    for node in nodes:
        if type(node) is not cst.Call:
            continue
        func = node.func
        if isinstance(func, cst.Name) and func.value in names:
            if func.value == parameter:
                found.add(Effect.FORWARD)
            continue
        operand = loops.backward_operand(node)
        if operand is not None:
            if parameter in _loss_roots(ctx, function, operand, 0):
                found.add(Effect.BACKWARD)
            continue
        if isinstance(func, cst.Attribute) and func.attr.value in _METHOD_EFFECTS:
            effect = _METHOD_EFFECTS[func.attr.value]
            if effect is Effect.TRAIN and _switches_off(node):
                effect = Effect.EVAL
            if effect is Effect.TRAIN and _restores_mode(nodes, node):
                effect = Effect.RESTORE  # `model.train(was_training)`: the caller's mode comes back
            if _parameter_of(func.value, names) == parameter:
                found.add(effect)
            continue
        receiver = func.value if isinstance(func, cst.Attribute) and not node.args else None
        if receiver is not None and _parameter_of(receiver, names) == parameter:
            from nnlint.engine.training_calls import switched_mode

            mode = switched_mode(ctx, node)  # `model.val_start()`: a wrapper's own mode switch
            if mode is not None:
                found.add(Effect.EVAL if mode == "eval" else Effect.TRAIN)
                continue
        passed = any(not arg.star and _parameter_of(arg.value, names) == parameter for arg in node.args)
        if passed and summary.depth < _MAX_DEPTH:
            callee = summary_of_call(ctx, node, summary.depth + 1)
            arguments = callee.arguments(node) if callee is not None else None
            for name, value in (arguments or {}).items():
                if _parameter_of(value, names) == parameter:
                    found |= callee.effects_of(name)  # type: ignore[union-attr]
    if "accumulated" not in summary._lazy:
        summary._lazy["accumulated"] = _accumulated(ctx, nodes, set(names))
    if parameter in summary._lazy["accumulated"]:  # type: ignore[operator]
        found.add(Effect.ACCUMULATE)
    if "rebound" not in summary._lazy:
        summary._lazy["rebound"] = _rebound_to_another(ctx, nodes, set(names))
    if parameter in summary._lazy["rebound"]:  # type: ignore[operator]
        # `model = deepcopy(model); model.eval()` (an adversarial attack on a copy): which object a
        # mode switch reaches depends on the order, so neither switch is the caller's model's.
        found -= {Effect.EVAL, Effect.TRAIN, Effect.RESTORE}
    return frozenset(found)


# -- everything a function does with a parameter ---------------------------------------------------------

# Builtins that only read the object they are given (`len(loader)`, `isinstance(opt, Adam)`).
_READING_BUILTINS = frozenset({"len", "isinstance", "hasattr", "print", "id", "type", "str", "repr", "bool"})
# Decorators that run the function as written: grad modes and method kinds.
_PLAIN_DECORATORS = frozenset(
    {"no_grad", "inference_mode", "enable_grad", "staticmethod", "classmethod", "wraps", "override"}
)
# Member uses that do an effect to the object (`handed`), and the first members that can do it some
# other way (`loader.sampler` held in a local name, `loader.batch_sampler`): any use of those is unknown.
_DOING = {
    Effect.STEP: (frozenset({"step()"}), frozenset({"step"})),
    Effect.SET_EPOCH: (
        frozenset({"set_epoch()", "sampler.set_epoch()"}),
        frozenset({"set_epoch", "sampler", "batch_sampler"}),
    ),
}


def handed(ctx: FileContext, call: cst.Call, argument: cst.BaseExpression, effect: Effect) -> bool | None:
    """What the project function a call runs does to one of the call's arguments (`argument`, the very
    node): True when it (or a project function it hands it on to) does `effect` somewhere (an optimizer
    stepped, a loader's sampler told the epoch); False when every use of it is seen (`Summary.uses_of`)
    and none could: an optimizer whose every use is a member that only reads it or its groups
    (`vocab.OPTIMIZER_READ_ONLY_MEMBERS`: `for g in optimizer.param_groups: g["lr"] = lr`), a loader only
    iterated or read (`enumerate(gen)`, `len(gen)`, `gen.dataset`); None when unknown (a library function,
    a class, `*args`, the argument stored or handed on to something unresolved)."""
    if effect not in _DOING:
        return None
    uses = _passed_uses(ctx, call, argument, 0)
    if uses is None:
        return None
    doing, risky = _DOING[effect]
    if uses & doing or any(effect.value in use for use in uses):
        return True  # done, or something named for it done (`loader.dataset.set_epoch(epoch)`)
    for use in uses:
        member = use.partition(".")[0].removesuffix("()")
        if member in risky:
            return None
        if effect is Effect.STEP and use != "read" and member not in vocab.OPTIMIZER_READ_ONLY_MEMBERS:
            return None  # an optimizer's other members (a project wrapper's `step_and_update_lr()`)
    return False


def _uses(summary: Summary, parameter: str) -> frozenset[str] | None:
    """What `Summary.uses_of` answers, computed from every mention of the parameter's name in the
    function (nested functions and lambdas included: a use there is unknown)."""
    ctx, function = summary.ctx, summary.function
    index = ctx.index
    found: set[str] = set()
    for node in ctx.bindings.mentions(parameter):
        parent = index.parent(node)
        if type(parent) is cst.Attribute and parent.attr is node:
            continue  # `self.optimizer`: another name
        if type(parent) is cst.Arg and parent.keyword is node:
            continue  # `f(optimizer=...)`: a keyword
        scope = index.enclosing(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef))
        if type(parent) is cst.Param and scope is function:
            continue  # the parameter itself
        if function is not scope and function not in index.ancestors(node):
            continue  # another function's name
        if scope is not function:
            return None  # read (or rebound) by a nested function or lambda: when and how is unknown
        use = _use(summary, node, parent)
        if use is None:
            return None
        found |= use
    return frozenset(found)


def _use(summary: Summary, node: cst.Name, parent: cst.CSTNode | None) -> frozenset[str] | None:
    """The `_uses` tokens of one mention of a parameter: its member chain (`sampler.set_epoch()`), or
    what the context does with the bare name; None when unknown (a binding of it included)."""
    index = summary.ctx.index
    members: list[str] = []
    current: cst.CSTNode = node
    while type(parent) is cst.Attribute and parent.value is current:
        members.append(parent.attr.value)
        current, parent = parent, index.parent(parent)
    called = type(parent) is cst.Call and parent.func is current
    if members:
        if _bound_here(current, parent):
            return None  # `optimizer.param_groups = ...`: a write of the member
        return frozenset({".".join(members) + ("()" if called else "")})
    if called:
        return frozenset({"()"})
    call = index.parent(parent) if type(parent) is cst.Arg and not parent.star else None
    if type(call) is cst.Call and call.func is not node:
        return _passed_uses(summary.ctx, call, node, summary.depth + 1)
    if type(parent) in (cst.For, cst.CompFor) and parent.iter is node:  # type: ignore[union-attr]
        return frozenset({"iter"})
    if type(parent) in (cst.Comparison, cst.ComparisonTarget, cst.If, cst.While):
        return frozenset({"read"})
    if type(parent) is cst.UnaryOperation and type(parent.operator) is cst.Not:
        return frozenset({"read"})
    return None  # stored, returned, aliased, in a container, rebound: unknown


def _bound_here(member: cst.CSTNode, parent: cst.CSTNode | None) -> bool:
    """Whether a member chain is written (`x.attr = v`, `x.attr += v`, `del x.attr`)."""
    if type(parent) is cst.AssignTarget:
        return True
    if type(parent) in (cst.AugAssign, cst.AnnAssign):
        return parent.target is member  # type: ignore[union-attr]
    return type(parent) is cst.Del


def _passed_uses(
    ctx: FileContext, call: cst.Call, argument: cst.BaseExpression, depth: int
) -> frozenset[str] | None:
    """What a call does with one of its arguments (the very node): what the project function it runs
    does with the parameter the argument lands in (its `uses_of`), an iteration for `enumerate`, `tqdm`,
    `iter`, `zip`, `next`, a read for the reading builtins; None for anything else (a library call, a
    class, a call spreading `*args` before it, a method picked at run time)."""
    target = resolve_call(ctx, call) or _instance_method(ctx, call)
    if target is not None:
        function = target.node if isinstance(target.node, cst.FunctionDef) else None
        callee = target.ctx.summaries.of(function, depth) if function is not None else None
        if callee is None or _rewrapped(callee.function):
            return None  # a project class, too deep, or a function a decorator may wrap in other code
        passed = [
            name for name, value in matched_arguments(callee.positional, call).items() if value is argument
        ]
        return callee.uses_of(passed[0]) if len(passed) == 1 else None
    if call_candidates(ctx, call) is not None:
        return None  # one of several methods, picked at run time
    name = dotted_name(call.func)
    if (ctx.qualified_name(call.func) or "").startswith("tqdm."):
        return frozenset({"iter"})
    if name is None or ctx.bindings.of(name):
        return None  # a library call, or a name this file binds to something else
    if name in vocab.ITERATION_WRAPPERS or name == "next":
        return frozenset({"iter"})
    return frozenset({"read"}) if name in _READING_BUILTINS else None


def _rewrapped(function: cst.FunctionDef) -> bool:
    """Whether a decorator other than a grad mode or a method kind may run other code around the function
    (a hook that sets the epoch of the loader it is given, a retry wrapper)."""
    for decorator in function.decorators:
        expr = decorator.decorator
        name = dotted_name(expr.func if isinstance(expr, cst.Call) else expr) or ""
        if name.rsplit(".", 1)[-1] not in _PLAIN_DECORATORS:
            return True
    return False


def _own_nodes(summary: Summary) -> list[cst.CSTNode]:
    """The function's own nodes (`own_nodes`), walked once per summary."""
    if "nodes" not in summary._lazy:
        summary._lazy["nodes"] = own_nodes(summary.function)
    return summary._lazy["nodes"]  # type: ignore[return-value]


def _rebound_to_another(ctx: FileContext, nodes: list[cst.CSTNode], names: set[str]) -> set[str]:
    """Parameters the function rebinds to another object (`model = deepcopy(model)`, `net = build()`);
    `model = model.to(device)` and `model = model.module` keep the same module, and so does a default built
    only when the caller passed none (`if model is None: model = CRAFT()`): a caller that passes a model
    gets every switch the function makes."""
    rebound: set[str] = set()
    for node in nodes:
        if not (
            type(node) is cst.Assign
            and len(node.targets) == 1
            and isinstance(node.targets[0].target, cst.Name)
            and node.targets[0].target.value in names
        ):
            continue
        if _built_when_absent(ctx, node, node.targets[0].target.value):
            continue
        value: cst.BaseExpression = node.value
        while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):
            if value.func.attr.value not in vocab.SELF_RETURNING_METHODS:
                break
            value = value.func.value
        if _parameter_of(value, names) != node.targets[0].target.value:
            rebound.add(node.targets[0].target.value)
    return rebound


def _built_when_absent(ctx: FileContext, node: cst.Assign, name: str) -> bool:
    """Whether an assignment to a parameter sits in the body of `if name is None:` (or `if not name:`),
    at any depth: it runs only for callers that passed no object, so it rebinds nothing of theirs."""
    child: cst.CSTNode = node
    for ancestor in ctx.index.ancestors(node):
        if isinstance(ancestor, cst.FunctionDef):
            return False
        if isinstance(ancestor, cst.If) and child is ancestor.body and _tests_absent(ancestor.test, name):
            return True
        child = ancestor
    return False


def _tests_absent(test: cst.BaseExpression, name: str) -> bool:
    """`name is None` or `not name`."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return isinstance(test.expression, cst.Name) and test.expression.value == name
    return (
        isinstance(test, cst.Comparison)
        and isinstance(test.left, cst.Name)
        and test.left.value == name
        and len(test.comparisons) == 1
        and isinstance(test.comparisons[0].operator, cst.Is)
        and isinstance(test.comparisons[0].comparator, cst.Name)
        and test.comparisons[0].comparator.value == "None"
    )


def _restores_mode(nodes: list[cst.CSTNode], call: cst.Call) -> bool:
    """`model.train(training_mode)` where the function saved `training_mode = model.training` first: it
    puts back whatever mode the caller left (fast-reid's and detectron2's `inference_context`, which
    switches to eval, yields, and restores), so it trains nothing of its own. `nodes` are the function's
    own nodes."""
    if len(call.args) != 1 or not isinstance(call.args[0].value, cst.Name):
        return False
    saved = call.args[0].value.value
    return any(
        type(node) is cst.Assign
        and len(node.targets) == 1
        and isinstance(node.targets[0].target, cst.Name)
        and node.targets[0].target.value == saved
        and isinstance(node.value, cst.Attribute)
        and node.value.attr.value == "training"
        for node in nodes
    )


def _switches_off(call: cst.Call) -> bool:
    """`model.train(False)`: eval mode."""
    return (
        bool(call.args) and isinstance(call.args[0].value, cst.Name) and call.args[0].value.value == "False"
    )


def _loss_roots(
    ctx: FileContext, function: cst.FunctionDef, expr: cst.BaseExpression, depth: int
) -> set[str]:
    """The names a backpropagated value is, up to arithmetic and graph-preserving calls, followed through
    the function's own bindings: `loss *= w` keeps `loss`; `with amp.scale_loss(loss, opt) as scaled:`
    then `scaled.backward()` backpropagates `loss`."""
    found: set[str] = set()
    if depth > _MAX_DEPTH:
        return found
    if isinstance(expr, cst.Name):
        found.add(expr.value)
        for binding in ctx.bindings.of(expr.value):
            if ctx.index.enclosing(binding.node, cst.FunctionDef) is not function:
                continue
            value = binding.node.item if isinstance(binding.node, cst.WithItem) else binding.value
            if value is not None and binding.kind in ("assign", "with"):
                found |= _loss_roots(ctx, function, value, depth + 1)
        return found
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Multiply, cst.Divide)):
        return _loss_roots(ctx, function, expr.left, depth + 1)  # `loss * weight`: the weight is no loss
    if isinstance(expr, cst.BinaryOperation):
        return _loss_roots(ctx, function, expr.left, depth + 1) | _loss_roots(
            ctx, function, expr.right, depth + 1
        )
    if isinstance(expr, cst.UnaryOperation):
        return _loss_roots(ctx, function, expr.expression, depth + 1)
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
        method = expr.func.attr.value
        if method in vocab.GRAPH_PRESERVING_METHODS:
            return _loss_roots(ctx, function, expr.func.value, depth + 1)
        if method in vocab.LOSS_SCALING_CALLS and expr.args and expr.args[0].keyword is None:
            return _loss_roots(ctx, function, expr.args[0].value, depth + 1)
    return found


def _accumulated(ctx: FileContext, nodes: list[cst.CSTNode], names: set[str]) -> set[str]:
    """Parameters the function adds into an attribute of `self`: `self.sum += val * n`,
    `self._sum[i] += v` for `v` of a loop over the parameter, `self.total = self.total + val`,
    `self.history.append(val)`. Detached reads (`val.item()`) do not count, nor does a parameter the function
    rebinds to a detached value (`v = v.data.sum()` then `self.sum += v`)."""
    gradients = ctx.gradients
    names = names - _rebound_detached(gradients, nodes, names)
    aliases = _loop_aliases(nodes, names)
    found: set[str] = set()

    def read(value: cst.BaseExpression) -> None:
        for name in gradients.attached_names(value):
            parameter = aliases.get(name, name if name in names else None)
            if parameter is not None:
                found.add(parameter)

    for node in nodes:
        if type(node) is cst.AugAssign and type(node.operator) is cst.AddAssign:
            if _is_state(node.target):
                read(node.value)
        elif type(node) is cst.Assign and len(node.targets) == 1 and _is_state(node.targets[0].target):
            value = node.value
            target = dotted_name(node.targets[0].target)
            if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add):
                if target is not None and dotted_name(value.left) == target:
                    read(value.right)
                elif target is not None and dotted_name(value.right) == target:
                    read(value.left)
        elif (
            type(node) is cst.Call
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value == "append"
            and _is_state(node.func.value)
            and len(node.args) == 1
        ):
            read(node.args[0].value)
    return found


def _rebound_detached(gradients: GradientFlow, nodes: list[cst.CSTNode], names: set[str]) -> set[str]:
    """Parameters the function rebinds to a value cut off from the graph (`v = v.data.sum()`,
    `val = float(val)`): from there on the name holds no graph, whatever the caller passed."""
    rebound: set[str] = set()
    for node in nodes:
        if (
            type(node) is cst.Assign
            and len(node.targets) == 1
            and isinstance(node.targets[0].target, cst.Name)
            and node.targets[0].target.value in names
            and not names.intersection(gradients.attached_names(node.value))
        ):
            rebound.add(node.targets[0].target.value)
    return rebound


def _is_state(target: cst.BaseExpression) -> bool:
    """`self.x` or `self.x[...]`: state of the object, which outlives the call."""
    if isinstance(target, cst.Subscript):
        target = target.value
    return (dotted_name(target) or "").startswith("self.")


def _loop_aliases(nodes: list[cst.CSTNode], names: set[str]) -> dict[str, str]:
    """Loop names that hold the items of a parameter: `for v in values`, `for i, v in enumerate(values)`."""
    aliases: dict[str, str] = {}
    for node in nodes:
        if type(node) is not cst.For:
            continue
        source = node.iter
        target = node.target
        if (
            isinstance(source, cst.Call)
            and isinstance(source.func, cst.Name)
            and source.func.value == "enumerate"
            and source.args
            and isinstance(target, cst.Tuple)
            and len(target.elements) == 2
        ):
            source, target = source.args[0].value, target.elements[1].value
        if isinstance(source, cst.Name) and source.value in names and isinstance(target, cst.Name):
            aliases[target.value] = source.value
    return aliases


def _evaluated(ctx: FileContext, function: cst.FunctionDef, names: set[str]) -> frozenset[str]:
    """Parameters that the function runs as an evaluation (its file's `evaluation` says the function is
    one) without an `eval()` or `train()` on the way."""
    if not names:
        return frozenset()
    from nnlint.engine.evaluation import EventKind
    from nnlint.engine.modes import model_key

    found: set[str] = set()
    for region in ctx.evaluation.regions:
        if region.node is not function:
            continue
        if any(event.kind in (EventKind.EVAL, EventKind.TRAIN) for event in region.events):
            return frozenset()  # any model switched inside: `net.eval()` may alias the parameter
        for event in region.events:
            model = model_key(event.target)
            if event.kind is EventKind.FORWARD and model in names and not event.via:
                found.add(model)
    return frozenset(found)


def _recording_evaluation(summary: Summary) -> tuple[cst.For | cst.While, frozenset[str]] | None:
    """What `Summary.records_evaluation` answers, computed."""
    from nnlint.engine.modes import model_key

    ctx, function = summary.ctx, summary.function
    if not summary.parameters or not _loops_calling_parameters(summary):
        return None  # cheap, before the analyses of its whole module
    if not ctx.evaluation.is_eval_function(function):
        return None
    for loop in ctx.loops.loops:
        if loop.function is not function or ctx.loops.enclosing_loop(loop.node) is not None:
            continue
        run = {model_key(event.target) for event in ctx.grad_mode.records_forward(loop)}
        if run & summary.parameters:
            return loop.node, frozenset(run & summary.parameters)  # type: ignore[arg-type]
    return None


def _loops_calling_parameters(summary: Summary) -> bool:
    """Whether the function has a loop of its own and calls a parameter, a method of one or a helper given
    one (`model(x)`, `model.predict(x)`, `step(model, x)`): the text of a loop that may run a model it is
    given."""
    nodes = _own_nodes(summary)
    if not any(isinstance(node, (cst.For, cst.While)) for node in nodes):
        return False
    for node in nodes:
        if isinstance(node, cst.Call):
            func = node.func
            while isinstance(func, cst.Attribute):
                func = func.value
            if isinstance(func, cst.Name) and func.value in summary.parameters:
                return True
            if any(_parameter_of(arg.value, summary.parameters) for arg in node.args):  # type: ignore[arg-type]
                return True
    return False


# -- methods that run their own object ---------------------------------------------------------------------


def _is_literal(value: cst.BaseExpression) -> bool:
    """A literal flag or mode a call may pass (`False`, `"eval"`, `0`)."""
    if type(value) is cst.Name:
        return value.value in _LITERAL_NAMES  # type: ignore[attr-defined]
    return type(value) in (cst.SimpleString, cst.Integer)


def _self_forward(
    ctx: FileContext, function: cst.FunctionDef, literals: Mapping[str, LiteralValue] | None = None
) -> SelfForward | None:
    """What `Summary.on_self` answers, computed on the method's own file: the events of one call of it
    (its file's loop collector, which follows `self.helper()` calls) hold a call of `self` or of a network
    it holds (`self.net(x)`, `self.net.forward(x)`, `self.nets["g"](z)`), and no training step. With the
    literals a call passes (`Summary.on_self_as_called`), the events of the branches they skip are left
    out."""
    from nnlint.engine.loops import EventKind, branch_taken

    if not isinstance(ctx.index.enclosing(function, (cst.FunctionDef, cst.ClassDef)), cst.ClassDef):
        return None
    if any(dotted_name(d.decorator) in ("staticmethod", "classmethod") for d in function.decorators):
        return None
    events = ctx.loops.function_events(function)
    if literals:
        events = [event for event in events if branch_taken(ctx, event.site, function, literals) is not False]
    kinds = {event.kind for event in events}
    if kinds & {EventKind.BACKWARD, EventKind.STEP, EventKind.TRAIN_STEP}:
        return None  # a training step, not a forward
    forwards = [event for event in events if event.kind is EventKind.FORWARD and _runs_own_network(event)]
    if not forwards:
        forwards = _layer_calls(ctx, function)
        if literals:
            forwards = [
                event for event in forwards if branch_taken(ctx, event.node, function, literals) is not False
            ]
    if not forwards:
        return None
    first = events.index(forwards[0]) if forwards[0] in events else len(events)
    toggles = {
        event.kind
        for event in events[:first]
        if event.kind in (EventKind.EVAL, EventKind.TRAIN)
        and (event.target == "self" or (event.target or "").startswith("self."))
    }
    mode = None
    if toggles == {EventKind.EVAL}:
        mode = "eval"
    elif toggles == {EventKind.TRAIN}:
        mode = "train"
    grad_mode = ctx.grad_mode
    chooses = all(
        event.no_grad
        or grad_mode.chooses(event.node, function)
        or grad_mode.chooses(event.node, ctx.index.enclosing(event.node, cst.FunctionDef))  # type: ignore[arg-type]
        for event in forwards
    )
    return SelfForward(mode, chooses)


def _returned_mode(summary: Summary) -> str | None:
    """What `Summary.returns_in_mode` answers, computed on the function's own file."""
    from nnlint.engine.loops import EventKind
    from nnlint.engine.modes import model_key

    ctx, function = summary.ctx, summary.function
    if ".eval(" not in ctx.source and ".train(" not in ctx.source:
        return None  # cheap: no mode switch written in its file
    body = function.body.body if isinstance(function.body, cst.IndentedBlock) else ()
    last = body[-1] if body else None
    if not (isinstance(last, cst.SimpleStatementLine) and isinstance(last.body[0], cst.Return)):
        return None
    name = _bare_name(last.body[0].value)
    if name is None:
        return None
    returns = [node for node in _own_nodes(summary) if isinstance(node, cst.Return)]
    if any(_bare_name(node.value) not in (None, name) for node in returns if node is not last.body[0]):
        return None  # another model given back on some path
    toggles = [
        event
        for event in ctx.loops.function_events(function)
        if event.kind in (EventKind.EVAL, EventKind.TRAIN) and model_key(event.target) == name
    ]
    if not toggles or toggles[-1].via:
        return None
    if toggles[-1].conditional:
        return "eval" if _eval_on_every_path(summary, toggles, name) else None
    return "eval" if toggles[-1].kind is EventKind.EVAL else "train"


def _eval_on_every_path(summary: Summary, toggles: list[Any], name: str) -> bool:
    """Whether a conditional last switch still leaves the model in eval mode on every path: it is
    `name.eval()` in one branch of an `if`/`else` of the function's own body, and the other branch switches
    nothing and binds `name` from a pretrained checkpoint (`AutoModelForCausalLM.from_pretrained(path)`,
    which gives the model back in eval mode). LMOps' `get_teacher_model` builds and `eval()`s the
    model-parallel teacher in one branch and loads the plain one with `from_pretrained` in the other."""
    from nnlint.engine.loops import EventKind
    from nnlint.engine.roles import loads_pretrained_model

    last = toggles[-1]
    if last.kind is not EventKind.EVAL or last.guard is None:
        return False
    index = summary.ctx.index
    statement = index.parent(last.guard)  # the `if` of a branch's block, and of its `else:`
    if not (
        isinstance(statement, cst.If)
        and isinstance(statement.orelse, cst.Else)
        and index.parent(statement) is summary.function.body
    ):
        return False
    switched = statement.body if last.guard is statement.body else statement.orelse
    if last.guard is not switched:
        return False
    other = statement.orelse.body if switched is statement.body else statement.body
    if any(other in index.ancestors(toggle.site) for toggle in toggles):
        return False  # the other branch switches too
    bound = None
    for line in other.body:
        for small in line.body if isinstance(line, cst.SimpleStatementLine) else ():
            if isinstance(small, cst.Assign) and name in assigned_names(small):
                bound = small.value
    built = moved_module(bound) if bound is not None else None
    return isinstance(built, cst.Call) and loads_pretrained_model(built)


def _bare_name(value: cst.BaseExpression | None) -> str | None:
    """The name a `return` gives back, through `.to(device)`-like calls: `return model.to(device)`."""
    while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):
        if value.func.attr.value not in vocab.SELF_RETURNING_METHODS:
            return None
        value = value.func.value
    return value.value if isinstance(value, cst.Name) and value.value != "None" else None


def _self_modes(ctx: FileContext, function: cst.FunctionDef) -> dict[str, tuple[str, bool]]:
    """What `Summary.self_modes` answers, computed on the method's own file."""
    from nnlint.engine.loops import EventKind
    from nnlint.engine.modes import model_key

    if ctx.enclosing_class(function) is None or (".eval(" not in ctx.source and ".train(" not in ctx.source):
        return {}  # cheap: no method, or no mode switch written in its file
    found: dict[str, tuple[str, bool]] = {}
    for event in ctx.loops.function_events(function):
        target = model_key(event.target) or ""
        attr = target[len("self.") :]
        if not target.startswith("self.") or not attr.isidentifier():
            continue
        if event.kind is EventKind.FORWARD and attr in found and event.no_grad:
            found[attr] = (found[attr][0], True)
        if event.kind not in (EventKind.EVAL, EventKind.TRAIN):
            continue
        if event.conditional:
            found.pop(attr, None)  # switched only sometimes: unknown
            continue
        found[attr] = ("eval" if event.kind is EventKind.EVAL else "train", False)
    return found


def modes_switched_through_object(
    ctx: FileContext, call: cst.Call
) -> list[tuple[str, cst.BaseExpression, bool]]:
    """The mode switches a method call makes on the networks its object was built with, when the object's
    class is a project class of another module: `Evaluator(self.model, loader).get_scores()`, or
    `ev.get_scores()` with `ev = Evaluator(self.model, ...)` (or `self.evaluator = ...` in the class),
    where `__init__` keeps the network (`self.model = model`) and `get_scores` calls `self.model.eval()`
    (hedwig's trainer and evaluator). Each answer is the mode, the constructor's argument it applies to,
    and whether the method then evaluates that network (`Summary.self_modes`). Only a constructor given a
    model is resolved (asked of method calls, so the gate is the arguments' roles)."""
    func = call.func
    if type(func) is not cst.Attribute:
        return []
    receiver = func.value
    constructor: cst.BaseExpression | None = receiver
    name = dotted_name(receiver) if type(receiver) is not cst.Call else None
    if name is not None:
        if name.startswith("self.") and name.count(".") == 1:  # `self.evaluator = Evaluator(model)`
            values = attribute_values(ctx, ctx.enclosing_class(call), name[len("self.") :])
        else:
            values = ctx.bindings.values(name) if "." not in name else None
        constructor = values[0] if values and len(values) == 1 else None
    if type(constructor) is not cst.Call:
        return []
    return _holder_switches(ctx, constructor, [func.attr.value])


def modes_switched_through_handed_object(
    ctx: FileContext, call: cst.Call
) -> list[tuple[str, cst.BaseExpression, bool]]:
    """The mode switches a project function of another module makes on a network by calling a method of an
    object built on it that the call hands over: `evaluate_beam_search(generator, loader)` with
    `generator = SequenceGenerator(model, ...)` in the caller, where evaluate.py calls
    `generator.beam_search(...)` and `beam_search` calls `self.model.eval()` (memray's keyphrase
    trainer); an evaluation function (by its own file's `evaluation`) evaluates what it switched. The
    methods called are the parameter's `uses_of` (None, unknown, when the function stores the
    object, hands it to something unresolved or reads it in a nested function: no answer); each answer is
    as `modes_switched_through_object`'s, and a network both methods switch to different modes is left
    out (the order is not known). Asked only of a call passing a plain name bound once, in this file, to a
    constructor given a model. The function may be of this file (the loop collector inlines its events,
    where the method's switch is not seen: it is added at the call)."""
    holders: list[tuple[cst.Arg, cst.Call]] = []
    for arg in call.args:
        if arg.star or type(arg.value) is not cst.Name:
            continue
        values = ctx.bindings.values(arg.value.value)
        constructor = values[0] if values and len(values) == 1 else None
        if type(constructor) is cst.Call and any(
            not inner.star and ctx.roles.has(inner.value, Role.MODEL) for inner in constructor.args
        ):
            holders.append((arg, constructor))
    if not holders:
        return []  # cheap: no object built on a model is handed over
    summary = summary_of_call(ctx, call)
    if summary is None:
        return []
    passed = summary.arguments(call) or {}
    found: list[tuple[str, cst.BaseExpression, bool]] = []
    if summary.ctx is ctx:  # this file's evaluation analysis needs the loops being collected: by name
        evaluation = bool(set(words(summary.function.name.value)) & vocab.EVAL_FUNCTION_WORDS)
    else:
        evaluation = summary.ctx.evaluation.is_eval_function(summary.function)
    for arg, constructor in holders:
        parameters = [name for name, value in passed.items() if value is arg.value]
        uses = summary.uses_of(parameters[0]) if len(parameters) == 1 else None
        methods = sorted(use[: -len("()")] for use in uses or () if use.endswith("()") and "." not in use)
        if methods:
            switches = _holder_switches(ctx, constructor, methods)
            # An evaluation function (`evaluate_beam_search`) runs the network it switched as an evaluation.
            found.extend((mode, value, evaluates or evaluation) for mode, value, evaluates in switches)
    modes: dict[int, set[str]] = {}
    for mode, value, _ in found:
        modes.setdefault(id(value), set()).add(mode)
    return [answer for answer in found if len(modes[id(answer[1])]) == 1]


def _holder_switches(
    ctx: FileContext, constructor: cst.Call, methods: list[str]
) -> list[tuple[str, cst.BaseExpression, bool]]:
    """The mode switches the named methods of the project class (of another module) that `constructor`
    builds make on the networks its `__init__` keeps straight from the constructor's model arguments
    (`self.model = model`): (mode, the constructor's argument, whether the method then evaluates it)."""
    models = [arg.value for arg in constructor.args if not arg.star and ctx.roles.has(arg.value, Role.MODEL)]
    if not models:
        return []
    cls = resolve_call(ctx, constructor)
    if cls is None or cls.ctx is ctx or not isinstance(cls.node, cst.ClassDef):
        return []  # a class of this file: the loop collector follows its methods itself
    init = method_of(cls, "__init__")
    if init is None or not isinstance(init.node, cst.FunctionDef) or init.ctx is not cls.ctx:
        return []
    init_summary = cls.ctx.summaries.of(init.node)
    if init_summary is None:
        return []
    passed = init_summary.arguments(constructor) or {}
    kept = _kept_parameters(init.node, init_summary.parameters)
    found: list[tuple[str, cst.BaseExpression, bool]] = []
    for name in methods:
        method = method_of(cls, name)
        if method is None or not isinstance(method.node, cst.FunctionDef) or method.ctx is not cls.ctx:
            continue
        switched = cls.ctx.summaries.of(method.node)
        for attr, (mode, evaluates) in (switched.self_modes if switched is not None else {}).items():
            parameter = kept.get(attr)
            value = passed.get(parameter) if parameter is not None else None
            if value is not None and any(value is model for model in models):
                found.append((mode, value, evaluates))
    return found


def _kept_parameters(init: cst.FunctionDef, parameters: frozenset[str]) -> dict[str, str]:
    """The attributes `__init__` binds straight from one of its parameters (`self.model = model`)."""
    found: dict[str, str] = {}
    for node in own_nodes(init):
        if (
            type(node) is not cst.Assign
            or type(node.value) is not cst.Name
            or node.value.value not in parameters
        ):
            continue
        for target in node.targets:
            name = dotted_name(target.target) or ""
            if name.startswith("self.") and name[len("self.") :].isidentifier():
                found[name[len("self.") :]] = node.value.value
    return found


def runs_network_without_grad(ctx: FileContext, function: cst.FunctionDef) -> bool:
    """Whether a method runs its object's networks only through methods that turn recording off themselves:
    a wrapper's `forward` that hands its inputs to `self.model.generate(...)` (transformers' `generate` is
    `@torch.no_grad()`; chronos-forecasting's `ChronosModel`), and no other call of its own networks or
    layers (`_runs_own_network`, `_layer_calls`) and no training step. Calling such a module records no
    graph, whatever grad mode its caller is in."""
    from nnlint.engine.loops import EventKind

    if not any(f".{method}(" in ctx.source for method in vocab.SELF_NO_GRAD_METHODS):
        return False  # cheap: nothing in the method's file calls one
    events = ctx.loops.function_events(function)
    if {event.kind for event in events} & {EventKind.BACKWARD, EventKind.STEP, EventKind.TRAIN_STEP}:
        return False
    forwards = [event for event in events if event.kind is EventKind.FORWARD]
    generating = [
        event
        for event in forwards
        if isinstance(event.node, cst.Call)
        and isinstance(event.node.func, cst.Attribute)
        and event.node.func.attr.value in vocab.SELF_NO_GRAD_METHODS
        and (event.target or "").startswith("self.")
    ]
    if not generating or any(_runs_own_network(event) for event in forwards):
        return False
    return not _layer_calls(ctx, function)


def _runs_own_network(event: Event) -> bool:
    """A forward event that calls the object itself or a network it holds (`self(x)`, `self.net(x)`,
    `self.net.forward(x)`), not one that only hands it over, nor `generate` (which turns recording off)."""
    from nnlint.engine.names import keyed_name

    target, node = event.target or "", event.node
    if not (target == "self" or target.startswith("self.")) or not isinstance(node, cst.Call):
        return False
    if isinstance(node.func, cst.Attribute) and node.func.attr.value in vocab.SELF_NO_GRAD_METHODS:
        return False
    called = keyed_name(node.func)
    return called is not None and (called == target or called.startswith(f"{target}."))


def _layer_calls(ctx: FileContext, function: cst.FunctionDef) -> list[Event]:
    """In a method of a model class (of this file, or through a project base class), the calls of its own
    submodules (`self.fc(x)` where every binding of `self.fc` in the class builds a `torch.nn` layer, not a
    criterion, or a project `nn.Module` class: `self.encoder = BiLSTMEncoder(config)`), as forward events:
    a submodule's call runs part of the model, so `decode(self, words)` that runs the embedder and the
    encoder runs the model, whatever the method is called. So does a call of one of its own forward
    passes on an input (`self.forward_owa(triples)` in pykeen's `predict_scores`, `self.forward_features(x)`):
    a module's `forward*` method computes its output, even where this file shows only the abstract stub
    that subclasses of other modules override."""
    from nnlint.engine.loops import Event, EventKind

    cls = ctx.enclosing_class(function)
    if cls is None or not (
        ctx.roles.is_local_model_class(cls.name.value) or (cls.bases and is_model_class(Resolved(ctx, cls)))
    ):
        return []
    found = []
    for node in own_nodes(function):
        if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Attribute):
            continue
        if dotted_name(node.func.value) != "self" or ctx.roles.has(node.func, Role.CRITERION):
            continue
        if node.args and node.func.attr.value.startswith("forward"):
            found.append(Event(EventKind.FORWARD, node, node, target="self"))
            continue
        values = attribute_values(ctx, cls, node.func.attr.value)
        if values and all(_builds_submodule(ctx, value) for value in values):
            found.append(Event(EventKind.FORWARD, node, node, target="self"))
    return found


def computes_with_parameters(ctx: FileContext, function: cst.FunctionDef) -> SelfForward | None:
    """For a method of a model class that runs none of its layers (`Summary.on_self` is None), whether it
    computes with its own layers' weights instead, and so records a graph of them when recording is on:
    MMCLR's `full_predict` scores `self.userEmbeddingLayer.weight[users] @ self.itemEmbeddingLayer.weight.T`
    where every binding of each builds a `torch.nn` layer (`_builds_submodule`). Only a read of `weight`
    used as a value counts (`self.fc.weight.data`, `.shape`, `.detach()` and a call's argument, such as an
    initializer's, do not). The answer says whether the method chose the grad mode of every such read;
    it switches no mode (the weights do not depend on it). None when there is no such read."""
    if ".weight" not in ctx.source:
        return None  # cheap: no weight read in the file
    cls = ctx.enclosing_class(function)
    if cls is None or not (
        ctx.roles.is_local_model_class(cls.name.value) or (cls.bases and is_model_class(Resolved(ctx, cls)))
    ):
        return None
    reads = []
    for node in own_nodes(function):
        if type(node) is not cst.Attribute or node.attr.value != "weight":
            continue
        owner = node.value
        if type(owner) is not cst.Attribute or dotted_name(owner.value) != "self":
            continue
        parent = ctx.index.parent(node)
        if type(parent) in (cst.Attribute, cst.Arg, cst.AssignTarget):
            continue
        values = attribute_values(ctx, cls, owner.attr.value)
        if values and all(_builds_submodule(ctx, value) for value in values):
            reads.append(node)
    if not reads:
        return None
    return SelfForward(None, all(ctx.grad_mode.chooses(node, function) for node in reads))


def _builds_submodule(ctx: FileContext, value: cst.BaseExpression) -> bool:
    """A value that builds a network a model holds: a `torch.nn` layer (not a criterion), or a project
    class that derives from `nn.Module` (a library's class, a registry or a factory: unknown)."""
    if not isinstance(value, cst.Call):
        return False
    callee = ctx.callee(value) or ""
    if callee.startswith("torch.nn."):
        return True
    if callee.startswith(vocab.LIBRARY_PREFIXES):
        return False
    built = resolve_call(ctx, value)
    return built is not None and isinstance(built.node, cst.ClassDef) and is_model_class(built)


# -- gradient clearers ------------------------------------------------------------------------------------


def _cleared(ctx: FileContext, function: cst.FunctionDef, depth: int) -> str | None:
    """What `FunctionSummaries.clears` answers, computed: the cheap disqualifiers (a training call, a
    condition) first, then the clearing calls, resolving other calls only when nothing disqualified."""
    nodes = own_nodes(function)
    for node in nodes:
        if isinstance(node, cst.If) and not _grad_none_test(node.test):
            return None  # clears some gradients, or only sometimes (DINO's freeze of the last layer)
        if (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value in vocab.TRAINING_METHODS
        ):
            return None
    targets: set[str] = set()
    for node in nodes:
        if isinstance(node, cst.Assign) and clears_grad(ctx, node):
            targets.add("")
            continue
        if not isinstance(node, cst.Call):
            continue
        func = node.func
        method = func.attr.value if isinstance(func, cst.Attribute) else None
        if method == "zero_grad":
            targets.add(dotted_name(func.value) or "")  # type: ignore[union-attr]
        elif method == "zero_" and (dotted_name(func.value) or "").endswith((".grad", ".grad.data")):  # type: ignore[union-attr]
            targets.add("")
        elif depth < _MAX_DEPTH:
            called = resolve_call(ctx, node)
            if called is not None and isinstance(called.node, cst.FunctionDef):
                if called.ctx.summaries.clears(called.node, depth + 1) is not None:
                    targets.add("")  # cleared through another clearer: which object is not followed
    if len(targets) != 1:
        return "" if targets else None
    (target,) = targets
    return target if target.partition(".")[0] in _parameters(ctx, function)[1] else ""


def _grad_none_test(test: cst.BaseExpression) -> bool:
    """`p.grad is not None` / `p.grad is None`: a test that skips parameters with nothing to clear."""
    return (
        isinstance(test, cst.Comparison)
        and len(test.comparisons) == 1
        and isinstance(test.comparisons[0].operator, (cst.Is, cst.IsNot))
        and (dotted_name(test.left) or "").endswith(".grad")
        and isinstance(test.comparisons[0].comparator, cst.Name)
        and test.comparisons[0].comparator.value == "None"
    )


def clears_grad(ctx: FileContext, node: cst.Assign) -> bool:
    """Whether an assignment clears a gradient (`resets_grad`) where it stands: one under `if p.grad is
    None:` gives a missing gradient its first (zero) tensor, before an all-reduce or an offload, and
    clears nothing that is there."""
    if not resets_grad(node):
        return False
    child: cst.CSTNode = node
    for ancestor in ctx.index.ancestors(node):
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef, cst.Module)):
            return True
        if isinstance(ancestor, cst.If) and child is ancestor.body:
            test = ancestor.test
            return not (_grad_none_test(test) and isinstance(test.comparisons[0].operator, cst.Is))  # type: ignore[attr-defined]
        child = ancestor
    return True


def resets_grad(node: cst.Assign) -> bool:
    """`p.grad = None`, or `p.grad` given a fresh zero tensor (`torch.zeros_like(p)`, `g.new().resize_as_(g)
    .zero_()`, as 2017-era GAN and VAE scripts clear it): the manual forms of `zero_grad()`. A gradient set
    to any other value (gradient surgery, a hand-computed gradient) is not a clearing."""
    if not any(isinstance(t.target, cst.Attribute) and t.target.attr.value == "grad" for t in node.targets):
        return False
    value = node.value
    if isinstance(value, cst.Name):
        return value.value == "None"
    if not isinstance(value, cst.Call):
        return False
    spelled = dotted_name(value.func) or ""
    if spelled.rsplit(".", 1)[-1] in ("zeros_like", "zeros") and spelled.startswith("torch."):
        return True
    if isinstance(value.func, cst.Attribute) and value.func.attr.value == "zero_":
        return True
    # `Variable(g.new().resize_as_(g).zero_())`: a wrapper around the fresh zero tensor
    return (
        spelled in ("Variable", "torch.autograd.Variable", "autograd.Variable")
        and len(value.args) == 1
        and isinstance(value.args[0].value, cst.Call)
        and isinstance(value.args[0].value.func, cst.Attribute)
        and value.args[0].value.func.attr.value == "zero_"
    )


# -- what a function returns ------------------------------------------------------------------------------


def _returned_roles(summary: Summary) -> tuple[Role | None, tuple[Role | None, ...]]:
    values = returned_values(summary.function)
    if not values or any(value is None for value in values):
        return None, ()
    # `if loss is None: return 0`: an early exit with a constant says nothing about the other returns.
    values = [value for value in values if not _constant(value)] or values
    roles = {_role_of_returned(summary, value) for value in values if value is not None}
    whole = roles.pop() if len(roles) == 1 else None
    tuples = [value for value in values if isinstance(value, cst.Tuple)]
    if len(tuples) != len(values) or len({len(value.elements) for value in tuples}) != 1:
        return whole, ()
    positions: list[Role | None] = []
    for elements in zip(*(value.elements for value in tuples), strict=True):
        found = {
            _role_of_returned(summary, element.value) or _loss_part(summary, element.value)
            for element in elements
        }
        positions.append(found.pop() if len(found) == 1 else None)
    return whole, tuple(positions)


def _passed_through(summary: Summary) -> dict[int | None, str]:
    """What `Summary.passes_through` answers, computed (syntactic: the function's own returns and writes)."""
    values = _significant_returns(summary.function)
    if not values or any(value is None for value in values):
        return {}
    parameters = summary.parameters
    found: dict[int | None, str] = {}
    names = {value.value if type(value) is cst.Name else None for value in values}  # type: ignore[union-attr]
    if len(names) == 1 and (name := names.pop()) in parameters:
        found[None] = name  # type: ignore[assignment]
    # Positions are read from the tuple returns alone: a caller that unpacks the result gets one of them
    # (`return model` on the path without an optimizer, as CenterNet's `load_model`, would not unpack).
    tuples = [value for value in values if type(value) is cst.Tuple]
    if tuples and len({len(value.elements) for value in tuples}) == 1:  # type: ignore[union-attr]
        for position, elements in enumerate(zip(*(value.elements for value in tuples), strict=True)):  # type: ignore[union-attr]
            names = {element.value.value if type(element.value) is cst.Name else None for element in elements}
            if len(names) == 1 and (name := names.pop()) in parameters:
                found[position] = name  # type: ignore[assignment]
    if not found:
        return {}
    # A parameter the function rebinds (`model = model.module`) may give back another object: left out.
    # Calls that write into it (`model.load_state_dict(...)`) keep the object, and so its facts.
    rebound = set().union(*(_rebound_names(node) for node in own_nodes(summary.function)))
    return {position: name for position, name in found.items() if name not in rebound}


def _rebound_names(node: cst.CSTNode) -> set[str]:
    """The plain names a statement binds (`name = ...`, `for name in`, `with ... as name`), not the
    attributes or items it writes."""
    if isinstance(node, cst.Assign):
        return set().union(*(_target_names(target.target) for target in node.targets))
    if type(node) in (cst.AugAssign, cst.AnnAssign, cst.For):
        return _target_names(node.target)
    if isinstance(node, cst.WithItem) and node.asname is not None:
        return _target_names(node.asname.name)
    return set()


def _target_names(target: cst.BaseExpression) -> set[str]:
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        return {name for element in target.elements for name in _target_names(element.value)}
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    return set()


def passed_through(
    ctx: FileContext, call: cst.Call, position: int | None, name: str
) -> cst.BaseExpression | None:
    """The argument that `name = call` (`position` None) or the unpacking of `call` that binds `name` at
    `position` gets back, when the project function the call runs returns that parameter unchanged
    (`Summary.passes_through`): `model` for `model, optimizer, epoch = load_checkpoint(model, optimizer,
    path)`. Only a call that passes `name` itself is resolved (cheap gate: the idiom hands an object to a
    helper and takes it back under the same name)."""
    if not any(type(arg.value) is cst.Name and arg.value.value == name and not arg.star for arg in call.args):
        return None
    called = resolve_call(ctx, call)
    if called is None or not isinstance(called.node, cst.FunctionDef):
        return None
    summary = called.ctx.summaries.of(called.node)
    parameter = summary.passes_through.get(position) if summary is not None else None
    if parameter is None:
        return None
    return (summary.arguments(call) or {}).get(parameter)  # type: ignore[union-attr]


def picks_a_model(ctx: FileContext, call: cst.Call) -> bool:
    """Whether a call picks a model constructor from a namespace by name and runs it: `models.__dict__[
    arch](pretrained=True)` or `getattr(models, arch)(...)`, where `models` is torchvision's (every
    public callable builds a model) or a project package whose every exported callable is a model class
    or a function that returns a model (`Summary.returns_model`; `ProjectView.exported`): whichever name
    is picked, the result is a model. Its class stays unknown."""
    qualified = picked_namespace(ctx, call)
    if qualified is None:
        return False
    if qualified in vocab.MODEL_NAMESPACES:
        return True
    if qualified.startswith(vocab.LIBRARY_PREFIXES):
        return False
    located = ctx.project.find(qualified)
    package = ctx.project.read(located[0]) if located is not None and not located[1] else None
    return package is not None and package.summaries.builds_only_models()


def _significant_returns(function: cst.FunctionDef) -> list[cst.BaseExpression | None]:
    """The values of a function's returns, leaving out constants (`return None` after a failed load), or
    all of them when every one is a constant; None for a bare `return`."""
    values = returned_values(function)
    return [value for value in values if value is None or not _constant(value)] or values


def _constant(value: cst.BaseExpression | None) -> bool:
    return isinstance(value, (cst.Integer, cst.Float)) or (
        isinstance(value, cst.Name) and value.value == "None"
    )


def _role_of_returned(summary: Summary, value: cst.BaseExpression) -> Role | None:
    """The role of one returned value; a loss only while its graph is attached."""
    ctx = summary.ctx
    gradients = ctx.gradients
    if isinstance(value, cst.Name):
        bound = reaching_value(ctx, value.value, value)
        if bound is not None and gradients.is_detached(bound):
            return None
    if gradients.is_detached(value):
        return None
    if isinstance(value, cst.Name) and _bound_off_graph(summary, value.value):
        return None
    roots = _loss_roots(ctx, summary.function, value, 0)
    if any(summary.does(root, Effect.BACKWARD) for root in roots & summary.parameters):
        return Role.LOSS  # `loss.backward(); return loss * world_size`
    if isinstance(value, cst.Name) and _member_backpropagated(summary, value.value):
        return Role.LOSS  # `losses.total_loss.backward(); return losses`: the losses, graphs attached
    if isinstance(value, cst.Name) and _backpropagated_through(summary, value.value):
        return Role.LOSS  # `scaled = loss / k; scaled.backward(); return loss`
    role = ctx.roles.role_of(value)
    if role is None and isinstance(value, cst.Name) and _unpacked_loss_parts(summary, value.value):
        return Role.LOSS  # `loss, parts = self.loss_fn(...)`, `loss.backward()`, `return parts`
    if role is Role.LOSS and isinstance(value, (cst.Name, cst.Attribute)):
        # A loss name of the file: the graph is attached when this function builds it or backpropagates it.
        return Role.LOSS if _built_or_backpropagated(summary, value) else None
    return role


def _bound_off_graph(summary: Summary, name: str) -> bool:
    """Whether every binding the function makes of the local `name` leaves it without a graph: made under
    `no_grad` (verl's `validation_step`: `with torch.no_grad(): loss = self._compute_loss(batch)`, then
    `return loss`), or a new leaf tensor (`loss = torch.tensor(np.sum(losses)).to(device)`), or that value
    moved or scaled by something that is no loss (`loss = loss / dist.get_world_size()`). Such a function
    returns a number-like tensor, not a loss to backpropagate, whatever the name says."""
    if name in summary.parameters:
        return False
    bindings = _own_bindings(summary, name)
    if not bindings or any(binding.kind not in ("assign", "unpack", "augmented") for binding in bindings):
        return False
    gradients = summary.ctx.gradients
    return all(
        gradients.under_no_grad(binding.node) or _leaf_or_rescaled(summary, name, binding)
        for binding in bindings
    )


def _leaf_or_rescaled(summary: Summary, name: str, binding: Binding) -> bool:
    """A binding of `name` to a new leaf tensor (`torch.tensor(...)`, moved with `.to(device)`), or to `name`
    itself scaled by a value that is no loss (`name / world_size`, `name *= 0.5`)."""
    ctx = summary.ctx
    value = binding.value
    if binding.kind == "augmented":
        node = binding.node
        return (
            isinstance(node, cst.AugAssign)
            and type(node.operator) in (cst.DivideAssign, cst.MultiplyAssign)
            and not _may_carry_loss(summary, node.value)
        )
    if binding.kind != "assign" or value is None:
        return False
    if type(value) is cst.BinaryOperation and type(value.operator) in (cst.Divide, cst.Multiply):
        sides = (value.left, value.right)
        return any(dotted_name(side) == name for side in sides) and not any(
            _may_carry_loss(summary, side) for side in sides if dotted_name(side) != name
        )
    while (
        type(value) is cst.Call
        and type(value.func) is cst.Attribute
        and value.func.attr.value in vocab.LOSS_PRESERVING_METHODS
    ):
        value = value.func.value
    return (
        type(value) is cst.Call
        and ctx.callee(value) in vocab.GRAPHLESS_CONSTRUCTORS
        and not any(arg.keyword is not None and arg.keyword.value == "requires_grad" for arg in value.args)
    )


def _may_carry_loss(summary: Summary, expr: cst.BaseExpression) -> bool:
    """Whether a factor may carry a graph: anything but a number, a name or attribute with no loss or model
    role, or a library call (`dist.get_world_size()`, `len(batch)`)."""
    if isinstance(expr, (cst.Integer, cst.Float)):
        return False
    ctx = summary.ctx
    if isinstance(expr, (cst.Name, cst.Attribute)):
        return ctx.roles.role_of(expr) is not None
    if isinstance(expr, cst.Call):
        callee = ctx.callee(expr)
        if callee is not None and (callee.startswith(vocab.LIBRARY_PREFIXES) or callee in ("len",)):
            return False
    return True


def _backpropagated_through(summary: Summary, name: str) -> bool:
    """Whether the function backpropagates a value it computes from the local `name` (`_loss_roots`:
    arithmetic and graph-preserving calls, followed through its own bindings): joeynmt's `_train_batch`
    divides the loss by the accumulation count, backpropagates that copy and returns the loss it was
    computed from, its graph attached. A name that is a parameter is the caller's value, judged there."""
    if name in summary.parameters:
        return False
    ctx = summary.ctx
    for node in own_nodes(summary.function):
        operand = ctx.loops.backward_operand(node) if type(node) is cst.Call else None
        if operand is not None and name in _loss_roots(ctx, summary.function, operand, 0):
            return True
    return False


def _member_backpropagated(summary: Summary, name: str) -> bool:
    """Whether the function backpropagates a field or an item of a container it holds in a local name
    (`losses.total_loss.backward()`, `out["loss"].backward()`) and never writes that name again after
    (which could put a detached copy in): the container holds the loss with its graph."""
    from nnlint.engine.gradflow import statements_before, writes

    ctx = summary.ctx
    backward: cst.Call | None = None
    for node in own_nodes(summary.function):
        operand = ctx.loops.backward_operand(node) if type(node) is cst.Call else None
        if type(operand) in (cst.Attribute, cst.Subscript) and dotted_name(operand.value) == name:
            backward = node  # type: ignore[assignment]
    if backward is None:
        return False
    before = {id(node) for node in statements_before(summary.function.body, backward)}
    return not any(
        id(node) not in before and writes(node, name)
        for node in own_nodes(summary.function)
        if isinstance(node, (cst.Assign, cst.AugAssign, cst.AnnAssign, cst.For, cst.Call))
    )


def _built_or_backpropagated(summary: Summary, value: cst.Name | cst.Attribute) -> bool:
    ctx = summary.ctx
    name = dotted_name(value)
    for node in own_nodes(summary.function):
        if isinstance(node, cst.Call):
            operand = ctx.loops.backward_operand(node)
            if operand is not None and dotted_name(operand) == name:
                return True
        if isinstance(node, cst.Assign) and any(dotted_name(t.target) == name for t in node.targets):
            if ctx.roles.is_loss_expr(node.value) and not ctx.gradients.is_detached(node.value):
                return True
        if isinstance(node, cst.Assign) and len(node.targets) == 1 and type(node.value) is cst.Call:
            # `loss, loss_item = self.loss_fn(...)`: a position the project callee gives as a loss.
            target = node.targets[0].target
            if isinstance(target, (cst.Tuple, cst.List)):
                for position, element in enumerate(target.elements):
                    if dotted_name(element.value) == name:
                        return ctx.roles.element_role(node.value, position) is Role.LOSS
    return False


def _own_bindings(summary: Summary, name: str) -> list[Binding]:
    """The bindings of `name` made in the summarised function itself (not in a nested function)."""
    ctx = summary.ctx
    return [
        binding
        for binding in ctx.bindings.of(name)
        if ctx.index.enclosing(binding.node, cst.FunctionDef) is summary.function
    ]


def _unpacked_loss_parts(summary: Summary, name: str) -> bool:
    """Whether the local `name` is unpacked, once, from a project call as the dict of parts of a loss
    this function backpropagates (`_parts_of_backpropagated`)."""
    bindings = _own_bindings(summary, name)
    if len(bindings) != 1 or type(bindings[0].node) is not cst.Assign:
        return False
    node: cst.Assign = bindings[0].node  # type: ignore[assignment]
    target = node.targets[0].target if len(node.targets) == 1 else None
    if type(node.value) is not cst.Call or not isinstance(target, (cst.Tuple, cst.List)):
        return False
    positions = [i for i, element in enumerate(target.elements) if dotted_name(element.value) == name]
    return len(positions) == 1 and _parts_of_backpropagated(summary, node, positions[0])


def _parts_of_backpropagated(summary: Summary, node: cst.Assign, position: int) -> bool:
    """`loss, loss_item = self.loss_fn(...)`, then `loss.backward()` here, where the callee's `loss_item`
    is the dict whose values it sums into `loss` (`Summary.summed_into`): the dict of the loss's parts."""
    callee = summary_of_call(summary.ctx, node.value, summary.depth + 1)  # type: ignore[arg-type]
    into = callee.summed_into.get(position) if callee is not None else None
    if into is None:
        return False
    elements = node.targets[0].target.elements  # type: ignore[attr-defined]
    total = dotted_name(elements[into].value) if into < len(elements) else None
    return total is not None and _backpropagated_through(summary, total)


def _summed_into(summary: Summary) -> dict[int, int]:
    """See `Summary.summed_into`: one `return` of a tuple of names, one bound to a sum of another's values
    (each bound once in the function, the dict never written into)."""
    from nnlint.engine.gradflow import summed_values

    values = returned_values(summary.function)
    if len(values) != 1 or not isinstance(values[0], cst.Tuple):
        return {}
    names = [dotted_name(element.value) for element in values[0].elements]
    found: dict[int, int] = {}
    for position, name in enumerate(names):
        bound = _bound_once(summary, name) if name is not None and name.isidentifier() else None
        if bound is None:
            continue
        summed = summed_values(bound[0])
        if summed is not None and summed in names and _bound_once(summary, summed, bound[1]) is not None:
            found[names.index(summed)] = position
    return found


def _bound_once(
    summary: Summary, name: str, filled_until: cst.CSTNode | None = None
) -> tuple[cst.BaseExpression, cst.CSTNode] | None:
    """The value of the one plain assignment that binds `name` in the summarised function, and that
    assignment; None when there are other bindings or writes into it (`d[k] = v.item()`). With
    `filled_until`, writes before that node are allowed (`losses[name] = part` in a loop, then
    `total = sum(losses.values())`): they fill the dict the node reads."""
    from nnlint.engine.gradflow import statements_before, writes

    bindings = _own_bindings(summary, name)
    if len(bindings) != 1 or bindings[0].kind != "assign" or bindings[0].value is None:
        return None
    binding = bindings[0].node
    writers = [node for node in _own_nodes(summary) if node is not binding and _is_write(node)]
    writers = [node for node in writers if writes(node, name)]
    if writers and filled_until is not None:
        before = {id(node) for node in statements_before(summary.function.body, filled_until)}
        writers = [node for node in writers if id(node) not in before]
    return None if writers else (bindings[0].value, binding)


def _is_write(node: cst.CSTNode) -> bool:
    """A statement or call that may change what a dict holds (a store, or a mutating method's call)."""
    if isinstance(node, cst.Call):
        return isinstance(node.func, cst.Attribute) and node.func.attr.value in _DICT_MUTATORS
    return isinstance(node, (cst.Assign, cst.AugAssign, cst.AnnAssign))


_DICT_MUTATORS = frozenset({"update", "setdefault", "pop", "popitem", "clear", "__setitem__"})


def _loss_part(summary: Summary, value: cst.BaseExpression) -> Role | None:
    """A returned name that is a part of a loss built in the function (`loss = coarse + fine`), itself
    bound only from reductions or losses here (`coarse = dist(a, b).mean()`): a loss tensor too."""
    if not isinstance(value, cst.Name):
        return None
    ctx = summary.ctx
    roles = ctx.roles
    bindings = _own_bindings(summary, value.value)
    if not bindings or any(binding.kind != "assign" or binding.value is None for binding in bindings):
        return None
    for binding in bindings:
        bound = binding.value
        reduced = (
            isinstance(bound, cst.Call)
            and isinstance(bound.func, cst.Attribute)
            and bound.func.attr.value in vocab.REDUCTION_METHODS
        )
        if not (reduced or roles.is_loss_expr(bound)):  # type: ignore[arg-type]
            return None
    for node in own_nodes(summary.function):
        if isinstance(node, (cst.Assign, cst.AugAssign)):
            targets = (
                [target.target for target in node.targets] if isinstance(node, cst.Assign) else [node.target]
            )
            if any(roles.has(target, Role.LOSS) for target in targets) and value.value in read_names(
                node.value
            ):
                return Role.LOSS
    return None
