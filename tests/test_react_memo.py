"""The React project index (module resolution, barrels, tsconfig aliases, React Compiler) and PF102/PF103 details."""

from __future__ import annotations

import textwrap

from perfscan.config import Config
from perfscan.engine import check_text
from perfscan.facts import build_facts
from perfscan.project import ProjectIndex
from perfscan.react_index import ReactIndex, parse_jsonc
from perfscan.source import SourceFile, language_for
from perfscan.rules import rule_by_code_or_name

from perfscan import grammars

PF102 = rule_by_code_or_name("PF102")
PF103 = rule_by_code_or_name("PF103")


def make_index(files: dict, settings: dict | None = None) -> ReactIndex:
    summaries = {}
    project_files = {}
    for path, text in files.items():
        text = textwrap.dedent(text).lstrip("\n")
        language = language_for(path)
        if language is None:
            project_files[path] = text
            continue
        data = text.encode()
        source = SourceFile(path="/p/" + path, rel_path=path, language=language, data=data, text=text)
        source.tree = grammars.parse(language, data)
        summaries[path] = ("tsx", build_facts(source).summary())
    index = ProjectIndex.build("/nonexistent-project-root", summaries, {**(settings or {}), "project_files": project_files})
    return ReactIndex(index)


def run(files: dict, rules, config: Config | None = None):
    files = {path: textwrap.dedent(text).lstrip("\n") for path, text in files.items()}
    return check_text(files, rules=rules, config=config).findings


ROW = 'import { memo } from "react";\nexport const Row = memo(function Row(props) { return <li />; });\n'


def test_parse_jsonc_tolerates_comments_and_trailing_commas():
    text = '{\n  // line\n  "a": "http://x/*y*/", /* block */\n  "b": [1, 2,],\n}\n'
    assert parse_jsonc(text) == {"a": "http://x/*y*/", "b": [1, 2]}
    assert parse_jsonc("{ not json") is None


def test_relative_extension_index_and_js_suffix_resolution():
    react = make_index({"src/a.tsx": "", "src/ui/index.ts": "", "src/b.ts": ""})
    assert react.resolve("src/a.tsx", "./ui") == "src/ui/index.ts"
    assert react.resolve("src/a.tsx", "./b") == "src/b.ts"
    assert react.resolve("src/a.tsx", "./b.js") == "src/b.ts"
    assert react.resolve("src/ui/index.ts", "../a") == "src/a.tsx"
    assert react.resolve("src/a.tsx", "./missing") is None
    assert react.resolve("src/a.tsx", "react") is None


def test_tsconfig_paths_extends_and_references():
    react = make_index({
        "web/tsconfig.json": '{ "files": [], "references": [{ "path": "./tsconfig.app.json" }] }',
        "web/tsconfig.app.json": '{ "extends": "./tsconfig.base", "compilerOptions": { "paths": { "~ui/*": ["./ui/*"] } } }',
        "web/tsconfig.base.json": '{ "compilerOptions": { "baseUrl": "src", }, }',
        "web/src/ui/Row.tsx": ROW,
        "web/src/lib/util.ts": "",
        "web/src/App.tsx": "",
    })
    assert react.resolve("web/src/App.tsx", "~ui/Row") == "web/src/ui/Row.tsx"
    assert react.resolve("web/src/App.tsx", "lib/util") == "web/src/lib/util.ts"  # baseUrl from the base config
    assert react.project_inputs() == ["web/tsconfig.app.json", "web/tsconfig.base.json", "web/tsconfig.json"]


def test_paths_without_base_url_resolve_from_the_config_folder():
    react = make_index({
        "jsconfig.json": '{ "compilerOptions": { "paths": { "@components": ["app/components/index.js"] } } }',
        "app/components/index.js": 'export { Row } from "./Row";\n',
        "app/components/Row.jsx": ROW,
        "app/page.jsx": "",
    })
    assert react.resolve("app/page.jsx", "@components") == "app/components/index.js"
    ref = react.exported_component("app/components/index.js", "Row")
    assert (ref.path, ref.name, ref.memoized, ref.line) == ("app/components/Row.jsx", "Row", True, 2)


