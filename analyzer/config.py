"""Configuration: `[tool.perfscan]` in the scanned project's pyproject.toml, then the CLI.

A bad key or value is a `ConfigError` naming it; the CLI exits 2.
"""

from __future__ import annotations

import errno
import os
import sys
from dataclasses import dataclass, field
from typing import Optional

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
    source: Optional[str] = None  # the pyproject.toml it came from
    # Notifications about the configuration (a pyproject.toml that was not read); discovery
    # passes them on to the run's notifications.
    notes: tuple = ()
    project_settings: dict = field(default_factory=dict)

    def rule_enabled(self, rule) -> bool:
        if self.select and not any(_matches(rule, key) for key in self.select):
            return False
        return not any(_matches(rule, key) for key in self.ignore)

    def level_for(self, rule) -> str:
        return rule.level

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
        values["project_settings"] = dict(self.project_settings)
        return Config(**values)


def _matches(rule, key: str) -> bool:
    key = key.strip()
    if key.upper() == "ALL":
        return True
    if key == rule.name:
        return True
    return rule.code.startswith(key.upper()) and key[:2].upper() == "PF"


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
    "max-file-size": "file size cap in bytes (integer > 0)",
    "file-timeout": "seconds one file's check may take (number >= 0; 0: no limit)",
    "respect-gitignore": "boolean",
    "react-compiler": '"auto", "on" or "off"',
    "help-uri": "URL template for rule pages, with {code}, {name} or {anchor}",
}


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
    current = os.path.abspath(start)
    if not os.path.isdir(current):
        current = os.path.dirname(current)
    top = repository_top(current) or current
    while True:
        candidate = os.path.join(current, "pyproject.toml")
        if os.path.lexists(candidate):  # even a FIFO: load_config says why it is not read
            return candidate
        parent = os.path.dirname(current)
        if current == top or parent == current:
            return None
        current = parent


def load_config(path: Optional[str]) -> Config:
    """Read `[tool.perfscan]` from a pyproject.toml; no file or no table gives defaults."""
    if path is None:
        return Config()
    try:
        data = read_bounded(path, MAX_CONFIG_FILE_SIZE)
    except UnreadableFile as error:
        if error.errno in (errno.EACCES, errno.EPERM):  # the user's own file, which they can fix
            raise ConfigError(f"{path}: cannot read: {error.reason}") from None
        # A FIFO, a huge file or a broken link where pyproject.toml should be: the run goes on
        # with defaults, and says so.
        message = f"{readable_name(path)}: not read, default settings used: {error.reason}"
        return Config(notes=(Notification("warning", message, None, kind="config-file"),))
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: not UTF-8 ({error.reason} at byte {error.start})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    table = document.get("tool", {}).get("perfscan")
    if table is None:
        return Config(source=path)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.perfscan] must be a table")
    config = Config(source=path)
    for key, value in table.items():
        where = f"{path}: [tool.perfscan] {key}"
        if key not in _KEYS:
            known = ", ".join(sorted(_KEYS))
            raise ConfigError(f"{path}: [tool.perfscan] has unknown key {key!r} (known keys: {known})")
        if key in ("select", "ignore", "exclude"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where} must be a {_KEYS[key]}, got {value!r}")
            setattr(config, key, tuple(value))
        elif key == "max-file-size":
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ConfigError(f"{where} must be a {_KEYS[key]}, got {value!r}")
            config.max_file_size = value
        elif key == "file-timeout":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
                raise ConfigError(f"{where} must be {_KEYS[key]}, got {value!r}")
            config.file_timeout = float(value)
        elif key == "respect-gitignore":
            if not isinstance(value, bool):
                raise ConfigError(f"{where} must be a {_KEYS[key]}, got {value!r}")
            config.respect_gitignore = value
        elif key == "react-compiler":
            if value not in ("auto", "on", "off"):
                raise ConfigError(f"{where} must be {_KEYS[key]}, got {value!r}")
            config.react_compiler = value
            config.project_settings["react_compiler"] = value  # read by the React project index
        elif key == "help-uri":
            if not isinstance(value, str) or not value.startswith(("https://", "http://")):
                raise ConfigError(f"{where} must be a {_KEYS[key]}, got {value!r}")
            try:
                value.format(code="PF000", name="rule", anchor="pf000-rule")
            except (KeyError, IndexError, ValueError) as error:
                raise ConfigError(f"{where}: bad placeholder {error}") from None
            config.help_uri = value
    return config
