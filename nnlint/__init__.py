"""nnlint: a linter for PyTorch training code.

`import nnlint` stays cheap and torch-free: the runtime API (`nnlint.probe`, `assert_batch_independent`,
`assert_causal`) is imported on first use, so the static checker never pays for torch.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_RUNTIME_API = {"probe", "assert_batch_independent", "assert_causal", "ProbeReport"}


def __getattr__(name: str) -> Any:
    if name == "probe":  # the package is callable: `nnlint.probe(model, inputs)` (see nnlint/probe/__init__)
        import importlib

        return importlib.import_module("nnlint.probe")
    if name in _RUNTIME_API:
        from nnlint.probe import api

        return getattr(api, name)
    raise AttributeError(f"module 'nnlint' has no attribute {name!r}")
