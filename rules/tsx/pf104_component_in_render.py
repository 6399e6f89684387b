"""PF104 component-in-render: a component defined inside another component's render and rendered as a tag."""

from __future__ import annotations

from perfscan.facts import tsx as model
from perfscan.findings import Related
from perfscan.react_values import dependencies, unstable_value
from perfscan.rule import Rule, flag, ok

# Calls that wrap a component and keep it a component (a new type when the call runs again).
COMPONENT_WRAPPERS = frozenset({"memo", "forwardRef", "observer"})
CLASS_TYPES = frozenset({"class", "class_declaration"})
MAX_RELATED = 3


class ComponentInRender(Rule):
    code = "PF104"
    name = "component-in-render"
    languages = frozenset({"tsx"})
    level = "warning"
    tags = ("react", "render", "remount")
    hot_path_only = True  # a remount in a test costs nothing a user waits for (analyzer/test_paths.py)
    summary = ("A component defined inside another component's render is a new component type on every render: "
               "React remounts it, resetting its state and rebuilding its whole subtree.")

    what_it_does = """
        Finds components — functions (declared, arrow or function expressions, also wrapped in
        `memo`, `forwardRef` or MobX `observer`) and classes — that are **defined inside the body
        of another component or custom hook** (at any depth: also inside a render helper or a
        render-prop callback) and **rendered as a tag** there: `<Row />`, or
        `React.createElement(Row)`. The finding is at the inner definition; each JSX use is a
        related location.

        Not reported: render helpers called as functions (`{renderRow(item)}`, `{Row(item)}`:
        their elements belong to the parent), definitions at module level, components created once
        with `useCallback(fn, [deps])` or `useMemo(() => fn, [deps])` whose dependencies do not
        change on every render, and functions that are only passed as props (render props).
    """
    why_slow = """
        React decides whether to keep a child by its *type*: the function or class in the tag.
        A function defined during render is a new function object on every render, so React sees
        a different type each time, unmounts the old child and mounts a new one. Every render of
        the parent throws away the child's whole subtree — its DOM nodes, its state (`useState`,
        an input's text and focus, a scroll position), its effects (cleanup and setup run again,
        refetching data) — and builds it again from scratch. What should have been a cheap
        re-render becomes a full mount of the subtree, on every keystroke of the parent.
    """
    how_to_measure = """
        - React DevTools, Components tab, "Highlight updates when components render": the whole
          subtree flashes on every parent render, not just the parts that changed.
        - React DevTools Profiler with "Record why each component rendered": the inner component
          shows "This is the first time the component rendered" on every commit (a mount, not an
          update).
        - Put `useEffect(() => { console.log("mount"); return () => console.log("unmount"); }, [])`
          in the inner component: it logs unmount/mount on every render of the parent; type into an
          input inside it and watch it lose focus.
    """
    use_instead = """
        Move the component to module level and pass what it closes over as props
        (`<Row item={item} onSelect={onSelect} />`). If it only returns elements and needs no
        state or hooks, call it as a function instead (`{renderRow(item)}`): its elements then
        belong to the parent and are reconciled in place.
    """

    examples = (
        flag(
            """
            import { useState } from "react";

            export function TodoList({ todos, onToggle }) {
              const [filter, setFilter] = useState("all");
              const TodoRow = ({ todo }) => (
                <li onClick={() => onToggle(todo.id)}>{todo.title}</li>
              );
              const visible = todos.filter((t) => filter === "all" || t.done === (filter === "done"));
              return (
                <ul>
                  {visible.map((todo) => <TodoRow key={todo.id} todo={todo} />)}
                </ul>
              );
            }
            """,
            (5, 9),
            shown=True,
        ),
        flag(
            """
            function SettingsPage({ user }) {
              function Field({ label, name }) {
                const [value, setValue] = React.useState(user[name]);
                return <label>{label}<input value={value} onChange={(e) => setValue(e.target.value)} /></label>;
              }
              return (
                <form>
                  <Field label="Name" name="name" />
                  <Field label="Email" name="email" />
                </form>
              );
            }
            """,
            (2, 12),
        ),
        flag(
            """
            import { memo, forwardRef } from "react";

            export function Toolbar({ tools }) {
              const Button = memo(forwardRef((props, ref) => <button ref={ref} {...props} />));
              return tools.map((t) => <Button key={t.id}>{t.label}</Button>);
            }
            """,
            (4, 9),
        ),
        flag(
            """
            class Dashboard extends React.Component {
              render() {
                class Panel extends React.Component {
                  render() { return <section>{this.props.children}</section>; }
                }
                return <Panel>{this.props.widgets}</Panel>;
              }
            }
            """,
            (3, 11),
        ),
        flag(
            """
            export function useTable(rows) {
              const options = { dense: true };
              const Cell = React.useCallback(({ value }) => <td>{value}</td>, [options]);
              return <table><tbody>{rows.map((r) => <tr key={r.id}><Cell value={r.name} /></tr>)}</tbody></table>;
            }
            """,
            (3, 9),
            path="src/useTable.tsx",
        ),
        flag(
            """
            function Page({ sections }) {
              function renderSection(section) {
                const Heading = () => <h2>{section.title}</h2>;
                return React.createElement("section", null, React.createElement(Heading, null));
              }
              return <main>{sections.map(renderSection)}</main>;
            }
            """,
            (3, 11),
        ),
        ok(
            """
            import { useCallback, useMemo } from "react";

            function TodoRow({ todo, onToggle }) {
              return <li onClick={() => onToggle(todo.id)}>{todo.title}</li>;
            }

            export function TodoList({ todos, onToggle, columns }) {
              const renderFooter = () => <footer>{todos.length} items</footer>;
              const Empty = useCallback(() => <p>Nothing to do</p>, []);
              const Header = useMemo(() => () => <h1>{columns.length} columns</h1>, [columns]);
              return (
                <ul>
                  <Header />
                  {todos.length === 0 && <Empty />}
                  {todos.map((todo) => <TodoRow key={todo.id} todo={todo} onToggle={onToggle} />)}
                  {renderFooter()}
                </ul>
              );
            }
            """,
            why="module-level components, a render helper called as a function, components made once in useCallback/useMemo",
            shown=True,
        ),
        ok(
            """
            export function Table({ rows }) {
              const Row = ({ row }) => <tr><td>{row.name}</td></tr>;
              return <DataGrid rows={rows} rowRenderer={(row) => <tr key={row.id}><td>{row.name}</td></tr>} row={Row} />;
            }

            export function createColumns(format) {
              const Cell = ({ value }) => <td>{format(value)}</td>;
              return [{ id: "value", cell: <Cell value={0} /> }];
            }
            """,
            why="functions only passed as props (render props, a component prop) and factories outside any component",
        ),
        ok(
            """
            import { render } from "@testing-library/react";

            it("shows the title", () => {
              const Wrapper = ({ children }) => <ThemeProvider>{children}</ThemeProvider>;
              render(<Wrapper><Title text="x" /></Wrapper>);
            });

            export function Page({ title }) {
              return <Layout>{Header({ title })}</Layout>;
            }
            function Header({ title }) { return <h1>{title}</h1>; }
            """,
            why="a wrapper defined in a callback at module level (a test), not in a component; a component called as a function",
            path="src/Page.tsx",
        ),
    )

    def check(self, ctx):
        facts = ctx.facts
        owners = {}
        for owner in [*facts.components, *facts.hooks]:
            owners[owner.node.id] = owner
            if owner.render is not None:
                owners[owner.render.id] = owner
        if not owners:
            return
        uses: dict[int, tuple] = {}  # definition node id -> (definition, name node, uses)
        for name_node, use in _tag_uses(facts):
            name = facts.text(name_node)
            found = _definition(facts, name, name_node)
            if found is None:
                continue
            definition, anchor = found
            if definition.id not in uses:
                uses[definition.id] = (definition, anchor, name, [])
            uses[definition.id][3].append(use)
        for definition, anchor, name, used_at in sorted(uses.values(), key=lambda entry: entry[0].start_byte):
            parent = _defining_owner(facts, definition, owners)
            if parent is None:
                continue
            self._report(ctx, definition, anchor, name, parent, used_at)

    def _report(self, ctx, definition, anchor, name, parent, used_at):
        facts = ctx.facts
        if parent.name == "default":
            parent_name = place = "the default-exported component"
        else:
            parent_name = f"`{parent.name}`"
            place = f"the {'hook' if parent.is_hook else 'component'} {parent_name}"
        deps, _ = dependencies(facts, definition)
        closes_over = [d for d in deps if d != name][:6]
        passing = (f" and pass what it uses ({', '.join(f'`{d}`' for d in closes_over)}) as props"
                   if closes_over else "")
        message = (f"`{name}` is defined inside {place}, so every render of {parent_name} "
                   f"makes a new component type: React unmounts and remounts `{name}` ([rendered here](1)), "
                   f"resetting its state and rebuilding its whole subtree. Move it to module level{passing}.")
        related = tuple(Related(ctx.source.span(use), f"`{name}` rendered here") for use in used_at[:MAX_RELATED])
        ctx.report(anchor, message, related=related,
                   properties={"component": name, "parent": parent.name, "uses": len(used_at)})


