"""What a probe found: verdicts, evidence, and the findings NN901 batch-mixing and NN902 causal-leakage.

The findings use the same schema as `nnlint check`, so every reporter renders them; the text output adds the
verdict lines, the evidence and, for small batches and sequences, the dependency matrix drawn in the terminal.
"""

from __future__ import annotations

import linecache
from dataclasses import dataclass, field
from typing import Any

from nnlint.finding import Finding, Position, Related, Severity
from nnlint.probe.batch import BatchVerdict
from nnlint.probe.causal import CausalVerdict
from nnlint.probe.localize import Localization
from nnlint.runtime.frames import Frame, display_path, is_own
from nnlint.runtime_codes import declared

BATCH_MIXING = declared("NN901")
VACUOUS_NOTE = (
    "the output depends on no input at these weights (a zero-initialised layer, or a detach()?): judged on "
    "the activations of the model's layers instead"
)
# A model whose outputs have no batch dim at all: per-sample lists (torchvision's detectors return one dict
# of boxes per image, often empty at random weights), or only a reduced scalar.
UNBATCHED_NOTE = (
    "no output has the batch dim (per-sample lists, as detectors return, or a reduced value): judged on the "
    "activations of the model's layers instead"
)
LAYER_NOTES = (VACUOUS_NOTE, UNBATCHED_NOTE)
CAUSAL_LEAKAGE = declared("NN902")

# Advice by the kind of operation the leak was located at; the first match wins.
_BATCH_ADVICE = (
    (
        ("view", "reshape", "flatten"),
        "reorder dims with permute/transpose; view/reshape only merge or split them",
    ),
    (
        ("mean", "sum", "std", "var", "norm", "max", "min"),
        "reduce over feature dims, never over the batch dim",
    ),
)
_CAUSAL_ADVICE = (
    (
        ("softmax", "masked_fill", "where", "attention"),
        "mask future positions: keep only torch.tril(...) entries",
    ),
    (("conv",), "pad convolutions on the left only (F.pad(x, (k - 1, 0))) so no output sees a later step"),
    (("gru", "lstm", "rnn"), "use a unidirectional RNN: a bidirectional one reads the sequence backwards"),
)


@dataclass
class TrainModeResult:
    """What `--train-mode` found: mixing by named legitimate mixers, and any mixing beyond them."""

    legitimate: list[str] = field(default_factory=list)
    batch: BatchVerdict | None = None
    location: Localization | None = None


