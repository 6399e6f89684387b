"""Memory: what a process holds now, and the run's budget shared by all its processes."""

from __future__ import annotations

import os
import sys
from typing import Optional


def resident_kb() -> int:
    """This process's resident memory now (Linux), else its peak so far."""
    try:
        with open("/proc/self/statm", "rb") as handle:
            return int(handle.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, ValueError, IndexError, AttributeError):
        return peak_resident_kb() or 0


def peak_resident_kb() -> Optional[int]:
    """This process's peak resident memory so far; None where the system does not say (Windows)."""
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS, KiB elsewhere


def tune_gc() -> None:
    """Collect young objects less often. A run allocates millions of short-lived objects while
    the facts of held files stay alive; with the default thresholds the collector ran ~1,500
    times on polar/server and its full passes over the held facts took ~20 % of the run
    (measured with gc.callbacks). Memory is still bounded: full collections keep running."""
    import gc

    gc.set_threshold(50_000, 20, 10)


def release_memory() -> None:
    """Give freed trees back to the system (glibc keeps freed heap otherwise), so the
    memory cap measures what is really in use when the next family starts."""
    import gc

    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def proportional_kb() -> int:
    """This process's share of memory (PSS: shared pages split between sharers), Linux."""
    try:
        with open("/proc/self/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return resident_kb()


# Memory for a whole run (all processes), in MiB; PERFSCAN_MAX_MEMORY_MB overrides.
DEFAULT_MEMORY_MB = 400
# What the parent still adds once the workers' shares are set: the packed summaries it passes on
# (it never unpacks them: analyzer/summaries.py), the findings and the results (+13 MiB on saleor).
PARENT_RESERVE_KB = 32 * 1024
# Below this a worker could not hold even a few trees: it still gets this much.
MIN_WORKER_SHARE_KB = 64 * 1024


def memory_budget_mb(memory_mb: Optional[int] = None) -> int:
    if memory_mb:
        return memory_mb
    try:
        value = int(os.environ.get("PERFSCAN_MAX_MEMORY_MB", ""))
    except ValueError:
        return DEFAULT_MEMORY_MB
    return value if value > 0 else DEFAULT_MEMORY_MB


def worker_share_kb(budget_kb: int, workers: int, reserve_kb: int = PARENT_RESERVE_KB) -> int:
    """One worker's part of the run's budget: what the parent does not hold now, less what it
    will still need, split evenly. The parent is measured by its proportional size: pages a
    forked worker still shares with it are then counted once over all processes."""
    return max(MIN_WORKER_SHARE_KB, (budget_kb - proportional_kb() - reserve_kb) // workers)
