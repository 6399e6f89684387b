"""PF402 sequential-await-in-loop: behaviour beyond the rule's examples (exact outcomes)."""

from __future__ import annotations

import textwrap

from perfscan.engine import check_text
from perfscan.facts import build_facts
from perfscan.checker import source_from_bytes
from perfscan.rules import rule_by_code_or_name
from perfscan.rules.tsx.pf402_tsx import request_call, sequential_requests

RULE = rule_by_code_or_name("PF402")


def _found(files: dict) -> list:
    files = {path: textwrap.dedent(text).lstrip("\n") for path, text in files.items()}
    result = check_text(files, rules=[RULE])
    assert not [n for n in result.notifications if n.kind == "internal-error"], result.notifications
    return sorted((f.span.path, f.span.line, f.span.col) for f in result.findings if f.code == "PF402")


def _tsx_facts(text: str, path: str = "a.ts"):
    data = textwrap.dedent(text).lstrip("\n").encode()
    source, _ = source_from_bytes(f"/p/{path}", path, "typescript" if path.endswith(".ts") else "tsx", data)
    return build_facts(source)


def test_tsx_request_and_url_nodes_for_the_route_map():
    facts = _tsx_facts(
        """
        async function load(ids: string[]) {
          for (const id of ids) {
            await fetch(`/api/users/${id}`);
          }
        }
        """
    )
    [request] = sequential_requests(facts)
    assert facts.text(request.call) == "fetch(`/api/users/${id}`)"
    assert facts.text(request.url) == "`/api/users/${id}`"
    assert (request.kind, request.method, request.loop_variable, request.items, request.dropped) == (
        "fetch", "GET", "id", "ids", False)
    assert request.loop.type == "for_in_statement"


def test_request_call_kinds():
    facts = _tsx_facts(
        """
        async function f(id, init, api, userService, map) {
          fetch(`/a/${id}`);
          fetch(`/a/${id}`, { method: "DELETE" });
          fetch(`/a/${id}`, init);
          window.fetch("/b");
          api.get(`/users/${id}`);
          api.post(`/users/${id}`, {});
          map.get(id);
          userService.getUser(id);
          userService.updateUser(id);
        }
        """
    )
    kinds = [(facts.text(c.child_by_field_name("function")), (request_call(facts, c) or (None,))[0]) for c in facts.calls]
    assert kinds == [
        ("fetch", "fetch"), ("fetch", None), ("fetch", None), ("window.fetch", "fetch"), ("api.get", "client"),
        ("api.post", None), ("map.get", None), ("userService.getUser", "api-method"), ("userService.updateUser", None),
    ]


def test_tsx_loop_shapes():
    found = _found({
        "a.ts": """
            async function a(ids: string[], api) {
              for (const id of ids) { await api.get(`/x/${id}`); }
              for await (const id of ids) { await api.get(`/x/${id}`); }
              for await (const event of stream()) { await api.get(`/x/${event.id}`); }
              for (const id in ids) { await fetch("/x/" + id); }
              let i = 0;
              while (i < ids.length) { await fetch(`/x/${ids[i]}`); i++; }
              for (const id of await api.get("/ids")) { console.log(id); }
              for (const id of ids) { const r = await fetch(`/x/${id}`); if (r.ok) break; }
              for (const id of ids) { await fetch(`/x/${id}`); await sleep(100); }
              for (const id of ids) { for (const k of [1]) { if (k) break; } await fetch(`/x/${id}`); }
              for (const id of ids) { await fetch("/same"); }
              for (const id of ids) { switch (id) { case "a": break; } await fetch(`/x/${id}`); }
            }
            """,
    })
    assert found == [("a.ts", 2, 33), ("a.ts", 3, 39), ("a.ts", 5, 33), ("a.ts", 11, 72), ("a.ts", 13, 66)]


def test_tsx_same_file_helper_and_dropped_foreach():
    found = _found({
        "b.ts": """
            async function loadUser(id: string) {
              const response = await fetch(`/api/users/${id}`);
              return response.json();
            }

            export async function loadAll(ids: string[]) {
              const users = [];
              for (const id of ids) {
                users.push(await loadUser(id));
              }
              ids.forEach(async (id) => {
                await loadUser(id);
              });
              ids.forEach(async (id) => {
                console.log(id);
              });
              ids.forEach((id) => loadUser(id));
              return users;
            }
            """,
    })
    assert found == [("b.ts", 9, 22), ("b.ts", 12, 11)]


