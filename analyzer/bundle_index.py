"""What the browser bundle carries: which files are shipped to the browser, how an installed
package is built (ES modules or CommonJS), and how large an image asset of the project is.

A derived index of the project index (`bundle_index(index)`), asked through questions
(analyzer/project.py), so findings replay from the cache while the answers hold. Project files
are read as the React index reads them (inside the root, regular files under the size cap,
noted when not read: analyzer/safe_read.py) -- `node_modules/<package>/package.json` included,
which a missing or broken file simply leaves unknown. Nothing is fetched from the network.
Image assets are only measured (`os.stat` of a regular file inside the root), never read; each
one measured is a project input, so the cache sees it change.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
from dataclasses import dataclass
from typing import Optional

from .project import question
from .react_index import _join, react_index
from .safe_read import is_within

# project_settings key of config `image-size-note-kb`, and its default.
IMAGE_NOTE_SETTING = "image_size_note_kb"
DEFAULT_IMAGE_NOTE_KB = 100

# Dependencies that make a package a server or a command-line tool, never a browser bundle
# (unless it is a Next.js app, which may add a custom server).
SERVER_PACKAGES = frozenset({
    "express", "fastify", "koa", "@nestjs/core", "@hapi/hapi", "@hocuspocus/server", "@remix-run/express",
    "@adonisjs/core", "restify", "polka", "@fastify/autoload",
})
ASSET_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".svg")
_VERSION = re.compile(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?")  # the first version in "^13.4.12", "~14", ">=15.1 <16"
# Dependencies of a package that builds or renders for the browser.
BROWSER_BUILD_PACKAGES = frozenset({
    "react-dom", "vite", "webpack", "next", "react-scripts", "parcel", "@vitejs/plugin-react", "vue", "svelte",
    "preact", "react-native", "expo", "@remix-run/react", "astro", "esbuild", "rollup",
})
# Folders whose code runs in Node or in a test runner, not in the shipped bundle.
NOT_SHIPPED_FOLDERS = frozenset({
    "scripts", "script", "bin", "server", "servers", "__tests__", "__mocks__", "tests", "test", "e2e",
    "cypress", "playwright", ".storybook", "migrations", "seeds",
    # example and demo apps of a repository: documentation, not what its users run
    "examples", "example", "demo", "demos", "sample-app", "samples",
})
# `<tool>.config.<ext>` of build and dev tools: run by Node, never bundled. (`site.config.ts` of an
# app may be imported by its components: not in this list.)
TOOL_CONFIGS = frozenset({
    "vite", "vitest", "webpack", "rollup", "next", "nuxt", "astro", "svelte", "remix", "tailwind", "postcss",
    "babel", "jest", "eslint", "prettier", "stylelint", "playwright", "cypress", "karma", "metro", "craco",
    "tsup", "tsdown", "esbuild", "turbo", "commitlint", "lint-staged", "drizzle", "orval", "codegen",
    "storybook", "electron-builder", "electron.vite", "knip", "panda", "unocss", "uno", "windi", "vike",
})
NEXT_SERVER_FILES = frozenset({"route", "middleware", "instrumentation", "sitemap", "robots", "manifest"})
_CONFIG_EXTENSIONS = (".js", ".ts", ".mjs", ".cjs", ".mts", ".cts")

# Bundler-side rewriters that turn `import { debounce } from "lodash"` into per-function imports.
IMPORT_REWRITERS = {
    "lodash": ("babel-plugin-lodash", "@optimize-lodash/rollup-plugin", "@optimize-lodash/esbuild-plugin",
               "@optimize-lodash/vite-plugin", "babel-plugin-transform-imports"),
}


@dataclass(frozen=True)
class PackageShape:
    """How an installed package is built, from `node_modules/<name>/package.json`.

    `manifest` is the project-relative path of that file ("" when the package is not installed
    in the project or the file is unreadable or broken: then nothing else is known); `esm` whether
    it offers an ES module entry (`module`, `type: "module"`, an `import`/`module` condition in
    `exports`); `side_effects_free` whether it says `"sideEffects": false`."""

    manifest: str = ""
    esm: Optional[bool] = None
    side_effects_free: Optional[bool] = None


class BundleIndex:
    def __init__(self, index):
        self.root = index.root
        self.files = index.tsx
        self.settings = index.settings
        self._virtual: dict = index.settings.get("project_files") or {}
        # The React index reads project files: one copy of each per run, the same safety rules,
        # and the cache learns of every file read.
        self._react = react_index(index)
        self._root_real = os.path.realpath(self.root) if self.root else None
        self._measured: dict[str, Optional[int]] = {}
        self._importers: Optional[dict] = None
        self._asset_importers: Optional[dict] = None

    # -- project files ---------------------------------------------------------------------------

    def package_dir(self, rel_path: str) -> str:
        return next((directory for directory, _ in self._react.package_manifests(rel_path)), "")

    # -- which files the browser gets --------------------------------------------------------------

    def not_shipped(self, rel_path: str) -> str:
        """Why the code of `rel_path` is not in a browser bundle ("" when it may be): a build or
        tool configuration, a test or story, a script or server folder, a Next.js route handler or
        API route, a package that is a server or a command-line tool. "next-app" for a file of a
        Next.js App Router folder: a server component unless it says "use client" (the rule reads
        the directive)."""
        name = posixpath.basename(rel_path)
        stem, _, extension = name.partition(".")
        parts = rel_path.split("/")[:-1]
        if extension.endswith(_CONFIG_EXTENSIONS) and (
            ".config." in name and name.split(".config.", 1)[0] in TOOL_CONFIGS or name.startswith(".")
        ):
            return f"`{name}` is a build or tool configuration"
        if any(marker in name for marker in (".test.", ".spec.", ".stories.", ".story.", ".e2e.", ".cy.")):
            return f"`{name}` is a test or a story"
        folder = next((part for part in parts if part in NOT_SHIPPED_FOLDERS), None)
        if folder is not None:
            return f"it is under `{folder}/`"
        for directory, manifest in self._react.package_manifests(rel_path):
            deps = _dependencies(manifest)
            if "next" in deps:
                inside = parts[len(directory.split("/")) if directory else 0:]
                if inside[:1] == ["pages"] and inside[1:2] == ["api"] or inside[:2] == ["src", "pages"] and inside[2:3] == ["api"]:
                    return "it is a Next.js API route"
                if inside[:1] == ["app"] or inside[:2] == ["src", "app"]:
                    if stem in NEXT_SERVER_FILES or "api" in inside:
                        return "it is a Next.js route handler"
                    return "next-app"
                if stem in ("middleware", "instrumentation") and len(inside) <= 1:
                    return "it is Next.js server code"
                return ""
            if manifest.get("bin"):
                return f"its package (`{posixpath.join(directory, 'package.json')}`) is a command-line tool"
            server = sorted(SERVER_PACKAGES & deps)
            if server and not deps & BROWSER_BUILD_PACKAGES:  # one package may hold both (a Koa server and a Vite app)
                return f"its package (`{posixpath.join(directory, 'package.json')}`) is a server (`{server[0]}`)"
            return ""  # the nearest package decides
        return ""

    # -- packages ------------------------------------------------------------------------------

    def package_shape(self, rel_path: str, package: str) -> PackageShape:
        """How `package` (a bare name, `@scope/name`) installed for `rel_path` is built: the nearest
        `node_modules/<package>/package.json` from the file's folder up to the root."""
        directory = posixpath.dirname(rel_path)
        while True:
            path = posixpath.join(directory, "node_modules", package, "package.json") if directory else \
                posixpath.join("node_modules", package, "package.json")
            manifest = self._react.read_json(path)
            if isinstance(manifest, dict):
                return PackageShape(path, _has_esm_entry(manifest), manifest.get("sideEffects") is False)
            if not directory:
                return PackageShape()
            directory = posixpath.dirname(directory)

    def import_rewriter(self, rel_path: str, package: str) -> str:
        """A build step of `rel_path`'s package that rewrites `import { x } from package` into
        per-function imports ("" when there is none): a plugin in its dependencies, or Next.js,
        which since 13.4.8 adds `modularizeImports` for `lodash` to every app's config."""
        for directory, manifest in self._react.package_manifests(rel_path):
            deps = _dependencies(manifest)
            plugin = next((name for name in IMPORT_REWRITERS.get(package, ()) if name in deps), None)
            if plugin:
                return plugin
            if package == "lodash" and "next" in deps and _next_rewrites_lodash(_version_of(manifest, "next")):
                return "next"
        return ""

    def importers_count(self, spec: str) -> int:
        if self._importers is None:
            counts: dict[str, int] = {}
            for summary in self.files.values():
                for module in {entry[0] for entry in (summary or {}).get("imports", {}).values() if entry}:
                    counts[module] = counts.get(module, 0) + 1
            self._importers = counts
        return self._importers.get(spec, 0)

    # -- image assets ----------------------------------------------------------------------------

    def asset_importers(self, asset: str) -> tuple:
        """The files that import the project file `asset` (`import hero from "./hero.png"`), sorted."""
        if self._asset_importers is None:
            found: dict[str, set] = {}
            for rel_path, summary in self.files.items():
                for entry in (summary or {}).get("imports", {}).values():
                    spec = entry[0].split("?", 1)[0] if entry else ""
                    if not spec.lower().endswith(ASSET_EXTENSIONS):
                        continue
                    for candidate in self._react.specifier_paths(rel_path, spec):
                        if self._size(candidate) is not None:
                            found.setdefault(candidate, set()).add(rel_path)
                            break
            self._asset_importers = {path: tuple(sorted(files)) for path, files in found.items()}
        return self._asset_importers.get(asset, ())

    def image_asset(self, rel_path: str, src: str, imported: bool) -> Optional[tuple]:
        """(project-relative path, size in bytes) of the image file `src` names in `rel_path`:
        an import specifier (relative, tsconfig `paths`/`baseUrl`) when `imported`, else a URL
        served from the package's `public/` folder (`/hero.png`, `images/hero.png`). None when
        it is not a file of the project."""
        if imported:  # `import hero from "./hero.png?url"` (Vite): the query is not part of the path
            candidates = list(self._react.specifier_paths(rel_path, src.split("?", 1)[0]))
        else:
            url = src.split("?", 1)[0].split("#", 1)[0]
            if not url or url.startswith(("//", "data:", "blob:")) or "://" in url:
                return None
            package = self.package_dir(rel_path)
            below = url.lstrip("/")
            candidates = [_join(package, posixpath.join("public", below))]
            if url.startswith("/"):
                candidates += [_join("", posixpath.join("public", below)), _join(package, below)]
        for candidate in candidates:
            if candidate == ".." or candidate.startswith("../") or posixpath.isabs(candidate):
                continue
            size = self._size(candidate)
            if size is not None:
                return candidate, size
        return None

    def _size(self, rel_path: str) -> Optional[int]:
        if rel_path not in self._measured:
            self._measured[rel_path] = self._measure(rel_path)
        return self._measured[rel_path]

    def _measure(self, rel_path: str) -> Optional[int]:
        text = self._virtual.get(rel_path)
        if text is not None:
            return len(text.encode("utf-8", "surrogatepass"))
        if not self.root:
            return None
        path = os.path.join(self.root, rel_path)
        try:
            if not is_within(os.path.realpath(path), self._root_real):
                return None  # a link out of the project: not the project's asset
            found = os.stat(path)
        except OSError:
            return None
        return found.st_size if stat.S_ISREG(found.st_mode) else None

    def project_inputs(self) -> list[str]:
        """The image files measured: a change to one changes the answers (the package.json files
        read are the React index's inputs)."""
        return sorted(path for path, size in self._measured.items() if size is not None and path not in self._virtual)


