"""A rule that offers a fix, loaded only into the language server under test (see serve_with_test_rule.py).

The code-action tests need a fixable finding whatever the shipped rules offer at the time.
"""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from nnlint.finding import Severity
from nnlint.rule import Invalid, Rule, RuleFix


class SlowSum(Rule):
    """## What it does
    Flags `slow_sum(...)`, a stand-in for a call with a faster equivalent; the fix calls `fast_sum`.
    """

    code = "NN990"
    name = "lsp-test-slow-sum"
    severity = Severity.WARNING
    message = "`slow_sum` is slow; call `fast_sum`."
    needs_torch = False
    VALID: ClassVar[list[str]] = ["fast_sum(xs)\n"]
    INVALID: ClassVar[list[str | Invalid]] = [Invalid("slow_sum(xs)\n", line=1, fixed="fast_sum(xs)\n")]

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "slow_sum":
            self.report(node, fix=RuleFix("Call `fast_sum`", ((node.func, cst.Name("fast_sum")),)))
