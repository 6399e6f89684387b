"""React DevTools Profiler exports (Profiler tab, "Save profile...": profiling-data.json).

Per root, `commitData` lists each commit's `duration` and the fibers that rendered in it with
their `fiberActualDurations` (the fiber and its subtree) and `fiberSelfDurations`, as
[fiber id, milliseconds] pairs. A fiber's display name comes from `snapshots` (the tree when
profiling started) or, for fibers mounted while profiling, from the ADD operations of
`operations` (their own string table). Only names are kept: they map to the repository's
components by name.
"""

from __future__ import annotations

import numbers

from .model import Profile, ProfileError, RenderStats

_ADD, _REMOVE, _REORDER, _UPDATE_BASE_DURATION, _ERRORS, _REMOVE_ROOT, _SUBTREE_MODE = 1, 2, 3, 4, 5, 6, 7
_ROOT_TYPE = 11


def is_react_profile(document) -> bool:
    return isinstance(document, dict) and isinstance(document.get("dataForRoots"), list)


def read_react_profile(path: str, document: dict) -> Profile:
    profile = Profile(path, "React Profiler", "tsx", unit="ms")
    for root in document["dataForRoots"]:
        if not isinstance(root, dict) or not isinstance(root.get("commitData"), list):
            raise ProfileError(f"{path}: a React Profiler root without `commitData`")
        names = _names(root)
        for commit in root["commitData"]:
            if not isinstance(commit, dict):
                raise ProfileError(f"{path}: a React Profiler commit is not an object")
            duration = commit.get("duration")
            if isinstance(duration, numbers.Real):
                profile.total += float(duration)
            profile.commits += 1
            selfs = dict(_pairs(path, commit.get("fiberSelfDurations")))
            for fiber, actual in _pairs(path, commit.get("fiberActualDurations")):
                name = names.get(fiber)
                if not name:
                    continue
                stats = profile.renders.setdefault(name, RenderStats())
                stats.renders += 1
                stats.actual_ms += actual
                stats.self_ms += selfs.get(fiber, 0.0)
    if not profile.commits:
        raise ProfileError(f"{path}: the React Profiler export holds no commit (profile while using the page)")
    return profile


def _pairs(path: str, value):
    if value is None:
        return []
    if not isinstance(value, list):
        raise ProfileError(f"{path}: React Profiler durations are not a list of [fiber id, ms] pairs")
    pairs = []
    for item in value:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], int) and isinstance(item[1], numbers.Real)):
            raise ProfileError(f"{path}: React Profiler durations are not a list of [fiber id, ms] pairs")
        pairs.append((item[0], float(item[1])))
    return pairs


def _names(root: dict) -> dict[int, str]:
    names: dict[int, str] = {}
    for entry in root.get("snapshots") or ():
        if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], dict):
            name = entry[1].get("displayName")
            if isinstance(entry[0], int) and isinstance(name, str):
                names[entry[0]] = name
    for operations in root.get("operations") or ():
        if isinstance(operations, list) and all(isinstance(v, int) for v in operations):
            names.update(_added_names(operations))
    return names


def _added_names(ops: list) -> dict[int, str]:
    """Names of fibers added in one operations array: [renderer, root, string table size,
    strings (length, code points)..., operations...]. A layout this reader does not know stops
    the decoding there: names found so far are kept, nothing is guessed."""
    names: dict[int, str] = {}
    if len(ops) < 3:
        return names
    strings = [None]
    at, end = 3, 3 + ops[2]
    while at < min(end, len(ops)):
        length = ops[at]
        try:
            strings.append("".join(map(chr, ops[at + 1 : at + 1 + length])))
        except (ValueError, OverflowError):
            return names
        at += 1 + length
    at = end
    while at < len(ops):
        op = ops[at]
        if op == _ADD and at + 2 < len(ops):
            fiber, kind = ops[at + 1], ops[at + 2]
            if kind == _ROOT_TYPE:
                at += 7  # id, type, strict mode, profiling flags, supports strict mode, owner metadata
                continue
            if at + 6 >= len(ops):
                break
            name_id = ops[at + 5]
            if 0 < name_id < len(strings):
                names[fiber] = strings[name_id]
            at += 7  # id, type, parent, owner, display name, key
        elif op == _REMOVE and at + 1 < len(ops):
            at += 2 + ops[at + 1]
        elif op == _REORDER and at + 2 < len(ops):
            at += 3 + ops[at + 2]
        elif op == _UPDATE_BASE_DURATION:
            at += 3
        elif op == _ERRORS:
            at += 4
        elif op == _REMOVE_ROOT:
            at += 1
        elif op == _SUBTREE_MODE:
            at += 3
        else:
            break
    return names
