"""NN102 batch-flatten: a flatten in `forward` that folds the batch dim into the features."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from nnlint import vocabulary as vocab
from nnlint.engine.bindings import reaching_unpacked, reaching_value
from nnlint.engine.context import FileContext
from nnlint.engine.layers import holds_elementwise_function
from nnlint.engine.names import dotted_name
from nnlint.finding import Severity
from nnlint.rule import Invalid, Rule, RuleFix


class BatchFlatten(Rule):
    """## What it does
    Flags, inside a model's `forward`, a flatten of everything into one dim — `x.view(-1)`,
    `x.reshape(-1)`, `torch.flatten(x)` or `x.flatten()` (start dim 0) — whose result is fed to a layer or
    returned as the model's output. Flattening from dim 1 (`x.view(x.size(0), -1)`, `x.flatten(1)`,
    `nn.Flatten()`), flattening logits and targets for a loss, and `.view(-1)` of a `(B, 1)` head are fine;
    so is a layer that embeds every scalar of the flattened tensor whose output is reshaped back at once to
    that tensor's dims or to its batch size (`self.t_embedder(t.flatten()).reshape(B, T, -1)`).

    ## Why is this bad?
    Dim 0 is the batch. Flattening it away turns a batch of B samples into one long vector, so the next
    layer sees all samples at once: outputs of one sample depend on the others, and with batch size 1 (a
    quick test) everything still looks right. Either a shape error shows up only for some batch sizes, or,
    when sizes happen to fit, the model silently learns across samples. Karpathy's "A Recipe for Training
    Neural Networks" warns about exactly this kind of view/reshape that mixes information across the batch,
    and suggests checking that the gradient of one sample's output touches only that sample's input.

    ## Example
    ```python
    def forward(self, x):
        x = self.features(x)
        x = x.view(-1)
        return self.fc(x)
    ```

    ## Use instead
    ```python
    def forward(self, x):
        x = self.features(x)
        x = x.flatten(1)  # or x.view(x.size(0), -1)
        return self.fc(x)
    ```

    ## Fix safety
    The fix flattens from dim 1 instead. It is unsafe: a model built for unbatched inputs changes shape.

    ## References
    - A. Karpathy, "A Recipe for Training Neural Networks" (2019), on views that mix the batch dim.
    - PyTorch docs, `torch.flatten` and `torch.nn.Flatten` (which keeps dim 0 by default).
    """

    code = "NN102"
    name = "batch-flatten"
    severity = Severity.WARNING
    message = (
        "This flattens the batch dim into the features in `forward`, so samples mix; "
        "flatten from dim 1 (`x.flatten(1)` or `x.view(x.size(0), -1)`)."
    )
    hint = "Dim 0 is the batch: keep it, as `nn.Flatten()` and `x.flatten(1)` do."
    probe_settles = True

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._methods: dict[cst.ClassDef | None, set[str]] = {}

    VALID: ClassVar[list[str]] = [
        # A criterion compares element with element: Hugging Face's regression head flattens the logits
        # and the labels alike for MSELoss.
        """
import torch.nn as nn
from torch.nn import CrossEntropyLoss, MSELoss


class SequenceClassifier(nn.Module):
    def __init__(self, hidden, num_labels):
        super().__init__()
        self.num_labels = num_labels
        self.classifier = nn.Linear(hidden, num_labels)

    def forward(self, pooled, labels=None):
        logits = self.classifier(pooled)
        loss = None
        if labels is not None:
            if self.num_labels == 1:
                loss_fct = MSELoss()
                loss = loss_fct(logits.view(-1), labels.view(-1))
            else:
                loss_fct = CrossEntropyLoss()
                loss = loss_fct(logits.view(-1, self.num_labels), labels.view(-1))
        return loss, logits
""",
        """
import torch
import torch.nn as nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(320, 10)
    def forward(self, x):
        x = x.view(x.size(0), -1)
        return self.fc(x)
""",
        """
import torch
import torch.nn as nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(320, 10)
        self.flatten = nn.Flatten()
    def forward(self, x):
        y = self.fc(torch.flatten(x, 1))
        return self.fc(self.flatten(x)) + y + self.fc(x.flatten(1))
""",
        # Logits and targets flattened for the loss (nanoGPT).
        """
import torch
import torch.nn as nn
import torch.nn.functional as F
class GPT(nn.Module):
    def forward(self, idx, targets):
        logits = self.lm_head(self.body(idx))
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
""",
        # A (B, 1) head: dropping its unit dim keeps one value per sample.
        """
