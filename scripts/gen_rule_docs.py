"""Write docs/rules.md from the rules themselves: each rule's docstring is its documentation.

python scripts/gen_rule_docs.py          # rewrite docs/rules.md
python scripts/gen_rule_docs.py --check  # exit 1 if docs/rules.md is out of date (used by the tests)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from nnlint.rule import all_rules
from nnlint.runtime_codes import RUNTIME_CODES

DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


def render() -> str:
    rules = all_rules()
    lines = [
        "# nnlint rules",
        "",
        "Generated from the rule modules by `scripts/gen_rule_docs.py`;",
        "`nnlint rule CODE` prints the same text.",
        "",
        "Rules marked *off* under default are opt-in (the NN7 performance family): they run only when",
        'selected by their family (`--select NN7`, `--extend-select NN7`, `extend-select = ["NN7"]`),',
        "code or name. `ALL` and `NN` select every rule that is on by default, not the opt-in ones.",
        "",
        "| code | name | family | default | severity | fix | summary |",
        "|---|---|---|---|---|---|---|",
    ]
    for rule in rules:
        fix = "yes" if any(getattr(example, "fixed", None) for example in rule.INVALID) else ""
        link = f"[{rule.code}](#{rule.code.lower()})"
        default = "off" if rule.opt_in else "on"
        lines.append(
            f"| {link} | {rule.name} | {rule.family()} | {default} | {rule.severity.value} | {fix} "
            f"| {rule.summary()} |"
        )
    lines += ["", "Runtime findings (`nnlint probe`, `nnlint run`), documented with their commands:", ""]
    lines += [f"- {c.code} {c.name}: {c.summary} See [{c.page[5:]}]({c.page[5:]})." for c in RUNTIME_CODES]
    for rule in rules:
        lines += ["", f'<a id="{rule.code.lower()}"></a>', f"## {rule.code} {rule.name}", ""]
        default = "off by default (opt-in)" if rule.opt_in else "on by default"
        lines.append(
            f"Family: {rule.family()}, {default}. Severity: {rule.severity.value}. Message: {rule.message}"
        )
        lines.append("")
        # Demote the docstring's sections one level below the rule's heading.
        lines.append(re.sub(r"^## ", "### ", rule.docs(), flags=re.MULTILINE))
    return "\n".join(lines) + "\n"


def main() -> int:
    text = render()
    if "--check" in sys.argv:
        current = DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""
        if current != text:
            print("docs/rules.md is out of date: run python scripts/gen_rule_docs.py")
            return 1
        return 0
    DOCS.parent.mkdir(exist_ok=True)
    DOCS.write_text(text, encoding="utf-8")
    print(f"wrote {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
