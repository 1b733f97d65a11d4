"""Files that are not regular files: a FIFO, socket or device named `*.py` inside a checked folder would
block the read forever (a FIFO without a writer), so a folder's walk and the project-wide scans pass them by.
Each test runs nnlint in a subprocess with a timeout, so a regression fails instead of hanging the suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs need a POSIX system")


def nnlint(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "nnlint", "check", "--no-cache", *args]
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )


def test_a_fifo_in_a_checked_folder_is_passed_by(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("import torch\n")
    os.mkfifo(tmp_path / "pipe.py")
    run = nnlint(tmp_path, ".")
    assert run.returncode == 0, run.stderr
    assert "1 file" in run.stdout + run.stderr


def test_a_fifo_among_the_project_modules_is_not_read(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "main.py").write_text("import torch\nfrom pkg import helper\n\nhelper.train(1)\n")
    os.mkfifo(package / "helper.py")
    os.mkfifo(package / "other.py")
    run = nnlint(tmp_path, "--select", "ALL", "pkg/main.py")
    assert run.returncode == 0, run.stdout + run.stderr
