"""`nnlint check`: the static half's command line (`nnlint rule` and `nnlint rules` are in rule_docs.py).

Exit codes follow ruff: 0 no findings, 1 findings, 2 a usage, configuration or internal error (a rule that
crashed, or a file that could not be read or written, is an error even when other findings were printed).
With `--fix`, the findings are those that remain after fixing; with `--diff`, 1 means "fixes would change
files"; `--add-noqa` exits 0 once the comments are written.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from nnlint import progress
from nnlint.color import CHOICES as COLOR_CHOICES
from nnlint.color import use_color
from nnlint.config import (
    DEFAULT_EXCLUDES,
    Config,
    ConfigError,
    Overrides,
    config_for,
    load_config_file,
    resolve_selectors,
)
from nnlint.finding import Finding
from nnlint.progress import FileProgress
from nnlint.reporters import FORMAT_NAMES, HUMAN_FORMATS, RenderOptions, render
from nnlint.rule import all_rules

if TYPE_CHECKING:
    from nnlint.session import CheckOptions, CheckOutcome

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _selectors(values: tuple[str, ...]) -> list[str]:
    return [item for value in values for item in value.split(",") if item.strip()]


def _codes(values: tuple[str, ...], option: str) -> frozenset[str]:
    return frozenset(resolve_selectors(_selectors(values), option, inclusive=option == "--ignore"))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _named_file(value: Path | None, param: click.Parameter) -> Path | None:
    """An empty file name (`-o ""`, an unset variable) is Path("."), the current folder: refuse it as the
    usage error it is, not "cannot write .: Is a directory" after the whole check has run."""
    if value is not None and str(value) == ".":  # "" and "." alike (a folder, which click refuses too)
        raise click.BadParameter("give a file name", param=param)
    return value


def _emit(text: str, output_file: Path | None, color: bool = False) -> None:
    """Print the report, or write it to `output_file` in one piece (a reader never sees half a report).

    `color`: the report was coloured on purpose (--color, FORCE_COLOR); click would strip it from a pipe."""
    if output_file is None:
        click.echo(text, nl=False, color=color or None)
        return
    from nnlint.atomic import write_atomic

    try:
        output_file.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(output_file, text.encode("utf-8"))
    except OSError as error:
        click.echo(f"nnlint: error: cannot write {output_file}: {error.strerror or error}", err=True)
        sys.exit(EXIT_ERROR)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path, allow_dash=True))
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
    "--output-format",
    "fmt",
    type=click.Choice(FORMAT_NAMES),
    default="text",
    show_default=True,
    envvar="NNLINT_OUTPUT_FORMAT",
    show_envvar=True,
    # The choices in the help text, where they wrap: as a metavar they made one 95-column line.
    metavar="FORMAT",
    help=f"Output format: {', '.join(FORMAT_NAMES)}.",
)
@click.option(
    "--output-file",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    callback=lambda _ctx, param, value: _named_file(value, param),
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
    "--stdin-filename",
    metavar="PATH",
    help="With `-` as the path: the name of the file read from standard input (for its config and output).",
)
@click.option(
    "--force-exclude/--no-force-exclude",
    default=None,
    help="Apply excludes and ignore files to files named on the command line too (for pre-commit).",
)
@click.option(
    "--respect-gitignore/--no-respect-gitignore",
    default=None,
    help="Skip files that .gitignore, .ignore and .git/info/exclude exclude (default: on).",
)
@click.option("--statistics", is_flag=True, help="Print how many findings each rule has, not the findings.")
@click.option("--show-files", is_flag=True, help="List the files that would be checked, and exit.")
@click.option(
    "--show-settings", is_flag=True, help="Print the settings that apply to the first PATH, and exit."
)
@click.option(
    "--quiet", "-q", is_flag=True, help="Print the findings only: no summary, warnings or progress."
)
@click.option("--silent", "-s", is_flag=True, help="Print nothing but errors; the exit code tells.")
@click.option(
    "--color",
    type=click.Choice(COLOR_CHOICES),
    default="auto",
    show_default=True,
    help="Colour the text report (auto: on a terminal, unless NO_COLOR is set or FORCE_COLOR is).",
)
@click.option(
    "--probe",
    "probe_targets",
    multiple=True,
    metavar="TARGET",
    help="Also run the runtime probe on this model factory (path.py:build or pkg.mod:build; needs torch) "
    "and confirm or refute the static findings it can settle. This imports and runs the target's code.",
)
@click.option(
    "--probe-config",
    is_flag=True,
    help="Also probe the [tool.nnlint.probe] targets of the config. Without this flag (or --probe), "
    "`check` never imports or runs project code, whatever the config says.",
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
    stdin_filename: str | None,
    force_exclude: bool | None,
    respect_gitignore: bool | None,
    statistics: bool,
    show_files: bool,
    show_settings: bool,
    quiet: bool,
    silent: bool,
    color: str,
    probe_targets: tuple[str, ...],
    probe_config: bool,
    show_refuted: bool,
) -> None:
    """Check PATHS (files or directories; default: the current directory) for training-code bugs.

    `-` reads one file from standard input (name it with --stdin-filename); with --fix, the fixed text is
    written to standard output and the findings that remain to standard error.

    Exit codes: 0 no findings (or --exit-zero), 1 findings, 2 a usage, configuration or internal error.
    """
    from nnlint.cli import allow_quick_exit
    from nnlint.session import CheckOptions, run_check

    allow_quick_exit()  # `check` runs no project code (the probe, which does, takes it back)
    _require_working_directory()
    if add_noqa and (fix or diff):
        raise click.UsageError("--add-noqa cannot be combined with --fix or --diff")
    if unsafe_fixes and not (fix or diff):
        raise click.UsageError("--unsafe-fixes applies only with --fix or --diff")
    stdin = Path("-") in paths
    if stdin and len(paths) > 1:
        raise click.UsageError("`-` (standard input) cannot be combined with other paths")
    if stdin and add_noqa:
        raise click.UsageError("--add-noqa writes files; it cannot work on standard input")
    if stdin_filename is not None and paths and not stdin:
        raise click.UsageError("--stdin-filename applies only with `-` as the path")
    stdin = stdin or (stdin_filename is not None and not paths)
    options = CheckOptions(
        fix=fix, diff=diff, unsafe_fixes=unsafe_fixes, add_noqa=add_noqa, cache=not no_cache
    )
    view = _View(fmt, output_file, color, quiet or silent, silent, statistics)
    try:
        explicit: Config | None = load_config_file(config_path) if config_path else None
        if select and not _selectors(select):
            # `--select ""` (an unset variable in a CI script) would check nothing and pass everything.
            raise click.UsageError("--select needs a rule code, prefix or name (see `nnlint rules`)")
        overrides = Overrides(
            select=_codes(select, "--select") if select else None,
            extend_select=_codes(extend_select, "--extend-select"),
            ignore=_codes(ignore, "--ignore"),
            force_exclude=force_exclude,
            respect_gitignore=respect_gitignore,
        )
        roots = list(paths) or [Path(".")]
        if output_file is not None and not (show_settings or show_files):
            named = ([Path(stdin_filename)] if stdin_filename else []) if stdin else roots
            _refuse_output_onto_input(output_file, named, explicit, overrides)
        if show_settings:
            _show_settings(
                Path(stdin_filename) if stdin and stdin_filename else roots[0], explicit, overrides
            )
            return
        if show_files:
            _show_files(roots, explicit, overrides)
            return
        if stdin:
            _check_stdin(stdin_filename or "-", overrides, explicit, options, view, exit_zero)
            return
        with FileProgress("nnlint check", progress.wanted(view.quiet)) as bar:
            outcome = run_check(roots, overrides, explicit, jobs, options, on_progress=bar.update)
        configured = _configured_probe_targets(config_for(roots[0], explicit))
        targets = list(probe_targets) + (configured if probe_config else [])
        if configured and not probe_config and not probe_targets and not view.quiet:
            click.echo(
                f"nnlint: note: the {_plural(len(configured), 'probe target')} of [tool.nnlint.probe] "
                "were not run: `check` runs project code only with --probe-config",
                err=True,
            )
    except ConfigError as error:
        click.echo(f"nnlint: error: {error}", err=True)
        sys.exit(EXIT_ERROR)
    except click.ClickException:
        raise  # a usage error: click prints it and exits 2
    except Exception:  # noqa: BLE001 - a bug of nnlint's must not read as "findings" (exit 1) in CI
        import traceback

        click.echo(f"{traceback.format_exc()}nnlint: internal error (please report this)", err=True)
        sys.exit(EXIT_ERROR)
    hidden = _run_probes(outcome, targets, show_refuted) if targets and not (diff or add_noqa) else 0

    if diff:
        status = _report_diff(outcome, output_file, view)
    elif add_noqa:
        if not view.quiet:
            click.echo(f"nnlint: added {_plural(outcome.noqa_added, 'noqa directive')}", err=True)
        status = EXIT_CLEAN
    else:
        status = _report_findings(outcome, view, unsafe_fixes, hidden)
    _report_problems(outcome, view)
    if outcome.crashes or outcome.errors:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_CLEAN if exit_zero else status)


def _require_working_directory() -> None:
    """Paths, configs and the cache are found from the working directory: one deleted under the shell (a
    branch switch, a removed build folder) was a traceback and "internal error (please report this)"."""
    import os

    try:
        os.getcwd()
    except FileNotFoundError:
        click.echo("nnlint: error: the current directory no longer exists; cd to the project again", err=True)
        sys.exit(EXIT_ERROR)


@dataclass(frozen=True)
class _View:
    """How the report is shown: format, destination, colour choice, and how much besides the findings."""

    fmt: str
    output_file: Path | None
    color: str
    quiet: bool  # no summary line, no warnings, no progress
    silent: bool  # no report either
    statistics: bool

    def render_color(self) -> bool:
        return self.output_file is None and use_color(self.color, sys.stdout)


def _check_stdin(
    filename: str,
    overrides: Overrides,
    explicit: Config | None,
    options: CheckOptions,
    view: _View,
    exit_zero: bool,
) -> None:
    """`nnlint check -`: the text on standard input, checked as `filename`. Like ruff, the name is excluded
    only with --force-exclude; then nothing is reported (and --fix echoes the text unchanged)."""
    from nnlint.discovery import force_excluded
    from nnlint.reporters.sources import remember_text
    from nnlint.runner import decode_source
    from nnlint.session import CheckOutcome, check_stdin

    data = sys.stdin.buffer.read()
    path = Path(filename)
    if filename != "-" and force_excluded(path, explicit, overrides):
        outcome, fixed = CheckOutcome(files=0), data
    else:
        outcome, fixed = check_stdin(filename, data, overrides, explicit, options)
    try:
        remember_text(filename, decode_source(data if not options.fix else fixed))
    except (UnicodeDecodeError, LookupError, SyntaxError):
        pass  # the report then shows no source lines
    if options.fix and not options.diff:
        sys.stdout.buffer.write(fixed)
        sys.stdout.flush()
        # The findings that remain go to stderr: stdout is the fixed file.
        if not view.silent and outcome.findings:
            click.echo(
                render(outcome.findings, "concise" if view.fmt == "text" else view.fmt), err=True, nl=False
            )
        status = EXIT_FINDINGS if outcome.findings else EXIT_CLEAN
    elif options.diff:
        status = _report_diff(outcome, view.output_file, view)
    else:
        status = _report_findings(outcome, view, options.unsafe_fixes)
    _report_problems(outcome, view)
    if outcome.crashes or outcome.errors:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_CLEAN if exit_zero else status)


def _refuse_output_onto_input(
    output_file: Path, roots: list[Path], explicit: Config | None, overrides: Overrides
) -> None:
    """`-o` naming a file that the run checks would replace that source with the report: a usage error.

    Only an existing file can be one; the discovery walk is paid only when its name is a source's.
    """
    from nnlint.discovery import SOURCE_SUFFIXES, discover

    if not output_file.is_file():
        return
    target = output_file.resolve()
    named = any(root.is_file() and root.resolve() == target for root in roots)
    if named or (
        output_file.name.endswith(SOURCE_SUFFIXES)
        and any(path.resolve() == target for path in discover(roots, explicit, overrides=overrides))
    ):
        raise click.UsageError(
            f"--output-file {output_file} is a file being checked; the report would overwrite it"
        )


def _show_files(roots: list[Path], explicit: Config | None, overrides: Overrides) -> None:
    """`--show-files`: the files a check of `roots` would look at, one per line, sorted."""
    from nnlint.discovery import discover
    from nnlint.session import _display

    for path in sorted(_display(path) for path in discover(roots, explicit, overrides=overrides)):
        click.echo(path)


def _show_settings(path: Path, explicit: Config | None, overrides: Overrides) -> None:
    """`--show-settings`: where the settings for `path` come from and what they resolve to."""
    config = config_for(path, explicit)
    codes = config.enabled_codes(path, overrides)
    every = [rule.code for rule in all_rules()]
    force = config.force_exclude if overrides.force_exclude is None else overrides.force_exclude
    gitignore = (
        config.respect_gitignore if overrides.respect_gitignore is None else overrides.respect_gitignore
    )
    lines = [
        f"Settings for: {path}",
        f"config: {config.source}",
        f"project root: {config.root}",
        f"enabled rules ({len(codes)}): {', '.join(code for code in every if code in codes) or '(none)'}",
        f"disabled rules: {', '.join(code for code in every if code not in codes) or '(none)'}",
        f"exclude (on top of the defaults): {list(config.exclude)}",
        f"default excludes: {list(DEFAULT_EXCLUDES)}",
        f"per-file-ignores: {[(glob, sorted(ignored)) for glob, ignored in config.per_file_ignores]}",
        f"force-exclude: {str(force).lower()}",
        f"respect-gitignore: {str(gitignore).lower()}",
    ]
    if path.is_file():
        from nnlint import ignore_files

        excluded = config.is_excluded(path) or (gitignore and ignore_files.is_ignored_with_parents(path))
        lines.append(f"excluded when found in a folder: {'yes' if excluded else 'no'}")
    click.echo("\n".join(lines))


def _configured_probe_targets(config: Config) -> list[str]:
    """The config's probe targets, file paths resolved against the config's folder.

    A config comes with the code it governs (a pull request can change both), so a target that points
    outside the project (`../x.py:build`, an absolute path elsewhere) is a configuration error.
    """
    table = config.extra.get("probe", {})
    if not isinstance(table, dict) or set(table) - {"targets"}:
        raise ConfigError(
            f"{config.source}: [tool.nnlint.probe] takes one key, `targets` (a list of strings)"
        )
    targets = table.get("targets", [])
    if not isinstance(targets, list) or not all(isinstance(target, str) for target in targets):
        raise ConfigError(f"{config.source}: [tool.nnlint.probe] `targets` must be a list of strings")
    return [_inside_project(target, config) for target in targets]


def _inside_project(target: str, config: Config) -> str:
    where, colon, attr = target.rpartition(":") if ":" in target else (target, "", "")
    if not (where.endswith(".py") or "/" in where or "\\" in where):
        return target  # a module name: imported from the environment, never a path
    root = config.root.resolve()
    path = (root / where).resolve()
    if not path.is_relative_to(root):
        raise ConfigError(
            f"{config.source}: [tool.nnlint.probe] target {target!r} is outside the project ({root})"
        )
    return f"{path}{colon}{attr}"


def _run_probes(outcome: CheckOutcome, targets: list[str], show_refuted: bool) -> int:
    """Probe each target, add its findings, settle the static ones; return how many refuted were hidden."""
    from nnlint.cli import allow_quick_exit

    allow_quick_exit(False)  # the probe runs project code: its `atexit` handlers must run at exit
    from nnlint.probe.errors import ProbeError
    from nnlint.probe.settle import settle, split_refuted

    try:
        from nnlint.probe.api import probe_target
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


def _report_findings(outcome: CheckOutcome, view: _View, unsafe_fixes: bool, hidden: int = 0) -> int:
    status = EXIT_FINDINGS if outcome.findings else EXIT_CLEAN
    if outcome.files == 0 and not outcome.findings and not view.quiet:
        # Like ruff: nothing to check is worth a warning, not a failure, and not "all checks passed".
        click.echo("nnlint: warning: No Python files found under the given path(s)", err=True)
    if view.silent:
        return status
    if view.statistics:
        _emit(_statistics(outcome.findings, view.fmt), view.output_file)
        return status
    options = RenderOptions(
        color=view.render_color(),
        files_checked=outcome.files if outcome.files and not view.quiet else None,
        fixed=outcome.fixed,
        unsafe_fixes=unsafe_fixes,
        hidden=hidden,
        errors=len(outcome.crashes) + len(outcome.errors),
    )
    _emit(render(outcome.findings, view.fmt, options), view.output_file, options.color)
    if outcome.fixed and view.fmt not in HUMAN_FORMATS and not view.quiet:
        # Machine formats keep stdout to the report; human formats say it in their summary.
        click.echo(f"nnlint: fixed {_plural(outcome.fixed, 'finding')}", err=True)
    return status


def _statistics(findings: list[Finding], fmt: str) -> str:
    """`--statistics`: findings per rule, most frequent first, as ruff prints them (`[*]` marks a rule with
    a fix for each of its findings); a JSON list for the json formats."""
    counts: dict[str, list[Finding]] = {}
    for finding in findings:
        counts.setdefault(finding.code, []).append(finding)
    rows = [
        {
            "code": code,
            "name": group[0].name,
            "count": len(group),
            "fixable": all(
                finding.fix is not None and finding.fix.applicability == "safe" for finding in group
            ),
        }
        for code, group in sorted(counts.items(), key=lambda item: (-len(item[1]), item[0]))
    ]
    if fmt in ("json", "json-lines"):
        import json

        return json.dumps(rows, indent=2) + "\n"
    if not rows:
        return ""
    width = max(len(str(row["count"])) for row in rows)
    return "".join(
        f"{row['count']:>{width}}\t{row['code']}\t{'[*] ' if row['fixable'] else '[ ] '}{row['name']}\n"
        for row in rows
    )


def _report_diff(outcome: CheckOutcome, output_file: Path | None, view: _View) -> int:
    if not view.silent:
        _emit("".join(outcome.diffs), output_file)
    if not view.quiet:
        click.echo(f"nnlint: would fix {_plural(outcome.fixed, 'finding')}", err=True)
    return EXIT_FINDINGS if outcome.diffs else EXIT_CLEAN


def _report_problems(outcome: CheckOutcome, view: _View) -> None:
    """Warnings and errors on stderr, for a person: a file name's control characters shown as symbols."""
    from nnlint.reporters import printable

    if not view.quiet:
        for warning in outcome.warnings:
            click.echo(f"nnlint: warning: {printable(warning)}", err=True)
    for problem in outcome.errors:
        click.echo(f"nnlint: error: {printable(problem)}", err=True)
    for crash in outcome.crashes:
        click.echo(f"nnlint: error: {printable(crash.describe())}", err=True)
