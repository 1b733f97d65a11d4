"""`--continue` leaves training exactly as it would have been, and nnlint leaves no hook behind."""

from __future__ import annotations

from pathlib import Path

import torch
from click.testing import CliRunner
from torch.nn.modules import module as module_hooks
from torch.optim import optimizer as optimizer_hooks

from nnlint.cli import main
from nnlint.run.capture import LOSS_FUNCTIONS, Target, run_target

ORIGINALS = {
    "Module.__init__": torch.nn.Module.__init__,
    "Optimizer.__init__": torch.optim.Optimizer.__init__,
    "autograd.backward": torch.autograd.backward,
    **{name: getattr(torch.nn.functional, name) for name in LOSS_FUNCTIONS},
}


def _current() -> dict[str, object]:
    return {
        "Module.__init__": torch.nn.Module.__init__,
        "Optimizer.__init__": torch.optim.Optimizer.__init__,
        "autograd.backward": torch.autograd.backward,
        **{name: getattr(torch.nn.functional, name) for name in LOSS_FUNCTIONS},
    }


def _assert_no_hooks_left() -> None:
    assert _current() == ORIGINALS
    assert not module_hooks._global_forward_hooks and not module_hooks._global_forward_pre_hooks
    assert (
        not optimizer_hooks._global_optimizer_pre_hooks and not optimizer_hooks._global_optimizer_post_hooks
    )


def _weights_after(script: Path, save_args: list[str], through_nnlint: bool) -> dict[str, torch.Tensor]:
    saved = Path(save_args[-1])
    if through_nnlint:
        result = CliRunner().invoke(main, ["run", "--continue", str(script), "--", *save_args])
        assert result.exit_code == 0, result.stderr
        assert "training went on (--continue)" in result.stderr
        # The report scrolled away while training went on; the end of the run recalls it.
        assert result.stderr.rstrip().splitlines()[-1].startswith("nnlint run: training finished; the checks")
    else:
        run_target(Target(path=script), save_args)
    return torch.load(saved)


def _assert_same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_continue_gives_the_same_final_weights_as_a_plain_run(fixtures: Path, tmp_path: Path) -> None:
    # Shuffled DataLoader (RNG), Adam: any RNG draw or state change by the checks would change the result.
    script = fixtures / "clean_mlp.py"
    plain = _weights_after(script, ["--save", str(tmp_path / "plain.pt")], through_nnlint=False)
    checked = _weights_after(script, ["--save", str(tmp_path / "checked.pt")], through_nnlint=True)
    _assert_same(plain, checked)
    _assert_no_hooks_left()


def test_continue_with_dropout_and_random_batches(fixtures: Path, tmp_path: Path) -> None:
    # The LM draws its batches with torch.randint and uses dropout: both read the RNG every step.
    script = fixtures / "clean_lm.py"
    plain = _weights_after(script, [str(tmp_path / "plain.pt")], through_nnlint=False)
    checked = _weights_after(script, [str(tmp_path / "checked.pt")], through_nnlint=True)
    _assert_same(plain, checked)
    _assert_no_hooks_left()


def test_a_stopped_run_leaves_no_hooks(nnlint_run) -> None:
    assert nnlint_run("lr_ten.py").exit_code == 1
    _assert_no_hooks_left()


def test_a_crashed_run_leaves_no_hooks(nnlint_run) -> None:
    assert nnlint_run("crash_before_step.py").exit_code == 1
    _assert_no_hooks_left()
