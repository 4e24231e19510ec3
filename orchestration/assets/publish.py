"""Publishing: the checked build replaces the published warehouse, or is held.

The publish step depends on every step of the run before it (through the rules, which
depend on the last models of each dbt step), so that Dagster skips it when any of them
failed; it also looks for a failed step of its own run before it publishes anything."""

import dagster as dg

from .. import progress
from ..publish import publish
from ..resources import WarehouseResource
from .alerts import ALERTS_KEY
from .reconciliation import RECONCILIATION_KEY


def failed_steps(context: dg.AssetExecutionContext) -> list[str]:
    """The steps of this run that failed so far."""
    records = context.instance.get_records_for_run(
        context.run_id, of_type=dg.DagsterEventType.STEP_FAILURE
    ).records
    return sorted({r.event_log_entry.step_key or "?" for r in records})


@dg.asset(
    key=dg.AssetKey(["published_warehouse"]),
    deps=[RECONCILIATION_KEY, ALERTS_KEY],
    group_name="publish",
    kinds={"duckdb"},
    description="$ZS_DATA_DIR/warehouse.duckdb: the marts BI tools read, replaced atomically when a build passes",
)
def published_warehouse(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    failed = failed_steps(context)
    if failed:  # never publish what this run did not build and check
        raise dg.Failure(f"not published: step {', '.join(failed)} failed in this run")
    with progress.current().stage("publish") as stage:
        decision = publish(warehouse.settings, dagster_run_id=context.run_id)
        stage.note = decision.decision
    if not decision.published:
        context.log.warning(f"held: {decision.reason}")
    return dg.MaterializeResult(
        metadata={
            "decision": decision.decision,
            "reason": decision.reason,
            "live_run_id": decision.live_run_id or "",
            "path": str(warehouse.settings.warehouse_path),
        }
    )
