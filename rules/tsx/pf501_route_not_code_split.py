"""PF501 route-not-code-split: a page imported statically and rendered only by one route of a router."""

from __future__ import annotations

from perfscan.facts import tsx as model
from perfscan.facts.tsx_routes import DATA_ROUTERS, route_entries
from perfscan.findings import Fix, Related, Span, TextEdit
from perfscan.react_imports import app_importers, imported_component_ref, resolved_module
from perfscan.react_values import named_imports_clause
from perfscan.rule import Rule, flag, ok

# A router with fewer page routes than this has little to split.
MIN_PAGE_ROUTES = 3
# Route elements that are not pages: redirects and the outlet of a layout.
NOT_PAGES = frozenset({"Navigate", "Redirect", "Outlet"})
# In-house redirects (`LegacyWorkflowsRedirect`, `DesktopRedirect`): small, and loading one on
# demand adds a round trip before the redirect happens.
REDIRECT_SUFFIX = "Redirect"
# Calls that mount the app: the file making them is an entry of the bundle.
ENTRY_CALLS = frozenset({"createRoot", "hydrateRoot", "render", "hydrate"})
MAX_RELATED_ROUTES = 5  # routes shown per page
MAX_RELATED = 200
MAX_NAMED_PAGES = 8  # pages named in the message; all are related locations


# The examples' routers are in the first bundle: the app imports them.
APP_USING_ROUTES = 'import { AppRoutes } from "./AppRoutes";\nexport const App = () => <AppRoutes />;\n'
MAIN_USING_ROUTER = 'import { router } from "./router";\ncreateRoot(root).render(<RouterProvider router={router} />);\n'


