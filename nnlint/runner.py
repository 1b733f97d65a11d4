"""Check one source text: decode, parse once, walk once, run the enabled rules, apply suppressions.

No input may crash a run: undecodable bytes and syntax errors become an NN000 finding, and an exception
inside a rule becomes a RuleCrash for that file and rule while every other rule still runs.

Deep nesting gets the same treatment. libcst's native parser overflows its stack (a segfault, which no
`except` catches) on nesting that CPython rejects anyway, so text that could be that deep is first
measured (`_maybe_too_deep`, a C-speed scan) and, only when it could be, parsed by CPython, whose error
becomes the NN000 finding. Expressions deep enough to exhaust Python's recursion limit in the engine, the
rules or the position code (a sum of hundreds of terms) are checked again in a thread with a large stack
and limit; a file too deep even for that gets an NN000 "nesting too deep to analyse".
"""

from __future__ import annotations

import ast
import gc
import io
import sys
import threading
import tokenize
import traceback
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import accumulate

import libcst as cst

from nnlint.engine.context import FileContext
from nnlint.engine.positions import compute_ranges
from nnlint.engine.project import MAX_SOURCE_BYTES, begin_check, dependencies
from nnlint.finding import Edit, Finding, Fix, Position, Related, Severity
from nnlint.legacy_syntax import parse_legacy, parse_mixed_indentation, python2_hint
from nnlint.rule import Report, Rule, RuleFix
from nnlint.suppress import Suppressions, parse_suppressions

SYNTAX_ERROR_CODE = "NN000"
SYNTAX_ERROR_NAME = "syntax-error"
TOO_DEEP = "nesting too deep to analyse"

# CPython rejects more than 200 nested brackets ("too many nested parentheses"); libcst segfaults on
# about 1,500. Text whose brackets may nest deeper, or with lines long enough to hold thousands of nested
# operators (`not not ... x`), is parsed by CPython first.
_MAX_BRACKET_DEPTH = 200
_NOT_BRACKETS = bytes(byte for byte in range(256) if chr(byte) not in "()[]{}")
_BRACKET_STEP = {ord("("): 1, ord("["): 1, ord("{"): 1, ord(")"): -1, ord("]"): -1, ord("}"): -1}
_LONG_LINE = 4000
# The retry of a file too deep for the default recursion limit: its limit and its thread's stack.
_DEEP_RECURSION_LIMIT = 60_000
_DEEP_STACK_BYTES = 512 * 1024 * 1024


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
    # Project modules the check read (absolute path -> content digest), and paths its imports probed and
    # did not find (-> None): the result is valid while the modules are unchanged and the others absent.
    depends: dict[str, str | None] = field(default_factory=dict)


def decode_source(data: bytes) -> str:
    """Decode like Python does: a BOM or a PEP 263 coding line, else UTF-8.

    A coding line may name a codec that a package registers when the program starts
    (`# -*- coding: future_fstrings -*-`, which rewrites f-strings for old Pythons): such a file is UTF-8
    Python to every Python that needs no rewriting, so when the bytes are UTF-8 it is read as UTF-8.
    Raises UnicodeDecodeError, or LookupError for a coding line that contradicts a BOM, or that names no
    codec Python knows on bytes that are not UTF-8.
    """
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        if not error.msg.startswith("unknown encoding"):
            raise LookupError(error.msg) from error  # a coding line that contradicts the BOM
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise LookupError(f"{error.msg} (and the file is not UTF-8)") from error
    text = data.decode(encoding)
    return text[1:] if text.startswith("\ufeff") else text


_PARSE_HINT = "nnlint checks only files that Python 3 can parse; other files are still checked."


def syntax_finding(filename: str, message: str, row: int, column: int, hint: str = _PARSE_HINT) -> Finding:
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
        hint=hint,
    )


def _maybe_too_deep(source: str) -> bool:
    """Whether the text could nest deeper than libcst's parser survives (a cheap, conservative test)."""
    brackets = source.encode("utf-8", "surrogatepass").translate(None, _NOT_BRACKETS)
    if len(brackets) > _MAX_BRACKET_DEPTH:
        if max(accumulate(map(_BRACKET_STEP.__getitem__, brackets))) > _MAX_BRACKET_DEPTH:
            return True
    return len(source) > _LONG_LINE and max(map(len, source.split("\n"))) > _LONG_LINE


