"""NN401 softmax-into-cross-entropy: probabilities handed to a loss that expects logits."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from nnlint.engine.roles import Role
from nnlint.finding import Severity
from nnlint.rule import Invalid, Rule, RuleFix

# Losses that apply the activation themselves, with the activation outputs they must not be given.
_CROSS_ENTROPY = ("torch.nn.CrossEntropyLoss", "torch.nn.functional.cross_entropy")
_BCE_WITH_LOGITS = ("torch.nn.BCEWithLogitsLoss", "torch.nn.functional.binary_cross_entropy_with_logits")
_WRONG_INPUTS = {
    **{loss: frozenset({"softmax", "log_softmax"}) for loss in _CROSS_ENTROPY},
    **{loss: frozenset({"sigmoid"}) for loss in _BCE_WITH_LOGITS},
}
_LOSS_NAMES = {
    "torch.nn.CrossEntropyLoss": "CrossEntropyLoss",
    "torch.nn.functional.cross_entropy": "F.cross_entropy",
    "torch.nn.BCEWithLogitsLoss": "BCEWithLogitsLoss",
    "torch.nn.functional.binary_cross_entropy_with_logits": "F.binary_cross_entropy_with_logits",
}
# Expressions that cannot stand as a call argument without their parentheses.
_NEEDS_PARENTHESES = (cst.Tuple, cst.Yield, cst.NamedExpr, cst.GeneratorExp)


class SoftmaxIntoCrossEntropy(Rule):
    """## What it does
    Flags a softmax or log_softmax output passed as the input (the first argument) of
    `nn.CrossEntropyLoss` / `F.cross_entropy`, and a sigmoid output passed to `nn.BCEWithLogitsLoss` /
    `F.binary_cross_entropy_with_logits`. The activation is recognised as a call (`F.softmax(x, dim=1)`,
    `torch.softmax`, `x.softmax(1)`, `torch.sigmoid`), as a layer (`nn.Softmax`, `nn.LogSoftmax`,
    `nn.Sigmoid`), through a local name, and as the last operation of a model of the same file (a
    `forward` that returns `F.softmax(...)`, or a Sequential that ends with `nn.Softmax`). A softmax used as
    the *target* (distillation), log_softmax into `NLLLoss` and sigmoid into `BCELoss` are correct and are
    not flagged.

    ## Why is this bad?
    `CrossEntropyLoss` expects raw logits and applies `log_softmax` itself; `BCEWithLogitsLoss` applies the
    sigmoid itself. Given probabilities, softmax is applied twice: the "logits" are squeezed into [0, 1], so
    the predicted distribution can never be confident, the loss cannot approach zero and its gradients
    shrink; the model still trains, only worse, and nothing crashes. (log_softmax into CrossEntropyLoss
    happens to give the same value, because log_softmax is idempotent, but it is redundant work and reads
    as a misunderstanding of the loss.) Karpathy lists "softmax into a loss that expects raw logits" among
    the most common neural-network mistakes.

    ## Example
    ```python
    logits = model(x)
    loss = criterion(F.softmax(logits, dim=1), y)  # criterion = nn.CrossEntropyLoss()
    ```

    ## Use instead
    ```python
    logits = model(x)
    loss = criterion(logits, y)  # or F.nll_loss(F.log_softmax(logits, dim=1), y)
    ```

    ## Fix safety
    When the activation is written inside the loss call, the fix removes it, passing its input to the loss.
    The fix is safe: it is what the loss expects.

    ## References
    - A. Karpathy, "most common neural net mistakes" (2018): "you used softmax ... into a loss that expects
      raw logits".
    - PyTorch docs, `torch.nn.CrossEntropyLoss` ("The input is expected to contain the unnormalized logits
      for each class") and `torch.nn.BCEWithLogitsLoss`.
    """

    code = "NN401"
    name = "softmax-into-cross-entropy"
    # A warning, not an error: log_softmax into CrossEntropyLoss is redundant rather than wrong.
    severity = Severity.WARNING
    message = "The loss applies its own softmax/sigmoid to this input; pass the raw logits instead."
    hint = (
        "CrossEntropyLoss and BCEWithLogitsLoss take raw logits: drop the softmax / sigmoid in front of them."
    )

    VALID: ClassVar[list[str]] = [
        # log_softmax into NLLLoss is the other correct spelling.
        """
import torch.nn as nn
import torch.nn.functional as F
criterion = nn.NLLLoss()
loss = criterion(F.log_softmax(logits, dim=1), y)
loss2 = F.nll_loss(F.log_softmax(logits, dim=1), y)
""",
        # Distillation: the softmax is the target, the input is the raw student logits.
        """
import torch.nn.functional as F
loss = F.cross_entropy(student_logits, F.softmax(teacher_logits / T, dim=-1))
""",
        # Sigmoid into BCELoss expects probabilities.
        """
import torch
criterion = torch.nn.BCELoss()
loss = criterion(torch.sigmoid(out), target)
""",
        # The MNIST example: the model ends with log_softmax, and the loss is NLL.
        """
import torch.nn as nn
import torch.nn.functional as F
class Net(nn.Module):
    def forward(self, x):
        return F.log_softmax(self.fc(x), dim=1)
model = Net().to(device)
for data, target in loader:
    output = model(data)
    loss = F.nll_loss(output, target)
""",
        # Probabilities computed for logging, next to a loss on the logits.
        """
import torch.nn as nn
criterion = nn.CrossEntropyLoss()
logits = model(x)
probs = logits.softmax(dim=-1)
loss = criterion(logits, y)
""",
        # A model that returns softmax only at inference (two different returns): not certain.
        """
import torch.nn as nn
import torch.nn.functional as F
class Net(nn.Module):
    def forward(self, x):
        x = self.fc(x)
        if self.training:
            return x
        return F.softmax(x, dim=1)
net = Net()
loss = nn.CrossEntropyLoss()(net(x), y)
""",
        # The name is rebound between the softmax and the loss.
        """
import torch.nn.functional as F
out = F.softmax(logits, dim=1)
out = head(features)
loss = F.cross_entropy(out, y)
""",
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        Invalid(
            """
import torch.nn as nn
import torch.nn.functional as F
criterion = nn.CrossEntropyLoss()
for x, y in loader:
    loss = criterion(F.softmax(model(x), dim=1), y)
""",
            line=6,
            fixed="""
import torch.nn as nn
import torch.nn.functional as F
criterion = nn.CrossEntropyLoss()
for x, y in loader:
    loss = criterion(model(x), y)
""",
        ),
        Invalid(
            """
import torch
loss = torch.nn.functional.cross_entropy(input=logits.log_softmax(-1), target=y)
""",
            line=3,
            fixed="""
import torch
loss = torch.nn.functional.cross_entropy(input=logits, target=y)
""",
        ),
        Invalid(
            """
import torch
from torch import nn
bce = nn.BCEWithLogitsLoss()
probs = torch.sigmoid(head(x))
loss = bce(probs, labels.float())
""",
            line=6,
        ),
        # A model whose last layer is nn.Softmax, trained through a helper with the criterion as a parameter.
        Invalid(
            """
import torch.nn as nn
model = nn.Sequential(nn.Linear(784, 10), nn.Softmax(dim=1))
loss_fn = nn.CrossEntropyLoss()

def train(model, loss_fn, loader):
    for X, y in loader:
        pred = model(X)
        loss = loss_fn(pred, y)
""",
            line=9,
        ),
        # A model class whose forward returns softmax, moved to a device.
        Invalid(
            """
import torch.nn as nn
import torch.nn.functional as F
class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 4)
    def forward(self, x):
        x = self.fc(x)
        return F.softmax(x, dim=-1)

