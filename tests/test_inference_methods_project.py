"""A script that never trains and runs the project's inference method in a loop (pix2pixHD's test.py:
`model = create_model(opt)` from another module, then `model.inference(label, inst)` per test image).
The wrapper loads its own weights and the script sets no mode, yet calling the method the project named
for inference says the loop infers: NN503 judges it."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnlint.config import Overrides
from nnlint.session import run_check

_MODELS = """import torch
from torch import nn


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.InstanceNorm2d(8), nn.Conv2d(8, 3, 3))

    def forward(self, x):
        return self.net(x)


class Pix2Pix(nn.Module):
    def initialize(self, checkpoint):
        self.generator = Generator()
        self.generator.load_state_dict(torch.load(checkpoint))

{decorator}    def {method}(self, label):
        return self.generator(label)


def create_model(checkpoint):
    model = Pix2Pix()
    model.initialize(checkpoint)
    return model
"""
_SCRIPT = """import torch
from models import create_model

model = create_model("latest_net_G.pth")
for i, data in enumerate(dataset):
    generated = model.{method}(data["label"])
    save_image(generated[0], f"out_{{i}}.png")
"""


@pytest.mark.parametrize(
    ("decorator", "method", "rows"),
    [
        ("", "inference", [5]),
        ("", "infer", [5]),
        ("    @torch.no_grad()\n", "inference", []),  # the method turns recording off itself
        ("", "translate", []),  # not named for inference, and nothing readies the model: unknown, silent
    ],
)
def test_a_script_running_the_projects_inference_method_infers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, decorator: str, method: str, rows: list[int]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "models.py").write_text(_MODELS.format(decorator=decorator, method=method))
    (tmp_path / "test.py").write_text(_SCRIPT.format(method=method))
    outcome = run_check([Path("test.py")], Overrides(select=frozenset({"NN503"})))
    assert outcome.crashes == []
    found = [(f.filename, f.code, f.location.row) for f in outcome.findings]
    assert found == [("test.py", "NN503", row) for row in rows]
