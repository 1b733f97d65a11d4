"""Which names hold a model, an optimizer, a scheduler, a criterion, a loss, a data loader or a GradScaler.

Roles come from evidence in the file, strongest first: the constructor a name is bound from
(`opt = torch.optim.AdamW(...)`), what is done to it (`x.backward()` makes x a loss, `model.parameters()`
passed to an optimizer makes `model` a model), and, for function parameters only, the conventional name
(`def train(model, optimizer, loader)`), since a parameter has no constructor in sight. Names are tracked
as dotted strings (`optimizer`, `self.criterion`) per file, not per scope: training scripts reuse the same
names for the same things, and a per-scope analysis would cost more than it wins.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import Enum
from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst

from nnlint import vocabulary as vocab
from nnlint.engine.index import children
from nnlint.engine.names import dotted_name, moved_module, words
from nnlint.engine.project import (
    LARGE_PROJECT_FILES,
    only_classes_with_bases,
    only_if_mentions,
    only_if_text,
    this_file_only,
)
from nnlint.vocabulary import (
    LOSS_FUNCTIONS,
    MODEL_MODULE_BASES,
    MODULE_METHODS,
    MOVE_METHODS,
    OPTIMIZER_CLASS_WORDS,
    ROLE_PARAMETER_NAMES,
    SELF_RETURNING_METHODS,
)
from nnlint.vocabulary import MODEL_WRAPPERS as _MODEL_WRAPPERS

if TYPE_CHECKING:
    from nnlint.engine.context import FileContext
    from nnlint.engine.project import Resolved
    from nnlint.engine.summaries import Summary

# What a module that trains says (`loss.backward()`, `accelerator.backward(loss)`, `manual_backward(`): the
# roles of what another module's function returns are read only from such a module, and a checked file
# reads other modules for its roles only when it says it too (cost: a module that only names the word, in
# a comment or `register_full_backward_hook`, is not worth its whole analysis).
_BACKWARD_CALL = "backward("
# What a module whose function may return a model says (`nn.Module`, `nn.Sequential`, `torchvision`,
# `model = Net()`, `load_state_dict`): a module that says none of these is not read for a model factory.
_MODEL_WORDS = (
    b"Module",
    b"Sequential",
    b"model",
    b"Model",
    b"net",
    b"Net",
    b"torchvision",
    b"load_state_dict",
)


def _names_a_model(text: bytes) -> bool:
    """The text gate of `Roles._project_model` (`project.only_if_text`; one object, so answers are kept)."""
    return any(word in text for word in _MODEL_WORDS)


class Role(str, Enum):
    MODEL = "model"
    OPTIMIZER = "optimizer"
    SCHEDULER = "scheduler"
    CRITERION = "criterion"
    LOSS = "loss"
    LOADER = "loader"
    SCALER = "scaler"


# Roles a container (list, tuple, dict) of such objects passes on to its elements:
# `optimizers = [opt_g, opt_d]`, then `for opt in optimizers: opt.step()`.
_ELEMENT_ROLES = frozenset({"model", "optimizer", "scheduler", "criterion"})


# Factory helpers whose name says what they build: `model.configure_optimizers(...)` (nanoGPT),
# `build_optimizer(cfg, model)`, timm's `create_optimizer_v2(...)`, `make_scheduler(...)`.
_FACTORY_VERBS = r"(?:build|create|make|get|configure|init|setup)"
_FACTORY_ROLES = (
    (re.compile(rf"^{_FACTORY_VERBS}_optimi[sz]ers?(?:_v\d+)?$"), Role.OPTIMIZER),
    (re.compile(rf"^{_FACTORY_VERBS}_(?:lr_)?scheduler(?:_v\d+)?$"), Role.SCHEDULER),
)
# Project factories an inference script gets its network from: `build_or_load_model(name, path)`
# (3DUnetCNN), `build_lane_detection_model(args, n)` (pytorch-auto-drive), `get_model(cfg)`. Trusted only
# in a file that never trains, where nothing else says which object is the network (a training script has
# its optimizer and backward for that), and where a wrong guess costs nothing unless the script also
# runs the object over data as a model.
_MODEL_FACTORY = re.compile(
    r"^(?:build|create|make|get|load|init|setup)(?:_[a-z0-9]+)*_(?:model|net|network)$"
)
# A name that says it holds the network, for a model factory's tuple (`net, aug, _, w = build_..._model()`).
_NETWORK_NAME = re.compile(r"^(?:[a-z0-9]+_)*(?:model|net|network)$")


# The files whose roles are being built: a summary asked meanwhile must not ask them back (see summaries).
_BUILDING: set[FileContext] = set()
# Above this many other modules naming a function, what they pass for a parameter is not read to give the
# parameter a role (`Roles._from_callers`): a name that common is no one model's entry point.
_MAX_CALLER_MODULES = 6
# How many files' roles may be built inside one another (a summary of a module whose roles need a summary
# of another module...): deeper chains answer "unknown" rather than risk the interpreter's recursion limit.
_MAX_NESTED_BUILDS = 6


def building_roles() -> set[FileContext]:
    """Files whose `Roles` are being built right now (a function summary of one answers "unknown")."""
    return _BUILDING


# A callee picked by name from a namespace: `models.__dict__[arch](...)`, `getattr(models, arch)(...)`.
_PICKED_CALLEES = frozenset({cst.Subscript, cst.Call})
# Methods that list a module's parameters or submodules: a helper that calls one on its parameter hands back
# (part of) that module's parameters.
_MODULE_LISTS = frozenset({"parameters", "named_parameters", "modules", "named_modules"})
# Words of a parameter name that say it holds no model even when annotated `nn.Module` (a loss, a class).
_NOT_A_MODEL_WORDS = frozenset(
    {"loss", "criterion", "cls", "class", "type", "factory", "builder", "fn", "func"}
)
# A dotted name, as a forward-reference annotation spells one (`"nn.Module"`).
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
# Display types by identity (`isinstance` against libcst's ABC-based classes is slow on hot paths).
_SEQUENCE_DISPLAYS = frozenset({cst.Tuple, cst.List})
_CONTAINER_DISPLAYS = frozenset({cst.List, cst.Tuple, cst.Dict, cst.ListComp, cst.GeneratorExp, cst.DictComp})


def _parallel_pairs(
    target: cst.BaseExpression, value: cst.BaseExpression
) -> list[tuple[cst.BaseExpression, cst.BaseExpression]]:
    """`a, b = x, y` as `a = x` and `b = y` (nested alike); any other assignment as it is."""
    if (
        type(target) in _SEQUENCE_DISPLAYS
        and type(value) in _SEQUENCE_DISPLAYS
        and len(target.elements) == len(value.elements)  # type: ignore[attr-defined]
        and not any(type(e) is cst.StarredElement for e in (*target.elements, *value.elements))
    ):
        return [
            pair
            for element, item in zip(target.elements, value.elements, strict=True)
            for pair in _parallel_pairs(element.value, item.value)
        ]
    return [(target, value)]


def loads_pretrained_model(call: cst.Call) -> bool:
    """Whether a call is `X.from_pretrained(...)` loading a model's trained weights (Hugging Face's
    `AutoModel.from_pretrained(name)`), not a tokenizer, config or processor."""
    func = call.func
    return type(func) is cst.Attribute and func.attr.value == "from_pretrained" and _loads_model(call)


def loads_lightning_checkpoint(call: cst.Call) -> bool:
    """Whether a call is `X.load_from_checkpoint(...)`, Lightning's classmethod that builds a new module of
    class `X` and loads a checkpoint's trained weights into it (in training mode, as every new module: the
    caller sets the mode), not a data module's."""
    func = call.func
    return (
        type(func) is cst.Attribute
        and func.attr.value == "load_from_checkpoint"
        and _loads_model(call)
        and "data" not in (dotted_name(func.value) or "").lower()
    )


def _loads_model(call: cst.Call) -> bool:
    """Whether a `X.from_pretrained(...)` call loads a model, not a tokenizer, config or processor."""
    owner = call.func.value if isinstance(call.func, cst.Attribute) else None
    name = dotted_name(owner) if owner is not None else None
    return not (name and vocab.NOT_A_MODEL_NAME.search(name.rsplit(".", 1)[-1]))


