"""The runtime codes (`nnlint probe`, `nnlint run`): their names, summaries and docs, in one catalog.

Every NN9xx code is declared here once: the checks in `nnlint/probe/` and `nnlint/run/` (which import torch)
take their CODE/NAME from `declared()`, and `nnlint rule`, `nnlint rules` and docs/rules.md read the rest.
This catalog does not import torch and ships inside the package (which has no `docs/` folder), so
`nnlint rule NN912` explains the check wherever nnlint is installed; the long pages (docs/probe.md,
docs/run.md) stay the place for the method, the thresholds and their sources. Each entry's docs have the
sections of a static rule's docs, so `nnlint rule`, hover and SARIF help read the same.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuntimeCode:
    code: str
    name: str
    command: str
    summary: str
    page: str  # the page, relative to the repository root, that explains the method and thresholds
    docs: str  # the rule docs `nnlint rule` prints: what it does, why, an example, how to run it

    @property
    def url(self) -> str:
        """Where findings of this code point: its page, beside the command that produces them."""
        from nnlint.finding import DOCS_BASE

        return DOCS_BASE + self.page.removeprefix("docs/")


_RUN = "`nnlint run train.py` (see `docs/run.md` in the repository for the thresholds and their sources)"
_PROBE = "`nnlint probe model.py:build`, or `nnlint check --probe model.py:build` (see `docs/probe.md`)"

RUNTIME_CODES = (
    RuntimeCode(
        "NN901",
        "batch-mixing",
        "probe",
        "Output sample i depends on input sample j != i.",
        "docs/probe.md",
        f"""## What it does
Runs the real model on a few samples and measures, with gradients, whether an output sample depends on an
input sample other than itself. When one does, it locates the source line where the samples first mix.

## Why is this bad?
A model must treat the samples of a batch independently (BatchNorm in training mode aside): when sample i's
output sees sample j, the model learns from its neighbours in the batch and behaves differently at batch
size 1. The usual cause is a `.view()`/`.reshape()` that folds the batch dim into another one, or a
reduction over dim 0.

## Example
```python
h = x.view(x.size(1), x.size(0), -1)  # batch and time swapped by a reshape
```

## Use instead
```python
h = x.transpose(0, 1)
```

## How to run it
{_PROBE}.
""",
    ),
    RuntimeCode(
        "NN902",
        "causal-leakage",
        "probe",
        "The output at step t depends on inputs after t.",
        "docs/probe.md",
        f"""## What it does
For an autoregressive model, runs it and measures whether the output at step t depends on inputs after
t (beyond an allowed shift), and locates the source line where the future leaks in.

## Why is this bad?
A causal language model trained with a leak sees the token it must predict: the training loss looks
excellent and generation fails. Typical causes are a missing or transposed attention mask, or a
normalisation over the time dim.

## Example
```python
att = (q @ k.transpose(-2, -1)).softmax(dim=-1)  # no causal mask
```

## Use instead
```python
att = (q @ k.transpose(-2, -1)).masked_fill(mask[:t, :t] == 0, float("-inf")).softmax(dim=-1)
```

## How to run it
{_PROBE}; `--causal` turns the test on when the factory does not say so.
""",
    ),
    RuntimeCode(
        "NN911",
        "loss-at-init",
        "run",
        "The first loss is far from its expected value.",
        "docs/run.md#what-the-checks-do",
        f"""## What it does
