"""Run `nnlint lsp` with the rules in extra_rules/ added to the shipped ones, for the end-to-end tests."""

import sys
from pathlib import Path

import nnlint.rules

from nnlint.cli import main

# all_rules() lists the modules on the package path once, at first use: add the extra folder before that.
nnlint.rules.__path__.append(str(Path(__file__).resolve().parent / "extra_rules"))
main(["lsp", *sys.argv[1:]])
