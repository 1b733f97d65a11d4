"""The docs stay true: docs/rules.md is generated from the rules, and the README names every rule."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from nnlint.rule import all_rules

ROOT = Path(__file__).resolve().parent.parent


def test_rule_docs_are_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_rule_docs.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_lists_every_rule() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [rule.code for rule in all_rules() if f"| {rule.code} | {rule.name} |" not in readme]
    assert missing == []


def test_readme_example_exists() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "nnlint check fixtures/scripts/showcase/buggy_train.py" in readme
    assert (ROOT / "fixtures" / "scripts" / "showcase" / "buggy_train.py").is_file()
