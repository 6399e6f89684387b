"""How a Python file assembles its routes, for the cross-stack route map (analyzer/route_map.py).

Route decorators and registrations give a path relative to their app or router (with the
router's own `APIRouter(prefix=...)`); the full path also needs where that router is mounted:

- `mounts`: `app.include_router(router, prefix="/api")`, `app.mount("/v2", sub_app)`, Flask's
  `app.register_blueprint(bp, url_prefix="/api")`, as [parent, child, prefix, kind, parent type]:
  the parent and child as qualified names (the child as this file imports it), the prefix None
  when it is not a literal string, or ["attr", object, name] for `prefix=settings.NAME` (the
  index reads the default of `class_strings`: class attributes given a literal string);
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
            if prefix is None and prefix_node.type == "attribute":
                # `prefix=settings.API_V1_STR`: the index looks up the settings class's default
                owner_name = facts.resolve(prefix_node.child_by_field_name("object"))
                if owner_name:
                    prefix = ["attr", owner_name, facts._text(prefix_node.child_by_field_name("attribute"))]
            # The parent's type too: an app made inside a function (`create_app()`) is no module object.
            mounts.append([f"{facts.module}.{facts._text(owner)}", name, prefix, method, facts.type_of(owner)])
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
    found = {"mounts": mounts, "prefixes": prefixes, "dynamic": sorted(dynamic), "handlers": handlers,
             "class_strings": _class_strings(facts)}
    found.update(_django(facts))
    return found


DJANGO_PATHS = frozenset({"django.urls.path"})
DJANGO_REGEX_PATHS = frozenset({"django.urls.re_path", "django.conf.urls.url"})
DJANGO_INCLUDE = frozenset({"django.urls.include", "django.conf.urls.include"})


def _django(facts) -> dict:
    """Django's URL configuration of this module, as the index assembles it from ROOT_URLCONF:

    - `urlconf`: the entries of the module-level `urlpatterns` (and `urlpatterns += [...]`):
      ["view", path, target, methods] (`methods` from a ViewSet's `as_view({"get": ...})`, else
      None), ["include", path, module] (a dotted string or an imported module), ["spread", name]
      for `*other_urlpatterns`; a `re_path`/`url` regular expression is left out (never matched);
    - `root_urlconf`: a settings module's `ROOT_URLCONF = "..."`;
    - `definitions`: where each module-level class and function is (a view's handler location).
    """
    found: dict = {}
    definitions = {}
    for qualname, node in facts.classes.items():
        name = node.child_by_field_name("name")
        if name is not None:
            definitions[qualname] = [*facts.source.position(name), node.end_point[0] + 1]
    for function in facts.functions:
        name = function.node.child_by_field_name("name") if not function.is_lambda else None
        if name is not None and function.parent is None and function.class_name is None:  # a function view
            definitions.setdefault(function.qualname, [*facts.source.position(name), function.node.end_point[0] + 1])
    root = facts.source.tree.root_node
    entries = []
    for statement in root.named_children:
        node = statement.named_children[0] if statement.type == "expression_statement" and statement.named_children else None
        if node is None or node.type not in ("assignment", "augmented_assignment"):
            continue
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None or left.type != "identifier":
            continue
        target = facts._text(left)
        if target == "ROOT_URLCONF" and node.type == "assignment":
            value = _string_value(facts, right)
            if value:
                found["root_urlconf"] = value
        elif target == "urlpatterns" and right.type == "list":
            entries += [entry for item in right.named_children for entry in [_url_entry(facts, item)] if entry]
    if entries:
        found["urlconf"] = entries
        found["definitions"] = definitions
    elif definitions:
        found["definitions"] = definitions
    return found


def _url_entry(facts, item):
    if item.type == "list_splat":
        inner = item.named_children[0] if item.named_children else None
        name = facts.resolve(inner) if inner is not None else None
        if name is None and inner is not None and inner.type == "identifier":
            name = f"{facts.module}.{facts._text(inner)}"
        return ["spread", name] if name else None
    if item.type != "call":
        return None
    callee = facts.resolve(item.child_by_field_name("function"))
    if callee not in DJANGO_PATHS:
        return None
    positional, keywords = _call_arguments(item)
    route = _string_value(facts, positional[0] if positional else keywords.get("route"))
    view = positional[1] if len(positional) > 1 else keywords.get("view")
    if route is None or view is None:
        return None
    if view.type == "call":
        function = view.child_by_field_name("function")
        called = facts.resolve(function)
        if called in DJANGO_INCLUDE:
            arguments = _call_arguments(view)[0]
            module = arguments[0] if arguments else None
            if module is None:
                return None
            name = _string_value(facts, module) if module.type == "string" else facts.resolve(module)
            return ["include", route, name] if name else None
        if function is not None and function.type == "attribute" and facts._text(function.child_by_field_name("attribute")) == "as_view":
            target = facts.resolve(function.child_by_field_name("object"))
            if not target:
                return None
            arguments = _call_arguments(view)[0]
            methods = None
            if arguments and arguments[0].type == "dictionary":
                keys = [_string_value(facts, pair.child_by_field_name("key")) for pair in arguments[0].named_children
                        if pair.type == "pair"]
                methods = sorted({key.upper() for key in keys if key})
            return ["view", route, target, methods]
        return None
    target = facts.resolve(view)
    return ["view", route, target, None] if target else None


def _class_strings(facts) -> dict:
    """`Class.NAME` -> "text" for class attributes given a literal string (`API_V1_STR: str =
    "/api/v1"` in a settings class)."""
    found = {}
    for qualname, node in facts.classes.items():
        body = node.child_by_field_name("body")
        for statement in body.named_children if body is not None else ():
            assignment = statement.named_children[0] if statement.type == "expression_statement" and statement.named_children else None
            if assignment is None or assignment.type != "assignment":
                continue
            left, right = assignment.child_by_field_name("left"), assignment.child_by_field_name("right")
            value = _string_value(facts, right) if right is not None and left is not None and left.type == "identifier" else None
            if value is not None:
                found[f"{qualname}.{facts._text(left)}"] = value
    return found


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
