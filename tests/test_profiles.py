"""Measure first (issue 15): profiles rank the findings by measured cost, and hot spots no rule
explains become PF001 notes.

The cProfile profiles are recorded here, in the test, by running the fullstack demo's backend
code (tests/data/profiles/record_backend.py, with stand-ins for its third-party imports). The
other data under tests/data/profiles/ is committed, all real recordings of the demo: a py-spy
speedscope recording (py-spy 0.4.1), a `node --cpu-prof` profile of its components rendered
on the server through a bundle and its source map (record_frontend.sh), and, from headless
Chromium on the demo served by Vite's dev server (record_browser.sh, React 18.3.1's development
build, react-devtools-inline 8.0.0): a V8 .cpuprofile and two React DevTools Profiler exports.
"""

from __future__ import annotations

import json
import marshal
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from perfscan.cli import cli
from tests.conftest import FIXTURES, REPO, write_tree

DEMO = FIXTURES / "fullstack-demo"
DATA = REPO / "tests" / "data" / "profiles"
SARIF_SCHEMA = Path(os.environ.get("SARIF_SCHEMA") or REPO.parent / "shared" / "sarif" / "sarif-schema-2.1.0.json")


def invoke(*args, cwd=DEMO):
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, ["check", "--no-cache", "-j", "1", *map(str, args)], catch_exceptions=False)
    finally:
        os.chdir(previous)


def record_backend(out: Path, metrics_ms: float = 4.0) -> Path:
    """cProfile of the demo's backend code, recorded now (about a second)."""
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(out), str(DATA / "record_backend.py"),
                    str(DEMO / "backend"), str(metrics_ms)], check=True, cwd=out.parent, timeout=120)
    return out


@pytest.fixture(scope="module")
def backend_prof(tmp_path_factory) -> Path:
    return record_backend(tmp_path_factory.mktemp("prof") / "backend.prof")


def heads(output: str) -> list[str]:
    """`path:line:col: CODE` of each finding, in the order shown."""
    return [line.split(" ")[0] + " " + line.split(" ")[1] for line in output.splitlines()
            if line.startswith(("backend/", "frontend/"))]


def measured_of(log: dict) -> dict:
    return {f"{r['locations'][0]['physicalLocation']['artifactLocation']['uri'].split('fullstack-demo/')[-1]}:"
            f"{r['locations'][0]['physicalLocation']['region']['startLine']}:{r['ruleId']}": r
            for r in log["runs"][0]["results"]}


# -- ranking by a recorded cProfile ------------------------------------------------------


def test_recorded_cprofile_ranks_findings_and_lists_the_hot_spot(backend_prof):
    result = invoke("backend", "--profile", backend_prof, "--hot-spot-share", "2")
    assert result.exit_code == 1
    shown = heads(result.output)
    # GET summary: 40 requests of 4 ms each through build_summary -> fetch_metrics; POST export:
    # 8 sleeps of 5 ms; then what the profile does not cover, in the usual order.
    summary = "backend/app/routes/reports.py:28:12: PF201"
    export = "backend/app/routes/reports.py:19:5: PF201"
    hot_spot = "backend/app/services/ranking.py:6:5: PF001"
    assert shown[0] == summary
    assert shown.index(export) < shown.index("backend/app/routes/users.py:28:12: PF201")
    assert hot_spot in shown and shown.index(hot_spot) < shown.index("backend/app/routes/users.py:28:12: PF201")
    text = result.output
    assert "= measured: " in text and ", 40 calls; chain: analytics.build_summary" in text
    assert "analytics.fetch_metrics" in text.split(summary)[1].split("\n\n")[0]
    assert ", 8 calls" in text.split(export)[1].split("\n\n")[0]
    assert "in `ranking.rank_titles`, no known anti-pattern found; profile it line by line (line_profiler)" in text
    # fetch_metrics holds the blocking call of the PF201 chain: explained, not a hot spot.
    assert "analytics.py:6:5: PF001" not in text