def _tag_uses(facts):
    """(name node, use node) for each element whose type is a plain local name: `<Row />`,
    `React.createElement(Row, ...)`."""
    for element in facts.jsx_elements:
        if element.is_dom:
            continue
        name = element.node.child_by_field_name("name")
        if name is not None and name.type == "identifier":
            yield name, element.node
    for call in facts.calls:
        if facts._callee_name(call) != "createElement":
            continue
        first = model.unwrap(facts._argument(call, 0))
        if first is not None and first.type == "identifier" and facts.text(first)[:1].isupper():
            yield first, call


def _definition(facts, name: str, at):
    """(definition node, node to report at) when `name` at `at` is a component defined in a
    function body: a function or class, possibly wrapped in memo/forwardRef/observer, or made by
    useCallback/useMemo whose dependencies change on every render."""
    binding = facts.lookup(name, at)
    if binding is None:
        return _local_class(facts, name, at)
    if binding.kind in (model.MODULE, model.IMPORT) or binding.node is None:
        return None
    value = model.unwrap(binding.value) if binding.value is not None else None
    if value is None:
        return None
    if binding.kind in (model.CALLBACK, model.MEMO):
        return _made_by_hook(facts, value, binding)
    if binding.kind not in (model.FUNCTION, model.UNKNOWN):
        return None
    component = _component_value(facts, value)
    if component is None:
        return None
    anchor = binding.node
    if value.type == "function_declaration":
        anchor = value.child_by_field_name("name") or value
    return component, anchor


