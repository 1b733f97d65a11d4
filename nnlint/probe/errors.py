"""The one error a probe raises for bad input, so the CLI can print a paragraph and exit 2."""

from __future__ import annotations


class ProbeError(Exception):
    """A problem with the target or its inputs, worded for the user (one paragraph, no traceback).

    The original exception, when there is one, is chained as `__cause__` so `--verbose` can show it.
    """


class NoTimeDim(ProbeError):
    """A causal probe of a model whose inputs or outputs have no time dim to judge: `nnlint run --causal`
    still judges batch mixing then, and says why causality was not tested."""
