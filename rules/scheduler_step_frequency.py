"""NN212 scheduler-step-frequency: an LR schedule stepped per batch when it counts epochs, or vice versa."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar

import libcst as cst

from nnlint import vocabulary as vocab
from nnlint.engine.bindings import argument_values, module_setting, reaching_values, resolve_name
from nnlint.engine.index import children
from nnlint.engine.learning_rate import unapplied_rates
from nnlint.engine.names import call_argument, dotted_name, words
from nnlint.engine.roles import Role, is_scheduler_class
from nnlint.finding import Severity
from nnlint.rule import Invalid, Rule

if TYPE_CHECKING:
    from nnlint.engine.context import FileContext

EPOCHS, ITERATIONS = "epochs", "iterations"
_SCHEDULERS = "torch.optim.lr_scheduler."


def _may_have_unit(callee: str) -> bool:
    """The constructors whose schedules `_unit` can tell the unit of: torch's and Hugging Face's."""
    return is_scheduler_class(callee)


# Names that count optimizer steps rather than epochs (`steps_per_epoch` counts steps).
_STEP_WORD = re.compile(r"step|iter|batch|update", re.IGNORECASE)
_EPOCH_WORD = re.compile(r"epoch", re.IGNORECASE)
_PER_EPOCH = re.compile(r"per_?epoch|PerEpoch", re.IGNORECASE)
# Literal periods at least this long are iteration counts: no run has thousands of epochs.
_ITERATION_SCALE = 1000
# How many assignments a period's name is followed through (`steps = total`, `total = epochs * n`).
_MAX_BINDING_DEPTH = 3
# A per-step decay factor this close to 1 is a per-iteration schedule written with an epoch scheduler.
_GENTLE_GAMMA = 0.99

PER_BATCH = (
    "`{name}` counts epochs, but `.step()` runs once per batch here, so the schedule runs "
    "(batches per epoch) times too fast; step it once per epoch, after the batch loop."
)
NEVER_STEPPED = (
    "`{name}` is created here but its `.step()` is never called, so this {what} has no effect on "
    "training; step it (an optimizer after each backward, a scheduler at the frequency it counts)."
)
MANUAL_NEVER_STEPPED = (
    "With `self.automatic_optimization = False` Lightning does not step schedulers, and this class never "
    "steps this one, so the learning rate never changes; call `.step()` on `self.lr_schedulers()`."
)
UNAPPLIED_RATE = (
    "`{name}` is computed from `{counter}` here but never reaches `{optimizer}`: nothing writes it into "
    "`{optimizer}.param_groups` and no scheduler drives it, so the learning rate stays at its initial value; "
    'set `group["lr"] = {name}` for every param group (or use a `LambdaLR`).'
)
LIGHTNING_PER_EPOCH = (
    '`{name}` counts optimizer steps, but it is returned without `"interval": "step"`, so Lightning '
    "steps it once per epoch and the learning rate barely follows the schedule; return "
    '`{{"scheduler": ..., "interval": "step"}}`.'
)
OVERRIDE_EPOCH = (
    "Lightning calls `lr_scheduler_step` after every optimizer step for a scheduler registered with "
    '`"interval": "step"`, but this steps it with the epoch index, so a per-step schedule only moves once '
    "per epoch; call `scheduler.step()` without the epoch (or drop the override)."
)
PER_EPOCH = (
    "`{name}` counts optimizer steps, but `.step()` runs only once per epoch here, so the learning rate "
    "barely follows the schedule; step it after every `optimizer.step()` in the batch loop."
)


class SchedulerStepFrequency(Rule):
    """## What it does
    Flags a learning-rate scheduler stepped per batch when it counts epochs, or per epoch when it counts
    steps; and an optimizer or scheduler that is built and never stepped (its name is only read in the
    function that builds it, never handed anywhere that could step it: a project function that only reads
    it or writes its groups' rates, such as `adjust_learning_rate(optimizer, epoch)`, cannot; a library
    call, a class, a container or anything nnlint cannot read might). The function that builds it trains
    (it backpropagates, or hands it to a project function that does, such as another module's
    `train_one_epoch(..., lr_scheduler=lr_scheduler)`); one built only to be saved with a checkpoint is
    left alone. One kept on `self` by a class that
    backpropagates in its own methods counts when nothing reads the attribute again: not the class, not
    a base class (only project bases, which never name it), and no other module of the project that names
    it together with the class or one of its methods. An optimizer picked by name from `torch.optim`
    (`getattr(torch.optim, name)(model.parameters())`) is an optimizer.

    In detail:
    - an epoch-based schedule (`StepLR`, `MultiStepLR`, `ExponentialLR`, `CosineAnnealingLR` whose `T_max`
      counts epochs, `ReduceLROnPlateau`) whose `.step()` runs once per batch, inside the batch loop;
    - a per-iteration schedule (`OneCycleLR`, `CyclicLR`, `CosineAnnealingLR` whose `T_max` counts steps,
      such as `epochs * len(loader)`, and Hugging Face `get_scheduler` / `get_*_schedule_with_warmup`)
      whose `.step()` runs only once per epoch.

    - a learning rate computed from the step (or epoch) counter in a function that steps a
      `torch.optim` optimizer, when nothing could give it to that optimizer (no `param_groups` write, no
      scheduler, the optimizer handed nowhere);
    - a LightningModule whose `configure_optimizers` returns a per-iteration schedule without
      `"interval": "step"` (Lightning then steps it once per epoch), and an `lr_scheduler_step` override
      that steps a schedule registered with `"interval": "step"` with the epoch index
      (`scheduler.step(epoch=self.current_epoch)`).

    A scheduler handed to the function that steps it (`train(..., scheduler)`, `train_gan(...,
    generator_scheduler=self.generator_scheduler)`, or from another project module) is judged by the
    schedule its callers build.

    Units are read from the arguments: names that mention steps, iterations, batches or `len(loader)`
    count steps, names that mention epochs count epochs, and literals are compared with the script's
    epoch count; a name that only echoes `StepLR`'s own keyword (`step_size=args.step_size`) is read by
    its value, not its name, and a name made of a step decay's own words (`milestones=steps`,
    `config.lr_decay_step`: where the rate drops) by what it is bound to in the function, else not at
    all; a setting of the project's own settings module (`import config`, then `config.lr_decay_step`)
    is read by the value that module's top level assigns it (`lr_decay_step = [200, 400]`, against its
    `epochs = 600`). A `LambdaLR` counts steps when its function measures its argument against step counts
    (`warmup_steps`, `max_steps`) and never mentions epochs. A step in the batch loop under a condition on
    the epoch (`if epoch > swa_start: ... else: scheduler.step()`) runs per batch in the epochs it holds;
    a step gated by any other condition than gradient accumulation (`if i == len(loader) - 1`) and a
    schedule whose units cannot be told are left alone.

    ## Why is this bad?
    A scheduler counts its own `.step()` calls. `StepLR(step_size=30)` stepped per batch decays the
    learning rate every 30 batches, so after one epoch of a few hundred batches it is effectively zero
    and training stalls. `OneCycleLR` stepped per epoch stays in its warm-up for the whole run and never
    reaches its peak, let alone anneals. Nothing errors and the loss still moves, so the slow or stalled
    training is blamed on the model. The PyTorch docs say which schedules are stepped per batch
    (`OneCycleLR`, `CyclicLR`) and show epoch schedules stepped once per epoch.

    ## Example
    ```python
    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(90):
        for x, y in loader:
            ...
            optimizer.step()
            scheduler.step()
    ```

    ## Use instead
    ```python
    for epoch in range(90):
        for x, y in loader:
            ...
            optimizer.step()
        scheduler.step()
    ```

    ## References
    - PyTorch docs, "How to adjust learning rate" (`torch.optim.lr_scheduler`), `OneCycleLR`, `CyclicLR`.
    - A. Karpathy, "A Recipe for Training Neural Networks" (2019): be careful with learning-rate decay.
    """

    code = "NN212"
    name = "scheduler-step-frequency"
    severity = Severity.WARNING
    message = PER_BATCH.format(name="scheduler")
    hint = (
        "Epoch schedules step after the batch loop; OneCycleLR, CyclicLR and warmup schedules step per batch."
    )

    VALID: ClassVar[list[str]] = [
        # An exponential decay whose factor comes from a config file: stepped per batch, it may well be a
        # per-step decay (BigVGAN-v2 steps `ExponentialLR(optim, gamma=h.lr_decay)` per batch on purpose,
        # with 0.9999996 in its JSON), so its unit is unknown.
        """
