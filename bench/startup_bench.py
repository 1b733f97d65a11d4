"""Benchmark: the cold start of `nnlint check one_file.py` in this working tree against another commit.

A single-file check is what an editor hook or a pre-commit run of one staged file pays for, and most of its
time is start-up: the interpreter, libcst's import, nnlint's own imports, the first check. Absolute times
swing with the machine's load, so the two versions run alternately (base, current, base, current, ...)
from copies laid out as an installed package (`nnlint/rules` inside `nnlint/`, byte-code written by a
warm-up run), each a fresh process with an empty result cache, and the medians are compared, as wall time
and as CPU time (user + system, which load disturbs less). `python -c "import libcst"` runs alongside as
the floor that no libcst-based checker can start below.

    python bench/startup_bench.py [--base REF] [--file PATH] [--repeats N]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_FILE = REPO / "fixtures" / "scripts" / "arch" / "cnn_classifier_buggy.py"


def _layout(tree: Path) -> Path:
    """Move the top-level `rules/` to `nnlint/rules`, where an install puts it (`nnlint.rules`)."""
    rules = tree / "rules"
    if rules.is_dir() and not (tree / "nnlint" / "rules").exists():
        rules.rename(tree / "nnlint" / "rules")
    return tree


def _materialize_commit(ref: str, target: Path) -> Path:
    target.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref, "nnlint", "rules"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return _layout(target)


def _materialize_worktree(target: Path) -> Path:
    """The working tree as it is, uncommitted edits included (tracked and untracked, not ignored)."""
    listed = subprocess.run(
        [
            "git",
            "-C",
            str(REPO),
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
            "--",
            "nnlint",
            "rules",
        ],
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)
    return _layout(target)


def _timed(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base", default="main", help="the commit to compare with (default: main)")
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="the one file to check")
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="nnlint-startup-") as scratch:
        root = Path(scratch)
        trees = {
            "base": _materialize_commit(args.base, root / "base"),
            "current": _materialize_worktree(root / "current"),
        }
        # The checked file sits alone in a folder with no config, so its result cache lands in that
        # folder and is deleted before every run: each run is a first run.
        work = root / "work"
        work.mkdir()
        checked = work / args.file.name
        shutil.copyfile(args.file, checked)
        env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
        commands = {
            name: (
                [sys.executable, "-m", "nnlint", "check", checked.name, "--exit-zero"],
                dict(env, PYTHONPATH=str(tree)),
            )
            for name, tree in trees.items()
        }
        commands["import libcst"] = ([sys.executable, "-c", "import libcst"], env)
        for command, command_env in commands.values():  # warm-up: byte-code caches, the page cache
            _timed(command, command_env, work)
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.repeats):
            for name, (command, command_env) in commands.items():
                shutil.rmtree(work / ".nnlint_cache", ignore_errors=True)
                samples[name].append(_timed(command, command_env, work))

    print(f"cold `nnlint check {args.file.name}` (fresh process, no cache), {args.repeats} alternating runs:")
    for name, runs in samples.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        print(f"  {name:<13} wall median {wall:.3f} s   cpu median {cpu:.3f} s")
    pairs = list(zip(samples["current"], samples["base"], strict=True))
    wall_ratio = statistics.median(current[0] / base[0] for current, base in pairs)
    cpu_ratio = statistics.median(current[1] / base[1] for current, base in pairs)
    print(
        f"  current / base ({args.base}): wall {wall_ratio:.2f}x, cpu {cpu_ratio:.2f}x "
        "(medians of paired ratios)"
    )
    floor = statistics.median(c for _, c in samples["import libcst"])
    for name in ("base", "current"):
        above = statistics.median(c for _, c in samples[name]) - floor
        print(f"  {name:<13} cpu above the `import libcst` floor: {above:.3f} s")


if __name__ == "__main__":
    main()
