"""The stages of a run over files on disk, in the order `engine.run` calls them:

    discover -> look up the cache -> per language family: extract -> build the index -> recheck
    -> report (and save the cache) -> measure (with profiles)

The `Ledger` is what the stages know about each file so far (its cache entry: digest, summary,
findings; and which files this run extracted, checked or gave up on). Each stage reads what the
ones before it wrote and never reaches back into them.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import time
from dataclasses import dataclass, field
from typing import Optional

from .cache import Cache, Entry, content_digest, file_digest, finding_from_plain, finding_to_plain
from .cache import note_from_plain, note_to_plain
from .checker import Checked, Extracted, derived_reports, note_key
from .config import repository_top
from .discovery import Discovery, DiscoveredFile, discover
from .facts import BACKEND_IN_PROJECT, FRONTEND_IN_PROJECT
from .findings import Finding
from .project import ProjectIndex, trace_holds
from .results import LazySource, RunResult
from .safe_read import UnreadableFile, is_within, read_bounded
from .source import LANGUAGE_FAMILY
from .summaries import IndexInputs

# One language family after the other: a family's rules read only its part of the index, and
# only one family's trees are held at a time (half the memory on a full-stack repository, so
# fewer files go over the memory cap).
FAMILIES = ("python", "tsx")


@dataclass
class Ledger:
    root: str
    files: dict[str, DiscoveredFile]  # every file discovered, by rel_path
    entries: dict[str, Entry]  # rel_path -> what is known of it (from the cache, then this run)
    to_extract: list[DiscoveredFile]  # new or changed since the cache
    inputs_now: dict[str, bytes]  # project files the indexes read last time -> their digest now
    stats: dict
    fresh: set[str] = field(default_factory=set)  # extracted in this run
    checked: set[str] = field(default_factory=set)  # checked (phase 2) in this run
    stopped: set[str] = field(default_factory=set)  # timed out or crashed a worker
    findings: list[Finding] = field(default_factory=list)  # found in this run
    # Project files the indexes read, and notifications about those they did not read (note_key ->
    # Notification): from this run's indexes, and from the cache while those files are unchanged.
    project_inputs: set[str] = field(default_factory=set)
    project_notes: dict = field(default_factory=dict)
    # The files reported on (named on the command line), when not every file of `files`: the
    # others only give their summaries to the project index.
    reported: Optional[set[str]] = None

    def reports(self, rel_path: str) -> bool:
        return self.reported is None or rel_path in self.reported

    def note_project(self, inputs, notes) -> None:
        self.project_inputs.update(inputs)
        self.project_notes.update((note_key(note), note) for note in notes)

    def family_digest(self, family: str) -> bytes:
        return _family_digests(self.entries, repr(sorted(self.inputs_now.items())).encode())[family]


@dataclass
class FamilyIndex:
    """What a family's project index is built from (None when nothing of the family changed),
    the digest its findings are keyed on, and the cached files whose family index is no longer
    theirs. The index itself is built only by a process that asks it something: the workers,
    or this one for an in-process run or to replay the questions of cached files."""

    inputs: Optional[IndexInputs]
    digest: bytes
    changed: list[str]

    @property
    def index(self) -> Optional[ProjectIndex]:
        return self.inputs.index() if self.inputs is not None else None


@dataclass
class Recheck:
    """What phase 2 does for one family: files kept by the process that extracted them, and
    files to parse again."""

    held: list[str]
    stale: list[str]


# Files that mark a directory as a project's top, outside a git repository.
PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "package.json", "tsconfig.json",
                   "jsconfig.json", "perfscan.toml", ".perfscan.toml")


def project_scope(paths: list[str], root: str) -> Optional[str]:
    """The directory whose files make the project index when `paths` name only part of a project
    (pre-commit names the changed files): the git top level, or the project root when the
    repository is larger than it. Outside a repository, the highest directory up to the root
    that holds a project file (pyproject.toml, package.json...): a parent that is no project (a
    home directory, a folder of checkouts) is never walked. None when the paths name the whole
    of it, or no project is known."""
    named = [os.path.abspath(p) for p in paths if os.path.lexists(p)]
    if not named:
        return None
    common = os.path.commonpath(named)
    start = common if os.path.isdir(common) else os.path.dirname(common)
    top = repository_top(start)
    if top is not None:
        scope = top if is_within(top, root) else root
    else:
        scope, current = None, start
        while is_within(current, root):
            if any(os.path.isfile(os.path.join(current, name)) for name in PROJECT_MARKERS):
                scope = current
            if current == root or os.path.dirname(current) == current:
                break
            current = os.path.dirname(current)
    return None if scope is None or scope in named else scope


def discover_project(discovery: Discovery, paths: list[str], config) -> list[DiscoveredFile]:
    """Every file of the project the named files belong to, the named ones included: the
    project index is built from all of them (through the cache), the rules run on the named
    ones. Discovery's usual rules apply (excludes, .gitignore); its notes are about files that
    are not reported on and are left out."""
    scope = project_scope(paths, discovery.root)
    if scope is None:
        return list(discovery.files)
    files = {f.rel_path: f for f in discover([scope], config).files}
    files.update((f.rel_path, f) for f in discovery.files)  # a named file is checked even if ignored
    return [files[rel] for rel in sorted(files)]


def with_project_shape(config, project_files: list[DiscoveredFile]):
    """The run's config with what the project's file list says (a copy): whether it has a
    backend and a frontend, for what the facts summarize (analyzer/facts/__init__.py)."""
    config = config.merged()
    families = {LANGUAGE_FAMILY[f.language] for f in project_files}
    config.project_settings.setdefault(BACKEND_IN_PROJECT, "python" in families)
    config.project_settings.setdefault(FRONTEND_IN_PROJECT, "tsx" in families)
    return config


def look_up_cache(discovery: Discovery, project_files: list[DiscoveredFile], cache: Optional[Cache], stats: dict,
                  max_file_size: int) -> Ledger:
    """Which files of the project the cache knows, by content; the others are to be extracted.
    The files `discovery` found are the ones reported on."""
    entries: dict[str, Entry] = {}
    to_extract: list[DiscoveredFile] = []
    for file in project_files:
        entry = cache.entries.get(file.rel_path) if cache is not None else None
        if entry is not None and entry.language == file.language:
            try:
                # Bounded, regular files only: the file may have changed since discovery
                # (a FIFO would block a plain open; a grown file is not read whole).
                if content_digest(read_bounded(file.path, max_file_size)) == entry.digest:
                    entries[file.rel_path] = entry
                    continue
            except UnreadableFile:
                pass  # extracted, which says why it is not read
        to_extract.append(file)
    stats["summaries_cached"] = len(entries)
    # Project files the indexes read last time (tsconfig paths...) count as index input.
    previous_inputs = sorted(cache.inputs) if cache is not None else []
    inputs_now = {rel: file_digest(discovery.root, rel) for rel in previous_inputs}
    files = {f.rel_path: f for f in project_files}
    reported = {f.rel_path for f in discovery.files}
    ledger = Ledger(discovery.root, files, entries, to_extract, inputs_now, stats,
                    reported=None if len(reported) == len(files) else reported)
    if cache is not None and inputs_now == cache.inputs:
        # Said by the indexes over these very project files. (When one changed, every file's
        # questions are asked again this run: the notes come from this run alone.)
        ledger.note_project((), map(note_from_plain, cache.notes))
    return ledger


def files_to_do(ledger: Ledger) -> int:
    """The files a progress bar counts: those reported on, and the others to summarize."""
    if ledger.reported is None:
        return len(ledger.files)
    return len(ledger.reported) + sum(1 for f in ledger.to_extract if not ledger.reports(f.rel_path))


def family_work(ledger: Ledger, family: str) -> tuple[list[DiscoveredFile], list[str]]:
    """A family's files to extract, and its reported files known from the cache."""
    if ledger.reported is not None and not any(
        FAMILIES.index(LANGUAGE_FAMILY[ledger.files[rel].language]) >= FAMILIES.index(family) for rel in ledger.reported
    ):
        # Its summaries would serve only the rules of files not reported on (a family's index
        # also serves the families after it: the TSX rules ask the Python routes).
        return [], []
    to_extract = [f for f in ledger.to_extract if LANGUAGE_FAMILY[f.language] == family]
    cached = [rel for rel, e in ledger.entries.items() if LANGUAGE_FAMILY[e.language] == family and ledger.reports(rel)]
    return to_extract, cached


