"""The one-line integrations: the pre-commit hook (.pre-commit-hooks.yaml) and the composite GitHub
Action (action.yml), run locally with their own shell commands.

Two tests install perfscan from this checkout with pip (into pre-commit's environment, or the
Action's virtualenv) and so need PyPI and about a minute; they run only with
PERFSCAN_SLOW_INTEGRATIONS=1 (and pre-commit on PATH, or PRE_COMMIT=/path/to/pre-commit).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
SLOW = pytest.mark.skipif(
    os.environ.get("PERFSCAN_SLOW_INTEGRATIONS") != "1",
    reason="installs perfscan with pip from PyPI and this checkout; set PERFSCAN_SLOW_INTEGRATIONS=1",
)
PERFSCAN_BIN = Path(sys.executable).parent  # the environment running the tests has perfscan

# In fullstack-demo, backend/app/routes/reports.py has a finding of its own (time.sleep in an
# async route) and one that needs another file: build_summary reaches requests.get through
# services/analytics.py.
REPORTS = "backend/app/routes/reports.py"
OWN_FINDING = f"{REPORTS}:19:5: PF201"
CROSS_FILE_FINDING = f"{REPORTS}:28:12: PF201"


def copy_fixture(name: str, destination: Path) -> Path:
    root = destination / name
    shutil.copytree(FIXTURES / name, root, ignore=shutil.ignore_patterns(".perfscan_cache"))
    return root


def has_format(name: str) -> bool:
    out = subprocess.run([str(PERFSCAN_BIN / "perfscan"), "check", "--help"], capture_output=True, text=True)
    return re.search(rf"--format \[[^\]]*\b{name}\b", out.stdout) is not None


# -- pre-commit ------------------------------------------------------------------------------------


def load_hook() -> dict:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [h["id"] for h in hooks] == ["perfscan"]
    return hooks[0]


def test_pre_commit_hook_manifest():
    hook = load_hook()
    assert hook["language"] == "python"  # pre-commit pip-installs this repository for it
    assert hook["entry"] == "perfscan check"
    assert hook["pass_filenames"] is True and hook["require_serial"] is True
    # Every kind of file perfscan checks, by pre-commit's (identify's) type tags.
    assert set(hook["types_or"]) == {"python", "ts", "tsx", "javascript", "jsx"}


def run_hook_entry(root: Path, files: list[str]) -> subprocess.CompletedProcess:
    """What pre-commit runs: the entry, then the changed files, from the repository root."""
    entry = load_hook()["entry"].split()
    env = dict(os.environ, PATH=f"{PERFSCAN_BIN}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run([*entry, "--no-source", *files], cwd=root, env=env, capture_output=True, text=True, timeout=120)


def test_pre_commit_entry_on_one_changed_file_reports_its_own_findings(tmp_path):
    root = copy_fixture("fullstack-demo", tmp_path)
    out = run_hook_entry(root, [REPORTS])
    assert out.returncode == 1, out.stderr
    assert OWN_FINDING in out.stdout
    # Only the given file is reported, and the cache makes the next commit's run cheap.
    assert {line.split(":")[0] for line in out.stdout.splitlines() if ": PF" in line} == {REPORTS}
    assert (root / ".perfscan_cache").is_dir()


def test_pre_commit_entry_on_one_changed_file_keeps_cross_file_findings(tmp_path):
    root = copy_fixture("fullstack-demo", tmp_path)
    out = run_hook_entry(root, [REPORTS])
    assert CROSS_FILE_FINDING in out.stdout


@SLOW
def test_real_pre_commit_try_repo(tmp_path):
    """pre-commit itself installs the hook from this repository's last commit and runs it on one
    changed file of a git repository. (From a clone: `try-repo` on the working tree would take
    modified files but not new untracked ones, a mix that may not import.)"""
    pre_commit = os.environ.get("PRE_COMMIT") or shutil.which("pre-commit")
    if pre_commit is None:
        pytest.skip("pre-commit is not installed (pip install pre-commit; or set PRE_COMMIT)")
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    hook_repo = tmp_path / "perfscan-repo"
    subprocess.run(["git", "clone", "-q", str(REPO), str(hook_repo)], check=True)
    root = copy_fixture("fullstack-demo", tmp_path)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "."], cwd=root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "fixture"], cwd=root, check=True)
    with open(root / REPORTS, "a", encoding="utf-8") as handle:
        handle.write("\n# a change\n")
    subprocess.run([*git, "add", REPORTS], cwd=root, check=True)
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"))
    out = subprocess.run(
        [pre_commit, "try-repo", str(hook_repo), "perfscan", "--files", REPORTS, "--verbose"],
        cwd=root, env=env, capture_output=True, text=True, timeout=900,
    )
    assert out.returncode == 1, out.stdout + out.stderr  # the hook failed: it found something
    assert "perfscan" in out.stdout and "Failed" in out.stdout
    assert OWN_FINDING in out.stdout


# -- the GitHub Action -----------------------------------------------------------------------------


def load_action() -> dict:
    return yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))


_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_OPERAND = re.compile(r"'[^']*'|[A-Za-z_][\w.-]*|==|!=|&&|\|\||\(|\)")


class ActionRun:
    """Runs a composite action's steps as the runner does, for the forms action.yml uses: `if:`
    conditions over inputs and step outputs/outcomes, `${{ }}` values in `env:` and `with:`,
    `run:` scripts with `bash --noprofile --norc -eo pipefail`, and the GITHUB_OUTPUT and
    GITHUB_PATH files. A `uses:` step is recorded with its inputs, not run."""

    def __init__(self, workspace: Path, temp: Path, inputs: dict[str, str], uses_outcome: str = "success"):
        self.action = load_action()
        self.workspace, self.temp = workspace, temp
        self.inputs = {name: str(spec.get("default", "")) for name, spec in self.action["inputs"].items()}
        self.inputs.update(inputs)
        self.uses_outcome = uses_outcome
        self.steps: dict[str, dict] = {}  # id -> {"outputs", "outcome"}
        self.ran: list[str] = []  # names of the steps that ran
        self.used: list[tuple[str, dict]] = []  # (uses, with) of the `uses:` steps that ran
        self.stdout = ""
        self.path = [str(PERFSCAN_BIN)]  # what the skipped install step would have added

    def value(self, name: str) -> str:
        parts = name.split(".")
        if parts[0] == "inputs":
            return self.inputs[parts[1]]
        if parts[0] == "github" and parts[1] == "action_path":
            return str(REPO)
        if parts[0] == "steps":
            step = self.steps.get(parts[1], {"outputs": {}, "outcome": ""})
            return step["outputs"].get(parts[3], "") if parts[2] == "outputs" else step[parts[2]]
        raise KeyError(name)

    def evaluate(self, condition: str) -> bool:
        match = _EXPRESSION.fullmatch(condition.strip())
        text = match.group(1) if match else condition
        python = []
        for token in _OPERAND.findall(text):
            if token in ("==", "!=", "(", ")"):
                python.append(token)
            elif token in ("&&", "||"):
                python.append("and" if token == "&&" else "or")
            elif token.startswith("'"):
                python.append(repr(token[1:-1]))
            else:
                python.append(repr(self.value(token)))
        return bool(eval(" ".join(python)))  # noqa: S307 -- built only of literals and operators

    def substitute(self, text: str) -> str:
        return _EXPRESSION.sub(lambda m: self.value(m.group(1)), str(text))

    def run(self, skip: tuple[str, ...] = ("install",)) -> int:
        for step in self.action["runs"]["steps"]:
            step_id = step.get("id", step["name"])
            if "if" in step and not self.evaluate(step["if"]):
                continue
            if step_id in skip:
                continue
            self.ran.append(step["name"])
            if "uses" in step:
                self.used.append((step["uses"], {k: self.substitute(v) for k, v in step.get("with", {}).items()}))
                self.steps[step_id] = {"outputs": {}, "outcome": self.uses_outcome}
                continue
            status = self.run_script(step_id, step)
            self.steps[step_id]["outcome"] = "success" if status == 0 else "failure"
            if status != 0 and not step.get("continue-on-error"):
                return status
        return 0

    def run_script(self, step_id: str, step: dict) -> int:
        assert step["shell"] == "bash"
        files = {name: self.temp / f"{step_id}.{name}" for name in ("GITHUB_OUTPUT", "GITHUB_PATH", "GITHUB_ENV")}
        for file in files.values():
            file.write_text("", encoding="utf-8")
        script = self.temp / f"{step_id}.sh"
        script.write_text(step["run"], encoding="utf-8")
        env = dict(os.environ)
        env.update({name: str(file) for name, file in files.items()})
        env.update(RUNNER_TEMP=str(self.temp), GITHUB_WORKSPACE=str(self.workspace), GITHUB_ACTIONS="true",
                   CI="true", PATH=os.pathsep.join([*self.path, os.environ["PATH"]]))
        env.update({k: self.substitute(v) for k, v in step.get("env", {}).items()})
        out = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                             cwd=self.workspace, env=env, capture_output=True, text=True, timeout=600)
        self.stdout += out.stdout
        outputs = dict(line.split("=", 1) for line in files["GITHUB_OUTPUT"].read_text().splitlines() if "=" in line)
        self.steps[step_id] = {"outputs": outputs, "outcome": ""}
        self.path = files["GITHUB_PATH"].read_text().split() + self.path
        return out.returncode


def test_action_definition():
    action = load_action()
    assert action["runs"]["using"] == "composite"
    assert {"paths", "args", "sarif"} <= set(action["inputs"])
    uses = [step["uses"] for step in action["runs"]["steps"] if "uses" in step]
    assert "github/codeql-action/upload-sarif@v4" in uses
    for step in action["runs"]["steps"]:
        if "run" in step:  # inputs reach scripts through env only: no injection into the script
            assert "${{" not in step["run"], step["name"]


def action_on_the_fixture(tmp_path: Path, inputs: dict[str, str], uses_outcome: str = "success") -> ActionRun:
    """The action about to run on a copy of fixtures/react-memo-app, with an empty runner temp folder."""
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    return ActionRun(copy_fixture("react-memo-app", tmp_path), temp, inputs, uses_outcome=uses_outcome)


def test_action_checks_and_uploads_sarif(tmp_path):
    run = action_on_the_fixture(tmp_path, {"args": "--select PF1"})
    assert run.run() == 0  # findings, but fail-on-findings is off
    assert run.steps["check"]["outputs"]["exit-code"] == "1"
    sarif_file = run.steps["check"]["outputs"]["sarif-file"]
    assert sarif_file == str(run.temp / "perfscan.sarif")
    log = json.loads(Path(sarif_file).read_text(encoding="utf-8"))
    results = log["runs"][0]["results"]
    expected = (FIXTURES / "react-memo-app" / "expected-findings.txt").read_text(encoding="utf-8").splitlines()
    found = sorted(
        f"{r['locations'][0]['physicalLocation']['artifactLocation']['uri']}:"
        f"{r['locations'][0]['physicalLocation']['region']['startLine']}:"
        f"{r['locations'][0]['physicalLocation']['region']['startColumn']}: {r['ruleId']}"
        for r in results
    )
    assert found == sorted(line for line in expected if line.strip())
    assert run.used[-1] == ("github/codeql-action/upload-sarif@v4", {"sarif_file": sarif_file, "category": "perfscan"})
    assert "Annotate instead (the SARIF upload failed)" not in run.ran


def test_action_fails_on_findings_when_asked(tmp_path):
    run = action_on_the_fixture(tmp_path, {"fail-on-findings": "true"})
    assert run.run() == 1
    assert run.ran[-1] == "Fail on findings"
    assert "::error title=perfscan::perfscan found performance problems" in run.stdout


def test_action_stops_on_a_perfscan_error(tmp_path):
    run = action_on_the_fixture(tmp_path, {"args": "--select NOPE"})
    assert run.run() == 2
    assert run.ran == ["Set up Python", "Run perfscan"]
    assert run.used == [("actions/setup-python@v5", {"python-version": "3.12"})]  # no upload
    assert "::error title=perfscan::perfscan could not check the project (exit status 2)" in run.stdout


@pytest.mark.skipif(not has_format("github"), reason="`perfscan check --format github` is not there yet")
@pytest.mark.parametrize("sarif, upload", [("false", None), ("true", "failure")])
def test_action_annotates_without_sarif_or_when_the_upload_fails(tmp_path, sarif, upload):
    run = action_on_the_fixture(tmp_path, {"sarif": sarif}, uses_outcome=upload or "success")
    assert run.run() == 0
    annotations = [line for line in run.stdout.splitlines() if re.match(r"::(warning|error|notice) file=", line)]
    assert len(annotations) == 13, run.stdout  # the lines of fixtures/react-memo-app/expected-findings.txt
    assert any(line.startswith("::warning file=src/features/board/useTaskFilter.ts,line=17,") and "PF102" in line
               for line in annotations), annotations
    # a context value that changes only with its contents is a note (PF102): a notice annotation
    assert any(line.startswith("::notice file=src/context/BoardContext.tsx,line=15,") and "PF102" in line
               for line in annotations), annotations
    if upload == "failure":
        assert "the SARIF upload failed" in run.stdout


@SLOW
def test_action_install_step(tmp_path):
    """The install step as written: a virtualenv, pip install of this checkout, perfscan on PATH."""
    run = action_on_the_fixture(tmp_path, {})
    run.path = []  # perfscan must come from the install step
    assert run.run(skip=()) == 0
    assert run.path[0] == str(run.temp / "perfscan-venv" / "bin")
    assert run.steps["check"]["outputs"]["exit-code"] == "1"
