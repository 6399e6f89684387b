"""PF001 hot-spot: a function that holds a large share of a recorded profile and carries no
finding.

The work is done by the measure stage (analyzer/profiles/measure.py), after every rule has run
and only when `perfscan check --profile FILE` gives a profile; this class holds the rule's
code, documentation and examples, so it is listed, explained and described in SARIF like any
rule.
"""

from __future__ import annotations

import json

from perfscan.rule import Rule, flag, ok


def _speedscope(*samples) -> str:
    """A speedscope profile of `example.py` in the documented format: frames, and per sample
    the stack of frame indices (root first) with a weight in seconds."""
    frames = [{"name": "main", "file": "/srv/app/example.py", "line": 1},
              {"name": "build_rows", "file": "/srv/app/example.py", "line": 5},
              {"name": "send", "file": "/srv/app/example.py", "line": 10},
              {"name": "select", "file": "/usr/lib/python3.12/selectors.py", "line": 451}]
    return json.dumps({
        "$schema": "https://www.speedscope.app/file-format-schema.json",
        "shared": {"frames": frames},
        "profiles": [{"type": "sampled", "name": "example", "unit": "seconds", "startValue": 0,
                      "endValue": sum(w for _, w in samples), "samples": [list(s) for s, _ in samples],
                      "weights": [w for _, w in samples]}],
    })


_CODE = """
    def main(orders):
        return build_rows(orders)


    def build_rows(orders):
        return [sum(line.price for line in order.lines) for order in orders]


    def send(rows):
        print(rows)
    """


class HotSpot(Rule):
    code = "PF001"
    name = "hot-spot"
    languages = frozenset({"python", "tsx"})
    level = "note"
    tags = ("profile",)
    precision = "high"
    # Off unless a profile is given (`perfscan check --profile FILE`); `--ignore PF001` turns it off then.
    opt_in = True
    switch = "profiled"
    summary = "A function holds a large share of the recorded profile and no rule explains why."
    what_it_does = """
        With `perfscan check --profile FILE`, lists each function or component of the project
        whose own time (its code and the library calls it makes, not the project functions it
        calls) is more than 5 % of the profile (`--hot-spot-share PERCENT`) and that carries no
        finding. For a React Profiler export, a component whose own render time is more than
        that share of the commits. These are the places to start from that no static rule
        could name: most of the time is there, and no known anti-pattern is. Only given a
        profile; `perfscan explain profile` says how to record one.
    """
    why_slow = """
        A profile says where the time goes; rules say why code is slow when it matches a known
        pattern. A function that holds 38 % of a request's time with no finding is slow for a
        reason no rule knows: an algorithm that is quadratic in the data, a large
        serialisation, a library used in a costly way. Of all the findings, those are often the
        ones that matter most, and the 80/20 list starts with them.
    """
    how_to_measure = """
        Record a profile of the slow request, script or page (`perfscan explain profile` gives
        the one-line commands: `python -m cProfile -o app.prof`, `py-spy record -f speedscope`,
        `pyinstrument -r json`, a Chrome Performance recording, a React Profiler export), then
        `perfscan check . --profile app.prof`. To see inside the function, profile it line by
        line: `pip install line_profiler`, decorate it with `@profile` and run
        `kernprof -lv script.py`.
    """
    use_instead = """
        Look at the algorithm and the data size first (a sort or lookup inside a loop, a list
        used as a set), then at what it calls. Once fixed, record again and compare:
        `perfscan check . --profile before.prof --profile-compare after.prof` shows the
        change per finding. A hot spot that is simply the work the program must do is fine:
        `--ignore PF001` or a higher `--hot-spot-share` leaves it out.
    """
    examples = (
        flag(
            _CODE,
            (5, 5),
            profile=_speedscope(((0, 1), 4.1), ((0,), 0.2), ((0, 1, 2), 0.1)),
            shown=True,
        ),
        ok(
            _CODE,
            why="a function under 5 % of the profile is not listed; time outside the project (an idle event loop) names no function of it",
            profile=_speedscope(((0, 1), 0.1), ((3,), 4.1)),
        ),
        ok(
            """
            import requests

            async def handler(url):
                return requests.get(url)
            """,
            why="without a profile nothing is measured: PF001 is silent",
        ),
    )

    def check(self, ctx):
        return ()  # reported by the measure stage, after every rule, from the profiles given

    def needs_facts(self, source):
        return False  # the measure stage reads profiles and findings, never a file's facts
