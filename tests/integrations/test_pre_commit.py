"""nnlint as a pre-commit hook, run by the real pre-commit tool against a temporary git repository.

The hook repository is a git repository made from this working tree (the files `pip install .` needs and
`.pre-commit-hooks.yaml`), so the test checks the hooks as they are on disk, committed or not. pre-commit
clones it, creates a virtualenv and pip-installs nnlint from it, which takes 30-50 s with the package index
(libcst, click and rich come from it). `pre-commit try-repo` would pay that once per case, so a single
`pre-commit run` installs once and runs three hook instances, each on one file: `nnlint` on a clean script
(passes), `nnlint` on a buggy one (fails) and `nnlint-fix` on a fixable one (fails because it changed the
file, and leaves the fix in place). That is the configuration a project writes; try-repo generates the
same one with a single hook.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from integration_helpers import BUGGY, CLEAN, ZERO_GRAD_ROW, nnlint

REPO = Path(__file__).resolve().parent.parent.parent
HOOK_FILES = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "nnlint", "rules")
FIXABLE = textwrap.dedent(
    """\
    import torch

    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1)
    criterion = torch.nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    total = 0
    for x, y in loader:
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss
    """
)
GIT_ENV = {
    "GIT_AUTHOR_NAME": "nnlint tests",
    "GIT_AUTHOR_EMAIL": "tests@nnlint.invalid",
    "GIT_COMMITTER_NAME": "nnlint tests",
    "GIT_COMMITTER_EMAIL": "tests@nnlint.invalid",
}


def git(*args: str, cwd: Path) -> str:
    env = {**os.environ, **GIT_ENV}
    result = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return result.stdout.strip()


def _working_tree_files() -> list[str]:
    """The hook files as they are on disk: tracked and new (not ignored) files, without deleted ones."""
    listed = git("ls-files", "--cached", "--others", "--exclude-standard", "--", *HOOK_FILES, cwd=REPO)
    return [name for name in listed.splitlines() if (REPO / name).is_file()]


def make_hook_repo(destination: Path) -> str:
    for name in _working_tree_files():
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    git("init", "-q", cwd=destination)
    git("add", "-A", cwd=destination)
    git("commit", "-q", "-m", "nnlint hooks", cwd=destination)
    return git("rev-parse", "HEAD", cwd=destination)


def test_the_scripts_are_what_the_hooks_expect(tmp_path: Path) -> None:
    """Checked in-process, so a rule change that breaks the premise shows here, not after a long install."""
    for name, source in {"clean.py": CLEAN, "fixable.py": FIXABLE}.items():
        (tmp_path / name).write_text(source)
    assert nnlint("check", str(tmp_path / "clean.py"), "--no-cache").code == 0
    assert nnlint("check", str(tmp_path / "fixable.py"), "--no-cache").code == 1
    assert nnlint("check", str(tmp_path / "fixable.py"), "--fix", "--no-cache").code == 0
    assert (tmp_path / "fixable.py").read_text() != FIXABLE


def test_manifest_declares_both_hooks() -> None:
    from pre_commit.clientlib import load_manifest

    hooks = {hook["id"]: hook for hook in load_manifest(str(REPO / ".pre-commit-hooks.yaml"))}
    assert set(hooks) == {"nnlint", "nnlint-fix"}
    # pre-commit names the files, so a project's excludes hold only with --force-exclude.
    assert hooks["nnlint"]["entry"] == "nnlint check --force-exclude"
    assert hooks["nnlint-fix"]["entry"] == "nnlint check --fix --force-exclude"
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["types_or"] == ["python", "jupyter"]


def test_pre_commit_fails_on_a_buggy_script_passes_a_clean_one_and_fixes(tmp_path: Path) -> None:
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    rev = make_hook_repo(hooks)
    project = tmp_path / "project"
    project.mkdir()
    (project / "clean.py").write_text(CLEAN)
    (project / "buggy.py").write_text(BUGGY)
    (project / "fixable.py").write_text(FIXABLE)
    # A generated file with findings that the project excludes: the hooks must pass it by.
    (project / "generated").mkdir()
    (project / "generated" / "buggy_pb.py").write_text(BUGGY)
    (project / "pyproject.toml").write_text('[tool.nnlint]\nexclude = ["generated/*"]\n')
    (project / ".pre-commit-config.yaml").write_text(
        textwrap.dedent(
            f"""\
            repos:
              - repo: {hooks}
                rev: {rev}
                hooks:
                  - {{id: nnlint, name: check-clean, files: ^clean\\.py$}}
                  - {{id: nnlint, name: check-buggy, files: ^buggy\\.py$}}
                  - {{id: nnlint-fix, name: fix-fixable, files: ^fixable\\.py$}}
                  - {{id: nnlint, name: check-excluded, files: ^generated/}}
                  - {{id: nnlint-fix, name: fix-excluded, files: ^generated/}}
            """
        )
    )
    git("init", "-q", cwd=project)
    git("add", "-A", cwd=project)
    git("commit", "-q", "-m", "scripts", cwd=project)

    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    status = dict(re.findall(r"^([a-z-]+)\.{3,}(Passed|Failed)$", output, re.MULTILINE))
    assert status == {
        "check-clean": "Passed",
        "check-buggy": "Failed",
        "fix-fixable": "Failed",
        "check-excluded": "Passed",
        "fix-excluded": "Passed",
    }, output
    assert f"buggy.py:{ZERO_GRAD_ROW}:5: NN204 zero-grad-after-backward" in output
    assert "files were modified by this hook" in output
    assert "total += loss.item()" in (project / "fixable.py").read_text()
    assert (project / "buggy.py").read_text() == BUGGY  # the check hook never writes
    assert (project / "generated" / "buggy_pb.py").read_text() == BUGGY  # excluded: not fixed either
