"""The torch-free catalog of runtime codes matches the checks that emit them."""

from __future__ import annotations

import importlib
import json

from click.testing import CliRunner

from nnlint.cli import main
from nnlint.runtime_codes import RUNTIME_CODES

EMITTERS = {
    "NN911": "nnlint.run.loss_at_init",
    "NN912": "nnlint.run.overfit_batch",
    "NN913": "nnlint.run.input_independent",
    "NN914": "nnlint.run.dead_units",
    "NN915": "nnlint.run.update_ratio",
    "NN916": "nnlint.run.params_not_updated",
    "NN917": "nnlint.run.dropout_before_bn",
}


def test_catalog_matches_the_checks() -> None:
    from nnlint.probe import report

    emitted = {report.BATCH_MIXING, report.CAUSAL_LEAKAGE}
    for module in EMITTERS.values():
        check = importlib.import_module(module)
        emitted.add((check.CODE, check.NAME))
    assert {(c.code, c.name) for c in RUNTIME_CODES} == emitted


def test_rule_command_explains_runtime_codes() -> None:
    result = CliRunner().invoke(main, ["rule", "NN902"])
    assert result.exit_code == 0
    assert "causal-leakage" in result.output and "docs/probe.md" in result.output
    result = CliRunner().invoke(main, ["rules", "--format", "json"])
    assert {"NN901", "NN917", "NN101"} <= {row["code"] for row in json.loads(result.output)}


def test_every_runtime_code_has_docs_in_the_package() -> None:
    for code in RUNTIME_CODES:
        assert code.docs.startswith("## What it does\n"), code.code
        for section in ("## Why is this bad?", "## How to run it"):
            assert section in code.docs, (code.code, section)
        assert "{" not in code.docs, code.code  # an f-string placeholder left unfilled


def test_runtime_findings_point_to_their_command_page() -> None:
    from nnlint.finding import Finding, Position, Severity

    def url(code: str) -> str:
        here = Position(1, 1)
        return Finding(code, "n", "m", "f.py", here, here, Severity.INFO).url

    assert url("NN901").endswith("docs/probe.md")
    assert url("NN912").endswith("docs/run.md#what-the-checks-do")
    assert url("NN204").endswith("docs/rules.md#nn204")
