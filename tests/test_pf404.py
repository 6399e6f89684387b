"""PF404 beyond its examples: what counts as over a table, routes, caches, one finding per route."""

from __future__ import annotations

import textwrap

from perfscan.engine import check_text
from perfscan.facts.python import PythonFacts
from perfscan.per_request import PerRequest, per_request_entry, per_request_reason
from perfscan.project import ProjectIndex
from perfscan.rules import rule_by_code_or_name
from perfscan.rules.python.pf404_uncached_aggregate_in_route import _read_request_of
from tests.conftest import source_of

RULE = rule_by_code_or_name("PF404")

HEADER = """
from django.db.models import Count, Sum
from django.urls import path
from django.utils import timezone
from datetime import timedelta

from shop.models import Order, OrderStatus
"""


def findings(files: dict) -> list:
    files = {path: textwrap.dedent(text).lstrip("\n") for path, text in files.items()}
    result = check_text(files, rules=[RULE])
    assert not result.notifications, result.notifications
    return sorted((f for f in result.findings if f.code == "PF404"), key=lambda f: (f.span.path, f.span.line))


def django_view(body: str, route: str = 'path("v/", view)') -> list:
    code = HEADER + "\n\ndef view(request, pk=None):\n" + textwrap.indent(textwrap.dedent(body).strip("\n"), "    ")
    code += f"\n\nurlpatterns = [{route}]\n"
    return [(f.span.line, f.properties["aggregate"]) for f in findings({"shop/views.py": code})]


def test_one_finding_per_route_with_the_other_aggregates_related():
    found = findings(
        {
            "shop/views.py": HEADER + """
def dashboard(request):
    orders = Order.objects.count()
    revenue = Order.objects.aggregate(Sum("amount"))
    by_status = list(Order.objects.values("status").annotate(n=Count("id")))
    return {"orders": orders, "revenue": revenue, "by_status": by_status}

urlpatterns = [path("dashboard/", dashboard)]
"""
        }
    )
    assert [(f.span.line, f.span.col, f.level) for f in found] == [(9, 14, "note")]
    assert found[0].message.startswith(
        "`Order.objects.count()` computes COUNT over the whole `Order` table on every `* /dashboard/` request "
        "(and 2 more aggregates: [SUM on line 10](1), [COUNT on line 11](2)), with no cache in sight"
    )
    assert [(r.span.line, r.message) for r in found[0].related] == [(10, "SUM on line 10"), (11, "COUNT on line 11")]
    assert found[0].properties == {"route": "* /dashboard/", "aggregate": "COUNT", "aggregates": 3}


def test_constant_filters_and_time_windows_are_over_the_table():
    assert django_view("""
        since = timezone.now() - timedelta(days=30)
        return Order.objects.filter(status=OrderStatus.PAID, created__gte=since).count()
    """) == [(11, "COUNT")]


def test_filters_the_request_brings_are_selective():
    assert django_view("return Order.objects.filter(owner=request.user).count()") == []
    assert django_view("return Order.objects.filter(pk=pk).aggregate(Sum('amount'))") == []
    assert django_view("""
        mine = Order.objects.filter(owner_id=request.user.id)
        return mine.aggregate(Sum("amount"))
    """) == []
    assert django_view("""
        for status in ("open", "paid"):
            Order.objects.filter(status=status).count()
    """) == []  # a loop variable: not followed


def test_pages_min_max_and_related_managers_are_not_table_aggregates():
    assert django_view("return Order.objects.all()[:100].count()") == []
    assert django_view("return Order.objects.aggregate(Max('amount'))") == []
    assert django_view("return request.user.orders.count()") == []


def test_annotate_with_an_aggregate_groups_rows():
    assert django_view('return list(Order.objects.values("status").annotate(n=Count("id")))') == [
        (10, "COUNT per row (GROUP BY)")
    ]


def test_class_based_view_get_and_its_class_decorator():
    code = HEADER + """
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import cache_page

class Stats(View):
    def get(self, request):
        return Order.objects.count()

    def post(self, request):
        return Order.objects.count()

@method_decorator(cache_page(60), name="dispatch")
class CachedStats(View):
    def get(self, request):
        return Order.objects.count()

urlpatterns = [path("stats/", Stats.as_view()), path("cached/", CachedStats.as_view())]
"""
    found = findings({"shop/views.py": code})
    assert [(f.span.line, f.properties["route"]) for f in found] == [(14, "GET /stats/")]