def picked_namespace(ctx: FileContext, call: cst.Call) -> str | None:
    """The qualified name of the namespace a call picks its callee from by name and runs:
    `models.__dict__[arch](...)` or `getattr(optim, name)(...)` (with the builtin `getattr`); None for
    any other call, or a namespace whose name cannot be told."""
    func = call.func
    owner: cst.BaseExpression | None = None
    if (
        type(func) is cst.Subscript
        and type(func.value) is cst.Attribute
        and func.value.attr.value == "__dict__"
    ):
        owner = func.value.value
    elif (
        type(func) is cst.Call
        and type(func.func) is cst.Name
        and func.func.value == "getattr"
        and len(func.args) == 2
        and not ctx.bindings.of("getattr")
    ):
        owner = func.args[0].value
    return ctx.qualified_name(owner) if owner is not None else None


def _role_of_picked(namespace: str | None) -> Role | None:
    """The role of whatever class a call picks by name from a namespace of torch's that holds only
    optimizers or only schedulers (`getattr(torch.optim, cfg.optimizer)(model.parameters())`, nni's
    trainers; `torch.optim.lr_scheduler.__dict__[name](optimizer)`)."""
    if namespace == "torch.optim":
        return Role.OPTIMIZER
    if namespace is not None and f"{namespace}." in vocab.LR_SCHEDULER_MODULES:
        return Role.SCHEDULER
    return None


def _role_of_factory(call: cst.Call) -> Role | None:
    func = call.func
    if type(func) is cst.Attribute:
        name = func.attr.value
    elif isinstance(func, cst.Name):
        name = func.value
    else:
        return None
    return next((role for pattern, role in _FACTORY_ROLES if pattern.match(name)), None)


def is_scheduler_class(qualified: str) -> bool:
    """Whether a qualified name is a learning-rate scheduler of torch (`torch.optim.lr_scheduler.*`,
    `torch.optim.swa_utils.SWALR`) or Hugging Face (`transformers.get_*_schedule*`): the one answer to
    "scheduler, not optimizer" for every part of the engine that reads a constructor."""
    return (
        qualified.startswith(vocab.LR_SCHEDULER_MODULES)
        or qualified in vocab.LR_SCHEDULER_CLASSES
        or (qualified.startswith("transformers.") and "schedule" in qualified.rsplit(".", 1)[-1])
    )


def _role_of_constructor(qualified: str) -> Role | None:
    last = qualified.rsplit(".", 1)[-1]
    if is_scheduler_class(qualified):
        return Role.SCHEDULER
    if qualified in vocab.WEIGHT_AVERAGING_MODELS:
        return Role.MODEL
    if qualified.startswith("torch.optim.") and last[:1].isupper():
        return Role.OPTIMIZER
    if any(word in last for word in OPTIMIZER_CLASS_WORDS) and last[:1].isupper():
        return Role.OPTIMIZER
    if qualified.startswith("torch.nn.") and last.endswith("Loss"):
        return Role.CRITERION
    if last == "DataLoader":
        return Role.LOADER
    if last == "GradScaler":
        return Role.SCALER
    if qualified.startswith(("torchvision.models.", "timm.create_model")) or (
        qualified.startswith("transformers.") and "Model" in qualified
    ):
        return Role.MODEL
    if qualified in ("torch.nn.Sequential", "torch.nn.ModuleList"):
        return Role.MODEL
    return None


def _unpacked_names(target: cst.Tuple | cst.List) -> list[str]:
    """The names an unpacking binds directly (`loss, parts` of `loss, parts = f(x)`)."""
    return [
        name
        for element in target.elements
        if type(element) is not cst.StarredElement and (name := dotted_name(element.value))
    ]


