"""JSON output: the findings and notifications as plain data."""

from __future__ import annotations

import json
from dataclasses import asdict

from .. import __version__
from ..fixes import build_fixes


def _span(span) -> dict:
    return {"path": span.path, "line": span.line, "col": span.col, "end_line": span.end_line, "end_col": span.end_col}


def finding_data(finding) -> dict:
    data = {
        "code": finding.code,
        "name": finding.rule_name,
        "level": finding.level,
        "message": finding.message,
        **_span(finding.span),
        "snippet": finding.snippet,
        "related": [{"message": r.message, **_span(r.span)} for r in finding.related],
        "flow": [{"message": s.message, **_span(s.span)} for s in finding.flow],
        "fix": None,
        "suppressed": finding.suppressed_by is not None,
        "suppressed_by": finding.suppressed_by,
        "properties": finding.properties,
    }
    if finding.fix is not None:
        data["fix"] = {
            "description": finding.fix.description,
            "safe": finding.fix.safe,
            "edits": [{"new_text": e.new_text, **_span(e.span)} for e in finding.fix.edits],
        }
    return data


def render_json(result, options=None) -> str:
    """With a baseline (options.baseline), each finding says whether it is `new` or `unchanged`
    (`baseline_state`) and the baseline's fixed entries are listed under `baseline.absent`."""
    build_fixes(result)  # the output carries the fixes' edits
    baseline = options.baseline if options is not None else None
    findings = []
    for finding in result.findings:
        data = finding_data(finding)
        if baseline is not None:
            data["baseline_state"] = baseline.state_of(finding)
        findings.append(data)
    document = {
        "tool": {"name": "perfscan", "version": __version__},
        "root": result.root,
        "files_checked": result.files_checked,
        "findings": findings,
        "notifications": [asdict(n) for n in result.notifications],
    }
    if baseline is not None:
        document["baseline"] = {
            "path": baseline.path,
            "absent": [{"path": e.path, "code": e.code, "fingerprint": e.fingerprint, "message": e.message}
                       for e in baseline.absent],
        }
    return json.dumps(document, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
