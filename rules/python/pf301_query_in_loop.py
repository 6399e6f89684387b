"""PF301 query-in-loop: a database round trip once per iteration of a loop."""

from __future__ import annotations

from typing import Optional

from perfscan.facts.python_db import (
    is_evaluated,
    rows_source,
    identifiers_in,
    is_batch_iterable,
    is_small_literal,
    loop_info,
    tainted_names,
)
from perfscan.facts.python_per_row import is_chunked_query, is_migration, queries_per_iteration
from perfscan.findings import Related, short_text
from perfscan.models import django_manager_target, project_db_facts, queries_of_function
from perfscan.rule import Rule, flag, ok

# The models of two examples (a related manager queried per row, and its prefetched twin).
SHOP_MODELS = """
    from django.db import models

    class Order(models.Model):
        number = models.CharField(max_length=20)

    class OrderLine(models.Model):
        order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
"""


def _batched_advice(query) -> str:
    model = (query.model or "Model").rsplit(".", 1)[-1] if query is not None else "Model"
    if query is None:
        return "load what every iteration needs with one query before the loop (`WHERE id IN (...)`)"
    if query.kind == "django":
        if query.method in ("create", "acreate"):
            return f"build the objects in the loop and save them at once with `{model}.objects.bulk_create(objs)`"
        if query.method in ("update", "aupdate"):
            return f"update them with one statement (`{model}.objects.filter(pk__in=...).update(...)` or `bulk_update`)"
        return (
            f"fetch them with one query before the loop: `{model}.objects.filter(<field>__in=...)`"
            f" or `{model}.objects.in_bulk(ids)`, then look them up in a dict"
        )
    if query.method == "refresh":
        return (
            f"reload them with one query: `select({model}).where({model}.id.in_(ids))"
            ".execution_options(populate_existing=True)`"
        )
    if query.kind in ("sqlalchemy", "sqlalchemy-legacy") and query.write:
        return (
            "run one statement for all rows: `session.execute(update(Model), [{...}, ...])` "
            "(executemany), or one `UPDATE/DELETE ... WHERE id IN (...)`"
        )
    if query.kind == "raw":
        return "send one statement for all of them (`WHERE id = ANY(%s)` / `IN (...)`, or `executemany`)"
    if query.kind == "sqlalchemy-legacy":
        return f"fetch them with one query before the loop: `query({model}).filter({model}.id.in_(ids))`, or `selectinload` the relationship you walk"
    return f"fetch them with one query before the loop: `select({model}).where({model}.id.in_(ids))`, or `selectinload` the relationship you walk"


