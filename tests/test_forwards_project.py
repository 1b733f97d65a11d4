"""Forwards that do not read `model(x)`, across a project's modules: a model's own method that runs its
submodules (`model.decode(**batch)`), a parameter that holds a model because every caller passes one
(`output_batch(self, ner_model, ...)`), a template method whose subclass overrides run the model, and a
project method whose literal flag argument selects a branch that switches to eval and turns recording off
(`model.run_batch(batch, training=False)`)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
from project_tree import checked_findings, write_tree

from nnlint.engine.context import FileContext
from nnlint.engine.project import STORE
from nnlint.engine.roles import Role

_LAYERS = """import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(8, 8)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.drop(self.rnn(x)[0])
"""

_MODEL = """import torch
import torch.nn as nn
from layers import Encoder


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()

    def forward(self, words, labels):
        return nn.functional.cross_entropy(self.encoder(words), labels)

    def decode(self, words, **kwargs):
        return self.encoder(words).argmax(-1)

    def describe(self, words):
        return len(words)


class Codec:
    def __init__(self):
        self.table = {}

    def transcode(self, words):
        return self.table.get(words)


class Entity:
    def __init__(self):
        self.net = Tagger()

    def run_batch(self, words, labels=None, training=True):
        if training:
            self.net.train()
            return self.net(words, labels)
        else:
            self.net.eval()
            with torch.no_grad():
                return self.net.decode(words)
"""


def _events(ctx: FileContext, name: str) -> list[tuple[str, str | None, bool]]:
    """The loop collector's events of one function of `ctx`: kind, target and whether recording is off."""
    found = ctx.loops.function_events(ctx.functions[name][0])
    return [(event.kind.value, event.target, event.no_grad) for event in found]


_tree = partial(write_tree, project_marker=True)


def _rows(root: Path, target: str, code: str) -> list[tuple[str, int]]:
    return [(Path(f.filename).name, f.location.row) for f in checked_findings([root / target], {code})]


_EVALUATE = """from models import Tagger


def evaluate(model, batches):
    model.eval()
    correct = 0
    for words, labels in batches:
        correct += (model.decode(words) == labels).sum().item()
    return correct


def main(batches, optimizer):
    model = Tagger()
    for words, labels in batches:
        loss = model(words, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    evaluate(model, batches)
"""


def test_a_model_method_that_runs_its_submodules_is_evaluated_with_recording_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """neural-crf's `evaluate_model`: `model.decode(words)` runs the tagger's encoder (a project module of
    another file), so the evaluation loop records a graph nobody uses."""
    monkeypatch.chdir(tmp_path)
    _tree(tmp_path, {"layers.py": _LAYERS, "models.py": _MODEL, "evaluate.py": _EVALUATE})
    assert _rows(tmp_path, "evaluate.py", "NN503") == [("evaluate.py", 7)]


_RUN_ENTITY = """from models import Entity


def evaluate(model, batches):
    correct = 0
    for words, labels in batches:
        correct += (model.run_batch(words, training=False) == labels).sum().item()
    return correct


def main(batches, optimizer):
    model = Entity()
    for words, labels in batches:
        loss = model.run_batch(words, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    evaluate(model, batches)
"""


def test_a_literal_flag_that_selects_the_no_grad_branch_is_no_recording_evaluation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PURE's `run_entity.py`: `run_batch(..., training=False)` takes the branch that switches the network
    to eval and runs it under `no_grad`; the same loop with `training=True` records."""
    monkeypatch.chdir(tmp_path)
    _tree(tmp_path, {"layers.py": _LAYERS, "models.py": _MODEL, "run.py": _RUN_ENTITY})
    assert _rows(tmp_path, "run.py", "NN503") == []
    assert _rows(tmp_path, "run.py", "NN404") == []
    (tmp_path / "run.py").write_text(_RUN_ENTITY.replace("training=False", "training=True"))
    STORE.clear()
    assert _rows(tmp_path, "run.py", "NN503") == [("run.py", 6)]


_PREDICTOR = """import torch


class Predictor:
    def __init__(self, batch_size):
        self.batch_size = batch_size

    def output_batch(self, tagger, documents, fout):
        for document in documents:
            labels = self.apply_model(tagger, document)
            fout.write(str(labels))

    def apply_model(self, tagger, features):
        return None


class WordPredictor(Predictor):
    def apply_model(self, tagger, features):
        scores = tagger(torch.tensor(features))
        return scores.argmax(-1)


class CharPredictor(Predictor):
    def apply_model(self, tagger, features):
        scores = tagger(torch.tensor(features).float())
        return scores.argmax(-1)