def test_python_project_coroutine_chain_and_no_io():
    found = _found({
        "app/client.py": """
            import httpx

            API = httpx.AsyncClient()

            async def get_item(item_id):
                return (await API.get(f"/items/{item_id}")).json()

            async def get_item_twice(item_id):
                return await get_item(item_id)

            async def shape(item):
                return {"id": item}
            """,
        "app/views.py": """
            from app.client import get_item_twice, shape

            async def items(ids):
                out = []
                for item_id in ids:
                    out.append(await get_item_twice(item_id))
                for item_id in ids:
                    out.append(await shape(item_id))
                return out
            """,
    })
    assert found == [("app/views.py", 6, 26)]


def test_python_carried_values_and_generic_request():
    found = _found({
        "a.py": """
            import httpx

            async def f(client: httpx.AsyncClient, ids, token):
                for i in ids:
                    await client.request("GET", f"/x/{i}", headers={"t": token})
                for i in ids:
                    await client.request("POST", f"/x/{i}")
                etag = None
                for i in ids:
                    r = await client.get(f"/x/{i}", headers={"If-None-Match": etag})
                    etag = r.headers.get("etag")
                offset = 0
                for i in ids:
                    await client.get(f"/x/{i}", params={"offset": offset})
                    offset += 10
                for i in ids:
                    headers = {"X-Id": str(i)}
                    await client.get("/x", headers=headers)
            """,
    })
    assert found == [("a.py", 5, 15), ("a.py", 18, 15)]


def test_python_database_calls_are_pf301s():
    found = _found({
        "app/db.py": """
            from sqlalchemy.ext.asyncio import AsyncSession
            from app.models import User
            import httpx

            async def user_and_avatar(session: AsyncSession, user_id):
                user = await session.get(User, user_id)
                return await httpx.AsyncClient().get(user.avatar_url)
            """,
        "app/views.py": """
            from app.db import user_and_avatar

            async def avatars(session, ids):
                return [await user_and_avatar(session, i) for i in ids]
            """,
    })
    assert found == []


def test_tsx_fetch_named_methods_and_helpers_need_an_evident_request():
    found = _found({
        "c.ts": """
            class Importer {
              private async parse(item, client) {
                return client.fetchPage(item.id);
              }

              async run(items, client, collections) {
                for (const item of items) {
                  await this.parse(item, client);
                }
                for (const collection of collections) {
                  await collection.fetchDocuments({ force: true });
                }
                for (const id of items) {
                  await fetchUser(id);
                }
              }
            }
            """,
    })
    # `this.parse` only reaches `client.fetchPage` (a name, not a URL): one guess on top of another is not reported.
    assert found == [("c.ts", 11, 13), ("c.ts", 14, 13)]


def test_python_shared_cache_handed_to_each_call_is_carried_state():
    found = _found({
        "app/rdap.py": """
            import httpx

            async def lookup(domain, client: httpx.AsyncClient, cache):
                if domain not in cache:
                    cache[domain] = (await client.get(f"https://rdap.org/domain/{domain}")).json()
                return cache[domain]
            """,
        "app/run.py": """
            from app.rdap import lookup

            async def owners(domains, client):
                cache = {}
                seen = []
                for domain in domains:
                    seen.append(await lookup(domain, client, cache))
                for domain in domains:
                    seen.append(await lookup(domain, client, None))
                return seen
            """,
    })
    assert found == [("app/run.py", 9, 27)]


def test_one_finding_per_loop_with_the_other_requests_related():
    files = {
        "a.py": textwrap.dedent("""
            import httpx

            async def f(client: httpx.AsyncClient, ids):
                for i in ids:
                    user = await client.get(f"/users/{i}")
                    posts = await client.get(f"/users/{i}/posts")
                    yield user, posts
            """).lstrip("\n"),
    }
    result = check_text(files, rules=[RULE])
    [finding] = [f for f in result.findings if f.code == "PF402"]
    assert (finding.span.line, finding.span.col) == (5, 22)
    assert [(r.span.line, r.span.col) for r in finding.related] == [(6, 23)]
    assert "(and 1 more request in the same loop)" in finding.message
    assert finding.properties["loop_variable"] == "i"


