"""`nnlint lsp` end to end: a real LSP client (pytest-lsp) starts the server as a subprocess over stdio.

One server serves every test of this module (each test opens its own documents), which keeps the suite
to a few seconds. The server runs with one extra rule, NN990 (tests/lsp/extra_rules/), so that a fixable
finding exists whatever fixes the shipped rules offer, and the workspace's pyproject.toml selects NN204
and NN990 only, so rules added later do not change what these tests see.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from nnlint.lsp import DEFAULT_MAX_BYTES
from nnlint.rule import rule_by_code_or_name

pytestmark = pytest.mark.asyncio(loop_scope="module")

SERVER = Path(__file__).resolve().parent / "serve_with_test_rule.py"

BUGGY = """import torch
model = torch.nn.Linear(2, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for x, y in loader:
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    optimizer.zero_grad()
    optimizer.step()
total = slow_sum(x)
"""
FIXED_LOOP = BUGGY.replace(
    "    optimizer.zero_grad()\n    optimizer.step()", "    optimizer.step()\n    optimizer.zero_grad()"
)


def recording_client() -> LanguageClient:
    """pytest-lsp's client, also keeping every publishDiagnostics in order (it keeps only the last)."""
    client = LanguageClient(converter_factory=default_converter)
    client.published = []

    def publish(client: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
        client.diagnostics[params.uri] = params.diagnostics
        client.published.append(params)

    register_lsp_features(
        client, {**DEFAULT_CLIENT_FEATURES, types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: publish}
    )
    return client


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, str(SERVER)], client_factory=recording_client),
    scope="module",
)
async def client(lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("workspace")
    # The rules these tests are about, whatever other rules nnlint ships by then.
    (root / "pyproject.toml").write_text('[tool.nnlint]\nselect = ["NN204", "NN990"]\n', encoding="utf-8")
    lsp_client.initialize_result = await lsp_client.initialize_session(
        types.InitializeParams(capabilities=client_capabilities("visual-studio-code"), root_uri=root.as_uri())
    )
    lsp_client.root = root
    yield
    await lsp_client.shutdown_session()


async def published(
    client: LanguageClient, uri: str, version: int, timeout: float = 15
) -> list[types.Diagnostic]:
    """The diagnostics the server publishes for this version of the document."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for params in client.published:
            if params.uri == uri and params.version == version:
                return list(params.diagnostics)
        await asyncio.sleep(0.02)
    raise AssertionError(f"no diagnostics for {uri} version {version}")


def open_doc(client: LanguageClient, name: str, text: str, folder: Path | None = None) -> str:
    path = (folder or client.root) / name
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
        )
    )
    return uri


def change(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def apply(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP edits (ASCII text, so UTF-16 units are characters), last first."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(position: types.Position) -> int:
        return starts[position.line] + position.character

    for edit in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


def by_code(diagnostics: list[types.Diagnostic], code: str) -> types.Diagnostic:
    [diagnostic] = [d for d in diagnostics if d.code == code]
    return diagnostic


async def code_actions(
    client: LanguageClient, uri: str, diagnostic: types.Diagnostic, at: types.Range | None = None
) -> list[types.CodeAction]:
    """The code actions the server offers for `diagnostic`, asked for at its range (or at `at`)."""
    return await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri),
            range=at or diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )


async def test_open_publishes_diagnostics_with_lsp_ranges(client: LanguageClient) -> None:
    uri = open_doc(client, "open.py", BUGGY)
    diagnostics = await published(client, uri, 1)
    assert sorted(d.code for d in diagnostics) == ["NN204", "NN990"]
    nn204 = by_code(diagnostics, "NN204")
    # Finding row 7, columns 5..26 (1-based) -> LSP line 6, characters 4..25 (0-based).
    assert nn204.range == types.Range(types.Position(6, 4), types.Position(6, 25))
    assert nn204.severity == types.DiagnosticSeverity.Error
    assert nn204.source == "nnlint"
    assert nn204.code_description.href.endswith("#nn204")


async def test_change_updates_diagnostics_after_a_debounce(client: LanguageClient) -> None:
    uri = open_doc(client, "change.py", BUGGY)
    await published(client, uri, 1)
    for version in range(2, 6):  # a burst of typing: only the last version is checked
        change(client, uri, version, BUGGY if version % 2 else FIXED_LOOP)
    diagnostics = await published(client, uri, 5)
    assert sorted(d.code for d in diagnostics) == ["NN204", "NN990"]  # version 5 is odd: BUGGY
    await asyncio.sleep(0.5)
    versions = [p.version for p in client.published if p.uri == uri]
    assert versions == [1, 5]
    change(client, uri, 6, FIXED_LOOP)
    assert [d.code for d in await published(client, uri, 6)] == ["NN990"]


async def test_save_checks_at_once(client: LanguageClient) -> None:
    uri = open_doc(client, "save.py", BUGGY)
    await published(client, uri, 1)
    change(client, uri, 2, FIXED_LOOP)
    started = time.monotonic()
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))
    assert [d.code for d in await published(client, uri, 2)] == ["NN990"]
    assert time.monotonic() - started < 5


async def test_code_action_applies_the_fix(client: LanguageClient) -> None:
    uri = open_doc(client, "fix.py", BUGGY)
    diagnostic = by_code(await published(client, uri, 1), "NN990")
    actions = await code_actions(client, uri, diagnostic)
    [fix] = [a for a in actions if "fast_sum" in a.title]
    assert fix.kind == types.CodeActionKind.QuickFix and fix.is_preferred
    fixed = apply(BUGGY, fix.edit.changes[uri])
    assert fixed == BUGGY.replace("slow_sum", "fast_sum")
    change(client, uri, 2, fixed)
    assert [d.code for d in await published(client, uri, 2)] == ["NN204"]


async def test_code_action_adds_noqa_that_silences_the_finding(client: LanguageClient) -> None:
    text = BUGGY.replace("    optimizer.zero_grad()", "    optimizer.zero_grad(); slow_sum(y)  # noqa: NN990")
    uri = open_doc(client, "noqa.py", text)
    diagnostic = by_code(await published(client, uri, 1), "NN204")
    at_start = types.Range(diagnostic.range.start, diagnostic.range.start)
    actions = await code_actions(client, uri, diagnostic, at=at_start)
    [noqa] = [a for a in actions if "noqa" in a.title]
    suppressed = apply(text, noqa.edit.changes[uri])
    assert "    optimizer.zero_grad(); slow_sum(y)  # noqa: NN990, NN204\n" in suppressed  # joins the codes
    change(client, uri, 2, suppressed)
    assert [d.code for d in await published(client, uri, 2)] == ["NN990"]
    nn990 = by_code(await published(client, uri, 2), "NN990")
    actions = await code_actions(client, uri, nn990)
    [noqa] = [a for a in actions if "noqa" in a.title]
    assert apply(suppressed, noqa.edit.changes[uri]).endswith("total = slow_sum(x)  # noqa: NN990\n")


@pytest.mark.parametrize(
    ("name", "text", "suppressed"),
    [
        # A finding that opens a multi-line string: a comment cannot end its first line.
        (
            "opens_string",
            'total = slow_sum("""\nrows\n""")\n',
            'total = slow_sum("""\nrows\n""")  # noqa: NN990\n',
        ),
        # Text in a string that a regex over the line would take for a bare noqa.
        ("noqa_in_string", 'total = slow_sum("#noqa #")\n', 'total = slow_sum("#noqa #")  # noqa: NN990\n'),
    ],
)
async def test_noqa_reads_strings_as_strings(
    client: LanguageClient, name: str, text: str, suppressed: str
) -> None:
    uri = open_doc(client, f"{name}.py", text)
    diagnostic = by_code(await published(client, uri, 1), "NN990")
    [noqa] = [a for a in await code_actions(client, uri, diagnostic) if "noqa" in a.title]
    assert apply(text, noqa.edit.changes[uri]) == suppressed
    change(client, uri, 2, suppressed)
    assert await published(client, uri, 2) == []


async def test_hover_on_a_diagnostic_shows_the_rule_docs(client: LanguageClient) -> None:
    uri = open_doc(client, "hover.py", BUGGY)
    diagnostic = by_code(await published(client, uri, 1), "NN204")
    result = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), diagnostic.range.start)
    )
    assert result.contents.kind == types.MarkupKind.Markdown
    assert rule_by_code_or_name("NN204").docs() in result.contents.value
    nothing = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(0, 0))
    )
    assert nothing is None


async def test_columns_count_utf16_units(client: LanguageClient) -> None:
    # A form feed is whitespace to Python and LSP, not a line break (str.splitlines would split there).
    text = BUGGY.replace("import torch\n", "import torch\n\x0c\n")
    text = text.replace("total = slow_sum(x)", 'label = "𝔘𝔘"; total = slow_sum(x)')
    uri = open_doc(client, "unicode.py", text)
    nn990 = by_code(await published(client, uri, 1), "NN990")
    # Two astral characters are two code points but four UTF-16 units.
    assert nn990.range.start == types.Position(9, len('label = "𝔘𝔘"; total = ') + 2)
    [noqa] = [a for a in await code_actions(client, uri, nn990) if "noqa" in a.title]
    [edit] = noqa.edit.changes[uri]
    line = text.split("\n")[9]
    assert edit.range == types.Range(types.Position(9, 0), types.Position(9, len(line) + 2))
    assert edit.new_text == f"{line}  # noqa: NN990"


async def test_a_file_that_does_not_parse_gets_nn000_and_the_server_goes_on(client: LanguageClient) -> None:
    uri = open_doc(client, "broken.py", "import torch\ndef f(:\n    pass\n")
    [diagnostic] = await published(client, uri, 1)
    assert diagnostic.code == "NN000"
    assert diagnostic.range.start.line == 1
    other = open_doc(client, "after_broken.py", BUGGY)
    assert len(await published(client, other, 1)) == 2


async def test_a_huge_file_is_skipped_with_a_note(client: LanguageClient) -> None:
    text = BUGGY + "x = 1\n" * (DEFAULT_MAX_BYTES // 6 + 1)
    uri = open_doc(client, "huge.py", text)
    [note] = await published(client, uri, 1, timeout=5)
    assert note.severity == types.DiagnosticSeverity.Information
    assert "did not check" in note.message
    other = open_doc(client, "after_huge.py", BUGGY)
    assert len(await published(client, other, 1)) == 2


async def test_config_is_discovered_like_the_cli(client: LanguageClient) -> None:
    project = client.root / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.nnlint]\nselect = ["NN990"]\n', encoding="utf-8")
    uri = open_doc(client, "configured.py", BUGGY, folder=project)
    assert [d.code for d in await published(client, uri, 1)] == ["NN990"]
    (project / "pyproject.toml").write_text('[tool.nnlint]\nselect = ["NN2", "NN990"]\n', encoding="utf-8")
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))
    await asyncio.sleep(0.5)  # the save re-checks version 1 with the edited config
    assert sorted(d.code for d in client.published[-1].diagnostics) == ["NN204", "NN990"]


async def test_initialize_reply_names_the_server(client: LanguageClient) -> None:
    from nnlint import __version__

    info = client.initialize_result.server_info
    assert (info.name, info.version) == ("nnlint", __version__)


async def _problem_shown(client: LanguageClient, text: str, timeout: float = 15) -> types.ShowMessageParams:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in client.messages:
            if text in message.message:
                return message
        await asyncio.sleep(0.02)
    raise AssertionError(f"no window/showMessage with {text!r}: {[m.message for m in client.messages]}")


async def test_a_config_typo_reaches_the_user_as_a_message_and_a_diagnostic(client: LanguageClient) -> None:
    project = client.root / "typo"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.nnlint]\nselectt = ["NN204"]\n', encoding="utf-8")
    uri = open_doc(client, "typo.py", BUGGY, folder=project)
    [diagnostic] = await published(client, uri, 1)
    assert "selectt" in diagnostic.message and "pyproject.toml" in diagnostic.message
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    assert (diagnostic.range.start.line, diagnostic.range.start.character) == (0, 0)
    message = await _problem_shown(client, "selectt")
    assert message.type == types.MessageType.Error
    # Shown once, not on every keystroke; the diagnostic stays while the typo does.
    change(client, uri, 2, BUGGY + "\n")
    assert len(await published(client, uri, 2)) == 1
    assert sum("selectt" in m.message for m in client.messages) == 1


async def test_a_rule_crash_reaches_the_user(client: LanguageClient) -> None:
    project = client.root / "crash"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.nnlint]\nselect = ["NN204", "NN991"]\n', encoding="utf-8")
    uri = open_doc(client, "crash.py", BUGGY + "explode()\n", folder=project)
    diagnostics = await published(client, uri, 1)
    assert by_code(diagnostics, "NN204")  # the other rules still ran
    [crash] = [d for d in diagnostics if d.code is None]
    assert "NN991" in crash.message and crash.range.start.line == 0
    await _problem_shown(client, "NN991")


async def test_deeply_nested_documents_get_nn000_and_the_server_goes_on(client: LanguageClient) -> None:
    # libcst's parser segfaults on these; a language server must outlive any document.
    for number, text in enumerate(
        [
            "x = " + "(" * 3000 + ")" * 3000 + "\n",
            "x = " + "not " * 20000 + "a\n",
            BUGGY.replace("total = slow_sum(x)", "total = " + " + ".join(["x"] * 600)),
        ]
    ):
        uri = open_doc(client, f"deep{number}.py", text)
        diagnostics = await published(client, uri, 1)
        expected = ["NN000"] if number < 2 else ["NN204"]
        assert sorted(d.code for d in diagnostics) == expected
    other = open_doc(client, "after_deep.py", BUGGY)
    assert len(await published(client, other, 1)) == 2


# A project whose train.py finds a bug in models.py: the softmax in `head` reaches CrossEntropyLoss. The
# sigmoid in `tail` reaching BCEWithLogitsLoss is the same bug, suppressed by a noqa in models.py.
MODELS = """import torch


def head(x):
    return torch.softmax(x, dim=1)


def tail(x):
    return torch.sigmoid(x)  # noqa: NN401
"""
TRAIN = """import torch.nn as nn
from models import head, tail

criterion, bce = nn.CrossEntropyLoss(), nn.BCEWithLogitsLoss()
loss = criterion(head(x), y) + bce(tail(x), y)
"""
TRAIN_FIXED = TRAIN.replace("criterion(head(x), y)", "criterion(x, y)")


def cross_file_project(client: LanguageClient, name: str, models: str = MODELS) -> tuple[Path, str]:
    """A project folder selecting NN401 (a cross-file rule) and NN990, with models.py on disk."""
    folder = client.root / name
    folder.mkdir()
    (folder / "pyproject.toml").write_text('[tool.nnlint]\nselect = ["NN401", "NN990"]\n', encoding="utf-8")
    (folder / "models.py").write_text(models, encoding="utf-8")
    return folder, (folder / "models.py").resolve().as_uri()


async def latest(
    client: LanguageClient, uri: str, expected: list[str], since: int = 0, timeout: float = 15
) -> list[types.Diagnostic]:
    """The diagnostics last published for `uri` (after the `since`-th publish), once their codes are
    `expected`."""
    deadline = time.monotonic() + timeout
    codes: list[str] | None = None
    while time.monotonic() < deadline:
        mine = [params for params in client.published[since:] if params.uri == uri]
        if mine:
            codes = sorted(str(d.code) for d in mine[-1].diagnostics)
            if codes == sorted(expected):
                return list(mine[-1].diagnostics)
        await asyncio.sleep(0.02)
    raise AssertionError(f"{uri}: last published {codes}, expected {expected}")


async def test_a_finding_in_another_file_is_published_to_that_file(client: LanguageClient) -> None:
    folder, models = cross_file_project(client, "elsewhere")
    since = len(client.published)
    train = open_doc(client, "train.py", TRAIN, folder=folder)
    assert await published(client, train, 1) == []
    [nn401] = await latest(client, models, ["NN401"], since)  # the noqa in models.py holds for `tail`
    assert nn401.range.start == types.Position(4, 11)  # `torch.softmax(...)` in head
    [related] = nn401.related_information
    assert related.location.uri == (folder / "train.py").resolve().as_uri()
    assert related.location.range.start.line == 4 and "CrossEntropyLoss" in related.message
    # Once train.py no longer feeds the softmax into the loss, models.py's diagnostic goes.
    change(client, train, 2, TRAIN_FIXED)
    assert await published(client, train, 2) == []
    await latest(client, models, [], since)


async def test_a_files_own_diagnostics_and_those_found_from_elsewhere_are_merged(
    client: LanguageClient,
) -> None:
    folder, models_uri = cross_file_project(client, "merged", MODELS + "total = slow_sum(x)\n")
    models = open_doc(client, "models.py", MODELS + "total = slow_sum(x)\n", folder=folder)
    assert models == models_uri
    assert [d.code for d in await published(client, models, 1)] == ["NN990"]
    since = len(client.published)
    train = open_doc(client, "train.py", TRAIN, folder=folder)
    nn401 = by_code(await latest(client, models, ["NN401", "NN990"], since), "NN401")
    # In models.py, the finding from train.py answers hovers and offers a noqa like the file's own.
    [noqa] = [a for a in await code_actions(client, models, nn401) if "noqa" in a.title]
    assert "    return torch.softmax(x, dim=1)  # noqa: NN401\n" in apply(
        MODELS + "total = slow_sum(x)\n", noqa.edit.changes[models]
    )
    hovered = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(models), nn401.range.start)
    )
    assert rule_by_code_or_name("NN401").docs() in hovered.contents.value
    # Checking models.py again keeps what train.py found there; checking train.py again keeps models.py's own.
    since = len(client.published)
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(models)))
    await latest(client, models, ["NN401", "NN990"], since)
    change(client, train, 2, TRAIN_FIXED)
    await latest(client, models, ["NN990"], since)


async def test_findings_from_elsewhere_follow_the_text_they_were_found_in(client: LanguageClient) -> None:
    folder, _ = cross_file_project(client, "unsaved")
    models = open_doc(client, "models.py", MODELS, folder=folder)
    await published(client, models, 1)
    since = len(client.published)
    open_doc(client, "train.py", TRAIN, folder=folder)
    [nn401] = await latest(client, models, ["NN401"], since)
    assert nn401.range.start.line == 4
    # An unsaved edit of models.py: the finding counted lines in the saved text, so it is not shown.
    edited = "# the model\n" + MODELS
    change(client, models, 2, edited)
    assert await published(client, models, 2) == []
    # Saving models.py checks train.py again against the saved text: the finding is back, a line lower.
    (folder / "models.py").write_text(edited, encoding="utf-8")
    since = len(client.published)
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(models)))
    [nn401] = await latest(client, models, ["NN401"], since)
    assert nn401.range.start.line == 5


async def test_closing_the_document_that_found_it_clears_a_finding_elsewhere(client: LanguageClient) -> None:
    folder, models = cross_file_project(client, "closed")
    since = len(client.published)
    train = open_doc(client, "train.py", TRAIN, folder=folder)
    await latest(client, models, ["NN401"], since)
    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(train)))
    await latest(client, models, [], since)


async def test_the_settings_of_the_file_a_finding_lands_in_decide(client: LanguageClient) -> None:
    folder, models = cross_file_project(client, "ignored")
    (folder / "pyproject.toml").write_text(
        '[tool.nnlint]\nselect = ["NN401", "NN990"]\nper-file-ignores = { "models.py" = ["NN401"] }\n',
        encoding="utf-8",
    )
    since = len(client.published)
    train = open_doc(client, "train.py", TRAIN, folder=folder)
    assert await published(client, train, 1) == []
    await asyncio.sleep(0.3)  # models.py would have been published right after train.py
    assert [p.diagnostics for p in client.published[since:] if p.uri == models] in ([], [[]])


async def test_a_config_error_where_a_finding_lands_reaches_the_user(client: LanguageClient) -> None:
    folder, _ = cross_file_project(client, "badconfig")
    (folder / "pkg").mkdir()
    (folder / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (folder / "pkg" / "models.py").write_text(MODELS, encoding="utf-8")
    (folder / "pkg" / "pyproject.toml").write_text('[tool.nnlint]\nselectt = ["NN401"]\n', encoding="utf-8")
    text = TRAIN.replace("from models import", "from pkg.models import") + "total = slow_sum(x)\n"
    train = open_doc(client, "train.py", text, folder=folder)
    diagnostics = await published(client, train, 1)
    assert by_code(diagnostics, "NN990")  # train.py's own findings still count
    [problem] = [d for d in diagnostics if d.code is None]
    assert "selectt" in problem.message


API_EVALUATION = """import torch

def test_model(loader, model):
    with torch.no_grad():
        for x, y in loader:
            out = model(x)
    return out
"""


async def test_a_caller_module_created_later_is_seen_by_the_next_check(client: LanguageClient) -> None:
    """ "Who calls this function?" reads the project's file listing, which the server confirms on each
    check: a module created after the server started, that calls the function, is seen."""
    folder = client.root / "callers"
    (folder / "pkg").mkdir(parents=True)
    (folder / "pyproject.toml").write_text('[tool.nnlint]\nselect = ["NN404", "NN990"]\n', encoding="utf-8")
    (folder / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    models = open_doc(client, "models.py", API_EVALUATION, folder=folder / "pkg")
    # An evaluation function of the package's API that no project module calls: it must set the mode.
    assert [d.code for d in await published(client, models, 1)] == ["NN404"]
    run = "from pkg.models import test_model\n\ntest_model(loader, net)\n"
    (folder / "pkg" / "run.py").write_text(run, encoding="utf-8")
    change(client, models, 2, API_EVALUATION)  # a caller may set the mode first: unknown, silent
    assert await published(client, models, 2) == []


async def test_a_module_edited_to_call_the_function_is_seen_by_the_next_check(client: LanguageClient) -> None:
    """The server holds no run (`project_run`): each check confirms the project again, so an existing module
    edited on disk to call the function (its folder's listing unchanged) changes the next answer."""
    folder = client.root / "edited_callers"
    (folder / "pkg").mkdir(parents=True)
    (folder / "pyproject.toml").write_text('[tool.nnlint]\nselect = ["NN404", "NN990"]\n', encoding="utf-8")
    (folder / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (folder / "pkg" / "run.py").write_text("x = 1\n", encoding="utf-8")
    models = open_doc(client, "models.py", API_EVALUATION, folder=folder / "pkg")
    assert [d.code for d in await published(client, models, 1)] == ["NN404"]
    run = "from pkg.models import test_model\n\ntest_model(loader, net)\n"
    (folder / "pkg" / "run.py").write_text(run, encoding="utf-8")
    change(client, models, 2, API_EVALUATION)
    assert await published(client, models, 2) == []


async def test_saving_a_new_module_an_import_looked_for_checks_the_importer_again(
    client: LanguageClient,
) -> None:
    folder = client.root / "created"
    folder.mkdir()
    (folder / "pyproject.toml").write_text('[tool.nnlint]\nselect = ["NN401", "NN990"]\n', encoding="utf-8")
    train = open_doc(client, "train.py", TRAIN, folder=folder)
    assert await published(client, train, 1) == []  # models.py does not exist yet: unknown, silent
    since = len(client.published)
    models = open_doc(client, "models.py", MODELS, folder=folder)
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(models)))
    [nn401] = await latest(client, models, ["NN401"], since)  # train.py, checked again, found it there
    assert nn401.range.start == types.Position(4, 11)
