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
import hashlib
from typing import Optional
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
    # Their fingerprints, for comparing with recorded traces (`trace_holds`): one per answer.
    digests: dict = field(default_factory=dict)

    @classmethod
    def build(cls, root: str, summaries: dict[str, tuple[str, object]], settings: Optional[dict] = None) -> "ProjectIndex":
        """`summaries`: {rel_path: (family, summary)}; `settings`: the configuration's project settings."""
        index = cls(root=root, settings=dict(settings or {}))
        for rel_path in sorted(summaries):
            family, summary = summaries[rel_path]
            getattr(index, family)[rel_path] = summary
        return index

    def __getstate__(self) -> dict:
        # Sent to worker processes: the summaries and settings, not this process's caches
        # (derived indexes are rebuilt where needed; answers name functions pickle cannot).
        return {**self.__dict__, "derived": {}, "answers": {}, "digests": {}}

    def get_derived(self, key: str, build):
        """Compute a derived index once per run: `index.get_derived("memo", build_memo_index)`."""
        if key not in self.derived:
            self.derived[key] = build(self)
        return self.derived[key]


# -- questions: how rules read the index, so a check can run before it exists ----------------
#
# A worker checks a file right after parsing it, against an empty index, and records every
# question the rules asked with the answer they got (a RecordingIndex). Once the real index is
# built, the questions are asked again: when every answer is the same, the findings stand and the
# tree was never needed twice; otherwise the file is checked again. Most answers are "no" either
# way (not a blocking helper, not a query function, not a model), so most files are checked once
# and their trees let go at once, instead of being held in memory until the index exists.
# The cache keeps the same record (`RecordingIndex.plain_trace`): on a later run a file whose
# content is unchanged keeps its findings while the changed index still gives its answers.

_PLAIN = (str, int, float, bool, bytes, type(None))

# Every question by its name (module.qualname), for replaying a trace read from the cache.
QUESTIONS: dict = {}


def is_plain(value) -> bool:
    """Arguments a question may keep and the cache may store: built-in scalars and tuples
    of them (no tree nodes: they keep whole trees alive)."""
    if isinstance(value, _PLAIN):
        return True
    if isinstance(value, tuple):
        return all(is_plain(item) for item in value)
    return False


def question(ask):
    """Mark `ask(index, *args)` as a question about the project. Arguments must be plain
    (`is_plain`); answers must compare with `==`. A RecordingIndex records both."""

    @functools.wraps(ask)
    def asked(index, *args):
        record = getattr(index, "record", None)
        if record is None:  # the real index
            return answer(index, ask, args)
        return record(ask, args)

    QUESTIONS[_name(ask)] = ask
    return asked


def _name(ask) -> str:
    return f"{ask.__module__}.{ask.__qualname__}"


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


def answer_digest(index: ProjectIndex, ask, args: tuple) -> bytes:
    """`fingerprint(answer(index, ask, args))`, once per index."""
    key = (ask, args)
    try:
        return index.digests[key]
    except KeyError:
        pass
    except TypeError:  # unhashable arguments (see `answer`)
        return fingerprint(answer(index, ask, args))
    digest = index.digests[key] = fingerprint(answer(index, ask, args))
    return digest


def fingerprint(value) -> bytes:
    """A digest of an answer that is equal for equal answers in any process (sets sorted)."""
    return hashlib.blake2b(_canonical(value).encode("utf-8", "surrogatepass"), digest_size=12).digest()


def _canonical(value) -> str:
    if isinstance(value, (set, frozenset)):
        return "{" + ",".join(sorted(_canonical(v) for v in value)) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_canonical(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(sorted(f"{_canonical(k)}:{_canonical(v)}" for k, v in value.items())) + "}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = ",".join(_canonical(getattr(value, f.name)) for f in dataclasses.fields(value))
        return f"{type(value).__qualname__}({fields})"
    return repr(value)


class RecordingIndex:
    """Stands in for a project index while one file is checked, recording every question the
    rules ask and the answer `base` gives: before the index is built (phase 1: `base` has no
    other file's summary), or with it (so the cache knows what the findings depend on).

    `holds(index)` says whether another index gives every answer again. Any other use of the
    index (an attribute, `get_derived`) cannot be replayed: the record is then `opaque`."""

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
        """Whether `index` gives every recorded answer again (as the cache replays it)."""
        return trace_holds(self.plain_trace(), index)

    def plain_trace(self) -> Optional[list]:
        """The record as built-in data for the cache (None when it cannot be replayed)."""
        if self.opaque:
            return None
        # The recorded answers are the base index's own (`answer` keeps them): their digests too.
        return sorted(([_name(ask), args, answer_digest(self._base, ask, args)] for ask, args in self.trace), key=repr)


def trace_holds(trace: Optional[list], index: ProjectIndex) -> bool:
    """Whether `index` answers every question of a cached trace as before."""
    if trace is None:
        return False
    try:
        for name, args, digest in trace:
            ask = QUESTIONS.get(name)
            if ask is None or not isinstance(args, tuple) or answer_digest(index, ask, args) != digest:
                return False
    except Exception:  # a malformed trace or a question that fails now: check the file again
        return False
    return True
