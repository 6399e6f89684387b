"""PF102 missing-usememo: costly work, or new references that defeat hooks/context, recomputed every render."""

from __future__ import annotations

import re

from perfscan.facts import tsx as model
from perfscan.findings import Related
from perfscan.react_index import react_major_version
from perfscan.react_values import (Unstable, compiler_reason, dependencies, memo_target, short_text, unstable_dependencies_note,
                                   unstable_value, wrap_fix)
from perfscan.rule import Rule, flag, ok

# Array-only searches: `name.includes(q)` on a string is cheap, `rows.find(...)` inside a `.map` is O(n·m).
NESTED_SEARCHES = frozenset({"filter", "find", "findIndex", "findLast", "findLastIndex", "some", "every"})
OUTER_ITERATIONS = frozenset({"map", "filter", "forEach", "flatMap", "reduce", "some", "every", "find", "sort"})
DATA_KINDS = model.NOT_OWNED_KINDS | {model.MEMO, model.FRESH_ARRAY}
# Functions given to these run under a memo, or once (`useState(() => …)` lazy initializers).
RUN_ONCE_OR_MEMOIZED = frozenset({"useMemo", "useState", "useReducer", "useSyncExternalStore", "useRef"})
# Hooks that never re-render the component themselves.
NON_RENDERING_HOOKS = frozenset({"useRef", "useCallback", "useMemo", "useId", "useEffect", "useLayoutEffect",
                                 "useInsertionEffect", "useImperativeHandle", "useDebugValue", "useEffectEvent"})
STATE_HOOKS = frozenset({"useState", "useReducer"})  # re-render only when the state (element 0) changes
JSX_TYPES = frozenset({"jsx_element", "jsx_self_closing_element", "jsx_fragment"})
HOOK_EFFECT = {"useEffect": "effect", "useLayoutEffect": "effect", "useInsertionEffect": "effect",
               "useMemo": "memo", "useCallback": "callback", "useImperativeHandle": "handle"}


