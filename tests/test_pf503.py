"""PF503 whole-library-import: what is a whole import, what is shipped, what node_modules says, the fix."""

from __future__ import annotations

import json
import os
import textwrap

import pytest

from perfscan.config import Config
from perfscan.engine import check_text, run
from perfscan.fixes import apply_edits
from perfscan.rules import rule_by_code_or_name
from tests.conftest import write_tree

RULE = rule_by_code_or_name("PF503")
VITE_APP = json.dumps({"dependencies": {"react": "18.3.1", "react-dom": "18.3.1"}, "devDependencies": {"vite": "5.4.0"}})


def findings(code: str, path: str = "src/Thing.tsx", files: dict | None = None):
    texts = {path: textwrap.dedent(code).lstrip("\n"), **{p: textwrap.dedent(t).lstrip("\n") for p, t in (files or {}).items()}}
    result = check_text(texts, rules=[RULE])
    return [f for f in result.findings if f.code == "PF503"]


def positions(code: str, path: str = "src/Thing.tsx", files: dict | None = None):
    return [(f.span.path, f.span.line, f.span.col) for f in findings(code, path, files)]


def fixed(code: str, path: str = "src/Thing.tsx") -> str:
    (finding,) = findings(code, path)
    assert finding.fix is not None and finding.fix.safe
    return apply_edits(textwrap.dedent(code).lstrip("\n"), finding.fix.edits)


def test_lodash_is_whole_however_it_is_imported_but_not_per_function_or_as_types():
    code = """
        import _ from "lodash";
        import * as L from "lodash";
        import { debounce } from "lodash";
        import fp from "lodash/fp";
        import throttle from "lodash/throttle";
        import isEqual from "lodash.isequal";
        import type { DebouncedFunc } from "lodash";
        import { type Dictionary, type List } from "lodash";
        import { DebouncedFunc as D } from "lodash";
        export const x = [_, L, debounce, fp, throttle, isEqual];
    """
    assert [line for _, line, _ in positions(code)] == [1, 2, 3, 4]


def test_the_default_import_names_the_functions_the_file_uses():
    (finding,) = findings("""
        import _ from "lodash";
        export const total = (rows) => _.sumBy(_.uniqBy(rows, "id"), "amount") + _.sumBy(rows, "tax");
    """)
    assert "`_.sumBy`, `_.uniqBy`" in finding.message and "lodash/sumBy" in finding.message
    assert finding.fix is None and "chains" not in finding.message
    (wrapped,) = findings("""
        import _ from "lodash";
        export const ids = (rows) => _(rows).map("id").uniq().value();
    """)
    assert "`_(...)` chains need the whole build" in wrapped.message


def test_fix_one_default_import_per_function_keeps_aliases_quotes_semicolons_and_indentation():
    assert fixed("""
        import {
          debounce,
          throttle as limit,
        } from 'lodash'
        export const f = [debounce, limit];
    """) == "import debounce from 'lodash/debounce'\nimport limit from 'lodash/throttle'\nexport const f = [debounce, limit];\n"
    assert fixed("""
        import { map } from "lodash/fp";
        export const f = map;
    """) == 'import map from "lodash/fp/map";\nexport const f = map;\n'


def test_no_fix_where_the_per_function_module_differs_or_types_are_mixed_in():
    (chained,) = findings("""
        import { chain, sortBy } from "lodash";
        export const top = (xs) => chain(xs).sortBy("n").take(3).value();
    """)
    assert chained.fix is None and "`chain` needs the whole build" in chained.message
    (typed,) = findings("""
        import { debounce, type DebouncedFunc } from "lodash";
        export const f: DebouncedFunc<() => void> = debounce(() => {}, 9);
    """)
    assert typed.fix is None
    (mixed,) = findings("""
        import _, { debounce } from "lodash";
        export const f = [_, debounce];
    """)
    assert mixed.fix is None
    (renamed_default,) = findings("""
        import { default as lo, debounce } from "lodash";
        export const f = [lo.map, debounce];
    """)
    assert renamed_default.fix is None and "`lo.map`" in renamed_default.message


@pytest.mark.parametrize("use, flagged", [
    ("export const C = (n: string) => Icons[n as keyof typeof Icons];", True),
    ("export const all = Object.keys(Icons);", True),
    ("export const all = { ...Icons };", True),
    ("export const registry = { Icons };", True),
    ("register(Icons);", True),
    ('export const P = Icons["Plus"];', False),
    ("export const P = () => <Icons.Plus className='x' />;", False),
    ("export type Name = keyof typeof Icons; let p: Icons.LucideProps;", False),
])
def test_a_namespace_import_of_a_barrel_is_whole_only_when_used_dynamically(use, flagged):
    found = findings(f'import * as Icons from "lucide-react";\n{use}\n')
    assert bool(found) is flagged
    if flagged:
        assert found[0].related and "lucide-react" in found[0].message


