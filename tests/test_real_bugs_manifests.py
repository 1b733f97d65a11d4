"""The shipped real-bug manifests (bench/real_bugs/manifest*.json) are well formed and kept apart.

The dev set (`manifest.json`) guided the work; the held-out sets (`manifest_heldout.json`,
`manifest_heldout2.json`, built from repositories new to both, and `manifest_heldout3.json` to
`manifest_heldout8.json`, each built from repositories new to all the sets before it, and
`manifest_heldout9a.json` and `manifest_heldout9b.json`, the two parts of the ninth, new to all of them)
exist to check it, so no bug may be in two sets, and every entry must carry what the scorer and a reader
need. The second to ninth held-out sets stay out of the default run until they have been measured. No
mirrors are needed: this reads the JSON only.
"""

from __future__ import annotations

import importlib.util
import itertools
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


def _load(name: str) -> dict:
    return json.loads((HERE / name).read_text())


def _repos(data: dict, *parts: str) -> set[str]:
    return {entry["repo"] for part in parts for entry in data[part]}


def test_the_held_out_manifest_is_picked_up_by_default() -> None:
    assert HERE / "manifest_heldout.json" in MANIFESTS
    assert HERE / "manifest.json" in MANIFESTS
    assert {HERE / "manifest.json", HERE / "manifest_heldout.json"} <= set(score.default_manifests())


def test_the_second_held_out_set_is_scored_only_when_named() -> None:
    assert HERE / "manifest_heldout2.json" in MANIFESTS
    assert HERE / "manifest_heldout2.json" not in score.default_manifests()


def test_default_manifests_skip_only_the_sets_that_opt_out(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"bugs": [], "clean": []}))
    (tmp_path / "manifest_kept.json").write_text(json.dumps({"scored_by_default": True, "bugs": []}))
    (tmp_path / "manifest_secret.json").write_text(json.dumps({"scored_by_default": False, "bugs": []}))
    (tmp_path / "other.json").write_text(json.dumps({"bugs": []}))
    names = [path.name for path in score.default_manifests(tmp_path)]
    assert names == ["manifest.json", "manifest_kept.json"]


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


def test_no_bug_is_in_two_sets() -> None:
    # One fix can mend several files (several entries in one set); across sets a fix must not repeat.
    keys = {path.name: {(b["repo"], b["fix_commit"]) for b in _load(path.name)["bugs"]} for path in MANIFESTS}
    for first, second in itertools.combinations(sorted(keys), 2):
        assert not keys[first] & keys[second], (first, second)


def test_held_out_clean_files_come_from_repositories_new_to_the_set() -> None:
    dev_repos = _repos(_load("manifest.json"), "bugs", "clean")
    assert not _repos(_load("manifest_heldout.json"), "clean") & dev_repos


def test_the_second_held_out_set_uses_only_repositories_new_to_both_earlier_sets() -> None:
    earlier = _repos(_load("manifest.json"), "bugs", "clean")
    earlier |= _repos(_load("manifest_heldout.json"), "bugs", "clean")
    assert not _repos(_load("manifest_heldout2.json"), "bugs", "clean") & earlier


LATER_HELD_OUT = [
    "manifest_heldout2.json",
    "manifest_heldout3.json",
    "manifest_heldout4.json",
    "manifest_heldout5.json",
    "manifest_heldout6.json",
    "manifest_heldout7.json",
    "manifest_heldout8.json",
]


@pytest.mark.parametrize("name", LATER_HELD_OUT)
def test_every_out_of_scope_bug_of_the_later_held_out_sets_says_why(name: str) -> None:
    for bug in _load(name)["bugs"]:
        assert bug["in_scope"] or "Out of scope" in bug["evidence"], bug["id"]


def test_the_third_held_out_set_is_scored_only_when_named() -> None:
    assert HERE / "manifest_heldout3.json" in MANIFESTS
    assert _load("manifest_heldout3.json")["scored_by_default"] is False
    assert HERE / "manifest_heldout3.json" not in score.default_manifests()


def test_the_third_held_out_set_uses_only_repositories_new_to_all_earlier_sets() -> None:
    earlier: set[str] = set()
    for name in ("manifest.json", "manifest_heldout.json", "manifest_heldout2.json"):
        earlier |= _repos(_load(name), "bugs", "clean")
    earlier = {repo.lower() for repo in earlier}
    third = _load("manifest_heldout3.json")
    assert not {repo.lower() for repo in _repos(third, "bugs", "clean")} & earlier


