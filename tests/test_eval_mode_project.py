"""NN404 across a project's modules: inference methods of model classes called from other modules, an
uncalled API function that hands its model on to a decoding helper, and an evaluator object of another
module that leaves the model it was built with in eval mode (also when the object is handed to an
evaluation function of another module)."""

from __future__ import annotations

from pathlib import Path

import pytest
from project_tree import checked_findings, write_tree


def _rows(target: str) -> list[tuple[str, int]]:
    return [(f.filename, f.location.row) for f in checked_findings([Path(target)], {"NN404"})]


_RECOMMENDER = """import torch
from torch import nn


class Recommender(nn.Module):
    def __init__(self, n, dim):
        super().__init__()
        self.emb = nn.Embedding(n, dim)
        self.drop = nn.Dropout(0.2)

    def forward(self, ids):
        return self.drop(self.emb(ids)).sum(-1)

    def predict(self, ids):
        with torch.no_grad():
            return self.forward(ids)
"""
_SCORER = """def score(model, batches):
{switch}    return [model.predict(ids) for ids in batches]
"""


@pytest.mark.parametrize(("switch", "rows"), [("", [("model.py", 15)]), ("    model.eval()\n", [])])
def test_an_inference_method_is_judged_by_the_modules_that_call_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, switch: str, rows: list[tuple[str, int]]
) -> None:
    """beta-recsys: the model's `predict` runs `self.forward` under no_grad; the evaluation engine of
    another module calls it and never switches the model to eval (reported at the no_grad block). A
    caller module that switches it first decides the mode: silent."""
    monkeypatch.chdir(tmp_path)
    write_tree(
        tmp_path, {"pyproject.toml": "", "model.py": _RECOMMENDER, "engine.py": _SCORER.format(switch=switch)}
    )
    assert _rows("model.py") == rows


def test_an_inference_method_nobody_calls_is_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path, {"pyproject.toml": "", "model.py": _RECOMMENDER})
    assert _rows("model.py") == []


_DECODING = """import torch


def predict_seq(model, src, num_steps):
    state = model.encoder(src)
    y, out = src[:, :1], []
    for _ in range(num_steps):
        logits, state = model.decoder(y, state)
        y = logits.argmax(-1)
        out.append(y)
    return out


def translate(pairs, model, num_steps):
{switch}    for src, ref in pairs:
        print(predict_seq(model, src, num_steps), ref)
"""


@pytest.mark.parametrize(("switch", "rows"), [("", [("seq.py", 5)]), ("    model.eval()\n", [])])
def test_an_uncalled_api_function_hands_its_training_model_to_a_decoder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, switch: str, rows: list[tuple[str, int]]
) -> None:
    """d2l: `translate(..., model, ...)`, which no module calls (the book's pages do), hands the model to
    `predict_seq`, which decodes through its parts and never switches it to eval. Another module that
    only defines functions of the same names (another backend's copy) calls neither."""
    monkeypatch.chdir(tmp_path)
    other = (
        "def predict_seq(model, src, num_steps):\n    pass\n\n\n"
        "def translate(pairs, model, num_steps):\n    pass\n"
    )
    write_tree(tmp_path, {"pyproject.toml": "", "seq.py": _DECODING.format(switch=switch), "mx.py": other})
    assert _rows("seq.py") == rows


_EVALUATOR = """import torch


class Evaluator:
    def __init__(self, model, loader):
        self.model = model
        self.loader = loader

    def get_scores(self):
        self.model.eval()
        total = 0
        with torch.no_grad():
            for x, y in self.loader:
                total += (self.model(x).argmax(1) == y).sum().item()
{restore}        return total
"""
_TRAINER = """import torch.nn.functional as F

from evaluator import Evaluator


class Trainer:
    def __init__(self, model, optimizer, train_loader, dev_loader, epochs):
        self.model = model
        self.optimizer = optimizer
        self.train_loader = train_loader
        self.dev_loader = dev_loader
        self.epochs = epochs

    def train_epoch(self):
        for x, y in self.train_loader:
            F.cross_entropy(self.model(x), y).backward()
            self.optimizer.step()
            self.optimizer.zero_grad()

    def train(self):
        self.model.train()
        for epoch in range(self.epochs):
{switch}            self.train_epoch()
            dev_evaluator = Evaluator(self.model, self.dev_loader)
            dev_evaluator.get_scores()
"""


