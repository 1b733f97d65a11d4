"""NN000 syntax-error: the file cannot be decoded or parsed (reported by the engine, not by a visitor)."""

from __future__ import annotations

from typing import ClassVar

from nnlint.finding import Severity
from nnlint.rule import Invalid, Rule
from nnlint.runner import SYNTAX_ERROR_CODE, SYNTAX_ERROR_NAME


class SyntaxErrorRule(Rule):
    """## What it does
    Reports a file that nnlint cannot read as Python 3: a syntax error, a Python 2 file (the message says
    so), bytes that are not valid in the file's encoding. Python 3 code written before 3.7, where `async`
    and `await` were plain names (`x.cuda(async=True)`), is read and checked like any other file, and so
    is a Python 2 script whose only Python 2 spelling is the print statement (`print 'loss', loss`).

    ## Why is this bad?
    No rule can check a file that does not parse, so its bugs would go unreported in silence. The rest of
    the run goes on: one broken file never hides the findings in the others.

    ## Example
    ```python
    exec "x = 1"  # Python 2
    ```

    ## Use instead
    Fix the syntax error, or exclude the file (`exclude` in `[tool.nnlint]`).
    """

    code = SYNTAX_ERROR_CODE
    name = SYNTAX_ERROR_NAME
    severity = Severity.ERROR
    message = "Cannot parse this file."
    needs_torch = False
    VALID: ClassVar[list[str]] = [
        "import torch\n",
        "",
        "import torch\nx = torch.ones(2).cuda(async=True)\n",
        "import torch\nprint 'loss', torch.ones(2).sum()\n",
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        Invalid('exec "x = 1"\n', line=1),
        Invalid("x = `1`\n", line=1),
        Invalid("def f(:\n    pass\n", line=1),
        Invalid("x = 1\nif x\n    pass\n", line=2),
    ]
