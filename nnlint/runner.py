"""Check one source text: decode, parse once, walk once, run the enabled rules, apply suppressions.

No input may crash a run: undecodable bytes and syntax errors become an NN000 finding, and an exception
inside a rule becomes a RuleCrash for that file and rule while every other rule still runs.
"""

from __future__ import annotations

import ast
import io
import tokenize
import traceback
from collections import defaultdict
from dataclasses import dataclass, field

import libcst as cst

from nnlint.engine.context import FileContext
from nnlint.engine.positions import compute_ranges
from nnlint.engine.project import dependencies
from nnlint.finding import Edit, Finding, Fix, Position, Related, Severity
from nnlint.rule import Report, Rule, RuleFix
from nnlint.suppress import Suppressions, parse_suppressions

SYNTAX_ERROR_CODE = "NN000"
SYNTAX_ERROR_NAME = "syntax-error"


@dataclass
class RuleCrash:
    """A rule raised on a file: reported to the user, never hidden, never fatal to the run."""

    filename: str
    code: str
    error: str

    def describe(self) -> str:
        return f"{self.filename}: rule {self.code} crashed (please report this): {self.error}"


@dataclass
class FileResult:
    filename: str
    findings: list[Finding] = field(default_factory=list)
    crashes: list[RuleCrash] = field(default_factory=list)
    # Project modules the check read (absolute path -> content digest): the result is valid while they are.
    depends: dict[str, str] = field(default_factory=dict)


