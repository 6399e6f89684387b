"""Columns on long lines in time independent of the line's length.

Tree-sitter gives byte columns; reports want UTF-16 columns (SARIF, LSP) and reporters index
Python strings. Converting by slicing the line up to the column costs the column's size per
call: on a one-line 1 MB file with thousands of findings that is quadratic. A `RowColumns`
reads a line once and then converts with a binary search over its non-ASCII characters.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

_NON_ASCII = re.compile(r"[^\x00-\x7f]")

# One line of a finding's snippet carries at most this many characters: a finding on a 1 MB
# line must not carry (and every report repeat) the whole line.
SNIPPET_LINE_LIMIT = 1000
# Characters kept before the span when a long line is cut in front of it.
SNIPPET_CONTEXT = 80
CUT = "\u2026"


def snippet_start(col: int) -> int:
    """Where the snippet of a long line starts, in UTF-16 units from the line start, for a span
    starting at 1-based UTF-16 column `col` (0: the snippet starts with the line). The text
    reporter places its carets with the same answer."""
    index = col - 1
    return 0 if index < SNIPPET_LINE_LIMIT - SNIPPET_CONTEXT else index - SNIPPET_CONTEXT


class RowColumns:
    """Byte, UTF-16 and character offsets of one line of text."""

    __slots__ = ("byte_starts", "byte_shift", "unit_starts", "unit_shift")

    def __init__(self, line: str):
        # For each non-ASCII character, in order: where it starts in bytes and in UTF-16 units,
        # and how many bytes / units the characters up to and including it add over one each.
        self.byte_starts: list[int] = []
        self.byte_shift: list[int] = [0]
        self.unit_starts: list[int] = []
        self.unit_shift: list[int] = [0]
        extra_bytes = extra_units = 0
        for match in _NON_ASCII.finditer(line):
            index = match.start()
            code = ord(line[index])
            self.byte_starts.append(index + extra_bytes)
            self.unit_starts.append(index + extra_units)
            extra_bytes += 1 if code < 0x800 else 2 if code < 0x10000 else 3
            extra_units += 1 if code >= 0x10000 else 0
            self.byte_shift.append(extra_bytes)
            self.unit_shift.append(extra_units)

    def unit_column(self, byte_col: int) -> int:
        """0-based byte column -> 0-based UTF-16 column."""
        before = bisect_left(self.byte_starts, byte_col)  # characters starting before it
        return byte_col - self.byte_shift[before] + self.unit_shift[before]

    def index_of_unit(self, unit_col: int) -> int:
        """0-based UTF-16 column -> index into the line's string (inside a surrogate pair: the
        character's own index)."""
        before = bisect_right(self.unit_starts, unit_col - 1)  # characters starting before it
        return unit_col - self.unit_shift[before]


def snippet_line(line: str, start_units: int, columns: RowColumns | None) -> str:
    """`line` as a snippet carries it: whole when short; else cut to SNIPPET_LINE_LIMIT
    characters from `start_units` (see `snippet_start`), each cut marked with an ellipsis."""
    if len(line) <= SNIPPET_LINE_LIMIT:
        return line
    start = columns.index_of_unit(start_units) if columns is not None and start_units else start_units
    start = min(start, len(line))
    piece = line[start : start + SNIPPET_LINE_LIMIT]
    head = CUT if start else ""
    tail = CUT if start + SNIPPET_LINE_LIMIT < len(line) else ""
    return head + piece + tail
