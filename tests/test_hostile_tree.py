"""Odd or hostile trees (from a fuzzing pass): each case is skipped with one notification naming the
file and the reason, the run goes on, every other file's findings come out, and the exit status
comes from the findings alone."""

from __future__ import annotations

import json
import os
import signal
import sys

import pytest
from click.testing import CliRunner

from perfscan import engine
from perfscan.cli import cli
from perfscan.config import Config, find_pyproject, load_config
from perfscan.discovery import discover
from perfscan.safe_read import UnreadableFile, read_bounded
from tests.conftest import write_tree

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs, devices and byte file names are POSIX")

# A PF201 finding (a blocking call in an async function): what must still come out.
BLOCKING = "import time\n\n\nasync def handler():\n    time.sleep(1)\n"


class RunBlocked(BaseException):
    """Not an OSError (TimeoutError is one, and the code under test catches those)."""


@pytest.fixture
def hang_guard():
    """A run that blocks on a FIFO fails the test instead of hanging the suite."""

    def expired(signum, frame):
        raise RunBlocked("the run blocked")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(30)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def invoke(*args):
    return CliRunner().invoke(cli, ["check", "--no-cache", *args], catch_exceptions=False)


def notes_by_path(notifications) -> dict:
    found: dict = {}
    for note in notifications:
        found.setdefault(note["path"] if isinstance(note, dict) else note.path, []).append(
            note["kind"] if isinstance(note, dict) else note.kind
        )
    return found


def finding_paths(result) -> list:
    return sorted({f.span.path for f in result.findings})


def make_fifo(path) -> None:
    os.mkfifo(path)


# -- 1. a file name that is not UTF-8 ----------------------------------------------------------------


def _byte_named(project, name: bytes, content: bytes) -> None:
    try:
        fd = os.open(os.path.join(os.fsencode(str(project)), name), os.O_CREAT | os.O_WRONLY, 0o644)
    except OSError:
        pytest.skip("the file system refuses names that are not UTF-8")
    os.write(fd, content)
    os.close(fd)


def test_file_name_not_utf8_is_skipped_and_every_output_stays_valid(project):
    write_tree(project, {"good.py": BLOCKING})
    _byte_named(project, b"bad\xff.py", BLOCKING.encode())
    os.mkdir(os.path.join(os.fsencode(str(project)), b"dir\xfe"))
    _byte_named(project, b"dir\xfe/inner.py", BLOCKING.encode())

    text = invoke(".", "--format", "text")
    assert text.exit_code == 1, text.output
    assert [line.split(" ")[0] for line in text.stdout.splitlines() if "PF201" in line][0] == "good.py:5:5:"
    assert "perfscan: warning: bad\\xff.py: skipped: the file name is not valid UTF-8" in text.stderr
    assert "perfscan: warning: dir\\xfe: skipped directory: its name is not valid UTF-8" in text.stderr

    as_json = invoke(".", "--format", "json")
    assert as_json.exit_code == 1
    document = json.loads(as_json.stdout_bytes.decode("utf-8"))  # strict UTF-8: no lone surrogates
    assert [f["path"] for f in document["findings"]] == ["good.py"]
    assert notes_by_path(document["notifications"]) == {"bad\\xff.py": ["undecodable-name"], "dir\\xfe": ["undecodable-name"]}

    sarif = invoke(".", "--format", "sarif")
    assert sarif.exit_code == 1
    log = json.loads(sarif.stdout_bytes.decode("utf-8"))
    [run] = log["runs"]
    assert [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]] == ["good.py"]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    uris = sorted(n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in notes)
    assert uris == ["bad%5Cxff.py", "dir%5Cxfe"]  # the readable name, percent-encoded


# -- 2. FIFOs where sources and project files are expected -----------------------------------------------


