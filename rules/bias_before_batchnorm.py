"""NN402 bias-before-batchnorm: a convolution or linear layer's bias, cancelled by the BatchNorm after it."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from nnlint import vocabulary as vocab
from nnlint.engine.layers import Layer
from nnlint.finding import Severity
from nnlint.rule import Invalid, Rule, RuleFix
from nnlint.vocabulary import BATCH_NORMS


class BiasBeforeBatchnorm(Rule):
    """## What it does
    Flags a `Conv*d`, `ConvTranspose*d` or `Linear` layer that keeps its bias (the default) and whose output
    goes straight into a `BatchNorm`: in an `nn.Sequential(...)` (also built from a list or an
    `OrderedDict`, or grown with `add_module`, in an `nn.Sequential` subclass or on an empty Sequential), or
    in a model's forward (`self.bn(self.conv(x))`, or `x = self.conv(x)` followed by `x = self.bn(x)`),
    also between two `ModuleList`s indexed alike (`self.bns[i](self.linears[i](h))`) when every layer of
    each list is of one kind and every linear/conv layer keeps its bias, and in a list grown in a loop
    over block configurations (`for d_in, d_out, norm, act in blocks:` appending `nn.Linear(d_in, d_out)`
    then `norm` when given) whose entries the subclasses' `super().__init__([...])` calls of the same
    file pass (`(256, 256, nn.BatchNorm1d(256), nn.ReLU())`). A BatchNorm appended only under a flag
    parameter that every call leaves false (`if bn:` with `bn=False` passed or defaulted, also to a module
    constant `batch_norm = False`, and no importing module calling the helper) is never built.

    ## Why is this bad?
    BatchNorm subtracts the per-channel mean of its input, and a bias adds a per-channel constant: the
    constant is subtracted right back out, in training (batch mean) as in evaluation (the running mean
    includes it). The bias parameters receive zero gradient, cost memory and optimizer state, and, with
    weight decay, are decayed for nothing; BatchNorm's own `beta` already provides the shift. This is
    wasted work rather than wrong results, hence the severity `info`. The CS231n notes and the ResNet and
    DCGAN reference implementations build convolutions before BatchNorm with `bias=False`.

    ## Example
    ```python
    block = nn.Sequential(nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128), nn.ReLU())
    ```

    ## Use instead
    ```python
    block = nn.Sequential(nn.Conv2d(64, 128, 3, padding=1, bias=False), nn.BatchNorm2d(128), nn.ReLU())
    ```

    ## Fix safety
    The fix adds `bias=False` to the layer's constructor. It is unsafe: the model's state dict loses the
    bias entries, so existing checkpoints no longer load with `strict=True`. No fix is offered when the
    layer is built in a helper or used at more than one place, where other uses may need the bias.

    ## References
    - S. Ioffe, C. Szegedy, "Batch Normalization" (2015), section 3.2: the bias "can be ignored since its
      effect will be canceled by the subsequent mean subtraction".
    - CS231n notes, "Batch Normalization"; PyTorch docs, `torch.nn.BatchNorm2d`.
    """

    code = "NN402"
    name = "bias-before-batchnorm"
    severity = Severity.INFO
    message = "This layer's bias is cancelled by the BatchNorm right after it; pass `bias=False`."
    hint = "BatchNorm subtracts the channel mean, so a bias before it is dead weight: use `bias=False`."

    VALID: ClassVar[list[str]] = [
        # Block configurations without a BatchNorm, or with a norm that is not one everywhere; a Linear
        # built with the bias off where a norm follows.
        """
import torch.nn as nn
class Head(nn.Module):
    def __init__(self, blocks):
        super().__init__()
        self.layers = []
        for d_in, d_out, norm, act in blocks:
            self.layers.append(nn.Linear(d_in, d_out))
            if norm:
                self.layers.append(norm)
            if act:
                self.layers.append(act)
        self.layers = nn.Sequential(*self.layers)

class Plain(Head):
    def __init__(self, d):
        super().__init__([(d, d, None, nn.ReLU()), (d, d, None, None)])

class Mixed(nn.Module):
    def __init__(self, blocks):
        super().__init__()
        layers = []
        for d_in, d_out, norm in blocks:
            layers.append(nn.Linear(d_in, d_out, bias=norm is None))
            if norm is not None:
                layers.append(norm)
        self.net = nn.Sequential(*layers)

class Configured(Mixed):
    def __init__(self, d):
        super().__init__([(d, d, nn.BatchNorm1d(d)), (d, d, nn.LayerNorm(d))])
""",
        # Two layer lists paired by index, the linear layers built without a bias.
        """
import torch.nn as nn
class MLP(nn.Module):
    def __init__(self, n, d):
        super().__init__()
        self.linears = nn.ModuleList()
        self.norms = nn.ModuleList()
        for _ in range(n):
            self.linears.append(nn.Linear(d, d, bias=False))
            self.norms.append(nn.BatchNorm1d(d))

    def forward(self, h):
        for i in range(len(self.linears)):
            h = self.norms[i](self.linears[i](h)).relu()
        return h
