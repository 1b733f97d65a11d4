"""NN404 and NN503 across a project's modules where the model is reached indirectly: a plain wrapper
object's `predict` (stanza's `trainer.predict(batch)`), a method name many modules define singled out by
the keywords of the call, a model handed by keyword to another module's rescoring function (icefall's
masked LM), an evaluation helper that switches to eval and restores the mode it found (fast-reid's and
detectron2's `inference_on_dataset`). (BLINK's `reranker.model.eval()`, a switch of the part of a wrapper
that holds its network, is a valid example of NN404.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from project_tree import checked_findings, write_tree


def _rows(root: Path, files: dict[str, str], target: str, code: str) -> list[int]:
    write_tree(root, files, project_marker=True)
    return [f.location.row for f in checked_findings([root / target], {code}) if f.filename.endswith(target)]


_WRAPPER = """import torch
from torch import nn


class Tagger:
    \"\"\"Holds the network and its optimizer.\"\"\"

    def __init__(self):
        self.model = nn.Sequential(nn.Linear(8, 4), nn.Dropout(0.1))
        self.optimizer = torch.optim.Adam(self.model.parameters())

    def predict(self, batch):
        self.model.eval()
        return self.model(batch).argmax(-1).tolist()

    def count(self, batch):
        return len(batch)
"""

_TAGGING = """import torch
from wrapper import Tagger


def evaluate(dev_batches):
    trainer = Tagger()
    preds = []
    for batch in dev_batches:
{body}
    return preds
"""


@pytest.mark.parametrize(
    ("body", "rows"),
    [
        ("        preds += trainer.predict(batch)", [8]),
        ("        with torch.no_grad():\n            preds += trainer.predict(batch)", []),
        ("        preds.append(trainer.count(batch))", []),
    ],
)
def test_a_wrapper_objects_predict_runs_its_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, rows: list[int]
) -> None:
    """stanza's tagger: `trainer = Trainer(...)` of a plain project class whose `predict` switches its
    network to eval and runs it with recording on; the evaluation loop over the dev batches records. Under
    `no_grad`, silent; a method of the wrapper that runs no network is no forward."""
    monkeypatch.chdir(tmp_path)
    files = {"wrapper.py": _WRAPPER, "tagging.py": _TAGGING.format(body=body)}
    assert _rows(tmp_path, files, "tagging.py", "NN503") == rows


_PREDICTOR = """import torch
from torch import nn


class Head{i}(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        return self.fc(x)

    def predict(self, x{extra}):
        return self.forward(x)
"""

_DECODE = """import torch


def parse_all(model, batches):
    trees = []
    for batch in batches:
        trees.append(model.predict(batch, {keyword}=True))
    return trees
"""


@pytest.mark.parametrize(("keyword", "rows"), [("is_legal", [6]), ("unknown_flag", [])])
def test_keywords_single_out_the_method_of_a_common_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keyword: str, rows: list[int]
) -> None:
    """stanza defines `predict` in seventeen modules, too many to stand for one method; the call's
    `is_legal=True` is accepted by one of them only (the constituency parser's, which runs the model):
    the loop that parses with it records. A keyword no definition accepts singles out nothing: silent."""
    monkeypatch.chdir(tmp_path)
    files = {f"head{i}.py": _PREDICTOR.format(i=i, extra="") for i in range(7)}
    files["parser.py"] = _PREDICTOR.format(i=7, extra=", is_legal=False")
    files["decode.py"] = _DECODE.format(keyword=keyword)
    assert _rows(tmp_path, files, "decode.py", "NN503") == rows


_RESCORE = """def rescore(hyps, model, lm_model):
    return [lm_model(model(h)) for h in hyps]
"""

_DECODING = """import torch
from torch import nn
from rescoring import rescore


class LM(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.1))

    def forward(self, x):
        return self.layer(x)


@torch.no_grad()
def decode_dataset(loader, model, lm):
    results = []
    for batch in loader:
        results.append(rescore(hyps=batch, model=model, lm_model=lm))
    return results


def main():
    model = LM()
    model.eval()
    lm = LM()
    lm.load_state_dict(torch.load("lm.pt"))
{switch}    decode_dataset(make_loader("test"), model, lm)


if __name__ == "__main__":
    main()
"""


@pytest.mark.parametrize(("switch", "rows"), [("", [19]), ("    lm.eval()\n", [])])
def test_a_model_passed_by_keyword_to_another_modules_function_runs_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, switch: str, rows: list[int]
) -> None:
    """icefall's decode.py: a freshly built masked LM gets its weights and is handed, by keyword, to the
    rescoring function of another module for every test batch; only the acoustic model is switched to
    eval. That function's summary runs both models it is given: the LM runs in training mode."""
    monkeypatch.chdir(tmp_path)
    files = {"rescoring.py": _RESCORE, "decode.py": _DECODING.format(switch=switch)}
    assert _rows(tmp_path, files, "decode.py", "NN404") == rows


_EVALUATOR = """from contextlib import contextmanager

import torch


@contextmanager
def inference_context(model):
    training_mode = model.training
    model.eval()
    yield
    model.train(training_mode)


def inference_on_dataset(model, data_loader):
    outputs = []
    with {context}torch.no_grad():
        for inputs in data_loader:
            outputs.append(model(inputs))
    return outputs
"""

_PLAIN_TRAIN = """import torch
from evaluator import inference_on_dataset


def do_test(model, test_loader):
    return inference_on_dataset(model, test_loader)


def do_train(model, loader, test_loader, optimizer):
    model.train()
    for epoch in range(10):
        for x, y in loader:
            loss = torch.nn.functional.mse_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        do_test(model, test_loader)
"""


@pytest.mark.parametrize(("context", "rows"), [("inference_context(model), ", []), ("", [6])])
def test_an_evaluation_helper_that_restores_the_mode_is_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, context: str, rows: list[int]
) -> None:
    """fast-reid's and detectron2's plain_train_net: `inference_on_dataset` switches the model to eval
    through a context manager that puts back the mode it found; the training loop after it runs in the
    mode it was in. A helper that switches nothing evaluates the model in the mode training left it in.
    """
    monkeypatch.chdir(tmp_path)
    files = {"evaluator.py": _EVALUATOR.format(context=context), "plain_train.py": _PLAIN_TRAIN}
    assert _rows(tmp_path, files, "plain_train.py", "NN404") == rows


