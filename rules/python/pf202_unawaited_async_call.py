"""PF202 unawaited-async-call: an `AsyncSession` method called without `await`."""

from __future__ import annotations

from perfscan.async_index import session_kind
from perfscan.facts.python_async import async_facts
from perfscan.findings import Fix, Span, TextEdit
from perfscan.rule import Rule, flag, ok

_ASYNC_SESSION_WORDS = (b"sync", b"ession", b"Depends")


class UnawaitedAsyncCall(Rule):
    code = "PF202"
    name = "unawaited-async-call"
    languages = frozenset({"python"})
    level = "error"
    tags = ("async", "sqlalchemy", "correctness")
    summary = "A coroutine method of an `AsyncSession` is called without `await`: the query never runs."
    what_it_does = """
        Finds calls of `AsyncSession` (and `AsyncConnection`) methods that return a
        coroutine — `execute`, `scalars`, `scalar`, `get`, `commit`, `flush`,
        `refresh`, `delete`, `rollback`, `close`... — whose result is dropped (a bare
        statement) or used as if it were the result (`session.execute(q).scalars()`).
        The session is known to be async from its annotation, a FastAPI dependency
        that hands out an `AsyncSession`, or an `async_sessionmaker`, in this module
        or another.

        This is a separate code from PF201: PF201 is a call that blocks the event
        loop; here nothing blocks, nothing runs at all.
    """
    why_slow = """
        Calling a coroutine function only creates a coroutine object. Without
        `await`, the statement is never sent: a `commit()` that never happens loses
        the write, an `execute()` whose result is read fails with
        `AttributeError: 'coroutine' object has no attribute 'scalars'`, and Python
        warns `RuntimeWarning: coroutine 'AsyncSession.commit' was never awaited`
        only when the object is garbage-collected, far from the cause.
    """
    how_to_measure = """
        - Run the tests with `-W error::RuntimeWarning` (pytest: `filterwarnings =
          error::RuntimeWarning`): the never-awaited coroutine becomes an error.
        - Turn on asyncio debug mode (`PYTHONASYNCIODEBUG=1`): the warning then carries
          the traceback of where the coroutine was created.
        - Check the database log (`echo=True` on the engine): the statement is missing.
    """
    use_instead = """
        `await` the call: `await session.commit()`,
        `(await session.execute(stmt)).scalars().all()`.
    """
    examples = (
        flag(
            """
            from fastapi import Depends, FastAPI
            from sqlalchemy.ext.asyncio import AsyncSession

            from app.db import get_session

            app = FastAPI()

            @app.post("/users/{user_id}/activate")
            async def activate(user_id: int, session: AsyncSession = Depends(get_session)):
                user = await session.get(User, user_id)
                user.active = True
                session.commit()
            """,
            (12, 5),
            shown=True,
            fixed="""
            from fastapi import Depends, FastAPI
            from sqlalchemy.ext.asyncio import AsyncSession

            from app.db import get_session

            app = FastAPI()

            @app.post("/users/{user_id}/activate")
            async def activate(user_id: int, session: AsyncSession = Depends(get_session)):
                user = await session.get(User, user_id)
                user.active = True
                await session.commit()
            """,
        ),
        flag(
            """
            from fastapi import Depends
            from app.db import get_session

            async def active_users(session=Depends(get_session)):
                return session.execute(select(User).where(User.active)).scalars().all()
            """,
            (5, 12),
            path="backend/app/users.py",
            files={
                "backend/app/db.py": """
                    from sqlalchemy.ext.asyncio import async_sessionmaker
                    from fastapi import Depends
                    AsyncSessionLocal = async_sessionmaker()

                    async def get_session():
                        async with AsyncSessionLocal() as session:
                            yield session
                """
            },
            why="the dependency in another module yields a session of an `async_sessionmaker`",
            fixed="""
            from fastapi import Depends
            from app.db import get_session

            async def active_users(session=Depends(get_session)):
                return (await session.execute(select(User).where(User.active))).scalars().all()
            """,
        ),
        ok(
            """
            import asyncio
            from sqlalchemy.ext.asyncio import AsyncSession

            async def save(session: AsyncSession, user):
                session.add(user)
                await session.flush()
                rows = (await session.execute(select(User))).scalars().all()
                pending = session.commit()
                await asyncio.wait_for(pending, timeout=5)
                return rows
            """,
            why="`add` is synchronous; awaited calls; a coroutine kept and awaited later",
            shown=True,
        ),
        ok(
            """
            from sqlalchemy.orm import Session

            async def save(session: Session, user):
                session.commit()
            """,
            why="a sync session's `commit` is not a coroutine (PF201 reports it instead)",
        ),
    )

    def needs_facts(self, source):
        # An async session reaches a file through an async API (`AsyncSession`, `async_sessionmaker`,
        # an `async def` dependency), a session maker or variable (`SessionLocal()`, `session`)
        # or a FastAPI dependency. Text with none of these words (most test files of a sync
        # project) has no call for this rule, unless a project helper of another name hands
        # one out to sync code, which could never await it.
        return any(word in source.data for word in _ASYNC_SESSION_WORDS)

    def check(self, ctx):
        data = async_facts(ctx.facts)
        if not data.async_session_calls:
            return
        for call in data.async_session_calls:
            if call.session != ("async",) and session_kind(ctx.index, call.session) != "async":
                continue
            node = call.node
            parent = node.parent
            while parent is not None and parent.type == "parenthesized_expression":
                parent = parent.parent
            if parent is None:
                continue
            if parent.type == "expression_statement":
                fix_edits = (TextEdit(_point(ctx, node.start_point), "await "),)
                how = "its result is dropped"
            elif parent.type == "attribute" and parent.child_by_field_name("object") is not None and (
                parent.child_by_field_name("object").start_byte == node.start_byte
            ):
                fix_edits = (TextEdit(_point(ctx, node.start_point), "(await "), TextEdit(_point(ctx, node.end_point), ")"))
                how = "its result is used as if it were the query result"
            else:
                continue
            if not call.scope.is_async:
                fix_edits = None  # `await` is only valid in an async function
            ctx.report(
                node,
                f"`{call.what}()` returns a coroutine that is never awaited ({how}): the statement never runs; "
                f"add `await`",
                fix=Fix(f"Await `{call.what}(...)`", fix_edits, safe=False) if fix_edits else None,
                properties={"callee": call.what},
            )


def _point(ctx, point) -> Span:
    return ctx.source.span_of_points(point, point)
