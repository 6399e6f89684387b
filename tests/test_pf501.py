"""PF501 route-not-code-split: the route table reader, what keeps a page out, the message and the fix."""

from __future__ import annotations

import textwrap

from perfscan.engine import check_text
from perfscan.fixes import apply_edits
from perfscan.rules import rule_by_code_or_name

RULE = rule_by_code_or_name("PF501")
APP = 'import { AppRoutes } from "./AppRoutes";\nexport const App = () => <AppRoutes />;\n'
PAGES = {f"src/pages/{name}.tsx": f"export function {name}() {{ return <h1>{name}</h1>; }}\n"
         for name in ("Home", "Search", "Profile", "Inbox", "Billing", "Team")}

ROUTES = """
import {{ Route, Routes }} from "react-router-dom";
import {{ Home }} from "./pages/Home";
import {{ Search }} from "./pages/Search";
import {{ Profile }} from "./pages/Profile";
import {{ Inbox }} from "./pages/Inbox";

export function AppRoutes() {{
  {extra}
  return (
    <Routes>
      <Route path="/" element={{<Home />}} />
      <Route path="/search" element={{<Search />}} />
      <Route path="/profile" element={{<Profile />}} />
      <Route path="/inbox" element={{<Inbox />}} />
    </Routes>
  );
}}
"""


def findings(files: dict, path: str = "src/AppRoutes.tsx"):
    files = {p: textwrap.dedent(t).lstrip("\n") for p, t in files.items()}
    result = check_text(files, rules=[RULE])
    return [f for f in result.findings if f.code == "PF501" and f.span.path == path]


def routes(extra: str = "", **more) -> dict:
    return {"src/AppRoutes.tsx": ROUTES.format(extra=extra), "src/App.tsx": APP, **PAGES, **more}


def test_one_finding_per_router_naming_each_page_with_imports_and_routes_related():
    (finding,) = findings(routes())
    assert (finding.span.line, finding.span.col) == (12, 38)
    assert finding.message.startswith("3 of this router's 4 page routes render a page imported statically and used "
                                      "nowhere else: `Search`, `Profile`, `Inbox`.")
    assert 'e.g. `Search` ([import](1), the route "/search") with `const Search = lazy(() => import("./pages/Search")' \
           '.then((m) => ({ default: m.Search })))` inside a `<Suspense>`.' in finding.message
    assert [(r.span.line, r.message) for r in finding.related] == [
        (3, "`Search` imported statically"),
        (4, "`Profile` imported statically"), (13, '`Profile` rendered by the route "/profile"'),
        (5, "`Inbox` imported statically"), (14, '`Inbox` rendered by the route "/inbox"'),
    ]
    assert finding.properties["pages"] == ["Search", "Profile", "Inbox"]
    assert finding.properties["modules"] == ["src/pages/Search.tsx", "src/pages/Profile.tsx", "src/pages/Inbox.tsx"]
    assert finding.fix is None  # no <Suspense> around the routes in this file: where a fallback shows is unknown


def test_each_reason_keeps_one_page_out():
    names = lambda found: found[0].properties["pages"] if found else []  # noqa: E731
    # rendered outside the routes too
    assert names(findings(routes(extra="const preview = <Search compact />;"))) == ["Profile", "Inbox"]
    # imported by another app module (loaded with the app): the bundler keeps it in that chunk
    header = {"src/Header.tsx": "import { Profile } from './pages/Profile';\nexport const H = () => <Profile />;\n"}
    assert names(findings(routes(**header))) == ["Search", "Inbox"]
    # ... but a test or a story importing it does not count, nor does a sibling page of the router
    tests = {"src/pages/Profile.test.tsx": "import { Profile } from './Profile';\n",
             "src/pages/Inbox.tsx": "import { Search } from './Search';\nexport function Inbox() { return <Search />; }\n"}
    assert names(findings(routes(**tests))) == ["Search", "Profile", "Inbox"]
    # re-exported by a barrel
    barrel = {"src/pages/index.ts": "export { Inbox } from './Inbox';\n"}
    assert names(findings(routes(**barrel))) == ["Search", "Profile"]


def test_router_file_loaded_on_demand_or_too_small_is_quiet():
    no_importer = routes()
    del no_importer["src/App.tsx"]
    assert findings(no_importer) == []  # `lazy(() => import("./AppRoutes"))` elsewhere: already split
    mounted = routes(extra="")
    del mounted["src/App.tsx"]
    mounted["src/AppRoutes.tsx"] += 'createRoot(document.getElementById("root")!).render(<AppRoutes />);\n'
    assert findings(mounted)[0].properties["pages"] == ["Search", "Profile", "Inbox"]  # the entry itself
    small = {"src/AppRoutes.tsx": """
        import { Route, Routes } from "react-router-dom";
        import { Home } from "./pages/Home";
        import { Search } from "./pages/Search";
        export const AppRoutes = () => (
          <Routes>
            <Route path="/" element={<Home />} />
            <Route path="/search" element={<Search />} />
            <Route path="/old" element={<Navigate to="/search" />} />
          </Routes>
        );
        """, "src/App.tsx": APP, **PAGES}
    assert findings(small) == []  # two page routes (a redirect is not a page)


