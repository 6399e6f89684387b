"""speedscope JSON (https://www.speedscope.app/file-format-schema.json), as written by
`py-spy record -f speedscope`, Austin (austin2speedscope), rbspy, and speedscope's own export.

Both profile types are read: "sampled" (stacks of frame indices, root first, with weights) and
"evented" (open/close events of frames over time). Every profile of the file (py-spy writes one
per thread) adds to the one result.
"""

from __future__ import annotations

import numbers

from .model import Frame, Profile, ProfileError

_SECONDS_PER_UNIT = {"seconds": 1.0, "milliseconds": 1e-3, "microseconds": 1e-6, "nanoseconds": 1e-9}


def is_speedscope(document) -> bool:
    return isinstance(document, dict) and (
        "speedscope" in str(document.get("$schema", "")) or ("shared" in document and "profiles" in document)
    )


def read_speedscope(path: str, document: dict, family: str = "python") -> Profile:
    shared = document.get("shared")
    profiles = document.get("profiles")
    if not isinstance(shared, dict) or not isinstance(shared.get("frames"), list) or not isinstance(profiles, list):
        raise ProfileError(f"{path}: a speedscope file without `shared.frames` and `profiles`")
    frames = []
    for raw in shared["frames"]:
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise ProfileError(f"{path}: a speedscope frame without a name")
        line = raw.get("line")
        col = raw.get("col")
        file = raw.get("file")
        frames.append(Frame(
            name=raw["name"], file=file if isinstance(file, str) else "",
            line=line if isinstance(line, int) and line > 0 else 0, first_line=False,
            column=col if isinstance(col, int) and col > 0 else 0,
        ))
    units = {p.get("unit") for p in profiles if isinstance(p, dict)}
    unit_is_time = bool(units) and units <= set(_SECONDS_PER_UNIT)
    profile = Profile(path, "speedscope", _family_of(frames, family), unit="s" if unit_is_time else "samples",
                      frames=frames, exporter=document.get("exporter") if isinstance(document.get("exporter"), str) else None)
    for raw in profiles:
        if not isinstance(raw, dict):
            raise ProfileError(f"{path}: a speedscope profile that is not an object")
        scale = _SECONDS_PER_UNIT.get(raw.get("unit"), 1.0) if unit_is_time else 1.0
        kind = raw.get("type")
        if kind == "sampled":
            _read_sampled(path, raw, profile, scale)
        elif kind == "evented":
            _read_evented(path, raw, profile, scale)
        else:
            raise ProfileError(f"{path}: a speedscope profile of unknown type {str(kind)[:40]!r}")
    profile.total = sum(profile.stacks.values())
    return profile


def _read_sampled(path: str, raw: dict, profile: Profile, scale: float) -> None:
    samples, weights = raw.get("samples"), raw.get("weights")
    if not isinstance(samples, list) or not isinstance(weights, list) or len(samples) != len(weights):
        raise ProfileError(f"{path}: a sampled speedscope profile needs `samples` and as many `weights`")
    count = len(profile.frames)
    for stack, weight in zip(samples, weights):
        if not isinstance(stack, list) or not isinstance(weight, numbers.Real):
            raise ProfileError(f"{path}: a speedscope sample is not a list of frame indices with a weight")
        stack = tuple(stack)
        if not all(isinstance(i, int) and 0 <= i < count for i in stack):
            raise ProfileError(f"{path}: a speedscope sample names a frame that does not exist")
        profile.add_stack(stack, float(weight) * scale)


def _read_evented(path: str, raw: dict, profile: Profile, scale: float) -> None:
    events = raw.get("events")
    if not isinstance(events, list):
        raise ProfileError(f"{path}: an evented speedscope profile needs `events`")
    count = len(profile.frames)
    open_frames: list[int] = []
    last = None
    for event in events:
        if not isinstance(event, dict) or event.get("type") not in ("O", "C"):
            raise ProfileError(f"{path}: a speedscope event is not an open (O) or close (C) event")
        at, frame = event.get("at"), event.get("frame")
        if not isinstance(at, numbers.Real) or not isinstance(frame, int) or not 0 <= frame < count:
            raise ProfileError(f"{path}: a speedscope event without a time or a known frame")
        if last is not None and open_frames and at > last:
            profile.add_stack(tuple(open_frames), (at - last) * scale)
        last = at
        if event["type"] == "O":
            open_frames.append(frame)
        elif frame in open_frames:  # closes it and anything opened after it
            del open_frames[len(open_frames) - 1 - open_frames[::-1].index(frame):]


def _family_of(frames: list[Frame], default: str) -> str:
    """speedscope serves both languages: a profile of JavaScript files measures the frontend."""
    python = sum(1 for f in frames if f.file.endswith(".py"))
    script = sum(1 for f in frames if f.file.endswith((".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs")))
    return "tsx" if script > python else default
