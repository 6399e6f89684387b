"""PythonFacts: imports, scopes, bindings, params, routes, calls."""

from __future__ import annotations

import pytest

from perfscan.facts.python import PythonFacts, confirm_route, module_name_for
from perfscan.project import ProjectIndex
from tests.conftest import source_of


def build(code: str, rel_path: str = "backend/app/routes/users.py") -> PythonFacts:
    return PythonFacts.build(source_of(rel_path, code))


def calls_by_line(facts: PythonFacts) -> dict:
    """{(line, col): call} with 1-based positions of the call node."""
    return {(c.node.start_point[0] + 1, c.node.start_point[1] + 1): c for c in facts.calls}


def function(facts: PythonFacts, name: str):
    return next(f for f in facts.functions if f.name == name)


@pytest.mark.parametrize(
    "rel_path, expected",
    [
        ("backend/app/routes/users.py", ("backend.app.routes.users", False)),
        ("backend/app/__init__.py", ("backend.app", True)),
        ("main.py", ("main", False)),
    ],
)
def test_module_name(rel_path, expected):
    assert module_name_for(rel_path) == expected


def test_imports_resolve_through_aliases_and_relative_imports():
    facts = build(
        """
        import requests as rq
        import urllib.request
        import os.path as osp
        from requests import get as http_get
        from . import db
        from ..core.db import get_session
        from .. import services as svc
        """
    )
    assert facts.imports == {
        "rq": "requests",
        "urllib": "urllib",
        "osp": "os.path",
        "http_get": "requests.get",
        "db": "backend.app.routes.db",
        "get_session": "backend.app.core.db.get_session",
        "svc": "backend.app.services",
    }


def test_relative_import_from_package_init_counts_the_package_itself():
    facts = build("from .models import User\nfrom . import deps\n", rel_path="backend/app/__init__.py")
    assert facts.imports == {"User": "backend.app.models.User", "deps": "backend.app.deps"}


def test_calls_resolve_aliases_builtins_sessions_paths_and_self():
    facts = build(
        """
        import requests as rq
        from requests import get as http_get
        import urllib.request
        from pathlib import Path

        def helper():
            pass

        class Client:
            def __init__(self):
                self.http = rq.Session()

            def fetch(self, url):
                return self.http.get(url)

            def run(self):
                self.fetch("x")
                helper()

        def main(p, s2: rq.Session):
            rq.get(p)
            http_get(p)
            urllib.request.urlopen(p)
            open(p)
            Path(p).read_text()
            s = rq.Session()
            s.get(p)
            with rq.Session() as s3:
                s3.post(p)
            s2.put(p)
            {}.get(p)
        """
    )
    resolved = {c.callee_text: c.callee for c in facts.calls}
    assert resolved["self.http.get"] == "requests.Session.get"
    assert resolved["self.fetch"] == "backend.app.routes.users.Client.fetch"
    assert resolved["helper"] == "backend.app.routes.users.helper"
    assert resolved["rq.get"] == "requests.get"
    assert resolved["http_get"] == "requests.get"
    assert resolved["urllib.request.urlopen"] == "urllib.request.urlopen"
    assert resolved["open"] == "builtins.open"
    assert resolved["Path(p).read_text"] == "pathlib.Path.read_text"
    assert resolved["s.get"] == "requests.Session.get"
    assert resolved["s3.post"] == "requests.Session.post"
    assert resolved["s2.put"] == "requests.Session.put"
    assert resolved["{}.get"] is None


def test_shadowing_by_locals_params_and_later_assignments():
    facts = build(
        """
        import requests
        import time

        def local_list():
            requests = []
            requests.get(0)

        def param(requests):
            requests.get(1)

        def local_def():
            def open(path):
                return path
            open("x")

        def uses_module():
            requests.get(2)

        time = None

        def after_rebinding():
            time.sleep(1)
        """
    )
    resolved = {c.node.start_point[0] + 1: c.callee for c in facts.calls}
    assert resolved[6] is None  # local list
    assert resolved[9] is None  # parameter
    assert resolved[14] == "backend.app.routes.users.local_def.open"
    assert resolved[17] == "requests.get"
    assert resolved[22] is None  # module-level `time` is an import and then None