import torch
import torch.nn as nn
class Critic(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(8, 64)
        self.head = nn.Linear(64, 1)
    def forward(self, x):
        return self.head(self.body(x)).view(-1)
""",
        # DCGAN's discriminator: a Sequential ending in a one-channel conv and a sigmoid.
        """
import torch.nn as nn
class Discriminator(nn.Module):
    def __init__(self, ndf):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(3, ndf, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(ndf, 1, 4, 1, 0), nn.Sigmoid()
        )
    def forward(self, input):
        output = self.main(input)
        return output.view(-1)
""",
        # Not in a forward: flattening for metrics or a loss outside the model.
        """
import torch
def accuracy(pred, target):
    return (pred.view(-1) == target.view(-1)).float().mean()
""",
        # Token ids flattened into an embedding: each id is looked up on its own.
        """
import torch.nn as nn
class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(1000, 64)
    def forward(self, ids):
        b, t = ids.shape
        return self.embed(ids.view(-1)).view(b, t, 64)
""",
        # flatten(0, 1) merges batch and time; the features stay apart.
        """
import torch.nn as nn
class Head(nn.Module):
    def forward(self, x):
        return self.proj(x.flatten(0, 1))
""",
        # Splatted sizes keep the batch: `*input_shape` is (B, T) and `-1, *x.shape[2:]` folds two dims.
        """
import torch.nn as nn
class Attention(nn.Module):
    def forward(self, hidden_states):
        input_shape = hidden_states.shape[:-1]
        attn_output = self.attn(hidden_states)
        attn_output = attn_output.reshape(*input_shape, -1)
        return self.o_proj(attn_output)
""",
        """
import torch.nn as nn
class Net(nn.Module):
    def forward(self, x):
        return self.fc(x.reshape(-1, *x.shape[2:]))
""",
        # Every scalar embedded by itself, the batch restored at once (SDXL's time ids in diffusers).
        """
import torch
import torch.nn as nn
class UNet(nn.Module):
    def forward(self, sample, text_embeds, time_ids):
        time_embeds = self.add_time_proj(time_ids.flatten())
        time_embeds = time_embeds.reshape((text_embeds.shape[0], -1))
        return self.add_embedding(torch.concat([text_embeds, time_embeds], dim=-1))
""",
        # The same, reshaped back in the same expression: to every dim of what was flattened (boltz's contact
        # conditioning), or to the batch size unpacked from a shape, the other dims, and the embedding's
        # width (LongCat's timestep embedder, ComFormer's RBF expansion of edge lengths).
        """
import torch.nn as nn
class Conditioner(nn.Module):
    def forward(self, x, threshold, timestep):
        B, T, H = x.shape
        t = self.t_embedder(timestep.flatten()).reshape(B, T, -1)
        c = self.fourier(threshold.flatten()).reshape(threshold.shape + (-1,))
        num_edges = x.size(0)
        e = self.rbf(x[..., 0].reshape(-1)).reshape(num_edges, T, -1)
        return self.out(x + t + c + e)
""",
        # SAGPool's scores: a one-wide graph layer's output over nodes, flattened and passed to the stored
        # nonlinearity, `torch.tanh` by default: an elementwise function, not a layer that mixes samples.
        """
import torch
import torch.nn as nn
class SAGPool(nn.Module):
    def __init__(self, channels, gnn_class, nonlinearity=torch.tanh):
        super().__init__()
        self.gnn = gnn_class(channels, 1)
        self.nonlinearity = nonlinearity
    def forward(self, x, edge_index):
        score = self.gnn(x, edge_index).view(-1)
        score = self.nonlinearity(score)
        return x * score.view(-1, 1)
""",
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        # The near miss: reshaped to sizes that are no batch size (a literal count), the layer may well have
        # seen every sample at once.
        Invalid(
            """
import torch.nn as nn
class Conditioner(nn.Module):
    def forward(self, x, timestep):
        t = self.t_embedder(timestep.flatten()).reshape(4, -1)
        return self.out(x + t)
""",
            line=5,
        ),
        Invalid(
            """
import torch.nn as nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 20, 5)
        self.fc = nn.Linear(320, 10)
    def forward(self, x):
        x = self.conv(x)
        x = x.view(-1)
        return self.fc(x)
""",
            line=10,
            fixed="""
