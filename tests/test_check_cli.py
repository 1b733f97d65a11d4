"""`nnlint check` end to end: exit codes, selection, config, suppressions, robustness, output schema."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from nnlint.cli import main

BUGGY = textwrap.dedent(
    """
    import torch
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for x, y in loader:
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        optimizer.zero_grad()
        optimizer.step()
    """
)
ZERO_GRAD_ROW = 9


def run(*args: str, cwd: Path | None = None) -> tuple[int, str]:
    runner = CliRunner()
    if cwd is None:
        result = runner.invoke(main, list(args))
    else:
        with runner.isolated_filesystem(temp_dir=cwd):
            result = runner.invoke(main, list(args))
    return result.exit_code, result.output


@pytest.fixture
def buggy(tmp_path: Path) -> Path:
    path = tmp_path / "train.py"
    path.write_text(BUGGY)
    return path


def test_findings_exit_1_and_json_schema(buggy: Path) -> None:
    code, output = run("check", str(buggy), "--format", "json")
    assert code == 1
    findings = json.loads(output)
    nn204 = [f for f in findings if f["code"] == "NN204"]
    assert len(nn204) == 1
    finding = nn204[0]
    assert set(finding) >= {"code", "name", "message", "filename", "location", "end_location", "severity"}
    assert finding["name"] == "zero-grad-after-backward"
    assert finding["location"] == {"row": ZERO_GRAD_ROW, "column": 5}
    assert finding["end_location"] == {"row": ZERO_GRAD_ROW, "column": 26}
    assert finding["url"].endswith("nn204")
    assert "fix" in finding


def test_clean_file_exit_0(tmp_path: Path) -> None:
    path = tmp_path / "clean.py"
    path.write_text("import torch\nx = torch.zeros(3)\n")
    code, output = run("check", str(path))
    assert code == 0
    assert "no findings" in output


def test_exit_zero_flag(buggy: Path) -> None:
    assert run("check", str(buggy), "--exit-zero")[0] == 0


@pytest.mark.parametrize("selector", ["NN204", "NN2", "zero-grad-after-backward"])
def test_ignore_by_code_prefix_or_name(buggy: Path, selector: str) -> None:
    code, output = run("check", str(buggy), "--ignore", selector, "--format", "json")
    assert "NN204" not in {f["code"] for f in json.loads(output)}


def test_select_limits_rules(buggy: Path) -> None:
    code, output = run("check", str(buggy), "--select", "NN000", "--format", "json")
    assert code == 0 and json.loads(output) == []


def test_unknown_selector_is_usage_error(buggy: Path) -> None:
    code, output = run("check", str(buggy), "--select", "NN999x")
    assert code == 2
    assert "unknown rule" in output


@pytest.mark.parametrize(
    ("selector", "suggestion"),
    [("NN1011", "did you mean 'NN101'?"), ("mising-zero-grad", "did you mean 'missing-zero-grad'?")],
)
def test_unknown_selector_suggests_a_close_one(buggy: Path, selector: str, suggestion: str) -> None:
    code, output = run("check", str(buggy), "--ignore", selector)
    assert code == 2 and suggestion in output


def test_unknown_selector_far_from_every_rule_suggests_nothing(buggy: Path) -> None:
    code, output = run("check", str(buggy), "--select", "XYZ")
    assert code == 2 and "did you mean" not in output


def test_missing_path_is_usage_error(tmp_path: Path) -> None:
    assert run("check", str(tmp_path / "nope.py"))[0] == 2


def test_text_output_shows_source_and_hint(buggy: Path) -> None:
    code, output = run("check", str(buggy))
    assert f"train.py:{ZERO_GRAD_ROW}:5: NN204" in output
    assert "optimizer.zero_grad()" in output and "^^^^" in output
    assert "hint:" in output
    assert "\x1b[" not in output  # no colour when not writing to a terminal
    assert "Found 1 finding" in output


def test_text_output_shows_a_window_of_a_very_long_line(tmp_path: Path) -> None:
    # One line of a minified file: the snippet keeps the span and its neighbourhood, not 50 kB of code.
    padding = "a" * 5000
    source = f"import torch\nx = ({padding},) + (\n"
    path = tmp_path / "minified.py"
    path.write_text(source)
    code, output = run("check", str(path))
    assert code == 1 and "NN000" in output
    shown = [line for line in output.splitlines() if line.startswith("2 | ")]
    assert len(shown) == 1 and len(shown[0]) < 200
    assert shown[0].startswith("2 | …") and shown[0].endswith("(")
    caret_row = output.splitlines()[output.splitlines().index(shown[0]) + 1]
    assert caret_row.rstrip().endswith("^") and caret_row.index("^") == len(shown[0]) - 1


def test_noqa_suppressions(tmp_path: Path) -> None:
    variants = {
        "bare": "optimizer.zero_grad()  # noqa",
        "code": "optimizer.zero_grad()  # noqa: NN204",
        "name": "optimizer.zero_grad()  # nnlint: ignore[zero-grad-after-backward]",
        "ignore": "optimizer.zero_grad()  # nnlint: ignore[NN204]",
    }
    for label, line in variants.items():
        path = tmp_path / f"{label}.py"
        path.write_text(BUGGY.replace("optimizer.zero_grad()", line))
        code, output = run("check", str(path), "--format", "json")
        assert "NN204" not in {f["code"] for f in json.loads(output)}, label
    other = tmp_path / "other.py"
    other.write_text(BUGGY.replace("optimizer.zero_grad()", "optimizer.zero_grad()  # noqa: NN101"))
    assert "NN204" in {f["code"] for f in json.loads(run("check", str(other), "--format", "json")[1])}
    in_string = tmp_path / "string.py"
    in_string.write_text(BUGGY.replace("optimizer.zero_grad()", "optimizer.zero_grad('# noqa')"))
    assert "NN204" in {f["code"] for f in json.loads(run("check", str(in_string), "--format", "json")[1])}


def test_unused_noqa_text_gate_hides_no_judged_directive() -> None:
    """NN001's text gate (`may_audit`), which spares the tokenizing of a file's comments, says no only
    where the audit itself finds nothing to judge."""
    from nnlint.rule import all_rules
    from nnlint.suppress import parse_suppressions
    from rules.unused_noqa import UnusedNoqa

    enabled = frozenset(rule.code for rule in all_rules())
    lines = [
        "x = 1  # noqa",
        "x = 1  # noqa: F401",
        "x = 1  # NOQA: E501, B950",
        "x = 1  # noqa: NN204",
        "x = 1  # noqa: nn777",
        "x = 1  # noqa:nn1",
        "x = 1  # noqa: view-as-permute",
        "x = 1  # noqa: some-other-rule",
        "x = 1  # nnlint: ignore[NN700]",
        "x = 1  # NNLINT: file-ignore",
        's = "# noqa: NN999"',
    ]
    for line in lines:
        for source in (f"{line}\n", f"# noqa: F401\n{line}\ny = 2\n"):
            judged = UnusedNoqa.audit_suppressions("f.py", parse_suppressions(source), enabled)
            assert UnusedNoqa.may_audit(source) or not judged, source
    assert not UnusedNoqa.may_audit("import os  # noqa: F401\nx = 1  # noqa\n")


def test_file_level_ignore(tmp_path: Path) -> None:
    path = tmp_path / "f.py"
    path.write_text("# nnlint: file-ignore[NN204]\n" + BUGGY)
    assert "NN204" not in {f["code"] for f in json.loads(run("check", str(path), "--format", "json")[1])}


def test_pyproject_config_select_ignore_and_per_file(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    (project / "scripts").mkdir(parents=True)
    (project / "scripts" / "train.py").write_text(BUGGY)
    (project / "scripts" / "legacy.py").write_text(BUGGY)
    (project / "pyproject.toml").write_text(
        '[tool.nnlint]\nper-file-ignores = { "scripts/legacy.py" = ["NN204"] }\n'
    )
    code, output = run("check", str(project), "--format", "json")
    files = {Path(f["filename"]).name for f in json.loads(output) if f["code"] == "NN204"}
    assert files == {"train.py"}
    (project / "pyproject.toml").write_text('[tool.nnlint]\nignore = ["NN2"]\n')
    # The config is cached per process; a fresh process sees the new file.
    result = subprocess.run(
        [sys.executable, "-m", "nnlint", "check", str(project), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_the_program_reports_and_exits_as_the_command_does(
    tmp_path: Path, buggy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`nnlint` ends the process without the interpreter's shutdown after `check`: nothing it printed or
    wrote (the result cache) may be lost, and the status is the command's."""
    monkeypatch.chdir(tmp_path)
    for extra in ([], ["--exit-zero"], ["--select", "NN9"]):
        args = ["check", buggy.name, "--format", "json", *extra]
        in_process = CliRunner().invoke(main, [*args, "--no-cache"])
        program = subprocess.run([sys.executable, "-m", "nnlint", *args], capture_output=True, text=True)
        assert (program.returncode, program.stdout) == (in_process.exit_code, in_process.stdout)
    assert list((tmp_path / ".nnlint_cache").rglob("*.json"))


