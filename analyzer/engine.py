"""The pipeline, in one direction:

paths -> discovery -> parse -> file facts -> project index -> rules -> findings -> reporters
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Iterable, Optional

from perfscan import grammars

from .config import Config
from .discovery import DiscoveredFile, discover, minified_note
from .facts import build_facts
from .findings import Finding, Notification
from .project import ProjectIndex, RecordingIndex, trace_holds
from .rule import Rule, RuleContext
from .source import LANGUAGE_FAMILY, SourceFile, language_for
from .suppression import apply_suppressions
from .cache import content_digest, file_digest, summary_digest


@dataclass
class RunResult:
    root: str
    findings: list[Finding] = field(default_factory=list)  # suppressed ones included
    notifications: list[Notification] = field(default_factory=list)
    files_checked: int = 0
    sources: dict = field(default_factory=dict)  # rel_path -> SourceFile (for reporters/fixes)
    missing_paths: list = field(default_factory=list)  # command-line paths that do not exist
    # How the run went: files, parsed, summaries_cached, findings_cached, workers...
    stats: dict = field(default_factory=dict)

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if f.suppressed_by is None]


def load_source(file: DiscoveredFile) -> tuple[Optional[SourceFile], Optional[Notification]]:
    """Read, decode and parse one file; a file that cannot be read is a notification."""
    try:
        with open(file.path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        reason = error.strerror or str(error)
        return None, Notification("error", f"cannot read file: {reason}", file.rel_path, kind="unreadable")
    return source_from_bytes(file.path, file.rel_path, file.language, data)


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
    if node is not None:
        line = node.start_point[0] + 1
        col = source.column(node.start_point[0], node.start_point[1])
    return Notification(
        "warning",
        "syntax error: file parsed partially, findings in it may be incomplete",
        source.rel_path,
        line=line,
        col=col,
        kind="partial-parse",
    )


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
    if rules is None:
        from perfscan.rules import all_rules

        rules = all_rules()
    return [rule for rule in rules if config.rule_enabled(rule)]


def check_sources(
    sources: list[SourceFile],
    root: str,
    config: Config,
    rules: Optional[Iterable[Rule]] = None,
    result: Optional[RunResult] = None,
) -> RunResult:
    """Facts -> index -> rules -> suppressions, for already parsed sources, in this process."""
    result = result or RunResult(root=root)
    checker = FileChecker(root, config, rules)
    summaries: dict[str, tuple[str, object]] = {}
    for source in sources:
        result.sources[source.rel_path] = source
        out = checker.extract_source(source)
        result.notifications.extend(out.notes)
        if out.has_facts:
            summaries[source.rel_path] = (source.family, out.summary)
    index = ProjectIndex.build(root, summaries, config.project_settings)
    checker.set_index(index)
    for source in sources:
        if source.rel_path in checker.held:
            result.files_checked += 1
            out = checker.check_held(source.rel_path)
            result.findings.extend(out.findings)
            result.notifications.extend(out.notes)
    result.findings.sort(key=Finding.sort_key)
    result.notifications.sort(key=lambda n: (n.path or "", n.line or 0, n.kind, n.message))
    return result


def _internal_error(rel_path: str, stage: str, error: Exception) -> Notification:
    where = traceback.extract_tb(error.__traceback__)[-1]
    return Notification(
        "error",
        f"internal error while {stage}: {type(error).__name__}: {error} "
        f"(at {os.path.basename(where.filename)}:{where.lineno}); please report it",
        rel_path,
        kind="internal-error",
    )


# -- one process's share of a run -------------------------------------------------


@dataclass
class Extracted:
    """Phase 1's answer for one file: plain data only (it crosses processes)."""

    rel_path: str
    language: str
    digest: Optional[bytes] = None  # content hash of the bytes read; None if unreadable
    partial: bool = False
    summary: object = None  # facts.summary(); None when the file has no facts
    summary_digest: Optional[bytes] = None
    notes: list = field(default_factory=list)  # Notifications
    # Phase 2 goes back to the process that extracted it: it kept the early findings or the tree.
    held: bool = False

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


