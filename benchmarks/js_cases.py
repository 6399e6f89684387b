"""What the React benchmark scripts share: reading a peer's JS rule tests, writing the cases into
a scratch folder, and checking that folder with one perfscan rule.

Each script still decides which cases it keeps and how it scores them; this module only holds the
pieces they had each written for themselves.
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile

from perfscan.config import Config
from perfscan.engine import run

_SECTION = re.compile(r"(valid|invalid)\s*:")


def find_files(folders: list[str], wanted) -> list[str]:
    """Paths of the files below the folders whose name `wanted(name)` accepts, in walk order."""
    found = []
    for folder in folders:
        for directory, _, files in os.walk(folder):
            found.extend(os.path.join(directory, name) for name in files if wanted(name))
    return found


def code_strings(text: str, code_quotes: str, code_label: re.Pattern) -> list[tuple[str, str, int]]:
    """[(section, raw body, index after the closing quote)]: each string literal quoted with one of
    `code_quotes` that follows `code_label` (matched against the 40 characters before it) inside a
    `valid:` or `invalid:` list. Comments are skipped, and so are the other string literals, so a
    `valid:` inside a string or comment does not change the section."""
    found: list[tuple[str, str, int]] = []
    section = None
    i, n = 0, len(text)
    while i < n:
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text[i] in "'\"`":
            quote = text[i]
            j = i + 1
            while j < n and text[j] != quote:
                j += 2 if text[j] == "\\" else 1
            if quote in code_quotes and section is not None and code_label.search(text[max(0, i - 40):i]):
                found.append((section, text[i + 1:j], j + 1))
            i = j + 1
        else:
            match = _SECTION.match(text[i:i + 10])
            if match and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
                section = match.group(1)
                i += match.end()
            else:
                i += 1
    return found


def argument_parser(description: str) -> argparse.ArgumentParser:
    """A parser with the options every React benchmark takes (--out, --verbose); each script adds
    its own folder arguments."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", help="folder to write the cases into (default: a temporary one)")
    parser.add_argument("--verbose", action="store_true", help="list every case missed or wrongly flagged")
    return parser


def scratch_folder(out: str | None, prefix: str) -> str:
    """The folder the cases are written into: `out`, made if missing, or a new temporary one."""
    out = out or tempfile.mkdtemp(prefix=prefix)
    os.makedirs(out, exist_ok=True)
    return out


def check_folder(folder: str, code: str):
    """perfscan's result on `folder` with only rule `code` selected, run from inside the folder so
    that every finding's path is relative to it."""
    previous = os.getcwd()
    os.chdir(folder)
    try:
        return run(["."], Config(select=(code,), respect_gitignore=False))
    finally:
        os.chdir(previous)
