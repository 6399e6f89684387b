"""The speed-ups keep their answers: suffix indexes, name lookups across
scopes and the merged query passes."""

from __future__ import annotations

from perfscan.engine import source_from_bytes
from perfscan.facts.python import PythonFacts
from perfscan.facts.python_db import db_facts
from perfscan.facts.tsx import TsxFacts
from perfscan.models import dotted_suffixes, queries_of_function
from perfscan.project import ProjectIndex
from tests.conftest import source_of


def _source(rel_path: str, language: str, text: str):
    return source_of(rel_path, text, language)


def test_dotted_suffixes_are_the_names_a_dotted_name_ends_with():
    assert list(dotted_suffixes("a.b.c")) == ["b.c", "c"]
    assert list(dotted_suffixes("plain")) == []
    name = "pkg.mod.Service.load"
    assert {s for s in dotted_suffixes(name)} == {x for x in ("mod.Service.load", "Service.load", "load", "pkg")
                                                  if name.endswith("." + x)}


def _index(query_functions: dict, objects: dict | None = None, module: str = "backend.app.services") -> ProjectIndex:
    summary = {"module": module, "objects": objects or {},
               "db": {"query_functions": {name: [(1, 1, 1, 5, f"q {name}")] for name in query_functions}}}
    return ProjectIndex(root="/p", python={"backend/app/services.py": summary})


def test_queries_of_function_matches_unique_suffixes_both_ways():
    index = _index(["backend.app.services.load_user", "backend.app.services.Repo.load", "other.Repo.load"])
    assert queries_of_function(index, "app.services.load_user")[0].text == "q backend.app.services.load_user"
    # the callee is longer than the known name (rooted above the scanned directory)
    assert queries_of_function(index, "src.backend.app.services.load_user")[0].text == "q backend.app.services.load_user"
    assert queries_of_function(index, "Repo.load") == []  # two functions end with it: ambiguous
    assert queries_of_function(index, "missing") == []


def test_queries_of_function_through_a_module_level_service_object():
    index = _index(["backend.app.repo.Repo.load"], objects={"repo": "backend.app.repo.Repo"})
    found = queries_of_function(index, "app.services.repo.load")
    assert [q.text for q in found] == ["q backend.app.repo.Repo.load"]


def test_outer_name_lookup_sees_a_later_rebinding():
    # `requests` is looked up from inside f while bindings are still being
    # collected (the assignment in f), then rebound at module level: calls in
    # f must see both values (ambiguous), not the memoized import.
    source = _source("app/client.py", "python", """
        import requests

        def f():
            session = requests.Session()
            requests.get("x")

        requests = None
    """)
    facts = PythonFacts.build(source)
    call = next(c for c in facts.calls if c.callee_text == "requests.get")
    assert call.callee is None
    assert facts.calls[0].callee is None  # requests.Session() as well


def test_outer_name_lookup_resolves_from_nested_scopes():
    source = _source("app/client.py", "python", """
        import requests as rq

        class Client:
            rq = None  # class bodies are not visible from methods

            def fetch(self):
                def inner():
                    return rq.get("x")
                return inner()
    """)
    facts = PythonFacts.build(source)
    assert [c.callee for c in facts.calls if c.callee_text == "rq.get"] == ["requests.get"]


def test_db_candidates_come_from_the_facts_pass_and_are_released():
    source = _source("app/repo.py", "python", """
        from sqlalchemy.orm import Session
        from app.models import User

        def names(session: Session, ids):
            for i in ids:
                session.get(User, i).name
    """)
    facts = PythonFacts.build(source)
    assert facts.db_candidates is not None
    db = db_facts(facts)
    assert facts.db_candidates is None
    assert [q.method for q in db.queries] == ["get"]
    assert [db.text(a) for a in db.attributes_in(source.tree.root_node)] == ["session.get(User, i).name", "session.get"]
    loop_body = db.loops[0].child_by_field_name("body")
    assert [db.text(a) for a in db.attributes_in(loop_body)] == ["session.get(User, i).name", "session.get"]


def test_jsx_elements_come_from_the_facts_query_pass():
    source = _source("src/App.tsx", "tsx", """
        import { memo, useMemo } from "react";
        export const Row = memo(function Row({ item }: { item: Item }) {
          const label = useMemo(() => item.tags.map((t) => t.name).join(", "), [item]);
          return <li onClick={() => select(item.id)}>{label}</li>;
        });
        class Panel extends React.Component {
          render() { return <div>{this.props.rows.map((r) => <Row item={r} />)}</div>; }
        }
        const top = compute(1);
    """)
    facts = TsxFacts.build(source)
    assert [e.tag for e in facts.jsx_elements] == ["li", "div", "Row"]
    assert [e.owner.name for e in facts.jsx_elements] == ["Row", "Panel", "Panel"]
    assert [c.name for c in facts.components] == ["Row", "Panel"]


