"""Reporters turn findings into text for people (text, concise) and for machines (json, json-lines, github,
gitlab, junit, pylint, sarif, lsp).

Each format is one module with a `render(findings, options) -> str` function, registered in `_formats`;
`render(findings, fmt, options)` is the one entry point, shared by `nnlint check`, `nnlint probe` and the
language server. Human formats may colour their output; machine formats never do.
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
    # Fixes applied by `--fix` in this run, for the summary line.
    fixed: int = 0
    # Whether `--unsafe-fixes` was given: unsafe fixes then count as fixable with `--fix`.
    unsafe_fixes: bool = False
    # Errors of the run besides findings (crashed rules, unreadable files): the summary never says
    # "All checks passed" when some check did not run.
    errors: int = 0


Renderer = Callable[[list[Finding], RenderOptions], str]

FORMAT_NAMES = (
    "text",
    "concise",
    "json",
    "json-lines",
    "github",
    "gitlab",
    "junit",
    "pylint",
    "sarif",
    "lsp",
)
# Formats read by people: they carry the summary line (files checked, fixes applied).
HUMAN_FORMATS = frozenset({"text", "concise"})


def _formats() -> dict[str, Renderer]:
    # Imported on use: a run pays only for the format it prints.
    from nnlint.reporters import (
        concise,
        github,
        gitlab,
        json_format,
        json_lines,
        junit,
        lsp,
        pylint,
        sarif,
        text,
    )

    return {
        "text": text.render,
        "concise": concise.render,
        "json": json_format.render,
        "json-lines": json_lines.render,
        "github": github.render,
        "gitlab": gitlab.render,
        "junit": junit.render,
        "pylint": pylint.render,
        "sarif": sarif.render,
        "lsp": lsp.render,
    }


def render(findings: list[Finding], fmt: str = "text", options: RenderOptions | None = None) -> str:
    """Render findings in one of FORMAT_NAMES. Raises KeyError for an unknown format."""
    return _formats()[fmt](findings, options or RenderOptions())
