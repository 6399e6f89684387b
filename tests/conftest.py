from __future__ import annotations

import signal
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"


def write_tree(root: Path, files: dict) -> Path:
    """Create files {relative path: text or bytes} under root."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return root


def source_of(rel_path: str, code: str, language: str | None = None):
    """A parsed in-memory SourceFile of dedented `code` (leading newlines dropped), as the engine
    reads it; the language follows the extension unless given."""
    from perfscan.engine import source_from_bytes
    from perfscan.source import language_for

    text = textwrap.dedent(code).lstrip("\n")
    source, note = source_from_bytes("/p/" + rel_path, rel_path, language or language_for(rel_path), text.encode("utf-8"))
    assert note is None, note
    return source


@pytest.fixture
def hang_guard(request):
    """Only a guard: a run that waits forever (on a stuck or dead worker, or a read that blocks on
    a FIFO) fails after 60 s (or the module's HANG_GUARD_SECONDS) instead of hanging the suite (the
    wait is in Python, so the alarm reaches it)."""

    def fail(signum, frame):
        raise TimeoutError("the run did not finish: it waited on a stuck or dead worker or a blocking read")

    previous = signal.signal(signal.SIGALRM, fail)
    signal.alarm(getattr(request.module, "HANG_GUARD_SECONDS", 60))
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A scratch project directory, made the working directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
