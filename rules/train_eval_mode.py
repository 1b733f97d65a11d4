"""NN404 train-eval-mode: evaluation in training mode, or training that resumes in evaluation mode."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import ClassVar

import libcst as cst

from nnlint.engine.evaluation import EvalRegion
from nnlint.engine.loops import Event, EventKind, Loop
from nnlint.finding import Severity
from nnlint.rule import Invalid, Rule

EVAL = "eval"
TRAIN = "train"
# Wrappers whose mode is the wrapped model's: `model.module.eval()` toggles `model` too.
_WRAPPER_ATTRIBUTES = (".module", "._orig_mod")


def _model_key(name: str | None) -> str | None:
    while name and name.endswith(_WRAPPER_ATTRIBUTES):
        name = name.rsplit(".", 1)[0]
    return name


def _last_toggle(events: Sequence[Event], model: str) -> str | None:
    """The mode the last `eval()`/`train()` of `model` in `events` left it in."""
    for event in reversed(events):
        if event.kind in (EventKind.EVAL, EventKind.TRAIN) and _model_key(event.target) == model:
            return EVAL if event.kind is EventKind.EVAL else TRAIN
    return None


def _caller_name(events: Sequence[Event], forward: Event, default: str) -> str:
    """The model of `forward` as named in `events` (a caller's view, where parameters became arguments)."""
    for event in events:
        if event.node is forward.node and event.kind is EventKind.FORWARD:
            return _model_key(event.target) or default
    return default


def _trains(events: Sequence[Event]) -> bool:
    return any(event.kind is EventKind.BACKWARD for event in events)


class TrainEvalMode(Rule):
    """## What it does
    Flags evaluation that runs a model still in training mode (a forward pass in an `evaluate`/`validate`/
    `test` function, or in a `torch.no_grad()` block over validation data, with no `model.eval()` on the
    way there), and training that resumes after such an evaluation without `model.train()`.

    ## Why is this bad?
    Dropout and BatchNorm behave differently in the two modes. Evaluating in training mode drops units at
    random and normalizes with the batch's own statistics (updating the running averages with validation
    data), so the validation numbers are noisy and wrong. Training in evaluation mode turns dropout off and
    freezes BatchNorm statistics, so the model silently trains differently after the first evaluation.
    `torch.no_grad()` does not change the mode; only `model.eval()` and `model.train()` do. "You forgot to
    toggle train/eval mode for the net" is on Karpathy's list of the most common neural-net mistakes.

    ## Example
    ```python
    for epoch in range(epochs):
        train_one_epoch(model, loader, optimizer)   # calls model.train()
        with torch.no_grad():
            for x, y in val_loader:
                val_loss += criterion(model(x), y).item()
    ```

    ## Use instead
    ```python
    for epoch in range(epochs):
        train_one_epoch(model, loader, optimizer)
        model.eval()
        with torch.no_grad():
            for x, y in val_loader:
                val_loss += criterion(model(x), y).item()
        model.train()
    ```

    ## References
    - A. Karpathy, "most common neural net mistakes" (2018); "A Recipe for Training Neural Networks" (2019).
    - PyTorch docs, `torch.nn.Module.eval` and "Autograd mechanics: locally disabling gradient computation".
    """

    code = "NN404"
    name = "train-eval-mode"
    severity = Severity.WARNING
    message = "The model is evaluated here in training mode; call `model.eval()` before evaluating."
    hint = "`torch.no_grad()` does not switch dropout and BatchNorm to inference: `model.eval()` does."

    VALID: ClassVar[list[str]] = [
        """
import torch
def evaluate(model, loader):
    model.eval()
    with torch.no_grad():
        for x, y in loader:
            model(x)

def train(model, loader, optimizer):
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()

for epoch in range(10):
    train(model, train_loader, optimizer)
    evaluate(model, val_loader)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
""",
        # The toggles live in the loop, around the call.
        """
import torch
def validate(model, loader):
    with torch.no_grad():
        return sum(model(x).sum().item() for x in loader)

for epoch in range(10):
    model.train()
    for x in train_loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
    model.eval()
    validate(model, val_loader)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
""",
        # Lightning toggles the mode around its hooks.
        """
import lightning as L
import torch
class Net(L.LightningModule):
    def validation_step(self, batch, batch_idx):
        x, y = batch
        with torch.no_grad():
            return self.model(x)
""",
        # A no_grad block that is not evaluation: an EMA update and a target network.
        """
import torch
for x, y in loader:
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        for ema_p, p in zip(ema.parameters(), model.parameters()):
            ema_p.mul_(0.999).add_(p, alpha=0.001)
        target = target_net(x)
criterion = torch.nn.MSELoss()
optimizer = torch.optim.Adam(model.parameters())
""",
        # Evaluation in the epoch loop sets eval and the next epoch's training helper sets train.
        """
import torch
def train_epoch(model, loader, optimizer):
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    return [model(x) for x, _ in loader]

for epoch in range(5):
    train_epoch(model, train_loader, optimizer)
    evaluate(model, val_loader)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
""",
        # The caller switches its `net` (the function's `model`) to eval before calling.
        """
import torch
def evaluate(model, loader):
    with torch.no_grad():
        return [model(x) for x in loader]

def fit(model, loader, optimizer):
    for x in loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()

for epoch in range(3):
    net.train()
    fit(net, train_loader, optimizer)
    net.eval()
    evaluate(net, val_loader)
optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
""",
        # A model loaded whole keeps the mode it was saved in.
        """
import torch
model = torch.load("model.pt")
with torch.no_grad():
    for x, y in test_loader:
        model(x)
""",
        # A pretrained Hugging Face model comes back in eval mode.
        """
import torch
from transformers import AutoModelForSequenceClassification
model = AutoModelForSequenceClassification.from_pretrained("bert-base-uncased")
with torch.no_grad():
    for batch in eval_dataloader:
        model(**batch)
""",
        # An evaluation function nobody in this file calls: the caller may well set the mode.
        """
import torch
def evaluate(model, loader):
    with torch.no_grad():
        return [model(x) for x in loader]
model = torch.nn.Linear(2, 2)
""",
        # MC dropout: `model.train()` inside the evaluation is deliberate.
        """
import torch
def evaluate_mc_dropout(model, loader, samples=20):
    model.train()
    with torch.no_grad():
        return [torch.stack([model(x) for _ in range(samples)]).mean(0) for x in loader]

for epoch in range(10):
    for x in train_loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
    evaluate_mc_dropout(model, val_loader)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
""",
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        # The evaluation function never calls model.eval(); the loop trained just before.
        Invalid(
            """
import torch
def evaluate(model, loader):
    total = 0.0
    with torch.no_grad():
        for x, y in loader:
            total += torch.nn.functional.cross_entropy(model(x), y).item()
    return total

for epoch in range(10):
    model.train()
    for x, y in train_loader:
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    evaluate(model, val_loader)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
""",
            line=5,
        ),
        # An inline no_grad block over the validation loader, after training.
        Invalid(
            """
import torch
model = Net()
optimizer = torch.optim.Adam(model.parameters())
for epoch in range(3):
    for x, y in train_loader:
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        for x, y in val_loader:
            val = torch.nn.functional.mse_loss(model(x), y)
class Net(torch.nn.Module):
    pass
""",
            line=11,
        ),
        # The caller's `gcn` is the function's `model`; it was just trained.
        Invalid(
            """
import torch
def test(model, features, labels):
    with torch.no_grad():
        return (model(features).argmax(1) == labels).float().mean().item()

gcn = GCN()
optimizer = torch.optim.Adam(gcn.parameters())
for epoch in range(200):
    gcn.train()
    optimizer.zero_grad()
    torch.nn.functional.nll_loss(gcn(features), labels).backward()
    optimizer.step()
print(test(gcn, features, labels))
class GCN(torch.nn.Module):
    pass
""",
            line=4,
        ),
        # An inference script: a freshly built model is in training mode until `eval()`.
        Invalid(
            """
import torch
import torchvision
model = torchvision.models.resnet50()
model.load_state_dict(torch.load("resnet50.pt"))
with torch.no_grad():
    for images, _ in test_loader:
        preds = model(images).argmax(1)
""",
            line=6,
        ),
        # evaluate() switches to eval mode and the training loop never switches back.
        Invalid(
            """
import torch
@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    return sum(model(x).sum().item() for x in loader)

model.train()
for epoch in range(10):
    for x, y in train_loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
    evaluate(model, val_loader)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
""",
            line=14,
        ),
        # Periodic evaluation inside the batch loop, nanoGPT style, without switching back.
        Invalid(
            """
import torch
for step, (x, y) in enumerate(train_loader):
    if step % 100 == 0:
        model.eval()
        with torch.no_grad():
            val_loss = sum(model(xv).sum().item() for xv in val_loader)
    optimizer.zero_grad()
    model(x).sum().backward()
    optimizer.step()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
""",
            line=5,
        ),
    ]

    _RESUMES = (
        "Training resumes after this evaluation with the model still in eval mode; call `model.train()` "
        "before the next training step."
    )

    def finish(self) -> None:
        for region in self.ctx.evaluation.regions:
            self._check_region(region)
        for loop in self.ctx.loops.loops:
            self._check_resumes(loop)

    # -- evaluation in training mode ----------------------------------------------------------------

    def _check_region(self, region: EvalRegion) -> None:
        reported: set[str] = set()
        events = list(region.events)
        for position, forward in enumerate(events):
            model = _model_key(forward.target)
            if forward.kind is not EventKind.FORWARD or model is None or model in reported:
                continue
            if any(event.kind is EventKind.EVAL for event in events[:position]):
                continue  # set inside the evaluation (any model: `net.eval()` before `model(x)` is an alias)
            if _last_toggle(events[:position], model) == TRAIN:
                continue  # `model.train()` inside the evaluation is deliberate: MC dropout, BN recalibration
            if self._entered_in_training(region, forward):
                reported.add(model)
                self.report(self._evaluation_start(region, forward))

    def _evaluation_start(self, region: EvalRegion, forward: Event) -> cst.CSTNode:
        """Where the evaluation visibly starts: the `torch.no_grad()` around the forward, else the forward."""
        gradients = self.ctx.gradients
        for ancestor in self.ctx.index.ancestors(forward.site):
            no_grad = gradients.no_grad_item(ancestor) if isinstance(ancestor, cst.With) else None
            if no_grad is not None:
                return no_grad
            if ancestor is region.node:
                break
        return forward.site

    def _entered_in_training(self, region: EvalRegion, forward: Event) -> bool:
        """Whether the code that runs before this evaluation leaves the forward's model in training mode:
        the code before the block, or before any call of the evaluation function."""
        node = region.node
        if isinstance(node, cst.With):
            return (
                self._mode_at(node, lambda e: e.kind is EventKind.NO_GRAD and e.node is node, forward)
                == TRAIN
            )
        loops = self.ctx.loops
        calls = [call for call in self.ctx.index.nodes(cst.Call) if loops.helper_called(call) is node]
        return any(
            self._mode_at(call, lambda e, call=call: e.site is call, forward) == TRAIN for call in calls
        )

    def _mode_at(self, anchor: cst.CSTNode, is_anchor: Callable[[Event], bool], forward: Event) -> str | None:
        """The mode the forward's model is in when `anchor` runs.

        That is the last toggle before the anchor in the enclosing loops (this iteration, then the
        previous one) and in the enclosing body; failing that, training mode when the model was trained
        on the way there or built in this body (a new module trains), else unknown. The model is named as
        the caller names it: the forward's event seen from the caller carries the caller's argument name.
        """
        model = _model_key(forward.target) or ""
        trained = False
        function = self.ctx.enclosing_function(anchor)
        loop = self.ctx.loops.enclosing_loop(anchor)
        while loop is not None and loop.function is function:
            position = next((i for i, event in enumerate(loop.events) if is_anchor(event)), None)
            if position is not None:
                model = _caller_name(loop.events[position:], forward, model)
                for events in (loop.events[:position], loop.events[position:]):
                    mode = _last_toggle(events, model)
                    if mode is not None:
                        return mode
                    trained = trained or _trains(events)
            loop = self.ctx.loops.enclosing_loop(loop.node)
        body = self._body_events(function)
        position = next((i for i, event in enumerate(body) if is_anchor(event)), len(body))
        model = _caller_name(body[position:], forward, model)
        mode = _last_toggle(body[:position], model)
        if mode is not None:
            return mode
        trained = trained or _trains(body[:position])
        if trained and model in self._trained_models:
            return TRAIN
        return TRAIN if self._built_in(model, function) else None

    def _built_in(self, model: str, function: cst.FunctionDef | None) -> bool:
        """Whether `model` is constructed in this same body: a new module is in training mode.
        (`from_pretrained` models come back in eval mode, and loaded ones in whatever mode they were saved.)
        """
        constructor = self.ctx.roles.constructor(model)
        if constructor is None or self.ctx.enclosing_function(constructor) is not function:
            return False
        return not (self.ctx.callee(constructor) or self.ctx.dotted(constructor.func) or "").endswith(
            "from_pretrained"
        )

    def _body_events(self, function: cst.FunctionDef | None) -> list[Event]:
        if function is not None:
            return self.ctx.loops.function_events(function)
        return self._module_events

    @cached_property
    def _module_events(self) -> list[Event]:
        return self.ctx.loops.events_of_body(self.ctx.module)

    @cached_property
    def _trained_models(self) -> set[str]:
        """Models whose forward feeds a backward in some training loop, built here (not `from_pretrained`,
        which returns a model in eval mode)."""
        found: set[str] = set()
        for loop in self.ctx.loops.loops:
            if not loop.of_kind(EventKind.BACKWARD):
                continue
            for event in loop.of_kind(EventKind.FORWARD):
                model = _model_key(event.target)
                constructor = self.ctx.roles.constructor_name(model) if model else None
                if (
                    model
                    and not self._evaluates(event)
                    and not (constructor or "").endswith("from_pretrained")
                ):
                    found.add(model)
        return found

    # -- training in evaluation mode ----------------------------------------------------------------

    def _check_resumes(self, loop: Loop) -> None:
        """Run two iterations of a loop that both trains and evaluates, tracking each model's mode."""
        events = loop.events
        if not _trains(events) or not any(event.kind is EventKind.EVAL for event in events):
            return
        mode: dict[str, str] = {}
        set_by: dict[str, Event] = {}
        evaluated: set[str] = set()
        for _ in range(2):
            for position, event in enumerate(events):
                model = _model_key(event.target)
                if model is None:
                    continue
                if event.kind is EventKind.EVAL:
                    mode[model], set_by[model] = EVAL, event
                    evaluated.discard(model)
                elif event.kind is EventKind.TRAIN:
                    mode[model] = TRAIN
                elif event.kind is EventKind.FORWARD and mode.get(model) == EVAL:
                    if self._evaluates(event):
                        evaluated.add(model)
                    elif model in evaluated and _trains(events[position + 1 :]):
                        self.report(set_by[model].site, message=self._RESUMES)
                        return

    def _evaluates(self, forward: Event) -> bool:
        """A forward pass that is evaluation, not training: without gradients or in an eval function."""
        return (
            forward.no_grad
            or self.ctx.evaluation.in_eval_function(forward)
            or self.ctx.gradients.under_no_grad(forward.node)
        )