@dataclass
class ProbeReport:
    """The result of one probe. `clean` says whether it found nothing; `findings()` lists what it found.

    For merging with `nnlint check`: `confirmed_lines()` gives the (absolute filename, line) of every leak the
    probe localized, and `exercised` the (absolute filename, line) pairs the probed forward ran through (None
    unless asked for), so a static finding at a confirmed line is confirmed and one at an exercised line the
    probe found clean is refuted.
    """

    target: str
    model: str
    device: str
    samples: int
    steps: int | None
    causal: bool
    shift: int
    token_ids: bool  # integer inputs that an embedding read (or perturbation changed): named in the summary
    batch: BatchVerdict
    forward_at: Frame | None = None
    built_at: Frame | None = None  # the user's line that built the model, when known (ProbeSpec.built_at)
    gradient_note: str | None = None
    causal_verdict: CausalVerdict | None = None
    batch_location: Localization | None = None
    causal_location: Localization | None = None
    train_mode: TrainModeResult | None = None
    exercised: set[Frame] | None = None
    exercised_method: str | None = None
    # Why the probe has no verdict at all (the output ignores every input): then the report is never clean.
    inconclusive: str | None = None

    @property
    def clean(self) -> bool:
        return not self.findings() and self.inconclusive is None

    @property
    def batch_mixing(self) -> bool:
        return self.batch.mixing

    @property
    def causal_leakage(self) -> bool:
        return bool(self.causal_verdict and self.causal_verdict.leak)

    def confirmed_lines(self) -> list[Frame]:
        """(absolute filename, line) of each localized leak, in the order of findings()."""
        lines = []
        for loc in self._locations():
            if loc.filename and loc.line:
                lines.append((loc.filename, loc.line))
                if loc.symptom is not None:
                    lines.append(loc.symptom)
        return lines

    def _locations(self) -> list[Localization]:
        located = [self.batch_location, self.causal_location]
        if self.train_mode is not None:
            located.append(self.train_mode.location)
        return [loc for loc in located if loc is not None]

    def findings(self) -> list[Finding]:
        found = []
        if self.batch.mixing:
            found.append(self._batch_finding(self.batch, self.batch_location, "eval"))
        if self.train_mode is not None and self.train_mode.batch is not None and self.train_mode.batch.mixing:
            found.append(self._batch_finding(self.train_mode.batch, self.train_mode.location, "train"))
        if self.causal_verdict is not None and self.causal_verdict.leak:
            found.append(self._causal_finding(self.causal_verdict, self.causal_location))
        return found

    def _batch_finding(self, verdict: BatchVerdict, where: Localization | None, mode: str) -> Finding:
        pairs = len(verdict.leaks)
        message = (
            f"Samples mix across the batch here: outputs depend on other samples' inputs ({pairs} of "
            f"{self.samples * (self.samples - 1)} sample pairs, {mode} mode)."
        )
        evidence: dict[str, Any] = {
            "mode": mode,
            "method": verdict.method,
            "backward_passes" if verdict.method == "gradient" else "forward_passes": verdict.passes,
            "probe_batch": self.samples,
            "leaks": [
                {"output": i, "input": j, "relative_magnitude": round(m, 6)} for i, j, m in verdict.leaks
            ],
        }
        return self._finding(
            BATCH_MIXING,
            message,
            _advice(
                _BATCH_ADVICE,
                where,
                "compute each sample on its own: no op may combine entries along the batch dim",
            ),
            where,
            evidence,
        )

    def _causal_finding(self, verdict: CausalVerdict, where: Localization | None) -> Finding:
        if verdict.lookahead is not None:
            seen = f"inputs {verdict.lookahead} step{'s' if verdict.lookahead != 1 else ''} ahead"
        else:
            seen = "later inputs"
        allowed = "itself" if verdict.shift == 0 else f"{verdict.shift:+d} steps"
        message = f"The future leaks in here: the output at step t sees {seen} (allowed: up to {allowed})."
        evidence: dict[str, Any] = {
            "method": verdict.method,
            "backward_passes" if verdict.method == "gradient" else "forward_passes": verdict.passes,
            "steps": verdict.steps,
            "shift": verdict.shift,
            "splits_tested": verdict.splits,
            "lookahead": verdict.lookahead,
            "leaks": [
                {"sample": leak.sample, "split": leak.split, "furthest_input": leak.furthest}
                for leak in verdict.leaks
            ],
        }
        return self._finding(
            CAUSAL_LEAKAGE,
            message,
            _advice(_CAUSAL_ADVICE, where, "make every op causal: output t may only read inputs up to t"),
            where,
            evidence,
        )

    def _finding(
        self,
        rule: tuple[str, str],
        message: str,
        hint: str,
        where: Localization | None,
        evidence: dict[str, Any],
    ) -> Finding:
        if where is not None and where.found:
            frame: Frame | None = (where.filename or "", where.line or 1)
            evidence["located_by"] = where.method
            evidence["op"] = where.op
            if where.module:
                evidence["module"] = where.module
            evidence["why_here"] = where.reason
            if where.symptom is not None:
                path, line = where.symptom
                evidence["first_symptom"] = {
                    "filename": display_path(path),
                    "line": line,
                    "code": where.symptom_code,
                }
                message += f" It first shows at {display_path(path)}:{line} (`{where.symptom_code}`)."
        else:
            frame = self.forward_at
            message += " (not localized: reported at the model's forward)"
        if where is not None and where.attempts:
            evidence["capture_attempts"] = where.attempts
        related: tuple[Related, ...] = ()
        if frame is not None and not is_own(frame[0]) and self.built_at is not None:
            # Installed code (a Hugging Face layer) is no line of the user's: the finding goes to the line
            # that built the model, and the library line it shows at is related context.
            library = Related(display_path(frame[0]), _position(frame[1], frame[0]), "the leak shows here")
            related, frame = (library,), self.built_at
            message += f" It shows in installed code, at {library.filename}:{library.location.row}."
            evidence["library_frame"] = {"filename": library.filename, "line": library.location.row}
        filename, row = frame if frame else ("<unknown>", 1)
        text = linecache.getline(filename, row)
        column = len(text) - len(text.lstrip()) + 1 if text.strip() else 1
        end = len(text.rstrip()) + 1 if text.strip() else 1
        return Finding(
            code=rule[0],
            name=rule[1],
            message=message,
            filename=display_path(filename),
            location=Position(row, column),
            end_location=Position(row, max(end, column)),
            severity=Severity.ERROR,
            hint=hint,
            evidence=evidence,
            related=related,
        )

    def text(self, color: bool = False) -> str:
        """The human report: verdicts, then each finding with its source line, evidence and matrix."""
        from nnlint.reporters import RenderOptions, render

        parts = ["\n".join(self.summary_lines()) + "\n\n"]
        findings = self.findings()
        for finding in findings:
            rendered = render([finding], "text", RenderOptions(color=color)).rstrip("\n")
            parts.append(
                rendered + "\n" + "".join(line + "\n" for line in self.render_evidence(finding)) + "\n"
            )
        if findings:
            parts.append(
                f"Found {len(findings)} problem{'s' if len(findings) != 1 else ''} by running the model.\n"
            )
        elif self.inconclusive is not None:
            parts.append("Inconclusive: nothing was judged (see above).\n")
        else:
            checked = "no batch mixing" + (", no causal leakage" if self.causal_verdict is not None else "")
            parts.append(f"Clean: {checked} in the probed forward.\n")
        return "".join(parts)

    def summary_lines(self) -> list[str]:
        """The verdict block printed above the findings in text output."""
        dims = f"{self.samples} samples" + (f" x {self.steps} steps" if self.steps and self.causal else "")
        token = ""
        if self.token_ids:
            at = "gradients at the embedding output" if self.batch.method == "gradient" else "perturbed ids"
            token = f", token ids ({at})"
        lines = [f"probe {self.target}: {self.model} on {self.device}, eval mode, probe batch {dims}{token}"]
        if self.inconclusive is not None:
            lines.append(f"  {'batch independence':<20} INCONCLUSIVE: {self.inconclusive}")
            return lines
        lines.append(
            _verdict_line("batch independence", self.batch.mixing, self.batch.method, self.batch.passes)
        )
        if self.gradient_note in LAYER_NOTES:
            lines.append(f"  ({self.gradient_note})")
        elif self.gradient_note:
            lines.append(f"  (perturbation used: {self.gradient_note})")
        if self.causal_verdict is not None:
            verdict = self.causal_verdict
            line = _verdict_line("causality", verdict.leak, verdict.method, verdict.passes)
            if verdict.lookahead is not None:
                line += f"; outputs see up to {verdict.lookahead} step(s) ahead"
            lines.append(line + f"; split points {_short(verdict.splits)}")
        if self.train_mode is not None:
            if self.train_mode.legitimate:
                lines.append(
                    "  train mode           samples mix through "
                    + ", ".join(self.train_mode.legitimate)
                    + ": expected, not a bug"
                )
            if self.train_mode.batch is not None:
                mode = self.train_mode.batch
                lines.append(_verdict_line("train-mode batch", mode.mixing, mode.method, mode.passes))
        return lines

    def render_evidence(self, finding: Finding) -> list[str]:
        """Evidence lines and the dependency matrix under one finding."""
        lines = []
        evidence = finding.evidence
        if "located_by" in evidence:
            module = f" in module `{evidence['module']}`" if evidence.get("module") else ""
            lines.append(f"  = located by {evidence['located_by']}: `{evidence['op']}`{module}")
        for attempt in evidence.get("capture_attempts", []):
            lines.append(f"  = capture fallback: {attempt}")
        if finding.code == BATCH_MIXING[0]:
            in_train_mode = evidence.get("mode") == "train" and self.train_mode is not None
            verdict = self.train_mode.batch if in_train_mode and self.train_mode else self.batch
            if verdict is not None and verdict.matrix is not None:
                lines += _matrix(verdict.matrix, "output sample", "input sample", lambda i, j: i != j)
        elif self.causal_verdict is not None and self.causal_verdict.matrix is not None:
            shift = self.causal_verdict.shift
            lines += _matrix(
                self.causal_verdict.matrix, "output step", "input step", lambda i, j: j > i + shift
            )
        return lines


