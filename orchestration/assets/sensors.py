"""Runs that start themselves: a sensor on the raw folder, and the monthly schedule. Both ask
``changes.plan_run`` what to run, as the command line does, and turn its plan into a run
request here (``run_request``, which the command line uses too).

Every minute the sensor compares the state of the raw folder, the code and the calendar with
the state it saw last (its cursor). Size and modification time only decide which files to
hash again; what counts is the sha256, so a file that is touched or re-saved with the same
bytes starts nothing. What a change starts is the plan's:

- files of a month (forms, province figures), or a month's deadline passing: one run of the
  partitions from the first such month to the last month with files, landing and everything
  downstream (a month feeds the ones after it: own-month amounts are YTD differences, the
  bulletin compares with last year, the league with last quarter);
- reference data, the register, or the code: one run of everything, from scratch;
- files that belong to no open month (misplaced, a folder that is not an ended month): a
  run of the unpartitioned assets, which sets them aside with the reason in the audit.

The schedule runs the day after the submission deadline (default the 6th), 06:00 Beijing
time: the plan of that deadline passing, so that R11 names the units whose forms never came
(the sensor notices the deadline too; the schedule is there when no sensor runs).
"""

import hashlib
import json
from zoneinfo import ZoneInfo

import dagster as dg

from ..changes import (
    RunPlan,
    current_state,
    last_period_past_deadline,
    plan_run,
    scan,
)
from ..constants import (
    FULL_REFRESH_TAG,
    PARTITION_RANGE_END_TAG,
    PARTITION_RANGE_START_TAG,
    PERIODS_TAG,
    REASON_TAG,
    TIMEZONE,
    WAREHOUSE_JOB,
    deadline_day,
    sensor_interval_seconds,
)
from ..periods import shift
from .landing import landing_submissions

MONTH_RUN = dg.AssetSelection.assets(landing_submissions).downstream()


def run_request(plan: RunPlan, asset_graph, run_key: str | None = None) -> dg.RunRequest:
    """The plan as a run of the warehouse job: its months as one partition range, its
    selection, why. Everything: every asset (none partitioned when no month has files);
    months: what their files feed (every asset when files outside the months changed too);
    unpartitioned: the assets that are not partitioned."""
    tags = {PERIODS_TAG: plan.periods, REASON_TAG: plan.reason[:200]}
    if plan.full_refresh:
        tags[FULL_REFRESH_TAG] = "true"
    if plan.months is None:
        selection = sorted(
            key
            for key in asset_graph.materializable_asset_keys
            if asset_graph.get(key).partitions_def is None
        )
    else:
        tags |= {PARTITION_RANGE_START_TAG: plan.months[0], PARTITION_RANGE_END_TAG: plan.months[1]}
        whole = plan.full_refresh or plan.with_unpartitioned
        selection = None if whole else sorted(MONTH_RUN.resolve(asset_graph))
    return dg.RunRequest(run_key=run_key, asset_selection=selection, tags=tags)


def _key(state: dict, plan: RunPlan) -> str:
    digest = hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:16]
    return f"{plan.kind}-{plan.periods}-{digest}"


@dg.sensor(
    job_name=WAREHOUSE_JOB,
    minimum_interval_seconds=sensor_interval_seconds(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Runs what changes.plan_run says the raw folder's, the code's or the calendar's changes need",
)
def raw_files_sensor(context: dg.SensorEvaluationContext):
    before = json.loads(context.cursor) if context.cursor else None
    if before is not None and "files" not in before:  # a cursor of files only (before 27)
        before = {"files": before}
    now = current_state(scan(before["files"] if before else {}))
    plan = plan_run(before, now)
    context.update_cursor(json.dumps(now))
    if plan.kind == "nothing":
        return dg.SkipReason(plan.reason)
    return [run_request(plan, context.repository_def.asset_graph, _key(now, plan))]


@dg.schedule(
    job_name=WAREHOUSE_JOB,
    cron_schedule=f"0 6 {deadline_day() + 1} * *",
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    name="monthly_warehouse",
    description="The day after the submission deadline: the month whose forms were due",
)
def monthly_schedule(context: dg.ScheduleEvaluationContext):
    at = context.scheduled_execution_time
    passed = last_period_past_deadline(at.astimezone(ZoneInfo(TIMEZONE)).date() if at else None)
    # now, and the state just before that deadline passed: the plan is that month's
    now = current_state(scan({}))
    now["calendar"] = {**now["calendar"], "past_deadline": passed}
    before = {**now, "calendar": {**now["calendar"], "past_deadline": shift(passed, -1)}}
    plan = plan_run(before, now)
    if plan.kind == "nothing":
        return dg.SkipReason(plan.reason)
    return run_request(plan, context.repository_def.asset_graph, _key(now, plan))
