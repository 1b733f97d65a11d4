"""The nnlint language server: `nnlint check` findings as editor diagnostics, fixes and noqa as code actions.

A document is checked when it is opened or saved, and 300 ms after the last edit of a burst of typing,
with the same rules `nnlint check` would run on that file on disk (`[tool.nnlint]` found the same way).
Checks run one at a time in a worker thread, so hover and code-action requests are answered while a
large file is being checked; a check whose document changed meanwhile is thrown away, not published.

A server must outlive whatever the editor sends it: a file that does not parse gets an NN000 diagnostic,
a file over `max_bytes` is not checked (one information diagnostic says so: a check costs 10 to 20 µs
per byte, so typing in a large file would queue multi-second checks), and an exception while checking
is logged to the client while the server goes on serving. A check that waited behind another while its
document changed again is skipped, so a burst of edits costs at most one stale check.

A config error or a rule crash is what `nnlint check` would print on stderr; editors do not show the log,
so the user gets it as a message (once per problem) and as an error diagnostic on line 1 of the file.

A check of train.py may report a finding in another project file (the softmax in models.py whose output
reaches the loss in train.py): it is published to that file's URI, beside that file's own diagnostics,
for as long as the latest check of train.py reports it. Its positions count in models.py as the check
read it from disk, so it is shown only while the editor's text of models.py is that text; saving a file
re-checks the open documents whose checks read it.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, default_converter
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import TextDocument

from nnlint import __version__
from nnlint.config import ConfigError, Overrides, clear_config_cache, config_for, rules_for_codes
from nnlint.crossfile import settle
from nnlint.finding import Edit, Finding, Fix, Position
from nnlint.fixes import apply_edits
from nnlint.lsp import DEFAULT_MAX_BYTES
from nnlint.reporters.lsp import SOURCE, ToLsp, position_converter, text_edits, to_diagnostic
from nnlint.reporters.sources import row_text, split_lines
from nnlint.rule import rule_by_code_or_name
from nnlint.runner import check_source, decode_source, parse_source
from nnlint.suppress import noqa_edits

DEBOUNCE_SECONDS = 0.3
# Turns the plain JSON objects of `nnlint.reporters.lsp` into the lsprotocol types pygls sends.
_CONVERTER = default_converter()


@dataclass
class Elsewhere:
    """Findings a check placed in another project file, and that file's text as the check read it (their
    positions count in it)."""

    source: str
    findings: list[Finding]
    lines: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.lines = split_lines(self.source)


@dataclass
class Checked:
    """What the check of one version of a document found, in it and in other project files."""

    version: int | None
    source: str
    findings: list[Finding] = field(default_factory=list)
    diagnostics: list[types.Diagnostic] = field(default_factory=list)
    # Messages for the client's log (config errors, rule crashes), sent from the event loop.
    problems: list[str] = field(default_factory=list)
    skipped_bytes: int | None = None  # set when the file was too large to check
    # Findings in other files by their resolved path (from the worker), and by their URI (in the event loop).
    found_in: dict[Path, Elsewhere] = field(default_factory=dict)
    elsewhere: dict[str, Elsewhere] = field(default_factory=dict)
    depends: frozenset[str] = frozenset()  # the project modules the check read (resolved paths)
    lines: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.lines = split_lines(self.source)


@dataclass(frozen=True)
class Shown:
    """A published diagnostic, its finding and the text its positions count in: code actions and hovers
    answer from these."""

    finding: Finding
    diagnostic: types.Diagnostic
    source: str


def to_client(lines: list[str], document: TextDocument | None, server: LanguageServer) -> ToLsp:
    """Positions in this text as the client counts them (in the encoding it negotiated)."""
    codec = document.position_codec if document is not None else server.workspace.position_codec
    return position_converter(partial(row_text, lines), codec.client_num_units)


class _AnsweringProtocol(LanguageServerProtocol):
    """pygls 2.1 drops a request whose params do not fit its method without a response, and LSP clients
    wait for that response forever; this one answers it with an InvalidParams error."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            if "id" in data and "method" in data:
                self._send_response(data["id"], None, error.to_response_error())
            raise


