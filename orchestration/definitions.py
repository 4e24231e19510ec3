"""The Dagster code location: ``dagster dev -m orchestration.definitions``.

Loaded lazily: dbt's manifest is (re)built on load when the dbt project changed, so the
asset graph always matches the models. Policies are applied here, once, for every asset:
the in-process executor holding the data folder's run lock (one DuckDB writer at a time,
one run at a time, and no 12-18 s per-step start-up; ``assets/executor.py``), the monthly
schedule and the sensor on the raw folder (both plan their runs with ``changes.plan_run``,
as the command line does: ``assets/sensors.py``), and the resources.

Landing of submissions, the fact, the period-grain marts and the rules are partitioned by
month (``assets/partitions.py``); everything else is unpartitioned and rebuilt whole in
every run. A run of the warehouse job for a range of months lands those months, and the
monthly models replace every period from the first of them on (a month feeds the months
after it).
"""

from __future__ import annotations

import dagster as dg

from .constants import WAREHOUSE_JOB


@dg.definitions
def defs() -> dg.Definitions:
    from .assets.alerts import data_quality_alerts
    from .assets.dbt import dbt_resource, monthly_models, warehouse_models
    from .assets.executor import one_run_at_a_time
    from .assets.landing import landing_reference, landing_submissions
    from .assets.publish import published_warehouse
    from .assets.reconciliation import reconciliation_rules, rule_runs
    from .assets.report import dbt_docs, monthly_report
    from .assets.sensors import monthly_schedule, raw_files_sensor
    from .resources import WarehouseResource

    job = dg.define_asset_job(
        WAREHOUSE_JOB,
        selection=dg.AssetSelection.all(),
        description="Land, build, reconcile, publish (one month, or a range of months in one run)",
    )
    return dg.Definitions(
        assets=[
            landing_reference,
            landing_submissions,
            warehouse_models,
            monthly_models,
            rule_runs,
            data_quality_alerts,
            published_warehouse,
            dbt_docs,
            monthly_report,
        ],
        asset_checks=[reconciliation_rules],
        jobs=[job],
        schedules=[monthly_schedule],
        sensors=[raw_files_sensor],
        resources={"warehouse": WarehouseResource(), "dbt": dbt_resource()},
        executor=one_run_at_a_time,
    )