class RouteNotCodeSplit(Rule):
    code = "PF501"
    name = "route-not-code-split"
    languages = frozenset({"tsx"})
    level = "warning"
    tags = ("react", "bundle", "router", "startup")
    hot_path_only = True  # a router in a test renders in memory: no bundle is downloaded
    summary = ("A page component imported statically and rendered only by one route of a router ships in the "
               "first bundle: every visitor downloads and parses every page before the first one shows.")

    what_it_does = """
        Finds page components that a client-side router renders from a **static import** while
        the router has at least three page routes:

        - React Router JSX: `<Route path="/x" element={<Page />} />` (also `component={Page}`,
          and v5's `<Route path="/x"><Page /></Route>`) inside `<Routes>`, `<Switch>` or
          `createRoutesFromElements(...)`; a render prop (`render={() => <Page />}`) is not read;
        - React Router route objects given to `createBrowserRouter`, `createHashRouter` or
          `useRoutes`: `{ path: "x", element: <Page /> }`, `{ path: "x", Component: Page }`,
          also through constants, spreads and `children`;
        - TanStack Router code-based routes: `createRoute({ path: "/x", component: Page })`.

        **One finding per router file**, at the route of the first such page, naming the pages;
        each page's import and routes are related locations. The pages are one change to one
        file (usually one pull request), and a router of 40 pages would otherwise give 40
        findings saying the same thing; a page imported from a module that also gives other
        pages (`import { BuildRoute, DebugRoute } from "./gates"`) counts once per name.

        Not reported: pages loaded on demand (`React.lazy(() => import(...))`, a route's
        `lazy: () => import(...)`, TanStack's `lazyRouteComponent` or `.lazy(...)`); the landing
        page (the route at `/` and the index route of the top level); layouts (routes with child
        routes, whose component every child needs); redirects (`<Navigate>`, `<Redirect>` and
        components named `...Redirect`: small, and loading one on demand only delays the
        redirect); routers rendering in memory (`MemoryRouter`, `createMemoryRouter`: tests and
        stories); a router whose own file no module imports statically and which mounts nothing
        (it is loaded on demand already, as `lazy(() => import("./routes"))`: its pages are not
        in the first bundle); a page also used elsewhere in the router's file, or whose module another project file
        imports statically (outside tests and the router's other pages) — splitting it would gain
        nothing, as the bundler keeps the module where that import is; names imported from a
        module that the file also imports something else from. Routers that split by file are
        not route tables here: Next.js `pages/` and `app/`, Remix, React Router v7 framework mode
        (`app/routes.ts` naming files) and TanStack file routes (`createFileRoute`, split by the
        bundler plugin with `autoCodeSplitting`).
    """
    why_slow = """
        A bundler puts every module reached through static imports from the entry into the first
        chunk. A router that imports all its pages statically therefore makes every visitor
        download, parse and evaluate every page — its components, its charts, editors and date
        libraries — before the first page renders, although one visit shows a few of them. The
        first bundle grows with each page added; on a phone, parsing and compiling JavaScript
        costs about as much as downloading it, and it delays the first paint and the time until
        the page responds (LCP, INP). A dynamic `import()` per route makes each page its own
        chunk, fetched when the route is first visited (and cached after that).
    """
    how_to_measure = """
        - Build for production and look at the chunks: `vite build` prints each chunk's size
          (`rollup-plugin-visualizer` or `source-map-explorer dist/assets/*.js` show what is in
          it); webpack: `webpack-bundle-analyzer`. The page's modules are in the entry chunk.
        - Chrome DevTools, Coverage tab (Ctrl+Shift+P, "Show Coverage"), reload: the share of
          unused bytes of the main bundle on the first page.
        - Lighthouse (mobile): "Reduce unused JavaScript", and the total blocking time.
    """
    use_instead = """
        Load the page when its route is first visited:

        - JSX routes: `const Page = lazy(() => import("./Page"))` with a `<Suspense fallback={...}>`
          above the routes. For a named export: `lazy(() => import("./Page").then((m) => ({ default: m.Page })))`
          — it loads and evaluates the same module, React only needs the component as `default`.
        - Data routers (`createBrowserRouter`): the route's `lazy` property,
          `{ path: "x", lazy: () => import("./Page").then((m) => ({ Component: m.Page })) }`: the
          router loads the module with the route's data, no `Suspense` needed.
        - TanStack Router: `component: lazyRouteComponent(() => import("./Page"), "Page")`, or a
          `.lazy.tsx` route file.

        The fix (offered for JSX routes already inside a `<Suspense>` of the same file, and not
        applied by `--fix` on its own: it is marked unsafe) replaces the import with a
        `lazy(...)` constant. What changes: the page's module is evaluated on the first visit of
        its route instead of at startup, so a module that does something when imported
        (registers a store, sets up i18n, imports global CSS) does it later; the fallback shows
        while the chunk loads.
    """

    examples = (
        flag(
            """
            import { Suspense } from "react";
            import { Route, Routes } from "react-router-dom";
            import Home from "./pages/Home";
            import Reports from "./pages/Reports";
            import { Settings } from "./pages/Settings";

            export function AppRoutes() {
              return (
                <Suspense fallback={<p>Loading…</p>}>
                  <Routes>
                    <Route path="/" element={<Home />} />
                    <Route path="/reports" element={<Reports />} />
                    <Route path="/settings" element={<Settings />} />
                  </Routes>
                </Suspense>
              );
            }
            """,
            (12, 41),
            path="src/AppRoutes.tsx",
            files={
                "src/pages/Home.tsx": "export default function Home() { return <h1>Home</h1>; }\n",
                "src/pages/Reports.tsx": "export default function Reports() { return <h1>Reports</h1>; }\n",
                "src/pages/Settings.tsx": "export function Settings() { return <h1>Settings</h1>; }\n",
                "src/App.tsx": APP_USING_ROUTES,
            },
            fixed="""
            import { lazy, Suspense } from "react";
            import { Route, Routes } from "react-router-dom";
            import Home from "./pages/Home";
            const Reports = lazy(() => import("./pages/Reports"));
            const Settings = lazy(() => import("./pages/Settings").then((m) => ({ default: m.Settings })));

            export function AppRoutes() {
              return (
                <Suspense fallback={<p>Loading…</p>}>
                  <Routes>
                    <Route path="/" element={<Home />} />
                    <Route path="/reports" element={<Reports />} />
                    <Route path="/settings" element={<Settings />} />
                  </Routes>
                </Suspense>
              );
            }
            """,
            shown=True,
        ),
        flag(
            """
            import { createBrowserRouter } from "react-router-dom";
            import { RootLayout } from "./RootLayout";
            import { Dashboard } from "./Dashboard";
            import { Billing } from "./Billing";
            import { Team } from "./Team";

            export const router = createBrowserRouter([
              {
                path: "/",
                element: <RootLayout />,
                children: [
                  { index: true, element: <Dashboard /> },
                  { path: "billing", element: <Billing /> },
                  { path: "team", Component: Team },
                ],
              },
            ]);
            """,
            (13, 35),
            path="src/router.tsx",
            files={
                "src/RootLayout.tsx": "export function RootLayout() { return <main><Outlet /></main>; }\n",
                "src/Dashboard.tsx": "export function Dashboard() { return <h1>Dashboard</h1>; }\n",
                "src/Billing.tsx": "export function Billing() { return <h1>Billing</h1>; }\n",
                "src/Team.tsx": "export function Team() { return <h1>Team</h1>; }\n",
                "src/main.tsx": MAIN_USING_ROUTER,
            },
        ),
        flag(
            """
            import { createRootRoute, createRoute, createRouter } from "@tanstack/react-router";
            import { Home } from "./Home";
            import { About } from "./About";
            import { Pricing } from "./Pricing";

            const rootRoute = createRootRoute();
            const indexRoute = createRoute({ getParentRoute: () => rootRoute, path: "/", component: Home });
            const aboutRoute = createRoute({ getParentRoute: () => rootRoute, path: "/about", component: About });
            const pricingRoute = createRoute({ getParentRoute: () => rootRoute, path: "/pricing", component: Pricing });

            export const router = createRouter({ routeTree: rootRoute.addChildren([indexRoute, aboutRoute, pricingRoute]) });
            """,
            (8, 94),
            path="src/router.tsx",
            files={
                "src/Home.tsx": "export function Home() { return <h1>Home</h1>; }\n",
                "src/About.tsx": "export function About() { return <h1>About</h1>; }\n",
                "src/Pricing.tsx": "export function Pricing() { return <h1>Pricing</h1>; }\n",
                "src/main.tsx": MAIN_USING_ROUTER,
            },
        ),
        ok(
            """
            import { lazy, Suspense } from "react";
            import { createBrowserRouter } from "react-router-dom";
            import { Home } from "./Home";

            const Reports = lazy(() => import("./Reports"));

            export const router = createBrowserRouter([
              { path: "/", element: <Home /> },
              { path: "/reports", element: <Suspense fallback={null}><Reports /></Suspense> },
              { path: "/billing", lazy: () => import("./Billing").then((m) => ({ Component: m.Billing })) },
              { path: "/team", lazy: () => import("./Team") },
            ]);
            """,
            why="the landing page stays eager; the other pages load on demand (React.lazy, the route's lazy property)",
            path="src/router.tsx",
            files={
                "src/Home.tsx": "export function Home() { return <h1>Home</h1>; }\n",
                "src/Reports.tsx": "export default function Reports() { return <h1>Reports</h1>; }\n",
                "src/main.tsx": MAIN_USING_ROUTER,
            },
            shown=True,
        ),
        ok(
            """
            import { Route, Routes } from "react-router-dom";
            import { Home } from "./pages/Home";
            import { Search } from "./pages/Search";
            import { Profile } from "./pages/Profile";
            import { Inbox } from "./pages/Inbox";

            export function AppRoutes() {
              return (
                <>
                  <Search compact />
                  <Routes>
                    <Route path="/" element={<Home />} />
                    <Route path="/search" element={<Search />} />
                    <Route path="/profile" element={<Profile />} />
                    <Route path="/inbox" element={<Inbox />} />
                  </Routes>
                </>
              );
            }
            """,
            why="Search also renders outside the routes (always loaded); Profile's module is imported by "
                "src/Header.tsx, which loads with the app, and Inbox is re-exported by a barrel: splitting them gains nothing",
            path="src/AppRoutes.tsx",
            files={
                "src/pages/Home.tsx": "export function Home() { return <h1>Home</h1>; }\n",
                "src/pages/Search.tsx": "export function Search() { return <h1>Search</h1>; }\n",
                "src/pages/Profile.tsx": "export function Profile() { return <h1>Profile</h1>; }\n",
                "src/pages/Inbox.tsx": "export function Inbox() { return <h1>Inbox</h1>; }\n",
                "src/pages/index.ts": "export { Inbox } from './Inbox';\n",
                "src/Header.tsx": "import { Profile } from './pages/Profile';\nexport const Header = () => <Profile />;\n",
                "src/App.tsx": APP_USING_ROUTES,
            },
        ),
        ok(
            """
            import { MemoryRouter, Route, Routes } from "react-router-dom";
            import { render } from "@testing-library/react";
            import { Reports } from "./Reports";
            import { Billing } from "./Billing";
            import { Team } from "./Team";

            export function renderAt(url: string) {
              return render(
                <MemoryRouter initialEntries={[url]}>
                  <Routes>
                    <Route path="/reports" element={<Reports />} />
                    <Route path="/billing" element={<Billing />} />
                    <Route path="/team" element={<Team />} />
                  </Routes>
                </MemoryRouter>,
              );
            }
            """,
            why="a router rendering in memory (a test helper): no bundle is downloaded",
            path="src/testing/renderAt.tsx",
            files={
                "src/Reports.tsx": "export function Reports() { return <h1>Reports</h1>; }\n",
                "src/Billing.tsx": "export function Billing() { return <h1>Billing</h1>; }\n",
                "src/Team.tsx": "export function Team() { return <h1>Team</h1>; }\n",
            },
        ),
        ok(
            """
            import { type RouteConfig, index, route } from "@react-router/dev/routes";

            export default [
              index("routes/home.tsx"),
              route("reports", "routes/reports.tsx"),
              route("billing", "routes/billing.tsx"),
              route("team", "routes/team.tsx"),
            ] satisfies RouteConfig;
            """,
            why="React Router v7 framework mode: routes name files, which the Vite plugin splits",
            path="app/routes.ts",
        ),
    )

    def check(self, ctx):
        facts = ctx.facts
        entries = route_entries(facts)
        if not entries:
            return
        pages = {e.page_name or id(e) for e in entries
                 if not e.is_layout and not e.in_memory_router and (e.lazy or _is_page(e.page_name))}
        if len(pages) < MIN_PAGE_ROUTES:
            return
        candidates = _eager_pages(facts, entries)
        if not candidates or not _loads_at_startup(ctx):
            return
        _drop_used_elsewhere(facts, candidates)
        modules = _page_modules(ctx, candidates)
        eager = [(name, uses, modules[name]) for name, uses in candidates.items() if name in modules]
        if eager:
            eager.sort(key=lambda page: page[1][0].node.start_byte)
            self._report(ctx, eager, len(pages))

    def _report(self, ctx, eager, page_count):
        """One finding per router: the pages are one change to one file (usually one pull request),
        and a router of 40 pages would otherwise give 40 findings saying the same thing."""
        name, uses, (spec, imported, import_node, _defined_in) = eager[0]
        first = uses[0]
        advice = _advice(first, name, spec, imported)
        if len(eager) == 1:
            more = f" (and {len(uses) - 1} more route{'s' if len(uses) > 2 else ''})" if len(uses) > 1 else ""
            message = (f"`{name}` is imported statically ([import](1)) and rendered only by {_route_label(first)}{more}, "
                       f"so its module ships in the first bundle of this router's {page_count} page routes: every "
                       f"visitor downloads and parses it before any page shows. Load it on demand with {advice}.")
        else:
            names = ", ".join(f"`{page[0]}`" for page in eager[:MAX_NAMED_PAGES])
            if len(eager) > MAX_NAMED_PAGES:
                names += f" and {len(eager) - MAX_NAMED_PAGES} more"
            message = (f"{len(eager)} of this router's {page_count} page routes render a page imported statically "
                       f"and used nowhere else: {names}. Their modules ship in the first bundle: every visitor "
                       f"downloads and parses every one of these pages before any page shows. Load each on demand, "
                       f"e.g. `{name}` ([import](1), {_route_label(first)}) with {advice}.")
        related = []
        for page_name, page_uses, (_spec, _imported, page_import, _defined) in eager:
            related.append(Related(ctx.source.span(page_import), f"`{page_name}` imported statically"))
            related += [Related(ctx.source.span(use.page), f"`{page_name}` rendered by {_route_label(use)}")
                        for use in page_uses[:MAX_RELATED_ROUTES] if use is not first]
        fix = _lazy_fix(ctx, eager)
        ctx.report(first.page, message, related=related[:MAX_RELATED], fix=fix,
                   properties={"pages": [page[0] for page in eager],
                               "modules": [page[2][3] for page in eager], "router_pages": page_count})


