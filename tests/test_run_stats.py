"""PERFSCAN_STATS=1 / --show-timings: the run's statistics on stderr (issue 16). Which lines
come and the counts are asserted, not the timings."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from perfscan import __version__
from perfscan.cli import cli
from perfscan.run_stats import render_run_stats, stats_wanted
from tests.conftest import write_tree

BLOCKING_PY = "import time\n\n\nasync def handler():\n    time.sleep(1)\n"
SMALL_TSX = "export function Label({ text }: { text: string }) {\n  return <span>{text}</span>;\n}\n"

SECONDS = re.compile(r"\d+\.\d{3}")
MIB = re.compile(r"\d+\.\d")

# Every line of the statistics of a cold run over one Python and one TSX file, in order: the
# label, and the value exactly (a count) or its shape (seconds, MiB).
COLD_RUN = [
    ("counts", ""),
    ("files checked", "2"),
    ("project files", "2"),
    ("files parsed", "2"),
    ("files parsed again", "0"),
    ("summaries from cache", "0"),
    ("findings from cache", "0"),
    ("findings replayed", "0"),
    ("early checks kept", "2"),
    ("early checks redone", "0"),
    ("workers", "1"),
    ("workers replaced", "0"),
    ("files timed out", "0"),
    ("files crashed", "0"),
    ("time", "seconds"),
    ("set-up (imports, config, rules)", SECONDS),
    ("discover", SECONDS),
    ("cache lookup", SECONDS),
    ("Python: parse, facts, early rules", SECONDS),
    ("Python: project index", SECONDS),
    ("Python: rules (recheck)", SECONDS),
    ("TS/TSX: parse, facts, early rules", SECONDS),
    ("TS/TSX: project index", SECONDS),
    ("TS/TSX: rules (recheck)", SECONDS),
    ("stop workers", SECONDS),
    ("results", SECONDS),
    ("output (fixes, report)", SECONDS),
    ("total (engine)", SECONDS),
    ("total (command)", SECONDS),
    ("memory (resident)", "MiB"),
    ("peak memory, main process", MIB),
    ("peak memory, largest of 1 worker", MIB),
]


def stats_lines(stderr: str) -> list[str]:
    lines = stderr.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"perfscan {__version__} run statistics ("))
    return lines[start + 1:]


def split_line(line: str) -> tuple[str, str]:
    """'files parsed      2' -> ('files parsed', '2'): the value is the last column."""
    label, _, value = line.rpartition("  ")
    return (label.rstrip(), value.strip()) if label else (line, "")


@pytest.fixture
def two_languages(project):
    write_tree(project, {"app.py": BLOCKING_PY, "web/label.tsx": SMALL_TSX})
    return project


def test_perfscan_stats_prints_every_stage_on_stderr(two_languages):
    result = CliRunner().invoke(cli, ["check", ".", "--no-cache", "--format", "json"], env={"PERFSCAN_STATS": "1"})
    assert result.exit_code == 1
    assert len(json.loads(result.stdout)["findings"]) == 1  # the report on stdout stays data
    lines = stats_lines(result.stderr)
    assert [split_line(line)[0] for line in lines] == [label for label, _ in COLD_RUN]
    for line, (label, expected) in zip(lines, COLD_RUN):
        value = split_line(line)[1]
        assert expected.fullmatch(value) if isinstance(expected, re.Pattern) else value == expected, line
    # One column of values, right-aligned.
    assert len({len(line) for line in lines if split_line(line)[1]}) == 1


def test_a_warm_run_counts_what_came_from_the_cache(two_languages):
    runner = CliRunner()
    runner.invoke(cli, ["check", "."])
    result = runner.invoke(cli, ["check", ".", "--show-timings"])
    values = dict(map(split_line, stats_lines(result.stderr)))
    assert (values["files parsed"], values["summaries from cache"], values["findings from cache"]) == ("0", "2", "2")
    assert SECONDS.fullmatch(values["cache write"])


def test_standard_input_has_its_count_time_and_memory(project):
    result = CliRunner().invoke(cli, ["check", "-", "--stdin-filename", "app.py", "--show-timings"], input=BLOCKING_PY)
    assert result.exit_code == 1 and "PF201" in result.stdout
    rows = [split_line(line) for line in stats_lines(result.stderr)]
    assert ("files checked", "1") in rows
    labels = [label for label, _ in rows]
    assert labels == ["counts", "files checked", "time", "set-up (imports, config, rules)", "output (fixes, report)",
                      "total (engine)", "total (command)", "memory (resident)", "peak memory, main process"]


@pytest.mark.parametrize("value", ["", "0", "false", "off"])
def test_no_statistics_unless_asked(two_languages, value):
    result = CliRunner().invoke(cli, ["check", ".", "--no-cache"], env={"PERFSCAN_STATS": value})
    assert result.exit_code == 1 and "run statistics" not in result.stderr


def test_the_flag_prints_them_on_every_way_out(two_languages):
    """--diff and --write-baseline exit before the report: the statistics still come."""
    for extra in (["--diff"], ["--write-baseline", "base.json"]):
        result = CliRunner().invoke(cli, ["check", ".", "--no-cache", "--show-timings", *extra])
        assert "total (command)" in dict(map(split_line, stats_lines(result.stderr))), extra


def test_stats_wanted_reads_the_environment(monkeypatch):
    monkeypatch.setenv("PERFSCAN_STATS", "yes")
    assert stats_wanted()
    monkeypatch.setenv("PERFSCAN_STATS", " 0 ")
    assert not stats_wanted() and stats_wanted(flag=True)


def test_only_the_statistics_a_run_kept_are_printed():
    """No made-up zeros (a section without a value has no title either)."""
    text = render_run_stats({"setup_s": 0.25, "output_s": 0.0, "command_s": 0.5}, "9.9")
    assert text.splitlines() == [
        text.splitlines()[0],
        "time                             seconds",
        "set-up (imports, config, rules)    0.250",
        "output (fixes, report)             0.000",
        "total (command)                    0.500",
    ]
    assert text.startswith("perfscan 9.9 run statistics (Python ")
