"""The documentation of the runtime codes (`nnlint probe`, `nnlint run`), shipped inside the package.

`nnlint rule NN912` must explain the check where nnlint is installed, which has no `docs/` folder; the long
pages (docs/probe.md, docs/run.md) stay the place for the method, the thresholds and their sources. Each
entry has the sections of a static rule's docs, so `nnlint rule`, hover and SARIF help read the same.
`tests/test_runtime_codes.py` checks that every runtime code has an entry.
"""

from __future__ import annotations

_RUN = "`nnlint run train.py` (see `docs/run.md` in the repository for the thresholds and their sources)"
_PROBE = "`nnlint probe model.py:build`, or `nnlint check --probe model.py:build` (see `docs/probe.md`)"

RUNTIME_DOCS: dict[str, str] = {
    "NN901": f"""## What it does
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
    "NN902": f"""## What it does
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
    "NN911": f"""## What it does
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
    "NN912": f"""## What it does
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
    "NN913": f"""## What it does
Trains a copy of the model with the inputs zeroed, for as many steps as the overfitting check, and reports
when the real inputs get the loss no closer to its floor than zeros do.

## Why is this bad?
The output does not depend on the input: the inputs are overwritten, detached or never reach the model,
and the network learns the targets' average.

## How to run it
{_RUN}.
""",
    "NN914": f"""## What it does
One forward of the first batch sees every ReLU, tanh and sigmoid, and reports layers where a large share
of units is never positive (ReLU) or never leaves saturation (tanh, sigmoid) over the whole batch.

## Why is this bad?
Dead or saturated units pass no gradient: a layer where half the units are dead has half its capacity,
and it does not recover. Causes are a learning rate that is too high, a bad initialisation, or inputs on the
wrong scale.

## How to run it
{_RUN}.
""",
    "NN915": f"""## What it does
Measures ||w_after - w_before|| / ||w_before|| per parameter group over the script's real optimizer
step(s) and reports ratios far from about 1e-3.

## Why is this bad?
Updates much smaller than 1e-3 of the weights mean the learning rate is too low to train in the planned
number of steps; much larger, and training is unstable or the weights are being overwritten.

## How to run it
{_RUN}; `--steps 10` measures the median of ten steps.
""",
    "NN916": f"""## What it does
Reports trainable parameters that the optimizer holds but that get no gradient (unused, or cut off by
`detach()`/`no_grad()`) or an all-zero one at the first step, and trainable parameters of the model that no
optimizer holds.

## Why is this bad?
Those parameters never change: a layer left out of the optimizer, a head whose output is never used in the
loss, or a branch cut off from the graph trains nothing while the run looks healthy.

## How to run it
{_RUN}.
""",
    "NN917": f"""## What it does
Follows dropout outputs through the traced forward of the real model and reports a BatchNorm that reads
one, at the line that built the BatchNorm.

## Why is this bad?
Dropout changes the variance of its output between training and evaluation, so the statistics BatchNorm
collects in training do not match what it sees in evaluation ("variance shift"), and the evaluated model
is worse than the trained one.

## How to run it
{_RUN}. NN403 finds the same pattern in the source when the layers are listed in order.
""",
}
