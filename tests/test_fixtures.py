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


@pytest.mark.parametrize("app", APPS)
def test_each_file_named_alone_keeps_its_cross_file_findings(app, monkeypatch, tmp_path):
    """pre-commit names only the changed files: the project index still comes from the whole
    project (through the cache), so a finding that needs another file's facts (a memoized child,
    a blocking helper in another module) is still reported, and only the named file is."""
    app_dir = FIXTURES / app
    monkeypatch.chdir(app_dir)
    expected = [line for line in (app_dir / "expected-findings.txt").read_text(encoding="utf-8").splitlines()
                if line and not line.startswith("#") and not line.endswith("(suppressed)")]
    cache_dir = str(tmp_path / "cache")
    for path in sorted({line.split(":")[0] for line in expected}):
        result = run([path], Config(), cache_dir=cache_dir)
        assert (result.files_checked, result.stats["files"]) == (1, 1)
        assert result.stats["project_files"] > 1
        assert sorted(f"{f.span.path}:{f.span.line}:{f.span.col}: {f.code}" for f in result.active) == [
            line for line in expected if line.startswith(path + ":")
        ], path


def test_a_named_folder_is_reported_with_the_whole_project_indexed(monkeypatch):
    app_dir = FIXTURES / "fullstack-demo"
    monkeypatch.chdir(app_dir)
    folder = "frontend/src/components"
    expected = [line for line in (app_dir / "expected-findings.txt").read_text(encoding="utf-8").splitlines()
                if line.startswith(folder + "/")]
    result = run([folder], Config())
    assert sorted(f"{f.span.path}:{f.span.line}:{f.span.col}: {f.code}" for f in result.active) == expected
    assert set(result.sources) == {rel for rel in result.sources if rel.startswith(folder + "/")}
    assert result.files_checked == result.stats["files"] == len(list((app_dir / folder).glob("*.ts*")))
    # Every file of the project was parsed for its summary, none of the others reported on.
    assert result.stats["parsed"] == result.stats["project_files"] > result.stats["files"]