def test_barrels_by_prefix_and_default_imports_of_barrels():
    assert positions("""
        import * as Fa from "react-icons/fa";
        import * as Hero from "@heroicons/react/24/outline";
        import _ from "lodash-es";
        import { groupBy } from "lodash-es";
        import * as dateFns from "date-fns";
        export const pick = (n: string) => [Fa[n], Hero[n], _, groupBy, dateFns.format];
    """) == [("src/Thing.tsx", 1, 1), ("src/Thing.tsx", 2, 1), ("src/Thing.tsx", 3, 1)]


def test_lucides_icons_object_is_every_icon():
    (finding,) = findings('import { icons, Plus } from "lucide-react";\nexport const pick = (n) => icons[n] ?? Plus;\n')
    assert "`icons` of `lucide-react` holds every one of its icons" in finding.message
    assert findings('import { Plus } from "lucide-react";\nexport const icons = { Plus };\n') == []


def test_moment_with_every_locale_is_reported_plain_moment_is_not():
    assert [line for _, line, _ in positions("""
        import moment from "moment";
        import momentAll from "moment/min/moment-with-locales.min.js";
        export const f = [moment, momentAll];
    """, "src/dates.ts")] == [2]


@pytest.mark.parametrize("path, files, code_prefix", [
    ("vite.config.ts", {}, ""),
    ("tailwind.config.js", {}, ""),
    ("packages/web/.eslintrc.cjs", {}, ""),
    ("scripts/seed.ts", {}, ""),
    ("src/server/render.tsx", {}, ""),
    ("src/Thing.test.tsx", {}, ""),
    ("src/Thing.stories.tsx", {}, ""),
    ("src/cli.ts", {}, "#!/usr/bin/env node\n"),
    ("src/actions.ts", {}, '"use server";\n'),
    ("src/build-icons.ts", {}, 'import { readFileSync } from "node:fs";\n'),
    ("src/export.ts", {}, 'import { spawn } from "child_process";\n'),
    ("src/index.ts", {"package.json": json.dumps({"dependencies": {"express": "4", "react": "18"}})}, ""),
    ("src/index.ts", {"package.json": json.dumps({"bin": {"tool": "dist/index.js"}, "dependencies": {"react": "18"}})}, ""),
    ("pages/api/posts.ts", {"package.json": json.dumps({"dependencies": {"next": "14"}})}, ""),
    ("src/app/posts/page.tsx", {"package.json": json.dumps({"dependencies": {"next": "14"}})}, ""),
    ("app/posts/route.ts", {"package.json": json.dumps({"dependencies": {"next": "14"}})}, '"use client";\n'),
])
def test_code_not_shipped_to_the_browser_is_not_reported(path, files, code_prefix):
    assert positions(code_prefix + 'import { merge } from "lodash";\nexport const m = merge;\n', path, files) == []


def test_shipped_code_of_the_same_kinds_of_package_is_reported():
    lodash = 'import _ from "lodash";\nexport const m = _.merge;\n'
    # One package holding a Koa server and a Vite app (Outline's layout): the app is shipped, server/ is not.
    both = {"package.json": json.dumps({"dependencies": {"koa": "2", "react-dom": "18", "vite": "5"}})}
    assert positions(lodash, "app/editor.ts", both) == [("app/editor.ts", 1, 1)]
    assert positions(lodash, "server/editor.ts", both) == []
    next_app = {"package.json": json.dumps({"dependencies": {"next": "14"}})}
    assert positions('"use client";\n' + lodash, "src/app/posts/list.tsx", next_app) == [("src/app/posts/list.tsx", 2, 1)]
    assert positions(lodash, "src/components/list.tsx", next_app) == [("src/components/list.tsx", 1, 1)]
    assert positions(lodash, "pages/posts.tsx", next_app) == [("pages/posts.tsx", 1, 1)]
    assert positions(lodash, "src/components/app/header.tsx", next_app) == [("src/components/app/header.tsx", 1, 1)]
    # An app's own `*.config.ts` module is imported by its components: shipped.
    assert positions(lodash, "src/site.config.ts") == [("src/site.config.ts", 1, 1)]


