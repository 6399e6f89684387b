"""PF103 unstable-prop-to-memo: a value made anew each render passed to a memoized component."""

from __future__ import annotations

from perfscan.react_values import (compiler_reason, dependencies, empty_fallback, memo_target, short_text, unstable_dependencies_note,
                                   unstable_value, wrap_fix)
from perfscan.facts import tsx as model
from perfscan.rule import Rule, flag, ok

SKIPPED_PROPS = frozenset({"key", "ref"})
JSX_CHILDREN = frozenset({"jsx_element", "jsx_self_closing_element", "jsx_fragment"})


def _passed_values(facts, element) -> list:
    """(prop, value node) for every prop the element passes, the nested `children` included:
    `<Row>{label}<Icon /></Row>` passes `label` and `<Icon />` as `children`. A spread object
    literal, inline or in a local (`const extra = { onPick: () => go() }; <Row {...extra} />`),
    passes each of its properties, unless a later attribute gives that prop again."""
    passed = []
    for index, (name, value) in enumerate(element.attributes):
        if name == "...":
            later = {n for n, _ in element.attributes[index + 1:]}
            spread = value.parent.parent if value.parent is not None and value.parent.parent is not None else value
            passed.extend((key, item, spread) for key, item in _spread_properties(facts, value, element.owner)
                          if key not in later and key not in SKIPPED_PROPS)
        elif name not in SKIPPED_PROPS and value is not None:
            passed.append((name, value, _attribute_node(value)))
    node = element.node
    parent = node.parent
    if node.type != "jsx_opening_element" or parent is None or parent.type != "jsx_element":
        return passed
    for child in parent.named_children:
        if child.type in JSX_CHILDREN:
            passed.append(("children", child, child))
        elif child.type == "jsx_expression":
            inner = next((c for c in child.named_children if c.type != "comment"), None)
            if inner is not None and inner.type != "spread_element":
                passed.append(("children", inner, _attribute_node(inner)))
    return passed


# Events that fire per keystroke, per pointer move or per frame: state set from them changes often.
FREQUENT_EVENT_PROPS = frozenset({"onChange", "onInput", "onKeyDown", "onKeyUp", "onScroll", "onWheel", "onMouseMove",
                                  "onPointerMove", "onTouchMove", "onDrag", "onDragOver", "onResize"})
FREQUENT_DOM_EVENTS = frozenset({"input", "keydown", "keyup", "scroll", "wheel", "resize", "mousemove", "pointermove",
                                 "touchmove", "drag", "dragover"})
# Calls running their callback repeatedly: timers, animation frames, resize observers.
REPEATING_CALLS = frozenset({"setInterval", "requestAnimationFrame", "ResizeObserver"})


def _frequent_state(facts) -> dict:
    """{component node id: names of its state whose setter runs from a frequent source}, in one
    pass over the file. Frequent sources: an `onChange`/`onScroll`/`onMouseMove`... handler of a DOM
    element (inline, the setter itself, or a local function named there), a `scroll`/`resize`/
    `mousemove`... listener, a timer or an animation frame."""
    setters = {}  # (component node id, setter name) -> state name
    for call in facts.calls:
        if facts._callee_name(call) not in ("useState", "useReducer"):
            continue
        owner = facts.render_owner(call)
        declarator = call.parent
        while declarator is not None and declarator.type in model.TRANSPARENT_TYPES:
            declarator = declarator.parent
        pattern = declarator.child_by_field_name("name") if declarator is not None and declarator.type == "variable_declarator" else None
        names = pattern.named_children if pattern is not None and pattern.type == "array_pattern" else []
        if owner is not None and len(names) == 2 and all(n.type == "identifier" for n in names):
            setters[(owner.node.id, facts.text(names[1]))] = facts.text(names[0])
    frequent: dict[int, set] = {}
    if not setters:
        return frequent
    setter_names = {name for _, name in setters}
    handlers = set()  # ids of functions run from a frequent source
    local_handlers = set()  # names of local functions run from one
    for element in facts.jsx_elements:
        if element.owner is None or not element.is_dom:
            continue  # a component's `onChange` is its own event (a pick in a dropdown), not a keystroke
        for prop, value in element.attributes:
            inner = model.unwrap(value) if prop in FREQUENT_EVENT_PROPS and value is not None else None
            if inner is None:
                continue
            if inner.type == "identifier":
                name = facts.text(inner)
                state = setters.get((element.owner.node.id, name))
                if state is not None:
                    frequent.setdefault(element.owner.node.id, set()).add(state)  # `onChange={setQuery}`
                local_handlers.add(name)
            elif inner.type in ("arrow_function", "function_expression", "function"):
                handlers.add(inner.id)
    for call in facts.calls:
        name = facts._callee_name(call)
        event = model.unwrap(facts._argument(call, 0))
        if name in REPEATING_CALLS:
            callback = event
        elif name == "addEventListener" and event is not None and event.type == "string" and \
                facts.text(event).strip("'\"`") in FREQUENT_DOM_EVENTS:
            callback = model.unwrap(facts._argument(call, 1))
        else:
            continue
        if callback is not None and callback.type == "identifier":
            local_handlers.add(facts.text(callback))
        elif callback is not None:
            handlers.add(callback.id)
    for call in facts.calls:
        setter = facts._callee_name(call)
        if setter not in setter_names:
            continue
        # up from the call to the component it belongs to, through the handlers on the way
        from_frequent, function = False, facts.enclosing_function(call)
        while function is not None and facts.render_owner(function) is None:
            declarator = function.parent
            named = declarator.child_by_field_name("name") if declarator is not None and declarator.type == "variable_declarator" else \
                function.child_by_field_name("name") if function.type == "function_declaration" else None
            if function.id in handlers or (named is not None and facts.text(named) in local_handlers):
                from_frequent = True
            function = facts.enclosing_function(function)
        owner = facts.render_owner(function) if function is not None else None
        state = setters.get((owner.node.id, setter)) if owner is not None else None
        if from_frequent and state is not None:
            frequent.setdefault(owner.node.id, set()).add(state)
    return frequent


