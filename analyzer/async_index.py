"""The project's async index, built once per run from the Python summaries
(`async_index(index)`): which project functions may block, through which
chain of calls; route registrations; session factories; one resolver from
import-based names to project functions.

Names in a file are qualified by how that file imports them (`app.db.get_db`)
while module names come from paths (`backend.app.db`): `ProjectNames.resolve`
accepts the exact name, a unique dotted-suffix match in either direction,
re-exports through a package's imports (`from .analytics import f` in
`services/__init__.py`, also of a class: `services.Client.fetch`), `module.obj.method`
for module-level instances, methods a class inherits from project bases
(`self.helper()`), and `f().method` on what project function `f` returns
(`data_dir().iterdir` -> `pathlib.Path.iterdir` for `def data_dir() -> Path`).

"May block" is computed for every sync function at once, when first asked, by a breadth-first
walk backwards from the functions that block directly, so each function gets
its shortest chain, every edge is visited once, and cycles terminate.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import deque
from dataclasses import dataclass, field
from typing import Optional

from .facts.python import ROUTE_STYLES, Route, build_object_types, dotted_suffixes
from .facts.python_async import ASYNC_MAKERS, ASYNC_SESSION_TYPES, SYNC_MAKERS, SYNC_SESSION_TYPES
from .findings import FlowStep, Span
from .project import question


@dataclass
class FunctionInfo:
    qualname: str
    path: str
    is_async: bool
    calls: list  # (callee, line, col, end_line, end_col, awaited, offloaded)
    blocking: list  # [line, col, end_line, end_col, what, category, condition]
    offloaded: bool = False
    route: Optional[dict] = None  # the route its decorator declares (Route.as_dict), if any
    module: str = ""
    returns: Optional[str] = None  # the type it returns (annotation or constructed class), as its file spells it
    per_row: tuple = ()  # [code, line, col, end_line, end_col, text] of its queries per loop iteration (PF301)


@dataclass(frozen=True)
class Step:
    path: str
    where: tuple  # (line, col, end_line, end_col)
    message: str

    def flow_step(self) -> FlowStep:
        return FlowStep(Span(self.path, *self.where), self.message)


class DottedNames:
    """A set of dotted names, found by the exact name or by a unique dotted-suffix match in
    either direction: `app.db.get_db` finds `backend.app.db.get_db`, and so does
    `x.backend.app.db.get_db`."""

    def __init__(self, names):
        self.names = names if isinstance(names, (set, frozenset, dict)) else set(names)
        # Reversed and sorted, the names ending with `.x` are one run, found by bisection: no
        # table of every suffix of every name (five entries a name on saleor's 22,000 functions).
        self._reversed = sorted({name[::-1] for name in self.names})

    def __contains__(self, name) -> bool:
        return name in self.names

    def ending_with(self, name: str, limit: Optional[int] = None) -> list:
        """The names `n` with `n.endswith("." + name)` (at most `limit` of them)."""
        key = name[::-1] + "."
        names = self._reversed
        found = []
        at = bisect_left(names, key)
        while at < len(names) and names[at].startswith(key) and (limit is None or len(found) < limit):
            found.append(names[at][::-1])
            at += 1
        return found

    def unique(self, name: str) -> Optional[str]:
        """`name` itself, or the one name it is a dotted suffix of or that is a dotted suffix of it."""
        if name in self.names:
            return name
        found = self.ending_with(name, limit=2)
        if len(found) > 1:
            return None
        names = self.names
        start = name.find(".")
        while start != -1:  # dotted_suffixes(name), inline: this runs for every name resolved
            suffix = name[start + 1:]
            if suffix in names:
                found.append(suffix)
                if len(found) > 1:
                    return None
            start = name.find(".", start + 1)
        return found[0] if found else None


class ProjectNames:
    """Resolves a qualified name as one file spells it to a project name.

    Each name is resolved once per run (`resolve` and `result_method` remember their answers):
    82,000 calls on saleor name 10,000 callees."""

    def __init__(self, names, modules: dict, objects: dict, bases: Optional[dict] = None, returns: Optional[dict] = None,
                 awaited_returns: Optional[dict] = None):
        self.names = set(names)
        self._functions = DottedNames(self.names)
        self.bases = bases or {}  # class qualname -> its bases, as its file spells them
        self._classes = DottedNames(self.bases)
        self.returns = returns or {}  # sync function qualname -> the type it returns
        self.awaited_returns = awaited_returns or {}  # async function qualname -> the type `await f()` gives
        self.modules = modules  # module name -> its imports {local: qualified}
        self._modules = DottedNames(modules)
        self.objects = objects  # module-level instance name -> type
        self._objects = DottedNames(objects)
        self._resolved: dict = {}  # name -> resolve(name)
        self._result_methods: dict = {}  # name -> result_method(name)
        self._module_of: dict = {}  # name -> module(name): many names share an owner

    def object_type(self, name: str) -> Optional[str]:
        """The type of a module-level instance, by exact name or unique suffix
        match in either direction."""
        type_ = self.objects.get(name)
        if type_ is not None:
            return type_
        found = {self.objects[longer] for longer in self._objects.ending_with(name)}
        found |= {self.objects[s] for s in dotted_suffixes(name) if s in self.objects and "." in s}
        return found.pop() if len(found) == 1 else None

    def module(self, name: str) -> Optional[str]:
        try:
            return self._module_of[name]
        except KeyError:
            found = self._module_of[name] = self._modules.unique(name)
            return found

    def project_class(self, name: str, through_imports: bool = False) -> Optional[str]:
        """The project class `name` spells (exact or unique dotted-suffix match); with
        `through_imports`, also `pkg.Base` for `from .base import Base` in `pkg/__init__.py`."""
        found = self._classes.unique(name)
        if found is None and through_imports:
            imported = self._through_imports(name)
            found = self._classes.unique(imported) if imported else None
        return found

    def resolve(self, name: Optional[str], depth: int = 0) -> Optional[str]:
        if depth:  # within another name's resolution: its depth bounds this one's
            return self._resolve(name, depth)
        try:
            return self._resolved[name]
        except KeyError:
            found = self._resolved[name] = self._resolve(name, 0)
            return found

    def _resolve(self, name: Optional[str], depth: int) -> Optional[str]:
        if not name or "." not in name or depth > 8:
            return None
        if "(" in name:  # `pkg.cfg.client().fetch`: a method of what a project function returns
            return self.resolve(self.result_method(name, depth + 1), depth + 1)
        found = self._functions.unique(name)
        if found is not None:
            return found
        owner, _, last = name.rpartition(".")
        module = self.module(owner)
        if module is not None:
            target = self.modules[module].get(last)
            if target and target != name:
                return self.resolve(target, depth + 1)
            return None
        type_ = self.object_type(owner) if "." in owner else None
        if type_ is not None:
            return self.resolve(f"{type_}.{last}", depth + 1)
        imported = self._through_imports(owner)
        if imported is not None:  # `pkg.Client.fetch` with `from .client import Client` in pkg/__init__.py
            return self.resolve(f"{imported}.{last}", depth + 1)
        cls = self.project_class(owner)
        for base in self.bases.get(cls, ()) if cls else ():  # inherited: `self.helper()` defined in a base
            found = self.resolve(f"{base}.{last}", depth + 1)
            if found is not None:
                return found
        return None

    def _through_imports(self, owner: str) -> Optional[str]:
        """`pkg.Client` -> `pkg.client.Client` when the module `pkg` imports `Client` from there
        (the longest module prefix of `owner` decides)."""
        parts = owner.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = self.module(".".join(parts[:cut]))
            if module is None:
                continue
            target = self.modules[module].get(parts[cut])
            if not target:
                return None
            expanded = ".".join([target, *parts[cut + 1:]])
            return expanded if expanded != owner else None
        return None

    def result_method(self, name: str, depth: int = 0) -> Optional[str]:
        """`app.cfg.data_dir().iterdir` -> `pathlib.Path.iterdir` when the project function
        `data_dir` returns a `Path` (annotated, or every `return` constructs one); `fetch(await).m`
        for `x = await fetch(); x.m()` with an async `fetch`."""
        if depth:
            return self._result_method(name, depth)
        try:
            return self._result_methods[name]
        except KeyError:
            found = self._result_methods[name] = self._result_method(name, 0)
            return found

    def _result_method(self, name: str, depth: int) -> Optional[str]:
        returns = self.returns
        function, _, method = name.partition("().")
        if not method:
            returns = self.awaited_returns
            function, _, method = name.partition("(await).")
        if not method or "(" in method or "." in method:
            return None
        qualname = self.resolve(function, depth)
        type_ = returns.get(qualname) if qualname else None
        return f"{type_}.{method}" if type_ else None


@dataclass
class AsyncIndex:
    names: ProjectNames
    functions: dict  # qualname -> FunctionInfo
    factories: dict  # qualname -> kind list
    routes: dict  # handler qualname -> Route (registered by call)
    class_routes: dict  # class qualname -> Route (Django class-based views)
    object_types: dict
    aliases: dict = field(default_factory=dict)  # module-level type alias -> (type, Depends target)
    _alias_suffixes: Optional[dict] = None
    # The blocking cause (the last Step of a chain) -> [Caller]: async functions calling a sync
    # helper whose chain ends there. Filled by `blocking_groups(index)`.
    groups: Optional[dict] = None
    _awaited_names: Optional[set] = None
    _chains: Optional[dict] = None

    @property
    def chains(self) -> dict:
        """qualname -> tuple[Step], for every sync function that may block: made on first use
        (the per-request functions, the query functions and session kinds need the names only)."""
        if self._chains is None:
            chains: dict = {}
            _compute_chains(self, chains)
            self._chains = chains
        return self._chains

    @property
    def awaited_names(self) -> set:
        """Callee names some project code awaits (made on first use: only PF201 asks, for some async functions)."""
        if self._awaited_names is None:
            self._awaited_names = {call[0] for info in self.functions.values() for call in info.calls if call[5]}
        return self._awaited_names

    # -- sessions ---------------------------------------------------------------

    def session_kind(self, ref, depth: int = 0) -> Optional[str]:
        """"sync" / "async" / None for a session reference from the facts."""
        if not ref or depth > 4:
            return None
        kind = ref[0]
        if kind in ("sync", "async"):
            return kind
        if kind == "maker":
            alias = self.alias(ref[1])
            if alias is not None:  # `SessionDep = Annotated[Session, Depends(get_db)]` in another module
                type_, depends = alias
                if type_ in SYNC_SESSION_TYPES:
                    return "sync"
                if type_ in ASYNC_SESSION_TYPES:
                    return "async"
                return self.session_kind(("depends", depends), depth + 1) if depends else None
            type_ = self.names.object_type(ref[1])
            if type_ in SYNC_MAKERS:
                return "sync"
            if type_ in ASYNC_MAKERS:
                return "async"
            if type_ is not None:
                return None
            kind = "depends"  # not an object: maybe a function handing out sessions
        if kind == "depends":
            target = self.names.resolve(ref[1])
            factory = self.factories.get(target) if target else None
            return self.session_kind(factory, depth + 1) if factory else None
        return None

    def alias(self, name: str) -> Optional[tuple]:
        """A module-level type alias by exact name or unique dotted-suffix match either way
        (`app.api.deps.SessionDep` for `backend/app/api/deps.py`)."""
        if name in self.aliases:
            return self.aliases[name]
        if self._alias_suffixes is None:
            self._alias_suffixes = {}
            for key in self.aliases:
                for suffix in dotted_suffixes(key):
                    if "." in suffix:
                        self._alias_suffixes.setdefault(suffix, set()).add(key)
        found = set(self._alias_suffixes.get(name, ())) | {s for s in dotted_suffixes(name) if "." in s and s in self.aliases}
        return self.aliases[found.pop()] if len(found) == 1 else None

    # -- functions ------------------------------------------------------------

    def function(self, callee: Optional[str]) -> Optional[FunctionInfo]:
        name = self.names.resolve(callee)
        return self.functions.get(name) if name else None

    def chain(self, qualname: str) -> Optional[tuple]:
        """Steps from the first call in `qualname` to the blocking call, when
        that sync project function may block."""
        return self.chains.get(qualname)

    def is_awaited_somewhere(self, qualname: str) -> bool:
        return qualname in self.awaited_names or any(s in self.awaited_names for s in dotted_suffixes(qualname) if "." in s)

    def route_for(self, qualname: str, class_name: Optional[str], name: str) -> Optional[Route]:
        """A route registered by call for the function (or its class-based view)."""
        route = self._lookup(self.routes, qualname)
        if route is None and class_name and name in ("get", "post", "put", "patch", "delete", "head", "options"):
            route = self._lookup(self.class_routes, qualname.rsplit(".", 1)[0])
            if route is not None:
                route = Route(route.framework, (name.upper(),), route.path, route.owner, True)
        return route

    @staticmethod
    def _lookup(table: dict, qualname: str):
        if qualname in table:
            return table[qualname]
        found = [table[s] for s in dotted_suffixes(qualname) if s in table and "." in s]
        return found[0] if len(found) == 1 else None


@dataclass(frozen=True)
class Caller:
    """An async function's call of a sync project helper that blocks (one finding before grouping)."""

    qualname: str  # the async function
    display: str  # "async route `GET /x`" or "async function `f`"
    route: Optional[str]  # the route it handles, as displayed
    path: str
    where: tuple  # the call (line, col, end_line, end_col)
    helper: str  # qualname of the sync function called
    chain: tuple  # Steps from the helper's first call to the blocking call
    in_tests: bool


