"""PF304 leading-wildcard-like: `LIKE '%...'` searches that no B-tree index can serve."""

from __future__ import annotations

import re

from perfscan.facts.python_db import call_args, db_facts, unwrap
from perfscan.findings import short_text
from perfscan.models import models_of
from perfscan.rule import Rule, flag, ok

LIKE_METHODS = frozenset({"like", "ilike", "notlike", "notilike", "not_like", "not_ilike"})
CONTAINS_METHODS = frozenset({"contains", "icontains", "endswith", "iendswith"})
DJANGO_LOOKUPS = ("__contains", "__icontains", "__endswith", "__iendswith")
DJANGO_QUERY_CALLS = frozenset({"filter", "exclude", "get", "Q", "filter_by", "aget", "exists"})
RAW_SQL_CALLS = frozenset({"execute", "text", "raw", "extra", "fetch", "fetchrow", "fetchval", "executemany"})
CHECKED_METHODS = LIKE_METHODS | CONTAINS_METHODS | RAW_SQL_CALLS
RAW_LEADING_LIKE = re.compile(r"(?i)\b(?:I?LIKE)\s+(?:E?')%")


def _leading_percent(db, node) -> bool:
    """A pattern that starts with `%`: "%x", f"%{q}%", "%" + q, "%%%s" % q."""
    node = unwrap(node)
    while node is not None and node.type == "binary_operator":  # the leftmost operand, however long the sum
        node = unwrap(node.child_by_field_name("left"))
    if node is None:
        return False
    if node.type == "string":
        parts = [c for c in node.named_children if c.type in ("string_content", "interpolation")]
        return bool(parts) and parts[0].type == "string_content" and db.text(parts[0]).startswith("%")
    return False