class Lit:
    def __init__(self):
        self.net = Classifier().cuda()
        self.criterion = nn.CrossEntropyLoss()
    def training_step(self, batch):
        x, y = batch
        return self.criterion(self.net(x), y)
""",
            line=18,
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        loss = self._loss_kind(node)
        if loss is None:
            return
        argument = _input_argument(node)
        if argument is None:
            return
        activation = self.ctx.layers.output_activation(argument.value)
        if activation not in _WRONG_INPUTS[loss]:
            return
        self.report(
            argument.value, message=_message(activation, _LOSS_NAMES[loss]), fix=self._fix(argument.value)
        )

    def _loss_kind(self, call: cst.Call) -> str | None:
        """Which logits-taking loss a call computes: a loss function, or a criterion object called."""
        callee = self.ctx.callee(call)
        if callee in _WRONG_INPUTS:
            return callee
        func = call.func
        if isinstance(func, cst.Call):  # `nn.CrossEntropyLoss()(out, y)`
            kind = self.ctx.callee(func)
            return kind if kind in _WRONG_INPUTS else None
        if not isinstance(func, (cst.Name, cst.Attribute)) or not self.ctx.roles.has(func, Role.CRITERION):
            return None
        layer = self.ctx.layers.layer_of(func)
        kind = (
            layer.kind
            if layer is not None
            else _normalised(self.ctx.roles.constructor_name(self.ctx.dotted(func)))
        )
        return kind if kind in _WRONG_INPUTS else None

    def _fix(self, value: cst.BaseExpression) -> RuleFix | None:
        """Replace an activation written inside the loss call by its input: `F.softmax(out, 1)` -> `out`."""
        direct = self.ctx.layers.activation_call(value) if isinstance(value, cst.Call) else None
        if direct is None or isinstance(direct[1], _NEEDS_PARENTHESES):
            return None
        return RuleFix(message="Pass the logits to the loss", replacements=((value, direct[1]),))


def _input_argument(call: cst.Call) -> cst.Arg | None:
    """The loss's prediction argument: the first positional one, or `input=`."""
    for arg in call.args:
        if arg.star:
            return None
        if arg.keyword is None or arg.keyword.value == "input":
            return arg
    return None


def _normalised(qualified: str | None) -> str | None:
    """`torch.nn.modules.loss.CrossEntropyLoss` -> `torch.nn.CrossEntropyLoss`."""
    if qualified is None or not qualified.startswith("torch.nn.") or ".functional." in qualified:
        return qualified
    return "torch.nn." + qualified.rsplit(".", 1)[-1]


def _message(activation: str, loss: str) -> str:
    if activation == "log_softmax":
        return (
            f"`{loss}` applies log_softmax itself, so this log_softmax runs twice (redundant, same value); "
            "pass the raw logits, or use `NLLLoss` on log-probabilities."
        )
    applies = "sigmoid" if activation == "sigmoid" else "log_softmax"
    return (
        f"This is a {activation} output, but `{loss}` applies {applies} itself and expects raw logits; "
        "pass the logits, or the loss is computed on squashed values with vanishing gradients."
    )