def _loads_at_startup(ctx) -> bool:
    """Whether the router's file is in the first bundle: an app module imports it statically, or
    it is the entry itself (it mounts the app). A file no module imports statically is loaded on
    demand already (`lazy(() => import("./routes"))`), or not at all."""
    if app_importers(ctx.index, ctx.source.rel_path):
        return True
    return any(ctx.facts._callee_name(call) in ENTRY_CALLS for call in ctx.facts.calls)


def _is_page(name: str) -> bool:
    return bool(name) and name not in NOT_PAGES and not name.endswith(REDIRECT_SUFFIX)


def _is_landing(entry) -> bool:
    """The route at `/`, or the index route of the top level (or of a top-level layout)."""
    if entry.path in ("/", ""):
        return True
    return entry.index and (entry.parent is None or entry.parent.parent is None)


def _eager_pages(facts, entries) -> dict:
    """{page name: its route entries} for pages bound to a static import, rendered only by routes
    that are neither layouts, landing pages, lazy nor in a memory router."""
    by_name: dict = {}
    for entry in entries:
        if entry.page_name:
            by_name.setdefault(entry.page_name, []).append(entry)
    candidates = {}
    for name, uses in by_name.items():
        if not _is_page(name):
            continue
        binding = facts.module_scope.get(name)
        if binding is None or binding.kind != model.IMPORT or name not in facts.imports:
            continue
        if facts.text(binding.node).startswith("import type"):
            continue
        if any(e.is_layout or e.lazy or e.in_memory_router or _is_landing(e) for e in uses):
            continue
        candidates[name] = uses
    return candidates