@pytest.mark.parametrize("dev_dependencies, next_version, named, default", [
    ({}, None, True, True),
    ({"babel-plugin-lodash": "3"}, None, False, False),
    ({"@optimize-lodash/rollup-plugin": "4"}, None, False, True),
    ({}, "^14.2.3", False, True),
    ({}, "13.4.8", False, True),
    ({}, "~13.4.7", True, True),
    ({}, "12.3.4", True, True),
    ({}, "canary", False, True),
])
def test_build_steps_that_rewrite_lodash_imports(dev_dependencies, next_version, named, default):
    manifest = {"dependencies": {"react-dom": "18", **({"next": next_version} if next_version else {})},
                "devDependencies": dev_dependencies}
    files = {"package.json": json.dumps(manifest)}
    assert bool(positions('import { merge } from "lodash";\nexport const m = merge;\n', "src/a.ts", files)) is named
    assert bool(positions('import _ from "lodash";\nexport const m = _.merge;\n', "src/a.ts", files)) is default
    # lodash/fp is a module of its own: only babel-plugin-lodash knows it.
    assert bool(positions('import { map } from "lodash/fp";\nexport const m = map;\n', "src/a.ts", files)) is (
        "babel-plugin-lodash" not in dev_dependencies)


def test_node_modules_decides_how_a_listed_package_is_built_and_a_broken_manifest_falls_back_to_the_list():
    lodash = 'import { merge } from "lodash";\nexport const m = merge;\n'
    icons = 'import { Plus } from "lucide-react";\nexport const p = Plus;\n'
    esm_lodash = {"node_modules/lodash/package.json": json.dumps({"type": "module", "sideEffects": False})}
    assert positions(lodash, "src/a.ts", esm_lodash) == []
    # Found in a parent folder's node_modules (a workspace hoists packages to the top).
    assert positions(lodash, "packages/app/src/a.ts", esm_lodash) == []
    esm_with_side_effects = {"node_modules/lodash/package.json": json.dumps({"module": "es/index.js"})}
    assert positions(lodash, "src/a.ts", esm_with_side_effects) == [("src/a.ts", 1, 1)]
    assert positions(lodash, "src/a.ts", {"node_modules/lodash/package.json": "{ broken"}) == [("src/a.ts", 1, 1)]
    commonjs_icons = {"node_modules/lucide-react/package.json": json.dumps({"main": "dist/cjs/index.js"})}
    (finding,) = findings(icons, "src/a.ts", commonjs_icons)
    assert "node_modules/lucide-react/package.json" in finding.message
    exports_icons = {"node_modules/lucide-react/package.json": json.dumps(
        {"main": "dist/cjs/index.js", "exports": {".": {"import": "./dist/esm/index.js", "require": "./dist/cjs/index.js"}}})}
    assert positions(icons, "src/a.ts", exports_icons) == []
    assert positions(icons, "src/a.ts") == []


def test_the_message_counts_the_files_that_import_the_library():
    files = {f"src/f{i}.ts": f'import {{ merge }} from "lodash";\nexport const m{i} = merge;\n' for i in range(3)}
    result = check_text(files, rules=[RULE])
    assert len(result.findings) == 3
    assert all("3 files of the project import `lodash`" in f.message for f in result.findings)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_manifests_on_disk_are_read_safely(tmp_path, monkeypatch):
    """A FIFO where a package.json should be is not opened (it would block): the list decides and
    the run says the file was not read; a real manifest is read and its change reaches a warm run."""
    project = write_tree(tmp_path / "p", {
        "package.json": VITE_APP,
        "src/a.ts": 'import { merge } from "lodash";\nexport const m = merge;\n',
        "node_modules/lodash/package.json": json.dumps({"type": "module", "sideEffects": False}),
    })
    monkeypatch.chdir(project)
    cache = str(tmp_path / "cache")
    config = Config(select=("PF503",))
    assert run(["."], config, cache_dir=cache).findings == []
    (project / "node_modules/lodash/package.json").write_text(json.dumps({"main": "lodash.js"}))
    warm = run(["."], config, cache_dir=cache)
    assert [(f.span.path, f.span.line) for f in warm.findings] == [("src/a.ts", 1)]
    os.remove(project / "node_modules/lodash/package.json")
    os.mkfifo(project / "node_modules/lodash/package.json")
    fifo = run(["."], config, cache_dir=cache)
    assert [(f.span.path, f.span.line) for f in fifo.findings] == [("src/a.ts", 1)]
    assert [n.path for n in fifo.notifications if n.kind == "config-file"] == ["node_modules/lodash/package.json"]
