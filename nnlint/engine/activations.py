"""What a tensor is, as far as a loss cares: probabilities, log-probabilities, sigmoid outputs or logits.

NN401 asks "is the input of this CrossEntropyLoss already a softmax?", and the answer is often far from the
loss: the last line of a model's `forward` in models.py, a helper that returns `F.softmax(...)`, a
Sequential whose last layer is `nn.Softmax`. The kind flows through

- local names (the assignment that certainly reaches the use, `bindings.reaching_value`);
- operations that keep it: `.view`, `.squeeze`, `.to`, `.float`, indexing (`vocabulary.KIND_KEEPING_*`),
  and `exp(log_softmax(x))`, which is a softmax;
- calls of project functions and methods (what every `return` of the function gives), resolved by
  `bindings.resolve_call` in this file or in another project module;
- models: a name bound to `Net(...)` (also through `.to(device)`, `DataParallel(...)`, `torch.compile`)
  runs `Net.forward`; `self(x)` and `self.net(x)` inside a module run their forward; a layer runs what it
  is (`nn.Softmax`, or a Sequential's last layer).

Every answer names where the activation is applied (`Activation.node`, in `Activation.ctx`, which may be
another file): that is the line to change. Summaries of functions are memoized on their file's context,
which the project's module store keeps for the whole run. Anything not certain answers None.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst

from nnlint import vocabulary as vocab
from nnlint.engine.bindings import (
    VALUE_KINDS,
    argument_values,
    attribute_values,
    binds,
    call_parameters,
    dispatched_argument_values,
    enclosing_parameter,
    exclusive_branches,
    listed_elements,
    loop_carried_value,
    matched_arguments,
    method_of,
    own_nodes,
    project_argument_values,
    reaching_unpacked,
    reaching_value,
    reaching_values,
    resolve_call,
    resolve_name,
    returned_values,
)
from nnlint.engine.names import dotted_name, moved_module
from nnlint.engine.project import LARGE_PROJECT_FILES, Resolved, only_if_text
from nnlint.engine.roles import Role
from nnlint.vocabulary import (
    ACTIVATION_FUNCTIONS,
    ACTIVATION_LAYERS,
    ACTIVATION_METHODS,
    BUFFER_FACTORIES,
    CRITERION_WIRING_NETS,
    EXP_FUNCTIONS,
    JOINING_FUNCTIONS,
    KIND_KEEPING_FUNCTIONS,
    KIND_KEEPING_METHODS,
    LOG_SOFTMAX,
    LOGIT_LAYERS,
    LOGITS,
    LOSS_EXPECTS,
    MODEL_COPIES,
    MODEL_WRAPPERS,
    SELF_RETURNING_METHODS,
    SEQUENTIAL,
    SIGMOID,
    SOFTMAX,
    VARIABLE_WRAPPERS,
    WIRED_LOSSES,
)

if TYPE_CHECKING:
    from nnlint.engine.context import FileContext
    from nnlint.engine.layers import Layer

_MAX_DEPTH = 24
# Calls whose result runs the forward of the model they are given: wrappers and copies.
_SAME_FORWARD = MODEL_WRAPPERS | MODEL_COPIES
# A placeholder kind: "whatever calling this parameter gives" (`def forward(self, x, layer): return
# layer(x)`). It lives only inside function summaries; a call of the function replaces it with the output
# of calling the argument it passes (`self.wrap(x, nn.Sequential(fc, nn.Softmax(1)))`), and `of` never
# answers it. `Activation.node` is the parameter.
CALLED_ARGUMENT = "called-argument"
# The kind of a value that is one of several known models' outputs of different kinds (`if args.model ==
# "mlp": net = MLP()` giving a softmax, `else: net = CNN()` a log_softmax): `Activation.alternatives`
# lists them. `of` never answers it; `paths_of` answers the alternatives.
MIXED = "mixed"
# Marks a summary being computed (recursion): it answers None meanwhile.
_PENDING = object()


@dataclass(frozen=True)
class Activation:
    """An activation kind (`vocabulary.SOFTMAX`, ...) and the node that applies it, in its file."""

    kind: str
    node: cst.CSTNode
    ctx: FileContext
    # True when only some of the models a name may hold give this (the others are unknown to nnlint).
    some_paths: bool = False
    # For the MIXED kind: what each model the value may come from gives (every one known, of 2+ kinds).
    alternatives: tuple[Activation, ...] = ()


@dataclass(frozen=True)
class Loss:
    """An input-sensitive loss (its qualified name in `vocabulary.LOSS_EXPECTS`) and the call that builds
    it: the criterion's constructor (`nn.CrossEntropyLoss()`), or the functional call itself."""

    kind: str
    node: cst.Call
    # The file of `node` when it is not the asking file's: a project loss whose `forward` (or a helper
    # whose body) hands its input to this loss (`WeightedFocalLoss()(x, y)`, `self.loss(x, y)`).
    ctx: FileContext | None = None


