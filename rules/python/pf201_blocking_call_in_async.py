"""PF201 blocking-call-in-async: a blocking call made directly in an `async def`."""

from __future__ import annotations

import functools
from typing import Optional

from perfscan.async_index import (
    blocking_callers, blocking_helper, folded_cause, is_awaited_somewhere, result_method, route_of, session_kind,
)
from perfscan.blocking import FILE_OBJECT, FILE_OPENERS, THREAD_WRAPPERS, blocking_call
from perfscan.facts.python import CallFact, FunctionFact
from perfscan.facts.python_async import ORM_BLOCKERS, SESSION_IO, async_facts
from perfscan.findings import Fix, FlowStep, Related, Span, TextEdit
from perfscan.fixes import FixUnavailable, edits_between, rewrite_lines
from perfscan.source import line_chunks
from perfscan.rule import Rule, flag, ok

_SIMPLE_NAME_TYPES = ("identifier", "attribute")

# Project files shared by two examples (one project seen from two of its files, or a flagged
# example and its clean twin).
REPORT_ROUTES = """
    from fastapi import APIRouter

    from app.services.metrics import build_report, fetch_metrics

    router = APIRouter()

    @router.get("/reports/{report_id}")
    async def report(report_id: int):
        return build_report(report_id)

    @router.get("/reports/{report_id}/metrics")
    async def metrics(report_id: int):
        return fetch_metrics(report_id)
"""
METRICS_SERVICE = """
    import requests

    def fetch_metrics(report_id):
        return requests.get(f"https://metrics.example.com/{report_id}", timeout=5).json()

    def build_report(report_id):
        return {"id": report_id, "metrics": fetch_metrics(report_id)}
"""
JOB_BASE = """
    import time

    class Job:
        def wait_for_lock(self):
            time.sleep(1)
"""
S3_STORE = """
    import requests

    class Store:
        def put(self, key, body):
            requests.put(f"https://s3.example.com/{key}", data=body, timeout=5)
"""


