"""Start-up: a run imports only what it uses (issue 16). libcst is for fixes, sarif_om for SARIF
output, pygls for `perfscan server`; `perfscan --version` needs click alone.

The imports are read from `python -X importtime`, which also prints those of forked worker
processes: a rule or stage that imports a heavy module in a worker is caught too.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import write_tree

_IMPORT_LINE = re.compile(r"^import time:\s+\d+ \|\s+\d+ \| *(\S+)$")

BLOCKING_PY = "import time\n\n\nasync def handler():\n    time.sleep(1)\n"
SMALL_PY = "def total(values):\n    return sum(values)\n"
SMALL_TSX = "export function Label({ text }: { text: string }) {\n  return <span>{text}</span>;\n}\n"

HEAVY_UNUSED = ("libcst", "sarif_om", "pygls")


def imported_modules(cwd, *args) -> tuple[set[str], subprocess.CompletedProcess]:
    """Modules the perfscan command `args` imports, in every process it runs."""
    env = {name: value for name, value in os.environ.items() if name != "PERFSCAN_STATS"}
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "perfscan", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)
    modules = {m.group(1) for m in map(_IMPORT_LINE.match, done.stderr.splitlines()) if m}
    assert modules, done.stderr  # the reader sees the interpreter's report
    return modules, done


def top_level(modules: set[str]) -> set[str]:
    return {name.partition(".")[0] for name in modules}


@pytest.mark.parametrize("name,text", [("small.py", SMALL_PY), ("small.tsx", SMALL_TSX)], ids=["py", "tsx"])
def test_a_check_with_text_output_imports_no_fix_sarif_or_server_library(tmp_path, name, text):
    write_tree(tmp_path, {name: text})
    modules, done = imported_modules(tmp_path, "check", name, "--no-cache")
    assert done.returncode == 0, done.stdout + done.stderr
    assert top_level(modules) & set(HEAVY_UNUSED) == set()
    # Nor the measure stage (only with --profile) or the fix machinery's difflib.
    assert {"perfscan.profiles.measure", "difflib"} & modules == set()


def test_fixes_and_sarif_import_what_they_need(tmp_path):
    """The other side: the reader above would see these modules (the test cannot pass by
    reading nothing)."""
    write_tree(tmp_path, {"app.py": BLOCKING_PY})
    modules, done = imported_modules(tmp_path, "check", "app.py", "--no-cache", "--format", "sarif")
    assert done.returncode == 1 and '"ruleId": "PF201"' in done.stdout
    assert "sarif_om" in top_level(modules) and "pygls" not in top_level(modules)
    modules, done = imported_modules(tmp_path, "check", "app.py", "--no-cache", "--diff")
    assert done.returncode == 1 and "+import asyncio" in done.stdout
    # PF201's fix adds `import asyncio` with libcst (rules/python/pf201_blocking_call_in_async.py).
    assert {"libcst", "difflib"} <= top_level(modules)


def test_version_imports_only_the_command_line(tmp_path):
    modules, done = imported_modules(tmp_path, "--version")
    assert done.returncode == 0 and done.stdout.startswith("perfscan ")
    assert {m for m in modules if m.split(".")[0] == "perfscan"} <= {"perfscan", "perfscan.cli", "perfscan.__main__"}
    assert "click" in modules
