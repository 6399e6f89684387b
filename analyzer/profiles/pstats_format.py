"""cProfile and profile stats files (`python -m cProfile -o app.prof`, `pstats.Stats.dump_stats`).

The file is `marshal.dump` of {(file, first line, function): (primitive calls, calls, own
time, cumulative time, {caller key: (..., cumulative time from that caller)})}. It is read with
`marshal.loads`, which builds plain values only (a code object in a crafted file would be a
value too, never run: anything but the shape above is refused); `pickle` is never used and
nothing the file names is imported.
"""

from __future__ import annotations

import marshal
import numbers

from .model import CallStats, Frame, Profile, ProfileError


def looks_like_pstats(data: bytes) -> bool:
    # marshal's TYPE_DICT ('{'), with or without FLAG_REF, then a tuple key (')' small tuple or '(').
    return len(data) > 2 and data[0] in (0x7B, 0xFB) and data[1] in (0x29, 0xA9, 0x28, 0xA8, 0x30)


def read_pstats(path: str, data: bytes) -> Profile:
    try:
        stats = marshal.loads(data)
    except (ValueError, EOFError, TypeError) as error:
        raise ProfileError(
            f"{path}: not a readable cProfile stats file ({error}); it may be truncated, or written by "
            "another Python version's marshal format: load it there with pstats and dump it again"
        ) from None
    if not isinstance(stats, dict):
        raise ProfileError(f"{path}: not a cProfile stats file (its data is no table of functions)")
    profile = Profile(path, "cProfile", "python")
    index: dict[tuple, int] = {}

    def frame_index(key) -> int:
        found = index.get(key)
        if found is None:
            file, line, name = key
            found = index[key] = len(profile.frames)
            profile.frames.append(Frame(name=name, file=file if file != "~" else "", line=line, first_line=True))
        return found

    for key, value in stats.items():
        if not isinstance(value, tuple) or len(value) != 5:
            raise ProfileError(f"{path}: not a cProfile stats file (an entry is not (calls, time, callers))")
        if not _is_key(key):
            # The `profile` module records its own bookkeeping under keys holding a code object
            # instead of a name: a value like any other, never run; no function of the project.
            continue
        primitive, calls, own, cumulative, callers = value
        if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in (primitive, calls, own, cumulative)):
            raise ProfileError(f"{path}: not a cProfile stats file (an entry's counts are not numbers)")
        if not isinstance(callers, dict):
            raise ProfileError(f"{path}: not a cProfile stats file (an entry's callers are not a table)")
        from_callers = {}
        for caller, edge in callers.items():
            if not _is_key(caller):
                continue
            # cProfile: (primitive calls, calls, own time, cumulative time); the `profile` module
            # of older Pythons: a call count alone, which says nothing of time.
            if isinstance(edge, tuple) and len(edge) == 4 and all(isinstance(v, numbers.Real) for v in edge[2:]):
                from_callers[frame_index(caller)] = (float(edge[2]), float(edge[3]))
        profile.calls[frame_index(key)] = CallStats(int(calls), float(own), float(cumulative), from_callers)
        profile.total += float(own)
    if not profile.calls:
        raise ProfileError(f"{path}: the cProfile stats file holds no function")
    return profile


def _is_key(key) -> bool:
    return (isinstance(key, tuple) and len(key) == 3 and isinstance(key[0], str)
            and isinstance(key[1], int) and isinstance(key[2], str))
