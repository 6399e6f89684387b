"""Find the files to check: honour .gitignore files, default and configured
excludes, and decide each file's language by its extension."""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass, field

import pathspec

from .config import Config
from .findings import Notification
from .safe_read import (
    MAX_CONFIG_FILE_SIZE,
    UnreadableFile,
    is_printable_name,
    is_within,
    not_regular_reason,
    read_config_text,
    readable_name,
)
from .source import language_for

# Never project source: dependencies, build output, caches, VCS data.
DEFAULT_EXCLUDED_DIRS = frozenset(
    {
        "node_modules",
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".perfscan_cache",
        "dist",
        "build",
        ".next",
        ".nuxt",
        ".turbo",
        ".svelte-kit",
        "coverage",
        "site-packages",
        "bower_components",
    }
)

# A bundle: a line this long is generated code, not something a person wrote.
MINIFIED_LINE_LENGTH = 2000


@dataclass(frozen=True)
class DiscoveredFile:
    path: str  # absolute
    rel_path: str  # relative to the root, POSIX separators
    language: str


@dataclass
class Discovery:
    root: str
    files: list[DiscoveredFile] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    missing_paths: list[str] = field(default_factory=list)


def project_root(paths: list[str]) -> str:
    """The directory results are relative to: the working directory when every
    path is inside it (what GitHub code scanning expects), else their common parent."""
    cwd = os.getcwd()
    absolute = [os.path.abspath(p) for p in paths] or [cwd]
    if all(p == cwd or p.startswith(cwd.rstrip(os.sep) + os.sep) for p in absolute):
        return cwd
    common = os.path.commonpath(absolute)
    return common if os.path.isdir(common) else os.path.dirname(common)


def _rel(path: str, root: str) -> str:
    prefix = root.rstrip(os.sep) + os.sep
    if path.startswith(prefix):  # the common case, without relpath's normalising work
        return path[len(prefix):].replace(os.sep, "/")
    return os.path.relpath(path, root).replace(os.sep, "/")


def _is_virtualenv(dirpath: str) -> bool:
    return os.path.isfile(os.path.join(dirpath, "pyvenv.cfg"))


class _IgnoreFile:
    """One .gitignore: pathspec decides, after one combined regex has said that some
    pattern matches at all (most paths match none, and pathspec tries each pattern)."""

    def __init__(self, spec):
        self.spec = spec
        self.any_pattern = _any_pattern(spec)

    def opinion(self, rel: str):
        """True (ignored), False (re-included by `!pattern`) or None (no pattern matches)."""
        if self.any_pattern is not None and self.any_pattern.search(rel) is None:
            return None
        return self.spec.check_file(rel).include


def _any_pattern(spec):
    sources = []
    for pattern in spec.patterns:
        if pattern.include is None:
            continue  # blank lines and comments
        regex = getattr(pattern, "regex", None)
        if regex is None or not isinstance(regex.pattern, str):
            return None  # not a regex pattern: no shortcut
        # Group names would clash in one alternation; only whether it matches counts here.
        sources.append(_NAMED_GROUP.sub("(?:", regex.pattern))
    try:
        return re.compile("|".join(f"(?:{source})" for source in sources) or "(?!)")
    except re.error:
        return None


_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


def _load_ignore(directory: str, report=None):
    """The .gitignore of `directory`, or None; `report(note)` hears of one that is not read
    (not a regular file, over the size cap of a configuration file, unreadable)."""
    path = os.path.join(directory, ".gitignore")
    try:
        text = read_config_text(path, MAX_CONFIG_FILE_SIZE)
    except UnreadableFile as error:
        if not error.missing and report is not None:
            report(path, Notification("warning", f"not read, its patterns do not apply: {error.reason}", None, kind="config-file"))
        return None
    return _IgnoreFile(pathspec.GitIgnoreSpec.from_lines(text.splitlines()))


def _ancestor_ignores(start: str, report=None) -> list[tuple[str, object]]:
    """.gitignore files above `start`, up to the repository top (the dir holding .git)."""
    found = []
    current = os.path.dirname(start)
    while True:
        spec = _load_ignore(current, report)
        if spec is not None:
            found.append((current, spec))
        if os.path.lexists(os.path.join(current, ".git")):
            break
        parent = os.path.dirname(current)
        if parent == current:
            return []  # not inside a repository: .gitignore files above do not apply
        current = parent
    return list(reversed(found))


