"""The one data type every rule produces and every reporter reads.

Positions are 1-based lines and 1-based columns counted in UTF-16 code units
(SARIF's default `columnKind`), end exclusive. Rules never build these by hand
from byte offsets: `SourceFile.span(node)` does the conversion once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Optional

Level = Literal["error", "warning", "note"]
LEVELS: tuple[str, ...] = ("error", "warning", "note")


@dataclass(frozen=True, order=True)
class Span:
    """A region of one file: 1-based line/column, end exclusive."""

    path: str  # project-relative POSIX path (the SARIF URI relative to %SRCROOT%)
    line: int
    col: int
    end_line: int
    end_col: int


@dataclass(frozen=True)
class Related:
    """A related location; `message` is the link text used in the finding's message."""

    span: Span
    message: str


@dataclass(frozen=True)
class FlowStep:
    """One step of a code flow (e.g. route -> helper -> blocking call)."""

    span: Span
    message: str


@dataclass(frozen=True)
class TextEdit:
    """Replace the text in `span` (may be empty, for an insertion) with `new_text`."""

    span: Span
    new_text: str


@dataclass(frozen=True)
class Fix:
    description: str
    edits: tuple[TextEdit, ...]
    # A safe fix keeps behaviour; `perfscan check --fix` applies only safe fixes.
    safe: bool = True
    # Edits that cost real work (a libcst parse) are made only when a fix is applied or
    # reported: ("module:builder", plain arguments), with `edits` empty until
    # `fixes.build_fixes` replaces this fix with one holding them.
    deferred: Optional[tuple] = None


@dataclass
class Finding:
    code: str  # "PF201"
    rule_name: str  # "blocking-call-in-async"
    level: Level
    message: str  # Markdown-free text; related locations referenced as [text](N)
    span: Span
    snippet: str = ""  # the source line(s) of the primary span
    related: tuple[Related, ...] = ()
    flow: tuple[FlowStep, ...] = ()
    fix: Optional[Fix] = None
    # Set by the suppression pass: the comment text that silenced it.
    suppressed_by: Optional[str] = None
    # Extra machine-readable facts (e.g. {"route": "GET /users"}) for json/sarif.
    properties: dict = field(default_factory=dict)

    def sort_key(self):
        s = self.span
        return (s.path, s.line, s.col, self.code, self.message)


@dataclass(frozen=True)
class Notification:
    """Something the run could not do fully: unreadable file, partial parse, skipped file."""

    level: Level  # "error" for lost files, "warning" for partial/skipped, "note" for info
    message: str
    path: Optional[str] = None
    line: Optional[int] = None
    col: Optional[int] = None
    kind: str = "file"  # short id: "unreadable", "decode", "binary", "too-large", "partial-parse", "skipped", "config"


def short_text(text: str, limit: int = 40) -> str:
    """Code quoted in a message: whitespace runs folded to one space, cut to `limit` characters with `…`."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
