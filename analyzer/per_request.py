"""Which project functions run on every request: one notion for every rule that asks
(PF305 engines, PF401 HTTP/cache clients), built once per run from the Python summaries.

A function runs per request when it is

- a route handler: a route decorator of any framework the facts know (FastAPI, Flask, Quart,
  Sanic, Starlette, aiohttp, Litestar), or registered by call (`path("x/", views.f)`,
  `Route("/x", endpoint)`, `app.router.add_get`, `add_url_rule`, `add_api_route`);
- a method of a view class: Django `View`/generic views, Django REST framework views and
  viewsets, Flask `MethodView`, Starlette `HTTPEndpoint`, aiohttp `web.View`, directly or through
  project base classes (these frameworks make one view instance per request, so every method
  of it runs in the request);
- a Django function view: a module-level function of a `views` module whose first parameter is
  `request`, or one decorated with `@api_view`;
- a FastAPI dependency of any function (`Depends(get_client)`), resolved on every request;
- or reached from one of those through project calls (`Class(...)` runs `Class.__init__`), up
  to MAX_DEPTH calls away.

Test code does not make a function per request, and a cached function (`@lru_cache`) runs
once: nothing is followed through it.

Rules read the way as data (`per_request_entry`: the kind of handler, its route and methods, the
calls from it); `per_request_reason` words it for messages.

`runs_once(facts, call)` answers the other half, in the file: the call sits in a cached function,
under a lazy-singleton test (`if _client is None:`), or its result is stored on `app.state` or a
module global.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from typing import Optional

from .async_index import async_index
from .facts.python import Route, confirm_route
from .project import question
from .test_paths import is_test_path

# Functions whose result is computed once and kept: what they call does not run per request.
CACHING_DECORATORS = frozenset({"lru_cache", "cache", "cached", "cached_property", "alru_cache", "memoize"})

# View base classes whose instances live for one request (every method runs in it).
VIEW_BASE_PREFIXES = ("django.views.", "rest_framework.views.", "rest_framework.viewsets.", "rest_framework.generics.")
VIEW_BASES = frozenset({
    "django.views.View",
    "flask.views.MethodView",
    "flask.views.View",
    "starlette.endpoints.HTTPEndpoint",
    "aiohttp.web.View",
    "aiohttp.web_urldispatcher.View",
    "quart.views.MethodView",
})
HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
VIEW_DECORATORS = frozenset({"api_view"})  # Django REST framework function views
# Calls away from a handler still counted as per request: deeper helpers are more often shared
# utilities reached on some paths only.
MAX_DEPTH = 3


@dataclass(frozen=True)
class PerRequest:
    """How a request reaches a project function, as data: rules read the fields, messages the
    `reason`.

    `kind` is what the request runs first: "route" (a route handler, or the `get`/`post`... method
    of a routed view class), "view-method" (another method of a view class), "view" (a Django
    function view) or "dependency" (a FastAPI dependency). `route` is the route as displayed
    (`GET /x`), its path alone when its methods are unknown (`/stats/`, a routed view class), or
    None when no route is known; `methods` its HTTP methods, () when unknown. `depth` counts the
    calls from that first function (0: the function itself, 1: a direct callee...); `through`
    holds the functions between the two (qualnames, none for depth 0 and 1)."""

    label: str  # the first function as worded in messages: "route `GET /x`", "view `dashboard`"
    kind: str
    route: Optional[str] = None
    methods: tuple = ()
    depth: int = 0
    through: tuple = ()

    @property
    def reason(self) -> str:
        """"route `GET /x`", "called by route `GET /x`", "reached from route `GET /x` through
        `helper` → `Cls.method`"."""
        if self.depth == 0:
            return self.label
        if self.depth == 1:
            return f"called by {self.label}"
        steps = " → ".join(f"`{_short(step)}`" for step in self.through)
        return f"reached from {self.label} through {steps}"


@question
def per_request_entry(index, qualname: str) -> Optional[PerRequest]:
    """How a request reaches the project function `qualname` (its shortest way), or None when it
    does not run on every request."""
    return index.get_derived("per_request", _per_request_functions).get(qualname)


@question
def per_request_reason(index, qualname: str) -> Optional[str]:
    """Why the project function `qualname` runs on every request ("route `GET /x`", "called by
    route `GET /x`"...), or None."""
    entry = index.get_derived("per_request", _per_request_functions).get(qualname)
    return entry.reason if entry is not None else None


def reason_for(function, index) -> Optional[str]:
    """Why `function` (a FunctionFact of the file being checked) runs per request, or None.
    Its own route decorator counts even before the project index knows the file."""
    why = per_request_reason(index, function.qualname)
    if why is None and function.route is not None and confirm_route(function.route, index) is not None:
        why = f"route `{function.route.display}`"
    return why