class QueryInLoop(Rule):
    code = "PF301"
    name = "query-in-loop"
    languages = frozenset({"python"})
    level = "warning"
    tags = ("database", "n+1", "sqlalchemy", "django")
    hot_path_only = True  # test code is not a hot path (analyzer/test_paths.py)
    summary = "A database query runs once per iteration of a loop over a collection (N+1 queries)."
    what_it_does = """
        Finds database round trips executed inside a `for` loop or a comprehension over a
        collection: SQLAlchemy `session.execute/scalars/scalar/get(...)` (sync or awaited),
        legacy `session.query(...).all()/first()/one()...`, Django `Model.objects.get(...)`,
        evaluated `Model.objects.filter(...)` querysets, `create()`, raw `cursor.execute(...)`,
        and calls to project functions that run such a query (one level deep, across files).
        Models reached through their module (`models.User.objects`), Flask-SQLAlchemy's
        `Model.query...` and `db.session`, and Django related managers of the loop variable
        (`order.lines.count()`) count too; a `.limit(1)`, `.first()` or `qs[:1]` per row is still
        one query per row. GraphQL field resolvers (graphene `resolve_*` of an object type,
        Strawberry `@strawberry.field` methods outside Query/Mutation) run once per parent object,
        so a query there that reads the parent is reported unless it goes through a DataLoader or
        the field declares `prefetch_related=`/`select_related=`.

        The message names the loop variable the query depends on and the batched form to use.
        A query that does not depend on the loop at all is reported with the advice to hoist it.
        Not reported: loops over a small literal (`for kind in ("a", "b")`, `range(3)`),
        `while` loops (polling, keyset pagination), chunked loops (`yield_per`,
        `iterator(chunk_size=...)`, `chunked(ids, 500)`, `LIMIT/OFFSET` pages, `in_(chunk)`),
        writes that are only queued (`session.add`, `add_all`, `bulk_create`), and lookups in the
        result of a batch query (`by_id = X.objects.in_bulk(ids)` then `by_id.get(pk)`).
    """
    why_slow = """
        Every query is a network round trip plus parsing, planning and executing a
        statement: typically 0.3–2 ms on a local database and far more across a network.
        A loop over N rows that runs one query per row turns one request into N+1 round
        trips; with 500 rows that is hundreds of milliseconds spent waiting, growing with the
        data, while one `WHERE id IN (...)` query returns the same rows in about the time of one.
    """
    how_to_measure = """
        - SQLAlchemy: `create_engine(url, echo=True)` logs every statement; or count them with
          `event.listen(engine, "before_cursor_execute", counter)` in a test around the code.
        - Django: `django-debug-toolbar`'s SQL panel shows duplicated queries; in tests,
          `with self.assertNumQueries(2):` fails when the count grows with the data.
        - In production, APM traces (OpenTelemetry SQL spans) show the same statement repeated
          N times in one request.
    """
    use_instead = """
        Collect the keys first and run one query: `select(User).where(User.id.in_(ids))`,
        `Model.objects.filter(id__in=ids)` or `Model.objects.in_bulk(ids)`, then look rows up in
        a dict. For related objects, eager-load them with the query that produced the rows
        (`.options(selectinload(Post.comments))`, `.select_related("author")`,
        `.prefetch_related("tags")`). For writes, `session.add_all(...)`, `bulk_create`,
        `bulk_update`, or one `UPDATE ... WHERE id IN (...)`. A query that does not depend on
        the loop variable moves before the loop.
    """

    examples = (
        flag(
            """
            from sqlalchemy import select
            from sqlalchemy.orm import Session
            from app.models import User

            def owners(session: Session, orders):
                result = []
                for order in orders:
                    user = session.scalars(select(User).where(User.id == order.user_id)).one()
                    result.append(user.email)
                return result
            """,
            (8, 16),
            shown=True,
        ),
        ok(
            """
            from sqlalchemy import select
            from sqlalchemy.orm import Session
            from app.models import User

            def owners(session: Session, orders):
                ids = {order.user_id for order in orders}
                users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))}
                return [users[order.user_id].email for order in orders]
            """,
            why="one IN query before the loop, then a dict lookup",
            shown=True,
        ),
        flag(
            """
            from sqlalchemy.ext.asyncio import AsyncSession
            from app.models import Invoice

            async def totals(session: AsyncSession, customer_ids: list[int]):
                out = {}
                for customer_id in customer_ids:
                    invoice = await session.get(Invoice, customer_id)
                    out[customer_id] = invoice.total
                return out
            """,
            (7, 25),
            why="awaited AsyncSession calls are still one round trip each",
        ),
        flag(
            """
            from fastapi import Depends
            from sqlalchemy.orm import Session
            from app.db import get_db
            from app.models import Tag

            def tag_names(posts, db: Session = Depends(get_db)):
                return [db.query(Tag).filter(Tag.post_id == p.id).all() for p in posts]
            """,
            (7, 13),
            why="legacy query API inside a comprehension",
        ),
        flag(
            """
            from shop.models import Product

            def prices(skus):
                for sku in skus:
                    product = Product.objects.get(sku=sku)
                    yield product.price
            """,
            (5, 19),
            why="Django get() per element",
        ),
        flag(
            """
            from shop.models import Product, Review

            def review_counts():
                counts = {}
                for product in Product.objects.all():
                    counts[product.pk] = len(list(Review.objects.filter(product=product)))
                return counts
            """,
            (6, 39),
            why="an evaluated queryset per element",
        ),
        flag(
            """
            def load(conn, ids):
                cursor = conn.cursor()
                rows = []
                for item_id in ids:
                    cursor.execute("SELECT * FROM items WHERE id = %s", (item_id,))
                    rows.append(cursor.fetchone())
                return rows
            """,
            (5, 9),
            why="raw DB-API cursor",
        ),
        flag(
            """
            from app.services import load_author

            def bylines(posts):
                return [load_author(post.author_id).name for post in posts]
            """,
            (4, 13),
            files={
                "app/services.py": """
                    from sqlalchemy.orm import Session
                    from app.db import SessionLocal
                    from app.models import Author

                    def load_author(author_id):
                        with SessionLocal() as session:
                            return session.get(Author, author_id)
                    """,
            },
            path="app/views.py",
            why="a project helper that queries, called per element (cross-file)",
        ),
        flag(
            """
            from sqlalchemy import func, select
            from sqlalchemy.orm import Session
            from app.models import Setting

            def render(session: Session, widgets):
                for widget in widgets:
                    theme = session.scalar(select(Setting.value).where(Setting.key == "theme"))
                    widget.paint(theme)
            """,
            (7, 17),
            why="same query every iteration: the advice is to hoist it",
        ),
        flag(
            """
            from shop.models import Tag

            def import_tags(names):
                for name in names:
                    Tag.objects.create(name=name)
            """,
            (5, 9),
            why="one INSERT per element: bulk_create",
        ),
        ok(
            """
            from sqlalchemy import select
            from sqlalchemy.orm import Session
            from app.models import Setting

            def defaults(session: Session):
                return {key: session.scalar(select(Setting.value).where(Setting.key == key)) for key in ("theme", "locale")}
            """,
            why="a loop over a small literal: two queries, not N",
        ),
        ok(
            """
            from sqlalchemy import select
            from sqlalchemy.orm import Session
            from app.models import Event

            def export(session: Session, ids):
                for chunk in chunked(ids, 1000):
                    rows = session.scalars(select(Event).where(Event.id.in_(chunk))).all()
                    write(rows)
            """,
            why="a deliberately chunked batch loop",
        ),
        ok(
            """
            from sqlalchemy.orm import Session
            from app.models import Event

            def archive(session: Session):
                for event in session.query(Event).yield_per(500):
                    event.archived = True
                session.commit()
            """,
            why="yield_per streams one query in batches; no query inside the loop",
        ),
        ok(
            """
            from sqlalchemy.orm import Session
            from app.models import Tag

            def add_tags(session: Session, names):
                session.add_all([Tag(name=name) for name in names])
                session.commit()
            """,
            why="writes batched with add_all",
        ),
        ok(
            """
            from shop.models import Tag

            def import_tags(names):
                Tag.objects.bulk_create([Tag(name=name) for name in names])
            """,
            why="writes batched with bulk_create",
        ),
        ok(
            """
            from shop.models import Order

            def process_all():
                for order in Order.objects.filter(state="new").iterator(chunk_size=2000):
                    order.process()
            """,
            why="iterator(chunk_size=...) over one query",
        ),
        ok(
            """
            from sqlalchemy import select
            from sqlalchemy.orm import Session
            from app.models import Job

            def drain(session: Session):
                while True:
                    job = session.scalars(select(Job).limit(1).with_for_update(skip_locked=True)).first()
                    if job is None:
                        break
                    job.run()
            """,
            why="a work-queue while loop: one row per iteration is the design",
        ),
        ok(
            """
            from sqlalchemy import select
            from sqlalchemy.orm import Session
            from app.models import Row

            def pages(session: Session, total: int, size: int):
                for page in range(0, total, size):
                    yield session.scalars(select(Row).order_by(Row.id).offset(page).limit(size)).all()
            """,
            why="LIMIT/OFFSET pagination loop",
        ),
        ok(
            """
            from shop.models import Product

            def prices(skus):
                by_sku = Product.objects.in_bulk(skus, field_name="sku")
                return [by_sku.get(sku) for sku in skus]
            """,
            why="in_bulk() ran one query before the loop; `.get` on its dict is a lookup",
        ),
        flag(
            """
            from sqlalchemy import select
            from sqlalchemy.orm import Session
            from app.models import Comment

            def latest_comments(session: Session, posts):
                return [session.scalars(select(Comment).where(Comment.post_id == p.id).limit(1)).first() for p in posts]
            """,
            (6, 13),
            why="`.limit(1)` per row is still one query per row",
        ),
        flag(
            """
            from . import models

            def owners(pet_ids):
                return [models.Pet.objects.get(pk=pk).owner_id for pk in pet_ids]
            """,
            (4, 13),
            path="shop/views.py",
            why="a Django model reached through its module",
        ),
        flag(
            """
            from app.models import User

            def emails(user_ids):
                return [User.query.filter_by(id=user_id).first().email for user_id in user_ids]
            """,
            (4, 13),
            why="Flask-SQLAlchemy's `Model.query`",
        ),
        flag(
            """
            def line_counts(orders):
                return {order.pk: order.lines.count() for order in orders}
            """,
            (2, 23),
            files={
                "shop/models.py": SHOP_MODELS,
            },
            path="shop/report.py",
            why="a reverse related manager queried per row of a collection from elsewhere",
        ),
        ok(
            """
            from shop.models import Order

            def line_counts():
                return {order.pk: len(order.lines.all()) for order in Order.objects.prefetch_related("lines")}
            """,
            files={
                "shop/models.py": SHOP_MODELS,
            },
            path="shop/report.py",
            why="prefetch_related loads the lines with the orders (a loop over a known queryset is PF302's)",
        ),
        ok(
            """
            from app.db import session_for_schema
            from app.models import Signal

            def pending_per_tenant(tenants):
                for tenant in tenants:
                    with session_for_schema(tenant.schema) as session:
                        yield session.query(Signal.id).filter(Signal.case_id == None).limit(500).all()
            """,
            why="a new session per tenant: the query does depend on the loop (through the session)",
        ),
        flag(
            """
            import strawberry
            from shop.models import Review

            @strawberry.type
            class ProductType:
                id: int

                @strawberry.field
                def reviews(self) -> list[str]:
                    return [r.text for r in Review.objects.filter(product_id=self.id)]
            """,
            (10, 33),
            why="a Strawberry field resolver runs once per parent product",
        ),
        flag(
            """
            import graphene
            from shop.models import Review

            class ProductNode(graphene.ObjectType):
                review_count = graphene.Int()

                def resolve_review_count(root, info):
                    return Review.objects.filter(product_id=root.id).count()
            """,
            (8, 16),
            why="a graphene resolve_* method of an object type",
        ),
        ok(
            """
            import strawberry

            @strawberry.type
            class ProductType:
                id: int

                @strawberry.field
                async def reviews(self, info) -> list[str]:
                    return await info.context.review_loader.load(self.id)
            """,
            why="a DataLoader batches the loads of every parent",
        ),
        ok(
            """
            import graphene
            from shop.models import Product

            class Query(graphene.ObjectType):
                product = graphene.Field(graphene.String, id=graphene.Int())

                def resolve_product(root, info, id):
                    return Product.objects.get(pk=id).name
            """,
            why="a root Query resolver runs once per request",
        ),
        ok(
            """
            def run_script(connection, statements):
                with connection.cursor() as cursor:
                    for statement in statements:
                        cursor.execute(statement)
            """,
            why="each iteration runs a different statement (a script): nothing to batch",
        ),
        ok(
            """
            from core.models import ObjectType

            def model_classes(names):
                found = []
                for name in names:
                    ct = ObjectType.objects.get_by_natural_key("dcim", name)
                    if ct.model_class():
                        found.append(ct)
                return found
            """,
            why="a custom manager method returned an object; `model_class()` is its method, not a query",
        ),
        ok(
            """
            import requests

            def fetch_all(session: requests.Session, urls):
                return [session.get(url, timeout=5) for url in urls]
            """,
            why="a requests.Session, not a database session",
        ),
    )

    def check(self, ctx):
        if is_migration(ctx.source.rel_path):
            return ()
        db = project_db_facts(ctx.facts, ctx.index)
        reported = set()
        # The detection is shared with the file's summary (the cross-stack route map reads it there).
        for found in queries_per_iteration(ctx.facts, db):
            query, info, variable = found.query, found.info, found.variable
            text = short_text(db.text(query.node), 60)
            if variable is not None:
                origin = found.origin
                via = f"`{variable}`" if variable == origin else f"`{variable}` (from `{origin}`)"
                message = (
                    f"`{text}` runs one query per iteration of the loop over `{origin}`, depending on {via}; "
                    f"{_batched_advice(query)}."
                )
            else:
                message = (
                    f"`{text}` runs the same query on every iteration of the loop over "
                    f"`{', '.join(info.targets)}` though it does not depend on it; run it once before the loop."
                )
            reported.add(query.node.id)
            ctx.report(query.node, message, properties={"loop_variable": variable})
        self._helper_calls(ctx, db, reported)
        _related_managers(ctx, db, reported)
        _resolver_queries(ctx, db, reported)
        return ctx.findings

    def _helper_calls(self, ctx, db, reported):
        for call in ctx.facts.calls:
            if not call.loops or call.callee is None or call.node.id in db.queries_by_node:
                continue
            if call.scope is not None and call.callee == call.scope.qualname:
                continue
            if call.callee.split(".", 1)[0] in ("builtins", "sqlalchemy", "django", "typing"):
                continue
            info = loop_info(db, call.loops[0])
            if info is None or is_small_literal(db, info.iterable) or is_batch_iterable(db, info.iterable):
                continue
            queries = queries_of_function(ctx.index, call.callee)
            if not queries:
                continue
            arguments = call.node.child_by_field_name("arguments")
            tainted = tainted_names(db, info, call.node)
            used = [n for n in identifiers_in(db, arguments) if n in tainted] if arguments is not None else []
            if not used or is_chunked_query(db, call.node):
                continue
            first = queries[0]
            origin = tainted[sorted(used)[0]]
            name = call.callee.rsplit(".", 1)[-1]
            message = (
                f"`{short_text(db.text(call.node), 60)}` calls `{name}`, which runs a query ([`{short_text(first.text, 40)}`](1)), "
                f"once per iteration of the loop over `{origin}`; {_batched_advice(None)} "
                f"and pass the results to `{name}`."
            )
            ctx.report(call.node, message, related=[Related(first.span, f"`{short_text(first.text, 40)}`")],
                       properties={"loop_variable": origin})


