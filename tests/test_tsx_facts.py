"""The TS/TSX facts model: module interface, components, render ownership, bindings, hooks, JSX."""

from __future__ import annotations

import pickle

from perfscan.facts import tsx as model
from perfscan.facts.tsx import TsxFacts
from tests.conftest import source_of


def build(code: str, path: str = "src/App.tsx") -> TsxFacts:
    return TsxFacts.build(source_of(path, code))


def find(facts: TsxFacts, snippet: str, kind: str = "call_expression"):
    """The first candidate node of `kind` whose text is `snippet`."""
    pool = facts.calls if kind == "call_expression" else [j.node for j in facts.jsx_elements]
    for node in pool:
        if facts.text(node) == snippet:
            return node
    raise AssertionError(f"no {kind} {snippet!r}")


def receiver(facts, call_text):
    return find(facts, call_text).child_by_field_name("function").child_by_field_name("object")


MODULE = """
import React, { memo, forwardRef as fr, useState } from "react";
import * as api from "@/api";
import Button from "./Button";
import { useSelector } from "react-redux";

export const Header = () => <h1>Hi</h1>;
export function Footer() { return <footer />; }
const Row = ({ item }) => <li>{item.name}</li>;
export default React.memo(Row);
export const Input = memo(fr((props, ref) => <input ref={ref} {...props} />));
export const Plain = memo(function Plain() { return <p />; });
class Legacy extends React.PureComponent<Props> { render() { return <div>{this.props.title}</div>; } }
export class Old extends Component { render() { return null; } handle() {} }
export { Legacy, Row as RowAlias };
export { Card } from "./Card";
export * from "./shared";
export * as icons from "./icons";
export function useWidth(el: HTMLElement) { return useState(0)[0]; }
function formatName(user) { return user.name; }
"""


def test_imports_and_exports():
    facts = build(MODULE)
    assert facts.imports == {
        "React": ("react", "default"),
        "memo": ("react", "memo"),
        "fr": ("react", "forwardRef"),
        "useState": ("react", "useState"),
        "api": ("@/api", "*"),
        "Button": ("./Button", "default"),
        "useSelector": ("react-redux", "useSelector"),
    }
    exports = {name: (e.local, e.source, e.imported) for name, e in facts.exports.items()}
    assert exports == {
        "Header": ("Header", None, None),
        "Footer": ("Footer", None, None),
        "default": ("Row", None, None),
        "Input": ("Input", None, None),
        "Plain": ("Plain", None, None),
        "Old": ("Old", None, None),
        "Legacy": ("Legacy", None, None),
        "RowAlias": ("Row", None, None),
        "Card": (None, "./Card", "Card"),
        "icons": (None, "./icons", "*"),
        "useWidth": ("useWidth", None, None),
    }
    assert facts.star_reexports == ["./shared"]
    assert facts.exports["default"].memo_node is not None


def test_components_and_hooks():
    facts = build(MODULE)
    found = {c.name: (c.kind, c.memoized, c.forward_ref) for c in facts.components}
    assert found == {
        "Header": ("function", False, False),
        "Footer": ("function", False, False),
        "Row": ("function", True, False),  # via `export default React.memo(Row)`
        "Input": ("function", True, True),
        "Plain": ("function", True, False),
        "Legacy": ("class", True, False),  # PureComponent
        "Old": ("class", False, False),
    }
    assert [h.name for h in facts.hooks] == ["useWidth"]
    row = facts.component("Row")
    assert facts.text(row.memo_node) == "React.memo(Row)"
    assert facts.component("formatName") is None
    legacy = facts.component("Legacy")
    assert legacy.render is not None and facts.text(legacy.render.child_by_field_name("name")) == "render"


def test_memo_alias_is_its_own_component():
    facts = build(
        """
        function Item({ label }) { return <span>{label}</span>; }
        export const MemoItem = React.memo(Item);
        """
    )
    assert facts.component("Item").memoized is False
    memo_item = facts.component("MemoItem")
    assert memo_item.memoized and memo_item.node is facts.component("Item").node