def _position(row: int, filename: str) -> Position:
    text = linecache.getline(filename, row)
    return Position(row, len(text) - len(text.lstrip()) + 1 if text.strip() else 1)


def _verdict_line(label: str, bad: bool, method: str, passes: int) -> str:
    unit = "backward" if method == "gradient" else "forward"
    state = "LEAK" if bad else "ok"
    return f"  {label:<20} {state:<5} ({method}, {passes} {unit} pass{'es' if passes != 1 else ''})"


def _short(values: list[int]) -> str:
    return ", ".join(map(str, values[:8])) + (", ..." if len(values) > 8 else "")


def _matrix(rows: list[list[float]], row_label: str, column_label: str, forbidden: Any) -> list[str]:
    """Rows are outputs, columns inputs: `#` allowed dependency, `X` forbidden one, `.` none."""
    size = len(rows[0])
    lines = [f"  dependencies (rows: {row_label}, columns: {column_label}; # allowed, X forbidden, . none)"]
    lines.append("       " + "".join(str(j % 10) for j in range(size)))
    for i, row in enumerate(rows):
        cells = "".join(
            ("X" if forbidden(i, j) else "#") if value > 0 else "." for j, value in enumerate(row)
        )
        lines.append(f"  {i:>4} {cells}")
    return lines


def _advice(table: tuple[tuple[tuple[str, ...], str], ...], where: Localization | None, default: str) -> str:
    op = f"{where.op} {where.code}".lower() if where is not None and where.found else ""
    for words, advice in table:
        if any(word in op for word in words):
            return advice
    return default
