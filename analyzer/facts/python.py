"""Per-file facts for Python: one semantic model shared by every Python rule.

Built once per file from the tree-sitter tree, with one query pass
(`grammars/queries/python/facts.scm`) collecting every candidate node, then
three short passes over those candidates (never over the whole tree):

1. scopes and names that need no resolution: functions, lambdas, classes,
   imports, `global` declarations;
2. bindings that need resolution, in source order: parameter annotations and
   `Depends(...)` defaults, assignments, `with ... as`, loop targets;
3. decorators and routes, then calls (resolved callee, scope, awaited, loops,
   offloading).

Names resolve to *qualified names*: `requests.get`, `builtins.open`,
`requests.Session.get` (a method called on an instance), `pkg.mod.Class.method`.
Resolution is lexical and deliberately conservative: when a name may be bound
to different things (an import and later a list), it resolves to nothing, so a
rule stays silent rather than guessing.
"""

from __future__ import annotations

import builtins
import re
import functools
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Optional

from perfscan import grammars

from ..blocking import INSTANCE_FACTORIES
from ..project import question
from .python_async import async_summary
from .python_common import OFFLOADERS, _call_arguments, _string_value
from .python_routes import routing_summary
from .python_db import db_summary
from .python_per_row import per_row_summary

FUNCTION_TYPES = ("function_definition", "lambda")
SCOPE_TYPES = frozenset({"function_definition", "lambda", "class_definition"})
COMPREHENSION_TYPES = ("list_comprehension", "set_comprehension", "dictionary_comprehension", "generator_expression")
BUILTIN_NAMES = frozenset(dir(builtins))

# `loop.run_in_executor(executor, fn, *args)`: the loop object is rarely typed,
# so any `.run_in_executor` method counts.
RUN_IN_EXECUTOR = "run_in_executor"

# Functions that return an instance of a known type (lower-case factories the
# "capitalised name is a class" heuristic misses).
FACTORY_TYPES = {
    "requests.session": "requests.Session",
    "requests.sessions.session": "requests.Session",
    "boto3.client": "boto3.Client",
    "boto3.resource": "boto3.Resource",
    "boto3.Session.client": "boto3.Client",
    "boto3.session.Session.client": "boto3.Client",
    "redis.from_url": "redis.Redis",
    "redis.Redis.from_url": "redis.Redis",
    "redis.StrictRedis.from_url": "redis.Redis",
    # session factories (their instances make sessions: `SessionLocal()`)
    "sqlalchemy.orm.sessionmaker": "sqlalchemy.orm.sessionmaker",
    "sqlalchemy.orm.session.sessionmaker": "sqlalchemy.orm.sessionmaker",
    "sqlalchemy.orm.scoped_session": "sqlalchemy.orm.scoped_session",
    "sqlalchemy.ext.asyncio.async_sessionmaker": "sqlalchemy.ext.asyncio.async_sessionmaker",
    "sqlalchemy.ext.asyncio.async_scoped_session": "sqlalchemy.ext.asyncio.async_scoped_session",
    # open files (`f = open(p)`, `with Path(p).open() as f`), executor futures
    **INSTANCE_FACTORIES,
}

DEPENDS = frozenset({"fastapi.Depends", "fastapi.params.Depends", "fastapi.Security"})
TYPE_WRAPPERS = frozenset({"typing.Optional", "typing_extensions.Optional"})
TYPE_UNIONS = frozenset({"typing.Union", "typing_extensions.Union"})
TYPE_ANNOTATED = frozenset({"typing.Annotated", "typing_extensions.Annotated"})


# -- routes: table-driven so other frameworks are one entry each -------------


@dataclass(frozen=True)
class RouteStyle:
    """How one framework declares routes with `@<owner>.<attribute>(path, ...)`."""

    framework: str
    owner_types: frozenset  # qualified types of the app/router object
    # decorator attribute -> HTTP methods; None: read them from `methods=[...]`
    attributes: dict
    default_methods: tuple = ("GET",)
    path_keyword: str = "path"


ROUTE_STYLES: tuple[RouteStyle, ...] = (
    RouteStyle(
        framework="fastapi",
        owner_types=frozenset({"fastapi.FastAPI", "fastapi.APIRouter", "fastapi.routing.APIRouter", "fastapi.applications.FastAPI"}),
        attributes={
            "get": ("GET",),
            "post": ("POST",),
            "put": ("PUT",),
            "patch": ("PATCH",),
            "delete": ("DELETE",),
            "options": ("OPTIONS",),
            "head": ("HEAD",),
            "trace": ("TRACE",),
            "api_route": None,
            "websocket": ("WEBSOCKET",),
        },
    ),
    RouteStyle(
        framework="flask",
        owner_types=frozenset({"flask.Flask", "flask.app.Flask", "flask.Blueprint", "flask.blueprints.Blueprint"}),
        attributes={"route": None, "get": ("GET",), "post": ("POST",), "put": ("PUT",), "patch": ("PATCH",),
                    "delete": ("DELETE",)},
        path_keyword="rule",
    ),
    RouteStyle(
        framework="quart",
        owner_types=frozenset({"quart.Quart", "quart.app.Quart", "quart.Blueprint", "quart.blueprints.Blueprint"}),
        attributes={"route": None, "get": ("GET",), "post": ("POST",), "put": ("PUT",), "patch": ("PATCH",),
                    "delete": ("DELETE",), "websocket": ("WEBSOCKET",)},
        path_keyword="rule",
    ),
    RouteStyle(
        framework="sanic",
        owner_types=frozenset({"sanic.Sanic", "sanic.app.Sanic", "sanic.Blueprint", "sanic.blueprints.Blueprint"}),
        attributes={"route": None, "get": ("GET",), "post": ("POST",), "put": ("PUT",), "patch": ("PATCH",),
                    "delete": ("DELETE",), "head": ("HEAD",), "options": ("OPTIONS",), "websocket": ("WEBSOCKET",)},
        path_keyword="uri",
    ),
    RouteStyle(
        framework="aiohttp",
        owner_types=frozenset({"aiohttp.web.RouteTableDef", "aiohttp.web_routedef.RouteTableDef"}),
        attributes={"get": ("GET",), "post": ("POST",), "put": ("PUT",), "patch": ("PATCH",),
                    "delete": ("DELETE",), "head": ("HEAD",), "options": ("OPTIONS",), "view": ("*",)},
    ),
    RouteStyle(
        framework="starlette",
        owner_types=frozenset({"starlette.applications.Starlette", "starlette.routing.Router"}),
        attributes={"route": None, "websocket_route": ("WEBSOCKET",)},
    ),
)
# Frameworks whose route decorators are plain functions: `@get("/users")`.
ROUTE_FUNCTIONS = {
    **{f"litestar.{verb}": ("litestar", (verb.upper(),)) for verb in ("get", "post", "put", "patch", "delete", "head")},
    **{f"litestar.handlers.{verb}": ("litestar", (verb.upper(),)) for verb in ("get", "post", "put", "patch", "delete")},
    "litestar.route": ("litestar", None),
    "litestar.websocket": ("litestar", ("WEBSOCKET",)),
}
ROUTE_ATTRIBUTES = frozenset(a for style in ROUTE_STYLES for a in style.attributes)


@dataclass(frozen=True)
class Route:
    """A route handler declared by a decorator.

    `owner` is the qualified name of the app/router object (`pkg.main.app`);
    `confirmed` is False when that object is imported from another project
    module and its type is not known in this file (the project index can
    confirm it with `confirm_route`).
    """

    framework: Optional[str]
    methods: tuple
    path: str
    owner: Optional[str]
    confirmed: bool = True

    def as_fields(self) -> tuple:
        """The route as plain data (a question's argument): `Route(*route.as_fields()) == route`."""
        return (self.framework, self.methods, self.path, self.owner, self.confirmed)

    @property
    def display(self) -> str:
        """`GET /users/{user_id}` (several methods joined with `|`)."""
        return f"{'|'.join(self.methods)} {self.path}"

    def as_dict(self) -> dict:
        return {
            "framework": self.framework,
            "methods": list(self.methods),
            "path": self.path,
            "display": self.display,
            "owner": self.owner,
            "confirmed": self.confirmed,
        }


