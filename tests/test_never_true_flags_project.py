"""NN402 (nnlint.engine.layers): a BatchNorm appended to a layer list only under a flag parameter that no call
turns on is never built (session 15's sweep: sr-gan's `convolution(..., bn=batch_norm)` helpers with
`batch_norm = False` at golmschenk/sr-gan 35b8075910, models.py of age/, crowd/, driving/ and pretraining/;
mobilenet-yolov4's VGG `make_layers(cfg, batch_norm=False)`, whose only call passes `batch_norm = False`, at
bubbliiiing/mobilenet-yolov4-pytorch HEAD, nets/vgg.py). A call that passes a true flag, here or in a
module that imports the helper's module, keeps the pair."""

from __future__ import annotations

from pathlib import Path

import pytest
from project_tree import checked_findings, write_tree

_MODELS = """import torch.nn as nn

batch_norm = {constant}


def convolution(c_in, c_out, k_size, stride=2, pad=1, bn=batch_norm):
    layers = [nn.Conv2d(c_in, c_out, k_size, stride, pad)]
    if bn:
        layers.append(nn.BatchNorm2d(c_out))
    return nn.Sequential(*layers)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = convolution(3, 64, 4, bn=False)
        self.layer2 = convolution(64, 128, 4{extra})
"""


@pytest.mark.parametrize(
    ("constant", "extra", "importer", "rows"),
    [
        ("False", "", "", []),
        # near-misses: the constant turns it on, a call of this file passes True, an importer calls it
        ("True", "", "", [7]),
        ("False", ", bn=True", "", [7]),
        ("False", "", "from models import convolution\n\nblock = convolution(8, 8, 3, bn=True)\n", [7]),
        # an importer that does not call it
        ("False", "", "from models import Discriminator\n\nnet = Discriminator()\n", []),
        # an importer whose own same-named helper passes True (sr-gan's modules each define `convolution`)
        (
            "False",
            "",
            "from models import Discriminator\n\n\ndef convolution(a, b, k, bn=True):\n    return a\n\n\n"
            "block = convolution(8, 8, 3, bn=True)\n",
            [],
        ),
        # an importer that calls it with the flag off too; one that calls it through the module
        ("False", "", "from models import convolution\n\nblock = convolution(8, 8, 3, bn=False)\n", []),
        ("False", "", "import models\n\nblock = models.convolution(8, 8, 3, bn=True)\n", [7]),
        # a call spelled with its name that resolves to nothing may pass a true flag
        (
            "False",
            "",
            "from models import *  # noqa\nfrom other import *  # noqa\n\nconvolution(8, 8, 3, bn=True)\n",
            [7],
        ),
    ],
)
def test_a_batchnorm_under_a_flag_no_call_turns_on_is_never_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, constant: str, extra: str, importer: str, rows: list[int]
) -> None:
    monkeypatch.chdir(tmp_path)
    files = {"models.py": _MODELS.format(constant=constant, extra=extra)}
    if importer:
        files["train.py"] = importer
    write_tree(tmp_path, files, project_marker=True)
    found = checked_findings([tmp_path / "models.py"], {"NN402"})
    assert [f.location.row for f in found] == rows
