"""What a run gives back: findings, notifications and the files they point into."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from .config import DEFAULT_MAX_FILE_SIZE
from .findings import Finding, Notification
from .safe_read import UnreadableFile, read_bounded
from .source import SourceFile


@dataclass
class RunResult:
    root: str
    findings: list[Finding] = field(default_factory=list)  # suppressed ones included
    notifications: list[Notification] = field(default_factory=list)
    files_checked: int = 0
    sources: dict = field(default_factory=dict)  # rel_path -> SourceFile (for reporters/fixes)
    missing_paths: list = field(default_factory=list)  # command-line paths that do not exist
    # How the run went: files, parsed, summaries_cached, findings_cached, workers...
    stats: dict = field(default_factory=dict)
    # {rel_path: (family, summary)} of every project file, read on demand (`perfscan routes`
    # builds the project index from them): a function, so a run that never asks unpickles none.
    project_summaries: Optional[Callable[[], dict]] = None

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if f.suppressed_by is None]


class LazySource(SourceFile):
    """A checked file without its tree: what reporters and fixes read (path,
    language, partial flag), with the text loaded from disk on first use.
    Workers never send trees or texts back; most files need neither."""

    def __init__(self, path: str, rel_path: str, language: str, partial: bool = False,
                 max_size: int = DEFAULT_MAX_FILE_SIZE):
        self.path = path
        self.max_size = max_size
        self.rel_path = rel_path
        self.language = language
        self.tree = None
        self.partial = partial
        self._line_starts = None
        self._loaded = None

    def _load(self) -> tuple[bytes, str]:
        if self._loaded is None:
            try:
                data = read_bounded(self.path, self.max_size)
            except UnreadableFile:  # gone, swapped for a FIFO, grown past the cap since the check
                data = b""
            text = data.decode("utf-8", errors="replace")
            if text.startswith("\ufeff"):
                text, data = text[1:], data[3:]
            self._loaded = (data, text)
        return self._loaded

    @property
    def data(self) -> bytes:  # type: ignore[override]
        return self._load()[0]

    @property
    def text(self) -> str:  # type: ignore[override]
        return self._load()[1]

