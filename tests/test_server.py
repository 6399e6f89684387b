"""`perfscan server`, driven over stdio by a real LSP client (pygls' own).

Each session starts `python -m perfscan server` on a temporary copy of a fixture project, so the
server's cache and any edits stay out of the repository.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls")

from lsprotocol import types  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402

from perfscan.server import LineUnits  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HANG_GUARD = 30.0  # seconds: only a hung server reaches it

BOARD = "src/features/board/TaskBoard.tsx"
TASK_LIST = "src/components/TaskList.tsx"
# perfscan's findings in TaskBoard.tsx (1-based line, UTF-16 column, end exclusive; see
# fixtures/react-memo-app/expected-findings.txt), as LSP ranges: 0-based, same columns minus one.
BOARD_DIAGNOSTICS = [
    ("PF102", (31, 17), (31, 74)),
    ("PF103", (45, 68), (45, 90)),
    ("PF103", (46, 16), (46, 33)),  # the next three reach TaskList, memoized in another file
    ("PF103", (46, 34), (46, 55)),
    ("PF103", (46, 56), (46, 79)),
    ("PF103", (51, 14), (51, 47)),  # an inline arrow among JSX children
]


class Session:
    """A client talking to one server process, recording what the server sends."""

    def __init__(self, root: Path):
        self.root = root
        self.client = LanguageClient("perfscan-test-client", "1")
        self.stderr: list[str] = []
        self.published: list[types.PublishDiagnosticsParams] = []
        self.logs: list[str] = []
        self.shown: list[str] = []
        self.registrations: list[types.Registration] = []
        self.versions: dict[str, int] = {}
        self.changed = asyncio.Event()

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: types.PublishDiagnosticsParams):
            self.published.append(params)
            self.changed.set()

        @self.client.feature(types.WINDOW_LOG_MESSAGE)
        def on_log(params: types.LogMessageParams):
            self.logs.append(params.message)
            self.changed.set()

        @self.client.feature(types.WINDOW_SHOW_MESSAGE)
        def on_show(params: types.ShowMessageParams):
            self.shown.append(params.message)

        @self.client.feature(types.CLIENT_REGISTER_CAPABILITY)
        def on_register(params: types.RegistrationParams):
            self.registrations.extend(params.registrations)

    def uri(self, rel: str) -> str:
        return (self.root / rel).as_uri()

    async def start(self) -> None:
        await self.client.start_io(sys.executable, "-m", "perfscan", "server", "--stdio")
        self._drain = asyncio.ensure_future(self._read_stderr())
        capabilities = types.ClientCapabilities(
            workspace=types.WorkspaceClientCapabilities(
                did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True),
            ),
            text_document=types.TextDocumentClientCapabilities(
                publish_diagnostics=types.PublishDiagnosticsClientCapabilities(related_information=True),
                hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown]),
            ),
        )
        await self.client.initialize_async(types.InitializeParams(
            capabilities=capabilities,
            root_uri=self.root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=self.root.as_uri(), name=self.root.name)],
        ))
        self.client.initialized(types.InitializedParams())

    async def _read_stderr(self) -> None:
        # The server's log; read so that a chatty server never blocks on a full pipe.
        while line := await self.client._server.stderr.readline():
            self.stderr.append(line.decode("utf-8", "replace"))

    async def stop(self) -> None:
        await asyncio.wait_for(self.client.shutdown_async(None), HANG_GUARD)
        self.client.exit(None)
        await asyncio.wait_for(self.client.stop(), HANG_GUARD)
        await self._drain
        assert self.client._server.returncode == 0, "".join(self.stderr)
        assert not any("Traceback" in line for line in self.stderr), "".join(self.stderr)

    # Documents.

    def open(self, rel: str, text: str | None = None, language: str = "typescriptreact") -> str:
        uri = self.uri(rel)
        self.versions[uri] = 1
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
            uri=uri, language_id=language, version=1,
            text=(self.root / rel).read_text(encoding="utf-8") if text is None else text,
        )))
        return uri

    def replace(self, uri: str, text: str) -> None:
        self.versions[uri] += 1
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        ))

    def apply(self, uri: str, text: str, edit: types.WorkspaceEdit) -> str:
        """Apply a code action's edit to `text` as an editor would, and send the change."""
        new_text = apply_text_edits(text, edit.changes[uri])
        self.versions[uri] += 1
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            content_changes=[
                types.TextDocumentContentChangePartial(range=e.range, text=e.new_text)
                for e in sorted(edit.changes[uri], key=lambda e: (e.range.start.line, e.range.start.character), reverse=True)
            ],
        ))
        return new_text

    async def diagnostics(self, uri: str, after: int = 0, version: int | None = None) -> list[types.Diagnostic]:
        """The first diagnostics published for `uri` after the `after`-th publication (and for the
        document's current version, unless told otherwise)."""
        version = self.versions.get(uri) if version is None else version

        async def wait():
            seen = after
            while True:
                for params in self.published[seen:]:
                    if params.uri == uri and (version is None or params.version in (None, version)):
                        return list(params.diagnostics)
                seen = len(self.published)
                self.changed.clear()
                await self.changed.wait()

        return await asyncio.wait_for(wait(), HANG_GUARD)

    async def log_line(self, fragment: str) -> str:
        async def wait():
            while True:
                for line in self.logs:
                    if fragment in line:
                        return line
                self.changed.clear()
                await self.changed.wait()

        return await asyncio.wait_for(wait(), HANG_GUARD)

    async def actions(self, uri: str, diagnostic: types.Diagnostic) -> list[types.CodeAction]:
        result = await asyncio.wait_for(self.client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )), HANG_GUARD)
        return list(result or [])


