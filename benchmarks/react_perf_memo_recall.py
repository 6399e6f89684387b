"""PF103 recall against eslint-plugin-react-perf's test cases, turned into memo-child cases.

    python benchmarks/react_perf_memo_recall.py DIR [DIR ...] [--out DIR] [--verbose]

Fetches nothing: each DIR holds a copy of the peer's tests (`tests/lib/utils/common.js` and the
`jsx-no-*-as-prop.js` rule tests, anywhere below it). The peer flags any new object, array,
function or JSX passed as a prop; PF103 only cares when the receiver is memoized, so every case
becomes a file where `Item`, `Comp` and `Item.tag` are memoized components (`SubItem` is a plain
one) and the case's code is the body of a component:

- `function foo({prop = ...}) {...}` becomes `export function Foo(...)`, an arrow `(...) => {...}`
  becomes `export const Case = ...`;
- code reading `this.` becomes the `render()` of a class component;
- other code becomes a function component: its statements, then `return <the last JSX>;`.

The common templates of `tests/lib/utils/common.js` are filled in with each rule's value (its
`testRule(..., "{}", ...)` argument). Invalid cases rendering only a DOM element (`<div style=...>`)
are not memo cases and are left out, valid or invalid.

Recall is the share of invalid cases with a PF103 finding; a false positive is a valid case with
one. `let a; a = {...}; a = 1; <Item prop={a} />` is invalid for the peer but the prop is `1`
when rendered: PF103 follows the last assignment and stays silent, so these are misses by the
peer's labels, shown apart.
"""

from __future__ import annotations

import os
import re
import sys

from js_cases import argument_parser, check_folder, find_files, scratch_folder

RULE_FILE = re.compile(r"^jsx-no-[\w-]+-as-prop\.js$")
COMMON_FILE = "common.js"
_LIST_START = re.compile(r"\b(\w+)\s*=\s*\[")
_CODE = re.compile(r"\bcode\s*:\s*")
# The peer's "last assignment wins" disagreement: the prop's value is the primitive assigned last.
_OVERWRITTEN = re.compile(r"a = [^;]+; a = 1;")

PRELUDE = """import React, { memo } from "react";
const SubItem = function SubItem(props: any) { return <span />; };
"""
MEMO_ITEM = 'const Item = memo(function Item(props: any) { return <span />; });\n'
MEMO_ITEM_MEMBERS = 'const Item = { tag: memo(function ItemTag(props: any) { return <span />; }) };\n'
MEMO_COMP = 'const Comp = memo(function Comp(props: any) { return <span />; });\n'


def _string_literal(text: str, i: int) -> tuple[str, int]:
    """The value of the JS string or template literal starting at text[i], and the index after it."""
    quote = text[i]
    j = i + 1
    out = []
    while j < len(text) and text[j] != quote:
        if text[j] == "\\" and j + 1 < len(text):
            out.append({"n": "\n", "t": "\t"}.get(text[j + 1], text[j + 1]))
            j += 2
        else:
            out.append(text[j])
            j += 1
    return "".join(out), j + 1


def code_cases(text: str) -> list[tuple[str, str]]:
    """[(list name, code)]: every `code:` string literal, with the name of the array it is in
    (`invalidObjectExpressions`, `valid`, ...)."""
    found = []
    lists = [(m.start(), m.group(1)) for m in _LIST_START.finditer(text)]
    for match in _CODE.finditer(text):
        start = match.end()
        if start >= len(text) or text[start] not in "'\"`":
            continue
        code, _ = _string_literal(text, start)
        owner = [name for position, name in lists if position < match.start()]
        found.append((owner[-1] if owner else "", code))
    return found


def rule_value(text: str) -> str:
    """The value a rule's test fills into the common templates: testRule's fourth argument."""
    call = text.find("testRule(", text.find("module.exports"))
    if call < 0:
        raise ValueError("no testRule(...) call")
    i, literals = call + len("testRule("), []
    while len(literals) < 4 and i < len(text):
        if text[i] in "'\"`":
            value, i = _string_literal(text, i)
            literals.append(value)
        else:
            i += 1
    return literals[3]


