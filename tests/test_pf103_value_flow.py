"""PF103 value flow: which value a prop holds where the JSX reads it (reassignment on every path,
prop defaults, fallbacks, constructor calls), member tags and nested children."""

from __future__ import annotations

import textwrap

import pytest

from perfscan.engine import check_text
from perfscan.rules import rule_by_code_or_name

PF103 = rule_by_code_or_name("PF103")

HEADER = """import { memo } from "react";
const Row = memo(function Row(props) { return <li />; });
const STABLE = { a: 1 };
"""


def flagged(body: str, files: dict | None = None) -> list:
    """(line, column, prop) of PF103 findings in a file of HEADER then `body` (lines counted from body's first)."""
    text = HEADER + textwrap.dedent(body).lstrip("\n")
    result = check_text({"App.tsx": text, **(files or {})}, rules=[PF103])
    offset = HEADER.count("\n")
    return sorted((f.span.line - offset, f.span.col, f.properties["prop"]) for f in result.findings if f.code == "PF103")


@pytest.mark.parametrize("body, expected", [
    pytest.param("""
        export function App({ c }) {
          let s = STABLE;
          if (c) {
            s = {};
            return <Row s={s} />;
          }
          return <Row s={s} />;
        }
        """, [(5, 17, "s")], id="assigned-in-the-branch-that-renders"),
    pytest.param("""
        export function App({ c }) {
          let s = STABLE;
          if (c) {
            s = {};
          } else {
            return <Row s={s} />;
          }
          return null;
        }
        """, [], id="assigned-in-the-other-branch"),
    pytest.param("""
        export function App({ c }) {
          let s = {};
          if (c) s = STABLE;
          return <Row s={s} />;
        }
        """, [], id="branch-before-the-read-is-not-guessed"),
    pytest.param("""
        export function App({ c, d, list }) {
          let s;
          if (c) s = STABLE;
          else if (d) {
            s = list;
          } else s = { c };
          let t;
          if (c) { t = STABLE; } else { t = list; }
          return <Row s={s} t={t} />;
        }
        """, [(9, 15, "s")], id="every-branch-of-an-if-else-chain-assigns"),
    pytest.param("""
        export function App({ c }) {
          let s;
          if (c) { s = {}; s = STABLE; } else s = STABLE;
          if ((s = STABLE)) s = STABLE; else s = STABLE;
          return <Row s={s} />;
        }
        """, [], id="branch-assigning-twice-or-in-the-condition-is-not-guessed"),
    pytest.param("""
        export function App({ items }) {
          let s = {};
          const out = [];
          for (const i of items) {
            out.push(<Row key={i} s={s} />);
            s = STABLE;
          }
          return out;
        }
        """, [], id="assignment-later-in-a-loop-reaches-the-next-iteration"),
    pytest.param("""
        export function App() {
          let s = {};
          const render = () => <Row s={s} />;
          s = STABLE;
          return render();
        }
        """, [], id="closure-run-after-a-later-assignment"),
    pytest.param("""
        export function App() {
          var a;
          a = a;
          return <Row a={a} />;
        }
        """, [], id="self-assignment-terminates"),
    pytest.param("""
        export function App({ style }) {
          style = style || {};
          return <Row style={style} />;
        }
        """, [(3, 15, "style")], id="prop-reassigned-with-a-fallback"),
    pytest.param("""
        export function App({ items }) {
          const list = items.length ? items : [];
          const same = items ?? STABLE;
          return <Row list={list} same={same} />;
        }
        """, [(4, 15, "list")], id="conditional-fallbacks"),
    pytest.param("""
        function Array(n) { return STABLE; }
        export function App() {
          return <Row a={Array(3)} b={Object()} m={new Intl.NumberFormat()} />;
        }
        """, [(3, 28, "b"), (3, 41, "m")], id="constructor-calls-and-a-local-Array"),
    pytest.param("""
        export function App({ items, label, onPick = () => {} }) {
          return (
            <Row onPick={onPick}>
              {"text"}
              {label}
              {items.map((i) => <b key={i}>{i}</b>)}
            </Row>
          );
        }
        """, [(3, 10, "onPick"), (6, 8, "children")], id="children-and-a-function-default"),
])
def test_value_reaching_the_jsx(body, expected):
    assert flagged(body) == expected


