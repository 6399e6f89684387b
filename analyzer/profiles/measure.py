"""The measure stage: between the findings and the reporters, it attaches to each finding the
measured cost of the code it is in, and adds a note (PF001 hot-spot) for each function that
holds a large share of a profile but carries no finding.

Frames map to the repository by path suffix (a profile recorded in a container or on another
machine names `/app/backend/app/routes/reports.py`; the repository has
`backend/app/routes/reports.py`), then to a function of that file by name (and line, where
several share a name). A frame whose name is no function of the matched file is left out: a
profile of another program maps nothing rather than something wrong.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass, field
from typing import Optional
from urllib.parse import unquote, urlsplit

from ..findings import Finding
from ..source import LANGUAGE_FAMILY, language_for
from ..suppression import apply_suppressions
from .model import Frame, Profile
from .scopes import Scope, innermost, scopes_of

HOT_SPOT = "PF001"
HOT_SPOT_NAME = "hot-spot"
DEFAULT_HOT_SPOT_SHARE = 5.0
MEASURED = "perfscan/measured"

# Paths of code that is not the project's, even where a copy of it is (a vendored package).
_LIBRARY_PARTS = ("site-packages", "dist-packages", "node_modules", "/lib/python", "<frozen", "<string>", "/.vite/deps/")


@dataclass
class MeasureOptions:
    profiles: list
    compare: list = field(default_factory=list)
    hot_spot_share: float = DEFAULT_HOT_SPOT_SHARE
    min_share: Optional[float] = None


@dataclass
class Cost:
    total: float = 0.0  # the function and what it calls
    own: float = 0.0  # its own code and the library code it calls (not the project's)
    calls: Optional[int] = None
    renders: int = 0
    render_ms: float = 0.0
    render_self_ms: float = 0.0


@dataclass
class Costs:
    """One set of profiles, mapped: per function (path, first line) its cost, and the totals
    shares are taken of."""

    cpu: dict = field(default_factory=dict)  # key -> Cost
    cpu_total: dict = field(default_factory=dict)  # family -> total in unit
    unit: dict = field(default_factory=dict)  # family -> "s" or "samples"
    render_total: float = 0.0
    families: set = field(default_factory=set)  # language families some profile covers
    names: list = field(default_factory=list)


def measure(result, options: MeasureOptions) -> None:
    """Attach `perfscan/measured` to the findings the profiles cover; add PF001 notes; with
    `min_share`, drop covered findings below it."""
    mapper = Mapper(result)
    before = mapper.costs(options.profiles)
    after = mapper.costs(options.compare) if options.compare else None
    explained: set = set()
    kept = []
    for finding in result.findings:
        # Files of a language no profile measures are not parsed again: nothing of theirs is costed.
        explained.update(mapper.explained_by(finding, before.families))
        family = _family(finding.span.path)
        measured = None
        if family in before.families:
            scope = mapper.scope_at(finding.span.path, finding.span.line)
            measured = _measured(mapper, before, after, finding, scope)
        if measured is not None:
            finding.properties = {**finding.properties, MEASURED: measured}  # a new dict: cached plain copies stay as they were
        if options.min_share is not None and family in before.families and finding.suppressed_by is None:
            if measured is None or measured.get("rank", 0.0) < options.min_share:
                continue
        kept.append(finding)
    result.findings = kept
    # PF001 notes of a run or file that turned the rule off are dropped with its other
    # findings (Settings.apply).
    threshold = max(options.hot_spot_share, options.min_share or 0.0)
    result.findings.extend(_hot_spots(mapper, before, after, explained, threshold))
    result.findings.sort(key=Finding.sort_key)


# -- mapping -----------------------------------------------------------------------------


class Mapper:
    def __init__(self, result):
        self.result = result
        self.sources = result.sources
        self._suffixes: dict[str, set] = {}
        for rel in self.sources:
            parts = rel.split("/")
            for k in range(1, len(parts) + 1):
                self._suffixes.setdefault("/".join(parts[-k:]), set()).add(rel)
        self._scopes: dict[str, list] = {}
        self.parsed: dict = {}  # rel_path -> the source its scopes were read from
        self._files: dict[str, Optional[str]] = {}
        self._maps = None  # basename of a .map file -> its paths, found on first need
        self._loaded_maps: dict = {}

    # files

    def file_of(self, recorded: str, family: str) -> Optional[str]:
        if recorded in self._files:
            return self._files[recorded]
        found = self._match(recorded, family)
        self._files[recorded] = found
        return found

    def _match(self, recorded: str, family: str) -> Optional[str]:
        path = _path_of(recorded)
        if not path or any(part in path for part in _LIBRARY_PARTS):
            return None
        parts = [p for p in path.split("/") if p not in ("", ".")]
        for k in range(len(parts), 0, -1):
            candidates = self._suffixes.get("/".join(parts[-k:]))
            if not candidates:
                continue
            candidates = {c for c in candidates if _family(c) == family}
            return next(iter(candidates)) if len(candidates) == 1 else None
        return None

    # functions

    def scopes(self, rel: str) -> list:
        found = self._scopes.get(rel)
        if found is None:
            found = self._scopes[rel] = self._build_scopes(rel)
        return found

    def _build_scopes(self, rel: str) -> list:
        from ..checker import source_from_bytes

        source = self.sources.get(rel)
        if source is None:
            return []
        if source.tree is None:
            source, _ = source_from_bytes(source.path, rel, source.language, source.data)
            if source is None or not source.data:
                return []
        self.parsed[rel] = source
        try:
            return scopes_of(source)
        except Exception:  # facts of a file that changed under us: no spans, no measurement
            return []

    def scope_at(self, rel: str, line: int) -> Optional[Scope]:
        return innermost(self.scopes(rel), line) if rel in self.sources else None

    def component_at(self, rel: str, line: int) -> Optional[Scope]:
        """The outermost component holding `line` (its render stats hold for all code in it)."""
        if rel not in self.sources:
            return None
        holding = [s for s in self.scopes(rel) if s.kind == "component" and s.holds(line)]
        return min(holding, key=lambda s: s.start) if holding else None

    def explained_by(self, finding: Finding, families: set) -> set:
        """The functions a finding explains the cost of: the one it is in and the components
        around it, those its call chain and related locations point into (the helper that makes
        the blocking call), and a component it names whose definition it links to
        (`memoized `UserRow` (definition)`: its renders are the finding's doing). Only in files
        of the language `families` (those the profiles measure: no other file has a cost)."""
        keys = set()
        named = set(_BACKTICKED.findall(finding.message))
        for span in (finding.span, *(step.span for step in finding.flow), *(r.span for r in finding.related)):
            if span.path not in self.sources or _family(span.path) not in families:
                continue
            for scope in self.scopes(span.path):
                if scope.holds(span.line) and (scope.kind == "component" or scope is self.scope_at(span.path, span.line)):
                    keys.add((span.path, scope.start))
                elif span is not finding.span and scope.kind == "component" and scope.name in named:
                    keys.add((span.path, scope.start))
        return keys

    def scope_of(self, frame: Frame, family: str) -> Optional[tuple[str, Scope]]:
        rel = self.file_of(frame.file, family) if frame.file else None
        if rel is None and family == "tsx" and frame.file:
            mapped = self._through_source_map(frame)
            if mapped is not None:
                frame = mapped
                rel = self.file_of(frame.file, family)
        if rel is None:
            return None
        name = frame.name.rsplit(".", 1)[-1]  # `Class.method` (py-spy's newer names)
        named = [s for s in self.scopes(rel) if s.name == name]
        if not named:
            return None
        if len(named) == 1:
            return rel, named[0]
        if frame.line:
            if frame.first_line:
                exact = [s for s in named if s.start <= frame.line <= s.def_line]
                if exact:
                    return rel, exact[0]
            holding = [s for s in named if s.holds(frame.line)]
            if holding:
                return rel, max(holding, key=lambda s: s.start)
        return None  # several functions of that name and no line to choose: not guessed

    def _through_source_map(self, frame: Frame) -> Optional[Frame]:
        path = _path_of(frame.file)
        if not path.endswith((".js", ".mjs", ".cjs")) or not frame.line:
            return None
        found = self._source_map(posixpath.basename(path) + ".map")
        if found is None:
            return None
        map_path, source_map = found
        original = source_map.original(frame.line, frame.column or 1)
        if original is None:
            return None
        source, line, name = original
        if "://" not in source and not posixpath.isabs(source):
            # Relative to the map: `../src/App.tsx` next to `static/app.js.map` is the
            # repository's file itself, not only a suffix.
            absolute = os.path.normpath(os.path.join(os.path.dirname(map_path), source))
            relative = os.path.relpath(absolute, self.result.root).replace(os.sep, "/")
            if not relative.startswith("../"):
                source = relative
        return Frame(name=name or frame.name, file=source, line=line, first_line=False)

    def _source_map(self, basename: str):
        from .sourcemap import SourceMap, SourceMapError

        if self._maps is None:
            self._maps = _map_files(self.result.root)
        paths = self._maps.get(basename, [])
        if len(paths) != 1:
            return None  # none, or several builds' maps of one name: not guessed
        if paths[0] not in self._loaded_maps:
            try:
                from ..safe_read import UnreadableFile, read_bounded

                self._loaded_maps[paths[0]] = SourceMap(read_bounded(paths[0], 64 * 1024 * 1024).decode("utf-8", "replace"))
            except (SourceMapError, UnreadableFile, RecursionError):
                self._loaded_maps[paths[0]] = None
        loaded = self._loaded_maps[paths[0]]
        return (paths[0], loaded) if loaded is not None else None

    # costs

    def costs(self, profiles: list) -> Costs:
        costs = Costs(names=[p.name for p in profiles])
        for profile in profiles:
            costs.families.add(profile.family)
            if profile.renders:
                self._add_renders(costs, profile)
                continue
            costs.unit.setdefault(profile.family, profile.unit)
            costs.cpu_total[profile.family] = costs.cpu_total.get(profile.family, 0.0) + profile.total
            keys = [self._key(frame, profile.family) for frame in profile.frames]
            barriers = [_is_import(frame) for frame in profile.frames]
            if profile.calls:
                self._add_calls(costs, profile, keys, barriers)
            for stack, weight in profile.stacks.items():
                mapped = [keys[i] for i in stack if keys[i] is not None]
                for key in set(mapped):
                    costs.cpu.setdefault(key, Cost()).total += weight
                owner = _owner(stack, keys, barriers)
                if owner is not None:
                    costs.cpu[owner].own += weight
        return costs

    def _key(self, frame: Frame, family: str):
        found = self.scope_of(frame, family)
        return (found[0], found[1].start) if found is not None else None

    @staticmethod
    def _add_calls(costs: Costs, profile: Profile, keys: list, barriers: list) -> None:
        pending: dict[int, float] = {}  # library function -> own time not yet given to a project caller
        for index, stats in profile.calls.items():
            key = keys[index]
            if key is not None:
                cost = costs.cpu.setdefault(key, Cost())
                cost.total += stats.cumulative
                cost.own += stats.own
                cost.calls = (cost.calls or 0) + stats.calls
            elif not barriers[index]:
                pending[index] = stats.own
        # Library code's own time counts in the own time of the project function that called
        # it: the part each caller accounts for (cProfile keeps it per caller), passed up
        # through library callers in proportion to their share of the calls' time. Import
        # machinery and module bodies stop it: importing is not the caller's algorithm.
        for _ in range(12):
            passed: dict[int, float] = {}
            for index, amount in pending.items():
                callers = profile.calls[index].callers
                total = sum(own for own, _ in callers.values())
                for caller, (own, _) in callers.items():
                    share = amount * own / total if total else 0.0
                    if share <= 0 or barriers[caller]:
                        continue
                    if keys[caller] is not None:
                        costs.cpu.setdefault(keys[caller], Cost()).own += share
                    elif caller in profile.calls:
                        passed[caller] = passed.get(caller, 0.0) + share
            if not passed:
                break
            pending = passed

    def _add_renders(self, costs: Costs, profile: Profile) -> None:
        costs.render_total += profile.total
        by_name: dict[str, list] = {}
        # `Memo(UserRow)`, `ForwardRef(Input)`: DevTools may wrap the inner name.
        bare = {name: name.split("(")[-1].rstrip(")") if name.endswith(")") else name for name in profile.renders}
        wanted = set(bare.values())
        for rel in self.sources:
            if _family(rel) != "tsx":
                continue
            for scope in self.scopes(rel) if wanted & self._names_in(rel) else ():
                if scope.kind == "component":
                    by_name.setdefault(scope.name, []).append((rel, scope.start))
        for name, stats in profile.renders.items():
            places = by_name.get(bare[name], [])
            if len(places) != 1:
                continue  # no component of that name, or several: not guessed
            cost = costs.cpu.setdefault(places[0], Cost())
            cost.renders += stats.renders
            cost.render_ms += stats.actual_ms
            cost.render_self_ms += stats.self_ms

    def _names_in(self, rel: str) -> set:
        """Words of the file's text that could name a component: a cheap filter before parsing."""
        source = self.sources[rel]
        try:
            text = source.text
        except Exception:
            return set()
        return {word for word in _WORDS.findall(text)}


_WORDS = re.compile(r"[A-Z][A-Za-z0-9_$]*")
_BACKTICKED = re.compile(r"`([A-Za-z_$][A-Za-z0-9_$]*)`")


def _family(path: str) -> str:
    """The language family of a repository path ("python", "tsx"; "" for neither)."""
    return LANGUAGE_FAMILY.get(language_for(path) or "", "")


def _is_import(frame: Frame) -> bool:
    """Import machinery and module bodies: time under them is import time, no function's own."""
    return frame.name == "<module>" or frame.file.startswith("<frozen importlib")


def _owner(stack: tuple, keys: list, barriers: list):
    """The innermost project function of a stack, unless import machinery runs below it."""
    for index in reversed(stack):
        if keys[index] is not None:
            return keys[index]
        if barriers[index]:
            return None
    return None


def _path_of(recorded: str) -> str:
    """A recorded file name or URL -> a POSIX path: `http://localhost:5173/src/App.tsx?t=1`
    -> `/src/App.tsx`, `webpack:///./src/App.tsx` -> `/./src/App.tsx`, `C:\\app\\x.py` ->
    `C:/app/x.py`."""
    if "://" in recorded:
        path = unquote(urlsplit(recorded).path)
    else:
        path = recorded
    return path.replace("\\", "/")


def _map_files(root: str, limit: int = 200_000) -> dict:
    found: dict[str, list] = {}
    seen = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in (".git", "node_modules", ".perfscan_cache", "__pycache__")]
        for name in files:
            seen += 1
            if name.endswith(".map"):
                found.setdefault(name, []).append(os.path.join(folder, name))
        if seen > limit:
            break
    return found


