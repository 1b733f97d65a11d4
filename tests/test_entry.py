"""Entry points (nnlint.engine.entry): which files run as scripts, where, and what that run reaches."""

from __future__ import annotations

import textwrap

import libcst as cst

from nnlint.engine.context import FileContext
from nnlint.engine.entry import has_main_guard


def _ctx(source: str) -> FileContext:
    source = textwrap.dedent(source)
    return FileContext("example.py", source, cst.parse_module(source))


def _function(ctx: FileContext, name: str) -> cst.FunctionDef:
    return ctx.functions[name][0]


def test_main_guard_and_reached_functions() -> None:
    ctx = _ctx(
        """
        import torch.multiprocessing as mp
        def helper():
            pass
        def worker(rank):
            helper()
        def unused():
            pass
        class Model:
            def forward(self):
                pass
        def main():
            mp.spawn(worker, nprocs=2)
            Model()
        if '__main__' == __name__:
            main()
        """
    )
    entry = ctx.entry
    assert entry.exists and entry.anchor is entry.guards[0]
    assert isinstance(entry.first_statement, cst.SimpleStatementLine)
    reached = entry.reached
    # `worker` is passed as a value, not called: a callback runs too.
    for name in ("main", "worker", "helper", "forward"):
        assert _function(ctx, name) in reached, name
    assert _function(ctx, "unused") not in reached
    assert not entry.runs(_function(ctx, "unused").body)


def test_main_guard_as_first_operand_of_and() -> None:
    # nbdev's exported scripts (uberduck-ml-dev) and ignite's teaser guard the entry point with a second
    # condition; the guard still makes the file a script, read as text too (`has_main_guard`).
    source = """
        import torch
        IN_NOTEBOOK = False
        if __name__ == "__main__" and not IN_NOTEBOOK:
            torch.manual_seed(0)
        """
    ctx = _ctx(source)
    assert ctx.entry.exists and ctx.entry.anchor is ctx.entry.guards[0]
    assert has_main_guard(textwrap.dedent(source))
    # `__name__` compared with `"__main__"` only under an `or`, or after another operand, guards nothing.
    for test in ('not IN_NOTEBOOK or __name__ == "__main__"', 'IN_NOTEBOOK and __name__ == "__main__"'):
        other = f"import torch\nIN_NOTEBOOK = False\nif {test}:\n    torch.manual_seed(0)\n"
        assert not _ctx(other).entry.guards, test
        assert not has_main_guard(other), test


def test_module_level_training_loop_is_an_entry_point() -> None:
    ctx = _ctx(
        """
        import torch
        model = torch.nn.Linear(2, 2)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        names = [n for n in ("a", "b")]
        for key in names:
            print(key)
        for x in data:
            model(x).sum().backward()
            opt.step()
        """
    )
    entry = ctx.entry
    # The loop over names is not a training or data loop; the second one trains.
    assert len(entry.loops) == 1 and entry.anchor is entry.loops[0]
    assert entry.first_statement is ctx.module.body[1]


def test_library_module_has_no_entry_point() -> None:
    ctx = _ctx(
        """
        import torch
        def train(model, loader):
            for x in loader:
                model(x).sum().backward()
        for name in ("a", "b"):
            register(name)
        """
    )
    assert not ctx.entry.exists
    assert ctx.entry.anchor is None
    assert ctx.entry.nodes(cst.Call) == []


def test_bottom_main_call_and_registered_commands() -> None:
    ctx = _ctx(
        """
        import click
        @click.command()
        def cli():
            pass
        def main():
            pass
        main()
        """
    )
    entry = ctx.entry
    assert entry.anchor is entry.calls[0]
    assert _function(ctx, "cli") in entry.reached  # a decorator that may register it
    assert _function(ctx, "main") in entry.reached


def test_a_class_only_built_and_thrown_away_runs_its_init_and_what_it_calls() -> None:
    """`_ = DataModule()` under the `__main__` guard (ashleve/lightning-hydra-template's smoke test) runs
    `__init__` and the methods it calls on `self`, not `train_dataloader`; a class bound to a name that is
    used may run any method."""
    source = """
        class DataModule:
            def __init__(self):
                self.setup()
            def setup(self):
                pass
            def train_dataloader(self):
                pass
        class Used:
            def fit(self):
                pass
        if __name__ == "__main__":
            _ = DataModule()
            used = Used()
            _ = used
        """
    ctx = _ctx(source)
    reached = ctx.entry.reached
    methods = {f.name.value: f for f in ctx.index.nodes(cst.FunctionDef)}
    assert methods["__init__"] in reached and methods["setup"] in reached
    assert methods["train_dataloader"] not in reached
    assert methods["fit"] in reached