class LeadingWildcardLike(Rule):
    code = "PF304"
    name = "leading-wildcard-like"
    languages = frozenset({"python"})
    level = "warning"
    tags = ("database", "index", "sqlalchemy", "django")
    hot_path_only = True  # test code is not a hot path (analyzer/test_paths.py)
    summary = "A `LIKE '%...'` / contains search starts with a wildcard, so no B-tree index can serve it."
    what_it_does = """
        Finds substring and suffix searches that force a full scan: SQLAlchemy
        `column.like("%...")` / `ilike(f"%{q}%")`, `.contains(...)` / `.endswith(...)` on a
        string column of a known model, Django `__contains` / `__icontains` / `__endswith`
        lookups in `filter()` / `exclude()` / `get()` / `Q()`, and raw SQL with `LIKE '%...`.
        Django lookups are reported once per query (`filter(Q(a__icontains=v) | Q(b__icontains=v))`
        is one scan), listing the fields, as a note inside a `search`/`filter` method (a search
        box over an admin list is often fine on small tables). Not reported: fields with a trigram
        index (`GinIndex(..., opclasses=["gin_trgm_ops"])`, `postgresql_ops`), and a case-sensitive
        `__contains` on anything but a known text field (on `JSONField`/`ArrayField`/ranges it is
        containment, `@>`).
    """
    why_slow = """
        A B-tree index is sorted by the start of the value, so it can answer `LIKE 'abc%'`
        but not `LIKE '%abc%'`: the database reads and compares every row. On a search box
        backed by a table of a million rows, each keystroke becomes a sequential scan that
        takes hundreds of milliseconds and competes with everything else for I/O.
    """
    how_to_measure = """
        `EXPLAIN ANALYZE SELECT ... WHERE name ILIKE '%foo%'` shows `Seq Scan` with
        `Filter: (name ~~* '%foo%')` and `Rows Removed by Filter` close to the table size.
        `pg_stat_statements` ranks the statement by total time.
    """
    use_instead = """
        On PostgreSQL, a trigram index serves `LIKE`/`ILIKE '%...%'`:
        `CREATE EXTENSION pg_trgm; CREATE INDEX ix_users_name_trgm ON users USING gin (name gin_trgm_ops);`
        (Django: `GinIndex(fields=["name"], opclasses=["gin_trgm_ops"])`). For word search use
        full-text search (`tsvector` + GIN, Django `SearchVector`). If a prefix match is enough,
        `like("abc%")` / `__startswith` can use a plain index (with `text_pattern_ops`).
    """

    examples = (
        flag(
            """
            from sqlalchemy import select
            from app.models import User

            def search(session, q: str):
                return session.scalars(select(User).where(User.name.ilike(f"%{q}%"))).all()
            """,
            (5, 47),
            shown=True,
        ),
        ok(
            """
            from sqlalchemy import select
            from app.models import User

            def search(session, q: str):
                return session.scalars(select(User).where(User.name.ilike(f"{q}%"))).all()
            """,
            why="a prefix search can use an index",
            shown=True,
        ),
        flag(
            """
            from app.models import User

            def by_domain(session, domain):
                return session.query(User).filter(User.email.like("%" + domain)).all()
            """,
            (4, 39),
            why="suffix search built by concatenation",
        ),
        flag(
            """
            from shop.models import Product

            def search(term):
                return Product.objects.filter(name__icontains=term, active=True)
            """,
            (4, 12),
            why="Django __icontains (reported at the query)",
        ),
        flag(
            """
            def find(cursor, term):
                cursor.execute("SELECT id FROM products WHERE name ILIKE '%' || %s || '%'", (term,))
                return cursor.fetchall()
            """,
            (2, 20),
            why="raw SQL",
        ),
        flag(
            """
            from sqlalchemy import select
            from app.models import User

            def search(session, q):
                return session.scalars(select(User).where(User.name.contains(q))).all()
            """,
            (5, 47),
            files={
                "app/models.py": """
                    from sqlalchemy import String
                    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

                    class Base(DeclarativeBase):
                        pass

                    class User(Base):
                        __tablename__ = "users"
                        id: Mapped[int] = mapped_column(primary_key=True)
                        name: Mapped[str] = mapped_column(String(100))
                    """,
            },
            path="app/search.py",
            why=".contains() on a string column of a model from the model index",
        ),
        flag(
            """
            from django.db.models import Q
            from shop.models import Product

            def search(queryset, value):
                return queryset.filter(
                    Q(name__icontains=value) | Q(description__icontains=value) | Q(sku__iendswith=value)
                )
            """,
            (5, 12),
            why="one search query over three fields: one finding listing them (a note: a search box)",
        ),
        ok(
            """
            from shop.models import Product

            def by_name(term):
                return Product.objects.filter(name__icontains=term)
            """,
            files={
                "shop/models.py": """
                    from django.contrib.postgres.indexes import GinIndex
                    from django.db import models

                    class Product(models.Model):
                        name = models.CharField(max_length=200)

                        class Meta:
                            indexes = [GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="product_name_trgm")]
                    """,
            },
            path="shop/search.py",
            why="a trigram GIN index serves LIKE '%...%'",
        ),
        ok(
            """
            from shop.models import Product

            def tagged(tag):
                return Product.objects.filter(tags__contains=[tag], attributes__contains={"color": "red"})
            """,
            files={
                "shop/models.py": """
                    from django.contrib.postgres.fields import ArrayField
                    from django.db import models

                    class Product(models.Model):
                        tags = ArrayField(models.CharField(max_length=20))
                        attributes = models.JSONField(default=dict)
                    """,
            },
            path="shop/tagged.py",
            why="`__contains` on an ArrayField/JSONField is `@>` (containment), not LIKE",
        ),
        ok(
            """
            from shop.models import Product

            def search(term):
                return Product.objects.filter(name__istartswith=term)
            """,
            why="prefix lookup",
        ),
        ok(
            """
            def has_word(text, words):
                return any(text.endswith(w) for w in words) or "%" in text
            """,
            why="Python string methods, not SQL",
        ),
        ok(
            """
            from sqlalchemy import select
            from app.models import Post

            def tagged(session, tag):
                return session.scalars(select(Post).where(Post.tags.contains(tag))).all()
            """,
            why=".contains() on a relationship is an EXISTS, not a LIKE (and Post is not a known string column)",
        ),
    )

    def check(self, ctx):
        db = db_facts(ctx.facts)
        models = None
        for call in ctx.facts.calls:
            function = call.function
            if function is None:
                continue
            if function.type == "attribute":
                method = db.text(function.child_by_field_name("attribute"))
                if method not in CHECKED_METHODS:
                    continue
                receiver = unwrap(function.child_by_field_name("object"))
                positional, _ = call_args(call.node)
                if method in LIKE_METHODS and positional and _leading_percent(db, positional[0]):
                    ctx.report(
                        call.node,
                        f"`{short_text(db.text(call.node), 60)}` starts the pattern with `%`, so no B-tree index can "
                        "serve it and every row is scanned; use a trigram (pg_trgm GIN) or full-text index, "
                        "or a prefix pattern.",
                    )
                    continue
                if method in CONTAINS_METHODS and positional and receiver is not None and receiver.type == "attribute":
                    if models is None:
                        models = models_of(ctx.index)
                    if self._is_string_column(ctx, db, models, receiver):
                        ctx.report(
                            call.node,
                            f"`{short_text(db.text(call.node), 60)}` compiles to `LIKE '%...%'`, which no B-tree index "
                            "can serve, so every row is scanned; use a trigram (pg_trgm GIN) or full-text index.",
                        )
                        continue
                if method in RAW_SQL_CALLS:
                    for arg in positional[:1]:
                        arg = unwrap(arg)
                        if arg.type in ("string", "concatenated_string") and RAW_LEADING_LIKE.search(db.text(arg)):
                            ctx.report(
                                arg,
                                "This SQL matches with `LIKE '%...'`, which no B-tree index can serve, so every "
                                "row is scanned; use a trigram (pg_trgm GIN) or full-text index.",
                            )
        self._django_lookups(ctx, db)
        return ctx.findings

    def _django_lookups(self, ctx, db):
        """One finding per query: the `__icontains` lookups of one `filter(Q(a__icontains=v) |
        Q(b__icontains=v))` are one statement, reported once with the fields listed."""
        groups = {}  # anchor node id -> (anchor, [lookup names])
        models = None
        for call in ctx.facts.calls:
            if call.function is None or call.callee_text.rsplit(".", 1)[-1] not in DJANGO_QUERY_CALLS:
                continue
            arguments = call.node.child_by_field_name("arguments")
            for keyword in arguments.named_children if arguments is not None else ():
                if keyword.type != "keyword_argument":
                    continue
                name_node = keyword.child_by_field_name("name")
                name = db.text(name_node) if name_node is not None else ""
                if not name.endswith(DJANGO_LOOKUPS):
                    continue
                if models is None:
                    models = models_of(ctx.index)
                model = models.get(_queried_model(db, call.node), "django")
                if _served_by_index(ctx, models, model, name):
                    continue
                anchor = _query_anchor(db, call.node)
                groups.setdefault(anchor.id, (anchor, []))[1].append(name)
        for anchor, names in groups.values():
            fields = list(dict.fromkeys(names))
            shown = ", ".join(f"`{n}`" for n in fields[:6]) + (f" and {len(fields) - 6} more" if len(fields) > 6 else "")
            contains = any("contains" in n.rsplit("__", 1)[-1] for n in fields)
            scope = ctx.facts.scope_at(anchor)
            search = scope is not None and any(w in scope.qualname.rsplit(".", 1)[-1].lower() for w in ("search", "filter"))
            ctx.report(
                anchor,
                f"This query matches {shown} with `LIKE '%...'`, which no B-tree index can serve, so every row is "
                f"scanned{' (one scan for the whole search, however many fields)' if len(fields) > 1 else ''}; on a "
                "large table add a trigram `GinIndex(..., opclasses=[\"gin_trgm_ops\"])` or use full-text search"
                f"{' (or `__istartswith` if a prefix match is enough)' if contains else ''}.",
                # A search box over the rows of an admin list: fine on small tables, worth knowing on big ones.
                level="note" if search else None,
                properties={"fields": fields},
            )

    @staticmethod
    def _is_string_column(ctx, db, models, receiver) -> bool:
        owner = unwrap(receiver.child_by_field_name("object"))
        column = db.text(receiver.child_by_field_name("attribute"))
        model = models.get(ctx.facts.resolve(owner)) if owner is not None else None
        if model is None:
            return False
        entry = model.columns.get(column) or model.fields.get(column)
        return bool(entry and entry.get("string"))


