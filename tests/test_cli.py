"""The command line: formats, exit codes, selection, config errors, fixes, docs commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from perfscan import __version__
from perfscan.cli import cli
from perfscan.rules import all_rules
from tests.conftest import write_tree

PY_BLOCKING = """
import time


async def handler():
    time.sleep(1)
"""


def invoke(*args, **kwargs):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, **kwargs)


@pytest.fixture
def blocking_project(project):
    write_tree(project, {"app.py": PY_BLOCKING, "clean.py": "def f():\n    return 1\n"})
    return project


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and result.output.strip() == f"perfscan {__version__}"


def test_text_output_and_exit_code(blocking_project):
    result = invoke("check", ".")
    assert result.exit_code == 1, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("app.py:5:5: PF201 [*] warning: ")
    assert "    time.sleep(1)" in result.output
    assert "Found 1 finding (1 warning) in 1 of 2 checked files." in result.output


def test_clean_exit_zero(project):
    write_tree(project, {"clean.py": "def f():\n    return 1\n"})
    result = invoke("check")
    assert result.exit_code == 0 and "No performance findings in 1 file." in result.output


def test_exit_zero_and_select_ignore(blocking_project):
    assert invoke("check", ".", "--exit-zero").exit_code == 0
    assert invoke("check", ".", "--ignore", "PF201").exit_code == 0
    assert invoke("check", ".", "--ignore", "blocking-call-in-async").exit_code == 0
    assert invoke("check", ".", "--select", "PF1").exit_code == 0
    assert invoke("check", ".", "--select", "PF1,PF2").exit_code == 1
    bad = invoke("check", ".", "--select", "PF9")
    assert bad.exit_code == 2 and "'PF9' matches no rule" in bad.output


def test_json_output(blocking_project):
    result = invoke("check", ".", "--format", "json")
    data = json.loads(result.output)
    assert [(f["code"], f["path"], f["line"], f["col"]) for f in data["findings"]] == [("PF201", "app.py", 5, 5)]
    assert data["files_checked"] == 2


def test_sarif_output_file(blocking_project):
    result = invoke("check", ".", "--format", "sarif", "-o", "out.sarif")
    assert result.exit_code == 1
    log = json.loads((blocking_project / "out.sarif").read_text())
    assert log["version"] == "2.1.0"
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["PF201"]


def test_config_error_exits_2(blocking_project):
    write_tree(blocking_project, {"pyproject.toml": "[tool.perfscan]\nignore = 'PF201'\n"})
    result = invoke("check", ".")
    assert result.exit_code == 2
    assert "[tool.perfscan] ignore must be a list" in result.output


def test_config_from_pyproject(blocking_project):
    write_tree(blocking_project, {"pyproject.toml": "[tool.perfscan]\nignore = ['PF201']\n"})
    assert invoke("check", ".").exit_code == 0


def test_missing_path_exits_2(blocking_project):
    result = invoke("check", "app.py", "missing_dir")
    assert result.exit_code == 2
    assert "path does not exist: missing_dir" in result.output
    assert "app.py:5:5: PF201" in result.output  # the other path's findings still come out


def test_diff_and_fix(blocking_project):
    diff = invoke("check", ".", "--diff")
    assert diff.exit_code == 1
    assert "+    await asyncio.sleep(1)" in diff.output
    assert (blocking_project / "app.py").read_text().count("time.sleep(1)") == 1  # unchanged
    fixed = invoke("check", ".", "--fix")
    assert fixed.exit_code == 0, fixed.output
    text = (blocking_project / "app.py").read_text()
    assert "await asyncio.sleep(1)" in text and "import asyncio" in text
    assert invoke("check", ".").exit_code == 0


def test_rules_and_explain():
    listing = invoke("rules")
    assert listing.exit_code == 0
    for rule in all_rules():
        assert rule.code in listing.output
    data = json.loads(invoke("rules", "--format", "json").output)
    assert {r["code"] for r in data} == {r.code for r in all_rules()}
    page = invoke("explain", "pf201")
    assert page.exit_code == 0 and page.output.startswith("# PF201 blocking-call-in-async")
    assert "## Why is this slow" in page.output
    assert invoke("explain", "PF999").exit_code == 2


def test_docs_are_generated_from_rules():
    from perfscan.docs import main
    from tests.conftest import REPO

    assert main(["--check"], repo=REPO) == 0, "run `python -m perfscan.docs` to regenerate docs/rules.md and the README table"


def test_installed_console_script_runs_outside_the_checkout(tmp_path):
    """The console script works from any folder: rules and queries ship with the package."""
    write_tree(tmp_path, {"app.py": PY_BLOCKING})
    script = os.path.join(os.path.dirname(sys.executable), "perfscan")
    if not os.path.exists(script):
        pytest.skip("perfscan console script not installed in this environment")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([script, "check", "."], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "app.py:5:5: PF201" in done.stdout


def test_notes_go_to_stderr_whatever_the_format(project):
    write_tree(project, {"app.py": PY_BLOCKING, "huge.py": "x = 1\n" * 300_000})
    try:
        runner = CliRunner(mix_stderr=False)  # click 8.1
    except TypeError:
        runner = CliRunner()  # click >= 8.2 keeps stderr apart
    result = runner.invoke(cli, ["check", ".", "--format", "json", "--no-cache"])
    data = json.loads(result.stdout)
    assert [n["kind"] for n in data["notifications"]] == ["too-large"]
    assert "huge.py: skipped:" in result.stderr and "over the size cap" in result.stderr