class MissingUseMemo(Rule):
    code = "PF102"
    name = "missing-usememo"
    languages = frozenset({"tsx"})
    level = "warning"
    hot_path_only = True  # render work in a test or a story costs no user anything (analyzer/test_paths.py)
    tags = ("react", "render", "memo")
    summary = "Costly work, or a new object/array/function that a hook or a context depends on, is recomputed on every render without useMemo."

    what_it_does = """
        Finds, in a component or custom hook body (also in `.ts` files):

        - expensive work in render not wrapped in `useMemo`: sorting a copy
          (`[...x].sort()`, `x.slice().sort()`, `x.toSorted()`), a search (`.filter`, `.find`,
          `.some`...) over props/state inside another array callback (`.map`), and `.reduce`
          building an object from props/state;
        - a non-primitive created in render (object/array literal, derived array, function)
          listed in a hook dependency array (`useEffect`, `useLayoutEffect`, `useMemo`,
          `useCallback`): the hook re-runs on every render;
        - a non-primitive created in render passed as a Context provider's `value`: every
          consumer re-renders on every render of the provider.

        A new context value costs something only when a consumer would otherwise not re-render,
        so it is a warning when both hold: the provider re-renders for a reason the value does
        not hold (state it keeps out of the value, a hook result it discards or binds to names the
        value does not read, a hook of the same file that calls other hooks and returns something computed from
        them), and something under it would not re-render with it (elements passed in from
        outside, `{children}`, `{props.footer}`, `{renderRows()}`, a `{...props}` spread, or a
        memoized component). Otherwise it is a `note`: a provider whose state and hook results
        all go into the value makes a new value only when its contents change anyway (its
        parent's re-renders rebuild the children it passes along), and consumers built in the
        provider's own render re-render with it anyway. Props are not a reason: imported hooks
        are taken to re-render with what they return.

        Providers are `<X.Provider>`, a local `createContext` result, and (React 19, unless the
        nearest `package.json` asks for an older React) a module-level or imported name ending in
        `Context`/`CONTEXT`.

        The finding sits on the expression that creates the value, with a related location at
        the dependency array or the provider. Cheap work (string formatting, a single `.map` to
        JSX), values already in `useMemo`/`useCallback`, work in a lazy `useState(() => …)`
        initializer (it runs once), and props/state passed through are not reported.

        Sorts, nested searches and object-building `.reduce`s cost in proportion to the size of
        the list, and below a few thousand items they are not worth a `useMemo`. So they are
        reported only where the component shows its lists can be that long: it renders a
        virtualized list (`<FixedSizeList>`, `<VariableSizeList>`, `<Virtuoso>`, `<TableVirtuoso>`,
        React Native's `<FlatList>`...) or calls a virtualizer (`useVirtualizer`,
        `useWindowVirtualizer`) or an infinite query (`useInfiniteQuery`, or a project hook named
        `useInfinite...`), or cuts pages from a list (`rows.slice(page * PAGE_SIZE, …)`). Never on a literal list (or a local bound to one), the keys of a
        literal object, the letters of a string (`title.split("")`, `[...title]`), a slice of at
        most 50 items (`xs.slice(0, 5)`), nor on a copy of a module constant or an import. New
        references in dependency arrays and context values need no size: they re-run the hook or
        re-render the consumers whatever the sizes.

        With the React Compiler the finding is a `note`. The compiler is in use when a package's
        `package.json` depends on it or its build config enables it, or when the component (or
        file) starts with `"use memo"`; `"use no memo"` opts out, and with
        `compilationMode: "annotation"` only functions marked `"use memo"` are compiled.

        A `useMemo` fix is offered only where it keeps behaviour. In a class component the
        advice is a memoized selector or moving the work out of `render`; in a MobX `observer`
        component (whose observables change in place, so a `useMemo` keyed on them would keep
        stale data) it is a MobX `computed`. Neither carries a fix.
    """
    why_slow = """
        Render runs often: on every state change of the component and of each ancestor. Sorting
        or nested searching there costs `O(n log n)` or `O(n·m)` on every keystroke, although the
        inputs did not change. A new object in a dependency array makes `Object.is` fail every
        time, so an effect re-subscribes (or re-fetches) on every render and a `useMemo` /
        `useCallback` never caches. A new provider `value` changes the context on every render,
        re-rendering every consumer of it, memoized or not.
    """
    how_to_measure = """
        - React DevTools Profiler: the component's self time per commit, and (for contexts) how
          many consumers re-render when the provider's parent updates.
        - `console.count` inside the effect: it runs once per render instead of once per change.
        - `console.time` around the sort with production-sized data.
    """
    use_instead = """
        Wrap the value in `useMemo(() => …, [inputs])` listing every value it reads (as
        `react-hooks/exhaustive-deps` would), or `useCallback` for functions. Values that read
        nothing from the component move to module level. For nested searches, build a `Map` by
        id once in `useMemo` and look items up in it.
    """

    examples = (
        flag(
            """
            import { useState } from "react";
            import { Virtuoso } from "react-virtuoso";

            export function Leaderboard({ players }) {
              const [query, setQuery] = useState("");
              const ranked = [...players].sort((a, b) => b.score - a.score);
              return <Virtuoso data={ranked} itemContent={(i, p) => <div>{p.name}</div>} />;
            }
            """,
            (6, 18),
            shown=True,
            fixed="""
            import { useState, useMemo } from "react";
            import { Virtuoso } from "react-virtuoso";

            export function Leaderboard({ players }) {
              const [query, setQuery] = useState("");
              const ranked = useMemo(() => [...players].sort((a, b) => b.score - a.score), [players]);
              return <Virtuoso data={ranked} itemContent={(i, p) => <div>{p.name}</div>} />;
            }
            """,
        ),
        flag(
            """
            export function useLiveQuery(client, table, filter) {
              const options = { table, filter, live: true };
              useEffect(() => {
                const subscription = client.subscribe(options);
                return () => subscription.close();
              }, [client, options]);
            }
            """,
            (2, 19),
            path="src/hooks/useLiveQuery.ts",
            fixed="""
            import { useMemo } from "react";
            export function useLiveQuery(client, table, filter) {
              const options = useMemo(() => ({ table, filter, live: true }), [table, filter]);
              useEffect(() => {
                const subscription = client.subscribe(options);
                return () => subscription.close();
              }, [client, options]);
            }
            """,
        ),
        flag(
            """
            import React, { useState } from "react";

            export const SessionContext = React.createContext(null);

            export function SessionProvider({ children }) {
              const [user, setUser] = useState(null);
              const [menuOpen, setMenuOpen] = useState(false);
              const signOut = () => setUser(null);
              return (
                <SessionContext.Provider value={{ user, signOut }}>
                  <AccountMenu open={menuOpen} onToggle={setMenuOpen} />
                  {children}
                </SessionContext.Provider>
              );
            }
            """,
            (10, 37),
        ),
        flag(
            """
            export function OrderTable({ orders, customers }) {
              const rows = orders.map((o) => ({ ...o, customer: customers.find((c) => c.id === o.customerId) }));
              const totals = orders.reduce((acc, o) => ({ ...acc, [o.customerId]: (acc[o.customerId] ?? 0) + o.total }), {});
              const names = orders.slice().sort(byDate).map((o) => o.id).join(", ");
              return <TableVirtuoso data={rows} totals={totals} title={names} />;
            }
            """,
            (2, 16), (3, 18), (4, 17),
        ),
        ok(
            """
            import { useCallback, useEffect, useMemo, useState } from "react";

            const EMPTY = [];

            export function Inbox({ messages, userId, onOpen }) {
              const [filter, setFilter] = useState("all");
              const label = `${messages.length} messages for ${userId}`;
              const visible = useMemo(() => [...messages].sort(byDate), [messages]);
              const open = useCallback((id) => onOpen(id), [onOpen]);
              const ids = messages.map((m) => m.id);
              useEffect(() => { document.title = label; }, [label, filter, EMPTY, open, setFilter]);
              return (
                <div className="inbox" style={{ padding: 8 }} data-ids={ids}>
                  {visible.map((m) => <p key={m.id} onClick={() => open(m.id)}>{m.subject.includes("!") ? "!" : ""}</p>)}
                </div>
              );
            }
            """,
            why="cheap work, memoized values, primitives and module constants in deps, values only given to DOM elements",
            shown=True,
        ),
        ok(
            """
            export function Tags({ items }) {
              const onSave = () => {
                const sorted = [...items].sort();
                save(sorted);
              };
              const view = items.map((item) => item.tags.filter((t) => t.visible).length);
              return <Button onClick={onSave} counts={view} />;
            }
            """,
            why="sorting inside an event handler is not render work; filtering each item's own tags is linear",
        ),
        ok(
            """
            import { enums } from "@/api";

            const BUCKETS = ["today", "week", "older"];

            export function Threads({ threads }) {
              const kinds = [...enums.threadKinds].sort();
              return BUCKETS.map((bucket) => (
                <Group key={bucket} kinds={kinds} items={threads.filter((t) => t.bucket === bucket)} />
              ));
            }
            """,
            why="sorting a copy of an imported constant, and a fixed handful of buckets over the data, are cheap",
        ),
        ok(
            """
            export function Members({ members, roles }) {
              const sorted = [...members].sort((a, b) => a.name.localeCompare(b.name));
              const labelled = sorted.map((m) => ({ ...m, role: roles.find((r) => r.id === m.roleId) }));
              return <ul>{labelled.map((m) => <li key={m.id}>{m.name}: {m.role?.name}</li>)}</ul>;
            }
            """,
            why="nothing shows the lists are long (no virtualized list, no infinite query): sorting and "
                "searching a few hundred items costs well under a millisecond",
        ),
        flag(
            """
            import { ThemeContext } from "./theme";

            export function ThemeProvider({ theme, overrides, children }) {
              const value = overrides || { theme, dark: theme.startsWith("dark") };
              return <ThemeContext value={value}>{children}</ThemeContext>;
            }
            """,
            (4, 17),
        ),
        ok(
            """
            import { useState } from "react";

            export function Picker({ title, rows, sizes }) {
              const [order] = useState(() => [...rows].sort(byRank));
              const letters = title.split("").sort();
              const units = { px: 1, rem: 16 };
              const names = Object.keys(units).sort();
              const steps = ["b", "a", "c"];
              const sorted = [...steps].sort();
              const top = rows.slice(0, 5).sort(byRank);
              return <List order={order} letters={letters} names={names} steps={sorted} top={top} />;
            }
            """,
            why="a lazy `useState` initializer runs once; letters of a string, keys of a small literal object, "
                "a literal list and a five-item slice are a handful of items",
        ),
        flag(
            """
            import React from "react";
            import { observer } from "mobx-react-lite";

            export const Cart = observer(function Cart({ store }) {
              const lines = [...store.lines].sort((a, b) => a.position - b.position);
              return <FlatList data={lines} renderItem={({ item }) => <Text>{item.name}</Text>} />;
            });

            export class Board extends React.Component {
              render() {
                const cards = [...this.props.cards].sort(byRank);
                return <FixedSizeList itemCount={cards.length} itemSize={40}>{({ index }) => <p>{cards[index].title}</p>}</FixedSizeList>;
              }
            }
            """,
            (5, 17), (11, 19),
        ),
    )

    def check(self, ctx):
        facts = ctx.facts
        reported: dict[int, dict] = {}  # creation node id -> pending finding (related locations accumulate)
        order: list[int] = []

        def pend(node, owner, message_for, related, unstable=None, fixable=True, note=""):
            key = node.id
            if key not in reported:
                reported[key] = {"node": node, "owner": owner, "message_for": message_for, "related": [],
                                 "unstable": unstable, "fixable": fixable, "note": note}
                order.append(key)
            if related is not None:
                reported[key]["related"].append(related)

        for hook in facts.hook_calls:
            if hook.owner is None or hook.deps is None or model.unwrap(hook.deps).type != "array":
                continue
            effect = HOOK_EFFECT.get(hook.name, "hook")
            for element in model.unwrap(hook.deps).named_children:
                unstable = unstable_value(facts, element, hook.owner)
                if unstable is None or unstable.in_loop:
                    continue
                related = Related(ctx.source.span(element), f"dependency array at line {element.start_point[0] + 1}")
                pend(unstable.node, hook.owner, _dependency_message(facts, unstable, hook.name, effect), related, unstable)

        hooks = _RenderingHooks(facts)
        for element in facts.jsx_elements:
            if element.owner is None or not _is_provider(ctx, element):
                continue
            for prop, value in element.attributes:
                if prop != "value" or value is None:
                    continue
                # `fallbacks`: `const v = props.v || {}` is new on each render without `v`, as inline.
                unstable = unstable_value(facts, value, element.owner, fallbacks=True)
                if unstable is None or unstable.default:
                    # `{ value = {} }`: new only on renders whose parent leaves the prop out,
                    # which the code of the provider does not show.
                    continue
                provided = value.parent if value.parent.type == "jsx_expression" else value
                related = Related(ctx.source.span(provided), f"provided at line {provided.start_point[0] + 1}")
                pend(unstable.node, element.owner, _provider_message(facts, unstable, element.tag), related, unstable,
                     fixable=unstable.binding is not None, note=_provider_costs_nothing(ctx, element, value, hooks))

        long_lists = None  # owner node id -> evidence, read on the first costly call
        for call in facts.calls:
            found = self._expensive(facts, call)
            if found is not None:
                node, owner, what = found
                # Sorting or searching costs in proportion to the list's size: under a few thousand items
                # it is not worth a `useMemo` (react.dev: "probably not expensive"). Reported only where
                # the component shows its lists can be that long.
                if long_lists is None:
                    long_lists = _long_list_evidence(facts)
                evidence = long_lists.get(owner.node.id, "")
                if evidence:
                    pend(node, owner, f"{what}, in a component that {evidence}", None, None)

        for key in order:
            pending = reported[key]
            self._report(ctx, pending)

    # -- expensive work ---------------------------------------------------------------------

    def _expensive(self, facts, call):
        """(node to report, owner, message) for costly render work at `call`, or None."""
        name = facts._callee_name(call)
        if name not in ("sort", "toSorted", "reduce") and name not in NESTED_SEARCHES:
            return None
        callee = facts.callee(call)
        if callee is None or callee.type != "member_expression":
            return None
        owner = facts.render_owner(call)
        if owner is None or _inside_memo(facts, call, owner):
            return None
        receiver = model.unwrap(callee.child_by_field_name("object"))
        top = facts.chain_top(call)
        if name in ("sort", "toSorted"):
            data = facts.root_binding(receiver)
            if name == "sort" and data.kind != model.FRESH_ARRAY:
                return None  # an in-place sort of someone else's data is PF101's
            if receiver.type == "array" and not any(c.type == "spread_element" for c in receiver.named_children):
                return None  # a literal list of constants
            origin = _sorted_origin(facts, receiver)
            if origin is None:
                return None  # a copy of a module constant or an import: not data that changes per render
            if _known_short(facts, receiver):
                return None  # sorting a handful of items costs nothing
            node = top if name == "toSorted" or _is_declared_value(top) else call
            return node, owner, f"`{short_text(facts.text(node), 48)}` sorts {_data_name(facts, receiver)} on every render"
        if name == "reduce":
            initial = model.unwrap(facts._argument(call, 1))
            data = facts.root_binding(receiver)
            if initial is None or initial.type != "object" or data.kind not in DATA_KINDS:
                return None
            return top, owner, f"`{short_text(facts.text(top), 48)}` rebuilds an object from {_data_name(facts, receiver)} on every render"
        # a search over other data inside an array callback: O(n·m)
        outer_function = facts.enclosing_function(call)
        if outer_function is None or outer_function.parent is None or outer_function.parent.type != "arguments":
            return None
        outer_call = outer_function.parent.parent
        if facts._callee_name(outer_call) not in OUTER_ITERATIONS or facts.render_owner(outer_call) is not owner:
            return None
        outer_callee = model.unwrap(outer_call.child_by_field_name("function"))
        if outer_callee is None or outer_callee.type != "member_expression" or \
                _is_constant(facts, outer_callee.child_by_field_name("object")):
            return None  # a few fixed buckets over the data: linear
        data = facts.root_binding(receiver)
        if data.kind not in DATA_KINDS or data.node is None:
            return None
        if _known_short(facts, receiver) or _known_short(facts, outer_callee.child_by_field_name("object")):
            return None  # one side is a handful of items: linear
        if outer_function.start_byte <= data.node.start_byte < outer_function.end_byte:
            return None  # the element's own list
        outer_top = facts.chain_top(outer_call)
        return outer_top, owner, (f"`{short_text(facts.text(outer_top), 48)}` runs `.{name}` over {_data_name(facts, receiver)} "
                                  f"for every item on every render (O(n·m))")

    def _report(self, ctx, pending):
        facts = ctx.facts
        node, owner, unstable = pending["node"], pending["owner"], pending["unstable"]
        related = pending["related"]
        message = pending["message_for"]
        if related:
            links = ", ".join(f"[{r.message}]({i})" for i, r in enumerate(related, 1))
            message = message.replace("{links}", links)
        fix = None
        hook = unstable.hook if unstable is not None else "useMemo"
        if unstable is None:
            unstable = _declared_value(facts, node, owner)
        reason = compiler_reason(ctx, owner) if owner.kind != "class" else ""
        if reason and ctx.level != "note":
            message += (f". The React Compiler memoizes such values ({reason}), so this is only a note;"
                        " it matters in components marked `\"use no memo\"`.")
        elif owner.kind == "class":
            # No hooks in a class: a `useMemo` there would not even run.
            message += (". A class component cannot use `useMemo`: compute it with a memoized selector"
                        " (e.g. `memoize-one` keyed on its inputs) or move the work out of `render`"
                        " (into the parent, or into state updated when the inputs change).")
        elif _is_observer(facts, owner):
            # An observable array or object changes in place: as a `useMemo` dependency it never
            # changes, so the memoized value would go stale.
            message += (". In a MobX `observer` component, observables change in place, so `useMemo` keyed on"
                        " them would keep showing stale data: derive the value with MobX `computed` (a getter"
                        " on the store, or in `useLocalObservable`) instead.")
        else:
            if unstable is not None and pending["fixable"]:
                fix = wrap_fix(facts, ctx.source, unstable, owner)
            if unstable is not None and unstable.binding is not None:
                deps, _ = dependencies(facts, unstable.node, exclude=unstable.binding)
                message += (f". Wrap `{unstable.binding.name}` in `{hook}(…, [{', '.join(deps)}])` so it changes "
                            "only when its inputs do")
            else:
                deps, _ = dependencies(facts, node)
                message += f". Compute it once with `useMemo(() => …, [{', '.join(deps)}])` in the component body"
            message += unstable_dependencies_note(facts, node, owner, deps) + "."
        noted = bool(pending["note"]) and not (reason and ctx.level != "note")
        if noted:
            message += pending["note"]
        ctx.report(node, message, related=related, fix=fix,
                   level="note" if (reason and ctx.level != "note") or noted else None)


