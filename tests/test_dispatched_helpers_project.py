"""NN404 through helpers of other modules that a training loop calls by what it was given: an evaluation
helper picked into a local name by a setting (`validation = app_a.validation` under `if`/`elif`, sr-gan's
run_srgan choosing its application's `validation_summaries`), and a training helper of another module
that backpropagates and steps the optimizer it is handed (`train_step(net, optimizer, ...)`), which is a
training step of that model in the caller's loop (nnlint.engine.bindings, summaries, loops, modes)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst
import pytest
from project_tree import checked_findings, write_tree

from nnlint.engine.bindings import reaching_values
from nnlint.engine.context import FileContext

_MODEL = """import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 1))

    def forward(self, x):
        return self.body(x)
"""
_STEPS = """def train_step(net, optimizer, x, y):
    optimizer.zero_grad()
    loss = ((net(x) - y) ** 2).mean()
    loss.backward()
    optimizer.step()
"""
# UCTransNet's spelling: one epoch function for training and validation, stepping only in training mode.
_SHARED_EPOCH = """def run_epoch(loader, net, optimizer):
    total = 0.0
    for x, y in loader:
        loss = ((net(x) - y) ** 2).mean()
        if net.training:
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        total += loss.item()
    return total
"""
_VALIDATION = """import torch


def validation(net, settings, val_data):
    errors = []
    for x, y in val_data:
        errors.append((net(x) - y).abs().mean().item())
    return errors
"""
_MAIN = """import torch

import app_a
import app_b
from model import Net
from steps import train_step


def run(settings, train_batches, val_data):
    if settings.application == "a":
        validation = app_a.validation
    elif settings.application == "b":
        validation = {other}
    else:
        raise ValueError(settings.application)
    net = Net()
    optimizer = torch.optim.Adam(net.parameters())
    for step, (x, y) in enumerate(train_batches):
        train_step(net, optimizer, x, y)
        if step % 100 == 0:
            validation(net, settings, val_data)
"""


def _rows(tmp_path: Path, files: dict[str, str], targets: list[str]) -> list[tuple[str, int]]:
    write_tree(tmp_path, {"pyproject.toml": "", **files})
    return sorted(
        (f.filename, f.location.row) for f in checked_findings([tmp_path / t for t in targets], {"NN404"})
    )


def test_an_evaluation_helper_picked_by_a_setting_is_reported_in_each_candidate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The step loop trains `net` through another module's `train_step` (backward and step of the
    optimizer built over it), then calls whichever application's `validation` the setting picked: each
    runs the network in training mode."""
    monkeypatch.chdir(tmp_path)
    files = {
        "model.py": _MODEL,
        "steps.py": _STEPS,
        "app_a.py": _VALIDATION,
        "app_b.py": _VALIDATION,
        "main.py": _MAIN.format(other="app_b.validation"),
    }
    rows = _rows(tmp_path, files, ["main.py", "app_a.py", "app_b.py"])
    assert rows == [("app_a.py", 7), ("app_b.py", 7)]


def test_a_path_that_holds_something_else_keeps_the_helper_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One branch binds the name to a parameter (`settings.validation`, any callable): unknown, silent."""
    monkeypatch.chdir(tmp_path)
    files = {
        "model.py": _MODEL,
        "steps.py": _STEPS,
        "app_a.py": _VALIDATION,
        "main.py": _MAIN.replace("import app_b\n", "").format(other="settings.validation"),
    }
    assert _rows(tmp_path, files, ["main.py", "app_a.py"]) == []


def test_a_helper_that_steps_only_in_training_mode_is_no_training_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """UCTransNet: the epoch function of another module steps only `if net.training`, and the loop calls
    it for validation after `net.eval()`: no training step runs in eval mode, nothing to report."""
    monkeypatch.chdir(tmp_path)
    main = """import torch

from epoch import run_epoch
from model import Net


def main(train_loader, val_loader, epochs):
    net = Net()
    optimizer = torch.optim.Adam(net.parameters())
    for epoch in range(epochs):
        net.train(True)
        run_epoch(train_loader, net, optimizer)
        with torch.no_grad():
            net.eval()
            val_loss = run_epoch(val_loader, net, optimizer)
"""
    files = {"model.py": _MODEL, "epoch.py": _SHARED_EPOCH, "main.py": main}
    assert _rows(tmp_path, files, ["main.py", "epoch.py"]) == []


def test_a_branch_that_raises_reaches_nothing() -> None:
    source = textwrap.dedent(
        """
        def pick(mode):
            if mode == "a":
                fn = first
            elif mode == "b":
                fn = second
            else:
                raise ValueError(mode)
            return fn()
        """
    )
    ctx = FileContext("example.py", source, cst.parse_module(source))
    call = next(c for c in ctx.index.nodes(cst.Call) if ctx.module.code_for_node(c) == "fn()")
    values = reaching_values(ctx, "fn", call)
    assert [ctx.module.code_for_node(v) for v in values or [] if v is not None] == ["first", "second"]
    assert None not in (values or [None])
