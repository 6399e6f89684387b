"""The project index's name resolution and derived indexes answer the same however often, and in
whichever order, they are asked (analyzer/async_index.py: DottedNames, ProjectNames' memos, the
blocking chains; analyzer/project.py: answer digests; analyzer/per_request.py: test code)."""

import pickle
import textwrap

from perfscan.async_index import DottedNames, ProjectNames, async_index, blocking_helper
from perfscan.facts.python import PythonFacts
from perfscan.per_request import per_request_entry
from perfscan.project import ProjectIndex, RecordingIndex, answer_digest, fingerprint, trace_holds

from tests.conftest import source_of


def _index(files: dict) -> ProjectIndex:
    summaries = {}
    for path, text in files.items():
        summaries[path] = ("python", PythonFacts.build(source_of(path, textwrap.dedent(text))).summary())
    return ProjectIndex.build("/p", summaries)


def test_dotted_names_match_a_dotted_suffix_either_way_and_only_when_unique():
    names = DottedNames(["backend.app.db.get_db", "backend.app.db2.get_db", "app.jobs.run", "z.run", ".lead", "trail."])
    assert names.ending_with("db.get_db") == ["backend.app.db.get_db"]
    assert sorted(names.ending_with("get_db")) == ["backend.app.db.get_db", "backend.app.db2.get_db"]
    assert names.ending_with("get_db", limit=1) in (["backend.app.db.get_db"], ["backend.app.db2.get_db"])
    assert names.ending_with("pp.db.get_db") == []  # a suffix starts after a dot, not within a part
    assert names.ending_with("lead") == [".lead"]
    assert names.ending_with("") == ["trail."]
    assert names.unique("app.db.get_db") == "backend.app.db.get_db"  # the name is a suffix of it
    assert names.unique("x.backend.app.db.get_db") == "backend.app.db.get_db"  # it is a suffix of the name
    assert names.unique("get_db") is None  # two names end with it
    assert names.unique("run") is None  # `app.jobs.run` and `z.run`
    assert names.unique("jobs.run") == "app.jobs.run"
    assert names.unique("y.z.run") == "z.run"
    assert names.unique("app.jobs.run") == "app.jobs.run"  # exact
    assert names.unique("nothing.here") is None
    assert "z.run" in names and "run" not in names


def test_dotted_names_agree_with_the_suffix_definition_on_every_name_and_part():
    names = ["a.b.c", "b.c", "x.a.b.c", "c.d", "a.b", "q.a.b", "m.n.o.p", "n.o"]
    table = DottedNames(names)
    queries = {".".join(name.split(".")[i:j]) for name in names for i in range(4) for j in range(i + 1, 5)}
    for query in sorted(queries | {"z.a.b.c", "y.n.o", "p"}):
        longer = {n for n in names if n.endswith("." + query)}
        shorter = {n for n in names if query.endswith("." + n)}
        expected = query if query in names else (longer | shorter).pop() if len(longer | shorter) == 1 else None
        assert sorted(table.ending_with(query)) == sorted(longer), query
        assert table.unique(query) == expected, query


def _reexport_chain(length: int) -> ProjectNames:
    """`pkg0.f` re-exported by pkg1, pkg1's by pkg2...: resolving `pkgN.f` takes N steps."""
    modules = {"pkg0": {}}
    for n in range(1, length + 1):
        modules[f"pkg{n}"] = {"f": f"pkg{n - 1}.f"}
    return ProjectNames(["pkg0.f"], modules, {})


def test_a_remembered_resolution_does_not_change_a_deeper_one():
    """A name is remembered only as resolved from the top: the same name met deep inside another
    name's resolution still counts towards that one's depth bound, in either order."""
    first = _reexport_chain(12)
    assert first.resolve("pkg5.f") == "pkg0.f"
    assert first.resolve("pkg12.f") is None  # past the depth bound, though pkg5.f resolved
    assert first.resolve("pkg5.f") == "pkg0.f"
    second = _reexport_chain(12)
    assert second.resolve("pkg12.f") is None
    assert second.resolve("pkg5.f") == "pkg0.f"
    assert second.resolve("pkg8.f") == "pkg0.f"
    assert second.resolve("pkg9.f") is None


