"""PF402 sequential-await-in-loop: independent requests awaited one after the other in a loop.

One rule for both language families: the class and its Python half live here (the awaited
request is resolved through the Python facts and the project's async index); the TSX half is
`perfscan.rules.tsx.pf402_tsx`, which this class calls for TypeScript/TSX files, so the code,
the documentation and the examples stay in one place.
"""

from __future__ import annotations

import re
from typing import Optional

from perfscan.async_index import ASYNC_HTTP_READS, ASYNC_HTTP_REQUESTS, awaited_request
from perfscan.facts.python_db import (
    call_args,
    identifiers_in,
    is_batch_iterable,
    is_small_literal,
    loop_info,
)
from perfscan.findings import FlowStep, Related, short_text
from perfscan.models import project_db_facts, queries_of_function
from perfscan.rule import Rule, flag, ok
from perfscan.rules.tsx import pf402_tsx

# A loop that waits on purpose between requests (a sleep, a rate limiter, a semaphore, a backoff)
# paces them: sending them together is what it avoids.
PACING = re.compile(r"sleep|throttl|rate_?limit|ratelimit|limiter|semaphore|backoff|acquire", re.IGNORECASE)
# A coroutine named for a read (`get_user`, `fetch_page`, `_list_items`), for chains that end in a
# generic `client.request(method, ...)`.
READ_NAME = re.compile(r"^_*(?:get|fetch|list|load|read|retrieve|search|query|find|lookup|download|head)(?:_|$)")
MUTABLE_LITERALS = frozenset({"dictionary", "list", "set", "dictionary_comprehension", "list_comprehension", "set_comprehension"})
MUTABLE_CONSTRUCTORS = frozenset({"builtins.dict", "builtins.list", "builtins.set", "collections.defaultdict",
                                  "collections.OrderedDict", "collections.Counter", "collections.deque"})
_NESTED_SCOPES = frozenset({"function_definition", "lambda", "class_definition"})
_LOOPS = frozenset({"for_statement", "while_statement"})
_ASSIGNMENTS = frozenset({"assignment", "augmented_assignment", "named_expression", "for_statement", "for_in_clause"})
ADVICE_PY = (
    "send them concurrently with `asyncio.gather(...)` or a `TaskGroup`, bounded by an `asyncio.Semaphore`, "
    "or fetch them at once from a batch endpoint"
)


class _LoopBody:
    """What one loop's body does that decides whether its iterations are independent."""

    def __init__(self, db, body):
        self.assigned: dict[str, list] = {}  # name -> start bytes of its assignments in the body
        self.augmented: set[str] = set()  # `offset += n`: carried from one iteration to the next
        self.exits = False  # a `break` of this loop or a `return`: stops on a result
        self.conditions: list = []  # (start byte, condition node) of the `if`/`elif` tests in the body
        self.values: list = []  # (start, end, names, value node) of the assignments in the body
        self.paced = bool(PACING.search(db.text(body)))
        stack = [(body, False)]
        while stack:
            node, nested_loop = stack.pop()
            kind = node.type
            if kind in _NESTED_SCOPES:
                continue
            if kind == "return_statement" or (kind == "break_statement" and not nested_loop):
                self.exits = True
            if kind in ("if_statement", "elif_clause"):
                condition = node.child_by_field_name("condition")
                if condition is not None:
                    self.conditions.append((node.start_byte, condition))
            if kind in _ASSIGNMENTS:
                target = node.child_by_field_name("left") or node.child_by_field_name("name")
                value = node.child_by_field_name("right") or node.child_by_field_name("value")
                names = tuple(_names(db, target))
                for name in names:
                    self.assigned.setdefault(name, []).append(node.start_byte)
                    if kind == "augmented_assignment":
                        self.augmented.add(name)
                if value is not None and names:
                    self.values.append((node.start_byte, node.end_byte, names, value))
            inner = nested_loop or (kind in _LOOPS and node.id != body.id)
            stack.extend((child, inner) for child in node.named_children)
        self.values.sort(key=lambda entry: entry[0])
        self._reads: dict[int, dict] = {}

    def reads(self, db, value) -> dict:
        found = self._reads.get(value.id)
        if found is None:
            found = self._reads[value.id] = identifiers_in(db, value)
        return found

    def tainted(self, db, targets, node) -> dict:
        """The loop targets and the names assigned from them in the body before `node`:
        {name: the loop target it derives from}. Only this loop's assignments are read, so a
        function with many loops costs the sum of their sizes, not their product."""
        tainted = {t: t for t in targets if t != "_"}
        for start, end, names, value in self.values:
            if start >= node.start_byte:
                break
            if end > node.start_byte:
                continue  # `r = await client.get(...)`: the assignment of the call itself
            origins = [tainted[n] for n in self.reads(db, value) if n in tainted]
            if origins:
                for name in names:
                    tainted[name] = origins[0]
        return tainted


