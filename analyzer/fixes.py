"""Fixes: text edits, how rules build them, and how `--fix` / `--diff` apply them.

A fix is a tuple of `TextEdit`s (span + new text). Python rules usually build
the new source with libcst (formatting preserved) and turn the difference into
edits with `edits_between`, so every fix has the same shape for SARIF.

Edits that cost real work (a libcst parse) are deferred: the rule records what
to do (`Fix.deferred`) and `build_fixes` makes the edits only when a fix is
applied or reported, sharing the work between the fixes of one file.

Positions count lines as `SourceFile` does: they end at LF, CRLF or a lone CR.

What `--fix` writes, and what it leaves alone (with a warning naming the file):
- a file that parsed with syntax errors, or whose fixed text would not parse (or,
  for Python, would not compile where the original did), is not fixed;
- a file that changed on disk since it was checked is not fixed;
- a symbolic link is fixed at its target only when the target is inside the
  project (the run's root directory); a link leading out of the project is not
  fixed. A target reached through several links is fixed once.
- a byte order mark is kept, and so are the file's line ends.
"""

from __future__ import annotations

import importlib
import os
import warnings
from typing import Iterable, NamedTuple, Optional

from .findings import Fix, Span, TextEdit
from .source import line_chunks

_UTF8_BOM = b"\xef\xbb\xbf"


def _line_offsets(text: str) -> list[int]:
    """Where each line starts (lines as `split_lines` counts them)."""
    offsets = [0]
    position = 0
    for chunk in line_chunks(text):
        position += len(chunk)
        offsets.append(position)
    if offsets[-1] == len(text) and text and text[-1] not in "\r\n":
        offsets.pop()  # the last line has no line end: no line starts after it
    return offsets


def _index_in_line(line: str, col: int) -> int:
    """1-based UTF-16 column -> index into `line`, stopping at its line end."""
    units = col - 1
    index = 0
    while units > 0 and index < len(line) and line[index] not in "\r\n":
        units -= 2 if ord(line[index]) > 0xFFFF else 1
        index += 1
    return index


def _offset(text: str, offsets: list[int], line: int, col: int) -> int:
    """1-based line and UTF-16 column -> index into `text`."""
    if line - 1 >= len(offsets):
        return len(text)
    start = offsets[line - 1]
    end = offsets[line] if line < len(offsets) else len(text)
    return start + _index_in_line(text[start:end], col)


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str:
    """Apply non-overlapping edits; overlapping ones after the first are dropped."""
    offsets = _line_offsets(text)
    ranges = []
    for edit in edits:
        s = edit.span
        start = _offset(text, offsets, s.line, s.col)
        end = _offset(text, offsets, s.end_line, s.end_col)
        ranges.append((start, end, edit.new_text))
    # Two fixes may make the same edit (both add `import asyncio`): apply it once.
    ranges = sorted(set(ranges), key=lambda r: (r[0], r[1], r[2]))
    out, position = [], 0
    for start, end, new_text in ranges:
        if start < position:
            continue  # overlaps an edit already applied
        out.append(text[position:start])
        out.append(new_text)
        position = end
    out.append(text[position:])
    return "".join(out)


def edits_between(path: str, old: str, new: str, first_line: int = 1) -> tuple[TextEdit, ...]:
    """The line-level edits that turn `old` into `new` (for fixes built by rewriting).

    `old` may be a run of whole lines of a file, starting at line `first_line`."""
    import difflib  # here: a check that makes no fix never needs it (start-up time)

    old_lines = line_chunks(old)
    new_lines = line_chunks(new)
    edits = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        # Replace whole lines i1..i2 (0-based, end exclusive) by new_lines j1..j2.
        span = Span(path, first_line + i1, 1, first_line + i2, 1)
        edits.append(TextEdit(span, "".join(new_lines[j1:j2])))
    return tuple(edits)


