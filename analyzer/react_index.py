"""The React project index: which component an import names, and whether it is memoized.

Built once per run from the TSX facts summaries (`ProjectIndex.tsx`) plus the
few project files the builder reads itself (tsconfig.json / jsconfig.json with
their `extends` and `references`, package.json, Babel/Vite/Next configs), so
parallel workers can build it without any other file's tree:

    react = react_index(ctx.index)
    ref = react.imported_component("src/App.tsx", "UserRow")   # -> ComponentRef or None
    react.compiler_for("src/App.tsx")                          # -> reason string or ""

Module resolution: relative specifiers (with extension and `/index` lookup
over the known project files), tsconfig `compilerOptions.paths` (one `*`
wildcard) and `baseUrl`. Exports are followed through `export { X } from`,
`export { default as X } from`, `export *` and local re-exports of imports,
with cycle protection.
"""

from __future__ import annotations

import errno
import json
import os
import posixpath
import re
from dataclasses import dataclass
from typing import Optional

from .facts.tsx import MEMO_WRAPPERS
from .findings import Notification
from .project import question
from .safe_read import MAX_CONFIG_FILE_SIZE, UnreadableFile, is_within, read_bounded

EXTENSIONS = (".tsx", ".ts", ".jsx", ".js", ".mts", ".cts", ".mjs", ".cjs")
CONFIG_NAMES = ("tsconfig.json", "jsconfig.json")
COMPILER_PACKAGES = ("babel-plugin-react-compiler", "react-compiler-runtime")
# Build configs that may enable the compiler without listing it in package.json.
BUILD_CONFIGS = (
    "babel.config.js", "babel.config.cjs", "babel.config.mjs", "babel.config.json", ".babelrc", ".babelrc.json",
    "vite.config.ts", "vite.config.js", "vite.config.mts", "vite.config.mjs",
    "next.config.js", "next.config.mjs", "next.config.ts",
)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")  # JSONC allows `[1, 2,]`; json does not
COMPILER_IN_CONFIG = re.compile(r"babel-plugin-react-compiler|\breactCompiler\s*:\s*(true|\{)")
_VERSION_NUMBER = re.compile(r"\d+")  # the major version in "^18.2.0", "~19", ">=18 <20"
# The compiler's option: "infer" (default: components and hooks), "annotation" (only functions
# marked "use memo"), "syntax", "all".
COMPILATION_MODE = re.compile(r"""\bcompilationMode["']?\s*:\s*["'](\w+)["']""")
MAX_EXPORT_DEPTH = 32


@dataclass(frozen=True)
class ComponentRef:
    """A component definition somewhere in the project: where its memo wrapper (or itself) is."""

    path: str
    name: str
    memoized: bool
    line: int
    col: int
    kind: str = "function"
    custom_compare: bool = False  # `memo(Row, areEqual)`: a comparator we cannot read
    # `memo(Row, (a, b) => a.id === b.id)`: the only props compared (None: every prop, shallowly)
    compared: Optional[tuple] = None
    # What memoizes it: "memo", "observer" (MobX's alone), "PureComponent", an in-house HOC's name.
    memo_by: str = ""
    renders_list: bool = False  # its render builds JSX per item of a list (`items.map(...)`)


@dataclass
class PathConfig:
    """The module-resolution part of one tsconfig: `paths` targets resolve against `paths_base`."""

    base_url: Optional[str] = None  # project-relative directory
    paths: tuple = ()  # ((pattern, (targets...)), ...)
    paths_base: Optional[str] = None


def react_index(index) -> "ReactIndex":
    return index.get_derived("react", ReactIndex)


