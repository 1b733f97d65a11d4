"""The formats added for CI servers, each read by its consumer's parser or checked against its documented
schema: junit (parsed by junitparser, as CI plugins read it), gitlab (GitLab's Code Quality fields),
pylint (pylint's "parseable" line template) and json-lines (one `json` object per line)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from integration_helpers import BUGGY, ZERO_GRAD_ROW, nnlint
from junitparser import Failure, JUnitXml

from nnlint.finding import Finding, Position, Severity
from nnlint.reporters import render

GITLAB_SCHEMA = json.loads(
    (Path(__file__).resolve().parent.parent / "data" / "gitlab-codequality-schema.json").read_text()
)
# pylint's `--output-format=parseable` template, `{path}:{line}: [{msg_id}({symbol}), {obj}] {msg}`.
PYLINT_PARSEABLE = re.compile(
    r"^(?P<path>[^:]+):(?P<line>\d+): \[(?P<id>\w+)\((?P<symbol>[\w-]+)\), (?P<obj>[^\]]*)\] (?P<msg>.+)$"
)


@pytest.fixture
def scripts(project: Path) -> list[str]:
    (project / "a.py").write_text(BUGGY)
    (project / "b.py").write_text(BUGGY.replace("total += loss", 'total += loss  # <&> "xml"'))
    return ["a.py", "b.py"]


def json_findings(*paths: str) -> list[dict]:
    return json.loads(nnlint("check", *paths, "--format", "json", "--no-cache").stdout)


def test_junit_is_read_by_a_junit_parser(scripts: list[str], project: Path) -> None:
    run = nnlint("check", *scripts, "--format", "junit", "--output-file", "report.xml", "--no-cache")
    assert run.code == 1
    xml = JUnitXml.fromfile(str(project / "report.xml"))
    expected = json_findings(*scripts)
    cases = [(suite.name, case) for suite in xml for case in suite]
    assert len(cases) == len(expected)
    assert {name for name, _ in cases} == set(scripts)
    failures = [result for _, case in cases for result in case.result]
    assert all(isinstance(result, Failure) for result in failures) and len(failures) == len(expected)
    zero_grad = [case for _, case in cases if case.name.startswith("NN204")]
    assert len(zero_grad) == 2
    assert f"line {ZERO_GRAD_ROW}, column 5" in zero_grad[0].name
    assert zero_grad[0].result[0].message == next(f["message"] for f in expected if f["code"] == "NN204")


def test_junit_without_findings_is_one_passing_case(project: Path) -> None:
    (project / "clean.py").write_text("x = 1\n")
    nnlint("check", "clean.py", "--format", "junit", "--output-file", "report.xml", "--no-cache")
    xml = JUnitXml.fromfile(str(project / "report.xml"))
    [[case]] = [list(suite) for suite in xml]
    assert case.is_passed


def test_gitlab_report_fits_the_code_quality_format(scripts: list[str]) -> None:
    issues = json.loads(nnlint("check", *scripts, "--format", "gitlab", "--no-cache").stdout)
    jsonschema.Draft7Validator(GITLAB_SCHEMA).validate(issues)
    expected = json_findings(*scripts)
    assert [(i["check_name"], i["location"]["path"], i["location"]["lines"]["begin"]) for i in issues] == [
        (f["code"], f["filename"], f["location"]["row"]) for f in expected
    ]
    # GitLab shows one issue per fingerprint: identical findings in two files must not collide.
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)
    severities = {i["check_name"]: i["severity"] for i in issues}
    assert severities["NN204"] == "critical"


def test_gitlab_fingerprint_survives_moving_lines(project: Path) -> None:
    (project / "a.py").write_text(BUGGY)
    before = json.loads(nnlint("check", "a.py", "--format", "gitlab", "--no-cache").stdout)
    (project / "a.py").write_text("# a comment that moves every line\n" + BUGGY)
    after = json.loads(nnlint("check", "a.py", "--format", "gitlab", "--no-cache").stdout)
    assert [i["fingerprint"] for i in before] == [i["fingerprint"] for i in after]


def test_pylint_lines_fit_pylints_parseable_template(scripts: list[str]) -> None:
    lines = nnlint("check", *scripts, "--format", "pylint", "--no-cache").stdout.splitlines()
    expected = json_findings(*scripts)
    parsed = [PYLINT_PARSEABLE.match(line) for line in lines]
    assert all(parsed), lines
    assert [(m["path"], int(m["line"]), m["id"], m["symbol"]) for m in parsed] == [
        (f["filename"], f["location"]["row"], f["code"], f["name"]) for f in expected
    ]


def test_json_lines_are_the_json_objects(scripts: list[str]) -> None:
    lines = nnlint("check", *scripts, "--format", "json-lines", "--no-cache").stdout.splitlines()
    assert [json.loads(line) for line in lines] == json_findings(*scripts)


def test_notebook_cells_are_named_where_a_format_has_no_cells() -> None:
    finding = Finding(
        code="NN204",
        name="zero-grad-after-backward",
        message="m",
        filename="train.ipynb",
        location=Position(2, 5),
        end_location=Position(2, 9),
        severity=Severity.ERROR,
        cell=3,
    )
    assert (
        render([finding], "pylint")
        == "train.ipynb:1: [NN204(zero-grad-after-backward), ] cell 3, line 2: m\n"
    )
    [issue] = json.loads(render([finding], "gitlab"))
    assert issue["description"].startswith("cell 3, line 2:") and issue["location"]["lines"] == {"begin": 1}
    assert "cell 3, line 2" in render([finding], "junit")
