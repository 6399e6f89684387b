"""SARIF 2.1.0 output for GitHub code scanning and SARIF viewers.

Built with the `sarif-om` object model and turned into JSON by a small
serializer of our own (sarif-om has none). The output is deterministic: keys
sorted, results in file order, no timestamps, so the same run gives the same
bytes. It passes the OASIS schema, Sarif.Multitool's SARIF and GitHub rules and
GitHub's upload limits (see /work/shared/sarif/validate.sh).
"""

from __future__ import annotations

import gzip
import json
import os
import pathlib
import re
from typing import Iterable, Optional
from urllib.parse import quote

import attr
import sarif_om as om

from .. import __version__
from ..engine import RunResult
from ..findings import Finding, Notification, Span
from ..fingerprint import line_hashes
from ..fixes import build_fixes
from .common import ReportOptions, SourceLines, fingerprints, measured_rank, sarif_category

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "perfscan"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "perfscan/v1"

# GitHub code scanning limits (docs: "SARIF support for code scanning"). Past the
# "shown" numbers GitHub silently drops data, so we cut there and say so.
MAX_RESULTS = 5000
MAX_RELATED_LOCATIONS = 1000
MAX_FLOW_LOCATIONS = 1000
MAX_TAGS = 10
MAX_DESCRIPTION = 1024
MAX_SNIPPET_CHARS = 2000
MAX_UPLOAD_GZIP_BYTES = 10 * 1024 * 1024

# Properties kept even when None-like or equal to the schema default: GitHub reads
# a missing result level as "warning", and it requires `results` and `rules`.
_ALWAYS_KEPT = frozenset({"level", "defaultConfiguration", "results", "rules", "executionSuccessful"})

_SOURCE_LANGUAGE = {
    ".py": "python",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "typescriptreact",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascriptreact",
}
_PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "note": "recommendation"}
_LEVEL_RANK = {"error": 0, "warning": 1, "note": 2}
_UTF8_BOM = b"\xef\xbb\xbf"


# -- serializer ----------------------------------------------------------------


def to_json(value):
    """sarif-om objects -> plain JSON values, camelCase names from the field metadata.

    None, empty containers and values equal to the schema default are dropped
    (except the few properties in `_ALWAYS_KEPT`).
    """
    if attr.has(type(value)):
        out = {}
        for field in attr.fields(type(value)):
            name = field.metadata.get("schema_property_name", field.name)
            item = getattr(value, field.name)
            if name not in _ALWAYS_KEPT:
                if item is None or _equals_default(field, item):
                    continue
            converted = to_json(item)
            if name not in _ALWAYS_KEPT and _is_empty(converted):
                continue
            out[name] = converted
        return out
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            converted = to_json(item)
            if item is None or (_is_empty(converted) and not isinstance(item, str)):
                continue
            out[str(key)] = converted
        return out
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _equals_default(field, value) -> bool:
    default = field.default
    if default is attr.NOTHING:
        return False
    if isinstance(default, attr.Factory):
        default = default.factory()
    return type(value) is type(default) and value == default


def _is_empty(value) -> bool:
    return value in ("", [], {}) and not isinstance(value, bool)


# -- helpers -------------------------------------------------------------------


_NON_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]+")


def pascal_case(name: str) -> str:
    """"blocking-call-in-async" -> "BlockingCallInAsync" (the multitool wants Pascal rule names)."""
    return "".join(part[:1].upper() + part[1:] for part in _NON_ALPHANUMERIC.split(name) if part)


def relative_uri(rel_path: str) -> str:
    """A project-relative POSIX path as a relative URI reference, percent-encoded."""
    return quote(rel_path.replace(os.sep, "/"), safe="/!$&'()*+,;=@")


def root_uri(root: str) -> str:
    uri = pathlib.Path(os.path.abspath(root)).as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _sentence(text: str) -> str:
    """SARIF messages are sentences: end with a period."""
    text = text.strip()
    if not text:
        return text
    return text if text.endswith((".", "!", "?")) else text + "."


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