# Language families whose files are checked in phase 1 already, against an index without the
# other files, with the questions the rules ask recorded (analyzer/project.py): in phase 2 only
# the answers are compared, and trees of files that asked nothing are let go at once.
EARLY_CHECK_FAMILIES = frozenset({"python", "tsx"})


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
    ):
        # Over this resident size, trees and facts are let go after phase 1 and
        # the file is parsed again in phase 2: the memory cap wins over "parse once".
        self.hold_limit_kb = hold_limit_kb
        # rel_path -> (DiscoveredFile or None, findings, notes, RecordingIndex)
        self.early_checked: dict[str, tuple] = {}
        self._early_index: Optional[ProjectIndex] = None
        self._full = False
        self._inputs: set[str] = set()
        self.root = root
        self.config = config
        self.rules = select_rules(config, rules)
        self.held: dict[str, tuple[SourceFile, object]] = {}
        self.index: Optional[ProjectIndex] = None
        self.parsed = 0

    def _load(self, file: DiscoveredFile) -> tuple[Optional[SourceFile], Optional[bytes], list]:
        try:
            with open(file.path, "rb") as handle:
                data = handle.read()
        except OSError as error:
            reason = error.strerror or str(error)
            return None, None, [Notification("error", f"cannot read file: {reason}", file.rel_path, kind="unreadable")]
        digest = content_digest(data)
        source, note = source_from_bytes(file.path, file.rel_path, file.language, data)
        if source is not None:
            self.parsed += 1
        return source, digest, [note] if note is not None else []

    def _facts(self, source: SourceFile, notes: list):
        if source.partial:
            notes.append(partial_parse_notification(source))
        try:
            return build_facts(source)
        except Exception as error:  # a bug of ours must not lose the other files
            notes.append(_internal_error(source.rel_path, "building facts", error))
            return None

    def extract(self, file: DiscoveredFile) -> Extracted:
        if self.index is not None and not self.held and not self.early_checked:
            # The next language family starts: the last one's trees are all checked.
            self._inputs.update(self.project_inputs())
            self.index = None
            release_memory()
            self._full = False
        source, digest, notes = self._load(file)
        out = Extracted(file.rel_path, file.language, digest, notes=notes)
        if source is None:
            return out
        return self.extract_source(source, out, file)

    def extract_source(
        self, source: SourceFile, out: Optional[Extracted] = None, file: Optional[DiscoveredFile] = None
    ) -> Extracted:
        out = out or Extracted(source.rel_path, source.language, content_digest(source.data))
        out.partial = source.partial
        facts = self._facts(source, out.notes)
        if facts is None:
            return out
        try:
            out.summary = facts.summary()
            out.summary_digest = summary_digest(out.summary)
        except Exception as error:
            out.summary = None
            out.notes.append(_internal_error(source.rel_path, "summarizing facts", error))
            return out
        if source.family in EARLY_CHECK_FAMILIES:
            early = RecordingIndex(self._early_base())
            notes: list = []
            findings = self._run_rules(source, facts, notes, early)
            self.early_checked[source.rel_path] = (file, findings, notes, early)
            out.held = True  # phase 2 comes back to this process, which has the findings
            # Its tree is kept (memory permitting) only if an answer may change: the rules asked
            # the index something. Most files ask nothing and are let go now.
            # A file given without a path on disk (check_text) cannot be parsed again: keep it.
            if file is None or ((early.trace or early.opaque) and self._may_hold()):
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

    def _may_hold(self) -> bool:
        if self.hold_limit_kb is None:
            return True
        if self._full:
            return False
        # Resident size first (cheap); a forked worker shares its parent's pages,
        # so the proportional size decides once the resident one is over.
        if resident_kb() < self.hold_limit_kb or proportional_kb() < self.hold_limit_kb:
            return True
        self._full = True
        return False

    def _early_base(self) -> ProjectIndex:
        """The index early checks ask: the project without any file's summary."""
        if self._early_index is None:
            self._early_index = ProjectIndex.build(self.root, {}, self.config.project_settings)
        return self._early_index

    def project_inputs(self) -> list[str]:
        """Non-source files the derived indexes read (those offering `project_inputs()`)."""
        found: set[str] = set(self._inputs)
        for value in list(self.index.derived.values()) if self.index is not None else ():
            method = getattr(value, "project_inputs", None)
            if callable(method):
                try:
                    found.update(method())
                except Exception:
                    pass
        return sorted(found)

    def set_index(self, index: ProjectIndex) -> None:
        if self.index is not None:
            self._inputs.update(self.project_inputs())
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
        for rule in self.rules:
            if source.family not in rule.languages:
                continue
            ctx = RuleContext(rule, source, facts, index, self.config.level_for(rule))
            try:
                for _ in rule.check(ctx) or ():
                    pass
            except Exception as error:
                notes.append(_internal_error(source.rel_path, f"rule {rule.code}", error))
                continue
            findings.extend(ctx.findings)
        apply_suppressions(source, findings)
        return findings