class BlockingCallInAsync(Rule):
    code = "PF201"
    name = "blocking-call-in-async"
    languages = frozenset({"python"})
    level = "warning"
    tags = ("async", "blocking-io", "fastapi")
    hot_path_only = True  # test code is not a hot path (analyzer/test_paths.py)
    summary = "A blocking call (HTTP, sleep, file, subprocess, sync DB session or ORM, Redis, hashing) runs on the event loop, directly or through sync helpers."
    what_it_does = """
        **Level: `error` in a route handler** (the message names the route), `warning` in
        any other async function, such as a helper or a background task. Rule lists show
        the default, `warning`; the routes recognised are listed below.

        Finds work that blocks the calling thread done inside an `async def`:

        - synchronous HTTP clients (`requests`, `urllib.request.urlopen`, `urllib3` pools,
          sync `httpx`), `time.sleep`, file I/O (`open`, `os.fdopen`, methods of a file
          opened elsewhere, `pathlib.Path.read_text`/`iterdir`/`unlink` and friends,
          `shutil.copytree`/`rmtree`, `tempfile`), subprocesses (`subprocess.run`,
          `os.system`, `os.spawn*`, `os.waitpid`...), `concurrent.futures` `Future.result()`,
          blocking drivers (`psycopg2.connect`, `sqlite3.connect`...), `input()`;
        - a sync SQLAlchemy `Session` (known from the parameter annotation,
          `Annotated[Session, Depends(...)]` or a module-level alias of it such as FastAPI's
          `SessionDep` (`X = Annotated[...]`, `X: TypeAlias = ...`, also imported), the dependency function's return annotation
          or the session it creates — `SessionLocal()` of a `sessionmaker`,
          `Session(engine)` — or `with SessionLocal() as s`): `execute`, `scalars`,
          `scalar`, `get`, `query(...).all()/first()/one()/count()...`, `commit`, `flush`,
          `refresh`, `delete`, `rollback`;
        - Django's sync ORM: `.get()`, `.count()`, `.exists()`, `.create()`, `list(qs)`,
          iterating a queryset... (`aget`, `acreate`, `async for` are fine);
        - other sync clients: `redis.Redis`, `pymongo`, `boto3` clients (presigning is
          local and not reported), `smtplib`; CPU-bound password hashing (`bcrypt.hashpw`,
          passlib `CryptContext.hash/verify`, `argon2`);
        - calls of **sync project functions that block**, in the same or another module:
          every function of the project is summarised once per run (does it block,
          directly or through other project functions?), and the finding carries the
          whole path as a code flow (SARIF `codeFlows`, "call chain" in text output).
          A method is also found in the class's project base classes (`self.helper()`),
          and names re-exported by a package's `__init__` lead to their definitions;
        - methods on what a project function returns: `data_dir().iterdir()` or
          `p = data_dir(); p.unlink()` is file I/O when `data_dir` is annotated `-> Path`
          or every `return` in it constructs a `Path` (`p = await fetch()` for an async one).

        **One cause, one finding.** When two or more calls from async code reach the same
        blocking call through sync helpers, they are reported once, at that blocking call
        (fixing it there fixes them all), with the async callers as related locations, every
        route among them in the code flow, and their count in the message ("reached from 37
        async functions, 12 of them routes, e.g. GET /flows/{id}"); the text summary says how
        many callers were folded (`properties.folded_callers`). A single call stays where async
        code makes it: the finding is there, and so is the `def` fix for a route.

        A route handler is an error naming the route (`GET /users/{user_id}`): FastAPI
        (decorators on apps and `APIRouter`s, also imported from another module, and
        `add_api_route`), Starlette (`Route(...)`), Django (async views referenced from
        `path()`/`re_path()`, async methods of class-based views), Flask/Quart
        (`@app.route`, blueprints), aiohttp (`RouteTableDef`, `router.add_get`...),
        Litestar (`@get`...) and Sanic. Any other async function is a warning.

        Not reported: awaited calls, work inside nested sync functions or lambdas,
        functions handed to `asyncio.to_thread`, `loop.run_in_executor`,
        `run_in_threadpool`, `anyio.to_thread.run_sync` or `sync_to_async` (also as a
        decorator), and a file handed to `anyio.wrap_file` / `trio.wrap_file` (used through
        threads from then on). A file's methods in the function that opened it are reported
        once, at the `open`. An `AsyncSession` call without `await` is PF202.
    """
    why_slow = """
        An event loop runs every coroutine of the process on one thread. While a
        blocking call waits for the network, a timer, the disk or a child process,
        nothing else runs: every other request served by that worker stalls for the
        full duration. One `requests.get` that takes 300 ms in an async route adds up
        to 300 ms of latency to every concurrent request, and throughput collapses to
        one request at a time. A plain `def` route is not affected: FastAPI runs it in
        a thread pool.
    """
    how_to_measure = """
        - Run with asyncio debug mode (`PYTHONASYNCIODEBUG=1`, or `loop.set_debug(True)`):
          asyncio logs `Executing <Task ...> took 0.312 seconds` for every callback that
          holds the loop longer than `loop.slow_callback_duration` (100 ms by default).
        - Measure loop lag: a background task that does `await asyncio.sleep(0.1)` in a
          loop and records how late it wakes up; spikes line up with blocking calls.
        - Sample the running server with `py-spy dump --pid <pid>` (or `py-spy top`):
          the event-loop thread shows the blocking frame (`requests/...`, `time.sleep`).
        - Load-test one slow route with a few concurrent clients (`hey`, `wrk`, `locust`)
          and watch the latency of an unrelated fast route rise with it.
    """
    use_instead = """
        Use the async equivalent and `await` it: `httpx.AsyncClient` (or `aiohttp`) for
        HTTP, `await asyncio.sleep(...)`, `aiofiles` / `anyio.Path` for files,
        `asyncio.create_subprocess_exec` for processes, an `AsyncSession` from
        `async_sessionmaker`, Django's `aget`/`acreate`/`async for`, `redis.asyncio`,
        `motor`, `aioboto3`, `aiosmtplib`. When no async library exists (or for CPU-bound
        hashing), run the call on a worker thread: `await asyncio.to_thread(func, *args)`
        (or `run_in_threadpool`, `sync_to_async`).

        If a FastAPI route does no `await` at all, declare it with plain `def`: FastAPI
        then runs it in its thread pool. `perfscan check --fix` does this for routes
        that use a sync session or a blocking helper. The fix is counted safe only when
        the function has no `await`/`async for`/`async with`/`yield`, calls nothing from
        `asyncio`/`anyio` (they need the running loop), is not a websocket route, and no
        project code awaits it: then the request gets the same response, computed on a
        worker thread instead of the loop (the pool is bounded, 40 threads by default,
        which is the point: slow calls queue there instead of stalling every request).
        Code relying on running on the loop thread would notice; such code calls
        `asyncio` and gets no fix.
    """
    examples = (
        flag(
            """
            import requests
            from fastapi import FastAPI

            app = FastAPI()

            @app.get("/users/{user_id}")
            async def get_user(user_id: int):
                response = requests.get(f"https://api.example.com/users/{user_id}")
                return response.json()
            """,
            (8, 16),
            shown=True,
        ),
        ok(
            """
            import httpx
            from fastapi import FastAPI

            app = FastAPI()

            @app.get("/users/{user_id}")
            async def get_user(user_id: int):
                async with httpx.AsyncClient() as client:
                    response = await client.get(f"https://api.example.com/users/{user_id}")
                return response.json()
            """,
            why="the async client is awaited",
            shown=True,
        ),
        flag(
            """
            from requests import get as http_get
            import requests as rq

            async def refresh(urls):
                for url in urls:
                    http_get(url)
                rq.post("https://hooks.example.com", json={})
            """,
            (6, 9),
            (7, 5),
            why="aliased imports resolve to the requests functions",
        ),
        flag(
            """
            import requests
            from fastapi import APIRouter

            router = APIRouter(prefix="/reports")
            session = requests.Session()

            @router.post("/{report_id}/send")
            async def send_report(report_id: str):
                with requests.Session() as client:
                    client.post("https://mail.example.com/send", data={"id": report_id})
                return {"sent": True}
            """,
            (10, 9),
        ),
        flag(
            """
            import time

            async def poll(job):
                while not job.done():
                    time.sleep(0.5)
            """,
            (5, 9),
            fixed="""
            import time
            import asyncio

            async def poll(job):
                while not job.done():
                    await asyncio.sleep(0.5)
            """,
        ),
        flag(
            """
            import asyncio
            from time import sleep as pause

            async def backoff(attempt):
                pause(2 ** attempt)
            """,
            (5, 5),
            fixed="""
            import asyncio
            from time import sleep as pause

            async def backoff(attempt):
                await asyncio.sleep(2 ** attempt)
            """,
        ),
        flag(
            """
            import json
            from pathlib import Path

            async def load_settings(path):
                with open(path) as handle:
                    settings = json.load(handle)
                template = Path(settings["template"]).read_text()
                return settings, template
            """,
            (5, 10),
            (7, 16),
        ),
        flag(
            """
            import os
            import subprocess

            async def render_pdf(html_path):
                subprocess.run(["wkhtmltopdf", html_path, "out.pdf"], check=True)
                os.system("rm -f /tmp/render-*")
            """,
            (5, 5),
            (6, 5),
        ),
        flag(
            """
            import sqlite3
            import psycopg2
            import urllib.request

            async def nightly_sync():
                local = sqlite3.connect("cache.db")
                remote = psycopg2.connect("dbname=prod")
                urllib.request.urlopen("https://status.example.com/ping")
            """,
            (6, 13),
            (7, 14),
            (8, 5),
        ),
        flag(
            """
            import httpx
            import urllib3

            http = urllib3.PoolManager()

            async def fetch_both(url):
                a = httpx.get(url)
                with httpx.Client() as client:
                    b = client.get(url)
                c = http.request("GET", url)
                return a, b, c
            """,
            (7, 9),
            (9, 13),
            (10, 9),
        ),
        flag(
            """
            import asyncio
            import requests

            async def fetch(url):
                return await asyncio.to_thread(requests.get(url))
            """,
            (5, 36),
            why="the call runs on the loop before to_thread gets its (non-callable) result",
        ),
        flag(
            """
            import requests
            from app.main import app

            @app.delete("/sessions/{session_id}")
            async def logout(session_id: str):
                requests.delete(f"https://auth.example.com/sessions/{session_id}")
            """,
            (6, 5),
            path="backend/app/routes/auth.py",
            files={"backend/app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"},
            why="the app object is imported from another module; the project index confirms it is a FastAPI app",
        ),
        flag(
            """
            async def ask():
                return input("continue? ")
            """,
            (2, 12),
        ),
        flag(
            """
            from fastapi import Depends, FastAPI
            from sqlalchemy import select
            from sqlalchemy.orm import Session

            from app.db import get_db
            from app.models import User

            app = FastAPI()

            @app.get("/users/{user_id}")
            async def get_user(user_id: int, db: Session = Depends(get_db)):
                return db.execute(select(User).where(User.id == user_id)).scalar_one()
            """,
            (12, 12),
            shown=True,
            fixed="""
            from fastapi import Depends, FastAPI
            from sqlalchemy import select
            from sqlalchemy.orm import Session

            from app.db import get_db
            from app.models import User

            app = FastAPI()

            @app.get("/users/{user_id}")
            def get_user(user_id: int, db: Session = Depends(get_db)):
                return db.execute(select(User).where(User.id == user_id)).scalar_one()
            """,
            why="a sync Session injected into an async route; the route never awaits, so `def` is the fix",
        ),
        flag(
            """
            from typing import Annotated

            from fastapi import APIRouter, Depends

            from app.db import get_db
            from app.models import Order

            router = APIRouter(prefix="/orders")
            Db = Annotated[object, Depends(get_db)]

            @router.post("/{order_id}/cancel")
            async def cancel(order_id: int, db=Depends(get_db)):
                order = db.query(Order).filter(Order.id == order_id).one()
                order.status = "cancelled"
                db.commit()
                await notify(order)
            """,
            (13, 13),
            (15, 5),
            path="backend/app/routes/orders.py",
            files={
                "backend/app/db.py": """
                    from sqlalchemy import create_engine
                    from sqlalchemy.orm import sessionmaker

                    SessionLocal = sessionmaker(bind=create_engine("postgresql://"))

                    def get_db():
                        db = SessionLocal()
                        try:
                            yield db
                        finally:
                            db.close()
                """
            },
            why="the dependency (another module) hands out a session of a sync `sessionmaker`; no fix: the route awaits",
        ),
        flag(
            """
            from fastapi import APIRouter
            from sqlalchemy import select

            from app.api.deps import SessionDep
            from app.models import Item

            router = APIRouter()

            @router.get("/items")
            async def read_items(session: SessionDep):
                return session.scalars(select(Item)).all()
            """,
            (11, 12),
            path="backend/app/api/routes/items.py",
            files={
                "backend/app/api/deps.py": """
                    from typing import Annotated, TypeAlias

                    from fastapi import Depends
                    from sqlmodel import Session

                    from app.core.db import engine

                    def get_db():
                        with Session(engine) as session:
                            yield session

                    SessionDep: TypeAlias = Annotated[Session, Depends(get_db)]
                """,
            },
            why="FastAPI's `SessionDep` type alias, imported from another module, hides a sync Session",
        ),
        ok(
            """
            from fastapi import APIRouter
            from sqlalchemy import select

            from app.api.deps import SessionDep
            from app.models import Item

            router = APIRouter()

            @router.get("/items")
            async def read_items(session: SessionDep):
                return (await session.scalars(select(Item))).all()
            """,
            path="backend/app/api/routes/items.py",
            files={
                "backend/app/api/deps.py": """
                    from typing import Annotated

                    from fastapi import Depends
                    from sqlalchemy.ext.asyncio import AsyncSession

                    from app.core.db import get_session

                    SessionDep = Annotated[AsyncSession, Depends(get_session)]
                """,
            },
            why="the imported alias names an `AsyncSession`, awaited",
        ),
        flag(
            """
            from app.db import SessionLocal
            from app.models import Job

            async def requeue_stale_jobs():
                with SessionLocal() as session:
                    jobs = session.query(Job).filter(Job.state == "stale").all()
                    for job in jobs:
                        job.state = "queued"
                    session.commit()
            """,
            (6, 16),
            (9, 9),
            path="backend/app/jobs.py",
            files={
                "backend/app/db.py": """
                    from sqlalchemy.orm import sessionmaker
                    SessionLocal = sessionmaker()
                """
            },
            why="`with SessionLocal() as session` of a sync sessionmaker, in an async function (a warning)",
        ),
        flag(
            """
            from fastapi import APIRouter

            from app.services.reports import build_report

            router = APIRouter()

            @router.get("/reports/{report_id}")
            async def report(report_id: int):
                return build_report(report_id)
            """,
            (9, 12),
            shown=True,
            path="backend/app/routes/reports.py",
            files={
                "backend/app/services/reports.py": """
                    from app.services.metrics import fetch_metrics

                    def build_report(report_id):
                        return {"id": report_id, "metrics": fetch_metrics(report_id)}
                """,
                "backend/app/services/metrics.py": """
                    import requests

                    def fetch_metrics(report_id):
                        return requests.get(f"https://metrics.example.com/{report_id}", timeout=5).json()
                """,
            },
            why="the route calls a sync helper that calls another that calls `requests.get` (the finding carries the chain)",
            fixed="""
            from fastapi import APIRouter

            from app.services.reports import build_report

            router = APIRouter()

            @router.get("/reports/{report_id}")
            def report(report_id: int):
                return build_report(report_id)
            """,
        ),
        flag(
            METRICS_SERVICE,
            (4, 12),
            path="backend/app/services/metrics.py",
            files={
                "backend/app/routes/reports.py": REPORT_ROUTES,
            },
            why="two routes reach one `requests.get` through helpers: one finding where it is fixed, "
                "naming the routes (related locations, code flow), none at the routes",
        ),
        ok(
            REPORT_ROUTES,
            path="backend/app/routes/reports.py",
            files={
                "backend/app/services/metrics.py": METRICS_SERVICE,
            },
            why="the same project seen from the routes' file: their calls are folded into the finding at `requests.get`",
        ),
        flag(
            """
            import time

            def backoff(attempt):
                if attempt > 3:
                    return retry(attempt - 1)
                time.sleep(attempt)

            def retry(attempt):
                return backoff(attempt + 1)

            async def run_job(job):
                retry(0)
            """,
            (12, 5),
            why="helpers calling each other: the summary terminates and still finds `time.sleep`",
        ),
        flag(
            """
            from app.storage import export_dir, lock_file

            async def purge_exports():
                for entry in export_dir().iterdir():
                    print(entry.name)
                lock = lock_file()
                lock.unlink()
            """,
            (4, 18),
            (7, 5),
            path="app/jobs.py",
            files={
                "app/storage.py": """
                    from pathlib import Path

                    def export_dir() -> Path:
                        return Path("/srv") / "exports"

                    def lock_file():
                        return Path("/run/exports.lock")
                """,
            },
            why="`Path` methods on what project helpers return: by their return annotation, or the class "
                "every `return` constructs",
        ),
        ok(
            """
            from app.storage import export_url

            async def purge_exports():
                return export_url().split("/")
            """,
            path="app/jobs.py",
            files={
                "app/storage.py": """
                    def export_url() -> str:
                        return "s3://exports/"
                """,
            },
            why="the helper returns a string, not a `Path`",
        ),
        flag(
            """
            from app.jobs.base import Job

            class Cleanup(Job):
                async def run(self):
                    self.wait_for_lock()
            """,
            (5, 9),
            path="app/jobs/cleanup.py",
            files={
                "app/jobs/base.py": JOB_BASE,
            },
            why="`self.wait_for_lock()` is the project base class's method, which sleeps",
        ),
        ok(
            """
            from app.jobs.base import Job

            class Cleanup(Job):
                def wait_for_lock(self):
                    return None

                async def run(self):
                    self.wait_for_lock()
            """,
            path="app/jobs/cleanup.py",
            files={
                "app/jobs/base.py": JOB_BASE,
            },
            why="the class overrides the base class's blocking method with its own",
        ),
        flag(
            """
            from app.storage import Store

            async def save(key, body):
                store = Store()
                store.put(key, body)
            """,
            (5, 5),
            path="app/api.py",
            files={
                "app/storage/__init__.py": "from .s3 import Store\n",
                "app/storage/s3.py": S3_STORE,
            },
            why="a class re-exported by its package's `__init__`: its method is found in `app/storage/s3.py`",
        ),
        ok(
            """
            import asyncio

            from app.storage import Store

            async def save(key, body):
                store = Store()
                await asyncio.to_thread(store.put, key, body)
            """,
            path="app/api.py",
            files={
                "app/storage/__init__.py": "from .s3 import Store\n",
                "app/storage/s3.py": S3_STORE,
            },
            why="the re-exported class's blocking method runs on a thread",
        ),
        flag(
            """
            from django.http import JsonResponse

            from shop.models import Order

            async def order_detail(request, pk):
                order = Order.objects.get(pk=pk)
                recent = list(Order.objects.filter(customer=order.customer)[:5])
                total = Order.objects.filter(customer=order.customer).count()
                return JsonResponse({"id": order.pk, "recent": len(recent), "total": total})
            """,
            (6, 13),
            (7, 19),
            (8, 13),
            path="shop/views.py",
            files={
                "shop/urls.py": """
                    from django.urls import path
                    from . import views

                    urlpatterns = [path("orders/<int:pk>/", views.order_detail)]
                """,
                "shop/models.py": """
                    from django.db import models

                    class Order(models.Model):
                        customer = models.ForeignKey("Customer", on_delete=models.CASCADE)
                """,
            },
            why="Django's sync ORM in an async view routed from urls.py (an error naming `* /orders/<int:pk>/`)",
        ),
        flag(
            """
            from django.views import View
            from django.http import JsonResponse

            from shop.models import Order

            class OrderView(View):
                async def get(self, request, pk):
                    order = await Order.objects.aget(pk=pk)
                    async for line in Order.objects.filter(parent=order):
                        pass
                    return JsonResponse({"n": Order.objects.count()})
            """,
            (11, 35),
            path="shop/views.py",
            files={
                "shop/urls.py": """
                    from django.urls import path
                    from shop.views import OrderView

                    urlpatterns = [path("orders/<int:pk>/", OrderView.as_view())]
                """,
                "shop/models.py": "from django.db import models\n\nclass Order(models.Model):\n    pass\n",
            },
            why="a class-based view's async `get`: `aget` and `async for` are fine, `.count()` is not",
        ),
        flag(
            """
            import requests
            from quart import Quart

            app = Quart(__name__)

            @app.route("/hooks", methods=["POST"])
            async def hooks():
                requests.post("https://hooks.example.com", json={})
                return "ok"
            """,
            (8, 5),
            why="Quart (Flask's async twin) route",
        ),
        flag(
            """
            import requests
            from aiohttp import web

            routes = web.RouteTableDef()

            @routes.get("/status")
            async def status(request):
                return web.json_response(requests.get("https://up.example.com").json())

            async def health(request):
                return web.json_response(requests.get("https://db.example.com").json())

            app = web.Application()
            app.add_routes(routes)
            app.router.add_get("/health", health)
            """,
            (8, 30),
            (11, 30),
            why="aiohttp `RouteTableDef` decorator and `router.add_get` registration",
        ),
        flag(
            """
            import time
            from starlette.applications import Starlette
            from starlette.routing import Route

            async def homepage(request):
                time.sleep(1)

            app = Starlette(routes=[Route("/", endpoint=homepage)])
            """,
            (6, 5),
            fixed="""
            import time
            import asyncio
            from starlette.applications import Starlette
            from starlette.routing import Route

            async def homepage(request):
                await asyncio.sleep(1)

            app = Starlette(routes=[Route("/", endpoint=homepage)])
            """,
            why="Starlette `Route(...)` in `routes=[...]`",
        ),
        flag(
            """
            import bcrypt
            from litestar import post

            @post("/signup")
            async def signup(data: dict) -> dict:
                hashed = bcrypt.hashpw(data["password"].encode(), bcrypt.gensalt())
                return {"hash": hashed.decode()}
            """,
            (6, 14),
            why="Litestar `@post`; password hashing is CPU-bound for ~100 ms",
        ),
        flag(
            """
            import smtplib
            from sanic import Sanic

            app = Sanic("mailer")

            @app.post("/mail")
            async def send(request):
                with smtplib.SMTP("mail.example.com") as smtp:
                    smtp.sendmail("a@example.com", ["b@example.com"], "hi")
            """,
            (8, 10),
            (9, 9),
            why="Sanic route; smtplib connects in its constructor",
        ),
        flag(
            """
            import boto3
            import redis
            from fastapi import APIRouter
            from passlib.context import CryptContext
            from pymongo import MongoClient

            router = APIRouter()
            cache = redis.Redis(host="cache")
            mongo = MongoClient("mongodb://db")
            s3 = boto3.client("s3")
            pwd = CryptContext(schemes=["bcrypt"])

            async def login(name: str, password: str):
                user = mongo.app.users.find_one({"name": name})
                if not pwd.verify(password, user["hash"]):
                    cache.incr(f"failures:{name}")
                url = s3.generate_presigned_url("get_object", Params={"Key": name})
                s3.put_object(Bucket="audit", Key=name, Body=b"login")
                return url

            router.add_api_route("/login", login, methods=["POST"])
            """,
            (14, 12),
            (15, 12),
            (16, 9),
            (18, 5),
            why="Redis, MongoDB, boto3 and passlib in a route registered with `add_api_route`; presigning is local",
        ),
        ok(
            """
            import requests
            from fastapi import FastAPI

            app = FastAPI()

            @app.get("/users/{user_id}")
            def get_user(user_id: int):
                return requests.get(f"https://api.example.com/users/{user_id}").json()
            """,
            why="a plain def route runs in FastAPI's thread pool",
        ),
        ok(
            """
            import asyncio
            import requests
            from starlette.concurrency import run_in_threadpool

            async def fetch(url):
                a = await asyncio.to_thread(requests.get, url, timeout=5)
                b = await run_in_threadpool(requests.get, url)
                loop = asyncio.get_running_loop()
                c = await loop.run_in_executor(None, requests.get, url)
                d = await loop.run_in_executor(None, lambda: requests.get(url, timeout=5))
                return a, b, c, d
            """,
            why="the blocking function is passed to a thread, not called on the loop",
        ),
        ok(
            """
            import asyncio
            import time

            async def retry(job):
                def slow_step():
                    time.sleep(1)
                    return job.run()

                return await asyncio.to_thread(slow_step)
            """,
            why="the blocking call is inside a nested sync function run on a thread",
        ),
        ok(
            """
            async def collect(items):
                requests = []
                for item in items:
                    requests.append(item)
                return requests.pop()
            """,
            why="a local list named `requests` is not the requests module",
        ),
        ok(
            """
            import requests

            async def lookup(cache: dict, key):
                requests = cache
                return requests.get(key)
            """,
            why="the import is shadowed by a local of another type",
        ),
        ok(
            """
            async def headers_of(request):
                params = {"page": 1}
                page = params.get("page")
                return request.headers.get("authorization"), page
            """,
            why="`.get` on dicts and request objects is not an HTTP call",
        ),
        ok(
            """
            import aiofiles
            import asyncio

            async def read_report(path):
                async with aiofiles.open(path) as handle:
                    body = await handle.read()
                await asyncio.sleep(0)
                return body
            """,
            why="async file API, awaited",
        ),
        ok(
            """
            import time
            import subprocess

            def build_assets():
                subprocess.run(["npm", "run", "build"], check=True)
                time.sleep(1)
            """,
            why="blocking calls in a plain def are fine",
        ),
        ok(
            """
            from fastapi import Depends, FastAPI
            from sqlalchemy import select
            from sqlalchemy.orm import Session

            from app.db import get_db
            from app.models import User

            app = FastAPI()

            @app.get("/users/{user_id}")
            def get_user(user_id: int, db: Session = Depends(get_db)):
                return db.execute(select(User).where(User.id == user_id)).scalar_one()
            """,
            why="a sync session in a plain `def` route runs in the thread pool",
        ),
        ok(
            """
            from fastapi import Depends, FastAPI
            from sqlalchemy import select
            from sqlalchemy.ext.asyncio import AsyncSession

            from app.db import get_session
            from app.models import User

            app = FastAPI()

            @app.get("/users/{user_id}")
            async def get_user(user_id: int, session: AsyncSession = Depends(get_session)):
                user = (await session.execute(select(User).where(User.id == user_id))).scalar_one()
                await session.commit()
                return user
            """,
            why="an awaited AsyncSession",
            shown=True,
        ),
        ok(
            """
            from app.db import get_session
            from app.models import User

            async def count_users(session=None):
                session = await get_session()
                return await session.scalar(User.count_query())
            """,
            path="backend/app/stats.py",
            files={
                "backend/app/db.py": """
                    from sqlalchemy.ext.asyncio import async_sessionmaker
                    AsyncSessionLocal = async_sessionmaker()

                    async def get_session():
                        return AsyncSessionLocal()
                """
            },
            why="a session from an async sessionmaker, awaited",
        ),
        ok(
            """
            import asyncio
            from fastapi import APIRouter
            from asgiref.sync import sync_to_async

            from app.services.reports import build_report, build_index

            router = APIRouter()

            @router.get("/reports/{report_id}")
            async def report(report_id: int):
                loop = asyncio.get_running_loop()
                a = await asyncio.to_thread(build_report, report_id)
                b = await loop.run_in_executor(None, build_report, report_id)
                c = await sync_to_async(build_report)(report_id)
                d = await build_index(report_id)
                return a, b, c, d
            """,
            path="backend/app/routes/reports.py",
            files={
                "backend/app/services/reports.py": """
                    import requests
                    from asgiref.sync import sync_to_async

                    def build_report(report_id):
                        return requests.get(f"https://metrics.example.com/{report_id}").json()

                    @sync_to_async
                    def build_index(report_id):
                        return build_report(report_id)
                """,
            },
            why="blocking helpers handed to a thread, or wrapped with `@sync_to_async`",
        ),
        ok(
            """
            from app.services.text import slugify

            async def create_post(title: str):
                return {"slug": slugify(title)}
            """,
            path="backend/app/posts.py",
            files={"backend/app/services/text.py": "def slugify(s):\n    return s.lower().replace(' ', '-')\n"},
            why="a sync helper that does not block is fine",
        ),
        ok(
            """
            from asgiref.sync import sync_to_async
            from django.http import JsonResponse

            from shop.models import Order

            async def order_count(request):
                total = await sync_to_async(lambda: Order.objects.filter(paid=True).count())()
                first = await Order.objects.afirst()
                return JsonResponse({"total": total, "first": first.pk})
            """,
            path="shop/views.py",
            files={"shop/models.py": "from django.db import models\n\nclass Order(models.Model):\n    pass\n"},
            why="the Django ORM through `sync_to_async` and the async API",
        ),
        ok(
            """
            import redis.asyncio as redis

            cache = redis.Redis(host="cache")

            async def hits(key):
                return await cache.incr(key)
            """,
            why="the asyncio Redis client, awaited",
        ),
        flag(
            """
            import os

            class Recorder:
                def __init__(self, path):
                    self.log = open(path, "a")

                async def finish(self, pid):
                    os.waitpid(pid, 0)
                    self.log.write(f"{pid} done\\n")
            """,
            (8, 9),
            (9, 9),
            why="waiting for a child process; a file opened in `__init__` written on the loop",
        ),
        ok(
            """
            import anyio

            async def first_line(path):
                async with anyio.wrap_file(open(path)) as handle:
                    return await handle.readline()
            """,
            why="the file is read through worker threads by anyio's wrapper",
        ),
        ok(
            """
            import anyio
            import requests
            from asgiref.sync import sync_to_async

            async def fetch(url):
                a = await anyio.to_thread.run_sync(requests.get, url)
                b = await sync_to_async(requests.get)(url)
                return a, b
            """,
            why="anyio and asgiref offloading",
        ),
    )

    def check(self, ctx):
        facts = ctx.facts
        data = async_facts(facts)
        session_blockers: dict = {}
        for blocker in data.blockers:
            if blocker.entry in ORM_BLOCKERS:
                session_blockers.setdefault(id(blocker.scope), []).append(blocker)
        for function in facts.functions:
            if not function.is_async:
                continue
            # What the function is (a route?) is asked of the project index only once there is
            # something to report: most async functions block nowhere.
            place = _Place(ctx, function)
            reported_openers = [
                call.node.start_byte for call in function.calls
                if call.callee in FILE_OPENERS and not call.awaited and not _wrapped_for_threads(ctx, call)
            ]
            for call in function.calls:
                if call.awaited:
                    continue
                callee = call.callee
                if callee is None and call.deferred and not call.offloaded:
                    # `data_dir().iterdir()`: blocking when the project says `data_dir` returns a Path
                    callee = result_method(ctx.index, call.deferred)
                entry = blocking_call(callee)
                if entry is None:
                    continue
                if call.callee in FILE_OPENERS and _wrapped_for_threads(ctx, call):
                    continue
                if entry is FILE_OBJECT and any(start <= call.node.start_byte for start in reported_openers):
                    continue  # `f.read()` after `f = open(p)` here: one cause, reported at the opening call
                shown = _callee_display(ctx, call, callee)
                if call.offloaded_by:
                    message = (
                        f"{shown} runs on the event loop in {place.where} before `{call.offloaded_by}` starts: "
                        f"pass the function and its arguments instead, `{call.offloaded_by}({call.callee_text}, ...)`"
                    )
                else:
                    message = f"{shown} blocks the event loop in {place.where}: {entry.instead}"
                ctx.report(
                    call.node,
                    message,
                    level=place.level,
                    fix=_sleep_fix(ctx, function, call) if call.callee == "time.sleep" else None,
                    properties={"category": entry.category, "callee": callee, **place.properties},
                )
            for blocker in session_blockers.get(id(function), ()):
                if blocker.condition and session_kind(ctx.index, blocker.condition) != "sync":
                    continue
                instead = blocker.entry.instead
                route = place.route
                if blocker.entry is SESSION_IO and not (route and route.framework == "fastapi"):
                    instead = "use an `AsyncSession` (`async_sessionmaker`) and `await` it, or run the work with `await asyncio.to_thread(...)`"
                ctx.report(
                    blocker.node,
                    f"`{blocker.what}` ({blocker.entry.category}) blocks the event loop in {place.where}: {instead}",
                    level=place.level,
                    fix=place.to_def.fix() if blocker.entry is SESSION_IO else None,
                    properties={"category": blocker.entry.category, "callee": blocker.what, **place.properties},
                )
            self._check_helpers(ctx, function, place)
        self._check_causes(ctx, data)

    def _check_causes(self, ctx, data) -> None:
        """One finding at a blocking call that many calls from async code reach through sync
        helpers: the place whose fix removes all of them (see `blocking_callers`)."""
        asked = set()
        for blocker in data.blockers:
            scope = blocker.scope
            if scope is None or scope.is_async or scope.is_lambda or scope.qualname in asked:
                continue
            asked.add(scope.qualname)
            found = blocking_callers(ctx.index, scope.qualname)
            if found is not None and found[0].path == ctx.source.rel_path:
                _report_cause(ctx, scope, *found)

    def _check_helpers(self, ctx, function, place) -> None:
        """Calls of sync project functions that block, directly or further down."""
        for call in function.calls:
            callee = call.callee or call.deferred  # deferred: a method of a project function's result
            if call.awaited or call.offloaded or not callee or "." not in callee:
                continue
            if blocking_call(callee) is not None:
                continue
            found = blocking_helper(ctx.index, callee)
            if found is None:
                continue
            qualname, chain = found
            if folded_cause(ctx.index, qualname):
                continue  # reported once, at the blocking call it reaches (`_check_causes`)
            helper = qualname.rsplit(".", 1)[-1]
            last = chain[-1]
            through = [step.message.split("`")[1] for step in chain[:-1]]
            via = f" through {', '.join(f'`{name}`' for name in through)}" if through else ""
            what = last.message.split("`")[1]
            category = last.message.rsplit("(", 1)[-1].rstrip(")")
            name_node = function.node.child_by_field_name("name")
            flow = (
                FlowStep(ctx.source.span(name_node or function.node), f"{place.where}"),
                FlowStep(ctx.source.span(call.node), f"calls `{helper}`"),
                *(step.flow_step() for step in chain),
            )
            message = (
                f"`{helper}` blocks the event loop in {place.where}: it calls [`{what}`](1) ({category}){via}; "
                f"make that path async or run it on a thread with `await asyncio.to_thread({helper}, ...)`"
            )
            ctx.report(
                call.node,
                message,
                related=(Related(last.flow_step().span, f"`{what}` ({category})"),),
                flow=flow,
                level=place.level,
                fix=place.to_def.fix(),
                properties={"category": category, "callee": what, "helper": qualname,
                            "chain": [s.message for s in chain], **place.properties},
            )


