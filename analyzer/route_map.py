"""The cross-stack route map: backend routes, frontend requests, and which reaches which.

Built once per run from the summaries (`route_map(index)`), as one more part of the project
index:

- backend routes from the Python summaries: every decorated handler, its methods and full path
  (the router's own prefix is in the route; `include_router(prefix=)`, `app.mount(path, sub)` and
  Flask's `register_blueprint(url_prefix=)` / `Blueprint(url_prefix=)` from the `routing`
  summaries), under each app object that is mounted nowhere (one backend each);
- frontend requests from the TSX summaries (facts/tsx_http.py): direct calls (`fetch`, axios,
  ky, instances with a base URL, request descriptions), and calls of project functions that
  wrap exactly one request (`getJson(path)`, `api.orders(id)`), followed across files;
- the frontend base: a dev-server proxy (vite.config `server.proxy`, with a `rewrite` that
  strips the prefix or none; package.json `proxy`) or the `api-prefix` setting says how a
  same-origin path reaches the backend; `import.meta.env.X ?? "/api"` stands for its default.

Matching is by path segments: a literal matches the same literal or a `{param}`, a run-time
value (`${id}`, `{id}` of generated clients) only a `{param}`; query strings are ignored; the
method must agree. Nothing is guessed: a dynamic route path or router prefix, a router mounted
nowhere, a URL built in a way not read, a proxy that does not cover the path, or two routes (or
two backends) matching equally well leave the request unlinked.

`route_for_call(index, rel_path, line, col)` is the question a TSX rule asks about a call.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Optional

from .facts.python import build_object_types, dotted_suffixes
from .findings import FlowStep, Related, Span
from .project import question

API_PREFIX_SETTING = "api_prefix"  # project_settings key (config `api-prefix`)
APP_ROOT_TYPES = frozenset({
    "fastapi.FastAPI", "fastapi.applications.FastAPI", "starlette.applications.Starlette",
    "flask.Flask", "flask.app.Flask", "quart.Quart", "quart.app.Quart",
})
MAX_WRAPPER_DEPTH = 6
VITE_CONFIGS = ("vite.config.ts", "vite.config.js", "vite.config.mts", "vite.config.mjs")
_LOCAL_URL = re.compile(r"^https?://(?:localhost|127\.0\.0\.1|0\.0\.0\.0)(?::\d+)?(/[^?#]*)?(?:[?#].*)?$")
_ANY_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
# vite `server.proxy`: `"/api": "http://..."` or `"/api": { target, rewrite: (p) => p.replace(/^\/api/, "") }`
_PROXY_BLOCK = re.compile(r"\bproxy\s*:\s*\{")
_PROXY_KEY = re.compile(r"""["'](/[\w\-./]*)["']\s*:\s*(["'{])""")
_STRIP_REWRITE = re.compile(r"""rewrite\s*:\s*\(?\s*(\w+)\s*\)?\s*=>\s*\1\.replace\(\s*/\^(\\/[\w\-\\/.]*)/\s*,\s*["']["']\s*\)""")
_OPENAPI_PARAM = re.compile(r"^\{[A-Za-z_$][\w$]*\}$")
_BACKEND_PARAM = re.compile(r"^(?:\{(\w+)(?::(\w+))?\}|<(?:(\w+):)?(\w+)>)$")


@dataclass(frozen=True)
class BackendRoute:
    methods: tuple
    path: str  # full path when `mounted`, else the path on its router
    handler: str  # qualname
    file: str
    where: tuple  # (line, col, end_line, end_col) of the handler's name; () when unknown
    last_line: int
    backend: str  # the app object it is served by ("" when mounted nowhere)
    mounted: bool
    dynamic: bool  # its path or a prefix on the way is not a literal: never matched

    @property
    def display(self) -> str:
        return f"{'|'.join(self.methods)} {self.path}"


@dataclass(frozen=True)
class FrontendCall:
    file: str
    where: tuple  # the call (line, col, end_line, end_col)
    method: Optional[str]
    url: str  # as written, `${}` for a run-time value
    backend_path: Optional[str]  # the path it reaches on the backend, None when not known
    via: tuple  # ((file, where, text), ...): wrapper functions down to the request
    route: Optional[int] = None  # index into RouteMap.routes
    display: str = ""  # `GET /api/users/{user_id}`: the frontend's path with the route's parameters


@dataclass(frozen=True)
class RouteLink:
    """The answer to "which handler does this call reach, and what does it cost?" (plain data)."""

    method: str
    display: str  # `GET /api/users/{user_id}`
    route: str  # the backend route, `GET /users/{user_id}`
    handler: str
    handler_at: tuple  # (file, line, col, end_line, end_col)
    via: tuple  # frontend steps: ((file, line, col, end_line, end_col, text), ...)
    cost_code: str  # the rule whose finding the handler has on the way ("PF201", "PF301"), "" for none
    cost: tuple  # steps from the handler to the slow call, as `via`


@dataclass
class RouteMap:
    routes: list = field(default_factory=list)
    calls: list = field(default_factory=list)
    by_position: dict = field(default_factory=dict)  # (file, line, col) -> FrontendCall
    inputs: set = field(default_factory=set)  # project files read (vite configs, package.json)

    def project_inputs(self) -> list:
        return sorted(self.inputs)

    def callers(self, route_index: int) -> list:
        return [call for call in self.calls if call.route == route_index]


def route_map(index) -> RouteMap:
    return index.get_derived("route_map", _build)


def backend_routes(index) -> list:
    """The backend routes alone (the first part of the route map, built once per index)."""
    return index.get_derived("route_map.routes", _backend_routes)


def _any_matchable(index) -> bool:
    return any(route.mounted and not route.dynamic for route in backend_routes(index))


@question
def route_for_call(index, rel_path: str, line: int, col: int) -> Optional[RouteLink]:
    """The backend route the call starting at (line, col) of `rel_path` reaches, with its
    handler and the slow call on its way, or None when that cannot be proven."""
    if not _any_matchable(index):
        # No route a request could reach (a frontend without a backend here, or none with a
        # proven path): the answer is None whatever the frontend sends, so its requests, their
        # wrappers across files and its dev-server proxies are not worked out at all.
        return None
    found = route_map(index)
    call = found.by_position.get((rel_path, line, col))
    if call is None or call.route is None:
        return None
    route = found.routes[call.route]
    cost_code, cost = handler_cost(index, route.handler)
    return RouteLink(
        call.method or "", call.display, route.display, route.handler, (route.file, *route.where),
        tuple((file, *where, text) for file, where, text in call.via), cost_code, cost,
    )


def handler_cost(index, handler: str) -> tuple:
    """What the handler costs on every request, as (rule code, steps from the handler to the slow
    call): ("PF201", ...) when the async handler runs a blocking call on the event loop, itself or
    through a sync project helper -- what PF201 reports there; else ("PF301", ...) when it runs a
    query once per loop iteration, itself or in a project function it calls directly -- what
    PF301 reports there (the functions' `per_row` summaries); ("", ()) otherwise."""
    from .async_index import async_index

    found = async_index(index)
    info = found.functions.get(handler)
    if info is None:
        return "", ()
    return _blocking_cost(found, info) or _per_row_cost(found, info) or ("", ())


PER_ROW_WORDS = {"PF301": "runs one query per iteration"}


def _blocking_cost(found, info) -> Optional[tuple]:
    from .blocking import blocking_call

    if not info.is_async or info.offloaded:
        return None
    for line, col, end_line, end_col, what, category, condition in info.blocking:
        if condition and found.session_kind(condition) != "sync":
            continue
        return "PF201", ((info.path, line, col, end_line, end_col, f"`{what}` blocks the event loop ({category})"),)
    for callee, line, col, end_line, end_col, awaited, offloaded in info.calls:
        if awaited or offloaded or not callee or "." not in callee or blocking_call(callee) is not None:
            continue
        target = found.function(callee)
        chain = found.chain(target.qualname) if target is not None and not target.is_async and not target.offloaded else None
        if chain:
            steps = [(info.path, line, col, end_line, end_col, f"calls `{target.qualname.rsplit('.', 1)[-1]}`")]
            steps += [(step.path, *step.where, step.message) for step in chain[1:]] if len(chain) > 1 else []
            last = chain[-1]
            if len(chain) > 1:
                steps[-1] = (last.path, *last.where, f"{last.message.replace(' blocks (', ' blocks the event loop (', 1)}")
            else:
                steps.append((last.path, *last.where, last.message.replace(" blocks (", " blocks the event loop (", 1)))
            return "PF201", tuple(steps)
    return None


def _per_row_cost(found, info) -> Optional[tuple]:
    def step(function) -> Optional[tuple]:
        for code, line, col, end_line, end_col, text in function.per_row:
            if code in PER_ROW_WORDS:
                return code, (function.path, line, col, end_line, end_col, f"`{text}` {PER_ROW_WORDS[code]}")
        return None

    own = step(info)
    if own is not None:
        return own[0], (own[1],)
    for callee, line, col, end_line, end_col, awaited, offloaded in info.calls:
        target = found.function(callee) if callee and "." in callee else None
        if target is None or target.qualname == info.qualname:
            continue
        inner = step(target)
        if inner is not None:
            name = target.qualname.rsplit(".", 1)[-1]
            return inner[0], ((info.path, line, col, end_line, end_col, f"calls `{name}`"), inner[1])
    return None


# -- building ---------------------------------------------------------------------------------


def _build(index) -> RouteMap:
    found = RouteMap()
    found.routes = backend_routes(index)
    frontend = _Frontend(index, found)
    matcher = _Matcher(found.routes)
    for rel_path in sorted(index.tsx):
        for record in (index.tsx[rel_path].get("http") or {}).get("calls", ()):
            request = frontend.request(rel_path, record, 0, set())
            if request is None:
                continue
            method, parts, via = request
            # Here, a parameter of the function the call is in is one more run-time value.
            parts = _merge([["h"] if part[0] == "a" else part for part in parts])
            url = _display(parts)
            backend_path, shown_prefix = frontend.backend_path(rel_path, parts)
            route = display = None
            if backend_path is not None:
                route = matcher.match(method, backend_path)
                if route is not None:
                    display = f"{method or '|'.join(found.routes[route].methods)} {shown_prefix}{found.routes[route].path}"
            call = FrontendCall(rel_path, tuple(record["at"]), method, url,
                                _display(backend_path) if backend_path is not None else None, tuple(via), route, display or "")
            found.calls.append(call)
            found.by_position[(rel_path, record["at"][0], record["at"][1])] = call
    return found


def _backend_routes(index) -> list:
    from .test_paths import is_test_path

    objects = index.get_derived("python.objects", build_object_types)
    # An app a test builds is no backend the frontend talks to (and would make every route of
    # the real one ambiguous: two backends serving the same path).
    test_modules = {summary.get("module", "") for rel, summary in index.python.items() if is_test_path(index.settings, rel)}
    apps = {name for name, type_ in objects.items() if type_ in APP_ROOT_TYPES and name.rpartition(".")[0] not in test_modules}
    routers = {name for name, type_ in objects.items()} | apps
    suffixes: dict = {}
    for name in routers:
        for suffix in dotted_suffixes(name):
            suffixes.setdefault(suffix, set()).add(name)

    def object_named(name: str) -> Optional[str]:
        if name in routers:
            return name
        matches = set(suffixes.get(name, ())) | {s for s in dotted_suffixes(name) if s in routers and "." in s}
        return matches.pop() if len(matches) == 1 else None

    parents: dict = {}  # child object -> [(parent object, prefix or None)]
    own_prefix: dict = {}
    dynamic_owners: set = set()
    handlers: dict = {}
    dynamic_handlers: set = set()
    class_strings: dict = {}
    for summary in index.python.values():
        class_strings.update((summary.get("routing") or {}).get("class_strings", {}))

    def setting(reference: list) -> Optional[str]:
        """`settings.API_V1_STR` -> the default its settings class gives (an environment variable
        may override it, as `import.meta.env.X ?? "/api"` on the frontend: the code's own value)."""
        owner = object_named(reference[1])
        type_ = objects.get(owner) if owner else None
        return class_strings.get(f"{type_}.{reference[2]}") if type_ else None

    for summary in index.python.values():
        routing = summary.get("routing") or {}
        if summary.get("module", "") in test_modules:
            continue
        for parent, child, prefix, kind, parent_type in routing.get("mounts", ()):
            if isinstance(prefix, list):
                prefix = setting(prefix)
            if parent_type in APP_ROOT_TYPES:
                apps.add(parent)  # also an app made inside a function: `app = FastAPI()` in `create_app()`
            child_name = object_named(child)
            if child_name is not None:
                # Flask: `register_blueprint(bp, url_prefix=...)` replaces the blueprint's own prefix.
                parents.setdefault(child_name, []).append((parent, prefix, kind == "register_blueprint" and prefix != ""))
        own_prefix.update(routing.get("prefixes", {}))
        handlers.update(routing.get("handlers", {}))
        for name in routing.get("dynamic", ()):
            (dynamic_owners if name in routers else dynamic_handlers).add(name)

    full: dict = {}

    def prefixes_of(owner: str, seen: frozenset) -> list:
        """[(backend, prefix or None, replaces its own prefix)] under which `owner`'s paths are served."""
        if owner in full:
            return full[owner]
        if owner in seen or len(seen) > 16:
            return []
        result = []
        if owner in apps and owner not in parents:
            result.append((owner, "", False))
        for parent, prefix, replaces in parents.get(owner, ()):
            for backend, above, _ in prefixes_of(parent, seen | {owner}):
                known = above is not None and prefix is not None and parent not in dynamic_owners
                result.append((backend, above + prefix if known else None, replaces))
        full[owner] = result
        return result

    routes = _django_routes(index)
    for rel_path in sorted(index.python):
        summary = index.python[rel_path]
        for record in summary.get("functions", ()):
            route = record.get("route")
            if not route or not route.get("confirmed", True) and object_named(route.get("owner") or "") is None:
                continue
            qualname = record["qualname"]
            owner = object_named(route.get("owner") or "") if route.get("owner") else None
            where = handlers.get(qualname)
            spots = prefixes_of(owner, frozenset()) if owner else []
            dynamic = qualname in dynamic_handlers or owner in dynamic_owners
            methods = tuple(route["methods"])
            extra = own_prefix.get(owner, "") if owner else ""
            common = dict(handler=qualname, file=rel_path, where=tuple(where[:4]) if where else (),
                          last_line=where[4] if where else 0)
            if not spots:
                routes.append(BackendRoute(methods, extra + route["path"], backend="", mounted=False, dynamic=dynamic, **common))
            for backend, prefix, replaces in spots:
                routes.append(BackendRoute(methods, (prefix or "") + ("" if replaces else extra) + route["path"], backend=backend,
                                           mounted=prefix is not None, dynamic=dynamic or prefix is None, **common))
    return routes


HTTP_METHOD_NAMES = ("get", "post", "put", "patch", "delete", "head", "options")
MAX_URLCONF_DEPTH = 12


def _django_routes(index) -> list:
    """Django views under each ROOT_URLCONF, following `include()` and `*urlpatterns` spreads."""
    from .test_paths import is_test_path

    modules: dict = {}  # module name -> (rel_path, summary)
    definitions: dict = {}  # qualname -> (rel_path, position)
    roots = set()
    for rel_path, summary in index.python.items():
        modules[summary.get("module", "")] = (rel_path, summary)
        routing = summary.get("routing") or {}
        if is_test_path(index.settings, rel_path):
            continue  # test settings name the same urlconf; test views serve no frontend
        for qualname, where in (routing.get("definitions") or {}).items():
            definitions[qualname] = (rel_path, where)
        if routing.get("root_urlconf"):
            roots.add(routing["root_urlconf"])
    if not roots:
        return []
    module_suffixes: dict = {}
    for name in modules:
        for suffix in dotted_suffixes(name):
            module_suffixes.setdefault(suffix, set()).add(name)
    definition_suffixes: dict = {}
    for name in definitions:
        for suffix in dotted_suffixes(name):
            definition_suffixes.setdefault(suffix, set()).add(name)

    def unique(name: str, table, suffixes: dict) -> Optional[str]:
        if name in table:
            return name
        found = set(suffixes.get(name, ())) | {s for s in dotted_suffixes(name) if s in table and "." in s}
        return found.pop() if len(found) == 1 else None

    def definition(name: str, depth: int = 0) -> Optional[str]:
        """A view's qualname, also through a package's re-exports (`plane.app.views.ProjectViewSet`)."""
        found = unique(name, definitions, definition_suffixes)
        if found is not None or depth > 5 or "." not in name:
            return found
        owner, _, last = name.rpartition(".")
        module = unique(owner, modules, module_suffixes)
        target = modules[module][1].get("imports", {}).get(last) if module else None
        return definition(target, depth + 1) if target and target != name else None

    methods_of: dict = {}
    for summary in index.python.values():
        for record in summary.get("functions", ()):
            owner, _, method = record["qualname"].rpartition(".")
            if method in HTTP_METHOD_NAMES:
                methods_of.setdefault(owner, set()).add(method.upper())

    routes = []

    def expand(module: Optional[str], prefix: str, backend: str, seen: frozenset) -> None:
        if module is None or module in seen or len(seen) > MAX_URLCONF_DEPTH:
            return
        routing = modules[module][1].get("routing") or {}
        for entry in routing.get("urlconf", ()):
            if entry[0] == "include":
                expand(unique(entry[2], modules, module_suffixes), prefix + entry[1], backend, seen | {module})
            elif entry[0] == "spread":
                owner, _, last = entry[1].rpartition(".")
                if last == "urlpatterns":
                    expand(unique(owner, modules, module_suffixes), prefix, backend, seen | {module})
            elif entry[0] == "view":
                handler = definition(entry[2])
                if handler is None:
                    continue
                rel_path, where = definitions[handler]
                methods = tuple(entry[3]) if entry[3] else tuple(sorted(methods_of.get(handler, ()))) or ("*",)
                routes.append(BackendRoute(methods, "/" + prefix + entry[1], handler, rel_path, tuple(where[:4]),
                                           where[4], backend, mounted=True, dynamic=False))

    for root in sorted(roots):
        expand(unique(root, modules, module_suffixes), "", f"django:{root}", frozenset())
    return routes


# -- the frontend: requests, wrappers, bases -----------------------------------------------------


class _Frontend:
    def __init__(self, index, found: RouteMap):
        from .react_index import react_index

        self.index = index
        self.files = index.tsx
        self.react = react_index(index)
        self.found = found
        self.api_prefix = (index.settings.get(API_PREFIX_SETTING) or "").rstrip("/")
        self._functions: dict = {}  # (file, name, this) -> request or None
        self._by_function: dict = {}  # file -> {named function: [its call records, in order]}
        self._callees: dict = {}  # (file, name, member) -> what `_callee` found
        self._exports: dict = {}  # (file, exported name) -> what `_exported_local` found
        self._resolved: dict = {}  # (importing folder, specifier) -> what `_resolve` found
        self._packages: Optional[dict] = None  # workspace package name -> its directory
        self._proxies: dict = {}  # directory -> proxy table or None

    # requests ----------------------------------------------------------------------------

    def request(self, rel_path: str, record: dict, depth: int, seen: set, this=None):
        """(method, parts, via) of a call record, its wrappers' arguments filled in; None when
        it is not (provably) one request. `this`: (file, class) whose instance runs the method
        the record is in (a subclass of the class defining it: its constructor gives the base)."""
        if this is None and record.get("fn") and "." in record["fn"]:
            owner = record["fn"].split(".", 1)[0]
            if owner in (self.files.get(rel_path, {}).get("http") or {}).get("classes", {}):
                this = (rel_path, owner)
        if "url" in record:
            url = self._constants(rel_path, record["url"], 0)
            if "field" in record:  # `this.axiosInstance.get(url)`
                base = self._field_base(this, record["field"]) if this is not None else None
                url = base + url if base is not None and url is not None else None
            return (record["method"], _merge(url), []) if url is not None else None
        if depth > MAX_WRAPPER_DEPTH:
            return None
        args = [self._constants(rel_path, arg, 0) if arg is not None else None for arg in record["args"]]
        instance = self._object_class(rel_path, record["callee"])
        if record["callee"][0] == "this" or instance is not None:
            this = instance or this  # `projectService.getProjects(slug)` for `projectService = new ProjectService()`
            found = self._method_of(this, record["callee"][1]) if this is not None and record["callee"][1] else None
            if found is None:
                return None
            file, name = found
        else:
            target = self._callee(rel_path, record["callee"])
            if target is None:
                return None
            kind, file, name = target
            if kind == "instance":
                base = self.files[file]["http"]["instances"].get(name, {}).get("base")
                verb = record["callee"][1]
                if base is None or verb not in HTTP_METHOD_NAMES or not args or args[0] is None:
                    return None
                base = self._constants(file, base, 0)
                return (verb.upper(), _merge(base + args[0]), []) if base is not None else None
            this = None  # a function, or a method of another object: its own class if any
        wrapped = self.function_request(file, name, depth + 1, seen, this)
        if wrapped is None:
            return None
        method, parts, via, at = wrapped
        filled = _fill(parts, args)
        if filled is None:
            return None
        return method, filled, [(file, at, f"`{name}` sends the request")] + list(via)

    def function_request(self, file: str, name: str, depth: int, seen: set, this=None):
        """The one request a project function makes (through its own wrappers), if exactly one."""
        key = (file, name, this)
        if key in self._functions:
            return self._functions[key]
        if key in seen:
            return None
        seen = seen | {key}
        found = []
        for record in self._records_of(file).get(name, ()):
            request = self.request(file, record, depth, seen, this)
            if request is not None:
                found.append((*request, tuple(record["at"])))
            elif "url" in record:
                found.append(None)  # a request we cannot read: the function is not one known request
        result = None
        if len(found) == 1 and found[0] is not None:
            method, parts, via, at = found[0]
            result = (method, parts, via, at)
        self._functions[key] = result
        return result

    def _records_of(self, file: str) -> dict:
        """The file's call records by the named function they are in (built once per file:
        every call of a project function asks for its function's records)."""
        found = self._by_function.get(file)
        if found is None:
            found = self._by_function[file] = {}
            for record in (self.files.get(file, {}).get("http") or {}).get("calls", ()):
                found.setdefault(record.get("fn"), []).append(record)
        return found

    # classes ----------------------------------------------------------------------------------

    def _class_chain(self, this) -> list:
        """[(file, class, its summary)] from `this` up through `extends` (same file or imported)."""
        chain, current = [], this
        while current is not None and len(chain) < 8:
            file, name = current
            info = (self.files.get(file, {}).get("http") or {}).get("classes", {}).get(name)
            if info is None:
                break
            chain.append((file, name, info))
            parent = info.get("extends")
            if not parent:
                break
            if parent in (self.files[file].get("http") or {}).get("classes", {}):
                current = (file, parent)
                continue
            spec = self.files[file].get("imports", {}).get(parent)
            target = self._resolve(file, spec[0]) if spec else None
            exported = self._exported_local(target, spec[1], 0) if target and spec[1] != "*" else None
            current = exported
        return chain

    def _object_class(self, rel_path: str, callee: list):
        """(file, class) of `x` in `x.method(...)` when `x` is a module-level `new Class()`, here
        or imported."""
        name, member = callee
        if member is None or name == "this":
            return None
        file, local = rel_path, name
        summary = self.files.get(rel_path, {})
        if name in summary.get("imports", {}):
            spec = summary["imports"][name]
            target = self._resolve(rel_path, spec[0])
            exported = self._exported_local(target, spec[1], 0) if target and spec[1] != "*" else None
            if exported is None:
                return None
            file, local = exported
        class_name = (self.files.get(file, {}).get("http") or {}).get("objects", {}).get(local)
        if class_name is None:
            return None
        http = self.files[file].get("http") or {}
        if class_name in http.get("classes", {}):
            return file, class_name
        spec = self.files[file].get("imports", {}).get(class_name)
        target = self._resolve(file, spec[0]) if spec else None
        return self._exported_local(target, spec[1], 0) if target and spec[1] != "*" else None

    def _method_of(self, this, method: str):
        """(file, "Class.method") of the class in `this`'s chain that defines `method`."""
        for file, name, info in self._class_chain(this):
            if method in info.get("methods", ()):
                return file, f"{name}.{method}"
        return None

    def _field_base(self, this, field: str) -> Optional[list]:
        """The base URL of `this.<field>` (an axios/ky instance a constructor made), with the
        constructor parameters it reads filled in from the `super(...)` calls below it."""
        chain = self._class_chain(this)
        for position, (file, _name, info) in enumerate(chain):
            if field in info.get("fields", {}):
                base = info["fields"][field]
                if base is None:
                    return None
                base = self._constants(file, base, 0)
                for below in range(position - 1, -1, -1):
                    if base is None or not any(part[0] == "a" for part in base):
                        break
                    sub_file, _, sub_info = chain[below]
                    given = [self._constants(sub_file, arg, 0) if arg is not None else None
                             for arg in sub_info.get("super") or ()]
                    base = _fill(base, given, unknown=None)
                if base is None or any(part[0] == "a" for part in base):
                    return None  # the class is built with a base we do not see
                return base
        return None

    def _constants(self, file: str, parts: Optional[list], depth: int) -> Optional[list]:
        """Imported constants (`["i", local]`) replaced by the value their module gives."""
        if parts is None or not any(part[0] == "i" for part in parts):
            return parts
        result = []
        for part in parts:
            if part[0] != "i":
                result.append(part)
                continue
            spec = self.files.get(file, {}).get("imports", {}).get(part[1])
            target = self._resolve(file, spec[0]) if spec else None
            exported = self._exported_local(target, spec[1], 0) if target and depth < 8 else None
            value = (self.files[exported[0]].get("http") or {}).get("consts", {}).get(exported[1]) if exported else None
            value = self._constants(exported[0], value, depth + 1) if value is not None else None
            if value is None:
                return None
            result += value
        return result

    def _resolve(self, rel_path: str, spec: str) -> Optional[str]:
        """The project file an import names: tsconfig resolution (react_index), else a package of
        this workspace (`@plane/constants` -> packages/constants, its `src/index.ts` or what its
        package.json names)."""
        key = (posixpath.dirname(rel_path), spec)  # files of one folder resolve an import alike
        try:
            return self._resolved[key]
        except KeyError:
            found = self._resolved[key] = self._find_module(rel_path, spec)
            return found

    def _find_module(self, rel_path: str, spec: str) -> Optional[str]:
        found = self.react.resolve(rel_path, spec)
        if found is not None or spec.startswith(".") or not spec:
            return found
        parts = spec.split("/")
        name, rest = ("/".join(parts[:2]), parts[2:]) if spec.startswith("@") else (parts[0], parts[1:])
        directory = self._workspace_packages().get(name)
        if directory is None:
            return None
        join = lambda *p: posixpath.join(directory, *p) if directory else posixpath.join(*p)  # noqa: E731
        if rest:
            return self.react._file_at(join("src", *rest)) or self.react._file_at(join(*rest))
        package = self.react.read_json(join("package.json")) or {}
        candidates = [package.get(key) for key in ("source", "types", "module", "main") if isinstance(package.get(key), str)]
        for entry in candidates:
            entry = posixpath.normpath(join(entry))
            # a built entry (`dist/index.mjs`) stands for the source it is built from (`src/index.ts`)
            stem = posixpath.splitext(posixpath.splitext(entry)[0])[0]
            for candidate in (entry, stem, stem.replace(join("dist"), join("src"), 1)):
                found = self.react._file_at(candidate)
                if found is not None:
                    return found
        return self.react._file_at(join("src", "index")) or self.react._file_at(join("index"))

    def _workspace_packages(self) -> dict:
        if self._packages is None:
            self._packages = {}
            seen: set = set()
            for rel_path in self.files:
                directory = posixpath.dirname(rel_path)
                while directory not in seen:
                    seen.add(directory)
                    package = self.react.read_json(posixpath.join(directory, "package.json") if directory else "package.json")
                    if isinstance(package, dict) and isinstance(package.get("name"), str):
                        self._packages.setdefault(package["name"], directory)
                    if not directory:
                        break
                    directory = posixpath.dirname(directory)
        return self._packages

    def _callee(self, rel_path: str, callee: list):
        """("function", file, name) or ("instance", file, name) for a called name."""
        key = (rel_path, *callee)
        try:
            return self._callees[key]
        except KeyError:
            found = self._callees[key] = self._find_callee(rel_path, *callee)
            return found

    def _find_callee(self, rel_path: str, name: str, member: Optional[str]):
        summary = self.files.get(rel_path, {})
        local = name if member is None else f"{name}.{member}"
        if local in self._records_of(rel_path):
            return "function", rel_path, local
        spec = summary.get("imports", {}).get(name)
        if not spec:
            return None
        module, imported = spec[0], spec[1]
        target = self._resolve(rel_path, module)
        if target is None:
            return None
        if imported == "*":
            if member is None:
                return None
            exported = self._exported_local(target, member, 0)
            return ("function", *exported) if exported else None
        exported = self._exported_local(target, imported, 0)
        if exported is None:
            return None
        file, local_name = exported
        if member is not None and local_name in (self.files[file].get("http") or {}).get("instances", {}):
            return "instance", file, local_name
        return "function", file, local_name if member is None else f"{local_name}.{member}"

    def _exported_local(self, rel_path: str, name: str, depth: int):
        """(file, local name) that `rel_path` exports as `name`, following re-exports."""
        if depth:
            return self._follow_export(rel_path, name, depth)
        key = (rel_path, name)
        try:
            return self._exports[key]
        except KeyError:
            found = self._exports[key] = self._follow_export(rel_path, name, 0)
            return found

    def _follow_export(self, rel_path: str, name: str, depth: int):
        summary = self.files.get(rel_path)
        if summary is None or depth > 16:
            return None
        entry = summary.get("exports", {}).get(name)
        if entry is None:
            for module in summary.get("star_reexports", ()) if name != "default" else ():
                target = self._resolve(rel_path, module)
                found = self._exported_local(target, name, depth + 1) if target else None
                if found:
                    return found
            return None
        reexport = entry.get("reexport")
        if reexport:
            target = self._resolve(rel_path, reexport[0])
            return self._exported_local(target, reexport[1], depth + 1) if target and reexport[1] != "*" else None
        local = entry.get("local")
        if not local:
            return None
        spec = summary.get("imports", {}).get(local)
        if spec:  # `import { api } from "./client"; export { api }`
            target = self._resolve(rel_path, spec[0])
            return self._exported_local(target, spec[1], depth + 1) if target and spec[1] != "*" else None
        return rel_path, local

    # bases --------------------------------------------------------------------------------

    def backend_path(self, rel_path: str, parts: list):
        """(parts of the backend path, the prefix the frontend adds) for a request's URL, or
        (None, "") when where it goes cannot be proven."""
        if not parts:
            return None, ""
        first = parts[0]
        rest = parts[1:]
        if first[0] == "e":
            if first[1] is None:
                return None, ""
            first = ["s", first[1]]
        if first[0] != "s":
            return None, ""
        text = first[1]
        direct = False
        if _ANY_URL.match(text):
            local = _LOCAL_URL.match(text)
            if local is None:
                return None, ""  # another host
            text, direct = local.group(1) or "", True
        parts = _merge([["s", text]] + rest)
        if not parts or parts[0][0] != "s" or not parts[0][1].startswith("/"):
            return None, ""
        if direct:
            return parts, ""
        path = parts[0][1]
        proxy = self._proxy_for(rel_path)
        stripped = ""
        if proxy is not None:
            rule = next((item for item in proxy if _under(path, item[0])), None)
            if rule is None:
                return None, ""  # the dev server serves it, not the backend
            if rule[1]:
                stripped = rule[0]
        elif self.api_prefix and _under(path, self.api_prefix):
            stripped = self.api_prefix
        if stripped:
            remainder = path[len(stripped):]
            if not remainder and len(parts) > 1:
                return None, ""  # `/api${path}`: the path is a run-time value
            parts = [["s", remainder or "/"]] + parts[1:]
        return parts, stripped

    def _proxy_for(self, rel_path: str):
        """[(prefix, strips)] from the nearest vite config or package.json `proxy`; None if none."""
        directory = posixpath.dirname(rel_path)
        while True:
            if directory not in self._proxies:
                self._proxies[directory] = self._proxy_in(directory)
            table = self._proxies[directory]
            if table is not None:
                return table or None
            if not directory:
                return None
            directory = posixpath.dirname(directory)

    def _proxy_in(self, directory: str):
        """The proxy table of a package directory ([] for a package without one), None when
        the directory is no package (look further up)."""
        join = lambda name: posixpath.join(directory, name) if directory else name  # noqa: E731
        package = self.react.read_json(join("package.json"))
        for name in VITE_CONFIGS:
            text = self.react._read(join(name))
            if text is not None:
                self.found.inputs.add(join(name))
                return _vite_proxy(text)
        if package is not None:
            self.found.inputs.add(join("package.json"))
            if isinstance(package, dict) and isinstance(package.get("proxy"), str):
                return [("/", False)]
            return []
        return None


def _vite_proxy(text: str) -> list:
    """[(prefix, strips)] of a vite config's `server.proxy` table (longest prefix first)."""
    block = _PROXY_BLOCK.search(text)
    if block is None:
        return []
    depth, end = 1, block.end()
    while end < len(text) and depth:
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        end += 1
    body = text[block.end():end]
    rules = []
    keys = list(_PROXY_KEY.finditer(body))
    for position, key in enumerate(keys):
        stop = keys[position + 1].start() if position + 1 < len(keys) else len(body)
        entry = body[key.end():stop]
        strips = False
        rewrite = _STRIP_REWRITE.search(entry)
        if rewrite is not None:
            strips = rewrite.group(2).replace("\\/", "/") == key.group(1)
        elif "rewrite" in entry:
            continue  # a rewrite we cannot read: paths under it are not matched
        rules.append((key.group(1).rstrip("/") or "/", strips))
    return sorted(rules, key=lambda r: -len(r[0]))


def _under(path: str, prefix: str) -> bool:
    return prefix == "/" or path == prefix or path.startswith(prefix.rstrip("/") + "/")


def _fill(parts: list, args: list, unknown=(("h",),)) -> Optional[list]:
    """A function's parameters (`["a", i]`) in `parts` replaced by its caller's arguments (an
    argument we cannot read: `unknown`, a run-time value by default, or None: give up)."""
    filled = []
    for part in parts:
        if part[0] == "a":
            value = args[part[1]] if part[1] < len(args) else None
            if value is None and unknown is None:
                return None
            filled += value if value is not None else [list(p) for p in unknown]
        else:
            filled.append(part)
    return _merge(filled)


def _merge(parts: list) -> list:
    merged: list = []
    for part in parts:
        if part[0] == "s" and merged and merged[-1][0] == "s":
            merged[-1] = ["s", merged[-1][1] + part[1]]
        elif part[0] != "s" or part[1]:
            merged.append(part)
    return merged


def _display(parts: list) -> str:
    out = []
    for part in parts:
        if part[0] == "s":
            out.append(part[1])
        elif part[0] == "e":
            out.append("${env}" if part[1] is None else part[1])
        else:
            out.append("${}")
    return "".join(out)


# -- matching ------------------------------------------------------------------------------------


LITERAL, PARAM, REST = "literal", "param", "rest"


def frontend_segments(parts: list) -> Optional[list]:
    """[(kind, text)] of a backend path as the frontend builds it; None when a segment mixes
    text and a run-time value (or a wrapper's parameter is left)."""
    segments: list = [[]]
    for part in parts:
        if part[0] == "s":
            text = part[1]
            cut = min((i for i in (text.find("?"), text.find("#")) if i >= 0), default=-1)
            pieces = (text[:cut] if cut >= 0 else text).split("/")
            segments[-1].append(("s", pieces[0]))
            for piece in pieces[1:]:
                segments.append([("s", piece)])
            if cut >= 0:
                break
        elif part[0] == "h":
            segments[-1].append(("h", ""))
        else:
            return None
    result = []
    for pieces in segments[1:]:  # the first is before the leading "/"
        pieces = [p for p in pieces if p != ("s", "")]
        if not pieces:
            result.append((LITERAL, ""))
        elif len(pieces) == 1 and pieces[0][0] == "h":
            result.append((PARAM, ""))
        elif all(p[0] == "s" for p in pieces):
            text = "".join(p[1] for p in pieces)
            result.append((PARAM, text) if _OPENAPI_PARAM.match(text) else (LITERAL, text))
        else:
            return None
    while result and result[-1] == (LITERAL, ""):
        result.pop()
    return result


def backend_segments(path: str) -> Optional[list]:
    result = []
    for piece in path.split("/")[1:]:
        param = _BACKEND_PARAM.match(piece)
        if param is not None:
            converter = param.group(2) or param.group(3)
            result.append((REST, piece) if converter == "path" else (PARAM, converter or ""))
        elif "{" in piece or "<" in piece:
            return None  # text and a parameter in one segment, or a regular expression
        else:
            result.append((LITERAL, piece))
    while result and result[-1] == (LITERAL, ""):
        result.pop()
    return result


class _Matcher:
    def __init__(self, routes: list):
        self.all = routes
        self.routes = [(i, backend_segments(r.path)) for i, r in enumerate(routes) if r.mounted and not r.dynamic]
        # A path without a `{rest:path}` segment matches only paths of its own length (see _score).
        self.fixed_length = {i: len(segments) for i, segments in self.routes
                             if segments is not None and all(kind != REST for kind, _ in segments)}

    def match(self, method: Optional[str], parts: list) -> Optional[int]:
        """The one route the request reaches: the method agrees (any, when the request's is not
        known, if all candidates share one handler), and of the paths that match, one agrees on
        more literal segments than any other; None otherwise."""
        wanted = frontend_segments(parts)
        if wanted is None:
            return None
        scored = []
        length = len(wanted)
        for position, segments in self.routes:
            if self.fixed_length.get(position, length) != length:
                continue
            route = self.all[position]
            if segments is None or method is not None and method not in route.methods and "*" not in route.methods:
                continue
            score = _score(wanted, segments)
            if score is not None:
                scored.append((score, position))
        if not scored:
            return None
        best = max(score for score, _ in scored)
        top = [position for score, position in scored if score == best]
        if method is None and len({self.all[p].handler for p in top}) == 1:
            return top[0]
        return top[0] if len(top) == 1 else None


_CONVERTERS = {
    "int": re.compile(r"^[0-9]+$"),
    "uuid": re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"),
    "float": re.compile(r"^[0-9]+(?:\.[0-9]+)?$"),
}


def _fits(converter: str, text: str) -> bool:
    """Whether a literal segment is a value of a typed parameter (`7` of `<int:pk>`)."""
    pattern = _CONVERTERS.get(converter)
    return pattern is None or pattern.match(text) is not None


def _score(wanted: list, segments: list) -> Optional[int]:
    """How many literal segments agree (None: no match)."""
    score = 0
    for position, (kind, text) in enumerate(segments):
        if kind == REST:
            return score if len(wanted) > position else None
        if position >= len(wanted):
            return None
        want_kind, want_text = wanted[position]
        if kind == LITERAL:
            if want_kind != LITERAL or want_text != text:
                return None
            score += 1
        elif want_kind == LITERAL and (want_text == "" or not _fits(text, want_text)):
            return None  # `/projects/archived/` is no `<uuid:pk>`
    return score if len(wanted) == len(segments) else None


# -- `perfscan routes` ---------------------------------------------------------------------------


def map_of_run(result, settings: Optional[dict] = None) -> tuple:
    """(RouteMap, index) for a finished run: the index from every project file's summary."""
    from .project import ProjectIndex

    index = ProjectIndex.build(result.root, result.project_summaries() if result.project_summaries else {}, settings)
    return route_map(index), index


def routes_data(found: RouteMap, index, findings=()) -> dict:
    """The map as plain data: each route with its handler, frontend callers and the findings on
    the way (in the handler, and at each step of its slow call); the requests linked to none."""
    routes = []
    for position, route in enumerate(found.routes):
        callers = found.callers(position)
        cost_code, cost = handler_cost(index, route.handler)
        on_the_way = _findings_on_the_way(route, cost, findings)
        routes.append({
            "route": route.display,
            "methods": list(route.methods),
            "path": route.path,
            "mounted": route.mounted,
            "dynamic": route.dynamic,
            "backend": route.backend or None,
            "handler": {"name": route.handler, "path": route.file,
                        "line": route.where[0] if route.where else None, "col": route.where[1] if route.where else None},
            "callers": [_call_data(call) for call in callers],
            "cost": {"rule": cost_code, "steps": [_step_data(step) for step in cost]} if cost_code else None,
            "findings": [{"code": f.code, "path": f.span.path, "line": f.span.line, "col": f.span.col, "message": f.message}
                         for f in on_the_way],
        })
    unlinked = [_call_data(call) for call in found.calls if call.route is None]
    return {
        "routes": routes,
        "unlinked_calls": unlinked,
        "summary": {
            "routes": len(found.routes),
            "mounted_routes": sum(1 for r in found.routes if r.mounted and not r.dynamic),
            "frontend_calls": len(found.calls),
            "linked_calls": sum(1 for c in found.calls if c.route is not None),
        },
    }


def _call_data(call: FrontendCall) -> dict:
    return {"path": call.file, "line": call.where[0], "col": call.where[1], "method": call.method, "url": call.url,
            "backend_path": call.backend_path, "request": call.display or None,
            "via": [{"path": file, "line": where[0], "col": where[1], "message": text} for file, where, text in call.via]}


def _step_data(step: tuple) -> dict:
    return {"path": step[0], "line": step[1], "col": step[2], "message": step[5]}


def _findings_on_the_way(route: BackendRoute, cost: tuple, findings) -> list:
    spots = {(step[0], step[1], step[2]) for step in cost}
    found = []
    for finding in findings:
        span = finding.span
        in_handler = route.where and span.path == route.file and route.where[0] <= span.line <= route.last_line
        if in_handler or (span.path, span.line, span.col) in spots:
            found.append(finding)
    return sorted(found, key=lambda f: f.sort_key())


def render_routes_text(data: dict) -> str:
    lines = []
    for route in data["routes"]:
        handler = route["handler"]
        where = f"{handler['path']}:{handler['line']}:{handler['col']}" if handler["line"] else handler["path"]
        note = "" if route["mounted"] and not route["dynamic"] else (
            "  (dynamic path: not matched)" if route["dynamic"] else "  (router mounted nowhere: not matched)")
        lines.append(f"{route['route']}  {where} {handler['name'].rsplit('.', 1)[-1]}{note}")
        for caller in route["callers"]:
            lines.append(f"  <- {caller['path']}:{caller['line']}:{caller['col']}  {caller['request']}")
        for finding in route["findings"]:
            lines.append(f"  !! {finding['path']}:{finding['line']}:{finding['col']}: {finding['code']} {finding['message']}")
    if data["unlinked_calls"]:
        lines.append("")
        lines.append("Frontend requests linked to no route:")
        for call in data["unlinked_calls"]:
            lines.append(f"  {call['path']}:{call['line']}:{call['col']}  {call['method'] or '?'} {call['url']}")
    summary = data["summary"]
    lines.append("")
    lines.append(f"{summary['routes']} routes ({summary['mounted_routes']} with a proven full path), "
                 f"{summary['frontend_calls']} frontend requests, {summary['linked_calls']} linked to a route.")
    return "\n".join(lines) + "\n"


# -- what a TSX rule reports of the route a request reaches -------------------------------------


@dataclass(frozen=True)
class RequestLink:
    """The route a reported request reaches, as a TSX rule attaches it to its finding: the
    handler as a related location, the code flow from the request through the frontend wrappers
    to the handler and on to its slow call, and the words for the message."""

    link: RouteLink
    related: Related
    flow: tuple
    properties: dict = field(hash=False, compare=False, default_factory=dict)

    def handler_cost(self, reference: int) -> str:
        """"handled by [`get_user`](3), which blocks the event loop with `db.execute` (PF201)" (or
        "which runs one query per item (PF301)");
        `reference`: the handler's number among the finding's related locations."""
        name = self.link.handler.rsplit(".", 1)[-1]
        text = f"handled by [`{name}`]({reference}) (`{self.link.route}`)"
        if self.link.cost_code == "PF201":
            last = self.link.cost[-1][5]
            what = last.split("`")[1] if last.count("`") >= 2 else "a blocking call"
            text += f", which blocks the event loop with `{what}` (PF201) on every one of them"
        elif self.link.cost_code == "PF301":
            text += ", which runs one query per item (PF301) on every one of them"
        return text


def request_link(ctx, call) -> Optional[RequestLink]:
    """The backend route the request `call` (a node of the file `ctx` checks) provably reaches."""
    span = ctx.source.span(call)
    link = route_for_call(ctx.index, span.path, span.line, span.col)
    if link is None:
        return None
    name = link.handler.rsplit(".", 1)[-1]
    handler = Span(*link.handler_at) if len(link.handler_at) == 5 else None
    if handler is None:
        return None
    flow = [FlowStep(span, f"requests `{link.display}`")]
    flow += [FlowStep(Span(file, *where[:4]), text) for file, *where, text in link.via]
    flow.append(FlowStep(handler, f"`{name}` handles `{link.route}`"))
    flow += [FlowStep(Span(file, *where[:4]), (f"{link.cost_code}: " if i == len(link.cost) - 1 else "") + text)
             for i, (file, *where, text) in enumerate(link.cost)]
    properties = {"request": link.display, "route": link.route, "handler": link.handler}
    if link.cost_code:
        properties["handler_finding"] = link.cost_code
    return RequestLink(link, Related(handler, f"`{name}`"), tuple(flow), properties)
