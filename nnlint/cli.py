"""The `nnlint` command line: a click group whose subcommands live beside the code they drive.

A subcommand's module is imported only when that subcommand runs (or `nnlint --help` lists them all), so
`nnlint check` does not pay for the runtime half's command modules. None of them may import torch at import
time all the same: `nnlint --help` must work where torch is not installed.
"""

from __future__ import annotations

from importlib import import_module

import click

from nnlint import __version__

# Each subcommand: the module that defines it and the name of its click command there.
COMMANDS = {
    "check": ("nnlint.check_command", "check"),
    "lsp": ("nnlint.lsp.command", "lsp"),
    "probe": ("nnlint.probe.command", "probe"),
    "rule": ("nnlint.rule_docs", "rule_command"),
    "rules": ("nnlint.rule_docs", "rules_command"),
    "run": ("nnlint.run.command", "run"),
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
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nnlint")
def main() -> None:
    """nnlint: catch the silent bugs in PyTorch training code."""