import torch.nn as nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 20, 5)
        self.fc = nn.Linear(320, 10)
    def forward(self, x):
        x = self.conv(x)
        x = x.flatten(1)
        return self.fc(x)
""",
        ),
        Invalid(
            """
import torch
import torch.nn as nn
class Net(nn.Module):
    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x)))
""",
            line=6,
            fixed="""
import torch
import torch.nn as nn
class Net(nn.Module):
    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))
""",
        ),
        # Returned as the model output: the (B, 10) logits become one vector of B * 10.
        Invalid(
            """
import torch.nn as nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(64, 10)
    def forward(self, x):
        out = self.fc(x)
        return out.reshape(-1)
""",
            line=9,
        ),
        Invalid(
            """
import torch.nn as nn
import torch.nn.functional as F
class Net(nn.Module):
    def forward(self, x):
        x = F.relu(self.fc1(x.flatten()))
        return self.fc2(x)
""",
            line=6,
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if self._in_forward(node) and self._is_layer_call(node):
            positional = [arg for arg in node.args if arg.keyword is None]
            if positional and not self._restored_per_sample(node) and not self._reshaped_back(node):
                self._check_input(positional[0].value, node)

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is None or not self._in_forward(node):
            return
        values = [e.value for e in node.value.elements] if isinstance(node.value, cst.Tuple) else [node.value]
        for value in values:
            self._check_input(value, node, returned=True)

    # -- what reaches a layer or the output --------------------------------------------------------

    def _check_input(self, expr: cst.BaseExpression, at: cst.CSTNode, returned: bool = False) -> None:
        """Report a full flatten that is `expr`, or that the name `expr` was last assigned from."""
        if isinstance(expr, cst.Name):
            value = reaching_value(self.ctx, expr.value, at)
            if value is None:
                return
            expr = value
        receiver = self._flattened(expr)
        if receiver is None or self._one_per_sample(receiver, expr):
            return
        if returned and not self._output_has_features(receiver, expr):
            return
        self.report(expr, fix=self._fix(expr, receiver))

    def _flattened(self, expr: cst.BaseExpression) -> cst.BaseExpression | None:
        """The tensor a flatten-to-1-D call flattens: `x.view(-1)`, `x.flatten()`, `torch.flatten(x)`..."""
        if not isinstance(expr, cst.Call) or any(arg.star for arg in expr.args):
            return None  # `*shape` splats dims nnlint cannot count (`x.reshape(*x.shape[:2], -1)`)
        args = list(expr.args)
        callee = self.ctx.callee(expr)
        if callee in vocab.FLATTEN_FUNCTIONS or callee in vocab.RESHAPE_FUNCTIONS:
            if not args or args[0].keyword is not None:
                return None
            receiver, rest = args[0].value, args[1:]
            if callee in vocab.FLATTEN_FUNCTIONS:
                return receiver if _from_start(rest) else None
            return receiver if _sizes_are_minus_one(rest) else None
        if callee is not None or not isinstance(expr.func, cst.Attribute):
            return None
        method = expr.func.attr.value
        if method in ("view", "reshape") and _sizes_are_minus_one(args):
            return expr.func.value
        if method == "flatten" and _from_start(args):
            return expr.func.value
        return None

    def _restored_per_sample(self, call: cst.Call) -> bool:
        """The layer's output, bound to a name, is reshaped back to `(batch, -1)` by the next statement
        (`time_embeds = self.add_time_proj(time_ids.flatten())`, then `time_embeds.reshape((B, -1))`,
        SDXL's "text_time" embedding copied across diffusers): the layer embeds every scalar by itself,
        and the batch is restored before anything mixes samples. The batch size is read off a tensor
        (`text_embeds.shape[0]`, `x.size(0)`)."""
        index = self.ctx.index
        assign = index.parent(call)
        line = index.parent(assign) if isinstance(assign, cst.Assign) else None
        block = index.parent(line) if isinstance(line, cst.SimpleStatementLine) else None
        body = getattr(block, "body", None)
        if (
            not isinstance(assign, cst.Assign)
            or len(assign.targets) != 1
            or not isinstance(body, (list, tuple))
        ):
            return False
        name = dotted_name(assign.targets[0].target)
        position = list(body).index(line)
        following = body[position + 1] if position + 1 < len(body) else None
        if name is None or not isinstance(following, cst.SimpleStatementLine):
            return False
        restore = following.body[0]
        value = restore.value if isinstance(restore, cst.Assign) else None
        if not isinstance(value, cst.Call) or not isinstance(value.func, cst.Attribute):
            return False
        if value.func.attr.value not in ("view", "reshape") or dotted_name(value.func.value) != name:
            return False
        sizes = [arg.value for arg in value.args]
        if len(sizes) == 1 and isinstance(sizes[0], (cst.Tuple, cst.List)):
            sizes = [element.value for element in sizes[0].elements]
        return len(sizes) == 2 and _batch_size(sizes[0]) and _sizes_are_minus_one([cst.Arg(sizes[1])])

    def _reshaped_back(self, call: cst.Call) -> bool:
        """The layer's output is reshaped back at once to the dims of what was flattened, the batch first:
        `self.fourier_embedding(t.flatten()).reshape(t.shape + (-1,))` (boltz's contact conditioning), or
        `self.t_embedder(timestep.flatten()).reshape(B, N_t, -1)` with `B` unpacked first from a `.shape`
        (LongCat's timestep embedding). The layer embeds each scalar by itself; no sample meets another."""
        attribute = self.ctx.index.parent(call)
        restore = self.ctx.index.parent(attribute) if isinstance(attribute, cst.Attribute) else None
        if (
            not isinstance(attribute, cst.Attribute)
            or attribute.attr.value not in ("view", "reshape")
            or not isinstance(restore, cst.Call)
            or restore.func is not attribute
            or any(arg.keyword is not None or arg.star for arg in restore.args)
        ):
            return False
        positional = [arg for arg in call.args if arg.keyword is None]
        receiver = self._flattened(positional[0].value) if positional else None
        flattened = dotted_name(receiver) if receiver is not None else None
        sizes = [arg.value for arg in restore.args]
        if len(sizes) == 1:
            # `t.shape + (-1,)`: every dim of the flattened tensor, then the embedding's
            size = sizes[0]
            return (
                flattened is not None
                and type(size) is cst.BinaryOperation
                and type(size.operator) is cst.Add
                and type(size.left) is cst.Attribute
                and size.left.attr.value == "shape"
                and dotted_name(size.left.value) == flattened
                and type(size.right) is cst.Tuple
                and _sizes_are_minus_one([cst.Arg(size.right)])
            )
        return (
            receiver is not None
            and len(sizes) >= 2
            and self._batch_size_of(sizes[0], call)
            and _sizes_are_minus_one([cst.Arg(sizes[-1])])
        )

    def _batch_size_of(self, expr: cst.BaseExpression, at: cst.CSTNode) -> bool:
        """`t.shape[0]`, `t.size(0)`, or a name bound to one (`num_edge = edge_feat.shape[0]`) or unpacked
        first from a shape (`B, C, T = x.shape`)."""
        if _batch_size(expr):
            return True
        if not isinstance(expr, cst.Name):
            return False
        bound = reaching_value(self.ctx, expr.value, at)
        if bound is not None:
            return _batch_size(bound)
        unpacked = reaching_unpacked(self.ctx, expr.value, at)
        return (
            unpacked is not None
            and unpacked[1] == 0
            and type(unpacked[0]) is cst.Attribute
            and unpacked[0].attr.value == "shape"
        )

    def _one_per_sample(self, receiver: cst.BaseExpression, call: cst.BaseExpression) -> bool:
        """A `(B, 1)` head: its flatten keeps one value per sample."""
        return self._source_width(receiver, call) == 1

    def _output_has_features(self, receiver: cst.BaseExpression, call: cst.BaseExpression) -> bool:
        """For a returned flatten: whether what it flattens is known to hold several values per sample.

        A model may return `.view(-1)` of a one-wide head whose width is a variable (`nn.Linear(h, n_out)`)
        or of an already 1-D tensor; only a layer output of literal width above one is certainly mixed.
        """
        width = self._source_width(receiver, call)
        return width is not None and width > 1

    def _source_width(self, receiver: cst.BaseExpression, at: cst.BaseExpression) -> int | None:
        source = receiver
        if isinstance(receiver, cst.Name):
            source = reaching_value(self.ctx, receiver.value, at) or receiver
        return self.ctx.shapes.output_width(source)

    # -- context -----------------------------------------------------------------------------------

    def _in_forward(self, node: cst.CSTNode) -> bool:
        function = self.ctx.enclosing_function(node)
        if function is None or function.name.value != "forward":
            return False
        block = self.ctx.index.parent(function)  # the class body, for a method
        return block is not None and isinstance(self.ctx.index.parent(block), cst.ClassDef)

    def _is_layer_call(self, call: cst.Call) -> bool:
        """`self.fc(...)`, a torch.nn layer, or `F.linear`: something with weights that takes features."""
        if self.ctx.callee_in(call, vocab.FUNCTIONAL_LINEAR_LAYERS):
            return True
        layer = self.ctx.layers.layer_of(call.func)
        if layer is not None:
            # A criterion (`MSELoss()(logits.view(-1), labels.view(-1))`, Hugging Face's regression head)
            # compares element with element: flattening both sides mixes no samples.
            kind = layer.kind.rsplit(".", 1)[-1]
            return kind not in vocab.PER_ELEMENT_LAYERS and not kind.endswith("Loss")
        func = call.func
        if isinstance(func, cst.Subscript):  # self.blocks[i](x)
            func = func.value
        if not (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.value.value == "self"
        ):
            return False
        cls = self.ctx.enclosing_class(call)
        if cls is not None and holds_elementwise_function(self.ctx, cls, func.attr.value):
            return False  # `self.nonlinearity(score)` with `nonlinearity=torch.tanh`: no weights
        if cls not in self._methods:
            self._methods[cls] = {
                f.name.value
                for f in self.ctx.index.nodes(cst.FunctionDef)
                if self.ctx.enclosing_class(f) is cls
            }
        return func.attr.value not in self._methods[cls]

    def _fix(self, call: cst.BaseExpression, receiver: cst.BaseExpression) -> RuleFix | None:
        if not isinstance(call, cst.Call):
            return None
        if isinstance(call.func, cst.Attribute) and call.func.value is receiver:
            replacement: cst.BaseExpression = cst.Call(
                func=call.func.with_changes(attr=cst.Name("flatten")), args=[cst.Arg(cst.Integer("1"))]
            )
        elif self.ctx.callee_in(call, vocab.FLATTEN_FUNCTIONS):
            replacement = call.with_changes(
                args=[
                    cst.Arg(receiver, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                    cst.Arg(cst.Integer("1")),
                ]
            )
        else:
            return None
        return RuleFix("Flatten from dim 1, keeping the batch dim", ((call, replacement),), safe=False)


def _sizes_are_minus_one(args: list[cst.Arg]) -> bool:
    """`(-1)`, `((-1,))` or `([-1])`: a view to one dim."""
    if len(args) != 1 or args[0].keyword is not None:
        return False
    value = args[0].value
    if isinstance(value, (cst.Tuple, cst.List)):
        if len(value.elements) != 1:
            return False
        value = value.elements[0].value
    return (
        isinstance(value, cst.UnaryOperation)
        and isinstance(value.operator, cst.Minus)
        and isinstance(value.expression, cst.Integer)
        and value.expression.value == "1"
    )


def _batch_size(expr: cst.BaseExpression) -> bool:
    """`t.shape[0]` or `t.size(0)`: the batch size of a tensor."""
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1:
        index = expr.slice[0].slice
        return (
            isinstance(expr.value, cst.Attribute)
            and expr.value.attr.value == "shape"
            and isinstance(index, cst.Index)
            and isinstance(index.value, cst.Integer)
            and index.value.value == "0"
        )
    return (
        isinstance(expr, cst.Call)
        and isinstance(expr.func, cst.Attribute)
        and expr.func.attr.value == "size"
        and len(expr.args) == 1
        and isinstance(expr.args[0].value, cst.Integer)
        and expr.args[0].value.value == "0"
    )


def _from_start(args: list[cst.Arg]) -> bool:
    """Whether flatten's remaining arguments flatten every dim: no start_dim, or 0, and end_dim -1."""
    start: cst.BaseExpression | None = None
    end: cst.BaseExpression | None = None
    for i, arg in enumerate(args):
        keyword = arg.keyword.value if arg.keyword is not None else ("start_dim", "end_dim")[min(i, 1)]
        if keyword == "start_dim":
            start = arg.value
        elif keyword == "end_dim":
            end = arg.value
    start_ok = start is None or (isinstance(start, cst.Integer) and start.value == "0")
    end_ok = end is None or (
        isinstance(end, cst.UnaryOperation)
        and isinstance(end.operator, cst.Minus)
        and isinstance(end.expression, cst.Integer)
        and end.expression.value == "1"
    )
    return start_ok and end_ok
