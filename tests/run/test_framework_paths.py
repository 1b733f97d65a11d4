"""What real Lightning, Hugging Face and accelerate scripts showed `nnlint run` and the probe, kept as tests.

Neither framework is a test dependency: each test takes the same path through torch and nnlint as the real
framework did when it broke (found with Lightning 2.6.6, transformers 5.25.0, accelerate 1.16.0; see
bench/real_frameworks.py for the real scripts).
"""

from __future__ import annotations

import json
import math
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from nnlint.cli import main
from nnlint.run.capture import Target, run_target
from nnlint.run.input_independent import check as input_independent
from nnlint.run.overfit_batch import Curve
from nnlint.run.thresholds import Thresholds
from nnlint.runtime.frames import Site

FAST = "[tool.nnlint.run]\noverfit-steps = 150\noverfit-lr = 0.01\n"


def _run(tmp_path: Path, script: str, *options: str) -> tuple[int, str]:
    (tmp_path / "pyproject.toml").write_text(FAST)
    path = tmp_path / "train.py"
    path.write_text(textwrap.dedent(script))
    result = CliRunner().invoke(main, ["run", *options, str(path)], catch_exceptions=False)
    return result.exit_code, result.stderr


def test_a_module_that_hashes_state_its_init_has_not_set_yet_is_built_unharmed(tmp_path: Path) -> None:
    """torchmetrics' Metric (built by Lightning for every `self.log`) hashes attributes set after
    `nn.Module.__init__` returns: noting the line that built it must not hash it."""
    code, stderr = _run(
        tmp_path,
        """
        import torch
        import torch.nn.functional as F
        from torch import nn

        class Metric(nn.Module):
            def __init__(self):
                super().__init__()
                self._defaults = {"total": 0}

            def __hash__(self):
                return hash(tuple(self._defaults))

        torch.manual_seed(0)
        x, y = torch.randn(32, 6), torch.randint(0, 3, (32,))
        model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(2):
            meter = Metric()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
            optimizer.zero_grad()
        """,
    )
    assert code == 0, stderr  # was: AttributeError '_defaults' raised inside the script, exit 1
    assert "train.py:17): 1 step(s)" in stderr  # the optimizer's line


def _curve(start: float, end: float, steps: int = 600) -> Curve:
    return Curve([start + (end - start) * i / steps for i in range(steps + 1)], 0.0, 1.0)


def test_a_model_that_learns_more_from_real_inputs_than_from_zeros_is_not_input_independent() -> None:
    """A 2-layer GPT-2 memorising 8 x 32 random tokens, 100 steps at Adam 3e-4: real inputs 4.17 -> 3.23,
    zeroed 4.17 -> 3.54. The end gaps are within the 0.8 margin; the drops (0.94 against 0.63) are not."""
    site, thresholds = Site("train.py", 1), Thresholds()
    real, zeroed = _curve(4.17, 3.23, 100), _curve(4.17, 3.54, 100)
    assert input_independent(real, zeroed, thresholds, site, site) == []  # was: NN913, an error
    # A model that ignores its input gives the zeroed run's curve: reported, far from the floor or not.
    assert input_independent(zeroed, zeroed, thresholds, site, site)
    plateau = Curve([1.39] * 20 + [1.33] * 131, 0.0, 1.0)
    assert input_independent(plateau, plateau, thresholds, site, site)


TIED = """
import sys
import torch
import torch.nn.functional as F
from torch import nn

class TiedLM(nn.Module):
    '''GPT-2's head shares the token embedding's weight (`lm_head.weight is wte.weight`).'''

    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(20, 16)
        self.mix = nn.Linear(16, 16)
        self.lm_head = nn.Linear(16, 20, bias=False)
        self.lm_head.weight = self.wte.weight

    def forward(self, ids):
        return self.lm_head(torch.tanh(self.mix(self.wte(ids))))

torch.manual_seed(0)
model = TiedLM()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for _ in range(3):
    ids = torch.randint(0, 20, (8, 6))
    F.cross_entropy(model(ids).reshape(-1, 20), torch.roll(ids, -1, 1).reshape(-1)).backward()
    optimizer.step()
    optimizer.zero_grad()
torch.save(model.state_dict(), sys.argv[1])
"""