class ActivationFlow:
    """Activation kinds of one file's expressions; summaries of its functions for other files to ask."""

    def __init__(
        self, ctx: FileContext, cross_module: bool = True, instance_of: cst.ClassDef | None = None
    ) -> None:
        self._ctx = ctx
        # A class of this file whose instance `self` is (`_as_instance_of`): `self.m(...)` in a base
        # class's method then runs the class's own `m` (virtual dispatch).
        self._instance_of = Resolved(ctx, instance_of) if instance_of is not None else None
        self._instance_flows: dict[cst.ClassDef, ActivationFlow] = {}
        # False for the flow that answers "is this the output of a parameter?" (`_local`): a parameter
        # then stays a placeholder instead of what other modules' callers pass.
        self._cross_module = cross_module
        self._summaries: dict[cst.CSTNode, object] = {}
        self._resolving: set[tuple[str, cst.CSTNode]] = set()
        self._loss_memo: dict[tuple[str, cst.CSTNode], Loss | None] = {}

    # -- queries ---------------------------------------------------------------------------------

    def of(self, expr: cst.BaseExpression) -> Activation | None:
        """The activation that certainly produced `expr`, or None."""
        found = self._of(expr)
        return None if found is None or found.kind in (CALLED_ARGUMENT, MIXED) else found

    def paths_of(self, expr: cst.BaseExpression) -> tuple[Activation, ...] | None:
        """The activations `expr` may have been produced by, when every path is known: one for a certain
        answer (`of`), one per place when the code picks between known models of different kinds (an MLP
        ending in a softmax or a CNN ending in a log_softmax); None when any is unknown."""
        found = self._of(expr)
        if found is None or found.kind == CALLED_ARGUMENT:
            return None
        return found.alternatives if found.kind == MIXED else (found,)

    def _of(self, expr: cst.BaseExpression, depth: int = 0) -> Activation | None:
        """`of`, where the answer may also be a CALLED_ARGUMENT placeholder (inside a function summary)."""
        if depth > _MAX_DEPTH:
            return None
        ctx = self._ctx
        if isinstance(expr, cst.Name):
            value = reaching_value(ctx, expr.value, expr)
            if value is None:
                value = _iterated(ctx, expr)  # `for out in outputs:` holds slices of `outputs`
            if value is None:
                value = loop_carried_value(ctx, expr.value, expr)  # `preds = torch.cat((preds, p))`
            if value is None:
                unpacked = reaching_unpacked(ctx, expr.value, expr)  # `probs, state = model(x)`
                if unpacked is not None:
                    return self._element_of(unpacked[0], unpacked[1], depth + 1)
            if value is None:
                paths = reaching_values(ctx, expr.value, expr)  # `if ...: out = a` / `else: out = b`
                if paths and len(paths) > 1:
                    return _on_some_path([self._of(v, depth + 1) if v is not None else None for v in paths])
            if value is None:
                return self._passed_in(expr, depth)
            if _fresh_buffer(ctx, value):
                return self._filled(expr, depth)
            if isinstance(value, cst.List):
                return self._listed(expr, depth)
            return self._of(value, depth + 1)
        if isinstance(expr, cst.Subscript):
            return self._of(expr.value, depth + 1)
        if not isinstance(expr, cst.Call):
            return None
        direct = self.activation_call(expr)
        if direct is not None:
            return Activation(direct[0], expr, ctx)
        func = expr.func
        callee = ctx.callee(expr)
        if callee in JOINING_FUNCTIONS:
            return self._joined(expr, depth)
        if callee is None and isinstance(func, cst.Attribute) and func.attr.value in KIND_KEEPING_METHODS:
            return self._of(func.value, depth + 1)
        first = _first_argument(expr)
        if first is not None and callee in KIND_KEEPING_FUNCTIONS:
            return self._of(first, depth + 1)
        exp_of = first if callee in EXP_FUNCTIONS else None
        if callee is None and isinstance(func, cst.Attribute) and func.attr.value == "exp" and not expr.args:
            exp_of = func.value  # `log_probs.exp()`
        if exp_of is not None:
            inner = self._of(exp_of, depth + 1)
            return Activation(SOFTMAX, expr, ctx) if inner is not None and inner.kind == LOG_SOFTMAX else None
        if callee is not None and not _is_local(callee):
            return None  # a library call: unknown
        return self._call_output(expr, depth + 1)

    def _passed_in(self, name: cst.Name, depth: int) -> Activation | None:
        """A parameter's kind from what every call of its function in this file passes (`state_loss(self,
        preds, ...)` called as `self.state_loss(preds, ...)` with `preds` from the model): all must agree."""
        parameter = enclosing_parameter(self._ctx, name)
        if parameter is None or reaching_values(self._ctx, name.value, name) is not None:
            return None  # rebound on some path before the use
        passed = argument_values(self._ctx, *parameter) or []
        found = [self._of(value, depth + 1) for value, _ in passed]
        dispatched = dispatched_argument_values(self._ctx, *parameter)
        if dispatched:
            # Calls in base-class methods, read as on an instance of this method's class.
            flow = self._as_instance_of(self._ctx.index.enclosing(parameter[0], cst.ClassDef))  # type: ignore[arg-type]
            found.extend(flow._of(value, depth + 1) for value, _ in dispatched)
        return _agreeing(found) if found else None

    def _filled(self, name: cst.Name, depth: int) -> Activation | None:
        """A fresh buffer read at `name` holds what its function stores into it (`outputs[t] = out`):
        every store must agree, and a buffer nothing is stored into is unknown."""
        function = self._ctx.index.enclosing(name, cst.FunctionDef)
        if function is None:
            return None
        stored = [
            node.value
            for node in own_nodes(function)
            if isinstance(node, cst.Assign)
            and any(
                isinstance(target.target, cst.Subscript)
                and isinstance(target.target.value, cst.Name)
                and target.target.value.value == name.value
                for target in node.targets
            )
        ]
        if not stored:
            return None
        return _agreeing([self._of(value, depth + 1) for value in stored])

    def _listed(self, name: cst.Name, depth: int) -> Activation | None:
        """A list read at `name` holds what is put into it (`outputs.append(self.softmax(fc(h)))` for each
        head of a multi-task model, `probs.append(prob)` for each decoding step): every element must
        agree, and a list nothing is put into is unknown."""
        elements = listed_elements(self._ctx, name.value, name, _list_kept)
        if not elements:
            return None
        return _agreeing([self._of(element, depth + 1) for element in elements])

    def _joined(self, call: cst.Call, depth: int) -> Activation | None:
        """`torch.cat((probs_a, probs_b))`, `torch.stack(outputs)`: the kind every joined tensor has. An
        accumulator joined with what it grows by (`preds = torch.cat((preds, p.unsqueeze(-1)))` in a loop)
        counts by what it grows by."""
        first = _first_argument(call)
        if isinstance(first, cst.Name):
            return self._of(first, depth + 1)  # `torch.cat(probs, 0)` of a list grown step by step
        if not isinstance(first, (cst.Tuple, cst.List)) or not first.elements:
            return None
        if any(isinstance(element, cst.StarredElement) for element in first.elements):
            return None
        assign = self._ctx.index.parent(call)
        grown = (
            assign.targets[0].target if isinstance(assign, cst.Assign) and len(assign.targets) == 1 else None
        )
        grown_name = grown.value if isinstance(grown, cst.Name) else None
        items = [
            element.value
            for element in first.elements
            if not (isinstance(element.value, cst.Name) and element.value.value == grown_name)
        ]
        if not items:
            return None
        return _agreeing([self._of(item, depth + 1) for item in items])

    def activation_call(self, call: cst.Call) -> tuple[str, cst.BaseExpression] | None:
        """For a call that applies softmax, log_softmax or sigmoid itself, that operation and its input.

        `F.softmax(x, dim=1)` and `torch.sigmoid(input=x)` -> x, `x.softmax(1)` -> x, `self.softmax(x)` for
        an `nn.Softmax` layer -> x. A model that ends with one is not such a call: its input is no logits.
        """
        ctx = self._ctx
        callee = ctx.callee(call)
        func = call.func
        if callee is None and isinstance(func, cst.Attribute) and func.attr.value in ACTIVATION_METHODS:
            # `self.softmax(x)` calls a submodule, not the tensor method `x.softmax()`: what it applies is
            # the layer it is bound to (`self.softmax = nn.LogSoftmax(dim=1)` is common), never its name.
            if not (isinstance(func.value, cst.Name) and func.value.value == "self"):
                return ACTIVATION_METHODS[func.attr.value], func.value
            callee = None
        if callee in ACTIVATION_FUNCTIONS:
            operation: str | None = ACTIVATION_FUNCTIONS[callee]
        else:
            layer = ctx.layers.layer_of(func)
            operation = ACTIVATION_LAYERS.get(layer.kind) if layer is not None else None
        if operation is None:
            return None
        positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
        named = [arg for arg in call.args if arg.keyword is not None and arg.keyword.value == "input"]
        chosen = positional[:1] or named
        return (operation, chosen[0].value) if chosen else None

    def loss_called(self, call: cst.Call) -> Loss | None:
        """The input-sensitive loss (`vocabulary.LOSS_EXPECTS`) a call computes, and where it is built.

        `F.cross_entropy(...)` (built by the call itself), `nn.NLLLoss()(...)`, and a criterion object
        called: a name or `self.attr` whose every binding builds the same loss, through self-returning
        calls (`nn.CrossEntropyLoss().cuda()`), call-site arguments and a parameter's default
        (`def __init__(self, criterion=nn.CrossEntropyLoss())`).
        """
        ctx = self._ctx
        if not self._mentions_losses:
            return None
        callee = _normalised(ctx.callee(call))
        if callee in LOSS_EXPECTS:
            return Loss(callee, call)
        func = call.func
        if type(func) is cst.Attribute and func.attr.value == "forward":
            func = func.value  # `criterion.forward(out, y)`
        if type(func) is cst.Call:
            return self._loss_of(func, call, 0) or self._wrapped_loss(call, func)
        name = ctx.dotted(func)
        if name is None:
            return None
        if not any(b.kind in VALUE_KINDS for b in ctx.bindings.of(name)):
            return self._wrapped_loss(call, None)  # a project function or method (`self.loss(x, y)`)
        return (
            self._loss_of(func, call, 0)
            or self._referenced_loss(func, call)
            or self._wrapped_loss(call, None)
        )

    @cached_property
    def _mentions_losses(self) -> bool:
        """Whether the file names any loss at all: most files don't, and skip the rest. A project loss
        (`WeightedFocalLoss`, `self.criterion`) counts by its name; what it computes is checked later."""
        return _says_loss(self._ctx.source)

    def _referenced_loss(self, func: cst.BaseExpression, call: cst.Call) -> Loss | None:
        """`self.loss_func = F.binary_cross_entropy_with_logits`, later `self.loss_func(input=x, target=y)`:
        a name every assignment of which is the same functional loss itself (not a call of it)."""
        ctx = self._ctx
        name = ctx.dotted(func)
        values = ctx.bindings.values(name) if name is not None else None
        if not values:
            return None
        kinds = {_normalised(ctx.qualified_name(value)) for value in values}
        if len(kinds) != 1:
            return None
        kind = kinds.pop()
        return Loss(kind, call) if kind in LOSS_EXPECTS and ".functional." in kind else None

    def _wrapped_loss(self, call: cst.Call, constructed: cst.Call | None) -> Loss | None:
        """A project loss or helper that hands its first input straight to an input-sensitive loss: a
        class whose `forward(self, inputs, targets)` returns `F.binary_cross_entropy_with_logits(inputs,
        ...)`, called as `WeightedFocalLoss()(x, y)` or through a criterion name; a method `self.loss(x,
        y)` calling `self.loss_func(input=x, ...)`. Only calls whose name says loss are asked (a cheap gate:
        what the definition computes decides)."""
        ctx = self._ctx
        spelled = ctx.module.code_for_node(constructed.func if constructed is not None else call.func).lower()
        if "loss" not in spelled and "crit" not in spelled and "entropy" not in spelled:
            return None
        target: Resolved | None = None
        if constructed is not None:
            cls = resolve_call(ctx, constructed)
            target = (
                method_of(cls, "forward") if cls is not None and isinstance(cls.node, cst.ClassDef) else None
            )
        else:
            target = resolve_call(ctx, call)
            if target is not None and isinstance(target.node, cst.ClassDef):
                return None  # constructing the loss, not calling it
            if target is None and isinstance(call.func, (cst.Name, cst.Attribute)):
                target = self._instance_forward(call.func, call)
        if target is None or not isinstance(target.node, cst.FunctionDef):
            return None
        return target.ctx.activations.passes_to_loss(target.node)

    def _instance_forward(self, func: cst.Name | cst.Attribute, at: cst.CSTNode) -> Resolved | None:
        """`forward` of the project class every assignment of a criterion name builds."""
        ctx = self._ctx
        name = ctx.dotted(func)
        values = ctx.bindings.values(name) if name is not None else None
        if not values:
            return None
        # `self.criterion = self.criterion.cuda()`: the same criterion, moved.
        values = [v for v in values if type(v) is not cst.Call or _strip_self_returning(ctx, v) != name]
        found: Resolved | None = None
        for module, value in self._through_constructors(values):
            value = moved_module(value)
            cls = resolve_call(module, value) if isinstance(value, cst.Call) else None
            if cls is None or not isinstance(cls.node, cst.ClassDef):
                return None
            forward = method_of(cls, "forward")
            if forward is None or (found is not None and forward.node is not found.node):
                return None
            found = forward
        return found

    def _through_constructors(
        self, values: list[cst.BaseExpression]
    ) -> list[tuple[FileContext, cst.BaseExpression]]:
        """The values, each with its file, where a parameter with no default that only other project
        modules fill (`self.criterion = criterion` in `Trainer.__init__`, built as `Trainer(model, optimizer,
        criterion)` in main.py after `criterion = CrossEntropyLoss2d()`) stands for what every one of their
        calls passes (`_loss_passed_from_other_modules`), a name followed to the value that reaches the
        call; a parameter they do not all fill stays as it is."""
        found: list[tuple[FileContext, cst.BaseExpression]] = []
        for value in values:
            passed = self._filled_by_other_modules(value) if type(value) is cst.Name else None
            if passed:
                for module, argument, call in passed:
                    reaching = (
                        reaching_value(module, argument.value, call) if type(argument) is cst.Name else None
                    )
                    found.append((module, reaching if reaching is not None else argument))
            else:
                found.append((self._ctx, value))
        return found

    def passed_model_losses(
        self, call: cst.Call
    ) -> list[tuple[Loss, cst.Call, FileContext, tuple[Activation, ...]]]:
        """For a call of a function or method of another project module that runs a model it is given
        and hands the model's output to an input-sensitive loss (`local.train(net=MLP(...))` in
        main.py, where `train` computes `self.loss_func(net(images), labels)` in update.py): each such
        loss, the loss call, its file, and what the model this call passes gives (`paths_of`). The
        callee's file, checked by itself, finds the same through `project_argument_values`; this is
        the answer for a check of the calling file alone."""
        ctx = self._ctx
        # Cheap tests first (resolving every call of a large project would read its modules): a call of
        # something this file imports (or builds from an import), not of a library, given a model.
        if not call.args:
            return []
        callee = ctx.callee(call)
        if callee is not None and not _is_local(callee):
            return []
        if not _from_import(ctx, call.func) or not any(
            _model_like(ctx, arg.value) for arg in call.args if not arg.star
        ):
            return []
        # A function of a module that names no loss computes none; a class called by its name (`Net(...)`)
        # builds an object and computes nothing: neither module is read.
        with only_if_text(_module_says_loss, classes=not isinstance(call.func, cst.Name)):
            target = resolve_call(ctx, call)
        if target is None or target.ctx is ctx or not isinstance(target.node, cst.FunctionDef):
            return []
        losses = target.ctx.activations.model_parameter_losses(target.node)
        if not losses or any(arg.star for arg in call.args):
            return []
        passed = matched_arguments([p.name.value for p in call_parameters(target.ctx, target.node)], call)
        found: list[tuple[Loss, cst.Call, FileContext, tuple[Activation, ...]]] = []
        for parameter, loss, loss_call in losses:
            argument = passed.get(parameter)
            output = self._constructed_output(argument, call, 0) if argument is not None else None
            if output is not None and output.kind != CALLED_ARGUMENT:
                paths = output.alternatives if output.kind == MIXED else (output,)
                found.append((loss, loss_call, target.ctx, paths))
        return found

    def model_parameter_losses(self, function: cst.FunctionDef) -> tuple[tuple[str, Loss, cst.Call], ...]:
        """The input-sensitive losses a function of this file computes on the output of calling one of
        its parameters (`log_probs = net(images)`, `self.loss_func(log_probs, labels)`): the parameter,
        the loss and the loss call, memoized. Judged without the project's other callers, so that the
        parameter stays a parameter."""
        key = ("parameter-losses", function)
        cached = self._summaries.get(key)  # type: ignore[call-overload]
        if isinstance(cached, tuple):
            return cached
        self._summaries[key] = ()  # type: ignore[index]
        found: list[tuple[str, Loss, cst.Call]] = []
        if self._mentions_losses:
            local = self._local
            for node in own_nodes(function):
                loss = self.loss_called(node) if isinstance(node, cst.Call) else None
                argument = _first_argument(node) if loss is not None else None  # type: ignore[arg-type]
                output = local._of(argument) if argument is not None else None
                if (
                    output is not None
                    and output.kind == CALLED_ARGUMENT
                    and isinstance(output.node, cst.Param)
                    and output.ctx is self._ctx
                    and self._ctx.index.enclosing(output.node, cst.FunctionDef) is function
                ):
                    found.append((output.node.name.value, loss, node))  # type: ignore[arg-type]
        self._summaries[key] = tuple(found)  # type: ignore[index]
        return self._summaries[key]  # type: ignore[return-value]

    def _as_instance_of(self, cls: cst.ClassDef) -> ActivationFlow:
        """The flow of this file that reads `self` as an instance of `cls` (memoized per class)."""
        if self._instance_of is not None and self._instance_of.node is cls:
            return self
        flow = self._instance_flows.get(cls)
        if flow is None:
            flow = self._instance_flows[cls] = ActivationFlow(self._ctx, self._cross_module, cls)
        return flow

    def _resolve(self, call: cst.Call) -> Resolved | None:
        """`resolve_call`, except that `self.m(...)` and `self(...)` run the method of the class whose
        instance `self` is, when the flow reads it as one (`_as_instance_of`)."""
        if self._instance_of is not None:
            func = call.func
            if isinstance(func, cst.Name) and func.value == "self":
                return method_of(self._instance_of, "forward")
            if (
                isinstance(func, cst.Attribute)
                and isinstance(func.value, cst.Name)
                and func.value.value == "self"
            ):
                return method_of(self._instance_of, func.attr.value)
        return resolve_call(self._ctx, call)

    @cached_property
    def _local(self) -> ActivationFlow:
        return ActivationFlow(self._ctx, cross_module=False) if self._cross_module else self

    def passes_to_loss(self, function: cst.FunctionDef) -> Loss | None:
        """The input-sensitive loss a function of this file hands its first input to, unchanged (memoized):
        `def forward(self, inputs, targets): ... F.binary_cross_entropy_with_logits(inputs, targets)`."""
        key = ("passes", function)
        if key in self._summaries:  # type: ignore[operator]
            cached = self._summaries[key]  # type: ignore[index]
            return None if cached is _PENDING else cached  # type: ignore[return-value]
        self._summaries[key] = _PENDING  # type: ignore[index]
        found: Loss | None = None
        params = [*function.params.posonly_params, *function.params.params]
        if params and params[0].name.value == "self":
            params = params[1:]
        first = params[0].name.value if params else None
        calls = [node for node in own_nodes(function) if isinstance(node, cst.Call)]
        if first is not None:
            for inner in calls:
                argument = _first_argument(inner)
                if argument is None or not self._holds_parameter(argument, first, function):
                    continue
                loss = self.loss_called(inner)
                if loss is not None:
                    found = Loss(loss.kind, loss.node, loss.ctx or self._ctx)
                    break
        self._summaries[key] = found  # type: ignore[index]
        return found

    def _holds_parameter(self, expr: cst.BaseExpression, parameter: str, function: cst.FunctionDef) -> bool:
        """Whether `expr` is the parameter's value, maybe reshaped, indexed or moved on the way: `inputs`,
        or `predict` after `predict = predict.transpose(1, 2).contiguous()` and `predict =
        predict[mask].view(-1, c)` (a segmentation loss flattening its scores before `F.cross_entropy`).
        What the parameter holds (its activation kind) is what `expr` holds."""
        ctx = self._ctx
        for _ in range(_MAX_DEPTH):
            if isinstance(expr, cst.Subscript):
                expr = expr.value
            elif (
                isinstance(expr, cst.Call)
                and isinstance(expr.func, cst.Attribute)
                and expr.func.attr.value in KIND_KEEPING_METHODS
            ):
                expr = expr.func.value
            elif isinstance(expr, cst.Name) and expr.value == parameter:
                if not binds(function.body, parameter):
                    return True
                value = reaching_value(ctx, parameter, expr)
                if value is None:
                    # Nothing rebinds it on any path before this use: the parameter itself.
                    return reaching_values(ctx, parameter, expr) is None and (
                        enclosing_parameter(ctx, expr) is not None
                    )
                expr = value
            else:
                return False
        return False

    def _loss_of(self, expr: cst.BaseExpression, at: cst.CSTNode, depth: int) -> Loss | None:
        ctx = self._ctx
        if depth > _MAX_DEPTH:
            return None
        while isinstance(expr, cst.Call):
            func = expr.func
            if isinstance(func, cst.Attribute) and func.attr.value in SELF_RETURNING_METHODS:
                expr = func.value
                continue
            callee = _normalised(ctx.callee(expr))
            if callee in LOSS_EXPECTS:
                return Loss(callee, expr)  # type: ignore[arg-type]
            if callee is not None and not _is_local(callee):
                return None  # a library call
            # Only a function's returns are asked: a module that names no loss returns none, and a class
            # called (`PatternMatcherPass()`) builds no loss here, so neither module is parsed.
            with only_if_text(_module_says_loss, classes=False):
                target = resolve_call(ctx, expr)
            if target is None or not isinstance(target.node, cst.FunctionDef):
                return None
            # `self.criterion = self.configure_criterion()`, `criterion = get_loss(cfg)`: what it returns.
            return target.ctx.activations.returned_loss(target.node, depth + 1, ctx)
        name = ctx.dotted(expr)
        if name is None:
            return None
        value = reaching_value(ctx, expr.value, at) if isinstance(expr, cst.Name) else None
        if value is not None:
            return self._loss_of(value, at, depth + 1)
        unpacked = reaching_unpacked(ctx, expr.value, at) if isinstance(expr, cst.Name) else None
        found = self._unpacked_loss(*unpacked, depth + 1) if unpacked is not None else None
        if found is not None:
            return found
        paths = reaching_values(ctx, expr.value, at) if isinstance(expr, cst.Name) else None
        if paths and len(paths) > 1 and all(path is not None for path in paths):
            # `criterion = nn.CrossEntropyLoss()`, then `if cuda: criterion = criterion.cuda()`: each path's
            # loss, read where its value is (the moved one from the binding before it); all must agree.
            losses = [self._loss_of(path, path, depth + 1) for path in paths if path is not None]
            if all(losses) and len({loss.kind for loss in losses if loss}) == 1:
                return losses[0]
        key = (name, at)
        if key in self._loss_memo:
            return self._loss_memo[key]
        sites = self._values_of(expr, name, None, at)
        if not sites and isinstance(expr, cst.Name) and key not in self._resolving:
            self._resolving.add(key)
            try:
                self._loss_memo[key] = self._loss_passed_from_other_modules(expr, depth)
            finally:
                self._resolving.discard(key)
            return self._loss_memo[key]
        if not sites or key in self._resolving:
            return None
        self._resolving.add(key)
        answer: Loss | None = None
        try:
            # Every site must give the same loss: stop at the first that does not (a parameter passed
            # through many call sites would otherwise be explored along every path).
            for value, site in sites:
                if type(value) is cst.Call and _strip_self_returning(ctx, value) == name:
                    continue  # `self.criterion = self.criterion.cuda()`: the same criterion, moved
                item = self._loss_of(value, site, depth + 1)
                if item is None or (answer is not None and item.kind != answer.kind):
                    answer = None
                    break
                answer = answer or item
        finally:
            self._resolving.discard(key)
        self._loss_memo[key] = answer
        return answer

    def _unpacked_loss(self, value: cst.BaseExpression, element: int, depth: int) -> Loss | None:
        """`optimizer, criterion = init_optimizer_criterion(model, opt)`: the loss at that position of
        every tuple the project function returns."""
        if depth > _MAX_DEPTH or not isinstance(value, cst.Call):
            return None
        callee = self._ctx.callee(value)
        if callee is not None and not _is_local(callee):
            return None  # a library call
        with only_if_text(_module_says_loss, classes=False):
            target = resolve_call(self._ctx, value)
        if target is None or not isinstance(target.node, cst.FunctionDef):
            return None
        return target.ctx.activations.returned_loss(target.node, depth + 1, self._ctx, element)

    def _loss_passed_from_other_modules(self, name: cst.Name, depth: int) -> Loss | None:
        """A criterion parameter (no default) of a module-level function, or of a module-level class's
        `__init__`, that only other project modules fill: the loss every one of their calls passes
        (`Trainer(model, optimizer, nn.NLLLoss())` in main.py for piwise's `Trainer.__init__(self, model,
        optimizer, criterion)`, kept as `self.criterion`), judged in their files; None unless all agree.
        The same reading as a model handed to a wrapper's constructor (`_passed_from_other_modules`)."""
        passed = self._filled_by_other_modules(name)
        if not passed:
            return None
        answer: Loss | None = None
        for module, value, call in passed:
            found = module.activations._loss_of(value, call, depth + 1)
            if found is None or (answer is not None and found.kind != answer.kind):
                return None
            if found.ctx is None and module is not self._ctx:
                found = Loss(found.kind, found.node, module)
            answer = answer or found
        return answer

    def returned_loss(
        self, function: cst.FunctionDef, depth: int, asking: FileContext, element: int | None = None
    ) -> Loss | None:
        """The input-sensitive loss every `return` of a function of this file gives (a criterion factory
        or method: `def configure_criterion(self): ... return criterion`; with `element`, the loss at that
        position of every returned tuple: `return optimizer, criterion`), memoized; None when a return
        gives something else or the returns disagree (`BCEWithLogitsLoss` for one dataset,
        `CrossEntropyLoss` otherwise: which one runs is unknown). The loss carries its file when that is
        not `asking`'s."""
        key = ("returned-loss", function, element)
        cached = self._summaries.get(key)  # type: ignore[call-overload]
        if cached is _PENDING or (cached is None and key in self._summaries):
            return None
        if cached is None:
            self._summaries[key] = _PENDING  # type: ignore[index]
            values = returned_values(function)
            if element is not None:
                values = [_tuple_element(value, element) for value in values]
            found: Loss | None = None
            if values and all(value is not None for value in values):
                losses = [self._loss_of(value, value, depth + 1) for value in values if value is not None]
                if all(losses) and len({loss.kind for loss in losses if loss}) == 1:
                    found = losses[0]
            self._summaries[key] = found  # type: ignore[index]
            cached = found
        loss: Loss | None = cached  # type: ignore[assignment]
        if loss is not None and loss.ctx is None and asking is not self._ctx:
            return Loss(loss.kind, loss.node, self._ctx)
        return loss

    def wired_loss(self, call: cst.Call) -> tuple[Loss, Activation] | None:
        """For an estimator that trains a module with a criterion class (`NeuralNet(MyModule,
        criterion=nn.CrossEntropyLoss)`, `vocabulary.CRITERION_WIRING_NETS`), the loss and what the module's
        forward gives."""
        ctx = self._ctx
        if not self._mentions_losses or ctx.callee(call) not in CRITERION_WIRING_NETS:
            return None
        criterion = next((a.value for a in call.args if a.keyword and a.keyword.value == "criterion"), None)
        module = next((a.value for a in call.args if a.keyword and a.keyword.value == "module"), None)
        if module is None and call.args and call.args[0].keyword is None and not call.args[0].star:
            module = call.args[0].value
        kind = _normalised(ctx.qualified_name(criterion)) if criterion is not None else None
        if kind not in WIRED_LOSSES or module is None:
            return None
        found = self._module_class_output(module, call)
        return (Loss(kind, call), found) if found is not None else None  # type: ignore[arg-type]

    def _module_class_output(self, module: cst.BaseExpression, at: cst.Call) -> Activation | None:
        """What a module given as a class (`MyModule`) or as an instance (`MyModule(10)`) outputs."""
        if isinstance(module, cst.Call):
            found = self._constructed_output(module, at, 0)
        elif isinstance(module, cst.Name):
            resolved = resolve_name(self._ctx, module.value, at)
            if resolved is None or not isinstance(resolved.node, cst.ClassDef):
                return None
            found = _forward_output(resolved)
        else:
            return None
        return None if found is None or found.kind == CALLED_ARGUMENT else found

    def returns(self, function: cst.FunctionDef, element: int | None = None) -> Activation | None:
        """What every `return` of a function of this file gives, when they all agree (memoized); with
        `element`, what the element at that position of every returned tuple gives (`return x, probs`)."""
        key = function if element is None else (function, element)
        cached = self._summaries.get(key)  # type: ignore[call-overload]
        if cached is _PENDING:
            return None
        if cached is not None or key in self._summaries:
            return cached  # type: ignore[return-value]
        self._summaries[key] = _PENDING  # type: ignore[index]
        values = returned_values(function)
        if element is not None:
            values = [_tuple_element(value, element) for value in values]
        found: Activation | None = None
        if values and all(value is not None for value in values):
            found = _agreeing([self._of(value) for value in values if value is not None])
        self._summaries[key] = found  # type: ignore[index]
        return found

    def _element_of(self, value: cst.BaseExpression, element: int, depth: int) -> Activation | None:
        """The activation at one position of what a call of the project returns as a tuple."""
        if isinstance(value, (cst.Tuple, cst.List)):
            item = _tuple_element(value, element)  # `probs, y = F.softmax(out, 1), target`
            return self._of(item, depth + 1) if item is not None else None
        if depth > _MAX_DEPTH or not isinstance(value, cst.Call) or self.activation_call(value) is not None:
            return None
        callee = self._ctx.callee(value)
        if callee is not None and not _is_local(callee):
            return None  # a library call: unknown
        return self._call_output(value, depth + 1, element)

    # -- calls -----------------------------------------------------------------------------------

    def _call_output(self, call: cst.Call, depth: int, element: int | None = None) -> Activation | None:
        """The output of a call of something in the project: a layer, a model, a function or method (with
        `element`, the element at that position of the tuple it returns); a callee that returns what
        calling one of its parameters gives answers for the argument passed."""
        found = self._callee_output(call, depth, element)
        if found is None or found.kind != CALLED_ARGUMENT or not isinstance(found.node, cst.Param):
            return found
        own = found.ctx.index.enclosing(found.node, cst.FunctionDef)
        if own is None:
            return None
        if found.ctx is self._ctx and own in self._ctx.index.ancestors(call):
            return found  # a call of this function's own parameter: the summary being built keeps it
        target = self._resolve(call)
        runs = target.node is own if target is not None else own.name.value == "forward"
        if not runs:
            return None  # the parameter of another function (`self.dec = dec` in `__init__`): unknown here
        argument = _argument_for(found.ctx, found.node, call)
        if argument is None:
            return None
        layer = self._ctx.layers.layer_of(argument)
        if layer is not None:
            return self._layer_output(layer) if element is None else None
        return self._constructed_output(argument, call, depth + 1, element)

    def _callee_output(self, call: cst.Call, depth: int, element: int | None = None) -> Activation | None:
        ctx = self._ctx
        func = call.func
        forward = isinstance(func, cst.Attribute) and func.attr.value == "forward"
        if forward:
            func = func.value  # type: ignore[attr-defined]  # `model.forward(x)` runs it like `model(x)`
        layer = ctx.layers.layer_of(func)
        if layer is not None:
            return self._layer_output(layer) if element is None else None
        target = self._resolve(call)
        if target is not None and not (forward and target.node.name.value != "forward"):
            if isinstance(target.node, cst.FunctionDef):
                return target.ctx.activations.returns(target.node, element)
            return None  # constructing a class gives a model, not a tensor
        return self._model_output(func, call, depth, element)

    def _model_output(
        self,
        func: cst.BaseExpression,
        at: cst.CSTNode,
        depth: int,
        element: int | None = None,
        submodule: str | None = None,
    ) -> Activation | None:
        """What calling a model gives: `model = Net().to(device)` then `model(x)`; `self.net(x)`; with
        `submodule`, what calling that attribute of the model gives (`transformer.decoder(...)`).

        A name bound in the same function is followed to its value; a parameter (`def train(model, ...)`)
        or an attribute to every value that name is assigned in the file, which must all agree.
        `model = model.to(device)` adds nothing of its own.
        """
        ctx = self._ctx
        if isinstance(func, cst.Call):
            return self._constructed_output(func, at, depth + 1, element, submodule)
        name = ctx.dotted(func)
        if name is None:
            return None
        replaced = self._replaced_forward(func, at, depth) if isinstance(func, cst.Name) else None
        if replaced is not None:
            return replaced if element is None and submodule is None else None
        value = reaching_value(ctx, func.value, at) if isinstance(func, cst.Name) else None
        if (
            isinstance(func, cst.Name)
            and isinstance(value, cst.Call)
            and not value.args
            and ctx.callee(value) == SEQUENTIAL
        ):
            return self._added_last(func, value) if element is None else None
        sites = self._values_of(func, name, value, at)
        if not sites and isinstance(func, cst.Name):
            parameter = enclosing_parameter(ctx, func)
            if parameter is not None and submodule is None:
                # What callers in other modules pass, else known only at the call site (a placeholder).
                passed = self._passed_from_other_modules(func, depth, element)
                return passed or Activation(CALLED_ARGUMENT, parameter[1], ctx)
        if (
            not sites
            and submodule is None
            and isinstance(func, cst.Attribute)
            and not name.startswith("self.")
            and depth <= _MAX_DEPTH
        ):
            # `transformer.decoder(...)`: the submodule that the model's class sets in its `__init__`.
            return self._model_output(func.value, at, depth + 1, element, func.attr.value)
        if not sites or (name, at) in self._resolving:
            return None
        self._resolving.add((name, at))
        try:
            found = [
                self._constructed_output(value, site, depth + 1, element, submodule)
                for value, site in sites
                if not (isinstance(value, cst.Call) and _strip_self_returning(ctx, value) == name)
            ]
        finally:
            self._resolving.discard((name, at))
        return _on_some_path(found)

    def _replaced_forward(self, func: cst.Name, at: cst.CSTNode, depth: int) -> Activation | None:
        """What calling a model gives when the function around `at` replaced its forward by assignment:
        `model.forward = lambda input: softmax(model.original_forward(input))` (a factory that appends an
        activation for export), then `model(x)` or `return model`: the lambda's own activation. Only the
        one assignment of `<name>.forward` in the file, in the same function as `at`, counts."""
        bindings = self._ctx.bindings.of(f"{func.value}.forward")
        if len(bindings) != 1 or type(bindings[0].value) is not cst.Lambda:
            return None
        index = self._ctx.index
        if index.enclosing(bindings[0].node, cst.FunctionDef) is not index.enclosing(at, cst.FunctionDef):
            return None
        found = self._of(bindings[0].value.body, depth + 1)  # type: ignore[union-attr]
        return found if found is not None and found.kind in (SOFTMAX, LOG_SOFTMAX, SIGMOID) else None

    def _passed_from_other_modules(
        self, func: cst.Name, depth: int, element: int | None
    ) -> Activation | None:
        """A model parameter of a module-level function (or of a method of a module-level class) that
        only other project modules call (`def source_only(encoder, classifier, ...)` in train.py, called
        from main.py with `model.Classifier().cuda()`): what the models they pass give, judged in their
        files."""
        passed = self._filled_by_other_modules(func)
        if not passed:
            return None
        return _on_some_path(
            [
                module.activations._constructed_output(value, call, depth + 1, element)
                for module, value, call in passed
            ]
        )

    def _filled_by_other_modules(
        self, name: cst.Name
    ) -> list[tuple[FileContext, cst.BaseExpression, cst.Call]]:
        """What the project's other modules pass for a parameter with no default (`project_argument_values`),
        each with its file and call; empty for any other name, when the check reads one file alone, or in a
        project of more than `LARGE_PROJECT_FILES` files (torch's own tree: every question would read
        thousands of files for a criterion a user's trainer is handed by its script)."""
        parameter = enclosing_parameter(self._ctx, name)
        if parameter is None or parameter[1].default is not None or not self._cross_module:
            return []
        return project_argument_values(self._ctx, *parameter, max_files=LARGE_PROJECT_FILES) or []

    def _values_of(
        self, expr: cst.BaseExpression, name: str, value: cst.BaseExpression | None, at: cst.CSTNode
    ) -> list[tuple[cst.BaseExpression, cst.CSTNode]] | None:
        """The values a name may hold at `at`, each with the place it is read at: the one reaching
        assignment, else the arguments every call site passes for a parameter, else every value the name
        is assigned in the file."""
        if value is not None:
            return [(value, at)]
        ctx = self._ctx
        if isinstance(expr, cst.Name):
            parameter = enclosing_parameter(ctx, expr)
            if parameter is not None:
                passed = argument_values(ctx, *parameter)
                if passed is not None:
                    return list(passed)
        if name.startswith("self."):
            # `self.x` of the class the use is in, leaving out what it is set to under a test the use's
            # own test contradicts (`if self.discrete:` in both).
            values = attribute_values(ctx, ctx.enclosing_class(at), name[len("self.") :])
            values = [value for value in values or () if not exclusive_branches(ctx, value, at)]
        else:
            values = ctx.bindings.values(name)
            if values is None and isinstance(expr, cst.Name):
                values = _values_through_helpers(ctx, name)
        return [(value, value) for value in values] if values else None

    def _constructed_output(
        self,
        value: cst.BaseExpression,
        at: cst.CSTNode,
        depth: int,
        element: int | None = None,
        submodule: str | None = None,
    ) -> Activation | None:
        """The output of the model a value builds: `Net(...)`, through `.to()`, wrappers and factories;
        with `submodule`, the output of that attribute of the model (`self.decoder = Decoder(...)`)."""
        ctx = self._ctx
        while isinstance(value, cst.Call) and depth <= _MAX_DEPTH:
            depth += 1
            func = value.func
            if isinstance(func, cst.Attribute) and func.attr.value in SELF_RETURNING_METHODS:
                value = func.value
                continue
            if ctx.callee(value) in _SAME_FORWARD and value.args:
                if submodule is not None:
                    return None  # `DataParallel(net).decoder` is no attribute of `net`
                value = value.args[0].value
                continue
            layer = ctx.layers.layer_of(value)
            if layer is not None:
                return self._layer_output(layer) if element is None and submodule is None else None
            target = resolve_call(ctx, value)
            if target is None:
                return None
            if isinstance(target.node, cst.ClassDef):
                if submodule is not None:
                    return target.ctx.activations.submodule_output(target.node, submodule, element)
                return _forward_output(target, element)
            if submodule is not None:
                return None
            return target.ctx.activations.built_by(target.node, element)
        if isinstance(value, (cst.Name, cst.Attribute)) and depth <= _MAX_DEPTH:
            return self._model_output(value, at, depth + 1, element, submodule)
        return None

    def submodule_output(self, cls: cst.ClassDef, attribute: str, element: int | None) -> Activation | None:
        """What calling `self.<attribute>` of a model class of this file gives: every value the class
        assigns it (in `__init__` or elsewhere) must agree. Base classes are not read: unknown."""
        key = ("submodule", cls, attribute, element)
        cached = self._summaries.get(key)  # type: ignore[call-overload]
        if cached is _PENDING or (cached is None and key in self._summaries):
            return None
        if cached is not None:
            return cached  # type: ignore[return-value]
        self._summaries[key] = _PENDING  # type: ignore[index]
        values = attribute_values(self._ctx, cls, attribute)
        found = None
        if values:
            found = _agreeing([self._constructed_output(value, value, 0, element) for value in values])
        self._summaries[key] = found  # type: ignore[index]
        return found

    def built_by(self, function: cst.FunctionDef, element: int | None = None) -> Activation | None:
        """The output of the model a factory function of this file returns (`build_model()`), memoized."""
        key = ("factory", function, element)
        cached = self._summaries.get(key)  # type: ignore[call-overload]
        if cached is _PENDING or (cached is None and key in self._summaries):
            return None
        if cached is not None:
            return cached  # type: ignore[return-value]
        self._summaries[key] = _PENDING  # type: ignore[index]
        values = returned_values(function)
        found = None
        if values and all(value is not None for value in values):
            found = _agreeing([self._constructed_output(v, v, 0, element) for v in values if v is not None])
        self._summaries[key] = found  # type: ignore[index]
        return found

    def _added_last(self, name: cst.Name | cst.Attribute, sequential: cst.Call) -> Activation | None:
        """The output of an empty `nn.Sequential()` grown by `name.add_module(...)` calls: what its last
        module gives, as `layers.last_added` finds it (one added under an `if` or in a loop makes it
        unknown, unless an unconditional addition after it adds the last one)."""
        ctx = self._ctx
        dotted = ctx.dotted(name)
        if dotted is None:
            return None
        last = ctx.layers.last_added(ctx.index.statement_of(sequential), dotted)
        return self._layer_output(last) if last is not None else None

    def _layer_output(self, layer: Layer) -> Activation | None:
        """A layer's own activation (`nn.Softmax`), or a Sequential's last layer's, or logits (Linear)."""
        last = layer
        if layer.kind == SEQUENTIAL and not layer.constructor.args:
            assign = self._ctx.index.parent(layer.constructor)
            if isinstance(assign, cst.Assign) and len(assign.targets) == 1:
                target = assign.targets[0].target
                named = isinstance(target, (cst.Name, cst.Attribute)) and self._ctx.dotted(target) is not None
                return self._added_last(target, layer.constructor) if named else None  # type: ignore[arg-type]
            return None
        if layer.kind == SEQUENTIAL:
            _, last = self._ctx.layers.ends(layer)  # type: ignore[assignment]
            if last is None:
                return None
        if last.kind in ACTIVATION_LAYERS:
            return Activation(ACTIVATION_LAYERS[last.kind], last.constructor, self._ctx)
        if last.kind in LOGIT_LAYERS:
            return Activation(LOGITS, last.constructor, self._ctx)
        return None