def blocking_groups(index) -> dict:
    """{cause Step: [Caller, ...]} over the project, once per run. Test files' callers are left
    out unless tests are included (analyzer/test_paths.py): they are not checked at all then."""
    from .blocking import blocking_call
    from .test_paths import includes_tests, is_test_path

    found = async_index(index)
    if found.groups is not None:
        return found.groups
    settings = index.settings
    include = includes_tests(settings)
    groups: dict = {}
    test_files: dict = {}  # path -> whether it is test code, asked once per file
    for info in found.functions.values():
        if not info.is_async:
            continue
        in_tests = test_files.get(info.path)
        if in_tests is None:
            in_tests = test_files[info.path] = is_test_path(settings, info.path)
        if in_tests and not include:
            continue
        display = None
        for callee, line, col, end_line, end_col, awaited, offloaded in info.calls:
            # The calls PF201 follows into helpers (rules/python/pf201: _check_helpers).
            if awaited or offloaded or not callee or "." not in callee or blocking_call(callee) is not None:
                continue
            target = found.function(callee)
            if target is None or target.is_async or target.offloaded:
                continue
            chain = found.chain(target.qualname)
            if not chain:
                continue
            if display is None:
                route = _caller_route(index, info)
                display = (f"async route `{route.display}`", route.display) if route else (
                    f"async function `{info.qualname.rsplit('.', 1)[-1]}`", None)
            groups.setdefault(chain[-1], []).append(
                Caller(info.qualname, display[0], display[1], info.path, (line, col, end_line, end_col),
                       target.qualname, chain, in_tests)
            )
    found.groups = groups
    return groups


