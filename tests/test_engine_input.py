"""Bad input never crashes the run nor loses other files' findings; discovery and config behave."""

from __future__ import annotations

import os
import sys

import pytest

from perfscan.config import Config, ConfigError, load_config
from perfscan.discovery import discover
from perfscan.engine import check_text
from tests.conftest import write_tree
from tests.helpers_rules import CallNamedSlow

RULES = [CallNamedSlow()]


def _check(paths, config=None):
    from perfscan import engine

    discovery_config = config or Config()
    original = engine.select_rules
    engine.select_rules = lambda cfg, rules=None: original(cfg, RULES)
    try:
        return engine.run(paths, discovery_config)
    finally:
        engine.select_rules = original


def kinds(result):
    return {(n.path, n.kind) for n in result.notifications}


def test_bad_files_are_reported_and_good_files_still_checked(project):
    write_tree(
        project,
        {
            "good.py": "slow()\n",
            "latin1.py": "x = 'caf\xe9'\n".encode("latin-1"),
            "binary.py": b"\x00\x01\x02slow()",
            "empty.py": "",
            "broken.py": "def f(:\n    pass\nslow()\n",
            "huge.py": "slow()\n" + "x = 1\n" * 200_000,
            "app.min.js": "slow();\n",
            "bundle.js": "var a=1;" * 1000 + "\n",
        },
    )
    result = _check(["."])
    found = sorted((f.span.path, f.span.line) for f in result.findings)
    # good.py and the recoverable part of broken.py are still checked.
    assert ("good.py", 1) in found
    assert ("broken.py", 3) in found
    assert ("huge.py", 1) not in found
    assert kinds(result) >= {
        ("latin1.py", "decode"),
        ("binary.py", "binary"),
        ("broken.py", "partial-parse"),
        ("huge.py", "too-large"),
        ("app.min.js", "minified"),
        ("bundle.js", "minified"),
    }
    decode = next(n for n in result.notifications if n.kind == "decode")
    assert "UTF-8" in decode.message and decode.line == 1
    partial = next(n for n in result.notifications if n.kind == "partial-parse")
    assert partial.line == 1


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(project):
    write_tree(project, {"secret.py": "slow()\n", "ok.py": "slow()\n"})
    (project / "secret.py").chmod(0)
    result = _check(["."])
    assert ("secret.py", "unreadable") in kinds(result)
    assert [f.span.path for f in result.findings] == ["ok.py"]


