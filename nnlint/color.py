"""Whether to colour output: `--color auto|always|never`, then the NO_COLOR and FORCE_COLOR conventions.

`always` and `never` win. With `auto` (the default), a non-empty `NO_COLOR` turns colour off
(https://no-color.org), else a non-empty `FORCE_COLOR` turns it on (https://force-color.org; CI logs that
render ANSI set it), else colour is used when the stream is a terminal.
"""

from __future__ import annotations

import os

CHOICES = ("auto", "always", "never")


def use_color(choice: str, stream: object) -> bool:
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