# -- what a finding gets ------------------------------------------------------------------


def _figures(costs: Costs, key, family: str) -> Optional[dict]:
    cost = costs.cpu.get(key)
    if cost is None:
        return None
    figures: dict = {}
    total = costs.cpu_total.get(family, 0.0)
    if cost.total > 0 or cost.calls:
        unit = costs.unit.get(family, "s")
        figures["seconds" if unit == "s" else "samples"] = round(cost.total, 6)
        figures["share"] = round(100.0 * cost.total / total, 2) if total else 0.0
        figures["own_share"] = round(100.0 * cost.own / total, 2) if total else 0.0
        if cost.calls is not None:
            figures["calls"] = cost.calls
    if cost.renders:
        figures["renders"] = cost.renders
        figures["render_ms"] = round(cost.render_ms, 3)
        figures["render_share"] = round(100.0 * cost.render_ms / costs.render_total, 2) if costs.render_total else 0.0
        figures.setdefault("share", figures["render_share"])
    return figures or None


def _measured(mapper: Mapper, before: Costs, after: Optional[Costs], finding: Finding, scope) -> Optional[dict]:
    if scope is None:
        return None
    family = _family(finding.span.path)
    key = (finding.span.path, scope.start)
    figures = _figures(before, key, family) or {}
    component = mapper.component_at(finding.span.path, finding.span.line)
    if component is not None and "renders" not in figures:  # code in a method or hook of a component
        renders = _figures(before, (finding.span.path, component.start), family) or {}
        if not figures and renders:
            scope = component  # only the component was measured: name it, not an inner arrow on the line
        figures.update((k, v) for k, v in renders.items() if k.startswith("render"))
        if "share" not in figures and "render_share" in figures:
            figures["share"] = figures["render_share"]
    if not figures:
        return None
    measured = {"function": scope.display, "path": finding.span.path, "line": scope.def_line, **figures,
                "rank": round(min(max(figures.get("share", 0.0), figures.get("render_share", 0.0)), 100.0), 1),
                "profiles": list(before.names)}
    chain = []
    seen = {key}
    for step in finding.flow:
        step_scope = mapper.scope_at(step.span.path, step.span.line)
        if step_scope is None or (step.span.path, step_scope.start) in seen:
            continue
        seen.add((step.span.path, step_scope.start))
        step_figures = _figures(before, (step.span.path, step_scope.start), family)
        if step_figures is not None:
            chain.append({"function": step_scope.display, "path": step.span.path, "line": step_scope.def_line,
                          **step_figures})
    if chain:
        measured["chain"] = chain
    if after is not None:
        _compare(measured, _figures(after, key, family), after)
    return measured