def test_sarif_rank_and_measured_properties(backend_prof, tmp_path):
    out = tmp_path / "demo.sarif"
    result = invoke("backend", "--profile", backend_prof, "--hot-spot-share", "2", "--format", "sarif", "-o", out)
    assert result.exit_code == 1
    log = json.loads(out.read_text())
    results = measured_of(log)
    summary = results["backend/app/routes/reports.py:28:PF201"]
    export = results["backend/app/routes/reports.py:19:PF201"]
    hot = results["backend/app/services/ranking.py:6:PF001"]
    measured = summary["properties"]["perfscan/measured"]
    assert measured["calls"] == 40 and measured["function"] == "reports.report_summary"
    assert [step["function"] for step in measured["chain"]] == ["analytics.build_summary", "analytics.fetch_metrics"]
    assert [step["calls"] for step in measured["chain"]] == [40, 40]
    assert export["properties"]["perfscan/measured"]["calls"] == 8
    assert summary["rank"] == pytest.approx(measured["share"], abs=0.1) and summary["rank"] > export["rank"] > 0
    assert hot["level"] == "note" and 0 < hot["rank"] <= 100
    # Not covered by the profile: no rank (the schema's default, -1, is left out).
    assert "rank" not in results["backend/app/routes/users.py:28:PF201"]
    assert "PF001" in [rule["id"] for rule in log["runs"][0]["tool"]["driver"]["rules"]]
    if SARIF_SCHEMA.exists():
        from jsonschema import validators

        schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
        validators.validator_for(schema)(schema).validate(log)


def test_json_carries_the_measurement(backend_prof):
    result = invoke("backend", "--profile", backend_prof, "--format", "json")
    findings = json.loads(result.output)["findings"]
    export = next(f for f in findings if f["path"].endswith("reports.py") and f["line"] == 19)
    assert export["properties"]["perfscan/measured"]["calls"] == 8
    assert export["properties"]["perfscan/measured"]["profiles"] == ["backend.prof"]


def test_compare_shows_the_change_per_finding(backend_prof, tmp_path):
    after = record_backend(tmp_path / "after.prof", metrics_ms=0)
    result = invoke("backend", "--profile", backend_prof, "--profile-compare", after, "--format", "json")
    findings = json.loads(result.output)["findings"]
    summary = next(f for f in findings if f["path"].endswith("reports.py") and f["line"] == 28)
    measured = summary["properties"]["perfscan/measured"]
    # The same 40 calls, the 160 ms of waiting on the metrics service gone.
    assert measured["after"]["calls"] == 40 and measured["after"]["seconds"] < measured["seconds"]
    assert measured["change"] < -50 and measured["after_profiles"] == ["after.prof"]
    text = invoke("backend", "--profile", backend_prof, "--profile-compare", after, "--no-source").output
    line = next(line for line in text.splitlines() if line.startswith("backend/app/routes/reports.py:28:12"))
    assert "; after: " in line and f"({measured['change']:+.0f} %)" in line


def test_min_share_hides_findings_below_it_and_those_the_profile_does_not_cover(backend_prof):
    result = invoke("backend", "--profile", backend_prof, "--min-share", "5", "--no-source")
    shown = heads(result.output)
    assert "backend/app/routes/reports.py:28:12: PF201" in shown
    assert not any("users.py" in s or "catalog.py" in s for s in shown)  # not covered by the profile
    assert all("measured:" in line for line in result.output.splitlines() if line.startswith("backend/"))


def test_without_a_profile_nothing_changes(tmp_path):
    plain = invoke("backend", "--format", "sarif", "-o", tmp_path / "a.sarif")
    log = json.loads((tmp_path / "a.sarif").read_text())
    assert plain.exit_code == 1
    assert "PF001" not in [rule["id"] for rule in log["runs"][0]["tool"]["driver"]["rules"]]
    assert not any("rank" in r or "perfscan/measured" in r.get("properties", {}) for r in log["runs"][0]["results"])
    for option in (["--min-share", "5"], ["--profile-compare", "x.prof"], ["--hot-spot-share", "3"]):
        result = invoke("backend", *option)
        assert result.exit_code == 2 and "needs --profile FILE" in result.output


# -- the other Python formats ---------------------------------------------------------------