def apply_text_edits(text: str, edits: list[types.TextEdit]) -> str:
    """LSP edits (UTF-16 positions, all against the original text) applied to `text`."""
    lines = text.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)

    def offset(position: types.Position) -> int:
        line = lines[position.line]
        units, index = 0, 0
        while index < len(line) and units < position.character:
            units += 2 if ord(line[index]) > 0xFFFF else 1
            index += 1
        return starts[position.line] + index

    for edit in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
    return text


def shape(diagnostics: list[types.Diagnostic]) -> list[tuple]:
    return [
        (d.code, (d.range.start.line, d.range.start.character), (d.range.end.line, d.range.end.character))
        for d in sorted(diagnostics, key=lambda d: (d.range.start.line, d.range.start.character))
    ]


@contextlib.asynccontextmanager
async def session(root: Path):
    s = Session(root)
    await asyncio.wait_for(s.start(), HANG_GUARD)
    try:
        yield s
    finally:
        await s.stop()


@pytest.fixture
def app(tmp_path) -> Path:
    root = tmp_path / "react-memo-app"
    shutil.copytree(FIXTURES / "react-memo-app", root, ignore=shutil.ignore_patterns(".perfscan_cache"))
    return root


def test_open_fix_and_suppress(app):
    """Open a file: its diagnostics at exact ranges, cross-file ones included; apply the safe fix of
    one and the suppression of another: each diagnostic goes away and only that one."""

    async def scenario():
        async with session(app) as s:
            uri = s.open(BOARD)
            text = (app / BOARD).read_text(encoding="utf-8")
            diagnostics = await s.diagnostics(uri)
            assert shape(diagnostics) == BOARD_DIAGNOSTICS
            by_start = {(d.range.start.line, d.range.start.character): d for d in diagnostics}
            memo_miss = by_start[(46, 16)]
            assert memo_miss.source == "perfscan" and memo_miss.severity == types.DiagnosticSeverity.Warning
            assert "memoized `TaskList`" in memo_miss.message and "](" not in memo_miss.message
            # The memo it defeats, in the other file, is a related location.
            assert any(r.location.uri == s.uri(TASK_LIST) for r in memo_miss.related_information)

            # Hover over a diagnostic: the rule's documentation.
            hover = await s.client.text_document_hover_async(types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(46, 20)))
            assert hover.contents.kind == types.MarkupKind.Markdown
            assert hover.contents.value.startswith("# PF103 unstable-prop-to-memo")
            assert "## Why is this slow" in hover.contents.value
            assert hover.range == memo_miss.range
            nothing = await s.client.text_document_hover_async(types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(0, 0)))
            assert nothing is None

            # The safe fix of the PF102 finding: wrap the sort in useMemo.
            sort = by_start[(31, 17)]
            actions = await s.actions(uri, sort)
            titles = [a.title for a in actions]
            assert titles[0].startswith("perfscan: ") and "useMemo" in titles[0], titles
            assert "perfscan: ignore PF102 on this line" in titles
            assert actions[0].is_preferred and actions[0].diagnostics[0].code == "PF102"
            count = len(s.published)
            text = s.apply(uri, text, actions[0].edit)
            assert "useMemo(() => [...members].sort(" in text
            after_fix = await s.diagnostics(uri, after=count)
            assert [d for d in shape(after_fix) if d[0] == "PF102"] == []
            assert len(after_fix) == len(diagnostics) - 1

            # Suppress the inline arrow among JSX children: the comment must be a JSX comment.
            arrow = next(d for d in after_fix if d.code == "PF103" and "setFilter" in text.split("\n")[d.range.start.line])
            suppress = next(a for a in await s.actions(uri, arrow) if "ignore PF103" in a.title)
            count = len(s.published)
            text = s.apply(uri, text, suppress.edit)
            assert '      {/* perfscan-ignore-next-line PF103 */}\n      <Button onClick={() => setFilter("open")}>' in text
            after_suppress = await s.diagnostics(uri, after=count)
            assert len(after_suppress) == len(after_fix) - 1
            assert all("setFilter" not in text.split("\n")[d.range.start.line] for d in after_suppress)
            # The file on disk was never touched: the buffer is what was checked.
            assert "useMemo(() => [...members]" not in (app / BOARD).read_text(encoding="utf-8")

    asyncio.run(scenario())


