"""Parallel runs give the same results as in-process ones; the cache reuses
unchanged work, re-checks what changed (also across files), and never trusts a
bad cache file."""

from __future__ import annotations

import os
import pickle

import pytest
from click.testing import CliRunner

from perfscan import grammars
from perfscan import cache as cache_module
from perfscan import engine
from perfscan.cli import cli
from perfscan.config import Config
from perfscan.rule import Rule
from tests.conftest import FIXTURES, write_tree
from tests.helpers_rules import CallNamedSlow


class UsesSlowHelper(Rule):
    """Cross-file test rule: flags a Python file calling `slow_helper(` when
    another file's summary (in the project index) mentions `slow_helper`."""

    code = "PF998"
    name = "test-uses-slow-helper"
    languages = frozenset({"python"})
    summary = "test rule"
    what_it_does = why_slow = how_to_measure = use_instead = "test"

    def check(self, ctx):
        if "slow_helper(" not in ctx.source.text:
            return ()
        if any("slow_helper" in repr(s) for p, s in ctx.index.python.items() if p != ctx.source.rel_path):
            ctx.report(ctx.source.tree.root_node, "calls `slow_helper`")
        return ()


TEST_RULES = [CallNamedSlow(), UsesSlowHelper()]


def plain(result):
    findings = [(f.span, f.code, f.message, f.related, f.flow, f.fix, f.suppressed_by) for f in result.findings]
    return findings, list(result.notifications), result.files_checked


@pytest.fixture
def test_rules(monkeypatch):
    monkeypatch.setattr(engine, "select_rules", lambda config, rules=None: list(rules or TEST_RULES))


@pytest.fixture
def parses(monkeypatch):
    """Paths parsed in this process (the cache tests run with jobs=1)."""
    seen = []
    original = grammars.parse

    def counting(language, data):
        seen.append((language, data))
        return original(language, data)

    monkeypatch.setattr(grammars, "parse", counting)
    return seen


PROJECT = {
    "app.py": "from helpers import slow_helper\n\nslow()\nslow_helper()\n",
    "helpers.py": "def fast_helper():\n    return 1\n",
    "other.py": "def f():\n    slow()\n",
    "web/App.tsx": "export function App() {\n  slow();\n  return <div />;\n}\n",
    "broken.py": "def f(:\n    slow()\n",
    "latin.py": "x = 'caf\xe9'\n".encode("latin-1"),
}


def test_jobs_1_and_2_agree_on_the_fixture_apps(monkeypatch):
    apps = [p for p in FIXTURES.iterdir() if p.is_dir()]
    assert apps
    for app in apps:
        monkeypatch.chdir(app)
        one = engine.run(["."], Config(), jobs=1)
        two = engine.run(["."], Config(), jobs=2)
        assert two.stats["workers"] == 2
        assert plain(one) == plain(two)
        assert sorted(one.sources) == sorted(two.sources)


def test_jobs_1_and_2_agree_with_cross_file_rules_and_bad_files(project, test_rules):
    write_tree(project, {**PROJECT, "helpers.py": "def slow_helper():\n    pass\n"})
    one = engine.run(["."], Config(), jobs=1)
    two = engine.run(["."], Config(), jobs=2)
    assert plain(one) == plain(two)
    assert ("app.py", "PF998") in {(f.span.path, f.code) for f in two.findings}
    kinds = {(n.path, n.kind) for n in two.notifications}
    assert {("broken.py", "partial-parse"), ("latin.py", "decode")} <= kinds
    # Sources come back without trees; their text is read when a reporter asks.
    assert two.sources["app.py"].tree is None and two.sources["app.py"].text.startswith("from helpers")


def test_small_runs_stay_in_process_by_default(project, test_rules):
    write_tree(project, PROJECT)
    assert engine.run(["."], Config(), jobs=None).stats["workers"] == 1
    assert engine.worker_count(None, 100 * engine.MIN_BYTES_PER_WORKER, 500) == (os.cpu_count() or 1)