# Related-manager calls that run a query (`.all()`/`.filter()` only when evaluated).
MANAGER_EXECUTORS = frozenset({"count", "exists", "first", "last", "get", "aggregate", "latest", "earliest", "create"})
MANAGER_LAZY = frozenset({"all", "filter", "exclude", "order_by", "values_list", "values"})


def _related_manager_call(db, node):
    """(object node, manager name, method) of `order.lines.count()` / `order.lines.all()...`."""
    function = node.child_by_field_name("function")
    if function is None or function.type != "attribute":
        return None
    manager = function.child_by_field_name("object")
    if manager is None or manager.type != "attribute":
        return None
    owner = manager.child_by_field_name("object")
    if owner is None or owner.type != "identifier":
        return None
    return owner, db.text(manager.child_by_field_name("attribute")), db.text(function.child_by_field_name("attribute"))


def _related_managers(ctx, db, reported):
    """`for order in orders: order.lines.count()`: a related manager of the loop variable queried
    per row. The loop over a known queryset is PF302's (it knows its prefetches); here the rows
    come from elsewhere (a parameter, a list), so the manager name identifies the relation."""
    for call in ctx.facts.calls:
        if not call.loops or call.node.id in reported:
            continue
        found = _related_manager_call(db, call.node)
        if found is None:
            continue
        owner, manager, method = found
        if method not in MANAGER_EXECUTORS and not (method in MANAGER_LAZY and is_evaluated(db, call.node)):
            continue
        info = loop_info(db, call.loops[0])
        if info is None or db.text(owner) not in info.targets or is_small_literal(db, info.iterable):
            continue
        if rows_source(db, info.iterable) is not None or is_batch_iterable(db, info.iterable):
            continue  # PF302 judges loops over a known queryset
        target = django_manager_target(ctx.index, manager)
        if target is None:
            continue
        model = target.rsplit(".", 1)[-1]
        ctx.report(
            call.node,
            f"`{short_text(db.text(call.node), 60)}` queries the related `{model}` rows of each `{db.text(owner)}`, one query "
            f"per iteration; load them with the rows (`.prefetch_related(\"{manager}\")` on the queryset the loop "
            f"walks) or fetch them at once (`{model}.objects.filter(<fk>__in=...)`).",
            properties={"loop_variable": db.text(owner)},
        )


