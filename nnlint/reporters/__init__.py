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


# Control characters of a checked file (its source lines, its name, text quoted in a message) would reach a
# terminal as they are: an ESC starts an escape sequence that can clear the screen, retitle the window or
# hide the rest of the line. Formats read on a terminal show them as the control pictures U+2400..U+2421,
# one column each so that carets stay aligned, as ruff does; a C1 control (U+0080..U+009F, which some
# terminals read as ESC sequences too) as U+FFFD. Tabs stay: each format handles its own.
_CONTROLS = {code: 0x2400 + code for code in range(0x20) if code != 0x09}
_CONTROLS[0x7F] = 0x2421
_CONTROLS.update({code: 0xFFFD for code in range(0x80, 0xA0)})


def printable(text: str) -> str:
    """`text` with control characters (not tabs) shown as visible symbols of one column each."""
    return text.translate(_CONTROLS)


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