def _dependency_message(facts, unstable: Unstable, hook: str, effect: str) -> str:
    origin = unstable.origin(facts)
    origin = origin[0].upper() + origin[1:]
    rerun = {"effect": "the effect re-runs", "memo": "the `useMemo` recomputes", "callback": "the `useCallback` returns a new function",
             "handle": "the handle is recreated", "hook": "the hook re-runs"}[effect]
    return f"{origin} is {unstable.noun} each render and a dependency of `{hook}` ({{links}}), so {rerun} on every render"


def _provider_message(facts, unstable: Unstable, tag: str) -> str:
    origin = unstable.origin(facts)
    origin = origin[0].upper() + origin[1:]
    return (f"{origin} is {unstable.noun} each render and the `value` of `{tag}` ({{links}}), so every consumer "
            "of the context re-renders on every render")


def _is_provider(ctx, element) -> bool:
    facts = ctx.facts
    if element.tag.endswith(".Provider"):
        return True
    # React 19 renders a context itself as its provider, `<ThemeContext value={…}>`; the context is
    # often imported, so its name is the sign (as the naming conventions of the peers' rules have it).
    if element.tag.rpartition(".")[2].endswith(("Context", "CONTEXT")):
        root = facts.lookup(element.tag.partition(".")[0], element.node)
        if root is None or root.kind in (model.MODULE, model.IMPORT):
            # A name given by props or a hook is not known to be a context; before React 19
            # rendering the context itself was its consumer.
            major = react_major_version(ctx.index, ctx.source.rel_path)
            return major is None or major >= 19
    binding = facts.lookup(element.tag, element.node) if "." not in element.tag else None
    value = model.unwrap(binding.value) if binding is not None and binding.value is not None else None
    return value is not None and value.type == "call_expression" and facts._callee_name(value) == "createContext"