def peer_cases(folders: list[str]) -> list[tuple[str, str, str]]:
    """[(rule, "valid" | "invalid", code)] over every rule test found below the folders."""
    common = None
    rules = {}
    for path in find_files(folders, lambda name: name == COMMON_FILE or RULE_FILE.match(name)):
        directory, name = os.path.split(path)
        in_tests = "tests" in path.split(os.sep)  # the peer's own lib/utils/common.js is its rule code
        if name == COMMON_FILE and os.path.basename(directory) == "utils" and in_tests:
            common = path
        elif RULE_FILE.match(name) and os.path.basename(directory) == "rules" and in_tests:
            rules[name[:-3]] = path
    if common is None or not rules:
        raise SystemExit(f"{' '.join(folders)}: need tests/lib/utils/common.js and tests/lib/rules/jsx-no-*-as-prop.js")
    with open(common, encoding="utf-8") as handle:
        templates = code_cases(handle.read())
    cases = []
    for rule in sorted(rules):
        with open(rules[rule], encoding="utf-8") as handle:
            text = handle.read()
        value = rule_value(text)
        for list_name, template in templates:
            cases.append((rule, _section(list_name), template.replace("${ruleCode}", value)))
        for list_name, code in code_cases(text):
            cases.append((rule, _section(list_name), code))
    return cases


def _section(list_name: str) -> str:
    return "invalid" if list_name.lower().startswith("invalid") else "valid"


def renders_component(code: str) -> bool:
    return re.search(r"<(Item|Comp)\b", code) is not None


def memo_case(code: str) -> str:
    """The case as a module where `Item`/`Comp`/`Item.tag` are memoized and the code renders."""
    head = PRELUDE + (MEMO_ITEM_MEMBERS if "<Item." in code else MEMO_ITEM) + MEMO_COMP
    stripped = code.strip()
    if stripped.startswith("function "):
        body = re.sub(r"^function\s+(\w)", lambda m: "export function " + m.group(1).upper(), stripped)
    elif stripped.startswith("("):
        body = "export const Case = " + stripped + ";"
    else:
        statements, _, last = stripped.rpartition(";")
        if not last.strip().startswith("<"):
            statements, last = "", stripped
        statements = statements + ";" if statements else ""
        if "this." in stripped:
            body = (f"export class Case extends React.Component<any> {{\n  clickHandler() {{}}\n"
                    f"  render() {{\n    {statements}\n    return {last.strip()};\n  }}\n}}")
        else:
            body = f"export function Case() {{\n  {statements}\n  return {last.strip()};\n}}"
    return head + body + "\n"


def main(argv=None) -> int:
    parser = argument_parser(__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", help="folders holding the peer's tests")
    args = parser.parse_args(argv)

    out = scratch_folder(args.out, "pf103-peer-")
    cases: dict[str, tuple[str, str]] = {}
    counters: dict[tuple[str, str], int] = {}
    for rule, section, code in peer_cases(args.folders):
        if not renders_component(code):
            continue  # a DOM element only: nothing memoized receives the value
        number = counters[(rule, section)] = counters.get((rule, section), 0) + 1
        name = f"{rule}-{section}-{number:02d}.tsx"
        with open(os.path.join(out, name), "w", encoding="utf-8") as handle:
            handle.write(memo_case(code))
        cases[name] = (section, code)

    result = check_folder(out, "PF103")
    flagged = {os.path.basename(f.span.path) for f in result.findings if f.code == "PF103"}

    invalid = [n for n, (s, _) in cases.items() if s == "invalid"]
    disagreements = [n for n in invalid if _OVERWRITTEN.search(cases[n][1])]
    agreed = [n for n in invalid if n not in disagreements]
    valid = [n for n, (s, _) in cases.items() if s == "valid"]
    hits = [n for n in invalid if n in flagged]
    false_positives = [n for n in valid if n in flagged]
    print(f"cases written to {out}")
    print(f"invalid cases passed to a memoized component: {len(hits)}/{len(invalid)} found"
          f" (recall {100 * len(hits) / max(1, len(invalid)):.0f}%)")
    print(f"  of which the peer and PF103 agree are new each render: {sum(n in flagged for n in agreed)}/{len(agreed)};"
          f" value overwritten by a primitive before render: {sum(n in flagged for n in disagreements)}/{len(disagreements)}")
    print(f"valid cases: {len(false_positives)}/{len(valid)} flagged (false positives)")
    if args.verbose:
        for name in sorted(set(invalid) - set(hits)):
            print(f"  missed: {name}: {cases[name][1]!r}")
        for name in false_positives:
            print(f"  false positive: {name}: {cases[name][1]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