def is_cached(facts, function) -> bool:
    """Whether `function` is decorated to compute its result once (`@lru_cache`, `@cache`...)."""
    for decorator in function.decorators:
        name = decorator.callee or facts.source.node_text(decorator.expression).split("(", 1)[0]
        if name.rsplit(".", 1)[-1] in CACHING_DECORATORS:
            return True
    return False


def runs_once(facts, call) -> bool:
    """Whether the value `call` makes is created once and kept, though its function runs often:
    a cached function, a lazy singleton (`if _client is None: _client = Client()`, `if key not in
    cache:`, `if not hasattr(...)`), or stored on `app.state` / in a module global."""
    scope = call.scope
    return is_cached(facts, scope) or _lazily_guarded(facts, call) or _stored_for_reuse(facts, call)


# -- the project's per-request functions ---------------------------------------------------


def _per_request_functions(index) -> dict:
    """{project qualname: PerRequest}, each function with its shortest way from a request."""
    found_index = async_index(index)
    names = found_index.names
    settings = index.settings
    functions: dict = {}  # qualname -> its summary record
    defined_in: dict = {}  # qualname -> the files defining it
    for rel_path, summary in index.python.items():
        for record in summary.get("functions", ()):
            functions[record["qualname"]] = record
            defined_in.setdefault(record["qualname"], []).append(rel_path)
    test_files: dict = {}  # rel_path -> whether it is test code: asked for the few seeds only

    def in_tests(rel_path: str) -> bool:
        if rel_path not in test_files:
            test_files[rel_path] = is_test_path(settings, rel_path)
        return test_files[rel_path]

    seeds: dict = {}

    def seed(qualname: Optional[str], entry: PerRequest) -> None:
        if qualname and qualname in functions and qualname not in seeds and not any(map(in_tests, defined_in[qualname])):
            seeds[qualname] = entry

    for rel_path, summary in index.python.items():
        for record in summary.get("functions", ()):
            route = record.get("route")
            if route:
                fields = (route["framework"], tuple(route["methods"]), route["path"], route["owner"], route["confirmed"])
                confirmed = confirm_route(Route(*fields), index)
                if confirmed is not None:
                    seed(record["qualname"], _route_entry(confirmed))
    for target, route in sorted(found_index.routes.items()):
        seed(names.resolve(target), _route_entry(route))
    methods: dict = {}  # class qualname -> its methods' qualnames
    for qualname in sorted(functions):
        methods.setdefault(qualname.rpartition(".")[0], []).append(qualname)
    for target, route in sorted(found_index.class_routes.items()):
        view = names.project_class(target) or target
        for qualname in methods.get(view, ()):
            method = qualname.rsplit(".", 1)[-1]
            if method in HTTP_METHODS:
                display = f"{method.upper()} {route.path}"
                seed(qualname, PerRequest(f"route `{display}`", "route", display, (method.upper(),)))
            else:
                label = f"a method of view `{_short(view)}` (route `{route.path}`)"
                seed(qualname, PerRequest(label, "view-method", route.path))
    for view in sorted(_view_classes(names)):
        for qualname in methods.get(view, ()):
            method = qualname.rsplit(".", 1)[-1]
            if not method.startswith("__") or method == "__init__":
                seed(qualname, PerRequest(f"a method of view `{_short(view)}`", "view-method"))
    for summary in index.python.values():
        module = summary.get("module", "")
        if "views" not in module.split("."):
            continue
        for record in summary.get("functions", ()):
            qualname = record["qualname"]
            top_level = qualname == f"{module}.{qualname.rsplit('.', 1)[-1]}"
            params = record.get("params") or ()
            if top_level and (tuple(params[:1]) == ("request",) or VIEW_DECORATORS & set(record.get("decorators") or ())):
                seed(qualname, PerRequest(f"view `{_short(qualname)}`", "view"))
    for rel_path, summary in index.python.items():
        depends = (summary.get("db") or {}).get("depends", ())
        if not depends or in_tests(rel_path):
            continue  # a test's own app: its dependencies run per test, not per request
        for _, target in depends:
            seed(names.resolve(target), PerRequest("a dependency resolved on every request", "dependency"))
    return _reach(seeds, functions, names)


def _route_entry(route: Route) -> PerRequest:
    """A route handler's entry; a route of unknown methods shows its path alone."""
    shown = route.display if route.methods else route.path
    return PerRequest(f"route `{route.display}`", "route", shown, tuple(route.methods))