def test_config_errors_exit_2(tmp_path: Path, buggy: Path) -> None:
    bad_key = tmp_path / "bad_key.toml"
    bad_key.write_text("[tool.nnlint]\nselekt = ['NN2']\n")
    code, output = run("check", str(buggy), "--config", str(bad_key))
    assert code == 2 and "selekt" in output
    bad_code = tmp_path / "bad_code.toml"
    bad_code.write_text("[tool.nnlint]\nignore = ['NN777']\n")
    code, output = run("check", str(buggy), "--config", str(bad_code))
    assert code == 2 and "NN777" in output
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text("[tool.nnlint\n")
    assert run("check", str(buggy), "--config", str(bad_toml))[0] == 2


def test_default_excludes_and_config_exclude(tmp_path: Path) -> None:
    (tmp_path / ".venv" / "lib").mkdir(parents=True)
    (tmp_path / ".venv" / "lib" / "train.py").write_text(BUGGY)
    (tmp_path / "gen").mkdir()
    (tmp_path / "gen" / "train.py").write_text(BUGGY)
    (tmp_path / "pyproject.toml").write_text('[tool.nnlint]\nexclude = ["gen"]\n')
    result = subprocess.run(
        [sys.executable, "-m", "nnlint", "check", str(tmp_path), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert json.loads(result.stdout) == []


def test_bad_inputs_never_crash_the_run(tmp_path: Path) -> None:
    (tmp_path / "py2.py").write_text('exec "x = 1"\n')
    (tmp_path / "latin1.py").write_bytes(b"x = '\xe9\xff'\n")
    (tmp_path / "empty.py").write_text("")
    (tmp_path / "huge.py").write_text("import torch\n" + "x = torch.zeros(1)\n" * 20000)
    (tmp_path / "nested.py").write_text("x = " + "(" * 500 + "1" + ")" * 500 + "\n")
    (tmp_path / "train.py").write_text(BUGGY)
    code, output = run("check", str(tmp_path), "--format", "json")
    findings = json.loads(output)
    by_file = {(Path(f["filename"]).name, f["code"]) for f in findings}
    assert ("py2.py", "NN000") in by_file
    assert ("latin1.py", "NN000") in by_file
    assert ("train.py", "NN204") in by_file
    assert not any(name in ("empty.py", "huge.py") for name, _ in by_file)
    assert code == 1


def test_checking_runs_none_of_the_code(tmp_path: Path) -> None:
    marker = tmp_path / "ran.txt"
    script = tmp_path / "evil.py"
    script.write_text(
        "import pathlib\n"
        f"pathlib.Path({str(marker)!r}).write_text('ran')\n"
        "raise SystemExit(3)\n"
        "if __name__ == '__main__':\n"
        f"    pathlib.Path({str(marker)!r}).write_text('main')\n"
    )
    code, _ = run("check", str(script))
    assert code == 0
    assert not marker.exists()


def test_static_half_works_without_torch(buggy: Path) -> None:
    """`nnlint check` with torch made unimportable: it must work and never try to import torch."""
    program = textwrap.dedent(
        f"""
        import sys
        sys.modules["torch"] = None  # any `import torch` now raises ImportError
        from nnlint.cli import main
        try:
            main(["check", {str(buggy)!r}, "--format", "json"])
        except SystemExit as exit:
            print("EXIT", exit.code)
        """
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=False)
    assert "EXIT 1" in result.stdout, result.stderr
    assert "NN204" in result.stdout


def test_rule_crash_is_reported_and_others_still_run(tmp_path: Path) -> None:
    from nnlint.rule import Rule, all_rules
    from nnlint.runner import check_source

    class Broken(Rule):
        code = "NN998"
        name = "broken"
        message = "never"

        def visit_Call(self, node: object) -> None:
            raise ValueError("boom")

    result = check_source("t.py", BUGGY, [Broken, *all_rules()])
    assert [crash.code for crash in result.crashes] == ["NN998"]
    assert "boom" in result.crashes[0].error
    assert "NN204" in {f.code for f in result.findings}


def test_rule_docs_and_listing() -> None:
    code, output = run("rule", "NN204")
    assert code == 0 and "Why is this bad?" in output
    assert run("rule", "zero-grad-after-backward")[0] == 0
    assert run("rule", "NN777")[0] == 2
    code, output = run("rules", "--format", "json")
    rows = json.loads(output)
    assert {"NN000", "NN204"} <= {row["code"] for row in rows}
    assert all(row["summary"] for row in rows)


def test_an_unknown_rule_gets_the_suggestion_a_selector_gets() -> None:
    """`--select zero-grad-after-backwards` suggested the right name; `nnlint rule` said only "unknown"."""
    code, output = run("rule", "zero-grad-after-backwards")
    assert code == 2 and "did you mean 'zero-grad-after-backward'?" in output
    assert "did you mean 'NN912'?" in run("rule", "NN9122")[1]  # runtime codes too


def test_rule_summary_is_one_short_line() -> None:
    """The summary (`nnlint rules`, docs/rules.md's table, SARIF's shortDescription) was the whole first
    paragraph, thousands of characters for some rules, then its first sentence (1,875 characters for NN501,
    which lists the spellings it knows). It is the headline of the rule's module docstring."""
    import sys

    from nnlint.rule import all_rules, first_sentence

    assert (
        first_sentence("Flags `x.view(a. B)`, e.g. `y`. It matters. Really.")
        == "Flags `x.view(a. B)`, e.g. `y`."
    )
    assert first_sentence("One sentence with no full stop") == "One sentence with no full stop"
    for rule in all_rules():
        summary = rule.summary()
        headline = (sys.modules[rule.__module__].__doc__ or "").split("\n", 1)[0]
        assert headline.startswith(f"{rule.code} "), rule.code  # every rule module states one
        assert summary[0].isupper() and summary.endswith(".") and len(summary) <= 100, (rule.code, summary)
        assert summary[:-1].lower().rstrip(".") in headline.lower(), (rule.code, summary)
        prose = re.sub(r"`[^`]*`", "``", summary)  # code spans may hold anything
        assert not re.search(r"[.!?] [A-Z]", prose), (rule.code, summary)


@pytest.mark.parametrize("command", [[], ["check"], ["rule"], ["rules"], ["run"], ["probe"], ["lsp"]])
def test_every_help_screen_fits_80_columns(command: list[str]) -> None:
    """`nnlint check --help` listed the ten formats as the option's metavar, one line of 95 columns."""
    result = CliRunner().invoke(main, [*command, "--help"], terminal_width=80)
    assert result.exit_code == 0
    assert [line for line in result.output.splitlines() if len(line) > 80] == []


def test_findings_sorted_by_file_line_column(tmp_path: Path) -> None:
    for name in ("b.py", "a.py"):
        (tmp_path / name).write_text(BUGGY + BUGGY.replace("import torch", ""))
    findings = json.loads(run("check", str(tmp_path), "--format", "json")[1])
    keys = [(f["filename"], f["location"]["row"], f["location"]["column"]) for f in findings]
    assert keys == sorted(keys) and len(keys) >= 4


def test_help_lists_every_command_in_full_and_the_exit_codes() -> None:
    result = CliRunner().invoke(main, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    commands = result.output.split("Commands:")[1]
    assert "..." not in commands  # no summary cut short
    assert "Exit codes: 0 no findings, 1 findings, 2" in result.output
    check_help = CliRunner().invoke(main, ["check", "--help"], terminal_width=200).output
    assert "Exit codes: 0 no findings" in check_help
