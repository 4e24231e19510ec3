"""One run at a time on a data folder: the lock ``$ZS_DATA_DIR/run.lock``.

Every run — ``zhaoshang run``, a run launched in the Dagster UI, the sensor's and the
schedule's runs, ``zhaoshang publish --force`` — holds this lock for its whole land →
build → check → publish, so no second run's models can change the build between one run's
checks and its publish. Dagster runs take it in their executor (``assets/executor.py``);
the CLI takes it before it looks at anything and the executor then finds it already held
by its own process.

The lock is an ``flock`` on the file, so the operating system lets go of it when the
holding process dies: a run killed while holding it (SIGKILL, OOM, a lost container) never
blocks the next one. While held, the file says who holds it (run id, pid, host, start);
a clean release empties it, so a next run that finds it filled knows the holder was killed,
and says that it takes over.

A run that finds the lock held waits, saying once who holds it; with ``wait=False`` it
raises ``RunLockBusy`` instead (``zhaoshang run --no-wait`` exits with ``EXIT_BUSY``).
Every taking and release is appended to ``$ZS_DATA_DIR/run.lock.log`` (JSON lines): who
held the data folder, and when.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from . import jsonlines

LOCK_NAME = "run.lock"
LOG_NAME = "run.lock.log"


@dataclass(frozen=True)
class Holder:
    run_id: str
    pid: int
    host: str
    started_at: str
    command: str

    def describe(self) -> str:
        return f"运行 {self.run_id}（{self.command}，pid {self.pid}@{self.host}，{self.started_at} 开始）"


class RunLockBusy(RuntimeError):
    def __init__(self, path: Path, holder: Holder | None) -> None:
        self.path, self.holder = path, holder
        who = holder.describe() if holder else "另一个运行"
        super().__init__(f"{who} 正在使用数据目录 {path.parent}（锁 {path}）")


# locks this process holds: path -> [file, holder, depth]
_held: dict[Path, list] = {}


def _read(path: Path) -> Holder | None:
    try:
        text = path.read_text(encoding="utf-8").strip()
        return Holder(**json.loads(text)) if text else None
    except (OSError, ValueError, TypeError):  # being written, or not ours
        return None


def _history(path: Path, event: str, who: Holder, **extra: str) -> None:
    stamp = datetime.now(UTC).astimezone().isoformat(timespec="milliseconds")
    jsonlines.append(path.parent / LOG_NAME, {"at": stamp, "event": event, **who.__dict__, **extra})


def history(data_dir: Path) -> list[dict]:
    """Every taking and release of the data folder's lock, oldest first."""
    return jsonlines.read(data_dir / LOG_NAME)


def holder(data_dir: Path) -> Holder | None:
    """Who holds (or, if it was killed, last held) the lock of this data folder."""
    return _read(data_dir / LOCK_NAME)


@contextmanager
def hold(
    data_dir: Path,
    run_id: str,
    command: str,
    wait: bool = True,
    say: Callable[[str], None] = print,
) -> Iterator[Holder]:
    """Hold the data folder's run lock for the block (re-entrant within a process)."""
    path = (data_dir / LOCK_NAME).resolve()
    if path in _held:  # this process already holds it (the CLI around its Dagster run)
        _held[path][2] += 1
        try:
            yield _held[path][1]
        finally:
            _held[path][2] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    f = path.open("a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            busy = RunLockBusy(path, _read(path))
            if not wait:
                raise busy from None
            say(f"等待：{busy}；它结束后本次运行（{run_id}）再开始。")
            fcntl.flock(f, fcntl.LOCK_EX)
        left = _read(path)
        if left is not None:  # filled but free: its holder died without releasing it
            say(f"接管：{left.describe()} 未正常结束（进程已不在），其锁由本次运行 {run_id} 接管。")
        me = Holder(
            run_id=run_id,
            pid=os.getpid(),
            host=socket.gethostname(),
            started_at=datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
            command=command,
        )
        f.seek(0)
        f.truncate()
        f.write(json.dumps(me.__dict__, ensure_ascii=False))
        f.flush()
        os.fsync(f.fileno())
        if left is not None:
            _history(path, "taken over", me, from_run_id=left.run_id)
        else:
            _history(path, "taken", me)
        _held[path] = [f, me, 1]
        try:
            yield me
        finally:
            del _held[path]
            _history(path, "released", me)
            f.seek(0)
            f.truncate()  # a clean release leaves the file empty
            f.flush()
            fcntl.flock(f, fcntl.LOCK_UN)
    finally:
        f.close()
