"""PyTorch-Ignite process functions (`def update(engine, batch): ...`, `trainer = Engine(update)`): Ignite
calls the function once per batch of `trainer.run(loader)`, so the engine reads it as the body of a batch
loop whose counter is `engine.state.iteration`, and the per-batch rules judge it like a `for` loop's body.
The valid spelling is CDial-GPT's and the NAACL transfer-learning tutorial's `train.py`."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from nnlint.config import Overrides
from nnlint.engine.context import FileContext
from nnlint.session import run_check


def _ctx(source: str) -> FileContext:
    source = textwrap.dedent(source)
    return FileContext("example.py", source, cst.parse_module(source))


def _rows(tmp_path, source: str, code: str) -> list[int]:
    path = tmp_path / "example.py"
    path.write_text(textwrap.dedent(source))
    outcome = run_check([path], Overrides(select=frozenset({code})))
    assert outcome.crashes == []
    return sorted(f.location.row for f in outcome.findings)


_UPDATE = """
import torch
{imports}

def main(model, optimizer, loader, args):
    def update(engine, batch):
        model.train()
        x, y = batch
        loss = torch.nn.functional.cross_entropy(model(x), y){divide}
        loss.backward()
{step}
        return loss.item()

    trainer = {engine}(update)
    trainer.run(loader)
"""

_GUARDED = """\
        if engine.state.iteration % args.gradient_accumulation_steps == 0:
            optimizer.step()
            optimizer.zero_grad()"""
_EVERY = """\
        optimizer.step()
        optimizer.zero_grad()"""
_DIVIDE = " / args.gradient_accumulation_steps"


def _update(
    step: str = _GUARDED,
    divide: str = _DIVIDE,
    imports: str = "from ignite.engine import Engine",
    engine: str = "Engine",
) -> str:
    return _UPDATE.format(step=step, divide=divide, imports=imports, engine=engine)


@pytest.mark.parametrize(
    ("imports", "engine"),
    [
        ("from ignite.engine import Engine", "Engine"),
        ("import ignite.engine", "ignite.engine.Engine"),
        ("from ignite.engine.engine import Engine as IgniteEngine", "IgniteEngine"),
    ],
)
def test_a_function_handed_to_ignites_engine_is_a_batch_loop_body(imports: str, engine: str) -> None:
    ctx = _ctx(_update(imports=imports, engine=engine))
    (loop,) = ctx.loops.process_loops.values()
    assert loop.node.name.value == "update"
    assert loop.kind == "batch"
    assert loop.trains


def test_a_function_handed_to_another_engine_is_no_loop() -> None:
    ctx = _ctx(_update(imports="from mylib import Engine"))
    assert ctx.loops.process_loops == {}


def test_cdial_gpt_accumulation_is_read_right(tmp_path) -> None:
    """The loss divided by k, the step and the clearing every k-th iteration of the engine: silent."""
    assert _rows(tmp_path, _update(), "NN206") == []
    assert _rows(tmp_path, _update(), "NN203") == []


def test_accumulation_without_the_divisor_is_flagged(tmp_path) -> None:
    assert _rows(tmp_path, _update(divide=""), "NN206") == [10]


def test_a_divided_loss_stepped_every_call_is_flagged(tmp_path) -> None:
    assert _rows(tmp_path, _update(step=_EVERY), "NN206") == [11]


def test_clearing_every_call_while_stepping_every_k_is_flagged(tmp_path) -> None:
    step = """\
        optimizer.zero_grad()
        if engine.state.iteration % args.gradient_accumulation_steps == 0:
            optimizer.step()"""
    assert _rows(tmp_path, _update(step=step), "NN206") == [11]


def test_a_process_function_that_never_clears_is_flagged(tmp_path) -> None:
    assert _rows(tmp_path, _update(step="        optimizer.step()", divide=""), "NN203") == [11]


def test_a_function_not_handed_to_the_engine_is_not_a_loop(tmp_path) -> None:
    """The same body, never handed to `Engine`: a step function whose caller clears is not judged."""
    source = _update(step="        optimizer.step()", divide="")
    source = source.replace("trainer = Engine(update)", "trainer = update")
    assert _rows(tmp_path, source, "NN203") == []
