"""docs/editors.md's Neovim 0.7 snippet, run in a real Neovim (headless) against `nnlint lsp`.

The snippet is read from the docs, so what users copy is what runs here. The test needs an `nvim` on PATH
(Debian 12: `apt-get install neovim`, 0.7.2); without one there is no editor to test, and it is skipped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs" / "editors.md"
NVIM = shutil.which("nvim")
PROBE = textwrap.dedent(
    """\
    local shown = {}
    vim.lsp.handlers["window/showMessage"] = function(_, result) table.insert(shown, result.message) end
    vim.cmd("edit " .. vim.env.TARGET)
    vim.wait(60000, function() return #vim.diagnostic.get(0) > 0 end, 50)
    vim.wait(200)
    local out = { diagnostics = {}, shown = shown }
    for _, d in ipairs(vim.diagnostic.get(0)) do
      local row = { lnum = d.lnum, message = d.message, severity = d.severity, code = d.code }
      table.insert(out.diagnostics, row)
    end
    local f = io.open(vim.env.OUT, "w"); f:write(vim.fn.json_encode(out)); f:close()
    vim.cmd("qa!")
    """
)
SCRIPT = (
    "import torch\nfor x, y in loader:\n    model(x).sum().backward()\n    opt.zero_grad()\n    opt.step()\n"
)

pytestmark = pytest.mark.skipif(NVIM is None, reason="no nvim on PATH (apt-get install neovim)")


def snippet() -> str:
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(r"<!-- nvim-0.7-snippet -->\n```lua\n(?P<lua>.*?)```", text, re.DOTALL)
    assert match, "the Neovim 0.7 snippet is missing from docs/editors.md"
    return match.group("lua")


def diagnostics_in_neovim(tmp_path: Path, project: Path) -> dict:
    (tmp_path / "init.lua").write_text(snippet())
    (tmp_path / "probe.lua").write_text(PROBE)
    out = tmp_path / "out.json"
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",  # this nnlint
        "TARGET": str(project / "train.py"),
        "OUT": str(out),
        "HOME": str(tmp_path),  # no user config or state
    }
    assert NVIM is not None
    subprocess.run(
        [NVIM, "--headless", "-u", str(tmp_path / "init.lua"), "-c", f"luafile {tmp_path / 'probe.lua'}"],
        cwd=project,
        env=env,
        timeout=120,
        check=True,
        capture_output=True,
    )
    return json.loads(out.read_text())


def test_the_snippet_brings_findings_into_neovim(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.nnlint]\nselect = ["NN204"]\n')
    (project / "train.py").write_text(SCRIPT)
    result = diagnostics_in_neovim(tmp_path, project)
    assert [(d["code"], d["lnum"]) for d in result["diagnostics"]] == [("NN204", 3)]
    assert result["shown"] == []


def test_a_config_typo_reaches_neovim(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.nnlint]\nselectt = ["NN204"]\n')
    (project / "train.py").write_text(SCRIPT)
    result = diagnostics_in_neovim(tmp_path, project)
    [diagnostic] = result["diagnostics"]
    assert diagnostic["lnum"] == 0 and diagnostic["severity"] == 1 and "selectt" in diagnostic["message"]
    assert len(result["shown"]) == 1 and "selectt" in result["shown"][0]
