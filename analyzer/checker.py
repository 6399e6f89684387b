"""One process's share of a run: read, parse, build facts and check files.

A `FileChecker` does phase 1 (parse, facts, summary, early check) and phase 2 (the check
against the merged project index) for the files given to it, keeping trees between the two
while memory permits. One lives in the parent for an in-process run, one in each worker.
"""

from __future__ import annotations

import os
import re
import traceback
from dataclasses import dataclass, field
from typing import Iterable, Optional

from perfscan import grammars

from .cache import content_digest, summary_digest
from .config import DEFAULT_MAX_FILE_SIZE, Config
from .discovery import DiscoveredFile, minified_note
from .facts import build_facts, names_only, reads_cross_stack
from .findings import Finding, Notification
from .memory import proportional_kb, release_memory, resident_kb
from .project import ProjectIndex, RecordingIndex, trace_holds
from .rule import Rule, RuleContext
from .safe_read import UnreadableFile, read_bounded
from .source import SourceFile
from .summaries import UNPACKED_PER_PACKED, PackedSummary
from .suppression import apply_suppressions
from .test_paths import TEST_LEVEL, includes_tests, is_test_path


def load_source(file: DiscoveredFile, max_size: int = DEFAULT_MAX_FILE_SIZE) -> tuple[Optional[SourceFile], Optional[Notification]]:
    """Read, decode and parse one file; a file that cannot be read is a notification."""
    data, note = read_source_bytes(file.path, file.rel_path, max_size)
    if data is None:
        return None, note
    return source_from_bytes(file.path, file.rel_path, file.language, data)


def read_source_bytes(path: str, rel_path: str, max_size: int) -> tuple[Optional[bytes], Optional[Notification]]:
    """The bytes of a discovered file, read as discovery judged it: only a regular file, never
    more than the size cap. It may have changed since (swapped for a FIFO, which a plain open
    would block on; grown past the cap): then the notification discovery would have given."""
    try:
        return read_bounded(path, max_size), None
    except UnreadableFile as error:
        if error.kind == "not-regular":
            return None, Notification("warning", f"skipped: {error.reason}", rel_path, kind="special-file")
        if error.kind == "too-large":
            return None, Notification(
                "note", f"skipped: {error.reason} (raise `max-file-size` in [tool.perfscan] to check it)",
                rel_path, kind="too-large",
            )
        return None, Notification("error", f"cannot read file: {error.reason}", rel_path, kind="unreadable")


def source_from_bytes(
    path: str, rel_path: str, language: str, data: bytes
) -> tuple[Optional[SourceFile], Optional[Notification]]:
    if b"\x00" in data[:8192]:
        return None, Notification("warning", "skipped binary file (NUL bytes)", rel_path, kind="binary")
    note = minified_note(rel_path, language, data)
    if note is not None:
        return None, note
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return None, Notification(
            "error",
            f"cannot decode file as UTF-8 (invalid byte at offset {error.start}, line {line}); file skipped",
            rel_path,
            line=line,
            kind="decode",
        )
    if text.startswith("\ufeff"):
        # Keep byte offsets and text in step: drop the BOM from both.
        text = text[1:]
        data = data[3:]
    source = SourceFile(path=path, rel_path=rel_path, language=language, data=data, text=text)
    source.tree = grammars.parse(language, data)
    root = source.tree.root_node
    if root.has_error:
        source.partial = True
    return source, None


def partial_parse_notification(source: SourceFile) -> Notification:
    """Where the first syntax error is: the file is still checked, its findings may be incomplete."""
    node = _first_error(source.tree.root_node)
    line = col = None
    message = "syntax error: file parsed partially, findings in it may be incomplete"
    if node is not None:
        line = node.start_point[0] + 1
        col = source.column(node.start_point[0], node.start_point[1])
        construct = _parser_limit(source, node)
        if construct:
            message = (f"perfscan's parser (tree-sitter-typescript) cannot read {construct}, which is valid code:"
                       " the rest of the file is checked, findings in it may be incomplete")
    return Notification(
        "warning",
        message,
        source.rel_path,
        line=line,
        col=col,
        kind="partial-parse",
    )


# Valid TypeScript/TSX that tree-sitter-typescript 0.23 (the newest release) fails on.
_STYLED_GENERIC = re.compile(rb"\bstyled(?:\.\w+|\([^()]*\))(?:\.(?:attrs|withConfig)\((?:[^()]|\([^()]*\))*\))?\s*<[^`]*>\s*$")
_TYPEOF_IMPORT = re.compile(rb"<\s*typeof\s+import\s*\(")
_STYLED_LOOKBACK = 4000  # bytes searched back from an error for the `styled` of a generic spanning lines


