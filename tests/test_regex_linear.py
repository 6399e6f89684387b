"""Every regular expression perfscan ships runs in linear time.

perfscan reads code nobody here wrote: one pattern that backtracks on a licence banner hangs the
whole run. This test finds every compiled pattern at module level in perfscan (and refuses
inline patterns, which it could not see), builds adversarial inputs from the characters each
pattern mentions (long runs of one character, a delimiter then a run, two characters
alternating, the pattern's own literal pieces repeated) and compares the time on 10 KB with the
time on 1 MB of the worst input: a linear pattern takes about 100 times as long, a quadratic one
about 10,000 times. Each pattern is measured in a child process, killed if it does not finish:
an exponential pattern never gets to 1 MB.
"""

from __future__ import annotations

import ast
import importlib
import multiprocessing
import pkgutil
import re
import re._constants as sre
import re._parser as sre_parse
import time
from pathlib import Path

import pytest

import perfscan
import perfscan.grammars
import perfscan.rules

SMALL, LARGE = 10_000, 1_000_000
# Linear is ~100x from 10 KB to 1 MB; quadratic is ~10,000x. The bound leaves room for noise
# and for cache effects on the large input, and still catches n^1.5.
MAX_GROWTH = 600
HANG_GUARD_S = 60  # only a guard against a hang: the verdict is the growth ratio

# re.compile calls whose pattern is not a literal, with why they are safe.
DYNAMIC_PATTERNS = {
    # One alternation of the regexes pathspec itself builds from the user's .gitignore; it only
    # answers "could any pattern match" before pathspec checks them one by one anyway.
    ("discovery.py", "_any_pattern"),
}


def _perfscan_modules():
    for package in (perfscan, perfscan.rules, perfscan.grammars):
        yield package.__name__, package
        for info in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + "."):
            if info.name.endswith("__main__"):
                continue
            yield info.name, importlib.import_module(info.name)


def module_patterns() -> dict[str, re.Pattern]:
    patterns = {}
    for module_name, module in _perfscan_modules():
        for attribute, value in vars(module).items():
            if isinstance(value, re.Pattern):
                patterns.setdefault(f"{module_name}.{attribute}", value)
    return patterns


# -- inputs -----------------------------------------------------------------------------

_CATEGORY_SAMPLES = {
    sre.CATEGORY_DIGIT: "7",
    sre.CATEGORY_NOT_DIGIT: "x",
    sre.CATEGORY_SPACE: " \n\t",
    sre.CATEGORY_NOT_SPACE: "x",
    sre.CATEGORY_WORD: "a_9",
    sre.CATEGORY_NOT_WORD: "-",
    sre.CATEGORY_LINEBREAK: "\n",
    sre.CATEGORY_NOT_LINEBREAK: "x",
}


def _walk(parsed, chars: set, literals: list, run: list) -> None:
    """Characters the pattern names, and its runs of consecutive literals."""

    def flush():
        if len(run) > 1:
            literals.append("".join(run))
        run.clear()

    for op, arg in parsed:
        if op is sre.LITERAL:
            chars.add(chr(arg))
            run.append(chr(arg))
            continue
        flush()
        if op is sre.NOT_LITERAL:
            chars.add(chr(arg))
        elif op is sre.IN:
            for item_op, item in arg:
                if item_op is sre.LITERAL:
                    chars.add(chr(item))
                elif item_op is sre.RANGE:
                    chars.update((chr(item[0]), chr(item[1])))
                elif item_op is sre.CATEGORY:
                    chars.update(_CATEGORY_SAMPLES.get(item, ""))
        elif op is sre.CATEGORY:
            chars.update(_CATEGORY_SAMPLES.get(arg, ""))
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            _walk(arg[2], chars, literals, [])
        elif op is sre.SUBPATTERN:
            _walk(arg[-1], chars, literals, [])
        elif op is sre.BRANCH:
            for branch in arg[1]:
                _walk(branch, chars, literals, [])
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            _walk(arg[1], chars, literals, [])
        elif op is sre.ATOMIC_GROUP:
            _walk(arg, chars, literals, [])
    flush()


