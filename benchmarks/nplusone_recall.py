"""perfscan's recall on the lazy-load cases of the `nplusone` library's own tests.

Usage: python benchmarks/nplusone_recall.py /path/to/nplusone [--verbose]

nplusone (https://github.com/jmcarp/nplusone) detects N+1 queries at run time. Its tests say, for
each piece of code they run, whether nplusone reports a lazy load there. This script reads those
tests (it fetches nothing), lists the code units they exercise, and checks whether perfscan's
PF301/PF302 report a finding inside each unit:

- SQLAlchemy (tests/test_sqlalchemy.py): each test function is a unit; it is a lazy-load case
  when it asserts `len(calls) == 1` or expects `NPlusOneError`, a negative when it asserts
  `len(calls) == 0`.
- Flask-SQLAlchemy (tests/test_flask_sqlalchemy.py): each route function is a unit, labelled by
  the tests that request its URL (`logger.log` called / `call_args_list` of 1 or more, or
  `NPlusOneError`: case; `not logger.log.called`: negative). Routes named `*_unused` are
  nplusone's *unused eager load* detector, not a lazy load, and are left out.
- Django (tests/testapp/testapp): the `calls` tests' bodies and the views (through urls.py)
  are units, labelled like the Flask ones. A `calls` test counts nplusone's lazy-load *signal*,
  which also fires for a single object (`Model.objects.first().user`): nplusone's middleware does
  not report those (`one_to_one_first`), and neither does perfscan (one object, one query, no
  N+1); they are listed as "single object" and not counted in the recall.

Units that runtime switches silence (`ignore(...)`, a whitelist) are the same code as a case: a
unit is a case when any test counts a lazy load in it. The files are copied under names that are
not test names (perfscan skips test files) into a temporary directory and checked there.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

RULES = ("PF301", "PF302")


@dataclass
class Unit:
    framework: str
    name: str
    path: str  # relative to the copied tree
    start: int
    end: int
    labels: set = field(default_factory=set)  # "case", "negative", "single"
    found: list = field(default_factory=list)

    @property
    def label(self) -> str:
        if "case" in self.labels:
            return "case"
        return "single" if "single" in self.labels else "negative"


def _functions(tree) -> dict:
    """name -> FunctionDef for every function, nested ones included (Flask routes)."""
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.setdefault(node.name, node)
    return out


def _asserts(test) -> str:
    """"case" / "negative" / None from a test's assertions on what nplusone reported."""
    text = ast.unparse(test)
    if "NPlusOneError" in text or re.search(r"len\((calls|logger\.log\.call_args_list)\) == [1-9]", text):
        return "case"
    if re.search(r"assert logger\.log\.called", text):
        return "case"
    if re.search(r"len\((calls|logger\.log\.call_args_list)\) == 0|not logger\.log\.called", text):
        return "negative"
    return None


def _requested_urls(test) -> list:
    return re.findall(r"\.get\('([^']+)'\)", ast.unparse(test))


def _single_object(unit_source: str) -> bool:
    """The lazy load is on one object from `.first()`/`.get()`/`.one()`, not on a row of many."""
    return not re.search(r"\[0\]\.|for \w+ in ", unit_source)