def _python_parse_error(filename: str, source: str) -> Finding | None:
    """CPython's verdict on the text as an NN000 finding, or None when CPython parses it.

    Warnings about the code (an invalid escape sequence) are the code's business, not nnlint's output.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source)
    except SyntaxError as error:
        message = f"Cannot parse this file: {error.msg}{python2_hint(error.msg)}"
        if error.msg == "too many nested parentheses":
            message += f" ({TOO_DEEP})"
        return syntax_finding(filename, message, error.lineno or 1, error.offset or 1)
    except (RecursionError, MemoryError):
        return syntax_finding(filename, f"Cannot parse this file: {TOO_DEEP}", 1, 1)
    except ValueError as error:  # a NUL byte
        return syntax_finding(filename, f"Cannot parse this file: {error}", 1, 1)
    return None


def parse_source(filename: str, source: str) -> cst.Module | Finding:
    """The libcst module, or an NN000 finding that says why the file cannot be parsed."""
    if len(source) > MAX_SOURCE_BYTES:
        limit = MAX_SOURCE_BYTES // 10**6
        message = (
            f"Cannot check this file: {len(source) / 1e6:.1f} MB of source, over nnlint's {limit} MB limit"
        )
        hint = "A file this large is generated code or data: `exclude` it in [tool.nnlint] to silence this."
        return syntax_finding(filename, message, 1, 1, hint)
    if _maybe_too_deep(source):
        rejected = _python_parse_error(filename, source)
        if rejected is not None:
            return rejected
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        # libcst's native parser reports imprecise positions and long token lists; CPython's own
        # parser, run only on failure, says where and what in the words users know.
        rejected = _python_parse_error(filename, source)
        if rejected is not None:
            legacy = parse_legacy(source)
            if legacy is not None:
                return legacy
            return rejected
        mixed = parse_mixed_indentation(source)  # CPython accepts it: only libcst's tokenizer objects
        if mixed is not None:
            return mixed
        message = f"Cannot parse this file: {error.message}"
        return syntax_finding(filename, message, error.raw_line, error.raw_column + 1)
    except (RecursionError, MemoryError):
        return syntax_finding(filename, f"Cannot parse this file: {TOO_DEEP}", 1, 1)
    except UnicodeEncodeError as error:  # a lone surrogate, which only a notebook's JSON can smuggle in
        return syntax_finding(filename, f"Cannot parse this file: invalid Unicode ({error.reason})", 1, 1)


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
    parsed = parse_source(filename, source)
    if isinstance(parsed, Finding):
        return FileResult(filename, [parsed])
    try:
        return _check_module(filename, source, parsed, rules)
    except RecursionError:
        return _check_deep(filename, source, parsed, rules)


def _check_deep(filename: str, source: str, module: cst.Module, rules: list[type[Rule]]) -> FileResult:
    """Check a file whose nesting exhausted the recursion limit again, in a thread with a large stack.

    The engine, the rules and libcst's code generation recurse once per level of nesting; a sum of a
    few hundred terms is deeper than Python's default limit allows, yet fine with a larger stack.
    """
    outcome: list[FileResult] = []

    def work() -> None:
        try:
            outcome.append(_check_module(filename, source, module, rules))
        except (RecursionError, MemoryError):
            pass

    old_limit, old_stack = sys.getrecursionlimit(), threading.stack_size()
    try:
        threading.stack_size(_DEEP_STACK_BYTES)
        sys.setrecursionlimit(max(old_limit, _DEEP_RECURSION_LIMIT))
        thread = threading.Thread(target=work, name="nnlint-deep-check", daemon=True)
        thread.start()
        thread.join()
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)
    if outcome:
        return outcome[0]
    return FileResult(filename, [syntax_finding(filename, f"Cannot check this file: {TOO_DEEP}", 1, 1)])


def _check_module(filename: str, source: str, parsed: cst.Module, rules: list[type[Rule]]) -> FileResult:
    """Run the rules over one parsed file. Raises RecursionError when its nesting is too deep.

    The cyclic collector is paused meanwhile: the analyses allocate many small objects, each of which
    counts towards the collector's next pass, and every pass walks the young objects (the file's tree
    among them) and, every so often, the whole heap, only to find nothing to free: what a check allocates
    lives until its end, when `release` frees it by reference counting. Cycles it leaves behind are
    found by the next pass after it."""
    paused = gc.isenabled()
    gc.disable()
    ctx = FileContext(filename, source, parsed)
    try:
        return _check_context(ctx, rules)
    finally:
        ctx.release()  # the context and its tree go now, not at the cyclic collector's next pass
        if paused:
            gc.enable()


def _check_context(ctx: FileContext, rules: list[type[Rule]]) -> FileResult:
    filename, source = ctx.path, ctx.source
    result = FileResult(filename)
    begin_check()
    reports = _run_rules(ctx, rules, result)
    if ctx.project_deps or ctx.project.absent or ctx.project.mentioned:
        result.depends = dependencies(ctx)
    # An auditor that finds nothing to judge in the text (`may_audit`) is not run: no comment is tokenized
    # for it when no other rule reported.
    auditors = [
        rule
        for rule in rules
        if hasattr(rule, "audit_suppressions") and rule.may_audit(source)  # type: ignore[attr-defined]
    ]
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

    Such a rule defines a classmethod `audit_suppressions(path, suppressions, enabled)`, and a classmethod
    `may_audit(source)` that says whether the file's text may hold anything it judges; it runs after
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
        except RecursionError:
            raise  # the file's nesting, not the rule: check_source deals with it
        except Exception:  # noqa: BLE001 - one broken rule must not stop the others
            result.crashes.append(RuleCrash(ctx.path, rule.code, _short_traceback()))
    return findings


def _run_rules(
    ctx: FileContext, rules: list[type[Rule]], result: FileResult
) -> list[tuple[type[Rule], Report]]:
    active: list[Rule] = []
    dispatch: dict[type, list[tuple[Rule, str]]] = defaultdict(list)
    for rule_class in rules:
        if rule_class.needs_torch and not ctx.uses_torch:
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
            except RecursionError:
                raise  # the file's nesting, not the rule: check_source deals with it
            except Exception:  # noqa: BLE001 - one broken rule must not stop the others
                crashed.add(rule.code)
                result.crashes.append(RuleCrash(ctx.path, rule.code, _short_traceback()))
    reports = []
    for rule in active:
        if rule.code in crashed:
            continue
        try:
            rule.finish()
        except RecursionError:
            raise
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