def bundle_index(index) -> BundleIndex:
    return index.get_derived("bundle", BundleIndex)


def _dependencies(manifest: dict) -> set:
    found = set()
    for section in ("dependencies", "devDependencies", "peerDependencies"):
        deps = manifest.get(section)
        if isinstance(deps, dict):
            found.update(name for name in deps if isinstance(name, str))
    return found


def _version_of(manifest: dict, package: str) -> str:
    for section in ("dependencies", "devDependencies", "peerDependencies"):
        deps = manifest.get(section)
        if isinstance(deps, dict) and isinstance(deps.get(package), str):
            return deps[package]
    return ""


def _next_rewrites_lodash(spec: str) -> bool:
    """Whether the Next.js version range `spec` starts at 13.4.8 or later (unreadable: assumed current)."""
    found = _VERSION.search(spec)
    if found is None or spec.startswith(("workspace:", "file:", "link:", "npm:")):
        return True
    major, minor, patch = (int(part) if part else 0 for part in found.groups())
    return (major, minor, patch) >= (13, 4, 8)


def _has_esm_entry(manifest: dict) -> bool:
    if isinstance(manifest.get("module"), str) or manifest.get("type") == "module":
        return True
    return _exports_import(manifest.get("exports"), 0)


def _exports_import(exports, depth: int) -> bool:
    """Whether an `exports` map offers an ES module (an `import` or `module` condition, or an `.mjs` target)."""
    if depth > 8:
        return False
    if isinstance(exports, str):
        return exports.endswith(".mjs")
    if isinstance(exports, list):
        return any(_exports_import(item, depth + 1) for item in exports[:16])
    if isinstance(exports, dict):
        if any(key in ("import", "module") for key in exports):
            return True
        return any(_exports_import(value, depth + 1) for value in list(exports.values())[:64])
    return False


