"""Find the files to check: honour .gitignore files, default and configured
excludes, and decide each file's language by its extension."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import pathspec

from .config import Config
from .findings import Notification
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


def _load_ignore(directory: str):
    path = os.path.join(directory, ".gitignore")
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return _IgnoreFile(pathspec.GitIgnoreSpec.from_lines(handle.read().splitlines()))
    except OSError:
        return None


def _ancestor_ignores(start: str) -> list[tuple[str, object]]:
    """.gitignore files above `start`, up to the repository top (the dir holding .git)."""
    found = []
    current = os.path.dirname(start)
    while True:
        spec = _load_ignore(current)
        if spec is not None:
            found.append((current, spec))
        if os.path.exists(os.path.join(current, ".git")):
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


def _too_large_or_minified(path: str, rel: str, config: Config) -> Notification | None:
    try:
        size = os.path.getsize(path)
    except OSError:
        return None  # reported when it is read
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


def discover(paths: list[str], config: Config) -> Discovery:
    paths = list(paths) or ["."]
    root = project_root(paths)
    result = Discovery(root=root)
    exclude = pathspec.GitIgnoreSpec.from_lines(config.exclude) if config.exclude else None
    seen: set[str] = set()

    def excluded_by_config(path: str, is_dir: bool) -> bool:
        if exclude is None:
            return False
        rel = _rel(path, root) + ("/" if is_dir else "")
        return exclude.match_file(rel)

    def add(path: str, explicit: bool) -> None:
        rel = _rel(path, root)
        if path in seen:
            return
        language = language_for(path)
        if language is None:
            if explicit:
                result.notifications.append(
                    Notification("note", "skipped: not a Python, TypeScript or JavaScript source file", rel, kind="skipped")
                )
            return
        seen.add(path)
        note = _too_large_or_minified(path, rel, config)
        if note is not None:
            result.notifications.append(note)
            return
        result.files.append(DiscoveredFile(path, rel, language))

    for given in paths:
        path = os.path.abspath(given)
        if not os.path.exists(path):
            result.missing_paths.append(given)
            result.notifications.append(
                Notification("error", f"path does not exist: {given}", None, kind="missing-path")
            )
            continue
        if os.path.isfile(path):
            add(path, explicit=True)  # a file named on the command line is always checked
            continue
        specs = _ancestor_ignores(path) if config.respect_gitignore else []
        for dirpath, dirnames, filenames in os.walk(path, onerror=lambda e: result.notifications.append(
            Notification("error", f"cannot list directory: {e.strerror or e}", _rel(e.filename or path, root), kind="unreadable")
        )):
            # Specs of directories that are not ancestors of this one no longer apply.
            specs = [(base, spec) for base, spec in specs if dirpath == base or dirpath.startswith(base.rstrip(os.sep) + os.sep)]
            if config.respect_gitignore and ".gitignore" in filenames:
                spec = _load_ignore(dirpath)
                if spec is not None:
                    specs.append((dirpath, spec))
            kept = []
            for name in sorted(dirnames):
                full = os.path.join(dirpath, name)
                if name in DEFAULT_EXCLUDED_DIRS or os.path.islink(full):
                    continue
                if _is_virtualenv(full):
                    continue
                if _ignored(full, True, specs) or excluded_by_config(full, True):
                    continue
                kept.append(name)
            dirnames[:] = kept
            for name in sorted(filenames):
                full = os.path.join(dirpath, name)
                if language_for(name) is None:
                    continue
                if _ignored(full, False, specs) or excluded_by_config(full, False):
                    continue
                add(full, explicit=False)
    result.files.sort(key=lambda f: f.rel_path)
    return result
