"""The engine's shared analyses: positions, names, roles and the training-loop events."""

from __future__ import annotations

import textwrap

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from nnlint.engine.context import FileContext
from nnlint.engine.loops import EventKind
from nnlint.engine.positions import compute_ranges
from nnlint.engine.roles import Role


def context(source: str) -> FileContext:
    source = textwrap.dedent(source)
    return FileContext("t.py", source, cst.parse_module(source))


def test_positions_match_libcst_position_provider() -> None:
    source = textwrap.dedent(
        """
        import torch  # comment
        def f(x):
            y = (x.view(2, 3)
                 .permute(1, 0))
            return [torch.softmax(y, dim=-1), (y)]
        class C:
            @property
            def g(self): return 1
        """
    )
    module = cst.parse_module(source)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    nodes = [node for node in expected if isinstance(node, (cst.Call, cst.Name, cst.Return, cst.FunctionDef))]
    ours = compute_ranges(module, nodes)
    assert len(ours) == len(nodes) > 10
    for node in nodes:
        assert ours[id(node)] == expected[node], module.code_for_node(node)


def test_qualified_names_through_aliases() -> None:
    ctx = context(
        """
        import torch.nn as nn
        from torch.nn import functional as F
        from torch import optim
        from torch.optim.lr_scheduler import StepLR as S
        import torch
        a = nn.CrossEntropyLoss()
        b = F.softmax(x)
        c = optim.SGD(p)
        d = S(c)
        e = torch.nn.functional.relu(x)
        f = local.thing()
        """
    )
    calls = {ctx.dotted(call.func): ctx.callee(call) for call in ctx.index.nodes(cst.Call)}
    assert calls["nn.CrossEntropyLoss"] == "torch.nn.CrossEntropyLoss"
    assert calls["F.softmax"] == "torch.nn.functional.softmax"
    assert calls["optim.SGD"] == "torch.optim.SGD"
    assert calls["S"] == "torch.optim.lr_scheduler.StepLR"
    assert calls["torch.nn.functional.relu"] == "torch.nn.functional.relu"
    assert calls["local.thing"] is None


def test_roles_of_a_parallel_assignment_by_position() -> None:
    ctx = context(
        """
        import torch
        class Trainer:
            def __init__(self, model, optimizer, lr):
                self.model, (self.optimizer, self.lr) = model, (optimizer, lr)
                a, b = torch.optim.SGD(model.parameters()), *rest
        """
    )
    roles = ctx.roles
    assert roles.of("self.model") == {Role.MODEL}
    assert roles.of("self.optimizer") == {Role.OPTIMIZER}
    assert not roles.of("self.lr") and not roles.of("a")  # a starred display is not matched by position


def test_roles_from_constructors_uses_and_parameters() -> None:
    ctx = context(
        """
        import torch
        from torch import nn
        class Net(nn.Module):
            pass
        class Deeper(Net):
            pass
        model = Deeper().to("cuda")
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        sched = torch.optim.lr_scheduler.StepLR(opt, 30)
        self.criterion = nn.CrossEntropyLoss()
        loader = torch.utils.data.DataLoader(ds, shuffle=True)
        scaler = torch.cuda.amp.GradScaler()
        def train(net, optimizer):
            out = net(x)
            loss = self.criterion(out, y)
            total = loss + 0.1 * aux
            total.backward()
        """
    )
    roles = ctx.roles
    assert roles.has("model", Role.MODEL)
    assert roles.has("opt", Role.OPTIMIZER)
    assert roles.has("sched", Role.SCHEDULER)
    assert roles.constructor_name("sched") == "torch.optim.lr_scheduler.StepLR"
    assert roles.has("self.criterion", Role.CRITERION)
    assert roles.has("loader", Role.LOADER)
    assert roles.has("scaler", Role.SCALER)
    assert roles.has("net", Role.MODEL)
    assert roles.has("optimizer", Role.OPTIMIZER)
    assert roles.has("loss", Role.LOSS) and roles.has("total", Role.LOSS)
    assert not roles.has("out", Role.LOSS)


