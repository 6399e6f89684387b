"""PF101 messages and fixes beyond the rule's own examples."""

from __future__ import annotations

import textwrap

from perfscan.engine import check_text
from perfscan.rules import rule_by_code_or_name

RULE = rule_by_code_or_name("PF101")


def findings(code: str, path: str = "src/List.tsx"):
    result = check_text({path: textwrap.dedent(code).lstrip("\n")}, rules=[RULE])
    return [f for f in result.findings if f.code == "PF101"]


def test_message_names_the_source_and_the_fix():
    (finding,) = findings(
        """
        function List({ users }) {
          const sorted = users.sort(byName);
          return <Rows rows={sorted} />;
        }
        """
    )
    assert finding.message.startswith("Sorts the `users` prop in place during render: this mutates the parent's array")
    assert "`[...users].sort(...)`" in finding.message and "`toSorted(...)`" in finding.message
    assert (finding.span.line, finding.span.col, finding.span.end_col) == (2, 24, 28)  # the `sort` name
    assert [e.new_text for e in finding.fix.edits] == ["[...users]"]


def test_bare_statement_gets_no_fix_and_says_to_use_the_result():
    (finding,) = findings(
        """
        function List({ users }) {
          users.reverse();
          return <Rows rows={users} />;
        }
        """
    )
    assert finding.fix is None
    assert "result is unused" in finding.message and "`users.toReversed()`" in finding.message


def test_optional_call_gets_no_fix_and_aliases_name_the_prop():
    (finding,) = findings(
        """
        function List(props) {
          const list = props.items;
          return <Rows rows={list?.sort()} />;
        }
        """
    )
    assert finding.fix is None
    assert finding.message.startswith("Sorts `list` (the `items` prop) in place during render")


def test_push_on_state_suggests_the_setter_and_push_on_context_is_not_reported():
    found = findings(
        """
        function Cart() {
          const [items, setItems] = useState([]);
          const { log } = useContext(LogContext);
          items.push(gift);
          log.push("rendered");
          return <View items={items} onChange={setItems} />;
        }
        """
    )
    assert [(f.span.line, f.span.col) for f in found] == [(4, 9)]
    assert "setItems([...items, item])" in found[0].message


def test_sorting_what_a_selector_builds_is_not_a_store_mutation():
    # mitmproxy's OptionModal: the selector returns `Object.keys(...)`, a new array the store never held
    assert findings(
        """
        export default function OptionModal() {
          const options = useAppSelector((state) => Object.keys(state.options_meta), shallowEqual).sort();
          const names = useSelector((state) => state.users.map((u) => u.name));
          names.sort();
          return <List options={options} names={names} />;
        }
        """
    ) == []
    (finding,) = findings(
        """
        export default function Users() {
          const users = useAppSelector((state) => state.users);
          users.sort(byName);
          return <List users={users} />;
        }
        """
    )
    assert finding.span.line == 3 and "the `users` store selection (from `useAppSelector`)" in finding.message


def test_a_hook_result_sorted_where_it_is_called_is_named_by_its_code():
    messages = [f.message for f in findings(
        """
        export default function A() {
          const items = useAppSelector((s) => s.items).sort();
          const c = useContext(Ctx).sort();
          return <L items={items} c={c} />;
        }
        """
    )]
    assert messages[0].startswith("Sorts `useAppSelector((s) => s.items)` (a store selection) in place during render")
    assert messages[1].startswith("Sorts `useContext(Ctx)` (a context value) in place during render")