def test_tied_weights_train_in_the_replay_and_leave_the_scripts_gradients_alone(tmp_path: Path) -> None:
    """The overfit replay trains copies of the weights; a tied head left on the user's own parameter was not
    trained there, and every replayed backward added to the gradient the script's first step then used."""
    (tmp_path / "pyproject.toml").write_text(FAST)
    script = tmp_path / "train.py"
    script.write_text(TIED)
    run_target(Target(path=script), [str(tmp_path / "plain.pt")])
    result = CliRunner().invoke(main, ["run", "--continue", str(script), "--", str(tmp_path / "checked.pt")])
    assert "training went on (--continue)" in result.stderr, result.stderr
    plain, checked = torch.load(tmp_path / "plain.pt"), torch.load(tmp_path / "checked.pt")
    assert all(torch.equal(plain[key], checked[key]) for key in plain)  # was: every weight differed


def test_a_wrapped_model_is_checked_and_named_through_the_model_it_wraps(tmp_path: Path) -> None:
    """Fabric's `setup` (like DDP and DataParallel) returns a wrapper that only passes the call on: the report
    names the user's model and the line that built it, not the wrapper (DataParallel on the CPU here)."""
    code, stderr = _run(
        tmp_path,
        """
        import torch
        import torch.nn.functional as F
        from torch import nn

        torch.manual_seed(0)
        x, y = torch.randn(32, 6), torch.randint(0, 3, (32,))
        net = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))
        model = nn.DataParallel(net)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(2):
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
            optimizer.zero_grad()
        """,
    )
    assert code == 0, stderr
    assert "model Sequential (" in stderr and "train.py:8)" in stderr  # was: model DataParallel (...:9)
    assert "worst 1 (ReLU)" in stderr  # the layer's own name, not `module.1`


def test_causal_asked_of_a_model_with_no_time_in_its_output_still_judges_batch_mixing(tmp_path: Path) -> None:
    """PyTorch's word_language_model RNN returns `log_softmax(decoded.view(-1, ntoken))`: no time dim left.
    `--causal` then skips causality with its reason, and the batch-mixing verdict stays."""
    code, stderr = _run(
        tmp_path,
        """
        import torch
        import torch.nn.functional as F
        from torch import nn

        torch.manual_seed(0)
        x, y = torch.randn(32, 6), torch.randint(0, 3, (32,))
        model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(2):
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
            optimizer.zero_grad()
        """,
        "--causal",
    )
    assert code == 0, stderr
    assert "batch independence   ok" in stderr  # was: "NN901 could not run: ProbeError: ..."
    assert "NN902 skipped for Sequential" in stderr and "outputs have none ((5, 3))" in stderr


NEXT_TOKEN = """
import sys
import torch
import torch.nn.functional as F
from torch import nn

class LM(nn.Module):
    '''Lightning's demo Transformer and nanoGPT with `is_causal=False`: the encoder reads the whole window.'''

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 16)
        self.layer = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True)
        self.head = nn.Linear(16, 20)

    def forward(self, ids):
        causal = sys.argv[1] == "causal"
        mask = nn.Transformer.generate_square_subsequent_mask(ids.shape[1]) if causal else None
        return self.head(self.layer(self.emb(ids), src_mask=mask))

torch.manual_seed(0)
stream = torch.arange(2000) * 7 % 20
model = LM()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for _ in range(3):
    starts = torch.randint(0, 1900, (8,))
    x = torch.stack([stream[s : s + 10] for s in starts])
    y = torch.stack([stream[s + 1 : s + 11] for s in starts])
    F.cross_entropy(model(x).reshape(-1, 20), y.reshape(-1)).backward()
    optimizer.step()
    optimizer.zero_grad()
"""


