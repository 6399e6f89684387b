"""PF102 precision on real apps (issue 12): React 19 context providers, the React Compiler's
`"use memo"` and `compilationMode`, fixes only where they keep behaviour, and cost, not shape."""

from __future__ import annotations

import textwrap

from perfscan.checker import partial_parse_notification
from perfscan.engine import check_text
from perfscan import grammars
from perfscan.rules import rule_by_code_or_name
from perfscan.source import SourceFile

PF102 = rule_by_code_or_name("PF102")

PROVIDER = """
    import { ThemeContext } from "./theme";
    export function ThemeProvider({ children }) {
      const [menuOpen, setMenuOpen] = useState(false);
      const value = { dark: true };
      return <ThemeContext value={value}><Menu open={menuOpen} onToggle={setMenuOpen} />{children}</ThemeContext>;
    }
"""


def run(files: dict):
    files = {path: textwrap.dedent(text).lstrip("\n") for path, text in files.items()}
    return check_text(files, rules=[PF102]).findings


def test_react_19_context_rendered_as_its_provider_unless_react_is_older():
    assert [(f.span.line, f.level) for f in run({"App.tsx": PROVIDER})] == [(4, "warning")]
    assert run({"App.tsx": PROVIDER, "package.json": '{"dependencies": {"react": "^18.2.0"}}'}) == []
    assert len(run({"App.tsx": PROVIDER, "package.json": '{"dependencies": {"react": "19.1.0"}}'})) == 1
    # a name a prop gives is not known to be a context
    assert run({"App.tsx": "export function A({ MyContext }) { return <MyContext value={{ a: 1 }} />; }\n"}) == []


def test_context_value_fallbacks_regex_and_jsx():
    findings = run({"App.tsx": """
        export function A({ theme, children }) {
          const value = theme.current || {};
          return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
        }
        export function B({ children }) {
          const re = /x/;
          return <Ctx.Provider value={re}>{children}</Ctx.Provider>;
        }
        export function C({ children }) {
          return <Ctx.Provider value={<Icon />}>{children}</Ctx.Provider>;
        }
    """})
    assert [f.span.line for f in findings] == [2, 6, 10]
    assert "a new regular expression" in findings[1].message


def provider_levels(body: str, extra: str = "") -> list:
    """(line, level) of PF102's findings on the provider component `body` (indented code)."""
    source = f"import {{ useState }} from \"react\";\nimport {{ Ctx }} from \"./ctx\";\n{extra}" \
             f"export function Provider({{ children }}) {{\n{textwrap.dedent(body)}}}\n"
    return [(f.span.line, f.level) for f in run({"App.tsx": source})]


def test_a_new_context_value_is_a_warning_only_when_a_consumer_would_be_spared_a_render():
    """A new value matters when the provider re-renders for a reason the value does not hold while
    something under it would not re-render with it: `children` from outside, a memoized component."""
    stateless = "return <Ctx.Provider value={{ dark: true }}>{children}</Ctx.Provider>;\n"
    assert provider_levels(stateless) == [(4, "note")]
    [note] = run({"App.tsx": f"export function P({{ children }}) {{ {stateless} }}\n"})
    assert "keeps no state or hook result out of the value" in note.message
    # all the state goes into the value: a new value only when its contents change
    themed = "const [theme, setTheme] = useState(\"dark\");\nreturn <Ctx.Provider value={{ theme, setTheme }}>{children}</Ctx.Provider>;\n"
    assert provider_levels(themed) == [(5, "note")]
    # state left out of the value, children kept from outside: consumers among them re-render for nothing
    menu = "const [open, setOpen] = useState(false);\nconst value = { dark: true };\n" \
           "return <Ctx.Provider value={value}><Menu open={open} onToggle={setOpen} />{children}</Ctx.Provider>;\n"
    assert provider_levels(menu) == [(5, "warning")]
    # everything under it built in this render: its consumers re-render with it anyway...
    built_here = menu.replace("{children}", "<Page />")
    [(line, level)] = provider_levels(built_here)
    assert (line, level) == (5, "note")
    assert "built in the same render" in run({"App.tsx": "import { useState } from \"react\";\nimport { Ctx } from \"./ctx\";\n"
                                              f"export function Provider() {{\n{built_here}}}\n"})[0].message
    # ...unless one of them is memoized
    memoized = "import { memo } from \"react\";\nconst Page = memo(function Page() { return <main />; });\n"
    assert provider_levels(built_here, extra=memoized) == [(7, "warning")]
    # a hook result bound to a name the value does not read, or a hook of this file digesting another hook's result
    query = "const { data, isFetching } = useQuery(\"me\");\nreturn <Ctx.Provider value={{ data }}>{children}</Ctx.Provider>;\n"
    assert provider_levels(query) == [(5, "warning")]
    assert provider_levels(query.replace(", isFetching", "")) == [(5, "note")]
    assert provider_levels(query.replace("{ data, isFetching }", "{ data: me = {} }").replace("{{ data }}", "{{ me }}")) == [(5, "note")]
    digest = "function useIsEditing() { const match = useMatch(\"/edit\"); return Boolean(match); }\n"
    editing = "const editing = useIsEditing();\nreturn <Ctx.Provider value={{ editing }}>{children}</Ctx.Provider>;\n"
    assert provider_levels(editing, extra=digest) == [(6, "warning")]
    assert provider_levels(editing) == [(5, "note")]  # an imported hook: taken to re-render with its result


