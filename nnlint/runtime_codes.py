"""The codes of runtime findings (`nnlint probe`, `nnlint run`), for `nnlint rule` and `nnlint rules`.

Every NN9xx code is declared here once: the checks in `nnlint/probe/` and `nnlint/run/` (which import torch)
take their CODE/NAME from `declared()`. This catalog does not import torch, so `nnlint rule NN901` works where
torch is not installed. `tests/test_runtime_codes.py` checks that every code is emitted by a check.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuntimeCode:
    code: str
    name: str
    command: str
    summary: str
    docs: str  # the page, relative to the repository root, that explains the check


RUNTIME_CODES = (
    RuntimeCode(
        "NN901", "batch-mixing", "probe", "Output sample i depends on input sample j != i.", "docs/probe.md"
    ),
    RuntimeCode(
        "NN902", "causal-leakage", "probe", "The output at step t depends on inputs after t.", "docs/probe.md"
    ),
    RuntimeCode(
        "NN911", "loss-at-init", "run", "The first loss is far from its expected value.", "docs/run.md"
    ),
    RuntimeCode(
        "NN912",
        "cannot-overfit-batch",
        "run",
        "A copy of the model cannot overfit a few samples.",
        "docs/run.md",
    ),
    RuntimeCode(
        "NN913", "input-independent", "run", "Zeroed inputs train as well as the real ones.", "docs/run.md"
    ),
    RuntimeCode(
        "NN914", "dead-or-saturated-units", "run", "Layers whose units are dead or saturated.", "docs/run.md"
    ),
    RuntimeCode(
        "NN915", "update-ratio", "run", "Update/weight norm ratio far from about 1e-3.", "docs/run.md"
    ),
    RuntimeCode(
        "NN916",
        "parameters-not-updated",
        "run",
        "Trainable parameters that never get updated.",
        "docs/run.md",
    ),
    RuntimeCode(
        "NN917",
        "dropout-before-batchnorm",
        "run",
        "Dropout feeds BatchNorm in the traced forward.",
        "docs/run.md",
    ),
)


def runtime_code(key: str) -> RuntimeCode | None:
    key = key.strip()
    return next((c for c in RUNTIME_CODES if c.code.lower() == key.lower() or c.name == key), None)


def declared(code: str) -> tuple[str, str]:
    """(code, name) of a runtime code: the checks take their CODE/NAME from this one catalog."""
    found = runtime_code(code)
    if found is None:
        raise KeyError(code)
    return found.code, found.name
