"""Facts on demand (analyzer/facts/__init__.py): test modules nothing reads get names-only
facts, and the findings stay what the full model gives."""

from __future__ import annotations

import os
import textwrap

import pytest

from perfscan.config import Config
from perfscan.engine import check_text, run
from perfscan.facts import EAGER_ENV, build_facts, names_only
from perfscan.rules import rule_by_code_or_name
from perfscan.source import SourceFile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _source(rel_path: str, text: str) -> SourceFile:
    from perfscan.engine import source_from_bytes

    source, note = source_from_bytes("/project/" + rel_path, rel_path, "python", textwrap.dedent(text).encode())
    assert note is None
    return source


_SYNC_TEST = """
    from app.models import Order

    def test_totals(orders):
        for order in orders:
            assert Order.objects.get(pk=order.pk).total == order.total
"""


@pytest.mark.parametrize(
    "rel_path, text, settings, expected",
    [
        ("app/tests/test_orders.py", _SYNC_TEST, {}, True),
        ("conftest.py", _SYNC_TEST, {}, True),
        ("app/orders_test.py", _SYNC_TEST, {}, True),
        ("shop/tests.py", _SYNC_TEST, {}, True),  # Django's test module
        ("shop/testing.py", _SYNC_TEST, {}, False),
        # a helper module in a test folder: application code may call it
        ("app/tests/utils.py", _SYNC_TEST, {}, False),
        ("app/orders.py", _SYNC_TEST, {}, False),
        ("app/tests/test_orders.py", _SYNC_TEST, {"include_tests": True}, False),
        ("app/tests/test_orders.py", _SYNC_TEST, {"test_paths": ["scripts/"]}, False),
        # PF202 runs on test code: a file that may hold an AsyncSession call gets its full facts
        ("app/tests/test_orders.py", _SYNC_TEST + "\nasync def test_later(): pass\n", {}, False),
        ("app/tests/test_orders.py", _SYNC_TEST + "\ndef test_db(session): session.commit()\n", {}, False),
    ],
)
def test_which_files_get_names_only_facts(rel_path, text, settings, expected):
    assert names_only(_source(rel_path, text), settings) is expected


def test_pf202_alone_asks_for_full_facts_of_test_code():
    async_test = _source("tests/test_api.py", "async def test_get(session):\n    await session.commit()\n")
    assert rule_by_code_or_name("PF202").needs_facts(async_test)
    assert not rule_by_code_or_name("PF202").needs_facts(_source("tests/test_orders.py", _SYNC_TEST))
    assert not rule_by_code_or_name("PF000").needs_facts(async_test)


def test_eager_switch_builds_full_facts_everywhere(monkeypatch):
    source = _source("tests/test_orders.py", _SYNC_TEST)
    monkeypatch.setenv(EAGER_ENV, "1")
    assert names_only(source, {}) is False


def test_names_only_facts_keep_the_names_other_files_resolve():
    text = """
        import os
        from app.models import Order as O

        class TestOrders:
            def helper(self):
                return O.objects.count()

            async def test_list(self):
                def inner():
                    pass
                for o in self.helper():
                    o.refresh_from_db()
    """
    full = build_facts(_source("tests/test_orders.py", text)).summary()
    lean = build_facts(_source("tests/test_orders.py", text), names_only=True).summary()
    assert lean["module"] == full["module"] == "tests.test_orders"
    assert lean["imports"] == full["imports"] == {"os": "os", "O": "app.models.Order"}
    assert [(f["qualname"], f["is_async"]) for f in lean["functions"]] == [
        (f["qualname"], f["is_async"]) for f in full["functions"]
    ] == [
        ("tests.test_orders.TestOrders.helper", False),
        ("tests.test_orders.TestOrders.test_list", True),
        ("tests.test_orders.TestOrders.test_list.inner", False),
    ]
    # what only the full model has: calls, and the queries they run
    assert any(f["calls"] for f in full["functions"]) and not any(f["calls"] for f in lean["functions"])
    assert full["db"]["query_functions"] and not lean["db"]["query_functions"]


# -- the findings are the same with and without facts on demand ------------------------------


_PROJECT = {
    # application code runs a helper of a test folder (saleor's populatedb does)
    "app/seed.py": """
        from app.tests.utils import add_line

        def seed(orders):
            for order in orders:
                add_line(order)
    """,
    "app/tests/utils.py": """
        from app.models import Line

        def add_line(order):
            return Line.objects.create(order=order)
    """,
    "app/models.py": """
        from django.db import models

        class Line(models.Model):
            order = models.ForeignKey("Order", on_delete=models.CASCADE)
    """,
    "app/tests/test_seed.py": """
        from app.models import Line
        from app.seed import seed

        def test_seed(orders):
            seed(orders)
            assert len(Line.objects.filter(order=orders[0])) == 1
    """,
}


def _findings(files: dict, settings: dict) -> list:
    config = Config(project_settings=settings)
    files = {path: textwrap.dedent(text).lstrip("\n") for path, text in files.items()}
    result = check_text(files, config=config)
    return sorted((f.code, f.span.path, f.span.line, f.span.col, f.level, f.message) for f in result.findings)