# -- memo identity: the one place deciding "is this component memoized, and how does it compare props" --
#
# Memoized: `memo(...)` / `React.memo(...)` (also around `forwardRef`), MobX `observer` (from
# mobx-react or mobx-react-lite: it wraps the component in memo), a class extending
# PureComponent, an in-house HOC the project lists in `memo-wrappers`, `lazy(() => import(m))`
# of a module whose default export is memoized, and names bound to any of these through type
# assertions (`memo(TableImpl) as typeof TableImpl`) or across files (`memo(Imported)`).
# The outermost wrapper that is not forwardRef decides: `withTracking(memo(Row))` is memoized
# only when `withTracking` is listed. A comparator (`memo(Row, areEqual)`) hides which props
# matter unless it is a simple `&&` of `prev.x === next.x` / `Object.is(prev.x, next.x)`: then
# only those props are compared (`ComponentRef.compared`).

MEMO_WRAPPERS_SETTING = "memo_wrappers"  # project_settings key (config `memo-wrappers`)


def wraps_in_memo(wrappers, configured=()) -> Optional[bool]:
    """Whether a chain of wrapper calls (outermost first) gives a memoized component; None when
    only forwardRef wraps it (then the wrapped component decides)."""
    for wrapper in wrappers:
        if wrapper != "forwardRef":
            return wrapper in MEMO_WRAPPERS or wrapper in configured
    return None


# The questions React rules ask (see analyzer/project.py).


@question
def memoized_child(index, rel_path: str, local: str, member: Optional[str]) -> Optional[ComponentRef]:
    """The component a JSX tag names (`local` imported in `rel_path`, `.member` of it) when it is
    memoized and compares its props shallowly (all of them, or those a simple comparator names);
    None for anything else."""
    ref = react_index(index).imported_component(rel_path, local, member)
    return ref if ref is not None and ref.memoized and not ref.custom_compare else None


@question
def memoized_module_default(index, rel_path: str, spec: str, export: str) -> Optional[ComponentRef]:
    """`lazy(() => import(spec))` in `rel_path`: the memoized component `spec` exports as default
    (`export`: the named export a `.then((m) => ({ default: m.Row }))` picks instead)."""
    react = react_index(index)
    target = react.resolve(rel_path, spec)
    ref = react.exported_component(target, export) if target is not None else None
    return ref if ref is not None and ref.memoized and not ref.custom_compare else None


@question
def configured_memo_wrappers(index) -> tuple:
    """The in-house HOCs the project says wrap in memo (config `memo-wrappers`)."""
    return tuple(index.settings.get(MEMO_WRAPPERS_SETTING) or ())


@question
def compiler_for(index, rel_path: str) -> str:
    """Why the React Compiler compiles `rel_path` ("" when it does not)."""
    return react_index(index).compiler_for(rel_path)


@question
def react_major_version(index, rel_path: str) -> Optional[int]:
    """The major version of React the nearest package.json declaring `react` asks for (None: unknown)."""
    return react_index(index).react_major_version(rel_path)


@question
def compilation_mode_for(index, rel_path: str) -> str:
    """The React Compiler's `compilationMode` for `rel_path` ("infer" unless a build config sets it)."""
    return react_index(index).compilation_mode_for(rel_path)


def parse_jsonc(text: str):
    """JSON with comments and trailing commas (tsconfig style); None when unreadable."""
    out = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        else:
            out.append(ch)
            i += 1
    cleaned = _TRAILING_COMMA.sub(r"\1", "".join(out))
    try:
        return json.loads(cleaned)
    except ValueError:
        return None


