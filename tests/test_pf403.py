"""PF403 beyond its examples: levels, messages, how instances are made across files."""

from __future__ import annotations

import textwrap

from perfscan.engine import check_text
from perfscan.rules import rule_by_code_or_name

RULE = rule_by_code_or_name("PF403")


def findings(files: dict) -> list:
    files = {path: textwrap.dedent(text).lstrip("\n") for path, text in files.items()}
    result = check_text(files, rules=[RULE])
    assert not result.notifications, result.notifications
    return sorted((f for f in result.findings if f.code == "PF403"), key=lambda f: (f.span.path, f.span.line))


def where(found) -> list:
    return [(f.span.path, f.span.line, f.span.col, f.level) for f in found]


def test_async_message_names_the_decorator_as_written_and_the_function():
    found = findings(
        {
            "app/rates.py": """
                import functools as ft

                @ft.lru_cache()
                async def rate(currency):
                    ...
            """
        }
    )
    assert where(found) == [("app/rates.py", 3, 2, "warning")]
    assert found[0].message.startswith(
        "`@ft.lru_cache` on `async def rate` caches the coroutine object, not its result"
    )
    assert found[0].properties == {"decorator": "functools.lru_cache", "kind": "coroutine"}


def test_every_sync_memoizer_on_async_is_reported_once_per_function():
    found = findings(
        {
            "app/svc.py": """
                from functools import cache, cached_property
                from cachetools import cachedmethod
                from cachetools.func import ttl_cache

                class Client:
                    @cached_property
                    async def token(self):
                        ...

                    @cachedmethod(lambda self: self._cache)
                    async def profile(self, user_id):
                        ...

                @ttl_cache(ttl=60)
                @cache
                async def config():
                    ...
            """
        }
    )
    assert where(found) == [("app/svc.py", 6, 6, "warning"), ("app/svc.py", 10, 6, "warning"), ("app/svc.py", 14, 2, "warning")]


def test_unbounded_forms_on_methods_and_bounded_ones_left_alone():
    found = findings(
        {
            "app/report.py": """
                from functools import lru_cache
                from cachetools import LRUCache, cached

                class Report:
                    @lru_cache(None)
                    def a(self): ...

                    @cached({})
                    def b(self): ...

                    @cached(cache=dict())
                    def c(self): ...

                    @cached(LRUCache(maxsize=10))
                    def d(self): ...

                    @lru_cache
                    def e(self): ...

                    @lru_cache(maxsize=SIZE)
                    def f(self): ...

                    @lru_cache(maxsize=None)
                    def g(this): ...
            """
        }
    )
    assert [(f.span.line, f.level) for f in found] == [(5, "note"), (8, "note"), (11, "note")]
    assert found[0].properties["instances"] == "unknown"


def test_class_constructed_in_another_file_makes_a_warning():
    found = findings(
        {
            "app/handlers.py": """
                from functools import cache

                class Handler:
                    @cache
                    def payload(self):
                        ...
            """,
            "app/events.py": """
                from app.handlers import Handler

                def on_event(event):
                    return Handler().payload()
            """,
        }
    )
    assert where(found) == [("app/handlers.py", 4, 6, "warning")]
    assert found[0].properties["instances"] == "many"
    assert "constructed inside functions" in found[0].message


def test_module_level_singleton_in_another_file_and_enum_through_a_project_base_are_silent():
    found = findings(
        {
            "app/settings.py": """
                from functools import cache
                from app.base import BaseEnum

                class Settings:
                    @cache
                    def flags(self):
                        ...

                class Status(BaseEnum):
                    OPEN = "open"

                    @cache
                    def label(self):
                        ...
            """,
            "app/base.py": """
                import enum

                class BaseEnum(str, enum.Enum):
                    pass
            """,
            "app/main.py": """
                from app.settings import Settings

                settings = Settings()
            """,
        }
    )
    assert found == []


def test_nested_function_in_a_method_is_not_a_method():
    found = findings(
        {
            "app/versioning.py": """
                import functools

                class Api:
                    def schema(self):
                        @functools.cache
                        def get_schema():
                            return {}
                        return get_schema()
            """
        }
    )
    assert found == []


def test_method_of_a_view_class_is_a_warning():
    found = findings(
        {
            "shop/views.py": """
                from functools import cache
                from django.views import View

                class Dashboard(View):
                    @cache
                    def totals(self):
                        ...

                    def get(self, request):
                        return self.totals()
            """
        }
    )
    assert where(found) == [("shop/views.py", 5, 6, "warning")]
    assert "a view: the framework makes one instance per request" in found[0].message
