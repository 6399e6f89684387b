"""PF305 engine-per-request: a new engine / connection pool created on every request."""

from __future__ import annotations

from perfscan.facts.python import confirm_route
from perfscan.per_request import reason_for, runs_once
from perfscan.rule import Rule, flag, ok

ENGINE_FACTORIES = {
    "sqlalchemy.create_engine": "engine",
    "sqlalchemy.engine.create_engine": "engine",
    "sqlalchemy.ext.asyncio.create_async_engine": "engine",
    "sqlmodel.create_engine": "engine",
    "psycopg2.connect": "connection",
    "psycopg.connect": "connection",
    "psycopg.AsyncConnection.connect": "connection",
    "asyncpg.connect": "connection",
    "asyncpg.create_pool": "pool",
    "pymysql.connect": "connection",
    "MySQLdb.connect": "connection",
    "aiomysql.connect": "connection",
    "aiomysql.create_pool": "pool",
    "databases.Database": "pool",
}
class EnginePerRequest(Rule):
    code = "PF305"
    name = "engine-per-request"
    languages = frozenset({"python"})
    level = "warning"
    tags = ("database", "connection-pool", "fastapi", "sqlalchemy")
    hot_path_only = True  # test code is not a hot path (analyzer/test_paths.py)
    summary = "A database engine, pool or connection is created inside a request handler, losing connection pooling."
    what_it_does = """
        Finds `create_engine` / `create_async_engine`, `psycopg2.connect`, `asyncpg.connect` /
        `create_pool` and similar calls made in code that runs on every request: a route handler
        (FastAPI, Flask, Starlette, aiohttp, Django URL patterns and the other frameworks perfscan
        knows), a method of a Django / REST framework / Flask / Starlette / aiohttp view class, a
        Django function view (`def detail(request, ...)` in `views.py`), a FastAPI dependency
        (`Depends(get_db)`), or a function one of these calls, up to three calls away. Functions
        cached with `@lru_cache` / `@cache`, lazy singletons (`if _engine is None: ...`) and
        engines stored on `app.state` or in a module global are not reported.
    """
    why_slow = """
        An engine owns a connection pool. Creating one per request throws the pool away: every
        request opens a new TCP connection, does the TLS handshake and authentication, and the
        server forks a backend process (PostgreSQL) — typically 5–50 ms before the first query,
        plus the risk of exhausting `max_connections` under load because old engines are not
        disposed.
    """
    how_to_measure = """
        Count connections: `SELECT count(*) FROM pg_stat_activity` climbs with traffic, and the
        PostgreSQL log (`log_connections = on`) shows one connection per request. A profile of
        the route shows time in `connect()`; SQLAlchemy's pool logging (`echo_pool="debug"`)
        shows no checkouts being reused.
    """
    use_instead = """
        Create the engine once per process, at module level or in the app's lifespan, and hand
        out sessions from a `sessionmaker` bound to it: `engine = create_engine(URL)` and
        `SessionLocal = sessionmaker(engine)` at import time, then `def get_db(): with
        SessionLocal() as session: yield session`. For asyncpg, create the pool in the lifespan
        and acquire from it.
    """

    examples = (
        flag(
            """
            from fastapi import Depends, FastAPI
            from sqlalchemy import create_engine, text
            from sqlalchemy.orm import Session

            app = FastAPI()

            def get_db():
                engine = create_engine("postgresql://app@db/app")
                with Session(engine) as session:
                    yield session

            @app.get("/health")
            def health(db: Session = Depends(get_db)):
                return db.execute(text("select 1")).scalar()
            """,
            (8, 14),
            shown=True,
        ),
        ok(
            """
            from fastapi import Depends, FastAPI
            from sqlalchemy import create_engine, text
            from sqlalchemy.orm import Session, sessionmaker

            app = FastAPI()
            engine = create_engine("postgresql://app@db/app", pool_pre_ping=True)
            SessionLocal = sessionmaker(engine)

            def get_db():
                with SessionLocal() as session:
                    yield session

            @app.get("/health")
            def health(db: Session = Depends(get_db)):
                return db.execute(text("select 1")).scalar()
            """,
            why="one engine per process, sessions per request",
            shown=True,
        ),
        flag(
            """
            import psycopg2
            from fastapi import FastAPI

            app = FastAPI()

            @app.get("/orders/{order_id}")
            def get_order(order_id: int):
                conn = psycopg2.connect("dbname=shop")
                with conn.cursor() as cur:
                    cur.execute("SELECT * FROM orders WHERE id = %s", (order_id,))
                    return cur.fetchone()
            """,
            (8, 12),
            why="a raw connection per request inside the route",
        ),
        flag(
            """
            from fastapi import APIRouter
            from sqlalchemy.ext.asyncio import create_async_engine

            router = APIRouter()

            async def load_stats():
                engine = create_async_engine("postgresql+asyncpg://app@db/app")
                async with engine.connect() as conn:
                    return await conn.execute(...)

            @router.get("/stats")
            async def stats():
                return await load_stats()
            """,
            (7, 14),
            why="a helper called by the route",
        ),
        ok(
            """
            from functools import lru_cache
            from fastapi import Depends, FastAPI
            from sqlalchemy import create_engine

            app = FastAPI()

            @lru_cache
            def get_engine():
                return create_engine("postgresql://app@db/app")

            @app.get("/ping")
            def ping(engine=Depends(get_engine)):
                return {"ok": True}
            """,
            why="cached: created once",
        ),
        ok(
            """
            from contextlib import asynccontextmanager
            from fastapi import FastAPI
            from sqlalchemy.ext.asyncio import create_async_engine

            @asynccontextmanager
            async def lifespan(app: FastAPI):
                app.state.engine = create_async_engine("postgresql+asyncpg://app@db/app")
                yield
                await app.state.engine.dispose()

            app = FastAPI(lifespan=lifespan)
            """,
            why="created in the lifespan, once per process",
        ),
        ok(
            """
            from fastapi import FastAPI
            from sqlalchemy import create_engine

            app = FastAPI()
            _engine = None

            def engine():
                global _engine
                if _engine is None:
                    _engine = create_engine("postgresql://app@db/app")
                return _engine

            @app.get("/ping")
            def ping():
                engine()
                return {"ok": True}
            """,
            why="a lazy singleton",
        ),
    )

    def check(self, ctx):
        for call in ctx.facts.calls:
            scope = call.scope
            if call.callee not in ENGINE_FACTORIES or scope is None:
                continue
            if scope.route is not None and confirm_route(scope.route, ctx.index) is None:
                continue
            why = reason_for(scope, ctx.index)
            if why is None or runs_once(ctx.facts, call):
                continue
            kind = ENGINE_FACTORIES[call.callee]
            name = call.callee.rsplit(".", 1)[-1]
            ctx.report(
                call.node,
                f"`{name}(...)` creates a new database {kind} on every request (`{scope.name}` is {why}), "
                "so connection pooling is lost; create the engine/pool once per process (module level or "
                "lifespan) and take sessions or connections from it.",
            )
        return ctx.findings