class NnlintServer(LanguageServer):
    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        super().__init__(
            SOURCE,
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=_AnsweringProtocol,
        )
        self.max_bytes = max_bytes
        self.checked: dict[str, Checked] = {}
        self.published: dict[str, list[Shown]] = {}  # what was last published per URI
        self._pending: dict[str, asyncio.TimerHandle] = {}
        self._shown: dict[str, set[str]] = {}  # problems already shown as messages, per document
        # One worker: checks of one document must not overtake each other, and parsing is CPU-bound.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nnlint-check")

    def schedule(self, uri: str, delay: float) -> None:
        """Check `uri` after `delay` seconds, replacing a check already waiting for it (debounce)."""
        waiting = self._pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        loop = asyncio.get_running_loop()
        self._pending[uri] = loop.call_later(delay, lambda: loop.create_task(self.check_and_publish(uri)))

    def forget(self, uri: str) -> None:
        """A closed document: its own diagnostics go, and so do those its checks placed in other files."""
        waiting = self._pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        closed = self.checked.pop(uri, None)
        self._shown.pop(uri, None)
        self.publish(uri)  # what the checks of documents still open place in it, usually nothing
        for target in closed.elsewhere if closed is not None else ():
            self.publish(target)

    def recheck_dependents(self, uri: str) -> None:
        """After a save: check again the open documents whose checks read this file from disk."""
        path = to_fs_path(uri)
        if path is None:
            return
        # The file itself, or a folder it was created in that an import resolution probed and missed.
        resolved = {str(Path(path).resolve()), *(str(folder) for folder in Path(path).resolve().parents)}
        for other, checked in list(self.checked.items()):
            if other != uri and not resolved.isdisjoint(checked.depends):
                self.schedule(other, 0)

    async def check_and_publish(self, uri: str) -> None:
        self._pending.pop(uri, None)
        if uri not in self.workspace.text_documents:
            return  # closed while waiting
        document = self.workspace.get_text_document(uri)
        version, source = document.version, document.source
        try:
            checked = await asyncio.get_running_loop().run_in_executor(
                self._worker, self._check, uri, version, source
            )
        except Exception as error:  # noqa: BLE001 - a failed check must not take the server down
            self.log(f"checking {uri} failed: {error!r}")
            return
        if checked is None or not self._is_current(uri, version):
            return  # stale: the newer version has its own check scheduled
        for problem in checked.problems:
            self.log(problem)
        self._tell_user(uri, checked.problems)
        if checked.skipped_bytes is not None:
            checked.diagnostics = [self._skipped_diagnostic(checked.skipped_bytes)]
        else:
            positions = to_client(checked.lines, document, self)
            checked.diagnostics = [_diagnostic(checked.lines, positions, f) for f in checked.findings]
        # After the findings' diagnostics, which `publish` pairs with `findings` in order.
        checked.diagnostics += [_problem_diagnostic(problem) for problem in checked.problems]
        checked.elsewhere = {self._uri_of(path): found for path, found in checked.found_in.items()}
        previous = self.checked.get(uri)
        self.checked[uri] = checked
        self.publish(uri)
        # Files this check places findings in now, and those the previous check did (they may be gone).
        for target in {*checked.elsewhere, *(previous.elsewhere if previous is not None else ())}:
            if target != uri:
                self.publish(target)

    def publish(self, uri: str) -> None:
        """Publish a file's diagnostics: its own check's, then what other documents' checks found in it,
        each finding once, and the latter only while the editor's text of the file is the one they were
        found in (an edited, unsaved models.py would show them on the wrong lines)."""
        document = self.workspace.text_documents.get(uri)
        own = self.checked.get(uri)
        shown: list[Shown] = []
        diagnostics: list[types.Diagnostic] = []
        if own is not None:
            diagnostics += own.diagnostics
            shown += [Shown(f, d, own.source) for f, d in zip(own.findings, own.diagnostics, strict=False)]
        places = {_place(entry.finding) for entry in shown}
        for other, checked in self.checked.items():
            found = checked.elsewhere.get(uri)
            if other == uri or found is None or (document is not None and document.source != found.source):
                continue
            positions = to_client(found.lines, document, self)
            for finding in found.findings:
                if _place(finding) in places:
                    continue
                places.add(_place(finding))
                diagnostic = _diagnostic(found.lines, positions, finding)
                diagnostics.append(diagnostic)
                shown.append(Shown(finding, diagnostic, found.source))
        self.published[uri] = shown
        version = own.version if own is not None else document.version if document is not None else None
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )

    def _uri_of(self, path: Path) -> str:
        """The URI a file is open under in the editor (which may name it through a symlink), else its own."""
        for uri in self.workspace.text_documents:
            fs_path = to_fs_path(uri)
            if fs_path is not None and Path(fs_path).resolve() == path:
                return uri
        return from_fs_path(str(path)) or path.as_uri()

    def _tell_user(self, uri: str, problems: list[str]) -> None:
        """Show each new config error or rule crash of a document once as a message (editors do not show
        the log); a problem that went away and comes back is shown again."""
        shown = self._shown.setdefault(uri, set())
        for problem in problems:
            if problem not in shown:
                self.window_show_message(
                    types.ShowMessageParams(type=types.MessageType.Error, message=f"nnlint: {problem}")
                )
        self._shown[uri] = set(problems)

    def _is_current(self, uri: str, version: int | None) -> bool:
        document = self.workspace.text_documents.get(uri)
        return document is not None and document.version == version

    def _check(self, uri: str, version: int | None, source: str) -> Checked | None:
        """Runs in the worker thread: the findings `nnlint check` would report for this text, or None when
        the text changed while this check waited behind another (its own check is queued)."""
        if not self._is_current(uri, version):
            return None
        checked = Checked(version, source)
        path = Path(to_fs_path(uri) or "untitled.py")
        size = len(source.encode("utf-8"))
        if size > self.max_bytes:
            checked.skipped_bytes = size
            return checked
        if path.suffix == ".ipynb":
            return checked  # notebook cells arrive as notebook documents, which this server does not sync
        # Config files may have changed since the last check; re-reading them costs little next to a check.
        clear_config_cache()
        try:
            config = config_for(path, None)
            codes = config.enabled_codes(path, Overrides())
        except ConfigError as error:
            checked.problems.append(str(error))
            return checked
        result = check_source(str(path), source, rules_for_codes(codes))
        checked.problems.extend(crash.describe() for crash in result.crashes)
        checked.depends = frozenset(result.depends)
        # The settings of the file a finding lands in decide whether it is shown, as in `nnlint check`.
        try:
            findings = settle(result.findings, None, Overrides())
        except ConfigError as error:  # in the config of another file: this file's findings still count
            checked.problems.append(str(error))
            findings = [finding for finding in result.findings if finding.filename == str(path)]
        elsewhere: dict[Path, list[Finding]] = {}
        for finding in findings:
            if finding.filename == str(path):
                checked.findings.append(finding)
            else:
                # A fix's edits count in the checked text, not in the file the finding lands in.
                elsewhere.setdefault(Path(finding.filename).resolve(), []).append(replace(finding, fix=None))
        for target, findings in elsewhere.items():
            text = _text_as_read(target, result.depends)
            if text is not None:
                checked.found_in[target] = Elsewhere(text, findings)
        return checked

    def _skipped_diagnostic(self, size: int) -> types.Diagnostic:
        return types.Diagnostic(
            range=types.Range(types.Position(0, 0), types.Position(0, 0)),
            message=(
                f"nnlint did not check this file: {size // 1024} KiB is over the editor limit of "
                f"{self.max_bytes // 1024} KiB (`nnlint lsp --max-bytes`); `nnlint check` checks it."
            ),
            severity=types.DiagnosticSeverity.Information,
            source=SOURCE,
        )

    def log(self, message: str) -> None:
        self.window_log_message(
            types.LogMessageParams(type=types.MessageType.Error, message=f"nnlint: {message}")
        )