# Components and hooks that show a list can hold thousands of items: virtualized lists, infinite queries.
VIRTUAL_LIST_TAGS = frozenset({"FixedSizeList", "VariableSizeList", "FixedSizeGrid", "VariableSizeGrid", "Virtuoso",
                               "TableVirtuoso", "GroupedVirtuoso", "VirtuosoGrid", "VirtualList", "VirtualizedList",
                               "FlashList", "FlatList", "SectionList"})
_LONG_LIST_HOOK = re.compile(r"^use(?:Window)?Virtual(?:izer)?$|^useInfinite")


def _long_list_evidence(facts) -> dict:
    """{owner node id: what in that component shows its lists can be long}, in one pass over the
    file: a virtualized list it renders (`<FixedSizeList>`, `<Virtuoso>`, React Native's
    `<FlatList>`...), a virtualizer or infinite-query hook it calls (`useVirtualizer`,
    `useInfiniteQuery`, `useInfiniteRunsQuery`), or a page it cuts from a list
    (`rows.slice(page * PAGE_SIZE, …)`)."""
    evidence: dict[int, str] = {}
    for element in facts.jsx_elements:
        if element.owner is not None and element.tag.rpartition(".")[2] in VIRTUAL_LIST_TAGS:
            evidence.setdefault(element.owner.node.id,
                                f"renders a virtualized list (`<{element.tag}>`), made for thousands of items")
    for call in facts.calls:
        name = (facts._callee_name(call) or "").rpartition(".")[2]
        if name != "slice" and not _LONG_LIST_HOOK.match(name):
            continue
        owner = facts.render_owner(call)
        if owner is None or owner.node.id in evidence:
            continue
        if name != "slice":
            what = "a virtualizer" if "Virtual" in name else "pages of an infinite query"
            evidence[owner.node.id] = f"calls `{name}` ({what}: its lists grow to thousands of items)"
            continue
        start = model.unwrap(facts._argument(call, 0))
        if start is not None and start.type == "binary_expression" and facts.text(start.child_by_field_name("operator")) == "*":
            evidence[owner.node.id] = f"pages through a list (`{short_text(facts.text(call), 40)}`), so its lists run to many pages"
    return evidence


