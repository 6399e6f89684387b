"""The cross-stack route map (analyzer/route_map.py): backend routes with their full paths,
frontend requests, and which request reaches which route -- only where that is proven."""

from __future__ import annotations

import json

from click.testing import CliRunner

from perfscan.cli import cli
from perfscan.config import Config
from perfscan.engine import run
from perfscan.facts import LIST_REQUESTS
from perfscan.route_map import map_of_run
from tests.conftest import write_tree

MAIN = """
    from fastapi import FastAPI
    from app.routes import users

    app = FastAPI()
    app.include_router(users.router, prefix="/api")
"""
USERS = """
    from fastapi import APIRouter

    router = APIRouter(prefix="/users")

    @router.get("/{user_id}")
    async def get_user(user_id: int):
        return {}

    @router.get("/me")
    async def get_me():
        return {}

    @router.post("/{user_id}/orders")
    async def add_order(user_id: int):
        return {}
"""


def build(tmp_path, files: dict, settings=None):
    write_tree(tmp_path, files)
    config = Config()
    config.project_settings.update(settings or {})
    config.project_settings[LIST_REQUESTS] = True  # the whole map, as `perfscan routes` builds it
    result = run([str(tmp_path)], config, jobs=1)
    return map_of_run(result, config.project_settings)[0]


def links(found) -> dict:
    """{"file:line:col": (request as displayed, handler) or None} for every frontend request."""
    return {
        f"{c.file}:{c.where[0]}:{c.where[1]}": (c.display, found.routes[c.route].handler.rsplit(".", 1)[-1]) if c.route is not None else None
        for c in found.calls
    }


def backend(extra: dict = None) -> dict:
    files = {"pyproject.toml": "", "app/main.py": MAIN, "app/routes/users.py": USERS, "app/routes/__init__.py": "",
             "app/__init__.py": ""}
    files.update(extra or {})
    return files


def test_full_paths_from_router_prefix_and_include_router(tmp_path):
    found = build(tmp_path, backend())
    assert sorted((r.display, r.mounted, r.backend) for r in found.routes) == [
        ("GET /api/users/me", True, "app.main.app"),
        ("GET /api/users/{user_id}", True, "app.main.app"),
        ("POST /api/users/{user_id}/orders", True, "app.main.app"),
    ]


def test_template_url_matches_a_param_segment_and_literals_prefer_literal_routes(tmp_path):
    found = build(tmp_path, backend({"web/src/users.ts": """
        export async function load(id: number) {
          const one = await fetch(`/api/users/${id}`);
          const me = await fetch("/api/users/me?fields=name");
          const seven = await fetch("/api/users/7");
          await fetch(`/api/users/${id}/orders`, { method: "POST", body: "{}" });
          await fetch(`/api/users/${id}/orders`);
          return [one, me, seven];
        }
    """}))
    assert links(found) == {
        "web/src/users.ts:2:21": ("GET /api/users/{user_id}", "get_user"),
        "web/src/users.ts:3:20": ("GET /api/users/me", "get_me"),  # the literal route wins over {user_id}
        "web/src/users.ts:4:23": ("GET /api/users/{user_id}", "get_user"),  # a literal fills a parameter
        "web/src/users.ts:5:9": ("POST /api/users/{user_id}/orders", "add_order"),
        "web/src/users.ts:6:9": None,  # GET: the route takes POST only
    }


def test_vite_proxy_that_strips_its_prefix(tmp_path):
    files = {
        "pyproject.toml": "",
        "api/main.py": """
            from fastapi import FastAPI
            app = FastAPI()

            @app.get("/items/{item_id}")
            async def read_item(item_id: int):
                return {}
        """,
        "web/package.json": "{}",
        "web/vite.config.ts": """
            export default { server: { proxy: {
              "/backend": { target: "http://localhost:8000", rewrite: (p) => p.replace(/^\\/backend/, "") },
              "/static": "http://localhost:9000",
            } } };
        """,
        "web/src/items.ts": """
            export const one = (id: string) => fetch(`/backend/items/${id}`);
            export const other = (id: string) => fetch(`/items/${id}`);
        """,
    }
    found = build(tmp_path, files)
    assert links(found) == {
        "web/src/items.ts:1:36": ("GET /backend/items/{item_id}", "read_item"),
        "web/src/items.ts:2:38": None,  # not under a proxied prefix: the dev server serves it
    }


