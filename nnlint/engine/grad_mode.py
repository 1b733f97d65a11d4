"""Whether code runs with autograd recording: the grad mode a statement sees, and who chose it.

`torch.no_grad()` is not the only way to turn recording off. `inference_mode()`, `set_grad_enabled(False)`
(as a context, a decorator, or a plain call that holds until turned back on), a decorator on the
function or on any function that calls it, all do. And some code records on purpose: adversarial
attacks, saliency maps and test-time training call `backward()` or `torch.autograd.grad`, read `.grad`
or set `requires_grad`; the `set_grad_enabled(phase == "train")` idiom leaves the choice to run time.
This module answers "is recording certainly on here, with nobody having decided otherwise?"; anything
managed, or unknowable, counts as off, so rules stay silent.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst

from nnlint import vocabulary as vocab
from nnlint.engine.bindings import method_of, project_bases, resolve_call, resolve_name
from nnlint.engine.evaluation import words
from nnlint.engine.index import children
from nnlint.engine.loops import Event, EventKind, Loop, hands_out_no_grad
from nnlint.engine.names import dotted_name, is_false, keyed_name
from nnlint.engine.project import Resolved, package_modules_mentioning, paths_mentioning
from nnlint.vocabulary import SELF_NO_GRAD_METHODS

if TYPE_CHECKING:
    from nnlint.engine.context import FileContext

# The last part of every grad-mode setter's name (`no_grad`, `set_grad_enabled`).
_SETTER_NAMES = frozenset(name.rsplit(".", 1)[-1] for name in vocab.GRAD_MODE_SETTERS)
# What `GradMode._framework_marks` says a node uses: torch, or only another autograd framework.
_TORCH, _OTHER = 1, 2
# How many callers up a decorator or a `with` around a call is looked for.
_MAX_CALLER_DEPTH = 3
# How many project base classes of a method's class are searched for calls of it (`_managed_by_base_classes`).
_MAX_BASE_CLASSES = 8


class GradMode:
    """Grad-mode facts of one file (`ctx.grad_mode`)."""

    def __init__(self, ctx: FileContext) -> None:
        self._ctx = ctx
        self._project_decorators: dict[cst.CSTNode, bool] = {}

    def managed(self, node: cst.CSTNode, depth: int = 0) -> bool:
        """Whether someone chose the grad mode `node` runs under: a `with` or decorator of a grad-mode
        setter around it, a `set_grad_enabled(...)` call statement in a block around it (its function's
        body, a loop's body, or the module), or the same at any call site of a function around it (up to
        a few callers), or an importing module of such a function that no module of this file calls
        (`_maybe_managed_by_importers`, asked of the callers too: torchtitan's `denoise` runs under
        `generate_image`, which its `@torch.no_grad()` validators call)."""
        index = self._ctx.index
        for ancestor in index.ancestors(node):
            if isinstance(ancestor, cst.With) and any(self._is_setter(item.item) for item in ancestor.items):
                return True
            # A setter statement in any block around it: a function's body, or a module-level epoch loop
            # that calls `torch.set_grad_enabled(False)` before its test loop.
            if isinstance(ancestor, cst.IndentedBlock) and self._sets_mode_in(ancestor):
                return True
            if isinstance(ancestor, cst.FunctionDef):
                if any(
                    self._sets_mode_as_decorator(decorator.decorator) for decorator in ancestor.decorators
                ):
                    return True
                if depth < _MAX_CALLER_DEPTH and any(
                    self.managed(call, depth + 1) for call in self.call_sites(ancestor)
                ):
                    return True
                if depth < _MAX_CALLER_DEPTH and self._managed_by_base_classes(ancestor, depth):
                    return True  # a template method: the base class's loop calls it under `no_grad`
                if self._maybe_managed_by_importers(ancestor, importing=depth > 0):
                    return True  # a caller's importers too: `generate_image` runs the sampler
        return self._module_sets_mode

    def _chosen_within(self, node: cst.CSTNode, stop: cst.CSTNode) -> bool:
        """Whether a `with` of a grad-mode setter, or a setter statement in a block, lies around `node`
        below `stop` (the part of `managed` between a forward and its loop)."""
        for ancestor in self._ctx.index.ancestors(node):
            if ancestor is stop:
                return False
            if isinstance(ancestor, cst.With) and any(self._is_setter(item.item) for item in ancestor.items):
                return True
            if isinstance(ancestor, cst.IndentedBlock) and self._sets_mode_in(ancestor):
                return True
        return False

    def _managed_by_base_classes(self, function: cst.FunctionDef, depth: int) -> bool:
        """A method of a class that a project base class (in this or another module, any generation up)
        calls on `self` under a grad-mode choice: sr-gan's `Experiment.train` runs `with torch.no_grad():
        self.validation_summaries(step)`, and each experiment subclass defines `validation_summaries`,
        whose evaluation loops then run without recording. Only methods this file never calls by name
        are looked up (a call here decides), and a base module is read only when its text says
        `self.<name>(`."""
        ctx = self._ctx
        block = ctx.index.parent(function)
        cls = ctx.index.parent(block) if isinstance(block, cst.IndentedBlock) else None
        if not isinstance(cls, cst.ClassDef) or not cls.bases or self.call_sites(function):
            return False
        spelled = f"self.{function.name.value}("
        seen: set[cst.CSTNode] = {cls}
        pending = project_bases(Resolved(ctx, cls))
        while pending:
            base = pending.pop()
            if base.node in seen or len(seen) > _MAX_BASE_CLASSES:
                continue
            seen.add(base.node)
            pending.extend(project_bases(base))
            if spelled not in base.ctx.source:
                continue
            mode = base.ctx.grad_mode
            for call in mode.call_sites(function):
                func = call.func
                if (
                    type(func) is cst.Attribute
                    and isinstance(func.value, cst.Name)
                    and func.value.value == "self"
                    and base.ctx.index.enclosing(call, cst.ClassDef) is base.node
                    and mode.managed(call, depth + 1)
                ):
                    return True
        return False

    def _maybe_managed_by_importers(self, function: cst.FunctionDef, importing: bool = False) -> bool:
        """The function around an evaluation, module-level and never called in this file, of a package
        another of whose modules calls it and names a grad-mode setter (`with torch.no_grad():
        evaluate(...)` in train.py), or, when none of its package does, of a project another module of
        which does (train.py beside the package): its grad mode may be chosen there, so it is not known
        here. Those modules become dependencies of this file's result. With `importing` (a caller of the
        evaluation, not the evaluation itself, whose name may be as common as `main`), only modules that
        also import its module count, wherever they are."""
        path = self._ctx.real_path
        module_level = self._ctx.index.parent(function) is self._ctx.module
        if path is None or not module_level or self.call_sites(function):
            return False
        called = f"{function.name.value}("
        setters = ("no_grad", "inference_mode", "set_grad_enabled")
        if importing:
            return self._managed_by_importers(function, called, setters)
        callers = package_modules_mentioning(path, (called,))
        self._ctx.project_deps.update(callers)  # a caller that starts to set the mode rechecks this file
        if callers:
            maybe = bool(package_modules_mentioning(path, (called,), setters))
        else:
            maybe = self._managed_by_importers(function, called, setters)
        return maybe and not self._importers_record(function)

    def _importers_record(self, function: cst.FunctionDef) -> bool:
        """Whether the project's modules that import this module-level function call it only with recording
        on, read after the text said "maybe": GraphXAI's graph-classification `test(model, loader)` is
        called at module level by scripts whose text names `no_grad` elsewhere and imports an unrelated
        `graphxai.utils`. Each call spelled with the function's name in an importer (re-exports included,
        `bindings.project_calls`) must resolve to this very function and run unmanaged in its module; a
        call resolved to nothing, or no call found, leaves the answer to the text (unknown: silent)."""
        from nnlint.engine.bindings import project_calls

        calls = project_calls(self._ctx, function)
        if not calls or not all(resolved for _, _, resolved in calls):
            return False
        return not any(module.grad_mode.managed(call) for module, call, _ in calls)

    def _managed_by_importers(self, function: cst.FunctionDef, called: str, setters: tuple[str, ...]) -> bool:
        """Callers outside the package (train.py beside the `mt_dnn/` package whose helper it calls): their
        text calls it, imports its module (`from mt_dnn.inference import`, `import inference`) and names
        a setter."""
        path = self._ctx.real_path
        if path is None or path.stem == "__init__" or function.name.value.startswith("_"):
            return False
        imported = (f"{path.stem} import", f"import {path.stem}")
        return any(
            paths_mentioning(self._ctx, called, spelled, setter) for spelled in imported for setter in setters
        )

    def wants_gradients(
        self, node: cst.CSTNode, inputs_only: bool = False, skipping: frozenset[cst.CSTNode] = frozenset()
    ) -> bool:
        """Whether the code under `node` uses gradients on purpose: `backward()`, `torch.autograd.grad`,
        `.grad`, `requires_grad`, `retain_grad`, hooks. With `inputs_only`, only what makes inputs
        require gradients counts (a function that also trains still evaluates without them). Code under
        the `skipping` blocks is left out."""
        methods = {"requires_grad_"} if inputs_only else vocab.GRADIENT_METHODS
        attributes = {"requires_grad"} if inputs_only else vocab.GRADIENT_ATTRIBUTES
        stack: list[cst.CSTNode] = [node]
        while stack:
            current = stack.pop()
            if current in skipping:
                continue
            if isinstance(current, cst.Attribute) and current.attr.value in attributes:
                return True
            # `Variable(x, requires_grad=True)`, `torch.zeros(n, requires_grad=True)`: an input made to
            # require gradients, as `x.requires_grad = True` does (invertible-resnet's exact-trace loop).
            if type(current) is cst.Arg and _asks_requires_grad(current) and "requires_grad" in attributes:
                return True
            if isinstance(current, cst.Call):
                if self._ctx.callee(current) in vocab.GRADIENT_CALLS:
                    return True
                func = current.func
                if isinstance(func, cst.Attribute) and func.attr.value in methods:
                    return True
            stack.extend(children(current))
        return False

    def records_forward(self, loop: Loop, skipping: frozenset[cst.CSTNode] = frozenset()) -> list[Event]:
        """The model forwards of a loop's iteration that certainly record a graph: none under a no-grad
        block or a managed function, in a loop that wants no gradients. Empty when any forward of the
        loop is managed: the author chose a mode for this code. `skipping` are blocks of the loop taken
        as not run (the `if train:` that holds the training step, when the loop runs to evaluate)."""
        index = self._ctx.index
        events = [
            event
            for event in loop.events
            if not skipping or not any(ancestor in skipping for ancestor in index.ancestors(event.site))
        ]
        forwards = [
            event
            for event in events
            if event.kind is EventKind.FORWARD
            and not self._pipeline(event)
            and self._runs_model_itself(event)
            and not self._ctx.modes.parameter_free(event.target or "")
            and not self._runs_module_without_grad(event)
        ]
        if not forwards or any(event.kind is EventKind.BACKWARD for event in events):
            return []
        if self.other_framework(loop.node):
            return []
        forwards = self._not_chosen_by_helpers(forwards)
        # A `no_grad` block around the loss only (`with torch.no_grad(): loss = focal_loss(pred, y)`,
        # after the forward that records) chooses nothing for the model: the loss module's forwards
        # under it are set aside, not taken as the author's choice of mode for the loop.
        forwards = [event for event in forwards if not (event.no_grad and self._criterion(event))]
        if not forwards:
            return []
        if any(event.no_grad for event in forwards) or self.managed(loop.node):
            return []
        if any(self._output_to_numpy(event.node) for event in forwards):
            return []  # `model(x).cpu().numpy()` raises with recording on: whoever runs it turned it off
        if any(self.managed(event.node) for event in forwards if event.node is not event.site):
            return []
        # A block inside the loop, around a forward, whose grad mode the events cannot tell (`with
        # torch.no_grad():` where `torch` may come from a library's `from m import *`): chosen. What lies
        # above the loop was asked of the loop itself.
        if any(self._chosen_within(event.node, loop.node) for event in forwards if event.node is event.site):
            return []
        helpers = {self._ctx.enclosing_function(event.node) for event in forwards if event.via}
        scopes: list[cst.CSTNode] = [loop.node, *(f for f in helpers if f is not None)]
        if any(self.wants_gradients(scope, skipping=skipping) for scope in scopes):
            return []
        if loop.function is not None and self.wants_gradients(loop.function, inputs_only=True):
            return []
        return forwards

    def other_framework(self, node: cst.CSTNode) -> bool:
        """Whether `node` is code of another autograd framework (TensorFlow, Keras, JAX) in a file that
        imports torch too: the nearest of `node` and the blocks around it, up to its function, that names
        a framework names only the other one (`tf.ones_like`, `tfp.distributions`), and nothing of it
        calls a torch-only tensor method (`.cuda()`, `.detach()`). Its loops run that framework's models
        (transformers' `test_modeling_tf_*.py`, a pipeline's `else:` branch after `if self.framework ==
        "pt":`): no torch graph is recorded. TensorBoard or file helpers of TensorFlow (`tf.summary`)
        name no framework."""
        marks = self._framework_marks
        if not marks:
            return False
        for current in (node, *self._ctx.index.ancestors(node)):
            found = marks.get(id(current))
            if found is not None:
                return found == _OTHER
            if isinstance(current, (cst.FunctionDef, cst.Module)):
                return False
        return False

    @cached_property
    def _framework_marks(self) -> dict[int, int]:
        """For each node holding a use of torch or of another framework, which (`_TORCH` wins over
        `_OTHER`); empty for a file that imports no other framework (a text gate first)."""
        ctx = self._ctx
        source = ctx.source
        if not any(package in source for package in vocab.OTHER_FRAMEWORK_PACKAGES):
            return {}
        aliases = ctx.imports.aliases
        other = {
            local
            for local, qualified in aliases.items()
            if qualified.split(".", 1)[0] in vocab.OTHER_FRAMEWORK_PACKAGES
        }
        if not other:
            return {}
        torch_names = {local for local, qualified in aliases.items() if qualified.split(".", 1)[0] == "torch"}
        index = ctx.index
        marks: dict[int, int] = {}
        for name in index.nodes(cst.Name):
            parent = index.parent(name)
            if isinstance(parent, cst.Attribute) and parent.attr is name:
                called = isinstance(index.parent(parent), cst.Call)
                if called and name.value in vocab.TORCH_ONLY_TENSOR_METHODS:
                    self._mark(marks, name, _TORCH)
                continue
            if name.value in torch_names:
                self._mark(marks, name, _TORCH)
            elif name.value in other and not (
                isinstance(parent, cst.Attribute) and parent.attr.value in vocab.OTHER_FRAMEWORK_UTILITIES
            ):
                self._mark(marks, name, _OTHER)
        return marks

    def _mark(self, marks: dict[int, int], name: cst.Name, kind: int) -> None:
        """Marks `name` and every node above it with `kind` (torch overrides another framework)."""
        parents = self._ctx.index.ancestors(name)
        for current in (name, *parents):
            found = marks.get(id(current))
            if found == _TORCH or found == kind:
                return
            marks[id(current)] = kind

    # -- helpers ---------------------------------------------------------------------------------------

    def _not_chosen_by_helpers(self, forwards: list[Event]) -> list[Event]:
        """The forwards left once those of helpers that chose the grad mode for all of their own forwards
        are set aside. A plotting helper with its own `torch.no_grad()` (ParallelWaveGAN) decided for
        itself, not for the eval step beside it; a helper that turns recording off for some of its
        forwards and not for others keeps them all (the author chose, and the rest stays silent)."""
        by_helper: dict[cst.FunctionDef, list[Event]] = {}
        for event in forwards:
            helper = self._ctx.enclosing_function(event.node) if event.via else None
            if helper is not None:
                by_helper.setdefault(helper, []).append(event)
        chosen = {
            helper
            for helper, events in by_helper.items()
            if all(self.chooses(event.node, helper) for event in events)
        }
        return [event for event in forwards if self._ctx.enclosing_function(event.node) not in chosen]

    def chooses(self, node: cst.CSTNode, helper: cst.FunctionDef) -> bool:
        """Whether `helper` itself sets the grad mode `node` runs under: a grad-mode `with` around it
        inside the helper, a grad-mode decorator, or a `set_grad_enabled(...)` statement in its body."""
        for ancestor in self._ctx.index.ancestors(node):
            if ancestor is helper:
                break
            if isinstance(ancestor, cst.With) and any(self._is_setter(item.item) for item in ancestor.items):
                return True
        return any(self._sets_mode_as_decorator(decorator.decorator) for decorator in helper.decorators) or (
            self._sets_mode_in(helper.body)
        )

    def _runs_model_itself(self, forward: Event) -> bool:
        """Whether a forward event is a call of the model (`model(x)`, `self.net.forward(x)`), not a call
        that is handed the model (it may or may not run it, under whatever mode it likes), and not one of
        the methods that turn recording off themselves (transformers' `generate`). The call is read in the
        names of its own code: a helper's `model.predict_step(x)` runs the model its caller passes as
        `self.model`."""
        node, target = forward.node, forward.own_target
        if not isinstance(node, cst.Call) or target is None:
            return False
        called = keyed_name(node.func)
        if called is None:
            return False
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in SELF_NO_GRAD_METHODS:
            return False
        return called == target or called.startswith(f"{target}.")

    def _runs_module_without_grad(self, forward: Event) -> bool:
        """Whether a forward calls a project module whose `forward` turns recording off itself: its class
        (by an annotation, `Modes.held_class`) runs its network only through `generate`-like methods
        (`summaries.runs_network_without_grad`: chronos-forecasting's pipeline runs `self.model(...)`,
        a `ChronosModel` whose `forward` is `self.model.generate(...)`)."""
        from nnlint.engine.summaries import runs_network_without_grad

        function = self._ctx.enclosing_function(forward.node)
        if function is None or forward.target is None or not isinstance(forward.node, cst.Call):
            return False
        if keyed_name(forward.node.func) != forward.target:
            return False  # `self.model.encode(x)`: another method than the module's forward
        cls = self._ctx.modes.held_class(function, forward.target, declared=True)
        method = method_of(cls, "forward") if cls is not None else None
        return (
            method is not None
            and isinstance(method.node, cst.FunctionDef)
            and runs_network_without_grad(method.ctx, method.node)
        )

    def _output_to_numpy(self, forward: cst.CSTNode) -> bool:
        """Whether a forward's output goes straight to `.numpy()`, through methods that keep it requiring
        grad (`model.forward(users, items).cpu().numpy()`, rdz98/bprmf-pytorch data.py): with recording
        on, `.numpy()` raises, so the code runs under a grad mode chosen elsewhere (its callers'
        `no_grad`). `.detach()`, `.data` or `.argmax()` on the way leave no such proof."""
        parent = self._ctx.index.parent
        node = forward
        while True:
            attribute = parent(node)
            if not isinstance(attribute, cst.Attribute) or attribute.value is not node:
                return False
            call = parent(attribute)
            if not isinstance(call, cst.Call) or call.func is not attribute:
                return False
            if attribute.attr.value == "numpy":
                return True
            if attribute.attr.value not in vocab.NUMPY_GUARDING_METHODS:
                return False
            node = call

    def _criterion(self, forward: Event) -> bool:
        """Whether a forward runs a loss module, not the model (`criterion(pred, y)`, `FocalLoss(...)`)."""
        return forward.target is not None and self._ctx.roles.is_loss_module(forward.target)

    def _pipeline(self, forward: Event) -> bool:
        """A call of an inference pipeline (diffusers' `DiffusionPipeline`, transformers' `pipeline`),
        whose `__call__` turns recording off itself."""
        target = forward.target or ""
        if any(word in ("pipe", "pipeline") for word in words(target.rsplit(".", 1)[-1])):
            return True
        constructor = self._ctx.roles.constructor(target) if target else None
        if constructor is None:
            return False
        callee = self._ctx.callee(constructor) or dotted_name(constructor.func) or ""
        return "pipeline" in callee.lower()

    def _is_setter(self, expr: cst.BaseExpression) -> bool:
        call = expr if isinstance(expr, cst.Call) else None
        if call is not None:
            expr = call.func
        qualified = self._ctx.qualified_name(expr)
        if qualified in vocab.GRAD_MODE_SETTERS:
            return True
        if call is not None and hands_out_no_grad(self._ctx, call, qualified):
            return True  # `with _inference_context(device):`, a project helper returning `torch.no_grad()`
        # `torch.no_grad()` where `torch` may come from a library's `from m import *`: unknown, so managed.
        return (
            isinstance(expr, cst.Attribute)
            and expr.attr.value in _SETTER_NAMES
            and (self._ctx.imports.star_unknown(expr) or self._spelled_without_import(expr))
        )

    def _spelled_without_import(self, expr: cst.Attribute) -> bool:
        """`with torch.no_grad():` in a file that never imports or binds `torch` and has no star import (a
        draft module whose imports live elsewhere): the setter is spelled out, so the author chose the grad
        mode. A file whose star imports are read and leave `torch` out (`__all__`) is known not to mean
        torch's."""
        dotted = dotted_name(expr)
        head = (dotted or "").partition(".")[0]
        imports = self._ctx.imports
        return (
            dotted in vocab.GRAD_MODE_SETTERS
            and not imports.star_modules
            and head not in imports.aliases
            and not self._ctx.bindings.assigned(head)
        )

    def _sets_mode_as_decorator(self, expr: cst.BaseExpression) -> bool:
        """A grad-mode setter used as a decorator, or a project decorator whose definition names one:
        YOLOv5's `@smart_inference_mode()` returns `torch.inference_mode()` or `torch.no_grad()` as the
        decorator. Whatever such a decorator picks, the function's author chose its grad mode."""
        if self._is_setter(expr):
            return True
        call = expr if isinstance(expr, cst.Call) else None
        key = call.func if call is not None else expr
        known = self._project_decorators.get(key)
        if known is None:
            if call is not None:
                target = resolve_call(self._ctx, call)
            elif isinstance(expr, cst.Name):
                target = resolve_name(self._ctx, expr.value, expr)
            else:
                target = None
            known = (
                target is not None
                and isinstance(target.node, cst.FunctionDef)
                and any(name in target.ctx.source for name in _SETTER_NAMES)
                and any(name in target.ctx.module.code_for_node(target.node) for name in _SETTER_NAMES)
            )
            self._project_decorators[key] = known
        return known

    def _sets_mode_in(self, body: cst.CSTNode) -> bool:
        """A plain `torch.set_grad_enabled(...)` call statement directly in a body (not nested defs)."""
        block = body.body if isinstance(body, cst.IndentedBlock) else ()
        for statement in block:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Expr) and self._is_setter(small.value):
                        return True
        return False

    @cached_property
    def _module_sets_mode(self) -> bool:
        """`torch.set_grad_enabled(False)` at module level: an inference script's first line."""
        for statement in self._ctx.module.body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Expr) and self._is_setter(small.value):
                        return True
        return False

    def call_sites(self, function: cst.FunctionDef) -> list[cst.Call]:
        """Calls in this file that may run `function`: by its bare name, or as `x.name(...)`."""
        return self._calls_by_name.get(function.name.value, [])

    @cached_property
    def _calls_by_name(self) -> dict[str, list[cst.Call]]:
        table: dict[str, list[cst.Call]] = {}
        for call in self._ctx.index.nodes(cst.Call):
            name = dotted_name(call.func)
            if name:
                table.setdefault(name.rsplit(".", 1)[-1], []).append(call)
        return table


def _asks_requires_grad(arg: cst.Arg) -> bool:
    """A `requires_grad=` keyword argument whose value is not the literal `False`."""
    return arg.keyword is not None and arg.keyword.value == "requires_grad" and not is_false(arg.value)


def passes_volatile(node: cst.CSTNode | None) -> bool:
    """Whether code under `node` passes `volatile=True` (to `Variable(...)` or a model that builds its
    Variables with it). Before PyTorch 0.4 that turned recording off; since 0.4 it is ignored with a
    warning, so such a loop records like any other (what the fixes of such code replace it with is
    `torch.no_grad()`)."""
    stack: list[cst.CSTNode] = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if (
            isinstance(current, cst.Arg)
            and current.keyword is not None
            and current.keyword.value == "volatile"
            and not (isinstance(current.value, cst.Name) and current.value.value == "False")
        ):
            return True
        stack.extend(children(current))
    return False
