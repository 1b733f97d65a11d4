"""Layer chains: which layer's output feeds which layer, and what a model's last operation is.

Architecture rules ask two questions. "Is this Conv2d immediately followed by a BatchNorm?" needs the
consecutive pairs of layers, wherever a model spells them: the arguments of `nn.Sequential(...)` (also
with an `OrderedDict`), a list that is built up with `append`/`extend`/`+=` and then unpacked into a
Sequential (also when a helper returns it), and call chains in a model's methods, nested
(`self.bn(self.conv(x))`) or over consecutive statements (`x = self.conv(x)`, then `x = self.bn(x)`).
"Is this value already a probability?" needs the last operation of a model: what its `forward` returns,
or the last layer of a Sequential.

Each layer is resolved to the torch.nn constructor call that builds it, through local names, `self.`
attributes assigned in the class and same-file helper functions (`conv3x3(...)` returning `nn.Conv2d`).
Whatever cannot be resolved (a layer class passed in as a parameter, a layer from another module) breaks
the chain instead of being guessed, so rules built on it stay quiet when unsure.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst

from nnlint.engine.bindings import (
    Binding,
    argument_values,
    attribute_values,
    call_parameters,
    enclosing_parameter,
    file_bases,
    local_function,
    passed_value,
    project_calls,
    reaching_value,
    returned_values,
)
from nnlint.engine.index import children
from nnlint.engine.names import dotted_name, is_false
from nnlint.vocabulary import (
    ELEMENTWISE_FUNCTIONS,
    FUNCTIONAL_DROPOUTS,
    LAYER_WRAPPERS,
    SEQUENTIAL,
)

if TYPE_CHECKING:
    from nnlint.engine.context import FileContext

# How many names, attributes and helpers one resolution may pass through (guards against cycles).
_MAX_DEPTH = 16
MODULE_LIST = "torch.nn.ModuleList"
# Methods of a layer list that leave its contents as they are.
_LIST_READS = frozenset(
    {"parameters", "named_parameters", "modules", "children", "to", "cuda", "train", "eval"}
)
# Functional operations that take part in forward chains like the layers they stand for.
FUNCTIONAL_LAYERS = FUNCTIONAL_DROPOUTS


def holds_elementwise_function(ctx: FileContext, cls: cst.ClassDef, attribute: str) -> bool:
    """Whether every value a class stores in `self.<attribute>` is a function that acts on each element
    alone (`vocabulary.ELEMENTWISE_FUNCTIONS`), given directly or as the default of the `__init__`
    parameter it is stored from (`nonlinearity=torch.tanh`, then `self.nonlinearity = nonlinearity`,
    PyG's SAGPooling copied at shaneacton/GNN_Thesis custom_sag_pool.py): calling it is no layer with
    weights. A parameter without such a default is unknown: False."""
    values = attribute_values(ctx, cls, attribute)
    if not values:
        return False
    for value in values:
        if isinstance(value, cst.Name):
            bound = reaching_value(ctx, value.value, value)
            if bound is None:
                parameter = enclosing_parameter(ctx, value)
                bound = parameter[1].default if parameter is not None else None
            value = bound  # type: ignore[assignment]
        if (
            value is None
            or isinstance(value, cst.Call)
            or ctx.qualified_name(value) not in ELEMENTWISE_FUNCTIONS
        ):
            return False
    return True


@dataclass(frozen=True)
class Layer:
    """One layer at one place of a chain.

    `site` is the expression that creates the layer for this place (`nn.Conv2d(...)` inside the
    Sequential, or the value of `self.conv = ...` in `__init__`); `constructor` is the torch.nn call that
    builds it, possibly inside a helper; `kind` its qualified class name, normalised to `torch.nn.<Class>`
    (or the functional's name for functional layers). `editable` says a fix may change `constructor`: it
    is the site itself (no helper shared by other callers) and the layer is used at one place only.
    """

    site: cst.CSTNode
    constructor: cst.Call
    kind: str
    editable: bool
    # For an element of a ModuleList picked by index (`self.linears[i]`): the constructors of the other
    # elements the index may pick (all of the same kind); `site`/`constructor` are the first element's.
    others: tuple[cst.Call, ...] = ()
    # For a pair found in a model's forward: the call that runs the layer there (`self.drop(x)`), where
    # the order of the two layers is written (the site is where the layer is built).
    applied: cst.Call | None = None


@dataclass(frozen=True)
class ConditionalPair:
    """A layer that feeds another only on some paths: each was appended to a list under its own `if`, and
    the second follows the first when every test in `conditions` holds (`if drop: ...append(Dropout)`,
    then `if norm: ...append(BatchNorm1d)`)."""

    first: Layer
    second: Layer
    conditions: tuple[str, ...]


# A layer that ended an `if` block while a list was built, and the tests of the `if`s that added it.
_Alternative = tuple[Layer, tuple[str, ...]]


def _layer_kind(qualified: str | None) -> str | None:
    """`torch.nn.modules.conv.Conv2d` -> `torch.nn.Conv2d`; None for anything that is not a torch.nn class."""
    if not qualified or not qualified.startswith("torch.nn."):
        return None
    last = qualified.rsplit(".", 1)[-1]
    if not last[:1].isupper() or ".functional." in qualified or ".init." in qualified:
        return None
    return f"torch.nn.{last}"


class LayerChains:
    """Consecutive layer pairs of one file, and the output operation of its models."""

    def __init__(self, ctx: FileContext) -> None:
        self._ctx = ctx
        self._class_reads: dict[cst.ClassDef, Counter[str]] = {}
        self._name_counts: dict[cst.CSTNode, Counter[str]] = {}
        self._bases: dict[cst.ClassDef, list[cst.ClassDef]] = {}

    # -- queries ---------------------------------------------------------------------------------

    @cached_property
    def pairs(self) -> list[tuple[Layer, Layer]]:
        """(first, second) for each place where `first`'s output is the input of `second`, in source order."""
        found: list[tuple[Layer, Layer]] = []
        for call in self._ctx.index.nodes(cst.Call):
            callee = self._ctx.callee(call)
            if callee == SEQUENTIAL:
                found.extend(self._sequential_pairs(call))
            elif callee in FUNCTIONAL_LAYERS or self._is_self_call(call):
                found.extend(self._forward_pairs(call))
        for scope, name in self._grown_sequentials:
            found.extend(self._list_pairs(scope, name))
        unique: dict[tuple[int, int], tuple[Layer, Layer]] = {}
        for first, second in found:
            unique.setdefault((id(first.site), id(second.site)), (first, second))
        return list(unique.values())

    @cached_property
    def conditional_pairs(self) -> list[ConditionalPair]:
        """Pairs of layers appended to a list under separate `if`s, later unpacked into a Sequential, that
        follow each other when all those tests hold. Only paths through blocks that run count: a pair that
        needs a block skipped (a negated test) is not listed. `pairs` lists none of these."""
        found: list[ConditionalPair] = []
        for call in self._ctx.index.nodes(cst.Call):
            if self._ctx.callee(call) == SEQUENTIAL:
                self._sequential_pairs(call, found)
        for scope, name in self._grown_sequentials:
            self._list_pairs(scope, name, found)
        unique: dict[tuple[int, int], ConditionalPair] = {}
        for pair in found:
            unique.setdefault((id(pair.first.site), id(pair.second.site)), pair)
        return list(unique.values())

    def layer_of(self, expr: cst.BaseExpression, depth: int = 0) -> Layer | None:
        """The layer an expression builds or names: a constructor call, a local name, `self.attr`."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, cst.Call):
            return self._layer_of_call(expr, depth)
        if isinstance(expr, cst.Name):
            value = reaching_value(self._ctx, expr.value, expr)
            if value is None:
                return self._configured_layer(expr, depth)
            layer = self.layer_of(value, depth + 1)
            if layer is not None and self._name_reads(expr) > 1:
                layer = _shared(layer)
            return layer
        if isinstance(expr, cst.Attribute):
            return self._attribute_layer(expr, depth)
        if isinstance(expr, cst.Subscript):
            return self._indexed_layer(expr, depth)
        return None

    # -- constructors ----------------------------------------------------------------------------

    def _layer_of_call(self, call: cst.Call, depth: int) -> Layer | None:
        callee = self._ctx.callee(call)
        if callee in LAYER_WRAPPERS and call.args:
            return self.layer_of(call.args[0].value, depth + 1)
        kind = _layer_kind(callee)
        if kind is not None:
            return Layer(site=call, constructor=call, kind=kind, editable=True)
        helper = self._local_function(call)
        if helper is not None:
            returned = _single_return(helper)
            layer = self.layer_of(returned, depth + 1) if returned is not None else None
            if layer is not None:
                return Layer(site=call, constructor=layer.constructor, kind=layer.kind, editable=False)
        return None

    def _configured_layer(self, name: cst.Name, depth: int) -> Layer | None:
        """A layer named by a loop target over a parameter that lists layer configurations, read from what
        the callers in this file pass: `for d_in, d_out, norm, act in blocks:` in `__init__(self, blocks)`,
        with subclasses calling `super().__init__([(256, 256, nn.BatchNorm1d(256), nn.ReLU()), ...])`.
        `None` entries add no layer (the append sits under `if norm:`); every other entry must be a layer
        of one kind, else unknown. The layer is not editable: its constructors are the callers'."""
        loop = self._ctx.index.enclosing(name, cst.For)
        if loop is None or not isinstance(loop.iter, cst.Name):
            return None
        position = _target_position(loop.target, name.value)
        parameter = enclosing_parameter(self._ctx, loop.iter)
        if (
            position is None
            or parameter is None
            or reaching_value(self._ctx, loop.iter.value, loop) is not None
        ):
            return None
        passed = argument_values(self._ctx, *parameter)
        if not passed:
            return None
        constructors: list[Layer] = []
        for listed, _ in passed:
            if not isinstance(listed, (cst.List, cst.Tuple)):
                return None
            for entry in _literal_elements(listed):
                value = entry if position < 0 else _tuple_item(entry, position)
                layers = self._optional_layers(value, depth + 1) if value is not None else None
                if layers is None:
                    return None
                constructors.extend(layers)
        kinds = {layer.kind for layer in constructors}
        if len(kinds) != 1 or SEQUENTIAL in kinds:
            return None
        others = tuple(layer.constructor for layer in constructors[1:])
        return Layer(
            site=name,
            constructor=constructors[0].constructor,
            kind=kinds.pop(),
            editable=False,
            others=others,
        )

    def _optional_layers(self, value: cst.BaseExpression, depth: int) -> list[Layer] | None:
        """The layers a configuration entry may hold: none for `None`, both sides of `a if c else b`
        (`nn.BatchNorm1d(d) if batch_norm else None`, also through a local name); None when unknown."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(value, cst.Name):
            if value.value == "None":
                return []
            reached = reaching_value(self._ctx, value.value, value)
            if isinstance(reached, cst.IfExp):
                return self._optional_layers(reached, depth + 1)
        if isinstance(value, cst.IfExp):
            body = self._optional_layers(value.body, depth + 1)
            orelse = self._optional_layers(value.orelse, depth + 1)
            return None if body is None or orelse is None else body + orelse
        layer = self.layer_of(value, depth)
        return [layer] if layer is not None else None

    def _attribute_layer(self, expr: cst.Attribute, depth: int) -> Layer | None:
        """`self.conv` -> the layer assigned to it in its class, when it is assigned exactly once."""
        name = dotted_name(expr)
        cls = self._ctx.enclosing_class(expr)
        if name is None or not name.startswith("self.") or name.count(".") != 1 or cls is None:
            return None
        values = self._assigned(cls, name)
        if not values:
            return self._inherited_layer(cls, name, depth)
        if len(values) != 1 or values[0] is None:
            return None
        layer = self.layer_of(values[0], depth + 1)
        if layer is not None and self._reads(cls)[name] > 1:
            layer = _shared(layer)
        return layer

    def _inherited_layer(self, cls: cst.ClassDef, name: str, depth: int) -> Layer | None:
        """`self.linear_proj` in a subclass whose base class of this file builds it (GAT layers sharing one
        `__init__`): the layer the nearest base assigning it builds there once. Not editable: every subclass
        shares the constructor."""
        if cls not in self._bases:
            self._bases[cls] = file_bases(self._ctx, cls) if cls.bases else []
        for base in self._bases[cls]:
            values = self._assigned(base, name)
            if values:
                layer = self.layer_of(values[0], depth + 1) if len(values) == 1 and values[0] else None
                return _shared(layer) if layer is not None else None
        return None

    def _indexed_layer(self, expr: cst.Subscript, depth: int) -> Layer | None:
        """`self.linears[i]` -> the first layer of the ModuleList `self.linears`, when every layer the class
        ever puts in it is known and of one kind (so any index picks that kind); the others ride along."""
        name = dotted_name(expr.value)
        cls = self._ctx.enclosing_class(expr)
        if (
            name is None
            or not name.startswith("self.")
            or name.count(".") != 1
            or cls is None
            or len(expr.slice) != 1
            or not isinstance(expr.slice[0].slice, cst.Index)
        ):
            return None
        elements = self._module_list_elements(cls, name)
        layers = [self.layer_of(element, depth + 1) for element in elements or ()]
        known = [layer for layer in layers if layer is not None]
        kinds = {layer.kind for layer in known}
        if not known or len(known) != len(layers) or len(kinds) != 1 or SEQUENTIAL in kinds:
            return None  # unknown, mixed, or blocks whose insides may differ
        others = tuple(layer.constructor for layer in known[1:])
        return replace(known[0], editable=False, others=others)

    def _module_list_elements(self, cls: cst.ClassDef, name: str) -> list[cst.BaseExpression] | None:
        """Everything a class puts in its ModuleList `name`: the elements it is built with and every
        `append`/`extend` of a literal list, in source order; None when the list is built or changed any
        other way (another value, `insert`, an extension by a non-literal)."""
        values = self._assigned(cls, name)
        if len(values) != 1 or not isinstance(values[0], cst.Call):
            return None
        built = values[0]
        if self._ctx.callee(built) != MODULE_LIST:
            return None
        elements: list[cst.BaseExpression | None] = []
        if built.args:
            if len(built.args) != 1:
                return None
            elements.extend(_literal_elements(built.args[0].value))
        for call in self._ctx.index.nodes(cst.Call):
            func = call.func
            if not isinstance(func, cst.Attribute) or dotted_name(func.value) != name:
                continue
            if cls not in self._ctx.index.ancestors(call):
                continue
            if func.attr.value == "append" and len(call.args) == 1:
                elements.append(call.args[0].value)
            elif func.attr.value == "extend" and len(call.args) == 1:
                elements.extend(_literal_elements(call.args[0].value))
            elif func.attr.value not in _LIST_READS:
                return None
        if any(element is None for element in elements):
            return None
        return [element for element in elements if element is not None]

    def _assigned(self, cls: cst.ClassDef, name: str) -> list[cst.BaseExpression | None]:
        """The values the binding model says a class assigns to `self.x` (in any of its methods, not in a
        nested class, which has its own `self`); None for a value we cannot read (an element of a tuple
        unpacking, `+=`, one of several targets, a loop or `with` target)."""
        ctx = self._ctx
        return [
            binding.value if _plain_binding(binding) else None
            for binding in ctx.bindings.of(name)
            if ctx.enclosing_class(binding.node) is cls
        ]

    def _reads(self, cls: cst.ClassDef) -> Counter[str]:
        """How often each `self.x` is read in a class (a nested class has its own `self`).

        A read of `self.conv.weight` counts as a read of `self.conv`: code that touches the layer's
        parameters is one more reason not to edit its constructor.
        """
        cached = self._class_reads.get(cls)
        if cached is not None:
            return cached
        uses: Counter[str] = Counter()
        targets: set[int] = set()
        stack: list[cst.CSTNode] = [cls.body]
        while stack:
            node = stack.pop()
            if type(node) is cst.ClassDef:
                continue
            if type(node) in (cst.Assign, cst.AnnAssign, cst.AugAssign):
                targets.update(id(target) for target in _assign_targets(node))
            if type(node) is cst.Attribute and id(node) not in targets:
                name = dotted_name(node)
                if name is not None and name.startswith("self."):
                    uses[".".join(name.split(".", 2)[:2])] += 1
                    continue
            stack.extend(children(node))
        self._class_reads[cls] = uses
        return uses

    def _name_reads(self, name: cst.Name) -> int:
        """How often a local name occurs in its function (or module), less its one binding."""
        scope: cst.CSTNode = self._ctx.enclosing_function(name) or self._ctx.module
        counts = self._name_counts.get(scope)
        if counts is None:
            counts = Counter()
            stack: list[cst.CSTNode] = [scope]
            while stack:
                node = stack.pop()
                if isinstance(node, cst.Name):
                    counts[node.value] += 1
                stack.extend(children(node))
            self._name_counts[scope] = counts
        return counts[name.value] - 1

    def _local_function(self, call: cst.Call) -> cst.FunctionDef | None:
        """The function of this file a bare-name call runs (`bindings.local_function`, scope-aware)."""
        if not isinstance(call.func, cst.Name) or call.func.value in self._ctx.imports.aliases:
            return None  # imported helpers live in other modules, which layer chains do not follow
        return local_function(self._ctx, call)

    # -- Sequential ------------------------------------------------------------------------------

    def _sequence(self, call: cst.Call) -> list[Layer | None]:
        """The layers of a `nn.Sequential(...)` call in order; None for an element that is not known."""
        args = list(call.args)
        if len(args) == 1 and isinstance(args[0].value, cst.Call) and not args[0].star:
            inner = args[0].value
            if (self._ctx.callee(inner) or "").endswith("OrderedDict"):
                return self._ordered_dict_layers(inner)
        return [None if arg.star or arg.keyword else self.layer_of(arg.value) for arg in args]

    def _ordered_dict_layers(self, call: cst.Call) -> list[Layer | None]:
        if call.args and call.args[0].keyword is None:
            items = call.args[0].value
            if not isinstance(items, (cst.List, cst.Tuple)):
                return [None]
            layers: list[Layer | None] = []
            for element in items.elements:
                pair = element.value
                if isinstance(pair, cst.Tuple) and len(pair.elements) == 2:
                    layers.append(self.layer_of(pair.elements[1].value))
                else:
                    layers.append(None)
            return layers
        return [self.layer_of(arg.value) if arg.keyword else None for arg in call.args]

    def last_added(self, statement: cst.CSTNode, name: str) -> Layer | None:
        """The last plain layer added to `name` (`add_module`, `append`, `extend`, `+=`) by the statements
        that follow `statement` in its block, when it is certain: one added under an `if` or in a loop
        makes it unknown, unless an unconditional addition follows. The same walk as the pairs of a
        grown list or Sequential (`_scan_block`), asked for where it ends."""
        block = self._ctx.index.parent(statement)
        body = getattr(block, "body", None)
        if not isinstance(body, (list, tuple)) or statement not in body:
            return None
        rest = list(body)[list(body).index(statement) + 1 :]
        tail, _ = self._scan_block(rest, name, None, [], _ListPaths([]))
        return tail

    def ends(self, layer: Layer | None, depth: int = 0) -> tuple[Layer | None, Layer | None]:
        """The first and last plain layers of a layer: itself, or the ends of a nested Sequential."""
        if layer is None or layer.kind != SEQUENTIAL or depth > _MAX_DEPTH:
            return layer, layer
        sequence = self._sequence(layer.constructor)
        if not sequence:
            return None, None
        first, _ = self.ends(sequence[0], depth + 1)
        _, last = self.ends(sequence[-1], depth + 1)
        return first, last

    def _chain(self, layers: list[Layer | None]) -> list[tuple[Layer, Layer]]:
        pairs = []
        for before, after in zip(layers, layers[1:], strict=False):
            _, first = self.ends(before)
            second, _ = self.ends(after)
            if first is not None and second is not None:
                pairs.append((first, second))
        return pairs

    def _sequential_pairs(
        self, call: cst.Call, conditional: list[ConditionalPair] | None = None
    ) -> list[tuple[Layer, Layer]]:
        pairs = self._chain(self._sequence(call))
        for arg in call.args:
            if arg.star != "*":
                continue
            listed = dotted_name(arg.value) if isinstance(arg.value, (cst.Name, cst.Attribute)) else None
            if listed is not None and (isinstance(arg.value, cst.Name) or listed.count(".") == 1):
                # `nn.Sequential(*layers)`, `nn.Sequential(*self.layers)` of a list grown in this scope.
                scope = self._ctx.enclosing_function(call) or self._ctx.module
                pairs.extend(self._list_pairs(scope, listed, conditional))
            elif isinstance(arg.value, cst.Call):
                helper = self._local_function(arg.value)
                returned = _single_return(helper) if helper is not None else None
                if isinstance(returned, cst.Name):
                    pairs.extend(self._list_pairs(helper, returned.value, conditional))
        return pairs

    @cached_property
    def _grown_sequentials(self) -> list[tuple[cst.FunctionDef, str]]:
        """Sequentials grown with `add_module`, which chains modules in the order they are added: `self`
        in a method of an `nn.Sequential` subclass that keeps Sequential's `forward`, or a name bound to an
        empty `nn.Sequential()` in the same function. Each is (the function that grows it, the name)."""
        ctx = self._ctx
        found: dict[tuple[int, str], tuple[cst.FunctionDef, str]] = {}
        for call in ctx.index.nodes(cst.Call):
            func = call.func
            if not (type(func) is cst.Attribute and func.attr.value == "add_module"):
                continue
            scope = ctx.enclosing_function(call)
            name = dotted_name(func.value)
            if scope is None or not isinstance(func.value, cst.Name) or name is None:
                continue
            if name == "self":
                cls = ctx.enclosing_class(call)
                if cls is None or SEQUENTIAL not in ctx.base_names(cls) or _defines_forward(cls):
                    continue  # a `forward` of its own decides the order
            else:
                value = reaching_value(ctx, name, call)
                if not (isinstance(value, cst.Call) and not value.args and ctx.callee(value) == SEQUENTIAL):
                    continue
            found.setdefault((id(scope), name), (scope, name))
        return list(found.values())

    # -- lists that become a Sequential ----------------------------------------------------------

    def _list_pairs(
        self, scope: cst.CSTNode, name: str, conditional: list[ConditionalPair] | None = None
    ) -> list[tuple[Layer, Layer]]:
        """Pairs of layers added one after the other to the list `name` in `scope`; pairs that hold only
        on some paths go to `conditional` when it is given."""
        pairs: list[tuple[Layer, Layer]] = []
        body = scope.body.body if isinstance(scope, cst.FunctionDef) else getattr(scope, "body", [])
        if isinstance(body, (list, tuple)):
            self._scan_block(
                body, name, None, pairs, _ListPaths(conditional if conditional is not None else [])
            )
        return pairs

    def _scan_block(
        self,
        statements: list | tuple,
        name: str,
        tail: Layer | None,
        pairs: list[tuple[Layer, Layer]],
        paths: _ListPaths,
        alternatives: tuple[_Alternative, ...] = (),
        tests: tuple[str, ...] = (),
    ) -> tuple[Layer | None, tuple[_Alternative, ...]]:
        """Walk statements in order, tracking the last layer added to the list; return it at the end, with
        the layers that may be last instead because an `if` block just ended with them.

        A block inside an `if` or a loop starts from the layer added before it (the path that runs it),
        but after such a statement the last layer is unknown: either path may have run. What an `if` block
        ended with may still feed what the next `if` block adds, when both tests hold: `tests` are the
        tests of the `if`s around the block being walked.
        """
        for statement in statements:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    tail, alternatives = self._add_to_list(
                        small, name, tail, pairs, paths, alternatives, tests
                    )
                continue
            if isinstance(statement, cst.BaseSmallStatement):  # the body of a one-line `if x: ...`
                tail, alternatives = self._add_to_list(
                    statement, name, tail, pairs, paths, alternatives, tests
                )
                continue
            if isinstance(statement, (cst.FunctionDef, cst.ClassDef)) or not _mentions(statement, name):
                continue
            if isinstance(statement, cst.With):
                tail, alternatives = self._scan_block(
                    _suite_statements(statement.body), name, tail, pairs, paths, alternatives, tests
                )
                continue
            # What a conditional block adds may not always follow `tail`: a fix must not edit `tail`.
            inherited = _shared(tail) if tail is not None else None
            ended: list[_Alternative] = []
            if isinstance(statement, cst.If) and not isinstance(statement.orelse, cst.If):
                test = self._ctx.module.code_for_node(statement.test)
                # A block under a flag that no call turns on never adds its layers (sr-gan's `if bn:`).
                branches = [] if self._never_true(statement) else [(statement.body, (*tests, test))]
                if isinstance(statement.orelse, cst.Else):
                    branches.append((statement.orelse.body, (*tests, f"not ({test})")))
                for suite, branch_tests in branches:
                    end, open_ends = self._scan_block(
                        _suite_statements(suite), name, inherited, pairs, paths, alternatives, branch_tests
                    )
                    if end is not None and end is not inherited:
                        ended.append((end, branch_tests))
                    ended.extend(open_ends)
            else:
                for suite in _suites(statement):
                    self._scan_block(_suite_statements(suite), name, inherited, pairs, paths)
            tail, alternatives = None, tuple(ended)
        return tail, alternatives

    def _never_true(self, statement: cst.If) -> bool:
        """`if bn:` on a parameter of the enclosing module-level function that every value it can get is
        false: each call in this file passes `False` or leaves it to a default that is `False` (a literal,
        or a module-level name bound once to it: sr-gan's `bn=batch_norm` with `batch_norm = False`), and
        each call from the project's other modules (`bindings.project_calls`) runs this function and
        passes `False` too. A call another module spells with the function's name that resolves to nothing
        may pass a true flag. The layers that block appends are never built (sr-gan's `convolution`
        helpers; a VGG `make_layers` whose only call passes `batch_norm=False`: mobilenet-yolov4's
        nets/vgg.py)."""
        test = statement.test
        function = self._ctx.enclosing_function(statement)
        if (
            type(test) is not cst.Name
            or function is None
            or self._ctx.index.parent(function) is not (self._ctx.module)
        ):
            return False
        params = function.params
        named = [*params.posonly_params, *params.params, *params.kwonly_params]
        param = next((p for p in named if p.name.value == test.value), None)
        if param is None:
            return False
        values = argument_values(self._ctx, function, param)
        if not values or not all(_false_value(self._ctx, value) for value, _ in values):
            return False
        if self._ctx.real_path is None:
            return True  # a source that is no file: no other module can call the function
        calls = project_calls(self._ctx, function)
        if calls is None:
            return False
        names = [p.name.value for p in call_parameters(self._ctx, function)]
        for module, call, runs_it in calls:
            value = passed_value(names, call, param) if runs_it else None
            if value is None or not _false_value(module, value):
                return False  # another module may call it and pass a true flag
        return True

    def _add_to_list(
        self,
        small: cst.CSTNode,
        name: str,
        tail: Layer | None,
        pairs: list[tuple[Layer, Layer]],
        paths: _ListPaths,
        alternatives: tuple[_Alternative, ...],
        tests: tuple[str, ...],
    ) -> tuple[Layer | None, tuple[_Alternative, ...]]:
        added = _list_addition(small, name)
        if added is None:
            if _mentions(small, name) and _rebinds(small, name):
                return None, ()
            return tail, alternatives
        elements, resets = added
        if resets:
            tail, alternatives = None, ()
        for element in elements:
            layer = self.layer_of(element) if element is not None else None
            first, last = self.ends(layer)
            if tail is not None and first is not None:
                pairs.append((tail, first))
            if first is not None:
                for before, before_tests in alternatives:
                    conditions = tuple(dict.fromkeys((*before_tests, *tests)))
                    paths.conditional.append(ConditionalPair(before, first, conditions))
            tail, alternatives = last, ()
        return tail, alternatives

    # -- forward chains --------------------------------------------------------------------------

    @staticmethod
    def _is_self_call(call: cst.Call) -> bool:
        """`self.conv(x)`, or an indexed element of a layer list on `self` (`self.linears[i](x)`)."""
        func = call.func
        if type(func) is cst.Subscript:
            func = func.value
        return type(func) is cst.Attribute and isinstance(func.value, cst.Name) and func.value.value == "self"

    def _call_layer(self, call: cst.Call) -> Layer | None:
        """The layer a call runs: `self.conv(x)`, `F.dropout(x)`, `conv(x)` for a local layer name."""
        callee = self._ctx.callee(call)
        if callee in FUNCTIONAL_LAYERS:
            return Layer(site=call, constructor=call, kind=callee, editable=False)
        return self.layer_of(call.func)

    def _forward_pairs(self, call: cst.Call) -> list[tuple[Layer, Layer]]:
        """The pair (producer of this call's input, this call's layer), when both are layers."""
        positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
        if not positional or self._ctx.enclosing_class(call) is None:
            return []
        layer = self._call_layer(call)
        if layer is None:
            return []
        source = positional[0].value
        if isinstance(source, cst.Name):
            source = reaching_value(self._ctx, source.value, call)
        if not isinstance(source, cst.Call):
            return []
        producer = self._call_layer(source)
        if producer is None:
            return []
        if not self._same_block(source, call):
            # `x = self.fc(x)`, then `if flag: x = self.bn(x)`: a fix must not edit what also runs alone.
            producer = _shared(producer)
        return self._chain([replace(producer, applied=source), replace(layer, applied=call)])

    def _same_block(self, first: cst.CSTNode, second: cst.CSTNode) -> bool:
        index = self._ctx.index
        return index.parent(index.statement_of(first)) is index.parent(index.statement_of(second))


def _false_value(ctx: FileContext, value: cst.BaseExpression) -> bool:
    """The literal `False`, or a name bound once in `ctx`'s file, at module level, to it."""
    if is_false(value):
        return True
    if type(value) is not cst.Name:
        return False
    bindings = ctx.bindings.of(value.value)
    return (
        len(bindings) == 1
        and bindings[0].kind == "assign"
        and ctx.index.enclosing(bindings[0].node, (cst.FunctionDef, cst.ClassDef)) is None
        and is_false(bindings[0].value)
    )


# -- helpers over syntax ---------------------------------------------------------------------------


@dataclass
class _ListPaths:
    """Where a list walk puts the pairs that hold only on some paths."""

    conditional: list[ConditionalPair]


def _plain_binding(binding: Binding) -> bool:
    """An assignment or annotation of one target, whose value is the value the name then holds."""
    node = binding.node
    return binding.kind == "annotated" or (binding.kind == "assign" and len(node.targets) == 1)  # type: ignore[attr-defined]


def _shared(layer: Layer) -> Layer:
    return replace(layer, editable=False)


def _assign_targets(node: cst.Assign | cst.AnnAssign | cst.AugAssign) -> list[cst.BaseExpression]:
    if isinstance(node, cst.Assign):
        targets: list[cst.BaseExpression] = []
        for target in node.targets:
            if isinstance(target.target, (cst.Tuple, cst.List)):
                targets.extend(element.value for element in target.target.elements)
            else:
                targets.append(target.target)
        return targets
    return [node.target]


def _defines_forward(cls: cst.ClassDef) -> bool:
    return any(
        isinstance(statement, cst.FunctionDef) and statement.name.value == "forward"
        for statement in _suite_statements(cls.body)
    )


def _single_return(function: cst.FunctionDef) -> cst.BaseExpression | None:
    returns = returned_values(function)
    return returns[0] if len(returns) == 1 else None


def _mentions(node: cst.CSTNode, name: str) -> bool:
    """Whether `node` reads or writes the name `name` (a dotted one such as `self.layers` included)."""
    dotted = "." in name
    stack = [node]
    while stack:
        current = stack.pop()
        if dotted:
            if isinstance(current, cst.Attribute) and dotted_name(current) == name:
                return True
        elif isinstance(current, cst.Name) and current.value == name:
            return True
        stack.extend(children(current))
    return False


def _rebinds(small: cst.CSTNode, name: str) -> bool:
    """Whether a small statement that mentions the list may change it in a way we do not model."""
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
        func = small.value.func
        if isinstance(func, cst.Attribute) and dotted_name(func.value) == name:
            return func.attr.value not in ("append", "extend", "add_module")  # insert, pop, reverse, ...
        return False  # the list passed to a call, e.g. `print(layers)`
    if isinstance(small, (cst.Assign, cst.AugAssign, cst.AnnAssign)):
        return any(_mentions(target, name) for target in _assign_targets(small))
    return isinstance(small, cst.Del)


def _list_addition(small: cst.CSTNode, name: str) -> tuple[list[cst.BaseExpression | None], bool] | None:
    """The elements a small statement adds to the list `name`, and whether it first empties the list.

    `name = [a, b]`, `name.append(a)`, `name.extend([a, b])`, `name += [a, b]`, and a Sequential's
    `name.add_module("key", a)`; an element that cannot be read (a starred one, an extension by another
    list) is None, which breaks the chain there.
    """
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
        call = small.value
        func = call.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value == "add_module"
            and dotted_name(func.value) == name
        ):
            return ([call.args[1].value] if len(call.args) == 2 and not call.args[1].star else [None]), False
        if not (isinstance(func, cst.Attribute) and dotted_name(func.value) == name and len(call.args) == 1):
            return None
        if func.attr.value == "append":
            return [call.args[0].value], False
        if func.attr.value == "extend":
            return _literal_elements(call.args[0].value), False
        return None
    if isinstance(small, cst.AugAssign) and dotted_name(small.target) == name:
        if isinstance(small.operator, cst.AddAssign):
            return _literal_elements(small.value), False
        return None
    if isinstance(small, (cst.Assign, cst.AnnAssign)):
        targets = _assign_targets(small)
        if len(targets) == 1 and dotted_name(targets[0]) == name and small.value is not None:
            if isinstance(small.value, (cst.List, cst.Tuple)):
                return _literal_elements(small.value), True
            return [None], True
    return None


def _target_position(target: cst.BaseExpression, name: str) -> int | None:
    """Where `name` sits in a loop target: -1 for the whole target, its index in a flat tuple of names."""
    if isinstance(target, cst.Name):
        return -1 if target.value == name else None
    if isinstance(target, (cst.Tuple, cst.List)):
        for position, element in enumerate(target.elements):
            if isinstance(element, cst.StarredElement):
                return None
            if isinstance(element.value, cst.Name) and element.value.value == name:
                return position
    return None


def _tuple_item(entry: cst.BaseExpression | None, position: int) -> cst.BaseExpression | None:
    """Item `position` of a tuple or list literal with no starred items, else None."""
    if not isinstance(entry, (cst.Tuple, cst.List)) or position >= len(entry.elements):
        return None
    if any(isinstance(element, cst.StarredElement) for element in entry.elements):
        return None
    return entry.elements[position].value


def _literal_elements(expr: cst.BaseExpression) -> list[cst.BaseExpression | None]:
    if isinstance(expr, (cst.List, cst.Tuple)):
        return [
            None if isinstance(element, cst.StarredElement) else element.value for element in expr.elements
        ]
    return [None]


def _suites(statement: cst.CSTNode) -> list[cst.BaseSuite]:
    """Every block a compound statement holds (if/elif/else, loop and else, try/except/finally)."""
    suites: list[cst.BaseSuite] = []
    stack: list[cst.CSTNode] = [statement]
    while stack:
        node = stack.pop()
        body = getattr(node, "body", None)
        if isinstance(body, cst.BaseSuite):
            suites.append(body)
        for field in ("orelse", "finalbody"):
            part = getattr(node, field, None)
            if part is not None:
                stack.append(part)
        stack.extend(getattr(node, "handlers", ()))
    return suites


def _suite_statements(suite: cst.BaseSuite) -> list[cst.CSTNode]:
    return list(suite.body) if isinstance(suite, (cst.IndentedBlock, cst.SimpleStatementSuite)) else []
