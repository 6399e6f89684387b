"""Pieces of the TSX facts that tsx.py and tsx_http.py both read. They live here so tsx_http
(built on TsxFacts) never imports tsx.py, which imports it for the summary: the facts modules
import in one direction only."""

from __future__ import annotations

FUNCTION_TYPES = frozenset(
    {"function_declaration", "generator_function_declaration", "function_expression", "arrow_function", "method_definition"}
)
# Wrappers that keep an expression's value: `(x)`, `x as T`, `x!`, `x satisfies T`.
TRANSPARENT_TYPES = frozenset({"parenthesized_expression", "as_expression", "non_null_expression", "satisfies_expression"})


def call_arguments(call) -> list:
    """The argument nodes of a call, comments left out."""
    arguments = call.child_by_field_name("arguments")
    return [c for c in arguments.named_children if c.type != "comment"] if arguments is not None else []


def unwrap(node):
    while node is not None and node.type in TRANSPARENT_TYPES:
        node = node.named_children[0] if node.named_children else None
    return node
