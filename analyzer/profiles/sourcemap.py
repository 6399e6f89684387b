"""Source map v3 lookups: a position in a bundle -> the original file, line and name.

Used when a browser profile points at a built bundle (`/assets/index-3f2a.js`) and the
bundle's `.map` file is in the repository. Only `mappings`, `sources`, `sourceRoot` and
`names` are read; `sourcesContent` is not needed.
"""

from __future__ import annotations

import bisect
import json
from typing import Optional

_BASE64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


class SourceMapError(ValueError):
    pass


def _vlq_values(segment: str) -> list[int]:
    values, shift, value = [], 0, 0
    for char in segment:
        digit = _BASE64.get(char)
        if digit is None:
            raise SourceMapError(f"invalid character {char!r} in mappings")
        value += (digit & 31) << shift
        if digit & 32:
            shift += 5
        else:
            values.append(-(value >> 1) if value & 1 else value >> 1)
            shift = value = 0
    return values


class SourceMap:
    def __init__(self, text: str):
        try:
            document = json.loads(text)
        except ValueError as error:
            raise SourceMapError(f"not JSON ({error})") from None
        if not isinstance(document, dict) or not isinstance(document.get("mappings"), str):
            raise SourceMapError("no `mappings`")
        if document.get("sections"):
            raise SourceMapError("indexed source maps (sections) are not read")
        root = document.get("sourceRoot") or ""
        self.sources = [root + s if isinstance(s, str) else "" for s in document.get("sources") or []]
        self.names = [n if isinstance(n, str) else "" for n in document.get("names") or []]
        # Per generated line: sorted generated columns, and (source, line, column, name) at each.
        self._columns: list[list[int]] = []
        self._targets: list[list[tuple]] = []
        source = line = column = name = 0
        for text_line in document["mappings"].split(";"):
            columns, targets = [], []
            generated = 0
            for segment in text_line.split(","):
                if not segment:
                    continue
                values = _vlq_values(segment)
                generated += values[0]
                if len(values) >= 4:
                    source += values[1]
                    line += values[2]
                    column += values[3]
                    if len(values) >= 5:
                        name += values[4]
                    columns.append(generated)
                    targets.append((source, line, column, name if len(values) >= 5 else None))
            order = sorted(range(len(columns)), key=columns.__getitem__)
            self._columns.append([columns[i] for i in order])
            self._targets.append([targets[i] for i in order])

    def original(self, line: int, column: int) -> Optional[tuple[str, int, Optional[str]]]:
        """1-based bundle line and column -> (original source, 1-based line, name or None)."""
        if not 0 < line <= len(self._columns):
            return None
        columns = self._columns[line - 1]
        at = bisect.bisect_right(columns, max(column - 1, 0)) - 1
        if at < 0:
            if not columns:
                return None
            at = 0
        source, original_line, _, name = self._targets[line - 1][at]
        if not 0 <= source < len(self.sources):
            return None
        return self.sources[source], original_line + 1, self.names[name] if name is not None and 0 <= name < len(self.names) else None
