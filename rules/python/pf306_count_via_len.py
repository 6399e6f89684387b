"""PF306 count-via-len: `len()` of a fully loaded query result where COUNT would do."""

from __future__ import annotations

from perfscan.facts.python_db import call_args, unwrap
from perfscan.findings import Fix, TextEdit, short_text
from perfscan.models import project_db_facts
from perfscan.rule import Rule, flag, ok

MATERIALIZERS = frozenset({"builtins.list", "builtins.tuple"})
ROW_METHODS = frozenset({"all", "fetchall", "scalars", "execute", "filter", "exclude", "objects", "order_by",
                         "select_related", "prefetch_related", "distinct", "filter_by", "join", "where", "query"})  # fmt: skip


class CountViaLen(Rule):
    code = "PF306"
    name = "count-via-len"
    languages = frozenset({"python"})
    level = "warning"
    tags = ("database", "sqlalchemy", "django")
    hot_path_only = True  # test code is not a hot path (analyzer/test_paths.py)
    summary = "`len()` of a query result loads every row just to count them; use `COUNT`."
    what_it_does = """
        Finds `len(...)` applied directly to a query that fetches rows — `len(session.query(X).all())`,
        `len(session.scalars(select(X)).all())`, `len(Model.objects.filter(...))`,
        `len(list(qs))` — when the rows themselves are not kept. Where the rows are used
        afterwards (`rows = qs.all(); n = len(rows)`), `len` is right and nothing is reported.
    """
    why_slow = """
        The database sends every matching row over the network, and the ORM builds one Python
        object per row, only for all of them to be dropped after counting. For 100,000 rows
        that is megabytes transferred and hundreds of milliseconds of object construction,
        where `SELECT count(*)` returns one integer (often from an index alone).
    """
    how_to_measure = """
        Log the statement (`echo=True`, django-debug-toolbar) and compare the row count fetched
        with what the code uses; profile the function (`py-spy`, `cProfile`) to see time in
        row loading (`loading.instances`, `Model.from_db`) rather than in the database.
    """
    use_instead = """
        Django: `Model.objects.filter(...).count()`. SQLAlchemy 2.0:
        `session.scalar(select(func.count()).select_from(User).where(...))`; legacy query API:
        `session.query(User).filter(...).count()`. To test for emptiness, `.exists()`.
    """

    examples = (
        flag(
            """
            from shop.models import Order

            def open_orders():
                return len(Order.objects.filter(state="open"))
            """,
            (4, 12),
            fixed="""
            from shop.models import Order

            def open_orders():
                return Order.objects.filter(state="open").count()
            """,
            shown=True,
        ),
        ok(
            """
            from shop.models import Order

            def open_orders():
                return Order.objects.filter(state="open").count()
            """,
            why="COUNT in the database",
            shown=True,
        ),
        flag(
            """
            from sqlalchemy.orm import Session
            from app.models import User

            def active_users(session: Session) -> int:
                return len(session.query(User).filter(User.active).all())
            """,
            (5, 12),
            fixed="""
            from sqlalchemy.orm import Session
            from app.models import User

            def active_users(session: Session) -> int:
                return session.query(User).filter(User.active).count()
            """,
            why="legacy query API",
        ),
        flag(
            """
            from sqlalchemy import select
            from sqlalchemy.ext.asyncio import AsyncSession
            from app.models import User

            async def active_users(session: AsyncSession) -> int:
                return len((await session.scalars(select(User).where(User.active))).all())
            """,
            (6, 12),
            why="2.0 style select(); the advice is select(func.count())",
        ),
        flag(
            """
            from shop.models import Order

            def n_orders():
                return len(list(Order.objects.all()))
            """,
            (4, 12),
            why="len(list(queryset))",
        ),
        ok(
            """
            from shop.models import Order

            def report():
                orders = list(Order.objects.filter(state="open"))
                return len(orders), [o.total for o in orders]
            """,
            why="the rows are used after counting",
        ),
        ok(
            """
            def total(items):
                return len([i for i in items if i.active])
            """,
            why="not a query",
        ),
        ok(
            """
            from sqlalchemy import func, select
            from sqlalchemy.orm import Session
            from app.models import User

            def active_users(session: Session) -> int:
                return session.scalar(select(func.count()).select_from(User).where(User.active))
            """,
            why="COUNT in SQL",
        ),
    )

    def check(self, ctx):
        db = project_db_facts(ctx.facts, ctx.index)
        for call in ctx.facts.calls:
            if call.callee != "builtins.len":
                continue
            positional, _ = call_args(call.node)
            if len(positional) != 1:
                continue
            arg = unwrap(positional[0])
            if arg.type == "call" and ctx.facts.resolve(arg.child_by_field_name("function")) in MATERIALIZERS:
                inner = call_args(arg)[0]
                arg = unwrap(inner[0]) if len(inner) == 1 else arg
            query = db.queries_by_node.get(arg.id)
            if query is None or query.write or query.method_names[-1:] and query.method_names[-1] not in ROW_METHODS:
                continue
            if query.kind == "raw":
                continue
            self._report(ctx, db, call, arg, query)
        return ctx.findings

    def _report(self, ctx, db, call, arg, query):
        text = db.text(arg)
        base = text[: -len(".all()")] if text.endswith(".all()") else text
        fix = None
        if query.kind == "django" or (query.kind == "sqlalchemy-legacy" and "\n" not in text):
            replacement = f"{base}.count()"
            fix = Fix(f"Count with `{replacement}`", (TextEdit(ctx.source.span(call.node), replacement),))
            advice = f"use `{short_text(replacement, 60)}`"
        else:
            model = (query.model or "Model").rsplit(".", 1)[-1]
            advice = f"use `session.scalar(select(func.count()).select_from({model}).where(...))`"
        ctx.report(
            call.node,
            f"`{short_text(db.text(call.node), 60)}` loads every row only to count them; {advice} so the database "
            "returns one number.",
            fix=fix,
        )
