"""Every fixture model gets the right verdict, and every leak is localized to the line its fixture marks."""

from __future__ import annotations

import pytest
from probe_helpers import fixture, marked_line

from nnlint.probe.api import probe_target
from nnlint.probe.capture import EAGER

# (fixture, NN901 expected, NN902 expected, extra probe_target arguments)
BUGS = [
    ("view_mixing", "NN901", {}),
    ("batch_mean", "NN901", {}),
    ("onehot_mixer", "NN901", {}),
    ("nograd_scale", "NN901", {"thorough": True}),
    ("missing_mask", "NN902", {}),
    ("off_by_one_mask", "NN902", {}),
    ("swapped_triu_tril", "NN902", {}),
    ("bidirectional_rnn", "NN902", {}),
    ("symmetric_conv", "NN902", {}),
    ("untraceable_leaky_gpt", "NN902", {}),
]
CORRECT = [
    ("view_mixing_fixed", {}),
    ("batch_mean_fixed", {}),
    ("onehot_fixed", {}),
    ("causal_gpt", {}),
    ("unidirectional_rnn", {}),
    ("causal_conv", {}),
    ("untraceable_gpt", {}),
    ("batchnorm_net", {"input_shapes": [(4, 3, 8, 8)]}),
]


@pytest.mark.parametrize(("name", "code", "extra"), BUGS, ids=[b[0] for b in BUGS])
def test_bug_is_found_at_its_line(name: str, code: str, extra: dict, device: str) -> None:
    report = probe_target(fixture(name), device=device, exercised=False, **extra)
    assert [f.code for f in report.findings()] == [code]
    assert report.confirmed_lines()[0] == marked_line(name)
    finding = report.findings()[0]
    assert finding.location.row == marked_line(name)[1]
    assert finding.evidence["located_by"]


@pytest.mark.parametrize(("name", "extra"), CORRECT, ids=[c[0] for c in CORRECT])
def test_correct_twin_is_clean(name: str, extra: dict, device: str) -> None:
    report = probe_target(fixture(name), device=device, exercised=False, **extra)
    assert report.clean, report.text()
    assert report.confirmed_lines() == []


def test_eager_capture_comes_first_and_localizes_models_no_tracer_can_capture(device: str) -> None:
    for name in ("untraceable_leaky_gpt", "missing_mask"):
        location = probe_target(fixture(name), device=device, exercised=False).causal_location
        assert location is not None and location.method == EAGER and location.attempts == [], name
        assert location.module == "blocks.0.attn"


@pytest.mark.parametrize("name", ["bidirectional_rnn", "symmetric_conv", "off_by_one_mask"])
def test_a_leak_caused_by_construction_is_reported_where_it_was_built(name: str, device: str) -> None:
    """The line to fix (the layer or mask built non-causal) is the finding's; the first symptom is related."""
    report = probe_target(fixture(name), device=device, exercised=False)
    (finding,) = report.findings()
    path, symptom = marked_line(name, marker="# probe: symptom")
    assert finding.evidence["first_symptom"]["line"] == symptom
    assert f":{symptom} (`" in finding.message
    assert (path, symptom) in report.confirmed_lines()


def test_lookahead_counts_the_steps_seen(device: str) -> None:
    expected = {"missing_mask": 11, "off_by_one_mask": 2, "symmetric_conv": 3, "bidirectional_rnn": 11}
    for name, steps in expected.items():
        verdict = probe_target(fixture(name), device=device, exercised=False, localize=False).causal_verdict
        assert verdict is not None and verdict.lookahead == steps, name


def test_nograd_mixing_needs_thorough(device: str) -> None:
    """Gradients cannot see a batch statistic taken under no_grad: the default probe says clean, by design."""
    assert probe_target(fixture("nograd_scale"), device=device, exercised=False).clean
    thorough = probe_target(fixture("nograd_scale"), device=device, exercised=False, thorough=True)
    assert thorough.batch.method == "perturbation"


def test_integer_path_without_embedding_uses_perturbation(device: str) -> None:
    report = probe_target(fixture("onehot_mixer"), device=device, exercised=False, localize=False)
    assert report.batch.method == "perturbation" and report.batch.mixing
    assert "no float input or embedding output" in (report.gradient_note or "")


def test_token_models_take_gradients_at_the_embedding(device: str) -> None:
    report = probe_target(fixture("causal_gpt"), device=device, exercised=False)
    assert report.token_ids and report.batch.method == "gradient"
    assert report.batch.passes == 4  # group testing: C(4, 2) >= 5 samples
    assert report.causal_verdict is not None and report.causal_verdict.passes == 1


def test_batchnorm_in_train_mode_is_named_not_reported(device: str) -> None:
    report = probe_target(
        fixture("batchnorm_net"), device=device, exercised=False, input_shapes=[(4, 3, 8, 8)], train_mode=True
    )
    assert report.clean
    assert report.train_mode is not None
    assert report.train_mode.legitimate == ["the batch statistics of BatchNorm2d `1`"]
    assert "expected, not a bug" in report.text()
