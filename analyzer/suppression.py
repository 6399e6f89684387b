"""Inline suppression comments.

    x = requests.get(url)  # perfscan: ignore[PF201]
    items.sort();  // perfscan: ignore[PF101, PF102]
    // perfscan-ignore-next-line PF101
    {/* perfscan-ignore-next-line */}

Without codes a comment silences every rule on its line. Suppressed findings
are kept (SARIF reports them with `suppressions`); text output hides them.

When PF000 (unused-suppression) runs, the same pass reports each comment that names an unknown
code and each code (or code-less comment) that silenced nothing: it sees every finding of the
file before the comments apply, so it needs no parse of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from perfscan import grammars

from .findings import Finding
from .source import SourceFile

_SAME_LINE = re.compile(r"perfscan:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)
# Codes run to the end of the comment, or to ` -- reason` (ESLint's way of giving one).
_NEXT_LINE = re.compile(r"perfscan-ignore-next-line\b(?P<codes>(?:[\sA-Za-z0-9_,]|-(?!-))*)", re.IGNORECASE)
_CODE = re.compile(r"[A-Za-z][A-Za-z0-9\-]*")

UNUSED_SUPPRESSION = "PF000"


@dataclass(frozen=True)
class Suppression:
    line: int  # the line it silences, 1-based
    codes: Optional[tuple[str, ...]]  # as written (codes upper-cased); None: every rule
    text: str  # the comment
    node: object  # the comment's node


def _codes(text: str | None) -> tuple[str, ...] | None:
    """None means every rule."""
    if text is None:
        return None
    codes = tuple(dict.fromkeys(c.upper() if c[:2].upper() == "PF" else c for c in _CODE.findall(text)))
    return codes or None


def comments(source: SourceFile) -> list[Suppression]:
    """The file's suppression comments, in source order."""
    found: list[Suppression] = []
    if source.tree is None or b"perfscan" not in source.data:
        return found
    for node in grammars.captures(source.language, "comments", source.tree.root_node).get("comment", []):
        text = source.node_text(node)
        if "perfscan" not in text:
            continue
        match = _NEXT_LINE.search(text)
        if match:
            # The comment may span lines (a JSX block comment): the next line is after its end.
            found.append(Suppression(node.end_point[0] + 2, _codes(match.group("codes")), text.strip(), node))
            continue
        match = _SAME_LINE.search(text)
        if match:
            found.append(Suppression(node.start_point[0] + 1, _codes(match.group("codes")), text.strip(), node))
    return found


def suppressions(source: SourceFile) -> dict[int, list[tuple[frozenset[str] | None, str]]]:
    """{1-based line: [(codes or None for all, comment text)]} from the file's comments."""
    by_line: dict[int, list] = {}
    for item in comments(source):
        codes = frozenset(item.codes) if item.codes is not None else None
        by_line.setdefault(item.line, []).append((codes, item.text))
    return by_line


def _silences(codes, finding: Finding) -> bool:
    return codes is None or finding.code in codes or finding.rule_name in codes


def apply_suppressions(source: SourceFile, findings: list[Finding], rules=None) -> None:
    """Mark the findings a comment silences. With `rules` (those run on this file) holding
    PF000, first add a PF000 finding for each unknown code and each suppression that silences
    nothing; PF000 findings can be silenced like any other."""
    items = comments(source) if findings or rules else []
    if not items:
        return
    about: dict[int, Suppression] = {}  # id(PF000 finding) -> the comment it is about
    if rules is not None and any(rule.code == UNUSED_SUPPRESSION for rule in rules):
        for item, finding in unused_suppressions(source, items, findings, rules):
            about[id(finding)] = item
            findings.append(finding)
    for finding in findings:
        for item in items:
            if about.get(id(finding)) is item and item.codes is None:
                continue  # a comment without codes does not silence the report that it is unused
            if item.line == finding.span.line and _silences(item.codes, finding):
                finding.suppressed_by = item.text
                break


def _looks_like_a_code(token: str) -> bool:
    """A code (PF2O1) or a rule name (mutaton-in-render); a plain word after the codes is the
    writer's reason, not a code."""
    return token[:2].upper() == "PF" or "-" in token.strip("-")


def unused_suppressions(source: SourceFile, items: list[Suppression], findings: list[Finding],
                        rules) -> list[tuple[Suppression, Finding]]:
    """PF000 findings, each with the comment it is about. A code whose rule did not run on this file (not selected, another
    language) is left alone: whether it would silence something is not known. A comment without
    codes is reported only when every rule of the file's language ran."""
    from perfscan.rules import all_rules

    known = all_rules()
    meta = next(rule for rule in rules if rule.code == UNUSED_SUPPRESSION)
    codes_of = {rule.code: rule.code for rule in known} | {rule.name: rule.code for rule in known}
    ran = {rule.code for rule in rules if source.family in rule.languages}
    all_ran = all(rule.code in ran for rule in known if source.family in rule.languages and rule is not meta
                  and not getattr(rule, "opt_in", False))
    out = []

    def report(item: Suppression, message: str) -> None:
        span = source.span(item.node)
        out.append((item, Finding(code=meta.code, rule_name=meta.name, level=meta.level, message=message,
                                  span=span, snippet=source.snippet(span))))

    for item in items:
        on_line = [f for f in findings if f.span.line == item.line and f.code != UNUSED_SUPPRESSION]
        if item.codes is None:
            if all_ran and not on_line:
                report(item, f"Unused suppression: no finding on line {item.line} to silence")
            continue
        for code in item.codes:
            rule_code = codes_of.get(code)
            if rule_code is None:
                if _looks_like_a_code(code):
                    report(item, f"Unknown rule code {code} in a suppression (see `perfscan rules`)")
                continue
            if rule_code == UNUSED_SUPPRESSION or rule_code not in ran:
                continue
            if not any(f.code == rule_code for f in on_line):
                report(item, f"Unused suppression: no {rule_code} finding on line {item.line} to silence")
    return out
