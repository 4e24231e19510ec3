"""Loads that start themselves: a sensor on the raw folder, by content hash.

Every minute the sensor looks at the files under ``ZS_RAW_DIR``. Size and modification
time only decide which files to hash again; what counts is the sha256, so a file that is
touched or re-saved with the same bytes starts nothing. For new or changed content:

- files of a month (forms, province figures): one run of the partitions from the first
  changed month to the last, landing and everything downstream; the monthly models replace
  every period from the first on (a month feeds the ones after it: own-month amounts are
  YTD differences, the bulletin compares with last year, the league with last quarter);
- reference data or the register: every month uses them, so one run of everything over
  the months that have files;
- files that belong to no open month (misplaced, a folder that is not an ended month): a
  run of the unpartitioned assets, which sets them aside with the reason in the audit.
"""

import hashlib
import json

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from ..changes import ELSEWHERE, REFERENCE, changed_files, scan
from ..constants import PERIODS_TAG, WAREHOUSE_JOB, sensor_interval_seconds
from .dbt import monthly_models
from .landing import landing_submissions

MONTH_RUN = dg.AssetSelection.assets(landing_submissions).downstream()
UNPARTITIONED_RUN = dg.AssetSelection.all() - dg.AssetSelection.assets(
    landing_submissions, monthly_models
)


def run_requests(
    previous: dict[str, list], current: dict[str, list], asset_graph
) -> list[dg.RunRequest]:
    """What to run for the files whose content is new or changed."""
    changed = [p for p in changed_files(previous, current) if p in current]  # gone: kept
    if not changed:
        return []
    scopes = {current[p][3] for p in changed}
    present = {v[3] for v in current.values()} - {REFERENCE, ELSEWHERE}
    digest = hashlib.sha256(json.dumps({p: current[p][2] for p in changed}).encode()).hexdigest()[
        :16
    ]
    tags = {"zhaoshang/changed_files": str(len(changed))}

    def ranged(first: str, last: str, selection: dg.AssetSelection | None) -> dg.RunRequest:
        return dg.RunRequest(
            run_key=f"raw-{digest}-{first}-{last}",
            asset_selection=list(selection.resolve(asset_graph)) if selection else None,
            tags={
                **tags,
                PERIODS_TAG: first if first == last else f"{first}..{last}",
                ASSET_PARTITION_RANGE_START_TAG: first,
                ASSET_PARTITION_RANGE_END_TAG: last,
            },
        )

    def unpartitioned(key: str) -> dg.RunRequest:
        return dg.RunRequest(
            run_key=f"raw-{digest}-{key}",
            asset_selection=list(UNPARTITIONED_RUN.resolve(asset_graph)),
            tags={**tags, PERIODS_TAG: key},
        )

    if REFERENCE in scopes:  # every month uses reference data and the register
        if not present:
            return [unpartitioned(REFERENCE)]
        return [ranged(min(present), max(present), None)]
    months = scopes - {ELSEWHERE}
    requests = [ranged(min(months), max(months), MONTH_RUN)] if months else []
    if ELSEWHERE in scopes:
        requests.append(unpartitioned(ELSEWHERE))
    return requests


@dg.sensor(
    job_name=WAREHOUSE_JOB,
    minimum_interval_seconds=sensor_interval_seconds(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Materializes the months whose files under ZS_RAW_DIR are new or changed",
)
def raw_files_sensor(context: dg.SensorEvaluationContext):
    previous = json.loads(context.cursor) if context.cursor else {}
    current = scan(previous)
    requests = run_requests(previous, current, context.repository_def.asset_graph)
    context.update_cursor(json.dumps(current))
    if not requests:
        return dg.SkipReason("no new or changed files")
    return requests
