"""Where in the user's code something happened, and findings located there.

Runtime findings point at the user's source, never at torch's: the line that built the model, layer or
optimizer (the frame that called the constructor), or the line that called the loss or the step. The stack is
read at construction or call time, because afterwards the frames are gone.
"""

from __future__ import annotations

import linecache
import os
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from nnlint.finding import Finding, Position, Severity


def _library_roots() -> tuple[str, ...]:
    """Folders whose frames are never the user's: the standard library, torch and friends, nnlint itself."""
    roots = {sysconfig.get_paths()["stdlib"], str(Path(__file__).resolve().parents[1])}
    for name in ("torch", "torchvision", "torchaudio", "functorch"):
        module = sys.modules.get(name)
        if module is not None and getattr(module, "__file__", None):
            roots.add(str(Path(module.__file__).resolve().parent))
    return tuple(os.path.join(root, "") for root in roots)


_ROOTS: tuple[str, ...] | None = None


def is_library(filename: str) -> bool:
    global _ROOTS
    if _ROOTS is None:
        _ROOTS = _library_roots()
    return filename.startswith("<") or os.path.abspath(filename).startswith(_ROOTS)


@dataclass(frozen=True)
class Site:
    """A line in the user's code."""

    filename: str
    line: int

    def __str__(self) -> str:
        return f"{display_path(self.filename)}:{self.line}"


def caller_site(frame: FrameType | None, constructing: Any = None) -> Site | None:
    """The first user frame at or above `frame`.

    With `constructing`, frames running that object's own `__init__` chain (`super().__init__()` in a user
    subclass) are skipped too, so the site is the line that built the object, not its class body.
    """
    while frame is not None:
        filename = frame.f_code.co_filename
        building = constructing is not None and frame.f_locals.get("self") is constructing
        if not building and not is_library(filename):
            return Site(os.path.abspath(filename), frame.f_lineno)
        frame = frame.f_back
    return None


def current_site(constructing: Any = None) -> Site | None:
    """`caller_site` from the caller of this function."""
    return caller_site(sys._getframe(1), constructing)


def finding_at(
    site: Site | None,
    fallback: Site,
    code: str,
    name: str,
    message: str,
    severity: Severity = Severity.WARNING,
    hint: str | None = None,
    evidence: dict[str, Any] | None = None,
) -> Finding:
    """A finding whose span covers the code on the site's line (the text reporter underlines it)."""
    where = site or fallback
    text = linecache.getline(where.filename, where.line).rstrip()
    start = len(text) - len(text.lstrip()) + 1 if text else 1
    return Finding(
        code=code,
        name=name,
        message=message,
        filename=display_path(where.filename),
        location=Position(where.line, start),
        end_location=Position(where.line, max(len(text) + 1, start + 1)),
        severity=severity,
        hint=hint,
        evidence=evidence or {},
    )


def display_path(filename: str) -> str:
    """Relative to the working directory when under it, as `nnlint check` prints paths."""
    try:
        return str(Path(filename).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return filename
