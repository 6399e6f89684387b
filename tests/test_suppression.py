"""Suppressions: PF000 unused-suppression (unknown codes, comments that silence nothing) and
`perfscan check --add-ignore` (the right comment for the language and the JSX context, never a
broken parse, idempotent)."""

from __future__ import annotations

import json
import os
import textwrap

import pytest
from click.testing import CliRunner

from perfscan.cli import cli
from tests.conftest import write_tree


def check(*args):
    return CliRunner().invoke(cli, ["check", "--no-cache", *args], catch_exceptions=False)


def reported(*args):
    """(code, line, message) of each active finding."""
    result = check("--format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    return [(f["code"], f["line"], f["message"]) for f in json.loads(result.stdout)["findings"] if not f["suppressed"]]


STALE = """
import time


async def handler():
    time.sleep(1)  # perfscan: ignore[PF201, PF2O1, PF301]
    return 1  # perfscan: ignore
    # perfscan-ignore-next-line PF201 -- the sleep was removed
    return 2
"""


def test_unused_and_unknown_codes_are_reported_on_request(project):
    write_tree(project, {"app.py": STALE})
    assert reported(".") == []  # off by default
    assert reported(".", "--report-unused-ignores") == [
        ("PF000", 5, "Unknown rule code PF2O1 in a suppression (see `perfscan rules`)"),
        ("PF000", 5, "Unused suppression: no PF301 finding on line 5 to silence"),
        ("PF000", 6, "Unused suppression: no finding on line 6 to silence"),
        ("PF000", 7, "Unused suppression: no PF201 finding on line 8 to silence"),
    ]
    # A code whose rule did not run is left alone; so is a comment without codes then.
    assert reported(".", "--report-unused-ignores", "--select", "PF3") == [
        ("PF000", 5, "Unknown rule code PF2O1 in a suppression (see `perfscan rules`)"),
        ("PF000", 5, "Unused suppression: no PF301 finding on line 5 to silence"),
    ]


def test_pf000_is_turned_on_by_configuration_and_can_be_silenced(project):
    write_tree(project, {"app.py": "x = 1  # perfscan: ignore[PF2O1]\ny = 2  # perfscan: ignore[PF9X9, PF000]\n"})
    assert reported(".") == []
    write_tree(project, {"perfscan.toml": "select = ['ALL']\n"})  # selecting everything does not
    assert reported(".") == []
    write_tree(project, {"perfscan.toml": "report-unused-ignores = true\n"})
    assert reported(".") == [("PF000", 1, "Unknown rule code PF2O1 in a suppression (see `perfscan rules`)")]
    write_tree(project, {"perfscan.toml": "select = ['PF2', 'PF000']\n"})
    assert [code for code, *_ in reported(".")] == ["PF000"]
    write_tree(project, {"perfscan.toml": "report-unused-ignores = true\n[severity]\nPF000 = 'error'\n"})
    result = check(".", "--no-source")
    assert result.exit_code == 1
    assert "app.py:1:8: PF000 error: Unknown rule code PF2O1" in result.output


def test_pf000_is_a_documented_rule():
    listing = CliRunner().invoke(cli, ["rules", "--format", "json"])
    entry = next(r for r in json.loads(listing.output) if r["code"] == "PF000")
    assert entry["name"] == "unused-suppression" and entry["level"] == "warning"
    page = CliRunner().invoke(cli, ["explain", "unused-suppression"])
    assert page.exit_code == 0 and page.output.startswith("# PF000 unused-suppression")


# -- --add-ignore ------------------------------------------------------------------------------------

PYTHON = """
import time
import requests


async def handler(url):
    time.sleep(1)  # noqa: E501
    q = requests.get(url, data=\"\"\"
    payload\"\"\")
    return q


async def other():
    time.sleep(2)  # perfscan: ignore[PF301]
"""

PYTHON_SUPPRESSED = """
import time
import requests


async def handler(url):
    time.sleep(1)  # noqa: E501  # perfscan: ignore[PF201]
    # perfscan-ignore-next-line PF201
    q = requests.get(url, data=\"\"\"
    payload\"\"\")
    return q


async def other():
    time.sleep(2)  # perfscan: ignore[PF301, PF201]
"""

TSX = """
import { memo } from "react";

const Child = memo(function Child({ onClick }: { onClick: () => void }) {
  return <button onClick={onClick} />;
});

export function UserList({ users }) {
  const sorted = users.sort(byName);
  return (
    <div>
      <Child
        onClick={() => console.log(1)}
      />
      <Child onClick={() => console.log(2)} />
    </div>
  );
}
"""

TSX_SUPPRESSED = """
import { memo } from "react";

const Child = memo(function Child({ onClick }: { onClick: () => void }) {
  return <button onClick={onClick} />;
});

export function UserList({ users }) {
  const sorted = users.sort(byName);  // perfscan: ignore[PF101]
  return (
    <div>
      <Child
        onClick={() => console.log(1)}  // perfscan: ignore[PF103]
      />
      {/* perfscan-ignore-next-line PF103 */}
      <Child onClick={() => console.log(2)} />
    </div>
  );
}
"""


def _text(code: str) -> str:
    return textwrap.dedent(code).lstrip("\n")


def test_add_ignore_writes_the_right_comment_and_is_idempotent(project):
    write_tree(project, {"app.py": PYTHON, "List.tsx": TSX})
    assert len(reported(".")) == 6
    first = check(".", "--add-ignore")
    assert first.exit_code == 0, first.output
    assert "Added 6 suppressions to 2 files." in first.stderr
    # Line ends with a comment already (appended to it); inside a multi-line string (above);
    # an existing ignore[...] (merged: a second comment would not be read); a JSX attribute
    # (`//` is a comment there); a JSX child (`//` would be text: {/* */}).
    assert (project / "app.py").read_text() == _text(PYTHON_SUPPRESSED)
    assert (project / "List.tsx").read_text() == _text(TSX_SUPPRESSED)
    assert reported(".") == []
    second = check(".", "--add-ignore")
    assert second.exit_code == 0 and "Added 0 suppressions to 0 files." in second.stderr
    assert (project / "app.py").read_text() == _text(PYTHON_SUPPRESSED)
    assert reported(".", "--report-unused-ignores") == [
        ("PF000", 14, "Unused suppression: no PF301 finding on line 14 to silence")]


def test_add_ignore_keeps_line_endings_and_merges_next_line_comments(project):
    (project / "app.py").write_bytes(
        b"import time\r\n\r\n\r\nasync def h():\r\n    # perfscan-ignore-next-line PF301\r\n    time.sleep(1)\r\n"
    )
    assert check(".", "--add-ignore").exit_code == 0
    assert (project / "app.py").read_bytes() == (
        b"import time\r\n\r\n\r\nasync def h():\r\n    # perfscan-ignore-next-line PF301 PF201\r\n    time.sleep(1)\r\n"
    )


def test_add_ignore_refuses_what_no_comment_fits_and_files_with_syntax_errors(project):
    # The call's line ends inside a string and the line above ends in a backslash: a comment at
    # either place would change the code, so the line is left alone and said so.
    cornered = 'import requests\n\n\nasync def h(u):\n    x = "a" \\\n        + requests.get(u, data="""\n    z""")\n'
    broken = "import time\n\n\nasync def h():\n    time.sleep(1)\n    def (\n"
    write_tree(project, {"cornered.py": cornered, "broken.py": broken})
    result = check(".", "--add-ignore")
    assert result.exit_code == 1
    assert "cornered.py: line 6: no suppression comment fits there without changing the code; add one by hand for PF201" in result.stderr
    assert "broken.py: the file has syntax errors; no suppression written" in result.stderr
    assert (project / "cornered.py").read_text() == cornered
    assert (project / "broken.py").read_text() == broken
