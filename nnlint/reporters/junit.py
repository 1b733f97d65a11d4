"""`--format junit`: JUnit XML, which CI servers (Jenkins, GitLab, Azure Pipelines, ...) show as test results.

One test suite per file with findings and one failed test case per finding, named after its code and
placed at its line; a run without findings is one passing test case, so a CI server that expects a report
finds one. The XML declares UTF-8 and escapes what XML cannot hold.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from itertools import groupby

from nnlint.finding import Finding
from nnlint.reporters import RenderOptions


def _case(suite: ElementTree.Element, finding: Finding) -> None:
    where = f"line {finding.location.row}, column {finding.location.column}"
    if finding.cell is not None:
        where = f"cell {finding.cell}, {where}"
    case = ElementTree.SubElement(
        suite,
        "testcase",
        name=f"{finding.code} {finding.name} ({where})",
        classname=finding.filename,
        file=finding.filename,
        line=str(finding.location.row),
    )
    failure = ElementTree.SubElement(case, "failure", message=finding.message, type=finding.severity.value)
    failure.text = f"{finding.filename}:{where}: {finding.code} {finding.message}"
    if finding.hint:
        failure.text += f"\nhint: {finding.hint}"


def render(findings: list[Finding], options: RenderOptions) -> str:
    root = ElementTree.Element("testsuites", name="nnlint", tests=str(len(findings) or 1))
    root.set("failures", str(len(findings)))
    if not findings:
        suite = ElementTree.SubElement(root, "testsuite", name="nnlint", tests="1", failures="0")
        ElementTree.SubElement(suite, "testcase", name="no findings", classname="nnlint")
    for filename, group in groupby(findings, key=lambda finding: finding.filename):
        in_file = list(group)
        suite = ElementTree.SubElement(
            root, "testsuite", name=filename, tests=str(len(in_file)), failures=str(len(in_file))
        )
        for finding in in_file:
            _case(suite, finding)
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"
