"""perfscan runs to the end on real code that nobody here wrote.

The test environment's own site-packages is tens of MB of Python from many authors (pip with
its vendored libraries, setuptools, pytest, libcst, jsonschema...), present wherever the tests
run. `.ci/run` also installs a few npm packages that ship TypeScript, TSX and modern JavaScript
and names the folder in PERFSCAN_SWEEP_NODE_MODULES. Both are checked with a low per-file
watchdog: any file that times out, any internal error and any traceback fails the test, whatever
the findings are.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

# Low enough that a pathological file shows up here, high enough for a loaded 2-core CI machine
# (the slowest real file takes well under a second).
SWEEP_FILE_TIMEOUT_S = 10
FAILURE_KINDS = {"timeout", "crashed", "internal-error"}


def sweep(directory: str, tmp_path: Path) -> dict:
    output = tmp_path / "sweep.json"
    run = subprocess.run(
        [sys.executable, "-m", "perfscan", "check", directory, "--format", "json", "-o", str(output),
         "--no-cache", "--exit-zero", "--jobs", "2", "--file-timeout", str(SWEEP_FILE_TIMEOUT_S)],
        capture_output=True, text=True, timeout=600,
    )
    assert "Traceback" not in run.stderr, run.stderr[-4000:]
    assert run.returncode == 0, run.stderr[-4000:]
    report = json.loads(output.read_text(encoding="utf-8"))
    failures = [n for n in report["notifications"] if n.get("kind") in FAILURE_KINDS]
    assert failures == [], failures[:10]
    return report


@pytest.mark.sweep
def test_sweep_site_packages(tmp_path):
    site_packages = sysconfig.get_paths()["purelib"]
    report = sweep(site_packages, tmp_path)
    # It really looked: pip alone brings hundreds of Python files.
    assert report["files_checked"] >= 500


@pytest.mark.sweep
def test_sweep_node_modules(tmp_path):
    directory = os.environ.get("PERFSCAN_SWEEP_NODE_MODULES")
    if not directory:
        pytest.skip("PERFSCAN_SWEEP_NODE_MODULES is not set (.ci/run sets it after installing the npm corpus)")
    report = sweep(directory, tmp_path)
    checked_tsx = report["files_checked"]
    assert checked_tsx >= 300