_VAL_MODEL = """import torch


def val_model(lines, model, gpu):
    correct = 0
    for image, label in lines:
        preds = model(image)
        correct += int(preds.argmax(-1).item() == label)
    return correct
"""

_CRNN_TRAIN = """import torch
from online_test import val_model


def val(net, lines):
{freeze}    net.eval()
    return val_model(lines, net, True)
"""

_FREEZE = "    for p in net.parameters():\n        p.requires_grad = False\n"


@pytest.mark.parametrize(("freeze", "rows"), [(_FREEZE, []), ("", [7])], ids=["frozen", "not-frozen"])
def test_a_caller_that_freezes_every_parameter_before_a_shared_evaluation_helper_records_nothing(
    tmp_path: Path, freeze: str, rows: list[int]
) -> None:
    """courao/ocr.pytorch's CRNN trainers (three scripts sharing `val_model` of online_test.py): `val()`
    sets `requires_grad = False` on every parameter before the helper's loop runs the model, so no graph
    is recorded, as the same code in one module is not reported (meijieru's crnn.pytorch `val`). Without
    the freezing, the call that leaves recording on is reported (NN503)."""
    files = {
        "online_test.py": _VAL_MODEL,
        "train_ctc.py": _CRNN_TRAIN.format(freeze=freeze),
        "train_warp.py": _CRNN_TRAIN.format(freeze=freeze),
    }
    assert _rows(tmp_path, files, "train_ctc.py", "NN503") == rows


_MULTI_EVAL = """import torch
from torch.nn.parallel import DataParallel


class MultiEvalModule(DataParallel):
    \"\"\"Multi-scale evaluator around a segmentation network.\"\"\"

    def __init__(self, module, nclass, scales=(1.0,)):
        super().__init__(module)
        self.nclass = nclass
        self.scales = scales

    def parallel_forward(self, image):
        return [self.module(image) for _ in self.scales]
"""

_SEG_TEST = """import torch
from torch import nn
from base import MultiEvalModule


def evaluate(loader, nclass, path):
    model = nn.Sequential(nn.Conv2d(3, nclass, 1), nn.BatchNorm2d(nclass))
    model.load_state_dict(torch.load(path))
    evaluator = MultiEvalModule(model, nclass).cuda()
{switch}    for image, target in loader:
        with torch.no_grad():
            predicts = evaluator.parallel_forward(image)
"""


@pytest.mark.parametrize(
    ("switch", "rows"), [("    evaluator.eval()\n", []), ("", [9])], ids=["switched", "not-switched"]
)
def test_a_wrapper_object_built_with_the_model_and_switched_to_eval_runs_it_in_eval_mode(
    tmp_path: Path, switch: str, rows: list[int]
) -> None:
    """PyTorch-Encoding's and DANet's segmentation test.py: `evaluator = MultiEvalModule(model, nclass)
    .cuda(); evaluator.eval()`, a DataParallel subclass of another module whose `__init__` keeps the model:
    building it runs nothing, and the switch of the wrapper reaches the model it holds. Without the
    switch, the loaded model is still evaluated in training mode (NN404, at the wrapper's construction)."""
    files = {"base.py": _MULTI_EVAL, "seg_eval.py": _SEG_TEST.format(switch=switch)}
    assert _rows(tmp_path, files, "seg_eval.py", "NN404") == rows
