"""The pipeline, in one direction:

paths -> discovery -> parse -> file facts -> project index -> rules -> findings -> reporters
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass, field
from typing import Iterable, Optional

import grammars

from .config import Config
from .discovery import DiscoveredFile, discover
from .facts import build_facts
from .findings import Finding, Notification
from .project import ProjectIndex
from .rule import Rule, RuleContext
from .source import SourceFile, language_for
from .suppression import apply_suppressions


@dataclass
class RunResult:
    root: str
    findings: list[Finding] = field(default_factory=list)  # suppressed ones included
    notifications: list[Notification] = field(default_factory=list)
    files_checked: int = 0
    sources: dict = field(default_factory=dict)  # rel_path -> SourceFile (for reporters/fixes)
    missing_paths: list = field(default_factory=list)  # command-line paths that do not exist

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
        from rules import all_rules

        rules = all_rules()
    return [rule for rule in rules if config.rule_enabled(rule)]


def check_sources(
    sources: list[SourceFile],
    root: str,
    config: Config,
    rules: Optional[Iterable[Rule]] = None,
    result: Optional[RunResult] = None,
) -> RunResult:
    """Facts -> index -> rules -> suppressions, for already parsed sources."""
    result = result or RunResult(root=root)
    active_rules = select_rules(config, rules)
    facts: dict[str, object] = {}
    summaries: dict[str, tuple[str, object]] = {}
    for source in sources:
        result.sources[source.rel_path] = source
        if source.partial:
            result.notifications.append(partial_parse_notification(source))
        try:
            file_facts = build_facts(source)
        except Exception as error:  # a bug of ours must not lose the other files
            result.notifications.append(_internal_error(source.rel_path, "building facts", error))
            continue
        facts[source.rel_path] = file_facts
        summaries[source.rel_path] = (source.family, file_facts.summary())
    index = ProjectIndex.build(root, summaries)
    index.settings.update(config.project_settings)
    for source in sources:
        file_facts = facts.get(source.rel_path)
        if file_facts is None:
            continue
        result.files_checked += 1
        file_findings: list[Finding] = []
        for rule in active_rules:
            if source.family not in rule.languages:
                continue
            ctx = RuleContext(rule, source, file_facts, index, config.level_for(rule))
            try:
                for _ in rule.check(ctx) or ():
                    pass
            except Exception as error:
                result.notifications.append(_internal_error(source.rel_path, f"rule {rule.code}", error))
                continue
            file_findings.extend(ctx.findings)
        apply_suppressions(source, file_findings)
        result.findings.extend(file_findings)
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


def run(paths: list[str], config: Config) -> RunResult:
    """Check files and directories on disk."""
    discovery = discover(paths, config)
    result = RunResult(root=discovery.root, missing_paths=list(discovery.missing_paths))
    result.notifications.extend(discovery.notifications)
    sources: list[SourceFile] = []
    for file in discovery.files:
        source, note = load_source(file)
        if note is not None:
            result.notifications.append(note)
        if source is not None:
            sources.append(source)
    return check_sources(sources, discovery.root, config, result=result)


def check_text(files: dict[str, str], config: Optional[Config] = None, rules=None, root: str = "/project") -> RunResult:
    """Check in-memory files {rel_path: text}: used by rule examples and tests."""
    config = config or Config()
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
