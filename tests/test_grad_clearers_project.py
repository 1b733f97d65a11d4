"""A gradient clearer in another project module, spelled the way real scripts spell it.

The loop collector inlines the checked file's own helpers; a helper of another module counts as a clearing
through its summary (`summaries.clears`). Both paths ask one predicate (`summaries.clears_grad`): a fresh
zero tensor given to `p.grad` clears it, but the same assignment under `if p.grad is None:` only allocates
a missing gradient (before an all-reduce) and clears nothing.
"""

from __future__ import annotations

from pathlib import Path

from project_tree import checked_findings, write_tree

TRAIN = """
import torch
from utils import {helper}
solver = torch.optim.Adam(params, lr=1e-3)
for batch in loader:
    loss = model(batch).mean()
    loss.backward()
    solver.step()
    {helper}(params)
"""


def _nn203(tmp_path: Path, helper_body: str, helper: str) -> list[str]:
    write_tree(
        tmp_path,
        {"utils.py": helper_body, "train.py": TRAIN.format(helper=helper)},
        project_marker=True,
    )
    return [f.code for f in checked_findings([tmp_path / "train.py"], ["NN203"])]


def test_helper_giving_each_gradient_a_fresh_zero_tensor_clears(tmp_path: Path) -> None:
    body = """
from torch.autograd import Variable
def reset_grad(params):
    for p in params:
        if p.grad is not None:
            data = p.grad.data
            p.grad = Variable(data.new().resize_as_(data).zero_())
"""
    assert _nn203(tmp_path, body, "reset_grad") == []


def test_helper_assigning_zeros_like_clears(tmp_path: Path) -> None:
    body = """
import torch
def zero_grads(params):
    for p in params:
        p.grad = torch.zeros_like(p)
"""
    assert _nn203(tmp_path, body, "zero_grads") == []


def test_helper_that_only_allocates_missing_gradients_does_not_clear(tmp_path: Path) -> None:
    body = """
import torch
def reset_missing_grads(params):
    for p in params:
        if p.grad is None:
            p.grad = torch.zeros_like(p)
"""
    assert _nn203(tmp_path, body, "reset_missing_grads") == ["NN203"]


def test_helper_setting_a_computed_gradient_does_not_clear(tmp_path: Path) -> None:
    body = """
def reset_grads(params, grads):
    for p, g in zip(params, grads):
        p.grad = g
"""
    assert _nn203(tmp_path, body, "reset_grads") == ["NN203"]
