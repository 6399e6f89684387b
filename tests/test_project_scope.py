"""Which files make the project index when only some files of a project are named."""

from __future__ import annotations

import os

from perfscan.stages import project_scope
from tests.conftest import write_tree


def test_the_scope_is_the_git_top_level_or_the_highest_project_folder(project):
    write_tree(project, {
        "repo/.git/HEAD": "ref: refs/heads/main\n", "repo/app/a.py": "", "repo/web/package.json": "{}",
        "mono/package.json": "{}", "mono/apps/web/package.json": "{}", "mono/apps/web/src/a.ts": "",
        "loose/src/a.py": "",
    })
    root = str(project)
    assert project_scope(["repo/app/a.py"], root) == str(project / "repo")
    assert project_scope(["repo"], root) is None  # the whole project named
    assert project_scope(["mono/apps/web/src/a.ts"], root) == str(project / "mono")
    # The working directory is no project (a folder of checkouts, a home directory): not walked.
    assert project_scope(["loose/src/a.py"], root) is None
    # Inside a repository larger than the root: the root.
    os.chdir(project / "repo" / "app")
    assert project_scope(["a.py"], str(project / "repo" / "app")) == str(project / "repo" / "app")