def _caller_route(index, info: FunctionInfo) -> Optional[Route]:
    decorated = None
    if info.route:
        r = info.route
        decorated = (r["framework"], tuple(r["methods"]), r["path"], r["owner"], r["confirmed"])
    local = info.qualname[len(info.module) + 1:] if info.module and info.qualname.startswith(info.module + ".") else info.qualname
    class_name = local.rsplit(".", 1)[0] if "." in local else None
    return _route(index, decorated, info.qualname, class_name, info.qualname.rsplit(".", 1)[-1], False)


# At least this many calls from async code reaching one blocking cause are reported once, at the
# cause; a single call stays where it is made (it is fixed there: a thread, or `def` for a route).
FOLD_FROM = 2


def _blocking_label(what: str, category: str) -> str:
    return f"`{what}` blocks ({category})"


def build_async_index(index) -> AsyncIndex:
    functions: dict = {}
    factories: dict = {}
    modules: dict = {}
    bases: dict = {}
    routes: dict = {}
    class_routes: dict = {}
    aliases: dict = {}
    for rel_path, summary in index.python.items():
        for name, alias in (summary.get("aliases") or {}).items():
            aliases[f"{summary.get('module', '')}.{name}"] = tuple(alias)
        data = summary.get("async") or {}
        modules[summary.get("module", "")] = summary.get("imports", {})
        bases.update(summary.get("bases") or {})
        offloaded = set(data.get("offloaded", ()))
        blocking = data.get("blocking", {})
        for record in summary.get("functions", ()):
            qualname = record["qualname"]
            functions[qualname] = FunctionInfo(
                qualname, rel_path, record["is_async"], record["calls"], blocking.get(qualname, []),
                offloaded=qualname in offloaded, route=record.get("route"), module=summary.get("module", ""),
                returns=record.get("returns"), per_row=tuple(record.get("per_row", ())),
            )
        factories.update(data.get("factories", {}))
        for target, framework, methods, path, class_view in data.get("routes", ()):
            route = Route(framework, tuple(methods), path, None, True)
            (class_routes if class_view else routes)[target] = route
    object_types = index.get_derived("python.objects", build_object_types)
    names = ProjectNames(functions.keys(), modules, object_types, bases,
                         {q: f.returns for q, f in functions.items() if f.returns and not f.is_async},
                         {q: f.returns for q, f in functions.items() if f.returns and f.is_async})
    return AsyncIndex(names, functions, factories, routes, class_routes, object_types, aliases=aliases)


