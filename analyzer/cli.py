"""`perfscan` command line.

Exit status (ruff's convention): 0 no findings, 1 findings, 2 usage or internal error.
"""

from __future__ import annotations

import os
import sys
import time
from typing import NoReturn, Optional

import click

from . import __version__

# Start-up: this module imports only click at load time (`perfscan --version` needs no more);
# each command imports what it uses, and options import what only they need (fixes and libcst
# for --fix/--diff, sarif_om for SARIF, pygls for `server`). tests/test_startup.py checks it.

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _fail(message: str) -> NoReturn:
    click.echo(f"perfscan: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _internal_error() -> NoReturn:
    """A bug of ours: the traceback, then exit 2."""
    import traceback

    traceback.print_exc()
    _fail("internal error; please report it with the traceback above")


FORMATS = ["text", "json", "sarif", "github", "gitlab", "junit"]


def _write_report(output: str, report: str) -> None:
    """Write a report to the `-o` file (LF line ends on every platform), or fail naming it."""
    try:
        with open(output, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(report)
    except OSError as error:
        _fail(f"cannot write {output}: {error.strerror or error}")


def _fail_missing(missing: list) -> NoReturn:
    _fail(f"path{'s' * (len(missing) > 1)} do{'es' * (len(missing) == 1)} not exist: {', '.join(map(_shown, missing))}")


def _cache_dir(paths: list, no_cache: bool, cache_dir: Optional[str]) -> Optional[str]:
    """The cache directory a run uses: None with --no-cache, --cache-dir's, else the project root's."""
    if no_cache:
        return None
    if cache_dir is None:
        from .cache import DEFAULT_DIR_NAME
        from .discovery import project_root

        cache_dir = os.path.join(project_root(paths), DEFAULT_DIR_NAME)
    return cache_dir


def _shown(path: str) -> str:
    from .reporters.text import terminal_safe

    return terminal_safe(path)


def _use_color(choice: str, output) -> bool:
    """--color always/never win; auto: not into a file, NO_COLOR (any non-empty value) turns it
    off, FORCE_COLOR turns it on, else colour on a terminal (https://no-color.org)."""
    if choice != "auto":
        return choice == "always"
    if output is not None or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


def _stdin_mode(paths: list, stdin_filename, fix: bool) -> bool:
    if "-" not in paths:
        if stdin_filename:
            _fail("--stdin-filename needs `-` as the path")
        return False
    if len(paths) > 1:
        _fail("`-` (standard input) cannot be combined with other paths")
    if not stdin_filename:
        _fail("reading standard input (`-`) needs --stdin-filename PATH: its extension gives the language")
    if fix:
        _fail("--fix cannot write back to standard input; use --diff")
    from .source import language_for

    if language_for(stdin_filename) is None:
        _fail(f"--stdin-filename {_shown(stdin_filename)}: not a Python, TypeScript or JavaScript file name")
    return True


def _check_stdin(stdin_filename: str, config, measure=None):
    """The buffer on standard input as the file `stdin_filename`, checked on its own (no
    cross-file facts: a helper in another file is not followed), with paths relative to the
    project root as a run over that file would give."""
    from .discovery import project_root
    from .engine import RunResult, check_sources, source_from_bytes
    from .source import language_for

    absolute = os.path.abspath(stdin_filename)
    root = project_root([absolute])
    rel_path = os.path.relpath(absolute, root).replace(os.sep, "/")
    result = RunResult(root=root)
    source, note = source_from_bytes(absolute, rel_path, language_for(stdin_filename), sys.stdin.buffer.read())
    if note is not None:
        result.notifications.append(note)
    return check_sources([source] if source is not None else [], root, config, result=result, measure=measure)


def _load_profiles(profile_paths, compare_paths, min_share, hot_spot_share):
    """--profile and friends -> the measure stage's options (None without a profile). A file
    that is no profile perfscan reads is an error naming it (exit 2), before anything runs."""
    if not profile_paths:
        for given, option in ((compare_paths, "--profile-compare"), (min_share, "--min-share"),
                              (hot_spot_share, "--hot-spot-share")):
            if given:
                _fail(f"{option} needs --profile FILE")
        return None
    from .profiles import ProfileError, load_profile
    from .profiles.measure import DEFAULT_HOT_SPOT_SHARE, MeasureOptions

    try:
        profiles = [load_profile(path) for path in profile_paths]
        compare = [load_profile(path) for path in compare_paths]
    except ProfileError as error:
        _fail(_shown(str(error)))
    for group in (profiles, compare):
        units = {}
        for profile in group:
            if profile.renders:
                continue
            if units.setdefault(profile.family, profile.unit) != profile.unit:
                _fail(f"{_shown(profile.path)}: recorded in {profile.unit}, another profile in {units[profile.family]}: "
                      "give profiles of one kind (all timed, or all sample counts)")
    return MeasureOptions(profiles, compare, hot_spot_share if hot_spot_share is not None else DEFAULT_HOT_SPOT_SHARE,
                          min_share)


def _load_baseline(path):
    if path is None:
        return None
    from .baseline import BaselineError, load

    try:
        return load(path)
    except BaselineError as error:
        _fail(str(error))


def _report_options(result, paths, repository_root, baseline_path, baseline_entries, write_baseline_path,
                    sarif_category, sarif_include_suppressed):
    from .reporters.common import ReportOptions, ReportPaths, fingerprints

    report_paths = ReportPaths.for_run(result.root, paths, repository_root)
    options = ReportOptions(paths=report_paths, sarif_category=sarif_category,
                            sarif_include_suppressed=sarif_include_suppressed, scanned=report_paths.scanned(paths))
    if baseline_entries is not None and not write_baseline_path:
        from .baseline import compare

        options.baseline = compare(baseline_path, baseline_entries, result.findings, fingerprints(result, report_paths))
    return options


def _write_baseline(result, options, path: str) -> None:
    from .baseline import BaselineError, entries_of, write
    from .reporters.common import fingerprints

    entries = entries_of(result.active, fingerprints(result, options.paths), options.paths)
    try:
        write(path, entries)
    except BaselineError as error:
        _fail(str(error))
    click.echo(f"Wrote a baseline of {len(entries)} finding{'s' * (len(entries) != 1)} to {_shown(path)}.", err=True)


def _print_run_stats_at_exit(flag: bool, result, started: float, run_started: float) -> None:
    """--show-timings / PERFSCAN_STATS=1: the run's statistics on stderr when the command ends,
    whichever way it exits (report, --diff, --write-baseline...)."""
    from .memory import peak_resident_kb
    from .run_stats import render_run_stats, stats_wanted

    if not stats_wanted(flag):
        return
    run_ended = time.perf_counter()
    stats = result.stats
    stats["setup_s"] = round(run_started - started, 3)
    # Standard input is checked without the engine's stages: its count and time at least.
    stats.setdefault("files", result.files_checked)
    stats.setdefault("total_s", round(run_ended - run_started, 3))

    def emit() -> None:
        now = time.perf_counter()
        stats["output_s"], stats["command_s"] = round(now - run_ended, 3), round(now - started, 3)
        stats["peak_rss_kb"] = peak_resident_kb()  # the whole command's, output included
        sys.stdout.flush()  # the report first, where both go to one terminal or log
        click.echo(render_run_stats(stats, __version__), err=True, nl=False)

    click.get_current_context().call_on_close(emit)


def _add_ignores(result, from_stdin: bool) -> NoReturn:
    """--add-ignore: a suppression comment for each current finding (analyzer/add_ignore.py)."""
    from .add_ignore import plan_ignores
    from .fixes import write_fix

    if from_stdin:
        _fail("--add-ignore cannot write back to standard input")
    planned, refused, count = plan_ignores(result)
    for rel_path, reason in refused:
        click.echo(f"perfscan: warning: {_shown(rel_path)}: {reason}", err=True)
    written = 0
    for rel_path, plan in planned.items():
        problem = write_fix(plan)
        if problem is not None:
            click.echo(f"perfscan: error: {_shown(rel_path)}: {problem}", err=True)
            continue
        written += 1
    click.echo(f"Added {count} suppression{'s' * (count != 1)} to {written} file{'s' * (written != 1)}.", err=True)
    if written < len(planned):
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if refused else EXIT_CLEAN)  # 1: findings left without a suppression


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="perfscan", message="%(prog)s %(version)s")
def cli() -> None:
    """Find what makes Python backends and React frontends slow."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for people; json; sarif for code scanning; github (workflow annotations), gitlab (Code Quality), junit.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the report to FILE instead of stdout.")
@click.option("--select", multiple=True, help="Rule codes, names or prefixes to enable (comma-separated; replaces the config's).")
@click.option("--ignore", multiple=True, help="Rule codes, names or prefixes to disable (comma-separated).")
@click.option("--exclude", multiple=True, help="Extra gitignore-style path patterns to skip (comma-separated or repeated).")
@click.option("--force-exclude/--no-force-exclude", default=None, help="Apply `exclude` to files and directories named on the command line too (default: on).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Configuration file for every file (perfscan.toml, .perfscan.toml or pyproject.toml; default: each file's nearest one).")
@click.option("--report-unused-ignores", is_flag=True, help="Report suppression comments that silence nothing or name an unknown code (PF000).")
@click.option("--add-ignore", is_flag=True, help="Add a suppression comment for every current finding, then exit.")
@click.option("--no-gitignore", is_flag=True, help="Do not honour .gitignore files.")
@click.option("--max-file-size", type=click.IntRange(min=1), help="Skip files larger than this many bytes.")
@click.option("--file-timeout", type=click.FloatRange(min=0), metavar="SECONDS", help="Stop checking a file after this long and report it (default 20; 0: no limit).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--fix", is_flag=True, help="Apply safe fixes in place.")
@click.option("--diff", is_flag=True, help="Print the safe fixes as a unified diff; change nothing.")
@click.option("--no-source", is_flag=True, help="Text format: one line per finding, without the source excerpt.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Worker processes (default: one per core; 1 checks in this process).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False), envvar="PERFSCAN_CACHE_DIR", show_envvar=True, help="Cache directory (default: .perfscan_cache in the project root).")
@click.option("--statistics", is_flag=True, help="Print the number of findings per rule instead of the findings.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
              help="Colour the text output (auto: on a terminal, unless NO_COLOR; FORCE_COLOR forces it).")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Report only findings not in this baseline (written by --write-baseline).")
@click.option("--write-baseline", "write_baseline_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write every current finding to FILE as the baseline, report nothing, exit 0.")
@click.option("--root", "repository_root", type=click.Path(file_okay=False, exists=True), metavar="DIR",
              help="Repository root that SARIF, GitHub, GitLab and JUnit paths and baselines are relative to (default: the git top level, else the project root).")
@click.option("--sarif-category", metavar="TEXT", help="SARIF automationDetails.id (default: perfscan/<scanned path>/).")
@click.option("--sarif-include-suppressed", is_flag=True, help="Keep suppressed findings in SARIF, marked with `suppressions` (GitHub ignores that mark and would show them as open alerts).")
@click.option("--include-tests", is_flag=True, help="Report findings of hot-path rules (PF101-PF104, PF2xx, PF3xx...) in test files (config `test-paths`) too, at level note.")
@click.option("--stdin-filename", metavar="PATH", help="With `-` as the path: the name of the file read from standard input (its extension gives the language).")
@click.option("--profile", "profile_paths", multiple=True, type=click.Path(dir_okay=False), metavar="FILE",
              help="A recorded profile (cProfile .prof, pyinstrument or speedscope JSON, V8 .cpuprofile, React Profiler export): rank findings by measured cost and list hot spots no rule explains (repeatable; `perfscan explain profile`).")
@click.option("--profile-compare", "compare_paths", multiple=True, type=click.Path(dir_okay=False), metavar="FILE",
              help="A later profile of the same program (after a fix): show each finding's change in measured cost (repeatable).")
@click.option("--min-share", type=click.FloatRange(0, 100), metavar="PERCENT",
              help="With --profile: hide findings whose code holds less than PERCENT of the profile (and those it does not cover).")
@click.option("--hot-spot-share", type=click.FloatRange(0, 100), metavar="PERCENT",
              help="With --profile: list functions holding more than PERCENT of the profile with no finding (PF001; default 5).")
@click.option("--show-timings", is_flag=True,
              help="Print on stderr where the run's time and memory went: seconds per stage, files, peak memory (also: environment PERFSCAN_STATS=1).")
def check(paths, output_format, output, select, ignore, exclude, force_exclude, config_path, report_unused_ignores, add_ignore, no_gitignore, max_file_size, file_timeout, exit_zero, fix, diff, no_source, jobs, no_cache, cache_dir,
          statistics, color, baseline_path, write_baseline_path, repository_root, sarif_category, sarif_include_suppressed, stdin_filename, include_tests,
          profile_paths, compare_paths, min_share, hot_spot_share, show_timings):
    """Check PATHS (default: the current directory; `-`: standard input, with --stdin-filename)."""
    started = time.perf_counter()
    from perfscan.rules import all_rules

    from .config import ConfigError, split_codes, validate_selectors
    from .engine import run, tune_gc
    from .reporters.common import reported
    from .reporters.text import format_notification, reconfigure_for_terminal, render_text

    reconfigure_for_terminal(sys.stdout, sys.stderr)  # never a traceback for the terminal's encoding

    paths = list(paths) or ["."]
    from_stdin = _stdin_mode(paths, stdin_filename, fix)
    missing = [p for p in paths if not from_stdin and not os.path.lexists(p)]
    if missing and len(missing) == len(paths):  # nothing to check: no report of zero files
        _fail_missing(missing)
    # Writing a baseline ignores --baseline: `--baseline b.json --write-baseline b.json` refreshes it.
    baseline_entries = None if write_baseline_path else _load_baseline(baseline_path)
    if from_stdin:
        paths = [stdin_filename]
    measure = _load_profiles(profile_paths, compare_paths, min_share, hot_spot_share)
    try:
        from .settings import CommandLine, Settings

        if config_path and not os.path.isfile(config_path):
            raise ConfigError(f"config file does not exist: {config_path}")
        command_line = CommandLine(
            select=split_codes(select), ignore=split_codes(ignore), exclude=split_codes(exclude),
            max_file_size=max_file_size, file_timeout=file_timeout,
            respect_gitignore=False if no_gitignore else None, force_exclude=force_exclude,
            report_unused_ignores=report_unused_ignores, profiled=measure is not None,
        )
        known = all_rules()
        validate_selectors(command_line.select, known, "--select")
        validate_selectors(command_line.ignore, known, "--ignore")
        # Each file's nearest configuration (or --config's); the engine runs with the run-wide part.
        settings = Settings(paths, command_line, config_path)
        config = settings.run_config()
        if include_tests:
            config.project_settings["include_tests"] = True
    except ConfigError as error:
        _fail(str(error))

    try:
        tune_gc()
        run_started = time.perf_counter()
        if from_stdin:
            result = _check_stdin(stdin_filename, config, measure)
        else:
            result = run(paths, config, jobs=jobs, cache_dir=_cache_dir(paths, no_cache, cache_dir), progress=True,
                         file_timeout=config.file_timeout or None, measure=measure)
        settings.apply(result)  # per-file select/ignore/per-file-ignores/severity
    except ConfigError as error:  # a nested configuration file, read when discovery reached it
        _fail(str(error))
    except Exception:  # a bug of ours: say so, exit 2
        _internal_error()
    _print_run_stats_at_exit(show_timings, result, started, run_started)

    for note in result.notifications:  # on stderr in every format: the output itself stays data
        click.echo(format_notification(note), err=True)

    if add_ignore:
        _add_ignores(result, from_stdin)

    fixed_ids: set[int] = set()
    if fix or diff:
        from .fixes import plan_fixes, unified_diff, write_fix

        planned, refused = plan_fixes(result)
        for rel_path, reason in refused:
            click.echo(f"perfscan: warning: {rel_path}: {reason}", err=True)
        for rel_path, plan in planned.items():
            if diff:
                click.echo(unified_diff(rel_path, plan.old_file_text, plan.new_file_text), nl=False)
            else:
                problem = write_fix(plan)
                if problem is not None:
                    click.echo(f"perfscan: error: {rel_path}: {problem}", err=True)
                    continue
                fixed_ids.update(id(f) for f in plan.applied)
        if fix:
            count = len(fixed_ids)
            click.echo(f"Fixed {count} finding{'s' * (count != 1)}.", err=True)
        if diff:
            # A preview changes nothing: the exit status says whether fixes are pending.
            sys.exit(EXIT_FINDINGS if planned and not exit_zero else EXIT_CLEAN)

    result.findings = [f for f in result.findings if id(f) not in fixed_ids]
    options = _report_options(result, paths, repository_root, baseline_path, baseline_entries, write_baseline_path,
                              sarif_category, sarif_include_suppressed)
    if write_baseline_path:
        _write_baseline(result, options, write_baseline_path)
        sys.exit(EXIT_CLEAN)
    remaining = reported(result, options)  # with a baseline: the new ones

    use_color = _use_color(color, output)
    if statistics:
        from .reporters.text import render_statistics, rule_statistics

        if output_format == "json":
            import json

            report = json.dumps(rule_statistics(remaining), indent=2) + "\n"
        else:
            report = render_statistics(result, options)
    elif output_format == "json":
        from .reporters.json import render_json

        report = render_json(result, options)
    elif output_format == "sarif":
        from .reporters.sarif import render_sarif

        report = render_sarif(result, settings.enabled_rules(), help_uri=config.help_uri, options=options)
    elif output_format in ("github", "gitlab", "junit"):
        import importlib

        module = importlib.import_module(f".reporters.{output_format}", __package__)
        report = getattr(module, f"render_{output_format}")(result, options)
    else:
        report = render_text(result, color=use_color, show_source=not no_source, options=options)

    if output:
        _write_report(output, report)
        if output_format != "text":
            click.echo(f"Wrote {len(remaining)} finding{'s' * (len(remaining) != 1)} to {output}.", err=True)
    else:
        click.echo(report, nl=False, color=use_color)

    if result.missing_paths:
        sys.exit(EXIT_ERROR)
    if any(n.kind == "internal-error" for n in result.notifications):
        sys.exit(EXIT_ERROR)
    lost = _lost_files(result)
    if lost:  # files were there, none could be read: the run analysed nothing
        _fail(f"no file could be checked ({lost})")
    sys.exit(EXIT_FINDINGS if remaining and not exit_zero else EXIT_CLEAN)


@cli.command("routes")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people; json.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the map to FILE instead of stdout.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Configuration file (default: each file's nearest one).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Worker processes (default: one per core; 1 checks in this process).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False), envvar="PERFSCAN_CACHE_DIR", show_envvar=True, help="Cache directory (default: .perfscan_cache in the project root).")
def routes_command(paths, output_format, output, config_path, jobs, no_cache, cache_dir):
    """Print the cross-stack route map of PATHS: each backend route, its handler, the frontend
    requests that reach it and the findings on the way; then the requests linked to no route."""
    started = time.perf_counter()
    from .config import ConfigError
    from .engine import run
    from .facts import LIST_REQUESTS
    from .reporters.text import format_notification
    from .route_map import map_of_run, render_routes_text, routes_data
    from .settings import CommandLine, Settings

    paths = list(paths) or ["."]
    missing = [p for p in paths if not os.path.lexists(p)]
    if missing:
        _fail_missing(missing)
    try:
        if config_path and not os.path.isfile(config_path):
            raise ConfigError(f"config file does not exist: {config_path}")
        settings = Settings(paths, CommandLine(), config_path)
        config = settings.run_config()
        config.project_settings[LIST_REQUESTS] = True  # the requests no route is found for are listed too
        run_started = time.perf_counter()
        result = run(paths, config, jobs=jobs, cache_dir=_cache_dir(paths, no_cache, cache_dir),
                     file_timeout=config.file_timeout or None)
        settings.apply(result)
        _print_run_stats_at_exit(False, result, started, run_started)  # PERFSCAN_STATS=1
        found, index = map_of_run(result, config.project_settings)
        data = routes_data(found, index, result.active)
    except ConfigError as error:
        _fail(str(error))
    except Exception:  # a bug of ours: say so, exit 2
        _internal_error()
    for note in result.notifications:
        click.echo(format_notification(note), err=True)
    if output_format == "json":
        import json

        report = json.dumps(data, indent=2) + "\n"
    else:
        report = render_routes_text(data)
    if output:
        _write_report(output, report)
    else:
        click.echo(report, nl=False)
    sys.exit(EXIT_CLEAN)


# Notification kinds of a source file that was found but could not be checked, as the error names them.
_LOST_FILE_KINDS = {"unreadable": "unreadable", "decode": "undecodable", "binary": "binary", "too-large": "too large",
                    "special-file": "not a regular file", "timeout": "timed out", "crashed": "crashed"}


def _lost_files(result) -> str:
    """"2 undecodable, 1 binary" when no file was checked and some could not be; else "".
    A tree with no source file at all (only a README) checked nothing and lost nothing."""
    if result.files_checked:
        return ""
    counts: dict[str, int] = {}
    for note in result.notifications:
        if note.kind in _LOST_FILE_KINDS:
            counts[_LOST_FILE_KINDS[note.kind]] = counts.get(_LOST_FILE_KINDS[note.kind], 0) + 1
    return ", ".join(f"{counts[name]} {name}" for name in _LOST_FILE_KINDS.values() if name in counts)


@cli.command("rules")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
def rules_command(output_format):
    """List the rules."""
    import json

    from perfscan.rules import all_rules

    rules = all_rules()
    if output_format == "json":
        data = [
            {
                "code": r.code,
                "name": r.name,
                "languages": sorted(r.languages),
                "level": r.level,
                "tags": list(r.tags),
                "summary": r.summary,
                "fixable": bool(getattr(r, "fixable", False)),
            }
            for r in rules
        ]
        click.echo(json.dumps(data, indent=2))
    elif output_format == "markdown":
        from .docs import rule_table

        click.echo(rule_table(rules), nl=False)
    else:
        width = max((len(r.name) for r in rules), default=0)
        for r in rules:
            languages = ",".join(sorted(r.languages))
            click.echo(f"{r.code}  {r.name:<{width}}  {r.level:<7}  {languages:<6}  {r.summary}")


@cli.command()
@click.argument("code")
def explain(code):
    """Show the documentation of rule CODE (a code like PF201 or a name); `profile`: how to record one."""
    from perfscan.rules import rule_by_code_or_name

    if code.lower() in ("profile", "profiles", "profiling"):
        from .profiles.guide import GUIDE

        click.echo(GUIDE, nl=False)
        return
    rule = rule_by_code_or_name(code)
    if rule is None:
        _fail(f"no rule {code!r} (see `perfscan rules`; `perfscan explain profile`: how to record a profile)")
    click.echo(rule.markdown(), nl=False)


@cli.command()
@click.option("--stdio", is_flag=True, help="Talk LSP over stdin/stdout (the default; accepted for editors that pass it).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True, help="Worker processes for indexing the workspace.")
@click.option("--cache-dir", type=click.Path(file_okay=False), envvar="PERFSCAN_CACHE_DIR", show_envvar=True, help="Cache directory (default: .perfscan_cache in each workspace folder).")
def server(stdio, jobs, cache_dir):
    """Run the language server (LSP over stdio) for editors."""
    try:
        from .server import serve  # imports pygls: only this command pays for it
    except ImportError as error:
        _fail(f"the language server needs pygls ({error}); install it with: pip install 'pygls>=2,<3'")
    serve(cache_dir=cache_dir, jobs=jobs)


def main() -> None:
    # click exits 2 on usage errors by itself, which is our convention too.
    cli(prog_name="perfscan")


if __name__ == "__main__":  # pragma: no cover
    main()
