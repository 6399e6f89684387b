"""Where files are checked: in this process, or in worker processes under a per-file watchdog.

`Checkers` is what the engine asks to extract (phase 1) and check (phase 2) a language family's
files; it decides where. Small runs stay in this process. Larger ones, and every run with a file
time limit, go to a `WorkerPool`: each worker owns a `FileChecker` and talks to the parent over
one Pipe.
Phase 1 hands out chunks of files (largest first) to whichever worker is idle;
the worker parses them, builds their facts, checks each file early (against
an index without the other files, recording the questions asked), keeps the
trees a phase-2 check may need and answers with plain summaries. The parent
merges the project index and sends it to every worker; phase 2 asks each worker
for the files it extracted (an early check whose answers still hold costs no
work; otherwise the kept tree is checked, or the file parsed again), then hands
out files whose summary came from the cache but whose project index changed.
Trees never cross a process boundary.

The watchdog: each worker notes in shared memory (its clock: no message, no wake-up of the
parent) which item it has started and when. A file that takes longer than the limit is reported
(a "timeout" notification), its worker killed and replaced, and the rest of its work handed out
again: a signal could not interrupt tree-sitter or the regex engine in the middle of a call,
stopping a process can. A worker that dies (a crash in native code, os._exit, the OOM killer) is
handled the same way: the file it was on is reported (a "crashed" notification with the signal
or exit code) and not cached, and the run goes on.

`fork` is used where the platform offers it (cheap start, inherits loaded
grammars and rules), `spawn` elsewhere.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import resource
import signal
import sys
import time
import traceback
from multiprocessing.connection import wait
from typing import Callable, Optional

from .checker import Checked, Extracted, FileChecker, note_key
from .findings import Notification
from .memory import tune_gc, worker_share_kb
from .source import LANGUAGE_FAMILY
from .summaries import UNPACKED_PER_PACKED, UNSHARED_PER_PACKED, IndexInputs, PackedSummary

# Chunks small enough to balance the load, large enough to keep messages few.
MAX_CHUNK = 16
# Below this much source per process, starting workers costs more than it saves.
MIN_BYTES_PER_WORKER = 256 * 1024


def worker_count(jobs: Optional[int], total_bytes: int, files: int) -> int:
    """`jobs` given: that many (never more than files); else the cores, fewer for small runs."""
    if files <= 1:
        return 1
    if jobs is not None:
        return max(1, min(jobs, files))
    cores = os.cpu_count() or 1
    return max(1, min(cores, files, total_bytes // MIN_BYTES_PER_WORKER))


def crash_note(rel_path: str, exitcode: Optional[int]) -> Notification:
    if exitcode is not None and exitcode < 0:
        try:
            how = f"signal {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"signal {-exitcode}"
        if exitcode == -signal.SIGKILL:
            how += ", killed from outside: out of memory?"
    else:
        how = f"exit code {exitcode}"
    return Notification(
        "error", f"checking this file crashed the worker process ({how}); file skipped, please report it",
        rel_path, kind="crashed",
    )


def timeout_note(rel_path: str, limit: float) -> Notification:
    return Notification(
        "error",
        f"checking this file took longer than {limit:g} s and was stopped; file skipped "
        "(raise `file-timeout` in [tool.perfscan] or --file-timeout)",
        rel_path,
        kind="timeout",
    )


class Checkers:
    """The checkers of one run: this process's own `FileChecker`, and a worker pool started when
    the work is large enough for it or a file time limit is set."""

    def __init__(self, root: str, config, rules: list, early_families: frozenset, *,
                 jobs: Optional[int], budget_kb: int, file_timeout: Optional[float]):
        self.local = FileChecker(root, config, rules, hold_limit_kb=budget_kb, early_families=early_families)
        self.pool: Optional[WorkerPool] = None
        self._pool_args = (root, config, rules, early_families, budget_kb, file_timeout)
        self.jobs = jobs
        self.file_timeout = file_timeout
        self._held_by_pool = False  # whether the current family's trees are in the workers

    @property
    def workers(self) -> int:
        return self.pool.count if self.pool is not None else 1

    def _use_pool(self, count: int, files: list) -> bool:
        if self.pool is None and (count > 1 or (self.file_timeout and files)):
            self.pool = WorkerPool(count, *self._pool_args)
        return self.pool is not None and bool(files)

    def extract(self, files: list, sizes: dict[str, int], progress: Callable[[int], None],
                summarize: list = ()) -> list[Extracted]:
        """Phase 1 for `files` ({rel_path: size} in `sizes`), wherever they are checked; the
        files in `summarize` (project files not reported on) give only their summaries."""
        everything = [*files, *summarize]
        self._held_by_pool = self._use_pool(worker_count(self.jobs, sum(sizes.values()), len(everything)), everything)
        if self._held_by_pool:
            # Largest first: no worker is left with a big file at the end.
            return [
                *self.pool.extract(sorted(summarize, key=lambda f: -sizes[f.rel_path]), progress, "summarize"),
                *self.pool.extract(sorted(files, key=lambda f: -sizes[f.rel_path]), progress),
            ]
        extracted = []
        for file in summarize:
            extracted.append(self.local.summarize(file))
            progress(1)
        for file in files:
            extracted.append(self.local.extract(file))
            progress(1)
        return extracted

    def check(self, inputs: Optional[IndexInputs], held: list[str], stale_files: list, stale_bytes: int,
              progress: Callable[[int], None]) -> list[Checked]:
        """Phase 2 against the index built from `inputs`: held files where they were extracted,
        then `stale_files` (parsed again)."""
        self._use_pool(worker_count(self.jobs, stale_bytes, len(stale_files)), stale_files)
        checked = []
        if not self._held_by_pool:
            self.local.set_index(inputs.index() if inputs is not None else None)
            for rel in sorted(held):
                checked.append(self.local.check_held(rel))
                progress(1)
        if self.pool is not None:
            return checked + self.pool.check(inputs, held if self._held_by_pool else [], stale_files, progress)
        for file in stale_files:
            checked.append(self.local.check_file(file))
            progress(1)
        return checked

    @property
    def replaced(self) -> int:
        """Workers the watchdog stopped, or that died, and were replaced."""
        return self.pool.replaced if self.pool is not None else 0

    @property
    def stopped(self) -> dict[str, int]:
        """Files given up on: {"timed_out": n, "crashed": n}."""
        return dict(self.pool.stopped) if self.pool is not None else {"timed_out": 0, "crashed": 0}

    def finish(self) -> tuple[int, set, list, Optional[list]]:
        """Stop the workers: files parsed, project files the indexes read, notifications about
        those they did not read, workers' peak sizes."""
        inputs = set(self.local.project_inputs())
        notes = {note_key(note): note for note in self.local.project_notes()}
        if self.pool is None:
            return self.local.parsed, inputs, list(notes.values()), None
        peaks = self.pool.close()
        notes.update(self.pool.notes)
        return self.local.parsed + self.pool.parsed, inputs | self.pool.inputs, list(notes.values()), peaks

    def terminate(self) -> None:
        if self.pool is not None:
            self.pool.terminate()