def test_api_prefix_setting_and_env_base_default(tmp_path):
    files = backend({
        "web/src/client.ts": """
            const BASE = import.meta.env.VITE_API ?? "/v2";
            const UNKNOWN = import.meta.env.VITE_OTHER;
            export const a = (id: number) => fetch(`${BASE}/api/users/${id}`);
            export const b = (id: number) => fetch(`${UNKNOWN}/api/users/${id}`);
        """,
    })
    found = build(tmp_path, files, {"api_prefix": "/v2"})
    assert links(found) == {
        "web/src/client.ts:3:34": ("GET /v2/api/users/{user_id}", "get_user"),
        "web/src/client.ts:4:34": None,  # a base known only at run time
    }


def test_wrappers_and_axios_instances_across_files(tmp_path):
    files = backend({
        "web/package.json": "{}",
        "web/src/http.ts": """
            import axios from "axios";
            export const api = axios.create({ baseURL: "/api" });
            async function getJson<T>(path: string): Promise<T> {
              const response = await fetch(`/api${path}`);
              return (await response.json()) as T;
            }
            export const users = {
              one: (id: number) => getJson(`/users/${id}`),
              any: (path: string) => getJson(path),
            };
        """,
        "web/src/page.ts": """
            import { api, users } from "./http";
            export async function page(ids: number[]) {
              for (const id of ids) {
                await users.one(id);
                await api.get(`/users/${id}`);
                await users.any(`/users/${id}`);
              }
            }
        """,
    })
    found = build(tmp_path, files)
    got = links(found)
    assert got["web/src/page.ts:4:11"] == ("GET /api/users/{user_id}", "get_user")
    assert got["web/src/page.ts:5:11"] == ("GET /api/users/{user_id}", "get_user")
    assert got["web/src/page.ts:6:11"] == ("GET /api/users/{user_id}", "get_user")
    assert got["web/src/http.ts:4:26"] is None  # `/api${path}`: the path is the caller's
    call = next(c for c in found.calls if (c.file, c.where[0]) == ("web/src/page.ts", 4))
    assert [(file, where[0], text) for file, where, text in call.via] == [
        ("web/src/http.ts", 8, "`users.one` sends the request"),
        ("web/src/http.ts", 4, "`getJson` sends the request"),
    ]


def test_generated_client_request_descriptions(tmp_path):
    files = backend({"web/src/sdk.gen.ts": """
        import { request as __request } from "./core/request";
        export class UsersService {
          public static readUser(data: { userId: number }) {
            return __request(OpenAPI, { method: "GET", url: "/api/users/{user_id}", path: { user_id: data.userId } });
          }
        }
    """})
    found = build(tmp_path, files)
    assert links(found) == {"web/src/sdk.gen.ts:4:12": ("GET /api/users/{user_id}", "get_user")}


def test_what_cannot_be_proven_is_not_linked(tmp_path):
    files = {
        "pyproject.toml": "",
        "svc/one.py": """
            from fastapi import APIRouter, FastAPI
            PREFIX = "/hidden"
            app = FastAPI()
            orphan = APIRouter(prefix="/orphans")
            dynamic = APIRouter(prefix=PREFIX)
            app.include_router(dynamic)

            @app.get("/shared/{x}")
            async def shared_one(x: int):
                return {}

            @app.get(PREFIX + "/computed")
            async def computed():
                return {}

            @orphan.get("/{o}")
            async def orphaned(o: int):
                return {}

            @dynamic.get("/inside")
            async def inside():
                return {}
        """,
        "svc/two.py": """
            from fastapi import FastAPI
            other = FastAPI()

            @other.get("/shared/{y}")
            async def shared_two(y: int):
                return {}
        """,
        "web/src/calls.ts": """
            export async function calls(url: string, id: number) {
              await fetch(url);
              await fetch(`/shared/${id}`);
              await fetch("/hidden/computed");
              await fetch(`/orphans/${id}`);
              await fetch("/hidden/inside");
              await fetch(`/x${id}/y`);
              await fetch(`https://api.github.com/shared/${id}`);
            }
        """,
    }
    found = build(tmp_path, files)
    assert set(links(found).values()) == {None}
    routes = {r.handler.rsplit(".", 1)[-1]: (r.mounted, r.dynamic) for r in found.routes}
    assert routes == {
        "shared_one": (True, False), "shared_two": (True, False), "computed": (True, True),
        "orphaned": (False, False), "inside": (True, True),
    }


def test_flask_blueprints(tmp_path):
    files = {
        "pyproject.toml": "",
        "srv/app.py": """
            from flask import Blueprint, Flask
            app = Flask(__name__)
            bp = Blueprint("users", __name__, url_prefix="/users")

            @bp.route("/<int:user_id>")
            def show(user_id):
                return {}

            app.register_blueprint(bp, url_prefix="/api")
        """,
        "web/src/a.ts": "export const a = (id: number) => fetch(`/api/${id}`);\n",
    }
    found = build(tmp_path, files)
    # `register_blueprint(url_prefix=)` replaces the blueprint's own `url_prefix`
    assert [r.display for r in found.routes] == ["GET /api/<int:user_id>"]
    assert links(found) == {"web/src/a.ts:1:34": ("GET /api/<int:user_id>", "show")}