def test_barrels_default_reexports_star_and_cycles():
    react = make_index({
        "ui/index.ts": 'export * from "./a";\nexport * from "./index";\nexport { default as Card } from "./Card";\n',
        "ui/a.ts": 'export * from "./index";\nimport Row2 from "./Row";\nexport { Row2 as Line };\n',
        "ui/Row.tsx": 'import React from "react";\nconst Row = () => <li />;\nexport default React.memo(Row);\n',
        "ui/Card.tsx": "export default function Card() { return <div />; }\n",
    })
    assert react.exported_component("ui/index.ts", "Line").memoized is True
    assert react.exported_component("ui/index.ts", "Card").memoized is False
    assert react.exported_component("ui/index.ts", "Nothing") is None  # the star cycle ends


def test_custom_comparator_is_not_a_plain_memo():
    findings = run({
        "Canvas.tsx": 'import React from "react";\nconst Canvas = (p) => <canvas />;\n'
                      "export default React.memo(Canvas, (a, b) => a.scale === b.scale);\n",
        "App.tsx": 'import Canvas from "./Canvas";\nexport function App() { return <Canvas config={{ a: 1 }} />; }\n',
    }, [PF103])
    assert findings == []


def test_pf103_message_related_location_and_level():
    findings = run({
        "src/components/index.ts": 'export * from "./Row";\n',
        "src/components/Row.tsx": ROW,
        "src/App.tsx": """
            import { Row } from "./components";
            export function App({ items }) {
              const onPick = (id) => console.log(id, items.length);
              return <Row onSelect={onPick} />;
            }
        """,
    }, [PF103])
    [finding] = findings
    assert finding.level == "warning"
    assert finding.message == (
        "`onPick` (passed as `onSelect`) is a new function each render, so memoized `Row` ([definition](1)) "
        "re-renders every time. Wrap `onPick` in `useCallback(…, [items])`."
    )
    [related] = finding.related
    assert (related.span.path, related.span.line, related.span.col) == ("src/components/Row.tsx", 2, 20)
    assert (finding.span.line, finding.span.col, finding.span.end_col) == (4, 15, 32)
    assert finding.fix is not None and finding.fix.safe


COMPILER_APP = {
    "Chart.tsx": "import { memo } from 'react';\nexport const Chart = memo(function Chart() { return <svg />; });\n",
    "Report.tsx": """
        import { Chart } from "./Chart";
        export function Report({ data }) {
          return <Chart data={data} options={{ legend: false }} />;
        }
        export function Legacy({ data }) {
          "use no memo";
          return <Chart data={data} options={{ legend: true }} />;
        }
    """,
}


def test_react_compiler_steps_down_to_note_except_use_no_memo():
    findings = run({**COMPILER_APP, ".babelrc": '{ "plugins": ["babel-plugin-react-compiler"] }'},
                   [PF103])
    assert [(f.span.line, f.level) for f in findings] == [(3, "note"), (7, "warning")]
    assert "React Compiler" in findings[0].message and findings[0].fix is None


def test_react_compiler_setting_overrides_detection():
    config = Config()
    config.project_settings["react_compiler"] = "off"
    with_package = {**COMPILER_APP, "package.json": '{"dependencies": {"react-compiler-runtime": "1.0.0"}}'}
    assert [f.level for f in run(with_package, [PF103], config)] == ["warning", "warning"]
    config.project_settings["react_compiler"] = "on"
    assert [f.level for f in run(COMPILER_APP, [PF103], config)] == ["note", "warning"]


def test_compiler_is_scoped_to_its_package():
    react = make_index({
        "apps/web/package.json": '{"devDependencies": {"babel-plugin-react-compiler": "*"}}',
        "apps/web/src/A.tsx": "",
        "apps/admin/package.json": "{}",
        "apps/admin/src/B.tsx": "",
    })
    assert "apps/web/package.json" in react.compiler_for("apps/web/src/A.tsx")
    assert react.compiler_for("apps/admin/src/B.tsx") == ""