def test_loop_events_in_order_through_helpers() -> None:
    ctx = context(
        """
        import torch
        model = Net()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        scaler = torch.cuda.amp.GradScaler()
        def update(opt):
            scaler.unscale_(opt)
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            scaler.step(opt)
        for epoch in range(10):
            model.train()
            for i, (x, y) in enumerate(loader):
                optimizer.zero_grad()
                loss = criterion(model(x), y)
                scaler.scale(loss).backward()
                if (i + 1) % 4 == 0:
                    update(optimizer)
            with torch.no_grad():
                model.eval()
        """
    )
    loops = ctx.loops.loops
    epoch = next(loop for loop in loops if ctx.dotted(loop.node.target) == "epoch")
    batch = next(loop for loop in loops if loop.iterates == "loader")
    kinds = [event.kind for event in batch.own_events]
    assert kinds == [
        EventKind.ZERO_GRAD,
        EventKind.FORWARD,
        EventKind.BACKWARD,
        EventKind.UNSCALE,
        EventKind.CLIP,
        EventKind.STEP,
    ]
    step = batch.of_kind(EventKind.STEP)[0]
    assert step.target == "optimizer" and step.conditional and step.via == ("update",)
    assert batch.of_kind(EventKind.BACKWARD)[0].target == "loss"
    assert batch.kind == "batch" and batch.trains
    assert epoch.kind == "epoch" and not epoch.trains
    eval_event = epoch.of_kind(EventKind.EVAL)[0]
    assert eval_event.no_grad and eval_event.target == "model"


def test_deepspeed_shards_but_never_sets_sampler_epochs() -> None:
    """DeepSpeed is a framework that shards (NN602 leaves its files alone) but its library never calls
    `set_epoch`, so NN603 still asks about its files' samplers; accelerate does both."""
    deepspeed = context("import deepspeed\nfrom torch.utils.data import DistributedSampler\n").data_loading
    assert deepspeed.framework_managed and not deepspeed.framework_sets_epochs
    accelerate = context("from accelerate import Accelerator\n").data_loading
    assert accelerate.framework_managed and accelerate.framework_sets_epochs
    plain = context("import torch\n").data_loading
    assert not plain.framework_managed and not plain.framework_sets_epochs


def test_samplers_built_beside_their_epoch_loop_are_reported_there_once() -> None:
    """NN603 reports a sampler built in the function (or module body) of the one epoch loop that follows it
    at that loop, where `set_epoch` goes (minimind's train_pretrain.py); two such samplers give one finding
    with both as related locations. A sampler built in a helper stays the finding's place."""
    from nnlint.rules.ddp_sampler_set_epoch import DdpSamplerSetEpoch

    from nnlint.runner import check_source

    body = (
        "    for epoch in range(epochs):\n"
        "        for (x, y), (u, _) in zip(labeled, unlabeled):\n"
        "            (criterion(model(x), y) + model(u).sum()).backward()\n"
        "            optimizer.step()\n"
        "            optimizer.zero_grad()\n"
    )
    beside = (
        "import torch\n"
        "from torch.utils.data import DataLoader, DistributedSampler\n"
        "def main(train_set, extra_set, epochs):\n"
        "    labeled = DataLoader(train_set, sampler=DistributedSampler(train_set))\n"
        "    unlabeled = DataLoader(extra_set, sampler=DistributedSampler(extra_set))\n" + body
    )
    findings = [f for f in check_source("t.py", beside, [DdpSamplerSetEpoch]).findings if f.code == "NN603"]
    assert [(f.location.row, [r.location.row for r in f.related]) for f in findings] == [(6, [4, 5])]
    helper = (
        "import torch\n"
        "from torch.utils.data import DataLoader, DistributedSampler\n"
        "def loader(data):\n"
        "    return DataLoader(data, sampler=DistributedSampler(data))\n"
        "def main(train_set, extra_set, epochs):\n"
        "    labeled, unlabeled = loader(train_set), loader(extra_set)\n" + body
    )
    findings = [f for f in check_source("t.py", helper, [DdpSamplerSetEpoch]).findings if f.code == "NN603"]
    assert [f.location.row for f in findings] == [4]


