"""Facts on demand must not change what perfscan says: compare it with full facts everywhere.

    python benchmarks/same_findings.py /work/corpora/saleor /work/corpora/polar [--jobs 2]

For each directory, two things, each with facts on demand and with `PERFSCAN_EAGER_FACTS=1`:

- summaries: every Python file's facts summary (what the project index is built from). A file
  that gets names-only facts (analyzer/facts/__init__.py) is compared on what it keeps (module,
  imports, functions with their async-ness); every other summary must be equal as a whole;
- findings: `perfscan check DIR --no-cache --format json`, in a fresh process per mode, compared
  on rule, place, level, message, related locations and code flow.

It prints, per directory, the files with names-only facts (count and share of the bytes), the
CPU seconds of facts and summaries in each mode, and every difference; the exit code is 1 when
there is one.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

EAGER_ENV = "PERFSCAN_EAGER_FACTS"


def _names(summary: dict) -> tuple:
    return (
        summary.get("module"),
        summary.get("imports"),
        [(f["qualname"], f["is_async"]) for f in summary.get("functions", ())],
    )


def compare_summaries(directory: str) -> tuple[int, int, int, int, float, float, list]:
    """(files, names-only files, bytes, names-only bytes, CPU on demand, CPU eager, differences)."""
    from perfscan.checker import source_from_bytes
    from perfscan.config import Config
    from perfscan.discovery import discover
    from perfscan.facts import build_facts, names_only

    config = Config()
    settings = config.project_settings
    warm_up, _ = source_from_bytes("warm_up.py", "warm_up.py", "python", b"def f():\n    return g()\n")
    for names_only_facts in (True, False):  # compile both queries before anything is timed
        build_facts(warm_up, names_only=names_only_facts).summary()
    files = [f for f in discover([directory], config).files if f.language == "python"]
    counts = [0, 0, 0, 0]
    seconds = [0.0, 0.0]
    differences = []
    for file in files:
        try:
            with open(file.path, "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        source, _ = source_from_bytes(file.path, file.rel_path, file.language, data)
        if source is None:
            continue
        lean = names_only(source, settings)
        counts[0] += 1
        counts[2] += len(data)
        if lean:
            counts[1] += 1
            counts[3] += len(data)
        summaries = []
        for mode, names_only_facts in enumerate((lean, False)):
            start = time.process_time()
            facts = build_facts(source, names_only=names_only_facts)
            summaries.append(facts.summary())
            facts.release()
            seconds[mode] += time.process_time() - start
        on_demand, eager = summaries
        if (_names(on_demand) != _names(eager)) if lean else (on_demand != eager):
            differences.append(f"summary of {file.rel_path} differs")
    return (*counts, *seconds, differences)


def findings(directory: str, eager: bool, jobs: int) -> set:
    env = dict(os.environ)
    env.pop(EAGER_ENV, None)
    if eager:
        env[EAGER_ENV] = "1"
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(
            [sys.executable, "-m", "perfscan", "check", directory, "--no-cache", "--exit-zero", "--jobs", str(jobs),
             "--format", "json", "-o", out.name],
            env=env, check=True, stderr=subprocess.DEVNULL,
        )
        data = json.load(open(out.name))
    return {
        (f["code"], f["path"], f["line"], f["col"], f["level"], f["message"],
         json.dumps([f.get("related"), f.get("flow")], sort_keys=True))
        for f in data["findings"]
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directories", nargs="+")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    failed = False
    for directory in args.directories:
        files, lean, size, lean_size, on_demand_s, eager_s, differences = compare_summaries(directory)
        found = findings(directory, False, args.jobs)
        eager_found = findings(directory, True, args.jobs)
        differences += [f"only with facts on demand: {f[:6]}" for f in sorted(found - eager_found)]
        differences += [f"only with eager facts: {f[:6]}" for f in sorted(eager_found - found)]
        print(f"{directory}: {files} Python files, {lean} with names-only facts "
              f"({lean_size / max(size, 1):.0%} of the bytes); facts + summaries {on_demand_s:.2f} s CPU on demand, "
              f"{eager_s:.2f} s eager ({on_demand_s / max(eager_s, 1e-9):.0%}); {len(found)} findings; "
              f"{'same' if not differences else f'{len(differences)} differences'}")
        for line in differences[:20]:
            print("   ", line)
        failed = failed or bool(differences)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