def rewrite_lines(text: str, chunks: list[str], path: str, replacements) -> tuple[TextEdit, ...]:
    """Line-level edits for replacing small ranges of `text` (whose `line_chunks` are `chunks`):
    `replacements` are ((line, col), (end_line, end_col), new_text), in order and not
    overlapping. Only the lines they touch are compared, so the cost does not grow with the file."""
    first = replacements[0][0][0]
    last = max(end[0] for _, end, _ in replacements)
    block_lines = chunks[first - 1 : last]
    starts = [0]
    for chunk in block_lines:
        starts.append(starts[-1] + len(chunk))
    block = "".join(block_lines)

    def index(line: int, col: int) -> int:
        row = line - first
        return starts[row] + _index_in_line(block_lines[row], col)

    out, position = [], 0
    for start, end, new_text in replacements:
        begin = index(*start)
        out.append(block[position:begin])
        out.append(new_text)
        position = index(*end)
    out.append(block[position:])
    return edits_between(path, block, "".join(out), first_line=first)


def unified_diff(path: str, old: str, new: str) -> str:
    """A diff that `git apply` and `patch -p1` apply: lines split at LF only (as those tools
    read them; a CR stays part of its line), and a last line without a newline marked so."""
    import difflib

    out = []
    for line in difflib.unified_diff(
        _lf_lines(old),
        _lf_lines(new),
        fromfile=f"a/{path}",
        tofile=f"b/{path}",
    ):
        out.append(line)
        if not line.endswith("\n"):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


def _lf_lines(text: str) -> list[str]:
    lines = text.split("\n")
    chunks = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        chunks.append(lines[-1])
    return chunks


# -- deferred fixes ----------------------------------------------------------------------


def build_fixes(result) -> list[tuple[str, str]]:
    """Make the edits of every deferred fix of the run (in place), once.

    A builder is called as `builder(source, shared, *arguments)`: `shared` is one dict per file,
    for work the fixes of that file share (one libcst parse). It returns the edits, or raises
    `FixUnavailable`; such a fix is dropped. Returns (rel_path, reason) for each one dropped."""
    dropped = []
    shared_by_path: dict[str, dict] = {}
    for finding in result.findings:
        fix = finding.fix
        if fix is None or fix.deferred is None:
            continue
        path = finding.span.path
        source = result.sources.get(path)
        builder_name, arguments = fix.deferred
        try:
            if source is None:
                raise FixUnavailable("the file is not loaded")
            edits = _builder(builder_name)(source, shared_by_path.setdefault(path, {}), *arguments)
            if not edits:
                raise FixUnavailable("it changes nothing")
        except Exception as error:  # a fix we cannot make is dropped, never the run
            finding.fix = None
            dropped.append((path, f"{finding.code} fix at line {finding.span.line} dropped: {error}"))
            continue
        finding.fix = Fix(fix.description, tuple(edits), fix.safe)
    return dropped


class FixUnavailable(Exception):
    """A deferred fix cannot be made (its message says why)."""


def _builder(name: str):
    # The name comes back from the cache too: only a perfscan module's build_* function is called.
    module, _, function = name.partition(":")
    if not (module.startswith("perfscan.") and function.startswith("build_")):
        raise FixUnavailable(f"no fix builder {name!r}")
    return getattr(importlib.import_module(module), function)


# -- --fix and --diff ----------------------------------------------------------------------


class FilePlan(NamedTuple):
    source: object  # the SourceFile as checked
    new_text: str  # its text with the fixes applied (no BOM, as `source.text`)
    applied: list  # the findings fixed
    target: str  # the file to write: the path itself, or the target of a link to it
    bom: str = ""  # "\ufeff" when the file starts with a byte order mark: written back

    @property
    def old_file_text(self) -> str:
        return self.bom + self.source.text

    @property
    def new_file_text(self) -> str:
        return self.bom + self.new_text


