"""Configuration: `perfscan.toml`, `.perfscan.toml` or `[tool.perfscan]` in `pyproject.toml`,
then the CLI.

In one folder, perfscan.toml wins over .perfscan.toml, which wins over a pyproject.toml with a
`[tool.perfscan]` table (a pyproject.toml without one is passed over). Each file uses the nearest
configuration above it (analyzer/settings.py); files do not merge unless one says
`extend = "../perfscan.toml"`. A bad key or value is a `ConfigError` naming it; the CLI exits 2.
"""

from __future__ import annotations

import errno
import os
import sys
from dataclasses import dataclass, field
from typing import Callable, Optional

from .findings import Notification
from .safe_read import MAX_CONFIG_FILE_SIZE, UnreadableFile, read_bounded, readable_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_MAX_FILE_SIZE = 1_000_000  # bytes; generated bundles and data blobs are bigger
# Seconds one file's check may take before it is stopped and reported; 0: no limit.
DEFAULT_FILE_TIMEOUT = 20.0


class ConfigError(Exception):
    pass


@dataclass
class Config:
    select: tuple[str, ...] = ()  # codes, names or code prefixes; empty = all rules
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()  # gitignore-style patterns, relative to the project root
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    file_timeout: float = DEFAULT_FILE_TIMEOUT
    respect_gitignore: bool = True
    # React Compiler: "auto" detects it from package.json / build config.
    react_compiler: str = "auto"
    # Where the team publishes the rule docs, e.g. "https://example.org/perfscan/rules#{anchor}";
    # SARIF helpUri is left out without it.
    help_uri: Optional[str] = None
    # {rule selector: "off" | "note" | "warning" | "error"}: a finding's level, or none at all.
    severity: dict = field(default_factory=dict)
    # ((folder, gitignore-style pattern relative to it, rule selectors), ...)
    per_file_ignores: tuple = ()
    # `exclude` also applies to files and directories named on the command line.
    force_exclude: bool = True
    # PF000 unused-suppression on: suppressions that silence nothing or name unknown codes.
    report_unused_ignores: bool = False
    # A profile was given (`--profile`): PF001 hot-spot notes on.
    profiled: bool = False
    # The folder `exclude` patterns are relative to: that of the configuration file that set
    # them (None: the run's root, for a Config built in code).
    base_dir: Optional[str] = None
    source: Optional[str] = None  # the configuration file it came from
    # Notifications about the configuration (a pyproject.toml that was not read); discovery
    # passes them on to the run's notifications.
    notes: tuple = ()
    project_settings: dict = field(default_factory=dict)
    # Set for a run by analyzer/settings.py: exclusion(absolute path, is_dir) -> bool decides per
    # folder (each folder's configuration); discovery uses it instead of `exclude`.
    exclusion: Optional[Callable] = field(default=None, repr=False, compare=False)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["exclusion"] = None  # discovery runs in the parent: workers need no settings tree
        return state

    def rule_enabled(self, rule, named: bool = False) -> bool:
        """Whether `rule` runs. An opt-in rule (PF000, PF001) runs only when asked for: by its
        switch (`report-unused-ignores`; a profile for PF001), by its own code or name in
        `select`, or when a caller names it (`named`, as the rule examples do)."""
        if rule.opt_in:
            switched_on = bool(rule.switch) and getattr(self, rule.switch)
            if not (named or switched_on or _asks_for(self.select, rule)):
                return False
        elif self.select and not any(_matches(rule, key) for key in self.select):
            return False
        if any(_matches(rule, key) for key in self.ignore):
            return False
        return self.severity_for(rule) != "off"

    def level_for(self, rule) -> str:
        return rule.level

    def severity_for(self, rule) -> Optional[str]:
        """The configured level of `rule` ("off" included), or None: the most specific key wins
        (a code over its prefix, a longer prefix over a shorter one)."""
        best, best_rank = None, -1
        for key, level in self.severity.items():
            if _matches(rule, key):
                rank = 99 if key == rule.name else len(key)
                if rank > best_rank:
                    best, best_rank = level, rank
        return best

    def merged(self, **cli) -> "Config":
        """CLI options on top of the file's: `select` replaces, `ignore`/`exclude` extend."""
        values = dict(self.__dict__)
        if cli.get("select"):
            values["select"] = tuple(cli["select"])
        if cli.get("ignore"):
            values["ignore"] = self.ignore + tuple(cli["ignore"])
        if cli.get("exclude"):
            values["exclude"] = self.exclude + tuple(cli["exclude"])
        if cli.get("max_file_size") is not None:
            values["max_file_size"] = cli["max_file_size"]
        if cli.get("file_timeout") is not None:
            values["file_timeout"] = cli["file_timeout"]
        if cli.get("respect_gitignore") is not None:
            values["respect_gitignore"] = cli["respect_gitignore"]
        if cli.get("force_exclude") is not None:
            values["force_exclude"] = cli["force_exclude"]
        if cli.get("report_unused_ignores"):
            values["report_unused_ignores"] = True
        if cli.get("profiled"):
            values["profiled"] = True
        values["severity"] = dict(self.severity)
        values["project_settings"] = dict(self.project_settings)
        if cli.get("include_tests"):
            values["project_settings"]["include_tests"] = True
        return Config(**values)