def test_a_function_that_assigns_its_own_call_and_returns_it_is_analysed() -> None:
    """chemprop's `train()` calls itself once per data chunk (`n_iter = train(...)`) and ends with
    `return n_iter`: collecting its events asks what its own call returns (`returns_in_mode`), which
    answers "unknown" while it is being computed instead of recursing until the file is reported too deep
    to analyse. The branch without a clearing is then found (NN203)."""
    from nnlint.rule import all_rules
    from nnlint.runner import check_source

    source = textwrap.dedent(
        """
        import torch

        def train(model, data, optimizer, args, n_iter=0):
            if args.chunks:
                for chunk in data:
                    n_iter = train(model, chunk, optimizer, args, n_iter)
                return n_iter
            model.train()
            for batch in data:
                if args.moe:
                    loss = model.compute_loss(batch)
                else:
                    model.zero_grad()
                    loss = model(batch).mean()
                loss.backward()
                optimizer.step()
                n_iter += 1
            model.eval()
            return n_iter
        """
    )
    result = check_source("train.py", source, list(all_rules()))
    assert [(f.code, f.location.row) for f in result.findings] == [("NN203", 17)]


def test_a_step_under_the_same_test_as_the_one_sided_clear_is_not_reached_from_the_other_side() -> None:
    """EGNN's QM9 epoch function (vgsatorras/egnn, e3_diffusion_for_molecules): the clear sits under `if
    partition == 'train':` and the step under a second `if` of the same fixed test, on the same side, so a
    run that takes the side without the clear never steps. The same test with the step on the `else` side,
    or another test around the step, still leaves a path that steps without clearing (NN203)."""
    from nnlint.rule import all_rules
    from nnlint.runner import check_source

    def source(step_guard: str, step_side: str) -> str:
        body = "            loss.backward()\n            optimizer.step()\n"
        other = "            loss = loss.detach()\n"
        first, second = (body, other) if step_side == "body" else (other, body)
        return (
            "import torch\n"
            "def run(model, optimizer, loader, partition='train'):\n"
            "    for x, y in loader:\n"
            "        if partition == 'train':\n"
            "            optimizer.zero_grad()\n"
            "        else:\n"
            "            model.eval()\n"
            "        loss = (model(x) - y).abs().mean()\n"
            f"        if {step_guard}:\n" + first + "        else:\n" + second
        )

    def found(text: str) -> list[tuple[str, int]]:
        result = check_source("t.py", text, list(all_rules()))
        return [(f.code, f.location.row) for f in result.findings if f.code == "NN203"]

    assert found(source("partition == 'train'", "body")) == []
    assert found(source("partition == 'train'", "orelse")) == [("NN203", 13)]
    assert found(source("partition != 'test'", "body")) == [("NN203", 11)]


def test_a_loss_named_local_the_iteration_backpropagates_carries_its_graph() -> None:
    """simple-nmt: `loss` from a helper of unknown result is backpropagated scaled (`loss.div(n)`), so it
    has a graph; the target read by the loss and a detached copy have none. SLIP: the entries of a loss
    dict one entry of which is backpropagated, read over its keys, and a meter of a dict of meters."""
    ctx = context(
        """
        import torch
        from collections import OrderedDict

        class Meter:
            def update(self, val, n=1):
                self.sum += val * n

        def train(model, loader, optimizer, compute_loss, criterion, scaler, names):
            metrics = OrderedDict([(name, Meter()) for name in names])
            total, targets, kept = 0, [], []
            for x, y in loader:
                loss = compute_loss(model(x), y)
                loss.div(x.size(0)).backward()
                total += loss
                targets.append(y)
                loss_dict = criterion(model(x))
                dict_loss = loss_dict["loss"]
                scaler.scale(dict_loss).backward()
                for k in loss_dict:
                    metrics[k].update(loss_dict[k])
                loss = loss.detach()
                kept.append(loss)
        """
    )
    gradients = ctx.gradients
    total = next(node for node in ctx.index.nodes(cst.AugAssign) if ctx.dotted(node.target) == "total")
    assert gradients.carries_graph(total.value, total)
    appends = [
        node
        for node in ctx.index.nodes(cst.Call)
        if ctx.dotted(node.func) in ("targets.append", "kept.append")
    ]
    assert not any(gradients.carries_graph(call.args[0].value, call) for call in appends)
    update = next(
        node
        for node in ctx.index.nodes(cst.Call)
        if isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "update"
        and isinstance(node.func.value, cst.Subscript)
    )
    assert [ctx.module.code_for_node(value) for value in gradients.accumulating_method(update)] == [
        "loss_dict[k]"
    ]
    assert gradients.carries_graph(update.args[0].value, update)