""",
        """
import torch.nn as nn
block = nn.Sequential(nn.Conv2d(3, 16, 3, bias=False), nn.BatchNorm2d(16), nn.ReLU())
""",
        # A bias before a non-BN layer, and BN before a biased layer.
        """
import torch.nn as nn
head = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.BatchNorm1d(8), nn.Linear(8, 2))
""",
        # Something between the conv and the BN in forward.
        """
import torch.nn as nn
import torch.nn.functional as F
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.bn = nn.BatchNorm2d(8)
    def forward(self, x):
        x = self.conv(x)
        x = F.relu(x)
        return self.bn(x)
""",
        # The BN is picked at run time: unknown, so silent.
        """
import torch.nn as nn
class Block(nn.Module):
    def __init__(self, norm_layer):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.bn = norm_layer(8)
    def forward(self, x):
        return self.bn(self.conv(x))
""",
        # LayerNorm and GroupNorm do not cancel a per-channel bias.
        """
import torch.nn as nn
mlp = nn.Sequential(nn.Linear(8, 8), nn.LayerNorm(8), nn.Conv2d(8, 8, 1), nn.GroupNorm(2, 8))
""",
        # bias given positionally as False, or computed at run time.
        """
import torch.nn as nn
layers = nn.Sequential(nn.Linear(4, 4, False), nn.BatchNorm1d(4))
def conv_bn(c_in, c_out, norm=True):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, bias=not norm), nn.BatchNorm2d(c_out))
""",
        # sr-gan's helpers: the BatchNorm is appended only under a flag that every call leaves false (its
        # default is a module constant `False`), so no BatchNorm ever follows the conv.
        """
import torch.nn as nn
batch_norm = False
def convolution(c_in, c_out, k_size, stride=2, pad=1, bn=batch_norm):
    layers = [nn.Conv2d(c_in, c_out, k_size, stride, pad)]
    if bn:
        layers.append(nn.BatchNorm2d(c_out))
    return nn.Sequential(*layers)
class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = convolution(3, 64, 4, bn=False)
        self.layer2 = convolution(64, 128, 4)
""",
        # add_module on a Module (its forward decides the order), or on a Sequential that overrides forward.
        """
import torch.nn as nn
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.add_module("conv", nn.Conv2d(3, 8, 3))
        self.add_module("bn", nn.BatchNorm2d(8))
    def forward(self, x):
        return self.conv(x) + self.bn(x)
class Skip(nn.Sequential):
    def __init__(self):
        super().__init__()
        self.add_module("conv", nn.Conv2d(8, 8, 3))
        self.add_module("bn", nn.BatchNorm2d(8))
    def forward(self, x):
        return x + self.bn(x) + self.conv(x)
""",
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        # Block configurations handed to the base class by subclasses: the BatchNorm follows the Linear.
        Invalid(
            """
import torch.nn as nn
class Head(nn.Module):
    def __init__(self, blocks):
        super().__init__()
        self.layers = []
        for d_in, d_out, norm, act in blocks:
            self.layers.append(nn.Linear(d_in, d_out))
            if norm:
                self.layers.append(norm)
            if act:
                self.layers.append(act)
        self.layers = nn.Sequential(*self.layers)

class ProjectionHead(Head):
    def __init__(self, d, use_bn=True):
        bn = nn.BatchNorm1d(d) if use_bn else None
        super().__init__([(d, d, bn, nn.ReLU()), (d, d, None, None)])
""",
            line=8,
        ),
        # Two layer lists paired by index in forward (GIN's MLP): every Linear keeps its bias.
        Invalid(
            """
import torch
import torch.nn as nn
class MLP(nn.Module):
    def __init__(self, num_layers, input_dim, hidden_dim):
        super().__init__()
        self.linears = torch.nn.ModuleList()
        self.batch_norms = torch.nn.ModuleList()
        self.linears.append(nn.Linear(input_dim, hidden_dim))
        for layer in range(num_layers - 1):
            self.linears.append(nn.Linear(hidden_dim, hidden_dim))
        for layer in range(num_layers):
            self.batch_norms.append(nn.BatchNorm1d(hidden_dim))

    def forward(self, h):
        for i in range(len(self.linears)):
            h = torch.relu(self.batch_norms[i](self.linears[i](h)))
        return h
""",
            line=9,
        ),
        Invalid(
            """
import torch.nn as nn
block = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU())
""",
            line=3,
            fixed="""
import torch.nn as nn
block = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
""",
        ),
        # A forward chain over consecutive statements; the fix lands in __init__.
        Invalid(
            """
import torch.nn as nn
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(
            3,
            8,
            kernel_size=3,
        )
        self.bn = nn.BatchNorm2d(8)
    def forward(self, x):
        x = self.conv(x)
        x = self.bn(x)
        return x.relu()
""",
            line=6,
            fixed="""
import torch.nn as nn
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(
            3,
            8,
            kernel_size=3, bias=False,
        )
        self.bn = nn.BatchNorm2d(8)
    def forward(self, x):
        x = self.conv(x)
        x = self.bn(x)
        return x.relu()
