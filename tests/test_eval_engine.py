"""The engine's evaluation and gradient-flow analyses (nnlint.engine.evaluation, nnlint.engine.gradflow)."""

from __future__ import annotations

import libcst as cst
import pytest

from nnlint.engine.context import FileContext
from nnlint.engine.entry import is_test_module
from nnlint.engine.evaluation import is_eval_data_name, words
from nnlint.engine.roles import Role
from nnlint.rule import rule_by_code_or_name
from nnlint.runner import check_source


def _context(source: str, path: str = "train.py") -> FileContext:
    return FileContext(path, source, cst.parse_module(source))


def _expression(ctx: FileContext, code: str) -> cst.BaseExpression:
    """The first expression node in the file whose source is exactly `code`."""
    for node_type in (cst.Name, cst.Attribute, cst.Call, cst.BinaryOperation):
        for node in ctx.index.nodes(node_type):
            if ctx.module.code_for_node(node) == code:
                return node
    raise AssertionError(f"no expression {code!r}")


def test_words_split_snake_and_camel_case() -> None:
    assert words("evalDataLoader_2") == ["eval", "data", "loader", "2"]
    assert words("X_test") == ["x", "test"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("val_loader", True),
        ("testloader", True),
        ("self.valid_dl", True),
        ("X_test", True),
        ("dev_set", True),
        ("va_idx", True),
        ("X_va", True),
        ("train_loader", False),
        ("values", False),
        ("device", False),
        ("interval", False),
        (None, False),
    ],
)
def test_eval_data_names(name: str | None, expected: bool) -> None:
    assert is_eval_data_name(name) is expected


def test_backpropagated_follows_assignments_back_from_backward() -> None:
    ctx = _context(
        """
import torch
ce = criterion(model(x), y)
aux = other(x)
loss = ce + 0.1 * aux
scaler.scale(loss).backward()
best = min(best, val_loss)
"""
    )
    flows = ctx.gradients.backpropagated
    assert {"loss", "ce", "aux"} <= flows
    assert "best" not in flows and "val_loss" not in flows


def test_reaches_backward_through_arithmetic_and_scaling() -> None:
    ctx = _context(
        """
import torch
loss = criterion(out, y)
scaler.scale(loss.mean() * 2).backward()
print(math.exp(loss2))
"""
    )
    assert ctx.gradients.reaches_backward(_expression(ctx, "loss.mean()"))
    assert not ctx.gradients.reaches_backward(_expression(ctx, "loss2"))


@pytest.mark.parametrize(
    ("code", "detached"),
    [
        ("loss.item()", True),
        ("loss.detach().float()", True),
        ("float(loss)", True),
        ("loss.data", True),
        ("loss.mean()", False),
        ("loss * 2", False),
    ],
)
def test_is_detached(code: str, detached: bool) -> None:
    ctx = _context(f"import torch\nx = {code}\n")
    assert ctx.gradients.is_detached(ctx.index.nodes(cst.Assign)[0].value) is detached


def test_decorated_no_grad_counts_as_no_grad() -> None:
    ctx = _context(
        """
import torch
@torch.no_grad()
def estimate(model):
    return model(x)
def train(model):
    return model(x)
"""
    )
    calls = [call for call in ctx.index.nodes(cst.Call) if ctx.module.code_for_node(call) == "model(x)"]
    assert [ctx.gradients.under_no_grad(call) for call in calls] == [True, False]


def test_eval_functions_exclude_pytest_tests_and_model_methods() -> None:
    source = """
import torch
class Net(torch.nn.Module):
    def evaluate(self, x):
        return self(x)
def test_model(model):
    return model(x)
def validate(model):
    return model(x)
def test_eval_mode(model):
    return model(x)
"""
    ctx = _context(source, path="train.py")
    assert ctx.evaluation.eval_function_names == {"test_model", "validate", "test_eval_mode"}
    ctx = _context(source, path="test_train.py")
    assert ctx.evaluation.eval_function_names == {"validate"}


_EVAL_SCRIPT = """
import argparse
import torch

def test_one_epoch(device, model, test_loader):
    model.eval()
    for i, data in enumerate(test_loader):
        if i > 2:
            break
        model(data.to(device))

def main():
    args = argparse.ArgumentParser().parse_args()
    test_one_epoch(args.device, load_model(args), make_loader(args))

if __name__ == "__main__":
    main()
"""