ROOT_TYPES = ("Query", "Mutation", "Subscription")
# Strawberry-django's optimizer arguments: the field declares what to load with the parents.
OPTIMIZER_HINTS = ("prefetch_related", "select_related", "only=", "annotate=")


def _per_parent_resolver(ctx, db, function) -> Optional[str]:
    """The parent parameter (`self`/`root`) of a GraphQL field resolver that runs once per parent
    object: a graphene `resolve_*` method of an ObjectType, or a Strawberry `@strawberry.field`
    method, outside the root Query/Mutation types. None otherwise."""
    if function.class_name is None or not function.params:
        return None
    class_node = ctx.facts.classes.get(function.qualname.rsplit(".", 1)[0])
    short = function.class_name.rsplit(".", 1)[-1]
    if class_node is None or short.endswith(ROOT_TYPES):
        return None
    parent = function.node.parent
    decorators = [db.text(c) for c in parent.named_children if c.type == "decorator"] if (
        parent is not None and parent.type == "decorated_definition") else []
    # `@strawberry.field`, `@strawberry_django.field(...)`; not `filter_field` (a filter builds a Q)
    strawberry = any(d.startswith("@strawberry") and d.split("(", 1)[0].endswith(".field") for d in decorators)
    if strawberry and any(hint in d for d in decorators for hint in OPTIMIZER_HINTS):
        return None
    superclasses = class_node.child_by_field_name("superclasses")
    graphene = function.name.startswith("resolve_") and superclasses is not None and "ObjectType" in db.text(superclasses)
    if not (strawberry or graphene):
        return None
    return function.params[0].name


