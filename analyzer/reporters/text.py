"""Text output for people, in the shape ruff made familiar:

    backend/app/routes/users.py:14:16: PF201 [*] error: `requests.get` blocks the event loop ...
       |
    14 |     response = requests.get(url)
       |                ^^^^^^^^^^^^^^^^^
       = fix available: replace with `await asyncio.sleep(...)`

followed by a summary: counts by level, then by rule. Findings come most severe first, then in
file order, so what to fix first is on top; with a profile (`--profile`), the most expensive
measured findings come first, each with a `= measured: ...` line. The level word is always written, on a terminal or
not, so piped and logged output keep it (`grep ' error:'`); the line still starts like ruff's,
`path:line:col: CODE`.
Suppressed findings, and with a baseline the findings in it, are not shown.
"""

from __future__ import annotations

import re
from collections import Counter

import click

from ..findings import Finding, Notification
from ..line_columns import snippet_start
from .common import reported, triage_key, unlinked


def plain_message(message: str) -> str:
    """`[the memo definition](1)` -> `the memo definition`: links are for SARIF viewers."""
    return terminal_safe(unlinked(message))


# C0 controls but tab, DEL and C1 controls: from the user's source (`"\x1b[2J"` in a string)
# they would drive the terminal. Shown escaped, as Python would write them.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def reconfigure_for_terminal(*streams) -> None:
    """A character the terminal's encoding lacks (`PYTHONIOENCODING=latin-1`) is written as a
    backslash escape instead of raising UnicodeEncodeError."""
    for stream in streams:
        if hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # detached or not a text stream we may reconfigure
                pass


_LEVEL_COLOR = {"error": "red", "warning": "yellow", "note": "cyan"}


def _caret_line(line_text: str, col: int, end_col: int, single_line: bool) -> str:
    start = max(col - 1, 0)
    end = end_col - 1 if single_line and end_col > col else len(line_text.rstrip())
    width = max(end - start, 1)
    # Keep tabs so the carets line up under the source text.
    prefix = "".join(c if c == "\t" else " " for c in line_text[:start])
    return prefix + "^" * width


def _describe_measured(measured: dict) -> str:
    # Imported here: only a run with profiles has measured findings (start-up time).
    from ..profiles.measure import describe

    return describe(measured)


def format_finding(finding: Finding, color: bool = False, show_source: bool = True) -> str:
    s = finding.span
    style = (lambda text, **kw: click.style(text, **kw)) if color else (lambda text, **kw: text)
    location = style(terminal_safe(f"{s.path}:{s.line}:{s.col}:"), bold=True)
    level = style(f"{finding.level}:", fg=_LEVEL_COLOR.get(finding.level, None), bold=True)
    code = style(finding.code, bold=True)
    fixable = " [*]" if finding.fix is not None and finding.fix.safe else ""
    lines = [f"{location} {code}{fixable} {level} {plain_message(finding.message)}"]
    measured = finding.properties.get("perfscan/measured")
    if isinstance(measured, dict) and not show_source:
        lines[0] += f" [{terminal_safe(_describe_measured(measured))}]"
    if show_source and finding.snippet:
        source_line = terminal_safe(finding.snippet.split("\n")[0])
        gutter = len(str(s.line))
        pad = " " * gutter
        lines.append(f"{pad} |")
        lines.append(f"{s.line} | {source_line}")
        # A long line's snippet starts later (an ellipsis, then the text before the span).
        shift = snippet_start(s.col)
        shift -= 1 if shift else 0
        carets = _caret_line(source_line, s.col - shift, s.end_col - shift, s.line == s.end_line)
        lines.append(f"{pad} | {style(carets, fg=_LEVEL_COLOR.get(finding.level))}")
        for related in finding.related:
            r = related.span
            lines.append(f"{pad} = {plain_message(related.message)}: {terminal_safe(r.path)}:{r.line}:{r.col}")
        if finding.flow:
            lines.append(f"{pad} = call chain:")
            for step in finding.flow:
                lines.append(f"{pad}     {terminal_safe(step.span.path)}:{step.span.line}:{step.span.col}: {plain_message(step.message)}")
        if finding.fix is not None:
            kind = "fix" if finding.fix.safe else "unsafe fix"
            lines.append(f"{pad} = {kind} available: {plain_message(finding.fix.description)}")
        if isinstance(measured, dict):
            lines.append(f"{pad} = {terminal_safe(_describe_measured(measured))}")
        lines.append("")
    return "\n".join(lines)


