"""`--fix`, `--unsafe-fixes` and `--diff` end to end, and the fix loop and atomic writes underneath.

The idempotence tests are generic: they run over every rule example that carries a fix
(`Invalid(fixed=...)`) and every whole-script fixture, so each fix a rule adds is covered when it lands.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import stat
from pathlib import Path

import pytest
from integration_helpers import BUGGY, CLEAN, ZERO_GRAD_ROW, nnlint

from nnlint.atomic import write_atomic
from nnlint.finding import Edit, Finding, Fix, Position, Severity
from nnlint.fixes import MAX_PASSES, UnparsableFix, fix_python, fix_until_stable
from nnlint.rule import Invalid, all_rules
from nnlint.runner import FileResult, parse_source

FIXTURES = Path(__file__).resolve().parent.parent.parent / "fixtures" / "scripts"


def _fixable_examples() -> list[pytest.param]:
    return [
        pytest.param(rule.code, example.source, id=f"{rule.code}-{index}")
        for rule in all_rules()
        for index, example in enumerate(rule.INVALID)
        if isinstance(example, Invalid) and example.fixed is not None
    ]


def _fixtures() -> list[pytest.param]:
    return [pytest.param(path, id=str(path.relative_to(FIXTURES))) for path in sorted(FIXTURES.rglob("*.py"))]


def _fix_twice(path: Path, *selection: str) -> tuple[bytes, bytes]:
    """Fix `path` (unsafe fixes included) twice; return the contents after the first and the second run."""
    first = nnlint("check", str(path), "--fix", "--unsafe-fixes", "--exit-zero", *selection)
    assert first.code == 0, first.stderr
    after_first = path.read_bytes()
    second = nnlint("check", str(path), "--fix", "--unsafe-fixes", "--exit-zero", *selection)
    assert second.code == 0, second.stderr
    assert "Fixed" not in second.stdout
    return after_first, path.read_bytes()


def test_there_are_fixable_examples() -> None:
    assert len(_fixable_examples()) >= 3


@pytest.mark.parametrize(("code", "source"), _fixable_examples())
def test_fix_of_a_rule_example_parses_and_a_second_fix_changes_nothing(
    project: Path, code: str, source: str
) -> None:
    for selection in (("--select", code), ()):  # the rule alone, then every rule together
        path = project / "example.py"
        path.write_text(source)
        after_first, after_second = _fix_twice(path, *selection)
        if selection:
            assert after_first != source.encode(), f"{code}'s fix changed nothing"
        assert not isinstance(parse_source("example.py", after_first.decode()), Finding)
        assert after_second == after_first


@pytest.mark.parametrize("fixture", _fixtures())
def test_fix_of_a_fixture_parses_and_a_second_fix_changes_nothing(project: Path, fixture: Path) -> None:
    path = project / fixture.name
    shutil.copy(fixture, path)
    after_first, after_second = _fix_twice(path)
    assert not isinstance(parse_source(path.name, after_first.decode()), Finding)
    assert after_second == after_first


def _json(path: str) -> list[dict]:
    return json.loads(nnlint("check", path, "--format", "json", "--no-cache").stdout)


def test_fix_writes_safe_fixes_and_reports_what_remains(project: Path) -> None:
    (project / "train.py").write_text(BUGGY)
    run = nnlint("check", "train.py", "--fix")
    fixed = (project / "train.py").read_text()
    assert "total += loss.item()" in fixed  # NN501's safe fix
    assert "manual_seed" not in fixed  # NN301's fix is unsafe
    assert re.search(r"^Fixed [1-9]\d* findings?\. Found \d+ remaining", run.stdout, re.MULTILINE)
    # What --fix reports is what a fresh check of the written file finds.
    remaining = _json("train.py")
    assert ("NN204", ZERO_GRAD_ROW) in {(f["code"], f["location"]["row"]) for f in remaining}
    assert "NN501" not in {f["code"] for f in remaining}
    for finding in remaining:
        assert (
            f"train.py:{finding['location']['row']}:{finding['location']['column']}: {finding['code']}"
            in run.stdout
        )
    assert run.code == 1


def test_unsafe_fixes_apply_only_when_asked(project: Path) -> None:
    (project / "train.py").write_text(BUGGY)
    run = nnlint("check", "train.py", "--fix", "--unsafe-fixes", "--format", "json")
    assert "manual_seed" in (project / "train.py").read_text()
    fixed = re.fullmatch(r"nnlint: fixed (\d+) findings\n", run.stderr)  # stdout keeps to the report
    assert fixed and int(fixed.group(1)) >= 2
    assert json.loads(run.stdout) == _json("train.py")


def test_diff_shows_the_fix_and_writes_nothing(project: Path) -> None:
    path = project / "train.py"
    path.write_text(BUGGY)
    before = path.stat()
    run = nnlint("check", "train.py", "--diff")
    assert run.code == 1
    assert run.stdout.startswith("--- a/train.py\n+++ b/train.py\n@@ ")
    assert "-    total += loss\n+    total += loss.item()\n" in run.stdout
    assert re.fullmatch(r"nnlint: would fix [1-9]\d* findings?\n", run.stderr)
    assert path.read_text() == BUGGY and path.stat().st_mtime_ns == before.st_mtime_ns
    assert "manual_seed" in nnlint("check", "train.py", "--diff", "--unsafe-fixes").stdout
    # The diff is exactly what --fix then writes.
    diff = run.stdout
    nnlint("check", "train.py", "--fix")
    after = path.read_text()
    expected = "".join(
        difflib.unified_diff(BUGGY.splitlines(True), after.splitlines(True), "a/train.py", "b/train.py")
    )
    assert diff == expected


def test_diff_of_a_file_without_fixes_is_empty_and_exits_0(project: Path) -> None:
    (project / "clean.py").write_text(CLEAN)
    run = nnlint("check", "clean.py", "--diff")
    assert (run.code, run.stdout) == (0, "")


def test_diff_marks_a_missing_final_newline(project: Path) -> None:
    (project / "train.py").write_text(BUGGY.rstrip("\n"))
    run = nnlint("check", "train.py", "--diff")
    assert "+    total += loss.item()\n\\ No newline at end of file\n" in run.stdout


@pytest.mark.parametrize(
    "args", [("--unsafe-fixes",), ("--add-noqa", "--fix"), ("--add-noqa", "--diff")], ids=" ".join
)
def test_conflicting_options_are_usage_errors(project: Path, args: tuple[str, ...]) -> None:
    (project / "train.py").write_text(BUGGY)
    assert nnlint("check", "train.py", *args).code == 2
    assert (project / "train.py").read_text() == BUGGY


def _fixed_plainly(project: Path, source: str) -> str:
    """What --fix makes of `source` as a plain UTF-8 file with LF line endings."""
    plain = project / "plain" / "train.py"
    plain.parent.mkdir(exist_ok=True)
    plain.write_text(source)
    nnlint("check", str(plain), "--fix")
    return plain.read_text()


def test_fix_keeps_encoding_line_endings_mode_and_symlinks(project: Path) -> None:
    latin = "# -*- coding: latin-1 -*-\n# café\n" + BUGGY
    expected = _fixed_plainly(project, latin)
    assert "total += loss.item()" in expected
    target = project / "real.py"
    target.write_bytes(latin.replace("\n", "\r\n").encode("latin-1"))
    target.chmod(0o754)
    (project / "link.py").symlink_to(target)
    run = nnlint("check", "link.py", "--fix")
    assert "Fixed" in run.stdout
    assert (project / "link.py").is_symlink()
    assert target.read_bytes() == expected.replace("\n", "\r\n").encode("latin-1")
    assert stat.S_IMODE(target.stat().st_mode) == 0o754


def test_fix_keeps_a_utf8_bom(project: Path) -> None:
    expected = _fixed_plainly(project, BUGGY)
    path = project / "train.py"
    path.write_bytes(b"\xef\xbb\xbf" + BUGGY.encode())
    nnlint("check", "train.py", "--fix")
    assert path.read_bytes() == b"\xef\xbb\xbf" + expected.encode()


def test_nothing_is_written_when_the_fix_would_not_parse(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = project / "train.py"
    path.write_text(BUGGY)
    before = path.stat().st_mtime_ns

    def breaking_pass(data: bytes, findings: list[Finding], unsafe: bool) -> tuple[bytes, int] | None:
        raise UnparsableFix

    monkeypatch.setattr("nnlint.session.fix_python", breaking_pass)
    run = nnlint("check", "train.py", "--fix")
    assert run.code == 1
    assert "NN501" in run.stdout and "Fixed" not in run.stdout
    assert "fixes of NN501 were not applied" in run.stderr
    assert path.read_text() == BUGGY and path.stat().st_mtime_ns == before
    assert sorted(p.name for p in project.iterdir() if not p.name.startswith(".nnlint")) == ["train.py"]


# -- the fix loop and the writer, directly -------------------------------------------------------------


def _finding(row: int, column: int, end_column: int, content: str, code: str = "NN999") -> Finding:
    edit = Edit(Position(row, column), Position(row, end_column), content)
    return Finding(
        code=code,
        name="test",
        message="m",
        filename="t.py",
        location=Position(row, column),
        end_location=Position(row, end_column),
        severity=Severity.WARNING,
        fix=Fix("fix", (edit,)),
    )


def test_fix_python_refuses_a_result_that_does_not_parse() -> None:
    with pytest.raises(UnparsableFix):
        fix_python(b"x = 1\n", [_finding(1, 5, 6, "(")], unsafe=False)
    assert fix_python(b"x = 1\n", [_finding(1, 5, 6, "2")], unsafe=False) == (b"x = 2\n", 1)


def test_fix_loop_keeps_good_fixes_and_withholds_a_breaking_rule() -> None:
    data = b"x = 1\ny = 2\n"
    findings = [_finding(1, 5, 6, "(", code="NN998"), _finding(2, 5, 6, "3", code="NN997")]

    def check(new: bytes) -> FileResult:
        # After the good fix only the breaking finding is left; it is offered again and again.
        return FileResult("t.py", [f for f in findings if f.code == "NN998" or new == data])

    outcome = fix_until_stable(data, FileResult("t.py", findings), check, fix_python, unsafe=False)
    assert outcome.data == b"x = 1\ny = 3\n"
    assert outcome.fixed == 1 and outcome.withheld == ["NN998"] and outcome.converged


def test_fix_loop_stops_after_max_passes_when_fixes_never_settle() -> None:
    flip = {b"a = 1\n": b"a = 2\n", b"a = 2\n": b"a = 1\n"}

    def fix_pass(data: bytes, findings: list[Finding], unsafe: bool) -> tuple[bytes, int]:
        return flip[data], 1

    always = FileResult("t.py", [_finding(1, 5, 6, "x")])
    outcome = fix_until_stable(b"a = 1\n", always, lambda new: always, fix_pass, unsafe=False)
    assert outcome.fixed == MAX_PASSES and not outcome.converged


def test_unsafe_fixes_need_the_flag() -> None:
    unsafe = _finding(1, 5, 6, "2")
    unsafe.fix = Fix("fix", unsafe.fix.edits, applicability="unsafe")  # type: ignore[union-attr]
    assert fix_python(b"x = 1\n", [unsafe], unsafe=False) is None
    assert fix_python(b"x = 1\n", [unsafe], unsafe=True) == (b"x = 2\n", 1)


def test_write_atomic_leaves_the_old_file_whole_when_interrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f.py"
    path.write_text("old\n")

    def fail(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        write_atomic(path, b"new\n")
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["f.py"]


def test_write_atomic_gives_new_files_the_usual_mode(tmp_path: Path) -> None:
    umask = os.umask(0)
    os.umask(umask)
    write_atomic(tmp_path / "new.txt", b"x")
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o666 & ~umask
