"""Evaluation spellings of held-out set 10 (nnlint.engine.bindings, loops, roles, summaries, modes): a method
of the class picked into a local name and called in the loop (pykeen's `compute_rank_fct`), a module's
method that runs one of its own forward passes (`self.forward_owa(x)`), a helper handed the model under
its own parameter name (ludwig's `self._predict(self.model, batch)`), `self` of a module whose base class
lives in another module, an attribute of an object from elsewhere that is switched and run
(`task.model`), `accelerator.unwrap_model(model)`, and a plain project module in a project that never
switches anything to eval."""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst
import pytest
from project_tree import checked_findings, write_tree

from nnlint.engine.bindings import call_candidates, resolve_call
from nnlint.engine.context import FileContext
from nnlint.engine.loops import EventKind
from nnlint.engine.roles import Role


def _ctx(source: str) -> FileContext:
    source = textwrap.dedent(source)
    return FileContext("example.py", source, cst.parse_module(source))


def _call(ctx: FileContext, text: str) -> cst.Call:
    return next(call for call in ctx.index.nodes(cst.Call) if ctx.module.code_for_node(call) == text)


def _rows(code: str) -> list[tuple[str, int]]:
    return sorted((f.filename, f.location.row) for f in checked_findings([Path(".")], {code}))


# -- bindings: a local name that holds one of the class's methods -------------------------------------------

_PICKED = """
class Evaluator:
    @property
    def scorer(self):
        return self._scorer

    def _rank(self, x):
        return x

    def _filtered_rank(self, x):
        return self._rank(x)

    def evaluate(self, xs, filtered):
        one = self._rank
        one(xs)
        rank = self._filtered_rank if filtered else self._rank
        rank(xs)
        score = self.scorer
        score(xs)
        layer = self.fc
        layer(xs)
"""


def test_a_local_name_picking_one_method_resolves_to_it() -> None:
    ctx = _ctx(_PICKED)
    target = resolve_call(ctx, _call(ctx, "one(xs)"))
    assert target is not None and target.node.name.value == "_rank"  # type: ignore[attr-defined]