def test_py_spy_speedscope_recording_maps_by_path_suffix():
    """Recorded with `py-spy record --idle -f speedscope` on record_backend.py: absolute paths
    of the machine it ran on, the executed line of each frame (not the def line)."""
    result = invoke("backend", "--profile", DATA / "fullstack-backend.speedscope.json", "--format", "json")
    measured = {(f["path"].rsplit("/", 1)[1], f["line"], f["code"]): f["properties"].get("perfscan/measured")
                for f in json.loads(result.output)["findings"]}
    summary = measured[("reports.py", 28, "PF201")]
    assert summary["function"] == "reports.report_summary" and summary["seconds"] > 0 and "calls" not in summary
    assert [step["function"] for step in summary["chain"]] == ["analytics.build_summary", "analytics.fetch_metrics"]
    assert measured[("reports.py", 19, "PF201")]["seconds"] > 0


def speedscope(frames, samples, unit="none", kind="sampled"):
    profile = {"type": kind, "name": "py-spy", "unit": unit, "startValue": 0, "endValue": len(samples)}
    if kind == "sampled":
        profile.update(samples=[list(s) for s, _ in samples], weights=[w for _, w in samples])
    else:
        profile["events"] = samples
    return json.dumps({"$schema": "https://www.speedscope.app/file-format-schema.json", "exporter": "py-spy@0.4.1",
                       "shared": {"frames": frames}, "profiles": [profile]})


APP = {
    "app/reports.py": """
        def build_rows(orders):
            rows = []
            for order in orders:
                rows.append(render(order))
            return rows


        def render(order):
            return str(order)
        """,
    "app/routes.py": """
        import time

        from app.reports import build_rows


        async def export(orders):
            time.sleep(1)
            return build_rows(orders)
        """,
}


@pytest.mark.parametrize("root", ["/app/", "C:\\Users\\dev\\shop\\", "/home/ci/work/shop/"])
def test_speedscope_in_sample_counts_from_another_machine(tmp_path, root):
    sep = "\\" if "\\" in root else "/"
    write_tree(tmp_path, APP)
    frames = [{"name": "export", "file": f"{root}app{sep}routes.py", "line": 7},
              {"name": "build_rows", "file": f"{root}app{sep}reports.py", "line": 4},
              {"name": "render", "file": f"{root}app{sep}reports.py", "line": 9},
              {"name": "sleep", "file": "<built-in>", "line": 0}]
    # py-spy writes one sample per stack, weight 1 ("none": sample counts, no time).
    samples = [((0, 3), 1)] * 30 + [((0, 1), 1)] * 60 + [((0, 1, 2), 1)] * 10
    (tmp_path / "p.json").write_text(speedscope(frames, samples))
    result = invoke(".", "--profile", tmp_path / "p.json", "--no-source", cwd=tmp_path)
    lines = result.output.splitlines()
    assert lines[0].startswith("app/routes.py:7:5: PF201") and "[measured: 100 samples, 100 % of the profile]" in lines[0]
    assert lines[1] == ("app/reports.py:1:5: PF001 note: 60 samples (60 %) in `reports.build_rows`, no known "
                        "anti-pattern found; profile it line by line (line_profiler) or look at the algorithm "
                        "[measured: 70 samples, 70 % of the profile]")
    assert lines[2].startswith("app/reports.py:8:5: PF001 note: 10 samples (10 %) in `reports.render`")
    # `export` spends its own 30 samples in time.sleep: the PF201 finding explains them.
    assert sum("PF001" in line for line in lines[:3]) == 2 and "routes.py:6:11: PF001" not in result.output


