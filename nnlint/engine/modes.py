"""Train and eval mode: which mode a model is in when an evaluation runs, and when training resumes.

`model.eval()` and `model.train()` (also `model.train(False)`, `self.model.eval()`, `self.eval()` inside
a model) are the only things that change a module's mode; `torch.no_grad()` does not. This module
simulates them over the ordered events of the loop analysis (`nnlint.engine.loops`) and answers two
questions for NN404:

- `evaluations_in_training_mode`: an evaluation (`nnlint.engine.evaluation` finds them, by name or by
  behaviour) whose model is certainly in training mode when it starts: the code before it, in the
  enclosing loops (this iteration, then the previous one) and function, trained the model or built it,
  and nothing switched it to eval. When the enclosing function says nothing, the mode at its start is the
  mode at every call of it, so the question moves to the callers (a helper called once per epoch).
- `resumes_in_eval_mode`: a loop that both trains and evaluates a model, where an `eval()` made for an
  evaluation is still in force when the next training step runs the model (over two iterations).

Names are compared as the caller names them: a helper's parameter is the caller's argument (the loop
analysis renames events), `model.module` and `model._orig_mod` are `model`, and a plain local alias
(`model = context.model`) is the name it aliases. Anything not visible answers "unknown": no finding.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst

from nnlint.engine.bindings import (
    assigned_names,
    attribute_bindings,
    attribute_values,
    class_hierarchy,
    declared_attribute_class,
    enclosing_parameter,
    listed_elements,
    method_of,
    own_nodes,
    parameter_class,
    reaching_value,
    resolve_base,
    resolve_call,
    resolve_name,
)
from nnlint.engine.entry import is_test_module
from nnlint.engine.evaluation import EvalRegion, words
from nnlint.engine.index import children
from nnlint.engine.loops import Event, EventKind, Loop
from nnlint.engine.names import dotted_name, handed_module, is_false, moved_module
from nnlint.engine.project import Resolved, modules_mentioning
from nnlint.engine.roles import Role, loads_pretrained_model
from nnlint.vocabulary import (
    AUDIO_FEATURE_TRANSFORMS,
    DELIBERATE_TRAIN_WORDS,
    LIBRARY_PREFIXES,
    MODE_DEPENDENT_LAYERS,
    MODE_FREE_CALLS,
    MODE_FREE_LAYERS,
    MODE_FREE_UNLESS,
    MODEL_COPIES,
    MODEL_MODULE_BASES,
    MODEL_TARGET_KEYWORDS,
    MODEL_WRAPPERS,
    SELF_RETURNING_METHODS,
    SEQUENTIAL,
    WRAPPER_ATTRIBUTES,
)

if TYPE_CHECKING:
    from nnlint.engine.context import FileContext
    from nnlint.engine.summaries import Summary

EVAL = "eval"
TRAIN = "train"
UNKNOWN = "unknown"  # a toggle of some model that cannot be named: it may be this one
# Texts that switch some module to eval mode.
_EVAL_SWITCHES = (".eval()", ".train(False", ".train(mode=False")
# A switch of some module to eval mode: `.eval()` with nothing in it (a method named `eval` that takes
# arguments is some API's inference call), `.train(False)`, `.train(mode=False)`.
_ANY_EVAL_SWITCH = re.compile(r"\.(?:eval\(\s*\)|train\(\s*(?:mode\s*=\s*)?False\b)")


# Text of a function that chooses training mode on purpose for a pass that only runs the model: it saves or
# restores the mode (`was_training = model.training`), or recalibrates BatchNorm (`reset_bn`, running
# statistics, momentum, `recalibrate`; not `recall`, a metric).
_DELIBERATE_TRAIN_TEXT = re.compile(
    r"\.training\b|batch_?norm|running_(?:mean|var)|momentum|recalibrat|(?<![a-z])bn(?![a-z])", re.IGNORECASE
)


# What runs a forward again and again: loops, comprehensions, and a lambda (called who knows how often).
_REPEATING = (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp, cst.Lambda)


def _hands_targets(call: cst.CSTNode) -> bool:
    """Whether a model call hands over the targets, or may (`model(images, targets)`, `model(**batch)`,
    `model(*batch_data)`): a model that computes its own loss from them."""
    if not isinstance(call, cst.Call):
        return False
    for arg in call.args:
        name = arg.keyword.value if arg.keyword is not None else (dotted_name(arg.value) or "")
        if arg.star or name.rsplit(".", 1)[-1] in MODEL_TARGET_KEYWORDS:
            return True
    return False


def _switch_of(attr: str) -> re.Pattern[str]:
    """A switch of `.<attr>` to eval mode (`_ANY_EVAL_SWITCH` on that attribute)."""
    return re.compile(rf"\.{re.escape(attr)}\.(?:eval\(\s*\)|train\(\s*(?:mode\s*=\s*)?False\b)")


# How many callers up the mode at a function's start is looked for.
_MAX_CALLER_DEPTH = 3


def model_key(name: str | None) -> str | None:
    """The model a name toggles or runs: `model.module` and `model._orig_mod` are `model`."""
    while name and name.endswith(WRAPPER_ATTRIBUTES):
        name = name.rsplit(".", 1)[0]
    return name


def _trains(events: Sequence[Event]) -> bool:
    return any(event.kind in (EventKind.BACKWARD, EventKind.TRAIN_STEP) for event in events)


class ModeSimulation:
    """The train/eval mode of each model of one file, at evaluations and training steps."""

    def __init__(self, ctx: FileContext) -> None:
        self._ctx = ctx
        self._alias_cache: dict[tuple[str, cst.FunctionDef | None], str] = {}
        self._attribute_cache: dict[tuple[cst.ClassDef, str], bool] = {}
        self._trainer_cache: dict[tuple[cst.ClassDef, str], dict[str, frozenset[str]]] = {}
        self._switched_instead: dict[cst.CSTNode, tuple[str, str]] = {}
        self._trained_in_eval: set[cst.CSTNode] = set()
        self._inference_cache: dict[cst.FunctionDef, bool] = {}
        self._inference_methods: set[cst.CSTNode] = set()
        self._parameter_free: dict[str, bool] = {}
        self._nowhere_cache: dict[tuple[cst.FunctionDef, str], bool] = {}  # `_switched_nowhere`'s answers
        # Evaluation loops reported instead of the `no_grad` opened inside them per batch: that block.
        self._per_batch_blocks: dict[cst.CSTNode, cst.CSTNode] = {}

    # -- evaluation in training mode ----------------------------------------------------------------

    def evaluations_in_training_mode(self) -> list[cst.CSTNode]:
        """Where each evaluation that runs a model left in training mode visibly starts: the
        `torch.no_grad()` around its forward, else the forward (one per evaluation and model)."""
        found: list[cst.CSTNode] = []
        regions = self._ctx.evaluation.regions
        functions = {region.node for region in regions if isinstance(region.node, cst.FunctionDef)}
        for region in regions:
            reported: set[str] = set()
            events = list(region.events)
            for position, forward in enumerate(events):
                model = model_key(forward.target)
                if forward.kind is not EventKind.FORWARD or model is None or model in reported:
                    continue
                if forward.via and self._ctx.enclosing_function(forward.node) in functions:
                    continue  # the evaluation helper it runs in is a region of its own
                function = self._ctx.enclosing_function(forward.site)
                if any(
                    event.kind is EventKind.EVAL and not self._another_network(event, model, function)
                    for event in events[:position]
                ):
                    continue  # set inside the evaluation (any model that may be this one)
                after_training: Loop | None = None
                shared_step = bool(region.calls) and isinstance(region.node, cst.FunctionDef)
                if self._last_toggle(events[:position], model, None) == TRAIN and not shared_step:
                    after_training = self._validated_after_training(events[:position], forward, model)
                    if after_training is None:
                        continue  # deliberate `model.train()`: MC dropout, BN recalibration
                if self._mode_free(model, function):
                    continue  # no dropout, BatchNorm or `self.training`: the mode changes nothing
                if self._ctx.roles.is_loss_module(model):
                    continue  # `stft_loss = MultiResolutionSTFTLoss().to(device)`: a criterion, not the model
                if after_training is not None or self._entered_in_training(region, forward):
                    reported.add(model)
                    node = self._evaluation_start(
                        EvalRegion(after_training.node, tuple(after_training.events))  # type: ignore[arg-type]
                        if after_training is not None
                        else region,
                        forward,
                    )
                    if node not in found and self._inference_switch(region, forward) is None:
                        found.append(node)
                        if region.inference:
                            self._inference_methods.add(node)
                        others = [
                            e.target for e in events[:position] if e.kind is EventKind.EVAL and e.target
                        ]
                        if others:
                            self._switched_instead[node] = (model, model_key(others[-1]) or others[-1])
        return found

    def _validated_after_training(self, before: list[Event], forward: Event, model: str) -> Loop | None:
        """For a forward whose model was last switched by `train()` inside its evaluation region (an
        evaluation function that also trains: NASLib's `Trainer.evaluate()` retraining the best
        architecture), the loop over held-out data it runs in when that `train()` was made for training:
        the model ran and was backpropagated after it, and the forward's own loop iterates held-out data
        and trains nothing (the per-epoch validation). The mode is then what training left, not a choice
        made for the evaluation (MC dropout, BatchNorm recalibration call `train()` and only evaluate).
        None otherwise."""
        function = self._ctx.enclosing_function(forward.site)
        wanted = self._alias(model, function)
        toggles = [
            position
            for position, event in enumerate(before)
            if event.kind is EventKind.TRAIN
            and event.target is not None
            and self._alias(model_key(event.target) or "", function) == wanted
        ]
        if not toggles:
            return None
        since = before[toggles[-1] + 1 :]
        if not _trains(since) or not any(
            event.kind is EventKind.FORWARD and self._alias(model_key(event.target) or "", function) == wanted
            for event in since
        ):
            return None
        loop = self._ctx.loops.enclosing_loop(forward.site)
        if (
            loop is None
            or loop.function is not function
            or not isinstance(loop.node, cst.For)
            or _trains(loop.events)
            or not self._ctx.evaluation.iterates_held_out(loop)
        ):
            return None
        return loop

    def in_inference_method(self, node: cst.CSTNode) -> bool:
        """Whether an evaluation `evaluations_in_training_mode` found is a model's own inference method
        (`Evaluation.inference_methods`), whose callers leave the model in training mode."""
        return node in self._inference_methods

    def per_batch_block(self, node: cst.CSTNode) -> cst.CSTNode | None:
        """For an evaluation loop `evaluations_in_training_mode` reported, the `torch.no_grad()` opened
        inside it once per batch (where the evaluation visibly starts, but not where `eval()` goes)."""
        return self._per_batch_blocks.get(node)

    def switched_instead(self, node: cst.CSTNode) -> tuple[str, str] | None:
        """For an evaluation `evaluations_in_training_mode` found, when the evaluation switched another
        network to eval (`model.eval()`, then `predictor(h)` runs): the network run in training mode and
        the one switched, else None."""
        return self._switched_instead.get(node)

    def trains_for_inference(self) -> list[tuple[cst.CSTNode, cst.CSTNode]]:
        """In a file that never trains, a `model.train()` that is the last mode switch before an inference
        of that model (nothing trains in between): `eval()` was meant, so the `train()` is the line to
        change (pytorch-video-recognition's inference.py). Each answer is the `train()` call and where
        the inference starts; `evaluations_in_training_mode` leaves these evaluations to this answer."""
        found: list[tuple[cst.CSTNode, cst.CSTNode]] = []
        for region in self._ctx.evaluation.regions:
            for forward in region.forwards:
                toggle = self._inference_switch(region, forward)
                if toggle is not None and not any(toggle is seen for seen, _ in found):
                    found.append((toggle, self._evaluation_start(region, forward)))
        return found

    def _inference_switch(self, region: EvalRegion, forward: Event) -> cst.CSTNode | None:
        """The `train()` of the forward's model that the scope around a loop region or a script's inference
        block (its function, or the module) makes last before the region, in a file that never trains; None
        otherwise."""
        node = region.node
        if (
            not isinstance(node, (cst.For, cst.While))
            and node not in self._ctx.evaluation.script_inference_blocks
        ):
            return None
        model = model_key(forward.target)
        if model is None or any(event.kind is EventKind.EVAL for event in region.events):
            return None
        function = self._ctx.enclosing_function(node)
        first = region.events[0].node
        body = self._body_events(function)
        position = next((i for i, event in enumerate(body) if event.node is first), None)
        if position is None:
            return None
        wanted = self._alias(model, function)
        for event in reversed(body[:position]):
            if event.kind in (EventKind.EVAL, EventKind.TRAIN) and (
                event.target is None or self._alias(model_key(event.target) or "", function) == wanted
            ):
                if event.kind is not EventKind.TRAIN or event.target is None:
                    return None
                # Asked last: whether the file never trains may read the project's helpers.
                return event.node if self._ctx.evaluation.never_trains else None
        return None

    def trains_before_extraction(self) -> list[tuple[cst.CSTNode, cst.CSTNode]]:
        """`model.train()` calls that switch a model to training mode for a pass over data that only runs
        it (`_train_before_extraction`), in any file: `eval()` was meant, so the `train()` is the line to
        change. Each answer is the `train()` call and the forward that runs in training mode; those
        `trains_for_inference` already gives are left to it."""
        found: list[tuple[cst.CSTNode, cst.CSTNode]] = []
        if ".train()" not in self._ctx.source:
            return found  # cheap: nothing switches a model to training mode that way
        for region in self._ctx.evaluation.regions:
            for forward in region.forwards:
                toggle = self._train_before_extraction(forward)
                if toggle is not None and not any(toggle is t for t, _ in found):
                    found.append((toggle, forward.node))
        if found:
            given = {id(toggle) for toggle, _ in self.trains_for_inference()}
            found = [(toggle, forward) for toggle, forward in found if id(toggle) not in given]
        return found

    def _train_before_extraction(self, forward: Event) -> cst.CSTNode | None:
        """The `train()` of the forward's model that its function makes as a statement of its own body
        (unconditionally, outside any block) when the function never trains and the forward runs under
        `torch.no_grad()` (a block, or the function's decorator) in a `for` loop over data of that
        function and its output is kept: a pass that precomputes embeddings, predictions or metrics with
        dropout on and BatchNorm normalizing by each batch (and overwriting its running statistics).
        eai-vc's linear probe embedded CIFAR with `model = model.train()` before the `no_grad` loop (the
        fix: `eval()`); PFLlib's APFL client computes its training loss after `self.model_per.train()`
        where its base class calls `eval()`. Deliberate training mode stays silent: a function named for
        MC dropout, one that saves or restores the mode (reads `.training`), or that recalibrates
        BatchNorm (its text speaks of BatchNorm, running statistics or momentum; a bare `model(x)` keeps
        no output), a switch under a condition (a debug flag) or inside a block, a model's own
        `self.train()`, a model handed the targets (a torchvision detector returns its losses only in
        training mode: easyFL's detection `test()` computes them so), a forward repeated inside the loop
        over data (`[model(x) for _ in range(passes)]`: MC sampling), and a model the mode changes nothing
        for. None otherwise."""
        if forward.kind is not EventKind.FORWARD or forward.via:
            return None
        model = model_key(forward.target)
        function = self._ctx.enclosing_function(forward.node)
        if model is None or model == "self" or function is None or forward.node is not forward.site:
            return None
        if not forward.no_grad and not self._ctx.gradients.decorated_no_grad(function):
            return None
        if set(words(function.name.value)) & DELIBERATE_TRAIN_WORDS:
            return None
        loop = self._ctx.loops.enclosing_loop(forward.node)
        evaluation = self._ctx.evaluation
        if loop is None or loop.function is not function or not isinstance(loop.node, cst.For):
            return None
        if self._ctx.index.enclosing(forward.node, _REPEATING) is not loop.node:
            return None  # run again per sample (`[model(x) for _ in range(passes)]`): MC dropout
        if not evaluation.iterates_data(loop) or not evaluation.output_used(forward):
            return None
        if _hands_targets(forward.node):
            return None  # a model given the targets computes its own losses, in training mode only
        body = self._body_events(function)
        if _trains(body) or any(event.kind in (EventKind.STEP, EventKind.ZERO_GRAD) for event in body):
            return None
        position = next((i for i, event in enumerate(body) if event.node is forward.node), None)
        if position is None or self._last_toggle(body[:position], model, function) != TRAIN:
            return None
        wanted = self._alias(model, function)
        toggle = next(
            event
            for event in reversed(body[:position])
            if event.kind is EventKind.TRAIN
            and self._alias(model_key(event.target) or "", function) == wanted
        )
        if toggle.via or not self._own_statement(toggle.node, function) or self._mode_free(model, function):
            return None
        text = self._ctx.module.code_for_node(function)
        return None if _DELIBERATE_TRAIN_TEXT.search(text) else toggle.node

    def _own_statement(self, call: cst.CSTNode, function: cst.FunctionDef) -> bool:
        """Whether `call` is a statement of `function`'s own body, or the value such a statement binds
        (`model.train()`, `model = model.train()`), not under any `if`, loop, `with` or `try`."""
        index = self._ctx.index
        parent = index.parent(call)
        if isinstance(parent, cst.Assign) and parent.value is call:
            parent = index.parent(parent)
        elif isinstance(parent, cst.Expr):
            parent = index.parent(parent)
        else:
            return False
        return isinstance(parent, cst.SimpleStatementLine) and index.parent(parent) is function.body

    def trains_inside_evaluation(self) -> list[cst.CSTNode]:
        """`model.train()` calls that undo, inside an evaluation, the `eval()` the same function made for
        it: the evaluation then runs in training mode (MultiBench: `model.eval()`, then `model.train()`
        before every forward of the validation loop). The `eval()` may come first in the region or right
        before it (in the enclosing loops and body of the same function, not a caller's: a helper that
        chooses training mode on its own, as MC dropout does, says nothing against its caller)."""
        found: list[cst.CSTNode] = []
        for region in self._ctx.evaluation.regions:
            events = list(region.events)
            reported: set[str] = set()
            for position, forward in enumerate(events):
                model = model_key(forward.target)
                if forward.kind is not EventKind.FORWARD or model is None or model in reported:
                    continue
                toggle = self._undoing_train(region, events[:position], forward)
                if toggle is not None and not self._mode_free(model):
                    reported.add(model)
                    if toggle.node not in found:
                        found.append(toggle.node)
        return found

    def _undoing_train(self, region: EvalRegion, before: list[Event], forward: Event) -> Event | None:
        """The first `train()` of the forward's model in `before` when every toggle of it there is a
        `train()` and the region was entered, or the toggles began, with an `eval()` of the same function."""
        function = self._ctx.enclosing_function(forward.site)
        if function is not None and set(words(function.name.value)) & DELIBERATE_TRAIN_WORDS:
            return None
        model = model_key(forward.target) or ""
        toggles = [event for event in before if event.kind in (EventKind.EVAL, EventKind.TRAIN)]
        if any(event.target is None for event in toggles):
            return None  # a toggle of a model that cannot be named may be this one's
        toggles = [
            event
            for event in toggles
            if self._alias(model_key(event.target) or "", function) == self._alias(model, function)
        ]
        # A toggle in the other branch of an `if` (`if isinstance(net, nn.Module): net.eval(); ...;
        # net.train()  else: net(X)`) never runs in the forward's iteration.
        toggles = [event for event in toggles if not self._ctx.loops.exclusive(event, forward)]
        if not toggles or toggles[-1].kind is not EventKind.TRAIN:
            return None
        first_train = next(i for i, event in enumerate(toggles) if event.kind is EventKind.TRAIN)
        if first_train > 0:
            evaluated = toggles[first_train - 1].kind is EventKind.EVAL
        elif isinstance(region.node, cst.FunctionDef):
            evaluated = False  # the function's start: its callers' mode, not a choice made here
        else:
            entry = region.events[0].node
            anchor = region.node
            evaluated = self._mode_at(anchor, lambda e: e.node is entry, forward) == EVAL
        if not evaluated or any(event.kind is EventKind.EVAL for event in toggles[first_train:]):
            return None
        # The train() runs in the evaluation loop itself, before the forward of the same iteration; a
        # `if was_training: model.train()` restore at the end of a function is not that.
        loop = self._ctx.loops.enclosing_loop(toggles[-1].node)
        if loop is None or loop is not self._ctx.loops.enclosing_loop(forward.node):
            return None
        return toggles[first_train]

    def helpers_evaluating_in_training_mode(self) -> list[tuple[FileContext, cst.CSTNode, cst.Call]]:
        """Evaluation helpers of other project modules that this file calls with a model left in training
        mode: `val_dice = eval_net(net, val)` after a training epoch, where eval_net (in eval.py) runs
        `net` as an evaluation and never switches it to eval (its summary says so). Each answer is the
        helper's file, where its evaluation starts there (the line to change) and the call here. The call
        may be in a loop, at module level, or in the body of a module-level function (`_handing_functions`:
        marugoto's `extract_ozanciga_features_()` builds a ResNet, loads its weights and returns
        `extract_features_(..., model=model.cuda())`)."""
        from nnlint.engine.summaries import summaries_of_call

        found: list[tuple[FileContext, cst.CSTNode, cst.Call]] = []
        seen: set[cst.CSTNode] = set()
        events = [event for loop in self._ctx.loops.loops for event in loop.events] + self._module_events
        for function in self._handing_functions:
            events += self._ctx.loops.function_events(function)
        for event in events:
            call = event.site
            if event.kind is not EventKind.FORWARD or event.via or call is not event.node:
                continue
            if not isinstance(call, cst.Call) or call in seen:
                continue
            seen.add(call)
            if not any(dotted_name(handed_module(arg.value)) == event.target for arg in call.args):
                continue  # `model(x)` itself: the model is called, not handed to a helper
            for summary in summaries_of_call(self._ctx, call):
                if summary.ctx is self._ctx or not summary.evaluates:
                    continue
                start = self._helper_start(summary, call, event)
                if start is not None:
                    found.append((summary.ctx, start, call))
        return found

    @cached_property
    def _handing_functions(self) -> list[cst.FunctionDef]:
        """Module-level functions that, outside any loop of theirs, hand a model to a function of a project
        module (`evaluate(model, loader)`, `extract_features_(model=net.cuda())`): a script's entry
        function that readies a network and gives it to another module's evaluation. Only their events are
        collected for `helpers_evaluating_in_training_mode` (the loops' are already), and only functions
        with such a call (cheap: roles and callees, no events)."""
        found: list[cst.FunctionDef] = []
        roles = self._ctx.roles
        for function in self._ctx.index.nodes(cst.FunctionDef):
            if self._ctx.index.parent(function) is not self._ctx.module:
                continue
            for node in own_nodes(function, nested_loops=False):
                if type(node) is not cst.Call or not node.args:
                    continue
                callee = self._ctx.callee(node)
                if callee is None or callee.startswith(LIBRARY_PREFIXES):
                    continue  # a name of this file (the collector inlines it) or a library's function
                if any(not arg.star and roles.has(handed_module(arg.value), Role.MODEL) for arg in node.args):
                    found.append(function)
                    break
        return found

    def _helper_start(self, summary: Summary, call: cst.Call, event: Event) -> cst.CSTNode | None:
        """Where the helper `summary` describes starts evaluating the model `call` hands it in training
        mode (the first such parameter), else None."""
        passed = summary.certain_arguments(call)
        for parameter in sorted(summary.evaluates):
            model = model_key(dotted_name(handed_module(passed[parameter]))) if parameter in passed else None
            if model is None or model != model_key(event.target) or self._mode_free(model):
                continue
            if self._mode_at(call, lambda e, call=call: e.site is call, event) != TRAIN:
                continue
            start = summary.ctx.modes.evaluation_start_of(summary.function, parameter)
            if start is not None:
                return start
        return None

    def evaluation_start_of(self, function: cst.FunctionDef, model: str) -> cst.CSTNode | None:
        """Where the evaluation that `function` is starts running `model` (see `_evaluation_start`)."""
        for region in self._ctx.evaluation.regions:
            if region.node is not function:
                continue
            for event in region.events:
                if event.kind is EventKind.FORWARD and model_key(event.target) == model:
                    return self._evaluation_start(region, event)
        return None

    def mode_entering(self, loop: Loop, forward: Event) -> str | None:
        """The mode the model of `forward` (an event of `loop`) is in when the loop starts: `EVAL`,
        `TRAIN`, `UNKNOWN` or None (see `_mode_at`)."""
        if not loop.events:
            return None
        first = loop.events[0].node
        return self._mode_at(loop.node, lambda e: e.node is first, forward)

    def _evaluation_start(self, region: EvalRegion, forward: Event) -> cst.CSTNode:
        """The line a reviewer changes: the `torch.no_grad()` around the whole evaluation (`model.eval()`
        goes right before it), else the evaluation loop, else the forward run in the wrong mode. A
        `no_grad` opened per batch inside the evaluation's loop is not where `eval()` belongs (hsi's
        `val`: `for batch in loader: with torch.no_grad(): net(data)`): the loop, or in an evaluation
        function the forward, is reported instead."""
        gradients = self._ctx.gradients
        no_grad: cst.CSTNode | None = None
        for ancestor in self._ctx.index.ancestors(forward.site):
            if no_grad is None and isinstance(ancestor, cst.With):
                no_grad = gradients.no_grad_item(ancestor)
            elif no_grad is not None and isinstance(ancestor, (cst.For, cst.While)):
                no_grad = None  # opened once per iteration
                break
            if ancestor is region.node:
                break
        if no_grad is not None:
            if isinstance(region.node, cst.With):
                loop = self._evaluation_loop_around(region.node)
                if loop is not None:
                    # `for batch in val_loader: with torch.no_grad(): ...`: opened per batch.
                    self._per_batch_blocks.setdefault(loop, no_grad)
                    return loop
            return no_grad
        return region.node if isinstance(region.node, (cst.For, cst.While)) else forward.site

    def _evaluation_loop_around(self, block: cst.With) -> cst.For | None:
        """The loop over held-out data, in the same function, that a `no_grad` block is opened inside of
        once per batch: `model.eval()` belongs before that loop, not before the block."""
        evaluation = self._ctx.evaluation
        function = self._ctx.enclosing_function(block)
        loop = self._ctx.loops.enclosing_loop(block)
        while loop is not None and loop.function is function:
            if isinstance(loop.node, cst.For) and evaluation.iterates_held_out(loop):
                return loop.node
            loop = self._ctx.loops.enclosing_loop(loop.node)
        return None

    def _entered_in_training(self, region: EvalRegion, forward: Event) -> bool:
        """Whether the code that runs before this evaluation leaves the forward's model in training mode:
        the code before the block, or before any call of the evaluation function."""
        node = region.node
        if isinstance(node, cst.With):
            anchor = node
            return (
                self._mode_at(anchor, lambda e: e.kind is EventKind.NO_GRAD and e.node is anchor, forward)
                == TRAIN
            )
        if isinstance(node, cst.For) and region.calls:
            return self._entered_by_flag(node, region, forward)
        if isinstance(node, cst.FunctionDef) and region.calls:
            return self._step_entered_by_flag(node, region, forward)
        if isinstance(node, (cst.For, cst.While, cst.If)):
            first = region.events[0].node  # the block's first event marks where it runs
            return self._mode_at(node, lambda e: e.node is first, forward) == TRAIN
        if region.generation:
            return self._never_switched_to_eval(node, model_key(forward.target) or "")
        if region.inference and isinstance(node, cst.FunctionDef):
            return self._called_in_training(node)
        if isinstance(node, cst.FunctionDef) and self._built_to_run(node, forward):
            return True  # `net = Net()` in the evaluating function itself (a script's `main()`): a new module
        return self._mode_at_entry(node, forward, 0) == TRAIN

    def _built_to_run(self, function: cst.FunctionDef, forward: Event) -> bool:
        """Whether the evaluating function builds the model it runs (a new module is in training mode) and
        that visibly matters: the class has dropout or BatchNorm, or the function loads trained weights into
        it. A throwaway module built to benchmark or to decode (fairseq's streaming Demucs check, an F0
        decoder) stays unknown."""
        model = model_key(forward.target) or ""
        if not self._built_in(model, function):
            return False
        evaluation = self._ctx.evaluation
        return evaluation.loads_weights(function, model) or evaluation.built_mode_dependent(model, forward)

    def _entered_by_flag(self, node: cst.For, region: EvalRegion, forward: Event) -> bool:
        """A loop that evaluates when its function is called with the training flag false: in training
        mode when that function sets no mode at all (`model.train(mode=train_model)` chooses per call)
        and the model is in training mode at one of those calls."""
        function = self._ctx.enclosing_function(node)
        return function is not None and self._switchless_run_in_training(function, region, forward)

    def _step_entered_by_flag(self, function: cst.FunctionDef, region: EvalRegion, forward: Event) -> bool:
        """A per-batch step function shared by training and evaluation, run for evaluation by the calls
        that pass its flag (`Evaluation.step_flag`): in training mode when the last switch of the model
        before the forward is a plain `model.train()` the function makes whatever the flag says (nequip's
        `batch_step` readies the model for the step its training branch takes, and validation runs with
        it), or when the function switches nothing and the model is in training mode at one of those
        calls. A switch chosen per call (`model.train(not validation)`, one under an `if`) says nothing."""
        model = model_key(forward.target) or ""
        wanted = self._alias(model, function)
        position = next((i for i, event in enumerate(region.events) if event is forward), 0)
        toggles = [
            event
            for event in region.events[:position]
            if event.kind in (EventKind.EVAL, EventKind.TRAIN)
            and (event.target is None or self._alias(model_key(event.target) or "", function) == wanted)
        ]
        if toggles:
            last = toggles[-1]
            return last.kind is EventKind.TRAIN and self._unconditional_plain_train(last, function)
        return self._switchless_run_in_training(function, region, forward)

    def _switchless_run_in_training(
        self, function: cst.FunctionDef, region: EvalRegion, forward: Event
    ) -> bool:
        """Whether `function` switches no mode at all and the model is in training mode at one of the
        calls that run it for evaluation (`region.calls`): the caller's mode is the one it runs in."""
        if any(
            event.kind in (EventKind.EVAL, EventKind.TRAIN)
            for event in self._ctx.loops.function_events(function)
        ):
            return False
        return any(
            self._mode_at(call, lambda e, call=call: e.site is call, forward, 1) == TRAIN
            for call in region.calls
        )

    def _unconditional_plain_train(self, toggle: Event, function: cst.FunctionDef) -> bool:
        """Whether a `train()` event is `model.train()` with no argument (or `True`), made in the
        function's own body whatever its flags say: no `if`, loop, `try` or `with` of the function around
        it."""
        call = toggle.node
        if not isinstance(call, cst.Call) or toggle.site is not call:
            return False
        if call.args and not (
            isinstance(call.args[0].value, cst.Name) and call.args[0].value.value == "True"
        ):
            return False
        for ancestor in self._ctx.index.ancestors(call):
            if ancestor is function:
                return True
            if isinstance(ancestor, (cst.If, cst.For, cst.While, cst.Try, cst.With, cst.IfExp, cst.Lambda)):
                return False
        return False

    def _mode_at_entry(
        self, function: cst.FunctionDef, forward: Event, depth: int, name: str | None = None
    ) -> str | None:
        """The mode the forward's model is in when `function` starts: training when some call of it
        certainly runs in training mode, else what all calls agree on. `name` is the model's name in
        `function` when it is a caller of the evaluation (depth > 0)."""
        if depth >= _MAX_CALLER_DEPTH:
            return None
        if depth == 0 and (
            self._never_switched_to_eval(function, model_key(forward.target) or "")
            or self._switched_nowhere(function, model_key(forward.target) or "")
        ):
            return TRAIN
        loops = self._ctx.loops
        calls = [call for call in self._ctx.index.nodes(cst.Call) if loops.helper_called(call) is function]
        if not calls and depth == 0 and self._handed_in_by_no_one(function, forward):
            return TRAIN
        held = (name if depth > 0 else model_key(forward.target)) or ""
        if not calls and self._left_in_training_by_its_trainer(function, held):
            return TRAIN  # `imputer.fit(train_set)`, then `imputer.predict(test_set)` on the same object
        if not calls and depth > 0 and name and self._called_by_no_one(function, name):
            return TRAIN  # `translate(model, ...)` of the API hands its model on to the evaluation
        modes = {
            self._mode_at(call, lambda e, call=call: e.site is call, forward, depth + 1) for call in calls
        }
        if TRAIN in modes:
            return TRAIN
        return modes.pop() if len(modes) == 1 else None

    def _handed_in_by_no_one(self, function: cst.FunctionDef, forward: Event) -> bool:
        """An evaluation function of the project's API (`def test_model(loader, model)`) that runs a model it
        is given and that nothing in the project calls (tests aside): its callers are the library's users,
        whose fresh or just-trained model is in training mode unless the function sets the mode. A
        function some project module calls stays unknown (that caller may set it)."""
        model = model_key(forward.target)
        if model is None or forward.via:
            return False
        call = forward.node
        func = call.func if isinstance(call, cst.Call) else None
        if isinstance(func, cst.Attribute):
            func = func.value  # `model.encoder(src)`, `model.forward(x)`: the model runs
        if not (isinstance(func, cst.Name) and func.value == model):
            return False  # `model(x)` itself, not a model handed to some other function
        if _ANY_EVAL_SWITCH.search(self._ctx.source):
            return False  # the module readies models itself (OLMo's `load_hf_lm_and_tokenizer`)
        return self._called_by_no_one(function, model)

    def _called_by_no_one(self, function: cst.FunctionDef, model: str) -> bool:
        """Whether `function` is a public module-level function given `model` as a parameter that nothing
        in the project calls or refers to (tests aside)."""
        name = function.name.value
        if "." in model or name.startswith("_"):
            return False
        if self._ctx.index.parent(function) is not self._ctx.module:
            return False  # a method: its class's users and framework hooks call it
        if model not in {param.name.value for param in function.params.params}:
            return False
        mentions = [node for node in self._ctx.index.nodes(cst.Name) if node.value == name]
        if len(mentions) > 1:
            return False  # referenced elsewhere in its file (a dispatch table, a callback): called unseen
        modules = modules_mentioning(self._ctx, name)
        if modules is None:
            return False
        # A module that only defines a function of the same name (another backend's copy) calls nothing.
        used = re.compile(rf"(?<!def )\b{re.escape(name)}\b")
        return not any(
            used.search(module.source) and not is_test_module(module.path, module.source, folders=True)
            for module in modules
        )

    def _mode_at(
        self,
        anchor: cst.CSTNode,
        is_anchor: Callable[[Event], bool],
        forward: Event,
        depth: int = 0,
    ) -> str | None:
        """The mode the forward's model is in when `anchor` runs.

        That is the last toggle before the anchor in the enclosing loops (this iteration, then the
        previous one) and in the enclosing body; failing that, training mode when the model was trained
        on the way there or built in this body (a new module trains), else the mode at the start of the
        enclosing function (asked of its callers), else unknown. The model is named as the caller names
        it: the forward's event seen from the caller carries the caller's argument name.
        """
        model = model_key(forward.target) or ""
        trained = False
        function = self._ctx.enclosing_function(anchor)
        loop = self._ctx.loops.enclosing_loop(anchor)
        while loop is not None and loop.function is function:
            position = next((i for i, event in enumerate(loop.events) if is_anchor(event)), None)
            if position is not None:
                model = self._caller_name(loop.events[position:], forward, model)
                for events in (loop.events[:position], loop.events[position:]):
                    mode = self._last_toggle(events, model, function)
                    if mode is not None:
                        return mode
                    trained = trained or _trains(events)
            loop = self._ctx.loops.enclosing_loop(loop.node)
        body = self._body_events(function)
        position = next((i for i, event in enumerate(body) if is_anchor(event)), len(body))
        model = self._caller_name(body[position:], forward, model)
        mode = self._last_toggle(body[:position], model, function)
        if mode is not None:
            return mode
        trained = trained or _trains(body[:position])
        if trained and self._alias(model, function) in self._trained_models:
            return TRAIN
        if self._built_in(model, function):
            return TRAIN
        if function is not None and depth > 0:
            return self._mode_at_entry(function, forward, depth, model)
        if function is not None and (
            self._never_switched_to_eval(function, model) or self._switched_nowhere(function, model)
        ):
            return TRAIN
        if function is not None and self._left_in_training_by_its_trainer(function, model):
            return TRAIN
        return None

    def _called_in_training(self, method: cst.FunctionDef) -> bool:
        """Whether a model's inference method (`Evaluation.inference_methods`) runs in training mode: its
        class visibly depends on the mode (dropout, BatchNorm, `self.training`), the project calls it on an
        object (`model.predict(users, items)`, not `self.predict(...)`), and neither its own module nor any
        module calling it switches anything to eval (tests aside): the model keeps the training mode a new
        or just-trained module has (beta-recsys's LightGCN.predict, called by its evaluation engine)."""
        if method not in self._inference_cache:
            self._inference_cache[method] = self._left_in_training_by_callers(method)
        return self._inference_cache[method]

    def _left_in_training_by_callers(self, method: cst.FunctionDef) -> bool:
        from nnlint.engine.project import STORE, paths_mentioning

        ctx = self._ctx
        cls = ctx.enclosing_class(method)
        if cls is None or any(text in ctx.source for text in _EVAL_SWITCHES):
            return False
        if not mode_dependent_class(Resolved(ctx, cls)):
            return False
        called = re.compile(rf"(?<!\bself)\.{re.escape(method.name.value)}\(")
        callers = 1 if called.search(ctx.source) else 0
        if ctx.real_path is None:
            return bool(callers)  # a file of no project (standard input): its own calls are all there are
        paths = paths_mentioning(ctx, f".{method.name.value}(")
        if paths is None:
            return False
        for path in paths:
            data = STORE.text(path)
            text = data.decode("utf-8", "replace") if data is not None else ""
            if not called.search(text) or is_test_module(str(path), text, folders=True):
                continue  # only the class's own `self.predict(...)` (another class's), or a test's
            if any(switch in text for switch in _EVAL_SWITCHES):
                return False  # this caller may switch the model to eval first
            callers += 1
        return bool(callers)

    # -- a model kept on an object ------------------------------------------------------------------

    def _never_switched_to_eval(self, function: cst.FunctionDef, model: str) -> bool:
        """Whether `self.<attr>`, run in a method of a class that is no model (a trainer, a wrapper), is in
        training mode whenever that method runs: the class or a project base class builds it fresh in
        `__init__` (a project model class or factory that never calls `eval()`; a new module trains), and
        nothing ever switches it to eval: no `eval()`/`train(False)` on it (or on a name that could alias
        it) in the classes, none in the project's text (`.model.eval(`), and no module that names the class
        switches anything to eval or assigns the attribute (zh320's segmentation trainer: `predict` runs
        `self.model`, built by `get_model(config)` in the base trainer of another module)."""
        cls = self._ctx.enclosing_class(function)
        model = self._alias(model, function)  # `model = self.dp.to(DEVICE)`: the object's network
        attr = model[5:] if model.startswith("self.") else ""
        attr = _container_of(attr)  # `self.q_nets[0]`: an element of a list of networks
        if cls is None or not attr.isidentifier() or self._ctx.roles.is_local_model_class(cls.name.value):
            return False
        key = (cls, attr)
        if key not in self._attribute_cache:
            self._attribute_cache[key] = self._fresh_and_never_evaluated(cls, attr)
        return self._attribute_cache[key]

    def _switched_nowhere(self, function: cst.FunctionDef, model: str) -> bool:
        """Whether the model an evaluation runs is in training mode because nothing can have switched it:
        it is an instance of a plain project module class (`module_class_bases`: project classes over
        `torch.nn.Module` alone, no Hugging Face base whose `from_pretrained` gives it back in eval mode),
        known from an annotation (`def __init__(self, model: ECD)` keeping it in `self.model`, or the
        evaluating function's own `model: ECD`), and no module of the project (tests aside) switches
        anything to eval or to a mode it computes (ludwig right after its port to PyTorch:
        `Predictor.batch_evaluation` ran `self.model.evaluation_step(...)`, and no code anywhere called
        `eval()`). A new module is in training mode, and stays so. A project LightningModule counts too
        (`_lightning_left_in_training`) when the evaluation is no Lightning hook and the project never
        calls its `freeze()`."""
        if any(text in self._ctx.source for text in _EVAL_SWITCHES):
            return False  # cheap: this file switches something to eval
        key = (function, model)
        if key not in self._nowhere_cache:
            cls = self.held_class(function, model)
            bases = module_class_bases(cls) if cls is not None else None
            self._nowhere_cache[key] = (
                bool(bases)
                and (bases <= _TORCH_MODULE or self._lightning_left_in_training())  # type: ignore[operator]
                and not _EVAL_SWITCH.search(self._ctx.source.encode())
                and not _switches_to_computed_mode(self._ctx)
                and not _project_switches_modes(self._ctx)
            )
        return self._nowhere_cache[key]

    def _lightning_left_in_training(self) -> bool:
        """For a project LightningModule that the project never switches itself: whether it is in training
        mode at an evaluation outside Lightning's loops. Lightning's trainer leaves `fit` in
        training mode and, since 2.x, gives each module back the mode it had after `validate`, `test` and
        `predict` (`_ModuleMode.capture`/`restore` in its evaluation and prediction loops); its hooks run
        inside those loops in eval mode, and its `freeze()` calls `eval()`. So: not in a file that defines
        hooks (`on_*` methods, `*_step` methods: a callback's `on_validation_end(self, trainer, pl_module:
        MyTask)` runs in eval mode; the module's own `training_step` is no such hook) and no project module
        (tests aside) calls `.freeze()` (darts's SHAP explainer runs the trained `PLForecastingModule` it is
        handed under `inference_mode`)."""
        from nnlint.engine.project import STORE, paths_mentioning

        ctx = self._ctx
        if ".freeze(" in ctx.source or any(
            _LIGHTNING_HOOK.match(node.name.value) and not self._model_method(node)
            for node in ctx.index.nodes(cst.FunctionDef)
        ):
            return False
        if ctx.real_path is None:
            return True  # a file of no project (standard input): its own code is all there is
        paths = paths_mentioning(ctx, ".freeze(")
        if paths is None:
            return False
        for path in paths:
            data = STORE.text(path)
            if not is_test_module(str(path), data.decode("utf-8", "replace") if data else "", folders=True):
                return False
        return True

    def _model_method(self, function: cst.FunctionDef) -> bool:
        """Whether `function` is a method of a model class of this file."""
        cls = self._ctx.enclosing_class(function)
        return cls is not None and self._ctx.roles.is_local_model_class(cls.name.value)

    def held_class(self, function: cst.FunctionDef, model: str, declared: bool = False) -> Resolved | None:
        """The project class of the model `function` runs, by an annotation: of its own parameter
        (`model: ECD`), or of the parameter every assignment of `self.<attr>` in its class takes it from,
        through `.to(device)`-like calls (`self.model = model.to(self.device)` in `__init__(self, model:
        ECD)`); with `declared`, also of the attribute in its class's body (`model: ChronosModel`). None
        when anything else may be held. (`_switched_nowhere` does not take the class body's declaration:
        its "never switched to eval" reading was measured on annotated parameters only.)"""
        ctx = self._ctx
        if model.isidentifier():
            return parameter_class(ctx, function, model)
        attr = model[len("self.") :] if model.startswith("self.") else ""
        cls = ctx.enclosing_class(function)
        if cls is None or not attr.isidentifier():
            return None
        declaration = declared_attribute_class(ctx, cls, attr) if declared else None
        if declaration is not None:
            return declaration
        bindings = attribute_bindings(ctx, cls, attr)
        found: Resolved | None = None
        for binding in bindings:
            value = binding.value
            while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):
                if value.func.attr.value not in SELF_RETURNING_METHODS:
                    break
                value = value.func.value
            method = ctx.enclosing_function(binding.node)
            held = (
                parameter_class(ctx, method, value.value)
                if binding.kind == "assign" and isinstance(value, cst.Name) and method is not None
                else None
            )
            if held is None or (found is not None and held.node is not found.node):
                return None
            found = held
        return found

    def _fresh_and_never_evaluated(self, cls: cst.ClassDef, attr: str) -> bool:
        ctx = self._ctx
        switches = (f".{attr}.eval(", f".{attr}.train(False", f".{attr}.train(mode=False")
        switched = _switch_of(attr)
        if switched.search(ctx.source):
            return False  # this file switches some such attribute itself
        hierarchy = class_hierarchy(Resolved(ctx, cls))
        if hierarchy is None:
            return False
        fresh_in_init = False
        for owner in hierarchy:
            verdict = _attribute_facts(owner, attr)
            if verdict is None:
                return False
            fresh_in_init = fresh_in_init or verdict
        if not fresh_in_init:
            return False
        if ctx.real_path is None:
            return True  # a file of no project (standard input): no other module can touch it
        name = cls.name.value
        # Another module may switch it (`trainer.model.eval()`), switch anything of a module that names
        # the class (as a whole word: `GPIPDContinuousAction` does not name `GPIPD`), or bind the
        # attribute; a project too large to scan (None) may do anything.
        # A method named `eval` that takes arguments (deepmd's `dp.eval(coords, cells, atom_types)`, the
        # inference API of its model wrappers) switches no mode: only `.eval()` with nothing in it does.
        named = re.compile(rf"\b{re.escape(name)}\b")
        checks = [((text,), switched) for text in switches] + [((name, ".eval("), _ANY_EVAL_SWITCH)]
        for texts, pattern in checks:
            modules = modules_mentioning(ctx, *texts)
            if modules is None or any(
                (len(texts) == 1 or named.search(module.source)) and pattern.search(module.source)
                for module in modules
            ):
                return False
        modules = modules_mentioning(ctx, name, f".{attr} =")
        return modules is not None and not any(
            named.search(module.source) and _may_rebind(module, name, attr) for module in modules
        )

    def _left_in_training_by_its_trainer(self, function: cst.FunctionDef, model: str) -> bool:
        """Whether `self.<attr>`, run by a public method of a class that is no model (a wrapper's
        `predict(test_set)` with nobody in its file calling it), is in training mode when its users call
        it after the class's own training method: a public method of the class or a project base class
        (`fit`) trains the network and may leave it in training mode (`trainer_exits`: its last certain
        switch of it is `train()`, and any `eval()` after that sits under an `if` without `else` or in an
        `except`: PyPOTS's `_train_model` switches to eval only `if val_loader is not None`), that method
        never calls this one, the class builds the network itself, and nothing outside the class
        switches it to eval (another module's `imputer.model.eval()`, a method of the class named for
        setting modes). The fresh or just-trained network keeps the mode the trainer left it in."""
        cls = self._ctx.enclosing_class(function)
        attr = model[5:] if model.startswith("self.") else ""
        if cls is None or function.name.value.startswith("_") or not attr.isidentifier():
            return False
        if f".{attr}.train(" not in self._ctx.source and f"self.{attr}" not in self._ctx.source:
            return False  # cheap: neither trained nor held here
        if self._ctx.roles.is_local_model_class(cls.name.value):
            return False  # a model's own methods: `_left_in_training_by_callers` asks who calls them
        loops = self._ctx.loops
        if any(loops.helper_called(call) is function for call in self._ctx.index.nodes(cst.Call)):
            return False  # called in its file: the mode at those calls decides (`_mode_at_entry`)
        key = (cls, attr)
        if key not in self._trainer_cache:
            self._trainer_cache[key] = trainer_exits(Resolved(self._ctx, cls), attr)
        name = function.name.value
        return any(name not in called for called in self._trainer_cache[key].values())

    def _caller_name(self, events: Sequence[Event], forward: Event, default: str) -> str:
        """The model of `forward` as named in `events` (a caller's view: parameters became arguments). One
        call may run several models (`rescore(model=model, lm_model=lm)`, a forward event of each): among
        those, the one named as the forward names it, when one is."""
        named = [
            model_key(event.target) or default
            for event in events
            if event.node is forward.node and event.kind is EventKind.FORWARD
        ]
        if len(named) > 1 and default in named:
            return default
        return named[0] if named else default

    def _last_toggle(
        self, events: Sequence[Event], model: str, function: cst.FunctionDef | None
    ) -> str | None:
        """The mode the last `eval()`/`train()` of `model` (or of a local alias of it) in `events` left;
        `UNKNOWN` when a toggle of a model that cannot be named (`self.model[key].eval()`) comes later."""
        wanted = self._alias(model, function)
        for event in reversed(events):
            if event.kind not in (EventKind.EVAL, EventKind.TRAIN):
                continue
            if event.target is None:
                return UNKNOWN
            if self._alias(model_key(event.target) or "", function) == wanted:
                return EVAL if event.kind is EventKind.EVAL else TRAIN
        return None

    def _another_network(self, toggle: Event, model: str, function: cst.FunctionDef | None) -> bool:
        """Whether a mode switch (`toggle`) certainly leaves the network `model` alone: the mode is per
        network, and `model.eval()` says nothing of `predictor` (ogb's link prediction `test(model,
        predictor, ...)`: the GNN is switched, the dropout predictor is not). Certain only for two plain
        names, neither a local alias of the other, that are two parameters of the function every call of
        which in this file passes two different plain names for (neither a submodule of the other), or two
        names of the same scope each built once by its own constructor call. Anything else may be the same
        module, or a parent of it: not another network."""
        if toggle.target is None:
            return False
        toggled = self._alias(model_key(toggle.target) or "", function)
        wanted = self._alias(model, function)
        if toggled == wanted or self._ctx.roles.is_loss_module(wanted):
            return False  # a loss module (`criterion(y_pred, y)` after `model.eval()`) has no mode to set
        if function is not None and self._held_apart(function, toggled, wanted):
            return True
        if not (toggled.isidentifier() and wanted.isidentifier()):
            return False
        if function is not None:
            names = {param.name.value for param in function.params.params}
            rebound = any(
                binding.kind != "parameter" and self._ctx.enclosing_function(binding.node) is function
                for name in (toggled, wanted)
                for binding in self._ctx.bindings.of(name)
            )
            if {toggled, wanted} <= names:
                # A parameter rebound in the function (`model = GCNInference(weights)`) is another object.
                return not rebound and self._passed_apart(function, toggled, wanted)
        return all(self._built_once(name, function) for name in (toggled, wanted))

    def _held_apart(self, function: cst.FunctionDef, first: str, second: str) -> bool:
        """Whether two attributes of the object a method runs on (`self.model`, `self.global_model`) hold
        two networks of their own: the class and its project base classes bind each (at least once) only
        to a new module or a copy of one (`copy.deepcopy(args.model)`, `_built_or_copied`), never from the
        other attribute (PFLlib's clientKD: the client's model and its distillation partner, both deep
        copies of the model its arguments carry). Switching one then says nothing of the other."""
        attrs = [name[5:] for name in (first, second) if name.startswith("self.")]
        if len(attrs) != 2 or not all(attr.isidentifier() for attr in attrs):
            return False
        cls = self._ctx.enclosing_class(function)
        hierarchy = class_hierarchy(Resolved(self._ctx, cls)) if cls is not None else None
        if not hierarchy:
            return False
        for attr, other in (attrs, attrs[::-1]):
            found = False
            for owner in hierarchy:
                for value in _attribute_assignments(owner, attr):
                    if any(dotted_name(inner) == f"self.{other}" for inner in _attributes_in(value)):
                        return False
                    if not _built_or_copied(owner.ctx, value):
                        return False
                    found = True
            if not found:
                return False
        return True

    def _built_once(self, name: str, function: cst.FunctionDef | None) -> bool:
        """Whether a name is bound once in the file, in `function`'s own scope, by the constructor call
        that gives it its role (`encoder = Encoder()`): a module of its own."""
        values = self._ctx.bindings.assigned(name)
        return (
            len(values) == 1
            and isinstance(values[0], cst.Call)
            and self._ctx.roles.constructor(name) is values[0]
            and self._ctx.enclosing_function(values[0]) is function
        )

    def _passed_apart(self, function: cst.FunctionDef, first: str, second: str) -> bool:
        """Whether every call of `function` in this file (one at least) passes different plain names for
        its parameters `first` and `second`, neither a submodule of the other (`test(model, predictor)`,
        not `test(model, model.head)`)."""
        summary = self._ctx.summaries.of(function)
        if summary is None:
            return False
        loops = self._ctx.loops
        calls = [call for call in self._ctx.index.nodes(cst.Call) if loops.helper_called(call) is function]
        for call in calls:
            passed = summary.arguments(call) or {}
            names = [
                model_key(dotted_name(passed[name])) if name in passed else None for name in (first, second)
            ]
            a, b = names
            if a is None or b is None or a == b or a.startswith(f"{b}.") or b.startswith(f"{a}."):
                return False
        return bool(calls)

    def _alias(self, name: str, function: cst.FunctionDef | None) -> str:
        """What a local name of `function` aliases when it is bound from a plain dotted name
        (`model = context.model`), once or on every branch alike (`if fp16: net = model.half() else: net =
        model.float()`): the aliased name, else the name itself. Asks the binding model for the
        single-target assignments of the name in `function`."""
        key = (name, function)
        if key not in self._alias_cache:
            ctx = self._ctx
            values = [
                binding.value
                for binding in ctx.bindings.of(name)
                if binding.kind == "assign"
                and len(binding.node.targets) == 1  # type: ignore[attr-defined]
                and ctx.enclosing_function(binding.node) is function
            ]
            aliased = None
            if values and name.isidentifier() and all(value is not None for value in values):
                sources = {dotted_name(moved_module(value)) for value in values}
                aliased = sources.pop() if len(sources) == 1 else None
            self._alias_cache[key] = aliased if aliased is not None else name
        return self._alias_cache[key]

    def _built_in(self, model: str, function: cst.FunctionDef | None, depth: int = 0) -> bool:
        """Whether `model` is constructed in this same body: a new module is in training mode.
        (`from_pretrained` models come back in eval mode, and loaded ones in whatever mode they were saved.)
        """
        constructor = self._ctx.roles.constructor(model) or self._built_from_project_class(model, function)
        if constructor is None or self._ctx.enclosing_function(constructor) is not function:
            return False
        # `X.from_pretrained(path).to(device)`: the `.to(...)` hands back what `from_pretrained` built.
        built = moved_module(constructor)
        source = dotted_name(built) if not isinstance(built, cst.Call) else None
        if source is not None and source != model:
            # `model_eval = model_train.eval()` (bubbliiiing's YOLO fit loops): another name's module
            # handed back by one of its own methods, built here only if that name's was.
            return depth < 2 and self._built_in(source, function, depth + 1)
        call = built if isinstance(built, cst.Call) else constructor
        return not _from_pretrained(self._ctx.callee(call) or self._ctx.dotted(call.func))

    def _built_from_project_class(self, model: str, function: cst.FunctionDef | None) -> cst.Call | None:
        """The constructor call of a model class of the project that `model` is bound from, once, in
        `function`'s own scope (`model = Tacotron(...).to(device)` in a feature-export script that never
        trains and so never looks project calls up for its roles: ForwardTacotron's
        train_tacotron_new.py); None for anything else (a factory, a name bound twice, a library class)."""
        from nnlint.engine.summaries import is_model_class

        values = [
            binding.value
            for binding in self._ctx.bindings.of(model)
            if binding.kind == "assign" and self._ctx.enclosing_function(binding.node) is function
        ]
        if len(values) != 1 or values[0] is None:
            return None
        call = moved_module(values[0])
        if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Name):
            return None
        cls = resolve_call(self._ctx, call)
        if cls is None or not isinstance(cls.node, cst.ClassDef) or not is_model_class(cls):
            return None
        return call

    def _mode_free(self, model: str, function: cst.FunctionDef | None = None) -> bool:
        """Whether every value the file binds the model's name to (`model = Net(...).to(device)`) builds a
        class of this file or project that behaves the same in both modes (`mode_free_class`). For
        `self.<attr>` run in a method of `function`'s class, the values that class binds it to, when it
        binds it itself (`_own_attribute_values`)."""
        values = self._own_attribute_values(model, function)
        if values is None:
            values = self._ctx.bindings.assigned(model)
        values = [value for value in values if not self._rebinds(value, model)]
        return bool(values) and all(self._builds_mode_free(value) for value in values)

    def _own_attribute_values(
        self, model: str, function: cst.FunctionDef | None
    ) -> list[cst.BaseExpression] | None:
        """The values the class of `function` binds `self.<attr>` to, every binding known; None when the
        model is no such attribute or the class binds it nowhere (a base class may). Another class of the
        file keeps its own object under the same name: NVFlare's fed-bpt `LMForwardAPI` builds
        `self.linear = torch.nn.Linear(...)`, a sibling class shares `self.linear = baseAPI.linear`, and
        that unknown value says nothing of the layer the first class runs."""
        attr = model[len("self.") :] if model.startswith("self.") else ""
        cls = self._ctx.enclosing_class(function) if function is not None and attr.isidentifier() else None
        return attribute_values(self._ctx, cls, attr) if cls is not None else None

    def parameter_free(self, model: str) -> bool:
        """Whether every value the file binds the model's name to builds a project class that holds no
        parameter and no submodule (`parameter_free_class`): running it records no graph of its own."""
        if model not in self._parameter_free:
            values = [
                value for value in self._ctx.bindings.assigned(model) if not self._rebinds(value, model)
            ]
            self._parameter_free[model] = bool(values) and all(self._builds_parameter_free(v) for v in values)
        return self._parameter_free[model]

    def _builds_parameter_free(self, value: cst.BaseExpression) -> bool:
        while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):
            if value.func.attr.value not in SELF_RETURNING_METHODS:
                break
            value = value.func.value  # `.cuda()`, `.to(device)`: the same module
        cls = resolve_call(self._ctx, value) if isinstance(value, cst.Call) else None
        return cls is not None and isinstance(cls.node, cst.ClassDef) and parameter_free_class(cls)

    @staticmethod
    def _rebinds(value: cst.BaseExpression, model: str) -> bool:
        """`model = model.to(device)`: the same module bound again, no new one."""
        value = moved_module(value)
        return isinstance(value, cst.Name) and value.value == model

    def _builds_mode_free(self, value: cst.BaseExpression) -> bool:
        while isinstance(value, cst.Call):
            func = value.func
            if isinstance(func, cst.Attribute) and func.attr.value in SELF_RETURNING_METHODS:
                value = func.value  # `.to(device)`, `.double()`: the same model
            elif self._ctx.callee_in(value, MODEL_WRAPPERS) and value.args:
                value = value.args[0].value  # `torch.compile(model)`, `DataParallel(model)`
            elif self._ctx.callee(value) == SEQUENTIAL:
                return mode_free_sequential(self._ctx, value)
            elif self._ctx.callee(value) in MODE_FREE_LAYERS or self._ctx.callee(value) in MODE_FREE_UNLESS:
                return _mode_free_element(self._ctx, value, 0)  # `self.W_h = nn.Linear(d, d)`
            else:
                cls = resolve_call(self._ctx, value)
                if cls is None or not isinstance(cls.node, cst.ClassDef):
                    return False
                # A wrapper whose networks its constructor switches to eval runs in eval mode while
                # nothing in the file switches anything to training.
                return mode_free_class(cls) or (".train(" not in self._ctx.source and eval_built_class(cls))
        return False

    def _body_events(self, function: cst.FunctionDef | None) -> list[Event]:
        if function is not None:
            return self._ctx.loops.function_events(function)
        return self._module_events

    @cached_property
    def _module_events(self) -> list[Event]:
        return self._ctx.loops.events_of_body(self._ctx.module)

    @cached_property
    def _trained_models(self) -> set[str]:
        """Models whose forward feeds a backward in some training loop, or that a training step of the loop
        trains (a wrapper's `model.train_step(batch)`, another module's `train_step(net, optimizer, ...)`),
        built here (not `from_pretrained`, which returns a model in eval mode)."""
        found: set[str] = set()
        for loop in self._ctx.loops.loops:
            for step in loop.of_kind(EventKind.TRAIN_STEP):
                # `dnn_training_step(DNN, DNN_optimizer, ...)`: a helper's training step of the model.
                model = model_key(step.target)
                if model and not _from_pretrained(self._ctx.roles.constructor_name(model)):
                    found.add(self._alias(model, loop.function))
            if not loop.of_kind(EventKind.BACKWARD):
                continue
            for event in loop.of_kind(EventKind.FORWARD):
                model = model_key(event.target)
                if not model or self._evaluates(event):
                    continue
                if not _from_pretrained(self._ctx.roles.constructor_name(model)):
                    found.add(self._alias(model, loop.function))
        return found

    # -- training in evaluation mode ----------------------------------------------------------------

    def resumes_in_eval_mode(self) -> list[cst.CSTNode]:
        """The `eval()` calls still in force when training resumes: in a loop that trains and evaluates,
        run over two iterations, a model switched to eval, evaluated, then run for a training step. The
        loops include those of a project base class whose iteration runs this file's overrides
        (`TrainingLoops.inherited_loops`: a `Trainer` whose `_train_epoch` never calls `train()`)."""
        found: list[cst.CSTNode] = []
        loops = self._ctx.loops
        for loop in (*loops.loops, *loops.inherited_loops):
            node = self._resumes(loop)
            if node is not None and node not in found:
                found.append(node)
        return found

    def _resumes(self, loop: Loop) -> cst.CSTNode | None:
        events = loop.events
        if not _trains(events) or not any(event.kind is EventKind.EVAL for event in events):
            return None
        mode: dict[str, str] = {}
        set_by: dict[str, Event] = {}
        evaluated: set[str] = set()
        rebuilt = self._rebuilt_each_iteration(loop)
        for _ in range(2):
            for model in rebuilt:  # a new module each iteration: nothing carries over from the last one
                mode.pop(model, None)
                evaluated.discard(model)
            for position, event in enumerate(events):
                model = model_key(event.target)
                if model is None:
                    continue
                model = self._alias(model, loop.function)
                if event.kind is EventKind.EVAL and (
                    self._other_branch_trains(event, events, model, loop) or self._flag_mode(event)
                ):
                    mode[model] = UNKNOWN  # `if phase == 'train': model.train() else: model.eval()`
                    evaluated.discard(model)
                elif event.kind is EventKind.EVAL:
                    mode[model], set_by[model] = EVAL, event
                    evaluated.discard(model)
                elif event.kind is EventKind.TRAIN:
                    mode[model] = TRAIN
                elif event.kind is EventKind.TRAIN_STEP and mode.get(model) == EVAL and model in evaluated:
                    if not self._mode_free(model):
                        return set_by[model].node  # `model.train_emb(*batch)`: a wrapper's training step
                elif event.kind is EventKind.FORWARD and mode.get(model) == EVAL:
                    if self._evaluates(event):
                        evaluated.add(model)
                    elif model in evaluated and _trains(events[position + 1 :]):
                        # eval() changes nothing in a mode-free model; a part switched back to train
                        # (`model.heads[-1].train()`) is trained with the rest kept in eval on purpose.
                        if not self._mode_free(model) and not self._parts_trained(loop, model):
                            return set_by[model].node
                    elif (
                        self._stepped_after(events[position + 1 :], model, loop)
                        and not self._mode_free(model)
                        and not self._parts_trained(loop, model)
                        and not self._freezes(model)
                    ):
                        self._trained_in_eval.add(set_by[model].node)
                        return set_by[model].node  # `model.eval()` at the top of the training epoch
        return None

    def _rebuilt_each_iteration(self, loop: Loop) -> set[str]:
        """Models the loop's body builds afresh, directly or in a helper it calls (a few calls deep):
        `model = build_model(args)` per seed, `self._setup_model()` assigning `self.model = SEAL(...)` per
        round of active learning. Each iteration then starts with a new module in training mode."""
        found: set[str] = set()
        pending: list[tuple[cst.CSTNode, int]] = [(loop.node, 0)]
        seen: set[cst.CSTNode] = set()
        while pending:
            root, depth = pending.pop()
            if root in seen:
                continue
            seen.add(root)
            for node in own_nodes(root.body if isinstance(root, (cst.For, cst.While)) else root):
                if isinstance(node, cst.Assign) and _builds_fresh(self._ctx, node.value):
                    # In a helper only the object's attributes are the caller's names, not its locals.
                    names = [name for name in assigned_names(node) if depth == 0 or name.startswith("self.")]
                    found.update(model_key(name) or name for name in names)
                elif isinstance(node, cst.Call) and depth < _MAX_CALLER_DEPTH:
                    helper = self._ctx.loops.helper_called(node)
                    if helper is not None:
                        pending.append((helper, depth + 1))
        return {self._alias(model, loop.function) for model in found}

    def trains_in_eval_mode(self, toggle: cst.CSTNode) -> bool:
        """For an `eval()` `resumes_in_eval_mode` found: whether no evaluation ran under it at all (the
        `eval()` sits right before the training step it spoils)."""
        return toggle in self._trained_in_eval

    def _parts_trained(self, loop: Loop, model: str) -> bool:
        """`model.eval(); model.head.train()` in the loop: parts of the model kept in each mode on purpose
        (BatchNorm frozen in the backbone, the head trained), also an element of a part:
        `self.model.heads[-1].train()` (FACIL's head warm-up, whose optimizer holds the last head only)."""
        prefix = f"{model}."
        for call in self._ctx.index.nodes(cst.Call):
            func = call.func
            if isinstance(func, cst.Attribute) and func.attr.value == "train":
                part = func.value
                while type(part) is cst.Subscript:
                    part = part.value
                owner = dotted_name(part) or ""
                if owner.startswith(prefix) and _within(self._ctx, call, loop.node):
                    return True
        return False

    def _freezes(self, model: str) -> bool:
        """Whether the file turns off gradients for some of the model's parameters (`for name, p in
        model.named_parameters(): if ...: p.requires_grad = False`, `model.backbone.requires_grad_(False)`):
        the optimizer then trains only the rest, and an `eval()` in force keeps the frozen part's BatchNorm
        fixed on purpose (linear probing: MoCo's and SimSiam's `main_lincls.py`)."""
        if "requires_grad" not in self._ctx.source:
            return False
        prefix = f"{model}."
        for call in self._ctx.index.nodes(cst.Call):
            func = call.func
            if not isinstance(func, cst.Attribute):
                continue
            owner = model_key(dotted_name(func.value)) or ""
            if owner != model and not owner.startswith(prefix):
                continue
            if func.attr.value == "requires_grad_" and call.args and is_false(call.args[0].value):
                return True
            if func.attr.value in ("parameters", "named_parameters"):
                loop = self._ctx.index.parent(call)
                if isinstance(loop, cst.For) and loop.iter is call and _sets_requires_grad_false(loop):
                    return True
        return False

    def _stepped_after(self, events: Sequence[Event], model: str, loop: Loop) -> bool:
        """Whether a training step follows a forward of `model` before any mode switch: a backward, then
        the step of an optimizer built over `model.parameters()` itself. The step proves the model is the
        one being trained (an `eval()`'d discriminator run inside the generator's step, or a frozen
        backbone under a head with its own optimizer, is not stepped: deliberate)."""
        backward = False
        for event in events:
            if event.kind in (EventKind.EVAL, EventKind.TRAIN):
                return False
            if event.kind is EventKind.BACKWARD:
                backward = True
            elif event.kind is EventKind.STEP and backward and event.target:
                owners = self._ctx.roles.models_of(event.target)
                stepped = {self._alias(name, loop.function) for name in owners}
                if model in stepped:
                    return True
        return False

    def _flag_mode(self, toggle: Event) -> bool:
        """Whether `toggle` (an `eval()`) sits in a helper under `if <flag>:` (`if self.is_test:
        self.dqn.eval()` in an agent's `select_action`, which training and testing share): the flag, set
        outside the loop, decides the mode, which the simulation cannot tell. A flag around the call of
        the helper instead (`if self.do_validation: self._valid_epoch(epoch)`) only says whether an
        evaluation runs: when it does, its `eval()` is in force after it like any other."""
        guard = toggle.guard
        if not toggle.via or guard is None:
            return False
        block = self._ctx.index.parent(guard)
        return (
            isinstance(block, cst.If)
            and block.body is guard
            and type(block.test) in (cst.Name, cst.Attribute)
            and self._ctx.enclosing_function(block) is self._ctx.enclosing_function(toggle.node)
        )

    def _other_branch_trains(self, toggle: Event, events: Sequence[Event], model: str, loop: Loop) -> bool:
        """Whether `toggle` (an `eval()`) is one branch of a per-phase switch whose other branch puts the
        same model in training mode: `if phase == 'train': model.train() else: model.eval()`, or the
        conditional expression `model.train() if training else model.eval()`. The mode then follows the
        phase, which the simulation cannot tell: each iteration picks its own."""
        trains = [
            event.node
            for event in events
            if event.kind is EventKind.TRAIN
            and event.target is not None
            and self._alias(model_key(event.target) or "", loop.function) == model
        ]
        if not trains:
            return False
        previous: cst.CSTNode = toggle.node
        for ancestor in self._ctx.index.ancestors(toggle.node):
            if ancestor is loop.node:
                return False
            other: cst.CSTNode | None = None
            if isinstance(ancestor, (cst.If, cst.IfExp)):
                if previous is ancestor.body:
                    other = ancestor.orelse
                elif previous is ancestor.orelse:
                    other = ancestor.body
            if other is not None and any(_within(self._ctx, node, other) or node is other for node in trains):
                return True
            previous = ancestor
        return False

    def _evaluates(self, forward: Event) -> bool:
        """A forward pass that is evaluation, not training: without gradients or in an eval function."""
        return (
            forward.no_grad
            or self._ctx.evaluation.in_eval_function(forward)
            or self._ctx.gradients.under_no_grad(forward.node)
        )


