"""`nnlint check`, `nnlint rule CODE` and `nnlint rules`: the static half's command line.

Exit codes follow ruff: 0 no findings, 1 findings, 2 a usage, configuration or internal error (a rule that
crashed is an internal error even when other findings were printed).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from nnlint.config import Config, ConfigError, Overrides, load_config_file, resolve_selectors
from nnlint.reporters import FORMAT_NAMES, RenderOptions, render
from nnlint.rule import all_rules, rule_by_code_or_name

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _selectors(values: tuple[str, ...]) -> list[str]:
    return [item for value in values for item in value.split(",") if item.strip()]


def _codes(values: tuple[str, ...], option: str) -> frozenset[str]:
    return frozenset(resolve_selectors(_selectors(values), option))


def _use_color(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--select", multiple=True, metavar="CODES", help="Only these codes, prefixes or names (comma-separated).")
@click.option("--extend-select", multiple=True, metavar="CODES", help="Add these to the selection.")
@click.option("--ignore", multiple=True, metavar="CODES", help="Turn these codes, prefixes or names off.")
@click.option(
    "--format", "fmt", type=click.Choice(FORMAT_NAMES), default="text", show_default=True, help="Output format."
)
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Use this config file only.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes (default: one per core).")
def check(
    paths: tuple[Path, ...],
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    fmt: str,
    config_path: Path | None,
    exit_zero: bool,
    jobs: int | None,
) -> None:
    """Check PATHS (files or directories; default: the current directory) for training-code bugs."""
    from nnlint.session import run_check

    try:
        explicit: Config | None = load_config_file(config_path) if config_path else None
        overrides = Overrides(
            select=_codes(select, "--select") if select else None,
            extend_select=_codes(extend_select, "--extend-select"),
            ignore=_codes(ignore, "--ignore"),
        )
        outcome = run_check(list(paths) or [Path(".")], overrides, explicit, jobs)
    except ConfigError as error:
        click.echo(f"nnlint: error: {error}", err=True)
        sys.exit(EXIT_ERROR)
    options = RenderOptions(color=_use_color(sys.stdout), files_checked=outcome.files)
    output = render(outcome.findings, fmt, options)
    click.echo(output, nl=False)
    for problem in outcome.unreadable:
        click.echo(f"nnlint: error: {problem}", err=True)
    for crash in outcome.crashes:
        click.echo(f"nnlint: error: {crash.describe()}", err=True)
    if outcome.crashes or outcome.unreadable:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if outcome.findings and not exit_zero else EXIT_CLEAN)


@click.command("rule")
@click.argument("code")
def rule_command(code: str) -> None:
    """Explain one rule: what it flags, why it matters, what to write instead."""
    from rich.console import Console
    from rich.markdown import Markdown

    rule = rule_by_code_or_name(code)
    if rule is None:
        click.echo(f"nnlint: error: unknown rule {code!r} (see `nnlint rules`)", err=True)
        sys.exit(EXIT_ERROR)
    console = Console(highlight=False)
    console.print(f"[bold]{rule.code} {rule.name}[/bold] ({rule.severity.value})\n")
    console.print(Markdown(rule.docs()))


@click.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules_command(fmt: str) -> None:
    """List every rule with its code, name, severity and summary."""
    if fmt == "json":
        import json

        rows = [
            {"code": r.code, "name": r.name, "severity": r.severity.value, "summary": r.summary()}
            for r in all_rules()
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(show_lines=False, box=None, pad_edge=False)
    for column in ("code", "name", "severity", "summary"):
        table.add_column(column)
    for rule in all_rules():
        table.add_row(rule.code, rule.name, rule.severity.value, rule.summary())
    Console(highlight=False, soft_wrap=True).print(table)
