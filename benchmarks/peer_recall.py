"""PF201 recall against peers' own test suites (flake8-async's eval files, ruff's flake8_async fixtures).

    python benchmarks/peer_recall.py --flake8-async DIR --ruff DIR [--verbose]

Fetches nothing: each folder is a copy of the peer's test files, made beforehand.
Every `*.py` file in a folder is checked on its own (as a one-file project) with the
PF201 rule through `perfscan.engine.check_text`, and its findings are compared with
the labels the peer wrote into the file:

- flake8-async eval files: trailing `# ASYNCnnn: col, ...` comments (several may
  share a line; `ASYNCnnn_asyncio` counts as `ASYNCnnn`). A label is found when a
  PF201 finding starts on that line at that column (flake8-async's columns are
  0-based, perfscan's 1-based). Many eval files use modules they never import
  (`subprocess.Popen()` with no `import subprocess`), since flake8-async matches
  names textually; perfscan resolves names through imports, so this script
  **prepends one line of the imports a file lacks** (`import os, subprocess`,
  `from typing import Optional`, ...) and shifts every finding back by that line.
- ruff fixtures: a trailing `# ASYNCnnn` comment marks the line; it is found when a
  PF201 finding starts on that line (ruff's expected columns live in snapshot files
  this script does not read).

Only the blocking-call codes PF201 covers are scored: ASYNC210, 212, 220, 221,
222, 230, 251 (and 231, `os.fdopen`, which flake8-async splits from 230). ASYNC232
(a method of a sync file object) is shown on its own line, outside the total: PF201
reports a file method once, at the `open` call, when the same function opened it.

A false positive is a PF201 finding on a line the peer marks safe: a comment
`# OK` / `# Ok` (without a scored code in it), or, in a flake8-async file whose
labels are all scored codes, any line without a label (such a file tests exactly
those codes). Findings elsewhere (files testing other codes) are listed as
"unjudged" with `--verbose`.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections import defaultdict

from perfscan.engine import check_text
from perfscan.rules import rule_by_code_or_name

SCORED = ("ASYNC210", "ASYNC212", "ASYNC220", "ASYNC221", "ASYNC222", "ASYNC230", "ASYNC231", "ASYNC251")
# Counted and listed, outside the total: methods on a sync file object (flake8-async's ASYNC232).
EXTRA = ("ASYNC232",)

_FLAKE8_LABEL = re.compile(r"#\s*(ASYNC\d+)(?:_asyncio)?:\s*(\d+)")
_RUFF_LABEL = re.compile(r"#\s*(ASYNC\d+)\b")
_SAFE_MARK = re.compile(r"#\s*ok\b", re.IGNORECASE)

# Names flake8-async's eval files use without importing them, and the import
# that makes perfscan resolve each one.
_MISSING_IMPORTS = (
    ("os", "import os"),
    ("subprocess", "import subprocess"),
    ("io", "import io"),
    ("time", "import time"),
    ("requests", "import requests"),
    ("httpx", "import httpx"),
    ("httpx2", "import httpx2"),
    ("urllib3", "import urllib3"),
    ("trio", "import trio"),
    ("anyio", "import anyio"),
    ("Optional", "from typing import Optional"),
    ("urlopen", "from urllib.request import urlopen"),
    ("request", "from urllib import request"),
)


def _uses(text: str, name: str) -> bool:
    """`name` is read somewhere (as `name.x` or `name(`) and bound nowhere in the file."""
    if not re.search(rf"(?<![\w.]){re.escape(name)}\s*[.(\[\]]", text):
        return False
    bound = (
        rf"^\s*import [^\n#]*\b{name}\b",
        rf"^\s*from \S+ import [^\n#]*\b{name}\b",
        rf"^\s*(async\s+)?def {name}\b",
        rf"^\s*class {name}\b",
        rf"^\s*{name}\s*[:=]",
    )
    return not any(re.search(pattern, text, re.MULTILINE) for pattern in bound)


def added_imports(text: str) -> str:
    """One line of the imports `text` lacks, or ''."""
    if re.search(r"(?<![\w.])request\.urlopen\b", text) is None:
        # `request()` alone is a safe line in async210.py: only bind it when it is used as urllib's module.
        names = [(n, i) for n, i in _MISSING_IMPORTS if n != "request"]
    else:
        names = list(_MISSING_IMPORTS)
    return "; ".join(statement for name, statement in names if _uses(text, name))


def _pf201_findings(path: str, text: str) -> list[tuple[int, int, str]]:
    """(line, 0-based col, message) of each unsuppressed PF201 finding."""
    result = check_text({os.path.basename(path): text}, rules=[rule_by_code_or_name("PF201")])
    return [
        (f.span.line, f.span.col - 1, f.message)
        for f in result.findings
        if f.code == "PF201" and f.suppressed_by is None
    ]


class Score:
    def __init__(self, suite: str):
        self.suite = suite
        self.found: dict[str, int] = defaultdict(int)
        self.labelled: dict[str, int] = defaultdict(int)
        self.misses: list[str] = []
        self.false_positives: list[str] = []
        self.unjudged: list[str] = []

    def add(self, code: str, hit: bool, where: str, line_text: str) -> None:
        self.labelled[code] += 1
        if hit:
            self.found[code] += 1
        else:
            self.misses.append(f"{where}: {code}: {line_text.strip()}")

    def report(self, verbose: bool) -> None:
        total_found = sum(n for code, n in self.found.items() if code in SCORED)
        total = sum(n for code, n in self.labelled.items() if code in SCORED)
        print(f"== {self.suite}: {total_found}/{total} ({_percent(total_found, total)})")
        for code in sorted(self.labelled):
            extra = "  (not in the total)" if code in EXTRA else ""
            print(f"   {code}: {self.found[code]}/{self.labelled[code]} ({_percent(self.found[code], self.labelled[code])}){extra}")
        print(f"-- misses ({len(self.misses)})")
        for line in self.misses:
            print("   " + line)
        print(f"-- false positives on safe lines ({len(self.false_positives)})")
        for line in self.false_positives:
            print("   " + line)
        if verbose:
            print(f"-- unjudged findings ({len(self.unjudged)})")
            for line in self.unjudged:
                print("   " + line)


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "n/a"


def _python_sources(folder: str) -> list[tuple[str, str]]:
    """(path, text) of each `*.py` file in the folder, by name."""
    sources = []
    for path in sorted(os.path.join(folder, name) for name in os.listdir(folder) if name.endswith(".py")):
        with open(path, encoding="utf-8") as handle:
            sources.append((path, handle.read()))
    return sources


def _finding_line(path: str, lines: list[str], line: int, col: int, message: str) -> tuple[str, str]:
    """The text of a finding's line, and the finding as listed (`file:line:col: line text  <- message`)."""
    line_text = lines[line - 1] if 0 < line <= len(lines) else ""
    return line_text, f"{os.path.basename(path)}:{line}:{col}: {line_text.strip()}  <- {message}"


