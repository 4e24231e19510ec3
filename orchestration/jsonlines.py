"""The data folder's logs as JSON lines (one record a line, appended, never rewritten): the
run lock's history, the run history, the failed runs awaiting the next publish."""

from __future__ import annotations

import json
from pathlib import Path


def append(path: Path, record: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as log:
        log.write(json.dumps(record, ensure_ascii=False) + "\n")


def read(path: Path) -> list[dict]:
    """Every record, oldest first; none when the file does not exist."""
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