def _compute_chains(result: AsyncIndex, chains: dict) -> None:
    from .blocking import blocking_call

    names = result.names
    callers: dict = {}  # callee qualname -> [(caller qualname, path, where)]
    queue = deque()
    for info in result.functions.values():
        if info.is_async or info.offloaded:
            continue
        qualname, path = info.qualname, info.path
        for line, col, end_line, end_col, what, category, condition in info.blocking:
            if condition and result.session_kind(condition) != "sync":
                continue
            chains[qualname] = (Step(path, (line, col, end_line, end_col), _blocking_label(what, category)),)
            queue.append(qualname)
            break
        for callee, line, col, end_line, end_col, awaited, offloaded in info.calls:
            if awaited or offloaded:
                continue
            if "(" in callee and qualname not in chains:
                # `data_dir().iterdir()`: a library method of what a project function returns
                method = names.result_method(callee)
                entry = blocking_call(method)
                if entry is not None:
                    chains[qualname] = (Step(path, (line, col, end_line, end_col), _blocking_label(method, entry.category)),)
                    queue.append(qualname)
                    continue
            target = names.resolve(callee)
            if target is None or target == qualname:
                continue
            # Most callees never block: their callers' Steps are made only if one does.
            callers.setdefault(target, []).append((qualname, path, (line, col, end_line, end_col)))
    _spread_to_callers(chains, queue, callers, "calls", lambda step, chain: (step,) + chain)