@pytest.mark.parametrize(
    ("restore", "switch", "rows"),
    [
        ("", "", [("trainer.py", 25)]),
        ("", "            self.model.train()\n", []),
        ("        self.model.train()\n", "", []),
    ],
)
def test_an_evaluator_of_another_module_leaves_the_model_in_eval_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restore: str, switch: str, rows: list[tuple[str, int]]
) -> None:
    """hedwig: the trainer sets `train()` once before its epoch loop, and each epoch builds an evaluator
    of another module on the model, whose `get_scores()` switches it to eval: training resumes in eval
    mode (reported at the call). Silent when the epoch switches back to train, or when the evaluator
    restores the training mode itself."""
    monkeypatch.chdir(tmp_path)
    files = {
        "pyproject.toml": "",
        "evaluator.py": _EVALUATOR.format(restore=restore),
        "trainer.py": _TRAINER.format(switch=switch),
    }
    write_tree(tmp_path, files)
    got = _rows("trainer.py")
    assert got == rows


def test_an_evaluator_kept_on_the_trainer_leaves_the_model_in_eval_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The evaluator built once in the trainer's `__init__` (`self.dev_evaluator = Evaluator(self.model,
    ...)`) and called every epoch switches the same model to eval."""
    monkeypatch.chdir(tmp_path)
    trainer = _TRAINER.format(switch="").replace(
        "        self.epochs = epochs\n",
        "        self.epochs = epochs\n        self.dev_evaluator = Evaluator(self.model, dev_loader)\n",
    )
    trainer = trainer.replace(
        "            dev_evaluator = Evaluator(self.model, self.dev_loader)\n"
        "            dev_evaluator.get_scores()\n",
        "            self.dev_evaluator.get_scores()\n",
    )
    write_tree(
        tmp_path, {"pyproject.toml": "", "evaluator.py": _EVALUATOR.format(restore=""), "trainer.py": trainer}
    )
    assert _rows("trainer.py") == [("trainer.py", 25)]


_SEARCH = """def evaluate(generator, loader):
    return [generator.search(x) for x, _ in loader]
"""
_HANDING_TRAINER = """import torch.nn.functional as F

from evaluator import Evaluator
from search import evaluate


def train(model, optimizer, train_loader, dev_loader, epochs):
    generator = Evaluator(model, dev_loader)
    for epoch in range(epochs):
        model.train()
        for step, (x, y) in enumerate(train_loader):
{switch}            F.cross_entropy(model(x), y).backward()
            optimizer.step()
            optimizer.zero_grad()
            if step % 100 == 0:
                evaluate(generator, dev_loader)
"""


@pytest.mark.parametrize(
    ("method", "switch", "rows"),
    [
        ("search", "", [("trainer.py", 16)]),
        ("search", "            model.train()\n", []),
        ("get_scores", "", []),
    ],
)
def test_an_object_built_on_the_model_and_handed_to_an_evaluation_leaves_it_in_eval_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, method: str, switch: str, rows: list[tuple[str, int]]
) -> None:
    """memray's keyphrase trainer: `model.train()` once per epoch, then every 100 batches an evaluation
    function of another module is handed a generator built on the model and calls its `search()`, which
    switches `self.model` to eval: the rest of the epoch trains in eval mode (reported at the call).
    Silent when each step switches back to train, or when the method the function calls switches
    nothing (only `get_scores` does here)."""
    monkeypatch.chdir(tmp_path)
    evaluator = _EVALUATOR.format(restore="").replace("def get_scores(self):", f"def {method}(self, x=None):")
    if method != "search":
        evaluator += "\n    def search(self, x):\n        return self.model(x)\n"
    files = {
        "pyproject.toml": "",
        "evaluator.py": evaluator,
        "search.py": _SEARCH,
        "trainer.py": _HANDING_TRAINER.format(switch=switch),
    }
    write_tree(tmp_path, files)
    assert _rows("trainer.py") == rows


def test_an_object_built_on_the_model_and_handed_to_a_helper_of_the_file_leaves_it_in_eval_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same with the evaluation function in the training script itself, its parameter named apart
    (`def evaluate(gen, loader)` called as `evaluate(generator, dev_loader)`): the helper's events are
    inlined, and the switch its `gen.search()` makes through the object is added at the call."""
    monkeypatch.chdir(tmp_path)
    evaluator = _EVALUATOR.format(restore="").replace("def get_scores(self):", "def search(self, x=None):")
    trainer = _HANDING_TRAINER.format(switch="").replace("from search import evaluate\n", "")
    helper = "def evaluate(gen, loader):\n    return [gen.search(x) for x, _ in loader]\n\n\n"
    trainer = trainer.replace("def train(", helper + "def train(")
    write_tree(tmp_path, {"pyproject.toml": "", "evaluator.py": evaluator, "trainer.py": trainer})
    assert _rows("trainer.py") == [("trainer.py", 19)]


_NET = """import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 2)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.fc(self.drop(x))
"""
_LOADER = """import torch
from net import Net


def load_model(path, train=False):
    model = Net()
    model.load_state_dict(torch.load(path))
    if train:
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        model.train()
        return model, optimizer
{switch}    return model
"""
_SCRIPT = """import torch
from loader import load_model


def run(model, batches):
    with torch.no_grad():
        for x in batches:
            print(model(x))


if __name__ == "__main__":
    model = load_model("net.pt", train=False)
    run(model, [torch.randn(4, 8)])
"""


@pytest.mark.parametrize(("switch", "rows"), [("    model.eval()\n", []), ("", [("sample.py", 6)])])
def test_a_loader_that_switches_its_model_to_eval_hands_it_over_in_eval_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, switch: str, rows: list[tuple[str, int]]
) -> None:
    """FastSpeech2's `get_model(args, configs, device, train=False)`, vq-vae-2's `load_model(...)`: the
    project function gives back the model after an unconditional `model.eval()` (its `if train:` branch
    returns a tuple), so the script's inference runs in eval mode. Without that switch, the freshly built
    model is in training mode: reported."""
    monkeypatch.chdir(tmp_path)
    files = {
        "pyproject.toml": "",
        "net.py": _NET,
        "loader.py": _LOADER.format(switch=switch),
        "sample.py": _SCRIPT,
    }
    write_tree(tmp_path, files)
    assert _rows("sample.py") == rows


_EVAL_HELPER = """import torch
from net import Net


def main_eval(path, loader, model):
    if model is None:
        model = Net()
        model.load_state_dict(torch.load(path))
{switch}    with torch.no_grad():
        return [model(x) for x in loader]
"""
_TRAINER_CALLING = """import torch
from evaluation import main_eval
from net import Net


def evaluate(model, path, loader):
    return main_eval(path, loader, model)


def train(model, loader, optimizer, path):
    for epoch in range(3):
        model.train()
        for x in loader:
            optimizer.zero_grad()
            model(x).sum().backward()
            optimizer.step()
        evaluate(model, path, loader)
"""


@pytest.mark.parametrize(("switch", "rows"), [("    model.eval()\n", []), ("", [("trainer.py", 7)])])
def test_a_default_model_built_when_none_is_passed_keeps_the_callers_switch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, switch: str, rows: list[tuple[str, int]]
) -> None:
    """EasyOCR's `main_eval(..., model, ...)`: `if model is None: model = CRAFT()` builds a default only for
    callers that pass none, so the `model.eval()` after it switches the caller's model. Without it, the
    evaluation the trainer hands its model to runs in training mode."""
    monkeypatch.chdir(tmp_path)
    files = {
        "pyproject.toml": "",
        "net.py": _NET,
        "evaluation.py": _EVAL_HELPER.format(switch=switch),
        "trainer.py": _TRAINER_CALLING,
    }
    write_tree(tmp_path, files)
    assert _rows("trainer.py") == rows


_BASE_IMPUTER = """import torch


class BaseNNImputer:
    def __init__(self, epochs):
        self.epochs = epochs

    def _train_model(self, train_loader, val_loader=None):
        for epoch in range(self.epochs):
            self.model.train()
            for x in train_loader:
                self.optimizer.zero_grad()
                ((self.model(x) - x) ** 2).mean().backward()
                self.optimizer.step()
{validation}
    def load(self, path):
        self.model.load_state_dict(torch.load(path))
        self.model.eval()
"""
_CONDITIONAL_VALIDATION = """            if val_loader is not None:
                self.model.eval()
                with torch.no_grad():
                    loss = sum(((self.model(x) - x) ** 2).mean().item() for x in val_loader)
            else:
                print("epoch", epoch)
"""
_CERTAIN_VALIDATION = """            self.model.eval()
            with torch.no_grad():
                loss = sum(((self.model(x) - x) ** 2).mean().item() for x in val_loader)
"""
_SAITS = """import torch
from torch import nn

from base import BaseNNImputer


class SAITS(BaseNNImputer):
    def __init__(self, n_features, epochs):
        super().__init__(epochs)
        self.model = nn.Sequential(nn.Linear(n_features, 64), nn.Dropout(0.1), nn.Linear(64, n_features))
        self.optimizer = torch.optim.Adam(self.model.parameters())

    def fit(self, train_loader, val_loader=None):
        self._train_model(train_loader, val_loader)

    @torch.no_grad()
    def predict(self, test_loader):
        imputed = []
        for x in test_loader:
            imputed.append(self.model(x))
        return torch.cat(imputed)
"""


@pytest.mark.parametrize(
    ("validation", "script", "rows"),
    [
        (_CONDITIONAL_VALIDATION, "", [("saits.py", 20)]),
        (_CERTAIN_VALIDATION, "", []),
        (_CONDITIONAL_VALIDATION, "imputer.model.eval()\n", []),
    ],
)
def test_a_wrappers_prediction_runs_in_the_mode_its_training_method_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, validation: str, script: str, rows: list[tuple[str, int]]
) -> None:
    """PyPOTS: `SAITS.fit` trains the network through the base class's `_train_model` (another module),
    which switches it to eval only `if val_loader is not None`; `predict` runs it under no_grad and never
    switches it, so after `fit(train_loader)` the imputation runs with dropout on (reported at the
    forward). A validation that always runs leaves it in eval mode; a script that switches
    `imputer.model` to eval itself says the users set the mode: silent. The base's `load`, which switches
    to eval after loading weights, is another way in and changes nothing."""
    monkeypatch.chdir(tmp_path)
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "",
            "base.py": _BASE_IMPUTER.format(validation=validation),
            "saits.py": _SAITS,
            "run.py": f"from saits import SAITS\n\nimputer = SAITS(8, 10)\n{script}",
        },
    )
    assert _rows("saits.py") == rows


_TEST_HELPER = """import torch


def load_images():
    return [torch.zeros(1, 4, 8, 8) for _ in range(3)]


def test(model):
{switch}    scores = []
    for x in load_images():
        with torch.no_grad():
            pred = model(x)
        scores.append(float(pred.mean()))
    return sum(scores) / len(scores)


if __name__ == "__main__":
    model = torch.load("best.pt")
    model.eval()
    print(test(model))
"""
_EPOCH_LOOP = """import torch
from torch import nn

from test import test


def train(loader, model, optimizer):
    model.train()
    for x, y in loader:
        loss = nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def main(loader, epochs):
    model = nn.Sequential(nn.Conv2d(4, 1, 3), nn.BatchNorm2d(1))
    optimizer = torch.optim.Adam(model.parameters())
    for epoch in range(epochs):
        train(loader, model, optimizer)
        score = test(model)
        print(epoch, score)
"""


@pytest.mark.parametrize(("switch", "rows"), [("", [("test.py", 12)]), ("    model.eval()\n", [])])
def test_a_helper_given_the_model_alone_is_an_evaluation_of_another_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, switch: str, rows: list[tuple[str, int]]
) -> None:
    """Mobile-Image-Matting: the epoch loop calls test.py's `test(model)` with the model alone (the helper
    loads its own images) right after `train()`; `test` runs it under no_grad and never switches it to
    eval (only the script's own `__main__` does): reported in test.py at the forward. A `test` that
    switches the model to eval itself is silent (foamliu's Image-Matching, whose `test(model)` hands it
    to an `evaluate` that calls `model.eval()`)."""
    monkeypatch.chdir(tmp_path)
    write_tree(
        tmp_path,
        {"pyproject.toml": "", "test.py": _TEST_HELPER.format(switch=switch), "train.py": _EPOCH_LOOP},
    )
    assert sorted(_rows(".")) == rows


_EVALUATION = """import torch


@torch.no_grad()
def evaluate(model, loader):
    return sum((model(x).argmax(1) == y).sum().item() for x, y in loader)
"""
_DDP_TRAIN = """import torch
from torch import nn

from evaluation import evaluate


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(self.drop(x))


def main(loader, val_loader, epochs, distributed, other):
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(epochs):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
{switch}        print(evaluate({argument}, val_loader))
"""


@pytest.mark.parametrize(
    ("argument", "switch", "rows"),
    [
        ("model.module if distributed else model", "", [("evaluation.py", 6)]),
        ("model if not distributed else model._orig_mod", "", [("evaluation.py", 6)]),
        (
            "model.module if distributed else model",
            "        (model.module if distributed else model).eval()\n",
            [],
        ),
        ("model if distributed else other", "", []),
    ],
)
def test_a_model_handed_over_as_itself_or_its_wrapper_view_is_one_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argument: str, switch: str, rows: list[tuple[str, int]]
) -> None:
    """`evaluate(model.module if distributed else model, loader)` (graphstorm's trainers hand their model
    to `self.eval(...)` this way) hands one network either way: the helper of another module that never
    switches it to eval is reported, unless the caller switched it, spelled the same way. A conditional
    between two different objects names neither."""
    monkeypatch.chdir(tmp_path)
    files = {"evaluation.py": _EVALUATION, "train.py": _DDP_TRAIN.format(argument=argument, switch=switch)}
    write_tree(tmp_path, {"pyproject.toml": "", **files})
    assert _rows("train.py") == rows


@pytest.mark.parametrize(
    ("argument", "switch", "rows"),
    [
        ("model if distributed else other[0]", "", [("evaluation.py", 6)]),
        ("other.pick(0) if distributed else model", "", [("evaluation.py", 6)]),
        ("model if distributed else other[0]", "        (model if distributed else other[0]).eval()\n", []),
        ("other[0] if distributed else other[1]", "", []),
    ],
)
def test_a_conditional_hands_over_the_model_its_named_branch_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argument: str, switch: str, rows: list[tuple[str, int]]
) -> None:
    """news-recommendation: `evaluate(model if model_name != 'Exp1' else models[0], ...)` hands the
    trained `model` over on every path but the ensemble's, and the helper of another module never
    switches it to eval: reported there. The fix switches it through the same conditional (`(model if
    ... else models[0]).eval()`), which switches `model` on that path: silent. Two unnamed branches name
    nothing."""
    monkeypatch.chdir(tmp_path)
    files = {"evaluation.py": _EVALUATION, "train.py": _DDP_TRAIN.format(argument=argument, switch=switch)}
    write_tree(tmp_path, {"pyproject.toml": "", **files})
    assert _rows("train.py") == rows


_ZOO_MODEL = """import torch
from torch import nn


class Recommender{k}(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.2))

    def forward(self, news, users):
        return (self.get_news_vector(news) * users).sum(-1)

    def get_news_vector(self, news):
        return self.encoder(news)
"""
_ZOO_EVALUATE = """import torch


@torch.no_grad()
def evaluate(model, loader):
    return [model.get_news_vector(batch) for batch in loader]
"""
_ZOO_TRAIN = """import importlib

import torch

from evaluate import evaluate


def train(name, loader, val_loader):
    model = getattr(importlib.import_module(f"model.m{{name}}"), name)()
    optimizer = torch.optim.Adam(model.parameters())
    for epoch in range(10):
        model.train()
        for news, users, y in loader:
            optimizer.zero_grad()
            torch.nn.functional.mse_loss(model(news, users), y).backward()
            optimizer.step()
{switch}        print(epoch, evaluate(model, val_loader))
"""


@pytest.mark.parametrize(
    ("count", "switch", "rows"),
    [(8, "", [("evaluate.py", 6)]), (8, "        model.eval()\n", []), (13, "", [])],
)
def test_a_method_every_model_class_of_a_zoo_defines_runs_the_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int, switch: str, rows: list[tuple[str, int]]
) -> None:
    """news-recommendation picks one of eight recommenders by a setting; each defines `get_news_vector`,
    running its encoder, and the validation helper of another module calls it on the model it is given:
    a forward, however many model classes define it (up to `_MAX_MODEL_METHOD_MODULES`), so the helper,
    called right after training, is reported. A caller that switches the model to eval first: silent;
    past the cap nothing is looked up."""
    monkeypatch.chdir(tmp_path)
    files = {f"model/m{k}.py": _ZOO_MODEL.format(k=k) for k in range(count)}
    files |= {"evaluate.py": _ZOO_EVALUATE, "train.py": _ZOO_TRAIN.format(switch=switch)}
    write_tree(tmp_path, {"pyproject.toml": "", "model/__init__.py": "", **files})
    assert _rows("train.py") == rows