def _forward_output(cls: Resolved, element: int | None = None) -> Activation | None:
    """What a model class's `forward` returns (through its project base classes)."""
    forward = method_of(cls, "forward")
    if forward is None or not isinstance(forward.node, cst.FunctionDef):
        return None
    return forward.ctx.activations.returns(forward.node, element)


def _tuple_element(value: cst.BaseExpression | None, element: int) -> cst.BaseExpression | None:
    """The expression at one position of a returned tuple literal (`return probs, state`), else None."""
    if not isinstance(value, (cst.Tuple, cst.List)) or element >= len(value.elements):
        return None
    if any(isinstance(item, cst.StarredElement) for item in value.elements):
        return None
    return value.elements[element].value


def _argument_for(ctx: FileContext, param: cst.Param, call: cst.Call) -> cst.BaseExpression | None:
    """What `call` passes for `param` of the function it runs (by keyword, else by position; `self` is not
    passed); None when it passes it through `*args`/`**kwargs` or not at all."""
    function = ctx.index.enclosing(param, cst.FunctionDef)
    if function is None or any(arg.star for arg in call.args):
        return None
    positional = [p.name.value for p in call_parameters(ctx, function)]
    return matched_arguments(positional, call).get(param.name.value)


def _first_argument(call: cst.Call) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.star:
            return None
        if arg.keyword is None or arg.keyword.value == "input":
            return arg.value
    return None


