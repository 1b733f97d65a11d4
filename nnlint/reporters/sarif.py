"""`--format sarif`: a SARIF 2.1.0 log, for GitHub code scanning (`github/codeql-action/upload-sarif`) and
other tools that read static-analysis results.

One run, whose driver lists the rules the results refer to, with their docs (the same text `nnlint rule
CODE` prints) as help. Locations are relative to the working directory through the `%SRCROOT%` base, so
the log is portable between machines; files outside it keep absolute `file:` URIs. Columns are counted in
code points, as the log says (`columnKind`). Fixes are included as SARIF fixes. A finding in a notebook cell
names the cell in its message and properties and has no region: a line of the notebook's JSON would point
to the wrong place.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from nnlint import __version__
from nnlint.finding import Finding, Fix, Position, Severity
from nnlint.reporters import RenderOptions

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/nnlint/nnlint"
SRCROOT = "%SRCROOT%"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _section(docs: str, title: str) -> str:
    """The text of one `## title` section of a rule's docs, as one paragraph."""
    match = re.search(rf"^## {re.escape(title)}\s*\n(?P<body>.*?)(?=^## |\Z)", docs, re.MULTILINE | re.DOTALL)
    return " ".join(match.group("body").split()) if match else ""


def _descriptor(finding: Finding) -> dict[str, Any]:
    """The rule's reporting descriptor; a probe finding, whose code is no static rule, describes itself."""
    from nnlint.rule import rule_by_code_or_name

    rule = rule_by_code_or_name(finding.code)
    level = LEVEL[rule.severity if rule else finding.severity]
    descriptor: dict[str, Any] = {
        "id": finding.code,
        "name": finding.name,
        "helpUri": finding.url,
        "defaultConfiguration": {"level": level},
    }
    if rule is None:
        descriptor["shortDescription"] = {"text": finding.message}
        return descriptor
    docs = rule.docs()
    descriptor["shortDescription"] = {"text": rule.summary()}
    descriptor["fullDescription"] = {"text": _section(docs, "What it does") or rule.summary()}
    descriptor["help"] = {"text": docs, "markdown": docs}
    return descriptor


def _artifact(filename: str) -> dict[str, str]:
    path = Path(filename)
    if path.is_absolute():
        return {"uri": path.as_uri()}
    # The file name's bytes, percent-encoded: a name that is not UTF-8 keeps its exact bytes.
    return {"uri": quote(os.fsencode(path.as_posix())), "uriBaseId": SRCROOT}


def _region(start: Position, end: Position) -> dict[str, int]:
    return {"startLine": start.row, "startColumn": start.column, "endLine": end.row, "endColumn": end.column}


def _fix(finding: Finding, fix: Fix) -> dict[str, Any]:
    replacements = [
        {
            "deletedRegion": _region(edit.location, edit.end_location),
            "insertedContent": {"text": edit.content},
        }
        for edit in fix.edits
    ]
    return {
        "description": {"text": fix.message},
        "artifactChanges": [{"artifactLocation": _artifact(finding.filename), "replacements": replacements}],
    }


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    message = finding.message
    properties: dict[str, Any] = {"severity": finding.severity.value}
    physical: dict[str, Any] = {"artifactLocation": _artifact(finding.filename)}
    if finding.cell is None:
        physical["region"] = _region(finding.location, finding.end_location)
    else:
        message = f"cell {finding.cell}, line {finding.location.row}: {message}"
        properties["cell"] = finding.cell
    if finding.confirmation:
        properties["confirmation"] = finding.confirmation
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": LEVEL[finding.severity],
        "message": {"text": message},
        "locations": [{"physicalLocation": physical}],
        "properties": properties,
    }
    if finding.related:
        result["relatedLocations"] = [
            {
                "id": number,
                "physicalLocation": {
                    "artifactLocation": _artifact(related.filename),
                    "region": _region(related.location, related.location),
                },
                "message": {"text": related.message},
            }
            for number, related in enumerate(finding.related)
        ]
    if finding.fix is not None and finding.cell is None:
        result["fixes"] = [_fix(finding, finding.fix)]
    return result


def sarif_log(findings: list[Finding], root: Path | None = None) -> dict[str, Any]:
    """The SARIF log as a dict; relative paths are relative to `root` (default: the working directory)."""
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results = []
    for finding in findings:
        if finding.code not in index:
            index[finding.code] = len(rules)
            rules.append(_descriptor(finding))
        results.append(_result(finding, index[finding.code]))
    base = (root or Path.cwd()).resolve().as_uri().rstrip("/") + "/"
    driver = {
        "name": "nnlint",
        "version": __version__,
        "semanticVersion": __version__,
        "informationUri": INFORMATION_URI,
        "rules": rules,
    }
    run = {
        "tool": {"driver": driver},
        "originalUriBaseIds": {SRCROOT: {"uri": base}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def render(findings: list[Finding], options: RenderOptions) -> str:
    return json.dumps(sarif_log(findings), indent=2) + "\n"