import torch
scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=h.lr_decay)
for epoch in range(epochs):
    for x, y in loader:
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()
        scheduler.step()
""",
        # Milestones spaced by a setting up to a cap (AST's `range(args.lrscheduler_start, 1000,
        # args.lrscheduler_step)`), stepped per epoch: the cap is no milestone a run reaches, and the
        # spacing's name only echoes the decay's step.
        """
import torch
scheduler = torch.optim.lr_scheduler.MultiStepLR(
    optimizer, list(range(args.lrscheduler_start, 1000, args.lrscheduler_step)), gamma=0.5
)
for epoch in range(args.n_epochs):
    for x, y in loader:
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()
    scheduler.step()
""",
        # An optimizer kept on `self` that a library base class may step (Hugging Face's Trainer reads
        # `self.optimizer`), and one a class keeps for a caller that trains with it (no backward here).
        """
import torch
from transformers import Trainer

class DistillTrainer(Trainer):
    def __init__(self, model, **kwargs):
        super().__init__(model=model, **kwargs)
        self.optimizer = getattr(torch.optim, "AdamW")(model.parameters(), lr=1e-4)

    def compute_loss(self, model, inputs):
        loss = model(**inputs).loss
        loss.backward()
        return loss
""",
        """
import torch

class Setup:
    def __init__(self, model, name="SGD"):
        self.model = model
        self.optimizer = getattr(torch.optim, name)(model.parameters(), lr=0.1)
        self.scheduler = torch.optim.lr_scheduler.StepLR(self.optimizer, step_size=10)
""",
        # A per-iteration schedule built by the caller in the same file, stepped per batch.
        """
import torch


def train_model(model, loader, optimizer, scheduler, epochs):
    for epoch in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
            scheduler.step()


def fit(model, loader, epochs=10):
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, epochs=epochs, steps_per_epoch=len(loader))
    train_model(model, loader, opt, sched, epochs)
""",
        # DCRNN: the milestones are a parameter named `steps` that the configurations fill with epochs;
        # PSENet: a config's `lr_decay_step` (here no module states its value). A step decay's own word
        # is no unit.
        """
import torch
import config

def train(model, loader, base_lr, steps, epochs=100):
    optimizer = torch.optim.Adam(model.parameters(), lr=base_lr)
    lr_scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=steps, gamma=0.1)
    other = torch.optim.lr_scheduler.MultiStepLR(optimizer, config.lr_decay_step, gamma=0.1)
    for epoch_num in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            torch.nn.functional.l1_loss(model(x), y).backward()
            optimizer.step()
        lr_scheduler.step()
        other.step()
""",
        # A setting that chooses the frequency (SSA-SC's `FREQUENCY`) is no condition on the epoch.
        """
import torch
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=30)
for epoch in range(90):
    for x, y in loader:
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()
        if cfg["SCHEDULER"]["FREQUENCY"] == "iteration":
            scheduler.step()
    if cfg["SCHEDULER"]["FREQUENCY"] == "epoch":
        scheduler.step()
""",
        # An optimizer built only to be saved with the initial checkpoint (glow-tts's data-dependent
        # initialisation runs one forward and trains nothing): nothing to step.
        """
import torch

def save_checkpoint(model, optimizer, path):
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, path)

def main(model, loader):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for x in loader:
        model(x)
        break
    save_checkpoint(model, optimizer, "init.pth")
""",
        # The same hand-off to an epoch function that steps the scheduler once per epoch (DAB-DETR after
        # the fix steps it in main; here the epoch function does).
        """
import torch

def train_one_epoch(model, loader, optimizer, lr_scheduler=None):
    for x, y in loader:
        loss = torch.nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    lr_scheduler.step()

def main(model, loader, epochs):
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    lr_scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 200)
    for epoch in range(epochs):
        train_one_epoch(model, loader, optimizer, lr_scheduler=lr_scheduler)
""",
        # Optimizers handed to helpers that step them in ways only partly visible: through a GradScaler
        # (library code), in a loop over a list, by `getattr`, by forwarding `*args`, from a closure.
        """
import torch
scaler = torch.cuda.amp.GradScaler()

def amp_step(optimizer, loss):
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()

def step_all(*optimizers):
    for opt in [*optimizers]:
        opt.step()

def step_each(first, second):
    for opt in [first, second]:
        opt.step()

def step_named(optimizer, method="step"):
    getattr(optimizer, method)()

