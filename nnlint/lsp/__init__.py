"""`nnlint lsp`: the language server. Its dependencies (pygls, lsprotocol) come with `nnlint[lsp]`.

Nothing here imports them, so the command can be registered in the CLI of an install without the extra.
"""

# Files larger than this are not checked while editing: a check costs 10 to 20 µs per byte on a 2-core
# machine, so this is a few seconds per check, and training scripts are rarely a tenth of it.
DEFAULT_MAX_BYTES = 128 * 1024
