"""Across the stack on the demo app: a frontend loop -> a FastAPI route -> a sync query.

frontend/src/api/team.ts awaits `fetch(`/api/users/${memberId}`)` once per member; the vite proxy
hands /api/* to the backend without the prefix, where `GET /users/{user_id}` (routes/users.py,
an async handler) runs a query on a sync session: PF201. The PF402 finding names the route,
links the handler and carries the chain as a code flow."""

from __future__ import annotations

import json

from click.testing import CliRunner

from perfscan.cli import cli
from perfscan.config import Config
from perfscan.engine import run
from perfscan.findings import FlowStep, Related, Span
from perfscan.reporters.sarif import render_sarif
from perfscan.reporters.text import render_text
from tests.conftest import FIXTURES, write_tree

DEMO = FIXTURES / "fullstack-demo"

CHAIN = (
    FlowStep(Span("frontend/src/api/team.ts", 7, 28, 7, 59), "requests `GET /api/users/{user_id}`"),
    FlowStep(Span("backend/app/routes/users.py", 26, 11, 26, 19), "`get_user` handles `GET /users/{user_id}`"),
    FlowStep(Span("backend/app/routes/users.py", 28, 12, 28, 83),
             "PF201: `db.execute` blocks the event loop (sync database session)"),
)


def demo_finding(monkeypatch):
    monkeypatch.chdir(DEMO)
    result = run(["."], Config(), jobs=1)
    [finding] = [f for f in result.active if f.code == "PF402" and f.span.path == "frontend/src/api/team.ts"]
    return result, finding


def test_frontend_loop_to_route_to_sync_query(monkeypatch):
    result, finding = demo_finding(monkeypatch)
    assert finding.span == Span("frontend/src/api/team.ts", 7, 28, 7, 59)
    assert finding.message == (
        "N+1 over HTTP: one `GET /api/users/{user_id}` per item of `memberIds` (`await fetch(`/api/users/${memberId}`)`), "
        "each waiting for the previous one, handled by [`get_user`](1) (`GET /users/{user_id}`), which blocks the "
        "event loop with `db.execute` (PF201) on every one of them; start them together and await the group: "
        "`await Promise.all(memberIds.map(...))` (`Promise.allSettled` when one failure must not drop the rest), "
        "or use a batch endpoint."
    )
    assert finding.related == (Related(Span("backend/app/routes/users.py", 26, 11, 26, 19), "`get_user`"),)
    assert finding.flow == CHAIN
    assert {k: finding.properties[k] for k in ("request", "route", "handler", "handler_finding")} == {
        "request": "GET /api/users/{user_id}", "route": "GET /users/{user_id}",
        "handler": "backend.app.routes.users.get_user", "handler_finding": "PF201",
    }
    # The chain's last step is the handler's own finding.
    assert any(f.code == "PF201" and f.span == CHAIN[-1].span for f in result.active)