def test_summary_is_plain_data_with_memo_positions():
    facts = build(MODULE)
    summary = facts.summary()
    assert pickle.loads(pickle.dumps(summary)) == summary
    assert summary["exports"]["default"]["component"] == {
        "name": "Row", "kind": "function", "memoized": True, "line": 9, "col": 16, "wrappers": ["memo"],
        "renders_list": False,
    }
    assert summary["exports"]["Header"]["component"]["memoized"] is False
    assert summary["exports"]["Input"]["component"]["line"] == 10
    assert summary["exports"]["Card"] == {"local": None, "reexport": ("./Card", "Card")}
    assert summary["star_reexports"] == ["./shared"]
    assert summary["imports"]["Button"] == ["./Button", "default"]


RENDER = """
function List({ items, onPick }) {
  const direct = items.at(0);
  const mapped = items.map((i) => i.id.toString());
  const memoed = useMemo(() => items.filter(Boolean), [items]);
  const iife = (() => items.length)();
  const handler = () => items.sort();
  function helper() { return items.slice(); }
  useEffect(() => { items.forEach((i) => i.touch()); }, [items]);
  const cb = useCallback(() => items.pop(), [items]);
  fetchIt().then((data) => data.sort());
  setTimeout(() => items.reverse(), 10);
  return <ul onClick={() => onPick(items.join())}>{memoed.map((i) => <li key={i}>{i}</li>)}</ul>;
}
class Page extends React.Component {
  componentDidMount() { this.props.load(); }
  render() { return <div>{this.props.rows.map((r) => r.size)}</div>; }
}
const top = compute();
"""


def test_runs_during_render():
    facts = build(RENDER)
    owner = lambda text: facts.render_owner(find(facts, text))  # noqa: E731
    list_component = facts.component("List")
    for during in ("items.at(0)", "i.id.toString()", "items.filter(Boolean)", "(() => items.length)()",
                   "memoed.map((i) => <li key={i}>{i}</li>)"):
        assert owner(during) is list_component, during
    for outside in ("items.sort()", "items.slice()", "i.touch()", "items.pop()", "data.sort()", "items.reverse()",
                    "onPick(items.join())", "compute()"):
        assert owner(outside) is None, outside
    page = facts.component("Page")
    assert owner("this.props.rows.map((r) => r.size)") is page
    assert owner("this.props.load()") is None
    assert facts.runs_during_render(find(facts, "items.at(0)"))


BINDINGS = """
import { useAppSelector } from "@/store";
const COLORS = ["red", "green"];
function Dashboard(props) {
  const list = props.items;
  const { user, settings: prefs = {}, ...rest } = props;
  const [count, setCount] = useState(0);
  const [state, dispatch] = useReducer(reducer, init);
  const { theme } = useContext(ThemeContext);
  const auth = useContext(AuthContext);
  const ref = useRef(null);
  const orders = useAppSelector((s) => s.orders);
  const cart = useCartStore((s) => s.cart);
  const total = useMemo(() => 1, []);
  const onSave = useCallback(() => {}, []);
  const query = useQuery(key);
  const copy = [...list];
  const sliced = list.slice();
  const keys = Object.keys(user);
  const parts = "a,b".split(",");
  const obj = { a: 1 };
  const fn = () => 1;
  const bound = this.handle.bind(this);
  const label = "x";
  const alias = COLORS;
  const same = list.sort();
  function local() {}
  return <div />;
}
function Profile({ user: { name }, tags = [] }) { return <p>{name}</p>; }
export function useFilter(items: string[], { limit }) { return items.slice(0, limit); }
class Board extends React.Component {
  render() {
    const { cells } = this.props;
    const moves = this.state.moves;
    return null;
  }
}
"""