def test_the_third_held_out_set_has_its_planned_size() -> None:
    third = _load("manifest_heldout3.json")
    assert len(third["bugs"]) >= 40
    assert len(third["clean"]) >= 16
    ids = [entry["id"] for part in ("bugs", "clean") for entry in third[part]]
    assert len(ids) == len(set(ids))


def test_the_fourth_held_out_set_is_scored_only_when_named() -> None:
    assert HERE / "manifest_heldout4.json" in MANIFESTS
    assert _load("manifest_heldout4.json")["scored_by_default"] is False
    assert HERE / "manifest_heldout4.json" not in score.default_manifests()


def test_the_fourth_held_out_set_uses_only_repositories_new_to_all_earlier_sets() -> None:
    earlier: set[str] = set()
    for name in ("manifest.json", "manifest_heldout.json", *LATER_HELD_OUT[:2]):
        earlier |= _repos(_load(name), "bugs", "clean")
    earlier = {repo.lower() for repo in earlier}
    fourth = _load("manifest_heldout4.json")
    assert not {repo.lower() for repo in _repos(fourth, "bugs", "clean")} & earlier


def test_the_fourth_held_out_set_has_its_planned_size_and_mix() -> None:
    fourth = _load("manifest_heldout4.json")
    assert len(fourth["bugs"]) >= 31
    assert len(fourth["clean"]) >= 16
    ids = [entry["id"] for part in ("bugs", "clean") for entry in fourth[part]]
    assert len(ids) == len(set(ids))
    # Its clean files come from repositories that hold none of its bugs.
    assert not _repos(fourth, "clean") & _repos(fourth, "bugs")
    # No rule class makes up more than about a third of the bugs in scope.
    in_scope = [bug["class"] for bug in fourth["bugs"] if bug["in_scope"]]
    assert max(in_scope.count(code) for code in set(in_scope)) <= 0.35 * len(in_scope)


def test_the_fifth_held_out_set_is_scored_only_when_named() -> None:
    assert HERE / "manifest_heldout5.json" in MANIFESTS
    assert _load("manifest_heldout5.json")["scored_by_default"] is False
    assert HERE / "manifest_heldout5.json" not in score.default_manifests()


def test_the_fifth_held_out_set_uses_only_repositories_new_to_every_other_set() -> None:
    # The dev set (manifest.json) also holds the bugs the dev-set miner took while this set was built.
    fifth = _load("manifest_heldout5.json")
    own = {repo.lower() for repo in _repos(fifth, "bugs", "clean")}
    for path in MANIFESTS:
        if path.name != "manifest_heldout5.json":
            other = {repo.lower() for repo in _repos(_load(path.name), "bugs", "clean")}
            assert not own & other, (path.name, sorted(own & other))


def test_the_fifth_held_out_set_has_its_planned_size_and_keeps_clean_files_apart() -> None:
    fifth = _load("manifest_heldout5.json")
    assert len(fifth["bugs"]) >= 24
    assert sum(bug["in_scope"] for bug in fifth["bugs"]) >= 19
    assert len(fifth["clean"]) >= 15
    ids = [entry["id"] for part in ("bugs", "clean") for entry in fifth[part]]
    assert len(ids) == len(set(ids))
    # Its clean files come from repositories that hold none of its bugs.
    assert not _repos(fifth, "clean") & _repos(fifth, "bugs")


def test_the_sixth_held_out_set_is_scored_only_when_named() -> None:
    assert HERE / "manifest_heldout6.json" in MANIFESTS
    assert _load("manifest_heldout6.json")["scored_by_default"] is False
    assert HERE / "manifest_heldout6.json" not in score.default_manifests()


def test_the_sixth_held_out_set_uses_only_repositories_new_to_every_other_set() -> None:
    sixth = _load("manifest_heldout6.json")
    own = {repo.lower() for repo in _repos(sixth, "bugs", "clean")}
    for path in MANIFESTS:
        if path.name != "manifest_heldout6.json":
            other = {repo.lower() for repo in _repos(_load(path.name), "bugs", "clean")}
            assert not own & other, (path.name, sorted(own & other))


