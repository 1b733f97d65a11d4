"""The binding model: every kind of binding, the definitions that reach a point, scope-aware call
resolution and the values call sites pass for a parameter."""

from __future__ import annotations

import textwrap

import libcst as cst

from nnlint.engine.bindings import (
    argument_values,
    attribute_values,
    dispatched_argument_values,
    enclosing_parameter,
    exclusive_branches,
    loop_carried_value,
    reaching_values,
    resolve_call,
)
from nnlint.engine.context import FileContext


def _ctx(source: str) -> FileContext:
    source = textwrap.dedent(source)
    return FileContext("example.py", source, cst.parse_module(source))


def _call(ctx: FileContext, text: str) -> cst.Call:
    return next(call for call in ctx.index.nodes(cst.Call) if ctx.module.code_for_node(call) == text)


def _code(ctx: FileContext, node: cst.CSTNode | None) -> str | None:
    return ctx.module.code_for_node(node) if node is not None else None


def test_every_kind_of_binding_is_recorded() -> None:
    ctx = _ctx(
        """
        import torch.nn as nn
        from torch import optim
        a = 1
        b: int = 2
        a += 3
        c, (d, e) = 4, (5, 6)
        f, g = pair
        for h in range(3):
            pass
        with open(p) as i:
            pass
        def j(k, m=7):
            pass
        class N:
            pass
        self.x = 8
        """
    )
    kinds = {name: [b.kind for b in ctx.bindings.of(name)] for name in "abcdefghijkmN"}
    assert kinds["a"] == ["assign", "augmented"]
    assert kinds["b"] == ["annotated"]
    assert kinds["c"] == kinds["d"] == kinds["e"] == kinds["f"] == ["unpack"]
    assert kinds["h"] == ["loop"] and kinds["i"] == ["with"]
    assert kinds["j"] == ["def"] and kinds["N"] == ["class"] and kinds["k"] == ["parameter"]
    assert [b.kind for b in ctx.bindings.of("nn")] == ["import"]
    assert [b.kind for b in ctx.bindings.of("optim")] == ["import"]
    assert [_code(ctx, v) for v in ctx.bindings.values("d") or []] == ["5"]
    assert ctx.bindings.values("f") is None  # unpacked from an unknown value
    assert ctx.bindings.values("a") is None  # `+=` makes the values incomplete
    assert [_code(ctx, v) for v in ctx.bindings.values("m") or []] == ["7"]
    assert [_code(ctx, v) for v in ctx.bindings.values("self.x") or []] == ["8"]


def test_definitions_reaching_a_point_through_branches() -> None:
    ctx = _ctx(
        """
        def f(flag, other):
            out = start()
            if flag:
                out = a()
            elif other:
                out, extra = b()
            use(out)
            if flag:
                out = c()
            else:
                out = d()
            use2(out)
        """
    )
    first = _call(ctx, "use(out)")
    assert [_code(ctx, v) for v in reaching_values(ctx, "out", first) or []] == ["a()", None, "start()"]
    second = _call(ctx, "use2(out)")
    assert [_code(ctx, v) for v in reaching_values(ctx, "out", second) or []] == ["c()", "d()"]
    assert reaching_values(ctx, "nothing", second) is None


def test_calls_resolve_by_scope() -> None:
    ctx = _ctx(
        """
        def helper():
            return 1
        class Base:
            def shared(self):
                return 2
        class Net(Base):
            def forward(self, x):
                return x
            def run(self, x):
                return self(x) + self.shared() + helper()
        def outer(helper=None):
            def inner():
                return 3
            inner()
            helper()
        net = Net()
        net.run(1)
        """
    )
    names = {
        text: getattr(getattr(resolve_call(ctx, _call(ctx, text)), "node", None), "name", None)
        for text in ("self(x)", "self.shared()", "helper()", "inner()", "net.run(1)", "Net()")
    }
    assert {text: name.value if name else None for text, name in names.items()} == {
        "self(x)": "forward",
        "self.shared()": "shared",
        "helper()": "helper",
        "inner()": "inner",
        "net.run(1)": "run",
        "Net()": "Net",
    }
    # Inside `outer`, `helper` is its parameter, not the module-level function.
    shadowed = [c for c in ctx.index.nodes(cst.Call) if _code(ctx, c) == "helper()"][-1]
    assert resolve_call(ctx, shadowed) is None


def test_arguments_flow_into_parameters() -> None:
    ctx = _ctx(
        """
        def train(model, loss_fn=default()):
            return loss_fn(model(x))
        class Loss:
            def __init__(self, inner=make()):
                self.inner = inner
        train(build(), other())
        train(model=build2())
        Loss(inner=given())
        """
    )
    call = _call(ctx, "model(x)")
    model_param = enclosing_parameter(ctx, call.func)  # type: ignore[arg-type]
    assert model_param is not None
    assert [_code(ctx, v) for v, _ in argument_values(ctx, *model_param) or []] == ["build()", "build2()"]
    loss_param = enclosing_parameter(ctx, _call(ctx, "loss_fn(model(x))").func)  # type: ignore[arg-type]
    assert loss_param is not None
    assert [_code(ctx, v) for v, _ in argument_values(ctx, *loss_param) or []] == ["other()", "default()"]
    inner = next(p for p in ctx.index.nodes(cst.Param) if p.name.value == "inner")
    init = ctx.index.enclosing(inner, cst.FunctionDef)
    assert init is not None
    assert [_code(ctx, v) for v, _ in argument_values(ctx, init, inner) or []] == ["given()"]


