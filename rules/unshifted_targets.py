"""NN601 unshifted-targets: a language model trained to predict the very tokens it is given."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cached_property
from typing import ClassVar

import libcst as cst

from nnlint import vocabulary as vocab
from nnlint.engine.bindings import assigned_names, reaching_value
from nnlint.engine.context import FileContext
from nnlint.engine.index import children
from nnlint.engine.names import dotted_name
from nnlint.engine.roles import Role
from nnlint.finding import Severity
from nnlint.rule import Invalid, Rule


def _says(words: tuple[str, ...], patterns: tuple[str, ...]) -> Callable[[str], bool]:
    """A test of whether a text says one of `words`, or matches one of `patterns`.

    One regex of many alternatives scans every position of a file trying each (milliseconds a file), so
    each alternative is either a plain substring search or a pattern that starts with a literal (a
    `\\b` before it is written as a look-behind after it), which the regex engine finds by a fast scan.
    """
    compiled = tuple(re.compile(pattern) for pattern in patterns)
    return lambda text: any(word in text for word in words) or any(p.search(text) for p in compiled)


# Next-token language modelling, as code says it: causal masks, GPT-style names, sampling loops.
_LM_EVIDENCE = _says(
    ("subsequent_mask", "Causal", "causal", "LanguageModel", "language_model", "next_token", "next token"),
    (r"tril(?<=\btril)\b", r"GPT(?<=\bGPT)", r"Gpt\d?\b", r"gpt\d?\b", r"bptt(?<=\bbptt)\b")
    + (r"multinomial(?<=\bmultinomial)\b",),
)
# Reconstruction objectives, where predicting the input is the point: masked LM, autoencoders, BERT.
_RECONSTRUCTION_EVIDENCE = _says(
    ("mask_token", "Reconstruct", "reconstruct", "Denois", "denois"),
    (r"mlm(?<=\bmlm)\b", r"Masked_?[Ll][Mm]", r"masked_?[Ll][Mm]", r"Auto_?[Ee]ncoder", r"auto_?[Ee]ncoder")
    + (r"VAE(?<=\bVAE)\b", r"vae(?<=\bvae)\b", r"Bert(?<=\bBert)", r"bert(?<=\bbert)"),
)
# A context window cut from a token stream: `data[i:i + block_size]`.
_WINDOW_NAMES = re.compile(r"block_size|seq_len|bptt|context_len|ctx_len|n_ctx")


class UnshiftedTargets(Rule):
    """## What it does
    Flags language-model training whose targets are the inputs themselves, not the inputs shifted by one
    token: a loss between the logits of `model(x)` and `x` (`F.cross_entropy(logits.view(-1, V),
    x.view(-1))`), a model called as `model(idx, targets=idx)`, or a batch built from two identical slices
    (`x = data[i:i+T]; y = data[i:i+T]`). It needs evidence of next-token modelling in the file (a causal
    mask, GPT-style names, sampling) and stays silent for masked-LM and autoencoder code, for Hugging Face
    `labels=` (those models shift internally) and for shifted targets (`x = seq[:, :-1]; y = seq[:, 1:]`).

    ## Why is this bad?
    A causal language model must predict token t+1 from tokens up to t. With unshifted targets, the answer
    at each position is the input at that same position, which the model sees: it learns to copy, the loss
    falls to nearly zero within a few hundred steps, and generation produces garbage. Nothing crashes, and
    a falling loss looks like success. Karpathy's recipe asks to check the data pipeline right before it
    enters the net, and to be suspicious of a loss that is too good.

    ## Example
    ```python
    ix = torch.randint(len(data) - block_size, (batch_size,))
    x = torch.stack([data[i:i + block_size] for i in ix])
    y = torch.stack([data[i:i + block_size] for i in ix])
    ```

    ## Use instead
    ```python
    ix = torch.randint(len(data) - block_size, (batch_size,))
    x = torch.stack([data[i:i + block_size] for i in ix])
    y = torch.stack([data[i + 1:i + 1 + block_size] for i in ix])
    ```

    ## References
    - A. Karpathy, "A Recipe for Training Neural Networks" (2019), and nanoGPT's `get_batch`.
    - PyTorch docs, `torch.nn.functional.cross_entropy`.
    """

    code = "NN601"
    name = "unshifted-targets"
    severity = Severity.ERROR
    message = (
        "The targets are the model's own inputs, not shifted by one token, so a causal language model "
        "learns to copy; predict the next token (targets = inputs shifted by one)."
    )
    hint = "Inputs are tokens [0, T) and targets tokens [1, T + 1) of the same sequence."
    probe_settles = True

    VALID: ClassVar[list[str]] = [
        # nanoGPT's get_batch: the targets start one token later.
        """
import torch
def get_batch(data, block_size, batch_size):
    ix = torch.randint(len(data) - block_size, (batch_size,))
    x = torch.stack([data[i:i+block_size] for i in ix])
    y = torch.stack([data[i+1:i+1+block_size] for i in ix])
    return x, y
""",
        # Shifting a sequence into inputs and targets.
        """
