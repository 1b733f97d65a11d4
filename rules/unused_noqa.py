"""NN001 unused-noqa: a suppression comment that suppresses nothing (reported by the runner's audit hook)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from nnlint.finding import Edit, Finding, Fix, Position, Severity
from nnlint.rule import Invalid, Rule, all_rules
from nnlint.runtime_codes import RUNTIME_CODES
from nnlint.suppress import ALL, FILE_IGNORE, NOQA, Directive, Suppressions, normalize

# NN9xx codes belong to the runtime checks (`probe`, `run`), which `check` never runs: a noqa naming one of
# them is neither unknown nor judged here.
_RUNTIME = frozenset(c.code for c in RUNTIME_CODES) | frozenset(c.name for c in RUNTIME_CODES)
# `NN1`, `NN20`: a prefix, which selects rules in a config but suppresses nothing in a comment.
_PREFIX = re.compile(r"NN[0-9]{1,2}")


def _names_no_rule(code: str, kind: str) -> bool:
    """Whether a code (normalized, not a static rule's code) names nothing nnlint knows: an `NN` code that
    is mistyped, a prefix, or no runtime code; in nnlint's own directives (`# nnlint: ignore[...]`), any
    unknown code or name. `# noqa` is shared with other linters, so its other codes are theirs."""
    if code in _RUNTIME:
        return False
    return code.startswith("NN") or kind != NOQA


class UnusedNoqa(Rule):
    """## What it does
    Flags a suppression comment that suppresses no finding: `# noqa: NN204` on a line where NN204 does not
    fire, `# nnlint: ignore[...]` or `# nnlint: file-ignore[...]` that hides nothing, and nnlint codes that
    name no rule (`# noqa: NN240` for NN204), code prefixes (`# noqa: NN2`, which suppress nothing) and rule
    names that do not exist (`# nnlint: ignore[view-as-permte]`).

    ## Why is this bad?
    A suppression outlives the finding it silenced. Once the code is fixed or moved, the stale comment
    stays behind and will silently hide the next real finding of that rule on that line, which is how a
    reintroduced bug gets past review. A mistyped code suppresses nothing while its author believes it does.

    Only nnlint's own codes are judged: `# noqa: E501` for another linter and a bare `# noqa` (which
    flake8 and ruff read too) are left alone. Codes of rules that did not run on the file (not selected,
    ignored for it, or crashed) are not judged either: they could not have fired.

    ## Example
    ```python
    optimizer.zero_grad()  # noqa: NN204
    loss = criterion(model(x), y)
    loss.backward()
    ```

    ## Use instead
    ```python
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    ```

    ## Fix safety
    The fix removes the unused codes, or the whole directive when nothing else is left in it; other codes
    and comment text stay. It is safe: the removed codes suppressed nothing in this run.
    """

    code = "NN001"
    name = "unused-noqa"
    severity = Severity.INFO
    message = "This suppression suppresses nothing; remove it."
    hint = "Stale suppressions hide the next real finding on their line; `nnlint check --fix` removes them."
    needs_torch = False

    VALID: ClassVar[list[str]] = [
        # Another linter's code.
        "x = 1  # noqa: E501\n",
        # A bare noqa is read by other linters too.
        "x = 1  # noqa\n",
        # NN204 is not enabled in this check (only NN001 is), so it cannot be judged.
        "x = 1  # noqa: NN204\n",
        # A runtime probe code, by code or by name.
        "x = 1  # noqa: NN901\n",
        "x = 1  # nnlint: ignore[batch-mixing]\n",
        # Another linter's rule name in a noqa.
        "x = 1  # noqa: some-other-rule\n",
        # Not a comment.
        's = "# noqa: NN999"\n',
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        Invalid(
            "import torch\nx = torch.zeros(3)  # noqa: NN240\n",
            line=2,
            fixed="import torch\nx = torch.zeros(3)\n",
        ),
        Invalid("x = 1  # noqa: E501, NN777\n", line=1, fixed="x = 1  # noqa: E501\n"),
        Invalid("x = 1  # noqa: NN777  # why it was added\n", line=1, fixed="x = 1  # why it was added\n"),
        Invalid("# nnlint: file-ignore\nimport torch\n", line=1, fixed="import torch\n"),
        Invalid("x = 1  # nnlint: ignore[NN700]\ny = 2\n", line=1, fixed="x = 1\ny = 2\n"),
        # A prefix suppresses nothing; neither does a rule name that does not exist.
        Invalid("x = 1  # noqa: NN1\n", line=1, fixed="x = 1\n"),
        Invalid("x = 1  # nnlint: ignore[bogus-name]\n", line=1, fixed="x = 1\n"),
        Invalid("x = 1  # nnlint: file-ignore[view-as-permte]\n", line=1, fixed="x = 1\n"),
        Invalid("x = 1  # noqa: E501, NN20\n", line=1, fixed="x = 1  # noqa: E501\n"),
        Invalid("x = 1  # noqa: NN999\n", line=1, fixed="x = 1\n"),
        # The words after a suppression stay a comment.
        Invalid(
            "x = 1  # nnlint: ignore[NN799] -- reshape is intended\n",
            line=1,
            fixed="x = 1  # -- reshape is intended\n",
        ),
        Invalid(
            "x = y  # nnlint: ignore[NN799] * 0 if legacy else 1\n",
            line=1,
            fixed="x = y  # * 0 if legacy else 1\n",
        ),
        Invalid(
            "x = 1  # noqa: NN799 -- reshape is intended\n", line=1, fixed="x = 1  # -- reshape is intended\n"
        ),
        Invalid("x = 1  # noqa: E501, NN799 -- why\n", line=1, fixed="x = 1  # noqa: E501 -- why\n"),
    ]

    @classmethod
    def may_audit(cls, source: str) -> bool:
        """Whether the source's text may hold a directive `audit_suppressions` judges (the runner's gate,
        which spares a file the tokenizing of its comments): an `nnlint:` directive (in any case), or a
        `noqa` whose line goes on to say `nn` (an `NN` code, in any case) or a hyphen (a rule's name). A
        `# noqa`, `# noqa: F401` or `# noqa: E501, B950` (another linter's codes only) is never judged."""
        lowered = source.lower()
        if "nnlint:" in lowered:
            return True
        start = lowered.find("noqa")
        while start != -1:
            end = lowered.find("\n", start)
            rest = lowered[start + 4 : end if end != -1 else len(lowered)]
            if "nn" in rest or "-" in rest:
                return True
            start = lowered.find("noqa", start + 4)
        return False

    @classmethod
    def audit_suppressions(
        cls, path: str, suppressions: Suppressions, enabled: frozenset[str]
    ) -> list[Finding]:
        """One finding per directive that names something it did not suppress (called by the runner)."""
        directives = suppressions.directives
        silenced_rows = {d.row for d in directives if d.kind != FILE_IGNORE and cls._names_self(d)}
        if any(d.kind == FILE_IGNORE and cls._names_self(d) for d in directives):
            return []
        return [
            finding
            for directive in directives
            if directive.row not in silenced_rows
            for finding in cls._judge(path, directive, enabled)
        ]

    @classmethod
    def _names_self(cls, directive: Directive) -> bool:
        return any(normalize(code) in (cls.code, cls.name) for code in directive.codes)

    @classmethod
    def _judge(cls, path: str, directive: Directive, enabled: frozenset[str]) -> Iterator[Finding]:
        if not directive.codes:
            # A bare noqa is shared with other linters; a bare `nnlint:` directive is ours alone.
            if directive.kind != NOQA and ALL not in directive.used:
                yield cls._finding(path, directive, "This suppression suppresses nothing; remove it.", ())
            return
        rules = {rule.code: rule for rule in all_rules()}
        codes_by_name = {rule.name: rule.code for rule in all_rules()}
        unknown, unused = [], []
        for written in directive.codes:
            key = normalize(written)
            code = codes_by_name.get(key, key)
            if written in directive.used or code == cls.code:
                continue
            if code in enabled:
                unused.append(written)
            elif code not in rules and _names_no_rule(code, directive.kind):
                unknown.append(written)
        if not unused and not unknown:
            return
        parts = []
        if unused:
            where = "in this file" if directive.kind == FILE_IGNORE else "on this line"
            parts.append(f"{_names(unused)} {_verb(unused, 'suppresses', 'suppress')} nothing {where}")
        if unknown:
            parts.append(
                f"{_names(unknown)} {_verb(unknown, 'is not an nnlint rule', 'are not nnlint rules')}"
            )
            if any(_PREFIX.fullmatch(normalize(code)) for code in unknown):
                parts.append("a suppression names whole codes (NN101) or rule names, not prefixes")
        message = f"Unused suppression: {'; '.join(parts)}."
        yield cls._finding(path, directive, message, (*unused, *unknown))

    @classmethod
    def _finding(cls, path: str, directive: Directive, message: str, drop: tuple[str, ...]) -> Finding:
        kept = [code for code in directive.codes if code not in drop]
        return Finding(
            code=cls.code,
            name=cls.name,
            message=message,
            filename=path,
            location=Position(directive.row, directive.start + 1),
            end_location=Position(directive.row, directive.end + 1),
            severity=cls.severity,
            hint=cls.hint,
            fix=Fix(
                message=f"Remove {_names(list(drop))}" if kept else "Remove the unused suppression",
                edits=(_keep_codes(directive, kept) if kept else _remove(directive),),
            ),
        )


def _verb(codes: list[str], singular: str, plural: str) -> str:
    return singular if len(codes) == 1 else plural


def _names(codes: list[str]) -> str:
    return ", ".join(f"`{code}`" for code in codes)


def _codes_end(directive: Directive) -> int:
    """Where the directive's own text ends. A noqa's code list runs to the end of its comment
    (`# noqa: NN101 -- reshape is intended`); the words after its last code are the author's, not codes."""
    if directive.kind == NOQA and directive.codes_span is not None:
        start, end = directive.codes_span
        last = directive.codes[-1]
        return directive.line.rindex(last, start, end) + len(last)
    return directive.end


def _keep_codes(directive: Directive, kept: list[str]) -> Edit:
    assert directive.codes_span is not None  # a directive with codes has their span
    start, end = directive.codes_span
    if directive.kind == NOQA:
        end = _codes_end(directive)
    return Edit(Position(directive.row, start + 1), Position(directive.row, end + 1), ", ".join(kept))


def _remove(directive: Directive) -> Edit:
    """Delete the directive with the whitespace that only separated it, or its whole line when alone there.

    Text after the directive stays a comment: `x  # nnlint: ignore[NN101] -- why` becomes `x  # -- why`,
    never `x  -- why` (which would be code).
    """
    line, row = directive.line, directive.row
    content_end = len(line.rstrip("\r\n"))
    before = line[directive.comment_start : directive.start]
    after = line[_codes_end(directive) : content_end]
    if after.strip():  # more comment text follows: drop the directive and the spaces up to that text
        start, end = directive.start, content_end - len(after.lstrip())
        opens_comment = directive.start == directive.comment_start and not after.lstrip().startswith("#")
        return Edit(Position(row, start + 1), Position(row, end + 1), "# " if opens_comment else "")
    elif before.strip():  # comment text precedes: drop the spaces before the directive too
        start, end = len(line[: directive.start].rstrip()), content_end
    elif line[: directive.comment_start].strip():  # code precedes: drop the comment and the gap before it
        start, end = len(line[: directive.comment_start].rstrip()), content_end
    elif content_end < len(line):  # the directive is the whole line: drop the line
        return Edit(Position(row, 1), Position(row + 1, 1), "")
    else:
        start, end = 0, content_end
    return Edit(Position(row, start + 1), Position(row, end + 1), "")
