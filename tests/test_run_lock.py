"""One run at a time on a data folder (``orchestration/runlock.py``), with real processes:
a holder in another process, killed with SIGKILL; ``zhaoshang run --no-wait``; a Dagster run
through the project's executor that waits for the lock; and two ``zhaoshang run`` started
together on different data, which never interleave and always publish what they checked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from expectations.catalogue import AUDIT_RUN
from orchestration import runlock
from orchestration.assets.executor import one_run_at_a_time
from orchestration.constants import EXIT_BUSY

from . import spreadsheets as ss
from .conftest import HISTORY, LINEAGE, REPO, copy_sample, marts_fingerprint

HOLD = """
import sys, time
from pathlib import Path
from orchestration import runlock
with runlock.hold(Path(sys.argv[1]), run_id="holder-run", command="a test holder"):
    print("held", flush=True)
    time.sleep(600)
"""


def _holder(data: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(data)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.stdout.readline().strip() == "held"
    return proc


def _kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)


def test_a_held_lock_is_named_and_a_killed_holders_lock_is_taken_over(tmp_path: Path) -> None:
    proc = _holder(tmp_path)
    try:
        with pytest.raises(runlock.RunLockBusy) as busy:
            with runlock.hold(tmp_path, run_id="second", command="test", wait=False):
                pass
        assert busy.value.holder.run_id == "holder-run"
        assert "holder-run" in str(busy.value) and str(proc.pid) in str(busy.value)
    finally:
        _kill(proc)
    said: list[str] = []
    with runlock.hold(tmp_path, run_id="next", command="test", say=said.append) as me:
        assert me.run_id == "next" and runlock.holder(tmp_path).run_id == "next"
    assert len(said) == 1 and "接管" in said[0] and "holder-run" in said[0]
    assert runlock.holder(tmp_path) is None  # a clean release empties the file
    events = [(e["event"], e["run_id"]) for e in runlock.history(tmp_path)]
    assert events == [
        ("taken", "holder-run"),
        ("taken over", "next"),
        ("released", "next"),
    ]


def test_the_lock_is_reentrant_within_a_process(tmp_path: Path) -> None:
    with runlock.hold(tmp_path, run_id="outer", command="test") as outer:
        with runlock.hold(tmp_path, run_id="inner", command="test") as inner:
            assert inner == outer
        assert runlock.holder(tmp_path).run_id == "outer"
    assert runlock.holder(tmp_path) is None


def test_zhaoshang_run_no_wait_exits_busy_and_names_the_holder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc = _holder(data)
    try:
        result = subprocess.run(
            [str(REPO / ".venv" / "bin" / "zhaoshang"), "run", "--no-wait"],
            cwd=REPO,
            env={**os.environ, "ZS_DATA_DIR": str(data), "ZS_RAW_DIR": str(tmp_path / "raw")},
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        _kill(proc)
    assert result.returncode == EXIT_BUSY, result.stderr
    assert "holder-run" in result.stderr and "--no-wait" in result.stderr


@dg.op
def _mark(context) -> None:
    Path(os.environ["ZS_DATA_DIR"], "ran").write_text(context.run_id)


@dg.job(executor_def=one_run_at_a_time)
def _marking_job() -> None:
    _mark()


@pytest.fixture
def sigterm_stops() -> Iterator[None]:
    """Dagster stops its compute-log `tail` processes with SIGTERM and waits 30 s for each;
    where this process ignores SIGTERM (the suite's workers have been seen to), those
    children inherit that and a run takes minutes to end. The lock is the subject here."""
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    yield
    signal.signal(signal.SIGTERM, previous)


def test_a_dagster_run_waits_for_the_lock_through_its_executor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sigterm_stops: None
) -> None:
    """What a run launched from the UI, the sensor or the schedule goes through."""
    data = tmp_path / "data"
    monkeypatch.setenv("ZS_DATA_DIR", str(data))
    proc = _holder(data)
    results: list = []
    with dg.instance_for_test() as instance:
        thread = threading.Thread(
            target=lambda: results.append(
                dg.execute_job(dg.reconstructable(_marking_job), instance=instance)
            )
        )
        thread.start()
        time.sleep(3)
        assert not (data / "ran").exists(), "the run must wait for the holder"
        _kill(proc)
        thread.join(timeout=60)
        if thread.is_alive():  # say where it is stuck
            import sys
            import traceback

            stack = "".join(traceback.format_stack(sys._current_frames()[thread.ident]))
            raise AssertionError(f"the run did not end within 60 s:\n{stack}")
        (result,) = results
        assert result.success
        run_id = result.run_id
        messages = [e.message or "" for e in instance.all_logs(run_id)]
    assert (data / "ran").read_text() == run_id
    assert any("等待" in m and "holder-run" in m for m in messages), messages
    assert any("接管" in m for m in messages)
    assert [e["event"] for e in runlock.history(data)] == ["taken", "taken over", "released"]


@pytest.mark.slow  # two builds of the whole sample
def test_two_runs_started_together_never_interleave_and_publish_what_they_checked(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    first = copy_sample(tmp_path / "raw_a")
    second = copy_sample(tmp_path / "raw_b")
    # the second tree differs: a re-sent June detail with a note (a new version, same figures)
    path = next((second / "submissions" / "2023-06" / "五华区").glob("*明细*"))
    project = next(r[1] for r in ss.rows(path) if len(r) > 9 and r[1].startswith("KM"))
    ss.edit(path, ss.row_with(project), 9, lambda v: "已核实")
    zhaoshang = str(REPO / ".venv" / "bin" / "zhaoshang")
    logs = [(tmp_path / f"out_{i}.txt", tmp_path / f"err_{i}.txt") for i in (0, 1)]
    procs = [
        subprocess.Popen(
            [zhaoshang, "run"],
            cwd=REPO,
            env={**os.environ, "ZS_DATA_DIR": str(data), "ZS_RAW_DIR": str(raw)},
            stdout=out.open("w"),
            stderr=err.open("w"),
        )
        for raw, (out, err) in zip((first, second), logs, strict=True)
    ]
    codes = [p.wait(timeout=900) for p in procs]
    errs = [err.read_text(encoding="utf-8") for _, err in logs]
    for code, err in zip(codes, errs, strict=True):
        assert code == 0, err[-3000:]
        assert "Could not set lock" not in err
    assert sum("等待" in err for err in errs) == 1  # one waited for the other
    events = [(e["event"], e["run_id"]) for e in runlock.history(data)]
    assert [e for e, _ in events] == ["taken", "released", "taken", "released"], events
    assert events[0][1] == events[1][1] and events[2][1] == events[3][1] != events[0][1]
    # what is published is what the last run checked: marts, audit and the decision
    published, build = data / "warehouse.duckdb", data / "build" / "warehouse.duckdb"
    assert marts_fingerprint(published, LINEAGE, HISTORY) == marts_fingerprint(
        build, LINEAGE, HISTORY
    )
    with duckdb.connect(str(published), read_only=True) as con:
        log = con.execute(
            "select decision, live_run_id from audit.publish_log order by published_at"
        ).fetchall()
        audit_run = f"select {AUDIT_RUN} from audit.reconciliation_results"  # noqa: S608 (constant)
        (checked,) = con.execute(audit_run).fetchone()
    assert [d for d, _ in log] == ["published", "published"]
    assert log[0][1] != log[1][1] and log[1][1] == checked
    with duckdb.connect(str(build), read_only=True) as con:
        assert con.execute(audit_run).fetchone() == (checked,)
