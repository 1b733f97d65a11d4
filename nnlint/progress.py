"""Progress of long work, on stderr, for a person watching a terminal; nothing at all anywhere else.

`nnlint check` over many files, `nnlint probe` and `nnlint run` can take tens of seconds, and a command that
prints nothing for that long looks hung. Progress goes to stderr and only when stderr is a terminal and the
user did not ask for quiet: stdout (the report, which tools parse) is byte-identical with or without it, and
a pipe, a CI log or a file never sees a spinner's escape codes. Displays are transient: they are erased when
the work ends.

Two shapes:

- `FileProgress` for work over N items (`check`): a bar that appears once the work has taken about a second
  (`delay`) or when there are many items, so a quick check of a few files never flashes one.
- `activity(title)` for work without a count (`probe`, `run`): a spinner with a title.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TextIO, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

# The display of the `activity` now shown, if any: `stop()` ends it early.
_current: Any = None


def wanted(quiet: bool = False, stream: TextIO | None = None) -> bool:
    """Whether to show progress: stderr (or `stream`) is a terminal that can redraw, and not --quiet."""
    stream = stream if stream is not None else sys.stderr
    isatty = getattr(stream, "isatty", None)
    return not quiet and bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"


def _console() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


class FileProgress:
    """A bar over `total` items, started once `delay` seconds have passed or at once when there are `many`
    items. Call `update(done, total)` as items finish, and `close()` at the end (or use it as a context
    manager)."""

    def __init__(self, description: str, enabled: bool, delay: float = 1.0, many: int = 100) -> None:
        self.description = description
        self.enabled = enabled
        self.delay = delay
        self.many = many
        self._started_at = time.monotonic()
        self._bar: Any = None
        self._task: Any = None

    def update(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self._bar is None:
            quick = done >= total or time.monotonic() - self._started_at < self.delay
            if total < self.many and quick:
                return
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=_console(),
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.description, total=total)
        self._bar.update(self._task, completed=done, total=total)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> FileProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def activity(title: str, enabled: bool) -> Iterator[None]:
    """Show a spinner with `title` while the block runs, when `enabled`."""
    global _current
    if not enabled:
        yield
        return
    from rich.live import Live
    from rich.spinner import Spinner

    spinner = Spinner("dots", text=title)
    # No redirection of stdout: it carries the report (and, for `run`, the script's own prints).
    live = Live(spinner, console=_console(), transient=True, redirect_stdout=False, redirect_stderr=False)
    previous, _current = _current, (live, spinner)
    live.start()
    try:
        yield
    finally:
        live.stop()
        _current = previous


def showing(title: str, function: Callable[P, R]) -> Callable[P, R]:
    """`function`, run under `activity(title)` when progress is `wanted()`: a one-line change at a call."""

    def shown(*args: P.args, **kwargs: P.kwargs) -> R:
        with activity(title, wanted()):
            return function(*args, **kwargs)

    return shown


def stop() -> None:
    """End the shown activity's display early (before printing a report while the work goes on)."""
    global _current
    if _current is not None:
        _current[0].stop()
        _current = None
