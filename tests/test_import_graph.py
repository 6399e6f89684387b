"""perfscan's modules import in one direction: no module reaches back, even lazily.

Every import statement counts, at module level or inside a function (an import deferred into a
function is still a circle, only a hidden one); only `if TYPE_CHECKING:` imports are left out,
as they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

# Import package -> source folder (pyproject.toml's package-dir).
PACKAGES = {"perfscan": "analyzer", "perfscan.rules": "rules", "perfscan.grammars": "grammars"}


def module_files() -> dict[str, Path]:
    modules = {}
    for package, folder in PACKAGES.items():
        base = REPO / folder
        for path in base.rglob("*.py"):
            parts = list(path.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join([package, *parts])] = path
    return modules


def imports_of(name: str, source: str, is_package: bool, known: set[str]) -> set[str]:
    """The perfscan modules `source` (module `name`) imports, wherever the statement is."""
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(nodes) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                visit(node.orelse)
                continue
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([node.module] if node.module else []))
                found.add(base)
                # `from . import stages` imports the module perfscan.stages
                found.update(f"{base}.{alias.name}" for alias in node.names)
            visit(ast.iter_child_nodes(node))

    visit(ast.parse(source).body)
    return {module for module in found if module in known and module != name}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each group of modules that import one another (strongly connected, more than one)."""
    order, low, on_stack, stack, groups = {}, {}, set(), [], []

    def connect(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        on_stack.add(module)
        for other in sorted(graph[module]):
            if other not in order:
                connect(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], order[other])
        if low[module] == order[module]:
            group = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                group.append(other)
                if other == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(graph):
        if module not in order:
            connect(module)
    return groups


def import_graph() -> dict[str, set[str]]:
    files = module_files()
    known = set(files)
    return {
        name: imports_of(name, path.read_text(encoding="utf-8"), path.name == "__init__.py", known)
        for name, path in files.items()
    }


def test_no_import_cycle_among_perfscan_modules():
    graph = import_graph()
    assert {"perfscan.engine", "perfscan.parallel", "perfscan.facts.python"} <= set(graph)
    assert "perfscan.parallel" in graph["perfscan.engine"]  # the reader sees real edges
    assert cycles(graph) == []


def test_a_circle_through_a_function_level_import_is_found():
    known = {"perfscan.a", "perfscan.b", "perfscan.c"}
    a = "from .b import x\n"
    b = "def f():\n    from . import c\n"
    c = "import perfscan.a\nif TYPE_CHECKING:\n    from .b import y\n"
    graph = {
        "perfscan.a": imports_of("perfscan.a", a, False, known),
        "perfscan.b": imports_of("perfscan.b", b, False, known),
        "perfscan.c": imports_of("perfscan.c", c, False, known),
    }
    assert graph == {"perfscan.a": {"perfscan.b"}, "perfscan.b": {"perfscan.c"}, "perfscan.c": {"perfscan.a"}}
    assert cycles(graph) == [["perfscan.a", "perfscan.b", "perfscan.c"]]
