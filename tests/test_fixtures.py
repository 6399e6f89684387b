"""Each app under fixtures/ is checked end to end and its findings compared with
the `expected-findings.txt` checked in beside it (one `path:line:col: CODE` a line).

After an intended change, regenerate with:
    PERFSCAN_UPDATE_EXPECTED=1 pytest tests/test_fixtures.py
and review the diff of the expected file like any other change.
"""

from __future__ import annotations

import os

import pytest

from perfscan.config import Config
from perfscan.engine import run
from tests.conftest import FIXTURES

APPS = sorted(p.name for p in FIXTURES.iterdir() if (p / "expected-findings.txt").exists()) if FIXTURES.exists() else []


def findings_of(app_dir, monkeypatch) -> list[str]:
    monkeypatch.chdir(app_dir)
    result = run(["."], Config())
    assert not [n for n in result.notifications if n.level == "error"], result.notifications
    lines = [f"{f.span.path}:{f.span.line}:{f.span.col}: {f.code}" for f in result.active]
    lines += [f"{f.span.path}:{f.span.line}:{f.span.col}: {f.code} (suppressed)" for f in result.findings if f.suppressed_by]
    return sorted(lines)


@pytest.mark.parametrize("app", APPS)
def test_fixture_findings(app, monkeypatch):
    app_dir = FIXTURES / app
    expected_file = app_dir / "expected-findings.txt"
    actual = findings_of(app_dir, monkeypatch)
    if os.environ.get("PERFSCAN_UPDATE_EXPECTED"):
        header = [line for line in expected_file.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
        expected_file.write_text("".join(line + "\n" for line in header + actual), encoding="utf-8")
    expected = [line for line in expected_file.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    assert actual == expected


def test_demo_app_exists():
    assert "fullstack-demo" in APPS