def test_fix_all_and_a_python_suppression(app):
    async def scenario():
        async with session(app) as s:
            uri = s.open(BOARD)
            text = (app / BOARD).read_text(encoding="utf-8")
            diagnostics = await s.diagnostics(uri)
            result = await s.client.text_document_code_action_async(types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=types.Range(types.Position(0, 0), types.Position(0, 0)),
                context=types.CodeActionContext(diagnostics=[], only=["source.fixAll"]),
            ))
            assert [a.kind for a in result] == ["source.fixAll.perfscan"]
            count = len(s.published)
            text = s.apply(uri, text, result[0].edit)
            remaining = await s.diagnostics(uri, after=count)
            # The three safe fixes applied (PF102 and two PF103 wrap values in useMemo); what has
            # no safe fix remains: the style object, `handleToggle` (its useCallback fix is not
            # marked safe) and the inline arrow.
            assert len(diagnostics) == 6 and [d.code for d in remaining] == ["PF103"] * 3
            assert ["`style`" in remaining[0].message, "`handleToggle`" in remaining[1].message,
                    "inline arrow" in remaining[2].message] == [True] * 3
            assert text.count("useMemo(") == 3

            # A Python buffer in the same workspace: the suppression is a comment line above.
            source = "import time\n\n\nasync def handler():\n    time.sleep(1)\n"
            py = s.open("worker.py", source, language="python")
            [blocking] = await s.diagnostics(py)
            assert shape([blocking]) == [("PF201", (4, 4), (4, 17))]
            suppress = next(a for a in await s.actions(py, blocking) if a.title == "perfscan: ignore PF201 on this line")
            count = len(s.published)
            source = s.apply(py, source, suppress.edit)
            assert source.endswith("async def handler():\n    # perfscan-ignore-next-line PF201\n    time.sleep(1)\n")
            assert await s.diagnostics(py, after=count) == []

    asyncio.run(scenario())


def test_edit_in_one_buffer_rechecks_the_files_that_depend_on_it(app):
    """TaskBoard passes new arrays to TaskList, memoized in another file. Un-memoizing TaskList in
    its (unsaved) buffer makes those findings go; putting the memo back brings them back."""

    async def scenario():
        async with session(app) as s:
            board = s.open(BOARD)
            assert len(await s.diagnostics(board)) == 6
            list_text = (app / TASK_LIST).read_text(encoding="utf-8")
            task_list = s.open(TASK_LIST, list_text)
            await s.diagnostics(task_list)
            count = len(s.published)
            s.replace(task_list, list_text.replace("export default React.memo(TaskList);", "export default TaskList;"))
            after = await s.diagnostics(board, after=count, version=1)
            assert shape(after) == [d for d in BOARD_DIAGNOSTICS if d[1][0] != 46]
            count = len(s.published)
            s.replace(task_list, list_text)
            assert shape(await s.diagnostics(board, after=count, version=1)) == BOARD_DIAGNOSTICS

    asyncio.run(scenario())