def _matches(rule, key: str) -> bool:
    key = key.strip()
    if key.upper() == "ALL":
        return True
    if key == rule.name:
        return True
    return rule.code.startswith(key.upper()) and key[:2].upper() == "PF"


def _asks_for(keys, rule) -> bool:
    """A selector naming `rule` itself (its code, a prefix of three characters or more, or its
    name) rather than "ALL" or "PF": an opt-in rule is not turned on by selecting everything."""
    return any(_matches(rule, key) and key.strip().upper() not in ("ALL", "PF") for key in keys)


def split_codes(values) -> tuple[str, ...]:
    """`--select PF1,PF201 --select mutation-in-render` -> ("PF1", "PF201", "mutation-in-render")."""
    out = []
    for value in values or ():
        out.extend(part.strip() for part in value.split(",") if part.strip())
    return tuple(out)


def validate_selectors(keys, known_rules, option: str) -> None:
    for key in keys:
        if not any(_matches(rule, key) for rule in known_rules):
            raise ConfigError(f"{option}: {key!r} matches no rule (see `perfscan rules`)")


_KEYS = {
    "select": "list of rule codes, names or prefixes",
    "ignore": "list of rule codes, names or prefixes",
    "exclude": "list of gitignore-style path patterns",
    "per-file-ignores": 'table of gitignore-style path pattern = list of rule codes, names or prefixes',
    "severity": 'table of rule code, name or prefix = "off", "note", "warning" or "error"',
    "force-exclude": "boolean",
    "report-unused-ignores": "boolean",
    "extend": "path of another configuration file this one builds on",
    "max-file-size": "file size cap in bytes (integer > 0)",
    "file-timeout": "seconds one file's check may take (number >= 0; 0: no limit)",
    "respect-gitignore": "boolean",
    "react-compiler": '"auto", "on" or "off"',
    "help-uri": "URL template for rule pages, with {code}, {name} or {anchor}",
    "test-paths": "list of gitignore-style patterns of test files",
    "include-tests": "boolean",
    "memo-wrappers": "list of names of in-house HOCs that wrap a component in memo",
    "api-prefix": 'path under which the frontend reaches the backend\'s root, like a proxy that strips it ("/api")',
    "image-size-note-kb": "size in KB over which a PNG/JPEG/GIF an <img> shows gets a note (integer >= 0; 0: never)",
}

SEVERITIES = ("off", "note", "warning", "error")

# In one folder, the first of these that configures perfscan is its configuration.
CONFIG_FILE_NAMES = ("perfscan.toml", ".perfscan.toml", "pyproject.toml")
MAX_EXTEND_DEPTH = 10


def repository_top(start: str) -> Optional[str]:
    """The git top level at or above directory `start`: the nearest holding `.git` (a directory,
    or a file in worktrees and submodules); None outside a repository."""
    current = os.path.abspath(start)
    while True:
        if os.path.lexists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def find_pyproject(start: str) -> Optional[str]:
    """The nearest pyproject.toml at or above `start` (a file or directory), up to the repository
    top -- or only `start` itself outside a repository: a pyproject.toml in some parent (a home
    directory, /tmp) belongs to another project and must not configure this run."""
    def pyproject_in(directory: str) -> Optional[str]:
        candidate = os.path.join(directory, "pyproject.toml")
        # Even a FIFO: load_config says why it is not read.
        return candidate if os.path.lexists(candidate) else None

    return _nearest(start, pyproject_in)