# -- records ----------------------------------------------------------------


class Param:
    """A parameter: `annotation` node and its resolved `type`, `default` node,
    and for `Depends(f)` (default or inside `Annotated[...]`) the qualified
    name of `f` in `depends`.

    `type` and `depends` are resolved on first read: most parameters are never
    asked about, and resolving every annotation of every function was a fifth of
    the facts' cost."""

    __slots__ = ("name", "node", "kind", "annotation", "default", "_type", "_depends", "_resolve")

    def __init__(self, name: str, node, kind: str = "positional", annotation=None, default=None, resolve=None):
        self.name, self.node, self.kind = name, node, kind
        self.annotation, self.default = annotation, default
        self._type = self._depends = None
        self._resolve = resolve  # param -> (type, depends), called once

    def _resolved(self) -> None:
        if self._resolve is not None:
            resolve, self._resolve = self._resolve, None
            self._type, self._depends = resolve(self)

    @property
    def type(self) -> Optional[str]:
        self._resolved()
        return self._type

    @type.setter
    def type(self, value: Optional[str]) -> None:
        self._resolved()
        self._type = value

    @property
    def depends(self) -> Optional[str]:
        self._resolved()
        return self._depends

    def __repr__(self) -> str:
        return f"Param({self.name!r}, kind={self.kind!r}, type={self.type!r}, depends={self.depends!r})"


class ParamBinding:
    """A parameter's binding in its function: what `Binding` holds, with the type
    read from the parameter when a lookup first needs it."""

    __slots__ = ("param",)
    pos = -1
    target = None
    alias = None

    def __init__(self, param: Param):
        self.param = param

    @property
    def type(self) -> Optional[str]:
        return self.param.type


@dataclass(eq=False, slots=True)
class Decorator:
    """`@expr`: `callee` is what the decorator names or calls (`app.get`
    resolves to `pkg.main.app.get`, or `fastapi.FastAPI.get` when `app` is a
    known instance); `owner`/`owner_type` describe the object before the last
    attribute (`app`)."""

    node: object
    expression: object
    callee: Optional[str] = None
    attribute: Optional[str] = None
    owner: Optional[str] = None
    owner_type: Optional[str] = None


@dataclass(eq=False, slots=True)
class Loop:
    """A loop around a call in the same scope: `for`/`while`/comprehension."""

    node: object
    kind: str  # for | while | comprehension
    targets: tuple = ()


@dataclass(eq=False, slots=True)
class CallFact:
    """One call. `callee` is the resolved qualified name (or None); `function`
    is the call's function expression node. `offloaded_by` names the
    offloading call (`asyncio.to_thread`...) this call is a direct argument of:
    such a call is still evaluated on the event loop, before offloading.
    `offloads` is set on offloading calls: the function they run on a thread."""

    node: object
    function: object
    callee_text: str
    callee: Optional[str]
    scope: Optional["FunctionFact"]
    awaited: bool = False
    loops: tuple = ()
    offloaded_by: Optional[str] = None
    offloads: Optional[str] = None
    # A method of what a project function returns, `pkg.cfg.data_dir().iterdir` (callee None): only
    # the project index knows that return type (analyzer/async_index.py: ProjectNames.resolve).
    deferred: Optional[str] = None

    @property
    def offloaded(self) -> bool:
        return self.offloaded_by is not None


@dataclass(eq=False, slots=True)
class FunctionFact:
    """A `def`, `async def` or `lambda`: its own scope."""

    name: str
    qualname: str
    node: object
    is_async: bool
    is_lambda: bool
    parent: Optional["FunctionFact"]
    class_name: Optional[str]  # enclosing class, when a method (directly in the class body)
    params: list = field(default_factory=list)
    decorators: list = field(default_factory=list)
    has_await: bool = False  # await / async for / async with in its own body
    route: Optional[Route] = None
    calls: list = field(default_factory=list)

    @property
    def body(self):
        return self.node.child_by_field_name("body")

    def param(self, name: str) -> Optional[Param]:
        return next((p for p in self.params if p.name == name), None)


@dataclass(frozen=True, slots=True)
class Binding:
    """What a name is bound to at `pos`: a qualified `target` (module,
    function, class, alias) or an instance of qualified `type`; neither when
    the value is unknown (which still shadows outer names)."""

    pos: int
    target: Optional[str] = None
    type: Optional[str] = None
    # A type alias such as `DbSession = Annotated[Session, Depends(get_db)]`:
    # (qualified type, Depends target) for annotations that use the name.
    alias: Optional[tuple] = None


# `SessionDep: TypeAlias = Annotated[Session, Depends(get_db)]` declares an alias as plainly as `=`.
_TYPE_ALIAS_MARKERS = frozenset({"TypeAlias", "typing.TypeAlias", "typing_extensions.TypeAlias"})
_MISSING = object()
_NOT_ANNOTATED = object()
_TARGET_CONTAINERS = frozenset({"pattern_list", "tuple_pattern", "list_pattern", "tuple", "list", "list_splat_pattern",
                                "parenthesized_expression", "as_pattern_target"})


@dataclass(frozen=True, slots=True)
class _Inner:
    """An annotation wrapper's one inner annotation; `depends` is set for `Annotated[...]`."""

    node: object
    depends: object = _NOT_ANNOTATED
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")  # name bound nowhere: may be a builtin


def module_name_for(rel_path: str) -> tuple[str, bool]:
    """`backend/app/routes/users.py` -> ("backend.app.routes.users", False);
    `pkg/__init__.py` -> ("pkg", True)."""
    path = rel_path.replace("\\", "/")
    if path.endswith(".py"):
        path = path[:-3]
    parts = [p for p in path.split("/") if p and p != "."]
    is_package = bool(parts) and parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package


def _is_deferred(name: str) -> bool:
    """`pkg.mod.helper().method` (or `pkg.mod.fetch(await).method` for `x = await fetch()`): one
    method of a project function's result (CallFact.deferred)."""
    for mark in ("().", "(await)."):
        function, found, method = name.partition(mark)
        if found:
            return "(" not in function and method.isidentifier()
    return False


def _last(qualname: Optional[str]) -> str:
    return qualname.rsplit(".", 1)[-1] if qualname else ""


def _unpacked_pairs(left, right) -> Optional[list]:
    """`a, b = x(), y()` (or parenthesised): each name with its own value, when both sides are
    flat, unstarred and of the same length; None otherwise."""
    if right is None:
        return None
    while left.type == "parenthesized_expression" and left.named_children:
        left = left.named_children[0]
    while right.type == "parenthesized_expression" and right.named_children:
        right = right.named_children[0]
    if left.type not in ("pattern_list", "tuple_pattern", "tuple") or right.type not in ("expression_list", "tuple"):
        return None
    names = [c for c in left.named_children if c.type != "comment"]
    values = [c for c in right.named_children if c.type != "comment"]
    if len(names) != len(values) or any(n.type != "identifier" for n in names):
        return None
    if any(v.type in ("list_splat", "dictionary_splat") for v in values):
        return None
    return list(zip(names, values))


def _looks_like_class(qualname: str) -> bool:
    name = _last(qualname)
    return bool(name) and name[0].isupper()