def test_fifos_are_never_opened_for_reading(project, hang_guard, tmp_path_factory):
    write_tree(project, {"good.py": BLOCKING, "src/App.tsx": "export function App() { return <div />; }\n"})
    for name in ("fifo.py", "src/fifo.tsx", ".gitignore", "src/.gitignore", "package.json", "tsconfig.json",
                 "src/package.json", "pyproject.toml"):
        make_fifo(project / name)
    config = load_config(find_pyproject("."))
    cache_dir = str(tmp_path_factory.mktemp("cache"))
    result = engine.run(["."], config, cache_dir=cache_dir)  # the cache digests project files too
    assert finding_paths(result) == ["good.py"]
    kinds = notes_by_path(result.notifications)
    assert kinds["fifo.py"] == kinds["src/fifo.tsx"] == ["special-file"]
    assert kinds[".gitignore"] == kinds["src/.gitignore"] == ["config-file"]
    assert [n.message for n in result.notifications if n.path is None] == [
        f"{project / 'pyproject.toml'}: not read, default settings used: it is a named pipe (FIFO), not a regular file"
    ]
    fifo = next(n for n in result.notifications if n.path == "fifo.py")
    assert fifo.message == "skipped: it is a named pipe (FIFO), not a regular file"

    cli_run = CliRunner().invoke(cli, ["check", "--format", "json", "."], catch_exceptions=False)
    assert cli_run.exit_code == 1  # findings only: the notifications do not change it
    assert [f["path"] for f in json.loads(cli_run.stdout)["findings"]] == ["good.py"]