def forward_args(*args):
    step_named(*args)

def later(optimizer):
    return lambda: optimizer.step()

def main(model, loader):
    opt_a = torch.optim.SGD(model.parameters(), lr=0.1)
    opt_b = torch.optim.SGD(model.parameters(), lr=0.1)
    opt_c = torch.optim.SGD(model.parameters(), lr=0.1)
    opt_d = torch.optim.SGD(model.parameters(), lr=0.1)
    opt_e = torch.optim.SGD(model.parameters(), lr=0.1)
    opt_f = torch.optim.SGD(model.parameters(), lr=0.1)
    for x, y in loader:
        loss = model(x).sum()
        amp_step(opt_a, loss)
        step_all(opt_b)
        step_each(opt_c, opt_b)
        step_named(opt_d)
        forward_args(opt_e)
        later(opt_f)()
""",
        # A step given the count itself (DeepRL's PPO): the schedule is where the count says, however
        # often the step runs.
        """
import torch


class PPOAgent:
    def __init__(self, network, max_steps):
        self.network = network
        self.opt = torch.optim.Adam(network.parameters(), 3e-4)
        self.lr_scheduler = torch.optim.lr_scheduler.LambdaLR(self.opt, lambda step: 1 - step / max_steps)
        self.total_steps = 0

    def step(self, rollouts, epochs):
        self.total_steps += len(rollouts)
        self.lr_scheduler.step(self.total_steps)
        for _ in range(epochs):
            for batch in rollouts:
                loss = self.network(batch).mean()
                self.opt.zero_grad()
                loss.backward()
                self.opt.step()
""",
        # A per-step schedule handed to the function that steps it per batch, by keyword from `self`.
        """
import torch

def train_gan(loader, optimizer, generator_scheduler):
    for x in loader:
        optimizer.zero_grad()
        model(x).mean().backward()
        optimizer.step()
        generator_scheduler.step()

class Trainer:
    def __init__(self, epochs):
        self.epochs = epochs
        self.optimizer = torch.optim.Adam(model.parameters())
        self.generator_scheduler = torch.optim.lr_scheduler.OneCycleLR(
            self.optimizer, max_lr=0.1, total_steps=epochs * len(loader)
        )
    def run(self):
        for epoch in range(self.epochs):
            train_gan(loader, self.optimizer, generator_scheduler=self.generator_scheduler)
""",
        # A hand-driven rate written into the param groups every step (nanoGPT).
        """
import torch
optimizer = torch.optim.AdamW(model.parameters(), lr=6e-4)
for it in range(max_iters):
    lr = get_lr(it)
    for param_group in optimizer.param_groups:
        param_group["lr"] = lr
    loss = model(*get_batch())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
""",
        # The rate is handed to a helper together with the optimizer: it may set it there.
        """
import torch
def train(model, loader, base_lr):
    optimizer = torch.optim.SGD(model.parameters(), lr=base_lr)
    for step, (x, y) in enumerate(loader):
        lr = schedule.value(step)
        set_lr(optimizer, lr)
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()
""",
        # Lightning: a step-counted warmup registered with interval "step".
        """
import torch
import lightning as L
class Model(L.LightningModule):
    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(self.parameters())
        warmup_steps = self.hparams.warmup_steps
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, step / warmup_steps))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
""",
        # Lightning: an epoch decay at the default per-epoch interval; an override that steps without epoch.
        """
import torch
import lightning as L
class Model(L.LightningModule):
    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(self.parameters())
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda epoch: 0.95 ** epoch)
        return [optimizer], [scheduler]

    def lr_scheduler_step(self, scheduler, metric):
        scheduler.step()
""",
        # Lightning manual optimization that steps its scheduler through `self.lr_schedulers()`.
        """
import torch
import lightning as L
class GAN(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.automatic_optimization = False
        self.optim_g = torch.optim.AdamW(self.parameters())
        self.scheduler_g = torch.optim.lr_scheduler.ExponentialLR(self.optim_g, gamma=0.999)

    def training_step(self, batch, batch_idx):
        optim_g = self.optimizers()
        optim_g.zero_grad()
        self.manual_backward(self(batch).mean())
        optim_g.step()
        if self.trainer.is_last_batch:
            self.lr_schedulers().step()
""",
        # Handed elsewhere (returned, given to a trainer): it may be stepped there.
        """
import torch
def configure(model):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10)
    return optimizer, scheduler

def fit(model):
    optimizer = torch.optim.Adam(model.parameters())
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)
    Trainer(model, optimizer=optimizer, scheduler=scheduler).run()
""",
        # T_max counts steps (epochs times the updates of one epoch), and it is stepped per batch.
        """
import torch
optimizer = torch.optim.AdamW(model.parameters())
updates_per_epoch = len(loader)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs * updates_per_epoch)
for epoch in range(args.epochs):
    for x, y in loader:
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()
        scheduler.step()
criterion = torch.nn.CrossEntropyLoss()
""",
        # OneCycleLR stepped per batch, as documented.
        """
import torch
from torch.optim.lr_scheduler import OneCycleLR
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = OneCycleLR(optimizer, max_lr=0.1, epochs=10, steps_per_epoch=len(train_loader))
for epoch in range(10):
    for x, y in train_loader:
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()
        scheduler.step()
""",
        # StepLR stepped per epoch, through a train() helper that holds the batch loop.
        """
import torch
from torch.optim.lr_scheduler import StepLR
optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
scheduler = StepLR(optimizer, step_size=1, gamma=0.7)

def train(model, train_loader, optimizer):
    for data, target in train_loader:
        optimizer.zero_grad()
        criterion(model(data), target).backward()
        optimizer.step()

for epoch in range(1, 15):
    train(model, train_loader, optimizer)
    scheduler.step()
""",
        # Hugging Face: a step-counted schedule stepped per batch, under gradient accumulation.
        """
import torch
from transformers import get_scheduler
optimizer = torch.optim.AdamW(model.parameters())
lr_scheduler = get_scheduler("linear", optimizer, num_warmup_steps=0, num_training_steps=args.max_train_steps)
for epoch in range(args.num_train_epochs):
    for step, batch in enumerate(train_dataloader):
        loss = model(**batch).loss / args.gradient_accumulation_steps
        accelerator.backward(loss)
        if step % args.gradient_accumulation_steps == 0:
            optimizer.step()
            lr_scheduler.step()
            optimizer.zero_grad()
""",
        # An epoch scheduler stepped in the batch loop, but only on the epoch's last batch: unsure.
        """