class PythonFacts:
    """The facts of one Python file. Build with `PythonFacts.build(source)`.

    Public attributes: `module`, `is_package`, `imports` (module-level local
    name -> qualified name), `functions` (FunctionFact, in source order),
    `calls` (CallFact, in source order, module-level ones with scope None),
    `classes` (qualname -> class node), `objects` (module-level name -> type
    for names bound once to an instance, e.g. `app` -> `fastapi.FastAPI`).
    """

    def __init__(self, source):
        self.source = source
        self._text = source.node_text  # the hottest call of the build: skip one Python frame
        self.module, self.is_package = module_name_for(source.rel_path)
        self._module_parts = frozenset(self.module.split("."))
        self._return_nodes: tuple = ()
        self.imports: dict[str, str] = {}
        self.functions: list[FunctionFact] = []
        self.calls: list[CallFact] = []
        self.classes: dict[str, object] = {}
        self.objects: dict[str, str] = {}
        self._functions_by_id: dict[int, FunctionFact] = {}
        self._class_qualnames: dict[int, str] = {}
        self._parent_key: dict[int, Optional[int]] = {}  # scope key -> enclosing scope key
        self._bindings: dict[Optional[int], dict[str, list[Binding]]] = {}
        self._globals: dict[int, set] = {}
        self._attribute_types: dict[tuple[str, str], Optional[str]] = {}
        self._calls_by_id: dict[int, CallFact] = {}
        # While calls are collected (the model is complete then): (call node id, binding key,
        # position) -> what the call returns, as _qualify answers, so each call of a long method
        # chain does not qualify the whole chain below it again.
        self._call_results: Optional[dict] = None
        self._router_prefixes: dict[str, str] = {}
        self._key_memo: dict[int, Optional[int]] = {}
        self._call_loops: dict[int, tuple] = {}
        self._alias_names: set[str] = set()  # names bound to `Annotated[...]` type aliases
        self.names_only = False  # see build()
        self.reads_routing = True  # see build()

    # -- building -----------------------------------------------------------

    @classmethod
    def build(cls, source, names_only: bool = False, routing: bool = True) -> "PythonFacts":
        """`names_only`: the module, its imports, functions and classes, nothing else: no
        bindings beyond imports and definitions, no calls, so no queries, blocking calls or
        routes either; `routing`: whether the summary says how routers are mounted, for the
        route map (analyzer/facts/__init__.py says for which files)."""
        facts = cls(source)
        facts.names_only = names_only
        facts.reads_routing = routing
        root = source.tree.root_node
        found = grammars.captures("python", "names" if names_only else "facts", root)
        # python_db.py's candidates come from the same query pass (one walk of the tree).
        facts.db_candidates = {name: found.get(name, []) for name in ("assignment", "for", "for_in")}
        # Source order, an enclosing node first: the captures of nested nodes starting at one byte
        # (`a.b().c()`) come in no fixed order, and a summary must be the same on every run.
        by_position = lambda name: grammars.outer_first(found.get(name, ()))  # noqa: E731
        facts._sweep(found)
        facts._return_nodes = found.get("return", ())
        facts._collect_scopes(by_position("class"), by_position("function") + by_position("lambda"))
        for node in by_position("global"):
            facts._add_global(node)
        for node in by_position("import"):
            facts._add_import(node)
        facts._collect_bindings(found)
        for function in () if names_only else facts.functions:
            facts._collect_decorators(function)
        facts._collect_awaits(by_position("await"), by_position("for"), by_position("with_item"), by_position("for_in"))
        facts._collect_calls(by_position("call"), found.get("await", ()))
        facts._collect_objects()
        return facts

    def _text(self, node) -> str:
        return self.source.node_text(node)  # shadowed per instance by the bound method (see __init__)

    def _sweep(self, found) -> None:
        """One sweep over all candidates in source order with a stack of open
        regions (scope bodies, loop bodies): gives every candidate its scope
        key, and every call its loops, without walking up the tree."""
        regions = []  # (start, end, scope key or None, Loop or None, excluded (start, end) or None)
        for name in ("function", "lambda", "class"):
            for node in found.get(name, ()):
                body = node.child_by_field_name("body")
                if body is not None:
                    regions.append((body.start_byte, body.end_byte, node.id, None, None))
        for node in found.get("for", ()):
            body = node.child_by_field_name("body")
            if body is not None:
                targets = tuple(self._text(n) for n in self._target_names(node.child_by_field_name("left")))
                regions.append((body.start_byte, body.end_byte, None, Loop(node, "for", targets), None))
        for node in found.get("while", ()):
            condition, body = node.child_by_field_name("condition"), node.child_by_field_name("body")
            if condition is not None and body is not None:
                regions.append((condition.start_byte, body.end_byte, None, Loop(node, "while"), None))
        for node in found.get("comprehension", ()):
            clauses = [c for c in node.named_children if c.type == "for_in_clause"]
            if not clauses:
                continue
            targets = tuple(self._text(n) for c in clauses for n in self._target_names(c.child_by_field_name("left")))
            # The first clause's iterable is evaluated once, outside the loop.
            first = clauses[0].child_by_field_name("right")
            excluded = (first.start_byte, first.end_byte) if first is not None else None
            regions.append((node.start_byte, node.end_byte, None, Loop(node, "comprehension", targets), excluded))
        regions.sort(key=lambda r: (r[0], -r[1]))
        call_ids = {n.id for n in found.get("call", ())}
        nodes = grammars.outer_first(n for group in found.values() for n in group)
        stack: list = []
        next_region = 0
        for node in nodes:
            start, end = node.start_byte, node.end_byte
            while next_region < len(regions) and regions[next_region][0] <= start:
                region = regions[next_region]
                while stack and stack[-1][1] < region[1]:
                    stack.pop()
                stack.append(region)
                next_region += 1
            while stack and stack[-1][1] < end:
                stack.pop()
            key, loops = None, []
            for region in reversed(stack):
                if region[2] is not None:
                    key = region[2]
                    break
                excluded = region[4]
                if excluded is None or not (excluded[0] <= start and end <= excluded[1]):
                    loops.append(region[3])
            self._key_memo[node.id] = key
            if node.id in call_ids:
                self._call_loops[node.id] = tuple(loops)

    def _binding_key(self, node) -> Optional[int]:
        """The scope a name bound at `node` lives in: a function/lambda body,
        a class body, or the module (None). Parameter defaults, annotations
        and decorators belong to the enclosing scope, as in Python.

        Memoized per node: candidates share ancestors, so each ancestor is
        visited about once per file."""
        memo = self._key_memo
        path = []
        current = node
        result = None
        while True:
            cached = memo.get(current.id, _MISSING)
            if cached is not _MISSING:
                result = cached
                break
            parent = current.parent
            if parent is None:
                break
            path.append(current)
            if parent.type in SCOPE_TYPES:
                body = parent.child_by_field_name("body")
                if body is not None and body.id == current.id:
                    result = parent.id
                    break
            current = parent
        for visited in path:
            memo[visited.id] = result
        return result

    def _bind(self, key: Optional[int], name: str, binding: Binding) -> None:
        if key is not None and self._globals and name in self._globals.get(key, ()):
            key = None
        scope = self._bindings.get(key)
        if scope is None:
            scope = self._bindings[key] = {}
        bindings = scope.get(name)
        if bindings is None:
            scope[name] = [binding]
        else:
            bindings.append(binding)

    def _collect_scopes(self, classes, functions) -> None:
        # Parents start before their children: one sorted pass sees every
        # enclosing class or function before what it contains.
        for node in sorted(list(classes) + list(functions), key=lambda n: n.start_byte):
            key = self._binding_key(node)
            self._parent_key[node.id] = key
            if node.type == "class_definition":
                self._add_class(node, key)
            else:
                self._add_function(node, key)

    def _add_class(self, node, key) -> None:
        name_node = node.child_by_field_name("name")
        name = self._text(name_node) if name_node else "<class>"
        qualname = f"{self._qualname_prefix(key)}.{name}"
        self._class_qualnames[node.id] = qualname
        self.classes[qualname] = node
        self._bind(key, name, Binding(node.start_byte, target=qualname))

    def _add_function(self, node, key) -> None:
        is_lambda = node.type == "lambda"
        name_node = node.child_by_field_name("name")
        name = "<lambda>" if is_lambda else (self._text(name_node) if name_node else "<def>")
        enclosing = self._functions_by_id.get(key)
        if is_lambda and enclosing is not None and enclosing.is_lambda:
            # A lambda in a lambda shares its qualname: nobody can call either by name, and a
            # name per nesting level would make N nested lambdas cost N² bytes.
            qualname = enclosing.qualname
        else:
            qualname = f"{self._qualname_prefix(key)}.{name}"
        class_name = _last(self._class_qualnames[key]) if key in self._class_qualnames else None
        record = FunctionFact(
            name=name,
            qualname=qualname,
            node=node,
            is_async=not is_lambda and node.children[0].type == "async",
            is_lambda=is_lambda,
            parent=self._enclosing_function(key),
            class_name=class_name,
        )
        self.functions.append(record)
        self._functions_by_id[node.id] = record
        if not is_lambda:
            self._bind(key, name, Binding(node.start_byte, target=qualname))

    def _qualname_prefix(self, key: Optional[int]) -> str:
        if key is None:
            return self.module
        if key in self._class_qualnames:
            return self._class_qualnames[key]
        return self._functions_by_id[key].qualname

    def _enclosing_function(self, key: Optional[int]) -> Optional[FunctionFact]:
        while key is not None:
            if key in self._functions_by_id:
                return self._functions_by_id[key]
            key = self._parent_key.get(key)
        return None

    def _add_global(self, node) -> None:
        key = self._binding_key(node)
        if key is not None:
            names = {self._text(c) for c in node.named_children if c.type == "identifier"}
            self._globals.setdefault(key, set()).update(names)

    def _resolve_relative(self, node) -> str:
        """`..core.db` in module `a.b.c` -> `a.core.db` (packages count themselves)."""
        prefix = next((c for c in node.named_children if c.type == "import_prefix"), None)
        dots = len(self._text(prefix)) if prefix is not None else 0
        rest = next((c for c in node.named_children if c.type == "dotted_name"), None)
        parts = self.module.split(".") if self.module else []
        base = parts if self.is_package else parts[:-1]
        if dots > 1:
            base = base[: len(base) - (dots - 1)] if dots - 1 <= len(base) else []
        names = base + ([self._text(rest)] if rest is not None else [])
        return ".".join(names)

    def _add_import(self, node) -> None:
        key = self._binding_key(node)
        pos = node.start_byte
        if node.type == "import_statement":
            for item in node.children_by_field_name("name"):
                if item.type == "aliased_import":
                    target = self._text(item.child_by_field_name("name"))
                    local = self._text(item.child_by_field_name("alias"))
                else:
                    target = self._text(item)
                    local = target.split(".", 1)[0]
                    target = local  # `import a.b` binds `a` to the package `a`
                self._add_import_binding(key, local, target, pos)
            return
        module_node = node.child_by_field_name("module_name")
        if module_node is None:
            return
        if module_node.type == "relative_import":
            base = self._resolve_relative(module_node)
        else:
            base = self._text(module_node)
        for item in node.children_by_field_name("name"):
            if item.type == "aliased_import":
                name = self._text(item.child_by_field_name("name"))
                local = self._text(item.child_by_field_name("alias"))
            else:
                name = self._text(item)
                local = name
            target = f"{base}.{name}" if base else name
            self._add_import_binding(key, local, target, pos)

    def _add_import_binding(self, key, local: str, target: str, pos: int) -> None:
        self._bind(key, local, Binding(pos, target=target))
        if key is None:
            self.imports[local] = target

    # -- pass 2: bindings needing resolution, in source order -----------------

    def _collect_bindings(self, found) -> None:
        work = []
        for function in () if self.names_only else self.functions:
            work.append((function.node.start_byte, 0, "params", function))
        for kind in ("assignment", "rebind", "walrus", "with_item", "for", "except"):
            for node in found.get(kind, ()):
                work.append((node.start_byte, 1, kind, node))
        work.sort(key=lambda item: (item[0], item[1]))
        for _, _, kind, item in work:
            getattr(self, f"_bind_{kind}")(item)

    def _bind_params(self, function: FunctionFact) -> None:
        node = function.node
        params_node = node.child_by_field_name("parameters")
        outer_key = self._parent_key.get(node.id)
        own_key = node.id
        is_method = function.class_name is not None and not function.is_lambda
        decorators = self._decorator_names(node)
        for index, param_node in enumerate(params_node.named_children if params_node else ()):
            param = self._param(param_node, outer_key)
            if param is None:
                continue
            function.params.append(param)
            binding = ParamBinding(param)
            if is_method and index == 0 and "staticmethod" not in decorators:
                class_qualname = self._class_qualnames[self._parent_key[node.id]]
                if "classmethod" in decorators:
                    binding = Binding(-1, target=class_qualname)
                else:
                    binding = Binding(-1, type=class_qualname)
                    param.type = param.type or class_qualname
            self._bind(own_key, param.name, binding)

    def _decorator_names(self, node) -> set:
        if node.type == "lambda":
            return set()  # never decorated; and its parent is a walk from the root (nested lambdas)
        parent = node.parent
        if parent is None or parent.type != "decorated_definition":
            return set()
        names = set()
        for decorator in parent.children:
            if decorator.type == "decorator" and decorator.named_children:
                names.add(_last(self._text(decorator.named_children[0])))
        return names

    def _param(self, node, outer_key) -> Optional[Param]:
        kind = "positional"
        annotation = default = None
        if node.type == "identifier":
            name_node = node
        elif node.type in ("typed_parameter",):
            name_node = node.named_children[0]
            annotation = node.child_by_field_name("type")
        elif node.type in ("default_parameter", "typed_default_parameter"):
            name_node = node.child_by_field_name("name")
            annotation = node.child_by_field_name("type")
            default = node.child_by_field_name("value")
        elif node.type in ("list_splat_pattern", "dictionary_splat_pattern"):
            name_node = node
        else:
            return None  # `*` and `/` separators
        if name_node.type == "list_splat_pattern":
            kind, name_node = "vararg", name_node.named_children[0]
        elif name_node.type == "dictionary_splat_pattern":
            kind, name_node = "kwarg", name_node.named_children[0]
        resolve = None
        if annotation is not None or (default is not None and default.type == "call"):
            resolve = functools.partial(self._param_types, outer_key=outer_key)
        return Param(self._text(name_node), node, kind, annotation, default, resolve)

    def may_depend(self, param: Param) -> bool:
        """Whether `param.depends` can be set, without resolving its annotation: only a call
        (`= Depends(f)`, `Annotated[X, Depends(f)]`) or a type alias can bring a dependency."""
        if param.default is not None and param.default.type == "call":
            return True
        if param.annotation is None:
            return False
        text = self._text(param.annotation)
        return "(" in text or bool(self._alias_names and self._alias_names.intersection(_IDENTIFIER.findall(text)))

    def _param_types(self, param: Param, outer_key) -> tuple[Optional[str], Optional[str]]:
        type_ = depends = None
        if param.annotation is not None:
            type_, depends = self._annotation(param.annotation, outer_key)
        if depends is None and param.default is not None and param.default.type == "call":
            depends = self._depends_target(param.default, outer_key)
        return type_, depends

    def _depends_target(self, call, key) -> Optional[str]:
        callee = self._qualify(call.child_by_field_name("function"), key, call.start_byte)
        if callee is None or callee[0] != "ref" or callee[1] not in DEPENDS:
            return None
        args = call.child_by_field_name("arguments")
        for arg in args.named_children if args else ():
            value = arg
            if arg.type == "keyword_argument":
                if self._text(arg.child_by_field_name("name")) != "dependency":
                    continue
                value = arg.child_by_field_name("value")
            resolved = self._qualify(value, key, call.start_byte)
            return resolved[1] if resolved and resolved[0] == "ref" else None
        return None

    def _annotation(self, node, key) -> tuple[Optional[str], Optional[str]]:
        """(qualified type, Depends target) of an annotation: unwraps
        `Optional[X]`, `X | None`, `Union[X, None]`, `Annotated[X, Depends(f)]`
        and string annotations.

        A loop, not recursion (wrappers may nest thousands deep): each wrapper names the one
        inner annotation to read next. The outermost `Annotated` decides the Depends target."""
        annotated = False
        depends = None
        while True:
            inner = self._annotation_step(node, key)
            if isinstance(inner, tuple):  # a result: (type, depends)
                return (inner[0], depends) if annotated else inner
            node, step_depends = inner.node, inner.depends
            if step_depends is not _NOT_ANNOTATED and not annotated:
                annotated, depends = True, step_depends

    def _annotation_step(self, node, key):
        """Either the result for `node`, or an _Inner: the annotation it wraps (and, for
        `Annotated[...]`, the Depends target of its metadata)."""
        if node is None:
            return None, None
        if node.type == "type":
            return _Inner(node.named_children[0] if node.named_children else None)
        if node.type == "identifier":
            binding = self._lookup(self._text(node), key, node.start_byte)
            if isinstance(binding, Binding) and binding.alias is not None:
                return binding.alias
        if node.type in ("identifier", "attribute"):
            resolved = self._qualify(node, key, node.start_byte)
            return (resolved[1] if resolved and resolved[0] == "ref" else None), None
        if node.type == "string":
            content = "".join(self._text(c) for c in node.named_children if c.type == "string_content").strip()
            if content.replace(".", "").replace("_", "").isalnum():
                head, _, rest = content.partition(".")
                binding = self._lookup(head, key, node.start_byte)
                if isinstance(binding, Binding) and binding.target:
                    return (binding.target + ("." + rest if rest else "")), None
            return None, None
        if node.type == "binary_operator":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if right is not None and right.type == "none":
                return _Inner(left)
            if left is not None and left.type == "none":
                return _Inner(right)
            return None, None
        if node.type in ("generic_type", "subscript"):
            if node.type == "generic_type":
                head = node.named_children[0]
                params = next((c for c in node.named_children if c.type == "type_parameter"), None)
                args = [c for c in params.named_children] if params is not None else []
            else:
                head = node.child_by_field_name("value")
                args = node.children_by_field_name("subscript")
            resolved = self._qualify(head, key, node.start_byte)
            head_name = resolved[1] if resolved and resolved[0] == "ref" else "typing." + self._text(head)
            if not args:
                return None, None
            if head_name in TYPE_WRAPPERS:
                return _Inner(args[0])
            if head_name in TYPE_UNIONS:
                real = [a for a in args if self._text(a) != "None"]
                return _Inner(real[0]) if len(real) == 1 else (None, None)
            if head_name in TYPE_ANNOTATED:
                depends = None
                for meta in args[1:]:
                    inner = meta.named_children[0] if meta.type == "type" and meta.named_children else meta
                    if inner.type == "call":
                        depends = depends or self._depends_target(inner, key)
                return _Inner(args[0], depends)
            return None, None
        return None, None

    def _target_names(self, node):
        """Identifiers bound by an assignment target (tuples, lists, stars), in source order.
        A stack, not recursion: targets may nest deeply."""
        stack = [node]
        while stack:
            node = stack.pop()
            if node is None:
                continue
            if node.type == "identifier":
                yield node
            elif node.type in _TARGET_CONTAINERS:
                stack.extend(reversed(node.named_children))

    def _value(self, node, key, pos) -> tuple[Optional[str], Optional[str]]:
        """(target, type) that a name gets when assigned `node`."""
        if node is None:
            return None, None
        if node.type == "await" and node.named_children:
            # `x = await fetch()`: what the project's async `fetch` returns (the index knows)
            resolved = self._qualify(node.named_children[0], key, pos)
            called = resolved[1] if resolved is not None and resolved[0] == "ref" else ""
            if called.endswith("()") and "(" not in called[:-2]:
                return called[:-2] + "(await)", None
            return None, None
        resolved = self._qualify(node, key, pos)
        if resolved is None:
            return None, None
        kind, name = resolved
        return (name, None) if kind == "ref" else (None, name)

    def _bind_assignment(self, node) -> None:
        key = self._binding_key(node)
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        annotation = node.child_by_field_name("type")
        if left is None:
            return
        if left.type == "identifier":
            if right is not None and right.type in ("subscript", "generic_type") and (
                annotation is None or self._text(annotation) in _TYPE_ALIAS_MARKERS
            ):
                alias = self._annotation(right, key)
                if alias[0] is not None:
                    self._bind(key, self._text(left), Binding(node.start_byte, alias=alias))
                    self._alias_names.add(self._text(left))
                    return
            target, type_ = self._value(right, key, node.start_byte)
            if annotation is not None:
                type_ = self._annotation(annotation, key)[0] or type_
                target = None if type_ else target
            if right is None and annotation is None:
                return
            self._bind(key, self._text(left), Binding(node.start_byte, target=target, type=type_))
            if key is None and right is not None and right.type == "call" and type_:
                self._remember_router_prefix(self._text(left), type_, right)
            return
        if left.type == "attribute":
            self._bind_attribute(left, right, annotation, key, node.start_byte)
            return
        pairs = _unpacked_pairs(left, right)
        if pairs is not None:
            for name, value in pairs:
                target, type_ = self._value(value, key, node.start_byte)
                self._bind(key, self._text(name), Binding(node.start_byte, target=target, type=type_))
            return
        for name in self._target_names(left):
            self._bind(key, self._text(name), Binding(node.start_byte))
        if right is not None and right.type == "assignment":
            pass  # chained `a = b = value`: the inner assignment is its own capture

    def _remember_router_prefix(self, name: str, type_: str, call) -> None:
        if any(type_ in style.owner_types for style in ROUTE_STYLES):
            prefix = _string_value(self, _call_arguments(call)[1].get("prefix"))
            if prefix:
                self._router_prefixes[f"{self.module}.{name}"] = prefix

    def _bind_attribute(self, left, right, annotation, key, pos) -> None:
        """`self.session = requests.Session()` in a method: remember the
        attribute's type for `self.session.get(...)` elsewhere in the class."""
        owner = self._qualify(left.child_by_field_name("object"), key, pos)
        if owner is None or owner[0] != "inst" or owner[1] not in self.classes:
            return
        _, type_ = self._value(right, key, pos)
        if annotation is not None:
            type_ = self._annotation(annotation, key)[0] or type_
        slot = (owner[1], self._text(left.child_by_field_name("attribute")))
        if slot in self._attribute_types and self._attribute_types[slot] != type_:
            self._attribute_types[slot] = None  # assigned different things: unknown
        else:
            self._attribute_types[slot] = type_

    def _bind_rebind(self, node) -> None:
        left = node.child_by_field_name("left")
        if left is not None and left.type == "identifier":
            self._bind(self._binding_key(node), self._text(left), Binding(node.start_byte))

    def _bind_walrus(self, node) -> None:
        key = self._binding_key(node)
        name = node.child_by_field_name("name")
        target, type_ = self._value(node.child_by_field_name("value"), key, node.start_byte)
        if name is not None:
            self._bind(key, self._text(name), Binding(node.start_byte, target=target, type=type_))

    def _bind_with_item(self, node) -> None:
        value = node.child_by_field_name("value")
        if value is None or value.type != "as_pattern":
            return
        key = self._binding_key(node)
        expression = value.named_children[0]
        alias = value.child_by_field_name("alias")
        names = list(self._target_names(alias))
        _, type_ = self._value(expression, key, node.start_byte)
        if len(names) == 1 and alias.named_children and alias.named_children[0].type == "identifier":
            # `with X() as n`: most context managers return themselves from __enter__.
            self._bind(key, self._text(names[0]), Binding(node.start_byte, type=type_))
            return
        for name in names:
            self._bind(key, self._text(name), Binding(node.start_byte))

    def _bind_for(self, node) -> None:
        key = self._binding_key(node)
        for name in self._target_names(node.child_by_field_name("left")):
            self._bind(key, self._text(name), Binding(node.start_byte))

    def _bind_except(self, node) -> None:
        key = self._binding_key(node)
        for child in node.named_children:
            if child.type == "as_pattern":
                for name in self._target_names(child.child_by_field_name("alias")):
                    self._bind(key, self._text(name), Binding(node.start_byte))

    # -- name resolution ------------------------------------------------------

    def _lookup(self, name: str, key: Optional[int], pos: int):
        """The binding `name` has at byte `pos` in scope `key`: a Binding, None
        (bound, but ambiguous or unknown), or _MISSING (bound nowhere)."""
        first = True
        all_bindings = self._bindings
        while True:
            scope = all_bindings.get(key)
            bindings = scope.get(name) if scope is not None else None
            if bindings:
                if first:
                    # Bindings are in source order (parameters, at -1, first): the last one before `pos`.
                    for binding in reversed(bindings):
                        if binding.pos < pos:
                            return binding
                    return None
                # From an inner scope the outer name may have any of its values.
                head = bindings[0]
                if all(b.target == head.target and b.type == head.type and b.alias == head.alias for b in bindings):
                    return head
                return None
            if key is None:
                return _MISSING
            key = self._parent_key.get(key)
            # Class bodies are not visible from the functions inside them.
            while key is not None and key in self._class_qualnames:
                key = self._parent_key.get(key)
            first = False

    def _qualify(self, node, key: Optional[int], pos: int) -> Optional[tuple[str, str]]:
        """("ref", qualified name) when `node` names something, ("inst", type)
        when it is an instance of a known type, or None.

        A loop, not recursion: an attribute chain or call chain may be thousands deep in
        valid code. The outer steps are collected first and applied from the innermost out;
        a run of attributes on a reference is joined once, not copied at every step."""
        steps = []  # outer to inner: attribute or call nodes
        call_results = self._call_results
        known = _MISSING
        while node is not None:
            kind = node.type
            if kind == "attribute":
                steps.append(node)
                node = node.child_by_field_name("object")
            elif kind == "call":
                if call_results is not None:
                    known = call_results.get((node.id, key, pos), _MISSING)
                    if known is not _MISSING:
                        break  # qualified already, for another call of the same chain
                steps.append(node)
                node = node.child_by_field_name("function")
            elif kind == "parenthesized_expression" and node.named_children:
                node = node.named_children[0]
            else:
                break
        if known is not _MISSING:
            resolved = known
        else:
            resolved = self._qualify_name(node, key, pos) if node is not None and node.type == "identifier" else None
        pending: list = []  # attribute names on a reference, not joined yet
        for step in reversed(steps):
            if resolved is None:  # and so is every outer step
                if call_results is not None and step.type == "call":
                    call_results[(step.id, key, pos)] = None
                continue
            if step.type == "call":
                if pending:
                    resolved = ("ref", ".".join([resolved[1], *pending]))
                    pending = []
                resolved = self._call_result(resolved)
                if call_results is not None:
                    call_results[(step.id, key, pos)] = resolved
                continue
            attribute = step.child_by_field_name("attribute")
            if attribute is None:
                return None
            name = self._text(attribute)
            if resolved[0] == "inst":
                resolved = self._attribute_of_instance(resolved[1], name)
            else:
                pending.append(name)
        if resolved is not None and pending:
            resolved = ("ref", ".".join([resolved[1], *pending]))
        return resolved

    def _qualify_name(self, node, key: Optional[int], pos: int) -> Optional[tuple[str, str]]:
        name = self._text(node)
        binding = self._lookup(name, key, pos)
        if binding is _MISSING:
            return ("ref", f"builtins.{name}") if name in BUILTIN_NAMES else None
        if binding is None:
            return None
        if binding.target:
            return "ref", binding.target
        if binding.type:
            return "inst", binding.type
        return None

    def _attribute_of_instance(self, type_: str, name: str) -> tuple[str, str]:
        slot_type = self._attribute_types.get((type_, name))
        if slot_type:
            return "inst", slot_type
        class_node = self.classes.get(type_)
        if class_node is not None:
            # `session = requests.Session()` in the class body, read as `self.session`.
            bindings = self._bindings.get(class_node.id, {}).get(name)
            if bindings and len({(b.target, b.type) for b in bindings}) == 1 and bindings[0].type:
                return "inst", bindings[0].type
        return "ref", f"{type_}.{name}"

    def _call_result(self, callee: tuple[str, str]) -> Optional[tuple[str, str]]:
        if callee[0] == "ref" and callee[1] in FACTORY_TYPES:
            return "inst", FACTORY_TYPES[callee[1]]
        if callee[0] == "ref" and (callee[1] in self.classes or _looks_like_class(callee[1])):
            return "inst", callee[1]
        if callee[0] == "ref" and "(" not in callee[1] and callee[1].split(".", 1)[0] in self._module_parts:
            # Maybe a project function (rooted where this module is): what it returns is known to
            # the project index only, so `x = data_dir(); x.iterdir()` keeps the call to look it up.
            return "ref", callee[1] + "()"
        return None

    def resolve(self, node, scope: Optional[FunctionFact] = None) -> Optional[str]:
        """The qualified name `node` refers to (`rq.get` -> `requests.get`,
        `s.get` with `s = requests.Session()` -> `requests.Session.get`), or
        None. The scope is found from the node; `scope` is accepted for
        symmetry with `scope_at`."""
        resolved = self._qualify(node, self._binding_key(node), node.start_byte)
        return resolved[1] if resolved and resolved[0] == "ref" and "(" not in resolved[1] else None

    def lookup_name(self, name: str, at_node) -> Optional[str]:
        """What the bare `name` refers to at `at_node` (qualified name), or
        None when unbound, ambiguous or not a known target."""
        binding = self._lookup(name, self._binding_key(at_node), at_node.start_byte)
        if binding is _MISSING:
            return f"builtins.{name}" if name in BUILTIN_NAMES else None
        target = binding.target if binding is not None else None
        return target if target is None or "(" not in target else None  # a call's result: no name

    def is_bound(self, name: str, at_node) -> bool:
        """Whether `name` is bound (to anything, known or not) where `at_node` is."""
        return self._lookup(name, self._binding_key(at_node), at_node.start_byte) is not _MISSING

    def declares_global(self, function_node, name: str) -> bool:
        """Whether the function `function_node` declares `name` with a `global` statement."""
        return name in self._globals.get(function_node.id, ())

    def type_of(self, node) -> Optional[str]:
        """The qualified type of the instance `node` evaluates to, if known."""
        resolved = self._qualify(node, self._binding_key(node), node.start_byte)
        return resolved[1] if resolved and resolved[0] == "inst" else None

    def scope_at(self, node) -> Optional[FunctionFact]:
        """The innermost function/lambda whose body contains `node` (None at
        module or class level; defaults and decorators are outside)."""
        key = self._binding_key(node)
        while key is not None and key not in self._functions_by_id:
            key = self._parent_key.get(key)
        return self._functions_by_id.get(key) if key is not None else None

    # -- pass 3: decorators, routes, awaits, calls ----------------------------

    def _collect_decorators(self, function: FunctionFact) -> None:
        if function.node.type == "lambda":
            return
        parent = function.node.parent
        if parent is None or parent.type != "decorated_definition":
            return
        key = self._parent_key.get(function.node.id)
        for node in parent.children:
            if node.type != "decorator" or not node.named_children:
                continue
            expression = node.named_children[0]
            target = expression.child_by_field_name("function") if expression.type == "call" else expression
            decorator = Decorator(node=node, expression=expression)
            resolved = self._qualify(target, key, node.start_byte)
            if resolved is not None:
                decorator.callee = resolved[1] if resolved[0] == "ref" else None
            if target is not None and target.type == "attribute":
                decorator.attribute = self._text(target.child_by_field_name("attribute"))
                owner = self._qualify(target.child_by_field_name("object"), key, node.start_byte)
                if owner is not None:
                    if owner[0] == "ref":
                        decorator.owner = owner[1]
                    else:
                        decorator.owner_type = owner[1]
                        decorator.owner = self._owner_name(target.child_by_field_name("object"), key)
                        decorator.callee = f"{owner[1]}.{decorator.attribute}"
            function.decorators.append(decorator)
            if function.route is None and expression.type == "call":
                function.route = detect_route(self, decorator)

    def _owner_name(self, node, key) -> Optional[str]:
        if node.type == "identifier":
            return f"{self.module}.{self._text(node)}"
        return None

    def route_path_prefix(self, owner: Optional[str]) -> str:
        """`APIRouter(prefix="/users")` bound at module level: its prefix."""
        return self._router_prefixes.get(owner or "", "")

    def _collect_awaits(self, awaits, fors, with_items, for_ins) -> None:
        marks = list(awaits)
        marks += [n for n in fors if n.children and n.children[0].type == "async"]
        marks += [n for n in for_ins if n.children and n.children[0].type == "async"]
        for item in with_items:
            statement = item.parent.parent if item.parent is not None else None
            if statement is not None and statement.type == "with_statement" and statement.children[0].type == "async":
                marks.append(statement)
        for node in marks:
            scope = self.scope_at(node)
            if scope is not None:
                scope.has_await = True

    def _collect_calls(self, calls, awaits=()) -> None:
        awaited = set()
        for node in awaits:
            inner = node.named_children[0] if node.named_children else None
            while inner is not None and inner.type == "parenthesized_expression" and inner.named_children:
                inner = inner.named_children[0]
            if inner is not None:
                awaited.add(inner.id)
        functions_by_id, parent_key, call_loops = self._functions_by_id, self._parent_key, self._call_loops
        text, qualify, binding_key = self._text, self._qualify, self._binding_key
        self._call_results = {}
        for node in calls:
            node_id = node.id
            function = node.child_by_field_name("function")
            key = binding_key(node)
            resolved = qualify(function, key, node.start_byte) if function is not None else None
            # Calling an instance (`__call__`) calls something unknown.
            callee = resolved[1] if resolved and resolved[0] == "ref" else None
            deferred = None
            if callee is not None and "(" in callee:
                deferred = callee if _is_deferred(callee) else None
                callee = None
            scope_key = key  # scope_at(node), from the key already found
            while scope_key is not None and scope_key not in functions_by_id:
                scope_key = parent_key.get(scope_key)
            scope = functions_by_id.get(scope_key) if scope_key is not None else None
            loops = call_loops.get(node_id)
            if loops is None:
                loops = tuple(self._scope_and_loops(node)[1])
            fact = CallFact(node, function, text(function) if function is not None else "", callee, scope,
                            node_id in awaited, loops, deferred=deferred)
            self.calls.append(fact)
            self._calls_by_id[node_id] = fact
            if scope is not None:
                scope.calls.append(fact)
        self._call_results = None
        for fact in self.calls:
            offload_index = self._offload_index(fact)
            if offload_index is None:
                continue
            args = fact.node.child_by_field_name("arguments")
            positional = [a for a in (args.named_children if args else ()) if a.type not in ("keyword_argument", "comment")]
            if offload_index < len(positional):
                fact.offloads = self.resolve(positional[offload_index])
            for arg in args.named_children if args else ():
                value = arg.child_by_field_name("value") if arg.type == "keyword_argument" else arg
                while value is not None and value.type == "parenthesized_expression" and value.named_children:
                    value = value.named_children[0]
                inner = self._calls_by_id.get(value.id) if value is not None else None
                if inner is not None:
                    inner.offloaded_by = fact.callee or fact.callee_text

    def _offload_index(self, fact: CallFact) -> Optional[int]:
        if fact.callee in OFFLOADERS:
            return OFFLOADERS[fact.callee]
        if fact.callee_text.endswith(RUN_IN_EXECUTOR) and fact.function.type == "attribute":
            attribute = fact.function.child_by_field_name("attribute")
            if attribute is not None and self._text(attribute) == RUN_IN_EXECUTOR:
                return 1
        return None

    def _scope_and_loops(self, node) -> tuple[Optional[FunctionFact], list]:
        """One walk up from a call: the loops around it in its own scope, then its scope."""
        loops = []
        child, parent = node, node.parent
        while parent is not None:
            kind = parent.type
            if kind in FUNCTION_TYPES:
                body = parent.child_by_field_name("body")
                if body is not None and body.id == child.id:
                    return self._functions_by_id.get(parent.id), loops
            elif kind == "for_statement":
                body = parent.child_by_field_name("body")
                if body is not None and body.id == child.id:
                    targets = tuple(self._text(n) for n in self._target_names(parent.child_by_field_name("left")))
                    loops.append(Loop(parent, "for", targets))
            elif kind == "while_statement":
                if child.type != "else_clause":
                    loops.append(Loop(parent, "while"))
            elif kind in COMPREHENSION_TYPES:
                clauses = [c for c in parent.named_children if c.type == "for_in_clause"]
                # The first clause's iterable is evaluated once, outside the loop.
                if not (clauses and clauses[0].id == child.id):
                    targets = tuple(
                        self._text(n) for c in clauses for n in self._target_names(c.child_by_field_name("left"))
                    )
                    loops.append(Loop(parent, "comprehension", targets))
            child, parent = parent, parent.parent
        return None, loops

    def _collect_objects(self) -> None:
        for name, bindings in self._bindings.get(None, {}).items():
            types = {b.type for b in bindings}
            if len(types) == 1 and None not in types and all(b.target is None for b in bindings):
                self.objects[name] = types.pop()

    # -- export -----------------------------------------------------------------

    def return_types(self) -> dict:
        """qualname -> the type a function returns: its return annotation, else the one class
        every `return` constructs (`return Path(...)`). Other files' `x = data_dir()` learn it
        from the project index (for an async def, only when awaited: its call gives a coroutine)."""
        returned: dict = {}
        for node in self._return_nodes:
            returned.setdefault(self._binding_key(node), []).append(node)
        found = {}
        for function in self.functions:
            if function.is_lambda:
                continue
            node = function.node
            annotation = node.child_by_field_name("return_type")
            if annotation is not None:
                type_ = self._annotation(annotation, self._parent_key.get(node.id))[0]
            else:
                type_ = self._constructed(returned.get(node.id, ()), node.id)
            if type_ and "(" not in type_ and not type_.startswith(("builtins.", "typing.")):
                found[function.qualname] = type_
        return found

    def _constructed(self, returns, key) -> Optional[str]:
        types = set()
        for node in returns:
            value = node.named_children[0] if node.named_children else None
            if value is None or value.type != "call":
                return None
            resolved = self._qualify(value, key, value.start_byte)
            if resolved is None or resolved[0] != "inst":
                return None
            types.add(resolved[1])
        return types.pop() if len(types) == 1 else None

    def class_bases(self) -> dict:
        """class qualname -> its bases' qualified names (plain names and attributes only)."""
        found = {}
        for qualname, node in self.classes.items():
            superclasses = node.child_by_field_name("superclasses")
            if superclasses is None:
                continue
            key = self._parent_key.get(node.id)
            names = []
            for base in superclasses.named_children:
                if base.type in ("identifier", "attribute"):
                    resolved = self._qualify(base, key, node.start_byte)
                    if resolved is not None and resolved[0] == "ref" and "(" not in resolved[1]:
                        names.append(resolved[1])
            if names:
                found[qualname] = names
        return found

    def call_position(self, call: CallFact) -> tuple:
        return self.source.position(call.node)

    def release(self) -> None:
        """Break the reference cycles (function <-> its calls, facts <-> derived facts) once the
        file is checked, so reference counting frees its facts and tree at once instead of
        leaving them to the cyclic garbage collector."""
        for function in self.functions:
            function.calls = []
            function.parent = None
        self.__dict__.clear()

    def derived(self, key: str, build):
        """Facts another module derives from these (database, async...), built once
        per file on first use and shared by every rule that asks."""
        cache = self.__dict__.setdefault("_derived", {})
        if key not in cache:
            cache[key] = build(self)
        return cache[key]

    def summary(self) -> dict:
        """Plain data for the project index: module, imports, module-level
        objects with known types (`app` -> `fastapi.FastAPI`), and per function
        its qualname, async-ness, route and calls as
        (callee, line, col, end_line, end_col, awaited, offloaded)."""
        functions = []
        position = self.source.position
        returns = self.return_types()
        per_row = per_row_summary(self)
        for function in self.functions:
            if function.is_lambda:
                continue  # no other file can call a lambda by name
            functions.append(
                {
                    "qualname": function.qualname,
                    "is_async": function.is_async,
                    "route": function.route.as_dict() if function.route else None,
                    # Builtins are left out: no project function is ever one of them.
                    "calls": [
                        (call.callee or call.deferred, *position(call.node), call.awaited, call.offloaded)
                        for call in function.calls
                        if (call.callee is not None and not call.callee.startswith("builtins.")) or call.deferred
                    ],
                    "returns": returns.get(function.qualname),
                    # its per-row database work, as PF301 reports it (facts/python_per_row.py), for the
                    # cross-stack route map: [[code, line, col, end_line, end_col, text], ...]
                    "per_row": per_row.get(function.qualname, []),
                    "offloads": sorted({c.offloads for c in function.calls if c.offloads}),
                    # what says it runs per request or once (analyzer/per_request.py): a view's
                    # `request` parameter, `@lru_cache`
                    "params": [p.name for p in function.params[:2]],
                    "decorators": sorted({_last(d.callee) or _last(self._text(d.expression).split("(", 1)[0])
                                          for d in function.decorators}),
                }
            )
        return {
            "module": self.module,
            "is_package": self.is_package,
            "imports": dict(self.imports),
            "objects": dict(self.objects),
            # module-level type aliases, for files that import them: name -> [type, Depends target]
            "aliases": {
                name: list(bindings[-1].alias) for name, bindings in self._bindings.get(None, {}).items()
                if bindings and bindings[-1].alias is not None
            },
            "functions": functions,
            # class -> its bases as qualified names, for methods a class inherits (`self.helper()`)
            "bases": self.class_bases(),
            # ORM models and the queries each function runs (analyzer/models.py)
            "db": db_summary(self),
            # blocking calls, session factories, route registrations (analyzer/async_index.py)
            "async": async_summary(self),
            # where routers are mounted, for the cross-stack route map (analyzer/route_map.py)
            "routing": routing_summary(self, ROUTE_ATTRIBUTES, ROUTE_FUNCTIONS) if self.reads_routing else None,
        }