def _returned_queryset(db, function, parent_name):
    """`return X.objects.filter(owner=self)` / `return self.images.all()`: the framework evaluates it."""
    for node in _returns(function.body):
        value = node.named_children[0] if node.named_children else None
        if value is None or value.type != "call":
            continue
        text = db.text(value)
        manager = _related_manager_call(db, value)
        related = manager is not None and db.text(manager[0]) == parent_name and manager[2] in MANAGER_LAZY | MANAGER_EXECUTORS
        if ".objects." not in text and not related:
            continue
        if parent_name in identifiers_in(db, value) and db.queries_by_node.get(value.id) is None:
            function_node = value.child_by_field_name("function")
            if function_node is not None and function_node.type == "attribute":
                yield value


def _returns(block):
    stack = [block] if block is not None else []
    while stack:
        node = stack.pop()
        if node.type == "return_statement":
            yield node
        elif node.type not in ("function_definition", "class_definition", "lambda"):
            stack.extend(node.named_children)


def _resolver_queries(ctx, db, reported):
    for function in ctx.facts.functions:
        parent_name = _per_parent_resolver(ctx, db, function)
        if parent_name is None:
            continue
        nodes = [q.node for q in db.queries if q.call is not None and q.call.scope is not None and q.call.scope.qualname == function.qualname
                 and q.node.id not in reported and parent_name in identifiers_in(db, q.node)]
        nodes += list(_returned_queryset(db, function, parent_name))
        for node in nodes:
            reported.add(node.id)
            ctx.report(
                node,
                f"`{short_text(db.text(node), 60)}` runs in the GraphQL resolver `{function.name}`, once per "
                f"`{function.class_name.rsplit('.', 1)[-1]}` in the response (N+1 for a list of them); load it "
                "through a DataLoader (`info.context` loader `.load(key)`) or declare it on the field "
                "(strawberry-django `prefetch_related=` / graphene-django `prefetch_related` on the parent query).",
                properties={"loop_variable": parent_name},
            )