JSON_CONTAINERS = frozenset({"JSONField", "ArrayField", "HStoreField", "SearchVectorField", "DateRangeField",
                             "IntegerRangeField", "BigIntegerRangeField", "DecimalRangeField", "DateTimeRangeField"})
_ANCHOR_EXPRESSIONS = frozenset({"binary_operator", "parenthesized_expression", "unary_operator", "boolean_operator"})
_ANCHOR_PARENTS = frozenset({"argument_list", "binary_operator", "parenthesized_expression", "unary_operator",
                             "not_operator", "boolean_operator", "list", "tuple", "list_splat", "keyword_argument"})


def _query_anchor(db, call):
    """The outermost expression of Q objects and query calls around `call`: `filter(Q(...) | Q(...))`
    is one query. Stops at a statement, a call that is not a query call, or an assignment."""
    anchor, node = call, call.parent
    while node is not None:
        if node.type == "call":
            function = node.child_by_field_name("function")
            name = db.text(function).rsplit(".", 1)[-1] if function is not None else ""
            if name not in DJANGO_QUERY_CALLS and name not in ("reduce", "functools.reduce"):
                break
            anchor = node
        elif node.type not in _ANCHOR_PARENTS:
            break
        elif node.type in _ANCHOR_EXPRESSIONS:
            anchor = node  # `Q(a__icontains=v) | Q(b__icontains=v)`, even when assigned before the filter
        node = node.parent
    return anchor


