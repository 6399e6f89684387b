"""Fixes and positions on odd files: line breaks other than LF, CR-only and CRLF files, files
with syntax errors, no final newline, a byte order mark, symbolic links; and PF201's fixes
built lazily, with one libcst parse per file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from perfscan.cli import cli
from perfscan.engine import check_text
from perfscan.findings import Finding, Fix, Span, TextEdit
from perfscan.fixes import apply_edits, build_fixes, plan_fixes, unified_diff
from perfscan.source import SourceFile, line_chunks, split_lines

SLEEPER = b"import time\n# a\x0cb\nasync def f():\n    time.sleep(1)\n    return 2\n"
SLEEPER_FIXED = b"import time\nimport asyncio\n# a\x0cb\nasync def f():\n    await asyncio.sleep(1)\n    return 2\n"


def invoke(*args):
    return CliRunner().invoke(cli, ["check", *args, "--no-cache"], catch_exceptions=False)


def finding_positions(output: str) -> list:
    return [(f["line"], f["col"], f["end_line"], f["end_col"], f["snippet"]) for f in json.loads(output)["findings"]]


# -- 1. only LF, CRLF and a lone CR end a line ---------------------------------------------


# Characters where str.splitlines breaks a line and tree-sitter, Python and GitHub do not.
NOT_LINE_ENDS = ["\x0c", "\x0b", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize("char", NOT_LINE_ENDS, ids=lambda c: f"U+{ord(c):04X}")
def test_fix_edits_the_right_lines_around_characters_splitlines_breaks_at(project, char):
    (project / "f.py").write_bytes(SLEEPER.replace(b"\x0c", char.encode("utf-8")))
    result = invoke("f.py", "--fix")
    assert result.exit_code == 0, result.output
    assert (project / "f.py").read_bytes() == SLEEPER_FIXED.replace(b"\x0c", char.encode("utf-8"))


def test_positions_and_diff_around_a_form_feed(project):
    (project / "f.py").write_bytes(SLEEPER)
    assert finding_positions(invoke("f.py", "--format", "json").stdout) == [(4, 5, 4, 18, "    time.sleep(1)")]
    assert invoke("f.py", "--diff").stdout == (
        "--- a/f.py\n+++ b/f.py\n@@ -1,5 +1,6 @@\n import time\n+import asyncio\n # a\x0cb\n async def f():\n"
        "-    time.sleep(1)\n+    await asyncio.sleep(1)\n     return 2\n"
    )


def test_line_helpers_break_at_lf_crlf_and_lone_cr_only():
    text = "a\x0cb\r\nc\rd\u2028e\nf"
    assert split_lines(text) == ["a\x0cb", "c", "d\u2028e", "f"]
    assert line_chunks(text) == ["a\x0cb\r\n", "c\r", "d\u2028e\n", "f"]
    assert line_chunks("a\n") == ["a\n"] and split_lines("a\n") == ["a", ""]
    edit = TextEdit(Span("x.py", 3, 2, 4, 1), "X")  # line 3 from its 2nd column up to line 4
    assert apply_edits(text, [edit]) == "a\x0cb\r\nc\rdXf"


# -- 2. CR-only and CRLF files; files with syntax errors ----------------------------------------

CR_ONLY = b"import time\r\rasync def f():\r    time.sleep(1)\r    return 2\r"


def test_cr_only_file_parses_whole_and_has_editor_positions(project):
    # Tree-sitter counts rows at LF only and its Python grammar fails on a lone CR; it parses
    # the file with each lone CR read as LF (same length, so byte offsets hold).
    (project / "cr.py").write_bytes(CR_ONLY)
    (project / "crlf.py").write_bytes(CR_ONLY.replace(b"\r", b"\r\n"))
    result = invoke(".", "--format", "json")
    assert json.loads(result.stdout)["notifications"] == []  # no partial parse
    assert finding_positions(result.stdout) == [(4, 5, 4, 18, "    time.sleep(1)")] * 2


def test_cr_only_file_is_fixed_with_its_line_ends(project):
    (project / "cr.py").write_bytes(CR_ONLY)
    result = invoke("cr.py", "--fix")
    assert result.exit_code == 0, result.output
    fixed = (project / "cr.py").read_bytes()
    assert fixed == b"import time\rimport asyncio\r\rasync def f():\r    await asyncio.sleep(1)\r    return 2\r"
    compile(fixed, "cr.py", "exec", dont_inherit=True)


def test_crlf_file_is_fixed_with_its_line_ends(project):
    (project / "w.py").write_bytes(CR_ONLY.replace(b"\r", b"\r\n"))
    assert invoke("w.py", "--fix").exit_code == 0
    assert (project / "w.py").read_bytes() == (
        b"import time\r\nimport asyncio\r\n\r\nasync def f():\r\n    await asyncio.sleep(1)\r\n    return 2\r\n"
    )


def test_sarif_line_hash_of_a_cr_only_file_is_the_flagged_line(project):
    from perfscan.fingerprint import line_hashes

    (project / "cr.py").write_bytes(CR_ONLY)
    [result] = json.loads(invoke("cr.py", "--format", "sarif").stdout)["runs"][0]["results"]
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"], region["snippet"]["text"]) == (4, 5, "time.sleep(1)")
    assert result["partialFingerprints"]["primaryLocationLineHash"] == line_hashes(CR_ONLY.decode())[3]


def test_file_with_syntax_errors_gets_no_fix(project):
    broken = b"import time\nasync def f():\n    time.sleep(1)\ndef g(:\n    pass\n"
    (project / "b.py").write_bytes(broken)
    result = invoke("b.py", "--fix")
    assert "Fixed 0 findings." in result.stderr
    assert (project / "b.py").read_bytes() == broken


def _planned(files: dict, finding_edits: dict):
    """plan_fixes over in-memory files, with one finding per file carrying the given edits."""
    result = check_text(files, rules=[])
    for path, edits in finding_edits.items():
        span = Span(path, 1, 1, 1, 2)
        result.findings.append(Finding("PF999", "test", "warning", "m", span, fix=Fix("f", tuple(edits))))
    return plan_fixes(result)


def test_plan_refuses_a_partially_parsed_file():
    planned, refused = _planned({"p.py": "def g(:\n    pass\n"}, {"p.py": [TextEdit(Span("p.py", 2, 5, 2, 9), "return")]})
    assert planned == {} and refused == [("p.py", "the file has syntax errors; no fix written")]


def test_plan_refuses_a_fix_that_parses_but_does_not_compile():
    # Tree-sitter accepts `await` in a plain `def`; Python does not.
    planned, refused = _planned(
        {"c.py": "def g():\n    x()\n"}, {"c.py": [TextEdit(Span("c.py", 2, 5, 2, 5), "await ")]}
    )
    assert planned == {} and refused == [("c.py", "the fixed file would not compile; no fix written")]


# -- 3. --diff applies; BOM kept; links ---------------------------------------------------------


def _apply_diff(directory, diff: bytes) -> None:
    subprocess.run(["patch", "-p1", "--quiet", "--batch"], cwd=directory, input=diff, check=True)


@pytest.mark.skipif(shutil.which("patch") is None, reason="needs the patch command")
@pytest.mark.parametrize(
    "content",
    [
        b"import time\n\nasync def f():\n    time.sleep(1)",  # no final newline, the call on the last line
        b"import time\n\nasync def f():\n    time.sleep(1)\n    return 2",  # no final newline after it
        b"\xef\xbb\xbfimport time\n\nasync def f():\n    time.sleep(1)\n",  # a byte order mark
        b"\xef\xbb\xbfimport time\r\n\r\nasync def f():\r\n    time.sleep(1)\r\n    return 2",  # all of it, CRLF
        SLEEPER,
    ],
    ids=["no-newline-last-changed", "no-newline", "bom", "bom-crlf-no-newline", "form-feed"],
)
def test_diff_applies_with_patch_and_equals_the_fix(tmp_path, monkeypatch, content):
    for name in ("fixed", "patched"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "f.py").write_bytes(content)
    monkeypatch.chdir(tmp_path / "patched")
    diff = invoke("f.py", "--diff").stdout_bytes  # (`stdout` would turn CRLF into LF)
    assert diff.startswith(b"--- a/f.py\n+++ b/f.py\n")
    _apply_diff(tmp_path / "patched", diff)
    monkeypatch.chdir(tmp_path / "fixed")
    assert invoke("f.py", "--fix").exit_code == 0
    fixed = (tmp_path / "fixed" / "f.py").read_bytes()
    assert (tmp_path / "patched" / "f.py").read_bytes() == fixed
    assert fixed.startswith(b"\xef\xbb\xbf") == content.startswith(b"\xef\xbb\xbf")
    assert b"await asyncio.sleep(1)" in fixed and fixed.count(b"import asyncio") == 1


def test_unified_diff_marks_a_missing_final_newline():
    assert unified_diff("f.py", "a\nb", "a\nc") == (
        "--- a/f.py\n+++ b/f.py\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"
    )


def test_fix_keeps_the_byte_order_mark(project):
    (project / "f.py").write_bytes(b"\xef\xbb\xbf" + SLEEPER)
    assert invoke("f.py", "--fix").exit_code == 0
    assert (project / "f.py").read_bytes() == b"\xef\xbb\xbf" + SLEEPER_FIXED


def test_fix_never_writes_through_a_link_leaving_the_project(tmp_path, monkeypatch):
    (tmp_path / "outside").mkdir()
    (tmp_path / "project").mkdir()
    (tmp_path / "outside" / "real.py").write_bytes(SLEEPER)
    os.symlink(tmp_path / "outside" / "real.py", tmp_path / "project" / "link.py")
    monkeypatch.chdir(tmp_path / "project")
    result = invoke("link.py", "--fix")  # named on the command line: checked, but not fixed
    target = os.path.realpath(tmp_path / "outside" / "real.py")
    assert f"perfscan: warning: link.py: is a link to {target}, outside the project; no fix written" in result.stderr
    assert "Fixed 0 findings." in result.stderr and result.exit_code == 1
    assert (tmp_path / "outside" / "real.py").read_bytes() == SLEEPER
    assert os.path.islink(tmp_path / "project" / "link.py")


def test_link_inside_the_project_is_fixed_at_its_target_once(project):
    (project / "pkg").mkdir()
    (project / "pkg" / "a.py").write_bytes(SLEEPER)
    os.symlink("pkg/a.py", project / "b.py")
    result = invoke("b.py", "--fix")  # only the link is checked: its target, in the project, is fixed
    assert result.exit_code == 0, result.output
    assert (project / "pkg" / "a.py").read_bytes() == SLEEPER_FIXED and os.path.islink(project / "b.py")

    (project / "pkg" / "a.py").write_bytes(SLEEPER)
    result = invoke("b.py", "pkg/a.py", "--fix")  # both: the file is written once, as itself
    assert "perfscan: warning: b.py: is the same file as pkg/a.py, fixed there" in result.stderr
    assert (project / "pkg" / "a.py").read_bytes() == SLEEPER_FIXED


# -- 4. PF201's fixes: lazily, one libcst parse per file --------------------------------------


def _many_sleeps(count: int) -> str:
    functions = "".join(f"async def f{i}():\n    time.sleep({i})\n\n" for i in range(count))
    return f'"""Doc."""\nimport time\n\n{functions}'


@pytest.fixture
def libcst_parses(monkeypatch):
    import libcst

    calls = []
    real = libcst.parse_module
    monkeypatch.setattr(libcst, "parse_module", lambda *args, **kwargs: calls.append(1) or real(*args, **kwargs))
    return calls


def test_pf201_fixes_are_built_on_demand_with_one_libcst_parse_per_file(libcst_parses):
    text = _many_sleeps(40)
    result = check_text({"a.py": text, "b.py": text})
    assert len([f for f in result.findings if f.fix is not None]) == 80
    assert libcst_parses == []  # checking builds no fix
    assert build_fixes(result) == []
    assert len(libcst_parses) == 2  # one per file, not per finding
    fixed = apply_edits(text, [e for f in result.findings if f.span.path == "a.py" for e in f.fix.edits])
    assert fixed == _many_sleeps(40).replace("import time\n", "import time\nimport asyncio\n").replace(
        "    time.sleep(", "    await asyncio.sleep("
    )


def test_cli_builds_pf201_fixes_only_when_its_output_needs_them(project, libcst_parses):
    (project / "a.py").write_text(_many_sleeps(30))
    assert invoke(".", "-j", "1").exit_code == 1 and libcst_parses == []
    sarif = json.loads(invoke(".", "-j", "1", "--format", "sarif").stdout)
    assert len(libcst_parses) == 1
    assert all(len(r["fixes"][0]["artifactChanges"][0]["replacements"]) == 2 for r in sarif["runs"][0]["results"])
    assert invoke(".", "-j", "1", "--fix").exit_code == 0 and len(libcst_parses) == 2
    assert (project / "a.py").read_text().count("await asyncio.sleep(") == 30


def test_a_deferred_fix_survives_the_cache(project):
    (project / "a.py").write_bytes(SLEEPER)
    runner = CliRunner()
    assert runner.invoke(cli, ["check", ".", "-j", "1"]).exit_code == 1  # fills the cache
    fixed = runner.invoke(cli, ["check", ".", "-j", "1", "--fix"])  # findings from the cache
    assert fixed.exit_code == 0, fixed.output
    assert (project / "a.py").read_bytes() == SLEEPER_FIXED


def test_source_lines_of_a_cr_only_file():
    source = SourceFile("/p/x.py", "x.py", "python", CR_ONLY, CR_ONLY.decode())
    assert source.lines == ["import time", "", "async def f():", "    time.sleep(1)", "    return 2", ""]
    assert source.byte_lines[3] == b"    time.sleep(1)"


def test_only_perfscan_fix_builders_are_called():
    result = check_text({"a.py": "x = 1\n"}, rules=[])
    span = Span("a.py", 1, 1, 1, 2)
    for name in ("os:system", "perfscan.fixes:plan_fixes"):
        result.findings.append(Finding("PF999", "t", "warning", "m", span, fix=Fix("f", (), deferred=(name, ("true",)))))
    assert build_fixes(result) == [
        ("a.py", "PF999 fix at line 1 dropped: no fix builder 'os:system'"),
        ("a.py", "PF999 fix at line 1 dropped: no fix builder 'perfscan.fixes:plan_fixes'"),
    ]
    assert [f.fix for f in result.findings] == [None, None]
