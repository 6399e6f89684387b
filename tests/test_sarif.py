"""SARIF reporter: schema validity, GitHub fingerprints, locations, flows, fixes,
suppressions, notifications, determinism, and the shared validate.sh script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from perfscan.config import Config, ConfigError, load_config
from perfscan.engine import RunResult, check_sources, check_text, source_from_bytes
from perfscan.findings import Fix, FlowStep, Related, Span, TextEdit
from perfscan.fingerprint import line_hashes, perfscan_fingerprint
from perfscan.reporters.sarif import pascal_case, relative_uri, render_sarif
from perfscan.rule import Rule

REPO = Path(__file__).resolve().parents[1]
SHARED_SARIF = REPO.parent / "shared" / "sarif"
SCHEMA = Path(os.environ.get("SARIF_SCHEMA") or SHARED_SARIF / "sarif-schema-2.1.0.json")
VALIDATE = SHARED_SARIF / "validate.sh"


class SleepInAsync(Rule):
    """Test-only rule: reports `time.sleep(` on any line, with a related location
    (the import on line 1), a two-step flow and a fix."""

    code = "PF998"
    name = "test-sleep-call"
    languages = frozenset({"python"})
    level = "warning"
    tags = ("async", "performance")
    summary = "Calls to `time.sleep` block the event loop."
    what_it_does = "Flags `time.sleep` calls."
    why_slow = "It blocks."
    how_to_measure = "Time it."
    use_instead = "`await asyncio.sleep(...)`."

    def check(self, ctx):
        source = ctx.source
        for number, line in enumerate(source.text.split("\n"), start=1):
            col = line.find("time.sleep(")
            if col < 0:
                continue
            span = Span(source.rel_path, number, col + 1, number, col + 11)
            imported = Span(source.rel_path, 1, 1, 1, 12)
            ctx.report(
                span,
                "`time.sleep` blocks the event loop; see [the import](1)",
                related=[Related(imported, "the import")],
                flow=[FlowStep(imported, "imported here"), FlowStep(span, "called here")],
                fix=Fix("Use `asyncio.sleep`", (TextEdit(span, "asyncio.sleep"),)),
            )
        return ()


class OtherRule(SleepInAsync):
    code = "PF997"
    name = "test-other"
    level = "note"
    tags = ()

    def check(self, ctx):
        return ()


RULES = [SleepInAsync(), OtherRule()]

MAIN = (
    "import time\n"
    "\n"
    "async def handler():\n"
    "    time.sleep(1)\n"
    "    time.sleep(2)  # perfscan: ignore[PF998] startup only\n"
    "    x = 'é'; time.sleep(3)\n"
)
FILES = {"app/main.py": MAIN, "app/my views/ü.py": "import time\ntime.sleep(1)\n"}


def render(files=FILES, rules=RULES, options=None, **kw) -> dict:
    result = check_text(files, rules=rules, **kw)
    return json.loads(render_sarif(result, rules, options=options))


def results_of(log):
    return log["runs"][0]["results"]


# -- fingerprints -------------------------------------------------------------------


def test_line_hashes_match_github_upload_action_values():
    # Expected values from github/codeql-action's fingerprint tests.
    assert line_hashes("") == ["c129715d7a2bc9a3:1"]
    assert line_hashes(" a\nb\n  \t\tc\n d") == [
        "271789c17abda88f:1",
        "54703d4cd895b18:1",
        "180aee12dab6264:1",
        "a23a3dc5e078b07b:1",
    ]
    expected = [
        "e9496ae3ebfced30:1",
        "fb7c023a8b9ccb3f:1",
        "ce8ba1a563dcdaca:1",
        "e20e36e16fcb0cc8:1",
        "b3edc88f2938467e:1",
        "c8e28b0b4002a3a0:1",
        "c129715d7a2bc9a3:1",
    ]
    for text in (
        " hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n",
        " hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n",
        " hello; \t\nworld!!!\r\n\n\r  \t\tGreetings\r End\r\n",
    ):
        assert line_hashes(text) == expected


def test_line_hashes_count_repeated_lines():
    hashes = line_hashes("Lorem ipsum dolor sit amet.\n" * 10)
    assert hashes[:7] == [f"a7f2ff13bc495cf2:{n}" for n in range(1, 7)] + ["a7f2ff1481e87703:1"]
    assert hashes[-1] == "c129715d7a2bc9a3:1"
    assert len(hashes) == 11


def test_result_line_hash_is_the_hash_of_its_start_line():
    log = render()
    hashes = line_hashes(MAIN)
    for result in results_of(log):
        location = result["locations"][0]["physicalLocation"]
        if location["artifactLocation"]["uri"] == "app/main.py":
            line = location["region"]["startLine"]
            assert result["partialFingerprints"]["primaryLocationLineHash"] == hashes[line - 1]


def test_perfscan_fingerprint_survives_line_moves_and_reindent():
    moved = "import time\n\n\n\nasync def handler():\n        time.sleep(1)\n"
    before = render({"a.py": "import time\nasync def handler():\n    time.sleep(1)\n"})
    after = render({"a.py": moved})
    fp = lambda log: results_of(log)[0]["partialFingerprints"]["perfscan/v1"]  # noqa: E731
    assert fp(before) == fp(after)
    assert fp(before) == perfscan_fingerprint("PF998", "a.py", "time.sleep", 1)
    assert perfscan_fingerprint("PF998", "a.py", "time.sleep", 2) != fp(before)


def test_line_hash_includes_byte_order_mark_of_the_file_on_disk(tmp_path):
    text = "import time\ntime.sleep(1)\n"
    path = tmp_path / "bom.py"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    source, note = source_from_bytes(str(path), "bom.py", "python", path.read_bytes())
    assert note is None
    result = check_sources([source], str(tmp_path), Config(), rules=RULES)
    log = json.loads(render_sarif(result, RULES))
    [result_json] = results_of(log)
    expected = line_hashes("\ufeff" + text)[1]
    assert result_json["partialFingerprints"]["primaryLocationLineHash"] == expected
    assert log["runs"][0]["artifacts"][0]["length"] == len(text.encode()) + 3


# -- structure ----------------------------------------------------------------------


def test_output_is_valid_against_the_sarif_schema():
    if not SCHEMA.is_file():
        pytest.skip(f"SARIF schema not found at {SCHEMA} (set SARIF_SCHEMA)")
    from jsonschema import validators

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator_class = validators.validator_for(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(render())]
    assert errors == []


def test_run_header_tool_and_rules():
    log = render()
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    run = log["runs"][0]
    assert run["columnKind"] == "utf16CodeUnits"
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": "file:///project/"}}
    driver = run["tool"]["driver"]
    assert driver["name"] == "perfscan"
    assert [rule["id"] for rule in driver["rules"]] == ["PF997", "PF998"]
    rule = driver["rules"][1]
    assert rule["name"] == "TestSleepCall"
    assert rule["shortDescription"]["text"] == SleepInAsync.summary
    assert rule["fullDescription"]["text"] == "Flags `time.sleep` calls."
    assert rule["help"]["markdown"] == SleepInAsync.markdown()
    assert "helpUri" not in rule, "no guessed link: helpUri comes only from the help-uri config"
    assert "informationUri" not in driver
    assert rule["defaultConfiguration"] == {"level": "warning"}
    assert rule["properties"]["tags"] == ["performance", "async"]
    assert rule["properties"]["precision"] == "high"
    assert "security-severity" not in rule["properties"]
    assert driver["rules"][0]["defaultConfiguration"] == {"level": "note"}


def test_help_uri_comes_from_the_config_template(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.perfscan]\nhelp-uri = "https://docs.example.org/perfscan/{code}.html#{anchor}"\n'
    )
    config = load_config(str(tmp_path / "pyproject.toml"))
    log = json.loads(render_sarif(check_text(FILES, rules=RULES), RULES, help_uri=config.help_uri))
    rule = log["runs"][0]["tool"]["driver"]["rules"][1]
    assert rule["helpUri"] == "https://docs.example.org/perfscan/PF998.html#pf998-test-sleep-call"
    assert log["runs"][0]["tool"]["driver"]["informationUri"] == "https://docs.example.org/perfscan/"


@pytest.mark.parametrize("value", ['"docs/{code}"', '"https://x.org/{nope}"', "3"])
def test_help_uri_config_rejects_what_is_not_a_url_template(tmp_path, value):
    (tmp_path / "pyproject.toml").write_text(f"[tool.perfscan]\nhelp-uri = {value}\n")
    with pytest.raises(ConfigError, match="help-uri"):
        load_config(str(tmp_path / "pyproject.toml"))


def test_results_have_rule_index_level_relative_uri_and_region():
    log = render()
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    artifacts = log["runs"][0]["artifacts"]
    results = results_of(log)
    assert len(results) == 3  # the suppressed one is left out
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == "PF998"
        assert result["level"] == "warning"
        artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert artifacts[artifact["index"]]["location"]["uri"] == artifact["uri"]
    assert [a["location"]["uri"] for a in artifacts] == ["app/main.py", "app/my%20views/%C3%BC.py"]
    assert artifacts[0]["sourceLanguage"] == "python"
    # Column after a non-ASCII character counts UTF-16 units; the snippet is the region's text.
    region = results[1]["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"], region["endLine"], region["endColumn"]) == (6, 14, 6, 24)
    assert region["snippet"]["text"] == "time.sleep"
    context = results[0]["locations"][0]["physicalLocation"]["contextRegion"]
    assert (context["startLine"], context["endLine"]) == (3, 5)
    assert context["snippet"]["text"] == "\n".join(MAIN.split("\n")[2:5])
    assert results[0]["message"]["text"] == "`time.sleep` blocks the event loop; see [the import](1)."


def test_related_locations_match_message_link_ids():
    result = results_of(render())[0]
    [related] = result["relatedLocations"]
    assert related["id"] == 1
    assert related["message"]["text"] == "the import"
    assert related["physicalLocation"]["region"]["startLine"] == 1
    assert "[the import](1)" in result["message"]["text"]


def test_code_flow_lists_steps_with_inline_locations():
    result = results_of(render())[0]
    [flow] = result["codeFlows"]
    steps = flow["threadFlows"][0]["locations"]
    assert [s["location"]["message"]["text"] for s in steps] == ["imported here", "called here"]
    assert [s["location"]["physicalLocation"]["region"]["startLine"] for s in steps] == [1, 4]


def test_fix_replacement_region_and_inserted_text():
    [fix] = results_of(render())[0]["fixes"]
    assert fix["description"]["text"] == "Use `asyncio.sleep`."
    [change] = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "app/main.py"
    [replacement] = change["replacements"]
    assert replacement["deletedRegion"] == {"startLine": 4, "startColumn": 5, "endLine": 4, "endColumn": 15}
    assert replacement["insertedContent"] == {"text": "asyncio.sleep"}


def test_suppressed_finding_carries_in_source_suppression():
    from perfscan.reporters.common import ReportOptions

    # GitHub does not honour `suppressions`: left out unless asked for.
    assert not [r for r in results_of(render()) if r["locations"][0]["physicalLocation"]["region"]["startLine"] == 5]
    results = results_of(render(options=ReportOptions(sarif_include_suppressed=True)))
    suppressed = [r for r in results if "suppressions" in r]
    assert len(suppressed) == 1
    assert suppressed[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 5
    assert suppressed[0]["suppressions"] == [
        {"kind": "inSource", "justification": "# perfscan: ignore[PF998] startup only"}
    ]


def test_notifications_for_undecodable_and_unparseable_files(tmp_path):
    result = RunResult(root=str(tmp_path))
    _, decode_note = source_from_bytes(str(tmp_path / "latin.py"), "latin.py", "python", b"x = '\xe9'\n")
    result.notifications.append(decode_note)
    broken, _ = source_from_bytes(str(tmp_path / "broken.py"), "broken.py", "python", b"def (:\n")
    check_sources([broken], str(tmp_path), Config(), rules=RULES, result=result)
    invocation = json.loads(render_sarif(result, RULES))["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True
    notes = {n["descriptor"]["id"]: n for n in invocation["toolExecutionNotifications"]}
    assert set(notes) == {"decode", "partial-parse"}
    assert notes["decode"]["level"] == "error"
    decode_location = notes["decode"]["locations"][0]["physicalLocation"]
    assert decode_location["artifactLocation"] == {"uri": "latin.py", "uriBaseId": "%SRCROOT%"}
    assert decode_location["region"] == {"startLine": 1}
    assert notes["partial-parse"]["level"] == "warning"
    assert notes["partial-parse"]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "broken.py"


def test_internal_error_marks_execution_unsuccessful():
    class Crashes(SleepInAsync):
        code = "PF996"
        name = "test-crashes"

        def check(self, ctx):
            raise ValueError("boom")

    result = check_text({"a.py": "x = 1\n"}, rules=[Crashes()])
    invocation = json.loads(render_sarif(result, [Crashes()]))["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0]["descriptor"]["id"] == "internal-error"


def test_results_over_github_limit_are_cut_with_a_notification(monkeypatch):
    from perfscan.reporters import sarif

    monkeypatch.setattr(sarif, "MAX_RESULTS", 2)
    run = render()["runs"][0]
    locations = [r["locations"][0]["physicalLocation"] for r in run["results"]]
    kept = [(loc["artifactLocation"]["uri"], loc["region"]["startLine"]) for loc in locations]
    # Active findings before the suppressed one, then file order.
    assert kept == [("app/main.py", 4), ("app/main.py", 6)]
    [note] = run["invocations"][0]["toolExecutionNotifications"]
    assert note["descriptor"]["id"] == "results-truncated"
    assert note["message"]["text"].startswith("1 of 3 results were left out")
    assert [a["location"]["uri"] for a in run["artifacts"]] == ["app/main.py"]


def test_snippets_dropped_when_over_github_upload_size(monkeypatch):
    from perfscan.reporters import sarif

    monkeypatch.setattr(sarif, "MAX_UPLOAD_GZIP_BYTES", 100)
    location = results_of(render())[0]["locations"][0]["physicalLocation"]
    assert "snippet" not in location["region"] and "contextRegion" not in location
    assert location["region"]["startLine"] == 4


def test_empty_run_keeps_results_and_rules_arrays():
    log = render({"a.py": "x = 1\n"}, rules=[])
    run = log["runs"][0]
    assert run["results"] == []
    assert run["tool"]["driver"]["rules"] == []
    assert "artifacts" not in run


def test_output_is_deterministic():
    first = render_sarif(check_text(FILES, rules=RULES), RULES)
    reordered = dict(reversed(list(FILES.items())))
    second = render_sarif(check_text(reordered, rules=list(reversed(RULES))), RULES)
    assert first == second
    assert first.endswith("}\n")


def test_helpers():
    assert pascal_case("blocking-call-in-async") == "BlockingCallInAsync"
    assert relative_uri("app/[id]/page.tsx") == "app/%5Bid%5D/page.tsx"
    assert relative_uri("src/a b/c@2.ts") == "src/a%20b/c@2.ts"


# -- the shared validator ------------------------------------------------------------


def test_output_passes_shared_validate_script(tmp_path):
    if not VALIDATE.is_file():
        pytest.skip(f"validator script not found at {VALIDATE}")
    if not SCHEMA.is_file():
        pytest.skip(f"SARIF schema not found at {SCHEMA} (set SARIF_SCHEMA)")
    output = tmp_path / "out.sarif"
    # With the docs' address configured, as a team publishing them would: the multitool asks for
    # the tool's informationUri, which perfscan gives only from `help-uri`, never guessed.
    report = render_sarif(check_text(FILES, rules=RULES), RULES, help_uri="https://docs.example.org/perfscan/rules.html#{anchor}")
    output.write_text(report, encoding="utf-8")
    # STRICT: warnings (e.g. a message link without its related location) fail too.
    env = dict(os.environ, SARIF_PYTHON=sys.executable, SARIF_SCHEMA=str(SCHEMA), STRICT="1")
    if not env.get("SARIF_MULTITOOL"):
        env["SKIP_MULTITOOL"] = "1"
    completed = subprocess.run(
        ["bash", str(VALIDATE), str(output)], env=env, capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "RESULT:" in completed.stdout and "PASSED" in completed.stdout
