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
