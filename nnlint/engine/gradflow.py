"""Which values reach `backward()`, and which expressions are cut off from the autograd graph.

Two questions several rules ask about a loss: is this value the one that gets backpropagated (clamping it
then silences gradients, adding to it builds the loss), and does this expression still carry the graph
(adding it to a running total keeps every iteration's graph alive)? Both are answered by names, per file,
like the roles: `loss.backward()` makes `loss` backpropagated, and so is every name its value was computed
from (`loss = ce + aux` makes `ce` and `aux` backpropagated too). Over-approximating that set only ever
makes rules quieter, which is the direction precision wants.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst

from nnlint import vocabulary as vocab
from nnlint.engine.bindings import assigned_names, call_candidates, item_name, own_nodes, target_names
from nnlint.engine.index import children
from nnlint.engine.loops import EventKind, Loop, turns_recording_off
from nnlint.engine.names import dotted_name, words
from nnlint.engine.roles import Role

if TYPE_CHECKING:
    from nnlint.engine.context import FileContext
    from nnlint.engine.project import Resolved


class GradientFlow:
    """Backpropagated names and detached expressions of one file."""

    def __init__(self, ctx: FileContext) -> None:
        self._ctx = ctx

    @cached_property
    def backpropagated(self) -> frozenset[str]:
        """Dotted names whose value flows into a `backward()` call somewhere in the file."""
        bindings = self._ctx.bindings
        found: set[str] = set()
        pending: list[str] = []
        for call in self._ctx.index.nodes(cst.Call):
            operand = self._ctx.loops.backward_operand(call)
            if operand is not None:
                pending.extend(names_in(operand))
        while pending:
            name = pending.pop()
            if name in found:
                continue
            found.add(name)
            for value in bindings.sources(name):
                pending.extend(names_in(value))
        return frozenset(found)

    def backpropagated_at(self, name: str, at: cst.CSTNode) -> bool:
        """Whether the name `name` as read at `at` flows into a `backward()`, with Python's scopes: a plain
        name is its function's own (a parameter `D_loss` of `__init__` is not the `D_loss` total of
        `train`), `self.x` is shared by the file. Backward calls in project helpers count through their
        summaries (`self._backward(loss, opt)` backpropagates `loss`)."""
        key = (self._scope_key(name, at), name)
        if key in self._scoped_backpropagated:
            return True
        # `losses.append(criterion(...))` then `losses[-1].backward()`: a list made for this iteration is
        # the loss being built; one kept across iterations holds every earlier loss too.
        return self.element_backpropagated(name, at) and not self.outlives_iteration(name, at)

    def element_backpropagated(self, name: str, at: cst.CSTNode) -> bool:
        """Whether an element of the container `name` (read at `at`) is backpropagated directly:
        `losses[-1].backward()`; what is stored there must stay a tensor."""
        return (self._scope_key(name, at), name) in self._elements_backpropagated

    def container_backpropagated(self, container: str, at: cst.CSTNode) -> bool:
        """Whether the container `container` flows into a `backward()` whole, read at `at` with Python's
        scopes (`torch.stack(list(losses.values())).mean().backward()`: the losses kept are the loss being
        built), as opposed to one element of it (`losses[it - 1].backward()`, `element_backpropagated`)."""
        return (self._scope_key(container, at), container) in self._scoped_backpropagated

    def appended_then_backpropagated(self, container: str, append: cst.Call) -> bool:
        """Whether what `container.append(...)` adds at `append` is the loss the same iteration then
        backpropagates as the container's last element (`losses.append(reduce(add, parts))`, then
        `losses[-1].backward()`): whatever the appended expression is, it is a tensor with its graph."""
        loop = self._ctx.loops.enclosing_loop(append)
        if loop is None:
            return False
        before = statements_before(loop.node.body, append)
        for event in loop.own_events:
            if event.kind is not EventKind.BACKWARD or event.via or not isinstance(event.node, cst.Call):
                continue
            operand = self._ctx.loops.backward_operand(event.node)
            if (
                isinstance(operand, cst.Subscript)
                and dotted_name(operand.value) == container
                and _last_index(operand)
                and event.node not in before
            ):
                return True
        return False

    @cached_property
    def _elements_backpropagated(self) -> frozenset[tuple[cst.CSTNode | None, str]]:
        """Containers an element of which is backpropagated directly: `losses[-1].backward()`."""
        found: set[tuple[cst.CSTNode | None, str]] = set()
        for call in self._ctx.index.nodes(cst.Call):
            operand = self._ctx.loops.backward_operand(call)
            if type(operand) is cst.Subscript and type(operand.value) is cst.Name:
                found.add((self._scope_key(operand.value.value, operand), operand.value.value))
        return frozenset(found)

    def _scope_key(self, name: str, at: cst.CSTNode) -> cst.CSTNode | None:
        if "." in name:
            return None
        function = self._ctx.index.enclosing(at, cst.FunctionDef)
        while function is not None and not self._binds_in(function, name):
            function = self._ctx.index.enclosing(function, cst.FunctionDef)
        return function

    def _binds_in(self, function: cst.FunctionDef, name: str) -> bool:
        return any(
            self._ctx.index.enclosing(binding.node, cst.FunctionDef) is function
            for binding in self._ctx.bindings.of(name)
        )

    @cached_property
    def _scoped_backpropagated(self) -> frozenset[tuple[cst.CSTNode | None, str]]:
        from nnlint.engine.summaries import Effect, summary_of_call

        sources: dict[tuple[cst.CSTNode | None, str], list[cst.BaseExpression]] = defaultdict(list)
        index = self._ctx.index
        for node in (*index.nodes(cst.Assign), *index.nodes(cst.AugAssign), *index.nodes(cst.AnnAssign)):
            if node.value is not None:
                for target in assigned_names(node):
                    sources[(self._scope_key(target, node), target)].append(node.value)
        pending: list[tuple[cst.CSTNode | None, str]] = []

        def read(expr: cst.BaseExpression) -> None:
            for name, node in _names_with_nodes(expr):
                pending.append((self._scope_key(name, node), name))

        for call in index.nodes(cst.Call):
            operand = self._ctx.loops.backward_operand(call)
            if isinstance(operand, cst.Subscript) and isinstance(operand.value, cst.Name):
                # `losses[-1].backward()` backpropagates one element: `_elements_backpropagated`.
                continue
            if operand is not None:
                read(operand)
                continue
            if not call.args or (self._ctx.callee(call) or "").startswith(vocab.LIBRARY_PREFIXES):
                continue  # no argument to backpropagate, or a library call (no summary)
            summary = summary_of_call(self._ctx, call)
            for value in summary.passed_with(call, Effect.BACKWARD) if summary is not None else ():
                read(value)
        found: set[tuple[cst.CSTNode | None, str]] = set()
        while pending:
            key = pending.pop()
            if key in found:
                continue
            found.add(key)
            for value in sources.get(key, ()):
                read(value)
        return frozenset(found)

    def reaches_backward(self, expr: cst.BaseExpression) -> bool:
        """Whether the value of `expr` is what gets backpropagated.

        Climbs from the expression through arithmetic and graph-preserving calls (`.mean()`,
        `scaler.scale(...)`) to where the value ends up: a `backward()` call, or an assignment to a
        backpropagated name. Anything else (a function argument, a comparison, a return) is unknown: no.
        """
        end = self._backward_end(expr)
        return end is True or (isinstance(end, list) and any(name in self.backpropagated for name in end))

    def added_into_loss(self, expr: cst.BaseExpression) -> bool:
        """Whether the value of `expr`, once bound to a name, is added into the loss afterwards in the
        same function: `kl = kl.clamp(max=cap)` then `loss = rec + kl` (a loss-role name), or
        `(rec + kl).backward()`.

        `reaches_backward` asks whether a value *is* the loss; this asks whether it is a term of it, read
        through the name it is bound to, whatever that term was computed from (a KL written out by hand,
        `-0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())`, holds no loss call)."""
        end = self._backward_end(expr)
        if not isinstance(end, list):
            return end is True
        function = self._ctx.enclosing_function(expr)
        statement = self._ctx.index.enclosing(expr, (cst.Assign, cst.AugAssign, cst.AnnAssign))
        for name in end:
            seen_binding = False
            for mention in self._ctx.bindings.mentions(name):
                if statement is not None and self._ctx.index.enclosing(mention, type(statement)) is statement:
                    seen_binding = True  # the binding itself; what follows reads the bound value
                    continue
                if not seen_binding or self._ctx.enclosing_function(mention) is not function:
                    continue
                if not self._summand(mention):
                    continue
                after = self._backward_end(mention)
                if after is True or (
                    isinstance(after, list)
                    and any(self._ctx.roles.has(target, Role.LOSS) for target in after if target != name)
                ):
                    return True
                if self._returned_as_loss(mention):
                    return True
        return False

    def _returned_as_loss(self, term: cst.Name) -> bool:
        """Whether `term` is a summand of what its function returns (`return rec + kl`), and a call of
        that function in this file is backpropagated or bound to a loss name (`loss = vae_loss(...)`;
        `loss.backward()`): a loss helper whose result is the loss."""
        index = self._ctx.index
        node: cst.CSTNode = term
        parent = index.parent(node)
        while isinstance(parent, (cst.BinaryOperation, cst.UnaryOperation)):
            node, parent = parent, index.parent(parent)
        if not isinstance(parent, cst.Return):
            return False
        function = self._ctx.enclosing_function(parent)
        return function is not None and self._result_reaches_loss(function, followed=False)

    def result_is_loss(self, function: cst.FunctionDef) -> bool:
        """Whether a call of `function` in this file is backpropagated, bound to a loss name or bound to a
        name that is backpropagated later (`mle_loss = self.train_batch_MLE(...)`, then `(w * mle_loss +
        rl_loss).backward()`): what it returns is a loss the caller trains on."""
        return self._result_reaches_loss(function, followed=True)

    def _result_reaches_loss(self, function: cst.FunctionDef, followed: bool) -> bool:
        for call in self._ctx.index.nodes(cst.Call):
            if self._ctx.loops.helper_called(call) is not function:
                continue
            after = self._backward_end(call)
            if after is True or (
                isinstance(after, list)
                and any(
                    self._ctx.roles.has(target, Role.LOSS)
                    or (followed and self.backpropagated_at(target, call))
                    for target in after
                )
            ):
                return True
        return False

    def _summand(self, name: cst.Name) -> bool:
        """Whether `name` is read as a term of a sum: under `+`/`-` (or a scaling by a number literal),
        not as a factor of a product (`ratio * adv`: PPO's clipped ratio weights the loss on purpose)."""
        node: cst.CSTNode = name
        parent = self._ctx.index.parent(node)
        while isinstance(parent, (cst.BinaryOperation, cst.UnaryOperation)):
            if isinstance(parent, cst.BinaryOperation) and not isinstance(
                parent.operator, (cst.Add, cst.Subtract)
            ):
                other = parent.right if parent.left is node else parent.left
                scaling = isinstance(parent.operator, (cst.Multiply, cst.Divide)) and isinstance(
                    other, (cst.Integer, cst.Float)
                )
                if not scaling:
                    return False
            node, parent = parent, self._ctx.index.parent(parent)
        return True

    def _backward_end(self, expr: cst.BaseExpression) -> bool | list[str]:
        """Where the value of `expr` ends up, climbing through arithmetic, a choice (`a if c else b`) and
        graph-preserving calls: True for a `backward()` call, the names of an assignment, else False."""
        index = self._ctx.index
        node: cst.CSTNode = expr
        # `scaler.scale(loss).backward()` backpropagates `loss`, a step below the call: keep the path.
        path: list[cst.CSTNode] = []
        while True:
            path.append(node)
            parent = index.parent(node)
            if isinstance(parent, (cst.BinaryOperation, cst.UnaryOperation)):
                node = parent
            elif isinstance(parent, cst.IfExp) and parent.test is not node:
                node = parent
            elif isinstance(parent, cst.Attribute) and parent.value is node:
                call = index.parent(parent)
                if not isinstance(call, cst.Call) or call.func is not parent:
                    return False
                if any(self._ctx.loops.backward_operand(call) is step for step in path):
                    return True
                if parent.attr.value not in vocab.GRAPH_PRESERVING_METHODS:
                    return False
                node = call
            elif isinstance(parent, cst.Arg):
                call = index.parent(parent)
                if not isinstance(call, cst.Call):
                    return False
                if self._ctx.loops.backward_operand(call) is node:
                    return True
                if not self._preserves_graph(call):
                    return False
                node = call
            elif isinstance(parent, (cst.Assign, cst.AugAssign, cst.AnnAssign)):
                return assigned_names(parent)
            else:
                return False

    def _preserves_graph(self, call: cst.Call) -> bool:
        """A call whose result is its argument for the graph's purposes: `scaler.scale(loss)`,
        `torch.mean(loss)`, the builtin `sum(losses)` (unless the file defines its own `sum`)."""
        func = call.func
        if isinstance(func, cst.Attribute):
            return func.attr.value == "scale" or self._ctx.callee(call) in vocab.GRAPH_PRESERVING_FUNCTIONS
        if isinstance(func, cst.Name) and func.value in vocab.GRAPH_PRESERVING_BUILTINS:
            return func.value not in self._ctx.functions and not self._ctx.bindings.of(func.value)
        return self._ctx.callee(call) in vocab.GRAPH_PRESERVING_FUNCTIONS

    def is_detached(self, expr: cst.BaseExpression) -> bool:
        """Whether `expr` is cut off from the graph: `.item()`, `.detach()`, `float(...)`, `.data`."""
        while True:
            if type(expr) is cst.Attribute:
                if expr.attr.value == "data":
                    return True
                expr = expr.value
            elif type(expr) is cst.Call:
                func = expr.func
                if isinstance(func, cst.Name) and func.value in vocab.DETACHING_BUILTINS:
                    return self._ctx.callee(expr) is None
                if not isinstance(func, cst.Attribute):
                    return False
                if func.attr.value in vocab.DETACHING_METHODS:
                    return True
                expr = func.value
            else:
                return False

    def carries_graph(self, expr: cst.BaseExpression, at: cst.CSTNode) -> bool:
        """Whether `expr`, read at statement `at`, is a loss tensor still attached to its graph.

        A loss name counts when its latest binding before `at` in the enclosing loop body is a loss value
        itself (`loss = criterion(...)`), a model's output (`logits, loss = model(x, y)`), or anything the
        loop itself then calls `backward()` on; a detached value (`loss = loss.item()`) or a helper's
        return value that is not backpropagated here (`loss = train_step(...)`, which may well be a
        number) does not. Roles are per file, values are per place.
        """
        if self.is_detached(expr):
            return False
        if isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Name):
            # `losses[it]` of a container an element of which is backpropagated (`losses[it - 1].backward()`):
            # its elements are loss tensors with their graphs.
            if self.element_backpropagated(expr.value.value, at):
                return True
        if type(expr) is cst.BinaryOperation and type(expr.operator) in _SCALING:
            # `loss_val * batch_size`: a scaled entry keeps the entry's graph, and only it (`loss * 0.01`
            # after `loss = loss.item()` is a number)
            return self.carries_graph(expr.left, at) or self.carries_graph(expr.right, at)
        if not self._ctx.roles.is_loss_expr(expr):
            return (
                self._model_output_made_loss(expr, at)
                or self._returned_losses(expr, at)
                or self._loss_backpropagated_here(expr, at)
                or self._entry_of_backpropagated(expr, at)
            )
        name = dotted_name(expr) if isinstance(expr, (cst.Name, cst.Attribute)) else None
        scope = self._ctx.index.enclosing(at, (cst.For, cst.While, cst.FunctionDef))
        if name is None or scope is None:
            return True
        latest = None
        unpacked: Role | None = None
        for node in statements_before(scope, at):
            if (
                isinstance(node, (cst.Assign, cst.AnnAssign))
                and node.value is not None
                and name in assigned_names(node)
            ):
                latest = node.value
                unpacked = self._unpacked_role(node, name)
        if latest is None:
            return True
        if unpacked is Role.LOSS:
            return True  # `loss, part = compute(...)`: that position of the project function's result
        if self.is_detached(latest):
            return False
        roles = self._ctx.roles
        if roles.is_loss_expr(latest) or (
            isinstance(latest, cst.Call) and roles.has(latest.func, Role.MODEL)
        ):
            return True
        loop = self._ctx.loops.enclosing_loop(at)
        if loop is None:
            return self._backpropagated_by_step(name, at)
        return any(
            event.kind is EventKind.BACKWARD and event.target == name and not event.via
            for event in loop.own_events
        ) or self._loss_backpropagated_here(expr, at)

    def _backpropagated_by_step(self, name: str, at: cst.CSTNode) -> bool:
        """Whether the function around `at`, outside any loop, backpropagates `name` itself, once per call
        and with recording on: a training-step method (BiRefNet's `_train_batch`, whose `loss` is a sum
        of project criteria's outputs, `loss = loss_pix + loss_cls`, then `loss.backward()`). What it
        backpropagates has a graph, whatever computed it."""
        function = self._ctx.enclosing_function(at)
        if function is None or self.under_no_grad(at):
            return False
        return any(
            event.kind is EventKind.BACKWARD
            and event.target == name
            and not event.via
            and not event.no_grad
            and event.nested == 0
            for event in self._ctx.loops.function_events(function)
        )

    def _model_output_made_loss(self, expr: cst.BaseExpression, at: cst.CSTNode) -> bool:
        """Whether a name read at `at` holds what a model call gave in this iteration (`model(x)`,
        `self.model.calculate_loss(batch)`) and the loop then backpropagates it as the loss itself: its
        value reaches the loop's `backward()` through arithmetic, a choice or a sum only
        (`loss = sum(losses) if isinstance(losses, tuple) else losses; loss.backward()`), never through
        another call (a criterion given the output makes the output no loss)."""
        if not isinstance(expr, cst.Name):
            return False
        loop = self._ctx.loops.enclosing_loop(at)
        if loop is None:
            return False
        latest: cst.BaseExpression | None = None
        for node in statements_before(loop.node.body, at):
            if type(node) in (cst.Assign, cst.AnnAssign, cst.AugAssign) and expr.value in assigned_names(
                node
            ):
                latest = None if isinstance(node, cst.AugAssign) else node.value  # `+=` adds to the value
        if not isinstance(latest, cst.Call) or not self._model_call(latest):
            return False
        return self._read_into_backward(expr, loop, statements_before(loop.node.body, at))

    def _read_into_backward(self, expr: cst.Name, loop: Loop, nodes: list[cst.CSTNode]) -> bool:
        """Whether one of `nodes` reads the name of `expr` on its way into the loop's own `backward()`:
        through arithmetic, a choice and graph-preserving calls straight into the call
        (`loss.div(n).backward()`, `scaler.scale(loss).backward()`), or into a name the loop then
        backpropagates (`loss_g += w * adv_loss`, `loss_g.backward()`)."""
        targets = {
            event.target
            for event in loop.own_events
            if event.kind is EventKind.BACKWARD and not event.via and event.target
        }
        for use in nodes:
            if isinstance(use, cst.Name) and use.value == expr.value and use is not expr:
                end = self._backward_end(use)
                if end is True or (isinstance(end, list) and targets.intersection(end)):
                    return True
        return False

    def _loss_backpropagated_here(self, expr: cst.BaseExpression, at: cst.CSTNode) -> bool:
        """Whether a loss-named local (`loss`, `adv_loss`), read at `at`, holds what this iteration
        backpropagates: its latest binding before `at` in the loop body is no detached value and a later
        read takes it into the loop's own `backward()` (`_read_into_backward`). A value that is
        backpropagated has a graph, whatever computed it: simple-nmt's `loss = self._get_loss(y_hat, y)`,
        `loss.div(y.size(0)).backward()`; VocGAN's `adv_loss` of discriminator terms, added into the
        generator loss that is backpropagated. The name's words keep a data tensor read by the loss
        (`y` of `(pred - y) ** 2`) out."""
        if not isinstance(expr, cst.Name) or "loss" not in words(expr.value):
            return False
        if not self._may_read_into_backward:
            return False
        loop = self.backpropagating_loop(at)
        if loop is None:
            return False
        before = statements_before(loop.node.body, at)
        latest: int | None = None
        for position, node in enumerate(before):
            if type(node) in (cst.Assign, cst.AnnAssign, cst.AugAssign) and expr.value in assigned_names(
                node
            ):
                latest = position
        if latest is None:
            return False
        binding = before[latest]
        if isinstance(binding, (cst.Assign, cst.AnnAssign)) and (
            binding.value is None or self.is_detached(binding.value)
        ):
            return False  # `loss = loss.item()`
        return self._read_into_backward(expr, loop, before[latest + 1 :])

    @cached_property
    def _may_read_into_backward(self) -> bool:
        """Whether `_read_into_backward` can ever say yes in this file: it calls a loss scaler (by its text,
        as `TrainingLoops._scaler_call` asks) or a `backward`/`manual_backward` method (the calls
        `TrainingLoops.backward_operand` knows; a file that only says "backward" in strings calls none), or
        a loop of it has a backward event of its own with a target (`backprop(loss)` of a callable
        parameter, `_passed_steps`). When not, the loop that backpropagates (`backpropagating_loop`, which
        asks the summary of every project call in its body and may read other modules) is not looked for
        by the questions that end in `_read_into_backward`."""
        source = self._ctx.source
        if "scaler(" in source:
            return True
        if "backward" in source and any(
            type(call.func) is cst.Attribute and call.func.attr.value in ("backward", "manual_backward")
            for call in self._ctx.index.nodes(cst.Call)
        ):
            return True
        return any(
            event.kind is EventKind.BACKWARD and not event.via and event.target
            for loop in self._ctx.loops.loops
            for event in loop.own_events
        )

    @cached_property
    def _entries_named(self) -> frozenset[str]:
        """The containers one entry of which the file binds to a plain name (`loss = loss_dict["loss"]`):
        the only ones `_entry_of_backpropagated` can find backpropagated through such a name."""
        return frozenset(
            dotted_name(node.value.value) or ""
            for node in self._ctx.index.nodes(cst.Assign)
            if len(node.targets) == 1
            and type(node.targets[0].target) is cst.Name
            and type(node.value) is cst.Subscript
        )

    def _entry_of_backpropagated(self, expr: cst.BaseExpression, at: cst.CSTNode) -> bool:
        """Whether `expr`, read at `at`, is each entry in turn of a dict one entry of which this iteration
        backpropagates: `loss_dict[k]` in `for k in loss_dict:` (or `.keys()`), `v` in
        `for k, v in loss_dict.items():`, where `loss = loss_dict["loss"]` is backpropagated
        (`_loss_backpropagated_here`) or an entry is directly (`loss_dict["loss"].backward()`). Going over
        every entry, the loop reaches the one with the graph (SLIP's metrics loop)."""
        inner = self._ctx.index.enclosing(at, cst.For)
        container = _iterated_entry(expr, inner)
        if container is None:
            return False
        if self.element_backpropagated(container, at):
            return True
        if container.isidentifier() and self._returned_losses(cst.Name(container), inner):
            return True  # `loss_each = self.train_one_batch(x)`, which returns a dict of losses
        named, summed = container in self._entries_named, container in self._values_read
        if not (named or summed) or not self._may_read_into_backward:
            return False  # no `loss = loss_dict[...]` nor `loss_dict.values()`: no need to find the loop
        loop = self.backpropagating_loop(at)
        if loop is None:
            return False
        if summed and self._summed_into_backward(container, loop, at):
            return True
        for node in statements_before(loop.node.body, at):
            if (
                type(node) is cst.Assign
                and len(node.targets) == 1
                and type(node.targets[0].target) is cst.Name
                and type(node.value) is cst.Subscript
                and dotted_name(node.value.value) == container
                and self._loss_backpropagated_here(node.targets[0].target, at)
            ):
                return True
        return False

    @cached_property
    def _values_read(self) -> frozenset[str]:
        """The containers whose values the file reads (`loss_dict.values()`): the only ones
        `_summed_into_backward` can find summed into a loss."""
        return frozenset(
            dotted_name(node.func.value) or ""
            for node in self._ctx.index.nodes(cst.Call)
            if type(node.func) is cst.Attribute and node.func.attr.value in _DICT_VIEWS and not node.args
        )

    def _summed_into_backward(self, container: str, loop: Loop, at: cst.CSTNode) -> bool:
        """Whether this iteration, before `at`, sums every value of the dict `container` into a name it then
        backpropagates (`losses = sum(loss for loss in loss_dict.values())`, `losses.backward()`: the
        torchvision detection recipe), or binds `container` to a dict holding such a sum or the entries of
        such a dict (`losses = {"loss": total, **parts}`): each entry is a part of the loss, graph
        attached."""
        before = statements_before(loop.node.body, at)
        summed: set[str] = set()  # the dicts summed so far into a name later backpropagated
        holds = False
        for position, node in enumerate(before):
            if type(node) is cst.AugAssign or (type(node) is cst.Assign and len(node.targets) != 1):
                if writes(node, container):
                    holds = False  # `loss_dict[k] = v.item()`: an entry replaced, perhaps by a number
                    summed.discard(container)
                continue
            if type(node) is not cst.Assign:
                continue
            target = node.targets[0].target
            if dotted_name(target) == container:
                holds = self._dict_of_parts(node.value, summed, at)
                summed.discard(container)  # a new dict
            elif type(target) is cst.Subscript and dotted_name(target.value) == container:
                holds = False
                summed.discard(container)
            source = summed_values(node.value)
            if source is not None and type(target) is cst.Name:
                if self._read_into_backward(target, loop, before[position + 1 :]):
                    summed.add(source)
        return holds or container in summed

    def _dict_of_parts(self, value: cst.BaseExpression, summed: set[str], at: cst.CSTNode) -> bool:
        """`{"loss": total, **parts}`: a dict display one entry of which is a loss name this iteration
        backpropagates, or which unpacks a dict summed into one."""
        if type(value) is not cst.Dict:
            return False
        for element in value.elements:
            if isinstance(element, cst.StarredDictElement):
                if dotted_name(element.value) in summed:
                    return True
            elif type(element.value) is cst.Name and self._loss_backpropagated_here(element.value, at):
                return True
        return False

    def backpropagating_loop(self, node: cst.CSTNode) -> Loop | None:
        """The innermost loop around `node`, in its function, one iteration of which backpropagates
        (`backpropagates`): the loop itself, or the training loop around an inner loop over the
        iteration's own values (`for k in loss_dict: meters[k].update(loss_dict[k])`). An inner loop that
        runs a model of its own (a validation pass inside the epoch) is no part of the training step:
        None."""
        loops = self._ctx.loops
        function = self._ctx.enclosing_function(node)
        loop = loops.enclosing_loop(node)
        while loop is not None and self._ctx.enclosing_function(loop.node) is function:
            if isinstance(loop.node, (cst.For, cst.While)) and self.backpropagates(loop):
                return loop
            if loop.of_kind(EventKind.FORWARD, own=False):
                return None
            loop = loops.enclosing_loop(loop.node)
        return None

    def _returned_losses(self, expr: cst.BaseExpression, at: cst.CSTNode) -> bool:
        """Whether a name read at `at` holds, in this iteration, what a project method returns as losses
        with their graph (`losses = trainer.train_step(x)`, where `train_step` backpropagates
        `losses.total_loss` and returns `losses`), or a part unpacked from it (`rpn, roi, total = losses`).
        The method is found as `summaries.summary_of_call` finds it (`trainer` built from one project
        class in this file)."""
        from nnlint.engine.summaries import summary_of_call

        loop = self._ctx.loops.enclosing_loop(at)
        if not isinstance(expr, cst.Name) or loop is None:
            return False
        name = expr.value
        before = statements_before(loop.node.body, at)
        for _ in range(2):  # the name itself, then the name it was unpacked from
            latest: cst.Assign | None = None
            for node in before:
                if type(node) in (cst.Assign, cst.AnnAssign, cst.AugAssign) and name in assigned_names(node):
                    latest = node if isinstance(node, cst.Assign) and len(node.targets) == 1 else None
            if latest is None:
                return False
            value = latest.value
            if isinstance(value, cst.Call):
                if (self._ctx.callee(value) or "").startswith(vocab.LIBRARY_PREFIXES):
                    return False
                summary = summary_of_call(self._ctx, value)
                return summary is not None and summary.returns is Role.LOSS
            if not isinstance(value, cst.Name) or not isinstance(
                latest.targets[0].target, (cst.Tuple, cst.List)
            ):
                return False
            name = value.value
        return False

    def _model_call(self, call: cst.Call) -> bool:
        """`model(x)` or a method of a model (`self.model.calculate_loss(batch)`), not `model.parameters()`
        nor a method that returns the model itself."""
        roles = self._ctx.roles
        if roles.has(call.func, Role.MODEL):
            return True
        func = call.func
        return (
            isinstance(func, cst.Attribute)
            and roles.has(func.value, Role.MODEL)
            and func.attr.value not in vocab.SELF_RETURNING_METHODS
            and func.attr.value not in vocab.MODULE_METHODS
        )

    def _unpacked_role(self, node: cst.Assign | cst.AnnAssign, name: str) -> Role | None:
        """The role `name` gets from its position in a tuple unpacked from a project call."""
        if not isinstance(node, cst.Assign) or len(node.targets) != 1 or not isinstance(node.value, cst.Call):
            return None
        target = node.targets[0].target
        if not isinstance(target, (cst.Tuple, cst.List)):
            return None
        for position, element in enumerate(target.elements):
            if dotted_name(element.value) == name:
                return self._ctx.roles.element_role(node.value, position)
        return None

    def backpropagates(self, loop: Loop) -> bool:
        """Whether one iteration of a loop backpropagates: a backward of its own or of a helper of this
        file (loop events), or a call of a project function that backpropagates an argument (summaries)."""
        if loop.of_kind(EventKind.BACKWARD):
            return True
        return any(
            self.backpropagating_call(node)
            for node in own_nodes(loop.node.body, nested_loops=False)
            if isinstance(node, cst.Call)
        )

    def backpropagates_inside(self, loop: Loop) -> bool:
        """Whether a loop nested in `loop`'s body backpropagates with recording on: an outer iteration
        that repeats an inner training loop (gflownet's `for j in range(self.ttsr)`, a critic's
        `for _ in range(n_critic)`), whose last graph is still held by the names the inner loop bound when
        the outer iteration reads them."""
        return any(
            event.kind is EventKind.BACKWARD and event.nested > 0 and not event.no_grad
            for event in loop.events
        )

    def backpropagating_call(self, call: cst.Call) -> bool:
        """Whether a call runs a project function that backpropagates one of the arguments it is given,
        or that runs a training step of its own (`trainer.train_step(x)`: backward and optimizer step)."""
        from nnlint.engine.summaries import Effect, summary_of_call
        from nnlint.engine.training_calls import runs_training_step

        if not call.args or (self._ctx.callee(call) or "").startswith(vocab.LIBRARY_PREFIXES):
            return False
        candidates = call_candidates(self._ctx, call)
        if candidates is not None:
            # `self.step_fn(x)`, one of several methods of the class (not inlined into the loop's events):
            # each of them backpropagates in every call.
            return all(_always_backpropagates(target) for target in candidates)
        summary = summary_of_call(self._ctx, call)
        if summary is None:
            return False
        return bool(summary.passed_with(call, Effect.BACKWARD)) or runs_training_step(
            summary.ctx, summary.function
        )

    def outlives_iteration(self, container: str, at: cst.CSTNode) -> bool:
        """Whether the container `container`, written at `at`, lives across the iterations of the loop
        around `at`: the loop's body never binds it, and its function (or the module) binds it before the
        loop (`losses = {}` above `for batch in loader:`). A container built inside the loop, or one whose
        origin is not visible (a parameter), is not known to outlive anything: no."""
        loop = self._ctx.loops.enclosing_loop(at)
        if loop is None:
            return False
        if any(_binds(node, container) for node in statements_before(loop.node.body, None)):
            return False
        scope = self._ctx.index.enclosing(loop.node, (cst.FunctionDef,)) or self._ctx.module
        return any(_binds(node, container) for node in statements_before(scope, loop.node))

    def started_afresh(self, name: str, at: cst.CSTNode) -> bool:
        """Whether the total or list `name`, added to at statement `at`, is started afresh in every iteration
        of the loop around `at`: a statement directly in the loop's body, before the one holding `at`, binds
        it to a number or an empty container (`loss_list = []` at the top of PPLM's perturbation loop). It
        then holds the graphs of one iteration only, which the next one drops."""
        index = self._ctx.index
        around = index.enclosing(at, (cst.For, cst.While))
        if around is None or not isinstance(around.body, cst.IndentedBlock):  # type: ignore[attr-defined]
            return False
        holding = set(index.ancestors(at)) | {at}
        for statement in around.body.body:  # type: ignore[attr-defined]
            if statement in holding:
                return False
            if type(statement) is not cst.SimpleStatementLine:
                continue
            for small in statement.body:
                if (
                    type(small) is cst.Assign
                    and len(small.targets) == 1
                    and dotted_name(small.targets[0].target) == name
                    and _empty_or_number(small.value)
                ):
                    return True
        return False

    def holds_backpropagated(self, expr: cst.BaseExpression, at: cst.CSTNode) -> bool:
        """Whether `expr`, read at statement `at`, is a container holding the loss tensor the loop around
        `at` backpropagated: `output['loss'].backward()` then `outputs.append(output)`, with no write to
        `output` or `output[...]` in between (which could replace the entry by a detached copy)."""
        name = dotted_name(expr) if isinstance(expr, (cst.Name, cst.Attribute)) else None
        return name is not None and bool(self._entries_backpropagated_before(name, at))

    def backpropagated_entry(self, expr: cst.BaseExpression, at: cst.CSTNode) -> bool:
        """Whether `expr`, read at statement `at`, is the very entry of a container that the loop around
        `at` backpropagated before it, under the same string key and with no write to the container in
        between: `out["loss"].backward()`, then `meter.update(out["loss"])` (LIC-HPCM's training loop).
        Another entry of the same dict (`out["psnr"]`, maybe a number) is not asked about here."""
        key = item_name(expr) if type(expr) is cst.Subscript else None
        if key is None or type(expr.value) not in (cst.Name, cst.Attribute):  # type: ignore[attr-defined]
            return False
        container = dotted_name(expr.value)  # type: ignore[attr-defined]
        return container is not None and any(
            item_name(operand) == key for operand in self._entries_backpropagated_before(container, at)
        )

    def _entries_backpropagated_before(self, name: str, at: cst.CSTNode) -> list[cst.Subscript]:
        """The entries of the container `name` (`output["loss"]`) that the loop around statement `at`
        backpropagates itself before `at`, with no write to `name` or `name[...]` between the backward
        and `at`."""
        around = self._ctx.index.enclosing(at, (cst.For, cst.While))
        if around is None or around not in self._loops_with_backward_calls:
            return []  # the backward call must be in the loop's text: told before its events are asked
        loop = self._ctx.loops.loop(around)
        found: list[cst.Subscript] = []
        before: list[cst.CSTNode] | None = None
        for event in loop.own_events:
            if event.kind is not EventKind.BACKWARD or event.via or not isinstance(event.node, cst.Call):
                continue
            operand = self._ctx.loops.backward_operand(event.node)
            if not isinstance(operand, cst.Subscript) or dotted_name(operand.value) != name:
                continue
            if before is None:
                before = statements_before(loop.node.body, at)
            if event.node not in before:
                continue
            after = before[before.index(event.node) :]
            if not any(writes(node, name) for node in after):
                found.append(operand)
        return found

    @cached_property
    def _loops_with_backward_calls(self) -> set[cst.CSTNode]:
        """The loops whose text holds a `.backward(...)`/`.manual_backward(...)` call (at any depth)."""
        index = self._ctx.index
        found: set[cst.CSTNode] = set()
        for call in index.nodes(cst.Call):
            func = call.func
            if type(func) is cst.Attribute and func.attr.value in ("backward", "manual_backward"):
                found.update(
                    node for node in index.ancestors(call) if type(node) is cst.For or type(node) is cst.While
                )
        return found

    def accumulating_method(self, call: cst.Call) -> list[cst.BaseExpression]:
        """The arguments a call adds into persistent state: `meter.update(loss, n)` or
        `self.losses.update([a, b])` where the object is built from a project class (this file or another
        module) whose `update` does `self.sum += val * n` (or `self.values.append(val)`); a list or tuple
        argument counts by its elements. Empty when the method or its class is not visible."""
        from nnlint.engine.summaries import Effect, summary_of_call

        if not isinstance(call.func, cst.Attribute) or not call.args:
            return []
        roles = self._ctx.roles
        if not any(
            roles.is_loss_expr(item)
            or self._loss_backpropagated_here(item, call)
            or self._entry_of_backpropagated(item, call)
            or self.backpropagated_entry(item, call)
            for arg in call.args
            for item in (
                [element.value for element in arg.value.elements]
                if type(arg.value) in (cst.List, cst.Tuple)
                else [arg.value]
            )
        ):
            return []  # no loss is passed: nothing to look up (reading the class may parse another module)
        if (self._ctx.callee(call) or "").startswith(vocab.LIBRARY_PREFIXES):
            return []  # `torch.stack(...)`, `np.mean(...)`: no project method
        summary = summary_of_call(self._ctx, call)
        if summary is None:
            return []
        found: list[cst.BaseExpression] = []
        for value in summary.passed_with(call, Effect.ACCUMULATE):
            if isinstance(value, (cst.List, cst.Tuple)):
                found.extend(element.value for element in value.elements)
            else:
                found.append(value)
        return found

    def attached_names(self, expr: cst.BaseExpression) -> list[str]:
        """The names an expression reads outside detaching calls (`val.item() * n` reads only `n`)."""
        found: list[str] = []
        stack: list[cst.CSTNode] = [expr]
        while stack:
            node = stack.pop()
            if isinstance(node, cst.BaseExpression) and self.is_detached(node):
                continue
            if isinstance(node, (cst.Name, cst.Attribute)):
                found.extend(names_in(node))
                continue
            stack.extend(children(node))
        return found

    def under_no_grad(self, node: cst.CSTNode) -> bool:
        """Whether `node` runs without gradients: inside `with torch.no_grad()` or a decorated function."""
        for ancestor in self._ctx.index.ancestors(node):
            if isinstance(ancestor, cst.With) and self.is_no_grad_block(ancestor):
                return True
            if isinstance(ancestor, cst.FunctionDef) and self.decorated_no_grad(ancestor):
                return True
        return False

    def is_no_grad_block(self, block: cst.With) -> bool:
        """`with torch.no_grad():`, `with torch.inference_mode():` (possibly among other context managers)."""
        return self.no_grad_item(block) is not None

    def no_grad_item(self, block: cst.With) -> cst.Call | None:
        """The `torch.no_grad()` call of a `with` statement (or `torch.set_grad_enabled(False)`), if it has
        one."""
        for item in block.items:
            if isinstance(item.item, cst.Call) and turns_recording_off(self._ctx, item.item):
                return item.item
        return None

    def decorated_no_grad(self, function: cst.FunctionDef) -> bool:
        """`@torch.no_grad()`, `@torch.inference_mode()` (or without the call parentheses)."""
        for decorator in function.decorators:
            expr = decorator.decorator
            if isinstance(expr, cst.Call):
                expr = expr.func
            if self._ctx.qualified_name(expr) in vocab.NO_GRAD_CONTEXTS:
                return True
        return False

    def discarded_result(self, call: cst.Call) -> tuple[str, cst.BaseExpression] | None:
        """An out-of-place operation written as a statement of its own, whose result is thrown away:
        `loss.clamp(0, 10)`, `p.grad.data.clamp(-1, 1)`, `torch.clamp(p.grad, -1, 1)`, `p.grad.mul(s)`.
        It changes nothing (the in-place forms end in `_`). Returns (operation, operand), or None."""
        if type(self._ctx.index.parent(call)) is not cst.Expr:  # type identity: no ABC check (hot)
            return None
        callee = self._ctx.callee(call)
        if callee in vocab.OUT_OF_PLACE_FUNCTIONS:
            positional = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
            return (callee.rsplit(".", 1)[-1], positional[0]) if positional else None
        func = call.func
        if (
            callee is None
            and type(func) is cst.Attribute
            and func.attr.value in vocab.OUT_OF_PLACE_METHODS
            and func.attr.value not in self._methods_defined
        ):
            return func.attr.value, func.value
        return None

    @cached_property
    def _methods_defined(self) -> frozenset[str]:
        """Names of the methods this file's classes define: `grad.mul(op)` on a project object whose `mul`
        works in place (a gradient container's) is no tensor's out-of-place method, so such names are
        unknown here."""
        return frozenset(
            statement.name.value
            for cls in self._ctx.index.nodes(cst.ClassDef)
            if isinstance(cls.body, cst.IndentedBlock)
            for statement in cls.body.body
            if isinstance(statement, cst.FunctionDef)
        )


