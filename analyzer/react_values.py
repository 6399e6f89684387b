"""Shared reasoning for the memo-aware React rules (PF102, PF103).

- `unstable_value(facts, expr, owner)`: is the value of `expr` created anew on
  every render of `owner` (inline function/object/array/JSX, `.bind`, derived
  array, or a local name bound to one of those)? Stable values (hooks' memoized
  results, setters, dispatch, refs, props, context, module-level names,
  primitives) give None.
- `dependencies(facts, expr)`: the dependency list exhaustive-deps would ask for.
- `wrap_fix(...)`: the edits turning `const x = <expr>` into
  `const x = useMemo(() => <expr>, [deps])` / `useCallback(<fn>, [deps])`.
- `compiler_note(ctx, owner)`: whether the React Compiler memoizes `owner`.
- `memo_target(ctx, tag, at)`: the memoized component a JSX tag renders (local or imported),
  as the project index's memo identity decides (analyzer/react_index.py).
"""

from __future__ import annotations

import bisect
import weakref
from dataclasses import dataclass
from typing import Optional

from .facts import tsx as model
from .findings import Fix, Related, Span, TextEdit, short_text
from .react_index import (compilation_mode_for, compiler_for, configured_memo_wrappers, memoized_child, memoized_module_default,
                          wraps_in_memo)

FUNCTION_NODES = frozenset({"arrow_function", "function_expression", "function"})
JSX_NODES = frozenset({"jsx_element", "jsx_self_closing_element", "jsx_fragment"})
# Stable across renders: React guarantees it, or the value does not belong to this render.
STABLE_DEP_KINDS = frozenset({model.SETTER, model.DISPATCH, model.REF, model.MODULE, model.IMPORT})
LOOP_STATEMENTS = frozenset({"for_statement", "for_in_statement", "while_statement", "do_statement"})


@dataclass(frozen=True)
class MemoTarget:
    """A memoized component a JSX tag renders."""

    name: str
    related: Related  # its memo definition
    compared: Optional[tuple] = None  # only these props are compared (a simple custom comparator)
    memo_by: str = "memo"  # what memoizes it: "memo", "observer" (MobX's alone), "PureComponent", an in-house HOC
    renders_list: bool = False  # its render builds JSX per item of a list

    @property
    def mobx_only(self) -> bool:
        """Memoized only as a side effect of MobX's `observer`, which a MobX codebase puts on every component."""
        return self.memo_by == "observer"


def memo_target(ctx, tag: str, at) -> Optional[MemoTarget]:
    """The memoized component `<tag>` at node `at` renders: defined or wrapped in this file, or
    imported (through barrels and aliases); None when it is not memoized or its comparator
    cannot be read."""
    facts = ctx.facts
    head, _, member = tag.partition(".")
    local = _local_memo(ctx, tag, at) if not member else _local_member_memo(ctx, tag, head, member, at)
    if local is not None:
        return local
    if head in facts.imports:
        if facts.lookup(head, at) is not facts.module_scope.get(head):
            return None  # shadowed by a local name
        ref = memoized_child(ctx.index, ctx.source.rel_path, head, member or None)
        if ref is not None:
            span = Span(ref.path, ref.line, ref.col, ref.line, ref.col)
            return MemoTarget(ref.name if ref.name != "default" else tag, Related(span, f"memo definition of {tag}"),
                              ref.compared, ref.memo_by, ref.renders_list)
    return None