def test_names_are_resolved_once_and_answer_the_same_again():
    names = ProjectNames(
        ["backend.app.services.summary.build", "backend.app.cfg.data_dir"],
        {"backend.app.services": {"build": "backend.app.services.summary.build"}, "backend.app.cfg": {}},
        {}, returns={"backend.app.cfg.data_dir": "pathlib.Path"},
    )
    calls = []
    resolve_once = names._resolve

    def counting(name, depth):
        calls.append((name, depth))
        return resolve_once(name, depth)

    names._resolve = counting
    for _ in range(3):
        assert names.resolve("app.services.build") == "backend.app.services.summary.build"
        assert names.resolve("requests.get") is None
        assert names.result_method("app.cfg.data_dir().iterdir") == "pathlib.Path.iterdir"
    assert [name for name, depth in calls if depth == 0] == ["app.services.build", "requests.get", "app.cfg.data_dir"]


def test_blocking_chains_name_each_callee_on_the_way_down():
    index = _index({
        "app/io.py": """
            import requests

            def fetch():
                return requests.get("https://x")

            def load():
                return fetch()

            def outer():
                load()
                return load()
        """,
        "app/api.py": """
            from app.io import outer

            async def handler():
                outer()
        """,
    })
    assert per_request_entry(index, "app.io.outer") is None
    assert async_index(index)._chains is None  # the per-request functions need the names only
    chain = async_index(index).chain("app.io.outer")
    assert [(step.where[0], step.message) for step in chain] == [
        (10, "calls `load`"), (7, "calls `fetch`"), (4, "`requests.get` blocks (HTTP request)"),
    ]  # the first of the two calls of `load`
    assert blocking_helper(index, "app.io.outer") == ("app.io.outer", chain)
    assert async_index(index).is_awaited_somewhere("app.io.outer") is False


def test_answer_digests_are_the_fingerprints_of_the_answers_and_traces_replay_with_them():
    index = _index({
        "app/io.py": """
            import requests

            def fetch():
                return requests.get("https://x")
        """,
    })
    recording = RecordingIndex(index)
    asked = blocking_helper(recording, "app.io.fetch")
    trace = recording.plain_trace()
    assert answer_digest(index, blocking_helper.__wrapped__, ("app.io.fetch",)) == fingerprint(asked)
    assert trace == [["perfscan.async_index.blocking_helper", ("app.io.fetch",), fingerprint(asked)]]
    assert asked is not None and asked[0] == "app.io.fetch"
    assert trace_holds(trace, index) and trace_holds(trace, index)
    assert not trace_holds(trace, ProjectIndex.build("/p", {}))  # no such helper in an empty project
    copy = pickle.loads(pickle.dumps(index))
    assert copy.digests == {} and trace_holds(trace, copy)


def test_a_function_defined_in_test_code_and_elsewhere_under_one_name_is_not_per_request():
    """Two files may give a function the same qualified name; when one of them is test code the
    name is left out of the per-request functions, as before test paths were asked lazily."""
    route = """
        from fastapi import FastAPI

        app = FastAPI()

        @app.get("/rates")
        def rates():
            return 1
    """
    # `test_rates.py` is test code (DEFAULT_TEST_PATHS), the package `test_rates/` is not: both are
    # the module `test_rates`.
    assert per_request_entry(_index({"test_rates/__init__.py": route}), "test_rates.rates").route == "GET /rates"
    assert per_request_entry(_index({"test_rates.py": route}), "test_rates.rates") is None
    both = _index({"test_rates/__init__.py": route, "test_rates.py": route})
    assert per_request_entry(both, "test_rates.rates") is None


def test_query_functions_are_found_by_a_unique_dotted_suffix_either_way():
    from perfscan.models import queries_of_function

    def runs(*names):
        return {name: [[line, 4, line, 20, "db.query(User).all()"]] for line, name in enumerate(names, 1)}

    index = ProjectIndex.build("/p", {
        "backend/app/crud.py": ("python", {"module": "backend.app.crud", "db": {"query_functions": runs(
            "backend.app.crud.list_users", "backend.app.crud.Repo.get")}}),
        "backend/app/other.py": ("python", {"module": "backend.app.other", "db": {"query_functions": runs(
            "backend.app.other.Repo.get")}}),
    })

    def lines(callee):
        return [q.where[0] for q in queries_of_function(index, callee)]

    assert lines("backend.app.crud.list_users") == [1]  # exact
    assert lines("app.crud.list_users") == [1]  # a suffix of it
    assert lines("x.backend.app.crud.list_users") == [1]  # it is a suffix of the name
    assert lines("crud.Repo.get") == [2]
    assert lines("Repo.get") == []  # two functions end with it
    assert lines("app.crud.missing") == []