import torch
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=30)
for epoch in range(90):
    for i, (x, y) in enumerate(train_loader):
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()
        if i == len(train_loader) - 1:
            scheduler.step()
""",
        # A StepLR whose step size counts iterations: stepped per batch on purpose.
        """
import torch
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=args.lr_decay_iters, gamma=0.5)
for epoch in range(args.epochs):
    for x, y in train_loader:
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()
        scheduler.step()
""",
        # One name for three schedules chosen on the command line; only the per-step one runs per batch.
        """
import torch
from torch.optim.lr_scheduler import CosineAnnealingLR, LambdaLR, StepLR

def train_epoch(model, loader, optimizer, scheduler=None):
    for x, y in loader:
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()

optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
if args.scheduler == "cosine":
    scheduler = CosineAnnealingLR(optimizer, T_max=args.epochs)
elif args.scheduler == "warmup":
    scheduler = LambdaLR(optimizer, warmup)
else:
    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
for epoch in range(args.epochs):
    if args.scheduler == "warmup":
        train_epoch(model, train_loader, optimizer, scheduler)
    else:
        train_epoch(model, train_loader, optimizer)
        scheduler.step()
""",
        # Cosine over the epochs, stepped per epoch.
        """
import torch
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
for epoch in range(args.epochs):
    for x, y in train_loader:
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()
    scheduler.step()
""",
        # The echoed keyword holds an iteration count, or the name counts steps itself.
        """
import argparse
import torch
parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=100)
parser.add_argument("--step_size", type=int, default=30000)
parser.add_argument("--decay_steps", type=int, default=30)
args = parser.parse_args()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=args.step_size, gamma=0.1)
other = torch.optim.lr_scheduler.StepLR(optimizer, step_size=args.decay_steps, gamma=0.1)
for epoch in range(args.epochs):
    for x, y in loader:
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()
        scheduler.step()
        other.step()
""",
        # A rate computed from the step that the optimizer is rebuilt from each step: it reaches it.
        """
import torch


def train(model, loader, cfg):
    step = 0
    for x, y in loader:
        lr = cosine_lr(step, cfg.warmup, cfg.total, cfg.lr)
        opt = torch.optim.SGD(model.parameters(), lr=lr)
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        step += 1
""",
        # The training helper steps a scheduler per batch only when it is given one; the script calls it
        # without one and steps its own epoch schedule after each epoch (ditwoo/batteries' XLA example):
        # the helper's `scheduler` is another binding than the cosine's.
        """
import torch


def train_fn(model, loader, optimizer, scheduler=None):
    for x, y in loader:
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()


def main(model, loader, epochs):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    for epoch in range(epochs):
        train_fn(model, loader, optimizer)
        scheduler.step()
""",
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        # An exponential decay whose factor the script states (an argparse default), stepped per batch.
        Invalid(
            """
import argparse
import torch
parser = argparse.ArgumentParser()
parser.add_argument("--gamma", type=float, default=0.95)
args = parser.parse_args()
scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=args.gamma)
for epoch in range(30):
    for x, y in loader:
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()
        scheduler.step()
""",
            line=13,
        ),
        # Milestones every 10 epochs from 20 (a `range` of literals), stepped per batch.
        Invalid(
            """
import torch
scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, list(range(20, 60, 10)), gamma=0.5)
for epoch in range(60):
    for x, y in loader:
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()
        scheduler.step()
""",
            line=9,
        ),
        # An optimizer a trainer class keeps on `self` (picked by name from `torch.optim`) and never reads
        # again, while its own loop only backpropagates (nni's retiarii image-classification trainer).
        Invalid(
            """
import torch
from torch import nn

class ImageClassificationTrainer:
    def __init__(self, model, loader, optimizer_cls="SGD", optimizer_kwargs=None):
        self.model = model
        self.loader = loader
        self._loss_fn = nn.CrossEntropyLoss()
        self._optimizer = getattr(torch.optim, optimizer_cls)(model.parameters(), **(optimizer_kwargs or {}))

    def _train(self):
        for x, y in self.loader:
            loss = self._loss_fn(self.model(x), y)
            loss.backward()

    def fit(self, epochs):
        for _ in range(epochs):
            self._train()
""",
            line=10,
        ),
        # A StepLR built by the caller in the same file and stepped per batch by the training function.
        Invalid(
            """
import torch


def train_model(model, loader, optimizer, scheduler, epochs):
    for epoch in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
            scheduler.step()


def finetune(model, loader):
    opt = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
    exp_lr = torch.optim.lr_scheduler.StepLR(opt, step_size=7, gamma=0.1)
    train_model(model, loader, opt, exp_lr, 25)
""",
            line=11,
        ),
        # pytorch-ts's SWA trainer: the cosine over the epochs is stepped per batch until the SWA epochs
        # begin (a condition on the epoch holds on every batch of an epoch); each epoch's batch loop ends
        # after a fixed number of batches.
        Invalid(
            """
import torch
from torch.optim.swa_utils import AveragedModel, SWALR

class Trainer:
    def __call__(self, net, data_loader):
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=self.epochs)
        swa_model, swa_scheduler = AveragedModel(net), SWALR(optimizer, swa_lr=0.05)
        for epoch_no in range(self.epochs):
            for batch_no, batch in enumerate(data_loader, start=1):
                optimizer.zero_grad()
                net(batch).backward()
                optimizer.step()
                if epoch_no > self.swa_start:
                    swa_model.update_parameters(net)
                    swa_scheduler.step()
                else:
                    scheduler.step()
                if batch_no == self.num_batches_per_epoch:
                    break
        return swa_model
""",
            line=19,
        ),
        # StepLR's own keyword echoed in an argparse name says nothing about the unit; its default does.
        Invalid(
            """
import argparse
import torch
parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=100)
parser.add_argument("--step_size", type=int, default=30)
args = parser.parse_args()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=args.step_size, gamma=0.1)
for epoch in range(args.epochs):
    for x, y in loader:
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()
        scheduler.step()
""",
            line=15,
        ),
        # `main()` trains through the epoch function it hands the scheduler to (DAB-DETR's
        # `train_one_epoch(..., lr_scheduler=lr_scheduler)`), which backpropagates and never steps it;
        # main itself only saves and loads its state.
        Invalid(
            """
import torch

def train_one_epoch(model, loader, optimizer, lr_scheduler=None):
    for x, y in loader:
        loss = torch.nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