def _local_memo(ctx, tag: str, at) -> Optional[MemoTarget]:
    facts = ctx.facts
    binding = facts.lookup(tag, at)
    if binding is None or binding.kind != model.MODULE:
        return None
    wrap = facts.wraps.get(tag)
    if wrap is not None:
        if wrap.lazy is not None:
            ref = memoized_module_default(ctx.index, ctx.source.rel_path, wrap.lazy, wrap.lazy_export)
            if ref is None:
                return None
            span = Span(ref.path, ref.line, ref.col, ref.line, ref.col)
            return MemoTarget(tag, Related(span, f"memo definition of {tag}"), ref.compared, ref.memo_by, ref.renders_list)
        memoized = wraps_in_memo(wrap.wrappers, configured_memo_wrappers(ctx.index))
        if memoized is False:
            return None
        if memoized:
            component = facts.component(tag) or (facts.component(wrap.inner) if wrap.inner else None)
            return _memo_call_target(ctx, tag, wrap.call, wrap.compare, facts.memo_wrapper(None, wrap), component)
    component = facts.component(tag)
    if component is None or not component.memoized:
        return None
    if component.kind == "class":  # PureComponent
        return MemoTarget(tag, Related(ctx.source.span(component.node), f"memo definition of {tag}"), None,
                          "PureComponent", facts.renders_list(component))
    memo_node = component.memo_node
    if memo_node is None or (memo_node.parent is not None and memo_node.parent.type == "export_statement"):
        return None  # `export default memo(Row)` memoizes what other files import, not the local name `Row`
    return _memo_call_target(ctx, tag, memo_node, facts._argument(memo_node, 1), facts.memo_wrapper(component), component)


def _local_member_memo(ctx, tag: str, head: str, member: str, at) -> Optional[MemoTarget]:
    """`<Parts.Item>` with `const Parts = { Item: memo(...) }` (or `{ Item }`, `{ Item: MemoItem }`
    naming a memoized component) or `Parts.Item = memo(...)` at module level."""
    facts = ctx.facts
    binding = facts.lookup(head, at)
    if binding is not None and binding.kind == model.MODULE and tag in facts.wraps:  # `Parts.Item = memo(...)`
        wrap = facts.wraps[tag]
        if wrap.lazy is not None or not wraps_in_memo(wrap.wrappers, configured_memo_wrappers(ctx.index)):
            return None
        inner = facts.component(wrap.inner) if wrap.inner else _inline_component(facts, wrap.call)
        return _memo_call_target(ctx, tag, wrap.call, wrap.compare, facts.memo_wrapper(None, wrap), inner)
    value = model.unwrap(binding.value) if binding is not None and binding.kind == model.MODULE and binding.value is not None else None
    if value is None or value.type != "object" or "." in member:
        return None
    for entry in value.named_children:
        if entry.type == "shorthand_property_identifier" and facts.text(entry) == member:
            return _local_memo(ctx, member, value)
        key = entry.child_by_field_name("key") if entry.type == "pair" else None
        if key is None or facts.text(key).strip("'\"") != member:
            continue
        item = model.unwrap(entry.child_by_field_name("value"))
        if item is not None and item.type == "identifier":
            return _local_memo(ctx, facts.text(item), value)
        wrap = facts._wrap_of(tag, item) if item is not None else None
        if wrap is None or wrap.lazy is not None or not wraps_in_memo(wrap.wrappers, configured_memo_wrappers(ctx.index)):
            return None
        inner = facts.component(wrap.inner) if wrap.inner else _inline_component(facts, wrap.call)
        return _memo_call_target(ctx, tag, wrap.call, wrap.compare, facts.memo_wrapper(None, wrap), inner)
    return None


def _inline_component(facts, call):
    """The component an inline function wrapped by `call` defines (`memo(function Item() {...})`)."""
    return next((c for c in facts.components if c.memo_node is not None and c.memo_node.id == call.id), None)


def _memo_call_target(ctx, tag: str, call, compare, memo_by: str, component) -> Optional[MemoTarget]:
    compared = None
    if compare is not None:
        compared = ctx.facts.compared_props(compare)
        if compared is None:
            return None  # `memo(Row, areEqual)`: the comparator decides which props matter
    renders_list = component is not None and ctx.facts.renders_list(component)
    return MemoTarget(tag, Related(ctx.source.span(call), f"memo definition of {tag}"), compared, memo_by, renders_list)


