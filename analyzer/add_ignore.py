"""`perfscan check --add-ignore`: a suppression comment for every current finding.

For each line with findings, the first of these that works:

1. the codes added to a suppression that already covers the line (`ignore[PF201]` becomes
   `ignore[PF201, PF301]`; a second comment would not be read);
2. at the end of the line: `  # perfscan: ignore[PF201]`, `  // perfscan: ignore[PF101]` (not
   after a TypeScript comment: an `// eslint-disable-line` would read ours as its rule list);
3. on its own line above: `# perfscan-ignore-next-line PF201` / `// perfscan-ignore-next-line PF101`;
4. among JSX children, where `//` would be rendered as text: `{/* perfscan-ignore-next-line PF103 */}`.

"Works" is decided by tree-sitter, not by guessing the context: the edited file is parsed again,
must have no syntax error, and its own suppression comments must now cover that line for those
codes (text appended inside a multi-line string or a JSX text is no comment, so it fails there).
A line no form fits is left alone and said so. Files are written as `--fix` writes them: not a
file with syntax errors, changed since the check, or reached through a link out of the project.
Findings already suppressed are not active, so a second run adds nothing.
"""

from __future__ import annotations

import os
import re
from typing import Optional

from .fixes import FilePlan, rewrite_state
from .suppression import UNUSED_SUPPRESSION, comments

_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_SAME_LINE_CODES = re.compile(r"(perfscan:\s*ignore\[)([^\]]*)(\])", re.IGNORECASE)
_NEXT_LINE_CODES = re.compile(r"(perfscan-ignore-next-line\b)((?:[ \tA-Za-z0-9_,]|-(?!-))*)", re.IGNORECASE)


def plan_ignores(result) -> tuple[dict, list, int]:
    """({rel_path: FilePlan}, [(rel_path, reason)], number of lines suppressed)."""
    by_path: dict[str, dict[int, list[str]]] = {}
    for finding in result.active:
        if finding.code == UNUSED_SUPPRESSION:
            continue  # a stale suppression is removed, not suppressed
        codes = by_path.setdefault(finding.span.path, {}).setdefault(finding.span.line, [])
        if finding.code not in codes:
            codes.append(finding.code)
    root = os.path.realpath(result.root)
    planned, refused, count = {}, [], 0
    for rel_path in sorted(by_path):
        source = result.sources.get(rel_path)
        if source is None:
            continue
        bom, reason = rewrite_state(source, root, "suppression")
        if reason is not None:
            refused.append((rel_path, reason))
            continue
        text = source.text
        for line in sorted(by_path[rel_path], reverse=True):  # bottom up: lines above keep their numbers
            codes = sorted(by_path[rel_path][line])
            edited = suppress_line(source, text, line, codes)
            if edited is None:
                refused.append((rel_path, f"line {line}: no suppression comment fits there without changing the code; "
                                          f"add one by hand for {', '.join(codes)}"))
                continue
            text = edited
            count += 1
        if text != source.text:
            planned[rel_path] = FilePlan(source, text, [], os.path.realpath(source.path), bom)
    return planned, refused, count


def suppress_line(source, text: str, line: int, codes: list[str]) -> Optional[str]:
    """`text` with a comment silencing `codes` on `line` (1-based), or None when none fits."""
    lines = _LINES.findall(text)
    if not 1 <= line <= len(lines):
        return None
    python = source.family == "python"
    current = lines[line - 1]
    body = current.rstrip("\r\n")
    ending = current[len(body):] or _ending_of(lines)
    indent = body[: len(body) - len(body.lstrip(" \t"))]
    directive = f"perfscan-ignore-next-line {' '.join(codes)}"
    candidates: list[tuple[str, int]] = []  # (new text, the finding's line in it)

    merged = _merged(source, text, lines, line, codes)
    if merged is not None:
        candidates.append((merged, line))
    before, after = "".join(lines[: line - 1]), "".join(lines[line:])
    ends_in_comment = _ends_in_comment(source, line, body)
    if python or not ends_in_comment:
        marker = "#" if python else "//"
        same_line = f"{body}  {marker} perfscan: ignore[{', '.join(codes)}]{current[len(body):]}"
        candidates.append((before + same_line + after, line))
    above = [f"# {directive}"] if python else [f"// {directive}", f"{{/* {directive} */}}"]
    for comment in above:
        candidates.append((before + f"{indent}{comment}{ending}" + current + after, line + 1))
    for candidate, target in candidates:
        if _silences(source, candidate, target, codes):
            return candidate
    return None


def _ending_of(lines: list[str]) -> str:
    for line in lines:
        stripped = line.rstrip("\r\n")
        if stripped != line:
            return line[len(stripped):]
    return "\n"


def _ends_in_comment(source, line: int, body: str) -> bool:
    """Whether the line's last character is inside a comment of the checked file (the lines
    above the ones already edited are as checked)."""
    stripped = body.rstrip()
    tree = _original_tree(source)
    if not stripped or tree is None:
        return False
    column = len(stripped[:-1].encode("utf-8"))
    node = tree.root_node.descendant_for_point_range((line - 1, column), (line - 1, column))
    return node is not None and "comment" in node.type


def _merged(source, text: str, lines: list[str], line: int, codes: list[str]) -> Optional[str]:
    """The codes added to a suppression with codes that already covers `line`, if any."""
    checked = _parsed(source, text)
    if checked is None:
        return None
    for item in comments(checked):
        if item.line != line or item.codes is None:
            continue
        row = item.node.start_point[0]
        original = lines[row]
        pattern = _SAME_LINE_CODES if item.line == row + 1 else _NEXT_LINE_CODES
        match = pattern.search(original)
        if match is None:
            continue
        missing = [code for code in codes if code not in item.codes]
        written = match.group(2)
        if pattern is _SAME_LINE_CODES:
            joined = f"{written.strip()}, {', '.join(missing)}" if written.strip() else ", ".join(missing)
            replacement = match.group(1) + joined + match.group(3)
        else:
            replacement = match.group(1) + " " + " ".join([written.strip(), *missing]).strip() + (
                " " if written.endswith(" ") else "")
        edited = original[: match.start()] + replacement + original[match.end():]
        return "".join(lines[:row]) + edited + "".join(lines[row + 1:])
    return None


_TREES: dict = {}


def _original_tree(source):
    """The checked file's tree (a file from the cache or a worker comes without one: parsed once)."""
    if source.tree is not None:
        return source.tree
    key = (source.path, source.text)
    if key not in _TREES:
        _TREES.clear()  # one file at a time
        parsed = _parsed(source, source.text)
        _TREES[key] = parsed.tree if parsed is not None else None
    return _TREES[key]


def _parsed(source, text: str):
    from .checker import source_from_bytes

    parsed, _note = source_from_bytes(source.path, source.rel_path, source.language, text.encode("utf-8"))
    return parsed


def _silences(source, text: str, line: int, codes: list[str]) -> bool:
    """The edited text parses without errors and its suppressions cover `codes` on `line`."""
    parsed = _parsed(source, text)
    if parsed is None or parsed.tree is None or parsed.tree.root_node.has_error:
        return False
    if source.family == "python" and not _compiles(text, source.rel_path) and _compiles(source.text, source.rel_path):
        return False
    covered: set = set()
    for item in comments(parsed):
        if item.line == line:
            if item.codes is None:
                return True
            covered.update(item.codes)
    return all(code in covered for code in codes)


def _compiles(text: str, rel_path: str) -> bool:
    from .fixes import _compiles as compiles

    return compiles(text, rel_path)
