"""The monthly report, rebuilt after every publish (held or not) from the published file,
and the data dictionary (dbt docs) it links to."""

import dagster as dg

from .. import progress
from ..dbt_setup import write_dbt_docs
from ..report import build_report
from ..resources import WarehouseResource
from .publish import published_warehouse


@dg.asset(
    key=dg.AssetKey(["docs", "dbt"]),
    deps=[published_warehouse],
    group_name="publish",
    kinds={"html", "dbt"},
    description="$ZS_DATA_DIR/docs/dbt/index.html: dbt docs as one static page (every model, "
    "column and test; lineage), generated once per code version",
)
def dbt_docs(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    path = write_dbt_docs(warehouse.settings.data_dir)
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(path))})


@dg.asset(
    key=dg.AssetKey(["report", "monthly"]),
    deps=[published_warehouse, dbt_docs],
    group_name="publish",
    kinds={"html"},
    description="$ZS_DATA_DIR/report/index.html: the monthly report, one offline page in Chinese, "
    "every number read from the published marts",
)
def monthly_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    with progress.current().stage("report"):
        path = build_report(warehouse.settings)
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(path))})