def _release(facts) -> None:
    release = getattr(facts, "release", None)
    if release is not None:
        release()


class LazySource(SourceFile):
    """A checked file without its tree: what reporters and fixes read (path,
    language, partial flag), with the text loaded from disk on first use.
    Workers never send trees or texts back; most files need neither."""

    def __init__(self, path: str, rel_path: str, language: str, partial: bool = False):
        self.path = path
        self.rel_path = rel_path
        self.language = language
        self.tree = None
        self.partial = partial
        self._line_starts = None
        self._loaded = None

    def _load(self) -> tuple[bytes, str]:
        if self._loaded is None:
            try:
                with open(self.path, "rb") as handle:
                    data = handle.read()
            except OSError:
                data = b""
            text = data.decode("utf-8", errors="replace")
            if text.startswith("\ufeff"):
                text, data = text[1:], data[3:]
            self._loaded = (data, text)
        return self._loaded

    @property
    def data(self) -> bytes:  # type: ignore[override]
        return self._load()[0]

    @property
    def text(self) -> str:  # type: ignore[override]
        return self._load()[1]


# -- a run over files on disk --------------------------------------------------------


def resident_kb() -> int:
    """This process's resident memory now (Linux), else its peak so far."""
    try:
        with open("/proc/self/statm", "rb") as handle:
            return int(handle.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, ValueError, IndexError, AttributeError):
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak // 1024 if sys.platform == "darwin" else peak


def tune_gc() -> None:
    """Collect young objects less often. A run allocates millions of short-lived objects while
    the facts of held files stay alive; with the default thresholds the collector ran ~1,500
    times on polar/server and its full passes over the held facts took ~20 % of the run
    (measured with gc.callbacks). Memory is still bounded: full collections keep running."""
    import gc

    gc.set_threshold(50_000, 20, 10)


