"""Every rule's examples are tests: must-flag examples at exact (line, column),
must-not-flag examples with no finding of that rule, and fixes where given."""

from __future__ import annotations

import textwrap

import pytest

from perfscan.engine import check_text
from perfscan.fixes import apply_edits, build_fixes
from perfscan.rules import all_rules

CASES = [
    pytest.param(rule, index, example, id=f"{rule.code}-{'flag' if example.flagged else 'ok'}-{index}")
    for rule in all_rules()
    for index, example in enumerate(rule.examples)
]


def _run(rule, example):
    path = rule.example_path(example)
    files = {path: example.source, **{p: textwrap.dedent(t).lstrip("\n") for p, t in example.files.items()}}
    measure = None
    if example.profile is not None:  # PF001: measured with the profile kept next to the example
        from perfscan.profiles import parse_profile
        from perfscan.profiles.measure import MeasureOptions

        measure = MeasureOptions([parse_profile("example-profile.json", example.profile.encode())])
    result = check_text(files, rules=[rule], measure=measure)
    assert not [n for n in result.notifications if n.kind == "internal-error"], result.notifications
    assert build_fixes(result) == []  # deferred fixes made, as for --fix or a report that carries them
    return path, result


@pytest.mark.parametrize("rule, index, example", CASES)
def test_example(rule, index, example):
    path, result = _run(rule, example)
    found = sorted((f.span.line, f.span.col) for f in result.findings if f.code == rule.code and f.span.path == path)
    assert found == sorted(example.flagged), "\n".join(
        [f"{f.span.line}:{f.span.col} {f.message}" for f in result.findings] or ["(no findings)"]
    )
    if example.fixed is not None:
        fixes = [f.fix for f in result.findings if f.code == rule.code and f.fix is not None]
        assert fixes, "example declares a fixed text but no finding carries a fix"
        edits = [edit for fix in fixes for edit in fix.edits]
        assert apply_edits(example.source, edits) == textwrap.dedent(example.fixed).lstrip("\n")


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_rule_is_complete(rule):
    assert rule.code[:2] == "PF" and len(rule.code) == 5
    assert rule.name == rule.name.lower() and " " not in rule.name
    for part in ("summary", "what_it_does", "why_slow", "how_to_measure", "use_instead"):
        assert getattr(rule, part, "").strip(), f"{rule.code} has no {part}"
    assert any(e.flagged for e in rule.examples), "needs a must-flag example"
    assert any(not e.flagged for e in rule.examples), "needs a must-not-flag example"
    page = rule.markdown()
    for heading in ("## What it does", "## Why is this slow", "## How to measure", "## Example", "## Use instead"):
        assert heading in page
