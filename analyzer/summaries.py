"""Summaries on their way to the project index.

A file's summary (facts.summary()) is made in a worker and read by the project index of every
worker in phase 2; the parent only passes it on. As Python objects a summary is ~5 times the
size of its pickle (4,337 summaries of saleor: 62 MB of dicts, lists and strings, 12.5 MB
pickled), so it travels and waits packed: a worker pickles it once, the parent keeps the bytes
(and sends them on as they are), and only the index that reads it unpacks it. Where the
index would not fit a worker's share of the memory cap as it comes, unpacking shares equal
strings between files (module and function names recur in every importer): 25-30 % less
memory, for about three times the CPU of unpickling (0.3 s per worker on saleor).
"""

from __future__ import annotations

import pickle
from typing import Optional

from .project import ProjectIndex


# Memory of unpacked summaries (with shared strings) per byte packed: 51.5 MB from 12.5 MB on saleor.
UNPACKED_PER_PACKED = 4
# The same without sharing strings: 52 MB from 10 MB on saleor (39 MB shared), a little over.
UNSHARED_PER_PACKED = 5.5


class PackedSummary:
    """A summary as pickled bytes, unpacked only by the index that reads it."""

    __slots__ = ("data",)

    def __init__(self, data: bytes):
        self.data = data

    @classmethod
    def of(cls, summary) -> "PackedSummary":
        return cls(pickle.dumps(summary, protocol=pickle.HIGHEST_PROTOCOL))

    def unpack(self):
        return pickle.loads(self.data)

    def __reduce__(self):
        return (PackedSummary, (self.data,))

    def __len__(self) -> int:
        return len(self.data)


def unpacked(summary, strings: Optional[dict] = None):
    """The summary itself, unpickled if packed; then, with `strings` (a table shared by the
    calls for a whole index), equal strings in it become one object. A summary that was not
    packed is returned as it is: it is someone else's (a cache entry's, an in-process run's)."""
    if not isinstance(summary, PackedSummary):
        return summary
    summary = summary.unpack()
    if strings is None or type(summary) not in _CONTAINERS:
        return summary
    return _share_strings(summary, strings, {})


_CONTAINERS = (dict, list, tuple)


def _share_strings(value, strings: dict, done: dict):
    """A copy of `value` (a dict, list or tuple) with every string taken from `strings` (equal
    strings become one object); containers are copied once each (`done`, by id), so what the
    summary shared it still shares. Strings and scalars are handled in the loop, not by a call
    each: this walk runs over every summary of the project in every worker (saleor: 0.4 s of
    CPU for 0.3 s of unpickling)."""
    known = done.get(id(value))
    if known is not None:
        return known[1]
    get = strings.setdefault
    if type(value) is dict:
        copy = {}
        for key, item in value.items():
            kind = type(item)
            if kind is str:
                item = get(item, item)
            elif kind is dict or kind is list or kind is tuple:
                item = _share_strings(item, strings, done)
            copy[get(key, key) if type(key) is str else key] = item
    else:
        items = []
        append = items.append
        for item in value:
            kind = type(item)
            if kind is str:
                append(get(item, item))
            elif kind is dict or kind is list or kind is tuple:
                append(_share_strings(item, strings, done))
            else:
                append(item)
        copy = items if type(value) is list else tuple(items)
    done[id(value)] = (value, copy)  # the original kept alive, so its id is not reused meanwhile
    return copy


class IndexInputs:
    """What a project index is built from: the project root, the project settings and every
    file's summary, {rel_path: (family, summary or PackedSummary)}. Sent to the workers as it
    is (packed summaries are bytes: nothing to pickle again); `index()` builds the index in this
    process, once, when this process asks it something."""

    def __init__(self, root: str, summaries: dict[str, tuple[str, object]], settings: Optional[dict] = None):
        self.root = root
        self.summaries = summaries
        self.settings = dict(settings or {})
        self._index: Optional[ProjectIndex] = None

    def __getstate__(self) -> dict:
        return {"root": self.root, "summaries": self.summaries, "settings": self.settings, "_index": None}

    @property
    def built(self) -> Optional[ProjectIndex]:
        """The index if this process has built it, else None."""
        return self._index

    def index(self, share_strings: bool = True) -> ProjectIndex:
        """The index, built on the first call. `share_strings`: make equal strings one object (a
        quarter less memory for the index, for about three times the CPU of unpickling it)."""
        if self._index is None:
            strings: Optional[dict] = {} if share_strings else None
            summaries = {rel: (family, unpacked(summary, strings)) for rel, (family, summary) in self.summaries.items()}
            self._index = ProjectIndex.build(self.root, summaries, self.settings)
        return self._index

    def without(self, rel_paths: set) -> "IndexInputs":
        """The same inputs less the summaries of `rel_paths` (a worker has those already)."""
        return IndexInputs(self.root, {rel: s for rel, s in self.summaries.items() if rel not in rel_paths}, self.settings)

    def packed_bytes(self) -> int:
        """The size of the packed summaries (what unpacking them will cost, ~4 times over)."""
        return sum(len(summary) for _, summary in self.summaries.values() if isinstance(summary, PackedSummary))
