"""PF201 beyond its examples: levels, messages, and fixes applied together."""

from __future__ import annotations

import textwrap

from perfscan.engine import check_text
from perfscan.fixes import apply_edits, build_fixes
from perfscan.rules import rule_by_code_or_name

RULE = rule_by_code_or_name("PF201")


def findings(files: dict) -> list:
    files = {path: textwrap.dedent(text).lstrip("\n") for path, text in files.items()}
    result = check_text(files, rules=[RULE])
    assert not result.notifications, result.notifications
    assert build_fixes(result) == []  # deferred fixes made, as for --fix or a report that carries them
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


# -- through helpers ---------------------------------------------------------------

CHAIN_PROJECT = {
    "backend/app/main.py": """
        from fastapi import FastAPI

        app = FastAPI()
    """,
    "backend/app/routes/reports.py": """
        from app.main import app
        from app.services import build_summary

        @app.get("/reports/{report_id}")
        async def report_summary(report_id: int):
            return build_summary(report_id)
    """,
    # the package re-exports the helper from its own module
    "backend/app/services/__init__.py": """
        from .summary import build_summary
    """,
    "backend/app/services/summary.py": """
        from app.services.metrics import fetch_metrics

        def build_summary(report_id):
            metrics = fetch_metrics(report_id)
            return {"views": metrics["views"]}
    """,
    "backend/app/services/metrics.py": """
        import requests

        def fetch_metrics(report_id):
            response = requests.get(f"https://metrics.example.com/{report_id}", timeout=5)
            return response.json()
    """,
}


def test_helper_chain_across_modules_carries_the_whole_path():
    (found,) = findings(CHAIN_PROJECT)
    assert (found.span.path, found.span.line, found.span.col, found.level) == (
        "backend/app/routes/reports.py", 6, 12, "error"
    )
    assert found.message == (
        "`build_summary` blocks the event loop in async route `GET /reports/{report_id}`: it calls "
        "[`requests.get`](1) (HTTP request) through `fetch_metrics`; make that path async or run it on a thread "
        "with `await asyncio.to_thread(build_summary, ...)`"
    )
    assert [(s.span.path, s.span.line, s.span.col, s.message) for s in found.flow] == [
        ("backend/app/routes/reports.py", 5, 11, "async route `GET /reports/{report_id}`"),
        ("backend/app/routes/reports.py", 6, 12, "calls `build_summary`"),
        ("backend/app/services/summary.py", 4, 15, "calls `fetch_metrics`"),
        ("backend/app/services/metrics.py", 4, 16, "`requests.get` blocks (HTTP request)"),
    ]
    assert [(r.span.path, r.span.line, r.span.col) for r in found.related] == [("backend/app/services/metrics.py", 4, 16)]
    assert found.properties["helper"] == "backend.app.services.summary.build_summary"


def test_helper_chain_becomes_a_sarif_code_flow():
    import json

    from perfscan.reporters.sarif import render_sarif

    files = {path: textwrap.dedent(text).lstrip("\n") for path, text in CHAIN_PROJECT.items()}
    result = check_text(files, rules=[RULE])
    (sarif_result,) = json.loads(render_sarif(result, [RULE]))["runs"][0]["results"]
    (thread,) = sarif_result["codeFlows"][0]["threadFlows"]
    steps = [
        (
            step["location"]["physicalLocation"]["artifactLocation"]["uri"],
            step["location"]["physicalLocation"]["region"]["startLine"],
        )
        for step in thread["locations"]
    ]
    assert steps == [
        ("backend/app/routes/reports.py", 5),
        ("backend/app/routes/reports.py", 6),
        ("backend/app/services/summary.py", 4),
        ("backend/app/services/metrics.py", 4),
    ]


