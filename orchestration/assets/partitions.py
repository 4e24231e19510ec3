"""Monthly partitions: one per reporting period, keyed ``YYYY-MM`` like the raw folders.

The partitions are the window of ``orchestration.periods``: from ``ZS_FIRST_PERIOD``
(default 2020-01) to the last month that has ended in Beijing time.
"""

import warnings

import dagster as dg

from ..constants import TIMEZONE
from ..periods import first_period

MONTHLY = dg.MonthlyPartitionsDefinition(
    start_date=first_period(), fmt="%Y-%m", timezone=TIMEZONE, end_offset=0
)

# Single-run backfills (a range of months in one run) are what the loader and dbt want;
# the parameter is marked beta, which is not news on every start.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)