class _Sources(SourceLines):
    """The shared per-file lines, plus line hashes and BOM state, computed once per file."""

    def __init__(self, result: RunResult):
        super().__init__(result.sources)
        self._hashes: dict[str, list[str]] = {}
        self._bom: dict[str, bool] = {}

    def get(self, path: str):
        return self._sources.get(path)

    def has_bom(self, path: str) -> bool:
        # The engine strips a BOM; GitHub hashes the file as it is on disk.
        if path not in self._bom:
            source = self._sources.get(path)
            try:
                with open(source.path, "rb") as handle:
                    self._bom[path] = handle.read(3) == _UTF8_BOM
            except (OSError, AttributeError, TypeError):
                self._bom[path] = False
        return self._bom[path]

    def line_hash(self, path: str, line: int) -> Optional[str]:
        source = self._sources.get(path)
        if source is None:
            return None
        if path not in self._hashes:
            text = ("\ufeff" if self.has_bom(path) else "") + source.text
            self._hashes[path] = line_hashes(text)
        hashes = self._hashes[path]
        return hashes[line - 1] if 0 < line <= len(hashes) else None

    def byte_length(self, path: str) -> Optional[int]:
        source = self._sources.get(path)
        if source is None:
            return None
        return len(source.data) + (len(_UTF8_BOM) if self.has_bom(path) else 0)


# -- the builder -----------------------------------------------------------------