# Words of a callee that may give back a module in whatever mode it was saved or set in.
_LOADING_WORDS = frozenset({"load", "loaded", "pretrained", "restore", "checkpoint", "copy", "deepcopy"})


def _may_rebind(module: FileContext, name: str, attr: str) -> bool:
    """Whether a module that names the class `name` may bind the `.<attr>` of one of its objects: it
    assigns `<object>.<attr>` on something other than `self`, or `self.<attr>` in a class that names
    `name` among its bases (a subclass). A same-named class of another backend (deepmd's `DeepEval` of
    its JAX and NumPy backends, each setting its own `self.dp`) and a test module (`cls.dp =
    DeepEval(...)` on a test class) leave the objects of this class alone."""
    if is_test_module(module.path, module.source, folders=True):
        return False
    assigned = re.compile(rf"(?<!\bself)\.{re.escape(attr)}\s*=(?!=)")
    if assigned.search(module.source):
        return True
    subclass = re.compile(rf"^\s*class\s+\w+\s*\([^)]*\b{re.escape(name)}\b", re.MULTILINE)
    return subclass.search(module.source) is not None


def _container_of(attr: str) -> str:
    """`q_nets[0]` -> `q_nets`: the attribute a subscripted element is held in; other names unchanged."""
    head, bracket, _ = attr.partition("[")
    return head if bracket and attr.endswith("]") else attr


