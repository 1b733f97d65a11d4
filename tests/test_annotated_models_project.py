"""A module-level prediction helper whose network is a parameter annotated `torch.nn.Module`, called by a
script that builds the network from a class of another module and passes the rest of the arguments from a
dict, so what the call passes for the parameter is not read (flow-forecast's DA-RNN `main_predict.py` at
304cf30: `predict(encoder: torch.nn.Module, decoder: torch.nn.Module, ...)` called with `**da_rnn_kwargs`
on a loaded encoder and decoder that are never switched to eval)."""

from __future__ import annotations

from pathlib import Path

import pytest
from project_tree import checked_findings, write_tree

_MODEL = """import torch
from torch import nn


class Decoder(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.dropout = nn.Dropout(0.01)
        self.fc = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.fc(self.dropout(x))
"""
_PREDICT = """import numpy as np
import torch

from model import Decoder


def predict(decoder: {annotation}, data, batch_size):
    y_pred = np.zeros(len(data))
    for start in range(0, len(data), batch_size):
        batch = torch.as_tensor(data[start : start + batch_size])
        y_pred[start : start + batch_size] = decoder(batch).squeeze(1).cpu().data.numpy()
    return y_pred


dec = Decoder(16)
dec.load_state_dict(torch.load("decoder.torch"))
predict_kwargs = dict(batch_size=4)
{switch}final = predict(dec, np.zeros((8, 16), dtype=np.float32), **predict_kwargs)
"""


@pytest.mark.parametrize(
    ("annotation", "switch", "codes"),
    [
        ("torch.nn.Module", "", [("NN404", 11), ("NN503", 9)]),
        ('"torch.nn.Module"', "", [("NN404", 11), ("NN503", 9)]),
        ("torch.nn.Module", "dec.eval()\n", [("NN503", 9)]),
        ("int", "", []),
    ],
)
def test_a_helper_runs_its_annotated_network_over_batches(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    annotation: str,
    switch: str,
    codes: list[tuple[str, int]],
) -> None:
    """The annotation makes `decoder` the model: run in training mode (the script never calls `eval()`) and
    with autograd on. A script that switches it to eval leaves only the missing `no_grad`; a parameter
    annotated as anything else is not known to hold a model (silent, as before)."""
    monkeypatch.chdir(tmp_path)
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "",
            "model.py": _MODEL,
            "predict.py": _PREDICT.format(annotation=annotation, switch=switch),
        },
    )
    found = checked_findings([Path("predict.py")], {"NN404", "NN503"})
    assert sorted((f.code, f.location.row) for f in found) == codes