def score_flake8_async(folder: str) -> Score:
    score = Score(f"flake8-async eval ({folder})")
    for path, text in _python_sources(folder):
        lines = text.splitlines()
        prefix = added_imports(text)
        checked = prefix + "\n" + text if prefix else text
        shift = 1 if prefix else 0
        findings = [(line - shift, col, message) for line, col, message in _pf201_findings(path, checked)]
        at = {(line, col) for line, col, _ in findings}
        labelled_lines = set()
        codes_in_file = set()
        for number, line_text in enumerate(lines, start=1):
            labels = _FLAKE8_LABEL.findall(line_text)
            if labels:
                labelled_lines.add(number)
            for code, col in labels:
                codes_in_file.add(code)
                if code in SCORED or code in EXTRA:
                    score.add(code, (number, int(col)) in at, f"{os.path.basename(path)}:{number}:{col}", line_text)
        # A file whose every label is a scored code tests exactly those: its other lines are safe.
        judged_file = bool(codes_in_file) and codes_in_file <= set(SCORED)
        for line, col, message in findings:
            line_text, where = _finding_line(path, lines, line, col, message)
            if line in labelled_lines:
                continue
            if _SAFE_MARK.search(line_text) or judged_file:
                score.false_positives.append(where)
            else:
                score.unjudged.append(where)
    return score


def score_ruff(folder: str) -> Score:
    score = Score(f"ruff flake8_async fixtures ({folder})")
    for path, text in _python_sources(folder):
        lines = text.splitlines()
        findings = _pf201_findings(path, text)
        found_lines = {line for line, _, _ in findings}
        labelled_lines = set()
        for number, line_text in enumerate(lines, start=1):
            comment = line_text[line_text.find("#"):] if "#" in line_text else ""
            if line_text.lstrip().startswith("#"):
                continue  # a heading (`# ASYNC222`), not a label of a line of code
            codes = _RUFF_LABEL.findall(comment)
            if codes:
                labelled_lines.add(number)
            if codes and not _SAFE_MARK.match(comment):
                for code in codes:
                    if code in SCORED or code in EXTRA:
                        score.add(code, number in found_lines, f"{os.path.basename(path)}:{number}", line_text)
        for line, col, message in findings:
            line_text, where = _finding_line(path, lines, line, col, message)
            comment = line_text[line_text.find("#"):] if "#" in line_text else ""
            scored_mention = any(code in comment for code in SCORED)
            if _SAFE_MARK.match(comment) and not scored_mention:
                score.false_positives.append(where)
            elif line not in labelled_lines:
                score.unjudged.append(where)
    return score


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flake8-async", metavar="DIR", help="folder of flake8-async's eval files")
    parser.add_argument("--ruff", metavar="DIR", help="folder of ruff's flake8_async fixtures")
    parser.add_argument("--verbose", action="store_true", help="also list findings on lines the peer does not judge")
    args = parser.parse_args(argv)
    if not args.flake8_async and not args.ruff:
        parser.error("give --flake8-async DIR and/or --ruff DIR")
    if args.flake8_async:
        score_flake8_async(args.flake8_async).report(args.verbose)
    if args.ruff:
        score_ruff(args.ruff).report(args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
