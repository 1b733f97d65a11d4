"""Learning-rate schedules: which torch classes are schedulers, how often a step under a condition on the
epoch runs, and what a schedule's settings say about its unit (held-out set 8: pytorch-ts, DCRNN)."""

from __future__ import annotations

import textwrap

import libcst as cst

from nnlint.engine.context import FileContext
from nnlint.engine.roles import Role, is_scheduler_class
from nnlint.rule import default_rules
from nnlint.runner import check_source
from rules.scheduler_step_frequency import SchedulerStepFrequency


def context(source: str) -> FileContext:
    source = textwrap.dedent(source)
    return FileContext("t.py", source, cst.parse_module(source))


def codes(source: str, prefix: str = "NN2") -> list[tuple[str, int]]:
    result = check_source("t.py", textwrap.dedent(source), default_rules())
    return sorted((f.code, f.location.row) for f in result.findings if f.code.startswith(prefix))


# The SWA trainer of pytorch-ts (6e8b264, pts/trainer.py), reduced: a cosine over the epochs and an SWA
# schedule, both stepped per batch, the SWA one from the epoch `swa_start` on.
SWA_TRAINER = """
import torch
from torch.optim.swa_utils import AveragedModel, SWALR


class Trainer:
    def __init__(self, epochs=100, num_batches_per_epoch=50):
        self.epochs = epochs
        self.num_batches_per_epoch = num_batches_per_epoch

    def __call__(self, net, data_loader):
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=self.epochs)
        swa_start = int(self.epochs * 0.75)
        swa_model = AveragedModel(net)
        swa_scheduler = SWALR(optimizer, swa_lr=0.05)
        for epoch_no in range(self.epochs):
            for batch_no, data_entry in enumerate(data_loader, start=1):
                optimizer.zero_grad()
                loss = net(data_entry)
                loss.backward()
                optimizer.step()
                if epoch_no > swa_start:
                    swa_model.update_parameters(net)
                    swa_scheduler.step()
                else:
                    scheduler.step()
                if self.num_batches_per_epoch == batch_no:
                    break
        return swa_model
"""


def test_swa_utils_classes_have_their_own_roles() -> None:
    assert is_scheduler_class("torch.optim.swa_utils.SWALR")
    assert is_scheduler_class("torch.optim.lr_scheduler.StepLR")
    assert not is_scheduler_class("torch.optim.swa_utils.AveragedModel")
    assert not is_scheduler_class("torch.optim.AdamW")
    ctx = context(SWA_TRAINER)
    assert ctx.roles.of("swa_scheduler") == {Role.SCHEDULER}
    assert ctx.roles.of("swa_model") == {Role.MODEL}
    assert ctx.roles.of("optimizer") == {Role.OPTIMIZER}


def test_an_swa_schedule_is_no_optimizer_to_clear() -> None:
    """Its `.step()` anneals the optimizer's rates; the optimizer is the one cleared (no NN203)."""
    assert not codes(SWA_TRAINER, "NN203")


def test_an_epoch_schedule_stepped_per_batch_in_the_epochs_a_condition_holds() -> None:
    """The cosine counts epochs and runs per batch before `swa_start`; the batch loop that `break`s after
    a fixed number of batches is still one epoch's batch loop."""
    assert codes(SWA_TRAINER) == [("NN212", 27)]


def test_step_frequency_under_conditions_on_the_epoch() -> None:
    ctx = context(
        """
        import torch
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        a = torch.optim.lr_scheduler.StepLR(optimizer, 1)
        for epoch in range(10):
            for i, (x, y) in enumerate(loader):
                optimizer.zero_grad()
                criterion(model(x), y).backward()
                optimizer.step()
                if epoch >= warmup_epochs:
                    a.step()
                if epoch > swa_start and use_swa:
                    pass
                else:
                    a.step()
                if cfg["SCHEDULER"]["FREQUENCY"] == "iteration":
                    a.step()
                if epoch > 3 and i == 0:
                    a.step()
                if epoch > limit(i):
                    a.step()
                if i >= 10:
                    break
        """
    )
    calls = ctx.loops.scheduler_steps("a")
    frequencies = [ctx.loops.step_frequency(call) for call in calls]
    # A setting compared with a string chooses the frequency, a batch counter or a call may vary per batch.
    assert frequencies == ["batch", "batch", None, None, None]