# The questions the bundle rules ask (see analyzer/project.py).


@question
def not_shipped_reason(index, rel_path: str) -> str:
    """Why `rel_path` is not in a browser bundle ("" when it may be; "next-app": a Next.js App
    Router file, a server component unless it says "use client")."""
    return bundle_index(index).not_shipped(rel_path)


@question
def installed_package_shape(index, rel_path: str, package: str) -> PackageShape:
    return bundle_index(index).package_shape(rel_path, package)


@question
def import_rewriter_for(index, rel_path: str, package: str) -> str:
    return bundle_index(index).import_rewriter(rel_path, package)


@question
def image_asset_size(index, rel_path: str, src: str, imported: bool) -> Optional[tuple]:
    return bundle_index(index).image_asset(rel_path, src, imported)


@question
def image_note_threshold_kb(index) -> int:
    """Config `image-size-note-kb`: raster images over this size get a note (0: never)."""
    value = index.settings.get(IMAGE_NOTE_SETTING)
    return DEFAULT_IMAGE_NOTE_KB if value is None else int(value)


@question
def files_importing(index, spec: str) -> int:
    """How many TS/TSX files of the project import from `spec` (type-only imports included)."""
    return bundle_index(index).importers_count(spec)


@question
def image_importers(index, asset: str) -> tuple:
    """The files that import the image file `asset` (project-relative), sorted."""
    return bundle_index(index).asset_importers(asset)
