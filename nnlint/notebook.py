"""Jupyter notebooks: check the code cells as one program, report by cell, write fixes back cell by cell.

The kernel runs every cell in one namespace, so the code cells are joined into one source and a model
built in cell 2 is the model trained in cell 5, as when the notebook runs top to bottom. IPython syntax
that is not Python (line magics, shell escapes, `?` help) is masked line by line: each such line becomes
a blank line, or `pass` where it sits inside a block, so every row of the joined source is the same row
of its cell. A cell magic (`%%bash`, `%%writefile`) makes its whole cell foreign and the cell is skipped,
except for the few cell magics that run their body as Python (`%%time`, `%%capture`, ...).

Cells are numbered from 1 among *all* cells, markdown included: that is the number VS Code shows
("Cell 3 of 7") and the position users count in JupyterLab. Counting code cells only sends users to the
wrong cell as soon as markdown sits between the code (nbQA issue #860).

A notebook that is not JSON or not nbformat 4 is an NN000 finding, like a file that does not parse, and a
notebook whose kernel is not Python is skipped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any

from nnlint.finding import Edit, Finding, Fix, Position
from nnlint.fixes import UnparsableFix, apply_fixes
from nnlint.rule import Rule
from nnlint.runner import SYNTAX_ERROR_CODE, FileResult, check_source, parse_source, syntax_finding

# Cell magics whose body is Python run in the kernel's namespace: checked, with the magic line masked.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "python", "python3"})

_CELL_MAGIC = re.compile(r"^%%(?P<name>\w+)")
# `x = %time f()` and `files = !ls` still bind their targets, so the binding is kept with `...` as value.
_ASSIGNED_ESCAPE = re.compile(r"^(?P<target>\s*[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=)\s*[%!]")
_ESCAPE = re.compile(r"^\s*(?:%[A-Za-z]|!(?!=))")
_HELP = re.compile(r"^\s*(?:\?{1,2}[\w.*]+|[\w.*]+\?{1,2})\s*$")


class NotebookError(Exception):
    """The bytes are not a notebook nnlint can read; the message says why."""


@dataclass(frozen=True)
class CodeCell:
    """One code cell: its text as written and as checked, and where it sits in the joined source."""

    number: int  # 1-based among all cells
    text: str
    masked: tuple[str, ...]  # the cell's lines with IPython syntax masked, without newlines
    masked_rows: frozenset[int]  # 1-based rows of the cell whose checked text differs from the cell's
    first_row: int  # 1-based row of the cell's first line in the joined source
    indent: int = 0  # the width of the leading indent IPython strips from the `dedented` rows
    dedented: frozenset[int] = frozenset()

    @property
    def last_row(self) -> int:
        return self.first_row + len(self.masked) - 1


@dataclass
class Notebook:
    raw: dict[str, Any]
    cells: list[CodeCell]

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> Notebook:
        cells = []
        row = 1
        for number, cell in enumerate(raw["cells"], start=1):
            if cell.get("cell_type") != "code":
                continue
            text = cell_text(cell)
            runs, indent, dedented = strip_leading_indent(text)
            masked, masked_rows = mask_ipython(runs)
            cells.append(CodeCell(number, text, tuple(masked), masked_rows | dedented, row, indent, dedented))
            row += len(masked)
        return cls(raw, cells)

    def source(self, skip: frozenset[int] = frozenset()) -> str:
        """The joined, masked source; cells numbered in `skip` are blanked (same rows, no code)."""
        lines = [line if cell.number not in skip else "" for cell in self.cells for line in cell.masked]
        return "\n".join(lines) + "\n" if lines else ""

    def cell_at(self, row: int) -> CodeCell | None:
        for cell in self.cells:
            if cell.first_row <= row <= cell.last_row:
                return cell
        return None


def cell_text(cell: dict[str, Any]) -> str:
    """nbformat stores a cell's source as one string or as a list of lines; both mean the joined text."""
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(source)


def _lines(text: str) -> list[str]:
    """A cell's lines without newlines; a final newline does not start another (empty) line."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def strip_leading_indent(text: str) -> tuple[str, int, frozenset[int]]:
    """The cell's text as IPython runs it, the width of the indent it strips, and the rows (1-based) it
    strips it from. IPython removes the leading whitespace of a cell's first non-blank line from every
    line that starts with the same whitespace, so a cell pasted with one space in front (`" def f(a):"`,
    rasbt/machine-learning-book ch13_part1.ipynb) runs, where Python alone would stop at "unexpected
    indent"; other lines keep theirs."""
    lines = text.split("\n")
    first = next((line for line in lines if line.strip()), "")
    space = first[: len(first) - len(first.lstrip(" \t"))]
    if not space:
        return text, 0, frozenset()
    rows = frozenset(row for row, line in enumerate(lines, start=1) if line.startswith(space))
    kept = [line[len(space) :] if line.startswith(space) else line for line in lines]
    return "\n".join(kept), len(space), rows


