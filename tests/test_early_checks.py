"""Early checks: a Python file is checked right after it is parsed, against an index without
the other files, with the rules' questions recorded; phase 2 only replays the questions. The
findings must be exactly those of a check against the full index, whichever way it goes."""

from __future__ import annotations

import pytest

from perfscan import grammars
from perfscan import engine
from perfscan.config import Config
from perfscan.facts.python import Route
from perfscan.project import ProjectIndex, RecordingIndex, is_plain, question
from tests.conftest import FIXTURES, write_tree
from tests.test_parallel_cache import plain


@question
def files_under(index, prefix: str) -> int:
    return sum(1 for rel in index.python if rel.startswith(prefix))


def test_questions_are_recorded_and_replayed_against_the_real_index():
    early = RecordingIndex(ProjectIndex.build("/p", {}))
    assert files_under(early, "app/") == 0
    assert early.trace == {(files_under.__wrapped__, ("app/",)): 0}
    unchanged = ProjectIndex.build("/p", {"lib/x.py": ("python", {})})
    changed = ProjectIndex.build("/p", {"app/x.py": ("python", {})})
    assert early.holds(unchanged)
    assert not early.holds(changed)
    # The real index answers directly, recording nothing.
    assert files_under(changed, "app/") == 1


def test_any_other_use_of_the_index_cannot_be_verified():
    early = RecordingIndex(ProjectIndex.build("/p", {}))
    assert early.python == {}  # read directly, not through a question
    assert early.opaque and not early.holds(ProjectIndex.build("/p", {}))


def test_arguments_must_be_plain_data():
    tree = grammars.parse("python", b"x = 1\n")
    assert is_plain(("a", 1, None, (True, 2.5)))
    assert not is_plain(Route("fastapi", ("GET",), "/users", "app.main.app", False))  # the cache stores built-ins only
    assert not is_plain(["a"]) and not is_plain({"a": 1}) and not is_plain(frozenset()) and not is_plain(tree.root_node)

    @question
    def first_name(index, names):
        return names[0]

    early = RecordingIndex(ProjectIndex.build("/p", {}))
    assert first_name(early, ["a"]) == "a"
    assert early.opaque and not early.trace


BLOCKING_HELPER = {
    "app/helpers.py": """
        import requests

        def fetch_rates():
            return requests.get("https://rates.example/api").json()
    """,
    "app/routes.py": """
        from fastapi import APIRouter
        from app.helpers import fetch_rates

        router = APIRouter()

        @router.get("/rates")
        async def rates():
            return fetch_rates()
    """,
    "app/quiet.py": """
        async def ping():
            return "pong"
    """,
}


@pytest.mark.parametrize("memory_mb", [None, 1])
def test_a_check_that_asked_about_another_file_is_redone(project, monkeypatch, memory_mb):
    write_tree(project, BLOCKING_HELPER)
    early = engine.run(["."], Config(), jobs=1, memory_mb=memory_mb)
    assert early.stats["early_redone"] == 1  # routes.py: fetch_rates blocks, which only the index knows
    assert early.stats["early_kept"] == 2
    # Under a tiny memory cap no tree was kept: the redone file is parsed again.
    assert early.stats["reparsed"] == (1 if memory_mb else 0)
    found = [(f.span.path, f.span.line, f.span.col, f.code) for f in early.findings]
    assert found == [("app/routes.py", 8, 12, "PF201")]
    assert early.findings[0].message.startswith("`fetch_rates` blocks the event loop in async route `GET /rates`")

    monkeypatch.setattr(engine, "EARLY_CHECK_FAMILIES", frozenset())
    late = engine.run(["."], Config(), jobs=1, memory_mb=memory_mb)
    assert late.stats["early_kept"] == late.stats["early_redone"] == 0
    assert plain(early) == plain(late)


@pytest.mark.parametrize("jobs", [1, 2])
def test_early_checks_change_no_finding_of_the_fixture_apps(monkeypatch, jobs):
    apps = [p for p in FIXTURES.iterdir() if p.is_dir()]
    for app in apps:
        monkeypatch.chdir(app)
        with monkeypatch.context() as patched:
            patched.setattr(engine, "EARLY_CHECK_FAMILIES", frozenset())
            late = engine.run(["."], Config(), jobs=1)
        early = engine.run(["."], Config(), jobs=jobs)
        assert plain(early) == plain(late), app.name
        if (app / "backend").is_dir():
            assert early.stats["early_kept"] > 0