def test_may_block_index_is_built_once_per_run_and_stops_at_offloads_and_async_helpers():
    from perfscan.async_index import async_index
    from perfscan.facts import build_facts
    from perfscan.project import ProjectIndex

    files = dict(CHAIN_PROJECT)
    files["backend/app/services/metrics.py"] = """
        import asyncio
        import requests

        def fetch_metrics(report_id):
            return asyncio.run(fetch_async(report_id))

        async def fetch_async(report_id):
            return requests.get("https://metrics.example.com")

        def fetch_in_thread(loop, report_id):
            return loop.run_in_executor(None, requests.get, "https://metrics.example.com")
    """
    files = {path: textwrap.dedent(text).lstrip("\n") for path, text in files.items()}
    result = check_text(files, rules=[RULE])
    # The async helper's own call is reported there; sync callers do not inherit it.
    assert [(f.span.path, f.span.line) for f in result.findings] == [("backend/app/services/metrics.py", 8)]
    index = ProjectIndex.build(
        "/p", {path: ("python", build_facts(source).summary()) for path, source in result.sources.items()}
    )
    built = async_index(index)
    assert async_index(index) is built
    assert built.chain("backend.app.services.summary.build_summary") is None
    assert built.chain("backend.app.services.metrics.fetch_in_thread") is None


def test_fix_async_def_to_def_only_where_safe():
    found = findings(
        {
            "app/api.py": """
                from fastapi import APIRouter, Depends
                from sqlalchemy.orm import Session

                router = APIRouter()

                @router.get("/a")
                async def a(db: Session = Depends()):
                    return db.execute("select 1").all()

                @router.get("/b")
                async def b(db: Session = Depends()):
                    rows = db.execute("select 1").all()
                    for row in rows:
                        yield row

                @router.websocket("/c")
                async def c(ws, db: Session = Depends()):
                    db.commit()

                @router.get("/d")
                async def d(db: Session = Depends()):
                    db.commit()
            """,
            "app/tests.py": """
                from app.api import d

                async def test_d():
                    await d(None)
            """,
        }
    )
    fixes = {f.span.line: f.fix for f in found}
    assert sorted(fixes) == [8, 12, 18, 22]
    assert fixes[8] is not None and fixes[8].safe
    assert (fixes[8].edits[0].span.line, fixes[8].edits[0].span.col, fixes[8].edits[0].span.end_col) == (7, 1, 7)
    assert fixes[12] is None  # a generator
    assert fixes[18] is None  # websocket handlers must stay async
    assert fixes[22] is None  # awaited by other project code


def test_fix_is_applied_by_plan_fixes_and_result_parses():
    from perfscan.fixes import plan_fixes

    files = {path: textwrap.dedent(text).lstrip("\n") for path, text in CHAIN_PROJECT.items()}
    result = check_text(files, rules=[RULE])
    planned, refused = plan_fixes(result)
    assert refused == []
    (path,) = planned
    new_text = planned[path].new_text
    assert path == "backend/app/routes/reports.py"
    assert "def report_summary(report_id: int):" in new_text and "async def" not in new_text


def test_sync_session_handed_out_by_project_function_in_a_sync_helper():
    found = findings(
        {
            "src/app/database.py": """
                from sqlalchemy.orm import Session

                def session_for(org) -> Session:
                    ...
            """,
            "src/app/slack.py": """
                from fastapi import APIRouter
                from app.database import session_for

                router = APIRouter()

                def load_config(org):
                    session = session_for(org)
                    return session.query(Config).filter(Config.org == org).first()

                @router.post("/slack/event")
                async def event(org: str):
                    await audit(org)
                    return load_config(org)
            """,
        }
    )
    assert [(f.span.line, f.span.col, f.level) for f in found] == [(13, 12, "error")]
    assert found[0].fix is None  # the route awaits
    assert "it calls [`session.query`](1) (sync database session)" in found[0].message