def test_comprehensions_and_concurrent_forms():
    found = _found({
        "a.py": """
            import asyncio
            import httpx

            async def f(client: httpx.AsyncClient, urls):
                one_by_one = [await client.get(u) for u in urls]
                together = await asyncio.gather(*(client.get(u) for u in urls))
                return one_by_one, together
            """,
        "b.ts": """
            export async function g(ids: string[]) {
              const together = await Promise.all(ids.map(async (id) => await fetch(`/x/${id}`)));
              const settled = await Promise.allSettled(ids.map((id) => fetch(`/x/${id}`)));
              return [together, settled];
            }
            """,
    })
    assert found == [("a.py", 5, 25)]


def test_generic_request_wrappers_count_when_named_for_a_read():
    found = _found({
        "app/api.py": """
            import httpx

            class Api:
                def __init__(self):
                    self.client = httpx.AsyncClient()

                async def _call(self, method, path):
                    return await self.client.request(method, path)

                async def get_invoice(self, invoice_id):
                    return await self._call("GET", f"/invoices/{invoice_id}")

                async def sync_invoice(self, invoice_id):
                    return await self._call("PUT", f"/invoices/{invoice_id}")
            """,
        "app/jobs.py": """
            from app.api import Api

            async def run(api: Api, ids):
                for invoice_id in ids:
                    await api.get_invoice(invoice_id)
                for invoice_id in ids:
                    await api.sync_invoice(invoice_id)
            """,
    })
    assert found == [("app/jobs.py", 5, 15)]


def _check_time(text: str, path: str) -> float:
    import time

    from perfscan.project import ProjectIndex
    from perfscan.rule import RuleContext

    language = "python" if path.endswith(".py") else "typescript"
    source, _ = source_from_bytes(f"/p/{path}", path, language, text.encode())
    facts = build_facts(source)
    best = None
    for _ in range(2):
        ctx = RuleContext(RULE, source, facts, ProjectIndex(root="/p"), "warning")
        start = time.perf_counter()
        RULE.check(ctx)
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    assert len(ctx.findings) == text.count("await")
    return best


def test_many_loops_in_one_function_cost_linear_time():
    # Each loop's taint is read from that loop's own assignments: 2,000 loops in one function
    # were quadratic through the function's every assignment (26 s at 4,000 loops).
    def python(n):
        loops = "".join(f"    for i{k} in ids:\n        r{k} = await client.get(f'/x/{{i{k}}}')\n        out.append(r{k})\n"
                        for k in range(n))
        return "import httpx\nasync def f(client: httpx.AsyncClient, ids, out):\n" + loops

    small, large = _check_time(python(300), "a.py"), _check_time(python(1200), "a.py")
    assert large < 8 * small + 0.05, (small, large)


def test_imported_api_wrappers_the_route_map_follows():
    found = _found({
        "backend/app/main.py": """
            from fastapi import FastAPI
            app = FastAPI()

            @app.get("/api/orders/{order_id}")
            async def get_order(order_id: int):
                return {"id": order_id}

            @app.delete("/api/orders/{order_id}")
            async def delete_order(order_id: int):
                return None
            """,
        "frontend/src/api/client.ts": """
            async function getJson<T>(path: string): Promise<T> {
              const response = await fetch(`/api${path}`);
              return (await response.json()) as T;
            }
            async function remove(path: string): Promise<void> {
              await fetch(`/api${path}`, { method: "DELETE" });
            }
            export const api = {
              order: (orderId: number) => getJson(`/orders/${orderId}`),
              deleteOrder: (orderId: number) => remove(`/orders/${orderId}`),
            };
            """,
        "frontend/src/pages/orders.ts": """
            import { api } from "../api/client";

            export async function loadOrders(ids: number[]) {
              const out = [];
              for (const id of ids) {
                out.push(await api.order(id));
              }
              for (const id of ids) {
                await api.deleteOrder(id);
              }
              return out;
            }
            """,
    })
    # The GET through `getJson` is reported; the DELETE through `remove` is a write.
    assert found == [("frontend/src/pages/orders.ts", 6, 20)]
