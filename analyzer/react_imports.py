"""Who imports a module: the static import graph of the project's TS/TSX files, reversed.

Built once per run from the TSX summaries (imports, re-exports, `export *`), with the module
resolution of the React index (relative paths, tsconfig paths and baseUrl), when a rule first
asks. A module that some file imports statically is in that file's chunk: loading it on demand
elsewhere (`import("./Page")`) moves it out of the first bundle only when no eagerly loaded
module imports it too.
"""

from __future__ import annotations

from typing import Optional

from .project import question
from .react_index import ComponentRef, react_index
from .test_paths import is_test_path


class ImportGraph:
    def __init__(self, index):
        react = react_index(index)
        importers: dict[str, set] = {}
        for rel_path, summary in index.tsx.items():
            if not summary:
                continue
            specs = {spec[0] for spec in summary.get("imports", {}).values() if spec}
            specs.update(entry["reexport"][0] for entry in summary.get("exports", {}).values()
                         if isinstance(entry, dict) and entry.get("reexport"))
            specs.update(summary.get("star_reexports", []))
            for spec in specs:
                target = react.resolve(rel_path, spec)
                if target is not None and target != rel_path:
                    importers.setdefault(target, set()).add(rel_path)
        self._importers = {target: tuple(sorted(files)) for target, files in importers.items()}

    def importers_of(self, rel_path: str) -> tuple:
        return self._importers.get(rel_path, ())


def import_graph(index) -> ImportGraph:
    return index.get_derived("react-import-graph", ImportGraph)


@question
def app_importers(index, rel_path: str) -> tuple:
    """The project files that import `rel_path` statically (`import`, `export ... from`), sorted,
    without test files and stories (config `test-paths`): they load in a test runner, not the app."""
    return tuple(p for p in import_graph(index).importers_of(rel_path) if not is_test_path(index.settings, p))


@question
def imported_component_ref(index, rel_path: str, local: str) -> Optional[ComponentRef]:
    """The project component that local import `local` of `rel_path` names, followed through
    re-exports to where it is defined (None: not a project component, or not resolved)."""
    return react_index(index).imported_component(rel_path, local)


@question
def resolved_module(index, rel_path: str, spec: str) -> Optional[str]:
    """The project file `import ... from spec` in `rel_path` names (None outside the project)."""
    return react_index(index).resolve(rel_path, spec)