@pytest.mark.parametrize("profiler", ["cProfile", "profile"])
def test_stats_of_both_standard_profilers_recorded_here(tmp_path, profiler):
    """`python -m cProfile -o` and `python -m profile -o` (which also files its own bookkeeping
    under keys holding code objects: values, never run) on a small project's script."""
    files = dict(APP)
    files["run.py"] = """
        import asyncio
        import sys

        sys.path.insert(0, ".")
        from app.routes import export

        asyncio.run(export(list(range(20000))))
        """
    files["app/routes.py"] = files["app/routes.py"].replace("time.sleep(1)", "time.sleep(0)")
    # Each render does enough work to stay a hot spot (over 5 % of the recording) when a loaded
    # machine stretches the interpreter's start-up, which the recording includes.
    files["app/reports.py"] = files["app/reports.py"].replace("return str(order)", "return str([order] * 30)")
    write_tree(tmp_path, files)
    subprocess.run([sys.executable, "-m", profiler, "-o", "run.prof", "run.py"], cwd=tmp_path, check=True, timeout=120)
    result = invoke("app", "--profile", tmp_path / "run.prof", "--format", "json", cwd=tmp_path)
    findings = json.loads(result.output)["findings"]
    export = next(f for f in findings if f["code"] == "PF201")["properties"]["perfscan/measured"]
    assert (export["function"], export["calls"]) == ("routes.export", 1)
    notes = {f["properties"]["perfscan/measured"]["function"]: f["properties"]["perfscan/measured"]
             for f in findings if f["code"] == "PF001"}
    # render: 20,000 calls; build_rows: 1 call, its loop and list appends its own.
    assert notes["reports.render"]["calls"] == 20000
    assert export["seconds"] >= notes["reports.render"]["seconds"]


def test_speedscope_evented_profile_in_seconds(tmp_path):
    write_tree(tmp_path, APP)
    frames = [{"name": "export", "file": "/srv/app/routes.py", "line": 6},
              {"name": "build_rows", "file": "/srv/app/reports.py", "line": 1}]
    events = [{"type": "O", "frame": 0, "at": 0.0}, {"type": "O", "frame": 1, "at": 0.5},
              {"type": "C", "frame": 1, "at": 2.0}, {"type": "C", "frame": 0, "at": 2.5}]
    (tmp_path / "p.json").write_text(speedscope(frames, events, unit="seconds", kind="evented"))
    result = invoke(".", "--profile", tmp_path / "p.json", "--no-source", cwd=tmp_path)
    assert "[measured: 2.5 s, 100 % of the profile]" in result.output
    assert "1.5 s (60 %) in `reports.build_rows`" in result.output


def test_pyinstrument_json(tmp_path):
    write_tree(tmp_path, APP)
    tree = {"function": "<module>", "file_path": "/srv/run.py", "line_no": 1, "time": 4.0, "children": [
        {"function": "export", "file_path": "/srv/app/routes.py", "line_no": 6, "time": 4.0, "children": [
            {"function": "sleep", "file_path": "<built-in>", "line_no": 0, "time": 1.0, "children": []},
            {"function": "build_rows", "file_path": "/srv/app/reports.py", "line_no": 1, "time": 2.8, "children": [
                {"function": "render", "file_path": "/srv/app/reports.py", "line_no": 8, "time": 0.1, "children": []}]}]}]}
    (tmp_path / "p.json").write_text(json.dumps({"start_time": 0, "duration": 4.0, "sample_count": 4000,
                                                 "program": "run.py", "cpu_time": 3.0, "root_frame": tree}))
    result = invoke(".", "--profile", tmp_path / "p.json", "--no-source", cwd=tmp_path)
    lines = result.output.splitlines()
    assert lines[0].startswith("app/routes.py:7:5: PF201") and "[measured: 4.0 s, 100 % of the profile]" in lines[0]
    assert lines[1].startswith("app/reports.py:1:5: PF001 note: 2.7 s (68 %) in `reports.build_rows`")


def test_a_hot_spot_can_be_acknowledged_inline(tmp_path):
    files = dict(APP)
    files["app/reports.py"] = files["app/reports.py"].replace(
        "def build_rows(orders):", "def build_rows(orders):  # perfscan: ignore[PF001] -- the report is this big")
    write_tree(tmp_path, files)
    frames = [{"name": "export", "file": "/app/app/routes.py", "line": 7},
              {"name": "build_rows", "file": "/app/app/reports.py", "line": 4}]
    (tmp_path / "p.json").write_text(speedscope(frames, [((0,), 1)] * 4 + [((0, 1), 1)] * 6))
    result = invoke(".", "--profile", tmp_path / "p.json", "--no-source", cwd=tmp_path)
    assert "PF001" not in result.output and "1 suppressed by inline comments" in result.output


# -- JavaScript and React ---------------------------------------------------------------------