def test_the_sixth_held_out_set_has_its_planned_size_mix_and_keeps_clean_files_apart() -> None:
    sixth = _load("manifest_heldout6.json")
    assert len(sixth["bugs"]) >= 20
    assert sum(bug["in_scope"] for bug in sixth["bugs"]) >= 15
    assert len(sixth["clean"]) >= 17
    ids = [entry["id"] for part in ("bugs", "clean") for entry in sixth[part]]
    assert len(ids) == len(set(ids))
    fixes = [bug["fix_commit"] for bug in sixth["bugs"]]
    assert len(fixes) == len(set(fixes))
    # Its clean files come from repositories that hold none of its bugs.
    assert not _repos(sixth, "clean") & _repos(sixth, "bugs")
    # No rule class makes up more than about a third of the bugs in scope.
    in_scope = [bug["class"] for bug in sixth["bugs"] if bug["in_scope"]]
    assert max(in_scope.count(code) for code in set(in_scope)) <= 0.35 * len(in_scope)


def test_the_seventh_held_out_set_is_scored_only_when_named() -> None:
    assert HERE / "manifest_heldout7.json" in MANIFESTS
    assert _load("manifest_heldout7.json")["scored_by_default"] is False
    assert HERE / "manifest_heldout7.json" not in score.default_manifests()


def test_the_seventh_held_out_set_uses_only_repositories_new_to_every_other_set() -> None:
    seventh = _load("manifest_heldout7.json")
    own = {repo.lower() for repo in _repos(seventh, "bugs", "clean")}
    for path in MANIFESTS:
        if path.name != "manifest_heldout7.json":
            other = {repo.lower() for repo in _repos(_load(path.name), "bugs", "clean")}
            assert not own & other, (path.name, sorted(own & other))


def test_the_seventh_held_out_set_repeats_no_fix_commit_of_any_set() -> None:
    seventh = [(b["repo"].lower(), b["fix_commit"]) for b in _load("manifest_heldout7.json")["bugs"]]
    assert len(seventh) == len(set(seventh))
    for path in MANIFESTS:
        if path.name != "manifest_heldout7.json":
            other = {(b["repo"].lower(), b["fix_commit"]) for b in _load(path.name)["bugs"]}
            assert not set(seventh) & other, path.name


def test_the_seventh_held_out_set_has_its_planned_size_and_keeps_clean_files_apart() -> None:
    seventh = _load("manifest_heldout7.json")
    assert len(seventh["bugs"]) >= 22
    assert sum(bug["in_scope"] for bug in seventh["bugs"]) >= 19
    assert len(seventh["clean"]) >= 15
    ids = [entry["id"] for part in ("bugs", "clean") for entry in seventh[part]]
    assert len(ids) == len(set(ids))
    # Its clean files come from repositories that hold none of its bugs.
    assert not _repos(seventh, "clean") & _repos(seventh, "bugs")


def test_the_eighth_held_out_set_is_scored_only_when_named() -> None:
    assert HERE / "manifest_heldout8.json" in MANIFESTS
    assert _load("manifest_heldout8.json")["scored_by_default"] is False
    assert HERE / "manifest_heldout8.json" not in score.default_manifests()


def test_the_eighth_held_out_set_uses_only_repositories_new_to_every_other_set() -> None:
    eighth = _load("manifest_heldout8.json")
    own = {repo.lower() for repo in _repos(eighth, "bugs", "clean")}
    own_names = {repo.split("/")[1] for repo in own}
    for path in MANIFESTS:
        if path.name != "manifest_heldout8.json":
            other = {repo.lower() for repo in _repos(_load(path.name), "bugs", "clean")}
            assert not own & other, (path.name, sorted(own & other))
            # Compared by repository name too: a fork or a renamed owner is the same code.
            other_names = {repo.split("/")[1] for repo in other}
            assert not own_names & other_names, (path.name, sorted(own_names & other_names))


def test_the_eighth_held_out_set_repeats_no_fix_commit_of_any_set() -> None:
    eighth = [(b["repo"].lower(), b["fix_commit"]) for b in _load("manifest_heldout8.json")["bugs"]]
    assert len(eighth) == len(set(eighth))
    for path in MANIFESTS:
        if path.name != "manifest_heldout8.json":
            other = {(b["repo"].lower(), b["fix_commit"]) for b in _load(path.name)["bugs"]}
            assert not set(eighth) & other, path.name


