"""Publishing: the checked build replaces the published warehouse, or is held."""

import dagster as dg

from ..publish import publish
from ..resources import WarehouseResource
from .alerts import ALERTS_KEY
from .reconciliation import RECONCILIATION_KEY


@dg.asset(
    key=dg.AssetKey(["published_warehouse"]),
    deps=[RECONCILIATION_KEY, ALERTS_KEY],
    group_name="publish",
    kinds={"duckdb"},
    description="$ZS_DATA_DIR/warehouse.duckdb: the marts BI tools read, replaced atomically when a build passes",
)
def published_warehouse(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    decision = publish(warehouse.settings, dagster_run_id=context.run_id)
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
