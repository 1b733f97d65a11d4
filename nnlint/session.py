"""A whole `nnlint check` run: discover files, pick the rules for each, check them in parallel, collect;
on request, fix them (`--fix`), show what fixing would change (`--diff`) or add noqa comments.

Files are independent, so they are checked in worker processes (one per core) once there are enough of
them to pay for starting the workers; a handful of files is checked in this process, which keeps a
single-file check fast. Each worker does all the work for its file, writes included (atomically): read the
bytes, ask the cache, check, then fix or annotate.

Python files and notebooks differ only in how they are checked and how one fix pass is applied (`_Kind`);
reading, caching, the fix loop and writing are the same for both.

One file never sinks the run: a file that takes longer than `CheckOptions.time_limit` is stopped and
reported (NN000), and a worker process that dies on a file (a crash in native code) is replaced; the
files it had not reported are checked again one process each, so the file that killed it gets an NN000
finding and every other file its normal report.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from nnlint.atomic import write_atomic
from nnlint.cache import CACHE_DIR_NAME, Cache, settings_digest
from nnlint.config import Config, Overrides, config_for, rules_for_codes
from nnlint.crossfile import settle
from nnlint.discovery import discover
from nnlint.engine.project import begin_check, files_changed, project_run
from nnlint.finding import Finding
from nnlint.fixes import (
    MAX_PASSES,
    FixPass,
    apply_edits,
    encode_like,
    fix_python,
    fix_until_stable,
    unified_diff,
)
from nnlint.rule import Rule
from nnlint.runner import FileResult, RuleCrash, check_bytes, decode_source, parse_source, syntax_finding
from nnlint.suppress import NOT_SUPPRESSIBLE, noqa_edits

# Below this many files, worker processes cost more than they save.
PARALLEL_THRESHOLD = 8


@dataclass(frozen=True)
class CheckOptions:
    """What a run does besides reporting. The CLI turns the cache on; library callers opt in."""

    fix: bool = False  # write fixes to the files
    diff: bool = False  # compute the fixes and collect diffs, write nothing
    unsafe_fixes: bool = False  # with fix or diff: apply unsafe fixes too
    add_noqa: bool = False  # write a noqa comment for every finding
    cache: bool = False
    # Seconds one file may take (check and fixes) before it is reported as too slow; None: no limit.
    time_limit: float | None = 60.0

    @property
    def fixing(self) -> bool:
        return self.fix or self.diff


@dataclass
class CheckOutcome:
    findings: list[Finding] = field(default_factory=list)
    crashes: list[RuleCrash] = field(default_factory=list)
    files: int = 0
    # Files that could not be read or written: the run reports them and exits 2.
    errors: list[str] = field(default_factory=list)
    # What a run could not do but went on without (a fix withheld because it would break the file).
    warnings: list[str] = field(default_factory=list)
    # Fixes applied (with --diff: fixes that would be applied) and their unified diffs.
    fixed: int = 0
    diffs: list[str] = field(default_factory=list)
    noqa_added: int = 0


@dataclass(frozen=True)
class _Job:
    path: str
    codes: frozenset[str]
    options: CheckOptions
    cache: Cache | None


@dataclass
class _FileOutcome:
    result: FileResult
    fixed: int = 0
    diff: str = ""
    noqa_added: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Kind:
    """How one kind of source file is checked and how one fix pass is applied to it."""

    check: Callable[[str, bytes, list[type[Rule]]], FileResult]
    fix_pass: FixPass


def _kind(path: str) -> _Kind:
    if path.endswith(".ipynb"):
        from nnlint.notebook import check_notebook, fix_notebook_pass

        return _Kind(check_notebook, fix_notebook_pass)
    return _Kind(check_bytes, fix_python)


class _TimeLimit(BaseException):
    """Raised in a file's check when its time is up; a BaseException, so no rule's `except` stops it."""


@contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    """Raise _TimeLimit after `seconds` (a SIGALRM timer: only in a process's main thread, else no limit)."""
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise _TimeLimit

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _stopped(path: str, message: str) -> _FileOutcome:
    """The outcome of a file whose check could not finish: one NN000 finding that says why."""
    return _FileOutcome(FileResult(path, [syntax_finding(path, message, 1, 1)]))


def _process(job: _Job) -> _FileOutcome | str:
    """Everything one file needs, in a worker: read, check (or ask the cache), then fix or annotate."""
    try:
        with _time_limit(job.options.time_limit):
            return _process_file(job)
    except _TimeLimit:
        limit = job.options.time_limit
        return _stopped(job.path, f"Cannot check this file: it took longer than {limit:g} s (not checked)")


def _process_file(job: _Job) -> _FileOutcome | str:
    try:
        data = Path(job.path).read_bytes()
    except OSError as error:
        return f"{job.path}: cannot read: {error.strerror or error}"
    kind = _kind(job.path)
    rules = rules_for_codes(job.codes)
    result = job.cache.get(job.path, data) if job.cache else None
    if result is None:
        result = kind.check(job.path, data, rules)
        if job.cache:
            job.cache.put(job.path, data, result)
    outcome = _FileOutcome(result)
    if job.options.fixing:
        _fix(job, kind, rules, data, outcome)
    elif job.options.add_noqa:
        _add_noqa(job, data, outcome)
    return outcome


def _fix(job: _Job, kind: _Kind, rules: list[type[Rule]], data: bytes, outcome: _FileOutcome) -> None:
    original = outcome.result
    fixed = fix_until_stable(
        data,
        original,
        lambda new: kind.check(job.path, new, rules),
        kind.fix_pass,
        job.options.unsafe_fixes,
    )
    outcome.result, outcome.fixed = fixed.result, fixed.fixed
    if fixed.withheld:
        outcome.warnings.append(
            f"{job.path}: fixes of {', '.join(fixed.withheld)} were not applied: the file would not parse "
            "afterwards (please report this)"
        )
    if not fixed.converged:
        outcome.warnings.append(
            f"{job.path}: fixes still applied after {MAX_PASSES} passes; some fixes undo others "
            "(please report this)"
        )
    if fixed.data == data:
        return
    if job.options.diff:
        outcome.diff = unified_diff(job.path, _text(data), _text(fixed.data))
        return
    try:
        write_atomic(job.path, fixed.data, expected=data)
    except OSError as error:
        outcome.errors.append(f"{job.path}: cannot write the fixes: {error.strerror or error}")
        outcome.result, outcome.fixed = original, 0
        return
    finally:
        files_changed()  # a later check imports the fixed module: it must not see its old text
    if job.cache:
        job.cache.put(job.path, fixed.data, fixed.result)


def _add_noqa(job: _Job, data: bytes, outcome: _FileOutcome) -> None:
    suppressible = [f for f in outcome.result.findings if f.code not in NOT_SUPPRESSIBLE]
    if not suppressible:
        return
    if job.path.endswith(".ipynb"):
        outcome.warnings.append(
            f"{job.path}: --add-noqa does not write into notebooks; add the comments by hand"
        )
        return
    source = decode_source(data)
    edits = noqa_edits(source, suppressible)
    if not edits:
        return
    annotated = apply_edits(source, edits)
    if isinstance(parse_source(job.path, annotated), Finding):
        outcome.warnings.append(
            f"{job.path}: noqa comments not added: the file would not parse (please report this)"
        )
        return
    try:
        write_atomic(job.path, encode_like(data, annotated), expected=data)
    except (OSError, UnicodeEncodeError) as error:
        outcome.errors.append(f"{job.path}: cannot write the noqa comments: {error}")
        return
    finally:
        files_changed()  # as after a fix: later checks see the annotated file as it is now
    outcome.noqa_added = len(edits)


def _text(data: bytes) -> str:
    """A file's text for a diff: decoded as Python would, or as UTF-8 with replacements."""
    try:
        return decode_source(data)
    except (UnicodeDecodeError, LookupError):
        return data.decode("utf-8", errors="replace")


def _display(path: Path) -> str:
    """Paths as the user would write them: relative to the working directory when below it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError, RuntimeError):  # not below it, or a symlink loop
        return path.as_posix()


def run_check(
    paths: list[Path],
    overrides: Overrides,
    explicit: Config | None = None,
    jobs: int | None = None,
    options: CheckOptions | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> CheckOutcome:
    """Check the files under `paths`; `on_progress(done, total)` is called as files finish.

    A run that writes nothing holds the file tree still for all its files (`project_run`; worker
    processes inherit the run and keep their own copy of what it confirmed). One that writes (--fix,
    --add-noqa) confirms the tree per file as before: a worker's write is not seen by another
    worker's run, and each write also ends what its own process had confirmed (`files_changed`)."""
    options = options or CheckOptions()
    writes = (options.fix and not options.diff) or options.add_noqa
    with nullcontext() if writes else project_run():
        return _run_check(paths, overrides, explicit, jobs, options, on_progress)


def _run_check(
    paths: list[Path],
    overrides: Overrides,
    explicit: Config | None,
    jobs: int | None,
    options: CheckOptions,
    on_progress: Callable[[int, int], None] | None,
) -> CheckOutcome:
    begin_check()  # the cache lookups of this run see the project listings as they are now
    work = []
    digests: dict[frozenset[str], str] = {}
    unlisted: list[str] = []
    for path in discover(paths, explicit, overrides=overrides, problems=unlisted):
        config = config_for(path, explicit)
        codes = config.enabled_codes(path, overrides)
        cache = None
        if options.cache:
            if codes not in digests:
                digests[codes] = settings_digest(codes)
            # Beside the config file that governs the file, or in the working directory.
            cache = Cache(config.root / CACHE_DIR_NAME, digests[codes])
        work.append(_Job(_display(path), codes, options, cache))
    outcome = CheckOutcome(files=len(work), warnings=unlisted)
    # Never more workers than files: a pool forks all of them up front (`-j 100000` forked for minutes).
    workers = min(jobs if jobs is not None else (os.cpu_count() or 1), len(work))
    if workers > 1 and len(work) >= PARALLEL_THRESHOLD:
        results = _in_workers(work, workers, on_progress)
    else:
        results = _track((_process(job) for job in work), len(work), on_progress)
    for result in results:
        if isinstance(result, str):
            outcome.errors.append(result)
            continue
        outcome.findings.extend(result.result.findings)
        outcome.crashes.extend(result.result.crashes)
        outcome.errors.extend(result.errors)
        outcome.warnings.extend(result.warnings)
        outcome.fixed += result.fixed
        outcome.noqa_added += result.noqa_added
        if result.diff:
            outcome.diffs.append(result.diff)
    outcome.findings.sort(key=Finding.sort_key)
    outcome.findings = settle(outcome.findings, explicit, overrides)
    if options.cache:
        from nnlint.cache import prune

        for directory in {job.cache.directory for job in work if job.cache is not None}:
            prune(directory)
    return outcome


def _track(
    results: Iterable[_FileOutcome | str], total: int, on_progress: Callable[[int, int], None] | None
) -> list[_FileOutcome | str]:
    """Collect results in order, telling `on_progress` how many are done."""
    collected = []
    for result in results:
        collected.append(result)
        if on_progress is not None:
            on_progress(len(collected), total)
    return collected


def check_stdin(
    filename: str, data: bytes, overrides: Overrides, explicit: Config | None, options: CheckOptions
) -> tuple[CheckOutcome, bytes]:
    """Check text read from standard input as if it were `filename` (its config, its per-file ignores);
    with --fix or --diff, also return the fixed text. Nothing is read from or written to disk."""
    path = Path(filename)
    config = config_for(path, explicit)
    kind = _kind(filename)
    rules = rules_for_codes(config.enabled_codes(path, overrides))
    result = kind.check(filename, data, rules)
    outcome = CheckOutcome(files=1)
    fixed_data = data
    if options.fixing:
        fixed = fix_until_stable(
            data, result, lambda new: kind.check(filename, new, rules), kind.fix_pass, options.unsafe_fixes
        )
        result, outcome.fixed, fixed_data = fixed.result, fixed.fixed, fixed.data
        if options.diff and fixed.data != data:
            outcome.diffs.append(unified_diff(filename, _text(data), _text(fixed.data)))
    outcome.findings = sorted(result.findings, key=Finding.sort_key)
    outcome.crashes = list(result.crashes)
    return outcome, fixed_data


def _process_chunk(jobs: list[_Job]) -> list[_FileOutcome | str]:
    return [_process(job) for job in jobs]


def _in_workers(
    work: list[_Job], workers: int, on_progress: Callable[[int, int], None] | None = None
) -> list[_FileOutcome | str]:
    """Check `work` in worker processes, in order; a worker that dies costs only the file it died on."""
    # Imported here: a single-file check never starts workers and should not pay for the import.
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool
    from multiprocessing import get_context

    size = max(1, len(work) // (workers * 8))
    chunks = [work[start : start + size] for start in range(0, len(work), size)]
    done: list[list[_FileOutcome | str] | None] = [None] * len(chunks)
    finished = 0
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:
        futures = []
        for chunk in chunks:
            try:
                futures.append(pool.submit(_process_chunk, chunk))
            except BrokenProcessPool:  # a worker died while the rest were still being handed out
                break
        for number, future in enumerate(futures):
            try:
                done[number] = future.result()
            except BrokenProcessPool:
                pass  # every chunk not finished yet is checked again below, one file per process
            finished += len(chunks[number])
            if on_progress is not None:
                on_progress(finished, len(work))
    results: list[_FileOutcome | str] = []
    for chunk, outcomes in zip(chunks, done, strict=True):
        results.extend(outcomes if outcomes is not None else [_alone(job) for job in chunk])
    return results


def _alone(job: _Job) -> _FileOutcome | str:
    """Check one file in a process of its own: if native code crashes on it, only that process dies."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool
    from multiprocessing import get_context

    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("fork")) as pool:
        try:
            return pool.submit(_process, job).result()
        except BrokenProcessPool:
            return _stopped(
                job.path, "Cannot check this file: nnlint's parser crashed on it (please report this)"
            )
