"""The numbers behind every `nnlint run` verdict, with where each default comes from.

Each default is either a rule of thumb from a named source (CS231n's notes, Karpathy's "A Recipe for Training
Neural Networks", the issue that specified the check) or a measurement on the fixtures and the PyTorch MNIST
example (docs/run.md lists them). Every one can be changed in the nearest pyproject.toml:

    [tool.nnlint.run]
    update-ratio-high = 0.2
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from nnlint.config import ConfigError, config_for


@dataclass(frozen=True)
class Thresholds:
    # NN911. The recipe: a softmax classifier starts at ln(classes). Measured: the clean fixtures and the
    # MNIST example start at 0.82-1.18x of it; a last layer with a large bias 4.1x, raw 0-255 inputs 18x.
    loss_init_ratio: float = 1.5
    # NN912/NN913. The recipe: overfit one batch of as few as two examples, Adam at 3e-4 ("the safe choice").
    overfit_samples: int = 8
    overfit_lr: float = 3e-4
    # Measured: the clean fixtures and the MNIST CNN get within 5% of the floor on 8 samples in 16-370 steps.
    overfit_steps: int = 600
    overfit_tolerance: float = 0.05
    overfit_seconds: float = 60.0
    # NN913. Real inputs must take the loss at least this much closer to its floor than zeroed inputs do.
    input_independent_ratio: float = 0.8
    # NN914. CS231n warns that a high learning rate can leave as much as 40% of a ReLU network dead; we flag a
    # layer when half its units never fire (ReLU) or never leave saturation (tanh/sigmoid) on the batch.
    dead_share: float = 0.5
    saturated_share: float = 0.5
    # NN914. A healthy unit is inactive on n independent samples with probability about 2**-n: with fewer
    # observations per unit than this, "never active" means nothing and the layer is skipped.
    min_observations: int = 16
    # NN915. CS231n's rough heuristic: the update/weight ratio should be somewhere around 1e-3; the band is
    # two decades either side.
    update_ratio_low: float = 1e-5
    update_ratio_high: float = 1e-1
    # NN915, when only the first step of an adaptive optimizer (Adam, Adadelta, RMSprop, ...) was seen: that
    # step moves every weight by about the learning rate whatever the gradient's scale, so it overstates later
    # steps. Measured on the PyTorch MNIST example (Adadelta, lr=1): 0.17 on the first step, a median of 0.054
    # over ten. Only a first step that moves the weights by more than their own norm is reported then.
    update_ratio_high_first_adaptive: float = 1.0
    # NN915, one weight matrix on its own: measured on an MNIST-example-like run (Adadelta, lr=1), the most
    # moved matrix (fc1) takes 0.38 on the first step and 0.21 as the median of three while its group takes
    # 0.15; a matrix is reported alone only when it moves by its whole norm per step (a head moving twice its
    # size is the case this catches), however its group looks.
    update_ratio_high_weight: float = 1.0


def _key(name: str) -> str:
    return name.replace("_", "-")


# The batch layout of `nnlint run`'s probe (see layout.py), set with the thresholds in [tool.nnlint.run].
LAYOUT_KEYS = ("batch-dim", "time-dim", "causal-inputs")


def _table(script: Path) -> tuple[dict[str, Any], str]:
    config = config_for(script, None)
    table: Any = config.extra.get("run", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{config.source}: [tool.nnlint.run] must be a table")
    return table, config.source


def load_layout(script: Path) -> dict[str, Any]:
    """`batch-dim`, `time-dim` (dims, >= 0) and `causal-inputs` (names or positions) from the same table."""
    table, source = _table(script)
    found: dict[str, Any] = {}
    for key in ("batch-dim", "time-dim"):
        value = table.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"{source}: [tool.nnlint.run] {key} must be a dimension (an integer >= 0)")
        found[key.replace("-", "_")] = value
    inputs = table.get("causal-inputs")
    if inputs is not None:
        if not isinstance(inputs, list) or not all(
            isinstance(v, (int, str)) and not isinstance(v, bool) for v in inputs
        ):
            raise ConfigError(
                f"{source}: [tool.nnlint.run] causal-inputs must be a list of input names or positions"
            )
        found["causal_inputs"] = tuple(inputs)
    return found


def load_thresholds(script: Path) -> tuple[Thresholds, str]:
    """Thresholds from `[tool.nnlint.run]` in the pyproject.toml nearest the script, and where they came from.

    Raises ConfigError for an unknown key or a value of the wrong type: a typo must not keep a default.
    """
    table, source = _table(script)
    known = {_key(f.name): f for f in fields(Thresholds)}
    unknown = sorted(set(table) - set(known) - set(LAYOUT_KEYS))
    if unknown:
        raise ConfigError(
            f"{source}: unknown key(s) in [tool.nnlint.run]: {', '.join(unknown)} "
            f"(known: {', '.join(sorted([*known, *LAYOUT_KEYS]))})"
        )
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key in LAYOUT_KEYS:
            continue
        field = known[key]
        wanted = int if field.type in ("int", int) else float
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or (wanted is int and value != int(value))
        ):
            raise ConfigError(f"{source}: [tool.nnlint.run] {key} must be a number ({wanted.__name__})")
        if value <= 0:
            raise ConfigError(f"{source}: [tool.nnlint.run] {key} must be positive")
        values[field.name] = wanted(value)
    return replace(Thresholds(), **values), source
