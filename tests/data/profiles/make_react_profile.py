"""Writes tests/data/profiles/fullstack-react-profile.json: a React DevTools Profiler export
("Save profile..." in the Profiler tab, format version 5) shaped like one recorded on
fixtures/fullstack-demo's frontend while typing into a search box 12 times. It is NOT a
browser recording (none can be made here): the structure follows the DevTools export
(dataForRoots -> commitData with fiberActualDurations / fiberSelfDurations, snapshots naming
each fiber), the component tree is the demo's (App > SessionContext.Provider > UserList >
UserRow x 40, Leaderboard, ProductGrid), and the durations are chosen, deterministic numbers.

    python tests/data/profiles/make_react_profile.py
"""

import json
import pathlib

ROWS = 40
APP, PROVIDER, USER_LIST, LEADERBOARD, PRODUCT_GRID = 1, 2, 3, 4, 5
FIRST_ROW = 100


def snapshot(fiber: int, name: str, children: list, hoc=()) -> list:
    return [fiber, {"id": fiber, "children": children, "displayName": name, "hocDisplayNames": list(hoc) or None,
                    "key": None, "type": 5}]


def main() -> None:
    rows = list(range(FIRST_ROW, FIRST_ROW + ROWS))
    snapshots = [
        snapshot(APP, "App", [PROVIDER]),
        snapshot(PROVIDER, "SessionContext.Provider", [USER_LIST, LEADERBOARD, PRODUCT_GRID]),
        snapshot(USER_LIST, "UserList", rows),
        snapshot(LEADERBOARD, "Leaderboard", []),
        snapshot(PRODUCT_GRID, "ProductGrid", []),
        *(snapshot(row, "UserRow", [], hoc=["Memo"]) for row in rows),
    ]
    commits = []
    for number in range(12):
        row_ms = 0.35 + 0.01 * (number % 3)  # every row re-renders: its props are new each time
        selfs = [[APP, 0.4], [PROVIDER, 0.1], [USER_LIST, 2.6], [LEADERBOARD, 3.1], [PRODUCT_GRID, 6.2],
                 *([row, row_ms] for row in rows)]
        rows_total = row_ms * ROWS
        actuals = [[APP, 0.4 + 0.1 + 2.6 + rows_total + 3.1 + 6.2], [PROVIDER, 0.1 + 2.6 + rows_total + 3.1 + 6.2],
                   [USER_LIST, 2.6 + rows_total], [LEADERBOARD, 3.1], [PRODUCT_GRID, 6.2],
                   *([row, row_ms] for row in rows)]
        commits.append({
            "changeDescriptions": None, "duration": round(actuals[0][1], 3), "effectDuration": 0.2,
            "fiberActualDurations": [[f, round(ms, 3)] for f, ms in actuals],
            "fiberSelfDurations": [[f, round(ms, 3)] for f, ms in selfs],
            "passiveEffectDuration": 0.1, "priorityLevel": "Normal", "timestamp": 1200.0 + 85.0 * number,
            "updaters": [{"id": APP, "displayName": "App", "hocDisplayNames": None, "key": None, "type": 5}],
        })
    document = {"version": 5, "dataForRoots": [{
        "commitData": commits, "displayName": "Root", "initialTreeBaseDurations": [], "operations": [],
        "rootID": 0, "snapshots": snapshots,
    }], "timelineData": []}
    out = pathlib.Path(__file__).with_name("fullstack-react-profile.json")
    out.write_text(json.dumps(document, separators=(",", ":")) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
