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


def render_json(result) -> str:
    build_fixes(result)  # the output carries the fixes' edits
    document = {
        "tool": {"name": "perfscan", "version": __version__},
        "root": result.root,
        "files_checked": result.files_checked,
        "findings": [finding_data(f) for f in result.findings],
        "notifications": [asdict(n) for n in result.notifications],
    }
    return json.dumps(document, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