def test_routes_command_text_and_json(tmp_path):
    build(tmp_path, backend({"web/src/a.ts": "export const a = async (id: number) => fetch(`/api/users/${id}`);\n"}))
    runner = CliRunner()
    text = runner.invoke(cli, ["routes", "--no-cache", "-j", "1", str(tmp_path)])
    assert text.exit_code == 0, text.output
    assert text.output.splitlines()[:3] == [
        "GET /api/users/{user_id}  app/routes/users.py:6:11 get_user",
        "  <- web/src/a.ts:1:40  GET /api/users/{user_id}",
        "GET /api/users/me  app/routes/users.py:10:11 get_me",
    ]
    assert text.output.splitlines()[-1] == "3 routes (3 with a proven full path), 1 frontend requests, 1 linked to a route."
    data = json.loads(runner.invoke(cli, ["routes", "--no-cache", "-j", "1", "--format", "json", str(tmp_path)]).output)
    assert data["summary"] == {"routes": 3, "mounted_routes": 3, "frontend_calls": 1, "linked_calls": 1}
    assert data["routes"][0]["callers"] == [{
        "path": "web/src/a.ts", "line": 1, "col": 40, "method": "GET", "url": "/api/users/${}",
        "backend_path": "/api/users/${}", "request": "GET /api/users/{user_id}", "via": [],
    }]


def test_app_made_in_a_function_and_a_settings_prefix(tmp_path):
    files = {
        "pyproject.toml": "",
        "srv/config.py": """
            from pydantic_settings import BaseSettings

            class Settings(BaseSettings):
                API_V1_STR: str = "/api/v1"

            settings = Settings()
        """,
        "srv/items.py": """
            from fastapi import APIRouter
            router = APIRouter(prefix="/items")

            @router.get("/{item_id}")
            async def read_item(item_id: int):
                return {}
        """,
        "srv/main.py": """
            from fastapi import FastAPI
            from srv import items
            from srv.config import settings

            def create_app() -> FastAPI:
                app = FastAPI()
                app.include_router(items.router, prefix=settings.API_V1_STR)
                return app
        """,
        "web/src/sdk.gen.ts": """
            import { client } from "./client.gen";
            export class ItemsService {
              public static readItem(options: { path: { item_id: number } }) {
                return (options.client ?? client).get({ responseType: "json", url: "/api/v1/items/{item_id}", ...options });
              }
            }
        """,
        "web/src/page.ts": """
            import createClient from "openapi-fetch";
            const api = createClient({ baseUrl: process.env.NEXT_PUBLIC_API_URL });
            export const one = (id: number) => api.GET("/api/v1/items/{item_id}", { params: { path: { item_id: id } } });
            export const typo = (id: number) => api.GET("/api/v1/item/{item_id}", { params: { path: { item_id: id } } });
        """,
    }
    found = build(tmp_path, files)
    assert [(r.display, r.backend) for r in found.routes] == [("GET /api/v1/items/{item_id}", "srv.main.app")]
    assert links(found) == {
        "web/src/page.ts:3:36": ("GET /api/v1/items/{item_id}", "read_item"),
        "web/src/page.ts:4:37": None,  # no such route
        "web/src/sdk.gen.ts:4:12": ("GET /api/v1/items/{item_id}", "read_item"),
    }