@pytest.mark.parametrize(
    ("path", "source", "test_module"),
    [
        # pcrnet's test_pcrnet.py: named like a test, but it parses arguments and its guard runs main().
        ("test_pcrnet.py", _EVAL_SCRIPT, False),
        ("test_pcrnet.py", _EVAL_SCRIPT.replace("import argparse\n", ""), False),
        # A real test suite: a framework import decides, whatever else the file does.
        ("test_pcrnet.py", "import pytest\n" + _EVAL_SCRIPT, True),
        ("tests/test_models.py", "import torch\n\ndef test_forward():\n    assert net(x).shape\n", True),
        # A plain pytest file whose guard runs only its own tests, or none.
        (
            "test_models.py",
            "def test_forward():\n    pass\n\nif __name__ == '__main__':\n    test_forward()\n",
            True,
        ),
        ("models_test.py", "import unittest\n\nclass T(unittest.TestCase):\n    pass\n", True),
        # Not named like a test: a framework import with tests defined makes one; a script stays one.
        ("checks.py", "from unittest import TestCase\n\nclass T(TestCase):\n    pass\n", True),
        ("test.py", _EVAL_SCRIPT, False),
        ("eval.py", "import pytest\n\ndef evaluate(model):\n    pass\n", False),
    ],
)
def test_a_test_module_is_decided_by_its_content(path: str, source: str, test_module: bool) -> None:
    assert is_test_module(path, source) is test_module


def test_an_evaluation_script_named_like_a_test_has_evaluation_functions() -> None:
    """pcrnet's `test_one_epoch(device, model, test_loader)` in test_pcrnet.py is an evaluation (NN502)."""
    ctx = _context(_EVAL_SCRIPT, path="test_pcrnet.py")
    assert ctx.evaluation.eval_function_names == {"test_one_epoch"}
    ctx = _context("import pytest\n" + _EVAL_SCRIPT, path="test_pcrnet.py")
    assert ctx.evaluation.eval_function_names == set()
    # A launcher-run test script (accelerate's test_utils/scripts): its asserting `test*` functions are
    # tests, also where it runs as a script.
    asserting = _EVAL_SCRIPT.replace(
        "model(data.to(device))", "assert model(data.to(device)).isfinite().all()"
    )
    assert _context(asserting, path="test_pcrnet.py").evaluation.eval_function_names == set()


def test_loss_accumulation_fix_is_safe_only_when_the_total_stays_a_number() -> None:
    rule = rule_by_code_or_name("NN501")
    assert rule is not None
    template = """
import torch
for x, y in loader:
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    total += loss
{after}
criterion = torch.nn.CrossEntropyLoss()
"""
    number = check_source("t.py", template.format(after="print(total / 10)"), [rule]).findings
    tensor = check_source("t.py", template.format(after="print(total.item())"), [rule]).findings
    assert [f.fix.applicability for f in number if f.fix] == ["safe"]
    assert [f.fix.applicability for f in tensor if f.fix] == ["unsafe"]


def test_a_trainer_module_that_never_names_torch_is_still_checked() -> None:
    """OpenNMT's trainer.py imports everything torch through its project: `zero_grad(` marks it."""
    from nnlint.rule import default_rules
    from nnlint.runner import check_source

    source = (
        "class Trainer:\n"
        "    def __init__(self, model, train_loss, optim):\n"
        "        self.model = model\n"
        "        self.train_loss = train_loss\n"
        "        self.optim = optim\n"
        "    def train(self, train_iter):\n"
        "        self.model.train()\n"
        "        for batch in train_iter:\n"
        "            self.model.zero_grad()\n"
        "            self.train_loss(self.model(batch.src)).backward()\n"
        "            self.optim.step()\n"
        "    def validate(self, valid_iter):\n"
        "        self.model.eval()\n"
        "        for batch in valid_iter:\n"
        "            outputs = self.model(batch.src)\n"
        "            self.stats.update(self.train_loss.compute(batch, outputs))\n"
        "        self.model.train()\n"
    )
    codes = {f.code for f in check_source("trainer.py", source, default_rules()).findings}
    assert "NN503" in codes
    plain = source.replace("zero_grad()", "clear()").replace(".backward()", ".run()")
    assert check_source("trainer.py", plain, default_rules()).findings == []


def test_a_held_out_batch_drawn_in_an_if_block_is_an_evaluation_region() -> None:
    source = """
for i, (x, y) in enumerate(train_loader):
    optimizer.zero_grad()
    model(x).sum().backward()
    optimizer.step()
    if i % 10 == 0:
        _, (xt, yt) = next(enumerate(test_loader, 0))
        model(xt)
    if i % 20 == 0:
        xs, _ = next(iter(train_loader))
        model(xs)
    else:
        xv, _ = next(iter(val_loader))
        model(xv)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
"""
    ctx = _context(source)
    blocks = [region.node for region in ctx.evaluation.regions if isinstance(region.node, cst.If)]
    # Only the test-loader block: the train-loader draw is not held out, and a draw in `else:` is unknown.
    assert [ctx.module.code_for_node(block.test) for block in blocks] == ["i % 10 == 0"]


