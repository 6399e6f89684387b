"""The functions of one file with their line spans, from its facts: what a profile's frames
and a finding's line are matched against. Built at measure time, only for the files a profile
or a finding names (parsing a few files again is cheaper than carrying spans of every function
through the cache)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..findings import Span


@dataclass(frozen=True)
class Scope:
    name: str  # as a profiler names it: `build_rows`, `UserList`
    display: str  # as a person reads it: `reports.build_rows`, `<UserList>`
    kind: str  # "function", "component" or "hook"
    start: int  # first line, decorators included (what cProfile records for a decorated def)
    def_line: int  # the line of `def` / of the function itself
    end: int
    name_span: Span  # where a note about it points

    def holds(self, line: int) -> bool:
        return self.start <= line <= self.end


def scopes_of(source) -> list[Scope]:
    from ..facts import build_facts

    facts = build_facts(source)
    if source.family == "python":
        return _python_scopes(source, facts)
    return _tsx_scopes(source, facts)


def innermost(scopes: list[Scope], line: int) -> Optional[Scope]:
    holding = [s for s in scopes if s.holds(line)]
    return max(holding, key=lambda s: (s.start, -s.end)) if holding else None


def _python_scopes(source, facts) -> list[Scope]:
    module_short = facts.module.rsplit(".", 1)[-1] if facts.module else ""
    scopes = []
    for function in facts.functions:
        if function.is_lambda:
            continue
        node = function.node
        outer = node.parent if node.parent is not None and node.parent.type == "decorated_definition" else node
        name_node = node.child_by_field_name("name") or node
        local = function.qualname[len(facts.module) + 1:] if function.qualname.startswith(facts.module + ".") else function.qualname
        display = f"{module_short}.{local}" if module_short and module_short != "__init__" else local
        scopes.append(Scope(function.name, display, "function", outer.start_point[0] + 1, node.start_point[0] + 1,
                            node.end_point[0] + 1, source.span(name_node)))
    return scopes


def _tsx_scopes(source, facts) -> list[Scope]:
    from ..facts.tsx import FUNCTION_TYPES

    owners = {}
    for owner in [*facts.components, *facts.hooks]:
        owners[owner.node.id] = owner
        if owner.render is not None:
            owners.setdefault(owner.render.id, owner)
    scopes = []
    pending = [source.tree.root_node]
    while pending:
        node = pending.pop()
        pending.extend(reversed(node.named_children))
        owner = owners.get(node.id)
        if owner is not None and owner.node.id == node.id:
            kind = "hook" if owner.is_hook else "component"
            display = owner.name if owner.is_hook else f"<{owner.name}>"
            name_node = node.child_by_field_name("name") or _js_name(node) or node
            scopes.append(Scope(owner.name, display, kind, node.start_point[0] + 1, node.start_point[0] + 1,
                                node.end_point[0] + 1, source.span(name_node)))
            if owner.kind != "class":
                continue  # a class component's methods (`render`) are functions of their own

        if node.type not in FUNCTION_TYPES:
            continue
        name_node = _js_name(node)
        if name_node is None:
            continue  # an anonymous callback: its time counts in the function around it
        name = source.node_text(name_node)
        scopes.append(Scope(name, name, "function", node.start_point[0] + 1, node.start_point[0] + 1,
                            node.end_point[0] + 1, source.span(name_node)))
    return scopes


def _js_name(node):
    """The name a JavaScript engine gives a function: its own, or the variable, property or
    method it is assigned to (`const sortRows = (rows) => ...`)."""
    own = node.child_by_field_name("name")
    if own is not None:
        return own
    parent = node.parent
    # A function passed as an argument (`xs.sort((a, b) => ...)`, `memo(() => ...)`) gets no
    # name from the engine: its time counts in the function around it.
    while parent is not None and parent.type == "parenthesized_expression":
        parent = parent.parent
    if parent is None:
        return None
    if parent.type == "variable_declarator":
        return parent.child_by_field_name("name")
    if parent.type in ("pair", "public_field_definition", "field_definition"):
        return parent.child_by_field_name("key") or parent.child_by_field_name("name") or parent.child_by_field_name("property")
    if parent.type == "assignment_expression":
        left = parent.child_by_field_name("left")
        if left is not None and left.type == "member_expression":
            return left.child_by_field_name("property")
        return left
    return None