def test_a_fifo_named_on_the_command_line_is_skipped(project, hang_guard):
    write_tree(project, {"good.py": BLOCKING})
    make_fifo(project / "pipe.py")
    result = invoke("pipe.py", "good.py", "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert [f["path"] for f in document["findings"]] == ["good.py"]
    assert notes_by_path(document["notifications"]) == {"pipe.py": ["special-file"]}


# -- 3. a link to /dev/zero ----------------------------------------------------------------------------


@pytest.fixture
def memory_guard():
    """A run that reads /dev/zero whole raises MemoryError here instead of taking the machine's memory."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as handle:
        now = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    resource.setrlimit(resource.RLIMIT_AS, (now + (1 << 30), hard))
    yield
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.mark.skipif(not os.path.exists("/dev/zero") or not os.path.exists("/proc/self/statm"), reason="Linux")
def test_link_to_dev_zero_is_skipped_and_reading_is_bounded(project, hang_guard, memory_guard):
    write_tree(project, {"good.py": BLOCKING})
    os.symlink("/dev/zero", project / "z.py")
    result = engine.run(["."], Config())
    assert finding_paths(result) == ["good.py"]
    assert notes_by_path(result.notifications) == {"z.py": ["link-outside"]}
    # Named on the command line it is followed, and still not read: not a regular file.
    result = engine.run(["z.py", "good.py"], Config())
    assert finding_paths(result) == ["good.py"]
    [note] = result.notifications
    assert (note.path, note.kind, note.message) == ("z.py", "special-file", "skipped: it is a character device, not a regular file")
    with pytest.raises(UnreadableFile) as refused:
        read_bounded("/dev/zero", 100)
    assert refused.value.kind == "not-regular"


def test_read_bounded_reads_at_most_the_cap(tmp_path):
    (tmp_path / "small").write_bytes(b"x" * 100)
    assert read_bounded(str(tmp_path / "small"), 100) == b"x" * 100
    with pytest.raises(UnreadableFile) as refused:
        read_bounded(str(tmp_path / "small"), 99)
    assert refused.value.kind == "too-large"
    with pytest.raises(UnreadableFile) as refused:
        read_bounded(str(tmp_path / "absent"), 99)
    assert refused.value.missing


# -- 4. link loops and links out of the project -------------------------------------------------------


def test_link_loops_and_links_out_of_the_project_are_not_walked(project, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    write_tree(outside, {"secret.py": BLOCKING, "lib/other.py": BLOCKING})
    write_tree(project, {"good.py": BLOCKING, "sub/inner.py": BLOCKING, "shared/util.py": "x = 1\n"})
    os.symlink("..", project / "sub" / "up")  # a loop if followed
    os.symlink(str(outside), project / "sub" / "out")
    os.symlink(str(outside / "secret.py"), project / "secret.py")
    os.symlink("loop.py", project / "loop.py")
    os.symlink("../shared", project / "sub" / "shared")  # inside: checked where it is, no note
    result = engine.run(["."], Config())
    assert finding_paths(result) == ["good.py", "sub/inner.py"]
    assert notes_by_path(result.notifications) == {
        "sub/up": ["link-loop"],
        "sub/out": ["link-outside"],
        "secret.py": ["link-outside"],
        "loop.py": ["unreadable"],
    }
    assert next(n.message for n in result.notifications if n.path == "loop.py") == "cannot read file: symbolic link loop"
    assert sorted(f.rel_path for f in discover(["."], Config()).files) == ["good.py", "shared/util.py", "sub/inner.py"]


# -- 6. pyproject.toml only from the repository -------------------------------------------------------


def test_pyproject_above_the_repository_is_not_read(tmp_path, monkeypatch):
    write_tree(tmp_path, {"pyproject.toml": '[tool.perfscan]\nexclude = ["**"]\n'})
    project = write_tree(tmp_path / "project", {"good.py": BLOCKING})
    monkeypatch.chdir(project)
    # Not in a repository: only the scanned directory itself.
    assert find_pyproject(".") is None
    result = invoke(".", "--format", "json")
    assert result.exit_code == 1 and len(json.loads(result.stdout)["findings"]) == 1
    # In a repository: up to its top, which may hold .git as a file (worktrees, submodules).
    (tmp_path / "project" / ".git").write_text("gitdir: /elsewhere\n")
    write_tree(project, {"pkg/mod.py": "x = 1\n"})
    assert find_pyproject("pkg") is None
    write_tree(project, {"pyproject.toml": "[tool.perfscan]\nselect = ['PF2']\n"})
    assert find_pyproject("pkg") == str(project / "pyproject.toml")
    os.remove(project / ".git")
    os.mkdir(tmp_path / ".git")
    os.remove(project / "pyproject.toml")
    assert find_pyproject("pkg") == str(tmp_path / "pyproject.toml")  # the repository's own file


# -- 5. tsconfig `extends` and other project files the React index reads -----------------------------------


def test_tsconfig_extends_stops_at_the_project_root_and_reads_are_capped(tmp_path, hang_guard):
    from perfscan.project import ProjectIndex
    from perfscan.react_index import ReactIndex
    from perfscan.safe_read import MAX_CONFIG_FILE_SIZE

    outside = write_tree(tmp_path / "outside", {"base.json": json.dumps({"compilerOptions": {"baseUrl": ".", "paths": {"@out/*": ["*"]}}})})
    project = write_tree(tmp_path / "project", {
        "tsconfig.json": json.dumps({"extends": "./config/base.json"}),
        "config/base.json": json.dumps({"compilerOptions": {"baseUrl": "..", "paths": {"@/*": ["src/*"]}}}),
        "apps/up/tsconfig.json": json.dumps({"extends": "../../../outside/base.json"}),
        "apps/huge/tsconfig.json": json.dumps({"extends": "./big.json"}),
        "apps/huge/big.json": "{" + " " * MAX_CONFIG_FILE_SIZE + "}",
        "apps/pipe/tsconfig.json": json.dumps({"extends": "./pipe.json"}),
        "apps/link/tsconfig.json": json.dumps({"extends": "./linked.json"}),
    })
    os.mkfifo(project / "apps" / "pipe" / "pipe.json")
    os.mkfifo(project / "package.json")  # read for React Compiler detection
    os.symlink(outside / "base.json", project / "apps" / "link" / "linked.json")
    react = ReactIndex(ProjectIndex.build(str(project), {}))
    assert react.config_for_dir("src").paths == (("@/*", ("src/*",)),)  # inside: followed
    for app in ("up", "huge", "pipe", "link"):
        assert react.config_for_dir(f"apps/{app}").paths == ()
    assert {n.path: n.message for n in react.project_notes()} == {
        "../outside/base.json": "project configuration not read: tsconfig `extends` outside the project root, not followed",
        "apps/huge/big.json": f"project configuration not read: {MAX_CONFIG_FILE_SIZE + 2:,} bytes is over the size cap of {MAX_CONFIG_FILE_SIZE:,}",
        "apps/pipe/pipe.json": "project configuration not read: it is a named pipe (FIFO), not a regular file",
        "apps/link/linked.json": "project configuration not read: a link to outside the project root, not followed",
        "package.json": "project configuration not read: it is a named pipe (FIFO), not a regular file",
    }
    assert react.project_inputs() == ["apps/huge/tsconfig.json", "apps/link/tsconfig.json", "apps/pipe/tsconfig.json",
                                      "apps/up/tsconfig.json", "config/base.json", "tsconfig.json"]


# -- 7. the cache ------------------------------------------------------------------------------------------

CACHED_TREE = {"a.py": BLOCKING, "b.py": BLOCKING, "c.py": "x = 1\n"}


@pytest.fixture
def user_cache(tmp_path_factory, monkeypatch):
    """This test's own per-user directory for the cache key."""
    home = tmp_path_factory.mktemp("user-cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


def json_report(*args) -> tuple:
    """The exit status and the JSON output of a run over the current directory."""
    result = CliRunner().invoke(cli, ["check", "--format", "json", ".", *args], catch_exceptions=False)
    return result.exit_code, result.stdout


def cache_file(cache_dir) -> str:
    [name] = [n for n in os.listdir(cache_dir) if n.startswith("files-")]
    return os.path.join(cache_dir, name)


def rewrite(path, change, key) -> None:
    """Apply `change(data)` to a cache file's payload and sign it with `key` (None: the plain
    blake2b checksum of the old format, which anyone can compute)."""
    import hashlib
    import io
    import pickle

    from perfscan import cache as cache_module

    blob = open(path, "rb").read()
    data = cache_module._PlainUnpickler(io.BytesIO(blob[len(cache_module.MAGIC) + 32:])).load()
    change(data)
    payload = pickle.dumps(data, protocol=5)
    mac = hashlib.blake2b(payload, digest_size=32, **({"key": key} if key else {})).digest()
    open(path, "wb").write(cache_module.MAGIC + mac + payload)


def without_findings(data) -> None:
    for rel, plain in data["entries"].items():
        data["entries"][rel] = plain[:7] + ([],) + plain[8:]  # what a forger wants: nothing to report


def test_a_cache_not_signed_with_this_users_key_is_never_trusted(project, user_cache, tmp_path):
    from perfscan.cache import secret_key

    write_tree(project, CACHED_TREE)
    cache_dir = str(tmp_path / "cache")
    expected = json_report("--no-cache")
    assert json_report("--cache-dir", cache_dir) == expected
    key_path = user_cache / "perfscan" / "key"
    assert oct(key_path.stat().st_mode & 0o777) == "0o600" and len(key_path.read_bytes()) == 32
    # A forged cache with a valid (unkeyed) checksum, as the old format allowed.
    rewrite(cache_file(cache_dir), without_findings, key=None)
    assert json_report("--cache-dir", cache_dir) == expected
    # The same forgery signed with another key (another user, another machine, a committed cache).
    rewrite(cache_file(cache_dir), without_findings, key=b"k" * 32)
    assert json_report("--cache-dir", cache_dir) == expected
    # Control: signed with this user's key, the cache is trusted (what the MAC is for).
    rewrite(cache_file(cache_dir), without_findings, key=secret_key(cache_dir))
    status, output = json_report("--cache-dir", cache_dir)
    assert status == 0 and json.loads(output)["findings"] == []


def test_key_in_the_cache_directory_only_when_safe(project, user_cache, tmp_path):
    write_tree(project, CACHED_TREE)
    (user_cache / "perfscan").write_text("not a directory")  # no key can be kept there
    cache_dir = tmp_path / "cache"
    expected = json_report("--no-cache")
    assert json_report("--cache-dir", str(cache_dir)) == expected
    key = cache_dir / "key"
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert engine.run(["."], Config(), cache_dir=str(cache_dir)).stats["summaries_cached"] == 3
    # A key as a checkout makes it (0644: committed into the repository) is refused: no cache at all.
    key.chmod(0o644)
    result = engine.run(["."], Config(), cache_dir=str(cache_dir))
    assert result.stats["summaries_cached"] == 0 and result.files_checked == 3
    assert json_report("--cache-dir", str(cache_dir)) == expected


def test_a_malformed_entry_is_a_miss(project, user_cache, tmp_path):
    from perfscan.cache import secret_key

    write_tree(project, CACHED_TREE)
    cache_dir = str(tmp_path / "cache")
    expected = json_report("--no-cache")
    json_report("--cache-dir", cache_dir)

    def malform(data):
        plain = data["entries"]["a.py"]
        data["entries"]["a.py"] = plain[:7] + ([("PF201", "x")],) + plain[8:]  # a finding of the wrong shape
        plain = data["entries"]["c.py"]
        data["entries"]["c.py"] = plain[:5] + ([("warning", 3)],) + plain[6:]  # a notification of the wrong shape

    rewrite(cache_file(cache_dir), malform, key=secret_key(cache_dir))
    result = engine.run(["."], Config(), cache_dir=cache_dir)
    assert result.stats["summaries_cached"] == 1  # b.py; a.py and c.py checked again
    assert json_report("--cache-dir", cache_dir) == expected


def test_temporary_files_of_a_killed_save_are_removed_by_the_next_run(project, user_cache, tmp_path):
    import subprocess
    import time

    write_tree(project, CACHED_TREE)
    cache_dir = tmp_path / "cache"
    killed_during_save = (
        "import os, sys\n"
        "from perfscan import engine\n"
        "from perfscan.config import Config\n"
        "os.replace = lambda *args: os.kill(os.getpid(), 9)\n"
        f"engine.run(['.'], Config(), cache_dir={str(cache_dir)!r})\n"
    )
    child = subprocess.run([sys.executable, "-c", killed_during_save], cwd=project, timeout=120)
    assert child.returncode == -signal.SIGKILL
    [left] = [n for n in os.listdir(cache_dir) if n.startswith(".tmp-")]
    young_of_a_live_run = cache_dir / f".tmp-{os.getpid()}-saving"
    young_of_a_live_run.write_bytes(b"")
    old_of_a_live_run = cache_dir / f".tmp-{os.getpid()}-old"
    old_of_a_live_run.write_bytes(b"")
    an_hour_ago = time.time() - 3700
    os.utime(old_of_a_live_run, (an_hour_ago, an_hour_ago))
    expected = json_report("--no-cache")
    assert json_report("--cache-dir", str(cache_dir)) == expected
    assert sorted(n for n in os.listdir(cache_dir) if n.startswith(".tmp-")) == [young_of_a_live_run.name]
    assert left != young_of_a_live_run.name


def test_cache_writes_never_follow_links(project, user_cache, tmp_path, hang_guard, memory_guard):
    write_tree(project, CACHED_TREE)
    target = tmp_path / "outside"
    target.mkdir()
    cache_dir = project / ".perfscan_cache"
    cache_dir.mkdir()
    os.symlink(target / "written.txt", cache_dir / ".gitignore")  # dangling
    expected = json_report("--no-cache")
    assert json_report() == expected
    assert os.listdir(target) == [] and os.path.islink(cache_dir / ".gitignore")
    assert engine.run(["."], Config(), cache_dir=str(cache_dir)).stats["summaries_cached"] == 3  # the cache works
    # The cache file itself a link to /dev/zero: not read.
    path = cache_file(cache_dir)
    os.remove(path)
    os.symlink("/dev/zero", path)
    assert json_report() == expected
    # The cache directory in the tree a link out of it: neither read nor written.
    os.remove(path)
    os.remove(cache_dir / ".gitignore")
    os.rmdir(cache_dir)
    os.symlink(target, cache_dir)
    assert json_report() == expected
    assert os.listdir(target) == []


def test_shared_read_only_and_corrupt_caches_give_the_results_of_no_cache(project, user_cache, tmp_path, monkeypatch):
    import subprocess

    from perfscan import cache as cache_module

    write_tree(project, {**CACHED_TREE, "d.py": BLOCKING, "e.py": BLOCKING})
    expected = json_report("--no-cache")
    cache_dir = str(tmp_path / "cache")
    command = [sys.executable, "-m", "perfscan", "check", "--format", "json", "--cache-dir", cache_dir, "."]
    # Two runs at once on one cache, then a run that reads what they left.
    runs = [subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) for _ in range(2)]
    assert [(run.wait(timeout=120), run.stdout.read().decode()) for run in runs] == [expected, expected]
    assert json_report("--cache-dir", cache_dir) == expected
    assert engine.run(["."], Config(), cache_dir=cache_dir).stats["parsed"] == 0
    # Read-only (simulated: root may write anywhere): the save fails, the results stand.
    (project / "a.py").write_text("x = 2\n")
    expected = json_report("--no-cache")
    with monkeypatch.context() as patch:
        patch.setattr(cache_module.tempfile, "mkstemp", read_only)
        assert json_report("--cache-dir", cache_dir) == expected
    # Corrupt: truncated mid-payload.
    path = cache_file(cache_dir)
    blob = open(path, "rb").read()
    open(path, "wb").write(blob[: len(blob) // 2])
    assert json_report("--cache-dir", cache_dir) == expected


def read_only(**kwargs):
    raise PermissionError(13, "Read-only file system")
