"""SQLModel sessions: `session.exec(select(...))` is a query, and a session typed through an
`Annotated[Session, Depends(...)]` alias (in the same module, or imported from another one, as in
FastAPI's full-stack template: `SessionDep` in `app/api/deps.py`) is a session for every PF3xx rule."""

from __future__ import annotations

import textwrap

from perfscan.engine import check_text
from perfscan.facts.python import PythonFacts
from perfscan.facts.python_db import db_facts
from perfscan.models import project_db_facts, queries_of_function
from perfscan.project import ProjectIndex
from tests.conftest import source_of

DEPS = """
from typing import Annotated
from fastapi import Depends
from sqlmodel import Session
from app.core.db import engine

def get_db():
    with Session(engine) as session:
        yield session

def get_token() -> str:
    return "token"

SessionDep = Annotated[Session, Depends(get_db)]
TokenDep = Annotated[str, Depends(get_token)]
"""

MODELS = """
from sqlmodel import Field, SQLModel

class User(SQLModel, table=True):
    id: int = Field(primary_key=True)
    email: str

class Item(SQLModel, table=True):
    id: int = Field(primary_key=True)
    owner_id: int = Field(foreign_key="user.id", index=True)
"""

ROUTES = """
from fastapi import APIRouter
from sqlmodel import func, select
from app.api.deps import SessionDep
from app.models import Item, User

router = APIRouter()

@router.post("/owners")
def owners(session: SessionDep, item_ids: list[int]):
    found = []
    for item_id in item_ids:
        item = session.exec(select(Item).where(Item.id == item_id)).one()
        found.append(item.owner_id)
    return found

@router.get("/users")
def read_users(session: SessionDep, skip: int = 0, limit: int = 100):
    count = session.exec(select(func.count()).select_from(User)).one()
    users = session.exec(select(User).offset(skip).limit(limit)).all()
    return {"count": count, "data": users}
"""


def _check(files: dict, select=("PF301", "PF404")):
    result = check_text({path: textwrap.dedent(text).lstrip() for path, text in files.items()})
    return sorted((f.code, f.span.path, f.span.line, f.span.col) for f in result.findings if f.code in select)


def _facts(text: str, path: str) -> PythonFacts:
    return PythonFacts.build(source_of(path, text))


def test_exec_on_an_alias_session_from_another_module_is_a_query():
    found = _check({"app/api/deps.py": DEPS, "app/models.py": MODELS, "app/api/routes/users.py": ROUTES})
    assert found == [
        ("PF301", "app/api/routes/users.py", 12, 16),  # `session.exec(...).one()` per item id
        ("PF404", "app/api/routes/users.py", 18, 13),  # an unfiltered COUNT on every GET
    ]


def test_without_the_alias_module_the_queries_stay_unsettled():
    # The same routes without `app/api/deps.py`: nothing says `SessionDep` is a session.
    assert _check({"app/models.py": MODELS, "app/api/routes/users.py": ROUTES}) == []


def test_an_alias_of_another_type_is_not_a_session():
    routes = ROUTES.replace("from app.api.deps import SessionDep", "from app.api.deps import TokenDep as SessionDep")
    assert _check({"app/api/deps.py": DEPS, "app/models.py": MODELS, "app/api/routes/users.py": routes}) == []


def test_same_module_alias_and_plain_sqlmodel_session():
    found = _check(
        {
            "app/models.py": MODELS,
            "app/routes.py": """
                from typing import Annotated
                from fastapi import Depends
                from sqlmodel import Session, select
                from app.db import get_db
                from app.models import Item

                SessionDep = Annotated[Session, Depends(get_db)]

                def by_alias(session: SessionDep, ids: list[int]):
                    return [session.exec(select(Item).where(Item.id == i)).first() for i in ids]

                def by_type(session: Session, ids: list[int]):
                    return [session.exec(select(Item).where(Item.id == i)).first() for i in ids]

                def outside_loops(session: Session):
                    return session.exec(select(Item).where(Item.owner_id == 1)).all()
                """,
        }
    )
    assert found == [("PF301", "app/routes.py", 10, 13), ("PF301", "app/routes.py", 13, 13)]


def test_exec_on_things_that_are_not_sessions():
    found = _check(
        {
            "app/api/deps.py": DEPS,
            "app/runner.py": """
                import os
                import subprocess
                from app.shell import Shell

                def run_all(cursor, shell: Shell, commands):
                    for command in commands:
                        cursor.exec(command)
                        shell.exec(command)
                        subprocess.run(command)
                    for argv in commands:
                        os.execv(argv[0], argv)
                """,
            "app/shell.py": """
                class Shell:
                    def exec(self, command):
                        return command
                """,
        },
        select=("PF301", "PF302", "PF304", "PF306", "PF404"),
    )
    assert found == []


def test_pending_queries_in_the_facts_and_the_summary():
    routes = _facts(ROUTES, "app/api/routes/users.py")
    db = db_facts(routes)
    # The file alone cannot tell: the three `session.exec(...)` wait for the project index.
    assert db.queries == []
    assert [(q.method, q.model, q.pending) for q in db.pending] == [
        ("exec", "app.models.Item", ("maker", "app.api.deps.SessionDep")),
        ("exec", None, ("maker", "app.api.deps.SessionDep")),
        ("exec", "app.models.User", ("maker", "app.api.deps.SessionDep")),
    ]
    summaries = {
        "app/api/deps.py": ("python", _facts(DEPS, "app/api/deps.py").summary()),
        "app/api/routes/users.py": ("python", routes.summary()),
    }
    index = ProjectIndex.build("/project", summaries)
    settled = project_db_facts(routes, index)
    assert [q.node.start_point[0] + 1 for q in settled.queries] == [12, 18, 19]
    assert db_facts(routes).queries == []  # the file's own facts are unchanged
    # A helper that queries through the alias counts for PF301's calls in loops.
    assert [q.where[0] for q in queries_of_function(index, "app.api.routes.users.read_users")] == [18, 19]
    alone = ProjectIndex.build("/project", {"app/api/routes/users.py": summaries["app/api/routes/users.py"]})
    assert queries_of_function(alone, "app.api.routes.users.read_users") == []