def test_the_eighth_held_out_set_keeps_its_clean_files_apart_and_its_ids_unique() -> None:
    eighth = _load("manifest_heldout8.json")
    # Smaller than planned (22 in scope): see bench/real_bugs/notes/heldout8.md, "How the set was built".
    assert len(eighth["bugs"]) >= 16
    assert sum(bug["in_scope"] for bug in eighth["bugs"]) >= 12
    assert len(eighth["clean"]) >= 16
    ids = [entry["id"] for part in ("bugs", "clean") for entry in eighth[part]]
    assert len(ids) == len(set(ids))
    # Its clean files come from repositories that hold none of its bugs, one file per repository.
    assert not _repos(eighth, "clean") & _repos(eighth, "bugs")
    clean_repos = [entry["repo"] for entry in eighth["clean"]]
    assert len(clean_repos) == len(set(clean_repos))
    # At most four bugs from one repository (pytorch-ts: three by one author, one by another).
    repos = [bug["repo"] for bug in eighth["bugs"]]
    assert max(repos.count(repo) for repo in set(repos)) <= 4


# Held-out set 9, in two parts built side by side from repositories new to every other set (part A: vision,
# detection, segmentation, generative, 3D, medical; part B: NLP, speech, RL, graphs, time series,
# recommenders, tabular, scientific ML), kept out of the default run until they had been measured. Each part
# names how many in-scope bugs and clean files it holds at least (bench/real_bugs/notes/heldout9a.md and
# heldout9b.md say why part A is smaller than planned). Held-out set 10 (any domain, built the same way by
# another miner, bench/real_bugs/notes/heldout10.md) is held to the same four checks here, and so are the two
# parts of held-out set 11: A (vision, generative, multimodal, speech and audio, video, 3D, medical;
# bench/real_bugs/notes/heldout11a.md says why it holds fewer in-scope bugs than planned) and B (NLP, RL,
# graphs, time series, tabular, scientific ML, federated, AutoML; bench/real_bugs/notes/heldout11b.md).
# Held-out set 12 part A (vision beyond classification, generative, self-supervised and metric learning,
# continual and few-shot learning, courses; bench/real_bugs/notes/heldout12a.md says why it holds far
# fewer in-scope bugs than planned) is held to the same checks.
# Held-out set 12 part B (NLP, LLM fine-tuning and RLHF toolkits, recommenders, speech and speaker models,
# federated learning, knowledge-graph embedding, research trainers; bench/real_bugs/notes/heldout12b.md) is
# held to the same checks.
# Held-out set 12 part C (built from the repositories already on disk, bench/real_bugs/notes/heldout12c.md)
# is held to them too, and so is held-out set 13 part A (vision beyond classification: detection, OCR, GAN
# training, tracking; bench/real_bugs/notes/heldout13a.md says why it is small and template-heavy).
# Held-out set 13 part B (NLP and LLM toolkits, speech, tabular, scientific ML, RL, multi-task learning;
# bench/real_bugs/notes/heldout13b.md says why it holds fewer in-scope bugs than planned) is held to the same
# checks. So is held-out set 13 part C (again from the repositories already on disk, those
# no manifest uses; bench/real_bugs/notes/heldout13c.md says why it holds fewer in-scope bugs than planned).
# Held-out set 14 part A (vision beyond classification: detection, GANs and diffusion, 3D and NeRF, pose,
# medical imaging, super-resolution; bench/real_bugs/notes/heldout14a.md says why it holds fewer in-scope
# bugs than planned) is held to the same checks.
# Held-out set 14 part C (graphs, RL and imitation learning, anomaly detection, forecasting, federated
# learning; bench/real_bugs/notes/heldout14c.md says why it holds far fewer in-scope bugs than planned) is
# held to them too.
# Held-out set 14 part B (language and sound: NLP paper code, relation extraction, speech synthesis;
# bench/real_bugs/notes/heldout14b.md says how it was built) is held to the same checks.
# Held-out set 14 part D (any domain, from lab accounts' paper repositories new to the workspace:
# recommenders, time series, backdoor NLP, OOD detection, detection templates;
# bench/real_bugs/notes/heldout14d.md) is held to the same checks.
# Held-out set 15 part D (any domain, from lab, company-research and toolkit repositories new to the
# workspace; bench/real_bugs/notes/heldout15d.md says why it holds fewer in-scope bugs than planned) is held
# to them too.
# Held-out set 15 part C (graphs, recommenders, time series, RL, continual learning, scientific ML, from
# repositories new to the workspace; bench/real_bugs/notes/heldout15c.md says why it holds fewer in-scope bugs
# than planned) is held to them too.
# Held-out set 15 part B (language and sound: NLP classifiers and taggers, BERT pre-training,
# grapheme-to-phoneme, forced alignment, pitch extraction, passage reranking, reward-model evaluation;
# bench/real_bugs/notes/heldout15b.md says why it holds fewer in-scope bugs than planned) is held to them too.
# Held-out set 15 part A (vision beyond classification: depth, super-resolution, medical segmentation and
# histopathology, point clouds; bench/real_bugs/notes/heldout15a.md says why it holds fewer in-scope bugs than
# planned) is held to the same checks.
NINTH = {
    "manifest_heldout9a.json": (6, 8),
    "manifest_heldout9b.json": (14, 10),
    "manifest_heldout10.json": (12, 8),
    "manifest_heldout11a.json": (9, 8),
    "manifest_heldout11b.json": (12, 8),
    "manifest_heldout12a.json": (6, 9),
    "manifest_heldout12b.json": (13, 8),
    "manifest_heldout12c.json": (13, 8),
    "manifest_heldout13a.json": (10, 7),
    "manifest_heldout13b.json": (8, 8),
    "manifest_heldout13c.json": (7, 8),
    "manifest_heldout14a.json": (9, 8),
    "manifest_heldout14c.json": (4, 7),
    "manifest_heldout14b.json": (12, 8),
    "manifest_heldout14d.json": (6, 3),
    "manifest_heldout15d.json": (5, 4),
    "manifest_heldout15c.json": (8, 8),
    "manifest_heldout15b.json": (10, 6),
    "manifest_heldout15a.json": (9, 8),
}


