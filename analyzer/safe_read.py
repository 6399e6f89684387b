"""Reading files of a tree we do not trust: only regular files, never more than a cap.

The analysed tree may hold anything a checkout or an attacker can put there: a FIFO named
`app.py` or `tsconfig.json` (a plain open() blocks until a writer comes), a link to
`/dev/zero` (read() never ends), an 800 MB `tsconfig` (read whole). Every read of a file from
the tree goes through `read_bounded`: it checks the type before opening, opens without blocking,
checks the type again on the open descriptor (the file may have been swapped in between), and
reads at most `limit + 1` bytes.

File names come from the file system as bytes; Python hands undecodable ones over with
surrogate escapes, which no output (UTF-8 text, JSON, SARIF) can carry: `is_printable_name` tells
them apart and `readable_name` shows one (`bad\\xff.py`).
"""

from __future__ import annotations

import os
import stat

# package.json, tsconfig.json, pyproject.toml, .gitignore, Babel/Vite/Next configs: real ones are a
# few KB; a bigger one is generated or hostile and is not read.
MAX_CONFIG_FILE_SIZE = 1 << 20

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class UnreadableFile(Exception):
    """A file that is not read. `kind`: "not-regular", "too-large" or "unreadable" (an OSError);
    `reason` says why in words; `errno` is the OSError's; `missing` is set when there is simply
    no such file."""

    def __init__(self, kind: str, reason: str, errno_value: int | None = None):
        import errno

        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.errno = errno_value
        self.missing = errno_value in (errno.ENOENT, errno.ENOTDIR)


def describe_mode(mode: int) -> str:
    for test, words in _KINDS:
        if test(mode):
            return words
    return "a special file"


def not_regular_reason(mode: int) -> str:
    return f"it is {describe_mode(mode)}, not a regular file"


def _unreadable(error: OSError) -> UnreadableFile:
    import errno

    if error.errno == errno.ELOOP:
        reason = "symbolic link loop"
    else:
        reason = error.strerror or str(error)
    return UnreadableFile("unreadable", reason, error.errno)


def read_bounded(path: str, limit: int, *, follow_symlinks: bool = True) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them; raises UnreadableFile."""
    try:
        before = os.stat(path, follow_symlinks=follow_symlinks)
    except OSError as error:
        raise _unreadable(error) from None
    # Checked before opening: opening some devices has effects of its own.
    if not stat.S_ISREG(before.st_mode):
        raise UnreadableFile("not-regular", not_regular_reason(before.st_mode))
    if before.st_size > limit:
        raise UnreadableFile("too-large", f"{before.st_size:,} bytes is over the size cap of {limit:,}")
    flags = _OPEN_FLAGS | (0 if follow_symlinks else getattr(os, "O_NOFOLLOW", 0))
    try:
        fd = os.open(path, flags)
    except OSError as error:
        raise _unreadable(error) from None
    try:
        after = os.fstat(fd)
        if not stat.S_ISREG(after.st_mode):  # swapped since the stat above
            raise UnreadableFile("not-regular", not_regular_reason(after.st_mode))
        chunks = []
        remaining = limit + 1  # one byte more tells a file that grew past the cap
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError as error:
        raise _unreadable(error) from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise UnreadableFile("too-large", f"over the size cap of {limit:,} bytes")
    return data


def read_config_text(path: str, limit: int = MAX_CONFIG_FILE_SIZE) -> str:
    """A project configuration file (UTF-8, invalid bytes replaced); raises UnreadableFile."""
    return read_bounded(path, limit).decode("utf-8", errors="replace")


def is_printable_name(name: str) -> bool:
    """False for a name holding bytes that are not UTF-8 (surrogate escapes): no output can carry it."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def readable_name(name: str) -> str:
    """A name as text any output can carry: undecodable bytes shown as `\\xff`."""
    return os.fsencode(name).decode("utf-8", errors="backslashreplace")


def is_within(path: str, directory: str) -> bool:
    """Whether `path` is `directory` or below it (both absolute and normalised)."""
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)
