"""Input that used to crash nnlint or make it silently check nothing: each is now a finding, a clear
error (exit 2) or a normal check, never a traceback and never a quiet "no findings"."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from nnlint.cache import Cache
from nnlint.cli import main
from nnlint.config import ConfigError, clear_config_cache, find_config_for_dir
from nnlint.runner import FileResult

ZERO_GRAD_AFTER_BACKWARD = """import torch
model = torch.nn.Linear(2, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for x, y in loader:
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    optimizer.zero_grad()
    optimizer.step()
"""


def check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", "--no-cache", "--format", "concise", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


@pytest.fixture(autouse=True)
def fresh_config() -> None:
    clear_config_cache()


@pytest.mark.parametrize("parent", ["build", "dist", "venv", ".venv", "node_modules"])
def test_a_project_below_an_excluded_folder_name_is_checked(tmp_path: Path, parent: str) -> None:
    project = tmp_path / parent / "project"
    (project / "build").mkdir(parents=True)
    (project / "train.py").write_text(ZERO_GRAD_AFTER_BACKWARD)
    (project / "build" / "generated.py").write_text(ZERO_GRAD_AFTER_BACKWARD)
    code, output = check(str(project))
    assert code == 1
    assert "train.py:7" in output and "generated.py" not in output  # excluded below the path, not above


@pytest.mark.parametrize(
    "spelling",
    [
        '[tool]\nnnlint.select = ["NN204"]\n',
        '[ tool.nnlint ]\nselect = ["NN204"]\n',
        '[tool."nnlint"]\nselect = ["NN204"]\n',
        '[tool]\nnnlint = { select = ["NN204"] }\n',
        "tool.nnlint.select = ['NN204']\n",
    ],
)
def test_every_toml_spelling_of_the_config_is_read(tmp_path: Path, spelling: str) -> None:
    (tmp_path / "pyproject.toml").write_text(spelling.replace("NN204", "NN101"))
    (tmp_path / "train.py").write_text(ZERO_GRAD_AFTER_BACKWARD)
    code, output = check(str(tmp_path / "train.py"))
    assert code == 0, output  # NN204 is not selected: the config was read


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'dependencies = ["nnlint"]\ntool = "x"\n', "`tool` must be a table"),
        (b"[tool]\nnnlint = 3\n", "[tool.nnlint] must be a table"),
        (b"x = " + b"[" * 3000 + b"]" * 3000 + b"\n[tool.nnlint]\n", "nests too deep"),
        (b"# nnlint\n[tool.nnlint]\nselect = [\xff]\n", "not UTF-8"),
        (b"[tool.nnlint\nselect = 1\n", "invalid TOML"),
    ],
)
def test_a_broken_config_is_a_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "pyproject.toml").write_bytes(content)
    (tmp_path / "train.py").write_text("x = 1\n")
    code, output = check(str(tmp_path / "train.py"))
    assert code == 2
    assert message in output and "Traceback" not in output


def test_a_pyproject_without_nnlint_is_not_parsed(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(b"this is [not toml\n")
    assert find_config_for_dir(tmp_path) is None


def test_config_files_are_read_once_per_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import nnlint.config as config

    (tmp_path / "pyproject.toml").write_text('[tool.nnlint]\nselect = ["NN204"]\n')
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
    calls = []
    parse = config.tomllib.loads
    monkeypatch.setattr(config.tomllib, "loads", lambda text: calls.append(1) or parse(text))
    for name in ("a", "b", "c"):
        assert find_config_for_dir(tmp_path / name) is not None
    assert len(calls) == 1


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_a_coding_cookie_naming_a_codec_python_lacks_is_read_as_utf8(tmp_path: Path, bom: bytes) -> None:
    # future_fstrings registers its codec when the program starts; without it the file is UTF-8 Python.
    text = "# -*- coding: future_fstrings -*-\n" + ZERO_GRAD_AFTER_BACKWARD + 'label = f"épocha {1}"\n'
    path = tmp_path / "cookie.py"
    path.write_bytes(bom + text.encode("utf-8"))
    code, output = check(str(path))
    assert code == 1 and "NN204" in output and "NN000" not in output


def test_a_project_module_with_such_a_cookie_is_read_too(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.nnlint]\nselect = ["NN401"]\n')
    (tmp_path / "models.py").write_text(
        "# -*- coding: future_fstrings -*-\nimport torch\n\n\n"
        "def head(x):\n    return torch.softmax(x, dim=1)\n"
    )
    (tmp_path / "train.py").write_text(
        "import torch.nn as nn\nfrom models import head\n\n"
        "criterion = nn.CrossEntropyLoss()\nloss = criterion(head(x), y)\n"
    )
    code, output = check(str(tmp_path / "train.py"))
    assert code == 1 and "models.py:6:12: NN401" in output


def test_an_unknown_coding_cookie_on_bytes_that_are_not_utf8_is_nn000(tmp_path: Path) -> None:
    path = tmp_path / "cookie.py"
    path.write_bytes(b"# coding: nonexistent-enc\nimport torch\nname = '\xe9'\n")
    code, output = check(str(path))
    assert code == 1 and "NN000" in output and "unknown encoding: nonexistent-enc" in output
    assert "not UTF-8" in output


def test_a_cookie_that_contradicts_the_bom_is_nn000(tmp_path: Path) -> None:
    path = tmp_path / "cookie.py"
    path.write_bytes(b"\xef\xbb\xbf# coding: latin-1\nimport torch\n")
    code, output = check(str(path))
    assert code == 1 and "NN000" in output and "encoding problem" in output


def test_no_syntax_warning_reaches_stderr(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "warns.py"
    path.write_text("x = 1 is 1\ny = '\\d'\ndef f(:\n")
    done = subprocess.run(
        [sys.executable, "-m", "nnlint", "check", "--no-cache", str(path)], capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "Warning" not in done.stderr


def test_an_unlistable_folder_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "locked").mkdir()
    (tmp_path / "train.py").write_text(ZERO_GRAD_AFTER_BACKWARD)
    scandir = os.scandir

    def refuse(path: object = ".") -> object:
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refuse)
    code, output = check(str(tmp_path))
    assert code == 1 and "train.py:7" in output
    assert "locked: cannot list this folder: Permission denied" in output


def test_broken_symlinks_in_a_folder_are_warned_and_skipped(tmp_path: Path) -> None:
    """As ruff users ask (astral-sh/ruff#19421): a stale link in a tree is named, not a failed check."""
    (tmp_path / "loop1.py").symlink_to(tmp_path / "loop2.py")
    (tmp_path / "loop2.py").symlink_to(tmp_path / "loop1.py")
    (tmp_path / "gone.py").symlink_to(tmp_path / "deleted.py")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "again").symlink_to(tmp_path / "folder")
    (tmp_path / "train.py").write_text(ZERO_GRAD_AFTER_BACKWARD)
    code, output = check(str(tmp_path))
    assert code == 1 and "train.py:7" in output
    for name in ("loop1.py", "loop2.py", "gone.py"):
        assert f"warning: {tmp_path / name}: broken symbolic link (or a link loop), skipped" in output
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "gone.py").symlink_to(tmp_path / "deleted.py")
    assert check(str(clean))[0] == 0