def test_warm_run_parses_nothing_and_gives_the_same_results(project, test_rules, parses, tmp_path):
    write_tree(project, PROJECT)
    cache_dir = str(tmp_path / "cache")
    cold = engine.run(["."], Config(), cache_dir=cache_dir)
    parsed_cold = len(parses)
    assert parsed_cold == 5 and cold.stats["parsed"] == 5  # latin.py cannot be decoded
    warm = engine.run(["."], Config(), cache_dir=cache_dir)
    assert len(parses) == parsed_cold  # nothing parsed
    assert warm.stats["findings_cached"] == 5
    assert plain(warm) == plain(cold)


def test_changed_file_is_rechecked(project, test_rules, parses, tmp_path):
    write_tree(project, PROJECT)
    cache_dir = str(tmp_path / "cache")
    engine.run(["."], Config(), cache_dir=cache_dir)
    (project / "other.py").write_text("def f():\n    pass\n\n\nslow()\n")
    before = len(parses)
    result = engine.run(["."], Config(), cache_dir=cache_dir)
    assert [p for p in parses[before:]] == [("python", b"def f():\n    pass\n\n\nslow()\n")]
    assert ("other.py", 5) in {(f.span.path, f.span.line) for f in result.findings}
    assert ("other.py", 2) not in {(f.span.path, f.span.line) for f in result.findings}


def test_cross_file_change_rechecks_the_dependent_file_only_in_its_language(project, test_rules, parses, tmp_path):
    write_tree(project, PROJECT)
    cache_dir = str(tmp_path / "cache")
    first = engine.run(["."], Config(), cache_dir=cache_dir)
    assert "PF998" not in {f.code for f in first.findings}
    (project / "helpers.py").write_text("def slow_helper():\n    pass\n")  # app.py itself unchanged
    before = len(parses)
    second = engine.run(["."], Config(), cache_dir=cache_dir)
    assert ("app.py", "PF998") in {(f.span.path, f.code) for f in second.findings}
    languages = [language for language, _ in parses[before:]]
    assert "tsx" not in languages  # the TSX index did not change
    # helpers.py (changed) and app.py, whose test rule reads the index directly, so what its
    # findings depend on is unknown; other.py and broken.py asked nothing: their findings stand,
    # and so do web/App.tsx's (the TSX rules read the Python summaries too: the route map).
    assert len(languages) == 2
    assert second.stats["findings_replayed"] == 3
    uncached = engine.run(["."], Config())
    assert plain(second) == plain(uncached)


def _cache_file(cache_dir) -> str:
    [name] = [n for n in os.listdir(cache_dir) if n.startswith("files-")]
    return os.path.join(cache_dir, name)


def test_corrupt_cache_is_ignored_and_rebuilt(project, test_rules, parses, tmp_path):
    write_tree(project, PROJECT)
    cache_dir = str(tmp_path / "cache")
    cold = engine.run(["."], Config(), cache_dir=cache_dir)
    path = _cache_file(cache_dir)
    blob = bytearray(open(path, "rb").read())
    blob[-10] ^= 0xFF  # the checksum no longer matches
    open(path, "wb").write(bytes(blob))
    before = len(parses)
    again = engine.run(["."], Config(), cache_dir=cache_dir)
    assert len(parses) - before == 5 and plain(again) == plain(cold)
    before = len(parses)
    engine.run(["."], Config(), cache_dir=cache_dir)
    assert len(parses) == before  # rebuilt and valid again
    open(path, "wb").write(b"not a cache at all")
    assert plain(engine.run(["."], Config(), cache_dir=cache_dir)) == plain(cold)


class _Boom:
    def __reduce__(self):
        return (exec, ("import os; os.environ['PERFSCAN_CACHE_PWNED'] = '1'",))


def test_foreign_objects_in_a_well_formed_cache_are_never_loaded(project, test_rules, tmp_path):
    write_tree(project, PROJECT)
    cache_dir = str(tmp_path / "cache")
    engine.run(["."], Config(), cache_dir=cache_dir)
    path = _cache_file(cache_dir)
    payload = pickle.dumps({"root": str(project), "code_key": cache_module.code_key(), "entries": _Boom()}, protocol=5)
    # Authenticated with this user's key: the unpickler itself must refuse the object.
    digest = cache_module._mac(cache_module.secret_key(cache_dir), payload)
    open(path, "wb").write(cache_module.MAGIC + digest + payload)
    result = engine.run(["."], Config(), cache_dir=cache_dir)
    assert "PERFSCAN_CACHE_PWNED" not in os.environ
    assert result.stats["summaries_cached"] == 0 and result.files_checked == 5