def _spread_to_callers(chains: dict, queue: deque, callers: dict, verb: str, extend) -> None:
    """Breadth first from the functions in `queue` (already in `chains`) back to their callers
    (`callers`: callee qualname -> [(caller qualname, path, where)]): each caller gets
    `extend(Step "<verb> `callee`", the callee's entry)` once, so each has its shortest chain
    and cycles end."""
    while queue:
        done = queue.popleft()
        waiting = callers.get(done)
        if not waiting:
            continue
        label = f"{verb} `{done.rsplit('.', 1)[-1]}`"
        for caller, path, where in waiting:
            if caller not in chains:
                chains[caller] = extend(Step(path, where, label), chains[done])
                queue.append(caller)


def async_index(index) -> AsyncIndex:
    return index.get_derived("async.index", build_async_index)


def route_of(function, facts, index) -> Optional[Route]:
    """The route `function` handles: its decorator (confirmed through the
    project when the app object is imported) or a registration by call."""
    decorated = function.route.as_fields() if function.route else None
    return _route(index, decorated, function.qualname, function.class_name, function.name, function.is_lambda)


# The questions rules ask about async and blocking code (see analyzer/project.py).


@question
def _route(index, decorated: Optional[tuple], qualname: str, class_name: Optional[str], name: str, is_lambda: bool):
    """`decorated`: the fields of the route a decorator declares, if any."""
    from .facts.python import confirm_route

    route = confirm_route(Route(*decorated) if decorated else None, index)
    if route is not None or is_lambda:
        return route
    return async_index(index).route_for(qualname, class_name, name)


@question
def session_kind(index, ref) -> Optional[str]:
    """"sync" / "async" / None for a session reference from the facts."""
    return async_index(index).session_kind(ref)


@question
def blocking_helper(index, callee: Optional[str]) -> Optional[tuple]:
    """(qualname, chain) when `callee` is a sync project function that blocks, directly or
    further down; None otherwise (also for async or offloaded functions)."""
    found = async_index(index)
    info = found.function(callee)
    if info is None or info.is_async or info.offloaded:
        return None
    chain = found.chain(info.qualname)
    return (info.qualname, chain) if chain else None


@question
def folded_cause(index, helper: str) -> bool:
    """Whether calls of the sync helper `helper` (a qualname from `blocking_helper`) are reported
    at its blocking cause rather than where async code calls it: many calls reach that cause."""
    chain = async_index(index).chain(helper)
    return bool(chain) and len(blocking_groups(index).get(chain[-1], ())) >= FOLD_FROM