def extract(checkers, ledger: Ledger, files: list[DiscoveredFile], progress) -> list[Extracted]:
    """Phase 1: parse, facts, summary and early check of new and changed files (of files not
    reported on, the summary only)."""
    reported = [f for f in files if ledger.reports(f.rel_path)]
    others = [f for f in files if not ledger.reports(f.rel_path)]
    # Each file not reported on is done in one step of the progress bar's two.
    return checkers.extract(reported, {f.rel_path: _size(f.path) for f in files}, progress, others)


def record_extracted(ledger: Ledger, extracted: list[Extracted]) -> None:
    for out in extracted:
        ledger.entries[out.rel_path] = Entry(
            out.digest, out.language, out.partial, out.summary, out.summary_digest,
            [note_to_plain(n) for n in out.notes],
        )
        ledger.fresh.add(out.rel_path)
        if out.stopped:
            ledger.stopped.add(out.rel_path)


def build_index(ledger: Ledger, family: str, extracted: list[Extracted], cached: list[str],
                settings: dict) -> FamilyIndex:
    """The project index, when anything of the family changed."""
    digest = ledger.family_digest(family)
    fresh = {out.rel_path for out in extracted}
    changed = [rel for rel in cached if rel not in fresh and ledger.entries[rel].checked_with != digest]
    if not changed and not any(out.has_facts for out in extracted):
        return FamilyIndex(None, digest, changed)
    # Only now are cached summaries unpickled: an unchanged tree never needs them. Summaries
    # from workers stay packed here: this process only passes them on (analyzer/summaries.py).
    summaries = {
        rel: (LANGUAGE_FAMILY[e.language], e.index_summary) for rel, e in ledger.entries.items()
        if e.summary_digest is not None
    }
    return FamilyIndex(IndexInputs(ledger.root, summaries, settings), digest, changed)