# Related locations and code-flow entries a grouped finding lists at most; the message counts all.
MAX_CALLERS_LISTED = 1000  # as many as SARIF takes


def _report_cause(ctx, scope, cause, callers) -> None:
    """The grouped finding at `cause`, the blocking call in sync `scope` that `callers` reach."""
    what = cause.message.split("`")[1]
    category = cause.message.rsplit("(", 1)[-1].rstrip(")")
    functions = {c.qualname for c in callers}
    routes = sorted({c.route for c in callers if c.route})
    example = next(iter(callers))
    count = f"{len(functions)} async function{'s' * (len(functions) != 1)}"
    if len(callers) != len(functions):
        count += f" ({len(callers)} calls)"
    if routes:
        count += f", {len(routes)} of them route{'s' * (len(routes) != 1)}"
    helpers = sorted({c.helper.rsplit('.', 1)[-1] for c in callers})
    shown_helpers = ", ".join(f"`{h}`" for h in helpers[:3]) + (", ..." if len(helpers) > 3 else "")
    message = (
        f"`{what}` ({category}) in sync `{scope.name}` blocks the event loop: it is reached from {count}, "
        f"e.g. [{example.display}](1), through {shown_helpers}; make `{scope.name}` and its callers async "
        f"(or run this call on a thread from async code) to fix them all"
    )
    listed = callers[:MAX_CALLERS_LISTED]
    related = tuple(Related(Span(c.path, *c.where), f"{c.display} calls `{c.helper.rsplit('.', 1)[-1]}`") for c in listed)
    # Every route among the callers appears in the code flow, then one path down to the cause.
    entries = [c for c in listed if c.route and c is not example] + [example]
    flow = (
        *(FlowStep(Span(c.path, *c.where), f"{c.display} calls `{c.helper.rsplit('.', 1)[-1]}`") for c in entries),
        *(step.flow_step() for step in example.chain),
    )
    level = "error" if routes else ("note" if all(c.in_tests for c in callers) else None)
    ctx.report(
        Span(cause.path, *cause.where),
        message,
        related=related,
        flow=flow,
        level=level,
        properties={
            "category": category, "callee": what, "helper": scope.qualname,
            "folded_callers": len(callers),
            "callers": list(dict.fromkeys(c.qualname for c in listed)),
            **({"routes": routes[:MAX_CALLERS_LISTED]} if routes else {}),
        },
    )


