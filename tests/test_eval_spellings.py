"""Engine facts behind the evaluation spellings of held-out set 3 (nnlint.engine.evaluation, modes,
grad_mode, bindings): inference scripts that load weights, batches drawn from held-out data by a helper,
the mode as a per-network fact, generation methods, networks held in lists, and `no_grad` around a loss."""

from __future__ import annotations

import libcst as cst
import pytest

from nnlint.engine.bindings import class_hierarchy
from nnlint.engine.context import FileContext
from nnlint.engine.loops import EventKind
from nnlint.engine.modes import eval_built_class, mode_free_class
from nnlint.engine.positions import compute_ranges
from nnlint.engine.project import Resolved
from nnlint.engine.roles import Role
from nnlint.runner import check_source
from rules.eval_without_no_grad import EvalWithoutNoGrad
from rules.train_eval_mode import TrainEvalMode


def _context(source: str, path: str = "script.py") -> FileContext:
    return FileContext(path, source, cst.parse_module(source))


def _line(ctx: FileContext, node: cst.CSTNode) -> int:
    return compute_ranges(ctx.module, [node])[id(node)].start.line


def _class(ctx: FileContext, name: str) -> Resolved:
    return Resolved(ctx, next(c for c in ctx.index.nodes(cst.ClassDef) if c.name.value == name))


def _function(ctx: FileContext, name: str) -> cst.FunctionDef:
    return next(f for f in ctx.index.nodes(cst.FunctionDef) if f.name.value == name)


_BN_NET = """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3)
        self.norm = nn.BatchNorm2d(3)
"""


def test_a_predict_script_that_loads_weights_makes_one_inference_under_no_grad() -> None:
    ctx = _context(
        _BN_NET
        + """
def main(path, x):
    model = Net()
    model.load_state_dict(torch.load(path))
    with torch.no_grad():
        out = model(x)
    with torch.no_grad():
        toy = Net()(x)
    return out, toy
"""
    )
    blocks = ctx.evaluation.script_inference_blocks
    assert [ctx.module.code_for_node(block.body).strip().splitlines()[0] for block in blocks] == [
        "out = model(x)"
    ]
    assert [_line(ctx, node) for node in ctx.modes.evaluations_in_training_mode()] == [14]


def test_no_inference_block_in_a_file_that_trains() -> None:
    ctx = _context(
        _BN_NET
        + """
model = Net()
model.load_state_dict(torch.load("ckpt.pt"))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
with torch.no_grad():
    out = model(x)
"""
    )
    assert ctx.evaluation.script_inference_blocks == []


def test_a_script_loop_over_a_list_runs_a_loaded_model_as_inference() -> None:
    ctx = _context(
        _BN_NET
        + """
predictor = Net()
if kind == "a":
    predictor.load_state_dict(torch.load("a.pth"))
for f in features:
    out = predictor(f).detach()
for f in features:
    print(Net()(f))
"""
    )
    loops = ctx.evaluation.script_inference_loops
    assert [_line(ctx, loop.node) for loop in loops] == [14]


def test_a_no_grad_block_that_draws_a_held_out_batch_through_a_helper_evaluates() -> None:
    ctx = _context(
        """
import torch
for step, x in enumerate(train_loader):
    loss = model(x).sum()
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        xt = sample_random_batch(test_dset, batch_size=8).to(device)
        out = model(xt)
    with torch.no_grad():
        xb, yb = get_batch("val")
        out = model(xb)
    with torch.no_grad():
        xs = sample_random_batch(train_dset, batch_size=8)
        out = model(xs)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
"""
    )
    regions = [region for region in ctx.evaluation.regions if isinstance(region.node, cst.With)]
    assert [_line(ctx, region.node) for region in regions] == [7, 10]