def plan_recheck(ledger: Ledger, extracted: list[Extracted], family_index: FamilyIndex) -> Recheck:
    """Which files the index sends back to the rules."""
    stats = ledger.stats
    stale = []
    for rel in family_index.changed:
        # Unchanged file, changed project: its findings stand if the rules' questions
        # get the same answers (per-file invalidation); else it is checked again.
        entry = ledger.entries[rel]
        if entry.checked_with is not None and trace_holds(entry.trace, family_index.index):
            entry.checked_with = family_index.digest
            stats["findings_replayed"] += 1
        else:
            stale.append(rel)
    built = family_index.inputs.built if family_index.inputs is not None else None
    if built is not None:  # the answers just replayed read project files here
        ledger.note_project(derived_reports("project_inputs")(built), derived_reports("project_notes")(built))
    held = [out.rel_path for out in extracted if out.held]
    # Files whose trees were let go to stay under the memory cap are parsed again.
    reported = [out for out in extracted if ledger.reports(out.rel_path)]
    stale += sorted(out.rel_path for out in reported if out.has_facts and not out.held)
    stats["reparsed"] += len(reported) - len(held) - sum(1 for out in reported if not out.has_facts)
    return Recheck(held, stale)


def recheck(checkers, ledger: Ledger, plan: Recheck, inputs: Optional[IndexInputs], progress) -> list[Checked]:
    """Phase 2: held files where they were extracted; stale ones parsed again, largest first."""
    if not plan.held and not plan.stale:
        return []
    sizes = {rel: _size(ledger.files[rel].path) for rel in plan.stale}
    stale_files = [ledger.files[rel] for rel in sorted(plan.stale, key=lambda r: -sizes[r])]
    return checkers.check(inputs, plan.held, stale_files, sum(sizes.values()), progress)


def record_checked(ledger: Ledger, checked: list[Checked], digest: bytes) -> None:
    stats = ledger.stats
    for out in checked:
        entry = ledger.entries[out.rel_path]
        if out.digest is not None and out.digest != entry.digest or out.stopped:
            # Changed while we ran, or not checked to the end: report what we saw, cache none
            # of it (the next run tries again).
            entry.digest = None
        if out.stopped:
            ledger.stopped.add(out.rel_path)
        entry.findings = [finding_to_plain(f) for f in out.findings]
        entry.check_notes = [note_to_plain(n) for n in out.notes]
        entry.checked_with = digest
        entry.trace = out.trace
        ledger.checked.add(out.rel_path)
        stats["reparsed"] += out.reparsed
        if out.early is not None:
            stats["early_kept" if out.early else "early_redone"] += 1
        ledger.findings.extend(out.findings)


