"""The `nnlint` command line: a click group whose subcommands live beside the code they drive.

A subcommand's module is imported only when that subcommand runs (or `nnlint --help` lists them all), so
`nnlint check` does not pay for the runtime half's command modules. None of them may import torch at import
time all the same: `nnlint --help` must work where torch is not installed.
"""

from __future__ import annotations

import errno
import os
import sys
from importlib import import_module
from typing import Any

import click

from nnlint import __version__

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a program that Ctrl-C ended
EXIT_ERROR = 2
_DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})

# Each subcommand: the module that defines it and the name of its click command there.
COMMANDS = {
    "check": ("nnlint.check_command", "check"),
    "lsp": ("nnlint.lsp.command", "lsp"),
    "probe": ("nnlint.probe.command", "probe"),
    "rule": ("nnlint.rule_docs", "rule_command"),
    "rules": ("nnlint.rule_docs", "rules_command"),
    "run": ("nnlint.run.command", "run"),
}
# The one-line summaries of `nnlint --help`: click would cut each docstring's first sentence at "...".
SUMMARIES = {
    "check": "Check files or folders statically (never runs them).",
    "lsp": "Run the language server over stdio, for editors.",
    "probe": "Run a model factory and test batch independence and causality (needs torch).",
    "rule": "Explain one rule, with examples.",
    "rules": "List every rule.",
    "run": "Run a training script and check its first steps (needs torch).",
}


class _LazyGroup(click.Group):
    """A group that imports a subcommand's module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute = COMMANDS[cmd_name]
        command: click.Command = getattr(import_module(module), attribute)
        command.short_help = command.short_help or SUMMARIES[cmd_name]
        return command

    def invoke(self, ctx: click.Context) -> object:
        """Ctrl-C (in a checked file's parse, a probe factory, a run script) exits 130 as shells expect of
        an interrupted program, not click's "Aborted!" with status 1, which reads like findings."""
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("\nInterrupted.", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except OSError as error:
            # A full disk under the report (`nnlint check > out.txt`, `> /dev/full`) was a traceback and exit
            # 1, which reads as findings. These errors come only from writing; a closed pipe (`| head`) is
            # not one of them and ends as Python ends it.
            if error.errno not in _DISK_FULL:
                raise
            click.echo(f"nnlint: error: cannot write the output: {error.strerror}", err=True)
            sys.exit(EXIT_ERROR)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nnlint")
def main() -> None:
    """nnlint: catch the silent bugs in PyTorch training code.

    Exit codes: 0 no findings, 1 findings, 2 a usage, configuration or internal error (`run` keeps a
    script's own `sys.exit(n)` and uncaught exception, as python would), 130 interrupted (Ctrl-C).
    """
    for stream in (sys.stdout, sys.stderr):
        _keep_undecodable_names(stream)


def _keep_undecodable_names(stream: Any) -> None:
    """Let a UTF-8 stream write the file names that are not UTF-8 as the bytes they are.

    Python decodes such a name with surrogate escapes; under a UTF-8 locale (en_US.UTF-8, not C.UTF-8)
    stdout encodes strictly, so printing `caf\xe9.py` in a report was a traceback, in every format. With
    `surrogateescape` the name comes out byte for byte, as `ls` prints it."""
    import codecs

    encoding, errors = getattr(stream, "encoding", None), getattr(stream, "errors", None)
    if not encoding or errors != "strict" or not hasattr(stream, "reconfigure"):
        return
    try:
        if codecs.lookup(encoding).name == "utf-8":
            stream.reconfigure(errors="surrogateescape")
    except (LookupError, ValueError, OSError):
        pass  # a stream that cannot be reconfigured keeps its settings


def entry() -> None:
    """The `nnlint` program (and `python -m nnlint`): `main`, then, after a command that leaves nothing for
    the interpreter's shutdown to do, an immediate exit with the same status.

    Tearing down the interpreter frees libcst's node classes and every module one by one, which costs about
    as much CPU as checking a small file. `check` opts in (`allow_quick_exit`) unless it ran project code
    through the probe, whose `atexit` handlers must run. The output is flushed first; when that fails (a
    closed pipe), the ordinary exit reports it as Python always does. In-process callers of `main` (tests,
    `CliRunner`) never exit early.
    """
    try:
        main()
    except SystemExit as done:
        if not _quick_exit or not (done.code is None or isinstance(done.code, int)):
            raise
        try:
            for stream in (sys.stdout, sys.stderr):
                if stream is not None:  # None when the stream was closed before Python started
                    stream.flush()
        except (OSError, ValueError):
            raise done from None
        os._exit(done.code or 0)


_quick_exit = False


def allow_quick_exit(allowed: bool = True) -> None:
    """Let `entry` end the process without the interpreter's shutdown once the command is done."""
    global _quick_exit
    _quick_exit = allowed