def test_elements_of_a_model_run_as_models_and_keep_their_keys() -> None:
    source = """
class Trainer:
    def __init__(self, model, optimizer):
        self.model = model
        self.optimizer = optimizer

    def step(self, z):
        for key in self.model:
            self.model[key].eval()
        return self.model["discriminator"](self.model["generator"](z))
"""
    ctx = _context(source)
    function = ctx.functions["step"][0]
    events = [(event.kind.value, event.target) for event in ctx.loops.function_events(function)]
    assert events == [
        ("eval", None),  # a variable key: which model is unknown
        ("forward", 'self.model["generator"]'),
        ("forward", 'self.model["discriminator"]'),
    ]


@pytest.mark.parametrize(
    ("call", "model"),
    [
        ('AutoModel.from_pretrained("bert-base-uncased")', True),
        ('AutoTokenizer.from_pretrained("bert-base-uncased")', False),
        ("config_class.from_pretrained(name)", False),
        ('AutoProcessor.from_pretrained("openai/clip-vit-base-patch32")', False),
    ],
)
def test_from_pretrained_makes_a_model_unless_it_loads_a_tokenizer_or_config(call: str, model: bool) -> None:
    ctx = _context(f"from transformers import AutoModel, AutoTokenizer, AutoProcessor\nthing = {call}\n")
    assert ctx.roles.has("thing", Role.MODEL) is model


@pytest.mark.parametrize(
    ("calls", "model"),
    [
        ("net.cuda()\nnet.eval()\n", True),  # switched to eval and moved: only modules do both
        ("net = net.to(device)\nnet.eval()\n", True),
        ("net.cuda()\n", False),  # a tensor moves too
        ("net.eval()\n", False),  # TensorFlow 1 tensors and sympy expressions have `eval()`
        ("net.to(device)\nnet.train()\n", False),  # `train()` is a common method of trainers and wrappers
    ],
)
def test_a_name_switched_to_eval_and_moved_to_a_device_is_a_model(calls: str, model: bool) -> None:
    ctx = _context(f"import torch\nfrom models import *\nnet = Darknet(cfg)\n{calls}")
    assert ctx.roles.has("net", Role.MODEL) is model


def test_a_wrappers_own_mode_switches_and_training_step_are_events_of_the_wrapper() -> None:
    source = """
import torch

class Wrapper:
    def __init__(self, net):
        self.net = net
        self.optimizer = torch.optim.SGD(self.net.parameters(), lr=0.1)

    def train_start(self):
        self.net.train()

    def val_start(self):
        self.net.eval()

    def eval_and_log(self):
        self.net.eval()
        print("evaluating")

    def train_step(self, x):
        self.optimizer.zero_grad()
        self.net(x).sum().backward()
        self.optimizer.step()

def run(model, loader):
    for x in loader:
        model.train_start()
        model.train_step(x)
        model.val_start()
        model.eval_and_log()
"""
    ctx = _context(source)
    (loop,) = [loop for loop in ctx.loops.loops if loop.function is ctx.functions["run"][0]]
    events = [(event.kind.value, event.target) for event in loop.events]
    # `eval_and_log` does more than switch modes: unknown, no event.
    assert events == [("train", "model"), ("train_step", "model"), ("eval", "model")]


def test_a_training_step_method_that_calls_a_method_of_the_same_name_does_not_recurse() -> None:
    source = """
import torch

class Trainer:
    def __init__(self, model):
        self.optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    def training_step(self, model, batches):
        for batch in batches:
            loss = model.training_step(batch)
            loss.backward()
            self.optimizer.step()
"""
    ctx = _context(source)
    (loop,) = ctx.loops.loops
    kinds = [event.kind.value for event in loop.events]
    assert "backward" in kinds and "step" in kinds


@pytest.mark.parametrize(
    ("call", "model"),
    [
        ("build_or_load_model(name, path)", True),
        ("build_lane_detection_model(args, 5)", True),
        ("get_model(cfg)", True),
        ("build_loader(cfg)", False),
        ("load_config(path)", False),
    ],
)
def test_a_model_factory_gives_the_model_role_in_a_file_that_never_trains(call: str, model: bool) -> None:
    ctx = _context(f"from project.build import *\nnet = {call}\nfor x in loader:\n    y = net(x)\n")
    assert ctx.roles.has("net", Role.MODEL) is model