def decode_source(data: bytes) -> str:
    """Decode like Python does: a BOM or a PEP 263 coding line, else UTF-8. Raises UnicodeDecodeError."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        encoding = "utf-8"
    text = data.decode(encoding)
    return text[1:] if text.startswith("\ufeff") else text


def syntax_finding(filename: str, message: str, row: int, column: int) -> Finding:
    """An NN000 finding: the file (or notebook) cannot be read as Python, for the reason in `message`."""
    location = Position(max(row, 1), max(column, 1))
    return Finding(
        code=SYNTAX_ERROR_CODE,
        name=SYNTAX_ERROR_NAME,
        message=message,
        filename=filename,
        location=location,
        end_location=location,
        severity=Severity.ERROR,
        hint="nnlint checks only files that Python 3 can parse; other files are still checked.",
    )


def parse_source(filename: str, source: str) -> cst.Module | Finding:
    """The libcst module, or an NN000 finding that says why the file cannot be parsed."""
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        # libcst's native parser reports imprecise positions and long token lists; CPython's own
        # parser, run only on failure, says where and what in the words users know.
        try:
            ast.parse(source)
        except SyntaxError as python_error:
            message = f"Cannot parse this file: {python_error.msg}"
            return syntax_finding(filename, message, python_error.lineno or 1, python_error.offset or 1)
        except (ValueError, RecursionError, MemoryError):
            pass
        message = f"Cannot parse this file: {error.message}"
        return syntax_finding(filename, message, error.raw_line, error.raw_column + 1)
    except (RecursionError, MemoryError) as error:
        return syntax_finding(filename, f"Cannot parse this file: {type(error).__name__}", 1, 1)


def check_bytes(filename: str, data: bytes, rules: list[type[Rule]]) -> FileResult:
    try:
        source = decode_source(data)
    except (UnicodeDecodeError, LookupError) as error:
        reason = error.reason if isinstance(error, UnicodeDecodeError) else str(error)
        result = FileResult(filename)
        result.findings.append(syntax_finding(filename, f"Cannot decode this file: {reason}", 1, 1))
        return result
    return check_source(filename, source, rules)


def check_source(filename: str, source: str, rules: list[type[Rule]]) -> FileResult:
    result = FileResult(filename)
    parsed = parse_source(filename, source)
    if isinstance(parsed, Finding):
        result.findings.append(parsed)
        return result
    ctx = FileContext(filename, source, parsed)
    reports = _run_rules(ctx, rules, result)
    if ctx.project_deps:
        result.depends = dependencies(ctx)
    auditors = [rule for rule in rules if hasattr(rule, "audit_suppressions")]
    if not reports and not auditors:
        return result
    suppressions = parse_suppressions(source)
    result.findings = _to_findings(ctx, reports, suppressions)
    if auditors:
        result.findings = sorted(
            result.findings + _audit(ctx, auditors, rules, result, suppressions), key=Finding.sort_key
        )
    return result


def _audit(
    ctx: FileContext,
    auditors: list[type[Rule]],
    rules: list[type[Rule]],
    result: FileResult,
    suppressions: Suppressions,
) -> list[Finding]:
    """Findings of the rules that judge the suppression comments themselves (NN001 unused-noqa).

    Such a rule defines a classmethod `audit_suppressions(path, suppressions, enabled)`; it runs after
    every other rule's findings went through the suppressions, which by then know what each directive
    suppressed. `enabled` holds the codes that ran to completion here: a crashed rule's suppressions
    are not stale, they were never tested. Nor are those of rules that may report into this file from
    another one (`Rule.cross_file`): this check alone cannot tell whether they are used.
    """
    enabled = frozenset(rule.code for rule in rules if not rule.cross_file) - {
        crash.code for crash in result.crashes
    }
    findings: list[Finding] = []
    for rule in auditors:
        try:
            findings.extend(rule.audit_suppressions(ctx.path, suppressions, enabled))  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - one broken rule must not stop the others
            result.crashes.append(RuleCrash(ctx.path, rule.code, _short_traceback()))
    return findings


def _run_rules(
    ctx: FileContext, rules: list[type[Rule]], result: FileResult
) -> list[tuple[type[Rule], Report]]:
    active: list[Rule] = []
    dispatch: dict[type, list[tuple[Rule, str]]] = defaultdict(list)
    for rule_class in rules:
        if rule_class.needs_torch and not ctx.mentions_torch:
            continue
        rule = rule_class(ctx)
        active.append(rule)
        for node_type, method in rule_class.visitors().items():
            dispatch[node_type].append((rule, method))
    crashed: set[str] = set()
    for node_type, handlers in dispatch.items():
        nodes = ctx.index.nodes(node_type)
        if not nodes:
            continue
        for rule, method in handlers:
            if rule.code in crashed:
                continue
            visit = getattr(rule, method)
            try:
                for node in nodes:
                    visit(node)
            except Exception:  # noqa: BLE001 - one broken rule must not stop the others
                crashed.add(rule.code)
                result.crashes.append(RuleCrash(ctx.path, rule.code, _short_traceback()))
    reports = []
    for rule in active:
        if rule.code in crashed:
            continue
        try:
            rule.finish()
        except Exception:  # noqa: BLE001
            result.crashes.append(RuleCrash(ctx.path, rule.code, _short_traceback()))
            continue
        reports.extend((type(rule), report) for report in rule.reports)
    return reports


def _short_traceback() -> str:
    lines = traceback.format_exc().strip().splitlines()
    return " | ".join(line.strip() for line in lines[-3:])


def _to_findings(
    ctx: FileContext, reports: list[tuple[type[Rule], Report]], suppressions: Suppressions
) -> list[Finding]:
    """Reports as findings with positions, after the suppressions of the file each one lands in.

    Nodes are grouped by the file they belong to (the checked one, or a project module a rule followed an
    import into), and each file's positions are computed in one pass over it.
    """
    if not reports:
        return []
    files: dict[int, FileContext] = {id(ctx): ctx}
    wanted: dict[int, list[cst.CSTNode]] = defaultdict(list)
    for _, report in reports:
        home = report.ctx or ctx
        files[id(home)] = home
        wanted[id(home)].append(report.node)
        if report.fix is not None:
            wanted[id(ctx)].extend(node for node, _ in report.fix.replacements)
        for evidence in report.related:
            where = evidence.ctx or ctx
            files[id(where)] = where
            wanted[id(where)].append(evidence.node)
    ranges = {key: compute_ranges(files[key].module, nodes) for key, nodes in wanted.items()}
    file_suppressions = {id(ctx): suppressions}
    findings: list[Finding] = []
    seen: set[tuple[str, str, int, int]] = set()
    for rule, report in reports:
        home = report.ctx or ctx
        code_range = ranges[id(home)].get(id(report.node))
        if code_range is None:
            continue
        start = Position(code_range.start.line, code_range.start.column + 1)
        end = Position(code_range.end.line, code_range.end.column + 1)
        if id(home) not in file_suppressions:
            file_suppressions[id(home)] = parse_suppressions(home.source)
        if file_suppressions[id(home)].suppresses(rule.code, rule.name, (start.row, end.row)):
            continue
        key = (rule.code, home.path, start.row, start.column)
        if key in seen:
            continue  # one finding per rule and place, however many paths led to it
        seen.add(key)
        findings.append(
            Finding(
                code=rule.code,
                name=rule.name,
                message=report.message,
                filename=home.path,
                location=start,
                end_location=end,
                severity=rule.severity,
                hint=rule.hint or None,
                fix=_to_fix(ctx, report.fix, ranges[id(ctx)]) if report.fix else None,
                related=_to_related(ctx, report, ranges),
            )
        )
    findings.sort(key=Finding.sort_key)
    return findings


def _to_related(ctx: FileContext, report: Report, ranges: dict[int, dict]) -> tuple[Related, ...]:
    related = []
    for evidence in report.related:
        where = evidence.ctx or ctx
        code_range = ranges[id(where)].get(id(evidence.node))
        if code_range is not None:
            position = Position(code_range.start.line, code_range.start.column + 1)
            related.append(Related(where.path, position, evidence.message))
    return tuple(related)


def _to_fix(ctx: FileContext, fix: RuleFix, ranges: dict) -> Fix | None:
    edits = []
    for old, new in fix.replacements:
        code_range = ranges.get(id(old))
        if code_range is None:
            return None
        if isinstance(new, cst.CSTNode):
            if hasattr(new, "lpar") and hasattr(new, "rpar"):
                new = new.with_changes(lpar=[], rpar=[])
            content = ctx.module.code_for_node(new)
        else:
            content = new
        edits.append(
            Edit(
                Position(code_range.start.line, code_range.start.column + 1),
                Position(code_range.end.line, code_range.end.column + 1),
                content,
            )
        )
    return Fix(message=fix.message, edits=tuple(edits), applicability="safe" if fix.safe else "unsafe")
