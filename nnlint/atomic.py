"""Writing a file so that no reader ever sees half of it: a temporary file beside it, then `os.replace`.

Fixed sources, `--output-file` reports and cache entries all go through here. A crash or a full disk
mid-write leaves the old file whole, and parallel workers writing the same cache entry never interleave:
the last complete write wins.
"""

from __future__ import annotations

import os
import stat
import tempfile
from functools import cache
from pathlib import Path


@cache
def _default_mode() -> int:
    """The mode a new file would get from `open()`: 0o666 less the umask (mkstemp would give 0o600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: Path | str, data: bytes) -> None:
    """Replace `path` with `data` in one step, keeping the mode of the file it replaces.

    A symlink is followed, so the link stays a link and its target gets the new content.
    Raises OSError when the directory cannot be written.
    """
    target = Path(os.path.realpath(path))
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = _default_mode()
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        # Never leave the temporary file behind, whatever interrupted the write.
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