@dataclass
class Unstable:
    """A value created anew on every render."""

    kind: str  # "function" | "object" | "array" | "derived array" | "element" | "bound function"
    node: object  # the expression that creates it
    binding: Optional[model.Binding] = None  # the local name it is bound to, if any
    in_loop: bool = False  # created inside an array callback (`.map(...)`): no hook can wrap it there
    default: bool = False  # the default value of a destructured prop (`{ items = [] }`), used when it is not passed

    @property
    def hook(self) -> str:
        return "useCallback" if self.kind == "function" else "useMemo"

    @property
    def noun(self) -> str:
        return {
            "function": "a new function",
            "object": "a new object",
            "array": "a new array",
            "derived array": "a new array",
            "element": "a new JSX element",
            "bound function": "a new bound function",
            "regular expression": "a new regular expression",
            "class": "a new class",
        }[self.kind]

    def origin(self, facts) -> str:
        """How the value is made, for messages: "the inline arrow function", "`handleRemove`"."""
        if self.binding is not None:
            return f"`{self.binding.name}`"
        node = self.node
        return {
            "function": "the inline arrow function" if node.type == "arrow_function" else "the inline function",
            "object": "the object literal" if node.type == "object" else f"`{short_text(facts.text(node))}`",
            "array": "the array literal" if node.type == "array" else f"`{short_text(facts.text(node))}`",
            "derived array": f"`{short_text(facts.text(node))}`",
            "element": "the JSX element",
            "bound function": f"`{short_text(facts.text(node))}`",
        }[self.kind]


def empty_fallback(facts, expr) -> bool:
    """`items ?? []`, `props.style || {}` (inline or through a local's initializer): a new value
    only while the data is missing, and then an empty one."""
    node = model.unwrap(expr)
    if node is not None and node.type == "identifier":
        binding = facts.lookup(facts.text(node), node)
        node = model.unwrap(binding.value) if binding is not None and not binding.reassigned else None
    if node is None or node.type != "binary_expression":
        return False
    operator = node.child_by_field_name("operator")
    fallback = model.unwrap(node.child_by_field_name("right"))
    left = model.unwrap(node.child_by_field_name("left"))
    return (operator is not None and facts.text(operator) in ("||", "??") and fallback is not None
            and fallback.type in ("array", "object") and not fallback.named_children
            and left is not None and left.type in ("identifier", "member_expression", "call_expression", "subscript_expression"))


# `Array(3)`, `Object()`: called without `new`, these still build a new value each time.
_FRESH_CALLS = {"Array": "array", "Object": "object"}
_FRESH_CONSTRUCTORS = {"Array": "array", "Function": "function"}  # any other `new X()` is "object"


def _expression_kind(facts, node) -> Optional[str]:
    kind = node.type
    if kind in FUNCTION_NODES:
        return "function"
    if kind == "object":
        return "object"
    if kind == "array":
        return "array"
    if kind in JSX_NODES:
        return "element"
    if kind == "regex":  # a literal makes a new RegExp object each time it is evaluated
        return "regular expression"
    if kind == "class":
        return "class"
    if kind == "call_expression":
        name = facts._callee_name(node)
        callee = facts.callee(node)
        is_member = callee is not None and callee.type == "member_expression"
        if name == "bind" and is_member:
            return "bound function"
        if name in model.FRESH_ARRAY_STATICS or (is_member and name in model.FRESH_ARRAY_METHODS and name not in ("split", "match", "matchAll")):
            return "derived array"
        if name == "Object.assign":
            first = model.unwrap(facts._argument(node, 0))
            if first is not None and first.type == "object":
                return "object"
        if callee is not None and callee.type == "identifier" and name in _FRESH_CALLS \
                and facts.lookup(name, node) is None:  # the global, not a local or an import of that name
            return _FRESH_CALLS[name]
    if kind == "new_expression":  # `new Map()`, `new Date()`, `new Intl.NumberFormat()`: a new object each time
        ctor = node.child_by_field_name("constructor")
        return _FRESH_CONSTRUCTORS.get(facts.text(ctor) if ctor is not None else "", "object")
    return None


