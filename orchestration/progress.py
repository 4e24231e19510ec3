"""Where a run is, as it works: a stage at a time, with counts.

On a terminal (standard error is one): the current stage on one line, redrawn in place with
a bar while it is counted (``files 312/4,021``, ``models and tests 52/94``), and left as a
one-line summary when the stage ends. Elsewhere (CI, cron, a pipe, a file): only that
summary, one line per stage. ``zhaoshang run --verbose`` shows dbt's own log as well, line
by line; it is always written to ``$ZS_DATA_DIR/logs/dbt.log``.

The command line installs a display for the length of a run (``showing``), and so does the
executor of a run launched from Dagster's UI, the sensor or the schedule, on Dagster's log
(``LogLines``: a line per stage); the assets and the loader report to ``current()``, which
does nothing when no display is installed.
Reports may come from several threads (dbt's): the display takes a lock.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

BAR_WIDTH = 24
REDRAW_SECONDS = 0.1  # a terminal line is redrawn at most this often


class Stage:
    """One stage of a run: ``advance`` as its items are done."""

    def __init__(self, display: Display, label: str, total: int | None, unit: str) -> None:
        self.display = display
        self.label = label
        self.total = total
        self.unit = unit
        self.done = 0
        self.failed = 0
        self.note = ""
        self.failed_word = "failed"  # what a failed item is called ("set aside" for files)
        self.started = time.perf_counter()

    def advance(self, n: int = 1, *, failed: bool = False) -> None:
        with self.display.lock:
            self.done += n
            self.failed += n if failed else 0
        self.display.redraw(self)

    def expect(self, total: int) -> None:
        """The count is known only once the stage has begun (dbt's node count)."""
        with self.display.lock:
            self.total = total
        self.display.redraw(self)

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def counts(self) -> str:
        if self.total is None:
            return f"{self.done:,} {self.unit}".rstrip() if self.done else ""
        return f"{self.done:,}/{self.total:,} {self.unit}".rstrip()

    def summary(self) -> str:
        failed = f"{self.failed:,} {self.failed_word}" if self.failed else ""
        parts = [p for p in (self.counts(), failed) if p]
        parts.append(self.note) if self.note else None
        detail = ", ".join(parts)
        return f"  {self.label}: {detail + ' ' if detail else ''}in {self.elapsed():.1f}s"


class Display:
    """Stages shown on ``stream`` (default standard error), live when it is a terminal."""

    def __init__(
        self, stream: TextIO | None = None, *, live: bool | None = None, verbose: bool = False
    ) -> None:
        self.stream = stream or sys.stderr
        self.live = _is_terminal(self.stream) if live is None else live
        self.verbose = verbose
        self.lock = threading.RLock()
        self._drawn = 0.0  # when the live line was last drawn
        self._showing = False  # a live line is on screen

    @contextmanager
    def stage(self, label: str, total: int | None = None, unit: str = "") -> Iterator[Stage]:
        stage = Stage(self, label, total, unit)
        self.redraw(stage, force=True)
        try:
            yield stage
        except BaseException:
            stage.note = (stage.note + ", " if stage.note else "") + "stopped"
            self._end(stage)
            raise
        self._end(stage)

    def redraw(self, stage: Stage, force: bool = False) -> None:
        if not self.live:
            return
        now = time.perf_counter()
        with self.lock:
            if not force and now - self._drawn < REDRAW_SECONDS:
                return
            self._drawn = now
            width = shutil.get_terminal_size((80, 24)).columns
            line = f"  {stage.label} {_bar(stage)} {stage.counts()}  {stage.elapsed():.0f}s"
            self.stream.write("\r" + line[: width - 1].ljust(width - 1))
            self.stream.flush()
            self._showing = True

    def line(self, text: str) -> None:
        """A line of its own (dbt's log with ``--verbose``), above the live line."""
        with self.lock:
            self._clear()
            self.stream.write(text + "\n")
            self.stream.flush()

    def _end(self, stage: Stage) -> None:
        with self.lock:
            self._clear()
            self.stream.write(stage.summary() + "\n")
            self.stream.flush()

    def _clear(self) -> None:
        if self._showing:
            width = shutil.get_terminal_size((80, 24)).columns
            self.stream.write("\r" + " " * (width - 1) + "\r")
            self._showing = False


class _Nothing:
    """The display when none is installed: stages are counted, nothing is shown."""

    verbose = False
    lock = threading.RLock()

    @contextmanager
    def stage(self, label: str, total: int | None = None, unit: str = "") -> Iterator[Stage]:
        yield Stage(self, label, total, unit)  # type: ignore[arg-type]

    def redraw(self, stage: Stage, force: bool = False) -> None:
        pass

    def line(self, text: str) -> None:
        pass


class LogLines:
    """A text stream that hands each complete line to ``log`` (a Dagster run's log: a run
    launched from the UI, the sensor or the schedule shows its stages there)."""

    def __init__(self, log) -> None:
        self.log = log
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            if line.strip():
                self.log(line.strip())
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


_current: Display | _Nothing = _Nothing()


def current() -> Display | _Nothing:
    return _current


@contextmanager
def showing(display: Display) -> Iterator[Display]:
    """``display`` is the current one for a while (a run of the command line)."""
    global _current
    before, _current = _current, display
    try:
        yield display
    finally:
        _current = before


def _bar(stage: Stage) -> str:
    if not stage.total:
        return ""
    filled = min(BAR_WIDTH, BAR_WIDTH * stage.done // stage.total)
    return "[" + "#" * filled + "." * (BAR_WIDTH - filled) + "]"


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
