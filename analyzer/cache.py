"""The incremental cache: per-file facts summaries and findings, keyed by content.

One file per project root in the cache directory (default `.perfscan_cache/` in
the project root, like ruff's; it holds a `.gitignore` so git never sees it):

    MAGIC | keyed blake2b-256 (a MAC) of the payload | payload (pickle of plain data only)

The header says which code wrote it (`code_key`: tool version, the source of
the analyzer, rules and queries, tree-sitter versions) and with which rule set
and settings findings were computed (`check_key`). Summaries are reused when the
`code_key` matches; findings only when the `check_key` matches too, and only
for a file whose own content is unchanged *and* whose language's project index
(the merged summaries of every file of that language) is the one it was
checked against: a child component that became memoized, or a helper that
started blocking, changes that index and re-checks the files that read it.

Threat model. The cache lives by default inside the analysed tree, which may come from anyone:
a cache file can be committed into a repository, planted by another tool, or be a link to a
device or to a file elsewhere. Such a file must never be trusted, since cached findings replace
checking (a forged cache could hide every finding). So:

- each cache file is authenticated with a keyed MAC whose key is a random secret of this user,
  kept outside the analysed tree (`$XDG_CACHE_HOME/perfscan/key`, else `~/.cache/perfscan/key`,
  mode 0600). Only where no such place is writable does the key live in the cache directory,
  and a key file there is used only if it is a regular file of this user that nobody else can
  read or write -- a checkout never creates one (git writes 0644/0755 files), so a committed
  key is refused. Without a usable key there is no cache (nothing read, nothing written);
- an authentic cache is still read as data: the unpickler resolves no class at all (nothing in
  it is ever called), and an entry of an unexpected shape is a miss;
- cache files are read only if they are regular files (never through a link), are written
  only through fresh temporary files renamed into place, and the directory's `.gitignore` is
  created without following links, so nothing is written outside the cache directory;
- temporary files left by a killed run are removed by a later run (their name holds the pid).

A bad magic, a wrong MAC, an unexpected shape or any object that is not plain data makes it an
empty cache that is rebuilt, never an error and never code execution.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import pickle
import stat
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Optional

from . import __version__
from .findings import Finding, FlowStep, Fix, Related, Span, TextEdit
from .safe_read import MAX_CONFIG_FILE_SIZE, UnreadableFile, is_within, read_bounded
from .summaries import PackedSummary, unpacked

MAGIC = b"PERFSCAN-CACHE\x00v3\n"
DEFAULT_DIR_NAME = ".perfscan_cache"
_DIGEST_SIZE = 32
KEY_SIZE = 32
# A cache bigger than this is not ours (polar's is a few MB): not even read.
MAX_CACHE_FILE_SIZE = 1 << 30
# A temporary file of a run that is gone (killed during a save) is removed; one of a live
# process only once it is this old (a save takes well under a second).
STALE_TEMP_SECONDS = 3600
_TEMP_PREFIX = ".tmp-"


def content_digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def summary_digest(summary) -> bytes:
    # repr, not pickle: pickle's output depends on which equal strings happen to be
    # the same object (its memo), so equal summaries could digest differently
    # from run to run and needlessly invalidate every cached finding.
    return hashlib.blake2b(repr(summary).encode("utf-8", "surrogatepass"), digest_size=16).digest()


@lru_cache(maxsize=None)
def code_key() -> str:
    """Changes whenever anything that computes facts or findings changes.

    The version string alone would not do while rules are being written: the
    source of the analyzer, the rules and the queries is hashed as well."""
    from perfscan import grammars
    from perfscan import rules

    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{__version__}|{sys.version_info[:2]}".encode())
    for module in ("tree_sitter", "tree_sitter_python", "tree_sitter_typescript"):
        digest.update(_installed_files(module))
    packages = [os.path.dirname(__file__), os.path.dirname(rules.__file__), os.path.dirname(grammars.__file__)]
    for package in packages:
        for dirpath, dirnames, filenames in os.walk(package):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                if name.endswith((".py", ".scm")):
                    path = os.path.join(dirpath, name)
                    digest.update(os.path.relpath(path, os.path.dirname(package)).encode())
                    with open(path, "rb") as handle:
                        digest.update(handle.read())
    return digest.hexdigest()


def _installed_files(module: str) -> bytes:
    """Names, sizes and mtimes of an installed package's files: a new version of a
    grammar changes them (cheaper than importlib.metadata)."""
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return module.encode() + b"=?"
    parts = [module]
    for location in spec.submodule_search_locations:
        for entry in sorted(os.scandir(location), key=lambda e: e.name):
            if entry.is_file():
                stat = entry.stat()
                parts.append(f"{entry.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return "|".join(parts).encode()


def check_key(rules, config, project_inputs: bytes = b"") -> str:
    """The rule set and the settings that change findings (not the file set:
    that reaches findings through the project index, which is keyed separately)."""
    settings = {
        "rules": sorted((r.code, type(r).__module__, type(r).__qualname__, config.level_for(r)) for r in rules),
        "react_compiler": config.react_compiler,
        "project_settings": config.project_settings,
    }
    digest = hashlib.blake2b(json.dumps(settings, sort_keys=True, default=repr).encode(), digest_size=16)
    digest.update(project_inputs)
    return code_key() + ":" + digest.hexdigest()


# Files at the project root that rules may read besides the checked sources
# (React Compiler detection, tsconfig path aliases, project metadata).
PROJECT_INPUT_FILES = (
    "package.json",
    "tsconfig.json",
    "jsconfig.json",
    "babel.config.js",
    "babel.config.json",
    ".babelrc",
    "vite.config.ts",
    "vite.config.js",
    "next.config.js",
    "next.config.mjs",
    "next.config.ts",
    "pyproject.toml",
)


def project_inputs_digest(root: str) -> bytes:
    digest = hashlib.blake2b(digest_size=16)
    for name in PROJECT_INPUT_FILES:
        digest.update(name.encode() + b"\0" + file_digest(root, name) + b"\0")
    return digest.digest()


def file_digest(root: str, rel_path: str) -> bytes:
    """The content digest of a project file an index may read; a FIFO, a device or a huge file
    is never read (the readers refuse it too), only marked as such."""
    try:
        return content_digest(read_bounded(os.path.join(root, rel_path), MAX_CONFIG_FILE_SIZE))
    except UnreadableFile as error:
        return b"-" if error.missing else b"-" + error.kind.encode()


# -- entries -------------------------------------------------------------------


class CacheCorrupt(Exception):
    """A part of the cache read on demand turned out not to be plain data: the run starts over
    without the cache (which is then rebuilt)."""


class Entry:
    """What the cache knows about one file.

    `summary` and `trace` are most of the cache by size and are needed only when the project
    index has to be built: a cache file keeps them as one pickled blob per file, unpickled on
    first use (with the same class-refusing unpickler) and written back unchanged when unused."""

    __slots__ = ("digest", "language", "partial", "summary_digest", "extract_notes", "checked_with",
                 "findings", "check_notes", "_summary", "_trace", "_blob")

    def __init__(self, digest: bytes, language: str, partial: bool, summary, summary_digest: bytes,
                 extract_notes: list, checked_with: Optional[bytes] = None, findings: Optional[list] = None,
                 check_notes: Optional[list] = None, trace: Optional[list] = None, blob: Optional[bytes] = None):
        self.digest = digest  # content hash of the file's bytes
        self.language = language
        self.partial = partial
        self.summary_digest = summary_digest
        self.extract_notes = extract_notes  # plain notifications from reading/parsing/facts
        self.checked_with = checked_with  # digest of the language's index the findings were computed with
        self.findings = findings if findings is not None else []  # plain findings
        self.check_notes = check_notes if check_notes is not None else []
        self._summary = summary  # facts.summary(), or a PackedSummary of it
        # The questions the rules asked of the index and digests of the answers
        # (analyzer/project.py); None when the check read the index some other way.
        self._trace = trace
        self._blob = blob  # pickled (summary, trace) as read from the cache file, not yet unpickled

    def _unpickle(self) -> None:
        if self._blob is None:
            return
        try:
            summary, trace = _PlainUnpickler(io.BytesIO(self._blob)).load()
            if trace is not None and not isinstance(trace, list):
                raise ValueError("bad trace")
        except Exception as error:
            raise CacheCorrupt(str(error)) from None
        self._summary, self._trace, self._blob = summary, trace, None

    @property
    def summary(self):
        self._unpickle()
        if isinstance(self._summary, PackedSummary):
            self._summary = self._summary.unpack()
        return self._summary

    @property
    def index_summary(self):
        """The summary as the project index takes it: packed while it came packed from a worker
        (only the index that reads it unpacks it: analyzer/summaries.py)."""
        self._unpickle()
        return self._summary

    @property
    def trace(self) -> Optional[list]:
        self._unpickle()
        return self._trace

    @trace.setter
    def trace(self, value: Optional[list]) -> None:
        self._unpickle()
        self._trace = value


def _entry_to_plain(entry: Entry) -> tuple:
    blob = entry._blob
    if blob is None:
        # A packed summary is unpacked for this entry's blob alone, never kept.
        blob = pickle.dumps((unpacked(entry._summary), entry._trace), protocol=5)
    return (
        entry.digest,
        entry.language,
        entry.partial,
        blob,
        entry.summary_digest,
        entry.extract_notes,
        entry.checked_with,
        entry.findings,
        entry.check_notes,
    )


def _entry_from_plain(plain) -> Entry:
    if not isinstance(plain, tuple) or len(plain) != 9:
        raise ValueError("bad entry")
    digest, language, partial, blob, summary_digest, extract_notes, checked_with, findings, check_notes = plain
    if not (
        isinstance(digest, bytes)
        and isinstance(language, str)
        and isinstance(partial, bool)
        and isinstance(blob, bytes)
        and isinstance(summary_digest, bytes)
        and isinstance(extract_notes, list)
        and (checked_with is None or isinstance(checked_with, bytes))
        and isinstance(findings, list)
        and isinstance(check_notes, list)
        and all(map(_is_plain_note, extract_notes))
        and all(map(_is_plain_note, check_notes))
        and all(map(_is_plain_finding, findings))
    ):
        raise ValueError("bad entry")
    return Entry(digest, language, partial, None, summary_digest, extract_notes, checked_with, findings,
                 check_notes, blob=blob)


# -- findings and notifications as plain tuples ------------------------------------
# (so that the unpickler never has to build a class)


def _span(s: Span) -> tuple:
    return (s.path, s.line, s.col, s.end_line, s.end_col)


def finding_to_plain(f: Finding) -> tuple:
    fix = None
    if f.fix is not None:
        fix = (f.fix.description, tuple((_span(e.span), e.new_text) for e in f.fix.edits), f.fix.safe, f.fix.deferred)
    return (
        f.code,
        f.rule_name,
        f.level,
        f.message,
        _span(f.span),
        f.snippet,
        tuple((_span(r.span), r.message) for r in f.related),
        tuple((_span(s.span), s.message) for s in f.flow),
        fix,
        f.suppressed_by,
        dict(f.properties),
    )


def finding_from_plain(p: tuple) -> Finding:
    code, rule_name, level, message, span, snippet, related, flow, fix, suppressed_by, properties = p
    if fix is not None:
        description, edits, safe, deferred = fix
        fix = Fix(description, tuple(TextEdit(Span(*s), text) for s, text in edits), safe, deferred)
    return Finding(
        code=code,
        rule_name=rule_name,
        level=level,
        message=message,
        span=Span(*span),
        snippet=snippet,
        related=tuple(Related(Span(*s), m) for s, m in related),
        flow=tuple(FlowStep(Span(*s), m) for s, m in flow),
        fix=fix,
        suppressed_by=suppressed_by,
        properties=dict(properties),
    )


def note_to_plain(n) -> tuple:
    return (n.level, n.message, n.path, n.line, n.col, n.kind)


def note_from_plain(p: tuple):
    from .findings import Notification

    return Notification(*p)


def _is_span(span) -> bool:
    return (
        isinstance(span, Span)
        and isinstance(span.path, str)
        and all(isinstance(v, int) for v in (span.line, span.col, span.end_line, span.end_col))
    )


def _is_plain_finding(plain) -> bool:
    """Whether a cached finding turns back into a Finding that reporters can format."""
    try:
        f = finding_from_plain(plain)
    except Exception:
        return False
    spans = [f.span, *(r.span for r in f.related), *(s.span for s in f.flow)]
    if f.fix is not None:
        spans += [edit.span for edit in f.fix.edits]
    texts = [f.code, f.rule_name, f.level, f.message, f.snippet, *(r.message for r in f.related),
             *(s.message for s in f.flow)]
    return (
        all(map(_is_span, spans))
        and all(isinstance(text, str) for text in texts)
        and (f.suppressed_by is None or isinstance(f.suppressed_by, str))
    )


def _is_plain_note(plain) -> bool:
    return (
        isinstance(plain, tuple)
        and len(plain) == 6
        and isinstance(plain[0], str)
        and isinstance(plain[1], str)
        and (plain[2] is None or isinstance(plain[2], str))
        and all(v is None or isinstance(v, int) for v in plain[3:5])
        and isinstance(plain[5], str)
    )


# -- the secret key (see the threat model at the top) ------------------------------


def _key_directories(cache_dir: str) -> list[str]:
    """Where the key may live, best first: the user's cache directory (outside any analysed
    tree), then the cache directory itself when nothing else is writable."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # the XDG spec ignores relative paths
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return [os.path.join(base, "perfscan"), cache_dir]