def test_a_broken_symlink_named_on_the_command_line_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "loop1.py").symlink_to(tmp_path / "loop2.py")
    (tmp_path / "loop2.py").symlink_to(tmp_path / "loop1.py")
    (tmp_path / "gone.py").symlink_to(tmp_path / "deleted.py")
    for name in ("loop1.py", "gone.py"):
        code, output = check(str(tmp_path / name))
        assert code == 2 and f"Path '{tmp_path / name}' does not exist" in output


def _notebook(metadata: object, source: str = "import torch\n") -> str:
    cell = {"cell_type": "code", "source": source, "metadata": {}, "outputs": [], "execution_count": None}
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": metadata, "cells": [cell]})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (_notebook("python"), None),
        (_notebook({"language_info": "python", "kernelspec": ["x"]}), None),
        ('{"nbformat": 4, "cells": [], "metadata": ' + "[" * 100_000 + "]" * 100_000 + "}", "nests too deep"),
        (_notebook({}, "x = '\ud800'\n"), "invalid Unicode"),
    ],
)
def test_malformed_notebooks_are_findings(tmp_path: Path, text: str, expected: str | None) -> None:
    path = tmp_path / "nb.ipynb"
    path.write_text(text, errors="surrogatepass")
    (tmp_path / "train.py").write_text(ZERO_GRAD_AFTER_BACKWARD)
    code, output = check(str(tmp_path))
    assert "train.py:7" in output
    if expected is None:
        assert "nb.ipynb" not in output
    else:
        assert "nb.ipynb" in output and "NN000" in output and expected in output