def test_pf102_dependency_and_provider_related_locations():
    findings = run({
        "Feed.tsx": """
            import { useEffect, createContext } from "react";
            const FeedContext = createContext(null);
            export function Feed({ source, children }) {
              const query = { source, limit: 20 };
              useEffect(() => subscribe(query), [query]);
              useEffect(() => log(query), [query, source]);
              return <FeedContext value={[query]}>{children}</FeedContext>;
            }
        """,
    }, [PF102])
    assert [(f.span.line, f.span.col) for f in findings] == [(4, 17), (7, 30)]
    first, provider = findings
    assert [r.span.line for r in first.related] == [5, 6]
    assert "([dependency array at line 5](1), [dependency array at line 6](2))" in first.message
    assert "Wrap `query` in `useMemo(…, [source])`" in first.message
    assert provider.related[0].span.line == 7 and "`FeedContext`" in provider.message


def test_pf102_fix_is_not_offered_after_an_early_return():
    findings = run({
        "List.tsx": """
            export function List({ items, hidden }) {
              if (hidden) return null;
              const sorted = [...items].sort();
              return <Virtuoso data={sorted} itemContent={(n, i) => <p>{i}</p>} />;
            }
        """,
    }, [PF102])
    [finding] = findings
    assert finding.span.line == 3 and finding.fix is None


def test_fixes_on_the_fixture_app_parse_and_silence_the_findings(monkeypatch):
    from perfscan.engine import run as run_paths
    from perfscan.fixes import apply_edits
    from tests.conftest import FIXTURES

    app = FIXTURES / "react-memo-app"
    monkeypatch.chdir(app)
    result = run_paths(["."], Config(select=("PF102", "PF103")))
    path = "src/features/board/TaskBoard.tsx"
    fixes = [f.fix for f in result.active if f.span.path == path and f.fix is not None]
    assert len(fixes) == 4  # ranked, pageTasks, membersById, handleToggle
    text = (app / path).read_text(encoding="utf-8")
    fixed = apply_edits(text, [edit for fix in fixes for edit in fix.edits])
    assert 'import { useCallback, useRef, useState, useMemo } from "react";' in fixed
    assert "const handleToggle = useCallback(function handleToggle(id: string) {" in fixed
    assert "}, [onChange, tasks]);" in fixed
    project = {p.relative_to(app).as_posix(): p.read_text(encoding="utf-8") for p in app.rglob("*") if p.is_file()}
    after = check_text({**project, path: fixed}, rules=[PF102, PF103]).findings
    assert not grammars.parse("tsx", fixed.encode()).root_node.has_error
    assert [(f.code, f.span.line) for f in after if f.span.path == path] == [("PF103", 46), ("PF103", 52)]


# -- memo identity: memo, observer, forwardRef, lazy, memo(Imported), type assertions, comparators, HOCs --

PARENT = """
    import { Row } from "./Row";
    export function List({ items }) {
      return items.map((i) => <Row key={i.id} item={i} style={{ gap: 1 }} onPick={() => pick(i.id)} />);
    }
"""


def pf103_props(row_module: str, config: Config | None = None, parent: str = PARENT) -> list:
    """The props PF103 reports when List renders the Row `row_module` exports."""
    findings = run({"List.tsx": parent, "Row.tsx": row_module}, [PF103], config)
    return sorted(f.properties["prop"] for f in findings if f.span.path == "List.tsx")


STATEFUL_PARENT = """
    import { useState } from "react";
    import { Row } from "./Row";
    export function List({ items }) {
      const [query, setQuery] = useState("");
      return (
        <>
          <input value={query} onChange={(e) => setQuery(e.target.value)} />
          {items.map((i) => <Row key={i.id} item={i} style={{ gap: 1 }} onPick={() => pick(i.id)} />)}
        </>
      );
    }
"""
TAGS_ROW = "function Row({ item }) { return <ul>{item.tags.map((t) => <li key={t}>{t}</li>)}</ul>; }"


def test_mobx_observer_is_memo_but_another_observer_is_not():
    mobx = f'import {{ observer }} from "mobx-react-lite";\nexport const Row = observer({TAGS_ROW});\n'
    assert pf103_props(mobx, parent=STATEFUL_PARENT) == ["onPick", "style"]
    aliased = f'import * as mobxReact from "mobx-react";\nconst RowImpl = {TAGS_ROW.replace("function Row", "function")};\n' \
              "export const Row = mobxReact.observer(RowImpl);\n"
    assert pf103_props(aliased, parent=STATEFUL_PARENT) == ["onPick", "style"]
    other = f'import {{ observer }} from "./my-observer";\nexport const Row = observer({TAGS_ROW});\n'
    assert pf103_props(other, parent=STATEFUL_PARENT) == []