def test_changed_rule_set_reuses_summaries_but_not_findings(project, monkeypatch, parses, tmp_path):
    write_tree(project, PROJECT)
    cache_dir = str(tmp_path / "cache")
    monkeypatch.setattr(engine, "select_rules", lambda config, rules=None: [CallNamedSlow()])
    engine.run(["."], Config(), cache_dir=cache_dir)
    monkeypatch.setattr(engine, "select_rules", lambda config, rules=None: list(TEST_RULES))
    result = engine.run(["."], Config(), cache_dir=cache_dir)
    assert result.stats["summaries_cached"] == 5 and result.stats["findings_cached"] == 0
    assert plain(result) == plain(engine.run(["."], Config()))


def invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cli_default_cache_lives_in_the_project_root_with_a_gitignore(project):
    write_tree(project, {"app.py": "import time\n\n\nasync def f():\n    time.sleep(1)\n"})
    first = invoke("check", ".", "--format", "sarif")
    ignore = project / ".perfscan_cache" / ".gitignore"
    assert ignore.read_text().splitlines()[-1] == "*"
    second = invoke("check", ".", "--format", "sarif")
    assert first.exit_code == second.exit_code == 1
    assert first.output == second.output  # SARIF from cached findings: same fingerprints, same text
    assert "perfscan [" not in second.output  # no progress bar when stderr is not a terminal


def test_cli_no_cache_and_cache_dir_elsewhere_write_nothing_into_the_tree(project, tmp_path_factory):
    write_tree(project, {"app.py": "x = 1\n"})
    assert invoke("check", ".", "--no-cache").exit_code == 0
    assert not (project / ".perfscan_cache").exists()
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    assert invoke("check", ".", "--cache-dir", str(elsewhere / "c"), "--jobs", "2").exit_code == 0
    assert sorted(os.listdir(project)) == ["app.py"]
    assert (elsewhere / "c" / ".gitignore").exists()
    assert any(n.startswith("files-") for n in os.listdir(elsewhere / "c"))


class _SettingsIndex:
    """A derived index that reads a non-source project file, like tsconfig paths."""

    def __init__(self, index):
        with open(os.path.join(index.root, "conf", "flags.txt"), encoding="utf-8") as handle:
            self.strict = "strict" in handle.read()

    def project_inputs(self):
        return ["conf/flags.txt"]


class StrictModeSlow(Rule):
    code = "PF997"
    name = "test-strict-mode"
    languages = frozenset({"python"})
    summary = "test rule"
    what_it_does = why_slow = how_to_measure = use_instead = "test"

    def check(self, ctx):
        if ctx.index.get_derived("test.settings", _SettingsIndex).strict:
            ctx.report(ctx.source.tree.root_node, "strict")
        return ()


@pytest.mark.parametrize("jobs", [1, 2])
def test_change_of_a_project_file_an_index_read_rechecks(project, monkeypatch, tmp_path, jobs):
    write_tree(project, {"a.py": "x = 1\n", "b.py": "y = 2\n", "conf/flags.txt": "relaxed\n"})
    monkeypatch.setattr(engine, "select_rules", lambda config, rules=None: [StrictModeSlow()])
    cache_dir = str(tmp_path / "cache")
    assert engine.run(["."], Config(), jobs=jobs, cache_dir=cache_dir).findings == []
    assert engine.run(["."], Config(), jobs=jobs, cache_dir=cache_dir).stats["parsed"] == 0
    (project / "conf" / "flags.txt").write_text("strict\n")
    result = engine.run(["."], Config(), jobs=jobs, cache_dir=cache_dir)
    assert sorted(f.span.path for f in result.findings) == ["a.py", "b.py"]