def _ignored(path: str, is_dir: bool, specs: list[tuple[str, object]]) -> bool:
    ignored = False
    for base, spec in specs:
        if not path.startswith(base.rstrip(os.sep) + os.sep):
            continue  # this .gitignore is not above the path
        rel = _rel(path, base)
        if is_dir:
            rel += "/"
        # Later (deeper) files override earlier ones, like git: each says whether
        # it has an opinion (include or negated exclude).
        opinion = spec.opinion(rel)
        if opinion is not None:
            ignored = opinion
    return ignored


def _too_large_or_minified(size: int, rel: str, config: Config) -> Notification | None:
    if size > config.max_file_size:
        return Notification(
            "note",
            f"skipped: {size:,} bytes is over the size cap of {config.max_file_size:,} "
            "(raise `max-file-size` in [tool.perfscan] to check it)",
            rel,
            kind="too-large",
        )
    lower = rel.lower()
    if lower.endswith((".min.js", ".min.mjs", ".min.cjs")) or ".bundle." in lower or "-min.js" in lower:
        return Notification("note", "skipped: minified bundle", rel, kind="minified")
    return None


def minified_note(rel: str, language: str, data: bytes) -> Notification | None:
    """A generated or minified script (a very long line near the top): skipped.
    Checked on the bytes the engine reads anyway, so discovery opens no file."""
    if language == "python":
        return None
    if max(map(len, data[: 64 * 1024].split(b"\n"))) > MINIFIED_LINE_LENGTH:  # C-speed over lines
        return Notification(
            "note", f"skipped: minified or generated (a line longer than {MINIFIED_LINE_LENGTH} characters)",
            rel, kind="minified",
        )
    return None


def _walk(top: str, onerror):
    """os.walk (top-down, links not followed) with the directory entries themselves, whose
    cached types tell links and special files apart without a system call per file."""
    pending = [top]
    while pending:
        dirpath = pending.pop()
        try:
            with os.scandir(dirpath) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as error:
            onerror(error, dirpath)
            continue
        dirs, files = [], []
        for entry in entries:
            try:
                is_dir = entry.is_dir()  # a link to a directory counts as one, as in os.walk
            except OSError:
                is_dir = False
            (dirs if is_dir else files).append(entry)
        yield dirpath, dirs, files  # the caller prunes `dirs` in place
        pending.extend(os.path.join(dirpath, entry.name) for entry in reversed(dirs))


def _stat_error_reason(error: OSError, path: str) -> str:
    if error.errno == errno.ELOOP:
        return "symbolic link loop"
    if error.errno == errno.ENOENT and os.path.islink(path):
        return "dangling symbolic link"
    return error.strerror or str(error)