def test_use_memo_directive_is_compiler_use_and_annotation_mode_compiles_only_marked_functions():
    marked = PROVIDER.replace("{ children }) {", '{ children }) {\n      "use memo";', 1)
    [finding] = run({"App.tsx": marked})
    assert finding.level == "note" and "use memo" in finding.message and finding.fix is None
    annotation = {".babelrc": '{ "plugins": [["babel-plugin-react-compiler", { "compilationMode": "annotation" }]] }'}
    [unmarked] = run({"App.tsx": PROVIDER, **annotation})
    assert unmarked.level == "warning"
    [compiled] = run({"App.tsx": marked, **annotation})
    assert compiled.level == "note" and ".babelrc" in compiled.message
    [infer] = run({"App.tsx": PROVIDER, ".babelrc": '{ "plugins": ["babel-plugin-react-compiler"] }'})
    assert infer.level == "note"


def test_no_use_memo_fix_in_mobx_observer_or_class_components():
    findings = run({"App.tsx": """
        import React from "react";
        import { observer } from "mobx-react-lite";
        export const Cart = observer(function Cart({ store }) {
          const lines = [...store.lines].sort(byPosition);
          return <Virtuoso data={lines} />;
        });
        function Basket({ store }) {
          const lines = [...store.lines].sort(byPosition);
          return <Virtuoso data={lines} />;
        }
        export default observer(Basket);
        export class Board extends React.Component {
          render() {
            const cards = [...this.props.cards].sort(byRank);
            return <FixedSizeList itemData={cards} />;
          }
        }
        export function Plain({ rows }) {
          const sorted = [...rows].sort(byRank);
          return <Virtuoso data={sorted} />;
        }
    """})
    assert [f.span.line for f in findings] == [4, 8, 14, 19]
    for finding in findings[:2]:
        assert finding.fix is None and "MobX `computed`" in finding.message and "Wrap" not in finding.message
    assert findings[2].fix is None and "class component cannot use `useMemo`" in findings[2].message
    assert findings[3].fix is not None and "Wrap `sorted` in `useMemo" in findings[3].message


def test_short_inputs_and_lazy_initializers_are_not_costly():
    findings = run({"App.tsx": """
        import { useState } from "react";
        export function Noise({ title, rows, label }) {
          const [order] = useState(() => [...rows].sort(byRank));
          const letters = [...title].sort();
          const chars = label.split("").sort();
          const sizes = { small: 1, large: 2 };
          const names = Object.keys(sizes).sort();
          const steps = ["b", "a", "c"];
          const sorted = [...steps].sort();
          const top = rows.slice(0, 5).sort(byRank);
          const pairs = steps.map((s) => rows.filter((r) => r.step === s));
          const real = [...rows].sort(byRank);
          const many = rows.slice(0, 500).sort(byRank);
          return <FixedSizeList a={[order, letters, chars, names, sorted, top, pairs, real, many]} />;
        }
    """})
    assert [f.span.line for f in findings] == [12, 13]


def test_sorts_and_searches_are_reported_only_where_the_component_shows_long_lists():
    """Below a few thousand items a sort or a nested search costs well under a millisecond: reported
    (as a warning) only in a component rendering a virtualized list or reading an infinite query."""
    plain = """
        export function Runs({ runs, tags }) {
          const sorted = [...runs].sort(byDate);
          const tagged = sorted.map((r) => ({ ...r, tag: tags.find((t) => t.id === r.tagId) }));
          return <ul>{tagged.map((r) => <li key={r.id}>{r.tag?.name}</li>)}</ul>;
        }
    """
    assert run({"App.tsx": plain}) == []
    infinite = plain.replace("({ runs, tags }) {", "({ tags }) {\n  const runs = useInfiniteRunsQuery().data.pages.flat();")
    findings = run({"App.tsx": infinite})
    assert [(f.span.line, f.level) for f in findings] == [(3, "warning"), (4, "warning")]
    assert "calls `useInfiniteRunsQuery` (pages of an infinite query" in findings[0].message
    virtual = plain.replace("<ul>{tagged.map((r) => <li key={r.id}>{r.tag?.name}</li>)}</ul>", "<Virtuoso data={tagged} />")
    assert [f.span.line for f in run({"App.tsx": virtual})] == [2, 3]
    assert "renders a virtualized list (`<Virtuoso>`)" in run({"App.tsx": virtual})[0].message


def _notification(language: str, text: str) -> str:
    data = text.encode()
    source = SourceFile(path="/p/a", rel_path="a", language=language, data=data, text=text)
    source.tree = grammars.parse(language, data)
    return partial_parse_notification(source).message


def test_partial_parse_names_the_construct_the_parser_cannot_read():
    assert "cannot read a bare `&` in JSX text, which is valid code" in \
        _notification("tsx", "export const B = () => <p>Terms & conditions</p>;\n")
    assert "styled-components generic" in _notification("tsx", 'const Box = styled.div<{ on: boolean }>`\n  color: red;\n`;\n')
    spanning = 'const Box = styled(Flex)<{\n  /** the size */\n  size: number;\n}>`\n  width: 100%;\n`;\n'
    assert "styled-components generic" in _notification("tsx", spanning)
    configured = spanning.replace("styled(Flex)", 'styled.div.withConfig({ shouldForwardProp: (p) => !["size"].includes(p) })')
    assert "styled-components generic" in _notification("tsx", configured)
    assert "`typeof import(" in _notification("typescript", 'const m = await load<typeof import("x")>();\n')
    multiline = 'async function f() {\n  const actual =\n    await vi.importActual<typeof import("y")>(\n      "y",\n    );\n}\n'
    assert "`typeof import(" in _notification("typescript", multiline)
    assert "a bare `&` in a JSX attribute string" in \
        _notification("tsx", 'export const A = () => <a href="https://x.com/?a=1&b=2">x</a>;\n')
    assert _notification("typescript", "const = = 3;\n").startswith("syntax error: file parsed partially")