def release_memory() -> None:
    """Give freed trees back to the system (glibc keeps freed heap otherwise), so the
    memory cap measures what is really in use when the next family starts."""
    import gc

    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def proportional_kb() -> int:
    """This process's share of memory (PSS: shared pages split between sharers), Linux."""
    try:
        with open("/proc/self/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return resident_kb()


# Memory for a whole run (all processes), in MiB; PERFSCAN_MAX_MEMORY_MB overrides.
DEFAULT_MEMORY_MB = 400

# Below this much source per process, starting workers costs more than it saves.
MIN_BYTES_PER_WORKER = 256 * 1024
# Runs over fewer files than this show no progress bar.
PROGRESS_MIN_FILES = 200


def worker_count(jobs: Optional[int], total_bytes: int, files: int) -> int:
    """`jobs` given: that many (never more than files); else the cores, fewer for small runs."""
    if files <= 1:
        return 1
    if jobs is not None:
        return max(1, min(jobs, files))
    cores = os.cpu_count() or 1
    return max(1, min(cores, files, total_bytes // MIN_BYTES_PER_WORKER))


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def run(
    paths: list[str],
    config: Config,
    *,
    jobs: Optional[int] = 1,
    cache_dir: Optional[str] = None,
    progress: bool = False,
    memory_mb: Optional[int] = None,
) -> RunResult:
    """Check files and directories on disk.

    Phase 1 parses each file and extracts its facts (in `jobs` processes; None
    means one per core, fewer for small runs) and checks each file early,
    recording what their rules asked of the project index; the parent merges the
    summaries into the project index; phase 2 completes every file in the process
    that parsed it: an early check whose answers still hold is done, any other file
    is checked against the index from its kept tree -- or, where keeping trees
    would break the memory cap (`memory_mb` for all processes together), parsed
    again.
    With `cache_dir`, summaries and findings of unchanged files come from the
    cache (see analyzer/cache.py).
    """
    from .cache import CacheCorrupt

    try:
        return _run(paths, config, jobs=jobs, cache_dir=cache_dir, progress=progress, memory_mb=memory_mb)
    except CacheCorrupt:
        # A part of the cache read on demand was not plain data: never trusted, start over
        # without it (this run's save replaces the file).
        return _run(paths, config, jobs=jobs, cache_dir=cache_dir, progress=progress, memory_mb=memory_mb,
                    load_cache=False)


def _run(
    paths: list[str],
    config: Config,
    *,
    jobs: Optional[int],
    cache_dir: Optional[str],
    progress: bool,
    memory_mb: Optional[int],
    load_cache: bool = True,
) -> RunResult:
    from .cache import Cache, check_key, content_digest, finding_from_plain, finding_to_plain
    from .cache import note_from_plain, note_to_plain, project_inputs_digest
    from .cache import Entry

    clock = time.perf_counter()
    started = clock
    discovery = discover(paths, config)
    root = discovery.root
    result = RunResult(root=root, missing_paths=list(discovery.missing_paths))
    result.notifications.extend(discovery.notifications)
    files = {f.rel_path: f for f in discovery.files}
    stats = result.stats
    stats.update(files=len(files), parsed=0, summaries_cached=0, findings_cached=0, workers=1)

    budget_kb = memory_budget_mb(memory_mb) * 1024
    local = FileChecker(root, config, hold_limit_kb=budget_kb)
    cache = None
    if cache_dir is not None:
        cache = Cache.open(cache_dir, root, check_key(local.rules, config, project_inputs_digest(root)), load=load_cache)

    # 0. Which files the cache knows, by content.
    entries: dict[str, Entry] = {}
    to_extract: list[DiscoveredFile] = []
    for rel_path, file in files.items():
        entry = cache.entries.get(rel_path) if cache is not None else None
        if entry is not None and entry.language == file.language:
            try:
                with open(file.path, "rb") as handle:
                    if content_digest(handle.read()) == entry.digest:
                        entries[rel_path] = entry
                        continue
            except OSError:
                pass
        to_extract.append(file)
    stats["summaries_cached"] = len(entries)

    bar = _progress_bar(progress, len(to_extract) + len(entries))
    pool = None
    try:
        stats["discovery_and_cache_lookup_s"], clock = round(time.perf_counter() - clock, 3), time.perf_counter()
        stats.update(phase1_s=0.0, phase2_s=0.0, reparsed=0, early_kept=0, early_redone=0, findings_replayed=0)
        # Project files the indexes read last time (tsconfig paths...) count as index input.
        previous_inputs = sorted(cache.inputs) if cache is not None else []
        inputs_now = {rel: file_digest(root, rel) for rel in previous_inputs}
        fresh: set[str] = set()
        checked_rels: set[str] = set()
        # One language family after the other: a family's rules read only its part of
        # the index, and only one family's trees are held at a time (half the memory
        # on a full-stack repository, so fewer files go over the memory cap).
        for family in ("python", "tsx"):
            family_files = [f for f in to_extract if LANGUAGE_FAMILY[f.language] == family]
            family_cached = [rel for rel, e in entries.items() if LANGUAGE_FAMILY[e.language] == family]
            if not family_files and not family_cached:
                continue
            # 1. Parse and extract facts of new and changed files.
            sizes = {f.rel_path: _size(f.path) for f in family_files}
            count = worker_count(jobs, sum(sizes.values()), len(family_files))
            held_by_pool = False
            if count > 1 or (pool is not None and family_files):
                if pool is None:
                    from .parallel import WorkerPool

                    pool = WorkerPool(count, root, config, _worker_limit_kb(budget_kb, count))
                    stats["workers"] = count
                extracted = pool.extract(sorted(family_files, key=lambda f: -sizes[f.rel_path]), bar.update)
                held_by_pool = True
            else:
                extracted = []
                for file in family_files:
                    extracted.append(local.extract(file))
                    bar.update(1)
            for out in extracted:
                entries[out.rel_path] = Entry(
                    out.digest, out.language, out.partial, out.summary, out.summary_digest,
                    [note_to_plain(n) for n in out.notes],
                )
            family_fresh = {out.rel_path for out in extracted}
            fresh |= family_fresh
            stats["phase1_s"] += time.perf_counter() - clock
            clock = time.perf_counter()

            # 2. The project index, and which files it sends back to the rules.
            family_digest = _family_digests(entries, repr(sorted(inputs_now.items())).encode())[family]
            changed_index = [
                rel for rel in family_cached
                if rel not in family_fresh and entries[rel].checked_with != family_digest
            ]
            index = None
            if changed_index or any(out.has_facts for out in extracted):
                # Only now are cached summaries unpickled: an unchanged tree never needs them.
                summaries = {
                    rel: (LANGUAGE_FAMILY[e.language], e.summary) for rel, e in entries.items() if e.summary_digest is not None
                }
                index = ProjectIndex.build(root, summaries, config.project_settings)
            stale = []
            for rel in changed_index:
                # Unchanged file, changed project: its findings stand if the rules' questions
                # get the same answers (per-file invalidation); else it is checked again.
                if entries[rel].checked_with is not None and trace_holds(entries[rel].trace, index):
                    entries[rel].checked_with = family_digest
                    stats["findings_replayed"] += 1
                else:
                    stale.append(rel)
            held = [out.rel_path for out in extracted if out.held]
            # Files whose trees were let go to stay under the memory cap are parsed again.
            stale += sorted(out.rel_path for out in extracted if out.has_facts and not out.held)
            stats["reparsed"] += len(extracted) - len(held) - sum(1 for out in extracted if not out.has_facts)
            bar.update(len((set(family_cached) | family_fresh) - set(held) - set(stale)))
            if held or stale:
                checked: list[Checked] = []
                stale_sizes = {rel: _size(files[rel].path) for rel in stale}
                stale_files = [files[rel] for rel in sorted(stale, key=lambda r: -stale_sizes[r])]
                stale_bytes = sum(stale_sizes.values())
                if pool is None and worker_count(jobs, stale_bytes, len(stale_files)) > 1:
                    from .parallel import WorkerPool

                    count = worker_count(jobs, stale_bytes, len(stale_files))
                    pool = WorkerPool(count, root, config, _worker_limit_kb(budget_kb, count))
                    stats["workers"] = max(stats["workers"], pool.count)
                if not held_by_pool:
                    local.set_index(index)
                    for rel in sorted(held):
                        checked.append(local.check_held(rel))
                        bar.update(1)
                if pool is not None:
                    checked.extend(pool.check(index, held if held_by_pool else [], stale_files, bar.update))
                else:
                    for file in stale_files:
                        checked.append(local.check_file(file))
                        bar.update(1)
                for out in checked:
                    entry = entries[out.rel_path]
                    if out.digest is not None and out.digest != entry.digest:
                        # Changed while we ran: report what we saw, cache none of it.
                        entry.digest = None
                    entry.findings = [finding_to_plain(f) for f in out.findings]
                    entry.check_notes = [note_to_plain(n) for n in out.notes]
                    entry.checked_with = family_digest
                    entry.trace = out.trace
                    checked_rels.add(out.rel_path)
                    stats["reparsed"] += out.reparsed
                    if out.early is not None:
                        stats["early_kept" if out.early else "early_redone"] += 1
                    result.findings.extend(out.findings)
            stats["phase2_s"] += time.perf_counter() - clock
            clock = time.perf_counter()
    except BaseException:
        if pool is not None:
            pool.terminate()
            pool = None
        raise
    finally:
        bar.finish()
    stats["parsed"] = local.parsed
    read_inputs = set(local.project_inputs()) | (set(pool.project_inputs()) if pool is not None else set())
    if pool is not None:
        stats["worker_maxrss_kb"] = pool.close()
        stats["parsed"] += pool.parsed

    stats["phase1_s"], stats["phase2_s"] = round(stats["phase1_s"], 3), round(stats["phase2_s"], 3)
    # 3. Results, cached and new, in one deterministic order.
    for rel in sorted(entries):
        entry = entries[rel]
        file = files[rel]
        result.notifications.extend(note_from_plain(n) for n in entry.extract_notes)
        result.notifications.extend(note_from_plain(n) for n in entry.check_notes)
        if entry.summary_digest is None:
            continue
        result.files_checked += 1
        result.sources[rel] = LazySource(file.path, rel, file.language, entry.partial)
        if rel not in fresh and rel not in checked_rels:
            stats["findings_cached"] += 1
            result.findings.extend(finding_from_plain(p) for p in entry.findings)
    result.findings.sort(key=Finding.sort_key)
    result.notifications.sort(key=lambda n: (n.path or "", n.line or 0, n.kind, n.message))

    if cache is not None:
        if read_inputs:
            cache.inputs = {rel: file_digest(root, rel) for rel in sorted(read_inputs | set(inputs_now))}
            if cache.inputs != inputs_now:
                # What was checked now saw these files as they are: key it on them.
                now = _family_digests(entries, repr(sorted(cache.inputs.items())).encode())
                for rel in checked_rels:
                    entries[rel].checked_with = now[LANGUAGE_FAMILY[entries[rel].language]]
        before = (len(cache.entries), cache.loaded)
        changed = bool(checked_rels) or bool(stats["findings_replayed"]) or not cache.loaded or any(
            entries[r].summary_digest for r in fresh
        )
        for rel, entry in entries.items():
            if entry.digest is not None and entry.summary_digest is not None:
                cache.entries[rel] = entry
            elif cache.entries.pop(rel, None) is not None:
                changed = True
        for rel in [r for r in cache.entries if r not in files and not os.path.exists(os.path.join(root, r))]:
            del cache.entries[rel]
        # A warm run over an unchanged tree rewrites nothing.
        if changed or read_inputs and cache.inputs != inputs_now or (len(cache.entries), True) != before:
            cache.save()
    stats["results_and_cache_write_s"] = round(time.perf_counter() - clock, 3)
    stats["total_s"] = round(time.perf_counter() - started, 3)
    return result


def memory_budget_mb(memory_mb: Optional[int] = None) -> int:
    if memory_mb:
        return memory_mb
    try:
        value = int(os.environ.get("PERFSCAN_MAX_MEMORY_MB", ""))
    except ValueError:
        return DEFAULT_MEMORY_MB
    return value if value > 0 else DEFAULT_MEMORY_MB


def _worker_limit_kb(budget_kb: int, workers: int) -> int:
    # The parent keeps what it has now plus room for the index and the results.
    parent_kb = resident_kb() + 64 * 1024
    return max(64 * 1024, (budget_kb - parent_kb) // workers)


def _family_digests(entries, extra: bytes = b"") -> dict[str, bytes]:
    """One digest per language family over (path, summary digest) of its files:
    a file's findings are reused only while its family's index is unchanged."""
    import hashlib

    digests = {family: hashlib.blake2b(extra, digest_size=16) for family in ("python", "tsx")}
    for rel in sorted(entries):
        entry = entries[rel]
        if entry.summary_digest is not None:
            digest = digests[LANGUAGE_FAMILY[entry.language]]
            digest.update(rel.encode() + b"\0" + entry.summary_digest)
    return {family: digest.digest() for family, digest in digests.items()}


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def finish(self) -> None:
        pass


class _Bar:
    """click's progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, total: int):
        import sys

        import click

        self._bar = click.progressbar(length=total, label="perfscan", file=sys.stderr, width=30, show_pos=True)
        self._bar.__enter__()

    def update(self, n: int) -> None:
        self._bar.update(n)

    def finish(self) -> None:
        self._bar.__exit__(None, None, None)


def _progress_bar(progress: bool, total: int):
    import sys

    if progress and total >= PROGRESS_MIN_FILES and sys.stderr.isatty():
        return _Bar(total)
    return _NoBar()


def check_text(files: dict[str, str], config: Optional[Config] = None, rules=None, root: str = "/project") -> RunResult:
    """Check in-memory files {rel_path: text}: used by rule examples and tests."""
    config = config or Config()
    # Non-source files (tsconfig.json, package.json) of an in-memory project: index builders read them from here.
    project_files = {path: text for path, text in files.items() if language_for(path) is None}
    if project_files:
        config = config.merged()
        config.project_settings["project_files"] = project_files
    sources = []
    result = RunResult(root=root)
    for rel_path in sorted(files):
        language = language_for(rel_path)
        if language is None:
            continue
        source, note = source_from_bytes(
            os.path.join(root, rel_path), rel_path, language, files[rel_path].encode("utf-8")
        )
        if note is not None:
            result.notifications.append(note)
        if source is not None:
            sources.append(source)
    return check_sources(sources, root, config, rules=rules, result=result)