def test_function_local_imports_stay_in_their_scope():
    facts = build(
        """
        def a():
            import requests as r
            r.get(1)

        def b():
            r.get(2)
        """
    )
    resolved = {c.node.start_point[0] + 1: c.callee for c in facts.calls}
    assert resolved == {3: "requests.get", 6: None}
    assert facts.imports == {}


def test_scopes_nested_functions_lambdas_and_classes():
    facts = build(
        """
        import time

        class Worker:
            async def run(self):
                def inner():
                    time.sleep(1)
                cb = lambda: time.sleep(2)
                await other()
                async with lock:
                    pass

        async def no_await():
            time.sleep(3)
        """
    )
    names = [(f.qualname, f.is_async, f.is_lambda, f.class_name) for f in facts.functions]
    assert names == [
        ("backend.app.routes.users.Worker.run", True, False, "Worker"),
        ("backend.app.routes.users.Worker.run.inner", False, False, None),
        ("backend.app.routes.users.Worker.run.<lambda>", False, True, None),
        ("backend.app.routes.users.no_await", True, False, None),
    ]
    run, inner, lam, no_await = facts.functions
    assert inner.parent is run and lam.parent is run and run.parent is None
    assert run.has_await and not no_await.has_await and not inner.has_await
    calls = calls_by_line(facts)
    assert calls[(6, 13)].scope is inner
    assert calls[(7, 22)].scope is lam
    assert calls[(13, 5)].scope is no_await
    assert facts.scope_at(calls[(6, 13)].node) is inner


def test_awaited_and_offloaded_calls():
    facts = build(
        """
        import asyncio
        import requests
        from starlette.concurrency import run_in_threadpool

        async def f(url, loop):
            await asyncio.sleep(1)
            x = (await g())
            await asyncio.to_thread(requests.get, url)
            await asyncio.to_thread(requests.get(url))
            await run_in_threadpool(requests.post, url)
            await loop.run_in_executor(None, requests.put, url)
        """
    )
    calls = {c.callee_text + "@" + str(c.node.start_point[0] + 1): c for c in facts.calls}
    assert calls["asyncio.sleep@6"].awaited
    assert calls["g@7"].awaited
    assert calls["asyncio.to_thread@8"].offloads == "requests.get"
    inner = calls["requests.get@9"]
    assert not inner.awaited and inner.offloaded and inner.offloaded_by == "asyncio.to_thread"
    assert calls["run_in_threadpool@10"].offloads == "requests.post"
    assert calls["loop.run_in_executor@11"].offloads == "requests.put"
    assert not any(c.offloaded for c in facts.calls if c.callee != "requests.get")


def test_loops_in_the_same_scope_with_targets():
    facts = build(
        """
        def f(users, db):
            for user in users:
                db.query(user)
                while user.more():
                    db.next()
            [db.get(u) for u in load()]
            for item in fetch_all():
                def later():
                    db.late(item)
            else:
                db.done()
        """
    )
    calls = {c.callee_text: c for c in facts.calls}
    assert [(l.kind, l.targets) for l in calls["db.query"].loops] == [("for", ("user",))]
    assert [l.kind for l in calls["db.next"].loops] == ["while", "for"]
    assert [(l.kind, l.targets) for l in calls["db.get"].loops] == [("comprehension", ("u",))]
    assert calls["load"].loops == ()  # the first iterable is evaluated once
    assert calls["fetch_all"].loops == ()
    assert calls["db.late"].loops == ()  # own scope
    assert calls["db.done"].loops == ()  # for-else runs once