def test_sqlalchemy_forms_and_selective_where():
    found = findings(
        {
            "app/api.py": """
                from fastapi import FastAPI
                from sqlalchemy import func, select
                from sqlalchemy.orm import Session

                from app.models import Order, User

                app = FastAPI()

                @app.get("/a")
                def a(db: Session):
                    return db.query(User).count()

                @app.get("/b")
                def b(db: Session):
                    return db.query(func.avg(Order.total)).filter(Order.paid.is_(True)).scalar()

                @app.get("/c/{user_id}")
                def c(user_id: int, db: Session):
                    stmt = select(func.sum(Order.total)).where(Order.user_id == user_id)
                    return db.scalar(stmt)

                @app.get("/d")
                def d(db: Session):
                    return db.scalar(select(func.count(Order.id)).limit(10))

                @app.get("/e")
                def e(db: Session):
                    return db.scalars(select(Order).where(Order.paid.is_(True))).all()
            """
        }
    )
    assert [(f.span.line, f.properties["aggregate"], f.properties["route"]) for f in found] == [
        (11, "COUNT", "GET /a"),
        (15, "AVG", "GET /b"),
    ]
    assert "over the whole `User` table" in found[0].message
    assert "over the whole `Order` table" in found[1].message


def test_cache_client_in_the_body_is_a_cache_in_sight():
    found = findings(
        {
            "app/api.py": """
                from fastapi import FastAPI
                from sqlalchemy import func, select

                from app.db import redis_client, session
                from app.models import Order

                app = FastAPI()

                @app.get("/stats")
                def stats():
                    cached = redis_client.get("stats")
                    if cached is None:
                        cached = session.scalar(select(func.count()).select_from(Order))
                        redis_client.setex("stats", 60, cached)
                    return cached
            """
        }
    )
    assert found == []


def test_filters_on_indexed_columns_read_an_index_not_the_table():
    models = """
        from django.db import models

        class Flip(models.Model):
            owner = models.ForeignKey("auth.User", on_delete=models.CASCADE)
            processed = models.DateTimeField(null=True)
            kind = models.CharField(max_length=10)

            class Meta:
                indexes = [models.Index(fields=["processed"], name="not_processed", condition=models.Q(processed=None))]
    """
    views = """
        from django.urls import path
        from hc.api.models import Flip

        def metrics(request):
            return {"unprocessed": Flip.objects.filter(processed__isnull=True).count()}

        def bots(request):
            return {"bots": Flip.objects.filter(owner__username="bot").count()}

        def kinds(request):
            return {"up": Flip.objects.filter(kind="up").count()}

        urlpatterns = [path("metrics/", metrics), path("bots/", bots), path("kinds/", kinds)]
    """
    found = findings({"hc/api/models.py": models, "hc/api/views.py": views})
    assert [(f.span.path, f.span.line, f.properties["route"]) for f in found] == [("hc/api/views.py", 11, "* /kinds/")]


def test_count_of_a_subquery_names_no_table_and_is_left_alone():
    found = findings(
        {
            "app/api.py": """
                from fastapi import FastAPI
                from sqlalchemy import func, select
                from sqlalchemy.ext.asyncio import AsyncSession

                from app.cases import open_case_ids

                app = FastAPI()

                @app.get("/orgs")
                async def orgs(session: AsyncSession):
                    return await session.scalar(select(func.count()).select_from(open_case_ids().subquery()))
            """
        }
    )
    assert found == []


def test_splatted_filters_and_request_proxies_come_from_the_request():
    assert django_view("return Order.objects.filter(**request.GET.dict()).count()") == []
    found = findings(
        {
            "app/handlers.py": """
                from flask import Blueprint, g
                from app.auth import current_org
                from app.models import Dashboard

                routes = Blueprint("routes", __name__)

                @routes.route("/status")
                def status():
                    return {"dashboards": Dashboard.query.filter(Dashboard.org == current_org).count()}

                @routes.route("/mine")
                def mine():
                    return {"dashboards": Dashboard.query.filter(Dashboard.user_id == g.user.id).count()}

                @routes.route("/all")
                def everything():
                    return {"dashboards": Dashboard.query.count()}
            """
        }
    )
    assert [(f.span.line, f.properties["route"]) for f in found] == [(17, "GET /all")]