def test_chain_in_sarif_and_text(monkeypatch):
    result, finding = demo_finding(monkeypatch)
    result.findings = [finding]
    sarif = json.loads(render_sarif(result, []))
    [sarif_result] = sarif["runs"][0]["results"]
    locations = sarif_result["codeFlows"][0]["threadFlows"][0]["locations"]
    # SARIF paths are relative to the repository's top: the demo app is a folder of it
    assert [(step["location"]["physicalLocation"]["artifactLocation"]["uri"].removeprefix("fixtures/fullstack-demo/"),
             step["location"]["physicalLocation"]["region"]["startLine"],
             step["location"]["message"]["text"]) for step in locations] == [
        (step.span.path, step.span.line, step.message) for step in CHAIN
    ]
    assert sarif_result["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "fixtures/fullstack-demo/backend/app/routes/users.py")
    text = render_text(result)
    assert (
        "  = call chain:\n"
        "      frontend/src/api/team.ts:7:28: requests `GET /api/users/{user_id}`\n"
        "      backend/app/routes/users.py:26:11: `get_user` handles `GET /users/{user_id}`\n"
        "      backend/app/routes/users.py:28:12: PF201: `db.execute` blocks the event loop (sync database session)\n"
    ) in text


def test_routes_command_on_the_demo(monkeypatch):
    monkeypatch.chdir(DEMO)
    output = CliRunner().invoke(cli, ["routes", "--no-cache", "-j", "1", "."]).output
    lines = output.splitlines()
    start = lines.index("GET /users/{user_id}  backend/app/routes/users.py:26:11 get_user")
    assert lines[start + 1: start + 3] == [
        "  <- frontend/src/api/team.ts:7:28  GET /api/users/{user_id}",
        "  !! backend/app/routes/users.py:28:12: PF201 `db.execute` (sync database session) blocks the event loop in "
        "async route `GET /users/{user_id}`: use an `AsyncSession` (`async_sessionmaker`) and `await` it, or declare "
        "the route with plain `def`",
    ]
    # `/api/products` is a route of no backend in the demo: the request is listed, linked to none
    assert "  frontend/src/App.tsx:16:5  GET /api/products" in lines


def pf402_flow(root, cache: str) -> list[FlowStep]:
    """The flow of the one PF402 finding of a run on root with the cache in `cache`."""
    result = run([str(root)], Config(), jobs=1, cache_dir=cache)
    [finding] = [f for f in result.active if f.code == "PF402"]
    return finding.flow


def test_a_cached_frontend_finding_follows_the_backend(tmp_path):
    """The TSX finding is cached with the answers it got from the route map: when the handler
    stops blocking (a plain `def` route), the next run reports the loop without the PF201 step,
    the frontend file unchanged."""
    files = {
        "pyproject.toml": "",
        "app/main.py": """
from fastapi import FastAPI
import time

app = FastAPI()

@app.get("/users/{user_id}")
async def get_user(user_id: int):
    time.sleep(1)
    return {}
""",
        "web/src/team.ts": """
export async function load(ids: number[]) {
  for (const id of ids) {
    await fetch(`/users/${id}`);
  }
}
""",
    }
    write_tree(tmp_path, files)
    cache = str(tmp_path / ".cache")

    def pf402():
        return [step.message for step in pf402_flow(tmp_path, cache)]

    assert pf402() == ["requests `GET /users/{user_id}`", "`get_user` handles `GET /users/{user_id}`",
                       "PF201: `time.sleep` blocks the event loop (sleep)"]
    main = tmp_path / "app/main.py"
    main.write_text(main.read_text().replace("async def get_user", "def get_user"))
    assert pf402() == ["requests `GET /users/{user_id}`", "`get_user` handles `GET /users/{user_id}`"]


# -- a handler that runs one query per item (PF301) -----------------------------------------------

PER_ROW_CHAIN = (
    FlowStep(Span("frontend/src/api/shelves.ts", 6, 28, 6, 102), "requests `GET /api/shelves/{shelf_id}/authors`"),
    FlowStep(Span("backend/app/routes/shelves.py", 13, 5, 13, 18),
             "`shelf_authors` handles `GET /shelves/{shelf_id}/authors`"),
    FlowStep(Span("backend/app/routes/shelves.py", 17, 18, 17, 43),
             "PF301: `db.get(Author, author_id)` runs one query per iteration"),
)


def test_frontend_loop_to_route_to_query_per_row(monkeypatch):
    """frontend/src/api/shelves.ts fetches one shelf per iteration; `GET /shelves/{shelf_id}/authors`
    (routes/shelves.py, a plain `def`: no PF201) runs `db.get` once per author: PF301, read from
    the handler's summary, is the chain's last step."""
    monkeypatch.chdir(DEMO)
    result = run(["."], Config(), jobs=1)
    [finding] = [f for f in result.active if f.code == "PF402" and f.span.path == "frontend/src/api/shelves.ts"]
    assert finding.message == (
        "N+1 over HTTP: one `GET /api/shelves/{shelf_id}/authors` per item of `shelfIds` "
        "(`await fetch(`/api/shelves/${shelfId}/authors?author_ids=${authorI…`), each waiting for the previous one, "
        "handled by [`shelf_authors`](1) (`GET /shelves/{shelf_id}/authors`), which runs one query per item (PF301) "
        "on every one of them; start them together and await the group: `await Promise.all(shelfIds.map(...))` "
        "(`Promise.allSettled` when one failure must not drop the rest), or use a batch endpoint."
    )
    assert finding.flow == PER_ROW_CHAIN
    assert finding.properties["handler_finding"] == "PF301"
    # The chain's last step is where PF301 reports the handler's query.
    [pf301] = [f for f in result.active if f.code == "PF301" and f.span.path == "backend/app/routes/shelves.py"]
    assert pf301.span == PER_ROW_CHAIN[-1].span
    result.findings = [finding]
    [sarif_result] = json.loads(render_sarif(result, []))["runs"][0]["results"]
    locations = sarif_result["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [(step["location"]["physicalLocation"]["artifactLocation"]["uri"],
             step["location"]["physicalLocation"]["region"]["startLine"],
             step["location"]["physicalLocation"]["region"]["startColumn"],
             step["location"]["message"]["text"]) for step in locations] == [
        ("fixtures/fullstack-demo/frontend/src/api/shelves.ts", 6, 28, "requests `GET /api/shelves/{shelf_id}/authors`"),
        ("fixtures/fullstack-demo/backend/app/routes/shelves.py", 13, 5,
         "`shelf_authors` handles `GET /shelves/{shelf_id}/authors`"),
        ("fixtures/fullstack-demo/backend/app/routes/shelves.py", 17, 18,
         "PF301: `db.get(Author, author_id)` runs one query per iteration"),
    ]