class _SarifBuilder:
    def __init__(self, result: RunResult, rules: Iterable, with_snippets: bool = True, help_uri: Optional[str] = None,
                 options: Optional[ReportOptions] = None):
        self.result = result
        self.options = options or ReportOptions()
        # URIs are relative to the repository root, whatever folder perfscan ran from.
        self.paths = self.options.paths_for(result)
        self.baseline = self.options.baseline
        self.help_uri = help_uri
        self.with_snippets = with_snippets
        self.sources = _Sources(result)
        self.rules = self._unique_rules(rules)
        self.rule_index = {rule.code: i for i, rule in enumerate(self.rules)}
        self.extra_notifications: list[Notification] = []
        self.artifact_paths: list[str] = []
        self.artifact_index: dict[str, int] = {}

    @staticmethod
    def _unique_rules(rules: Iterable) -> list:
        by_code = {}
        for rule in rules:
            by_code.setdefault(rule.code, rule)
        return [by_code[code] for code in sorted(by_code)]

    # locations

    def _artifact(self, path: str) -> int:
        index = self.artifact_index.get(path)
        if index is None:
            index = self.artifact_index[path] = len(self.artifact_paths)
            self.artifact_paths.append(path)
        return index

    def _artifact_location(self, path: str, with_index: bool = True) -> om.ArtifactLocation:
        return om.ArtifactLocation(
            uri=relative_uri(self.paths(path)),
            uri_base_id=SRCROOT,
            index=self._artifact(path) if with_index else -1,
        )

    def _region(self, span: Span, with_snippet: bool = True) -> om.Region:
        region = om.Region(
            start_line=span.line,
            start_column=span.col,
            end_line=span.end_line,
            end_column=span.end_col,
        )
        if with_snippet and self.with_snippets:
            text = self.sources.text_of(span)
            if text:
                region.snippet = om.ArtifactContent(text=_truncate(text, MAX_SNIPPET_CHARS))
        return region

    def _context_region(self, span: Span) -> Optional[om.Region]:
        lines = self.sources.lines(span.path)
        if lines is None or span.end_line > len(lines):
            return None
        first = max(1, span.line - 1)
        last = min(len(lines), span.end_line + 1)
        covers_all = (
            span.line == first
            and span.col == 1
            and span.end_line == last
            and span.end_col > len(lines[last - 1].encode("utf-16-le")) // 2
        )
        if covers_all:
            return None  # a context region must be larger than the region itself
        text = "\n".join(lines[first - 1 : last])
        return om.Region(
            start_line=first,
            end_line=last,
            snippet=om.ArtifactContent(text=_truncate(text, MAX_SNIPPET_CHARS)),
        )

    def _location(self, span: Span, message: Optional[str] = None, location_id: int = -1, context=False):
        physical = om.PhysicalLocation(
            artifact_location=self._artifact_location(span.path),
            region=self._region(span),
            context_region=self._context_region(span) if context and self.with_snippets else None,
        )
        return om.Location(
            id=location_id,
            physical_location=physical,
            message=om.Message(text=message) if message else None,
        )

    # rules

    def _descriptor(self, rule) -> om.ReportingDescriptor:
        tags = ["performance"]
        for tag in getattr(rule, "tags", ()) or ():
            if tag not in tags:
                tags.append(tag)
        properties = {
            "tags": tags[:MAX_TAGS],
            "precision": getattr(rule, "precision", "high"),
            "problem.severity": _PROBLEM_SEVERITY.get(rule.level, "warning"),
        }
        markdown = rule.markdown()
        return om.ReportingDescriptor(
            id=rule.code,
            name=pascal_case(rule.name),
            short_description=om.MultiformatMessageString(text=_truncate(rule.summary, MAX_DESCRIPTION)),
            full_description=om.MultiformatMessageString(
                text=_truncate(rule.full_description() or rule.summary, MAX_DESCRIPTION)
            ),
            help=om.MultiformatMessageString(text=markdown, markdown=markdown),
            help_uri=rule.help_uri(self.help_uri),
            default_configuration=om.ReportingConfiguration(level=rule.level),
            properties=properties,
        )

    def _fallback_descriptor(self, finding: Finding) -> om.ReportingDescriptor:
        """A finding from a rule not in the list (should not happen): still a valid log."""
        text = f"{finding.code} {finding.rule_name}."
        return om.ReportingDescriptor(
            id=finding.code,
            name=pascal_case(finding.rule_name),
            short_description=om.MultiformatMessageString(text=text),
            full_description=om.MultiformatMessageString(text=text),
            help=om.MultiformatMessageString(text=text),
            default_configuration=om.ReportingConfiguration(level=finding.level),
            properties={"tags": ["performance"]},
        )

    # results

    def _selected_findings(self) -> list[Finding]:
        # GitHub code scanning does not read `suppressions`: a suppressed result would be an
        # open alert. Left out unless asked for (other SARIF consumers honour it).
        if self.options.sarif_include_suppressed:
            findings = list(self.result.findings)
        else:
            findings = self.result.active
        findings = sorted(findings, key=Finding.sort_key)
        if len(findings) <= MAX_RESULTS:
            return findings
        # Keep what matters most: active before suppressed, then by level, then file order.
        ranked = sorted(
            findings,
            key=lambda f: (f.suppressed_by is not None, _LEVEL_RANK.get(f.level, 3), f.sort_key()),
        )
        kept = ranked[:MAX_RESULTS]
        self.extra_notifications.append(
            Notification(
                "warning",
                f"{len(findings) - MAX_RESULTS} of {len(findings)} results were left out of this SARIF "
                f"file: GitHub code scanning keeps at most {MAX_RESULTS} per run; "
                "use the text or json output for the full list",
                kind="results-truncated",
            )
        )
        return sorted(kept, key=Finding.sort_key)

    def _result(self, finding: Finding, fingerprint: str, descriptors: list) -> om.Result:
        if finding.code not in self.rule_index:
            self.rule_index[finding.code] = len(descriptors)
            descriptors.append(self._fallback_descriptor(finding))
        result = om.Result(
            rule_id=finding.code,
            rule_index=self.rule_index[finding.code],
            level=finding.level,
            message=om.Message(text=_sentence(finding.message)),
            locations=[self._location(finding.span, context=True)],
        )
        fingerprints = {}
        line_hash = self.sources.line_hash(finding.span.path, finding.span.line)
        if line_hash:
            fingerprints["primaryLocationLineHash"] = line_hash
        fingerprints[FINGERPRINT_KEY] = fingerprint
        result.partial_fingerprints = fingerprints
        if self.baseline is not None:
            result.baseline_state = self.baseline.state_of(finding)
        if finding.related:
            result.related_locations = [
                self._location(related.span, related.message, location_id=number)
                for number, related in enumerate(finding.related[:MAX_RELATED_LOCATIONS], start=1)
            ]
        if finding.flow:
            steps = [
                om.ThreadFlowLocation(location=self._location(step.span, step.message))
                for step in finding.flow[:MAX_FLOW_LOCATIONS]
            ]
            result.code_flows = [om.CodeFlow(thread_flows=[om.ThreadFlow(locations=steps)])]
        if finding.fix is not None and finding.fix.edits:
            result.fixes = [self._fix(finding)]
        if finding.suppressed_by is not None:
            result.suppressions = [om.Suppression(kind="inSource", justification=finding.suppressed_by)]
        if finding.properties:
            result.properties = dict(finding.properties)
        rank = measured_rank(finding)
        if rank is not None:  # with a profile: the share of it the code holds (viewers sort by it)
            result.rank = round(rank, 1)
        return result

    def _absent_result(self, entry, descriptors: list) -> om.Result:
        """A baseline finding no longer found: where it was (the file; its line is not kept).
        `kind: pass` and `level: none`, so a consumer that ignores baselineState (GitHub code
        scanning does) does not see a problem in it."""
        if entry.code not in self.rule_index:
            self.rule_index[entry.code] = len(descriptors)
            descriptors.append(self._fallback_descriptor(
                Finding(entry.code, entry.code, "warning", entry.message, Span(entry.path, 1, 1, 1, 1))))
        return om.Result(
            rule_id=entry.code,
            rule_index=self.rule_index[entry.code],
            kind="pass",
            level="none",
            message=om.Message(text=_sentence(f"Fixed since the baseline: {entry.message}")),
            locations=[om.Location(physical_location=om.PhysicalLocation(
                artifact_location=om.ArtifactLocation(uri=relative_uri(entry.path), uri_base_id=SRCROOT),
                region=om.Region(start_line=1),
            ))],
            partial_fingerprints=self._absent_fingerprints(entry),
            baseline_state="absent",
        )

    def _absent_fingerprints(self, entry) -> dict:
        fingerprints = {FINGERPRINT_KEY: entry.fingerprint}
        root = self.paths.repository_root
        path = os.path.normpath(os.path.join(root, entry.path))
        if not path.startswith(root.rstrip(os.sep) + os.sep) or not os.path.isfile(path):
            return fingerprints  # gone, or not a file of the repository (never a FIFO to block on)
        try:  # GitHub hashes the file as it is on disk
            with open(path, "rb") as handle:
                fingerprints["primaryLocationLineHash"] = line_hashes(handle.read().decode("utf-8", "replace"))[0]
        except OSError:
            pass
        return fingerprints

    def _fix(self, finding: Finding) -> om.Fix:
        by_path: dict[str, list] = {}
        for edit in sorted(finding.fix.edits, key=lambda e: (e.span.path, e.span.line, e.span.col)):
            by_path.setdefault(edit.span.path, []).append(
                om.Replacement(
                    deleted_region=self._region(edit.span, with_snippet=False),
                    inserted_content=om.ArtifactContent(text=edit.new_text),
                )
            )
        changes = [
            om.ArtifactChange(artifact_location=self._artifact_location(path), replacements=replacements)
            for path, replacements in sorted(by_path.items())
        ]
        return om.Fix(
            description=om.Message(text=_sentence(finding.fix.description)),
            artifact_changes=changes,
            properties={"safe": finding.fix.safe},
        )

    # run

    def _notification(self, note: Notification) -> om.Notification:
        locations = None
        if note.path:
            region = None
            if note.line:
                region = om.Region(start_line=note.line, start_column=note.col)
            locations = [
                om.Location(
                    physical_location=om.PhysicalLocation(
                        artifact_location=om.ArtifactLocation(
                            uri=relative_uri(self.paths(note.path)), uri_base_id=SRCROOT
                        ),
                        region=region,
                    )
                )
            ]
        return om.Notification(
            level=note.level,
            message=om.Message(text=_sentence(note.message)),
            descriptor=om.ReportingDescriptorReference(id=note.kind),
            locations=locations,
        )

    def _artifacts(self) -> list[om.Artifact]:
        artifacts = []
        for path in self.artifact_paths:
            length = self.sources.byte_length(path)
            artifacts.append(
                om.Artifact(
                    location=om.ArtifactLocation(uri=relative_uri(self.paths(path)), uri_base_id=SRCROOT),
                    source_language=_SOURCE_LANGUAGE.get(os.path.splitext(path)[1].lower()),
                    length=length if length is not None else -1,
                )
            )
        return artifacts

    def build(self) -> om.SarifLog:
        descriptors = [self._descriptor(rule) for rule in self.rules]
        # Artifacts are indexed in path order: register every file a result touches first.
        findings = self._selected_findings()
        for path in sorted(_paths_of(findings)):
            self._artifact(path)
        fingerprint_of = fingerprints(self.result, self.paths)
        results = [self._result(finding, fingerprint_of[id(finding)], descriptors) for finding in findings]
        if self.baseline is not None:
            results.extend(self._absent_result(entry, descriptors) for entry in self.baseline.absent)

        notifications = [*self.result.notifications, *self.extra_notifications]
        internal_error = any(note.kind == "internal-error" for note in notifications)
        invocation = om.Invocation(
            execution_successful=not internal_error,
            working_directory=om.ArtifactLocation(uri=root_uri(self.result.root)),
            tool_execution_notifications=[self._notification(note) for note in notifications],
        )
        driver = om.ToolComponent(
            name=TOOL_NAME,
            version=__version__,
            semantic_version=__version__,
            information_uri=docs_root(self.help_uri),
            rules=descriptors,
        )
        run = om.Run(
            tool=om.Tool(driver=driver),
            invocations=[invocation],
            # The repository root: every result's URI is relative to it.
            original_uri_base_ids={SRCROOT: om.ArtifactLocation(uri=root_uri(self.paths.repository_root))},
            automation_details=om.RunAutomationDetails(
                id=self.options.sarif_category or sarif_category(self.options.scanned)
            ),
            artifacts=self._artifacts(),
            column_kind="utf16CodeUnits",
            results=results,
            properties={"filesChecked": self.result.files_checked},
        )
        return om.SarifLog(version="2.1.0", schema_uri=SCHEMA_URI, runs=[run])