def _attribute_facts(owner: Resolved, attr: str) -> bool | None:
    """What a class does with its `self.<attr>` model: None when a method switches it (or a local name,
    which may alias it) to eval, or binds it to anything but a fresh module (or a list of fresh modules)
    or a wrapper of itself; else whether its `__init__`, or a method that then trains it (a synthesizer's
    `fit`: `self.generator = Generator(...)`, then its training loop), builds it fresh. Either way the
    module is in training mode whenever it exists."""
    ctx, node = owner.ctx, owner.node
    wanted = f"self.{attr}"
    for call in ctx.index.nodes(cst.Call):
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in ("eval", "train"):
            continue
        if func.attr.value == "train" and (not call.args or _is_true(call.args[0].value)):
            continue  # `train()` keeps training mode
        if not _within(ctx, call, node):
            continue
        receiver = dotted_name(func.value)
        if receiver is None:
            if isinstance(func.value, cst.Call) and words(dotted_name(func.value.func) or "")[-1:] in (
                ["deepcopy"],
                ["copy"],
            ):
                continue  # `deepcopy(self.model).eval()`: a copy (an EMA model) is switched
            return None
        key = model_key(receiver) or ""
        if receiver == "self" or (key.startswith("self.") and key != wanted):
            continue  # the wrapper's own method, or another attribute
        return None
    fresh = False
    for assign in ctx.index.nodes(cst.Assign):
        if not any(dotted_name(target.target) == wanted for target in assign.targets):
            continue
        if not _within(ctx, assign, node):
            continue
        value = assign.value
        if any(dotted_name(inner) == wanted for inner in _attributes_in(value)):
            continue  # `self.model = DataParallel(self.model)`: the same module, wrapped
        elements = _comprehended(value)
        if not elements or not all(_builds_fresh(ctx, element) for element in elements):
            return None
        function = ctx.enclosing_function(assign)
        fresh = fresh or (
            function is not None
            and (
                function.name.value == "__init__"
                or _called_from_init(ctx, node, function.name.value)
                or _trains(ctx.loops.function_events(function))
            )
        )
    return fresh