def _drop_used_elsewhere(facts, candidates: dict) -> None:
    """Drop pages named anywhere but their import and their routes: a page rendered or read
    outside the routes loads with the router anyway."""
    allowed: dict = {}
    for name, uses in candidates.items():
        binding = facts.module_scope[name]
        ranges = [(binding.node.start_byte, binding.node.end_byte)]
        for use in uses:
            node = use.page
            if node.type == "jsx_opening_element" and node.parent is not None:
                node = node.parent  # `<Page>...</Page>`: the closing tag names it too
            ranges.append((node.start_byte, node.end_byte))
        allowed[name] = ranges
    used_elsewhere = set()
    cursor = facts.source.tree.walk()
    reached_root = False
    while not reached_root:
        node = cursor.node
        if node.type in ("identifier", "shorthand_property_identifier") and node.end_byte - node.start_byte < 80:
            text = facts.text(node)
            ranges = allowed.get(text)
            if ranges is not None and not any(start <= node.start_byte < end for start, end in ranges):
                used_elsewhere.add(text)
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                reached_root = True
                break
    for name in used_elsewhere:
        del candidates[name]


def _page_modules(ctx, candidates: dict) -> dict:
    """{page name: (spec, imported name, import statement, defining file)} for the pages worth
    splitting: a project component, whose module this file imports for its pages only and no
    other app module imports statically (the router's other pages aside)."""
    facts = ctx.facts
    rel_path = ctx.source.rel_path
    modules = {}
    for name in candidates:
        spec, imported = facts.imports[name]
        if imported == "*":
            continue
        ref = imported_component_ref(ctx.index, rel_path, name)
        target = resolved_module(ctx.index, rel_path, spec)
        if ref is None or target is None:
            continue
        modules[name] = (spec, imported, facts.module_scope[name].node, ref.path, target)
    while True:
        # Every name this file imports from a page's module must be a page split with it.
        specs_ok = {}
        for local, (spec, _imported) in facts.imports.items():
            specs_ok[spec] = specs_ok.get(spec, True) and local in modules
        page_files = {entry[3] for entry in modules.values()} | {entry[4] for entry in modules.values()}
        keep = {}
        for name, entry in modules.items():
            spec, _imported, _node, defined_in, target = entry
            if not specs_ok.get(spec, False) or target != defined_in:
                continue  # a barrel: it imports the page statically, wherever it is used
            others = [p for p in app_importers(ctx.index, defined_in) if p != rel_path and p not in page_files]
            if others:
                continue
            keep[name] = entry
        if len(keep) == len(modules):
            break
        modules = keep
    return {name: entry[:4] for name, entry in modules.items()}


