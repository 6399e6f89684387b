"""PF503 whole-library-import: an import that puts a whole heavy library in the browser bundle
where importing only the functions used would do."""

from __future__ import annotations

import re

from perfscan.bundle_index import files_importing, import_rewriter_for, installed_package_shape, not_shipped_reason
from perfscan.findings import Fix, Related, TextEdit
from perfscan.react_values import compiler_directives, short_text
from perfscan.rule import Rule, flag, ok

# CommonJS builds: any import of them, named ones included, brings the whole library, since a
# bundler cannot drop what a CommonJS module does not use. {specifier: per-function module}.
COMMONJS_WHOLE = {
    "lodash": "lodash/{name}",
    "lodash/fp": "lodash/fp/{name}",
}
# ES module barrels of many independent modules (icon sets, utility and date libraries): named
# imports and static members of a namespace import (`Icons.Plus`) are tree-shaken by every
# current bundler; a default import, or a namespace read by a computed name or passed on as a
# value, keeps every export. {specifier or "prefix/*": what it holds}.
ESM_BARRELS = {
    "lucide-react": "icons", "@radix-ui/react-icons": "icons", "@tabler/icons-react": "icons",
    "@mui/icons-material": "icons", "@material-ui/icons": "icons", "@phosphor-icons/react": "icons",
    "phosphor-react": "icons", "react-feather": "icons", "@ant-design/icons": "icons",
    "@fortawesome/free-solid-svg-icons": "icons", "@fortawesome/free-regular-svg-icons": "icons",
    "@fortawesome/free-brands-svg-icons": "icons", "react-icons/*": "icons", "@heroicons/react/*": "icons",
    "lodash-es": "functions", "ramda": "functions", "date-fns": "functions", "date-fns/locale": "locales",
}
# Named exports that are themselves the whole barrel: lucide-react's `icons` maps every icon name to its component.
WHOLE_EXPORTS = {"lucide-react": frozenset({"icons"})}
BARREL_FAMILIES = tuple(key[:-1] for key in ESM_BARRELS if key.endswith("/*"))
# Builds carrying every locale where the library alone, plus the locales used, would do.
ALL_LOCALE_BUILDS = {
    "moment/min/moment-with-locales": "moment",
    "moment/min/moment-with-locales.js": "moment",
    "moment/min/moment-with-locales.min": "moment",
    "moment/min/moment-with-locales.min.js": "moment",
}
MAP_EXAMPLES = {"icons": "{ plus: Plus, trash: Trash }", "locales": "{ de, fr }", "functions": "{ sum, max }"}
LODASH_FUNCTION = re.compile(r"^[a-z][A-Za-z0-9]*$")  # lodash's functions; its types are Capitalized
# Functions whose per-function module does not behave as the one from the whole build: the
# modular `chain` wrapper has none of the methods (`chain(xs).map` is not a function), `mixin`
# extends another object. A named import of one of these gets no fix.
WHOLE_BUILD_ONLY = frozenset({"chain", "mixin", "runInContext", "noConflict"})
MAX_NAMES_SHOWN = 4
# Node built-ins no browser bundle has: a file importing one runs in Node.
NODE_ONLY_MODULES = frozenset({"fs", "fs/promises", "child_process", "cluster", "worker_threads", "net", "tls",
                               "dgram", "readline", "v8", "vm", "http2", "inspector"})


