"""One file never sinks a run: deep nesting, a dying worker, a slow file and a crashing rule each cost
only the file they happen in, which gets an NN000 finding (or a loud error), while every other file is
reported normally and the exit code says what happened."""

from __future__ import annotations

import faulthandler
import os
import signal
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import nnlint.session as session
from nnlint.cli import main
from nnlint.config import Overrides
from nnlint.rule import all_rules
from nnlint.runner import check_source
from nnlint.session import CheckOptions, run_check

GOOD = "import torch\nx = torch.zeros(3)\n"
PERMUTED = textwrap.dedent(
    """\
    import torch
    def f(x):
        b, c, h, w = x.shape
        return x.view(b, h, w, c)
    """
)


def _codes(findings: list) -> list[tuple[str, str]]:
    return sorted((Path(f.filename).name, f.code) for f in findings)


def test_brackets_nested_past_cpythons_limit_are_nn000_not_a_segfault() -> None:
    source = "x = " + "(" * 2000 + "1" + ")" * 2000 + "\n"
    result = check_source("deep.py", source, list(all_rules()))
    assert [f.code for f in result.findings] == ["NN000"]
    assert "too many nested parentheses" in result.findings[0].message
    assert "nesting too deep to analyse" in result.findings[0].message


def test_thousands_of_nested_operators_are_nn000() -> None:
    source = "x = " + "not " * 20000 + "a\n"  # segfaults libcst's parser; CPython gives up on it too
    result = check_source("deep.py", source, list(all_rules()))
    assert [f.message for f in result.findings] == ["Cannot parse this file: nesting too deep to analyse"]


def test_deep_expressions_are_analysed_without_recursion_errors() -> None:
    # A 600-term sum and a 1,000-deep `not` chain exhaust the default recursion limit in the engine and
    # in the position code; the finding below them must still be reported, with no crashed rule.
    source = PERMUTED.replace(
        "    return",
        "    y = " + " + ".join(["x"] * 600) + "\n    z = " + "not " * 1000 + "x\n    return",
    ).replace("w, c)", "w, c) + (" + " + ".join(["x"] * 600) + ")")
    result = check_source("deep.py", source, list(all_rules()))
    assert result.crashes == []
    assert [(f.code, f.location.row) for f in result.findings] == [("NN101", 6)]


def test_a_deep_file_in_a_folder_costs_only_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for number in range(9):
        (tmp_path / f"good{number}.py").write_text(GOOD)
    (tmp_path / "permuted.py").write_text(PERMUTED)
    (tmp_path / "brackets.py").write_text("x = " + "[" * 3000 + "]" * 3000 + "\n")
    result = CliRunner().invoke(main, ["check", "--no-cache", "-j", "2", "--format", "concise", "."])
    assert result.exit_code == 1, result.output
    assert "brackets.py:1:" in result.output and "NN000" in result.output
    assert "permuted.py:4:" in result.output and "NN101" in result.output
    assert "in 11 files" in result.output
    assert "Traceback" not in result.output


def _dies_on_boom(check):
    def checked(filename: str, data: bytes, rules: list) -> object:
        if "boom" in filename:
            faulthandler.disable()  # pytest's, inherited by the worker: it would print a stack dump
            os.kill(os.getpid(), signal.SIGSEGV)  # what libcst's parser does on a stack overflow
        return check(filename, data, rules)

    return checked


def test_a_worker_that_dies_costs_only_its_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(session, "check_bytes", _dies_on_boom(session.check_bytes))
    paths = []
    for number in range(12):
        path = tmp_path / f"file{number:02}.py"
        path.write_text(PERMUTED)
        paths.append(path)
    (tmp_path / "boom.py").write_text(GOOD)
    outcome = run_check([tmp_path], Overrides(), jobs=2)
    assert outcome.files == 13
    assert _codes(outcome.findings) == sorted([("boom.py", "NN000")] + [(p.name, "NN101") for p in paths])
    boom = next(f for f in outcome.findings if f.code == "NN000")
    assert "crashed" in boom.message