def main(model, loader, epochs, resume):
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    lr_scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 200)
    if resume:
        lr_scheduler.load_state_dict(resume["lr_scheduler"])
    for epoch in range(epochs):
        train_one_epoch(model, loader, optimizer, lr_scheduler=lr_scheduler)
        torch.save({"lr_scheduler": lr_scheduler.state_dict()}, "checkpoint.pth")
""",
            line=13,
        ),
        # An epoch schedule built on `self`, handed by keyword to a function that steps it per batch.
        Invalid(
            """
import torch

def train_gan(loader, optimizer, generator_scheduler):
    for x in loader:
        optimizer.zero_grad()
        model(x).mean().backward()
        optimizer.step()
        generator_scheduler.step()

class Trainer:
    def __init__(self, epochs):
        self.epochs = epochs
        self.optimizer = torch.optim.Adam(model.parameters())
        self.generator_scheduler = torch.optim.lr_scheduler.StepLR(self.optimizer, step_size=epochs // 2)
    def run(self):
        for epoch in range(self.epochs):
            train_gan(loader, self.optimizer, generator_scheduler=self.generator_scheduler)
""",
            line=9,
        ),
        # The rate is named `lr` and the optimizer is built with `lr=cfg.lr`: the keyword and the config's
        # field spell the same name but read another value; the computed rate is only printed.
        Invalid(
            """
import torch


def train(model, loader, cfg):
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    step = 0
    for x, y in loader:
        lr = cosine_lr(step, cfg.warmup, cfg.total, cfg.lr)
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        step += 1
        print(step, lr)
""",
            line=9,
        ),
        # The rate of each step is computed (and logged) but never given to the optimizer.
        Invalid(
            """
import torch
class Trainer:
    def run(self):
        optimizer = torch.optim.Adam(self.model.parameters(), lr=self.lr_exp.start_lr)

        def step(step_id):
            optimizer.zero_grad()
            cur_lr = self.lr_exp.value(step_id)
            loss = self.loss(cur_lr, self.model(next(self.data)))
            logging.info("step=%d lr=%f", step_id, cur_lr)
            loss.backward()
            optimizer.step()

        for step_id in range(self.num_steps):
            step(step_id)
""",
            line=9,
        ),
        # Lightning: a warmup counted in optimizer steps, returned without interval "step".
        Invalid(
            """
import torch
import lightning as L
class Model(L.LightningModule):
    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(self.parameters())
        warmup_steps, max_steps = self.hparams.warmup_steps, self.hparams.max_steps

        def lr_lambda(current_step):
            if current_step < warmup_steps:
                return current_step / warmup_steps
            return max(0.0, 1.0 - (current_step - warmup_steps) / (max_steps - warmup_steps))

        lr_scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)
        return [optimizer], lr_scheduler
""",
            line=15,
        ),
        # Lightning calls the override per optimizer step, but it feeds the scheduler the epoch index.
        Invalid(
            """
import torch
import pytorch_lightning as pl
class Method(pl.LightningModule):
    def configure_optimizers(self):
        optimizer, scheduler, by_epoch = build_optimizer(self.hparams, self.model)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "epoch" if by_epoch else "step"},
        }

    def lr_scheduler_step(self, scheduler, *args, **kwargs):
        scheduler.step(epoch=self.current_epoch)
""",
            line=13,
        ),
        # Lightning manual optimization: the scheduler is returned but nobody steps it.
        Invalid(
            """
import torch
import lightning as L
class GAN(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.automatic_optimization = False
        self.optim_g = torch.optim.AdamW(self.parameters())
        self.scheduler_g = torch.optim.lr_scheduler.ExponentialLR(self.optim_g, gamma=0.999)

    def configure_optimizers(self):
        return [self.optim_g], [self.scheduler_g]

    def training_step(self, batch, batch_idx):
        optim_g = self.optimizers()
        optim_g.zero_grad()
        self.manual_backward(self(batch).mean())
        optim_g.step()
""",
            line=9,
        ),
        # A discriminator's optimizer zeroed and backpropagated but never stepped, in one of two trainer
        # functions that each build their own `optimizer_d` (deepfillv2's spelling); handing it to the
        # nested learning-rate helper, which only writes its groups' rates, steps nothing.
        Invalid(
            """
import torch

def wgan_trainer(opt, generator, discriminator, loader):
    optimizer_d = torch.optim.Adam(discriminator.parameters(), lr=opt.lr_d)
    for x, y in loader:
        optimizer_d.zero_grad()
        (discriminator(generator(x)) - discriminator(y)).mean().backward()
        optimizer_d.step()

def lsgan_trainer(opt, generator, discriminator, loader):
    optimizer_g = torch.optim.Adam(generator.parameters(), lr=opt.lr_g)
    optimizer_d = torch.optim.Adam(discriminator.parameters(), lr=opt.lr_d)

    def adjust_learning_rate(lr_in, optimizer, epoch):
        for param_group in optimizer.param_groups:
            param_group["lr"] = lr_in * 0.5 ** (epoch // 10)

    for epoch in range(opt.epochs):
        for x, y in loader:
            optimizer_d.zero_grad()
            ((discriminator(y) - 1) ** 2).mean().backward()
            optimizer_g.zero_grad()
            ((discriminator(generator(x)) - 1) ** 2).mean().backward()
            optimizer_g.step()
        adjust_learning_rate(opt.lr_g, optimizer_g, epoch + 1)
        adjust_learning_rate(opt.lr_d, optimizer_d, epoch + 1)
""",
            line=13,
        ),
        # A scheduler built and never stepped: the learning rate stays where it started.
        Invalid(
            """
import torch
def main():
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10)
    for epoch in range(30):
        for x, y in loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
        print(scheduler.get_last_lr())
criterion = torch.nn.CrossEntropyLoss()
""",
            line=5,
        ),
        # T_max is a step count (epochs times the updates of one epoch), stepped once per epoch.
        Invalid(
            """
import torch
optimizer = torch.optim.AdamW(model.parameters())
updates_per_epoch = len(loader) // accum
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs * updates_per_epoch)
for epoch in range(args.epochs):
    for x, y in loader:
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()
    scheduler.step()
criterion = torch.nn.CrossEntropyLoss()
""",
            line=11,
        ),
        Invalid(
            """
import torch
from torch.optim.lr_scheduler import StepLR
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
for epoch in range(90):
    for x, y in train_loader:
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()
        scheduler.step()
""",
            line=11,
        ),
        Invalid(
            """
