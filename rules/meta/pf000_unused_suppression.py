"""PF000 unused-suppression: a suppression comment that silences nothing or names an unknown code.

The work is done by the suppression pass (analyzer/suppression.py), which sees every finding of
the file before the comments apply; this class holds the rule's code, documentation and
examples, so it is listed, explained and described in SARIF like any rule.
"""

from __future__ import annotations

from perfscan.rule import Rule, flag, ok


class UnusedSuppression(Rule):
    code = "PF000"
    name = "unused-suppression"
    languages = frozenset({"python", "tsx"})
    level = "warning"
    tags = ("suppression",)
    precision = "very-high"
    # Off unless asked for: `--report-unused-ignores`, `report-unused-ignores = true`, or
    # `select = ["PF000"]` (selecting everything does not turn it on).
    opt_in = True
    switch = "report_unused_ignores"
    summary = "A suppression comment names an unknown rule code, or silences no finding."
    what_it_does = """
        Reports `# perfscan: ignore[...]` and `perfscan-ignore-next-line` comments that no
        longer do anything: a code that is no rule's (`PF2O1` for `PF201`, a misspelt name), a
        code with no finding of its rule on the line the comment covers, or a comment without
        codes on a line with no finding at all. A code whose rule did not run on the file (not
        selected, or a rule of the other language) is not reported, and a comment without codes
        only when every rule of the file's language ran. Off by default: turn it on with
        `perfscan check --report-unused-ignores` or `report-unused-ignores = true`.
    """
    why_slow = """
        It is not slow itself. A suppression that outlived its finding hides the next real
        problem on that line, and a misspelt code silences nothing while looking as if it did:
        the slow call it was meant to acknowledge is reported, or, with a baseline, forgotten.
    """
    how_to_measure = """
        `perfscan check . --report-unused-ignores --select PF000` lists every stale or
        misspelt suppression of the project.
    """
    use_instead = """
        Remove the comment (or the code from its list) when the finding is gone; correct the
        code when it is misspelt (`perfscan rules` lists them).
    """
    examples = (
        flag(
            """
            import requests

            async def handler(url):
                return requests.get(url)  # perfscan: ignore[PF2O1]
            """,
            (4, 31),
            shown=True,
        ),
        flag(
            """
            export function List({ items }) {
              // perfscan-ignore-next-line mutaton-in-render
              items.sort();
              return null;
            }
            """,
            (2, 3),
            path="List.tsx",
        ),
        ok(
            """
            import requests

            async def handler(url):
                return requests.get(url)  # perfscan: ignore[PF201]
            """,
            why="a known code whose rule did not run here: whether it silences something is not known",
            shown=True,
        ),
        ok(
            """
            // perfscan-ignore-next-line PF101 -- sorted copy below, reviewed
            const sorted = [...items].sort();
            """,
            why="words after `--` are the reason, not codes",
            path="sort.ts",
        ),
    )

    def check(self, ctx):
        return ()  # reported by the suppression pass, after every other rule of the file

    def needs_facts(self, source):
        return False  # the suppression pass reads comments and findings, never facts