# -- the worker processes ------------------------------------------------------------------


def _context():
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _worker_main(conn, clock, root, config, rules, early_families, workers, hold_limit_kb) -> None:
    tune_gc()  # a spawned worker does not inherit the parent's settings
    checker = FileChecker(root, config, rules, hold_limit_kb=hold_limit_kb, early_families=early_families,
                          workers=workers)
    handlers = {"extract": checker.extract, "summarize": checker.summarize, "check_held": checker.check_held,
                "check_files": checker.check_file}
    inputs_sent = notes_sent = 0
    # The summaries this worker made, packed: the parent's index comes without them (see WorkerPool.check).
    produced: dict[str, tuple[str, PackedSummary]] = {}
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        op = message[0]
        try:
            if op == "index":
                inputs, share, mine = pickle.loads(message[1])
                inputs.summaries.update((rel, produced[rel]) for rel in mine)
                # Strings are shared only where the index would not fit as it comes: sharing saves
                # a quarter of its memory for ~0.3 s of CPU per worker on saleor.
                packed_kb = inputs.packed_bytes() / 1024
                share_strings = not checker.index_fits(share, packed_kb * UNSHARED_PER_PACKED)
                if share_strings:
                    # Trees are let go, if need be, before the index is unpacked, not after.
                    checker.limit_holdings(share, packed_kb * UNPACKED_PER_PACKED)
                checker.set_index(inputs.index(share_strings))
                del inputs  # the packed summaries; this worker's own stay in `produced`
                conn.send(("ok", None))
            elif op == "stop":
                conn.send(("ok", (checker.parsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)))
                return
            else:
                handle = handlers[op]
                answers = []
                for item in message[1]:
                    # For the parent's watchdog: since when this process works on which item
                    # (shared memory, no message; time first, so the count never runs ahead).
                    clock[_SINCE] = time.monotonic()
                    clock[_STARTED] += 1
                    answers.append(handle(item))
                if op in ("extract", "summarize"):
                    produced.update(
                        (out.rel_path, (LANGUAGE_FAMILY[out.language], out.summary)) for out in answers if out.has_facts
                    )
                # The project files read (and not read) so far go with the answers when they
                # changed: a worker stopped by the watchdog cannot be asked at the end.
                inputs, notes = checker.project_inputs(), checker.project_notes()
                conn.send(("ok", (answers, inputs if len(inputs) != inputs_sent else None,
                                  notes if len(notes) != notes_sent else None)))
                inputs_sent, notes_sent = len(inputs), len(notes)
        except Exception:
            conn.send(("error", traceback.format_exc()))


