"""GitHub Actions workflow commands: one annotation per finding, shown on the pull request's
diff without a code scanning upload.

    ::error file=server/app.py,line=14,col=16,endLine=14,endColumn=33,title=PF201 blocking-call-in-async::message

Paths are relative to the repository root (where GitHub places annotations). Escaping follows
the runner's rules: in the message `%`, CR and LF; in a property also `:` and `,`.
"""

from __future__ import annotations

from .common import ReportOptions, reported, severity_key, unlinked

_COMMAND = {"error": "error", "warning": "warning", "note": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(result, options: ReportOptions | None = None) -> str:
    options = options or ReportOptions()
    paths = options.paths_for(result)
    lines = []
    for finding in sorted(reported(result, options), key=severity_key):
        s = finding.span
        properties = {
            "file": paths(s.path),
            "line": s.line,
            "col": s.col,
            "endLine": s.end_line,
            "endColumn": s.end_col,
            "title": f"{finding.code} {finding.rule_name}",
        }
        joined = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
        lines.append(f"::{_COMMAND.get(finding.level, 'warning')} {joined}::{escape_data(unlinked(finding.message))}\n")
    return "".join(lines)
