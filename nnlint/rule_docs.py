"""`nnlint rule CODE` and `nnlint rules`: the rules' documentation, static and runtime, wherever it is read.

On a terminal, `nnlint rule` renders the markdown (rich); through a pipe or into a file it prints the markdown
itself, never wrapped, so a pager, an editor plugin or a script gets the code blocks intact.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import click

from nnlint.rule import all_rules
from nnlint.runtime_codes import RUNTIME_CODES

EXIT_ERROR = 2


@dataclass(frozen=True)
class _RuleDoc:
    """One rule's documentation, static or runtime, as `nnlint rule` prints it."""

    code: str
    name: str
    severity: str
    summary: str
    docs: str
    url: str
    command: str  # the command whose findings carry this code
    family: str
    default: str  # "on", "off (opt-in)", or the runtime command that reports it

    def title(self) -> str:
        if self.command != "check":
            return f"{self.code} {self.name} ({self.severity}, from `nnlint {self.command}`)"
        default = "on by default" if self.default == "on" else "off by default: select NN7 or its code"
        return f"{self.code} {self.name} ({self.severity}; {self.family}; {default})"

    def markdown(self) -> str:
        return f"# {self.title()}\n\n{self.docs.strip()}\n\nDocs: <{self.url}>\n"

    def to_json(self) -> dict[str, str]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "command": self.command,
            "summary": self.summary,
            "family": self.family,
            "default": self.default,
            "url": self.url,
            "docs": self.docs,
        }


def _rule_docs() -> list[_RuleDoc]:
    from nnlint.finding import DOCS_URL

    docs = [
        _RuleDoc(
            r.code,
            r.name,
            r.severity.value,
            r.summary(),
            r.docs(),
            DOCS_URL.format(code=r.code.lower()),
            "check",
            r.family(),
            "off (opt-in)" if r.opt_in else "on",
        )
        for r in all_rules()
    ]
    docs += [
        _RuleDoc(
            c.code,
            c.name,
            "runtime",
            c.summary,
            c.docs,
            c.url,
            c.command,
            "runtime",
            f"nnlint {c.command}",
        )
        for c in RUNTIME_CODES
    ]
    return docs


@click.command("rule")
@click.argument("code", required=False)
@click.option("--all", "show_all", is_flag=True, help="Explain every rule, static and runtime.")
@click.option(
    "--output-format",
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default=None,
    help="text: rendered for a terminal; markdown: the source (default when stdout is not a terminal); "
    "json: an object per rule.",
)
def rule_command(code: str | None, show_all: bool, fmt: str | None) -> None:
    """Explain one rule: what it flags, why it matters, what to write instead."""
    if show_all == (code is not None):
        raise click.UsageError("give one rule code or name, or --all")
    docs = _rule_docs()
    if code is not None:
        key = code.strip()
        docs = [d for d in docs if d.code.lower() == key.lower() or d.name == key]
        if not docs:
            from nnlint.config import did_you_mean

            hint = did_you_mean(key, _rule_docs())
            click.echo(f"nnlint: error: unknown rule {code!r}{hint} (see `nnlint rules`)", err=True)
            sys.exit(EXIT_ERROR)
    fmt = fmt or ("text" if sys.stdout.isatty() else "markdown")
    if fmt == "json":
        import json

        payload = [d.to_json() for d in docs] if show_all else docs[0].to_json()
        click.echo(json.dumps(payload, indent=2))
    elif fmt == "markdown":
        # Plain text, never wrapped: a pager, a file or another program gets the code blocks intact.
        click.echo("\n".join(d.markdown() for d in docs), nl=False)
    else:
        from rich.console import Console
        from rich.markdown import Markdown

        console = Console(highlight=False)
        for doc in docs:
            console.print(f"[bold]{doc.title()}[/bold]\n")
            console.print(Markdown(doc.docs))
            console.print()


@click.command("rules")
@click.option(
    "--format",
    "--output-format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: one line per rule, grouped by family (cut to the terminal's width on a terminal); "
    "json: everything about every rule, docs included.",
)
def rules_command(fmt: str) -> None:
    """List every rule: one line each with its code, name, severity and the first sentence of its docs,
    under its family (runtime codes last). `nnlint rule CODE` explains one in full."""
    docs = _rule_docs()
    if fmt == "json":
        import json

        click.echo(json.dumps([doc.to_json() for doc in docs], indent=2))
        return
    width = None
    if sys.stdout.isatty():
        import shutil

        width = shutil.get_terminal_size().columns
    lines = _listing(docs)
    if width is not None:
        lines += ["", "`nnlint rule CODE` explains a rule; `--format json` gives every rule's docs."]
        # One line each, cut with an ellipsis: a wrapped summary column ran to dozens of lines per rule.
        lines = [line if len(line) <= width else line[: max(width - 1, 0)].rstrip() + "…" for line in lines]
    click.echo("\n".join(lines))


def _listing(docs: list[_RuleDoc]) -> list[str]:
    """`nnlint rules` as text: a heading per family, then one line per rule (code, name, severity or the
    runtime command, summary); blank lines between families."""
    name_width = max(len(doc.name) for doc in docs)
    lines: list[str] = []
    family = None
    for doc in docs:
        if doc.family != family:
            family = doc.family
            if lines:
                lines.append("")
            lines.append(
                "runtime (reported by `nnlint probe` and `nnlint run`)" if family == "runtime" else family
            )
        kind = doc.command if doc.command != "check" else doc.severity
        lines.append(f"  {doc.code}  {doc.name:<{name_width}}  {kind:<7}  {doc.summary}")
    return lines