class WholeLibraryImport(Rule):
    code = "PF503"
    name = "whole-library-import"
    languages = frozenset({"tsx"})
    level = "warning"
    tags = ("bundle-size", "imports", "frontend")
    hot_path_only = True  # tests are not shipped (analyzer/test_paths.py)
    summary = ("An import that puts a whole heavy library in the browser bundle (CommonJS `lodash`, an icon set read "
               "by a computed name, `moment` with every locale) where importing only what is used would do.")

    what_it_does = """
        Finds imports, in code shipped to the browser, that make the bundle carry all of a large
        library although the code uses a few of its functions:

        - **CommonJS `lodash`** (and `lodash/fp`), however it is imported: `import _ from "lodash"`,
          `import * as _ from "lodash"`, and also `import { debounce } from "lodash"` — lodash's main
          build is one CommonJS module, which bundlers cannot tree-shake.
        - **A namespace import of an ES-module barrel used dynamically**: icon sets (`lucide-react`,
          `@mui/icons-material`, `@radix-ui/react-icons`, `@tabler/icons-react`, `react-icons/*`,
          `@heroicons/react/*`, Font Awesome, Ant Design and Phosphor icons) and `lodash-es`,
          `ramda`, `date-fns`, `date-fns/locale`, when the namespace is read by a computed name
          (`Icons[name]`) or passed on as a value (`Object.keys(Icons)`, `{...Icons}`, `f(Icons)`),
          and a default import of one of them (`import _ from "lodash-es"`, the whole object), or
          `import { icons } from "lucide-react"` (an object holding every icon).
        - **`moment/min/moment-with-locales`**, which carries every locale.

        Not reported: per-function imports (`lodash/debounce`, `lodash.debounce`), named imports
        from ES-module packages (`import { debounce } from "lodash-es"`, `import { Plus } from
        "lucide-react"`), namespace imports read only by static names (`Icons.Plus`, `<Icons.Plus />`,
        `typeof Icons`: tree-shaken like named imports), `import type`, lodash imports a build step
        rewrites into per-function imports: named imports in a Next.js app (Next.js 13.4.8 and later
        add `modularizeImports` for `lodash` to every config), in a package using
        `@optimize-lodash/*` or `babel-plugin-transform-imports`, and all lodash imports with
        `babel-plugin-lodash`. Not reported either: plain `import moment from "moment"` (there is no
        smaller import of moment; whether its locales are bundled depends on the bundler's config),
        and code that is not shipped to the browser: build and tool configs (`vite.config.ts`),
        tests and stories, `scripts/`, `server/`, `examples/`, `demo/` and similar folders, files
        starting with `#!` or importing Node built-ins (`node:fs`, `child_process`), packages that are servers or command-line tools, Next.js API routes,
        route handlers and App Router files without `"use client"` (server components). `require("lodash")` and
        re-exports (`export { debounce } from "lodash"`) are not checked.

        Each import is its own finding, with its own fix: the library leaves the bundle only when
        no file imports it whole any more, so the message says how many files import it.

        Where the package is installed, its `node_modules/<package>/package.json` decides how it is
        built: a package listed here as CommonJS that ships an ES module entry with `"sideEffects":
        false` (an alias to `lodash-es`) is not reported, and a listed ES-module package whose
        installed version has no ES module entry (an old `date-fns` 1.x) makes its named imports
        whole imports too. Without `node_modules` the list above decides.
    """
    why_slow = """
        Every user downloads, parses and compiles the bundle before the page becomes interactive.
        Bundlers drop unused code only from ES modules they can analyse statically: a CommonJS
        module is kept whole (lodash: about 70 KB minified, 25 KB gzipped, for one `debounce`), and
        an ES-module namespace read by a computed name (`Icons[name]`) forces the bundler to keep
        every export, since any of them may be asked for — for an icon set, well over a thousand
        components and hundreds of kilobytes. `moment-with-locales` adds about 130 locales to
        moment. On a mid-range phone each 100 KB of JavaScript costs on the order of 100 ms of
        parse and compile time, on top of the download.
    """
    how_to_measure = """
        Look at what the bundle holds with a bundle analyser: `rollup-plugin-visualizer` (Vite,
        Rollup), `webpack-bundle-analyzer` or `@next/bundle-analyzer` (Next.js), or
        `source-map-explorer dist/assets/*.js` on any build with source maps. The library shows
        as one large block; after the change the block shrinks to the functions used. Compare
        the size of the chunk before and after (`vite build` prints it, gzipped too).
    """
    use_instead = """
        Import each lodash function from its own module (`import debounce from "lodash/debounce"`;
        the fix does this for named imports) or switch to `lodash-es` with named imports. For icons,
        import the ones you use by name and map names to them yourself
        (`const icons = { plus: Plus, trash: Trash2 }`; for lucide, `lucide-react/dynamic` loads
        each icon on demand). Import `moment` and only the locales you need (`import "moment/locale/de"`).
    """

    examples = (
        flag(
            """
            import { debounce, throttle as throttled } from "lodash";

            export function SearchBox({ onSearch }) {
              const search = debounce(onSearch, 300);
              const track = throttled(() => console.log("typing"), 1000);
              return <input onChange={(e) => { search(e.target.value); track(); }} />;
            }
            """,
            (1, 1),
            fixed="""
            import debounce from "lodash/debounce";
            import throttled from "lodash/throttle";

            export function SearchBox({ onSearch }) {
              const search = debounce(onSearch, 300);
              const track = throttled(() => console.log("typing"), 1000);
              return <input onChange={(e) => { search(e.target.value); track(); }} />;
            }
            """,
            shown=True,
        ),
        ok(
            """
            import debounce from "lodash/debounce";
            import { groupBy, sortBy } from "lodash-es";
            import { Plus, Trash2 } from "lucide-react";

            export function Toolbar({ rows, onAdd }) {
              const groups = groupBy(sortBy(rows, "name"), "kind");
              const add = debounce(onAdd, 200);
              return <div><Plus onClick={add} /><Trash2 />{Object.keys(groups).length}</div>;
            }
            """,
            why="per-function lodash modules, named imports from ES-module packages",
            shown=True,
        ),
        flag(
            """
            import _ from "lodash";

            export function Totals({ orders }) {
              const byState = _.groupBy(orders, "state");
              return <p>{_.sumBy(orders, "total")} in {_.size(byState)} states</p>;
            }
            """,
            (1, 1),
            why="the default import: the message names the functions used",
        ),
        flag(
            """
            import * as Icons from "lucide-react";

            export function DynamicIcon({ name, ...props }: { name: string }) {
              const Icon = Icons[name as keyof typeof Icons] as Icons.LucideIcon;
              return <Icon {...props} />;
            }
            """,
            (1, 1),
            why="a namespace read by a computed name keeps every icon",
        ),
        flag(
            """
            import * as locales from "date-fns/locale";

            export const localeFor = (code: string) => Object.values(locales).find((l) => l.code === code);
            """,
            (1, 1),
            path="src/i18n/locale.ts",
            why="a namespace passed on as a value (every date-fns locale)",
        ),
        flag(
            """
            import moment from "moment/min/moment-with-locales";

            export const formatDate = (d: Date, locale: string) => moment(d).locale(locale).format("LL");
            """,
            (1, 1),
            path="src/format.ts",
        ),
        ok(
            """
            import * as Icons from "lucide-react";
            import type { DebouncedFunc } from "lodash";

            export function StatusIcon({ done, onClick }: { done: boolean; onClick: DebouncedFunc<() => void> }) {
              return done ? <Icons.CheckCircle onClick={onClick} /> : <Icons.Circle onClick={onClick} />;
            }
            """,
            why="a namespace read only by static names is tree-shaken; a type-only import is not bundled",
        ),
        ok(
            """
            import { defineConfig } from "vite";
            import { merge } from "lodash";

            export default defineConfig(merge({ plugins: [] }, { server: { port: 3000 } }));
            """,
            path="vite.config.ts",
            why="a build configuration runs in Node, it is not bundled",
        ),
        ok(
            """
            import { groupBy } from "lodash";

            export default async function Page() {
              const posts = await fetch("https://example.org/posts").then((r) => r.json());
              return <ul>{Object.keys(groupBy(posts, "tag")).map((t) => <li key={t}>{t}</li>)}</ul>;
            }
            """,
            path="app/blog/page.tsx",
            files={"package.json": '{"dependencies": {"next": "15.0.0", "react": "19.0.0", "lodash": "4.17.21"}}'},
            why="a Next.js server component (App Router, no \"use client\") is not sent to the browser",
        ),
        flag(
            """
            "use client";
            import _ from "lodash";

            export function Tags({ posts }) {
              return <ul>{Object.keys(_.groupBy(posts, "tag")).map((t) => <li key={t}>{t}</li>)}</ul>;
            }
            """,
            (2, 1),
            path="app/blog/tags.tsx",
            files={"package.json": '{"dependencies": {"next": "15.0.0", "react": "19.0.0", "lodash": "4.17.21"}}'},
            why="a client component of the App Router is bundled, and Next.js rewrites only named lodash imports",
        ),
        ok(
            """
            "use client";
            import { groupBy } from "lodash";

            export function Tags({ posts }) {
              return <ul>{Object.keys(groupBy(posts, "tag")).map((t) => <li key={t}>{t}</li>)}</ul>;
            }
            """,
            path="app/blog/tags.tsx",
            files={"package.json": '{"dependencies": {"next": "15.0.0", "react": "19.0.0", "lodash": "4.17.21"}}'},
            why="Next.js (13.4.8 and later) rewrites named lodash imports to lodash/<name> itself",
        ),
        ok(
            """
            import { debounce } from "lodash";

            export const save = debounce((doc: string) => localStorage.setItem("doc", doc), 500);
            """,
            path="src/save.ts",
            files={
                "package.json": '{"dependencies": {"lodash": "4.17.21", "react-dom": "18.2.0"}}',
                "node_modules/lodash/package.json": '{"name": "lodash-es", "version": "4.17.21", "type": "module", "sideEffects": false}',
            },
            why="the installed `lodash` is an ES-module build without side effects (an alias to lodash-es)",
        ),
        flag(
            """
            import { format, parseISO } from "date-fns";

            export const day = (iso: string) => format(parseISO(iso), "yyyy-MM-dd");
            """,
            (1, 1),
            path="src/day.ts",
            files={"node_modules/date-fns/package.json": '{"name": "date-fns", "version": "1.30.1", "main": "index.js"}'},
            why="the installed date-fns 1.x has no ES module entry: named imports bring all of it",
        ),
    )

    def check(self, ctx):
        statements = [node for node in ctx.source.tree.root_node.named_children if node.type == "import_statement"]
        if not statements:
            return
        candidates = []
        for statement in statements:
            # Most imports name no library this rule knows: their specifier says so before the
            # rest of the statement is read.
            source = statement.child_by_field_name("source")
            if source is None or _listed(ctx.source.node_text(source)[1:-1]) is None:
                continue
            parsed = _read_import(ctx, statement)
            if parsed is not None:
                candidates.append((statement, *parsed))
        if not candidates or not self._shipped(ctx, statements):
            return
        for statement, spec, default, namespace, named in candidates:
            self._check_import(ctx, statement, spec, default, namespace, named)

    def _shipped(self, ctx, statements) -> bool:
        """Whether this file's code goes to the browser."""
        if ctx.source.text.startswith("#!"):
            return False
        for statement in statements:  # `import fs from "node:fs"`: Node code
            source = statement.child_by_field_name("source")
            spec = ctx.source.node_text(source)[1:-1] if source is not None else ""
            if spec.startswith("node:") or spec in NODE_ONLY_MODULES:
                return False
        directives = compiler_directives(ctx.facts, None)
        if "use server" in directives:
            return False
        reason = not_shipped_reason(ctx.index, ctx.source.rel_path)
        if reason == "next-app":
            return "use client" in directives
        return not reason

    def _check_import(self, ctx, statement, spec, default, namespace, named):
        kind, detail = _listed(spec)
        package = _package_name(spec)
        if kind == "locales":
            ctx.report(statement, f"`{spec}` carries every locale of {detail} (about 130): import `{detail}` and only "
                       f"the locales you use (`import \"{detail}/locale/de\"`).")
            return
        shape = installed_package_shape(ctx.index, ctx.source.rel_path, package)
        if kind == "commonjs":
            if shape.esm and shape.side_effects_free:
                return  # installed as an ES-module build (an alias to lodash-es): tree-shaken
            functions = [(imported, local) for imported, local in named if LODASH_FUNCTION.match(imported)]
            rewriter = import_rewriter_for(ctx.index, ctx.source.rel_path, "lodash")
            # babel-plugin-lodash also rewrites `_.map(...)` of a default import and lodash/fp; the
            # others only named imports of `lodash` itself.
            if rewriter == "babel-plugin-lodash" or rewriter and spec == "lodash" and default is None and namespace is None:
                return
            if default is None and namespace is None and not functions:
                return  # only types: erased by the compiler
            self._report_commonjs(ctx, statement, spec, detail, default or namespace, functions, named)
            return
        # An ES-module barrel.
        installed_cjs = shape.manifest and shape.esm is False and spec == package
        if installed_cjs and named:
            names = ", ".join(f"`{imported}`" for imported, _ in named[:MAX_NAMES_SHOWN])
            ctx.report(statement, f"The installed `{package}` (`{shape.manifest}`) has no ES module entry, so importing "
                       f"{names} from it brings the whole package into the bundle: upgrade it to a version that ships "
                       "ES modules, or import from per-function paths.")
            return
        whole = [imported for imported, _ in named if imported in WHOLE_EXPORTS.get(spec, ())]
        if whole:
            ctx.report(statement, f"`{whole[0]}` of `{spec}` holds every one of its {detail}: importing it keeps all of "
                       f"them in the bundle. Import the {detail} you use by name and look them up in your own map "
                       f"(`const byName = {MAP_EXAMPLES[detail]}`){' or use `lucide-react/dynamic`, which loads each icon on demand' if spec == 'lucide-react' else ''}.")
            return
        if default is not None:
            ctx.report(statement, f"The default import `{default}` of `{spec}` is the whole package ({detail} and "
                       f"all): the bundler must keep every one of them. Import what you use by name "
                       f"(`import {{ ... }} from \"{spec}\"`).")
            return
        if namespace is not None:
            dynamic = _dynamic_use(ctx, namespace, statement)
            if dynamic is None and not installed_cjs:
                return
            if dynamic is None:
                ctx.report(statement, f"The installed `{package}` (`{shape.manifest}`) has no ES module entry, so "
                           f"`import * as {namespace}` brings the whole package into the bundle.")
                return
            what = "read by a computed name" if dynamic.type == "subscript_expression" else "passed on as a value"
            ctx.report(
                statement,
                f"`import * as {namespace} from \"{spec}\"` is {what} ([here](1)), so the bundler must keep every "
                f"export of `{spec}` ({'all of its ' + detail if detail != 'functions' else 'the whole library'}). "
                f"Import the {detail} you use by name and look them up in your own map "
                f"(`const byName = {MAP_EXAMPLES[detail]}`).",
                related=(Related(ctx.source.span(dynamic), f"`{namespace}` used dynamically"),),
            )

    def _report_commonjs(self, ctx, statement, spec, per_function, whole_name, functions, named):
        if whole_name is not None:
            used, wrapped = _members_used(ctx, whole_name, statement)
            example = per_function.format(name=used[0] if used and LODASH_FUNCTION.match(used[0]) else "debounce")
            uses = (f"; this file uses {', '.join(f'`{whole_name}.{m}`' for m in used[:MAX_NAMES_SHOWN])}"
                    f"{' and more' if len(used) > MAX_NAMES_SHOWN else ''}") if used else ""
            chained = [m for m in used if m in WHOLE_BUILD_ONLY]
            caveat = ""
            if wrapped or chained:
                form = f"`{whole_name}(...)`" if wrapped else f"`{whole_name}.{chained[0]}`"
                caveat = f" Its {form} chains need the whole build: write them as plain calls (or `flow`) first."
            ctx.report(statement, f"`{short_text(ctx.source.node_text(statement), 60)}` brings all of `{spec}` (about 70 KB minified) into the "
                       f"bundle{uses}. Import each function from its own module (`import "
                       f"{example.rsplit('/', 1)[1]} from \"{example}\"`) or use `lodash-es`{_everywhere(ctx, spec)}."
                       f"{caveat}")
            return
        example = per_function.format(name=functions[0][0])
        names = ", ".join(f"`{imported}`" for imported, _ in functions[:MAX_NAMES_SHOWN])
        if len(functions) > MAX_NAMES_SHOWN:
            names += f" and {len(functions) - MAX_NAMES_SHOWN} more"
        fix = _per_function_fix(ctx, statement, per_function, named)
        whole_only = [imported for imported, _ in functions if imported in WHOLE_BUILD_ONLY]
        caveat = (f" `{whole_only[0]}` needs the whole build: write the chained calls as plain calls (or `flow`) first."
                  if whole_only else "")
        ctx.report(statement, f"`{spec}` is CommonJS: importing {names} from it brings all of it (about 70 KB "
                   f"minified) into the bundle, since bundlers cannot drop the rest. Import each function from its own "
                   f"module (`import {functions[0][0]} from \"{example}\"`){_everywhere(ctx, spec)}.{caveat}", fix=fix)


