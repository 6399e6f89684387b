"""Per-file semantic facts, built once per file and shared by every rule.

Facts on demand: a file gets the full model only where something can ask for it. Test code
is not a hot path (analyzer/test_paths.py): unless tests are included, the hot-path rules do
not run on a test file and the project index does not count its functions as callers. A test
module the runner collects (`test_*.py`, `*_test.py`, `conftest.py`, `tests.py`) is imported by no
application code either, so it needs its names only (module, imports, functions, classes: for
name resolution across files) -- unless a rule that does run there may need more of it
(`Rule.needs_facts`). Helper modules in test folders keep their full facts: application code
may call them (saleor's `populatedb` runs `checkout/tests/utils.py`). On a large Django project
such test modules are 40 % of the bytes (saleor).
What only the cross-stack route map reads (a TS/TSX file's requests, a Python file's router
mounts) is summarized only where it can link something: in a project with both sides, or for
`perfscan routes` (`reads_cross_stack`).
`PERFSCAN_EAGER_FACTS=1` builds the full model for every file, to compare (the findings must
be the same: tests/test_facts_on_demand.py, benchmarks/same_findings.py).
"""

from __future__ import annotations

import functools
import os

from ..source import SourceFile
from ..test_paths import includes_tests, is_test_path, test_patterns

EAGER_ENV = "PERFSCAN_EAGER_FACTS"
# project settings (Config.project_settings) set by the run
BACKEND_IN_PROJECT = "backend_in_project"  # the project has Python files (engine)
FRONTEND_IN_PROJECT = "frontend_in_project"  # the project has TS/TSX files (engine)
LIST_REQUESTS = "list_requests"  # `perfscan routes`: every route and request, linked or not


def _eager() -> bool:
    """Read at each decision: a test or a benchmark switches it within one process."""
    return os.environ.get(EAGER_ENV) == "1"


def is_test_module(rel_path: str) -> bool:
    """A module a test runner collects, by its file name: pytest's defaults, Django's `tests.py`."""
    name = rel_path.rsplit("/", 1)[-1]
    return name in ("conftest.py", "tests.py") or (
        name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))
    )


def build_facts(source: SourceFile, names_only: bool = False, cross_stack: bool = True):
    """`names_only` (Python): see `names_only()`; `cross_stack`: whether the summary holds what
    only the route map reads (`reads_cross_stack()`)."""
    if source.family == "python":
        from .python import PythonFacts

        return PythonFacts.build(source, names_only=names_only, routing=cross_stack)
    from .tsx import TsxFacts

    return TsxFacts.build(source, requests=cross_stack)


def reads_cross_stack(source: SourceFile, settings: dict) -> bool:
    """Whether a summary holds what only the route map reads, which links this project's
    frontend requests to its backend routes: a TS/TSX file's requests (and every call that may
    wrap one), a Python file's router mounts and URL confs. A project without the other side
    has nothing to link (the engine says which sides it has), unless `perfscan routes` lists
    them (LIST_REQUESTS). On a frontend alone, reading every call as a possible request was a
    fifth of the run."""
    if _eager() or settings.get(LIST_REQUESTS):
        return True
    other_side = BACKEND_IN_PROJECT if source.family == "tsx" else FRONTEND_IN_PROJECT
    return bool(settings.get(other_side, True))


def names_only(source: SourceFile, settings: dict) -> bool:
    """Whether `source` needs only its names (see the module docstring), under the project
    settings `settings` (test paths, include-tests). Every rule of the rule set that runs on
    test code is asked, selected or not: a summary does not depend on the selection, so the
    cache reuses summaries across rule sets."""
    if source.family != "python" or _eager():
        return False
    if includes_tests(settings) or not is_test_module(source.rel_path) or not is_test_path(settings, source.rel_path):
        return False
    return not any(rule.needs_facts(source) for rule in _rules_on_test_code(source.family))


@functools.lru_cache(maxsize=None)
def _rules_on_test_code(family: str) -> tuple:
    from ..rules import all_rules

    return tuple(rule for rule in all_rules() if family in rule.languages and not rule.hot_path_only)


def facts_mode_key(settings: dict) -> str:
    """What decides how much a summary holds (names only, the cross-stack parts), for the
    cache: a summary made under other settings is not reused."""
    if _eager():
        return "eager"
    sides = (settings.get(BACKEND_IN_PROJECT, True), settings.get(FRONTEND_IN_PROJECT, True),
             bool(settings.get(LIST_REQUESTS)))
    return repr((includes_tests(settings), test_patterns(settings), sides))
