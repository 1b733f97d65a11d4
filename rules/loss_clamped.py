"""NN201 loss-clamped: the loss that is backpropagated is clamped, clipped or capped with `min`/`max`."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from nnlint import vocabulary as vocab
from nnlint.engine.bindings import reaching_value
from nnlint.finding import Severity
from nnlint.rule import Invalid, Rule


class LossClamped(Rule):
    """## What it does
    Flags a loss that is clamped, clipped or capped from above (`torch.clamp(loss, max=...)`,
    `loss.clamp(0, 10)`, `torch.min(loss, bound)`, `min(loss, bound)`) when the clamped value is the one
    backpropagated, also a term of it (a KL divergence capped, then summed into the loss), and an
    out-of-place clamp of the loss written as a statement of its own (`loss.clamp(0, 10)`), whose
    result is discarded so it clamps nothing. A floor alone (`clamp(min=...)`, `torch.max(kl,
    free_nats)`: "free bits") is not a cap and is not flagged.

    ## Why is this bad?
    The gradient of a clamp is zero past its bound: every batch whose loss exceeds the cap contributes
    nothing to the update, so exactly the examples the model gets most wrong stop training it, and the
    loss curve (also capped) hides it. The intent is almost always to stop exploding updates, which is
    what gradient clipping does without dropping the signal. Capping a *logged* value, a metric or the
    best loss so far (`best = min(best, loss.item())`) is fine and not flagged.

    ## Example
    ```python
    loss = criterion(model(x), y)
    loss = torch.clamp(loss, max=10.0)
    loss.backward()
    optimizer.step()
    ```

    ## Use instead
    ```python
    loss = criterion(model(x), y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    optimizer.step()
    ```

    ## References
    - PyTorch docs, `torch.clamp` (zero gradient outside `[min, max]`), `torch.nn.utils.clip_grad_norm_`.
    - A. Karpathy, "A Recipe for Training Neural Networks" (2019): watch the loss and the gradients.
    """

    code = "NN201"
    name = "loss-clamped"
    severity = Severity.WARNING
    message = "This clamps the loss that is backpropagated, so batches past the bound get no gradient at all."
    hint = "Keep the loss as is and bound the update with `torch.nn.utils.clip_grad_norm_` after backward."

    VALID: ClassVar[list[str]] = [
        # The smaller of two candidate losses (a symmetric matching: either order of the pair may be
        # right) is a choice between terms, not a cap; the helper's result is backpropagated.
        """
import torch


def pair_loss(pred, target):
    direct = ((pred - target) ** 2).mean()
    swapped = ((pred - target.flip(1)) ** 2).mean()
    return torch.min(direct, swapped) + 0.0


def train(model, opt, loader):
    for x, y in loader:
        loss = pair_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
""",
        # Element-wise clamps for stability or by design, not caps of a loss term: a Gaussian
        # likelihood's log-variance, PPO's ratio (a factor of the loss, not a term of it).
        """
import torch


def nll_step(model, opt, x, y):
    mu, logvar = model(x)
    logvar = logvar.clamp(-30.0, 20.0)
    loss = ((mu - y) ** 2 / logvar.exp() + logvar).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()


def ppo_step(policy, opt, obs, act, adv, old_logp):
    ratio = (policy(obs).log_prob(act) - old_logp).exp()
    ratio = ratio.clamp(max=10.0)
    loss = -(ratio * adv).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
""",
        # Clamping logits or probabilities is not clamping the loss.
        """
import torch
import torch.nn.functional as F
logits = model(x).clamp(-10, 10)
probs = torch.clamp(torch.sigmoid(logits), 1e-6, 1 - 1e-6)
loss = F.binary_cross_entropy(probs, y)
loss.backward()
""",
        # Tracking the best loss so far is a float comparison.
        """
import torch
best = float("inf")
for x, y in loader:
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    best = min(best, loss.item())
criterion = torch.nn.CrossEntropyLoss()
""",
        # The best validation loss is never backpropagated.
        """