def _is_local(qualified: str) -> bool:
    """Whether a qualified name may be a project definition (not torch, numpy or another known library)."""
    return not qualified.startswith(("torch.", "numpy.", "np.", "math.", "transformers.", "timm."))


def _strip_self_returning(ctx: FileContext, value: cst.BaseExpression) -> str | None:
    """The dotted name under a chain of self-returning calls and wrappers: `model.to(device)` -> model."""
    while type(value) is cst.Call:
        func = value.func
        if isinstance(func, cst.Attribute) and func.attr.value in SELF_RETURNING_METHODS:
            value = func.value
        elif ctx.callee(value) in _SAME_FORWARD and value.args:
            value = value.args[0].value
        else:
            return None
    return ctx.dotted(value)


def _from_import(ctx: FileContext, expr: cst.BaseExpression, built: bool = False) -> bool:
    """Whether a callee is a name the file imports, an attribute of one (`train.source_only`), or a
    method of an object built by calling one (`local.train` after `local = LocalUpdate(args)`)."""
    while type(expr) is cst.Call or type(expr) is cst.Attribute:  # type identity: no ABC check (hot)
        expr = expr.func if type(expr) is cst.Call else expr.value  # type: ignore[attr-defined]
    if type(expr) is not cst.Name or expr.value == "self":  # type: ignore[attr-defined]
        return False
    if any(binding.kind == "import" for binding in ctx.bindings.of(expr.value)):
        return True
    return not built and any(
        type(value) is cst.Call and _from_import(ctx, value.func, True)
        for value in ctx.bindings.values(expr.value) or ()
    )


