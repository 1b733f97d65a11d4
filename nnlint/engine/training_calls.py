"""Calls that train or run a model through a project method: a function or method whose one call runs a
backward and an optimizer step, and a wrapper's method whose one call runs the model's forward.

Image-restoration and GAN code bases (KAIR, BasicSR, pix2pix/CycleGAN and their descendants) train through
a model wrapper: the epoch loop calls `model.feed_data(batch)` and `model.optimize_parameters(step)`, and
only the wrapper's method shows `loss.backward()` and `self.optimizer.step()`. The wrapper usually comes
from a factory that picks a class by configuration (`model = define_Model(opt)`), so which class it is
cannot be known statically. What can be known is what the project's definitions of that method do: when
every one that does something (stubs of an abstract base left out) runs a training step, so does the call,
whichever class the object is.

Only calls whose receiver carries no role other than a model's are looked up this way (an optimizer's or
a scheduler's `step()` is no wrapper), and only project code counts: a library method stays unknown.

The same holds for forwards (`runs_forward`). An evaluation loop often runs the network through a method
of the object that holds it: `model.predict(batch_meta, batch_data)` of a plain wrapper class whose
`predict` calls `self.network(*inputs)`, or `model.infer(x)` of a model class whose `infer` runs its
encoder and decoder. When the project's definitions of that method run their object's forward
(`summaries.Summary.on_self`), the call is a forward of the receiver, in the mode and grad mode the method
itself sets, if any.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from nnlint import vocabulary as vocab
from nnlint.engine.bindings import method_of, reaching_value, resolve_call
from nnlint.engine.loops import EventKind, may_backpropagate
from nnlint.engine.names import dotted_name, words
from nnlint.engine.project import (
    LARGE_PROJECT_FILES,
    Resolved,
    modules_mentioning,
    paths_mentioning,
    project_mentions,
)
from nnlint.engine.roles import Role

if TYPE_CHECKING:
    from pathlib import Path

    from nnlint.engine.context import FileContext
    from nnlint.engine.summaries import SelfForward

# Words of a method name that switches modes (`train_start`, `val_start`, `set_eval_mode`).
_MODE_WORDS = frozenset({"train", "training"}) | vocab.EVAL_FUNCTION_WORDS | vocab.TEST_WORDS
# Methods of every module that run, move or save it: never a wrapper's training step.
_NEVER_A_STEP = vocab.MODEL_RUNNING_METHODS | vocab.SELF_RETURNING_METHODS | vocab.MODULE_METHODS
# Methods of every module, and mode switches: never a wrapper's forward.
_NEVER_A_FORWARD = (
    vocab.MODEL_RUNNING_METHODS | vocab.SELF_RETURNING_METHODS | vocab.MODULE_METHODS | {"eval", "train"}
)
# Functions whose events are being collected to answer `runs_training_step` (a recursion guard).
_EXAMINED: set[cst.FunctionDef] = set()
# Roles of receivers whose methods are library API, never a project wrapper's training step.
_LIBRARY_ROLES = frozenset(Role) - {Role.MODEL}


def runs_training_step(ctx: FileContext, function: cst.FunctionDef) -> bool:
    """Whether one call of `function` (of the file `ctx`) backpropagates and steps an optimizer, itself
    or through helpers and methods of its file (`self.netG_forward()`)."""
    if not may_backpropagate(ctx.source):
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
    working = backpropagating_candidates(ctx, call)
    return bool(working) and all(runs_training_step(module, method) for module, method in working)


def backpropagating_candidates(ctx: FileContext, call: cst.Call) -> list[tuple[FileContext, cst.FunctionDef]]:
    """The project definitions a method call on an object of unknown class may run, when one of the
    modules defining that name backpropagates: every non-stub method of that name in the project (empty
    for a bare name, a library module's function, `self.m()`, a receiver with a library role such as an
    optimizer, a module's own API, or a name no backpropagating module defines). The caller asks what
    every one of them does: whichever class the object is, the call does that too."""
    func = call.func
    if not isinstance(func, cst.Attribute) or ctx.qualified_name(func.value) is not None:
        return []  # a bare unknown name, or a library module's function
    receiver = ctx.dotted(func.value)
    if receiver is None or receiver == "self" or ctx.roles.of(receiver) & _LIBRARY_ROLES:
        return []
    name = func.attr.value
    if name in _NEVER_A_STEP:
        return []  # `model.forward(x)`, `model.cuda()`, `model.state_dict()`: a module's own API
    here = "backward" in ctx.source and f"def {name}(" in ctx.source
    if not here and not any(project_mentions(ctx, text, "backward") for text in method_definitions(name)):
        return []  # cheap: no module that defines it as a method backpropagates (nothing parsed)
    if not set(words(name)) & vocab.TRAINING_METHOD_WORDS:
        # A name not named for training (`image.save(path)` in diffusers, 105 modules defining `save`)
        # stands for no single wrapper when many modules define it: unknown, and nothing is parsed.
        defining = paths_mentioning(ctx, f"def {name}(")
        if defining is not None and len(defining) > _MAX_DEFINING_MODULES:
            return []
    return [(module, method) for module, method in project_methods(ctx, name) if not is_stub(method)]


def runs_forward(ctx: FileContext, call: cst.Call) -> SelfForward | None:
    """What a call does when it runs a forward of its receiver through a project method (module docstring):
    `model.predict(batch)` where the receiver's class's method (when a project class visibly built the
    object), or else every non-stub project definition of a method named for running a model on data
    (`predict`, `infer`, `encode`, ...), runs the object's forward and trains nothing. None for
    `self.method(...)` (the loop collector follows those itself), calls without arguments, a module's own
    API, a receiver that is no model or that a library built (`AutoModel.from_pretrained(...).encode(x)`:
    library code), and methods the project does not define."""
    from nnlint.engine.summaries import summary_of_call

    func = call.func
    if not call.args or type(func) is not cst.Attribute:
        return None
    name = func.attr.value
    receiver = ctx.dotted(func.value)
    if name in _NEVER_A_FORWARD or receiver is None or receiver == "self":
        return None
    if ctx.qualified_name(func.value) is not None:
        return None  # a library module's function
    # A receiver no name or constructor calls a model (stanza's `trainer.predict(b)` of a plain wrapper
    # that holds the network) is asked about too when the method is named for running a model on data,
    # but only its own project class decides: its method runs the network it holds, or not. One with
    # another role (an optimizer, a loader) is not asked.
    model = ctx.roles.has(func.value, Role.MODEL)
    named_to_run = bool(set(words(name)) & _FORWARD_METHOD_WORDS)
    if not model and (ctx.roles.of(receiver) or not named_to_run):
        return None
    if ctx.roles.of(receiver) & _LIBRARY_ROLES:
        return None
    summary = summary_of_call(ctx, call)
    if summary is not None:
        return summary.on_self_as_called(call)
    built = _builder(ctx, func.value, call)
    if built == _LIBRARY:
        return None  # built by a library call: its methods are the library's
    if isinstance(built, Resolved):
        if isinstance(built.node, cst.ClassDef):
            method = method_of(built, name)  # the object's class decides, not the project's other classes
            if method is not None and isinstance(method.node, cst.FunctionDef):
                return method.ctx.summaries.of(method.node).on_self_as_called(call)  # type: ignore[union-attr]
            return None
    if not model:
        return None  # an object of unknown class that nothing says is a model: not looked up
    # An object of unknown class (a parameter, a registry's product): a method is looked up in the whole
    # project only under a name few modules define, and, unless it is named for running the model on data,
    # only when every definition is a method of a project `nn.Module` class (`model.decode(**batch)` of a
    # CRF tagger whose `decode` runs its encoder): a model's own method that runs its submodules is a
    # forward, whatever it is called; a plain object's `run(x)` is not looked up.
    # Any other name is looked up in the other modules of a project of at most `LARGE_PROJECT_FILES` files:
    # each name reads every file's text once (torch's tree has 2,300).
    limit = None if named_to_run else LARGE_PROJECT_FILES
    defining = paths_mentioning(ctx, f"def {name}(", max_files=limit)
    if not defining and f"def {name}(" not in ctx.source:
        return None  # cheap: no module of the project defines the method (nothing parsed)
    zoo = False
    if defining is not None and len(defining) > (
        _MAX_DEFINING_MODULES if named_to_run else _MAX_MODEL_METHOD_MODULES
    ):
        # A name too common to stand for one wrapper's method (`encode`, `predict` in a zoo), unless the
        # keywords the call passes single out the few definitions that accept them, or, for a call that
        # passes none, every module that defines it is a model module of a zoo (`_zoo_modules`).
        working = _accepting_keywords(ctx, call, name, limit)
        keywords = any(arg.keyword is not None for arg in call.args)
        if not working and not keywords and _zoo_modules(ctx, name, defining, named_to_run):
            zoo = True
            working = [(m, method) for m, method in project_methods(ctx, name, limit) if not is_stub(method)]
    else:
        working = [(m, method) for m, method in project_methods(ctx, name, limit) if not is_stub(method)]
    if not working:
        return None
    if (limit is not None or zoo) and not all(_of_model_class(module, method) for module, method in working):
        return None
    found = {
        _zoo_member(module, method) if zoo else module.summaries.of(method).on_self_as_called(call)  # type: ignore[union-attr]
        for module, method in working
    }
    return found.pop() if len(found) == 1 else None


def _zoo_member(module: FileContext, method: cst.FunctionDef) -> SelfForward | None:
    """What one model class's definition of a zoo's method does to its object (`_zoo_modules`): it runs
    its layers (`Summary.on_self`), or, where it runs none, computes the answer from its layers' weights
    (`summaries.computes_with_parameters`: an embedding recommender's scores), which records a graph just
    the same unless the method turned recording off."""
    from nnlint.engine.summaries import computes_with_parameters

    summary = module.summaries.of(method)
    runs = summary.on_self if summary is not None else None
    return runs if runs is not None else computes_with_parameters(module, method)


def _accepting_keywords(
    ctx: FileContext, call: cst.Call, name: str, limit: int | None
) -> list[tuple[FileContext, cst.FunctionDef]]:
    """The project's non-stub methods called `name` that accept, by name, every keyword the call passes
    (`model.predict(states, is_legal=True)`: of the seventeen `predict` methods of stanza, the one of the
    constituency parser), when at most `_MAX_DEFINING_MODULES` modules define one: a method that has no
    such parameter cannot be the one called (a `**kwargs` catch-all is no evidence). Empty when the call
    passes no keyword, or too many modules still qualify. Only the modules whose text names every keyword
    are parsed."""
    keywords = [arg.keyword.value for arg in call.args if arg.keyword is not None]
    if not keywords:
        return []
    defining = paths_mentioning(ctx, f"def {name}(", *keywords, max_files=limit)
    if defining is None or len(defining) > _MAX_DEFINING_MODULES:
        return []
    modules = [ctx, *(modules_mentioning(ctx, f"def {name}(", *keywords, max_files=limit) or ())]
    found: list[tuple[FileContext, cst.FunctionDef]] = []
    for module in modules:
        for function in module.functions.get(name, ()):
            owner = module.index.enclosing(function, (cst.FunctionDef, cst.ClassDef))
            if not isinstance(owner, cst.ClassDef):
                continue
            params = function.params
            named = {param.name.value for param in (*params.params, *params.kwonly_params)}
            if set(keywords) <= named and not is_stub(function):
                found.append((module, function))
    return found


def _zoo_modules(ctx: FileContext, name: str, defining: list[Path], named_to_run: bool) -> bool:
    """Whether a method named for running a model on data that more than `_MAX_DEFINING_MODULES` modules
    define may still be looked up: a model zoo whose trainer runs whichever model a setting picks through
    one method every model class defines (SSLRec's `Metric.eval(model, loader)` calling
    `model.full_predict(batch)`, defined by its 22 recommenders and their stub base class). Only up to
    `_MAX_ZOO_MODULES` modules, and only when every one of them imports torch and defines the name as a
    method (indented): a cheap text gate before any is parsed (a subclass of another model module, such
    as SimGCL of LightGCN, need not name `nn.Module`). The caller then asks that every definition be a
    method of a project `nn.Module` class and that they all agree."""
    if not named_to_run or len(defining) > _MAX_ZOO_MODULES:
        return False
    as_method: set[Path] = set()
    for text in method_definitions(name):
        as_method.update(paths_mentioning(ctx, text) or ())
    of_torch = paths_mentioning(ctx, f"def {name}(", "torch") or ()
    return set(defining) <= as_method & set(of_torch)


def _of_model_class(ctx: FileContext, method: cst.FunctionDef) -> bool:
    """Whether a method belongs to a project class that derives from `nn.Module`."""
    from nnlint.engine.summaries import is_model_class

    cls = ctx.enclosing_class(method)
    return cls is not None and bool(cls.bases) and is_model_class(Resolved(ctx, cls))


_LIBRARY = "library"
# Words of a method name that runs a model on data (`predict`, `infer`, `predict_batch`, `encode_images`):
# the methods of an object of unknown class that are looked up in the project.
_FORWARD_METHOD_WORDS = (
    vocab.INFERENCE_WORDS
    | vocab.EVAL_FUNCTION_WORDS
    | vocab.TEST_WORDS
    | frozenset({"encode", "embed", "extract", "classify", "detect", "segment", "translate", "score"})
)
# Above this many modules defining a method of that name, a call of it on an object of unknown class is
# not looked up: so many classes share the name that no single wrapper is meant (and reading them all costs).
_MAX_DEFINING_MODULES = 6
# A name not named for running a model is looked up only when every definition is a method of a project
# `nn.Module` class, all agreeing: a zoo of model classes picked by a setting each defining the same
# method (news-recommendation's eight recommenders, each with `get_news_vector`) is one forward, however
# many of them there are; past this many modules reading them all costs too much.
_MAX_MODEL_METHOD_MODULES = 12
# A method named for running a model that every module of a model zoo defines (`_zoo_modules`) is looked up
# in at most this many modules: past it, parsing them all costs more than the answer is worth.
_MAX_ZOO_MODULES = 32


def _builder(ctx: FileContext, receiver: cst.BaseExpression, at: cst.CSTNode) -> Resolved | str | None:
    """What built the object a name holds where `at` runs, through `.to()`-like chains: the project class
    (`model = Wrapper().cuda()`), a project factory function (`models.make(spec)`, whose class is unknown),
    or `_LIBRARY` for a library call (`AutoModel.from_pretrained(...)`); None when no call visibly built
    it."""
    if not isinstance(receiver, cst.Name):
        return None
    value = reaching_value(ctx, receiver.value, at)
    while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):
        if value.func.attr.value not in vocab.SELF_RETURNING_METHODS:
            break
        value = value.func.value
    if not isinstance(value, cst.Call):
        return None
    target = resolve_call(ctx, value)
    if target is not None:
        return target
    return _LIBRARY if ctx.callee(value) is not None else None


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


def method_definitions(name: str) -> tuple[str, str]:
    """The texts that define a method `name`: a method sits in a class body, so its `def` follows
    indentation (a space or a tab), while a module-level function's starts its line. Asking for these
    instead of `def name(` keeps the project's scripts out: every diffusers training script defines a
    module-level `parse_args()`, and a script's `parser.parse_args()` parsed all of them (105 modules,
    20 s) to find no method (huggingface/diffusers examples/research_projects/intel_opts)."""
    return f" def {name}(", f"\tdef {name}("


def project_methods(
    ctx: FileContext, name: str, max_files: int | None = None
) -> list[tuple[FileContext, cst.FunctionDef]]:
    """Every method called `name` defined in a class of the project (this file included); only this file's
    in a project of more than `max_files` Python files (`project.paths_mentioning`)."""
    modules = {id(ctx): ctx}
    for text in method_definitions(name):
        modules.update((id(m), m) for m in modules_mentioning(ctx, text, max_files=max_files) or ())
    found: list[tuple[FileContext, cst.FunctionDef]] = []
    for module in modules.values():
        for function in module.functions.get(name, ()):
            if isinstance(module.index.enclosing(function, (cst.FunctionDef, cst.ClassDef)), cst.ClassDef):
                found.append((module, function))
    return found


def is_stub(function: cst.FunctionDef) -> bool:
    """A body that does nothing (`pass`, `...`, a docstring, `return None`) or only raises: an abstract
    placeholder (LM-LSTM-CRF's template `apply_model` of its base predictor returns None)."""
    body = function.body
    statements = list(body.body) if isinstance(body, cst.IndentedBlock) else [body]
    for statement in statements:
        if not isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            return False
        for small in statement.body:
            if isinstance(small, (cst.Pass, cst.Raise)):
                continue
            if isinstance(small, cst.Return) and (small.value is None or dotted_name(small.value) == "None"):
                continue
            if isinstance(small, cst.Expr) and isinstance(small.value, (cst.SimpleString, cst.Ellipsis)):
                continue
            return False
    return True
