"""Baselines: --write-baseline records today's findings, --baseline reports only new ones, and a
finding keeps its identity when lines move or the rest of the file is edited."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from perfscan.cli import cli
from perfscan.fingerprint import perfscan_fingerprint
from tests.conftest import write_tree

HANDLER = """\
import time


async def handler():
    time.sleep(1)
"""
MESSAGE = "`time.sleep` blocks the event loop in async function `handler`: use `await asyncio.sleep(...)`"


def invoke(*args):
    return CliRunner().invoke(cli, ["check", *args, "--no-cache"], catch_exceptions=False)


@pytest.fixture
def repo(project):
    """A repository (a .git directory) whose backend lives in server/; the cwd is the repo root."""
    (project / ".git").mkdir()
    write_tree(project, {"server/app.py": HANDLER})
    return project


def test_write_baseline_creates_a_small_stable_file(repo, monkeypatch):
    result = invoke(".", "--write-baseline", "perfscan-baseline.json")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "Wrote a baseline of 1 finding to perfscan-baseline.json.\n"
    fingerprint = perfscan_fingerprint("PF201", "server/app.py", "time.sleep(1)", 1)
    assert (repo / "perfscan-baseline.json").read_text(encoding="utf-8") == (
        "{\n"
        ' "tool": "perfscan",\n'
        ' "format": 1,\n'
        ' "findings": [\n'
        "  {\n"
        '   "path": "server/app.py",\n'
        '   "code": "PF201",\n'
        f'   "fingerprint": "{fingerprint}",\n'
        f'   "message": "{MESSAGE}"\n'
        "  }\n"
        " ]\n"
        "}\n"
    )
    # Written from the sub-folder: the same bytes (paths are relative to the repository root).
    first = (repo / "perfscan-baseline.json").read_bytes()
    monkeypatch.chdir(repo / "server")
    assert invoke(".", "--write-baseline", "../again.json").exit_code == 0
    assert (repo / "again.json").read_bytes() == first


def test_baseline_survives_line_moves_and_edits_elsewhere_and_reports_only_new(repo):
    assert invoke(".", "--write-baseline", "baseline.json").exit_code == 0
    # Lines above move the finding from line 5 to line 9; another function changes too.
    write_tree(repo, {"server/app.py": (
        "# a header comment\n"
        "import os\n"
        "\n"
        "\n" + HANDLER.replace("async def handler():", "def other():\n    return os.sep\n\n\nasync def handler():")
    )})
    unchanged = invoke(".", "--baseline", "baseline.json")
    assert unchanged.exit_code == 0
    assert unchanged.stdout == "No new performance findings in 1 file.\n1 in the baseline not shown.\n"

    # A second identical call is a new finding (occurrence 2); only it is shown and counted.
    write_tree(repo, {"server/app.py": HANDLER + "    time.sleep(1)\n"})
    new = invoke(".", "--baseline", "baseline.json", "--no-source")
    assert new.exit_code == 1
    assert new.stdout == (
        f"server/app.py:6:5: PF201 [*] warning: {MESSAGE}\n"
        "\n"
        "Found 1 new finding (1 warning) in 1 of 1 checked file.\n"
        "  1  PF201  blocking-call-in-async  (1 fixable)\n"
        "[*] 1 fixable with `perfscan check --fix` (preview with `--diff`).\n"
        "1 in the baseline not shown.\n"
    )


def test_json_and_sarif_mark_new_unchanged_and_absent(repo):
    write_tree(repo, {"server/gone.py": HANDLER})
    assert invoke(".", "--write-baseline", "baseline.json").exit_code == 0
    (repo / "server" / "gone.py").write_text("def fixed():\n    return 1\n", encoding="utf-8")
    write_tree(repo, {"server/new.py": HANDLER})

    data = json.loads(invoke(".", "--baseline", "baseline.json", "--format", "json").stdout)
    assert [(f["path"], f["baseline_state"]) for f in data["findings"]] == [
        ("server/app.py", "unchanged"),
        ("server/new.py", "new"),
    ]
    assert data["baseline"] == {
        "path": "baseline.json",
        "absent": [{
            "path": "server/gone.py",
            "code": "PF201",
            "fingerprint": perfscan_fingerprint("PF201", "server/gone.py", "time.sleep(1)", 1),
            "message": MESSAGE,
        }],
    }

    sarif = invoke(".", "--baseline", "baseline.json", "--format", "sarif")
    assert sarif.exit_code == 1  # one new finding
    results = json.loads(sarif.stdout)["runs"][0]["results"]
    states = [(r["baselineState"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
               r.get("kind", "fail"), r["level"]) for r in results]
    assert states == [
        ("unchanged", "server/app.py", "fail", "warning"),
        ("new", "server/new.py", "fail", "warning"),
        ("absent", "server/gone.py", "pass", "none"),
    ]
    assert results[2]["message"]["text"] == f"Fixed since the baseline: {MESSAGE}."


@pytest.mark.parametrize("content, error", [
    (None, "perfscan: error: baseline file does not exist: b.json (create it with --write-baseline b.json)\n"),
    ("{not json", "perfscan: error: baseline b.json is not valid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)\n"),
    ('{"tool": "eslint", "format": 1, "findings": []}', "perfscan: error: b.json is not a perfscan baseline (it says tool 'eslint')\n"),
    ("[]", "perfscan: error: b.json is not a perfscan baseline\n"),
    ('{"tool": "perfscan", "format": 9, "findings": []}', "perfscan: error: baseline b.json has format 9; this perfscan reads format 1\n"),
    ('{"tool": "perfscan", "format": 1, "findings": [{"code": "PF201"}]}',
     "perfscan: error: baseline b.json is corrupt: finding 1 lacks fingerprint, code, path, message\n"),
])
def test_unusable_baseline_is_one_line_naming_it_exit_2(repo, content, error):
    if content is not None:
        (repo / "b.json").write_text(content, encoding="utf-8")
    result = invoke(".", "--baseline", "b.json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == error


def test_write_baseline_with_baseline_refreshes_it_even_when_missing(repo):
    result = invoke(".", "--baseline", "b.json", "--write-baseline", "b.json")
    assert result.exit_code == 0
    assert result.stderr == "Wrote a baseline of 1 finding to b.json.\n"
    write_tree(repo, {"server/more.py": HANDLER})
    assert invoke(".", "--baseline", "b.json").exit_code == 1
    assert invoke(".", "--baseline", "b.json", "--write-baseline", "b.json").exit_code == 0
    assert [e["path"] for e in json.loads((repo / "b.json").read_text(encoding="utf-8"))["findings"]] == [
        "server/app.py", "server/more.py",
    ]
    assert invoke(".", "--baseline", "b.json").exit_code == 0
