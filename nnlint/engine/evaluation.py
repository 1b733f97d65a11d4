"""Where a file evaluates a model: evaluation functions, evaluation blocks and evaluation loops.

Evaluation is recognised by what the code says it does, never by guessing: a function named like
`evaluate`, `validate` or `test` that runs a model forward, or one (whatever its name) that runs a model
in a loop over data and never backpropagates or steps; a `torch.no_grad()` block that loops over a
validation or test loader (or is inside such a loop, or feeds the model `x_test`-like inputs); an `if`
block that draws a batch from held-out data (`next(iter(test_loader))`) and runs the model without
training it (a periodic test inside the batch loop). A `no_grad` block alone is not evaluation: EMA
updates, target networks, sampling and weight copies all use one. Methods of model and LightningModule
classes are never evaluation functions here: Lightning toggles the mode around its own hooks, and a
model's methods do not own its mode.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst

from nnlint import vocabulary as vocab
from nnlint.engine.bindings import argument_values, bound_name, own_nodes, target_names
from nnlint.engine.entry import is_test_module, named_like_test
from nnlint.engine.index import children, walk
from nnlint.engine.loops import Event, EventKind, Loop
from nnlint.engine.names import dotted_name, moved_module, words
from nnlint.engine.project import Resolved, paths_mentioning
from nnlint.engine.roles import Role, loads_lightning_checkpoint, loads_pretrained_model
from nnlint.engine.summaries import is_model_class
from nnlint.engine.training_calls import trains

if TYPE_CHECKING:
    from nnlint.engine.context import FileContext
    from nnlint.engine.index import TreeIndex

# Words of a name that holds functions to call (`eval_cbs`, `val_hooks`), whatever else it says.
_CALLABLE_WORDS = frozenset({"cb", "cbs", "callback", "callbacks", "hook", "hooks", "fn", "fns", "funcs"})
# Tensor attributes and methods that read a layout, never a value.
_LAYOUT_READS = frozenset({"shape", "size", "dim", "ndim", "ndimension", "dtype", "device"})
# Events that only a training function has.
_TRAINING_KINDS = (EventKind.BACKWARD, EventKind.STEP, EventKind.ZERO_GRAD, EventKind.TRAIN_STEP)
# Words whose presence in a file's text means it may train (`loss.backward()`, `torch.optim`, `opt.step()`,
# `trainer.fit(...)`, `Trainer(...)`, `accelerator.backward`).
# Helpers that load trained weights into the module they are given: `load_checkpoint(model, path)`,
# `load_weights(net, file)`, `load_pretrained(model, url)`.
_LOADING_HELPER = re.compile(
    r"^load_(?:[a-z0-9]+_)*(?:checkpoint|ckpt|weights|state_dict|pretrained|model)s?$"
)
# Text that says a file may train; `optimizer=None` handed to a checkpoint loader says it does not.
_TRAINING_TEXT = re.compile(r"backward|optim(?!izer=None)|zero_grad|\.step\(|\.fit\(|Trainer|autograd\.grad")


def _bound_names_of_loop(node: cst.For | cst.While) -> set[str]:
    """The plain names a `for` loop's target binds (`for i, (name, module) in ...`)."""
    if not isinstance(node, cst.For):
        return set()
    stack: list[cst.BaseExpression] = [node.target]
    found: set[str] = set()
    while stack:
        target = stack.pop()
        if type(target) is cst.Name:
            found.add(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            stack.extend(element.value for element in target.elements)
    return found


def _bound_names(assign: cst.Assign) -> set[str]:
    """The plain names an assignment binds (`Y, state = ...` binds both)."""
    found: set[str] = set()
    for target in assign.targets:
        value = target.target
        elements = value.elements if isinstance(value, (cst.Tuple, cst.List)) else [value]
        for element in elements:
            inner = element.value if isinstance(element, cst.BaseElement) else element
            if type(inner) is cst.Name:
                found.add(inner.value)
    return found


def _drawn_from(call: cst.Call) -> str | None:
    """What a `next(...)` call draws a batch from: `next(enumerate(test_loader, 0))` -> `test_loader`."""
    value: cst.BaseExpression | None = call.args[0].value if call.args else None
    while isinstance(value, cst.Call) and value.args and dotted_name(value.func) in vocab.BATCH_DRAW_WRAPPERS:
        value = value.args[0].value
    return dotted_name(value) if value is not None else None


def _draws_from_held_out(call: cst.Call) -> bool:
    """A call given held-out data: an argument named like it (`test_dset`, `val_data`), a held-out split
    named by a string to a batch getter (`get_batch('val')`, not `os.path.join(root, "test")`), or
    `next(iter(test_loader))`."""
    callee = dotted_name(call.func)
    if callee in vocab.BATCH_DRAW_CALLS:
        return is_eval_data_name(_drawn_from(call))
    getter = bool(set(words((callee or "").rsplit(".", 1)[-1])) & vocab.BATCH_GETTER_WORDS)
    for arg in call.args:
        value = arg.value
        if isinstance(value, cst.SimpleString):
            if getter and value.evaluated_value in vocab.EVAL_SPLIT_STRINGS:
                return True
        elif is_eval_data_name(dotted_name(value)):
            return True
    return False


def _draws_a_batch(call: cst.Call) -> bool:
    """`get_batch(split)`, `self.next_batch()`, `sample_batch(data)`: a helper named for drawing a batch."""
    name = dotted_name(call.func)
    said = set(words(name.rsplit(".", 1)[-1])) if name else set()
    return bool(said & vocab.BATCH_NOUNS) and bool(said & vocab.BATCH_DRAW_VERBS)


def _steps_by_batch(node: cst.For) -> bool:
    """`for i in range(0, len(X), batch_size):` (through `tqdm(...)`): a loop whose step is named for a
    batch size, so each iteration takes the next batch-sized slice of the data (`X[i : i + batch_size]`):
    a loop over batches of data, whatever the data is called."""
    call = node.iter
    while isinstance(call, cst.Call) and call.args and dotted_name(call.func) in vocab.ITERATION_WRAPPERS:
        call = call.args[0].value
    if not isinstance(call, cst.Call) or dotted_name(call.func) not in vocab.RANGE_FUNCTIONS:
        return False
    if len(call.args) != 3 or any(arg.keyword is not None or arg.star for arg in call.args):
        return False
    step = dotted_name(call.args[2].value)
    return step is not None and bool(set(words(step.rsplit(".", 1)[-1])) & vocab.BATCH_SIZE_WORDS)


def _over_strings(node: cst.For | cst.While) -> bool:
    """`for split in ['train', 'val']:`: a loop over a literal sequence of strings."""
    values = node.iter if isinstance(node, cst.For) else None
    return (
        isinstance(values, (cst.List, cst.Tuple))
        and bool(values.elements)
        and all(isinstance(element.value, cst.SimpleString) for element in values.elements)
    )


def _names_in(value: cst.BaseExpression) -> list[cst.Name]:
    """The plain names an expression reads (`ConcatDataset([ds, aug])` reads `ConcatDataset`, `ds`, `aug`);
    attribute names and keywords are no reads of a binding."""
    found: list[cst.Name] = []
    stack: list[cst.CSTNode] = [value]
    while stack:
        node = stack.pop()
        if type(node) is cst.Name:
            found.append(node)
        elif type(node) is cst.Attribute:
            stack.append(node.value)  # `x.y`: `x` is read, `y` is no name
        elif type(node) is cst.Arg:
            stack.append(node.value)  # `f(k=v)`: `v` is read, the keyword is no name
        elif not isinstance(node, (cst.Lambda, cst.FunctionDef)):
            stack.extend(children(node))
    return found


def _bound_by_assignment(name: cst.Name, parent: cst.CSTNode | None, index: TreeIndex) -> bool:
    """Whether `name` is (part of) an assignment's target, `y` in `y, _ = m(a)`: bound, not read."""
    node: cst.CSTNode | None = name
    while isinstance(parent, (cst.Element, cst.StarredElement, cst.Tuple, cst.List)):
        node, parent = parent, index.parent(parent)
    return isinstance(parent, cst.AssignTarget) and node is parent.target


def _calls_len(call: cst.CSTNode | None) -> bool:
    """`len(x)`: a size read."""
    return isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and call.func.value == "len"


def is_eval_data_name(name: str | None) -> bool:
    """Whether a dotted name looks like held-out data: `val_loader`, `testloader`, `X_test`, `dev_set`."""
    if not name:
        return False
    named = words(name.rsplit(".", 1)[-1])
    if any(word in _CALLABLE_WORDS for word in named):
        return False  # `eval_cbs`, `val_hooks`: functions to call, not data
    for word in named:
        if word in vocab.EVAL_DATA_WORDS:
            return True
        if (
            word.startswith(vocab.EVAL_DATA_PREFIXES)
            and word.endswith(vocab.EVAL_DATA_SUFFIXES)
            and not word.startswith("value")
        ):
            return True
    return False


def _held_out_operand(expr: cst.BaseExpression) -> bool:
    """Whether a forward's argument is held-out data: a held-out name (`x_val`), a slice of one
    (`X_test[i:i + 64]`), or data picked by held-out indices (`X[val_idx]`, k-fold's validation fold)."""
    while isinstance(expr, cst.Subscript):
        for element in expr.slice:
            if isinstance(element.slice, cst.Index) and is_eval_data_name(dotted_name(element.slice.value)):
                return True
        expr = expr.value
    return is_eval_data_name(dotted_name(expr))


@dataclass(frozen=True)
class EvalRegion:
    """A function, `no_grad` block, loop over held-out data or `if` block drawing a held-out batch that
    evaluates; `events` are those of one run of it, in order."""

    node: cst.FunctionDef | cst.With | cst.For | cst.While | cst.If
    events: tuple[Event, ...]
    # For a loop that evaluates only when its function is called with a training flag false: those calls.
    calls: tuple[cst.Call, ...] = ()
    # A generation method of an object holding its networks (`generation_methods`): judged only for the
    # `self.<attr>` networks that are in training mode whenever they exist, whoever calls the method.
    generation: bool = False
    # An inference method of a model class (`inference_methods`): judged by the mode its callers leave.
    inference: bool = False

    @property
    def forwards(self) -> list[Event]:
        return [event for event in self.events if event.kind is EventKind.FORWARD]


class Evaluation:
    """Evaluation functions, regions and loops of one file."""

    def __init__(self, ctx: FileContext) -> None:
        self._ctx = ctx
        # In pytest modules `test*` functions are tests, not evaluation, whatever else their name says.
        self._test_words = not is_test_module(ctx.path, ctx.source)
        # A script named like a test (run by a launcher, or an evaluation script such as test_pcrnet.py):
        # its `test*` functions that assert are tests (`_asserts`).
        self._named_test = self._test_words and named_like_test(ctx.path)
        self._held_out_parameters: dict[tuple[cst.FunctionDef, str], bool] = {}

    def is_eval_function(self, function: cst.FunctionDef) -> bool:
        """Named like evaluation or evaluating by what it does (`evaluates_by_behaviour`), and not a pytest
        test nor a method of a model or LightningModule class."""
        return self._eval_functions.get(function, False)

    @cached_property
    def _eval_functions(self) -> dict[cst.FunctionDef, bool]:
        found: dict[cst.FunctionDef, bool] = {}
        for function in self._ctx.index.nodes(cst.FunctionDef):
            if function.name.value.startswith("test") and (
                not self._test_words or (self._named_test and _asserts(function))
            ):
                continue
            if self._owned_by_local_model(function):
                continue
            named = set(words(function.name.value))
            if named & vocab.EVAL_FUNCTION_WORDS or (self._test_words and named & vocab.TEST_WORDS):
                evaluates = not self._checks_shapes_only(function)
            elif self.evaluates_by_behaviour(function) or self._decodes(function):
                evaluates = True
            else:
                continue
            # Asked last: it reads a base class in another project module; only candidates need it.
            if not self._owned_by_project_model(function):
                found[function] = evaluates
        return found

    def _checks_shapes_only(self, function: cst.FunctionDef) -> bool:
        """A shape smoke test, whatever its name (`def test_all_modules(): y = m1(a); assert y.shape ==
        a.shape`): every forward the function runs is its own, bound to names that are read only for
        their layout (`.shape`, `.size()`, `len(...)`, at least once) or fed to another of those
        forwards. The mode changes no value it looks at: no evaluation."""
        forwards = [
            event for event in self._ctx.loops.function_events(function) if event.kind is EventKind.FORWARD
        ]
        if not forwards or any(event.via for event in forwards):
            return False
        index = self._ctx.index
        outputs: set[str] = set()
        calls = {event.node for event in forwards}
        for event in forwards:
            statement = index.parent(event.node)
            if not isinstance(statement, cst.Assign):
                return False
            outputs.update(name for target in statement.targets for name in target_names(target.target))
        shapes_read = False
        for node in own_nodes(function):
            if not isinstance(node, cst.Name) or node.value not in outputs:
                continue
            parent = index.parent(node)
            if _bound_by_assignment(node, parent, index):
                continue
            if (
                isinstance(parent, cst.Attribute)
                and parent.value is node
                and parent.attr.value in _LAYOUT_READS
            ):
                shapes_read = True
            elif isinstance(parent, cst.Arg) and _calls_len(index.parent(parent)):
                shapes_read = True
            elif not (isinstance(parent, cst.Arg) and index.parent(parent) in calls):
                return False  # a value read; fed to the next module of the same check is no read
        return shapes_read

    def _decodes(self, function: cst.FunctionDef) -> bool:
        """Whatever its name, a function that runs a model step by step on its own outputs and never
        backpropagates, steps or clears gradients: a loop whose forward is given a name the same loop binds
        from that forward's output (`Y, state = model.decoder(dec_X, state)`, `dec_X = Y.argmax(2)`): greedy
        or sampled decoding, which is inference (d2l's `predict_seq2seq`). A decoder trained on its own
        samples (scheduled sampling: `x_t = T.multinomial(final_dist, 1)` fed back, the step losses
        returned to a caller that backpropagates them) is training."""
        candidates = self._forward_loops.get(function)
        if not candidates or not any(self._fed_back(loop) for loop in candidates):
            return False  # asked first: the function's events (helpers inlined) cost more
        if any(event.kind in _TRAINING_KINDS for event in self._ctx.loops.function_events(function)):
            return False
        return not self._ctx.gradients.result_is_loss(function)

    def _derived(self, value: cst.BaseExpression, call: cst.Call, produced: set[str]) -> bool:
        """Whether an expression is the forward's output or computed from it by tensor operations: its
        methods, items and attributes (`Y.argmax(dim=2)`, `logits[:, -1]`), arithmetic, and torch functions
        of it (`torch.multinomial(probs, 1)`, `torch.cat((idx, nxt), 1)`); not what another object makes of
        it (`env.step(action)`: an environment's next observation is no output of the model)."""
        node: cst.BaseExpression = value
        while type(node) in (cst.Attribute, cst.Subscript):
            node = node.value  # type: ignore[attr-defined]
        kind = type(node)
        if node is call:
            return True
        if kind is cst.Name:
            return node.value in produced  # type: ignore[attr-defined]
        if kind is cst.Call:
            func = node.func  # type: ignore[attr-defined]
            if type(func) is cst.Attribute and self._derived(func.value, call, produced):
                return True
            if not (self._ctx.callee(node) or "").startswith("torch."):  # type: ignore[arg-type]
                return False
            return any(self._derived(arg.value, call, produced) for arg in node.args)  # type: ignore[attr-defined]
        if kind is cst.BinaryOperation or kind is cst.UnaryOperation:
            parts = [node.left, node.right] if kind is cst.BinaryOperation else [node.expression]  # type: ignore[attr-defined]
            return any(self._derived(part, call, produced) for part in parts)
        if kind is cst.Tuple or kind is cst.List:
            return any(self._derived(element.value, call, produced) for element in node.elements)  # type: ignore[attr-defined]
        return False

    @cached_property
    def _forward_loops(self) -> dict[cst.FunctionDef, list[Loop]]:
        """The loops of each function that run a model in their iteration (one pass over the loops)."""
        found: dict[cst.FunctionDef, list[Loop]] = {}
        for loop in self._ctx.loops.loops:
            if loop.function is not None and loop.of_kind(EventKind.FORWARD):
                found.setdefault(loop.function, []).append(loop)
        return found

    def _fed_back(self, loop: Loop) -> bool:
        """Whether a forward of the loop's own iteration is given a name that carries its output over from
        the previous iteration: bound from that output (directly, or from a name bound from it) by the
        assignment around the forward or one after it, and not bound before the forward in the iteration
        (`x = f(x)` after `x = next_batch()` starts afresh). The model must be the same in every iteration:
        `for module in self.values(): x = module(x)` runs a chain of layers, not a decoder."""
        index = self._ctx.index
        own = set(own_nodes(loop.node.body, nested_loops=False))
        assigns = [node for node in index.nodes(cst.Assign) if node in own]  # in source order
        rebound = _bound_names_of_loop(loop.node) | {
            name for assign in assigns for name in _bound_names(assign)
        }
        for forward in loop.of_kind(EventKind.FORWARD):
            call = forward.node
            around = index.enclosing(call, cst.Assign)
            if not isinstance(call, cst.Call) or around not in own:
                continue
            if (forward.target or "").split(".")[0] in rebound:
                continue  # a different module each iteration
            given = {dotted_name(arg.value) for arg in call.args} - {None}
            start = assigns.index(around)  # type: ignore[arg-type]
            before = {name for assign in assigns[:start] for name in _bound_names(assign)}
            produced: set[str] = set()
            for assign in assigns[start:]:  # a name bound from the output, or from such a name
                if self._derived(assign.value, call, produced):
                    produced |= _bound_names(assign)
            if (given & produced) - before:
                return True
        return False

    def evaluates_by_behaviour(self, function: cst.FunctionDef) -> bool:
        """Whatever its name, a function that runs a model in a loop over data and never backpropagates,
        steps or clears gradients: `predict(model, loader)`, `extract_features(net, dataloader)`."""
        if function not in self._functions_with_loops:
            return False
        loops = self._ctx.loops
        events = loops.function_events(function)
        if any(event.kind in _TRAINING_KINDS for event in events):
            return False
        # Its outermost loops are all loops over data that run the model: a `main()` with an epoch loop
        # that trains through calls nobody can see into is not an evaluation.
        outer = [
            loop
            for loop in loops.loops
            if loop.function is function
            and not any(isinstance(node, (cst.For, cst.While)) for node in self._between(loop.node, function))
        ]
        # `for split in ['train', 'val']:` around the loops that draw each split's batches (nanoGPT's
        # `estimate_loss`) is no loop over data itself: its inner loops are judged instead.
        while any(_over_strings(loop.node) for loop in outer):
            outer = [inner for loop in outer for inner in self._spread(loop, loops.loops)]
        return (
            bool(outer)
            and all(
                (self.iterates_data(loop) or self._loader_per_item(loop))
                and loop.of_kind(EventKind.FORWARD, own=False)
                for loop in outer
            )
            and not any(self._readied_for_training(function, loop) for loop in outer)
        )

    def _readied_for_training(self, function: cst.FunctionDef, loop: Loop) -> bool:
        """Whether the function switches its model to training last before a loop whose forwards record
        gradients: a training epoch whose backward runs elsewhere (an optimizer hook). A pass under
        `no_grad` trains nothing whatever the mode, so it stays an evaluation (a `train()` before it is
        the bug NN404 reports: eai-vc's linear probe)."""
        if not _switched_to_training_before(function, loop.node):
            return False
        gradients = self._ctx.gradients
        return not (gradients.under_no_grad(loop.node) or gradients.decorated_no_grad(function))

    def _loader_per_item(self, loop: Loop) -> bool:
        """A `for` loop over items (slides, subjects, files) whose own iteration builds a data loader from
        the item it binds and runs the model in a loop over that loader: marugoto's `for slide_tile_path
        in tqdm(slide_tile_paths):` building `dl = DataLoader(ConcatDataset([SlideTileDataset(
        slide_tile_path, ...), ...]))`, then `for batch in tqdm(dl):` feeding the model. Each item's batches
        are data, so the loop is a loop over data; an epoch loop does not build its loader from what it
        binds (`for epoch in range(n):`)."""
        node = loop.node
        if not isinstance(node, cst.For) or "DataLoader" not in self._ctx.source:
            return False  # cheap: no loader is built in this file
        derived = set(_bound_names_of_loop(node))
        loaders: set[str] = set()
        own = set(own_nodes(node.body, nested_loops=False))
        for statement in self._ctx.index.nodes(cst.Assign):  # in source order
            if statement not in own:
                continue
            read = {name.value for name in _names_in(statement.value)}
            if not read & derived:
                continue
            bound = _bound_names(statement)
            derived |= bound
            if isinstance(statement.value, cst.Call) and (self._ctx.callee(statement.value) or "").endswith(
                "DataLoader"
            ):
                loaders |= bound
        if not loaders:
            return False
        return any(
            inner is not loop
            and inner.iterates in loaders
            and node in self._ctx.index.ancestors(inner.node)
            and inner.of_kind(EventKind.FORWARD, own=False)
            for inner in self._ctx.loops.loops
        )

    def _spread(self, loop: Loop, loops: list[Loop]) -> list[Loop]:
        """`loop` itself, or, for a loop over literal strings, the loops directly inside it."""
        if not _over_strings(loop.node):
            return [loop]
        return [
            inner
            for inner in loops
            if inner is not loop
            and loop.node in self._ctx.index.ancestors(inner.node)
            and self._ctx.index.enclosing(inner.node, (cst.For, cst.While)) is loop.node
        ]

    def _between(self, node: cst.CSTNode, function: cst.FunctionDef) -> list[cst.CSTNode]:
        """The ancestors of `node` inside `function`."""
        found: list[cst.CSTNode] = []
        for ancestor in self._ctx.index.ancestors(node):
            if ancestor is function:
                break
            found.append(ancestor)
        return found

    @cached_property
    def _functions_with_loops(self) -> set[cst.FunctionDef]:
        """Functions with a `for` loop of their own over something named like data (cheap: no events)."""
        found: set[cst.FunctionDef] = set()
        for loop in self._ctx.index.nodes(cst.For):
            name = dotted_name(loop.iter) if not isinstance(loop.iter, cst.Call) else None
            if isinstance(loop.iter, cst.Call):
                inner = loop.iter
                while isinstance(inner, cst.Call) and inner.args:
                    inner = inner.args[0].value
                name = dotted_name(inner)
            function = self._ctx.enclosing_function(loop)
            if function is not None and ((name and self.names_data(name)) or _steps_by_batch(loop)):
                found.add(function)
        found.update(
            function
            for loop in self._batch_drawing_loops
            if (function := self._ctx.enclosing_function(loop)) is not None
        )
        return found

    @cached_property
    def _batch_drawing_loops(self) -> frozenset[cst.CSTNode]:
        """Loops whose own iteration binds a batch from a batch-drawing helper (`X, Y = get_batch(split)`
        in `for k in range(eval_iters):`): loops over data, whatever they iterate."""
        if "batch(" not in self._ctx.source and "batches(" not in self._ctx.source:
            return frozenset()  # cheap: no batch helper named anywhere
        index = self._ctx.index
        found: set[cst.CSTNode] = set()
        for assign in index.nodes(cst.Assign):
            call = assign.value
            if not isinstance(call, cst.Call) or not _draws_a_batch(call):
                continue
            if (self._ctx.callee(call) or "").startswith(vocab.LIBRARY_PREFIXES):
                continue
            loop = index.enclosing(assign, (cst.For, cst.While, cst.FunctionDef, cst.ClassDef, cst.Lambda))
            if isinstance(loop, (cst.For, cst.While)):
                found.add(loop)
        return frozenset(found)

    def names_data(self, name: str) -> bool:
        """A data loader by its role, or a name that says data (`val_loader`, `X_test`, `batches`,
        `trainloader`: a loader's name written as one word)."""
        if self._ctx.roles.has(name, Role.LOADER) or is_eval_data_name(name):
            return True
        return any(
            word in vocab.LOADER_WORDS or word.endswith("loader") for word in words(name.rsplit(".", 1)[-1])
        )

    def iterates_held_out(self, loop: Loop) -> bool:
        """A loop over held-out data: its iterable is named for it (`val_loader`, `X_test`), or is a
        parameter of its function that every call in this file fills with held-out data
        (`fit_one_epoch(net, ..., gen, gen_val)` looping `for batch in enumerate(genval)`). A parameter some
        call fills with other data (`run_epoch(train_loader)`), or with no call in sight, stays unknown."""
        name = loop.iterates
        if is_eval_data_name(name):
            return True
        if not name or not name.isidentifier() or loop.function is None:
            return False
        key = (loop.function, name)
        if key not in self._held_out_parameters:
            self._held_out_parameters[key] = self._filled_with_held_out(loop.function, name)
        return self._held_out_parameters[key]

    def _filled_with_held_out(self, function: cst.FunctionDef, name: str) -> bool:
        param = next(
            (p for p in (*function.params.params, *function.params.kwonly_params) if p.name.value == name),
            None,
        )
        if param is None or any(
            binding.kind != "parameter" and self._ctx.enclosing_function(binding.node) is function
            for binding in self._ctx.bindings.of(name)
        ):
            return False  # not a parameter, or rebound in the function
        passed = argument_values(self._ctx, function, param)
        return bool(passed) and all(
            value is not param.default and is_eval_data_name(dotted_name(value)) for value, _ in passed
        )

    def iterates_data(self, loop: Loop) -> bool:
        """A loop over batches of data: a data loader, or a name that says data (`val_loader`, `batches`),
        or a loop that draws a batch from a helper each iteration (`X, Y = get_batch(split)`), or one that
        steps over the data by a batch size (`for i in range(0, n, batch_size)`)."""
        return (
            (bool(loop.iterates) and self.names_data(loop.iterates or ""))
            or loop.node in self._batch_drawing_loops
            or (isinstance(loop.node, cst.For) and _steps_by_batch(loop.node))
        )

    def _owned_by_model(self, function: cst.FunctionDef) -> bool:
        """A method of a model or LightningModule class, of this file or through a project base class."""
        return self._owned_by_local_model(function) or self._owned_by_project_model(function)

    def _owned_by_local_model(self, function: cst.FunctionDef) -> bool:
        """A method of a model or LightningModule class of this file: Lightning toggles the mode around its
        hooks, and a model's methods do not own its mode."""
        cls = self._ctx.enclosing_class(function)
        if cls is None or not cls.bases:
            return False
        return self._ctx.roles.is_local_model_class(cls.name.value) or any(
            base.endswith("LightningModule") for base in self._ctx.base_names(cls)
        )

    def _owned_by_project_model(self, function: cst.FunctionDef) -> bool:
        """A method of a class whose base is a model of another project module (`class FCModel(CaptionModel)`,
        CaptionModel an nn.Module)."""
        cls = self._ctx.enclosing_class(function)
        return cls is not None and bool(cls.bases) and is_model_class(Resolved(self._ctx, cls))

    @cached_property
    def eval_function_names(self) -> frozenset[str]:
        return frozenset(function.name.value for function in self._eval_functions)

    def in_eval_function(self, event: Event) -> bool:
        """Whether an event happens inside an evaluation function (directly or through helpers)."""
        if any(name in self.eval_function_names for name in event.via):
            return True
        function = self._ctx.enclosing_function(event.node)
        return function is not None and self.is_eval_function(function)

    @cached_property
    def regions(self) -> list[EvalRegion]:
        """Evaluation functions, and `no_grad` blocks or functions that evaluate, running a forward."""
        found: list[EvalRegion] = []
        loops = self._ctx.loops
        gradients = self._ctx.gradients
        for function in self._ctx.index.nodes(cst.FunctionDef):
            named = self.is_eval_function(function)
            if named or gradients.decorated_no_grad(function):
                region = EvalRegion(function, tuple(loops.function_events(function)))
                if region.forwards and (named or self._evaluates(function, region)):
                    found.append(region)
        for block in self._ctx.index.nodes(cst.With):
            if not gradients.is_no_grad_block(block):
                continue
            function = self._ctx.enclosing_function(block)
            if function is not None and any(region.node is function for region in found):
                continue  # the whole function is the region
            region = EvalRegion(block, tuple(loops.events_of_body(block.body)))
            if region.forwards and self._evaluates(block, region):
                found.append(region)
        for loop in loops.loops:
            # `for x, y in test_loader: out = model(x)` outside any evaluation function or no_grad block.
            if not isinstance(loop.node, cst.For) or not self.iterates_held_out(loop):
                continue
            if any(event.kind in _TRAINING_KINDS for event in loop.events):
                continue
            if any(region.node in self._ctx.index.ancestors(loop.node) for region in found):
                continue
            region = EvalRegion(loop.node, tuple(loop.events))
            if region.forwards:
                found.append(region)
        found.extend(
            EvalRegion(method, tuple(loops.function_events(method)), generation=True)
            for method in self.generation_methods
            if not any(region.node is method for region in found)
        )
        found.extend(
            EvalRegion(method, tuple(loops.function_events(method)), inference=True)
            for method in self.inference_methods
        )
        found.extend(self._drawing_blocks(found))
        found.extend(self._flagged_loops(found))
        found.extend(self._flagged_steps(found))
        found.extend(
            EvalRegion(loop.node, tuple(loop.events))
            for loop in self.script_inference_loops
            if not any(region.node in self._ctx.index.ancestors(loop.node) for region in found)
            # a loop inside an inference `no_grad` block is judged with the block (one finding, at it)
            and not any(
                block in self._ctx.index.ancestors(loop.node) for block in self.script_inference_blocks
            )
        )
        found.extend(
            EvalRegion(block, tuple(loops.events_of_body(block.body)))
            for block in self.script_inference_blocks
            if not any(
                region.node is block or region.node in self._ctx.index.ancestors(block) for region in found
            )
        )
        return found

    @cached_property
    def inference_methods(self) -> list[cst.FunctionDef]:
        """Inference methods of the model classes of this file: a public method other than `forward` that
        runs the model's own forward (`self(x)`, `self.forward(x)`) with gradients off by its own choice
        (`@torch.no_grad()`, a `no_grad` block around it), switches no mode, trains nothing, and that no
        method of its class calls (a helper of `forward` or of a training step runs in its caller's mode):
        LightGCN's `predict(users, items)`, called by an evaluation engine. Not evaluation functions (a
        model's methods do not own its mode): the mode simulation asks who calls them."""
        source = self._ctx.source
        if "no_grad" not in source and "inference_mode" not in source:
            return []  # cheap: nothing in the file turns gradients off
        roles = self._ctx.roles
        found: list[cst.FunctionDef] = []
        for cls in self._ctx.index.nodes(cst.ClassDef):
            if not roles.is_local_model_class(cls.name.value) or any(
                base.endswith("LightningModule") for base in self._ctx.base_names(cls)
            ):
                continue
            body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
            called = {
                call.func.attr.value
                for call in self._ctx.index.nodes(cst.Call)
                if isinstance(call.func, cst.Attribute)
                and dotted_name(call.func.value) == "self"
                and self._ctx.enclosing_class(call) is cls
            }
            for method in body:
                if not isinstance(method, cst.FunctionDef):
                    continue
                name = method.name.value
                if name.startswith("_") or name == "forward" or name in called:
                    continue
                summary = self._ctx.summaries.of(method)
                runs = summary.on_self if summary is not None else None
                if runs is not None and runs.chooses_grad_mode and runs.mode is None:
                    found.append(method)
        return found

    # -- generation methods -----------------------------------------------------------------------

    @cached_property
    def generation_methods(self) -> list[cst.FunctionDef]:
        """Methods named for generation (`sample`, `generate`, `synthesize`) of a class that is no model,
        that run a network the object holds (`self.generator(noise)`) and never backpropagate, step or
        clear gradients, and that no training method of the class calls: a synthesizer's `sample(n)`
        after `fit()` trained its generator (SDGym's CTGAN, TableGAN, MedGAN; the caller is a base class's
        `fit_sample`, anywhere). Not evaluation functions (NN503 does not judge them): the mode simulation
        judges them only for networks that are in training mode whenever they exist."""
        if not any(word in self._ctx.source for word in ("sample", "generat", "synthes")):
            return []  # cheap: no such name in the file
        loops = self._ctx.loops
        found: list[cst.FunctionDef] = []
        for function in self._ctx.index.nodes(cst.FunctionDef):
            if not set(words(function.name.value)) & vocab.GENERATION_WORDS:
                continue  # cheap: the name first
            cls = self._ctx.index.parent(self._ctx.index.parent(function) or function)
            if not isinstance(cls, cst.ClassDef):
                continue
            if self._draws_stored_samples(function):
                continue
            events = loops.function_events(function)
            if any(event.kind in _TRAINING_KINDS for event in events) or not any(
                event.kind is EventKind.FORWARD and (event.target or "").startswith("self.")
                for event in events
            ):
                continue
            # Last: whether the class is a model may read its project base classes.
            if not self._owned_by_model(function) and not self._called_in_training(function, cls):
                found.append(function)
        return found

    def _draws_stored_samples(self, method: cst.FunctionDef) -> bool:
        """Whether a method indexes the object's own storage with indices it draws at random
        (`idxs = np.random.randint(0, self.size, size=n)`, then `self.obses[idxs]`): a replay buffer's
        `sample(batch_size)` handing out a training batch, whatever network it passes the batch through
        (DrQ's augmentation, denisyarats/drq replay_buffer.py), not a synthesizer generating from its
        trained networks."""
        from nnlint.engine.bindings import reaching_value
        from nnlint.engine.randomness import classify

        for node in own_nodes(method):
            if type(node) is not cst.Subscript or not (dotted_name(node.value) or "").startswith("self."):
                continue
            for element in node.slice:
                index = element.slice
                if not isinstance(index, cst.Index) or type(index.value) is not cst.Name:
                    continue
                drawn = reaching_value(self._ctx, index.value.value, node)
                if isinstance(drawn, cst.Call) and classify(self._ctx, drawn).draw is not None:
                    return True
        return False

    def _called_in_training(self, method: cst.FunctionDef, cls: cst.ClassDef) -> bool:
        """Whether a method of `cls` that trains calls `method` (`self.sample_action(obs)` in a rollout
        loop that collects training data): then it is part of training, not generation after it."""
        loops = self._ctx.loops
        for call in self._ctx.index.nodes(cst.Call):
            if loops.helper_called(call) is not method:
                continue
            caller = self._ctx.enclosing_function(call)
            if caller is None or self._ctx.enclosing_class(caller) is not cls:
                return True  # called from elsewhere in the file: unknown, leave it
            if any(event.kind in _TRAINING_KINDS for event in loops.function_events(caller)):
                return True
        return False

    # -- a model's own inference methods ----------------------------------------------------------

    def is_model_inference(self, loop: Loop) -> bool:
        """A `for` loop in a method of a model class (not `forward*`, not a dunder, not a LightningModule's)
        that runs the model itself (`self(x)`, `self.forward(x)`) and takes every output off the graph
        right away (`.data`, `.detach()`, `.numpy()`, `.item()`, `.tolist()`), in a method that never
        trains: the model encoding or predicting a corpus batch by batch (InferSent's `encode`). Nothing
        downstream can backpropagate through such outputs, so the graph each forward records is waste; a
        loop whose outputs stay attached (chunked forwards, sampling) is not judged."""
        function = loop.function
        if function is None:
            return False
        name = function.name.value
        if name.startswith(("forward", "__")) or not self._owned_by_model(function):
            return False
        cls = self._ctx.enclosing_class(function)
        if cls is None or any(base.endswith("LightningModule") for base in self._ctx.base_names(cls)):
            return False
        forwards = loop.of_kind(EventKind.FORWARD, own=False)
        if not forwards:
            return False
        if any(event.kind in _TRAINING_KINDS for event in self._ctx.loops.function_events(function)):
            return False
        if isinstance(loop.node, cst.For) and all(
            event.target == "self" and not event.via and self._taken_off_graph(event.node, loop.node)
            for event in forwards
        ):
            return True
        return self._decodes_off_graph(loop, function, forwards)

    def _decodes_off_graph(self, loop: Loop, function: cst.FunctionDef, forwards: list[Event]) -> bool:
        """A loop of a model's method that decodes step by step through the model's own parts and keeps
        nothing on the graph (DeepPhonemizer's `generate`: `output = self.decoder(trg)`, on through
        `self.fc_out`, `token = output.argmax(2)[-1].item()`, `indices.append(token)`, the next step fed
        `torch.tensor(indices)`; a forward in a method of the model's own, `self.decode(memory, ys)`, is
        judged at that call): what every forward makes, followed through the names and the model's parts it
        flows into, leaves the graph (`.item()`, `.tolist()`, `.detach()`, `.data`), and the
        next step's input is made from the last one's output. Nothing the method returns can carry a
        gradient, so each step's graph is waste. A sampler whose log-probabilities stay attached (kept for
        a REINFORCE loss) is no such loop."""
        calls = {event.site if event.via else event.node for event in forwards}
        if not all(type(call) is cst.Call and _runs_own_part(call) for call in calls):
            return False  # a forward of something the model does not own
        if self._called_in_own_class(function):
            return False  # a helper of `forward` (a scripted generator's `greedy_search`): its caller's mode
        seen: set[str] = set()
        if not all(self._leaves_graph(call, function, seen) for call in calls):
            return False
        if not self._feeds_parts_back(loop, calls):  # type: ignore[arg-type]
            return False
        return not self._run_without_recording_elsewhere(function)

    def _run_without_recording_elsewhere(self, method: cst.FunctionDef) -> bool:
        """Whether the project's other modules call the method (`model.generate(x)`) and every such call
        runs under a grad-mode choice of its caller (`with torch.no_grad():` in generate.py and
        translate.py, wengong-jin/hgraph2graph): the callers decided, and the model's method is no bug.
        Read by text first: a module that calls it and never says `no_grad` or `inference_mode` records."""
        name = method.name.value
        calling = paths_mentioning(self._ctx, f".{name}(")
        if not calling:
            return False
        choosing = set(paths_mentioning(self._ctx, f".{name}(", "no_grad") or ()) | set(
            paths_mentioning(self._ctx, f".{name}(", "inference_mode") or ()
        )
        if any(path not in choosing for path in calling):
            return False  # a caller that never turns recording off
        calls = 0
        for path in calling:
            other = self._ctx.project.read(path)
            if other is None:
                return False
            for call in other.index.nodes(cst.Call):
                if type(call.func) is cst.Attribute and call.func.attr.value == name:
                    if not other.grad_mode.managed(call):
                        return False
                    calls += 1
        return calls > 0

    def _called_in_own_class(self, method: cst.FunctionDef) -> bool:
        """Whether a method of the method's own class calls it (`self.greedy_search(...)` in `forward`)."""
        cls = self._ctx.enclosing_class(method)
        name = method.name.value
        return any(
            isinstance(call.func, cst.Attribute)
            and call.func.attr.value == name
            and dotted_name(call.func.value) == "self"
            and self._ctx.enclosing_class(call) is cls
            for call in self._ctx.index.nodes(cst.Call)
        )

    def _leaves_graph(self, node: cst.CSTNode, function: cst.FunctionDef, seen: set[str]) -> bool:
        """Whether the value `node` computes leaves the graph before the function lets it go: a chain of
        tensor methods and items that ends in a dropping one (`out.argmax(2)[-1].item()`), an argument
        of one of the model's parts (`self.fc_out(out)`) or of a torch function whose result does, or a
        name bound to it whose every read in the function does. Anything else (returned, appended,
        compared, stored on an attribute) may keep it."""
        index = self._ctx.index
        parent = index.parent(node)
        while type(parent) in (cst.Attribute, cst.Subscript, cst.Call):
            if type(parent) is cst.Attribute and parent.attr.value == "data":  # type: ignore[attr-defined]
                return True
            if type(parent) is cst.Call:
                if type(node) is not cst.Attribute:
                    return False
                if node.attr.value in vocab.GRAPH_DROPPING_METHODS | vocab.INDEX_METHODS:  # type: ignore[attr-defined]
                    return True
            node, parent = parent, index.parent(parent)
        if type(parent) is cst.Arg:
            call = index.parent(parent)
            if type(call) is not cst.Call or parent.keyword is not None and parent.keyword is node:
                return False
            callee = self._ctx.callee(call) or ""
            if callee.startswith("torch.") and callee.rsplit(".", 1)[-1] in vocab.INDEX_METHODS:
                return True
            if callee.startswith("torch.autograd."):
                return False  # gradients taken of it: the graph is what the loop wants
            if _runs_own_part(call) or callee.startswith("torch."):
                return self._leaves_graph(call, function, seen)
            return False
        if type(parent) is not cst.Assign or parent.value is not node:
            return False
        names = [name for target in parent.targets for name in target_names(target.target)]
        if not names or any("." in name for name in names):
            return False  # stored on an object: it outlives the function
        for name in names:
            if name in seen:
                continue
            seen.add(name)
            for mention in self._ctx.bindings.mentions(name):
                if self._ctx.enclosing_function(mention) is not function or not _reads_value(index, mention):
                    continue
                if not self._leaves_graph(mention, function, seen):
                    return False
        return True

    def _feeds_parts_back(self, loop: Loop, forwards: set[cst.CSTNode]) -> bool:
        """Whether a forward of the loop (`self.pos_decoder(output)`) is given what an earlier iteration
        made from a forward's output (`output = self.decoder(torch.tensor(indices))` after
        `indices.append(token)`): two passes over the iteration's statements, the first marking the names
        bound or grown (`append`, `extend`, `+=`) from the forwards' outputs or from marked names, the
        second asking whether a forward reads a marked name that nothing rebound from elsewhere first."""
        statements = _statements_in_order(loop.node.body)
        carried: set[str] = set()
        for second in (False, True):
            marked = set(carried)
            if second:
                marked -= _bound_names_of_loop(loop.node)
            for statement in statements:
                runs = [node for node in walk(statement) if node in forwards]
                if second and any(
                    _plain_names(arg.value) & marked
                    for call in runs
                    for arg in call.args  # type: ignore[attr-defined]
                ):
                    return True
                target, value = _binding_of(statement)
                if target is None:
                    continue
                if (not second and runs) or _plain_names(value) & marked:
                    marked.update(target)
                elif isinstance(statement, cst.Assign):
                    marked.difference_update(target)
            carried = marked
        return False

    def _taken_off_graph(self, call: cst.CSTNode, loop: cst.CSTNode) -> bool:
        """Whether a forward's output leaves the graph at once: the chain around the call ends in a
        dropping operation (`self.forward(x).data.cpu().numpy()`), or the call is bound to a name that the
        loop only reads that way (`out = self(x)`, then `outs.append(out.detach())`)."""
        index = self._ctx.index
        node = call
        parent = index.parent(node)
        while isinstance(parent, (cst.Attribute, cst.Subscript, cst.Call)):
            if isinstance(parent, cst.Attribute) and parent.attr.value == "data":
                return True
            if isinstance(parent, cst.Call) and isinstance(node, cst.Attribute):
                if node.attr.value in vocab.GRAPH_DROPPING_METHODS:
                    return True
            elif isinstance(parent, cst.Call):
                break  # the output passed as an argument
            node, parent = parent, index.parent(parent)
        target = bound_name(self._ctx, node)
        if target is None:
            return False
        reads = [
            use
            for use in index.nodes(cst.Name)
            if use.value == target.value and loop in index.ancestors(use) and use is not target
        ]
        return bool(reads) and all(self._taken_off_graph(use, loop) for use in reads)

    # -- inference scripts -------------------------------------------------------------------------

    def is_script_inference(self, loop: Loop) -> bool:
        """Whether `loop` is an inference loop of a script (see `script_inference_loops`)."""
        return loop in self.script_inference_loops

    @cached_property
    def script_inference_loops(self) -> list[Loop]:
        """In a file that never trains (`never_trains`), the outermost loops at module level or in a
        module-level function (`main()`, `detect()`) that run a model the same scope readied for inference
        (`_readied`) and use its output: a test, demo or inference script classifying frames or detecting on
        a data set. Whatever they iterate (a loader, image paths, a plain list of feature tensors) and
        whatever mode the code set, running a model there is inference, and the mode and grad mode it runs
        in are the script's choice. pytest modules are left out (a test runs a model to check it, not to
        infer)."""
        if not self._may_infer:
            return []
        candidates = [
            loop
            for loop in self._ctx.loops.loops
            if self._script_scope(loop.function)
            and self._outermost(loop)
            and any(
                self.output_used(event) and self._readied(loop.function, event)
                for event in loop.of_kind(EventKind.FORWARD, own=False)
            )
        ]
        return candidates if candidates and self.never_trains else []

    @cached_property
    def script_inference_blocks(self) -> list[cst.With]:
        """In a file that never trains, the `torch.no_grad()` blocks outside any loop, at module level or in a
        module-level function, that run a model the same scope readied for inference and use its output:
        one prediction of a predict or demo script (`model.load_state_dict(...)`, then `with
        torch.no_grad(): output = model(x)`). The block is the script saying "this is inference"."""
        if not self._may_infer or "no_grad" not in self._ctx.source:
            return []
        gradients = self._ctx.gradients
        loops = self._ctx.loops
        candidates = [
            block
            for block in self._ctx.index.nodes(cst.With)
            if gradients.is_no_grad_block(block)
            and self._script_scope(self._ctx.enclosing_function(block))
            and loops.enclosing_loop(block) is None
            and any(
                self.output_used(event) and self._readied(self._ctx.enclosing_function(block), event)
                for event in loops.events_of_body(block.body)
                if event.kind is EventKind.FORWARD
            )
        ]
        return candidates if candidates and self.never_trains else []

    @cached_property
    def _may_infer(self) -> bool:
        """Cheap: not a pytest module, and nothing in the file's text says it may train."""
        return self._test_words and not _TRAINING_TEXT.search(self._ctx.source)

    def _script_scope(self, function: cst.FunctionDef | None) -> bool:
        """The module itself or a module-level function (`main()`): where a script does its work."""
        return function is None or self._ctx.index.parent(function) is self._ctx.module

    def _readied(self, function: cst.FunctionDef | None, forward: Event) -> bool:
        """Whether the scope a forward runs in (`function`, or the module) readies its model for inference:
        it sets the model to a mode (`model.eval()`, or `model.train()` by mistake) or loads trained
        weights into it (`model.load_state_dict(...)`). Either says the model is one the script loaded to
        run, not a parameter-free helper module or a stress test's toy module."""
        from nnlint.engine.modes import model_key

        model = model_key(forward.target)
        if model is None:
            return False
        loops = self._ctx.loops
        scope = (
            loops.function_events(function)
            if function is not None
            else loops.events_of_body(self._ctx.module)
        )
        toggles = (EventKind.EVAL, EventKind.TRAIN)
        if any(event.kind in toggles and model_key(event.target) == model for event in scope):
            return True
        if _inference_method_call(forward.site):
            return True
        return self.loads_weights(function, model) or self.built_mode_dependent(model, forward)

    def loads_weights(self, function: cst.FunctionDef | None, model: str) -> bool:
        """Whether the scope (a function, or None for the module) loads trained weights into `model`."""
        return model in self._weights_loaded.get(function, ())

    def built_mode_dependent(self, model: str, forward: Event) -> bool:
        """Whether the scope builds the model it runs from a class with dropout or BatchNorm (`net = Net()`,
        then `net = net.to(device)`): a network the script made to run, whose mode matters."""
        from nnlint.engine.bindings import reaching_value, resolve_call
        from nnlint.engine.modes import mode_dependent_class

        at: cst.CSTNode = forward.node
        name = model
        for _ in range(4):
            value = reaching_value(self._ctx, name, at)
            value = moved_module(value)  # `Net().to(device)`, `net.cuda()`
            if isinstance(value, cst.Name):
                at, name = value, value.value  # `net = net.to(device)`: the binding before
                continue
            if not isinstance(value, cst.Call):
                return False
            resolved = resolve_call(self._ctx, value)
            return resolved is not None and mode_dependent_class(resolved)
        return False

    @cached_property
    def _weights_loaded(self) -> dict[cst.FunctionDef | None, frozenset[str]]:
        """The models each scope (a function, or None for the module) loads a state dict into:
        `model.load_state_dict(torch.load(path))`, or a loading helper given the model
        (`load_checkpoint(net=net, optimizer=None, filename=path)`, timm's `load_checkpoint(model, path)`),
        or binds from a pretrained checkpoint (`model = AutoModel.from_pretrained(name).to(device)`: elk's
        hidden-state extraction; `model = Model.load_from_checkpoint(path)`, Lightning's), wherever in the
        scope (under an `if`, too)."""
        from nnlint.engine.modes import model_key

        if "load_" not in self._ctx.source and "from_pretrained" not in self._ctx.source:
            return {}
        found: dict[cst.FunctionDef | None, set[str]] = {}
        for call in self._ctx.index.nodes(cst.Call):
            func = call.func
            if isinstance(func, cst.Attribute) and func.attr.value == "load_state_dict":
                loaded = [func.value]
            elif loads_pretrained_model(call) or loads_lightning_checkpoint(call):
                loaded = self._bound_from(call)
            elif _LOADING_HELPER.match((dotted_name(func) or "").rsplit(".", 1)[-1]):
                loaded = [arg.value for arg in call.args]  # `load_checkpoint(net=net, filename=path)`
            else:
                continue
            for value in loaded:
                model = model_key(dotted_name(value))
                if model is not None:
                    found.setdefault(self._ctx.enclosing_function(call), set()).add(model)
        return {scope: frozenset(models) for scope, models in found.items()}

    def _bound_from(self, call: cst.Call) -> list[cst.BaseExpression]:
        """The name a call's result is bound to, through methods that return their model
        (`model = AutoModel.from_pretrained(name).to(device)` binds `model`); none for any other use."""
        node: cst.CSTNode = call
        parent = self._ctx.index.parent(node)
        while (
            type(parent) is cst.Attribute
            and parent.attr.value in vocab.SELF_RETURNING_METHODS
            and type(self._ctx.index.parent(parent)) is cst.Call
        ):
            node = self._ctx.index.parent(parent)  # type: ignore[assignment]
            parent = self._ctx.index.parent(node)
        if type(parent) is cst.Assign and len(parent.targets) == 1:
            return [parent.targets[0].target]
        return []

    def output_used(self, forward: Event) -> bool:
        """A forward whose output the code keeps: `out = model(x)`, not a bare `model(x)` run only for its
        side effects (a pass that recalibrates BatchNorm statistics in training mode on purpose), nor one
        bound only to `_` (`_, _ = network(x)`)."""
        parent = self._ctx.index.parent(forward.node)
        if isinstance(parent, cst.Assign):
            return any(_binds_a_name(target.target) for target in parent.targets)
        return not isinstance(parent, cst.Expr)

    def _outermost(self, loop: Loop) -> bool:
        outer = self._ctx.loops.enclosing_loop(loop.node)
        return outer is None or outer.function is not loop.function

    @cached_property
    def never_trains(self) -> bool:
        """Whether nothing in the file backpropagates, steps or clears gradients, builds an optimizer or a
        trainer, or calls a project helper that runs a training step (`train_one_epoch(model, ...)` in
        engine.py): cheap text checks first, project helpers resolved only when those pass."""
        if _TRAINING_TEXT.search(self._ctx.source):
            return False
        return not any(trains(self._ctx, call) for call in self._ctx.index.nodes(cst.Call))

    def _flagged_loops(self, found: list[EvalRegion]) -> list[EvalRegion]:
        """Loops of an epoch function shared by training and evaluation (`def _epoch(loader, train_model)`
        with the step under `if train_model:`), as run by the calls that pass the flag as False: their
        events without the training step."""
        regions: list[EvalRegion] = []
        index = self._ctx.index
        for loop in self._ctx.loops.loops:
            flagged = self.training_flag(loop)
            if flagged is None or any(region.node is loop.node for region in found):
                continue
            guard, bodies = flagged
            calls = self.calls_evaluating(loop.function, guard)  # type: ignore[arg-type]
            if not calls:
                continue
            events = tuple(
                event
                for event in loop.events
                if not any(ancestor in bodies for ancestor in index.ancestors(event.site))
            )
            region = EvalRegion(loop.node, events, tuple(calls))
            if region.forwards:
                regions.append(region)
        return regions

    def _flagged_steps(self, found: list[EvalRegion]) -> list[EvalRegion]:
        """Per-batch step functions shared by training and evaluation (`step_flag`), as run by the calls
        that pass the literal selecting evaluation from inside a loop (nequip's `for batch in dl_val:
        self.batch_step(data=batch, ..., validation=True)`): their events without the training step."""
        regions: list[EvalRegion] = []
        if not _TRAINING_TEXT.search(self._ctx.source):
            return regions  # cheap: nothing in the file trains, so no step is guarded by a flag
        loops = self._ctx.loops
        # Cheap: only functions with an `if <parameter>:` or `if not <parameter>:` of their own, called
        # somewhere in the file with a literal or a name of that parameter among the arguments, are read.
        candidates: dict[cst.FunctionDef, set[str]] = {}
        for guard in self._ctx.index.nodes(cst.If):
            guarded = _flag_of(guard.test)
            function = self._ctx.enclosing_function(guard) if guarded is not None else None
            if function is not None and guarded.flag in _parameter_names(function):  # type: ignore[union-attr]
                candidates.setdefault(function, set()).add(guarded.flag)  # type: ignore[union-attr]
        for function, flags in candidates.items():
            if any(region.node is function for region in found) or not self._called_with_flag(
                function, flags
            ):
                continue
            flagged = self.step_flag(function)
            if flagged is None:
                continue
            guard, bodies = flagged
            calls = self._calls_selecting(function, guard)
            if not calls:
                continue
            index = self._ctx.index
            events = tuple(
                event
                for event in loops.function_events(function)
                if not any(ancestor in bodies for ancestor in index.ancestors(event.site))
            )
            region = EvalRegion(function, events, tuple(calls))
            if region.forwards:
                regions.append(region)
        return regions

    def _called_with_flag(self, function: cst.FunctionDef, flags: set[str]) -> bool:
        """A cheap gate: the file calls a function of that name with `True`, `False` or one of `flags` as an
        argument (`self.batch_step(..., validation=True)`, `self._run_batch(source, targets, train)`)."""
        wanted = {"True", "False", *flags}
        return any(
            (isinstance(arg.value, cst.Name) and arg.value.value in wanted)
            or isinstance(arg.value, cst.SimpleString)
            for call in self._ctx.grad_mode.call_sites(function)
            for arg in call.args
        )

    def _calls_selecting(self, function: cst.FunctionDef, guard: FlagGuard) -> list[cst.Call]:
        """The calls that run a per-batch step function with its flag set to `literal`, from inside a
        loop: those that pass the literal, and, where the loop's function hands on a flag of its own
        (minGPT-ddp's `_run_epoch(epoch, loader, train)` calling `self._run_batch(source, targets, train)`
        per batch), the calls of that function that pass it the literal (`train=False` for the test
        loader). The mode is judged at those outer calls."""
        found: list[cst.Call] = []
        loops = self._ctx.loops
        summary = self._ctx.summaries.of(function)
        if summary is None:
            return found
        for call in self._calls_of(function):
            if loops.enclosing_loop(call) is None:
                continue  # run once, not per batch
            value = (summary.arguments(call) or {}).get(guard.flag)
            if guard.evaluates(value):
                found.append(call)
                continue
            if not isinstance(value, cst.Name):
                continue
            caller = self._ctx.enclosing_function(call)
            if caller is not None and caller is not function and value.value in _parameter_names(caller):
                handed = FlagGuard(value.value, guard.negated, guard.trains_on)
                found.extend(c for c in self.calls_evaluating(caller, handed) if c not in found)
        return found

    def _drawing_blocks(self, found: list[EvalRegion]) -> list[EvalRegion]:
        """`if i % 10 == 0: x, y = next(iter(test_loader)); out = model(x)`: an `if` block that draws a
        held-out batch and runs the model, with no backward, step or zero_grad, and no other region in or
        around it."""
        blocks: list[EvalRegion] = []
        index = self._ctx.index
        for call in index.nodes(cst.Call):
            if dotted_name(call.func) not in vocab.BATCH_DRAW_CALLS:
                continue
            if not is_eval_data_name(_drawn_from(call)):
                continue
            block = index.enclosing(call, (cst.If, cst.FunctionDef, cst.ClassDef))
            if not isinstance(block, cst.If) or block.body not in index.ancestors(call):
                continue  # not in an `if` block, or in its test or `else:` branch
            if any(region.node is block for region in blocks):
                continue
            if any(
                region.node in index.ancestors(block) or block in index.ancestors(region.node)
                for region in found
            ):
                continue
            events = tuple(self._ctx.loops.events_of_body(block.body))
            region = EvalRegion(block, events)
            if region.forwards and not any(event.kind in _TRAINING_KINDS for event in events):
                blocks.append(region)
        return blocks

    def is_eval_loop(self, loop: Loop, data: str | None = None) -> bool:
        """A loop that evaluates: it runs a forward, no backward, and is in an evaluation function or
        under `no_grad` over held-out data (`data`, when the caller unwrapped it better than
        `loop.iterates`, e.g. out of `islice(val_loader, 5)`)."""
        if loop.of_kind(EventKind.BACKWARD, own=False) or not loop.of_kind(EventKind.FORWARD, own=False):
            return False
        function = loop.function
        if function is not None and self.is_eval_function(function):
            return True
        held_out = is_eval_data_name(data) if data else self.iterates_held_out(loop)
        return held_out and self._ctx.gradients.under_no_grad(loop.node)

    # -- loops that evaluate when a flag says so --------------------------------------------------

    def training_flag(self, loop: Loop) -> tuple[FlagGuard, frozenset[cst.CSTNode]] | None:
        """The parameter of the loop's function under whose `if` every backward, step and zero_grad of the
        loop runs (`if train_model: loss.backward(); optimizer.step()`), with the bodies of those `if`
        statements: one epoch function shared by training and evaluation, which evaluates when called
        with it false."""
        function = loop.function
        if function is None or not loop.of_kind(*_TRAINING_KINDS, own=False):
            return None
        names = _parameter_names(function)
        found = self._guarding_flag(loop.of_kind(*_TRAINING_KINDS, own=False), loop.node, names)
        if found is None or found[0].negated:
            return None  # `if not <flag>:` is read for step functions only (`step_flag`)
        return found

    def step_flag(self, function: cst.FunctionDef) -> tuple[FlagGuard, frozenset[cst.CSTNode]] | None:
        """For a per-batch step function shared by training and evaluation (nequip's `batch_step(self,
        data, n_batches, validation=False)`, which backpropagates and steps only under `if not
        validation:`): the parameter under whose `if` every backward, step and zero_grad of the function
        runs, outside any loop of the function; the literal that selects evaluation (`False` under `if
        flag:`, `True` under `if not flag:`); and the bodies of those `if` statements."""
        names = _parameter_names(function)
        loops = self._ctx.loops
        training = [event for event in loops.function_events(function) if event.kind in _TRAINING_KINDS]
        if not training or any(
            (loop := loops.enclosing_loop(event.site)) is not None and loop.function is function
            for event in training
        ):
            return None  # no training step, or one run per iteration of a loop (`training_flag`)
        return self._guarding_flag(training, function, names)

    def _guarding_flag(
        self, events: list[Event], stop: cst.CSTNode, names: set[str]
    ) -> tuple[FlagGuard, frozenset[cst.CSTNode]] | None:
        """The one parameter (and whether it is negated, `if not flag:`) under whose `if` every event
        runs, below `stop`, with the bodies of those `if` statements; None when some event runs
        unguarded or the guards disagree."""
        flags: set[FlagGuard] = set()
        guards: set[cst.CSTNode] = set()
        for event in events:
            guard = self._flag_guard(event.site, stop, names)
            if guard is None:
                return None
            flags.add(_flag_of(guard.test))  # type: ignore[arg-type]
            guards.add(guard.body)
        if len(flags) != 1:
            return None
        return flags.pop(), frozenset(guards)

    def _flag_guard(self, node: cst.CSTNode, stop: cst.CSTNode, names: set[str]) -> cst.If | None:
        """The `if <parameter>:` or `if not <parameter>:` whose body holds `node`, below `stop`."""
        child = node
        for ancestor in self._ctx.index.ancestors(node):
            if ancestor is stop:
                return None
            if isinstance(ancestor, cst.If) and child is ancestor.body:
                flag = _flag_of(ancestor.test)
                if flag is not None and flag.flag in names:
                    return ancestor
            child = ancestor
        return None

    def calls_evaluating(self, function: cst.FunctionDef, guard: FlagGuard) -> list[cst.Call]:
        """The calls of `function` in this file that pass a value for the guard's parameter that skips
        the training step (`FlagGuard.evaluates`: `train=False`, `mode="valid"`)."""
        summary = self._ctx.summaries.of(function)
        if summary is None:
            return []
        return [
            call
            for call in self._calls_of(function)
            if guard.evaluates((summary.arguments(call) or {}).get(guard.flag))
        ]

    def _calls_of(self, function: cst.FunctionDef) -> list[cst.Call]:
        """The calls in this file that run `function` (a call spelled with its name, `f(...)` or
        `self.f(...)`, that the loop collector resolves to it)."""
        helper_called = self._ctx.loops.helper_called
        return [call for call in self._ctx.grad_mode.call_sites(function) if helper_called(call) is function]

    # -- what makes a no_grad block an evaluation --------------------------------------------------

    def _evaluates(self, node: cst.FunctionDef | cst.With, region: EvalRegion) -> bool:
        """Held-out data in sight: a loop over it inside or around the block, a forward fed with it, or
        (for a `no_grad` block) a batch drawn from it in the block."""
        loops = self._ctx.loops
        if any(self.iterates_held_out(loops.loop(inner)) for inner in self._loops_in(node)):
            return True
        function = node if isinstance(node, cst.FunctionDef) else self._ctx.enclosing_function(node)
        outer = loops.enclosing_loop(node)
        while outer is not None and outer.function is function:
            if self.iterates_held_out(outer):
                return True
            outer = loops.enclosing_loop(outer.node)
        if any(
            isinstance(event.node, cst.Call) and any(_held_out_operand(arg.value) for arg in event.node.args)
            for event in region.forwards
        ):
            return True
        return isinstance(node, cst.With) and self._draws_held_out(node, region)

    def _draws_held_out(self, block: cst.With, region: EvalRegion) -> bool:
        """Whether a `no_grad` block binds a batch drawn from held-out data by some call that is not a
        forward: a project helper given the test set (`x = sample_random_batch(test_dset, 16).to(gpu)`,
        GLCIC's periodic test), a batch getter given the validation split (`xb, yb = get_batch(val_data,
        ...)`, `get_batch('val')`), or `next(iter(test_loader))`. The block then tests the model on it."""
        forwards = {event.node for event in region.forwards}
        for node in own_nodes(block.body):
            if not isinstance(node, cst.Assign):
                continue
            value = node.value
            value = moved_module(value)  # `.to(gpu)`: the same batch
            if isinstance(value, cst.Call) and value not in forwards and _draws_from_held_out(value):
                return True
        return False

    def _loops_in(self, node: cst.FunctionDef | cst.With) -> list[cst.For]:
        index = self._ctx.index
        return [loop for loop in index.nodes(cst.For) if node in index.ancestors(loop)]


def _switched_to_training_before(function: cst.FunctionDef, loop: cst.CSTNode) -> bool:
    """Whether the last mode switch the function makes before `loop` is to training: `self.model.train()`
    at the top of Det3D's `Trainer.train` (whose backward runs in an optimizer hook), or
    `self.actor.train(mode=not eval_mode)` in AgileRL's `_get_logprobs`, the policy forward shared by the
    training loss and the reference pass. A function that readies its model for training is no evaluation,
    however little of the training its own text shows; one that switches to `eval()` last still is."""
    from nnlint.engine.gradflow import statements_before

    last = None
    for node in statements_before(function.body, loop):
        if type(node) is not cst.Call or type(node.func) is not cst.Attribute:
            continue
        method = node.func.attr.value
        if method == "eval" and not node.args:
            last = "eval"
        elif method == "train" and not (
            node.args and isinstance(node.args[0].value, cst.Name) and node.args[0].value.value == "False"
        ):
            last = "train"
    return last == "train"


def _parameter_names(function: cst.FunctionDef) -> set[str]:
    params = function.params
    return {param.name.value for param in (*params.posonly_params, *params.params, *params.kwonly_params)}


@dataclass(frozen=True)
class FlagGuard:
    """The test of an `if` on a parameter that selects a function's training step: `if train:` (`flag`),
    `if not validation:` (`negated`), or a string mode, `if mode == "train":` (`trains_on`: DeepLabCut's
    and fairseq's `run_epoch(..., mode)` called with `mode="valid"`)."""

    flag: str
    negated: bool = False
    trains_on: str | None = None

    def evaluates(self, value: cst.BaseExpression | None) -> bool:
        """Whether a value passed for the parameter makes the test false (the step is skipped): `False`
        for `if flag:`, `True` for `if not flag:`, another string than the mode's for `if mode == ...`."""
        if self.trains_on is not None:
            return isinstance(value, cst.SimpleString) and value.evaluated_value not in (self.trains_on, None)
        return isinstance(value, cst.Name) and value.value == ("True" if self.negated else "False")


def _flag_of(test: cst.BaseExpression) -> FlagGuard | None:
    """`flag`, `not flag`, `flag == "literal"` (either operand order) -> its guard; anything else -> None."""
    if isinstance(test, cst.Name):
        return FlagGuard(test.value)
    if (
        isinstance(test, cst.UnaryOperation)
        and isinstance(test.operator, cst.Not)
        and isinstance(test.expression, cst.Name)
    ):
        return FlagGuard(test.expression.value, negated=True)
    if (
        isinstance(test, cst.Comparison)
        and len(test.comparisons) == 1
        and isinstance(test.comparisons[0].operator, cst.Equal)
    ):
        left, right = test.left, test.comparisons[0].comparator
        if isinstance(left, cst.SimpleString):
            left, right = right, left
        if isinstance(left, cst.Name) and isinstance(right, cst.SimpleString):
            literal = right.evaluated_value
            if isinstance(literal, str):
                return FlagGuard(left.value, trains_on=literal)
    return None


def _inference_method_call(node: cst.CSTNode) -> bool:
    """A forward that calls a method of the model named for inference (`model.inference(label, inst)`,
    `net.infer(x)`, `model.predict(batch)`): the project wrote that method to run a trained model, so a
    script calling it runs one for inference, whoever loaded its weights (pix2pixHD's test.py: the
    wrapper loads them inside `create_model(opt)`)."""
    func = node.func if isinstance(node, cst.Call) else None
    return isinstance(func, cst.Attribute) and bool(set(words(func.attr.value)) & vocab.INFERENCE_WORDS)


def _asserts(function: cst.FunctionDef) -> bool:
    """Whether a function's own body asserts: a `test*` function that checks results (accelerate's
    test_utils/scripts/test_sync.py, run by a launcher, asserts on gradients) is a test, while an
    evaluation script's `test_one_epoch(device, model, test_loader)` only measures."""
    return any(type(node) is cst.Assert for node in own_nodes(function))


def _binds_a_name(target: cst.BaseExpression) -> bool:
    """Whether an assignment target keeps something: any name but `_`, an attribute or a subscript."""
    if isinstance(target, (cst.Tuple, cst.List)):
        return any(_binds_a_name(element.value) for element in target.elements)
    return not (isinstance(target, cst.Name) and target.value == "_")


def _reads_value(index: TreeIndex, name: cst.Name) -> bool:
    """Whether a mention of a name reads its value: not a binding (an assignment's or a loop's target,
    unpacked or not), a parameter, an attribute's field or a keyword of that spelling."""
    node: cst.CSTNode = name
    parent = index.parent(node)
    if type(parent) is cst.Attribute and parent.attr is node:
        return False
    if type(parent) is cst.Arg and parent.keyword is node:
        return False
    if type(parent) is cst.Param:
        return False
    while type(parent) in (cst.Element, cst.StarredElement, cst.Tuple, cst.List):
        node, parent = parent, index.parent(parent)
    if type(parent) is cst.AssignTarget:
        return False
    if type(parent) in (cst.For, cst.CompFor, cst.AnnAssign) and parent.target is node:  # type: ignore[attr-defined]
        return False
    return True


def _statements_in_order(block: cst.BaseSuite) -> list[cst.BaseSmallStatement]:
    """The small statements of a block in source order, those of nested blocks (`if`, `with`, `try`,
    inner loops) in place; nested functions and classes run elsewhere and are left out."""
    found: list[cst.BaseSmallStatement] = []
    body = block.body if isinstance(block, cst.IndentedBlock) else [block]
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine | cst.SimpleStatementSuite):
            found.extend(statement.body)
        elif isinstance(statement, cst.FunctionDef | cst.ClassDef):
            continue
        elif isinstance(statement, cst.BaseCompoundStatement):
            for child in children(statement):
                if isinstance(child, cst.BaseSuite):
                    found.extend(_statements_in_order(child))
                elif isinstance(child, cst.If | cst.Else | cst.ExceptHandler | cst.Finally):
                    found.extend(_nested_statements(child))
    return found


