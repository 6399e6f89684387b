"""Client-side route tables of one TSX file: which component each route renders.

Read from the TSX facts (JSX elements, calls, module-level bindings, lazy wraps), never from a
new walk of the whole tree:

- React Router JSX: `<Route path="x" element={<Page />} />` (also `component={Page}` /
  `Component={Page}` of React Router v5 and v6.4+), nested `<Route>`s inside `<Routes>`,
  `<Switch>` or `createRoutesFromElements(...)`;
- React Router route objects: the arrays given to `createBrowserRouter`, `createHashRouter`,
  `createMemoryRouter` (data routers) or `useRoutes`, followed through module-level constants,
  spreads and `children`: `{ path: "x", element: <Page /> }`, `{ path, Component: Page }`,
  `{ path, lazy: () => import("./x") }`;
- TanStack Router code-based routes: `createRoute({ path, component: Page })`, with
  `component: lazyRouteComponent(() => import(...))` or `.lazy(() => import(...))` as lazy.

File-based routes (TanStack `createFileRoute`, React Router v7's `app/routes.ts` naming files,
Next.js, Remix) name no component to render here: they are not route entries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from . import tsx as model

ROUTE_TAGS = frozenset({"Route"})
# React Router functions taking an array of route objects; the data routers support `lazy`.
DATA_ROUTERS = frozenset({"createBrowserRouter", "createHashRouter", "createMemoryRouter", "createStaticRouter"})
ROUTE_ARRAY_CALLS = DATA_ROUTERS | {"useRoutes"}
# Props / keys naming what a route renders: an element, or a component type.
ELEMENT_KEYS = frozenset({"element"})
COMPONENT_KEYS = frozenset({"Component", "component"})
# Routers rendering in memory: tests, stories, embedded widgets, not a page load.
MEMORY_ROUTERS = frozenset({"MemoryRouter", "createMemoryRouter", "StaticRouter", "createStaticRouter"})
SUSPENSE_TAGS = frozenset({"Suspense", "React.Suspense"})
TANSTACK_LAZY = frozenset({"lazyRouteComponent"})
MAX_ROUTE_DEPTH = 64  # nesting of route arrays followed through constants (cycle guard)


@dataclass(eq=False)
class RouteEntry:
    """One route of a route table.

    `page` is the node naming the component the route renders (the `<Page />` element, or the
    `Page` identifier of `Component: Page`), `page_name` its name; both empty when the route
    renders something else (an inline element, a member expression) or is lazy. `bare` is true
    when the route renders the component with no props and no children (`<Page />`,
    `Component: Page`)."""

    node: object  # the `<Route>` element, the route object, or the `createRoute` call
    form: str  # "jsx" | "object" | "tanstack"
    router: str  # the call or tag holding the table: "createBrowserRouter", "useRoutes", "Routes", "createRoute"
    path: Optional[str] = None  # the literal path, None when absent or not a literal
    index: bool = False
    page: object = None
    page_name: str = ""
    bare: bool = False
    lazy: bool = False  # loads its module on demand (`lazy: () => import()`, a React.lazy component...)
    parent: Optional["RouteEntry"] = None
    children: list = field(default_factory=list)
    in_suspense: bool = False  # inside a `<Suspense>` element of this file
    in_memory_router: bool = False

    @property
    def is_layout(self) -> bool:
        return bool(self.children)


def route_entries(facts) -> list:
    """Every route entry of the file, in source order."""
    entries = _jsx_routes(facts) + _object_routes(facts) + _tanstack_routes(facts)
    return sorted(entries, key=lambda entry: entry.node.start_byte)


# -- JSX `<Route>` ----------------------------------------------------------------------------


def _jsx_routes(facts) -> list:
    entries = []
    by_container: dict = {}  # the jsx_element (or self-closing element) of a <Route> -> its entry
    for element in facts.jsx_elements:
        if element.tag not in ROUTE_TAGS:
            continue
        entry = RouteEntry(element.node, "jsx", "Routes")
        for name, value in element.attributes:
            if name == "path":
                entry.path = literal_string(facts, value)
            elif name == "index":
                entry.index = value is None or (value.type == "true")
            elif name in ELEMENT_KEYS:
                _read_element(facts, entry, value)
            elif name in COMPONENT_KEYS:
                _read_component(facts, entry, value)
        container = element.node if element.node.type == "jsx_self_closing_element" else element.node.parent
        if entry.page is None and container is not element.node:
            _read_child_element(facts, entry, container)
        by_container[container.id] = entry
        entry.in_suspense, entry.in_memory_router, parent = _jsx_context(facts, container, by_container)
        if parent is not None:
            entry.parent = parent
            parent.children.append(entry)
        entries.append(entry)
    return entries


def _jsx_context(facts, container, by_container):
    """(inside <Suspense>, inside a memory router, the enclosing <Route>'s entry) of a route,
    from its ancestors (enclosing routes come first in source order, so they are known)."""
    in_suspense = in_memory = False
    parent_route = None
    node = container.parent
    while node is not None:
        if node.type == "jsx_element":
            if parent_route is None and node.id in by_container:
                parent_route = by_container[node.id]
            opening = node.child_by_field_name("open_tag")
            name = opening.child_by_field_name("name") if opening is not None else None
            tag = facts.text(name) if name is not None else ""
            in_suspense = in_suspense or tag in SUSPENSE_TAGS
            in_memory = in_memory or tag in MEMORY_ROUTERS
        elif node.type == "call_expression" and facts._callee_name(node) in MEMORY_ROUTERS:
            in_memory = True
        node = node.parent
    return in_suspense, in_memory, parent_route


# -- route objects ------------------------------------------------------------------------------


def _object_routes(facts) -> list:
    entries: list = []
    for call in facts.calls:
        router = facts._callee_name(call)
        if router not in ROUTE_ARRAY_CALLS:
            continue
        table = facts._argument(call, 0)
        in_memory = router in MEMORY_ROUTERS
        _read_route_array(facts, table, call, router, None, in_memory, entries, 0)
    return entries


def _resolve(facts, node, at):
    """An array literal, through a module-level or local constant naming it."""
    node = model.unwrap(node)
    if node is not None and node.type == "identifier":
        binding = facts.lookup(facts.text(node), at)
        value = binding.value if binding is not None and not binding.reassigned else None
        node = model.unwrap(value) if value is not None else None
    return node


def _read_route_array(facts, table, at, router, parent, in_memory, entries, depth) -> None:
    array = _resolve(facts, table, at)
    if array is None or array.type != "array" or depth > MAX_ROUTE_DEPTH:
        return
    for item in array.named_children:
        item = model.unwrap(item)
        if item is None:
            continue
        if item.type == "spread_element" and item.named_children:
            _read_route_array(facts, item.named_children[0], at, router, parent, in_memory, entries, depth + 1)
        elif item.type == "object":
            _read_route_object(facts, item, at, router, parent, in_memory, entries, depth)


def _read_route_object(facts, obj, at, router, parent, in_memory, entries, depth) -> None:
    entry = RouteEntry(obj, "object", router, parent=parent, in_memory_router=in_memory)
    children = None
    for pair in obj.named_children:
        if pair.type != "pair":
            continue
        key, value = _key(facts, pair), pair.child_by_field_name("value")
        if key == "path":
            entry.path = literal_string(facts, value)
        elif key == "index":
            entry.index = value is not None and value.type == "true"
        elif key in ELEMENT_KEYS:
            _read_element(facts, entry, value)
        elif key in COMPONENT_KEYS:
            _read_component(facts, entry, value)
        elif key == "lazy":
            entry.lazy = True
        elif key == "children":
            children = value
    if parent is not None:
        parent.children.append(entry)
    entries.append(entry)
    if children is not None:
        _read_route_array(facts, children, at, router, entry, in_memory, entries, depth + 1)


# -- TanStack Router ------------------------------------------------------------------------------


def _tanstack_routes(facts) -> list:
    entries = []
    parents = set()  # names of routes given children: `layoutRoute.addChildren([...])`
    for call in facts.calls:
        if facts._callee_name(call) == "addChildren":
            callee = facts.callee(call)
            receiver = model.unwrap(callee.child_by_field_name("object")) if callee.type == "member_expression" else None
            if receiver is not None and receiver.type == "identifier":
                parents.add(facts.text(receiver))
    for call in facts.calls:
        if facts._callee_name(call) != "createRoute":
            continue
        options = model.unwrap(facts._argument(call, 0))
        if options is None or options.type != "object":
            continue
        entry = RouteEntry(call, "tanstack", "createRoute")
        has_id = False
        for pair in options.named_children:
            if pair.type != "pair":
                continue
            key, value = _key(facts, pair), pair.child_by_field_name("value")
            if key == "path":
                entry.path = literal_string(facts, value)
            elif key == "id":
                has_id = True
            elif key == "component":
                value = model.unwrap(value)
                if value is not None and value.type == "call_expression" and facts._callee_name(value) in TANSTACK_LAZY:
                    entry.lazy = True
                else:
                    _read_component(facts, entry, value)
        if facts.is_chained(call) and facts._callee_name(facts._outer_calls()[call.id]) == "lazy":
            entry.lazy = True  # `createRoute({...}).lazy(() => import("./x.lazy").then((d) => d.Route))`
        declarator = _declarator_of(call)
        name = facts._declarator_name(declarator) if declarator is not None else None
        if (name is not None and name in parents) or (has_id and entry.path is None):
            entry.children.append(None)  # a layout route: what it renders wraps other routes
        entries.append(entry)
    return entries


def _declarator_of(call):
    node = call.parent
    while node is not None and node.type in model.TRANSPARENT_TYPES:
        node = node.parent
    return node if node is not None and node.type == "variable_declarator" else None


# -- shared readers ---------------------------------------------------------------------------------


def _key(facts, pair) -> str:
    key = pair.child_by_field_name("key")
    if key is None:
        return ""
    text = facts.text(key)
    return text[1:-1] if key.type == "string" else text


def literal_string(facts, value) -> Optional[str]:
    """The text of a string, `{"..."}` or a template without substitutions; else None."""
    value = model.unwrap(value)
    if value is not None and value.type == "string":
        return facts.text(value)[1:-1]
    if value is not None and value.type == "template_string" and not any(
        c.type == "template_substitution" for c in value.named_children
    ):
        return facts.text(value)[1:-1]
    return None


def _read_element(facts, entry: RouteEntry, value) -> None:
    """`element={<Page />}`: the page is the innermost of single-child wrappers
    (`<RequireAuth><Page /></RequireAuth>`); a plain `<Page />` is bare."""
    node = model.unwrap(value)
    if node is not None and node.type == "jsx_expression":
        node = model.unwrap(node.named_children[0]) if node.named_children else None
    bare = True
    while node is not None and node.type == "jsx_element":
        inner = [c for c in node.named_children if c.type in ("jsx_element", "jsx_self_closing_element", "jsx_expression")
                 or (c.type == "jsx_text" and facts.text(c).strip())]
        opening = node.child_by_field_name("open_tag")
        if len(inner) != 1 or inner[0].type == "jsx_expression" or inner[0].type == "jsx_text":
            # `<Page>text</Page>`, `<Page>{x}</Page>`, several children: the outer tag is the page
            bare = False
            node = opening
            break
        bare = False
        node = inner[0]
    if node is None or node.type not in ("jsx_self_closing_element", "jsx_opening_element"):
        return
    name = node.child_by_field_name("name")
    if name is None or name.type != "identifier" or not facts.text(name)[:1].isupper():
        return
    has_attributes = any(c.type in ("jsx_attribute", "jsx_expression") for c in node.named_children)
    entry.page = node
    entry.page_name = facts.text(name)
    entry.bare = bare and node.type == "jsx_self_closing_element" and not has_attributes
    _mark_lazy(facts, entry)


def _read_child_element(facts, entry: RouteEntry, container) -> None:
    """React Router v5: `<Route path="/x"><Page /></Route>` renders its one child element (in v6
    the children of a `<Route>` are nested routes, read as routes)."""
    children = [c for c in container.named_children if c.type in ("jsx_element", "jsx_self_closing_element")]
    if len(children) != 1:
        return
    child = children[0]
    opening = child if child.type == "jsx_self_closing_element" else child.child_by_field_name("open_tag")
    name = opening.child_by_field_name("name") if opening is not None else None
    if name is not None and facts.text(name) not in ROUTE_TAGS:
        _read_element(facts, entry, child)


def _read_component(facts, entry: RouteEntry, value) -> None:
    """`Component: Page` / `component={Page}`."""
    node = model.unwrap(value)
    if node is not None and node.type == "jsx_expression":
        node = model.unwrap(node.named_children[0]) if node.named_children else None
    if node is None or node.type != "identifier" or not facts.text(node)[:1].isupper():
        return
    entry.page = node
    entry.page_name = facts.text(node)
    entry.bare = True
    _mark_lazy(facts, entry)


def _mark_lazy(facts, entry: RouteEntry) -> None:
    """A page bound to `lazy(() => import(...))` (React's, or an in-house `lazyWithRetry` named
    lazy) loads on demand."""
    wrap = facts.wraps.get(entry.page_name)
    if wrap is not None and wrap.lazy is not None:
        entry.lazy = True
