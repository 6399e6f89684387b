"""PF302 lazy-load-in-loop: a lazily loaded relationship read on each row of a query."""

from __future__ import annotations

from perfscan.facts.python_db import element_reads, loop_reads, relationship_rows, rows_source
from perfscan.findings import Related
from perfscan.models import models_of, project_db_facts
from perfscan.rule import Rule, flag, ok
from perfscan.rules.python.pf301_query_in_loop import is_migration

LAZY_SELECT = frozenset({"select", "True", "true"})
DJANGO_SINGLE = frozenset({"fk", "o2o", "reverse-o2o"})
# Manager methods served from a prefetch_related cache.
PREFETCH_SERVED = frozenset({"all", "count", "exists", "__iter__"})
MANAGER_QUERIES = frozenset(
    {"all", "count", "exists", "filter", "exclude", "order_by", "first", "last", "get", "values", "values_list",
     "aggregate", "annotate"}
)  # fmt: skip

MODELS = """
    from sqlalchemy import ForeignKey
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

    class Base(DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str]
        posts: Mapped[list["Post"]] = relationship(back_populates="author")

    class Post(Base):
        __tablename__ = "posts"
        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str]
        author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
        author: Mapped["User"] = relationship(back_populates="posts")
        tags: Mapped[list["Tag"]] = relationship(lazy="selectin")

    class Tag(Base):
        __tablename__ = "tags"
        id: Mapped[int] = mapped_column(primary_key=True)
        post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    """

DJANGO_MODELS = """
    from django.db import models

    class Author(models.Model):
        name = models.CharField(max_length=100)

    class Book(models.Model):
        title = models.CharField(max_length=200)
        author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
        tags = models.ManyToManyField("Tag")

    class Tag(models.Model):
        name = models.CharField(max_length=50)
    """

LEGACY_MODELS = """
    from sqlalchemy import Column, ForeignKey, Integer, String
    from sqlalchemy.orm import declarative_base, relationship

    Base = declarative_base()

    class Customer(Base):
        __tablename__ = "customers"
        id = Column(Integer, primary_key=True)
        name = Column(String)

    class Order(Base):
        __tablename__ = "orders"
        id = Column(Integer, primary_key=True)
        customer_id = Column(Integer, ForeignKey("customers.id"), index=True)
        customer = relationship("Customer", backref="orders")
    """


