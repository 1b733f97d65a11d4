"""Which source lines are the user's, for every runtime finding: one notion shared by the probe and `run`.

Three kinds of frames:
- *library*: torch and its siblings, the standard library, nnlint itself, and generated code (`<string>`).
  A finding never points there.
- *third-party*: anything installed (site-packages, dist-packages): transformers, timm, Lightning. A model
  class defined there is still where a leak can be (a Hugging Face attention layer), but a training framework
  there is not the user's code: findings prefer the user's *own* frames and fall back to third-party ones.
- *own*: everything else, the code the user wrote.
"""

from __future__ import annotations

import dis
import functools
import importlib.util
import linecache
import os
import sys
import sysconfig
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from nnlint.vocabulary import TORCH_PACKAGES

Frame = tuple[str, int]  # (absolute filename, 1-based line)

_NNLINT_DIR = os.path.join(str(Path(__file__).resolve().parents[1]), "")
_STDLIB_DIR = os.path.join(sysconfig.get_paths()["stdlib"], "")


@functools.cache
def _package_roots() -> tuple[str, ...]:
    """nnlint's folder and those of torch and its siblings (found without importing them)."""
    roots = [_NNLINT_DIR]
    for name in TORCH_PACKAGES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is not None and spec.origin:
            roots.append(os.path.join(os.path.dirname(os.path.abspath(spec.origin)), ""))
    return tuple(roots)


@functools.lru_cache(maxsize=4096)  # asked for every frame of every recorded op: a handful of distinct files
def is_library(filename: str) -> bool:
    """torch, the standard library, nnlint, generated code: never where a finding goes."""
    if filename.startswith("<"):
        return True
    path = os.path.abspath(filename)
    if path.startswith(_package_roots()):
        return True
    # site-packages may sit inside the standard library's folder (system Pythons): installed code is not it.
    return path.startswith(_STDLIB_DIR) and not is_third_party(path)


@functools.lru_cache(maxsize=4096)
def is_third_party(filename: str) -> bool:
    """Installed packages (transformers, timm, Lightning): user-visible code, but not the user's own."""
    path = os.path.abspath(filename)
    return f"{os.sep}site-packages{os.sep}" in path or f"{os.sep}dist-packages{os.sep}" in path


def is_own(filename: str) -> bool:
    return not is_library(filename) and not is_third_party(filename)


@functools.lru_cache(maxsize=4096)
def is_nnlint(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_NNLINT_DIR)


def user_frames(frame: FrameType | None) -> tuple[Frame, ...]:
    """The non-library frames of the call chain ending at `frame`, outermost first.

    nnlint frames at the start (a recorder's own) are skipped; the walk stops at the next nnlint frame, where
    nnlint called the model, so the chain is the model's and not the script that runs nnlint.
    """
    while frame is not None and is_nnlint(frame.f_code.co_filename):
        frame = frame.f_back
    frames = []
    while frame is not None:
        filename = frame.f_code.co_filename
        if is_nnlint(filename):
            break
        if not is_library(filename):
            frames.append((_absolute(filename), frame.f_lineno))
        frame = frame.f_back
    return tuple(reversed(frames))


@functools.lru_cache(maxsize=4096)
def _absolute(filename: str) -> str:
    return os.path.abspath(filename)


def innermost_own(frames: tuple[Frame, ...]) -> Frame | None:
    """The innermost frame of the user's own code, else the innermost third-party one, else None."""
    for frame in reversed(frames):
        if is_own(frame[0]):
            return frame
    return frames[-1] if frames else None


@dataclass(frozen=True)
class Site:
    """A line in the user's code."""

    filename: str
    line: int

    def __str__(self) -> str:
        return f"{display_path(self.filename)}:{self.line}"


class SiteMap:
    """The line that built each object (a layer, an optimizer), or any fact about it (the lines that set a
    module's buffers), keyed by identity and held weakly.

    Never hashes the object: a module may define `__hash__` from state its own `__init__` has not set yet
    when `nn.Module.__init__` returns (torchmetrics' `Metric`, which Lightning builds for every `self.log`),
    and a `WeakKeyDictionary` would raise inside the user's script.
    """

    def __init__(self) -> None:
        self._entries: dict[int, tuple[weakref.ref[Any], Any]] = {}

    def __setitem__(self, obj: Any, site: Any) -> None:
        key = id(obj)

        def forget(ref: weakref.ref[Any]) -> None:
            if self._entries.get(key, (None,))[0] is ref:
                del self._entries[key]

        self._entries[key] = (weakref.ref(obj, forget), site)

    def get(self, obj: Any) -> Any:
        entry = self._entries.get(id(obj))
        return entry[1] if entry is not None and entry[0]() is obj else None


def wrap_module_init(original: Callable[..., None], sites: SiteMap) -> Callable[..., None]:
    """`nn.Module.__init__` that notes the line of the user's code that built each module (`sites`)."""

    @functools.wraps(original)
    def init(module: Any, *args: Any, **kwargs: Any) -> None:
        original(module, *args, **kwargs)
        site = caller_site(sys._getframe(1), constructing=module)
        if site is not None:
            sites[module] = site

    return init


