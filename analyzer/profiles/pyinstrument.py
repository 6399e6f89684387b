"""pyinstrument's JSON (`pyinstrument -r json -o profile.json ...`): a call tree whose frames
hold `function`, `file_path`, `line_no` (the function's first line) and `time` (inclusive
seconds) with their `children`. Each frame's own time is its time less its children's."""

from __future__ import annotations

import numbers

from .model import MAX_STACK_DEPTH, Frame, Profile, ProfileError


def is_pyinstrument(document) -> bool:
    return isinstance(document, dict) and isinstance(document.get("root_frame"), (dict, type(None))) and "root_frame" in document


def read_pyinstrument(path: str, document: dict) -> Profile:
    profile = Profile(path, "pyinstrument", "python")
    root = document.get("root_frame")
    if root is None:
        raise ProfileError(f"{path}: the pyinstrument profile recorded no samples")
    index: dict[tuple, int] = {}
    # Iterative walk: a deep recursion in the profiled program must not recurse here.
    pending = [(root, ())]
    while pending:
        node, parents = pending.pop()
        if not isinstance(node, dict):
            raise ProfileError(f"{path}: a pyinstrument frame is not an object")
        name, file, line, time = node.get("function"), node.get("file_path"), node.get("line_no"), node.get("time")
        if not isinstance(name, str) or not isinstance(time, numbers.Real):
            raise ProfileError(f"{path}: a pyinstrument frame without `function` and `time`")
        key = (name, file if isinstance(file, str) else "", line if isinstance(line, int) else 0)
        if key not in index:
            index[key] = len(profile.frames)
            profile.frames.append(Frame(name=key[0], file=key[1], line=max(key[2], 0), first_line=True))
        stack = parents + (index[key],)
        if len(stack) > MAX_STACK_DEPTH:
            raise ProfileError(f"{path}: the pyinstrument call tree is deeper than {MAX_STACK_DEPTH} frames")
        children = node.get("children") or []
        if not isinstance(children, list):
            raise ProfileError(f"{path}: a pyinstrument frame's children are not a list")
        child_time = sum(c.get("time", 0) for c in children if isinstance(c, dict) and isinstance(c.get("time"), numbers.Real))
        profile.add_stack(stack, float(time) - float(child_time))
        pending.extend((child, stack) for child in children)
    profile.total = sum(profile.stacks.values())
    return profile