def test_framework_fixture_names_every_route(monkeypatch):
    from perfscan.config import Config
    from perfscan.engine import run
    from tests.conftest import FIXTURES

    monkeypatch.chdir(FIXTURES / "async-frameworks")
    result = run(["."], Config())
    routes = sorted((f.span.path.split("/")[0], f.properties.get("route")) for f in result.active if f.code == "PF201")
    assert all(f.level == "error" for f in result.active if f.code == "PF201")
    assert sorted(set(routes)) == [
        ("aiohttp_app", "GET /counter"),
        ("aiohttp_app", "GET /slow"),
        ("django_app", "* /tickets/<int:pk>/"),
        ("django_app", "GET /^tickets/stats/$"),
        ("fastapi_app", "GET /accounts/{account_id}"),
        ("fastapi_app", "POST /accounts/{account_id}/export"),
        ("fastapi_app", "POST /accounts/{account_id}/invoices/sync"),
        ("fastapi_app", "POST /accounts/{account_id}/password"),
        ("flask_app", "GET /ping"),
        ("flask_app", "POST /deliver"),
        ("litestar_app", "POST /signup"),
        ("sanic_app", "POST /mail"),
        ("starlette_app", "GET /version"),
        ("starlette_app", "WEBSOCKET /feed"),
    ]


# -- test code is not a hot path (analyzer/test_paths.py) -----------------------------------

_TEST_CODE = {
    "app/jobs.py": "import time\n\nasync def poll():\n    time.sleep(1)\n",
    "tests/test_jobs.py": "import time\n\nasync def test_poll():\n    time.sleep(1)\n",
    "app/worker_test.py": "import time\n\nasync def poll():\n    time.sleep(1)\n",
    "conftest.py": "import time\n\nasync def ready():\n    time.sleep(1)\n",
    "scripts/seed.py": "import time\n\nasync def seed():\n    time.sleep(1)\n",
}


def _levels(settings: dict) -> list:
    from perfscan.config import Config

    config = Config(project_settings=settings)
    result = check_text(_TEST_CODE, config=config, rules=[RULE])
    return sorted((f.span.path, f.level) for f in result.findings)


def test_test_files_are_not_reported_by_default():
    assert _levels({}) == [("app/jobs.py", "warning"), ("scripts/seed.py", "warning")]


def test_include_tests_reports_them_as_notes():
    assert _levels({"include_tests": True}) == [
        ("app/jobs.py", "warning"), ("app/worker_test.py", "note"), ("conftest.py", "note"),
        ("scripts/seed.py", "warning"), ("tests/test_jobs.py", "note"),
    ]


def test_configured_test_paths_replace_the_default_list():
    assert _levels({"test_paths": ["scripts/"]}) == [
        ("app/jobs.py", "warning"), ("app/worker_test.py", "warning"), ("conftest.py", "warning"),
        ("tests/test_jobs.py", "warning"),
    ]


def test_test_path_keys_are_read_from_the_configuration(tmp_path):
    from perfscan.config import ConfigError, load_config

    path = tmp_path / "perfscan.toml"
    path.write_text('test-paths = ["scripts/", "tests/"]\ninclude-tests = true\n')
    config = load_config(str(path))
    assert config.project_settings == {"test_paths": ["scripts/", "tests/"], "include_tests": True}
    path.write_text('include-tests = "yes"\n')
    try:
        load_config(str(path))
    except ConfigError as error:
        assert "include-tests" in str(error)
    else:
        raise AssertionError("a non-boolean include-tests is accepted")


def test_explain_states_the_test_code_policy_for_hot_path_rules():
    from perfscan.rules import all_rules

    for rule in all_rules():
        page = rule.markdown()
        assert ("**Test code** is not a hot path" in page) == rule.hot_path_only, rule.code
    hot = {r.code for r in all_rules() if r.hot_path_only}
    assert {"PF201", "PF301", "PF302", "PF303", "PF304", "PF305", "PF306"} <= hot
    assert "PF202" not in hot  # an unawaited coroutine is a bug in a test too


# -- one cause, one finding ----------------------------------------------------------------

