"""What practitioners' Lightning and Hugging Face training scripts showed `nnlint run`, kept as tests.

Neither framework is a test dependency: each script below takes the path through torch that the real one took
(found with Lightning 2.6.6, transformers 5.25.0, torch 2.13.0, CPU): Lightning's autoencoder example writes
its loss target first, the Hugging Face `Trainer` warms its rate up from 0 with a LambdaLR, and a Lightning
CNN classifier fits its 8 samples in a few steps.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from click.testing import CliRunner

from nnlint.cli import main
from nnlint.run.input_independent import check as input_independent
from nnlint.run.overfit_batch import Curve
from nnlint.run.thresholds import Thresholds
from nnlint.runtime.frames import Site

FAST = "[tool.nnlint.run]\noverfit-steps = 150\noverfit-lr = 0.01\n"


def _run(
    tmp_path: Path, script: str, *options: str, arguments: tuple[str, ...] = (), settings: str = FAST
) -> tuple[int, str]:
    (tmp_path / "pyproject.toml").write_text(settings)
    path = tmp_path / "train.py"
    path.write_text(textwrap.dedent(script))
    result = CliRunner().invoke(main, ["run", *options, str(path), *arguments], catch_exceptions=False)
    return result.exit_code, result.stderr + result.stdout  # the report, then the findings


AUTOENCODER = """
import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
images = torch.rand(256, 784)  # pixel intensities in [0, 1], as ToTensor gives
encoder = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 3))
decoder = nn.Sequential(nn.Linear(3, 64), nn.ReLU(), nn.Linear(64, 784))
model = nn.Sequential(encoder, decoder)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for i in range(0, 256, 32):
    x = images[i : i + 32]
    loss = F.mse_loss(x, model(x))  # the data first, the reconstruction second: the same loss
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
"""


def test_a_symmetric_loss_given_the_prediction_second_is_judged_the_right_way_round(tmp_path: Path) -> None:
    """Lightning's examples/pytorch/basics/autoencoder.py computes `F.mse_loss(x, self(x))`. Taken as
    written, the pixels were the prediction: NN911 expected the reconstruction's variance (0.029) and called
    the first loss 12x too high (a false finding), and NN912/NN913 were skipped as "computed from the model's
    output by code nnlint cannot replay". The pixels are the target: their mean square (0.33) is what a
    model with outputs near zero gives."""
    # The default overfit settings: a 3-wide bottleneck needs them to get past the pixels' mean image.
    code, stderr = _run(tmp_path, AUTOENCODER, settings="[tool.nnlint.run]\n")
    assert code == 0, stderr  # was 1: NN911
    assert "NN911" not in stderr
    assert "skipped" not in stderr, stderr  # the overfit replays ran
    assert "overfit: " in stderr and "zeroed inputs" in stderr


WARMUP = """
import sys
import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
x, y = torch.randn(512, 20), torch.randint(0, 4, (512,))
model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 4))
optimizer = torch.optim.AdamW(model.parameters(), lr=float(sys.argv[1]))
warmup = 3  # transformers' get_linear_schedule_with_warmup, which the Trainer builds for warmup_steps
scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, step / warmup))
for i in range(0, 512, 32):
    F.cross_entropy(model(x[i : i + 32]), y[i : i + 32]).backward()
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad()
"""


def test_a_warm_up_from_zero_is_not_a_learning_rate_too_small(tmp_path: Path) -> None:
    """The Hugging Face `Trainer` with `warmup_steps` (run_glue.py's shape) takes its first step at lr 0:
    nothing moves, and NN915 told every such run to raise its learning rate (twice, one per group)."""
    code, stderr = _run(tmp_path, WARMUP, arguments=("5e-4",))
    assert code == 0, stderr  # was 1: NN915 "moves 0 of its weight norm per step (the first step, lr=0)"
    assert "NN915 'too small' not judged for AdamW (group 0)" in stderr and "warming up (lr=0)" in stderr
    code, stderr = _run(tmp_path, WARMUP, "--steps", "6", arguments=("5e-4",))
    assert code == 0 and "not judged" not in stderr, stderr
    # A rate too small for real is still reported, on the steps past the warm-up.
    code, stderr = _run(tmp_path, WARMUP, "--steps", "6", arguments=("1e-9",))
    assert code == 1 and "NN915" in stderr and "past the warm-up, lr=1e-09" in stderr, stderr


def test_real_inputs_that_fit_while_zeroed_ones_stall_leave_nothing_undecided() -> None:
    """A Lightning CNN on 10 classes (BatchNorm, dropout, AdamW): its 8 samples fitted 2.416 -> 0.105 in 19
    steps, zeroed inputs 2.301 -> 2.291, short of the 2.079 an input-free output reaches. That was noted
    "NN913 inconclusive ... raise overfit-steps", which could not help: the zeroed run gets the real run's
    steps."""
    from nnlint.run.input_independent import undecided

    thresholds, site = Thresholds(), Site("train.py", 1)
    real = Curve([2.416 - (2.416 - 0.105) * i / 19 for i in range(20)], 0.0, 1.0)
    zeroed = Curve([2.301 - 0.01 * i / 19 for i in range(20)], 0.0, 1.0, zeroed=True, input_free=2.079)
    assert not undecided(real, zeroed, thresholds)  # was: undecided ("unsettled" alone)
    assert input_independent(real, zeroed, thresholds, site, site) == []
    # word_language_model's LSTM, where neither run has pulled ahead: still undecided.
    lm_real = Curve([7.83 - (7.83 - 4.61) * i / 600 for i in range(601)], 0.0, 1.0)
    lm_zeroed = Curve([7.83 - (7.83 - 4.62) * i / 600 for i in range(601)], 0.0, 1.0, input_free=2.02)
    assert undecided(lm_real, lm_zeroed, thresholds)


CLASSIFIER = """
import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
x = torch.randn(256, 1, 28, 28)
y = x[:, 0, :5, :5].flatten(1).argmax(1) % 10
model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Flatten(), nn.Dropout(0.25), nn.Linear(8 * 14 * 14, 10))
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
for i in range(0, 256, 32):
    F.cross_entropy(model(x[i : i + 32]), y[i : i + 32]).backward()
    optimizer.step()
    optimizer.zero_grad()
