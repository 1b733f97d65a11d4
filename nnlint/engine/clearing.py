"""Which project functions clear gradients, summarised once per function, for calls the loop collector
cannot inline (the wider role summaries are in `summaries.py`).

The training-loop collector (nnlint.engine.loops) walks into the helpers of the checked file. A helper that
lives in another project module (`from .fp16_util import zero_grad`, then `zero_grad(self.model_params)` at
the top of every step) is opaque to it, so a loop that clears its gradients only through such a helper
looks as if it never cleared them. A summary answers the one question that matters there, computed once
per function (in the context of the file that defines it) however many calls reach it.

A gradient clearer is a function whose body clears gradients (`opt.zero_grad()`, `p.grad.zero_()`,
`p.grad = None`, or a call of another clearer), always and all of them, and neither backpropagates nor
steps. A helper that also trains is a training step, not a clearing; one whose clearing sits under a
condition (other than `if p.grad is not None`) clears only some gradients or only sometimes, like DINO's
`cancel_gradients_last_layer` (`p.grad = None` for the last layer during the first epochs), which freezes
a layer rather than clearing the step's gradients. Neither is summarised as a clearer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from nnlint.engine.index import children
from nnlint.engine.names import dotted_name

if TYPE_CHECKING:
    from nnlint.engine.context import FileContext

# Calls that make a function more than a clearing: it trains.
_TRAINING_METHODS = frozenset({"backward", "manual_backward", "step"})
# Nested scopes run later (or never): their statements are not the function's.
_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
# How many clearers calling clearers one summary follows.
_MAX_DEPTH = 4


@dataclass(frozen=True)
class Clearing:
    """A call that clears gradients. `target` is what it clears, in the caller's names (`optimizer` for
    `reset(optimizer)` of `def reset(opt): opt.zero_grad()`), or None when that is not one visible
    object (parameter by parameter, several objects, a global of the other module): then it clears what
    is stepped."""

    target: str | None


# What a function's own body clears: None for no clearer, else the cleared parameter or "" for unknown.
_Summary = str | None


class GradientClearers:
    """Summaries of the functions one file defines, each computed on first use."""

    def __init__(self, ctx: FileContext) -> None:
        self._ctx = ctx
        self._clears: dict[cst.FunctionDef, _Summary] = {}

    def clears(self, function: cst.FunctionDef, depth: int = 0) -> _Summary:
        """Whether `function` is a gradient clearer: None if not, else the parameter whose gradients it
        clears (`opt` for `opt.zero_grad()`), or "" when that is not a single parameter."""
        if function in self._clears:
            return self._clears[function]
        self._clears[function] = None  # a recursive call of itself clears nothing more
        summary = self._summarise(function, depth)
        self._clears[function] = summary
        return summary

    def _summarise(self, function: cst.FunctionDef, depth: int) -> _Summary:
        from nnlint.engine.bindings import resolve_call

        targets: set[str] = set()
        stack: list[cst.CSTNode] = [function.body]
        while stack:
            node = stack.pop()
            if isinstance(node, _SCOPES):
                continue
            if isinstance(node, cst.If) and not _grad_none_test(node.test):
                return None  # clears some gradients, or only sometimes (DINO's freeze of the last layer)
            stack.extend(children(node))
            if isinstance(node, cst.Assign) and _sets_grad_to_none(node):
                targets.add("")
                continue
            if not isinstance(node, cst.Call):
                continue
            func = node.func
            method = func.attr.value if isinstance(func, cst.Attribute) else None
            if method in _TRAINING_METHODS:
                return None
            if method == "zero_grad":
                targets.add(dotted_name(func.value) or "")  # type: ignore[union-attr]
            elif method == "zero_" and (dotted_name(func.value) or "").endswith((".grad", ".grad.data")):  # type: ignore[union-attr]
                targets.add("")
            elif depth < _MAX_DEPTH:
                called = resolve_call(self._ctx, node)
                if called is not None and isinstance(called.node, cst.FunctionDef):
                    if called.ctx.clearing.clears(called.node, depth + 1) is not None:
                        targets.add("")  # cleared through another clearer: which object is not followed
        if not targets:
            return None
        if len(targets) > 1:
            return ""
        (target,) = targets
        head = target.partition(".")[0]
        return target if head in _parameter_names(function) else ""


def clearing(ctx: FileContext, call: cst.Call) -> Clearing | None:
    """The clearing a call performs when it runs a project function that clears gradients (in this file or
    another project module), or None."""
    from nnlint.engine.bindings import resolve_call

    # A cheap gate before resolving (which may read another module): a clearer is named for what it does
    # (`zero_grad`, `clear_grads`, `reset_gradients`); its body then decides.
    spelled = (dotted_name(call.func) or "").rsplit(".", 1)[-1].lower()
    if not any(word in spelled for word in ("zero", "grad", "clear", "reset")):
        return None
    called = resolve_call(ctx, call)
    if called is None or not isinstance(called.node, cst.FunctionDef):
        return None
    function = called.node
    summary = called.ctx.clearing.clears(function)
    if summary is None:
        return None
    if not summary:
        return Clearing(None)
    head, dot, rest = summary.partition(".")
    argument = _argument_for(function, call, head, is_method=_is_method(called.ctx, function))
    named = dotted_name(argument) if argument is not None else None
    return Clearing(named + dot + rest if named else None)


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


def _sets_grad_to_none(node: cst.Assign) -> bool:
    return (
        isinstance(node.value, cst.Name)
        and node.value.value == "None"
        and any(isinstance(t.target, cst.Attribute) and t.target.attr.value == "grad" for t in node.targets)
    )


def _parameter_names(function: cst.FunctionDef) -> set[str]:
    params = function.params
    return {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)} - {"self"}


def _is_method(ctx: FileContext, function: cst.FunctionDef) -> bool:
    owner = ctx.index.enclosing(function, (cst.FunctionDef, cst.ClassDef))
    static = any(dotted_name(d.decorator) == "staticmethod" for d in function.decorators)
    return isinstance(owner, cst.ClassDef) and not static


def _argument_for(
    function: cst.FunctionDef, call: cst.Call, name: str, is_method: bool
) -> cst.BaseExpression | None:
    """The argument a call passes for parameter `name` (by keyword or position), or None."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    positional = [*function.params.posonly_params, *function.params.params]
    if is_method and positional:
        positional = positional[1:]  # `self` / `cls`, bound by the attribute call
    plain = [arg for arg in call.args if arg.keyword is None]
    for index, param in enumerate(positional):
        if param.name.value == name:
            if index < len(plain) and not any(arg.star for arg in plain[: index + 1]):
                return plain[index].value
            return None
    return None
