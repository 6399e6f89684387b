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
    """click's progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, total: int):
        import click

        self._bar = click.progressbar(length=total, label="perfscan", file=sys.stderr, width=30, show_pos=True)
        self._bar.__enter__()

    def update(self, n: int) -> None:
        self._bar.update(n)

    def finish(self) -> None:
        self._bar.__exit__(None, None, None)


def progress_bar(progress: bool, total: int):
    if progress and total >= PROGRESS_MIN_FILES and sys.stderr.isatty():
        return _Bar(total)
    return _NoBar()