def _paths_of(findings: list[Finding]) -> set[str]:
    paths = set()
    for finding in findings:
        paths.add(finding.span.path)
        paths.update(related.span.path for related in finding.related[:MAX_RELATED_LOCATIONS])
        paths.update(step.span.path for step in finding.flow[:MAX_FLOW_LOCATIONS])
        if finding.fix is not None:
            paths.update(edit.span.path for edit in finding.fix.edits)
    return paths


def docs_root(help_uri: Optional[str]) -> Optional[str]:
    """The tool's `informationUri`: where the team's published rule docs start (the `help-uri`
    template up to its first placeholder, without a dangling `#`), or None when unset: no
    guessed home page."""
    if not help_uri:
        return None
    return help_uri.split("{", 1)[0].rstrip("#") or None


def build_sarif(result: RunResult, rules: Iterable, with_snippets: bool = True, help_uri: Optional[str] = None,
                options: Optional[ReportOptions] = None) -> dict:
    """The SARIF log as plain JSON values; `help_uri` is the config's rule-page template."""
    rules = list(rules)
    build_fixes(result)  # SARIF carries the fixes' edits
    builder = _SarifBuilder(result, rules, with_snippets=with_snippets, help_uri=help_uri, options=options)
    return to_json(builder.build())


def _dump(log: dict) -> str:
    return json.dumps(log, indent=2, sort_keys=True, ensure_ascii=True) + "\n"


def render_sarif(result: RunResult, rules: Iterable, help_uri: Optional[str] = None,
                 options: Optional[ReportOptions] = None) -> str:
    """SARIF 2.1.0 JSON text for `result`; `rules` are the enabled rules (all become
    tool.driver.rules). Same input, same bytes."""
    rules = list(rules)
    text = _dump(build_sarif(result, rules, help_uri=help_uri, options=options))
    # GitHub rejects uploads over 10 MB gzipped: snippets are the part it can do without.
    if len(text) > MAX_UPLOAD_GZIP_BYTES and len(gzip.compress(text.encode())) > MAX_UPLOAD_GZIP_BYTES:
        text = _dump(build_sarif(result, rules, with_snippets=False, help_uri=help_uri, options=options))
    return text
