"""PF404 uncached-aggregate-in-route: a GET route aggregates over a whole table on every request, uncached."""

from __future__ import annotations

from typing import Optional

from perfscan.async_index import async_index, route_of
from perfscan.facts.python_db import call_args, chain_of, followed, unwrap
from perfscan.findings import Related, short_text
from perfscan.models import model_named, project_db_facts
from perfscan.per_request import PerRequest, per_request_entry
from perfscan.project import question
from perfscan.rule import Rule, flag, ok

# Aggregates whose cost grows with the rows they read. MIN/MAX of an indexed column is one index
# probe, so they are left out.
SQL_AGGREGATES = frozenset({"count", "sum", "avg"})
DJANGO_AGGREGATES = frozenset({"Count", "Sum", "Avg", "StdDev", "Variance"})
DJANGO_COUNTS = frozenset({"count", "acount"})
DJANGO_AGGREGATE_METHODS = frozenset({"aggregate", "aaggregate"})
# Steps that bound the rows an aggregate reads to a page: not a whole-table aggregate.
BOUNDING_STEPS = frozenset({"[]", "limit", "offset"})
# Steps whose arguments filter the rows aggregated.
DJANGO_FILTERS = frozenset({"filter", "exclude", "get", "aget"})
SQL_FILTERS = frozenset({"where", "filter", "filter_by", "having"})
# What shows a cache near the code: a decorator (`@cache_page`, `@cache(expire=60)`,
# `@cache_response`, `@etag`, `@last_modified`), a call of a cache client (`cache.get_or_set`,
# `FastAPICache`, `redis_client.get` -- Redis only with its key/value methods: `redis.hgetall` on a
# status page reads live data), or a `Cache-Control` / `ETag` header set on the response.
CACHE_DECORATOR_WORDS = ("cache", "etag", "last_modified", "memoize")
CACHE_CALL_WORDS = ("cache", "memoize")
REDIS_CACHE_METHODS = frozenset({"get", "set", "setex", "psetex", "getex", "mget", "mset", "get_or_set"})
CACHE_HEADERS = ("cache-control", "etag")
GET_METHODS = frozenset({"GET", "*"})
# View methods that handle writes (HTTP verbs, Django REST framework viewset actions).
WRITE_HANDLERS = frozenset({"post", "put", "patch", "delete", "create", "update", "partial_update", "destroy",
                            "perform_create", "perform_update", "perform_destroy", "form_valid"})
# Module-level names that stand for the current request (Flask/Quart context locals).
REQUEST_PROXIES = frozenset({"request", "g"})
MAX_FOLLOW = 3