# How many local names one value may be followed through (`a = b`, `b = cond ? [] : c`, ...).
_MAX_FOLLOW = 8


def unstable_value(facts, expr, owner, fallbacks: bool = False, _depth: int = 0) -> Optional[Unstable]:
    """The value `expr` evaluates to, when it is new on every render of `owner`; else None.

    Ternary branches and `&&`/`||`/`??` operands may nest to any depth: they are searched
    in source order with a stack, not by recursion; the first unstable one wins. Local names
    are followed to the value they hold where `expr` reads them (see `_unstable_name`). With
    `fallbacks`, a value used when someone else's data is missing counts as new: a local name
    holding either (`const items = props.items ?? []`, as the inline `props.items ?? []` does)
    and the default of a destructured prop (`{ items = [] }`, `Unstable.default`)."""
    if owner is None:
        return None
    stack = [expr]
    while stack:
        node = model.unwrap(stack.pop())
        if node is None:
            continue
        if node.type == "ternary_expression":
            stack.extend(reversed([node.child_by_field_name(b) for b in ("consequence", "alternative")]))
            continue
        if node.type == "assignment_expression":  # `a = b = () => {}`: the value assigned
            stack.append(node.child_by_field_name("right"))
            continue
        if node.type == "binary_expression":
            operator = node.child_by_field_name("operator")
            op = facts.text(operator) if operator is not None else ""
            if op in ("&&", "||", "??"):
                sides = ("right",) if op == "&&" else ("left", "right")
                stack.extend(reversed([node.child_by_field_name(side) for side in sides]))
            continue
        found = _unstable_leaf(facts, node, owner, fallbacks, _depth)
        if found is not None:
            return found
    return None


def _unstable_leaf(facts, node, owner, fallbacks: bool, depth: int) -> Optional[Unstable]:
    kind = _expression_kind(facts, node)
    if kind is not None:
        return Unstable(kind, node, None, _in_loop(facts, facts.enclosing_function(node), owner))
    if node.type != "identifier" or depth >= _MAX_FOLLOW:
        return None
    binding = facts.lookup(facts.text(node), node)
    if binding is None:
        return None
    return _unstable_name(facts, binding, node, owner, fallbacks, depth)


def _unstable_name(facts, binding, read, owner, fallbacks: bool, depth: int) -> Optional[Unstable]:
    """The new-each-render value local name `binding` holds where `read` reads it: its last
    assignment before `read` on every path (`let style; style = {...}`), its initializer, or the
    default of a destructured prop (`{ items = [] }`); None when stable or not known."""
    declared = binding.value if binding.value is not None and binding.value.type == "function_declaration" else binding.node
    scope = facts.enclosing_function(declared) if declared is not None else None
    if scope is None or facts.render_owner(scope) is not owner:
        return None  # module level, or declared in a handler, an effect or a helper: not made by this render
    in_loop = _in_loop(facts, scope, owner)
    default = _prop_default(binding) if binding.kind == model.PROP and fallbacks else None
    if default is not None:
        found = unstable_value(facts, default, owner, fallbacks, depth + 1) if not binding.reassigned else None
        return Unstable(found.kind, found.node, binding, in_loop, default=True) if found is not None else None
    value = binding.value
    if binding.reassigned:
        reaching = _reaching_value(facts, binding, read)
        if reaching is None or reaching is _INITIAL and binding.node is None:
            return None
        if isinstance(reaching, tuple):  # `if (c) x = a; else x = b;`: new when a branch's value is
            for branch in reaching:
                found = unstable_value(facts, branch, owner, fallbacks, depth + 1)
                if found is not None:
                    return found if found.binding is not None else Unstable(found.kind, found.node, binding, in_loop)
            return None
        if reaching is not _INITIAL:
            value = reaching
        elif binding.node.parent is None or binding.node.parent.type != "variable_declarator":
            return None
    if value is None or (binding.kind in model.NOT_OWNED_KINDS and not binding.reassigned and not fallbacks):
        return None
    if value.type == "function_declaration":
        return Unstable("function", value, binding, in_loop) if binding.kind == model.FUNCTION else None
    found = unstable_value(facts, value, owner, fallbacks, depth + 1)
    if found is None:
        return None
    if found.binding is not None:
        return found  # `const a = b` with `b` new each render: `b` is what to wrap
    # The whole value, also when only a branch of it is new (`cond ? [] : list`): a fix wraps all of it.
    return Unstable(found.kind, value, binding, in_loop)