# How many calls of the class's own methods deep a training method's last mode switch is looked for.
_MAX_TRAINER_DEPTH = 3
# Name words of a method that sets its object's mode for its users (`def eval(self)`, `set_mode`).
_MODE_SETTER_WORDS = frozenset({"eval", "mode"})


def trainer_exits(cls: Resolved, attr: str) -> dict[str, frozenset[str]]:
    """The public methods of a class that is no model (its own or a project base class's, as the class
    sees them) that train the network it holds in `self.<attr>` and may leave it in training mode
    (`_exit_mode`), each with the names of the class's methods it calls (`self.name(...)`, through the
    methods it calls). Empty when the class's hierarchy is not all in the project, when the network is
    handed in rather than built by the class (`_built_by_the_class`), when a method named
    for setting modes switches the network to eval (a mode setter its users call), and when code outside
    the class switches `.<attr>` to eval (`learner.model.eval()` in the scripts that call
    `learner.infer(...)`, InsightFace's face_verify.py): the users then set the mode themselves."""
    hierarchy = class_hierarchy(cls)
    if hierarchy is None or not any(f".{attr}.train(" in owner.ctx.source for owner in hierarchy):
        return {}  # cheap: nothing in the class switches the network to training mode
    if not _built_by_the_class(hierarchy, attr):
        return {}  # a network the users hand in, they may switch themselves (`net.eval()`)
    names = {
        statement.name.value
        for owner in hierarchy
        for statement in _class_statements(owner.node)  # type: ignore[arg-type]
        if isinstance(statement, cst.FunctionDef) and not statement.name.value.startswith("_")
    }
    found: dict[str, frozenset[str]] = {}
    for name in sorted(names):
        method = method_of(cls, name)
        if method is None or not isinstance(method.node, cst.FunctionDef):
            continue
        mode, trains, called = _exit_mode(cls, method, attr, 0)
        if set(words(name)) & _MODE_SETTER_WORDS and mode == EVAL:
            return {}
        if mode == TRAIN and trains:
            found[name] = called
    if found and _switched_outside(cls.ctx, attr):
        return {}
    return found


