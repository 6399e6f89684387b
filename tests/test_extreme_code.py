"""Valid but extreme code (from a fuzzing pass): deep nesting, huge lines, odd bytes.

Deep code must give the same findings as shallow code: tree-sitter parses any depth, so a
RecursionError (or a silent loss of findings) is ours. DEEP is past Python's default recursion
limit of 1000.
"""

from __future__ import annotations

import pickle

import pytest

from perfscan.engine import check_text

DEEP = 1100


def _findings(files: dict) -> list:
    result = check_text(files)
    assert result.notifications == [], result.notifications
    return sorted((f.code, f.span.path, f.message) for f in result.findings)


def _tsx_lines(text: str) -> str:
    """One nesting level per line: discovery skips TSX with a line over 2000 characters."""
    return text.replace("\x00", "\n")


PY_BLOCKING = "import requests\n\nasync def f(u, a, xs):\n    {}\n"
# (template of one statement, nesting with `{}` as the hole) -> the blocking call sits at the bottom
PY_DEEP_CASES = {
    "attribute chain": ("x = requests.get(u){}", lambda n: ".b" * n),
    "method chain": ("x = requests.get(u){}", lambda n: ".b()" * n),
    "parentheses": ("x = {}", lambda n: "(" * n + "requests.get(u)" + ")" * n),
    "lists": ("x = {}", lambda n: "[" * n + "requests.get(u)" + "]" * n),
    "calls": ("x = {}", lambda n: "g(" * n + "requests.get(u)" + ")" * n),
    "nested tuple target": ("{} = requests.get(u)", lambda n: "(" * n + "a" + ",)" * n),
    "for target": ("for {} in xs: requests.get(u)", lambda n: "(" * n + "a" + ",)" * n),
    "decorator chain": ("@d{}\n    def g(): pass\n    requests.get(u)", lambda n: ".b" * n),
}


@pytest.mark.parametrize("name", sorted(PY_DEEP_CASES))
def test_deep_python_gives_the_shallow_findings(name):
    statement, nest = PY_DEEP_CASES[name]
    shallow = _findings({"app.py": PY_BLOCKING.format(statement.format(nest(2)))})
    deep = _findings({"app.py": PY_BLOCKING.format(statement.format(nest(DEEP)))})
    assert [code for code, _, _ in shallow] == ["PF201"]
    assert deep == shallow


def test_deep_annotation_wrappers_still_resolve_the_session_type():
    code = (
        "from typing import Optional\nfrom sqlalchemy.orm import Session\nfrom fastapi import Depends\n\n"
        "async def f(s: {} = Depends(get_db)):\n    s.query(User).all()\n"
    )
    shallow = _findings({"app.py": code.replace("{}", "Optional[" * 2 + "Session" + "]" * 2)})
    deep = _findings({"app.py": code.replace("{}", "Optional[" * DEEP + "Session" + "]" * DEEP)})
    assert [c for c, _, _ in shallow] == ["PF201"]
    assert deep == shallow


def test_leading_wildcard_at_the_left_of_a_long_sum():
    code = "from sqlalchemy.orm import Session\n\ndef f(s: Session, q):\n    return s.query(User).filter(User.name.like({})).all()\n"
    result = check_text({"app.py": code.format("'%'" + " + q" * DEEP)})
    assert result.notifications == []
    assert [(f.code, f.span.line) for f in result.findings] == [("PF304", 4)]


def test_nested_lambdas_keep_the_blocking_call_after_them():
    code = "import requests\n\nasync def f(u):\n    x = " + "lambda: " * 2000 + "requests.get(u)\n    requests.get(u)\n"
    result = check_text({"app.py": code})
    assert result.notifications == []
    assert [(f.code, f.span.line, f.span.col) for f in result.findings] == [("PF201", 5, 5)]


def test_nested_lambdas_summary_stays_proportional_to_the_file():
    from perfscan.facts.python import PythonFacts

    from .conftest import source_of

    code = "import requests\n\nasync def f(u):\n    x = " + "lambda: " * 2000 + "requests.get(u)\n"
    facts = PythonFacts.build(source_of("app.py", code))
    size = len(pickle.dumps(facts.summary()))
    # Was 18 MB: every lambda's qualname repeated its enclosing lambdas' (`f.<lambda>.<lambda>...`).
    assert size < len(code), size
    assert {fn.qualname for fn in facts.functions} == {"app.f", "app.f.<lambda>"}
    assert [record["qualname"] for record in facts.summary()["functions"]] == ["app.f"]


