"""NN404 on a per-batch step function shared by training and evaluation: the step runs only under the
function's flag (`if not validation:`, `if train:`), and the evaluation calls it per batch with the flag
selecting evaluation, directly (nequip's `batch_step(..., validation=True)`) or through an epoch function
that hands its own flag on (minGPT-ddp's `_run_epoch(loader, train=False)`)."""

from __future__ import annotations

import textwrap

import libcst as cst

from nnlint.config import Overrides
from nnlint.engine.context import FileContext
from nnlint.session import run_check

_STEP = """
import torch

class Trainer:
    def __init__(self, model, dl_train, dl_val):
        self.model = model
        self.dl_train, self.dl_val = dl_train, dl_val
        self.optim = torch.optim.Adam(self.model.parameters())

    def batch_step(self, data, validation=False):
        {switch}
        out = self.model(data)
        loss = self.loss(out, data)
        if not validation:
            self.optim.zero_grad()
            loss.backward()
            self.optim.step()

    def epoch_step(self):
        for batch in self.dl_train:
            self.batch_step(batch, validation=False)
        for batch in self.dl_val:
            self.batch_step(batch, validation={flag})
"""


def _ctx(source: str) -> FileContext:
    source = textwrap.dedent(source)
    return FileContext("example.py", source, cst.parse_module(source))


def _rows(tmp_path, source: str) -> list[int]:
    path = tmp_path / "example.py"
    path.write_text(textwrap.dedent(source))
    outcome = run_check([path], Overrides(select=frozenset({"NN404"})))
    assert outcome.crashes == []
    return sorted(f.location.row for f in outcome.findings)


def test_the_step_flag_is_the_parameter_guarding_every_training_event() -> None:
    ctx = _ctx(_STEP.format(switch="self.model.train()", flag="True"))
    step = next(f for f in ctx.index.nodes(cst.FunctionDef) if f.name.value == "batch_step")
    guard, bodies = ctx.evaluation.step_flag(step)  # type: ignore[misc]
    assert (guard.flag, guard.negated, len(bodies)) == ("validation", True, 1)
    # `if not validation:` holds the step: `validation=True` selects evaluation, `False` does not.
    assert guard.evaluates(cst.Name("True")) and not guard.evaluates(cst.Name("False"))
    epoch = next(f for f in ctx.index.nodes(cst.FunctionDef) if f.name.value == "epoch_step")
    assert ctx.evaluation.step_flag(epoch) is None  # trains nothing itself


def test_a_plain_train_at_the_top_of_the_shared_step_puts_validation_in_training_mode(tmp_path) -> None:
    assert _rows(tmp_path, _STEP.format(switch="self.model.train()", flag="True")) == [12]


def test_no_validation_call_means_no_evaluation(tmp_path) -> None:
    assert _rows(tmp_path, _STEP.format(switch="self.model.train()", flag="False")) == []


def test_a_mode_chosen_by_the_flag_is_left_alone(tmp_path) -> None:
    assert _rows(tmp_path, _STEP.format(switch="self.model.train(not validation)", flag="True")) == []
    switched = "if validation:\n            self.model.eval()\n        else:\n            self.model.train()"
    assert _rows(tmp_path, _STEP.format(switch=switched, flag="True")) == []


_HANDED_ON = """
import torch

class Trainer:
    def __init__(self, model, optimizer, train_loader, test_loader):
        self.model, self.optimizer = model, optimizer
        self.train_loader, self.test_loader = train_loader, test_loader

    def _run_batch(self, source, targets, train=True):
        _, loss = self.model(source, targets)
        if train:
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()

    def _run_epoch(self, loader, train=True):
        for source, targets in loader:
            self._run_batch(source, targets, train)

    def train(self, epochs):
        for epoch in range(epochs):
            {before_train}
            self._run_epoch(self.train_loader, train=True)
            {before_test}
            self._run_epoch(self.test_loader, train=False)
"""


def test_a_flag_handed_on_by_the_epoch_function_is_followed_to_its_callers(tmp_path) -> None:
    source = _HANDED_ON.format(before_train="pass", before_test="pass")
    assert _rows(tmp_path, source) == [10]


def test_the_mode_is_judged_at_the_outer_call(tmp_path) -> None:
    source = _HANDED_ON.format(before_train="self.model.train()", before_test="self.model.eval()")
    assert _rows(tmp_path, source) == []
