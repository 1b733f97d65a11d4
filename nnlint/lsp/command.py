"""`nnlint lsp`: start the language server on stdin/stdout, for an editor to talk to.

pygls is imported only when the command runs: `nnlint check` must not pay for it, and nnlint without the
`lsp` extra must still work (this command then says how to install it and exits 2).
"""

from __future__ import annotations

import sys

import click

from nnlint.lsp import DEFAULT_MAX_BYTES

EXIT_ERROR = 2
_LSP_PACKAGES = ("pygls", "lsprotocol")


@click.command("lsp")
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_BYTES,
    show_default=True,
    help="Do not check files larger than this while editing (a diagnostic says so).",
)
def lsp(max_bytes: int) -> None:
    """Run the nnlint language server over stdio (diagnostics, fixes, noqa, rule docs on hover)."""
    try:
        from nnlint.lsp.server import serve
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in _LSP_PACKAGES:
            raise
        click.echo(
            f"nnlint: error: `nnlint lsp` needs {error.name}, which is not installed. "
            "Install the language server extra: pip install 'nnlint[lsp]'",
            err=True,
        )
        sys.exit(EXIT_ERROR)
    serve(max_bytes)
