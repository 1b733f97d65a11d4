"""A whole `nnlint check` run: discover files, pick the rules for each, check them in parallel, collect.

Files are independent, so they are checked in worker processes (one per core) once there are enough of
them to pay for starting the workers; a handful of files is checked in this process, which keeps a
single-file check fast.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from nnlint.config import Config, Overrides, config_for, rules_for_codes
from nnlint.discovery import discover
from nnlint.finding import Finding
from nnlint.runner import FileResult, RuleCrash, check_bytes

# Below this many files, worker processes cost more than they save.
PARALLEL_THRESHOLD = 8


@dataclass
class CheckOutcome:
    findings: list[Finding] = field(default_factory=list)
    crashes: list[RuleCrash] = field(default_factory=list)
    files: int = 0
    unreadable: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Job:
    path: str
    codes: frozenset[str]


def _check_job(job: _Job) -> FileResult | str:
    try:
        data = Path(job.path).read_bytes()
    except OSError as error:
        return f"{job.path}: cannot read: {error.strerror or error}"
    return check_bytes(job.path, data, rules_for_codes(job.codes))


def _display(path: Path) -> str:
    """Paths as the user would write them: relative to the working directory when below it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def run_check(
    paths: list[Path],
    overrides: Overrides,
    explicit: Config | None = None,
    jobs: int | None = None,
) -> CheckOutcome:
    work = []
    for path in discover(paths, explicit):
        config = config_for(path, explicit)
        work.append(_Job(_display(path), config.enabled_codes(path, overrides)))
    outcome = CheckOutcome(files=len(work))
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers > 1 and len(work) >= PARALLEL_THRESHOLD:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:
            results = list(pool.map(_check_job, work, chunksize=max(1, len(work) // (workers * 8))))
    else:
        results = [_check_job(job) for job in work]
    for result in results:
        if isinstance(result, str):
            outcome.unreadable.append(result)
            continue
        outcome.findings.extend(result.findings)
        outcome.crashes.extend(result.crashes)
    outcome.findings.sort(key=Finding.sort_key)
    return outcome