def test_helpers_of_get_routes_one_or_two_calls_away():
    found = findings(
        {
            "app/monitor.py": """
                from app import redis_connection
                from app.models import Dashboard, Query, Widget

                def object_counts():
                    return {"queries": Query.query.count(), "widgets": Widget.query.count()}

                def status():
                    # Redis read as live data, not as a cache of the counts
                    return {"manager": redis_connection.hgetall("status"), **object_counts()}

                def dashboard_count():
                    return Dashboard.query.count()

                def deep():
                    return Query.query.count()

                def deeper():
                    return deep()

                def deepest():
                    return deeper()
            """,
            "app/handlers.py": """
                from flask import Blueprint
                from app.monitor import dashboard_count, deepest, status

                routes = Blueprint("routes", __name__)

                @routes.route("/status.json")
                def status_api():
                    return status()

                @routes.route("/deep")
                def deep_api():
                    return deepest()

                @routes.route("/dashboards", methods=["POST"])
                def create_dashboard():
                    return {"count": dashboard_count()}
            """,
        }
    )
    assert [(f.span.path, f.span.line, f.properties["route"]) for f in found] == [("app/monitor.py", 5, "GET /status.json")]
    assert found[0].message.startswith(
        "`Query.query.count()` computes COUNT over the whole `Query` table on every `GET /status.json` request "
        "(and 1 more aggregate: [COUNT on line 5](1)) (`object_counts` is reached from route `GET /status.json` "
        "through `status`), with no cache in sight"
    )


def test_a_caller_with_a_cache_in_sight_covers_its_helpers():
    stats_module = """
        from shop.models import Order

        def compute_stats():
            return {"orders": Order.objects.count()}
    """
    found = findings(
        {
            "shop/stats.py": stats_module,
            "shop/views.py": """
                from django.core.cache import cache
                from django.urls import path
                from shop.stats import compute_stats

                def dashboard(request):
                    stats = cache.get("stats")
                    if stats is None:
                        stats = compute_stats()
                        cache.set("stats", stats, 60)
                    return stats

                def uncached(request):
                    return compute_stats()

                urlpatterns = [path("dashboard/", dashboard)]
            """,
        }
    )
    assert found == []  # one caller caches: the helper's result may come from the cache
    found = findings(
        {
            "shop/stats.py": stats_module,
            "shop/views.py": """
                from django.urls import path
                from shop.stats import compute_stats

                def dashboard(request):
                    return compute_stats()

                urlpatterns = [path("dashboard/", dashboard)]
            """,
        }
    )
    assert [(f.span.path, f.span.line, f.properties["route"]) for f in found] == [("shop/stats.py", 4, "* /dashboard/")]
    assert "(`compute_stats` is called by route `* /dashboard/`)" in found[0].message


def test_viewset_read_actions_are_reported_and_write_actions_are_not():
    found = findings(
        {
            "shop/views.py": """
                from django.db.models import Count
                from rest_framework import viewsets
                from rest_framework.response import Response
                from shop.models import Order

                class OrderStats(viewsets.ViewSet):
                    def list(self, request):
                        return Response(list(Order.objects.values("status").annotate(n=Count("id")).order_by()))

                    def create(self, request):
                        return Response({"total": Order.objects.count()})
            """
        }
    )
    assert [(f.span.line, f.properties["route"], f.properties["reached"]) for f in found] == [
        (8, None, "a method of view `OrderStats`")
    ]
    assert "on every request to the view" in found[0].message


def test_sqlalchemy_indexed_column_filter_and_unindexed_foreign_key():
    models = """
        from sqlalchemy import ForeignKey, String
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

        class Base(DeclarativeBase):
            pass

        class Job(Base):
            __tablename__ = "jobs"
            id: Mapped[int] = mapped_column(primary_key=True)
            state: Mapped[str] = mapped_column(String(20), index=True)
            queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id"))
    """
    api = """
        from fastapi import FastAPI
        from sqlalchemy import func, select
        from sqlalchemy.orm import Session
        from app.models import Job

        app = FastAPI()

        @app.get("/pending")
        def pending(db: Session):
            return db.scalar(select(func.count()).select_from(Job).where(Job.state == "pending"))

        @app.get("/default-queue")
        def default_queue(db: Session):
            return db.scalar(select(func.count()).select_from(Job).where(Job.queue_id == 1))
    """
    found = findings({"app/models.py": models, "app/api.py": api})
    assert [(f.span.path, f.span.line, f.properties["route"]) for f in found] == [("app/api.py", 14, "GET /default-queue")]