class _RenderingHooks:
    """The hook calls of each component that may re-render it, and which hooks of this file digest
    other hooks' results: read once per file, when a provider first asks."""

    def __init__(self, facts):
        self.facts = facts
        self._by_owner = None
        self._digest: dict[str, bool] = {}

    def of(self, owner) -> list:
        if self._by_owner is None:
            self._by_owner = {}
            for call in self.facts.calls:
                name = (self.facts._callee_name(call) or "").rpartition(".")[2]
                if model.HOOK_NAME.match(name) and name not in NON_RENDERING_HOOKS:
                    holder = self.facts.render_owner(call)
                    if holder is not None:
                        self._by_owner.setdefault(holder.node.id, []).append((name, call))
        return self._by_owner.get(owner.node.id, [])

    def digests(self, name, call) -> bool:
        if name not in self._digest:
            self._digest[name] = _digest_hook(self.facts, name, call)
        return self._digest[name]


def _provider_costs_nothing(ctx, element, value, hooks) -> str:
    """Why a new context value each render saves no consumer a render ("" when it may): a new
    value matters only when a consumer would otherwise not re-render. Consumers built in the
    provider's own render re-render with it anyway, unless memoized; elements passed in from
    outside (`children`, props, `renderRows()`) keep their identity when the provider re-renders
    for its own reasons. And a provider whose state and hook results all go into the value makes
    a new value only when its contents change anyway (its parent's re-renders rebuild the
    children it passes)."""
    facts = ctx.facts
    owner = element.owner
    if owner.kind == "class":
        return ""  # `this.state` and lifecycles: not followed
    if not _rerenders_beyond_value(facts, owner, value, hooks):
        return (" A note: the provider re-renders on its own only when what goes into the value changes (it"
                " keeps no state or hook result out of the value), so a memoized value would change just as often;"
                " it matters if the component gains state or hooks the value does not use.")
    if not _outside_or_memoized_consumers(ctx, element):
        return (" A note: everything under the provider is built in the same render and none of it is memoized,"
                " so its consumers re-render with the provider anyway.")
    return ""


