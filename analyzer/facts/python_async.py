"""Per-file async facts for Python, built once on top of `PythonFacts`
(cached on it: `async_facts(facts)`), read by PF201/PF202 and summarised for
the project index (`analyzer/async_index.py`).

- `blockers`: calls that block the calling thread, in any function: the
  catalogue of `analyzer/blocking.py`, sync SQLAlchemy session calls
  (`db.execute`, `db.query(...).all()`, `db.commit()`...) and Django ORM
  evaluation/writes (`Model.objects.get`, `list(qs)`, `obj.save()`).
  A session's kind may need the project: `("maker", name)` (an instance of a
  `sessionmaker` object defined elsewhere) or `("depends", function)` (a
  FastAPI dependency that yields the session) are resolved by the index.
- `async_session_calls`: coroutine methods of a session called without
  `await` (PF202 when the session is async).
- `factories`: functions that create a session (dependency functions), with
  the session kind they hand out.
- `registrations`: routes registered by call rather than decorator:
  `add_api_route`, Starlette `Route(...)`, aiohttp `router.add_get`/`web.get`,
  Flask `add_url_rule`, Django `path()`/`re_path()`.
- `offloaded`: functions decorated to run on a thread (`@sync_to_async`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional

from ..blocking import BlockingCall, blocking_call
from .python_common import OFFLOADERS, _call_arguments, _string_value

if TYPE_CHECKING:  # annotations only: python.py imports this module
    from .python import FunctionFact

SYNC_SESSION_TYPES = frozenset(
    {
        "sqlalchemy.orm.Session",
        "sqlalchemy.orm.session.Session",
        "sqlalchemy.orm.scoped_session",
        "sqlalchemy.orm.scoping.scoped_session",
        "sqlmodel.Session",
        "sqlalchemy.engine.Connection",
        "sqlalchemy.engine.base.Connection",
    }
)
ASYNC_SESSION_TYPES = frozenset(
    {
        "sqlalchemy.ext.asyncio.AsyncSession",
        "sqlalchemy.ext.asyncio.session.AsyncSession",
        "sqlalchemy.ext.asyncio.async_scoped_session",
        "sqlmodel.ext.asyncio.session.AsyncSession",
        "sqlalchemy.ext.asyncio.AsyncConnection",
    }
)
SYNC_MAKERS = frozenset({"sqlalchemy.orm.sessionmaker", "sqlalchemy.orm.session.sessionmaker", "sqlalchemy.orm.scoped_session"})
ASYNC_MAKERS = frozenset({"sqlalchemy.ext.asyncio.async_sessionmaker", "sqlalchemy.ext.asyncio.async_scoped_session"})
# Session methods that talk to the database (besides the query calls python_db finds).
SESSION_IO_METHODS = frozenset({"commit", "flush", "rollback", "delete", "refresh", "execute", "scalars", "scalar",
                                "get", "get_one", "merge"})
# AsyncSession methods that return a coroutine.
ASYNC_SESSION_COROUTINES = frozenset({"execute", "scalars", "scalar", "get", "get_one", "refresh", "merge", "commit",
                                      "flush", "rollback", "delete", "close", "stream", "stream_scalars", "run_sync"})

SESSION_IO = BlockingCall(
    "sync database session",
    "use an `AsyncSession` (`async_sessionmaker`) and `await` it, or declare the route with plain `def`",
)
DJANGO_ORM = BlockingCall(
    "Django ORM",
    "use the async ORM API (`aget`, `acreate`, `async for`) or wrap it in `sync_to_async`",
)

DJANGO_QUERYSET = BlockingCall(
    "Django queryset evaluated",
    "iterate it with `async for`, or evaluate it inside `sync_to_async`",
)
ORM_BLOCKERS = (SESSION_IO, DJANGO_ORM, DJANGO_QUERYSET)

_MAKER_TYPES = SYNC_MAKERS | ASYNC_MAKERS

OFFLOADING_DECORATORS = frozenset(set(OFFLOADERS) | {"channels.db.database_sync_to_async", "asgiref.sync.SyncToAsync"})

# Route registration calls: callee (or its last part, for methods on app
# objects) -> (framework, methods or None, index of the path argument, index
# of the handler argument, handler keyword).
REGISTRATIONS = {
    "starlette.routing.Route": ("starlette", None, 0, 1, "endpoint"),
    "starlette.routing.WebSocketRoute": ("starlette", ("WEBSOCKET",), 0, 1, "endpoint"),
    "fastapi.routing.APIRoute": ("fastapi", None, 0, 1, "endpoint"),
    "django.urls.path": ("django", ("*",), 0, 1, "view"),
    "django.urls.re_path": ("django", ("*",), 0, 1, "view"),
    "django.conf.urls.url": ("django", ("*",), 0, 1, "view"),
    **{f"aiohttp.web.{verb}": ("aiohttp", (verb.upper(),), 0, 1, "handler")
       for verb in ("get", "post", "put", "patch", "delete", "head", "view")},
}
METHOD_REGISTRATIONS = {
    "add_api_route": ("fastapi", None, 0, 1, "endpoint"),
    "add_api_websocket_route": ("fastapi", ("WEBSOCKET",), 0, 1, "endpoint"),
    "add_url_rule": ("flask", None, 0, 2, "view_func"),
    **{f"add_{verb}": ("aiohttp", (verb.upper(),), 0, 1, "handler")
       for verb in ("get", "post", "put", "patch", "delete", "head", "view")},
}
METHOD_OWNER_ROOTS = {"fastapi": ("fastapi.",), "flask": ("flask.", "quart."), "aiohttp": ("aiohttp.",)}
HTTP_METHOD_NAMES = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})


@dataclass(eq=False, slots=True)
class Blocker:
    """A call that blocks the thread. `condition` None: always; otherwise the
    session reference the project index must find to be sync."""

    node: object
    scope: FunctionFact
    what: str  # `requests.get`, `db.execute` ...
    entry: BlockingCall
    condition: Optional[tuple] = None
    callee: Optional[str] = None


@dataclass(eq=False, slots=True)
class SessionCall:
    node: object
    scope: FunctionFact
    what: str
    session: tuple  # ("async",) or a reference for the index


@dataclass(eq=False)
class AsyncFacts:
    blockers: list = field(default_factory=list)
    async_session_calls: list = field(default_factory=list)
    factories: dict = field(default_factory=dict)  # qualname -> ("sync",) | ("async",) | ("maker", name)
    registrations: list = field(default_factory=list)
    offloaded: set = field(default_factory=set)


def async_facts(facts) -> AsyncFacts:
    return facts.derived("async", _build)


def async_summary(facts) -> dict:
    data = async_facts(facts)
    blocking: dict = {}
    for blocker in data.blockers:
        span = facts.source.span(blocker.node)
        blocking.setdefault(blocker.scope.qualname, []).append(
            [span.line, span.col, span.end_line, span.end_col, blocker.what, blocker.entry.category,
             list(blocker.condition) if blocker.condition else None]
        )
    return {
        "blocking": blocking,
        "factories": {name: list(kind) for name, kind in data.factories.items()},
        "routes": data.registrations,
        "offloaded": sorted(data.offloaded),
    }


# -- building -------------------------------------------------------------------


def _text(facts, node) -> str:
    return facts.source.node_text(node)


def _unwrap(node):
    while node is not None and node.type in ("parenthesized_expression", "await") and node.named_children:
        node = node.named_children[0]
    return node


def _chain_root(node):
    """The object a method chain starts from: `db` in `db.query(X).filter().all()`."""
    current = _unwrap(node)
    while current is not None:
        if current.type == "call":
            current = _unwrap(current.child_by_field_name("function"))
        elif current.type == "attribute":
            inner = _unwrap(current.child_by_field_name("object"))
            if inner is None or inner.type not in ("call", "attribute", "subscript"):
                return inner
            current = inner
        elif current.type == "subscript":
            current = _unwrap(current.child_by_field_name("value"))
        else:
            return current
    return None


def session_ref(facts, root) -> Optional[tuple]:
    """What kind of session `root` is: ("sync",), ("async",), or a reference
    the project index resolves: ("maker", qualified sessionmaker object) or
    ("depends", qualified dependency function). None: not known to be one."""
    if root is None or root.type not in ("identifier", "attribute"):
        return None
    type_ = facts.type_of(root)
    if type_ in SYNC_SESSION_TYPES:
        return ("sync",)
    if type_ in ASYNC_SESSION_TYPES:
        return ("async",)
    if type_ is not None:
        if type_.startswith(("sqlalchemy.", "sqlmodel.")) or "session" not in type_.rsplit(".", 1)[-1].lower():
            return None
        return _maker_ref(facts, type_)
    if root.type == "identifier":
        scope = facts.scope_at(root)
        param = scope.param(_text(facts, root)) if scope is not None else None
        if param is not None and param.depends and param.type is None:
            binding = facts._lookup(param.name, facts._binding_key(root), root.start_byte)
            if getattr(binding, "pos", None) == -1:  # still the parameter, not reassigned
                return ("depends", param.depends)
        if scope is not None:
            # `session = get_session(org)`: a project function that hands out a session
            from .python_db import db_facts

            value = _unwrap(db_facts(facts).assigned_value(_text(facts, root), root))
            if value is not None and value.type == "call":
                made = session_constructed(facts, facts._calls_by_id[value.id]) if value.id in facts._calls_by_id else None
                if made is not None:
                    return made
                callee = facts.resolve(value.child_by_field_name("function"))
                if callee and "." in callee and callee.split(".", 1)[0] not in _LIBRARY_ROOTS:
                    return ("depends", callee)
    return None


_LIBRARY_ROOTS = frozenset({"sqlalchemy", "sqlmodel", "builtins", "django", "fastapi", "starlette", "typing"})


def session_constructed(facts, call) -> Optional[tuple]:
    """The session a call creates: `Session(engine)`, `SessionLocal()` (a
    sessionmaker here or in another module), `AsyncSession(engine)`."""
    callee = call.callee or ""
    if callee in SYNC_SESSION_TYPES:
        return ("sync",)
    if callee in ASYNC_SESSION_TYPES:
        return ("async",)
    function = call.function
    maker = facts.type_of(function) if function is not None else None
    if maker in SYNC_MAKERS:
        return ("sync",)
    if maker in ASYNC_MAKERS:
        return ("async",)
    if callee and "session" in callee.rsplit(".", 1)[-1].lower() and callee.split(".", 1)[0] not in _LIBRARY_ROOTS:
        return _maker_ref(facts, callee)
    return None


def _maker_ref(facts, name: str) -> tuple:
    """A session maker named `name`: sync or async when it is a sessionmaker of this module,
    else ("maker", name) for the project index to settle."""
    local = facts.objects.get(name.rsplit(".", 1)[-1]) if name.startswith(facts.module + ".") else None
    if local in SYNC_MAKERS:
        return ("sync",)
    if local in ASYNC_MAKERS:
        return ("async",)
    return ("maker", name)


def _build(facts) -> AsyncFacts:
    from .python_db import db_facts

    data = AsyncFacts()
    seen: set = set()
    for call in facts.calls:
        scope = call.scope
        if scope is None or call.awaited or call.offloaded:
            continue
        entry = blocking_call(call.callee)
        if entry is not None:
            data.blockers.append(Blocker(call.node, scope, call.callee, entry, callee=call.callee))
            seen.add(call.node.id)
    db = db_facts(facts)
    for query in db.queries:
        call = query.call
        if call is None or call.scope is None or query.node.id in seen:
            continue
        first = query.steps[0].call if query.steps else None
        first_fact = facts._calls_by_id.get(first.id) if first is not None else None
        awaited = call.awaited or (first_fact is not None and first_fact.awaited)
        if query.kind in ("sqlalchemy", "sqlalchemy-legacy"):
            ref = session_ref(facts, _chain_root(query.node))
            if ref is None:
                continue
            method = query.steps[0].name
            what = f"{_text(facts, _chain_root(query.node))}.{method}"
            if ref == ("async",):
                continue  # awaited or not, PF202 looks at the call itself below
            if not awaited:
                if ref != ("sync",) and first is not None and method in ASYNC_SESSION_COROUTINES:
                    data.async_session_calls.append(SessionCall(first, call.scope, what, ref))
                data.blockers.append(Blocker(query.node, call.scope, what, SESSION_IO, None if ref == ("sync",) else ref))
                seen.add(query.node.id)
                if first is not None:
                    seen.add(first.id)
        elif query.kind == "django":
            method = query.method
            if awaited or (method.startswith("a") and method[1:] in _DJANGO_SYNC_NAMES) or _in_async_for(query.node):
                continue
            what = f"{_model_name(query)}.objects.{method}" if query.steps else method
            entry = DJANGO_ORM if method in _DJANGO_SYNC_NAMES else DJANGO_QUERYSET
            data.blockers.append(Blocker(query.node, call.scope, what, entry))
            seen.add(query.node.id)
    for call in facts.calls:
        function = call.function
        if call.scope is None or call.node.id in seen or function is None or function.type != "attribute":
            continue
        method = _text(facts, function.child_by_field_name("attribute"))
        if method not in SESSION_IO_METHODS and method not in ASYNC_SESSION_COROUTINES:
            continue
        root = _unwrap(function.child_by_field_name("object"))
        ref = session_ref(facts, root)
        if ref is None:
            continue
        what = f"{_text(facts, root)}.{method}"
        if ref == ("async",) or ref[0] != "sync":
            if method in ASYNC_SESSION_COROUTINES and not call.awaited:
                data.async_session_calls.append(SessionCall(call.node, call.scope, what, ref))
            if ref == ("async",):
                continue
        if not call.awaited and method in SESSION_IO_METHODS:
            data.blockers.append(Blocker(call.node, call.scope, what, SESSION_IO, None if ref == ("sync",) else ref))
    _collect_factories(facts, data)
    _collect_registrations(facts, data)
    for function in facts.functions:
        if any(d.callee in OFFLOADING_DECORATORS or (d.callee or "").endswith("sync_to_async") for d in function.decorators):
            data.offloaded.add(function.qualname)
    data.blockers.sort(key=lambda b: b.node.start_byte)
    return data


_DJANGO_SYNC_NAMES = frozenset(
    {"get", "first", "last", "count", "exists", "aggregate", "in_bulk", "get_or_create", "update_or_create",
     "create", "update", "delete", "earliest", "latest", "contains", "iterator", "bulk_create", "bulk_update"}
)  # fmt: skip


def _model_name(query) -> str:
    return (query.model or "").rsplit(".", 1)[-1] or "model"


def _in_async_for(node) -> bool:
    parent = node.parent
    while parent is not None and parent.type in ("parenthesized_expression",):
        parent = parent.parent
    return (
        parent is not None
        and parent.type in ("for_statement", "for_in_clause")
        and bool(parent.children)
        and parent.children[0].type == "async"
    )


def _collect_factories(facts, data: AsyncFacts) -> None:
    """Functions handing out a session: by return annotation, else by the
    session they construct (`SessionLocal()`, `Session(engine)`)."""
    for function in facts.functions:
        kind = None
        returns = function.node.child_by_field_name("return_type")
        if returns is not None and b"ession" in returns.text:
            kind = _annotation_session(facts, returns)
        if kind is None:
            for call in function.calls:
                # every session constructor or maker this looks for is named *ession*
                text = call.callee_text
                if "ession" not in text and "ession" not in (call.callee or "") and (
                    facts.objects.get(text) not in _MAKER_TYPES
                ):
                    continue
                kind = session_constructed(facts, call)
                if kind is not None:
                    break
        if kind is not None:
            data.factories[function.qualname] = kind


def _annotation_session(facts, node) -> Optional[tuple]:
    """`Session`, `Iterator[Session]`, `AsyncGenerator[AsyncSession, None]`..."""
    stack = [node]
    budget = 64
    while stack and budget:
        budget -= 1
        current = stack.pop()
        if current.type in ("identifier", "attribute"):
            resolved = facts.resolve(current)
            if resolved in SYNC_SESSION_TYPES:
                return ("sync",)
            if resolved in ASYNC_SESSION_TYPES:
                return ("async",)
            if current.type == "attribute":
                continue
        stack.extend(reversed(current.named_children))
    return None


def _collect_registrations(facts, data: AsyncFacts) -> None:
    for call in facts.calls:
        callee = call.callee
        spec = REGISTRATIONS.get(callee or "")
        if spec is None and call.function is not None and call.function.type == "attribute":
            method = _text(facts, call.function.child_by_field_name("attribute"))
            spec = METHOD_REGISTRATIONS.get(method)
            if spec is not None:
                owner = facts.type_of(call.function.child_by_field_name("object")) or callee or ""
                if not owner.startswith(METHOD_OWNER_ROOTS[spec[0]]):
                    spec = None
        if spec is None:
            continue
        framework, methods, path_index, handler_index, handler_keyword = spec
        positional, keywords = _call_arguments(call.node)
        handler = keywords.get(handler_keyword) or (positional[handler_index] if handler_index < len(positional) else None)
        path_node = positional[path_index] if path_index < len(positional) else keywords.get("path")
        if handler is None:
            continue
        class_view = False
        if handler.type == "call":  # Django `Cls.as_view()`
            function = handler.child_by_field_name("function")
            if function is None or function.type != "attribute" or _text(facts, function.child_by_field_name("attribute")) != "as_view":
                continue
            handler = function.child_by_field_name("object")
            class_view = True
        target = facts.resolve(handler)
        if not target:
            continue
        if methods is None:
            methods_node = keywords.get("methods")
            values = [_string_value(facts, n) for n in (methods_node.named_children if methods_node is not None else ())]
            methods = tuple(v.upper() for v in values if v) or ("GET",)
        path = _string_value(facts, path_node) if path_node is not None else None
        if framework == "django" and path is not None and not path.startswith("/"):
            path = "/" + path
        owner = call.function.child_by_field_name("object") if call.function.type == "attribute" else None
        if path is not None and owner is not None and owner.type == "identifier" and callee not in REGISTRATIONS:
            path = facts.route_path_prefix(f"{facts.module}.{_text(facts, owner)}") + path  # APIRouter(prefix=...)
        data.registrations.append([target, framework, list(methods), path or "?", class_view])
