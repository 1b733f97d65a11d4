"""NN403 dropout-before-batchnorm: a Dropout feeding a BatchNorm shifts its statistics at evaluation."""

from __future__ import annotations

from typing import ClassVar

from nnlint.finding import Severity
from nnlint.rule import Evidence, Invalid, Rule
from nnlint.vocabulary import BATCH_NORMS, DROPOUTS


class DropoutBeforeBatchnorm(Rule):
    """## What it does
    Flags a Dropout layer (or `F.dropout`) whose output goes straight into a BatchNorm: in an
    `nn.Sequential(...)` (also built from a list or an `OrderedDict`, or grown with `add_module`) or in a
    model's forward (`self.bn(self.drop(x))`, or `x = self.drop(x)` followed by `x = self.bn(x)`). When
    the two are appended (or added) under separate `if`s (`if dropout: ...`, then `if batchnorm: ...`), the
    finding says under which settings the dropout feeds the BatchNorm. In a forward, the finding is on the
    call that runs the dropout (where the order is written and changed), with the layer's definition as a
    related location.

    ## Why is this bad?
    In training, dropout zeroes activations and scales the rest by `1 / (1 - p)`, which changes their
    variance; BatchNorm records that variance in its running statistics. In evaluation dropout is off, the
    variance of BatchNorm's input is different from what it recorded, and every layer after it sees
    shifted activations: the "variance shift" that Li et al. measured as a consistent loss of test accuracy.
    The training loss looks fine; only evaluation suffers.

    ## Example
    ```python
    head = nn.Sequential(nn.Linear(512, 256), nn.ReLU(), nn.Dropout(0.5), nn.BatchNorm1d(256))
    ```

    ## Use instead
    ```python
    head = nn.Sequential(nn.Linear(512, 256, bias=False), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(0.5))
    ```
    (dropout after the last BatchNorm, or no dropout where BatchNorm already regularises.)

    ## References
    - X. Li, S. Chen, X. Hu, J. Yang, "Understanding the Disharmony between Dropout and Batch Normalization
      by Variance Shift" (CVPR 2019).
    - PyTorch docs, `torch.nn.Dropout` and `torch.nn.BatchNorm1d`.
    """

    code = "NN403"
    name = "dropout-before-batchnorm"
    severity = Severity.WARNING
    message = (
        "This dropout feeds a BatchNorm, whose running statistics then differ between training and "
        "evaluation; move the dropout after the BatchNorm."
    )
    hint = "Put dropout after the last BatchNorm (Li et al. 2019, variance shift)."

    VALID: ClassVar[list[str]] = [
        # add_module on a plain Module: its forward, not the registration order, decides the flow.
        """
import torch.nn as nn
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.add_module("drop", nn.Dropout(0.1))
        self.add_module("bn", nn.BatchNorm1d(8))
    def forward(self, x):
        return self.drop(self.bn(x))
""",
        # Dropout or batchnorm, never both: the else branch does not follow the dropout.
        """
import torch.nn as nn
def block(d, use_dropout):
    layers = [nn.Linear(d, d)]
    if use_dropout:
        layers.append(nn.Dropout(0.5))
    else:
        layers.append(nn.BatchNorm1d(d))
    return nn.Sequential(*layers)
""",
        # Batchnorm first, then dropout, each optional: the right order.
        """
import torch.nn as nn
def block(d, p, bn):
    layers = [nn.Linear(d, d)]
    if bn:
        layers.append(nn.BatchNorm1d(d))
    if p:
        layers.append(nn.Dropout(p))
    return nn.Sequential(*layers)
""",
        # An unconditional layer between the optional dropout and the optional batchnorm.
        """
import torch.nn as nn
def block(d, p, bn):
    layers = [nn.Linear(d, d)]
    if p:
        layers.append(nn.Dropout(p))
    layers.append(nn.Linear(d, d))
    if bn:
        layers.append(nn.BatchNorm1d(d))
    return nn.Sequential(*layers)
""",
        # Dropout after BN, and before a Linear.
        """
import torch.nn as nn
head = nn.Sequential(nn.Linear(8, 8, bias=False), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(), nn.Linear(8, 2))
""",
        # Something between the dropout and the BN.
        """
import torch.nn as nn
class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.2)
        self.fc = nn.Linear(8, 8, bias=False)
        self.bn = nn.BatchNorm1d(8)
    def forward(self, x):
        return self.bn(self.fc(self.drop(x)))
""",
        # The dropout is applied to another tensor than the one that is normalised.
        """
import torch.nn as nn
import torch.nn.functional as F
class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(8)
    def forward(self, x, y):
        y = F.dropout(y, 0.1, self.training)
        x = self.bn(x)
        return x + y
""",
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        """
import torch.nn as nn
head = nn.Sequential(nn.Linear(512, 256), nn.ReLU(), nn.Dropout(0.5), nn.BatchNorm1d(256))
""",
        # Options appended under their own `if`s: with both on, dropout feeds batchnorm (real bug, fixed).
        """
import torch.nn as nn
class FeedForward(nn.Module):
    def __init__(self, layers, dropout=None, batchnorm=False):
        super().__init__()
        modules = []
        for i in range(len(layers) - 1):
            modules.append(nn.Linear(layers[i], layers[i + 1]))
            modules.append(nn.ReLU())
            if dropout is not None:
                modules.append(nn.Dropout(p=dropout))
            if batchnorm:
                modules.append(nn.BatchNorm1d(layers[i + 1]))
        self.nn = nn.Sequential(*modules)
""",
        """
import torch.nn as nn
import torch.nn.functional as F
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm2d(16)
    def forward(self, x):
        x = F.dropout2d(x, 0.1, self.training)
        x = self.bn(x)
        return x
""",
        Invalid(
            """
from torch import nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.3)
        self.norm = nn.BatchNorm1d(32)
    def forward(self, x):
        return self.norm(self.drop(x))
""",
            line=9,
        ),
        # Applied in the forward, one statement each: reported where the forward runs the dropout.
        Invalid(
            """
import torch.nn as nn
class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(32, 64, 3, bias=False)
        self.drop = nn.Dropout2d(0.25)
        self.bn = nn.BatchNorm2d(64)
    def forward(self, x):
        x = self.conv(x)
        x = self.drop(x)
        x = self.bn(x)
        return x
""",
            line=11,
        ),
        # A Sequential subclass that registers its modules with add_module under their own flags.
        """
import torch.nn as nn
class Block(nn.Sequential):
    def __init__(self, width, drop=0.0, norm=True):
        super().__init__()
        self.add_module("fc", nn.Linear(width, width, bias=not norm))
        if drop:
            self.add_module("drop", nn.Dropout(drop))
        if norm:
            self.add_module("bn", nn.BatchNorm1d(width))
""",
    ]

    def finish(self) -> None:
        if "BatchNorm" not in self.ctx.source:
            return
        for first, second in self.ctx.layers.pairs:
            if first.kind in DROPOUTS and second.kind in BATCH_NORMS:
                if first.applied is None or first.applied is first.site:
                    self.report(first.site)
                else:  # the forward's order is the line to change; the layer is built elsewhere
                    self.report(first.applied, related=(Evidence(first.site, "the dropout, built here"),))
        for pair in self.ctx.layers.conditional_pairs:
            if pair.first.kind in DROPOUTS and pair.second.kind in BATCH_NORMS:
                self.report(
                    pair.first.site,
                    message=(
                        f"When {_both(pair.conditions)}, this dropout feeds a BatchNorm, whose running "
                        "statistics then differ between training and evaluation; append the dropout after "
                        "the BatchNorm."
                    ),
                )


def _both(tests: tuple[str, ...]) -> str:
    """`a` holds / `a` and `b` both hold / `a`, `b` and `c` all hold."""
    quoted = [f"`{test}`" for test in tests]
    if len(quoted) == 1:
        return f"{quoted[0]} holds"
    joined = f"{', '.join(quoted[:-1])} and {quoted[-1]}"
    return f"{joined} {'both' if len(quoted) == 2 else 'all'} hold"
