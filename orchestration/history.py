"""The data folder's run history: ``$ZS_DATA_DIR/run_history.jsonl``, one JSON line per
run — when it started, how long it took, how it ended — whether ``zhaoshang run`` or a
run Dagster launched (the sensor's, the schedule's, the UI's). What an operator reads to
see how long runs take, and what the test suite sums to show its own cost."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from . import jsonlines

HISTORY = "run_history.jsonl"


def record_run(data_dir: Path, run_id: str, seconds: float, outcome: str, by: str) -> None:
    jsonlines.append(
        data_dir / HISTORY,
        {
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "run_id": run_id,
            "seconds": round(seconds, 2),
            "outcome": outcome,
            "by": by,
        },
    )
