"""A mode switch of a dict entry picked by a computed key (`[model[key].eval() for key in model]`,
yl4579/StyleTTS2's training scripts): which network it switches cannot be named, so it is a mode event
with no target, and a later question about one of the dict's networks (`model.text_encoder`) is answered
unknown instead of by an older `train()` of it."""

from __future__ import annotations

from pathlib import Path

import libcst as cst

from nnlint.config import Overrides
from nnlint.engine.context import FileContext
from nnlint.engine.loops import EventKind
from nnlint.session import run_check
from rules.train_eval_mode import TrainEvalMode

_SELECT = Overrides(select=frozenset({"NN404"}))
_SWITCH_ALL = "_ = [model[key].eval() for key in model]"


def _example() -> str:
    """NN404's VALID example of the dict of networks switched by a computed key (StyleTTS2)."""
    return next(example for example in TrainEvalMode.VALID if _SWITCH_ALL in example)


def _rows(tmp_path: Path, source: str) -> list[int]:
    path = tmp_path / "train.py"
    path.write_text(source)
    outcome = run_check([path], _SELECT)
    assert outcome.crashes == []
    return [finding.location.row for finding in outcome.findings]


def _switches(source: str) -> list[tuple[EventKind, str | None]]:
    ctx = FileContext("train.py", source, cst.parse_module(source))
    main = next(f for f in ctx.index.nodes(cst.FunctionDef) if f.name.value == "main")
    return [
        (event.kind, event.target)
        for event in ctx.loops.function_events(main)
        if event.kind in (EventKind.EVAL, EventKind.TRAIN)
    ]


def test_a_computed_key_switch_of_a_dict_of_networks_is_a_switch_of_an_unnamed_model() -> None:
    assert _switches(_example()) == [
        (EventKind.EVAL, None),
        (EventKind.TRAIN, "model.text_encoder"),
        (EventKind.EVAL, None),
    ]


def test_validation_after_the_computed_key_switch_is_not_reported(tmp_path: Path) -> None:
    assert _rows(tmp_path, _example()) == []


def test_validation_without_a_switch_after_training_is_still_reported(tmp_path: Path) -> None:
    """The near-miss: the second switch of every entry left out, the last switch of `model.text_encoder`
    in force before validation is its `train()`."""
    source = _example()
    head, tail = source.rsplit(_SWITCH_ALL, 1)
    assert _rows(tmp_path, head + "pass" + tail) == [19]


def test_a_computed_key_switch_of_a_container_holding_no_model_is_no_event() -> None:
    """The example with no attribute of the dict used (nothing says it holds networks): its computed-key
    switches are no mode events, as before."""
    source = (
        _example()
        .replace("        model.text_encoder.train()\n", "")
        .replace("model.text_encoder(batch)", "batch")
        .replace("model.text_encoder.parameters()", "params")
    )
    assert "model." not in source
    assert _switches(source) == []
