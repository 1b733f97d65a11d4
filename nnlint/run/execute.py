"""Run the script with a session attached, and say plainly how it ended when it did not reach the checks.

A script can fail nnlint in four ways, each a usage error (exit code 2) with its own message: it raises before
its first optimizer step, it exits before it (argparse rejecting its arguments does this), it finishes without
ever stepping an optimizer, or, with --continue, it fails after the checks.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass

from nnlint.run.capture import Instrumentation, StopScript, Target, run_target
from nnlint.run.session import Session
from nnlint.runtime.frames import is_library


@dataclass(frozen=True)
class Failure:
    """Why the run gave no (or no complete) report."""

    message: str
    details: str = ""  # the full traceback, shown with --verbose


def execute(target: Target, script_args: list[str], session: Session) -> Failure | None:
    """Run `target` under instrumentation; None when the checks ran (and the script stopped or finished)."""
    capture = Instrumentation(session)
    session.instrumentation = capture
    capture.install()
    try:
        run_target(target, script_args)
    except StopScript:
        return None
    except SystemExit as exit_:
        if exit_.code in (None, 0):
            return None if session.done else _never_stepped(target, capture)
        if session.done:
            return Failure(f"{target} exited with status {exit_.code} after the checks")
        return Failure(
            f"{target} exited with status {exit_.code} before its first optimizer step"
            + (f" (its arguments: {' '.join(script_args)}; did it reject them?)" if script_args else "")
        )
    except Exception as error:  # noqa: BLE001 - the user's script may raise anything
        details = traceback.format_exc()
        when = "after the checks" if session.done else "before its first optimizer step"
        return Failure(f"{target} raised {type(error).__name__} {when}: {error}{_where(error)}", details)
    finally:
        capture.remove()
    return None if session.done else _never_stepped(target, capture)


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
    return Failure(
        f"{target} finished without an optimizer step: {what}; nnlint run checks a training script"
    )
