"""PF303 unindexed-foreign-key: a SQLAlchemy ForeignKey column without an index."""

from __future__ import annotations

from perfscan.facts.python_db import db_facts
from perfscan.findings import Span
from perfscan.models import models_of
from perfscan.rule import Rule, flag, ok


class UnindexedForeignKey(Rule):
    code = "PF303"
    name = "unindexed-foreign-key"
    languages = frozenset({"python"})
    level = "note"
    tags = ("database", "index", "sqlalchemy", "django")
    hot_path_only = True  # test code is not a hot path (analyzer/test_paths.py)
    precision = "medium"
    summary = "A foreign-key column has no index: joins, lookups by parent and cascading deletes scan the table."
    what_it_does = """
        Finds SQLAlchemy columns declared with `ForeignKey(...)` (`Column`, `mapped_column`,
        including `@declared_attr` mixins, and SQLModel `Field(foreign_key=...)`) that have no
        `index=True`, are not `primary_key=True` or `unique=True`, and are not the first column
        of an `Index`, `UniqueConstraint` or `PrimaryKeyConstraint` in `__table_args__` (or a
        module-level `Index(...)`). Django indexes `ForeignKey` columns by default, so a Django
        field is reported only with `db_index=False` and when no `Meta` option names it. An
        explicit `index=False` is a deliberate choice and is not reported, nor is a column of an
        abstract model or mixin whose concrete subclasses all index it themselves.
    """
    why_slow = """
        PostgreSQL and most other databases do not index the referencing side of a foreign
        key. Every `WHERE post.author_id = ?` — which is what a lazy `user.posts` load, a
        `selectinload`, a join from the parent and an `ON DELETE CASCADE` check all run — then
        reads the whole child table. It is fast with 1,000 rows and seconds with 10 million,
        and deleting one parent row locks while it scans.
    """
    how_to_measure = """
        `EXPLAIN ANALYZE SELECT * FROM posts WHERE author_id = 42;` shows `Seq Scan on posts`
        instead of `Index Scan`. In PostgreSQL, `pg_stat_user_tables.seq_scan` growing on the
        child table, or the slow-query log, point at it.
    """
    use_instead = """
        Add `index=True` to the column (`mapped_column(ForeignKey("users.id"), index=True)`) and
        an Alembic migration with `op.create_index(...)` (use `CREATE INDEX CONCURRENTLY` on a
        large live table). A composite index whose first column is the foreign key also serves.
    """

    examples = (
        flag(
            """
            from sqlalchemy import ForeignKey
            from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

            class Base(DeclarativeBase):
                pass

            class Post(Base):
                __tablename__ = "posts"
                id: Mapped[int] = mapped_column(primary_key=True)
                author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
            """,
            (10, 5),
            shown=True,
        ),
        ok(
            """
            from sqlalchemy import ForeignKey
            from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

            class Base(DeclarativeBase):
                pass

            class Post(Base):
                __tablename__ = "posts"
                id: Mapped[int] = mapped_column(primary_key=True)
                author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
            """,
            why="index=True",
            shown=True,
        ),
        flag(
            """
            from sqlalchemy import Column, ForeignKey, Integer
            from sqlalchemy.ext.declarative import declarative_base

            Base = declarative_base()

            class Comment(Base):
                __tablename__ = "comments"
                id = Column(Integer, primary_key=True)
                post_id = Column(Integer, ForeignKey("posts.id", ondelete="CASCADE"))
                user_id = Column(Integer, ForeignKey("users.id"), index=True)
            """,
            (9, 5),
            why="legacy Column() style",
        ),
        flag(
            """
            from sqlalchemy import ForeignKey, Uuid
            from sqlalchemy.orm import Mapped, declared_attr, mapped_column

            class OrganizationMixin:
                @declared_attr
                def organization_id(cls) -> Mapped[str]:
                    return mapped_column(Uuid, ForeignKey("organizations.id"), nullable=False)
            """,
            (6, 5),
            why="a declared_attr mixin column",
        ),
        flag(
            """
            from django.db import models

            class Order(models.Model):
                customer = models.ForeignKey("Customer", on_delete=models.CASCADE, db_index=False)
            """,
            (4, 5),
            why="Django foreign key with db_index=False",
        ),
        ok(
            """
            from sqlalchemy import Column, ForeignKey, Index, Integer, UniqueConstraint
            from sqlalchemy.orm import declarative_base

            Base = declarative_base()

            class Membership(Base):
                __tablename__ = "memberships"
                __table_args__ = (UniqueConstraint("team_id", "user_id"), Index("ix_user_team", "user_id", "team_id"))
                id = Column(Integer, primary_key=True)
                team_id = Column(Integer, ForeignKey("teams.id"))
                user_id = Column(Integer, ForeignKey("users.id"))
            """,
            why="both columns lead a composite index / unique constraint",
        ),
        ok(
            """
            from sqlalchemy import Column, ForeignKey, Integer
            from sqlalchemy.orm import declarative_base

            Base = declarative_base()

            class PostTag(Base):
                __tablename__ = "post_tags"
                post_id = Column(Integer, ForeignKey("posts.id"), primary_key=True)
                tag_id = Column(Integer, ForeignKey("tags.id"), unique=True)
            """,
            why="primary-key and unique columns are indexed",
        ),
        ok(
            """
            from sqlalchemy import Column, ForeignKey, Integer
            from sqlalchemy.orm import declarative_base

            Base = declarative_base()

            class AuditEntry(Base):
                __tablename__ = "audit_entries"
                id = Column(Integer, primary_key=True)
                actor_id = Column(Integer, ForeignKey("users.id"), index=False)
            """,
            why="an explicit index=False is a deliberate choice (write-heavy log table)",
        ),
        ok(
            """
            from sqlalchemy import ForeignKey, Index, Uuid
            from sqlalchemy.orm import Mapped, declared_attr, mapped_column
            from app.db import Base

            class OrganizationMixin:
                @declared_attr
                def organization_id(cls) -> Mapped[str]:
                    return mapped_column(Uuid, ForeignKey("organizations.id"))

            class Project(OrganizationMixin, Base):
                __tablename__ = "projects"
                __table_args__ = (Index("ix_projects_org", "organization_id"),)
            """,
            why="every concrete model using the mixin indexes the column in __table_args__",
        ),
        ok(
            """
            from django.db import models

            class Order(models.Model):
                customer = models.ForeignKey("Customer", on_delete=models.CASCADE)
            """,
            why="Django indexes foreign keys by default",
        ),
        ok(
            """
            from django.db import models

            class Order(models.Model):
                customer = models.ForeignKey("Customer", on_delete=models.CASCADE, db_index=False)
                created = models.DateTimeField()

                class Meta:
                    indexes = [models.Index(fields=["customer", "created"])]
            """,
            why="covered by a composite index in Meta",
        ),
    )

    def check(self, ctx):
        db = db_facts(ctx.facts)
        for model in db.models:
            indexed = set(model["indexed_first"])
            for name, column in model["columns"].items():
                if column.get("no_index"):
                    continue  # `index=False`: a deliberate choice
                if column["fk"] and not column["indexed"] and name not in indexed:
                    if self._subclasses_index(ctx, model, name):
                        continue
                    ctx.report(
                        self._span(ctx, column["where"], name),
                        f"Foreign-key column `{name}` of `{model['name'].rsplit('.', 1)[-1]}` (references "
                        f"`{column['fk']}`) has no index, so joins and lookups by it scan the table; "
                        "add `index=True` (and a migration creating the index).",
                    )
            meta = self._meta_text(ctx, model["name"])
            for name, field in model["fields"].items():
                if field.get("kind") in ("fk", "o2o") and field.get("db_index") is False:
                    if name in indexed or f'"{name}"' in meta or f"'{name}'" in meta:
                        continue
                    if self._subclasses_index(ctx, model, name):
                        continue
                    ctx.report(
                        self._span(ctx, field["where"], name),
                        f"Foreign key `{name}` of `{model['name'].rsplit('.', 1)[-1]}` is declared with "
                        "`db_index=False` and no `Meta` index names it, so lookups and joins by it scan "
                        "the table; drop `db_index=False` or add an index that starts with it.",
                    )
        return ctx.findings

    @staticmethod
    def _subclasses_index(ctx, model, name) -> bool:
        """An abstract model or mixin whose concrete subclasses all index the column themselves
        (`Meta.indexes`, `__table_args__`, or a redeclared indexed column)."""
        return _indexed_below(models_of(ctx.index), model["name"], name, 3)

    @staticmethod
    def _span(ctx, where, name) -> Span:
        return Span(ctx.source.rel_path, *where)

    @staticmethod
    def _meta_text(ctx, qualname) -> str:
        node = ctx.facts.classes.get(qualname + ".Meta")
        return ctx.source.node_text(node) if node is not None else ""


def _indexed_below(models, model_name: str, name: str, depth: int) -> bool:
    subclasses = models.subclasses(model_name)
    if not subclasses or depth == 0:
        return False
    for sub in subclasses:
        column = sub.columns.get(name) or {}
        if name in sub.indexed_first or column.get("indexed") or column.get("no_index"):
            continue
        if not _indexed_below(models, sub.name, name, depth - 1):
            return False
    return True