def test_django_urlconf_from_root_through_includes_and_spreads(tmp_path):
    files = {
        "pyproject.toml": "",
        "site/settings.py": 'ROOT_URLCONF = "site.urls"\n',
        "site/urls.py": """
            from django.urls import include, path, re_path
            urlpatterns = [
                path("api/", include("site.app.urls")),
                re_path(r"^legacy/(?P<pk>[0-9]+)/$", include("site.app.urls")),
            ]
        """,
        "site/app/__init__.py": "",
        "site/app/urls/__init__.py": """
            from .projects import urlpatterns as project_urls
            urlpatterns = [*project_urls]
        """,
        "site/app/urls/projects.py": """
            from django.urls import path
            from site.app.views import ProjectViewSet, ProjectDetail
            urlpatterns = [
                path("workspaces/<str:slug>/projects/", ProjectViewSet.as_view({"get": "list", "post": "create"})),
                path("workspaces/<str:slug>/projects/<uuid:pk>/", ProjectDetail.as_view()),
            ]
        """,
        "site/app/views/__init__.py": "from .project import ProjectViewSet, ProjectDetail\n",
        "site/app/views/project.py": """
            class ProjectViewSet(BaseViewSet):
                def list(self, request, slug):
                    return []

            class ProjectDetail(APIView):
                def get(self, request, slug, pk):
                    return {}

                def patch(self, request, slug, pk):
                    return {}
        """,
        "web/src/projects.ts": """
            export async function load(slug: string, ids: string[]) {
              await fetch(`/api/workspaces/${slug}/projects/`);
              for (const id of ids) await fetch(`/api/workspaces/${slug}/projects/${id}/`);
              await fetch(`/api/workspaces/${slug}/projects/${ids[0]}/`, { method: "DELETE" });
              await fetch(`/legacy/${ids[0]}/`);
            }
        """,
    }
    found = build(tmp_path, files)
    assert sorted((r.display, r.handler, r.where[0]) for r in found.routes) == [
        ("GET|PATCH /api/workspaces/<str:slug>/projects/<uuid:pk>/", "site.app.views.project.ProjectDetail", 5),
        ("GET|POST /api/workspaces/<str:slug>/projects/", "site.app.views.project.ProjectViewSet", 1),
    ]
    assert links(found) == {
        "web/src/projects.ts:2:9": ("GET /api/workspaces/<str:slug>/projects/", "ProjectViewSet"),
        "web/src/projects.ts:3:31": ("GET /api/workspaces/<str:slug>/projects/<uuid:pk>/", "ProjectDetail"),
        "web/src/projects.ts:4:9": None,  # no DELETE on ProjectDetail
        "web/src/projects.ts:5:9": None,  # a regular expression route is not matched
    }


def test_an_app_built_by_a_test_is_no_second_backend(tmp_path):
    files = backend({
        "tests/test_users.py": """
            from fastapi import FastAPI
            from app.routes import users

            test_app = FastAPI()
            test_app.include_router(users.router, prefix="/api")
        """,
        "web/src/a.ts": "export const a = (id: number) => fetch(`/api/users/${id}`);\n",
    })
    found = build(tmp_path, files)
    assert {r.backend for r in found.routes} == {"app.main.app"}
    assert links(found) == {"web/src/a.ts:1:34": ("GET /api/users/{user_id}", "get_user")}


def test_api_service_classes_through_their_base_class(tmp_path):
    """Plane's shape: services extend a base class whose constructor makes an axios instance
    from the base URL the subclass passes to super(); `this.get(url)` is the base's method."""
    files = backend({
        "web/src/constants.ts": 'export const API_BASE_URL = process.env.VITE_API_BASE_URL || "";\n',
        "web/src/api.service.ts": """
            import axios from "axios";
            export abstract class APIService {
              private axiosInstance;
              constructor(baseURL: string) {
                this.axiosInstance = axios.create({ baseURL, withCredentials: true });
              }
              get(url: string, params = {}) {
                return this.axiosInstance.get(url, { ...params });
              }
            }
        """,
        "web/src/user.service.ts": """
            import { API_BASE_URL } from "./constants";
            import { APIService } from "./api.service";
            export class UserService extends APIService {
              constructor() {
                super(API_BASE_URL);
              }
              async getUser(id: number) {
                return this.get(`/api/users/${id}`).then((response) => response?.data);
              }
            }
            export class ElsewhereService extends APIService {
              constructor(base: string) {
                super(base);
              }
              async getUser(id: number) {
                return this.get(`/api/users/${id}`);
              }
            }
            export const users = new UserService();
        """,
        "web/src/page.ts": """
            import { users } from "./user.service";
            export async function all(ids: number[]) {
              for (const id of ids) await users.getUser(id);
            }
        """,
    })
    found = build(tmp_path, files)
    got = links(found)
    assert got["web/src/user.service.ts:8:12"] == ("GET /api/users/{user_id}", "get_user")
    assert got.get("web/src/user.service.ts:16:12") is None  # built with a base URL we do not see
    assert got.get("web/src/api.service.ts:7:12") is None  # no URL of its own: `url` is the caller's
    # the loop calls the method on a module-level `new UserService()`, imported
    assert got["web/src/page.ts:3:31"] == ("GET /api/users/{user_id}", "get_user")


def test_a_literal_fills_a_typed_parameter_only_with_a_value_of_its_type(tmp_path):
    files = {
        "pyproject.toml": "",
        "srv/main.py": """
            from fastapi import FastAPI
            app = FastAPI()

            @app.get("/projects/{pk:int}")
            async def project(pk: int):
                return {}
        """,
        "web/src/a.ts": """
            export const archived = () => fetch("/projects/archived");
            export const seven = () => fetch("/projects/7");
        """,
    }
    found = build(tmp_path, files)
    assert links(found) == {"web/src/a.ts:1:31": None, "web/src/a.ts:2:28": ("GET /projects/{pk:int}", "project")}