def test_an_eval_of_one_network_leaves_another_parameter_network_in_training_mode() -> None:
    source = """
import torch

class Pred(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = torch.nn.Dropout(0.5)

@torch.no_grad()
def test(model, predictor, x):
    model.eval()
    return predictor(model(x))

predictor = Pred()
for epoch in range(3):
    model.train()
    predictor.train()
    for x in loader:
        optimizer.zero_grad()
        predictor(model(x)).sum().backward()
        optimizer.step()
    test(model, {second}, x)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
"""
    apart = _context(source.replace("{second}", "predictor"))
    (found,) = apart.modes.evaluations_in_training_mode()
    assert _line(apart, found) == 12
    assert apart.modes.switched_instead(found) == ("predictor", "model")  # named in the message
    # The caller hands in the model's own head: `model.eval()` switched it too.
    nested = _context(source.replace("{second}", "model.head"))
    assert nested.modes.evaluations_in_training_mode() == []
    # A parameter the function rebinds is another object, whose mode is not known here.
    rebound = _context(
        source.replace("{second}", "predictor").replace(
            "    model.eval()\n", "    model.eval()\n    predictor = wrap(predictor)\n"
        )
    )
    assert rebound.modes.evaluations_in_training_mode() == []


def test_generation_methods_are_methods_named_for_it_that_no_training_method_calls() -> None:
    ctx = _context(
        _BN_NET
        + """
class Synth:
    def fit(self, data):
        self.gen = Net()
        opt = torch.optim.Adam(self.gen.parameters())
        for batch in data:
            opt.zero_grad()
            self.gen(batch).sum().backward()
            opt.step()
            self.sample_rollout(batch)

    def sample(self, n):
        return self.gen(torch.randn(n, 3))

    def sample_rollout(self, batch):
        return self.gen(batch)

    def summary(self):
        return self.gen(torch.zeros(1, 3))
"""
    )
    assert [f.name.value for f in ctx.evaluation.generation_methods] == ["sample"]
    assert [_line(ctx, node) for node in ctx.modes.evaluations_in_training_mode()] == [22]


def test_a_sample_method_that_indexes_its_own_storage_at_random_is_no_generation() -> None:
    """A replay buffer's `sample(n)` indexes its stored arrays with indices it draws (denisyarats/drq
    replay_buffer.py): a training batch handed out through its augmentation, not generation. A sampler
    that indexes its own table with a loop counter, or draws noise for its network, still generates."""
    ctx = _context(
        _BN_NET
        + """
import numpy as np

class Buffer:
    def __init__(self):
        self.aug = Net()
        self.obs = np.zeros((100, 3))

    def sample(self, n):
        idxs = np.random.randint(0, 100, size=n)
        return self.aug(torch.as_tensor(self.obs[idxs]))

class Synth:
    def __init__(self):
        self.gen = Net()
        self.scales = [1.0, 2.0]

    def sample(self, n):
        out = []
        for i in range(2):
            out.append(self.gen(torch.randn(n, 3) * self.scales[i]))
        return out
"""
    )
    assert [ctx.enclosing_class(f).name.value for f in ctx.evaluation.generation_methods] == ["Synth"]


def test_a_list_of_networks_built_in_init_is_in_training_mode_in_every_method() -> None:
    ctx = _context(
        """
import torch
import torch.nn as nn
from abc import ABC

class QNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.1)

class Base(ABC):
    pass

class Agent(Base):
    def __init__(self):
        self.q_nets = [QNet().to("cpu") for _ in range(2)]

    @torch.no_grad()
    def eval(self, obs):
        return self.q_nets[0](obs)
"""
    )
    assert [cls.node.name.value for cls in class_hierarchy(_class(ctx, "Agent")) or []] == ["Agent", "Base"]
    forward = next(
        event
        for event in ctx.loops.function_events(_function(ctx, "eval"))
        if event.kind is EventKind.FORWARD
    )
    assert forward.target == "self.q_nets[0]"
    assert [_line(ctx, node) for node in ctx.modes.evaluations_in_training_mode()] == [20]