def _prop_default(binding):
    """`{ items = [] }` / `{ items: list = [] }` in a component's parameters: the `[]`."""
    node = binding.node
    parent = node.parent if node is not None else None
    if parent is not None and parent.type in ("object_assignment_pattern", "assignment_pattern") \
            and parent.child_by_field_name("left") == node:
        return parent.child_by_field_name("right")
    return None


_INITIAL = object()  # no assignment reaches the read: the declaration's own value does
_BLOCKS = frozenset({"statement_block", "program", "switch_case", "switch_default"})


def _reaching_value(facts, binding, read):
    """The expression assigned to `binding` last before `read` on every path to it, `_INITIAL`
    when only the declaration reaches it, a tuple of the values an `if`/`else` chain's branches
    each assign (`if (c) x = a; else x = b;`), or None when that cannot be told (an `if` without
    `else`, a loop, a callback, an augmented or destructuring assignment).

    Assignments are found by position (`_Assignments`), so a read costs a walk up its
    ancestors, not a scan of every statement before it."""
    assignments = _assignments(facts, binding)
    if not assignments.nodes:
        return _INITIAL
    declaring = facts.enclosing_function(binding.node)
    declared_at = binding.node.start_byte if binding.node is not None else -1
    node = read
    while node.parent is not None:
        parent = node.parent
        if parent.type in _BLOCKS:
            last = assignments.last_before(parent.start_byte, node.start_byte)
            if parent.start_byte <= declared_at < node.start_byte and (last is None or declared_at > last.start_byte):
                return _INITIAL  # the declaration is the nearest statement giving it a value
            if last is not None:
                statement = last
                while statement.parent is not None and statement.parent.id != parent.id:
                    statement = statement.parent
                if statement.type == "if_statement":
                    return _branch_values(statement, assignments)
                return _direct_assignment(statement, assignments.within(statement.start_byte, statement.end_byte))
        elif parent.type in FUNCTION_NODES or parent.type in model.FUNCTION_TYPES:
            if declaring is not None and parent.id == declaring.id:
                return None  # a parameter or a hoisted `var`: not followed
            # The function may run later or again (a callback): no assignment may follow it or be in it.
            if assignments.within(parent.start_byte, None):
                return None
        elif parent.type in LOOP_STATEMENTS:
            if assignments.within(parent.start_byte, parent.end_byte):
                return None  # an assignment later in the loop reaches the next iteration
        elif parent.type != "else_clause":
            # An expression or statement around the read: an assignment in it besides the read's
            # branch (`if (a = x)`, `f(a = {}, <X a={a} />)`) is not followed. The other branch
            # of an `if` does not reach the read.
            skipped = [node]
            if parent.type == "if_statement":
                skipped += [parent.child_by_field_name(f) for f in ("consequence", "alternative")]
            outside = [a for a in assignments.within(parent.start_byte, parent.end_byte)
                       if not any(s is not None and s.start_byte <= a.start_byte < s.end_byte for s in skipped)]
            if outside:
                return None
        node = parent
    return None


