"""Loads that start themselves: a sensor on the raw folder, by content hash.

Every minute the sensor looks at the files under ``ZS_RAW_DIR`` and starts the warehouse
job when one is new or its content changed (a file re-saved with the same bytes, or only
touched, starts nothing). Size and modification time only decide which files to hash
again; the decision is the sha256. The run is tagged with the periods the changed files
belong to; landing and the fact are incremental, so the run does the work of those periods.
"""

import hashlib
import json

import dagster as dg

from ..config import settings
from ..definitions import WAREHOUSE_JOB
from ..ingest.landing import discover, sha256_of


def _scan(previous: dict[str, list]) -> dict[str, list]:
    """path -> [size, mtime_ns, sha256, period], re-hashing only files whose stat changed."""
    candidates, _ = discover(settings().raw_dir)
    out = {}
    for cand in candidates:
        stat = cand.path.stat()
        known = previous.get(cand.rel)
        if known and known[0] == stat.st_size and known[1] == stat.st_mtime_ns:
            out[cand.rel] = known
        else:
            # reference data or the register: every period may be affected
            out[cand.rel] = [
                stat.st_size,
                stat.st_mtime_ns,
                sha256_of(cand.path),
                cand.period or "all",
            ]
    return out


@dg.sensor(
    job_name=WAREHOUSE_JOB,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts the warehouse when a file under ZS_RAW_DIR is new or its content changed",
)
def raw_files_sensor(context: dg.SensorEvaluationContext):
    previous = json.loads(context.cursor) if context.cursor else {}
    current = _scan(previous)
    changed = sorted(p for p, v in current.items() if p not in previous or previous[p][2] != v[2])
    context.update_cursor(json.dumps(current))
    if not changed:
        return dg.SkipReason("no new or changed files")
    periods = sorted({current[p][3] for p in changed})
    digest = hashlib.sha256(json.dumps({p: current[p][2] for p in changed}).encode()).hexdigest()[
        :16
    ]
    return dg.RunRequest(
        run_key=f"raw-{digest}",
        tags={"zhaoshang/periods": ",".join(periods), "zhaoshang/changed_files": str(len(changed))},
    )
