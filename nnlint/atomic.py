"""Writing a file so that no reader ever sees half of it: a temporary file beside it, then `os.replace`.

Fixed sources, `--output-file` reports and cache entries all go through here. A crash or a full disk
mid-write leaves the old file whole, and parallel workers writing the same cache entry never interleave:
the last complete write wins.

Rewriting a user's source file must leave everything but its text as it was. The replacement gets the
old file's mode, owner and group; a file with other hard links, or whose owner this process cannot give
the replacement, is rewritten in place instead (the links and the owner stay; the write is then not
atomic). A read-only file is refused, and a file that changed since nnlint read it (an editor saved it
meanwhile) is left alone: both raise an OSError whose message says so. A path that is no regular file (a
device such as /dev/null or /dev/stdout, a FIFO) is written through, never replaced.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from functools import cache
from pathlib import Path


class ChangedMeanwhile(OSError):
    """The file's bytes are no longer those the fixes were computed from."""


@cache
def _default_mode() -> int:
    """The mode a new file would get from `open()`: 0o666 less the umask (mkstemp would give 0o600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: Path | str, data: bytes, expected: bytes | None = None) -> None:
    """Replace `path` with `data` in one step, keeping the mode, owner and group of the file it replaces.

    A symlink is followed, so the link stays a link and its target gets the new content. With
    `expected`, the file must still hold exactly those bytes (else ChangedMeanwhile) and must be
    writable by its owner (else PermissionError). Raises OSError when the directory cannot be written.
    """
    if _write_through(path, data):
        return
    target = Path(os.path.realpath(path))
    try:
        info = target.stat()
    except FileNotFoundError:
        info = None
    if expected is not None and info is not None:
        if not info.st_mode & stat.S_IWUSR:
            raise PermissionError(errno.EACCES, "the file is read-only; not written", str(path))
        if info.st_nlink > 1 or not _can_own(info):
            _write_in_place(target, data, expected)
            return
    mode = stat.S_IMODE(info.st_mode) if info is not None else _default_mode()
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        if info is not None and (info.st_uid, info.st_gid) != (os.geteuid(), os.getegid()):
            os.chown(temporary, info.st_uid, info.st_gid)
        os.chmod(temporary, mode)
        if expected is not None:
            _check_unchanged(target, expected)
        os.replace(temporary, target)
    except BaseException:
        # Never leave the temporary file behind, whatever interrupted the write.
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _write_through(path: Path | str, data: bytes) -> bool:
    """Write `data` into `path` when it is a device, a FIFO or a socket (`-o /dev/stdout`, `-o /dev/null`);
    False for a regular file or none. Such a path must be written, never replaced: a file renamed over
    /dev/null (as root) would take the device's place for the whole system, and `/dev/stdout` resolves to a
    pipe that has no folder to put a temporary file in."""
    try:
        mode = os.stat(path).st_mode  # through symbolic links: /dev/stdout -> /proc/self/fd/1 -> the pipe
    except OSError:
        return False
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return False
    with open(path, "wb") as stream:
        stream.write(data)
    return True


def _can_own(info: os.stat_result) -> bool:
    """Whether this process can give a new file the owner and group of `info` (root can, others only
    their own user and one of their groups)."""
    if os.geteuid() == 0:
        return True
    return info.st_uid == os.geteuid() and (info.st_gid == os.getegid() or info.st_gid in os.getgroups())


def _check_unchanged(target: Path, expected: bytes) -> None:
    try:
        current = target.read_bytes()
    except FileNotFoundError:
        current = None
    if current != expected:
        raise ChangedMeanwhile(errno.EAGAIN, "the file changed while nnlint was fixing it; not written")


def _write_in_place(target: Path, data: bytes, expected: bytes) -> None:
    with open(target, "r+b") as stream:
        if stream.read() != expected:
            raise ChangedMeanwhile(errno.EAGAIN, "the file changed while nnlint was fixing it; not written")
        stream.seek(0)
        stream.write(data)
        stream.truncate()
