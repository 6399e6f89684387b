"""Profiles the user recorded, read without running anything: one reader per format, chosen
by the file's content (never its name).

    cProfile / profile stats (marshal)   pstats_format.py
    pyinstrument JSON (-r json)          pyinstrument.py
    speedscope JSON (py-spy, Austin...)  speedscope.py
    V8 .cpuprofile, Chrome trace         cpuprofile.py (bundles: sourcemap.py)
    React DevTools Profiler export       react_profiler.py

`measure.py` is the stage that maps them onto the repository's functions and findings.
"""

from __future__ import annotations

import json
import os

from ..safe_read import UnreadableFile, read_bounded
from .model import Profile, ProfileError

__all__ = ["MAX_PROFILE_BYTES", "Profile", "ProfileError", "load_profile", "parse_profile"]

# json.loads holds about ten times the file in memory: larger recordings are refused, with
# how to record a smaller one, rather than read to the machine's limit.
MAX_PROFILE_BYTES = 200 * 1024 * 1024

FORMATS = "cProfile/profile stats, pyinstrument JSON, speedscope JSON, a V8 .cpuprofile or Chrome trace, or a React Profiler export"


def load_profile(path: str, max_bytes: int = MAX_PROFILE_BYTES) -> Profile:
    try:
        size = os.stat(path).st_size
    except OSError as error:
        raise ProfileError(f"{path}: cannot read the profile: {error.strerror or error}") from None
    if size > max_bytes:
        raise ProfileError(
            f"{path}: the profile is {size / 1e6:.0f} MB, over perfscan's {max_bytes // (1024 * 1024)} MB limit for "
            "profiles; record a shorter window (`py-spy record --duration 30`, a shorter Performance recording) "
            "or one process"
        )
    try:
        data = read_bounded(path, max_bytes)
    except UnreadableFile as error:
        raise ProfileError(f"{path}: cannot read the profile: {error.reason}") from None
    return parse_profile(path, data)


def parse_profile(path: str, data: bytes) -> Profile:
    """The profile in `data` (named `path` in messages), its format told by its content."""
    from .pstats_format import looks_like_pstats, read_pstats

    if not data.strip():
        raise ProfileError(f"{path}: the profile is empty")
    if looks_like_pstats(data):
        return read_pstats(path, data)
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if not text.startswith(("{", "[")):
        raise ProfileError(f"{path}: not a profile perfscan reads (expected {FORMATS})")
    try:
        document = json.loads(text)
    except RecursionError:
        raise ProfileError(f"{path}: the JSON nests too deeply to read") from None
    except ValueError as error:
        raise ProfileError(f"{path}: not valid JSON, perhaps truncated ({error})") from None
    return _read_json(path, document)


def _read_json(path: str, document) -> Profile:
    from .cpuprofile import is_chrome_trace, is_cpuprofile, read_chrome_trace, read_cpuprofile
    from .pyinstrument import is_pyinstrument, read_pyinstrument
    from .react_profiler import is_react_profile, read_react_profile
    from .speedscope import is_speedscope, read_speedscope

    try:
        if is_speedscope(document):
            return read_speedscope(path, document)
        if is_pyinstrument(document):
            return read_pyinstrument(path, document)
        if is_react_profile(document):
            return read_react_profile(path, document)
        if is_cpuprofile(document):
            return read_cpuprofile(path, document)
        if is_chrome_trace(document):
            return read_chrome_trace(path, document)
    except (TypeError, AttributeError, KeyError, IndexError) as error:
        # A shape the reader's checks did not foresee: still the user's file, not our crash.
        raise ProfileError(f"{path}: a malformed profile ({type(error).__name__}: {error})") from None
    raise ProfileError(f"{path}: JSON, but not a profile perfscan reads (expected {FORMATS})")
