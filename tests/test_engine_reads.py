"""Files change between discovery and the engine's reads: a source swapped for a FIFO (a plain
open blocks until a writer comes) or grown past the size cap is reported as discovery would have,
never read, and every other file is checked -- in phase 1, in the cache look-up and when a
reporter reads the text of a checked file."""

from __future__ import annotations

import os

import pytest

from perfscan import engine
from perfscan.config import Config
from tests.conftest import write_tree
from tests.helpers_rules import CallNamedSlow

PROJECT = {
    "a.py": "slow()\n",
    "b.py": "def f():\n    slow()\n",
    "web/App.tsx": "export function App() {\n  slow();\n  return <div />;\n}\n",
}


HANG_GUARD_SECONDS = 30  # as this module's own guard had before it used the shared one
pytestmark = pytest.mark.usefixtures("hang_guard")  # a blocking open would otherwise hang the suite


@pytest.fixture
def test_rules(monkeypatch):
    monkeypatch.setattr(engine, "select_rules", lambda config, rules=None: [CallNamedSlow()])


def change_after_discovery(monkeypatch, change):
    """Discovery sees the tree as it is; `change` runs right after it."""
    real = engine.discover

    def discover_then_change(paths, config):
        found = real(paths, config)
        change()
        return found

    monkeypatch.setattr(engine, "discover", discover_then_change)


def swap_for_fifo(path):
    os.unlink(path)
    os.mkfifo(path)


def paths_of(result):
    return sorted(f.span.path for f in result.findings)


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("cached", [False, True])
def test_a_source_swapped_for_a_fifo_after_discovery_is_skipped(project, test_rules, monkeypatch, tmp_path, jobs, cached):
    write_tree(project, PROJECT)
    cache_dir = str(tmp_path / "cache") if cached else None
    if cached:  # the cache knows b.py: the look-up reads it to compare digests
        assert paths_of(engine.run(["."], Config(), jobs=1, cache_dir=cache_dir)) == sorted(PROJECT)
    change_after_discovery(monkeypatch, lambda: swap_for_fifo(project / "b.py"))

    result = engine.run(["."], Config(), jobs=jobs, cache_dir=cache_dir)

    assert paths_of(result) == ["a.py", "web/App.tsx"]
    assert [(n.path, n.kind, n.level) for n in result.notifications] == [("b.py", "special-file", "warning")]
    assert "named pipe" in result.notifications[0].message
    assert result.files_checked == 2


def test_a_source_grown_past_the_cap_after_discovery_is_not_read(project, test_rules, monkeypatch):
    write_tree(project, PROJECT)
    change_after_discovery(monkeypatch, lambda: (project / "b.py").write_text("slow()\n" + "#" * 5000 + "\n"))

    result = engine.run(["."], Config(max_file_size=1000), jobs=1)

    assert paths_of(result) == ["a.py", "web/App.tsx"]
    assert [(n.path, n.kind) for n in result.notifications] == [("b.py", "too-large")]
    assert "over the size cap of 1,000" in result.notifications[0].message


def test_a_checked_file_swapped_for_a_fifo_reads_as_empty(project, test_rules):
    write_tree(project, PROJECT)
    result = engine.run(["."], Config(), jobs=1)
    swap_for_fifo(project / "a.py")

    source = result.sources["a.py"]
    assert source.text == "" and source.data == b""
    assert result.sources["b.py"].text == PROJECT["b.py"]