def _says_loss(source: str) -> bool:
    """Whether a source names any loss (`ActivationFlow._mentions_losses`)."""
    return any(word in source for word in _LOSS_WORDS) or "loss" in source.lower()


# The loss words that do not say "loss" in any case (`CrossEntropyLoss` does: one scan finds them all).
_LOSS_WORDS = tuple(word for word in vocab.INPUT_SENSITIVE_LOSS_WORDS if "loss" not in word.lower())


def _module_says_loss(text: bytes) -> bool:
    """`_says_loss` of another module's bytes, before parsing it (`project.only_if_text`): a function of
    a module that names no loss has no `model_parameter_losses`. Read on the bytes, with the same answer
    as on the decoded text (an ASCII word is in the decoded text exactly where it is in the bytes, and no
    other character lowercases to a letter of "loss"), without decoding and lowercasing a whole module."""
    return any(word in text for word in _LOSS_WORDS_BYTES) or b"loss" in text.lower()


_LOSS_WORDS_BYTES = tuple(word.encode() for word in _LOSS_WORDS)


def _model_like(ctx: FileContext, value: cst.BaseExpression) -> bool:
    """A cheap test (no other module read) that a value may be a model: a name with the model role, or
    one the file binds to a class-like call (`net = MLP(...).to(d)`), under self-returning calls, wrappers
    and copies (`copy.deepcopy(net).to(d)`)."""
    name = _strip_self_returning(ctx, value)
    if name is None:
        return False
    if Role.MODEL in ctx.roles.of(name):
        return True
    for bound in ctx.bindings.values(name) or ():
        while (
            type(bound) is cst.Call
            and isinstance(bound.func, cst.Attribute)
            and bound.func.attr.value in SELF_RETURNING_METHODS
        ):
            bound = bound.func.value
        built = ctx.dotted(bound.func) if type(bound) is cst.Call else None
        if built is not None and built.rsplit(".", 1)[-1][:1].isupper():
            return True
    return False