def test_configuration_change_is_picked_up(app):
    async def scenario():
        async with session(app) as s:
            uri = s.open(BOARD)
            assert len(await s.diagnostics(uri)) == 6
            assert s.registrations and s.registrations[0].method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
            (app / "pyproject.toml").write_text('[tool.perfscan]\nignore = ["PF103"]\n', encoding="utf-8")
            count = len(s.published)
            s.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
                types.FileEvent(uri=(app / "pyproject.toml").as_uri(), type=types.FileChangeType.Created)]))
            assert shape(await s.diagnostics(uri, after=count)) == [BOARD_DIAGNOSTICS[0]]
            # A bad setting: said so, and the last good settings stay.
            (app / "pyproject.toml").write_text('[tool.perfscan]\nignore = ["PF9"]\n', encoding="utf-8")
            count = len(s.published)
            s.client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
                types.FileEvent(uri=(app / "pyproject.toml").as_uri(), type=types.FileChangeType.Changed)]))
            assert shape(await s.diagnostics(uri, after=count)) == [BOARD_DIAGNOSTICS[0]]
            assert any("'PF9' matches no rule" in m for m in s.shown)

    asyncio.run(scenario())


def test_bad_input_is_answered_and_explained(app, tmp_path):
    """A file outside the workspace, an unsaved buffer with syntax errors, a 5 MB file: the server
    answers each, says why it skipped, and keeps working."""

    async def scenario():
        async with session(app) as s:
            outside = tmp_path / "elsewhere" / "slow.py"
            outside.parent.mkdir()
            outside.write_text("import requests\nasync def f():\n    requests.get('x')\n", encoding="utf-8")
            count = len(s.published)
            s.client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
                uri=outside.as_uri(), language_id="python", version=1, text=outside.read_text(encoding="utf-8"))))
            assert await s.diagnostics(outside.as_uri(), after=count, version=None) == []
            assert "outside the workspace folders" in await s.log_line(str(outside))

            # A new file, never saved, with a syntax error: checked from the buffer, partly.
            broken = "src/Broken.tsx"
            text = ("import { memo } from 'react';\nexport function Broken({ items }) {\n"
                    "  items.sort();\n  return <ul>{items.map((i) => <li>{i}</li>)</ul>;\n  const = ;\n}\n")
            uri = s.open(broken, text)
            diagnostics = await s.diagnostics(uri)
            assert shape(diagnostics) == [("PF101", (2, 8), (2, 12))]  # `sort`, as `perfscan check` finds it
            assert "syntax error: file parsed partially" in await s.log_line("Broken.tsx:4:10")

            # 5 MB: not parsed; one information diagnostic says why.
            big = "x = 1\n" * (5_000_000 // 6)
            uri = s.open("src/big.py", big, language="python")
            diagnostics = await s.diagnostics(uri)
            assert len(diagnostics) == 1 and diagnostics[0].severity == types.DiagnosticSeverity.Information
            assert "over the file size cap (max-file-size = 1,000,000)" in diagnostics[0].message

            # Still answering: the fixture file is checked as before.
            board = s.open(BOARD)
            assert shape(await s.diagnostics(board)) == BOARD_DIAGNOSTICS

    asyncio.run(scenario())


@pytest.mark.parametrize(
    "encoding, character",
    [
        (types.PositionEncodingKind.Utf16, 4),  # a, then 2 units for the emoji, then é
        (types.PositionEncodingKind.Utf32, 3),  # three code points before '='
        (types.PositionEncodingKind.Utf8, 7),  # 1 + 4 + 2 bytes
    ],
)
def test_line_units_convert_utf16_columns_exactly(encoding, character):
    # On line 2, '=' is at perfscan column 5 (1-based UTF-16 units: a, two for the emoji, é).
    units = LineUnits("first\na\U0001F600\u00e9= x\r\nlast\rafter a lone CR", encoding)
    position = units.to_lsp(2, 5)
    assert (position.line, position.character) == (1, character)
    assert units.to_perfscan(position) == (2, 5)
    # CRLF and a lone CR both end a line, as the LSP specification counts them.
    assert units.to_lsp(3, 1) == types.Position(2, 0)
    assert units.to_lsp(4, 3) == types.Position(3, 2)