def report(ledger: Ledger, discovery: Discovery, max_file_size: int) -> RunResult:
    """Results, cached and new, in one deterministic order."""
    result = RunResult(root=ledger.root, missing_paths=list(discovery.missing_paths), stats=ledger.stats)
    result.notifications.extend(discovery.notifications)
    result.notifications.extend(ledger.project_notes.values())
    result.findings.extend(ledger.findings)
    for rel in sorted(ledger.entries):
        if not ledger.reports(rel):
            continue
        entry = ledger.entries[rel]
        file = ledger.files[rel]
        result.notifications.extend(note_from_plain(n) for n in entry.extract_notes)
        result.notifications.extend(note_from_plain(n) for n in entry.check_notes)
        if entry.summary_digest is None or rel in ledger.stopped:
            continue
        result.files_checked += 1
        result.sources[rel] = LazySource(file.path, rel, file.language, entry.partial, max_file_size)
        if rel not in ledger.fresh and rel not in ledger.checked:
            ledger.stats["findings_cached"] += 1
            result.findings.extend(finding_from_plain(p) for p in entry.findings)
    result.findings.sort(key=Finding.sort_key)
    result.notifications.sort(key=lambda n: (n.path or "", n.line or 0, n.kind, n.message))
    entries = ledger.entries
    result.project_summaries = lambda: {
        rel: (LANGUAGE_FAMILY[e.language], e.summary) for rel, e in entries.items() if e.summary_digest is not None
    }
    return result


def measure(result: RunResult, options) -> None:
    """The profiles the user recorded, laid over the findings: each finding gets the measured
    cost of its code, and hot spots no rule explains become PF001 notes. After the rules and
    the cache: rules stay static checks, and nothing measured is cached."""
    from .profiles.measure import measure as measure_findings

    measure_findings(result, options)


def save_cache(cache: Cache, ledger: Ledger) -> None:
    """Keep what this run learnt; a warm run over an unchanged tree rewrites nothing."""
    entries, root, inputs_now = ledger.entries, ledger.root, ledger.inputs_now
    # A project file that was not read (a FIFO, over the cap) is an input too: once it can be
    # read, the indexes answer differently. One outside the root is never read at all.
    read_inputs = ledger.project_inputs | {
        note.path for note in ledger.project_notes.values()
        if note.path and not posixpath.isabs(note.path) and not note.path.startswith("../")
    }
    notes = [note_to_plain(ledger.project_notes[key]) for key in sorted(ledger.project_notes)]
    if read_inputs:
        cache.inputs = {rel: file_digest(root, rel) for rel in sorted(read_inputs | set(inputs_now))}
        if cache.inputs != inputs_now:
            # What was checked now saw these files as they are: key it on them.
            now = _family_digests(entries, repr(sorted(cache.inputs.items())).encode())
            for rel in ledger.checked:
                entries[rel].checked_with = now[LANGUAGE_FAMILY[entries[rel].language]]
    before = (len(cache.entries), cache.loaded)
    changed = bool(ledger.checked) or bool(ledger.stats["findings_replayed"]) or not cache.loaded or any(
        entries[r].summary_digest for r in ledger.fresh
    )
    for rel, entry in entries.items():
        if entry.digest is not None and entry.summary_digest is not None:
            cache.entries[rel] = entry
        elif cache.entries.pop(rel, None) is not None:
            changed = True
    for rel in [r for r in cache.entries if r not in ledger.files and not os.path.exists(os.path.join(root, r))]:
        del cache.entries[rel]
    if notes != cache.notes:
        cache.notes, changed = notes, True
    if changed or read_inputs and cache.inputs != inputs_now or (len(cache.entries), True) != before:
        cache.save()


def _family_digests(entries, extra: bytes = b"") -> dict[str, bytes]:
    """One digest per language family over (path, summary digest) of its files:
    a file's findings are reused only while its family's index is unchanged."""
    digests = {family: hashlib.blake2b(extra, digest_size=16) for family in FAMILIES}
    for rel in sorted(entries):
        entry = entries[rel]
        if entry.summary_digest is not None:
            # A family's rules also read the families before it (the TSX rules ask the route
            # map, built from the Python summaries): a change there is a change for them.
            family = LANGUAGE_FAMILY[entry.language]
            for reader in FAMILIES[FAMILIES.index(family):]:
                digests[reader].update(rel.encode() + b"\0" + entry.summary_digest)
    return {family: digest.digest() for family, digest in digests.items()}


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


class Clock:
    """Seconds per stage, for `RunResult.stats`."""

    def __init__(self):
        self.started = self._last = time.perf_counter()

    def lap(self) -> float:
        now = time.perf_counter()
        seconds, self._last = now - self._last, now
        return seconds

    def total(self) -> float:
        return round(time.perf_counter() - self.started, 3)