def _list_kept(ctx: FileContext, node: cst.Name, parent: cst.CSTNode | None) -> bool:
    """A use of a list that leaves its elements as they are: indexed (`outputs[a]`), iterated, returned
    (alone or in a tuple), measured (`len`), joined (`torch.cat(probs, 0)`), or rebound to its own join
    (`probs = torch.cat(probs, 0).view(b, t, -1)`: the list ends there)."""
    if isinstance(parent, cst.Subscript):
        return parent.value is node and not isinstance(
            ctx.index.parent(parent), (cst.AssignTarget, cst.AugAssign)
        )
    if isinstance(parent, cst.For):
        return parent.iter is node
    if isinstance(parent, cst.Element):
        returned = ctx.index.parent(parent)
        return isinstance(returned, cst.Tuple) and isinstance(ctx.index.parent(returned), cst.Return)
    if isinstance(parent, cst.Return):
        return True
    if isinstance(parent, cst.Arg):
        call = ctx.index.parent(parent)
        return (
            not parent.star
            and isinstance(call, cst.Call)
            and (ctx.callee(call) in JOINING_FUNCTIONS or dotted_name(call.func) == "len")
        )
    if isinstance(parent, cst.AssignTarget):
        value = ctx.index.parent(parent).value  # type: ignore[union-attr]
        while isinstance(value, cst.Call) and ctx.callee(value) not in JOINING_FUNCTIONS:
            if not (isinstance(value.func, cst.Attribute) and value.func.attr.value in KIND_KEEPING_METHODS):
                return False
            value = value.func.value
        first = _first_argument(value) if isinstance(value, cst.Call) else None
        return isinstance(first, cst.Name) and first.value == node.value
    return False


