"""The one record every part of nnlint produces: a finding at a place in a file.

Static rules, the runtime probe and every reporter share this schema, so a JSON consumer sees the same
fields whether a finding came from `nnlint check` or `nnlint probe`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

DOCS_BASE = "https://github.com/nnlint/nnlint/blob/main/docs/"
DOCS_URL = DOCS_BASE + "rules.md#{code}"


class Severity(str, Enum):
    """How sure and how bad: errors are bugs, warnings are likely bugs, info is worth a look."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, order=True)
class Position:
    """A 1-based row and 1-based column, as ruff reports them."""

    row: int
    column: int

    def to_json(self) -> dict[str, int]:
        return {"row": self.row, "column": self.column}


@dataclass(frozen=True)
class Edit:
    """Replace the text between two positions (end exclusive) with `content`."""

    location: Position
    end_location: Position
    content: str
    # For notebooks: the 1-based cell the positions count within. A fix may edit another cell than the
    # one its finding is in (seeding at the top of the notebook for randomness used further down).
    cell: int | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "content": self.content,
            "location": self.location.to_json(),
            "end_location": self.end_location.to_json(),
        }
        if self.cell is not None:
            data["cell"] = self.cell
        return data


@dataclass(frozen=True)
class Fix:
    """A change that removes the finding. `safe` fixes keep behaviour users rely on; `unsafe` ones may not."""

    message: str
    edits: tuple[Edit, ...]
    applicability: str = "safe"

    def to_json(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "applicability": self.applicability,
            "edits": [edit.to_json() for edit in self.edits],
        }


@dataclass(frozen=True)
class Related:
    """Evidence for a finding at another place: the criterion call that consumes a softmax, say.

    `filename` may differ from the finding's own file (the loop in train.py, the layer in models.py).
    """

    filename: str
    location: Position
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"filename": self.filename, "location": self.location.to_json(), "message": self.message}

    def describe(self) -> str:
        return f"{self.filename}:{self.location.row}:{self.location.column}: {self.message}"


@dataclass
class Finding:
    """A problem at one place. Rows and columns are 1-based; `end_location` is exclusive."""

    code: str
    name: str
    message: str
    filename: str
    location: Position
    end_location: Position
    severity: Severity
    hint: str | None = None
    fix: Fix | None = None
    # Set when the runtime probe settled a static suspicion: "confirmed" or "refuted".
    confirmation: str | None = None
    # Free-form facts behind a runtime finding (which samples leak, magnitude, capture method).
    evidence: dict[str, Any] = field(default_factory=dict)
    # For notebooks: the 1-based cell number the row counts within.
    cell: int | None = None
    # Other places that make this a finding, each with a short message (shown by every format).
    related: tuple[Related, ...] = ()

    @property
    def url(self) -> str:
        from nnlint.runtime_codes import runtime_code

        runtime = runtime_code(self.code) if self.code.startswith("NN9") else None
        return runtime.url if runtime is not None else DOCS_URL.format(code=self.code.lower())

    def sort_key(self) -> tuple[str, int, int, int, str]:
        return (self.filename, self.cell or 0, self.location.row, self.location.column, self.code)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "code": self.code,
            "name": self.name,
            "message": self.message,
            "filename": self.filename,
            "location": self.location.to_json(),
            "end_location": self.end_location.to_json(),
            "severity": self.severity.value,
            "url": self.url,
            "fix": self.fix.to_json() if self.fix else None,
        }
        if self.hint:
            data["hint"] = self.hint
        if self.confirmation:
            data["confirmation"] = self.confirmation
        if self.evidence:
            data["evidence"] = self.evidence
        if self.cell is not None:
            data["cell"] = self.cell
        if self.related:
            data["related"] = [item.to_json() for item in self.related]
        return data