def test_a_condition_on_what_the_batch_loop_changes_stays_unknown() -> None:
    """`epoch` counted in the batch loop itself (a fractional epoch) varies per batch."""
    ctx = context(
        """
        import torch
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        a = torch.optim.lr_scheduler.StepLR(optimizer, 1)
        for epoch in range(10):
            for i, (x, y) in enumerate(loader):
                optimizer.zero_grad()
                criterion(model(x), y).backward()
                optimizer.step()
                epoch = epoch + 1 / len(loader)
                if epoch > swa_start:
                    a.step()
        """
    )
    assert [ctx.loops.step_frequency(call) for call in ctx.loops.scheduler_steps("a")] == [None]


def test_a_step_decay_setting_name_is_no_unit() -> None:
    """DCRNN (593e3db, dcrnn_supervisor.py): `MultiStepLR(milestones=steps)` where `steps` is a parameter
    the configuration fills with epochs, stepped once per epoch; PSENet.pytorch (train.py): the milestones
    are `config.lr_decay_step` of a project module. Neither name says what the steps count."""
    dcrnn = """
    import torch

    def train(model, loader, base_lr, steps, epochs=100, lr_decay_ratio=0.1):
        optimizer = torch.optim.Adam(model.parameters(), lr=base_lr)
        lr_scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=steps, gamma=lr_decay_ratio)
        for epoch_num in range(epochs):
            for x, y in loader:
                optimizer.zero_grad()
                torch.nn.functional.l1_loss(model(x), y).backward()
                optimizer.step()
            lr_scheduler.step()
    """
    assert codes(dcrnn) == []
    psenet = dcrnn.replace("milestones=steps", "config.lr_decay_step").replace(
        "import torch\n", "import torch\nimport config\n"
    )
    assert codes(psenet) == []


def test_a_step_decay_setting_bound_here_is_read_by_its_value() -> None:
    """`steps = epochs * len(loader)` counts iterations whatever it is called; stepped per epoch."""
    source = """
    import torch

    def fit(model, loader, epochs):
        optimizer = torch.optim.AdamW(model.parameters())
        steps = epochs * len(loader)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
        for epoch in range(epochs):
            for x, y in loader:
                optimizer.zero_grad()
                model(x).mean().backward()
                optimizer.step()
            scheduler.step()
    """
    assert codes(source) == [("NN212", 13)]


def test_a_plateau_schedule_fed_each_batch_loss_in_a_loop_over_a_progress_bar() -> None:
    """pytorch-ts (827b496, pts/trainer.py): the batch loop goes over `with tqdm(train_iter) as it`, the
    loader a parameter annotated `DataLoader`, and never steps the optimizer, so the loop is known as a
    batch loop by what it iterates alone."""
    source = """
    import torch
    from torch.utils.data import DataLoader
    from tqdm import tqdm

    def fit(net, train_iter: DataLoader, epochs: int):
        optimizer = torch.optim.AdamW(net.parameters())
        lr_scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=10)
        for epoch_no in range(epochs):
            with tqdm(train_iter) as it:
                for batch_no, data_entry in enumerate(it, start=1):
                    optimizer.zero_grad()
                    loss = net(data_entry)
                    loss.backward()
                    lr_scheduler.step(loss)
    """
    ctx = context(source)
    assert ctx.roles.of("train_iter") == {Role.LOADER}
    batch_loop = next(loop for loop in ctx.loops.loops if loop.iterates == "train_iter")
    assert batch_loop.kind == "batch"
    assert codes(source) == [("NN212", 7), ("NN212", 15)]


def test_a_helpers_scheduler_parameter_is_judged_by_what_its_callers_pass() -> None:
    """NN212's VALID example from ditwoo/batteries' XLA notebook: the helper's `scheduler` is the cosine
    only where a call passes it. Called without one, its per-batch step never runs the epoch schedule;
    called with it, the step runs it per batch."""
    example = next(e for e in SchedulerStepFrequency.VALID if "def train_fn(" in e)
    call = "train_fn(model, loader, optimizer)"
    assert call in example
    assert codes(example) == []
    passed = example.replace(call, "train_fn(model, loader, optimizer, scheduler)")
    assert codes(passed) == [("NN212", 11)]
