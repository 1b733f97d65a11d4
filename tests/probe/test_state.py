"""The probe leaves the model exactly as it found it: parameters, buffers, .grad, flags, RNG, inputs."""

from __future__ import annotations

import random

import torch
from torch import nn

import nnlint


class Recorder(nn.Module):
    """BatchNorm + dropout, a buffer the forward mutates, and a parameter without gradients."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(6, 8)
        self.bn = nn.BatchNorm1d(8)
        self.drop = nn.Dropout(0.5)
        self.frozen = nn.Parameter(torch.ones(8), requires_grad=False)
        self.register_buffer("calls", torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        x.mul_(1.0)  # an in-place op on the input must not reach the caller's tensor
        return self.drop(self.bn(self.fc(x))) * self.frozen


def _snapshot(model: nn.Module) -> dict[str, object]:
    return {
        "state": {k: v.clone() for k, v in model.state_dict().items()},
        "grads": {k: None if p.grad is None else p.grad.clone() for k, p in model.named_parameters()},
        "grad_objects": {k: p.grad for k, p in model.named_parameters()},
        "params": {k: p for k, p in model.named_parameters()},
        "storage": {k: p.data_ptr() for k, p in model.named_parameters()},
        "training": {k: m.training for k, m in model.named_modules()},
        "requires_grad": {k: p.requires_grad for k, p in model.named_parameters()},
    }


def _assert_same(before: dict, after: dict) -> None:
    assert before["state"].keys() == after["state"].keys()
    for key, value in before["state"].items():
        assert torch.equal(value, after["state"][key]), key
    for key, grad in before["grads"].items():
        other = after["grads"][key]
        assert (grad is None) == (other is None) and (grad is None or torch.equal(grad, other)), key
    for key in ("grad_objects", "params"):
        assert all(before[key][k] is after[key][k] for k in before[key]), key
    for key in ("storage", "training", "requires_grad"):
        assert before[key] == after[key], key


def _model_with_history() -> nn.Module:
    torch.manual_seed(1)
    model = Recorder()
    model.train()
    model(torch.randn(16, 6)).sum().backward()  # running stats moved, .grad populated
    model.fc.weight.grad = None  # one parameter without a gradient
    model.drop.eval()  # mixed flags
    return model


def test_everything_is_restored_after_an_eval_and_train_mode_probe(device: str) -> None:
    model = _model_with_history()
    inputs = torch.randn(4, 6)
    inputs_before = inputs.clone()
    before = _snapshot(model)
    torch.manual_seed(123)
    random.seed(7)
    rng_torch, rng_python = torch.get_rng_state(), random.getstate()
    rng_cuda = torch.cuda.get_rng_state_all() if device.startswith("cuda") else []

    report = nnlint.probe(model, inputs, device=device, train_mode=True, thorough=True)

    assert report.clean  # BatchNorm mixing in train mode is named, not reported
    _assert_same(before, _snapshot(model))
    assert torch.equal(torch.get_rng_state(), rng_torch)
    assert random.getstate() == rng_python
    if rng_cuda:
        assert all(torch.equal(a, b) for a, b in zip(torch.cuda.get_rng_state_all(), rng_cuda, strict=True))
    assert torch.equal(inputs, inputs_before)
    assert all(p.device.type == "cpu" for p in model.parameters())


def test_state_is_restored_when_the_forward_raises() -> None:
    class Fails(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bn = nn.BatchNorm1d(3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            self.bn(x)
            raise ValueError("boom")

    model = Fails()
    stats = model.bn.running_mean.clone()
    model.train()
    try:
        nnlint.probe(model, torch.randn(4, 3), device="cpu", train_mode=True)
    except Exception as error:
        assert "boom" in str(error)
    assert model.training and torch.equal(model.bn.running_mean, stats)
    assert model.bn.num_batches_tracked.item() == 0


def test_a_located_leak_leaves_the_model_untouched(device: str) -> None:
    model = nn.Sequential(nn.Linear(6, 6), nn.BatchNorm1d(6))
    model.train()
    model(torch.randn(8, 6))

    class Mixer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = model

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = self.body(x)
            return h - h.mean(0)

    mixer = Mixer()
    before = _snapshot(mixer)
    report = nnlint.probe(mixer, torch.randn(4, 6), device=device)
    assert report.batch_mixing and report.batch_location is not None and report.batch_location.found
    _assert_same(before, _snapshot(mixer))


def test_a_parameter_written_in_place_by_the_forward_is_restored(device: str) -> None:
    class SelfWriting(nn.Linear):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            self.bias.data.add_(1.0)  # bypasses autograd and the version counter of the parameter
            return super().forward(x)

    model = SelfWriting(3, 2)
    bias, storage = model.bias.detach().clone(), model.bias.data_ptr()
    assert nnlint.probe(model, torch.randn(4, 3), device=device).clean
    assert torch.equal(model.bias, bias) and model.bias.data_ptr() == storage


def test_a_probe_between_forward_and_backward_leaves_the_pending_backward_valid() -> None:
    """The probe runs on copies: no version counter of a tensor the user's graph saved is bumped."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2)).train()
    loss = model(torch.randn(16, 6)).pow(2).mean()
    versions = [t._version for t in [*model.parameters(), *model.buffers()]]
    report = nnlint.probe(model, torch.randn(4, 6), device="cpu", train_mode=True)
    assert [t._version for t in [*model.parameters(), *model.buffers()]] == versions
    loss.backward()  # raised "modified by an inplace operation" when the probe restored state in place
    assert report.batch_mixing is False and all(p.grad is not None for p in model.parameters())


def test_the_public_probe_function_survives_its_package_being_imported() -> None:
    """`nnlint.probe` is both the package and the function: the package forwards calls to the function."""
    import nnlint.probe.command  # noqa: F401  (binds the attribute nnlint.probe to the package)

    assert nnlint.probe(nn.Linear(3, 2), torch.randn(4, 3), device="cpu").clean