def test_mode_free_models_read_recurrent_dropout_by_position_and_containers_by_what_they_hold() -> None:
    ctx = _context(
        """
import torch
import torch.nn as nn

class Tutorial(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(28, 128, 2, batch_first=True)
        self.fc = nn.Linear(128, 10)
        self.scale = nn.Parameter(torch.ones(10))

    def forward(self, x):
        h0 = torch.zeros(2, x.size(0), 128).to(x.device)
        return self.fc(self.lstm(x, (h0, h0))[0])

class Stacked(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(28, 128, 2, True, True, 0.3)

class Given(nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.seq = nn.Sequential(*layers)

class Built(nn.Module):
    def __init__(self):
        super().__init__()
        layers = [nn.Linear(4, 4), nn.ReLU()]
        self.seq = nn.Sequential(*layers)
"""
    )
    verdicts = {
        name: mode_free_class(_class(ctx, name)) for name in ("Tutorial", "Stacked", "Given", "Built")
    }
    assert verdicts == {"Tutorial": True, "Stacked": False, "Given": False, "Built": True}


def test_no_grad_around_the_loss_module_only_leaves_the_forward_recording() -> None:
    source = """
import torch

class FocalLoss(torch.nn.Module):
    pass

def run(model, loader, is_train):
    focal = FocalLoss()
    for batch in loader:
        pred = model(batch.x)
        if is_train:
            loss = focal(pred, batch.y)
            loss.backward()
            optimizer.step()
        else:
            with torch.no_grad():
                loss = focal(pred, batch.y)

run(model, train_loader, True)
run(model, valid_loader, False)
"""
    ctx = _context(source)
    loop = ctx.loops.loops[0]
    guard, bodies = ctx.evaluation.training_flag(loop) or (None, frozenset())
    assert guard is not None and guard.flag == "is_train"
    assert [event.target for event in ctx.grad_mode.records_forward(loop, skipping=bodies)] == ["model"]
    # The same block around the model's forward is the author's choice of grad mode.
    chosen = _context(
        source.replace("pred = model(batch.x)", "with torch.no_grad():\n            pred = model(batch.x)")
    )
    loop = chosen.loops.loops[0]
    _, bodies = chosen.evaluation.training_flag(loop) or ("", frozenset())
    assert chosen.grad_mode.records_forward(loop, skipping=bodies) == []


def test_the_evaluation_function_with_a_per_batch_no_grad_is_reported_at_its_forward() -> None:
    ctx = _context(
        """
import torch

def val(net, loader):
    total = 0
    for x, y in loader:
        with torch.no_grad():
            total += (net(x).argmax(1) == y).sum().item()
    return total

def evaluate(net, loader):
    with torch.no_grad():
        for x, y in loader:
            net(x)

net.train()
for epoch in range(3):
    for x, y in train_loader:
        optimizer.zero_grad()
        net(x).sum().backward()
        optimizer.step()
    val(net, val_loader)
    evaluate(net, val_loader)
optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
"""
    )
    found = ctx.modes.evaluations_in_training_mode()
    # `val`: the forward (its `no_grad` is opened per batch); `evaluate`: the `no_grad` around its loop.
    assert sorted(_line(ctx, node) for node in found) == [8, 12]


def test_a_train_call_right_before_a_scripts_single_inference_is_the_line_to_change() -> None:
    ctx = _context(
        _BN_NET
        + """
def main(path, x):
    model = Net()
    model.load_state_dict(torch.load(path))
    model.train()
    with torch.no_grad():
        out = model(x)
    print(out)
"""
    )
    assert [
        (_line(ctx, toggle), _line(ctx, start)) for toggle, start in ctx.modes.trains_for_inference()
    ] == [(14, 15)]
    assert ctx.modes.evaluations_in_training_mode() == []


def test_a_chain_that_switches_the_module_it_returns_switches_the_name_bound_to_it() -> None:
    ctx = _context(
        _BN_NET
        + """
def main(device, flag):
    model = Net().to(device).eval()
    encoder = Net()
    encoder = encoder.cuda().train(False)
    decoder = Net().eval().train()
    other = Net().train(flag)
    same = Net()
    same = same.eval()
"""
    )
    events = [
        (event.kind, event.target)
        for event in ctx.loops.function_events(_function(ctx, "main"))
        if event.kind in (EventKind.EVAL, EventKind.TRAIN)
    ]
    assert (EventKind.EVAL, "model") in events
    assert (EventKind.EVAL, "encoder") in events
    assert (EventKind.TRAIN, "decoder") in events and (EventKind.EVAL, "decoder") not in events
    assert not [target for _, target in events if target == "other"]  # a flag nothing can read
    assert events.count((EventKind.EVAL, "same")) == 1  # the switch's own event names it