import torch
import torch.nn.functional as F
model = GPT(config)
for seq in loader:
    x, y = seq[:, :-1], seq[:, 1:]
    logits = model(x)
    loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.reshape(-1))
    loss.backward()
""",
        # Hugging Face causal LMs shift `labels` inside the model.
        """
import torch
from transformers import AutoModelForCausalLM
model = AutoModelForCausalLM.from_pretrained("gpt2")
for batch in loader:
    out = model(input_ids=batch["input_ids"], labels=batch["input_ids"])
    out.loss.backward()
""",
        # A token autoencoder reconstructs its input by design.
        """
import torch
import torch.nn.functional as F
model = SeqAutoencoder(vocab_size)
for x in loader:
    logits = model(x)
    loss = F.cross_entropy(logits.view(-1, vocab_size), x.view(-1))
    loss.backward()
""",
        # Without any sign of next-token modelling, the same pattern is left alone.
        """
import torch
import torch.nn.functional as F
for x in loader:
    logits = net(x)
    loss = F.cross_entropy(logits.view(-1, n_classes), x.view(-1))
""",
        # The model shifts inside its forward.
        """
import torch
import torch.nn as nn
import torch.nn.functional as F
class TinyGPT(nn.Module):
    def forward(self, idx, targets=None):
        logits = self.head(self.body(idx))
        return F.cross_entropy(logits[:, :-1].reshape(-1, logits.size(-1)), targets[:, 1:].reshape(-1))
model = TinyGPT()
for idx in loader:
    loss = model(idx, targets=idx)
""",
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        Invalid(
            """
import torch
def get_batch(data, block_size, batch_size):
    ix = torch.randint(len(data) - block_size, (batch_size,))
    x = torch.stack([data[i:i+block_size] for i in ix])
    y = torch.stack([data[i:i+block_size] for i in ix])
    return x, y
""",
            line=6,
        ),
        Invalid(
            """
import torch
import torch.nn.functional as F
model = GPT(config)
for x in loader:
    logits = model(x)
    loss = F.cross_entropy(logits.view(-1, logits.size(-1)), x.view(-1))
    loss.backward()
""",
            line=7,
        ),
        Invalid(
            """
import torch
from model import GPT
model = GPT(config)
for idx in loader:
    logits, loss = model(idx, targets=idx)
    loss.backward()
""",
            line=6,
        ),
        # Through a criterion, on a causal transformer.
        """
import torch
import torch.nn as nn
criterion = nn.CrossEntropyLoss()
mask = nn.Transformer.generate_square_subsequent_mask(35)
for data in batches:
    output, hidden = model(data, mask)
    loss = criterion(output.view(-1, ntokens), data.view(-1))
