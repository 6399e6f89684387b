"""PF102 recall on context provider values against two peers' test cases.

    python benchmarks/react_context_recall.py FOLDER [FOLDER...] [--out DIR] [--verbose]

Fetches nothing. Each FOLDER holds (anywhere below it) a copy of one of the peers' test files:

- eslint-plugin-react `tests/lib/rules/jsx-no-constructed-context-values.js`
- eslint-react `no-unstable-context-value.spec.ts`

Every `code:` string of their `valid` and `invalid` lists (quoted or template, `tsx` tag or
not; cases inside comments are left out) is written as its own `.tsx` file into a scratch
folder, and perfscan checks that folder once with PF102 only. An invalid case is found when
PF102 warns in it, and found as a note when PF102 reports it as a `note` (where the React
Compiler memoizes the value, or where no consumer would be spared a render: most of these
one-line cases keep no state, so their value changes only with its contents); a false positive
is a PF102 warning in a valid case. A case whose peer settings give the
compiler's `compilationMode` or React's `version` is written into a package folder whose
`package.json` asks for that React version and whose `babel.config.js` enables the compiler
with that mode, as a project would.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile

from perfscan.config import Config
from perfscan.engine import run

PEER_FILES = ("jsx-no-constructed-context-values.js", "no-unstable-context-value.spec.ts")
_STRING_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "`": "`", "$": "$"}


def find_peer_files(folder: str) -> list[str]:
    found = []
    for directory, _, files in os.walk(folder):
        found.extend(os.path.join(directory, name) for name in files if name in PEER_FILES)
    return found


def _unescape(body: str) -> str:
    return re.sub(r"\\(.)", lambda m: _STRING_ESCAPES.get(m.group(1), "\\" + m.group(1)), body, flags=re.S)


def cases(text: str) -> dict[str, list[tuple[str, str, str]]]:
    """{"valid": [(code, compilation mode or "", React major version or "")...], "invalid": [...]}:
    the `code:` strings of each list, with the `compilationMode` and React `version` of the
    settings that follow each (up to the next case)."""
    found: dict[str, list[tuple[str, str, str]]] = {"valid": [], "invalid": []}
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
            body = _unescape(text[i + 1:j])
            before = text[max(0, i - 40):i]
            if section is not None and re.search(r"\bcode:\s*(tsx|dedent)?\s*$", before):
                following = re.split(r"\bcode:", text[j + 1:], maxsplit=1)[0]
                mode = re.search(r"compilationMode:\s*[\"'](\w+)", following)
                version = re.search(r"version:\s*[\"'](\d+)", following)
                found[section].append((body, mode.group(1) if mode else "", version.group(1) if version else ""))
            i = j + 1
        else:
            match = re.match(r"(valid|invalid)\s*:", text[i:i + 10])
            if match and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
                section = match.group(1)
                i += match.end()
            else:
                i += 1
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", help="folders holding the peers' test files")
    parser.add_argument("--out", help="folder to write the cases into (default: a temporary one)")
    parser.add_argument("--verbose", action="store_true", help="list every case missed or wrongly flagged")
    args = parser.parse_args(argv)

    peer_files = [path for folder in args.folders for path in find_peer_files(folder)]
    if not peer_files:
        raise SystemExit(f"no {' or '.join(PEER_FILES)} below {', '.join(args.folders)}")
    out = args.out or tempfile.mkdtemp(prefix="pf102-context-")
    os.makedirs(out, exist_ok=True)
    names: dict[str, tuple[str, str, str]] = {}  # file name -> (peer, section, code)
    for path in peer_files:
        peer = os.path.basename(path).split(".")[0]
        with open(path, encoding="utf-8") as handle:
            found = cases(handle.read())
        for section, codes in found.items():
            for number, (code, mode, version) in enumerate(codes, 1):
                name = f"{peer}-{section}-{number:02d}.tsx"
                folder = out
                if mode or version:
                    # a package of its own: package.json with the React version, babel.config.js
                    # enabling the compiler in that mode
                    folder = os.path.join(out, f"react{version or 'X'}-compiler-{mode or 'none'}")
                    os.makedirs(folder, exist_ok=True)
                    with open(os.path.join(folder, "package.json"), "w", encoding="utf-8") as handle:
                        handle.write('{"dependencies": {%s}}\n' % (f'"react": "^{version}.0.0"' if version else ""))
                    if mode:
                        with open(os.path.join(folder, "babel.config.js"), "w", encoding="utf-8") as handle:
                            handle.write(f'module.exports = {{ plugins: [["babel-plugin-react-compiler", {{ compilationMode: "{mode}" }}]] }};\n')
                with open(os.path.join(folder, name), "w", encoding="utf-8") as handle:
                    handle.write(code)
                names[name] = (peer, section, code)

    previous = os.getcwd()
    os.chdir(out)
    try:
        result = run(["."], Config(select=("PF102",), respect_gitignore=False))
    finally:
        os.chdir(previous)
    flagged = {os.path.basename(f.span.path) for f in result.findings if f.code == "PF102" and f.level != "note"}
    # PF102 steps a new value down to a note when no consumer would be spared a render (a provider
    # keeping no state or hook result out of the value, as in most of these one-line cases): found,
    # but as a note.
    noted = {os.path.basename(f.span.path) for f in result.findings if f.code == "PF102" and f.level == "note"} - flagged

    print(f"cases written to {out}")
    total_hits = total_notes = total_invalid = 0
    for peer in sorted({peer for peer, _, _ in names.values()}):
        invalid = [n for n, (p, s, _) in names.items() if p == peer and s == "invalid"]
        valid = [n for n, (p, s, _) in names.items() if p == peer and s == "valid"]
        hits = [n for n in invalid if n in flagged]
        notes = [n for n in invalid if n in noted]
        false_positives = [n for n in valid if n in flagged]
        total_hits += len(hits)
        total_notes += len(notes)
        total_invalid += len(invalid)
        print(f"{peer}: invalid {len(hits)}/{len(invalid)} found as warnings (recall {100 * len(hits) / max(1, len(invalid)):.0f}%),"
              f" {len(hits) + len(notes)}/{len(invalid)} found as warnings or notes"
              f" ({100 * (len(hits) + len(notes)) / max(1, len(invalid)):.0f}%),"
              f" valid {len(false_positives)}/{len(valid)} flagged (false positives),"
              f" {len([n for n in valid if n in noted])}/{len(valid)} noted")
        if args.verbose:
            for name in sorted(set(invalid) - set(hits) - set(notes)):
                print(f"  missed: {name}")
            for name in false_positives:
                print(f"  false positive: {name}")
    print(f"total: {total_hits}/{total_invalid} as warnings (recall {100 * total_hits / max(1, total_invalid):.0f}%),"
          f" {total_hits + total_notes}/{total_invalid} as warnings or notes"
          f" ({100 * (total_hits + total_notes) / max(1, total_invalid):.0f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
