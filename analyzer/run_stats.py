"""`PERFSCAN_STATS=1` (or `perfscan check --show-timings`): where a run's time and memory went,
on stderr, as plain aligned text a user can paste into an issue.

It reads `RunResult.stats`, which analyzer/engine.py fills as the stages run; the command line
adds its own set-up and output times. Rules are timed per language family, not per rule: the
engine keeps no per-rule clock (a rule's work is spread over the facts all rules share).
"""

from __future__ import annotations

import os
import platform
import sys
from typing import Optional

STATS_ENV = "PERFSCAN_STATS"
_OFF = frozenset({"", "0", "false", "no", "off"})

FAMILY_NAMES = {"python": "Python", "tsx": "TS/TSX"}

# (label, stats key): counts first, then seconds per stage in the order they run.
COUNTS = (
    ("files checked", "files"),
    ("project files", "project_files"),
    ("files parsed", "parsed"),
    ("files parsed again", "reparsed"),
    ("summaries from cache", "summaries_cached"),
    ("findings from cache", "findings_cached"),
    ("findings replayed", "findings_replayed"),
    ("early checks kept", "early_kept"),
    ("early checks redone", "early_redone"),
    ("workers", "workers"),
    ("workers replaced", "workers_replaced"),
    ("files timed out", "timed_out"),
    ("files crashed", "crashed"),
)
STAGES_BEFORE = (
    ("set-up (imports, config, rules)", "setup_s"),
    ("discover", "discover_s"),
    ("cache lookup", "cache_lookup_s"),
)
FAMILY_STAGES = (
    ("parse, facts, early rules", "extract"),
    ("project index", "index"),
    ("rules (recheck)", "recheck"),
)
STAGES_AFTER = (
    ("stop workers", "stop_workers_s"),
    ("results", "results_s"),
    ("cache write", "cache_write_s"),
    ("measure (profiles)", "measure_s"),
    ("output (fixes, report)", "output_s"),
    ("total (engine)", "total_s"),
    ("total (command)", "command_s"),
)


def stats_wanted(flag: bool = False) -> bool:
    """The flag, or PERFSCAN_STATS set to anything but empty, 0, false, no or off."""
    return flag or os.environ.get(STATS_ENV, "").strip().lower() not in _OFF


def _families(stats: dict) -> list[str]:
    """The language families the run went through, in its order."""
    return [key[: -len("_extract_s")] for key in stats if key.endswith("_extract_s")]


def _mib(kb: Optional[int]) -> Optional[str]:
    return None if kb is None else f"{kb / 1024:.1f}"


def stats_rows(stats: dict) -> list[tuple[str, str]]:
    """(label, value) for each statistic the run kept; a section starts with a (title, unit) row."""
    rows: list[tuple[str, str]] = []
    counts = [(label, str(stats[key])) for label, key in COUNTS if key in stats]
    if counts:
        rows += [("counts", ""), *counts]
    stages = list(STAGES_BEFORE)
    for family in _families(stats):
        name = FAMILY_NAMES.get(family, family)
        stages += [(f"{name}: {label}", f"{family}_{part}_s") for label, part in FAMILY_STAGES]
    stages += STAGES_AFTER
    times = [(label, f"{stats[key]:.3f}") for label, key in stages if stats.get(key) is not None]
    if times:
        rows += [("time", "seconds"), *times]
    workers = stats.get("worker_maxrss_kb") or []
    memory = [("peak memory, main process", _mib(stats.get("peak_rss_kb")))]
    if workers:
        memory += [(f"peak memory, largest of {len(workers)} worker{'s' * (len(workers) != 1)}", _mib(max(workers)))]
    memory = [(label, value) for label, value in memory if value is not None]
    if memory:
        rows += [("memory (resident)", "MiB"), *memory]
    return rows


def render_run_stats(stats: dict, version: str) -> str:
    rows = stats_rows(stats)
    label_width = max((len(label) for label, _ in rows), default=0)
    value_width = max((len(value) for _, value in rows), default=0)
    system = f"Python {platform.python_version()} on {sys.platform}, {os.cpu_count() or '?'} CPUs"
    lines = [f"perfscan {version} run statistics ({system})"]
    for label, value in rows:
        lines.append(f"{label:<{label_width}}  {value:>{value_width}}".rstrip())
    return "\n".join(lines) + "\n"
