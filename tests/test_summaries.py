"""Role summaries of project functions (nnlint.engine.summaries), and the findings they make possible
across modules: an evaluation helper of another module run on a model left in training mode (NN404,
reported in the helper's file), loss tensors added into a meter of another module or returned by a helper
that backpropagates them (NN501)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import libcst as cst
import pytest

from nnlint.config import Overrides
from nnlint.engine.context import FileContext
from nnlint.engine.names import dotted_name
from nnlint.engine.project import STORE
from nnlint.engine.roles import Role
from nnlint.engine.summaries import Effect, Summary, handed
from nnlint.session import run_check

SEGMENTER = Path(__file__).resolve().parent.parent / "fixtures" / "projects" / "segmenter"
EXPECT = re.compile(r"#\s*expect:\s*(NN\d{3})")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "segmenter"
    shutil.copytree(SEGMENTER, root)
    monkeypatch.chdir(root)
    yield root


def _expected(root: Path) -> set[tuple[str, int, str]]:
    found = set()
    for path in sorted(root.rglob("*.py")):
        for row, line in enumerate(path.read_text().splitlines(), start=1):
            match = EXPECT.search(line)
            if match:
                found.add((path.relative_to(root).as_posix(), row, match.group(1)))
    return found


def _summary(root: Path, module: str, function: str) -> Summary:
    ctx = STORE.context((root / "segmenter" / f"{module}.py").resolve())
    assert ctx is not None
    node = ctx.functions[function][0]
    summary = ctx.summaries.of(node)
    assert summary is not None
    return summary


def test_checking_the_package_reports_at_the_lines_to_change(project: Path) -> None:
    outcome = run_check([Path(".")], Overrides(select=frozenset({"NN404", "NN501"})))
    assert outcome.crashes == []
    assert {(f.filename, f.location.row, f.code) for f in outcome.findings} == _expected(project)


def test_checking_only_the_script_reports_the_helper_in_its_own_module(project: Path) -> None:
    outcome = run_check([Path("segmenter/train.py")], Overrides(select=frozenset({"NN404", "NN501"})))
    assert {(f.filename, f.location.row, f.code) for f in outcome.findings} == _expected(project)
    in_helper = next(f for f in outcome.findings if f.code == "NN404")
    assert in_helper.filename == "segmenter/evaluation.py"
    assert [(r.filename, r.location.row) for r in in_helper.related] == [("segmenter/train.py", 47)]


def test_the_helper_alone_is_silent(project: Path) -> None:
    """Nobody in evaluation.py calls dice_score: the caller may well switch the model to eval first."""
    outcome = run_check([Path("segmenter/evaluation.py")], Overrides(select=frozenset({"NN404"})))
    assert outcome.findings == []


def test_a_caller_that_switches_to_eval_first_is_silent(project: Path) -> None:
    train = project / "segmenter" / "train.py"
    source = train.read_text()
    printed = "        print(epoch, total, logged, dice_score"
    source = source.replace(printed, "        net.eval()\n" + printed)
    train.write_text(source)
    outcome = run_check([Path("segmenter/train.py")], Overrides(select=frozenset({"NN404"})))
    assert outcome.findings == []


def test_summaries_say_what_functions_do_with_their_parameters(project: Path) -> None:
    backpropagate = _summary(project, "losses", "backpropagate")
    assert backpropagate.effects["loss"] == {Effect.BACKWARD}
    assert backpropagate.effects["optimizer"] == {Effect.STEP}
    assert backpropagate.returns is Role.LOSS
    update = _summary(project, "meters", "update")
    assert update.positional == ("values",)
    assert update.effects == {"values": {Effect.ACCUMULATE}}
    dice = _summary(project, "evaluation", "dice_score")
    assert dice.evaluates == {"net"} and dice.effects["net"] == {Effect.FORWARD}
    switching = _summary(project, "evaluation", "dice_score_in_eval_mode")
    assert switching.evaluates == frozenset()
    assert switching.effects["net"] == {Effect.EVAL, Effect.TRAIN, Effect.FORWARD}


def test_summaries_say_what_functions_return(project: Path) -> None:
    loss = _summary(project, "losses", "segmentation_loss")
    assert loss.elements == (Role.LOSS, Role.LOSS, Role.LOSS)
    assert loss.effects["net"] == {Effect.FORWARD}
    assert _summary(project, "meters", "average").returns is None


def test_a_detached_return_is_no_loss(tmp_path: Path) -> None:
    source = (
        "import torch.nn.functional as F\n"
        "def step(model, x, y, optimizer):\n"
        "    loss = F.mse_loss(model(x), y)\n"
        "    loss.backward()\n"
        "    optimizer.step()\n"
        "    return loss.item()\n"
        "def step_graph(model, x, y):\n"
        "    loss = F.mse_loss(model(x), y)\n"
        "    loss.backward()\n"
        "    return loss\n"
    )
    ctx = FileContext("steps.py", source, cst.parse_module(source))
    detached, attached = (ctx.summaries.of(ctx.functions[name][0]) for name in ("step", "step_graph"))
    assert detached is not None and detached.returns is None
    assert attached is not None and attached.returns is Role.LOSS
    assert detached.effects["model"] == {Effect.FORWARD}
    assert detached.effects["optimizer"] == {Effect.STEP}


def test_a_container_whose_field_was_backpropagated_is_returned_as_losses() -> None:
    source = (
        "def step(self, x, y):\n"
        "    losses = self.forward(x, y)\n"
        "    losses.total_loss.backward()\n"
        "    self.optimizer.step()\n"
        "    return losses\n"
        "def step_dict(self, x, y):\n"
        "    out = self.model(x, y)\n"
        "    out['loss'].backward()\n"
        "    return out\n"
        "def step_detached(self, x, y):\n"
        "    out = self.model(x, y)\n"
        "    out['loss'].backward()\n"
        "    out['loss'] = out['loss'].item()\n"
        "    return out\n"
        "def step_rebound(self, x, y):\n"
        "    out = self.model(x, y)\n"
        "    out.loss.backward()\n"
        "    out = summarize(out)\n"
        "    return out\n"
    )
    ctx = FileContext("steps.py", source, cst.parse_module(source))
    returns = {name: ctx.summaries.of(ctx.functions[name][0]).returns for name in ctx.functions}  # type: ignore[union-attr]
    assert returns == {"step": Role.LOSS, "step_dict": Role.LOSS, "step_detached": None, "step_rebound": None}


def test_the_loss_a_backpropagated_copy_was_computed_from_is_returned_as_a_loss() -> None:
    """joeynmt's `_train_batch`: the loss divided by the accumulation count is backpropagated, the loss it
    was computed from is returned with its graph; returned as a number (or rebound detached) it is none,
    and a returned value the backpropagated one was not computed from is none either."""
    source = (
        "def step(self, batch):\n"
        "    batch_loss = self.model.get_loss_for_batch(batch)\n"
        "    norm = batch_loss / batch.ntokens\n"
        "    scaled = norm / self.batch_multiplier\n"
        "    scaled.backward()\n"
        "    return norm\n"
        "def step_number(self, batch):\n"
        "    norm = self.model.get_loss_for_batch(batch) / batch.ntokens\n"
        "    (norm / self.batch_multiplier).backward()\n"
        "    norm = norm.detach()\n"
        "    return norm\n"
        "def step_other(self, batch):\n"
        "    norm = self.model.get_loss_for_batch(batch) / batch.ntokens\n"
        "    (norm / self.batch_multiplier).backward()\n"
        "    tokens = batch.ntokens\n"
        "    return tokens\n"
    )
    ctx = FileContext("steps.py", source, cst.parse_module(source))
    returns = {name: ctx.summaries.of(ctx.functions[name][0]).returns for name in ctx.functions}  # type: ignore[union-attr]
    assert returns == {"step": Role.LOSS, "step_number": None, "step_other": None}


def test_summaries_are_computed_once_per_function(project: Path) -> None:
    first = _summary(project, "losses", "backpropagate")
    run_check([Path("segmenter/train.py")], Overrides(select=frozenset({"NN501"})))
    assert _summary(project, "losses", "backpropagate") is first


def test_mode_switches_of_a_parameter_rebound_to_a_copy_are_not_the_callers() -> None:
    source = (
        "from copy import deepcopy\n"
        "def attack(model, x):\n"
        "    model = deepcopy(model)\n"
        "    model.eval()\n"
        "    return model(x)\n"
        "def evaluate(model, x):\n"
        "    model = model.to('cuda')\n"
        "    model.eval()\n"
        "    return model(x)\n"
        "class Wrapper:\n"
        "    def val_start(self):\n"
        "        self.net.eval()\n"
        "def validate(model, loader):\n"
        "    model.val_start()\n"
        "    return [model.embed(x) for x in loader]\n"
    )
    ctx = FileContext("attacks.py", source, cst.parse_module(source))
    attack, evaluate, validate = (
        ctx.summaries.of(ctx.functions[name][0]) for name in ("attack", "evaluate", "validate")
    )
    assert attack is not None and Effect.EVAL not in attack.effects["model"]
    assert evaluate is not None and Effect.EVAL in evaluate.effects["model"]
    # A wrapper's own mode-switch method (every project definition only switches its modules to eval).
    assert validate is not None and Effect.EVAL in validate.effects["model"]


# -- methods that run their own object ---------------------------------------------------------------------

_WRAPPERS = """
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
        self.loss_fn = nn.CrossEntropyLoss()

    def forward(self, x):
        return self.fc(x)

    def infer(self, x):
        return self.fc(x).argmax(-1)

    def score(self, x, y):
        return self.loss_fn(x, y)


