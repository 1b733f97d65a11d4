"""`--format github`: GitHub Actions workflow commands, which the runner turns into annotations on the diff.

    ::error file=train.py,line=14,col=13,endLine=14,endColumn=31,title=NN101 view-as-permute::`.view()` ...

Errors become `::error`, warnings `::warning`, info `::notice`. Values are escaped as the Actions toolkit
does (`%`, CR and LF everywhere; `:` and `,` in properties too), so a message never ends a command early.
A finding in a notebook cell names the cell in its message: a line of the notebook's JSON would point to
the wrong place.
"""

from __future__ import annotations

from nnlint.finding import Finding, Severity
from nnlint.reporters import RenderOptions

COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding) -> str:
    properties = {"file": finding.filename}
    message = finding.message
    if finding.cell is None:
        properties.update(
            line=str(finding.location.row),
            col=str(finding.location.column),
            endLine=str(finding.end_location.row),
            endColumn=str(finding.end_location.column),
        )
    else:
        message = f"cell {finding.cell}, line {finding.location.row}: {message}"
    properties["title"] = f"{finding.code} {finding.name}"
    for related in finding.related:
        message += f"\nrelated: {related.describe()}"
    if finding.hint:
        message += f"\nhint: {finding.hint}"
    message += f"\n{finding.url}"
    fields = ",".join(f"{key}={_escape_property(value)}" for key, value in properties.items())
    return f"::{COMMAND[finding.severity]} {fields}::{_escape_data(message)}"


def render(findings: list[Finding], options: RenderOptions) -> str:
    return "".join(f"{annotation(finding)}\n" for finding in findings)
