"""The data folder's run history: ``$ZS_DATA_DIR/run_history.jsonl``, one JSON line per
run — when it started, how long it took, how it ended — whether ``zhaoshang run`` or a
run Dagster launched (the sensor's, the schedule's, the UI's). What an operator reads to
see how long runs take, and what the test suite sums to show its own cost."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

HISTORY = "run_history.jsonl"


def record_run(data_dir: Path, run_id: str, seconds: float, outcome: str, by: str) -> None:
    line = {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "run_id": run_id,
        "seconds": round(seconds, 2),
        "outcome": outcome,
        "by": by,
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / HISTORY).open("a", encoding="utf-8") as log:
        log.write(json.dumps(line, ensure_ascii=False) + "\n")


def runs(data_dir: Path) -> list[dict]:
    path = data_dir / HISTORY
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
