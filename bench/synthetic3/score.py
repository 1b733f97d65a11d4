"""Score `nnlint check` on the third blind synthetic suite (see README.md).

The scorer is the first suite's (bench/synthetic/score.py: marks, matching and report are the same),
pointed at this folder's cases.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

HERE = Path(__file__).resolve().parent


def load_scorer():
    """bench/synthetic/score.py, the one scorer of the synthetic suites."""
    spec = importlib.util.spec_from_file_location("synthetic_score", HERE.parent / "synthetic" / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    load_scorer().main(HERE / "cases")
