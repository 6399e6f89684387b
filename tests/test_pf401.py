"""PF401 and PF305 beyond their examples: one notion of "runs per request" (analyzer/per_request.py)
across frameworks and files, how far it reaches, and what is made once."""

from __future__ import annotations

import textwrap

from perfscan.config import Config
from perfscan.engine import check_text
from perfscan.rules import rule_by_code_or_name

PF401 = rule_by_code_or_name("PF401")
PF305 = rule_by_code_or_name("PF305")


def findings(files: dict, rule=PF401, **kw) -> list:
    files = {path: textwrap.dedent(text).lstrip("\n") for path, text in files.items()}
    result = check_text(files, rules=[rule], **kw)
    assert not result.notifications, result.notifications
    return sorted((f for f in result.findings if f.code == rule.code), key=lambda f: (f.span.path, f.span.line))


def where(found) -> list:
    return [(f.span.path, f.span.line, f.span.col) for f in found]


HELPER = """
    import httpx

    async def fetch_rates():
        async with httpx.AsyncClient() as client:
            return (await client.get("https://rates.example")).json()
"""


DJANGO_HANDLER = """
    from services.rates import fetch_rates

    async def rates(request):
        return await fetch_rates()
"""
FRAMEWORK_HANDLERS = {
    "flask": {
        "flask_app/app.py": """
            from flask import Flask
            from services.rates import fetch_rates

            app = Flask(__name__)

            @app.route("/rates")
            async def rates():
                return await fetch_rates()
        """,
    },
    "starlette": {
        "starlette_app/app.py": """
            from starlette.applications import Starlette
            from starlette.routing import Route
            from services.rates import fetch_rates

            async def rates(request):
                return await fetch_rates()

            app = Starlette(routes=[Route("/rates", rates)])
        """,
    },
    "aiohttp": {
        "aiohttp_app/app.py": """
            from aiohttp import web
            from services.rates import fetch_rates

            async def rates(request):
                return web.json_response(await fetch_rates())

            app = web.Application()
            app.router.add_get("/rates", rates)
        """,
    },
    "django urls.py": {
        "shop/urls.py": """
            from django.urls import path
            from shop import handlers

            urlpatterns = [path("rates/", handlers.rates)]
        """,
        "shop/handlers.py": DJANGO_HANDLER,
    },
}


def test_route_handlers_of_each_framework_make_their_helpers_per_request():
    for framework, handler in FRAMEWORK_HANDLERS.items():
        found = findings({"services/rates.py": HELPER, **handler})
        assert where(found) == [("services/rates.py", 4, 16)], framework
        assert "`fetch_rates` is called by route `" in found[0].message, framework
    # the same function, neither in a `views` module nor in URL patterns: no view
    assert findings({"services/rates.py": HELPER, "shop/handlers.py": DJANGO_HANDLER}) == []


def test_view_classes_and_function_views_run_per_request():
    files = {
        "services/rates.py": HELPER,
        "shop/base.py": """
            from django.views.generic import TemplateView

            class ShopView(TemplateView):
                template_name = "shop.html"
        """,
        "shop/pages.py": """
            from services.rates import fetch_rates
            from shop.base import ShopView

            class RatesPage(ShopView):
                async def get_context_data(self, **kwargs):
                    return {"rates": await fetch_rates()}
        """,
    }
    found = findings(files)
    assert where(found) == [("services/rates.py", 4, 16)]
    assert "called by a method of view `RatesPage`" in found[0].message

    function_view = {
        "services/rates.py": HELPER,
        "shop/views/rates.py": """
            from services.rates import fetch_rates

            async def rates(request):
                return await fetch_rates()
        """,
    }
    found = findings(function_view)
    assert where(found) == [("services/rates.py", 4, 16)]
    assert "called by view `rates`" in found[0].message


def test_reach_stops_three_calls_away_and_at_cached_functions():
    chain = """
        from fastapi import FastAPI
        from services.rates import fetch_rates

        app = FastAPI()

        async def one():
            return await two()

        async def two():
            return await {last}()

        @app.get("/rates")
        async def rates():
            return await one()
    """
    three = findings({"services/rates.py": HELPER, "app.py": chain.format(last="fetch_rates")})
    assert where(three) == [("services/rates.py", 4, 16)]
    assert "`fetch_rates` is reached from route `GET /rates` through `one` → `two`" in three[0].message
    four = chain.format(last="three") + "\nasync def three():\n    return await fetch_rates()\n"
    assert findings({"services/rates.py": HELPER, "app.py": four}) == []

    cached = """
        from functools import lru_cache
        from fastapi import FastAPI
        import httpx

        app = FastAPI()

        def make_client():
            return httpx.Client()

        @lru_cache
        def client():
            return make_client()

        @app.get("/rates")
        def rates():
            return client().get("https://rates.example").json()
    """
    assert findings({"app.py": cached}) == []


