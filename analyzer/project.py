"""The project index: the few facts that cross files, built once per run.

Each language's facts object offers `summary()`: a small, plain (picklable)
value holding only what other files need (exports, memoized components,
which functions may block, models...). The index is built from those
summaries alone, so it can be assembled from parallel workers, and rules read
it through the per-language indexes below.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field


@dataclass
class ProjectIndex:
    root: str  # absolute project root; files are keyed by their relative POSIX path
    # {rel_path: summary} per language family, as returned by facts.summary()
    python: dict = field(default_factory=dict)
    tsx: dict = field(default_factory=dict)
    # Project-level settings found while building (e.g. tsconfig paths,
    # whether the React Compiler is in use); filled by the language indexes.
    settings: dict = field(default_factory=dict)
    # Derived, language-specific indexes, built lazily by their modules and
    # cached here so every rule shares one copy.
    derived: dict = field(default_factory=dict)
    # Answers to questions (see `question` below), by (question, arguments): many files ask the same.
    answers: dict = field(default_factory=dict)

    @classmethod
    def build(cls, root: str, summaries: dict[str, tuple[str, object]]) -> "ProjectIndex":
        """`summaries`: {rel_path: (family, summary)}."""
        index = cls(root=root)
        for rel_path in sorted(summaries):
            family, summary = summaries[rel_path]
            getattr(index, family)[rel_path] = summary
        return index

    def get_derived(self, key: str, build):
        """Compute a derived index once per run: `index.get_derived("memo", build_memo_index)`."""
        if key not in self.derived:
            self.derived[key] = build(self)
        return self.derived[key]


# -- questions: how rules read the index, so a check can run before it exists ----------------
#
# A worker checks a file right after parsing it, against an empty index, and records every
# question the rules asked with the answer they got (a SpeculativeIndex). Once the real index is
# built, the questions are asked again: when every answer is the same, the findings stand and the
# tree was never needed twice; otherwise the file is checked again. Most answers are "no" either
# way (not a blocking helper, not a query function, not a model), so most files are checked once
# and their trees let go at once, instead of being held in memory until the index exists.

_PLAIN = (str, int, float, bool, bytes, type(None))


def is_plain(value) -> bool:
    """Data a question may keep: no tree nodes (they keep whole trees alive) and nothing mutable."""
    if isinstance(value, _PLAIN):
        return True
    if isinstance(value, (tuple, frozenset)):
        return all(is_plain(item) for item in value)
    params = getattr(type(value), "__dataclass_params__", None)
    if params is not None and params.frozen:
        return all(is_plain(getattr(value, f.name)) for f in dataclasses.fields(value))
    return False


def question(ask):
    """Mark `ask(index, *args)` as a question about the project. Arguments must be plain data
    and answers must compare with `==`; a SpeculativeIndex records both."""

    @functools.wraps(ask)
    def asked(index, *args):
        record = getattr(index, "record", None)
        if record is None:  # the real index
            return answer(index, ask, args)
        return record(ask, args)

    return asked


def answer(index: ProjectIndex, ask, args: tuple):
    """`ask(index, *args)`, once per index: questions are pure functions of the index."""
    key = (ask, args)
    try:
        return index.answers[key]
    except KeyError:
        pass
    except TypeError:  # unhashable arguments: not a plain question, ask every time
        return ask(index, *args)
    found = index.answers[key] = ask(index, *args)
    return found


class SpeculativeIndex:
    """Stands in for the project index while one file is checked before the index is built.

    Answers come from `base` (an index without other files' summaries) and are recorded;
    `holds(index)` says whether the real index gives every one of them. Any other use of the
    index (an attribute, `get_derived`) makes the check unverifiable: the file is checked again."""

    def __init__(self, base: ProjectIndex):
        self._base = base
        self.trace: dict = {}  # (question, args) -> answer
        self.opaque = False

    def record(self, ask, args):
        found = answer(self._base, ask, args)
        if is_plain(args):
            self.trace[(ask, args)] = found
        else:
            self.opaque = True
        return found

    def __getattr__(self, name):
        self.opaque = True
        return getattr(self._base, name)

    def holds(self, index: ProjectIndex) -> bool:
        return not self.opaque and all(answer(index, ask, args) == found for (ask, args), found in self.trace.items())