_MLP_SCRIPT = """
import torch
import torch.nn as nn

layers = []
for hidden in [32, 16]:
    layer = nn.Linear(8, hidden)
    layers.append(layer)
    layers.append(nn.ReLU())
LAST
model = nn.Sequential(*layers)
optimizer = torch.optim.Adam(model.parameters())
for x, y in train_loader:
    optimizer.zero_grad()
    nn.functional.cross_entropy(model(x), y).backward()
    optimizer.step()
with torch.no_grad():
    print(model(x_test).mean())
"""


@pytest.mark.parametrize(
    ("last", "reported"),
    [
        ("layers.append(nn.Linear(16, 2))", False),  # Linear and ReLU only: no mode to be wrong in
        ("layers.extend([nn.Linear(16, 2), nn.Sigmoid()])", False),
        ("layers.append(nn.Dropout(0.5))", True),  # a dropout in the list: the mode matters
        ("layers.append(make_head())", True),  # a layer from a helper: unknown
        ("layers += [nn.Linear(16, 2)]", True),  # grown another way: unknown
        ("configure(layers)", True),  # handed elsewhere: unknown
    ],
)
def test_a_sequential_of_mode_free_layers_built_in_sight_has_no_mode(last: str, reported: bool) -> None:
    """rasbt/machine-learning-book ch13_part2.py builds its MLP by appending Linear and ReLU layers in a
    loop and evaluates it under no_grad without eval(): silent, since no layer it holds has a mode."""
    ctx = _context(_MLP_SCRIPT.replace("LAST", last))
    assert bool(ctx.modes.evaluations_in_training_mode()) is reported


_HELD_BLOCKS = """
import torch.nn as nn

class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.conv = nn.Conv2d(dim, dim, 3, padding=1)
        self.extra = EXTRA

    def forward(self, x):
        return self.extra(self.conv(x))

class Stack(nn.Module):
    def __init__(self, dim, n):
        super().__init__()
        self.layers = nn.ModuleList()
        for _ in range(n):
            self.layers.append(Block(dim))
        self.head = nn.ModuleList([nn.Conv2d(dim, 1, 1)])

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x)
        return self.head[0](x)
"""


@pytest.mark.parametrize(("extra", "free"), [("nn.ReLU()", True), ("nn.Dropout(0.1)", False)])
def test_a_model_running_its_own_module_list_elements_is_judged_by_them(extra: str, free: bool) -> None:
    """`for i, layer in enumerate(self.layers): x = layer(x)` and `self.head[0](x)` run submodules the class
    builds, like `self.conv(x)` (GatedPixelCNN at ritheshkumar95/pytorch-vqvae modules.py): mode-free when
    what it builds is, and not when a block holds a dropout."""
    ctx = _context(_HELD_BLOCKS.replace("EXTRA", extra))
    assert mode_free_class(_class(ctx, "Stack")) is free


def _encoder_example() -> str:
    """NN404's VALID example of a from-scratch transformer encoder (HuangHaoyu1997/DeepSymbolic)."""
    return next(example for example in TrainEvalMode.VALID if "class Attention" in example)


@pytest.mark.parametrize(("activation", "free"), [("nn.ReLU()", True), ("nn.Dropout(0.1)", False)])
def test_a_module_built_and_run_in_place_and_a_layer_of_project_blocks_are_judged_by_what_they_build(
    activation: str, free: bool
) -> None:
    """HuangHaoyu1997/DeepSymbolic core/trans.py: `nn.Softmax(dim=-1)(scores)` runs a module built in
    place, judged by that construction; a block made only of project blocks builds its layers through
    them. A dropout built in place makes the feed-forward block, and all that holds it, mode-dependent."""
    source = _encoder_example()
    assert "nn.ReLU()(" in source
    ctx = _context(source.replace("nn.ReLU()(", f"{activation}("))
    assert mode_free_class(_class(ctx, "Attention"))
    for name in ("FeedForward", "Block", "Encoder"):
        assert mode_free_class(_class(ctx, name)) is free


