"""The pipeline, in one direction:

paths -> discovery -> parse -> file facts -> project index -> rules -> findings -> reporters

`run` checks files on disk: a short driver over the stages of analyzer/stages.py, with the
per-file work in analyzer/checker.py, done in this process or in workers (analyzer/parallel.py).
`check_sources` and `check_text` check already parsed or in-memory files, in this process.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Iterable, Optional

from . import stages
from .cache import Cache, CacheCorrupt, check_key, project_inputs_digest
from .checker import EARLY_CHECK_FAMILIES, FileChecker, load_source, select_rules, source_from_bytes
from .config import Config
from .discovery import discover
from .facts import facts_mode_key
from .findings import Finding
from .memory import DEFAULT_MEMORY_MB, memory_budget_mb, peak_resident_kb, tune_gc
from .parallel import MIN_BYTES_PER_WORKER, Checkers, worker_count
from .progress import progress_bar
from .project import ProjectIndex
from .results import RunResult
from .rule import Rule
from .source import SourceFile, language_for

if TYPE_CHECKING:  # the measure stage is imported only by a run with profiles (start-up time)
    from .profiles.measure import MeasureOptions

__all__ = [
    "DEFAULT_MEMORY_MB", "EARLY_CHECK_FAMILIES", "MIN_BYTES_PER_WORKER", "RunResult", "check_sources",
    "check_text", "load_source", "run", "select_rules", "source_from_bytes", "tune_gc", "worker_count",
]


def run(
    paths: list[str],
    config: Config,
    *,
    jobs: Optional[int] = 1,
    cache_dir: Optional[str] = None,
    progress: bool = False,
    memory_mb: Optional[int] = None,
    file_timeout: Optional[float] = None,
    measure: Optional[MeasureOptions] = None,
) -> RunResult:
    """Check files and directories on disk.

    Phase 1 parses each file and extracts its facts (in `jobs` processes; None
    means one per core, fewer for small runs) and checks each file early,
    recording what their rules asked of the project index; the parent merges the
    summaries into the project index; phase 2 completes every file in the process
    that parsed it: an early check whose answers still hold is done, any other file
    is checked against the index from its kept tree -- or, where keeping trees
    would break the memory cap (`memory_mb` for all processes together), parsed
    again.
    With `cache_dir`, summaries and findings of unchanged files come from the
    cache (see analyzer/cache.py). With `file_timeout` (seconds), files are checked
    in worker processes (one at least) and a file that takes longer is reported and
    skipped (analyzer/parallel.py). With `measure`, the findings get the cost the given
    profiles measured, and hot spots no rule explains are added (analyzer/profiles/measure.py).
    """
    options = dict(jobs=jobs, cache_dir=cache_dir, progress=progress, memory_mb=memory_mb, file_timeout=file_timeout,
                   measure=measure)
    try:
        return _run(paths, config, **options)
    except CacheCorrupt:
        # A part of the cache read on demand was not plain data: never trusted, start over
        # without it (this run's save replaces the file).
        return _run(paths, config, **options, load_cache=False)


def _run(paths, config: Config, *, jobs, cache_dir, progress, memory_mb, file_timeout, measure,
         load_cache=True) -> RunResult:
    clock = stages.Clock()
    stats = dict(files=0, parsed=0, summaries_cached=0, findings_cached=0, workers=1)
    discovery = discover(paths, config)
    project_files = stages.discover_project(discovery, paths, config)
    config = stages.with_project_shape(config, project_files)
    stats["files"], stats["project_files"] = len(discovery.files), len(project_files)
    # Seconds per stage (`PERFSCAN_STATS=1` prints them: analyzer/run_stats.py).
    stats["discover_s"] = round(clock.lap(), 3)
    # Read here, at run time, and passed on: a caller may narrow them for one run.
    rules, early_families = select_rules(config), EARLY_CHECK_FAMILIES
    cache = None
    if cache_dir is not None:
        inputs_key = project_inputs_digest(discovery.root)
        cache = Cache.open(cache_dir, discovery.root, check_key(rules, config, inputs_key), load=load_cache,
                           facts_mode=facts_mode_key(config.project_settings))
    ledger = stages.look_up_cache(discovery, project_files, cache, stats, config.max_file_size)
    checkers = Checkers(discovery.root, config, rules, early_families, jobs=jobs, file_timeout=file_timeout,
                        budget_kb=memory_budget_mb(memory_mb) * 1024)
    bar = progress_bar(progress, stages.files_to_do(ledger))
    stats["cache_lookup_s"] = round(clock.lap(), 3)
    stats["discovery_and_cache_lookup_s"] = round(stats["discover_s"] + stats["cache_lookup_s"], 3)
    stats.update(phase1_s=0.0, phase2_s=0.0, reparsed=0, early_kept=0, early_redone=0, findings_replayed=0)
    try:
        for family in stages.FAMILIES:
            to_extract, cached = stages.family_work(ledger, family)
            if not to_extract and not cached:
                continue
            extracted = stages.extract(checkers, ledger, to_extract, bar.update)
            stages.record_extracted(ledger, extracted)
            stats[f"{family}_extract_s"] = round(clock.lap(), 3)

            family_index = stages.build_index(ledger, family, extracted, cached, config.project_settings)
            stats[f"{family}_index_s"] = round(clock.lap(), 3)
            plan = stages.plan_recheck(ledger, extracted, family_index)
            bar.update(len((set(cached) | {out.rel_path for out in extracted}) - set(plan.held) - set(plan.stale)))
            checked = stages.recheck(checkers, ledger, plan, family_index.inputs, bar.update)
            stages.record_checked(ledger, checked, family_index.digest)
            stats[f"{family}_recheck_s"] = round(clock.lap(), 3)
            stats["phase1_s"] += stats[f"{family}_extract_s"]
            stats["phase2_s"] += stats[f"{family}_index_s"] + stats[f"{family}_recheck_s"]
    except BaseException:
        checkers.terminate()
        raise
    finally:
        bar.finish()
    stats["parsed"], read_inputs, project_notes, worker_peaks = checkers.finish()
    stats["stop_workers_s"] = round(clock.lap(), 3)
    ledger.note_project(read_inputs, project_notes)
    stats["workers"] = checkers.workers
    if worker_peaks is not None:
        stats["worker_maxrss_kb"] = worker_peaks
    stats.update(checkers.stopped, workers_replaced=checkers.replaced)
    stats["phase1_s"], stats["phase2_s"] = round(stats["phase1_s"], 3), round(stats["phase2_s"], 3)

    result = stages.report(ledger, discovery, config.max_file_size)
    stats["results_s"] = round(clock.lap(), 3)
    if cache is not None:
        stages.save_cache(cache, ledger)
        stats["cache_write_s"] = round(clock.lap(), 3)
    stats["results_and_cache_write_s"] = round(stats["results_s"] + stats.get("cache_write_s", 0.0), 3)
    if measure is not None:  # after the cache is saved: measurements are this run's, never cached
        stages.measure(result, measure)
        stats["measure_s"] = round(clock.lap(), 3)
    stats["peak_rss_kb"] = peak_resident_kb()
    stats["total_s"] = clock.total()
    return result


def check_sources(
    sources: list[SourceFile],
    root: str,
    config: Config,
    rules: Optional[Iterable[Rule]] = None,
    result: Optional[RunResult] = None,
    measure: Optional[MeasureOptions] = None,
) -> RunResult:
    """Facts -> index -> rules -> suppressions (-> measure), for already parsed sources, in this process."""
    result = result or RunResult(root=root)
    checker = FileChecker(root, config, select_rules(config, rules), early_families=EARLY_CHECK_FAMILIES)
    summaries: dict[str, tuple[str, object]] = {}
    for source in sources:
        result.sources[source.rel_path] = source
        out = checker.extract_source(source)
        result.notifications.extend(out.notes)
        if out.has_facts:
            summaries[source.rel_path] = (source.family, out.summary)
    index = ProjectIndex.build(root, summaries, config.project_settings)
    result.project_summaries = lambda: summaries
    checker.set_index(index)
    for source in sources:
        if source.rel_path in checker.held:
            result.files_checked += 1
            out = checker.check_held(source.rel_path)
            result.findings.extend(out.findings)
            result.notifications.extend(out.notes)
    result.findings.sort(key=Finding.sort_key)
    result.notifications.sort(key=lambda n: (n.path or "", n.line or 0, n.kind, n.message))
    if measure is not None:
        stages.measure(result, measure)
    return result


def check_text(files: dict[str, str], config: Optional[Config] = None, rules=None, root: str = "/project",
               measure: Optional[MeasureOptions] = None) -> RunResult:
    """Check in-memory files {rel_path: text}: used by rule examples and tests."""
    config = config or Config()
    # Non-source files (tsconfig.json, package.json) of an in-memory project: index builders read them from here.
    project_files = {path: text for path, text in files.items() if language_for(path) is None}
    if project_files:
        config = config.merged()
        config.project_settings["project_files"] = project_files
    sources = []
    result = RunResult(root=root)
    for rel_path in sorted(files):
        language = language_for(rel_path)
        if language is None:
            continue
        source, note = source_from_bytes(
            os.path.join(root, rel_path), rel_path, language, files[rel_path].encode("utf-8")
        )
        if note is not None:
            result.notifications.append(note)
        if source is not None:
            sources.append(source)
    return check_sources(sources, root, config, rules=rules, result=result, measure=measure)