PER_REQUEST_FILES = {
    "shop/views.py": """
        from django.urls import path
        from django.views import View
        from shop.stats import order_count

        class Stats(View):
            def get(self, request):
                return self.render(order_count())

            def render(self, data):
                return data

        class Plain(View):
            def get(self, request):
                return None

        def dashboard(request):
            return None

        urlpatterns = [path("stats/", Stats.as_view())]
    """,
    "shop/stats.py": """
        def order_count():
            return 1
    """,
    "app/api.py": """
        from fastapi import APIRouter, Depends
        from app.helpers import level1, settings_source

        router = APIRouter()

        def get_settings():
            return settings_source()

        @router.post("/items")
        def create_item(settings=Depends(get_settings)):
            return level1()
    """,
    "app/helpers.py": """
        def level1():
            return level2()

        def level2():
            return level3()

        def level3():
            return level4()

        def level4():
            return None

        def settings_source():
            return {}
    """,
}


def test_reads_how_a_request_reaches_a_function_from_the_per_request_fields():
    """PF404 reads the kind, route, methods and depth analyzer/per_request.py keeps per function,
    never the wording of its reason (which messages show)."""
    summaries = {
        path: ("python", PythonFacts.build(source_of(path, text)).summary()) for path, text in PER_REQUEST_FILES.items()
    }
    index = ProjectIndex.build("/project", summaries)
    expected = {
        # the routed view class: its `get` is the GET handler, another method runs in the view
        "shop.views.Stats.get": (PerRequest("route `GET /stats/`", "route", "GET /stats/", ("GET",)), "GET /stats/"),
        "shop.views.Stats.render": (
            PerRequest("a method of view `Stats` (route `/stats/`)", "view-method", "/stats/"), "* /stats/"),
        "shop.stats.order_count": (
            PerRequest("route `GET /stats/`", "route", "GET /stats/", ("GET",), depth=1), "GET /stats/"),
        # a view class and a function view of no known route: a request to the view
        "shop.views.Plain.get": (PerRequest("a method of view `Plain`", "view-method"), ""),
        "shop.views.dashboard": (PerRequest("view `dashboard`", "view"), ""),
        # a POST route and its helpers; the third call away is too deep for PF404 anyway
        "app.api.create_item": (PerRequest("route `POST /items`", "route", "POST /items", ("POST",)), None),
        "app.helpers.level2": (
            PerRequest("route `POST /items`", "route", "POST /items", ("POST",), depth=2, through=("app.helpers.level1",)), None),
        # a dependency and what it calls: run on every request of any route
        "app.api.get_settings": (PerRequest("a dependency resolved on every request", "dependency"), None),
        "app.helpers.settings_source": (PerRequest("a dependency resolved on every request", "dependency", depth=1), None),
    }
    for qualname, (entry, read) in expected.items():
        assert per_request_entry(index, qualname) == entry, qualname
        assert _read_request_of(entry) == read, qualname
    level3 = per_request_entry(index, "app.helpers.level3")
    assert (level3.depth, level3.through) == (3, ("app.helpers.level1", "app.helpers.level2"))
    assert per_request_entry(index, "app.helpers.level4") is None  # past MAX_DEPTH
    get_route = PerRequest("route `GET /x`", "route", "GET /x", ("GET",), depth=3, through=("app.a", "app.B.b"))
    assert _read_request_of(get_route) is None  # two functions between the handler and here
    one_between = PerRequest("route `GET /x`", "route", "GET /x", ("GET",), depth=2, through=("app.a",))
    assert _read_request_of(one_between) == "GET /x"
    # the reason messages show, as before
    assert per_request_reason(index, "app.helpers.level3") == "reached from route `POST /items` through `level1` → `level2`"
    assert per_request_reason(index, "shop.stats.order_count") == "called by route `GET /stats/`"