"""


def test_a_classifier_that_fits_in_a_few_steps_is_not_noted_inconclusive(tmp_path: Path) -> None:
    """The same CNN, run at the default overfit settings (Adam 3e-4): its real inputs fit in tens of steps."""
    code, stderr = _run(tmp_path, CLASSIFIER, settings="[tool.nnlint.run]\n")
    assert code == 0, stderr
    assert "overfit: " in stderr and "zeroed inputs" in stderr
    assert "inconclusive" not in stderr, stderr


TWO_MODELS = """
import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
images = torch.rand(256, 784)
encoder = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 3))
decoder = nn.Sequential(nn.Linear(3, 128), nn.ReLU(), nn.Linear(128, 784))
optimizer = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=1e-3)
for i in range(0, 256, 32):
    x = images[i : i + 32]
    loss = F.mse_loss(decoder(encoder(x)), x)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
"""


def test_a_model_fed_by_another_trained_model_is_not_replayed_alone(tmp_path: Path) -> None:
    """Lightning's README LitAutoEncoder: its training_step calls `self.decoder(self.encoder(x))`, two
    outermost calls. The decoder's replay backpropagated into the encoder's freed graph ("NN912 could not
    run: RuntimeError: Trying to backward through the graph a second time", cut off mid-sentence); replayed
    on detached codes, the decoder alone on a random encoder's codes was a false NN913."""
    code, stderr = _run(tmp_path, TWO_MODELS, settings="[tool.nnlint.run]\n")
    assert code == 0, stderr
    assert "could not run" not in stderr and "NN913" not in stderr.replace("NN912/NN913 skipped", ""), stderr
    assert "its input is computed with gradients" in stderr
    # An input that asks for its own gradient (an adversarial example's, FGSM) is data: replayed.
    code, stderr = _run(tmp_path, ADVERSARIAL)
    assert code == 0 and "overfit: " in stderr and "skipped" not in stderr, stderr


ADVERSARIAL = """
import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
x, y = torch.randn(256, 20), torch.randint(0, 4, (256,))
model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 4))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
for i in range(0, 256, 32):
    xb = x[i : i + 32].clone().requires_grad_()
    F.cross_entropy(model(xb), y[i : i + 32]).backward()
    optimizer.step()
    optimizer.zero_grad()
"""


SMOOTHED = """
import torch
from torch import nn

torch.manual_seed(0)
x, y = torch.randn(256, 20), torch.randint(0, 4, (256,))
model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 4))
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
for i in range(0, 256, 32):
    # transformers' LabelSmoother (the Trainer's label_smoothing_factor): log_softmax and gather by hand
    log_probs = -torch.log_softmax(model(x[i : i + 32]), dim=-1)
    nll = log_probs.gather(-1, y[i : i + 32, None]).mean()
    loss = 0.9 * nll + 0.1 * log_probs.mean()
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
"""


def test_a_loss_computed_by_hand_says_that_loss_at_init_was_not_checked(tmp_path: Path) -> None:
    """The Hugging Face Trainer with label_smoothing_factor: the report had no "loss at init" line and no
    word on why; a clean-looking run that never checked the first loss."""
    code, stderr = _run(tmp_path, SMOOTHED)
    assert code == 0, stderr
    assert "NN911 skipped: the loss was not computed by a torch.nn.functional loss nnlint knows" in stderr
    assert "loss at init" not in stderr


IN_A_CHILD = """
import multiprocessing

import torch
import torch.nn.functional as F
from torch import nn


def train():
    model = nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    F.cross_entropy(model(torch.randn(8, 4)), torch.randint(0, 2, (8,))).backward()
    optimizer.step()


if __name__ == "__main__":
    worker = multiprocessing.get_context("fork").Process(target=train)
    worker.start()
    worker.join()
"""


def test_training_in_other_processes_is_named_as_the_reason_nothing_was_checked(tmp_path: Path) -> None:
    """Lightning with strategy="ddp_spawn" (devices=2 on CPU) trained both epochs in spawned processes, and
    the run said only "it never called a module with trainable parameters", as if nothing had trained."""
    code, stderr = _run(tmp_path, IN_A_CHILD)
    assert code == 2, stderr
    assert "it started 1 other process(es)" in stderr and "devices=1" in stderr