class Roles:
    """Role facts for one file: `roles.of("opt")`, `roles.has(expr, Role.LOSS)`, `roles.constructor(name)`."""

    def __init__(self, ctx: FileContext) -> None:
        self._ctx = ctx
        self._roles: dict[str, set[Role]] = {}
        self._constructors: dict[str, cst.Call] = {}
        # Roles of the elements of containers: `self.optimizers = [...]` -> {"self.optimizers": {OPTIMIZER}}.
        self._elements: dict[str, set[Role]] = {}
        self._local_models = self._local_model_classes()
        # Classes of this file with a base of another module, by whether that makes them modules
        # (`is_model_self`; resolved on the first question about their `self`).
        self._project_model_classes: dict[cst.ClassDef, bool] = {}
        self._project_calls: dict[cst.Call, object] = {}
        self._project_models: dict[cst.Call, object] = {}  # `_project_model`'s answers
        # Unpackings from calls of functions of files whose roles were being built (this one): their
        # summaries need these roles, so they are read on the first question after construction.
        self._deferred: list[tuple[cst.Tuple | cst.List, cst.Call]] = []
        # Names bound from calls whose role only a project definition can give (`model = build(cfg)`),
        # with those values in order: resolved on the first question about the name (`_resolve_pending`),
        # since resolving reads other modules and most names of a module are never asked about.
        self._pending: dict[str, list[cst.BaseExpression]] = {}
        # (name, id of value) of every entry of `_pending`: a name assigned thousands of times (generated
        # code) must not make each assignment scan its list (quadratic).
        self._pending_keys: set[tuple[str, int]] = set()
        # Unpackings from project calls (`loss, logits = compute(batch)`), by each name they bind.
        self._pending_unpacked: dict[str, list[tuple[cst.Tuple | cst.List, cst.Call]]] = {}
        # Parameters run like a model (`ner_model(x)`) that nothing here gives a role, with the functions
        # whose parameter they are: their callers are read on the first question about the name
        # (`_from_callers`), since that reads the modules that call them.
        self._pending_parameters: dict[str, list[tuple[cst.FunctionDef, cst.Param]]] = {}
        # While set, `_project_role` answers None and notes that it was asked (`_asked_project`).
        self._no_project = False
        self._asked_project = False
        # Whether a call runs a definition of this file, as `_project_role` asks it in each pass over the
        # assignments (the answer reads this file only, so it does not change between passes).
        self._calls_here: dict[cst.Call, bool] = {}
        self._models_of: dict[str, set[str]] = {}  # `models_of`'s answers, asked once per step event
        self._ready = False
        _BUILDING.add(ctx)
        try:
            self._from_parameters()
            # Two passes: a name bound from another name (`model = model.to(device)`) may be seen first.
            for _ in range(2):
                self._from_assignments()
                self._from_iteration()
            self._from_uses()
            self._from_base_classes()
            self._from_arguments()
        finally:
            _BUILDING.discard(ctx)
        self._ready = True

    def _settle(self) -> None:
        """Read the deferred unpackings (once; questions asked meanwhile see the roles without them)."""
        if self._ready and self._deferred:
            deferred, self._deferred = self._deferred, []
            for target, value in deferred:
                self._from_unpacked(target, value)

    # -- queries ---------------------------------------------------------------------------------

    def _resolve_pending(self, name: str) -> None:
        """Give a name the roles its pending values have (see `_pending`): what the definitions of other
        modules that they call return."""
        values = self._pending.pop(name, None) or []
        self._pending_keys.difference_update((name, id(value)) for value in values)
        unpacked = self._pending_unpacked.pop(name, None) or []
        if not values and not unpacked:
            return
        probing = self._no_project, self._asked_project  # asked while another value is probed
        self._no_project = False
        try:
            for value in values:
                self._bind(name, value, self._role_of_value(value))
            for target, call in unpacked:
                for other in _unpacked_names(target):
                    entries = self._pending_unpacked.get(other, [])
                    if any(entry[1] is call for entry in entries):
                        entries.remove(next(entry for entry in entries if entry[1] is call))
                self._from_unpacked(target, call)
        finally:
            self._no_project, self._asked_project = probing

    def _bind(self, name: str, value: cst.BaseExpression, role: Role | None) -> None:
        if role is None:
            return
        self._add(name, role)
        if isinstance(value, cst.Call) and role is not Role.LOSS:
            self._constructors.setdefault(name, value)
        elif role is Role.OPTIMIZER and (source := dotted_name(value)) in self._constructors:
            # `self.optimizer = optimizer` where the same function built the local (`optimizer =
            # optim.Adam(params)`, emmental's `_set_optimizer`): the same optimizer. Not a parameter of the
            # function that a constructor elsewhere in the file happens to share the name of.
            built = self._constructors[source]
            function = self._ctx.enclosing_function(value)
            if function is not None and self._ctx.enclosing_function(built) is function:
                self._constructors.setdefault(name, built)

    def of(self, name: str | None) -> set[Role]:
        self._settle()
        if name in self._pending or name in self._pending_unpacked:
            self._resolve_pending(name)  # type: ignore[arg-type]
        if self._ready and name in self._pending_parameters:
            self._from_callers(name)  # type: ignore[arg-type]
        return self._roles.get(name, set()) if name else set()

    def has(self, expr: cst.BaseExpression | str | None, role: Role) -> bool:
        """Whether a name or expression holds `role`. Given a node, also `self` inside a model class
        (the model itself), an element of a container of that role (`optimizers[0]`) and an element of a
        model (`model["generator"]`, `net[0]`: a ModuleDict's or Sequential's submodule, or one model of
        a dict of models)."""
        if expr is None or isinstance(expr, str):
            return role in self.of(expr)
        if role is Role.MODEL and self.is_model_self(expr):
            return True
        if type(expr) is cst.Subscript:
            container = dotted_name(expr.value) or ""
            if role is Role.MODEL and role in self.of(container):
                return True
            return role in self._elements.get(container, ())
        return role in self.of(dotted_name(expr))

    def is_model_self(self, expr: cst.BaseExpression) -> bool:
        """`self` written in a method of an nn.Module subclass of this file, directly or through a project
        base class of another module (ludwig's `ECD(LudwigModule)`, whose `predictions` runs
        `self(inputs)`): the model itself."""
        if not (type(expr) is cst.Name and expr.value == "self"):  # type: ignore[attr-defined]
            return False
        cls = self._ctx.enclosing_class(expr)
        if cls is None:
            return False
        if cls.name.value in self._local_models:
            return True
        if not cls.bases:
            return False
        known = self._project_model_classes.get(cls)
        if known is None:
            from nnlint.engine.project import Resolved
            from nnlint.engine.summaries import is_model_class

            known = self._project_model_classes[cls] = is_model_class(Resolved(self._ctx, cls))
        return known

    def elements(self, name: str | None) -> set[Role]:
        """The roles of the elements of a container name (`optimizers = [opt_g, opt_d]`)."""
        return self._elements.get(name, set()) if name else set()

    def names(self, role: Role, where: Callable[[str], bool] | None = None) -> set[str]:
        """The names that hold `role`; with `where`, only those it accepts. A name bound from a project
        call is resolved (which reads the modules the call leads to) only when `where` accepts it: a
        caller that can tell from a name's uses that its role would not change the answer (an optimizer
        that is stepped is never reported as never stepped) spares those reads."""
        self._settle()
        for name in [*self._pending, *self._pending_unpacked]:
            if where is None or where(name):
                self._resolve_pending(name)
        return {
            name for name, roles in self._roles.items() if role in roles and (where is None or where(name))
        }

    def constructor(self, name: str) -> cst.Call | None:
        """The call a name was bound from, when that call gave it its role."""
        self.of(name)
        return self._constructors.get(name)

    def is_loss_module(self, name: str) -> bool:
        """Whether a name holds a loss module, not a network whose mode matters: its last part says so
        (`criterion`, `loss_fn`), it has the criterion role, or the class it was built from is named for a
        loss (`Tacotron2Loss()`, `FocalLoss(gamma=2.0)`)."""
        if set(words(name.rsplit(".", 1)[-1])) & vocab.CRITERION_WORDS or self.has(name, Role.CRITERION):
            return True
        constructor = self.constructor(name)
        if constructor is None:
            return False
        callee = self._ctx.callee(constructor) or dotted_name(constructor.func) or ""
        return callee.rsplit(".", 1)[-1].endswith("Loss")

    def constructor_name(self, name: str) -> str | None:
        call = self.constructor(name)
        return self._ctx.callee(call) if call is not None else None

    def passed_constructors(
        self, function: cst.FunctionDef, param: cst.Param
    ) -> list[tuple[FileContext, cst.Call]] | None:
        """The calls that built what the project's other modules pass for a parameter, each with its file
        (`scheduler = StepLR(...)` in llama_finetuning.py, handed to `train(..., scheduler, ...)` of
        utils/train_utils.py), when every such caller passes a name built by a call of its module.
        None when any caller passes something else or there is no such caller."""
        from nnlint.engine.bindings import project_argument_values

        passed = project_argument_values(self._ctx, function, param)
        if not passed:
            return None
        found = []
        for module, value, _ in passed:
            constructor = module.roles.constructor(dotted_name(value) or "")
            if constructor is None:
                return None
            found.append((module, constructor))
        return found

    def models_of(self, optimizer: str) -> set[str]:
        """The names whose parameters an optimizer was built over (`SGD(model.parameters())` -> {"model"}),
        so a `netG.zero_grad()` can be matched to the optimizer it serves; empty when not visible. An
        optimizer kept on a model and built elsewhere (`self.generator.optimizer`, made in the generator's
        `__init__`) serves that model. A parameter list derived from a model still belongs to it, however
        it reaches the optimizer (`derived_models`)."""
        if optimizer not in self._models_of:
            call = self.constructor(optimizer)
            if call is None:
                owner = optimizer.rpartition(".")[0]
                found = {owner} if owner and Role.MODEL in self.of(owner) else set()
            else:
                found = self.derived_models([arg.value for arg in call.args], call)
            if not self._ready:
                return found  # asked while the roles are still being read: not final
            self._models_of[optimizer] = found
        return set(self._models_of[optimizer])

    def derived_models(self, values: list[cst.BaseExpression], at: cst.CSTNode) -> set[str]:
        """The models whose parameters `values` (read at `at`) hold: `model.parameters()` and
        `model.named_parameters()` anywhere inside them (a list comprehension or `filter(...)` over them,
        a `{'params': ...}` group, `a + b`); the names they read, followed to what the same function binds
        them to (`no_decay_params = [p for n, p in model.named_parameters() if ...]`, `params += ...`,
        `groups.append({...})`, `a, b = split_bn_params(model)`); and the model handed to a helper that
        reads its parameters or modules (`add_weight_decay(model, wd)` whose body iterates
        `model.named_parameters()`, `model.param_groups(wd)` whose method reads `self.parameters()`, timm's
        `param_groups_weight_decay(model)`). Other helpers' results stay unknown."""
        found: set[str] = set()
        function = self._ctx.enclosing_function(at)
        followed: set[str] = set()
        stack: list[cst.CSTNode] = list(values)
        while stack:
            node = stack.pop()
            kind = type(node)
            if kind is cst.Call:
                func = node.func  # type: ignore[attr-defined]
                if type(func) is cst.Attribute and func.attr.value in ("parameters", "named_parameters"):
                    owner = dotted_name(func.value)
                    if owner:
                        found.add(owner)
                        continue
                found.update(self._parameters_read_by(node))  # type: ignore[arg-type]
            elif kind is cst.Name and node.value not in followed:  # type: ignore[attr-defined]
                followed.add(node.value)  # type: ignore[attr-defined]
                if Role.MODEL not in self.of(node.value):  # type: ignore[attr-defined]
                    stack.extend(self._bound_in(node.value, function))  # type: ignore[attr-defined]
            stack.extend(children(node))
        return found

    def _bound_in(self, name: str, function: cst.FunctionDef | None) -> list[cst.CSTNode]:
        """What `function` (None: module level) binds a name to or adds to it: assigned and unpacked
        values, `name += ...`, and the arguments of `name.append(...)`/`name.extend(...)`."""
        ctx = self._ctx
        found: list[cst.CSTNode] = []
        for binding in ctx.bindings.of(name):
            if binding.kind not in ("assign", "annotated", "unpack", "augmented"):
                continue
            if ctx.enclosing_function(binding.node) is not function:
                continue
            value = binding.value if binding.value is not None else getattr(binding.node, "value", None)
            if value is not None:
                found.append(value)
        for mention in ctx.bindings.mentions(name):
            attribute = ctx.index.parent(mention)
            if type(attribute) is not cst.Attribute or attribute.value is not mention:  # type: ignore[union-attr]
                continue
            call = ctx.index.parent(attribute)
            if (
                type(call) is cst.Call
                and attribute.attr.value in ("append", "extend")  # type: ignore[union-attr]
                and ctx.enclosing_function(call) is function
            ):
                found.extend(arg.value for arg in call.args)  # type: ignore[union-attr]
        return found

    def _parameters_read_by(self, call: cst.Call) -> set[str]:
        """The models a helper call hands over whose parameters or modules the helper reads: the argument
        for a parameter `p` of a project function whose body calls `p.parameters()`, `p.named_parameters()`,
        `p.modules()` or `p.named_modules()`; the receiver of a project method that calls them on `self`;
        the first argument of a library helper known to return a model's parameter groups."""
        from nnlint.engine.bindings import call_parameters, matched_arguments, resolve_call

        callee = self._ctx.callee(call) or ""
        if callee.rsplit(".", 1)[-1] in vocab.PARAMETER_GROUP_HELPERS and callee.startswith("timm."):
            first = dotted_name(call.args[0].value) if call.args and call.args[0].keyword is None else None
            return {first} if first else set()
        if callee.startswith(vocab.LIBRARY_PREFIXES):
            return set()
        target = resolve_call(self._ctx, call)
        if target is None or not isinstance(target.node, cst.FunctionDef):
            return set()
        read = _modules_read(target.node)
        if not read:
            return set()
        found: set[str] = set()
        if "self" in read and type(call.func) is cst.Attribute:
            owner = dotted_name(call.func.value)
            if owner and owner != "self":
                found.add(owner)
        positional = [param.name.value for param in call_parameters(target.ctx, target.node)]
        for name, value in matched_arguments(positional, call).items():
            passed = dotted_name(value)
            if name in read and passed:
                found.add(passed)
        return found

    def role_of(self, value: cst.BaseExpression) -> Role | None:
        """The role a value gives the name it is bound to (`torch.optim.SGD(...)` -> optimizer)."""
        return self._role_of_value(value)

    def is_local_model_class(self, name: str) -> bool:
        return name in self._local_models

    def is_loss_expr(self, expr: cst.BaseExpression) -> bool:
        """A loss value: a loss name, a criterion or loss-function call, or arithmetic over them."""
        kind = type(expr)  # asked very often: types by identity, not `isinstance` (slow for libcst's ABCs)
        if kind is cst.Name or kind is cst.Attribute:
            if self.has(expr, Role.LOSS):
                return True
            # `out.loss` from a model output (Hugging Face style).
            return kind is cst.Attribute and expr.attr.value == "loss"  # type: ignore[attr-defined]
        if kind is cst.Call:
            callee = self._ctx.callee(expr)
            if callee in LOSS_FUNCTIONS or self.has(expr.func, Role.CRITERION):
                return True
            if self._project_role(expr) is Role.LOSS:
                return True  # a project function that returns a loss tensor, graph attached
            # `loss.mean()`, `loss.sum()`, `torch.mean(loss)`: still the loss.
            if type(expr.func) is cst.Attribute and expr.func.attr.value in ("mean", "sum"):
                if callee in vocab.GRAPH_PRESERVING_FUNCTIONS and expr.args:
                    return self.is_loss_expr(expr.args[0].value)
                return self.is_loss_expr(expr.func.value)
            return False
        if kind is cst.BinaryOperation:
            return self.is_loss_expr(expr.left) or self.is_loss_expr(expr.right)  # type: ignore[attr-defined]
        if kind is cst.UnaryOperation:
            return self.is_loss_expr(expr.expression)  # type: ignore[attr-defined]
        return False

    # -- evidence --------------------------------------------------------------------------------

    def _add(self, name: str | None, role: Role) -> None:
        if name:
            self._roles.setdefault(name, set()).add(role)

    def _local_model_classes(self) -> set[str]:
        """Classes in this file that derive (directly or through each other) from nn.Module."""
        classes = {cls.name.value: self._ctx.base_names(cls) for cls in self._ctx.index.nodes(cst.ClassDef)}
        models: set[str] = set()
        changed = True
        while changed:
            changed = False
            for name, bases in classes.items():
                if name not in models and any(
                    base in MODEL_MODULE_BASES or base in models or base.endswith("LightningModule")
                    for base in bases
                ):
                    models.add(name)
                    changed = True
        return models

    def _from_parameters(self) -> None:
        for function in self._ctx.index.nodes(cst.FunctionDef):
            for param in (*function.params.params, *function.params.kwonly_params):
                name = param.name.value
                for role, conventional in ROLE_PARAMETER_NAMES.items():
                    if name in conventional:
                        self._add(name, Role(role))
                # `def __init__(self, criterion=nn.CrossEntropyLoss())`: the default says what it holds.
                if param.default is not None and type(param.default) is cst.Call:
                    role = self._role_of_value(param.default)
                    if role is not None and role is not Role.LOSS:
                        self._add(name, role)
                # `optimizer_scheduler: Optional[torch.optim.lr_scheduler._LRScheduler] = None` (EGG's
                # trainer): the annotation says what the parameter holds, whatever it is called.
                annotated = self._annotated_role(param.annotation)
                if annotated is Role.MODEL and not self._annotated_model_runs(function, name):
                    continue
                if annotated is not None:
                    self._add(name, annotated)

    def _annotated_role(self, annotation: cst.Annotation | None) -> Role | None:
        """The optimizer, scheduler, loader or model role a parameter's annotation names
        (`torch.optim.Optimizer`, `Optional[_LRScheduler]`, `LRScheduler | None`,
        `torch.utils.data.DataLoader`, `nn.Module`, `"torch.nn.Module"`, a library model class the vocabulary
        knows such as transformers' `PreTrainedModel`); None for any other annotation."""
        if annotation is None:
            return None
        expr = annotation.annotation
        if type(expr) is cst.BinaryOperation and _is_none(expr.right):  # type: ignore[attr-defined]
            expr = expr.left  # type: ignore[attr-defined]
        if type(expr) is cst.Subscript and len(expr.slice) == 1:  # type: ignore[attr-defined]
            if self._ctx.qualified_name(expr.value) == "typing.Optional":  # type: ignore[attr-defined]
                expr = expr.slice[0].slice.value  # type: ignore[attr-defined]
        if type(expr) is cst.SimpleString:
            # A forward reference (`model: "nn.Module"`): a dotted name in quotes names what it would name.
            text = expr.evaluated_value  # type: ignore[attr-defined]
            qualified = self._ctx.imports.resolve(text) if _DOTTED.fullmatch(text or "") else None
        else:
            qualified = self._ctx.qualified_name(expr) if type(expr) in (cst.Name, cst.Attribute) else None
        if qualified == "torch.utils.data.DataLoader":
            return Role.LOADER
        if qualified in MODEL_MODULE_BASES or (qualified and _role_of_constructor(qualified) is Role.MODEL):
            return Role.MODEL
        role = _role_of_constructor(qualified) if qualified and qualified.startswith("torch.optim.") else None
        return role if role in (Role.OPTIMIZER, Role.SCHEDULER) else None

    def _annotated_model_runs(self, function: cst.FunctionDef, name: str) -> bool:
        """Whether a parameter annotated as a module (`prediction_net: nn.Module`) holds the model: its
        function runs it on inputs inside a loop (`for batch in loader: out = prediction_net(*inputs)`,
        pytorch-ts's forecast generators, `predict(encoder: nn.Module, ...)` helpers), and its name says no
        other role (`criterion: nn.Module`, `loss_fn: nn.Module` hold losses; `expert_class: nn.Module`
        holds a class). An annotation alone is not enough: `init_weights(m: nn.Module)`, `layer: nn.Module`
        or `activation: nn.Module` name parts of a network, and a role is kept per name for the whole file.
        Only a module-level function's: a method's callers reach it through an object (`self.generator(
        prediction_net=...)` in another module), so the grad mode and train/eval mode they chose for it
        cannot be read, and a model role there would make the mode rules guess."""
        if self._ctx.index.parent(function) is not self._ctx.module:
            return False
        if set(words(name)) & _NOT_A_MODEL_WORDS or any(
            name in names for role, names in ROLE_PARAMETER_NAMES.items() if role != "model"
        ):
            return False
        return any(found is function for found in self._run_in_loops.get(name, ()))

    @cached_property
    def _run_in_loops(self) -> dict[str, list[cst.FunctionDef]]:
        """Plain names called on inputs inside a `for`/`while` loop, with the functions around those loops:
        one pass over the file's calls, asked only of files with a parameter annotated as a module."""
        index = self._ctx.index
        found: dict[str, list[cst.FunctionDef]] = {}
        for call in index.nodes(cst.Call):
            func = call.func
            if type(func) is not cst.Name or not call.args:
                continue
            loop = index.enclosing(call, (cst.For, cst.While, cst.FunctionDef))
            if loop is not None and type(loop) is not cst.FunctionDef:
                function = index.enclosing(loop, cst.FunctionDef)
                if function is not None:
                    found.setdefault(func.value, []).append(function)  # type: ignore[attr-defined]
        return found

    def _from_arguments(self) -> None:
        """A parameter every call of its function in this file passes a scheduler for is a scheduler:
        `def train_gan(..., generator_scheduler)` called as `train_gan(..., generator_scheduler=
        self.generator_scheduler)`, so its `.step()` steps that scheduler."""
        from nnlint.engine.bindings import argument_values

        stepped: set[str | None] = set()
        run: set[str] = set()  # names called on an input: `ner_model(features)`
        for call in self._ctx.index.nodes(cst.Call):
            func = call.func
            if type(func) is cst.Attribute and func.attr.value == "step":
                stepped.add(dotted_name(func.value))
            elif type(func) is cst.Name and call.args:
                run.add(func.value)
        for function in self._ctx.index.nodes(cst.FunctionDef):
            for param in (*function.params.params, *function.params.kwonly_params):
                name = param.name.value
                if (
                    name in run
                    and name not in ("self", "cls")
                    and not self._roles.get(name)
                    and self._only_a_parameter(name)
                ):
                    self._pending_parameters.setdefault(name, []).append((function, param))
                if name not in stepped or self.of(name):
                    continue  # only a parameter that is stepped can be a scheduler that matters
                passed = argument_values(self._ctx, function, param)
                if passed and all(self.has(value, Role.SCHEDULER) for value, _ in passed):
                    self._add(name, Role.SCHEDULER)

    def _from_callers(self, name: str) -> None:
        """A parameter run on an input (`scores, _ = ner_model(features)`) that every caller fills with a
        model is a model, whatever it is called: LM-LSTM-CRF's `output_batch(self, ner_model, documents,
        fout)` is called from seq_w.py as `predictor.output_batch(ner_model, features, fout)` with
        `ner_model = LSTM_CRF(...)`. The callers are those of this file (`bindings.argument_values`), else
        those of the project's other modules (`bindings.project_argument_values`), each value judged by the
        roles of its own file; every function of this file with that parameter whose callers are known must
        agree, and at least one must be known (unknown means silent)."""
        from nnlint.engine.bindings import argument_values, project_argument_values

        functions = self._pending_parameters.pop(name, [])
        verdicts: list[bool] = []
        for function, param in functions:
            # A call that passes the name on (`self.apply_model(ner_model, ...)` in `output_batch`) says
            # nothing: the name is the one being decided.
            local = [
                value
                for value, _ in argument_values(self._ctx, function, param) or ()
                if not (type(value) is cst.Name and value.value == name)  # type: ignore[attr-defined]
            ]
            if local and any(value is not param.default for value in local):
                verdicts.append(all(self._holds_model(value) for value in local))
                continue
            if not self._few_caller_modules(function):
                continue  # cheap: no other module names it, or too many to read for one parameter
            passed = project_argument_values(self._ctx, function, param)
            if passed:
                verdicts.append(
                    all(
                        module not in _BUILDING and module.roles._holds_model(value)
                        for module, value, _ in passed
                    )
                )
        if verdicts and all(verdicts):
            self._add(name, Role.MODEL)

    def _few_caller_modules(self, function: cst.FunctionDef) -> bool:
        """Whether some, and at most `_MAX_CALLER_MODULES`, other modules name the function (the class, for
        `__init__`) and this file's module, by their text alone: the gate before reading what they pass."""
        from nnlint.engine.project import paths_mentioning

        here = self._ctx.real_path
        owner = self._ctx.index.enclosing(function, (cst.FunctionDef, cst.ClassDef))
        spelled = (
            owner.name.value
            if isinstance(owner, cst.ClassDef) and function.name.value == "__init__"
            else None
        )
        if here is None:
            return False
        paths = paths_mentioning(
            self._ctx, spelled or function.name.value, here.stem, max_files=LARGE_PROJECT_FILES
        )
        return bool(paths) and len(paths) <= _MAX_CALLER_MODULES  # type: ignore[arg-type]

    def _role_of_value(self, value: cst.BaseExpression) -> Role | None:
        if type(value) is cst.Call:
            callee = self._ctx.callee(value)
            if callee is not None:
                if callee in _MODEL_WRAPPERS and value.args:
                    return Role.MODEL if self._holds_model(value.args[0].value) else None
                role = _role_of_constructor(callee)
                if role is not None:
                    return role
                if callee.rsplit(".", 1)[-1] == "from_pretrained":
                    return Role.MODEL if _loads_model(value) else None
            local = dotted_name(value.func)
            if local in self._local_models:
                return Role.MODEL
            project = self._project_role(value) or self._project_model(value)
            if project is not None:
                return project
            if type(value.func) in _PICKED_CALLEES:
                picked = _role_of_picked(picked_namespace(self._ctx, value))
                if picked is not None:
                    return picked  # `getattr(torch.optim, name)(model.parameters())`
                if self._picks_a_model(value):
                    return Role.MODEL  # `models.__dict__[args.arch](pretrained=True)`
            if type(value.func) is cst.Attribute:
                method = value.func.attr.value
                owner = value.func.value
                if method in SELF_RETURNING_METHODS:
                    # `nn.CrossEntropyLoss().cuda()`, `Net().to(device).train()`, `model.float()`.
                    if self._holds_model(owner):
                        return Role.MODEL
                    if self.has(owner, Role.CRITERION) or self._role_of_value(owner) is Role.CRITERION:
                        return Role.CRITERION
                if method == "from_pretrained":
                    return Role.MODEL if _loads_model(value) else None
                if loads_lightning_checkpoint(value):
                    return Role.MODEL
                if method in ("DistributedDataParallel", "DataParallel") and value.args:
                    return Role.MODEL if self._holds_model(value.args[0].value) else None
            factory = _role_of_factory(value)
            if factory is not None:
                return factory
            if not self._trains and self._model_factory(value):
                return Role.MODEL
            if self.is_loss_expr(value):
                return Role.LOSS
            return None
        if type(value) is cst.IfExp:
            # `nn.DataParallel(net) if multi_gpu else net`: the role both branches agree on. A branch of
            # `None` (`GradScaler() if mixed_precision else None`) holds nothing to call: whenever the
            # name is used as an object, it is the other branch's.
            body, orelse = value.body, value.orelse  # type: ignore[attr-defined]
            if _is_none(orelse):
                return self._role_of_value(body)
            if _is_none(body):
                return self._role_of_value(orelse)
            role = self._role_of_value(body)
            return role if role is self._role_of_value(orelse) else None
        if self.is_loss_expr(value):
            return Role.LOSS
        if type(value) in (cst.Name, cst.Attribute):
            if self.is_model_self(value):
                return Role.MODEL
            roles = self.of(dotted_name(value))
            if len(roles) == 1:
                return next(iter(roles))
        if type(value) is cst.Subscript:
            roles = self.elements(dotted_name(value.value))
            if len(roles) == 1:
                return next(iter(roles))
        return None

    def _holds_model(self, expr: cst.BaseExpression) -> bool:
        """What a wrapper is given is a model: a model name, or a call that builds or moves one."""
        return self.has(expr, Role.MODEL) or self._role_of_value(expr) is Role.MODEL

    def _element_roles(self, value: cst.BaseExpression) -> set[Role]:
        """The one role shared by every element of a list, tuple or dict display (values for a dict)."""
        kind = type(value)  # asked of every assigned value: types by identity, not `isinstance` (slow)
        if kind not in _CONTAINER_DISPLAYS:
            return set()
        if kind is cst.List or kind is cst.Tuple:
            items = [element.value for element in value.elements if type(element) is cst.Element]  # type: ignore[attr-defined]
        elif kind is cst.Dict:
            items = [element.value for element in value.elements if type(element) is cst.DictElement]  # type: ignore[attr-defined]
        elif kind is cst.DictComp:
            items = [value.value]  # type: ignore[attr-defined]
        else:
            items = [value.elt]  # type: ignore[attr-defined]
        roles = {self._role_of_value(item) for item in items}
        if len(roles) != 1 or None in roles:
            return set()
        role = roles.pop()
        return {role} if role is not None and role.value in _ELEMENT_ROLES else set()

    def _from_assignments(self) -> None:
        index = self._ctx.index
        pairs: list[tuple[cst.BaseExpression, cst.BaseExpression]] = []
        for assign in index.nodes(cst.Assign):
            pairs.extend((target.target, assign.value) for target in assign.targets)
        for assign in index.nodes(cst.AnnAssign):
            if assign.value is not None:
                pairs.append((assign.target, assign.value))
        # `self.model, self.optimizer = model, optimizer`: each name from the value at its position.
        pairs = [pair for target, value in pairs for pair in _parallel_pairs(target, value)]
        for target, value in pairs:
            if type(target) in (cst.Tuple, cst.List) and type(value) is cst.Call:
                # Read on the first question about one of its names: it resolves a project call.
                for name in _unpacked_names(target):
                    entries = self._pending_unpacked.setdefault(name, [])
                    if not any(entry[1] is value for entry in entries):
                        entries.append((target, value))
                continue
            name = dotted_name(target)
            if name is None:
                continue
            elements = self._element_roles(value)
            if elements:
                self._elements.setdefault(name, set()).update(elements)
                continue
            if name in self._pending:
                if (name, id(value)) not in self._pending_keys:
                    self._pending_keys.add((name, id(value)))
                    self._pending[name].append(value)
                continue  # its values are resolved in order, on the first question about it
            # Resolving a project call reads other modules: a value whose role only a project definition
            # can give waits for a question about its name (`_pending`).
            self._no_project, self._asked_project = True, False
            try:
                role = self._role_of_value(value)
            finally:
                self._no_project = False
            if role is None and self._asked_project:
                self._pending[name] = [value]
                self._pending_keys.add((name, id(value)))
                continue
            if self._asked_project:
                role = self._role_of_value(value)  # a local role, unless a project one comes first
            self._bind(name, value, role)

    def _from_unpacked(self, target: cst.Tuple | cst.List, value: cst.Call) -> None:
        """`loss, logits = compute(batch)`: each name gets the role of its position of what the project
        function returns (`summaries.Summary.elements`)."""
        with only_if_mentions(_BACKWARD_CALL):  # as `_project_summary` asks
            found = self._project_target(value)
        if found is not None and (
            found.ctx in _BUILDING
            or (isinstance(found.node, cst.FunctionDef) and found.ctx.summaries.pending(found.node))
        ):
            self._deferred.append((target, value))  # asked again on the next question
            return
        summary = self._project_summary(value)
        elements = summary.elements if summary is not None else ()
        if len(elements) != len(target.elements):
            self._from_passed_through(target, value)
            self._from_unpacked_factory(target, value)
            return
        for element, role in zip(target.elements, elements, strict=True):
            if role is not None and not isinstance(element, cst.StarredElement):
                self._add(dotted_name(element.value), role)

    def _from_passed_through(self, target: cst.Tuple | cst.List, value: cst.Call) -> None:
        """`model, optimizer, start_epoch = load_checkpoint(model, optimizer, path)`: a name unpacked from
        a position where the project function gives back a parameter unchanged (`summaries.passed_through`)
        holds what the call passed there, with its role."""
        from nnlint.engine.summaries import passed_through

        for position, element in enumerate(target.elements):
            if type(element) is cst.StarredElement or type(element.value) is not cst.Name:
                continue
            name = element.value.value
            handed = [a.value for a in value.args if type(a.value) is cst.Name and a.value.value == name]
            if not handed or self._role_of_value(handed[0]) is None:
                # Only what holds a role can get one back (`passed_through` hands back the argument of
                # that name): asked before the callee is resolved, which may parse another module (torch's
                # `_inductor/__init__.py` parsed the 130 KB `compile_fx.py` for `options, ... = f(options)`).
                continue
            passed = passed_through(self._ctx, value, position, name)
            role = self._role_of_value(passed) if passed is not None else None
            if role is not None:
                self._add(dotted_name(element.value), role)

    def _from_unpacked_factory(self, target: cst.Tuple | cst.List, value: cst.Call) -> None:
        """`net, aug, _, weights = build_segmentation_model(...)` in a file that never trains: the one
        unpacked name that says network (`net`, `model`, `seg_net`) of a project model factory's tuple (as
        `_model_factory` trusts the factory's name for a single value, when no summary tells the
        positions)."""
        if self._trains or not self._model_factory(value):
            return
        named = [
            name
            for element in target.elements
            if not isinstance(element, cst.StarredElement)
            and isinstance(element.value, cst.Name)
            and _NETWORK_NAME.match(name := element.value.value)
        ]
        if len(named) == 1:
            self._add(named[0], Role.MODEL)

    def element_role(self, call: cst.Call, position: int) -> Role | None:
        """The role of one position of the tuple a project function returns (`loss, parts = f(x)`)."""
        summary = self._project_summary(call)
        elements = summary.elements if summary is not None else ()
        return elements[position] if position < len(elements) else None

    def _project_role(self, call: cst.Call) -> Role | None:
        """The role of what a call of a project definition gives: an nn.Module subclass of another module
        builds a model; a project function, what its summary says it returns."""
        if self._no_project:
            # A definition of this file gives nothing while its roles are built (see below); any other
            # call may be one of another module's: noted, and resolved when the name is asked about.
            local = self._calls_here.get(call)
            if local is None:
                with this_file_only():
                    here = self._project_target(call)
                local = self._calls_here[call] = here is not None and here.ctx is self._ctx
            if not local:
                self._asked_project = True
            return None
        cached = self._project_calls.get(call, self)
        if cached is not self:
            return cached  # type: ignore[return-value]
        self._project_calls[call] = None
        role: Role | None = None
        # The checks below, made before reading the module: a function of a module that never trains, and a
        # class that lists no base (no model: `is_model_class`), give nothing.
        with only_if_mentions(_BACKWARD_CALL), only_classes_with_bases():
            target = self._project_target(call)
        if target is not None and target.ctx in _BUILDING:
            del self._project_calls[call]  # that file's roles are being built: unknown for now
            return None
        if target is not None:
            from nnlint.engine.summaries import is_model_class

            if isinstance(target.node, cst.ClassDef):
                role = Role.MODEL if is_model_class(target) else None
            elif target.ctx is not self._ctx and _BACKWARD_CALL not in target.ctx.source:
                role = None  # what a module that never trains returns is not worth its whole analysis
            else:
                summary = target.ctx.summaries.of(target.node)
                role = summary.returns if summary is not None else None
        self._project_calls[call] = role
        return role

    def _project_model(self, call: cst.Call) -> Role | None:
        """`model = models.build(data)`, `create_model(arch)`, `get_model(cfg)`: a project function that
        constructs a model and returns it (`Summary.returns_model`), also of a module that never trains and
        called from a file that never trains but runs a model in eval mode (an inference script). Asked
        only after `_project_role` found nothing, which reads no such module (its questions are about
        losses, which a module without a backward never returns attached)."""
        if self._no_project:
            return None  # `_project_role` noted the question: the name is resolved when asked about
        cached = self._project_models.get(call, self)
        if cached is not self:
            return cached  # type: ignore[return-value]
        self._project_models[call] = None
        target = None
        if self._trains or self._switches_to_eval:  # cheap: a file that runs a model
            # A module that names no model builds none; a class is no factory (only a function's summary
            # is asked below), so a name another module binds only by a class is not read either.
            with only_if_text(_names_a_model, classes=False):
                target = self._project_target(call, inference=True)
        if target is None or target.ctx in _BUILDING:
            if target is not None:
                del self._project_models[call]  # that file's roles are being built: unknown for now
            return None
        summary = target.ctx.summaries.of(target.node) if isinstance(target.node, cst.FunctionDef) else None
        role = Role.MODEL if summary is not None and summary.returns_model else None
        self._project_models[call] = role
        return role

    def _picks_a_model(self, call: cst.Call) -> bool:
        """`summaries.picks_a_model`, which may read a project package: deferred like `_project_role`
        while the roles are built, and asked only in a file that trains or switches a model to eval."""
        if self._no_project:
            self._asked_project = True
            return False
        if not (self._trains or self._switches_to_eval):
            return False
        from nnlint.engine.summaries import picks_a_model

        return picks_a_model(self._ctx, call)

    def _project_summary(self, call: cst.Call) -> Summary | None:
        with only_if_mentions(_BACKWARD_CALL):  # the check below, made before reading the module
            target = self._project_target(call)
        if target is None and self._ctx not in _BUILDING and self._defined_here(call.func):
            from nnlint.engine.summaries import alias_summary, called_object_summary

            # `self.step_fn(x)`, one of several methods; `self.loss_fn(x)`, an object's `__call__`
            return alias_summary(self._ctx, call) or called_object_summary(self._ctx, call)
        if target is None or not isinstance(target.node, cst.FunctionDef) or target.ctx in _BUILDING:
            return None
        if target.ctx is not self._ctx and _BACKWARD_CALL not in target.ctx.source:
            return None  # as in `_project_role`
        return target.ctx.summaries.of(target.node)

    def _defined_here(self, func: cst.BaseExpression) -> bool:
        """`f(...)` of a function or class this file defines, or `self.m(...)`: no other module to read."""
        if type(func) is cst.Name:
            return any(binding.kind in ("def", "class") for binding in self._ctx.bindings.of(func.value))
        receiver = func.value if isinstance(func, cst.Attribute) else None
        return isinstance(receiver, cst.Name) and receiver.value == "self"

    def _model_factory(self, call: cst.Call) -> bool:
        """`model = build_or_load_model(...)` of a project module (or of this file), see `_MODEL_FACTORY`;
        a library's function of that name is left to `_role_of_constructor`."""
        name = dotted_name(call.func)
        if name is None or not _MODEL_FACTORY.match(name.rsplit(".", 1)[-1]):
            return False
        callee = self._ctx.callee(call)
        return callee is None or not callee.startswith(vocab.LIBRARY_PREFIXES)

    @cached_property
    def _trains(self) -> bool:
        """Whether the file may train at all (asked once: the source is searched, not once per call)."""
        return _BACKWARD_CALL in self._ctx.source

    @cached_property
    def _switches_to_eval(self) -> bool:
        """Whether the file switches some model to eval mode (asked once, as `_trains`)."""
        return ".eval()" in self._ctx.source

    def _module_in_base_classes(self, owner: str, call: cst.Call) -> bool:
        """Whether `self.<attr>` (switched between modes at `call`) is used like a module by a project base
        class of the class around `call`: the base's file says `self.<attr>.load_state_dict(` or another
        module-only method of it. Only base classes are read, and only for such attributes."""
        if not owner.startswith("self.") or owner.count(".") != 1:
            return False
        cls = self._ctx.enclosing_class(call)
        if cls is None or not cls.bases:
            return False
        from nnlint.engine.bindings import class_hierarchy
        from nnlint.engine.project import Resolved

        hierarchy = class_hierarchy(Resolved(self._ctx, cls)) or []
        texts = tuple(f"{owner}.{method}(" for method in MODULE_METHODS)
        bases = [base for base in hierarchy[1:] if base.ctx is not self._ctx]
        return any(text in base.ctx.source for base in bases for text in texts)

    def _builds_for_inference(self, func: cst.BaseExpression) -> bool:
        """A class-like name (`SeqNet(cfg)`) called in a file that switches some model to eval mode, or whose
        result the file loads weights into (`model = CompletionNetwork()`, then `model.load_state_dict(...)`):
        an inference script building its project model (only such classes are looked up there, for cost)."""
        name = dotted_name(func) or ""
        if not name.rsplit(".", 1)[-1][:1].isupper():
            return False
        return self._switches_to_eval or name in self._loaded_classes

    @cached_property
    def _loaded_classes(self) -> frozenset[str]:
        """The callees of the assignments `x = Cls(...)` (through `.to(device)`-like methods) whose `x` the
        file loads a state dict into."""
        if ".load_state_dict(" not in self._ctx.source:
            return frozenset()
        found: set[str] = set()
        for call in self._ctx.index.nodes(cst.Call):
            func = call.func
            if not (isinstance(func, cst.Attribute) and func.attr.value == "load_state_dict"):
                continue
            if not isinstance(func.value, cst.Name):
                continue
            for value in self._ctx.bindings.assigned(func.value.value):
                value = moved_module(value)
                if isinstance(value, cst.Call) and dotted_name(value.func):
                    found.add(dotted_name(value.func))  # type: ignore[arg-type]
        return frozenset(found)

    def _project_target(self, call: cst.Call, inference: bool = False) -> Resolved | None:
        """The project definition a call runs, for calls that may be one: a bare name, a method of `self`,
        a name imported from a project module (library calls are never looked up). With `inference`, a
        file that never trains looks up any such call (`_project_model` gates it)."""
        if len(_BUILDING) >= _MAX_NESTED_BUILDS:
            return None
        func = call.func
        if (
            not (self._trains or inference)
            and not self._defined_here(func)
            and not self._builds_for_inference(func)
        ):
            return None  # a file that never trains reads no other module for its roles (cost)
        if type(func) is cst.Attribute and not (
            isinstance(func.value, cst.Name) and func.value.value == "self"
        ):
            qualified = self._ctx.callee(call)
            if qualified is None or qualified.startswith(vocab.LIBRARY_PREFIXES):
                return None
        elif not isinstance(func, (cst.Name, cst.Attribute)):
            return None
        elif isinstance(func, cst.Name) and self._ctx.callee(call) is not None:
            if self._ctx.callee(call).startswith(vocab.LIBRARY_PREFIXES):  # type: ignore[union-attr]
                return None
        from nnlint.engine.bindings import resolve_call

        return resolve_call(self._ctx, call)

    def _from_iteration(self) -> None:
        """`for opt in optimizers:`, `for name, opt in optimizers.items():`, `for opt in optimizers.values():`
        give the loop name the role of the container's elements."""
        for loop in self._ctx.index.nodes(cst.For):
            source, target = loop.iter, loop.target
            method = (
                source.func.attr.value
                if type(source) is cst.Call and type(source.func) is cst.Attribute
                else None
            )
            if method in ("values", "items"):
                source = source.func.value  # type: ignore[union-attr]
            roles = self.elements(dotted_name(source))
            if len(roles) != 1:
                continue
            if method == "items":
                if not (isinstance(target, cst.Tuple) and len(target.elements) == 2):
                    continue
                target = target.elements[1].value
            name = dotted_name(target)
            if name is not None:
                self._add(name, next(iter(roles)))

    def _only_a_parameter(self, name: str) -> bool:
        """Whether every binding of the name in the file is a function's parameter."""
        bindings = self._ctx.bindings.of(name)
        return bool(bindings) and all(binding.kind == "parameter" for binding in bindings)

    def _unassigned_attribute(self, name: str) -> bool:
        """Whether the name is an attribute (`task.model`) that nothing in the file binds: what it holds was
        set elsewhere, so only what the code does with it can tell."""
        return "." in name and not self._ctx.bindings.of(name)

    def _unpickled(self, name: str) -> bool:
        """`model = torch.load(path)` (a whole pickled module, the old way of saving one): a name only ever
        bound from `torch.load` whose mode is switched holds a module (a state dict has no `eval()`)."""
        if "load(" not in self._ctx.source:
            return False  # cheap: nothing is loaded in this file
        bindings = self._ctx.bindings.of(name)
        return bool(bindings) and all(
            isinstance(binding.value, cst.Call) and self._ctx.callee(binding.value) == "torch.load"
            for binding in bindings
        )

    def _from_uses(self) -> None:
        methods: dict[str, set[str]] = {}
        switched: dict[str, cst.Call] = {}
        called: set[str] = set()  # names called themselves on some input: `model_train(images)`
        for call in self._ctx.index.nodes(cst.Call):
            if type(call.func) is cst.Attribute:
                owner = dotted_name(call.func.value)
                if owner:
                    methods.setdefault(owner, set()).add(call.func.attr.value)
                    if call.func.attr.value in ("eval", "train"):
                        switched.setdefault(owner, call)
            if call.args and type(call.func) in (cst.Name, cst.Attribute):
                name = dotted_name(call.func)
                if name:
                    called.add(name)
        for owner, call in switched.items():
            # `self.model.train()` in a subclass whose project base class builds, saves or loads it like a
            # module (`self.model.load_state_dict(...)` in the base trainer of another module).
            if not methods[owner] & MODULE_METHODS and self._module_in_base_classes(owner, call):
                methods[owner] |= MODULE_METHODS
        for owner, used in methods.items():
            # A name switched between modes and saved or loaded like a module is one, whatever built it
            # (`model = tx.modules.BERTClassifier(...)`; `model.train()` ... `model.load_state_dict(...)`).
            # So is one switched to eval and moved to a device (`model.cuda()`, `model.to(device)`): a
            # tensor moves but has no `eval()` (YOLOv3's test.py: `model = Darknet(...)` star-imported),
            # and a parameter switched and run on an input (`model_train.train()` then `outputs =
            # model_train(x)` in an epoch function, whatever it is called): only a module has both; so is
            # an attribute nothing here assigns, of an object from elsewhere (pytext's `task.model.eval()`
            # then `task.model(*inputs)`, the task loaded from a snapshot). (A name bound here from an
            # unknown callable stays unknown: its binding says what it holds.)
            if not used & {"eval", "train"} or self.of(owner):
                continue
            evaluated = "eval" in used and used & MOVE_METHODS
            if used & MODULE_METHODS or evaluated or self._unpickled(owner):
                self._add(owner, Role.MODEL)
            elif owner in called and (self._only_a_parameter(owner) or self._unassigned_attribute(owner)):
                self._add(owner, Role.MODEL)
        for call in self._ctx.index.nodes(cst.Call):
            func = call.func
            if type(func) is not cst.Attribute:
                continue
            method = func.attr.value
            owner = dotted_name(func.value)
            if method == "backward" and owner and not any(arg.keyword is None for arg in call.args):
                # `loss.backward()` makes `loss` a loss; `accelerator.backward(loss)` does not.
                self._add(owner, Role.LOSS)
            elif (
                method == "step"
                and owner
                and vocab.OPTIMIZER_NAME.match(owner.rsplit(".", 1)[-1])
                and not self.of(owner)
                and not set(words(owner.rsplit(".", 1)[-1])) & vocab.SCHEDULER_NAME_WORDS
                and not self._built_as_non_optimizer(owner)
            ):
                # `self.policy.optimizer.step()`: built in another class or file, but named for what it is;
                # not `optimizer_scheduler` (a scheduler by its name too: unknown) nor `ema_optimizer`
                # built here from a project class that is no optimizer (see `_built_as_non_optimizer`).
                self._add(owner, Role.OPTIMIZER)
            elif method == "parameters" and owner:
                # `model.parameters()` handed to an optimizer constructor; or, for a name that holds
                # nothing else, any `.parameters()` (`getattr(optim, name)(model.parameters())`): only
                # modules have parameters.
                parent = self._ctx.index.parent(call)
                grand = self._ctx.index.parent(parent) if parent is not None else None
                if (
                    isinstance(grand, cst.Call) and Role.OPTIMIZER == self._role_of_value(grand)
                ) or not self.of(owner):
                    self._add(owner, Role.MODEL)

    def _from_base_classes(self) -> None:
        """`self.<attr>` called on an input (`logits = self.model(inputs)`) in a class whose project base
        class of another module keeps a model there: nothing in this file binds the attribute, and the
        base class binds it in its own body from what its roles call a model (gradsflow's `Model(BaseModel)`,
        whose `BaseModel.__init__(self, model, ...)` keeps `self.model = model`). The subclass runs the
        base class's network. Only attributes named like a network (`vocab.MODEL_ATTRIBUTE_WORDS`) are
        looked up: any other `self.<name>(x)` is most likely an inherited method, and finding out would
        parse the base class's module (torch's own classes call dozens of them)."""
        if "self." not in self._ctx.source:
            return
        from nnlint.engine.bindings import attribute_bindings, class_hierarchy
        from nnlint.engine.project import Resolved

        seen: set[tuple[cst.ClassDef, str]] = set()
        for call in self._ctx.index.nodes(cst.Call):
            func = call.func
            if not (
                call.args
                and type(func) is cst.Attribute
                and type(func.value) is cst.Name
                and func.value.value == "self"  # type: ignore[attr-defined]
            ):
                continue
            owner = f"self.{func.attr.value}"  # type: ignore[attr-defined]
            if not set(words(func.attr.value)) & vocab.MODEL_ATTRIBUTE_WORDS:  # type: ignore[attr-defined]
                continue  # an inherited method, most likely: not worth reading the base's module
            if self._roles.get(owner) or self._ctx.bindings.of(owner):
                continue
            cls = self._ctx.enclosing_class(call)
            if cls is None or not cls.bases or (cls, owner) in seen:
                continue
            seen.add((cls, owner))
            if len(_BUILDING) >= _MAX_NESTED_BUILDS:
                return
            attr = owner[5:]
            for base in (class_hierarchy(Resolved(self._ctx, cls)) or [])[1:]:
                if base.ctx is self._ctx or base.ctx in _BUILDING:
                    continue
                if attribute_bindings(base.ctx, base.node, attr) and base.ctx.roles.has(owner, Role.MODEL):  # type: ignore[arg-type]
                    self._add(owner, Role.MODEL)
                    break

    def _built_as_non_optimizer(self, name: str) -> bool:
        """Whether the name is bound in this file to an instance of a project class that is certainly no
        optimizer: every class of its hierarchy is the project's (no library base such as
        `torch.optim.Optimizer`), and none reads a gradient or steps anything (MixMatch's `WeightEMA`,
        whose `step()` blends the model's weights into an EMA copy; FixMatch-style EMA helpers). A
        wrapper that steps an inner optimizer (`NoamOpt.step()` calling `self.optimizer.step()`) or a
        hand-written optimizer reading `p.grad` is not ruled out."""
        from nnlint.engine.bindings import class_hierarchy, resolve_call

        for value in self._ctx.bindings.assigned(name):
            if not isinstance(value, cst.Call):
                continue
            target = resolve_call(self._ctx, value)
            if target is None or not isinstance(target.node, cst.ClassDef):
                continue
            hierarchy = class_hierarchy(target)
            if hierarchy is not None and not any(_uses_gradients(cls.node) for cls in hierarchy):
                return True
        return False


