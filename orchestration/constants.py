"""Names and parameters shared by the Dagster definitions, the assets, the sensor and the
CLI. A small module with no heavy imports, so that nothing needs to import
``orchestration.definitions`` (only entry points do).

The rule catalogue's parameters live in ``dbt_project/dbt_project.yml`` (vars); the one the
orchestration needs too, the submission deadline, is read from there.
"""

from __future__ import annotations

import os
from functools import cache

import yaml

from .config import DBT_PROJECT_DIR

WAREHOUSE_JOB = "warehouse"
# dbt tag of the models built by month (dbt_project.yml): Dagster's monthly step builds them
MONTHLY_TAG = "monthly"
# run tag: rebuild incremental models from scratch (once, after a model's columns changed)
FULL_REFRESH_TAG = "zhaoshang/full_refresh"
# run tag: the months a run rebuilds ("2023-06", "2023-06..2023-12", "none")
PERIODS_TAG = "zhaoshang/periods"
# run tag: why (changes.plan_run's reason)
REASON_TAG = "zhaoshang/reason"
# Dagster's run tags for one run over a range of partitions (the documented strings; a test
# checks them against Dagster's own)
PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"
# A period's figures are as of the end of the month in Beijing, whatever the machine's zone.
TIMEZONE = "Asia/Shanghai"
# `zhaoshang run` exits with this when the build was held (an error-severity rule failed).
EXIT_HELD = 3
# `zhaoshang run --no-wait` exits with this when another run holds the data folder (EX_TEMPFAIL).
EXIT_BUSY = 75


@cache
def dbt_vars() -> dict:
    """The vars declared in dbt_project.yml (the rule parameters and their defaults)."""
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return dict(project.get("vars") or {})


def deadline_day() -> int:
    """Day of the following month by which a period's submissions are due (R11):
    ``ZS_SUBMISSION_DEADLINE_DAY``, else dbt_project.yml's var ``deadline_day``."""
    day = os.environ.get("ZS_SUBMISSION_DEADLINE_DAY", "").strip() or str(
        dbt_vars()["deadline_day"]
    )
    if not day.isdigit() or not 1 <= int(day) <= 28:
        raise ValueError(f"ZS_SUBMISSION_DEADLINE_DAY must be a day from 1 to 28, not {day!r}")
    return int(day)


def sensor_interval_seconds() -> int:
    """Seconds between two looks of the sensor at the raw folder: ``ZS_SENSOR_INTERVAL_SECONDS``,
    default 60 (the daemon evaluates it no more often than that)."""
    value = os.environ.get("ZS_SENSOR_INTERVAL_SECONDS", "").strip() or "60"
    if not value.isdigit() or int(value) < 5:
        raise ValueError(f"ZS_SENSOR_INTERVAL_SECONDS must be 5 or more seconds, not {value!r}")
    return int(value)
