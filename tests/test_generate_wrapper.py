"""NN503 and a model whose `forward` only generates (chronos-forecasting's `ChronosPipeline.predict` runs
`self.model(...)`, a `ChronosModel` whose `forward` is `self.model.generate(...)`): transformers'
`generate` turns recording off itself, so a loop that runs such a module records no graph. The module's
class is known from a declaration in the holder's class body (`model: ChronosModel`)."""

from __future__ import annotations

from pathlib import Path

from project_tree import checked_findings, write_tree

from nnlint.runner import check_source
from rules.eval_without_no_grad import EvalWithoutNoGrad

_WRAPPER = """
import torch
from torch import nn


class Forecaster(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model
        self.head = nn.Linear(8, 8)

    def forward(self, ids):
        preds = self.model.generate(input_ids=ids, max_new_tokens=8)
        return {tail}
"""

_PIPELINE = """
class Pipeline:
    {declaration}

    def __init__(self, model):
        self.model = model

    def predict(self, batches):
        out = []
        for ids in batches:
            out.append(self.model(ids))
        return torch.cat(out)
"""


def _lines(source: str) -> list[int]:
    return [f.location.row for f in check_source("pipeline.py", source, [EvalWithoutNoGrad]).findings]


def test_a_declared_module_that_only_generates_records_nothing() -> None:
    source = _WRAPPER.format(tail="preds[..., 1:]") + _PIPELINE.format(declaration="model: Forecaster")
    assert _lines(source) == []


def test_a_module_that_also_runs_its_own_layer_records_a_graph() -> None:
    source = _WRAPPER.format(tail="self.head(preds.float())") + _PIPELINE.format(
        declaration="model: Forecaster"
    )
    loop = source.splitlines().index("        for ids in batches:") + 1
    assert _lines(source) == [loop]


def test_an_undeclared_module_is_still_judged_by_its_loop() -> None:
    source = _WRAPPER.format(tail="preds[..., 1:]") + _PIPELINE.format(declaration="name = 'forecaster'")
    assert len(_lines(source)) == 1


def test_a_declaration_with_a_value_is_a_class_attribute_not_a_declaration() -> None:
    source = _WRAPPER.format(tail="preds[..., 1:]") + _PIPELINE.format(declaration="model: Forecaster = None")
    assert len(_lines(source)) == 1


def test_the_declared_class_may_live_in_another_module(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "wrapper.py": _WRAPPER.format(tail="preds[..., 1:]"),
            "pipeline.py": "import torch\nfrom wrapper import Forecaster\n"
            + _PIPELINE.format(declaration="model: Forecaster"),
        },
        project_marker=True,
    )
    assert checked_findings([tmp_path / "pipeline.py"], {"NN503"}) == []