def discover(paths: list[str], config: Config) -> Discovery:
    """The files to check under `paths`. What the tree holds is not trusted: only regular files
    are taken (a FIFO or a link to a device would block or never end), links leading out of the
    project are not followed, and names no output can carry (not UTF-8) are skipped; each skip is
    one notification, once per path."""
    paths = list(paths) or ["."]
    root = project_root(paths)
    root_real = os.path.realpath(root)
    result = Discovery(root=root)
    result.notifications.extend(getattr(config, "notes", ()))
    exclude = pathspec.GitIgnoreSpec.from_lines(config.exclude) if config.exclude else None
    seen: set[str] = set()
    noted: set[tuple[str, str]] = set()

    def report(path: str, note: Notification) -> None:
        """`note` about `path` (absolute), once per path and kind, with a path any output can carry."""
        if (path, note.kind) in noted:
            return
        noted.add((path, note.kind))
        result.notifications.append(
            Notification(note.level, note.message, readable_name(_rel(path, root)), note.line, note.col, note.kind)
        )

    def excluded_by_config(path: str, is_dir: bool) -> bool:
        if config.exclusion is not None:  # each folder's configuration (analyzer/settings.py)
            return config.exclusion(path, is_dir)
        if exclude is None:
            return False
        rel = _rel(path, root) + ("/" if is_dir else "")
        return exclude.match_file(rel)

    def leaves_project(path: str) -> bool:
        """A link whose target is outside the project root (or cannot be resolved)."""
        return not is_within(os.path.realpath(path), root_real)

    def add(path: str, explicit: bool, entry=None) -> None:
        if path in seen:
            return
        rel = _rel(path, root)
        language = language_for(path)
        if language is None:
            if explicit:
                result.notifications.append(
                    Notification("note", "skipped: not a Python, TypeScript or JavaScript source file", rel, kind="skipped")
                )
            return
        seen.add(path)
        if not is_printable_name(rel):
            report(path, Notification(
                "warning", "skipped: the file name is not valid UTF-8 (rename it to have it checked)", kind="undecodable-name",
            ))
            return
        is_link = entry.is_symlink() if entry is not None else os.path.islink(path)
        try:
            info = entry.stat() if entry is not None else os.stat(path)  # the link's target
        except OSError as error:
            report(path, Notification("error", f"cannot read file: {_stat_error_reason(error, path)}", kind="unreadable"))
            return
        if is_link and not explicit and leaves_project(path):
            report(path, Notification("warning", "skipped: symbolic link to a file outside the project", kind="link-outside"))
            return
        if not stat.S_ISREG(info.st_mode):
            report(path, Notification("warning", f"skipped: {not_regular_reason(info.st_mode)}", kind="special-file"))
            return
        note = _too_large_or_minified(info.st_size, rel, config)
        if note is not None:
            result.notifications.append(note)
            return
        result.files.append(DiscoveredFile(path, rel, language))

    def directory_link_note(path: str) -> Notification | None:
        """Why a link to a directory is not followed, when its target is not scanned anyway."""
        target = os.path.realpath(path)
        if not is_within(target, root_real):
            return Notification("warning", "skipped: symbolic link to a directory outside the project", kind="link-outside")
        if is_within(os.path.realpath(os.path.dirname(path)), target):
            return Notification("warning", "skipped: symbolic link to an enclosing directory (a loop)", kind="link-loop")
        return None  # a directory of the project: checked where it is

    def unlistable(error: OSError, directory: str) -> None:
        report(error.filename or directory, Notification(
            "error", f"cannot list directory: {error.strerror or error}", kind="unreadable",
        ))

    for given in paths:
        path = os.path.abspath(given)
        if not os.path.lexists(path):
            result.missing_paths.append(given)
            result.notifications.append(
                Notification("error", f"path does not exist: {readable_name(given)}", None, kind="missing-path")
            )
            continue
        is_dir = os.path.isdir(path)
        if config.force_exclude and path != root and excluded_by_config(path, is_dir):
            # Named on the command line (pre-commit names every staged file) but excluded.
            result.notifications.append(Notification(
                "note", "skipped: excluded by the configuration's `exclude` (--no-force-exclude checks it)",
                readable_name(_rel(path, root)), kind="excluded",
            ))
            continue
        if not is_dir:
            add(path, explicit=True)  # a file named on the command line is checked unless excluded
            continue
        specs = _ancestor_ignores(path, report) if config.respect_gitignore else []
        for dirpath, dirs, files in _walk(path, unlistable):
            # Specs of directories that are not ancestors of this one no longer apply.
            specs = [(base, spec) for base, spec in specs if dirpath == base or dirpath.startswith(base.rstrip(os.sep) + os.sep)]
            if config.respect_gitignore and any(entry.name == ".gitignore" for entry in files):
                spec = _load_ignore(dirpath, report)
                if spec is not None:
                    specs.append((dirpath, spec))
            kept = []
            for entry in dirs:
                full = os.path.join(dirpath, entry.name)
                if entry.name in DEFAULT_EXCLUDED_DIRS:
                    continue
                if _ignored(full, True, specs) or excluded_by_config(full, True):
                    continue
                if entry.is_symlink():
                    note = directory_link_note(full)
                    if note is not None:
                        report(full, note)
                    continue
                if not is_printable_name(entry.name):
                    report(full, Notification(
                        "warning", "skipped directory: its name is not valid UTF-8 (rename it to have it checked)",
                        kind="undecodable-name",
                    ))
                    continue
                if _is_virtualenv(full):
                    continue
                kept.append(entry)
            dirs[:] = kept
            for entry in files:
                full = os.path.join(dirpath, entry.name)
                if language_for(entry.name) is None:
                    continue
                if _ignored(full, False, specs) or excluded_by_config(full, False):
                    continue
                add(full, explicit=False, entry=entry)
    result.files.sort(key=lambda f: f.rel_path)
    return result