def describe(tagger, documents):
    for document in documents:
        tagger(document)
"""

_SEQ = """import torch
from models import Tagger
from predictor import WordPredictor


def main(documents, fout):
    tagger = Tagger()
    tagger.load_state_dict(torch.load("tagger.pt"))
    predictor = WordPredictor(16)
    predictor.output_batch(tagger, documents, fout)
"""


def test_a_parameter_every_caller_fills_with_a_model_is_a_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LM-LSTM-CRF's predictor: `tagger` is named for nothing, but the one caller of `output_batch`
    (another module) passes a `Tagger` it built and loaded, so `tagger(...)` is a forward; and
    `self.apply_model(...)` of the base class's template runs the subclasses' overrides, which agree."""
    monkeypatch.chdir(tmp_path)
    _tree(tmp_path, {"layers.py": _LAYERS, "models.py": _MODEL, "predictor.py": _PREDICTOR, "seq.py": _SEQ})
    ctx = STORE.context((tmp_path / "predictor.py").resolve())
    assert ctx is not None
    assert Role.MODEL in ctx.roles.of("tagger")
    events = ctx.loops.function_events(ctx.functions["output_batch"][0])
    assert [(event.kind.value, event.target, event.via) for event in events] == [
        ("forward", "tagger", ("apply_model",))
    ]


def test_an_answer_that_rests_on_the_project_size_cap_is_not_reused_across_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The callers of a parameter's function are looked for only in a project of at most
    `LARGE_PROJECT_FILES` Python files (`Roles._few_caller_modules`): an answer rests on which side of
    that cap the project was, so a module added or deleted across it, even one that mentions nothing the
    question asked about, makes the module store read the file again and a cached result a miss, as a
    fresh process would answer."""
    from nnlint import cache
    from nnlint.engine import roles
    from nnlint.engine.project import begin_check, dependencies

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(roles, "LARGE_PROJECT_FILES", 4)
    _tree(tmp_path, {"layers.py": _LAYERS, "models.py": _MODEL, "predictor.py": _PREDICTOR, "seq.py": _SEQ})
    path = (tmp_path / "predictor.py").resolve()

    def tagger_is_model() -> tuple[bool, dict[str, str | None]]:
        begin_check()
        ctx = STORE.context(path)
        assert ctx is not None
        return Role.MODEL in ctx.roles.of("tagger"), dependencies(ctx)

    def stale(depends: dict[str, str | None]) -> bool:
        begin_check()  # as a run's cache lookups do
        return any(cache._changed(dep, digest) for dep, digest in depends.items())

    STORE.clear()
    known, below = tagger_is_model()
    assert known
    (tmp_path / "notes.py").write_text("x = 1\n")  # five modules: above the cap, callers are not looked up
    assert stale(below)
    known, above = tagger_is_model()
    assert not known
    (tmp_path / "notes.py").unlink()  # and back below it
    assert stale(above)
    assert tagger_is_model()[0]
    STORE.clear()


def test_a_parameter_some_caller_fills_with_something_else_stays_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One caller passes a model, another a plain function: the parameter's role is unknown (silent)."""
    monkeypatch.chdir(tmp_path)
    other = _SEQ + (
        "\n\ndef plain(documents, fout):\n    predictor = WordPredictor(16)\n"
        "    predictor.output_batch(len, documents, fout)\n"
    )
    _tree(tmp_path, {"layers.py": _LAYERS, "models.py": _MODEL, "predictor.py": _PREDICTOR, "seq.py": other})
    ctx = STORE.context((tmp_path / "predictor.py").resolve())
    assert ctx is not None
    assert Role.MODEL not in ctx.roles.of("tagger")


def test_overrides_that_disagree_leave_the_template_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the subclasses' overrides do different things, which one runs is unknown: no events."""
    monkeypatch.chdir(tmp_path)
    predictor = _PREDICTOR.replace(
        "        scores = tagger(torch.tensor(features).float())\n",
        "        scores = torch.tensor(features)\n",
    )
    _tree(tmp_path, {"layers.py": _LAYERS, "models.py": _MODEL, "predictor.py": predictor, "seq.py": _SEQ})
    ctx = STORE.context((tmp_path / "predictor.py").resolve())
    assert ctx is not None
    assert ctx.loops.function_events(ctx.functions["output_batch"][0]) == []