def test_each_step_method_that_never_clears_is_its_own_finding() -> None:
    """FlagAI's trainer steps the same optimizer through one step method per back end, each clearing only
    under fp16: NN203 reports each method's call (two places to fix), while one method called twice in
    the loop is one place to fix, reported once."""
    from nnlint.rule import all_rules
    from nnlint.runner import check_source

    source = textwrap.dedent(
        """
        class Trainer:
            def step_a(self, batch, model, optimizer):
                model(batch).mean().backward()
                if self.fp16:
                    optimizer.step()
                    optimizer.zero_grad()
                else:
                    optimizer.step()

            def step_b(self, batch, model, optimizer):
                model(batch).mean().backward()
                optimizer.step()

            def train(self, loader, model, optimizer):
                for batch in loader:
                    if self.ddp:
                        self.step_a(batch, model, optimizer)
                    else:
                        self.step_b(batch, model, optimizer)
                        self.step_b(batch, model, optimizer)
        """
    )
    result = check_source("train.py", source, list(all_rules()))
    assert [(f.code, f.location.row) for f in result.findings if f.code == "NN203"] == [
        ("NN203", 18),
        ("NN203", 20),
    ]


def test_a_pretrained_checkpoint_moved_to_a_device_is_loaded_not_built() -> None:
    """`AutoModel.from_pretrained(name).to(device)` loads trained weights (a model the script readied for
    inference: NN503 judges its loop) and comes back in eval mode (no NN404), also when a state dict is
    loaded into it afterwards: the `.to(device)` on the way does not make it a new module."""
    from nnlint.rule import all_rules
    from nnlint.runner import check_source

    source = textwrap.dedent(
        """
        import torch
        from transformers import AutoModel

        def extract(name, prompts, device="cpu"):
            model = AutoModel.from_pretrained(name).to(device)
            model.load_state_dict(torch.load("tuned.pt"))
            for prompt in prompts:
                outputs = model(prompt, output_hidden_states=True)
                yield outputs.hidden_states[-1]
        """
    )
    result = check_source("extract.py", source, list(all_rules()))
    assert [(f.code, f.location.row) for f in result.findings] == [("NN503", 8)]


def test_a_parameter_annotated_as_a_module_and_run_in_a_loop_holds_the_model() -> None:
    """`predict(encoder: torch.nn.Module, ...)` (flow-forecast's DA-RNN) runs its network batch by batch: the
    annotation gives it the model role, in every spelling; a loss, a class, a parameter run outside a loop
    and a method's parameter (whose callers cannot be read) get none."""
    ctx = context(
        """
        from typing import Optional
        import torch
        from torch import nn
        from transformers import PreTrainedModel
        def predict(encoder: torch.nn.Module, decoder: "nn.Module", data):
            for x in data:
                out = decoder(encoder(x))
        def score(scorer: Optional[nn.Module], lm: PreTrainedModel, data):
            while data:
                scorer(data.pop())
                lm(data.pop())
        def losses(criterion: nn.Module, loss_fn: nn.Module, expert_class: nn.Module, outputs):
            for o in outputs:
                criterion(o, o); loss_fn(o); expert_class(o)
        def init_weights(m: nn.Module, layer: nn.Module):
            layer(m)
        class Generator:
            def __call__(self, prediction_net: nn.Module, loader):
                for batch in loader:
                    prediction_net(*batch)
        """
    )
    roles = ctx.roles
    for name in ("encoder", "decoder", "scorer", "lm"):
        assert roles.has(name, Role.MODEL), name
    for name in ("criterion", "loss_fn", "expert_class", "m", "layer", "prediction_net"):
        assert not roles.has(name, Role.MODEL), name
