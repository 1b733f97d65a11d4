"""`nnlint check`, `nnlint rule CODE` and `nnlint rules`: the static half's command line.

Exit codes follow ruff: 0 no findings, 1 findings, 2 a usage, configuration or internal error (a rule that
crashed, or a file that could not be read or written, is an error even when other findings were printed).
With `--fix`, the findings are those that remain after fixing; with `--diff`, 1 means "fixes would change
files"; `--add-noqa` exits 0 once the comments are written.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from nnlint.config import Config, ConfigError, Overrides, config_for, load_config_file, resolve_selectors
from nnlint.finding import Finding
from nnlint.reporters import FORMAT_NAMES, HUMAN_FORMATS, RenderOptions, render
from nnlint.rule import all_rules, rule_by_code_or_name
from nnlint.runtime_codes import RUNTIME_CODES, runtime_code

if TYPE_CHECKING:
    from nnlint.session import CheckOutcome

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _selectors(values: tuple[str, ...]) -> list[str]:
    return [item for value in values for item in value.split(",") if item.strip()]


def _codes(values: tuple[str, ...], option: str) -> frozenset[str]:
    return frozenset(resolve_selectors(_selectors(values), option, inclusive=option == "--ignore"))


def _use_color(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _emit(text: str, output_file: Path | None) -> None:
    """Print the report, or write it to `output_file` in one piece (a reader never sees half a report)."""
    if output_file is None:
        click.echo(text, nl=False)
        return
    from nnlint.atomic import write_atomic

    try:
        output_file.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(output_file, text.encode("utf-8"))
    except OSError as error:
        click.echo(f"nnlint: error: cannot write {output_file}: {error.strerror or error}", err=True)
        sys.exit(EXIT_ERROR)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--select",
    multiple=True,
    metavar="CODES",
    help="Only these codes, prefixes or names (comma-separated). ALL: every rule on by default; the "
    "opt-in performance family runs only when named (NN7, a code or a name).",
)
@click.option(
    "--extend-select",
    multiple=True,
    metavar="CODES",
    help="Add these to the selection (e.g. --extend-select NN7 for the opt-in performance rules).",
)
@click.option("--ignore", multiple=True, metavar="CODES", help="Turn these codes, prefixes or names off.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMAT_NAMES),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--output-file",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report (or the --diff) to this file instead of standard output.",
)
@click.option("--fix", is_flag=True, help="Apply safe fixes, then report the findings that remain.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix or --diff: apply unsafe fixes too.")
@click.option(
    "--diff", is_flag=True, help="Print the changes --fix would make as a unified diff; write nothing."
)
@click.option(
    "--add-noqa", is_flag=True, help="Add `# noqa: CODE` comments that suppress every current finding."
)
@click.option("--no-cache", is_flag=True, help="Check every file afresh: don't read or write .nnlint_cache/.")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Use this config file only.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes (default: one per core).")
@click.option(
    "--probe",
    "probe_targets",
    multiple=True,
    metavar="TARGET",
    help="Also run the runtime probe on this model factory (path.py:build or pkg.mod:build; needs torch) "
    "and confirm or refute the static findings it can settle. Default: [tool.nnlint.probe] targets.",
)
@click.option("--show-refuted", is_flag=True, help="Also show static findings that the probe refuted.")
def check(
    paths: tuple[Path, ...],
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    fmt: str,
    output_file: Path | None,
    fix: bool,
    unsafe_fixes: bool,
    diff: bool,
    add_noqa: bool,
    no_cache: bool,
    config_path: Path | None,
    exit_zero: bool,
    jobs: int | None,
    probe_targets: tuple[str, ...],
    show_refuted: bool,
) -> None:
    """Check PATHS (files or directories; default: the current directory) for training-code bugs."""
    from nnlint.session import CheckOptions, run_check

    if add_noqa and (fix or diff):
        raise click.UsageError("--add-noqa cannot be combined with --fix or --diff")
    if unsafe_fixes and not (fix or diff):
        raise click.UsageError("--unsafe-fixes applies only with --fix or --diff")
    options = CheckOptions(
        fix=fix, diff=diff, unsafe_fixes=unsafe_fixes, add_noqa=add_noqa, cache=not no_cache
    )
    try:
        explicit: Config | None = load_config_file(config_path) if config_path else None
        overrides = Overrides(
            select=_codes(select, "--select") if select else None,
            extend_select=_codes(extend_select, "--extend-select"),
            ignore=_codes(ignore, "--ignore"),
        )
        roots = list(paths) or [Path(".")]
        outcome = run_check(roots, overrides, explicit, jobs, options)
        targets = list(probe_targets) or _configured_probe_targets(config_for(roots[0], explicit))
    except ConfigError as error:
        click.echo(f"nnlint: error: {error}", err=True)
        sys.exit(EXIT_ERROR)
    hidden = _run_probes(outcome, targets, show_refuted) if targets and not (diff or add_noqa) else 0

    if diff:
        status = _report_diff(outcome, output_file)
    elif add_noqa:
        click.echo(f"nnlint: added {_plural(outcome.noqa_added, 'noqa directive')}", err=True)
        status = EXIT_CLEAN
    else:
        status = _report_findings(outcome, fmt, output_file, unsafe_fixes, hidden)
    _report_problems(outcome)
    if outcome.crashes or outcome.errors:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_CLEAN if exit_zero else status)


def _configured_probe_targets(config: Config) -> list[str]:
    table = config.extra.get("probe", {})
    if not isinstance(table, dict) or set(table) - {"targets"}:
        raise ConfigError(
            f"{config.source}: [tool.nnlint.probe] takes one key, `targets` (a list of strings)"
        )
    targets = table.get("targets", [])
    if not isinstance(targets, list) or not all(isinstance(target, str) for target in targets):
        raise ConfigError(f"{config.source}: [tool.nnlint.probe] `targets` must be a list of strings")
    return targets


def _run_probes(outcome: CheckOutcome, targets: list[str], show_refuted: bool) -> int:
    """Probe each target, add its findings, settle the static ones; return how many refuted were hidden."""
    from nnlint.probing.errors import ProbeError
    from nnlint.probing.settle import settle, split_refuted

    try:
        from nnlint.probing.api import probe_target
    except ImportError:
        click.echo("nnlint: error: --probe needs torch: pip install 'nnlint[probe]'", err=True)
        sys.exit(EXIT_ERROR)
    reports = []
    for target in targets:
        try:
            reports.append(probe_target(target))
        except ProbeError as error:
            click.echo(f"nnlint: error: probe {target}: {error}", err=True)
            sys.exit(EXIT_ERROR)
    settle(outcome.findings, reports)
    outcome.findings, hidden = split_refuted(outcome.findings, show_refuted)
    outcome.findings.extend(finding for report in reports for finding in report.findings())
    outcome.findings.sort(key=Finding.sort_key)
    return hidden


def _report_findings(
    outcome: CheckOutcome, fmt: str, output_file: Path | None, unsafe_fixes: bool, hidden: int = 0
) -> int:
    color = output_file is None and _use_color(sys.stdout)
    options = RenderOptions(
        color=color,
        files_checked=outcome.files,
        fixed=outcome.fixed,
        unsafe_fixes=unsafe_fixes,
        hidden=hidden,
    )
    _emit(render(outcome.findings, fmt, options), output_file)
    if outcome.fixed and fmt not in HUMAN_FORMATS:
        # Machine formats keep stdout to the report; human formats say it in their summary.
        click.echo(f"nnlint: fixed {_plural(outcome.fixed, 'finding')}", err=True)
    return EXIT_FINDINGS if outcome.findings else EXIT_CLEAN


def _report_diff(outcome: CheckOutcome, output_file: Path | None) -> int:
    _emit("".join(outcome.diffs), output_file)
    click.echo(f"nnlint: would fix {_plural(outcome.fixed, 'finding')}", err=True)
    return EXIT_FINDINGS if outcome.diffs else EXIT_CLEAN


def _report_problems(outcome: CheckOutcome) -> None:
    for warning in outcome.warnings:
        click.echo(f"nnlint: warning: {warning}", err=True)
    for problem in outcome.errors:
        click.echo(f"nnlint: error: {problem}", err=True)
    for crash in outcome.crashes:
        click.echo(f"nnlint: error: {crash.describe()}", err=True)


@click.command("rule")
@click.argument("code")
def rule_command(code: str) -> None:
    """Explain one rule: what it flags, why it matters, what to write instead."""
    from rich.console import Console
    from rich.markdown import Markdown

    rule = rule_by_code_or_name(code)
    runtime = runtime_code(code) if rule is None else None
    if runtime is not None:
        click.echo(f"{runtime.code} {runtime.name} (from `nnlint {runtime.command}`)\n\n{runtime.summary}")
        click.echo(f"How the check works, its thresholds and its sources: {runtime.docs}")
        return
    if rule is None:
        click.echo(f"nnlint: error: unknown rule {code!r} (see `nnlint rules`)", err=True)
        sys.exit(EXIT_ERROR)
    console = Console(highlight=False)
    default = "off by default: select it with NN7 or its code" if rule.opt_in else "on by default"
    console.print(
        f"[bold]{rule.code} {rule.name}[/bold] ({rule.severity.value}; {rule.family()}; {default})\n"
    )
    console.print(Markdown(rule.docs()))


@click.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules_command(fmt: str) -> None:
    """List every rule with its code, name, family, whether it is on by default, severity and summary
    (runtime codes last)."""
    rows = [
        {
            "code": r.code,
            "name": r.name,
            "family": r.family(),
            "default": "on" if not r.opt_in else "off (opt-in)",
            "severity": r.severity.value,
            "summary": r.summary(),
        }
        for r in all_rules()
    ]
    rows += [
        {
            "code": c.code,
            "name": c.name,
            "family": "runtime",
            "default": f"nnlint {c.command}",
            "severity": "runtime",
            "summary": c.summary,
        }
        for c in RUNTIME_CODES
    ]
    if fmt == "json":
        import json

        click.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(show_lines=False, box=None, pad_edge=False)
    columns = ("code", "name", "family", "default", "severity", "summary")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(row[column] for column in columns))
    Console(highlight=False, soft_wrap=True).print(table)
