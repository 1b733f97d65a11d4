"""Scripts that never reach a checkable step, and setups nnlint cannot use: a clear message and exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from nnlint.cli import main


def test_crash_before_the_first_step_names_the_error_and_line(nnlint_run) -> None:
    outcome = nnlint_run("crash_before_step.py")
    assert outcome.exit_code == 1  # as `python crash_before_step.py` would, with its traceback
    assert outcome.stderr.startswith("Traceback (most recent call last):")
    assert 'File "' in outcome.stderr and "nnlint/run/" not in outcome.stderr.split("nnlint: error")[0]
    assert "raised RuntimeError before its first optimizer step" in outcome.stderr
    assert "crash_before_step.py:8" in outcome.stderr


def test_a_script_that_does_not_compile_shows_its_error_as_python_does(tmp_path: Path) -> None:
    """A syntax error printed nnlint's and runpy's frames (execute.py, capture.py, <frozen runpy>) above
    the script's line; python prints the file, the line, the caret and the error only."""
    script = tmp_path / "broken.py"
    script.write_text("import torch\nx = = 1\n")
    result = CliRunner().invoke(main, ["run", str(script)])
    assert result.exit_code == 1  # as `python broken.py` exits
    shown = result.output.split("nnlint: error")[0]
    assert "Traceback" not in shown and "nnlint/run/" not in shown and "runpy" not in shown
    assert (
        f'File "{script}", line 2' in shown and "x = = 1" in shown and "SyntaxError: invalid syntax" in shown
    )
    assert "raised SyntaxError before its first optimizer step" in result.output


def test_script_that_never_steps(nnlint_run) -> None:
    outcome = nnlint_run("no_step.py")
    assert outcome.exit_code == 2
    assert "finished without an optimizer step: it never called optimizer.step()" in outcome.stderr


def test_script_that_never_calls_a_model(nnlint_run, tmp_path: Path) -> None:
    script = tmp_path / "hello.py"
    script.write_text("import torch\nprint(torch.ones(2).sum())\n")
    outcome = nnlint_run(str(script))
    assert outcome.exit_code == 2
    assert "never called a module with trainable parameters" in outcome.stderr


def test_script_argument_error(nnlint_run) -> None:
    outcome = nnlint_run("clean_mlp.py", "--", "--no-such-flag")
    assert outcome.exit_code == 2
    assert "unrecognized arguments: --no-such-flag" in outcome.stderr  # the script's own argparse message
    assert "exited with status 2 before its first optimizer step" in outcome.stderr


def test_missing_script_and_module(nnlint_run) -> None:
    assert "no such script" in nnlint_run("nope.py").stderr
    outcome = nnlint_run("-m", "no_such_package_here.train")
    assert outcome.exit_code == 2 and "no module named" in outcome.stderr


def test_a_folder_is_not_a_script(nnlint_run, tmp_path: Path) -> None:
    outcome = nnlint_run(str(tmp_path))
    assert outcome.exit_code == 2 and "is a folder: name the training script in it" in outcome.stderr


def test_unknown_config_key_is_an_error(tmp_path: Path, fixtures: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.nnlint.run]\nupdate-ratio-hi = 1.0\n")
    script = tmp_path / "lr_ten.py"
    script.write_text((fixtures / "lr_ten.py").read_text())
    result = CliRunner().invoke(main, ["run", str(script)])
    assert result.exit_code == 2
    assert "unknown key(s) in [tool.nnlint.run]: update-ratio-hi" in result.stderr


def test_without_torch_the_command_says_how_to_install_it(fixtures: Path) -> None:
    blocked = "import sys; sys.modules['torch'] = None; from nnlint.cli import main; main()"
    result = subprocess.run(
        [sys.executable, "-c", blocked, "run", str(fixtures / "clean_mlp.py")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "pip install nnlint[probe]" in result.stderr


def test_module_form_runs_like_python_dash_m(tmp_path: Path, fixtures: Path, monkeypatch) -> None:
    package = tmp_path / "project" / "trainer"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "train.py").write_text((fixtures / "lr_ten.py").read_text())
    monkeypatch.chdir(tmp_path / "project")
    command = ["run", "--format", "json", "-m", "trainer.train", "--", "--epochs", "1"]
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 1, result.stderr
    assert '"code": "NN915"' in result.stdout
