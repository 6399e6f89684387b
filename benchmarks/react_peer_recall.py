"""PF104 recall against eslint-plugin-react's `no-unstable-nested-components` test cases.

    python benchmarks/react_peer_recall.py DIR [--out DIR] [--verbose]

Fetches nothing: DIR holds a copy of the peer's test file
`no-unstable-nested-components.js` (anywhere below DIR). Every `code:` template string
of its `valid` and `invalid` lists (cases inside `/* ... */` comments are left out) is
written as its own `.tsx` file (`valid-NN.tsx`, `invalid-NN.tsx`) into a scratch folder,
and perfscan checks that folder once with PF104 only.

- Recall is scored on the invalid cases that **render** the nested component: a name
  defined in the case (`function X`, `class X`, `const X =`) at a deeper indentation than
  the case's first line, and used as a tag (`<X`) or as `createElement(X`. Invalid cases
  that only pass a component as a prop (`footer={() => <div />}`, an object of render
  functions) are another concern of the peer rule and are listed apart.
- A false positive is any PF104 finding in a valid case.
"""

from __future__ import annotations

import os
import re
import sys

from js_cases import argument_parser, check_folder, code_strings, find_files, scratch_folder

PEER_FILE = "no-unstable-nested-components.js"
_CODE_LABEL = re.compile(r"\bcode:\s*$")
_DEFINED = re.compile(r"^([ \t]*)(?:export\s+)?(?:function\s+([A-Z]\w*)|class\s+([A-Z]\w*)|(?:const|let|var)\s+([A-Z]\w*)\s*=)", re.M)


def find_peer_file(folder: str) -> str:
    found = find_files([folder], lambda name: name == PEER_FILE)
    if not found:
        raise SystemExit(f"{folder}: no {PEER_FILE} below it")
    return found[0]


def cases(text: str) -> dict[str, list[str]]:
    """{"valid": [code...], "invalid": [code...]}: the `code:` template strings of each list,
    skipping any inside a block comment."""
    found: dict[str, list[str]] = {"valid": [], "invalid": []}
    for section, body, _ in code_strings(text, "`", _CODE_LABEL):
        found[section].append(body)
    return found


def renders_nested(code: str) -> bool:
    """Whether the case renders a component it defines below its top level."""
    lines = [line for line in code.splitlines() if line.strip()]
    if not lines:
        return False
    top = len(lines[0]) - len(lines[0].lstrip())
    for match in _DEFINED.finditer(code):
        indent = len(match.group(1).expandtabs())
        name = match.group(2) or match.group(3) or match.group(4)
        if indent > top and (re.search(rf"<{name}\b", code) or re.search(rf"createElement\(\s*{name}\b", code)):
            return True
    return False


def main(argv=None) -> int:
    parser = argument_parser(__doc__.splitlines()[0])
    parser.add_argument("folder", help="folder holding the peer's no-unstable-nested-components.js")
    args = parser.parse_args(argv)

    with open(find_peer_file(args.folder), encoding="utf-8") as handle:
        found = cases(handle.read())
    out = scratch_folder(args.out, "pf104-peer-")
    names: dict[str, tuple[str, str]] = {}
    for section, codes in found.items():
        for number, code in enumerate(codes, 1):
            name = f"{section}-{number:02d}.tsx"
            with open(os.path.join(out, name), "w", encoding="utf-8") as handle:
                handle.write(code)
            names[name] = (section, code)

    result = check_folder(out, "PF104")
    flagged: dict[str, int] = {}
    for finding in result.findings:
        if finding.code == "PF104":
            flagged[os.path.basename(finding.span.path)] = flagged.get(os.path.basename(finding.span.path), 0) + 1

    rendering = [n for n, (s, code) in names.items() if s == "invalid" and renders_nested(code)]
    as_props = [n for n, (s, code) in names.items() if s == "invalid" and not renders_nested(code)]
    valid = [n for n, (s, _) in names.items() if s == "valid"]
    hits = [n for n in rendering if n in flagged]
    false_positives = [n for n in valid if n in flagged]
    props_flagged = [n for n in as_props if n in flagged]

    print(f"cases written to {out}")
    print(f"invalid cases rendering the nested component: {len(hits)}/{len(rendering)} found"
          f" (recall {100 * len(hits) / max(1, len(rendering)):.0f}%)")
    print(f"invalid cases only passing a component as a prop (not scored): {len(props_flagged)}/{len(as_props)} flagged")
    print(f"valid cases: {len(false_positives)}/{len(valid)} flagged (false positives)")
    if args.verbose:
        for name in sorted(set(rendering) - set(hits)):
            print(f"  missed: {name}")
        for name in false_positives:
            print(f"  false positive: {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