def _read_key(path: str):
    """The key in `path`; "missing" when there is none; None when the file is not a key we made
    (a link, not this user's, readable or writable by others, of another size)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return "missing"
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        geteuid = getattr(os, "geteuid", None)
        if (
            not stat.S_ISREG(info.st_mode)
            or (geteuid is not None and info.st_uid != geteuid())
            or info.st_mode & 0o077
            or info.st_size != KEY_SIZE
        ):
            return None
        key = os.read(fd, KEY_SIZE + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    return key if len(key) == KEY_SIZE else None


def _create_key(directory: str) -> None:
    """A new random key in `directory`, made whole before it appears under its name (link()
    never replaces), so a concurrent run reads either no key or the complete one."""
    os.makedirs(directory, mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{_TEMP_PREFIX}{os.getpid()}-", dir=directory)  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(os.urandom(KEY_SIZE))
        try:
            os.link(tmp, os.path.join(directory, "key"))
        except FileExistsError:
            pass  # another run made it first: theirs is used
    finally:
        os.unlink(tmp)


def secret_key(cache_dir: str) -> Optional[bytes]:
    """This user's cache key (made on first use); None when no place can hold one safely."""
    for directory in _key_directories(cache_dir):
        path = os.path.join(directory, "key")
        key = _read_key(path)
        if key == "missing":
            try:
                _create_key(directory)
            except OSError:
                continue
            key = _read_key(path)
        if isinstance(key, bytes):
            return key
    return None