def _compare(measured: dict, later: Optional[dict], after: Costs) -> None:
    """`after`: the same function in the compared profiles (absent: it no longer ran)."""
    later = later or {"seconds": 0.0, "share": 0.0}
    measured["after"] = {k: v for k, v in later.items() if k in ("seconds", "samples", "share", "calls", "renders", "render_ms")}
    measured["after_profiles"] = list(after.names)
    for amount in ("seconds", "samples", "render_ms"):
        if amount in measured and measured[amount]:
            measured["change"] = round(100.0 * (later.get(amount, 0.0) - measured[amount]) / measured[amount], 1)
            break


def _hot_spots(mapper: Mapper, before: Costs, after: Optional[Costs], explained: set, threshold: float) -> list:
    notes = []
    for key, cost in before.cpu.items():
        if key in explained:
            continue
        rel, start = key
        family = _family(rel)
        total = before.cpu_total.get(family, 0.0)
        own_share = 100.0 * cost.own / total if total else 0.0
        render_share = 100.0 * cost.render_self_ms / before.render_total if before.render_total else 0.0
        if max(own_share, render_share) < threshold:
            continue
        scope = next((s for s in mapper.scopes(rel) if s.start == start), None)
        if scope is None:
            continue
        figures = _figures(before, key, family) or {}
        measured = {"function": scope.display, "path": rel, "line": scope.def_line, **figures,
                    "profiles": list(before.names)}
        if own_share >= render_share:
            measured["rank"] = round(own_share, 1)
            amount = _amount(cost.own, before.unit.get(family, "s"))
            advice = ("profile it line by line (line_profiler) or look at the algorithm" if family == "python" else
                      "look at it in the Performance panel's bottom-up view or at the algorithm")
            message = f"{amount} ({_percent(own_share)}) in `{scope.display}`, no known anti-pattern found; {advice}"
        else:
            measured["rank"] = round(render_share, 1)
            message = (f"{_amount(cost.render_self_ms / 1000.0, 's')} rendering over {cost.renders} "
                       f"render{'s' * (cost.renders != 1)} ({_percent(render_share)} of the commits) in "
                       f"`{scope.display}`, no known anti-pattern found; see why it renders (React DevTools: "
                       "\"Record why each component rendered\") or look at what its render computes")
        if after is not None:
            _compare(measured, _figures(after, key, family), after)
        source = mapper.parsed[rel]
        note = Finding(
            code=HOT_SPOT, rule_name=HOT_SPOT_NAME, level="note", message=message, span=scope.name_span,
            snippet=source.snippet(scope.name_span), properties={MEASURED: measured},
        )
        # `def build_rows(...):  # perfscan: ignore[PF001]`: the work it must do, acknowledged.
        apply_suppressions(source, [note])
        notes.append(note)
    return notes