def _fresh_buffer(ctx: FileContext, value: cst.BaseExpression) -> bool:
    """`torch.zeros(T, B, V)`, also moved (`.cuda()`) or wrapped (`Variable(...)`): a buffer to be filled."""
    while isinstance(value, cst.Call):
        callee = ctx.callee(value)
        if callee in BUFFER_FACTORIES:
            return True
        if callee in VARIABLE_WRAPPERS and value.args:
            value = value.args[0].value
        elif isinstance(value.func, cst.Attribute) and value.func.attr.value in SELF_RETURNING_METHODS:
            value = value.func.value
        else:
            return False
    return False


def _values_through_helpers(ctx: FileContext, name: str) -> list[cst.BaseExpression] | None:
    """`bindings.values`, where an unpacking that binds the name from a project helper giving back the
    object it was passed (`model, optimizer, epoch = load_checkpoint(model, optimizer, path)`, under `if
    args.resume:`) holds that argument (`summaries.passed_through`); None when any binding stays unknown."""
    from nnlint.engine.summaries import passed_through

    found: list[cst.BaseExpression] = []
    for binding in ctx.bindings.of(name):
        if binding.kind in ("import", "def", "class") or (
            binding.kind == "parameter" and binding.value is None
        ):
            continue
        value = binding.value
        node = binding.node
        if value is None and binding.kind == "unpack" and isinstance(node, cst.Assign):
            targets = [target.target for target in node.targets]
            unpacked = targets[0] if len(targets) == 1 and isinstance(node.value, cst.Call) else None
            if isinstance(unpacked, (cst.Tuple, cst.List)):
                names = [element.value for element in unpacked.elements]
                positions = [
                    i
                    for i, element in enumerate(names)
                    if type(element) is cst.Name and element.value == name
                ]
                if len(positions) == 1:
                    value = passed_through(ctx, node.value, positions[0], name)  # type: ignore[arg-type]
        if value is None:
            return None
        found.append(value)
    return found or None