import torch
criterion = torch.nn.MSELoss()
with torch.no_grad():
    val_loss = criterion(model(xv), yv)
best_val_loss = min(best_val_loss, val_loss)
train_loss = criterion(model(x), y)
train_loss.backward()
""",
        # A reduction, not a cap: the worst sample's loss.
        """
import torch
import torch.nn.functional as F
losses = F.cross_entropy(model(x), y, reduction="none")
loss = torch.max(losses)
loss.backward()
""",
        # Capping the loss inside a perplexity computation: a metric.
        """
import math
import torch
loss = torch.nn.functional.cross_entropy(logits, targets)
loss.backward()
ppl = math.exp(min(loss.item(), 20))
""",
        # A discarded clamp of something that is not the loss (logits, a logged value) is not NN201's.
        """
import torch
logits = model(x)
logits.clamp(-10, 10)
loss = criterion(logits, y)
loss.backward()
criterion = torch.nn.CrossEntropyLoss()
""",
        # A hinge on a distance: the clamp defines the loss, it does not cap one.
        """
import torch
dist = (a - b).pow(2).sum(1)
loss = torch.clamp(margin - dist, min=0.0).mean()
loss.backward()
""",
        # "Free bits": a floor under the KL term (no gradient below it, by design) is not a cap.
        """
import torch
from torch.distributions import kl_divergence
kl = torch.mean(kl_divergence(posterior, prior))
kl = torch.clamp(kl, free_nats, float("inf"))
kl_floor = torch.max(kl, torch.tensor(free_nats))
loss = recon_loss + kl + kl_floor.clamp(min=0.5)
loss.backward()
""",
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        # A loss helper that caps its KL term with `torch.min` against a bound and returns the sum the
        # training loop backpropagates.
        Invalid(
            """
import torch


def vae_loss(recon, x, mu, logvar, kl_cap):
    rec = torch.nn.functional.mse_loss(recon, x, reduction="sum") / x.size(0)
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / x.size(0)
    kl = torch.min(kl, torch.tensor(kl_cap))
    return rec + kl


def train(model, opt, loader):
    for x in loader:
        recon, mu, logvar = model(x)
        loss = vae_loss(recon, x, mu, logvar, kl_cap=50.0)
        opt.zero_grad()
        loss.backward()
        opt.step()
""",
            line=8,
        ),
        Invalid(
            """
import torch
criterion = torch.nn.CrossEntropyLoss()
for x, y in loader:
    loss = criterion(model(x), y)
    loss = torch.clamp(loss, max=10.0)
    loss.backward()
    optimizer.step()
""",
            line=6,
        ),
        Invalid(
            """
import torch.nn.functional as F
loss = F.mse_loss(pred, target).clamp(max=5.0)
loss.backward()
""",
            line=3,
        ),
        # Builtin min on the loss that reaches accelerator.backward.
        Invalid(
            """
import torch
outputs = model(**batch)
loss = min(outputs.loss, 4.0)
accelerator.backward(loss)
""",
            line=4,
        ),
        # torch.min against a bound, straight into a scaled backward.
        Invalid(
            """
import torch
loss = criterion(model(x), y)
scaler.scale(torch.min(loss, torch.tensor(8.0))).backward()
criterion = torch.nn.SmoothL1Loss()
""",
            line=4,
        ),
        # An out-of-place clamp as a statement: its result is thrown away.
        Invalid(
            """
import torch
loss = criterion(model(x), y)
loss.clamp(0, 10)
loss.backward()
criterion = torch.nn.CrossEntropyLoss()
""",
            line=4,
        ),
        # The KL term of a world-model loss capped at free_nats (the bound meant as a floor), then
        # summed into the loss that a training method backpropagates.
        Invalid(
            """
import torch