def test_bindings():
    facts = build(BINDINGS)
    at = find(facts, "list.sort()")
    kinds = {
        "list": (model.PROP, "items"),
        "user": (model.PROP, "user"),
        "prefs": (model.PROP, "settings"),
        "rest": (model.PROPS, ""),
        "props": (model.PROPS, ""),
        "count": (model.STATE, "count"),
        "setCount": (model.SETTER, "setCount"),
        "state": (model.REDUCER_STATE, "state"),
        "dispatch": (model.DISPATCH, "dispatch"),
        "theme": (model.CONTEXT, "theme"),
        "auth": (model.CONTEXT, "auth"),
        "ref": (model.REF, ""),
        "orders": (model.STORE, "orders"),
        "cart": (model.STORE, "cart"),
        "total": (model.MEMO, ""),
        "onSave": (model.CALLBACK, ""),
        "query": (model.HOOK_RESULT, "query"),
        "copy": (model.FRESH_ARRAY, ""),
        "sliced": (model.FRESH_ARRAY, ""),
        "keys": (model.FRESH_ARRAY, ""),
        "parts": (model.FRESH_ARRAY, ""),
        "obj": (model.FRESH_OBJECT, ""),
        "fn": (model.FUNCTION, ""),
        "bound": (model.BOUND_FUNCTION, ""),
        "label": (model.LITERAL, ""),
        "alias": (model.MODULE, "COLORS"),
        "same": (model.PROP, "items"),  # sort returns its receiver
        "local": (model.FUNCTION, ""),
        "COLORS": (model.MODULE, "COLORS"),
        "useAppSelector": (model.IMPORT, "@/store"),
    }
    got = {name: (facts.lookup(name, at).kind, facts.lookup(name, at).source) for name in kinds}
    assert got == kinds
    assert facts.lookup("COLORS", at).value_kind == model.FRESH_ARRAY
    assert facts.lookup("theme", at).via == "ThemeContext"
    assert facts.lookup("auth", at).via == "AuthContext"
    assert facts.lookup("cart", at).via == "useCartStore"
    assert facts.lookup("query", at).via == "useQuery"


def test_bindings_in_patterns_hooks_and_classes():
    facts = build(BINDINGS)
    profile_at = find(facts, "<p>", kind="jsx")
    assert facts.lookup("name", profile_at).kind == model.PROP
    assert facts.lookup("name", profile_at).part  # a piece of the `user` prop
    assert (facts.lookup("tags", profile_at).kind, facts.lookup("tags", profile_at).source) == (model.PROP, "tags")
    hook_at = find(facts, "items.slice(0, limit)")
    assert facts.lookup("items", hook_at).kind == model.HOOK_PARAM
    assert facts.lookup("limit", hook_at).kind == model.HOOK_PARAM
    board = facts.component("Board")
    render_at = board.render.child_by_field_name("body").named_children[-1]
    assert (facts.lookup("cells", render_at).kind, facts.lookup("cells", render_at).source) == (model.PROP, "cells")
    assert (facts.lookup("moves", render_at).kind, facts.lookup("moves", render_at).source) == (model.STATE, "moves")


def test_root_binding_follows_members_and_aliases():
    facts = build(
        """
        function Grid(props) {
          const [state] = useState({ list: { items: [] } });
          props.users.sort();
          state.list.items.sort();
          [...props.users].sort();
          props.users.filter(Boolean).sort();
          props.rows.map((row) => row.cells.sort());
          return null;
        }
        class Old extends Component { render() { this.props.items.sort(); this.state.rows.sort(); return null; } }
        """
    )
    users = facts.root_binding(receiver(facts, "props.users.sort()"))
    assert (users.kind, users.source, users.part) == (model.PROP, "users", False)
    nested = facts.root_binding(receiver(facts, "state.list.items.sort()"))
    assert (nested.kind, nested.source, nested.part) == (model.STATE, "state", True)
    assert facts.root_binding(receiver(facts, "[...props.users].sort()")).kind == model.FRESH_ARRAY
    assert facts.root_binding(receiver(facts, "props.users.filter(Boolean).sort()")).kind == model.FRESH_ARRAY
    cells = facts.root_binding(receiver(facts, "row.cells.sort()"))
    assert (cells.kind, cells.source, cells.part) == (model.PROP, "rows", True)
    this_items = facts.root_binding(receiver(facts, "this.props.items.sort()"))
    assert (this_items.kind, this_items.source) == (model.PROP, "items")
    assert facts.root_binding(receiver(facts, "this.state.rows.sort()")).kind == model.STATE


def test_shadowing_parameters_hide_outer_names():
    facts = build(
        """
        function List({ items }) {
          const pick = (items) => items.sort();
          return null;
        }
        """
    )
    assert facts.root_binding(receiver(facts, "items.sort()")).kind == model.PARAM


