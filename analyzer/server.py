"""`perfscan server`: the Language Server Protocol over stdio, for editors.

What an editor gets: diagnostics for every open Python and TypeScript/TSX file, on open, on change
(debounced) and on save; the rule's documentation on hover over a diagnostic; code actions for each
safe fix, for a suppression comment, and for all safe fixes of the file.

How a buffer is checked. The project on disk is checked once by the engine (`engine.run`, through the
same cache as `perfscan check`), and every file's facts summary is read back from that cache. An
open buffer is checked from its text -- never from the file on disk -- against a project index made
of those disk summaries with every open buffer's summary laid over them: an unsaved edit to a
memoized child or a blocking helper is seen by the other open files at once. When a buffer's summary
changes, the other open buffers are checked again unless every question their rules asked of the
index still gets the same answer (`project.trace_holds`, the engine's own test). A save, a file
changed outside the editor, or a configuration change (pyproject.toml, perfscan.toml, .gitignore,
package.json, tsconfig) runs the engine over the project again, which the cache makes cheap.

Engine work runs on one thread of its own, one task at a time (tree-sitter parsers are shared per
process), so the protocol loop keeps answering while a large project is indexed.

Positions: perfscan spans are 1-based lines and 1-based UTF-16 columns, end exclusive; LSP
positions are 0-based lines and columns in the encoding negotiated with the client (UTF-16 unless
the client prefers UTF-8 or UTF-32). `LineUnits` converts both ways.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import logging
import os
import re
from dataclasses import dataclass, field
from typing import Optional
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from . import __version__
from .cache import DEFAULT_DIR_NAME, Cache, CacheCorrupt
from .config import Config, ConfigError, find_config, load_config, validate_selectors
from .discovery import DiscoveredFile, discover, minified_note
from .engine import FileChecker, RunResult, run, select_rules, source_from_bytes
from .findings import Finding, Notification, Span
from .fixes import plan_fixes
from .project import ProjectIndex, trace_holds
from .reporters.text import plain_message
from .source import LANGUAGE_FAMILY, SourceFile, language_for

log = logging.getLogger(__name__)

# A typing pause this long (seconds) before a changed buffer is checked again.
CHANGE_DELAY = 0.15
# Files whose change reconfigures the project: read again, every open buffer checked again.
CONFIG_FILE_NAMES = frozenset({
    "pyproject.toml", "perfscan.toml", ".gitignore", "package.json", "tsconfig.json", "jsconfig.json",
})
_SOURCE_GLOB = "**/*.{py,ts,tsx,mts,cts,js,jsx,mjs,cjs}"
_CONFIG_GLOB = "**/{" + ",".join(sorted(CONFIG_FILE_NAMES)) + ",tsconfig.*.json}"
_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "note": types.DiagnosticSeverity.Information,
}
# Notification kinds that mean the file was not checked at all (the others: checked, maybe partly).
_SKIP_KINDS = frozenset({"too-large", "binary", "decode", "minified", "skipped", "unreadable"})


_LINE_END = re.compile(r"\r\n|\r|\n")


# -- positions ------------------------------------------------------------------------------------


class LineUnits:
    """Positions of one text: perfscan's (1-based line, 1-based UTF-16 column) <-> LSP positions in
    the negotiated encoding. Lines end at LF, CRLF or a lone CR, as the LSP specification says."""

    def __init__(self, text: str, encoding: str = types.PositionEncodingKind.Utf16):
        self.lines = _LINE_END.split(text)
        self.encoding = encoding

    def to_lsp(self, line: int, col: int) -> types.Position:
        row = line - 1
        if row >= len(self.lines):  # past the end: the end of the text
            row = len(self.lines) - 1
            return types.Position(row, self._units(self.lines[row], len(self.lines[row])))
        if self.encoding == types.PositionEncodingKind.Utf16:
            return types.Position(row, col - 1)
        text = self.lines[row]
        return types.Position(row, self._units(text, _index_of_utf16(text, col - 1)))

    def to_perfscan(self, position: types.Position) -> tuple[int, int]:
        row = min(position.line, len(self.lines) - 1)
        if self.encoding == types.PositionEncodingKind.Utf16 and row == position.line:
            return row + 1, position.character + 1
        text = self.lines[row] if row == position.line else ""
        index, units = 0, 0
        while index < len(text) and units < position.character:
            units += self._units(text[index], 1)
            index += 1
        return row + 1, _utf16_len(text[:index]) + 1

    def range(self, span: Span) -> types.Range:
        return types.Range(self.to_lsp(span.line, span.col), self.to_lsp(span.end_line, span.end_col))

    def _units(self, text: str, chars: int) -> int:
        prefix = text[:chars]
        if self.encoding == types.PositionEncodingKind.Utf8:
            return len(prefix.encode("utf-8", "surrogatepass"))
        if self.encoding == types.PositionEncodingKind.Utf32:
            return len(prefix)
        return _utf16_len(prefix)


def _utf16_len(text: str) -> int:
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _index_of_utf16(text: str, units: int) -> int:
    """The character index `units` UTF-16 code units into `text`."""
    index = 0
    while index < len(text) and units > 0:
        units -= 2 if ord(text[index]) > 0xFFFF else 1
        index += 1
    return index


# -- the project, on the engine thread ----------------------------------------------------------


@dataclass
class BufferCheck:
    """One open buffer and what its last check found."""

    uri: str
    path: str
    rel_path: str
    version: Optional[int]
    text: str
    source: Optional[SourceFile] = None  # the checked text, without its tree
    findings: list = field(default_factory=list)  # active findings, in order
    suppress_edits: dict = field(default_factory=dict)  # id(finding) -> TextEdit that silences it
    notes: list = field(default_factory=list)  # Notifications about this buffer
    skipped: Optional[str] = None  # why the buffer was not checked at all
    # (family, summary, summary digest) of the buffer; None when it has no facts.
    summary: Optional[tuple] = None
    trace: Optional[list] = None  # what its rules asked of the index; None: re-check on any change
    index_key: object = None  # the index it was checked against


class Project:
    """One workspace folder: its configuration, every file's summary on disk, and the open buffers.
    Used from the engine thread only."""

    def __init__(self, root: str, cache_dir: Optional[str] = None, jobs: int = 1):
        self.root = os.path.realpath(root)
        self.cache_dir = cache_dir or os.path.join(self.root, DEFAULT_DIR_NAME)
        self.jobs = jobs
        self.config = Config()
        self.config_error: Optional[str] = None
        self.rules: list = []
        self.disk: dict[str, tuple] = {}  # rel_path -> (family, summary, digest) of files on disk
        self.files: set[str] = set()  # rel_paths discovery takes (not excluded)
        self.notes: list[Notification] = []  # the project run's notifications
        self.generation = 0  # bumped by every load: indexes built before are out of date
        self.buffers: dict[str, BufferCheck] = {}  # rel_path -> open buffer
        self._index_key: object = None
        self._index: Optional[ProjectIndex] = None
        self.loaded = False

    # The project on disk.

    def load(self) -> RunResult:
        """(Re)read the configuration, run the engine over the project (through the cache) and
        take every file's summary from that cache."""
        self.config_error = None
        try:
            config = load_config(find_config(self.root))  # perfscan.toml, .perfscan.toml or pyproject.toml
            from perfscan.rules import all_rules

            validate_selectors(config.select, all_rules(), "select")
            validate_selectors(config.ignore, all_rules(), "ignore")
        except ConfigError as error:
            # The editor keeps working with the last good settings; the user is told why.
            self.config_error = str(error)
            config = self.config if self.loaded else Config()
        self.config, self.rules = config, select_rules(config)
        previous = os.getcwd()
        os.chdir(self.root)  # results are relative to the working directory, as for `perfscan check`
        try:
            result = run(["."], config, jobs=self.jobs, cache_dir=self.cache_dir, progress=False)
            discovered = discover(["."], config)
        finally:
            os.chdir(previous)
        self.files = {f.rel_path for f in discovered.files}
        self.disk = self._summaries(result, discovered.files)
        self.notes = list(result.notifications)
        self.generation += 1
        self.loaded = True
        return result

    def _summaries(self, result: RunResult, files: list[DiscoveredFile]) -> dict[str, tuple]:
        summaries: dict[str, tuple] = {}
        try:
            cache = Cache.open(self.cache_dir, result.root, "", load=True)
            for rel in result.sources:
                entry = cache.entries.get(rel)
                if entry is not None and entry.summary_digest is not None:
                    summaries[rel] = (LANGUAGE_FAMILY[entry.language], entry.summary, entry.summary_digest)
        except (CacheCorrupt, OSError):
            summaries = {}
        # Not in the cache (not writable, or the file timed out): extract it here.
        by_rel = {f.rel_path: f for f in files}
        missing = [by_rel[rel] for rel in result.sources if rel not in summaries and rel in by_rel]
        if missing:
            checker = FileChecker(self.root, self.config, self.rules, hold_limit_kb=0)
            for file in missing:
                out = checker.extract(file)
                if out.has_facts:
                    summaries[file.rel_path] = (LANGUAGE_FAMILY[out.language], out.summary, out.summary_digest)
        return summaries

    def contains(self, path: str) -> bool:
        return path == self.root or path.startswith(self.root.rstrip(os.sep) + os.sep)

    def rel_path(self, path: str) -> str:
        return os.path.relpath(path, self.root).replace(os.sep, "/")

    # Open buffers.

    def index_for_buffers(self) -> tuple[object, ProjectIndex]:
        """The project index: disk summaries with every open buffer's laid over them."""
        overlay = tuple(sorted((rel, b.summary[2] if b.summary else None) for rel, b in self.buffers.items()
                               if b.skipped is None))
        key = (self.generation, overlay)
        if key != self._index_key:
            summaries = {rel: (family, summary) for rel, (family, summary, _) in self.disk.items()}
            for rel, buffer in self.buffers.items():
                if buffer.skipped is not None:
                    continue
                if buffer.summary is None:
                    summaries.pop(rel, None)
                else:
                    summaries[rel] = buffer.summary[:2]
            self._index = ProjectIndex.build(self.root, summaries, self.config.project_settings)
            self._index_key = key
        return key, self._index

    def update(self, uri: str, path: str, version: Optional[int], text: str) -> list[BufferCheck]:
        """Check a buffer's new text; returns it and every other open buffer checked again because
        its answers from the project index changed."""
        rel = self.rel_path(path)
        buffer = BufferCheck(uri, path, rel, version, text)
        old = self.buffers.get(rel)
        self.buffers[rel] = buffer
        self._extract(buffer)
        key, index = self.index_for_buffers()
        self._check(buffer, key, index)
        changed = [buffer]
        if old is None or (old.summary and old.summary[2]) != (buffer.summary and buffer.summary[2]):
            changed += self.recheck_others(rel)
        return changed

    def close(self, path: str) -> list[BufferCheck]:
        """Forget a buffer (the file on disk is what the others see again)."""
        rel = self.rel_path(path)
        old = self.buffers.pop(rel, None)
        if old is None or old.skipped is not None:
            return []
        disk = self.disk.get(rel)
        if (old.summary and old.summary[2]) == (disk and disk[2]):
            return []
        return self.recheck_others(None)

    def recheck_others(self, except_rel: Optional[str]) -> list[BufferCheck]:
        key, index = self.index_for_buffers()
        changed = []
        for rel, buffer in self.buffers.items():
            if rel == except_rel or buffer.skipped is not None or buffer.index_key == key:
                continue
            if buffer.trace is not None and trace_holds(buffer.trace, index):
                buffer.index_key = key  # every answer is the same: its findings stand
                continue
            self._extract(buffer)
            self._check(buffer, key, index)
            changed.append(buffer)
        return changed

    def recheck_all(self) -> list[BufferCheck]:
        """After the project was loaded again (new settings, files changed on disk)."""
        for buffer in self.buffers.values():
            self._extract(buffer)
        key, index = self.index_for_buffers()
        for buffer in self.buffers.values():
            self._check(buffer, key, index)
        return list(self.buffers.values())

    def _extract(self, buffer: BufferCheck) -> None:
        """Read the buffer's text as a source and build its summary (or say why it is skipped)."""
        buffer.source, buffer.summary, buffer.skipped, buffer.notes = None, None, None, []
        buffer.findings, buffer.suppress_edits, buffer.trace = [], {}, None
        rel, language = buffer.rel_path, language_for(buffer.path)
        data = buffer.text.encode("utf-8", "surrogatepass")
        if language is None:
            buffer.skipped = "not a file perfscan checks (by its extension)"
            return
        if len(data) > self.config.max_file_size:
            buffer.skipped = (f"not checked: {len(data):,} bytes is over the file size cap "
                              f"(max-file-size = {self.config.max_file_size:,})")
            return
        note = minified_note(rel, language, data)
        if note is not None:
            buffer.skipped = f"not checked: {note.message}"
            return
        if rel not in self.files and os.path.exists(buffer.path):
            buffer.skipped = ("not checked: excluded from the project (.gitignore, the `exclude` setting, "
                              "or a directory perfscan always skips such as node_modules)")
            return
        source, note = source_from_bytes(buffer.path, rel, language, data)
        if source is None:
            buffer.skipped = f"not checked: {note.message}" if note else "not checked"
            return
        buffer.source = source
        checker = FileChecker(self.root, self.config, self.rules)
        out = checker.extract_source(source)
        buffer.notes = list(out.notes)
        if out.has_facts:
            buffer.summary = (source.family, out.summary, out.summary_digest)
        buffer._checker = checker  # type: ignore[attr-defined]  # holds the tree and facts for _check

    def _check(self, buffer: BufferCheck, key, index: ProjectIndex) -> None:
        buffer.index_key = key
        checker = getattr(buffer, "_checker", None)
        if buffer.skipped is not None or checker is None or buffer.rel_path not in checker.held:
            return
        del buffer._checker  # type: ignore[attr-defined]
        checker.set_index(index)
        checked = checker.check_held(buffer.rel_path)
        buffer.findings = sorted((f for f in checked.findings if f.suppressed_by is None), key=Finding.sort_key)
        buffer.notes += checked.notes
        buffer.trace = checked.trace
        buffer.suppress_edits = {id(f): suppression_edit(buffer.source, f) for f in buffer.findings}
        buffer.source.tree = None  # fixes parse their own result; the tree is not needed any more

    def text_of(self, rel: str) -> Optional[str]:
        """A file's text for positions of related locations: the open buffer, else the disk."""
        buffer = self.buffers.get(rel)
        if buffer is not None:
            return buffer.text
        try:
            with open(os.path.join(self.root, rel), "rb") as handle:
                data = handle.read(self.config.max_file_size + 1)
        except OSError:
            return None
        return data.decode("utf-8", errors="replace").removeprefix("\ufeff")