def _names_read(facts, value, owner) -> set:
    """The names `value` reads, following locals of `owner` to their values (`const v = { a, b }`)."""
    read, seen, stack = set(), set(), [value]
    while stack:
        node = stack.pop()
        if node.type in ("identifier", "shorthand_property_identifier"):
            name = facts.text(node)
            if name not in read:
                read.add(name)
                binding = facts.lookup(name, node)
                if binding is not None and binding.value is not None and binding.value.id not in seen and \
                        owner.node.start_byte <= binding.value.start_byte < owner.node.end_byte:
                    seen.add(binding.value.id)
                    stack.append(binding.value)
        stack.extend(node.named_children)
    return read


def _rerenders_beyond_value(facts, owner, value, hooks) -> bool:
    """Whether `owner` re-renders itself for reasons the value does not hold: state it keeps out
    of the value, a hook result it leaves out (discarded, or names it binds that the value does
    not read), or a hook of this file that re-renders on more than it returns (it calls other
    hooks and returns something computed from them, `Boolean(useMatch(...))`). Props are not a
    reason: the parent's re-render rebuilds the children the provider passes along."""
    read = _names_read(facts, value, owner)
    for name, call in hooks.of(owner):
        declarator = call.parent
        while declarator is not None and declarator.type in model.TRANSPARENT_TYPES:
            declarator = declarator.parent
        pattern = declarator.child_by_field_name("name") if declarator is not None and declarator.type == "variable_declarator" else None
        if pattern is None:
            return True  # a subscription whose result is not kept
        if pattern.type == "array_pattern":
            kept = pattern.named_children[:1] if name in STATE_HOOKS else pattern.named_children
        elif pattern.type == "identifier":
            kept = [pattern]
        else:
            # `{ data, isFetching } = useQuery(...)`: the names it destructures. Fields it leaves out
            # are not counted: MobX stores are stable and observers track what they read, and
            # TanStack Query re-renders for the fields a component reads.
            kept = [_pattern_name(c) for c in pattern.named_children]
        if any(n is None or n.type not in ("identifier", "shorthand_property_identifier_pattern")
               or facts.text(n) not in read for n in kept):
            return True
        if name not in STATE_HOOKS and hooks.digests(name, call):
            return True
    return False


def _pattern_name(entry):
    """The local name an object-pattern entry binds (`data`, `data: rows`, `data = []`), or None."""
    if entry.type == "shorthand_property_identifier_pattern":
        return entry
    if entry.type == "pair_pattern":
        entry = entry.child_by_field_name("value")
    if entry is not None and entry.type in ("assignment_pattern", "object_assignment_pattern"):
        entry = entry.child_by_field_name("left")
    return entry if entry is not None and entry.type in ("identifier", "shorthand_property_identifier_pattern") else None


