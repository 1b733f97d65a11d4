"""`nnlint run SCRIPT [ARGS]` / `nnlint run -m MODULE [ARGS]`: check a real training run's first steps.

Imported by every `nnlint` invocation, so torch is imported only inside the command, after checking it is
installed. Exit codes as for `check`: 0 no findings, 1 findings, 2 the script could not be checked; a script
that exits or raises keeps its own status (sys.exit(n) -> n, an uncaught exception -> 1), as Python would.
"""

from __future__ import annotations

import importlib.util
import sys
from contextlib import redirect_stdout
from pathlib import Path
from typing import TextIO

import click

from nnlint import progress
from nnlint.color import use_color
from nnlint.finding import Finding
from nnlint.reporters import FORMAT_NAMES, RenderOptions, render

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
INSTALL_TORCH = (
    "nnlint run needs PyTorch: install it with `pip install nnlint[probe]` "
    "(or a build for your platform from https://pytorch.org/get-started/locally/)"
)


def _fail(message: str) -> None:
    click.echo(f"nnlint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


@click.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option("-m", "module", metavar="MODULE", help="Run a module, as `python -m MODULE` would.")
@click.option(
    "--steps",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Optimizer steps to watch (per optimizer) before stopping.",
)
@click.option(
    "--continue",
    "keep_going",
    is_flag=True,
    help="After the checks, remove every hook and let training go on, unchanged.",
)
@click.option("--causal/--no-causal", default=None, help="Tell the probe the model is (not) autoregressive.")
@click.option(
    "--batch-dim",
    type=click.IntRange(min=0),
    default=None,
    help="The batch dim of the model's inputs (default: 0, or what the run shows, e.g. (T, B) LM batches).",
)
@click.option("--time-dim", type=click.IntRange(min=0), default=None, help="The time dim, for --causal.")
@click.option(
    "--causal-input",
    "causal_inputs",
    multiple=True,
    metavar="NAME|POS",
    help="An autoregressive input of the model (keyword or position; repeatable); the others are context.",
)
@click.option(
    "--plot",
    "plot_dir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Write PNG pictures of the checks to DIR (needs `pip install nnlint[plot]`).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMAT_NAMES),
    default="text",
    show_default=True,
    help="Output format of the findings.",
)
@click.option("--verbose", is_flag=True, help="Show the full traceback when the script fails.")
@click.argument("argv", nargs=-1, type=click.UNPROCESSED, metavar="[SCRIPT] [-- ARGS]...")
def run(
    module: str | None,
    steps: int,
    keep_going: bool,
    causal: bool | None,
    batch_dim: int | None,
    time_dim: int | None,
    causal_inputs: tuple[str, ...],
    plot_dir: Path | None,
    fmt: str,
    verbose: bool,
    argv: tuple[str, ...],
) -> None:
    """Run a training SCRIPT (with its ARGS) and check its model, first batch, loss and optimizer.

    \b
      nnlint run train.py -- --epochs 1 --lr 0.1
      nnlint run -m mypackage.train -- --config small.yaml
    """
    args = list(argv)
    if module is None:
        if not args:
            _fail("give a script to run (nnlint run train.py -- ARGS) or a module (nnlint run -m pkg.train)")
        script = Path(args.pop(0))
        if script.is_dir():
            _fail(f"{script} is a folder: name the training script in it (nnlint run {script}/train.py)")
        if not script.is_file():
            _fail(f"no such script: {script}")
    if args[:1] == ["--"]:
        args = args[1:]
    if importlib.util.find_spec("torch") is None:
        _fail(INSTALL_TORCH)
    from nnlint.config import ConfigError
    from nnlint.probe.command import parse_inputs
    from nnlint.run.capture import Target
    from nnlint.run.execute import execute
    from nnlint.run.layout import Layout
    from nnlint.run.session import Session
    from nnlint.run.thresholds import load_layout, load_thresholds
    from nnlint.runtime.frames import Site

    if module is not None:
        if importlib.util.find_spec(module.split(".")[0]) is None and not Path(module.split(".")[0]).exists():
            _fail(f"no module named {module!r} (run from the folder that contains it)")
        target = Target(module=module)
        anchor = Path.cwd() / "pyproject.toml"
    else:
        target, anchor = Target(path=script), script
    try:
        thresholds, _ = load_thresholds(anchor)
        configured = load_layout(anchor)
    except ConfigError as error:
        _fail(str(error))
    given = {
        "batch_dim": batch_dim,
        "time_dim": time_dim,
        "causal_inputs": parse_inputs(causal_inputs),
    }
    layout_values = {**configured, **{key: value for key, value in given.items() if value is not None}}
    layout = Layout(**layout_values, why="given" if "batch_dim" in layout_values else None)
    out = sys.stdout
    reported: list[int] = []  # how many findings the checks reported, once they have
    session = Session(
        thresholds,
        fallback=Site(str(anchor.resolve()) if module is None else str(anchor), 1),
        steps=steps,
        keep_going=keep_going,
        causal=causal,
        layout=layout,
        # The spinner ends before the report is printed (with --continue, training goes on after it).
        on_done=lambda session: (
            progress.stop(),
            _report(session, str(target), fmt, plot_dir, out),
            reported.append(len(session.findings)),
        ),
    )
    # With machine output, the script's own prints go to stderr so stdout stays parseable.
    stream: TextIO = sys.stderr if fmt == "json" else sys.stdout
    with redirect_stdout(stream), progress.activity(f"nnlint run {target}", progress.wanted()):
        failure = execute(target, args, session)
    if keep_going and reported:
        # The report scrolled away while training went on: say again, at the end, what it found.
        click.echo(_recap(session.findings), err=True)
    if session.internal_error is not None:
        click.echo(session.internal_error, err=True, nl=False)
        _fail("nnlint failed while reporting (a bug in nnlint, not in the script)")
    if failure is not None:
        if failure.details and (verbose or failure.traceback_always):
            click.echo(failure.details, err=True, nl=False)
        click.echo(f"nnlint: error: {failure.message}", err=True)
        sys.exit(failure.exit_code)
    sys.exit(EXIT_FINDINGS if session.findings else EXIT_CLEAN)


def _recap(findings: list[Finding]) -> str:
    """One line for the end of a `--continue` run: what the checks found at its first steps."""
    if not findings:
        return "nnlint run: training finished; the checks at its first steps found nothing."
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.code] = counts.get(finding.code, 0) + 1
    listed = ", ".join(f"{code} ({count})" if count > 1 else code for code, count in sorted(counts.items()))
    total = len(findings)
    return (
        f"nnlint run: training finished; the checks at its first steps found {total} "
        f"finding{'s' if total != 1 else ''} (reported above): {listed}."
    )


def _report(session: object, target: str, fmt: str, plot_dir: Path | None, out: TextIO) -> None:
    """Print the account and the findings as soon as the checks are done (before --continue trains on)."""
    from nnlint.run.report import account
    from nnlint.run.session import Session

    assert isinstance(session, Session)
    if plot_dir is not None:
        try:
            from nnlint.run.plots import write_plots

            written = write_plots(session, plot_dir)
            session.notes.append(f"plots: {', '.join(str(path) for path in written) or 'nothing to draw'}")
        except ImportError:
            session.notes.append("--plot needs matplotlib: pip install nnlint[plot]")
    click.echo(account(session, target), err=True, nl=False)
    findings = sorted(session.findings, key=lambda finding: finding.sort_key())
    color = fmt == "text" and use_color("auto", out)  # a terminal, unless NO_COLOR (or FORCE_COLOR)
    click.echo(render(findings, fmt, RenderOptions(color=color)), file=out, nl=False)
    out.flush()