def test_checked_files_leave_no_cyclic_garbage(project):
    """Facts are released once a file is checked: reference counting frees them and their
    trees at once, so the cyclic collector (rarely run, see engine.tune_gc) has nothing to do."""
    import gc

    write_tree(project, BLOCKING_HELPER)  # Python only: no family switch, whose gc.collect() would hide it
    engine.run(["."], Config(), jobs=1)  # first use creates a few classes and caches
    gc.collect()
    gc.disable()
    try:
        result = engine.run(["."], Config(), jobs=1)
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        kinds = {type(o).__name__ for o in gc.garbage}
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert result.stats["early_redone"] == 1 and result.files_checked == 3
    assert not kinds & {"PythonFacts", "FunctionFact", "CallFact", "Binding", "DbFacts", "TsxFacts", "Tree", "Node"}


def test_cached_findings_of_unchanged_files_stand_while_their_answers_do(project, tmp_path, monkeypatch):
    """Per-file invalidation: after an edit, an unchanged file is checked again only when a
    question its rules asked of the project index gets a different answer."""
    parsed = []
    original = grammars.parse
    monkeypatch.setattr(grammars, "parse", lambda language, data: parsed.append(data) or original(language, data))
    write_tree(project, BLOCKING_HELPER)
    cache_dir = str(tmp_path / "cache")
    first = engine.run(["."], Config(), cache_dir=cache_dir)
    assert [(f.span.path, f.code) for f in first.findings] == [("app/routes.py", "PF201")]

    # An edit that answers nothing differently: only the edited file is parsed.
    helpers = project / "app" / "helpers.py"
    helpers.write_text(helpers.read_text() + "\n\ndef unused():\n    return 1\n")
    del parsed[:]
    second = engine.run(["."], Config(), cache_dir=cache_dir)
    assert [data.decode().splitlines()[0] for data in parsed] == ["import requests"]
    assert second.stats["findings_replayed"] == 2
    assert plain(second) == plain(engine.run(["."], Config()))

    # fetch_rates no longer blocks: routes.py asked about it, so it is checked again.
    helpers.write_text("def fetch_rates():\n    return {}\n")
    del parsed[:]
    third = engine.run(["."], Config(), cache_dir=cache_dir)
    assert len(parsed) == 2 and third.stats["findings_replayed"] == 1  # quiet.py stands
    assert third.findings == []
    assert plain(third) == plain(engine.run(["."], Config()))


def test_a_question_that_fails_on_replay_means_check_again():
    @question
    def fragile(index, name):
        if index.python:
            raise RuntimeError("broken index")
        return None

    early = RecordingIndex(ProjectIndex.build("/p", {}))
    assert fragile(early, "x") is None
    assert not early.holds(ProjectIndex.build("/p", {"a.py": ("python", {})}))
    from perfscan.project import trace_holds

    trace = early.plain_trace()
    assert trace_holds(trace, ProjectIndex.build("/p", {}))
    assert not trace_holds(trace, ProjectIndex.build("/p", {"a.py": ("python", {})}))
    assert not trace_holds([["no.such.question", (), b""]], ProjectIndex.build("/p", {}))
    assert not trace_holds([("malformed",)], ProjectIndex.build("/p", {}))


def test_index_goes_to_workers_without_the_parents_answers(project, tmp_path):
    """The parent answers cached traces' questions before workers check the stale files: what it
    sends them is the index alone, not its per-process caches (answers, derived indexes)."""
    write_tree(project, BLOCKING_HELPER)
    cache_dir = str(tmp_path / "cache")
    engine.run(["."], Config(), jobs=2, cache_dir=cache_dir)
    (project / "app" / "helpers.py").write_text("def fetch_rates():\n    return {}\n")
    (project / "app" / "quiet.py").write_text("async def ping():\n    return 'pong!'\n")
    again = engine.run(["."], Config(), jobs=2, cache_dir=cache_dir)
    assert again.stats["workers"] == 2 and again.findings == []
    assert plain(again) == plain(engine.run(["."], Config()))


def test_a_pickled_index_leaves_its_caches_behind():
    import pickle

    index = ProjectIndex.build("/p", {"app/x.py": ("python", {})})
    assert files_under(index, "app/") == 1
    index.get_derived("count", lambda i: len(i.python))
    copy = pickle.loads(pickle.dumps(index))
    assert copy.python == index.python and copy.answers == {} and copy.derived == {}
