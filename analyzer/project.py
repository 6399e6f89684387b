"""The project index: the few facts that cross files, built once per run.

Each language's facts object offers `summary()`: a small, plain (picklable)
value holding only what other files need (exports, memoized components,
which functions may block, models...). The index is built from those
summaries alone, so it can be assembled from parallel workers, and rules read
it through the per-language indexes below.
"""

from __future__ import annotations

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
