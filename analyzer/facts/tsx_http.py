"""HTTP call sites of a TS/TSX file, for the cross-stack route map (analyzer/route_map.py).

What one file can say about the requests it makes, as plain data for its summary:

- `calls`: each `fetch(url, init)`, `axios.get(url)` / `axios(config)`, `ky.get(url)` / `ky(url,
  init)`, a call on an axios/ky instance (`api.get(url)` for `api = axios.create({baseURL})`,
  here or imported), a request described by an object literal with a literal `url` and `method`
  (generated OpenAPI clients: `request(OpenAPI, {method: "GET", url: "/api/v1/items/{id}"})`,
  hey-api's `client.get({url: ...})`, openapi-fetch's `api.GET("/v1/users/{id}")`),
  and each call of a function that may wrap one (a project function, here or imported), with
  the URL each argument holds;
- `instances`: module-level axios/ky instances and their base URL;
- `classes`: API service classes (what they extend, their methods, the base URL their constructor
  gives an axios instance or passes to `super`), and `objects`: module-level `new Class()`;
- `consts`: module-level constants holding a URL, for files that import them.

A URL is a list of parts: `["s", text]` literal text, `["h"]` a value known only at run time,
`["a", i]` the i-th parameter of the named function the call is in (a wrapper: its callers
supply it), `["e", default]` an environment variable (`import.meta.env.X ?? "/api"`, the literal
default or None). Nothing is guessed: a URL built in a way not listed here is not recorded.
The index joins wrappers to their callers across files and matches URLs to backend routes.
"""

from __future__ import annotations

from typing import Optional

from .tsx_common import FUNCTION_TYPES, call_arguments, unwrap

HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options")
_SPEC_VERBS = frozenset(verb.upper() for verb in HTTP_VERBS)
AXIOS_MODULES = frozenset({"axios"})
KY_MODULES = frozenset({"ky", "ky-universal"})
ENV_PREFIXES = ("import.meta.env.", "process.env.")
MAX_ARGUMENTS = 4  # arguments of a possible wrapper call whose URL is recorded
MAX_DEPTH = 6  # names followed to their value


def http_summary(facts) -> dict:
    return _HttpReader(facts).read()