class Wrapper:
    def __init__(self):
        self.network = Net()
        self.optimizer = torch.optim.SGD(self.network.parameters(), lr=0.1)

    def predict(self, x):
        self.network.eval()
        return self._run(x)

    def _run(self, x):
        return self.network(x)

    @torch.no_grad()
    def predict_quietly(self, x):
        return self.network(x)

    def update(self, x, y):
        self.network.train()
        loss = nn.functional.cross_entropy(self.network(x), y)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()

    def save(self, path):
        torch.save(self.network.state_dict(), path)
"""


def test_a_method_that_runs_its_own_network_is_a_forward_of_its_object(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "models.py").write_text(_WRAPPERS)
    ctx = STORE.context((tmp_path / "models.py").resolve())
    assert ctx is not None

    def on_self(name: str):  # noqa: ANN202
        return ctx.summaries.of(ctx.functions[name][0]).on_self  # type: ignore[union-attr]

    # A layer of a model class, a held network (through another method), with the mode it switches to.
    assert (on_self("infer").mode, on_self("infer").chooses_grad_mode) == (None, False)
    assert (on_self("predict").mode, on_self("predict").chooses_grad_mode) == ("eval", False)
    assert on_self("predict_quietly").chooses_grad_mode
    # A criterion is no layer of the network; a training step and a save run no forward to judge.
    assert on_self("score") is None
    assert on_self("update") is None
    assert on_self("save") is None


def test_a_wrapper_method_call_in_another_module_is_a_forward_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop collector of the calling module sees `model.predict(x)` as an eval switch and a forward
    of `model`, whether the object's class is known (built here) or not (a parameter); a library object's
    method of the same name stays unknown."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "models.py").write_text(_WRAPPERS)
    (tmp_path / "evaluate.py").write_text(
        "from transformers import AutoModel\nfrom models import Wrapper\n\n"
        "def evaluate(model, loader):\n    for x in loader:\n        model.predict(x)\n\n"
        "def quietly(model, loader):\n    for x in loader:\n        model.predict_quietly(x)\n\n"
        "def built(loader):\n    model = Wrapper()\n    for x in loader:\n        model.infer(x)\n\n"
        "def library(loader):\n    model = AutoModel.from_pretrained('bert').cuda()\n"
        "    for x in loader:\n        model.infer(x)\n"
    )
    ctx = STORE.context((tmp_path / "evaluate.py").resolve())
    assert ctx is not None

    def events(name: str) -> list[tuple[str, str | None, bool]]:
        found = ctx.loops.function_events(ctx.functions[name][0])
        return [(event.kind.value, event.target, event.no_grad) for event in found]

    assert events("evaluate") == [("eval", "model", False), ("forward", "model", False)]
    assert events("quietly") == [("forward", "model", True)]
    assert events("library") == []
    # `Wrapper` has no `infer`: the built object's class decides, not the project's other classes.
    assert events("built") == []


def test_an_evaluation_helper_says_which_loop_records_and_whose_model(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "utils.py").write_text(
        "import torch\n\ndef eval_model(model, data):\n    for x in data:\n        model(x)\n\n"
        "@torch.no_grad()\ndef test_model(model, data):\n    for x in data:\n        model(x)\n"
    )
    ctx = STORE.context((tmp_path / "utils.py").resolve())
    assert ctx is not None
    recording = ctx.summaries.of(ctx.functions["eval_model"][0]).records_evaluation  # type: ignore[union-attr]
    assert recording is not None and recording[1] == {"model"}
    assert ctx.index.parent(recording[0]) is not None and isinstance(recording[0], cst.For)
    assert ctx.summaries.of(ctx.functions["test_model"][0]).records_evaluation is None  # type: ignore[union-attr]


_HELPERS = """\
import torch
from tqdm import tqdm


