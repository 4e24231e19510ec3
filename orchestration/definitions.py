"""The Dagster code location: ``dagster dev -m orchestration.definitions``.

Loaded lazily: dbt's manifest is (re)built on load when the dbt project changed, so the
asset graph always matches the models. Policies are applied here, once, for every asset:
the in-process executor (one DuckDB writer at a time, and no 12-18 s per-step start-up),
the monthly schedule, and the resources.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import dagster as dg

WAREHOUSE_JOB = "warehouse"
# The 6th of each month, 06:00 Beijing time: after the default deadline (the 5th) for the
# previous month's submissions.
MONTHLY_CRON = "0 6 6 * *"


def _dbt_executable() -> str:
    """The dbt installed beside this Python (the venv's), whether or not it is on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else shutil.which("dbt") or "dbt"


@dg.definitions
def defs() -> dg.Definitions:
    from .project import ensure_manifest

    ensure_manifest()

    from dagster_dbt import DbtCliResource

    from .assets.dbt import warehouse_models
    from .assets.landing import land_raw_files
    from .assets.publish import published_warehouse
    from .assets.reconciliation import reconciliation_results, reconciliation_rules
    from .assets_dbt_project import dbt_project
    from .resources import WarehouseResource

    job = dg.define_asset_job(WAREHOUSE_JOB, selection=dg.AssetSelection.all(), description="Land, build, reconcile, publish")
    return dg.Definitions(
        assets=[land_raw_files, warehouse_models, reconciliation_results, published_warehouse],
        asset_checks=[reconciliation_rules],
        jobs=[job],
        schedules=[
            dg.ScheduleDefinition(
                name="monthly_warehouse",
                job=job,
                cron_schedule=MONTHLY_CRON,
                execution_timezone="Asia/Shanghai",
                default_status=dg.DefaultScheduleStatus.RUNNING,
            )
        ],
        resources={"warehouse": WarehouseResource(), "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=_dbt_executable())},
        executor=dg.in_process_executor,
    )