def _built_by_the_class(hierarchy: list[Resolved], attr: str) -> bool:
    """Whether the classes of a hierarchy build the network they keep in `self.<attr>` themselves: some
    assignment builds a fresh module (`self.model = _SAITS(...)`, `_builds_fresh`), and every other one
    is a placeholder (`None`) or the same module moved or wrapped (`DataParallel(self.model)`). A network
    handed in (`self.model = model`) is also held by its users, who may switch it to eval themselves
    under another name."""
    wanted = f"self.{attr}"
    fresh = False
    for owner in hierarchy:
        ctx = owner.ctx
        for value in _attribute_assignments(owner, attr):
            if isinstance(value, cst.Name) and value.value == "None":
                continue
            if any(dotted_name(inner) == wanted for inner in _attributes_in(value)):
                continue  # `self.model = self.model.to(device)`: the same module
            # A copy (`copy.deepcopy(args.model)`) is a module no one else holds, as a new one is.
            if not all(_built_or_copied(ctx, element) for element in _comprehended(value)):
                return False
            fresh = True
    return fresh


def _attribute_assignments(owner: Resolved, attr: str) -> list[cst.BaseExpression]:
    """The values a class binds `self.<attr>` to in its own body (plain assignments)."""
    ctx, wanted = owner.ctx, f"self.{attr}"
    return [
        assign.value
        for assign in ctx.index.nodes(cst.Assign)
        if any(dotted_name(target.target) == wanted for target in assign.targets)
        and _within(ctx, assign, owner.node)
    ]


