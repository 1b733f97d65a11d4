"""Shared helpers for the integration tests: sample scripts, and `nnlint` run in-process."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from click.testing import CliRunner

from nnlint.cli import main

# NN204 at row 10 (zero_grad after backward) and NN501 at row 12 (a safe fix: `.item()`); NN301 (an unsafe
# fix: seeding) fires on the loop.
BUGGY = textwrap.dedent(
    """\
    import torch

    model = torch.nn.Linear(2, 1)
    criterion = torch.nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    total = 0
    for x, y in loader:
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.zero_grad()
        optimizer.step()
        total += loss
    """
)
ZERO_GRAD_ROW = 10

CLEAN = "import torch\n\nx = torch.zeros(3)\n"


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def nnlint(*args: str) -> Run:
    """`nnlint ARGS` in this process (files are few, so no worker processes start)."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)