@pytest.mark.parametrize("name", sorted(NINTH))
def test_the_ninth_held_out_set_is_scored_only_when_named(name: str) -> None:
    assert HERE / name in MANIFESTS
    assert _load(name)["scored_by_default"] is False
    assert HERE / name not in score.default_manifests()


@pytest.mark.parametrize("name", sorted(NINTH))
def test_the_ninth_held_out_set_uses_only_repositories_new_to_every_other_set(name: str) -> None:
    own = {repo.lower() for repo in _repos(_load(name), "bugs", "clean")}
    own_names = {repo.split("/")[1] for repo in own}
    for path in MANIFESTS:
        if path.name != name:
            other = {repo.lower() for repo in _repos(_load(path.name), "bugs", "clean")}
            assert not own & other, (path.name, sorted(own & other))
            # Compared by repository name too: a fork or a renamed owner is the same code.
            other_names = {repo.split("/")[1] for repo in other}
            assert not own_names & other_names, (path.name, sorted(own_names & other_names))


@pytest.mark.parametrize("name", sorted(NINTH))
def test_the_ninth_held_out_set_repeats_no_fix_commit_of_any_set(name: str) -> None:
    ninth = [(b["repo"].lower(), b["fix_commit"]) for b in _load(name)["bugs"]]
    assert len(ninth) == len(set(ninth))
    for path in MANIFESTS:
        if path.name != name:
            other = {(b["repo"].lower(), b["fix_commit"]) for b in _load(path.name)["bugs"]}
            assert not set(ninth) & other, path.name


@pytest.mark.parametrize("name", sorted(NINTH))
def test_the_ninth_held_out_set_keeps_its_clean_files_apart_and_says_why_out_of_scope(name: str) -> None:
    ninth = _load(name)
    in_scope, clean = NINTH[name]
    assert sum(bug["in_scope"] for bug in ninth["bugs"]) >= in_scope
    assert len(ninth["clean"]) >= clean
    ids = [entry["id"] for part in ("bugs", "clean") for entry in ninth[part]]
    assert len(ids) == len(set(ids))
    for bug in ninth["bugs"]:
        assert bug["in_scope"] or "Out of scope" in bug["evidence"], bug["id"]
    # Its clean files come from repositories that hold none of its bugs, one file per repository.
    assert not _repos(ninth, "clean") & _repos(ninth, "bugs")
    clean_repos = [entry["repo"] for entry in ninth["clean"]]
    assert len(clean_repos) == len(set(clean_repos))
    # At most four bugs from one repository (stanza: four, in three files, one maintainer).
    repos = [bug["repo"] for bug in ninth["bugs"]]
    assert max(repos.count(repo) for repo in set(repos)) <= 4