def _branch_values(statement, assignments) -> Optional[tuple]:
    """`if (c) x = a; else x = b;` (blocks and else-if chains too): the value each branch assigns,
    when every branch assigns the name once, as a statement of its own; else None."""
    values = []
    stack = [statement]
    while stack:
        node = stack.pop()
        if node.type == "else_clause":
            inner = [c for c in node.named_children if c.type != "comment"]
            if len(inner) != 1:
                return None
            node = inner[0]
        if node.type == "if_statement":
            condition = node.child_by_field_name("condition")
            consequence, alternative = node.child_by_field_name("consequence"), node.child_by_field_name("alternative")
            if consequence is None or alternative is None or (
                    condition is not None and assignments.within(condition.start_byte, condition.end_byte)):
                return None  # no `else`: the value before the `if` may reach the read too
            stack.extend((alternative, consequence))
            continue
        inside = assignments.within(node.start_byte, node.end_byte)
        if node.type == "statement_block":
            if len(inside) != 1:
                return None
            assigned = inside[0]
            while assigned.parent is not None and assigned.parent.id != node.id:
                assigned = assigned.parent
            value = _direct_assignment(assigned, inside)
        else:
            value = _direct_assignment(node, inside)
        if value is None:
            return None
        values.append(value)
    return tuple(values)


def _direct_assignment(statement, inside):
    """`a = value;` as a statement of its own: the value; None for an assignment nested in it."""
    if statement.type != "expression_statement" or len(inside) != 1:
        return None
    expression = model.unwrap(statement.named_children[0]) if statement.named_children else None
    if expression is None or expression.type != "assignment_expression" or expression.child_by_field_name("left") != inside[0]:
        return None
    return expression.child_by_field_name("right")


class _Assignments:
    """The identifiers one name is assigned through (`a = ...`, `a += ...`), in document order,
    with their start bytes for range look-ups."""

    def __init__(self, nodes: list):
        self.nodes = nodes
        self.starts = [n.start_byte for n in nodes]

    def within(self, start: int, end: Optional[int]) -> list:
        """Those starting in [start, end) (end None: to the end of the file)."""
        lo = bisect.bisect_left(self.starts, start)
        hi = len(self.starts) if end is None else bisect.bisect_left(self.starts, end)
        return self.nodes[lo:hi]

    def last_before(self, start: int, end: int):
        """The last one starting in [start, end), or None."""
        index = bisect.bisect_left(self.starts, end) - 1
        return self.nodes[index] if index >= 0 and self.starts[index] >= start else None


_ASSIGNMENT_CACHE: "weakref.WeakKeyDictionary[object, dict]" = weakref.WeakKeyDictionary()


def _assignments(facts, binding) -> _Assignments:
    """Where `binding`'s name is assigned, found in its declaring function once per file and
    function, kept per binding."""
    per_file = _ASSIGNMENT_CACHE.setdefault(facts, {})
    known = per_file.get(id(binding))
    if known is not None and known[0] is binding:
        return known[1]
    declaring = facts.enclosing_function(binding.node) if binding.node is not None else None
    root = declaring if declaring is not None else facts.source.tree.root_node
    by_name = per_file.get(("names", root.id))
    if by_name is None:
        by_name = per_file[("names", root.id)] = {}
        stack = [root]
        while stack:
            node = stack.pop()
            if node.type in ("assignment_expression", "augmented_assignment_expression"):
                left = node.child_by_field_name("left")
                if left is not None and left.type == "identifier":
                    by_name.setdefault(facts.text(left), []).append(left)
            stack.extend(reversed(node.named_children))
    found = _Assignments([a for a in by_name.get(binding.name, ()) if facts.lookup(binding.name, a) is binding])
    per_file[id(binding)] = (binding, found)  # the binding is kept too, so its id is not reused
    return found


def _in_loop(facts, function, owner) -> bool:
    """Whether `function` (a scope inside `owner`'s render) is an array callback or a loop body."""
    render = owner.render
    while function is not None and render is not None and function.id != render.id:
        parent = function.parent
        if parent is not None and parent.type == "arguments":
            return True
        function = facts.enclosing_function(function)
    return False


# -- dependencies ------------------------------------------------------------------------------------