def test_warm_run_over_an_unchanged_tree_rewrites_no_cache(project, test_rules, tmp_path):
    write_tree(project, PROJECT)
    cache_dir = str(tmp_path / "cache")
    engine.run(["."], Config(), cache_dir=cache_dir)
    path = _cache_file(cache_dir)
    os.utime(path, ns=(1, 1))
    engine.run(["."], Config(), cache_dir=cache_dir)
    assert os.stat(path).st_mtime_ns == 1
    (project / "other.py").write_text("z = 3\n")
    engine.run(["."], Config(), cache_dir=cache_dir)
    assert os.stat(path).st_mtime_ns != 1


def test_summary_digests_are_the_same_in_every_process():
    """A digest that changed from process to process would invalidate every cached
    finding on each run (pickle output depends on object identity, not just value)."""
    import subprocess
    import sys

    from tests.conftest import FIXTURES, REPO

    script = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from perfscan.config import Config\n"
        "from perfscan.discovery import discover\n"
        "from perfscan.engine import load_source\n"
        "from perfscan.facts import build_facts\n"
        "from perfscan.cache import summary_digest\n"
        "import os; os.chdir(sys.argv[2])\n"
        "for f in discover(['.'], Config()).files:\n"
        "    s, _ = load_source(f)\n"
        "    print(f.rel_path, summary_digest(build_facts(s).summary()).hex())\n"
    )
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script, str(REPO), str(FIXTURES / "fullstack-demo")],
            capture_output=True, text=True, env=env, timeout=120,
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] and outputs[0].count("\n") >= 20


def _rewrite_cache(path, change) -> None:
    """Apply `change(data)` to a cache file's payload, keeping it well formed (authenticated with
    this user's key)."""
    import io

    blob = open(path, "rb").read()
    header = len(cache_module.MAGIC) + 32
    data = cache_module._PlainUnpickler(io.BytesIO(blob[header:])).load()
    change(data)
    payload = pickle.dumps(data, protocol=5)
    digest = cache_module._mac(cache_module.secret_key(os.path.dirname(path)), payload)
    open(path, "wb").write(cache_module.MAGIC + digest + payload)


def test_an_unchanged_tree_never_unpickles_summaries(project, test_rules, tmp_path, monkeypatch):
    write_tree(project, PROJECT)
    cache_dir = str(tmp_path / "cache")
    cold = engine.run(["."], Config(), cache_dir=cache_dir)
    unpickled = []
    original = cache_module.Entry._unpickle
    monkeypatch.setattr(cache_module.Entry, "_unpickle", lambda entry: unpickled.append(entry._blob is not None)
                        or original(entry))
    warm = engine.run(["."], Config(), cache_dir=cache_dir)
    assert not any(unpickled) and plain(warm) == plain(cold)
    (project / "helpers.py").write_text("def slow_helper():\n    pass\n")  # the Python index changes
    engine.run(["."], Config(), cache_dir=cache_dir)
    assert any(unpickled)


def test_foreign_objects_in_a_summary_blob_restart_the_run_without_the_cache(project, test_rules, parses, tmp_path):
    write_tree(project, PROJECT)
    cache_dir = str(tmp_path / "cache")
    engine.run(["."], Config(), cache_dir=cache_dir)

    def poison(data):
        plain_entry = list(data["entries"]["other.py"])
        plain_entry[3] = pickle.dumps((_Boom(), None), protocol=5)  # the (summary, trace) blob
        data["entries"]["other.py"] = tuple(plain_entry)

    _rewrite_cache(_cache_file(cache_dir), poison)
    (project / "helpers.py").write_text("def slow_helper():\n    pass\n")  # summaries are needed now
    before = len(parses)
    result = engine.run(["."], Config(), cache_dir=cache_dir)
    assert "PERFSCAN_CACHE_PWNED" not in os.environ
    assert len(parses) - before >= 5  # started over: every readable file parsed
    assert plain(result) == plain(engine.run(["."], Config()))
    before = len(parses)
    engine.run(["."], Config(), cache_dir=cache_dir)
    assert len(parses) == before  # the rewritten cache is whole again