def _reach(seeds: dict, functions: dict, names) -> dict:
    """Breadth first from the handlers through project calls: each function keeps the shortest
    way a request reaches it."""
    found = dict(seeds)
    queue = deque((qualname, entry, ()) for qualname, entry in seeds.items())
    resolved: dict = {}
    while queue:
        qualname, entry, through = queue.popleft()
        record = functions[qualname]
        if len(through) >= MAX_DEPTH or CACHING_DECORATORS & set(record.get("decorators") or ()):
            continue
        path = through + (qualname,)
        for call in record.get("calls", ()):
            callee = call[0]
            if callee not in resolved:
                resolved[callee] = _callee(callee, names, functions)
            target = resolved[callee]
            if target is None or target in found:
                continue
            found[target] = replace(entry, depth=len(path), through=path[1:])
            queue.append((target, entry, path))
    return found


def _callee(callee: Optional[str], names, functions: dict) -> Optional[str]:
    """The project function a call runs: the function itself, or `Class.__init__` for `Class(...)`."""
    if not callee:
        return None
    target = names.resolve(callee)
    if target is None and "(" not in callee:
        target = names.resolve(f"{callee}.__init__")
    return target if target in functions else None


def _view_classes(names) -> set:
    """Project classes deriving from a view base, directly or through project classes."""
    verdicts: dict = {}

    def is_view(cls: str, depth: int) -> bool:
        if cls in verdicts:
            return verdicts[cls]
        verdicts[cls] = False  # a cycle of bases is no view
        answer = False
        for base in names.bases.get(cls, ()):
            if base in VIEW_BASES or base.startswith(VIEW_BASE_PREFIXES):
                answer = True
                break
            project = names.project_class(base, through_imports=True)
            if project is not None and depth < 8 and is_view(project, depth + 1):
                answer = True
                break
        verdicts[cls] = answer
        return answer

    return {cls for cls in sorted(names.bases) if is_view(cls, 0)}


def _short(qualname: str) -> str:
    """`pkg.views.TicketView.get` -> `TicketView.get` (a method), `pkg.views.detail` -> `detail`."""
    parts = qualname.split(".")
    if len(parts) >= 2 and parts[-2][:1].isupper():
        return ".".join(parts[-2:])
    return parts[-1]


# -- in the file: made once and kept ------------------------------------------------------


def _lazily_guarded(facts, call) -> bool:
    """Whether an `if` testing for None, a negation, `not in` or `hasattr` lies between the call
    and its function.

    Answered from one walk down each function (ids of its guarded calls, kept per file), not a
    walk up from each call: tree-sitter finds a parent by descending from the root, so walking up
    from 1,500 calls nested in conditional expressions took a minute."""
    scope = call.scope.node
    node = call.node
    if not (scope.start_byte <= node.start_byte and node.end_byte <= scope.end_byte):
        return False  # not inside its function's node (a decorator): no test between them
    guarded = facts.derived("per_request.guarded", lambda _: {})
    calls = guarded.get(scope.id)
    if calls is None:
        calls = guarded[scope.id] = _guarded_calls(facts, scope)
    return node.id in calls


def _is_lazy_test(text: str) -> bool:
    return "None" in text or text.startswith("not ") or " not in " in text or "hasattr(" in text


def _guarded_calls(facts, scope) -> set:
    """Ids of the calls in function `scope` (not in functions nested in it) inside an `if`
    statement whose test looks for a value not made yet, its condition and branches included."""
    found = set()
    stack = [(child, False) for child in scope.children]
    while stack:
        node, under = stack.pop()
        kind = node.type
        if kind in ("function_definition", "lambda"):
            continue  # its own scope
        if kind == "call" and under:
            found.add(node.id)
        elif kind == "if_statement" and not under:
            condition = node.child_by_field_name("condition")
            under = _is_lazy_test(facts.source.node_text(condition) if condition is not None else "")
        stack.extend((child, under) for child in node.children)
    return found


def _stored_for_reuse(facts, call) -> bool:
    """`app.state.client = httpx.AsyncClient()`, `request.app.state.redis = ...`, or a name the
    function declares `global`: kept beyond this call."""
    node = call.node
    parent = node.parent
    while parent is not None and parent.type in ("parenthesized_expression", "await"):
        node, parent = parent, parent.parent
    if parent is None or parent.type != "assignment":
        return False
    left, right = parent.child_by_field_name("left"), parent.child_by_field_name("right")
    if left is None or right is None or right.id != node.id:
        return False
    text = facts.source.node_text(left)
    if left.type == "attribute" and ".state." in f".{text}":
        return True
    return left.type == "identifier" and facts.declares_global(call.scope.node, text)