def test_hook_calls_with_dependency_arrays():
    facts = build(RENDER)
    calls = [(h.name, h.owner.name if h.owner else None, facts.text(h.deps) if h.deps else None) for h in facts.hook_calls]
    assert calls == [("useMemo", "List", "[items]"), ("useEffect", "List", "[items]"), ("useCallback", "List", "[items]")]


def test_jsx_elements():
    facts = build(
        """
        function App() {
          return (
            <Ctx.Provider value={{ user }}>
              <div className="x" hidden {...rest}>
                <Row onClick={() => go()} style={{ a: 1 }} label="hi" />
              </div>
            </Ctx.Provider>
          );
        }
        """
    )
    elements = [(e.tag, e.is_dom, [name for name, _ in e.attributes]) for e in facts.jsx_elements]
    assert elements == [
        ("Ctx.Provider", False, ["value"]),
        ("div", True, ["className", "hidden", "..."]),
        ("Row", False, ["onClick", "style", "label"]),
    ]
    row = facts.jsx_elements[2]
    assert [v.type for _, v in row.attributes] == ["arrow_function", "object", "string"]
    assert facts.jsx_elements[1].attributes[1][1] is None
    assert all(e.owner is facts.component("App") for e in facts.jsx_elements)


def test_typescript_grammar_file():
    facts = build(
        """
        import { useMemo } from "react";
        import type { Order } from "@/types";
        export function useSortedOrders(orders: Order[], desc = false): Order[] {
          return useMemo(() => (desc ? [...orders].reverse() : orders), [orders, desc]);
        }
        export const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
        """,
        path="src/hooks/useSortedOrders.ts",
    )
    assert facts.source.language == "typescript"
    assert [h.name for h in facts.hooks] == ["useSortedOrders"]
    assert facts.jsx_elements == [] and facts.components == []
    hook = facts.hooks[0]
    assert facts.render_owner(find(facts, "[...orders].reverse()")) is hook
    assert facts.render_owner(find(facts, "xs.reduce((a, b) => a + b, 0)")) is None
    assert set(facts.exports) == {"useSortedOrders", "sum"}
    assert [h.name for h in facts.hook_calls] == ["useMemo"]


def test_anonymous_default_export_component_and_reassigned_names():
    facts = build(
        """
        export default function ({ rows }) {
          let list = rows;
          list = list.filter(Boolean);
          const [first] = useState(() => rows.at(0));
          return <Table rows={list} />;
        }
        """
    )
    assert [c.name for c in facts.components] == ["default"]
    assert facts.exports["default"].local == "default"
    at = find(facts, "list.filter(Boolean)")
    assert facts.lookup("list", at).reassigned
    assert facts.root_binding(find(facts, "list.filter(Boolean)").child_by_field_name("function")
                              .child_by_field_name("object")).kind == model.UNKNOWN
    # useState's lazy initializer runs during (the first) render.
    assert facts.render_owner(find(facts, "rows.at(0)")) is facts.components[0]


def test_for_of_loop_variables_are_elements_of_their_array():
    facts = build(
        """
        function Board({ columns }) {
          for (const column of columns) column.cards.sort(byRank);
          for (const key in columns) key.split("");
          for (const [i, row] of Object.entries(columns)) row.sort();
          return <Grid />;
        }
        """
    )
    cards = facts.root_binding(receiver(facts, "column.cards.sort(byRank)"))
    assert (cards.kind, cards.source, cards.part) == (model.PROP, "columns", True)
    assert facts.root_binding(receiver(facts, 'key.split("")')).kind == model.UNKNOWN
    assert facts.root_binding(receiver(facts, "row.sort()")).kind == model.UNKNOWN


def test_files_without_components_build_their_bindings_only_when_asked():
    utility = """
        const LIMIT = 10;
        export function clamp(values) {
          const copy = values.slice(0, LIMIT);
          return copy.sort();
        }
    """
    facts = build(utility, "src/utils.ts")
    assert not facts.components and not facts.hooks
    assert facts._unbound is not None and facts._scopes == {}  # nothing built yet
    assert facts.root_binding(receiver(facts, "copy.sort()")).kind == model.FRESH_ARRAY
    assert facts._unbound is None
    assert facts.lookup("LIMIT", find(facts, "copy.sort()")).kind == model.MODULE
    # A component file builds them at once: the rules will ask.
    assert build(RENDER)._unbound is None
