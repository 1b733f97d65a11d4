"""NN203 missing-zero-grad: a training loop steps the optimizer but never clears the gradients."""

from __future__ import annotations

from functools import cached_property
from typing import ClassVar

import libcst as cst

from nnlint.engine.entry import in_test_function
from nnlint.engine.loops import Event, EventKind, Loop
from nnlint.finding import Severity
from nnlint.rule import Evidence, Invalid, LoopRule


class MissingZeroGrad(LoopRule):
    """## What it does
    Flags a training loop that calls `backward()` and `optimizer.step()` but never clears the gradients.

    Clearing means `optimizer.zero_grad()`, `model.zero_grad()`, `p.grad = None` (or a fresh zero tensor) or
    `p.grad.zero_()`, in the loop body, in the helper functions it calls (a helper of another project module
    counts when it only clears: `zero_grad(self.model_params)` from an fp16 utility module), or in the closure
    an `LBFGS` step runs (a closure of the file that backpropagates and clears nothing is flagged; one the
    file does not hold is taken to clear). An optimizer whose gradients are cleared only through another
    optimizer or model (a GAN that clears D but not G, also with its optimizers kept in a dict, `opts["D"]`
    and `opts["G"]`) is flagged, and so is a step whose clearing sits only in the other branch of an `if` (`if
    amp: optimizer.zero_grad(); ... else: loss.backward(); optimizer.step()`), and so are optimizers kept in a
    list and stepped in a loop over it (`for opt in self.optimizers: opt.step()`) that nothing clears. So is a
    step after an `if`/`else` on a setting the loop never changes (`if args.moe: loss = ... else:
    model.zero_grad(); loss = ...`, then the shared `loss.backward(); optimizer.step()`) when only one side
    clears: a run that takes the other side never clears. A side that backpropagates on its own, or replays a
    captured CUDA graph, is not such a path, nor is a step under a second `if` of the same test on the
    clearing side (EGNN's `if partition == 'train':` around the clear and again around the step). A method the
    loop calls that steps its object's own optimizer (`self.optimizers.step()` in `train_step`) is reported at
    that step, the line to change, with the loop's call as a related location. A per-batch training step with
    no loop of its own (`GAN.step(batch)`, looped by a script elsewhere) is flagged when it clears some
    model's or optimizer's gradients but never those of an optimizer kept on its object that it steps
    (`self.discriminator.optimizer`); a step that clears nothing
    leaves clearing to its caller and is not flagged. A process function handed to PyTorch-Ignite's
    `Engine` (`Engine(update)`) is the body of the batch loop Ignite runs. A loop whose only clearing runs
    on a single iteration
    (`if batch_idx == 0: optimizer.zero_grad()`, the counter bound or assigned by the loop, `self.batch_index
    = b_idx` for a step method) or only when a scheduler exists (the clear indented into `if self.scheduler:
    self.scheduler.step()`) is flagged at that clearing.

    A callable parameter called for its effect (`backprop(loss)` in an epoch method) counts as what
    every call of the method hands it: a trainer base class that calls
    `self._train_epoch_impl(progress, self._backprop)` (also through an attribute a subclass binds to its
    own epoch method, or one a base class binds to an epoch method the subclass overrides) makes
    `backprop(loss)` the base's `_backprop`, a backward and a step.

    Gradients live on the parameters, not on the optimizer: a loop that builds a new optimizer every
    batch over the same model (to set its learning rate) and never clears is flagged; one that builds the
    model afresh too (`for lr in lrs: model = Net(); opt = SGD(model.parameters(), lr=lr)`) is not. A
    clearing that runs only on a path that ends the iteration (`if mode == "dann": opt.zero_grad(); ...;
    continue`) clears nothing for the steps after it. Only optimizers count: a name that says optimizer
    bound to a project class that reads no gradient and steps nothing (an EMA helper's
    `ema_optimizer.step()`), or that says scheduler as well (`optimizer_scheduler`), is not one. A test
    of a test suite (a `test*` function of a pytest or unittest module) that steps a few times to see that
    training runs trains nothing anyone uses: not flagged.

    Gradient accumulation is not flagged: clearing under a condition
    (`if (i + 1) % accum == 0: optimizer.step(); optimizer.zero_grad()`) still clears, and so does
    `if idx == 0: optimizer.zero_grad()` with a counter the step sets back to 0. Lightning's
    `training_step` (the trainer clears) is not flagged.

    ## Why is this bad?
    `backward()` adds into `.grad`; it never overwrites. Without clearing, every step applies the sum of
    all gradients so far, so the effective learning rate grows with the iteration count and the updates
    follow stale directions. Training still runs and the loss may even fall for a while, which is why
    Karpathy's recipe and the "checklist for debugging neural networks" both list the forgotten
    `zero_grad()` among the most common silent bugs.

    ## Example
    ```python
    for x, y in loader:
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
    ```

    ## Use instead
    ```python
    for x, y in loader:
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
    ```

    ## References
    - A. Karpathy, "A Recipe for Training Neural Networks" (2019).
    - PyTorch docs, `torch.optim.Optimizer.zero_grad` and "Zeroing out gradients in PyTorch".
    """

    code = "NN203"
    name = "missing-zero-grad"
    severity = Severity.ERROR
    message = (
        "This loop steps the optimizer but never clears the gradients, so each step applies the sum of "
        "every gradient so far; call `optimizer.zero_grad()` once per iteration."
    )
    hint = "`backward()` accumulates into `.grad`: clear it before the forward pass or right after `step()`."

    VALID: ClassVar[list[str]] = [
        # A unit test that steps a model a few times to see that training runs (openspeech's test suite).
        """
import unittest
import torch

class TestModel(unittest.TestCase):
    def test_forward_backward(self):
        model = torch.nn.Linear(4, 2)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(3):
            loss = model(torch.randn(8, 4)).sum()
            loss.backward()
            optimizer.step()
            self.assertIsInstance(loss.item(), float)
""",
        # pytorch-ts: `SWALR` is a learning-rate scheduler (its `.step()` anneals the rates) and
        # `AveragedModel` a running average of the weights; the optimizer is the one cleared.
        """
import torch
from torch.optim.swa_utils import AveragedModel, SWALR

def fit(net, loader, epochs, swa_start):
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    swa_model = AveragedModel(net)
    swa_scheduler = SWALR(optimizer, swa_lr=0.05)
    for epoch in range(epochs):
        for x in loader:
            optimizer.zero_grad()
            net(x).backward()
            optimizer.step()
            if epoch > swa_start:
                swa_model.update_parameters(net)
                swa_scheduler.step()
    return swa_model
""",
        # An optimizer built every batch (to set its learning rate) and cleared once built.
        """
import torch.optim as optim


def train(encoder, head, criterion, loader):
    for x, y in loader:
        optimizer = optim.SGD(list(encoder.parameters()) + list(head.parameters()), lr=0.01)
        optimizer.zero_grad()
        criterion(head(encoder(x)), y).backward()
        optimizer.step()
""",
        # Each mode clears on its own path: the adversarial branch before its step, the plain path after.
        """
def train(model, criterion, loader, mode, optimizer):
    for x, y in loader:
        if mode == "dann":
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
            continue
        criterion(model(x), y).backward()
        optimizer.step()
        optimizer.zero_grad()
""",
        # An EMA helper named like an optimizer: its `step()` blends weights and never reads a gradient;
        # and a learning-rate scheduler a trainer is handed under a name that says both.
        """
from typing import Optional

from torch.optim.lr_scheduler import _LRScheduler


class WeightEMA(object):
    def __init__(self, model, ema_model, alpha=0.999):
        self.params = list(model.state_dict().values())
        self.ema_params = list(ema_model.state_dict().values())
        self.alpha = alpha

    def step(self):
        for param, ema_param in zip(self.params, self.ema_params):
            ema_param.mul_(self.alpha).add_(param * (1 - self.alpha))


class Trainer:
    def __init__(self, optimizer, optimizer_scheduler: Optional[_LRScheduler] = None):
        self.optimizer = optimizer
        self.optimizer_scheduler = optimizer_scheduler

    def fit(self, model, ema_model, loader):
        ema_optimizer = WeightEMA(model, ema_model)
        for x in loader:
            self.optimizer.zero_grad()
            model(x).mean().backward()
            self.optimizer.step()
            ema_optimizer.step()
            self.optimizer_scheduler.step()
""",
        # The step the epoch is handed clears before it backpropagates.
        """
class Trainer:
    def step(self, loss):
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()

    def fit(self):
        self.run_epoch(self.step)

    def run_epoch(self, backprop):
        for x in self.loader:
            backprop(self.model(x).mean())
""",
        # Two callers hand the epoch different callables (one only logs): what `backprop` does is unknown.
        """
class Trainer:
    def step(self, loss):
        loss.backward()
        self.optimizer.step()

    def show(self, loss):
        print(loss.item())

    def fit(self):
        self.run_epoch(self.step)

    def check(self):
        self.run_epoch(self.show)

    def run_epoch(self, backprop):
        for x in self.loader:
            backprop(self.model(x).mean())
""",
        # A clear on the first batch and another after every step; a clear under a string test; a
        # scheduler stepped in its own block with the clearing outside it.
        """
import torch
for i, (x, y) in enumerate(loader):
    if i == 0:
        optimizer.zero_grad()
    loss_fn(model(x), y).backward()
    optimizer.step()
    optimizer.zero_grad()
""",
        # The first micro-batch of each accumulation cycle clears: once per step.
        """
import torch
for x, y in loader:
    micro = 0
    while micro < accum:
        if micro == 0:
            optimizer.zero_grad()
        loss_fn(model(x[micro]), y[micro]).backward()
        micro += 1
    optimizer.step()
""",
        """
import torch
for phase in ["train", "val"]:
    for x, y in loaders[phase]:
        if phase == "train":
            optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        if phase == "train":
            loss.backward()
            optimizer.step()
""",
        """
import torch
for x, y in loader:
    loss_fn(model(x), y).backward()
    optimizer.step()
    if scheduler is not None:
        scheduler.step()
    optimizer.zero_grad()
""",
        # Step methods with no loop of their own: one clears nothing (its caller does), one clears both
        # models, one steps an optimizer its caller hands it.
        """
import torch
class Discriminator(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Linear(4, 1)
        self.optimizer = torch.optim.Adam(self.parameters())

class Generator(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Linear(2, 4)
        self.optimizer = torch.optim.Adam(self.parameters())

class GAN:
    def __init__(self):
        self.generator = Generator()
        self.discriminator = Discriminator()

    def step_d(self, real):
        self.discriminator(real).mean().backward()
        self.discriminator.optimizer.step()

    def step(self, real, noise):
        self.discriminator.zero_grad()
        self.discriminator(real).mean().backward()
        self.discriminator.optimizer.step()
        self.generator.zero_grad()
        self.discriminator(self.generator(noise)).mean().backward()
        self.generator.optimizer.step()

    def step_with(self, optimizer, real):
        self.generator.zero_grad()
        self.discriminator(real).mean().backward()
        optimizer.step()
""",
        # One side replays a captured CUDA graph (which clears and backpropagates inside the graph); the
        # other clears, runs the forward and backpropagates itself: no backward is shared by both sides.
        # A side chosen per iteration (`if i % 2 == 0`) is not a run-wide switch either.
        """
import torch
optimizer = torch.optim.Adam(model.parameters())
for i, (x, y) in enumerate(loader):
    if train_graph is not None:
        static_x.copy_(x)
        train_graph.replay()
    else:
        model.zero_grad(set_to_none=True)
        criterion(model(x), y).backward()
    optimizer.step()
for i, (x, y) in enumerate(loader):
    if i % 2 == 0:
        optimizer.zero_grad()
        loss = criterion(model(x), y)
    else:
        loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
""",
        # Each branch of the AMP switch clears the gradients it steps.
        """
import torch
optimizer = torch.optim.AdamW(model.parameters())
for x, y in loader:
    loss = criterion(model(x), y)
    if args.amp:
        optimizer.zero_grad()
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    else:
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
""",
        # Optimizers in a list, cleared in one loop over it and stepped in another (names differ).
        """
import torch
optimizers = [torch.optim.AdamW(encoder.parameters()), torch.optim.SGD(head.parameters(), lr=0.1)]
for x, y in loader:
    for optimizer in optimizers:
        optimizer.zero_grad()
    loss(x, y).backward()
    for opt in optimizers:
        opt.step()
""",
        # Accumulation with a counter that the step sets back to 0: `counter == 0` comes round again.
        """
import torch
model = torch.nn.Linear(2, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
batch_per_iter_idx = 0
for x, y in loader:
    if batch_per_iter_idx == 0:
        optimizer.zero_grad()
    loss = ((model(x) - y) ** 2).mean() / 4
    loss.backward()
    batch_per_iter_idx += 1
    if batch_per_iter_idx == 4:
        optimizer.step()
        batch_per_iter_idx = 0
""",
        # Gradient accumulation: clearing under the same condition as the step.
        """
import torch
model = torch.nn.Linear(2, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for i, (x, y) in enumerate(loader):
    loss = ((model(x) - y) ** 2).mean() / 4
    loss.backward()
    if (i + 1) % 4 == 0:
        optimizer.step()
        optimizer.zero_grad()
""",
        # Clearing in a helper the loop calls, with set_to_none.
        """
import torch
model = torch.nn.Linear(2, 1)
optimizer = torch.optim.AdamW(model.parameters())

def reset(opt):
    opt.zero_grad(set_to_none=True)

for x, y in loader:
    reset(optimizer)
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    optimizer.step()
""",
        # A step method that starts by clearing every parameter's gradient through a helper
        # (improved-diffusion's `zero_grad(self.model_params)`).
        """
import torch

def zero_grad(model_params):
    for param in model_params:
        if param.grad is not None:
            param.grad.detach_()
            param.grad.zero_()

class TrainLoop:
    def __init__(self, model):
        self.model = model
        self.model_params = list(model.parameters())
        self.opt = torch.optim.AdamW(self.model_params, lr=1e-4)

    def run_loop(self, data):
        while True:
            self.run_step(next(data))

    def run_step(self, batch):
        zero_grad(self.model_params)
        self.model(batch).mean().backward()
        self.opt.step()
""",
        # Clearing parameter by parameter, and through the model.
        """
import torch
model = torch.nn.Linear(2, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for x, y in loader:
    for p in model.parameters():
        p.grad = None
    model(x).sum().backward()
    optimizer.step()
for x, y in loader:
    model.zero_grad()
    model(x).sum().backward()
    optimizer.step()
""",
        # A helper that gives every gradient a fresh zero tensor (2017-era GAN and VAE scripts).
        """
import torch
from torch.autograd import Variable
params = [W, b]
def reset_grad():
    for p in params:
        if p.grad is not None:
            data = p.grad.data
            p.grad = Variable(data.new().resize_as_(data).zero_())
solver = torch.optim.Adam(params, lr=1e-3)
for it in range(100000):
    loss = model(next_batch()).mean()
    loss.backward()
    solver.step()
    reset_grad()
""",
        # Zeroing right after the step, in the same iteration.
        """
import torch
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for batch in loader:
    loss = model(batch).mean()
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
""",
        # LBFGS: the closure clears, evaluates and backpropagates; the step runs it.
        """
import torch
optimizer = torch.optim.LBFGS(model.parameters())
for x, y in loader:
    def closure():
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        return loss
    optimizer.step(closure)
""",
        # Closures built with functools.partial: `fn` here is not the `fn` nested in the other test.
        """
import functools
import torch

def objective(optimizer, w):
    optimizer.zero_grad()
    loss = (w ** 2).sum()
    loss.backward()
    return loss

def test_converges(w):
    optimizer = torch.optim.LBFGS([w])
    def fn():
        optimizer.zero_grad()
        (w ** 2).sum().backward()
    for _ in range(5):
        optimizer.step(fn)

def test_copies_agree(w, w_copy):
    optimizer = torch.optim.LBFGS([w])
    copy = torch.optim.LBFGS([w_copy])
    fn = functools.partial(objective, optimizer, w)
    fn_copy = functools.partial(objective, copy, w_copy)
    for _ in range(5):
        optimizer.step(fn)
        copy.step(fn_copy)
""",
        # Lightning: the trainer owns the loop and clears the gradients.
        """
import lightning as L
import torch
class Net(L.LightningModule):
    def training_step(self, batch, batch_idx):
        x, y = batch
        return torch.nn.functional.cross_entropy(self(x), y)
""",
        # A fresh model and optimizer every iteration start with no gradients.
        """
import torch
for lr in (0.1, 0.01):
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    model(x).sum().backward()
    optimizer.step()
""",
        # The same loop clearing the gradients each iteration; and a scaler call whose `update_grad=`
        # decides the step (an accumulation guard inside the call) is not read as an unconditional step.
        """
import torch


def train_one_epoch(model, criterion, data_loader, optimizer, device, loss_scaler, max_norm=0):
    model.train()
    for samples, targets in data_loader:
        samples = samples.to(device)
        optimizer.zero_grad()
        outputs = model(samples)
        loss = criterion(outputs, targets)
        loss_scaler(loss, optimizer, clip_grad=max_norm, parameters=model.parameters())
        torch.cuda.synchronize()
""",
        """
import torch


def train_one_epoch(model, criterion, data_loader, optimizer, device, loss_scaler, max_norm=0):
    model.train()
    for samples, targets in data_loader:
        samples = samples.to(device)
        outputs = model(samples)
        loss = criterion(outputs, targets)
        loss_scaler(loss, optimizer, update_grad=(i + 1) % 4 == 0, parameters=model.parameters())
        torch.cuda.synchronize()
""",
        # Optimizers kept in a dict, told apart by their keys: each is cleared, one by its key and both
        # through the dict's values.
        """
import torch
import torch.nn as nn

nets = {"G": nn.Linear(4, 2), "D": nn.Linear(2, 1)}
opts = {"G": torch.optim.Adam(nets["G"].parameters()), "D": torch.optim.Adam(nets["D"].parameters())}
for step in range(100):
    for opt in opts.values():
        opt.zero_grad()
    fake = nets["G"](torch.randn(8, 4))
    nets["D"](fake.detach()).mean().backward()
    opts["D"].step()
    opts["G"].zero_grad()
    nets["D"](fake).mean().backward()
    opts["G"].step()
""",
        # EGNN's QM9 epoch function, shared by training and evaluation: it clears under `if partition ==
        # 'train':` and steps under a second `if` of the same test, so a run on the other side never steps.
        """
import torch

def run_epoch(model, optimizer, loader, partition="train"):
    for batch in loader:
        if partition == "train":
            model.train()
            optimizer.zero_grad()
        else:
            model.eval()
        pred = model(batch.x)
        if partition == "train":
            loss = (pred - batch.y).abs().mean()
            loss.backward()
            optimizer.step()
        else:
            loss = (pred - batch.y).abs().mean()
""",
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        # An Ignite process function, the body of the batch loop `Engine(update).run(loader)` runs, that
        # steps and never clears.
        Invalid(
            """
import torch
from ignite.engine import Engine

def main(model, optimizer, loader):
    def update(engine, batch):
        model.train()
        x, y = batch
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    Engine(update).run(loader)
""",
            line=11,
        ),
        # A helper that only gives a missing gradient its first zero tensor clears nothing.
        """
import torch
params = list(model.parameters())
def ensure_grads():
    for p in params:
        if p.grad is None:
            p.grad = torch.zeros_like(p)
solver = torch.optim.Adam(params, lr=1e-3)
for batch in loader:
    ensure_grads()
    loss = model(batch).mean()
    loss.backward()
    solver.step()
""",
        # A new optimizer every batch over the same parameters clears nothing: the gradients live on the
        # parameters (DANN's source-only mode; the adversarial mode reschedules the optimizer it is given).
        Invalid(
            """
import torch.optim as optim


def train(encoder, head, criterion, loader, mode, optimizer, schedule):
    for step, (x, y) in enumerate(loader):
        if mode == "dann":
            optimizer = schedule(optimizer, step)
            optimizer.zero_grad()
            criterion(head(encoder(x)), y).backward()
            optimizer.step()
        elif mode == "source":
            optimizer = optim.SGD(list(encoder.parameters()) + list(head.parameters()), lr=0.01)
            criterion(head(encoder(x)), y).backward()
            optimizer.step()
""",
            line=15,
        ),
        # The only clearing is on the path that ends the iteration (`continue`): the other path never
        # clears, and its steps add the adversarial mode's gradients too.
        Invalid(
            """
def train(model, criterion, loader, mode, optimizer):
    for x, y in loader:
        if mode == "dann":
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
            continue
        criterion(model(x), y).backward()
        optimizer.step()
""",
            line=10,
        ),
        # A hand-written optimizer class that reads `p.grad` is an optimizer, whatever it derives from.
        Invalid(
            """
class PlainSGD:
    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr

    def step(self):
        for p in self.params:
            p.data -= self.lr * p.grad


def fit(model, loader):
    my_optimizer = PlainSGD(model.parameters(), lr=0.1)
    for x in loader:
        model(x).mean().backward()
        my_optimizer.step()
""",
            line=15,
        ),
        # A subclass binds the base's epoch hook to its own epoch method, which runs the backprop callable
        # the base hands it (backward and step) on every batch and never clears (torch-em's mean teacher).
        Invalid(
            """
class Trainer:
    def _backprop(self, loss):
        loss.backward()
        self.optimizer.step()

    def fit(self, progress):
        self._train_epoch_impl(progress, self._backprop)


class MeanTeacher(Trainer):
    def __init__(self, unsupervised):
        if unsupervised:
            self._train_epoch_impl = self._train_epoch_unsupervised

    def _train_epoch_unsupervised(self, progress, backprop):
        for x in self.loader:
            loss = self.loss(self.model(x), self.teacher(x))
            backprop(loss)
""",
            line=19,
        ),
        # A per-batch step method, looped by a caller elsewhere: it clears the generator, never the
        # discriminator whose optimizer (kept on the model) it steps.
        Invalid(
            """
import torch
class Discriminator(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Linear(4, 1)
        self.optimizer = torch.optim.Adam(self.parameters())

class Generator(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Linear(2, 4)
        self.optimizer = torch.optim.Adam(self.parameters())

class GAN:
    def __init__(self):
        self.generator = Generator()
        self.discriminator = Discriminator()
        self.criterion = torch.nn.BCELoss()

    def step(self, real, noise, ones, zeros):
        self.criterion(self.discriminator(real), ones).backward()
        fake = self.generator(noise)
        self.criterion(self.discriminator(fake.detach()), zeros).backward()
        self.discriminator.optimizer.step()
        self.generator.zero_grad()
        self.criterion(self.discriminator(fake), ones).backward()
        self.generator.optimizer.step()
""",
            line=25,
        ),
        # The loop clears once, before it starts; the method it calls per batch steps the object's
        # optimizers: reported at that step, the line to change.
        Invalid(
            """
import torch
class Recipe:
    def __init__(self, model):
        self.model = model
        self.optimizers = torch.optim.AdamW(model.parameters())

    def train_step(self, batch):
        self.model(batch).mean().backward()
        self.optimizers.step()

    def train(self, loader):
        self.optimizers.zero_grad()
        for batch in loader:
            self.train_step(batch)
""",
            line=10,
        ),
        # Two per-batch step methods, one per back end, each clearing only under fp16 (FlagAI's trainer):
        # each is a place to fix, so the second is reported too, at its own call.
        Invalid(
            """
class Trainer:
    def step_ddp(self, batch, model, optimizer):
        model(batch).mean().backward()
        if self.fp16:
            optimizer.step()
            optimizer.zero_grad()
        else:
            optimizer.step()

    def step_plain(self, batch, model, optimizer):
        model(batch).mean().backward()
        if self.fp16:
            optimizer.step()
            optimizer.zero_grad()
        else:
            optimizer.step()

    def train(self, loader, model, optimizer):
        for batch in loader:
            if self.ddp:
                self.step_ddp(batch, model, optimizer)
            else:
                self.step_plain(batch, model, optimizer)
""",
            line=24,
        ),
        # Only one side of a run-wide switch clears before the shared backward and step (chemprop's
        # mixture-of-experts branch computes its loss and never clears).
        Invalid(
            """
import torch
optimizer = torch.optim.Adam(model.parameters())
for batch in loader:
    if args.moe:
        loss = model.compute_loss(batch)
    else:
        model.zero_grad()
        loss = criterion(model(batch.x), batch.y)
    loss.backward()
    optimizer.step()
""",
            line=11,
        ),
        # The near miss of EGNN's epoch function: the step's own `if` tests another setting than the one
        # around the clear, so a run with `partition == "valid"` steps the sum of every gradient so far.
        Invalid(
            """
import torch

def run_epoch(model, optimizer, loader, partition="train"):
    for batch in loader:
        if partition == "train":
            optimizer.zero_grad()
        else:
            model.eval()
        loss = (model(batch.x) - batch.y).abs().mean()
        if partition != "test":
            loss.backward()
            optimizer.step()
""",
            line=13,
        ),
        # Only the AMP branch clears: the plain branch steps the sum of every gradient so far.
        Invalid(
            """
import torch
optimizer = torch.optim.AdamW(model.parameters())
for x, y in loader:
    loss = criterion(model(x), y)
    if args.amp:
        optimizer.zero_grad()
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    else:
        loss.backward()
        optimizer.step()
""",
            line=13,
        ),
        Invalid(
            """
import torch
model = torch.nn.Linear(2, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for x, y in loader:
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    optimizer.step()
""",
            line=8,
        ),
        # Through a helper: the step happens in `update`, reported at the call in the loop.
        Invalid(
            """
import torch
optimizer = torch.optim.Adam(model.parameters())

def update(opt, loss):
    loss.backward()
    opt.step()

for batch in loader:
    update(optimizer, model(batch).sum())
""",
            line=10,
        ),
        # Clearing once per epoch is not clearing once per step.
        Invalid(
            """
import torch
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(10):
    optimizer.zero_grad()
    for x, y in loader:
        criterion(model(x), y).backward()
        optimizer.step()
""",
            line=8,
        ),
        # A GAN that clears only the discriminator: the generator's gradients pile up.
        Invalid(
            """
import torch
opt_d = torch.optim.Adam(net_d.parameters())
opt_g = torch.optim.Adam(net_g.parameters())
for real in loader:
    net_d.zero_grad()
    d_loss(real).backward()
    opt_d.step()
    g_loss(real).backward()
    opt_g.step()
""",
            line=10,
        ),
        # Optimizers kept in a list and stepped in a loop over it, never cleared.
        Invalid(
            """
import torch
class FineTuner:
    def __init__(self, encoder, head):
        self.optimizers = [torch.optim.AdamW(encoder.parameters()), torch.optim.SGD(head.parameters())]
    def run(self, loader):
        for x, y in loader:
            self.loss(x, y).backward()
            for opt in self.optimizers:
                opt.step()
""",
            line=10,
        ),
        # The only clearing runs on the first batch.
        Invalid(
            """
import torch
for i, (x, y) in enumerate(loader):
    if i == 0:
        optimizer.zero_grad()
    loss_fn(model(x), y).backward()
    optimizer.step()
""",
            line=5,
        ),
        # A per-batch step method whose clearing was indented into the scheduler's block: a run without
        # a scheduler never clears (tez's `Model.train_one_step`).
        Invalid(
            """
import torch
class Model(torch.nn.Module):
    def train_one_step(self, data):
        self.loss(data).backward()
        self.optimizer.step()
        if self.scheduler:
            self.scheduler.step()
            self.zero_grad()
    def train_one_epoch(self, loader):
        for data in loader:
            self.train_one_step(data)
""",
            line=9,
        ),
        # timm's loss-scaler object (DeiT, ConvNeXt, BEiT training engines): `loss_scaler(loss, optimizer)`
        # backpropagates and steps in its `__call__`, so the loop trains without saying `backward`.
        Invalid(
            """
import torch


def train_one_epoch(model, criterion, data_loader, optimizer, device, loss_scaler, max_norm=0):
    model.train()
    for samples, targets in data_loader:
        samples = samples.to(device)
        outputs = model(samples)
        loss = criterion(outputs, targets)
        loss_scaler(loss, optimizer, clip_grad=max_norm, parameters=model.parameters())
        torch.cuda.synchronize()
""",
            line=11,
        ),
        # LBFGS with a closure of this file that backpropagates and never clears: every evaluation the
        # step makes adds its gradients to the last. Reported at the step, which runs the closure.
        Invalid(
            """
import torch
import torch.nn as nn

xs, ys = torch.randn(100, 1), torch.randn(100, 1)
mlp = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 1))
lbfgs = torch.optim.LBFGS(mlp.parameters(), lr=0.5)


def closure():
    loss = nn.functional.mse_loss(mlp(xs), ys)
    loss.backward()
    return loss


for it in range(20):
    lbfgs.step(closure)
""",
            line=17,
        ),
        # Optimizers kept in a dict: the discriminator's is cleared by its key, the generator's never.
        Invalid(
            """
import torch
import torch.nn as nn

nets = {"G": nn.Linear(4, 2), "D": nn.Linear(2, 1)}
opts = {"G": torch.optim.Adam(nets["G"].parameters()), "D": torch.optim.Adam(nets["D"].parameters())}
for step in range(100):
    fake = nets["G"](torch.randn(8, 4))
    opts["D"].zero_grad()
    nets["D"](fake.detach()).mean().backward()
    opts["D"].step()
    nets["D"](fake).mean().backward()
    opts["G"].step()
""",
            line=13,
        ),
        # The base class picks the epoch method in `__init__` (`self._epoch_impl = self._epoch_unsupervised`)
        # and a subclass overrides it (torch-em's UniMatch v2 trainer): on the subclass's instances the
        # override runs, handed `self._backprop` (backward and step), and it never clears.
        Invalid(
            """import torch


class Trainer:
    def __init__(self, model, loader, unsupervised):
        self.model = model
        self.loader = loader
        self.optimizer = torch.optim.Adam(model.parameters())
        if unsupervised:
            self._epoch_impl = self._epoch_unsupervised
        else:
            self._epoch_impl = self._epoch_supervised

    def _backprop(self, loss):
        loss.backward()
        self.optimizer.step()

    def fit(self, epochs):
        for _ in range(epochs):
            self._epoch_impl(self._backprop)

    def _epoch_supervised(self, backprop):
        for x, y in self.loader:
            self.optimizer.zero_grad()
            backprop(torch.nn.functional.mse_loss(self.model(x), y))

    def _epoch_unsupervised(self, backprop):
        for x, _ in self.loader:
            self.optimizer.zero_grad()
            backprop(self.model(x).pow(2).mean())


class Consistency(Trainer):
    def _epoch_unsupervised(self, backprop):
        for x, _ in self.loader:
            loss = (self.model(x) - self.model(x.flip(-1))).pow(2).mean()
            backprop(loss)
""",
            line=37,
        ),
    ]

    def check_loop(self, loop: Loop) -> None:
        node = loop.node
        if not loop.trains or _runs_once(node) or in_test_function(self.ctx, node):
            return
        zeros = loop.of_kind(EventKind.ZERO_GRAD, own=False)
        # One finding per optimizer and per helper chain that steps it: two step methods of a trainer
        # (`train_step_pytorch`, `train_step_pytorchDDP`, one per back end) that each step without clearing
        # are two places to fix.
        reported: set[tuple[str | None, tuple[str, ...]]] = set()
        for step in loop.of_kind(EventKind.STEP):
            if (step.target, step.via) in reported or self.ctx.loops.starts_without_gradients(loop, step):
                continue
            if self.ctx.loops.clears_in_unread_closure(step):
                continue  # a closure this file does not hold may clear
            clearing = [zero for zero in zeros if self.ctx.loops.clears(loop, zero, step)]
            guards = [self.ctx.loops.sparse_clearing(loop, zero, step) for zero in clearing]
            one_sided = self.ctx.loops.one_sided_clearing(loop, clearing, step) if clearing else None
            if one_sided is not None and not all(guards):
                reported.add((step.target, step.via))
                self._report_one_sided(step, one_sided, clearing)
            elif clearing and all(guards):
                # The line to change is the last clearing: it belongs outside its condition.
                reported.add((step.target, step.via))
                related = (Evidence(step.node, "the step that applies the gradients"), *self._at(guards))
                self.report(clearing[-1].node, self._sparse_message(step.target, guards), related=related)
            elif not clearing:
                reported.add((step.target, step.via))
                if self._owned_by_helper(step):
                    # The helper is the training step: the clearing belongs at its start.
                    related = (Evidence(step.site, "called once per iteration of the loop here"),)
                    self.report(step.node, self._message(step.target), related=related)
                elif self.ctx.loops.runs_closure(step):
                    self.report(step.site, self._CLOSURE.format(optimizer=step.target or "the optimizer"))
                else:
                    self.report(step.site, self._message(step.target))

    _CLOSURE = (
        "`{optimizer}` runs a closure that backpropagates but never clears the gradients, and nothing "
        "else in this loop does, so every evaluation adds to the last; call `{optimizer}.zero_grad()` at "
        "the top of the closure."
    )

    def _report_one_sided(self, step: Event, branch: cst.If, clearing: list[Event]) -> None:
        """A step after an `if`/`else` only one side of which clears (chemprop's `if args.moe:`)."""
        test = self.ctx.module.code_for_node(branch.test)
        name = f"`{step.target}`" if step.target else "The optimizer"
        message = (
            f"{name} steps after `if {test}:` in every iteration, but only one side of that `if` clears the "
            "gradients, and the test does not change within the loop, so a run that takes the other side "
            "never clears and each step applies the sum of every gradient so far; clear on both sides (or "
            "before the `if`)."
        )
        related = (
            Evidence(
                branch.test, "the side of this `if` that clears is not the only one that reaches the step"
            ),
            Evidence(clearing[-1].node, "the only clearing"),
        )
        self.report(step.site, message, related=related)

    def _sparse_message(self, optimizer: str | None, guards: list[cst.If | None]) -> str:
        tests = ", ".join(
            sorted({f"`if {self.ctx.module.code_for_node(guard.test)}:`" for guard in guards if guard})
        )
        name = f"`{optimizer}`" if optimizer else "The optimizer"
        return (
            f"{name} steps in every iteration of this loop but its gradients are cleared only under "
            f"{tests} (one iteration, or only when a scheduler is set), so the other steps add every earlier "
            "gradient to their own; move this clearing out of that condition."
        )

    def _at(self, guards: list[cst.If | None]) -> tuple[Evidence, ...]:
        return tuple(
            Evidence(guard.test, "the only clearing runs under this condition") for guard in guards if guard
        )

    def _owned_by_helper(self, step: Event) -> bool:
        """Whether a step reached through a method of this file steps an optimizer the method finds on its
        object (`self.optimizers.step()` in `train_step`), rather than one its caller hands it."""
        if not step.via or step.target is None or not step.target.startswith("self."):
            return False
        function = self.ctx.enclosing_function(step.node)
        if function is None or not function.params.params:
            return False
        return (
            function.params.params[0].name.value == "self" and self.ctx.enclosing_class(function) is not None
        )

    _STEP_FUNCTION = (
        "`{optimizer}` steps in every call of this training step but its gradients are never cleared (the "
        "step clears {cleared} only), so each call applies the sum of every gradient so far; call "
        "`{optimizer}.zero_grad()` (or its model's) at the start of the step."
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """A training step with no loop of its own, looped by a caller this file does not show
        (`GAN.step(batch)` called per batch from a script): it backpropagates, steps an optimizer kept on
        the object (which outlives the call) and clears the gradients of some other optimizer or model
        but never of this one. A step that clears nothing leaves clearing to its caller: not flagged.
        An Ignite process function is a loop's body (`LoopRule.visit_FunctionDef`)."""
        super().visit_FunctionDef(node)
        loops = self.ctx.loops
        if node not in self._stepping_functions or node in loops.inlined_functions:
            return
        if in_test_function(self.ctx, node.body):
            return
        events = [event for event in loops.function_events(node) if not event.no_grad]
        if not any(event.kind is EventKind.BACKWARD and event.nested == 0 for event in events):
            return
        zeros = [event for event in events if event.kind is EventKind.ZERO_GRAD]
        if not zeros:
            return
        steps = [event for event in events if event.kind is EventKind.STEP and event.nested == 0]
        reported: set[str] = set()
        for step in steps:
            target = step.target
            if target is None or not target.startswith("self.") or target in reported:
                continue
            if loops.runs_closure(step) or any(loops.clears_among(steps, zero, step) for zero in zeros):
                continue
            reported.add(target)
            cleared = ", ".join(sorted({f"`{zero.target}`" for zero in zeros if zero.target}))
            self.report(step.site, self._STEP_FUNCTION.format(optimizer=target, cleared=cleared))

    @cached_property
    def _stepping_functions(self) -> frozenset[cst.FunctionDef]:
        """Functions that call a `.step()` themselves, in a file that can train: the only candidates for
        a training step (one pass over the file's calls instead of events for every function)."""
        if not self.ctx.loops.may_train:
            return frozenset()
        found = set()
        for call in self.ctx.index.nodes(cst.Call):
            if type(call.func) is cst.Attribute and call.func.attr.value == "step":
                function = self.ctx.enclosing_function(call)
                if function is not None:
                    found.add(function)
        return frozenset(found)

    def _message(self, optimizer: str | None) -> str:
        if optimizer is None:
            return self.message
        owner = optimizer.split("[", 1)[0]  # `opts["G"]`: one optimizer of a dict, named by its key
        if self.ctx.roles.elements(optimizer) or not owner.replace(".", "").isidentifier():
            return (
                f"The optimizers in `{optimizer}` step in every iteration of this loop but their gradients "
                "are never cleared, so each step applies the sum of every gradient so far; call "
                "`zero_grad()` on each once per iteration."
            )
        return (
            f"`{optimizer}` steps in every iteration of this loop but its gradients are never cleared, so "
            f"each step applies the sum of every gradient so far; call `{optimizer}.zero_grad()` once per "
            "iteration."
        )


def _runs_once(node: cst.For | cst.While) -> bool:
    """A loop whose body ends in an unconditional `break` (a smoke test) has a single iteration."""
    body = node.body
    if not isinstance(body, cst.IndentedBlock) or not body.body:
        return False
    last = body.body[-1]
    return isinstance(last, cst.SimpleStatementLine) and any(isinstance(s, cst.Break) for s in last.body)