def test_layouts_nested_index_routes_and_wrapped_elements():
    router = """
        import { createBrowserRouter } from "react-router-dom";
        import { Home } from "./pages/Home";
        import { Search } from "./pages/Search";
        import { Profile } from "./pages/Profile";
        import { Inbox } from "./pages/Inbox";
        import { Billing } from "./pages/Billing";
        import { Team } from "./pages/Team";

        const settingsRoutes = [{ index: true, element: <Billing /> }, { path: "team", element: <RequireAdmin><Team /></RequireAdmin> }];

        export const router = createBrowserRouter([
          {
            path: "/app",
            element: <Home />,
            children: [
              { index: true, element: <Search /> },
              { path: "inbox", element: <Inbox />, children: [{ path: ":id", element: <Profile tab="x" /> }] },
              { path: "settings", children: settingsRoutes },
            ],
          },
        ]);
        """
    main = {"src/main.tsx": 'import { router } from "./router";\n'}
    (finding,) = findings({"src/router.tsx": router, **PAGES, **main}, path="src/router.tsx")
    # Home and Inbox are layouts, Search the top level's index route: not split; Billing is the
    # index of a nested route, a page like any other
    assert finding.properties["pages"] == ["Billing", "Team", "Profile"]
    assert "the route's `lazy` property, `lazy: () => import(\"./pages/Billing\").then((m) => ({ Component: m.Billing }))`" \
        in finding.message
    assert 'e.g. `Billing` ([import](1), the index route of "settings")' in finding.message
    assert [r.message for r in finding.related if "rendered" in r.message] == [
        '`Team` rendered by the route "team"', '`Profile` rendered by the route ":id"']


def test_lazy_forms_and_file_routes_are_not_pages_to_split():
    router = """
        import { lazy } from "react";
        import { createBrowserRouter } from "react-router-dom";
        import { Search } from "./pages/Search";
        const Inbox = lazy(() => import("./pages/Inbox"));
        export const router = createBrowserRouter([
          { path: "/", element: <Search /> },
          { path: "/inbox", element: <Inbox /> },
          { path: "/team", lazy: () => import("./pages/Team") },
          { path: "/billing", lazy: () => import("./pages/Billing") },
        ]);
        """
    main = {"src/main.tsx": 'import { router } from "./router";\n'}
    assert findings({"src/router.tsx": router, **PAGES, **main}, path="src/router.tsx") == []
    file_route = """
        import { createFileRoute } from "@tanstack/react-router";
        import { Search } from "../pages/Search";
        export const Route = createFileRoute("/search")({ component: Search });
        """
    assert findings({"src/routes/search.tsx": file_route, **PAGES}, path="src/routes/search.tsx") == []


def test_fix_inside_suspense_reuses_the_react_import_and_keeps_multi_name_imports():
    code = """
        import React, { Suspense } from "react";
        import { Route, Switch } from "react-router-dom";
        import Home from "./pages/Home";
        import Search from "./pages/Search";
        import { Billing, Team } from "./pages/settings";

        export function AppRoutes() {
          return (
            <Suspense fallback={null}>
              <Switch>
                <Route exact path="/" component={Home} />
                <Route path="/search" component={Search} />
                <Route path="/billing" component={Billing} />
                <Route path="/team" component={Team} />
              </Switch>
            </Suspense>
          );
        }
        """
    files = {"src/AppRoutes.tsx": code, "src/App.tsx": APP,
             "src/pages/Home.tsx": "export default function Home() { return <main />; }\n",
             "src/pages/Search.tsx": "export default function Search() { return <main />; }\n",
             "src/pages/settings.tsx": "export function Billing() { return <main />; }\nexport function Team() { return <main />; }\n"}
    (finding,) = findings(files)
    assert finding.properties["pages"] == ["Search", "Billing", "Team"]
    assert finding.fix is not None and not finding.fix.safe
    assert finding.fix.description == "Load `Search` with `React.lazy(() => import(...))`"
    fixed = apply_edits(textwrap.dedent(code).lstrip("\n"), finding.fix.edits)
    assert fixed.splitlines()[:5] == [
        'import React, { Suspense } from "react";',
        'import { Route, Switch } from "react-router-dom";',
        'import Home from "./pages/Home";',
        'import { Billing, Team } from "./pages/settings";',
        'const Search = React.lazy(() => import("./pages/Search"));',
    ]


def test_tests_and_memory_routers_are_quiet():
    assert findings({"src/AppRoutes.test.tsx": ROUTES.format(extra=""), **PAGES}, path="src/AppRoutes.test.tsx") == []


def test_redirect_components_are_not_pages():
    code = ROUTES.format(extra="").replace("Inbox", "DesktopRedirect")
    files = {"src/AppRoutes.tsx": code, "src/App.tsx": APP, **PAGES,
             "src/pages/DesktopRedirect.tsx": "export function DesktopRedirect() { return <main />; }\n"}
    (finding,) = findings(files)
    assert finding.properties["pages"] == ["Search", "Profile"]
    assert finding.properties["router_pages"] == 3


def test_react_router_v5_children_and_component_props():
    code = """
        import { Route, Switch } from "react-router-dom";
        import { Home } from "./pages/Home";
        import { Search } from "./pages/Search";
        import { Profile } from "./pages/Profile";
        import { Inbox } from "./pages/Inbox";
        export const AppRoutes = () => (
          <Switch>
            <Route exact path="/"><Home /></Route>
            <Route path="/search"><Search /></Route>
            <Route path="/profile" component={Profile} />
            <Route path="/inbox" render={() => <Inbox />} />
          </Switch>
        );
        """
    (finding,) = findings({"src/AppRoutes.tsx": code, "src/App.tsx": APP, **PAGES})
    assert (finding.span.line, finding.span.col) == (9, 27)
    assert finding.properties["pages"] == ["Search", "Profile"]  # a render prop is not read