def _built_or_copied(ctx: FileContext, value: cst.BaseExpression) -> bool:
    """A new module (`_builds_fresh`), or a deep copy of one (`copy.deepcopy(args.model).to(device)`): a
    module that only the object that binds it holds."""
    moved = moved_module(value)
    if isinstance(moved, cst.Call) and ctx.callee_in(moved, MODEL_COPIES) and moved.args:
        return True
    return _builds_fresh(ctx, value)


def _exit_mode(
    cls: Resolved, method: Resolved, attr: str, depth: int
) -> tuple[str | None, bool, frozenset[str]]:
    """What one call of `method` (run on an instance of `cls`) leaves `self.<attr>` in: TRAIN when its
    last switch that always runs (its own, or one a method of the class it calls always makes) is
    `train()` and some run of the method skips every later switch (`_skippable`); EVAL when its last
    switch always runs and is `eval()`; None when it switches nothing, or the answer is unclear. Also
    whether it trains (a backward, an optimizer step) and the class's methods it calls. The class's
    methods of other modules (a base class's `self._train_model(...)`) are followed."""
    ctx, node = method.ctx, method.node
    assert isinstance(node, cst.FunctionDef)
    events = ctx.loops.function_events(node)
    trains = any(event.kind in (EventKind.BACKWARD, EventKind.STEP, EventKind.TRAIN_STEP) for event in events)
    own = {id(item) for item in own_nodes(node) if type(item) is cst.Call}
    calls = [call for call in ctx.index.nodes(cst.Call) if id(call) in own]  # in the order they are written
    order = {id(call): position for position, call in enumerate(calls)}
    # (order, mode, the node in this method that makes it, the node in a helper of this file that makes it)
    steps: list[tuple[int, str, cst.CSTNode, cst.CSTNode | None]] = []
    wanted = f"self.{attr}"
    for event in events:
        if event.kind not in (EventKind.EVAL, EventKind.TRAIN):
            continue
        target = model_key(event.target)
        if target is None or target == "self":
            return UNKNOWN, trains, frozenset()  # a network that cannot be named, or the wrapper's own mode
        if target == wanted:
            mode = EVAL if event.kind is EventKind.EVAL else TRAIN
            inner = event.node if event.node is not event.site else None
            steps.append((order.get(id(event.site), -1), mode, event.site, inner))
    called: set[str] = set()
    for call in calls:
        func = call.func
        if type(func) is not cst.Attribute or dotted_name(func.value) != "self" or func.attr.value == attr:
            continue
        called.add(func.attr.value)
        if ctx.loops.helper_called(call) is not None:
            continue  # a method of this file: its events are among `events` already
        callee = method_of(cls, func.attr.value)
        if callee is None or not isinstance(callee.node, cst.FunctionDef) or depth >= _MAX_TRAINER_DEPTH:
            continue
        mode, trained, further = _exit_mode(cls, callee, attr, depth + 1)
        trains = trains or trained
        called |= further
        if mode is not None:
            steps.append((order[id(call)], mode, call, None))
    steps.sort(key=lambda step: step[0])
    anchors = [step[2] for step in steps]
    certain = [
        position
        for position, (_, _, anchor, inner) in enumerate(steps)
        if not _conditional(ctx, anchor, node) and (inner is None or not _conditional(ctx, inner, None))
    ]
    if not certain:
        return None, trains, frozenset(called)
    last = certain[-1]
    mode = steps[last][1]
    later = steps[last + 1 :]
    if mode == TRAIN and all(
        _skippable(ctx, anchor, node, anchors) or (inner is not None and _skippable(ctx, inner, None, []))
        for _, _, anchor, inner in later
    ):
        return TRAIN, trains, frozenset(called)
    if mode == EVAL and not later:
        return EVAL, trains, frozenset(called)
    return None, trains, frozenset(called)


def _conditional(ctx: FileContext, node: cst.CSTNode, function: cst.FunctionDef | None) -> bool:
    """Whether `node` sits under an `if`, `else` or `except` of its function (`function`, else the
    nearest one around it)."""
    for ancestor in ctx.index.ancestors(node):
        if ancestor is function or type(ancestor) is cst.FunctionDef:
            return False
        if type(ancestor) in (cst.If, cst.Else, cst.ExceptHandler, cst.IfExp):
            return True
    return False


def _skippable(
    ctx: FileContext, node: cst.CSTNode, function: cst.FunctionDef | None, switches: list[cst.CSTNode]
) -> bool:
    """Whether some run of the function around `node` (a mode switch) skips it and every other switch of
    `switches` in the same `if`: it sits in an `except` handler, or in one branch of an `if` whose other
    branch (or the missing `else`) holds none of them (PyPOTS: `if val_loader is not None:
    self.model.eval(); ...` `else: logger.info(...)`)."""
    previous = node
    for ancestor in ctx.index.ancestors(node):
        if ancestor is function or type(ancestor) is cst.FunctionDef:
            return False
        if type(ancestor) is cst.ExceptHandler:
            return True
        if type(ancestor) is cst.If:
            other = ancestor.orelse if previous is ancestor.body else ancestor.body
            if other is None or not any(
                any(outer is other for outer in ctx.index.ancestors(switch)) for switch in switches
            ):
                return True
        previous = ancestor
    return False


def _switched_outside(ctx: FileContext, attr: str) -> bool:
    """Whether some module that is no test switches the `.<attr>` of an object other than `self` to eval
    (`learner.model.eval()`, `self.imputer.model.eval()`): the users of the class may set the mode
    themselves. A `self.<attr>.eval()` is the class's own (analysed) or another class's (another object).
    True when that cannot be told (a project too large to scan)."""
    from nnlint.engine.project import STORE, paths_mentioning

    switch = re.compile(rf"(?<!\bself)\.{re.escape(attr)}\.(?:eval\(|train\((?:mode=)?False)")
    if switch.search(ctx.source) and not is_test_module(ctx.path, ctx.source, folders=True):
        return True
    if ctx.real_path is None:
        return False
    for text in (f".{attr}.eval(", f".{attr}.train("):
        paths = paths_mentioning(ctx, text)
        if paths is None:
            return True
        for path in paths:
            data = STORE.text(path)
            source = data.decode("utf-8", "replace") if data is not None else ""
            if switch.search(source) and not is_test_module(str(path), source, folders=True):
                return True
    return False


def _called_from_init(ctx: FileContext, cls: cst.CSTNode, method: str) -> bool:
    """Whether the class's `__init__` calls `self.<method>()` itself (`self.setup_model()` building the
    network in a helper): the method runs whenever an object is made."""
    for statement in _class_statements(cls) if isinstance(cls, cst.ClassDef) else ():
        if not (isinstance(statement, cst.FunctionDef) and statement.name.value == "__init__"):
            continue
        return any(
            isinstance(call.func, cst.Attribute)
            and call.func.attr.value == method
            and dotted_name(call.func.value) == "self"
            and _within(ctx, call, statement)
            for call in ctx.index.nodes(cst.Call)
        )
    return False


def _comprehended(value: cst.BaseExpression) -> list[cst.BaseExpression]:
    """What a value builds, element by element: the element of a list comprehension (`[QNet(...) for _
    in range(n)]`), the elements of a list or tuple display, else the value itself."""
    if isinstance(value, (cst.ListComp, cst.GeneratorExp)):
        return [value.elt]
    if isinstance(value, (cst.List, cst.Tuple)):
        return [element.value for element in value.elements if not isinstance(element, cst.StarredElement)]
    return [value]


def _attributes_in(value: cst.BaseExpression) -> list[cst.Attribute]:
    found: list[cst.Attribute] = []
    stack: list[cst.CSTNode] = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Attribute):
            found.append(current)
        stack.extend(current.children)
    return found


def _builds_fresh(ctx: FileContext, value: cst.BaseExpression) -> bool:
    """Whether a value builds a new module: a call of a project model class, or of a project factory that
    never calls `eval()`, through `.to(device)`-like methods and wrappers; nothing named for loading."""
    from nnlint.engine.summaries import is_model_class

    while isinstance(value, cst.Call):
        func = value.func
        if isinstance(func, cst.Attribute) and func.attr.value in SELF_RETURNING_METHODS:
            value = func.value
        elif ctx.callee_in(value, MODEL_WRAPPERS) and value.args:
            value = value.args[0].value
        else:
            break
    if not isinstance(value, cst.Call) or set(words(dotted_name(value.func) or "load")) & _LOADING_WORDS:
        return False
    if _library_module(ctx.callee(value)):
        return True
    built = resolve_call(ctx, value)
    if built is None:
        return False
    if isinstance(built.node, cst.ClassDef):
        # A plain project class that holds a network is no module itself: the mode of what it holds is its
        # own code's business (verl's retriever `Encoder` loads `self.model` and calls `self.model.eval()`).
        return is_model_class(built)
    return not _switches_inside(built)  # a factory: new in training mode unless it switches to eval


def _switches_inside(built: Resolved) -> bool:
    """Whether a project function or class calls `.eval()` on anything inside its own body."""
    return any(
        isinstance(call.func, cst.Attribute)
        and call.func.attr.value == "eval"
        and _within(built.ctx, call, built.node)
        for call in built.ctx.index.nodes(cst.Call)
    )


def _library_module(qualified: str | None) -> bool:
    """A torch.nn module class (`nn.Sequential(...)`, `nn.LSTM(...)`) or a torchvision model builder
    (`models.resnet18(num_classes=3)`): a new module, in training mode like every new module."""
    if not qualified:
        return False
    if qualified.startswith("torchvision.models."):
        return True
    last = qualified.rsplit(".", 1)[-1]
    return (
        qualified.startswith("torch.nn.")
        and last[:1].isupper()
        and not qualified.startswith(("torch.nn.functional.", "torch.nn.init.", "torch.nn.parameter."))
        and last != "Parameter"
    )


def _sets_requires_grad_false(loop: cst.For) -> bool:
    """Whether a loop's body assigns `<something>.requires_grad = False`."""
    stack: list[cst.CSTNode] = [loop.body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Assign) and is_false(node.value):
            if any(
                isinstance(target.target, cst.Attribute) and target.target.attr.value == "requires_grad"
                for target in node.targets
            ):
                return True
        stack.extend(children(node))
    return False


def _is_true(value: cst.BaseExpression) -> bool:
    return isinstance(value, cst.Name) and value.value == "True"


def _from_pretrained(callee: str | None) -> bool:
    return (callee or "").endswith("from_pretrained")


# -- mode-free models -----------------------------------------------------------------------------------
# How many nested classes and helper functions one mode-free question may look through.
_MAX_MODE_DEPTH = 8
_BUILTINS = frozenset(dir(builtins))


