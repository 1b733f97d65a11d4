"""NN913 input-independent: the model learns as well from zeroed inputs as from the real ones.

The recipe's "input-independent baseline": train once on the real inputs and once with the inputs set to zero;
the real inputs must do better. When they do not, the model's output does not depend on its input (a forward
that drops `x`, an overwritten variable, inputs that never reach the layers) and every result it gives is the
label prior. Both runs start from the same weights and make the same number of updates on the same targets.

A model that ignores its input gives the same curve for both runs, so the real run must also come down no
further than the zeroed one (within the same margin) to be reported. The end gaps alone are not enough when
the budget ends far from the floor: a 2-layer GPT-2 memorising 8 x 32 random tokens at Adam 3e-4 (a smoke test
practitioners run) came down 4.17 -> 3.23 in 100 steps, zeroed inputs 4.17 -> 3.54: the end gaps are within
the margin, the drops (0.94 against 0.63) are not.

Nor is anything settled while the zeroed run ends far from the lowest loss an output that sees no input can
reach (for class-index targets, the entropy of the samples' targets at each position): until then both runs
are still learning what needs no input, and a model that reads its input need not have pulled ahead.
PyTorch's word_language_model LSTM (emsize 32, 8 sequences of 35 real-text tokens, 600 steps at Adam 3e-4)
came down 7.83 -> 4.61 on real inputs and 7.83 -> 4.62 zeroed (the tokens' unigram), where 2.02 needs no
input: undecided, not input-independent. A classifier that ignores its input reaches the label prior, 1.32
of 1.32, in both runs: reported.

The same runs leave NN912 undecided too (`no_input_used_yet`): 4.61 is the tokens' pooled prior (4.64, what a
constant output reaches), where every language model sits before it starts using its context; with 3000 steps
the same model comes down to 2.60 (zeroed inputs 3.84). A broken loss cannot even reach the prior: the same
LSTM with a softmax before its `log_softmax` flattened at 7.75 (prior 4.64) and is still reported.
"""

from __future__ import annotations

from dataclasses import replace

from nnlint.finding import Finding, Severity
from nnlint.run.overfit_batch import Curve
from nnlint.run.sites import finding_at
from nnlint.run.thresholds import Thresholds
from nnlint.runtime.frames import Site
from nnlint.runtime_codes import declared

CODE, NAME = declared("NN913")


def check(
    real: Curve, zeroed: Curve, thresholds: Thresholds, site: Site | None, fallback: Site
) -> list[Finding]:
    """Flag when real inputs get no closer to the floor than zeros do (and zeros cannot reach it)."""
    if not (real.finite and zeroed.finite) or zeroed.near_floor(thresholds.overfit_tolerance):
        return []  # zeros alone fit these targets (e.g. a per-position prior): the comparison says nothing
    if not reaches_as_far(real, zeroed, thresholds) or learns_more(real, zeroed, thresholds):
        return []
    steps = len(real.losses) - 1
    message = (
        f"trained {steps} steps on the same samples, real inputs reach loss {real.end:.3f} and zeroed inputs "
        f"{zeroed.end:.3f}: the model's output does not depend on its input"
    )
    evidence = {"steps": steps, "real_end": round(real.end, 4), "zeroed_end": round(zeroed.end, 4)}
    return [finding_at(site, fallback, CODE, NAME, message, Severity.ERROR, evidence=evidence)]


def reaches_as_far(real: Curve, zeroed: Curve, thresholds: Thresholds) -> bool:
    """The real run ends no closer to the floor than the zeroed one (within the margin)."""
    real_gap, zero_gap = real.end - real.floor, zeroed.end - zeroed.floor
    return real_gap > thresholds.input_independent_ratio * zero_gap


def learns_more(real: Curve, zeroed: Curve, thresholds: Thresholds) -> bool:
    """The real run came down clearly further than the zeroed one: the output depends on the input."""
    real_drop, zero_drop = real.start - real.end, zeroed.start - zeroed.end
    return real_drop * thresholds.input_independent_ratio > max(zero_drop, 0.0)


def no_input_used_yet(real: Curve, zeroed: Curve, thresholds: Thresholds) -> bool:
    """Whether the real run, like the zeroed one, is still learning only what needs no input, so that where
    it ended says nothing about memorising its inputs (NN912 undecided): the zeroed run is short of the
    input-free loss, the real one has not pulled ahead of it, and it came down to the label prior (or is still
    falling towards it). A run that flattened above the prior cannot fit even a constant output: still NN912.
    """
    if real.prior is None or not unsettled(zeroed, thresholds) or learns_more(real, zeroed, thresholds):
        return False
    towards_prior = replace(real, floor=real.prior)
    return towards_prior.near_floor(thresholds.overfit_tolerance) or towards_prior.still_falling()


def undecided(real: Curve, zeroed: Curve, thresholds: Thresholds) -> bool:
    """Whether NN913 cannot be judged from these runs: the zeroed run is unsettled and the real one has not
    already pulled clearly ahead of it. A Lightning CNN on 10 classes fitted its 8 samples 2.42 -> 0.105 in
    19 steps while zeroed inputs went 2.30 -> 2.29, short of the 2.08 an input-free output reaches: the input
    plainly matters, yet that was noted "inconclusive, raise overfit-steps" (more steps could not help: the
    zeroed run gets as many as the real one needed)."""
    return unsettled(zeroed, thresholds) and not learns_more(real, zeroed, thresholds)


def unsettled(zeroed: Curve, thresholds: Thresholds) -> bool:
    """The zeroed run ended far from the input-free loss: the comparison cannot be judged yet. A model that
    ignores its input reaches it with zeros as with real inputs (the label prior, for a classifier)."""
    if zeroed.input_free is None or not zeroed.finite:
        return False
    return not replace(zeroed, floor=zeroed.input_free).near_floor(thresholds.overfit_tolerance)