def format_notification(note: Notification) -> str:
    where = note.path or ""
    if note.path and note.line:
        where += f":{note.line}" + (f":{note.col}" if note.col else "")
    prefix = f"{where}: " if where else ""
    return terminal_safe(f"perfscan: {note.level}: {prefix}{note.message}")


def rule_statistics(findings: list[Finding]) -> list[dict]:
    """Per rule: how many findings and how many have a safe fix; most frequent first."""
    counts: Counter = Counter()
    fixable: Counter = Counter()
    names = {}
    for finding in findings:
        counts[finding.code] += 1
        fixable[finding.code] += finding.fix is not None and finding.fix.safe
        names[finding.code] = finding.rule_name
    order = sorted(counts, key=lambda code: (-counts[code], code))
    return [{"code": code, "name": names[code], "count": counts[code], "fixable": fixable[code]} for code in order]


def statistics_lines(findings: list[Finding], indent: str = "") -> list[str]:
    """`  2  PF201  blocking-call-in-async  (1 fixable)`: one line per rule, counts aligned."""
    rows = rule_statistics(findings)
    width = max((len(str(row["count"])) for row in rows), default=1)
    code_width = max((len(row["code"]) for row in rows), default=0)
    name_width = max((len(row["name"]) for row in rows), default=0)
    lines = []
    for row in rows:
        line = f"{indent}{row['count']:>{width}}  {row['code']:<{code_width}}  {row['name']:<{name_width}}"
        if row["fixable"]:
            line += f"  ({row['fixable']} fixable)"
        lines.append(line.rstrip())
    return lines


def summary_line(findings: list[Finding], suppressed: int, files_checked: int, in_baseline: int = 0) -> str:
    if not findings:
        text = f"No {'new ' * bool(in_baseline)}performance findings in {files_checked} file{'s' * (files_checked != 1)}."
    else:
        levels = Counter(f.level for f in findings)
        parts = [f"{levels[level]} {level}{'s' * (levels[level] != 1)}" for level in ("error", "warning", "note") if levels[level]]
        files = len({f.span.path for f in findings})
        text = (
            f"Found {len(findings)} {'new ' * bool(in_baseline)}finding{'s' * (len(findings) != 1)} ({', '.join(parts)}) "
            f"in {files} of {files_checked} checked file{'s' * (files_checked != 1)}.\n"
        )
        text += "\n".join(statistics_lines(findings, indent="  "))
        fixable = sum(1 for f in findings if f.fix is not None and f.fix.safe)
        if fixable:
            text += f"\n[*] {fixable} fixable with `perfscan check --fix` (preview with `--diff`)."
        grouped = [f for f in findings if f.properties.get("folded_callers")]
        if grouped:
            folded = sum(f.properties["folded_callers"] for f in grouped)
            text += (f"\n{folded} callers folded into {len(grouped)} finding{'s' * (len(grouped) != 1)} "
                     f"at the place that fixes them (listed as related locations).")
    if in_baseline:
        text += f"\n{in_baseline} in the baseline not shown."
    if suppressed:
        text += f"\n{suppressed} suppressed by inline comments."
    return text


def render_text(result, color: bool = False, show_source: bool = True, options=None) -> str:
    shown = sorted(reported(result, options), key=triage_key)
    active = result.active
    out = [format_finding(f, color=color, show_source=show_source) for f in shown]
    if out and not show_source:
        out.append("")
    out.append(summary_line(shown, len(result.findings) - len(active), result.files_checked, len(active) - len(shown)))
    return "\n".join(out) + "\n"


def render_statistics(result, options=None) -> str:
    """`--statistics`: the per-rule counts alone."""
    lines = statistics_lines(reported(result, options))
    return "".join(line + "\n" for line in lines)
