"""NN501 loss-accumulated-as-tensor: a running total of losses keeps every iteration's autograd graph."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import ClassVar

import libcst as cst

from nnlint import vocabulary as vocab
from nnlint.engine.bindings import reaching_values
from nnlint.engine.loops import EventKind, Loop
from nnlint.finding import Severity
from nnlint.rule import Invalid, Rule, RuleFix

# Values that need parentheses before `.item()` can be appended.
_ATOMS = (cst.Name, cst.Attribute, cst.Call, cst.Subscript)
# Expressions through which a number stays a number that is only read (arithmetic, comparisons, indexing).
_PASS_THROUGH = (
    cst.BinaryOperation,
    cst.UnaryOperation,
    cst.Comparison,
    cst.ComparisonTarget,
    cst.Subscript,
    cst.SubscriptElement,
    cst.Index,
    cst.Arg,
    cst.FormattedStringExpression,
    cst.FormattedString,
    cst.ConcatenatedString,
    cst.BooleanOperation,
)


class LossAccumulatedAsTensor(Rule):
    """## What it does
    Flags a training loop that adds the loss *tensor* to a running total (`total += loss`,
    `total = total + loss`, `losses.append(loss)`, or a moving average of it, `ema = beta * ema + (1 -
    beta) * loss`, also of an entry of the tuple whose first entry is backpropagated, `losses[1]` after
    `losses[0].backward()`, and read after an inner loop that trains, `for j in range(k): ...
    losses[0].backward()`: gflownet, ReAgent) instead of a number (`loss.item()`), also through a
    method of a class of this file or another project module that adds its argument into the object's
    state (`losses.update(loss, n)` where `update` does `self.sum += val * n`, the AverageMeter pattern,
    also a meter of a dict of them, `metrics[k].update(loss_dict[k], n)` in `for k in loss_dict:` where an
    entry of the dict is the loss backpropagated, as in SLIP,
    also from a training-step method that backpropagates and updates a meter held in `self`, whatever
    computed the loss it backpropagates: `loss = loss_pix + loss_cls` of project criteria, BiRefNet, or
    the very entry of a dict that the iteration backpropagated, `out["loss"].backward()` then
    `meter.update(out["loss"])`, LIC-HPCM), a total of
    what a project helper returns when it backpropagates the loss and gives it back
    (`total += backward_and_step(loss, opt)`, also through an attribute bound to the method,
    `self.step_fn = self.step_auto`, or to one of several that all do so,
    `self.step_fn = {"auto": self.step_auto, "scaled": self.step_scaled}[mode]`), or
    what a project method returns after backpropagating a copy computed from it (`scaled = loss / k`,
    `scaled.backward()`, `return loss`: joeynmt's `_train_batch`), or
    what a project method returns after backpropagating a field of it (`losses = trainer.train_step(x)`
    where `train_step` runs `losses.total_loss.backward()` and returns `losses`, or a part unpacked
    from it: `cls, total = losses`), or
    a loss-named local the iteration backpropagates, whatever computed it: a project helper of unknown
    result, `loss = self._get_loss(y_hat, y)`, then `loss.div(batch_size).backward()` or
    `scaler.scale(loss).backward()` (simple-nmt), or a term summed from criterion calls and added into the
    loss that is backpropagated (`adv_loss += criterion(score, ones)`, `loss_g += w * adv_loss`,
    `loss_g.backward()`, `avg_adv_loss.append(adv_loss)`: VocGAN), or
    what a model call gives when the iteration backpropagates it as the loss itself
    (`losses = self.model.calculate_loss(batch)`, `loss = sum(losses)`, `loss.backward()`,
    `losses_list.append(losses)`; no fix, as it may be a tuple), or
    that keeps it in a container made before the loop (`log[step] = loss`, `totals[name] += loss`, each
    entry of a dict whose values the iteration sums into the loss it backpropagates, `losses =
    sum(loss for loss in loss_dict.values())`, `losses.backward()`, then `for k, v in loss_dict.items():
    totals[k] += v` (torchvision's detection recipe; also a dict built from that sum and those entries,
    `{"loss": total, **loss_dict}`; also the dict a project callable returns beside the sum of its
    values, `loss, loss_item = self.loss_fn(...)` with `loss_fn`'s `__call__` ending `return loss_sum,
    loss_dict`, once `loss` is backpropagated: YOLO's `DualLoss`, accumulated from what the step method
    returns), or
    `outputs.append(output)` of the dict whose `output["loss"]` was backpropagated, or a list made
    before the loop whose last element is the loss backpropagated, `losses[-1].backward()`, whatever
    expression was appended (`losses.append(reduce(add, parts))`), or whatever is stored into a list made
    before the loop an element of which is backpropagated (`losses[it] = model(x).sum()`, or unpacked,
    `losses[it], costs[it] = optimizer.step(closure)`, then `losses[it - 1].backward()`); no fix is
    offered for these). A meter
    whose method detaches what it is given (`v = v.data.sum()`) is not flagged; one that sums a host copy
    (`val.cpu()`) keeps the graph and is. Nor is a total set to a number for each batch in the loop over
    the data and added to in an inner loop that draws no data and repeats the step on that batch
    (melgan's `for _ in range(rep_discriminator)`): it holds one batch's graphs, dropped at the next.

    ## Why is this bad?
    A loss tensor carries its autograd graph. Summing it into a total makes the total depend on every
    iteration's graph, so none of them can be freed: memory grows with every batch until the run dies,
    or it just gets slower. It is the first entry of the PyTorch FAQ ("my model reports cuda runtime
    error(2): out of memory"). Building one loss from parts before `backward()` (`loss = loss + aux`) and
    accumulating under `torch.no_grad()` are fine and not flagged.

    ## Example
    ```python
    total_loss = 0.0
    for x, y in loader:
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        total_loss += loss
    ```

    ## Use instead
    ```python
    total_loss = 0.0
    for x, y in loader:
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        total_loss += loss.item()
    ```

    ## Fix safety
    The fix appends `.item()`. It is safe only when every other use of the total is one a Python number
    serves the same way: starting it at `0`/`0.0`/`[]`, accumulating, arithmetic and comparisons, printing,
    formatting, `float()`, `len()`, `sum()` and scalar logging (also through a name it is divided into).
    Anything else (`total.item()`, `torch.stack(losses)`, returning it or passing it to a function) makes
    the fix unsafe.

    ## References
    - PyTorch docs, FAQ: "Don't accumulate history across your training loop".
    """

    code = "NN501"
    name = "loss-accumulated-as-tensor"
    severity = Severity.WARNING
    message = "Accumulating the loss tensor keeps every iteration's autograd graph alive; add `loss.item()`."
    hint = "Accumulate a Python number (`.item()`) or a detached tensor (`.detach()`) for logging."

    VALID: ClassVar[list[str]] = [
        # A moving average of the number the loss was turned into (FocusSeq2Seq's running averages).
        """
import torch

def train(model, loader, optimizer, criterion):
    running = 0.0
    for x, y in loader:
        loss = criterion(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        loss = loss.item()
        running = running * 0.99 + loss * 0.01
""",
        # A total set to zero for each batch and added to while the discriminator step repeats on that
        # batch (melgan): it holds one batch's graphs, dropped when the next batch resets it.
        """
import torch

def train(model_d, optim_d, loader, reps):
    for mel, audio in loader:
        loss_d_sum = 0.0
        for _ in range(reps):
            optim_d.zero_grad()
            loss_d = model_d(audio).mean() - model_d(mel).mean()
            loss_d.backward()
            optim_d.step()
            loss_d_sum += loss_d
        print((loss_d_sum / reps).item())
""",
        # The helper backpropagates a scaled copy of the loss but returns the loss as a number.
        """
import torch

class TrainManager:
    def _train_batch(self, batch):
        batch_loss = self.model.get_loss_for_batch(batch)
        norm_loss = batch_loss / batch.ntokens
        (norm_loss / self.batch_multiplier).backward()
        self.optimizer.step()
        self.optimizer.zero_grad()
        return norm_loss.item()

    def train(self, loader):
        epoch_loss = 0
        for batch in loader:
            epoch_loss += self._train_batch(batch)
""",
        # timm's loss-scaler call backpropagates `loss` (DeiT's engine): summing the iteration's loss terms
        # into it before the call is building the loss, not accumulating a metric.
        """
import torch


def train_one_epoch(model, criterion, data_loader, optimizer, loss_scaler, args):
    model.train()
    for samples, targets in data_loader:
        outputs = model(samples)
        if not args.cosub:
            loss = criterion(samples, outputs, targets)
        else:
            loss = 0.25 * criterion(outputs[0], targets)
            loss = loss + 0.25 * criterion(outputs[1], targets)
        optimizer.zero_grad()
        loss_scaler(loss, optimizer, parameters=model.parameters())
""",
        # The step gives back numbers once it has backpropagated; the evaluation step never backpropagates.
        """
import torch
class Trainer(torch.nn.Module):
    def __init__(self, model, optimizer):
        super().__init__()
        self.model, self.optimizer = model, optimizer

    def train_step(self, x, y):
        self.optimizer.zero_grad()
        losses = self.model(x, y)
        losses.total.backward()
        self.optimizer.step()
        losses = Losses(*[value.item() for value in losses])
        return losses

    def eval_step(self, x, y):
        losses = self.model(x, y)
        return losses

def fit_one_epoch(loader):
    total_loss, val_loss = 0, 0
    for x, y in loader:
        losses = trainer.train_step(x, y)
        part, total = losses
        total_loss += total
        scores = trainer.eval_step(x, y)
        val_part, val_total = scores
        val_loss += val_total
    return total_loss
trainer = Trainer(model, optimizer)
""",
        # The model's output reaches the backward only through the criterion (it is no loss), the
        # kept values are numbers, and a model output that is not what gets backpropagated.
        """
import torch
class Trainer:
    def __init__(self, model, optimizer, criterion):
        self.model = model
        self.optimizer = optimizer
        self.criterion = criterion

    def train_epoch(self, loader):
        outputs, kept, scores = [], [], []
        for x, y in loader:
            self.optimizer.zero_grad()
            out = self.model(x)
            loss = self.criterion(out, y)
            loss.backward()
            self.optimizer.step()
            outputs.append(out)
            losses = self.model.calculate_loss(x)
            kept.append(losses)
        return outputs, kept
""",
        # The helper gives back a number; the meter of a validation step that never backpropagates.
        """
import torch
def backward_and_step(loss, optimizer):
    loss.backward()
    optimizer.step()
    return loss.item()

class Meter:
    def __init__(self):
        self.total = 0

    def update(self, value):
        self.total += value

class Runner:
    def __init__(self, model):
        self.model = model
        self.val_losses = Meter()

    def val_step(self, x, y):
        loss = torch.nn.functional.mse_loss(self.model(x), y)
        self.val_losses.update(loss)

for x, y in loader:
    optimizer.zero_grad()
    total += backward_and_step(torch.nn.functional.mse_loss(model(x), y), optimizer)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
""",
        # The sum is the loss that is backpropagated (a constructor parameter has the same name).
        """
import torch
class Trainer:
    def __init__(self, model, D_loss):
        self.model = model
        self.D_loss = D_loss

    def train(self, loader, optimizer):
        for x in loader:
            D_loss = 0
            for part in x:
                loss = self.D_loss(self.model, part)
                D_loss = D_loss + loss
            optimizer.zero_grad()
            D_loss.backward()
            optimizer.step()
""",
        # The meter gets another entry of the dict whose "loss" was backpropagated (maybe a number), and a
        # step method's meter gets the loss as a number.
        """
import torch

class AverageMeter:
    def __init__(self):
        self.sum, self.count = 0, 0

    def update(self, val, n=1):
        self.sum += val * n
        self.count += n

class Trainer:
    def __init__(self, model, optimizer):
        self.model, self.optimizer = model, optimizer
        self.loss_log = AverageMeter()

    def _train_batch(self, batch):
        loss = self.model(batch).sum() + self.model.penalty()
        self.loss_log.update(loss.item())
        loss.backward()
        self.optimizer.step()

def train_one_epoch(model, criterion, loader, optimizer):
    acc = AverageMeter()
    for d in loader:
        optimizer.zero_grad()
        out = criterion(model(d), d)
        out["loss"].backward()
        optimizer.step()
        acc.update(out["acc"])
""",
        # The meter is given a number, or detaches what it is given.
        """
import torch
class AverageMeter:
    def __init__(self):
        self.sum, self.count = 0, 0

    def update(self, val, n=1):
        self.sum += val * n
        self.count += n

class Detaching:
    def update(self, val):
        self.total += val.item()
        self.host += val.detach().cpu()
        self.array += val.cpu().numpy()

class Averager:
    def add(self, v):
        count = v.data.numel()
        v = v.data.sum()
        self.n_count += count
        self.sum += v

criterion = torch.nn.CrossEntropyLoss()
raw = Detaching()
meter = AverageMeter()
loss_avg = Averager()
for x, y in loader:
    loss = criterion(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    meter.update(loss.item(), x.size(0))
    raw.update(loss)
    loss_avg.add(loss)
""",
        """
import torch
criterion = torch.nn.CrossEntropyLoss()
total = 0.0
for x, y in loader:
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    total += loss.item()
""",
        # Under no_grad there is no graph to keep.
        """
import torch
criterion = torch.nn.CrossEntropyLoss()
with torch.no_grad():
    for x, y in val_loader:
        loss = criterion(model(x), y)
        total += loss
loss.backward()
""",
        # Gradient accumulation scales the loss; nothing is accumulated into a total.
        """
import torch
for i, (x, y) in enumerate(loader):
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss = loss / accum_steps
    loss.backward()
    if (i + 1) % accum_steps == 0:
        optimizer.step()
""",
        # Building one loss from parts before backward.
        """
import torch
for x, y in loader:
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss = loss + 0.1 * aux_loss
    loss.backward()
    optimizer.step()
""",
        # Summing per-head losses into the loss that is backpropagated.
        """
import torch
for x, y in loader:
    total_loss = 0
    for head in heads:
        total_loss += criterion(head(x), y)
    total_loss.backward()
    optimizer.step()
criterion = torch.nn.CrossEntropyLoss()
""",
        # A list of losses that is stacked and backpropagated.
        """
import torch
for x, y in loader:
    losses = []
    for head in heads:
        losses.append(criterion(head(x), y))
    torch.stack(losses).sum().backward()
    optimizer.step()
criterion = torch.nn.CrossEntropyLoss()
""",
        # Detached after the backward.
        """
import torch
for x, y in loader:
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    loss = loss.detach()
    running_loss += loss
criterion = torch.nn.CrossEntropyLoss()
""",
        # The helper returns a number; the file-wide `loss` role does not make this one a tensor.
        """
import torch
def train_step(model, x, y):
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()

for x, y in loader:
    loss = train_step(model, x, y)
    total += loss
criterion = torch.nn.CrossEntropyLoss()
""",
        # Stored as numbers or detached; a per-iteration dict; one fixed key replaced every iteration.
        """
import torch
criterion = torch.nn.CrossEntropyLoss()
step_log, totals, last = {}, {}, {}
for step, (x, y) in enumerate(loader):
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    step_log[step] = loss.item()
    totals["ce"] += loss.detach()
    step_log[step + 1] = float(loss)
    last["loss"] = loss
    row = {}
    row[step] = loss
""",
        # A dict of losses stacked and backpropagated later is the loss itself.
        """
import torch
criterion = torch.nn.CrossEntropyLoss()
losses = {}
for i, (x, y) in enumerate(loader):
    loss = criterion(model(x), y)
    losses[i] = loss
total = torch.stack(list(losses.values())).mean()
total.backward()
""",
        # The output dict's loss is detached before the dict is kept.
        """
import torch
outputs = []
for i, batch in enumerate(loader):
    output = module.training_step(batch, i)
    output["loss"].backward()
    optimizer.step()
    output["loss"] = output["loss"].detach()
    outputs.append(output)
""",
        # A list made for this iteration whose last element is backpropagated; the kept history holds
        # numbers.
        """
import torch
from functools import reduce
history = []
for x, y in loader:
    parts = [criterion(model(x), y), model.penalty()]
    step_losses = []
    step_losses.append(reduce(lambda a, b: a + b, parts))
    step_losses[-1].backward()
    history.append(reduce(lambda a, b: a + b, parts).item())
    optimizer.step()
criterion = torch.nn.CrossEntropyLoss()
""",
        # A list made for this iteration whose element is backpropagated.
        """
import torch
criterion = torch.nn.CrossEntropyLoss()
for x, y in loader:
    losses = []
    optimizer.zero_grad()
    losses.append(criterion(model(x), y))
    losses[-1].backward()
    optimizer.step()
""",
        # The attribute picks one of two methods, and one gives back a number: not every candidate returns
        # the loss tensor (unknown: silent).
        """
import torch
class Solver:
    def __init__(self, model, opt, loader, grad):
        self.model, self.opt, self.loader = model, opt, loader
        self.step_fn = {"auto": self.step_auto, "number": self.step_number}[grad]

    def step_auto(self, x):
        loss = self.model(x).mean()
        loss.backward()
        return loss, x

    def step_number(self, x):
        loss = self.model(x).mean()
        loss.backward()
        return loss.item(), x

    def run(self):
        total = 0
        for x in self.loader:
            self.opt.zero_grad()
            loss, _ = self.step_fn(x)
            total += loss
            self.opt.step()
""",
        # Per-step losses stored as numbers; a list of losses filled by the inner loop and backpropagated
        # once per outer step on purpose; detached values next to an element that is backpropagated.
        """
import torch
def train(model, x, optimizer, steps, chunks):
    history = [None] * steps
    for it in range(steps):
        optimizer.zero_grad()
        loss = model(x).sum()
        loss.backward()
        optimizer.step()
        history[it] = loss.item()
    for it in range(steps):
        parts = [None] * len(chunks)
        for i, chunk in enumerate(chunks):
            parts[i] = model(chunk).sum()
        optimizer.zero_grad()
        sum(parts).backward()
        optimizer.step()
    losses = [None] * steps
    kept = [None] * steps
    for it in range(1, steps):
        optimizer.zero_grad()
        losses[0] = model(x).sum()
        losses[0].backward()
        kept[it] = losses[0].detach()
        optimizer.step()
    return history
""",
        # The loss dict's entries are given as numbers; the statistics dict holds no backpropagated entry.
        """
import torch

class AverageMeter:
    def __init__(self, name):
        self.name, self.sum, self.count = name, 0, 0

    def update(self, val, n=1):
        self.sum += val * n
        self.count += n

def train(loader, model, criterion, optimizer, scaler, names, stats_of):
    metrics = {name: AverageMeter(name) for name in names}
    for x, y in loader:
        out = model(x)
        loss_dict = criterion(out, y)
        loss = loss_dict["loss"]
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad()
        for k in loss_dict:
            metrics[k].update(loss_dict[k].item(), x.size(0))
        stats = stats_of(out, y)
        for k, value in stats.items():
            metrics[k].update(value, x.size(0))
""",
        # The backpropagated loss is detached before it is kept; the targets read by the loss are data.
        """
import torch

def train(model, loader, optimizer, compute_loss):
    history, targets = [], []
    for x, y in loader:
        optimizer.zero_grad()
        loss = compute_loss(model(x), y)
        loss.div(x.size(0)).backward()
        optimizer.step()
        targets.append(y)
        loss = loss.detach()
        history.append(loss)
""",
        # A validation pass nested in the epoch runs a model of its own: its meter is no training step's.
        """
import torch

class Meter:
    def update(self, val, n=1):
        self.sum += val * n

def train(model, loader, val_loader, optimizer, criterion):
    val_meter = Meter()
    for x, y in loader:
        loss = criterion(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        for vx, vy in val_loader:
            val_loss = criterion(model(vx), vy)
            val_meter.update(val_loss)
""",
        # The entries summed into the backpropagated loss are detached before they are kept.
        """
def train(model, loader, optimizer):
    totals = {}
    for images, targets in loader:
        loss_dict = model(images, targets)
        losses = sum(loss for loss in loss_dict.values())
        optimizer.zero_grad()
        losses.backward()
        optimizer.step()
        loss_dict = {k: v.detach() for k, v in loss_dict.items()}
        for name, value in loss_dict.items():
            totals[name] += value
""",
        # The validation helper computes its loss under `no_grad` (verl's `validation_step`), or returns a
        # new tensor made from numbers (`torch.tensor(np.sum(losses))`, then averaged over the ranks): what
        # the training loop keeps per epoch holds no graph, whatever its name says.
        """
import numpy as np
import torch
import torch.distributed as dist


class Trainer:
    def validation_step(self, batch):
        with torch.no_grad():
            loss = self.model(batch).mean()
            loss /= dist.get_world_size()
        return loss

    def evaluate(self, data):
        losses = []
        with torch.no_grad():
            for batch in data:
                losses.append(self.model(batch).mean().item())
        loss = torch.tensor(np.sum(losses)).to(self.device)
        loss = loss / dist.get_world_size()
        return loss

    def train(self, loader, val_loader, epochs):
        dev_losses = []
        for epoch in range(epochs):
            dev_loss = self.evaluate(val_loader)
            for batch in loader:
                loss = self.model(batch).mean()
                loss.backward()
                self.optimizer.step()
                val_losses = []
                for val_batch in val_loader:
                    val_loss = self.validation_step(val_batch)
                    val_losses.append(val_loss)
            dev_losses.append(dev_loss)
""",
        # A list started empty at the top of each iteration (PPLM's perturbation loop): it holds the parts of
        # this iteration's loss only, and the next iteration drops them.
        """
import torch


def perturb(model, classifier, x, label, iterations):
    for i in range(iterations):
        probs = model(x).softmax(-1)
        loss = 0.0
        loss_list = []
        if label is not None:
            part = torch.nn.functional.cross_entropy(classifier(probs), label)
            loss += part
            loss_list.append(part)
        loss.backward()
""",
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        # The near miss: the list is started afresh per epoch, in the loop around the batch loop that
        # appends to it, so it keeps every batch's graph until the epoch ends.
        Invalid(
            """
def train(model, loader, optimizer, epochs):
    for epoch in range(epochs):
        losses = []
        for x, y in loader:
            loss = model(x, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss)
        print(sum(losses) / len(losses))
""",
            line=10,
        ),
        # The near miss of the valid helpers: this one scales a loss that carries its graph (computed with
        # recording on), so the per-epoch list keeps every epoch's graph.
        Invalid(
            """
import torch
import torch.distributed as dist


class Trainer:
    def evaluate(self, data):
        loss = torch.stack([self.model(batch).mean() for batch in data]).mean()
        loss = loss / dist.get_world_size()
        return loss

    def train(self, loader, val_loader, epochs):
        dev_losses = []
        for epoch in range(epochs):
            dev_loss = self.evaluate(val_loader)
            for batch in loader:
                loss = self.model(batch).mean()
                loss.backward()
                self.optimizer.step()
            dev_losses.append(dev_loss)
""",
            line=20,
        ),
        # Every entry of the dict is a part of the loss backpropagated, graph attached: each kept total
        # holds every iteration's graph (the torchvision detection recipe, accumulated per key).
        Invalid(
            """
def train(model, loader, optimizer):
    totals = {}
    for images, targets in loader:
        loss_dict = model(images, targets)
        losses = sum(loss for loss in loss_dict.values())
        optimizer.zero_grad()
        losses.backward()
        optimizer.step()
        for name, value in loss_dict.items():
            totals[name] += value
""",
            line=11,
        ),
        # A total set to zero per epoch and added to per batch spans the whole epoch's graphs.
        Invalid(
            """
import torch

def train(model_d, optim_d, loader, epochs):
    for epoch in range(epochs):
        loss_sum = 0.0
        for mel, audio in loader:
            optim_d.zero_grad()
            loss_d = model_d(audio).mean() - model_d(mel).mean()
            loss_d.backward()
            optim_d.step()
            loss_sum += loss_d
        print(loss_sum.item())
""",
            line=12,
        ),
        # The helper backpropagates a scaled copy of the loss and returns the loss it was computed from,
        # graph attached; the epoch total adds it (joeynmt's TrainManager).
        Invalid(
            """
import torch

class TrainManager:
    def _train_batch(self, batch):
        batch_loss = self.model.get_loss_for_batch(batch)
        norm_loss = batch_loss / batch.ntokens
        norm_multiply = norm_loss / self.batch_multiplier
        norm_multiply.backward()
        self.optimizer.step()
        self.optimizer.zero_grad()
        return norm_loss

    def train(self, loader):
        epoch_loss = 0
        for batch in loader:
            batch_loss = self._train_batch(batch)
            epoch_loss += batch_loss
""",
            line=18,
        ),
        # The backpropagating method is reached through an attribute bound to it, or to a dict of methods
        # that all backpropagate the loss and return it.
        Invalid(
            """
import torch
class Solver:
    def __init__(self, model, opt, loader, grad="auto"):
        self.model, self.opt, self.loader = model, opt, loader
        self.step_fn = self.step_auto
        self.pick_fn = {"auto": self.step_auto, "scaled": self.step_scaled}[grad]

    def step_auto(self, x):
        loss = self.model(x).mean()
        loss.backward()
        return loss, x

    def step_scaled(self, x):
        loss = 2.0 * self.model(x).mean()
        loss.backward()
        return loss, x

    def run(self):
        total, picked = 0, 0
        for x in self.loader:
            self.opt.zero_grad()
            loss, _ = self.step_fn(x)
            total += loss
            self.opt.step()
        for x in self.loader:
            self.opt.zero_grad()
            other, _ = self.pick_fn(x)
            picked += other
            self.opt.step()
""",
            line=24,
        ),
        Invalid(
            """
import torch
class Solver:
    def __init__(self, model, opt, loader, grad="auto"):
        self.model, self.opt, self.loader = model, opt, loader
        self.pick_fn = {"auto": self.step_auto, "scaled": self.step_scaled}[grad]

    def step_auto(self, x):
        loss = self.model(x).mean()
        loss.backward()
        return loss, x

    def step_scaled(self, x):
        loss = 2.0 * self.model(x).mean()
        loss.backward()
        return loss, x

    def run(self):
        picked = 0
        for x in self.loader:
            self.opt.zero_grad()
            other, _ = self.pick_fn(x)
            picked += other
            self.opt.step()
""",
            line=23,
        ),
        # The loss is never a name: unpacked into a list made before the loop and backpropagated from it
        # the next iteration (a line search), or stored and backpropagated through the subscript.
        Invalid(
            """
import torch
def train(model, x, optimizer, steps):
    def closure():
        return model(x).sum(), 0.0

    losses, costs = [None] * steps, [None] * steps
    losses[0], costs[0] = closure()
    it = 1
    while it < steps:
        optimizer.zero_grad()
        losses[it - 1].backward()
        losses[it], costs[it] = optimizer.step(closure)
        it += 1
    return losses
""",
            line=13,
        ),
        Invalid(
            """
import torch
def train(model, x, optimizer, steps):
    kept = [None] * steps
    for it in range(steps):
        optimizer.zero_grad()
        kept[it] = model(x).sum()
        kept[it].backward()
        optimizer.step()
    return kept
""",
            line=7,
        ),
        # The trainer's step backpropagates one field of the losses it returns; the loop sums the parts.
        Invalid(
            """
import torch
from collections import namedtuple
LossTuple = namedtuple("LossTuple", ["cls_loss", "loc_loss", "total_loss"])
class Trainer(torch.nn.Module):
    def __init__(self, model, optimizer):
        super().__init__()
        self.model, self.optimizer = model, optimizer

    def forward(self, x, y):
        cls_loss, loc_loss = self.model(x, y)
        return LossTuple(cls_loss, loc_loss, cls_loss + loc_loss)

    def train_step(self, x, y):
        self.optimizer.zero_grad()
        losses = self.forward(x, y)
        losses.total_loss.backward()
        self.optimizer.step()
        return losses

def fit_one_epoch(loader):
    total_loss = 0
    for x, y in loader:
        losses = trainer.train_step(x, y)
        cls_part, loc_part, total = losses
        total_loss += total
    return total_loss
trainer = Trainer(model, optimizer)
""",
            line=26,
        ),
        # The meter sums a host copy of what it is given: `.cpu()` keeps the graph.
        Invalid(
            """
import torch
import horovod.torch as hvd
class Metric:
    def __init__(self, name):
        self.name = name
        self.sum = torch.tensor(0.0)

    def update(self, val):
        self.sum += hvd.allreduce(val.cpu(), name=self.name)

def train(model, loader, optimizer):
    train_loss = Metric("train_loss")
    for x, y in loader:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        train_loss.update(loss)
""",
            line=19,
        ),
        # Whatever is appended is the loss: the iteration backpropagates the list's last element.
        Invalid(
            """
import torch
from functools import reduce
def optimize(params, loss_function):
    optimizer = torch.optim.Adam(params)
    losses = []
    while True:
        optimizer.zero_grad()
        parts = loss_function(*params)
        losses.append(reduce(lambda a, b: a + b, parts))
        if len(losses) > 1000:
            break
        losses[-1].backward()
        optimizer.step()
""",
            line=10,
        ),
        # The list outlives the loop; only its last element is backpropagated, every earlier one is kept.
        Invalid(
            """
import torch
criterion = torch.nn.CrossEntropyLoss()
losses = []
for x, y in loader:
    optimizer.zero_grad()
    losses.append(criterion(model(x), y))
    losses[-1].backward()
    optimizer.step()
""",
            line=7,
        ),
        # What a model method gives is the loss (or a tuple of losses) that is backpropagated; it is kept.
        Invalid(
            """
import torch
class Trainer:
    def __init__(self, model, optimizer):
        self.model = model
        self.optimizer = optimizer

    def train_epoch(self, loader):
        losses_list = []
        for batch in loader:
            self.optimizer.zero_grad()
            losses = self.model.calculate_loss(batch)
            loss = sum(losses) if isinstance(losses, tuple) else losses
            loss.backward()
            self.optimizer.step()
            losses_list.append(losses)
        return sum(losses_list)
""",
            line=16,
        ),
        # A training-step method updates the object's meter with loss tensors (called once per batch).
        Invalid(
            """
import torch
class Meter:
    def __init__(self, n):
        self._sum = [0] * n

    def update(self, values):
        for i, v in enumerate(values):
            self._sum[i] += v

class Runner:
    def __init__(self, model, optimizer):
        self.model, self.optimizer = model, optimizer
        self.losses = Meter(2)

    def train_step(self, x, y):
        out = self.model(x)
        ce = torch.nn.functional.cross_entropy(out, y)
        reg = out.pow(2).mean()
        loss = ce + reg
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.losses.update([ce * 1000, reg])
""",
            line=24,
        ),
        # The averager rebinds what it is given, but to a value still attached to the graph.
        Invalid(
            """
import torch
class Averager:
    def add(self, v):
        count = v.numel()
        v = v.sum()
        self.n_count += count
        self.sum += v

criterion = torch.nn.CrossEntropyLoss()
loss_avg = Averager()
for x, y in loader:
    cost = criterion(model(x), y)
    optimizer.zero_grad()
    cost.backward()
    optimizer.step()
    loss_avg.add(cost)
""",
            line=17,
        ),
        # A helper backpropagates the loss and returns it; the loop sums what it returns.
        Invalid(
            """
import torch
def backward_and_step(loss, optimizer, scale=1.0):
    loss = loss * scale
    loss.backward()
    optimizer.step()
    return loss

for epoch in range(10):
    total = 0
    for x, y in loader:
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        total += backward_and_step(loss, optimizer)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
""",
            line=14,
        ),
        # One loss tensor per step kept in a dict made before the loop.
        Invalid(
            """
import torch
criterion = torch.nn.CrossEntropyLoss()
step_log = {}
for step, (x, y) in enumerate(loader):
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    step_log[step] = loss
""",
            line=9,
        ),
        # Summed per key into a dict of totals.
        Invalid(
            """
import torch
criterion = torch.nn.CrossEntropyLoss()
totals = {}
for name, x, y in loader:
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    totals[name] += loss * x.size(0)
""",
            line=9,
        ),
        # The output dict whose loss was backpropagated, kept for the whole epoch.
        Invalid(
            """
import torch
outputs = []
for i, batch in enumerate(loader):
    output = module.training_step(batch, i)
    output["loss"].backward()
    optimizer.step()
    outputs.append(output)
""",
            line=8,
        ),
        # Through a method: the meter's update adds the loss tensor into `self.sum`.
        Invalid(
            """
import torch
class AverageMeter:
    def __init__(self):
        self.sum, self.count = 0, 0

    def update(self, val, n=1):
        self.sum += val * n
        self.count += n

criterion = torch.nn.CrossEntropyLoss()
losses = AverageMeter()
for x, y in loader:
    loss = criterion(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.update(loss, x.size(0))
""",
            line=18,
        ),
        Invalid(
            """
import torch
criterion = torch.nn.CrossEntropyLoss()
total_loss = 0.0
for x, y in loader:
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    total_loss += loss
print(total_loss / len(loader))
""",
            line=9,
            fixed="""
import torch
criterion = torch.nn.CrossEntropyLoss()
total_loss = 0.0
for x, y in loader:
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    total_loss += loss.item()
print(total_loss / len(loader))
""",
        ),
        Invalid(
            """
import torch.nn.functional as F
running = 0
for x, y in loader:
    loss = F.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    running = running + loss * x.size(0)
""",
            line=8,
            fixed="""
import torch.nn.functional as F
running = 0
for x, y in loader:
    loss = F.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    running = running + (loss * x.size(0)).item()
""",
        ),
        # A list of loss tensors, later stacked for logging: the fix is offered as unsafe.
        Invalid(
            """
import torch
losses = []
for batch in loader:
    outputs = model(**batch)
    loss = outputs.loss
    accelerator.backward(loss)
    optimizer.step()
    losses.append(loss)
print(torch.stack(losses).mean())
""",
            line=9,
            fixed="""
import torch
losses = []
for batch in loader:
    outputs = model(**batch)
    loss = outputs.loss
    accelerator.backward(loss)
    optimizer.step()
    losses.append(loss.item())
print(torch.stack(losses).mean())
""",
        ),
        # Every entry of the criterion's loss dict, the backpropagated one included, goes to a meter of a
        # dict of meters that sums it (SLIP's train loop).
        Invalid(
            """
import torch
from collections import OrderedDict

class AverageMeter:
    def __init__(self, name):
        self.name, self.sum, self.count = name, 0, 0

    def update(self, val, n=1):
        self.sum += val * n
        self.count += n

def train(loader, model, criterion, optimizer, scaler, names):
    metrics = OrderedDict([(name, AverageMeter(name)) for name in names])
    for x in loader:
        loss_dict = criterion(model(x))
        loss = loss_dict["loss"]
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad()
        for k in loss_dict:
            metrics[k].update(loss_dict[k], x.size(0))
""",
            line=23,
        ),
        # The criterion's dict entry that was backpropagated, handed to a meter of the file under the
        # same key (LIC-HPCM's training loop); another entry of the dict is not asked about.
        Invalid(
            """
import torch

class AverageMeter:
    def __init__(self):
        self.sum, self.count = 0, 0

    def update(self, val, n=1):
        self.sum += val * n
        self.count += n

def train_one_epoch(model, criterion, loader, optimizer):
    loss = AverageMeter()
    for d in loader:
        optimizer.zero_grad()
        out_criterion = criterion(model(d), d)
        out_criterion["loss"].backward()
        optimizer.step()
        loss.update(out_criterion["loss"])
""",
            line=19,
        ),
        # A training-step method backpropagates a sum of project criteria's outputs and hands it to a
        # meter it keeps (BiRefNet's `_train_batch`): what it backpropagates has a graph.
        Invalid(
            """
import torch
from losses import PixLoss, ClsLoss

class AverageMeter:
    def __init__(self):
        self.sum, self.count = 0, 0

    def update(self, val, n=1):
        self.sum += val * n
        self.count += n

class Trainer:
    def __init__(self, model, optimizer):
        self.model, self.optimizer = model, optimizer
        self.pix_loss, self.cls_loss = PixLoss(), ClsLoss()
        self.loss_log = AverageMeter()

    def _train_batch(self, batch):
        preds, class_preds = self.model(batch[0])
        loss_pix = self.pix_loss(preds, batch[1]) * 1.0
        loss = loss_pix + self.cls_loss(class_preds, batch[2])
        self.loss_log.update(loss, batch[0].size(0))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
""",
            line=23,
        ),
        # A helper of unknown result gives the loss, which the iteration backpropagates scaled
        # (simple-nmt's trainer): it has a graph, and the epoch total keeps it.
        Invalid(
            """
import torch

def train(model, loader, optimizer, compute_loss):
    total_loss = 0
    for x, y in loader:
        optimizer.zero_grad()
        loss = compute_loss(model(x), y)
        loss.div(x.size(0)).backward()
        optimizer.step()
        total_loss += loss
""",
            line=11,
        ),
        # The adversarial term, summed from criterion calls, is added into the generator loss that is
        # backpropagated, and kept in a list made before the loop (VocGAN).
        Invalid(
            """
import torch

def train(gen, disc, loader, optimizer, criterion, start):
    adv_history = []
    for step, (x, y) in enumerate(loader):
        optimizer.zero_grad()
        fake = gen(x)
        loss_g = (fake - y).abs().mean()
        adv_loss = 0.0
        if step > start:
            for score in disc(fake):
                adv_loss += criterion(score, torch.ones_like(score))
            loss_g += 0.1 * adv_loss
        loss_g.backward()
        optimizer.step()
        adv_history.append(adv_loss)
""",
            line=17,
        ),
        # A moving average of the loss tensor chains every iteration's graph (ReAgent's loss EMA).
        Invalid(
            """
import torch

def train(model, loader, optimizer, criterion):
    loss_ema = 0.0
    for x, y in loader:
        loss = criterion(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        loss_ema = loss_ema * 0.99 + 0.01 * loss
""",
            line=11,
        ),
        # An average of an entry of the loss tuple whose first entry an inner loop backpropagates, kept
        # by the outer loop for early stopping (gflownet's `GFlowNetAgent.train`).
        Invalid(
            """
import torch

class Agent:
    def trajectory_balance(self, batch):
        loss = (self.model(batch) - batch).pow(2).mean()
        return (loss, loss, loss), batch

    def train(self, n_steps):
        loss_ema = None
        for it in range(n_steps):
            for j in range(self.repeats):
                losses, rewards = self.trajectory_balance(self.sample())
                losses[0].backward()
                self.opt.step()
                self.opt.zero_grad()
            if loss_ema:
                loss_ema = self.alpha * losses[1] + (1.0 - self.alpha) * loss_ema
            else:
                loss_ema = losses[1]
""",
            line=18,
        ),
    ]

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if not isinstance(node.operator, cst.AddAssign):
            return
        if isinstance(node.target, cst.Subscript):
            self._check_store(node, node.target.value, node.value)  # `totals[name] += loss`
        else:
            self._check(node, node.target, node.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        value = node.value
        if len(node.targets) == 1 and type(node.targets[0].target) is cst.Subscript:
            if _per_key(node.targets[0].target):
                self._check_store(node, node.targets[0].target.value, value)
            return
        if len(node.targets) == 1 and type(node.targets[0].target) in (cst.Tuple, cst.List):
            # `losses[it], costs[it] = optimizer.step(closure)`: what each element gets is not an
            # expression of its own; a container an element of which is backpropagated holds losses.
            for element in node.targets[0].target.elements:
                if isinstance(element.value, cst.Subscript) and _per_key(element.value):
                    if self._check_store(node, element.value.value, None):
                        return
            return
        if len(node.targets) != 1 or type(value) is not cst.BinaryOperation:
            return
        if not isinstance(value.operator, cst.Add):
            return
        target = self.ctx.dotted(node.targets[0].target)
        if target is None:
            return
        if self.ctx.dotted(value.left) == target:
            self._check(node, node.targets[0].target, value.right)
        elif self.ctx.dotted(value.right) == target:
            self._check(node, node.targets[0].target, value.left)
        elif self._weighs(value.left, target):
            self._check(node, node.targets[0].target, value.right)  # `ema = beta * ema + (1 - beta) * loss`
        elif self._weighs(value.right, target):
            self._check(node, node.targets[0].target, value.left)  # `ema = a * loss + (1 - a) * ema`

    def _weighs(self, term: cst.BaseExpression, total: str) -> bool:
        """Whether `term` is the running total times a factor (`beta * ema`, `ema * (1 - a)`): the old
        value of a moving average, which the new one keeps (with its graph) as much as a plain sum does."""
        if type(term) is not cst.BinaryOperation or type(term.operator) is not cst.Multiply:
            return False
        return total in (self.ctx.dotted(term.left), self.ctx.dotted(term.right))

    _THROUGH_METHOD = (
        "`{method}` adds this loss tensor into the object's running total, which keeps every iteration's "
        "autograd graph alive; pass `loss.item()`."
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        # Both spellings need a loop that backpropagates; a file without `backward` has none (and asking
        # the gradient flow about every method call of every file is not cheap).
        if type(func) is not cst.Attribute or not self.ctx.loops.may_train:
            return
        # Both need a loop around the call, or (a meter's update only) a method on `self.`-state: asked of
        # the syntax tree before the loop and gradient analyses are.
        in_loop = self.ctx.index.enclosing(node, (cst.For, cst.While)) is not None
        if func.attr.value == "append" and len(node.args) == 1:
            if in_loop and self.ctx.callee(node) is None:
                value = node.args[0].value
                if self.ctx.gradients.holds_backpropagated(value, node):
                    self._check_store(node, func.value, value)  # `outputs.append(output)`, output['loss']
                else:
                    self._check(node, func.value, value, appended=node)
            return
        if not in_loop and (
            self.ctx.enclosing_function(node) is None
            or not (self.ctx.dotted(func.value) or "").startswith("self.")
        ):
            return  # `_keeps_graphs` says no
        for value in self.ctx.gradients.accumulating_method(node):
            # `losses.update(loss, n)` into a meter (of this file or a project module) whose `update` does
            # `self.sum += val * n`.
            if self._keeps_graphs(node, func.value) and self.ctx.gradients.carries_graph(value, node):
                self.report(
                    node, self._THROUGH_METHOD.format(method=self.ctx.dotted(func) or func.attr.value)
                )
                return

    def _keeps_graphs(self, node: cst.CSTNode, receiver: cst.BaseExpression) -> bool:
        """Whether a meter updated at `node` keeps a graph per training step: in a loop that trains, or in
        a training step method (it backpropagates itself, once per call) updating a meter of the object
        (`self.losses`), which outlives the call."""
        if self._in_training(node):
            return True
        function = self.ctx.enclosing_function(node)
        if function is None or not (self.ctx.dotted(receiver) or "").startswith("self."):
            return False
        if self.ctx.gradients.under_no_grad(node):
            return False
        return any(
            event.kind is EventKind.BACKWARD and not event.no_grad and event.nested == 0
            for event in self.ctx.loops.function_events(function)
        )

    def _in_training(self, node: cst.CSTNode) -> bool:
        """In a loop that backpropagates, or in an inner loop of one (`for k in loss_dict:` in the batch
        loop), outside `no_grad`."""
        gradients = self.ctx.gradients
        return gradients.backpropagating_loop(node) is not None and not gradients.under_no_grad(node)

    def _check(
        self,
        node: cst.CSTNode,
        total: cst.BaseExpression,
        value: cst.BaseExpression,
        appended: cst.Call | None = None,
    ) -> None:
        name = self.ctx.dotted(total)
        if name is None or name == self.ctx.dotted(value):
            return
        if self.ctx.index.enclosing(node, (cst.For, cst.While)) is None:
            return  # no loop around it (asked below too, after the costlier questions)
        gradients = self.ctx.gradients
        attached = gradients.carries_graph(value, node) or (
            appended is not None and gradients.appended_then_backpropagated(name, appended)
        )
        if not attached or gradients.backpropagated_at(name, node):
            return  # a number, or building the loss that is backpropagated
        loop = self.ctx.loops.enclosing_loop(node)
        if loop is None or gradients.under_no_grad(node):
            return
        if not gradients.backpropagates(loop) and not gradients.backpropagates_inside(loop):
            return
        if self._reset_every_batch(name, loop) or gradients.started_afresh(name, node):
            return
        # A model's output made the loss may be a tuple of losses: `.item()` is no fix for that; nor for a
        # list whose last element is backpropagated (`losses[-1].backward()` needs the tensor).
        fixable = self.ctx.roles.is_loss_expr(value) and not gradients.element_backpropagated(name, node)
        self.report(node, fix=self._fix(name, value) if fixable else None)

    def _reset_every_batch(self, name: str, loop: Loop) -> bool:
        """Whether the total only spans the repeats of one batch: set to a number in the body of the loop
        over the data (`loss_d_sum = 0.0`), then added to in an inner loop that draws no data and repeats
        the step on that batch (melgan's `for _ in range(rep_discriminator)`). Each batch rebinds it, so
        the graphs it keeps are those of one batch, already backpropagated. A total set per epoch and
        added to per batch spans the whole epoch: its loop iterates the data, and it is reported."""
        loops, evaluation = self.ctx.loops, self.ctx.evaluation
        outer = loops.enclosing_loop(loop.node)
        if outer is None or outer.function is not loop.function or evaluation.iterates_data(loop):
            return False
        if not evaluation.iterates_data(outer):
            return False
        index = self.ctx.index
        reset = any(
            isinstance(assign.value, (cst.Integer, cst.Float))
            and any(self.ctx.dotted(target.target) == name for target in assign.targets)
            and loops.enclosing_loop(assign) is outer
            for assign in index.nodes(cst.Assign)
        )
        values = reaching_values(self.ctx, name, loop.node) if reset else None
        return bool(values) and all(isinstance(value, (cst.Integer, cst.Float)) for value in values)

    _STORED = (
        "This loss tensor (or the dict holding it) is kept in `{container}`, which outlives the loop "
        "iteration, so every iteration's autograd graph stays alive; store `loss.item()` or `loss.detach()`."
    )

    def _check_store(
        self, node: cst.CSTNode, container: cst.BaseExpression, value: cst.BaseExpression | None
    ) -> bool:
        """A loss tensor (or a dict holding the one that was backpropagated) written into a container
        that lives across the iterations: `log[step] = loss`, `totals[k] += loss`, `outputs.append(out)`,
        or what is stored (`value`; None when unpacked from a call) into a container an element of which
        is backpropagated (`losses[it] = model(x).sum()`, then `losses[it - 1].backward()`). No fix: what
        else reads the container (stacking, `.item()` later) decides what keeps meaning. Whether it
        reported."""
        name = self.ctx.dotted(container)
        gradients = self.ctx.gradients
        # The syntactic question first: whether the loop trains may read the helpers it calls.
        if name is None or not gradients.outlives_iteration(name, node):
            return False
        element_backward = gradients.element_backpropagated(name, node)
        if name in gradients.backpropagated and (
            not element_backward or gradients.container_backpropagated(name, node)
        ):
            return False  # the kept losses are the loss being built: `torch.stack(losses).sum().backward()`
        if value is None or gradients.is_detached(value):
            attached = value is None and element_backward
        else:
            attached = (
                element_backward
                or gradients.carries_graph(value, node)
                or gradients.holds_backpropagated(value, node)
            )
        if attached and self._in_training(node):
            self.report(node, self._STORED.format(container=name))
            return True
        return False

    def _fix(self, total: str, value: cst.BaseExpression) -> RuleFix:
        bare = value.with_changes(lpar=[], rpar=[])
        code = self.ctx.module.code_for_node(bare)
        if not isinstance(value, _ATOMS):
            code = f"({code})"
        return RuleFix(
            message="Accumulate `.item()`",
            replacements=((value, f"{code}.item()"),),
            safe=self._numeric_only(total, set()),
        )

    @cached_property
    def _uses(self) -> dict[str, list[cst.BaseExpression]]:
        """Every expression of the file by its dotted name (`total`, `self.losses`), built in one pass."""
        uses: dict[str, list[cst.BaseExpression]] = {}
        index = self.ctx.index
        for node_type in (cst.Name, cst.Attribute):
            for node in index.nodes(node_type):
                parent = index.parent(node)
                if isinstance(parent, cst.Attribute) and parent.attr is node:
                    continue  # `x.total` does not use `total`
                name = self.ctx.dotted(node)
                if name is not None:
                    uses.setdefault(name, []).append(node)
        return uses

    def _numeric_only(self, total: str, seen: set[str]) -> bool:
        """Whether every use of `total` would work the same if it held a Python number (see Fix safety)."""
        if total in seen:
            return True
        seen.add(total)
        for use in self._uses.get(total, []):
            if not self._numeric_use(use, total, seen):
                return False
        return True

    def _numeric_use(self, use: cst.BaseExpression, total: str, seen: set[str]) -> bool:
        index = self.ctx.index
        node: cst.CSTNode = use
        parent = index.parent(node)
        if isinstance(parent, cst.Attribute) and parent.value is node:
            call = index.parent(parent)
            return (
                parent.attr.value in vocab.LIST_FILLING_METHODS
                and isinstance(call, cst.Call)
                and call.func is parent
            )
        while isinstance(parent, _PASS_THROUGH):
            if isinstance(parent, cst.Subscript) and parent.value is not node:
                return True  # used as an index: `xs[total]` reads it as an int
            node, parent = parent, index.parent(parent)
        if isinstance(parent, cst.AugAssign):
            return parent.target is node or self.ctx.dotted(parent.target) == total
        if isinstance(parent, cst.AssignTarget):
            assign = index.parent(parent)
            return isinstance(assign, cst.Assign) and _starts_numeric(assign.value, seen, self.ctx.dotted)
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
            target = self.ctx.dotted(parent.targets[0].target)
            return target is not None and (target == total or self._numeric_only(target, seen))
        if isinstance(parent, cst.Call) and node is not parent.func:
            func = parent.func
            if isinstance(func, cst.Name):
                return func.value in vocab.NUMBER_SINK_BUILTINS and func.value not in self.ctx.functions
            return isinstance(func, cst.Attribute) and func.attr.value in vocab.LOGGING_METHODS
        return isinstance(parent, (cst.If, cst.While, cst.Assert)) and node is parent.test


def _per_key(target: cst.Subscript) -> bool:
    """`log[step]`, `losses[it - 1]`: a store that keeps one value per key; `log["loss"]`, `xs[0]` and
    slices replace what one fixed place holds."""
    if not all(isinstance(element.slice, cst.Index) for element in target.slice):
        return False
    keys = [element.slice.value for element in target.slice if isinstance(element.slice, cst.Index)]
    return not any(isinstance(key, (cst.SimpleString, cst.Integer, cst.Float)) for key in keys)


def _starts_numeric(
    value: cst.BaseExpression, numbers: set[str], dotted: Callable[[cst.BaseExpression], str | None]
) -> bool:
    """`total = 0`, `total = 0.0`, `losses = []`, or arithmetic on a name of `numbers` (the total and the
    names derived from it): `total = total + x`, `avg = total / n`."""
    if isinstance(value, (cst.Integer, cst.Float)):
        return True
    if isinstance(value, cst.List) and not value.elements:
        return True
    return isinstance(value, cst.BinaryOperation) and bool(
        numbers & {dotted(value.left), dotted(value.right)}
    )