def _mac(key: bytes, payload: bytes) -> bytes:
    return hashlib.blake2b(payload, key=key, digest_size=_DIGEST_SIZE).digest()


# -- temporary files ------------------------------------------------------------------


def _writer_alive(name: str) -> bool:
    """Whether the process named in a temporary file's name (`.tmp-<pid>-...`) may still be
    writing it; True when unknown (then its age decides)."""
    pid_text = name[len(_TEMP_PREFIX):].split("-", 1)[0]
    if not pid_text.isdigit():
        return True
    pid = int(pid_text)
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def remove_stale_temporaries(directory: str) -> None:
    """Temporary files of saves that never finished (the run was killed)."""
    try:
        names = [n for n in os.listdir(directory) if n.startswith(_TEMP_PREFIX)]
    except OSError:
        return
    now = time.time()
    for name in names:
        path = os.path.join(directory, name)
        try:
            if _writer_alive(name) and now - os.lstat(path).st_mtime < STALE_TEMP_SECONDS:
                continue
            os.unlink(path)  # a link is removed itself, never its target
        except OSError:
            pass


# -- the file --------------------------------------------------------------------


class _PlainUnpickler(pickle.Unpickler):
    """Builds only containers and scalars: any class reference is refused."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"cache holds a non-plain object {module}.{name}")

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("cache holds a persistent id")


@dataclass
class Cache:
    path: str  # the cache file
    root: str
    code_key: str
    check_key: str
    entries: dict = field(default_factory=dict)  # rel_path -> Entry
    # Non-source project files the last run's indexes read (tsconfigs, package.json):
    # {rel_path: content digest}. Their current content is part of every index digest.
    inputs: dict = field(default_factory=dict)
    # What the indexes said of project files they did not read (outside the root, a FIFO, over
    # the cap), as plain notifications: a warm run builds no index and must still report them.
    notes: list = field(default_factory=list)
    loaded: bool = False  # a valid file was read
    key: Optional[bytes] = field(default=None, repr=False)  # None: no cache at all

    @classmethod
    def open(cls, cache_dir: str, root: str, check_key_value: str, load: bool = True,
             facts_mode: str = "") -> "Cache":
        """The cache of `root` in `cache_dir`; with `load=False` an empty one (that a save replaces).
        `facts_mode`: what decides how much a summary holds (analyzer/facts/__init__.py
        `facts_mode_key`): summaries made in another mode are not reused."""
        name = "files-" + hashlib.blake2b(os.path.abspath(root).encode(), digest_size=8).hexdigest() + ".bin"
        cache = cls(os.path.join(cache_dir, name), root, code_key() + ":" + facts_mode, check_key_value)
        if not cache._directory_usable():
            return cache
        remove_stale_temporaries(cache_dir)
        cache.key = secret_key(cache_dir)
        if load:
            cache._load()
        return cache

    def _directory_usable(self) -> bool:
        """False for a cache directory inside the project that is a link: a tree could point it
        anywhere (the user's own --cache-dir elsewhere may be one)."""
        directory = os.path.abspath(os.path.dirname(self.path))
        return not (os.path.islink(directory) and is_within(directory, os.path.abspath(self.root)))

    def _load(self) -> None:
        if self.key is None:
            return
        try:
            blob = read_bounded(self.path, MAX_CACHE_FILE_SIZE, follow_symlinks=False)
        except UnreadableFile:
            return
        try:
            header = len(MAGIC) + _DIGEST_SIZE
            if not blob.startswith(MAGIC) or len(blob) < header:
                return
            payload = blob[header:]
            if not hmac.compare_digest(_mac(self.key, payload), blob[len(MAGIC) : header]):
                return  # not written by this user's perfscan
            data = _PlainUnpickler(io.BytesIO(payload)).load()
            if not isinstance(data, dict) or data.get("root") != os.path.abspath(self.root):
                return
            if data.get("code_key") != self.code_key:
                return
            same_checks = data.get("check_key") == self.check_key
            entries = {}
            for rel_path, plain in data["entries"].items():
                if not isinstance(rel_path, str):
                    return
                try:
                    entry = _entry_from_plain(plain)
                except ValueError:
                    continue  # a malformed entry is a miss: the file is checked again
                if not same_checks:
                    # Findings were made with other rules or settings; summaries stand. (The old
                    # trace is never replayed without `checked_with`, and goes with the re-check.)
                    entry.checked_with, entry.findings, entry.check_notes = None, [], []
                entries[rel_path] = entry
            inputs = data.get("inputs", {})
            if not isinstance(inputs, dict) or not all(isinstance(k, str) and isinstance(v, bytes) for k, v in inputs.items()):
                return
            notes = data.get("notes", [])
            if not isinstance(notes, list) or not all(map(_is_plain_note, notes)):
                return
        except Exception:  # corrupt or foreign: start afresh
            return
        self.entries = entries
        self.inputs = inputs
        self.notes = notes
        self.loaded = True

    def save(self) -> bool:
        """Write atomically; a cache that cannot be written is skipped silently. Nothing is
        written through a link: a fresh temporary file is renamed over the cache file, and the
        `.gitignore` is only ever created, never opened when something has that name."""
        if self.key is None or not self._directory_usable():
            return False
        data = {
            "root": os.path.abspath(self.root),
            "code_key": self.code_key,
            "check_key": self.check_key,
            "entries": {rel: _entry_to_plain(e) for rel, e in sorted(self.entries.items())},
            "inputs": dict(sorted(self.inputs.items())),
            "notes": list(self.notes),
        }
        try:
            payload = pickle.dumps(data, protocol=5)
            directory = os.path.dirname(self.path)
            os.makedirs(directory, exist_ok=True)
            _create_gitignore(os.path.join(directory, ".gitignore"))
            fd, tmp = tempfile.mkstemp(prefix=f"{_TEMP_PREFIX}{os.getpid()}-", dir=directory)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(MAGIC)
                    handle.write(_mac(self.key, payload))
                    handle.write(payload)
                os.replace(tmp, self.path)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except (OSError, pickle.PicklingError, TypeError, ValueError):
            return False
        return True


def _create_gitignore(path: str) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o644)  # O_EXCL: fails on anything there, a dangling link too
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("# Automatically created by perfscan.\n*\n")