def dependencies(facts, expr, exclude: Optional[model.Binding] = None) -> tuple[list[str], bool]:
    """(dependency texts in first-use order, complete): the names `expr` reads from its component's scope.

    Setters, dispatch, refs, module-level names, imports and globals are left
    out, as exhaustive-deps does. `props.x` reads become `props.x`. `complete`
    is False when a read cannot be followed (`this`, reassigned names).
    """
    deps: list[str] = []
    complete = True
    stack = [expr]
    while stack:
        node = stack.pop()
        kind = node.type
        if kind == "this":
            complete = False
        elif kind in ("identifier", "shorthand_property_identifier"):
            name = facts.text(node)
            binding = facts.lookup(name, node)
            if binding is None or binding is exclude:
                continue
            if binding.node is not None and expr.start_byte <= binding.node.start_byte < expr.end_byte:
                continue  # declared inside the expression itself (a parameter, a local)
            if binding.kind in STABLE_DEP_KINDS or (binding.kind == model.UNKNOWN and binding.node is None):
                continue
            if binding.reassigned:
                complete = False
            text = name
            parent = node.parent
            if binding.kind == model.PROPS and parent is not None and parent.type == "member_expression" \
                    and parent.child_by_field_name("object") == node:
                text = facts.text(parent)
            if text not in deps:
                deps.append(text)
        else:
            if kind in ("type_annotation", "type_arguments", "type_parameters"):
                continue
            stack.extend(reversed(node.named_children))
    return deps, complete


def unstable_dependencies_note(facts, at, owner, deps: list[str]) -> str:
    """", and `signOut` must be stable too (wrap it in `useCallback`)" for dependencies that are new each render."""
    notes = []
    for dep in deps:
        if "." in dep:
            continue
        binding = facts.lookup(dep, at)
        if binding is None:
            continue
        found = None
        if binding.kind in (model.FUNCTION, model.FRESH_ARRAY, model.FRESH_OBJECT, model.BOUND_FUNCTION) and binding.node is not None:
            found = unstable_value(facts, binding.node, owner) if binding.node.type == "identifier" else None
        if found is not None:
            notes.append(f"`{dep}` ({found.hook})")
    if not notes:
        return ""
    return f"; its dependencies must be stable too: wrap {', '.join(notes)}"


# -- fixes --------------------------------------------------------------------------------------------


def _hook_reference(facts, source, hook: str) -> tuple[str, list[TextEdit]]:
    """How to call `hook` in this file, and the import edit needed to make it available."""
    named_clause = None
    for local, (module, imported) in facts.imports.items():
        if module in model.REACT_MODULES and imported == hook:
            return local, []
    react_namespace = None
    for local, (module, imported) in facts.imports.items():
        if module == "react" and imported in ("default", "*"):
            react_namespace = local
        if module == "react" and imported not in ("default", "*") and named_clause is None:
            statement = facts.module_scope.get(local).node if local in facts.module_scope else None
            named_clause = named_imports_clause(statement)
    if named_clause is not None:
        last = [c for c in named_clause.named_children if c.type == "import_specifier"][-1]
        end = source.span(last)
        at = Span(end.path, end.end_line, end.end_col, end.end_line, end.end_col)
        return hook, [TextEdit(at, f", {hook}")]
    if react_namespace is not None:
        return f"{react_namespace}.{hook}", []
    root = source.tree.root_node
    imports = [c for c in root.named_children if c.type == "import_statement"]
    if imports:  # after the last import
        end = source.span(imports[-1])
        at = Span(end.path, end.end_line, end.end_col, end.end_line, end.end_col)
        return hook, [TextEdit(at, f'\nimport {{ {hook} }} from "react";')]
    first = root.named_children[0] if root.named_children else root
    start = source.span(first)
    at = Span(start.path, start.line, start.col, start.line, start.col)
    return hook, [TextEdit(at, f'import {{ {hook} }} from "react";\n')]


