"""Run `nnlint run` in-process (torch imported once for the whole suite) on the fixtures in fixtures/run/."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from nnlint.cli import main

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "run"


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str

    def codes(self) -> set[str]:
        """Codes of the findings, from the JSON output."""
        return {finding["code"] for finding in self.findings()}

    def findings(self) -> list[dict]:
        return json.loads(self.stdout) if self.stdout.strip() else []


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """The fixtures' own training is tiny: one thread is fastest, and on a loaded CI box by far."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


_OUTCOMES: dict[tuple[str, ...], Outcome] = {}


@pytest.fixture
def nnlint_run(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Outcome]:
    """`nnlint run --format json ARGS` from the fixtures folder; returns exit code, stdout and stderr.

    Runs are deterministic (seeded scripts), so each distinct command runs once per test session.
    """
    monkeypatch.chdir(FIXTURES)

    def invoke(*args: str, fmt: str = "json") -> Outcome:
        command = ("run", "--format", fmt, *args)
        if command not in _OUTCOMES:
            result = CliRunner().invoke(main, list(command), catch_exceptions=False)
            _OUTCOMES[command] = Outcome(result.exit_code, result.stdout, result.stderr)
        return _OUTCOMES[command]

    return invoke


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
