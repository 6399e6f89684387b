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

The watchdog: a worker answers file by file, so the parent knows which file each worker is on
and since when. A file that takes longer than the limit is reported (a "timeout" notification),
its worker killed and replaced, and the rest of its work handed out again: a signal could not
interrupt tree-sitter or the regex engine in the middle of a call, stopping a process can.

`fork` is used where the platform offers it (cheap start, inherits loaded
grammars and rules), `spawn` elsewhere.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import resource
import sys
import time
import traceback
from multiprocessing.connection import wait
from typing import Callable, Optional

from .checker import Checked, Extracted, FileChecker
from .findings import Notification
from .memory import tune_gc, worker_share_kb

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

    def extract(self, files: list, sizes: dict[str, int], progress: Callable[[int], None]) -> list[Extracted]:
        """Phase 1 for `files` ({rel_path: size} in `sizes`), wherever they are checked."""
        self._held_by_pool = self._use_pool(worker_count(self.jobs, sum(sizes.values()), len(files)), files)
        if self._held_by_pool:
            # Largest first: no worker is left with a big file at the end.
            return self.pool.extract(sorted(files, key=lambda f: -sizes[f.rel_path]), progress)
        extracted = []
        for file in files:
            extracted.append(self.local.extract(file))
            progress(1)
        return extracted

    def check(self, index, held: list[str], stale_files: list, stale_bytes: int,
              progress: Callable[[int], None]) -> list[Checked]:
        """Phase 2: held files where they were extracted, then `stale_files` (parsed again)."""
        self._use_pool(worker_count(self.jobs, stale_bytes, len(stale_files)), stale_files)
        checked = []
        if not self._held_by_pool:
            self.local.set_index(index)
            for rel in sorted(held):
                checked.append(self.local.check_held(rel))
                progress(1)
        if self.pool is not None:
            return checked + self.pool.check(index, held if self._held_by_pool else [], stale_files, progress)
        for file in stale_files:
            checked.append(self.local.check_file(file))
            progress(1)
        return checked

    @property
    def replaced(self) -> int:
        """Workers the watchdog stopped and replaced."""
        return self.pool.replaced if self.pool is not None else 0

    def finish(self) -> tuple[int, set, Optional[list]]:
        """Stop the workers: files parsed, project files the indexes read, workers' peak sizes."""
        inputs = set(self.local.project_inputs())
        if self.pool is None:
            return self.local.parsed, inputs, None
        peaks = self.pool.close()
        return self.local.parsed + self.pool.parsed, inputs | self.pool.inputs, peaks

    def terminate(self) -> None:
        if self.pool is not None:
            self.pool.terminate()


# -- the worker processes ------------------------------------------------------------------


def _context():
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _worker_main(conn, root, config, rules, early_families, hold_limit_kb) -> None:
    tune_gc()  # a spawned worker does not inherit the parent's settings
    checker = FileChecker(root, config, rules, hold_limit_kb=hold_limit_kb, early_families=early_families)
    handlers = {"extract": checker.extract, "check_held": checker.check_held, "check_files": checker.check_file}
    inputs_sent = 0
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        op = message[0]
        try:
            if op == "index":
                checker.set_index(pickle.loads(message[1]))
                checker.limit_holdings(message[2])
                conn.send(("ok", None))
            elif op == "stop":
                conn.send(("ok", (checker.parsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)))
                return
            else:
                handle = handlers[op]
                for item in message[1]:
                    answer = handle(item)
                    # The project files read so far go with the answer when they changed: a
                    # worker stopped by the watchdog cannot be asked at the end.
                    inputs = checker.project_inputs()
                    conn.send(("ok", (answer, inputs if len(inputs) != inputs_sent else None)))
                    inputs_sent = len(inputs)
        except Exception:
            conn.send(("error", traceback.format_exc()))


class WorkerError(RuntimeError):
    pass