Compares the first loss of the training run with the loss of an uninformed model: ln(classes) for
cross-entropy and NLL, ln 2 for binary cross-entropy, the target variance for MSE. Far above, the message
says which cause is likelier (inputs that look un-normalised, or the last layer's initialisation); far below
(info), the answer may leak into the inputs, or the model was loaded pretrained.

## Why is this bad?
A first loss far from the expected value means the network starts in a bad place: it spends its first
steps undoing the initialisation (the "hockey stick" loss curve), or the inputs are not what the model
expects.

## How to run it
{_RUN}.
""",
    ),
    RuntimeCode(
        "NN912",
        "cannot-overfit-batch",
        "run",
        "A copy of the model cannot overfit a few samples.",
        "docs/run.md#what-the-checks-do",
        f"""## What it does
Trains a copy of the model on a few samples of the first real batch (Adam 3e-4, dropout off, no weight
decay) and reports when the loss flattens far from its floor.

## Why is this bad?
A model that cannot overfit eight samples cannot learn the data set either: the loss, the targets, the
model's output layer or its wiring is broken. Checking this first costs seconds; finding out after a
training run costs hours.

## How to run it
{_RUN}. The check replays the loss; a loss that is not one of `torch.nn.functional`'s is reported as
skipped, with the reason.
""",
    ),
    RuntimeCode(
        "NN913",
        "input-independent",
        "run",
        "Zeroed inputs train as well as the real ones.",
        "docs/run.md#what-the-checks-do",
        f"""## What it does
Trains a copy of the model with the inputs zeroed, for as many steps as the overfitting check, and reports
when the real inputs get the loss no closer to its floor than zeros do.

## Why is this bad?
The output does not depend on the input: the inputs are overwritten, detached or never reach the model,
and the network learns the targets' average.

## How to run it
{_RUN}.
""",
    ),
    RuntimeCode(
        "NN914",
        "dead-or-saturated-units",
        "run",
        "Layers whose units are dead or saturated.",
        "docs/run.md#what-the-checks-do",
        f"""## What it does
One forward of the first batch sees every ReLU, tanh and sigmoid, and reports layers where a large share
of units is never positive (ReLU) or never leaves saturation (tanh, sigmoid) over the whole batch.

## Why is this bad?
Dead or saturated units pass no gradient: a layer where half the units are dead has half its capacity,
and it does not recover. Causes are a learning rate that is too high, a bad initialisation, or inputs on the
wrong scale.

## How to run it
{_RUN}.
""",
    ),
    RuntimeCode(
        "NN915",
        "update-ratio",
        "run",
        "Update/weight norm ratio far from about 1e-3.",
        "docs/run.md#what-the-checks-do",
        f"""## What it does
Measures ||w_after - w_before|| / ||w_before|| per parameter group over the script's real optimizer
step(s) and reports ratios far from about 1e-3.

## Why is this bad?
Updates much smaller than 1e-3 of the weights mean the learning rate is too low to train in the planned
number of steps; much larger, and training is unstable or the weights are being overwritten.

## How to run it
{_RUN}; `--steps 10` measures the median of ten steps.
""",
    ),
    RuntimeCode(
        "NN916",
        "parameters-not-updated",
        "run",
        "Trainable parameters that never get updated.",
        "docs/run.md#what-the-checks-do",
        f"""## What it does
Reports trainable parameters that the optimizer holds but that get no gradient (unused, or cut off by
`detach()`/`no_grad()`) or an all-zero one at the first step, and trainable parameters of the model that no
optimizer holds.

## Why is this bad?
Those parameters never change: a layer left out of the optimizer, a head whose output is never used in the
loss, or a branch cut off from the graph trains nothing while the run looks healthy.

## How to run it
{_RUN}.
""",
    ),
    RuntimeCode(
        "NN917",
        "dropout-before-batchnorm",
        "run",
        "Dropout feeds BatchNorm in the traced forward.",
        "docs/run.md#what-the-checks-do",
        f"""## What it does
Follows dropout outputs through the traced forward of the real model and reports a BatchNorm that reads
one, at the line that built the BatchNorm.

## Why is this bad?
Dropout changes the variance of its output between training and evaluation, so the statistics BatchNorm
collects in training do not match what it sees in evaluation ("variance shift"), and the evaluated model
is worse than the trained one.

## How to run it
{_RUN}. NN403 finds the same pattern in the source when the layers are listed in order.
""",
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
