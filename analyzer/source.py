"""A file as the engine sees it: its bytes, its text, its tree, and position helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Optional

from .findings import Span

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

    @property
    def family(self) -> str:
        return LANGUAGE_FAMILY[self.language]

    @cached_property
    def is_ascii(self) -> bool:
        """Most files: byte offsets are then character offsets and UTF-16 columns."""
        return len(self.data) == len(self.text)

    @cached_property
    def lines(self) -> list[str]:
        # Lines end at "\n" only, as tree-sitter counts them (str.splitlines would
        # also break at form feeds and U+2028); a trailing "\r" is not content.
        return [line[:-1] if line.endswith("\r") else line for line in self.text.split("\n")]

    @cached_property
    def byte_lines(self) -> list[bytes]:
        return self.data.split(b"\n")

    def line_text(self, line: int) -> str:
        """1-based line's text, without its newline."""
        lines = self.lines
        return lines[line - 1] if 0 < line <= len(lines) else ""

    def column(self, row: int, byte_col: int) -> int:
        """0-based tree-sitter (row, byte column) -> 1-based UTF-16 column."""
        if self.is_ascii:
            return byte_col + 1
        lines = self.byte_lines
        if row >= len(lines):
            return byte_col + 1
        prefix = lines[row][:byte_col]
        if prefix.isascii():
            return byte_col + 1
        text = prefix.decode("utf-8", errors="replace")
        return len(text.encode("utf-16-le")) // 2 + 1

    def span_of_points(self, start_point, end_point) -> Span:
        return Span(self.rel_path, *self._numbers(start_point, end_point))

    def position(self, node) -> tuple[int, int, int, int]:
        """(line, col, end_line, end_col) of a node: a Span's numbers, without a Span."""
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
        return "\n".join(self.line_text(n) for n in range(span.line, min(span.end_line, span.line + 4) + 1))
