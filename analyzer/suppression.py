"""Inline suppression comments.

    x = requests.get(url)  # perfscan: ignore[PF201]
    items.sort();  // perfscan: ignore[PF101, PF102]
    // perfscan-ignore-next-line PF101
    {/* perfscan-ignore-next-line */}

Without codes a comment silences every rule on its line. Suppressed findings
are kept (SARIF reports them with `suppressions`); text output hides them.
"""

from __future__ import annotations

import re

from perfscan import grammars

from .findings import Finding
from .source import SourceFile

_SAME_LINE = re.compile(r"perfscan:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)
_NEXT_LINE = re.compile(r"perfscan-ignore-next-line\b(?P<codes>[\sA-Za-z0-9_,\-]*)", re.IGNORECASE)
_CODE = re.compile(r"[A-Za-z][A-Za-z0-9\-]*")


def _codes(text: str | None) -> frozenset[str] | None:
    """None means every rule."""
    if text is None:
        return None
    codes = frozenset(c.upper() if c[:2].upper() == "PF" else c for c in _CODE.findall(text))
    return codes or None


def suppressions(source: SourceFile) -> dict[int, list[tuple[frozenset[str] | None, str]]]:
    """{1-based line: [(codes or None for all, comment text)]} from the file's comments."""
    by_line: dict[int, list] = {}
    if source.tree is None or b"perfscan" not in source.data:
        return by_line
    for node in grammars.captures(source.language, "comments", source.tree.root_node).get("comment", []):
        text = source.node_text(node)
        if "perfscan" not in text:
            continue
        line = node.start_point[0] + 1
        match = _NEXT_LINE.search(text)
        if match:
            # The comment may span lines (a JSX block comment): the next line is after its end.
            target = node.end_point[0] + 2
            by_line.setdefault(target, []).append((_codes(match.group("codes")), text.strip()))
            continue
        match = _SAME_LINE.search(text)
        if match:
            by_line.setdefault(line, []).append((_codes(match.group("codes")), text.strip()))
    return by_line


def apply_suppressions(source: SourceFile, findings: list[Finding]) -> None:
    table = suppressions(source) if findings else {}
    if not table:
        return
    for finding in findings:
        for codes, text in table.get(finding.span.line, ()):
            if codes is None or finding.code in codes or finding.rule_name in codes:
                finding.suppressed_by = text
                break
