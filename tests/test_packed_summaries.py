"""Summaries travel packed: a worker pickles each once, the parent keeps and forwards the bytes,
and only the index that reads them unpacks them (sharing equal strings). The index built from
packed summaries must answer exactly as one built from the summaries themselves; the memory cap
must also cover the index phase 2 brings."""

from __future__ import annotations

import os
import textwrap

from perfscan import engine
from perfscan.cache import Entry, _entry_from_plain, _entry_to_plain
from perfscan.checker import FileChecker
from perfscan.config import Config
from perfscan.discovery import discover
from perfscan.project import ProjectIndex, question
from perfscan.summaries import IndexInputs, PackedSummary, unpacked
from tests.conftest import write_tree
from tests.test_early_checks import BLOCKING_HELPER
from tests.test_parallel_cache import plain

SUMMARIES = {
    "app/a.py": ("python", {"module": "app.a", "imports": {"get": "requests.get"}, "calls": [("requests.get", 3, 4)]}),
    "app/b.py": ("python", {"module": "app.b", "imports": {"get": "requests.get"}, "calls": []}),
    "web/c.tsx": ("tsx", {"exports": ["Card"], "memo": {"Card": True}}),
}


@question
def importers_of(index, name: str) -> tuple:
    return tuple(rel for rel, summary in index.python.items() if name in summary["imports"].values())


def test_an_index_from_packed_summaries_is_the_index_from_the_summaries():
    packed = {rel: (family, PackedSummary.of(summary)) for rel, (family, summary) in SUMMARIES.items()}
    index = IndexInputs("/p", packed, {"x": 1}).index()
    direct = ProjectIndex.build("/p", SUMMARIES, {"x": 1})
    assert (index.python, index.tsx, index.settings) == (direct.python, direct.tsx, direct.settings)
    assert list(index.python) == list(direct.python)  # the same order: sorted paths
    assert importers_of(index, "requests.get") == importers_of(direct, "requests.get") == ("app/a.py", "app/b.py")
    # Equal strings of different files are one object once unpacked together.
    assert index.python["app/a.py"]["imports"]["get"] is index.python["app/b.py"]["imports"]["get"]


def test_strings_are_shared_only_when_asked():
    packed = {rel: (family, PackedSummary.of(summary)) for rel, (family, summary) in SUMMARIES.items()}
    index = IndexInputs("/p", packed).index(share_strings=False)
    assert index.python == ProjectIndex.build("/p", SUMMARIES).python
    assert index.python["app/a.py"]["imports"]["get"] is not index.python["app/b.py"]["imports"]["get"]


def test_a_worker_shares_the_index_strings_only_when_the_index_would_not_fit(project):
    checker = _checker_with_held_trees(project, workers=2)
    assert checker.index_fits(1 << 30, incoming_kb=1024)  # room to spare: unpacked as it comes
    assert not checker.index_fits(1 << 30, incoming_kb=1 << 30)  # too big: strings shared
    assert set(checker.held) == ASKED  # asking lets no tree go


def test_unpacking_keeps_what_a_summary_shared_and_leaves_unpacked_summaries_alone():
    calls = [("a.f", 1, 2)]
    summary = {"first": calls, "second": calls, "pair": ("x", calls)}
    back = unpacked(PackedSummary.of(summary), {})
    assert back == summary and back["first"] is back["second"] is back["pair"][1]
    assert unpacked(summary, {}) is summary  # a cache entry's or an in-process run's own object


def test_inputs_travel_without_the_index_built_from_them():
    import pickle

    inputs = IndexInputs("/p", {rel: (f, PackedSummary.of(s)) for rel, (f, s) in SUMMARIES.items()})
    inputs.index()
    copy = pickle.loads(pickle.dumps(inputs))
    assert copy.built is None and inputs.built is not None
    assert copy.index().python == inputs.index().python
    assert set(inputs.without({"app/a.py"}).summaries) == {"app/b.py", "web/c.tsx"}
    assert inputs.packed_bytes() == sum(len(s) for _, s in inputs.summaries.values()) > 0


def test_a_cache_entry_keeps_a_packed_summary_packed_until_asked():
    summary = SUMMARIES["app/a.py"][1]
    entry = Entry(b"d", "python", False, PackedSummary.of(summary), b"s", [], trace=[["q", ("a",), b"f"]])
    assert isinstance(entry.index_summary, PackedSummary)
    stored = _entry_from_plain(_entry_to_plain(entry))  # written to the cache as the summary itself
    assert stored.summary == summary and stored.trace == [["q", ("a",), b"f"]]
    assert isinstance(entry.index_summary, PackedSummary)  # saving unpacked nothing for good
    assert entry.summary == summary