def mode_free_class(cls: Resolved, seen: frozenset[cst.CSTNode] = frozenset()) -> bool:
    """Whether a model class certainly behaves the same in train and eval mode.

    True only when everything it (and its project base classes) is made of is visible and mode-free: its
    bases are `nn.Module` or such classes; every call in its body is a torch.nn layer known to ignore the
    mode (`MODE_FREE_LAYERS`, `MODE_FREE_UNLESS` with the mode-dependent argument off), a plain `torch.*` or
    `torch.nn.functional.*`/`torch.nn.init.*` function that is not mode-dependent, a numpy or math
    function, a builtin, a method of
    a local value (a tensor's), or a project class or function that passes the same test; it never
    reads `.training` nor overrides `train()`/`eval()`; and it builds at least one layer itself, through
    a base, or through a project class it builds (a transformer's `EncoderLayer` made of an attention
    block and a feed-forward block; an empty stub is unknown). Anything else (a library model, an unresolved
    class, a registry) answers False: unknown keeps NN404 reporting.
    """
    node = cls.node
    if not isinstance(node, cst.ClassDef) or node in seen or len(seen) >= _MAX_MODE_DEPTH:
        return False
    if parameter_free_class(cls):
        return True
    seen = seen | {node}
    builds = any(
        cls.ctx.callee(call) in MODE_FREE_LAYERS or cls.ctx.callee(call) in MODE_FREE_UNLESS
        for call in cls.ctx.index.nodes(cst.Call)
        if _within(cls.ctx, call, node)
    ) or _builds_project_class(cls.ctx, node)
    for base in node.bases:
        qualified = cls.ctx.qualified_name(base.value)
        if qualified in MODEL_MODULE_BASES:
            continue
        parent = (
            resolve_name(cls.ctx, base.value.value, node) if isinstance(base.value, cst.Name) else None
        ) or (cls.ctx.project.resolve_qualified(qualified) if qualified else None)
        if parent is None or not mode_free_class(parent, seen):
            return False
        builds = True
    if not builds:
        return False  # a stub (`pass`) or a model whose layers come from elsewhere: unknown
    if any(
        isinstance(method, cst.FunctionDef)
        and method.name.value in ("train", "eval")
        and not _extends_switch(method)
        for method in _class_statements(node)
    ):
        return False
    return _mode_free_code(cls.ctx, node, seen)


def _extends_switch(method: cst.FunctionDef) -> bool:
    """Whether an override of `train`/`eval` still makes the ordinary switch and only adds calls: it calls
    the base's method of its name on `super()` (`super(Generator, self).eval()`, melgan's generator,
    whose `eval(self, inference=False)` also removes weight norm when asked), assigns no attribute and
    touches no `requires_grad`. Its other calls are judged with the class body; an override that switches
    nothing, sets state (`self.p = 0.0`) the forward may read, or freezes parameters (NeuralForceField's
    SpookyNet `eval()`) is unknown."""
    calls_base = False
    for node in own_nodes(method.body):
        if isinstance(node, (cst.AssignTarget, cst.AugAssign, cst.AnnAssign)):
            target = node.target
            if isinstance(target, (cst.Attribute, cst.Subscript, cst.Tuple, cst.List)):
                return False
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "setattr":
            return False
        if isinstance(node, cst.Attribute) and node.attr.value in ("requires_grad", "requires_grad_"):
            return False  # freezing parameters on `eval()` changes the training that follows
        if (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value == method.name.value
            and isinstance(node.func.value, cst.Call)
            and isinstance(node.func.value.func, cst.Name)
            and node.func.value.func.value == "super"
        ):
            calls_base = True
    return calls_base


def _builds_project_class(ctx: FileContext, node: cst.ClassDef) -> bool:
    """Whether the class body builds a block of the project that holds parameters or submodules (its
    layers come from that block, whose own mode-freeness `_mode_free_code` judges with the body's other
    calls). A settings object (a dataclass, a parameter-free class) builds no layer."""
    for call in ctx.index.nodes(cst.Call):
        if _within(ctx, call, node):
            resolved = resolve_call(ctx, call)
            if (
                resolved is not None
                and isinstance(resolved.node, cst.ClassDef)
                and not parameter_free_class(resolved)
            ):
                return True
    return False


def module_class_bases(cls: Resolved, hops: int = 0) -> frozenset[str] | None:
    """The module bases (`torch.nn.Module`, a LightningModule, as imported) a project class reaches
    through project classes (ludwig's `ECD(LudwigModule)`, `LudwigModule(Module)`), when every base on the
    way is one of those, a project class or an abstract base marker (`class PLForecastingModule(
    pl.LightningModule, ABC)`): only the project's code, torch's and Lightning's can switch its mode.
    None when some base is anything else (a Hugging Face `PreTrainedModel`, whose `from_pretrained` gives
    it back in eval mode; an unresolved name). Empty for a class that reaches none."""
    node = cls.node
    if not isinstance(node, cst.ClassDef) or not node.bases or hops > _MAX_MODE_DEPTH:
        return None
    found: frozenset[str] = frozenset()
    for base in node.bases:
        qualified = cls.ctx.qualified_name(base.value)
        if qualified in MODEL_MODULE_BASES:
            found |= {qualified}  # type: ignore[arg-type]
            continue
        if qualified in _ABSTRACT_BASES:
            continue
        parent = resolve_base(cls.ctx, base.value, node)
        above = module_class_bases(parent, hops + 1) if parent is not None else None
        if above is None:
            return None
        found |= above
    return found


# Bases that only mark a class abstract: they give it no behaviour, and no mode.
_ABSTRACT_BASES = frozenset({"abc.ABC"})
# Lightning hooks and step methods, run by its loops in the mode the loop chose (`on_validation_end`,
# `validation_step`): a file defining one may run a module in eval mode that no project code switched.
_LIGHTNING_HOOK = re.compile(r"on_\w+$|\w+_step$")


# `torch.nn.Module` as it is imported (`MODEL_MODULE_BASES` less the LightningModules).
_TORCH_MODULE = frozenset(base for base in MODEL_MODULE_BASES if base.startswith("torch."))


# What switches some module out of training mode: `.eval()`, `.train(False)`, `.training = ...`.
_EVAL_SWITCH = re.compile(rb"\.eval\(|\.train\(\s*(?:mode\s*=\s*)?False\b|\.training\s*=(?!=)")
# What may switch a module to a mode computed at run time, `.train(flag)`, `.train(mode=not evaluating)`:
# a module's, or some other API's (`ludwig_model.train(dataset)`), which only the receiver tells.
_COMPUTED_SWITCH = re.compile(rb"\.train\(\s*(?:mode\s*=\s*)?(?:not\s+)?(?!True\s*\))[\w.\[\]'\"]+\s*\)")


def _project_switches_modes(ctx: FileContext) -> bool:
    """Whether some module of the project other than `ctx`'s, tests aside, may switch a module out of
    training mode: its text switches something to eval (`_EVAL_SWITCH`: conservative, any receiver), or
    it calls `.train(flag)` on something its roles call a model. True when the project cannot be read (too
    large); False for a file of no project (standard input), whose own code is all there is."""
    from nnlint.engine.project import STORE, paths_mentioning

    if ctx.real_path is None:
        return False
    for word in (".eval(", ".train(", ".training"):
        paths = paths_mentioning(ctx, word)
        if paths is None:
            return True
        for path in paths:
            data = STORE.text(path) or b""
            certain = _EVAL_SWITCH.search(data) is not None
            if not certain and _COMPUTED_SWITCH.search(data) is None:
                continue
            if is_test_module(str(path), data.decode("utf-8", "replace"), folders=True):
                continue
            module = STORE.context(path) if not certain else None
            if certain or module is None or _switches_to_computed_mode(module):
                return True
    return False


def _switches_to_computed_mode(ctx: FileContext) -> bool:
    """Whether a module calls `.train(<anything but True>)` on a model (by its roles)."""
    for call in ctx.index.nodes(cst.Call):
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "train" and len(call.args) == 1):
            continue
        arg = call.args[0]
        if arg.keyword is not None and arg.keyword.value != "mode":
            continue  # `model.train(dataset=...)`: another API
        if not (isinstance(arg.value, cst.Name) and arg.value.value == "True") and ctx.roles.has(
            func.value, Role.MODEL
        ):
            return True
    return False


def parameter_free_class(cls: Resolved) -> bool:
    """Whether a model class visibly holds no parameter and no submodule, only buffers and plain settings:
    melgan's `Audio2Mel(nn.Module)`, whose `__init__` keeps its FFT sizes and registers a window and a mel
    basis as buffers, and whose `forward` is an STFT; an image-quality metric module (`PSNR(crop_border:
    int, ...)`). Such a module behaves the same in both modes and
    records no graph of its own. Its base must be `nn.Module` itself; nothing in the class may build a
    torch.nn layer, a project class or an `nn.Parameter`, add a module or parameter by name, or read
    `.training` or hand `self` to a function; it defines `forward` (a stub is unknown); and each
    `self.<attr> = value` must be made of constants, `__init__` parameters with a
    constant default or a scalar annotation, torch tensor and numpy functions
    (`torch.Tensor([...]).view(1, 3, 1, 1)`). Anything else (a parameter with no default may be a module)
    is unknown: False."""
    node = cls.node
    ctx = cls.ctx
    if not isinstance(node, cst.ClassDef):
        return False
    if not node.bases or any(ctx.qualified_name(base.value) not in MODEL_MODULE_BASES for base in node.bases):
        return False
    methods = {s.name.value for s in _class_statements(node) if isinstance(s, cst.FunctionDef)}
    if "forward" not in methods or methods & {"train", "eval"}:
        return False  # a stub (`pass`) is unknown
    for attribute in ctx.index.nodes(cst.Attribute):
        if attribute.attr.value == "training" and _within(ctx, attribute, node):
            return False
    for call in ctx.index.nodes(cst.Call):
        if _within(ctx, call, node) and not _builds_nothing(ctx, call):
            return False
    for assign in ctx.index.nodes(cst.Assign):
        if not _within(ctx, assign, node):
            continue
        to_self = any(
            isinstance(t.target, cst.Attribute) and dotted_name(t.target.value) == "self"
            for t in assign.targets
        )
        if to_self and not _plain_setting(ctx, assign.value):
            return False
    return True


def eval_built_class(cls: Resolved) -> bool:
    """Whether a wrapper module's every network is switched to eval as its constructor builds it, so a new
    instance runs in eval mode until someone calls its `train()`: DiffSynth's `PickScore(nn.Module)`, whose
    `__init__` keeps a processor and `AutoModel.from_pretrained(...).eval().to("cuda")`. Its base must be
    `nn.Module` itself; it overrides neither `train` nor `eval` and reads no `.training`; every
    `self.<attr> = value` is a plain setting (`_plain_setting`), a library loader of no model (a processor
    or tokenizer `from_pretrained`), a kept module moved again (`self.model.to(dtype=dtype)`) or a value
    whose chain of calls includes `.eval()`, and at least one is; no other call of the class builds a layer
    or adds a module (`_builds_nothing`)."""
    node, ctx = cls.node, cls.ctx
    if not isinstance(node, cst.ClassDef) or ".eval()" not in ctx.source:
        return False
    if not node.bases or any(ctx.qualified_name(base.value) not in MODEL_MODULE_BASES for base in node.bases):
        return False
    if any(
        isinstance(s, cst.FunctionDef) and s.name.value in ("train", "eval") for s in _class_statements(node)
    ):
        return False
    if any(a.attr.value == "training" and _within(ctx, a, node) for a in ctx.index.nodes(cst.Attribute)):
        return False
    kept: set[int] = set()  # the calls of the values kept on `self`, judged by their assignment
    switched = False
    for assign in ctx.index.nodes(cst.Assign):
        if not _within(ctx, assign, node) or not any(
            isinstance(t.target, cst.Attribute) and dotted_name(t.target.value) == "self"
            for t in assign.targets
        ):
            continue
        chain = _call_chain(assign.value)
        if any(_switches_to_eval(call) for call in chain):
            switched = True
        elif not (_plain_setting(ctx, assign.value) or _loads_no_model(chain) or _moves_own(assign.value)):
            return False
        kept.update(id(call) for call in chain)
    if not switched:
        return False
    return all(
        id(call) in kept or _builds_nothing(ctx, call)
        for call in ctx.index.nodes(cst.Call)
        if _within(ctx, call, node)
    )


def _moves_own(value: cst.BaseExpression) -> bool:
    """`self.model.to(dtype=dtype)`: a module the object already keeps, handed back by a self-returning
    method (the same module, in the mode it was left in)."""
    moved = moved_module(value)
    return moved is not value and isinstance(moved, cst.Attribute) and dotted_name(moved.value) == "self"


def _switches_to_eval(call: cst.Call) -> bool:
    return isinstance(call.func, cst.Attribute) and call.func.attr.value == "eval" and not call.args


def _call_chain(value: cst.BaseExpression) -> list[cst.Call]:
    """The calls of a method chain, outermost first: `A.from_pretrained(p).eval().to(d)` gives `.to(d)`,
    `.eval()`, `A.from_pretrained(p)`."""
    chain: list[cst.Call] = []
    while isinstance(value, cst.Call):
        chain.append(value)
        value = value.func.value if isinstance(value.func, cst.Attribute) else value.func
    return chain


def _loads_no_model(chain: list[cst.Call]) -> bool:
    """`AutoProcessor.from_pretrained(name)` (a tokenizer, processor or config): no network."""
    last = chain[-1] if chain else None
    return (
        last is not None
        and len(chain) == 1
        and _from_pretrained(dotted_name(last.func))
        and not (loads_pretrained_model(last))
    )


# Calls that add a parameter or a module to a module by name.
_ADDING_METHODS = frozenset({"register_parameter", "add_module", "register_module", "setattr"})


def _builds_nothing(ctx: FileContext, call: cst.Call) -> bool:
    """A call of a parameter-free class's body: no torch.nn layer or `Parameter`, no project class, no
    `add_module`/`register_parameter`."""
    func = call.func
    name = (
        func.attr.value
        if isinstance(func, cst.Attribute)
        else func.value
        if isinstance(func, cst.Name)
        else ""
    )
    if name in _ADDING_METHODS or name == "Parameter":
        return False
    if any(isinstance(arg.value, cst.Name) and arg.value.value == "self" for arg in call.args) and not (
        _builtin_call(ctx, call, "super")
    ):
        return False  # `build_layers(self, cfg)`: a helper may add modules to the object (old-style
        # `super(Identity, self)` only names the base whose `__init__` is called)
    qualified = ctx.callee(call) or ""
    if qualified.startswith("torch.nn.") and not qualified.startswith(
        ("torch.nn.functional.", "torch.nn.init.")
    ):
        return False
    resolved = resolve_call(ctx, call)
    return resolved is None or not isinstance(resolved.node, cst.ClassDef)


