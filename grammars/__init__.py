"""Tree-sitter languages and queries, created once per process.

Query files live in `grammars/queries/<family>/<name>.scm` and ship inside the
wheel. `query("python", "calls")` compiles on first use and is cached.
"""

from __future__ import annotations

from functools import lru_cache
from operator import attrgetter
from importlib import resources

import tree_sitter

from ..source import parser_input


@lru_cache(maxsize=None)
def language(name: str) -> tree_sitter.Language:
    if name == "python":
        import tree_sitter_python

        return tree_sitter.Language(tree_sitter_python.language())
    if name == "typescript":
        import tree_sitter_typescript

        return tree_sitter.Language(tree_sitter_typescript.language_typescript())
    if name == "tsx":
        import tree_sitter_typescript

        return tree_sitter.Language(tree_sitter_typescript.language_tsx())
    raise ValueError(f"unknown language {name!r}")


@lru_cache(maxsize=None)
def parser(name: str) -> tree_sitter.Parser:
    return tree_sitter.Parser(language(name))


def parse(name: str, data: bytes) -> tree_sitter.Tree:
    # Rows count every line end (LF, CRLF, lone CR), as SourceFile numbers lines.
    return parser(name).parse(parser_input(data))


@lru_cache(maxsize=None)
def query_source(family: str, name: str) -> str:
    return resources.files(__package__).joinpath("queries", family, f"{name}.scm").read_text("utf-8")


@lru_cache(maxsize=None)
def query(lang: str, name: str) -> tree_sitter.Query:
    """Compiled query `name` for grammar `lang`.

    TypeScript and TSX share the query files of the `tsx` family; each grammar
    compiles its own copy (a Query is bound to one Language).
    """
    family = "python" if lang == "python" else "tsx"
    return tree_sitter.Query(language(lang), query_source(family, name))


def outer_first(nodes) -> list:
    """The nodes in source order, an enclosing node before the nodes inside it (start, then
    longest first): two stable sorts with C-level keys, no Python call per node."""
    ordered = sorted(nodes, key=attrgetter("end_byte"), reverse=True)
    ordered.sort(key=attrgetter("start_byte"))
    return ordered


def captures(lang: str, name: str, node) -> dict:
    """Run query `name` over `node`; returns {capture name: [nodes]}."""
    return tree_sitter.QueryCursor(query(lang, name)).captures(node)


def matches(lang: str, name: str, node) -> list:
    """Run query `name` over `node`; returns [(pattern index, {capture: [nodes]})]."""
    return tree_sitter.QueryCursor(query(lang, name)).matches(node)