def test_a_model_factory_name_is_not_trusted_in_a_training_file() -> None:
    source = "from project.build import get_model\nnet = get_model(cfg)\nloss = f(net)\nloss.backward()\n"
    assert not _context(source).roles.has("net", Role.MODEL)


@pytest.mark.parametrize(
    ("layer", "readied"),
    [("nn.BatchNorm2d(8)", True), ("nn.Dropout(0.5)", True), ("nn.ReLU()", False)],
)
def test_a_script_network_built_from_a_mode_dependent_class_is_readied_for_inference(
    layer: str, readied: bool
) -> None:
    source = f"""
import torch
from torch import nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.extra = {layer}

net = Net()
net = net.to("cuda")
for images in loader:
    out = net(images)
"""
    ctx = _context(source, "infer.py")
    assert bool(ctx.evaluation.script_inference_loops) is readied


def test_a_loading_helper_given_the_network_readies_it_and_optimizer_none_is_no_training() -> None:
    source = """
import torch
from utils import load_checkpoint, make
net = make()
load_checkpoint(net=net, optimizer=None, filename=path)
for images in loader:
    out = net(images)
"""
    ctx = _context(source, "infer.py")
    assert ctx.evaluation.never_trains
    assert not ctx.evaluation.script_inference_loops  # `make()` says nothing of a model
    ctx = _context(source.replace("make", "build_model"), "infer.py")
    assert len(ctx.evaluation.script_inference_loops) == 1


def test_an_eval_at_the_top_of_the_training_epoch_is_training_in_eval_mode() -> None:
    source = """
import torch
model = Net()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(3):
    model.eval()
    for x, y in loader:
        loss = torch.nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
"""
    modes = _context(source).modes
    [toggle] = modes.resumes_in_eval_mode()
    assert modes.trains_in_eval_mode(toggle)
    stepped_elsewhere = source.replace("SGD(model.parameters()", "SGD(head.parameters()")
    assert _context(stepped_elsewhere).modes.resumes_in_eval_mode() == []


_FIT = """import torch
from torch import nn


class Wrapper:
    def __init__(self):
        self.model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.1))
        self.opt = torch.optim.SGD(self.model.parameters(), 0.1)

    def fit(self, batches, val=None):
        self.model.train()
        for x in batches:
            self.opt.zero_grad()
            self.model(x).sum().backward()
            self.opt.step()
{after}
"""


_IF_EVAL = "        if val is not None:\n            self.model.eval()\n"
_ELSE = "        else:\n"
_EXCEPT_EVAL = "        except ValueError:\n            self.model.eval()\n"


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        ("", "train"),
        # skipped when there is no validation set: some run ends in training mode
        (_IF_EVAL, "train"),
        (_IF_EVAL + _ELSE + "            print(val)\n", "train"),
        ("        try:\n            print(val)\n" + _EXCEPT_EVAL, "train"),
        # every run ends in eval mode
        ("        self.model.eval()\n", "eval"),
        # both branches switch: no run skips the switch
        (_IF_EVAL + _ELSE + "            self.model.eval()\n", None),
        # a switch only under a condition, after an eval that always runs: unclear
        ("        self.model.eval()\n        if val is None:\n            self.model.train()\n", None),
    ],
)
def test_the_mode_a_training_method_may_leave_its_network_in(after: str, expected: str | None) -> None:
    """`modes._exit_mode`: TRAIN when the last switch that always runs is `train()` and some run skips
    every later one (an `if` whose other branch switches nothing, an `except`); EVAL when the last
    switch always runs and is `eval()`; otherwise unknown."""
    from nnlint.engine.bindings import method_of
    from nnlint.engine.modes import _exit_mode
    from nnlint.engine.project import Resolved

    ctx = _context(_FIT.format(after=after), "wrapper.py")
    cls = Resolved(ctx, ctx.index.nodes(cst.ClassDef)[0])
    fit = method_of(cls, "fit")
    assert fit is not None
    mode, trains, _ = _exit_mode(cls, fit, "model", 0)
    assert (mode, trains) == (expected, True)


_SUMMED_DICT = """
import torch
def train(model, loader, optimizer):
    totals, running = {}, {}
    for images, targets in loader:
        loss_dict = model(images, targets)
        total = sum(list(loss_dict.values())) / len(loss_dict)
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        {between}
        for name, value in {kept}.items():
            totals[name] += value
"""