def test_mobx_observer_child_is_reported_only_when_it_is_costly_and_the_parent_renders_often():
    """MobX puts `observer` on every component for its tracking, and an observer parent re-renders only
    when what it reads changes: reported when the child renders a list and the parent has state of its
    own, not given to the child, set per keystroke, pointer move or frame."""
    mobx = f'import {{ observer }} from "mobx-react-lite";\nexport const Row = observer({TAGS_ROW});\n'
    assert pf103_props(mobx) == []  # a parent without state of its own
    passed = STATEFUL_PARENT.replace("item={i} ", "item={i} query={query} ")
    assert pf103_props(mobx, parent=passed) == []  # the state goes to the row: it re-renders with it anyway
    leaf = 'import { observer } from "mobx-react-lite";\nexport const Row = observer(function Row() { return <li><b /></li>; });\n'
    assert pf103_props(leaf, parent=STATEFUL_PARENT) == []
    handler = ('import { observer } from "mobx-react";\n'
               "export const Row = observer(function Row({ item }) {\n"
               "  const open = () => item.tags.map((t) => <li key={t} />);\n  return <li onClick={open} />;\n});\n")
    assert pf103_props(handler, parent=STATEFUL_PARENT) == []  # the list is built in a handler
    fallback = STATEFUL_PARENT.replace("style={{ gap: 1 }}", "tags={i.tags ?? []}")
    assert pf103_props(mobx, parent=fallback) == ["onPick"]  # a new `[]` only while there is nothing to list
    # the setter named in onChange, or run from a local function named there
    assert pf103_props(mobx, parent=STATEFUL_PARENT.replace("(e) => setQuery(e.target.value)", "setQuery")) == ["onPick", "style"]
    named = STATEFUL_PARENT.replace("onChange={(e) => setQuery(e.target.value)}", "onChange={type}") \
        .replace("useState(\"\");", "useState(\"\");\n  const type = (e) => setQuery(e.target.value);")
    assert pf103_props(mobx, parent=named) == ["onPick", "style"]
    # a click sets the state: rare, nothing to report
    assert pf103_props(mobx, parent=STATEFUL_PARENT.replace("onChange=", "onClick=")) == []
    # React's memo is a request to skip renders, whatever the child costs
    memo = 'import { memo } from "react";\nexport const Row = memo(function Row() { return <li />; });\n'
    assert pf103_props(memo) == ["onPick", "style"]
    local = """
        import { useEffect, useState } from "react";
        import { observer } from "mobx-react-lite";
        const Leaf = observer(function Leaf() { return <i />; });
        const Tags = observer(({ tags }) => <ul>{tags.map((t) => <li key={t}>{t}</li>)}</ul>);
        export const Card = observer(function Card({ tags }) {
          const [open, setOpen] = useState(false);
          return <div onClick={() => setOpen(!open)}><Leaf onPick={() => pick()} /><Tags tags={tags} onPick={() => pick()} /></div>;
        });
    """
    assert run({"Card.tsx": local}, [PF103]) == []  # a modal-style flag set per click
    ticking = local.replace("  return <div", "  useEffect(() => { const t = setInterval(() => setOpen((o) => !o), 16); "
                                             "return () => clearInterval(t); }, []);\n  return <div")
    findings = run({"Card.tsx": ticking}, [PF103])
    assert [(f.properties["child"], f.span.line, f.level, f.properties["memoizedBy"]) for f in findings] == [
        ("Tags", 8, "warning", "observer")]
    assert "re-renders on `open`, set per keystroke, pointer move or frame" in findings[0].message
    scrolled = local.replace("const [open, setOpen] = useState(false);",
                             "const [open, setOpen] = useState(false);\n  const [top, setTop] = useState(0);") \
        .replace("<div onClick", "<div onScroll={(e) => setTop(e.currentTarget.scrollTop)} data-top={top} onClick")
    assert [f.properties["child"] for f in run({"Card.tsx": scrolled}, [PF103])] == ["Tags"]
    memo_findings = run({"Card.tsx": local.replace("const Tags = observer(", "const Tags = memo(")
                         .replace('import { useEffect, useState }', 'import { memo, useEffect, useState }')}, [PF103])
    assert [(f.properties["child"], f.level) for f in memo_findings] == [("Tags", "warning")]


