"""Benchmark: `nnlint check` with every rule against the bare libcst parse of the same files, side by side.

The parse is the floor no libcst-based linter can go below, so the ratio check/parse says what the engine
and the rules cost on top of it. Runs alternate (parse, check, parse, check, ...) so both see the same
machine noise, and the medians are compared. The corpus defaults to the installed torch package's own
sources (real PyTorch code, present wherever the probe extra is installed); `--corpus DIR` picks another.
It also times a run with an empty result cache against a run with every file cached (`.nnlint_cache/`).

    python bench/check_bench.py [--corpus DIR] [--files N] [--repeats R]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import libcst as cst

from nnlint.config import Overrides
from nnlint.engine.project import STORE
from nnlint.rule import all_rules
from nnlint.runner import check_bytes, decode_source
from nnlint.session import run_check


def default_corpus() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("torch")
    if spec is None or spec.origin is None:
        sys.exit("no --corpus given and torch is not installed: pass --corpus DIR with Python files")
    return Path(spec.origin).parent


def collect(corpus: Path, limit: int) -> list[tuple[str, bytes]]:
    files = sorted(p for p in corpus.rglob("*.py") if "test" not in p.parts)
    # Spread the sample over the whole tree instead of taking the first folder only.
    step = max(1, len(files) // limit)
    chosen = files[::step][:limit]
    return [(str(path), path.read_bytes()) for path in chosen]


def time_parse(files: list[tuple[str, bytes]]) -> float:
    start = time.perf_counter()
    for _, data in files:
        try:
            cst.parse_module(decode_source(data))
        except Exception:  # noqa: BLE001 - the floor counts failed parses too
            pass
    return time.perf_counter() - start


def time_check(files: list[tuple[str, bytes]]) -> tuple[float, int]:
    """One cold run, as a fresh `nnlint check` process has it: the project modules the files import are
    read (parsed and indexed) again, not taken from an earlier run's store."""
    rules = list(all_rules())
    STORE.clear()
    start = time.perf_counter()
    findings = 0
    for name, data in files:
        findings += len(check_bytes(name, data, rules).findings)
    return time.perf_counter() - start, findings


def time_parallel(paths: list[Path]) -> float:
    start = time.perf_counter()
    run_check(paths, Overrides())
    return time.perf_counter() - start


def time_cache(paths: list[Path]) -> tuple[float, float]:
    """One run with an empty result cache (cold: every file checked and stored), then one with every file
    cached (warm), as `nnlint check` runs them (the cache is on there), worker processes included."""
    import tempfile

    from nnlint.session import CheckOptions

    absolute = [path.resolve() for path in paths]
    options = CheckOptions(cache=True)
    home = Path.cwd()
    with tempfile.TemporaryDirectory() as scratch:
        # Files that no config governs keep their cache in the working directory: a fresh one per run.
        os.chdir(scratch)
        try:
            start = time.perf_counter()
            run_check(absolute, Overrides(), options=options)
            cold = time.perf_counter() - start
            start = time.perf_counter()
            run_check(absolute, Overrides(), options=options)
            warm = time.perf_counter() - start
        finally:
            os.chdir(home)
    return cold, warm


def time_cold_single_file(path: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "nnlint", "check", str(path), "--exit-zero"],
        capture_output=True,
        check=True,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--files", type=int, default=150)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    corpus = args.corpus or default_corpus()
    files = collect(corpus, args.files)
    size = sum(len(data) for _, data in files)
    print(f"corpus: {len(files)} files, {size / 1e6:.1f} MB from {corpus}")

    time_parse(files[:5])  # warm imports and caches
    time_check(files[:5])
    parse_times, check_times, ratios = [], [], []
    findings = 0
    for _ in range(args.repeats):
        parse = time_parse(files)
        check, findings = time_check(files)
        parse_times.append(parse)
        check_times.append(check)
        ratios.append(check / parse)
    print(f"parse only (floor), one process : median {statistics.median(parse_times):.2f} s")
    check_median = statistics.median(check_times)
    print(f"check, all rules, one process   : median {check_median:.2f} s ({findings} findings)")
    print(f"ratio check / parse-only floor  : {statistics.median(ratios):.2f}x (median of per-run ratios)")

    paths = [Path(name) for name, _ in files]
    parallel = [time_parallel(paths) for _ in range(max(1, args.repeats // 2))]
    cores = os.cpu_count() or 1
    print(
        f"check, {cores} worker processes   : median {statistics.median(parallel):.2f} s, "
        f"{statistics.median(parse_times) / statistics.median(parallel):.2f}x faster than the serial parse"
    )

    cached = [time_cache(paths) for _ in range(max(1, args.repeats // 2))]
    cold_cache = statistics.median(cold for cold, _ in cached)
    warm_cache = statistics.median(warm for _, warm in cached)
    print(
        f"result cache, {cores} workers      : cold {cold_cache:.2f} s, warm {warm_cache:.2f} s, "
        f"warm run {statistics.median(c / w for c, w in cached):.1f}x faster (median of cold/warm ratios)"
    )

    script = Path(__file__).resolve().parent.parent / "fixtures" / "scripts"
    sample = next(iter(sorted(script.rglob("*.py"))), None) if script.is_dir() else None
    if sample is not None:
        cold = [time_cold_single_file(sample) for _ in range(5)]
        print(f"cold single-file check (process start included): median {statistics.median(cold):.2f} s")


if __name__ == "__main__":
    main()
