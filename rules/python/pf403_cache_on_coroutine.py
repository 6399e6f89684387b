"""PF403 cache-on-coroutine: a sync memoizer on an `async def`, or an unbounded one on an instance method."""

from __future__ import annotations

from typing import Optional

from perfscan.async_index import async_index
from perfscan.facts.python import build_object_types, dotted_suffixes
from perfscan.facts.python_db import call_args, unwrap
from perfscan.per_request import per_request_entry
from perfscan.project import question
from perfscan.rule import Rule, flag, ok

# Memoizers written for plain functions: on an `async def` they store the coroutine object.
# name -> how its bound is given: "unbounded" (never evicts), "maxsize" (functools' maxsize=,
# 128 by default), "cache" (cachetools' cache argument), "per-instance" (a cache the instance owns).
SYNC_MEMOIZERS = {
    "functools.cache": "unbounded",
    "functools.lru_cache": "maxsize",
    "functools.cached_property": "per-instance",
    "cachetools.cached": "cache",
    "cachetools.cachedmethod": "per-instance",
    **{f"cachetools.func.{name}": "maxsize" for name in
       ("lru_cache", "ttl_cache", "lfu_cache", "fifo_cache", "rr_cache", "mru_cache")},
}
# Classes whose instances are few and live as long as the process: a cache keyed by them leaks nothing.
SINGLETON_BASES = frozenset({
    "enum.Enum", "enum.IntEnum", "enum.StrEnum", "enum.Flag", "enum.IntFlag",
    "django.db.models.TextChoices", "django.db.models.IntegerChoices", "django.db.models.Choices",
})  # fmt: skip
NOT_INSTANCE_METHODS = frozenset({"staticmethod", "classmethod", "builtins.staticmethod", "builtins.classmethod"})
UNBOUNDED_CACHES = frozenset({"builtins.dict", "dict"})
# Kinds of per-request handlers (analyzer/per_request.py) that make a method's class a view: one
# instance per request, made by the framework.
VIEW_KINDS = frozenset({"view-method", "route"})


def _class_records(index) -> dict:
    """What the project says about how classes are instantiated: {"module": types bound to a
    module-level name once, "functions": names called inside functions (constructors among them)},
    each keyed for suffix lookups."""
    module_level: dict = {}
    for type_ in build_object_types(index).values():
        _add_suffixes(module_level, type_)
    called: dict = {}
    for summary in index.python.values():
        for function in summary.get("functions", ()):
            for call in function.get("calls", ()):
                callee = call[0]
                if callee and "(" not in callee and callee.rsplit(".", 1)[-1][:1].isupper():
                    _add_suffixes(called, callee)
    return {"module": module_level, "functions": called}


def _add_suffixes(table: dict, name: str) -> None:
    table[name] = True
    for suffix in dotted_suffixes(name):
        if "." in suffix:
            table[suffix] = True


def _named(table: dict, qualname: str) -> bool:
    """Whether `qualname` or a dotted suffix of it (two parts or more) is in `table`, or a name in
    `table` ends with it: a file may spell a class `app.models.Handler` or `models.Handler`."""
    return qualname in table or any(s in table for s in dotted_suffixes(qualname) if "." in s)


@question
def instances_of(index, class_qualname: str, direct_bases: tuple) -> Optional[str]:
    """How many instances of the project class `class_qualname` the program makes:
    "singleton" (an enum, or only bound once to a module-level name), "many" (constructed inside
    a function), or None when the project does not say (built by a framework, a registry...)."""
    records = index.get_derived("pf403.classes", _class_records)
    bases = async_index(index).names.bases  # class qualname -> its bases, as its file spells them
    seen, pending = set(), list(direct_bases)
    while pending and len(seen) < 20:
        base = pending.pop()
        if base in seen:
            continue
        seen.add(base)
        if base in SINGLETON_BASES or base.rsplit(".", 1)[-1] in ("Enum", "IntEnum", "StrEnum", "TextChoices", "IntegerChoices"):
            return "singleton"
        pending.extend(bases.get(base, ()))
        pending.extend(b for name, found in bases.items() if name.endswith("." + base) for b in found)
    if _named(records["functions"], class_qualname):
        return "many"
    if _named(records["module"], class_qualname):
        return "singleton"
    return None


def _is_view_method(index, qualname: str) -> bool:
    """Whether the method `qualname` is itself run by the framework on a view instance made for the
    request: a routed or view class's method, not one reached through calls."""
    entry = per_request_entry(index, qualname)
    return entry is not None and entry.depth == 0 and entry.kind in VIEW_KINDS


