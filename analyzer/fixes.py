"""Fixes: text edits, how rules build them, and how `--fix` / `--diff` apply them.

A fix is a tuple of `TextEdit`s (span + new text). Python rules usually build
the new source with libcst (formatting preserved) and turn the difference into
edits with `edits_between`, so every fix has the same shape for SARIF.
"""

from __future__ import annotations

import difflib
from typing import Iterable

from .findings import Span, TextEdit


def _line_offsets(text: str) -> list[int]:
    offsets = [0]
    for index, char in enumerate(text):
        if char == "\n":
            offsets.append(index + 1)
    return offsets


def _offset(text: str, offsets: list[int], line: int, col: int) -> int:
    """1-based line and UTF-16 column -> index into `text`."""
    if line - 1 >= len(offsets):
        return len(text)
    start = offsets[line - 1]
    units = col - 1
    index = start
    while units > 0 and index < len(text) and text[index] != "\n":
        units -= 2 if ord(text[index]) > 0xFFFF else 1
        index += 1
    return index


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str:
    """Apply non-overlapping edits; overlapping ones after the first are dropped."""
    offsets = _line_offsets(text)
    ranges = []
    for edit in edits:
        s = edit.span
        start = _offset(text, offsets, s.line, s.col)
        end = _offset(text, offsets, s.end_line, s.end_col)
        ranges.append((start, end, edit.new_text))
    # Two fixes may make the same edit (both add `import asyncio`): apply it once.
    ranges = sorted(set(ranges), key=lambda r: (r[0], r[1], r[2]))
    out, position = [], 0
    for start, end, new_text in ranges:
        if start < position:
            continue  # overlaps an edit already applied
        out.append(text[position:start])
        out.append(new_text)
        position = end
    out.append(text[position:])
    return "".join(out)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def edits_between(path: str, old: str, new: str) -> tuple[TextEdit, ...]:
    """The line-level edits that turn `old` into `new` (for fixes built by rewriting)."""
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    edits = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        # Replace whole lines i1..i2 (0-based, end exclusive) by new_lines j1..j2.
        span = Span(path, i1 + 1, 1, i2 + 1, 1)
        edits.append(TextEdit(span, "".join(new_lines[j1:j2])))
    return tuple(edits)


def unified_diff(path: str, old: str, new: str) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True), new.splitlines(keepends=True), fromfile=f"a/{path}", tofile=f"b/{path}"
        )
    )


def plan_fixes(result) -> tuple[dict, list]:
    """Safe fixes of the run's active findings, per file.

    Returns ({rel_path: (source, new_text, [fixed findings])}, [refusals]) where a
    refusal is (rel_path, reason): a file whose fixed text would not parse as
    well as the original is left alone.
    """
    from perfscan import grammars

    by_path: dict[str, list] = {}
    for finding in result.active:
        if finding.fix is not None and finding.fix.safe:
            by_path.setdefault(finding.span.path, []).append(finding)
    planned, refused = {}, []
    for rel_path, findings in sorted(by_path.items()):
        source = result.sources.get(rel_path)
        if source is None:
            continue
        edits, applied, taken = [], [], []
        for finding in findings:
            # Findings whose edits overlap an earlier finding's wait for the next run.
            new_edits = [e for e in finding.fix.edits if e not in edits]
            ranges = [_range_key(e) for e in new_edits]
            if any(_overlaps(r, t) for r in ranges for t in taken):
                continue
            taken.extend(ranges)
            edits.extend(finding.fix.edits)
            applied.append(finding)
        new_text = apply_edits(source.text, edits)
        if new_text == source.text:
            continue
        tree = grammars.parse(source.language, new_text.encode("utf-8"))
        if tree.root_node.has_error and not source.partial:
            refused.append((rel_path, "the fixed file would not parse; no fix written"))
            continue
        planned[rel_path] = (source, new_text, applied)
    return planned, refused


def _range_key(edit: TextEdit):
    s = edit.span
    return ((s.line, s.col), (s.end_line, s.end_col))


def _overlaps(a, b) -> bool:
    (a_start, a_end), (b_start, b_end) = a, b
    if a_start == a_end or b_start == b_end:  # an insertion clashes only inside the other range
        return b_start < a_start < b_end or a_start < b_start < a_end or (a_start == b_start and a_end == b_end)
    return a_start < b_end and b_start < a_end