def find_config(start: str) -> Optional[str]:
    """The nearest configuration file at or above `start` (a file or directory), up to the
    repository top -- or only `start` itself outside a repository (see `find_pyproject`)."""
    return _nearest(start, config_in)


def _nearest(start: str, probe) -> Optional[str]:
    """The first answer of `probe(directory)` from `start` (a file or directory) up to the
    repository top, or only `start` itself outside a repository."""
    current = os.path.abspath(start)
    if not os.path.isdir(current):
        current = os.path.dirname(current)
    top = repository_top(current) or current
    while True:
        found = probe(current)
        if found is not None:
            return found
        parent = os.path.dirname(current)
        if current == top or parent == current:
            return None
        current = parent


def config_in(directory: str) -> Optional[str]:
    """The configuration file of `directory` itself, or None: perfscan.toml, else
    .perfscan.toml, else a pyproject.toml with a [tool.perfscan] table -- or one that cannot be
    read (a FIFO...), which `load_config` then reports rather than pass over in silence."""
    for name in CONFIG_FILE_NAMES:
        candidate = os.path.join(directory, name)
        if not os.path.lexists(candidate):
            continue
        if name != "pyproject.toml":
            return candidate
        try:
            data = read_bounded(candidate, MAX_CONFIG_FILE_SIZE)
        except UnreadableFile:
            return candidate
        if b"perfscan" in data:  # load_config decides whether the table is really there
            return candidate
    return None


def load_config(path: Optional[str], _chain: tuple = ()) -> Config:
    """Read a configuration file: `[tool.perfscan]` of a pyproject.toml, the top level of a
    perfscan.toml or .perfscan.toml. No file, or a pyproject.toml without the table, gives
    defaults."""
    if path is None:
        return Config()
    table = _read_table(path)
    if isinstance(table, Config):  # not read: defaults, with a note saying why
        return table
    base_dir = os.path.dirname(os.path.abspath(path))
    if table is None:
        return Config(source=path, base_dir=base_dir)
    section = "[tool.perfscan]" if _is_pyproject(path) else "the top level"
    config = Config(source=path, base_dir=base_dir)
    if "extend" in table:
        config = _extended(path, table["extend"], _chain)
        config.source, config.notes = path, config.notes
    for key, value in table.items():
        where = f"{path}: [tool.perfscan] {key}" if _is_pyproject(path) else f"{path}: {key}"
        if key not in _KEYS:
            known = ", ".join(sorted(_KEYS))
            hint = " (perfscan.toml holds the settings at its top level, without [tool.perfscan])" if key == "tool" else ""
            raise ConfigError(f"{path}: {section} has unknown key {key!r} (known keys: {known}){hint}")
        if key in ("select", "ignore", "exclude"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where} must be a {_KEYS[key]}, got {value!r}")
            setattr(config, key, split_codes(value) if key != "exclude" else tuple(value))
            if key == "exclude":
                config.base_dir = base_dir
        elif key == "per-file-ignores":
            config.per_file_ignores = _per_file_ignores(where, value, base_dir)
        elif key == "severity":
            config.severity = _severity(where, value)
        elif key in ("force-exclude", "report-unused-ignores", "respect-gitignore"):
            if not isinstance(value, bool):
                raise ConfigError(f"{where} must be a {_KEYS[key]}, got {value!r}")
            setattr(config, key.replace("-", "_"), value)
        elif key == "extend":
            pass  # read above, before this file's own keys
        elif key == "max-file-size":
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ConfigError(f"{where} must be a {_KEYS[key]}, got {value!r}")
            config.max_file_size = value
        elif key == "file-timeout":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
                raise ConfigError(f"{where} must be {_KEYS[key]}, got {value!r}")
            config.file_timeout = float(value)
        elif key == "react-compiler":
            if value not in ("auto", "on", "off"):
                raise ConfigError(f"{where} must be {_KEYS[key]}, got {value!r}")
            config.react_compiler = value
            config.project_settings["react_compiler"] = value  # read by the React project index
        elif key == "test-paths":  # run-wide, read by the engine and the project index
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where} must be a {_KEYS[key]}, got {value!r}")
            config.project_settings["test_paths"] = list(value)
        elif key == "memo-wrappers":  # run-wide, read by the React project index
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where} must be a {_KEYS[key]}, got {value!r}")
            config.project_settings["memo_wrappers"] = list(value)
        elif key == "image-size-note-kb":  # run-wide, read by the bundle index (PF502)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"{where} must be a {_KEYS[key]}, got {value!r}")
            config.project_settings["image_size_note_kb"] = value
        elif key == "api-prefix":  # run-wide, read by the route map (analyzer/route_map.py)
            if not isinstance(value, str) or not value.startswith("/"):
                raise ConfigError(f"{where} must be a {_KEYS[key]}, got {value!r}")
            config.project_settings["api_prefix"] = value
        elif key == "include-tests":
            if not isinstance(value, bool):
                raise ConfigError(f"{where} must be a {_KEYS[key]}, got {value!r}")
            config.project_settings["include_tests"] = value
        elif key == "help-uri":
            if not isinstance(value, str) or not value.startswith(("https://", "http://")):
                raise ConfigError(f"{where} must be a {_KEYS[key]}, got {value!r}")
            try:
                value.format(code="PF000", name="rule", anchor="pf000-rule")
            except (KeyError, IndexError, ValueError) as error:
                raise ConfigError(f"{where}: bad placeholder {error}") from None
            config.help_uri = value
    return config