class _Worker:
    """One worker process, and the items it was sent and has not answered yet."""

    def __init__(self, context, args):
        parent_end, child_end = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child_end, *args), daemon=True)
        self.process.start()
        child_end.close()
        self.conn = parent_end
        self.op = ""
        self.pending: list = []
        self.since = 0.0  # when the first pending item started: the previous answer's arrival
        self.retired = False

    def send(self, op: str, items: list) -> None:
        self.conn.send((op, items))
        self.op, self.pending, self.since = op, list(items), time.monotonic()

    def receive(self):
        try:
            status, payload = self.conn.recv()
        except EOFError:
            raise WorkerError(f"worker process {self.process.pid} died") from None
        if status != "ok":
            raise WorkerError(f"worker failed:\n{payload}")
        return payload

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
        self.replaced = 0  # workers stopped by the watchdog
        self.inputs: set[str] = set()  # project files the workers' indexes read
        self.workers = [self._start() for _ in range(count)]
        self._holder: dict[str, _Worker] = {}  # rel_path -> worker that extracted (holds) it
        self._files: dict = {}  # rel_path -> DiscoveredFile, to parse a file again elsewhere
        self._index_message = None  # phase 2's index, for a worker started during phase 2

    def _share_kb(self) -> Optional[int]:
        return worker_share_kb(self.budget_kb, self.count) if self.budget_kb else None

    def _start(self) -> _Worker:
        return _Worker(self._context, (*self._args, self._share_kb()))

    def extract(self, files: list, progress: Callable[[int], None]) -> list[Extracted]:
        """Phase 1 over `files` (ideally largest first); returns Extracted, in any order."""
        self._files.update((file.rel_path, file) for file in files)
        out = []
        for worker, item in self._dispatch({}, list(files), "", "extract", progress):
            if item.held:
                self._holder[item.rel_path] = worker
            out.append(item)
        return out

    def check(self, index, held: list[str], stale_files: list, progress: Callable[[int], None]) -> list[Checked]:
        """Phase 2: held files where they were parsed, then the stale ones anywhere."""
        # Pickled once, not once per worker; the shares are set again now that the parent holds
        # the index and each worker is about to hold a copy of it.
        self._index_message = ("index", pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL), self._share_kb())
        for worker in self.workers:
            worker.conn.send(self._index_message)
        for worker in self.workers:
            worker.receive()
        queues: dict[int, list] = {}
        lost = []  # held by a worker the watchdog stopped: parsed again by any worker
        for rel in sorted(held):
            worker = self._holder[rel]
            if worker.retired:
                lost.append(self._files[rel])
            else:
                queues.setdefault(self.workers.index(worker), []).append(rel)
        out = [item for _, item in self._dispatch(queues, lost + list(stale_files), "check_held", "check_files", progress)]
        self._index_message = None
        return out

    def _dispatch(self, queues: dict[int, list], shared: list, op_own: str, op_shared: str,
                  progress: Callable[[int], None]) -> list:
        """Give each idle worker its own next chunk, else a chunk of the shared queue; answers
        come file by file, (worker, answer), the watchdog's answers with worker None."""
        answers = []

        def feed(slot: int) -> None:
            own = queues.get(slot)
            if own:
                chunk, queues[slot] = own[:MAX_CHUNK], own[MAX_CHUNK:]
                self.workers[slot].send(op_own, chunk)
            elif shared:
                size = _chunk_size(len(shared), self.count)
                chunk = shared[:size]
                del shared[:size]
                self.workers[slot].send(op_shared, chunk)

        for slot in range(self.count):
            feed(slot)
        while True:
            busy = [worker for worker in self.workers if worker.pending]
            if not busy:
                return answers
            for conn in wait([worker.conn for worker in busy], self._time_left(busy)):
                slot = next(i for i, worker in enumerate(self.workers) if worker.conn is conn)
                worker = self.workers[slot]
                answer, inputs = worker.receive()
                self.inputs.update(inputs or ())
                worker.pending.pop(0)
                worker.since = time.monotonic()
                answers.append((worker, answer))
                progress(1)
                if not worker.pending:
                    feed(slot)
            for slot, worker in enumerate(self.workers):
                if worker.pending and self._overdue(worker):
                    answers.append((None, self._stop_runaway(slot, queues, shared)))
                    progress(1)
                    feed(slot)

    def _time_left(self, busy: list) -> Optional[float]:
        if self.file_timeout is None:
            return None
        return max(0.0, min(worker.since for worker in busy) + self.file_timeout - time.monotonic())

    def _overdue(self, worker: _Worker) -> bool:
        # An answer already in the pipe came in time: it is read on the next round.
        return (
            self.file_timeout is not None
            and time.monotonic() - worker.since > self.file_timeout
            and not worker.conn.poll()
        )

    def _stop_runaway(self, slot: int, queues: dict[int, list], shared: list):
        """Kill the worker stuck on its current file, start another in its place, hand its
        unanswered work out again; the answer for the stuck file is its timeout note."""
        worker = self.workers[slot]
        stuck, rest = worker.pending[0], worker.pending[1:]
        worker.kill()
        self.replaced += 1
        if worker.op == "check_held":
            # Its trees and early findings died with it: those files are parsed again.
            rest = [self._files[rel] for rel in rest + queues.pop(slot, [])]
        shared[:0] = rest
        replacement = self._start()
        if self._index_message is not None:
            replacement.conn.send(self._index_message)
            replacement.receive()
        self.workers[slot] = replacement
        rel_path = stuck if isinstance(stuck, str) else stuck.rel_path
        note = timeout_note(rel_path, self.file_timeout)
        if worker.op == "extract":
            return Extracted(rel_path, stuck.language, notes=[note], timed_out=True)
        return Checked(rel_path, notes=[note], timed_out=True)

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