class Algo:
    def optimize(self, samples):
        model_loss = self.loss(samples)
        self.optimizer.zero_grad()
        model_loss.backward()
        self.optimizer.step()

    def loss(self, samples):
        prior, post = self.model(samples)
        div = torch.mean(torch.distributions.kl.kl_divergence(post, prior))
        div = torch.clamp(div, -float("inf"), self.free_nats)
        model_loss = self.kl_scale * div + self.reward_loss(samples)
        return model_loss
""",
            line=15,
        ),
        # A KL term written out by hand (no loss call), capped, then added into the loss.
        Invalid(
            """
import torch


def train_step(model, opt, x, kl_cap=50.0):
    recon, mu, logvar = model(x)
    rec = torch.nn.functional.binary_cross_entropy(recon, x, reduction="sum")
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / x.size(0)
    kl = kl.clamp(max=kl_cap)
    loss = rec + kl
    opt.zero_grad()
    loss.backward()
    opt.step()
""",
            line=9,
        ),
        # An in-place clamp of the loss that is then backpropagated.
        Invalid(
            """
import torch
loss = torch.nn.functional.cross_entropy(logits, y)
loss.clamp_(max=3.0)
loss.backward()
""",
            line=4,
        ),
    ]

    _DISCARDED = (
        "`{op}` returns a new tensor and its result is discarded, so this line clamps nothing; and a "
        "clamped loss would get no gradient past its bound anyway: clip the gradients after backward."
    )

    _TERM = (
        "This caps a term that is then added into the backpropagated loss, so past the bound that term "
        "gives no gradient at all."
    )

    def visit_Call(self, node: cst.Call) -> None:
        discarded = self.ctx.gradients.discarded_result(node)
        if discarded is not None:
            op, operand = discarded
            if op.startswith(("clamp", "clip")) and self.ctx.roles.is_loss_expr(operand):
                self.report(node, self._DISCARDED.format(op=op))
            return
        if not self.ctx.loops.may_train:
            return  # what follows needs a backward call of this file (`reaches_backward`, `backpropagated`)
        clamped = self._clamped_value(node)
        if clamped is None:
            return
        if not self.ctx.roles.is_loss_expr(clamped):
            # A term capped, then added into the loss (`kl = kl.clamp(max=cap)`; `loss = rec + kl`).
            if self._fully_reduced(clamped, node) and self.ctx.gradients.added_into_loss(node):
                self.report(node, self._TERM)
            return
        if self.ctx.gradients.reaches_backward(node) or self._clamps_in_place(node, clamped):
            self.report(node)

    def _clamped_value(self, call: cst.Call) -> cst.BaseExpression | None:
        """The value a capping call bounds from above, or None when the call is not a cap.

        Only an upper bound silences the batches the model gets most wrong; a floor
        (`torch.clamp(kl, min=free_nats)`, `torch.max(kl, free_nats)`: "free bits") stops the gradient of
        the batches already below it, a deliberate technique, so floors are not caps."""
        positional = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
        callee = self.ctx.callee(call)
        if callee in vocab.CLAMP_FUNCTIONS:
            bounds = positional[1:]
            if not positional or not self._has_upper_bound(callee.rsplit(".", 1)[-1], bounds, call):
                return None
            return positional[0]
        if callee in vocab.PAIRWISE_MIN_MAX_FUNCTIONS:
            has_dim = any(arg.keyword is not None and arg.keyword.value == "dim" for arg in call.args)
            if len(positional) != 2 or has_dim or isinstance(positional[1], cst.Integer):
                return None  # a reduction (over a dim), not a bound
            if callee not in vocab.PAIRWISE_MIN_FUNCTIONS:
                return None  # an element-wise maximum is a floor
            loss = next((value for value in positional if self.ctx.roles.is_loss_expr(value)), None)
            return loss if loss is not None else self._capped_term(positional, call)
        if callee is not None:
            return None
        func = call.func
        if type(func) is cst.Attribute and func.attr.value in vocab.CLAMP_METHODS:
            return func.value if self._has_upper_bound(func.attr.value, positional, call) else None
        if type(func) is cst.Name and func.value == "min" and len(positional) >= 2:
            return next((value for value in positional if self.ctx.roles.is_loss_expr(value)), None)
        return None

    def _capped_term(self, pair: list[cst.BaseExpression], call: cst.Call) -> cst.BaseExpression | None:
        """`torch.min(kl, torch.tensor(cap))`: the fully reduced operand, when the other is not one (a
        bound). The minimum of two reduced terms (two candidate losses) caps neither."""
        reduced = [value for value in pair if self._fully_reduced(value, call)]
        return reduced[0] if len(reduced) == 1 else None

    def _fully_reduced(self, expr: cst.BaseExpression, at: cst.CSTNode) -> bool:
        """Whether `expr` (or the value its name holds at `at`) is a scalar computed by a full reduction
        (`-0.5 * torch.sum(...) / n`, `x.mean()`): a loss term. An element-wise tensor capped before it
        enters the loss (`logvar.clamp(-30, 20)` of a Gaussian likelihood) is numerical hygiene."""
        name = self.ctx.dotted(expr)
        if name is not None:
            value = reaching_value(self.ctx, name, at)
            if value is None:
                return False
            expr = value
        return self._has_full_reduction(expr)

    def _has_full_reduction(self, expr: cst.BaseExpression) -> bool:
        """A full reduction as `expr` or as an operand of its arithmetic."""
        if isinstance(expr, cst.UnaryOperation):
            return self._has_full_reduction(expr.expression)
        if isinstance(expr, cst.BinaryOperation):
            return self._has_full_reduction(expr.left) or self._has_full_reduction(expr.right)
        return self._full_reduction(expr)

    def _full_reduction(self, expr: cst.BaseExpression) -> bool:
        """`torch.sum(t)`, `t.mean()`: a sum or mean over every element (no `dim`)."""
        if not isinstance(expr, cst.Call):
            return False
        func = expr.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in vocab.REDUCTION_METHODS):
            return False
        positional = [arg for arg in expr.args if arg.keyword is None]
        has_dim = any(arg.keyword is not None and arg.keyword.value == "dim" for arg in expr.args)
        reduces_all = len(positional) == (1 if self.ctx.callee(expr) in vocab.DIM_REDUCTION_FUNCTIONS else 0)
        return reduces_all and not has_dim

    @staticmethod
    def _has_upper_bound(op: str, bounds: list[cst.BaseExpression], call: cst.Call) -> bool:
        """Whether a clamp (`clamp`, `clamp_max`, `clip_`, ...) has an upper bound other than infinity:
        the second positional bound or `max=`; `clamp_min` and `clamp(min=...)` only floor."""
        op = op.rstrip("_")
        if op == "clamp_min":
            return False
        if op == "clamp_max":
            return True
        upper = bounds[1] if len(bounds) > 1 else None
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == "max":
                upper = arg.value
        return upper is not None and not _is_infinite(upper)

    def _clamps_in_place(self, call: cst.Call, clamped: cst.BaseExpression) -> bool:
        """`loss.clamp_(max=...)` as a statement: the backpropagated name itself is changed."""
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value.endswith("_")):
            return False
        name = self.ctx.dotted(clamped)
        return name is not None and name in self.ctx.gradients.backpropagated


def _is_infinite(expr: cst.BaseExpression) -> bool:
    """`float("inf")`, `math.inf`, `np.inf`, `torch.inf` (or `None`): a bound that bounds nothing."""
    if isinstance(expr, cst.Name) and expr.value == "None":
        return True
    if isinstance(expr, cst.Attribute) and expr.attr.value == "inf":
        return True
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value == "float":
        (arg, *rest) = expr.args or (None,)
        text = arg.value if arg is not None and isinstance(arg.value, cst.SimpleString) else None
        return not rest and text is not None and "inf" in text.value.lower()
    return False
