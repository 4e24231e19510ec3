"""Alerts on check results: they fire whether or not the Dagster run itself failed."""

import dagster as dg

from ..alerts import send_alerts
from ..resources import WarehouseResource
from .reconciliation import RECONCILIATION_KEY

ALERTS_KEY = dg.AssetKey(["audit", "alerts"])


@dg.asset(
    key=ALERTS_KEY,
    deps=[RECONCILIATION_KEY],
    group_name="audit",
    kinds={"python"},
    description="New, changed and recovered failures announced once: JSON-lines log, webhook, DingTalk, WeCom, e-mail",
)
def data_quality_alerts(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    digest = send_alerts(warehouse.settings)
    if digest.alerts:
        context.log.warning(digest.title)
    return dg.MaterializeResult(
        metadata={
            "announced": len(digest.alerts),
            "failures": sum(a.kind == "failure" for a in digest.alerts),
            "recoveries": sum(a.kind == "recovery" for a in digest.alerts),
            "digest": dg.MetadataValue.md(digest.text(markdown=True))
            if digest.alerts
            else "nothing new",
        }
    )
