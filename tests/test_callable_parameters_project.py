"""A callable parameter across modules: an epoch method of a trainer subclass runs the `backprop` callable
that its base class, in another module, hands it (`self._train_epoch_impl(progress, self._backprop)`,
with `_train_epoch_impl` bound by the subclass to its own epoch method): the loop backpropagates and
steps through it, so NN203 judges its clearing (torch-em's mean-teacher trainer)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnlint.config import Overrides
from nnlint.session import run_check

_BASE = """import torch


class Trainer:
    def __init__(self, model, loader):
        self.model = model
        self.loader = loader
        self.optimizer = torch.optim.Adam(model.parameters())
        self.scaler = torch.cuda.amp.GradScaler() if torch.cuda.is_available() else None

    def _backprop(self, loss):
        loss.backward()
        self.optimizer.step()

    def _backprop_mixed(self, loss):
        self.scaler.scale(loss).backward()
        self.scaler.step(self.optimizer)
        self.scaler.update()

    def _train_epoch(self, progress):
        return self._train_epoch_impl(progress, self._backprop)

    def _train_epoch_mixed(self, progress):
        return self._train_epoch_impl(progress, self._backprop_mixed)

    def _train_epoch_impl(self, progress, backprop):
        for x in self.loader:
            self.optimizer.zero_grad()
            backprop(self.model(x).mean())
"""
_SUBCLASS = """import torch
from trainer import Trainer


class MeanTeacher(Trainer):
    def __init__(self, model, teacher, loader):
        super().__init__(model, loader)
        self.teacher = teacher
        self._train_epoch_impl = self._train_epoch_unsupervised

    def _train_epoch_unsupervised(self, progress, backprop):
        for x in self.loader:
{clear}            loss = (self.model(x) - self.teacher(x)).pow(2).mean()
            backprop(loss)
"""


@pytest.mark.parametrize(("clear", "rows"), [("", [14]), ("            self.optimizer.zero_grad()\n", [])])
def test_a_backprop_callable_handed_over_by_a_base_class_of_another_module_trains(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clear: str, rows: list[int]
) -> None:
    """Both callables the base hands over (plain and mixed precision, whose scaler may be None) backward
    and step: the subclass's loop without a clear is reported at its `backprop(loss)`; with one, silent.
    The base's own epoch clears: silent."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "trainer.py").write_text(_BASE)
    (tmp_path / "mean_teacher.py").write_text(_SUBCLASS.format(clear=clear))
    outcome = run_check([Path(".")], Overrides(select=frozenset({"NN203"})))
    assert outcome.crashes == []
    found = [(f.filename, f.location.row) for f in outcome.findings]
    assert found == [("mean_teacher.py", row) for row in rows]


_PICKING_BASE = """from trainer import Trainer


class MeanTeacher(Trainer):
    def __init__(self, model, teacher, loader):
        super().__init__(model, loader)
        self.teacher = teacher
        self._train_epoch_impl = self._train_epoch_unsupervised

    def _train_epoch_unsupervised(self, progress, backprop):
        for x in self.loader:
            self.optimizer.zero_grad()
            backprop((self.model(x) - self.teacher(x)).pow(2).mean())
"""
_OVERRIDE = """import torch
from mean_teacher import MeanTeacher


class UniMatch(MeanTeacher):
    def _train_epoch_unsupervised(self, progress, backprop):
        for x in self.loader:
{clear}            with torch.no_grad():
                target = self.teacher(x)
            loss = (self.model(x) - target).pow(2).mean()
            backprop(loss)
"""


@pytest.mark.parametrize(("clear", "rows"), [("", [11]), ("            self.optimizer.zero_grad()\n", [])])
def test_a_method_a_base_class_aliases_and_a_subclass_overrides_gets_the_callable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clear: str, rows: list[int]
) -> None:
    """The alias is bound in a base class (`self._train_epoch_impl = self._train_epoch_unsupervised` in
    mean_teacher.py) and a subclass of a third module overrides the method (torch-em's UniMatch v2
    trainer): on the subclass's instances the base trainer's `self._train_epoch_impl(progress,
    self._backprop)` runs the override, whose `backprop(loss)` backpropagates and steps. Without a clear,
    NN203 reports it; with one, silent. It trains, so it is no evaluation: no NN503 either way."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "trainer.py").write_text(_BASE)
    (tmp_path / "mean_teacher.py").write_text(_PICKING_BASE)
    (tmp_path / "uni_match.py").write_text(_OVERRIDE.format(clear=clear))
    outcome = run_check([Path("uni_match.py")], Overrides(select=frozenset({"NN203", "NN503"})))
    assert outcome.crashes == []
    found = [(f.filename, f.code, f.location.row) for f in outcome.findings]
    assert found == [("uni_match.py", "NN203", row) for row in rows]