def test_a_next_token_target_makes_the_run_test_causality_unasked(tmp_path: Path) -> None:
    """The target is the input shifted by one step: output t must not see input t+1, its own target."""
    (tmp_path / "pyproject.toml").write_text(FAST)
    script = tmp_path / "train.py"
    script.write_text(NEXT_TOKEN)

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, ["run", *args], catch_exceptions=False)
        return result.exit_code, result.stderr + result.stdout  # the report, then the findings

    code, stderr = run(str(script), "--", "leaky")
    assert code == 1 and "NN902 causal-leakage" in stderr, stderr  # was: exit 0, causality never tested
    assert "causality tested, as the target is the next input token" in stderr
    code, stderr = run(str(script), "--", "causal")
    assert code == 0 and "causality            ok" in stderr, stderr
    code, stderr = run("--no-causal", str(script), "--", "leaky")
    assert code == 0 and "causality" not in stderr, stderr


SHIFTS_INSIDE = """
import sys
import torch
import torch.nn.functional as F
from torch import nn

class LM(nn.Module):
    '''A Hugging Face causal-LM head in small: `labels=input_ids`, shifted inside the model, as
    transformers' ForCausalLMLoss pads them (5.x) or cuts the last step (4.x). Bidirectional: no mask.'''

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 16)
        self.layer = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True)
        self.head = nn.Linear(16, 20)

    def forward(self, input_ids, attention_mask=None, labels=None):
        logits = self.head(self.layer(self.emb(input_ids)))
        if sys.argv[1] == "pad":
            shifted = F.pad(labels, (0, 1), value=-100)[:, 1:]
            loss = F.cross_entropy(logits.reshape(-1, 20), shifted.reshape(-1), ignore_index=-100)
        else:
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, 20), labels[:, 1:].reshape(-1))
        return {"loss": loss, "logits": logits}

torch.manual_seed(0)
stream = torch.arange(2000) * 7 % 20
model = LM()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for _ in range(3):
    starts = torch.randint(0, 1900, (8,))
    batch = torch.stack([stream[s : s + 10] for s in starts])
    model(input_ids=batch, attention_mask=torch.ones_like(batch), labels=batch)["loss"].backward()
    optimizer.step()
    optimizer.zero_grad()
"""


@pytest.mark.parametrize("shift", ["pad", "cut"])
def test_labels_the_model_shifts_itself_make_the_run_test_causality_unasked(
    tmp_path: Path, shift: str
) -> None:
    """HF GPT-2 trained with `labels=input_ids` (the model shifts them) needed --causal: the input came by
    keyword and the loss's target holds an ignored last step (or none). A bidirectional LM went unreported."""
    (tmp_path / "pyproject.toml").write_text(FAST)
    script = tmp_path / "train.py"
    script.write_text(SHIFTS_INSIDE)
    ran = CliRunner().invoke(main, ["run", str(script), "--", shift], catch_exceptions=False)
    assert ran.exit_code == 1 and "NN902 causal-leakage" in ran.stdout, ran.stderr  # was: exit 0
    assert "causality tested, as the target is the next input token" in ran.stderr
    skipped = CliRunner().invoke(
        main, ["run", "--no-causal", str(script), "--", shift], catch_exceptions=False
    )
    assert skipped.exit_code == 0 and "causality" not in skipped.stderr, skipped.stderr


INSTALLED_LM = """
import torch
from torch import nn


class BidirectionalLM(nn.Module):
    '''An installed model class (a Hugging Face BertLMHeadModel left with is_decoder=False): no mask.'''

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 16)
        self.layer = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True)
        self.head = nn.Linear(16, 20)

    def forward(self, ids):
        return self.head(self.layer(self.emb(ids)))
"""