def test_a_class_built_per_request_runs_its_init_per_request_and_one_cause_is_one_finding():
    found = findings(
        {
            "storage.py": """
                import os
                import boto3

                class Storage:
                    def __init__(self):
                        if os.environ.get("USE_MINIO"):
                            self.client = boto3.client("s3", endpoint_url=os.environ["MINIO_URL"])
                        else:
                            self.client = boto3.client("s3")
            """,
            "api/views.py": """
                from storage import Storage

                def upload_url(request):
                    return Storage().client.generate_presigned_post("media", "key")
            """,
        }
    )
    assert where(found) == [("storage.py", 7, 27)]
    assert "(`Storage.__init__` is called by view `upload_url`)" in found[0].message
    assert [(r.span.line, r.span.col, r.message) for r in found[0].related] == [(9, 27, "line 9")]
    assert found[0].message.endswith("This function builds one again at [line 9](1): the same cause, fixed once.")


def test_routes_in_test_code_make_nothing_per_request():
    files = {
        "services/rates.py": HELPER,
        "tests/test_rates.py": """
            from fastapi import FastAPI
            from services.rates import fetch_rates

            app = FastAPI()

            @app.get("/rates")
            async def rates():
                return await fetch_rates()
        """,
    }
    assert findings(files) == []


def test_made_once_and_kept():
    source = """
        import httpx
        from fastapi import FastAPI, Request

        app = FastAPI()
        _client = None
        _clients = {}

        @app.get("/a")
        async def a(request: Request):
            request.app.state.http = httpx.AsyncClient()

        @app.get("/b")
        def b():
            global _client
            _client = httpx.Client()

        @app.get("/c")
        def c(host: str):
            if host not in _clients:
                _clients[host] = httpx.Client(base_url=host)
            return _clients[host]

        @app.get("/d")
        async def d(request: Request):
            if not hasattr(request.app.state, "http"):
                request.app.state.http = httpx.AsyncClient()

        @app.get("/e")
        async def e():
            async with httpx.AsyncClient(transport=httpx.MockTransport(None)) as client:
                return client
    """
    assert findings({"app.py": source}) == []


def test_loops():
    found = findings(
        {
            "worker.py": """
                import time
                import boto3
                import requests

                def poll(urls):
                    while True:
                        session = requests.Session()
                        session.get(urls[0])
                        time.sleep(5)

                def fetch_all(urls):
                    return [requests.Session().get(url) for url in urls]

                def per_region(regions):
                    return [boto3.client("ec2", region_name=region) for region in regions]

                def sync_users(users):
                    for user in users:
                        with requests.Session() as session:
                            session.post("https://crm.example/users", json=user)
            """,
            "scripts/once.py": """
                import requests

                for url in ["https://a.example", "https://b.example"]:
                    requests.Session().get(url)
            """,
            "tests/test_worker.py": """
                import requests

                def test_many():
                    for _ in range(3):
                        requests.Session()
            """,
        }
    )
    assert where(found) == [("worker.py", 7, 19), ("worker.py", 12, 13), ("worker.py", 19, 14)]
    assert "in every iteration of the loop at line 6" in found[0].message
    # tests are reported at level note only when asked for
    noted = findings({"tests/test_worker.py": "import requests\n\ndef test_many():\n    for _ in range(3):\n        requests.Session()\n"},
                     config=Config(project_settings={"include_tests": True}))
    assert [(f.span.line, f.level) for f in noted] == [(5, "note")]


def test_pf305_shares_the_notion():
    files = {
        "db.py": """
            from sqlalchemy import create_engine

            def engine():
                return create_engine("postgresql://app@db/app")
        """,
        "shop/views.py": """
            from django.http import JsonResponse
            from db import engine

            def health(request):
                with engine().connect() as conn:
                    return JsonResponse({"ok": True})
        """,
    }
    found = findings(files, rule=PF305)
    assert where(found) == [("db.py", 4, 12)]
    assert "(`engine` is called by view `health`)" in found[0].message
    assert findings(files, rule=PF401) == []


def test_a_dependency_used_only_by_a_test_app_is_not_per_request():
    files = {
        "clients.py": """
            import httpx

            def get_client():
                return httpx.Client(base_url="https://upstream.example")
        """,
        "tests/test_app.py": """
            from fastapi import Depends
            from clients import get_client

            def probe(client=Depends(get_client)):
                return client
        """,
    }
    assert findings(files) == []
    files["api.py"] = files["tests/test_app.py"]
    assert where(findings(files)) == [("clients.py", 4, 12)]
