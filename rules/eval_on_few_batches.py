"""NN502 eval-on-few-batches: a validation loop that stops after a fixed handful of batches."""

from __future__ import annotations

from functools import cached_property
from typing import ClassVar

import libcst as cst

from nnlint import vocabulary as vocab
from nnlint.engine.loops import runs_once
from nnlint.finding import Severity
from nnlint.rule import Invalid, Rule

# A literal bound above this is "all of it" for most held-out sets; below it, a subset.
MAX_FEW_BATCHES = 1000
_STOPPING_COMPARISONS = (cst.GreaterThanEqual, cst.GreaterThan, cst.Equal)


ONE_BATCH = (
    "This evaluation loop ends in an unconditional `break`, so it evaluates a single batch; remove the "
    "`break` to evaluate the whole held-out set."
)


class EvalOnFewBatches(Rule):
    """## What it does
    Flags a validation or test loop (in an `evaluate`/`validate`/`test` function, or under `torch.no_grad()`
    over a validation/test loader) that stops after a literal number of batches: `if i >= 10: break`,
    `itertools.islice(val_loader, 5)`, or a body that ends in an unconditional `break` (one batch).

    ## Why is this bad?
    A debugging shortcut that stays in: the "validation loss" is measured on the same few (unshuffled)
    batches every time, a sliver of the held-out set, so model selection and early stopping follow noise,
    and a reported test number describes a handful of examples. A break behind a flag (`if args.dry_run:`)
    and an explicitly configured budget of random batches (nanoGPT's `eval_iters`) are deliberate and not
    flagged.

    ## Example
    ```python
    def validate(model, val_loader):
        model.eval()
        with torch.no_grad():
            for i, (x, y) in enumerate(val_loader):
                if i >= 10:
                    break
                total += criterion(model(x), y).item()
    ```

    ## Use instead
    ```python
    def validate(model, val_loader, max_batches=None):
        model.eval()
        with torch.no_grad():
            for i, (x, y) in enumerate(val_loader):
                if max_batches is not None and i >= max_batches:  # an explicit, configurable budget
                    break
                total += criterion(model(x), y).item()
    ```

    ## References
    - CS231n notes, "Image Classification": validation sets for hyperparameter tuning.
    - A. Karpathy, "A Recipe for Training Neural Networks" (2019): set up a trustworthy evaluation.
    """

    code = "NN502"
    name = "eval-on-few-batches"
    severity = Severity.WARNING
    message = (
        "This validation loop stops after a fixed few batches, so its metric describes a sliver of the data."
    )
    hint = "Evaluate the whole held-out set, or make the budget an explicit, configured option."

    VALID: ClassVar[list[str]] = [
        # A `break` behind a condition, and one batch drawn for a picture (no metric gathered).
        """
import torch
def evaluate(model, val_loader):
    correct = 0
    with torch.no_grad():
        for x, y in val_loader:
            correct += (model(x).argmax(1) == y).sum().item()
            if args.dry_run:
                break
        for x, y in val_loader:
            save_image(model(x))
            break
    return correct
""",
        # A dry-run break behind a flag.
        """
import torch
def test(model, test_loader, args):
    model.eval()
    with torch.no_grad():
        for x, y in test_loader:
            out = model(x)
            if args.dry_run:
                break
""",
        # A configured budget of random batches (nanoGPT's estimate_loss).
        """
import torch
@torch.no_grad()
def estimate_loss():
    model.eval()
    for k in range(eval_iters):
        X, Y = get_batch("val")
        logits, loss = model(X, Y)
    model.train()
model = GPT(config)
class GPT(torch.nn.Module):
    pass
""",
        # A training loop that stops early is not an evaluation.
        """
import torch
for i, (x, y) in enumerate(train_loader):
    if i >= 10:
        break
    optimizer.zero_grad()
    torch.nn.functional.mse_loss(model(x), y).backward()
    optimizer.step()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
""",
        # A bound taken from configuration.
        """
import torch
def validate(model, val_loader):
    model.eval()
    with torch.no_grad():
        for i, (x, y) in enumerate(val_loader):
            if i >= args.val_batches:
                break
            model(x)
""",
        # A no_grad loop over the training loader (e.g. BN recalibration) is not a validation loop.
        """
import torch
model.train()
with torch.no_grad():
    for i, (x, _) in enumerate(train_loader):
        if i >= 50:
            break
        model(x)
model = torch.nn.Sequential()
""",
        # A few batches drawn for display after the full pass: no metric is gathered from them.
        """
import torch
def evaluate(model, val_loader):
    model.eval()
    with torch.no_grad():
        total = sum(model(x).sum().item() for x, _ in val_loader)
        for i, (x, _) in enumerate(val_loader):
            if i >= 4:
                break
            save_grid(model(x), f"samples_{i}.png")
    return total
""",
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        # The body ends in a bare `break`: one batch.
        Invalid(
            """
import torch
def evaluate(model, val_loader):
    correct = 0
    with torch.no_grad():
        for x, y in val_loader:
            correct += (model(x).argmax(1) == y).sum().item()
            break
    return correct
""",
            line=6,
        ),
        Invalid(
            """
import torch
def validate(model, val_loader, criterion):
    model.eval()
    total = 0.0
    with torch.no_grad():
        for i, (x, y) in enumerate(val_loader):
            if i >= 10:
                break
            total += criterion(model(x), y).item()
    return total / 10
""",
            line=8,
        ),
        Invalid(
            """
import itertools
import torch
import torchvision
model = torchvision.models.resnet18()
model.eval()
with torch.no_grad():
    for x, y in itertools.islice(test_loader, 5):
        correct += (model(x).argmax(1) == y).sum().item()
""",
            line=8,
        ),
        # A hand-kept counter.
        Invalid(
            """
import torch
def evaluate(model, loader):
    model.eval()
    seen = 0
    with torch.no_grad():
        for batch in loader:
            loss = model(**batch).loss
            seen += 1
            if seen == 20:
                break
""",
            line=10,
        ),
    ]

    def visit_For(self, node: cst.For) -> None:
        # The cheap facts of the loop's own text first: the loop analysis (every loop's events, the
        # file's roles) is asked only about a loop that gathers a result and stops after a few batches.
        if node not in self._gathering_loops:
            return
        sliced = self._islice_bound(node.iter)
        if sliced is not None:
            data, call = sliced
            if self.ctx.evaluation.is_eval_loop(self.ctx.loops.loop(node), data):
                self.report(call)
            return
        if runs_once(node):
            stops: list[cst.If] = []
        else:
            counters = self._counters(node)
            stops = [
                statement
                for statement in node.body.body
                if isinstance(statement, cst.If) and self._stops_after_literal(statement, counters)
            ]
            if not stops:
                return
        if not self.ctx.evaluation.is_eval_loop(self.ctx.loops.loop(node)):
            return
        if not stops:
            self.report(node, ONE_BATCH)
        for statement in stops:
            self.report(statement)

    @cached_property
    def _gathering_loops(self) -> set[cst.CSTNode]:
        """The `for` loops that gather a result (`total += ...`, `losses.append(...)`, `metric.update(...)`)
        in their own body: a loop that only draws a few samples for display reports no metric."""
        index = self.ctx.index
        found: set[cst.CSTNode] = set()
        for node in (*index.nodes(cst.AugAssign), *index.nodes(cst.Call)):
            if isinstance(node, cst.Call) and not (
                type(node.func) is cst.Attribute and node.func.attr.value in vocab.GATHERING_METHODS
            ):
                continue
            loop = index.enclosing(node, cst.For)
            if loop is not None:
                found.add(loop)
        return found

    def _islice_bound(self, expr: cst.BaseExpression) -> tuple[str | None, cst.Call] | None:
        """`islice(val_loader, 5)`, possibly inside `enumerate(...)`/`tqdm(...)`: the data and the call."""
        while isinstance(expr, cst.Call) and expr.args:
            if self.ctx.callee(expr) == "itertools.islice":
                if len(expr.args) == 2 and _small_literal(expr.args[1].value):
                    return self.ctx.dotted(expr.args[0].value), expr
                return None
            expr = expr.args[0].value
        return None

    def _counters(self, node: cst.For) -> set[str]:
        """Names that count batches: the `enumerate` index and names incremented by one in the body."""
        counters: set[str] = set()
        target = node.target
        if isinstance(target, cst.Tuple) and target.elements and isinstance(node.iter, cst.Call):
            first = target.elements[0].value
            if self.ctx.dotted(node.iter.func) == "enumerate" and isinstance(first, cst.Name):
                counters.add(first.value)
        for statement in node.body.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if (
                    isinstance(small, cst.AugAssign)
                    and isinstance(small.operator, cst.AddAssign)
                    and isinstance(small.value, cst.Integer)
                    and small.value.evaluated_value == 1
                    and isinstance(small.target, cst.Name)
                ):
                    counters.add(small.target.value)
        return counters

    def _stops_after_literal(self, statement: cst.If, counters: set[str]) -> bool:
        """`if i >= 10: break` (or `i + 1 == 10`, `>`): a counter against a literal, and nothing else."""
        if statement.orelse is not None or not isinstance(
            statement.body, cst.IndentedBlock | cst.SimpleStatementSuite
        ):
            return False
        if not any(isinstance(small, cst.Break) for small in _small_statements(statement.body)):
            return False
        test = statement.test
        if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
            return False
        target = test.comparisons[0]
        if not isinstance(target.operator, _STOPPING_COMPARISONS) or not _small_literal(target.comparator):
            return False
        left = test.left
        if isinstance(left, cst.BinaryOperation) and isinstance(left.operator, cst.Add):
            if isinstance(left.right, cst.Integer):
                left = left.left
        return isinstance(left, cst.Name) and left.value in counters


def _small_literal(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Integer) and 0 < int(expr.evaluated_value) <= MAX_FEW_BATCHES


def _small_statements(body: cst.BaseSuite) -> list[cst.BaseSmallStatement]:
    if isinstance(body, cst.SimpleStatementSuite):
        return list(body.body)
    found: list[cst.BaseSmallStatement] = []
    for statement in body.body:
        if isinstance(statement, cst.SimpleStatementLine):
            found.extend(statement.body)
    return found