def _is_pyproject(path: str) -> bool:
    return os.path.basename(path) == "pyproject.toml"


def _read_table(path: str):
    """The perfscan settings of a configuration file as a dict; None for a pyproject.toml
    without them; a default Config with a note for a file that cannot be read."""
    try:
        data = read_bounded(path, MAX_CONFIG_FILE_SIZE)
    except UnreadableFile as error:
        if error.errno in (errno.EACCES, errno.EPERM):  # the user's own file, which they can fix
            raise ConfigError(f"{path}: cannot read: {error.reason}") from None
        # A FIFO, a huge file or a broken link where the configuration should be: the run goes
        # on with defaults, and says so.
        message = f"{readable_name(path)}: not read, default settings used: {error.reason}"
        return Config(notes=(Notification("warning", message, None, kind="config-file"),))
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: not UTF-8 ({error.reason} at byte {error.start})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    if not _is_pyproject(path):
        return document
    tool = document.get("tool", {})
    table = tool.get("perfscan") if isinstance(tool, dict) else None
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.perfscan] must be a table")
    return table


def _extended(path: str, target, chain: tuple) -> Config:
    """The configuration `extend` names, relative to the file that says it."""
    if not isinstance(target, str) or not target:
        raise ConfigError(f"{path}: extend must be a {_KEYS['extend']}, got {target!r}")
    base = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(path)), os.path.expanduser(target)))
    chain = chain + (os.path.abspath(path),)
    if base in chain:
        raise ConfigError(f"{path}: extend = {target!r} makes a cycle: {' -> '.join(chain + (base,))}")
    if len(chain) > MAX_EXTEND_DEPTH:
        raise ConfigError(f"{path}: extend: more than {MAX_EXTEND_DEPTH} configuration files in a chain")
    if not os.path.isfile(base):
        raise ConfigError(f"{path}: extend = {target!r}: no such file ({base})")
    return load_config(base, chain)


def _selectors(where: str, value, what: str) -> tuple[str, ...]:
    from perfscan.rules import all_rules

    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a {what}, got {value!r}")
    keys = split_codes(value)
    validate_selectors(keys, all_rules(), where)
    return keys


def _per_file_ignores(where: str, value, base_dir: str) -> tuple:
    import pathspec

    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a {_KEYS['per-file-ignores']}, got {value!r}")
    entries = []
    for pattern, codes in value.items():
        try:
            pathspec.GitIgnoreSpec.from_lines([pattern])
        except Exception as error:  # pathspec raises several types for a bad pattern
            raise ConfigError(f"{where}: bad path pattern {pattern!r}: {error}") from None
        entries.append((base_dir, pattern, _selectors(f"{where} {pattern!r}", codes, "list of rule codes, names or prefixes")))
    return tuple(entries)


def _severity(where: str, value) -> dict:
    from perfscan.rules import all_rules

    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a {_KEYS['severity']}, got {value!r}")
    known = all_rules()
    for key, level in value.items():
        if not any(_matches(rule, key) for rule in known):
            raise ConfigError(f"{where}: unknown key {key!r}: it matches no rule (see `perfscan rules`)")
        if level not in SEVERITIES:
            raise ConfigError(f"{where} {key} must be one of {', '.join(map(repr, SEVERITIES))}, got {level!r}")
    return dict(value)
