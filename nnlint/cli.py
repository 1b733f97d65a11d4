"""The `nnlint` command line: a click group whose subcommands live beside the code they drive.

Every subcommand module is imported here, so none of them may import torch at import time: `nnlint check`
must start fast and work where torch is not installed.
"""

from __future__ import annotations

import click

from nnlint import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nnlint")
def main() -> None:
    """nnlint: catch the silent bugs in PyTorch training code."""


from nnlint.check_command import check  # noqa: E402
from nnlint.rule_docs import rule_command, rules_command  # noqa: E402

main.add_command(check)
main.add_command(rule_command)
main.add_command(rules_command)

from nnlint.run.command import run  # noqa: E402

main.add_command(run)

from nnlint.lsp.command import lsp  # noqa: E402

main.add_command(lsp)

from nnlint.probe.command import probe  # noqa: E402

main.add_command(probe)
