"""Fixtures for the integration tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary working directory, so paths in reports are relative and caches land in it."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