def _plain_setting(ctx: FileContext, value: cst.BaseExpression) -> bool:
    """A value kept on `self` that cannot hold a parameter: constants and arithmetic of them, a parameter of
    the enclosing function with a constant default, a torch tensor function's result (and its methods), a
    torchaudio feature transform (a module of buffers only: WaveGrad's `MelSpectrogramFixed` keeps one)."""
    if isinstance(value, (cst.Integer, cst.Float, cst.SimpleString, cst.ConcatenatedString)):
        return True
    if isinstance(value, cst.Name):
        return value.value in ("True", "False", "None") or _defaulted_parameter(ctx, value)
    if isinstance(value, (cst.BinaryOperation, cst.BooleanOperation)):
        return _plain_setting(ctx, value.left) and _plain_setting(ctx, value.right)
    if isinstance(value, cst.UnaryOperation):
        return _plain_setting(ctx, value.expression)
    if isinstance(value, (cst.Tuple, cst.List)):
        return all(_plain_setting(ctx, element.value) for element in value.elements)
    if isinstance(value, cst.Attribute):
        return dotted_name(value.value) == "self"  # another setting of the object
    if isinstance(value, cst.Call):
        func = value.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Call):
            return _plain_setting(ctx, func.value)  # `torch.Tensor([...]).view(1, 3, 1, 1)`
        qualified = ctx.callee(value) or ""
        if qualified.startswith(_ARRAY_MODULES):
            return True  # `np.outer(kernel, kernel)`: an array
        if qualified in AUDIO_FEATURE_TRANSFORMS:
            return True  # `MelSpectrogram(**kwargs)`: a module whose window and filters are buffers
        return qualified.startswith("torch.") and not qualified.startswith("torch.nn.")
    return False


def _defaulted_parameter(ctx: FileContext, name: cst.Name) -> bool:
    function = ctx.enclosing_function(name)
    if function is None:
        return False
    params = function.params
    for param in (*params.params, *params.kwonly_params):
        if param.name.value == name.value:
            default = param.default
            annotation = param.annotation.annotation if param.annotation is not None else None
            if isinstance(annotation, cst.Name) and annotation.value in _SCALAR_TYPES:
                return True  # `crop_border: int`
            if isinstance(default, cst.Attribute):
                qualified = ctx.qualified_name(default) or ""  # `dtype=torch.float32`: a torch constant
                return qualified.startswith("torch.") and not qualified.startswith("torch.nn.")
            return isinstance(default, (cst.Integer, cst.Float, cst.SimpleString)) or (
                isinstance(default, cst.Name) and default.value in ("True", "False", "None")
            )
    return False


_SCALAR_TYPES = frozenset({"int", "float", "bool", "str"})


def mode_dependent_class(cls: Resolved) -> bool:
    """Whether a model class visibly behaves differently in train and eval mode: it (or a project base
    class of it) builds or calls a dropout or BatchNorm layer (`MODE_DEPENDENT_LAYERS`), or reads
    `self.training` (LightGCN's edge dropout). False when
    nothing such is in sight (its layers may come from elsewhere: unknown)."""
    if not isinstance(cls.node, cst.ClassDef):
        return False
    hierarchy = class_hierarchy(cls) or [cls]
    return any(
        owner.ctx.callee(call) in MODE_DEPENDENT_LAYERS
        for owner in hierarchy
        for call in owner.ctx.index.nodes(cst.Call)
        if _within(owner.ctx, call, owner.node)
    ) or any(
        attribute.attr.value == "training" and dotted_name(attribute.value) == "self"
        for owner in hierarchy
        if ".training" in owner.ctx.source
        for attribute in owner.ctx.index.nodes(cst.Attribute)
        if _within(owner.ctx, attribute, owner.node)
    )


def _class_statements(node: cst.ClassDef) -> Sequence[cst.CSTNode]:
    return node.body.body if isinstance(node.body, cst.IndentedBlock) else ()


def _mode_free_code(ctx: FileContext, node: cst.CSTNode, seen: frozenset[cst.CSTNode]) -> bool:
    """Whether a class body or function reads no `.training` and makes only mode-free calls."""
    for attribute in ctx.index.nodes(cst.Attribute):
        if attribute.attr.value == "training" and _within(ctx, attribute, node):
            return False
    return all(
        _mode_free_call(ctx, call, seen) for call in ctx.index.nodes(cst.Call) if _within(ctx, call, node)
    )


def _within(ctx: FileContext, inner: cst.CSTNode, outer: cst.CSTNode) -> bool:
    return any(ancestor is outer for ancestor in ctx.index.ancestors(inner))


# Libraries of numbers and arrays: their calls (`np.prod(ratios)` for a hop length) build no layer.
_ARRAY_MODULES = ("numpy.", "math.")
# Layers that hold other layers: mode-free only when what they hold is built in sight.
_CONTAINER_LAYERS = frozenset({"torch.nn.Sequential", "torch.nn.ModuleList", "torch.nn.ModuleDict"})


def _given_from_outside(ctx: FileContext, call: cst.Call) -> bool:
    """Whether a container layer is handed layers its class does not build: an argument that is a
    parameter of the function around it (`Sequential(*layers)` with `layers` given to `__init__`, as
    SDGym's TableGAN generator is given BatchNorm blocks by a helper of its module)."""
    function = ctx.enclosing_function(call)
    if function is None:
        return False
    params = function.params
    names = {param.name.value for param in (*params.posonly_params, *params.params, *params.kwonly_params)}
    return any(isinstance(arg.value, cst.Name) and arg.value.value in names for arg in call.args)


def mode_free_sequential(ctx: FileContext, call: cst.Call, depth: int = 0) -> bool:
    """Whether an `nn.Sequential(...)` built in sight behaves the same in both modes: each element is a
    mode-free layer call (a nested Sequential checked the same way), or the elements of a list it
    unpacks (`nn.Sequential(*layers)`) are, where every binding of that list is a literal list and every
    other use of it in its scope is an `append`/`extend` of such layers (`layers.append(nn.Linear(a,
    b))`, also through a name bound to the layer). A tutorial's MLP (rasbt/machine-learning-book
    ch13_part2.py: Linear and ReLU layers appended in a loop) has no mode to be wrong in; anything else
    (a layer from a helper or a parameter, a list handed elsewhere) is unknown: False."""
    if depth > _MAX_MODE_DEPTH or not call.args:
        return False
    for arg in call.args:
        if arg.keyword is not None:
            return False
        if arg.star == "*" and isinstance(arg.value, cst.Name):
            elements = _listed_layers(ctx, arg.value.value, call)
            if elements is None or not all(_mode_free_element(ctx, e, depth) for e in elements):
                return False
        elif arg.star or not _mode_free_element(ctx, arg.value, depth):
            return False
    return True


def _mode_free_element(ctx: FileContext, value: cst.BaseExpression, depth: int) -> bool:
    """One element of a Sequential: a mode-free layer call, directly or through a local name."""
    if isinstance(value, cst.Name):
        value = reaching_value(ctx, value.value, value)  # type: ignore[assignment]
    if not isinstance(value, cst.Call):
        return False
    qualified = ctx.callee(value)
    if qualified == SEQUENTIAL:
        return mode_free_sequential(ctx, value, depth + 1)
    if qualified in MODE_FREE_UNLESS:
        return _argument_off(value, *MODE_FREE_UNLESS[qualified])
    return qualified in MODE_FREE_LAYERS and qualified not in _CONTAINER_LAYERS


def _listed_layers(ctx: FileContext, name: str, at: cst.Call) -> list[cst.BaseExpression] | None:
    """Every element a list named `name` may hold where `at` unpacks it into a Sequential
    (`bindings.listed_elements`); None when it is used any other way there (passed on, indexed, added to,
    bound otherwise) than unpacked into a Sequential."""
    return listed_elements(ctx, name, at, _unpacked_into_sequential)


def _unpacked_into_sequential(ctx: FileContext, node: cst.Name, parent: cst.CSTNode | None) -> bool:
    """`nn.Sequential(*layers)` (this one or another): the list stays as it is."""
    if isinstance(parent, cst.Arg) and parent.star == "*":
        unpacking = ctx.index.parent(parent)
        return isinstance(unpacking, cst.Call) and ctx.callee(unpacking) == SEQUENTIAL
    return False


def _mode_free_call(ctx: FileContext, call: cst.Call, seen: frozenset[cst.CSTNode]) -> bool:
    qualified = ctx.callee(call)
    if qualified is not None:
        if qualified in MODE_DEPENDENT_LAYERS:
            return False
        if qualified in _CONTAINER_LAYERS:
            return not _given_from_outside(ctx, call)
        if qualified in MODE_FREE_LAYERS or qualified in MODE_FREE_CALLS:
            return True
        if qualified in MODE_FREE_UNLESS:
            return _argument_off(call, *MODE_FREE_UNLESS[qualified])
        if (
            qualified.startswith(("torch.nn.functional.", "torch.nn.init.", *_ARRAY_MODULES))
            or qualified.count(".") == 1
            and (qualified.startswith("torch.") and not qualified[6:7].isupper())
        ):
            return True
    func = call.func
    if isinstance(func, cst.Call):
        # `nn.ReLU()(x)`, `nn.Softmax(dim=-1)(scores)`: runs a module built in place, and that construction
        # is one of the calls judged on their own.
        return True
    if isinstance(func, cst.Name) and func.value in _BUILTINS and qualified is None:
        return resolve_name(ctx, func.value, call) is None  # a builtin, unless a definition shadows it
    resolved = resolve_call(ctx, call)
    if resolved is not None:
        if isinstance(resolved.node, cst.ClassDef):
            return mode_free_class(resolved, seen)
        if any(resolved.node is node or _within(resolved.ctx, resolved.node, node) for node in seen):
            return True  # a method of a class being checked: its body is checked with the class
        if len(seen) >= _MAX_MODE_DEPTH:
            return False
        return _mode_free_code(resolved.ctx, resolved.node, seen | {resolved.node})
    if qualified is not None:
        return False  # a library call: unknown
    # `self.conv(x)` runs a submodule (its construction is checked); `x.view(...)` a tensor's method.
    if _runs_handed_module(ctx, call):
        return False
    return (isinstance(func, cst.Attribute) and _local_receiver(ctx, func)) or _held_element(ctx, func)


def _runs_handed_module(ctx: FileContext, call: cst.Call) -> bool:
    """Whether a call runs a module the class was handed rather than built: `self.encoder(x)`, or an element
    `self.blocks[i](x)`, where the class binds `self.encoder = encoder`, a parameter of the method
    (SimCLR's wrapper around the ResNet it is given, Spijkervet/SimCLR modules/simclr.py). What that
    module is made of is not in sight: unknown."""
    func: cst.BaseExpression = call.func
    while isinstance(func, cst.Subscript):
        func = func.value
    if not (isinstance(func, cst.Attribute) and dotted_name(func.value) == "self"):
        return False
    cls = ctx.enclosing_class(call)
    if cls is None:
        return False
    for value in _attribute_assignments(Resolved(ctx, cls), func.attr.value):
        value = moved_module(value)
        if isinstance(value, cst.Name) and enclosing_parameter(ctx, value) is not None:
            return True
    return False


def _held_element(ctx: FileContext, func: cst.BaseExpression) -> bool:
    """Whether a call runs an element of a container the object holds, like `self.conv(x)` runs a
    submodule: `self.layers[i](x)`, or `layer(x)` in `for layer in self.layers:` (also `for i, layer in
    enumerate(self.layers):`), GatedPixelCNN's `forward` at ritheshkumar95/pytorch-vqvae modules.py, or
    `c1(x)` in `for c1, c2 in zip(self.convs1, self.convs2):` (a HiFi-GAN residual block; melgan's
    `ResStack` at seungwonpark/melgan). The container's construction is one of the class's calls and is
    judged on its own."""
    if isinstance(func, cst.Subscript):
        return (dotted_name(func.value) or "").startswith("self.")
    if not isinstance(func, cst.Name):
        return False
    loop = ctx.index.enclosing(func, cst.For)
    if loop is None:
        return False
    iterated: cst.BaseExpression = loop.iter
    target: cst.BaseExpression = loop.target
    if _builtin_call(ctx, iterated, "enumerate"):
        iterated = iterated.args[0].value  # type: ignore[attr-defined]
        if not (isinstance(target, cst.Tuple) and len(target.elements) == 2):
            return False
        target = target.elements[1].value
    if _builtin_call(ctx, iterated, "zip"):
        paired = _zipped_with(iterated, target, func.value)  # type: ignore[arg-type]
        if paired is None:
            return False
        iterated, target = paired
    return (
        isinstance(target, cst.Name)
        and target.value == func.value
        and (dotted_name(iterated) or "").startswith("self.")
        and not _rebound_in(ctx, loop, func.value)
    )


def _builtin_call(ctx: FileContext, value: cst.BaseExpression, name: str) -> bool:
    """Whether `value` calls the builtin `name` (no definition shadows it) with plain arguments."""
    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and value.func.value == name
        and resolve_name(ctx, name, value) is None
        and bool(value.args)
        and not any(arg.star or arg.keyword is not None for arg in value.args)
    )


def _zipped_with(
    zipped: cst.Call, target: cst.BaseExpression, name: str
) -> tuple[cst.BaseExpression, cst.Name] | None:
    """The iterable of `zip(...)` that the loop target `name` is drawn from, with that target: `(self.convs1,
    c1)` for `for c1, c2 in zip(self.convs1, self.convs2):`; None when the target does not unpack one
    element per iterable."""
    if not (isinstance(target, cst.Tuple) and len(target.elements) == len(zipped.args)):
        return None
    for element, arg in zip(target.elements, zipped.args, strict=True):
        if isinstance(element.value, cst.Name) and element.value.value == name:
            return arg.value, element.value
    return None


def _rebound_in(ctx: FileContext, loop: cst.For, name: str) -> bool:
    """Whether a loop's body binds `name` again (the loop target is then not what a call there runs)."""
    return any(
        isinstance(node, cst.Name)
        and node.value == name
        and isinstance(ctx.index.parent(node), (cst.AssignTarget, cst.AugAssign))
        for node in own_nodes(loop.body)
    )


def _local_receiver(ctx: FileContext, func: cst.Attribute) -> bool:
    """Whether a method call's receiver is a local value or `self`, not an imported module. A method of a
    call's result (`torch.zeros(n, b, h).to(x.device)`, a tensor's) is a local value's: the call it is
    made on is one of the class's calls and is judged on its own."""
    root: cst.BaseExpression = func.value
    while isinstance(root, (cst.Attribute, cst.Subscript)):
        root = root.value
    if isinstance(root, cst.Call):
        return True
    if isinstance(root, cst.Name):
        return ctx.imports.resolve(root.value) is None
    return True


def _argument_off(call: cst.Call, keyword: str, positional: int) -> bool:
    """Whether a mode-dependent argument is absent or literally 0/False (and not passed positionally)."""
    positional_args = [arg for arg in call.args if arg.keyword is None]
    if any(arg.star for arg in call.args) or len(positional_args) > positional:
        return False
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            value = arg.value
            return (isinstance(value, (cst.Integer, cst.Float)) and float(value.value) == 0) or (
                isinstance(value, cst.Name) and value.value == "False"
            )
    return True