def test_the_summary_records_what_pf301_reports():
    """The handler's summary holds its per-row query exactly where PF301 reports it (one detector)."""
    from perfscan.facts.python import PythonFacts

    from tests.conftest import source_of

    rel = "backend/app/routes/shelves.py"
    facts = PythonFacts.build(source_of(rel, (DEMO / rel).read_text()))
    records = {r["qualname"]: r["per_row"] for r in facts.summary()["functions"]}
    assert records == {"backend.app.routes.shelves.shelf_authors": [["PF301", 17, 18, 17, 43, "db.get(Author, author_id)"]]}


def test_a_query_per_row_in_a_called_helper_follows_the_backend(tmp_path):
    """The handler calls a helper of another file that queries once per id: the chain goes through
    the call; when the helper loads them at once, the cached frontend finding loses the step."""
    files = {
        "pyproject.toml": "",
        "app/main.py": """
from fastapi import FastAPI, Depends
from sqlalchemy.orm import Session

from app.db import get_db
from app.lookup import author_names

app = FastAPI()

@app.get("/shelves/{shelf_id}")
def get_shelf(shelf_id: int, db: Session = Depends(get_db)):
    return author_names(db, [shelf_id, shelf_id + 1])
""",
        "app/lookup.py": """
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Author


def author_names(db: Session, author_ids):
    names = []
    for author_id in author_ids:
        names.append(db.get(Author, author_id).name)
    return names
""",
        "web/src/shelves.ts": """
export async function load(ids: number[]) {
  for (const id of ids) {
    await fetch(`/shelves/${id}`);
  }
}
""",
    }
    write_tree(tmp_path, files)
    cache = str(tmp_path / ".cache")

    def pf402():
        return [(step.span.path, step.span.line, step.message) for step in pf402_flow(tmp_path, cache)]

    assert pf402() == [
        ("web/src/shelves.ts", 3, "requests `GET /shelves/{shelf_id}`"),
        ("app/main.py", 10, "`get_shelf` handles `GET /shelves/{shelf_id}`"),
        ("app/main.py", 11, "calls `author_names`"),
        ("app/lookup.py", 10, "PF301: `db.get(Author, author_id)` runs one query per iteration"),
    ]
    lookup = tmp_path / "app/lookup.py"
    lookup.write_text(lookup.read_text().replace(
        "    for author_id in author_ids:\n        names.append(db.get(Author, author_id).name)\n",
        "    for author in db.scalars(select(Author).where(Author.id.in_(author_ids))):\n        names.append(author.name)\n"))
    assert pf402() == [
        ("web/src/shelves.ts", 3, "requests `GET /shelves/{shelf_id}`"),
        ("app/main.py", 10, "`get_shelf` handles `GET /shelves/{shelf_id}`"),
    ]
