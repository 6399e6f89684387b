"""PF104 component-in-render: messages, related locations and the cases beyond the rule's examples."""

from __future__ import annotations

import textwrap

from perfscan.engine import check_text
from perfscan.rules import rule_by_code_or_name

RULE = rule_by_code_or_name("PF104")


def findings(code: str, path: str = "src/List.tsx"):
    result = check_text({path: textwrap.dedent(code).lstrip("\n")}, rules=[RULE])
    return [f for f in result.findings if f.code == "PF104"]


def test_one_finding_per_definition_with_each_use_related_and_closed_over_names():
    (finding,) = findings(
        """
        function Board({ columns, onMove }) {
          const [drag, setDrag] = useState(null);
          const Column = ({ column }) => <div onDrop={() => onMove(drag, column.id)}>{column.title}</div>;
          return (
            <main>
              <Column column={columns[0]} />
              <Column column={columns[1]} />
            </main>
          );
        }
        """
    )
    assert (finding.span.line, finding.span.col) == (3, 9)
    assert [(r.span.line, r.span.col) for r in finding.related] == [(6, 7), (7, 7)]
    assert finding.message.startswith("`Column` is defined inside the component `Board`, so every render of `Board`")
    assert "pass what it uses (`onMove`, `drag`) as props" in finding.message
    assert finding.properties == {"component": "Column", "parent": "Board", "uses": 2}


def test_hook_parent_and_default_export_parent_are_named():
    (in_hook,) = findings(
        """
        export function useDialog(title) {
          const Dialog = () => <dialog>{title}</dialog>;
          return <Dialog />;
        }
        """
    )
    assert "inside the hook `useDialog`" in in_hook.message
    (in_default,) = findings(
        """
        export default () => {
          function Item() { return <li />; }
          return <ul><Item /></ul>;
        };
        """
    )
    assert in_default.message.startswith(
        "`Item` is defined inside the default-exported component, so every render of the default-exported component")


def test_create_element_without_jsx():
    (finding,) = findings(
        """
        function Parent() {
          const Child = () => React.createElement("div", null);
          return React.createElement("div", null, React.createElement(Child, null));
        }
        """,
        path="src/parent.js",
    )
    assert (finding.span.line, finding.span.col) == (2, 9)


def test_usememo_and_usecallback_depend_on_their_dependencies():
    code = """
        function Grid({ rows, format }) {
          const style = { width: 10 };
          const Stable = useCallback(({ v }) => <td>{format(v)}</td>, [format]);
          const NoDeps = useCallback(({ v }) => <td>{v}</td>);
          const Fresh = useMemo(() => ({ v }) => <td style={style}>{v}</td>, [style]);
          return rows.map((r) => <tr key={r.id}><Stable v={r.a} /><NoDeps v={r.b} /><Fresh v={r.c} /></tr>);
        }
        """
    assert sorted(f.properties["component"] for f in findings(code)) == ["Fresh", "NoDeps"]


def test_shadowing_and_module_level_names_are_followed_exactly():
    code = """
        const Row = ({ r }) => <tr>{r.id}</tr>;
        function Table({ rows }) {
          return rows.map((r) => <Row key={r.id} r={r} />);
        }
        function Other() {
          const Row = () => <tr />;
          return <Table rows={[]} />;
        }
        """
    assert findings(code) == []  # the inner `Row` is never rendered; the rendered one is module-level


def test_not_reported_in_test_files():
    code = """
        function Harness() {
          const Probe = () => <span />;
          return <Probe />;
        }
        """
    assert len(findings(code)) == 1
    assert findings(code, path="tests/Harness.tsx") == []  # the default test paths (analyzer/test_paths.py)


def test_js_test_files_and_stories_are_test_code_for_every_react_rule():
    from perfscan.config import Config
    from perfscan.test_paths import is_test_path

    tests = ["src/List.test.tsx", "src/List.spec.ts", "src/__tests__/List.tsx", "src/List.stories.tsx",
             "src/api.test.mjs", "src/List.spec.jsx"]
    product = ["src/List.tsx", "src/testing.tsx", "src/stories/List.tsx", "src/List.tests.tsx", "src/attest.ts"]
    assert [p for p in tests + product if is_test_path({}, p)] == tests
    code = textwrap.dedent("""
        import { memo } from "react";
        const Item = memo(function Item(props) { return <li />; });
        export function Harness({ items }) {
          items.push(1);
          const sorted = items.slice().sort();
          const Probe = () => <span />;
          return <Virtuoso data={sorted}><Probe /><Item onPick={() => null} /></Virtuoso>;
        }
        """).lstrip("\n")
    rules = [rule_by_code_or_name(code_) for code_ in ("PF101", "PF102", "PF103", "PF104")]
    product_codes = sorted(f.code for f in check_text({"src/Harness.tsx": code}, rules=rules).findings)
    assert product_codes == ["PF101", "PF102", "PF103", "PF104"]
    assert check_text({"src/Harness.test.tsx": code}, rules=rules).findings == []
    included = check_text({"src/Harness.stories.tsx": code}, rules=rules,
                          config=Config(project_settings={"include_tests": True})).findings
    assert sorted((f.code, f.level) for f in included) == [
        ("PF101", "note"), ("PF102", "note"), ("PF103", "note"), ("PF104", "note")]
