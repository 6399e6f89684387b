"""Result fingerprints for SARIF, so code scanning can match alerts across runs.

`line_hashes` reproduces the `primaryLocationLineHash` that GitHub's upload
action computes when a SARIF file lacks one. Its definition: drop spaces and
tabs, turn CRLF and lone CR into LF, append an end-of-input marker (0xFFFF)
and then zeros. A line's hash is the polynomial hash, base 37 and wrapping at
2**64, of the 100 UTF-16 code units starting at the line's first kept unit;
it is printed as unsigned hexadecimal (no padding) plus ":" and how many
lines so far, this one included, had that same hash. Matching it exactly
means GitHub keeps our value instead of flagging an inconsistent fingerprint.

`perfscan_fingerprint` is our own: it hashes what was found rather than where,
so an alert keeps its identity when unrelated edits move it to another line.
"""

from __future__ import annotations

import array
import hashlib
import sys
from collections import Counter

WINDOW = 100
BASE = 37
END_OF_INPUT = 0xFFFF
_MASK = (1 << 64) - 1
_NEWLINE = 0x0A
# BASE ** WINDOW: the weight of the unit that leaves the window.
_LEAVING_WEIGHT = pow(BASE, WINDOW, 1 << 64)


def _utf16_units(text: str) -> array.array:
    units = array.array("H", text.encode("utf-16-le"))
    if sys.byteorder == "big":
        units.byteswap()
    return units


def _normalise(text: str) -> str:
    # CRLF first, so that "\r \n" (a space between) still counts as two line breaks.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace(" ", "").replace("\t", "")


def line_hashes(text: str) -> list[str]:
    """`primaryLocationLineHash` of every line: element 0 belongs to line 1.

    Lines are those of the text split at CRLF, CR and LF, so a text ending in a
    newline has a last, empty line, and the empty text has one line.
    """
    units = _utf16_units(_normalise(text))
    line_starts = [0]
    line_starts.extend(i + 1 for i, unit in enumerate(units) if unit == _NEWLINE)
    units.append(END_OF_INPUT)
    units.extend([0] * WINDOW)

    # prefix[i] is the hash of units[:i]; a window's hash is the difference of two prefixes.
    prefix = [0] * (len(units) + 1)
    value = 0
    for i, unit in enumerate(units):
        value = (value * BASE + unit) & _MASK
        prefix[i + 1] = value

    seen: Counter[str] = Counter()
    hashes = []
    for start in line_starts:
        window_hash = (prefix[start + WINDOW] - prefix[start] * _LEAVING_WEIGHT) & _MASK
        key = format(window_hash, "x")
        seen[key] += 1
        hashes.append(f"{key}:{seen[key]}")
    return hashes


def normalise_snippet(snippet: str) -> str:
    """Whitespace-insensitive form of code: re-indenting does not change a fingerprint."""
    return " ".join(snippet.split())


def perfscan_fingerprint(rule_id: str, path: str, snippet: str, occurrence: int) -> str:
    """Stable identity of a finding: rule, file, the flagged code, and which occurrence
    of that same code in that file it is (1-based, in file order)."""
    digest = hashlib.sha256(
        "\x1f".join((rule_id, path, normalise_snippet(snippet))).encode("utf-8")
    ).hexdigest()
    return f"{digest[:32]}:{occurrence}"