def set_rate(optimizer, lr):
    for group in optimizer.param_groups:
        group["lr"] = lr


def decay(optimizer, epoch, lr=0.1):
    set_rate(optimizer, lr * 0.1 ** (epoch // 30))
    print(optimizer.state_dict())


def update(optimizer):
    optimizer.zero_grad()
    optimizer.step()


def through_update(opt):
    if opt is not None:
        update(opt)


def in_a_list(optimizer):
    for opt in [optimizer]:
        opt.step()


def by_getattr(optimizer):
    getattr(optimizer, "step")()


def forwarded(*args):
    update(*args)


def closure(optimizer):
    def run():
        optimizer.step()
    return run


def wrapper_method(optimizer):
    optimizer.step_and_update_lr()


def on_epoch(function):
    return function


@on_epoch
def decorated(gen, epoch):
    for batch in gen:
        pass


@torch.no_grad()
def quietly(gen, epoch):
    for batch in gen:
        pass


def other_member(optimizer, grads):
    optimizer.apply(grads)


def fit(gen, epoch):
    for i, batch in enumerate(tqdm(gen)):
        pass
    return len(gen)


def fit_with_epoch(gen, epoch):
    gen.sampler.set_epoch(epoch)
    fit(gen, epoch)


def fit_aliasing_the_sampler(gen, epoch):
    sampler = gen.sampler
    for batch in gen:
        pass


def fit_storing(gen, state):
    state.loader = gen
"""


@pytest.mark.parametrize(
    ("helper", "effect", "expected"),
    [
        ("decay", Effect.STEP, False),  # only writes the groups' rates, through another helper
        ("set_rate", Effect.STEP, False),
        ("update", Effect.STEP, True),
        ("through_update", Effect.STEP, True),  # transitively, under a condition
        ("in_a_list", Effect.STEP, None),
        ("by_getattr", Effect.STEP, None),
        ("forwarded", Effect.STEP, None),
        ("closure", Effect.STEP, None),
        ("wrapper_method", Effect.STEP, True),  # a member named for stepping (a project wrapper's)
        ("other_member", Effect.STEP, None),  # a member that may step, not named for it
        ("fit", Effect.SET_EPOCH, False),  # `enumerate(tqdm(gen))`, `len(gen)`
        ("fit_with_epoch", Effect.SET_EPOCH, True),
        ("decorated", Effect.SET_EPOCH, None),  # a decorator may run other code around it
        ("quietly", Effect.SET_EPOCH, False),
        ("fit_aliasing_the_sampler", Effect.SET_EPOCH, None),
        ("fit_storing", Effect.SET_EPOCH, None),
        ("fit", Effect.ZERO_GRAD, None),  # not a question `handed` answers
    ],
)
def test_what_a_function_does_with_an_object_handed_to_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helper: str, effect: Effect, expected: bool | None
) -> None:
    """`handed` answers from every use of the parameter, in the helper and what it hands it on to: yes,
    certainly not, or unknown (a container, `getattr`, `*args`, a closure, a member that may do it)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "helpers.py").write_text(_HELPERS)
    (tmp_path / "train.py").write_text(f"from helpers import {helper}\n\n{helper}(obj, 1)\n")
    ctx = STORE.context((tmp_path / "train.py").resolve())
    assert ctx is not None
    call = next(node for node in ctx.index.nodes(cst.Call) if dotted_name(node.func) == helper)
    assert handed(ctx, call, call.args[0].value, effect) is expected


def test_a_recursive_function_is_checked_and_its_file_with_it() -> None:
    """A recursive helper (ncsnv2's `dict2namespace`, at ermongroup/ncsnv2@HEAD main.py) asks, through the
    loop collector, whether the call to itself returns a model in some mode: the question, asked again
    while it is answered, answers "unknown" instead of recursing until the stack runs out (which left the
    whole file unchecked, reported as NN000 "nesting too deep"). The file's real finding is still made."""
    from nnlint.rule import all_rules
    from nnlint.runner import check_source

    source = (
        "import argparse\n"
        "import torch\n"
        "def to_namespace(config):\n"
        "    namespace = argparse.Namespace()\n"
        "    for key, value in config.items():\n"
        "        if isinstance(value, dict):\n"
        "            new_value = to_namespace(value)\n"
        "        else:\n"
        "            new_value = value\n"
        "        setattr(namespace, key, new_value)\n"
        "    return namespace\n"
        "def main(model, config, loader):\n"
        "    config = to_namespace(config)\n"
        "    model.train()\n"
        "    for x in loader:\n"
        "        print(model(x).mean())\n"
    )
    codes = [finding.code for finding in check_source("train.py", source, list(all_rules())).findings]
    assert "NN000" not in codes
    ctx = FileContext("train.py", source, cst.parse_module(source))
    summary = ctx.summaries.of(ctx.functions["to_namespace"][0])
    assert summary is not None and summary.returns_in_mode is None


_DUAL_LOSS = """import torch.nn as nn


class DualLoss:
    def __init__(self, rate):
        self.bce = nn.BCEWithLogitsLoss()
        self.rate = rate

    def __call__(self, aux, main, targets):
        loss_dict = {"aux": self.rate * self.bce(aux, targets), "main": self.bce(main, targets)}
        loss_sum = sum(list(loss_dict.values())) / len(loss_dict)
        return loss_sum, loss_dict


def create_loss_function(rate):
    loss_function = DualLoss(rate)
    return loss_function
"""

_SOLVER = """from collections import defaultdict

import torch

from losses import create_loss_function


class ModelTrainer:
    def __init__(self, model, optimizer):
        self.model = model
        self.optimizer = optimizer
        self.loss_fn = create_loss_function(0.25)

    def train_one_batch(self, images, targets):
        self.optimizer.zero_grad()
        predicts = self.model(images)
        loss, loss_item = self.loss_fn(predicts["aux"], predicts["main"], targets)
        {backward}
        self.optimizer.step()
        return loss_item

    def train_one_epoch(self, dataloader):
        total_loss = defaultdict(lambda: torch.tensor(0.0))
        for batch_size, images, targets in dataloader:
            loss_each = self.train_one_batch(images, targets)
            for loss_name, loss_val in loss_each.items():
                total_loss[loss_name] += loss_val * batch_size
        return total_loss
"""


@pytest.mark.parametrize(("backward", "found"), [("loss.backward()", True), ("loss.item()", False)])
def test_the_dict_summed_into_a_callable_objects_loss_holds_its_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backward: str, found: bool
) -> None:
    """YOLO's solver: `self.loss_fn` is a `DualLoss` made by a factory of another module; its `__call__`
    returns the sum of a dict's values and the dict. Once the step backpropagates the sum, the dict it
    returns holds the loss's parts with their graphs, and the epoch's totals keep them (NN501)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "losses.py").write_text(_DUAL_LOSS)
    (tmp_path / "solver.py").write_text(_SOLVER.replace("{backward}", backward))
    ctx = STORE.context((tmp_path / "solver.py").resolve())
    assert ctx is not None
    step = _method_summary(ctx, "train_one_batch")
    assert step.returns is (Role.LOSS if found else None)
    outcome = run_check([Path("solver.py")], Overrides(select=frozenset({"NN501"})))
    assert outcome.crashes == []
    assert [(f.code, f.location.row) for f in outcome.findings] == ([("NN501", 27)] if found else [])


def _method_summary(ctx: FileContext, name: str) -> Summary:
    function = next(node for node in ctx.index.nodes(cst.FunctionDef) if node.name.value == name)
    summary = ctx.summaries.of(function)
    assert summary is not None
    return summary


def test_a_dict_returned_beside_the_sum_of_its_values_is_told() -> None:
    """`return total, losses` with `total = sum(losses.values())` (NATSpeech's vocoder step, LeakPro's
    composable optimizer): entries stored before the sum fill the dict; one replaced after it may be a
    number, and a dict no sum reads is nothing."""
    source = (
        "def filled(parts):\n"
        "    losses = {}\n"
        "    for name, part in parts:\n"
        "        losses[name] = part\n"
        "    total = sum(losses.values())\n"
        "    return total, losses\n"
        "def replaced(parts):\n"
        "    losses = {}\n"
        "    for name, part in parts:\n"
        "        losses[name] = part\n"
        "    total = sum(losses.values())\n"
        "    losses['total'] = total.item()\n"
        "    return total, losses\n"
        "def unsummed(parts):\n"
        "    losses = dict(parts)\n"
        "    return len(losses), losses\n"
    )
    ctx = FileContext("steps.py", source, cst.parse_module(source))
    found = {name: ctx.summaries.of(ctx.functions[name][0]).summed_into for name in ctx.functions}
    assert found == {"filled": {1: 0}, "replaced": {}, "unsummed": {}}


_TEACHER_FACTORY = """
import torch
from transformers import AutoConfig, AutoModelForCausalLM

