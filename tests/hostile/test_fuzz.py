"""Fuzzing: generated and mutated programs never make nnlint raise, and always get a report.

Two sources of hostile input, both bounded so that CI pays a few seconds: programs generated from
Python's grammar (hypothesmith, on hypothesis) and random mutations of the real training scripts in
fixtures/ (lines dropped, duplicated, swapped, re-indented, cut short, bytes flipped, brackets and
operators piled up). Every program must come back as a FileResult without a crashed rule; mutations
that still have fixes must fix to a file that parses. NNLINT_FUZZ_EXAMPLES raises the volume (the
default is 150 of each); NNLINT_FUZZ_SEED replays one run of the mutation fuzzer.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import hypothesmith
from hypothesis import HealthCheck, given, settings

from nnlint.finding import Finding
from nnlint.fixes import fix_python, fix_until_stable
from nnlint.rule import all_rules
from nnlint.runner import check_bytes, check_source, parse_source

EXAMPLES = int(os.environ.get("NNLINT_FUZZ_EXAMPLES", "150"))
SEED = int(os.environ.get("NNLINT_FUZZ_SEED", "12"))
RULES = list(all_rules())
SCRIPTS = sorted((Path(__file__).resolve().parents[2] / "fixtures" / "scripts").rglob("*.py"))


def _assert_reported(filename: str, result: object) -> None:
    assert result.filename == filename  # type: ignore[attr-defined]
    assert result.crashes == [], [crash.describe() for crash in result.crashes]  # type: ignore[attr-defined]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(source=hypothesmith.from_grammar())
def test_generated_programs_never_crash(source: str) -> None:
    _assert_reported("generated.py", check_source("generated.py", source, RULES))


_JUNK = ["(", ")", "[", "]", ":", "lambda", "not", "-", "**", "\\", "'", '"""', "#", "\t", "\x00", "é", ";"]


def _mutate(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    kind = rng.randrange(9)
    row = rng.randrange(len(lines))
    if kind == 0:
        del lines[row]
    elif kind == 1:
        lines.insert(row, lines[rng.randrange(len(lines))])
    elif kind == 2:
        other = rng.randrange(len(lines))
        lines[row], lines[other] = lines[other], lines[row]
    elif kind == 3:
        lines[row] = b" " * rng.choice([1, 2, 3, 8]) + lines[row]
    elif kind == 4:
        return data[: rng.randrange(len(data) + 1)]
    elif kind == 5:
        blob = bytearray(data)
        for _ in range(rng.randrange(1, 4)):
            blob[rng.randrange(len(blob))] = rng.randrange(256)
        return bytes(blob)
    elif kind == 6:
        depth = rng.choice([50, 250, 2000])
        lines.insert(row, b"x = " + b"(" * depth + b"1" + b")" * depth)
    elif kind == 7:
        lines.insert(
            row, b"y = " + b"not " * rng.choice([100, 1200]) + b"x + " * rng.choice([10, 400]) + b"1"
        )
    else:
        text = lines[row].decode("utf-8", "replace")
        at = rng.randrange(len(text) + 1)
        lines[row] = (text[:at] + rng.choice(_JUNK) + text[at:]).encode()
    return b"\n".join(lines)


def test_mutated_training_scripts_never_crash_and_fix_to_parsing_files() -> None:
    rng = random.Random(SEED)
    originals = [path.read_bytes() for path in SCRIPTS]
    assert originals, "fixtures/scripts holds the scripts to mutate"
    for number in range(EXAMPLES):
        data = rng.choice(originals)
        for _ in range(rng.randrange(1, 4)):
            data = _mutate(data, rng)
        name = f"mutant{number}.py"
        result = check_bytes(name, data, RULES)
        _assert_reported(name, result)
        if any(f.fix is not None for f in result.findings):
            fixed = fix_until_stable(
                data, result, lambda new, name=name: check_bytes(name, new, RULES), fix_python, True
            )
            assert fixed.result.crashes == []
            text = fixed.data.decode("utf-8", "replace")
            assert not isinstance(parse_source(name, text), Finding), f"seed {SEED}, mutant {number}"


def test_the_project_mutation_fuzzer_runs_clean_on_the_fixtures(tmp_path: Path) -> None:
    """bench/fuzz_check.py (projects of mutated files that import each other) finds no failure; with no
    corpus mirror for the repository named, it mutates fixtures/."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    try:
        import fuzz_check
    finally:
        sys.path.pop(0)
    report = tmp_path / "fuzz.json"
    argv = ["--mutants", "15", "--seed", str(SEED), "--only", "no/such-repo", "--scratch", str(tmp_path)]
    assert fuzz_check.main([*argv, "--json", str(report)]) == 0
    assert report.read_text().strip() == "[]"