def _everywhere(ctx, spec: str) -> str:
    """The bundle sheds the library only when no file imports it whole: say how many do."""
    count = files_importing(ctx.index, spec)
    return f"; {count} files of the project import `{spec}`: the bundle sheds it when none does" if count > 1 else ""


def _listed(spec: str):
    """(kind, detail) for a specifier this rule knows: "commonjs" (detail: the per-function
    module pattern), "barrel" (detail: what it holds), "locales" (detail: the library); None otherwise."""
    if spec in COMMONJS_WHOLE:
        return "commonjs", COMMONJS_WHOLE[spec]
    if spec in ALL_LOCALE_BUILDS:
        return "locales", ALL_LOCALE_BUILDS[spec]
    if spec in ESM_BARRELS:
        return "barrel", ESM_BARRELS[spec]
    for prefix in BARREL_FAMILIES:  # `react-icons/fa`, `@heroicons/react/24/outline`
        if spec.startswith(prefix):
            return "barrel", ESM_BARRELS[prefix + "*"]
    return None


def _package_name(spec: str) -> str:
    parts = spec.split("/")
    return "/".join(parts[:2]) if spec.startswith("@") else parts[0]


def _read_import(ctx, statement):
    """(specifier, default local, namespace local, [(imported, local) of named value imports]) of an
    import statement; None for `import type`, side-effect imports and unreadable ones."""
    if any(child.type == "type" for child in statement.children):
        return None  # `import type { ... }`: erased by the compiler
    source = statement.child_by_field_name("source")
    clause = next((c for c in statement.named_children if c.type == "import_clause"), None)
    if source is None or clause is None:
        return None
    spec = ctx.source.node_text(source)[1:-1]
    default = namespace = None
    named = []
    for child in clause.named_children:
        if child.type == "identifier":
            default = ctx.source.node_text(child)
        elif child.type == "namespace_import":
            ident = next((c for c in child.named_children if c.type == "identifier"), None)
            namespace = ctx.source.node_text(ident) if ident is not None else None
        elif child.type == "named_imports":
            for specifier in child.named_children:
                if specifier.type != "import_specifier" or any(c.type == "type" for c in specifier.children):
                    continue  # `{ type X }`: erased
                imported = specifier.child_by_field_name("name")
                alias = specifier.child_by_field_name("alias") or imported
                if imported is not None and imported.type == "identifier":
                    if ctx.source.node_text(imported) == "default":  # `{ default as _ }`: the default import
                        default = ctx.source.node_text(alias)
                        continue
                    named.append((ctx.source.node_text(imported), ctx.source.node_text(alias)))
    return spec, default, namespace, named


