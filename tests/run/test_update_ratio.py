"""NN915 judges a lone first step of an adaptive optimizer by a looser bound than later steps."""

from __future__ import annotations

import torch

from nnlint.run import update_ratio
from nnlint.run.thresholds import Thresholds
from nnlint.runtime.frames import Site


def _ratios(
    optimizer_class: type[torch.optim.Optimizer], lr: float, steps: int
) -> list[update_ratio.GroupRatios]:
    torch.manual_seed(0)
    model = torch.nn.Linear(64, 64)
    optimizer = optimizer_class(model.parameters(), lr=lr)
    groups: list[update_ratio.GroupRatios] = []
    for _ in range(steps):
        optimizer.zero_grad()
        model(torch.randn(8, 64)).pow(2).mean().backward()
        before = update_ratio.snapshot(optimizer)
        optimizer.step()
        update_ratio.measure(optimizer, before, groups)
    return groups


def _codes(groups: list[update_ratio.GroupRatios]) -> list[str]:
    site = Site("train.py", 1)
    return [finding.code for finding in update_ratio.check(groups, Thresholds(), site, site)]


def test_first_adam_step_of_moderate_size_is_not_reported() -> None:
    groups = _ratios(torch.optim.Adam, lr=0.02, steps=1)
    assert groups[0].adaptive
    assert 0.1 < groups[0].steps[0] < 1.0  # past the usual band, as a first Adam step is
    assert _codes(groups) == []


def test_same_ratio_from_sgd_is_reported() -> None:
    groups = _ratios(torch.optim.SGD, lr=10.0, steps=1)
    assert not groups[0].adaptive and groups[0].steps[0] > 0.1
    assert _codes(groups) == ["NN915"]


def test_adaptive_first_step_that_rewrites_the_weights_is_reported() -> None:
    groups = _ratios(torch.optim.Adam, lr=1.0, steps=1)
    assert groups[0].steps[0] > 1.0
    assert _codes(groups) == ["NN915"]