def _agreeing(found: list[Activation | None]) -> Activation | None:
    """The first of several answers when every one is known and of the same kind, else None (several
    MIXED answers agree only when there is one)."""
    if not found or any(item is None for item in found) or len({item.kind for item in found if item}) != 1:
        return None
    if len(found) > 1 and found[0].kind == MIXED:  # type: ignore[union-attr]
        return None
    return found[0]


def _normalised(qualified: str | None) -> str | None:
    """`torch.nn.modules.loss.CrossEntropyLoss` -> `torch.nn.CrossEntropyLoss`."""
    if qualified is None or not qualified.startswith("torch.nn.") or ".functional." in qualified:
        return qualified
    return "torch.nn." + qualified.rsplit(".", 1)[-1]


def _iterated(ctx: FileContext, name: cst.Name) -> cst.BaseExpression | None:
    """The iterable of the nearest loop whose target is exactly `name`, when the body never rebinds it."""
    from nnlint.engine.bindings import binds

    for ancestor in ctx.index.ancestors(name):
        if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return None
        if isinstance(ancestor, cst.For):
            target = ancestor.target
            if isinstance(target, cst.Name) and target.value == name.value:
                return None if binds(ancestor.body, name.value) else ancestor.iter
    return None


def _on_some_path(found: list[Activation | None]) -> Activation | None:
    """The models a name may hold (`if ...: model = A() else: model = B()`): their common kind when the
    known ones agree, marked `some_paths` when some are unknown (a library model). A path that feeds the
    loss the wrong kind is a bug on that path. When every model is known and they differ in kind, the
    answer is MIXED, with each model's own answer (`paths_of`): a loss every one of them is wrong for is
    a bug on every path."""
    known = [item for item in found if item is not None]
    kinds = {item.kind for item in known}
    if len(kinds) == 1 and MIXED not in kinds:
        if len(known) == len(found):
            return known[0]
        return Activation(known[0].kind, known[0].node, known[0].ctx, some_paths=True)
    if not known or len(known) != len(found) or CALLED_ARGUMENT in kinds:
        return None
    # Every model is known and they differ: each path's own answer, once per kind and place.
    paths: dict[tuple[str, int], Activation] = {}
    for item in known:
        for path in item.alternatives or (item,):
            paths.setdefault((path.kind, id(path.node)), path)
    alternatives = tuple(paths.values())
    if len({path.kind for path in alternatives}) == 1:
        return alternatives[0]
    return Activation(MIXED, alternatives[0].node, alternatives[0].ctx, alternatives=alternatives)