def _uses(ctx, name: str, statement):
    """Every identifier `name` in the file outside the import statement (names are not scoped:
    a namespace import is rarely shadowed)."""
    stack = [ctx.source.tree.root_node]
    while stack:
        node = stack.pop()
        if node.id == statement.id:
            continue
        if node.type in ("identifier", "shorthand_property_identifier") and ctx.source.node_text(node) == name:
            yield node
            continue
        stack.extend(reversed(node.children))


# `Icons.LucideProps` in a type, `typeof Icons`, `<Icons.Plus.Small />` names: static uses.
STATIC_TYPE_PARENTS = frozenset({"nested_type_identifier", "type_query", "nested_identifier"})


def _dynamic_use(ctx, namespace: str, statement):
    """The first use of a namespace import that is not a static member: `NS[name]` (the subscript
    expression), or the namespace as a value (the identifier). None when every use is static."""
    for node in _uses(ctx, namespace, statement):
        parent = node.parent
        if parent is None:
            continue
        if parent.type in STATIC_TYPE_PARENTS:
            continue
        if parent.type == "member_expression" and parent.child_by_field_name("object") == node:
            continue
        if parent.type == "subscript_expression" and parent.child_by_field_name("object") == node:
            index = parent.child_by_field_name("index")
            if index is not None and index.type == "string":
                continue  # `NS["Plus"]`: a static name
            return parent
        return node
    return None