class LazyLoadInLoop(Rule):
    code = "PF302"
    name = "lazy-load-in-loop"
    languages = frozenset({"python"})
    level = "warning"
    tags = ("database", "n+1", "sqlalchemy", "django")
    hot_path_only = True  # test code is not a hot path (analyzer/test_paths.py)
    summary = "A lazily loaded relationship is read on every row of a query inside a loop (N+1 queries)."
    what_it_does = """
        Finds loops and comprehensions over the rows of a query that read a relationship
        which is loaded lazily, one query per row:

        - SQLAlchemy: a `relationship()` with the default `lazy="select"` (including
          `backref=` sides) read on rows of `session.scalars(select(Post))`,
          `session.execute(...).scalars()`, or `session.query(Post)` when the query has no
          `selectinload` / `joinedload` / `subqueryload` / `contains_eager` option for it.
        - Django: a `ForeignKey` / `OneToOneField` read without `select_related("...")`, and
          reverse or many-to-many managers (`author.books.all()`, `book.tags.all()`)
          without `prefetch_related("...")` on the queryset being iterated.

        Models come from the project's model index, so they may live in another file. The
        finding is at the attribute read; the query that produced the rows is a related
        location. `obj.author.id` gets the hint to read `obj.author_id`, which needs no query.
    """
    why_slow = """
        A lazy relationship is fetched the first time it is read, with its own SELECT. Read
        on each of N rows it adds N round trips to the one query that fetched the rows — the
        classic N+1. The code looks like attribute access, so the cost is invisible until
        the table grows: 200 rows means 201 queries and easily 100+ ms of waiting.
    """
    how_to_measure = """
        - SQLAlchemy: `echo=True` on the engine, or a `before_cursor_execute` listener
          counting statements, shows one `SELECT ... WHERE users.id = ?` per row. Setting
          `lazy="raise"` (or `raiseload("*")` on the query) in a test turns each lazy load
          into an error.
        - Django: django-debug-toolbar's SQL panel reports "N similar queries";
          `assertNumQueries` in a test fails as rows are added.
    """
    use_instead = """
        Load the relationship with the rows, in one or two queries whatever N is:
        `.options(selectinload(User.posts))` for collections, `.options(joinedload(Post.author))`
        for many-to-one; Django `.select_related("author")` for forward foreign keys and
        one-to-ones, `.prefetch_related("books")` for reverse and many-to-many managers. When only
        the key is needed, read the foreign-key column (`post.author_id`).
    """

    examples = (
        flag(
            """
            from sqlalchemy import select
            from sqlalchemy.orm import Session
            from app.models import Post

            def bylines(session: Session):
                posts = session.scalars(select(Post).limit(50)).all()
                return [f"{post.title} by {post.author.name}" for post in posts]
            """,
            (7, 32),
            files={"app/models.py": MODELS},
            path="app/feed.py",
            shown=True,
        ),
        ok(
            """
            from sqlalchemy import select
            from sqlalchemy.orm import Session, joinedload
            from app.models import Post

            def bylines(session: Session):
                posts = session.scalars(select(Post).options(joinedload(Post.author)).limit(50)).all()
                return [f"{post.title} by {post.author.name}" for post in posts]
            """,
            files={"app/models.py": MODELS},
            path="app/feed.py",
            why="the relationship is joined-loaded with the rows",
            shown=True,
        ),
        flag(
            """
            from sqlalchemy import select
            from sqlalchemy.ext.asyncio import AsyncSession
            from app.models import User

            async def post_counts(session: AsyncSession):
                result = await session.execute(select(User))
                counts = {}
                for user in result.scalars():
                    counts[user.id] = len(user.posts)
                return counts
            """,
            (9, 31),
            files={"app/models.py": MODELS},
            path="app/stats.py",
            why="collection relationship on rows of an async select (execute().scalars())",
        ),
        flag(
            """
            from sqlalchemy.orm import Session
            from app.models import Post

            def author_ids(session: Session):
                return [post.author.id for post in session.query(Post).all()]
            """,
            (5, 13),
            files={"app/models.py": MODELS},
            path="app/ids.py",
            why="`post.author.id` where `post.author_id` needs no query (legacy query API)",
        ),
        flag(
            """
            from sqlalchemy.orm import Session
            from app.models import Customer

            def report(session: Session):
                for customer in session.query(Customer).filter(Customer.name != ""):
                    print(customer.name, len(customer.orders))
            """,
            (6, 34),
            files={"app/models.py": LEGACY_MODELS},
            path="app/report.py",
            why="a backref= relationship created on the other model",
        ),
        flag(
            """
            from library.models import Book

            def titles():
                return [(book.title, book.author.name) for book in Book.objects.filter(title__startswith="A")]
            """,
            (4, 26),
            files={"library/models.py": DJANGO_MODELS},
            path="library/views.py",
            why="Django ForeignKey without select_related",
        ),
        flag(
            """
            from library.models import Author, Book

            def catalogue():
                out = []
                for author in Author.objects.all():
                    out.append((author.name, [b.title for b in author.books.all()]))
                for book in Book.objects.select_related("author"):
                    out.append([t.name for t in book.tags.all()])
                return out
            """,
            (6, 52),
            (8, 37),
            files={"library/models.py": DJANGO_MODELS},
            path="library/catalogue.py",
            why="reverse FK manager (related_name) and many-to-many without prefetch_related",
        ),
        flag(
            """
            from app.models import User

            def author_names(user: User):
                return {post.author.name for post in user.posts}
            """,
            (4, 13),
            files={"app/models.py": MODELS},
            path="app/names.py",
            why="elements of a lazily loaded collection of an annotated model instance",
        ),
        ok(
            """
            from sqlalchemy import select
            from sqlalchemy.orm import Session, selectinload
            from app.models import User

            def post_counts(session: Session):
                stmt = select(User).options(selectinload(User.posts))
                return {user.id: len(user.posts) for user in session.scalars(stmt)}
            """,
            files={"app/models.py": MODELS},
            path="app/stats.py",
            why="selectinload through a statement variable",
        ),
        ok(
            """
            from sqlalchemy import select
            from sqlalchemy.orm import Session
            from app.models import Post

            def tag_counts(session: Session):
                return [len(post.tags) for post in session.scalars(select(Post))]
            """,
            files={"app/models.py": MODELS},
            path="app/tags.py",
            why='the relationship is declared lazy="selectin"',
        ),
        ok(
            """
            from sqlalchemy import select
            from sqlalchemy.orm import Session
            from app.models import Post

            def author_ids(session: Session):
                return [post.author_id for post in session.scalars(select(Post))]
            """,
            files={"app/models.py": MODELS},
            path="app/ids.py",
            why="the foreign-key column needs no query",
        ),
        ok(
            """
            from sqlalchemy.orm import Session
            from app.models import Post

            def show(session: Session, post_id: int):
                post = session.get(Post, post_id)
                return post.author.name
            """,
            files={"app/models.py": MODELS},
            path="app/show.py",
            why="one object, no loop: a single lazy load is fine",
        ),
        ok(
            """
            from library.models import Author, Book

            def catalogue():
                books = Book.objects.select_related("author").prefetch_related("tags")
                out = [(b.author.name, [t.name for t in b.tags.all()]) for b in books]
                authors = Author.objects.prefetch_related("books")
                return out, {a.name: a.books.count() for a in authors}
            """,
            files={"library/models.py": DJANGO_MODELS},
            path="library/catalogue.py",
            why="select_related / prefetch_related on the iterated querysets",
        ),
        ok(
            """
            from library.models import Book

            def rows():
                return [(row["title"], row["author__name"]) for row in Book.objects.values("title", "author__name")]
            """,
            files={"library/models.py": DJANGO_MODELS},
            path="library/rows.py",
            why="values() rows are dicts, no relationship access",
        ),
        flag(
            """
            from library import models

            def titles():
                books = list(models.Book.objects.filter(title__startswith="A"))
                return [book.author.name for book in books]
            """,
            (5, 13),
            files={"library/models.py": DJANGO_MODELS},
            path="library/titles.py",
            why="a queryset materialised with list() and read in a later loop, its model reached through the module",
        ),
        flag(
            """
            from sqlalchemy.orm import Session
            from app.models import User

            def first_posts(session: Session):
                users = session.query(User).all()
                return users[0].posts
            """,
            (6, 12),
            files={"app/models.py": LEGACY_MODELS.replace("Customer", "User").replace("customers", "users")
                   .replace('"orders"', '"posts"')},
            path="app/first.py",
            why="an element of a multi-row result: the load that repeats per row (nplusone's case)",
        ),
        ok(
            """
            from library.models import Book

            def import_books(author, titles):
                books = Book.objects.bulk_create([Book(title=t, author=author) for t in titles])
                return [book.author.name for book in books]
            """,
            files={"library/models.py": DJANGO_MODELS},
            path="library/importer.py",
            why="bulk_create returns the objects built here, with the author already set",
        ),
        ok(
            """
            from sqlalchemy.orm import Session
            from app.models import Post, User

            def reassign(session: Session, new_author: User):
                for post in session.query(Post).all():
                    post.author = new_author
                session.commit()
            """,
            files={"app/models.py": MODELS},
            path="app/reassign.py",
            why="assigning a relationship does not load it",
        ),
    )

    def check(self, ctx):
        if is_migration(ctx.source.rel_path):
            return ()
        db = project_db_facts(ctx.facts, ctx.index)
        if not db.loops and not db.queries:
            return ()
        models = models_of(ctx.index)
        self._element_reads(ctx, db, models)
        for loop in db.loops:
            reads = loop_reads(db, loop)
            if reads is None:
                continue
            target, iterable, region = reads
            source = rows_source(db, iterable) or relationship_rows(db, iterable, models)
            if source is None or source.model is None:
                continue
            model = models.get(source.model, source.kind)
            if model is None:
                continue
            seen = set()
            for attribute in db.attributes_in(region):
                obj = attribute.child_by_field_name("object")
                if obj is None or obj.type != "identifier" or db.text(obj) != target:
                    continue
                if loop.type == "for_in_clause" and _inside(iterable, attribute):
                    continue
                name = db.text(attribute.child_by_field_name("attribute"))
                if name in seen:
                    continue
                relation = models.relation(model.name, name)
                if relation is None or _is_assigned(attribute):
                    continue
                message = self._message(db, source, model, relation, target, attribute)
                if message is None:
                    continue
                seen.add(name)
                ctx.report(
                    attribute,
                    message,
                    related=[Related(ctx.source.span(source.node), "the query" if source.parent is None else "the collection")],
                    properties={"relationship": f"{model.short}.{name}"},
                )
        return ctx.findings

    def _element_reads(self, ctx, db, models):
        """`users[0].addresses` with `users` the rows of a multi-row query: the object was loaded
        with others, so reading a lazy relationship on it is the pattern that repeats per row
        (nplusone reports it the same way)."""
        if not db.queries:
            return
        seen = set()
        for attribute, element in element_reads(db, ctx.source.tree.root_node):
            rows = element.child_by_field_name("value")
            source = rows_source(db, rows)
            if source is None or source.model is None:
                continue
            model = models.get(source.model, source.kind)
            name = db.text(attribute.child_by_field_name("attribute"))
            relation = models.relation(model.name, name) if model is not None else None
            if relation is None or _is_assigned(attribute) or (element.id, name) in seen:
                continue
            message = self._message(db, source, model, relation, db.text(element), attribute)
            if message is None:
                continue
            seen.add((element.id, name))
            message = message.replace("for every row of", "for each element of").replace(
                "with one query per row of", "with one query for each element of")
            ctx.report(attribute, message, related=[Related(ctx.source.span(source.node), "the query")],
                       properties={"relationship": f"{model.short}.{name}"})

    def _message(self, db, source, model, relation, target, attribute):
        read = f"{target}.{relation.name}"
        parent = attribute.parent
        key_hint = ""
        if (
            relation.fk_column
            and parent is not None
            and parent.type == "attribute"
            and db.text(parent.child_by_field_name("attribute")) in ("id", "pk")
        ):
            key_hint = f" Here only the key is read: `{target}.{relation.fk_column}` needs no query at all."
        if relation.lazy == "django":
            if source.kind != "django":
                return None
            if relation.django_kind in DJANGO_SINGLE:
                if (source.load_all and relation.django_kind != "reverse-o2o") or relation.name in source.loaded:
                    return None
                if relation.name in source.prefetched:
                    return None
                return (
                    f"`{read}` runs a query for every row of [the queryset](1); add "
                    f'`.select_related("{relation.name}")` to it.{key_hint}'
                )
            method = _manager_method(db, attribute)
            if method is None:
                return None
            if relation.name in source.prefetched and method in PREFETCH_SERVED:
                return None
            return (
                f"`{read}.{method}()` runs a query for every row of [the queryset](1); add "
                f'`.prefetch_related("{relation.name}")` to it.'
            )
        if source.kind != "sqlalchemy" or relation.lazy not in LAZY_SELECT or relation.name in source.loaded:
            return None
        option = "selectinload" if relation.many is not False else "joinedload"
        if source.parent is not None:
            owner, collection, text = source.parent
            return (
                f"`{read}` lazily loads `{model.short}.{relation.name}` once per element of "
                f"[`{text}`](1); chain the option on the query that loads the `{owner}`: "
                f"`.options(selectinload({owner}.{collection}).{option}({model.short}.{relation.name}))`.{key_hint}"
            )
        return (
            f"`{read}` lazily loads `{model.short}.{relation.name}` with one query per row of [the query](1); "
            f"load it with the rows: `.options({option}({model.short}.{relation.name}))`.{key_hint}"
        )


def _inside(outer, node) -> bool:
    return outer.start_byte <= node.start_byte and node.end_byte <= outer.end_byte


def _is_assigned(attribute) -> bool:
    parent = attribute.parent
    if parent is None or parent.type not in ("assignment", "augmented_assignment"):
        return False
    left = parent.child_by_field_name("left")
    return left is not None and left.id == attribute.id


def _manager_method(db, attribute):
    """`author.books.all()` -> "all"; `for b in author.books.all()`; None when the
    manager is not queried here."""
    parent = attribute.parent
    if parent is not None and parent.type == "attribute":
        method = db.text(parent.child_by_field_name("attribute"))
        if method in MANAGER_QUERIES and parent.parent is not None and parent.parent.type == "call":
            return method
    return None