def _names(db, target):
    if target is None:
        return
    stack = [target]
    while stack:
        node = stack.pop()
        if node.type == "identifier":
            yield db.text(node)
        elif node.type not in ("attribute", "subscript"):
            stack.extend(node.named_children)


def _is_async_for(loop) -> bool:
    children = loop.node.children
    return loop.kind == "for" and bool(children) and children[0].type == "async"


def _in_async_with(node) -> bool:
    """`async with session.get(url) as response:`: aiohttp's request, awaited by the statement."""
    parent = node.parent
    while parent is not None and parent.type in ("as_pattern", "with_item", "with_clause"):
        parent = parent.parent
    return parent is not None and parent.type == "with_statement" and parent.children[0].type == "async"


def _request_method(db, call) -> Optional[str]:
    """The literal method of `client.request("GET", url)`; None when it is not a literal."""
    positional, keywords = call_args(call.node)
    node = positional[0] if positional else keywords.get("method")
    if node is None or node.type != "string":
        return None
    return db.text(node).strip("\"'").upper()


def python_findings(rule, ctx) -> None:
    facts = ctx.facts
    if b"await" not in ctx.source.data:
        return
    db = project_db_facts(facts, ctx.index)
    bodies: dict[int, _LoopBody] = {}
    per_loop: dict[int, list] = {}  # one finding per loop: its first request, the others related
    for call in facts.calls:
        if not call.loops or call.scope is None or not call.scope.is_async:
            continue
        if not call.awaited and not (call.callee in ASYNC_HTTP_READS and _in_async_with(call.node)):
            continue
        loop = call.loops[0]
        if loop.kind == "while" or _is_async_for(loop):
            continue  # polling and pagination; a stream's items come one after the other anyway
        if call.node.id in db.queries_by_node:
            continue  # a database round trip: PF301 (query-in-loop)
        request = _python_request(ctx, db, call)
        if request is None:
            continue
        info = loop_info(db, loop)
        if info is None or is_small_literal(db, info.iterable) or is_batch_iterable(db, info.iterable):
            continue
        body = bodies.get(info.body.id)
        if body is None:
            body = bodies[info.body.id] = _LoopBody(db, info.body)
        if body.exits or body.paced:
            continue
        origin = _independent_origin(db, info, body, call.node)
        if origin is None:
            continue
        per_loop.setdefault(info.node.id, []).append((call, info, origin, request))
    for found in per_loop.values():
        call, info, origin, (what, related, flow) = found[0]
        others = [Related(ctx.source.span(other.node), f"`await {short_text(db.text(other.node), 40)}`, also once per item")
                  for other, *_ in found[1:]]
        also = f" (and {len(others)} more request{'s' if len(others) > 1 else ''} in the same loop)" if others else ""
        message = (
            f"`await {short_text(db.text(call.node), 60)}` {what} once per item of `{short_text(db.text(info.iterable), 40)}`{also}, "
            f"each waiting for the previous one (N round trips in sequence); {ADVICE_PY}."
        )
        ctx.report(call.node, message, related=(*related, *others), flow=flow, properties={"loop_variable": origin})


def _python_request(ctx, db, call):
    """(what the call does, related, flow) for an HTTP read or a project coroutine that awaits
    one; None for anything else (writes, database calls, coroutines without I/O)."""
    callee = call.callee
    if callee in ASYNC_HTTP_READS:
        return f"sends an HTTP {callee.rsplit('.', 1)[-1].upper()} request", (), ()
    if callee in ASYNC_HTTP_REQUESTS:
        method = _request_method(db, call)
        return (f"sends an HTTP {method} request", (), ()) if method in pf402_tsx.READ_METHODS else None
    if callee is None or not call.awaited:
        return None
    if queries_of_function(ctx.index, callee):
        return None  # a project helper that queries the database: PF301 reports the call
    found = awaited_request(ctx.index, callee)
    if found is None:
        return None
    if _shares_mutable_state(db, call.node):
        return None
    qualname, chain, read = found
    name = qualname.rsplit(".", 1)[-1]
    if not read and not READ_NAME.match(name):
        return None  # `request(method, ...)` deep down, in a coroutine not named for a read
    last = chain[-1]
    related = (Related(last.flow_step().span, last.message),)
    flow = (FlowStep(ctx.source.span(call.node), f"awaits `{name}` once per iteration"),
            *(step.flow_step() for step in chain))
    return f"awaits `{name}`, which sends an HTTP request ([{last.message}](1)),", related, flow


