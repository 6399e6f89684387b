"""PF401 client-per-request: an HTTP, Redis or AWS client built per request or per loop iteration."""

from __future__ import annotations

from perfscan.facts.python import confirm_route
from perfscan.facts.python_common import _call_arguments
from perfscan.per_request import reason_for, runs_once
from perfscan.findings import Related
from perfscan.rule import Rule, flag, ok

HTTP = "HTTP client (its own connection pool)"
REDIS = "Redis client (its own connection pool)"
AWS = "AWS client (its own connection pool, credentials lookup and service model)"
CLIENT_CONSTRUCTORS = {
    "httpx.AsyncClient": HTTP,
    "httpx.Client": HTTP,
    "requests.Session": HTTP,
    "requests.session": HTTP,
    "requests.sessions.Session": HTTP,
    "requests.sessions.session": HTTP,
    "aiohttp.ClientSession": HTTP,
    "aiohttp.client.ClientSession": HTTP,
    "redis.Redis": REDIS,
    "redis.StrictRedis": REDIS,
    "redis.client.Redis": REDIS,
    "redis.from_url": REDIS,
    "redis.Redis.from_url": REDIS,
    "redis.StrictRedis.from_url": REDIS,
    "redis.asyncio.Redis": REDIS,
    "redis.asyncio.StrictRedis": REDIS,
    "redis.asyncio.from_url": REDIS,
    "redis.asyncio.Redis.from_url": REDIS,
    "redis.asyncio.client.Redis": REDIS,
    "boto3.client": AWS,
    "boto3.resource": AWS,
    "boto3.Session.client": AWS,
    "boto3.Session.resource": AWS,
    "boto3.session.Session.client": AWS,
    "boto3.session.Session.resource": AWS,
}
# Keywords that give the new client its connection handling: a pool or connector made elsewhere
# (`redis.Redis(connection_pool=pool)`, aiohttp `connector=shared, connector_owner=False`), or one
# made per call on purpose (a transport pinned to the IPs validated for this URL, against SSRF).
POOL_KEYWORDS = frozenset({"connection_pool", "connector", "transport"})

# Django's cache API (`from django.core.cache import cache`, `caches["x"]`): read, then write on a miss.
DJANGO_CACHE = "django.core.cache."
CACHE_READS = frozenset({"get", "get_many", "has_key"})
CACHE_WRITES = frozenset({"set", "add", "set_many"})