def _queried_model(db, call):
    """`Product` in `Product.objects.filter(...)` (qualified when imported), else None."""
    function = call.child_by_field_name("function")
    node = function.child_by_field_name("object") if function is not None and function.type == "attribute" else None
    while node is not None and node.type in ("call", "attribute"):
        if node.type == "attribute" and db.text(node.child_by_field_name("attribute")) in ("objects", "_default_manager"):
            owner = node.child_by_field_name("object")
            return db.facts.resolve(owner) or db.text(owner)
        node = node.child_by_field_name("function") if node.type == "call" else node.child_by_field_name("object")
    return None


def _served_by_index(ctx, models, model, lookup: str) -> bool:
    """A trigram index on the field, or a JSON/array field whose `__contains` is `@>` (a GIN
    containment), not `LIKE`. With the model unknown (a FilterSet's `queryset`), every project
    model that has a field by that name must agree."""
    field_name, _, operator = lookup.rpartition("__")
    if "__" in field_name:
        # across a relation: the last model is not followed. A case-sensitive `__contains` is
        # LIKE only on text; on arrays, JSON, ranges and network fields it is containment.
        return operator == "contains"
    owners = [model] if model is not None else models.with_field(field_name)
    if not owners:
        return operator == "contains"
    if operator == "contains" and not all((o.fields.get(field_name) or o.columns.get(field_name) or {}).get("string")
                                          for o in owners):
        return True
    for owner in owners:
        entry = owner.fields.get(field_name) or owner.columns.get(field_name) or {}
        if field_name in owner.trigram:
            continue
        if operator == "contains" and entry.get("type") in JSON_CONTAINERS:
            continue
        return False
    return True
