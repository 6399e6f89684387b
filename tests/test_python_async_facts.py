"""Async facts (analyzer/facts/python_async.py) and the project async index:
route styles, registrations, session kinds, the name resolver."""

from __future__ import annotations

from perfscan.async_index import ProjectNames, build_async_index
from perfscan.facts.python import PythonFacts
from perfscan.facts.python_async import async_facts
from perfscan.project import ProjectIndex
from tests.conftest import source_of


def build(code: str, rel_path: str = "app/api.py") -> PythonFacts:
    return PythonFacts.build(source_of(rel_path, code))


def routes(facts: PythonFacts) -> dict:
    return {f.name: (f.route.framework, f.route.display) for f in facts.functions if f.route}


def test_decorator_route_styles_of_each_framework():
    facts = build(
        """
        from flask import Blueprint, Flask
        from litestar import get, route
        from sanic import Sanic
        from aiohttp import web

        app = Flask(__name__)
        bp = Blueprint("bp", __name__)
        sanic = Sanic("s")
        table = web.RouteTableDef()

        @app.route("/a", methods=["GET", "POST"])
        def a(): ...

        @bp.delete("/b/<id>")
        async def b(id): ...

        @get("/c/{x:int}")
        async def c(x: int): ...

        @route("/d", http_method=["PUT"])
        async def d(): ...

        @sanic.get("/e")
        async def e(request): ...

        @table.view("/f")
        async def f(request): ...

        @get()
        async def g(): ...
        """
    )
    assert routes(facts) == {
        "a": ("flask", "GET|POST /a"),
        "b": ("flask", "DELETE /b/<id>"),
        "c": ("litestar", "GET /c/{x:int}"),
        "d": ("litestar", "PUT /d"),
        "e": ("sanic", "GET /e"),
        "f": ("aiohttp", "* /f"),
        "g": ("litestar", "GET /"),
    }


def test_registrations_by_call():
    facts = build(
        """
        from fastapi import APIRouter
        from starlette.routing import Route, WebSocketRoute
        from aiohttp import web
        from . import views

        router = APIRouter(prefix="/v1")
        aio = web.Application()

        async def a(): ...
        async def b(request): ...

        router.add_api_route("/a", a, methods=["PUT"])
        routes = [Route("/b", endpoint=b), WebSocketRoute("/ws", views.feed)]
        aio.router.add_post("/c", views.create)
        aio.add_routes([web.get("/d", views.show)])
        other = {}.get("/x", a)
        """,
        rel_path="app/api.py",
    )
    assert async_facts(facts).registrations == [
        ["app.api.a", "fastapi", ["PUT"], "/v1/a", False],
        ["app.api.b", "starlette", ["GET"], "/b", False],
        ["app.views.feed", "starlette", ["WEBSOCKET"], "/ws", False],
        ["app.views.create", "aiohttp", ["POST"], "/c", False],
        ["app.views.show", "aiohttp", ["GET"], "/d", False],
    ]


def test_session_kinds_from_annotations_factories_and_makers():
    db = build(
        """
        from collections.abc import AsyncIterator, Iterator
        from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
        from sqlalchemy.orm import Session, sessionmaker

        SessionLocal = sessionmaker()
        AsyncLocal = async_sessionmaker()

        def get_db() -> Iterator[Session]: ...
        async def get_async() -> AsyncIterator[AsyncSession]: ...
        def make():
            return SessionLocal()
        async def make_async():
            async with AsyncLocal() as s:
                yield s
        def raw(engine):
            return Session(engine)
        """,
        rel_path="backend/app/db.py",
    )
    assert async_facts(db).factories == {
        "backend.app.db.get_db": ("sync",),
        "backend.app.db.get_async": ("async",),
        "backend.app.db.make": ("sync",),
        "backend.app.db.make_async": ("async",),
        "backend.app.db.raw": ("sync",),
    }
    index = ProjectIndex.build("/p", {"backend/app/db.py": ("python", db.summary())})
    built = build_async_index(index)
    assert built.session_kind(("depends", "app.db.make")) == "sync"
    assert built.session_kind(("maker", "app.db.AsyncLocal")) == "async"
    assert built.session_kind(("depends", "app.db.unknown")) is None


def test_project_names_resolve_suffixes_reexports_and_module_objects():
    names = ProjectNames(
        ["backend.app.services.summary.build", "backend.app.services.Mailer.send", "other.app.utils.build2"],
        {"backend.app.services": {"build": "backend.app.services.summary.build"}, "backend.app.services.summary": {}},
        {"backend.app.services.mailer": "backend.app.services.Mailer"},
    )
    assert names.resolve("app.services.summary.build") == "backend.app.services.summary.build"
    assert names.resolve("app.services.build") == "backend.app.services.summary.build"  # re-export
    assert names.resolve("app.services.mailer.send") == "backend.app.services.Mailer.send"  # module object
    assert names.resolve("requests.get") is None
    assert names.resolve("build") is None  # a bare name is never a project function