def _parser_limit(source: SourceFile, node) -> str:
    """The construct perfscan's parser is known not to read at error `node` ("" when not one of them)."""
    if source.language not in ("tsx", "typescript"):
        return ""
    data = source.data
    line_start = data.rfind(b"\n", 0, node.start_byte) + 1
    before = data[line_start:node.start_byte]
    if data[node.start_byte:node.start_byte + 1] == b"&" and node.parent is not None and node.parent.type.startswith("jsx"):
        return "a bare `&` in JSX text"
    parent = node.parent
    if data[node.start_byte:node.start_byte + 1] == b"&" and parent is not None and parent.type == "string" \
            and parent.parent is not None and parent.parent.type == "jsx_attribute":
        return "a bare `&` in a JSX attribute string (`href=\"?a=1&b=2\"`)"
    # `styled.div<{\n  on: boolean;\n}>`: the generic may span lines; look back to its `styled`
    styled_at = data.rfind(b"styled", max(0, node.start_byte - _STYLED_LOOKBACK), node.start_byte)
    if _STYLED_GENERIC.search(before) or (styled_at >= 0 and _STYLED_GENERIC.match(data, styled_at, node.start_byte)):
        return "a styled-components generic (`styled.div<Props>`…``)"
    # `vi.importActual<typeof import("x")>(\n  "x",\n)`: the error is on the argument's line
    previous_start = data.rfind(b"\n", 0, max(line_start - 1, 0)) + 1 if line_start else 0
    if _TYPEOF_IMPORT.search(data[previous_start:node.start_byte]):
        return "a `typeof import(\"…\")` type argument"
    return ""


def _first_error(node):
    cursor = [node]
    while cursor:
        current = cursor.pop()
        if current.is_error or current.is_missing:
            return current
        if current.has_error:
            cursor.extend(reversed(current.children))
    return None


def select_rules(config: Config, rules: Optional[Iterable[Rule]] = None) -> list[Rule]:
    named = rules is not None  # rules a caller names run, opt-in ones (PF000) too
    if rules is None:
        from perfscan.rules import all_rules

        rules = all_rules()
    return [rule for rule in rules if config.rule_enabled(rule, named=named)]



def _internal_error(rel_path: str, stage: str, error: Exception) -> Notification:
    where = traceback.extract_tb(error.__traceback__)[-1]
    return Notification(
        "error",
        f"internal error while {stage}: {type(error).__name__}: {error} "
        f"(at {os.path.basename(where.filename)}:{where.lineno}); please report it",
        rel_path,
        kind="internal-error",
    )



@dataclass
class Extracted:
    """Phase 1's answer for one file: plain data only (it crosses processes)."""

    rel_path: str
    language: str
    digest: Optional[bytes] = None  # content hash of the bytes read; None if unreadable
    partial: bool = False
    summary: object = None  # facts.summary() (a PackedSummary of it from a worker); None when the file has no facts
    summary_digest: Optional[bytes] = None
    notes: list = field(default_factory=list)  # Notifications
    # Phase 2 goes back to the process that extracted it: it kept the early findings or the tree.
    held: bool = False
    stopped: bool = False  # timed out or crashed its worker (analyzer/parallel.py): no summary, not cached

    @property
    def has_facts(self) -> bool:
        return self.summary_digest is not None


@dataclass
class Checked:
    """Phase 2's answer for one file."""

    rel_path: str
    findings: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    # Set when phase 2 had to parse the file itself (its summary came from the cache).
    digest: Optional[bytes] = None
    reparsed: bool = False  # parsed a second time in this run (its early check did not hold)
    early: Optional[bool] = None  # checked in phase 1: whether those findings held
    trace: Optional[list] = None  # what the rules asked of the index (RecordingIndex.plain_trace)
    stopped: bool = False  # timed out or crashed its worker: no findings, not cached


# Language families whose files are checked in phase 1 already, against an index without the
# other files, with the questions the rules ask recorded (analyzer/project.py): in phase 2 only
# the answers are compared, and trees of files that asked nothing are let go at once.
EARLY_CHECK_FAMILIES = frozenset({"python", "tsx"})