def _component_value(facts, value):
    """The function or class a value is, through memo/forwardRef/observer calls."""
    seen = 0
    while value is not None and value.type == "call_expression" and seen < 8:
        if facts._callee_name(value) not in COMPONENT_WRAPPERS:
            return None
        value = model.unwrap(facts._argument(value, 0))
        seen += 1
    if value is None:
        return None
    if value.type in model.FUNCTION_TYPES and value.type != "method_definition":
        return value
    if value.type in CLASS_TYPES:
        return value
    return None


def _made_by_hook(facts, call, binding):
    """A component made by `useCallback(fn, deps)` / `useMemo(() => fn, deps)`: reported only
    when it is made again on every render (no dependency list, or a dependency new each render)."""
    if call.type != "call_expression":
        return None
    factory = model.unwrap(facts._argument(call, 0))
    if factory is None:
        return None
    if binding.kind == model.MEMO:
        body = factory.child_by_field_name("body") if factory.type in ("arrow_function",) else None
        component = _component_value(facts, model.unwrap(body)) if body is not None else None
    else:
        component = _component_value(facts, factory)
    if component is None:
        return None
    deps = model.unwrap(facts._argument(call, 1))
    owner = facts.render_owner(call)
    if deps is not None and deps.type == "array":
        if all(unstable_value(facts, item, owner) is None for item in deps.named_children):
            return None
    elif deps is not None:
        return None  # a dependency list we cannot read
    return component, binding.node


def _local_class(facts, name: str, at):
    """A class component declared in a function body and in scope at `at` (classes have no binding)."""
    for owner in facts.components:
        if owner.kind != "class" or owner.name != name:
            continue
        scope = facts.enclosing_function(owner.node)
        if scope is None:
            continue
        if scope.start_byte <= at.start_byte < scope.end_byte:
            anchor = owner.node.child_by_field_name("name") or owner.node
            return owner.node, anchor
    return None


def _defining_owner(facts, definition, owners):
    """The component or hook in whose body `definition` is, at any depth; None at module level."""
    function = facts.enclosing_function(definition)
    while function is not None:
        owner = owners.get(function.id)
        if owner is not None:
            return owner
        function = facts.enclosing_function(function)
    return None
