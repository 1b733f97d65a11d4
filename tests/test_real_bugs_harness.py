"""The real-bugs scoring harness (bench/real_bugs/score.py) on a tiny repository made here: no mirrors."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCORE = Path(__file__).resolve().parents[1] / "bench" / "real_bugs" / "score.py"
spec = importlib.util.spec_from_file_location("real_bugs_score", SCORE)
assert spec is not None and spec.loader is not None
score = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = score  # dataclasses look their module up while the class is built
spec.loader.exec_module(score)

# The model's forward ends in a softmax (models.py) and the loop feeds it to CrossEntropyLoss (train.py).
MODELS = textwrap.dedent(
    """
    import torch.nn as nn
    import torch.nn.functional as F


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            return F.softmax(self.fc(x), dim=1)
    """
)
BUGGY_TRAIN = textwrap.dedent(
    """
    import torch.nn as nn
    import torch.nn.functional as F

    logits = net(x)
    criterion = nn.CrossEntropyLoss()
    loss = criterion(F.softmax(logits, dim=1), y)
    """
)
BUG_LINE = 7
CLEAN = "import torch\nx = torch.zeros(3)\n"


def _git(cwd: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
        "HOME": str(cwd),
        "PATH": "/usr/bin:/bin:/usr/local/bin",
    }
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def mirror(tmp_path: Path) -> tuple[Path, str]:
    """A mirror folder holding `demo/proj` as a bare repository with one commit; returns (mirrors, commit)."""
    work = tmp_path / "work"
    work.mkdir()
    _git(work, "init", "-q")
    (work / "models.py").write_text(MODELS)
    (work / "train.py").write_text(BUGGY_TRAIN)
    (work / "clean.py").write_text(CLEAN)
    (work / "weights.bin").write_bytes(b"\0" * 100)
    _git(work, "add", ".")
    _git(work, "commit", "-q", "-m", "init")
    commit = _git(work, "rev-parse", "HEAD").strip()
    mirrors = tmp_path / "mirrors"
    _git(tmp_path, "clone", "-q", "--bare", str(work), str(mirrors / "demo+proj" / "repo"))
    return mirrors, commit


def _manifest(path: Path, commit: str, line: int, repo: str = "demo/proj") -> Path:
    data = {
        "bugs": [
            {
                "id": "demo-softmax",
                "repo": repo,
                "commit": commit,
                "fix_commit": commit,
                "path": "train.py",
                "line": line,
                "class": "NN401",
                "evidence": "test",
                "in_scope": True,
            }
        ],
        "clean": [{"id": "demo-clean", "repo": repo, "commit": commit, "path": "clean.py", "note": "test"}],
    }
    path.write_text(json.dumps(data))
    return path


def _run(tmp_path: Path, mirrors: Path, manifests: list[Path]) -> dict:
    out = tmp_path / "out.json"
    args = ["--mirrors", str(mirrors), "--cache", str(tmp_path / "cache"), "--json", str(out)]
    for manifest in manifests:
        args += ["--manifest", str(manifest)]
    assert score.main(args) == 0
    return json.loads(out.read_text())


def test_hit_on_the_bug_line_and_text_only_tree(tmp_path: Path, mirror: tuple[Path, str]) -> None:
    mirrors, commit = mirror
    result = _run(tmp_path, mirrors, [_manifest(tmp_path / "m.json", commit, BUG_LINE)])
    assert result["summary"]["per_class"]["NN401"] == {"found": 1, "total": 1}
    assert result["summary"]["in_scope"] == {"found": 1, "total": 1}
    assert result["clean"][0]["status"] == "clean" and result["clean"][0]["findings"] == []
    tree = tmp_path / "cache" / f"demo+proj@{commit}"
    assert (tree / "models.py").is_file() and not (tree / "weights.bin").exists()


def test_miss_when_the_line_is_off_by_more_than_one(tmp_path: Path, mirror: tuple[Path, str]) -> None:
    mirrors, commit = mirror
    result = _run(tmp_path, mirrors, [_manifest(tmp_path / "m.json", commit, BUG_LINE + 2)])
    assert result["summary"]["per_class"]["NN401"] == {"found": 0, "total": 1}
    assert result["bugs"][0]["status"] == "miss"


def test_missing_mirror_is_reported_not_fatal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = _manifest(tmp_path / "m.json", "0" * 40, BUG_LINE, repo="nobody/absent")
    result = _run(tmp_path, tmp_path / "no-mirrors", [manifest])
    assert result["bugs"][0]["status"] == "no-mirror"
    assert result["summary"]["in_scope"] == {"found": 0, "total": 0}
    assert "nobody/absent" in capsys.readouterr().out


def test_several_manifests_merge_and_duplicate_ids_are_flagged(tmp_path: Path) -> None:
    first = _manifest(tmp_path / "a.json", "0" * 40, 3)
    second = _manifest(tmp_path / "b.json", "0" * 40, 3)
    bugs, clean, problems = score.load_manifests([first, second])
    assert len(bugs) == 1 and len(clean) == 1
    assert any("duplicate id demo-softmax" in p for p in problems)


def test_is_hit_needs_class_file_and_line() -> None:
    bug = score.Bug(id="b", repo="r/r", commit="c", path="pkg/train.py", line=10, cls="NN401", lines=[20])

    def finding(code: str, filename: str, row: int) -> dict:
        return {"code": code, "filename": filename, "location": {"row": row, "column": 1}}

    assert score.is_hit(bug, [finding("NN401", "pkg/train.py", 11)])
    assert score.is_hit(bug, [finding("NN401", "./pkg/train.py", 20)])
    assert not score.is_hit(bug, [finding("NN402", "pkg/train.py", 10)])
    assert not score.is_hit(bug, [finding("NN401", "pkg/models.py", 10)])
    assert not score.is_hit(bug, [finding("NN401", "pkg/train.py", 12)])


def test_the_bug_file_is_always_checked_with_the_modules_check_names() -> None:
    """A manifest's `check` may name only the other modules a bug spans (held-out set 15A's do): the file
    that holds the bug's line is checked all the same, first; a `check` that names it is kept as it is."""
    only_others = score.Bug(
        id="b", repo="r/r", commit="c", path="main.py", line=1, cls="NN503", check=["model.py"]
    )
    assert only_others.checked_paths() == ["main.py", "model.py"]
    repeated = score.Bug(
        id="b", repo="r/r", commit="c", path="main.py", line=1, cls="NN503", check=["model.py", "main.py"]
    )
    assert repeated.checked_paths() == ["model.py", "main.py"]
    alone = score.Bug(id="b", repo="r/r", commit="c", path="main.py", line=1, cls="NN503")
    assert alone.checked_paths() == ["main.py"]