def _shares_mutable_state(db, node) -> bool:
    """`await lookup(host, client, cache)` with `cache = {}` before the loop: the coroutine may fill
    what later iterations read (a memo, an accumulator), so the calls are not independent."""
    positional, keywords = call_args(node)
    for argument in (*positional, *keywords.values()):
        if argument is None or argument.type != "identifier":
            continue
        value = db.assigned_value(db.text(argument), node)
        if value is not None and (value.type in MUTABLE_LITERALS or (
                value.type == "call" and db.facts.resolve(value.child_by_field_name("function")) in MUTABLE_CONSTRUCTORS)):
            return True
    return False


def _independent_origin(db, info, body: _LoopBody, node) -> Optional[str]:
    """The loop variable the awaited call depends on, when it reads only that and values from
    before the loop; None when it repeats the same call or reads state carried between iterations."""
    tainted = body.tainted(db, info.targets, node)
    names = identifiers_in(db, node)
    used = [name for name in names if name in tainted]
    if not used:
        return None
    for name in names:
        if name not in info.targets and _carried(body, name, node.start_byte):
            return None  # a cursor, a page token, a running value: the next call needs this one's result
    for start, condition in body.conditions:
        if start < node.start_byte and any(
                name not in info.targets and _carried(body, name, start) for name in identifiers_in(db, condition)):
            return None  # whether it is sent depends on earlier iterations (a budget, a cap, a flag)
    return tainted[sorted(used, key=lambda n: (n not in info.targets, n))[0]]


def _carried(body: _LoopBody, name: str, position: int) -> bool:
    """Whether `name`, read at `position` in the loop body, may hold a value from an earlier
    iteration: updated in place (`+=`) or assigned at or after that point."""
    assignments = body.assigned.get(name)
    return bool(assignments) and (name in body.augmented or any(pos >= position for pos in assignments))