def test_member_tags_of_a_module_level_object():
    body = """
        const Plain = function Plain(props) { return <i />; };
        const Parts = { Row, Plain, Alias: Row, Inline: memo((props) => <b />) };
        export function App() {
          const Local = { Row };
          return (
            <>
              <Parts.Row s={{}} />
              <Parts.Plain s={{}} />
              <Parts.Alias s={{}} />
              <Parts.Inline s={{}} />
              <Local.Row s={{}} />
            </>
          );
        }
        """
    assert flagged(body) == [(7, 18, "s"), (9, 20, "s"), (10, 21, "s")]


def test_children_follow_the_comparator():
    body = """
        const Only = memo(function Only(props) { return <i />; }, (a, b) => a.id === b.id);
        export function App({ id }) {
          return <Only id={id}><b /></Only>;
        }
        """
    assert flagged(body) == []


def test_time_linear_in_the_reads_of_one_long_component():
    """Thousands of elements reading a reassigned and a constant local in one body: the last
    assignment is found by position, and the compiler directives and the fix of a value are
    looked up once, not once per element (each was a scan of the whole body)."""
    from tests.test_extreme_code import MAX_TIME_RATIO, _time_ratio

    def source(n: int) -> str:
        assigned = "\n".join(f"  s = {{ v: {i} }};" for i in range(n))
        reads = "\n".join(f"  out.push(<Row k={{{i}}} s={{s}} c={{c}} />);" for i in range(n))
        return (f"{HEADER}export function App() {{\n  const out = [];\n  const c = {{ a: 1 }};\n  let s;\n"
                f"{assigned}\n{reads}\n  return out;\n}}\n")

    findings = check_text({"App.tsx": source(10)}, rules=[PF103]).findings
    assert len(findings) == 20
    assert _time_ratio(lambda n: check_text({"App.tsx": source(n)}, rules=[PF103]), 500) < MAX_TIME_RATIO


def test_member_tags_assigned_at_module_level_and_spread_objects():
    body = """
        function Select(props) { return <ul />; }
        Select.Option = memo(function Option(props) { return <li />; });
        Select.Plain = function Plain(props) { return <li />; };
        export function App({ go, rest }) {
          const extra = { onPick: () => go(), id: 1, style: STABLE };
          let moved = { onPick: () => go() };
          moved = STABLE;
          return (
            <>
              <Select.Option s={{}} />
              <Select.Plain s={{}} />
              <Select.Option {...extra} />
              <Select.Option {...{ data: [] }} data={STABLE} />
              <Select.Option {...moved} {...rest} />
            </>
          );
        }
        """
    assert flagged(body) == [(10, 22, "s"), (12, 22, "onPick")]


def test_a_comparator_named_at_module_level_is_read_unless_reassigned():
    body = """
        const ById = memo(function ById(props) { return <li />; }, sameId);
        function sameId(prev, next) { return prev.id === next.id; }
        let changing = (a, b) => a.id === b.id;
        changing = (a, b) => false;
        const Changing = memo(function Changing(props) { return <li />; }, changing);
        export function App({ id }) {
          return <><ById id={id} s={{}} /><Changing id={id} s={{}} /></>;
        }
        """
    assert flagged(body) == []
    body = body.replace("prev.id === next.id", "prev.s === next.s")
    assert flagged(body) == [(7, 26, "s")]


def test_a_value_new_only_for_the_items_meeting_a_condition_on_the_item():
    body = """
        export function App({ rows, openId, wide }) {
          return rows.map((r, i) => {
            const last = i === rows.length - 1;
            return (
              <Row key={r.id}
                open={r.id === openId ? { open: true } : null}
                footer={last && <b>end</b>}
                size={wide ? { w: 2 } : STABLE}
                both={r.big ? { big: 1 } : { small: 1 }} />
            );
          });
        }
        """
    # `size` depends on no item: new for every row when `wide`; `both` is new whichever branch
    assert flagged(body) == [(8, 9, "size"), (9, 9, "both")]
