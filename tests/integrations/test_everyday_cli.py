"""`nnlint check` as a user meets it next to ruff: a real `nnlint` process, a real terminal where it matters.

Each test is one habit users bring from ruff (excludes and .gitignore, stdin, statistics, colour, quiet,
rule docs through a pipe, progress, an empty folder, a mistyped suppression). Terminals are real: a pty
from `pty.openpty()` stands in for stdout or stderr, which is what `isatty()` and rich look at.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from integration_helpers import BUGGY, CLEAN, ZERO_GRAD_ROW

from nnlint.rule import rule_by_code_or_name

ANSI = re.compile(r"\x1b\[")
NNLINT = [sys.executable, "-m", "nnlint"]
# No colour or progress conventions leak in from the environment the tests run in.
BASE_ENV = {
    k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "NNLINT_OUTPUT_FORMAT")
}


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


def run(*args: str, cwd: Path, stdin: str | None = None, env: dict[str, str] | None = None) -> Result:
    """`nnlint ARGS` in a subprocess, stdout and stderr piped (not terminals)."""
    completed = subprocess.run(
        [*NNLINT, *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env={**BASE_ENV, "TERM": "xterm-256color", **(env or {})},
        timeout=300,
        check=False,
    )
    return Result(completed.returncode, completed.stdout, completed.stderr)


def run_in_terminal(
    *args: str, cwd: Path, tty: str, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """`nnlint ARGS` with `tty` ("stdout" or "stderr") attached to a pseudo-terminal, the other piped."""
    master, slave = pty.openpty()
    piped = subprocess.PIPE
    process = subprocess.Popen(
        [*NNLINT, *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=slave if tty == "stdout" else piped,
        stderr=slave if tty == "stderr" else piped,
        env={**BASE_ENV, "TERM": "xterm-256color", "COLUMNS": "120", **(env or {})},
    )
    os.close(slave)
    other = process.stderr if tty == "stdout" else process.stdout
    assert other is not None
    terminal, piped_bytes = b"", b""
    streams = {master: "tty", other.fileno(): "pipe"}
    while streams:
        ready, _, _ = select.select(list(streams), [], [], 300)
        assert ready, "nnlint hung"
        for fd in ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the pty reports EIO once the child closed it
                chunk = b""
            if not chunk:
                del streams[fd]
            elif streams[fd] == "tty":
                terminal += chunk
            else:
                piped_bytes += chunk
    code = process.wait(timeout=60)
    os.close(master)
    return code, terminal.decode("utf-8", "replace"), piped_bytes.decode("utf-8", "replace")


def git_init(folder: Path) -> None:
    subprocess.run(["git", "init", "-q", str(folder)], check=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with a buggy script in src/ and copies in places users exclude."""
    git_init(tmp_path)
    for name in ("src/train.py", "outputs/run1/train.py", "generated/model_pb.py", "wandb/latest/train.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(BUGGY)
    return tmp_path


# -- excludes: .gitignore, .ignore, info/exclude, --force-exclude ----------------------------------------


def test_gitignored_folders_are_not_checked(repo: Path) -> None:
    (repo / ".gitignore").write_text("outputs/\n")
    (repo / ".git" / "info").mkdir(parents=True, exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text("wandb\n")
    (repo / "generated" / ".ignore").write_text("*_pb.py\n")
    assert run("check", "--show-files", cwd=repo).stdout == "src/train.py\n"
    result = run("check", "--format", "concise", "--no-cache", cwd=repo)
    reported = {line.split(":")[0] for line in result.stdout.splitlines()[:-1] if not line.startswith(" ")}
    assert reported == {"src/train.py"}  # (indented lines are a finding's related locations)
    # Turned off on the command line or in the config, everything is checked again.
    every = "generated/model_pb.py\noutputs/run1/train.py\nsrc/train.py\nwandb/latest/train.py\n"
    assert run("check", "--show-files", "--no-respect-gitignore", cwd=repo).stdout == every
    (repo / "pyproject.toml").write_text("[tool.nnlint]\nrespect-gitignore = false\n")
    assert run("check", "--show-files", cwd=repo).stdout == every


def test_gitignore_negation_and_nested_files(repo: Path) -> None:
    (repo / ".gitignore").write_text("outputs/*\n!outputs/run1/\n")
    (repo / "src" / ".gitignore").write_text("train.py\n")
    shown = run("check", "--show-files", cwd=repo).stdout.splitlines()
    assert "outputs/run1/train.py" in shown and "src/train.py" not in shown


def test_gitignore_outside_a_repository_does_not_count(tmp_path: Path) -> None:
    (tmp_path / "outputs").mkdir()
    (tmp_path / "outputs" / "train.py").write_text(CLEAN)
    (tmp_path / ".gitignore").write_text("outputs/\n")
    assert run("check", "--show-files", cwd=tmp_path).stdout == "outputs/train.py\n"


def test_force_exclude_applies_excludes_to_named_files(repo: Path) -> None:
    (repo / ".gitignore").write_text("outputs/\n")
    (repo / "pyproject.toml").write_text('[tool.nnlint]\nexclude = ["generated/*"]\n')
    named = ("generated/model_pb.py", "outputs/run1/train.py")
    # Named files are checked, as ruff does, unless --force-exclude says otherwise.
    assert run("check", *named, "--no-cache", cwd=repo).code == 1
    result = run("check", *named, "--force-exclude", "--no-cache", cwd=repo)
    assert (result.code, result.stdout) == (0, "")
    assert "No Python files found" in result.stderr
    assert run("check", *named, "src/train.py", "--force-exclude", "--no-cache", cwd=repo).code == 1
    (repo / "pyproject.toml").write_text('[tool.nnlint]\nexclude = ["generated/*"]\nforce-exclude = true\n')
    assert run("check", *named, "--no-cache", cwd=repo).code == 0
    assert run("check", *named, "--no-force-exclude", "--no-cache", cwd=repo).code == 1


def test_show_settings_explains_what_applies_to_a_file(repo: Path) -> None:
    (repo / "pyproject.toml").write_text(
        '[tool.nnlint]\nignore = ["NN3"]\nexclude = ["generated/*"]\nforce-exclude = true\n'
    )
    result = run("check", "--show-settings", "generated/model_pb.py", cwd=repo)
    assert result.code == 0
    settings = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    assert settings["config"] == str(repo / "pyproject.toml")
    [enabled] = [key for key in settings if key.startswith("enabled rules (")]
    assert "NN301" in settings["disabled rules"] and "NN204" in settings[enabled]
    assert settings["force-exclude"] == "true"
    assert settings["excluded when found in a folder"] == "yes"


# -- stdin ------------------------------------------------------------------------------------------------


def test_stdin_is_checked_as_the_named_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.nnlint]\nper-file-ignores = { "scripts/*" = ["NN204"] }\n'
    )
    result = run("check", "-", "--stdin-filename", "train.py", "--format", "json", cwd=tmp_path, stdin=BUGGY)
    assert result.code == 1
    findings = json.loads(result.stdout)
    nn204 = [f for f in findings if f["code"] == "NN204"]
    assert [(f["filename"], f["location"]["row"]) for f in nn204] == [("train.py", ZERO_GRAD_ROW)]
    assert not (tmp_path / "train.py").exists()  # nothing read or written on disk
    # The name decides the config that applies, as for a file on disk.
    ignored = run(
        "check", "-", "--stdin-filename", "scripts/train.py", "--format", "json", cwd=tmp_path, stdin=BUGGY
    )
    assert "NN204" not in {f["code"] for f in json.loads(ignored.stdout)}
    # The text report shows the lines that came in, not a file of that name.
    text = run("check", "-", "--stdin-filename", "train.py", "--no-cache", cwd=tmp_path, stdin=BUGGY).stdout
    assert f"{ZERO_GRAD_ROW} |     optimizer.zero_grad()" in text
    # Without a name, the findings are reported as `-`.
    assert run("check", "-", "--format", "concise", cwd=tmp_path, stdin=BUGGY).stdout.startswith("-:")


