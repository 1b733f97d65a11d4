"""`--format pylint`: pylint's "parseable" lines, for tools that read pylint output (CI warning parsers).

    train.py:14: [NN101(view-as-permute), ] This `view` lists the dims of `x` in another order ...

That is pylint's `{path}:{line}: [{msg_id}({symbol}), {obj}] {msg}` with no object name, as pylint itself
prints it for module-level messages. A notebook finding names its cell in the message.
"""

from __future__ import annotations

from nnlint.finding import Finding
from nnlint.reporters import RenderOptions, printable


def line(finding: Finding) -> str:
    return printable(_line(finding))


def _line(finding: Finding) -> str:
    message = " ".join(finding.message.split())  # one line, whatever the message holds
    if finding.cell is not None:
        message = f"cell {finding.cell}, line {finding.location.row}: {message}"
        return f"{finding.filename}:1: [{finding.code}({finding.name}), ] {message}"
    return f"{finding.filename}:{finding.location.row}: [{finding.code}({finding.name}), ] {message}"


def render(findings: list[Finding], options: RenderOptions) -> str:
    return "".join(line(finding) + "\n" for finding in findings)