def test_v8_cpuprofile_of_the_demo_through_its_source_map():
    """node --cpu-prof of a bundle of the demo's components (record_frontend.sh): frames name
    the bundle; its source map (frontend/static/demo-profile.cjs.map) leads to the .tsx files."""
    result = invoke("frontend", "--profile", DATA / "fullstack-frontend-ssr.cpuprofile", "--format", "json")
    findings = json.loads(result.output)["findings"]
    by_place = {(f["path"], f["line"], f["code"]): f["properties"].get("perfscan/measured") for f in findings}
    user_list = by_place[("frontend/src/components/UserList.tsx", 15, "PF101")]
    assert user_list["function"] == "<UserList>" and user_list["seconds"] > 0.1
    leaderboard = by_place[("frontend/src/components/Leaderboard.tsx", 13, "PF101")]
    assert leaderboard["function"] == "render"  # the class component's render method
    # byName (localeCompare over 2,000 users, 60 renders): over 5 %, no finding.
    hot = by_place[("frontend/src/utils/sort.ts", 3, "PF001")]
    assert hot["function"] == "byName" and hot["rank"] >= 5
    assert by_place[("frontend/src/components/OrderTable.tsx", 11, "PF101")] is None  # never rendered


def test_chromium_cpuprofile_of_the_demo_served_by_vite():
    """The DevTools protocol's Profiler in Chromium while selecting users, removing one and
    re-sorting products (record_browser.sh): frames name Vite's http://localhost:5199/src/...
    modules. Most of the 0.57 s is the browser and React's development build: the demo's own
    functions hold little, so no hot spot is over 5 %."""
    result = invoke("frontend", "--profile", DATA / "fullstack-frontend.cpuprofile", "--format", "json")
    findings = json.loads(result.output)["findings"]
    by_place = {(f["path"], f["line"], f["code"]): f["properties"].get("perfscan/measured") for f in findings}
    user_list = by_place[("frontend/src/components/UserList.tsx", 15, "PF101")]
    assert (user_list["function"], user_list["seconds"], user_list["share"]) == ("<UserList>", 0.014708, 2.56)
    assert by_place[("frontend/src/components/UserList.tsx", 32, "PF103")]["seconds"] == 0.014708
    leaderboard = by_place[("frontend/src/components/Leaderboard.tsx", 13, "PF101")]
    assert (leaderboard["function"], leaderboard["seconds"]) == ("render", 0.002204)
    assert by_place[("frontend/src/components/OrderTable.tsx", 11, "PF101")] is None  # never rendered
    assert [place for place in by_place if place[2] == "PF001"] == []


def test_cpu_and_react_profiles_of_one_session_rank_by_the_larger_share():
    """UserList holds 3 % of the CPU profile but 76 % of the React commits; App's context value 17 %
    of the commits and no CPU time of its own. Each finding ranks by the larger of its two shares,
    so UserList's findings come first, and --min-share does not hide them for their small CPU share."""
    args = ("frontend", "--no-source", "--profile", DATA / "fullstack-frontend.cpuprofile",
            "--profile", DATA / "fullstack-react-profile-after-mount.json")
    shown = heads(invoke(*args).output)
    # ProductGrid's hot spot ranks by its own 6 % of the commits (19 % with its subtree).
    assert shown[:5] == [
        "frontend/src/components/UserList.tsx:15:30: PF101",
        "frontend/src/components/UserList.tsx:32:13: PF103",
        "frontend/src/components/UserList.tsx:33:13: PF103",
        "frontend/src/App.tsx:26:16: PF102",
        "frontend/src/components/ProductGrid.tsx:8:17: PF001",
    ]
    kept = heads(invoke(*args, "--min-share", "50").output)
    assert kept == shown[:3]