@pytest.mark.parametrize(
    ("between", "kept", "found"),
    [
        ("pass", "loss_dict", True),
        # A dict holding the backpropagated sum and the summed entries (vis4d's retinanet test).
        ('losses = {"loss": total, **loss_dict}', "losses", True),
        # Entries replaced by numbers, or the dict rebuilt detached, before they are kept.
        ("for k in loss_dict: loss_dict[k] = loss_dict[k].item()", "loss_dict", False),
        ("loss_dict = {k: v.item() for k, v in loss_dict.items()}", "loss_dict", False),
        # A dict no sum reached.
        ("other = model.stats()", "other", False),
    ],
)
def test_entries_of_a_dict_summed_into_the_loss_carry_graphs(between: str, kept: str, found: bool) -> None:
    rule = rule_by_code_or_name("NN501")
    assert rule is not None
    source = _SUMMED_DICT.replace("{between}", between).replace("{kept}", kept)
    findings = check_source("t.py", source, [rule]).findings
    assert [f.location.row for f in findings] == ([13] if found else [])


_MOVING_AVERAGE = """
import torch

def train(model, loader, optimizer, criterion, n_epochs):
    ema = 0.0
    for epoch in range(n_epochs):
        for x, y in loader:
            loss = criterion(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        {update}
"""


@pytest.mark.parametrize(
    ("update", "found"),
    [
        # The old value weighed by a factor on either side, the loss term on either side.
        ("ema = 0.9 * ema + 0.1 * loss", True),
        ("ema = ema * 0.9 + loss * 0.1", True),
        ("ema = 0.1 * loss + 0.9 * ema", True),
        # A number, or the old value not kept (a plain blend of two losses), is no running total.
        ("ema = 0.9 * ema + 0.1 * loss.item()", False),
        ("ema = 0.9 * loss + 0.1 * loss", False),
        ("ema = 0.9 * ema - 0.1 * loss", False),
    ],
)
def test_moving_average_of_the_loss_read_after_an_inner_training_loop(update: str, found: bool) -> None:
    """The outer loop reads the last graph the inner training loop left in `loss` (gflownet's EMA for early
    stopping); a weighted old value keeps it as a plain sum does."""
    rule = rule_by_code_or_name("NN501")
    assert rule is not None
    findings = check_source("t.py", _MOVING_AVERAGE.replace("{update}", update), [rule]).findings
    assert [f.location.row for f in findings] == ([12] if found else [])


def test_moving_average_after_an_inner_loop_that_does_not_train_is_not_flagged() -> None:
    """An inner evaluation loop under `no_grad` leaves a loss without a graph: the outer average is a
    number's."""
    rule = rule_by_code_or_name("NN501")
    assert rule is not None
    source = """
import torch

def validate(model, loader, criterion, n_rounds):
    ema = 0.0
    for _ in range(n_rounds):
        with torch.no_grad():
            for x, y in loader:
                loss = criterion(model(x), y)
        ema = 0.9 * ema + 0.1 * loss
"""
    assert check_source("t.py", source, [rule]).findings == []


_STRING_MODE = """
import torch

def run_epoch(model, loader, optimizer, mode):
    for x, y in loader:
        loss = model(x).sum()
        if {test}:
            loss.backward()
            optimizer.step()

def fit(model, train_dl, valid_dl, optimizer):
    run_epoch(model, train_dl, optimizer, mode="train")
    run_epoch(model, valid_dl, None, mode="valid")
    run_epoch(model, valid_dl, None, "test")
    run_epoch(model, valid_dl, None, mode=MODE)
"""


@pytest.mark.parametrize(
    ("test", "evaluating"),
    [
        # a string mode selects the training step: every other literal string evaluates
        ('mode == "train"', ['mode="valid"', '"test"']),
        ('"train" == mode', ['mode="valid"', '"test"']),
        # a test the engine does not read (`!=`, `in`): no shared epoch function
        ('mode != "eval"', None),
        ('mode in ("train",)', None),
    ],
)
def test_string_mode_guard_selects_the_training_step(test: str, evaluating: list[str] | None) -> None:
    ctx = _context(_STRING_MODE.format(test=test))
    loop = next(loop for loop in ctx.loops.loops if loop.function is not None)
    found = ctx.evaluation.training_flag(loop)
    if evaluating is None:
        assert found is None
        return
    assert found is not None
    guard, _ = found
    assert (guard.flag, guard.trains_on) == ("mode", "train")
    calls = ctx.evaluation.calls_evaluating(loop.function, guard)  # type: ignore[arg-type]
    assert [ctx.module.code_for_node(call.args[-1]).strip(", ") for call in calls] == evaluating