# -- suppressions -----------------------------------------------------------------------------------

_JSX_CHILD_PARENTS = frozenset({"jsx_element", "jsx_fragment"})
_JSX_TAGS = frozenset({"jsx_opening_element", "jsx_closing_element"})


def suppression_edit(source: SourceFile, finding: Finding):
    """A comment on its own line above the finding's line that silences this rule there:
    `# perfscan-ignore-next-line PF201` in Python, `// ...` in TypeScript, and `{/* ... */}` among JSX
    children, where `//` would be rendered as text."""
    from .findings import TextEdit

    line_text = source.line_text(finding.span.line)
    indent = line_text[: len(line_text) - len(line_text.lstrip(" \t"))]
    directive = f"perfscan-ignore-next-line {finding.code}"
    if source.family == "python":
        comment = f"# {directive}"
    elif _among_jsx_children(source, finding.span.line - 1, len(indent.encode("utf-8"))):
        comment = f"{{/* {directive} */}}"
    else:
        comment = f"// {directive}"
    at = Span(finding.span.path, finding.span.line, 1, finding.span.line, 1)
    return TextEdit(at, f"{indent}{comment}\n")


def _among_jsx_children(source: SourceFile, row: int, byte_col: int) -> bool:
    if source.tree is None:
        return False
    node = source.tree.root_node.named_descendant_for_point_range((row, byte_col), (row, byte_col))
    while node is not None and node.parent is not None:
        parent = node.parent
        if parent.type in _JSX_CHILD_PARENTS and node.type not in _JSX_TAGS:
            return True
        if parent.start_point != node.start_point:
            return False  # the line starts inside `parent`, not at a child of a JSX element
        node = parent
    return False