_SHARED_HELPER = {
    "app/services/metrics.py": """
        import requests

        def fetch_metrics(report_id):
            return requests.get(f"https://metrics.example.com/{report_id}", timeout=5).json()

        def build_report(report_id):
            return {"id": report_id, "metrics": fetch_metrics(report_id)}
    """,
    "app/routes/reports.py": """
        from fastapi import APIRouter

        from app.services.metrics import build_report, fetch_metrics

        router = APIRouter()

        @router.get("/reports/{report_id}")
        async def report(report_id: int):
            return build_report(report_id)

        @router.get("/metrics/{report_id}")
        async def metrics(report_id: int):
            return fetch_metrics(report_id)

        async def warm(report_id: int):
            fetch_metrics(report_id)
            return fetch_metrics(report_id)
    """,
    "tests/test_reports.py": """
        from app.services.metrics import fetch_metrics

        async def test_metrics():
            assert fetch_metrics(1)
    """,
}


def test_calls_reaching_one_blocking_call_are_one_finding_there():
    [found] = findings(_SHARED_HELPER)
    assert (found.span.path, found.span.line, found.span.col, found.level) == ("app/services/metrics.py", 4, 12, "error")
    assert found.message.startswith(
        "`requests.get` (HTTP request) in sync `fetch_metrics` blocks the event loop: it is reached from "
        "3 async functions (4 calls), 2 of them routes, e.g. [async route `GET /reports/{report_id}`](1), "
        "through `build_report`, `fetch_metrics`"
    )
    assert [(r.span.path, r.span.line) for r in found.related] == [
        ("app/routes/reports.py", 9), ("app/routes/reports.py", 13),
        ("app/routes/reports.py", 16), ("app/routes/reports.py", 17),
    ]
    # every route in the code flow, then one path down to the blocking call
    assert [(s.span.path, s.span.line, s.message) for s in found.flow] == [
        ("app/routes/reports.py", 13, "async route `GET /metrics/{report_id}` calls `fetch_metrics`"),
        ("app/routes/reports.py", 9, "async route `GET /reports/{report_id}` calls `build_report`"),
        ("app/services/metrics.py", 7, "calls `fetch_metrics`"),
        ("app/services/metrics.py", 4, "`requests.get` blocks (HTTP request)"),
    ]
    assert found.properties["folded_callers"] == 4
    assert found.properties["routes"] == ["GET /metrics/{report_id}", "GET /reports/{report_id}"]
    assert found.properties["callers"] == ["app.routes.reports.report", "app.routes.reports.metrics", "app.routes.reports.warm"]


def test_test_callers_fold_only_when_tests_are_included():
    from perfscan.config import Config

    files = {path: textwrap.dedent(text).lstrip("\n") for path, text in _SHARED_HELPER.items()}
    files["app/routes/reports.py"] = files["app/routes/reports.py"].split("\nasync def warm")[0]
    files["app/routes/reports.py"] = files["app/routes/reports.py"].split("\n@router.get(\"/metrics")[0]
    default = check_text(files, rules=[RULE]).findings
    assert [(f.span.path, f.span.line) for f in default] == [("app/routes/reports.py", 9)]  # one caller: stays there
    included = check_text(files, config=Config(project_settings={"include_tests": True}), rules=[RULE]).findings
    assert [(f.span.path, f.span.line, f.properties["folded_callers"]) for f in included] == [("app/services/metrics.py", 4, 2)]


def test_text_summary_counts_folded_callers():
    from perfscan.engine import check_text as run_text
    from perfscan.reporters.text import summary_line

    result = run_text({p: textwrap.dedent(t).lstrip("\n") for p, t in _SHARED_HELPER.items()}, rules=[RULE])
    assert "4 callers folded into 1 finding at the place that fixes them" in summary_line(result.findings, 0, 3)


