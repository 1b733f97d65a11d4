"""The `nnlint lsp` command without the server running: what it costs the CLI, and life without pygls."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from nnlint.cli import main


def test_the_cli_does_not_import_pygls() -> None:
    code = "import sys, nnlint.cli; sys.exit('pygls' in sys.modules or 'lsprotocol' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_without_pygls_the_command_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [
        name for name in sys.modules if name.startswith(("pygls", "lsprotocol", "nnlint.lsp.server"))
    ]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pygls", None)  # makes `import pygls` fail as if not installed
    result = CliRunner().invoke(main, ["lsp"])
    assert result.exit_code == 2
    assert "pip install 'nnlint[lsp]'" in result.output
