"""Runs part of fixtures/fullstack-demo's backend so a profiler can record it:

    python -m cProfile -o backend.prof tests/data/profiles/record_backend.py fixtures/fullstack-demo/backend [METRICS_MS]

The app's third-party imports (fastapi, requests, pydantic_settings) are replaced by small
stand-ins, so it runs offline without them; the code profiled is the fixture's own. A request
to the metrics service takes METRICS_MS milliseconds (default 4: a sleep in the stand-in for
`requests.get`; 0 plays the service answering at once, for a before/after comparison).

    POST /reports/{id}/export    x 8   (its time.sleep is shortened to 5 ms)
    GET /reports/{id}/summary    x 40  (build_summary -> fetch_metrics -> requests.get)
    rank_titles(200 titles)      x 1   (no rule finding: a hot spot)
"""

import asyncio
import sys
import time
import types


def _stand_ins(metrics_seconds: float) -> None:
    class Response:
        def raise_for_status(self):
            return None

        def json(self):
            return {"views": 3, "downloads": 1}

    def get(url, timeout=None):
        time.sleep(metrics_seconds)
        return Response()

    class APIRouter:
        def __init__(self, **options):
            self.options = options

        def _route(self, path, **options):
            return lambda function: function

        get = post = put = delete = _route

    class BackgroundTasks:
        def __init__(self):
            self.tasks = []

        def add_task(self, function, *args):
            self.tasks.append((function, args))

    class BaseSettings:
        pass

    sys.modules["requests"] = types.SimpleNamespace(get=get)
    sys.modules["fastapi"] = types.SimpleNamespace(APIRouter=APIRouter, BackgroundTasks=BackgroundTasks)
    sys.modules["pydantic_settings"] = types.SimpleNamespace(BaseSettings=BaseSettings)


async def _requests(reports, rounds: int) -> None:
    for report_id in range(8):
        await reports.export_report(report_id, sys.modules["fastapi"].BackgroundTasks())
    for report_id in range(rounds):
        await reports.report_summary(report_id)


def main(backend: str, metrics_ms: float = 4.0) -> None:
    _stand_ins(metrics_ms / 1000.0)
    sys.path.insert(0, backend)
    from app.routes import reports
    from app.services.ranking import rank_titles

    reports.EXPORT_RATE_LIMIT_SECONDS = 0.005
    asyncio.run(_requests(reports, 40))
    titles = [f"book {n % 37} volume {n % 11} of the series {n % 7}" for n in range(200)]
    rank_titles(titles)


if __name__ == "__main__":
    main(sys.argv[1], *map(float, sys.argv[2:3]))
