"""NN403 dropout-before-batchnorm: a Dropout feeding a BatchNorm shifts its statistics at evaluation."""

from __future__ import annotations

from typing import ClassVar

from nnlint.finding import Severity
from nnlint.rule import Rule
from nnlint.vocabulary import BATCH_NORMS, DROPOUTS


class DropoutBeforeBatchnorm(Rule):
    """## What it does
    Flags a Dropout layer (or `F.dropout`) whose output goes straight into a BatchNorm: in an
    `nn.Sequential(...)` (also built from a list or an `OrderedDict`) or in a model's forward
    (`self.bn(self.drop(x))`, or `x = self.drop(x)` followed by `x = self.bn(x)`).

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
    INVALID: ClassVar[list[str]] = [
        """
import torch.nn as nn
head = nn.Sequential(nn.Linear(512, 256), nn.ReLU(), nn.Dropout(0.5), nn.BatchNorm1d(256))
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
    ]

    def finish(self) -> None:
        if "BatchNorm" not in self.ctx.source:
            return
        for first, second in self.ctx.layers.pairs:
            if first.kind in DROPOUTS and second.kind in BATCH_NORMS:
                self.report(first.site)
