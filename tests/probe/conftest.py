"""Fixtures of the probe tests: the device to run on, and one CPU thread.

Set NNLINT_PROBE_DEVICE=cuda to run the device-dependent tests on a GPU.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture
def device() -> str:
    return os.environ.get("NNLINT_PROBE_DEVICE", "cpu")


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """Probe batches are tiny: on a shared 2-core machine, OpenMP threads only wait on each other (one probe
    measured 5 s with 2 threads under load, 0.05 s with 1)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
