"""The shipped real-bug manifests (bench/real_bugs/manifest*.json) are well formed and kept apart.

The dev set (`manifest.json`) guided the work; the held-out set (`manifest_heldout.json`) exists to check it,
so the same bug must not be in both, and every entry must carry what the scorer and a reader need.
No mirrors are needed: this reads the JSON only.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parents[1] / "bench" / "real_bugs"
SCORE = HERE / "score.py"
spec = importlib.util.spec_from_file_location("real_bugs_score_manifests", SCORE)
assert spec is not None and spec.loader is not None
score = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = score  # dataclasses look their module up while the class is built
spec.loader.exec_module(score)

MANIFESTS = sorted(HERE.glob("manifest*.json"))
SHA = re.compile(r"^[0-9a-f]{40}$")
CODE = re.compile(r"^NN[1-6]\d\d$")


def test_the_held_out_manifest_is_picked_up_by_default() -> None:
    assert HERE / "manifest_heldout.json" in MANIFESTS
    assert HERE / "manifest.json" in MANIFESTS


def test_all_manifests_load_without_problems() -> None:
    bugs, clean, problems = score.load_manifests(MANIFESTS)
    assert problems == []
    assert bugs and clean


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_every_bug_names_its_commits_class_and_evidence(path: Path) -> None:
    for bug in json.loads(path.read_text())["bugs"]:
        assert SHA.match(bug["commit"]), bug["id"]
        assert SHA.match(bug.get("fix_commit", "")), bug["id"]
        assert CODE.match(bug["class"]), bug["id"]
        assert isinstance(bug["in_scope"], bool), bug["id"]
        assert bug["line"] >= 1, bug["id"]
        assert "https://" in bug["evidence"], bug["id"]


def test_no_bug_is_in_both_the_dev_set_and_the_held_out_set() -> None:
    def keys(name: str) -> dict[tuple[str, str], str]:
        data = json.loads((HERE / name).read_text())
        return {(b["repo"], b["fix_commit"]): b["id"] for b in data["bugs"]}

    shared = keys("manifest.json").keys() & keys("manifest_heldout.json").keys()
    assert not shared


def test_held_out_clean_files_come_from_repositories_new_to_the_set() -> None:
    dev = json.loads((HERE / "manifest.json").read_text())
    held = json.loads((HERE / "manifest_heldout.json").read_text())
    dev_repos = {entry["repo"] for entry in dev["bugs"] + dev["clean"]}
    assert not {entry["repo"] for entry in held["clean"]} & dev_repos