def test_params_annotations_and_depends():
    facts = build(
        """
        from typing import Annotated, Optional
        from fastapi import Depends
        from sqlalchemy.orm import Session
        from sqlalchemy.ext import asyncio as sa_async
        from ..db import get_db

        async def route(
            a: Annotated[Session, Depends(get_db)],
            b: Optional[Session] = Depends(get_db),
            c: "Session" = None,
            d: sa_async.AsyncSession | None = None,
            *args,
            e: int = 1,
            **kwargs,
        ):
            pass
        """
    )
    params = {p.name: (p.type, p.depends, p.kind) for p in facts.functions[0].params}
    assert params == {
        "a": ("sqlalchemy.orm.Session", "backend.app.db.get_db", "positional"),
        "b": ("sqlalchemy.orm.Session", "backend.app.db.get_db", "positional"),
        "c": ("sqlalchemy.orm.Session", None, "positional"),
        "d": ("sqlalchemy.ext.asyncio.AsyncSession", None, "positional"),
        "args": (None, None, "vararg"),
        "e": ("builtins.int", None, "positional"),
        "kwargs": (None, None, "kwarg"),
    }


def test_fastapi_routes_with_prefix_and_methods():
    facts = build(
        """
        from fastapi import APIRouter, FastAPI
        import fastapi

        app = FastAPI()
        router = APIRouter(prefix="/users")
        other = fastapi.APIRouter()
        cache = {}

        @app.get("/health")
        async def health(): ...

        @router.get("/{user_id}")
        async def get_user(user_id: int): ...

        @other.api_route(path="/items", methods=["GET", "post"])
        def items(): ...

        @app.websocket("/ws")
        async def ws(socket): ...

        @cache.get("/x")
        async def not_a_route(): ...
        """
    )
    routes = {f.name: f.route and (f.route.framework, f.route.display, f.route.confirmed) for f in facts.functions}
    assert routes == {
        "health": ("fastapi", "GET /health", True),
        "get_user": ("fastapi", "GET /users/{user_id}", True),
        "items": ("fastapi", "GET|POST /items", True),
        "ws": ("fastapi", "WEBSOCKET /ws", True),
        "not_a_route": None,
    }
    decorator = function(facts, "get_user").decorators[0]
    assert (decorator.callee, decorator.owner, decorator.owner_type) == (
        "fastapi.APIRouter.get",
        "backend.app.routes.users.router",
        "fastapi.APIRouter",
    )
    assert facts.objects == {"app": "fastapi.FastAPI", "router": "fastapi.APIRouter", "other": "fastapi.APIRouter"}


def test_route_on_imported_app_is_confirmed_through_the_index():
    main = build("from fastapi import FastAPI\napp = FastAPI()\n", rel_path="backend/app/main.py")
    routes = build(
        """
        from app.main import app

        @app.post("/orders")
        async def create_order(): ...
        """,
        rel_path="backend/app/routes/orders.py",
    )
    route = routes.functions[0].route
    # `.post` is a route decorator of several frameworks: which one is left to the index.
    assert (route.framework, route.display, route.confirmed, route.owner) == (None, "POST /orders", False, "app.main.app")
    index = ProjectIndex.build(
        "/p", {"backend/app/main.py": ("python", main.summary()), "backend/app/routes/orders.py": ("python", routes.summary())}
    )
    confirmed = confirm_route(route, index)
    assert confirmed is not None and confirmed.confirmed and confirmed.framework == "fastapi"
    unknown = build("from .registry import table\n@table.get('/x')\nasync def f(): ...\n").functions[0].route
    assert confirm_route(unknown, index) is None