def test_a_worker_that_dies_while_work_is_handed_out_costs_only_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under load the first chunk can kill its worker before the last chunk is submitted: `submit` on a
    broken pool raises BrokenProcessPool, which escaped as a traceback (seen once in a loaded test run).
    Here the second submission waits until the pool is broken, which makes that order certain."""
    from concurrent.futures import ProcessPoolExecutor

    submit = ProcessPoolExecutor.submit

    def submit_after_the_break(pool: ProcessPoolExecutor, *args: object, **kwargs: object) -> object:
        if getattr(pool, "_submitted", False):
            deadline = time.monotonic() + 30
            while not pool._broken and time.monotonic() < deadline:  # type: ignore[attr-defined]
                time.sleep(0.01)
        pool._submitted = True  # type: ignore[attr-defined]
        return submit(pool, *args, **kwargs)

    monkeypatch.setattr(ProcessPoolExecutor, "submit", submit_after_the_break)
    monkeypatch.setattr(session, "check_bytes", _dies_on_boom(session.check_bytes))
    (tmp_path / "boom.py").write_text(GOOD)  # sorted first: the first chunk
    paths = [tmp_path / f"file{number:02}.py" for number in range(12)]
    for path in paths:
        path.write_text(PERMUTED)
    outcome = run_check([tmp_path], Overrides(), jobs=2)
    assert _codes(outcome.findings) == sorted([("boom.py", "NN000")] + [(p.name, "NN101") for p in paths])


def test_a_file_over_the_time_limit_is_reported_and_the_rest_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check = session.check_bytes

    def slow(filename: str, data: bytes, rules: list) -> object:
        if "slow" in filename:
            while True:
                time.sleep(0.01)
        return check(filename, data, rules)

    monkeypatch.setattr(session, "check_bytes", slow)
    (tmp_path / "slow.py").write_text(GOOD)
    (tmp_path / "permuted.py").write_text(PERMUTED)
    outcome = run_check([tmp_path], Overrides(), jobs=1, options=CheckOptions(time_limit=0.3))
    assert _codes(outcome.findings) == [("permuted.py", "NN101"), ("slow.py", "NN000")]
    slow_finding = next(f for f in outcome.findings if f.code == "NN000")
    assert "took longer than 0.3 s" in slow_finding.message


def test_a_crashed_rule_never_ends_in_all_checks_passed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nnlint.rules.zero_grad_after_backward import ZeroGradAfterBackward

    def explode(self: object) -> None:
        raise ValueError("boom")

    monkeypatch.setattr(ZeroGradAfterBackward, "finish", explode)
    path = tmp_path / "clean.py"
    path.write_text(GOOD)
    result = CliRunner().invoke(main, ["check", "--no-cache", str(path)])
    assert result.exit_code == 2
    assert "All checks passed" not in result.output
    assert "check is incomplete: 1 error" in result.output
    assert "rule NN204 crashed" in result.output


def test_a_crashed_rule_is_in_the_summary_beside_other_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With findings to report, the summary said only "Found 1 finding ..." although a rule had crashed
    (exit 2): the one line that told it was an error line above, scrolled away by a long report."""
    from nnlint.rules.zero_grad_after_backward import ZeroGradAfterBackward

    def explode(self: object) -> None:
        raise ValueError("boom")

    monkeypatch.setattr(ZeroGradAfterBackward, "finish", explode)
    path = tmp_path / "train.py"
    path.write_text(
        "import torch\nmodel = torch.nn.Linear(2, 2)\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "for x, y in loader:\n    loss = (model(x) - y).pow(2).mean()\n    loss.backward()\n    opt.step()\n"
        "    opt.zero_grad()\n"
    )
    result = CliRunner().invoke(main, ["check", "--no-cache", "--format", "concise", str(path)])
    assert result.exit_code == 2 and "NN301" in result.output
    summary = next(line for line in result.output.splitlines() if line.startswith("Found "))
    assert summary.endswith("The check is incomplete: 1 error (on stderr)."), summary


def test_an_internal_error_exits_2_not_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("bug")

    monkeypatch.setattr(session, "run_check", broken)
    (tmp_path / "a.py").write_text(GOOD)
    result = CliRunner().invoke(main, ["check", "--no-cache", str(tmp_path / "a.py")])
    assert result.exit_code == 2
    assert "internal error (please report this)" in result.output


def test_source_over_the_size_limit_is_an_nn000_not_gigabytes_of_parsing() -> None:
    from nnlint.engine.project import MAX_SOURCE_BYTES

    source = "import torch\n" + "x = torch.zeros(1)\n" * (MAX_SOURCE_BYTES // 19 + 1)
    started = time.perf_counter()
    [finding] = check_source("generated.py", source, list(all_rules())).findings
    assert time.perf_counter() - started < 5
    assert finding.code == "NN000" and "MB of source, over nnlint's 2 MB limit" in finding.message
    assert finding.hint is not None and "exclude" in finding.hint


def test_a_notebook_large_for_its_outputs_is_still_checked() -> None:
    import json

    from nnlint.notebook import check_notebook

    picture = {"output_type": "display_data", "data": {"image/png": "A" * 3_000_000}, "metadata": {}}
    cell = {
        "cell_type": "code",
        "source": PERMUTED,
        "metadata": {},
        "outputs": [picture],
        "execution_count": 1,
    }
    data = json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()
    assert [f.code for f in check_notebook("big.ipynb", data, list(all_rules())).findings] == ["NN101"]


def test_jobs_far_above_the_file_count_start_one_worker_per_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import concurrent.futures

    started: list[int] = []
    pool = concurrent.futures.ProcessPoolExecutor

    def counting_pool(max_workers: int, **kwargs: object) -> concurrent.futures.ProcessPoolExecutor:
        started.append(max_workers)
        # Two at most here, so that a regression fails the assertion instead of forking 100,000 workers.
        return pool(max_workers=min(max_workers, 2), **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", counting_pool)
    for number in range(session.PARALLEL_THRESHOLD):
        (tmp_path / f"m{number}.py").write_text(GOOD)
    outcome = run_check([tmp_path], Overrides(), jobs=100_000)
    assert started == [session.PARALLEL_THRESHOLD]
    assert outcome.files == session.PARALLEL_THRESHOLD and not outcome.errors
