"""The progress bar of a run on a terminal."""

from __future__ import annotations

import sys

# Runs over fewer files than this show no progress bar.
PROGRESS_MIN_FILES = 200


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def finish(self) -> None:
        pass


class _Bar:
    """click's progress bar on stderr, drawn only when stderr is a terminal.

    The engine reports each file twice: once when its facts are extracted (phase 1) and once
    when it is checked (phase 2; a file whose early check still holds counts then too). So the
    bar's length is two steps per file: counted per file it ran to twice its total, and click's
    estimate, from steps left, went wrong with it. A file found in the cache is reported only
    in phase 2, so such a run ends early; `finish` fills the bar.

    No time estimate: files are extracted largest first and phase 2 is much cheaper per file
    than phase 1, so an estimate from the steps so far says minutes for a run of seconds.
    """

    STEPS_PER_FILE = 2

    def __init__(self, total: int):
        import click

        self._length = total * self.STEPS_PER_FILE
        self._bar = click.progressbar(
            length=self._length, label=f"perfscan: {total} files", file=sys.stderr, width=30, show_percent=True,
            show_eta=False,
        )
        self._bar.__enter__()

    def update(self, n: int) -> None:
        # Never past the end: click's estimate goes negative-huge when pos exceeds length.
        n = min(n, self._length - self._bar.pos)
        if n > 0:
            self._bar.update(n)

    def finish(self) -> None:
        self.update(self._length)
        self._bar.__exit__(None, None, None)


def progress_bar(progress: bool, total: int):
    if progress and total >= PROGRESS_MIN_FILES and sys.stderr.isatty():
        return _Bar(total)
    return _NoBar()