def test_unreadable_file_as_root(project, monkeypatch):
    """Simulate a read error (root ignores permissions)."""
    write_tree(project, {"secret.py": "slow()\n", "ok.py": "slow()\n"})
    real_open = os.open

    def failing_open(path, *args, **kwargs):
        if str(path).endswith("secret.py"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", failing_open)  # sources are read with os.open (safe_read)
    result = _check(["."])
    note = next(n for n in result.notifications if n.kind == "unreadable")
    assert note.path == "secret.py" and "Permission denied" in note.message
    assert [f.span.path for f in result.findings] == ["ok.py"]


def test_missing_path_is_reported(project):
    write_tree(project, {"ok.py": "slow()\n"})
    result = _check(["ok.py", "nope/"])
    assert result.missing_paths == ["nope/"]
    assert [f.span.path for f in result.findings] == ["ok.py"]


def test_gitignore_and_default_excludes(project):
    write_tree(
        project,
        {
            ".git/HEAD": "ref: refs/heads/main\n",
            ".gitignore": "generated/\n*.gen.py\n!keep.gen.py\n",
            "src/app.py": "slow()\n",
            "src/out.gen.py": "slow()\n",
            "src/keep.gen.py": "slow()\n",
            "generated/x.py": "slow()\n",
            "node_modules/lib/index.js": "slow();\n",
            "frontend/.gitignore": "/legacy\n",
            "frontend/legacy/old.js": "slow();\n",
            "frontend/src/a.tsx": "slow();\n",
            "frontend/src/types.d.ts": "declare function slow(): void;\n",
            "env/pyvenv.cfg": "home = /usr\n",
            "env/lib/x.py": "slow()\n",
            "dist/bundle.py": "slow()\n",
        },
    )
    paths = [f.rel_path for f in discover(["."], Config()).files]
    assert paths == ["frontend/src/a.tsx", "src/app.py", "src/keep.gen.py"]
    # --no-gitignore brings the ignored files back, not the default excludes.
    paths = [f.rel_path for f in discover(["."], Config(respect_gitignore=False)).files]
    assert "generated/x.py" in paths and "frontend/legacy/old.js" in paths
    assert not any(p.startswith(("node_modules", "env/", "dist/")) for p in paths)
    # Configured excludes.
    paths = [f.rel_path for f in discover(["."], Config(exclude=("frontend/",))).files]
    assert paths == ["src/app.py", "src/keep.gen.py"]


def test_explicit_file_is_checked_even_if_ignored(project):
    write_tree(project, {".gitignore": "scratch.py\n", "scratch.py": "slow()\n"})
    assert [f.rel_path for f in discover(["scratch.py"], Config()).files] == ["scratch.py"]


def test_languages_by_extension(project):
    write_tree(project, {"a.ts": "", "b.tsx": "", "c.js": "", "d.mjs": "", "e.cjs": "", "f.jsx": "", "g.py": "", "h.txt": ""})
    found = {f.rel_path: f.language for f in discover(["."], Config()).files}
    assert found == {"a.ts": "typescript", "b.tsx": "tsx", "c.js": "tsx", "d.mjs": "tsx", "e.cjs": "tsx", "f.jsx": "tsx", "g.py": "python"}


def test_config_errors_name_the_problem(tmp_path):
    bad_key = write_tree(tmp_path / "a", {"pyproject.toml": "[tool.perfscan]\nselct = ['PF1']\n"}) / "pyproject.toml"
    with pytest.raises(ConfigError, match="unknown key 'selct'"):
        load_config(str(bad_key))
    bad_value = write_tree(tmp_path / "b", {"pyproject.toml": "[tool.perfscan]\nselect = 'PF1'\n"}) / "pyproject.toml"
    with pytest.raises(ConfigError, match="select must be a list"):
        load_config(str(bad_value))
    bad_toml = write_tree(tmp_path / "c", {"pyproject.toml": "[tool.perfscan\n"}) / "pyproject.toml"
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(str(bad_toml))
    good = write_tree(
        tmp_path / "d", {"pyproject.toml": "[tool.perfscan]\nselect = ['PF2']\nignore = ['PF201']\nexclude = ['migrations/']\nmax-file-size = 10\n"}
    ) / "pyproject.toml"
    config = load_config(str(good))
    assert (config.select, config.ignore, config.exclude, config.max_file_size) == (("PF2",), ("PF201",), ("migrations/",), 10)


def test_suppression_comments():
    files = {
        "a.py": "slow()  # perfscan: ignore[PF999]\nslow()  # perfscan: ignore[PF101]\nslow()  # perfscan: ignore\n",
        "b.tsx": (
            "slow(); // perfscan: ignore[PF999]\n"
            "// perfscan-ignore-next-line PF999\n"
            "slow();\n"
            "const x = <div>\n"
            "  {/* perfscan-ignore-next-line */}\n"
            "  {slow()}\n"
            "</div>;\n"
            "slow();\n"
        ),
    }
    result = check_text(files, rules=RULES)
    active = sorted((f.span.path, f.span.line) for f in result.active)
    assert active == [("a.py", 2), ("b.tsx", 8)]
    suppressed = {(f.span.path, f.span.line): f.suppressed_by for f in result.findings if f.suppressed_by}
    assert suppressed[("a.py", 1)] == "# perfscan: ignore[PF999]"
    assert set(suppressed) == {("a.py", 1), ("a.py", 3), ("b.tsx", 1), ("b.tsx", 3), ("b.tsx", 6)}


def test_utf16_columns_and_bom():
    # "é" is 2 bytes in UTF-8 but 1 UTF-16 unit; "😀" is 4 bytes and 2 units.
    result = check_text({"a.py": "\ufeffx = 'é😀'; slow()\n"}, rules=RULES)
    assert [(f.span.line, f.span.col) for f in result.findings] == [(1, 12)]