class _Place:
    """Where a finding is: the async function, or the route it handles (found on first use)."""

    def __init__(self, ctx, function):
        self.ctx, self.function = ctx, function

    @functools.cached_property
    def route(self):
        return route_of(self.function, self.ctx.facts, self.ctx.index)

    @property
    def where(self) -> str:
        return f"async route `{self.route.display}`" if self.route else f"async function `{self.function.name}`"

    @property
    def level(self):
        return "error" if self.route else None

    @property
    def properties(self) -> dict:
        return {"route": self.route.display} if self.route else {}

    @functools.cached_property
    def to_def(self) -> "_ToDef":
        return _ToDef(self.ctx, self.function, self.route)


class _ToDef:
    """Fix: `async def` -> `def` for a FastAPI route that never awaits.

    FastAPI runs a plain `def` route in its thread pool, so the blocking work
    leaves the event loop. Counted safe only when the body has no `await`,
    `async for`, `async with` or `yield`, calls nothing from `asyncio`/`anyio`
    (which need the running loop), is not a websocket route, and no project
    code awaits the function (calling it would then return a value, not a
    coroutine)."""

    def __init__(self, ctx, function, route):
        self.ctx, self.function, self.route = ctx, function, route
        self._fix = False  # not computed yet

    def fix(self):
        if self._fix is False:
            self._fix = self._build()
        return self._fix

    def _build(self):
        function, route = self.function, self.route
        if route is None or route.framework != "fastapi" or function.has_await or "WEBSOCKET" in route.methods:
            return None
        if any((c.callee or "").startswith(("asyncio.", "anyio.")) for c in function.calls):
            return None
        node = function.node
        if b"yield" in self.ctx.source.data[node.start_byte:node.end_byte]:
            return None
        if is_awaited_somewhere(self.ctx.index, function.qualname):
            return None
        keyword = node.children[0]
        following = node.children[1] if len(node.children) > 1 else None
        if keyword.type != "async" or following is None or following.type != "def":
            return None
        source = self.ctx.source
        start = source.span(keyword)
        end = source.span(following)
        edit = TextEdit(Span(start.path, start.line, start.col, end.line, end.col), "")
        return Fix(description=f"Declare `{function.name}` with plain `def` (FastAPI runs it in its thread pool)", edits=(edit,))


