"""`--fix` rewrites only the text of a file: never over an edit made meanwhile, never a read-only file,
and the mode, owner, group and hard links stay as they were."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

import nnlint.session as session
from nnlint.atomic import ChangedMeanwhile, write_atomic
from nnlint.cli import main

BUGGY = "x = 1  # noqa: NN777\n"
FIXED = "x = 1\n"


def fix(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", "--no-cache", "--fix", "--select", "NN001", str(path)])
    return result.exit_code, result.output


def test_an_edit_made_while_fixing_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "train.py"
    path.write_text(BUGGY)
    fix_until_stable = session.fix_until_stable

    def edit_meanwhile(*args: object, **kwargs: object) -> object:
        outcome = fix_until_stable(*args, **kwargs)
        path.write_text("y = 2  # the user's edit\n")
        return outcome

    monkeypatch.setattr(session, "fix_until_stable", edit_meanwhile)
    code, output = fix(path)
    assert code == 2
    assert "changed while nnlint was fixing it" in output
    assert path.read_text() == "y = 2  # the user's edit\n"


def test_a_read_only_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "train.py"
    path.write_text(BUGGY)
    path.chmod(0o444)
    code, output = fix(path)
    assert code == 2 and "read-only" in output
    assert path.read_text() == BUGGY


def test_mode_and_hard_links_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "train.py"
    path.write_text(BUGGY)
    path.chmod(0o640)
    link = tmp_path / "link.py"
    os.link(path, link)
    code, _ = fix(path)
    assert code == 0
    assert path.read_text() == FIXED and link.read_text() == FIXED
    assert os.stat(path).st_ino == os.stat(link).st_ino
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can own a file as another user")
def test_owner_and_group_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "train.py"
    path.write_text(BUGGY)
    os.chown(path, 65534, 65534)  # nobody
    code, _ = fix(path)
    assert code == 0 and path.read_text() == FIXED
    assert (path.stat().st_uid, path.stat().st_gid) == (65534, 65534)


def test_in_place_write_also_refuses_a_changed_file(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text("new")
    os.link(path, tmp_path / "b.py")
    with pytest.raises(ChangedMeanwhile):
        write_atomic(path, b"fixed", expected=b"old")
    assert path.read_text() == "new"


@pytest.mark.parametrize("named", [True, False])
def test_the_report_never_overwrites_a_checked_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, named: bool
) -> None:
    path = tmp_path / "train.py"
    path.write_text(BUGGY)
    monkeypatch.chdir(tmp_path)
    args = ["check", "--no-cache", "-o", "train.py", "train.py" if named else "."]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "is a file being checked" in result.output
    assert "Traceback" not in result.output
    assert path.read_text() == BUGGY


def test_the_report_may_go_to_a_new_file_or_a_non_source_one(tmp_path: Path) -> None:
    path = tmp_path / "train.py"
    path.write_text(BUGGY)
    (tmp_path / "report.txt").write_text("old report\n")
    for target in ("report.txt", "new/report.txt"):
        result = CliRunner().invoke(main, ["check", "--no-cache", "-o", str(tmp_path / target), str(path)])
        assert result.exit_code == 1, result.output
        assert "NN001" in (tmp_path / target).read_text()


def test_an_empty_output_file_name_is_a_usage_error(tmp_path: Path) -> None:
    """`-o ""` (an unset variable) ran the whole check, then failed with "cannot write .: Is a directory"."""
    path = tmp_path / "train.py"
    path.write_text(BUGGY)
    result = CliRunner().invoke(main, ["check", "--no-cache", "-o", "", str(path)])
    assert result.exit_code == 2 and "--output-file" in result.output and "give a file name" in result.output


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs need a POSIX system")
def test_a_report_to_a_device_or_fifo_is_written_through_not_put_in_its_place(tmp_path: Path) -> None:
    """`-o /dev/stdout`, `-o /dev/null`: the report went to a temporary file renamed over the path, so the
    special file was replaced by a regular one (as root, /dev/null itself for the whole system), or, for
    /dev/stdout's pipe, the write failed. A FIFO (reached through a link, as /dev/stdout
    is) stands in for a device here: it must stay a FIFO and its reader must get the report."""
    import threading

    path = tmp_path / "train.py"
    path.write_text(BUGGY)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "stdout"
    link.symlink_to(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = CliRunner().invoke(
        main, ["check", "--no-cache", "--format", "concise", "-o", str(link), str(path)]
    )
    reader.join(timeout=30)
    assert result.exit_code == 1, result.output
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and link.is_symlink()
    assert received and b"NN001" in received[0]
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("command", [["check", "--no-cache"], ["rules"]])
def test_a_full_disk_under_the_output_is_an_error_not_a_traceback(tmp_path: Path, command: list[str]) -> None:
    """`nnlint check > /dev/full` (a full disk under a redirected report) was a traceback and exit 1, which
    reads as "findings"; it is one error line and exit 2."""
    import subprocess
    import sys

    if not Path("/dev/full").exists() or not stat.S_ISCHR(os.stat("/dev/full").st_mode):
        pytest.skip("no /dev/full device here")
    path = tmp_path / "train.py"
    path.write_text(BUGGY)
    args = [*command, str(path)] if command[0] == "check" else command
    with open("/dev/full", "w") as full:
        run = subprocess.run(
            [sys.executable, "-m", "nnlint", *args],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
    assert run.stderr == "nnlint: error: cannot write the output: No space left on device\n"