# The two slots of a worker's clock: items started so far, and when the last one started.
_STARTED, _SINCE = 0, 1


class WorkerError(RuntimeError):
    pass


class WorkerDied(WorkerError):
    """The worker process ended without answering (a crash in native code, os._exit, the OOM
    killer): `exitcode` as multiprocessing gives it (negative: the signal)."""

    def __init__(self, pid: int, exitcode: Optional[int]):
        super().__init__(f"worker process {pid} died (exit code {exitcode})")
        self.exitcode = exitcode


class _Worker:
    """One worker process, the items it was sent and has not answered yet, and its clock."""

    def __init__(self, context, args):
        parent_end, child_end = context.Pipe()
        self.clock = context.RawArray("d", 2)
        self.process = context.Process(target=_worker_main, args=(child_end, self.clock, *args), daemon=True)
        self.process.start()
        child_end.close()
        self.conn = parent_end
        self.pending: list[tuple[str, object]] = []  # (op, item) sent and not answered, in order
        self.chunks: list[int] = []  # the size of each chunk in flight
        self.answered = 0  # items answered so far
        self.idle_until = 0.0  # when it was last sent work while idle
        self.retired = False

    def send(self, op: str, items: list) -> None:
        if not self.pending:
            self.idle_until = time.monotonic()
        self.pending.extend((op, item) for item in items)
        self.chunks.append(len(items))
        try:
            self.conn.send((op, items))
        except OSError:
            pass  # it died: the pipe's end is read next and says so; these items go elsewhere

    def receive_chunk(self) -> tuple[list, Optional[list], Optional[list]]:
        answers, inputs, notes = self.receive()
        del self.pending[: self.chunks.pop(0)]
        self.answered += len(answers)
        return answers, inputs, notes

    def receive(self):
        try:
            status, payload = self.conn.recv()
        except (EOFError, OSError):
            self.process.join(timeout=5)
            raise WorkerDied(self.process.pid, self.process.exitcode) from None
        if status != "ok":
            raise WorkerError(f"worker failed:\n{payload}")
        return payload

    def since(self) -> float:
        """When the item it works on started (an idle worker's clock is older than its work)."""
        return max(self.clock[_SINCE], self.idle_until)

    def current(self) -> int:
        """Which of `pending` it works on."""
        return min(max(0, int(self.clock[_STARTED]) - self.answered - 1), len(self.pending) - 1)

    def kill(self) -> None:
        self.retired = True
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class WorkerPool:
    def __init__(self, count: int, root: str, config, rules: list, early_families: frozenset,
                 budget_kb: Optional[int] = None, file_timeout: Optional[float] = None):
        self._context = _context()
        self._args = (root, config, rules, early_families)
        self.count = count
        self.budget_kb = budget_kb
        self.file_timeout = file_timeout or None
        self.parsed = 0
        self.replaced = 0  # workers stopped by the watchdog, or that died
        self.stopped = {"timed_out": 0, "crashed": 0}  # files given up on, by why
        self.inputs: set[str] = set()  # project files the workers' indexes read
        self.notes: dict[tuple, Notification] = {}  # note_key -> project file they did not read
        self.workers = [self._start() for _ in range(count)]
        self._holder: dict[str, _Worker] = {}  # rel_path -> worker that extracted (holds) it
        self._producer: dict[str, _Worker] = {}  # rel_path -> worker that made its summary
        self._files: dict = {}  # rel_path -> DiscoveredFile, to parse a file again elsewhere
        self._inputs: Optional[IndexInputs] = None  # phase 2's index, for a worker started during phase 2

    def _share_kb(self) -> Optional[int]:
        return worker_share_kb(self.budget_kb, self.count) if self.budget_kb else None

    def _start(self) -> _Worker:
        # A forked worker's collector would otherwise walk, and so copy, every page of the
        # parent's objects it inherited (grammars, rules, summaries).
        gc.freeze()
        try:
            return _Worker(self._context, (*self._args, self.count, self._share_kb()))
        finally:
            gc.unfreeze()

    def extract(self, files: list, progress: Callable[[int], None], op: str = "extract") -> list[Extracted]:
        """Phase 1 over `files` (ideally largest first); returns Extracted, in any order. `op`
        "summarize": the summaries only (files not reported on)."""
        self._files.update((file.rel_path, file) for file in files)
        out = []
        for worker, item in self._dispatch({}, list(files), "", op, progress):
            if item.held:
                self._holder[item.rel_path] = worker
            if item.has_facts:
                self._producer[item.rel_path] = worker
            out.append(item)
        return out

    def check(self, inputs: Optional[IndexInputs], held: list[str], stale_files: list,
              progress: Callable[[int], None]) -> list[Checked]:
        """Phase 2: held files where they were parsed, then the stale ones anywhere."""
        self._inputs = inputs
        for worker in self.workers:
            self._send_index(worker)
        for slot, worker in enumerate(self.workers):
            try:
                worker.receive()
            except WorkerDied:
                # Died between files (the OOM killer, while it held trees): no file to blame;
                # what it held is parsed again below.
                self._replace(slot)
        queues: dict[int, list] = {}
        lost = []  # held by a worker the watchdog stopped: parsed again by any worker
        for rel in sorted(held):
            worker = self._holder[rel]
            if worker.retired:
                lost.append(self._files[rel])
            else:
                queues.setdefault(self.workers.index(worker), []).append(rel)
        out = [item for _, item in self._dispatch(queues, lost + list(stale_files), "check_held", "check_files", progress)]
        self._inputs = None
        return out

    def _send_index(self, worker: _Worker) -> None:
        """What the index is built from (the summaries, packed as the workers made them), less
        the summaries the worker made itself (it puts them back). The share of the budget is
        set again now that the parent has grown and the worker is about to hold the index."""
        mine = {rel for rel, producer in self._producer.items() if producer is worker}
        inputs = self._inputs.without(mine) if mine else self._inputs
        blob = pickle.dumps((inputs, self._share_kb(), sorted(mine & set(self._inputs.summaries))),
                            protocol=pickle.HIGHEST_PROTOCOL)
        try:
            worker.conn.send(("index", blob))
        except OSError:
            pass  # it died: its answer says so

    def _dispatch(self, queues: dict[int, list], shared: list, op_own: str, op_shared: str,
                  progress: Callable[[int], None]) -> list:
        """Give each worker its own next chunks, else chunks of the shared queue; returns
        (worker, answer) per item, the watchdog's answers with worker None."""
        answers = []

        def feed(slot: int) -> None:
            # Two chunks in flight: a worker starts the next one without waiting for the parent
            # to read its answers (on a loaded machine that wait cost more than the messages).
            worker = self.workers[slot]
            while len(worker.chunks) < 2:
                own = queues.get(slot)
                if own:
                    chunk, queues[slot] = own[:MAX_CHUNK], own[MAX_CHUNK:]
                    worker.send(op_own, chunk)
                elif shared:
                    size = _chunk_size(len(shared), self.count)
                    chunk = shared[:size]
                    del shared[:size]
                    worker.send(op_shared, chunk)
                else:
                    return

        for slot in range(self.count):
            feed(slot)
        while True:
            busy = [worker for worker in self.workers if worker.pending]
            if not busy:
                return answers
            for conn in wait([worker.conn for worker in busy], self._time_left(busy)):
                slot = next(i for i, worker in enumerate(self.workers) if worker.conn is conn)
                worker = self.workers[slot]
                try:
                    chunk, inputs, notes = worker.receive_chunk()
                except WorkerDied as death:
                    exitcode = death.exitcode  # `death` is unbound once the except block ends
                    answers.append((None, self._stop(slot, queues, shared, lambda rel: crash_note(rel, exitcode))))
                    progress(1)
                    feed(slot)
                    continue
                self.inputs.update(inputs or ())
                self.notes.update((note_key(note), note) for note in notes or ())
                answers.extend((worker, answer) for answer in chunk)
                progress(len(chunk))
                feed(slot)
            for slot, worker in enumerate(self.workers):
                if worker.pending and self._overdue(worker):
                    worker.kill()
                    answers.append((None, self._stop(slot, queues, shared, lambda rel: timeout_note(rel, self.file_timeout))))
                    progress(1)
                    feed(slot)

    def _time_left(self, busy: list) -> Optional[float]:
        if self.file_timeout is None:
            return None
        return max(0.0, min(worker.since() for worker in busy) + self.file_timeout - time.monotonic())

    def _overdue(self, worker: _Worker) -> bool:
        # Answers already in the pipe came in time: they are read on the next round.
        return (
            self.file_timeout is not None
            and time.monotonic() - worker.since() > self.file_timeout
            and not worker.conn.poll()
        )

    def _stop(self, slot: int, queues: dict[int, list], shared: list, note_for: Callable[[str], Notification]):
        """Give up on the item the worker in `slot` was on (it ran too long and was killed, or
        it died): start another worker in its place and hand its unanswered work out again; the
        answer for that file is `note_for(rel_path)`, and it is not cached."""
        worker = self.workers[slot]
        stuck = worker.current()
        op, item = worker.pending[stuck]
        rest = worker.pending[:stuck] + worker.pending[stuck + 1:]
        # Its trees and early findings died with it: the files it held are parsed again.
        rest += [("check_held", rel) for rel in queues.pop(slot, [])]
        shared[:0] = [self._files[other] if op_other == "check_held" else other for op_other, other in rest]
        self._replace(slot)
        note = note_for(item if isinstance(item, str) else item.rel_path)
        self.stopped["timed_out" if note.kind == "timeout" else "crashed"] += 1
        if op in ("extract", "summarize"):
            return Extracted(note.path, item.language, notes=[note], stopped=True)
        return Checked(note.path, notes=[note], stopped=True)

    def _replace(self, slot: int) -> None:
        """A new worker in place of the one in `slot` (killed, or dead), with phase 2's index."""
        self.workers[slot].kill()
        self.replaced += 1
        replacement = self._start()
        if self._inputs is not None:
            self._send_index(replacement)
            replacement.receive()
        self.workers[slot] = replacement

    def close(self) -> list[int]:
        """Stop the workers; returns each one's peak resident memory (KiB)."""
        peaks = []
        for worker in self.workers:
            try:
                worker.conn.send(("stop",))
                parsed, peak = worker.receive()
                self.parsed += parsed
                peaks.append(peak)
            except (EOFError, OSError, ValueError, TypeError, WorkerError):
                pass
            worker.conn.close()
        for worker in self.workers:
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.terminate()
        return peaks

    def terminate(self) -> None:
        for worker in self.workers:
            if worker.process.is_alive():
                worker.process.terminate()
            worker.conn.close()


def _chunk_size(remaining: int, workers: int) -> int:
    # Large chunks while much is left, single files near the end so no worker idles long.
    return max(1, min(MAX_CHUNK, remaining // (workers * 4)))