def _wrapped_for_threads(ctx, call: CallFact) -> bool:
    """`await trio.wrap_file(open(p))`: the file is used only through worker threads after this."""
    parent = call.node.parent
    while parent is not None and parent.type == "parenthesized_expression":
        parent = parent.parent
    if parent is None or parent.type != "argument_list" or parent.parent is None:
        return False
    function = parent.parent.child_by_field_name("function")
    return function is not None and ctx.facts.resolve(function) in THREAD_WRAPPERS


def _callee_display(ctx, call: CallFact, callee: Optional[str] = None) -> str:
    """`requests.get`, or `http_get` (`requests.get`) when called through another name."""
    callee = callee or call.callee
    function = call.function
    text = call.callee_text
    if function is not None and function.type in _SIMPLE_NAME_TYPES and text != callee and "\n" not in text:
        if all(part.isidentifier() for part in text.split(".")):
            return f"`{text}` (`{callee}`)"
    return f"`{callee}`"


# -- fix: time.sleep(x) -> await asyncio.sleep(x) ------------------------------


def _sleep_fix(ctx, function: FunctionFact, call: CallFact) -> Optional[Fix]:
    """Only where `await` can replace the call as is: a statement, or the
    right-hand side of an assignment. The edits are made by `build_sleep_fix`,
    only when the fix is applied or reported."""
    node = call.node
    parent = node.parent
    right = parent.child_by_field_name("right") if parent is not None and parent.type == "assignment" else None
    if parent is None or not (parent.type == "expression_statement" or (right is not None and right.id == node.id)):
        return None
    if ctx.source.partial:
        return None  # a file with syntax errors is never fixed
    callee = node.child_by_field_name("function")
    if callee is None:
        return None
    facts = ctx.facts
    asyncio_name = next(
        (local for local, target in facts.imports.items() if target == "asyncio" and facts.lookup_name(local, node) == "asyncio"),
        None,
    )
    needs_import = asyncio_name is None
    if needs_import:
        if facts.is_bound("asyncio", node):
            return None  # something else is called `asyncio` here
        asyncio_name = "asyncio"
    source = ctx.source
    return Fix(
        description=f"Replace with `await {asyncio_name}.sleep(...)`" + (" and import asyncio" if needs_import else ""),
        edits=(),
        deferred=(
            f"{__name__}:build_sleep_fix",
            (source.position(node), source.position(callee), asyncio_name, needs_import),
        ),
    )


