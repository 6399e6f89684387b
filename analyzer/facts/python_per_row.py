"""Per-row database work of one Python file: the queries that run once per loop iteration.

`queries_per_iteration(facts)` is the detection PF301 reports from (rules/python/pf301_query_in_loop.py
words and reports each one); `per_row_summary(facts)` records the same list per function in the
file's summary, so that the cross-stack route map (analyzer/route_map.py) can say that a handler
a frontend loop calls runs one query per item, without seeing PF301's findings. One detector,
two readers: the rule and the summary cannot disagree.

Only what the file shows by itself is here: a helper's query reached through a call in a loop,
Django related managers and PF302's lazy loads need the project's models and functions (the
index), which a file's summary is built without.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .python_db import (
    call_args,
    db_facts,
    identifiers_in,
    is_batch_iterable,
    is_small_literal,
    loop_info,
    tainted_names,
)


@dataclass(eq=False)
class QueryPerIteration:
    """A query run once per iteration of its loop: `query` (python_db.Query) inside the loop
    `info` (python_db.loop_info); `variable` the loop-derived name it reads and `origin` what the
    loop walks to give it (None for a query that does not depend on the loop: the same query on
    every iteration)."""

    query: object
    info: object
    variable: Optional[str]
    origin: Optional[str]


def is_migration(rel_path: str) -> bool:
    """Alembic revisions and Django migrations run once, offline; tests set up
    data row by row on purpose. Neither is request-path code."""
    parts = rel_path.replace("\\", "/").split("/")
    name = parts[-1]
    if "tests" in parts[:-1] or name.startswith("test_") or name.endswith("_test.py") or name in ("conftest.py", "tests.py"):
        return True
    return "migrations" in parts or ("versions" in parts and any(p in ("alembic", "revisions", "migrations") for p in parts))


def is_chunked_query(db, query_node) -> bool:
    """`filter(X.id.in_(chunk))` / `filter(id__in=batch)`: the loop is the batching."""
    text = db.text(query_node)
    return ".in_(" in text or "__in=" in text or "any_(" in text


def queries_per_iteration(facts, db=None) -> list:
    """Every query of the file that runs once per iteration of a loop worth batching, in the
    order of `db_facts(facts).queries`; none in migrations and tests."""
    if is_migration(facts.source.rel_path):
        return []
    # A rule passes the facts as the project settles them (analyzer/models.py `project_db_facts`).
    db = db if db is not None else db_facts(facts)
    found = []
    for query in db.queries:
        call = query.call
        if call is None or not call.loops:
            continue
        info = loop_info(db, call.loops[0])
        if info is None or is_small_literal(db, info.iterable) or is_batch_iterable(db, info.iterable):
            continue
        if query.batched or is_chunked_query(db, query.node):
            continue
        if query.kind == "raw" and _runs_each_statement(db, query, info):
            continue
        tainted = tainted_names(db, info, query.node)
        used = [name for name in identifiers_in(db, query.node) if name in tainted]
        if used:
            variable = sorted(used, key=lambda n: (n not in info.targets, n))[0]
            found.append(QueryPerIteration(query, info, variable, tainted[variable]))
            continue
        if not info.targets or all(t.startswith("_") for t in info.targets):
            continue  # a repeat/retry loop
        if query.write or query.method in ("refresh", "merge", "get", "get_one"):
            continue  # per-object operations: hoisting is not the advice
        if _reads_loop_state(db, info, query.node):
            continue
        found.append(QueryPerIteration(query, info, None, None))
    return found


def per_row_summary(facts) -> dict:
    """qualname -> [[code, line, col, end_line, end_col, text], ...]: where each function runs a
    query per loop iteration (code "PF301"), as PF301 reports it; the text is the query, shortened."""
    functions: dict = {}
    for found in queries_per_iteration(facts):
        query = found.query
        scope = query.call.scope
        if scope is None:
            continue
        span = facts.source.span(query.node)
        text = " ".join(facts.source.node_text(query.node).split())
        functions.setdefault(scope.qualname, []).append(
            ["PF301", span.line, span.col, span.end_line, span.end_col, text[:80]])
    return functions


def _reads_loop_state(db, info, query_node) -> bool:
    """The query reads a name assigned inside the loop body (so it may change
    per iteration even without depending on the loop variable)."""
    names = identifiers_in(db, query_node)
    # `with session_scope(engine_for(org)) as db_session:` inside the loop: a new session each time
    node = query_node.parent
    while node is not None and node.start_byte >= info.body.start_byte:
        if node.type == "with_statement":
            for item in node.named_children:
                if item.type == "with_clause":
                    for alias in item.named_children:
                        value = alias.named_children[0] if alias.named_children else None
                        target = value.child_by_field_name("alias") if value is not None and value.type == "as_pattern" else None
                        if target is not None and db.text(target) in names:
                            return True
        node = node.parent
    for (key, name), entries in db.assignments.items():
        if name in names and any(info.body.start_byte <= e[2].start_byte < info.body.end_byte for e in entries):
            return True
    return False


def _runs_each_statement(db, query, info) -> bool:
    """`for statement in statements: cursor.execute(statement)`: the SQL itself is the loop
    variable, so each iteration runs a different statement (a script, a migration); nothing to batch."""
    arguments = call_args(query.node)[0]
    first = arguments[0] if arguments else None
    return first is not None and first.type == "identifier" and db.text(first) in info.targets
