"""V8 CPU profiles: a `.cpuprofile` (`node --cpu-prof`, the DevTools JavaScript profiler,
`Profiler.stop` over the DevTools protocol) and the trace a Chrome DevTools Performance
recording is saved as (its `ProfileChunk` events hold the same nodes and samples).

A node is a function on one call path (`callFrame`: functionName, url, 0-based lineNumber and
columnNumber of the function's start); samples name the leaf node, `timeDeltas` the
microseconds between samples. Time the engine spent idle is left out of the total: the share
of a function is of the time the page or process was busy.
"""

from __future__ import annotations

import numbers

from .model import MAX_STACK_DEPTH, Frame, Profile, ProfileError

_LEFT_OUT = frozenset({"(idle)", "(root)"})


def is_cpuprofile(document) -> bool:
    return isinstance(document, dict) and isinstance(document.get("nodes"), list) and "samples" in document


def is_chrome_trace(document) -> bool:
    events = document.get("traceEvents") if isinstance(document, dict) else document
    return isinstance(events, list) and any(
        isinstance(e, dict) and e.get("name") == "ProfileChunk" for e in events[:200_000]
    )


def read_cpuprofile(path: str, document: dict) -> Profile:
    nodes, samples, deltas = document.get("nodes"), document.get("samples"), document.get("timeDeltas")
    if not isinstance(samples, list) or not isinstance(deltas, (list, type(None))):
        raise ProfileError(f"{path}: a V8 CPU profile without `samples`")
    parents: dict[int, int] = {}
    frames: dict[int, dict] = {}
    for node in nodes:
        if not isinstance(node, dict) or not isinstance(node.get("id"), int) or not isinstance(node.get("callFrame"), dict):
            raise ProfileError(f"{path}: a V8 CPU profile node without `id` and `callFrame`")
        frames[node["id"]] = node["callFrame"]
        for child in node.get("children") or ():
            if isinstance(child, int):
                parents[child] = node["id"]
        if isinstance(node.get("parent"), int):
            parents[node["id"]] = node["parent"]
    return _profile(path, "V8 cpuprofile", frames, parents, samples, deltas or [])


def read_chrome_trace(path: str, document) -> Profile:
    """The profile chunks of a Performance recording, all threads' samples together."""
    events = document.get("traceEvents") if isinstance(document, dict) else document
    frames: dict = {}
    parents: dict = {}
    samples: list = []
    deltas: list = []
    for event in events:
        if not isinstance(event, dict) or event.get("name") != "ProfileChunk":
            continue
        data = (event.get("args") or {}).get("data") or {}
        profile_id = (event.get("pid"), event.get("id"))  # node ids are per profile
        cpu = data.get("cpuProfile") or {}
        for node in cpu.get("nodes") or ():
            if not isinstance(node, dict) or not isinstance(node.get("id"), int) or not isinstance(node.get("callFrame"), dict):
                raise ProfileError(f"{path}: a profile chunk node without `id` and `callFrame`")
            frames[(profile_id, node["id"])] = node["callFrame"]
            if isinstance(node.get("parent"), int):
                parents[(profile_id, node["id"])] = (profile_id, node["parent"])
        chunk_samples = cpu.get("samples") or []
        chunk_deltas = data.get("timeDeltas") or []
        if not isinstance(chunk_samples, list) or not isinstance(chunk_deltas, list):
            raise ProfileError(f"{path}: a profile chunk whose samples are not lists")
        samples.extend((profile_id, s) for s in chunk_samples)
        deltas.extend(chunk_deltas)
    if not frames:
        raise ProfileError(f"{path}: the Chrome trace holds no CPU profile (record with the Performance panel's JavaScript samples on)")
    return _profile(path, "Chrome trace", frames, parents, samples, deltas)


def _profile(path: str, format_name: str, call_frames: dict, parents: dict, samples: list, deltas: list) -> Profile:
    profile = Profile(path, format_name, "tsx")
    index: dict[tuple, int] = {}
    stacks: dict = {}  # node id -> stack of frame indices, root first (no idle/root frames)

    def frame_of(node_id) -> int:
        call = call_frames[node_id]
        name, url = call.get("functionName"), call.get("url")
        line, column = call.get("lineNumber"), call.get("columnNumber")
        key = (name if isinstance(name, str) else "", url if isinstance(url, str) else "",
               line + 1 if isinstance(line, int) and line >= 0 else 0,
               column + 1 if isinstance(column, int) and column >= 0 else 0)
        if key not in index:
            index[key] = len(profile.frames)
            profile.frames.append(Frame(name=key[0], file=key[1], line=key[2], first_line=True, column=key[3]))
        return index[key]

    def stack_of(node_id) -> tuple:
        found = stacks.get(node_id)
        if found is not None:
            return found
        chain = []
        current = node_id
        while current is not None and current not in stacks:
            if current not in call_frames or len(chain) > MAX_STACK_DEPTH:
                raise ProfileError(f"{path}: a V8 CPU profile node's parents do not lead to the root")
            chain.append(current)
            current = parents.get(current)
        stack = stacks[current] if current is not None else ()
        for node in reversed(chain):
            name = call_frames[node].get("functionName")
            stack = stack if name in _LEFT_OUT else stack + (frame_of(node),)
            stacks[node] = stack
        return stack

    # A sample lasts until the next one: its weight is the next delta (the last: the mean).
    numeric = [d if isinstance(d, numbers.Real) and d > 0 else 0 for d in deltas]
    mean = sum(numeric) / len(numeric) if numeric else 0.0
    idle = set()
    for number, node_id in enumerate(samples):
        if node_id not in call_frames:
            raise ProfileError(f"{path}: a V8 CPU profile sample names a node that does not exist")
        if call_frames[node_id].get("functionName") == "(idle)":
            idle.add(node_id)
            continue
        weight = numeric[number + 1] if number + 1 < len(numeric) else mean
        profile.add_stack(stack_of(node_id), weight / 1e6)
    profile.total = sum(profile.stacks.values())
    return profile
