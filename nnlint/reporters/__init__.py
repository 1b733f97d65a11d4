"""Reporters turn findings into text for people (text, concise) and for machines (json).

Each format is one module with a `render(findings, options) -> str` function, registered in FORMATS. Human
formats may colour their output; machine formats never do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from nnlint.finding import Finding


@dataclass(frozen=True)
class RenderOptions:
    color: bool = False
    # Files looked at, for the summary line of human formats (None: don't mention).
    files_checked: int | None = None
    # Findings hidden by default (e.g. refuted by the probe), for the summary line.
    hidden: int = 0
    show_source: bool = True


Renderer = Callable[[list[Finding], RenderOptions], str]


def _formats() -> dict[str, Renderer]:
    from nnlint.reporters import concise, json_format, text

    return {"text": text.render, "concise": concise.render, "json": json_format.render}


FORMAT_NAMES = ("text", "concise", "json")


def render(findings: list[Finding], fmt: str = "text", options: RenderOptions | None = None) -> str:
    """Render findings in one of FORMAT_NAMES. Raises KeyError for an unknown format."""
    return _formats()[fmt](findings, options or RenderOptions())