def test_stdin_fix_writes_the_fixed_text_to_stdout(tmp_path: Path) -> None:
    result = run("check", "-", "--stdin-filename", "train.py", "--fix", cwd=tmp_path, stdin=BUGGY)
    assert "total += loss.item()" in result.stdout and "import torch" in result.stdout
    assert f"train.py:{ZERO_GRAD_ROW}:5: NN204" in result.stderr  # what remains, on stderr
    assert result.code == 1


def test_stdin_with_force_exclude_reports_nothing(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.nnlint]\nexclude = ["generated/*"]\n')
    args = ("check", "-", "--stdin-filename", "generated/x.py", "--format", "concise")
    assert run(*args, cwd=tmp_path, stdin=BUGGY).code == 1
    assert run(*args, "--force-exclude", cwd=tmp_path, stdin=BUGGY).code == 0


def test_stdin_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(CLEAN)
    assert run("check", "-", "a.py", cwd=tmp_path, stdin="").code == 2
    assert run("check", "a.py", "--stdin-filename", "b.py", cwd=tmp_path).code == 2


# -- what the run prints ----------------------------------------------------------------------------------


def test_an_empty_folder_warns_and_passes(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run("check", "empty", cwd=tmp_path)
    assert (result.code, result.stdout) == (0, "")
    assert result.stderr == "nnlint: warning: No Python files found under the given path(s)\n"
    quiet = run("check", "empty", "--quiet", cwd=tmp_path)
    assert (quiet.code, quiet.stdout, quiet.stderr) == (0, "", "")
    assert json.loads(run("check", "empty", "--format", "json", cwd=tmp_path).stdout) == []


def test_statistics_count_findings_per_rule(tmp_path: Path) -> None:
    for name in ("a.py", "b.py"):
        (tmp_path / name).write_text(BUGGY)
    result = run("check", "--statistics", "--no-cache", cwd=tmp_path)
    assert result.code == 1
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    by_code = {code: (count, name) for count, code, name in rows}
    assert by_code["NN204"] == ("2", "[ ] zero-grad-after-backward")
    assert by_code["NN501"] == ("2", "[*] loss-accumulated-as-tensor")  # a safe fix for each
    data = json.loads(run("check", "--statistics", "--format", "json", "--no-cache", cwd=tmp_path).stdout)
    assert {"code": "NN204", "name": "zero-grad-after-backward", "count": 2, "fixable": False} in data


def test_quiet_and_silent(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(BUGGY)
    quiet = run("check", "--quiet", "--no-cache", cwd=tmp_path)
    assert quiet.code == 1 and "NN204" in quiet.stdout and "Found" not in quiet.stdout
    silent = run("check", "-s", "--no-cache", cwd=tmp_path)
    assert (silent.code, silent.stdout, silent.stderr) == (1, "", "")
    assert run("check", "--silent", "--fix", "--no-cache", cwd=tmp_path).stdout == ""
    assert "total += loss.item()" in (tmp_path / "train.py").read_text()


def test_output_format_alias_and_environment_variable(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(BUGGY)
    by_alias = run("check", "--output-format", "json-lines", "--no-cache", cwd=tmp_path).stdout
    by_env = run("check", "--no-cache", cwd=tmp_path, env={"NNLINT_OUTPUT_FORMAT": "json-lines"}).stdout
    assert by_alias == by_env
    assert sorted(json.loads(line)["code"] for line in by_alias.splitlines()) == ["NN204", "NN301", "NN501"]
    # The option wins over the variable.
    flag = run("check", "--format", "concise", cwd=tmp_path, env={"NNLINT_OUTPUT_FORMAT": "json"}).stdout
    assert flag.startswith("train.py:")


def test_mistyped_suppressions_are_reported_and_fixed(tmp_path: Path) -> None:
    source = BUGGY.replace("optimizer.zero_grad()", "optimizer.zero_grad()  # noqa: NN2")
    source = source.replace("total += loss", "total += loss  # nnlint: ignore[loss-acumulated]")
    (tmp_path / "train.py").write_text(source)
    result = run("check", "--format", "json", "--select", "NN001,NN204,NN501", "--no-cache", cwd=tmp_path)
    nn001 = [f for f in json.loads(result.stdout) if f["code"] == "NN001"]
    messages = sorted(f["message"] for f in nn001)
    assert len(messages) == 2
    assert "`NN2` is not an nnlint rule" in messages[0] and "prefixes" in messages[0]
    assert "`loss-acumulated` is not an nnlint rule" in messages[1]
    # The mistyped suppressions suppressed nothing, and --fix removes them.
    assert {f["code"] for f in json.loads(result.stdout)} == {"NN001", "NN204", "NN501"}
    run("check", "--fix", "--select", "NN001", "--no-cache", cwd=tmp_path)
    assert "noqa" not in (tmp_path / "train.py").read_text()
    assert "nnlint:" not in (tmp_path / "train.py").read_text()


def test_nn301_points_at_one_line_a_noqa_can_silence(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """\
        import torch

        if __name__ == "__main__":
            model = torch.nn.Linear(2, 1)
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            data = torch.randn(64, 2)
            for step in range(10):
                optimizer.zero_grad()
                loss = model(data).pow(2).mean()
                loss.backward()
                optimizer.step()
        """
    )
    (tmp_path / "train.py").write_text(script)
    [finding] = json.loads(run("check", "--select", "NN301", "--format", "json", cwd=tmp_path).stdout)
    assert finding["location"]["row"] == finding["end_location"]["row"] == 6  # torch.randn
    assert "`__main__` block" in finding["message"]
    [entry] = finding["related"]  # the line where the seed goes
    assert entry["location"]["row"] == 3
    (tmp_path / "train.py").write_text(script.replace("randn(64, 2)", "randn(64, 2)  # noqa: NN301"))
    assert run("check", "--select", "NN301,NN001", cwd=tmp_path).code == 0


# -- colour -----------------------------------------------------------------------------------------------


def test_colour_follows_the_terminal_and_the_conventions(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(BUGGY)
    args = ("check", "train.py", "--no-cache")
    code, terminal, _ = run_in_terminal(*args, cwd=tmp_path, tty="stdout")
    assert code == 1 and ANSI.search(terminal) and "NN204" in terminal
    for env in ({"NO_COLOR": "1"}, {"NO_COLOR": "1", "FORCE_COLOR": "1"}):
        _, terminal, _ = run_in_terminal(*args, cwd=tmp_path, tty="stdout", env=env)
        assert "NN204" in terminal and not ANSI.search(terminal), env
    _, terminal, _ = run_in_terminal(*args, "--color", "never", cwd=tmp_path, tty="stdout")
    assert not ANSI.search(terminal)
    # Through a pipe: plain, unless forced.
    assert not ANSI.search(run(*args, cwd=tmp_path).stdout)
    assert ANSI.search(run(*args, cwd=tmp_path, env={"FORCE_COLOR": "1"}).stdout)
    assert ANSI.search(run(*args, "--color", "always", cwd=tmp_path).stdout)
    assert not ANSI.search(run(*args, "--color", "auto", cwd=tmp_path, env={"NO_COLOR": "1"}).stdout)


# -- progress ---------------------------------------------------------------------------------------------


def test_progress_shows_on_a_terminal_stderr_and_stdout_stays_the_same(tmp_path: Path) -> None:
    for index in range(120):  # "many files": the bar shows at once, however fast the machine
        (tmp_path / f"m{index:03}.py").write_text(CLEAN)
    (tmp_path / "train.py").write_text(BUGGY)
    args = ("check", "--no-cache", "--format", "concise", "-j", "2")
    code, terminal, stdout = run_in_terminal(*args, cwd=tmp_path, tty="stderr")
    assert code == 1
    assert "nnlint check" in terminal and "121/121" in terminal
    piped = run(*args, cwd=tmp_path)
    assert (piped.stdout, piped.stderr) == (stdout, "")
    _, quiet_terminal, _ = run_in_terminal(*args, "--quiet", cwd=tmp_path, tty="stderr")
    assert quiet_terminal == ""


def test_progress_of_a_probe_shows_on_a_terminal_stderr(tmp_path: Path) -> None:
    target = Path(__file__).resolve().parents[2] / "fixtures" / "probe" / "batch_mean.py"
    code, terminal, stdout = run_in_terminal("probe", f"{target}:build", cwd=tmp_path, tty="stderr")
    assert code == 1 and "NN901" in stdout
    assert "nnlint probe" in terminal


# -- rule docs --------------------------------------------------------------------------------------------


def test_rule_docs_through_a_pipe_are_plain_markdown(tmp_path: Path) -> None:
    result = run("rule", "NN101", cwd=tmp_path, env={"COLUMNS": "40"})
    assert result.code == 0 and not ANSI.search(result.stdout)
    rule = rule_by_code_or_name("NN101")
    assert rule is not None
    assert result.stdout.startswith("# NN101 view-as-permute (error; shapes and layout; on by default)\n")
    # The docs verbatim: code blocks keep their fences and their long lines, whatever the width.
    assert rule.docs() in result.stdout
    assert "```python" in result.stdout


def test_runtime_rule_docs_ship_with_the_package(tmp_path: Path) -> None:
    result = run("rule", "NN912", cwd=tmp_path)
    assert result.stdout.startswith("# NN912 cannot-overfit-batch (runtime, from `nnlint run`)")
    assert "## What it does" in result.stdout and "## Why is this bad?" in result.stdout


def test_rule_all_and_json(tmp_path: Path) -> None:
    every = run("rule", "--all", cwd=tmp_path).stdout
    codes = re.findall(r"^# (NN\d{3}) ", every, re.MULTILINE)
    listed = [row["code"] for row in json.loads(run("rules", "--format", "json", cwd=tmp_path).stdout)]
    assert codes == listed
    as_json = json.loads(run("rule", "--all", "--output-format", "json", cwd=tmp_path).stdout)
    assert [entry["code"] for entry in as_json] == listed
    one = json.loads(run("rule", "NN204", "--output-format", "json", cwd=tmp_path).stdout)
    assert one["name"] == "zero-grad-after-backward" and "## What it does" in one["docs"]
    assert run("rule", cwd=tmp_path).code == 2
    assert run("rule", "NN204", "--all", cwd=tmp_path).code == 2


def test_rules_list_one_line_per_rule_that_fits_the_terminal(tmp_path: Path) -> None:
    """`nnlint rules` in an 80-column terminal printed each summary paragraph wrapped in a narrow column,
    dozens of lines per rule; like ruff's listings it is one line per rule, the rest in `nnlint rule`."""
    from nnlint.rule import all_rules

    code, terminal, _ = run_in_terminal("rules", cwd=tmp_path, tty="stdout", env={"COLUMNS": "80"})
    lines = re.sub(r"\x1b\[[0-9;]*m", "", terminal).replace("\r", "").splitlines()
    assert code == 0 and lines and all(len(line) <= 80 for line in lines)
    rows = [line for line in lines if re.match(r"  NN\d{3}  ", line)]
    codes = [row.split()[0] for row in rows]
    listed = [row["code"] for row in json.loads(run("rules", "--format", "json", cwd=tmp_path).stdout)]
    assert codes == listed  # every rule, once, on a line of its own
    assert "nnlint rule CODE" in terminal
    _, narrow, _ = run_in_terminal("rules", cwd=tmp_path, tty="stdout", env={"COLUMNS": "30"})
    assert all(len(line) <= 30 for line in narrow.replace("\r", "").splitlines())  # headings too
    # Through a pipe nothing is cut: each rule's row holds its whole first sentence, on one line.
    piped = run("rules", cwd=tmp_path, env={"COLUMNS": "40"}).stdout.splitlines()
    for rule in all_rules():
        [row] = [line for line in piped if line.startswith(f"  {rule.code}  ")]
        assert row.endswith(rule.summary()) and "\n" not in rule.summary()
    # Everything, docs included, in JSON.
    nn204 = json.loads(run("rules", "--format", "json", cwd=tmp_path).stdout)[listed.index("NN204")]
    assert nn204["docs"] == rule_by_code_or_name("NN204").docs()  # type: ignore[union-attr]


def test_rule_docs_on_a_terminal_are_rendered(tmp_path: Path) -> None:
    code, terminal, _ = run_in_terminal("rule", "NN101", cwd=tmp_path, tty="stdout")
    assert code == 0 and "NN101 view-as-permute" in terminal
    assert "```" not in terminal  # rendered, not the markdown source
