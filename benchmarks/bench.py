"""Measure perfscan on one directory, in one run, and print ratios.

    python benchmarks/bench.py /work/corpora/excalidraw
    python benchmarks/bench.py /work/corpora/polar/server --jobs 2 --scaling
    python benchmarks/bench.py DIR --tools /work/tools     # peers installed there

Every measurement is a fresh process started the same way, timed by wall
clock (start-up and imports included, as a user or CI sees them):

- parse-only: discover the same files and read + parse each one with
  tree-sitter in the same number of processes, nothing else;
- cold check: `perfscan check` with an empty cache (in a temporary directory);
- warm check: the same command again, the cache now filled;
- peak memory of a cold check (a separate run: sampling slows the process
  down): the largest sum of PSS over the process and its workers, sampled
  every 50 ms (Linux);
- with `--scaling`: cold checks of a quarter, half and all of the files;
- peers, when installed (ruff and semgrep for Python files; Biome, ESLint
  with react-hooks + react-perf, and oxlint with its React plugins for
  TS/TSX): their wall time on the same directory and perfscan's speed-up over
  each (peer time / perfscan cold time).

Ratios measured in one run on one machine are the numbers to compare; absolute
times depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)  # perfscan itself must be installed (`pip install -e .`): see README


# -- parse-only (runs inside its own process) -----------------------------------------


def _parse_one(file) -> int:
    from perfscan import grammars
    from perfscan.discovery import minified_note

    try:
        with open(file[0], "rb") as handle:
            data = handle.read()
    except OSError:
        return 0
    if minified_note(file[0], file[1], data) is not None:
        return 0  # perfscan skips it too
    grammars.parse(file[1], data)
    return len(data)


def parse_only(jobs: int) -> None:
    """Discover files as `perfscan check .` does, then only read and parse them."""
    import multiprocessing

    from perfscan.config import Config
    from perfscan.discovery import discover

    files = [(f.path, f.language) for f in discover(["."], Config()).files]
    files.sort(key=lambda f: -os.path.getsize(f[0]))
    if jobs <= 1:
        total = sum(_parse_one(f) for f in files)
    else:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            total = sum(pool.imap_unordered(_parse_one, files, chunksize=8))
    print(f"{len(files)} {total}")


def _minified(file) -> bool:
    from perfscan.discovery import minified_note

    with open(file.path, "rb") as handle:
        return minified_note(file.rel_path, file.language, handle.read()) is not None


# -- timing and memory of a child process ------------------------------------------------


def _children_of(pid: int) -> list[int]:
    found, frontier = [pid], [pid]
    try:
        stats = []
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    with open(f"/proc/{name}/stat", "rb") as handle:
                        fields = handle.read().rsplit(b")", 1)[1].split()
                    stats.append((int(name), int(fields[1])))
                except (OSError, IndexError, ValueError):
                    pass
    except OSError:
        return found
    while frontier:
        parent = frontier.pop()
        for child, ppid in stats:
            if ppid == parent and child not in found:
                found.append(child)
                frontier.append(child)
    return found


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def timed(cmd: list[str], cwd: str, sample_memory: bool = False, env=None) -> tuple[float, int, int]:
    """(seconds, peak MB over the process tree or 0, exit code)."""
    peak = [0]
    start = time.perf_counter()
    process = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    done = threading.Event()

    def sample():
        while not done.wait(0.05):
            total = sum(_pss_kb(pid) for pid in _children_of(process.pid))
            peak[0] = max(peak[0], total)

    sampler = threading.Thread(target=sample, daemon=True) if sample_memory and os.path.isdir("/proc") else None
    if sampler:
        sampler.start()
    _, stderr = process.communicate()
    seconds = time.perf_counter() - start
    done.set()
    if sampler:
        sampler.join()
    if process.returncode not in (0, 1):
        tail = stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        print(f"  ! {' '.join(cmd[:3])}... exited {process.returncode}: {' | '.join(tail)}")
    return seconds, peak[0] // 1024, process.returncode


def best(cmd, cwd, repeat, prepare=None, sample_memory=False, env=None):
    runs = []
    for _ in range(repeat):
        if prepare:
            prepare()
        runs.append(timed(cmd, cwd, sample_memory, env))
    return min(r[0] for r in runs), max(r[1] for r in runs)


# -- peers -------------------------------------------------------------------------------


def _tool(tools: str, *candidates: str):
    for candidate in candidates:
        path = os.path.join(tools, candidate)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    found = shutil.which(os.path.basename(candidates[0]))
    return found


def peer_commands(tools: str, jobs: int, languages: set[str], tsx_share: float) -> list[tuple[str, list[str], dict]]:
    peers = []
    env = dict(os.environ)
    if "python" in languages:
        ruff = _tool(tools, "pyvenv/bin/ruff", "bin/ruff")
        if ruff:
            peers.append(("ruff", [ruff, "check", "--isolated", "--no-cache", "--exit-zero", "."], env))
        semgrep = _tool(tools, "pyvenv/bin/semgrep", "bin/semgrep")
        if semgrep:
            config = os.path.join(HERE, "peers", "semgrep-python-perf.yml")
            peers.append(("semgrep", [semgrep, "scan", "--config", config, "--metrics=off", "--disable-version-check",
                                      "--quiet", "--jobs", str(jobs), "."], env))
    if tsx_share >= 0.1:  # a few TS files next to a Python backend say nothing about JS linters
        biome = _tool(tools, "node_modules/.bin/biome")
        if biome:
            peers.append(("biome", [biome, "lint", "--config-path", os.path.join(HERE, "peers"),
                                    "--max-diagnostics=0", "--diagnostic-level=error", "."], env))
        eslint = _tool(tools, "node_modules/.bin/eslint")
        if eslint:
            # The flat config imports its plugins: it must live where they are installed.
            config = os.path.join(tools, "perfscan-bench.eslint.config.mjs")
            shutil.copyfile(os.path.join(HERE, "peers", "eslint.config.mjs"), config)
            peers.append(("eslint", [eslint, "--config", config, "."], env))
        oxlint = _tool(tools, "node_modules/.bin/oxlint")
        if oxlint:
            # Its default rules plus the React and React-performance plugins, on as many threads as
            # perfscan has processes; no configuration file is read.
            peers.append(("oxlint", [oxlint, "--react-plugin", "--react-perf-plugin", "--quiet", "--threads",
                                     str(jobs), "."], env))
    return peers


# -- main --------------------------------------------------------------------------------


def edit_loop(directory: str, files, check: list, cold_s: float, env: dict) -> None:
    """Warm checks after an edit, in a copy of the directory (the original is never written):
    an edit inside the largest file that leaves its summary alone (a comment at the end), then
    one that moves every line of it (a blank line at the top), so the project index changes and
    every other file's cached findings stand only if their recorded questions get the same answers."""
    from perfscan.discovery import DEFAULT_EXCLUDED_DIRS

    largest = max(files, key=lambda f: os.path.getsize(f.path))
    comment = "#" if largest.language == "python" else "//"
    with tempfile.TemporaryDirectory(prefix="perfscan-bench-edit-") as scratch:
        copy = os.path.join(scratch, "tree")
        shutil.copytree(directory, copy, symlinks=True, ignore=shutil.ignore_patterns(*DEFAULT_EXCLUDED_DIRS))
        cache_dir = os.path.join(scratch, "cache")
        edit_check = [a if a != check[check.index("--cache-dir") + 1] else cache_dir for a in check]
        timed(edit_check, copy, env=env)  # cold, fills the cache
        target = os.path.join(copy, largest.rel_path)
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(f"\n{comment} perfscan bench edit\n")
        body_s, _, _ = timed(edit_check, copy, env=env)
        with open(target, encoding="utf-8") as handle:
            text = handle.read()
        with open(target, "w", encoding="utf-8") as handle:
            handle.write("\n" + text)
        shift_s, _, _ = timed(edit_check, copy, env=env)
    print(f"edited:      {largest.rel_path}")
    print(f"edit, same summary:    {body_s:7.2f} s  edit/cold = {100 * body_s / cold_s:.1f}%")
    print(f"edit, lines moved:     {shift_s:7.2f} s  edit/cold = {100 * shift_s / cold_s:.1f}%")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=1, help="best of N for each timing (default 1)")
    parser.add_argument("--tools", default=os.environ.get("PERFSCAN_PEERS", "/work/tools"), help="where the peers are installed")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--scaling", action="store_true", help="also time a quarter, half and all of the files")
    parser.add_argument("--edit", action="store_true",
                        help="also time warm checks after editing one file (in a copy of the directory)")
    parser.add_argument("--parse-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    directory = os.path.abspath(args.directory)
    if args.parse_only:
        os.chdir(directory)
        parse_only(args.jobs)
        return 0

    from perfscan.config import Config
    from perfscan.discovery import discover
    from perfscan.rules import all_rules

    os.chdir(directory)
    files = discover(["."], Config()).files
    files = [f for f in files if not _minified(f)]
    total_mb = sum(os.path.getsize(f.path) for f in files) / 1e6
    languages = {f.language for f in files}
    tsx_share = sum(f.language != "python" for f in files) / max(1, len(files))
    python = sys.executable
    perfscan = [python, "-m", "perfscan", "check"]
    env = dict(os.environ)
    # Run perfscan from compiled bytecode, as an installed wheel does (pip compiles it), even
    # where PYTHONDONTWRITEBYTECODE is set; the .pyc files go to a temporary prefix, not the repo.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="perfscan-bench-pycache-")
    subprocess.run([python, "-m", "compileall", "-q", "analyzer", "rules", "grammars"], cwd=REPO, env=env, check=True)
    print(f"directory:   {directory}")
    print(f"files:       {len(files)} ({total_mb:.1f} MB; {', '.join(sorted(languages))}); rules: {len(all_rules())}; "
          f"processes: {args.jobs}")

    parse_s, _ = best([python, __file__, "--parse-only", "--jobs", str(args.jobs), directory], directory, args.repeat,
                      env=env)
    cache_dir = tempfile.mkdtemp(prefix="perfscan-bench-cache-")
    check = perfscan + [".", "--jobs", str(args.jobs), "--cache-dir", cache_dir, "--exit-zero", "--no-source"]

    def empty_cache():
        shutil.rmtree(cache_dir, ignore_errors=True)

    cold_s, _ = best(check, directory, args.repeat, prepare=empty_cache, env=env)
    warm_s, _ = best(check, directory, args.repeat, env=env)
    # Memory in a run of its own: reading smaps stalls the sampled processes.
    _, peak_mb = best(check, directory, 1, prepare=empty_cache, sample_memory=True, env=env)
    shutil.rmtree(cache_dir, ignore_errors=True)
    print(f"parse-only:  {parse_s:7.2f} s  ({total_mb / parse_s:.1f} MB/s)")
    print(f"cold check:  {cold_s:7.2f} s  cold/parse-only = {cold_s / parse_s:.2f}x")
    print(f"warm check:  {warm_s:7.2f} s  warm/cold = {100 * warm_s / cold_s:.1f}%")
    print(f"peak memory: {peak_mb:7d} MB (PSS, all processes of the cold check)")

    if args.scaling:
        ordered = sorted(files, key=lambda f: f.rel_path)
        print("scaling (cold, no cache):")
        for share, label in ((4, "1/4"), (2, "1/2"), (1, "all")):
            subset = ordered[::share]
            mb = sum(os.path.getsize(f.path) for f in subset) / 1e6
            seconds, _ = best(perfscan + ["--no-cache", "--jobs", str(args.jobs), "--exit-zero", "--no-source"]
                              + [f.rel_path for f in subset], directory, args.repeat, env=env)
            print(f"  {label:>3}: {len(subset):5d} files {mb:6.1f} MB {seconds:7.2f} s  {seconds / mb:.3f} s/MB")

    if args.edit:
        edit_loop(directory, files, check, cold_s, env)

    if not args.no_peers:
        for name, cmd, peer_env in peer_commands(args.tools, args.jobs, languages, tsx_share):
            seconds, _ = best(cmd, directory, args.repeat, env=peer_env)
            print(f"peer {name:8s} {seconds:7.2f} s  perfscan cold is {seconds / cold_s:.2f}x as fast")
    return 0


if __name__ == "__main__":
    sys.exit(main())