def _modules_read(function: cst.FunctionDef) -> set[str]:
    """The plain names whose whole parameter or module list a function reads (`p.parameters()`,
    `p.named_parameters()`, `p.modules()`, `p.named_modules()`): its parameters (or `self`) whose
    parameters the function hands back, filtered or split."""
    found: set[str] = set()
    stack: list[cst.CSTNode] = [function.body]
    while stack:
        node = stack.pop()
        if type(node) is cst.Call:
            func = node.func  # type: ignore[attr-defined]
            if type(func) is cst.Attribute and func.attr.value in _MODULE_LISTS:
                if type(func.value) is cst.Name:
                    found.add(func.value.value)
        stack.extend(children(node))
    params = {param.name.value for param in (*function.params.params, *function.params.kwonly_params)}
    return found & params


def _uses_gradients(node: cst.CSTNode) -> bool:
    """Whether a class body reads gradients or steps something: a `.grad`-like name (`p.grad`,
    `clip_grad_norm_`, `grads`; not the grad-mode switches `no_grad`, `requires_grad`), or a call of
    `step`/`zero_grad` on any object."""
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        kind = type(current)
        if kind is cst.Name and current.value not in vocab.GRAD_MODE_NAMES:  # type: ignore[attr-defined]
            if set(words(current.value)) & vocab.GRADIENT_WORDS:  # type: ignore[attr-defined]
                return True
        elif kind is cst.Call and type(current.func) is cst.Attribute:  # type: ignore[attr-defined]
            if current.func.attr.value in ("step", "zero_grad"):  # type: ignore[attr-defined]
                return True
        stack.extend(children(current))
    return False


def _is_none(expr: cst.BaseExpression) -> bool:
    return type(expr) is cst.Name and expr.value == "None"
