"""Worker processes for the two phases of a run.

Each worker owns a `FileChecker` and talks to the parent over one Pipe.
Phase 1 hands out chunks of files (largest first) to whichever worker is idle;
the worker parses them, builds their facts, checks each file early (against
an index without the other files, recording the questions asked), keeps the
trees a phase-2 check may need and answers with plain summaries. The parent
merges the project index and sends it to every worker; phase 2 asks each worker
for the files it extracted (an early check whose answers still hold costs no
work; otherwise the kept tree is checked, or the file parsed again), then hands
out files whose summary came from the cache but whose project index changed.
Trees never cross a process boundary.

`fork` is used where the platform offers it (cheap start, inherits loaded
grammars and rules), `spawn` elsewhere.
"""

from __future__ import annotations

import multiprocessing
import pickle
import resource
import sys
import traceback
from multiprocessing.connection import wait
from typing import Callable

# Chunks small enough to balance the load, large enough to keep messages few.
MAX_CHUNK = 16


def _context():
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _worker_main(conn, root, config, hold_limit_kb) -> None:
    from .engine import FileChecker, tune_gc

    tune_gc()  # a spawned worker does not inherit the parent's settings
    checker = FileChecker(root, config, hold_limit_kb=hold_limit_kb)
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        op = message[0]
        try:
            if op == "extract":
                conn.send(("ok", [checker.extract(file) for file in message[1]]))
            elif op == "index":
                checker.set_index(pickle.loads(message[1]))
            elif op == "check_held":
                conn.send(("ok", [checker.check_held(rel) for rel in message[1]]))
            elif op == "check_files":
                conn.send(("ok", [checker.check_file(file) for file in message[1]]))
            elif op == "inputs":
                conn.send(("ok", checker.project_inputs()))
            elif op == "stop":
                conn.send(("ok", (checker.parsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)))
                return
        except Exception:
            conn.send(("error", traceback.format_exc()))


class WorkerError(RuntimeError):
    pass


class WorkerPool:
    def __init__(self, count: int, root: str, config, hold_limit_kb=None):
        context = _context()
        self.count = count
        self.parsed = 0
        self._conns = []
        self._procs = []
        for _ in range(count):
            parent_end, child_end = context.Pipe()
            process = context.Process(target=_worker_main, args=(child_end, root, config, hold_limit_kb), daemon=True)
            process.start()
            child_end.close()
            self._conns.append(parent_end)
            self._procs.append(process)
        self._holder: dict[str, int] = {}  # rel_path -> worker that parsed it

    def _dispatch(self, queues: list[list], shared: list, op_own: str, op_shared: str, progress: Callable[[int], None]) -> list:
        """Give each idle worker its own next chunk, else a chunk of the shared queue."""
        results = []
        busy: dict[int, int] = {}  # worker -> size of the chunk it works on

        def feed(worker: int) -> bool:
            own = queues[worker]
            if own:
                chunk, queues[worker] = own[:MAX_CHUNK], own[MAX_CHUNK:]
                self._conns[worker].send((op_own, chunk))
            elif shared:
                size = _chunk_size(len(shared), self.count)
                chunk = shared[:size]
                del shared[:size]
                self._conns[worker].send((op_shared, chunk))
            else:
                return False
            busy[worker] = len(chunk)
            return True

        for worker in range(self.count):
            feed(worker)
        while busy:
            ready = wait([self._conns[w] for w in busy])
            for conn in ready:
                worker = self._conns.index(conn)
                try:
                    status, payload = conn.recv()
                except EOFError:
                    raise WorkerError(f"worker process {self._procs[worker].pid} died") from None
                if status != "ok":
                    raise WorkerError(f"worker failed:\n{payload}")
                results.append((worker, payload))
                progress(busy.pop(worker))
                feed(worker)
        return results

    def extract(self, files: list, progress: Callable[[int], None]) -> list:
        """Phase 1 over `files` (ideally largest first); returns Extracted, in any order."""
        out = []
        for worker, extracted in self._dispatch([[] for _ in range(self.count)], list(files), "", "extract", progress):
            for item in extracted:
                if item.held:
                    self._holder[item.rel_path] = worker
                out.append(item)
        return out

    def check(self, index, held: list[str], stale_files: list, progress: Callable[[int], None]) -> list:
        """Phase 2: held files where they were parsed, then the stale ones anywhere."""
        blob = pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL)  # once, not once per worker
        for conn in self._conns:
            conn.send(("index", blob))
        queues: list[list] = [[] for _ in range(self.count)]
        for rel in sorted(held):
            queues[self._holder[rel]].append(rel)
        out = []
        for _, checked in self._dispatch(queues, list(stale_files), "check_held", "check_files", progress):
            out.extend(checked)
        return out

    def project_inputs(self) -> list[str]:
        found: set[str] = set()
        for conn in self._conns:
            conn.send(("inputs",))
            status, payload = conn.recv()
            if status == "ok":
                found.update(payload)
        return sorted(found)

    def close(self) -> list[int]:
        """Stop the workers; returns each one's peak resident memory (KiB)."""
        peaks = []
        for conn, process in zip(self._conns, self._procs):
            try:
                conn.send(("stop",))
                status, (parsed, peak) = conn.recv()
                self.parsed += parsed
                peaks.append(peak)
            except (EOFError, OSError, ValueError, TypeError):
                pass
            conn.close()
        for process in self._procs:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
        return peaks


    def terminate(self) -> None:
        for process in self._procs:
            if process.is_alive():
                process.terminate()
        for conn in self._conns:
            conn.close()


def _chunk_size(remaining: int, workers: int) -> int:
    # Large chunks while much is left, single files near the end so no worker idles long.
    return max(1, min(MAX_CHUNK, remaining // (workers * 4)))