def _nested_statements(clause: cst.CSTNode) -> list[cst.BaseSmallStatement]:
    """The statements of an `elif`/`else`/`except`/`finally` clause (and of the clauses it chains to)."""
    found: list[cst.BaseSmallStatement] = []
    for child in children(clause):
        if isinstance(child, cst.BaseSuite):
            found.extend(_statements_in_order(child))
        elif isinstance(child, cst.If | cst.Else):
            found.extend(_nested_statements(child))
    return found


def _runs_own_part(call: cst.Call) -> bool:
    """`self.decoder(trg)`, `self.fc_out(h)`, `self.decode(memory, ys)`: a call of the object's own parts."""
    return (dotted_name(call.func) or "").split(".")[0] == "self"


def _plain_names(expr: cst.CSTNode) -> set[str]:
    """The variables an expression reads: its plain names, not the fields of attributes (`x.decoder` reads
    `x` only) nor keywords."""
    found: set[str] = set()
    for node in walk(expr):
        if type(node) is cst.Attribute:
            if type(node.value) is cst.Name:
                found.add(node.value.value)
            continue
        for child in children(node):
            if type(child) is cst.Name and not (type(node) is cst.Arg and node.keyword is child):
                found.add(child.value)
    if type(expr) is cst.Name:
        found.add(expr.value)
    return found


def _binding_of(statement: cst.BaseSmallStatement) -> tuple[set[str] | None, cst.CSTNode]:
    """The names a statement binds or grows and the value it uses for them: `x = v`, `x += v`,
    `xs.append(v)` / `xs.extend(v)`; (None, statement) for any other statement."""
    if isinstance(statement, cst.Assign):
        return {name for target in statement.targets for name in target_names(target.target)}, statement.value
    if isinstance(statement, cst.AugAssign | cst.AnnAssign) and statement.value is not None:
        return set(target_names(statement.target)), statement.value
    if isinstance(statement, cst.Expr) and isinstance(statement.value, cst.Call):
        func = statement.value.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("append", "extend"):
            grown = dotted_name(func.value)
            if grown is not None:
                return {grown}, statement.value
    return None, statement
