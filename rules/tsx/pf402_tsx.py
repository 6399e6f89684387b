"""The TypeScript/TSX half of PF402 sequential-await-in-loop (the rule class, its documentation and
examples are in `perfscan.rules.python.pf402_sequential_await_in_loop`, which calls
`report_findings` for TS/TSX files).

`request_call(facts, call)` says whether one call sends an HTTP read and which node is its URL;
`sequential_requests(facts)` lists the requests awaited one per iteration of a loop (and those
whose promises `forEach(async ...)` drops), each with its call and URL nodes, so a reader such as
a cross-stack route map can name the backend handler one URL reaches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from perfscan.facts.tsx import FUNCTION_TYPES, TRANSPARENT_TYPES, unwrap
from perfscan.findings import Related, short_text
from perfscan.route_map import request_link, route_for_call

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# `axios.get(url)`, `api.get<User>(url)`, `http.head(url)`: a client's read, recognised by its URL argument.
CLIENT_READS = frozenset({"get", "head", "options"})
# Global fetch, also called through the global object.
FETCH_OWNERS = frozenset({"window", "globalThis", "self"})
# An object named like an API client or service (`userService`, `api`, `this.client`, `issuesApi`)...
API_OBJECT = re.compile(r"(?:service|api|client|sdk)$", re.IGNORECASE)
# ...whose method is named like a read (`getUser`, `fetchIssue`, `listComments`, `resolveImageAssetUrl`).
READ_METHOD = re.compile(r"^(?:get|fetch|list|retrieve|load|resolve|search|find|query|read)(?:[A-Z_]|$)")
# `fetchDocuments()`, `store.fetchPage(id)`, `fetchUser(id)`: named for what it does, whatever the receiver.
FETCH_NAME = re.compile(r"^fetch[A-Z0-9_]")
# A URL argument given by name: `url`, `endpoint`, `avatarUrl`, `apiPath`, `href`.
URL_NAME = re.compile(r"(?:url|uri|endpoint|path|href)$", re.IGNORECASE)
# Waiting on purpose between requests: they are paced, not accidentally serial.
PACING = re.compile(r"sleep|delay|throttl|rate_?limit|ratelimit|limiter|semaphore|backoff|setTimeout|waitFor",
                    re.IGNORECASE)
LOOP_TYPES = frozenset({"for_statement", "for_in_statement"})
UNREPORTED_LOOPS = frozenset({"while_statement", "do_statement"})  # polling, pagination, retries
ASSIGNING = frozenset({"assignment_expression", "augmented_assignment_expression", "update_expression"})
BREAKABLE = frozenset({"for_statement", "for_in_statement", "while_statement", "do_statement", "switch_statement"})
ADVICE_TS = ("start them together and await the group: `await Promise.all({items}.map(...))` "
             "(`Promise.allSettled` when one failure must not drop the rest), or use a batch endpoint")


@dataclass(eq=False)
class SequentialRequest:
    """One awaited request that runs once per loop iteration, each after the previous one.

    `call` is the request call (the finding's location): `fetch(...)`, `api.get(...)`,
    `userService.getUser(...)`, a same-file function that sends one, or a project wrapper the
    route map follows to a request; `url` is its URL argument node (None for a service method, a
    helper or a wrapper: the URL is inside them); `kind` is "fetch", "client", "api-method",
    "helper" or "routed"; `loop` the loop node (the `forEach` call when `dropped`);
    `helper_request` the request inside the same-file helper, for "helper"."""

    call: object
    url: object
    kind: str
    loop: object
    loop_variable: str
    items: str  # what the loop walks, as written (`ids`, `userIds`)
    dropped: bool = False  # `forEach(async ...)`: the promises are not awaited at all
    helper_request: object = None
    method: str = "GET"
    notes: list = field(default_factory=list)


def request_call(facts, call) -> Optional[tuple]:
    """(kind, URL node or None, method) when `call` sends an HTTP read: `fetch(url)` without a
    method or with GET/HEAD, `client.get(url)` with a URL argument, a read method of an API
    object (`userService.getUser(id)`) or a function or method named `fetchX`. None for anything
    else, writes included."""
    callee = unwrap(call.child_by_field_name("function"))
    if callee is None:
        return None
    url = facts._argument(call, 0)
    if callee.type == "identifier" and facts.text(callee) == "fetch" or (
        callee.type == "member_expression" and _property(facts, callee) == "fetch"
        and facts.text(callee.child_by_field_name("object")) in FETCH_OWNERS
    ):
        method = _fetch_method(facts, facts._argument(call, 1))
        return ("fetch", url, method) if method in READ_METHODS else None
    if callee.type == "identifier" and FETCH_NAME.match(facts.text(callee)):
        return "api-method", None, "GET"
    if callee.type != "member_expression":
        return None
    name = _property(facts, callee)
    if FETCH_NAME.match(name):
        return "api-method", None, "GET"
    if name in CLIENT_READS and url is not None and _looks_like_url(facts, url):
        return "client", url, name.upper()
    owner = unwrap(callee.child_by_field_name("object"))
    owner_name = _last_name(facts, owner)
    if owner_name and API_OBJECT.search(owner_name) and READ_METHOD.match(name):
        return "api-method", None, "GET"
    return None


def sequential_requests(facts, routed=None) -> list:
    """Every request awaited once per iteration of a loop in this file whose iterations are
    independent, and every request in a `forEach(async ...)` callback (promises dropped).

    `routed(call)`, when given, is asked only for an awaited call in such a loop that is not a
    request by itself: the HTTP method of the request it provably sends through project wrappers
    in other files (`await api.order(id)` -> `getJson` -> `fetch`, from the route map), or None."""
    data = facts.source.data
    if b"await" not in data:
        return []
    # Only an awaited call can be a helper's request or one awaited per iteration: the others
    # (most calls of a file) are never read as requests.
    awaited_calls = [(call, awaited) for call in facts.calls if (awaited := _awaited(facts, call)) is not None]
    requests = {call.id: request_call(facts, call) for call, _ in awaited_calls}
    helpers = _request_helpers(facts, awaited_calls, requests)
    bodies: dict = {}
    found = []
    for call, awaited in awaited_calls:
        request = requests[call.id]
        helper = None
        if request is None:
            helper = _helper_request(facts, call, helpers)
            if helper is not None:
                request = ("helper", None, helper[2])
            elif routed is None:
                continue
        place = _loop_of(awaited)
        if place is None:
            continue
        loop, dropped = place
        body = bodies.get(loop.id)
        if body is None:
            body = bodies[loop.id] = _LoopBody(facts, loop, dropped)
        if body.variables is None or body.exits or body.paced:
            continue
        variable = _independent_variable(facts, body, call)
        if variable is None:
            continue
        if request is None:
            method = routed(call)
            if method not in READ_METHODS:
                continue
            request = ("routed", None, method)
        kind, url, method = request
        found.append(SequentialRequest(call, url, kind, loop, variable, body.items, dropped,
                                       helper[1] if helper else None, method))
    return found


def _routed_method(ctx, call) -> Optional[str]:
    span = ctx.source.span(call)
    link = route_for_call(ctx.index, span.path, span.line, span.col)
    return link.method.upper() if link is not None and link.method else None


def report_findings(ctx) -> None:
    facts = ctx.facts
    per_loop: dict[int, list] = {}  # one finding per loop: its first request, the others related
    for request in sequential_requests(facts, lambda call: _routed_method(ctx, call)):
        per_loop.setdefault(request.loop.id, []).append(request)
    for request, *others in per_loop.values():
        call_text = short_text(facts.text(request.call), 60)
        if request.kind == "helper":
            what = f"calls `{short_text(facts.text(request.call.child_by_field_name('function')), 40)}`, which sends an HTTP request,"
        elif request.kind == "api-method":
            what = "sends an API request"
        elif request.kind == "routed":
            what = f"sends an HTTP {request.method} request through the project's API wrappers"
        else:
            what = f"sends an HTTP {request.method} request"
        related = ()
        if request.helper_request is not None:
            related = (Related(ctx.source.span(request.helper_request), f"`{short_text(facts.text(request.helper_request), 40)}`"),)
        related += tuple(Related(ctx.source.span(other.call), f"`await {short_text(facts.text(other.call), 40)}`, also once per item")
                         for other in others)
        also = f" (and {len(others)} more request{'s' if len(others) > 1 else ''} in the same loop)" if others else ""
        items = request.items or "the loop"
        # The backend route this request reaches, when the route map proves it (analyzer/route_map.py).
        link = request_link(ctx, request.call)
        if link is not None:
            related += (link.related,)
        if request.dropped:
            message = (
                f"`await {call_text}` {what}{also} in a `{items}.forEach(async ...)` callback: `forEach` drops the "
                f"promises, so nothing waits for these requests — the caller goes on before they finish and their "
                f"errors become unhandled rejections; use `await Promise.all({items}.map(async ...))` "
                f"(or `Promise.allSettled`), or a batch endpoint."
            )
        else:
            message = (
                f"`await {call_text}` {what} once per item of `{items}`{also}, each waiting for the previous one "
                f"(N round trips in sequence); {ADVICE_TS.format(items=items)}."
            )
            if link is not None:
                message = (
                    f"N+1 over HTTP: one `{link.link.display}` per item of `{items}` (`await {call_text}`){also}, each "
                    f"waiting for the previous one, {link.handler_cost(len(related))}; {ADVICE_TS.format(items=items)}."
                )
        ctx.report(request.call, message, related=related, flow=link.flow if link is not None else (),
                   properties={"loop_variable": request.loop_variable, "dropped_promises": request.dropped,
                               **(link.properties if link is not None else {})})


# -- the pieces ------------------------------------------------------------------------------------


def _property(facts, member) -> str:
    prop = member.child_by_field_name("property")
    return facts.text(prop) if prop is not None else ""


def _last_name(facts, node) -> str:
    node = unwrap(node)
    if node is None:
        return ""
    if node.type in ("identifier", "this"):
        return facts.text(node)
    if node.type == "member_expression":
        return _property(facts, node)
    return ""


def _fetch_method(facts, init) -> Optional[str]:
    """The method of `fetch(url, init)`: GET without init or without `method`; the literal's value;
    None when the method is not a literal (unknown)."""
    init = unwrap(init)
    if init is None:
        return "GET"
    if init.type != "object":
        return None
    for pair in init.named_children:
        if pair.type == "shorthand_property_identifier" and facts.text(pair) == "method":
            return None
        if pair.type == "spread_element":
            return None
        if pair.type != "pair":
            continue
        key = pair.child_by_field_name("key")
        if key is None or facts.text(key).strip("\"'") != "method":
            continue
        value = unwrap(pair.child_by_field_name("value"))
        if value is None or value.type != "string":
            return None
        return facts.text(value).strip("\"'`").upper()
    return "GET"


def _looks_like_url(facts, node) -> bool:
    node = unwrap(node)
    if node is None:
        return False
    if node.type in ("string", "template_string"):
        text = facts.text(node)[1:-1]
        return "/" in text or text.startswith("http")
    if node.type == "binary_expression":  # `"/api/users/" + id`
        return _looks_like_url(facts, node.child_by_field_name("left"))
    if node.type == "call_expression":  # `buildUrl(id)`, `api.url(...)`
        return bool(URL_NAME.search(_last_name(facts, node.child_by_field_name("function"))))
    return bool(URL_NAME.search(_last_name(facts, node)))


def _function_name(facts, function) -> str:
    if function.type in ("function_declaration", "method_definition", "generator_function_declaration"):
        name = function.child_by_field_name("name")
        return facts.text(name) if name is not None else ""
    parent = function.parent
    while parent is not None and parent.type in TRANSPARENT_TYPES:
        parent = parent.parent
    if parent is not None and parent.type == "variable_declarator":
        name = parent.child_by_field_name("name")
        return facts.text(name) if name is not None and name.type == "identifier" else ""
    return ""


def _request_helpers(facts, awaited_calls: list, requests: dict) -> dict:
    """Function name -> (its node, the request call in it) for this file's named functions that
    await a request directly: a loop calling one of them sends that request per iteration.
    `awaited_calls`: [(call, its await)] in document order; `requests`: call id -> request_call."""
    helpers: dict = {}
    ambiguous = set()
    for call, _ in awaited_calls:
        request = requests[call.id]
        # A helper counts when its request is evident (a URL): an API method's name is already a guess.
        if request is None or request[0] == "api-method":
            continue
        function = facts.enclosing_function(call)
        if function is None:
            continue
        name = _function_name(facts, function)
        if not name:
            continue
        known = helpers.get(name)
        if known is not None and known[0].id != function.id:
            ambiguous.add(name)
        helpers.setdefault(name, (function, call, request[2]))
    for name in ambiguous:
        helpers.pop(name, None)
    return helpers


def _helper_request(facts, call, helpers) -> Optional[tuple]:
    if not helpers:
        return None
    callee = unwrap(call.child_by_field_name("function"))
    if callee is None:
        return None
    if callee.type == "identifier":
        name = facts.text(callee)
    elif callee.type == "member_expression" and unwrap(callee.child_by_field_name("object")) is not None and \
            unwrap(callee.child_by_field_name("object")).type == "this":
        name = _property(facts, callee)
    else:
        return None
    found = helpers.get(name)
    if found is None or found[0].id == (facts.enclosing_function(call).id if facts.enclosing_function(call) else None):
        return None  # recursion: not a helper call
    return found


def _awaited(facts, call):
    """The await expression that waits for `call` (directly, or for the method chain it starts:
    `await fetch(url).then(...)`); None when the call is not awaited."""
    node = facts.chain_top(call)
    parent = node.parent
    while parent is not None and parent.type in TRANSPARENT_TYPES:
        node, parent = parent, parent.parent
    return parent if parent is not None and parent.type == "await_expression" else None


def _loop_of(awaited) -> Optional[tuple]:
    """(loop node, dropped) for the innermost loop whose body holds `awaited`, within its function:
    a `for`/`for...of`/`for...in` loop, or a `forEach(async ...)` callback (dropped). None for
    `while`/`do` loops, an await in a loop's header, or none."""
    child, node = awaited, awaited.parent
    while node is not None:
        kind = node.type
        if kind in FUNCTION_TYPES:
            return _foreach_call(node)
        if kind in LOOP_TYPES or kind in UNREPORTED_LOOPS:
            body = node.child_by_field_name("body")
            if body is None or body.id != child.id:
                return None  # the header runs once (`for (const x of await list())`) or is the loop's own
            return (node, False) if kind in LOOP_TYPES else None
        child, node = node, node.parent
    return None


def _foreach_call(function) -> Optional[tuple]:
    """(the forEach call, True) when `function` is the async callback of `xs.forEach(...)`."""
    if not function.children or function.children[0].type != "async":
        return None
    parent = function.parent
    if parent is None or parent.type != "arguments":
        return None
    call = parent.parent
    callee = call.child_by_field_name("function") if call is not None else None
    if callee is None or callee.type != "member_expression":
        return None
    prop = callee.child_by_field_name("property")
    if prop is None or prop.text != b"forEach":
        return None
    return call, True


class _LoopBody:
    """A loop's variables, what its body assigns, and whether it stops or paces itself."""

    def __init__(self, facts, loop, dropped: bool):
        self.variables: Optional[set] = set()
        self.items = ""
        self.assigned: dict[str, list] = {}  # name -> start bytes of assignments in the body
        self.declared: list = []  # (start byte, name, value node) of declarations in the body
        self.exits = False
        self.conditions: list = []  # (start byte, test node) of the `if` statements in the body
        if dropped:
            callback = facts._argument(loop, 0)
            params = callback.child_by_field_name("parameters") or callback.child_by_field_name("parameter")
            first = params.named_children[0] if params is not None and params.type == "formal_parameters" and params.named_children else params
            pattern = first.child_by_field_name("pattern") if first is not None and first.type in (
                "required_parameter", "optional_parameter") else first
            self.variables = set(_pattern_names(facts, pattern))
            owner = loop.child_by_field_name("function").child_by_field_name("object")
            self.items = facts.text(owner) if owner is not None else ""
            body = callback.child_by_field_name("body")
        elif loop.type == "for_in_statement":
            self.variables = set(_pattern_names(facts, loop.child_by_field_name("left")))
            right = loop.child_by_field_name("right")
            self.items = facts.text(right) if right is not None else ""
            body = loop.child_by_field_name("body")
            if any(c.type == "await" for c in loop.children) and right is not None and _is_stream(facts, right):
                self.variables = None  # `for await` over a stream: its items arrive one after the other
        else:
            initializer = loop.child_by_field_name("initializer")
            self.variables = set(_declared_names(facts, initializer)) if initializer is not None else set()
            condition = loop.child_by_field_name("condition")
            self.items = _length_owner(facts, condition) if condition is not None else ""
            body = loop.child_by_field_name("body")
        if not self.variables or body is None:
            self.variables = None
            self.paced = False
            return
        self.paced = bool(PACING.search(facts.text(body)))
        self._walk(facts, body)

    def _walk(self, facts, body) -> None:
        stack = [(body, False)]
        while stack:
            node, in_breakable = stack.pop()
            kind = node.type
            if kind in FUNCTION_TYPES or kind in ("class", "class_declaration"):
                continue
            if kind == "return_statement":
                self.exits = True
            elif kind == "break_statement" and (not in_breakable or node.child_by_field_name("label") is not None):
                self.exits = True  # leaves this loop (a labelled break may leave it from an inner one)
            if kind == "if_statement":
                condition = node.child_by_field_name("condition")
                if condition is not None:
                    self.conditions.append((node.start_byte, condition))
            if kind in ASSIGNING:
                target = node.child_by_field_name("left") or node.child_by_field_name("argument")
                for name in _pattern_names(facts, target):
                    self.assigned.setdefault(name, []).append(node.start_byte)
            elif kind == "variable_declarator":
                value = node.child_by_field_name("value")
                for name in _pattern_names(facts, node.child_by_field_name("name")):
                    self.declared.append((node.start_byte, name, value))
            inner = in_breakable or (kind in BREAKABLE and node.id != body.id)
            stack.extend((child, inner) for child in node.named_children)
        self.declared.sort(key=lambda entry: entry[0])


def _is_stream(facts, node) -> bool:
    """`for await` over a stream (a call of an async generator, `readable.values()`, `reader`,
    `events`): not over a plain array of values."""
    node = unwrap(node)
    if node is None:
        return False
    if node.type in ("array", "identifier", "member_expression"):
        return bool(_STREAM_NAME.search(facts.text(node)))
    return True


_STREAM_NAME = re.compile(r"stream|reader|iterator|generator|chunks|events|pages", re.IGNORECASE)


def _pattern_names(facts, pattern):
    if pattern is None:
        return
    stack = [pattern]
    while stack:
        node = stack.pop()
        kind = node.type
        if kind in ("identifier", "shorthand_property_identifier_pattern"):
            yield facts.text(node)
        elif kind == "pair_pattern":
            value = node.child_by_field_name("value")
            if value is not None:
                stack.append(value)
        elif kind in ("member_expression", "subscript_expression"):
            continue
        elif kind in ("lexical_declaration", "variable_declaration"):
            stack.extend(node.named_children)
        elif kind == "variable_declarator":
            name = node.child_by_field_name("name")
            if name is not None:
                stack.append(name)
        else:
            stack.extend(c for c in node.named_children if c.type != "type_annotation")


def _declared_names(facts, initializer):
    return _pattern_names(facts, initializer) if initializer.type in ("lexical_declaration", "variable_declaration") else ()


def _length_owner(facts, condition) -> str:
    """`i < ids.length` -> `ids`."""
    stack = [condition]
    while stack:
        node = stack.pop()
        if node.type == "member_expression" and _property(facts, node) == "length":
            owner = node.child_by_field_name("object")
            return facts.text(owner) if owner is not None else ""
        stack.extend(node.named_children)
    return ""


def _identifiers(facts, node) -> list:
    names, stack = [], [node]
    while stack:
        current = stack.pop()
        if current.type in ("identifier", "shorthand_property_identifier"):
            names.append(facts.text(current))
        elif current.type in FUNCTION_TYPES:
            continue
        stack.extend(reversed(current.named_children))
    return names


def _independent_variable(facts, body: _LoopBody, call) -> Optional[str]:
    """The loop variable the request depends on, when it reads only that (and what the iteration
    derives from it) and nothing the loop carries from one iteration to the next; None otherwise."""
    tainted = {name: name for name in body.variables}
    for start, name, value in body.declared:
        if start >= call.start_byte:
            break
        if value is None:
            continue
        origins = [tainted[n] for n in _identifiers(facts, value) if n in tainted]
        if origins:
            tainted[name] = origins[0]
        else:
            tainted.pop(name, None)  # shadowed by a declaration that does not derive from the loop
    names = _identifiers(facts, call)
    used = [name for name in names if name in tainted]
    if not used:
        return None  # the same request every time: a retry or repeat loop
    for name in names:
        if name in body.assigned:
            return None  # a cursor, a page token, a running value carried between iterations
    for start, condition in body.conditions:
        if start < call.start_byte and any(name in body.assigned for name in _identifiers(facts, condition)):
            return None  # whether it is sent depends on earlier iterations (a budget, a cap, a flag)
    return tainted[used[0]]