def wrap_register_buffer(original: Callable[..., None], buffers: SiteMap) -> Callable[..., None]:
    """`nn.Module.register_buffer` that notes, per module, the user's line that set each buffer: a class's
    own `__init__` when it builds its mask there, the script's line when the script replaces it later, the
    line that built the model when an installed class registers it."""

    @functools.wraps(original)
    def register_buffer(module: Any, name: str, *args: Any, **kwargs: Any) -> None:
        original(module, name, *args, **kwargs)
        site = caller_site(sys._getframe(1))
        if site is not None:
            table = buffers.get(module)
            if table is None:
                table = {}
                buffers[module] = table
            table[name] = site

    return register_buffer


@contextmanager
def recording_sites(modules: SiteMap, buffers: SiteMap) -> Iterator[None]:
    """Note where modules are built and buffers set while the block runs (a probe target's factory)."""
    from torch import nn

    init, register = nn.Module.__init__, nn.Module.register_buffer
    nn.Module.__init__ = wrap_module_init(init, modules)  # type: ignore[method-assign]
    nn.Module.register_buffer = wrap_register_buffer(register, buffers)  # type: ignore[method-assign]
    try:
        yield
    finally:
        nn.Module.__init__, nn.Module.register_buffer = init, register  # type: ignore[method-assign]


def caller_site(frame: FrameType | None, constructing: Any = None) -> Site | None:
    """The first frame of the user's own code at or above `frame` (else the first third-party one).

    With `constructing`, frames running that object's own `__init__` chain (`super().__init__()` in a user
    subclass) are skipped too, so the site is the line that built the object, not its class body. A training
    framework's frames (Lightning, the HF Trainer) are third-party: the site is the user's line calling it.
    """
    fallback = None
    while frame is not None:
        filename = frame.f_code.co_filename
        building = constructing is not None and frame.f_locals.get("self") is constructing
        if not building and not is_library(filename):
            if not is_third_party(filename):
                return Site(os.path.abspath(filename), frame.f_lineno)
            fallback = fallback or Site(os.path.abspath(filename), frame.f_lineno)
        frame = frame.f_back
    return fallback


def setting_site(frame: FrameType | None, value: float, attributes: tuple[str, ...]) -> Site | None:
    """Where the user's own code bound the settings object a framework read `value` from, if it did.

    Only when the first non-library frame at or above `frame` is third-party: the framework, not the user,
    made the call (the HF Trainer builds the optimizer from `args.learning_rate`), so the user's calling line
    (`trainer.train()`) is not where the value is set. The user's frame then holds the object among its locals
    (`args = TrainingArguments(..., learning_rate=...)`): the line that bound that name is the site. The
    attributes are read from the instance's `__dict__`, so no property of the user's objects runs.
    """
    while frame is not None and is_library(frame.f_code.co_filename):
        frame = frame.f_back
    if frame is None or not is_third_party(frame.f_code.co_filename):
        return None
    while frame is not None and not is_own(frame.f_code.co_filename):
        frame = frame.f_back
    if frame is None:
        return None
    for name, obj in frame.f_locals.items():
        fields = getattr(obj, "__dict__", None)
        if not isinstance(fields, dict) or isinstance(obj, type):
            continue
        if any(_same_number(fields.get(attribute), value) for attribute in attributes):
            line = _binding_line(frame, name)
            if line is not None:
                return Site(os.path.abspath(frame.f_code.co_filename), line)
    return None


def _same_number(candidate: Any, value: float) -> bool:
    return (
        isinstance(candidate, (int, float))
        and not isinstance(candidate, bool)
        and abs(candidate - value) <= 1e-12 * max(abs(value), 1.0)
    )


def _binding_line(frame: FrameType, name: str) -> int | None:
    """The line of the last assignment to `name` in the frame's code before the line it is running."""
    found, line = None, None
    for instruction in dis.get_instructions(frame.f_code):
        positions = getattr(instruction, "positions", None)  # Python 3.11+; else the line that starts here
        start = positions.lineno if positions is not None and positions.lineno else instruction.starts_line
        line = start or line
        stores = instruction.opname in ("STORE_FAST", "STORE_NAME", "STORE_GLOBAL", "STORE_DEREF")
        if stores and instruction.argval == name and line is not None and line <= frame.f_lineno:
            found = line
    return found


def innermost_function(frame: FrameType | None) -> str | None:
    """The name of the innermost function at or above `frame` that is not library code."""
    while frame is not None and is_library(frame.f_code.co_filename):
        frame = frame.f_back
    return frame.f_code.co_name if frame is not None else None


def source_line(filename: str, line: int) -> str:
    return linecache.getline(filename, line).strip()


def display_path(filename: str) -> str:
    """Relative to the working directory when under it, as `nnlint check` prints paths."""
    try:
        relative = os.path.relpath(filename)
    except ValueError:  # another drive on Windows
        return filename
    return filename if relative.startswith("..") else relative
