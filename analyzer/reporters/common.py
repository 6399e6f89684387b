"""What every reporter shares: where the repository is (so paths in CI reports do not depend
on the folder perfscan ran from), each finding's stable fingerprint, the baseline state of
each finding, and the order people triage in (most severe first).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Optional

from ..config import repository_top
from ..findings import Finding, Span
from ..fingerprint import normalise_snippet, perfscan_fingerprint
from ..line_columns import RowColumns
from ..source import split_lines

LEVEL_RANK = {"error": 0, "warning": 1, "note": 2}

# Link text may hold one level of brackets (`items[0]`). Each piece starts with a different
# character and a bare '[' ends a scan, so a run of '[' with no ']' is not rescanned from
# every '[' (the old `[^\]]+` was quadratic there).
_LINK = re.compile(r"\[((?:[^\[\]]|\[[^\[\]]*\])+)\]\((\d+)\)")


def unlinked(message: str) -> str:
    """`[the memo definition](1)` -> `the memo definition`: links are for SARIF viewers."""
    return _LINK.sub(r"\1", message)


def severity_key(finding: Finding):
    """Errors first, then warnings, then notes; within a level, file order."""
    return (LEVEL_RANK.get(finding.level, 3), finding.sort_key())


def measured_rank(finding: Finding):
    """0-100: how much of a recorded profile the finding's code holds; None when not measured
    (no profile given, or it does not cover that code)."""
    measured = finding.properties.get("perfscan/measured")
    rank = measured.get("rank") if isinstance(measured, dict) else None
    return max(0.0, min(100.0, float(rank))) if isinstance(rank, (int, float)) else None


def triage_key(finding: Finding):
    """What to fix first: with a profile, the most expensive measured findings, then the
    others in the usual order (`severity_key`)."""
    rank = measured_rank(finding)
    return (rank is None, -(rank or 0.0), severity_key(finding))


def repository_root(start: str) -> Optional[str]:
    """The git top level above `start` (a file or directory): config.py's walk up to a `.git`
    directory or file; no git process is started."""
    current = os.path.abspath(start)
    return repository_top(current if os.path.isdir(current) else os.path.dirname(current))


@dataclass(frozen=True)
class ReportPaths:
    """Maps the run's paths (relative to the project root, where perfscan ran) to paths
    relative to the repository root, which is what GitHub, GitLab and a committed baseline
    need whatever the current folder."""

    project_root: str
    repository_root: str

    @classmethod
    def for_run(cls, project_root: str, scanned: Optional[list] = None, root_override: Optional[str] = None):
        if root_override is not None:
            return cls(os.path.abspath(project_root), os.path.abspath(root_override))
        start = (scanned or [project_root])[0]
        found = repository_root(start if os.path.exists(start) else project_root)
        return cls(os.path.abspath(project_root), found or os.path.abspath(project_root))

    def __call__(self, rel_path: str) -> str:
        """Repository-relative POSIX path of a project-relative one (unchanged when the file
        lies outside the repository root)."""
        if self.project_root == self.repository_root:
            return rel_path
        absolute = os.path.normpath(os.path.join(self.project_root, rel_path))
        relative = os.path.relpath(absolute, self.repository_root)
        if relative == os.pardir or relative.startswith(os.pardir + os.sep):
            return rel_path
        return relative.replace(os.sep, "/")

    def scanned(self, paths: list) -> list[str]:
        """The command-line paths relative to the repository root ('.' for the root)."""
        out = []
        for given in paths:
            relative = os.path.relpath(os.path.abspath(given), self.repository_root)
            out.append("." if relative == os.curdir else relative.replace(os.sep, "/"))
        return out


def sarif_category(scanned: list[str]) -> str:
    """`perfscan/<scanned path>/`: one code scanning category per scanned part of a monorepo,
    the same from whichever folder the run started."""
    parts = sorted({path.strip("/") for path in scanned if path not in (".", "")})
    return "perfscan/" + "".join(f"{part}/" for part in ([",".join(parts)] if parts else []))


def utf16_index(line: str, column: int) -> int:
    """1-based UTF-16 column -> index into the Python string `line`."""
    if line.isascii():
        return min(column - 1, len(line))
    units = 0
    for index, char in enumerate(line):
        if units >= column - 1:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
    return len(line)


class SourceLines:
    """Per-file lines of the run's sources, split once."""

    def __init__(self, sources: dict):
        self._sources = sources
        self._lines: dict[str, list[str]] = {}
        self._columns: dict[tuple[str, int], Optional[RowColumns]] = {}  # None: an ASCII line

    def lines(self, path: str) -> Optional[list[str]]:
        source = self._sources.get(path)
        if source is None:
            return None
        if path not in self._lines:
            self._lines[path] = split_lines(source.text)  # numbered as findings are
        return self._lines[path]

    def text_of(self, span: Span) -> Optional[str]:
        lines = self.lines(span.path)
        if lines is None or not (0 < span.line <= len(lines)) or span.end_line > len(lines):
            return None
        if span.line == span.end_line:
            line = lines[span.line - 1]
            return line[self._index(span.path, span.line, line, span.col) : self._index(span.path, span.line, line, span.end_col)]
        first = lines[span.line - 1]
        last = lines[span.end_line - 1]
        middle = lines[span.line : span.end_line - 1]
        return "\n".join([first[self._index(span.path, span.line, first, span.col) :], *middle,
                          last[: self._index(span.path, span.end_line, last, span.end_col)]])

    def _index(self, path: str, number: int, line: str, column: int) -> int:
        """utf16_index with the line read once: findings by the thousand on one long line made
        a scan of the line per finding quadratic (a 250 KB line: 12 minutes of SARIF)."""
        key = (path, number)
        if key not in self._columns:
            self._columns[key] = None if line.isascii() else RowColumns(line)
        columns = self._columns[key]
        if columns is None:
            return min(column - 1, len(line))
        return min(columns.index_of_unit(column - 1), len(line))


def fingerprints(result, paths: ReportPaths, lines: Optional[SourceLines] = None) -> dict[int, str]:
    """id(finding) -> its line-move-proof fingerprint: rule, repository-relative file, the
    flagged code (whitespace-insensitive) and which occurrence of that code in that file it
    is. Counted over every finding of the run, suppressed ones included, so the number does
    not depend on what a report leaves out."""
    lines = lines or SourceLines(result.sources)
    occurrences: Counter = Counter()
    out = {}
    for finding in sorted(result.findings, key=Finding.sort_key):
        text = lines.text_of(finding.span) or finding.snippet
        path = paths(finding.span.path)
        key = (finding.code, path, normalise_snippet(text))
        occurrences[key] += 1
        out[id(finding)] = perfscan_fingerprint(finding.code, path, text, occurrences[key])
    return out


@dataclass
class ReportOptions:
    """How the command line asked for a report, beyond the findings themselves."""

    paths: Optional[ReportPaths] = None
    # A compared baseline (analyzer/baseline.py Comparison), or None.
    baseline: object = None
    sarif_category: Optional[str] = None
    sarif_include_suppressed: bool = False
    scanned: list = field(default_factory=list)

    def paths_for(self, result) -> ReportPaths:
        if self.paths is None:
            self.paths = ReportPaths.for_run(result.root)
        return self.paths


def reported(result, options: Optional[ReportOptions] = None) -> list[Finding]:
    """The findings a report lists and the exit status counts: active ones, and with a
    baseline only those not in it."""
    active = result.active
    if options is not None and options.baseline is not None:
        return [f for f in active if options.baseline.state_of(f) == "new"]
    return active