def test_a_class_that_builds_only_a_settings_object_builds_no_layer_in_sight() -> None:
    """A project class built in the body counts as a block of layers only when it holds parameters or
    submodules: a settings object does not, so a network whose layers are handed in stays unknown."""
    ctx = _context(
        """
import torch.nn as nn

class Settings:
    def __init__(self, width):
        self.width = width

class Net(nn.Module):
    def __init__(self, layers, width):
        super().__init__()
        self.settings = Settings(width)
        self.layers = layers

    def forward(self, x):
        return self.layers(x)
"""
    )
    assert not mode_free_class(_class(ctx, "Net"))


def test_a_no_grad_block_spelled_in_a_module_that_never_imports_torch_sets_the_grad_mode() -> None:
    """skj092/LeafDiseaseClassification engine.py: a draft module without `import torch` validates
    inside `with torch.no_grad():`; the spelled setter is the author's choice. A name the module binds
    itself (`torch = Stub()`) is no such setter."""
    body = """
def validate(model, loader):
    with torch.no_grad():
        for x in loader:
            out = model(x)
    return out
"""
    for prefix, managed in (("", True), ("torch = Stub()\n", False)):
        ctx = _context(prefix + body)
        call = next(c for c in ctx.index.nodes(cst.Call) if ctx.dotted(c.func) == "model")
        assert ctx.grad_mode.managed(call) is managed


@pytest.mark.parametrize(
    ("chain", "records"),
    [(".cpu().numpy()", False), (".squeeze(1).numpy()", False), (".detach().cpu().numpy()", True)],
)
def test_a_forward_whose_output_goes_straight_to_numpy_runs_with_recording_off(
    chain: str, records: bool
) -> None:
    """rdz98/bprmf-pytorch data.py: `.numpy()` raises on a tensor that requires grad, so a loop that
    converts the model's output straight to numpy runs under a grad mode its callers chose; `.detach()`
    on the way proves nothing."""
    source = f"""
def evaluate(model, batches):
    scores = []
    for x in batches:
        scores.append(model(x){chain})
    return scores
"""
    ctx = _context(source)
    loop = ctx.loops.loop(next(iter(ctx.index.nodes(cst.For))))
    assert bool(ctx.grad_mode.records_forward(loop)) is records


def test_a_project_loss_module_run_in_validation_is_not_the_evaluated_model() -> None:
    """StyleTTS2's validation loss is a project `nn.Module` named for a loss that nothing switches: only the
    network's mode matters. The near-miss, the network's own `eval()` left out, is still reported."""
    source = next(example for example in TrainEvalMode.VALID if "band_loss = BandLoss().cuda()" in example)
    assert check_source("train.py", source, [TrainEvalMode]).findings == []
    near_miss = source.replace("        net.eval()\n", "")
    assert [f.location.row for f in check_source("train.py", near_miss, [TrainEvalMode]).findings] == [38]


_FIT_ONE_EPOCH = """
import torch


def fit_one_epoch(model_train, ema, loss_fn, optimizer, gen, gen_val):
    model_train.train()
    for images, targets in gen:
        optimizer.zero_grad()
        loss = loss_fn(model_train(images), targets)
        loss.backward()
        optimizer.step()
    if ema:
        model_eval = {first}
    else:
        model_eval = {second}
    for images, targets in gen_val:
        with torch.no_grad():
            loss = loss_fn(model_eval(images), targets)
"""


@pytest.mark.parametrize(
    ("first", "second", "rows"),
    [
        # bubbliiiing's YOLO fit loops: an EMA copy or the trained model switched to eval, no new module.
        ("ema.ema", "model_train.eval()", []),
        ("ema.ema.eval()", "model_train.eval()", []),
        # The same module on both branches (`half()`, `float()`): still in the mode training left.
        ("model_train.half()", "model_train.float()", [16]),
        ("model_train.half()", "model_train.eval()", []),
    ],
)
def test_a_name_bound_on_two_branches_from_existing_modules_is_no_new_module(
    first: str, second: str, rows: list[int]
) -> None:
    source = _FIT_ONE_EPOCH.format(first=first, second=second)
    findings = check_source("fit.py", source, [TrainEvalMode]).findings
    assert [f.location.row for f in findings if f.code == "NN404"] == rows