def test_a_leak_inside_installed_code_is_reported_at_the_users_line_with_the_library_line_related(
    tmp_path: Path,
) -> None:
    """A bidirectional BertLMHeadModel trained as an LM leaked at transformers/masking_utils.py: a line of
    no use to the user. The finding goes to the line that built the model; the library line is related."""
    installed = tmp_path / "site-packages"
    installed.mkdir()
    (installed / "installed_lm.py").write_text(INSTALLED_LM)  # a name no other test imports
    (tmp_path / "pyproject.toml").write_text(FAST)
    (tmp_path / "train.py").write_text(
        textwrap.dedent(
            """
        import sys
        from pathlib import Path

        import torch
        import torch.nn.functional as F

        sys.path.insert(0, str(Path(__file__).parent / "site-packages"))
        from installed_lm import BidirectionalLM

        torch.manual_seed(0)
        stream = torch.arange(2000) * 7 % 20
        model = BidirectionalLM()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        starts = torch.randint(0, 1900, (8,))
        x = torch.stack([stream[s : s + 10] for s in starts])
        y = torch.stack([stream[s + 1 : s + 11] for s in starts])
        F.cross_entropy(model(x).reshape(-1, 20), y.reshape(-1)).backward()
        optimizer.step()
        """
        )
    )
    ran = CliRunner().invoke(main, ["run", "--format", "json", str(tmp_path / "train.py")])
    sys.modules.pop("installed_lm", None)  # the script ran in this process
    findings = [f for f in json.loads(ran.stdout) if f["code"] == "NN902"]
    assert len(findings) == 1, ran.stderr
    finding = findings[0]
    assert finding["filename"].endswith("train.py") and finding["location"]["row"] == 13  # was: site-packages
    (related,) = finding["related"]
    assert "site-packages" in related["filename"] and "installed code" in finding["message"]


SEQ2SEQ = """
import sys
import torch
from torch import nn

class Seq2Seq(nn.Module):
    '''A translation model trained with teacher forcing, the usual way: `model(src, tgt[:, :-1])`.'''

    def __init__(self):
        super().__init__()
        self.src_emb, self.tgt_emb = nn.Embedding(20, 16), nn.Embedding(20, 16)
        self.transformer = nn.Transformer(16, 2, 1, 1, 32, dropout=0.0, batch_first=True)
        self.out = nn.Linear(16, 20)

    def forward(self, src, tgt_in):
        steps = tgt_in.shape[1]
        mask = None if sys.argv[1] == "nomask" else nn.Transformer.generate_square_subsequent_mask(steps)
        return self.out(self.transformer(self.src_emb(src), self.tgt_emb(tgt_in), tgt_mask=mask))

torch.manual_seed(0)
src = torch.randint(2, 20, (16, 8))
tgt = torch.cat([torch.ones(16, 1, dtype=torch.long), src.flip(1)], dim=1)
model = Seq2Seq()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
logits = model(src, tgt[:, :-1])
nn.functional.cross_entropy(logits.reshape(-1, 20), tgt[:, 1:].reshape(-1)).backward()
optimizer.step()
"""


def test_a_translation_models_source_is_context_when_its_target_is_the_shifted_decoder_input(
    tmp_path: Path,
) -> None:
    """The target is the decoder input shifted by one step, so causality is tested, on that input alone: the
    encoder may read the whole source. Taking every input as causal would report the encoder's reading."""
    (tmp_path / "pyproject.toml").write_text(FAST)
    script = tmp_path / "train.py"
    script.write_text(SEQ2SEQ)
    ran = CliRunner().invoke(main, ["run", str(script), "--", "masked"], catch_exceptions=False)
    assert ran.exit_code == 0 and "causality            ok" in ran.stderr, ran.stdout
    leaky = CliRunner().invoke(main, ["run", str(script), "--", "nomask"], catch_exceptions=False)
    assert leaky.exit_code == 1 and "NN902 causal-leakage" in leaky.stdout, leaky.stderr


