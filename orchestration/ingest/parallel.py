"""Reading and recognising spreadsheets in worker processes, results in order.

Reading a form goes through native code (calamine, in Rust). A hostile file can make it
abort the process (a sheet spanning A1:XFD1048576 asks for 512 GiB) or run away, so no
spreadsheet is read in the loader's own process: worker processes read them, each under a
memory limit (``limits.READER_MEMORY_MB``) and a time limit per file
(``limits.READ_SECONDS``). A worker that dies or overruns is replaced; the file it was
reading is set aside with the reason (``reader_crashed``, ``read_timeout``) and is never
read again in this process, and the load goes on with every other file.

Workers read a few files per task; when a worker dies on a task of several files, those
files are read again one per task, so that only the file that killed it is set aside.
Workers are *spawned* (a fresh interpreter importing only this module, never a fork of a
process holding DuckDB's threads) once per process and kept for its later loads (the two
landing steps of a run, the tests), so a small load costs no start-up. At a province's
scale reading is most of a full landing (≈ 12 of 17 s for 12,700 files) and the workers
share it across the cores while the loader writes the rows already read to DuckDB; at
most ``AHEAD`` tasks per worker are read ahead, so memory stays bounded. The results come
back in the files' order, so the landed tables are the same whatever the number of workers.

Spawning imports the program's main script again in each worker, as Python's
multiprocessing always does: a script that lands files must keep its work under
``if __name__ == "__main__":`` (every entry point here does: the ``zhaoshang`` command,
Dagster's processes, pytest). Should the workers fail to start, the files are read in the
loader's own process, with a warning (as with ``ZS_LANDING_WORKERS=0``).
"""

from __future__ import annotations

import atexit
import dataclasses
import logging
import os
import signal
import time
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path

from .. import childprocess
from .forms import Table, parse
from .limits import LIMITS, READ_SECONDS, READER_MEMORY_MB
from .reading import COPY_THE_TABLE, Rejection, read_grids

log = logging.getLogger(__name__)

CHUNK = 16  # files a worker reads per task at most
AHEAD = 4  # tasks read ahead per worker at most
START_SECONDS = 60  # a worker that has not said it is ready by then did not start


def workers() -> int:
    """Worker processes: ``ZS_LANDING_WORKERS``, default one per core (0: read in the
    loader's own process, unguarded: for debugging only)."""
    value = os.environ.get("ZS_LANDING_WORKERS", "").strip()
    if value:
        if not value.isdigit():
            raise ValueError(f"ZS_LANDING_WORKERS must be a whole number, not {value!r}")
        return int(value)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def read_table(path: Path, display: str) -> Table | Rejection:
    """One file read and recognised; a Rejection is returned, not raised. Any error of the
    readers (a Python exception of any type, a panic of the native reader) sets the file
    aside with the error named."""
    try:
        return parse(read_grids(path, display), display)
    except Rejection as rejection:
        return rejection
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # a Rust panic arrives as a BaseException
        return Rejection(
            display,
            "unreadable",
            f"读取时出错（{type(exc).__name__}: {str(exc)[:200]}）：{COPY_THE_TABLE}",
        )


def _as_message(result: Table | Rejection) -> Table | dict:
    # Rejection, a dataclass exception, does not survive pickling as itself
    return dataclasses.asdict(result) if isinstance(result, Rejection) else result


def _serve(conn, memory_mb: int) -> None:
    """A worker: read the files of each task sent, answer with their tables, until told to stop."""
    import resource

    os.environ["RUST_BACKTRACE"] = "0"  # a native abort says one line, not a backtrace
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the loader decides when workers stop
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # even when its starter ignored SIGTERM
    conn.send("ready")
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        task_id, limits, files = task
        for name, value in limits.items():  # the loader's limits now (workers outlive a load)
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        conn.send((task_id, [_as_message(read_table(Path(p), d)) for p, d in files]))


class WorkersUnavailable(RuntimeError):
    """Worker processes could not be started here."""


class _Worker:
    def __init__(self, memory_mb: int) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(child, memory_mb), daemon=True, name="zhaoshang-reader"
        )
        self.process.start()
        child.close()
        self.memory_mb = memory_mb
        self.task: tuple[int, list[int]] | None = None
        self.deadline = 0.0
        if not self.conn.poll(START_SECONDS) or self._recv() != "ready":
            self.stop()
            raise WorkersUnavailable(
                f"a reading worker did not start (exit {self.process.exitcode})"
            )

    def _recv(self):
        try:
            return self.conn.recv()
        except (EOFError, OSError):
            return None

    def send(self, task_id: int, indices: list[int], jobs: Sequence[tuple[Path, str]]) -> None:
        self.task = (task_id, indices)
        self.deadline = time.monotonic() + READ_SECONDS.value() * len(indices)
        limits = {limit.env: os.environ.get(limit.env) for limit in LIMITS}
        self.conn.send((task_id, limits, [(str(jobs[i][0]), jobs[i][1]) for i in indices]))

    def receive(self) -> list | None:
        """The answer to the task sent, or None when the worker died on it."""
        answer = self._recv()
        if answer is None or answer[0] != self.task[0]:
            return None
        return answer[1]

    def death(self) -> str:
        """How the worker ended, for the clerk's message."""
        self.process.join(5)
        code = self.process.exitcode
        if code is not None and code < 0:
            name = signal.Signals(-code).name
            if name == "SIGABRT":
                return f"读取程序中止（{name}，多半是内存超过上限 {self.memory_mb} MB）"
            return f"读取程序被信号 {name} 终止"
        return f"读取程序意外退出（退出码 {code}）"

    def stop(self, kill: bool = False) -> None:
        childprocess.end(self.process, self.conn, kill)