# -- Lightning's `load_from_checkpoint` (openspeech's hydra_eval.py) ---------------------------------------

_LIGHTNING_INFERENCE = """import torch

from models import SpeechModel, SpeechData


def main(checkpoint, test_loader):
    data = SpeechData.load_from_checkpoint(checkpoint)
    model = SpeechModel.load_from_checkpoint(checkpoint){moved}
{switch}    with torch.no_grad():
        for inputs, targets in test_loader:
            outputs = model(inputs.to("cuda"))
            print((outputs.argmax(-1) == targets).float().mean())
"""


def test_load_from_checkpoint_binds_a_model_with_trained_weights() -> None:
    """`X.load_from_checkpoint(path)` builds a module and loads its weights (a data module's does not)."""
    ctx = _context(_LIGHTNING_INFERENCE.format(moved="", switch=""))
    assert ctx.roles.has("model", Role.MODEL) and not ctx.roles.has("data", Role.MODEL)
    main = next(f for f in ctx.index.nodes(cst.FunctionDef) if f.name.value == "main")
    assert ctx.evaluation.loads_weights(main, "model")


@pytest.mark.parametrize(
    ("moved", "switch", "rows"),
    [
        ("", "", [9]),
        ('.to("cuda")', "", [9]),
        ("", "    model.eval()\n", []),
        # Lightning's `freeze()` calls `self.eval()`, also through `.to(device)`.
        ("", "    model.freeze()\n", []),
        ('.to("cuda")', "    model.freeze()\n", []),
    ],
)
def test_a_lightning_checkpoint_loaded_for_inference_is_in_training_mode(
    moved: str, switch: str, rows: list[int]
) -> None:
    source = _LIGHTNING_INFERENCE.format(moved=moved, switch=switch)
    ctx = _context(source)
    freeze = [e for f in ctx.index.nodes(cst.FunctionDef) for e in ctx.loops.function_events(f)]
    if "freeze" in switch:
        assert [(e.kind, e.target) for e in freeze if e.kind is EventKind.EVAL] == [(EventKind.EVAL, "model")]
    findings = check_source("script.py", source, [TrainEvalMode]).findings
    assert [f.location.row for f in findings] == rows


_VOCODER = """
import torch.nn as nn


class Identity(nn.Module):
    def __init__(self):
        super(Identity, self).__init__()

    def forward(self, x):
        return x


class ResStack(nn.Module):
    def __init__(self, channel):
        super(ResStack, self).__init__()
        self.blocks = nn.ModuleList([nn.Sequential(nn.LeakyReLU(0.2), nn.Conv1d(channel, channel, 3))])
        self.shortcuts = nn.ModuleList([nn.utils.weight_norm(nn.Conv1d(channel, channel, 1))])

    def forward(self, x):
        for block, shortcut in zip(self.blocks, self.shortcuts):
            x = shortcut(x) + block(x)
        return x

    def remove_weight_norm(self):
        for shortcut in self.shortcuts:
            nn.utils.remove_weight_norm(shortcut)


class Generator(nn.Module):
    def __init__(self):
        super(Generator, self).__init__()
        self.stack = ResStack(8)
        self.skip = Identity()

    def forward(self, x):
        return self.skip(self.stack(x))

    def eval(self, inference=False):
        super(Generator, self).eval()
        if inference:
            self.stack.remove_weight_norm()
"""


def test_a_vocoder_with_zipped_blocks_an_old_style_super_and_an_eval_override_has_no_mode() -> None:
    """seungwonpark/melgan: `ResStack` runs blocks unpacked from `zip(self.blocks, self.shortcuts)` (as
    HiFi-GAN's `ResBlock1` runs `zip(self.convs1, self.convs2)`, NVIDIA/radtts hifigan_models.py), the
    layer-free `Identity` calls `super(Identity, self).__init__()` (HobbitLong/RepDistiller's `Normalize`),
    and the generator overrides `eval(self, inference=False)` with the base's switch plus weight-norm
    removal: all mode-free, so an `eval()` left in force changes nothing."""
    ctx = _context(_VOCODER)
    verdicts = {name: mode_free_class(_class(ctx, name)) for name in ("Identity", "ResStack", "Generator")}
    assert verdicts == {"Identity": True, "ResStack": True, "Generator": True}


