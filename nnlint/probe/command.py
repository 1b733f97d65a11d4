"""`nnlint probe TARGET`: run the real model and settle batch mixing (NN901) and causal leakage (NN902).

torch is imported inside the command, never at import time: `nnlint` must start, and `nnlint check` must work,
where torch is not installed. Exit codes as for check: 0 clean, 1 findings, 2 bad input or usage.
"""

from __future__ import annotations

import sys
import traceback

import click

from nnlint import progress
from nnlint.color import use_color
from nnlint.probe.errors import ProbeError

INSTALL_HINT = "nnlint probe needs PyTorch. Install it with: pip install 'nnlint[probe]'"


def _shape(value: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(part) for part in value.replace("x", ",").split(",") if part.strip())
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a shape like 8,3,32,32") from None
    if not shape or any(size < 1 for size in shape):
        raise click.BadParameter(f"'{value}' is not a shape like 8,3,32,32")
    return shape


@click.command("probe")
@click.argument("target")
@click.option(
    "--input-shape",
    "input_shapes",
    multiple=True,
    help="Shape of a random input when the factory returns only a model, e.g. 8,3,32,32 (repeatable).",
)
@click.option(
    "--dtype", default=None, help="dtype of --input-shape inputs (default float32; int64 with --vocab-size)."
)
@click.option("--vocab-size", type=int, default=None, help="Make --input-shape inputs token ids below this.")
@click.option("--causal/--no-causal", default=None, help="Also test that no output sees a later step.")
@click.option(
    "--batch-dim", type=int, default=None, help="The batch dimension of inputs and outputs (default 0)."
)
@click.option("--time-dim", type=int, default=None, help="The time dimension for --causal (default 1).")
@click.option("--shift", type=int, default=None, help="Output t may see inputs up to t + SHIFT (default 0).")
@click.option(
    "--causal-input",
    "causal_inputs",
    multiple=True,
    metavar="NAME|POS",
    help="An autoregressive input (keyword name or position; repeatable). The other inputs are context the "
    "output may see whole (an encoder's source). Default: every input; HF decoder_input_ids are recognised.",
)
@click.option(
    "--device",
    default="auto",
    show_default=True,
    help="auto, cpu, cuda, cuda:N or mps. auto: where the model already is, else a GPU if present, else CPU.",
)
@click.option(
    "--train-mode", is_flag=True, help="Also probe in train mode, naming BatchNorm as a legitimate mixer."
)
@click.option(
    "--thorough",
    is_flag=True,
    help="Test every split point and add the perturbation tests (finds dependencies that bypass autograd).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--verbose", is_flag=True, help="Show the full traceback of errors.")
def probe(
    target: str,
    input_shapes: tuple[str, ...],
    dtype: str | None,
    vocab_size: int | None,
    causal: bool | None,
    batch_dim: int | None,
    time_dim: int | None,
    shift: int | None,
    causal_inputs: tuple[str, ...],
    device: str,
    train_mode: bool,
    thorough: bool,
    fmt: str,
    verbose: bool,
) -> None:
    """Probe the model built by TARGET (path/to/file.py:build or package.module:build).

    The factory returns a model, (model, inputs), or a dict with model, inputs and optionally batch_dim,
    time_dim, causal, shift and causal_inputs. The model is left exactly as it was found.
    """
    try:
        import torch  # noqa: F401  (only to tell a missing install from a broken model)
    except ImportError:
        click.echo(INSTALL_HINT, err=True)
        sys.exit(2)
    from nnlint.probe.api import probe_target

    shapes = [_shape(value) for value in input_shapes]
    try:
        report = progress.showing(f"nnlint probe {target}", probe_target)(
            target,
            input_shapes=shapes or None,
            dtype=dtype,
            vocab_size=vocab_size,
            device=device,
            train_mode=train_mode,
            thorough=thorough,
            exercised=False,
            causal=causal,
            batch_dim=batch_dim,
            time_dim=time_dim,
            shift=shift,
            causal_inputs=parse_inputs(causal_inputs),
        )
    except ProbeError as error:
        _fail(str(error), error, verbose)
    except Exception as error:  # a failure inside the probe itself: still one paragraph, not a traceback
        _fail(f"The probe failed unexpectedly ({type(error).__name__}: {error}).", error, verbose)
    if fmt == "json":
        from nnlint.reporters import render

        click.echo(render(report.findings(), "json"), nl=False)
    else:
        click.echo(report.text(color=use_color("auto", sys.stdout)), nl=False, color=True)
    sys.exit(1 if report.findings() else 0)


def parse_inputs(values: tuple[str, ...]) -> tuple[int | str, ...] | None:
    """`--causal-input 1 --causal-input tgt` -> (1, "tgt"); nothing given -> None (the default)."""
    return tuple(int(v) if v.strip().isdigit() else v.strip() for v in values) or None


def _fail(message: str, error: BaseException, verbose: bool) -> None:
    if verbose:
        traceback.print_exception(error)
    elif error.__cause__ is not None or not isinstance(error, ProbeError):
        message += " Run with --verbose for the traceback."
    click.echo(f"error: {message}", err=True)
    sys.exit(2)