def detect_route(facts: PythonFacts, decorator: Decorator) -> Optional[Route]:
    """A route from `@<owner>.<attribute>(path, ...)`, using ROUTE_STYLES.

    The owner must be a known app/router instance of this file, or a name
    imported from elsewhere (then `confirmed=False` and `framework` is the only
    style using that attribute, or None when several do)."""
    if decorator.expression.type == "call" and decorator.callee in ROUTE_FUNCTIONS:
        return _function_route(facts, decorator)
    if decorator.attribute not in ROUTE_ATTRIBUTES or decorator.expression.type != "call":
        return None
    if decorator.owner_type is not None:
        styles = [s for s in ROUTE_STYLES if decorator.owner_type in s.owner_types]
        confirmed = True
    elif decorator.owner is not None and not decorator.owner.startswith("builtins."):
        styles = [s for s in ROUTE_STYLES if decorator.attribute in s.attributes]
        confirmed = False
        if not facts.module or decorator.owner.split(".", 1)[0] in _KNOWN_LIBRARY_ROOTS:
            return None
    else:
        return None
    styles = [s for s in styles if decorator.attribute in s.attributes]
    if not styles:
        return None
    style = styles[0]
    positional, keywords = _call_arguments(decorator.expression)
    path_node = positional[0] if positional else keywords.get(style.path_keyword)
    path = _string_value(facts, path_node)
    if path is None:
        path = facts._text(path_node) if path_node is not None else "?"
    path = facts.route_path_prefix(decorator.owner) + path
    methods = style.attributes[decorator.attribute]
    if methods is None:
        methods_node = keywords.get("methods")
        values = [
            _string_value(facts, n) for n in (methods_node.named_children if methods_node is not None else ())
        ]
        methods = tuple(v.upper() for v in values if v) or style.default_methods
    return Route(
        framework=style.framework if (confirmed or len(styles) == 1) else None,
        methods=tuple(methods),
        path=path,
        owner=decorator.owner,
        confirmed=confirmed,
    )


