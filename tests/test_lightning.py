"""The Lightning facts NN212 stands on: which schedulers `configure_optimizers` returns, in each shape
Lightning accepts, and the interval Lightning steps each at; and learning rates computed but never applied."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from nnlint.engine.context import FileContext
from nnlint.engine.learning_rate import unapplied_rates


def context(source: str) -> FileContext:
    source = textwrap.dedent(source)
    return FileContext("t.py", source, cst.parse_module(source))


def module(body: str, header: str = "") -> str:
    """A LightningModule whose configure_optimizers has `body` (after building `opt` and `sched`)."""
    return (
        "import torch\nimport lightning as L\n"
        "class M(L.LightningModule):\n"
        f"{textwrap.indent(textwrap.dedent(header), '    ')}"
        "    def configure_optimizers(self):\n"
        "        opt = torch.optim.SGD(self.parameters(), lr=0.1)\n"
        "        sched = torch.optim.lr_scheduler.StepLR(opt, 10)\n"
        f"{textwrap.indent(textwrap.dedent(body), '        ')}"
    )


@pytest.mark.parametrize(
    ("body", "intervals"),
    [
        ("return [opt], [sched]", [{"epoch"}]),
        ("return [opt], sched", [{"epoch"}]),
        ('return {"optimizer": opt, "lr_scheduler": sched}', [{"epoch"}]),
        ('return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}', [{"step"}]),
        ('config = {"scheduler": sched, "interval": "step"}\nreturn [opt], [config]', [{"step"}]),
        ('return ({"optimizer": opt, "lr_scheduler": {"scheduler": sched}},)', [{"epoch"}]),
        (
            'return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, '
            '"interval": "step" if per_step else "epoch"}}',
            [{"step", "epoch"}],
        ),
        ('return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": unit}}', [None]),
        ("self.s = torch.optim.lr_scheduler.StepLR(opt, 10)\nreturn [opt], [self.s]", [{"epoch"}]),
        ("return opt", []),
        ("return [opt, opt]", []),
    ],
)
def test_returned_schedulers_and_their_intervals(body: str, intervals: list[set[str] | None]) -> None:
    ctx = context(module(body))
    found = ctx.lightning.returned_schedulers
    assert [None if r.intervals is None else set(r.intervals) for r in found] == intervals
    for returned in found:
        assert returned.value is not None and ctx.callee(returned.value) == "torch.optim.lr_scheduler.StepLR"


def test_manual_optimization_returns_nothing_for_lightning_to_step() -> None:
    header = """
    def __init__(self):
        super().__init__()
        self.automatic_optimization = False
    """
    ctx = context(module("return [opt], [sched]", header))
    assert ctx.lightning.returned_schedulers == []
    assert ctx.lightning.manual_optimization(ctx.lightning.classes[0])


def test_not_a_lightning_module() -> None:
    ctx = context(module("return [opt], [sched]").replace("L.LightningModule", "torch.nn.Module"))
    assert ctx.lightning.classes == []
    assert ctx.lightning.returned_schedulers == []


def test_override_stepping_with_the_epoch() -> None:
    body = 'return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}\n'
    override = """
    def lr_scheduler_step(self, scheduler, metric):
        scheduler.step(self.current_epoch)
    """
    ctx = context(module(body) + textwrap.indent(textwrap.dedent(override), "    "))
    assert len(ctx.lightning.epoch_stepped_by_override()) == 1
    indented = textwrap.indent(textwrap.dedent(override), "    ")
    epoch_only = module(body.replace('"step"', '"epoch"')) + indented
    assert context(epoch_only).lightning.epoch_stepped_by_override() == []


UNAPPLIED = """
import torch
def run(model, data, schedule, steps):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for step in range(steps):
        cur_lr = schedule.value(step)
        optimizer.zero_grad()
        loss = model(next(data)).mean()
        print(cur_lr)
        loss.backward()
        optimizer.step()
"""


def test_rate_computed_per_step_and_never_applied() -> None:
    found = unapplied_rates(context(UNAPPLIED))
    assert [(r.name, r.optimizer, r.counter) for r in found] == [("cur_lr", "optimizer", "step")]


@pytest.mark.parametrize(
    "change",
    [
        (
            "        print(cur_lr)\n",
            "        for g in optimizer.param_groups:\n            g['lr'] = cur_lr\n",
        ),
        ("        print(cur_lr)\n", "        apply_lr(optimizer, cur_lr)\n"),
        ("optimizer.step()", "optimizer.step(lr=cur_lr)"),
        ("lr=1e-3)", "lr=1e-3)\n    sched = torch.optim.lr_scheduler.StepLR(optimizer, 10)"),
        ("torch.optim.Adam(", "MyOptimizer("),
        ("schedule.value(step)", "schedule.value(0.5)"),
        ("        print(cur_lr)\n", "        w.data -= cur_lr * w.grad\n"),
    ],
)
def test_rate_that_may_be_applied(change: tuple[str, str]) -> None:
    assert unapplied_rates(context(UNAPPLIED.replace(*change))) == []


def test_a_rate_named_lr_is_not_read_by_the_keyword_or_field_of_that_spelling() -> None:
    """`Adam(params, lr=args.lr)`: the keyword `lr` and the field `args.lr` are not the local `lr`."""
    source = UNAPPLIED.replace("cur_lr", "lr").replace("lr=1e-3)", "lr=args.lr)")
    assert "lr=args.lr)" in source
    found = unapplied_rates(context(source))
    assert [(r.name, r.optimizer, r.counter) for r in found] == [("lr", "optimizer", "step")]
    built_from_it = source.replace("lr=args.lr)", "lr=lr)")
    assert unapplied_rates(context(built_from_it)) == []
