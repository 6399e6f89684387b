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

import os
import re
import sys

from js_cases import argument_parser, check_folder, code_strings, find_files, scratch_folder

PEER_FILES = ("jsx-no-constructed-context-values.js", "no-unstable-context-value.spec.ts")
_CODE_LABEL = re.compile(r"\bcode:\s*(tsx|dedent)?\s*$")
_STRING_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "`": "`", "$": "$"}


def _unescape(body: str) -> str:
    return re.sub(r"\\(.)", lambda m: _STRING_ESCAPES.get(m.group(1), "\\" + m.group(1)), body, flags=re.S)


def cases(text: str) -> dict[str, list[tuple[str, str, str]]]:
    """{"valid": [(code, compilation mode or "", React major version or "")...], "invalid": [...]}:
    the `code:` strings of each list, with the `compilationMode` and React `version` of the
    settings that follow each (up to the next case)."""
    found: dict[str, list[tuple[str, str, str]]] = {"valid": [], "invalid": []}
    for section, body, after in code_strings(text, "'\"`", _CODE_LABEL):
        following = re.split(r"\bcode:", text[after:], maxsplit=1)[0]
        mode = re.search(r"compilationMode:\s*[\"'](\w+)", following)
        version = re.search(r"version:\s*[\"'](\d+)", following)
        found[section].append((_unescape(body), mode.group(1) if mode else "", version.group(1) if version else ""))
    return found


def main(argv=None) -> int:
    parser = argument_parser(__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", help="folders holding the peers' test files")
    args = parser.parse_args(argv)

    peer_files = find_files(args.folders, lambda name: name in PEER_FILES)
    if not peer_files:
        raise SystemExit(f"no {' or '.join(PEER_FILES)} below {', '.join(args.folders)}")
    out = scratch_folder(args.out, "pf102-context-")
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

    result = check_folder(out, "PF102")
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
