"""A rule that crashes on `explode()`, loaded only into the language server under test: the server must show
a crash to the user the way `nnlint check` prints it."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from nnlint.finding import Severity
from nnlint.rule import Invalid, Rule


class Explodes(Rule):
    """## What it does
    Crashes on a call of `explode()`, to test how a rule crash reaches the user.
    """

    code = "NN991"
    name = "lsp-test-explodes"
    severity = Severity.WARNING
    message = "never reported"
    needs_torch = False
    VALID: ClassVar[list[str]] = ["calm()\n"]
    INVALID: ClassVar[list[str | Invalid]] = []

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "explode":
            raise RuntimeError("boom")