def mask_ipython(text: str) -> tuple[list[str], frozenset[int]]:
    """The cell's lines with every IPython-only line masked, and which rows (1-based) were masked.

    Masking works on lines, not tokens, so a line of a multi-line string that looks like a magic is
    masked too; that changes nothing a rule looks at, and fixes never touch masked rows.
    """
    lines = _lines(text)
    first = next((line for line in lines if line.strip()), "")
    magic = _CELL_MAGIC.match(first.lstrip())
    if magic:
        if magic.group("name") not in PYTHON_CELL_MAGICS:
            return [""] * len(lines), frozenset(range(1, len(lines) + 1))
        start = lines.index(first)
        return lines[:start] + [""] + lines[start + 1 :], frozenset({start + 1})
    masked: list[str] = []
    rows: set[int] = set()
    continued = False  # the previous masked line ended in a backslash: this one belongs to it
    for row, line in enumerate(lines, start=1):
        assigned = _ASSIGNED_ESCAPE.match(line)
        if assigned:
            replacement = f"{assigned.group('target')} ..."
        elif continued or _ESCAPE.match(line) or _HELP.match(line):
            stripped = line.lstrip()
            indent = line[: len(line) - len(stripped)]
            # A block whose only statement was a magic still needs a statement.
            replacement = f"{indent}pass" if indent and not continued else ""
        else:
            masked.append(line)
            continue
        masked.append(replacement)
        rows.add(row)
        continued = line.rstrip().endswith("\\")
    return masked, frozenset(rows)


def load_notebook(data: bytes) -> dict[str, Any]:
    """The notebook's JSON, checked to be nbformat 4. Raises NotebookError."""
    try:
        raw = json.loads(data)
    except RecursionError as error:
        raise NotebookError("Cannot read this notebook: its JSON nests too deep") from error
    except UnicodeDecodeError as error:
        raise NotebookError(f"Cannot read this notebook: not UTF-8 ({error.reason})") from error
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        raise NotebookError(f"Cannot read this notebook: invalid JSON at {where}: {error.msg}") from error
    if not isinstance(raw, dict) or raw.get("nbformat") != 4:
        found = raw.get("nbformat") if isinstance(raw, dict) else None
        detail = f"nbformat {found}" if found is not None else "no nbformat version"
        raise NotebookError(f"Cannot read this notebook: nnlint reads nbformat 4, this has {detail}")
    if not isinstance(raw.get("cells"), list):
        raise NotebookError("Cannot read this notebook: its `cells` is not a list")
    for cell in raw["cells"]:
        source = cell.get("source", "") if isinstance(cell, dict) else None
        valid_source = isinstance(source, str) or (
            isinstance(source, list) and all(isinstance(line, str) for line in source)
        )
        if not valid_source:
            raise NotebookError("Cannot read this notebook: a cell is not an object with a text `source`")
    return raw


def is_python(raw: dict[str, Any]) -> bool:
    """Whether the kernel runs Python; a notebook that does not say is taken to be Python."""
    metadata = _table(raw.get("metadata"))
    language = _table(metadata.get("language_info")).get("name") or _table(metadata.get("kernelspec")).get(
        "language"
    )
    return not isinstance(language, str) or language.lower() == "python"


def _table(value: Any) -> dict[str, Any]:
    """A metadata field that should be a JSON object; anything else says nothing."""
    return value if isinstance(value, dict) else {}


def check_notebook(filename: str, data: bytes, rules: list[type[Rule]]) -> FileResult:
    """Check a notebook's code cells as one program; findings carry the cell and a row within it."""
    try:
        raw = load_notebook(data)
    except NotebookError as error:
        result = FileResult(filename)
        result.findings.append(syntax_finding(filename, str(error), *_json_position(error)))
        return result
    if not is_python(raw):
        return FileResult(filename)
    notebook = Notebook.from_raw(raw)
    result = check_source(filename, notebook.source(), rules)
    broken: list[Finding] = []
    if _is_parse_failure(result):
        # One broken cell must not hide the findings in the others: find the cells that fail on their
        # own, report each, and check the rest without them.
        for cell in notebook.cells:
            parsed = parse_source(filename, "\n".join(cell.masked) + "\n")
            if isinstance(parsed, Finding):
                parsed.cell = cell.number
                broken.append(parsed)
        if broken:
            result = check_source(filename, notebook.source(skip=frozenset(f.cell for f in broken)), rules)
    # A finding in a project module the notebook imports keeps that file's rows.
    cells = (_to_cell(notebook, f) if f.filename == filename else f for f in result.findings)
    mapped = [finding for finding in cells if finding is not None]
    result.findings = sorted(broken + mapped, key=Finding.sort_key)
    return result


def _json_position(error: NotebookError) -> tuple[int, int]:
    cause = error.__cause__
    if isinstance(cause, json.JSONDecodeError):
        return cause.lineno, cause.colno
    return 1, 1


def _is_parse_failure(result: FileResult) -> bool:
    return len(result.findings) == 1 and result.findings[0].code == SYNTAX_ERROR_CODE