class SequentialAwaitInLoop(Rule):
    code = "PF402"
    name = "sequential-await-in-loop"
    languages = frozenset({"python", "tsx"})
    level = "warning"
    tags = ("async", "network", "n+1", "latency")
    hot_path_only = True  # test code is not a hot path (analyzer/test_paths.py)
    summary = ("Independent requests are awaited one after the other in a loop: N network round trips in "
               "sequence where they could overlap.")
    what_it_does = """
        Finds a request awaited inside a loop over a collection, when each iteration's request
        depends only on the loop variable (and values from before the loop), so the requests are
        independent of each other but each waits for the previous one:

        - Python (`async def`): an awaited HTTP read — `httpx.AsyncClient` / `aiohttp.ClientSession`
          `get`, `head`, `options`, `request("GET", ...)`, also aiohttp's `async with session.get(...)` —
          or an awaited project coroutine that sends one, directly or through other project
          coroutines (across files; the chain is shown as a code flow), in a `for` loop or a
          comprehension.
        - TypeScript/TSX: an awaited `fetch(url)` (no `method`, or `GET`), `x.get(url)` / `x.head(url)`
          with a URL argument (axios and similar clients), a read method of an API object
          (`userService.getUser(id)`, `issuesApi.listComments(id)`), a function or method named
          `fetchX` (`collection.fetchDocuments()`), a function of the same file that sends a
          `fetch`/`client.get` request, or a call the cross-stack route map follows through the
          project's API wrappers in other files to a GET of a backend route (`await api.order(id)`
          -> `getJson` -> `fetch`), in a `for...of`, `for...in`, `for await` (over an array, not a
          stream) or classic `for` loop. When the route map knows the backend handler, the message
          says so ("N+1 over HTTP: one `GET /api/users/{user_id}` per item") and the handler is a
          related location.
          `items.forEach(async (item) => { await fetch(...) })` is reported with its own message:
          there nothing is awaited at all, the promises are dropped.

        The finding is at the awaited call inside the loop.

        Not reported: iterations that depend on the previous result (a cursor or page token, a
        value assigned in the loop and read by the next request, `offset += ...`, an `if` on a
        budget or flag the loop updates, a `cache = {}` from before the loop handed to each
        project coroutine), loops that stop on a result (`break`, `return`), loops that pace
        their requests (`asyncio.sleep`,
        a rate limiter, a semaphore, a backoff), `while` loops (polling, pagination, retries),
        Python `async for` over a stream, retry loops whose request does not change with the
        loop variable, loops over a small literal, writes (`post`, `put`, `patch`, `delete`,
        `fetch` with another method: their order and their stop-at-the-first-failure may be
        intended), awaits of project coroutines that do no I/O, and database calls (PF301
        reports those, `await session.execute(...)` included, so one call never gets two codes).
    """
    why_slow = """
        An `await` suspends the loop until the response arrives, so N requests cost N full round
        trips end to end: with 100 items and 80 ms per request the loop takes 8 s, while the same
        requests sent together finish in roughly the time of the slowest few (bounded by the
        connection pool or the server's concurrency). The event loop stays free meanwhile, so
        nothing looks blocked — the time simply adds up in the request that runs the loop, and it
        grows with the data. In a browser the page waits the same way, one request after another
        in the network waterfall.
    """
    how_to_measure = """
        - Time the loop with realistic N (`time.perf_counter()` around it, or `console.time`):
          it grows linearly with the number of items, about N × the latency of one request.
        - Browser DevTools, Network panel: the requests form a staircase in the waterfall, each
          starting when the previous one ends.
        - APM traces (OpenTelemetry HTTP client spans) show the child spans strictly one after
          another instead of overlapping.
    """
    use_instead = """
        Start the requests together and await them as a group: in Python
        `await asyncio.gather(*(client.get(u) for u in urls))`, or an `asyncio.TaskGroup`, with an
        `asyncio.Semaphore` to bound how many run at once; in TypeScript
        `await Promise.all(ids.map((id) => fetch(...)))` (`Promise.allSettled` when one failure
        must not discard the others). Better still, when the API has one, use a batch endpoint
        that takes all the ids in one request. Replace `items.forEach(async ...)` by
        `await Promise.all(items.map(async ...))` so the caller waits and sees errors.
    """

    examples = (
        flag(
            """
            import httpx

            async def load_profiles(client: httpx.AsyncClient, user_ids: list[int]) -> list[dict]:
                profiles = []
                for user_id in user_ids:
                    response = await client.get(f"/users/{user_id}")
                    profiles.append(response.json())
                return profiles
            """,
            (6, 26),
            shown=True,
        ),
        ok(
            """
            import asyncio

            import httpx

            async def load_profiles(client: httpx.AsyncClient, user_ids: list[int]) -> list[dict]:
                limit = asyncio.Semaphore(10)

                async def load(user_id: int) -> dict:
                    async with limit:
                        response = await client.get(f"/users/{user_id}")
                        return response.json()

                return await asyncio.gather(*(load(user_id) for user_id in user_ids))
            """,
            why="the requests run concurrently, ten at a time",
            shown=True,
        ),
        flag(
            """
            async function loadUsers(ids: string[]) {
              const users = [];
              for (const id of ids) {
                const response = await fetch(`/api/users/${id}`);
                users.push(await response.json());
              }
              return users;
            }
            """,
            (4, 28),
            path="users.ts",
            why="one fetch per id, each after the previous one",
        ),
        ok(
            """
            async function loadUsers(ids: string[]) {
              const responses = await Promise.all(ids.map((id) => fetch(`/api/users/${id}`)));
              return Promise.all(responses.map((response) => response.json()));
            }
            """,
            path="users.ts",
            why="Promise.all: the requests overlap",
        ),
        flag(
            """
            import { useEffect, useState } from "react";
            import axios from "axios";

            export function Avatars({ userIds }: { userIds: string[] }) {
              const [urls, setUrls] = useState<string[]>([]);
              useEffect(() => {
                async function load() {
                  const found: string[] = [];
                  for (let i = 0; i < userIds.length; i++) {
                    const { data } = await axios.get(`/api/users/${userIds[i]}/avatar`);
                    found.push(data.url);
                  }
                  setUrls(found);
                }
                load();
              }, [userIds]);
              return <>{urls.map((url) => <img key={url} src={url} />)}</>;
            }
            """,
            (10, 32),
            path="Avatars.tsx",
            why="a classic for loop in an effect, one axios GET per index",
        ),
        flag(
            """
            export function refreshAll(ids: string[]) {
              ids.forEach(async (id) => {
                await fetch(`/api/items/${id}/refresh-status`);
              });
            }
            """,
            (3, 11),
            path="items.ts",
            why="forEach(async ...): the promises are dropped, nothing waits for them",
        ),
        ok(
            """
            async function allIssues(client: { get(url: string): Promise<any> }) {
              const issues = [];
              let cursor: string | null = null;
              do {
                const page = await client.get(`/api/issues?after=${cursor ?? ""}`);
                issues.push(...page.items);
                cursor = page.next;
              } while (cursor);
              return issues;
            }
            """,
            path="issues.ts",
            why="cursor pagination: each request needs the previous page's cursor",
        ),
        ok(
            """
            async function pages(client, projectIds: string[]) {
              const out = [];
              for (const projectId of projectIds) {
                let cursor = "";
                for (const _ of [1, 2, 3]) {
                  const page = await client.get(`/api/projects/${projectId}/tasks?cursor=${cursor}`);
                  cursor = page.next;
                  out.push(page);
                }
              }
              return out;
            }
            """,
            path="tasks.ts",
            why="a value assigned in the loop (the cursor) feeds the next request",
        ),
        ok(
            """
            async function saveAll(rows: { id: string }[]) {
              for (const row of rows) {
                await fetch(`/api/rows/${row.id}`, { method: "PUT", body: JSON.stringify(row) });
              }
            }
            """,
            path="rows.ts",
            why="writes stay in order: not reported (a batch endpoint is the fix, a design decision)",
        ),
        flag(
            """
            from app.github import fetch_repo

            async def repo_stars(names: list[str]) -> dict[str, int]:
                stars = {}
                for name in names:
                    repo = await fetch_repo(name)
                    stars[name] = repo["stargazers_count"]
                return stars
            """,
            (6, 22),
            path="app/stats.py",
            files={
                "app/github.py": """
                    import httpx

                    CLIENT = httpx.AsyncClient(base_url="https://api.github.com")

                    async def fetch_repo(name: str) -> dict:
                        response = await CLIENT.get(f"/repos/{name}")
                        response.raise_for_status()
                        return response.json()
                    """,
            },
            why="a project coroutine in another module that sends the GET",
        ),
        flag(
            """
            import aiohttp

            async def titles(urls: list[str]) -> list[str]:
                out = []
                async with aiohttp.ClientSession() as session:
                    for url in urls:
                        async with session.get(url) as response:
                            out.append(await response.text())
                return out
            """,
            (7, 24),
            why="aiohttp's `async with session.get(...)` per URL",
        ),
        ok(
            """
            import httpx

            async def all_events(client: httpx.AsyncClient) -> list[dict]:
                events, cursor = [], None
                for _page in range(1000):
                    response = await client.get("/events", params={"cursor": cursor})
                    data = response.json()
                    events += data["items"]
                    cursor = data.get("next")
                    if cursor is None:
                        break
                return events
            """,
            why="cursor pagination: the next request needs this one's cursor",
        ),
        ok(
            """
            import asyncio

            import httpx

            async def poll_each(client: httpx.AsyncClient, job_ids: list[str]) -> None:
                for job_id in job_ids:
                    await client.get(f"/jobs/{job_id}")
                    await asyncio.sleep(1.0)  # the API allows one call per second
            """,
            why="explicit pacing between requests",
        ),
        ok(
            """
            import httpx

            async def notify_all(client: httpx.AsyncClient, hooks: list[str], payload: dict) -> None:
                for hook in hooks:
                    await client.post(hook, json=payload)
            """,
            why="writes are not reported: their order may matter",
        ),
        ok(
            """
            from sqlalchemy.ext.asyncio import AsyncSession
            from app.models import Invoice

            async def totals(session: AsyncSession, ids: list[int]) -> list[int]:
                return [(await session.get(Invoice, i)).total for i in ids]
            """,
            why="a database round trip per item is PF301's (query-in-loop): one code per call",
        ),
        ok(
            """
            async def render(template, rows: list[dict]) -> list[str]:
                out = []
                for row in rows:
                    out.append(await template.render_async(**row))
                return out
            """,
            why="awaits code that does no I/O",
        ),
        ok(
            """
            import httpx

            async def first_available(client: httpx.AsyncClient, mirrors: list[str]) -> str | None:
                for mirror in mirrors:
                    response = await client.head(mirror)
                    if response.status_code == 200:
                        return mirror
                return None
            """,
            why="stops at the first good result: later requests are not needed",
        ),
        ok(
            """
            async def drain(stream, client):
                async for message in stream:
                    await client.get(message.url)
            """,
            why="async for over a stream: items arrive one after the other",
        ),
    )

    def check(self, ctx):
        if ctx.source.family == "python":
            python_findings(self, ctx)
        else:
            pf402_tsx.report_findings(ctx)
        return ctx.findings
