"""PF201 beyond its examples: levels, messages, and fixes applied together."""

from __future__ import annotations

import textwrap

from analyzer.engine import check_text
from analyzer.fixes import apply_edits
from rules import rule_by_code_or_name

RULE = rule_by_code_or_name("PF201")


def findings(files: dict) -> list:
    files = {path: textwrap.dedent(text).lstrip("\n") for path, text in files.items()}
    result = check_text(files, rules=[RULE])
    assert not result.notifications, result.notifications
    return [f for f in result.findings if f.code == "PF201"]


def test_route_is_an_error_naming_the_route_and_helpers_are_warnings():
    found = findings(
        {
            "app/api.py": """
                import requests
                from fastapi import APIRouter

                router = APIRouter(prefix="/users")

                @router.get("")
                async def list_users():
                    return requests.get("https://example.com/users").json()

                async def warm_cache():
                    requests.get("https://example.com/warm")
            """
        }
    )
    assert [(f.span.line, f.span.col, f.level) for f in found] == [(8, 12, "error"), (11, 5, "warning")]
    assert found[0].message == (
        "`requests.get` blocks the event loop in async route `GET /users`: "
        "use `httpx.AsyncClient` and `await` it, or run it with `await asyncio.to_thread(...)`"
    )
    assert found[0].properties == {"category": "HTTP request", "callee": "requests.get", "route": "GET /users"}
    assert "in async function `warm_cache`" in found[1].message


def test_imported_owner_that_is_not_an_app_is_not_a_route():
    found = findings(
        {
            "app/jobs.py": """
                import time
                from app.registry import tasks

                @tasks.get("nightly")
                async def nightly():
                    time.sleep(5)
            """,
            "app/registry.py": "tasks = {}\n",
        }
    )
    assert [(f.span.line, f.level) for f in found] == [(6, "warning")]


def test_sleep_fixes_applied_together_import_asyncio_once_after_future_import():
    source = textwrap.dedent(
        '''
        """Workers."""
        from __future__ import annotations

        import time


        async def a():
            time.sleep(1)


        async def b():
            x = time.sleep(2)
            print(time.sleep(3))
        '''
    ).lstrip("\n")
    found = findings({"w.py": source})
    assert [(f.span.line, f.fix is not None) for f in found] == [(8, True), (12, True), (13, False)]
    edits = [edit for f in found if f.fix for edit in f.fix.edits]
    assert apply_edits(source, edits) == source.replace("import time\n", "import time\nimport asyncio\n").replace(
        "    time.sleep(1)", "    await asyncio.sleep(1)"
    ).replace("x = time.sleep(2)", "x = await asyncio.sleep(2)")


def test_no_fix_when_asyncio_names_something_else():
    found = findings(
        {
            "w.py": """
                import time

                async def a(asyncio):
                    time.sleep(1)
            """
        }
    )
    assert len(found) == 1 and found[0].fix is None