""",
    ]

    # -- the three shapes of the bug ---------------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        if not self._next_token_file or self._reconstruction_file:
            return
        if self._is_token_loss(node):
            self._check_loss(node)
        else:
            self._check_targets_keyword(node)

    def visit_Return(self, node: cst.Return) -> None:
        if self._reconstruction_file:
            return
        if type(node.value) is cst.Tuple and len(node.value.elements) == 2:
            inputs, targets = (_same_tokens(element.value) for element in node.value.elements)
            if isinstance(inputs, cst.Name) and isinstance(targets, cst.Name):
                self._check_batch(inputs, targets, node)

    def _check_loss(self, loss: cst.Call) -> None:
        """`loss(logits_of_model(x), x)`: the targets are the model input, unshifted."""
        positional = [arg.value for arg in loss.args if arg.keyword is None]
        if len(positional) < 2:
            return
        logits, targets = _same_tokens(positional[0]), _same_tokens(positional[1])
        model_call = self._producer(logits, loss)
        if model_call is None or not self._is_model_call(model_call):
            return
        inputs = [arg.value for arg in model_call.args if arg.keyword is None]
        if inputs and _code(self.ctx, _same_tokens(inputs[0])) == _code(self.ctx, targets):
            if not self._rebound_between(targets, model_call, loss):
                self.report(loss)

    def _check_targets_keyword(self, call: cst.Call) -> None:
        """`model(idx, targets=idx)` for a model that does not shift inside."""
        inputs = [arg.value for arg in call.args if arg.keyword is None]
        targets = [
            arg.value
            for arg in call.args
            if arg.keyword is not None and arg.keyword.value in vocab.TARGET_KEYWORDS
        ]
        if not inputs or not targets or not self._is_model_call(call):
            return
        if _code(self.ctx, _same_tokens(inputs[0])) == _code(self.ctx, _same_tokens(targets[0])):
            if not self._model_shifts_inside(call):
                self.report(call)

    def _check_batch(self, inputs: cst.Name, targets: cst.Name, at: cst.CSTNode) -> None:
        """`x = data[i:i+T]; y = data[i:i+T]; return x, y`: two identical slices of a token stream."""
        x_value = reaching_value(self.ctx, inputs.value, at)
        y_value = reaching_value(self.ctx, targets.value, at)
        if x_value is None or y_value is None or not _slices(x_value):
            return
        window = _code(self.ctx, x_value)
        if window == _code(self.ctx, y_value) and (self._next_token_file or _WINDOW_NAMES.search(window)):
            self.report(y_value)

    # -- evidence ------------------------------------------------------------------------------------

    @cached_property
    def _next_token_file(self) -> bool:
        return _LM_EVIDENCE(self.ctx.source)

    @cached_property
    def _reconstruction_file(self) -> bool:
        return _RECONSTRUCTION_EVIDENCE(self.ctx.source)

    def _is_token_loss(self, call: cst.Call) -> bool:
        if self.ctx.callee_in(call, vocab.CLASS_INDEX_LOSS_FUNCTIONS):
            return True
        name = dotted_name(call.func)
        return name is not None and self.ctx.roles.constructor_name(name) in vocab.CLASS_INDEX_CRITERIA

    def _is_model_call(self, call: cst.Call) -> bool:
        func = call.func
        if isinstance(func, cst.Name) and func.value == "self":
            return True
        return (
            self.ctx.roles.has(func, Role.MODEL)
            or (dotted_name(func) or "").split(".")[-1] in vocab.MODEL_CALL_NAMES
        )

    def _model_shifts_inside(self, call: cst.Call) -> bool:
        """Whether the model's class, when defined here, slices its targets (`targets[:, 1:]`)."""
        name = dotted_name(call.func)
        constructor = self.ctx.roles.constructor(name) if name else None
        class_name = dotted_name(constructor.func) if constructor is not None else None
        if class_name is None or not self.ctx.roles.is_local_model_class(class_name):
            # A model from elsewhere: `targets=` is nanoGPT's convention, which does not shift.
            return False
        for function in self.ctx.functions.get("forward", []):
            cls = self.ctx.enclosing_class(function)
            if cls is not None and cls.name.value == class_name:
                code = self.ctx.module.code_for_node(function)
                return "1:]" in code or ":-1]" in code
        return False

    # -- data flow -----------------------------------------------------------------------------------

    def _producer(self, expr: cst.BaseExpression, at: cst.CSTNode) -> cst.Call | None:
        """The call whose result (or first result, for `logits, loss = model(x)`) `expr` is."""
        if isinstance(expr, cst.Call):
            return expr
        if not isinstance(expr, cst.Name):
            return None
        for assign in reversed(self._assignments_before(at)):
            target = assign.targets[0].target if len(assign.targets) == 1 else None
            if isinstance(target, cst.Tuple) and target.elements:
                target = target.elements[0].value
            if isinstance(target, cst.Name) and target.value == expr.value:
                return assign.value if isinstance(assign.value, cst.Call) else None
        return None

    def _assignments_before(self, at: cst.CSTNode) -> list[cst.Assign]:
        """Assignments of the enclosing function (or module) that come before `at`, in source order."""
        order = self._statement_order
        stop = order.get(self.ctx.index.statement_of(at))
        function = self.ctx.enclosing_function(at)
        if stop is None:
            return []
        return [
            assign
            for assign in self.ctx.index.nodes(cst.Assign)
            if order.get(self.ctx.index.statement_of(assign), stop) < stop
            and self.ctx.enclosing_function(assign) is function
        ]

    def _rebound_between(
        self, name_expr: cst.BaseExpression, first: cst.CSTNode, second: cst.CSTNode
    ) -> bool:
        if not isinstance(name_expr, cst.Name):
            return False
        start = self._statement_order.get(self.ctx.index.statement_of(first), -1)
        stop = self._statement_order.get(self.ctx.index.statement_of(second), -1)
        for assign in self._assignments_before(second):
            where = self._statement_order.get(self.ctx.index.statement_of(assign), -1)
            if start < where < stop and name_expr.value in assigned_names(assign):
                return True
        return False

    @cached_property
    def _statement_order(self) -> dict[cst.CSTNode, int]:
        return {statement: i for i, statement in enumerate(self.ctx.index.nodes(cst.SimpleStatementLine))}


def _same_tokens(expr: cst.BaseExpression) -> cst.BaseExpression:
    """`x.view(-1).long().to(device)` -> `x`: strip what keeps the tokens."""
    while (
        isinstance(expr, cst.Call)
        and isinstance(expr.func, cst.Attribute)
        and expr.func.attr.value in vocab.TOKEN_KEEPING_METHODS
    ):
        expr = expr.func.value
    return expr


def _slices(expr: cst.BaseExpression) -> bool:
    """Whether an expression reads a slice (`data[i:i+T]`), possibly inside a stack of such slices."""
    return any(
        isinstance(element.slice, cst.Slice) for subscript in _subscripts(expr) for element in subscript.slice
    )


def _subscripts(expr: cst.CSTNode) -> list[cst.Subscript]:
    found: list[cst.Subscript] = []
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Subscript):
            found.append(node)
        stack.extend(children(node))
    return found


def _code(ctx: FileContext, expr: cst.BaseExpression) -> str:
    """Source text without spaces, to compare two expressions as written."""
    return ctx.module.code_for_node(expr).replace(" ", "")