def test_the_parent_of_a_parallel_run_never_unpacks_a_summary(project, monkeypatch):
    write_tree(project, BLOCKING_HELPER)
    in_process = engine.run(["."], Config(), jobs=1)
    parent, unpacks = os.getpid(), []
    original = PackedSummary.unpack
    monkeypatch.setattr(PackedSummary, "unpack", lambda self: (unpacks.append(os.getpid()), original(self))[1])
    parallel = engine.run(["."], Config(), jobs=2)
    assert parallel.stats["workers"] == 2
    assert plain(parallel) == plain(in_process)
    assert parent not in unpacks  # (the workers' own list is theirs: a forked copy)
    assert [f.span.path for f in parallel.findings] == ["app/routes.py"]


# The files whose rules asked the project index something (routes.py: whether fetch_rates blocks).
ASKED = {"app/helpers.py", "app/routes.py"}


def _checker_with_held_trees(project, workers: int) -> FileChecker:
    write_tree(project, BLOCKING_HELPER)
    checker = FileChecker(str(project), Config(), hold_limit_kb=1 << 30, workers=workers)
    for file in discover([str(project)], Config()).files:
        checker.extract(file)
    return checker


def test_a_worker_packs_its_summaries_and_holds_trees_of_files_that_asked(project):
    checker = _checker_with_held_trees(project, workers=2)
    assert checker.packed_bytes > 0
    assert set(checker.held) == ASKED  # quiet.py asked the index nothing: let go at once
    checker.limit_holdings(1 << 30, incoming_kb=0)
    assert set(checker.held) == ASKED


def test_trees_are_let_go_before_an_index_that_would_not_fit_is_unpacked(project):
    checker = _checker_with_held_trees(project, workers=2)
    checker.limit_holdings(1 << 30, incoming_kb=1 << 30)
    assert checker.held == {}
    # The early findings stay; the file whose answers changed is parsed again.
    assert set(checker.early_checked) == {"app/helpers.py", "app/routes.py", "app/quiet.py"}


def test_phase_1_leaves_room_for_the_index_of_every_worker(project):
    write_tree(project, BLOCKING_HELPER)
    files = discover([str(project)], Config()).files
    checker = FileChecker(str(project), Config(), hold_limit_kb=1 << 30, workers=2)
    checker.packed_bytes = 1 << 40  # the index to come would not fit beside any tree
    for file in files:
        checker.extract(file)
    assert checker.held == {}
    alone = FileChecker(str(project), Config(), hold_limit_kb=1 << 30)  # in-process: no index to wait for
    alone.packed_bytes = 1 << 40
    for file in files:
        alone.extract(file)
    assert set(alone.held) == ASKED


def test_over_the_limit_smaller_trees_are_kept_in_place_of_larger_ones(project):
    padding = "# padding\n" * 3000
    routes = textwrap.dedent(BLOCKING_HELPER["app/routes.py"]).lstrip()
    write_tree(project, {**BLOCKING_HELPER, "app/big_routes.py": routes + padding,
                         "app/big_routes2.py": routes + padding})
    files = {f.rel_path: f for f in discover([str(project)], Config()).files}
    checker = FileChecker(str(project), Config(), hold_limit_kb=None, workers=2)
    checker.extract(files["app/big_routes.py"])
    assert set(checker.held) == {"app/big_routes.py"}
    checker.hold_limit_kb = 1  # from now on over the limit
    checker.extract(files["app/routes.py"])
    assert set(checker.held) == {"app/routes.py"}  # the larger tree made room for it
    checker.extract(files["app/big_routes2.py"])
    assert set(checker.held) == {"app/routes.py"}  # nothing larger left to give way
    # Every early check stands; phase 2 parses again what it needs of the files let go.
    assert set(checker.early_checked) == {"app/big_routes.py", "app/routes.py", "app/big_routes2.py"}


def test_before_the_index_only_as_many_trees_go_as_it_needs_largest_first(project):
    from perfscan.checker import HOLD_FRACTION
    from perfscan.memory import proportional_kb, resident_kb

    routes = textwrap.dedent(BLOCKING_HELPER["app/routes.py"]).lstrip()
    write_tree(project, {**BLOCKING_HELPER, "app/big_routes.py": routes + "# padding\n" * 3000})
    checker = FileChecker(str(project), Config(), hold_limit_kb=None, workers=2)
    for file in discover([str(project)], Config()).files:
        checker.extract(file)
    assert set(checker.held) == ASKED | {"app/big_routes.py"}
    limit_kb = 1 << 30
    # An index 64 KiB too large: letting the largest tree go (~30 KB of source) makes room.
    incoming_kb = limit_kb * HOLD_FRACTION - min(resident_kb(), proportional_kb()) + 64
    checker.limit_holdings(limit_kb, incoming_kb)
    assert set(checker.held) == ASKED