def get_teacher_model(args, device):
    if args.model_parallel:
        model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(args.path))
        load_parallel(model, args.path)
        model = model.to(device)
        model.eval()
    else:
        model = AutoModelForCausalLM.from_pretrained(args.path).to(device)
    if args.fp16:
        model = model.half()
    return model
"""


@pytest.mark.parametrize(
    ("other_branch", "mode"),
    [
        ("model = AutoModelForCausalLM.from_pretrained(args.path).to(device)", "eval"),
        ("model = AutoModelForCausalLM.from_config(args.config)", None),  # a new model: training mode
        ("model = AutoModelForCausalLM.from_pretrained(args.path)\n        model.train()", None),
        ("model = AutoTokenizer.from_pretrained(args.path)", None),  # no model loaded
    ],
)
def test_a_factory_that_returns_an_eval_model_on_every_path(other_branch: str, mode: str | None) -> None:
    """LMOps' `get_teacher_model`: `eval()` in the model-parallel branch, `from_pretrained` (eval mode) in
    the other; any other binding, or a switch there, leaves the mode unknown."""
    source = _TEACHER_FACTORY.replace(
        "model = AutoModelForCausalLM.from_pretrained(args.path).to(device)", other_branch
    )
    ctx = FileContext("evaluate.py", source, cst.parse_module(source))
    summary = ctx.summaries.of(ctx.functions["get_teacher_model"][0])
    assert summary is not None and summary.returns_in_mode == mode