def test_a_local_name_picking_one_of_two_methods_has_both_as_candidates() -> None:
    ctx = _ctx(_PICKED)
    call = _call(ctx, "rank(xs)")
    assert resolve_call(ctx, call) is None
    candidates = call_candidates(ctx, call)
    assert [c.node.name.value for c in candidates or []] == ["_filtered_rank", "_rank"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("text", ["score(xs)", "layer(xs)"])
def test_a_property_or_an_attribute_picked_into_a_name_is_no_method_call(text: str) -> None:
    """`score = self.scorer` holds what the property returns; `layer = self.fc` a submodule."""
    ctx = _ctx(_PICKED)
    call = _call(ctx, text)
    assert resolve_call(ctx, call) is None and call_candidates(ctx, call) is None


# -- loops and roles ------------------------------------------------------------------------------------


def test_unwrap_model_runs_and_switches_the_model_it_unwraps() -> None:
    ctx = _ctx(
        """
        def validate(model, accelerator, loader):
            accelerator.unwrap_model(model).eval()
            for batch in loader:
                accelerator.unwrap_model(model).generate(batch)
        """
    )
    function = ctx.functions["validate"][0]
    kinds = [(event.kind, event.target) for event in ctx.loops.function_events(function)]
    assert kinds == [(EventKind.EVAL, "model"), (EventKind.FORWARD, "model")]


def test_a_helper_forward_keeps_the_name_it_is_spelled_with() -> None:
    ctx = _ctx(
        """
        class Predictor:
            def _predict(self, model, batch):
                return model(batch)

            def batch_predict(self, batches):
                for batch in batches:
                    self._predict(self.model, batch)
        """
    )
    (loop,) = ctx.loops.loops
    (forward,) = loop.of_kind(EventKind.FORWARD)
    assert (forward.target, forward.own_target) == ("self.model", "model")


def test_an_unassigned_attribute_switched_and_run_is_a_model() -> None:
    """`task.model` of a task loaded elsewhere; `runner.net`, assigned here from an unknown call, stays
    unknown: its binding says what it holds."""
    ctx = _ctx(
        """
        def get_logits(path, runner, batches):
            task = load(path)
            task.model.eval()
            runner.net = build(path)
            runner.net.eval()
            for batch in batches:
                task.model(batch)
                runner.net(batch)
        """
    )
    assert ctx.roles.has("task.model", Role.MODEL)
    assert not ctx.roles.has("runner.net", Role.MODEL)


# -- NN503 across modules ---------------------------------------------------------------------------------

_BASE = """import torch.nn as nn


class KGModel(nn.Module):
    def forward_owa(self, triples):
        raise NotImplementedError

    def predict_scores(self, triples):
        scores = self.forward_owa(triples)
        return scores.detach().cpu().numpy()
"""
_LOOPING_EVALUATOR = """import torch

from models.base import KGModel


class RankEvaluator:
    def __init__(self, model: KGModel, filtered=False):
        self.model = model
        self.filtered = filtered

    def _rank(self, model, triple):
        return (model.predict_scores(triple) > 0).sum()

    def _filtered_rank(self, model, triple):
        return self._rank(model=model, triple=triple)

    {decorator}def evaluate(self, test_triples):
        self.model.eval()
        rank = self._filtered_rank if self.filtered else self._rank
        ranks = []
        for triple in test_triples:
            ranks.append(rank(model=self.model, triple=triple))
        return ranks
"""


@pytest.mark.parametrize(
    ("decorator", "rows"), [("", [("evaluation.py", 21)]), ("@torch.no_grad()\n    ", [])]
)
def test_an_evaluator_ranking_through_a_picked_method_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, decorator: str, rows: list[tuple[str, int]]
) -> None:
    """pykeen's RankBasedEvaluator: the loop over the test triples calls a local name holding one of two
    rank methods; both run the model's `predict_scores`, which runs `self.forward_owa` (abstract in the base
    class of another module). Reported at the loop; silent under `@torch.no_grad()`."""
    monkeypatch.chdir(tmp_path)
    write_tree(
        tmp_path,
        {
            "pyproject.toml": "",
            "models/__init__.py": "",
            "models/base.py": _BASE,
            "evaluation.py": _LOOPING_EVALUATOR.format(decorator=decorator),
        },
    )
    assert _rows("NN503") == rows


_LUDWIG_BASE = """import torch


class ProjectModule(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = torch.nn.Dropout(0.1)
"""
_ECD = """import torch

from utils import ProjectModule


class ECD(ProjectModule):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 2)

    def forward(self, inputs):
        return self.fc(self.drop(inputs))

    def predictions(self, inputs):
        outputs = self(inputs)
        return outputs.argmax(-1)

    def evaluation_step(self, inputs, targets):
        return self.predictions(inputs) == targets
"""
_PREDICTOR = """import torch

from ecd import ECD


class Predictor:
    def __init__(self, model: ECD, device="cpu"):
        self.model = model.to(device)

    def batch_evaluation(self, batches):
        results = []
        for inputs, targets in batches:
            results.append(self.model.evaluation_step(inputs, targets))
        return results
"""


def test_self_of_a_module_whose_base_is_in_another_module_runs_the_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ludwig's ECD derives from the project's LudwigModule (of another module): its `self(inputs)` is the
    model's forward, so `self.model.evaluation_step(...)` of the predictor runs the model (NN503 at the
    loop)."""
    monkeypatch.chdir(tmp_path)
    write_tree(
        tmp_path,
        {"pyproject.toml": "", "utils.py": _LUDWIG_BASE, "ecd.py": _ECD, "predictor.py": _PREDICTOR},
    )
    assert _rows("NN503") == [("predictor.py", 12)]


# -- NN404: a project that never switches anything to eval ------------------------------------------------

_TRAINER = """import torch

from predictor import Predictor


