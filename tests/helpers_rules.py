"""Small test-only rules, so engine tests do not depend on the real rule set."""

from __future__ import annotations

from perfscan.rule import Rule, flag, ok


class CallNamedSlow(Rule):
    """Reports every call to a function named `slow` (Python) or `slow` (TSX)."""

    code = "PF999"
    name = "test-call-named-slow"
    languages = frozenset({"python", "tsx"})
    level = "warning"
    summary = "test rule"
    what_it_does = why_slow = how_to_measure = use_instead = "test"
    examples = (flag("slow()\n", (1, 1)), ok("fast()\n"))

    def check(self, ctx):
        stack = [ctx.source.tree.root_node]
        while stack:
            node = stack.pop()
            if node.type in ("call", "call_expression"):
                function = node.child_by_field_name("function")
                if function is not None and ctx.source.node_text(function) == "slow":
                    ctx.report(node, "`slow` is slow")
            stack.extend(node.children)
        return ()