def build_sleep_fix(source, shared: dict, call: tuple, callee: tuple, asyncio_name: str, needs_import: bool):
    """The edits of one `_sleep_fix`: `await ` before the call and `asyncio.sleep` for its callee,
    as whole-line edits of the lines it spans, plus the file's `import asyncio` edit."""
    chunks = shared.get("chunks")
    if chunks is None:
        chunks = shared["chunks"] = line_chunks(source.text)
    line, col, end_line, end_col = callee
    call_edits = rewrite_lines(source.text, chunks, source.rel_path, [
        ((call[0], call[1]), (call[0], call[1]), "await "),
        ((line, col), (end_line, end_col), f"{asyncio_name}.sleep"),
    ])
    return call_edits + (_import_edits(source, shared) if needs_import else ())


def _import_edits(source, shared: dict):
    """`import asyncio` before the first module-level import (after a docstring and
    `from __future__` imports): one libcst parse per file, shared by its fixes."""
    if "import" not in shared:
        try:
            shared["import"] = _add_import(source)
        except Exception as error:  # libcst cannot parse this file: no fix rather than a wrong one
            shared["import"] = FixUnavailable(f"libcst cannot parse the file ({type(error).__name__})")
    edits = shared["import"]
    if isinstance(edits, FixUnavailable):
        raise edits
    return edits


