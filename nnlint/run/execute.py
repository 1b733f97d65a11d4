"""Run the script with a session attached, and say plainly how it ended when it did not reach the checks.

A script can end without a (complete) report in five ways, each with its own message: it raises (exit 1 and
its traceback, as Python does) or exits with a status (kept) before its first optimizer step or, with
--continue, after the checks; it finishes without ever stepping an optimizer, or it updates its weights by
hand (exit 2: nothing nnlint can check).
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass

from nnlint.run.capture import Instrumentation, ManualUpdate, StopScript, Target, run_target
from nnlint.run.session import Session
from nnlint.runtime.frames import is_library


@dataclass(frozen=True)
class Failure:
    """Why the run gave no (or no complete) report, and the exit status `nnlint run` ends with."""

    message: str
    details: str = ""  # the script's traceback
    exit_code: int = 2
    traceback_always: bool = False  # the script's own uncaught exception: shown as Python would show it


def execute(target: Target, script_args: list[str], session: Session) -> Failure | None:
    """Run `target` under instrumentation; None when the checks ran (and the script stopped or finished).

    The script's own ending is kept, as `python script.py` would end: `sys.exit(n)` exits with n and an
    uncaught exception with 1 and its traceback, before the checks or after them (with --continue).
    """
    capture = Instrumentation(session)
    session.instrumentation = capture
    capture.install()
    try:
        run_target(target, script_args)
    except StopScript:
        return None
    except ManualUpdate as update:
        where = f" (before the model call at {update.site})" if update.site else ""
        return Failure(
            f"{target} changed its weights after its first backward without an optimizer step{where}: it "
            "updates them by hand (p.data.add_, p -= lr * p.grad). nnlint run checks torch.optim steps; use "
            "torch.optim.SGD(model.parameters(), lr=...) and optimizer.step() to have them checked"
        )
    except SystemExit as exit_:
        code = exit_.code
        if code in (None, 0):
            return None if session.done else _never_stepped(target, capture)
        status = code if isinstance(code, int) else 1
        when = "after the checks" if session.done else "before its first optimizer step"
        hint = ""
        if not session.done and script_args:
            hint = f" (its arguments: {' '.join(script_args)}; did it reject them?)"
        text = f": {code}" if not isinstance(code, int) else ""
        return Failure(f"{target} exited with status {status} {when}{hint}{text}", exit_code=status)
    except Exception as error:  # noqa: BLE001 - the user's script may raise anything
        details = _script_traceback(error)
        when = "after the checks" if session.done else "before its first optimizer step"
        return Failure(
            f"{target} raised {type(error).__name__} {when}: {error}{_where(error)}",
            details,
            exit_code=1,
            traceback_always=True,
        )
    finally:
        capture.remove()
    return None if session.done else _never_stepped(target, capture)


def _script_traceback(error: BaseException) -> str:
    """The traceback as `python script.py` prints it: from the script's frame on, not nnlint's or runpy's.

    A script that does not compile has no frame of its own: python then prints only the error's file, line
    and caret, and so does this (the frames of nnlint and runpy that compiled it are no help to its author).
    """
    tb = error.__traceback__
    while tb is not None and is_library(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    if tb is None and isinstance(error, SyntaxError):
        return "".join(traceback.format_exception_only(type(error), error))
    return "".join(traceback.format_exception(type(error), error, tb or error.__traceback__))


def _where(error: BaseException) -> str:
    """The innermost frame of the user's script (not torch's) the error came through."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if not is_library(f.filename)]
    return f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""


def _never_stepped(target: Target, capture: Instrumentation) -> Failure:
    if capture.model_calls == 0:
        what = "it never called a module with trainable parameters while gradients were enabled"
    elif capture.backward_calls == 0:
        what = f"it called its model {capture.model_calls} times but never called backward()"
    elif capture.optimizers_built == 0:
        what = "it never built a torch.optim optimizer"
    else:
        what = "it never called optimizer.step()"
    elsewhere = ""
    if capture.model_calls == 0 and capture.processes_started:
        # Lightning's strategy="ddp_spawn" (devices=2 on CPU) trained both epochs in spawned processes; the
        # message said only that nothing was ever called, as if the script trained nothing.
        elsewhere = (
            f"; it started {capture.processes_started} other process(es), and training done there (DDP "
            "spawn, torch.multiprocessing) is out of nnlint run's sight: run it as one process (Lightning: "
            "devices=1, no spawn strategy)"
        )
    return Failure(
        f"{target} finished without an optimizer step: {what}{elsewhere}; nnlint run checks a training script"
    )
