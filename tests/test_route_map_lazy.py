"""The route map's question answered the short way (analyzer/route_map.py: `route_for_call` works out
no frontend request when no backend route can be reached) gives what the whole map says, call by
call; and where a backend route can be reached, the asked answer is the map's link."""

from __future__ import annotations

import os

from perfscan.config import Config
from perfscan.engine import run
from perfscan.facts import LIST_REQUESTS
from perfscan.project import ProjectIndex
from perfscan.route_map import map_of_run, route_for_call, route_map
from tests.conftest import write_tree

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures")

FRONTEND = {
    "web/package.json": '{"name": "web"}',
    "web/src/http.ts": """
        export async function getJson(path: string) {
          const response = await fetch(`/api${path}`);
          return response.json();
        }
    """,
    "web/src/users.ts": """
        import { getJson } from "./http";
        export const loadUser = (id: number) => getJson(`/users/${id}`);
        export async function loadAll(ids: number[]) {
          for (const id of ids) {
            await loadUser(id);
          }
          return fetch("/api/users/me");
        }
    """,
}
MOUNTED = {
    "pyproject.toml": "",
    "app/__init__.py": "",
    "app/main.py": """
        from fastapi import FastAPI, APIRouter

        router = APIRouter(prefix="/users")

        @router.get("/{user_id}")
        async def get_user(user_id: int):
            return {}

        @router.get("/me")
        async def get_me():
            return {}

        app = FastAPI()
        app.include_router(router, prefix="/api")
    """,
}
# The same router mounted nowhere: its routes have no proven full path, nothing can match them.
UNMOUNTED = {**MOUNTED, "app/main.py": MOUNTED["app/main.py"].replace('app.include_router(router, prefix="/api")', "")}


def answers(root: str) -> tuple:
    """(every frontend request's position, the whole map's link for each, the asked answers from
    an index that built nothing before, whether asking built the frontend's requests)."""
    config = Config(project_settings={LIST_REQUESTS: True})  # as `perfscan routes` runs
    result = run([root], config, jobs=1)
    whole, _ = map_of_run(result, config.project_settings)
    fresh = ProjectIndex.build(result.root, result.project_summaries(), config.project_settings)
    expected, asked = {}, {}
    for call in whole.calls:
        position = (call.file, call.where[0], call.where[1])
        route = whole.routes[call.route] if call.route is not None else None
        expected[position] = (route.handler, call.display) if route is not None else None
        link = route_for_call(fresh, *position)
        asked[position] = (link.handler, link.display) if link is not None else None
    return whole, expected, asked, "route_map" in fresh.derived


def test_no_reachable_route_answers_none_without_working_out_the_requests(tmp_path):
    for name, files in (("frontend-only", FRONTEND), ("unmounted", {**FRONTEND, **UNMOUNTED})):
        root = tmp_path / name
        write_tree(root, files)
        whole, expected, asked, built = answers(str(root))
        assert len(whole.calls) == 4, name  # the whole map still lists every request (`perfscan routes`)
        assert set(expected.values()) == {None}, name
        assert asked == expected, name
        assert not built, name


def test_a_reachable_route_gives_the_whole_maps_link(tmp_path):
    write_tree(tmp_path, {**FRONTEND, **MOUNTED})
    whole, expected, asked, built = answers(str(tmp_path))
    assert asked == expected
    assert sorted(value for value in expected.values() if value) == [
        ("app.main.get_me", "GET /api/users/me"),
        ("app.main.get_user", "GET /api/users/{user_id}"),  # `getJson(...)` in `loadUser`
        ("app.main.get_user", "GET /api/users/{user_id}"),  # `loadUser(id)`, through both wrappers
    ]
    assert built


def test_fixtures_answer_as_their_whole_map():
    for name in ("fullstack-demo", "react-memo-app"):
        whole, expected, asked, _ = answers(os.path.join(FIXTURES, name))
        assert asked == expected, name