def test_a_model_method_that_runs_its_submodules_is_a_forward_whatever_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`model.decode(words)` runs the model when the project's `decode` is a method of an `nn.Module` class
    that calls its own submodules (`self.encoder = Encoder()`, a project module of another file), whether
    the object's class is known (an annotation) or not (a bare parameter: every project definition of the
    name is such a method); a method that runs nothing, and a plain class's method, stay unknown."""
    monkeypatch.chdir(tmp_path)
    _tree(tmp_path, {"layers.py": _LAYERS, "models.py": _MODEL})
    (tmp_path / "evaluate.py").write_text(
        "from models import Tagger\n\n"
        "def annotated(model: Tagger, batches):\n    for batch in batches:\n        model.decode(**batch)\n\n"
        "def bare(model, batches):\n    for words in batches:\n        model.decode(words)\n\n"
        "def described(model, batches):\n    for words in batches:\n        model.describe(words)\n\n"
        "def plain(model, batches):\n    for words in batches:\n        model.transcode(words)\n"
    )
    ctx = STORE.context((tmp_path / "evaluate.py").resolve())
    assert ctx is not None
    events = partial(_events, ctx)

    assert events("annotated") == [("forward", "model", False)]
    assert events("bare") == [("forward", "model", False)]
    assert events("described") == []
    assert events("plain") == []


def test_a_literal_flag_selects_the_branch_of_a_method_that_runs_the_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`model.run_batch(words, training=False)` runs the `else:` branch of the project method: the network
    switched to eval and run under `no_grad` (the same branch decision as a mode-switching helper's string
    argument); `training=True` runs the training branch; without a literal both branches count. (The
    parameter `model` is tied to `Entity` by the file's one binding of the name, as in PURE's
    run_entity.py.)"""
    monkeypatch.chdir(tmp_path)
    _tree(tmp_path, {"layers.py": _LAYERS, "models.py": _MODEL})
    (tmp_path / "evaluate.py").write_text(
        "from models import Entity\n\n"
        "def quiet(model, batches):\n    for words in batches:\n"
        "        model.run_batch(words, training=False)\n\n"
        "def loud(model, batches):\n    for words in batches:\n        model.run_batch(words, None, True)\n\n"
        "def either(model, batches, flag):\n    for words in batches:\n"
        "        model.run_batch(words, training=flag)\n\n"
        "def main(batches):\n    model = Entity()\n    quiet(model, batches)\n"
    )
    ctx = STORE.context((tmp_path / "evaluate.py").resolve())
    assert ctx is not None
    events = partial(_events, ctx)
    summary = STORE.context((tmp_path / "models.py").resolve()).summaries.of(  # type: ignore[union-attr]
        STORE.context((tmp_path / "models.py").resolve()).functions["run_batch"][0]  # type: ignore[union-attr]
    )
    assert summary is not None and summary.on_self is not None
    assert not summary.on_self.chooses_grad_mode  # the training branch records

    assert events("quiet") == [("eval", "model", False), ("forward", "model", True)]
    assert events("loud") == [("train", "model", False), ("forward", "model", False)]
    assert ("forward", "model", False) in events("either")


_RUN_EVAL = """import torch


def run_eval(model, split):
    loader = torch.utils.data.DataLoader(torch.load(split + ".pt"), batch_size=8)
    with torch.no_grad():
        return sum((model(x).argmax(-1) == y).sum().item() for x, y in loader)
"""

_TRAIN_WITH_SETTINGS = """import torch
import torch.nn as nn
from evaluation import run_eval
from decoding import set_decode_type


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 2)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.fc(self.drop(x))


def rollout(model, batches):
    set_decode_type(model, "greedy")
    model.eval()
    with torch.no_grad():
        return [model(x) for x in batches]


def train_epoch(model, optimizer, loader, batches):
    model.train()
    for x, y in loader:
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return rollout(model, batches)


def train_plain(model, optimizer, loader):
    model.train()
    for x, y in loader:
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def main_scored(loader):
    model = Net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(10):
        train_plain(model, optimizer, loader)
        run_eval(model, "val")
"""

_DECODING = """def set_decode_type(model, decode_type):
    model.decode_type = decode_type
"""


def test_a_model_handed_over_with_settings_only_runs_as_its_definition_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A call given the model and settings only is not guessed to run it: `run_eval(model, "val")`, a
    project function of another module that loads its own split, is asked instead, and its definition
    runs the model left in training mode; `set_decode_type(model, "greedy")` before the `eval()` of
    `rollout` (attention-learn-to-route) runs nothing. The single-file form is the rule's VALID example."""
    monkeypatch.chdir(tmp_path)
    files = {"evaluation.py": _RUN_EVAL, "decoding.py": _DECODING, "train.py": _TRAIN_WITH_SETTINGS}
    _tree(tmp_path, files)
    assert _rows(tmp_path, "train.py", "NN404") == [("evaluation.py", 6)]