class _HttpReader:
    def __init__(self, facts):
        self.facts = facts
        self.text = facts.source.node_text  # what facts.text calls, one call less per name
        self.clients: dict[str, str] = {}  # local name -> "axios" / "ky" (the default imports)
        for local, (module, imported) in facts.imports.items():
            if imported == "default" and module in AXIOS_MODULES:
                self.clients[local] = "axios"
            elif imported == "default" and module in KY_MODULES:
                self.clients[local] = "ky"
        self.module_values: dict[str, object] = {}  # module-level const name -> value node
        self.named: dict[int, str] = {}  # function node id -> its name ("f", "api.orders", "Service.read")
        self.instances: dict[str, dict] = {}
        # API service classes: {name: {"extends", "methods", "super": [URL parts of the
        # constructor's super(...) arguments], "fields": {field: base URL of `this.field =
        # axios.create({baseURL})`}}}; a constructor parameter is ["a", i] in both.
        self.classes: dict[str, dict] = {}
        self.objects: dict[str, str] = {}  # module-level `x = new Class()`: x -> Class (as named here)
        self._named_cache: dict = {}  # enclosing function id -> (named function, its parameters)
        self._consts_cache: dict = {}  # function id -> {name: [(start byte, value)]} of its body's consts
        self._read_module()
        self.named_names = set(self.named.values())

    # -- module level -------------------------------------------------------------------

    def _read_module(self) -> None:
        root = self.facts.source.tree.root_node
        for statement in root.named_children:
            node = statement
            if node.type == "export_statement":
                node = node.child_by_field_name("declaration") or next(
                    (c for c in node.named_children if c.type in FUNCTION_TYPES or c.type == "class_declaration"), None)
                if node is None:
                    continue
            if node.type in ("function_declaration", "generator_function_declaration"):
                name = node.child_by_field_name("name")
                if name is not None:
                    self.named[node.id] = self.text(name)
            elif node.type == "lexical_declaration" and node.children and self.text(node.children[0]) == "const":
                for declarator in node.named_children:
                    if declarator.type == "variable_declarator":
                        self._read_const(declarator)
            elif node.type in ("class_declaration", "abstract_class_declaration"):
                name = node.child_by_field_name("name")
                body = node.child_by_field_name("body")
                if name is not None and body is not None:
                    methods = []
                    for member in body.named_children:
                        if member.type == "method_definition":
                            key = member.child_by_field_name("name")
                            if key is not None:
                                self.named[member.id] = f"{self.text(name)}.{self.text(key)}"
                                methods.append(self.text(key))
                    heritage = next((c for c in node.named_children if c.type == "class_heritage"), None)
                    extends = next((c for c in heritage.named_children if c.type == "extends_clause"), None) if heritage else None
                    value = extends.child_by_field_name("value") if extends is not None else None
                    self.classes[self.text(name)] = {
                        "extends": self.text(value) if value is not None and value.type == "identifier" else None,
                        "methods": methods, "super": None, "fields": {},
                    }

    def _read_const(self, declarator) -> None:
        name_node = declarator.child_by_field_name("name")
        value = unwrap(declarator.child_by_field_name("value"))
        if name_node is None or name_node.type != "identifier" or value is None:
            return
        name = self.text(name_node)
        self.module_values[name] = value
        if value.type in ("arrow_function", "function_expression"):
            self.named[value.id] = name
        elif value.type == "object":
            for member in value.named_children:
                if member.type == "pair":
                    key, item = member.child_by_field_name("key"), unwrap(member.child_by_field_name("value"))
                    if key is not None and item is not None and item.type in ("arrow_function", "function_expression"):
                        self.named[item.id] = f"{name}.{_key_text(self, key)}"
                elif member.type == "method_definition":
                    key = member.child_by_field_name("name")
                    if key is not None:
                        self.named[member.id] = f"{name}.{_key_text(self, key)}"
        elif value.type == "call_expression":
            instance = self._instance(value)
            if instance is not None:
                self.instances[name] = instance
        elif value.type == "new_expression":  # `const projectService = new ProjectService()`
            constructor = value.child_by_field_name("constructor")
            if constructor is not None and constructor.type == "identifier":
                self.objects[name] = self.text(constructor)

    def _instance(self, call, params=((), ())) -> Optional[dict]:
        """`axios.create({baseURL})`, `ky.create({prefixUrl})` / `ky.extend(...)`."""
        callee = self.facts.callee(call)
        if callee is None or callee.type != "member_expression":
            return None
        owner = unwrap(callee.child_by_field_name("object"))
        method = self.text(callee.child_by_field_name("property"))
        lib = self.clients.get(self.text(owner)) if owner is not None and owner.type == "identifier" else None
        if lib is None or method not in ("create", "extend"):
            return None
        options = _argument(call, 0)
        if options is None:
            return {"lib": lib, "base": []}
        if options.type != "object":
            return {"lib": lib, "base": None}
        key = "baseURL" if lib == "axios" else "prefixUrl"
        value = _property(self, options, key)
        if value is not None and value.type == "shorthand_property_identifier":  # `{ baseURL }`
            name = self.text(value)
            return {"lib": lib, "base": [["a", params[0].index(name)]] if name in params[0] else None}
        if value is None:
            return {"lib": lib, "base": [] if not _has_spread(options) else None}
        return {"lib": lib, "base": self.parts(value, call, params)}

    # -- calls --------------------------------------------------------------------------

    def read(self) -> dict:
        calls = []
        for call in self.facts.calls:
            if self.classes and self._constructor_part(call):
                continue
            record = self._call(call)
            if record is not None:
                calls.append(record)
        consts = {}
        for name, value in self.module_values.items():
            if value.type in ("string", "template_string", "binary_expression", "member_expression"):
                parts = self.parts(value, value, ((), ()))
                if parts is not None:
                    consts[name] = parts
        return {"calls": calls, "instances": self.instances, "classes": self.classes, "consts": consts,
                "objects": self.objects}

    def _constructor_part(self, call) -> bool:
        """`super(API_BASE_URL)` and `this.client = axios.create({ baseURL })` in a constructor:
        what the class's requests are sent to (kept in `classes`, not as calls)."""
        function = self.facts.enclosing_function(call)
        name = self.named.get(function.id) if function is not None else None
        if not name or not name.endswith(".constructor"):
            return False
        owner = self.classes.get(name.rsplit(".", 1)[0])
        if owner is None:
            return False
        params = (_parameter_names(self, function), set())
        callee = call.child_by_field_name("function")
        if callee is not None and callee.type == "super":
            items = call_arguments(call)
            owner["super"] = [self.parts(item, call, params) for item in items[:MAX_ARGUMENTS]]
            return True
        instance = self._instance(call, params)
        parent = call.parent
        if instance is not None and parent is not None and parent.type == "assignment_expression":
            left = parent.child_by_field_name("left")
            target = left.child_by_field_name("object") if left is not None and left.type == "member_expression" else None
            if target is not None and target.type == "this":
                owner["fields"][self.text(left.child_by_field_name("property"))] = instance["base"]
                return True
        return False

    def _named_function(self, node):
        """The nearest enclosing named function, and the parameters of unnamed ones in between
        (once per enclosing function: a body holds many calls)."""
        start = self.facts.enclosing_function(node)
        key = start.id if start is not None else None
        found = self._named_cache.get(key)
        if found is None:
            inner: set = set()
            function = start
            while function is not None and function.id not in self.named:
                inner.update(name for name in _parameter_names(self, function) if name)
                function = self.facts.enclosing_function(function)
            params = _parameter_names(self, function) if function is not None else ()
            found = self._named_cache[key] = (function, (params, inner))
        return found

    def _read_callee(self, callee) -> Optional[tuple]:
        """A quick look at the callee: most calls (`xs.map`, `setState`, a library's function)
        can be neither a request nor a project function's call (None). Else what the readers
        below need of it, read once: (name, None, None) for `name(...)`, (method, its object
        node, the object's name or None) for `object.method(...)`."""
        kind = callee.type
        text = self.text
        if kind == "identifier":
            name = text(callee)
            if name == "fetch" or name in self.clients or name in self.instances or name in self.named_names \
                    or name in self.facts.imports:
                return name, None, None
            return None
        if kind != "member_expression":
            return None
        method = text(callee.child_by_field_name("property"))
        owner = unwrap(callee.child_by_field_name("object"))
        owner_type = owner.type if owner is not None else None
        owner_name = text(owner) if owner_type == "identifier" or owner_type == "this" else None
        if method in HTTP_VERBS or method in _SPEC_VERBS or method == "request":
            return method, owner, owner_name
        if owner is None:
            return None
        if owner_type == "this":
            return (method, owner, owner_name) if self.classes else None
        if owner_type != "identifier":
            return None
        name = owner_name
        if name in self.facts.imports or name in self.objects or name == "window" or f"{name}.{method}" in self.named_names:
            return method, owner, owner_name
        return None

    def _call(self, call) -> Optional[dict]:
        callee = self.facts.callee(call)
        if callee is None:
            return None
        read = self._read_callee(callee)
        if read is None:
            return None
        function, params = self._named_function(call)
        items = call_arguments(call)
        record = self._http(call, callee, read, items, params)
        if record is None:
            record = self._via(call, callee, read, items, params)
        if record is None:
            return None
        record["at"] = list(self.facts.source.position(call))
        record["fn"] = self.named.get(function.id) if function is not None else None
        return record

    def _http(self, call, callee, read, items, params) -> Optional[dict]:
        """A request this call makes itself: {"method", "url", "base"?}."""
        first = unwrap(items[0]) if items else None
        second = unwrap(items[1]) if len(items) > 1 else None
        if callee.type == "identifier":
            name = read[0]
            lib = self.clients.get(name)
            if name == "fetch" and name not in self.facts.imports:
                return self._with_init(first, second, call, params)
            if lib is not None:  # `axios(url, config)`, `axios(config)`, `ky(url, init)`
                return self._config_or_url(first, second, call, params)
            if name in self.instances:
                return self._on_instance(name, None, call, params)
        else:
            method, owner, name = read
            if owner is not None and owner.type == "member_expression" and method in HTTP_VERBS:
                this = unwrap(owner.child_by_field_name("object"))
                if this is not None and this.type == "this":  # `this.axiosInstance.get(url)`
                    url = self.parts(first, call, params)
                    if url is not None:
                        return {"method": method.upper(), "url": url, "field": self.text(owner.child_by_field_name("property"))}
            if owner is not None and owner.type == "identifier":
                if name == "window" and method == "fetch":
                    return self._with_init(first, second, call, params)
                if name in self.clients:
                    return self._verb_call(method, call, params, base=[])
                if name in self.instances:
                    return self._on_instance(name, method, call, params)
            found = self._spec_client(method, first, call, params)  # any receiver: `(options.client ?? client).get`
            if found is not None:
                return found
        return self._described(items, call, params)

    def _spec_client(self, method: str, first, call, params) -> Optional[dict]:
        """Clients generated from the backend's OpenAPI spec, whose URL is the spec's path:
        openapi-fetch `api.GET("/v1/users/{id}", ...)` (the verb in capitals), hey-api
        `client.get({ url: "/api/v1/items/{id}", ... })`. The path must be a literal.
        `first`: the call's first argument."""
        if method in _SPEC_VERBS and first is not None and first.type == "string":
            url = self.parts(first, call, params)
        elif method in HTTP_VERBS and first is not None and first.type == "object":
            url = self.parts(_property(self, first, "url"), call, params)
        else:
            return None
        if not url or url[0][0] != "s" or not url[0][1].startswith("/") or any(p[0] != "s" for p in url):
            return None
        return {"method": method.upper(), "url": url}

    def _on_instance(self, name: str, method: Optional[str], call, params) -> Optional[dict]:
        found = self._verb_call(method, call, params, base=None) if method is not None else self._config_or_url(
            _argument(call, 0), _argument(call, 1), call, params)
        if found is None:
            return None
        base = self.instances[name]["base"]
        if base is None:
            return None
        found["url"] = _merged(base + found["url"])
        return found

    def _verb_call(self, method: str, call, params, base) -> Optional[dict]:
        if method in HTTP_VERBS:
            url = self.parts(_argument(call, 0), call, params)
            return {"method": method.upper(), "url": url} if url is not None else None
        if method == "request":
            return self._config_or_url(_argument(call, 0), None, call, params)
        return None

    def _with_init(self, url_node, init, call, params) -> Optional[dict]:
        url = self.parts(url_node, call, params)
        if url is None:
            return None
        method = self._method(init, default="GET")
        return {"method": method, "url": url}

    def _config_or_url(self, first, second, call, params) -> Optional[dict]:
        if first is not None and first.type == "object":
            url = self.parts(_property(self, first, "url"), call, params)
            return {"method": self._method(first, default="GET"), "url": url} if url is not None else None
        return self._with_init(first, second, call, params)

    def _described(self, items, call, params) -> Optional[dict]:
        """An argument `{method: "GET", url: "/api/v1/items/{id}"}`: a request, whoever sends it."""
        for argument in items:
            if argument.type != "object":
                continue
            method, url_node = _property(self, argument, "method"), _property(self, argument, "url")
            if method is None or url_node is None or _literal(self, method) is None:
                continue
            verb = _literal(self, method).upper()
            url = self.parts(url_node, call, params)
            if verb.lower() in HTTP_VERBS and url and url[0][0] == "s" and url[0][1].startswith("/"):
                return {"method": verb, "url": url}
        return None

    def _method(self, init, default: str) -> Optional[str]:
        """The `method:` of an init/config object literal (None: not known)."""
        if init is None:
            return default
        if init.type != "object":
            return None
        value = _property(self, init, "method")
        if value is None:
            return None if _has_spread(init) else default
        literal = _literal(self, value)
        return literal.upper() if literal is not None and literal.lower() in HTTP_VERBS else None

    def _via(self, call, callee, read, items, params) -> Optional[dict]:
        """A call of a function that may wrap a request: `getJson("/users")`, `api.orders(id)`."""
        if callee.type == "identifier":
            name, member = read[0], None
        else:
            if read[2] is None:  # the object is no plain name nor `this`
                return None
            name, member = read[2], read[0]
        local = name if member is None else f"{name}.{member}"
        if name != "this" and local not in self.named_names and name not in self.facts.imports and name not in self.objects:
            return None
        if name == "this" and not self.classes:
            return None
        if len(items) > MAX_ARGUMENTS:
            return None
        args = [self.parts(item, call, params) for item in items]
        return {"callee": [name, member], "args": args}

    # -- URLs ---------------------------------------------------------------------------

    def parts(self, node, at, params, depth: int = 0) -> Optional[list]:
        """The URL an expression holds, as parts (None: not a URL we can read)."""
        node = unwrap(node)
        if node is None or depth > MAX_DEPTH:
            return None
        kind = node.type
        if kind == "string":
            return [["s", self.text(node)[1:-1]]]
        if kind == "template_string":
            found: list = []
            for child in node.named_children:
                if child.type == "string_fragment":
                    found.append(["s", self.text(child)])
                elif child.type == "escape_sequence":
                    return None
                elif child.type == "template_substitution":
                    inner = child.named_children[0] if child.named_children else None
                    found += self.parts(inner, at, params, depth + 1) or [["h"]]
            return _merged(found)
        if kind == "binary_expression":
            operator = node.child_by_field_name("operator")
            operator = self.text(operator) if operator is not None else ""
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if operator == "+":
                first = self.parts(left, at, params, depth + 1)
                if first is None:
                    return None
                return _merged(first + (self.parts(right, at, params, depth + 1) or [["h"]]))
            if operator in ("??", "||") and _is_env(self.text(unwrap(left))):
                default = _literal(self, right)
                return [["e", default]]
            return None
        if kind == "member_expression" and _is_env(self.text(node)):
            return [["e", None]]
        if kind == "identifier":
            name = self.text(node)
            named_params, inner = params
            if name in inner:
                return [["h"]]
            if name in named_params:
                return [["a", named_params.index(name)]]
            value = self._local_const(name, at)
            if value is None:
                value = self.module_values.get(name)
            if value is None:
                spec = self.facts.imports.get(name)
                # an imported constant (`API_BASE_URL` from a constants package): the index reads it
                return [["i", name]] if spec is not None and spec[1] != "*" else None
            return self.parts(value, at, ((), ()), depth + 1)
        return None

    def _local_const(self, name: str, at):
        """`const url = ...` earlier in the body of a function enclosing `at`."""
        function = self.facts.enclosing_function(at)
        while function is not None:
            for start, value in self._body_consts(function).get(name, ()):
                if start < at.start_byte:
                    return value
            function = self.facts.enclosing_function(function)
        return None

    def _body_consts(self, function) -> dict:
        """The `const` declarations at the top of a function body, by name (read once)."""
        found = self._consts_cache.get(function.id)
        if found is None:
            found = self._consts_cache[function.id] = {}
            body = function.child_by_field_name("body")
            for statement in body.named_children if body is not None and body.type == "statement_block" else ():
                if statement.type == "lexical_declaration" and statement.children and statement.children[0].type == "const":
                    for declarator in statement.named_children:
                        target = declarator.child_by_field_name("name")
                        if declarator.type == "variable_declarator" and target is not None and target.type == "identifier":
                            found.setdefault(self.text(target), []).append((declarator.start_byte, declarator.child_by_field_name("value")))
        return found