def _always_backpropagates(target: Resolved) -> bool:
    """Whether one call of a project function runs a `backward()` of its own, under no condition."""
    if not isinstance(target.node, cst.FunctionDef):
        return False
    return any(
        event.kind is EventKind.BACKWARD and not event.conditional and not event.no_grad and event.nested == 0
        for event in target.ctx.loops.function_events(target.node)
    )


def _binds(node: cst.CSTNode, name: str) -> bool:
    """Whether `node` is an assignment (or a `for` loop) that binds `name` itself."""
    kind = type(node)  # concrete libcst classes: identity instead of ABCMeta's isinstance (every node)
    if kind is cst.Assign or kind is cst.AnnAssign or kind is cst.AugAssign:
        return name in assigned_names(node)  # type: ignore[arg-type]
    return kind is cst.For and name in target_names(node.target)  # type: ignore[attr-defined]


def writes(node: cst.CSTNode, name: str) -> bool:
    """Whether `node` rebinds `name` or writes into it (`name = ...`, `name[k] = ...`, `name.update(...)`)."""
    if _binds(node, name):
        return True
    if isinstance(node, (cst.Assign, cst.AugAssign, cst.AnnAssign)):
        targets = [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
        return any(
            isinstance(t, (cst.Subscript, cst.Attribute)) and dotted_name(t.value) == name for t in targets
        )
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        return dotted_name(node.func.value) == name
    return False


_DEFINITION_TYPES = frozenset((cst.FunctionDef, cst.ClassDef, cst.Lambda))
# Arithmetic whose result keeps an operand's graph (`loss_val * batch_size`, `part / n`).
_SCALING = (cst.Multiply, cst.Divide, cst.Add, cst.Subtract)
# Dict methods a sum of every entry goes through (`sum(d.values())`, `sum(v for _, v in d.items())`).
_DICT_VIEWS = ("values", "items")


def _empty_or_number(value: cst.BaseExpression) -> bool:
    """A number, or an empty list, dict or tuple (`[]`, `{}`, `()`, `list()`, `dict()`): a fresh total."""
    if type(value) in (cst.Integer, cst.Float):
        return True
    if type(value) in (cst.List, cst.Tuple):
        return not value.elements  # type: ignore[attr-defined]
    if type(value) is cst.Dict:
        return not value.elements  # type: ignore[attr-defined]
    return type(value) is cst.Call and dotted_name(value.func) in ("list", "dict") and not value.args  # type: ignore[attr-defined]


def statements_before(scope: cst.CSTNode, stop: cst.CSTNode | None) -> list[cst.CSTNode]:
    """Nodes of `scope` that come before `stop` in source order (pre-order), not entering definitions;
    all of them when `stop` is None."""
    found: list[cst.CSTNode] = []
    stack: list[cst.CSTNode] = list(reversed(children(scope)))
    while stack:
        node = stack.pop()
        if node is stop:
            break
        found.append(node)
        if type(node) not in _DEFINITION_TYPES:  # identity: no ABCMeta isinstance per node
            stack.extend(reversed(children(node)))
    return found


def _names_with_nodes(expr: cst.CSTNode) -> list[tuple[str, cst.CSTNode]]:
    """Every dotted name an expression reads (as `names_in`), each with the node that reads it."""
    found: list[tuple[str, cst.CSTNode]] = []
    stack: list[cst.CSTNode] = [expr]
    while stack:
        node = stack.pop()
        name = dotted_name(node) if isinstance(node, (cst.Name, cst.Attribute)) else None
        if name is not None:
            found.append((name, node))
            head = name.split(".", 1)[0]
            if head != name:
                found.append((head, node))
            continue
        stack.extend(children(node))
    return found


def names_in(expr: cst.CSTNode) -> list[str]:
    """Every dotted name an expression reads (`a.b` counts as `a.b` and `a`), at any depth."""
    found: list[str] = []
    stack: list[cst.CSTNode] = [expr]
    while stack:
        node = stack.pop()
        name = dotted_name(node) if isinstance(node, (cst.Name, cst.Attribute)) else None
        if name is not None:
            found.append(name)
            head = name.split(".", 1)[0]
            if head != name:
                found.append(head)
            continue
        stack.extend(children(node))
    return found


def _iterated_entry(expr: cst.BaseExpression, loop: cst.For | None) -> str | None:
    """The dict whose entries the `for` loop `loop` goes over, when `expr` reads the current one:
    `d[k]` in `for k in d:` or `for k in d.keys():`, `v` in `for k, v in d.items():`; else None."""
    if loop is None:
        return None
    iterated = loop.iter
    method = None
    if type(iterated) is cst.Call and type(iterated.func) is cst.Attribute and not iterated.args:
        method, iterated = iterated.func.attr.value, iterated.func.value
    container = dotted_name(iterated)
    if container is None:
        return None
    target = loop.target
    if method == "items":
        if type(target) is cst.Tuple and len(target.elements) == 2 and type(expr) is cst.Name:
            value = target.elements[1].value
            return container if type(value) is cst.Name and value.value == expr.value else None
        return None
    if method not in (None, "keys") or type(target) is not cst.Name or type(expr) is not cst.Subscript:
        return None
    if dotted_name(expr.value) != container or len(expr.slice) != 1:
        return None
    key = expr.slice[0].slice
    return (
        container
        if isinstance(key, cst.Index) and type(key.value) is cst.Name and key.value.value == target.value
        else None
    )


def summed_values(value: cst.BaseExpression) -> str | None:
    """The dict whose values a builtin `sum` adds up, possibly then scaled (`sum(d.values())`,
    `sum(list(d.values())) / len(d)`, `sum(v for v in d.values())`, `sum(l for _, l in d.items())`)."""
    while type(value) is cst.BinaryOperation:
        value = value.left
    if type(value) is not cst.Call or type(value.func) is not cst.Name or value.func.value != "sum":
        return None
    if not value.args:
        return None
    argument = value.args[0].value
    if type(argument) is cst.GeneratorExp and argument.for_in.inner_for_in is None:
        argument = argument.for_in.iter
    if type(argument) is cst.Call and type(argument.func) is cst.Name and argument.func.value == "list":
        argument = argument.args[0].value if len(argument.args) == 1 else argument
    if (
        type(argument) is cst.Call
        and type(argument.func) is cst.Attribute
        and argument.func.attr.value in _DICT_VIEWS
        and not argument.args
    ):
        return dotted_name(argument.func.value)
    return None


def _last_index(item: cst.Subscript) -> bool:
    """`xs[-1]`: the last element of a container."""
    if len(item.slice) != 1 or not isinstance(item.slice[0].slice, cst.Index):
        return False
    index = item.slice[0].slice.value
    return (
        isinstance(index, cst.UnaryOperation)
        and isinstance(index.operator, cst.Minus)
        and isinstance(index.expression, cst.Integer)
        and index.expression.value == "1"
    )