def test_new_children_elements_are_reported_to_a_child_that_does_more_than_wrap_them():
    wrapper = 'import { memo } from "react";\nexport const Row = memo(function Row({ children }) { return <li>{children}</li>; });\n'
    parent = 'import { Row } from "./Row";\nexport function List({ n }) { return <Row><b>{n}</b></Row>; }\n'
    assert pf103_props(wrapper, parent=parent) == []
    # new children: the memo never hits, so an inline callback beside them is not worth a finding
    assert pf103_props(wrapper, parent=parent.replace("<Row>", "<Row onPick={() => pick(n)}>")) == []
    lister = 'import { memo } from "react";\n' \
             "export const Row = memo(function Row({ tags, children }) { return <li>{children}{tags.map((t) => <i key={t} />)}</li>; });\n"
    assert pf103_props(lister, parent=parent) == ["children"]


def test_type_assertion_and_memo_of_an_imported_component():
    asserted = ('import { memo } from "react";\nfunction RowImpl() { return <li />; }\n'
                "export const Row = memo(RowImpl) as typeof RowImpl;\n")
    assert pf103_props(asserted) == ["onPick", "style"]
    findings = run({
        "List.tsx": PARENT,
        "Row.tsx": 'import React from "react";\nimport RowImpl from "./RowImpl";\nexport const Row = React.memo(RowImpl);\n',
        "RowImpl.tsx": "export default function RowImpl() { return <li />; }\n",
    }, [PF103])
    assert sorted(f.properties["prop"] for f in findings) == ["onPick", "style"]
    assert {(r.span.path, r.span.line) for f in findings for r in f.related} == {("Row.tsx", 3)}


def test_forward_ref_alone_is_not_memo_but_inside_memo_it_is():
    plain = 'import { forwardRef } from "react";\nexport const Row = forwardRef((props, ref) => <li ref={ref} />);\n'
    assert pf103_props(plain) == []
    memoized = ('import { memo, forwardRef } from "react";\n'
                "export const Row = memo(forwardRef((props, ref) => <li ref={ref} />)) as any;\n")
    assert pf103_props(memoized) == ["onPick", "style"]


def test_lazy_follows_the_dynamic_import_to_its_default_export():
    parent = """
        import { lazy } from "react";
        const Row = lazy(() => import("./Row"));
        export function List({ items }) {
          return items.map((i) => <Row key={i.id} item={i} style={{ gap: 1 }} onPick={() => pick(i.id)} />);
        }
    """
    memoized = 'import { memo } from "react";\nfunction Row() { return <li />; }\nexport default memo(Row);\n'
    assert pf103_props(memoized, parent=parent) == ["onPick", "style"]
    plain = "export default function Row() { return <li />; }\n"
    assert pf103_props(plain, parent=parent) == []
    # exported from a barrel of lazy routes
    findings = run({
        "List.tsx": PARENT,
        "Row.tsx": 'import { lazy } from "react";\nexport const Row = lazy(() => import("./RowImpl"));\n',
        "RowImpl.tsx": memoized,
    }, [PF103])
    assert sorted(f.properties["prop"] for f in findings) == ["onPick", "style"]


def test_simple_comparator_names_the_compared_props_and_others_are_ignored():
    simple = ('import { memo } from "react";\nfunction RowImpl() { return <li />; }\n'
              "export const Row = memo(RowImpl, (prev, next) => prev.item === next.item && Object.is(prev.style, next.style));\n")
    assert pf103_props(simple) == ["style"]  # onPick is ignored by the comparator
    block = ('import { memo } from "react";\nfunction RowImpl() { return <li />; }\n'
             "export const Row = memo(RowImpl, function (a, b) { return a.onPick === b.onPick; });\n")
    assert pf103_props(block) == ["onPick"]
    opaque = ('import { memo } from "react";\nimport isEqual from "lodash/isEqual";\nfunction RowImpl() { return <li />; }\n'
              "export const Row = memo(RowImpl, (a, b) => isEqual(a, b));\n")
    assert pf103_props(opaque) == []
    local = """
        import { memo } from "react";
        const Cell = memo(function Cell(props) { return <td />; }, (p, n) => p.value === n.value);
        export function Grid({ rows }) {
          return rows.map((r) => <Cell key={r.id} value={{ v: r.v }} onEdit={() => edit(r.id)} />);
        }
    """
    findings = run({"Grid.tsx": local}, [PF103])
    assert [f.properties["prop"] for f in findings] == ["value"]


