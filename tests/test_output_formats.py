"""Output for CI and people: GitHub workflow commands, GitLab Code Quality, JUnit, --statistics,
text order and level words, colour, a missing path, stdin, the progress bar, and SARIF paths
that resolve at the repository root from whatever folder perfscan ran in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from click.testing import CliRunner

from perfscan.cli import cli
from perfscan.engine import RunResult
from perfscan.findings import Finding, Fix, Span
from perfscan.fingerprint import perfscan_fingerprint
from perfscan.reporters.common import ReportOptions, ReportPaths
from perfscan.reporters.github import escape_data, escape_property, render_github
from perfscan.reporters.gitlab import render_gitlab
from perfscan.reporters.junit import render_junit
from perfscan.reporters.text import render_statistics, render_text
from tests.conftest import write_tree

SHARED_SARIF = Path(__file__).resolve().parents[2] / "shared" / "sarif"

HANDLER = """\
import time


async def handler():
    time.sleep(1)
"""
MESSAGE = "`time.sleep` blocks the event loop in async function `handler`: use `await asyncio.sleep(...)`"


def invoke(*args, **kwargs):
    return CliRunner().invoke(cli, ["check", *args], catch_exceptions=False, **kwargs)


def finding(path, line, code="PF201", level="warning", message="m", fixable=False, name="blocking-call-in-async"):
    fix = Fix("f", ()) if fixable else None
    return Finding(code, name, level, message, Span(path, line, 5, line, 18), snippet="    time.sleep(1)", fix=fix)


def synthetic_result(findings, root="/project"):
    result = RunResult(root=root, findings=list(findings), files_checked=3)
    return result


MIXED = [
    finding("a.py", 9, code="PF102", level="note", name="missing-usememo"),
    finding("b.py", 2, level="warning", fixable=True),
    finding("z.py", 1, level="error"),
    finding("a.py", 3, level="warning"),
]


# -- GitHub workflow commands ----------------------------------------------------------------


def test_github_escaping_follows_the_runner():
    assert escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert escape_property("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext%3A a%2Cb"


def test_github_commands_exact_most_severe_first():
    odd = finding("dir,1/x:y.py", 4, message="50% slower\nsee [the helper](1)")
    out = render_github(synthetic_result([*MIXED, odd]))
    assert out == (
        "::error file=z.py,line=1,col=5,endLine=1,endColumn=18,title=PF201 blocking-call-in-async::m\n"
        "::warning file=a.py,line=3,col=5,endLine=3,endColumn=18,title=PF201 blocking-call-in-async::m\n"
        "::warning file=b.py,line=2,col=5,endLine=2,endColumn=18,title=PF201 blocking-call-in-async::m\n"
        "::warning file=dir%2C1/x%3Ay.py,line=4,col=5,endLine=4,endColumn=18,title=PF201 blocking-call-in-async"
        "::50%25 slower%0Asee the helper\n"
        "::notice file=a.py,line=9,col=5,endLine=9,endColumn=18,title=PF102 missing-usememo::m\n"
    )


# -- GitLab Code Quality ---------------------------------------------------------------------


def test_gitlab_code_quality_exact(project):
    (project / ".git").mkdir()
    write_tree(project, {"server/app.py": HANDLER})
    os.chdir(project / "server")
    result = invoke(".", "--no-cache", "--format", "gitlab")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == [{
        "type": "issue",
        "check_name": "PF201 blocking-call-in-async",
        "description": f"PF201 {MESSAGE}",
        "categories": ["Performance"],
        "severity": "minor",
        "fingerprint": perfscan_fingerprint("PF201", "server/app.py", "time.sleep(1)", 1),
        "location": {"path": "server/app.py", "lines": {"begin": 5, "end": 5}},
    }]


def test_gitlab_severity_mapping():
    issues = json.loads(render_gitlab(synthetic_result(MIXED)))
    assert [(i["location"]["path"], i["severity"]) for i in issues] == [
        ("z.py", "major"), ("a.py", "minor"), ("b.py", "minor"), ("a.py", "info"),
    ]
    assert len({i["fingerprint"] for i in issues}) == 4


# -- JUnit -----------------------------------------------------------------------------------


def test_junit_exact_valid_xml_with_control_characters_escaped():
    findings = [finding("a.py", 3, message="bad \x1b[2J <tag> & \"q\""), finding("b.py", 1, code="PF102", name="missing-usememo")]
    out = render_junit(synthetic_result(findings))
    assert out == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<testsuites name="perfscan" tests="2" failures="2">\n'
        '  <testsuite name="PF102 missing-usememo" tests="1" failures="1">\n'
        '    <testcase name="b.py:1:5" classname="PF102 missing-usememo" file="b.py" line="1">\n'
        '      <failure message="m" type="warning">b.py:1:5: warning: PF102 m\n    time.sleep(1)</failure>\n'
        '    </testcase>\n'
        '  </testsuite>\n'
        '  <testsuite name="PF201 blocking-call-in-async" tests="1" failures="1">\n'
        '    <testcase name="a.py:3:5" classname="PF201 blocking-call-in-async" file="a.py" line="3">\n'
        '      <failure message="bad \\x1b[2J &lt;tag&gt; &amp; &quot;q&quot;" type="warning">'
        'a.py:3:5: warning: PF201 bad \\x1b[2J &lt;tag&gt; &amp; "q"\n    time.sleep(1)</failure>\n'
        '    </testcase>\n'
        '  </testsuite>\n'
        '</testsuites>\n'
    )
    root = ElementTree.fromstring(out.encode("utf-8"))
    assert [case.get("name") for case in root.iter("testcase")] == ["b.py:1:5", "a.py:3:5"]


def test_junit_without_findings():
    assert render_junit(synthetic_result([])) == (
        '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="perfscan" tests="0" failures="0">\n</testsuites>\n'
    )


# -- text and statistics ---------------------------------------------------------------------


def test_text_most_severe_first_with_level_words_and_rule_summary():
    out = render_text(synthetic_result(MIXED), show_source=False)
    assert out == (
        "z.py:1:5: PF201 error: m\n"
        "a.py:3:5: PF201 warning: m\n"
        "b.py:2:5: PF201 [*] warning: m\n"
        "a.py:9:5: PF102 note: m\n"
        "\n"
        "Found 4 findings (1 error, 2 warnings, 1 note) in 3 of 3 checked files.\n"
        "  3  PF201  blocking-call-in-async  (1 fixable)\n"
        "  1  PF102  missing-usememo\n"
        "[*] 1 fixable with `perfscan check --fix` (preview with `--diff`).\n"
    )


def test_statistics_text_and_json(project):
    assert render_statistics(synthetic_result(MIXED)) == (
        "3  PF201  blocking-call-in-async  (1 fixable)\n"
        "1  PF102  missing-usememo\n"
    )
    write_tree(project, {"app.py": HANDLER})
    result = invoke(".", "--no-cache", "--statistics", "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == [{"code": "PF201", "name": "blocking-call-in-async", "count": 1, "fixable": 1}]


@pytest.mark.parametrize("args, env, colored", [
    (["--color", "always"], {}, True),
    (["--color", "never"], {"FORCE_COLOR": "1"}, False),
    ([], {}, False),  # not a terminal
    ([], {"FORCE_COLOR": "1"}, True),
    ([], {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
    (["--color", "always"], {"NO_COLOR": "1"}, True),
])
def test_color_option_and_environment(project, monkeypatch, args, env, colored):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    write_tree(project, {"app.py": HANDLER})
    result = invoke(".", "--no-cache", "--no-source", *args, env=env)
    assert result.exit_code == 1
    assert ("\x1b[" in result.stdout) is colored
    assert click_unstyle(result.stdout).startswith(f"app.py:5:5: PF201 [*] warning: {MESSAGE}\n")


def click_unstyle(text):
    import click

    return click.unstyle(text)


# -- missing paths and stdin -----------------------------------------------------------------


def test_missing_path_is_an_error_naming_it_and_nothing_else(project):
    result = invoke("nope", "--no-cache")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "perfscan: error: path does not exist: nope\n"


def test_stdin_is_checked_as_the_named_file(project):
    (project / ".git").mkdir()
    write_tree(project, {"server/app.py": "x = 1\n"})  # on disk: clean; the buffer is what counts
    result = invoke("-", "--stdin-filename", "server/app.py", "--no-source", "--format", "github", input=HANDLER)
    assert result.exit_code == 1
    assert result.stdout == (
        f"::warning file=server/app.py,line=5,col=5,endLine=5,endColumn=18,title=PF201 blocking-call-in-async::{MESSAGE}\n"
    )
    text = invoke("-", "--stdin-filename", "server/app.py", "--no-source", input=HANDLER)
    assert text.stdout.startswith(f"server/app.py:5:5: PF201 [*] warning: {MESSAGE}\n")


@pytest.mark.parametrize("args, error", [
    (["-"], "reading standard input (`-`) needs --stdin-filename PATH: its extension gives the language"),
    (["-", "--stdin-filename", "notes.txt"], "--stdin-filename notes.txt: not a Python, TypeScript or JavaScript file name"),
    (["-", "--stdin-filename", "a.py", "--fix"], "--fix cannot write back to standard input; use --diff"),
    (["-", ".", "--stdin-filename", "a.py"], "`-` (standard input) cannot be combined with other paths"),
])
def test_stdin_usage_errors(project, args, error):
    result = invoke(*args, input="x = 1\n")
    assert result.exit_code == 2
    assert result.stderr == f"perfscan: error: {error}\n"


# -- progress bar ----------------------------------------------------------------------------


def test_progress_bar_ends_at_its_total_without_an_estimate():
    from perfscan.progress import _Bar

    bar = _Bar(3)
    for _ in range(3):  # phase 1: each file extracted
        bar.update(1)
    bar.update(1)  # phase 2: a file whose early check held
    bar.update(1)
    bar.update(1)
    assert (bar._bar.pos, bar._bar.length) == (6, 6)
    bar.update(5)  # more reports than expected never run past the end
    assert bar._bar.pos == 6
    assert bar._bar.format_progress_line() == "perfscan: 3 files  [##############################]  100%"
    bar.finish()


def test_progress_bar_of_a_cached_run_is_filled_at_the_end():
    from perfscan.progress import _Bar

    bar = _Bar(4)
    bar.update(4)  # every file came from the cache: reported once
    bar.finish()
    assert bar._bar.pos == bar._bar.length == 8


# -- SARIF from a sub-folder -----------------------------------------------------------------


def test_sarif_from_a_subfolder_resolves_at_the_repository_root(project, tmp_path):
    repo = project / "repo"
    (repo / ".git").mkdir(parents=True)
    write_tree(repo, {"server/polar/app.py": HANDLER, "server/polar/clean.py": "x = 1\n",
                      # The docs' address, so the strict validation below has the tool's informationUri.
                      "perfscan.toml": 'help-uri = "https://docs.example.org/perfscan/rules.html#{anchor}"\n'})
    os.chdir(repo / "server")
    result = invoke(".", "--no-cache", "--format", "sarif", "-o", "out.sarif")
    assert result.exit_code == 1
    log = json.loads((repo / "server" / "out.sarif").read_text(encoding="utf-8"))
    run = log["runs"][0]
    assert run["automationDetails"] == {"id": "perfscan/server/"}
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": repo.resolve().as_uri() + "/"}}
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]]
    assert uris == ["server/polar/app.py"]
    assert all((repo / uri).is_file() for uri in uris)
    assert [a["location"]["uri"] for a in run["artifacts"]] == ["server/polar/app.py"]
    # The same run from the repository root: the same results, fingerprints included.
    os.chdir(repo)
    again = json.loads(invoke("server", "--no-cache", "--format", "sarif").stdout)["runs"][0]
    assert again["automationDetails"] == run["automationDetails"]
    assert again["results"] == run["results"]
    # --root and --sarif-category override.
    os.chdir(repo / "server")
    custom = json.loads(invoke(".", "--no-cache", "--format", "sarif", "--root", ".", "--sarif-category", "backend/").stdout)
    assert custom["runs"][0]["automationDetails"] == {"id": "backend/"}
    assert custom["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "polar/app.py"

    validate = SHARED_SARIF / "validate.sh"
    schema = SHARED_SARIF / "sarif-schema-2.1.0.json"
    if not (validate.is_file() and schema.is_file()):
        pytest.skip("the shared SARIF validator is not there")
    env = dict(os.environ, SARIF_PYTHON=sys.executable, SARIF_SCHEMA=str(schema), STRICT="1")
    env.setdefault("SKIP_MULTITOOL", "0" if env.get("SARIF_MULTITOOL") else "1")
    completed = subprocess.run(["bash", str(validate), str(repo / "server" / "out.sarif")], env=env,
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_report_paths_outside_the_repository_stay_as_they_are():
    paths = ReportPaths("/work/repo/server", "/work/repo")
    assert paths("polar/app.py") == "server/polar/app.py"
    assert ReportPaths("/work", "/work/repo")("repo/a.py") == "a.py"
    assert ReportPaths("/work", "/work/repo")("other/a.py") == "other/a.py"
    assert ReportOptions(paths=paths).paths_for(None) is paths