@pytest.mark.parametrize("settings", [{}, {"include_tests": True}])
def test_findings_are_the_same_with_eager_facts(monkeypatch, settings):
    on_demand = _findings(_PROJECT, settings)
    monkeypatch.setenv(EAGER_ENV, "1")
    assert _findings(_PROJECT, settings) == on_demand
    codes = [(code, path, line) for code, path, line, *_ in on_demand]
    assert ("PF301", "app/seed.py", 5) in codes  # through the helper in the test folder
    assert (("PF306", "app/tests/test_seed.py", 6) in codes) is bool(settings)


def test_fixtures_give_the_same_findings_with_eager_facts(monkeypatch):
    def findings():
        result = run([os.path.join(ROOT, "fixtures")], Config(), jobs=1)
        return sorted((f.code, f.span.path, f.span.line, f.span.col, f.message) for f in result.findings)

    on_demand = findings()
    monkeypatch.setenv(EAGER_ENV, "1")
    assert findings() == on_demand
    assert len(on_demand) > 50


def test_cached_names_only_summaries_are_not_reused_when_tests_are_included(tmp_path):
    project = tmp_path / "project"
    for path, text in _PROJECT.items():
        (project / path).parent.mkdir(parents=True, exist_ok=True)
        (project / path).write_text(textwrap.dedent(text).lstrip("\n"))
    cache = str(tmp_path / "cache")

    def test_findings(settings):
        result = run([str(project)], Config(project_settings=settings), jobs=1, cache_dir=cache)
        return [(f.span.path, f.span.line) for f in result.findings if "tests/test_" in f.span.path]

    assert test_findings({}) == []
    assert test_findings({"include_tests": True}) == [("app/tests/test_seed.py", 6)]
    assert test_findings({}) == []


# -- requests are read only where a backend can receive them -----------------------------------

_FRONTEND = {
    "web/src/api.ts": """
        export async function getUser(id: number) {
          const response = await fetch(`/api/users/${id}`);
          return response.json();
        }
    """,
    "web/src/Users.tsx": """
        import { getUser } from "./api";
        export async function loadAll(ids: number[]) {
          for (const id of ids) {
            await getUser(id);
          }
        }
    """,
}
_BACKEND = {
    "backend/app/main.py": """
        from fastapi import FastAPI

        app = FastAPI()

        @app.get("/api/users/{user_id}")
        async def get_user(user_id: int):
            return {}
    """,
}


def _run(tmp_path, files: dict, settings: dict):
    from tests.conftest import write_tree

    write_tree(tmp_path, files)
    result = run([str(tmp_path)], Config(project_settings=settings), jobs=1)
    summaries = result.project_summaries()
    key = {"tsx": "http", "python": "routing"}
    http = {path: summary.get(key[family]) for path, (family, summary) in summaries.items()}
    findings = sorted((f.code, f.span.path, f.span.line, f.message) for f in result.findings)
    return http, findings


@pytest.mark.parametrize("backend, frontend", [(False, True), (True, False), (True, True)])
def test_the_cross_stack_parts_are_summarized_only_with_both_sides_or_for_perfscan_routes(
    tmp_path, monkeypatch, backend, frontend
):
    """A TS/TSX file's requests and a Python file's router mounts serve the route map alone."""
    from perfscan.facts import LIST_REQUESTS

    files = {**(_FRONTEND if frontend else {}), **(_BACKEND if backend else {})}
    http, findings = _run(tmp_path / "lean", files, {})
    assert all((value is not None) is (backend and frontend) for value in http.values())
    assert len(http) == 2 * frontend + backend
    listed, listed_findings = _run(tmp_path / "listed", files, {LIST_REQUESTS: True})
    assert all(value is not None for value in listed.values())
    monkeypatch.setenv(EAGER_ENV, "1")
    eager, eager_findings = _run(tmp_path / "eager", files, {})
    assert all(value is not None for value in eager.values())
    strip = lambda found: [(code, path.split("/", 1)[1], line, message) for code, path, line, message in found]  # noqa: E731
    assert strip(findings) == strip(listed_findings) == strip(eager_findings)
    # the cross-stack finding needs the backend: the loop awaits a request its route answers
    assert any(code == "PF402" for code, *_ in findings) is (backend and frontend)


def test_djangos_tests_module_is_test_code():
    # wagtail's contrib/search_promotions/tests.py was reported as application code
    files = {
        "shop/models.py": "from django.db import models\n\nclass Promo(models.Model):\n    name = models.CharField()\n",
        "shop/tests.py": (
            "from shop.models import Promo\n\ndef test_promos(names):\n"
            "    assert len(Promo.objects.filter(name__in=names)) == len(names)\n"
        ),
    }
    assert _findings(files, {}) == []
    assert [(code, path, line, level) for code, path, line, _, level, _ in _findings(files, {"include_tests": True})] == [
        ("PF306", "shop/tests.py", 4, "note")
    ]


def test_summaries_cached_without_requests_are_not_reused_by_perfscan_routes(tmp_path):
    from perfscan.facts import LIST_REQUESTS
    from tests.conftest import write_tree

    write_tree(tmp_path / "web", _FRONTEND)
    cache = str(tmp_path / "cache")

    def requests_summarized(settings):
        result = run([str(tmp_path / "web")], Config(project_settings=settings), jobs=1, cache_dir=cache)
        return sorted(summary.get("http") is not None for _, summary in result.project_summaries().values())

    assert requests_summarized({}) == [False, False]
    assert requests_summarized({LIST_REQUESTS: True}) == [True, True]
    assert requests_summarized({}) == [False, False]