class ReaderPool:
    """The worker processes of this process, started as needed and kept."""

    def __init__(self) -> None:
        self.idle: list[_Worker] = []
        self.task_ids = 0

    def _worker(self) -> _Worker:
        memory_mb = READER_MEMORY_MB.value()
        while self.idle:
            worker = self.idle.pop()
            if worker.process.is_alive() and worker.memory_mb == memory_mb:
                return worker
            worker.stop(kill=True)
        return _Worker(memory_mb)

    def close(self) -> None:
        for worker in self.idle:
            worker.stop()
        self.idle.clear()

    def read(self, jobs: Sequence[tuple[Path, str]], count: int) -> Iterator[Table | Rejection]:
        """Each file's table (or Rejection), in the order of ``jobs``."""
        from multiprocessing.connection import wait

        size = max(1, min(CHUNK, len(jobs) // (count * AHEAD) or 1))
        tasks: deque[list[int]] = deque(
            list(range(i, min(i + size, len(jobs)))) for i in range(0, len(jobs), size)
        )
        results: dict[int, Table | Rejection] = {}
        busy: dict[object, _Worker] = {}  # connection -> worker
        following = 0  # the next result to hand out
        started: list[_Worker] = []  # the workers of this load not reading now
        try:
            for _ in range(min(count, len(tasks))):
                started.append(self._worker())
            while following < len(jobs):
                while following in results:
                    yield results.pop(following)
                    following += 1
                if following >= len(jobs):
                    break
                while started and tasks and tasks[0][0] < following + size * AHEAD * count:
                    worker = started.pop()
                    self.task_ids += 1
                    worker.send(self.task_ids, tasks.popleft(), jobs)
                    busy[worker.conn] = worker
                if not busy:
                    continue
                timeout = max(0.0, min(w.deadline for w in busy.values()) - time.monotonic())
                ready = wait([*busy, *(w.process.sentinel for w in busy.values())], timeout)
                now = time.monotonic()
                for worker in list(busy.values()):
                    answered = worker.conn in ready or worker.process.sentinel in ready
                    overrun = not answered and now >= worker.deadline
                    if not (answered or overrun):
                        continue
                    del busy[worker.conn]
                    _, indices = worker.task
                    answer = worker.receive() if answered else None
                    if answer is not None:
                        for i, result in zip(indices, answer, strict=True):
                            results[i] = Rejection(**result) if isinstance(result, dict) else result
                        started.append(worker)
                        continue
                    # the worker died on this task or overran it: replace it
                    if overrun:
                        worker.stop(kill=True)
                        how = f"读取超过 {READ_SECONDS.value()} 秒仍未完成"
                        reason = "read_timeout"
                    else:
                        how, reason = worker.death(), "reader_crashed"
                        worker.stop(kill=True)
                    if len(indices) > 1:  # which of its files? each again on its own
                        tasks.extendleft([i] for i in reversed(indices))
                    else:
                        path, display = jobs[indices[0]]
                        log.warning("%s: %s; set aside", display, how)
                        _CRASHED[_identity(path)] = (reason, how)
                        results[indices[0]] = _crashed(display, reason, how)
                    try:
                        started.append(self._worker())
                    except WorkersUnavailable:
                        if not (busy or started):
                            raise
        finally:
            for worker in busy.values():  # the load stopped early: these answers are stale
                worker.stop(kill=True)
            self.idle.extend(w for w in started if w.process.is_alive())


_POOL: ReaderPool | None = None
# files that killed or outlasted a worker in this process, by (path, size, mtime): never
# read again here, not even in the loader's own process
_CRASHED: dict[tuple[str, int, int], tuple[str, str]] = {}


def _identity(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return (str(path), stat.st_size, stat.st_mtime_ns)


def _crashed(display: str, reason: str, how: str) -> Rejection:
    return Rejection(
        display,
        reason,
        f"{how}，文件未读取（已跳过，不再重试）：{COPY_THE_TABLE}",
        expected="a workbook that opens normally in Excel or WPS",
    )


def _pool() -> ReaderPool:
    global _POOL
    if _POOL is None:
        _POOL = ReaderPool()
        atexit.register(_POOL.close)
    return _POOL


def read_tables(jobs: Sequence[tuple[Path, str]]) -> Iterator[Table | Rejection]:
    """Each file's table (or Rejection), in the order of ``jobs``, read in worker processes
    (``ZS_LANDING_WORKERS=0``: here)."""
    count = workers()
    done = 0
    if count > 0 and jobs:
        if len(jobs) >= 200:
            log.info("reading %d files in worker processes", len(jobs))
        try:
            for result in _pool().read(jobs, count):
                yield result
                done += 1
        except (WorkersUnavailable, OSError) as exc:
            log.warning("reading files in worker processes failed (%s); reading the rest here", exc)
    for path, display in jobs[done:]:
        crashed = _CRASHED.get(_identity(path))
        yield _crashed(display, *crashed) if crashed else read_table(path, display)
