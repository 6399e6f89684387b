"""A worker process that dies outright (a segfault in native code, os._exit, the OOM killer) is
treated like a timeout: the file it was on is reported as "crashed" with the signal or exit code,
not cached, its worker replaced, and every other file's findings come out."""

from __future__ import annotations

import faulthandler
import json
import os
import signal

import pytest
from click.testing import CliRunner

from perfscan import engine
from perfscan.cli import cli
from perfscan.config import Config
from perfscan.rule import Rule
from tests.conftest import write_tree
from tests.helpers_rules import CallNamedSlow

TEST_PROCESS = os.getpid()
CRASH = {"on": True}


class CrashesTheWorker(Rule):
    """Ends its process on a file holding CRASH_EXIT (phase 1: os._exit(3)), or CRASH_SEGV once
    the project index has other files (phase 2: SIGSEGV). Never in the test process itself."""

    code = "PF996"
    name = "test-crashes-the-worker"
    languages = frozenset({"python", "tsx"})
    summary = "test rule"
    what_it_does = why_slow = how_to_measure = use_instead = "test"

    def check(self, ctx):
        if not CRASH["on"] or os.getpid() == TEST_PROCESS:
            return ()
        text = ctx.source.text
        if "CRASH_EXIT" in text:
            os._exit(3)
        if "CRASH_SEGV" in text and ctx.index.python:
            faulthandler.disable()  # pytest's handler would print this process's stack
            os.kill(os.getpid(), signal.SIGSEGV)
        return ()


RULES = [CallNamedSlow(), CrashesTheWorker()]
# The crashing files are the largest, so workers (largest first) meet them before the others.
PROJECT = {
    "exits.py": "CRASH_EXIT = 1\nslow()\n" + "# padding\n" * 50,
    "segv.py": "CRASH_SEGV = 1\nslow()\n" + "# padding\n" * 40,
    "web/App.tsx": "export function App() {\n  slow();\n  return <div />;\n}\n",
    **{f"pkg/m{i}.py": f"def f{i}():\n    slow()\n" for i in range(12)},
}
CHECKED = sorted(rel for rel in PROJECT if rel not in ("exits.py", "segv.py"))


@pytest.fixture
def crashing_rules(monkeypatch):
    monkeypatch.setattr(engine, "select_rules", lambda config, rules=None: list(rules or RULES))
    monkeypatch.setitem(CRASH, "on", True)


pytestmark = pytest.mark.usefixtures("hang_guard")  # a run waiting on a dead worker would hang


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_crashed_worker_is_reported_replaced_and_every_other_file_checked(project, crashing_rules, tmp_path, jobs):
    write_tree(project, PROJECT)
    cache_dir = str(tmp_path / "cache")

    # A file time limit puts even --jobs 1 in a worker process (as the CLI's default does).
    result = engine.run(["."], Config(), jobs=jobs, cache_dir=cache_dir, file_timeout=30)

    crashed = {n.path: n.message for n in result.notifications if n.kind == "crashed"}
    assert sorted(crashed) == ["exits.py", "segv.py"]
    assert "(exit code 3)" in crashed["exits.py"]
    assert "(signal SIGSEGV)" in crashed["segv.py"]
    assert all(n.level == "error" for n in result.notifications if n.kind == "crashed")
    assert sorted(f.span.path for f in result.findings) == CHECKED
    assert result.files_checked == len(CHECKED)
    assert result.stats["workers"] == jobs
    assert (result.stats["crashed"], result.stats["timed_out"], result.stats["workers_replaced"]) == (2, 0, 2)

    # Neither crashed file was cached: the next run checks both, replays everyone else.
    CRASH["on"] = False
    again = engine.run(["."], Config(), jobs=1, cache_dir=cache_dir)
    assert again.stats["summaries_cached"] == len(CHECKED)
    assert again.stats["findings_cached"] == len(CHECKED)
    assert sorted(f.span.path for f in again.findings) == sorted(PROJECT)
    assert not [n for n in again.notifications if n.kind == "crashed"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_cli_reports_a_crash_like_a_timeout(project, crashing_rules, jobs):
    write_tree(project, {"exits.py": "CRASH_EXIT = 1\n", "ok.py": "slow()\n"})
    args = ["check", ".", "--no-cache", "--jobs", jobs]

    out = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert out.exit_code == 1, out.output  # the findings decide, as with a timeout
    report = json.loads(out.stdout)
    assert [(n["path"], n["kind"], n["level"]) for n in report["notifications"]] == [("exits.py", "crashed", "error")]
    assert [f["path"] for f in report["findings"]] == ["ok.py"]
    assert report["files_checked"] == 1
    assert "perfscan: error: exits.py: checking this file crashed the worker process (exit code 3)" in out.stderr

    sarif = json.loads(CliRunner().invoke(cli, [*args, "--format", "sarif"]).stdout)
    notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [(n["descriptor"]["id"], n["level"], n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
            for n in notes] == [("crashed", "error", "exits.py")]