def collect(root: Path, work: Path) -> list:
    units = []
    tests = root / "tests"
    # SQLAlchemy
    copy = work / "case_sqlalchemy.py"
    shutil.copy(tests / "test_sqlalchemy.py", copy)
    tree = ast.parse(copy.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            label = _asserts(node)
            if label:
                units.append(Unit("sqlalchemy", node.name, copy.name, node.lineno, node.end_lineno, {label}))
    # Flask-SQLAlchemy: routes inside the `routes` fixture, labelled by the tests requesting them
    copy = work / "case_flask_sqlalchemy.py"
    shutil.copy(tests / "test_flask_sqlalchemy.py", copy)
    tree = ast.parse(copy.read_text())
    routes = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and ast.unparse(decorator.func).endswith(".route"):
                    routes[decorator.args[0].value] = node
    flask_units = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            label = _asserts(node)
            for url in _requested_urls(node):
                route = routes.get(url)
                if route is None or label is None or route.name.endswith("_unused"):
                    continue
                unit = flask_units.setdefault(
                    route.name, Unit("flask-sqlalchemy", route.name, copy.name, route.lineno, route.end_lineno)
                )
                unit.labels.add(label)
    units += flask_units.values()
    # Django: the test app's models, views and urls, and the `calls` tests' bodies
    app = work / "testapp"
    shutil.copytree(tests / "testapp" / "testapp", app)
    (app / "tests.py").rename(app / "cases.py")
    shutil.copy(tests / "utils.py", work / "utils.py")
    views_source = (app / "views.py").read_text()
    views = _functions(ast.parse(views_source))
    urls = dict(re.findall(r"url\(r'\^([\w_]+)/\$', views\.(\w+)\)", (app / "urls.py").read_text()))
    cases_tree = ast.parse((app / "cases.py").read_text())
    django_units = {}
    for node in ast.walk(cases_tree):
        if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test_")):
            continue
        label = _asserts(node)
        if label is None:
            continue
        requested = _requested_urls(node)
        if not requested:  # a `calls` test: its own body is the code
            body = ast.get_source_segment((app / "cases.py").read_text(), node)
            if label == "case" and _single_object(body):
                label = "single"
            unit = Unit("django", node.name, "testapp/cases.py", node.lineno, node.end_lineno, {label})
            django_units[("cases", node.name)] = unit
            continue
        for url in requested:
            view = views.get(urls.get(url.strip("/"), ""))
            if view is None or view.name.endswith("_unused"):
                continue
            unit = django_units.setdefault(
                ("views", view.name), Unit("django", view.name, "testapp/views.py", view.lineno, view.end_lineno)
            )
            body = ast.get_source_segment(views_source, view)
            unit.labels.add("single" if label == "case" and _single_object(body) else label)
    units += django_units.values()
    return units


def run_perfscan(work: Path) -> list:
    out = work.parent / "perfscan.json"
    command = [sys.executable, "-m", "perfscan", "check", str(work), "--format", "json", "--no-cache",
               "--exit-zero", "-o", str(out)]  # fmt: skip
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())["findings"]


def _location(finding) -> tuple:
    """(path relative to the scanned tree, line) of a JSON finding."""
    return finding["path"], finding["line"]


def main(argv: list) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 2
    root = Path(argv[0]).resolve()
    verbose = "--verbose" in argv
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "nplusone_cases"
        work.mkdir()
        units = collect(root, work)
        findings = [f for f in run_perfscan(work) if f["code"] in RULES]
        for finding in findings:
            path, line = _location(finding)
            for unit in units:
                if path.endswith(unit.path) and unit.start <= line <= unit.end:
                    unit.found.append(f"{finding['code']}:{line}")
    print(f"{'framework':18} {'unit':42} {'nplusone':9} perfscan")
    for unit in sorted(units, key=lambda u: (u.framework, u.label, u.name)):
        print(f"{unit.framework:18} {unit.name:42} {unit.label:9} {', '.join(unit.found) or '-'}")
    print()
    for framework in ("sqlalchemy", "flask-sqlalchemy", "django", None):
        chosen = [u for u in units if framework is None or u.framework == framework]
        cases = [u for u in chosen if u.label == "case"]
        negatives = [u for u in chosen if u.label == "negative"]
        singles = [u for u in chosen if u.label == "single"]
        found = sum(1 for u in cases if u.found)
        flagged_negatives = sum(1 for u in negatives if u.found)
        print(
            f"{framework or 'all':18} recall {found}/{len(cases)}"
            f"{f' ({100 * found / len(cases):.0f}%)' if cases else ''}; "
            f"negatives flagged {flagged_negatives}/{len(negatives)}; "
            f"single-object loads flagged {sum(1 for u in singles if u.found)}/{len(singles)}"
        )
    if verbose:
        for unit in units:
            print(unit)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
