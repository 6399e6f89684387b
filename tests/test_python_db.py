"""Database facts (models, queries) and the model index built from summaries."""

from __future__ import annotations

import textwrap

import pytest

from perfscan.engine import check_text
from perfscan.facts.python import PythonFacts
from perfscan.facts.python_db import db_facts, names_manager_attribute
from perfscan.models import build_model_index, queries_of_function
from perfscan.project import ProjectIndex
from tests.conftest import source_of

MODELS = """
from sqlalchemy import Column, ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

class Base(DeclarativeBase):
    pass

class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200))
    posts: Mapped[list["Post"]] = relationship(back_populates="author", lazy="selectin")

class Post(Base):
    __tablename__ = "posts"
    id = Column(Integer, primary_key=True)
    author_id = Column(Integer, ForeignKey("users.id"))
    author = relationship("User", backref="authored")
"""

DJANGO = """
from django.db import models

class Author(models.Model):
    name = models.CharField(max_length=10)

class Book(models.Model):
    author = models.ForeignKey(Author, on_delete=models.CASCADE)
    editor = models.OneToOneField("Author", on_delete=models.CASCADE, related_name="edited")
    tags = models.ManyToManyField("Tag", related_name="+")
"""


def facts_of(text: str, path: str = "app/models.py") -> PythonFacts:
    return PythonFacts.build(source_of(path, text))


def index_of(files: dict) -> ProjectIndex:
    summaries = {path: ("python", facts_of(text, path).summary()) for path, text in files.items()}
    return ProjectIndex.build("/project", summaries)


def test_sqlalchemy_model_records():
    models = db_facts(facts_of(MODELS)).models
    by_name = {m["name"]: m for m in models}
    assert set(by_name) == {"app.models.User", "app.models.Post"}
    post = by_name["app.models.Post"]
    assert post["columns"]["author_id"]["fk"] == "users.id"
    assert post["columns"]["author_id"]["indexed"] is False
    assert post["relationships"]["author"]["target"] == "User"
    assert post["relationships"]["author"]["backref"] == "authored"
    user = by_name["app.models.User"]
    assert user["relationships"]["posts"] == {**user["relationships"]["posts"], "target": "Post", "lazy": "selectin", "many": True}
    assert user["columns"]["email"]["string"] is True


def test_model_index_resolves_targets_backrefs_and_django_reverse_accessors():
    index = index_of({"app/models.py": MODELS, "lib/models.py": DJANGO})
    models = build_model_index(index)
    author = models.relation("app.models.Post", "author")
    assert (author.target, author.lazy, author.many, author.fk_column) == ("app.models.User", "select", False, "author_id")
    backref = models.relation("User", "authored")
    assert backref is not None and backref.reverse and backref.target == "app.models.Post"
    assert models.relation("lib.models.Author", "book_set").django_kind == "reverse-fk"
    assert models.relation("lib.models.Author", "edited").django_kind == "reverse-o2o"
    assert models.relation("lib.models.Book", "tags").many is True
    assert models.get("Tag") is None  # `related_name="+"` and no Tag model: nothing invented


def test_queries_classified_with_chain_model_and_options():
    facts = facts_of(
        """
        from sqlalchemy import select
        from sqlalchemy.orm import Session, selectinload
        from app.models import User

        def f(session: Session, ids):
            stmt = select(User).options(selectinload(User.posts))
            rows = session.scalars(stmt).all()
            one = session.query(User).filter(User.id == 1).first()
            built = session.query(User).filter(User.id > 1)
            return rows, one, built
        """,
        "app/f.py",
    )
    queries = db_facts(facts).queries
    assert [(q.kind, q.method, q.model) for q in queries] == [
        ("sqlalchemy", "scalars", "app.models.User"),
        ("sqlalchemy-legacy", "first", "app.models.User"),
    ]
    assert queries[0].loaded == frozenset({"posts"})


def test_query_functions_in_summary_and_cross_file_lookup():
    index = index_of(
        {
            "app/services/users.py": """
                from sqlalchemy.orm import Session
                from app.models import User

                class UserService:
                    def get(self, session: Session, user_id: int):
                        return session.get(User, user_id)

                user = UserService()
                """,
        }
    )
    found = queries_of_function(index, "app.services.users.UserService.get")
    assert [(q.path, q.where[:2]) for q in found] == [("app/services/users.py", (6, 16))]
    # `from app.services.users import user; user.get(...)`: through the module-level instance
    assert queries_of_function(index, "app.services.users.user.get") == found
    assert queries_of_function(index, "app.services.users.nothing") == []


def test_helper_query_in_loop_reported_with_related_location():
    result = check_text(
        {
            "app/jobs.py": textwrap.dedent(
                """
                from app.services.users import user

                def notify(session, ids):
                    for user_id in ids:
                        user.get(session, user_id)
                """
            ).lstrip(),
            "app/services/users.py": textwrap.dedent(
                """
                from sqlalchemy.orm import Session
                from app.models import User

                class UserService:
                    def get(self, session: Session, user_id: int):
                        return session.get(User, user_id)

                user = UserService()
                """
            ).lstrip(),
        }
    )
    pf301 = [f for f in result.findings if f.code == "PF301"]
    assert [(f.span.path, f.span.line, f.span.col) for f in pf301] == [("app/jobs.py", 5, 9)]
    assert pf301[0].related[0].span.path == "app/services/users.py"
    assert "loop over `user_id`" in pf301[0].message


@pytest.mark.parametrize(
    "source, expected",
    [
        (b"x = Foo.objects.all()", True),
        (b"x = (Foo.  # the manager\n   # of all rows\n\n   objects.all())", True),
        (b"x = Foo.\\\n    _default_manager", True),
        (b"objects = []\nitems = objects", False),
        (b"all_objects = 1", False),
        (b"a = b.\nc = objects", False),
        (b"# Lesser General Public License for more details.\n" + b"#" * 69 + b"\n\nimport os\n", False),
    ],
)
def test_manager_attribute_prefilter(source, expected):
    assert names_manager_attribute(source) is expected