def _text_as_read(path: Path, depends: dict[str, str | None]) -> str | None:
    """The text of a project module as a check read it, or None when the file changed since (or cannot be
    read): findings placed in it count their positions in that text."""
    try:
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != depends.get(str(path)):  # the digest ModuleStore keeps
            return None
        return decode_source(data)
    except (OSError, UnicodeDecodeError, LookupError):
        return None


def _place(finding: Finding) -> tuple[str, int, int]:
    return (finding.code, finding.location.row, finding.location.column)


def _diagnostic(lines: list[str], to_client: ToLsp, finding: Finding) -> types.Diagnostic:
    """The diagnostic `--format lsp` writes, as an editor shows it best: the hint under the message, and a
    point (where a syntax error is) widened to the rest of its line, which is hard to miss."""
    end = finding.end_location
    line = row_text(lines, end.row)
    if end == finding.location and line is not None:
        end = Position(end.row, len(line) + 1)
    message = finding.message + (f"\nhint: {finding.hint}" if finding.hint else "")
    shown = replace(finding, message=message, end_location=end)
    return _CONVERTER.structure(to_diagnostic(shown, to_client), types.Diagnostic)


def _problem_diagnostic(problem: str) -> types.Diagnostic:
    """A config error or rule crash as an error on the first line: where `nnlint check` prints it, the
    user sees it; in an editor, a diagnostic is what the user sees."""
    return types.Diagnostic(
        range=types.Range(types.Position(0, 0), types.Position(1, 0)),  # the whole first line
        message=problem,
        severity=types.DiagnosticSeverity.Error,
        source=SOURCE,
    )