def test_a_failure_of_nnlints_own_inside_the_step_never_becomes_the_scripts(
    tmp_path: Path, monkeypatch
) -> None:
    """The checks run inside the script's `optimizer.step()` (inside accelerate's and Lightning's wrappers):
    an error of nnlint's glue there raised out of the script's step, ending its training with a traceback."""

    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("nnlint's own bug")

    monkeypatch.setattr("nnlint.run.session.link", broken)
    code, stderr = _run(
        tmp_path,
        """
        import torch
        import torch.nn.functional as F
        from torch import nn

        x, y = torch.randn(32, 6), torch.randint(0, 3, (32,))
        model = nn.Linear(6, 3)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
        """,
    )
    assert code == 0, stderr  # was: "train.py raised TypeError before its first optimizer step", exit 1
    assert "the checks could not run: TypeError: nnlint's own bug" in stderr


class _SeqFirstLM(torch.nn.Module):
    """PyTorch's word_language_model RNNModel in small: `(T, B)` ids and an `(layers, B, hidden)` state in,
    `log_softmax` over `(T * B, vocab)` out."""

    def __init__(self) -> None:
        super().__init__()
        self.emb, self.rnn, self.out = torch.nn.Embedding(30, 8), torch.nn.GRU(8, 8), torch.nn.Linear(8, 30)

    def forward(self, ids: torch.Tensor, hidden: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        output, hidden = self.rnn(self.emb(ids), hidden)
        return torch.log_softmax(self.out(output).view(-1, 30), dim=1), hidden


def test_the_overfit_replay_of_a_sequence_first_batch_takes_whole_sequences() -> None:
    """word_language_model: the replay chose 8 of the 35 time rows of every sequence (and zeroed inputs
    ended where real ones did: a false NN913). It takes the batch dim the run inferred, as the probe does."""
    from nnlint.run.capture import LossCall, ModelCall
    from nnlint.run.layout import Layout
    from nnlint.run.replay import Replay, link

    torch.manual_seed(0)
    model, steps, batch = _SeqFirstLM(), 12, 10
    data = torch.randint(0, 30, (steps + 1, batch))
    ids, target, hidden = data[:-1], data[1:].reshape(-1), torch.zeros(1, batch, 8)
    output = model(ids, hidden)
    loss = LossCall(
        "nll_loss", torch.nn.functional.nll_loss, {"input": output[0], "target": target}, "input", "target",
        torch.nn.functional.nll_loss(output[0], target), None, 0, reached=True,
    )  # fmt: skip
    replay = link(model, [ModelCall(model, (ids, hidden), {}, output, True, None)], loss, Layout())
    assert isinstance(replay, Replay) and (replay.batch_dim, replay.size) == (1, batch)  # was (0, 12)
    chosen = torch.tensor([2, 5, 7])
    (picked, state), _ = replay.inputs(chosen)
    assert torch.equal(picked, ids[:, chosen]) and state.shape == (1, 3, 8)
    assert torch.equal(replay.targets(chosen), data[1:, chosen].reshape(-1))
    (zeroed, _), _ = replay.inputs(chosen, zeroed=True)
    assert not zeroed.any()
    with torch.no_grad():
        assert replay.compute(dict(model.named_parameters()), chosen).shape == ()
    # What an output that sees no input can reach: the entropy of the 3 sequences' targets at each step.
    from collections import Counter

    from nnlint.run.overfit_batch import input_free_floor

    def entropy(labels: list[int]) -> float:
        return -sum(n / len(labels) * math.log(n / len(labels)) for n in Counter(labels).values())

    expected = sum(entropy(row) for row in data[1:, chosen].tolist()) / steps
    assert math.isclose(input_free_floor(replay, chosen), expected)


def test_zeroed_inputs_far_from_the_input_free_loss_leave_input_independence_undecided() -> None:
    """word_language_model's LSTM (emsize 32) on 8 sequences of real text, 600 steps: real 7.83 -> 4.61,
    zeroed 7.83 -> 4.62, the tokens' unigram; an output that sees no input reaches 2.02 there."""
    from nnlint.run.input_independent import unsettled

    site, thresholds = Site("train.py", 1), Thresholds()
    real, zeroed = _curve(7.83, 4.61), _curve(7.83, 4.62)
    zeroed.input_free = 2.02
    assert input_independent(real, zeroed, thresholds, site, site)  # the curves alone look alike
    assert unsettled(zeroed, thresholds)  # so the session notes it undecided; was: NN913, an error
    # A classifier that ignores its input: both runs reach the label prior, which needs no input.
    prior = _curve(1.39, 1.321)
    prior.input_free = 1.3209
    assert not unsettled(prior, thresholds) and input_independent(prior, prior, thresholds, site, site)


SLOW_LM = """
import sys
import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
vocab = 300
weights = 1.0 / torch.arange(1, vocab + 1).float()  # Zipf-like tokens, as in text
data = torch.multinomial(weights, 21 * 16, replacement=True).view(16, -1).t().contiguous()  # (T, B)


class LM(nn.Module):
    # word_language_model's RNNModel in small, with its initialisation.

    def __init__(self):
        super().__init__()
        self.emb, self.rnn, self.out = nn.Embedding(vocab, 8), nn.LSTM(8, 8, 2), nn.Linear(8, vocab)
        nn.init.uniform_(self.emb.weight, -0.1, 0.1)
        nn.init.uniform_(self.out.weight, -0.1, 0.1)
        nn.init.zeros_(self.out.bias)

    def forward(self, ids, hidden):
        output, hidden = self.rnn(self.emb(ids), hidden)
        logits = self.out(output).view(-1, vocab)
        if "--softmax" in sys.argv:
            logits = F.softmax(logits, dim=1)
        return F.log_softmax(logits, dim=1), hidden


model = LM()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
output, _ = model(data[:-1], (torch.zeros(2, 16, 8), torch.zeros(2, 16, 8)))
F.nll_loss(output, data[1:].reshape(-1)).backward()
optimizer.step()
"""


def test_a_language_model_still_on_its_targets_prior_is_not_reported_as_unable_to_overfit(
    tmp_path: Path,
) -> None:
    """word_language_model (emsize 32, 600 steps) ended at 4.61, zeroed inputs at 4.62, the tokens' pooled
    prior 4.64: the plateau every language model sits on before it uses its context (3000 steps: 2.60). That
    was NN912, "the forward, the loss or the labels are wrong". A softmax before the log_softmax flattens far
    above the prior, and stays NN912."""
    (tmp_path / "pyproject.toml").write_text("[tool.nnlint.run]\noverfit-steps = 150\noverfit-lr = 0.001\n")
    (tmp_path / "train.py").write_text(SLOW_LM)
    script = str(tmp_path / "train.py")
    ran = CliRunner().invoke(main, ["run", "--format", "json", script], catch_exceptions=False)
    assert ran.exit_code == 0, ran.stdout  # was 1: NN912
    assert "NN912 inconclusive for LM" in ran.stderr and "targets' prior" in ran.stderr
    broken = CliRunner().invoke(main, ["run", "--format", "json", script, "--softmax"])
    assert broken.exit_code == 1 and '"NN912"' in broken.stdout, broken.stderr


def test_input_free_runs_leave_overfitting_undecided_only_once_the_prior_is_reached_or_approached() -> None:
    """The measured curves: word_language_model's LSTM at 600 steps (real 7.83 -> 4.61, zeroed 4.62, prior
    4.64, input-free 2.02), the same with a softmax before its log_softmax (7.83 -> 7.78 both)."""
    from nnlint.run.input_independent import no_input_used_yet

    thresholds = Thresholds()

    def pair(real_end: float, zeroed_end: float) -> tuple[Curve, Curve]:
        real, zeroed = _curve(7.83, real_end), _curve(7.83, zeroed_end)
        real.prior, zeroed.input_free = 4.64, 2.02
        return real, zeroed

    assert no_input_used_yet(*pair(4.61, 4.62), thresholds)
    assert not no_input_used_yet(*pair(7.78, 7.78), thresholds)  # flat above the prior: stays NN912
    assert not no_input_used_yet(*pair(2.60, 4.62), thresholds)  # real pulled ahead: the curve decides
    real, zeroed = pair(4.61, 4.62)
    real.prior = None  # not a class-index loss: nothing to compare with
    assert not no_input_used_yet(real, zeroed, thresholds)


FRAMEWORK = """
import torch
import torch.nn.functional as F


class Trainer:
    '''The HF Trainer's path: the optimizer is built inside the framework from the user's settings object.'''

    def __init__(self, model, args, data):
        self.model, self.args, self.data = model, args, data

    def train(self):
        optimizer = torch.optim.SGD(self.model.parameters(), lr=self.args.learning_rate)
        x, y = self.data
        for _ in range(2):
            F.cross_entropy(self.model(x), y).backward()
            optimizer.step()
            optimizer.zero_grad()
"""


def test_a_learning_rate_a_framework_read_from_a_settings_object_is_located_where_it_was_set(
    tmp_path: Path,
) -> None:
    """HF's Trainer builds AdamW from `TrainingArguments.learning_rate`; NN915 was at `trainer.train()`."""
    installed = tmp_path / "site-packages"
    installed.mkdir()
    (installed / "settings_trainer.py").write_text(FRAMEWORK)  # a name no other test imports
    (tmp_path / "pyproject.toml").write_text(FAST)
    (tmp_path / "train.py").write_text(
        textwrap.dedent(
            """
        import sys
        from dataclasses import dataclass
        from pathlib import Path

        import torch
        from torch import nn

        sys.path.insert(0, str(Path(__file__).parent / "site-packages"))
        from settings_trainer import Trainer


        @dataclass
        class Settings:
            output_dir: str
            learning_rate: float = 1e-3


        def main():
            torch.manual_seed(0)
            model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))
            settings = Settings("out", learning_rate=50.0)
            Trainer(model, settings, (torch.randn(32, 6), torch.randint(0, 3, (32,)))).train()


        main()
        """
        )
    )
    ran = CliRunner().invoke(main, ["run", str(tmp_path / "train.py")], catch_exceptions=False)
    sys.modules.pop("settings_trainer", None)  # the script ran in this process
    assert ran.exit_code == 1, ran.stderr
    assert "train.py:22:5: NN915" in ran.stdout  # the settings line; was train.py:23, `Trainer(...).train()`
    assert "train.py:23): 1 step(s)" in ran.stderr  # the optimizer is still named by the line that ran it


GELU_TANH = """
import math
import sys
import torch
import torch.nn.functional as F
from torch import nn


class NewGELU(nn.Module):
    '''minGPT's (and HF's NewGELUActivation) GELU, tanh approximation.'''

    def forward(self, x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def new_gelu(x):  # nanoGPT's first version: the same, as a function
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc, self.act, self.head = nn.Linear(6, 32), NewGELU(), nn.Linear(32, 3)

    def forward(self, x):
        h = self.fc(x) * 0.1 + 5  # pre-activations far past the tanh's knee
        h = {"module": self.act, "function": new_gelu, "tanh": torch.tanh}[sys.argv[1]](h)
        return self.head(h)


torch.manual_seed(0)
x, y = torch.randn(64, 6), torch.randint(0, 3, (64,))
model = Net()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
for _ in range(2):
    F.cross_entropy(model(x), y).backward()
    optimizer.step()
    optimizer.zero_grad()
"""


def test_the_tanh_inside_a_gelu_is_not_watched_as_a_tanh_unit(tmp_path: Path) -> None:
    """minGPT's NewGELU (HF's NewGELUActivation, nanoGPT's new_gelu) computes GELU through a tanh; its
    saturation blocks no gradient (the `x` factor carries it). It was reported as saturated tanh units."""
    (tmp_path / "pyproject.toml").write_text(FAST)
    (tmp_path / "train.py").write_text(GELU_TANH)

    def run(mode: str) -> str:
        script = str(tmp_path / "train.py")
        return CliRunner().invoke(main, ["run", script, "--", mode], catch_exceptions=False).stdout

    assert "NN914" not in run("module")  # was: "tanh units of tanh in act stay saturated"
    assert "NN914" not in run("function")
    assert "tanh units of tanh in the model" in run("tanh")  # the model's own tanh still is a unit