def _route_label(entry) -> str:
    if entry.path is not None:
        return f'the route "{entry.path}"'
    if entry.index:
        parent = entry.parent
        return f'the index route of "{parent.path}"' if parent is not None and parent.path else "an index route"
    return "a route"


def _advice(entry, name: str, spec: str, imported: str) -> str:
    """How to load the page of `entry` on demand, in the form its router takes."""
    module = f'import("{spec}")'
    if entry.form == "object" and entry.router in DATA_ROUTERS:
        part = "m.default" if imported == "default" else f"m.{imported}"
        if entry.bare:
            return (f"the route's `lazy` property, `lazy: () => {module}.then((m) => ({{ Component: {part} }}))` "
                    f"(the router loads it with the route's data, no `Suspense` needed)")
        return (f"the route's `lazy` property returning its element, `lazy: async () => {{ const m = await {module}; "
                f"return {{ element: ... }}; }}`")
    if entry.form == "tanstack":
        export = "" if imported == "default" else f', "{imported}"'
        return f"`component: lazyRouteComponent(() => {module}{export})`"
    return f"`const {name} = lazy(() => {_lazy_import(spec, imported)})` inside a `<Suspense>`"


def _lazy_import(spec: str, imported: str, quote: str = '"') -> str:
    module = f"import({quote}{spec}{quote})"
    if imported == "default":
        return module
    return f"{module}.then((m) => ({{ default: m.{imported} }}))"


