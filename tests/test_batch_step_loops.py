"""Loops over data spelled as steps of a batch size (`for i in range(0, len(X), batch_size)`), and the
precision fixes they needed on real code: a `from_pretrained(...).to(device)` model is not a new module, a
plain project class that switches its network to eval itself is no fresh network, and a project helper
returning `torch.no_grad()` chooses the grad mode of the `with` block it opens."""

from __future__ import annotations

import textwrap

import libcst as cst

from nnlint.config import Overrides
from nnlint.engine.context import FileContext
from nnlint.session import run_check


def _ctx(source: str) -> FileContext:
    source = textwrap.dedent(source)
    return FileContext("example.py", source, cst.parse_module(source))


def _rows(tmp_path, source: str, code: str) -> list[int]:
    path = tmp_path / "example.py"
    path.write_text(textwrap.dedent(source))
    outcome = run_check([path], Overrides(select=frozenset({code})))
    assert outcome.crashes == []
    return sorted(f.location.row for f in outcome.findings)


_PREDICT = """
import torch

def predict(model, features, {step}):
    preds = []
    for i in range(0, len(features), {name}):
        preds.append(model(features[i : i + {name}]).argmax(1))
    return preds
"""


def test_a_loop_stepping_by_a_batch_size_is_an_evaluation_loop_over_data() -> None:
    for step, name in (("batch_size=64", "batch_size"), ("bs=8", "bs"), ("cfg=None", "cfg.eval_batch_size")):
        ctx = _ctx(_PREDICT.format(step=step, name=name))
        function = next(iter(ctx.index.nodes(cst.FunctionDef)))
        assert ctx.evaluation.is_eval_function(function), name


def test_a_loop_stepping_by_anything_else_is_not() -> None:
    ctx = _ctx(_PREDICT.format(step="stride=2", name="stride"))
    function = next(iter(ctx.index.nodes(cst.FunctionDef)))
    assert not ctx.evaluation.is_eval_function(function)


def test_no_grad_handed_out_by_a_project_helper_is_chosen(tmp_path) -> None:
    source = """
    import torch

    def _inference_context(device):
        if device == "mps":
            return torch.no_grad()
        return torch.inference_mode()

    def run_chunks(model, chunks, batch_size):
        out = []
        for start in range(0, len(chunks), batch_size):
            out.append(model(chunks[start : start + batch_size]))
        return out

    def demix(model, chunks, device):
        with _inference_context(device):
            return run_chunks(model, chunks, 4)
    """
    assert _rows(tmp_path, source, "NN503") == []
    assert _rows(tmp_path, source.replace("with _inference_context(device):", "if device:"), "NN503") == [11]


def test_from_pretrained_moved_to_a_device_is_not_a_new_module(tmp_path) -> None:
    source = """
    import torch
    from transformers import AutoModelForSequenceClassification


    def score(model, texts, batch_size=8):
        out = []
        with torch.no_grad():
            for i in range(0, len(texts), batch_size):
                out.append(model(texts[i : i + batch_size]).logits)
        return out


    def main():
        model = AutoModelForSequenceClassification.from_pretrained("x").to("cuda")
        print(score(model, ["a"]))
    """
    assert _rows(tmp_path, source, "NN404") == []


def test_a_plain_class_holding_a_network_is_no_fresh_network(tmp_path) -> None:
    source = """
    import torch
    from torch import nn
    from transformers import AutoModel


    class {cls}:
        def __init__(self, path):
            {init}
            self.model = AutoModel.from_pretrained(path)
            self.drop = nn.Dropout(0.1)

        @torch.no_grad()
        def encode(self, texts):
            return self.drop(self.model(**tokenize(texts)).pooler_output)


    class Retriever:
        def __init__(self, path, batch_size):
            self.encoder = Encoder(path)
            self.batch_size = batch_size

        def _batch_search(self, queries):
            found = []
            for start in range(0, len(queries), self.batch_size):
                found.append(self.encoder.encode(queries[start : start + self.batch_size]))
            return found

        def batch_search(self, queries):
            return self._batch_search(queries)
    """
    # A plain class: the mode of what it holds is its own code's business (verl's retriever `Encoder`).
    assert _rows(tmp_path, source.format(cls="Encoder", init="pass"), "NN404") == []
    # A new module of a project model class is in training mode, and nothing switches it.
    module = source.format(cls="Encoder(nn.Module)", init="super().__init__()")
    assert 26 in _rows(tmp_path, module, "NN404")