# The part of a process's memory limit that held trees may fill; the rest is for phase 2's index
# and derived indexes (on all of polar, 2 workers: +25-40 MiB a worker on a ~160 MiB share).
HOLD_FRACTION = 0.75
# What a held file (its tree and facts) takes per byte of source: ~36 for Python (saleor),
# ~27 for TSX (excalidraw). The lower one, so that letting trees go frees at least what it counts.
HELD_PER_SOURCE_BYTE = 27


class FileChecker:
    """Parses files and builds their facts (phase 1), keeps trees and facts
    in memory, and checks them against the merged project index (phase 2).
    One per process: in the parent for `--jobs 1`, one per worker otherwise."""

    def __init__(
        self,
        root: str,
        config: Config,
        rules: Optional[Iterable[Rule]] = None,
        hold_limit_kb: Optional[int] = None,
        early_families: frozenset = EARLY_CHECK_FAMILIES,
        workers: int = 0,
    ):
        self.early_families = early_families
        # Over this resident size, trees and facts are let go after phase 1 and
        # the file is parsed again in phase 2: the memory cap wins over "parse once".
        self.hold_limit_kb = hold_limit_kb
        # In a worker (one of `workers`), summaries are packed for the parent, and the trees held
        # in phase 1 leave room for the index phase 2 brings: every worker's summaries, unpacked.
        self.workers = workers
        self.packed_bytes = 0  # of this process's summaries so far
        # rel_path -> (DiscoveredFile or None, findings, notes, RecordingIndex)
        self.early_checked: dict[str, tuple] = {}
        self._early_index: Optional[ProjectIndex] = None
        self._full = False
        self._freed = 0  # source bytes of trees let go to keep smaller ones, not yet refilled
        self._inputs: set[str] = set()
        self._notes: dict[tuple, Notification] = {}  # note_key -> project file not read
        self.root = root
        self.config = config
        self.rules = select_rules(config, rules)
        self.held: dict[str, tuple[SourceFile, object]] = {}
        self.index: Optional[ProjectIndex] = None
        self.parsed = 0

    def _load(self, file: DiscoveredFile) -> tuple[Optional[SourceFile], Optional[bytes], list]:
        data, note = read_source_bytes(file.path, file.rel_path, self.config.max_file_size)
        if data is None:
            return None, None, [note]
        digest = content_digest(data)
        source, note = source_from_bytes(file.path, file.rel_path, file.language, data)
        if source is not None:
            self.parsed += 1
        return source, digest, [note] if note is not None else []

    def _facts(self, source: SourceFile, notes: list):
        if source.partial:
            notes.append(partial_parse_notification(source))
        try:
            settings = self.config.project_settings
            return build_facts(source, names_only(source, settings), reads_cross_stack(source, settings))
        except Exception as error:  # a bug of ours must not lose the other files
            notes.append(_internal_error(source.rel_path, "building facts", error))
            return None

    def extract(self, file: DiscoveredFile) -> Extracted:
        self._start_family()
        source, digest, notes = self._load(file)
        out = Extracted(file.rel_path, file.language, digest, notes=notes)
        if source is None:
            return out
        return self.extract_source(source, out, file)

    def summarize(self, file: DiscoveredFile) -> Extracted:
        """Phase 1 for a file of the project that is not reported on: only its summary, for the
        project index (no rules run, nothing held)."""
        self._start_family()
        source, digest, notes = self._load(file)
        out = Extracted(file.rel_path, file.language, digest, notes=notes)
        if source is None:
            return out
        out.partial = source.partial
        facts = self._facts(source, out.notes)
        if facts is not None:
            self._summarize(source, facts, out)
            _release(facts)
        return out

    def _start_family(self) -> None:
        if self.index is not None and not self.held and not self.early_checked:
            # The next language family starts: the last one's trees are all checked.
            self._remember_index()
            self.index = None
            release_memory()
            self._full = False
            self._freed = 0

    def _summarize(self, source: SourceFile, facts, out: Extracted) -> bool:
        try:
            out.summary = facts.summary()
            out.summary_digest = summary_digest(out.summary)
            if self.workers:
                out.summary = PackedSummary.of(out.summary)
                self.packed_bytes += len(out.summary)
            return True
        except Exception as error:
            out.summary = None
            out.notes.append(_internal_error(source.rel_path, "summarizing facts", error))
            return False

    def extract_source(
        self, source: SourceFile, out: Optional[Extracted] = None, file: Optional[DiscoveredFile] = None
    ) -> Extracted:
        out = out or Extracted(source.rel_path, source.language, content_digest(source.data))
        out.partial = source.partial
        facts = self._facts(source, out.notes)
        if facts is None or not self._summarize(source, facts, out):
            return out
        if source.family in self.early_families:
            early = RecordingIndex(self._early_base())
            notes: list = []
            findings = self._run_rules(source, facts, notes, early)
            self.early_checked[source.rel_path] = (file, findings, notes, early)
            out.held = True  # phase 2 comes back to this process, which has the findings
            # Its tree is kept (memory permitting) only if an answer may change: the rules asked
            # the index something. Most files ask nothing and are let go now.
            # A file given without a path on disk (check_text) cannot be parsed again: keep it.
            if file is None or ((early.trace or early.opaque) and self._room_for(len(source.data))):
                self.held[source.rel_path] = (source, facts)
            else:
                _release(facts)
            return out
        if self._may_hold():
            self.held[source.rel_path] = (source, facts)
            out.held = True
        else:
            _release(facts)
        return out

    def _room_for(self, size: int) -> bool:
        """Whether the tree of a checked-early file of `size` bytes may be kept: while under the
        limit, yes; over it, in place of larger kept trees. Files come largest first, and a small
        file is about as likely as a large one to be checked again (saleor: 19, 13, 15 and 27 %
        of the files that asked something, by size quartile) for a fraction of the memory: the
        trees kept become the most files that fit, and the fewest are parsed again."""
        if self._may_hold():
            return True
        if self._freed < size:
            larger = [rel for rel, (source, _) in self.held.items()
                      if len(source.data) > size and self.early_checked.get(rel, (None,))[0] is not None]
            for rel in sorted(larger, key=lambda rel: -len(self.held[rel][0].data)):
                if self._freed >= size:
                    break
                source, facts = self.held.pop(rel)
                self._freed += len(source.data)
                _release(facts)
        if self._freed < size:
            return False
        self._freed -= size
        return True

    def _may_hold(self, incoming_kb: Optional[float] = None) -> bool:
        if self.hold_limit_kb is None:
            return True
        if self._full:
            return False
        # Trees are kept only up to part of the limit: phase 2 adds the indexes derived from the
        # project index, and memory a process once used is not given back (fragmentation), so
        # what phase 1 takes stays taken. The project index itself is reserved for: in phase 1
        # as an estimate (this worker's summaries, as many times over as there are workers),
        # when it arrives at its size. Resident size first (cheap); a forked worker shares its
        # parent's pages, so the proportional size decides once the resident one is over.
        if incoming_kb is None:
            incoming_kb = self.packed_bytes / 1024 * UNPACKED_PER_PACKED * self.workers if self.index is None else 0
        limit = self.hold_limit_kb * HOLD_FRACTION - incoming_kb
        if resident_kb() < limit or proportional_kb() < limit:
            return True
        self._full = True
        return False

    def index_fits(self, hold_limit_kb: Optional[int], incoming_kb: float) -> bool:
        """Whether an index of `incoming_kb` fits under the phase-2 limit with every kept tree."""
        self.hold_limit_kb = hold_limit_kb
        self._full = False
        return self._may_hold(incoming_kb)

    def limit_holdings(self, hold_limit_kb: Optional[int], incoming_kb: float = 0) -> None:
        """Phase 2 starts with a new share of the budget (the parent has grown) and is about to
        unpack the project index (`incoming_kb`): over it, kept trees are let go first and those
        files parsed again when their early answers changed -- the cap holds for the whole run,
        not only phase 1."""
        if self.index_fits(hold_limit_kb, incoming_kb):
            return
        # Only as many trees as the index needs room for, largest first (fewest files parsed
        # again). What a tree frees is estimated from its size: the process's size would not say
        # (freed memory stays in its heap, where the index is unpacked next).
        over_kb = min(resident_kb(), proportional_kb()) + incoming_kb - self.hold_limit_kb * HOLD_FRACTION
        releasable = [rel for rel in self.held if self.early_checked.get(rel, (None,))[0] is not None]
        for rel in sorted(releasable, key=lambda rel: -len(self.held[rel][0].data)):
            if over_kb <= 0:
                break
            source, facts = self.held.pop(rel)
            over_kb -= len(source.data) / 1024 * HELD_PER_SOURCE_BYTE
            _release(facts)
        release_memory()

    def _early_base(self) -> ProjectIndex:
        """The index early checks ask: the project without any file's summary."""
        if self._early_index is None:
            self._early_index = ProjectIndex.build(self.root, {}, self.config.project_settings)
        return self._early_index

    def project_inputs(self) -> list[str]:
        """Non-source files the derived indexes read (those offering `project_inputs()`)."""
        return sorted(set(self._inputs).union(*map(derived_reports("project_inputs"), self._indexes())))

    def project_notes(self) -> list[Notification]:
        """Project files the derived indexes did not read, and why (those offering `project_notes()`)."""
        notes = dict(self._notes)
        for index in self._indexes():
            notes.update((note_key(note), note) for note in derived_reports("project_notes")(index))
        return [notes[key] for key in sorted(notes)]

    def _indexes(self) -> list[ProjectIndex]:
        # The early index asks the same project files as the full one, but a file checked early
        # whose answers hold is never asked again: its reads count too.
        return [index for index in (self.index, self._early_index) if index is not None]

    def _remember_index(self) -> None:
        """What the current index read and did not read: it is about to be let go."""
        self._inputs.update(self.project_inputs())
        self._notes.update((note_key(note), note) for note in self.project_notes())

    def set_index(self, index: ProjectIndex) -> None:
        if self.index is not None:
            self._remember_index()
        self.index = index

    def check_held(self, rel_path: str) -> Checked:
        """Check a file this process extracted, then let go of its tree. A file checked early
        keeps those findings when the project index answers every question as before."""
        held = self.held.pop(rel_path, None)
        early = self.early_checked.pop(rel_path, None)
        if early is not None:
            file, findings, notes, asked = early
            trace = asked.plain_trace()
            if trace_holds(trace, self.index):
                if held is not None:
                    _release(held[1])
                return Checked(rel_path, findings, notes, early=True, trace=trace)
            if held is None:
                out = self.check_file(file)
                out.reparsed, out.early = True, False
                return out
        source, facts = held
        out = Checked(rel_path, early=False if early is not None else None)
        out.findings, out.trace = self._check(source, facts, out.notes)
        _release(facts)
        return out

    def check_file(self, file: DiscoveredFile) -> Checked:
        """Parse and check a file whose summary came from the cache."""
        source, digest, notes = self._load(file)
        out = Checked(file.rel_path, digest=digest)
        if source is None:
            return out
        facts = self._facts(source, [])  # its extraction notes are in the cache already
        if facts is not None:
            out.findings, out.trace = self._check(source, facts, out.notes)
            _release(facts)
        return out

    def _check(self, source: SourceFile, facts, notes: list) -> tuple[list, Optional[list]]:
        """The file's findings against the project index, and what the rules asked of it."""
        asked = RecordingIndex(self.index)
        findings = self._run_rules(source, facts, notes, asked)
        return findings, asked.plain_trace()

    def _run_rules(self, source: SourceFile, facts, notes: list, index=None) -> list:
        findings: list[Finding] = []
        index = index if index is not None else self.index
        settings = self.config.project_settings
        in_tests = is_test_path(settings, source.rel_path)
        for rule in self.rules:
            if source.family not in rule.languages:
                continue
            if in_tests and rule.hot_path_only and not includes_tests(settings):
                continue  # test code is not a hot path
            ctx = RuleContext(rule, source, facts, index, self.config.level_for(rule))
            try:
                for _ in rule.check(ctx) or ():
                    pass
            except Exception as error:
                notes.append(_internal_error(source.rel_path, f"rule {rule.code}", error))
                continue
            if in_tests and rule.hot_path_only:
                for finding in ctx.findings:
                    finding.level = TEST_LEVEL
            findings.extend(ctx.findings)
        apply_suppressions(source, findings, self.rules)
        return findings


def derived_reports(method_name: str):
    """A function giving what an index's derived indexes report through `method_name()`
    (project_inputs, project_notes): a bug in one must not lose the run."""

    def reports(index: Optional[ProjectIndex]) -> list:
        found: list = []
        for value in list(index.derived.values()) if index is not None else ():
            method = getattr(value, method_name, None)
            if callable(method):
                try:
                    found.extend(method())
                except Exception:
                    pass
        return found

    return reports


def note_key(note: Notification) -> tuple:
    """One notification per project file and reason, whichever process or index gave it."""
    return (note.path or "", note.kind, note.message)


def _release(facts) -> None:
    release = getattr(facts, "release", None)
    if release is not None:
        release()

