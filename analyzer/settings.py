"""Which configuration each file uses, as in ruff: the nearest configuration file above it.

A monorepo's `backend/` and `frontend/` can each hold a perfscan.toml (or .perfscan.toml, or a
pyproject.toml with [tool.perfscan]); a file uses the one closest above it, up to the repository
top (outside a repository: up to the scanned folder), and files do not merge unless one says
`extend`. `--config FILE` gives every file that one file.

What may differ per file: select, ignore, severity, per-file-ignores, exclude and
report-unused-ignores. What is one per run, from the configuration of the scanned folder (the
common parent of the paths, so the order of the paths does not matter): max-file-size,
file-timeout, respect-gitignore, force-exclude, react-compiler, help-uri.

The engine runs once over the whole project -- its project index sees every file -- with every
rule the command line allows, and `apply` then keeps each file's findings as that file's
configuration says. Exclusion is decided during discovery (`excluded`), so an excluded file is
neither checked nor indexed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

import pathspec

from .config import Config, config_in, load_config, validate_selectors
from .suppression import UNUSED_SUPPRESSION


@dataclass
class CommandLine:
    """The options of `perfscan check` that configure the run."""

    select: tuple = ()
    ignore: tuple = ()
    exclude: tuple = ()
    max_file_size: Optional[int] = None
    file_timeout: Optional[float] = None
    respect_gitignore: Optional[bool] = None
    force_exclude: Optional[bool] = None
    report_unused_ignores: bool = False
    profiled: bool = False  # a profile was given: PF001 on


class Settings:
    def __init__(self, paths: list[str], cli: CommandLine, config_path: Optional[str] = None):
        from .discovery import project_root
        from perfscan.rules import all_rules

        self.rules = {rule.code: rule for rule in all_rules()}
        self.cli = cli
        self.root = project_root(paths)  # what finding paths and CLI --exclude are relative to
        absolute = [os.path.abspath(p) for p in paths] or [os.getcwd()]
        anchor = os.path.commonpath(absolute)
        if not os.path.isdir(anchor):
            anchor = os.path.dirname(anchor)
        self.anchor = anchor
        self.fixed = os.path.abspath(config_path) if config_path else None
        # Outside a repository, no configuration above the scanned folder is read.
        from .config import repository_top

        self._stop = None if repository_top(anchor) else anchor
        self._nearest: dict[str, Optional[str]] = {}
        self._configs: dict[Optional[str], Config] = {}
        self._exclude_specs: dict[Optional[str], object] = {}
        self._cli_exclude = pathspec.GitIgnoreSpec.from_lines(cli.exclude) if cli.exclude else None
        self.root_file = self.fixed or self.nearest_file(anchor)
        self.root_config = self.config_of(self.root_file)

    # -- which configuration file -----------------------------------------------------------

    def nearest_file(self, directory: str) -> Optional[str]:
        """The configuration file for files in `directory`."""
        if self.fixed:
            return self.fixed
        walked = []
        current = directory
        found = None
        while True:
            if current in self._nearest:
                found = self._nearest[current]
                break
            walked.append(current)
            found = config_in(current)
            if found is not None:
                break
            parent = os.path.dirname(current)
            if current == self._stop or parent == current or os.path.lexists(os.path.join(current, ".git")):
                break
            current = parent
        for seen in walked:
            self._nearest[seen] = found
        return found

    def config_of(self, path: Optional[str]) -> Config:
        """The configuration in file `path` (None: defaults), with the command line on top."""
        config = self._configs.get(path)
        if config is None:
            from perfscan.rules import all_rules

            loaded = load_config(path)
            where = f"{path}: " if path else ""
            validate_selectors(loaded.select, all_rules(), f"{where}select")
            validate_selectors(loaded.ignore, all_rules(), f"{where}ignore")
            config = loaded.merged(
                select=self.cli.select, ignore=self.cli.ignore, force_exclude=self.cli.force_exclude,
                report_unused_ignores=self.cli.report_unused_ignores, profiled=self.cli.profiled,
            )
            self._configs[path] = config
        return config

    def config_for(self, path: str) -> Config:
        """The configuration of the file at `path` (absolute)."""
        return self.config_of(self.nearest_file(os.path.dirname(path)))

    # -- the run ----------------------------------------------------------------------------

    def run_config(self) -> Config:
        """What the engine runs with: the run-wide settings of the scanned folder's configuration,
        every rule the command line allows, and this object deciding exclusion."""
        root = self.root_config.merged(
            max_file_size=self.cli.max_file_size, file_timeout=self.cli.file_timeout,
            respect_gitignore=self.cli.respect_gitignore,
        )
        values = dict(root.__dict__)
        meta = self.rules[UNUSED_SUPPRESSION]
        values.update(
            select=tuple(self.cli.select), ignore=tuple(self.cli.ignore), exclude=(), severity={},
            per_file_ignores=(), exclusion=self.excluded,
            # PF000 is computed when the run asks for it (the command line or the scanned
            # folder's configuration); each file's own configuration may then drop it.
            report_unused_ignores=self.root_config.rule_enabled(meta),
            # PF001 comes from the measure stage, not from checking files: the rules the engine
            # runs (and the cache is keyed on) are the same with a profile or without.
            profiled=False,
        )
        return Config(**values)

    def excluded(self, path: str, is_dir: bool) -> bool:
        """Whether discovery skips `path` (absolute): the `exclude` of the configuration that
        applies there, relative to that configuration's folder, and --exclude, relative to the
        run's root."""
        if self._cli_exclude is not None and _matches_under(self._cli_exclude, path, self.root, is_dir):
            return True
        source = self.nearest_file(os.path.dirname(path))
        config = self.config_of(source)
        if not config.exclude:
            return False
        spec = self._exclude_specs.get(source)
        if spec is None:
            spec = self._exclude_specs[source] = pathspec.GitIgnoreSpec.from_lines(config.exclude)
        return _matches_under(spec, path, config.base_dir or self.root, is_dir)

    def apply(self, result) -> None:
        """Each file's findings as its configuration says: rules it does not select or ignores
        (`select`, `ignore`, `per-file-ignores`, severity "off") are dropped, and `severity`
        sets the level of the others. Notes about configuration files that were not read join
        the run's notifications."""
        kept = []
        for finding in result.findings:
            rule = self.rules.get(finding.code)
            if rule is None:
                kept.append(finding)
                continue
            path = os.path.join(result.root, finding.span.path)
            config = self.config_for(path)
            if not config.rule_enabled(rule) or _ignored_here(config, path, rule):
                continue
            level = config.severity_for(rule)
            if level is not None:
                finding.level = level
            kept.append(finding)
        result.findings = kept
        seen = set(result.notifications)
        for config in self._configs.values():
            for note in config.notes:
                if note not in seen:
                    seen.add(note)
                    result.notifications.append(note)

    def enabled_rules(self) -> list:
        """Rules some file's configuration turns on (SARIF lists them)."""
        return [rule for rule in self.rules.values() if any(c.rule_enabled(rule) for c in self._configs.values())]


def _matches_under(spec, path: str, base: str, is_dir: bool) -> bool:
    base = base.rstrip(os.sep)
    if not path.startswith(base + os.sep):
        return False
    rel = path[len(base) + 1:].replace(os.sep, "/")
    return spec.match_file(rel + "/" if is_dir else rel)


_PATTERN_SPECS: dict[str, object] = {}


def _ignored_here(config: Config, path: str, rule) -> bool:
    from .config import _matches

    for base, pattern, selectors in config.per_file_ignores:
        if not any(_matches(rule, key) for key in selectors):
            continue
        spec = _PATTERN_SPECS.get(pattern)
        if spec is None:
            spec = _PATTERN_SPECS[pattern] = pathspec.GitIgnoreSpec.from_lines([pattern])
        if _matches_under(spec, path, base, False):
            return True
    return False