@pytest.mark.parametrize(
    ("change", "free"),
    [
        ("super(Generator, self).eval()", False),  # an override that never makes the base's switch
        ("super(Generator, self).eval(); self.p = 0.0", False),  # state the forward may read
        ("super(Generator, self).eval(); setattr(self, 'p', 0.0)", False),
        ("super(Generator, self).eval(); [q.requires_grad_(False) for q in self.parameters()]", False),
    ],
)
def test_an_eval_override_is_the_ordinary_switch_only_when_it_calls_the_base_and_sets_nothing(
    change: str, free: bool
) -> None:
    """An override that skips `super().eval()`, or assigns state (NeuralForceField's SpookyNet sets
    `param.requires_grad = False` in its `eval()`), is unknown: its class stays mode-dependent."""
    source = _VOCODER.replace("        super(Generator, self).eval()\n", f"        {change}\n")
    if change == "super(Generator, self).eval()":
        source = source.replace("super(Generator, self).eval()\n", "self.stack.remove_weight_norm()\n", 1)
    ctx = _context(source)
    assert mode_free_class(_class(ctx, "Generator")) is free


def test_an_eval_override_that_freezes_parameters_by_assignment_is_unknown() -> None:
    source = _VOCODER.replace(
        "        if inference:\n",
        "        for param in self.parameters():\n"
        "            param.requires_grad = False\n"
        "        if inference:\n",
    )
    ctx = _context(source)
    assert not mode_free_class(_class(ctx, "Generator"))


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("model.module if ddp else model", "model"),
        ("self.net if eager else self.net._orig_mod", "self.net"),
        ("(model.module if ddp else model).eval", "model.eval"),
        ("model if ddp else ema_model", None),
        ("model.module if ddp else model.encoder", None),
    ],
)
def test_a_conditional_between_an_object_and_its_wrapper_view_names_the_object(
    source: str, name: str | None
) -> None:
    from nnlint.engine.names import dotted_name

    assert dotted_name(cst.parse_expression(source)) == name


@pytest.mark.parametrize(("binding", "free"), [("encoder", False), ("nn.Linear(8, 8)", True)])
def test_a_module_the_class_is_handed_and_runs_is_unknown(binding: str, free: bool) -> None:
    """Spijkervet/SimCLR modules/simclr.py: `self.encoder = encoder` (the ResNet it is given, BatchNorm
    and all) next to a linear projector and a layer-free `Identity`: running the handed module leaves the
    class unknown; a module it builds itself is judged by what it is."""
    ctx = _context(
        f"""
import torch.nn as nn

class Identity(nn.Module):
    def __init__(self):
        super(Identity, self).__init__()

    def forward(self, x):
        return x

class SimCLR(nn.Module):
    def __init__(self, encoder, n_features):
        super(SimCLR, self).__init__()
        self.encoder = {binding}
        self.encoder.fc = Identity()
        self.projector = nn.Sequential(nn.Linear(n_features, 8), nn.ReLU())

    def forward(self, x):
        return self.projector(self.encoder(x))
"""
    )
    assert mode_free_class(_class(ctx, "SimCLR")) is free


_TF_AND_TORCH = """
import numpy as np
import torch
import tensorflow as tf

def evaluate_tf(model, loader):
    outputs = []
    for x in loader:
        outputs.append(model(x, training=False))
    return tf.stack(outputs)

def evaluate_pt(model, loader):
    outputs = []
    for x in loader:
        outputs.append(model(x.cuda()))
    tf.summary.scalar("n", len(outputs))
    return outputs

def evaluate_mixed(model, loader):
    outputs = []
    for x in loader:
        outputs.append(model(x))
    return torch.stack(outputs), tf.constant(0)
"""