def _function_route(facts: PythonFacts, decorator: Decorator) -> Route:
    """`@get("/users/{user_id:int}")` (Litestar): path first or `path=`; no
    path means the handler's own `/`."""
    framework, methods = ROUTE_FUNCTIONS[decorator.callee]
    positional, keywords = _call_arguments(decorator.expression)
    path_node = positional[0] if positional else keywords.get("path")
    path = _string_value(facts, path_node) if path_node is not None else "/"
    if methods is None:
        methods_node = keywords.get("http_method")
        values = [_string_value(facts, n) for n in (methods_node.named_children if methods_node is not None else ())]
        methods = tuple(v.upper() for v in values if v) or ("GET",)
    return Route(framework, tuple(methods), path if path is not None else "?", None, True)


# Owners under these roots are libraries, never a project's app object.
_KNOWN_LIBRARY_ROOTS = frozenset({"requests", "httpx", "functools", "pytest", "builtins", "typing", "asyncio"})


def confirm_route(route: Optional[Route], index) -> Optional[Route]:
    """A route whose owner is imported from another module, checked against
    the project index (`objects` of every Python summary). Returns the route
    (confirmed) or None when the owner is not a known app/router."""
    if route is None or route.confirmed:
        return route
    return _confirmed_route(index, route.as_fields())