@question
def blocking_callers(index, qualname: str) -> Optional[tuple]:
    """For a sync function that blocks directly: (cause Step, Callers) when the calls reaching its
    blocking call from async code are folded into one finding there; None otherwise."""
    found = async_index(index)
    info = found.functions.get(qualname)
    chain = found.chain(qualname)
    if info is None or info.is_async or info.offloaded or not chain or len(chain) != 1:
        return None
    callers = blocking_groups(index).get(chain[0], ())
    if len(callers) < FOLD_FROM:
        return None
    return chain[0], tuple(sorted(callers, key=lambda c: (c.route is None, c.path, c.where)))


@question
def result_method(index, name: str) -> Optional[str]:
    """`app.cfg.data_dir().iterdir` -> `pathlib.Path.iterdir`: the method called on what a
    project function returns, once the project says what that is (CallFact.deferred)."""
    return async_index(index).names.result_method(name)


@question
def is_awaited_somewhere(index, qualname: str) -> bool:
    return async_index(index).is_awaited_somewhere(qualname)



# -- awaited requests: which project coroutines send an HTTP read (PF402) -------------------------

_ASYNC_HTTP_CLIENTS = ("httpx.AsyncClient", "httpx2.AsyncClient", "aiohttp.ClientSession", "aiohttp.client.ClientSession")
# Reads by name; a write (post, put, delete...) may have to stay in order. `request`/`send`/`stream`
# name their method in an argument the summaries do not keep.
ASYNC_HTTP_READS = frozenset(f"{client}.{verb}" for client in _ASYNC_HTTP_CLIENTS for verb in ("get", "head", "options"))
ASYNC_HTTP_REQUESTS = frozenset(f"{client}.{verb}" for client in _ASYNC_HTTP_CLIENTS for verb in ("request", "send", "stream"))


def _request_chains(index) -> dict:
    """Async qualname -> (Steps from its first call down to an awaited HTTP request, whether that
    request is a read by its method name): breadth first through awaited project coroutines,
    backwards from the coroutines that send one directly, so each gets its shortest chain and
    cycles end. A chain to a read wins over one to `request`/`send` (method unknown). Built on
    first use: only PF402 asks."""
    found = async_index(index)
    chains: dict = {}
    awaiting: dict = {}  # callee qualname -> [(caller qualname, path, where)]
    direct: dict = {True: [], False: []}  # read or not -> [(qualname, Step)]
    for info in found.functions.values():
        if not info.is_async:
            continue
        for callee, line, col, end_line, end_col, awaited, _offloaded in info.calls:
            if not awaited:
                continue
            where = (line, col, end_line, end_col)
            if callee in ASYNC_HTTP_READS or callee in ASYNC_HTTP_REQUESTS:
                label = f"`{callee.rsplit('.', 2)[-2]}.{callee.rsplit('.', 1)[-1]}` request"
                direct[callee in ASYNC_HTTP_READS].append((info.qualname, Step(info.path, where, label)))
                continue
            target = found.names.resolve(callee)
            if target is not None and target != info.qualname:
                awaiting.setdefault(target, []).append((info.qualname, info.path, where))
    for read in (True, False):
        queue = deque()
        for qualname, step in direct[read]:
            if qualname not in chains:
                chains[qualname] = ((step,), read)
                queue.append(qualname)
        _spread_to_callers(chains, queue, awaiting, "awaits", lambda step, entry: ((step,) + entry[0], entry[1]))
    return chains


@question
def awaited_request(index, callee: Optional[str]) -> Optional[tuple]:
    """(qualname, chain, read) when `callee` is a project coroutine that awaits an HTTP request,
    directly or through other project coroutines; `read` when the request is a get/head/options
    (not a `request`/`send` whose method the summaries do not keep). None otherwise."""
    found = async_index(index)
    info = found.function(callee)
    if info is None or not info.is_async:
        return None
    entry = index.get_derived("async.request_chains", _request_chains).get(info.qualname)
    return (info.qualname, *entry) if entry else None

__all__ = [
    "AsyncIndex", "ProjectNames", "async_index", "route_of", "session_kind", "blocking_helper",
    "is_awaited_somewhere", "result_method", "awaited_request", "ASYNC_HTTP_READS", "ASYNC_HTTP_REQUESTS", "dotted_suffixes", "ROUTE_STYLES", "blocking_callers", "folded_cause", "Caller",
]