def _costly_observer_child(facts, target, element, passed, frequent_by_owner: dict) -> bool:
    """MobX puts `observer` on every component for its tracking, not to skip renders, and an observer
    parent re-renders only when what it reads changes. A defeated memo costs something only when the
    child renders a list and the parent re-renders often on state of its own that the child does not
    receive: state set per keystroke, per pointer move or per frame (`_frequent_state`). State passed
    to the child re-renders it anyway; a modal's open flag, set once per click, costs nothing."""
    if not target.renders_list:
        return False
    frequent = frequent_by_owner.get(element.owner.node.id)
    if not frequent:
        return False
    read = set()
    for _, value, _ in passed:
        stack = [value]
        while stack:
            node = stack.pop()
            if node.type in ("identifier", "shorthand_property_identifier"):
                read.add(facts.text(node))
            stack.extend(node.named_children)
    return not read.issuperset(frequent)


_MAX_CONDITION_DEPTH = 16  # nested conditions followed by _new_for_some_items (it recurses)


def _new_for_some_items(facts, value, owner) -> bool:
    """`items.map((m) => <Row extra={m.id === openId ? { open: true } : null} />)`: a value new only
    for the items meeting a condition on the item (its fields, its index, locals derived from them),
    stable for the others, whose memo still hits: only those few rows re-render."""
    callback = facts.enclosing_function(value)
    if callback is None or owner.render is None or callback.id == owner.render.id:
        return False

    def per_item(condition) -> bool:
        stack = [condition]
        while stack:
            part = stack.pop()
            if part.type == "identifier":
                binding = facts.lookup(facts.text(part), part)
                declared = binding.node if binding is not None else None
                if declared is not None and callback.start_byte <= declared.start_byte < callback.end_byte:
                    return True
            stack.extend(part.named_children)
        return False

    rank = {"stable": 0, "some": 1, "all": 2}

    def new_for(node, depth=0) -> str:  # "stable", "some" items, "all" items
        node = model.unwrap(node)
        if node is None:
            return "stable"
        if depth > _MAX_CONDITION_DEPTH:
            return "all"  # not followed further: reported as before
        if node.type == "ternary_expression":
            sides = [new_for(node.child_by_field_name(b), depth + 1) for b in ("consequence", "alternative")]
            if not per_item(node.child_by_field_name("condition")):
                return max(sides, key=rank.get)
            return sides[0] if sides[0] == sides[1] and sides[0] != "some" else "some"
        if node.type == "binary_expression" and facts.text(node.child_by_field_name("operator")) == "&&":
            right = new_for(node.child_by_field_name("right"), depth + 1)
            return "some" if right != "stable" and per_item(node.child_by_field_name("left")) else right
        return "stable" if unstable_value(facts, node, owner) is None else "all"

    return new_for(value) == "some"


