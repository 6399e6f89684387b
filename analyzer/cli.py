"""`perfscan` command line.

Exit status (ruff's convention): 0 no findings, 1 findings, 2 usage or internal error.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import NoReturn

import click

from . import __version__
from .config import ConfigError, find_pyproject, load_config, split_codes, validate_selectors

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _fail(message: str) -> NoReturn:
    click.echo(f"perfscan: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="perfscan", message="%(prog)s %(version)s")
def cli() -> None:
    """Find what makes Python backends and React frontends slow."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "output_format", type=click.Choice(["text", "json", "sarif"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the report to FILE instead of stdout.")
@click.option("--select", multiple=True, help="Rule codes, names or prefixes to enable (comma-separated; replaces the config's).")
@click.option("--ignore", multiple=True, help="Rule codes, names or prefixes to disable (comma-separated).")
@click.option("--exclude", multiple=True, help="Extra gitignore-style path patterns to skip.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="pyproject.toml to read [tool.perfscan] from (default: the nearest one).")
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
def check(paths, output_format, output, select, ignore, exclude, config_path, no_gitignore, max_file_size, file_timeout, exit_zero, fix, diff, no_source, jobs, no_cache, cache_dir):
    """Check PATHS (default: the current directory)."""
    from perfscan.rules import all_rules

    from .engine import run, tune_gc
    from .fixes import plan_fixes, unified_diff, write_fix
    from .reporters.text import format_notification, reconfigure_for_terminal, render_text

    reconfigure_for_terminal(sys.stdout, sys.stderr)  # never a traceback for the terminal's encoding

    paths = list(paths) or ["."]
    try:
        config_file = config_path or find_pyproject(paths[0] if os.path.exists(paths[0]) else ".")
        if config_path and not os.path.isfile(config_path):
            raise ConfigError(f"config file does not exist: {config_path}")
        config = load_config(config_file).merged(
            select=split_codes(select),
            ignore=split_codes(ignore),
            exclude=tuple(exclude),
            max_file_size=max_file_size,
            file_timeout=file_timeout,
            respect_gitignore=False if no_gitignore else None,
        )
        known = all_rules()
        validate_selectors(config.select, known, "select")
        validate_selectors(config.ignore, known, "ignore")
    except ConfigError as error:
        _fail(str(error))

    try:
        if not no_cache and cache_dir is None:
            from .cache import DEFAULT_DIR_NAME
            from .discovery import project_root

            cache_dir = os.path.join(project_root(paths), DEFAULT_DIR_NAME)
        tune_gc()
        result = run(paths, config, jobs=jobs, cache_dir=None if no_cache else cache_dir, progress=True,
                     file_timeout=config.file_timeout or None)
    except Exception:  # a bug of ours: say so, exit 2
        traceback.print_exc()
        _fail("internal error; please report it with the traceback above")

    for note in result.notifications:  # on stderr in every format: the output itself stays data
        click.echo(format_notification(note), err=True)

    fixed_ids: set[int] = set()
    if fix or diff:
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

    remaining = [f for f in result.active if id(f) not in fixed_ids]
    result.findings = [f for f in result.findings if id(f) not in fixed_ids]

    if output_format == "json":
        from .reporters.json import render_json

        report = render_json(result)
    elif output_format == "sarif":
        from .reporters.sarif import render_sarif
        from .engine import select_rules

        report = render_sarif(result, select_rules(config), help_uri=config.help_uri)
    else:
        color = output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
        report = render_text(result, color=color, show_source=not no_source)

    if output:
        try:
            with open(output, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(report)
        except OSError as error:
            _fail(f"cannot write {output}: {error.strerror or error}")
        if output_format != "text":
            click.echo(f"Wrote {len(remaining)} finding{'s' * (len(remaining) != 1)} to {output}.", err=True)
    else:
        click.echo(report, nl=False)

    if result.missing_paths:
        sys.exit(EXIT_ERROR)
    if any(n.kind == "internal-error" for n in result.notifications):
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if remaining and not exit_zero else EXIT_CLEAN)


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
    """Show the documentation of rule CODE (a code like PF201 or a name)."""
    from perfscan.rules import rule_by_code_or_name

    rule = rule_by_code_or_name(code)
    if rule is None:
        _fail(f"no rule {code!r} (see `perfscan rules`)")
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
