"""PF305 engine-per-request: a new engine / connection pool created on every request."""

from __future__ import annotations

from perfscan.facts.python import confirm_route
from perfscan.project import question
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
CACHING_DECORATORS = frozenset({"lru_cache", "cache", "cached", "functools.lru_cache", "functools.cache", "cached_property"})


def _per_request_functions(index) -> dict:
    """{qualname: why it runs per request}: route handlers, FastAPI dependencies
    of routes, and functions a route handler calls directly."""
    found = {}
    for summary in index.python.values():
        for function in summary.get("functions", ()):
            route = function.get("route")
            if not route:
                continue
            label = f"route `{route['display']}`"
            found.setdefault(function["qualname"], label)
            for call in function.get("calls", ()):
                if call[0]:
                    found.setdefault(call[0], f"called by {label}")
    for summary in index.python.values():
        for qualname, target in (summary.get("db") or {}).get("depends", ()):
            found.setdefault(target, "a dependency resolved on every request")
    return found


@question
def per_request_reason(index, qualname: str):
    """Why the function `qualname` runs on every request, or None."""
    return index.get_derived("db.per_request", _per_request_functions).get(qualname)


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
        `create_pool` and similar calls made inside a route handler, a FastAPI dependency
        (`Depends(get_db)`) or a function a route calls directly. Functions cached with
        `@lru_cache` / `@cache` and lazy singletons (`if _engine is None: ...`) are not reported.
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
        candidates = [c for c in ctx.facts.calls if c.callee in ENGINE_FACTORIES and c.scope is not None]
        if not candidates:
            return ()
        guarded: dict = {}  # function id -> ids of its calls under a lazy-singleton test
        for call in candidates:
            scope = call.scope
            if scope.route is not None and confirm_route(scope.route, ctx.index) is None:
                continue
            why = per_request_reason(ctx.index, scope.qualname)
            if why is None and scope.route is not None:
                why = f"route `{scope.route.display}`"
            if why is None or self._cached(ctx, scope) or self._lazy_singleton(ctx, call, guarded):
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

    @staticmethod
    def _cached(ctx, scope) -> bool:
        return any(
            (d.callee or ctx.source.node_text(d.expression)).rsplit(".", 1)[-1] in CACHING_DECORATORS
            or ctx.source.node_text(d.expression).split("(", 1)[0].rsplit(".", 1)[-1] in CACHING_DECORATORS
            for d in scope.decorators
        )

    @staticmethod
    def _lazy_singleton(ctx, call, guarded: dict) -> bool:
        """Whether an `if ... None` / `if not ...` between the call and its function guards it.

        Answered from one walk down each function (`guarded`: function id -> ids of the guarded
        calls), not a walk up from each call: tree-sitter finds a parent by descending from the
        root, so walking up from 1,500 calls nested in conditional expressions took a minute."""
        scope = call.scope.node
        node = call.node
        if not (scope.start_byte <= node.start_byte and node.end_byte <= scope.end_byte):
            return False  # not inside its function's node (a decorator): no test between them
        calls = guarded.get(scope.id)
        if calls is None:
            calls = guarded[scope.id] = EnginePerRequest._guarded_calls(ctx, scope)
        return node.id in calls

    @staticmethod
    def _guarded_calls(ctx, scope) -> set:
        """Ids of the calls in function `scope` (not in functions nested in it) inside an
        `if` statement testing for None or a negation, its condition and branches included."""
        found = set()
        stack = [(child, False) for child in scope.children]
        while stack:
            node, under = stack.pop()
            kind = node.type
            if kind in ("function_definition", "lambda"):
                continue  # its own scope: the walk up from its calls stopped at it
            if kind == "call" and under:
                found.add(node.id)
            elif kind == "if_statement" and not under:
                condition = node.child_by_field_name("condition")
                text = ctx.source.node_text(condition) if condition is not None else ""
                under = "None" in text or text.startswith("not ")
            stack.extend((child, under) for child in node.children)
        return found
