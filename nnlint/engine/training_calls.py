"""Calls that train: a project function or method whose one call runs a backward and an optimizer step.

Image-restoration and GAN code bases (KAIR, BasicSR, pix2pix/CycleGAN and their descendants) train through
a model wrapper: the epoch loop calls `model.feed_data(batch)` and `model.optimize_parameters(step)`, and
only the wrapper's method shows `loss.backward()` and `self.optimizer.step()`. The wrapper usually comes
from a factory that picks a class by configuration (`model = define_Model(opt)`), so which class it is
cannot be known statically. What can be known is what the project's definitions of that method do: when
every one that does something (stubs of an abstract base left out) runs a training step, so does the call,
whichever class the object is.

Only calls whose receiver carries no role other than a model's are looked up this way (an optimizer's or
a scheduler's `step()` is no wrapper), and only project code counts: a library method stays unknown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from nnlint import vocabulary as vocab
from nnlint.engine.bindings import resolve_call
from nnlint.engine.loops import EventKind
from nnlint.engine.names import dotted_name, words
from nnlint.engine.project import modules_mentioning, project_mentions
from nnlint.engine.roles import Role

if TYPE_CHECKING:
    from nnlint.engine.context import FileContext

# Words of a method name that switches modes (`train_start`, `val_start`, `set_eval_mode`).
_MODE_WORDS = frozenset({"train", "training"}) | vocab.EVAL_FUNCTION_WORDS | vocab.TEST_WORDS
# Methods of every module that run, move or save it: never a wrapper's training step.
_NEVER_A_STEP = vocab.MODEL_RUNNING_METHODS | vocab.SELF_RETURNING_METHODS | vocab.MODULE_METHODS
# Functions whose events are being collected to answer `runs_training_step` (a recursion guard).
_EXAMINED: set[cst.FunctionDef] = set()
# Roles of receivers whose methods are library API, never a project wrapper's training step.
_LIBRARY_ROLES = frozenset(Role) - {Role.MODEL}


def runs_training_step(ctx: FileContext, function: cst.FunctionDef) -> bool:
    """Whether one call of `function` (of the file `ctx`) backpropagates and steps an optimizer, itself
    or through helpers and methods of its file (`self.netG_forward()`)."""
    if "backward" not in ctx.source:
        return False  # cheap: no backward anywhere in its file
    if function in _EXAMINED:
        return False  # asked again while its events are collected (a step method calling itself): unknown
    _EXAMINED.add(function)
    try:
        events = ctx.loops.function_events(function)
    finally:
        _EXAMINED.discard(function)
    kinds = {event.kind for event in events}
    return EventKind.BACKWARD in kinds and EventKind.STEP in kinds


def trains(ctx: FileContext, call: cst.Call) -> bool:
    """Whether a call runs a training step: a project function or method that does (`runs_training_step`),
    or a method of an object of unknown class whose every non-stub definition in the project does."""
    target = resolve_call(ctx, call)
    if target is not None:
        return isinstance(target.node, cst.FunctionDef) and runs_training_step(target.ctx, target.node)
    func = call.func
    if not isinstance(func, cst.Attribute) or ctx.qualified_name(func.value) is not None:
        return False  # a bare unknown name, or a library module's function
    receiver = ctx.dotted(func.value)
    if receiver is None or receiver == "self" or ctx.roles.of(receiver) & _LIBRARY_ROLES:
        return False
    name = func.attr.value
    if name in _NEVER_A_STEP:
        return False  # `model.forward(x)`, `model.cuda()`, `model.state_dict()`: a module's own API
    here = "backward" in ctx.source and f"def {name}(" in ctx.source
    if not here and not project_mentions(ctx, f"def {name}(", "backward"):
        return False  # cheap: no module that defines it backpropagates (nothing parsed)
    definitions = project_methods(ctx, name)
    working = [(module, method) for module, method in definitions if not _stub(method)]
    return bool(working) and all(runs_training_step(module, method) for module, method in working)


def switched_mode(ctx: FileContext, call: cst.Call) -> str | None:
    """`"eval"` or `"train"` when a method call with no arguments on a model-like object runs a project
    method that only switches its object's modules to that mode (`model.val_start()` where VSE defines
    `def val_start(self): self.img_enc.eval(); self.txt_enc.eval()`), whichever class the object is: every
    project definition of that name does the same. Only names that say train, eval, val or test (with
    another word: `train_start`, `set_eval_mode`) are looked up, so most calls cost nothing."""
    func = call.func
    if call.args or not isinstance(func, cst.Attribute):
        return None
    name = func.attr.value
    named = set(words(name))
    if name in ("train", "eval") or len(named) < 2 or not named & _MODE_WORDS:
        return None
    target = resolve_call(ctx, call)
    if target is not None:
        definitions = [(target.ctx, target.node)] if isinstance(target.node, cst.FunctionDef) else []
    else:
        definitions = project_methods(ctx, name)
    modes = {_only_switches(function) for _, function in definitions}
    return modes.pop() if len(modes) == 1 else None


def _only_switches(function: cst.FunctionDef) -> str | None:
    """The mode a method's body switches `self`'s modules to, when it does nothing else (a docstring
    aside): `self.img_enc.eval()` statements, all to the same mode; None otherwise."""
    body = function.body
    statements = list(body.body) if isinstance(body, cst.IndentedBlock) else [body]
    modes: set[str] = set()
    for statement in statements:
        if not isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            return None
        for small in statement.body:
            if isinstance(small, cst.Expr) and isinstance(small.value, cst.SimpleString):
                continue
            value = small.value if isinstance(small, cst.Expr) else None
            func = value.func if isinstance(value, cst.Call) else None
            receiver = dotted_name(func.value) if isinstance(func, cst.Attribute) else None
            if func is None or receiver is None or not receiver.startswith("self."):
                return None
            if func.attr.value == "eval" and not value.args:  # type: ignore[union-attr]
                modes.add("eval")
            elif func.attr.value == "train" and not value.args:  # type: ignore[union-attr]
                modes.add("train")
            else:
                return None
    return modes.pop() if len(modes) == 1 else None


def project_methods(ctx: FileContext, name: str) -> list[tuple[FileContext, cst.FunctionDef]]:
    """Every method called `name` defined in a class of the project (this file included)."""
    modules = [ctx, *(modules_mentioning(ctx, f"def {name}(") or ())]
    found: list[tuple[FileContext, cst.FunctionDef]] = []
    for module in modules:
        for function in module.functions.get(name, ()):
            if isinstance(module.index.enclosing(function, (cst.FunctionDef, cst.ClassDef)), cst.ClassDef):
                found.append((module, function))
    return found


def _stub(function: cst.FunctionDef) -> bool:
    """A body that does nothing (`pass`, `...`, a docstring) or only raises: an abstract placeholder."""
    body = function.body
    statements = list(body.body) if isinstance(body, cst.IndentedBlock) else [body]
    for statement in statements:
        if not isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            return False
        for small in statement.body:
            if isinstance(small, (cst.Pass, cst.Raise)):
                continue
            if isinstance(small, cst.Expr) and isinstance(small.value, (cst.SimpleString, cst.Ellipsis)):
                continue
            return False
    return True