def _to_cell(notebook: Notebook, finding: Finding) -> Finding | None:
    """The finding with rows counted within its cell, and its fix's edits located by cell."""
    cell = notebook.cell_at(finding.location.row)
    if cell is None:
        return None
    start = _in_cell(cell, finding.location.row - cell.first_row + 1, finding.location.column)
    if finding.end_location.row <= cell.last_row:
        end = _in_cell(cell, finding.end_location.row - cell.first_row + 1, finding.end_location.column)
    else:  # a node that runs past its cell (only possible across a cell boundary): stop at the cell's end
        end = Position(len(cell.masked), len(cell.masked[-1]) + 1)
    finding.location, finding.end_location, finding.cell = start, end, cell.number
    if finding.fix is not None:
        finding.fix = _fix_by_cell(notebook, finding.fix)
    return finding


def _in_cell(cell: CodeCell, row: int, column: int) -> Position:
    """A position of the checked text at `row` of a cell, in the cell as written: a row IPython dedents
    has its indent back."""
    return Position(row, column + cell.indent if row in cell.dedented else column)


def _fix_by_cell(notebook: Notebook, fix: Fix) -> Fix | None:
    """The fix with each edit's rows counted in its own cell; None when an edit cannot be written back
    (it spans two cells, or touches a masked line, whose checked text is not what the cell says)."""
    edits = []
    for edit in fix.edits:
        cell = notebook.cell_at(edit.location.row)
        if cell is None or edit.end_location.row > cell.last_row:
            return None
        rows = range(edit.location.row - cell.first_row + 1, edit.end_location.row - cell.first_row + 2)
        if any(row in cell.masked_rows for row in rows):
            return None
        edits.append(
            Edit(
                Position(rows.start, edit.location.column),
                Position(rows.stop - 1, edit.end_location.column),
                edit.content,
                cell=cell.number,
            )
        )
    return replace(fix, edits=tuple(edits))


# Joins the code cells into one text for applying fixes; no cell can contain it (NUL is not valid Python).
_SEPARATOR = "\n\0nnlint cell boundary\0\n"


def fix_notebook_pass(data: bytes, findings: list[Finding], unsafe: bool) -> tuple[bytes, int] | None:
    """One fix pass over a notebook: the fixed bytes and how many fixes were applied, or None when nothing
    changes. Raises UnparsableFix when the fixed cells would not parse (a rule's fix is broken).

    Only the sources of the changed cells are rewritten; outputs, execution counts, metadata, key order
    and the JSON layout (indent, trailing newline, line endings) stay as they were, so the diff of a
    fixed notebook shows only the fixed lines. The cells are joined with a separator line and fixed as one
    text, so a fix that edits two cells (a seed at the top for randomness further down) is applied whole
    or not at all, like any fix in a Python file.
    """
    try:
        raw = load_notebook(data)
    except NotebookError:
        return None
    notebook = Notebook.from_raw(raw)
    first_row: dict[int, int] = {}
    row = 1
    for cell in notebook.cells:
        first_row[cell.number] = row
        row += cell.text.count("\n") + _SEPARATOR.count("\n")
    joined = _SEPARATOR.join(cell.text for cell in notebook.cells)
    movable = [moved for moved in (_in_joined(f, first_row) for f in findings) if moved is not None]
    fixed, applied = apply_fixes(joined, movable, unsafe)
    if not applied or fixed == joined:
        return None
    texts = fixed.split(_SEPARATOR)
    before_parses = not isinstance(parse_source("", notebook.source()), Finding)
    for cell, text in zip(notebook.cells, texts, strict=True):
        if text != cell.text:
            source = raw["cells"][cell.number - 1]
            source["source"] = (
                text if isinstance(source.get("source"), str) else text.splitlines(keepends=True)
            )
    if before_parses and isinstance(parse_source("", Notebook.from_raw(raw).source()), Finding):
        raise UnparsableFix
    return _dump_like(raw, data), applied


def _in_joined(finding: Finding, first_row: dict[int, int]) -> Finding | None:
    """The finding with its fix's edits in rows of the joined text; None when it has no fix to apply."""
    if finding.fix is None:
        return None
    edits = []
    for edit in finding.fix.edits:
        if edit.cell not in first_row:
            return None  # an edit that lost its cell (or names no code cell) could land in the wrong one
        offset = first_row[edit.cell] - 1
        edits.append(
            replace(
                edit,
                location=Position(edit.location.row + offset, edit.location.column),
                end_location=Position(edit.end_location.row + offset, edit.end_location.column),
                cell=None,
            )
        )
    return replace(finding, fix=replace(finding.fix, edits=tuple(edits)))


def _dump_like(raw: dict[str, Any], original: bytes) -> bytes:
    """JSON in the original's layout; Jupyter writes indent 1, non-ASCII as is, and a final newline."""
    indent_match = re.match(rb"\{\r?\n( +)\"", original)
    indent = len(indent_match.group(1)) if indent_match else 1
    text = json.dumps(raw, indent=indent, ensure_ascii=False)
    if original.endswith(b"\n"):
        text += "\n"
    if b"\r\n" in original:
        text = text.replace("\n", "\r\n")  # json.dumps escapes newlines in strings: these are all layout
    return text.encode("utf-8")