def test_target_names_unpack_every_target_shape() -> None:
    from nnlint.engine.bindings import assigned_names, target_names

    ctx = _ctx("(a, [b, *c]), self.d = x\nd['k'] = 1\n")
    assign = next(iter(ctx.index.nodes(cst.Assign)))
    assert assigned_names(assign) == ["a", "b", "c", "self.d"]
    item = list(ctx.index.nodes(cst.Assign))[1]
    assert target_names(item.targets[0].target) == []


def test_assigned_sources_and_settings_views() -> None:
    ctx = _ctx(
        """
        loss = ce
        loss += aux
        logits, loss = model(x, y)
        args.epochs = 90
        cfg["epochs"] = 30
        run["cfg"]["epochs"] = 20
        def fit(epochs=10):
            pass
        """
    )
    bindings = ctx.bindings
    assert [_code(ctx, v) for v in bindings.assigned("loss")] == ["ce"]
    assert sorted(_code(ctx, v) for v in bindings.sources("loss")) == ["aux", "ce", "model(x, y)"]
    assert [b.kind for b in bindings.of("cfg['epochs']")] == ["item"]
    assert {key: [_code(ctx, b.value) for b in found] for key, found in bindings.items("cfg").items()} == {
        "epochs": ["30"]
    }
    assert bindings.items("run") == {}  # `run['cfg']['epochs']` is an item of `run['cfg']`, not of `run`
    assert list(bindings.items("run['cfg']")) == ["epochs"]
    by_last = {_code(ctx, b.value) for b in bindings.by_last_name["epochs"]}
    assert by_last == {"90", "30", "20", "10"}


def test_branches_under_one_test_fixed_at_init_exclude_each_other() -> None:
    ctx = _ctx(
        """
        class M:
            def __init__(self, kind, flag):
                self.kind = kind
                self.flag = flag
                if self.kind == "discrete":
                    self.loss = CE()
                elif self.flag:
                    self.loss = MSE()
                else:
                    self.loss = L1()

            def set_flag(self, flag):
                self.flag = flag

            def forward(self, x, kind):
                if self.kind == "discrete":
                    a = self.loss(x)
                else:
                    b = self.loss(x)
                    if self.flag:
                        c = self.loss(x)
                if kind == "discrete":
                    d = self.loss(x)
        """
    )
    ce, mse, l1 = (_call(ctx, text) for text in ("CE()", "MSE()", "L1()"))
    a, b, c, d = (
        next(
            call
            for call in ctx.index.nodes(cst.Call)
            if _code(ctx, call) == "self.loss(x)"
            and _code(ctx, ctx.index.enclosing(call, cst.SimpleStatementLine)).strip().startswith(name)
        )
        for name in "abcd"
    )
    assert not exclusive_branches(ctx, ce, a)
    assert exclusive_branches(ctx, mse, a) and exclusive_branches(ctx, l1, a)
    assert exclusive_branches(ctx, ce, b) and not exclusive_branches(ctx, mse, b)
    # `self.flag` is also set outside `__init__`: its test pairs nothing.
    assert not exclusive_branches(ctx, l1, c)
    # A parameter of the use's own function is not the attribute tested in `__init__`.
    assert not exclusive_branches(ctx, mse, d)


def test_overrides_get_what_base_class_methods_pass() -> None:
    ctx = _ctx(
        """
        class Base:
            def step(self, x):
                return self.score(self.forward(x), x)
            def score(self, preds, targets):
                return preds
        class Sub(Base):
            def score(self, preds, targets):
                return preds
        class Own(Base):
            def step(self, x):
                return 0
            def score(self, preds, targets):
                return preds
        """
    )
    sub, own = (ctx.functions["score"][i] for i in (1, 2))
    preds = [p for p in sub.params.params if p.name.value == "preds"][0]
    passed = dispatched_argument_values(ctx, sub, preds)
    assert [_code(ctx, value) for value, _ in passed or []] == ["self.forward(x)"]
    # `Own` overrides the calling method too: the base's call never runs its `score`.
    own_preds = [p for p in own.params.params if p.name.value == "preds"][0]
    assert dispatched_argument_values(ctx, own, own_preds) is None


def test_a_name_grown_from_itself_in_a_loop_holds_the_last_growth() -> None:
    ctx = _ctx(
        """
        def grow(xs):
            acc = start()
            for x in xs:
                acc = join(acc, x)
            use(acc)
            out = start()
            for x in xs:
                if x:
                    out = join(out, x)
            use(out)
        """
    )
    acc, out = (
        next(
            n
            for n in ctx.index.nodes(cst.Name)
            if n.value == name and _code(ctx, ctx.index.parent(ctx.index.parent(n))) == f"use({name})"
        )
        for name in ("acc", "out")
    )
    assert _code(ctx, loop_carried_value(ctx, "acc", acc)) == "join(acc, x)"
    assert loop_carried_value(ctx, "out", out) is None


def test_a_class_attribute_holds_what_its_own_methods_assign() -> None:
    ctx = _ctx(
        """
        class A:
            def __init__(self):
                self.loss = CE()
                self.count = 0
            def step(self):
                self.count += 1
            class Inner:
                def __init__(self):
                    self.loss = MSE()
        class B:
            def __init__(self):
                self.count = 1
        """
    )
    a, inner, b = ctx.index.nodes(cst.ClassDef)
    assert [_code(ctx, v) for v in attribute_values(ctx, a, "loss") or []] == ["CE()"]
    assert [_code(ctx, v) for v in attribute_values(ctx, inner, "loss") or []] == ["MSE()"]
    assert attribute_values(ctx, a, "count") is None  # `+=` leaves its value unknown
    assert [_code(ctx, v) for v in attribute_values(ctx, b, "count") or []] == ["1"]
