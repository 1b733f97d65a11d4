"""Layer chains and model outputs (nnlint.engine.layers), and the reaching values they rest on."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from nnlint.engine.bindings import reaching_value
from nnlint.engine.context import FileContext
from nnlint.engine.layers import holds_elementwise_function


def _ctx(source: str) -> FileContext:
    source = textwrap.dedent(source)
    return FileContext("example.py", source, cst.parse_module(source))


def _pairs(source: str) -> list[tuple[str, str]]:
    return [(a.kind.rsplit(".", 1)[-1], b.kind.rsplit(".", 1)[-1]) for a, b in _ctx(source).layers.pairs]


def test_sequential_nested_and_ordered_dict() -> None:
    pairs = _pairs(
        """
        import torch.nn as nn
        from collections import OrderedDict
        inner = nn.Sequential(nn.BatchNorm2d(8), nn.ReLU())
        outer = nn.Sequential(nn.Conv2d(3, 8, 3), inner, nn.Dropout())
        named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("bn", nn.BatchNorm1d(2))]))
        """
    )
    assert ("Conv2d", "BatchNorm2d") in pairs  # into the first layer of the nested Sequential
    assert ("ReLU", "Dropout") in pairs  # out of its last layer
    assert ("Linear", "BatchNorm1d") in pairs


def test_lists_that_become_a_sequential() -> None:
    pairs = _pairs(
        """
        import torch.nn as nn
        def make(cfg):
            layers = [nn.Conv2d(3, 8, 3)]
            layers.append(nn.BatchNorm2d(8))
            if cfg:
                layers.append(nn.Dropout())
            layers.append(nn.ReLU())
            return nn.Sequential(*layers)
        """
    )
    # The conditional dropout follows the BN on the path that adds it; after the `if`, the last layer is
    # unknown, so the ReLU pairs with nothing.
    assert pairs == [("Conv2d", "BatchNorm2d"), ("BatchNorm2d", "Dropout")]


def test_a_list_that_never_becomes_a_sequential_is_ignored() -> None:
    assert (
        _pairs(
            """
        import torch.nn as nn
        layers = [nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8)]
        blocks = nn.ModuleList(layers)
        """
        )
        == []
    )


def test_forward_chains_nested_and_over_statements() -> None:
    ctx = _ctx(
        """
        import torch.nn as nn
        import torch.nn.functional as F
        def conv1x1(a, b):
            return nn.Conv2d(a, b, 1)
        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = conv1x1(3, 8)
                self.bn = nn.BatchNorm2d(8)
                self.fc = nn.Linear(8, 2)
            def forward(self, x):
                x = self.bn(self.conv(x))
                x = F.dropout(x, 0.1)
                if x.sum() > 0:
                    x = self.bn(x)
                y = self.fc(x)
                return y
        """
    )
    pairs = [(a.kind.rsplit(".", 1)[-1], b.kind.rsplit(".", 1)[-1], a.editable) for a, b in ctx.layers.pairs]
    # conv1x1 is a helper: the layer resolves through it, but a fix may not edit a shared helper.
    assert ("Conv2d", "BatchNorm2d", False) in pairs
    assert ("BatchNorm2d", "dropout", False) in pairs
    assert ("dropout", "BatchNorm2d", False) in pairs
    # `x` reaching `self.fc` may come from the `if` or not: no pair.
    assert all(second != "Linear" for _, second, _ in pairs)


def test_layers_passed_in_stay_unknown() -> None:
    assert (
        _pairs(
            """
        import torch.nn as nn
        class Block(nn.Module):
            def __init__(self, norm_layer):
                super().__init__()
                self.conv = nn.Conv2d(3, 8, 3)
                self.bn = norm_layer(8)
            def forward(self, x):
                return self.bn(self.conv(x))
        """
        )
        == []
    )


def _output(source: str, name: str) -> str | None:
    ctx = _ctx(source)
    for assign in ctx.index.nodes(cst.Assign):
        if isinstance(assign.targets[0].target, cst.Name) and assign.targets[0].target.value == name:
            found = ctx.activations.of(assign.value)
            return found.kind if found is not None else None
    raise AssertionError(f"no assignment to {name}")


def test_output_activation_of_models() -> None:
    source = """
        import torch.nn as nn
        import torch.nn.functional as F
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.head = nn.Sequential(nn.Linear(4, 2), nn.LogSoftmax(dim=1))
            def forward(self, x):
                return self.head(x)
        class Plain(nn.Module):
            def forward(self, x):
                if x.dim() == 2:
                    return F.softmax(x, 1)
                return x
        net = Net().cuda()
        a = net(x)
        b = Plain()(x)
        seq = nn.Sequential(nn.Linear(4, 2), nn.Sigmoid())
        c = seq(x)
        d = x.softmax(-1)
        e = nn.Softmax(dim=1)(x)
        """
    assert _output(source, "a") == "log_softmax"
    assert _output(source, "b") is None  # one return is not a softmax
    assert _output(source, "c") == "sigmoid"
    assert _output(source, "d") == "softmax"
    assert _output(source, "e") == "softmax"


def test_reaching_value_gives_up_when_unsure() -> None:
    ctx = _ctx(
        """
        def f(p):
            a = 1
            b = 2
            if p:
                b = 3
            for i in range(3):
                use(a, b, c, p, i)
                c = 4
            a = 5
        """
    )
    use = next(call for call in ctx.index.nodes(cst.Call) if getattr(call.func, "value", None) == "use")
    values = {name: reaching_value(ctx, name, use) for name in ("a", "b", "c", "p", "i")}
    assert isinstance(values["a"], cst.Integer) and values["a"].value == "1"
    assert values["b"] is None  # rebound inside the `if`
    assert values["c"] is None  # bound later in the loop: reaches the next iteration
    assert values["p"] is None  # a parameter
    assert values["i"] is None  # the loop variable


def test_output_of_a_wrapper_that_calls_the_layer_it_is_given() -> None:
    source = """
        import torch.nn as nn
        class Wrap(nn.Module):
            def forward(self, x, layer):
                return layer(x * 2)
        class Holder(nn.Module):
            def __init__(self, inner, act):
                super().__init__()
                self.inner = inner
            def forward(self, x):
                return self.inner(nn.Softmax(1), x)
        wrap = Wrap()
        through_module = wrap(x, nn.Sequential(nn.Linear(4, 2), nn.Softmax(dim=1)))
        by_keyword = wrap(x, layer=nn.LogSoftmax(dim=1))
        logits = wrap(x, nn.Linear(4, 2))
        unknown = wrap(x, make_layer())
        held = Holder(*parts)(x)
        """
    assert _output(source, "through_module") == "softmax"
    assert _output(source, "by_keyword") == "log_softmax"
    assert _output(source, "logits") == "logits"
    assert _output(source, "unknown") is None
    # `self.inner` holds `__init__`'s parameter: the call in forward passes nothing for it.
    assert _output(source, "held") is None


def test_layer_built_in_a_base_class_of_the_same_file() -> None:
    ctx = _ctx(
        """
        import torch.nn as nn
        class Base(nn.Module):
            def __init__(self, d, kind):
                super().__init__()
                if kind == 1:
                    self.w = nn.Parameter(None)
                else:
                    self.proj = nn.Linear(d, d)
                self.twice = nn.ReLU()
        class Child(Base):
            def __init__(self, d):
                super().__init__(d, 2)
                self.twice = nn.Tanh()
            def forward(self, x):
                return self.proj(x), self.twice(x), self.missing(x)
        """
    )
    calls = {ctx.module.code_for_node(c.func): c for c in ctx.index.nodes(cst.Call)}
    proj = ctx.layers.layer_of(calls["self.proj"].func)
    assert proj is not None and proj.kind == "torch.nn.Linear" and not proj.editable
    own = ctx.layers.layer_of(calls["self.twice"].func)
    assert own is not None and own.kind == "torch.nn.Tanh"  # the subclass's own assignment wins
    assert ctx.layers.layer_of(calls["self.missing"].func) is None


@pytest.mark.parametrize(
    ("stored", "elementwise"),
    [
        ("def __init__(self, act=torch.tanh):\n        self.act = act", True),
        ("def __init__(self):\n        self.act = F.relu", True),
        ("def __init__(self, act=None):\n        self.act = act", False),  # whatever a caller passes
        ("def __init__(self, act):\n        self.act = act", False),
        ("def __init__(self):\n        self.act = nn.Linear(4, 4)", False),
    ],
)
def test_an_attribute_holding_an_elementwise_function(stored: str, elementwise: bool) -> None:
    """`self.nonlinearity(score)` with `nonlinearity=torch.tanh` (PyG's SAGPooling, copied at
    shaneacton/GNN_Thesis custom_sag_pool.py) calls a function of each element, not a layer."""
    source = (
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
        f"class Pool(nn.Module):\n    {stored}\n"
    )
    ctx = FileContext("pool.py", source, cst.parse_module(source))
    cls = next(iter(ctx.index.nodes(cst.ClassDef)))
    assert holds_elementwise_function(ctx, cls, "act") is elementwise