def test_typescript_files_use_the_facts_query_without_jsx():
    source = _source("src/util.ts", "typescript", """
        export function useRows(rows: Row[]) { return useMemo(() => rows.slice().sort(byName), [rows]); }
    """)
    facts = TsxFacts.build(source)
    assert facts.jsx_elements == []
    assert [h.name for h in facts.hooks] == ["useRows"]
    assert [c.name for c in facts.hook_calls] == ["useMemo"]


DEPENDENCIES = """
    from typing import Annotated, Optional
    from fastapi import Depends
    from sqlalchemy.orm import Session
    from app.db import get_db, get_user

    DbSession = Annotated[Session, Depends(get_db)]

    async def a(db: Session = Depends(get_db)): ...
    async def b(db: Annotated[Session, Depends(get_db)]): ...
    async def c(db: DbSession, user=Depends(get_user)): ...
    async def d(db: Optional[DbSession] = None): ...
    async def e(name: str, limit: int = 10, session: Session = None): ...
"""


def test_parameter_types_are_resolved_lazily_and_dependencies_prefiltered():
    facts = PythonFacts.build(_source("app/routes.py", "python", DEPENDENCIES))
    params = {f.name: f.params for f in facts.functions}
    # Nothing resolved yet: building the facts asked no annotation.
    assert all(p._resolve is not None or (p.annotation is None and p.default is None) for ps in params.values()
               for p in ps if p.kind == "positional")
    depends = {(f, p.name): p.depends for f, ps in params.items() for p in ps}
    assert depends == {
        ("a", "db"): "app.db.get_db", ("b", "db"): "app.db.get_db", ("c", "db"): "app.db.get_db",
        ("c", "user"): "app.db.get_user", ("d", "db"): "app.db.get_db",
        ("e", "name"): None, ("e", "limit"): None, ("e", "session"): None,
    }
    may = {(f, p.name) for f, ps in params.items() for p in ps if facts.may_depend(p)}
    assert may == {("a", "db"), ("b", "db"), ("c", "db"), ("c", "user"), ("d", "db")}
    assert params["e"][2].type == "sqlalchemy.orm.Session"


def test_every_dependency_in_the_fixtures_passes_the_prefilter():
    from tests.conftest import FIXTURES

    checked = 0
    for path in FIXTURES.rglob("*.py"):
        source, _ = source_from_bytes(str(path), path.name, "python", path.read_bytes())
        facts = PythonFacts.build(source)
        for function in facts.functions:
            for param in function.params:
                if param.depends:
                    checked += 1
                    assert facts.may_depend(param), (path, function.name, param.name)
    assert checked >= 5


def test_gitignore_shortcut_agrees_with_pathspec():
    import pathspec

    from perfscan.discovery import _IgnoreFile

    lines = ["# comment", "", "*.log", "!keep.log", "node_modules/", "/build", "docs/**/draft-*", "\\#hash",
             "src/gen/", "!src/gen/keep.py", "a?c.py", "[Tt]emp/"]
    spec = pathspec.GitIgnoreSpec.from_lines(lines)
    ignore = _IgnoreFile(spec)
    assert ignore.any_pattern is not None
    paths = ["app.log", "keep.log", "x/keep.log", "node_modules/", "a/node_modules/", "build", "build/",
             "x/build", "docs/a/b/draft-1.md", "docs/final.md", "#hash", "src/gen/", "src/gen/keep.py",
             "src/gen/x.py", "abc.py", "ac.py", "Temp/", "temp/", "src/app.py", "README.md"]
    for rel in paths:
        assert ignore.opinion(rel) == spec.check_file(rel).include, rel
    assert ignore.opinion("src/app.py") is None and ignore.opinion("app.log") is True
    assert ignore.opinion("keep.log") is False


def test_enclosing_functions_from_the_sweep_match_walking_up_the_tree():
    from perfscan.facts.tsx import FUNCTION_TYPES
    from tests.conftest import FIXTURES

    checked = 0
    for path in list(FIXTURES.rglob("*.tsx")) + list(FIXTURES.rglob("*.ts")):
        source, _ = source_from_bytes(str(path), path.name, "tsx" if path.suffix == ".tsx" else "typescript",
                                      path.read_bytes())
        facts = TsxFacts.build(source)
        nodes, stack = {}, [source.tree.root_node]
        while stack:
            node = stack.pop()
            nodes[node.id] = node
            stack.extend(node.children)
        for node_id, swept in list(facts._enclosing_cache.items()):
            parent = nodes[node_id].parent
            while parent is not None and parent.type not in FUNCTION_TYPES:
                parent = parent.parent
            assert (swept.id if swept else None) == (parent.id if parent else None), (path, nodes[node_id].type)
            checked += 1
    assert checked > 500
