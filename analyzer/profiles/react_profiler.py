"""React DevTools Profiler exports (Profiler tab, "Save profile...": profiling-data.json).

Per root, `commitData` lists each commit's `duration` and the fibers that rendered in it with
their `fiberActualDurations` (the fiber and its subtree) and `fiberSelfDurations`, as
[fiber id, milliseconds] pairs. A fiber's display name comes from `snapshots` (the tree when
profiling started) or, for fibers mounted while profiling, from the ADD operations of
`operations`: one array per commit, as the DevTools backend sent it, with its own string table.
When profiling starts before the page mounts ("Reload and start profiling") the snapshots are
empty and every name is in the operations. Only names are kept: they map to the repository's
components by name.
"""

from __future__ import annotations

import numbers

from .model import Profile, ProfileError, RenderStats

# Operation codes of react-devtools-shared/src/constants.js (TREE_OPERATION_*, SUSPENSE_TREE_*).
_ADD, _REMOVE, _REORDER, _UPDATE_BASE_DURATION, _ERRORS, _REMOVE_ROOT, _SUBTREE_MODE = 1, 2, 3, 4, 5, 6, 7
_SUSPENSE_ADD, _SUSPENSE_REMOVE, _SUSPENSE_REORDER, _SUSPENSE_RESIZE, _SUSPENDERS, _ACTIVITY_SLICE = 8, 9, 10, 11, 12, 13
_ROOT_TYPE = 11
_LAST_ELEMENT_TYPE = 31  # element types are small numbers (class 1, function 5, memo 8, root 11...)
# Values after a component ADD's id and type: parent, owner, display name, key and, in newer
# DevTools, the `name` prop's string id. An export does not say which DevTools wrote it: each
# operations array is decoded with the newer layout first, then the older.
_ADD_FIELD_COUNTS = (5, 4)
_ROOT_ADD_FIELD_COUNT = 4  # strict mode compliant, profiling flags, supports strict mode, owner metadata
# Wrappers the DevTools backend puts around the inner name (its snapshots keep the inner name).
_NAME_WRAPPERS = ("Memo(", "ForwardRef(", "Forget(")


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
    known = set(names)
    for operations in root.get("operations") or ():
        if isinstance(operations, list) and all(isinstance(v, int) for v in operations):
            names.update(_added_names(operations, known))
    return names


def _added_names(ops: list, known: set) -> dict[int, str]:
    """Names of the fibers one operations array adds: [renderer, root, string table size,
    strings (length, code points)..., operations...]. `known` holds the fiber ids seen so far
    (snapshots, earlier arrays) and gains this array's. The ADD layout that decodes the whole
    array, every parent known, is taken; if none does (an operation this reader does not know),
    the one that added more fibers before its first doubt (a wrong layout soon meets an unknown
    parent) gives the names decoded up to there."""
    strings = _string_table(ops)
    if strings is None:
        return {}
    decoded = [_decode(ops, 3 + ops[2], strings, known | {ops[1]}, fields) for fields in _ADD_FIELD_COUNTS]
    # max keeps the first of equals: the newer layout on a tie.
    names, added, _ = max(decoded, key=lambda result: (result[2], len(result[1])))
    known.update(added)
    return names


def _string_table(ops: list) -> list | None:
    if len(ops) < 3 or ops[2] < 0 or 3 + ops[2] > len(ops):
        return None
    strings: list = [None]  # string id 0 is null
    at, end = 3, 3 + ops[2]
    while at < end:
        length = ops[at]
        if length < 0 or at + 1 + length > end:
            return None
        try:
            strings.append("".join(map(chr, ops[at + 1 : at + 1 + length])))
        except (ValueError, OverflowError):
            return None
        at += 1 + length
    return strings


def _decode(ops: list, at: int, strings: list, known: set, add_fields: int):
    """(names added, ids added, whether the decoding reached the end)."""
    names: dict[int, str] = {}
    known = set(known)
    added: set = set()
    while at < len(ops):
        step = _step(ops, at, strings, known, names, add_fields)
        if step is None:
            return names, added, False
        if ops[at] == _ADD:
            added.add(ops[at + 1])
        at += step
    return names, added, True


def _step(ops: list, at: int, strings: list, known: set, names: dict, add_fields: int) -> int | None:
    """Length of the operation at `at` (noting an ADD's name), or None when it does not fit."""
    op, left = ops[at], len(ops) - at

    def counted(header: int, count_at: int, per_item: int = 1) -> int | None:
        if left <= count_at:
            return None
        size = header + per_item * max(ops[at + count_at], 0)  # -1: "no rectangles"
        return size if size <= left else None

    if op == _ADD:
        if left < 3 or not 0 < ops[at + 2] <= _LAST_ELEMENT_TYPE:
            return None
        fiber, kind = ops[at + 1], ops[at + 2]
        size = 3 + (_ROOT_ADD_FIELD_COUNT if kind == _ROOT_TYPE else add_fields)
        if size > left:
            return None
        if kind != _ROOT_TYPE:
            parent, name_id = ops[at + 3], ops[at + 5]
            if parent not in known or not all(0 <= i < len(strings) for i in ops[at + 5 : at + size]):
                return None
            if strings[name_id]:
                names[fiber] = _inner_name(strings[name_id])
        known.add(fiber)
        return size
    if op in (_REMOVE, _SUSPENSE_REMOVE):
        return counted(2, 1)
    if op in (_REORDER, _SUSPENSE_REORDER):
        return counted(3, 2)
    if op in (_UPDATE_BASE_DURATION, _SUBTREE_MODE):
        return 3 if left >= 3 else None
    if op == _ERRORS:
        return 4 if left >= 4 else None
    if op == _REMOVE_ROOT:  # older DevTools: removes the array's root
        return 1
    if op == _SUSPENSE_ADD:
        return counted(6, 5, per_item=4)
    if op == _SUSPENSE_RESIZE:
        return counted(3, 2, per_item=4)
    if op == _SUSPENDERS:
        return _suspenders_size(ops, at)
    if op == _ACTIVITY_SLICE:
        return 2 if left >= 2 else None
    return None


def _suspenders_size(ops: list, at: int) -> int | None:
    """[op, changes, then per change: id, unique suspenders, end time, suspended, n, n names]."""
    if at + 1 >= len(ops):
        return None
    end = at + 2
    for _ in range(max(ops[at + 1], 0)):
        if end + 4 >= len(ops):
            return None
        end += 5 + max(ops[end + 4], 0)
    return end - at if end <= len(ops) else None


def _inner_name(name: str) -> str:
    """`Memo(UserRow)` -> `UserRow`, as DevTools shows it (the wrappers become its HOC badges)."""
    while name.endswith(")") and name.startswith(_NAME_WRAPPERS):
        name = name[name.index("(") + 1 : -1]
    return name