def _merged(parts: list) -> list:
    """Adjacent literal parts joined."""
    merged: list = []
    for part in parts:
        if part[0] == "s" and merged and merged[-1][0] == "s":
            merged[-1] = ["s", merged[-1][1] + part[1]]
        else:
            merged.append(list(part))
    return merged


def _is_env(text: str) -> bool:
    return text.startswith(ENV_PREFIXES) and text.count(".") <= 3


def _argument(call, index: int):
    items = call_arguments(call)
    return unwrap(items[index]) if index < len(items) else None


def _key_text(reader, key) -> str:
    text = reader.text(key)
    return text[1:-1] if key.type == "string" else text


def _property(reader, obj, name: str):
    """The value of `name: value` (or shorthand `name`) in an object literal."""
    for member in obj.named_children:
        if member.type == "pair":
            key = member.child_by_field_name("key")
            if key is not None and _key_text(reader, key) == name:
                return member.child_by_field_name("value")
        elif member.type == "shorthand_property_identifier" and reader.text(member) == name:
            return member
    return None


def _has_spread(obj) -> bool:
    return any(member.type == "spread_element" for member in obj.named_children)


def _literal(reader, node) -> Optional[str]:
    node = unwrap(node)
    if node is not None and node.type == "string":
        return reader.text(node)[1:-1]
    if node is not None and node.type == "template_string" and all(c.type == "string_fragment" for c in node.named_children):
        return reader.text(node)[1:-1]
    return None


def _parameter_names(reader, function) -> list:
    """Parameter names by position (None for a destructured one)."""
    parameters = function.child_by_field_name("parameters")
    if parameters is None:
        parameter = function.child_by_field_name("parameter")  # `x => ...`
        return [reader.text(parameter)] if parameter is not None else []
    names: list = []
    for param in parameters.named_children:
        if param.type == "comment":
            continue
        target = param.child_by_field_name("pattern") if param.type in ("required_parameter", "optional_parameter") else param
        if target is not None and target.type == "assignment_pattern":
            target = target.child_by_field_name("left")
        names.append(reader.text(target) if target is not None and target.type == "identifier" else None)
    return names