class ReactIndex:
    def __init__(self, index):
        self.root = index.root
        self.files: dict = index.tsx
        self.settings = index.settings
        self._virtual: dict = index.settings.get("project_files") or {}
        self._memo_wrappers = tuple(index.settings.get(MEMO_WRAPPERS_SETTING) or ())
        self._root_real = os.path.realpath(self.root) if self.root else None
        self._text_cache: dict[str, Optional[str]] = {}
        self._notes: dict[str, Notification] = {}  # project files not read, and why
        self._json_cache: dict[str, object] = {}
        self._dir_config: dict[str, Optional[PathConfig]] = {}
        self._export_cache: dict[tuple, Optional[ComponentRef]] = {}
        # (importing folder, specifier) -> the file it names: every file of a folder importing
        # the same module resolves it the same way (the route map asks this ~100,000 times).
        self._resolved: dict[tuple, Optional[str]] = {}
        self._compiler_dirs = self._find_compiler()

    # -- reading project files (each at most once) ------------------------------------------

    def _read(self, rel_path: str) -> Optional[str]:
        rel_path = posixpath.normpath(rel_path)
        if rel_path not in self._text_cache:
            text = self._virtual.get(rel_path)
            if text is None and self.root:
                text = self._read_from_disk(rel_path)
            self._text_cache[rel_path] = text
        return self._text_cache[rel_path]

    def _read_from_disk(self, rel_path: str) -> Optional[str]:
        """A project file, read only inside the project root (a tsconfig `extends` may name any
        path, a link may point anywhere) and only when it is a regular file under the size cap
        of configuration files; any other is noted once and treated as absent."""
        if posixpath.isabs(rel_path) or rel_path == ".." or rel_path.startswith("../"):
            return self._not_read(rel_path, "outside the project root, not followed")
        path = os.path.join(self.root, rel_path)
        try:
            os.lstat(path)
        except OSError as error:
            # Most paths asked are absent (a `node_modules/<package>/package.json` per folder up
            # from each file, build configs a package does not have): one stat says so, where
            # resolving the links of every folder on the way costs one per folder. Other errors
            # (a folder we may not read) are reported as before.
            if error.errno in (errno.ENOENT, errno.ENOTDIR):
                return None
        if not is_within(os.path.realpath(path), self._root_real):
            if os.path.lexists(path):
                return self._not_read(rel_path, "a link to outside the project root, not followed")
            return None
        try:
            data = read_bounded(path, MAX_CONFIG_FILE_SIZE)
        except UnreadableFile as error:
            return None if error.missing else self._not_read(rel_path, error.reason)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return self._not_read(rel_path, "not UTF-8")

    def _not_read(self, rel_path: str, reason: str) -> None:
        self._notes.setdefault(rel_path, Notification(
            "warning", f"project configuration not read: {reason}", rel_path, kind="config-file",
        ))
        return None

    def project_notes(self) -> list[Notification]:
        """Project files this index did not read (outside the root, not regular, too large): the
        engine reports them with the run's notifications."""
        return [self._notes[path] for path in sorted(self._notes)]

    def read_json(self, rel_path: str):
        """A project JSON/JSONC file, parsed (None when absent, unreadable or broken), read once per run."""
        rel_path = posixpath.normpath(rel_path)
        if rel_path not in self._json_cache:
            text = self._read(rel_path)
            self._json_cache[rel_path] = parse_jsonc(text) if text is not None else None
        return self._json_cache[rel_path]

    def project_inputs(self) -> list[str]:
        """The non-source project files this index read (tsconfigs, package.json, build configs): a cache must
        treat a change to any of them as a change of the index."""
        return sorted(path for path, text in self._text_cache.items() if text is not None)

    # -- tsconfig ------------------------------------------------------------------------------

    def config_for_dir(self, directory: str) -> Optional[PathConfig]:
        """The nearest tsconfig/jsconfig at or above `directory` (project-relative, "" = root)."""
        directory = "" if directory in (".", "") else directory
        if directory in self._dir_config:
            return self._dir_config[directory]
        self._dir_config[directory] = None  # cycle guard
        found = None
        for name in CONFIG_NAMES:
            path = posixpath.join(directory, name) if directory else name
            if self._read(path) is not None:
                found = self._load_config(path, set())
                break
        if found is None and directory:
            found = self.config_for_dir(posixpath.dirname(directory))
        self._dir_config[directory] = found
        return found

    def _load_config(self, path: str, seen: set) -> PathConfig:
        config = PathConfig()
        path = posixpath.normpath(path)
        if path in seen or len(seen) > 16:
            return config
        seen.add(path)
        data = self.read_json(path)
        if not isinstance(data, dict):
            return config
        here = posixpath.dirname(path)
        extends = data.get("extends")
        for parent in (extends if isinstance(extends, list) else [extends]):
            if isinstance(parent, str) and parent:
                parent_path = self._config_path(here, parent)
                if parent_path is not None:
                    inherited = self._load_config(parent_path, seen)
                    config.base_url = inherited.base_url or config.base_url
                    if inherited.paths:
                        config.paths, config.paths_base = inherited.paths, inherited.paths_base
        options = data.get("compilerOptions") if isinstance(data.get("compilerOptions"), dict) else {}
        if isinstance(options.get("baseUrl"), str):
            config.base_url = _join(here, options["baseUrl"])
        if isinstance(options.get("paths"), dict):
            config.paths = tuple(
                (pattern, tuple(t for t in targets if isinstance(t, str)))
                for pattern, targets in options["paths"].items() if isinstance(targets, list)
            )
            # `paths` targets are relative to baseUrl when there is one, else to this file's folder.
            config.paths_base = config.base_url if config.base_url is not None else here
        if not config.paths:
            # Vite/solution-style tsconfig.json: the aliases live in a referenced tsconfig.app.json.
            for reference in data.get("references") or []:
                target = reference.get("path") if isinstance(reference, dict) else None
                if isinstance(target, str):
                    ref_path = _join(here, target)
                    if not ref_path.endswith(".json"):
                        ref_path = posixpath.join(ref_path, "tsconfig.json")
                    referenced = self._load_config(ref_path, seen)
                    if referenced.paths:
                        config.paths, config.paths_base = referenced.paths, referenced.paths_base
                        config.base_url = config.base_url or referenced.base_url
                        break
        return config

    def _config_path(self, here: str, spec: str) -> Optional[str]:
        if spec.startswith("."):
            path = _join(here, spec)
            if path == ".." or path.startswith("../"):
                # e.g. `"extends": "../../../../base.json"`: the project root is the limit.
                return self._not_read(path, "tsconfig `extends` outside the project root, not followed")
            candidates = [path, path + ".json", posixpath.join(path, "tsconfig.json")]
        else:  # a package: node_modules/<spec>[/tsconfig.json]
            candidates = []
            directory = here
            while True:
                base = posixpath.join(directory, "node_modules", spec) if directory else posixpath.join("node_modules", spec)
                candidates += [base, base + ".json", posixpath.join(base, "tsconfig.json")]
                if not directory:
                    break
                directory = posixpath.dirname(directory)
        return next((c for c in candidates if c.endswith(".json") and self._read(c) is not None), None)

    # -- module resolution ---------------------------------------------------------------------

    def resolve(self, from_path: str, spec: str) -> Optional[str]:
        """The project file (a key of ProjectIndex.tsx) that `import ... from spec` in `from_path` names."""
        if not spec:
            return None
        key = (posixpath.dirname(from_path), spec)
        try:
            return self._resolved[key]
        except KeyError:
            found = self._resolved[key] = next(filter(None, map(self._file_at, self.specifier_paths(from_path, spec))), None)
            return found

    def specifier_paths(self, from_path: str, spec: str):
        """The project paths `import ... from spec` in `from_path` may name, in the order they are
        tried (relative; tsconfig `paths`; `baseUrl`), before extensions and `index` files."""
        if spec.startswith("."):
            yield _join(posixpath.dirname(from_path), spec)
            return
        config = self.config_for_dir(posixpath.dirname(from_path))
        if config is None:
            return
        for pattern, targets in config.paths:
            star = _match(pattern, spec)
            for target in targets if star is not None else ():
                yield _join(config.paths_base or "", target.replace("*", star, 1))
        if config.base_url is not None:
            yield _join(config.base_url, spec)

    def _file_at(self, path: str) -> Optional[str]:
        if path in self.files:
            return path
        stem = path
        for js_ext in (".js", ".jsx", ".mjs", ".cjs"):
            if path.endswith(js_ext):  # TS ESM style: `./Row.js` names `Row.tsx`
                stem = path[: -len(js_ext)]
                break
        for ext in EXTENSIONS:
            if stem + ext in self.files:
                return stem + ext
        for ext in EXTENSIONS:
            candidate = posixpath.join(path, "index" + ext)
            if candidate in self.files:
                return candidate
        return None

    # -- exports -------------------------------------------------------------------------------

    def imported_component(self, rel_path: str, local: str, member: Optional[str] = None) -> Optional[ComponentRef]:
        """The component behind local import `local` of `rel_path` (`member` for `<NS.Row>`)."""
        summary = self.files.get(rel_path)
        if not summary:
            return None
        spec = summary.get("imports", {}).get(local)
        if not spec:
            return None
        module, imported = spec[0], spec[1]
        target = self.resolve(rel_path, module)
        if target is None:
            return None
        if imported == "*":
            return self.exported_component(target, member) if member else None
        if member:
            return None
        return self.exported_component(target, imported)

    def exported_component(self, rel_path: str, name: str, _depth: int = 0, _seen: Optional[set] = None) -> Optional[ComponentRef]:
        """The component exported as `name` by `rel_path`, following re-exports and barrels."""
        key = (rel_path, name)
        if key in self._export_cache:
            return self._export_cache[key]
        seen = _seen if _seen is not None else set()
        if key in seen or _depth > MAX_EXPORT_DEPTH:
            return None
        seen.add(key)
        found = self._exported(rel_path, name, _depth, seen)
        if _seen is None or found is not None:
            self._export_cache[key] = found
        return found

    def _exported(self, rel_path: str, name: str, depth: int, seen: set) -> Optional[ComponentRef]:
        summary = self.files.get(rel_path)
        if not summary:
            return None
        entry = summary.get("exports", {}).get(name)
        if entry is not None:
            component = entry.get("component")
            if component is not None:
                if component.get("lazy"):
                    target = self.resolve(rel_path, component["lazy"])
                    export = component.get("lazy_export", "default")
                    return self.exported_component(target, export, depth + 1, seen) if target is not None else None
                memoized = bool(component["memoized"])
                memo_by = component.get("memo_by", "")
                if component.get("wrappers"):
                    decided = wraps_in_memo(component["wrappers"], self._memo_wrappers)
                    memoized = memoized if decided is None else decided
                    memo_by = next((w for w in component["wrappers"] if w != "forwardRef"), "")
                compared = component.get("compared")
                return ComponentRef(rel_path, component["name"], memoized, component["line"],
                                    component["col"], component.get("kind", "function"),
                                    bool(component.get("custom_compare")),
                                    tuple(compared) if compared is not None else None,
                                    memo_by if memoized else "", bool(component.get("renders_list")))
            reexport = entry.get("reexport")
            if reexport:
                target = self.resolve(rel_path, reexport[0])
                if target is not None and reexport[1] != "*":
                    return self.exported_component(target, reexport[1], depth + 1, seen)
                return None
            local = entry.get("local")
            if local and local in summary.get("imports", {}):
                # `import Row from "./Row"; export { Row }`
                module, imported = summary["imports"][local]
                target = self.resolve(rel_path, module)
                if target is not None and imported != "*":
                    return self.exported_component(target, imported, depth + 1, seen)
            return None
        if name == "default":
            return None  # `export *` never re-exports the default
        for module in summary.get("star_reexports", []):
            target = self.resolve(rel_path, module)
            if target is not None:
                found = self.exported_component(target, name, depth + 1, seen)
                if found is not None:
                    return found
        return None

    # -- React Compiler --------------------------------------------------------------------------

    def _find_compiler(self) -> dict:
        """{project-relative directory: reason} for each package that compiles with the React Compiler."""
        setting = self.settings.get("react_compiler", "auto")
        self._compilation_modes: dict[str, str] = {}
        if setting == "on":
            return {"": "the configuration sets `react-compiler = \"on\"`"}
        if setting == "off":
            return {}
        directories = {""}
        for rel_path in self.files:
            directory = posixpath.dirname(rel_path)
            # package roots: folders holding a tsconfig/package.json on the way up from each file
            while directory and directory not in directories:
                directories.add(directory)
                directory = posixpath.dirname(directory)
        found = {}
        for directory in sorted(directories):
            reason = self._compiler_in(directory)
            if reason:
                found[directory] = reason
        return found

    def _compiler_in(self, directory: str) -> str:
        join = (lambda name: posixpath.join(directory, name)) if directory else (lambda name: name)
        package = self.read_json(join("package.json"))
        if isinstance(package, dict):
            for section in ("dependencies", "devDependencies", "peerDependencies"):
                deps = package.get(section)
                if isinstance(deps, dict):
                    for name in COMPILER_PACKAGES:
                        if name in deps:
                            return f"`{join('package.json')}` depends on `{name}`"
        if package is None and self._read(join("tsconfig.json")) is None and directory:
            return ""  # not a package root: no build config to look at
        reason = ""
        for name in BUILD_CONFIGS:
            text = self._read(join(name))
            if text and COMPILER_IN_CONFIG.search(text):
                reason = reason or f"`{join(name)}` enables the React Compiler"
                mode = COMPILATION_MODE.search(text)
                if mode:
                    self._compilation_modes[directory] = mode.group(1)
        return reason

    def compiler_for(self, rel_path: str) -> str:
        """Why `rel_path` is compiled by the React Compiler ("" when it is not)."""
        directory = self._compiler_directory(rel_path)
        return self._compiler_dirs[directory] if directory is not None else ""

    def compilation_mode_for(self, rel_path: str) -> str:
        directory = self._compiler_directory(rel_path)
        return self._compilation_modes.get(directory, "infer") if directory is not None else "infer"

    def react_major_version(self, rel_path: str) -> Optional[int]:
        for _directory, package in self.package_manifests(rel_path):
            for section in ("dependencies", "peerDependencies", "devDependencies"):
                deps = package.get(section)
                spec = deps.get("react") if isinstance(deps, dict) else None
                if isinstance(spec, str):
                    match = _VERSION_NUMBER.search(spec)
                    return int(match.group()) if match and not spec.startswith(("workspace:", "file:", "link:")) else None
        return None

    def package_manifests(self, rel_path: str):
        """(folder, parsed package.json) of each package.json from `rel_path`'s folder up to the root, nearest first."""
        directory = posixpath.dirname(rel_path)
        while True:
            manifest = self.read_json(posixpath.join(directory, "package.json") if directory else "package.json")
            if isinstance(manifest, dict):
                yield directory, manifest
            if not directory:
                return
            directory = posixpath.dirname(directory)

    def _compiler_directory(self, rel_path: str) -> Optional[str]:
        """The nearest package folder holding `rel_path` that compiles with the React Compiler."""
        directory = posixpath.dirname(rel_path)
        while True:
            if directory in self._compiler_dirs:
                return directory
            if not directory:
                return None
            directory = posixpath.dirname(directory)


def _join(base: str, path: str) -> str:
    joined = posixpath.normpath(posixpath.join(base, path)) if base else posixpath.normpath(path)
    return "" if joined == "." else joined


def _match(pattern: str, spec: str) -> Optional[str]:
    """The text `*` stands for when `spec` matches tsconfig path `pattern` ("" for an exact match)."""
    if "*" not in pattern:
        return "" if pattern == spec else None
    prefix, _, suffix = pattern.partition("*")
    if spec.startswith(prefix) and spec.endswith(suffix) and len(spec) >= len(prefix) + len(suffix):
        return spec[len(prefix): len(spec) - len(suffix)]
    return None