def test_summary_is_plain_data_with_call_positions():
    facts = build(
        """
        import requests
        from fastapi import FastAPI
        app = FastAPI()

        @app.get("/users")
        async def users():
            return requests.get("u")
        """
    )
    summary = facts.summary()
    assert summary["module"] == "backend.app.routes.users"
    assert summary["imports"] == {"requests": "requests", "FastAPI": "fastapi.FastAPI"}
    (users,) = summary["functions"]
    assert users["qualname"] == "backend.app.routes.users.users"
    assert users["is_async"] and users["route"]["display"] == "GET /users"
    assert users["calls"] == [("requests.get", 7, 12, 7, 29, False, False)]
    import pickle

    assert pickle.loads(pickle.dumps(summary)) == summary


def test_resolve_and_type_of_public_helpers():
    facts = build(
        """
        import httpx as hx
        client = hx.Client()
        client.get("x")
        """
    )
    (constructor, get) = facts.calls
    assert facts.resolve(get.function) == "httpx.Client.get"
    assert facts.type_of(get.function.child_by_field_name("object")) == "httpx.Client"
    assert facts.resolve(constructor.function) == "httpx.Client"
    assert facts.scope_at(get.node) is None


def test_annotated_type_alias_and_class_body_attributes():
    facts = build(
        """
        from typing import Annotated
        import requests
        from fastapi import Depends
        from sqlalchemy.orm import Session
        from app.db import get_db

        DbSession = Annotated[Session, Depends(get_db)]

        class Gateway:
            http = requests.Session()

            async def ping(self, db: DbSession):
                self.http.head("https://example.com")
        """
    )
    (ping,) = facts.functions
    db = ping.param("db")
    assert (db.type, db.depends) == ("sqlalchemy.orm.Session", "app.db.get_db")
    assert [c.callee for c in ping.calls] == ["requests.Session.head"]
    assert "DbSession" not in facts.objects


def test_return_types_bases_and_calls_on_a_project_functions_result():
    facts = build(
        """
        import json
        from pathlib import Path
        from app.core import base

        class Store(base.Model, Path):
            def root(self):
                return Path("/srv")

            def either(self, flag):
                if flag:
                    return Path("/a")
                return "b"

        def data_dir() -> Path:
            return Path("/data")

        async def later() -> Path:
            return Path("/later")

        def use():
            d = data_dir()
            d.iterdir()
            data_dir().parent.iterdir()
            json.loads("{}").get("x")
            Store().root().exists()

        async def awaits():
            pending = later()
            pending.touch()
            ready = await later()
            ready.touch()
        """,
        rel_path="app/store.py",
    )
    summary = facts.summary()
    assert facts.return_types() == {
        "app.store.Store.root": "pathlib.Path", "app.store.data_dir": "pathlib.Path", "app.store.later": "pathlib.Path",
    }
    assert summary["bases"] == {"app.store.Store": ["app.core.base.Model", "pathlib.Path"]}
    in_use = {c.callee_text: (c.callee, c.deferred) for c in function(facts, "use").calls}
    assert in_use == {
        "data_dir": ("app.store.data_dir", None),
        "d.iterdir": (None, "app.store.data_dir().iterdir"),
        "data_dir().parent.iterdir": (None, None),  # two steps past the call: not followed
        "json.loads": ("json.loads", None),
        'json.loads("{}").get': (None, None),  # a library's result: not deferred
        "Store": ("app.store.Store", None),
        "Store().root": ("app.store.Store.root", None),
        "Store().root().exists": (None, "app.store.Store.root().exists"),
    }
    in_awaits = {c.callee_text: c.deferred for c in function(facts, "awaits").calls}
    assert in_awaits == {
        "later": None, "pending.touch": "app.store.later().touch", "ready.touch": "app.store.later(await).touch",
    }
    d_iterdir = next(c for c in facts.calls if c.callee_text == "d.iterdir")
    assert facts.lookup_name("d", d_iterdir.node) is None  # a call's result names nothing
    use = next(f for f in summary["functions"] if f["qualname"] == "app.store.use")
    assert [c[0] for c in use["calls"]][:2] == ["app.store.data_dir", "app.store.data_dir().iterdir"]
