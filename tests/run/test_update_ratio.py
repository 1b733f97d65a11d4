"""NN915 judges a lone first step of an adaptive optimizer by a looser bound than later steps."""

from __future__ import annotations

from collections.abc import Callable

import torch

from nnlint.run import update_ratio
from nnlint.run.thresholds import Thresholds
from nnlint.runtime.frames import Site


def _ratios(
    optimizer_class: type[torch.optim.Optimizer], lr: float, steps: int, schedule: Callable | None = None
) -> list[update_ratio.GroupRatios]:
    """The ratios of `steps` steps; `schedule(optimizer)` builds a scheduler stepped after each."""
    torch.manual_seed(0)
    model = torch.nn.Linear(64, 64)
    optimizer = optimizer_class(model.parameters(), lr=lr)
    scheduler = schedule(optimizer) if schedule is not None else None
    groups: list[update_ratio.GroupRatios] = []
    for _ in range(steps):
        optimizer.zero_grad()
        model(torch.randn(8, 64)).pow(2).mean().backward()
        before = update_ratio.snapshot(optimizer)
        optimizer.step()
        update_ratio.measure(optimizer, before, groups)
        if scheduler is not None:
            scheduler.step()
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


def _step_ratios(model: torch.nn.Module, optimizer: torch.optim.Optimizer, steps: int, inputs: int):
    groups: list[update_ratio.GroupRatios] = []
    for _ in range(steps):
        optimizer.zero_grad()
        model(torch.randn(8, inputs)).pow(2).mean().backward()
        before = update_ratio.snapshot(optimizer)
        optimizer.step()
        update_ratio.measure(optimizer, before, groups)
    return groups


def test_a_head_moving_twice_its_size_does_not_hide_behind_its_group() -> None:
    torch.manual_seed(0)
    body, head = torch.nn.Linear(256, 256), torch.nn.Linear(256, 2)
    with torch.no_grad():
        head.weight.mul_(1e-3)  # a tiny head: the same step moves it by far more than its own size
    model = torch.nn.Sequential(body, torch.nn.ReLU(), head)
    groups = _step_ratios(model, torch.optim.SGD(model.parameters(), lr=1.0), steps=1, inputs=256)
    assert groups[0].ratio < 0.1 and max(groups[0].per_param.values()) > 2  # the group alone looks fine
    site = Site("train.py", 1)
    names = {id(head.weight): "Net.head.weight"}
    (finding,) = update_ratio.check(groups, Thresholds(), site, site, names)
    assert finding.message.startswith("Net.head.weight moves")
    assert "the first step, lr=1)" in finding.message
    assert finding.evidence["statistic"] == "first step"


def test_small_biases_and_norm_scales_stay_quiet() -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(32, 32), torch.nn.LayerNorm(32), torch.nn.Linear(32, 4))
    with torch.no_grad():
        for module in (model[0], model[2]):
            module.bias.mul_(1e-3)  # biases near zero: Adam's lr-sized step is a huge fraction of them
    groups = _step_ratios(model, torch.optim.Adam(model.parameters(), lr=1e-3), steps=3, inputs=32)
    assert max(groups[0].params[id(model[0].bias)]) > 0.1
    site = Site("train.py", 1)
    assert update_ratio.check(groups, Thresholds(), site, site) == []


def test_the_lr_quoted_is_the_one_in_effect() -> None:
    torch.manual_seed(0)
    model = torch.nn.Linear(64, 64)
    optimizer = torch.optim.SGD(model.parameters(), lr=20.0)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: [0.5, 1.0, 1.0][min(step, 2)])
    groups: list[update_ratio.GroupRatios] = []
    for _ in range(3):
        optimizer.zero_grad()
        model(torch.randn(8, 64)).pow(2).mean().backward()
        before = update_ratio.snapshot(optimizer)
        optimizer.step()
        update_ratio.measure(optimizer, before, groups)
        scheduler.step()
    site = Site("train.py", 1)
    (finding,) = update_ratio.check(groups, Thresholds(), site, site)
    assert "lr 10 to 20 over the steps" in finding.message  # not the warm-up lr alone


def test_a_decaying_rate_is_not_a_warm_up() -> None:
    """Below `initial_lr` after a step at it is a decay, and judged; a warm-up starts below it, and "too
    small" is judged only once a step ran at the rate (tests/run/test_trainer_scripts.py runs a warm-up)."""
    schedulers = torch.optim.lr_scheduler
    decay = _ratios(torch.optim.SGD, 1e-6, 4, lambda opt: schedulers.ExponentialLR(opt, 0.5))
    assert decay[0].warming == [False] * 4 and _codes(decay) == ["NN915"]

    def ramp(opt: torch.optim.Optimizer) -> torch.optim.lr_scheduler.LRScheduler:
        return schedulers.LinearLR(opt, 0.01, 1.0, total_iters=3)

    warm = _ratios(torch.optim.SGD, 1e-6, 4, ramp)
    assert warm[0].warming == [True, True, True, False]
    assert update_ratio.warming_up(warm, Thresholds()) == []  # the fourth step ran at the rate: judged
    assert _codes(warm) == ["NN915"]
    assert _codes(_ratios(torch.optim.SGD, 1e-6, 3, ramp)) == []  # warm-up steps only: not judged