import torch
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=epochs * len(loader))
for epoch in range(epochs):
    for x, y in loader:
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()
    scheduler.step()
""",
            line=10,
        ),
        # Cosine over the total number of steps, stepped per epoch in a trainer method.
        Invalid(
            """
import torch
class Trainer:
    def __init__(self, model, loader, epochs):
        self.optimizer = torch.optim.AdamW(model.parameters())
        steps = epochs * len(loader)
        self.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, T_max=steps)

    def train_epoch(self, train_loader):
        for x, y in train_loader:
            self.optimizer.zero_grad()
            self.criterion(self.model(x), y).backward()
            self.optimizer.step()
        self.scheduler.step()
""",
            line=14,
        ),
        # ReduceLROnPlateau fed the batch loss, once per batch, through a helper.
        Invalid(
            """
import torch
optimizer = torch.optim.Adam(model.parameters())
scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=5)

def train_step(x, y):
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    scheduler.step(loss)

for epoch in range(30):
    for x, y in train_loader:
        train_step(x, y)
""",
            line=11,
        ),
    ]

    def finish(self) -> None:
        roles = self.ctx.roles
        self._unstepped: dict[str, bool] = {}
        for role in (Role.OPTIMIZER, Role.SCHEDULER):
            for name in sorted(roles.names(role, where=self._may_be_never_stepped)):
                for constructor in self._constructors(name, role):
                    if self.ctx.loops.never_stepped(name, constructor):
                        self.report(constructor, NEVER_STEPPED.format(name=name, what=role.value))
        for constructor in self.ctx.loops.manual_schedulers_never_stepped():
            self.report(constructor, MANUAL_NEVER_STEPPED)
        self._check_lightning()
        for unapplied in unapplied_rates(self.ctx):
            self.report(
                unapplied.assign,
                UNAPPLIED_RATE.format(
                    name=unapplied.name, optimizer=unapplied.optimizer, counter=unapplied.counter
                ),
            )
        for scheduler in sorted(roles.names(Role.SCHEDULER, where=self._may_count_a_unit)):
            constructor = roles.constructor(scheduler)
            if constructor is None or self._rebound(scheduler):
                continue
            unit = self._unit(constructor)
            if unit is None:
                continue
            label = (self.ctx.callee(constructor) or "scheduler").rsplit(".", 1)[-1]
            steps = [
                step
                for step in self.ctx.loops.scheduler_steps(scheduler)
                if self._parameter_around(step, scheduler, constructor) is None
            ]
            self._check_steps(steps, unit, label)
        for function, param in self._parameters_without_constructor():
            passed = self._passed_constructors(function, param)
            if not passed:
                continue
            units = {self._unit(constructor, module) for module, constructor in passed}
            labels = {(module.callee(constructor) or "").rsplit(".", 1)[-1] for module, constructor in passed}
            if len(units) != 1 or len(labels) != 1 or None in units:
                continue
            name = param.name.value
            steps = [
                step
                for step in self.ctx.loops.scheduler_steps(name)
                if function in self.ctx.index.ancestors(step)
            ]
            self._check_steps(steps, units.pop(), labels.pop() or "scheduler")

    def _bound_calls(self, name: str) -> list[cst.Call]:
        """The calls a name is bound from in this file: whatever `Roles.constructor` answers for it is one."""
        return [
            binding.value
            for binding in self.ctx.bindings.of(name)
            if binding.kind in ("assign", "annotated", "unpack") and type(binding.value) is cst.Call
        ]

    def _constructors(self, name: str, role: Role) -> list[cst.Call]:
        """Every call of this file that binds a name and gives it the role: one trainer function per GAN
        loss builds its own `optimizer_d`, and each is stepped (or not) in its own function."""
        first = self.ctx.roles.constructor(name)
        if first is None:
            return []
        return [first] + [
            call
            for call in self._bound_calls(name)
            if call is not first and self.ctx.roles.role_of(call) is role
        ]

    def _may_be_never_stepped(self, name: str) -> bool:
        """Whether a name could be reported as never stepped, whatever its role turns out to be: the
        names that fail are not resolved (a name bound from a project call reads the modules it leads to).
        Asked once per name (`names` asks it of each name it may return, for both roles)."""
        if "." in name and not name.startswith("self."):
            return False
        known = self._unstepped.get(name)
        if known is None:
            known = self._unstepped[name] = any(
                self.ctx.loops.never_stepped(name, call) for call in self._bound_calls(name)
            )
        return known

    def _may_count_a_unit(self, name: str) -> bool:
        """Whether a name could be bound by a schedule whose unit `_unit` can tell (a library scheduler):
        a name that only project calls bind has no such constructor, whatever they return."""
        return any(_may_have_unit(self.ctx.callee(call) or "") for call in self._bound_calls(name))

    def _check_steps(self, steps: list[cst.Call], unit: str, label: str) -> None:
        """Report the steps of one schedule that run at the wrong frequency for what it counts. A step
        given the count itself (`lr_scheduler.step(self.total_steps)`, `step(epoch + i / iters)`) sets
        where the schedule is, however often it runs; ReduceLROnPlateau's argument is a metric instead."""
        if label != "ReduceLROnPlateau":
            steps = [step for step in steps if not step.args]
        frequencies = [self.ctx.loops.step_frequency(step) for step in steps]
        if unit == EPOCHS:
            for step, frequency in zip(steps, frequencies, strict=True):
                if frequency == "batch":
                    self.report(step, PER_BATCH.format(name=label))
        elif frequencies and all(frequency == "epoch" for frequency in frequencies):
            for step in steps:
                self.report(step, PER_EPOCH.format(name=label))

    def _parameters_without_constructor(self) -> list[tuple[cst.FunctionDef, cst.Param]]:
        """Scheduler parameters of module-level functions that nothing in the function binds: what they
        hold is built where the function is called, in this file or in the project's other modules
        (`train(..., lr_scheduler, ...)`)."""
        roles = self.ctx.roles
        found = []
        for function in self.ctx.index.nodes(cst.FunctionDef):
            if self.ctx.index.parent(function) is not self.ctx.module:
                continue
            for param in (*function.params.params, *function.params.kwonly_params):
                name = param.name.value
                if not roles.has(name, Role.SCHEDULER):
                    continue
                constructor = roles.constructor(name)
                if constructor is not None and function in self.ctx.index.ancestors(constructor):
                    continue
                found.append((function, param))
        return found

    def _parameter_around(self, step: cst.Call, name: str, constructor: cst.Call) -> cst.Param | None:
        """The parameter a step's scheduler is, when a module-level function around the step takes it as
        one and does not build it itself: `train_fn(..., scheduler=None)` stepping per batch is another
        binding than the epoch schedule the script builds and steps itself (batteries' XLA example calls
        it without one). Such steps are judged by what the calls pass (`_parameters_without_constructor`)."""
        for ancestor in self.ctx.index.ancestors(step):
            if not isinstance(ancestor, cst.FunctionDef):
                continue
            if ancestor in self.ctx.index.ancestors(constructor):
                return None
            if self.ctx.index.parent(ancestor) is not self.ctx.module:
                continue  # only module-level functions' parameters are followed to their callers
            params = ancestor.params
            for param in (*params.params, *params.kwonly_params):
                if param.name.value == name:
                    return param
        return None

    def _passed_constructors(
        self, function: cst.FunctionDef, param: cst.Param
    ) -> list[tuple[FileContext, cst.Call]] | None:
        """The scheduler constructions that the calls of `function` pass for `param`: those of this file's
        calls (`train_model(model, loaders, criterion, optimizer, exp_lr_scheduler)` in the same script),
        else those of the project's other modules. None when a caller passes what no call of its file
        builds (a default, an unknown value)."""
        values = argument_values(self.ctx, function, param)
        if values is None:
            return self.ctx.roles.passed_constructors(function, param)
        found = []
        for value, at in values:
            if not isinstance(at, cst.Call):
                return None  # the default: no caller in this file passes one
            constructor = self.ctx.roles.constructor(self.ctx.dotted(value) or "")
            if constructor is None:
                return None
            found.append((self.ctx, constructor))
        return found

    def _check_lightning(self) -> None:
        """Schedulers a LightningModule returns for Lightning to step: a step-counting one left at the
        default per-epoch interval, and an `lr_scheduler_step` override that steps a per-step one with the
        epoch index."""
        lightning = self.ctx.lightning
        for returned in lightning.returned_schedulers:
            if returned.value is None or returned.intervals != {"epoch"}:
                continue
            if lightning.own_method(returned.cls, "lr_scheduler_step") is not None:
                continue  # the module steps its schedulers itself
            if self._unit(returned.value) == ITERATIONS:
                label = (self.ctx.callee(returned.value) or "scheduler").rsplit(".", 1)[-1]
                self.report(returned.expr, LIGHTNING_PER_EPOCH.format(name=label))
        for call, _ in lightning.epoch_stepped_by_override():
            self.report(call, OVERRIDE_EPOCH)

    def _rebound(self, scheduler: str) -> bool:
        """A name bound to different schedulers (one per command-line choice) has no single unit."""
        values = self.ctx.bindings.assigned(scheduler)
        return len({self.ctx.callee(v) if isinstance(v, cst.Call) else type(v) for v in values}) > 1

    # -- what a schedule counts ----------------------------------------------------------------------

    def _unit(self, call: cst.Call, ctx: FileContext | None = None) -> str | None:
        """EPOCHS or ITERATIONS for the schedules whose units their arguments reveal, else None; `ctx` is
        the file the constructor is written in (another project module for a scheduler passed in)."""
        ctx = ctx or self.ctx
        callee = ctx.callee(call) or ""
        if callee.startswith("transformers.") and "schedule" in callee:
            # Hugging Face schedules count optimizer steps (warm-up and total), whatever they are called with.
            position = 3 if callee.endswith("get_scheduler") else 2
            period = call_argument(call, position, "num_training_steps") or call_argument(
                call, position - 1, "num_warmup_steps"
            )
            if period is None:
                return None  # a constant schedule: any frequency is the same
            return ITERATIONS if self._period_unit(ctx, period) != EPOCHS else None
        if not callee.startswith(_SCHEDULERS):
            return None
        kind = callee[len(_SCHEDULERS) :]
        if kind == "ReduceLROnPlateau":
            return EPOCHS
        if kind == "OneCycleLR":
            if call_argument(call, 4, "steps_per_epoch") is not None:
                return ITERATIONS
            total = call_argument(call, 2, "total_steps")
            return self._period_unit(ctx, total) if total is not None else None
        if kind == "CyclicLR":
            period = call_argument(call, 3, "step_size_up")
            return ITERATIONS if period is None or self._period_unit(ctx, period) == ITERATIONS else None
        if kind == "LambdaLR":
            return self._lambda_unit(ctx, call_argument(call, 1, "lr_lambda"), call)
        if kind == "CosineAnnealingLR":
            period = call_argument(call, 1, "T_max")
            return self._period_unit(ctx, period) if period is not None else None
        gamma = call_argument(call, 1 if kind == "ExponentialLR" else 2, "gamma")
        if kind == "ExponentialLR":
            # Its only setting is the factor, so only a known one tells the unit: a per-step decay from a
            # config file (BigVGAN-v2's `lr_decay` of 0.9999996, stepped per batch on purpose) is unknown.
            factors = ctx.loops.run_length.numbers(gamma) if gamma is not None else frozenset()
            return EPOCHS if factors and max(factors) < _GENTLE_GAMMA else None
        if self._gentle(gamma):
            return None
        if kind == "StepLR":
            period = call_argument(call, 1, "step_size")
            unit = self._period_unit(ctx, period, echo="step_size") if period is not None else None
            return EPOCHS if unit == EPOCHS else None
        if kind == "MultiStepLR":
            milestones = _listed(call_argument(call, 1, "milestones"))
            setting = module_setting(ctx, milestones) if milestones is not None else None
            if setting is not None:
                ctx, milestones = setting[0], _listed(setting[1])  # `config.lr_decay_step` of config.py
            spaced = _range_bounds(milestones)
            if spaced is not None:
                # `range(start, 1000, every)`: the stop only caps the milestones (a run ends long before
                # it), and the spacing's name echoes the decay's own step (`args.lrscheduler_step`).
                start, every = spaced
                units = {self._period_unit(ctx, start)}
                if every is not None:
                    units.add(self._period_unit(ctx, every, echo="step"))
                units.discard(None)
                return units.pop() if len(units) == 1 else None
            if isinstance(milestones, (cst.List, cst.Tuple)) and milestones.elements:
                units = {self._period_unit(ctx, element.value) for element in milestones.elements}
                return EPOCHS if units == {EPOCHS} else None
            return self._period_unit(ctx, milestones) if milestones is not None else None
        return None

    def _lambda_unit(
        self, ctx: FileContext, function: cst.BaseExpression | None, call: cst.Call
    ) -> str | None:
        """ITERATIONS for a `LambdaLR` function whose body measures its argument against step counts
        (`if current_step < warmup_steps`, `/ max_steps`) and never mentions epochs; else None. The
        argument's own name proves nothing: the PyTorch docs call it `epoch` whatever it counts."""
        if isinstance(function, cst.Name):
            resolved = resolve_name(ctx, function.value, call)
            function = resolved.node if resolved is not None and resolved.ctx is ctx else None
        if isinstance(function, cst.Lambda):
            params, body = function.params, function.body
        elif isinstance(function, cst.FunctionDef):
            params, body = function.params, function.body
        else:
            return None
        own = {param.name.value for param in (*params.posonly_params, *params.params)}
        words = [word for word in _words(body) if word not in own]
        if any(_EPOCH_WORD.search(word) for word in words):
            return None
        return ITERATIONS if any(_STEP_WORD.search(word) for word in words) else None

    def _period_unit(
        self, ctx: FileContext, expr: cst.BaseExpression, echo: str = "", depth: int = 0
    ) -> str | None:
        """Whether a period (`T_max`, `step_size`, `total_steps`, milestones) counts epochs or iterations.

        A product of an epoch count with anything but a literal (`epochs * updates_per_epoch`,
        `args.epochs * n_iter`) counts steps: the other factor is a per-epoch step count. A name that only
        echoes the scheduler's own keyword (`echo`: `StepLR(step_size=args.step_size)`, `args.lr_step_size`)
        says nothing about the unit: its value decides. A name made of a step decay's own words (`steps`,
        `lr_decay_step`, `decay_steps`: where the rate drops, in the schedule's steps) says nothing either:
        what it is bound to in this function decides (`steps = epochs * len(loader)`), else nothing does."""
        if _per_epoch_product(expr):
            return ITERATIONS
        setting = module_setting(ctx, expr) if depth < _MAX_BINDING_DEPTH else None
        if setting is not None:
            # A project settings module's value (`config.lr_scheduler_step_size = epochs // 5`) tells
            # more than its name, which may only echo the keyword or a step decay's own words.
            return self._period_unit(setting[0], setting[1], echo, depth + 1)
        words = [word for word in _words(expr) if not (echo and word.lower().endswith(echo))]
        settings = [word for word in words if _names_a_decay_setting(word)]
        words = [word for word in words if word not in settings]
        if any(_STEP_WORD.search(word) for word in words):
            return ITERATIONS
        if any(_EPOCH_WORD.search(word) for word in words):
            return EPOCHS
        if settings:
            return self._bound_unit(ctx, expr, depth)
        values = ctx.loops.run_length.values(expr)
        if not values:
            return None
        epochs = ctx.loops.run_length.stated_epochs
        if all(value >= _ITERATION_SCALE or (epochs and value > 10 * max(epochs)) for value in values):
            return ITERATIONS
        if all(value < _ITERATION_SCALE and (not epochs or value <= max(epochs)) for value in values):
            return EPOCHS
        return None

    def _bound_unit(self, ctx: FileContext, expr: cst.BaseExpression, depth: int) -> str | None:
        """The unit of what a plain name is bound to where it is read, when every value agrees; None for a
        parameter, a setting of another object or module (`config.lr_decay_step`) or a disagreement."""
        if type(expr) is not cst.Name or depth >= _MAX_BINDING_DEPTH:
            return None
        values = reaching_values(ctx, expr.value, expr)
        if not values or None in values:
            return None
        units = {self._period_unit(ctx, value, depth=depth + 1) for value in values}  # type: ignore[arg-type]
        return units.pop() if len(units) == 1 else None

    def _gentle(self, gamma: cst.BaseExpression | None) -> bool:
        return isinstance(gamma, cst.Float) and gamma.evaluated_value >= _GENTLE_GAMMA