# -- the language server ----------------------------------------------------------------------------


def path_of_uri(uri: str) -> Optional[str]:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    path = unquote(parsed.path)
    if os.name == "nt" and path[:1] == "/" and path[2:3] == ":" and path[1:2].isalpha():  # pragma: no cover
        path = path[1:]
    return os.path.realpath(path)


class PerfscanServer(LanguageServer):
    def __init__(self, cache_dir: Optional[str] = None, jobs: int = 1):
        super().__init__("perfscan", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.cache_dir = cache_dir
        self.jobs = jobs
        self.projects: list[Project] = []
        # Engine work, one task at a time, off the protocol loop.
        self.engine = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="perfscan-engine")
        self.ready: Optional[asyncio.Future] = None
        self.checked: dict[str, BufferCheck] = {}  # uri -> last check published
        self.pending: dict[str, asyncio.Task] = {}  # uri -> debounced check
        self.reload_task: Optional[asyncio.Task] = None

    # Engine calls.

    async def on_engine(self, function, *args):
        return await asyncio.get_running_loop().run_in_executor(self.engine, function, *args)

    def project_of(self, path: str) -> Optional[Project]:
        inside = [p for p in self.projects if p.contains(path)]
        return max(inside, key=lambda p: len(p.root)) if inside else None

    def start_projects(self, roots: list[str]) -> None:
        # One cache directory may serve several roots: its cache files are named after the root.
        self.projects = [Project(root, self.cache_dir, self.jobs) for root in dict.fromkeys(roots)]
        self.ready = asyncio.ensure_future(self.load_projects())

    async def load_projects(self) -> None:
        for project in self.projects:
            self.log(f"perfscan: indexing {project.root}")
            try:
                await self.on_engine(project.load)
            except Exception as error:  # a bug of ours: report it, keep serving the other folders
                log.exception("loading %s", project.root)
                self.show(types.MessageType.Error, f"perfscan: could not check {project.root}: {error}")
                continue
            if project.config_error:
                self.show(types.MessageType.Error, f"perfscan: {project.config_error}; using the previous settings")
            self.log(f"perfscan: {project.root}: {len(project.files)} files, {len(project.disk)} with facts")

    async def reload(self, project: Project) -> None:
        """Settings or files on disk changed: load the project again, check every open buffer again."""
        await asyncio.sleep(CHANGE_DELAY)
        try:
            await self.on_engine(project.load)
            checked = await self.on_engine(project.recheck_all)
        except Exception as error:
            log.exception("reloading %s", project.root)
            self.show(types.MessageType.Error, f"perfscan: could not check {project.root}: {error}")
            return
        if project.config_error:
            self.show(types.MessageType.Error, f"perfscan: {project.config_error}; using the previous settings")
        self.publish(checked)

    def schedule_reload(self, project: Project) -> None:
        if self.reload_task is not None and not self.reload_task.done():
            self.reload_task.cancel()
        self.reload_task = asyncio.ensure_future(self.reload(project))

    # Checking documents.

    async def check_document(self, uri: str, delay: float = 0.0) -> None:
        if delay:
            await asyncio.sleep(delay)
        if self.ready is not None:
            await self.ready
        document = self.workspace.get_text_document(uri)
        path = path_of_uri(uri)
        if path is None:
            self.skip(uri, f"perfscan: {uri} skipped: not a file on disk (save it inside the workspace to check it)")
            return
        project = self.project_of(path)
        if project is None:
            self.skip(uri, f"perfscan: {path} skipped: outside the workspace folders")
            return
        try:
            checked = await self.on_engine(project.update, uri, path, document.version, document.source)
        except Exception as error:
            log.exception("checking %s", uri)
            self.skip(uri, f"perfscan: {path} skipped: internal error {type(error).__name__}: {error}; please report it")
            return
        self.publish(checked)

    def schedule_check(self, uri: str, delay: float) -> None:
        task = self.pending.pop(uri, None)
        if task is not None and not task.done():
            task.cancel()
        self.pending[uri] = asyncio.ensure_future(self.check_document(uri, delay))

    async def fresh(self, uri: str) -> Optional[BufferCheck]:
        """The check of a document's current text (code actions must not edit stale positions)."""
        task = self.pending.get(uri)
        if task is not None and not task.done():
            try:
                await task
            except asyncio.CancelledError:
                pass
        checked = self.checked.get(uri)
        try:
            document = self.workspace.get_text_document(uri)
        except Exception:
            return None
        if checked is None or checked.version != document.version or checked.text != document.source:
            await self.check_document(uri)
            checked = self.checked.get(uri)
        return checked

    def publish(self, checked: list[BufferCheck]) -> None:
        for buffer in checked:
            self.checked[buffer.uri] = buffer
            project = self.project_of(buffer.path)
            diagnostics = []
            if buffer.skipped is not None:
                self.log(f"perfscan: {buffer.path}: {buffer.skipped}")
                diagnostics.append(types.Diagnostic(
                    range=types.Range(types.Position(0, 0), types.Position(0, 0)),
                    message=f"perfscan: {buffer.skipped}",
                    severity=types.DiagnosticSeverity.Information,
                    source="perfscan",
                ))
            else:
                for note in buffer.notes:
                    where = f":{note.line}" + (f":{note.col}" if note.col else "") if note.line else ""
                    self.log(f"perfscan: {buffer.path}{where}: {note.message}")
                diagnostics = [self.diagnostic(project, buffer, f) for f in buffer.findings]
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=buffer.uri, diagnostics=diagnostics, version=buffer.version)
            )

    def diagnostic(self, project: Project, buffer: BufferCheck, finding: Finding) -> types.Diagnostic:
        units = self.units(buffer.text)
        related = []
        for span, message in [(r.span, r.message) for r in finding.related] + [(s.span, s.message) for s in finding.flow]:
            text = buffer.text if span.path == buffer.rel_path else project.text_of(span.path)
            if text is None:
                continue
            uri = buffer.uri if span.path == buffer.rel_path else _uri_of(os.path.join(project.root, span.path))
            location = types.Location(uri, self.units(text).range(span))
            item = types.DiagnosticRelatedInformation(location, plain_message(message) or finding.code)
            if item not in related:
                related.append(item)
        from perfscan.rules import rule_by_code_or_name

        rule = rule_by_code_or_name(finding.code)
        href = rule.help_uri(project.config.help_uri) if rule is not None else None
        return types.Diagnostic(
            range=units.range(finding.span),
            message=plain_message(finding.message),
            severity=_SEVERITY.get(finding.level, types.DiagnosticSeverity.Warning),
            code=finding.code,
            code_description=types.CodeDescription(href=href) if href else None,
            source="perfscan",
            related_information=related or None,
            data={"rule": finding.rule_name, "fixable": bool(finding.fix and finding.fix.safe)},
        )

    def units(self, text: str) -> LineUnits:
        return LineUnits(text, self.workspace.position_encoding or types.PositionEncodingKind.Utf16)

    def skip(self, uri: str, message: str) -> None:
        """Answer a document perfscan does not check: no diagnostics, and the reason in the log."""
        self.log(message)
        self.checked.pop(uri, None)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    def log(self, message: str) -> None:
        self.window_log_message(types.LogMessageParams(type=types.MessageType.Info, message=message))

    def show(self, kind: types.MessageType, message: str) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=message))
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))