def test_grouped_finding_is_the_same_from_the_engine_with_early_checks_and_cache(tmp_path):
    from perfscan.config import Config
    from perfscan.engine import run

    project = tmp_path / "project"
    for path, text in _SHARED_HELPER.items():
        (project / path).parent.mkdir(parents=True, exist_ok=True)
        (project / path).write_text(textwrap.dedent(text).lstrip("\n"))
    config = Config(select=("PF201",))
    outputs = []
    for _ in range(2):
        result = run([str(project)], config, jobs=1, cache_dir=str(tmp_path / "cache"))
        outputs.append([(f.span.path, f.span.line, f.properties.get("folded_callers")) for f in result.findings])
    assert outputs[0] == outputs[1] == [("app/services/metrics.py", 4, 4)]


# -- receiver types from project functions, inherited methods, re-exports (issue 11) -----------

_RETURNED_PATH = {
    "app/storage.py": """
        from pathlib import Path

        def export_dir() -> Path:
            return Path("/srv/exports")

        def purge():
            for entry in export_dir().iterdir():
                print(entry)

        async def async_dir() -> Path:
            return Path("/srv/exports")
    """,
    "app/jobs.py": """
        from app.storage import async_dir, purge

        async def nightly():
            purge()

        async def check():
            pending = async_dir()
            pending.unlink()
            ready = await async_dir()
            ready.unlink()
            return await pending
    """,
}


def test_path_returned_by_a_project_function_blocks_through_a_sync_helper():
    found, awaited = findings(_RETURNED_PATH)
    # not `pending.unlink()`: calling the async def gave a coroutine; awaited, it gives the Path
    assert (awaited.span.line, awaited.span.col, awaited.properties["callee"]) == (10, 5, "pathlib.Path.unlink")
    assert (found.span.path, found.span.line, found.span.col) == ("app/jobs.py", 4, 5)
    assert found.properties["chain"] == ["`pathlib.Path.iterdir` blocks (file I/O)"]
    assert [(s.span.path, s.span.line, s.span.col) for s in found.flow][-1] == ("app/storage.py", 7, 18)


def test_inherited_method_found_through_bases_across_modules_and_re_exports():
    found = findings({
        "app/base/__init__.py": "from .jobs import Job\n",
        "app/base/jobs.py": """
            import subprocess

            class Job:
                def build(self):
                    subprocess.run(["make"])

                def path(self):
                    return self.build()
        """,
        "app/mid.py": """
            from app.base import Job

            class Middle(Job):
                pass
        """,
        "app/leaf.py": """
            from app.mid import Middle

            class Leaf(Middle):
                async def run(self):
                    self.path()

                async def other(self):
                    self.missing()
        """,
    })
    assert [(f.span.path, f.span.line, f.properties["helper"]) for f in found] == [
        ("app/leaf.py", 5, "app.base.jobs.Job.path")
    ]
    assert found[0].properties["chain"] == ["calls `build`", "`subprocess.run` blocks (subprocess)"]


def test_returned_path_finding_holds_with_early_checks_and_cache(tmp_path):
    from perfscan.config import Config
    from perfscan.engine import run

    project = tmp_path / "project"
    files = {
        "app/storage.py": "from pathlib import Path\n\ndef lock_file() -> Path:\n    return Path('/run/x.lock')\n",
        "app/jobs.py": "from app.storage import lock_file\n\nasync def release():\n    lock_file().unlink()\n",
    }
    for path, text in files.items():
        (project / path).parent.mkdir(parents=True, exist_ok=True)
        (project / path).write_text(text)
    config = Config(select=("PF201",))
    outputs = []
    for annotation in ("Path", "Path", "str"):
        storage = project / "app/storage.py"
        storage.write_text(files["app/storage.py"].replace("-> Path", f"-> {annotation}"))
        result = run([str(project)], config, jobs=1, cache_dir=str(tmp_path / "cache"))
        outputs.append([(f.span.path, f.span.line, f.properties["callee"]) for f in result.findings])
    # cold, cached, and after the helper's file changed what it returns (app/jobs.py unchanged)
    assert outputs == [[("app/jobs.py", 4, "pathlib.Path.unlink")]] * 2 + [[]]
