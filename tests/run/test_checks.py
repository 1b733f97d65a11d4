"""Each fixture trips exactly the checks it was written for; its clean twin trips none."""

from __future__ import annotations

import pytest

EXPECTED = [
    ("clean_mlp.py", set()),
    ("large_bias_head.py", {"NN911"}),
    ("ignores_input.py", {"NN913"}),
    ("frozen_left_out.py", {"NN916"}),
    ("dead_relu.py", {"NN914"}),
    ("lr_ten.py", {"NN915"}),
    ("view_not_permute.py", {"NN901"}),
    ("clean_transpose.py", set()),
    ("dropout_before_bn.py", {"NN917"}),
    ("clean_batchnorm.py", set()),
    ("gan.py", set()),
    ("softmax_in_loss.py", {"NN912"}),  # the softmax the loss code takes is replayed
    ("clean_log_softmax_nll.py", set()),
]


@pytest.mark.parametrize(("script", "codes"), EXPECTED, ids=[script for script, _ in EXPECTED])
def test_fixture_codes(nnlint_run, script: str, codes: set[str]) -> None:
    outcome = nnlint_run(script)
    assert outcome.codes() == codes, outcome.stderr
    assert outcome.exit_code == (1 if codes else 0)


def test_clean_causal_lm_that_returns_its_own_loss(nnlint_run) -> None:
    outcome = nnlint_run("--causal", "clean_lm.py")
    assert outcome.exit_code == 0, outcome.stderr
    # The overfit check replayed the loss the model computes itself, and the probe tested causality.
    assert "overfit: " in outcome.stderr
    assert "causality            ok" in outcome.stderr


def test_unnormalised_inputs_are_named_as_the_likelier_cause(nnlint_run) -> None:
    outcome = nnlint_run("clean_mlp.py", "--", "--input-scale", "255")
    (finding,) = outcome.findings()
    assert finding["code"] == "NN911"
    assert "un-normalised" in finding["message"]
    # The large-bias fixture has normalised inputs: the last layer is blamed instead.
    (bias,) = nnlint_run("large_bias_head.py").findings()
    assert "last layer" in bias["message"] and "un-normalised" not in bias["message"]


def test_findings_point_at_the_lines_that_made_the_mistake(nnlint_run, fixtures) -> None:
    def line_of(script: str, code: str) -> str:
        (finding,) = [f for f in nnlint_run(script).findings() if f["code"] == code]
        return (fixtures / script).read_text().splitlines()[finding["location"]["row"] - 1].strip()

    assert line_of("lr_ten.py", "NN915").startswith("optimizer = torch.optim.SGD(")
    assert line_of("frozen_left_out.py", "NN916").startswith("optimizer = torch.optim.Adam(model.head")
    assert line_of("large_bias_head.py", "NN911") == "loss = criterion(model(x), y)"
    assert line_of("dead_relu.py", "NN914").startswith("self.body = nn.Sequential(")
    assert line_of("dropout_before_bn.py", "NN917").startswith("layers += [nn.Linear(")
    assert line_of("ignores_input.py", "NN913") == "model = Net()"


def test_several_models_are_each_reported(nnlint_run) -> None:
    outcome = nnlint_run("gan.py")
    assert "model Sequential (gan.py:9)" in outcome.stderr
    assert "model Sequential (gan.py:10)" in outcome.stderr
    assert outcome.stderr.count("optimizer Adam") == 2


def test_thresholds_come_from_the_nearest_pyproject(tmp_path, fixtures) -> None:
    from click.testing import CliRunner

    from nnlint.cli import main

    (tmp_path / "pyproject.toml").write_text("[tool.nnlint.run]\nupdate-ratio-high = 20.0\n")
    script = tmp_path / "lr_ten.py"
    script.write_text((fixtures / "lr_ten.py").read_text())
    result = CliRunner().invoke(main, ["run", "--format", "json", str(script)])
    assert result.exit_code == 0, (
        result.stderr
    )  # every weight (the head moves 15x its norm) is inside the widened band


def test_plots_are_written(nnlint_run, tmp_path) -> None:
    outcome = nnlint_run("--plot", str(tmp_path), "dead_relu.py")
    assert outcome.codes() == {"NN914"}
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names[0].startswith("activations-Net") and names[1].startswith("overfit-Net")
    assert names[2].startswith("updates-Adam")
    for path in tmp_path.iterdir():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