class CacheOnCoroutine(Rule):
    code = "PF403"
    name = "cache-on-coroutine"
    languages = frozenset({"python"})
    level = "warning"
    tags = ("caching", "asyncio", "memory")
    hot_path_only = True  # test code is not a hot path (analyzer/test_paths.py)
    summary = ("`lru_cache`/`cache` on an `async def` caches the coroutine, not its result; an unbounded one "
               "on an instance method keeps every instance alive.")
    what_it_does = """
        Finds memoizers written for plain functions — `functools.lru_cache`, `functools.cache`,
        `functools.cached_property`, `cachetools.cached` / `cachedmethod` and `cachetools.func.*` —
        resolved through imports (`from functools import lru_cache as lc`, `functools.cache`,
        `lru_cache(maxsize=...)`):

        - on an **`async def`** (function or method): always reported, level `warning`;
        - on an **instance method** (first parameter `self`, not a `@staticmethod` or
          `@classmethod`) when the cache is **unbounded** (`@cache`, `lru_cache(maxsize=None)`,
          `cachetools.cached({})`): `warning` when the project constructs the class inside
          functions or the class is a view (Django, REST framework, Flask `MethodView`...: one
          instance per request), `note` when it cannot tell how instances are made.

        Not reported: bounded caches on methods (`@lru_cache` keeps at most 128 entries: a few
        instances live longer, nothing grows), enums and classes the project only instantiates
        once at module level (a singleton's cache leaks nothing), `cachedmethod` and
        `cached_property` on sync methods (the cache lives on the instance).
    """
    why_slow = """
        A memoizer stores what the function returns. An `async def` returns a coroutine object, so
        that is what gets stored: the first caller awaits it, and the next call with the same
        arguments gets the same, already-awaited coroutine back — `await` raises
        `RuntimeError: cannot reuse already awaited coroutine`. Nothing is ever reused; the
        "cached" path is a crash waiting for its second request.

        On a method, `self` is part of the cache key. The cache is global to the class and holds a
        strong reference to every instance it has seen, with everything the instance references
        (a request, a session, a parsed payload). An unbounded cache never lets go: with one
        instance per request, memory grows for the life of the process, the garbage collector
        walks an ever larger heap, and the worker is eventually killed for its memory.
    """
    how_to_measure = """
        For a coroutine: call the function twice with the same arguments in a test
        (`await f(1); await f(1)`) — the second await raises. For a method: watch the process's
        resident memory over a load test (`ps -o rss`, a memory dashboard), or
        `len(gc.get_referrers(...))` / `Class.method.cache_info().currsize` growing with the
        number of requests; `tracemalloc` snapshots show the cache's dict growing.
    """
    use_instead = """
        For coroutines, a memoizer that awaits and stores the result: `async_lru.alru_cache`
        (with `ttl=`), `aiocache.cached`, or `asyncache` for `cachetools` caches; for a
        once-per-process value, create it in the app's lifespan or a lock-guarded lazy global.

        For methods: `functools.cached_property` (stored on the instance, freed with it), a
        per-instance cache (`cachetools.cachedmethod(lambda self: self._cache)`), or a cache
        keyed outside the instance — a module-level `@lru_cache` function taking the values the
        result depends on, not `self`.
    """

    examples = (
        flag(
            """
            from functools import lru_cache

            import httpx

            @lru_cache(maxsize=256)
            async def fetch_exchange_rate(currency: str) -> float:
                async with httpx.AsyncClient() as client:
                    response = await client.get(f"https://rates.example.com/{currency}")
                    return response.json()["rate"]
            """,
            (5, 2),
            shown=True,
        ),
        ok(
            """
            import httpx
            from async_lru import alru_cache

            @alru_cache(maxsize=256, ttl=600)
            async def fetch_exchange_rate(currency: str) -> float:
                async with httpx.AsyncClient() as client:
                    response = await client.get(f"https://rates.example.com/{currency}")
                    return response.json()["rate"]
            """,
            why="an async-aware memoizer stores the awaited result",
            shown=True,
        ),
        flag(
            """
            import functools

            class RateClient:
                @functools.cache
                async def rate(self, currency: str) -> float:
                    ...
            """,
            (4, 6),
            why="an async method: the coroutine problem, whatever the bound",
        ),
        flag(
            """
            from cachetools import TTLCache, cached

            @cached(cache=TTLCache(maxsize=1024, ttl=60))
            async def load_settings(tenant: str) -> dict:
                ...
            """,
            (3, 2),
            why="cachetools' `cached` stores the coroutine as well",
        ),
        flag(
            """
            from functools import cache

            class NotifyHandler:
                def __init__(self, payload_func):
                    self.payload_func = payload_func

                @cache
                def payload(self) -> dict:
                    return self.payload_func()

            def notify(event, build):
                handler = NotifyHandler(build)
                return handler.payload()
            """,
            (7, 6),
            why="unbounded cache on a method of a class built per call: every handler stays alive",
        ),
        flag(
            """
            from functools import lru_cache as memo

            class Report:
                @memo(maxsize=None)
                def totals(self, year: int) -> dict:
                    ...
            """,
            (4, 6),
            why="an aliased lru_cache without a bound; how instances are made is unknown (a note)",
        ),
        ok(
            """
            from functools import cached_property

            class NotifyHandler:
                def __init__(self, payload_func):
                    self.payload_func = payload_func

                @cached_property
                def payload(self) -> dict:
                    return self.payload_func()
            """,
            why="cached_property stores the value on the instance: freed with it",
        ),
        ok(
            """
            from functools import lru_cache

            class Formatter:
                @lru_cache(maxsize=64)
                def pattern(self, locale: str) -> str:
                    ...
            """,
            why="a bounded cache on a method keeps at most 64 entries: nothing grows",
        ),
        ok(
            """
            import enum
            from functools import cache

            class Color(enum.Enum):
                RED = "red"
                BLUE = "blue"

                @cache
                def css(self) -> str:
                    return f"var(--{self.value})"
            """,
            why="enum members are singletons",
        ),
        ok(
            """
            from functools import cache

            class Settings:
                @cache
                def feature_flags(self) -> dict:
                    ...

            settings = Settings()
            """,
            why="instantiated once, at module level",
        ),
        ok(
            """
            from functools import lru_cache

            class Jwt:
                @staticmethod
                @lru_cache
                def public_key(kid: str) -> bytes:
                    ...

                @classmethod
                @lru_cache
                def private_key(cls) -> bytes:
                    ...
            """,
            why="static and class methods hold no instance",
        ),
        ok(
            """
            import asyncio
            from functools import lru_cache

            @lru_cache
            def get_lock(name: str) -> asyncio.Lock:
                return asyncio.Lock()
            """,
            why="a sync function returning an object used in async code",
        ),
    )

    def check(self, ctx):
        for function in ctx.facts.functions:
            if function.is_lambda or not function.decorators:
                continue
            for decorator in function.decorators:
                kind = SYNC_MEMOIZERS.get(decorator.callee or "")
                if kind is None:
                    continue
                if function.is_async:
                    self._report_async(ctx, function, decorator)
                    break
                if self._is_instance_method(function) and self._unbounded(ctx, decorator, kind):
                    self._report_method(ctx, function, decorator)
                    break
        return ctx.findings

    @staticmethod
    def _name(ctx, decorator) -> str:
        return ctx.source.node_text(decorator.expression).split("(", 1)[0]

    def _report_async(self, ctx, function, decorator):
        name = self._name(ctx, decorator)
        ctx.report(
            decorator.expression,
            f"`@{name}` on `async def {function.name}` caches the coroutine object, not its result: the next call "
            "with the same arguments gets the already-awaited coroutine and `await` raises RuntimeError, so nothing "
            "is ever reused; use an async-aware cache (`async_lru.alru_cache`, `aiocache.cached`).",
            properties={"decorator": decorator.callee, "kind": "coroutine"},
        )

    def _report_method(self, ctx, function, decorator):
        class_qualname = function.qualname.rsplit(".", 1)[0]
        bases = tuple(ctx.facts.class_bases().get(class_qualname, ()))
        instances = instances_of(ctx.index, class_qualname, bases)
        if instances == "singleton":
            return
        how = "it is constructed inside functions, so instances pile up"
        if instances is None and _is_view_method(ctx.index, function.qualname):
            instances, how = "many", "a view: the framework makes one instance per request"
        elif instances is None:
            how = "with one instance per request or task, memory grows for the life of the process"
        name = self._name(ctx, decorator)
        ctx.report(
            decorator.expression,
            f"`@{name}` on method `{function.class_name}.{function.name}` keys an unbounded cache on `self`, keeping "
            f"every `{function.class_name}` it has seen alive ({how}); use `functools.cached_property`, a per-instance "
            "cache, or a module-level cache keyed by the values the result depends on.",
            level=None if instances == "many" else "note",
            properties={"decorator": decorator.callee, "kind": "instance-method", "instances": instances or "unknown"},
        )

    @staticmethod
    def _is_instance_method(function) -> bool:
        if function.class_name is None or not function.params or function.params[0].name != "self":
            return False
        return not any((d.callee or "") in NOT_INSTANCE_METHODS for d in function.decorators)

    @staticmethod
    def _unbounded(ctx, decorator, kind: str) -> bool:
        """Whether the memoizer never evicts: `cache`, `lru_cache(None)`, `cached({})`."""
        if kind == "unbounded":
            return True
        expression = decorator.expression
        if kind == "per-instance" or expression.type != "call":
            return False  # bare `@lru_cache`: maxsize 128
        positional, keywords = call_args(expression)
        if kind == "maxsize":
            bound = keywords.get("maxsize", positional[0] if positional else None)
            return bound is not None and unwrap(bound).type == "none"
        cache = unwrap(keywords.get("cache", positional[0] if positional else None))
        if cache is None:
            return False
        if cache.type == "dictionary":
            return True
        if cache.type == "call":
            return ctx.facts.resolve(cache.child_by_field_name("function")) in UNBOUNDED_CACHES
        return False