class UncachedAggregateInRoute(Rule):
    code = "PF404"
    name = "uncached-aggregate-in-route"
    languages = frozenset({"python"})
    level = "note"
    tags = ("database", "caching", "django", "sqlalchemy", "fastapi")
    hot_path_only = True  # test code is not a hot path (analyzer/test_paths.py)
    precision = "medium"
    summary = "A GET route aggregates over a whole table (COUNT/SUM/AVG, GROUP BY) on every request, with no cache."
    what_it_does = """
        Finds an **aggregate over a table** that runs on every GET request:

        - SQLAlchemy: `select(func.count())`, `func.sum(...)`, `func.avg(...)`, a `group_by(...)`,
          legacy `session.query(X).count()`, Flask-SQLAlchemy `X.query.count()`;
        - Django: `Model.objects.count()`, `.aggregate(Sum(...))`, `.annotate(n=Count(...))`,
          `.values(...).annotate(...)` (GROUP BY);

        in a GET route handler (route decorators of every framework perfscan knows, Django URL
        patterns, the `get` method of class-based views, read actions of REST framework viewsets),
        or in a function such a handler calls, directly or through one more function (what runs
        per request is decided once for every rule, in `analyzer/per_request.py`).

        **Over a table** means nothing selective filters it: no filter at all, or filters whose
        values are constants — literals, enum members, settings, `now() - timedelta(...)` (a status
        flag or a time window over the whole table). Not reported: a filter on anything the request
        brings (a path or query parameter, `request.user`, `self`, Flask's `g` and `current_*`
        proxies, a splatted `**filters`, a local computed from them: a per-user or per-object
        aggregate an index serves); a filter on a column the model indexes (a partial index on
        `processed IS NULL`, a foreign key); a slice or `limit` (a page); `MIN`/`MAX` (one index
        probe); a count of a subquery (no table named).

        **No cache in sight**: no caching decorator (`@cache_page`, `@cache(expire=...)`,
        `@cache_response`, `@etag`...) on the function or its class, no cache or Redis call and no
        `Cache-Control` header in its body, and, for a helper, no caller up to the handler with a
        caching decorator or a cache call. One finding per function, at its first aggregate, with
        the others as related locations.
    """
    why_slow = """
        `COUNT(*)`, `SUM` and `GROUP BY` read every row they aggregate: PostgreSQL has no stored
        row count, so even `SELECT count(*) FROM orders` scans the table or a whole index. The cost
        grows with the table, not with the page: 2 ms at 10,000 rows becomes hundreds of
        milliseconds at millions, on every request, for a number that changes a little between
        them. Dashboards and list headers are the usual place, and the most visited pages.
    """
    how_to_measure = """
        `EXPLAIN (ANALYZE, BUFFERS)` the statement on production-sized data: a `Seq Scan` or a full
        `Index Only Scan` under the `Aggregate` node, with rows equal to the table size. Over time,
        `pg_stat_statements` shows its mean time growing with the table; django-debug-toolbar or
        SQLAlchemy's `echo=True` shows it once per page view.
    """
    use_instead = """
        Cache the result at the level that fits how fresh it must be:

        - **in memory with a TTL**: `cachetools.TTLCache` / `async_lru.alru_cache(ttl=60)` around
          a function computing the numbers (per process, no infrastructure);
        - **Redis / the framework cache**: Django `cache.get_or_set("stats", compute, 60)`,
          `fastapi-cache`'s `@cache(expire=60)`, `aiocache` (shared by every worker);
        - **HTTP**: `Cache-Control: max-age=60` (Django `@cache_control`, `@cache_page`) or an
          `ETag` so browsers and CDNs reuse the response;
        - **a reusable decorator** for every dashboard endpoint, keyed by the arguments that matter;
        - **invalidation on writes**: delete or refresh the key where rows are created or deleted
          (a `post_save` signal, the service that writes), or keep a counter table updated with the
          writes when the number must be exact.
    """

    examples = (
        flag(
            """
            from django.db.models import Sum
            from django.http import JsonResponse
            from django.urls import path

            from shop.models import Order

            def dashboard(request):
                revenue = Order.objects.filter(paid=True).aggregate(total=Sum("amount"))["total"]
                orders = Order.objects.count()
                return JsonResponse({"revenue": revenue, "orders": orders})

            urlpatterns = [path("dashboard/", dashboard)]
            """,
            (8, 15),
            shown=True,
        ),
        ok(
            """
            from django.core.cache import cache
            from django.db.models import Sum
            from django.http import JsonResponse
            from django.urls import path

            from shop.models import Order

            def compute_stats():
                return {
                    "revenue": Order.objects.filter(paid=True).aggregate(total=Sum("amount"))["total"],
                    "orders": Order.objects.count(),
                }

            def dashboard(request):
                return JsonResponse(cache.get_or_set("dashboard-stats", compute_stats, timeout=60))

            urlpatterns = [path("dashboard/", dashboard)]
            """,
            why="computed once a minute and shared by every worker",
            shown=True,
        ),
        flag(
            """
            from fastapi import APIRouter, Depends
            from sqlalchemy import func, select
            from sqlalchemy.orm import Session

            from app.db import get_db
            from app.models import User

            router = APIRouter()

            @router.get("/users")
            def list_users(skip: int = 0, limit: int = 50, db: Session = Depends(get_db)):
                total = db.scalar(select(func.count()).select_from(User))
                users = db.scalars(select(User).offset(skip).limit(limit)).all()
                return {"total": total, "items": users}
            """,
            (12, 13),
            why="a pagination total counting the whole table on every page",
        ),
        flag(
            """
            from fastapi import FastAPI
            from sqlalchemy import func, select
            from sqlalchemy.ext.asyncio import AsyncSession

            from app.models import Order, OrderStatus

            app = FastAPI()

            @app.get("/stats/by-country")
            async def by_country(session: AsyncSession):
                stmt = select(Order.country, func.sum(Order.total)).where(Order.status == OrderStatus.PAID).group_by(Order.country)
                return (await session.execute(stmt)).all()
            """,
            (12, 12),
            why="GROUP BY over every paid order: a constant filter is not selective",
        ),
        ok(
            """
            from fastapi import APIRouter, Depends
            from sqlalchemy import func, select
            from sqlalchemy.orm import Session

            from app.auth import current_user
            from app.db import get_db
            from app.models import Item, User

            router = APIRouter()

            @router.get("/items/count")
            def count_items(user: User = Depends(current_user), db: Session = Depends(get_db)):
                return db.scalar(select(func.count()).select_from(Item).where(Item.owner_id == user.id))
            """,
            why="a per-user count: the filter comes from the request and an index on owner_id serves it",
        ),
        ok(
            """
            from django.db.models import Sum
            from django.http import JsonResponse
            from django.urls import path
            from django.views.decorators.cache import cache_page

            from shop.models import Order

            @cache_page(60)
            def dashboard(request):
                return JsonResponse(Order.objects.aggregate(total=Sum("amount")))

            urlpatterns = [path("dashboard/", dashboard)]
            """,
            why="cached by a decorator",
        ),
        ok(
            """
            from fastapi import FastAPI, Response
            from sqlalchemy import func, select

            from app.db import session
            from app.models import Order

            app = FastAPI()

            @app.get("/stats")
            def stats(response: Response):
                response.headers["Cache-Control"] = "public, max-age=60"
                return {"orders": session.scalar(select(func.count()).select_from(Order))}
            """,
            why="HTTP caching: browsers and CDNs reuse the response for a minute",
        ),
        ok(
            """
            from fastapi import FastAPI
            from sqlalchemy import func, select
            from sqlalchemy.orm import Session

            from app.models import Order

            app = FastAPI()

            @app.post("/orders/close-day")
            def close_day(session: Session):
                return session.scalar(select(func.sum(Order.total)))
            """,
            why="not a GET route: a write path runs when asked to",
        ),
        ok(
            """
            from django.db.models import Max
            from django.http import JsonResponse
            from django.urls import path

            from shop.models import Order

            def latest(request):
                return JsonResponse(Order.objects.aggregate(last=Max("created_at")))

            urlpatterns = [path("latest/", latest)]
            """,
            why="MAX of a column is one index probe",
        ),
    )

    def check(self, ctx):
        db = project_db_facts(ctx.facts, ctx.index)
        if not db.queries:
            return ()
        by_function: dict = {}
        for query in db.queries:
            scope = query.call.scope if query.call is not None else None
            if scope is None or query.write:
                continue
            what = self._aggregate(ctx, db, query)
            if what is not None:
                by_function.setdefault(scope.qualname, (scope, []))[1].append((query, what))
        for scope, found in by_function.values():
            request = self._read_request(ctx, scope)
            if request is None:
                continue
            found = [(q, what) for q, what in found if self._over_table(ctx, db, q)]
            found = [(q, what) for q, what in found if self._table(db, q, self._selected_columns(db, q))]
            found = [(q, what) for q, what in found if not self._filtered_by_index(ctx, db, q)]
            if not found or self._cache_in_sight(ctx, scope):
                continue
            if request[1] is not None and cached_by_callers(ctx.index, scope.qualname):
                continue
            self._report(ctx, db, scope, request, found)
        return ctx.findings

    @staticmethod
    def _read_request(ctx, scope) -> Optional[tuple]:
        """(the request as displayed, why `scope` runs in it or None for the handler itself) when
        `scope` runs on every GET request: a GET route handler, or (the shared per-request notion,
        analyzer/per_request.py) a function a GET handler or a view calls, one or two calls away."""
        route = route_of(scope, ctx.facts, ctx.index)
        if route is not None:
            return (route.display, None) if GET_METHODS & set(route.methods) else None
        entry = per_request_entry(ctx.index, scope.qualname)
        if entry is None or (entry.kind == "view-method" and entry.depth == 0 and scope.name in WRITE_HANDLERS):
            return None
        request = _read_request_of(entry)
        return (request, entry.reason) if request is not None else None

    # -- what the query computes -----------------------------------------------------------

    def _aggregate(self, ctx, db, query) -> Optional[str]:
        """"COUNT", "SUM"... when `query` aggregates rows; None otherwise."""
        names = query.method_names
        if query.kind == "django":
            if query.method in DJANGO_COUNTS:
                return "COUNT"
            for step in query.steps:
                if step.call is not None and (step.name in DJANGO_AGGREGATE_METHODS or step.name == "annotate"):
                    found = self._django_aggregate(ctx, step.call)
                    if found is not None:
                        return found if step.name != "annotate" else f"{found} per row (GROUP BY)"
            return None
        if query.kind == "sqlalchemy-legacy" and query.method == "count":
            return "COUNT"
        if query.kind not in ("sqlalchemy", "sqlalchemy-legacy"):
            return None
        selected = self._selected_columns(db, query)
        found = next((f for node in selected for f in self._sql_functions(ctx, node)), None)
        if found is not None:
            return found.upper() + (" per group (GROUP BY)" if "group_by" in names else "")
        if "group_by" in names:
            return "GROUP BY"
        return None

    @staticmethod
    def _django_aggregate(ctx, call) -> Optional[str]:
        positional, keywords = call_args(call)
        for arg in [*positional, *keywords.values()]:
            arg = unwrap(arg)
            if arg is not None and arg.type == "call":
                name = ctx.source.node_text(arg.child_by_field_name("function")).rsplit(".", 1)[-1]
                if name in DJANGO_AGGREGATES:
                    return name.upper()
        return None

    def _selected_columns(self, db, query) -> list:
        """The column expressions the statement selects: the arguments of `select(...)` (through
        a local statement) or of legacy `session.query(...)`."""
        first = query.steps[0] if query.steps else None
        if first is None or first.call is None:
            return []
        if first.name == "query":
            return call_args(first.call)[0]
        positional, _ = call_args(first.call)
        statement = followed(db, positional[0]) if positional else None
        if statement is None:
            return []
        root, _ = chain_of(db, statement)
        if root is None or root.type != "call":
            return []
        function = root.child_by_field_name("function")
        if function is None or db.text(function).rsplit(".", 1)[-1] != "select":
            return []
        return call_args(root)[0]

    @staticmethod
    def _sql_functions(ctx, node):
        """`count`/`sum`/`avg` for each `func.count(...)`-like call inside `node`, outermost first."""
        stack = [node]
        while stack:
            current = stack.pop()
            if current.type == "call":
                function = current.child_by_field_name("function")
                if function is not None and function.type == "attribute":
                    owner = ctx.source.node_text(function.child_by_field_name("object"))
                    name = ctx.source.node_text(function.child_by_field_name("attribute"))
                    if name in SQL_AGGREGATES and owner.rsplit(".", 1)[-1] == "func":
                        yield name
            stack.extend(reversed(current.named_children))

    # -- over a table: nothing the request brings filters it -------------------------------

    def _over_table(self, ctx, db, query) -> bool:
        if any(step.name in BOUNDING_STEPS for step in query.steps):
            return False
        # Whole argument lists, `**filters` and `*conditions` included: a splatted filter is as
        # much a filter as a keyword.
        arguments = [step.call.child_by_field_name("arguments") for step in query.steps if step.call is not None]
        if query.kind == "sqlalchemy" and query.steps and query.steps[0].call is not None:
            positional, _ = call_args(query.steps[0].call)
            statement = followed(db, positional[0]) if positional else None
            if statement is None:
                return False  # a statement built where it cannot be read
            root, inner = chain_of(db, statement)
            if root is not None and root.type == "call":
                arguments.append(root.child_by_field_name("arguments"))
            if any(step.name in BOUNDING_STEPS for step in inner):
                return False
        return not any(self._from_request(ctx, db, arg, MAX_FOLLOW) for arg in arguments if arg is not None)

    def _filtered_by_index(self, ctx, db, query) -> bool:
        """Whether a filter names a column the model indexes (the first column of an index, a
        column declared `index=True`/`unique`/`primary_key`, a Django foreign key): developers
        index the columns they select few rows by, like a queue's `processed IS NULL` under a
        partial index, so the aggregate reads an index range, not the table."""
        columns = self._filter_columns(db, query)
        if not columns:
            return False
        if columns & {"id", "pk"}:
            return True
        table = self._table(db, query, self._selected_columns(db, query))
        model = model_named(ctx.index, query.model or table, "django" if query.kind == "django" else "sqlalchemy")
        if model is None:
            return False
        indexed = set(model.indexed_first)
        # A SQLAlchemy foreign key has no index of its own (PostgreSQL makes none); a Django one has.
        indexed |= {name for name, column in model.columns.items() if column.get("indexed")}
        for name, entry in model.fields.items():
            if entry.get("kind") in ("fk", "o2o") and entry.get("db_index", True):
                indexed |= {name, f"{name}_id"}
        return bool(columns & indexed)

    def _filter_columns(self, db, query) -> set:
        """The columns the query's filters name: Django lookups (`processed__isnull` -> processed,
        also inside `Q(...)`), SQLAlchemy `Model.column` in `where(...)` and `filter_by` keywords."""
        columns = set()
        for step in query.steps:
            if step.call is None or step.name not in (DJANGO_FILTERS if query.kind == "django" else SQL_FILTERS):
                continue
            arguments = step.call.child_by_field_name("arguments")
            stack = [arguments] if arguments is not None else []
            while stack:
                current = stack.pop()
                if current.type == "keyword_argument":
                    name = current.child_by_field_name("name")
                    if name is not None:
                        columns.add(db.text(name).split("__", 1)[0])
                elif current.type == "attribute" and query.kind != "django":
                    owner = current.child_by_field_name("object")
                    if owner is not None and owner.type == "identifier" and db.text(owner)[:1].isupper():
                        columns.add(db.text(current.child_by_field_name("attribute")))
                stack.extend(current.named_children)
        return columns

    def _from_request(self, ctx, db, node, depth: int) -> bool:
        """Whether the value of `node` may depend on the request: it reads a parameter of the
        enclosing functions, or a local assigned from one (followed `depth` assignments), or a
        local perfscan cannot follow (a loop variable, a `with` target)."""
        stack = [node]
        while stack:
            current = stack.pop()
            if current.type == "identifier" and self._is_value_read(current):
                if self._name_from_request(ctx, db, current, depth):
                    return True
                continue
            if current.type in ("lambda", "list_comprehension", "generator_expression", "set_comprehension",
                                "dictionary_comprehension"):
                return True  # its own names: not followed
            stack.extend(current.named_children)
        return False

    @staticmethod
    def _is_value_read(identifier) -> bool:
        parent = identifier.parent
        if parent is None:
            return True
        if parent.type == "attribute" and parent.child_by_field_name("attribute") == identifier:
            return False
        if parent.type == "keyword_argument" and parent.child_by_field_name("name") == identifier:
            return False
        return True

    def _name_from_request(self, ctx, db, identifier, depth: int) -> bool:
        name = db.text(identifier)
        if name in ("True", "False", "None"):
            return False
        if name in REQUEST_PROXIES or name.startswith("current_"):
            return True  # Flask's `request`/`g`, `current_user`, `current_org`: imported, yet per request
        function = ctx.facts.scope_at(identifier)
        while function is not None:
            if function.param(name) is not None:
                return True
            function = function.parent
        value = db.assigned_value(name, identifier)
        if value is not None:
            return depth <= 0 or self._from_request(ctx, db, value, depth - 1)
        if ctx.facts.lookup_name(name, identifier) is not None or db.assignments.get((None, name)):
            return False  # an import, a class or function, a module-level constant
        return ctx.facts.is_bound(name, identifier)  # a loop or `with` target: unknown

    # -- cache in sight ----------------------------------------------------------------------

    @staticmethod
    def _cache_in_sight(ctx, scope) -> bool:
        """A caching decorator on the function or its class, a cache call in its body, or a
        `Cache-Control` / `ETag` header it sets."""
        decorators = [ctx.source.node_text(d.expression) for d in scope.decorators]
        if scope.class_name is not None:
            class_node = ctx.facts.classes.get(scope.qualname.rsplit(".", 1)[0])
            parent = class_node.parent if class_node is not None else None
            if parent is not None and parent.type == "decorated_definition":
                decorators += [ctx.source.node_text(c) for c in parent.children if c.type == "decorator"]
        if any(word in text.lower() for text in decorators for word in CACHE_DECORATOR_WORDS):
            return True
        if any(is_cache_call(call.callee or call.callee_text) for call in scope.calls):
            return True
        body = ctx.source.node_text(scope.node).lower()
        return any(header in body for header in CACHE_HEADERS)

    # -- the finding -------------------------------------------------------------------------

    def _report(self, ctx, db, scope, request, found):
        query, what = found[0]
        route, why = request
        phrase = f"`{route}` request" if route else "request to the view"

        table = self._table(db, query, self._selected_columns(db, query))
        where = f"the whole `{table}` table" if table else "a whole table"
        also = ""
        related = []
        for other, other_what in found[1:]:
            span = ctx.source.span(other.node)
            related.append(Related(span, f"{other_what.split(' ', 1)[0]} on line {span.line}"))
        if related:
            links = ", ".join(f"[{r.message}]({i})" for i, r in enumerate(related, 1))
            also = f" (and {len(related)} more aggregate{'s' * (len(related) != 1)}: {links})"
        ctx.report(
            query.node,
            f"`{short_text(db.text(query.node), 60)}` computes {what} over {where} on every {phrase}{also}"
            + (f" (`{scope.name}` is {why})" if why else "")
            + ", with no cache in sight; its cost grows with the table: cache the result with a TTL (in memory, Redis "
            "or the framework cache), send `Cache-Control`, and refresh it when rows are written.",
            related=related,
            properties={"route": route or None, "aggregate": what, "aggregates": len(found), **({"reached": why} if why else {})},
        )

    @staticmethod
    def _table(db, query, selected) -> Optional[str]:
        """The model the aggregate reads, as the file names it: the query's model, the class of
        `select_from(X)`, or the class of the first column selected (`func.sum(Order.total)`)."""
        if query.model:
            return query.model.rsplit(".", 1)[-1]
        candidates = [call_args(s.call)[0][:1] for s in query.steps if s.name == "select_from" and s.call is not None]
        candidates.append(selected)
        for nodes in candidates:
            for node in nodes:
                stack = [unwrap(node)]
                while stack:
                    current = stack.pop()
                    if current is None:
                        continue
                    if current.type in ("identifier", "attribute"):
                        name = db.text(current).split(".")[0]
                        if name[:1].isupper():
                            return name
                        if current.type == "identifier":
                            continue
                    stack.extend(reversed(current.named_children))
        return None


