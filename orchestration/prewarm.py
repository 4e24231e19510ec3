"""Warm-up, in the background, of what a run's last steps load slowly: Great Expectations'
import (2.5-4.5 s) and vl-convert's JavaScript engine and fonts (about 1 s), for the
reconciliation and the report.

Started when the first dbt step starts: dbt then works in its own process and this one only
reads dbt's log, so the warm-up takes time nobody waits for. The steps that need these
modules import them as usual; Python's import lock makes such an import wait for the
warm-up's instead of doing it twice. A failure here is ignored: the step that needs the
module meets it again and reports it.
"""

from __future__ import annotations

import os
import threading

_started: threading.Thread | None = None
_lock = threading.Lock()


def _warm() -> None:
    try:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations  # noqa: F401

        from expectations import gx_duckdb  # noqa: F401

        from .report import warm_charts

        warm_charts()
    except Exception:  # the step that needs it meets the error again and reports it
        pass


def start() -> None:
    """Start the warm-up, once per process."""
    global _started
    with _lock:
        if _started is None:
            _started = threading.Thread(target=_warm, name="zhaoshang-prewarm", daemon=True)
            _started.start()