def _uri_of(path: str) -> str:
    from pathlib import Path

    return Path(path).as_uri()


def _covers(span: Span, start: tuple[int, int], end: tuple[int, int]) -> bool:
    """Whether `span` meets the range start..end (both ends included, as an editor's cursor is)."""
    return (span.line, span.col) <= end and start <= (span.end_line, span.end_col)


def create_server(cache_dir: Optional[str] = None, jobs: int = 1) -> PerfscanServer:
    server = PerfscanServer(cache_dir=cache_dir, jobs=jobs)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: PerfscanServer, params: types.InitializedParams):
        folders = [path_of_uri(f.uri) for f in (ls.workspace.folders or {}).values()]
        roots = [p for p in folders if p] or ([os.path.realpath(ls.workspace.root_path)] if ls.workspace.root_path else [])
        if not roots:
            ls.show(types.MessageType.Warning, "perfscan: no workspace folder: open a folder to check its files")
        ls.start_projects(roots)
        watching = ls.client_capabilities.workspace and ls.client_capabilities.workspace.did_change_watched_files
        if watching and watching.dynamic_registration:
            watchers = [types.FileSystemWatcher(glob_pattern=_CONFIG_GLOB), types.FileSystemWatcher(glob_pattern=_SOURCE_GLOB)]
            try:
                await ls.client_register_capability_async(types.RegistrationParams(registrations=[
                    types.Registration(
                        id="perfscan-watched-files",
                        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                        register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
                    )
                ]))
            except Exception as error:  # the client said no: saves in the editor still reload
                log.warning("file watchers not registered: %s", error)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: PerfscanServer, params: types.DidOpenTextDocumentParams):
        ls.schedule_check(params.text_document.uri, 0.0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: PerfscanServer, params: types.DidChangeTextDocumentParams):
        ls.schedule_check(params.text_document.uri, CHANGE_DELAY)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: PerfscanServer, params: types.DidSaveTextDocumentParams):
        uri = params.text_document.uri
        path = path_of_uri(uri)
        project = ls.project_of(path) if path else None
        if project is not None and (os.path.basename(path) in CONFIG_FILE_NAMES or language_for(path)):
            # The disk changed: the project run takes the saved file (other buffers see it too).
            ls.schedule_reload(project)
        elif language_for(uri):
            ls.schedule_check(uri, 0.0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: PerfscanServer, params: types.DidCloseTextDocumentParams):
        uri = params.text_document.uri
        task = ls.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        ls.checked.pop(uri, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        path = path_of_uri(uri)
        project = ls.project_of(path) if path else None
        if project is not None:
            if ls.ready is not None:
                await ls.ready
            ls.publish(await ls.on_engine(project.close, path))

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched_files(ls: PerfscanServer, params: types.DidChangeWatchedFilesParams):
        if ls.ready is not None:
            await ls.ready
        for project in {ls.project_of(p) for p in (path_of_uri(c.uri) for c in params.changes) if p} - {None}:
            ls.schedule_reload(project)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: PerfscanServer, params: types.HoverParams) -> Optional[types.Hover]:
        checked = ls.checked.get(params.text_document.uri)
        if checked is None or not checked.findings:
            return None
        at = ls.units(checked.text).to_perfscan(params.position)
        under = [f for f in checked.findings if _covers(f.span, at, at)]
        if not under:
            return None
        from perfscan.rules import rule_by_code_or_name

        pages = []
        for code in dict.fromkeys(f.code for f in under):
            rule = rule_by_code_or_name(code)
            if rule is not None:
                pages.append(rule.markdown())
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(pages)),
            range=ls.units(checked.text).range(under[0].span),
        )

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND]),
    )
    async def code_action(ls: PerfscanServer, params: types.CodeActionParams):
        uri = params.text_document.uri
        checked = await ls.fresh(uri)
        if checked is None or checked.source is None or not checked.findings:
            return None
        units = ls.units(checked.text)
        start, end = units.to_perfscan(params.range.start), units.to_perfscan(params.range.end)
        project = ls.project_of(checked.path)
        wanted = params.context.only
        actions = []
        if not wanted or any(k.startswith(types.CodeActionKind.QuickFix) for k in wanted):
            for finding in checked.findings:
                if not _covers(finding.span, start, end):
                    continue
                diagnostic = ls.diagnostic(project, checked, finding)
                fixed = None
                if finding.fix is not None and finding.fix.safe:
                    fixed = await ls.on_engine(_planned_fix, project.root, checked, [finding])
                if fixed is not None:
                    actions.append(types.CodeAction(
                        title=f"perfscan: {finding.fix.description}",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic],
                        is_preferred=True,
                        edit=_edit(uri, units, fixed[1]),
                    ))
                actions.append(types.CodeAction(
                    title=f"perfscan: ignore {finding.code} on this line",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    edit=_edit(uri, units, [checked.suppress_edits[id(finding)]]),
                ))
        if not wanted or any(FIX_ALL_KIND.startswith(k) for k in wanted):
            fixable = [f for f in checked.findings if f.fix is not None and f.fix.safe]
            fixed = await ls.on_engine(_planned_fix, project.root, checked, fixable) if fixable else None
            if fixed is not None:
                whole = types.Range(types.Position(0, 0), units.to_lsp(len(units.lines), 1 + _utf16_len(units.lines[-1])))
                actions.append(types.CodeAction(
                    title="perfscan: apply every safe fix in this file",
                    kind=FIX_ALL_KIND,
                    edit=types.WorkspaceEdit(changes={uri: [types.TextEdit(whole, fixed[0])]}),
                ))
        return actions or None

    return server