def train(model, batches, optimizer):
    for inputs, targets in batches:
        loss = model(inputs).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
{extra}    return Predictor(model).batch_evaluation(batches)
"""


@pytest.mark.parametrize(
    ("extra", "test_module", "rows"),
    [
        ("", "", [("predictor.py", 13)]),
        # Another API's `train(...)` (the high-level model's), and a test that switches its own module.
        ("    api_model.train(batches)\n", "def test_it(model):\n    model.eval()\n", [("predictor.py", 13)]),
        ("    model.eval()\n", "", []),
        ("    model.train(False)\n", "", []),
        ("    model.train(training)\n", "", []),
        ("    model.training = False\n", "", []),
    ],
)
def test_a_plain_module_evaluated_in_a_project_that_never_switches_to_eval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str, test_module: str, rows: list[tuple[str, int]]
) -> None:
    """ludwig right after its port to PyTorch: the predictor holds an `ECD` (a plain project module, by
    the annotation of `__init__`) and nothing in the project switches a module out of training mode, so
    the evaluation runs with dropout on (NN404 at the forward). Any switch to eval elsewhere, or to a mode
    computed at run time, may have set it: silent. A test module's switch, or a `train(...)` of another
    API, sets nothing."""
    monkeypatch.chdir(tmp_path)
    files = {
        "pyproject.toml": "",
        "utils.py": _LUDWIG_BASE,
        "ecd.py": _ECD,
        "predictor.py": _PREDICTOR,
        "trainer.py": _TRAINER.format(extra=extra),
    }
    if test_module:
        files["tests/test_predictor.py"] = "import pytest\n\n\n" + test_module
    write_tree(tmp_path, files)
    assert _rows("NN404") == rows


_FORECASTER = """from abc import ABC

import pytorch_lightning as pl
import torch


class Forecaster(pl.LightningModule, ABC):
    def __init__(self):
        super().__init__()
        self.drop = torch.nn.Dropout(0.1)
        self.fc = torch.nn.Linear(4, 2)

    def forward(self, inputs):
        return self.fc(self.drop(inputs))

    def training_step(self, batch, batch_idx):
        inputs, targets = batch
        return torch.nn.functional.mse_loss(self(inputs), targets)
"""
_EXPLAINER = """import torch

from forecaster import Forecaster


class Explainer:
    def __init__(self, batch_size=32):
        self.batch_size = batch_size

    def build(self, model: Forecaster):
        self.pl_module = model

    @torch.inference_mode()
    def wrapped(self, x):
        outputs = []
        for i in range(0, len(x), self.batch_size):
            outputs.append(self.pl_module(x[i : i + self.batch_size]))
        return torch.cat(outputs)
{hook}"""
_HOOK = """

    def on_validation_end(self, trainer, pl_module):
        pass
"""


@pytest.mark.parametrize(
    ("hook", "other", "rows"),
    [
        ("", "", [("explainer.py", 17)]),
        # A test module's `freeze()` sets nothing.
        ("", "tests/test_it.py", [("explainer.py", 17)]),
        # Lightning's `freeze()` calls `eval()`; a hook runs inside the trainer's loops.
        ("", "api.py", []),
        (_HOOK, "", []),
    ],
)
def test_a_lightning_module_evaluated_outside_the_trainer_in_a_project_that_never_switches_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hook: str, other: str, rows: list[tuple[str, int]]
) -> None:
    """darts's SHAP explainer: a plain class is handed the project's LightningModule (by an annotation,
    through an abstract base marker) and runs it under `inference_mode` batch by batch; no project code
    switches a module, and Lightning's trainer leaves `fit` in training mode and restores the mode after
    its evaluation loops, so dropout is on (NN404 at the forward). A project `freeze()` (outside tests)
    or a Lightning hook in the file may have switched it: silent."""
    monkeypatch.chdir(tmp_path)
    files = {
        "pyproject.toml": "",
        "forecaster.py": _FORECASTER,
        "explainer.py": _EXPLAINER.format(hook=hook),
    }
    if other.startswith("tests/"):
        files[other] = "import pytest\n\n\ndef test_it(model):\n    model.freeze()\n"
    elif other:
        files[other] = "def export(model):\n    model.freeze()\n    return model\n"
    write_tree(tmp_path, files)
    assert _rows("NN404") == rows
