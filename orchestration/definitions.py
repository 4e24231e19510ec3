"""The Dagster code location: ``dagster dev -m orchestration.definitions``.

Loaded lazily: dbt's manifest is (re)built on load when the dbt project changed, so the
asset graph always matches the models. Policies are applied here, once, for every asset:
the in-process executor (one DuckDB writer at a time, and no 12-18 s per-step start-up),
the monthly schedule, the sensor on new files, and the resources.
"""

from __future__ import annotations

import dagster as dg

WAREHOUSE_JOB = "warehouse"
# The 6th of each month, 06:00 Beijing time: after the default deadline (the 5th) for the
# previous month's submissions.
MONTHLY_CRON = "0 6 6 * *"


@dg.definitions
def defs() -> dg.Definitions:
    from .dbt_setup import dbt_resource, ensure_manifest

    ensure_manifest()

    from .assets.alerts import data_quality_alerts
    from .assets.dbt import warehouse_models
    from .assets.landing import land_raw_files
    from .assets.publish import published_warehouse
    from .assets.reconciliation import reconciliation_results, reconciliation_rules
    from .assets.sensors import raw_files_sensor
    from .resources import WarehouseResource

    job = dg.define_asset_job(
        WAREHOUSE_JOB,
        selection=dg.AssetSelection.all(),
        description="Land, build, reconcile, publish",
    )
    return dg.Definitions(
        assets=[
            land_raw_files,
            warehouse_models,
            reconciliation_results,
            data_quality_alerts,
            published_warehouse,
        ],
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
        sensors=[raw_files_sensor],
        resources={"warehouse": WarehouseResource(), "dbt": dbt_resource()},
        executor=dg.in_process_executor,
    )
