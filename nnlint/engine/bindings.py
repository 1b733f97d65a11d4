"""Bindings and definitions: the value a local name holds at a statement, and what a call calls.

Rules and analyses ask "what is `out` here?" (`out = model(x)`, then `criterion(out, y)`), and forward
chains ask "what produced `x`?" (`x = self.conv(x)`, then `x = self.bn(x)`). A full reaching-definitions
analysis is not needed for that: walking back over the statements that precede the use, block by block,
answers it for straight-line code, and anything less certain (the name rebound inside an `if` or a loop
before the use, a parameter, a tuple unpacking) answers None, which keeps every caller quiet.

`resolve_call` is the one answer to "which function does this call run": scope-aware for bare names
(closures, module level, project imports), methods on `self` and on instances of known classes, through
base classes and into project modules (`project.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst

from nnlint.engine.index import children
from nnlint.engine.names import ImportTable, dotted_name
from nnlint.engine.project import Resolved, this_file_only

if TYPE_CHECKING:
    from nnlint.engine.context import FileContext

_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
# The same as sets of concrete types, for walks that test every node (`own_nodes`, `_bound_names`).
_SCOPE_TYPES = frozenset(_SCOPES)
_SCOPE_AND_LOOP_TYPES = frozenset((*_SCOPES, cst.For, cst.While))
_DEFINITIONS = (cst.FunctionDef, cst.ClassDef)
# Compound statements whose body may run again (or only partly) before control leaves them: a binding
# anywhere inside makes the value at their start uncertain for code inside them.
_REPEATING = (cst.For, cst.While, cst.Try, cst.TryStar)
# Comprehensions bind their loop names in their own scope.
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


def reaching_value(ctx: FileContext, name: str, at: cst.CSTNode) -> cst.BaseExpression | None:
    """The right-hand side of the assignment `name = <value>` that reaches `at`, or None when unsure.

    Only plain single-target assignments count; the search stays inside the enclosing function (or the
    module) and gives up at the first statement that may rebind `name` in any other way.
    """
    return _reaching(ctx, name, at, _binding_in)  # type: ignore[return-value]


def reaching_unpacked(ctx: FileContext, name: str, at: cst.CSTNode) -> tuple[cst.BaseExpression, int] | None:
    """For `probs, state = model(x)` reaching `at`: the unpacked value and the position `name` takes in
    it (`probs` -> (model(x), 0)), when that statement certainly binds `name` last; else None."""
    return _reaching(ctx, name, at, _unpacking_in)  # type: ignore[return-value]


def _reaching(
    ctx: FileContext, name: str, at: cst.CSTNode, binding_in: Callable[[cst.CSTNode, str], object]
) -> object:
    """Walk back from `at` to the statement that binds `name`, and let `binding_in` read it."""
    index = ctx.index
    current: cst.CSTNode = at
    while True:
        parent = index.parent(current)
        if parent is None or type(current) in _SCOPES:
            return None
        if type(parent) in _SCOPES:
            return None  # reached the start of the function: a parameter or a global, unknown here
        body = _statement_list(parent)
        if body is not None:
            position = _position_in(body, current)
            for statement in reversed(body[:position]):
                found = binding_in(statement, name)
                if found is not _NOT_BOUND:
                    return found
        elif (type(parent) in _REPEATING or type(parent) in _COMPREHENSIONS) and binds(parent, name):
            return None
        elif type(parent) is cst.With and any(
            item.asname is not None and binds(item.asname, name) for item in parent.items
        ):
            return None
        current = parent


_NOT_BOUND = object()


def reaching_values(ctx: FileContext, name: str, at: cst.CSTNode) -> list[cst.BaseExpression | None] | None:
    """The definitions of `name` that may reach `at`, through `if`/`elif`/`else` branches: one value per
    path, None for a path whose value is unknown (a tuple unpacking, a parameter, a loop). None when the
    name is bound in no way this can follow. `reaching_value` is the one-path special case."""
    index = ctx.index
    current: cst.CSTNode = at
    values: list[cst.BaseExpression | None] = []
    while True:
        parent = index.parent(current)
        if parent is None or isinstance(current, _SCOPES) or isinstance(parent, _SCOPES):
            return [*values, None] if values else None  # the function's start: a parameter or global
        body = _statement_list(parent)
        if body is not None:
            found, complete = _values_before(body[: _position_in(body, current)], name)
            values.extend(found)
            if complete:
                return values
        elif isinstance(parent, (*_REPEATING, *_COMPREHENSIONS, cst.With)) and binds(parent, name):
            return [*values, None]
        current = parent


def _values_before(statements: list[cst.CSTNode], name: str) -> tuple[list[cst.BaseExpression | None], bool]:
    """The values of `name` at the end of a run of statements, and whether every path through it binds."""
    values: list[cst.BaseExpression | None] = []
    for statement in reversed(statements):
        if isinstance(statement, cst.If) and binds(statement, name):
            found, complete = _if_values(statement, name)
            values.extend(found)
            if complete:
                return values, True
            continue
        found_one = _binding_in(statement, name)
        if found_one is not _NOT_BOUND:
            values.append(found_one)  # type: ignore[arg-type]
            return values, True
    return values, False


def _if_values(node: cst.If, name: str) -> tuple[list[cst.BaseExpression | None], bool]:
    values: list[cst.BaseExpression | None] = []
    complete = True
    branch: cst.If | cst.Else | None = node
    while branch is not None:
        statements = _block(branch.body)
        found, bound = _values_before(statements, name)
        values.extend(found)
        complete = complete and (bound or _raises_at_end(statements))
        if isinstance(branch, cst.Else):
            break
        if branch.orelse is None:
            complete = False
        branch = branch.orelse
    return values, complete


def _raises_at_end(statements: list[cst.CSTNode]) -> bool:
    """Whether a branch ends by raising (`else: raise ValueError(...)`): no path through it goes on."""
    last = statements[-1] if statements else None
    return (
        isinstance(last, cst.SimpleStatementLine) and bool(last.body) and isinstance(last.body[-1], cst.Raise)
    )


def _block(suite: cst.BaseSuite) -> list[cst.CSTNode]:
    return list(suite.body) if isinstance(suite, (cst.IndentedBlock, cst.SimpleStatementSuite)) else []


def _statement_list(node: cst.CSTNode) -> list[cst.CSTNode] | None:
    """The ordered statements (or small statements) a node holds directly, if it is a block."""
    if type(node) in _BLOCK_TYPES:
        return list(node.body)  # type: ignore[attr-defined]
    return None


_BLOCK_TYPES = frozenset((cst.Module, cst.IndentedBlock, cst.SimpleStatementSuite, cst.SimpleStatementLine))


def _position_in(body: list[cst.CSTNode], node: cst.CSTNode) -> int:
    for position, statement in enumerate(body):
        if statement is node:
            return position
    return len(body)


def _binding_in(statement: cst.CSTNode, name: str) -> object:
    """What a statement that precedes the use tells about `name`.

    The assigned value for `name = value`; None when the statement may rebind `name` otherwise; the
    `_NOT_BOUND` marker when it leaves `name` alone.
    """
    if type(statement) is cst.SimpleStatementLine:
        for small in reversed(statement.body):
            found = _binding_in(small, name)
            if found is not _NOT_BOUND:
                return found
        return _NOT_BOUND
    if type(statement) is cst.Assign:
        if len(statement.targets) == 1:
            target = statement.targets[0].target
            if isinstance(target, cst.Name) and target.value == name:
                return statement.value
        return None if binds(statement, name) else _NOT_BOUND
    if type(statement) is cst.AnnAssign and statement.value is not None:
        if isinstance(statement.target, cst.Name) and statement.target.value == name:
            return statement.value
    return None if binds(statement, name) else _NOT_BOUND


def _unpacking_in(statement: cst.CSTNode, name: str) -> object:
    """`_binding_in` for a tuple unpacking: (value, position) when `statement` is `a, name = value`."""
    if isinstance(statement, cst.SimpleStatementLine):
        for small in reversed(statement.body):
            found = _unpacking_in(small, name)
            if found is not _NOT_BOUND:
                return found
        return _NOT_BOUND
    if isinstance(statement, cst.Assign) and len(statement.targets) == 1:
        target = statement.targets[0].target
        if isinstance(target, (cst.Tuple, cst.List)) and not any(
            isinstance(element, cst.StarredElement) for element in target.elements
        ):
            names = [e.value.value if isinstance(e.value, cst.Name) else None for e in target.elements]
            if names.count(name) == 1:
                return statement.value, names.index(name)
    return None if binds(statement, name) else _NOT_BOUND


def binds(node: cst.CSTNode, name: str) -> bool:
    """Whether `name` may be bound anywhere in `node` (nested functions and classes bind only their name)."""
    names = _bound_names(node)
    return names is None or name in names


# The names each asked-about node binds, computed once per node: callers ask about the same loop or block
# for many names, and walking its subtree for each question made binding queries quadratic in the size of
# the enclosing block. Keyed by identity (libcst nodes take no weak references); the node is kept beside its
# answer so that its id cannot be reused while the entry lives. The table is emptied when a file's check
# ends (`forget_bound_names`), else the subtrees of every file checked before stayed alive (100,000 nodes
# over check_bench's files) for the cyclic collector to walk again and again, and when it grows large.
_BOUND_NAMES: dict[int, tuple[cst.CSTNode, frozenset[str] | None]] = {}
_BOUND_NAMES_LIMIT = 50_000


def forget_bound_names() -> None:
    """Empty the bound-names table: a check is done, and its nodes need not outlive it."""
    _BOUND_NAMES.clear()


# Nodes whose `target` a name is bound to, and statements that may bind any name (`_bound_names`).
_TARGET_HOLDERS = frozenset((cst.AugAssign, cst.AnnAssign, cst.NamedExpr, cst.For, cst.CompFor))
_UNKNOWN_BINDERS = frozenset((cst.Global, cst.Nonlocal, cst.Del))


def _bound_names(node: cst.CSTNode) -> frozenset[str] | None:
    """Every name that may be bound in `node`; None when any name may be (`global`, `nonlocal`, `del`)."""
    cached = _BOUND_NAMES.get(id(node))
    if cached is not None and cached[0] is node:
        return cached[1]
    names: set[str] = set()
    unknown = False
    stack = [node]
    while stack and not unknown:
        current = stack.pop()
        kind = type(current)  # concrete libcst classes: identity instead of ABCMeta's isinstance
        if kind is cst.FunctionDef or kind is cst.ClassDef:
            names.add(current.name.value)  # type: ignore[attr-defined]
            continue
        if kind is cst.Lambda:
            continue
        targets: list[cst.CSTNode] = []
        if kind is cst.Assign:
            targets = [target.target for target in current.targets]  # type: ignore[attr-defined]
        elif kind in _TARGET_HOLDERS:
            targets = [current.target]  # type: ignore[attr-defined]
        elif kind is cst.AsName:
            targets = [current.name]  # type: ignore[attr-defined]
        elif kind in _UNKNOWN_BINDERS:
            unknown = True  # rare enough that giving up costs nothing
        for target in targets:
            names.update(target_names(target))
        stack.extend(children(current))
    result = None if unknown else frozenset(names)
    if len(_BOUND_NAMES) >= _BOUND_NAMES_LIMIT:
        _BOUND_NAMES.clear()
    _BOUND_NAMES[id(node)] = (node, result)
    return result


def target_names(target: cst.CSTNode) -> list[str]:
    """The dotted names an assignment or loop target binds, tuples and lists unpacked and starred
    elements included (`logits, loss`, `self.x`, `first, *rest`); item targets (`d[k]`) bind none."""
    if type(target) in (cst.Tuple, cst.List):
        return [name for element in target.elements for name in target_names(element.value)]
    if type(target) is cst.StarredElement:
        return target_names(target.value)
    name = dotted_name(target) if type(target) in (cst.Name, cst.Attribute) else None
    return [name] if name is not None else []


def bound_name(ctx: FileContext, value: cst.CSTNode) -> cst.Name | None:
    """The name a plain single-target assignment binds `value` to (`loader = DataLoader(...)` gives
    `loader`); None for any other statement around it."""
    assign = ctx.index.parent(value)
    if (
        isinstance(assign, cst.Assign)
        and assign.value is value
        and len(assign.targets) == 1
        and isinstance(assign.targets[0].target, cst.Name)
    ):
        return assign.targets[0].target
    return None


def assigned_names(node: cst.Assign | cst.AugAssign | cst.AnnAssign) -> list[str]:
    """The dotted names an assignment statement binds, every target unpacked."""
    targets = [target.target for target in node.targets] if isinstance(node, cst.Assign) else [node.target]
    return [name for target in targets for name in target_names(target)]


# -- definitions: which function or class a call means -------------------------------------------------
# How many base classes, re-exports and constructor chains one resolution may pass through.
_MAX_HOPS = 8


def resolve_call(ctx: FileContext, call: cst.Call) -> Resolved | None:
    """The function, method or class a call runs, in this file or in a project module; None when unsure.

    Scope-aware, as Python binds names: a bare `f(...)` means a function defined in a function enclosing
    the call (a closure; the innermost wins) or at module level, or a name imported from a project module;
    `self.m(...)` a method of the enclosing class or of its project base classes; `self(...)` that class's
    `forward`; `obj.m(...)` a method of the class `obj` was certainly built from (`obj = Net(...)`);
    `pkg.f(...)` a function of an imported project module. Library calls stay unknown.
    """
    func = call.func
    if type(func) is cst.Name:
        if func.value == "self":
            owner = _enclosing_class(ctx, call)
            return method_of(owner, "forward") if owner is not None else None
        found = resolve_name(ctx, func.value, call)
        if found is None and _may_alias_method(ctx, func):
            candidates = _local_method_aliases(ctx, call)
            return candidates[0] if candidates is not None and len(candidates) == 1 else None
        return found
    if not isinstance(func, cst.Attribute):
        return None
    receiver = func.value
    if isinstance(receiver, cst.Name) and receiver.value == "self":
        owner = _enclosing_class(ctx, call)
        if owner is None:
            return None
        method = method_of(owner, func.attr.value)
        if method is not None:
            return method
        candidates = method_aliases(owner, func.attr.value)
        return candidates[0] if candidates is not None and len(candidates) == 1 else None
    # Only a name some assignment binds can hold an instance (`torch` bound only by its import cannot):
    # the walk back to the reaching assignment is skipped for the rest, which keeps long files linear.
    if isinstance(receiver, cst.Name) and any(b.kind in VALUE_KINDS for b in ctx.bindings.of(receiver.value)):
        value = reaching_value(ctx, receiver.value, call)
        if isinstance(value, cst.Call):
            cls = resolve_call(ctx, value)
            if cls is not None and isinstance(cls.node, cst.ClassDef):
                return method_of(cls, func.attr.value)
            return None
    qualified = ctx.qualified_name(func)
    return ctx.project.resolve_qualified(qualified) if qualified is not None else None


def call_candidates(ctx: FileContext, call: cst.Call) -> list[Resolved] | None:
    """The methods `self.<attribute>(...)` may run when the attribute is bound to one of several methods
    of the enclosing class (`method_aliases`), or a local name called in a method when the assignment that
    reaches the call picks one of them (`_local_method_aliases`; one candidate is what `resolve_call`
    gives); None when it is not such a call. Facts about the call are the ones all candidates agree on."""
    func = call.func
    if not _may_alias_method(ctx, func):
        return None
    if type(func) is cst.Name:
        if resolve_name(ctx, func.value, call) is not None:
            return None
        candidates = _local_method_aliases(ctx, call)
        if candidates is None:
            candidates = _local_function_aliases(ctx, call)
        return candidates if candidates is not None and len(candidates) > 1 else None
    owner = _enclosing_class(ctx, call)
    if owner is None or method_of(owner, func.attr.value) is not None:  # type: ignore[union-attr]
        return None
    candidates = method_aliases(owner, func.attr.value)  # type: ignore[union-attr]
    return candidates if candidates is not None and len(candidates) > 1 else None


def method_aliases(owner: Resolved, attribute: str) -> list[Resolved] | None:
    """The methods an attribute of `owner`'s instances is bound to when the class defines no method of
    that name but every binding of `self.<attribute>` in it names methods of `self`: directly
    (`self.step_fn = self.step_auto`), a dict literal of them picked by any key
    (`self.step_fn = {"auto": self.step_auto, "manual": self.step_manual}[mode]`) or a choice between
    them (`self.step_auto if auto else self.step_manual`). The distinct candidates, in order; None when
    a binding is anything else (a parameter, a library function, a submodule) or names no method of the
    class: then `self.<attribute>(...)` stays unknown."""
    if not isinstance(owner.node, cst.ClassDef):
        return None
    bindings = attribute_bindings(owner.ctx, owner.node, attribute)
    if not bindings:
        return None
    found: list[Resolved] = []
    for binding in bindings:
        names = _method_references(binding.value) if binding.kind == "assign" else None
        if not names:
            return None
        for name in names:
            method = method_of(owner, name)
            if method is None:
                return None
            if all(method.node is not known.node for known in found):
                found.append(method)
    return found


def _may_alias_method(ctx: FileContext, func: cst.BaseExpression) -> bool:
    """Cheap gate for `method_aliases` and `_local_method_aliases`: `self.<name>`, or a bare name, that
    some assignment binds to a picked attribute."""
    if type(func) is cst.Name:
        bound = func.value
    elif type(func) is cst.Attribute and type(func.value) is cst.Name and func.value.value == "self":
        bound = f"self.{func.attr.value}"
    else:
        return False
    return any(
        isinstance(binding.value, (cst.Attribute, cst.Subscript, cst.IfExp))
        for binding in ctx.bindings.of(bound)
    )


# Decorators that make a method's name stand for its value (`self.model` of `@property def model`).
_PROPERTY_DECORATORS = frozenset({"property", "cached_property", "functools.cached_property"})


def _local_method_aliases(ctx: FileContext, call: cst.Call) -> list[Resolved] | None:
    """The methods a local name called in a method may hold: `rank = self._filtered_rank if filtered else
    self._rank`, then `rank(model=self.model, ...)` in a loop of the same method (pykeen's evaluator),
    by the one assignment that reaches the call (`reaching_value`), which picks methods of `self`
    directly, from a dict literal or by a choice (`_method_references`). The distinct methods of the
    enclosing class, in order; None when the reaching value is unknown or anything else (a submodule,
    `layer = self.fc`; a property, whose value is what the name holds)."""
    names = _method_references(reaching_value(ctx, call.func.value, call))  # type: ignore[attr-defined]
    owner = _enclosing_class(ctx, call) if names else None
    if owner is None:
        return None
    found: list[Resolved] = []
    for name in names:  # type: ignore[union-attr]
        method = method_of(owner, name)
        if method is None or any(
            dotted_name(decorator.decorator) in _PROPERTY_DECORATORS
            for decorator in method.node.decorators  # type: ignore[attr-defined]
        ):
            return None
        if all(method.node is not known.node for known in found):
            found.append(method)
    return found


def _local_function_aliases(ctx: FileContext, call: cst.Call) -> list[Resolved] | None:
    """The project functions a local name may hold where it is called, when every assignment that may
    reach the call (through `if`/`elif`/`else` branches, `reaching_values`; a branch that raises reaches
    nothing) picks a module-level function of a project module by its attribute (`validation_summaries =
    age_training.validation_summaries` under `elif settings.application == 'age':`, sr-gan's run_srgan
    choosing its application's helpers by a setting). The distinct functions, in order; None when a path
    holds anything else (a parameter, a library function, a method, a call's result): unknown."""
    values = reaching_values(ctx, call.func.value, call)  # type: ignore[attr-defined]
    if not values:
        return None
    found: list[Resolved] = []
    for value in values:
        if not isinstance(value, cst.Attribute):
            return None
        target = _resolve_expression(ctx, value, call)
        if (
            target is None
            or not isinstance(target.node, cst.FunctionDef)
            or target.ctx.index.parent(target.node) is not target.ctx.module
        ):
            return None
        if all(target.node is not known.node for known in found):
            found.append(target)
    return found


def _method_references(value: cst.BaseExpression | None) -> list[str] | None:
    """The method names `value` picks from `self`: `self.m`, `{k: self.m, ...}[key]`, `self.m if c else
    self.n`; None for anything else."""
    if isinstance(value, cst.Attribute):
        return [value.attr.value] if dotted_name(value.value) == "self" else None
    if isinstance(value, cst.Subscript) and isinstance(value.value, cst.Dict):
        names: list[str] = []
        for element in value.value.elements:
            picked = _method_references(element.value) if isinstance(element, cst.DictElement) else None
            if not picked:
                return None
            names.extend(picked)
        return names
    if isinstance(value, cst.IfExp):
        body, orelse = _method_references(value.body), _method_references(value.orelse)
        return body + orelse if body and orelse else None
    return None


def local_function(ctx: FileContext, call: cst.Call) -> cst.FunctionDef | None:
    """The function or method of this file a call runs (`resolve_call`, kept to this file): for analyses
    that follow a call into its body with this file's facts. None for classes, other modules and library
    code; a call whose name no function of this file has is not resolved at all (cheap for most calls)."""
    func = call.func
    if type(func) is cst.Name:
        name = func.value
    elif isinstance(func, cst.Attribute):
        name = func.attr.value
    else:
        return None
    if name not in ctx.functions and not _may_alias_method(ctx, func):
        made = closure_factory_call(ctx, call)  # `run = make_loop(model)`, then `run(...)`
        return made[2] if made is not None else None
    with this_file_only():  # what another module defines is not kept: not read either
        target = resolve_call(ctx, call)
    if target is None or target.ctx is not ctx or not isinstance(target.node, cst.FunctionDef):
        return None
    return target.node


# The entries of one registry followed at most (`registry_entries`).
_MAX_REGISTRY_ENTRIES = 64


def registry_entries(ctx: FileContext, call: cst.Call) -> list[Resolved] | None:
    """The project definitions a call through a registry may run: `TABLE[key](...)` where `TABLE` is bound
    once, at module level of this file, to a dict literal whose every value names a project function or
    class (CRSLab's `system_register_table[model_name](opt, ...)` in `get_system`, the model chosen by the
    configuration). Each distinct definition once; None when the call is not of that form or any entry
    cannot be resolved (a lambda, a library class): what such a call runs is unknown."""
    func = call.func
    if type(func) is not cst.Subscript or type(func.value) is not cst.Name:
        return None
    bindings = ctx.bindings.of(func.value.value)
    if len(bindings) != 1 or bindings[0].kind != "assign" or type(bindings[0].value) is not cst.Dict:
        return None
    if ctx.index.enclosing(bindings[0].node, _DEFINITIONS) is not None:
        return None  # a function's local table: built per call, possibly changed there
    elements = bindings[0].value.elements  # type: ignore[union-attr]
    if not elements or len(elements) > _MAX_REGISTRY_ENTRIES:
        return None
    found: dict[int, Resolved] = {}
    for element in elements:
        if type(element) is not cst.DictElement or type(element.value) is not cst.Name:
            return None
        target = resolve_name(ctx, element.value.value, element)
        if target is None or not isinstance(target.node, (cst.FunctionDef, cst.ClassDef)):
            return None
        found.setdefault(id(target.node), target)
    return list(found.values())


def resolve_name(ctx: FileContext, name: str, at: cst.CSTNode, method: str | None = None) -> Resolved | None:
    """The definition a bare name means at `at`: a def or class of a function enclosing `at` (anywhere in
    its body, the innermost function first; two there are ambiguous) or a project definition imported in
    it (`_locally_imported`), a module-level one or an import of a project module's definition, else a def
    nested in a module-level block (`for`, `with`) when nothing else binds the name. A name an enclosing
    function binds in any other way (assigned, a loop target) is that function's local: unknown.
    `method`: the class is wanted only for that method of it (`ProjectView.resolve_qualified`: a module
    that cannot give it is not read)."""
    bindings = ctx.bindings.of(name)
    definitions = [b.node for b in bindings if b.kind in ("def", "class")]
    owners: list[cst.CSTNode | None] | None = None  # the function or class each binding sits in, once asked
    for scope in ctx.index.ancestors(at):
        if type(scope) is cst.FunctionDef:
            nested = [node for node in definitions if ctx.index.enclosing(node, _DEFINITIONS) is scope]
            if nested:
                return Resolved(ctx, nested[0]) if len(nested) == 1 else None  # type: ignore[arg-type]
            if any(param.name.value == name for param in _parameters(scope)):
                return None  # a parameter shadows module-level definitions
            if owners is None:
                owners = [ctx.index.enclosing(b.node, _DEFINITIONS) for b in bindings]
            local = [b for b, owner in zip(bindings, owners, strict=True) if owner is scope]
            if local:  # bound in this function: by one import alone, or a factory's closure; else unknown
                only = local[0].node if len(local) == 1 and local[0].kind == "import" else None
                if only is not None:
                    return _locally_imported(ctx, name, only, method)
                return _closure_made_by(ctx, local[0].value) if len(local) == 1 else None
    found = ctx.project.member([name], 0, method)
    if found is not None or len(definitions) != 1 or len(bindings) != 1:
        return found
    only = definitions[0]
    return Resolved(ctx, only) if ctx.index.enclosing(only, _DEFINITIONS) is None else None  # type: ignore[arg-type]


def closure_factory_call(
    ctx: FileContext, call: cst.Call
) -> tuple[cst.Call, cst.FunctionDef, cst.FunctionDef] | None:
    """For a call of a name bound once in its function to what a same-file factory returns
    (`train_val_loop = get_train_val_loop(model, ...)`, then `train_val_loop(is_train=False, ...)`), the
    factory's call, the factory and the closure, when every `return` of the factory gives back a function
    it defines (a closure over its parameters). None otherwise."""
    func = call.func
    scope = ctx.enclosing_function(call)
    if type(func) is not cst.Name or scope is None:
        return None
    local = [b for b in ctx.bindings.of(func.value) if ctx.index.enclosing(b.node, _DEFINITIONS) is scope]
    if len(local) != 1 or local[0].kind != "assign" or type(local[0].value) is not cst.Call:
        return None
    factory_call: cst.Call = local[0].value  # type: ignore[assignment]
    made = _closure_made_by(ctx, factory_call)
    if made is None:
        return None
    factory = ctx.index.enclosing(made.node, cst.FunctionDef)
    return (factory_call, factory, made.node) if factory is not None else None  # type: ignore[return-value]


def _closure_made_by(ctx: FileContext, value: cst.BaseExpression | None) -> Resolved | None:
    """The nested function a same-file factory call gives back (`get_train_val_loop(...)` whose every
    `return` is its own `def train_val_loop`), or None."""
    if type(value) is not cst.Call or type(value.func) is not cst.Name:
        return None
    if value.func.value not in ctx.functions:
        return None
    with this_file_only():
        factory = resolve_call(ctx, value)
    if factory is None or factory.ctx is not ctx or not isinstance(factory.node, cst.FunctionDef):
        return None
    returned = returned_values(factory.node)
    names = {dotted_name(v) for v in returned if v is not None}
    if not returned or None in returned or len(names) != 1:
        return None
    name = names.pop()
    nested = [
        node
        for node in ctx.functions.get(name, ())
        if ctx.index.enclosing(node, _DEFINITIONS) is factory.node
    ]
    return Resolved(ctx, nested[0]) if len(nested) == 1 else None


def _locally_imported(ctx: FileContext, name: str, node: cst.CSTNode, method: str | None) -> Resolved | None:
    """The project definition a name imported inside a function means there (`def main(): from models
    import build_model`, common in scripts that parse arguments or extend `sys.path` first): resolved like
    a module-level import, from that import statement itself (the file's import table keeps one meaning
    per name, the last import anywhere in the file)."""
    table = ImportTable([node], []) if type(node) is cst.Import else ImportTable([], [node])  # type: ignore[list-item]
    qualified = table.resolve(name)
    return ctx.project.resolve_qualified(qualified, 0, method) if qualified is not None else None


def attribute_bindings(ctx: FileContext, cls: cst.ClassDef | None, attribute: str) -> list[Binding]:
    """Every binding of `self.<attribute>` in the methods of `cls` (a class nested in it has its own
    `self`): what that attribute of the class's instances may hold. The one answer to "what does a class
    attribute hold" for submodules (`self.attention = Attention(d)`), criteria and meters."""
    return [b for b in ctx.bindings.of(f"self.{attribute}") if ctx.enclosing_class(b.node) is cls]


def parameter_class(ctx: FileContext, function: cst.FunctionDef, name: str) -> Resolved | None:
    """The project class a parameter of `function` is annotated with (`def gen_testset(model: WaveRNN,
    ...)`, `def __init__(self, model: ECD)`), when the function never rebinds it; None for any other
    annotation (a library class, `Optional[...]`, a string) and for a name that is no parameter."""
    if ":" not in ctx.source:
        return None  # cheap: nothing is annotated in this file
    if any(
        binding.kind == "assign" and ctx.enclosing_function(binding.node) is function
        for binding in ctx.bindings.of(name)
    ):
        return None  # rebound in the function: the annotation may not hold there
    params = function.params
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        if param.name.value != name:
            continue
        annotation = param.annotation.annotation if param.annotation is not None else None
        if not isinstance(annotation, cst.Name):
            return None
        cls = resolve_name(ctx, annotation.value, function)
        return cls if cls is not None and isinstance(cls.node, cst.ClassDef) else None
    return None


def declared_attribute_class(ctx: FileContext, cls: cst.ClassDef, attribute: str) -> Resolved | None:
    """The project class the body of `cls` declares its attribute to hold, by a bare annotation
    (`model: ChronosModel` among the class's statements, as typed classes and dataclasses spell their
    fields); None for any other annotation (a library class, `Optional[...]`, a string), a declaration
    with a value (a class attribute shared by every instance) and an undeclared attribute."""
    if f"{attribute}:" not in ctx.source and f"{attribute} :" not in ctx.source:
        return None  # cheap: nothing in the file declares the name
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    for statement in body:
        if type(statement) is not cst.SimpleStatementLine:
            continue
        for small in statement.body:
            if type(small) is not cst.AnnAssign or small.value is not None:
                continue
            if not (isinstance(small.target, cst.Name) and small.target.value == attribute):
                continue
            annotation = small.annotation.annotation
            if not isinstance(annotation, cst.Name):
                return None
            found = resolve_name(ctx, annotation.value, cls)
            return found if found is not None and isinstance(found.node, cst.ClassDef) else None
    return None


def attribute_values(
    ctx: FileContext, cls: cst.ClassDef | None, attribute: str
) -> list[cst.BaseExpression] | None:
    """The values `cls` assigns to `self.<attribute>` (`attribute_bindings`); None when there is none or
    one of its bindings has no known value (`self.x += 1`, a loop target), as `FileBindings.values`."""
    bindings = attribute_bindings(ctx, cls, attribute)
    if not bindings or any(b.value is None for b in bindings):
        return None
    return [b.value for b in bindings if b.value is not None]


def submodule_forward(ctx: FileContext, call: cst.Call) -> Resolved | None:
    """`self.attention(q, k, v)` where every binding of `self.attention` in the enclosing class builds the
    same project class (`self.attention = ScaledDotProductAttention(d)`): that class's `forward`. A
    submodule passed in from outside (a constructor parameter) or picked by a condition between classes
    stays unknown."""
    func = call.func
    if not isinstance(func, cst.Attribute) or dotted_name(func.value) != "self":
        return None
    cls = ctx.enclosing_class(call)
    if cls is None:
        return None
    bindings = attribute_bindings(ctx, cls, func.attr.value)
    if not bindings or any(b.kind != "assign" or not isinstance(b.value, cst.Call) for b in bindings):
        return None
    if any((ctx.callee(b.value) or "").startswith("torch.") for b in bindings):  # type: ignore[arg-type]
        return None  # a library layer, no project class
    built = {resolve_call(ctx, b.value) for b in bindings}  # type: ignore[arg-type]
    found = built.pop() if len(built) == 1 else None
    if found is None or not isinstance(found.node, cst.ClassDef):
        return None
    return method_of(found, "forward")


def method_of(cls: Resolved, name: str, hops: int = 0) -> Resolved | None:
    """A method of a class, looked up in the class and then in its bases (in this or project modules)."""
    if not isinstance(cls.node, cst.ClassDef) or hops > _MAX_HOPS:
        return None
    found = None
    if isinstance(cls.node.body, cst.IndentedBlock):
        for statement in cls.node.body.body:
            if type(statement) is cst.FunctionDef and statement.name.value == name:
                found = statement
    if found is not None:
        return Resolved(cls.ctx, found)
    for base in cls.node.bases:
        parent = _resolve_expression(cls.ctx, base.value, cls.node, method=name)
        if parent is not None and isinstance(parent.node, cst.ClassDef):
            method = method_of(parent, name, hops + 1)
            if method is not None:
                return method
    return None


def project_bases(cls: Resolved) -> list[Resolved]:
    """The direct base classes of a class that the project defines (in this or project modules): what an
    instance also runs (`super().__init__(...)`, inherited methods). Library bases (`DataLoader`,
    `nn.Module`) and bases that cannot be found are left out."""
    if not isinstance(cls.node, cst.ClassDef):
        return []
    found = []
    for base in cls.node.bases:
        parent = _resolve_expression(cls.ctx, base.value, cls.node)
        if parent is not None and isinstance(parent.node, cst.ClassDef):
            found.append(parent)
    return found


# Bases that give a class nothing but a type-checking role.
_MARKER_BASES = frozenset({"abc.ABC", "typing.Generic", "typing.Protocol"})


def class_hierarchy(cls: Resolved, hops: int = 0) -> list[Resolved] | None:
    """A class and all its base classes (in this or project modules), the class first; None when a base
    other than `object` or a typing marker (`abc.ABC`, `Generic[T]`, `Protocol`: they add no state or
    behaviour to the class's instances) cannot be found in the project (a library base may do
    anything)."""
    if not isinstance(cls.node, cst.ClassDef) or hops > _MAX_HOPS:
        return None
    found = [cls]
    for base in cls.node.bases:
        if isinstance(base.value, cst.Name) and base.value.value == "object":
            continue
        marker = base.value.value if isinstance(base.value, cst.Subscript) else base.value
        if cls.ctx.qualified_name(marker) in _MARKER_BASES:
            continue
        parent = _resolve_expression(cls.ctx, base.value, cls.node)
        above = class_hierarchy(parent, hops + 1) if parent is not None else None
        if above is None:
            return None
        found.extend(above)
    return found


def resolve_base(ctx: FileContext, expr: cst.BaseExpression, at: cst.CSTNode) -> Resolved | None:
    """The project definition a base-class expression of the class `at` names (`Base`, `pkg.Base`), as
    `class_hierarchy` and `method_of` resolve it; None for a library class or an unknown one."""
    return _resolve_expression(ctx, expr, at)


def _resolve_expression(
    ctx: FileContext, expr: cst.BaseExpression, at: cst.CSTNode, method: str | None = None
) -> Resolved | None:
    if isinstance(expr, cst.Name):
        return resolve_name(ctx, expr.value, at, method)
    qualified = ctx.qualified_name(expr)
    return ctx.project.resolve_qualified(qualified, method=method) if qualified is not None else None


def _enclosing_class(ctx: FileContext, node: cst.CSTNode) -> Resolved | None:
    """The class whose method encloses `node` (the method's own class, not one nested in it)."""
    function = ctx.index.enclosing(node, cst.FunctionDef)
    while function is not None:
        parent = ctx.index.enclosing(function, (cst.FunctionDef, cst.ClassDef))
        if isinstance(parent, cst.ClassDef):
            return Resolved(ctx, parent)
        function = parent
    return None


def _parameters(function: cst.FunctionDef) -> list[cst.Param]:
    params = function.params
    found = [*params.posonly_params, *params.params, *params.kwonly_params]
    for star in (params.star_arg, params.star_kwarg):
        if type(star) is cst.Param:
            found.append(star)
    return found


def call_parameters(ctx: FileContext, function: cst.FunctionDef) -> list[cst.Param]:
    """The parameters a call of `function` fills by position, in order: a method's first (`self`, `cls`)
    is bound by the attribute call, not passed (a static method's is)."""
    positional = [*function.params.posonly_params, *function.params.params]
    owner = ctx.index.enclosing(function, (cst.FunctionDef, cst.ClassDef))
    static = any(dotted_name(d.decorator) == "staticmethod" for d in function.decorators)
    return positional[1:] if type(owner) is cst.ClassDef and not static else positional


def matched_arguments(positional: Sequence[str], call: cst.Call) -> dict[str, cst.BaseExpression]:
    """The expression a call passes for each parameter it names, or fills by position before any
    `*args`/`**kwargs` (after one, which parameter gets what is unknown). `positional` is what
    `call_parameters` gives, by name. The one matcher of arguments to parameters."""
    found: dict[str, cst.BaseExpression] = {}
    plain = [arg for arg in call.args if arg.keyword is None]
    for name, arg in zip(positional, plain, strict=False):
        if arg.star:
            break
        found[name] = arg.value
    for arg in call.args:
        if arg.keyword is not None:
            found[arg.keyword.value] = arg.value
    return found


def passed_value(positional: Sequence[str], call: cst.Call, param: cst.Param) -> cst.BaseExpression | None:
    """What one call passes for `param`, or its default where the call leaves it out; None when the call
    spreads `*args`/`**kwargs` (which parameter gets what is unknown) or leaves out a parameter without
    default. Every collector of "what do the callers pass" asks this."""
    if any(arg.star for arg in call.args):
        return None
    return matched_arguments(positional, call).get(param.name.value, param.default)


def own_nodes(root: cst.FunctionDef | cst.BaseSuite, nested_loops: bool = True) -> list[cst.CSTNode]:
    """The nodes of a function's own body (or of one block, such as a loop's body): nested functions,
    classes and lambdas run later (or never), so they are left out. With `nested_loops=False`, loops
    nested inside are left out too, for questions about one iteration of the loop whose body this is
    (their calls run a different number of times). The one walk of this kind in the engine."""
    # Type identity, not isinstance: these are concrete libcst classes (never subclassed), and a failed
    # isinstance against a libcst class goes through ABCMeta's Python-level check, for every node.
    skipped = _SCOPE_TYPES if nested_loops else _SCOPE_AND_LOOP_TYPES
    found: list[cst.CSTNode] = []
    stack: list[cst.CSTNode] = [root.body if type(root) is cst.FunctionDef else root]
    while stack:
        node = stack.pop()
        if type(node) in skipped:
            continue
        found.append(node)
        stack.extend(children(node))
    return found


def listed_elements(
    ctx: FileContext,
    name: str,
    at: cst.CSTNode,
    kept: Callable[[FileContext, cst.Name, cst.CSTNode | None], bool],
) -> list[cst.BaseExpression] | None:
    """Every element a list named `name` may hold in the scope of `at` (its function, or the module's
    top level): the elements of its literal bindings (`outputs = []`, `layers = [conv, relu]`) and of its
    `append(x)` / `extend([...])` calls. A use the caller's `kept` accepts leaves the list as it is (read,
    unpacked, joined); any other use (passed on, stored into, extended by another list, bound to
    anything but a literal list) may change it in a way not seen here: None."""
    scope = ctx.enclosing_function(at) or ctx.module
    elements: list[cst.BaseExpression] = []
    for node in own_nodes(scope) if isinstance(scope, cst.FunctionDef) else ctx.index.nodes(cst.Name):
        if type(node) is not cst.Name or node.value != name:
            continue
        if isinstance(scope, cst.Module) and ctx.enclosing_function(node) is not None:
            continue
        parent = ctx.index.parent(node)
        if kept(ctx, node, parent):
            continue
        if isinstance(parent, cst.AssignTarget):
            value = ctx.index.parent(parent).value  # type: ignore[union-attr]
            if not isinstance(value, cst.List):
                return None
            elements.extend(element.value for element in value.elements)
            continue
        grand = ctx.index.parent(parent) if parent is not None else None
        if not (
            isinstance(parent, cst.Attribute)
            and parent.value is node
            and isinstance(grand, cst.Call)
            and grand.func is parent
            and parent.attr.value in ("append", "extend")
            and len(grand.args) == 1
        ):
            return None
        added = grand.args[0].value
        if parent.attr.value == "append":
            elements.append(added)
        elif isinstance(added, (cst.List, cst.Tuple)):
            elements.extend(element.value for element in added.elements)
        else:
            return None
    return elements


def returned_values(function: cst.FunctionDef) -> list[cst.BaseExpression | None]:
    """The values of a function's own `return` statements (nested functions excluded); None for a bare
    `return`."""
    return [node.value for node in own_nodes(function) if type(node) is cst.Return]


# -- the file's binding table ---------------------------------------------------------------------------


# Binding kinds whose `value` is the value the name then holds (not `+=`, a loop target or an import).
VALUE_KINDS = frozenset({"assign", "annotated", "unpack", "item", "parameter"})


@dataclass(frozen=True)
class Binding:
    """One place that binds a (dotted) name: `kind` says how, `value` is the bound expression when one
    is known (an assignment's right-hand side, the matching element of a tuple unpacked from a tuple, a
    parameter's default), else None (a loop target, `with ... as`, an import, `+=`)."""

    name: str
    kind: str  # assign, annotated, augmented, unpack, item, parameter, loop, with, import, def, class
    node: cst.CSTNode
    value: cst.BaseExpression | None


class FileBindings:
    """Every binding of the file by dotted name (`x`, `self.model`), in source order, built on first use
    from the index (no walk of its own). Per file, not per scope: callers that need the value at a point
    ask `reaching_value`; this table answers "everything this name is ever bound to". An item written
    under a string key (`cfg["epochs"] = 90`) is an "item" binding named `cfg['epochs']`."""

    def __init__(self, ctx: FileContext) -> None:
        table: dict[str, list[Binding]] = {}
        index = ctx.index

        def add(target: cst.BaseExpression, kind: str, node: cst.CSTNode, value: cst.BaseExpression | None):
            if type(target) in (cst.Tuple, cst.List):
                elements = [element.value for element in target.elements]
                values: list[cst.BaseExpression | None] = [None] * len(elements)
                if (
                    type(value) in (cst.Tuple, cst.List)
                    and len(value.elements) == len(elements)
                    and not any(isinstance(e, cst.StarredElement) for e in value.elements)
                ):
                    values = [element.value for element in value.elements]
                for element, element_value in zip(elements, values, strict=True):
                    add(element, "unpack", node, element_value)
                return
            if type(target) is cst.StarredElement:
                add(target.value, kind, node, None)
                return
            if type(target) is cst.Subscript:
                name = item_name(target)
                if name is not None:
                    table.setdefault(name, []).append(Binding(name, "item", node, value))
                return
            name = dotted_name(target)
            if name is not None:
                table.setdefault(name, []).append(Binding(name, kind, node, value))

        for assign in index.nodes(cst.Assign):
            for target in assign.targets:
                add(target.target, "assign", assign, assign.value)
        for ann in index.nodes(cst.AnnAssign):
            add(ann.target, "annotated", ann, ann.value)
        for aug in index.nodes(cst.AugAssign):
            add(aug.target, "augmented", aug, None)
        for param in index.nodes(cst.Param):
            add(param.name, "parameter", param, param.default)
        for loop in index.nodes(cst.For):
            add(loop.target, "loop", loop, None)
        for item in index.nodes(cst.WithItem):
            if item.asname is not None:
                add(item.asname.name, "with", item, None)  # type: ignore[arg-type]
        for node in (*index.nodes(cst.Import), *index.nodes(cst.ImportFrom)):
            if type(node.names) is cst.ImportStar:
                continue
            for alias in node.names:
                bound = alias.asname.name if alias.asname is not None else alias.name
                name = dotted_name(bound)  # type: ignore[arg-type]
                if name:
                    head = name if alias.asname is not None else name.split(".", 1)[0]
                    table.setdefault(head, []).append(Binding(head, "import", node, None))
        for kind, node_type in (("def", cst.FunctionDef), ("class", cst.ClassDef)):
            for definition in index.nodes(node_type):
                table.setdefault(definition.name.value, []).append(
                    Binding(definition.name.value, kind, definition, None)
                )
        self._table = table
        self._index = index

    @cached_property
    def _mentions(self) -> dict[str, list[cst.Name]]:
        table: dict[str, list[cst.Name]] = {}
        for node in self._index.nodes(cst.Name):
            table.setdefault(node.value, []).append(node)
        return table

    def mentions(self, name: str) -> list[cst.Name]:
        """Every `Name` node spelling a plain name, in source order: its bindings and its reads, also an
        attribute (`self.name`) or a keyword of that spelling. Grouped once per file, for questions about
        every use of a name, which would otherwise walk all of the file's names each time."""
        return self._mentions.get(name, [])

    def of(self, name: str) -> list[Binding]:
        """Every binding of a dotted name in the file (empty when it is never bound here)."""
        return self._table.get(name, [])

    def assigned(self, name: str) -> list[cst.BaseExpression]:
        """The values of the plain assignments to a name (`name = value`, `name: T = value`), in source
        order; unpackings and every other kind of binding are left out."""
        return [b.value for b in self.of(name) if b.kind in ("assign", "annotated") and b.value is not None]

    def sources(self, name: str) -> list[cst.BaseExpression]:
        """Every right-hand side a name's value may be computed from: the whole value of each assignment,
        augmented assignment or unpacking that binds it (`logits, loss = model(x, y)` gives `model(x, y)`
        for both). An over-approximation, for analyses that follow what flows into a value."""
        return [
            b.node.value
            for b in self.of(name)
            if isinstance(b.node, (cst.Assign, cst.AugAssign, cst.AnnAssign)) and b.node.value is not None
        ]

    @cached_property
    def by_last_name(self) -> dict[str, list[Binding]]:
        """Every binding by the last part of its name: `epochs`, `args.epochs`, `self.epochs` and
        `cfg['epochs']` all under `epochs`, for settings that scripts move between variables, attributes
        and dicts."""
        table: dict[str, list[Binding]] = {}
        for name, bindings in self._table.items():
            last = name[name.rindex("['") + 2 : -2] if name.endswith("']") else name.rsplit(".", 1)[-1]
            table.setdefault(last, []).extend(bindings)
        return table

    def items(self, base: str) -> dict[str, list[Binding]]:
        """The items written under plain string keys of a name (`cfg["num_workers"] = 4`), by key."""
        prefix = base + "['"
        return {
            name[len(prefix) : -2]: bindings
            for name, bindings in self._table.items()
            if name.startswith(prefix) and "['" not in name[len(prefix) :]
        }

    def values(self, name: str) -> list[cst.BaseExpression] | None:
        """The values a name is assigned anywhere in the file; None when one of its bindings has no
        known value (a loop target, `+=`, `with ... as`), so callers cannot mistake a partial list for
        all. Parameters without a default, imports and definitions bind no value and are left out
        (`import model` and then `model = model.Net()` is about the assignment)."""
        bindings = [
            b
            for b in self.of(name)
            if (b.kind != "parameter" or b.value is not None) and b.kind not in ("import", "def", "class")
        ]
        if not bindings or any(b.value is None for b in bindings):
            return None
        return [b.value for b in bindings if b.value is not None]


def exclusive_branches(ctx: FileContext, first: cst.CSTNode, second: cst.CSTNode) -> bool:
    """Whether two nodes of one class's methods never run for the same object: they sit on opposite sides
    of `if` statements with the same test (`if self.action_type == "discrete":` in `__init__` and in
    `forward`), a test that reads only attributes of `self` set in `__init__` and literals, so its answer
    is fixed when the object is built. `self.loss = nn.CrossEntropyLoss()` on one side and
    `self.loss = nn.MSELoss()` on the other: a use under the same test reads the first."""
    cls = ctx.enclosing_class(first)
    if cls is None or ctx.enclosing_class(second) is not cls:
        return False
    taken = {text: holds for text, holds, _ in _branch_tests(ctx, first)}
    return any(
        text in taken and taken[text] is not holds and _fixed_at_init(ctx, test, cls)
        for text, holds, test in _branch_tests(ctx, second)
    )


def _branch_tests(ctx: FileContext, node: cst.CSTNode) -> list[tuple[str, bool, cst.BaseExpression]]:
    """The tests of the `if` statements `node` runs under in its function, by source text, each with
    whether it holds there (True in the body; False in the `else` and in every `elif` after it)."""
    found: list[tuple[str, bool, cst.BaseExpression]] = []
    child = node
    for ancestor in ctx.index.ancestors(node):
        if isinstance(ancestor, _SCOPES):
            break
        if isinstance(ancestor, cst.If):
            if child is ancestor.body or child is ancestor.orelse:
                text = ctx.module.code_for_node(ancestor.test)
                found.append((text, child is ancestor.body, ancestor.test))
        child = ancestor
    return found


def _fixed_at_init(ctx: FileContext, test: cst.BaseExpression, cls: cst.ClassDef) -> bool:
    """Whether a test reads only literals and attributes of `self` that only `__init__` of `cls` binds."""
    stack: list[cst.CSTNode] = [test]
    while stack:
        node = stack.pop()
        if (
            isinstance(node, cst.Attribute)
            and isinstance(node.value, cst.Name)
            and node.value.value == "self"
        ):
            bindings = attribute_bindings(ctx, cls, node.attr.value)
            if not bindings or any(_binding_function(ctx, b) != "__init__" for b in bindings):
                return False
            continue
        if isinstance(node, cst.Name) and node.value not in ("True", "False", "None"):
            return False
        if isinstance(node, (cst.Call, cst.Lambda, cst.NamedExpr, cst.Await)):
            return False
        stack.extend(children(node))
    return True


def _binding_function(ctx: FileContext, binding: Binding) -> str | None:
    function = ctx.index.enclosing(binding.node, cst.FunctionDef)
    return function.name.value if function is not None else None


def item_name(target: cst.Subscript) -> str | None:
    """`cfg['epochs']` (`cfg['train']['epochs']`) for an item written under a plain string key of a
    dotted name (or of such an item), else None."""
    base = dotted_name(target.value) or (
        item_name(target.value) if isinstance(target.value, cst.Subscript) else None
    )
    if base is None or len(target.slice) != 1 or not isinstance(target.slice[0].slice, cst.Index):
        return None
    key = target.slice[0].slice.value
    text = key.evaluated_value if isinstance(key, cst.SimpleString) else None
    return f"{base}[{text!r}]" if isinstance(text, str) and text.isidentifier() else None


def _subclass_init(ctx: FileContext, call: cst.Call, cls: cst.ClassDef) -> bool:
    """`super().__init__(...)` (or `super(Sub, self).__init__(...)`) in a direct subclass of `cls`."""
    func = call.func
    if not (
        type(func) is cst.Attribute
        and func.attr.value == "__init__"
        and isinstance(func.value, cst.Call)
        and isinstance(func.value.func, cst.Name)
        and func.value.func.value == "super"
    ):
        return False
    sub = ctx.enclosing_class(call)
    return sub is not None and sub is not cls and cls.name.value in ctx.base_names(sub)


def enclosing_parameter(ctx: FileContext, name: cst.Name) -> tuple[cst.FunctionDef, cst.Param] | None:
    """The function whose parameter a bare name at this point is, when it is one (and not rebound)."""
    function = ctx.index.enclosing(name, cst.FunctionDef)
    if function is None:
        return None
    for param in _parameters(function):
        if param.name.value == name.value:
            return function, param
    return None


def project_argument_values(
    ctx: FileContext, function: cst.FunctionDef, param: cst.Param, max_files: int | None = None
) -> list[tuple[FileContext, cst.BaseExpression, cst.Call]] | None:
    """What the calls of a module-level function from the project's other modules pass for `param`
    (`train.source_only(encoder, classifier, ...)` in main.py for `def source_only(encoder, classifier,
    ...)` in train.py), each with its file and call; for the `__init__` of a module-level class, what
    the constructions of the class pass (`Seq2Seq(encoder, decoder)` in train.py); for another method of
    one, what calls on its instances pass (`LocalUpdate(...).train(net=net)`). Callers are those
    `project_calls` finds. None when there is no such call, a call's arguments cannot be matched, or the
    function is neither, or the project has more than `max_files` Python files (a question not worth
    reading every file's text). Callers not in the project stay unknown."""
    calls = project_calls(ctx, function, max_files)
    if not calls:
        return None
    names = [p.name.value for p in call_parameters(ctx, function)]
    found: list[tuple[FileContext, cst.BaseExpression, cst.Call]] = []
    for module, call, runs_it in calls:
        if not runs_it:
            continue
        value = passed_value(names, call, param)
        if value is None:
            return None
        found.append((module, value, call))
    return found or None


def project_calls(
    ctx: FileContext, function: cst.FunctionDef, max_files: int | None = None
) -> list[tuple[FileContext, cst.Call, bool]] | None:
    """The calls in the project's other modules that may run a function of this file: those spelled with
    its name (`source_only(...)`, `train.source_only(...)`; for the `__init__` of a module-level class,
    the class's name; for another method of one, `.method(...)` in a module that names the class), in the
    modules `project.importers_of` finds (also those importing through a package's re-export), each with
    whether it resolves to this very function (`resolve_call`, or one of the project functions a local
    name may run, `call_candidates`). A call resolved to another definition (a same-named function of
    the caller's own module) is left out; one resolved to nothing is kept, with False: it may run this
    function, or not. [] when no other module calls it; None when the function is none of those kinds,
    the file has no project, or the project has more than `max_files` Python files."""
    from nnlint.engine.project import importers_of

    if ctx.real_path is None:
        return None
    owner = ctx.index.enclosing(function, (cst.FunctionDef, cst.ClassDef))
    words: tuple[str, ...] = ()
    if owner is None and ctx.index.parent(function) is ctx.module:
        name, kind = function.name.value, cst.FunctionDef
    elif (
        isinstance(owner, cst.ClassDef)
        and ctx.index.enclosing(owner, (cst.FunctionDef, cst.ClassDef)) is None
    ):
        if function.name.value == "__init__":
            name, kind = owner.name.value, cst.ClassDef
        else:
            # A method: its callers build the class (`LocalUpdate(...).train(net=...)`).
            name, kind, words = function.name.value, cst.FunctionDef, (owner.name.value,)
    else:
        return None
    modules = importers_of(ctx, name, *words, max_files=max_files)
    if modules is None:
        return None
    found: list[tuple[FileContext, cst.Call, bool]] = []
    for module in modules:
        for call in module.index.nodes(cst.Call):
            func = call.func
            spelled = (
                func.value
                if isinstance(func, cst.Name)
                else getattr(getattr(func, "attr", None), "value", None)
            )
            if spelled != name:
                continue
            target = resolve_call(module, call) or _candidate_here(module, call, ctx)
            if target is None:
                found.append((module, call, False))
                continue
            # The other module sees this file through the module store: the same function, another parse.
            if target.ctx.real_path != ctx.real_path:
                continue
            if not isinstance(target.node, kind) or target.node.name.value != name:
                continue
            if words:
                cls = target.ctx.enclosing_class(target.node)
                if cls is None or cls.name.value != words[0]:
                    continue
            found.append((module, call, True))
    return found


def _candidate_here(module: FileContext, call: cst.Call, ctx: FileContext) -> Resolved | None:
    """The function of `ctx`'s file among those a call of a local name may run (`call_candidates`: one
    of several project functions picked by a setting): when it runs, it is given this call's arguments."""
    return next(
        (target for target in call_candidates(module, call) or () if target.ctx.real_path == ctx.real_path),
        None,
    )


def dispatched_argument_values(
    ctx: FileContext, function: cst.FunctionDef, param: cst.Param
) -> list[tuple[cst.BaseExpression, cst.Call]] | None:
    """What the calls `self.<method>(...)` in the methods of this file's base classes of the method's
    class pass for `param`, where the class overrides the method but not the calling method: on an
    instance of the class they run this one (virtual dispatch; `VisionTransformer.train_model` calling
    `self.state_loss(...)`, which `ViTOneHot` overrides). The values are the base class's expressions,
    to be read as on an instance of the class (`self.forward(...)` there runs the class's own). None when
    there is no such call or one cannot be matched."""
    cls = ctx.index.enclosing(function, (cst.FunctionDef, cst.ClassDef))
    if not isinstance(cls, cst.ClassDef) or function.name.value == "__init__":
        return None
    name = function.name.value
    overridden = {
        statement.name.value
        for statement in (cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ())
        if isinstance(statement, cst.FunctionDef)
    }
    bases = file_bases(ctx, cls)
    positional = [p.name.value for p in call_parameters(ctx, function)]
    found: list[tuple[cst.BaseExpression, cst.Call]] = []
    for call in ctx.index.nodes(cst.Call):
        func = call.func
        if not (
            isinstance(func, cst.Attribute)
            and func.attr.value == name
            and isinstance(func.value, cst.Name)
            and func.value.value == "self"
        ):
            continue
        caller = ctx.index.enclosing(call, cst.FunctionDef)
        owner = ctx.index.enclosing(caller, (cst.FunctionDef, cst.ClassDef)) if caller is not None else None
        if owner not in bases or caller.name.value in overridden:  # type: ignore[union-attr]
            continue
        value = passed_value(positional, call, param)
        if value is None:
            return None
        found.append((value, call))
    return found or None


def passed_methods(ctx: FileContext, function: cst.FunctionDef, param: cst.Param) -> list[Resolved] | None:
    """The project functions a method's callable parameter is given by every call of the method on an
    instance of its class: `self.<method>(...)`, or `self.<alias>(...)` where the class binds
    `self.<alias> = self.<method>` (`method_aliases`), in the methods of the class and of its project
    base classes, whichever module they are in. A trainer base class calls
    `self._train_epoch_impl(progress, context, self._backprop)` and a subclass binds `_train_epoch_impl`
    to its own epoch method, whose `backprop(loss)` then runs the base's `_backprop`. A value `self.m`
    is read on an instance of the class (the class's own `m`, or the one it inherits); a bare name as the
    calling module binds it. None when there is no such call, one passes anything else (a lambda, a
    parameter, a library function), or a base class is not in the project: unknown means silent."""
    cls = ctx.index.enclosing(function, (cst.FunctionDef, cst.ClassDef))
    if not isinstance(cls, cst.ClassDef) or function.name.value == "__init__":
        return None
    owner = Resolved(ctx, cls)
    hierarchy = class_hierarchy(owner)
    if hierarchy is None:
        return None
    names = {function.name.value} | _aliases_in_hierarchy(owner, hierarchy, function)
    positional = [p.name.value for p in call_parameters(ctx, function)]
    found: list[Resolved] = []
    for member in hierarchy:
        for call in member.ctx.index.nodes(cst.Call):
            func = call.func
            if not (
                isinstance(func, cst.Attribute)
                and func.attr.value in names
                and isinstance(func.value, cst.Name)
                and func.value.value == "self"
                and member.ctx.enclosing_class(call) is member.node
            ):
                continue
            value = passed_value(positional, call, param)
            if isinstance(value, cst.Attribute) and dotted_name(value.value) == "self":
                target = method_of(owner, value.attr.value)
            elif isinstance(value, cst.Name):
                target = resolve_name(member.ctx, value.value, call)
            else:
                return None
            if target is None or not isinstance(target.node, cst.FunctionDef):
                return None
            found.append(target)
    return found or None


def _aliases_in_hierarchy(owner: Resolved, hierarchy: list[Resolved], function: cst.FunctionDef) -> set[str]:
    """The attributes that a class of `owner`'s hierarchy binds to the method `function` on `owner`'s
    instances: `self.<alias> = self.<name>` in the class itself or in a base class of any module, where
    every binding of `self.<alias>` in that class names methods of `self` (`method_aliases`) and
    `self.<name>` read on an instance of `owner` is `function`. A base trainer picks its epoch method in
    `__init__` (`self._train_epoch_impl = self._train_epoch_unsupervised`) and a subclass overrides that
    method: on the subclass's instances the alias runs the override (torch-em's UniMatch v2 trainer)."""
    name = function.name.value
    found: set[str] = set()
    for member in hierarchy:
        if not isinstance(member.node, cst.ClassDef) or f"self.{name}" not in member.ctx.source:
            continue  # cheap: this class never reads the method off `self`
        for statement in member.ctx.index.nodes(cst.Assign):
            if len(statement.targets) != 1 or member.ctx.enclosing_class(statement) is not member.node:
                continue
            target = statement.targets[0].target
            picks = _method_references(statement.value) or ()
            if not isinstance(target, cst.Attribute) or name not in picks:
                continue
            if not method_aliases(member, target.attr.value):
                continue  # the alias is also bound to something other than a method of `self`
            picked = method_of(owner, name)
            if picked is not None and picked.node is function:
                found.add(target.attr.value)
    return found


def file_bases(ctx: FileContext, cls: cst.ClassDef) -> list[cst.ClassDef]:
    """The classes of this file that `cls` derives from, directly or through each other."""
    found: list[cst.ClassDef] = []
    pending = [cls]
    while pending and len(found) <= _MAX_HOPS:
        current = pending.pop()
        for base in current.bases:
            if not isinstance(base.value, cst.Name):
                continue
            with this_file_only():  # a base class of another module is not kept: not read either
                parent = resolve_name(ctx, base.value.value, current)
            if parent is not None and parent.ctx is ctx and isinstance(parent.node, cst.ClassDef):
                if parent.node not in found:
                    found.append(parent.node)
                    pending.append(parent.node)
    return found


def overrides_in_file(ctx: FileContext, method: cst.FunctionDef) -> list[cst.FunctionDef]:
    """The methods of this file's subclasses of the method's class that override it, in file order: what
    `self.<method>(...)` in the base class runs on their instances (LM-LSTM-CRF's `predict.output_batch`
    calls `self.apply_model(...)`, a template that `predict_w` and `predict_wc` override)."""
    cls = ctx.index.enclosing(method, (cst.FunctionDef, cst.ClassDef))
    if not isinstance(cls, cst.ClassDef):
        return []
    name = method.name.value
    found: list[cst.FunctionDef] = []
    for other in ctx.index.nodes(cst.ClassDef):
        if other is cls or not other.bases or cls not in file_bases(ctx, other):
            continue
        for statement in other.body.body if isinstance(other.body, cst.IndentedBlock) else ():
            if isinstance(statement, cst.FunctionDef) and statement.name.value == name:
                found.append(statement)
    return found


def loop_carried_value(ctx: FileContext, name: str, at: cst.CSTNode) -> cst.BaseExpression | None:
    """For a name that a loop before `at` grows once per iteration from itself (`preds = torch.cat((preds,
    p.unsqueeze(-1)))`, the loop body's one binding of it, unconditional), that value: after the loop the
    name holds what its last iteration made. None otherwise."""
    statement = ctx.index.statement_of(at)
    block = ctx.index.parent(statement)
    body = _statement_list(block) if block is not None else None
    if body is None:
        return None
    loop: cst.CSTNode | None = None
    for previous in reversed(body[: _position_in(body, statement)]):
        if binds(previous, name):
            loop = previous
            break
    if not isinstance(loop, (cst.For, cst.While)) or loop.orelse is not None:
        return None
    if isinstance(loop, cst.For) and name in target_names(loop.target):
        return None
    grown = [
        small
        for line in _block(loop.body)
        if isinstance(line, cst.SimpleStatementLine)
        for small in line.body
        if isinstance(small, cst.Assign) and binds(small, name)
    ]
    if len(grown) != 1 or len(grown[0].targets) != 1:
        return None
    target = grown[0].targets[0].target
    if not (isinstance(target, cst.Name) and target.value == name):
        return None
    # The one binding in the whole body must be that statement (none nested under an `if` or a loop).
    others = [node for node in _block(loop.body) if binds(node, name)]
    if len(others) != 1 or name not in read_names(grown[0].value):
        return None
    return grown[0].value


def read_names(expr: cst.CSTNode) -> set[str]:
    """Every plain name the expression spells, at any depth (`a.b[c]` reads `a`, `b` and `c`)."""
    found: set[str] = set()
    stack: list[cst.CSTNode] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            found.add(node.value)
        stack.extend(children(node))
    return found


def argument_values(
    ctx: FileContext, function: cst.FunctionDef, param: cst.Param
) -> list[tuple[cst.BaseExpression, cst.CSTNode]] | None:
    """What every call of `function` in this file passes for `param` (with the place the value is read),
    or the parameter's default where a call leaves it out; a constructor's calls are those of its class
    and the `super().__init__(...)` calls of its subclasses in this file.
    With no call in the file, the default alone (what the signature declares). None when a call passes
    `*args`/`**kwargs` or leaves out a parameter without default: callers then know nothing."""
    owner = ctx.index.enclosing(function, (cst.FunctionDef, cst.ClassDef))
    is_method = isinstance(owner, cst.ClassDef)
    positional = [p.name.value for p in call_parameters(ctx, function)]
    constructor = isinstance(owner, cst.ClassDef) and function.name.value == "__init__"
    wanted = owner.name.value if constructor else function.name.value  # type: ignore[union-attr]
    found: list[tuple[cst.BaseExpression, cst.CSTNode]] = []
    for call in ctx.index.nodes(cst.Call):
        func = call.func
        named = func.value if type(func) is cst.Name else None
        if is_method and not constructor and type(func) is cst.Attribute:
            named = func.attr.value
        if constructor and isinstance(owner, cst.ClassDef) and _subclass_init(ctx, call, owner):
            pass
        elif named != wanted:
            continue
        else:
            target = resolve_call(ctx, call)
            if target is None or target.node is not (owner if constructor else function):
                continue
        value = passed_value(positional, call, param)
        if value is None:
            return None
        found.append((value, call))
    if not found and param.default is not None:
        return [(param.default, param.default)]
    return found or None


def module_setting(
    ctx: FileContext, expr: cst.BaseExpression
) -> tuple[FileContext, cst.BaseExpression] | None:
    """What a setting read from an imported project module holds (`config.lr_decay_step` after `import
    config`, config.py assigning it once at its top level), with the module that states it; None when the
    head is not bound by imports alone in this file, this file assigns the setting itself, or the module
    is a library's or cannot tell (`ProjectView.module_value`)."""
    if not (isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name)):
        return None
    head = expr.value.value
    bindings = ctx.bindings.of(head)
    if not bindings or any(binding.kind != "import" for binding in bindings):
        return None
    dotted = f"{head}.{expr.attr.value}"
    if ctx.bindings.of(dotted):
        return None
    qualified = ctx.imports.resolve(dotted)
    return ctx.project.module_value(qualified) if qualified is not None else None