def test_a_deeply_nested_cache_entry_is_a_miss(tmp_path: Path) -> None:
    cache = Cache(tmp_path, "settings")
    cache.put("a.py", b"x", FileResult("a.py"))
    entry = next(tmp_path.rglob("*.json"))
    entry.write_text('{"findings": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert cache.get("a.py", b"x") is None


def test_sarif_for_a_file_name_that_is_not_utf8(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    name = os.fsdecode(b"caf\xe9.py")
    Path(name).write_text(ZERO_GRAD_AFTER_BACKWARD)
    result = CliRunner().invoke(main, ["check", "--no-cache", "--format", "sarif", "."])
    assert result.exit_code == 1, result.output
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in _results(result.output)]
    assert uris and set(uris) == {"caf%E9.py"}


@pytest.mark.parametrize(
    "fmt", ["text", "concise", "json", "json-lines", "github", "gitlab", "junit", "pylint", "lsp"]
)
def test_every_format_reports_a_file_name_that_is_not_utf8(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    """A name that is not UTF-8 was a traceback (UnicodeEncodeError, exit 1) in every format wherever stdout
    encodes strictly (a UTF-8 locale such as en_US.UTF-8; CliRunner's stream does too), and `--format
    gitlab` also hashed the name as UTF-8 for its fingerprint. Every format reports it."""
    monkeypatch.chdir(tmp_path)
    Path(os.fsdecode(b"caf\xe9.py")).write_text(ZERO_GRAD_AFTER_BACKWARD)
    result = CliRunner().invoke(main, ["check", "--no-cache", "--format", fmt, "."])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1, result.output
    assert "NN204" in result.output


def _results(output: str) -> list[dict]:
    return json.loads(output)["runs"][0]["results"]


def test_config_error_type_is_exported() -> None:
    assert issubclass(ConfigError, Exception)


def test_an_empty_select_in_the_config_selects_nothing_as_in_ruff(tmp_path: Path) -> None:
    """`select = []` turned every default rule on, the opposite of ruff and of `select` replacing the
    default; an explicit empty selection selects nothing (extend-select still adds)."""
    (tmp_path / "train.py").write_text(ZERO_GRAD_AFTER_BACKWARD)
    (tmp_path / "pyproject.toml").write_text("[tool.nnlint]\nselect = []\n")
    assert check(str(tmp_path)) == (0, "All checks passed: no findings in 1 file.\n")
    clear_config_cache()
    (tmp_path / "pyproject.toml").write_text('[tool.nnlint]\nselect = []\nextend-select = ["NN204"]\n')
    code, output = check(str(tmp_path))
    assert code == 1 and "NN204" in output and "NN301" not in output


@pytest.mark.parametrize("value", ["", " , "])
def test_a_select_option_naming_nothing_is_a_usage_error(tmp_path: Path, value: str) -> None:
    """`--select "$CODES"` with the variable unset checked nothing and printed "All checks passed"; ruff
    refuses an empty selector too."""
    (tmp_path / "train.py").write_text(ZERO_GRAD_AFTER_BACKWARD)
    code, output = check("--select", value, str(tmp_path))
    assert code == 2 and "--select needs a rule code" in output


def test_a_named_file_that_is_no_python_is_skipped_with_a_warning(tmp_path: Path) -> None:
    """`nnlint check *` names README.md and data.csv too: each was parsed as Python and reported as NN000
    (exit 1); like ruff, a file whose name says it is something else is skipped, and the warning says so.
    Names that say Python, or nothing (a shebang script, `<(cat train.py)`), are checked as before."""
    (tmp_path / "README.md").write_text("Hello world, this is prose.\n")
    (tmp_path / "data.csv").write_text("a b\n1 2\n")
    (tmp_path / "train").write_text("#!/usr/bin/env python\n" + ZERO_GRAD_AFTER_BACKWARD)
    (tmp_path / "stub.pyi").write_text("x = = 1\n")
    names = [str(tmp_path / name) for name in ("README.md", "data.csv")]
    code, output = check(*names)
    assert code == 0 and "NN000" not in output
    assert f"{names[0]}: not a Python file" in output and f"{names[1]}: not a Python file" in output
    code, output = check(str(tmp_path / "train"), str(tmp_path / "stub.pyi"), *names)
    assert code == 1 and "train:8:5: NN204" in output and "stub.pyi:1:5: NN000" in output
    assert "README.md:1" not in output


def test_a_deleted_working_directory_is_a_clear_error(tmp_path: Path) -> None:
    """A working directory deleted under the shell was a traceback and "internal error (please report
    this)"; it is one error line and exit 2, whatever the paths."""
    import subprocess
    import sys

    gone = tmp_path / "gone"
    gone.mkdir()
    (tmp_path / "train.py").write_text(ZERO_GRAD_AFTER_BACKWARD)
    script = (
        "import os, sys; os.chdir(sys.argv[1]); os.rmdir(sys.argv[1]); "
        "sys.argv = ['nnlint', 'check', '--no-cache', sys.argv[2]]; from nnlint.cli import main; main()"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(gone), str(tmp_path / "train.py")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
    assert "the current directory no longer exists" in run.stderr