def plan_fixes(result) -> tuple[dict, list]:
    """Safe fixes of the run's active findings, per file.

    Returns ({rel_path: FilePlan}, [refusals]) where a refusal is (rel_path, reason)
    for a file (or a fix) left alone; see the module's docstring for when."""
    from perfscan import grammars

    refused = list(build_fixes(result))
    by_path: dict[str, list] = {}
    for finding in result.active:
        if finding.fix is not None and finding.fix.safe:
            by_path.setdefault(finding.span.path, []).append(finding)
    root = os.path.realpath(result.root)
    planned: dict[str, FilePlan] = {}
    written_by: dict[str, str] = {}  # real path -> the rel_path that fixes it
    # Files that are not links first, so a target also reached through a link is fixed as itself.
    order = sorted(by_path, key=lambda rel: (_is_link(result.sources.get(rel)), rel))
    for rel_path in order:
        findings = by_path[rel_path]
        source = result.sources.get(rel_path)
        if source is None:
            continue
        target = os.path.realpath(source.path)
        if target in written_by:
            refused.append((rel_path, f"is the same file as {written_by[target]}, fixed there"))
            continue
        bom, reason = rewrite_state(source, root, "fix")
        if reason is not None:
            refused.append((rel_path, reason))
            continue
        edits, applied, taken = [], [], []
        for finding in findings:
            # Findings whose edits overlap an earlier finding's wait for the next run.
            new_edits = [e for e in finding.fix.edits if e not in edits]
            ranges = [_range_key(e) for e in new_edits]
            if any(_overlaps(r, t) for r in ranges for t in taken):
                continue
            taken.extend(ranges)
            edits.extend(finding.fix.edits)
            applied.append(finding)
        new_text = apply_edits(source.text, edits)
        if new_text == source.text:
            continue
        tree = grammars.parse(source.language, new_text.encode("utf-8"))
        if tree.root_node.has_error:
            refused.append((rel_path, "the fixed file would not parse; no fix written"))
            continue
        if source.family == "python" and _compiles(source.text, rel_path) and not _compiles(new_text, rel_path):
            refused.append((rel_path, "the fixed file would not compile; no fix written"))
            continue
        written_by[target] = rel_path
        planned[rel_path] = FilePlan(source, new_text, applied, target, bom)
    return planned, refused


def write_fix(plan: FilePlan) -> Optional[str]:
    """Write a planned fix to its target; the reason when it cannot be written."""
    if not os.path.isfile(plan.target):
        return "the file no longer exists; no fix written"
    try:
        with open(plan.target, "w", encoding="utf-8", newline="") as handle:
            handle.write(plan.new_file_text)
    except OSError as error:
        return f"cannot write fix: {error.strerror or error}"
    return None


def _is_link(source) -> bool:
    return source is not None and os.path.islink(source.path)


def _within(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def rewrite_state(source, root: str, what: str) -> tuple[str, Optional[str]]:
    """(the file's byte order mark, why perfscan must not rewrite it or None): not a file with
    syntax errors, not one reached through a link out of the project (`root`, real path), not
    one changed on disk since it was checked. `what` names the edit in the reason ("fix").
    A source that is not on disk (an in-memory check) is planned as it is."""
    if source.partial:
        return "", f"the file has syntax errors; no {what} written"
    target = os.path.realpath(source.path)
    if not _within(target, root):
        return "", f"is a link to {target}, outside the project; no {what} written"
    try:
        with open(target, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return "", None
    except OSError as error:
        return "", f"cannot read the file: {error.strerror or error}; no {what} written"
    bom = data.startswith(_UTF8_BOM)
    if (data[len(_UTF8_BOM):] if bom else data) != source.data:
        return "", f"the file changed since it was checked; no {what} written"
    return ("\ufeff" if bom else ""), None


def _compiles(text: str, rel_path: str) -> bool:
    """Whether CPython compiles `text` (to bytecode, never run): catches what tree-sitter accepts
    but Python does not, such as `await` outside an `async def`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escapes and the like: not ours to report
        try:
            compile(text, rel_path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
    return True


def _range_key(edit: TextEdit):
    s = edit.span
    return ((s.line, s.col), (s.end_line, s.end_col))


def _overlaps(a, b) -> bool:
    (a_start, a_end), (b_start, b_end) = a, b
    if a_start == a_end or b_start == b_end:  # an insertion clashes only inside the other range
        return b_start < a_start < b_end or a_start < b_start < a_end or (a_start == b_start and a_end == b_end)
    return a_start < b_end and b_start < a_end
