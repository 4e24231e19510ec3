"""The monthly report, rebuilt after every publish (held or not) from the published file."""

import dagster as dg

from ..report import build_report
from ..resources import WarehouseResource
from .publish import published_warehouse


@dg.asset(
    key=dg.AssetKey(["report", "monthly"]),
    deps=[published_warehouse],
    group_name="publish",
    kinds={"html"},
    description="$ZS_DATA_DIR/report/index.html: the monthly report, one offline page in Chinese, "
    "every number read from the published marts",
)
def monthly_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    path = build_report(warehouse.settings)
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(path))})