def test_cpuprofile_from_a_vite_dev_server_maps_by_url_path(tmp_path):
    write_tree(tmp_path, {"web/src/Table.tsx": """
        export function Table({ rows }) {
          rows.sort((a, b) => a - b);
          return <ul>{rows.map((r) => <li key={r}>{r}</li>)}</ul>;
        }

        export function slowTotal(rows) {
          let total = 0;
          for (const r of rows) total += r;
          return total;
        }
        """})
    url = "http://localhost:5173/src/Table.tsx?t=1733051234"
    nodes = [
        {"id": 1, "callFrame": {"functionName": "(root)", "url": "", "lineNumber": -1, "columnNumber": -1}, "children": [2, 5]},
        {"id": 2, "callFrame": {"functionName": "Table", "url": url, "lineNumber": 20, "columnNumber": 15}, "children": [3, 4]},
        {"id": 3, "callFrame": {"functionName": "sort", "url": "", "lineNumber": -1, "columnNumber": -1}},
        {"id": 4, "callFrame": {"functionName": "slowTotal", "url": url, "lineNumber": 30, "columnNumber": 0}},
        {"id": 5, "callFrame": {"functionName": "(idle)", "url": "", "lineNumber": -1, "columnNumber": -1}},
    ]
    samples = [3] * 30 + [4] * 60 + [2] * 10 + [5] * 500
    (tmp_path / "Trace.cpuprofile").write_text(json.dumps({
        "nodes": nodes, "startTime": 0, "endTime": 60000, "samples": samples, "timeDeltas": [100] * len(samples)}))
    result = invoke(".", "--profile", tmp_path / "Trace.cpuprofile", "--no-source", cwd=tmp_path)
    lines = result.output.splitlines()
    # Idle time is not part of the profile: 100 busy samples of 0.1 ms.
    assert lines[0].startswith("web/src/Table.tsx:2:8: PF101") and "[measured: 10 ms, 100 % of the profile]" in lines[0]
    assert lines[1].startswith("web/src/Table.tsx:6:17: PF001 note: 6.0 ms (60 %) in `slowTotal`")


def test_chrome_performance_trace(tmp_path):
    """DevTools Performance > Save profile: trace events whose ProfileChunk events carry the
    samples (nodes with `parent` links, time deltas in microseconds)."""
    write_tree(tmp_path, {"src/grid.ts": """
        export function layoutGrid(cells) {
          let width = 0;
          for (const cell of cells) width = Math.max(width, cell.length);
          return width;
        }
        """})
    url = "http://localhost:3000/src/grid.ts"
    chunk = {"cpuProfile": {"nodes": [
        {"id": 1, "callFrame": {"functionName": "(root)", "url": "", "lineNumber": -1, "columnNumber": -1}},
        {"id": 2, "parent": 1, "callFrame": {"functionName": "layoutGrid", "url": url, "lineNumber": 0, "columnNumber": 27}},
        {"id": 3, "parent": 1, "callFrame": {"functionName": "(program)", "url": "", "lineNumber": -1, "columnNumber": -1}},
    ], "samples": [2, 2, 2, 3, 2]}, "timeDeltas": [250, 250, 250, 250, 250]}
    events = [{"name": "TracingStartedInBrowser", "ph": "I", "pid": 1, "ts": 0, "args": {}},
              {"name": "Profile", "ph": "P", "pid": 1, "id": "0x1", "ts": 0, "args": {"data": {"startTime": 0}}},
              {"name": "ProfileChunk", "ph": "P", "pid": 1, "id": "0x1", "ts": 10, "args": {"data": chunk}}]
    (tmp_path / "Trace-20261201.json").write_text(json.dumps({"traceEvents": events}))
    result = invoke(".", "--profile", tmp_path / "Trace-20261201.json", "--format", "json", cwd=tmp_path)
    (note,) = json.loads(result.output)["findings"]
    measured = note["properties"]["perfscan/measured"]
    assert (note["code"], note["line"], measured["function"]) == ("PF001", 1, "layoutGrid")
    assert measured["seconds"] == pytest.approx(0.001) and measured["share"] == 80.0


