"""How a Python file assembles its routes, for the cross-stack route map (analyzer/route_map.py).

Route decorators and registrations give a path relative to their app or router (with the
router's own `APIRouter(prefix=...)`); the full path also needs where that router is mounted:

- `mounts`: `app.include_router(router, prefix="/api")`, `app.mount("/v2", sub_app)`, Flask's
  `app.register_blueprint(bp, url_prefix="/api")`, as [parent, child, prefix, kind]: the parent
  and child as qualified names (the child as this file imports it), the prefix None when it is
  not a literal string;
- `prefixes`: Flask `Blueprint(..., url_prefix="/x")` (FastAPI's own prefix is already in the
  routes' paths);
- `handlers`: where each decorated route handler is (its name; the last line of its body);
- `dynamic`: handlers whose route path, or whose router's prefix, is not a literal string, and
  routers with such a prefix: their full path cannot be proven.
"""

from __future__ import annotations

from .python_common import _call_arguments, _string_value

APP_TYPES = frozenset({
    "fastapi.FastAPI", "fastapi.applications.FastAPI", "fastapi.APIRouter", "fastapi.routing.APIRouter",
    "starlette.applications.Starlette", "starlette.routing.Router",
    "flask.Flask", "flask.app.Flask", "flask.Blueprint", "flask.blueprints.Blueprint",
    "quart.Quart", "quart.app.Quart", "quart.Blueprint", "quart.blueprints.Blueprint",
})
BLUEPRINT_TYPES = frozenset({"flask.Blueprint", "flask.blueprints.Blueprint", "quart.Blueprint", "quart.blueprints.Blueprint"})
ROUTER_TYPES = frozenset({"fastapi.APIRouter", "fastapi.routing.APIRouter"})
# method -> (index of the child, its keyword, index of the prefix, its keyword)
MOUNT_CALLS = {
    "include_router": (0, "router", None, "prefix"),
    "register_blueprint": (0, "blueprint", None, "url_prefix"),
    "mount": (1, "app", 0, "path"),
}


def routing_summary(facts, route_attributes: frozenset, route_functions) -> dict:
    """`route_attributes` / `route_functions`: the decorators that declare routes (python.py's
    ROUTE_ATTRIBUTES and ROUTE_FUNCTIONS; passed in, as python.py imports this module)."""
    mounts: list = []
    prefixes: dict = {}
    dynamic: set = set()
    for call in facts.calls:
        function = call.function
        if function is None:
            continue
        if function.type == "attribute":
            method = facts._text(function.child_by_field_name("attribute"))
            spec = MOUNT_CALLS.get(method)
            owner = function.child_by_field_name("object")
            if spec is None or owner is None or owner.type != "identifier" or facts.type_of(owner) not in APP_TYPES:
                continue
            positional, keywords = _call_arguments(call.node)
            child_index, child_keyword, prefix_index, prefix_keyword = spec
            child = keywords.get(child_keyword) or (positional[child_index] if child_index < len(positional) else None)
            prefix_node = keywords.get(prefix_keyword)
            if prefix_node is None and prefix_index is not None and prefix_index < len(positional):
                prefix_node = positional[prefix_index]
            name = facts.resolve(child) if child is not None and child.type in ("identifier", "attribute") else None
            if not name and child is not None and child.type == "identifier" and facts.type_of(child) in APP_TYPES:
                name = f"{facts.module}.{facts._text(child)}"  # a router made in this module
            if not name:
                continue
            prefix = "" if prefix_node is None else _string_value(facts, prefix_node)
            mounts.append([f"{facts.module}.{facts._text(owner)}", name, prefix, method])
        elif call.callee in APP_TYPES and call.scope is None:
            # A module-level `router = APIRouter(prefix=...)` / `bp = Blueprint(..., url_prefix=...)`.
            target = _assigned_name(facts, call.node)
            if target is None:
                continue
            keyword = "url_prefix" if call.callee in BLUEPRINT_TYPES else "prefix"
            prefix_node = _call_arguments(call.node)[1].get(keyword)
            if prefix_node is None:
                continue
            prefix = _string_value(facts, prefix_node)
            owner = f"{facts.module}.{target}"
            if prefix is None:
                dynamic.add(owner)
            elif call.callee in BLUEPRINT_TYPES:
                prefixes[owner] = prefix
    handlers: dict = {}
    for function in facts.functions:
        route = function.route
        if route is None or function.is_lambda:
            continue
        name = function.node.child_by_field_name("name")
        if name is not None:
            handlers[function.qualname] = [*facts.source.position(name), function.node.end_point[0] + 1]
        decorator = next((d for d in function.decorators if d.expression.type == "call" and (
            d.attribute in route_attributes or d.callee in route_functions)), None)
        if decorator is None or not _literal_path(facts, decorator):
            dynamic.add(function.qualname)
    return {"mounts": mounts, "prefixes": prefixes, "dynamic": sorted(dynamic), "handlers": handlers}


def _literal_path(facts, decorator) -> bool:
    """Whether the route decorator's path is a literal string (or absent: Litestar's `/`)."""
    positional, keywords = _call_arguments(decorator.expression)
    node = positional[0] if positional else keywords.get("path") or keywords.get("rule") or keywords.get("uri")
    return node is None or _string_value(facts, node) is not None


def _assigned_name(facts, call):
    parent = call.parent
    if parent is not None and parent.type == "assignment":
        left = parent.child_by_field_name("left")
        if left is not None and left.type == "identifier" and parent.child_by_field_name("right") == call:
            return facts._text(left)
    return None