TSX_HEAD = "import React, { memo, useState } from 'react';\nconst Child = memo((q: any) => <div/>);\n"
TSX_PROP = TSX_HEAD + "export function App(p: any) {\n  const [s, setS] = useState([]);\n  const v = {};\n  return <Child onClick={v} />;\n}\n"
TSX_MUTATION = TSX_HEAD + "export function App(p: any) {\n  const v = {};\n  return <div>{v}</div>;\n}\n"
TSX_INLINE = TSX_HEAD + "export function App(p: any) {\n  return <Child value={{}} />;\n}\n"
TSX_PARAMS = TSX_HEAD + "export function App({}: any) {\n  return <Child onClick={() => 1} />;\n}\n"
TSX_DEEP_CASES = {
    # name: (template, nesting with the interesting expression at the bottom)
    "ternary, right": (TSX_MUTATION, lambda n: "p.a ? x :\x00" * n + "p.items.sort()"),
    "ternary, left": (TSX_PROP, lambda n: "p.a ?\x00" * n + "() => 1" + " : x\x00" * n),
    "nullish chain": (TSX_MUTATION, lambda n: "p.items.sort()" + "\x00?? x" * n),
    "or chain": (TSX_MUTATION, lambda n: "x ||\x00" * n + "p.items.sort()"),
    "member chain": (TSX_MUTATION, lambda n: "p.items.sort()" + "\x00.b" * n),
    "map callbacks": (TSX_MUTATION, lambda n: "p.items.map(() =>\x00" * n + "p.items.sort()" + ")\x00" * n),
    "IIFEs": (TSX_MUTATION, lambda n: "(() =>\x00" * n + "p.items.sort()" + ")()\x00" * n),
    "inline ternary": (TSX_INLINE, lambda n: "p.a ? x :\x00" * n + "{a: 1}"),
    "inline or": (TSX_INLINE, lambda n: "x ||\x00" * n + "{a: 1}"),
    "object pattern": (TSX_PARAMS, lambda n: "{a:\x00" * n + "p" + "}\x00" * n),
    "array pattern": (TSX_PARAMS, lambda n: "{a: " + "[\x00" * n + "p" + "]\x00" * n + "}"),
}


@pytest.mark.parametrize("name", sorted(TSX_DEEP_CASES))
def test_deep_tsx_gives_the_shallow_findings(name):
    template, nest = TSX_DEEP_CASES[name]
    shallow = _findings({"App.tsx": _tsx_lines(template.replace("{}", nest(2), 1))})
    deep = _findings({"App.tsx": _tsx_lines(template.replace("{}", nest(DEEP), 1))})
    assert len(shallow) == 1
    assert deep == shallow


# -- output independent of PYTHONHASHSEED ------------------------------------------------------

# The loop variable `pair_id` is derived from two loop targets: which one the message names
# came from a set's order.
TWO_ORIGINS = """\
from sqlalchemy.orm import Session

def load(session: Session, pairs):
    for left, right in pairs:
        pair_id = combine(left, right)
        session.get(User, pair_id)
"""


@pytest.mark.parametrize("output_format", ["json", "sarif"])
def test_output_is_byte_identical_across_hash_seeds(tmp_path, output_format):
    import os
    import shutil
    import subprocess
    import sys

    from .conftest import FIXTURES

    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "fullstack-demo", project)
    (project / "two_origins.py").write_text(TWO_ORIGINS, encoding="utf-8")
    outputs = []
    for seed in ("1", "5"):  # with a set, seed 1 named `left` and seed 5 `right`
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-m", "perfscan", "check", "--no-cache", "-j", "1", "--format", output_format, "."],
            cwd=project, env=env, capture_output=True, timeout=120,
        )
        assert done.returncode == 1, done.stderr
        outputs.append(done.stdout)
    assert b"PF301" in outputs[0]
    assert b"(from `left`)" in outputs[0]
    assert outputs[1] == outputs[0]


# -- text output on any terminal ----------------------------------------------------------------

