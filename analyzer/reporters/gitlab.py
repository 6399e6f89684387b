"""GitLab Code Quality report (a subset of the Code Climate JSON spec that GitLab reads):
one issue per finding, with a fingerprint that survives line moves, so the merge request
widget shows what a change introduced and what it fixed."""

from __future__ import annotations

import json

from .common import ReportOptions, fingerprints, reported, severity_key, unlinked

# GitLab's scale: info, minor, major, critical, blocker.
SEVERITY = {"note": "info", "warning": "minor", "error": "major"}


def render_gitlab(result, options: ReportOptions | None = None) -> str:
    options = options or ReportOptions()
    paths = options.paths_for(result)
    fingerprint_of = fingerprints(result, paths)
    issues = []
    for finding in sorted(reported(result, options), key=severity_key):
        issues.append({
            "type": "issue",
            "check_name": f"{finding.code} {finding.rule_name}",
            "description": f"{finding.code} {unlinked(finding.message)}",
            "categories": ["Performance"],
            "severity": SEVERITY.get(finding.level, "minor"),
            "fingerprint": fingerprint_of[id(finding)],
            "location": {"path": paths(finding.span.path), "lines": {"begin": finding.span.line, "end": finding.span.end_line}},
        })
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