def named_imports_clause(statement):
    """The `{ ... }` of an import statement (None when it has none)."""
    if statement is None or statement.type != "import_statement":
        return None
    clause = next((c for c in statement.named_children if c.type == "import_clause"), None)
    if clause is None:
        return None
    return next((c for c in clause.named_children if c.type == "named_imports"), None)


def hook_call_site_ok(facts, statement, owner) -> bool:
    """A hook may be added at `statement`: a top-level statement of a function component or hook's body,
    with no early return before it."""
    if owner is None or owner.kind not in ("function", "hook") or owner.render is None:
        return False
    body = owner.render.child_by_field_name("body")
    if body is None or statement.parent is None or statement.parent.id != body.id:
        return False
    for sibling in body.named_children:
        if sibling.id == statement.id:
            return True
        if sibling.type == "return_statement" or (
            sibling.type in ("if_statement", "switch_statement", "try_statement") and "return" in facts.text(sibling)
        ):
            return False
    return False


def wrap_fix(facts, source, unstable: Unstable, owner) -> Optional[Fix]:
    """Wrap the binding's initializer in useCallback/useMemo with computed dependencies (None if hooks cannot go there)."""
    binding = unstable.binding
    if binding is None or unstable.in_loop:
        return None
    value = unstable.node
    hook = unstable.hook
    if value.type == "function_declaration":
        statement = value
        if statement.parent is not None and statement.parent.type == "export_statement":
            return None
    else:
        declarator = binding.node.parent if binding.node is not None else None
        if declarator is None or declarator.type != "variable_declarator":
            return None
        statement = declarator.parent
        if statement is None or statement.type != "lexical_declaration" or "const" not in facts.text(statement).split(" ", 1)[0]:
            return None
    if not hook_call_site_ok(facts, statement, owner):
        return None
    deps, complete = dependencies(facts, value, exclude=binding)
    call, import_edits = _hook_reference(facts, source, hook)
    deps_text = "[" + ", ".join(deps) + "]"
    text = facts.text(value)
    if value.type == "function_declaration":
        new_text = f"const {binding.name} = {call}({text}, {deps_text});"
        edit = TextEdit(source.span(value), new_text)
        safe = False  # a declaration is hoisted, a const is not
    else:
        if hook == "useCallback":
            inner = text
        else:
            inner = f"() => ({text})" if model.unwrap(value).type == "object" else f"() => {text}"
        edit = TextEdit(source.span(value), f"{call}({inner}, {deps_text})")
        safe = complete
    return Fix(f"Wrap `{binding.name}` in `{hook}`", (edit, *import_edits), safe=safe)


# -- React Compiler --------------------------------------------------------------------------------------


def compiler_directives(facts, owner) -> set:
    """The directives (`"use memo"`, `"use no memo"`...) at the top of the component's body or of the file."""
    found = set()
    bodies = []
    if owner is not None and owner.render is not None:
        body = owner.render.child_by_field_name("body")
        if body is not None and body.type == "statement_block":
            bodies.append(body)
    bodies.append(facts.source.tree.root_node)
    for body in bodies:
        for statement in body.named_children:
            if statement.type == "comment":
                continue
            if statement.type != "expression_statement":
                break
            expression = statement.named_children[0] if statement.named_children else None
            if expression is None or expression.type != "string":
                break
            found.add(facts.text(expression)[1:-1])
    return found


def compiler_reason(ctx, owner) -> str:
    """Why the React Compiler memoizes `owner` ("" when it does not).

    `"use no memo"` opts out. `"use memo"` opts in (the directive only means something to the
    compiler). With `compilationMode: "annotation"` nothing else is compiled."""
    directives = compiler_directives(ctx.facts, owner)
    if directives & {"use no memo", "use no forget"}:
        return ""
    reason = compiler_for(ctx.index, ctx.source.rel_path)
    if directives & {"use memo", "use forget"}:
        return reason or "its `\"use memo\"` directive asks for it"
    if reason and compilation_mode_for(ctx.index, ctx.source.rel_path) == "annotation":
        return ""  # only functions marked "use memo" are compiled
    return reason
