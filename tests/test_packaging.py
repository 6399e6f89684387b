"""The wheel installs one import package, `perfscan`, and nothing else into site-packages."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # Offline and quick: the test environment already has setuptools (the `test` extra).
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
        cwd=out,
    )
    (built,) = out.glob("perfscan-*.whl")
    return built


SOURCE_ROOTS = {"analyzer": "perfscan", "rules": "perfscan.rules", "grammars": "perfscan.grammars"}


def test_wheel_holds_every_source_module(wheel):
    """Every .py file of the source folders is in the wheel under its installed name: the package
    list in pyproject.toml is explicit, and an editable install hides a sub-package missing from it."""
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = set()
    for folder, package in SOURCE_ROOTS.items():
        for path in (REPO / folder).rglob("*.py"):
            if "__pycache__" not in path.parts:
                relative = path.relative_to(REPO / folder).as_posix()
                expected.add(f"{package.replace('.', '/')}/{relative}")
    missing = sorted(expected - names)
    assert not missing, f"not in the wheel (add the package to [tool.setuptools] packages): {missing}"


def test_wheel_holds_only_the_perfscan_package(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names}
    (dist_info,) = top_level - {"perfscan"}
    assert dist_info.startswith("perfscan-") and dist_info.endswith(".dist-info")
    # The rules and the grammar queries ship inside the package.
    assert "perfscan/rules/python/pf201_blocking_call_in_async.py" in names
    assert "perfscan/rules/tsx/pf103_unstable_prop_to_memo.py" in names
    assert any(n.startswith("perfscan/grammars/queries/python/") and n.endswith(".scm") for n in names)
    assert "perfscan/__main__.py" in names
    assert f"{dist_info}/licenses/LICENSE" in names
    metadata = zipfile.ZipFile(wheel).read(f"{dist_info}/METADATA").decode()
    assert "License-Expression: MIT" in metadata
    entry_points = zipfile.ZipFile(wheel).read(f"{dist_info}/entry_points.txt").decode()
    assert "perfscan = perfscan.cli:main" in entry_points


def test_install_beside_packages_named_rules_and_analyzer_leaves_them_untouched(wheel, tmp_path):
    target = tmp_path / "site"
    for name in ("rules", "analyzer", "grammars"):
        (target / name).mkdir(parents=True)
        (target / name / "__init__.py").write_text(f"OWNER = 'another distribution: {name}'\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--target", str(target),
         str(wheel)],
        check=True,
        capture_output=True,
    )
    for name in ("rules", "analyzer", "grammars"):
        assert (target / name / "__init__.py").read_text() == f"OWNER = 'another distribution: {name}'\n"
        assert sorted(p.name for p in (target / name).iterdir()) == ["__init__.py"]
    env = dict(os.environ, PYTHONPATH=str(target))
    version = subprocess.run(
        [sys.executable, "-m", "perfscan", "--version"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("perfscan ")
    # The installed copy (not the checkout) answered, and its rules load from inside the package.
    probe = subprocess.run(
        [sys.executable, "-c", "import perfscan, perfscan.rules as r; print(perfscan.__file__); print(len(r.all_rules()))"],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )
    assert probe.returncode == 0, probe.stderr
    location, count = probe.stdout.split()
    assert Path(location).is_relative_to(target)
    assert int(count) >= 10