def _digest_hook(facts, name, call) -> bool:
    """Whether the hook `name` is a function of this file that calls other re-rendering hooks:
    it re-renders its caller whenever they change, also when what it returns does not."""
    binding = facts.lookup(name, call)
    function = binding.value if binding is not None and binding.value is not None else \
        binding.node.parent if binding is not None and binding.node is not None else None
    if function is None or function.type not in model.FUNCTION_TYPES:
        return False
    for inner in facts.calls:
        if function.start_byte <= inner.start_byte < function.end_byte:
            inner_name = (facts._callee_name(inner) or "").rpartition(".")[2]
            if model.HOOK_NAME.match(inner_name) and inner_name not in NON_RENDERING_HOOKS:
                return True
    return False


def _outside_or_memoized_consumers(ctx, element) -> bool:
    """Whether something under the provider element may not re-render with it: an element passed
    in from outside or built elsewhere (`{children}`, `{props.footer}`, `{renderRows()}`, a
    `{...props}` spread), or a memoized component."""
    facts = ctx.facts
    opening = element.node
    root = opening.parent if opening.type == "jsx_opening_element" else None
    if root is None:
        return False
    stack = [c for c in root.named_children if c.type not in ("jsx_opening_element", "jsx_closing_element")]
    seen = set()
    while stack:
        node = stack.pop()
        if node.id in seen:
            continue
        seen.add(node.id)
        kind = node.type
        if kind in ("jsx_opening_element", "jsx_self_closing_element"):
            name = node.child_by_field_name("name")
            tag = facts.text(name) if name is not None else ""
            if tag[:1].isupper() and memo_target(ctx, tag, node) is not None:
                return True
        if kind == "jsx_expression":
            inner = next((c for c in node.named_children if c.type != "comment"), None)
            if inner is None:
                continue
            if inner.type == "spread_element":
                return True  # `{...props}`: children among them
            if _built_elsewhere(facts, inner):
                return True
            stack.append(inner)
            continue
        if kind == "jsx_attribute":
            continue  # attribute values are props of that element, not rendered here
        stack.extend(node.named_children)
    return False


def _built_elsewhere(facts, node) -> bool:
    """An expression child not built by this render's JSX: a name (other than a local bound to JSX),
    a member (`props.footer`), a call other than a `.map` over data."""
    node = model.unwrap(node)
    if node is None:
        return False
    if node.type == "identifier":
        binding = facts.lookup(facts.text(node), node)
        value = model.unwrap(binding.value) if binding is not None and binding.value is not None else None
        return value is None or value.type not in JSX_TYPES
    if node.type in ("member_expression", "subscript_expression"):
        return True
    if node.type == "call_expression":
        return facts._callee_name(node) not in OUTER_ITERATIONS and facts._callee_name(node) not in model.LIST_RENDERING_CALLS
    return False


def _is_observer(facts, owner) -> bool:
    """Whether `owner` is wrapped in (or decorated with) MobX's `observer`."""
    call = owner.memo_node
    while call is not None and call.type == "call_expression":
        if facts._wrapper_name(call) == "observer":
            return True
        call = model.unwrap(facts._argument(call, 0))
    node = owner.node.parent
    while node is not None and node.type in ("arguments", "call_expression", "parenthesized_expression"):
        if node.type == "call_expression" and facts._wrapper_name(node) == "observer":
            return True
        node = node.parent
    if owner.kind == "class":
        return False
    for call in facts.calls:  # `export default observer(Row)`, `const Row = observer(RowView)`
        argument = model.unwrap(facts._argument(call, 0))
        if argument is not None and argument.type == "identifier" and facts.text(argument) == owner.name \
                and facts._wrapper_name(call) == "observer":
            return True
    return False


def _inside_memo(facts, node, owner) -> bool:
    function = facts.enclosing_function(node)
    render = owner.render
    while function is not None and (render is None or function.id != render.id):
        parent = function.parent
        if parent is not None and parent.type == "arguments" and facts._callee_name(parent.parent) in RUN_ONCE_OR_MEMOIZED:
            return True
        function = facts.enclosing_function(function)
    return False


def _data_name(facts, receiver) -> str:
    data = facts.root_binding(receiver)
    node = model.unwrap(receiver)
    while node is not None and node.type in ("call_expression", "member_expression", "array", "spread_element"):
        if node.type == "array":
            spread = next((c for c in node.named_children if c.type == "spread_element"), None)
            node = spread.named_children[0] if spread is not None and spread.named_children else None
        elif node.type == "call_expression":
            callee = node.child_by_field_name("function")
            if facts._callee_name(node) in model.FRESH_ARRAY_STATICS:
                node = model.unwrap(facts._argument(node, 0))
            else:
                node = callee.child_by_field_name("object") if callee is not None and callee.type == "member_expression" else None
        elif node.type == "member_expression":
            break  # `props.items`, `enums.values`: name the whole path
        else:
            node = node.child_by_field_name("object") if node.type == "member_expression" else None
        node = model.unwrap(node)
    if node is not None:
        return f"a copy of `{short_text(facts.text(node), 48)}`" if data.kind == model.FRESH_ARRAY else f"`{short_text(facts.text(node), 48)}`"
    return "its data"