def test_a_real_node_cpu_profile(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    write_tree(tmp_path, {"tools/crunch.js": """
        function crunch(n) {
          let total = 0;
          for (let i = 0; i < n; i++) total += Math.sqrt(i) % 7;
          return total;
        }

        function main() {
          let sum = 0;
          for (let round = 0; round < 40; round++) sum += crunch(200000);
          return sum;
        }

        console.log(main());
        """})
    subprocess.run([node, "--cpu-prof", "--cpu-prof-name=crunch.cpuprofile", "--cpu-prof-dir", str(tmp_path / "prof"),
                    str(tmp_path / "tools" / "crunch.js")], check=True, timeout=60, capture_output=True)
    result = invoke("tools", "--profile", tmp_path / "prof" / "crunch.cpuprofile", "--format", "json", cwd=tmp_path)
    notes = [f for f in json.loads(result.output)["findings"] if f["code"] == "PF001"]
    assert [(n["path"], n["line"]) for n in notes][:1] == [("tools/crunch.js", 1)]
    assert notes[0]["properties"]["perfscan/measured"]["function"] == "crunch"


def react_results(tmp_path, export: str) -> dict:
    out = tmp_path / f"{export}.sarif"
    invoke("frontend", "--profile", DATA / export, "--format", "sarif", "-o", out)
    return measured_of(json.loads(out.read_text()))


def test_react_profiler_export_recorded_from_the_mount(tmp_path):
    """Profiling started before the demo mounted: the export has no snapshots, every fiber's
    name is in its `operations` (DevTools 8's ADD carries a name-prop string id after the key)."""
    results = react_results(tmp_path, "fullstack-react-profile.json")
    user_list = results["frontend/src/components/UserList.tsx:32:PF103"]
    measured = user_list["properties"]["perfscan/measured"]
    # The mount, the users arriving, 6 selections and a removal: 9 commits of UserList's 13.
    assert (measured["function"], measured["renders"]) == ("<UserList>", 9)
    assert measured["render_ms"] == pytest.approx(163.4) and measured["render_share"] == 68.2
    assert user_list["rank"] == 68.2
    leaderboard = results["frontend/src/components/Leaderboard.tsx:13:PF101"]["properties"]["perfscan/measured"]
    # Only the component's renders are measured (no CPU profile here): named after the component.
    assert (leaderboard["function"], leaderboard["renders"], leaderboard["render_ms"]) == ("<Leaderboard>", 3, 21.3)
    # The context value on App's line 26 holds an arrow (`signOut`) that the profile never ran: the
    # measurement is App's renders, and it is named after App, not after the arrow on the line.
    context_value = results["frontend/src/App.tsx:26:PF102"]["properties"]["perfscan/measured"]
    assert (context_value["function"], context_value["renders"]) == ("<App>", 3)
    # ProductGrid's own 11.5 ms is 4.8 % of the 239.6 ms of commits: under the 5 % of a hot spot.
    assert sorted(key for key in results if key.endswith(":PF001")) == []


def test_react_profiler_export_recorded_after_the_mount(tmp_path):
    """Profiling started once the rows showed: names come from the snapshots."""
    results = react_results(tmp_path, "fullstack-react-profile-after-mount.json")
    measured = results["frontend/src/components/UserList.tsx:15:PF101"]["properties"]["perfscan/measured"]
    assert (measured["renders"], measured["render_ms"], measured["render_share"]) == (7, 135.4, 76.37)
    # ProductGrid re-sorts its 400 products on each of the 4 sort changes and the removal: 10.7 ms
    # of its own, 6.0 % of the commits, and no finding in it.
    notes = sorted(key for key in results if key.endswith(":PF001"))
    assert notes == ["frontend/src/components/ProductGrid.tsx:8:PF001"]
    assert "11 ms rendering over 5 renders (6 % of the commits) in `<ProductGrid>`" in \
        results[notes[0]]["message"]["text"]


def test_react_profiler_operations_name_the_fibers_of_either_add_layout():
    """The genuine export's operations name every component it rendered; the same tree in the
    ADD layout of DevTools before the name prop (4 values after id and type) reads the same."""
    from perfscan.profiles.react_profiler import _names

    root = json.loads((DATA / "fullstack-react-profile.json").read_text())["dataForRoots"][0]
    names = _names(root)
    assert sorted(set(names.values())) == ["App", "Context.Provider", "Leaderboard", "ProductGrid", "Provider",
                                           "ReactRedux.Provider", "UserList", "UserRow"]
    assert list(names.values()).count("UserRow") == 400  # `Memo(UserRow)` in the string table

    def strings(*texts):
        table = [n for text in texts for n in (len(text), *map(ord, text))]
        return [len(table), *table]

    root_add = [1, 1, 11, 1, 1, 1, 0]  # op, id, root type, strict, profiling flags, strict support, owners
    older = [1, 1, *strings("App", "Memo(Row)", "k"),
             *root_add, 1, 2, 5, 1, 0, 1, 0, 1, 3, 8, 2, 2, 2, 3, 4, 3, 120, 2, 1, 3]
    assert _names({"operations": [older]}) == {2: "App", 3: "Row"}
    # An operation this reader does not know stops the decoding: names before it are kept.
    assert _names({"operations": [older[:-3] + [99, 1, 2, 3]]}) == {2: "App", 3: "Row"}


# -- bad input ------------------------------------------------------------------------------


def test_bad_profiles_are_clear_errors(tmp_path, backend_prof):
    data = backend_prof.read_bytes()
    cases = {
        "truncated.prof": (data[: len(data) // 2], "not a readable cProfile stats file"),
        "other-version.prof": (b"{)\x03\xfa\x05hello", "another Python version"),
        "notes.txt": (b"these are not the profiles you are looking for\n", "not a profile perfscan reads"),
        "broken.json": (b'{"nodes": [', "not valid JSON, perhaps truncated"),
        "other.json": (b'{"name": "package", "version": "1.0"}', "JSON, but not a profile perfscan reads"),
        "empty.prof": (b"", "the profile is empty"),
        "code.prof": (marshal.dumps(compile("print('pwned')", "x", "exec")), "not a profile perfscan reads"),
        "tree.json": (b'{"root_frame": {"function": 3}}', "a pyinstrument frame without"),
        "samples.json": (json.dumps({"shared": {"frames": [{"name": "f"}]}, "profiles": [
            {"type": "sampled", "unit": "none", "samples": [[7]], "weights": [1]}]}).encode(), "names a frame that does not exist"),
    }
    for name, (content, message) in cases.items():
        (tmp_path / name).write_bytes(content)
        result = invoke("backend", "--profile", tmp_path / name)
        assert result.exit_code == 2, name
        assert f"perfscan: error: {tmp_path / name}: " in result.output and message in result.output, (name, result.output)


def test_a_huge_profile_is_refused_by_its_size_without_reading_it(tmp_path):
    huge = tmp_path / "huge.speedscope.json"
    with open(huge, "wb") as handle:
        handle.truncate(500 * 1000 * 1000)  # sparse: nothing is written
    result = invoke("backend", "--profile", huge)
    assert result.exit_code == 2
    assert "the profile is 500 MB, over perfscan's 200 MB limit" in result.output and "shorter window" in result.output


def test_nothing_a_profile_names_is_imported_or_run(tmp_path):
    stats = {("perfscan_probe_module.py", 1, "run"): (1, 1, 0.5, 0.5, {})}
    (tmp_path / "probe.prof").write_bytes(marshal.dumps(stats))
    from perfscan.profiles import load_profile

    profile = load_profile(str(tmp_path / "probe.prof"))
    assert profile.frames[0].name == "run" and "perfscan_probe_module" not in sys.modules


def test_a_profile_of_another_program_maps_nothing(tmp_path):
    write_tree(tmp_path, APP)
    frames = [{"name": "export", "file": "/opt/other/app/routes.py", "line": 3},  # same file name, no such function
              {"name": "handle", "file": "/opt/other/app/routes.py", "line": 9},
              {"name": "loads", "file": "/usr/lib/python3.12/json/__init__.py", "line": 299}]
    frames[0]["name"] = "export_all"
    (tmp_path / "p.json").write_text(speedscope(frames, [((0, 1), 1)] * 5 + [((2,), 1)] * 5))
    with_profile = invoke(".", "--profile", tmp_path / "p.json", "--format", "json", cwd=tmp_path)
    without = invoke(".", "--format", "json", cwd=tmp_path)
    assert with_profile.exit_code == without.exit_code == 1
    assert json.loads(with_profile.output)["findings"] == json.loads(without.output)["findings"]


# -- teaching -----------------------------------------------------------------------------------


def test_explain_profile_gives_the_recording_commands():
    result = CliRunner().invoke(cli, ["explain", "profile"])
    assert result.exit_code == 0
    for command in ("python -m cProfile -o app.prof", "py-spy record -f speedscope", "pyinstrument -r json",
                    "--pid", "node --cpu-prof", "React DevTools > Profiler", "--profile-compare after.prof",
                    "Django", "Flask", "FastAPI"):
        assert command in result.output, command
