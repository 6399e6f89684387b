"""Test code is not a hot path: which files are tests, and what hot-path rules do there.

A rule with `hot_path_only = True` (PF2xx, PF3xx: blocking calls, queries; PF101-PF104: React
render work) reports nothing in a test file by default: a `time.sleep` in a test, a query in a
fixture's loop or an inline callback in a test's wrapper component costs a test run, not a user. `--include-tests` (or `include-tests = true`) turns them back on there, at
level `note`. Which files are tests: gitignore-style patterns relative to the project root,
config `test-paths`, by default `DEFAULT_TEST_PATHS`. One-off scripts are not in the default
list; a team that wants them quiet adds `"scripts/"` to `test-paths`.

The policy is one of the project settings (`config.project_settings`): the engine applies it
when it runs the rules of a file, and the project index reads it too, so an async test calling
a blocking helper does not count as one of the helper's callers unless tests are included.
"""

from __future__ import annotations

import functools

import pathspec

DEFAULT_TEST_PATHS = (
    "tests/", "test/", "test_*.py", "*_test.py", "conftest.py", "tests.py",  # Django's `app/tests.py`
    # JS/TS: Jest/Vitest test files and folders, Storybook stories (a story renders once, for a designer)
    "__tests__/", "*.test.[cm][jt]s", "*.test.[jt]s", "*.test.[jt]sx", "*.spec.[cm][jt]s", "*.spec.[jt]s", "*.spec.[jt]sx",
    "*.stories.[jt]s", "*.stories.[jt]sx", "*.stories.mdx",
)
# project_settings keys
TEST_PATHS = "test_paths"
INCLUDE_TESTS = "include_tests"
TEST_LEVEL = "note"


@functools.lru_cache(maxsize=32)
def _spec(patterns: tuple):
    return pathspec.GitIgnoreSpec.from_lines(patterns)


def test_patterns(settings: dict) -> tuple:
    return tuple(settings.get(TEST_PATHS) or DEFAULT_TEST_PATHS)


def includes_tests(settings: dict) -> bool:
    return bool(settings.get(INCLUDE_TESTS, False))


def is_test_path(settings: dict, rel_path: str) -> bool:
    """Whether the file at `rel_path` (POSIX, relative to the project root) is test code."""
    patterns = test_patterns(settings)
    return bool(patterns) and _spec(patterns).match_file(rel_path)


is_test_path.__test__ = False  # not a pytest test, whatever its name says
test_patterns.__test__ = False
