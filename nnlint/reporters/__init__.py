"""Reporters turn findings into text for people (text, concise) and for machines (json, json-lines, github,
gitlab, junit, pylint, sarif, lsp).

Each format is one module with a `render(findings, options) -> str` function, registered in `_MODULES`;
`render(findings, fmt, options)` is the one entry point, shared by `nnlint check`, `nnlint probe` and the
language server. Human formats may colour their output; machine formats never do.
"""

from __future__ import annotations

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


# Formats read by people: they carry the summary line (files checked, fixes applied).
HUMAN_FORMATS = frozenset({"text", "concise"})


# The module that renders each format, imported on use: a run pays only for the format it prints (the
# text format's rich, the junit format's XML library).
_MODULES = {
    "text": "text",
    "concise": "concise",
    "json": "json_format",
    "json-lines": "json_lines",
    "github": "github",
    "gitlab": "gitlab",
    "junit": "junit",
    "pylint": "pylint",
    "sarif": "sarif",
    "lsp": "lsp",
}
FORMAT_NAMES = tuple(_MODULES)


def render(findings: list[Finding], fmt: str = "text", options: RenderOptions | None = None) -> str:
    """Render findings in one of FORMAT_NAMES. Raises KeyError for an unknown format."""
    from importlib import import_module

    module = import_module(f"{__name__}.{_MODULES[fmt]}")
    return module.render(findings, options or RenderOptions())  # type: ignore[no-any-return]
