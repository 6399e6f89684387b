"""The per-file watchdog: a file whose check does not end is reported and skipped, its worker
replaced, and every other file's findings and cache entries come out as without it.

The stuck rule loops inside the regex engine (C code a Python signal cannot interrupt): only
stopping the process that runs it ends it.
"""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from perfscan import engine
from perfscan.cli import cli
from perfscan.config import Config
from perfscan.reporters.sarif import build_sarif
from perfscan.rule import Rule
from tests.conftest import write_tree
from tests.helpers_rules import CallNamedSlow

# Exponential backtracking: on 60 a's and a b this match would run for centuries.
CATASTROPHIC = re.compile(r"(a|aa)+$")
STUCK = {"on": True}


class LoopsInTheRegexEngine(Rule):
    """Never ends on a file holding STUCK_EARLY (phase 1), or STUCK_LATE once the project index
    has other files (phase 2: early, the index is empty; reading it directly is not replayable,
    so the file is checked again against the full index)."""

    code = "PF997"
    name = "test-loops-in-the-regex-engine"
    languages = frozenset({"python", "tsx"})
    summary = "test rule"
    what_it_does = why_slow = how_to_measure = use_instead = "test"

    def check(self, ctx):
        text = ctx.source.text
        if STUCK["on"] and ("STUCK_EARLY" in text or ("STUCK_LATE" in text and ctx.index.python)):
            CATASTROPHIC.match("a" * 60 + "b")
        return ()


RULES = [CallNamedSlow(), LoopsInTheRegexEngine()]
# The stuck file is the largest, so workers (largest first) meet it before the others.
PROJECT = {
    "stuck.py": "STUCK_EARLY = 1\nslow()\n" + "# padding\n" * 50,
    "late.py": "STUCK_LATE = 1\nslow()\n",
    "web/App.tsx": "export function App() {\n  slow();\n  return <div />;\n}\n",
    **{f"pkg/m{i}.py": f"def f{i}():\n    slow()\n" for i in range(12)},
}
CHECKED = sorted(rel for rel in PROJECT if rel not in ("stuck.py", "late.py"))


@pytest.fixture
def stuck_rules(monkeypatch):
    monkeypatch.setattr(engine, "select_rules", lambda config, rules=None: list(rules or RULES))
    monkeypatch.setitem(STUCK, "on", True)


pytestmark = pytest.mark.usefixtures("hang_guard")  # a broken watchdog would hang the suite


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_stuck_file_is_reported_and_every_other_file_checked(project, stuck_rules, tmp_path, jobs):
    write_tree(project, PROJECT)
    cache_dir = str(tmp_path / "cache")

    result = engine.run(["."], Config(), jobs=jobs, cache_dir=cache_dir, file_timeout=1)

    timeouts = sorted(n.path for n in result.notifications if n.kind == "timeout")
    assert timeouts == ["late.py", "stuck.py"]
    assert all(n.level == "error" for n in result.notifications if n.kind == "timeout")
    assert sorted(f.span.path for f in result.findings) == CHECKED
    assert {f.code for f in result.findings} == {"PF999"}
    assert result.files_checked == len(CHECKED)
    assert result.stats["workers"] == jobs
    # One worker stuck in phase 1, one in phase 2: each replaced, the run went on.
    assert result.stats["workers_replaced"] == 2
    assert result.stats["timed_out"] == 2

    # SARIF carries the timeouts as tool notifications at the file.
    sarif = build_sarif(result, RULES)
    notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    located = {
        n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for n in notes
        if n["descriptor"]["id"] == "timeout"
    }
    assert located == {"late.py", "stuck.py"}

    # Neither stuck file was cached as checked: the next run (in this process, rule no longer
    # stuck) extracts and checks both again, and replays everyone else's findings.
    STUCK["on"] = False
    again = engine.run(["."], Config(), jobs=1, cache_dir=cache_dir)
    assert again.stats["summaries_cached"] == len(CHECKED)
    assert again.stats["findings_cached"] == len(CHECKED)
    assert sorted(f.span.path for f in again.findings) == sorted(PROJECT)
    assert not [n for n in again.notifications if n.kind == "timeout"]


def test_cli_reports_the_timeout_and_exits_as_the_findings_alone_give(project, stuck_rules):
    write_tree(project, {"stuck.py": "STUCK_EARLY = 1\n", "clean.py": "def f():\n    return 1\n"})

    out = CliRunner().invoke(cli, ["check", ".", "--format", "json", "--no-cache", "--jobs", "1", "--file-timeout", "1"])

    assert out.exit_code == 0, out.output  # an error notification, but no finding
    report = json.loads(out.stdout)
    assert [(n["path"], n["kind"], n["level"]) for n in report["notifications"]] == [("stuck.py", "timeout", "error")]
    assert report["files_checked"] == 1
    assert "stuck.py: checking this file took longer than 1 s" in out.stderr


def test_file_timeout_comes_from_the_config_and_0_means_none(project):
    from perfscan.config import ConfigError, load_config

    (project / "pyproject.toml").write_text("[tool.perfscan]\nfile-timeout = 2.5\n")
    assert load_config(str(project / "pyproject.toml")).file_timeout == 2.5
    assert load_config(None).file_timeout == 20
    assert load_config(str(project / "pyproject.toml")).merged(file_timeout=0).file_timeout == 0
    (project / "pyproject.toml").write_text("[tool.perfscan]\nfile-timeout = -1\n")
    with pytest.raises(ConfigError, match="file-timeout"):
        load_config(str(project / "pyproject.toml"))