def adversarial_inputs(pattern: re.Pattern, size: int) -> list[str]:
    source = pattern.pattern.decode("latin-1") if isinstance(pattern.pattern, bytes) else pattern.pattern
    chars: set = set()
    literals: list = []
    _walk(sre_parse.parse(source, pattern.flags), chars, literals, [])
    alphabet = sorted(chars | {"x", " ", "\n"})
    inputs = []
    for a in alphabet:
        inputs.append(a * size)
        for b in alphabet:
            if a != b:
                inputs.append(a + b * (size - 1))
                inputs.append((a + b) * (size // 2))
    for piece in literals:
        inputs.append(piece * (size // len(piece)))
        for b in alphabet:
            inputs.append(piece + b * (size - len(piece)))
    return inputs


def _as_subject(pattern: re.Pattern, text: str):
    return text.encode("latin-1", "replace") if isinstance(pattern.pattern, bytes) else text


def _scan_time(pattern: re.Pattern, subject, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _match in pattern.finditer(subject):
            pass
        best = min(best, time.perf_counter() - start)
    return best


def _growth(pattern: re.Pattern) -> tuple[float, str]:
    """The worst (1 MB time / 10 KB time) over the adversarial inputs, and that input's start."""
    # Screen every input at 1 KB and 10 KB, then measure the three that grew most at 10 KB
    # and 1 MB (measuring every input at 1 MB would take minutes).
    small = adversarial_inputs(pattern, SMALL // 10)
    large = adversarial_inputs(pattern, SMALL)
    screened = []
    for index, (a, b) in enumerate(zip(small, large)):
        t_small = _scan_time(pattern, _as_subject(pattern, a), 1)
        t_large = _scan_time(pattern, _as_subject(pattern, b), 1)
        screened.append((t_large / max(t_small, 1e-7), index))
    worst = (0.0, "")
    final_small = adversarial_inputs(pattern, SMALL)
    final_large = adversarial_inputs(pattern, LARGE)
    for _ratio, index in sorted(screened, reverse=True)[:3]:
        t_small = _scan_time(pattern, _as_subject(pattern, final_small[index]), 5)
        t_large = _scan_time(pattern, _as_subject(pattern, final_large[index]), 2)
        # Below 20 µs the small time is mostly call overhead; count it as 20 µs.
        ratio = t_large / max(t_small, 2e-5)
        worst = max(worst, (ratio, final_large[index][:12]))
    return worst


def _measure_in_child(pattern: re.Pattern, connection) -> None:
    connection.send(_growth(pattern))


def measured_growth(pattern: re.Pattern, guard_s: float = HANG_GUARD_S) -> tuple[float, str]:
    """`_growth` in a forked child; infinity when the child does not finish in `guard_s`."""
    context = multiprocessing.get_context("fork")
    parent_end, child_end = context.Pipe(duplex=False)
    child = context.Process(target=_measure_in_child, args=(pattern, child_end))
    child.start()
    child_end.close()
    try:
        if not parent_end.poll(guard_s):
            return float("inf"), "(did not finish)"
        return parent_end.recv()
    finally:
        child.kill()
        child.join()


PATTERNS = module_patterns()


def test_every_module_pattern_is_found():
    # The patterns this test must cover; a new one is picked up by itself, a lost one is a bug.
    assert "perfscan.facts.python_db._MANAGER_NAME" in PATTERNS
    assert "perfscan.reporters.common._LINK" in PATTERNS
    assert "perfscan.rules.python.pf304_leading_wildcard_like.RAW_LEADING_LIKE" in PATTERNS
    assert len(PATTERNS) >= 12


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_pattern_runs_in_linear_time(name):
    # Noise (another process taking the CPU) only ever inflates a ratio, so a pattern over the
    # bound is measured again and the smallest ratio counts: a superlinear one stays over it.
    ratio, sample = measured_growth(PATTERNS[name])
    for _attempt in range(2):
        if ratio < MAX_GROWTH:
            break
        ratio, sample = min((ratio, sample), measured_growth(PATTERNS[name]))
    assert ratio < MAX_GROWTH, f"{name}: 1 MB takes {ratio:.0f}x the time of 10 KB on input {sample!r}..."


@pytest.mark.parametrize(
    "source",
    [
        # The pattern that hung runs on licence banners (exponential).
        rb"\.(?:\s|#[^\n]*|\\\r?\n)*(?:objects)\b",
        # A link pattern whose text may contain '[': quadratic on a run of '['.
        r"\[([^\]]+)\]\((\d+)\)",
    ],
)
def test_the_measurement_catches_superlinear_patterns(source):
    ratio, _sample = measured_growth(re.compile(source), guard_s=2)
    assert ratio >= MAX_GROWTH


def test_manager_prefilter_walks_back_in_linear_time():
    """The Django-manager prefilter replaced a regex: the same growth bound holds for it."""
    from perfscan.facts.python_db import names_manager_attribute

    def growth(unit: bytes) -> float:
        small, large = unit * (SMALL // len(unit)), unit * (LARGE // len(unit))
        times = []
        for data, repeat in ((small, 5), (large, 2)):
            best = float("inf")
            for _ in range(repeat):
                start = time.perf_counter()
                names_manager_attribute(data)
                best = min(best, time.perf_counter() - start)
            times.append(best)
        return times[1] / max(times[0], 2e-5)

    for unit in (b"#", b".#", b"#\n", b"\n", b"objects\n", b"# x\n\n objects ", b"\\\n", b" . objects x"):
        assert growth(unit) < MAX_GROWTH, unit


# -- inline patterns -----------------------------------------------------------------------

_RE_FUNCTIONS = {"compile", "search", "match", "fullmatch", "findall", "finditer", "sub", "subn", "split"}


def _package_files():
    for package in (perfscan, perfscan.rules, perfscan.grammars):
        yield from Path(package.__path__[0]).rglob("*.py")


def test_no_pattern_hides_from_this_test():
    """Patterns are compiled at module level, where the test above finds them."""
    hidden = []
    for path in _package_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module_level = {id(node) for statement in tree.body for node in ast.walk(statement)
                        if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        functions = {}
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    functions.setdefault(id(inner), node.name)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "re"
                    and node.func.attr in _RE_FUNCTIONS):
                continue
            if node.func.attr == "compile" and id(node) in module_level:
                continue
            if (path.name, functions.get(id(node))) in DYNAMIC_PATTERNS:
                continue
            hidden.append(f"{path.name}:{node.lineno}: re.{node.func.attr}")
    assert hidden == []
