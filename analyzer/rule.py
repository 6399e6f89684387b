"""The one shape every rule has, whichever language it checks.

A rule is a subclass of `Rule` in `rules/<language>/`, holding together:
its code and name, languages, default level, tags, its documentation in one
fixed outline, examples that must and must not be flagged (run by the test
suite and rendered into the docs), and the check itself.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Iterable, Optional

from .findings import Finding, FlowStep, Fix, Level, Related, Span

if TYPE_CHECKING:  # pragma: no cover
    from .project import ProjectIndex
    from .source import SourceFile



@dataclass(frozen=True)
class Example:
    """A code example kept with its rule.

    `flagged` lists the (line, column) of each finding the rule must report,
    1-based, column in UTF-16 units: an empty tuple means "must not be flagged".
    `path` is the file name the example is checked as (its extension picks
    the grammar). `files` adds other files of the same project, for
    cross-file examples: {relative path: source}.
    `shown` puts the example in the rule's documentation (the first flagged
    one under "Example", the first clean one under "Use instead").
    """

    code: str
    flagged: tuple[tuple[int, int], ...] = ()
    path: str = ""
    files: dict = field(default_factory=dict)
    why: str = ""  # for must-not examples: what real-world case this guards
    shown: bool = False
    fixed: Optional[str] = None  # the file's text after applying the finding's fix(es)
    profile: Optional[str] = None  # a recorded profile the example is measured with (PF001)

    @property
    def source(self) -> str:
        return textwrap.dedent(self.code).lstrip("\n")


def flag(code: str, *at: tuple[int, int], **kw) -> Example:
    """An example the rule must report, at exactly these (line, column) positions."""
    if not at:
        raise ValueError("a must-flag example needs at least one expected position")
    return Example(code=code, flagged=tuple(at), **kw)


def ok(code: str, why: str = "", **kw) -> Example:
    """An example the rule must not report."""
    return Example(code=code, flagged=(), why=why, **kw)


class Rule:
    code: ClassVar[str]  # "PF101": stable forever
    name: ClassVar[str]  # "mutation-in-render"
    languages: ClassVar[frozenset[str]]  # families: {"python"} or {"tsx"}
    level: ClassVar[Level] = "warning"
    tags: ClassVar[tuple[str, ...]] = ()
    precision: ClassVar[str] = "high"  # SARIF/GitHub: very-high | high | medium | low
    summary: ClassVar[str]  # one sentence: SARIF shortDescription, `perfscan rules`
    # The documentation outline; each part is Markdown.
    what_it_does: ClassVar[str]
    why_slow: ClassVar[str]
    how_to_measure: ClassVar[str]
    use_instead: ClassVar[str]
    examples: ClassVar[tuple[Example, ...]] = ()
    default_extension: ClassVar[str] = ""  # extension for examples without a path
    # Reports only what costs time on a hot path: nothing in test files unless tests are
    # included, then at level `note` (analyzer/test_paths.py; applied by the engine).
    hot_path_only: ClassVar[bool] = False
    # Off unless asked for (PF000, PF001): by the Config field named `switch`, or by its own
    # code or name in `select` (Config.rule_enabled).
    opt_in: ClassVar[bool] = False
    switch: ClassVar[str] = ""

    def check(self, ctx: "RuleContext") -> Iterable[Finding]:  # pragma: no cover
        raise NotImplementedError

    def needs_facts(self, source: "SourceFile") -> bool:
        """Whether this rule may need the full facts of `source` (its text is all that is read
        yet). Asked only of rules that run on test code (not `hot_path_only`): where none of
        them does, a test file gets names-only facts (analyzer/facts/__init__.py). Answer True
        unless the text proves the rule has nothing to report."""
        return True

    # -- documentation, rendered from the parts above ------------------------

    @classmethod
    def example_path(cls, example: Example) -> str:
        if example.path:
            return example.path
        ext = cls.default_extension or (".py" if "python" in cls.languages else ".tsx")
        return f"example{ext}"

    @classmethod
    def shown_examples(cls) -> tuple[Optional[Example], Optional[Example]]:
        bad = next((e for e in cls.examples if e.flagged and e.shown), None) or next(
            (e for e in cls.examples if e.flagged), None
        )
        good = next((e for e in cls.examples if not e.flagged and e.shown), None)
        return bad, good

    @classmethod
    def full_description(cls) -> str:
        return _plain(cls.what_it_does)

    @classmethod
    def markdown(cls) -> str:
        """The rule's page: What it does / Why is this slow / How to measure / Example / Use instead."""
        bad, good = cls.shown_examples()
        parts = [
            f"# {cls.code} {cls.name}",
            "",
            f"Level: `{cls.level}` · Languages: {', '.join(sorted(cls.languages))}"
            + (f" · Tags: {', '.join(cls.tags)}" if cls.tags else ""),
            "",
            "## What it does",
            _md(cls.what_it_does),
            *(["", TEST_CODE_POLICY] if cls.hot_path_only else []),
            "",
            "## Why is this slow",
            _md(cls.why_slow),
            "",
            "## How to measure",
            _md(cls.how_to_measure),
        ]
        if bad is not None:
            parts += ["", "## Example", _code_block(bad, cls.example_path(bad))]
        parts += ["", "## Use instead", _md(cls.use_instead)]
        if good is not None:
            parts += ["", _code_block(good, cls.example_path(good))]
        return "\n".join(parts).rstrip() + "\n"

    @classmethod
    def anchor(cls) -> str:
        """The heading anchor of this rule in docs/rules.md (GitHub's slug of '## PF101 name')."""
        return f"{cls.code.lower()}-{cls.name}"

    @classmethod
    def help_uri(cls, template: Optional[str]) -> Optional[str]:
        """The rule's page where the team publishes the docs: config `help-uri`, a template
        with {code}, {name} and {anchor}. None when unset: the docs travel inside the SARIF
        (`help.markdown`) and `perfscan explain`, so no link is better than a guessed one."""
        if not template:
            return None
        return template.format(code=cls.code, name=cls.name, anchor=cls.anchor())


