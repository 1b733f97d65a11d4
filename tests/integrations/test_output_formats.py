"""`--format github|sarif|lsp` and `--output-file`, checked against the JSON output of the same run.

SARIF is validated against the official OASIS 2.1.0 schema (a copy in tests/data), with the jsonschema
package, so a log GitHub code scanning would reject fails here first.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from integration_helpers import BUGGY, ZERO_GRAD_ROW, nnlint

from nnlint.finding import Finding, Position, Severity
from nnlint.reporters import render
from nnlint.reporters.github import annotation
from nnlint.reporters.sarif import sarif_log

SCHEMA = json.loads((Path(__file__).resolve().parent.parent / "data" / "sarif-schema-2.1.0.json").read_text())
ANNOTATION = re.compile(
    r"^::(?P<command>error|warning|notice) file=(?P<file>[^,]+),line=(?P<line>\d+),col=(?P<col>\d+),"
    r"endLine=(?P<end_line>\d+),endColumn=(?P<end_col>\d+),"
    r"title=(?P<code>NN\d{3}) (?P<name>[a-z0-9-]+)::(?P<msg>.+)$"
)


def validate_sarif(log: dict[str, Any]) -> None:
    jsonschema.Draft7Validator(SCHEMA).validate(log)


def json_findings(*paths: str) -> list[dict[str, Any]]:
    return json.loads(nnlint("check", *paths, "--format", "json").stdout)


@pytest.fixture
def scripts(project: Path) -> list[str]:
    (project / "train.py").write_text(BUGGY)
    (project / "sub dir").mkdir()
    (project / "sub dir" / "py2.py").write_text('exec "x = 1"\n')
    return ["train.py", "sub dir/py2.py"]


def test_github_annotations_match_the_findings(scripts: list[str]) -> None:
    run = nnlint("check", *scripts, "--format", "github")
    assert run.code == 1
    expected = json_findings(*scripts)
    lines = run.stdout.splitlines()
    assert len(lines) == len(expected) >= 3
    for line, finding in zip(lines, expected, strict=True):
        match = ANNOTATION.match(line)
        assert match, line
        command = {"error": "error", "warning": "warning", "info": "notice"}[finding["severity"]]
        assert match["command"] == command
        assert match["file"] == finding["filename"]
        assert (int(match["line"]), int(match["col"])) == (
            finding["location"]["row"],
            finding["location"]["column"],
        )
        assert (int(match["end_line"]), int(match["end_col"])) == (
            finding["end_location"]["row"],
            finding["end_location"]["column"],
        )
        assert (match["code"], match["name"]) == (finding["code"], finding["name"])
        assert match["msg"].startswith(finding["message"].replace("%", "%25"))
    assert any(line.startswith(f"::error file=train.py,line={ZERO_GRAD_ROW},col=5,") for line in lines)


def test_github_escapes_what_would_end_a_command() -> None:
    finding = Finding(
        code="NN101",
        name="view-as-permute",
        message="100% wrong:\nsecond line",
        filename="a,b:c.py",
        location=Position(1, 1),
        end_location=Position(1, 4),
        severity=Severity.INFO,
    )
    line = annotation(finding)
    assert "\n" not in line
    assert line.startswith("::notice file=a%2Cb%3Ac.py,line=1,col=1,endLine=1,endColumn=4,")
    assert "::100%25 wrong:%0Asecond line%0A" in line  # the message keeps its `:`


def test_sarif_validates_and_mirrors_the_json(scripts: list[str]) -> None:
    run = nnlint("check", *scripts, "--format", "sarif")
    assert run.code == 1
    log = json.loads(run.stdout)
    validate_sarif(log)
    (sarif_run,) = log["runs"]
    driver = sarif_run["tool"]["driver"]
    assert driver["name"] == "nnlint"
    assert sarif_run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == Path.cwd().resolve().as_uri() + "/"
    expected = json_findings(*scripts)
    results = sarif_run["results"]
    assert len(results) == len(expected)
    for result, finding in zip(results, expected, strict=True):
        rule = driver["rules"][result["ruleIndex"]]
        assert result["ruleId"] == rule["id"] == finding["code"]
        assert (
            result["level"] == {"error": "error", "warning": "warning", "info": "note"}[finding["severity"]]
        )
        assert result["message"]["text"] == finding["message"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        region = location["region"]
        assert (region["startLine"], region["startColumn"]) == (
            finding["location"]["row"],
            finding["location"]["column"],
        )
        assert (region["endLine"], region["endColumn"]) == (
            finding["end_location"]["row"],
            finding["end_location"]["column"],
        )
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {"train.py", "sub%20dir/py2.py"}
    ids = [rule["id"] for rule in driver["rules"]]
    assert len(ids) == len(set(ids)) and set(ids) == {f["code"] for f in expected}
    nn204 = driver["rules"][ids.index("NN204")]
    assert nn204["name"] == "zero-grad-after-backward"
    assert nn204["defaultConfiguration"]["level"] == "error"
    assert nn204["helpUri"].endswith("#nn204")
    assert nn204["shortDescription"]["text"] and nn204["fullDescription"]["text"].startswith("Flags")
    assert "## Why is this bad?" in nn204["help"]["markdown"]


def test_sarif_with_no_findings_is_a_valid_empty_run(project: Path) -> None:
    (project / "clean.py").write_text("x = 1\n")
    run = nnlint("check", "clean.py", "--format", "sarif")
    assert run.code == 0
    log = json.loads(run.stdout)
    validate_sarif(log)
    assert log["runs"][0]["results"] == [] and log["runs"][0]["tool"]["driver"]["rules"] == []


def test_sarif_fixes_absolute_paths_probe_and_notebook_findings_validate(tmp_path: Path) -> None:
    def finding(code: str, name: str, **extra: Any) -> Finding:
        return Finding(
            code=code,
            name=name,
            message="m",
            filename=str(tmp_path / "model.py"),
            location=Position(3, 5),
            end_location=Position(3, 9),
            severity=Severity.ERROR,
            **extra,
        )

    from nnlint.finding import Edit, Fix

    fix = Fix("Use .item()", (Edit(Position(3, 5), Position(3, 9), "loss.item()"),))
    findings = [
        finding("NN501", "loss-accumulated-as-tensor", fix=fix),
        finding("NN901", "batch-mixing", confirmation="confirmed"),  # a probe code: no static rule
        finding("NN204", "zero-grad-after-backward", cell=3),
    ]
    log = sarif_log(findings)
    validate_sarif(log)
    results = log["runs"][0]["results"]
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": (tmp_path / "model.py").as_uri()
    }
    assert results[0]["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"] == {
        "text": "loss.item()"
    }
    probe_rule = log["runs"][0]["tool"]["driver"]["rules"][results[1]["ruleIndex"]]
    assert probe_rule == {
        "id": "NN901",
        "name": "batch-mixing",
        "helpUri": findings[1].url,
        "defaultConfiguration": {"level": "error"},
        "shortDescription": {"text": "m"},
    }
    assert results[1]["properties"]["confirmation"] == "confirmed"
    notebook = results[2]
    assert "region" not in notebook["locations"][0]["physicalLocation"]
    assert notebook["properties"]["cell"] == 3 and notebook["message"]["text"].startswith("cell 3, line 3:")


def test_lsp_diagnostics_mirror_the_json(scripts: list[str]) -> None:
    run = nnlint("check", *scripts, "--format", "lsp")
    assert run.code == 1
    diagnostics = json.loads(run.stdout)
    expected = json_findings(*scripts)
    assert len(diagnostics) == len(expected)
    for diagnostic, finding in zip(diagnostics, expected, strict=True):
        assert diagnostic["range"] == {
            "start": {"line": finding["location"]["row"] - 1, "character": finding["location"]["column"] - 1},
            "end": {
                "line": finding["end_location"]["row"] - 1,
                "character": finding["end_location"]["column"] - 1,
            },
        }
        assert diagnostic["severity"] == {"error": 1, "warning": 2, "info": 3}[finding["severity"]]
        assert diagnostic["code"] == finding["code"]
        assert diagnostic["codeDescription"] == {"href": finding["url"]}
        assert diagnostic["source"] == "nnlint"
        assert diagnostic["message"] == finding["message"]
        assert diagnostic["data"]["filename"] == finding["filename"]
        assert diagnostic["data"]["name"] == finding["name"]
        if finding["fix"] is None:
            assert diagnostic["data"]["fix"] is None
        else:
            edits = diagnostic["data"]["fix"]["edits"]
            assert [edit["newText"] for edit in edits] == [
                edit["content"] for edit in finding["fix"]["edits"]
            ]
            assert edits[0]["range"]["start"]["line"] == finding["fix"]["edits"][0]["location"]["row"] - 1


def test_lsp_columns_count_utf16_code_units(project: Path) -> None:
    # An emoji (two UTF-16 code units, one code point) before the finding on its line.
    source = BUGGY.replace("    optimizer.zero_grad()", '    tag = "😀"; optimizer.zero_grad()')
    (project / "train.py").write_text(source, encoding="utf-8")
    (finding,) = [f for f in json_findings("train.py") if f["code"] == "NN204"]
    (diagnostic,) = [
        d for d in json.loads(nnlint("check", "train.py", "--format", "lsp").stdout) if d["code"] == "NN204"
    ]
    assert diagnostic["range"]["start"] == {
        "line": ZERO_GRAD_ROW - 1,
        "character": finding["location"]["column"],
    }
    assert diagnostic["range"]["end"]["character"] == finding["end_location"]["column"]


def test_output_file_gets_the_report_and_stdout_stays_empty(scripts: list[str], project: Path) -> None:
    run = nnlint("check", *scripts, "--format", "sarif", "--output-file", "reports/nnlint.sarif")
    assert run.code == 1
    assert run.stdout == ""
    written = json.loads((project / "reports" / "nnlint.sarif").read_text())
    validate_sarif(written)
    assert written == json.loads(nnlint("check", *scripts, "--format", "sarif").stdout)
    assert [p.name for p in (project / "reports").iterdir()] == ["nnlint.sarif"]  # no temporary files left


def test_output_file_that_cannot_be_written_is_an_error(scripts: list[str], project: Path) -> None:
    (project / "taken").write_text("a file, not a folder")
    run = nnlint("check", *scripts, "--output-file", "taken/report.txt")
    assert run.code == 2
    assert "cannot write taken/report.txt" in run.stderr
    assert (project / "taken").read_text() == "a file, not a folder"


def test_every_format_renders_an_empty_list() -> None:
    from nnlint.reporters import FORMAT_NAMES

    for fmt in FORMAT_NAMES:
        text = render([], fmt)
        if fmt in ("json", "lsp", "gitlab"):
            assert json.loads(text) == []
        elif fmt == "sarif":
            validate_sarif(json.loads(text))
        elif fmt == "junit":
            assert (
                "<testsuites" in text
            )  # a CI server that expects a report finds one (see test_more_formats)
        else:
            assert text == ""
