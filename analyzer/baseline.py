"""Baselines: adopt perfscan on legacy code by recording today's findings, then report only
new ones.

The file is meant to be committed: JSON, one entry per finding, sorted, no line numbers (an
edit elsewhere in a file would rewrite them) and no timestamps or tool version (so writing it
again over the same code gives the same bytes). A finding is matched by its fingerprint
(reporters/common.py `fingerprints`): rule, repository-relative path, the flagged code and its
occurrence number, so findings keep their identity when lines move.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

TOOL = "perfscan"
FORMAT_VERSION = 1


class BaselineError(Exception):
    """A baseline file that cannot be used; the message names the file."""


@dataclass(frozen=True)
class Entry:
    fingerprint: str
    code: str
    path: str  # repository-relative
    message: str


def entries_of(findings, fingerprint_of: dict, paths) -> list[Entry]:
    from .reporters.common import unlinked

    return sorted(
        (Entry(fingerprint_of[id(f)], f.code, paths(f.span.path), unlinked(f.message)) for f in findings),
        key=lambda e: (e.path, e.code, e.fingerprint),
    )


def dumps(entries: list[Entry]) -> str:
    document = {
        "tool": TOOL,
        "format": FORMAT_VERSION,
        "findings": [
            {"path": e.path, "code": e.code, "fingerprint": e.fingerprint, "message": e.message} for e in entries
        ],
    }
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def write(path: str, entries: list[Entry]) -> None:
    try:
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(dumps(entries))
    except OSError as error:
        raise BaselineError(f"cannot write baseline {path}: {error.strerror or error}") from None


def load(path: str) -> list[Entry]:
    """The entries of the baseline at `path`; BaselineError (one line naming the file) when it
    is missing, unreadable, not JSON, or not a perfscan baseline of this format."""
    if not os.path.exists(path):
        raise BaselineError(f"baseline file does not exist: {path} (create it with --write-baseline {path})")
    try:
        with open(path, "rb") as handle:
            document = json.loads(handle.read().decode("utf-8-sig"))
    except OSError as error:
        raise BaselineError(f"cannot read baseline {path}: {error.strerror or error}") from None
    except (UnicodeDecodeError, ValueError) as error:
        raise BaselineError(f"baseline {path} is not valid JSON: {str(error).splitlines()[0]}") from None
    if not isinstance(document, dict) or document.get("tool") != TOOL:
        tool = document.get("tool") if isinstance(document, dict) else None
        other = f" (it says tool {tool!r})" if isinstance(tool, str) else ""
        raise BaselineError(f"{path} is not a perfscan baseline{other}")
    if document.get("format") != FORMAT_VERSION:
        raise BaselineError(
            f"baseline {path} has format {document.get('format')!r}; this perfscan reads format {FORMAT_VERSION}"
        )
    entries = []
    for number, item in enumerate(document.get("findings") if isinstance(document.get("findings"), list) else [None]):
        fields = ("fingerprint", "code", "path", "message")
        if not isinstance(item, dict) or not all(isinstance(item.get(name), str) for name in fields):
            raise BaselineError(f"baseline {path} is corrupt: finding {number + 1} lacks {', '.join(fields)}")
        entries.append(Entry(*(item[name] for name in fields)))
    return entries


@dataclass
class Comparison:
    """A run's findings against a baseline: each finding is `new` or `unchanged`; the
    baseline's entries that no finding matched are `absent` (fixed since)."""

    path: str
    state: dict = field(default_factory=dict)  # id(finding) -> "new" | "unchanged"
    absent: list = field(default_factory=list)  # [Entry]

    def state_of(self, finding) -> str:
        return self.state.get(id(finding), "new")


def compare(path: str, entries: list[Entry], findings, fingerprint_of: dict) -> Comparison:
    known = {e.fingerprint: e for e in entries}
    seen = set()
    comparison = Comparison(path)
    for finding in findings:
        fingerprint = fingerprint_of[id(finding)]
        if fingerprint in known:
            comparison.state[id(finding)] = "unchanged"
            seen.add(fingerprint)
        else:
            comparison.state[id(finding)] = "new"
    comparison.absent = [e for e in entries if e.fingerprint not in seen]
    return comparison