def test_a_loop_of_tensorflow_code_records_no_torch_graph() -> None:
    """Only the loop whose nearest framework-naming block names TensorFlow alone is another framework's:
    a torch-only tensor method (`.cuda()`), TensorBoard's `tf.summary` or a torch op beside it keep the
    loop torch code."""
    ctx = _context(_TF_AND_TORCH)
    by_function = {ctx.enclosing_function(loop).name.value: loop for loop in ctx.index.nodes(cst.For)}
    assert ctx.grad_mode.other_framework(by_function["evaluate_tf"])
    assert not ctx.grad_mode.other_framework(by_function["evaluate_pt"])
    assert not ctx.grad_mode.other_framework(by_function["evaluate_mixed"])
    findings = check_source("evaluate.py", _TF_AND_TORCH, [EvalWithoutNoGrad]).findings
    assert [finding.location.row for finding in findings] == [14, 21]


def test_a_file_without_another_framework_has_no_framework_marks() -> None:
    ctx = _context(_TF_AND_TORCH.replace("import tensorflow as tf", "import numpy as tf"))
    assert not any(ctx.grad_mode.other_framework(loop) for loop in ctx.index.nodes(cst.For))


_SCORER = """
import torch
from transformers import AutoModel, AutoProcessor

class PickScore(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.processor = AutoProcessor.from_pretrained("laion/CLIP-ViT-H-14")
        self.model = AutoModel.from_pretrained("yuvalkirstain/PickScore_v1").eval().to("cuda")

    def forward(self, image, prompt):
        return self.model(**self.processor(images=image, text=prompt, return_tensors="pt")).logits

reward_model = PickScore()

def evaluate_noise(noise, pipe, reward_model, prompt):
    image = pipe(prompt=prompt, initial_noise=noise)
    score = reward_model(image, prompt)
    return score

print(evaluate_noise(noise, pipe, reward_model, "a cat"))
"""


_DROPOUT_HEAD = "        self.head = torch.nn.Dropout(0.1)\n        self.model = Auto"


@pytest.mark.parametrize(
    ("change", "flagged"),
    [
        (("", ""), False),
        (('.eval().to("cuda")', '.to("cuda")'), True),  # the network is left as loaded: unknown
        (("reward_model = PickScore()", "reward_model = PickScore()\nreward_model.train()"), True),
        (("        self.model = Auto", _DROPOUT_HEAD), True),  # a layer of its own, in training mode
    ],
)
def test_a_wrapper_whose_constructor_switches_its_network_to_eval_runs_in_eval(
    change: tuple[str, str], flagged: bool
) -> None:
    """DiffSynth-Studio's PickScore: the wrapper's only network is built with `.eval()`; a new instance
    runs in eval mode while nothing switches it to training (`modes.eval_built_class`)."""
    source = _SCORER.replace(*change) if change[0] else _SCORER
    findings = check_source("scaling.py", source, [TrainEvalMode]).findings
    assert bool(findings) is flagged


def test_an_eval_built_scorer_may_keep_settings_and_move_its_network_again() -> None:
    """FastVideo's PickScoreScorer: keyword settings with torch defaults (`dtype=torch.float32`) and
    `self.model = self.model.to(dtype=dtype)` after the `.eval()`; a transform from a project helper is
    unknown."""
    source = """
import torch
from transformers import AutoModel, AutoProcessor

class PickScoreScorer(torch.nn.Module):
    def __init__(self, *, device="cuda", dtype: torch.dtype = torch.float32):
        super().__init__()
        self.device = torch.device(device)
        self.dtype = dtype
        self.processor = AutoProcessor.from_pretrained("laion/CLIP-ViT-H-14")
        self.model = AutoModel.from_pretrained("yuvalkirstain/PickScore_v1").eval().to(self.device)
        self.model = self.model.to(dtype=dtype)

    def forward(self, images, prompts):
        return self.model(**self.processor(images=images, text=prompts, return_tensors="pt")).logits

class ClipScoreScorer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.model = AutoModel.from_pretrained("openai/clip-vit-large-patch14").eval()
        self.transform = get_frame_transform(self.model)

    def forward(self, images):
        return self.model(self.transform(images))
"""
    ctx = _context(source)
    assert eval_built_class(_class(ctx, "PickScoreScorer"))
    assert not eval_built_class(_class(ctx, "ClipScoreScorer"))
