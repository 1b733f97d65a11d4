"""`nnlint check --probe TARGET`: the probe confirms or refutes the static findings it can settle."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from nnlint.cli import main

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "probe"


def check(*args: str) -> tuple[int, list[dict]]:
    result = CliRunner().invoke(main, ["check", "--no-cache", "--format", "json", *args])
    return result.exit_code, json.loads(result.output) if result.output.strip() else []


def test_static_finding_confirmed_and_probe_finding_added() -> None:
    script = FIXTURES / "view_mixing.py"
    code, findings = check(str(script), "--probe", f"{script}:build")
    assert code == 1
    by_code = {finding["code"]: finding for finding in findings}
    assert by_code["NN101"]["confirmation"] == "confirmed"
    assert by_code["NN901"]["location"]["row"] == by_code["NN101"]["location"]["row"]


def test_without_probe_nothing_is_settled() -> None:
    code, findings = check(str(FIXTURES / "view_mixing.py"))
    assert [f.get("confirmation") for f in findings if f["code"] == "NN101"] == [None]


def test_a_clean_probe_does_not_refute_a_view_that_scrambles_within_each_sample() -> None:
    """The probe tests cross-sample mixing; a view that reorders dims inside a sample is not that."""
    script = FIXTURES / "view_within_sample.py"
    code, findings = check(str(script))
    assert [f["code"] for f in findings] == ["NN101"]
    code, findings = check(str(script), "--probe", f"{script}:build")
    assert code == 1  # was 0: the real bug was hidden as "refuted"
    assert [(f["code"], f["confirmation"]) for f in findings] == [("NN101", "not confirmed")]


def test_a_batch_flatten_the_probe_ran_cleanly_is_refuted_and_hidden(tmp_path: Path) -> None:
    """NN102 claims cross-sample mixing, exactly what the probe tests: a clean run refutes it."""
    from nnlint.finding import Finding, Position, Severity
    from nnlint.probe.settle import REFUTED, settle, split_refuted

    script = tmp_path / "model.py"
    script.write_text("x = x.view(-1)\n")
    finding = Finding(
        "NN102", "batch-flatten", "m", str(script), Position(1, 1), Position(1, 5), Severity.WARNING
    )

    class Clean:
        exercised = {(str(script), 1)}
        clean = True

        def confirmed_lines(self) -> list:
            return []

    settle([finding], [Clean()])
    assert finding.confirmation == REFUTED
    assert split_refuted([finding], show_refuted=False) == ([], 1)


def test_probe_targets_from_pyproject(tmp_path: Path) -> None:
    script = tmp_path / "model.py"
    script.write_text((FIXTURES / "view_mixing.py").read_text())
    (tmp_path / "pyproject.toml").write_text('[tool.nnlint.probe]\ntargets = ["model.py:build"]\n')
    code, findings = check(str(script), "--probe-config")
    assert {f["code"] for f in findings} == {"NN101", "NN901"}


def test_configured_targets_never_run_without_the_flag(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    (tmp_path / "evil.py").write_text(
        f"import pathlib\ndef build():\n    pathlib.Path({str(marker)!r}).touch()\n"
    )
    (tmp_path / "pyproject.toml").write_text('[tool.nnlint.probe]\ntargets = ["evil.py:build"]\n')
    for extra in ([], ["--fix"], ["--diff"], ["--add-noqa"]):
        result = CliRunner().invoke(main, ["check", "--no-cache", str(tmp_path / "evil.py"), *extra])
        assert result.exit_code in (0, 1), result.output
        assert not marker.exists()
    assert "--probe-config" in result.output


def test_configured_targets_must_stay_inside_the_project(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "outside.py").write_text("def build():\n    raise SystemExit(9)\n")
    (project / "train.py").write_text("import torch\n")
    for target in ("../outside.py:build", f"{tmp_path / 'outside.py'}:build"):
        (project / "pyproject.toml").write_text(f'[tool.nnlint.probe]\ntargets = ["{target}"]\n')
        result = CliRunner().invoke(
            main, ["check", "--no-cache", "--probe-config", str(project / "train.py")]
        )
        assert result.exit_code == 2 and "outside the project" in result.output


def test_bad_probe_config_and_target_exit_2(tmp_path: Path) -> None:
    script = tmp_path / "model.py"
    script.write_text("import torch\n")
    (tmp_path / "pyproject.toml").write_text('[tool.nnlint.probe]\ntarget = "x"\n')
    result = CliRunner().invoke(main, ["check", "--no-cache", str(script)])
    assert result.exit_code == 2 and "targets" in result.output
    result = CliRunner().invoke(main, ["check", "--no-cache", str(script), "--probe", f"{script}:nope"])
    assert result.exit_code == 2 and "probe" in result.output
