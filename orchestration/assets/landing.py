"""Ingestion: every file under ``ZS_RAW_DIR`` lands in the ``landing`` schema, incrementally."""

import dagster as dg

from ..ingest.landing import ROW_TABLES, load_raw
from ..resources import WarehouseResource

LANDING_TABLES = ("files", "file_columns", "rejected_files", *ROW_TABLES, "ref_unit_labels")


def landing_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["landing", table])


@dg.multi_asset(
    name="land_raw_files",
    specs=[
        dg.AssetSpec(
            landing_key(table),
            group_name="landing",
            kinds={"python", "duckdb"},
            description=f"landing.{table}: raw submissions as typed, with lineage",
        )
        for table in LANDING_TABLES
    ],
)
def land_raw_files(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Land new or changed files (by sha256); set aside what cannot be read, with the reason."""
    with warehouse.connect() as con:
        report = load_raw(con, warehouse.settings.raw_dir)
        counts = {
            table: con.execute(f"select count(*) from landing.{table}").fetchone()[0]  # noqa: S608
            for table in LANDING_TABLES
        }
    context.log.info(str(report))
    for table in LANDING_TABLES:
        yield dg.MaterializeResult(
            asset_key=landing_key(table),
            metadata={
                "dagster/row_count": counts[table],
                "files_landed": report.landed,
                "files_unchanged": report.skipped,
                "files_set_aside": report.rejected,
            },
        )
