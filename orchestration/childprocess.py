"""Ending a spawned helper process (the reading workers, dbt's warm process): asked to stop
through its pipe (``None``), killed when it does not within seconds or when told to."""

from __future__ import annotations

from typing import Any


def end(process: Any, conn: Any, kill: bool = False) -> None:
    if kill and process.is_alive():
        process.kill()
    else:
        try:
            conn.send(None)
        except (OSError, ValueError):
            pass
    process.join(5)
    if process.is_alive():
        process.kill()
        process.join(5)
    conn.close()
