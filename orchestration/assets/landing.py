"""Ingestion: files under ``ZS_RAW_DIR`` land in the ``landing`` schema, incrementally.

Two assets share the loader:

- ``landing/submissions``, partitioned by month: the forms A and S of that month's folder
  and the province's figures for that month;
- ``landing/reference``: reference data and the register, which every month uses, and the
  files that belong to no open month (misplaced, or in a folder that is not an ended month),
  which are set aside with the reason.

Both add their files to the bookkeeping tables ``landing.files``, ``landing.file_columns``
and ``landing.rejected_files``.
"""

import dagster as dg

from ..ingest.landing import LoadReport, Scope, discover, load_raw
from ..resources import WarehouseResource
from .partitions import MONTHLY

# dbt's sources name these keys (meta.dagster.asset_key in dbt_project/models/staging/_sources.yml)
SUBMISSIONS_KEY = dg.AssetKey(["landing", "submissions"])
REFERENCE_KEY = dg.AssetKey(["landing", "reference"])


def _metadata(report: LoadReport) -> dict:
    return {
        "files_landed": report.landed,
        "rows_landed": report.rows,
        "files_unchanged": report.skipped,
        "files_superseded": report.superseded,
        "files_set_aside": report.rejected,
    }


@dg.asset(
    key=SUBMISSIONS_KEY,
    partitions_def=MONTHLY,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="landing",
    kinds={"python", "duckdb"},
    description="One month's forms A and S and province figures, as typed, with lineage "
    "(landing.form_a_rows, form_s_rows, province_figures)",
)
def landing_submissions(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Land the month's new or changed files (by sha256); set aside what cannot be read."""
    first, last = context.partition_key_range.start, context.partition_key_range.end
    with warehouse.connect() as con:
        report = load_raw(con, warehouse.settings.raw_dir, Scope.of_months(first, last))
    context.log.info(f"{first}..{last}: {report}")
    return dg.MaterializeResult(metadata=_metadata(report))


@dg.asset(
    key=REFERENCE_KEY,
    group_name="landing",
    kinds={"python", "duckdb"},
    description="Reference data and the project register, as typed, with lineage; files "
    "that belong to no open month set aside (landing.ref_*, register_rows, rejected_files)",
)
def landing_reference(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Land new or changed reference files and register versions; set aside misplaced files.
    A raw folder holding nothing the contract names (empty, missing, a share not mounted)
    fails the run here, before anything is rebuilt."""
    raw_dir = warehouse.settings.raw_dir
    if not discover(raw_dir)[0]:
        raise dg.Failure(f"no submissions under {raw_dir} (empty, missing or not mounted)")
    with warehouse.connect() as con:
        report = load_raw(con, warehouse.settings.raw_dir, Scope.reference_only())
    context.log.info(str(report))
    return dg.MaterializeResult(metadata=_metadata(report))
