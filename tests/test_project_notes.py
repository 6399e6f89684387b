"""Project files the indexes did not read (a tsconfig `extends` outside the project, a FIFO) are run
notifications: once each, whichever processes asked, and again on a warm run that builds no index."""

from __future__ import annotations

import json
import os

import pytest

from perfscan import engine
from perfscan.config import Config
from tests.conftest import write_tree

CHILD = """
import { memo } from "react";
export const Child = memo(function Child({ onPick }: { onPick: () => void }) {
  return <button onClick={onPick}>pick</button>;
});
"""
APP = """
import { Child } from "@/Child";
export function App() {
  return <Child onPick={() => console.log("picked")} />;
}
"""
PROJECT = {
    "tsconfig.json": json.dumps({"extends": "../outside/base.json",
                                 "compilerOptions": {"baseUrl": ".", "paths": {"@/*": ["src/*"]}}}),
    "src/Child.tsx": CHILD,
    "src/App.tsx": APP,
    "src/Other.tsx": APP.replace("App", "Other"),
}


def config_notes(result):
    return [(n.path, n.kind, n.level) for n in result.notifications if n.kind == "config-file"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_extends_outside_the_project_is_one_notification_on_cold_and_warm_runs(tmp_path, monkeypatch, jobs):
    project = write_tree(tmp_path / "project", PROJECT)
    write_tree(tmp_path / "outside", {"base.json": "{}"})
    monkeypatch.chdir(project)
    cache_dir = str(tmp_path / "cache")

    cold = engine.run(["."], Config(), jobs=jobs, cache_dir=cache_dir)
    warm = engine.run(["."], Config(), jobs=jobs, cache_dir=cache_dir)

    for result in (cold, warm):
        assert config_notes(result) == [("../outside/base.json", "config-file", "warning")]
        # The alias still resolves: the memoized child across files is found from both callers.
        assert sorted((f.code, f.span.path) for f in result.active) == [("PF103", "src/App.tsx"), ("PF103", "src/Other.tsx")]
    assert warm.stats["findings_cached"] == 3 and warm.stats["parsed"] == 0


def test_the_notification_goes_when_the_tsconfig_no_longer_names_the_file(tmp_path, monkeypatch):
    project = write_tree(tmp_path / "project", PROJECT)
    monkeypatch.chdir(project)
    cache_dir = str(tmp_path / "cache")
    assert len(config_notes(engine.run(["."], Config(), jobs=1, cache_dir=cache_dir))) == 1

    settings = json.loads(PROJECT["tsconfig.json"])
    del settings["extends"]
    (project / "tsconfig.json").write_text(json.dumps(settings))

    assert config_notes(engine.run(["."], Config(), jobs=1, cache_dir=cache_dir)) == []
    assert config_notes(engine.run(["."], Config(), jobs=1, cache_dir=cache_dir)) == []


def test_a_fifo_the_index_did_not_read_is_an_input_of_the_cache(tmp_path, monkeypatch):
    """Once the FIFO is a readable file, the index reads it: the note goes, the findings follow it."""
    tree = dict(PROJECT, **{"tsconfig.json": json.dumps({"extends": "./base.json"})})
    project = write_tree(tmp_path / "project", tree)
    os.mkfifo(project / "base.json")
    monkeypatch.chdir(project)
    cache_dir = str(tmp_path / "cache")

    first = engine.run(["."], Config(), jobs=1, cache_dir=cache_dir)
    assert config_notes(first) == [("base.json", "config-file", "warning")]
    assert [f.code for f in first.active] == []  # "@/Child" does not resolve without base.json

    os.unlink(project / "base.json")
    (project / "base.json").write_text(json.dumps({"compilerOptions": {"baseUrl": ".", "paths": {"@/*": ["src/*"]}}}))
    second = engine.run(["."], Config(), jobs=1, cache_dir=cache_dir)
    assert config_notes(second) == []
    assert sorted(f.span.path for f in second.active) == ["src/App.tsx", "src/Other.tsx"]
