"""What every profile reader gives the measure stage: frames as recorded, and their cost.

Readers only parse; mapping frames to the repository's functions is the measure stage's job
(analyzer/profiles/measure.py), so one recorded on another machine maps the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


# The deepest call stack a reader follows: deeper than any real program's, and a malformed
# file's cycle or runaway tree stops there instead of at the machine's limits.
MAX_STACK_DEPTH = 10_000


class ProfileError(Exception):
    """A profile that cannot be read: the message names the file and says why."""


@dataclass(frozen=True)
class Frame:
    """One function as the profiler recorded it. `line` is 1-based (0: unknown); `first_line`
    says whether it is the function's first line (cProfile, pyinstrument, V8) or any line of it
    (py-spy records the line being run)."""

    name: str
    file: str
    line: int = 0
    first_line: bool = True
    column: int = 0  # 1-based, 0: unknown (V8 records it; source maps need it)


@dataclass
class CallStats:
    """One function of a deterministic profile (cProfile / profile): its calls, own time (`tt`),
    cumulative time (`ct`), and for each caller the time spent in it when called from there."""

    calls: int
    own: float
    cumulative: float
    callers: dict = field(default_factory=dict)  # caller frame index -> (own, cumulative) seconds from it


@dataclass
class RenderStats:
    """One component of a React Profiler export: commits it rendered in, and the time."""

    renders: int = 0
    actual_ms: float = 0.0  # the component and its subtree, summed over commits
    self_ms: float = 0.0  # the component alone


@dataclass
class Profile:
    path: str  # as given on the command line
    format: str  # "cProfile", "pyinstrument", "speedscope", "V8 cpuprofile", "React Profiler"
    family: str  # the language family it measures: "python" or "tsx"
    unit: str = "s"  # "s", or "samples" when the profiler recorded no time (py-spy)
    total: float = 0.0  # the whole profile, in `unit` (React: milliseconds of commits)
    frames: list[Frame] = field(default_factory=list)
    # Sampled and tree formats: root-to-leaf frame indices -> weight in `unit`, identical
    # stacks merged.
    stacks: dict = field(default_factory=dict)
    # Deterministic formats (cProfile): frame index -> CallStats.
    calls: dict = field(default_factory=dict)
    # React Profiler: component display name -> RenderStats.
    renders: dict = field(default_factory=dict)
    commits: int = 0
    exporter: Optional[str] = None

    @property
    def name(self) -> str:
        import os

        return os.path.basename(self.path)

    def add_stack(self, stack: tuple, weight: float) -> None:
        if weight > 0 and stack:
            self.stacks[stack] = self.stacks.get(stack, 0.0) + weight