def _listed(expr: cst.BaseExpression | None) -> cst.BaseExpression | None:
    """What `list(...)`/`tuple(...)`/`sorted(...)` of one argument wraps, else `expr` itself."""
    while (
        isinstance(expr, cst.Call)
        and dotted_name(expr.func) in ("list", "tuple", "sorted")
        and len(expr.args) == 1
        and expr.args[0].keyword is None
    ):
        expr = expr.args[0].value
    return expr


def _range_bounds(
    expr: cst.BaseExpression | None,
) -> tuple[cst.BaseExpression, cst.BaseExpression | None] | None:
    """The start and the spacing of `range(start, stop[, step])`, or None for anything else."""
    if not (isinstance(expr, cst.Call) and dotted_name(expr.func) == "range"):
        return None
    bounds = [arg.value for arg in expr.args if arg.keyword is None]
    if len(bounds) not in (2, 3) or len(bounds) != len(expr.args):
        return None
    return bounds[0], bounds[2] if len(bounds) == 3 else None


def _names_a_decay_setting(word: str) -> bool:
    """`steps`, `lr_steps`, `lr_decay_step`: a name made only of a step decay's own words, one of them
    "step" (`step_size` too; an echo of StepLR's keyword is read the same way by `echo`)."""
    parts = words(word)
    return (
        bool(parts)
        and any(part in ("step", "steps") for part in parts)
        and all(part in vocab.STEP_DECAY_SETTING_WORDS for part in parts)
    )


def _per_epoch_product(expr: cst.BaseExpression) -> bool:
    """`epochs * updates_per_epoch`: an epoch count times a factor that is not a literal."""
    if not (isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Multiply)):
        return False

    def counts_epochs(side: cst.BaseExpression) -> bool:
        return any(_EPOCH_WORD.search(word) and not _PER_EPOCH.search(word) for word in _words(side))

    left, right = counts_epochs(expr.left), counts_epochs(expr.right)
    if left == right:
        return False
    other = expr.right if left else expr.left
    return not isinstance(other, (cst.Integer, cst.Float))


def _words(expr: cst.BaseExpression) -> list[str]:
    """The identifiers an expression reads, plus "len" when it measures a loader."""
    words: list[str] = []
    stack: list[cst.CSTNode] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            words.append(node.value)
        elif isinstance(node, cst.Attribute):
            words.append(node.attr.value)
            stack.append(node.value)
            continue
        elif isinstance(node, cst.SimpleString) and isinstance(node.evaluated_value, str):
            words.append(node.evaluated_value)
        elif isinstance(node, cst.Call) and dotted_name(node.func) == "len":
            words.append("len_batches")
        stack.extend(children(node))
    return words
