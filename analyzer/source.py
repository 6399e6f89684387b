"""A file as the engine sees it: its bytes, its text, its tree, and position helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Optional

from .findings import Span
from .line_columns import RowColumns, snippet_line, snippet_start

# Languages by extension. JavaScript files go through the TSX grammar: it parses
# JSX, and plain JS is (nearly) a subset of it.
EXTENSION_LANGUAGE = {
    ".py": "python",
    ".pyi": None,  # stubs hold no runtime code
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".jsx": "tsx",
    ".js": "tsx",
    ".mjs": "tsx",
    ".cjs": "tsx",
}

# A rule declares the families it checks; a file's grammar maps to one family.
LANGUAGE_FAMILY = {"python": "python", "typescript": "tsx", "tsx": "tsx"}


# Where lines end: LF, CRLF or a lone CR, as Python's tokenizer, editors (LSP) and GitHub's
# SARIF fingerprinting count them. Never at form feeds, vertical tabs, \x1c-\x1e, U+0085,
# U+2028 or U+2029, where `str.splitlines` would also break. Tree-sitter counts rows at LF
# only, so it parses `parser_input`, where every lone CR is an LF.
_LINE_END = re.compile(r"(\r\n|\r|\n)")
_BYTE_LINE_END = re.compile(rb"\r\n|\r|\n")
_LONE_CR = re.compile(rb"\r(?!\n)")


def split_lines(text: str) -> list[str]:
    """The lines of `text` without their line ends; a text ending in a line end has a last, empty line."""
    if "\r" not in text:
        return text.split("\n")
    return _LINE_END.split(text)[0::2]


def line_chunks(text: str) -> list[str]:
    """The lines of `text` with their line ends (no empty last chunk): they join back to `text`."""
    if "\r" not in text:
        chunks = [line + "\n" for line in text.split("\n")]
    else:
        parts = _LINE_END.split(text)
        chunks = [line + end for line, end in zip(parts[0::2], parts[1::2])] + [parts[-1] + "\n"]
    last = chunks.pop()[:-1]  # the text after the last line end, if any
    if last:
        chunks.append(last)
    return chunks


def parser_input(data: bytes) -> bytes:
    """The bytes tree-sitter parses: each lone CR becomes an LF. The length does not change, so
    node byte offsets index `data` itself; rows then count every line end (a CR-only Python file
    also parses, where tree-sitter saw one long line)."""
    return _LONE_CR.sub(b"\n", data) if b"\r" in data else data


def language_for(path: str) -> Optional[str]:
    lower = path.lower()
    if lower.endswith(".d.ts") or lower.endswith(".d.mts") or lower.endswith(".d.cts"):
        return None
    dot = lower.rfind(".")
    if dot < 0:
        return None
    return EXTENSION_LANGUAGE.get(lower[dot:])


@dataclass
class SourceFile:
    path: str  # absolute filesystem path
    rel_path: str  # project-relative POSIX path used in every report
    language: str  # "python" | "typescript" | "tsx"
    data: bytes
    text: str
    tree: object = None  # tree_sitter.Tree, set by the parse step
    partial: bool = False  # the parser recovered from syntax errors
    _line_starts: list = field(default=None, repr=False)
    _columns: dict = field(default_factory=dict, repr=False)  # row -> RowColumns, None when ASCII

    @property
    def family(self) -> str:
        return LANGUAGE_FAMILY[self.language]

    @cached_property
    def is_ascii(self) -> bool:
        """Most files: byte offsets are then character offsets and UTF-16 columns."""
        return len(self.data) == len(self.text)

    @cached_property
    def lines(self) -> list[str]:
        # Numbered as tree-sitter numbers rows of `parser_input` (see split_lines).
        return split_lines(self.text)

    @cached_property
    def byte_lines(self) -> list[bytes]:
        data = self.data
        return _BYTE_LINE_END.split(data) if b"\r" in data else data.split(b"\n")

    def line_text(self, line: int) -> str:
        """1-based line's text, without its newline."""
        lines = self.lines
        return lines[line - 1] if 0 < line <= len(lines) else ""

    def column(self, row: int, byte_col: int) -> int:
        """0-based tree-sitter (row, byte column) -> 1-based UTF-16 column."""
        if self.is_ascii:
            return byte_col + 1
        columns = self._row_columns(row)
        return byte_col + 1 if columns is None else columns.unit_column(byte_col) + 1

    def _row_columns(self, row: int) -> Optional[RowColumns]:
        """The 0-based row's column converter; None for an ASCII row (or past the end)."""
        columns = self._columns.get(row, False)
        if columns is False:
            line = self.lines[row] if row < len(self.lines) else ""
            columns = self._columns[row] = None if line.isascii() else RowColumns(line)
        return columns

    def span_of_points(self, start_point, end_point) -> Span:
        return Span(self.rel_path, *self._numbers(start_point, end_point))

    def position(self, node) -> tuple[int, int, int, int]:
        """(line, col, end_line, end_col) of a node: a Span's numbers, without a Span."""
        if self.is_ascii:  # every call of a summary has one: the common case without a call per number
            start, end = node.start_point, node.end_point
            return start[0] + 1, start[1] + 1, end[0] + 1, end[1] + 1
        return self._numbers(node.start_point, node.end_point)

    def _numbers(self, start_point, end_point) -> tuple[int, int, int, int]:
        """1-based lines and UTF-16 columns of two tree-sitter points."""
        return (
            start_point[0] + 1,
            self.column(start_point[0], start_point[1]),
            end_point[0] + 1,
            self.column(end_point[0], end_point[1]),
        )

    def span(self, node, end_node=None) -> Span:
        """The span of a tree-sitter node (or from `node` to the end of `end_node`)."""
        return self.span_of_points(node.start_point, (end_node or node).end_point)

    def node_text(self, node) -> str:
        if self.is_ascii:
            return self.text[node.start_byte : node.end_byte]
        piece = self.data[node.start_byte : node.end_byte]
        try:
            return piece.decode()  # nodes end on character boundaries of valid UTF-8
        except UnicodeDecodeError:
            return piece.decode("utf-8", errors="replace")

    def snippet(self, span: Span) -> str:
        """The span's lines (at most five); a long line is cut around the span (see snippet_line)."""
        last = min(span.end_line, span.line + 4)
        return "\n".join(
            snippet_line(self.line_text(n), snippet_start(span.col) if n == span.line else 0,
                         self._row_columns(n - 1) if n == span.line else None)
            for n in range(span.line, last + 1)
        )
