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

from nnlint.engine.bindings import resolve_call
from nnlint.engine.loops import EventKind
from nnlint.engine.project import modules_mentioning
from nnlint.engine.roles import Role

if TYPE_CHECKING:
    from nnlint.engine.context import FileContext

# Roles of receivers whose methods are library API, never a project wrapper's training step.
_LIBRARY_ROLES = frozenset(Role) - {Role.MODEL}


def runs_training_step(ctx: FileContext, function: cst.FunctionDef) -> bool:
    """Whether one call of `function` (of the file `ctx`) backpropagates and steps an optimizer, itself
    or through helpers and methods of its file (`self.netG_forward()`)."""
    if "backward" not in ctx.source:
        return False  # cheap: no backward anywhere in its file
    events = ctx.loops.function_events(function)
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
    definitions = project_methods(ctx, func.attr.value)
    working = [(module, method) for module, method in definitions if not _stub(method)]
    return bool(working) and all(runs_training_step(module, method) for module, method in working)


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
