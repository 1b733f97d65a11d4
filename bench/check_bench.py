"""Benchmark: `nnlint check` with every rule against the bare libcst parse of the same files, side by side.

The parse is the floor no libcst-based linter can go below, so the ratio check/parse says what the engine
and the rules cost on top of it, project-wide pass included: every check is cold, as a fresh `nnlint
check` process has it (the module store that keeps the project modules the files import is emptied first,
also before worker processes are started, which would otherwise inherit it filled). Runs alternate
(parse, check, parse, check, ...) so both see the same machine noise, and the medians of the per-run
ratios are compared, in one process and in `--jobs` processes (the parse split over as many processes as
the check's workers). Each ratio is given in wall time and in CPU time (the processes' own, children
included): on a shared machine the CPU-time ratio is the steadier one. The corpus defaults to the
installed torch package's own sources (real PyTorch code, present wherever the probe extra is installed);
`--corpus DIR` picks another. The findings of the worker run must equal those of the one-process run.
It also times a run with an empty result cache against a run with every file cached (`.nnlint_cache/`),
and a cold `nnlint check FILE` of single files (fresh process, no result cache, byte-code as installed).

    python bench/check_bench.py [--corpus DIR] [--files N] [--repeats R] [--jobs J]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import libcst as cst

from nnlint.config import Overrides
from nnlint.engine.project import STORE, project_run
from nnlint.finding import Finding
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


def _clock() -> tuple[float, float]:
    """Wall time and CPU time of this process and of its finished children (worker processes)."""
    times = os.times()
    return time.perf_counter(), times.user + times.system + times.children_user + times.children_system


def _since(start: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = _clock()
    return wall - start[0], cpu - start[1]


def _parse_all(files: list[tuple[str, bytes]]) -> None:
    for _, data in files:
        try:
            cst.parse_module(decode_source(data))
        except Exception:  # noqa: BLE001 - the floor counts failed parses too
            pass


def time_parse(files: list[tuple[str, bytes]], jobs: int = 1) -> tuple[float, float]:
    """The bare parse of every file, in this process or split over `jobs` worker processes."""
    start = _clock()
    if jobs <= 1:
        _parse_all(files)
    else:
        from concurrent.futures import ProcessPoolExecutor
        from multiprocessing import get_context

        with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork")) as pool:
            list(pool.map(_parse_all, [files[start::jobs] for start in range(jobs)]))
    return _since(start)


def time_check(files: list[tuple[str, bytes]]) -> tuple[float, float, int]:
    """One cold run, as a fresh `nnlint check` process has it: the project modules the files import are
    read (parsed and indexed) again, not taken from an earlier run's store, and the files are checked in
    one run that confirms the file tree once (`project_run`), as `run_check` does."""
    rules = list(all_rules())
    STORE.clear()
    start = _clock()
    findings = 0
    with project_run():
        for name, data in files:
            findings += len(check_bytes(name, data, rules).findings)
    return (*_since(start), findings)


def time_parallel(paths: list[Path], jobs: int) -> tuple[float, float, list[Finding]]:
    """One cold `nnlint check` run in `jobs` worker processes (forked with an empty module store)."""
    STORE.clear()
    start = _clock()
    outcome = run_check(paths, Overrides(), jobs=jobs)
    return (*_since(start), outcome.findings)


def time_cache(paths: list[Path], jobs: int) -> tuple[float, float]:
    """One run with an empty result cache (cold: every file checked and stored), then one with every file
    cached (warm), as `nnlint check` runs them (the cache is on there), worker processes included."""
    from nnlint.session import CheckOptions

    absolute = [path.resolve() for path in paths]
    options = CheckOptions(cache=True)
    home = Path.cwd()
    with tempfile.TemporaryDirectory() as scratch:
        # Files that no config governs keep their cache in the working directory: a fresh one per run.
        os.chdir(scratch)
        try:
            STORE.clear()
            start = time.perf_counter()
            run_check(absolute, Overrides(), jobs=jobs, options=options)
            cold = time.perf_counter() - start
            start = time.perf_counter()
            run_check(absolute, Overrides(), jobs=jobs, options=options)
            warm = time.perf_counter() - start
        finally:
            os.chdir(home)
    return cold, warm


def time_cold_single_file(path: Path, pycache: Path) -> float:
    """One `nnlint check FILE` in a fresh process, as a user's editor hook runs it: no result cache (a cached
    answer is a warm run, not a cold one) and nnlint's byte-code compiled, as an install has it (shells that
    set PYTHONDONTWRITEBYTECODE would otherwise compile every nnlint module in every run: the byte-code goes
    to `pycache`, written by a warm-up run). The file stays where it is, so its project is read as usual."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "nnlint", "check", str(path), "--exit-zero", "--no-cache"],
        capture_output=True,
        check=True,
        env=env,
    )
    return time.perf_counter() - start