def _read_request_of(entry: PerRequest) -> Optional[str]:
    """The GET route that runs the function (`GET /x`; `* /stats/` for a routed view class of
    unknown methods), "" for a view of no known route, or None: a route of other methods only, a
    FastAPI dependency (of any route), or more than one function between the handler and here
    (deeper helpers are shared utilities, reached on some paths only)."""
    if entry.depth > 2 or entry.kind == "dependency":
        return None
    if entry.route is None:
        return ""
    if entry.methods and not GET_METHODS & set(entry.methods):
        return None
    return entry.route if entry.methods else f"* {entry.route}"


def is_cache_call(name: str) -> bool:
    """`cache.get_or_set`, `django.core.cache.cache.get`, `FastAPICache.get_backend`,
    `redis_client.setex`: a call that reads or writes a cache."""
    name = name.lower()
    if any(word in name for word in CACHE_CALL_WORDS):
        return True
    return "redis" in name and name.rsplit(".", 1)[-1] in REDIS_CACHE_METHODS


def _cache_callers(index) -> dict:
    """{"callers": project function -> the project functions calling it, "cached": the functions
    with a cache in sight (a caching decorator, a call of a cache client: `is_cache_call`)}."""
    names = async_index(index).names
    callers: dict = {}
    cached: set = set()
    resolved: dict = {}
    for summary in index.python.values():
        for record in summary.get("functions", ()):
            qualname = record["qualname"]
            if any(word in name.lower() for name in record.get("decorators") or () for word in CACHE_DECORATOR_WORDS):
                cached.add(qualname)
            for call in record.get("calls", ()):
                callee = call[0]
                if not callee:
                    continue
                if is_cache_call(callee):
                    cached.add(qualname)
                if callee not in resolved:
                    resolved[callee] = names.resolve(callee)
                if resolved[callee]:
                    callers.setdefault(resolved[callee], set()).add(qualname)
    return {"callers": callers, "cached": cached}


@question
def cached_by_callers(index, qualname: str) -> bool:
    """Whether a function calling `qualname`, or one calling that, has a cache in sight: the
    request's result may come from it (`data = cache.get(key)` before `compute_stats()`)."""
    graph = index.get_derived("pf404.cache_callers", _cache_callers)
    level = {qualname}
    for _ in range(2):
        level = {c for q in level for c in graph["callers"].get(q, ())}
        if level & graph["cached"]:
            return True
    return False
