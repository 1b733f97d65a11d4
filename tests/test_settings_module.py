"""Settings read from a project's own settings module (`import config`, then `config.lr_decay_step`): the
engine reads the value the module's top level assigns (held-out set 12c: PSENet.pytorch's MultiStepLR over
`config.lr_decay_step = [200, 400]`, stepped per batch; Real_ESRGAN-PyTorch's `config.lr_scheduler_milestones`
and `config.lr_scheduler_step_size = epochs // 5`, stepped per epoch)."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from nnlint.config import Overrides
from nnlint.engine.bindings import module_setting
from nnlint.engine.context import FileContext
from nnlint.session import run_check

_SELECT = Overrides(select=frozenset({"NN212"}))

_CONFIG = """epochs = 600
lr = 1e-4
lr_gamma = 0.1
lr_decay_step = [200, 400]
if epochs > 100:
    lr_scheduler_step_size = epochs // 5
twice = 1
twice = 2
"""

_TRAIN = """import torch
import config


def train_epoch(net, optimizer, scheduler, loader):
    for images, labels in loader:
        loss = net(images, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
{batch_step}

def main(net, loader):
    optimizer = torch.optim.Adam(net.parameters(), lr=config.lr)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, config.lr_decay_step, gamma=config.lr_gamma)
    for epoch in range(config.epochs):
        train_epoch(net, optimizer, scheduler, loader)
{epoch_step}
"""


def _rows(target: str) -> list[tuple[str, int]]:
    outcome = run_check([Path(target)], _SELECT)
    assert outcome.crashes == []
    return [(f.filename, f.location.row) for f in outcome.findings]


@pytest.mark.parametrize(
    ("batch_step", "epoch_step", "rows"),
    [
        ("        scheduler.step()\n", "", [("train.py", 11)]),
        ("", "        scheduler.step()\n", []),
    ],
)
def test_milestones_of_a_settings_module_count_epochs(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    batch_step: str,
    epoch_step: str,
    rows: list[tuple[str, int]],
) -> None:
    """PSENet: `config.lr_decay_step` names where the rate drops, which says no unit by itself; config.py
    gives it `[200, 400]` against `epochs = 600`: epochs. Stepped per batch it is reported, per epoch not."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "config.py").write_text(_CONFIG)
    (tmp_path / "train.py").write_text(_TRAIN.format(batch_step=batch_step, epoch_step=epoch_step))
    assert _rows("train.py") == rows


def test_only_a_setting_the_module_assigns_once_at_its_top_level_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A value inside an `if` counts; a setting assigned twice, one the module never assigns, one this
    file assigns itself, and a name bound otherwise than by an import stay unknown."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "config.py").write_text(_CONFIG)
    source = (
        "import config\n"
        "import torch\n"
        "a = config.lr_scheduler_step_size\n"
        "b = config.twice\n"
        "c = config.missing\n"
        "d = torch.float32\n"
    )
    path = tmp_path / "train.py"
    path.write_text(source)
    ctx = FileContext(str(path), source, cst.parse_module(source))
    values = {}
    for assign in ctx.index.nodes(cst.Assign):
        found = module_setting(ctx, assign.value)
        values[assign.targets[0].target.value] = (  # type: ignore[attr-defined]
            found[0].module.code_for_node(found[1]) if found is not None else None
        )
    assert values == {"a": "epochs // 5", "b": None, "c": None, "d": None}
    rebound = "import config\nconfig.lr = 0.1\nx = config.lr\nconfig = object()\ny = config.lr\n"
    path.write_text(rebound)
    ctx = FileContext(str(path), rebound, cst.parse_module(rebound))
    assert [module_setting(ctx, a.value) for a in ctx.index.nodes(cst.Assign)][1:] == [None, None, None]