def _print_ratios(label: str, ratios: list[tuple[float, float]]) -> None:
    wall = statistics.median(ratio for ratio, _ in ratios)
    cpu = statistics.median(ratio for _, ratio in ratios)
    print(f"ratio check / parse-only floor, {label}: {wall:.2f}x wall, {cpu:.2f}x CPU (medians of runs)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--files", type=int, default=150)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes of the parallel run")
    args = parser.parse_args()
    corpus = args.corpus or default_corpus()
    files = collect(corpus, args.files)
    size = sum(len(data) for _, data in files)
    print(f"corpus: {len(files)} files, {size / 1e6:.1f} MB from {corpus}")

    time_parse(files[:5])  # warm imports and caches
    time_check(files[:5])
    serial: list[tuple[float, float]] = []
    findings = 0
    for _ in range(args.repeats):
        parse = time_parse(files)
        *check, findings = time_check(files)
        serial.append((check[0] / parse[0], check[1] / parse[1]))
        print(f"  one process: parse {parse[0]:.2f} s, check {check[0]:.2f} s (wall)", flush=True)
    print(f"check, all rules, one process ({findings} findings)")
    _print_ratios("one process", serial)

    paths = [Path(name) for name, _ in files]
    jobs = args.jobs
    parallel: list[tuple[float, float]] = []
    STORE.clear()
    in_process = run_check(paths, Overrides(), jobs=1).findings
    worker_findings: list[Finding] = []
    for _ in range(args.repeats):
        parse = time_parse(files, jobs)
        *check, worker_findings = time_parallel(paths, jobs)
        parallel.append((check[0] / parse[0], check[1] / parse[1]))
        print(f"  {jobs} processes: parse {parse[0]:.2f} s, check {check[0]:.2f} s (wall)", flush=True)
    _print_ratios(f"{jobs} processes", parallel)
    same = [f.to_json() for f in worker_findings] == [f.to_json() for f in in_process]
    print(f"findings in {jobs} worker processes equal the one-process run's: {'yes' if same else 'NO'}")

    cached = [time_cache(paths, jobs) for _ in range(max(1, args.repeats // 2))]
    cold_cache = statistics.median(cold for cold, _ in cached)
    warm_cache = statistics.median(warm for _, warm in cached)
    print(
        f"result cache, {jobs} workers: cold {cold_cache:.2f} s, warm {warm_cache:.2f} s, "
        f"warm run {statistics.median(c / w for c, w in cached):.1f}x faster (median of cold/warm ratios)"
    )

    scripts = Path(__file__).resolve().parent.parent / "fixtures" / "scripts"
    samples = [next(iter(sorted(scripts.rglob("*.py"))), None), scripts / "showcase" / "buggy_train.py"]
    with tempfile.TemporaryDirectory(prefix="nnlint-pycache-") as pycache:
        for sample in samples:
            if sample is None or not sample.is_file():
                continue
            time_cold_single_file(sample, Path(pycache))  # warm-up: byte-code, the page cache
            cold = [time_cold_single_file(sample, Path(pycache)) for _ in range(5)]
            print(
                f"cold single-file check of {sample.relative_to(scripts)} (fresh process, no result cache): "
                f"median {statistics.median(cold):.2f} s"
            )


if __name__ == "__main__":
    main()