TEST_CODE_POLICY = (
    "**Test code** is not a hot path: files under `tests/`, `test/` or `__tests__/`, `test_*.py`, `*_test.py`, "
    "`conftest.py`, Django's `tests.py`, `*.test.tsx` / `*.spec.ts` (any JS/TS extension) and Storybook `*.stories.tsx` "
    "(config `test-paths`, gitignore-style patterns; add `\"scripts/\"` there to treat "
    "one-off scripts the same way) are not reported. `--include-tests` or `include-tests = true` "
    "reports them at level `note`."
)


def _md(text: str) -> str:
    return textwrap.dedent(text).strip()


def _plain(text: str) -> str:
    return " ".join(_md(text).split())


def _code_block(example: Example, path: str) -> str:
    lang = "python" if path.endswith(".py") else ("ts" if path.endswith(".ts") else "tsx")
    return f"```{lang}\n{example.source.rstrip()}\n```"


class RuleContext:
    """What a rule's check sees: one file, its facts, the project index, and `report`."""

    def __init__(self, rule: Rule, source: "SourceFile", facts, index: "ProjectIndex", level: Level):
        self.rule = rule
        self.source = source
        self.facts = facts
        self.index = index
        self.level = level
        self.findings: list[Finding] = []

    def report(
        self,
        node_or_span,
        message: str,
        *,
        related: Iterable[Related] = (),
        flow: Iterable[FlowStep] = (),
        fix: Optional[Fix] = None,
        level: Optional[Level] = None,
        properties: Optional[dict] = None,
    ) -> Finding:
        span = node_or_span if isinstance(node_or_span, Span) else self.source.span(node_or_span)
        finding = Finding(
            code=self.rule.code,
            rule_name=self.rule.name,
            level=level or self.level,
            message=message,
            span=span,
            snippet=self.source.snippet(span),
            related=tuple(related),
            flow=tuple(flow),
            fix=fix,
            properties=dict(properties or {}),
        )
        self.findings.append(finding)
        return finding
