"""Configuration as ruff's users expect it: perfscan.toml / .perfscan.toml / [tool.perfscan], the
nearest one above each file, --config, per-file-ignores, severity, force-exclude, extend, and
exit 2 naming a bad key."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from perfscan.cli import cli
from tests.conftest import write_tree

BLOCKING = "import time\n\n\nasync def handler():\n    time.sleep(1)\n"  # PF201 at 5:5
MUTATION = (  # PF101 at 2:24
    "export function UserList({ users }) {\n"
    "  const sorted = users.sort(byName);\n"
    "  return <ul>{sorted.map((u) => <li key={u.id}>{u.name}</li>)}</ul>;\n"
    "}\n"
)


def check(*args):
    result = CliRunner().invoke(cli, ["check", "--no-cache", *args], catch_exceptions=False)
    return result


def findings(*args):
    """(code, path, level) of each reported finding, and the exit code."""
    result = check("--format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.stdout)
    return sorted((f["code"], f["path"], f["level"]) for f in data["findings"] if not f["suppressed"]), result.exit_code


@pytest.fixture
def monorepo(project):
    """A repository with a Python backend and a React frontend, each with a finding."""
    os.mkdir(project / ".git")
    write_tree(project, {
        "backend/app.py": BLOCKING,
        "backend/scripts/seed.py": BLOCKING,
        "frontend/src/UserList.tsx": MUTATION,
    })
    return project


ALL = [
    ("PF101", "frontend/src/UserList.tsx", "warning"),
    ("PF201", "backend/app.py", "warning"),
    ("PF201", "backend/scripts/seed.py", "warning"),
]


def test_each_file_uses_the_nearest_configuration(monorepo):
    write_tree(monorepo, {
        "perfscan.toml": 'ignore = ["PF1"]\n',
        "backend/perfscan.toml": 'select = ["PF1"]\n',  # closest wins: the root's ignore does not apply here
    })
    assert findings(".") == ([], 0)
    write_tree(monorepo, {"backend/perfscan.toml": 'select = ["PF2"]\n'})
    assert findings(".") == ([("PF201", "backend/app.py", "warning"), ("PF201", "backend/scripts/seed.py", "warning")], 1)
    # The order of the paths does not matter: run-wide settings come from their common folder.
    assert findings("frontend", "backend") == findings("backend", "frontend")
    # Named alone, a folder still uses its own configuration.
    assert findings("backend/app.py") == ([("PF201", "backend/app.py", "warning")], 1)
    assert findings("frontend") == ([], 0)


def test_precedence_in_one_folder(monorepo):
    write_tree(monorepo, {
        "backend/pyproject.toml": '[tool.perfscan]\nignore = ["PF201"]\n',
    })
    assert findings("backend") == ([], 0)
    write_tree(monorepo, {"backend/.perfscan.toml": 'select = ["PF201"]\n'})  # wins over pyproject.toml
    assert len(findings("backend")[0]) == 2
    write_tree(monorepo, {"backend/perfscan.toml": 'ignore = ["PF2"]\n'})  # wins over .perfscan.toml
    assert findings("backend") == ([], 0)


def test_a_pyproject_without_the_table_is_passed_over(monorepo):
    write_tree(monorepo, {
        "perfscan.toml": 'ignore = ["PF201"]\n',
        "backend/pyproject.toml": '[project]\nname = "backend"\n',
    })
    assert findings(".") == ([ALL[0]], 1)


def test_config_option_gives_every_file_that_file(monorepo):
    write_tree(monorepo, {
        "backend/perfscan.toml": 'ignore = ["PF2"]\n',
        "ci/strict.toml": 'select = ["PF201"]\n[severity]\nPF201 = "error"\n',
    })
    assert findings(".", "--config", "ci/strict.toml") == (
        [("PF201", "backend/app.py", "error"), ("PF201", "backend/scripts/seed.py", "error")], 1)
    missing = check(".", "--config", "nope.toml")
    assert missing.exit_code == 2 and "config file does not exist: nope.toml" in missing.output


def test_per_file_ignores_and_severity(monorepo):
    write_tree(monorepo, {"perfscan.toml": """
        [per-file-ignores]
        "backend/scripts/**" = ["PF2"]
        "**/*.tsx" = ["mutation-in-render"]
        [severity]
        PF2 = "note"
        PF201 = "error"
    """})
    # The most specific severity key wins: PF201 over PF2.
    assert findings(".") == ([("PF201", "backend/app.py", "error")], 1)
    write_tree(monorepo, {"perfscan.toml": '[severity]\nPF201 = "off"\nPF1 = "note"\n'})
    assert findings(".") == ([("PF101", "frontend/src/UserList.tsx", "note")], 1)


def test_patterns_are_relative_to_their_configuration(monorepo):
    # "scripts/" in backend/perfscan.toml is backend/scripts/, whichever folder the run starts from.
    write_tree(monorepo, {"backend/perfscan.toml": 'exclude = ["scripts/"]\n[per-file-ignores]\n"app.py" = ["PF201"]\n'})
    assert findings(".") == ([ALL[0]], 1)
    os.chdir(monorepo / "backend")
    assert findings(".") == ([], 0)


def test_extend_builds_on_another_file(monorepo):
    write_tree(monorepo, {
        "perfscan.toml": 'ignore = ["PF1"]\n[severity]\nPF201 = "error"\n',
        "backend/perfscan.toml": 'extend = "../perfscan.toml"\nexclude = ["scripts/"]\n',
    })
    assert findings(".") == ([("PF201", "backend/app.py", "error")], 1)
    write_tree(monorepo, {"perfscan.toml": 'extend = "backend/perfscan.toml"\n'})
    result = check(".")
    assert result.exit_code == 2 and "makes a cycle" in result.output


def test_the_index_still_sees_files_whose_configuration_drops_the_rule(project):
    # lib/ ignores PF201 for itself; the route in app.py still learns that lib's helper blocks.
    os.mkdir(project / ".git")
    write_tree(project, {
        "lib/perfscan.toml": 'ignore = ["PF201"]\n',
        "lib/util.py": "import time\n\n\ndef helper():\n    time.sleep(1)\n",
        "app.py": "from lib.util import helper\n\n\nasync def handler():\n    helper()\n",
    })
    assert findings(".") == ([("PF201", "app.py", "warning")], 1)


def test_exclude_applies_to_named_files_unless_force_exclude_is_off(monorepo):
    write_tree(monorepo, {"perfscan.toml": 'exclude = ["scripts/"]\n'})
    result = check("backend/scripts/seed.py", "backend/app.py", "--format", "json")
    assert [f["path"] for f in json.loads(result.stdout)["findings"] if not f["suppressed"]] == ["backend/app.py"]
    assert "backend/scripts/seed.py: skipped: excluded by the configuration's `exclude`" in result.stderr
    assert findings("backend/scripts/seed.py", "--no-force-exclude") == ([ALL[2]], 1)
    assert findings("backend/scripts") == ([], 0)  # a named folder too
    write_tree(monorepo, {"perfscan.toml": 'exclude = ["scripts/"]\nforce-exclude = false\n'})
    assert findings("backend/scripts/seed.py") == ([ALL[2]], 1)


def test_list_options_accept_commas(monorepo):
    assert findings(".", "--exclude", "frontend/,backend/scripts/") == ([ALL[1]], 1)
    assert findings(".", "--select", "PF101,PF201", "--ignore", "PF1") == (ALL[1:], 1)


@pytest.mark.parametrize("text, message", [
    ('[per-file-ignores]\n"scripts/**" = ["PF2O1"]\n', "per-file-ignores 'scripts/**': 'PF2O1' matches no rule"),
    ('[per-file-ignores]\n"scripts/**" = "PF2"\n', "per-file-ignores 'scripts/**' must be a list"),
    ('[severity]\nPF999 = "off"\n', "severity: unknown key 'PF999'"),
    ('[severity]\nPF201 = "fatal"\n', "severity PF201 must be one of 'off', 'note', 'warning', 'error', got 'fatal'"),
    ('selct = ["PF1"]\n', "perfscan.toml: the top level has unknown key 'selct'"),
    ('[tool.perfscan]\nselect = ["PF1"]\n', "without [tool.perfscan]"),
    ('force-exclude = "yes"\n', "force-exclude must be a boolean"),
])
def test_bad_configuration_exits_2_naming_it(monorepo, text, message):
    write_tree(monorepo, {"backend/perfscan.toml": text})
    result = check(".")
    assert result.exit_code == 2
    assert message in result.output
    assert "backend/perfscan.toml" in result.output


def test_pyproject_keys_are_named_with_their_table(monorepo):
    write_tree(monorepo, {"pyproject.toml": '[tool.perfscan.severity]\nPF9 = "off"\n'})
    result = check(".")
    assert result.exit_code == 2 and "pyproject.toml: [tool.perfscan] severity: unknown key 'PF9'" in result.output