def _lazy_fix(ctx, eager):
    """Replace each page's import with `const Page = lazy(() => import(...))`, for pages whose
    JSX routes a `<Suspense>` of this file already wraps (elsewhere, where a fallback would show
    is unknown). Unsafe: the module is now evaluated on the first visit of the route, not at
    startup. None when no page qualifies."""
    facts, source = ctx.facts, ctx.source
    lazy_call, add_import = _lazy_name(facts)
    statements = [c for c in source.tree.root_node.named_children if c.type == "import_statement"]
    last = _whole_lines(source, statements[-1]) if statements else None
    if lazy_call is None or last is None:
        return None
    path = source.rel_path
    edits, fixed = [], []
    for name, uses, (spec, imported, import_node, _defined_in) in eager:
        if not all(use.form == "jsx" and use.in_suspense for use in uses):
            continue
        if sum(1 for other in facts.imports.values() if other[0] == spec) != 1:
            continue  # an import statement naming several pages: left for a person to split
        whole = _whole_lines(source, import_node)
        if whole is None:
            continue
        source_node = import_node.child_by_field_name("source")
        quote = facts.text(source_node)[:1] if source_node is not None else '"'
        edits.append(TextEdit(Span(path, whole[0], 1, whole[1] + 1, 1), ""))
        edits.append(TextEdit(Span(path, last[1] + 1, 1, last[1] + 1, 1),
                              f"const {name} = {lazy_call}(() => {_lazy_import(spec, imported, quote)});\n"))
        fixed.append(name)
    if not fixed:
        return None
    if add_import:
        edits.append(_import_lazy(source, statements, quote))
    pages = ", ".join(f"`{name}`" for name in fixed)
    return Fix(f"Load {pages} with `{lazy_call}(() => import(...))`", tuple(edits), safe=False)


def _import_lazy(source, statements, quote) -> TextEdit:
    """`lazy, ` added to the file's `import { ... } from "react"`, else a new import line before
    the first import (every page's fix makes the same edit: it is applied once)."""
    for statement in statements:
        spec = statement.child_by_field_name("source")
        named = named_imports_clause(statement)
        first = next((c for c in named.named_children if c.type == "import_specifier"), None) if named is not None else None
        if spec is not None and source.node_text(spec)[1:-1] == "react" and first is not None \
                and not source.node_text(statement).startswith("import type"):
            line, col, _, _ = source.position(first)
            return TextEdit(Span(source.rel_path, line, col, line, col), "lazy, ")
    line = statements[0].start_point[0] + 1
    return TextEdit(Span(source.rel_path, line, 1, line, 1), f"import {{ lazy }} from {quote}react{quote};\n")


def _lazy_name(facts):
    """(how to call React.lazy here, whether `import { lazy } from "react"` must be added)."""
    react_default = None
    for local, (spec, imported) in facts.imports.items():
        if spec in model.REACT_MODULES:
            if imported == "lazy":
                return local, False
            if imported in ("default", "*"):
                react_default = local
    if react_default is not None:
        return f"{react_default}.lazy", False
    if "lazy" in facts.module_scope:
        return None, False  # the name is taken (an in-house `lazy`): leave the file alone
    return "lazy", True


def _whole_lines(source, node):
    """(first, last) 1-based lines of a statement that fills them alone, with a line after it."""
    start_row, start_col = node.start_point
    end_row, end_col = node.end_point
    if start_col != 0 or end_row + 1 >= len(source.lines):
        return None
    if source.byte_lines[end_row][end_col:].strip():
        return None
    return start_row + 1, end_row + 1
