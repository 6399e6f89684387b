"""Time parse-only and a full check over one directory, in one run, and print the ratio.

    python benchmarks/bench.py fixtures/fullstack-demo
    python benchmarks/bench.py /path/to/repo --repeat 3

The parse-only pass discovers the same files and reads, decodes and parses each
one with tree-sitter, exactly as the check does, and nothing else; the ratio
check / parse-only is the number to watch (the design target is close to 1).
Absolute times depend on the machine; ratios measured in one run do not.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from analyzer.config import Config  # noqa: E402
from analyzer.discovery import discover  # noqa: E402
from analyzer.engine import load_source, run  # noqa: E402


def parse_only(paths, config) -> tuple[float, int, int]:
    start = time.perf_counter()
    discovery = discover(paths, config)
    total_bytes = 0
    parsed = 0
    for file in discovery.files:
        source, _ = load_source(file)
        if source is not None:
            total_bytes += len(source.data)
            parsed += 1
    return time.perf_counter() - start, parsed, total_bytes


def full_check(paths, config) -> tuple[float, int]:
    start = time.perf_counter()
    result = run(paths, config)
    return time.perf_counter() - start, len(result.findings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--repeat", type=int, default=3, help="take the best of N runs of each (default 3)")
    args = parser.parse_args()
    config = Config()
    # Warm up: import rules, compile queries, load grammars (a one-off per process).
    full_check(args.paths, config)
    parse_times, check_times = [], []
    for _ in range(args.repeat):
        seconds, files, total_bytes = parse_only(args.paths, config)
        parse_times.append(seconds)
        seconds, findings = full_check(args.paths, config)
        check_times.append(seconds)
    parse_s, check_s = min(parse_times), min(check_times)
    print(f"paths:            {' '.join(args.paths)}")
    print(f"files parsed:     {files} ({total_bytes / 1e6:.2f} MB)")
    print(f"findings:         {findings}")
    print(f"parse-only:       {parse_s:.3f} s ({total_bytes / 1e6 / parse_s:.1f} MB/s)")
    print(f"full check:       {check_s:.3f} s")
    print(f"check/parse-only: {check_s / parse_s:.2f}x (best of {args.repeat})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