class ClientPerRequest(Rule):
    code = "PF401"
    name = "client-per-request"
    languages = frozenset({"python"})
    level = "warning"
    tags = ("http", "redis", "aws", "connection-pool")
    hot_path_only = True  # test code is not a hot path (analyzer/test_paths.py)
    summary = "An HTTP, Redis or AWS client is built on every request or loop iteration, so its connections are never reused."
    what_it_does = """
        Finds `httpx.AsyncClient()` / `httpx.Client()`, `requests.Session()`,
        `aiohttp.ClientSession()`, `redis.Redis(...)` / `redis.asyncio.Redis(...)` / `from_url`,
        and `boto3.client(...)` / `boto3.resource(...)` built in code that runs on every request,
        or in a loop body. Per request means what PF305 means: a route handler (FastAPI, Flask,
        Starlette, aiohttp, Django URL patterns...), a method of a view class (Django, REST
        framework, Flask `MethodView`, Starlette `HTTPEndpoint`, aiohttp `web.View`), a Django
        function view, a FastAPI dependency, or a function one of these calls, up to three calls
        away (a class built per request runs its `__init__` per request). The classic case is
        `async with httpx.AsyncClient() as client:` inside a route.

        Not reported: clients built at module level, in a lifespan or startup handler, stored on
        `app.state` or in a module global, returned by a cached factory (`@lru_cache`), behind a
        lazy-singleton test (`if _client is None:`), built once before a loop, built in a loop
        from the loop's own item (`boto3.client("s3", region_name=region)` for each region is a
        different client each time), or in a function that reads what it fetches from Django's
        cache first (`cache.get(...)`, fetch on a miss, `cache.set(...)`). A client given its
        connections (`redis.Redis(connection_pool=pool)`, aiohttp `connector=`, httpx
        `transport=`) either shares a pool made elsewhere or was made per call on purpose (a
        transport pinned to the addresses validated for one URL, against SSRF): not reported.
        Module-level functions such as `requests.get(...)` are not client constructions and are
        left to other rules.

        No automatic fix: moving a client out of a function changes its lifetime (it must then be
        closed at shutdown, and settings taken from the request must become per-call arguments),
        which only the author can decide.
    """
    why_slow = """
        A client owns a connection pool. A new client starts empty, so its first request pays DNS
        resolution, a TCP handshake and a TLS handshake again (one to three round trips, often
        20-100 ms to a remote API), and the connection is thrown away when the client is closed:
        keep-alive and HTTP/2 multiplexing never help. Building the client costs CPU before any
        network: an `httpx` client makes a new SSL context and loads the CA bundle (milliseconds
        each time, even for a plain-HTTP call to localhost); `boto3.client()` loads the service's
        JSON model and resolves credentials (tens of milliseconds of CPU before any network),
        and a Redis client per request opens a new connection to the server each time. Under load
        the sockets left in TIME_WAIT and the connection churn on the server add up.
    """
    how_to_measure = """
        Time the handler with the client inside and outside it: the difference is the connection
        setup. `httpx` logs `connect_tcp.started` / `start_tls.started` for every new connection
        with `logging.getLogger("httpcore").setLevel("DEBUG")`; `urllib3` logs `Starting new HTTPS
        connection`. On Redis, `INFO clients` / `CLIENT LIST` shows the connection count climbing
        with traffic; `ss -s` on the host shows sockets in TIME_WAIT. A profile of the route shows
        time in `connect`, `ssl.do_handshake` or botocore's loader.
    """
    use_instead = """
        Build the client once per process and share it: at module level for sync clients
        (`session = requests.Session()`, `s3 = boto3.client("s3")`), or in the app's lifespan for
        async ones (`app.state.http = httpx.AsyncClient()`, closed after `yield`), handed to routes
        through a dependency that returns it. A cached factory (`@lru_cache def get_s3():`) works
        too. Per-request settings (headers, auth, timeouts) go on the request call
        (`client.get(url, headers=...)`), not on a new client. In a loop, build the client before
        the loop.
    """

    examples = (
        flag(
            """
            import httpx
            from fastapi import FastAPI

            app = FastAPI()

            @app.get("/weather/{city}")
            async def weather(city: str):
                async with httpx.AsyncClient(timeout=5) as client:
                    response = await client.get(f"https://api.weather.example/v1/{city}")
                return response.json()
            """,
            (8, 16),
            shown=True,
        ),
        ok(
            """
            from contextlib import asynccontextmanager

            import httpx
            from fastapi import FastAPI, Request

            @asynccontextmanager
            async def lifespan(app: FastAPI):
                app.state.http = httpx.AsyncClient(timeout=5)
                yield
                await app.state.http.aclose()

            app = FastAPI(lifespan=lifespan)

            @app.get("/weather/{city}")
            async def weather(city: str, request: Request):
                response = await request.app.state.http.get(f"https://api.weather.example/v1/{city}")
                return response.json()
            """,
            why="one client per process, built in the lifespan and shared by every request",
            shown=True,
        ),
        flag(
            """
            import requests
            from flask import Flask

            app = Flask(__name__)

            def fetch_rates():
                session = requests.Session()
                return session.get("https://rates.example/latest").json()

            @app.route("/rates")
            def rates():
                return fetch_rates()
            """,
            (7, 15),
            why="a Flask route calls a helper that builds a session per call",
        ),
        flag(
            """
            import boto3
            from django.http import JsonResponse

            def download_url(request, key):
                s3 = boto3.client("s3")
                url = s3.generate_presigned_url("get_object", Params={"Bucket": "media", "Key": key})
                return JsonResponse({"url": url})
            """,
            (5, 10),
            path="shop/views.py",
            why="a Django function view",
        ),
        flag(
            """
            import boto3
            from rest_framework.views import APIView
            from rest_framework.response import Response

            class Storage:
                def __init__(self):
                    self.client = boto3.client("s3")

            class AssetView(APIView):
                def get(self, request, key):
                    return Response({"url": Storage().client.generate_presigned_url("get_object")})
            """,
            (7, 23),
            path="assets/api.py",
            why="a class built in a REST framework view builds its client in __init__",
        ),
        flag(
            """
            import redis

            def warm_caches(tenants):
                for tenant in tenants:
                    cache = redis.Redis(host="cache.internal")
                    cache.set(f"warm:{tenant}", 1)
            """,
            (5, 17),
            why="a loop body builds a client per iteration, even outside a route",
        ),
        ok(
            """
            import redis

            def warm_caches(tenants):
                cache = redis.Redis(host="cache.internal")
                for tenant in tenants:
                    cache.set(f"warm:{tenant}", 1)
            """,
            why="built once before the loop",
        ),
        ok(
            """
            import boto3

            def scan_regions(regions):
                for region in regions:
                    ec2 = boto3.client("ec2", region_name=region)
                    yield region, ec2.describe_instances()
            """,
            why="one client per region: each iteration needs a different client",
        ),
        ok(
            """
            from functools import lru_cache

            import boto3
            from fastapi import Depends, FastAPI

            app = FastAPI()

            @lru_cache
            def get_s3():
                return boto3.client("s3")

            @app.get("/files/{key}")
            def file_url(key: str, s3=Depends(get_s3)):
                return {"url": s3.generate_presigned_url("get_object", Params={"Key": key})}
            """,
            why="a cached factory: the dependency returns the same client every time",
        ),
        ok(
            """
            import httpx
            from fastapi import FastAPI

            app = FastAPI()
            _client = None

            def client():
                global _client
                if _client is None:
                    _client = httpx.Client(timeout=5)
                return _client

            @app.get("/ping")
            def ping():
                return client().get("https://upstream.example/ping").json()
            """,
            why="a lazy singleton",
        ),
        ok(
            """
            import redis
            from flask import Flask

            app = Flask(__name__)
            pool = redis.ConnectionPool.from_url("redis://cache:6379/0")

            @app.get("/hits")
            def hits():
                return {"hits": redis.Redis(connection_pool=pool).incr("hits")}
            """,
            why="the client shares a pool built once: no new connection per request",
        ),
        ok(
            """
            import requests
            from fastapi import FastAPI

            app = FastAPI()

            @app.get("/status")
            def status():
                return requests.get("https://status.example/api").json()
            """,
            why="a module-level request function is no client construction (other rules look at it)",
        ),
        ok(
            """
            import requests
            from django.core.cache import cache
            from django.http import JsonResponse

            def plugin_catalog(request):
                plugins = cache.get("plugin-catalog")
                if plugins is None:
                    session = requests.Session()
                    plugins = [session.get(url, timeout=3).json() for url in CATALOG_PAGES]
                    cache.set("plugin-catalog", plugins, 3600)
                return JsonResponse({"plugins": plugins})
            """,
            path="core/views.py",
            why="read through Django's cache: the session works on a miss only, an hour apart",
        ),
        ok(
            """
            import boto3
            from django.core.management.base import BaseCommand

            class Command(BaseCommand):
                def handle(self, *args, **options):
                    s3 = boto3.client("s3")
                    s3.create_bucket(Bucket="uploads")
            """,
            path="core/management/commands/create_bucket.py",
            why="a management command runs once: no loop, no route",
        ),
    )

    def check(self, ctx):
        reported: dict = {}  # (function, client kind) -> [first call, its message, other calls]
        for call in ctx.facts.calls:
            scope = call.scope
            kind = CLIENT_CONSTRUCTORS.get(call.callee)
            if kind is None or scope is None or self._shares_pool(call):
                continue
            if scope.route is not None and confirm_route(scope.route, ctx.index) is None:
                continue
            where = self._per_iteration(ctx, call)
            if where is None:
                why = reason_for(scope, ctx.index)
                if why is not None:
                    where = f"on every request (`{_function_name(scope)}` is {why})"
            if where is None or runs_once(ctx.facts, call) or self._behind_cache(scope):
                continue
            key = (scope.node.id, kind)
            if key in reported:
                reported[key][2].append(call)  # another branch building the same client: one cause
                continue
            name = call.callee.replace("boto3.session.Session", "boto3.Session")
            message = (
                f"`{name}(...)` builds a new {kind} {where}, so every call pays DNS, TCP and TLS "
                "setup again; build it once (module level, lifespan or a cached factory) and reuse it."
            )
            reported[key] = [call, message, []]
        for call, message, others in reported.values():
            related = tuple(Related(ctx.source.span(o.node), f"line {ctx.source.span(o.node).line}") for o in others)
            if related:
                links = ", ".join(f"[{r.message}]({i})" for i, r in enumerate(related, 1))
                message += f" This function builds one again at {links}: the same cause, fixed once."
            ctx.report(call.node, message, related=related)
        return ctx.findings

    @staticmethod
    def _behind_cache(scope) -> bool:
        """A read-through cache in the function (`cache.get(key)`, fetch on a miss, `cache.set`):
        the client only works on a miss, not on every request."""
        names = {(c.callee or "").rsplit(".", 1)[-1] for c in scope.calls if (c.callee or "").startswith(DJANGO_CACHE)}
        return bool(names & CACHE_READS) and bool(names & CACHE_WRITES)

    @staticmethod
    def _shares_pool(call) -> bool:
        return bool(POOL_KEYWORDS & set(_call_arguments(call.node)[1]))

    @staticmethod
    def _per_iteration(ctx, call):
        """"in each iteration of the loop at line N" when the call runs in a loop of its own
        function and builds the same client every time (no argument names a loop variable)."""
        if not call.loops:
            return None
        arguments = call.node.child_by_field_name("arguments")
        used = set(_identifiers(ctx, arguments)) if arguments is not None else set()
        for loop in call.loops:
            if used & set(loop.targets):
                return None
        line = call.loops[0].node.start_point[0] + 1
        return f"in every iteration of the loop at line {line}"


def _function_name(scope) -> str:
    """`S3Storage.__init__` for a method, `fetch_rates` for a function."""
    return f"{scope.class_name}.{scope.name}" if scope.class_name else scope.name


def _identifiers(ctx, node):
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "identifier":
            yield ctx.source.node_text(current)
        stack.extend(current.children)
