"""Reading and recognising many spreadsheets in worker processes, results in order.

Reading a form (calamine) and recognising its table (``forms.parse``) is pure Python and
holds the GIL: at a province's scale it is most of a full landing (≈ 12 of 17 s for
12,700 files). A load with many files to land hands them to worker processes, a few dozen
at a time and never more than ``AHEAD`` chunks in flight (memory stays bounded however
many files there are), while the loader's own process writes the rows already read to
DuckDB. The results come back in the files' order, so the landed tables are the same as
a load in one process.

Workers are *spawned* (a fresh interpreter importing only this module, never a fork of a
process holding DuckDB's threads). Spawning imports the program's main script again in
each worker, as Python's multiprocessing always does: a script that lands files must keep
its work under ``if __name__ == "__main__":`` (every entry point here does: the
``zhaoshang`` command, Dagster's processes, pytest). Should the workers fail to start or
die, the remaining files are read in the loader's own process, with a warning.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path

from .forms import Table, parse
from .reading import Rejection, read_grids

log = logging.getLogger(__name__)

MIN_FILES = 200  # fewer files to read: reading them here costs less than starting workers
CHUNK = 32  # files a worker reads per task
AHEAD = 4  # chunks in flight per worker at most


def workers() -> int:
    """Worker processes for a large load: ``ZS_LANDING_WORKERS``, default one per core
    (0 or 1: read in the loader's own process)."""
    value = os.environ.get("ZS_LANDING_WORKERS", "").strip()
    if value:
        if not value.isdigit():
            raise ValueError(f"ZS_LANDING_WORKERS must be a whole number, not {value!r}")
        return int(value)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def read_table(path: Path, display: str) -> Table | Rejection:
    """One file read and recognised; a Rejection is returned, not raised."""
    try:
        return parse(read_grids(path, display), display)
    except Rejection as rejection:
        return rejection


def _read_chunk(jobs: list[tuple[str, str]]) -> list[Table | dict]:
    """In a worker: each file's table, or its Rejection as a dict (Rejection, a dataclass
    exception, does not survive pickling as itself)."""
    out: list[Table | dict] = []
    for path, display in jobs:
        result = read_table(Path(path), display)
        out.append(dataclasses.asdict(result) if isinstance(result, Rejection) else result)
    return out


def read_tables(jobs: Sequence[tuple[Path, str]]) -> Iterator[Table | Rejection]:
    """Each file's table (or Rejection), in the order of ``jobs``: in worker processes when
    there are many files and more than one worker, else here."""
    count = workers()
    done = 0
    if count > 1 and len(jobs) >= MIN_FILES:
        log.info("reading %d files in %d worker processes", len(jobs), count)
        try:
            for result in _in_workers(jobs, count):
                yield result
                done += 1
        except Exception as exc:  # a worker died or could not start: read the rest here
            from concurrent.futures.process import BrokenProcessPool

            if not isinstance(exc, BrokenProcessPool | OSError):
                raise
            log.warning("reading files in worker processes failed (%s); reading the rest here", exc)
    for path, display in jobs[done:]:
        yield read_table(path, display)


def _in_workers(jobs: Sequence[tuple[Path, str]], count: int) -> Iterator[Table | Rejection]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    chunks = [
        [(str(path), display) for path, display in jobs[i : i + CHUNK]]
        for i in range(0, len(jobs), CHUNK)
    ]
    pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn"))
    try:
        pending = deque(pool.submit(_read_chunk, chunk) for chunk in chunks[: AHEAD * count])
        following = len(pending)
        while pending:
            results = pending.popleft().result()
            if following < len(chunks):
                pending.append(pool.submit(_read_chunk, chunks[following]))
                following += 1
            for result in results:
                yield Rejection(**result) if isinstance(result, dict) else result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