# Names of values that are text, whose letters (`[...title]`) are a handful of items.
_TEXT_NAME = re.compile(r"(?:^|[a-z_])(?:[Tt]itle|[Nn]ame|[Ll]abel|[Tt]ext|[Ww]ord|[Ss]tr|[Ss]tring)$")
SHORT_SLICE = 50  # `xs.slice(0, 10)`: at most this many items is short


def _known_short(facts, receiver) -> bool:
    """Whether the code shows the array a call works on to be a handful of items: a literal
    list (also through a local bound to it), the keys of a literal object, the letters of a
    string (`title.split("")`, `[...title]`), or a slice of a few items (`xs.slice(0, 5)`)."""
    node = model.unwrap(receiver)
    for _ in range(8):
        if node is None:
            return False
        if node.type == "array":
            spreads = [c for c in node.named_children if c.type == "spread_element"]
            if not spreads:
                return True
            if len(spreads) != 1 or not spreads[0].named_children:
                return False
            node = model.unwrap(spreads[0].named_children[0])
            if node is not None and node.type in ("identifier", "member_expression") and \
                    _TEXT_NAME.search(facts.text(node).rpartition(".")[2]):
                return True  # `[...title]`: its letters
            continue
        if node.type == "identifier":
            binding = facts.lookup(facts.text(node), node)
            value = model.unwrap(binding.value) if binding is not None and not binding.reassigned and binding.value is not None else None
            if value is None or value.type not in ("array", "object") or value.id == node.id:
                return False
            node = value
            if node.type == "object":
                return True  # reached only from `Object.keys(local)`
            continue
        if node.type != "call_expression":
            return False
        name = facts._callee_name(node)
        if name in model.FRESH_ARRAY_STATICS:
            argument = model.unwrap(facts._argument(node, 0))
            if argument is not None and argument.type == "object":
                return True  # `Object.keys({ a: 1, b: 2 })`
            if name == "Array.from" and argument is not None and argument.type in ("identifier", "member_expression") and \
                    _TEXT_NAME.search(facts.text(argument).rpartition(".")[2]):
                return True
            node = argument
            continue
        callee = model.unwrap(node.child_by_field_name("function"))
        if callee is None or callee.type != "member_expression":
            return False
        if name == "split":
            separator = model.unwrap(facts._argument(node, 0))
            return separator is not None and facts.text(separator) in ('""', "''")  # its letters
        if name == "slice":
            bounds = [model.unwrap(facts._argument(node, i)) for i in (0, 1)]
            if all(b is not None and b.type == "number" for b in bounds):
                try:
                    return abs(float(facts.text(bounds[1])) - float(facts.text(bounds[0]))) <= SHORT_SLICE
                except ValueError:
                    return False
        node = model.unwrap(callee.child_by_field_name("object"))
    return False


def _is_declared_value(node) -> bool:
    return node.parent is not None and node.parent.type == "variable_declarator"


def _sorted_origin(facts, receiver):
    """The data a sorted copy is made from (None for module constants and imports)."""
    node = model.unwrap(receiver)
    for _ in range(8):
        if node is None:
            return None
        if node.type == "array":
            spread = next((c for c in node.named_children if c.type == "spread_element"), None)
            node = model.unwrap(spread.named_children[0]) if spread is not None and spread.named_children else None
            continue
        if node.type == "call_expression":
            callee = model.unwrap(node.child_by_field_name("function"))
            if facts._callee_name(node) in model.FRESH_ARRAY_STATICS:
                node = model.unwrap(facts._argument(node, 0))
                continue
            if callee is not None and callee.type == "member_expression":
                node = model.unwrap(callee.child_by_field_name("object"))
                continue
            return None
        break
    if node is None or _is_constant(facts, node):
        return None
    return facts.root_binding(node)


def _is_constant(facts, node) -> bool:
    """`SECTIONS`, `enums.values`, `[1, 2]`: module-level constants, imports and literals."""
    node = model.unwrap(node)
    while node is not None and node.type in ("member_expression", "subscript_expression"):
        node = model.unwrap(node.child_by_field_name("object"))
    if node is None:
        return False
    if node.type == "identifier":
        binding = facts.lookup(facts.text(node), node)
        return binding is not None and binding.kind in (model.MODULE, model.IMPORT, model.LITERAL)
    return node.type in ("array", "object", "string")


def _declared_value(facts, node, owner):
    """`const x = <node>` in render: an Unstable with the binding, so the fix can wrap it."""
    declarator = node.parent
    if declarator is None or declarator.type != "variable_declarator":
        return None
    name = declarator.child_by_field_name("name")
    if name is None or name.type != "identifier":
        return None
    binding = facts.lookup(facts.text(name), declarator)
    if binding is None or binding.node is None or binding.node.id != name.id:
        return None
    return Unstable("derived array", node, binding, False)