def _add_import(source):
    import libcst as cst

    module = cst.parse_module(source.text)
    body = list(module.body)
    index = 0
    for position, statement in enumerate(body):
        first = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) and statement.body else None
        if position == 0 and isinstance(first, cst.Expr) and isinstance(first.value, cst.SimpleString):
            index = 1
            continue
        if isinstance(first, cst.ImportFrom) and isinstance(first.module, cst.Name) and first.module.value == "__future__":
            index = position + 1
            continue
        if isinstance(first, (cst.Import, cst.ImportFrom)):
            index = position
        break
    new_import = cst.SimpleStatementLine([cst.Import([cst.ImportAlias(cst.Name("asyncio"))])])
    if index < len(body) and isinstance(body[index], cst.SimpleStatementLine) and isinstance(body[index].body[0], (cst.Import, cst.ImportFrom)):
        # Insert after the first import so comments above it stay on top.
        index += 1
    body.insert(index, new_import)
    # Diffed against libcst's own rendering of the file: it drops the last line end of a CR-only
    # file, which must not become an edit. Any other difference and the lines may not match.
    code = module.code
    if code != source.text and code + module.default_newline != source.text:
        raise FixUnavailable("libcst does not reproduce the file")
    return edits_between(source.rel_path, code, module.with_changes(body=body).code)