def test_configured_memo_wrappers_count_as_memo():
    hoc = ('import { withTracking } from "@acme/analytics";\nfunction RowImpl() { return <li />; }\n'
           "export default withTracking(RowImpl);\n")
    parent = PARENT.replace('import { Row } from "./Row";', 'import Row from "./Row";')
    assert pf103_props(hoc, parent=parent) == []
    config = Config()
    config.project_settings["memo_wrappers"] = ["withTracking"]
    assert pf103_props(hoc, config, parent=parent) == ["onPick", "style"]
    # the outermost wrapper decides: a listed HOC around a plain component, an unlisted one around memo
    outer_unlisted = ('import { memo } from "react";\nimport { withRouter } from "./router";\n'
                      "function RowImpl() { return <li />; }\nexport const Row = withRouter(memo(RowImpl));\n")
    assert pf103_props(outer_unlisted, config) == []
    local = """
        import { withTracking } from "@acme/analytics";
        const Cell = withTracking(function Cell() { return <td />; });
        export function Grid({ rows }) {
          return rows.map((r) => <Cell key={r.id} onEdit={() => edit(r.id)} />);
        }
    """
    assert len(run({"Grid.tsx": local}, [PF103], config)) == 1
    assert run({"Grid.tsx": local}, [PF103]) == []


def test_memo_wrappers_is_read_from_the_configuration_file(tmp_path):
    from perfscan.config import ConfigError, load_config

    good = tmp_path / "perfscan.toml"
    good.write_text('memo-wrappers = ["withTracking", "withErrorBoundary"]\n', encoding="utf-8")
    assert load_config(str(good)).project_settings["memo_wrappers"] == ["withTracking", "withErrorBoundary"]
    bad = tmp_path / "bad" / "perfscan.toml"
    bad.parent.mkdir()
    bad.write_text('memo-wrappers = "withTracking"\n', encoding="utf-8")
    try:
        load_config(str(bad))
    except ConfigError as error:
        assert "memo-wrappers" in str(error)
    else:
        raise AssertionError("a string where a list is expected was accepted")


def test_renders_list_is_jsx_built_per_item_during_render():
    from perfscan.facts.tsx import TsxFacts
    from tests.conftest import source_of

    facts = TsxFacts.build(source_of("src/Parts.tsx", """
        import { memo, useMemo } from "react";
        import { observer } from "mobx-react";
        export const Mapped = ({ xs }) => <ul>{xs.map((x) => <li key={x}>{x}</li>)}</ul>;
        export const Memoized = ({ xs }) => { const rows = useMemo(() => Array.from(xs, (x) => <b key={x} />), [xs]); return rows; };
        export const InHandler = ({ xs }) => <button onClick={() => alert(xs.map((x) => <i key={x} />))} />;
        export const Single = ({ x }) => <p>{[x].length}</p>;
        function ListImpl({ xs }) { return xs.flatMap((x) => [<dt key={x} />]); }
        export const List = observer(ListImpl);
        export const Plain = memo(function Plain() { return <p />; });
    """))
    by_name = {c.name: c for c in facts.components}
    assert {name: facts.renders_list(c) for name, c in by_name.items()} == {
        "Mapped": True, "Memoized": True, "InHandler": False, "Single": False, "ListImpl": True, "List": True,
        "Plain": False,
    }
    assert [facts.memo_wrapper(by_name[n]) for n in ("Mapped", "List", "Plain")] == ["", "observer", "memo"]
    exported = facts.summary()["exports"]
    assert (exported["List"]["component"]["renders_list"], exported["Plain"]["component"]["renders_list"]) == (True, False)