FIX_ALL_KIND = "source.fixAll.perfscan"


def _planned_fix(root: str, buffer: BufferCheck, findings: list[Finding]) -> Optional[tuple[str, list]]:
    """The buffer's text with these findings' safe fixes and the edits of each finding fixed, or
    None when there is nothing to apply or the result would not parse: the planner of
    `perfscan check --fix`, given the buffer as an in-memory source (a path that is not on disk),
    since the file on disk may differ from the unsaved buffer and is not what is fixed."""
    unsaved = dataclasses.replace(
        buffer.source, path=os.path.join(root, ".perfscan-unsaved-buffer", buffer.rel_path), tree=None
    )
    result = RunResult(root=root, findings=list(findings), sources={buffer.rel_path: unsaved})
    planned, _refused = plan_fixes(result)
    plan = planned.get(buffer.rel_path)
    if plan is None:
        return None
    # The planner made any deferred edits, in place.
    return plan[1], [edit for finding in plan[2] for edit in finding.fix.edits]


def _edit(uri: str, units: LineUnits, edits) -> types.WorkspaceEdit:
    return types.WorkspaceEdit(changes={uri: [types.TextEdit(units.range(e.span), e.new_text) for e in edits]})


def serve(cache_dir: Optional[str] = None, jobs: int = 1) -> None:
    """Speak LSP over stdin/stdout until the client says exit."""
    logging.basicConfig(level=logging.WARNING, format="perfscan server: %(levelname)s: %(message)s")
    create_server(cache_dir=cache_dir, jobs=jobs).start_io()