def _members_used(ctx, name: str, statement) -> tuple[list, bool]:
    """The members of a whole-library import the file reads (`_.groupBy`), in order, and whether
    it is called itself (`_(rows).map(...)`, lodash's chaining wrapper)."""
    found, called = [], False
    for node in _uses(ctx, name, statement):
        parent = node.parent
        if parent is not None and parent.type == "member_expression" and parent.child_by_field_name("object") == node:
            member = ctx.source.node_text(parent.child_by_field_name("property"))
            if member not in found:
                found.append(member)
        elif parent is not None and parent.type == "call_expression" and parent.child_by_field_name("function") == node:
            called = True
    return found, called


def _per_function_fix(ctx, statement, per_function: str, named):
    """`import { debounce, throttle as t } from "lodash"` -> one default import per function from
    its own module. Only when every name is a lodash function (no types, no default/namespace)."""
    clause = next((c for c in statement.named_children if c.type == "import_clause"), None)
    if clause is None or any(c.type != "named_imports" for c in clause.named_children) or not named:
        return None
    if any(ctx.source.node_text(c.child_by_field_name("name")) == "default"
           for c in clause.named_children[0].named_children if c.type == "import_specifier"):
        return None
    specifiers = [c for c in clause.named_children[0].named_children if c.type == "import_specifier"]
    if len(specifiers) != len(named) or not all(
        LODASH_FUNCTION.match(imported) and imported not in WHOLE_BUILD_ONLY for imported, _ in named
    ):
        return None
    source_text = ctx.source.node_text(statement.child_by_field_name("source"))
    quote = source_text[0]
    semicolon = ";" if ctx.source.node_text(statement).rstrip().endswith(";") else ""
    lines = [f"import {local} from {quote}{per_function.format(name=imported)}{quote}{semicolon}" for imported, local in named]
    line = ctx.source.line_text(statement.start_point[0] + 1)
    indent = line[: len(line) - len(line.lstrip())]
    replacement = ("\n" + indent).join(lines)
    return Fix(f"Import each function from its own module ({per_function.format(name='…')})",
               (TextEdit(ctx.source.span(statement), replacement),))