""",
        ),
        # Nested calls, with `bias=True` spelled out.
        Invalid(
            """
from torch import nn
class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(128, 64, bias=True)
        self.bn = nn.BatchNorm1d(64)
    def forward(self, x):
        return nn.functional.relu(self.bn(self.fc(x)))
""",
            line=6,
            fixed="""
from torch import nn
class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(128, 64, bias=False)
        self.bn = nn.BatchNorm1d(64)
    def forward(self, x):
        return nn.functional.relu(self.bn(self.fc(x)))
""",
        ),
        # A list that becomes a Sequential (the VGG pattern): the conv is reused without BN, so no fix.
        Invalid(
            """
import torch.nn as nn
def make_layers(cfg, batch_norm):
    layers = []
    in_channels = 3
    for v in cfg:
        conv2d = nn.Conv2d(in_channels, v, kernel_size=3, padding=1)
        if batch_norm:
            layers += [conv2d, nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
        else:
            layers += [conv2d, nn.ReLU(inplace=True)]
        in_channels = v
    return nn.Sequential(*layers)
""",
            line=7,
        ),
        # Appended one after the other, in a helper whose list is unpacked into a Sequential.
        Invalid(
            """
import torch.nn as nn
from collections import OrderedDict
def block(n_in, n_out):
    layers = [nn.Linear(n_in, n_out)]
    layers.append(nn.BatchNorm1d(n_out))
    layers.append(nn.LeakyReLU(0.2))
    return layers
generator = nn.Sequential(*block(100, 128), *block(128, 256))
named = nn.Sequential(OrderedDict([("conv", nn.ConvTranspose2d(8, 4, 4)), ("bn", nn.BatchNorm2d(4))]))
""",
            line=5,
        ),
        # Registered with add_module in a Sequential subclass, or on an empty Sequential: chained in order.
        Invalid(
            """
import torch.nn as nn
class ConvBN(nn.Sequential):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.add_module("conv", nn.Conv2d(c_in, c_out, 3, padding=1))
        self.add_module("bn", nn.BatchNorm2d(c_out))
        self.add_module("relu", nn.ReLU())
""",
            line=6,
        ),
        Invalid(
            """
import torch.nn as nn
def head(n_in, n_out):
    mlp = nn.Sequential()
    mlp.add_module("fc", nn.Linear(n_in, n_out))
    mlp.add_module("bn", nn.BatchNorm1d(n_out))
    return mlp
""",
            line=5,
        ),
    ]

    def finish(self) -> None:
        if "BatchNorm" not in self.ctx.source:
            return  # no chain can end in a BatchNorm: skip the layer analysis
        for first, second in self.ctx.layers.pairs:
            if (
                second.kind in BATCH_NORMS
                and first.kind in vocab.BIAS_POSITION
                and all(_has_bias(call, first.kind) is True for call in (first.constructor, *first.others))
            ):
                message = (
                    f"`{_short(first.kind)}` keeps a bias that the `{_short(second.kind)}` right after it "
                    "cancels (it subtracts the per-channel mean); pass `bias=False`."
                )
                self.report(first.site, message=message, fix=self._fix(first))

    def _fix(self, layer: Layer) -> RuleFix | None:
        if not layer.editable:
            return None
        call = layer.constructor
        explicit = _bias_argument(call, vocab.BIAS_POSITION[layer.kind])
        if explicit is not None:
            replacement: tuple[cst.CSTNode, str] = (explicit.value, "False")
        elif call.args:
            # The whole last argument, parentheses and keyword included (`padding=(1)`), without its comma.
            last = call.args[-1]
            bare = last.with_changes(
                comma=cst.MaybeSentinel.DEFAULT, whitespace_after_arg=cst.SimpleWhitespace("")
            )
            code = self.ctx.module.code_for_node(bare)
            if "\n" in code:
                return None  # a multi-line argument: its indentation cannot be rebuilt here
            replacement = (last, f"{code}, bias=False")
        else:
            code = self.ctx.module.code_for_node(call.func)
            replacement = (call, f"{code}(bias=False)")
        return RuleFix(message="Pass `bias=False`", replacements=(replacement,), safe=False)


def _bias_argument(call: cst.Call, position: int) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "bias":
            return arg
    positional = [arg for arg in call.args if arg.keyword is None]
    if any(arg.star for arg in positional):
        return None
    return positional[position] if len(positional) > position else None


def _has_bias(call: cst.Call, kind: str) -> bool | None:
    """True when the layer a constructor call builds certainly has a bias, False when it certainly has
    none, None when unknown."""
    if any(arg.star for arg in call.args):
        return None
    argument = _bias_argument(call, vocab.BIAS_POSITION[kind])
    if argument is None:
        return True
    value = argument.value
    if isinstance(value, cst.Name) and value.value in ("True", "False"):
        return value.value == "True"
    return None


def _short(kind: str) -> str:
    return kind.replace("torch.nn.", "nn.")
