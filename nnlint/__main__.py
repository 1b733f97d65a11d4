"""`python -m nnlint` is the same as the `nnlint` command."""

from nnlint.cli import entry

if __name__ == "__main__":
    entry()