def test_text_output_survives_a_latin1_terminal_and_escapes_control_characters(tmp_path):
    import os
    import subprocess
    import sys

    (tmp_path / "app.py").write_text(
        'import requests\n\nasync def f(u):\n    requests.get("\\x1b[2J", u, "é→😀")  # \x1b[31m\x9b\n',
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONIOENCODING": "latin-1"}
    done = subprocess.run(
        [sys.executable, "-m", "perfscan", "check", "--no-cache", "-j", "1", "."],
        cwd=tmp_path, env=env, capture_output=True, timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert b"Traceback" not in done.stderr
    out = done.stdout.decode("latin-1")
    # The source line: é fits latin-1, the rest is backslash-escaped; ESC and CSI are shown, not sent.
    assert '4 |     requests.get("\\x1b[2J", u, "é\\u2192\\U0001f600")  # \\x1b[31m\\x9b\n' in out
    assert "\x1b" not in out and "\x9b" not in out


def test_terminal_safe_escapes_c0_del_and_c1_but_keeps_tabs():
    from perfscan.reporters.text import terminal_safe

    assert terminal_safe("a\tb\x00c\x1bd\x7fe\x85f\r\n") == "a\tb\\x00c\\x1bd\\x7fe\\x85f\\x0d\\x0a"


# -- time and output linear in the file's size -------------------------------------------------
#
# A one-line 1 MB file once took a minute and gigabytes: work per node or per finding that was
# proportional to the line (or the nesting). These tests compare a measure of the work at n and
# at 4n: linear is about 4x, quadratic 16x. Where the measure is time, the smallest of a few
# ratios is taken (load on the machine only inflates one) and the bound is generous.

GROWTH = 4
MAX_TIME_RATIO = 9  # linear ~4, quadratic ~16


def _time_ratio(run, n: int, tries: int = 5) -> float:
    import time

    def timed(size):
        start = time.perf_counter()
        run(size)
        return time.perf_counter() - start

    ratios = []
    for _ in range(tries):
        ratios.append(timed(n * GROWTH) / max(timed(n), 1e-6))
        if ratios[-1] < MAX_TIME_RATIO:
            break
    return min(ratios)


def _long_line_sorts(n: int) -> str:
    """n in-place sorts of a prop during render, on one line after a non-ASCII string (past the
    first 64 KB, where a long line would make the file a skipped minified bundle)."""
    head = TSX_HEAD + "//\n" * 22_000 + "export function App(p: any) {\n  const x = ['é→😀', "
    return head + ", ".join(["p.items.sort()"] * n) + "];\n  return <div>{x}</div>;\n}\n"


def test_findings_on_one_long_line_carry_a_bounded_snippet_and_exact_columns():
    from perfscan.line_columns import SNIPPET_LINE_LIMIT

    for n in (150, 150 * GROWTH):
        result = check_text({"App.tsx": _long_line_sorts(n)})
        assert len(result.findings) == n
        # `p.items.sort()` number k starts after the 16-unit prefix (the emoji is 2 UTF-16 units)
        # and k earlier sorts of 16 units each; the span is the `sort` name.
        prefix = len("  const x = ['é→😀', ".encode("utf-16-le")) // 2
        assert sorted(f.span.col for f in result.findings) == [prefix + 1 + 16 * k + 8 for k in range(n)]
        for finding in result.findings:
            assert "p.items.sort()" in finding.snippet
            # The whole line in every snippet made the output grow with the square of the line.
            assert len(finding.snippet) <= SNIPPET_LINE_LIMIT + 2


def test_text_report_puts_the_carets_under_the_span_of_a_cut_line():
    from perfscan.reporters.text import format_finding

    result = check_text({"App.tsx": _long_line_sorts(200)})
    last = max(result.findings, key=lambda f: f.span.col)
    _, _, source_line, caret_line = format_finding(last).split("\n")[:4]
    source = source_line.split(" | ", 1)[1]
    carets = caret_line.split(" | ", 1)[1]
    assert source.startswith("\u2026")
    assert source[carets.index("^"):].startswith("sort()")
    assert carets.strip() == "^" * len("sort")


def test_utf16_columns_on_a_long_line_take_time_linear_in_the_line():
    from perfscan.source import SourceFile

    def run(n):
        text = "x = ['é', " + "g(u), " * n + "]\n"
        source = SourceFile("a.py", "a.py", "python", text.encode(), text)
        line = source.byte_lines[0]
        for byte_col in range(0, len(line), 7):
            source.column(0, byte_col)

    assert _time_ratio(run, 20_000) < MAX_TIME_RATIO


def test_row_columns_agree_with_encoding_the_prefix():
    import random

    from perfscan.line_columns import RowColumns

    rng = random.Random(7)
    for _ in range(300):
        line = "".join(rng.choice(["a", "\t", "é", "→", "😀"]) for _ in range(rng.randint(0, 25)))
        columns = RowColumns(line)
        for index in range(len(line) + 1):
            byte_col = len(line[:index].encode("utf-8"))
            unit_col = len(line[:index].encode("utf-16-le")) // 2
            assert columns.unit_column(byte_col) == unit_col
            assert columns.index_of_unit(unit_col) == index


def _tsx_render(expression: str) -> str:
    return TSX_HEAD + "export function App(p: any) {\n  const v = " + expression + ";\n  return <div>{v}</div>;\n}\n"


# name: (files for a size n, findings expected at size n, a size where the time is measurable)
NESTING_GROWTH_CASES = {
    # Each engine's check walked up to its function, each step a tree-sitter walk from the root.
    "engines in chained conditional expressions": (
        lambda n: {"app.py": "from fastapi import FastAPI\nfrom sqlalchemy import create_engine\napp = FastAPI()\n\n"
                   "@app.get('/x')\nasync def route(a, u):\n    e = "
                   + "create_engine(u) if a else\\\n        " * n + "create_engine(u)\n"},
        lambda n: n + 1, 200,
    ),
    # PF101 and PF102 each walked to the top of the chain from every call in it.
    "sorts chained on a prop": (lambda n: {"App.tsx": _tsx_render("p.items" + "\n    .sort()" * n)}, lambda n: n, 150),
    # Every call qualified the whole chain below it.
    "method chain on a blocking call": (
        lambda n: {"app.py": "import requests\n\nasync def f(u):\n    x = requests.get(u)" + ".b()" * n + "\n"},
        lambda n: 1, 400,
    ),
}


@pytest.mark.parametrize("name", sorted(NESTING_GROWTH_CASES))
def test_time_grows_linearly_with_nesting(name):
    files, expected, n = NESTING_GROWTH_CASES[name]
    for size in (n, n * GROWTH):
        assert len(_findings(files(size))) == expected(size)
    assert _time_ratio(lambda size: check_text(files(size)), n) < MAX_TIME_RATIO


# -- exit status when files cannot be checked (ruff's convention: 0 clean, 1 findings, 2 error) ----


def _cli(tmp_path, files: dict, *args):
    from click.testing import CliRunner

    from perfscan.cli import cli

    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    return CliRunner().invoke(cli, ["check", str(tmp_path), "--no-cache", "--jobs", "1", *args])


def test_a_tree_whose_only_files_cannot_be_checked_is_an_error(tmp_path):
    out = _cli(tmp_path, {"app.py": b"x = '\xff'\n"})
    assert out.exit_code == 2, out.output
    assert "perfscan: error: no file could be checked (1 undecodable)" in out.stderr
    assert "app.py:1: cannot decode file as UTF-8" in out.stderr

    out = _cli(tmp_path, {"lib.py": b"\x00\x01" * 10, "big.py": b"x = 1\n" * 100}, "--max-file-size", "500")
    assert out.exit_code == 2, out.output
    assert "perfscan: error: no file could be checked (1 undecodable, 1 binary, 1 too large)" in out.stderr


def test_files_that_cannot_be_checked_next_to_a_checked_one_only_add_notes(tmp_path):
    out = _cli(tmp_path, {"bad.py": b"x = '\xff'\n", "good.py": b"def f():\n    return 1\n"})
    assert out.exit_code == 0, out.output
    assert "bad.py:1: cannot decode file as UTF-8" in out.stderr
    assert "no file could be checked" not in out.stderr
    assert "No performance findings in 1 file." in out.stdout

    out = _cli(tmp_path, {"slow.py": b"import requests\n\nasync def f(u):\n    requests.get(u)\n"})
    assert out.exit_code == 1, out.output  # the finding decides, the undecodable file does not


def test_a_tree_without_source_files_is_checked_and_clean(tmp_path):
    out = _cli(tmp_path, {"README.md": b"# nothing to check\n", "data.bin": b"\x00\xff"})
    assert out.exit_code == 0, out.output
    assert "No performance findings in 0 files." in out.stdout
    assert "error" not in out.stderr


def test_reporters_find_the_flagged_text_of_a_long_line_in_linear_time():
    from types import SimpleNamespace

    from perfscan.findings import Span
    from perfscan.reporters.common import SourceLines

    def spans(n):
        line = "x = ['é😀', " + "g(u), " * n + "]"
        prefix = len("x = ['é😀', ".encode("utf-16-le")) // 2
        lines = SourceLines({"a.py": SimpleNamespace(text=line + "\n")})
        return lines, [Span("a.py", 1, prefix + 1 + 6 * k, 1, prefix + 5 + 6 * k) for k in range(n)]

    lines, found = spans(50)
    assert {lines.text_of(span) for span in found} == {"g(u)"}

    def run(n):
        lines, found = spans(n)
        for span in found:
            lines.text_of(span)

    # SARIF and the fingerprints scanned the line up to the span for each finding: 12 minutes on 250 KB.
    assert _time_ratio(run, 3000) < MAX_TIME_RATIO