# -- how it reads -------------------------------------------------------------------------


def _amount(value: float, unit: str) -> str:
    if unit == "samples":
        return f"{value:,.0f} sample{'s' * (round(value) != 1)}"
    if value >= 1.0:
        return f"{value:.1f} s" if value < 100 else f"{value:,.0f} s"
    if value >= 0.001:
        return f"{value * 1000:.0f} ms" if value >= 0.01 else f"{value * 1000:.1f} ms"
    return f"{value * 1e6:.0f} µs"


def _percent(share: float) -> str:
    return f"{share:.0f} %" if share >= 1 or share == 0 else f"{share:.1f} %"


def describe(measured: dict) -> str:
    """`measured: 2.5 s, 83 % of the profile, 100 calls` (and the chain, and a comparison)."""
    parts = []
    if "seconds" in measured or "samples" in measured:
        amount = _amount(measured["seconds"], "s") if "seconds" in measured else _amount(measured["samples"], "samples")
        text = f"{amount}, {_percent(measured.get('share', 0.0))} of the profile"
        if "calls" in measured:
            text += f", {measured['calls']:,} call{'s' * (measured['calls'] != 1)}"
        parts.append(text)
    if "renders" in measured:
        parts.append(f"{measured['renders']:,} render{'s' * (measured['renders'] != 1)}, "
                     f"{_amount(measured['render_ms'] / 1000.0, 's')} rendering "
                     f"({_percent(measured['render_share'])} of the commits)")
    text = "measured: " + "; ".join(parts)
    chain = measured.get("chain")
    if chain:
        text += "; chain: " + ", ".join(
            f"{step['function']} {_amount(step['seconds'], 's') if 'seconds' in step else _amount(step.get('samples', 0), 'samples')}"
            + (f" ({step['calls']:,} calls)" if "calls" in step else "")
            for step in chain if "seconds" in step or "samples" in step
        )
    later = measured.get("after")
    if later is not None:
        if "seconds" in later or "samples" in later:
            amount = _amount(later["seconds"], "s") if "seconds" in later else _amount(later["samples"], "samples")
        else:
            amount = f"{_amount(later.get('render_ms', 0.0) / 1000.0, 's')} rendering"
        text += f"; after: {amount}, {_percent(later.get('share', 0.0))}"
        if "change" in measured:
            text += f" ({measured['change']:+.0f} %)"
    return text