def _spread_properties(facts, expr, owner) -> list:
    """(key, value node) of the object literal `{...expr}` spreads: `expr` itself, or the initializer of
    a local never reassigned, declared during `owner`'s render; [] for anything else (props passed
    through, a call)."""
    node = model.unwrap(expr)
    if node is not None and node.type == "identifier":
        binding = facts.lookup(facts.text(node), node)
        declared = binding.node if binding is not None and not binding.reassigned and binding.kind not in model.NOT_OWNED_KINDS else None
        if declared is None or facts.render_owner(declared) is not owner:
            return []
        node = model.unwrap(binding.value)
    if node is None or node.type != "object":
        return []
    properties = []
    for entry in node.named_children:
        if entry.type == "pair":
            key = entry.child_by_field_name("key")
            if key is not None and key.type in ("property_identifier", "string"):
                properties.append((facts.text(key).strip("'\""), entry.child_by_field_name("value")))
        elif entry.type == "shorthand_property_identifier":
            properties.append((facts.text(entry), entry))
    return properties


def _attribute_node(value):
    node = value.parent
    if node is not None and node.type == "jsx_expression":
        node = node.parent
    return node if node is not None and node.type == "jsx_attribute" else value


class UnstablePropToMemo(Rule):
    code = "PF103"
    name = "unstable-prop-to-memo"
    languages = frozenset({"tsx"})
    level = "warning"
    hot_path_only = True  # render work in a test or a story costs no user anything (analyzer/test_paths.py)
    tags = ("react", "render", "memo")
    summary = "A function, object, array or element created anew on every render is passed to a memoized component, so its memo never hits."

    what_it_does = """
        Finds props given to a **memoized** component (`memo(...)`, `React.memo(...)`,
        `memo(forwardRef(...))`, `export default memo(Row)`, `memo(Imported)`, `memo(Impl) as typeof
        Impl`, MobX `observer(...)` (see below), `lazy(() => import("./Row"))` of a memoized default
        export or of the export a `.then((m) => ({ default: m.Row }))` picks, `PureComponent`, and
        the in-house HOCs listed in the `memo-wrappers` setting) whose value is created
        anew on every render of the parent: inline arrow and function expressions, functions
        declared in the component body without `useCallback`, `.bind(...)`, object and array
        literals, derived arrays (`.map`, `.filter`, `.slice`, `Object.entries(...)`, spreads)
        computed in render without `useMemo`, constructor calls (`new Map()`, `Array(n)`, `Object()`),
        and JSX elements passed as props or as `children` (nested between the tags too:
        `<Card><Title /></Card>`). Ternary and logical values count when a branch is new
        (`cond ? [] : list`, `props.style || {}`). A spread object literal, inline or in a local
        (`const handlers = { onPick: () => … }; <Row {...handlers} />`), passes each of its
        properties.

        Local names are followed to the value they hold where the JSX reads them, also inside
        `.map` callbacks: their initializer, or the last assignment before the JSX when it is
        the same on every path (`let style; style = {...}`), or the values every branch of an
        `if`/`else` chain assigns (new when one of them is); an `if` without `else` before the
        read, an assignment later in a loop or in a callback is not guessed at. Destructured props are followed
        to their default (`{ items = [] }` is a new array whenever the prop is not given).
        Memoized components reached as members are found: imported namespaces (`<UI.Palette>`)
        and module-level objects (`const Parts = { Item: memo(...) }` or `Parts.Item = memo(...)`,
        `<Parts.Item>`). Every unstable prop of an element is reported, so fixing all of them lets
        the memo hit.

        The memoized child is found across files: relative imports, `index.ts` barrels,
        `export { X } from`, `export * from`, default and named exports, and `tsconfig.json` /
        `jsconfig.json` `paths` + `baseUrl` aliases (`@/components/Row`).

        With a custom comparator, only the props a simple one compares are reported
        (`memo(Row, (a, b) => a.id === b.id && Object.is(a.style, b.style))`: `id` and `style`,
        also when the comparator is a module-level function named there, `memo(Row, sameId)`);
        any other comparator decides for itself, and nothing is reported.

        Cost, not shape. MobX puts `observer` on every component to track observables, not to skip
        renders, and an observer parent re-renders only when what it reads changes. So a child
        memoized only by `observer` is reported only when the code shows both a cost and a
        frequent re-render of the parent: the child renders a list (JSX built per item of a
        `.map`, `Array.from`...) and the parent keeps state it does not pass to the child whose
        setter runs per keystroke, pointer move or frame: from an `onChange`/`onInput`/`onKeyDown`,
        `onScroll`/`onWheel`, `onMouseMove`/`onPointerMove`/`onDrag...` handler of a DOM element
        (inline, the setter itself, or a local function named there; a component's `onChange` is
        its own event, such as a pick in a dropdown), a `scroll`/`resize`/`mousemove`... listener, a
        `setInterval` or `requestAnimationFrame` callback. Other state (a modal's open flag, a
        selected tab, set once per click) re-renders the parent rarely, and state passed to the
        child re-renders it anyway: nothing is reported. An empty fallback (`items ?? []`) is new
        only while there is nothing to list and is not reported to an observer either.

        New JSX `children` are reported only to a child that renders a list too: a wrapper that
        re-renders the children it is given costs nothing beyond them (and, since its memo never
        hits with new children, nothing else passed to it is reported). In a `.map` callback, a
        value new only for the items meeting a condition on the item (`m.id === openId ? {...} :
        null`, `isLast && <Footer />`) is not reported: the other rows' memo still hits.

        Not reported: DOM elements (`<div onClick={() => …}>`), components that are not memoized,
        `key` / `ref`, text children, and stable values: `useCallback`/`useMemo` results, `useState`
        setters, `useReducer` dispatch, refs, module-level functions and constants, props and
        context passed through, primitives. When the project uses the React Compiler the finding
        is a `note`: the compiler memoizes these values for you.
    """
    why_slow = """
        `memo` skips re-rendering a child only when every prop is `Object.is`-equal to the
        previous render's. A function, object or array created during render is a new reference
        every time, so the comparison always fails: the child re-renders on every parent render,
        *and* React pays for the prop comparison on top. For a memoized row in a list of hundreds,
        one inline `onSelect={() => …}` turns every keystroke in the parent into hundreds of row
        renders. The same inline value on a DOM element or an unmemoized child costs nothing extra,
        which is why only memoized targets are reported.
    """
    how_to_measure = """
        - React DevTools Profiler with "Record why each component rendered": the memoized child
          shows "Props changed: (onSelect)" on every commit.
        - Count renders of the child (`console.count("UserRow")`) while typing in the parent,
          before and after the fix.
    """
    use_instead = """
        Make the value stable: wrap functions in `useCallback(fn, [deps])` and objects/arrays in
        `useMemo(() => value, [deps])`, list every value they read (as `react-hooks/exhaustive-deps`
        would), or move values that read nothing from the component to module level. Inside a
        `.map` callback no hook can run: pass one stable callback that takes the item's id
        (`onSelect={selectUser}` with `selectUser(id)` called by the row) instead of a closure per row.
    """

    examples = (
        flag(
            """
            import { UserRow } from "@/components";

            export function UserList({ users, onRemove }) {
              const handleRemove = (id) => onRemove(id);
              return users.map((u) => <UserRow key={u.id} user={u} onRemove={handleRemove} />);
            }
            """,
            (5, 56),
            path="src/UserList.tsx",
            files={
                "tsconfig.json": """
                    {
                      // JSON with comments, like tsc reads it
                      "compilerOptions": { "baseUrl": ".", "paths": { "@/*": ["src/*"], }, },
                    }
                """,
                "src/components/index.ts": 'export { default as UserRow } from "./UserRow";\n',
                "src/components/UserRow.tsx": """
                    import { memo } from "react";
                    function UserRow({ user, onRemove }) {
                      return <li onClick={() => onRemove(user.id)}>{user.name}</li>;
                    }
                    export default memo(UserRow);
                """,
            },
            shown=True,
            fixed="""
            import { UserRow } from "@/components";
            import { useCallback } from "react";

            export function UserList({ users, onRemove }) {
              const handleRemove = useCallback((id) => onRemove(id), [onRemove]);
              return users.map((u) => <UserRow key={u.id} user={u} onRemove={handleRemove} />);
            }
            """,
        ),
        flag(
            """
            import React, { useState } from "react";
            import Chart from "./Chart";

            export function Dashboard({ points }) {
              const [range, setRange] = useState(30);
              const visible = points.filter((p) => p.age < range);
              const options = { animate: false, range };
              return <Chart data={visible} options={options} onZoom={setRange} />;
            }
            """,
            (8, 17), (8, 32),
            files={
                "Chart.tsx": """
                    import React from "react";
                    const Chart = ({ data, options, onZoom }) => <canvas />;
                    export default React.memo(Chart);
                """,
            },
            fixed="""
            import React, { useState, useMemo } from "react";
            import Chart from "./Chart";

            export function Dashboard({ points }) {
              const [range, setRange] = useState(30);
              const visible = useMemo(() => points.filter((p) => p.age < range), [points, range]);
              const options = useMemo(() => ({ animate: false, range }), [range]);
              return <Chart data={visible} options={options} onZoom={setRange} />;
            }
            """,
        ),
        flag(
            """
            import { memo, forwardRef } from "react";

            const Field = memo(forwardRef(function Field(props, ref) {
              return <input ref={ref} {...props} />;
            }));

            export function Form({ onSubmit }) {
              return (
                <form>
                  {["a", "b"].map((name) => (
                    <Field key={name} name={name} onChange={(e) => onSubmit(name, e.target.value)} />
                  ))}
                  <Field name="extra" style={{ width: 200 }} icon={<span>*</span>} />
                </form>
              );
            }
            """,
            (11, 39), (13, 27), (13, 50),
        ),
        flag(
            """
            import * as UI from "../ui";

            export function Toolbar({ tools }) {
              return <UI.Palette tools={tools} onPick={function (t) { console.log(t); }} />;
            }
            """,
            (4, 36),
            path="src/Toolbar.tsx",
            files={
                "ui/index.ts": 'export * from "./Palette";\n',
                "ui/Palette.tsx": """
                    import React from "react";
                    export const Palette = React.memo(function Palette({ tools, onPick }) {
                      return <ul>{tools.map((t) => <li key={t}>{t}</li>)}</ul>;
                    });
                """,
            },
        ),
        flag(
            """
            import { PureList } from "./PureList";

            export class Screen extends React.Component {
              render() {
                return <PureList items={this.props.items} onOpen={this.open.bind(this)} />;
              }
            }
            """,
            (5, 47),
            files={
                "PureList.tsx": """
                    export class PureList extends React.PureComponent {
                      render() { return <ul />; }
                    }
                """,
            },
        ),
        ok(
            """
            import { memo, useCallback, useMemo, useReducer, useRef, useState, useContext } from "react";
            import { Row } from "./Row";
            import { formatDate } from "./format";

            const COLUMNS = ["name", "email"];
            function compareByName(a, b) { return a.name.localeCompare(b.name); }

            export function Table({ rows, onSelect, theme }) {
              const [sort, setSort] = useState("name");
              const [state, dispatch] = useReducer(reducer, initial);
              const ref = useRef(null);
              const session = useContext(SessionContext);
              const handleOpen = useCallback((id) => onSelect(id), [onSelect]);
              const style = useMemo(() => ({ color: theme.fg }), [theme]);
              return rows.map((r) => (
                <Row key={r.id} ref={ref} row={r} columns={COLUMNS} compare={compareByName}
                  format={formatDate} onSort={setSort} dispatch={dispatch} onOpen={handleOpen}
                  onSelect={onSelect} style={style} session={session} title="Rows" count={3}
                  theme={theme} />
              ));
            }
            """,
            why="stable values: memoized callbacks and objects, setters, dispatch, refs, module-level names, props, context, primitives",
            files={"Row.tsx": 'import { memo } from "react";\nexport const Row = memo(function Row(props) { return <tr />; });\n'},
            shown=True,
        ),
        ok(
            """
            import { Avatar } from "./Avatar";

            export function Profile({ user }) {
              return (
                <div onClick={() => console.log(user.id)} style={{ padding: 4 }}>
                  <Avatar user={user} onClick={() => console.log(user.id)} size={{ w: 32, h: 32 }} />
                </div>
              );
            }
            """,
            why="DOM elements and components that are not memoized: an inline value costs nothing extra there",
            files={"Avatar.tsx": "export function Avatar({ user, onClick }) { return <img src={user.url} onClick={onClick} />; }\n"},
        ),
        ok(
            """
            import { useState } from "react";
            import Row from "./Row";

            export function List({ items }) {
              const [selected, setSelected] = useState(null);
              return items.map((item) => <Row key={item.id} item={item} onSelect={setSelected} />);
            }
            """,
            why="`Row.tsx` wraps the component in memo under another name but exports the plain one",
            files={
                "Row.tsx": """
                    import { memo } from "react";
                    function Row({ item, onSelect }) { return <li onClick={() => onSelect(item.id)}>{item.name}</li>; }
                    export const MemoRow = memo(Row);
                    export default Row;
                """,
            },
        ),
        ok(
            """
            import { Row } from "./Row";

            export function List({ items }) {
              return items.map((item) => <Row key={item.id} item={item} onSelect={() => alert(item.id)} />);
            }
            """,
            why="`Row` is memoized, but not the one imported: the barrel cycle and the plain export are followed exactly",
            files={"Row.tsx": "export function Row({ item }) { return <li>{item.name}</li>; }\n"},
        ),
        flag(
            """
            import { memo } from "react";
            const Badge = memo(function Badge(props) { return <b style={props.style} />; });

            export function Header({ compact, title }) {
              let style;
              style = { padding: compact ? 2 : 8 };
              let label = title;
              label = <em>{title}</em>;
              return <Badge style={style} label={label} />;
            }
            """,
            (9, 17), (9, 31),
        ),
        ok(
            """
            import { memo } from "react";
            const Badge = memo(function Badge(props) { return <b style={props.style} />; });
            const COMPACT = { padding: 2 };
            const REGULAR = { padding: 8 };

            export function Header({ compact }) {
              let style = { padding: 4 };
              style = compact ? COMPACT : REGULAR;
              return <Badge style={style} />;
            }
            """,
            why="the last assignment before the JSX is what the child gets: here a module-level constant",
        ),
        flag(
            """
            import { memo } from "react";
            const Rows = memo(function Rows({ items, columns }) { return <table />; });

            export function List({ items = [], columns = new Map(), sortBy }) {
              return <Rows items={items} columns={columns} />;
            }
            """,
            (5, 16), (5, 30),
        ),
        ok(
            """
            import { memo } from "react";
            const Rows = memo(function Rows({ items }) { return <table />; });
            const NO_ITEMS = [];

            export function List({ items = NO_ITEMS, sort = [] }) {
              return <Rows items={items} />;
            }
            """,
            why="a default that is a module-level constant is the same every render; `sort`'s is not passed on",
        ),
        flag(
            """
            import { memo } from "react";
            const Parts = { Item: memo(function Item(props) { return <li />; }) };

            export function Menu({ entries, onPick }) {
              return entries.map((e) => <Parts.Item key={e.id} onPick={() => onPick(e.id)} />);
            }
            """,
            (5, 52),
        ),
        ok(
            """
            const Parts = { Item: function Item(props) { return <li />; } };

            export function Menu({ entries, onPick }) {
              return entries.map((e) => <Parts.Item key={e.id} onPick={() => onPick(e.id)} />);
            }
            """,
            why="`Parts.Item` is not memoized",
        ),
        flag(
            """
            import { memo } from "react";
            const Card = memo(function Card({ icon, tags, children }) {
              return <div>{icon}{children}<ul>{tags.map((t) => <li key={t}>{t}</li>)}</ul></div>;
            });

            export function Profile({ user }) {
              const icon = <img src={user.avatar} />;
              return (
                <Card icon={icon} tags={user.tags}>
                  <h2>{user.name}</h2>
                </Card>
              );
            }
            """,
            (9, 11), (10, 7),
        ),
        ok(
            """
            import { memo } from "react";
            const Panel = memo(function Panel({ title, children }) { return <section title={title}>{children}</section>; });

            export function Profile({ user }) {
              return (
                <Panel title="Profile">
                  <h2>{user.name}</h2>
                </Panel>
              );
            }
            """,
            why="new `children` elements to a thin wrapper: re-rendering it costs nothing beyond the children, which render anyway",
        ),
        ok(
            """
            import { memo, useMemo } from "react";
            const Card = memo(function Card({ icon, children }) { return <div>{icon}{children}</div>; });

            export function Profile({ user }) {
              const icon = useMemo(() => <img src={user.avatar} />, [user.avatar]);
              return <Card icon={icon}>{user.name}</Card>;
            }
            """,
            why="a memoized element, and children that are a string",
        ),
        flag(
            """
            import { memo } from "react";
            import { useReactTable } from "@tanstack/react-table";
            function DataTableInner({ columns, data }) { return <table />; }
            const DataTable = memo(DataTableInner) as typeof DataTableInner;

            export function Orders({ rows, filter, extra }) {
              const shown = extra || Array(3);
              return (
                <DataTable
                  columns={[{ accessorKey: "id" }, { accessorKey: "total" }]}
                  data={filter ? rows.filter((r) => r.status === filter) : rows}
                  extra={shown}
                />
              );
            }
            """,
            (10, 7), (11, 7), (12, 7),
        ),
        ok(
            """
            import { memo, useMemo } from "react";
            function DataTableInner({ columns, data }) { return <table />; }
            const DataTable = memo(DataTableInner) as typeof DataTableInner;
            const COLUMNS = [{ accessorKey: "id" }, { accessorKey: "total" }];
            const NONE = [];

            export function Orders({ rows, filter, extra }) {
              const data = useMemo(() => (filter ? rows.filter((r) => r.status === filter) : rows), [rows, filter]);
              const shown = extra || NONE;
              return <DataTable columns={COLUMNS} data={data} extra={shown} />;
            }
            """,
            why="columns at module level, data in `useMemo`, a fallback that is a constant",
        ),
        flag(
            """
            "use client";
            import { Chart } from "./Chart";

            export function Report({ data }) {
              return <Chart data={data} options={{ legend: false }} />;
            }
            """,
            (5, 29),
            # React Compiler project: the finding steps down to a note (tests/test_pf103.py checks the level).
            files={
                "package.json": '{"devDependencies": {"babel-plugin-react-compiler": "^1.0.0"}}',
                "Chart.tsx": "import { memo } from 'react';\nexport const Chart = memo(function Chart() { return <svg />; });\n",
            },
        ),
        flag(
            """
            import { memo } from "react";
            const Badge = memo(function Badge(props) { return <b style={props.style} />; });
            const QUIET = { opacity: 0.5 };

            export function Status({ level }) {
              let style;
              if (level === "quiet") style = QUIET;
              else if (level === "loud") style = { fontWeight: 700 };
              else style = { color: "red" };
              return <Badge style={style} />;
            }
            """,
            (10, 17),
        ),
        ok(
            """
            import { memo } from "react";
            const Badge = memo(function Badge(props) { return <b style={props.style} />; });
            const QUIET = { opacity: 0.5 };
            const LOUD = { fontWeight: 700 };

            export function Status({ level }) {
              let style;
              if (level === "quiet") style = QUIET;
              else style = LOUD;
              return <Badge style={style} />;
            }
            """,
            why="every branch assigns a module-level constant",
        ),
        flag(
            """
            import { memo } from "react";
            function Select(props) { return <ul>{props.children}</ul>; }
            Select.Option = memo(function Option({ label, onPick }) { return <li onClick={onPick}>{label}</li>; });

            export function Picker({ options, onPick }) {
              const handlers = { onPick: (value) => onPick(value) };
              return (
                <Select>
                  {options.map((o) => <Select.Option key={o} label={o} {...handlers} />)}
                </Select>
              );
            }
            """,
            (9, 60),
        ),
        ok(
            """
            import { memo } from "react";
            function Select(props) { return <ul>{props.children}</ul>; }
            Select.Option = memo(function Option({ label, onPick }) { return <li onClick={onPick}>{label}</li>; });

            export function Picker({ options, onPick, ...rest }) {
              const handlers = { onPick: (value) => onPick(value) };
              return options.map((o) => <Select.Option key={o} label={o} {...handlers} onPick={onPick} {...rest} />);
            }
            """,
            why="a later `onPick` attribute replaces the spread one, and props passed through are the parent's",
        ),
        flag(
            """
            import { lazy } from "react";
            const Chart = lazy(() => import("./charts").then((m) => ({ default: m.LineChart })));

            export function Report({ series }) {
              return <Chart series={series} options={{ legend: false }} />;
            }
            """,
            (5, 33),
            files={
                "charts.tsx": """
                    import { memo } from "react";
                    export const LineChart = memo(function LineChart({ series, options }) { return <svg />; }, sameSeries);
                    function sameSeries(prev, next) { return prev.series === next.series && prev.options === next.options; }
                    export function BarChart(props) { return <svg />; }
                """,
            },
        ),
        ok(
            """
            import { lazy } from "react";
            const Chart = lazy(() => import("./charts").then((m) => ({ default: m.BarChart })));
            const Line = lazy(() => import("./charts").then((m) => ({ default: m.LineChart })));

            export function Report({ series }) {
              return <><Chart options={{ legend: false }} /><Line series={series} onHover={() => null} /></>;
            }
            """,
            why="`BarChart` is not memoized, and `LineChart`'s comparator (`sameSeries`, followed by name) ignores `onHover`",
            files={
                "charts.tsx": """
                    import { memo } from "react";
                    export const LineChart = memo(function LineChart({ series, options }) { return <svg />; }, sameSeries);
                    function sameSeries(prev, next) { return prev.series === next.series && prev.options === next.options; }
                    export function BarChart(props) { return <svg />; }
                """,
            },
        ),
    )

    def check(self, ctx):
        facts = ctx.facts
        targets: dict[str, object] = {}
        reasons: dict[int, str] = {}
        fixes: dict[int, object] = {}
        frequent = None  # component node id -> state set often (_frequent_state)
        for element in facts.jsx_elements:
            if element.is_dom or element.owner is None:
                continue
            passed = _passed_values(facts, element)
            if not passed:
                continue
            if element.tag not in targets:
                targets[element.tag] = memo_target(ctx, element.tag, element.node)
            target = targets[element.tag]
            if target is not None and target.mobx_only and frequent is None:
                frequent = _frequent_state(facts)  # once per file, when an observer child first needs it
            if target is None or (target.mobx_only and not _costly_observer_child(facts, target, element, passed, frequent)):
                continue
            owner = element.owner
            if owner.node.id not in reasons:  # reads the component's directives: once per component
                reasons[owner.node.id] = compiler_reason(ctx, owner)
            reason = reasons[owner.node.id]
            if reason and ctx.level == "note":
                reason = ""  # already configured down
            found = []
            for prop, value, at in passed:
                if target.compared is not None and prop not in target.compared:
                    continue  # the memo comparator ignores this prop
                unstable = unstable_value(facts, value, owner, fallbacks=True)
                if unstable is None or (target.mobx_only and empty_fallback(facts, value)):
                    continue  # an observer's list gets a new `[]` only while it has nothing to list
                if prop == "children" and unstable.kind == "element" and not target.renders_list:
                    # A wrapper re-rendering the children it is given costs nothing beyond them, and
                    # with new children its memo never hits: its other props are not worth fixing either.
                    found = None
                    break
                if unstable.in_loop and _new_for_some_items(facts, value, element.owner):
                    continue
                found.append((at, prop, unstable))
            for at, prop, unstable in found or ():
                self._report(ctx, at, prop, unstable, target, reason, fixes, element.owner, frequent)

    def _report(self, ctx, at, prop, unstable, target, compiler, fixes: dict, owner, frequent):
        facts = ctx.facts
        child = target.name
        origin = unstable.origin(facts)
        passed = f" (passed as `{prop}`)" if unstable.binding is not None and unstable.binding.name != prop else ""
        if unstable.binding is None:
            origin = f"{origin[0].upper()}{origin[1:]} passed as `{prop}`"
        if unstable.default:
            origin = f"The default value of {origin}"
        when = " when the prop is not given" if unstable.default else ""
        message = (f"{origin}{passed} is {unstable.noun} each render{when}, so memoized `{child}` "
                   f"([definition](1)) re-renders every time.")
        fix = None
        if compiler:
            message += (f" The React Compiler memoizes such values ({compiler}), so this is only a note;"
                        " it matters in components marked `\"use no memo\"`.")
        elif unstable.in_loop and unstable.kind in ("function", "bound function"):
            message += (" It is created inside a loop callback, where hooks cannot run: pass one stable callback "
                        "that takes the item's id (e.g. `onSelect={handleSelect}` and let the child call `onSelect(item.id)`).")
        elif unstable.in_loop:
            message += (" It is created inside a loop callback, where hooks cannot run: pass the primitive values it is "
                        "built from (e.g. `selected={item.id === selectedId}`) and build it in the child, or compute "
                        "all items' values once in a `useMemo` over the list.")
        elif owner.kind == "class" and unstable.kind in ("function", "bound function"):
            message += " Create it once instead: a class field arrow function, or bind it in the constructor."
        elif owner.kind == "class":
            message += " Keep it in an instance field (or a memoizing selector) that changes only when its inputs do."
        elif unstable.default:
            message += (f" Default it to a module-level constant instead (`const EMPTY = {short_text(facts.text(unstable.node))};` "
                        f"and `{{ {unstable.binding.name} = EMPTY }}`), or memoize it in the body.")
        elif unstable.binding is not None and unstable.binding.reassigned:
            deps, _ = dependencies(facts, unstable.node, exclude=unstable.binding)
            message += (f" Compute it once in `{unstable.hook}(…, [{', '.join(deps)}])` instead of assigning "
                        f"`{unstable.binding.name}` during render.")
        else:
            # One fix per value: a name passed to many elements is wrapped once (and looked up once).
            key = unstable.node.id
            if key not in fixes:
                fixes[key] = wrap_fix(facts, ctx.source, unstable, owner)
            fix = fixes[key]
            if unstable.binding is not None:
                deps, _ = dependencies(facts, unstable.node, exclude=unstable.binding)
                message += (f" Wrap `{unstable.binding.name}` in `{unstable.hook}(…, [{', '.join(deps)}])`"
                            + unstable_dependencies_note(facts, unstable.node, owner, deps) + ".")
            else:
                message += f" Move it into a `{unstable.hook}` in the component body and pass that instead."
        if target.mobx_only:
            state = ", ".join(f"`{name}`" for name in sorted(frequent.get(owner.node.id, ())))
            message += (f" `{child}` is memoized only by MobX's `observer` and renders a list; this component re-renders"
                        f" on {state}, set per keystroke, pointer move or frame, which `{child}` does not receive.")
        ctx.report(at, message, related=(target.related,), fix=fix,
                   level="note" if compiler else None,
                   properties={"child": child, "valueKind": unstable.kind, "prop": prop, "memoizedBy": target.memo_by})