def _text_edits(edits: Iterable[Edit], to_client: ToLsp) -> list[types.TextEdit]:
    return _CONVERTER.structure(text_edits(edits, to_client), list[types.TextEdit])


def _overlaps(a: types.Range, b: types.Range) -> bool:
    def key(position: types.Position) -> tuple[int, int]:
        return (position.line, position.character)

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def code_actions(ls: NnlintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    """A quick fix per fixable finding under the cursor, and a `# noqa` for each finding."""
    uri = params.text_document.uri
    document = ls.workspace.text_documents.get(uri)
    if document is None:
        return []
    positions = to_client(split_lines(document.source), document, ls)
    actions = []
    for shown in ls.published.get(uri, []):
        finding, diagnostic = shown.finding, shown.diagnostic
        # Positions found in another text than the editor's would edit the wrong place.
        if shown.source != document.source or not _overlaps(diagnostic.range, params.range):
            continue
        if finding.fix is not None and _keeps_parsing(shown.source, finding.fix):
            unsafe = finding.fix.applicability != "safe"
            actions.append(
                types.CodeAction(
                    title=f"{finding.code}: {finding.fix.message}" + (" (unsafe)" if unsafe else ""),
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    is_preferred=not unsafe,
                    edit=types.WorkspaceEdit(changes={uri: _text_edits(finding.fix.edits, positions)}),
                )
            )
        noqa = noqa_edits(shown.source, [finding])
        if noqa:
            actions.append(
                types.CodeAction(
                    title=f"{finding.code}: suppress on this line (# noqa)",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    edit=types.WorkspaceEdit(changes={uri: _text_edits(noqa, positions)}),
                )
            )
    return actions


def _keeps_parsing(source: str, fix: Fix) -> bool:
    """Whether the text still parses with this fix applied: a fix that breaks the file is never offered
    (`nnlint check --fix` holds such a fix back the same way)."""
    try:
        fixed = apply_edits(source, fix.edits)
    except (IndexError, ValueError):
        return False
    return not isinstance(parse_source("", fixed), Finding)


def hover(ls: NnlintServer, params: types.HoverParams) -> types.Hover | None:
    """The docs of the rules whose diagnostics cover the cursor, as markdown."""
    cursor = types.Range(params.position, params.position)
    parts = []
    for shown in ls.published.get(params.text_document.uri, []):
        finding = shown.finding
        rule = rule_by_code_or_name(finding.code)
        if rule is None or not _overlaps(shown.diagnostic.range, cursor):
            continue
        parts.append(
            f"**{rule.code}** `{rule.name}`: {finding.message}\n\n{rule.docs()}\n\n[Docs]({finding.url})"
        )
    if not parts:
        return None
    return types.Hover(contents=types.MarkupContent(types.MarkupKind.Markdown, "\n\n---\n\n".join(parts)))


def build_server(max_bytes: int = DEFAULT_MAX_BYTES) -> NnlintServer:
    server = NnlintServer(max_bytes)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: NnlintServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: NnlintServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, DEBOUNCE_SECONDS)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: NnlintServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)
        ls.recheck_dependents(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: NnlintServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)

    server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )(code_actions)
    server.feature(types.TEXT_DOCUMENT_HOVER)(hover)
    return server


def serve(max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """Serve over stdio until the client says exit. Stray prints go to stderr, not into the protocol."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr
    build_server(max_bytes).start_io(stdin, stdout)
