"""Per-file facts for TypeScript / TSX / JavaScript: the model every React rule reads.

Built once per file from one tree-sitter query pass (`grammars/queries/tsx/facts.scm`
for both grammars, with `jsx.scm` appended for the tsx grammar), then kept as
plain objects:

- `imports` / `exports` / `star_reexports`: the module interface;
- `components` (function, arrow, `memo`/`forwardRef`-wrapped, class) and
  `hooks` (custom `useX` functions), each an `Owner`;
- `render_owner(node)`: which component or hook's render a node runs in;
- `lookup(name, at)` / `root_binding(expr)`: what a local name is bound to
  (prop, state, context, store selection, fresh array, ...);
- `hook_calls` (with dependency arrays) and `jsx_elements` (tag, attributes,
  DOM or component).

Nothing here walks the whole tree again: candidates come from the queries and
everything else follows parent links from them.

Heuristics (names only, nothing is type-checked):
- a component is a Capitalized function (declaration, or arrow/function
  expression assigned to a const) that renders JSX, calls a hook, or is wrapped
  in `memo`/`forwardRef`; or a class extending (React.)Component/PureComponent;
- a custom hook is a function named `useX`;
- a store selection is the result of `useSelector`, `useAppSelector`,
  `useTypedSelector`, `useStore`, `useAtomValue`, `useRecoilValue`, or any
  `use...Store(...)` (zustand convention); any other `useX(...)` result is a
  hook result;
- a name assigned again after its declaration is `reassigned`, and
  `root_binding` no longer vouches for its data (reported as unknown);
- React imports are followed through aliases (`forwardRef as fr`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

import tree_sitter

from perfscan import grammars

from ..source import SourceFile
from .tsx_common import FUNCTION_TYPES, TRANSPARENT_TYPES, call_arguments, unwrap  # noqa: F401 (part of this module's interface)
from .tsx_http import http_summary


# Array methods whose callback runs synchronously, before the call returns.
ITERATION_METHODS = frozenset(
    {"map", "filter", "forEach", "reduce", "reduceRight", "some", "every", "find", "findIndex", "findLast",
     "findLastIndex", "flatMap", "sort", "toSorted"}
)
# Calls whose result is a new array the caller owns.
FRESH_ARRAY_METHODS = frozenset(
    {"slice", "map", "filter", "concat", "flatMap", "flat", "toSorted", "toReversed", "toSpliced", "with", "split",
     "keys", "values", "entries", "from", "of", "match", "matchAll"}
)
FRESH_ARRAY_STATICS = frozenset({"Array.from", "Array.of", "Object.keys", "Object.values", "Object.entries"})
# In-place array methods that return their receiver: `const s = xs.sort()` aliases `xs`.
SELF_RETURNING_METHODS = frozenset({"sort", "reverse", "fill", "copyWithin"})
HOOKS_WITH_DEPS = frozenset({"useEffect", "useLayoutEffect", "useInsertionEffect", "useMemo", "useCallback", "useImperativeHandle"})
STORE_HOOKS = frozenset({"useSelector", "useAppSelector", "useTypedSelector", "useStore", "useAtomValue", "useRecoilValue"})
# Hooks whose function argument runs during render: useMemo's factory, and the lazy
# initializers of useState/useReducer (first render only, but still render).
RENDER_CALLBACK_HOOKS = frozenset({"useMemo", "useState", "useReducer"})
REACT_MODULES = frozenset({"react", "preact/compat", "preact/hooks"})
MOBX_MODULES = frozenset({"mobx-react", "mobx-react-lite"})
# Wrappers whose result is a memoized component: React's memo, and MobX's observer (which wraps in memo).
MEMO_WRAPPERS = frozenset({"memo", "observer"})
# Hooks giving a component state of its own: setting it re-renders the component.
LOCAL_STATE_HOOKS = frozenset({"useState", "useReducer", "useActionState", "useOptimistic", "useTransition"})
# Calls whose callback builds one element per item: a component calling them with JSX renders a list.
LIST_RENDERING_CALLS = frozenset({"map", "flatMap", "forEach", "reduce", "reduceRight", "Array.from"})
HOOK_NAME = re.compile(r"^use[A-Z0-9]")
# zustand-style stores: `useCartStore(selector)`, `useStore()`: any hook whose name ends in `Store`.
STORE_HOOK_NAME = re.compile(r"^use\w*Store$")
_COMPONENT_BASE = re.compile(r"\bComponent\b")  # `extends React.Component<P>`

# Binding kinds (Binding.kind).
PROP = "prop"  # one prop: destructured, `props.x`, `this.props.x`
PROPS = "props"  # the props object (or a `...rest` of it)
STATE = "state"  # useState value, `this.state.x`
STATE_OBJECT = "state_object"  # `this.state`
SETTER = "setter"
REDUCER_STATE = "reducer_state"
DISPATCH = "dispatch"
CONTEXT = "context"
REF = "ref"
STORE = "store"  # store selector result
MEMO = "memo"  # useMemo result
CALLBACK = "callback"  # useCallback result
HOOK_RESULT = "hook_result"  # any other hook's result
HOOK_PARAM = "hook_param"  # a custom hook's parameter: the caller's data
PARAM = "param"  # a parameter of an ordinary function
FRESH_ARRAY = "fresh_array"
FRESH_OBJECT = "fresh_object"
FUNCTION = "function"  # arrow/function expression or function declared in a body
BOUND_FUNCTION = "bound_function"
LITERAL = "literal"
MODULE = "module"  # a module-level const/let/function (value_kind says what)
IMPORT = "import"
UNKNOWN = "unknown"

# Data the component reads but does not own: mutating it in place is someone else's bug.
NOT_OWNED_KINDS = frozenset({PROP, PROPS, STATE, STATE_OBJECT, REDUCER_STATE, CONTEXT, STORE, HOOK_RESULT, HOOK_PARAM})


@dataclass(eq=False, slots=True)
class Owner:
    """A component or custom hook: code in its render runs on every render.

    kind: "function" | "class" | "hook". `node` is the function node (for a
    class, the class node; `render` is its render method). `memoized` is true
    when the component is wrapped in `memo(...)` / `React.memo(...)` (also via
    `export default memo(Row)`, where `memo_node` is that call and the local
    name `Row` itself is the unwrapped function) or extends PureComponent.
    """

    name: str
    kind: str
    node: object
    render: object = None  # function node whose body is the render (class: render method)
    memoized: bool = False
    memo_node: object = None
    forward_ref: bool = False
    params: tuple = ()

    @property
    def is_hook(self) -> bool:
        return self.kind == "hook"


@dataclass(eq=False, slots=True)
class Binding:
    """What a local name (or an expression's data) is bound to.

    `source` names the data's origin: the prop name for props, the state
    variable, the hook name for hook results, the context expression for
    context. `part` is true when the binding is a piece of the origin's data
    (`props.user.tags`, an element of a prop array), `origin` the binding it
    was derived from. `value_kind` says, for module-level names and imports,
    what the value is (`fresh_array`, `function`, ...).
    """

    kind: str
    name: str
    node: object = None
    source: str = ""
    value: object = None
    owner: Optional[Owner] = None
    origin: Optional["Binding"] = None
    part: bool = False
    value_kind: str = ""
    reassigned: bool = False  # the name is assigned again somewhere (`list = [...list]`): its data may change owner
    via: str = ""  # context: the context expression (`UsersContext`); store/hook results: the hook name

    def derived(self, name: str, part: bool = True) -> "Binding":
        return Binding(self.kind, name, self.node, self.source, self.value, self.owner, origin=self,
                       part=part or self.part, value_kind=self.value_kind, via=self.via)


@dataclass(eq=False, slots=True)
class HookCall:
    """A React hook call during render; `callback`/`deps` are argument nodes or None."""

    name: str
    node: object
    owner: Optional[Owner]
    callback: object = None
    deps: object = None


@dataclass(eq=False, slots=True)
class JsxElement:
    """An opening or self-closing JSX element: `attributes` = [(name, value node or None)]; spreads are ("...", expr)."""

    node: object
    tag: str
    attributes: list
    is_dom: bool
    owner: Optional[Owner]


@dataclass(frozen=True)
class Export:
    """`local` is the local name (None for re-exports); `source`/`imported` describe a re-export."""

    name: str
    local: Optional[str]
    node: object = None
    source: Optional[str] = None
    imported: Optional[str] = None
    memo_node: object = None  # `export default memo(Row)`: the memo call


@dataclass(eq=False, slots=True)
class Wrap:
    """A module-level name bound to a wrapped component: `const Table = memo(TableImpl) as typeof
    TableImpl`, `export default observer(Row)`, `const Row = lazy(() => import("./Row"))`.

    `wrappers` are the calls' names, outermost first: "memo", "observer" (MobX's), "forwardRef",
    "lazy", or another function's name (an in-house HOC, decided by the project's `memo-wrappers`).
    """

    name: str  # "default" for `export default ...`
    call: object  # the outermost call
    wrappers: tuple
    inner: Optional[str] = None  # the wrapped name (`TableImpl`); None for an inline function
    lazy: Optional[str] = None  # `lazy(() => import("./Row"))`: the module
    compare: object = None  # memo's comparator argument, if any
    # `lazy(() => import("./Row").then((m) => ({ default: m.Row })))`: the export the module gives
    lazy_export: str = "default"


_WRAPPER_PATH_TYPES = frozenset({"arguments", "call_expression"}) | TRANSPARENT_TYPES


@lru_cache(maxsize=None)
def _candidates_query(lang: str) -> tree_sitter.Query:
    """facts.scm, plus jsx.scm for the tsx grammar: one query walk per file."""
    source = grammars.query_source("tsx", "facts")
    if lang == "tsx":
        source += "\n" + grammars.query_source("tsx", "jsx")
    return tree_sitter.Query(grammars.language(lang), source)


class TsxFacts:
    def __init__(self, source: SourceFile):
        self.source = source
        self.reads_requests = True  # see build()
        self.imports: dict[str, tuple[str, str]] = {}
        self.exports: dict[str, Export] = {}
        self.star_reexports: list[str] = []
        self.wraps: dict[str, Wrap] = {}  # module-level names bound to wrapped components
        self.components: list[Owner] = []
        self.hooks: list[Owner] = []
        self.hook_calls: list[HookCall] = []
        self.jsx_elements: list[JsxElement] = []
        # Every call expression, in document order (rules filter these instead of walking).
        self.calls: list = []
        self._module_scope: dict[str, Binding] = {}
        self._unbound = None  # (found, functions, declarators) while the binding model waits for a first use
        self._scopes: dict[int, dict[str, Binding]] = {}  # function node id -> names bound in it
        self._owner_by_function: dict[int, Owner] = {}
        self._render_cache: dict[int, Optional[Owner]] = {}
        self._class_components: dict[int, Owner] = {}  # class node id -> owner
        self._enclosing_cache: dict[int, object] = {}
        self._callee_cache: dict[int, Optional[str]] = {}
        self._callee_nodes: dict[int, object] = {}  # call id -> its unwrapped callee (see callee)
        self._chain_tops: dict[int, object] = {}  # call id -> outermost call of its method chain
        self._outer_by_call: Optional[dict] = None  # see _outer_calls
        # function id -> {node id: Binding}: root_binding's answers (names resolve the same
        # anywhere in one function), so the calls of a long chain do not each classify it all.
        self._classified: dict = {}
        self._list_renderers: Optional[set] = None  # see renders_list
        self._stateful: Optional[dict] = None  # see local_state

    # -- public queries ---------------------------------------------------------

    def text(self, node) -> str:
        return self.source.node_text(node)

    def component(self, name: str) -> Optional[Owner]:
        return next((c for c in self.components if c.name == name), None)

    def renders_list(self, owner: Owner) -> bool:
        """Whether `owner`'s render builds JSX per item of a list (`items.map((i) => <Row />)`,
        `Array.from(...)`): a sign that re-rendering it costs more than a few elements."""
        if self._list_renderers is None:
            self._list_renderers = set()
            for element in self.jsx_elements:
                owner_of = element.owner
                render = owner_of.render if owner_of is not None else None
                if render is None or render.id in self._list_renderers:
                    continue
                function = self.enclosing_function(element.node)
                while function is not None and function.id != render.id:
                    arguments = function.parent
                    if arguments is not None and arguments.type == "arguments" \
                            and self._callee_name(arguments.parent) in LIST_RENDERING_CALLS:
                        self._list_renderers.add(render.id)  # by render node: aliases (`const Row = memo(RowImpl)`) share it
                        break
                    function = self.enclosing_function(function)
        return owner.render is not None and owner.render.id in self._list_renderers

    def _renders_list_named(self, component: Optional[Owner], inner: Optional[str]) -> bool:
        """renders_list of a wrapped component: the wrap's own name, else the name it wraps (`withX(RowImpl)`)."""
        component = component if component is not None else (self.component(inner) if inner else None)
        return component is not None and self.renders_list(component)

    def local_state(self, owner: Owner) -> tuple:
        """The names of the state `owner` keeps itself (`const [query, setQuery] = useState("")`:
        "query"; "" when unnamed, or a class's `setState`): setting it re-renders the component,
        whether or not its parent re-renders. Empty when it keeps none."""
        if self._stateful is None:
            self._stateful = {}
            for call in self.calls:
                name = self._callee_name(call)
                if name in LOCAL_STATE_HOOKS:
                    holder = self.render_owner(call)
                elif name == "setState":
                    holder = self._enclosing_class_component(call)
                else:
                    continue
                if holder is None:
                    continue
                state = ""
                declarator = call.parent
                while declarator is not None and declarator.type in TRANSPARENT_TYPES:
                    declarator = declarator.parent
                pattern = declarator.child_by_field_name("name") if declarator is not None and declarator.type == "variable_declarator" else None
                if name != "setState" and pattern is not None and pattern.type == "array_pattern" and pattern.named_children \
                        and pattern.named_children[0].type == "identifier":
                    state = self.text(pattern.named_children[0])
                self._stateful.setdefault(holder.node.id, []).append(state)
        return tuple(self._stateful.get(owner.node.id, ()))

    def memo_wrapper(self, owner: Optional[Owner], wrap: Optional["Wrap"] = None) -> str:
        """What memoizes a component: "memo", "observer" (MobX's alone), "PureComponent", a
        configurable HOC's name, or "" when nothing does."""
        if wrap is not None:
            return next((w for w in wrap.wrappers if w != "forwardRef"), "")
        if owner is None or not owner.memoized:
            return ""
        if owner.kind == "class":
            return "PureComponent"
        return (self._wrapper_name(owner.memo_node) or "") if owner.memo_node is not None else "memo"

    def enclosing_function(self, node):
        """The nearest function-like node strictly containing `node` (None at module level)."""
        cache = self._enclosing_cache
        key = node.id
        if key in cache:
            return cache[key]
        # Every node passed on the way up shares the answer: remember it for all of them, since
        # tree-sitter finds a parent by descending from the root (deep code would make it cubic).
        passed = [key]
        parent = node.parent
        while parent is not None and parent.type not in FUNCTION_TYPES:
            if parent.id in cache:
                found = cache[parent.id]
                break
            passed.append(parent.id)
            parent = parent.parent
        else:
            found = parent
        for passed_key in passed:
            cache[passed_key] = found
        return found

    def chain_top(self, call):
        """`xs.slice().sort(f).map(g)`: the outermost call of the method chain `call` is in (the
        call itself outside a chain)."""
        outer_calls = self._outer_calls()
        tops = self._chain_tops
        passed = []
        node = call
        while node.id not in tops:
            passed.append(node.id)
            outer = outer_calls.get(node.id)
            if outer is None:
                break
            node = outer
        top = tops.get(node.id, node)
        for key in passed:
            tops[key] = top
        return top

    def is_chained(self, call) -> bool:
        """Whether a method is called on the result of `call` (`xs.slice()` in `xs.slice().sort()`)."""
        return call.id in self._outer_calls()

    def _outer_calls(self) -> dict:
        """Call id -> the call made on its result, found from every call down to its receiver:
        asking a node for its parent makes tree-sitter descend from the root, so walking up a
        chain of n calls from each of them was cubic."""
        if self._outer_by_call is None:
            self._outer_by_call = {}
            for call in self.calls:
                callee = call.child_by_field_name("function")
                receiver = callee.child_by_field_name("object") if callee is not None and callee.type == "member_expression" else None
                if receiver is not None and receiver.type == "call_expression":
                    self._outer_by_call[receiver.id] = call
        return self._outer_by_call

    def render_owner(self, node) -> Optional[Owner]:
        """The component or hook during whose render `node` runs, or None.

        Render: a component/hook body, a class's render(), useMemo callbacks,
        IIFEs and synchronous array-iteration callbacks inside render. Not
        render: handlers, effect/useCallback callbacks, functions declared in
        the body, promise callbacks, timers.
        """
        function = node if node.type in FUNCTION_TYPES else self.enclosing_function(node)
        if function is None:
            return None
        return self._function_render_owner(function)

    def runs_during_render(self, node) -> bool:
        return self.render_owner(node) is not None

    @property
    def module_scope(self) -> dict:
        """Module-level names: imports, declarations, functions."""
        if self._unbound is not None:
            self._bind_pending()
        return self._module_scope

    def _bind_pending(self) -> None:
        pending, self._unbound = self._unbound, None
        self._bind_names(*pending)

    def lookup(self, name: str, at) -> Optional[Binding]:
        """The binding of `name` visible at node `at` (innermost function scope outwards)."""
        if self._unbound is not None:
            self._bind_pending()
        function = at if at.type in FUNCTION_TYPES else self.enclosing_function(at)
        while function is not None:
            scope = self._scopes.get(function.id)
            if scope and name in scope:
                return scope[name]
            function = self.enclosing_function(function)
        return self.module_scope.get(name)

    def root_binding(self, expr, scope=None) -> Optional[Binding]:
        """The binding that owns the data `expr` evaluates to.

        `users`, `props.users`, `this.props.users` -> the `users` prop;
        `state.list.items` -> `state` (part of it); `[...xs]`, `xs.slice()` ->
        a fresh array. `scope` is a node to resolve names at (default: `expr`).
        """
        if self._unbound is not None:
            self._bind_pending()  # answers are kept: they must come from the finished model
        at = scope if scope is not None else expr
        function = at if at.type in FUNCTION_TYPES else self.enclosing_function(at)
        return self._classify(expr, at, memo=self._classified.setdefault(function.id if function else None, {}))

    def summary(self) -> dict:
        """What other files need: exports (with component/memo info), star re-exports, imports."""
        exports = {}
        for name, export in self.exports.items():
            entry: dict = {"local": export.local}
            if export.source is not None:
                entry["reexport"] = (export.source, export.imported)
            wrap = None
            if export.source is None:  # `export default memo(Row, ...)` is its own wrap; else the local name's
                wrap = self.wraps.get("default") if name == "default" and "default" in self.wraps else self.wraps.get(export.local)
            component = self.component(export.local) if export.local else None
            if wrap is not None:
                entry["component"] = self._wrap_summary(wrap, component)
            elif component is not None:
                memo = export.memo_node if export.memo_node is not None else component.memo_node
                anchor = memo if memo is not None else component.node
                point = anchor.start_point
                entry["component"] = {
                    "name": component.name,
                    "kind": component.kind,
                    "memoized": component.memoized or export.memo_node is not None,
                    "line": point[0] + 1,
                    "col": self.source.column(point[0], point[1]),
                    "memo_by": (self._wrapper_name(memo) or "") if memo is not None else self.memo_wrapper(component),
                    "renders_list": self.renders_list(component),
                }
                if memo is not None and self._argument(memo, 1) is not None:
                    # `memo(Row, areEqual)`: the comparator decides, new references may be fine
                    entry["component"]["custom_compare"] = True
            exports[name] = entry
        return {
            "exports": exports,
            "star_reexports": list(self.star_reexports),
            "imports": {local: list(spec) for local, spec in self.imports.items()},
            # requests this file makes, for the cross-stack route map (analyzer/route_map.py)
            "http": http_summary(self) if self.reads_requests else None,
        }

    # -- building ---------------------------------------------------------------

    @classmethod
    def build(cls, source: SourceFile, requests: bool = True) -> "TsxFacts":
        """`requests`: whether the summary lists the requests the file makes, for the route map
        (only a project with a backend can use them: analyzer/facts/__init__.py)."""
        facts = cls(source)
        facts.reads_requests = requests
        facts._build()
        return facts

    def _build(self) -> None:
        root = self.source.tree.root_node
        lang = self.source.language
        found = tree_sitter.QueryCursor(_candidates_query(lang)).captures(root)
        by_position = lambda nodes: sorted(nodes, key=lambda n: n.start_byte)  # noqa: E731
        functions = by_position(found.get("function", []))
        self._sweep_enclosing(found)
        classes = by_position(found.get("class", []))
        declarators = by_position(found.get("declarator", []))
        self.calls = by_position(found.get("call", []))
        jsx_nodes = by_position(found.get("element", []))

        for node in by_position(found.get("import", [])):
            self._read_import(node)

        # Which functions render JSX or call hooks: a capitalized function doing either is a component.
        # One pass over the calls (a file has thousands) reads what every step below needs of them.
        renders_jsx: set[int] = set()
        element_calls = []  # `React.createElement(...)` renders as JSX does (code written without a JSX transform)
        calls_hooks: set[int] = set()
        memo_by_name: dict[str, object] = {}
        calls_with_deps = []  # `useEffect(f, deps)`, `useMemo(f, deps)`...: hook_calls, once owners are known
        for call in self.calls:
            name = self._callee_name(call)
            if not name:
                continue
            if name == "createElement":
                element_calls.append(call)
            if HOOK_NAME.match(name):
                function = self.enclosing_function(call)
                if function is not None:
                    calls_hooks.add(function.id)
                if name in HOOKS_WITH_DEPS:
                    calls_with_deps.append(call)
            if name in MEMO_WRAPPERS:
                argument = unwrap(self._argument(call, 0))
                if argument is not None and argument.type == "identifier" and self._wrapper_name(call) in MEMO_WRAPPERS:
                    memo_by_name.setdefault(self.text(argument), call)
        for node in jsx_nodes + element_calls:
            # Every enclosing function "contains JSX" (`rows.map(r => <Row/>)` inside a component);
            # stop at the first one already marked: its ancestors are marked too.
            function = self.enclosing_function(node)
            while function is not None and function.id not in renders_jsx:
                renders_jsx.add(function.id)
                function = self.enclosing_function(function)

        for function in functions:
            name, memo_call, forward_ref = self._function_identity(function)
            if not name:
                continue
            if HOOK_NAME.match(name) and function.type != "method_definition":
                owner = Owner(name, "hook", function, render=function)
                self.hooks.append(owner)
            elif (name[0].isupper() or name == "default") and function.type != "method_definition" and (
                function.id in renders_jsx or function.id in calls_hooks or memo_call is not None or forward_ref
            ):
                owner = Owner(name, "function", function, render=function, memoized=memo_call is not None,
                              memo_node=memo_call, forward_ref=forward_ref)
                self.components.append(owner)
            else:
                continue
            self._owner_by_function[function.id] = owner

        for node in classes:
            self._read_class(node)

        for name, call in memo_by_name.items():
            component = self.component(name)
            if component is None:
                continue
            if call.parent is not None and call.parent.type == "export_statement" and not component.memoized:
                # `export default memo(Row)`: what other files import is memoized.
                component.memoized = True
                component.memo_node = call
            declarator = call.parent
            while declarator is not None and declarator.type in TRANSPARENT_TYPES:  # `memo(Row) as typeof Row`
                declarator = declarator.parent
            if declarator is not None and declarator.type == "variable_declarator":
                alias = self._declarator_name(declarator)
                if alias and alias != name:
                    self.components.append(Owner(alias, component.kind, component.node, component.render, True, call,
                                                 component.forward_ref))

        for declarator in declarators:
            name = self._declarator_name(declarator)
            value = declarator.child_by_field_name("value")
            if name and value is not None and self.enclosing_function(declarator) is None:
                wrap = self._wrap_of(name, value)
                if wrap is not None:
                    self.wraps[name] = wrap
        self._read_member_wraps(root)
        for node in by_position(found.get("export", [])):
            self._read_export(node)

        # What each name holds matters only to code that renders: every rule starts from a
        # component or hook. Files with neither (most modules of a codebase: utilities, state,
        # geometry) build the binding model, the largest part of these facts, only if asked.
        if self.components or self.hooks:
            self._bind_names(found, functions, declarators)
        else:
            self._unbound = (found, functions, declarators)  # built on first lookup, if ever

        for call in calls_with_deps:
            self.hook_calls.append(
                HookCall(self._callee_name(call), call, self.render_owner(call), self._argument(call, 0), self._argument(call, 1))
            )
        for node in jsx_nodes:
            self.jsx_elements.append(self._read_jsx(node))


    def _bind_names(self, found, functions, declarators) -> None:
        """What each name holds (props, state, a fresh array...), scope by scope."""
        # Module-level first: components may use names declared below them.
        for function in functions:
            self._bind_function(function)
        module_level = [d for d in declarators if self.enclosing_function(d) is None]
        for declarator in module_level:
            self._bind_declarator(declarator)
        loops = sorted(found.get("for_loop", []), key=lambda n: n.start_byte)
        inner = [d for d in declarators if self.enclosing_function(d) is not None]
        # Declarators and loop variables in document order: later names may alias earlier ones.
        for node in sorted(inner + loops, key=lambda n: n.start_byte):
            if node.type == "for_in_statement":
                self._bind_loop(node)
            else:
                self._bind_declarator(node)
        for target in sorted(found.get("assigned", []), key=lambda n: n.start_byte):
            binding = self.lookup(self.text(target), target)
            if binding is not None:
                binding.reassigned = True

    def _sweep_enclosing(self, found) -> None:
        """`enclosing_function` of every captured node in one pass: the nodes in (start, -end)
        order with a stack of the functions open there, instead of a walk up the tree per node.
        Nodes not captured (or of zero width) still walk up on first use."""
        nodes = grammars.outer_first({n.id: n for group in found.values() for n in group}.values())
        cache = self._enclosing_cache
        stack: list = []  # functions containing the current position, innermost last
        for node in nodes:
            start, end = node.start_byte, node.end_byte
            while stack and stack[-1].end_byte <= start:
                stack.pop()
            if start < end:
                cache[node.id] = stack[-1] if stack else None
            if node.type in FUNCTION_TYPES:
                stack.append(node)

    # -- imports / exports ---------------------------------------------------------

    def _string_value(self, node) -> str:
        return self.text(node)[1:-1] if node is not None else ""

    def _read_import(self, node) -> None:
        spec = self._string_value(node.child_by_field_name("source"))
        clause = next((c for c in node.named_children if c.type == "import_clause"), None)
        if clause is None:
            return
        found: list[tuple[str, str]] = []  # (local name, imported name)
        for child in clause.named_children:
            if child.type == "identifier":
                found.append((self.text(child), "default"))
            elif child.type == "namespace_import":
                ident = next((c for c in child.named_children if c.type == "identifier"), None)
                if ident is not None:
                    found.append((self.text(ident), "*"))
            elif child.type == "named_imports":
                for specifier in child.named_children:
                    if specifier.type != "import_specifier":
                        continue
                    imported = specifier.child_by_field_name("name")
                    alias = specifier.child_by_field_name("alias") or imported
                    found.append((self.text(alias), self.text(imported)))
        for local, imported in found:
            self.imports[local] = (spec, imported)
            self.module_scope[local] = Binding(IMPORT, local, node, source=spec, value_kind=imported)

    def _read_export(self, node) -> None:
        source_node = node.child_by_field_name("source")
        spec = self._string_value(source_node) if source_node is not None else None
        is_default = any(c.type == "default" for c in node.children)
        declaration = node.child_by_field_name("declaration")
        value = node.child_by_field_name("value")
        clause = next((c for c in node.named_children if c.type == "export_clause"), None)
        namespace = next((c for c in node.named_children if c.type == "namespace_export"), None)
        if clause is not None:
            for specifier in clause.named_children:
                if specifier.type != "export_specifier":
                    continue
                name_node = specifier.child_by_field_name("name")
                alias = specifier.child_by_field_name("alias") or name_node
                name, exported = self.text(name_node), self.text(alias)
                if spec is not None:
                    self.exports[exported] = Export(exported, None, specifier, spec, name)
                else:
                    self.exports[exported] = Export(exported, name, specifier)
        elif namespace is not None and spec is not None:
            ident = next((c for c in namespace.named_children if c.type in ("identifier", "string")), None)
            if ident is not None:
                self.exports[self.text(ident)] = Export(self.text(ident), None, namespace, spec, "*")
        elif spec is not None:
            self.star_reexports.append(spec)
        elif declaration is not None:
            if declaration.type in ("lexical_declaration", "variable_declaration"):
                for declarator in declaration.named_children:
                    if declarator.type == "variable_declarator":
                        name = self._declarator_name(declarator)
                        if name:
                            self.exports[name] = Export(name, name, declarator)
            else:
                name_node = declaration.child_by_field_name("name")
                name = self.text(name_node) if name_node is not None else None
                exported = "default" if is_default else name
                if exported:
                    self.exports[exported] = Export(exported, name or "default", declaration)
        elif value is not None and is_default:
            self._read_default_export(node, unwrap(value))

    def _read_default_export(self, node, value) -> None:
        if value.type == "identifier":
            self.exports["default"] = Export("default", self.text(value), node)
            return
        if value.type == "call_expression":
            wrap = self._wrap_of("default", value)
            if wrap is not None:
                self.wraps["default"] = wrap
            inner = unwrap(self._argument(value, 0))
            if self._wrapper_name(value) in MEMO_WRAPPERS and inner is not None and inner.type == "identifier":
                self.exports["default"] = Export("default", self.text(inner), node, memo_node=value)
                return
        if value.type in FUNCTION_TYPES or value.type == "call_expression":
            owner = self._owner_by_function.get(value.id)
            if owner is None and value.type == "call_expression":
                owner = next((o for o in self.components if self._wraps(value, o.node)), None)
            self.exports["default"] = Export("default", owner.name if owner else None, node)
            return
        self.exports["default"] = Export("default", None, node)

    def _wraps(self, call, function) -> bool:
        node = function.parent
        while node is not None and node.type in _WRAPPER_PATH_TYPES:
            if node.id == call.id:
                return True
            node = node.parent
        return False

    # -- wrapped components (memo, observer, forwardRef, lazy, HOCs) ---------------------

    def _wrapper_name(self, call) -> Optional[str]:
        """What a call wrapping a component is: "memo", "forwardRef", "lazy" (React's, through
        aliases), "observer" (MobX's only), or the name of any other function called by name."""
        callee = self.callee(call)
        if callee is None or callee.type not in ("identifier", "member_expression"):
            return None
        name = self._callee_name(call)
        if name != "observer":
            return name
        head = callee if callee.type == "identifier" else unwrap(callee.child_by_field_name("object"))
        imported = self.imports.get(self.text(head)) if head is not None and head.type == "identifier" else None
        return "observer" if imported is not None and imported[0] in MOBX_MODULES else "other:observer"

    def _wrap_of(self, name: str, value) -> Optional[Wrap]:
        """The Wrap `name = value` makes, when `value` is a chain of wrapping calls around a
        component (a capitalized name, an inline function or class) or a lazy import."""
        node = unwrap(value)
        outer, wrappers, compare, lazy, lazy_export = None, [], None, None, "default"
        while node is not None and node.type == "call_expression" and len(wrappers) < 8:
            wrapper = self._wrapper_name(node)
            if wrapper is None:
                return None
            outer = outer if outer is not None else node
            wrappers.append(wrapper)
            if wrapper == "lazy":
                found = self._lazy_module(node)
                if found is None:
                    return None
                lazy, lazy_export = found
                node = None
                break
            if wrapper == "memo" and compare is None:
                compare = self._argument(node, 1)
            node = unwrap(self._argument(node, 0))
        if outer is None:
            return None
        inner = None
        if node is not None:
            if node.type == "identifier" and self.text(node)[:1].isupper():
                inner = self.text(node)
            elif node.type not in FUNCTION_TYPES and node.type not in ("class",):
                return None
        return Wrap(name, outer, tuple(wrappers), inner, lazy, compare, lazy_export)

    def _read_member_wraps(self, root) -> None:
        """`Parts.Item = memo(function Item() {...});` at module level (compound components): kept
        in `wraps` under the tag that renders it, "Parts.Item"."""
        for statement in root.named_children:
            expression = statement.named_children[0] if statement.type == "expression_statement" and statement.named_children else None
            if expression is None or expression.type != "assignment_expression":
                continue
            left = expression.child_by_field_name("left")
            head = left.child_by_field_name("object") if left is not None and left.type == "member_expression" else None
            if head is None or head.type != "identifier":
                continue
            tag = f"{self.text(head)}.{self.text(left.child_by_field_name('property'))}"
            wrap = self._wrap_of(tag, expression.child_by_field_name("right"))
            if wrap is not None:
                self.wraps[tag] = wrap

    def _lazy_module(self, call) -> Optional[tuple]:
        """`lazy(() => import("./Row"))`: ("./Row", "default"); a named export picked as the default,
        `lazy(() => import("./Rows").then((m) => ({ default: m.Row })))`: ("./Rows", "Row")."""
        body = self._returned_expression(unwrap(self._argument(call, 0)))
        if body is None or body.type != "call_expression":
            return None
        export = "default"
        callee = unwrap(body.child_by_field_name("function"))
        if callee is not None and callee.type == "member_expression" and self.text(callee.child_by_field_name("property")) == "then":
            export = self._default_picked(unwrap(self._argument(body, 0)))
            body = unwrap(callee.child_by_field_name("object"))
            if export is None or body is None or body.type != "call_expression":
                return None
            callee = body.child_by_field_name("function")
        if callee is None or callee.type != "import":
            return None
        spec = unwrap(self._argument(body, 0))
        return (self._string_value(spec), export) if spec is not None and spec.type == "string" else None

    def _default_picked(self, function) -> Optional[str]:
        """`(m) => ({ default: m.Row })`: "Row"; None for any other callback."""
        params = self._parameters(function) if function is not None and function.type in FUNCTION_TYPES else []
        picked = unwrap(self._returned_expression(function)) if len(params) == 1 and params[0].type == "identifier" else None
        if picked is None or picked.type != "object" or len(picked.named_children) != 1 or picked.named_children[0].type != "pair":
            return None
        pair = picked.named_children[0]
        key, value = pair.child_by_field_name("key"), unwrap(pair.child_by_field_name("value"))
        if key is None or self.text(key).strip("'\"") != "default" or value is None or value.type != "member_expression":
            return None
        module = unwrap(value.child_by_field_name("object"))
        if module is None or self.text(module) != self.text(params[0]):
            return None
        return self.text(value.child_by_field_name("property"))

    @staticmethod
    def _returned_expression(function):
        """What a function literal returns when its body is one expression (`() => x`) or a
        single `return x;`; None for anything else."""
        if function is None or function.type not in ("arrow_function", "function_expression", "function", "function_declaration"):
            return None
        body = unwrap(function.child_by_field_name("body"))
        if body is not None and body.type == "statement_block":
            statements = [c for c in body.named_children if c.type != "comment"]
            if len(statements) != 1 or statements[0].type != "return_statement" or not statements[0].named_children:
                return None
            body = unwrap(statements[0].named_children[0])
        return body

    def compared_props(self, compare) -> Optional[tuple]:
        """The props a simple memo comparator compares, `(prev, next) => prev.id === next.id &&
        Object.is(prev.label, next.label)`: ("id", "label"); None for any other comparator. A name
        (`memo(Row, areEqual)`) is followed to a module-level function or const of that name."""
        function = unwrap(compare)
        if function is not None and function.type == "identifier":
            binding = self.module_scope.get(self.text(function))
            function = unwrap(binding.value) if binding is not None and binding.kind == MODULE and not binding.reassigned else None
        if function is None or function.type not in ("arrow_function", "function_expression", "function", "function_declaration"):
            return None
        params = self._parameters(function)
        if len(params) != 2 or any(p.type != "identifier" for p in params):
            return None
        sides = {self.text(params[0]), self.text(params[1])}
        body = self._returned_expression(function)
        compared: list[str] = []
        stack = [body]
        while stack:
            term = unwrap(stack.pop())
            if term is None:
                return None
            operator = term.child_by_field_name("operator") if term.type == "binary_expression" else None
            operator = self.text(operator) if operator is not None else ""
            if operator == "&&":
                stack.extend((term.child_by_field_name("right"), term.child_by_field_name("left")))
                continue
            if operator in ("===", "=="):
                pair = (term.child_by_field_name("left"), term.child_by_field_name("right"))
            elif term.type == "call_expression" and self.text(term.child_by_field_name("function")) == "Object.is":
                pair = (self._argument(term, 0), self._argument(term, 1))
            else:
                return None
            props = set()
            objects = set()
            for side in pair:
                side = unwrap(side)
                if side is None or side.type != "member_expression":
                    return None
                obj = unwrap(side.child_by_field_name("object"))
                if obj is None or obj.type != "identifier":
                    return None
                objects.add(self.text(obj))
                props.add(self.text(side.child_by_field_name("property")))
            if objects != sides or len(props) != 1:
                return None
            prop = props.pop()
            if prop not in compared:
                compared.append(prop)
        return tuple(compared)

    def _wrap_summary(self, wrap: Wrap, component: Optional[Owner]) -> dict:
        """The summary of an exported wrapped component: the index decides whether it is
        memoized (its `wrappers` and the project's `memo-wrappers`)."""
        point = wrap.call.start_point
        entry = {
            "name": wrap.name if wrap.inner is None else wrap.inner,
            "kind": component.kind if component is not None else "function",
            "memoized": next((w in MEMO_WRAPPERS for w in wrap.wrappers if w != "forwardRef"), False),
            "wrappers": list(wrap.wrappers),
            "line": point[0] + 1,
            "col": self.source.column(point[0], point[1]),
            "renders_list": self._renders_list_named(component, wrap.inner),
        }
        if wrap.lazy is not None:
            entry["lazy"] = wrap.lazy
            if wrap.lazy_export != "default":
                entry["lazy_export"] = wrap.lazy_export
        if wrap.compare is not None:
            compared = self.compared_props(wrap.compare)
            if compared is None:
                entry["custom_compare"] = True  # the comparator decides: new references may be fine
            else:
                entry["compared"] = list(compared)
        return entry

    # -- components -------------------------------------------------------------------

    def _declarator_name(self, declarator) -> Optional[str]:
        name = declarator.child_by_field_name("name")
        return self.text(name) if name is not None and name.type == "identifier" else None

    def _function_identity(self, function):
        """(name, memo call or None, wrapped in forwardRef) of a function-like node."""
        name_node = function.child_by_field_name("name")
        name = self.text(name_node) if name_node is not None and function.type != "method_definition" else None
        memo_call = None
        forward_ref = False
        node = function
        while True:
            parent = node.parent
            while parent is not None and parent.type in TRANSPARENT_TYPES:
                node, parent = parent, parent.parent
            if parent is None or parent.type != "arguments":
                break
            call = parent.parent
            callee = self._callee_name(call)
            if self._wrapper_name(call) in MEMO_WRAPPERS:
                memo_call = call
            elif callee == "forwardRef":
                forward_ref = True
            else:
                break
            node = call
        parent = node.parent
        if name is None and parent is not None and parent.type == "variable_declarator":
            name = self._declarator_name(parent)
        if name is None and parent is not None and parent.type == "export_statement":
            name = "default"
        if name is None and parent is not None and parent.type == "pair" and function.type != "method_definition":
            # `{ PanelComponent: ({ data }) => <Panel/> }`: rendered as a component by whoever reads the object
            key = parent.child_by_field_name("key")
            if key is not None and key.type == "property_identifier" and self.text(key)[:1].isupper():
                name = self.text(key)
        if name is None and function.type == "method_definition":
            return None, None, False
        return name, memo_call, forward_ref

    def _read_class(self, node) -> None:
        heritage = next((c for c in node.named_children if c.type == "class_heritage"), None)
        if heritage is None:
            return
        base = self.text(heritage)
        pure = "PureComponent" in base
        if not (pure or _COMPONENT_BASE.search(base)):
            return
        name_node = node.child_by_field_name("name")
        name = self.text(name_node) if name_node is not None else None
        if name is None:
            parent = node.parent
            name = self._declarator_name(parent) if parent is not None and parent.type == "variable_declarator" else "default"
        body = node.child_by_field_name("body")
        render = None
        if body is not None:
            for member in body.named_children:
                if member.type == "method_definition" and self.text(member.child_by_field_name("name")) == "render":
                    render = member
        owner = Owner(name, "class", node, render=render, memoized=pure)
        self.components.append(owner)
        self._class_components[node.id] = owner
        if render is not None:
            self._owner_by_function[render.id] = owner
            self._scopes.setdefault(render.id, {})

    def _enclosing_class_component(self, node) -> Optional[Owner]:
        node = node.parent
        while node is not None:
            if node.type in ("class_declaration", "class"):
                return self._class_components.get(node.id)
            node = node.parent
        return None

    # -- render ---------------------------------------------------------------------------

    def _function_render_owner(self, function) -> Optional[Owner]:
        """A loop up the functions whose render `function` runs in (an IIFE, a `.map`
        callback inside another...), which may nest to any depth; every function passed
        on the way gets the answer cached."""
        cache = self._render_cache
        passed = []
        owner = None
        while function is not None:
            key = function.id
            if key in cache:
                owner = cache[key]
                break
            cache[key] = None  # guards against cycles while computing
            passed.append(key)
            owner = self._owner_by_function.get(key)
            if owner is not None:
                break
            call = self._call_running_during(function)
            if call is None:
                break
            function = self.enclosing_function(call)
        for key in passed:
            cache[key] = owner
        return owner

    def _call_running_during(self, function):
        """The call during whose evaluation `function` runs, when it runs at once: the call
        of an IIFE, or a render-time hook or array iteration it is the callback of."""
        node = function
        parent = node.parent
        while parent is not None and parent.type in TRANSPARENT_TYPES:
            node, parent = parent, parent.parent
        if parent is not None and parent.type == "call_expression" and parent.child_by_field_name("function") == node:
            return parent  # IIFE
        if parent is not None and parent.type == "arguments":
            call = parent.parent
            callee = self._callee_name(call)
            if callee in RENDER_CALLBACK_HOOKS or callee == "Array.from" or (
                self._is_member_call(call) and callee in ITERATION_METHODS
            ):
                return call
        return None

    # -- calls ----------------------------------------------------------------------------

    def _selects_fresh_array(self, call) -> bool:
        """Whether the selector given to a store hook is an arrow function returning a new array:
        `Object.keys(...)`, `xs.map(...)`, `[...]`."""
        selector = unwrap(self._argument(call, 0))
        if selector is None or selector.type != "arrow_function":
            return False
        body = unwrap(selector.child_by_field_name("body"))
        if body is None:
            return False
        if body.type == "array":
            return True
        return body.type == "call_expression" and self._classify_call(body, body).kind == FRESH_ARRAY

    def _callee_name(self, call) -> Optional[str]:
        """`useState` for `useState(...)` and `React.useState(...)`; `map` for `xs.map(...)`; `Array.from`, `Object.keys`."""
        key = call.id
        if key not in self._callee_cache:
            self._callee_cache[key] = self._compute_callee_name(call)
        return self._callee_cache[key]

    def callee(self, call):
        """The called expression of `call`, unwrapped (`(f as F)(x)`: `f`); None if it has none.
        Read once per call: the facts and the HTTP reader both look at every call's callee."""
        key = call.id
        try:
            return self._callee_nodes[key]
        except KeyError:
            found = self._callee_nodes[key] = unwrap(call.child_by_field_name("function"))
            return found

    def _compute_callee_name(self, call) -> Optional[str]:
        callee = self.callee(call)
        if callee is None:
            return None
        if callee.type == "identifier":
            name = self.text(callee)
            imported = self.imports.get(name)
            if imported is not None and imported[0] in REACT_MODULES and imported[1] not in ("default", "*"):
                return imported[1]  # `import { forwardRef as fr } from "react"`: `fr(...)` is forwardRef
            return name
        if callee.type == "member_expression":
            obj = unwrap(callee.child_by_field_name("object"))
            prop = self.text(callee.child_by_field_name("property"))
            if obj is not None and obj.type == "identifier" and self.text(obj) in ("Array", "Object"):
                return f"{self.text(obj)}.{prop}"
            return prop
        return None

    def _is_member_call(self, call) -> bool:
        callee = self.callee(call)
        return callee is not None and callee.type == "member_expression"

    def _argument(self, call, index: int):
        items = call_arguments(call)
        return items[index] if index < len(items) else None

    # -- bindings -------------------------------------------------------------------------

    def _scope_for(self, node) -> dict:
        function = self.enclosing_function(node)
        if function is None:
            return self.module_scope
        return self._scopes.setdefault(function.id, {})

    def _bind_function(self, function) -> None:
        scope = self._scopes.setdefault(function.id, {})
        owner = self._owner_by_function.get(function.id)
        # A declared function binds its name in the enclosing scope.
        if function.type in ("function_declaration", "generator_function_declaration"):
            name_node = function.child_by_field_name("name")
            if name_node is not None:
                outer = self._scope_for(function)
                kind = MODULE if outer is self.module_scope else FUNCTION
                outer.setdefault(self.text(name_node), Binding(kind, self.text(name_node), name_node, value=function,
                                                                value_kind=FUNCTION))
        params = self._parameters(function)
        if owner is not None and owner.kind == "function":
            owner.params = tuple(params)
            if params:
                self._bind_pattern(params[0], Binding(PROPS, "props", params[0], owner=owner), scope, props=True)
            for extra in params[1:]:
                self._bind_pattern(extra, Binding(REF if owner.forward_ref else PARAM, "", extra, owner=owner), scope)
            return
        if owner is not None and owner.kind == "hook":
            owner.params = tuple(params)
            for param in params:
                self._bind_pattern(param, Binding(HOOK_PARAM, "", param, owner=owner), scope)
            return
        element_of = None
        parent = function.parent
        if parent is not None and parent.type == "arguments" and params:
            call = parent.parent
            callee = self.callee(call)
            if callee is not None and callee.type == "member_expression" and self._callee_name(call) in ITERATION_METHODS:
                container = self._classify(callee.child_by_field_name("object"), call)
                # Elements of someone else's array are someone else's objects (a fresh copy is shallow,
                # but we only follow owned containers to stay precise).
                if container.kind in NOT_OWNED_KINDS or container.kind == MODULE:
                    element_of = container
        for position, param in enumerate(params):
            if position == 0 and element_of is not None and self._callee_name(parent.parent) not in ("reduce", "reduceRight"):
                self._bind_pattern(param, element_of.derived("", part=True), scope)
            else:
                self._bind_pattern(param, Binding(PARAM, "", param), scope)

    def _parameters(self, function) -> list:
        single = function.child_by_field_name("parameter")
        if single is not None:
            return [single]
        params = function.child_by_field_name("parameters")
        if params is None:
            return []
        result = []
        for child in params.named_children:
            if child.type in ("required_parameter", "optional_parameter"):
                pattern = child.child_by_field_name("pattern")
                if pattern is not None:
                    result.append(pattern)
            elif child.type in ("identifier", "object_pattern", "array_pattern", "assignment_pattern", "rest_pattern"):
                result.append(child)
        return result

    def _bind_pattern(self, pattern, data: Binding, scope: dict, props: bool = False) -> None:
        """Bind every name in `pattern` to (a piece of) `data`.

        With `props=True`, the keys of an object pattern are prop names. Patterns nest to any
        depth, so a stack replaces recursion; it holds (name, Binding) to store and
        (pattern, data, props) to expand, in source order, so a name bound twice ends as before.
        """
        stack: list = [(pattern, data, props)]
        while stack:
            item = stack.pop()
            if len(item) == 2:
                scope[item[0]] = item[1]
            else:
                stack.extend(reversed(self._pattern_items(*item)))

    def _pattern_items(self, pattern, data: Binding, props: bool) -> list:
        """What one level of `pattern` binds: (name, Binding) pairs and inner (pattern, data, props)."""
        items: list = []
        kind = pattern.type
        if kind == "identifier" or kind == "shorthand_property_identifier_pattern":
            name = self.text(pattern)
            if data.kind == PROPS and not props:
                items.append((name, Binding(PROPS, name, pattern, data.source, data.value, data.owner, data.origin)))
            else:
                items.append((name, self._named(data, name, pattern)))
        elif kind == "object_pattern":
            for child in pattern.named_children:
                if child.type == "shorthand_property_identifier_pattern":
                    key = self.text(child)
                    items.append((key, self._member(data, key, child)))
                elif child.type == "object_assignment_pattern":
                    left = child.child_by_field_name("left")
                    if left is not None:
                        key = self.text(left)
                        if left.type == "shorthand_property_identifier_pattern":
                            items.append((key, self._member(data, key, left)))
                        else:
                            items.append((left, self._member(data, key, left), False))
                elif child.type == "pair_pattern":
                    key_node = child.child_by_field_name("key")
                    value = child.child_by_field_name("value")
                    key = self.text(key_node).strip("'\"") if key_node is not None else ""
                    if value is not None:
                        member = self._member(data, key, value)
                        if value.type == "assignment_pattern":
                            value = value.child_by_field_name("left")
                        if value is None:
                            continue
                        if value.type == "identifier":
                            items.append((self.text(value), self._named(member, self.text(value), value)))
                        else:
                            items.append((value, member, False))
                elif child.type == "rest_pattern":
                    ident = next((c for c in child.named_children if c.type == "identifier"), None)
                    if ident is not None:
                        items.append((self.text(ident), Binding(
                            data.kind if data.kind != PROPS else PROPS, self.text(ident), ident, data.source,
                            owner=data.owner, origin=data, part=data.part)))
        elif kind == "array_pattern":
            for child in pattern.named_children:
                target = child.child_by_field_name("left") if child.type == "assignment_pattern" else child
                if target is not None and target.type != "rest_pattern":
                    items.append((target, data.derived("", part=True), False))
        elif kind == "assignment_pattern":
            left = pattern.child_by_field_name("left")
            if left is not None:
                items.append((left, data, props))
        elif kind == "rest_pattern":
            ident = next((c for c in pattern.named_children if c.type == "identifier"), None)
            if ident is not None:
                items.append((self.text(ident), self._named(data, self.text(ident), ident)))
        return items

    def _named(self, data: Binding, name: str, node) -> Binding:
        binding = data.derived(name, part=data.part)
        binding.node = node
        if not binding.source and data.kind in (PROP, STATE, HOOK_PARAM, CONTEXT, STORE, HOOK_RESULT, REDUCER_STATE):
            binding.source = name
        return binding

    def _member(self, data: Binding, key: str, node) -> Binding:
        """The data of `data.key` (destructured or accessed)."""
        if data.kind == PROPS and not data.part:
            return Binding(PROP, key, node, key, owner=data.owner, origin=data)
        if data.kind == STATE_OBJECT:
            return Binding(STATE, key, node, key, owner=data.owner, origin=data)
        if data.kind in (CONTEXT, STORE, HOOK_RESULT, HOOK_PARAM) and not data.part:
            # `const { users } = useContext(Ctx)`: still context data, named after its field.
            binding = data.derived(key, part=False)
            binding.node = node
            binding.source = key
            return binding
        if data.kind in (FRESH_OBJECT, FRESH_ARRAY, LITERAL, FUNCTION, BOUND_FUNCTION, UNKNOWN, PARAM, REF, MEMO, CALLBACK,
                         SETTER, DISPATCH, IMPORT):
            # A field of a fresh or unknown value: we cannot tell who owns it.
            return Binding(UNKNOWN, key, node, origin=data) if data.kind not in (PARAM,) else Binding(PARAM, key, node, origin=data)
        binding = data.derived(key, part=True)
        binding.node = node
        return binding

    def _bind_declarator(self, declarator) -> None:
        pattern = declarator.child_by_field_name("name")
        value = declarator.child_by_field_name("value")
        if pattern is None:
            return
        scope = self._scope_for(declarator)
        if value is None:
            if pattern.type == "identifier":
                scope[self.text(pattern)] = Binding(UNKNOWN, self.text(pattern), pattern)
            return
        data = self._classify(value, declarator, declaring=True)
        if scope is self.module_scope and data.kind not in (IMPORT, MODULE):
            data = Binding(MODULE, data.name, pattern, self.text(pattern), value, value_kind=data.kind)
        if pattern.type == "identifier":
            binding = self._named(data, self.text(pattern), pattern)
            binding.value = value
            scope[self.text(pattern)] = binding
            return
        if pattern.type == "array_pattern":
            hook = self._callee_name(unwrap(value)) if unwrap(value).type == "call_expression" else None
            names = [c for c in pattern.named_children]
            if hook in ("useState", "useReducer", "useTransition", "useActionState", "useOptimistic"):
                first_kind, second_kind = (STATE, SETTER) if hook != "useReducer" else (REDUCER_STATE, DISPATCH)
                owner = self.render_owner(declarator)
                for position, target in enumerate(names[:2]):
                    if target.type == "assignment_pattern":
                        target = target.child_by_field_name("left")
                    if target is None:
                        continue
                    kind = first_kind if position == 0 else second_kind
                    data_binding = Binding(kind, "", target, value=value, owner=owner)
                    self._bind_pattern(target, data_binding, scope)
                    if target.type == "identifier":
                        scope[self.text(target)].source = self.text(target)
                return
        self._bind_pattern(pattern, data, scope)

    def _bind_loop(self, loop) -> None:
        """`for (const x of xs)`: `x` is an element of `xs` when `xs` is someone else's data."""
        left, right = loop.child_by_field_name("left"), loop.child_by_field_name("right")
        operator = loop.child_by_field_name("operator")
        if left is None or right is None or loop.child_by_field_name("kind") is None:
            return  # `for (x of xs)` assigns an existing name: left alone
        scope = self._scope_for(loop)
        container = self._classify(right, loop)
        if operator is not None and self.text(operator) == "of" and (
            container.kind in NOT_OWNED_KINDS or container.kind == MODULE
        ):
            self._bind_pattern(left, container.derived("", part=True), scope)
        else:
            self._bind_pattern(left, Binding(UNKNOWN, "", left), scope)

    def _classify(self, expr, at, declaring: bool = False, memo: Optional[dict] = None) -> Binding:
        """What the value of expression `expr` (at node `at`) is, as a Binding.

        Member chains, ternaries and `??`/`||`/`&&` nest to any depth in valid code, so this
        is a loop over an explicit stack, not recursion: a node waits for its operands'
        Bindings (on `values`), then combines them. `memo` (node id -> Binding), once the
        binding model is complete, keeps every sub-expression's answer."""
        values: list = []
        stack: list = [(expr, None)]  # (node, None) to classify, (node, operand count) to combine
        while stack:
            node, operands = stack.pop()
            if operands is not None:
                results = values[len(values) - operands:]
                del values[len(values) - operands:]
                values.append(self._combine(node, results))
                if memo is not None:
                    memo[node.id] = values[-1]
                continue
            node = unwrap(node)
            known = memo.get(node.id) if memo is not None and node is not None else None
            if known is not None:
                values.append(known)
                continue
            inner = self._operands(node)
            if inner is None:
                values.append(self._classify_leaf(node, at))
                if memo is not None and node is not None:
                    memo[node.id] = values[-1]
            else:
                stack.append((node, len(inner)))
                stack.extend((child, None) for child in reversed(inner))
        return values[0]

    def _operands(self, node) -> Optional[list]:
        """The sub-expressions whose Bindings decide `node`'s, or None for a leaf."""
        if node is None:
            return None
        kind = node.type
        if kind in ("member_expression", "subscript_expression"):
            return [node.child_by_field_name("object")]
        if kind == "ternary_expression":
            return [b for b in (node.child_by_field_name("consequence"), node.child_by_field_name("alternative")) if b is not None]
        if kind == "binary_expression":
            operator = node.child_by_field_name("operator")
            if operator is not None and self.text(operator) in ("??", "||", "&&"):
                return [s for s in (node.child_by_field_name("left"), node.child_by_field_name("right")) if s is not None]
        if kind == "call_expression":
            callee = self.callee(node)
            if callee is not None and callee.type == "member_expression" and self._callee_name(node) in SELF_RETURNING_METHODS:
                return [callee.child_by_field_name("object")]  # `xs.sort()` returns its (mutated) receiver
        return None

    def _combine(self, node, operands: list) -> Binding:
        kind = node.type
        if kind in ("member_expression", "subscript_expression"):
            obj = operands[0]
            if kind == "member_expression":
                key = self.text(node.child_by_field_name("property"))
            else:
                index = node.child_by_field_name("index")
                key = self.text(index).strip("'\"") if index is not None else ""
            if obj.value_kind == "this" and obj.owner is not None:
                if key == "props":
                    return Binding(PROPS, "this.props", node, owner=obj.owner)
                if key == "state":
                    return Binding(STATE_OBJECT, "this.state", node, owner=obj.owner)
                return Binding(UNKNOWN, key, node)
            if kind == "member_expression" and obj.kind == REF and key == "current":
                return Binding(REF, key, node, obj.source, owner=obj.owner, origin=obj, part=True)
            return self._member(obj, key, node)
        if kind == "call_expression":
            return operands[0]
        return self._first_owned(operands)  # ternary branches, `??`/`||`/`&&` sides

    def _classify_leaf(self, node, at) -> Binding:
        if node is None:
            return Binding(UNKNOWN, "")
        kind = node.type
        if kind == "identifier":
            name = self.text(node)
            if name == "undefined":
                return Binding(LITERAL, name, node)
            found = self.lookup(name, at)
            if found is None:
                return Binding(UNKNOWN, name, node)
            if found.reassigned:
                return Binding(UNKNOWN, name, node, origin=found, reassigned=True)
            return found
        if kind == "this":
            owner = self._enclosing_class_component(node)
            return Binding(UNKNOWN, "this", node, owner=owner, value_kind="this")
        if kind == "call_expression":
            return self._classify_call(node, at)
        if kind == "array":
            return Binding(FRESH_ARRAY, "", node)
        if kind == "new_expression":
            ctor = node.child_by_field_name("constructor")
            name = self.text(ctor) if ctor is not None else ""
            return Binding(FRESH_ARRAY if name == "Array" else FRESH_OBJECT, "", node)
        if kind == "object":
            return Binding(FRESH_OBJECT, "", node)
        if kind in ("arrow_function", "function_expression", "function", "class"):
            return Binding(FUNCTION, "", node)
        if kind in ("string", "template_string", "number", "true", "false", "null", "regex", "unary_expression"):
            return Binding(LITERAL, "", node)
        if kind == "binary_expression":  # not `??`/`||`/`&&` (those have operands)
            return Binding(LITERAL, "", node)
        return Binding(UNKNOWN, "", node)

    def _first_owned(self, options: list) -> Binding:
        """`props.items ?? []` is the prop when present: prefer a branch holding someone else's data."""
        for option in options:
            if option.kind in NOT_OWNED_KINDS or option.kind == MODULE:
                return option
        return options[0] if options else Binding(UNKNOWN, "")

    def _classify_call(self, call, at) -> Binding:
        name = self._callee_name(call) or ""
        callee = self.callee(call)
        owner = self.render_owner(call)
        if name in ("useContext", "use"):
            argument = self._argument(call, 0)
            context = self.text(argument) if argument is not None else ""
            return Binding(CONTEXT, "", call, owner=owner, via=context)
        if name in ("useRef", "createRef"):
            return Binding(REF, "", call, owner=owner)
        if name == "useMemo":
            return Binding(MEMO, "", call, owner=owner)
        if name == "useCallback":
            return Binding(CALLBACK, "", call, owner=owner)
        if name in STORE_HOOKS or STORE_HOOK_NAME.match(name):
            if self._selects_fresh_array(call):
                # `useSelector((s) => Object.keys(s.items))`: the selector builds the array, the store
                # does not hold it (with an equality function the hook hands back its last one)
                return Binding(FRESH_ARRAY, "", call)
            return Binding(STORE, "", call, owner=owner, via=name)
        if name in ("useState", "useReducer"):
            return Binding(STATE if name == "useState" else REDUCER_STATE, "", call, owner=owner)
        if HOOK_NAME.match(name) and callee is not None and (callee.type == "identifier" or self._react_member(callee)):
            return Binding(HOOK_RESULT, "", call, owner=owner, via=name)
        if name in FRESH_ARRAY_STATICS:
            return Binding(FRESH_ARRAY, "", call)
        if callee is not None and callee.type == "member_expression":
            if name == "bind":
                return Binding(BOUND_FUNCTION, "", call)
            if name in FRESH_ARRAY_METHODS:
                return Binding(FRESH_ARRAY, "", call)
        if name in ("structuredClone",):
            return Binding(FRESH_OBJECT, "", call)
        return Binding(UNKNOWN, "", call)

    def _react_member(self, callee) -> bool:
        obj = unwrap(callee.child_by_field_name("object"))
        return obj is not None and obj.type == "identifier" and self.text(obj) == "React"

    # -- JSX ------------------------------------------------------------------------------------

    def _read_jsx(self, node) -> JsxElement:
        name = node.child_by_field_name("name")
        tag = self.text(name) if name is not None else ""
        attributes = []
        for child in node.named_children:
            if child.type == "jsx_attribute":
                parts = child.named_children
                attr_name = self.text(parts[0]) if parts else ""
                value = parts[1] if len(parts) > 1 else None
                if value is not None and value.type == "jsx_expression":
                    value = value.named_children[0] if value.named_children else None
                attributes.append((attr_name, value))
            elif child.type == "jsx_expression":
                spread = next((c for c in child.named_children if c.type == "spread_element"), None)
                if spread is not None and spread.named_children:
                    attributes.append(("...", spread.named_children[0]))
        is_dom = name is not None and name.type == "identifier" and tag[:1].islower()
        return JsxElement(node, tag, attributes, is_dom, self.render_owner(node))