@question
def _confirmed_route(index, fields: tuple) -> Optional[Route]:
    route = Route(*fields)
    objects = index.get_derived("python.objects", build_object_types)
    owner = route.owner or ""
    type_ = objects.get(owner)
    if type_ is None:
        # Absolute imports may be rooted below the repository root (`app.main`
        # for `backend/app/main.py`): accept a unique suffix match.
        matches = {t for name, t in objects.items() if name.endswith("." + owner)}
        type_ = matches.pop() if len(matches) == 1 else None
    for style in ROUTE_STYLES:
        if type_ in style.owner_types:
            return Route(style.framework, route.methods, route.path, route.owner, True)
    return None


def dotted_suffixes(name: str):
    """The names `x` with `name.endswith("." + x)`: `a.b.c` -> `b.c`, `c`.

    Project indexes key names by every suffix, so matching `app.db` against
    `backend.app.db` is a dict lookup rather than a scan of every name."""
    start = name.find(".")
    while start != -1:
        yield name[start + 1 :]
        start = name.find(".", start + 1)


def build_object_types(index) -> dict:
    objects = {}
    for summary in index.python.values():
        module = summary.get("module", "")
        for name, type_ in summary.get("objects", {}).items():
            objects[f"{module}.{name}" if module else name] = type_
    return objects
