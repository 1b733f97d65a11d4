"""NN211 default-lr-decay: the ImageNet recipe's epoch schedule copied into a run of another length."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from nnlint.engine.epochs import PERIOD, SHADOWED
from nnlint.engine.names import call_argument, dotted_name
from nnlint.finding import Severity
from nnlint.rule import Invalid, Rule

STEP_LR = "torch.optim.lr_scheduler.StepLR"
MULTI_STEP_LR = "torch.optim.lr_scheduler.MultiStepLR"
# Decay points of the classic ImageNet recipes (ResNet: x0.1 every 30 epochs over 90, or at 30/60/80).
IMAGENET_STEP = 30
IMAGENET_MILESTONES = frozenset({30, 60, 80, 90})
# Runs this long are ImageNet-like: the recipe's decay points land where they were meant to.
IMAGENET_EPOCHS = range(85, 126)


HAND_RECIPE = (
    "`0.1 ** (epoch // 30)` is the 90-epoch ImageNet schedule, but this run lasts {counts} epochs, so the "
    "learning rate decays at the wrong points; derive the decay period from the number of epochs."
)
SHADOWED_BRANCH = (
    "This branch needs epoch {first} or later, but the earlier `epoch >= {earlier}` branch of the same "
    "chain takes every such epoch first, so this learning-rate decay never happens; test the larger "
    "thresholds first."
)
SETTING_UNREACHED = (
    "Every decay point listed here ({points}) lies at or after the end of the run ({counts} epochs), so "
    "the schedule in `{where}` never lowers the learning rate; derive the decay points from the number of "
    "epochs."
)
MILESTONES_UNREACHED = (
    "Every milestone of this MultiStepLR ({points}) lies at or after the end of the run ({counts} epochs), "
    "so the learning rate never decays; derive the milestones from the number of epochs."
)
UNREACHED = (
    "This learning-rate decay starts at epoch {first}, but the run lasts {counts} epochs: it is never "
    "reached and the learning rate never decays here; derive it from the number of epochs."
)


class DefaultLrDecay(Rule):
    """## What it does
    Flags the ImageNet recipe's decay constants in a run that does not last about 90 epochs.

    That is `StepLR(optimizer, step_size=30, gamma=0.1)` or `MultiStepLR(optimizer, milestones=[30, 60,
    90])` (also `[30, 60, 80]`, `[30, 60]`) written with literals, in a script whose number of epochs is
    not ImageNet-like (about 90 to 120) or cannot be found. The epoch count is read from the epoch loop
    (`range(90)`), a constant (`epochs = 90`), an argparse `--epochs` default or a config
    (`{"epochs": 90}`).

    Hand-written schedules are judged the same way: `lr = base * 0.1 ** (epoch // 30)` (also in a
    `LambdaLR` lambda) is the same recipe, and a decay that can never happen is flagged too: an
    `if epoch >= 150: lr = ...` branch, or `MultiStepLR(milestones=[150, 225])`, in a run whose every
    stated length ends before it, or an `elif epoch >= 160:` after an `if epoch >= 120:` (the first branch
    takes every epoch the second would; also when the branches set the exponent of the decay factor,
    `decay = 2` for `lr = args.lr * 0.1 ** decay`). Decay points listed in a setting are read too: an
    argparse string default (`--lr_decay_epochs`, default `'250,300,350'`, split into integers) or a list
    that a learning-rate function compares the epoch with (`np.sum(epoch > np.asarray(opt.lr_decay_epochs))`,
    `if epoch in args.schedule:`), also in a project helper the script hands the epoch; the finding is on
    the list when all its points lie at or after the end of the run. Except for the shadowed branch,
    hand-written schedules are judged only when the run length is known.

    Not flagged: decay points computed from the run length (`step_size=args.epochs // 3`), a run of about
    90 epochs, and a scheduler stepped once per batch (that is NN212's finding).

    Severity is info: the linter cannot see the command line, and `--epochs 90` may be passed at run
    time, so the finding asks for a look rather than asserting a bug.

    ## Why is this bad?
    These constants encode a 90-epoch ImageNet run: divide the learning rate by 10 at epochs 30 and 60
    (and 80 or 90). Copied into a 20-epoch fine-tuning script, the learning rate never decays; into a
    300-epoch run, it decays to 1e-10 of its value by epoch 300 and the rest of training is wasted. The
    script runs, the loss curve looks reasonable, and the model ends up worse than it should. Karpathy's
    recipe warns to be careful with learning-rate decay copied from other tasks, because the schedule
    depends on the number of epochs.

    ## Example
    ```python
    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(20):
        train_one_epoch(model, loader, optimizer)
        scheduler.step()
    ```

    ## Use instead
    ```python
    epochs = 20
    scheduler = StepLR(optimizer, step_size=epochs // 3, gamma=0.1)
    # or: CosineAnnealingLR(optimizer, T_max=epochs)
    ```

    ## References
    - A. Karpathy, "A Recipe for Training Neural Networks" (2019): "be careful with learning rate decay".
    - K. He et al., "Deep Residual Learning for Image Recognition" (2016), and the PyTorch ImageNet example
      (`StepLR(step_size=30)` for a 90-epoch run).
    """

    code = "NN211"
    name = "default-lr-decay"
    severity = Severity.INFO
    message = (
        "These are the 90-epoch ImageNet decay points, but this script's run length does not match them; "
        "derive the decay points from the number of epochs."
    )
    hint = "Compute step sizes and milestones from the epoch count, or use CosineAnnealingLR(T_max=epochs)."

    VALID: ClassVar[list[str]] = [
        # Hand-written decays the run reaches; the recipe in a 90-epoch run.
        """
import torch
epochs = 200
for epoch in range(epochs):
    if epoch >= 150:
        lr = 0.001
    elif epoch >= 100:
        lr = 0.01
    train(model, optimizer, lr)
""",
        """
import torch
def adjust_learning_rate(optimizer, epoch, args):
    lr = args.lr * (0.1 ** (epoch // 30))
    for param_group in optimizer.param_groups:
        param_group["lr"] = lr

for epoch in range(90):
    adjust_learning_rate(optimizer, epoch, args)
    train(model, optimizer)
""",
        # A schedule through a decay counter, largest threshold first; a counter that is no decay exponent.
        """
import torch
def adjust_learning_rate(optimizer, epoch, args):
    decay = 0
    if epoch >= 122:
        decay = 2
    elif epoch >= 81:
        decay = 1
    lr = args.lr * (0.1 ** decay)
    for param_group in optimizer.param_groups:
        param_group["lr"] = lr
""",
        """
import torch
def adjust_learning_rate(optimizer, epoch, args):
    stage = 1
    if epoch >= 81:
        stage = 2
    elif epoch >= 122:
        stage = 3
    lr = args.lr / stage
    for param_group in optimizer.param_groups:
        param_group["lr"] = lr
""",
        # The run length is not known: a hand-written schedule is not judged.
        """
import torch
def adjust_learning_rate(optimizer, epoch, base_lr):
    lr = base_lr * (0.1 ** (epoch // 30))
    if epoch >= 300:
        lr *= 0.1
    for param_group in optimizer.param_groups:
        param_group["lr"] = lr
""",
        # The ImageNet example itself: 90 epochs by default.
        """
import argparse
import torch
from torch.optim.lr_scheduler import StepLR
parser = argparse.ArgumentParser()
parser.add_argument('--epochs', default=90, type=int)
args = parser.parse_args()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
for epoch in range(args.epochs):
    train(model, optimizer)
    scheduler.step()
""",
        # Decay points computed from the run length.
        """
import torch
epochs = 20
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[epochs // 2, 3 * epochs // 4])
for epoch in range(epochs):
    train(model, optimizer)
    scheduler.step()
""",
        # Not the ImageNet constants: the MNIST example's per-epoch decay.
        """
import torch
from torch.optim.lr_scheduler import StepLR
scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
for epoch in range(1, 15):
    train(model, optimizer)
    scheduler.step()
""",
        # Decay points in a string setting, all reached by the run; a scheduler stepped out of sight.
        """
import argparse
import numpy as np
import torch
parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=240)
parser.add_argument("--lr_decay_epochs", type=str, default="150,180,210")
opt = parser.parse_args()
opt.lr_decay_epochs = [int(x) for x in opt.lr_decay_epochs.split(",")]

def adjust_learning_rate(epoch, opt, optimizer):
    steps = np.sum(epoch > np.asarray(opt.lr_decay_epochs))
    new_lr = opt.learning_rate * (opt.lr_decay_rate ** steps)
    for param_group in optimizer.param_groups:
        param_group["lr"] = new_lr

for epoch in range(1, opt.epochs + 1):
    adjust_learning_rate(epoch, opt, optimizer)
    train(model, optimizer)
""",
        """
import torch
scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[2000, 4000], gamma=0.1)
for epoch in range(10):
    train_one_epoch(model, loader, optimizer, scheduler)
""",
        # A 100-epoch run with the [30, 60, 90] milestones.
        """
import torch
config = {"epochs": 100, "lr": 0.1}
scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[30, 60, 90], gamma=0.1)
for epoch in range(config["epochs"]):
    train(model, optimizer)
    scheduler.step()
""",
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        # The schedule sets the exponent of its decay factor; the second threshold is caught by the first.
        Invalid(
            """
import torch
def adjust_learning_rate(optimizer, epoch, args):
    decay = 0
    if epoch >= 81:
        decay = 1
    elif epoch >= 122:
        decay = 2
    lr = args.lr * (0.1 ** decay)
    for param_group in optimizer.param_groups:
        param_group["lr"] = lr
""",
            line=7,
        ),
        # The ImageNet recipe written by hand, in a 200-epoch run.
        Invalid(
            """
import argparse
import torch
parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=200)
args = parser.parse_args()

def adjust_learning_rate(optimizer, epoch):
    lr = args.lr * (0.1 ** (epoch // 30))
    for param_group in optimizer.param_groups:
        param_group["lr"] = lr
""",
            line=9,
        ),
        # An if-chain whose second branch is past the end of the run.
        Invalid(
            """
import torch
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(100):
    if epoch >= 50:
        lr = 0.01
    elif epoch >= 150:
        lr = 0.001
    for g in optimizer.param_groups:
        g["lr"] = lr
    train(model, optimizer)
""",
            line=7,
        ),
        # An if/elif chain in ascending order: the later branches can never run.
        Invalid(
            """
import torch
def adjust_learning_rate(optimizer, epoch, base_lr):
    lr = base_lr
    if epoch >= 120:
        lr = base_lr * 0.1
    elif epoch >= 160:
        lr = base_lr * 0.01
    for param_group in optimizer.param_groups:
        param_group["lr"] = lr
""",
            line=7,
        ),
        # A LambdaLR with the recipe's constants, in a 40-epoch run.
        Invalid(
            """
import torch
scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda e: 0.1 ** (e // 30))
for epoch in range(40):
    train(model, optimizer)
    scheduler.step()
""",
            line=3,
        ),
        # MultiStepLR whose milestones all lie past the end of the run.
        Invalid(
            """
import torch
scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[150, 225], gamma=0.1)
for epoch in range(100):
    train(model, optimizer)
    scheduler.step()
""",
            line=3,
        ),
        # Decay points in an argparse string, all past the end of the run: the schedule never decays.
        Invalid(
            """
import argparse
import numpy as np
import torch
parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=240)
parser.add_argument("--lr_decay_epochs", type=str, default="250,300,350")
opt = parser.parse_args()
opt.lr_decay_epochs = list(map(int, opt.lr_decay_epochs.split(",")))

def adjust_learning_rate(epoch, opt, optimizer):
    steps = np.sum(epoch > np.asarray(opt.lr_decay_epochs))
    new_lr = opt.learning_rate * (opt.lr_decay_rate ** steps)
    for param_group in optimizer.param_groups:
        param_group["lr"] = new_lr

for epoch in range(1, opt.epochs + 1):
    adjust_learning_rate(epoch, opt, optimizer)
    train(model, optimizer)
""",
            line=7,
        ),
        # MultiStepLR milestones at or past the end of a 240-epoch run, the scheduler stepped nowhere seen.
        Invalid(
            """
import torch
scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[240, 300], gamma=0.1)
for epoch in range(240):
    train(model, optimizer)
""",
            line=3,
        ),
        Invalid(
            """
import torch
from torch.optim.lr_scheduler import StepLR
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
for epoch in range(20):
    train(model, optimizer)
    scheduler.step()
""",
            line=5,
        ),
        # argparse default of 200 epochs: the LR is divided by 10 six times.
        Invalid(
            """
import argparse
import torch.optim as optim
parser = argparse.ArgumentParser()
parser.add_argument("--num-epochs", type=int, default=200)
args = parser.parse_args()
scheduler = optim.lr_scheduler.StepLR(optimizer, 30)
for epoch in range(args.num_epochs):
    train(model, optimizer)
    scheduler.step()
""",
            line=7,
        ),
        # The epoch count is nowhere in the file.
        Invalid(
            """
from torch.optim.lr_scheduler import MultiStepLR

def build(optimizer):
    return MultiStepLR(optimizer, milestones=[30, 60, 80], gamma=0.1)
""",
            line=5,
        ),
    ]

    def finish(self) -> None:
        """Hand-written schedules: `0.1 ** (epoch // 30)`, `if epoch >= K: lr = ...` branches, and decay
        points listed in a setting."""
        run_length = self.ctx.loops.run_length
        self._setting_decays_unreached()
        decays = run_length.hand_written_decays
        if not decays:
            return
        for decay in decays:
            if decay.kind == SHADOWED:
                self.report(decay.node, SHADOWED_BRANCH.format(first=decay.epochs, earlier=decay.shadowed_by))
        epochs = run_length.run_epochs
        if not epochs:
            return  # unknown run length: nothing to judge the other hand-written schedules against
        counts = " or ".join(str(count) for count in sorted(epochs))
        for decay in decays:
            if decay.kind == SHADOWED:
                continue
            if decay.kind == PERIOD:
                if (
                    decay.epochs == IMAGENET_STEP
                    and decay.factor == 0.1
                    and not epochs & set(IMAGENET_EPOCHS)
                ):
                    self.report(decay.node, HAND_RECIPE.format(counts=counts))
            elif decay.epochs > max(epochs):
                self.report(decay.node, UNREACHED.format(first=decay.epochs, counts=counts))

    def _setting_decays_unreached(self) -> None:
        """Decay points listed in a setting (`--lr_decay_epochs` defaulting to `'250,300,350'`) that all
        lie at or past the end of the run: the schedule comparing the epoch with them never decays."""
        run_length = self.ctx.loops.run_length
        decays = run_length.setting_decays
        if not decays:
            return
        epochs = run_length.run_epochs
        if not epochs:
            return
        counts = " or ".join(str(count) for count in sorted(epochs))
        for decay in decays:
            if min(decay.milestones) + decay.first > max(epochs):
                points = ", ".join(str(point) for point in decay.milestones)
                self.report(
                    decay.node,
                    SETTING_UNREACHED.format(points=points, where=decay.where, counts=counts),
                )

    def visit_Call(self, node: cst.Call) -> None:
        if self._milestones_unreached(node):
            return
        recipe = self._imagenet_recipe(node)
        if recipe is None:
            return
        name = self._assigned_name(node)
        steps = self.ctx.loops.scheduler_steps(name) if name else []
        frequencies = [self.ctx.loops.step_frequency(step) for step in steps]
        if "batch" in frequencies:
            return  # stepped per batch: the units are wrong altogether (NN212)
        epochs = self._epochs(steps)
        if any(count in IMAGENET_EPOCHS for count in epochs):
            return
        if epochs:
            counts = " or ".join(str(count) for count in sorted(epochs))
            message = (
                f"`{recipe}` is the 90-epoch ImageNet schedule, but this run lasts {counts} epochs, so the "
                "learning rate decays at the wrong points; derive the decay points from the number of epochs."
            )
        else:
            message = (
                f"`{recipe}` is the 90-epoch ImageNet schedule, and this file never states how many epochs "
                "it runs; derive the decay points from the number of epochs."
            )
        self.report(node, message)

    def _milestones_unreached(self, call: cst.Call) -> bool:
        """`MultiStepLR(milestones=[150, 225])` in a run that ends at or before the first: the rate never
        decays. Reported."""
        if self.ctx.callee(call) != MULTI_STEP_LR:
            return False
        milestones = _integers(call_argument(call, 1, "milestones"))
        epochs = self.ctx.loops.run_length.run_epochs
        name = self._assigned_name(call)
        if not milestones or not epochs or not name:
            return False
        steps = self.ctx.loops.scheduler_steps(name)
        if any(self.ctx.loops.step_frequency(step) != "epoch" for step in steps):
            return False
        if not steps and self._handed_on(name):
            return False  # stepped elsewhere, maybe once per batch: milestones counted in steps
        if min(milestones) < max(epochs):
            return False
        counts = " or ".join(str(count) for count in sorted(epochs))
        points = ", ".join(str(point) for point in milestones)
        self.report(call, MILESTONES_UNREACHED.format(points=points, counts=counts))
        return True

    def _handed_on(self, name: str) -> bool:
        """Whether the scheduler bound to `name` is passed to a call or returned (stepped out of sight)."""
        for node in (*self.ctx.index.nodes(cst.Name), *self.ctx.index.nodes(cst.Attribute)):
            if dotted_name(node) == name and isinstance(
                self.ctx.index.parent(node), (cst.Arg, cst.Return, cst.Element, cst.DictElement)
            ):
                return True
        return False

    def _imagenet_recipe(self, call: cst.Call) -> str | None:
        """`StepLR(step_size=30, gamma=0.1)` or `MultiStepLR(milestones=[30, 60, ...])` with literals."""
        callee = self.ctx.callee(call)
        if callee not in (STEP_LR, MULTI_STEP_LR):
            return None
        gamma = call_argument(call, 2, "gamma")
        if gamma is not None and not (isinstance(gamma, cst.Float) and gamma.evaluated_value == 0.1):
            return None
        if callee == STEP_LR:
            step = call_argument(call, 1, "step_size")
            if isinstance(step, cst.Integer) and step.evaluated_value == IMAGENET_STEP:
                return "StepLR(step_size=30, gamma=0.1)"
            return None
        milestones = _integers(call_argument(call, 1, "milestones"))
        if (
            milestones is not None
            and len(milestones) >= 2
            and milestones[0] == IMAGENET_STEP
            and milestones == sorted(set(milestones))
            and set(milestones) <= IMAGENET_MILESTONES
        ):
            return f"MultiStepLR(milestones={milestones})"
        return None

    def _assigned_name(self, call: cst.Call) -> str | None:
        parent = self.ctx.index.parent(call)
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
            return dotted_name(parent.targets[0].target)
        if isinstance(parent, cst.AnnAssign):
            return dotted_name(parent.target)
        return None

    def _epochs(self, steps: list[cst.Call]) -> frozenset[int]:
        """The epoch counts of the loops that step the scheduler, else those the file states."""
        run_length = self.ctx.loops.run_length
        counted: set[int] = set()
        for step in steps:
            loop = self.ctx.loops.enclosing_loop(step)
            if loop is not None and loop.kind == "epoch":
                counted |= run_length.iterations(loop)
        return frozenset(counted) or run_length.stated_epochs


def _integers(expr: cst.BaseExpression | None) -> list[int] | None:
    if not isinstance(expr, (cst.List, cst.Tuple)):
        return None
    values = [element.value for element in expr.elements]
    if not all(isinstance(value, cst.Integer) for value in values):
        return None
    return [int(value.evaluated_value) for value in values]  # type: ignore[union-attr]
