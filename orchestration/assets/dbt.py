"""The dbt project as Dagster assets; dbt tests become asset checks.

Two sets of models: those tagged ``monthly`` (the fact) are partitioned by month and
replace only the periods of the run (dbt vars ``period_from``/``period_to``); every other
model is unpartitioned and rebuilt whole (views, and small tables). A run tagged
``zhaoshang/full_refresh=true`` rebuilds incremental models from scratch (needed once
after a model's columns changed).
"""

import json
import os
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from ..dbt_setup import dbt_project, ensure_manifest
from ..definitions import FULL_REFRESH_TAG
from .landing import BOOKKEEPING_TABLES, SUBMISSIONS_KEY, landing_key
from .partitions import MONTHLY

MONTHLY_MODELS = "tag:monthly"

# The asset graph is read from dbt's manifest: (re)build it first when it is missing or
# older than the dbt project's files (a fresh clone, an edited model).
ensure_manifest()

# The two sets run as separate dbt invocations. dbt's default (eager) test selection would
# run the fact's relationship tests in the other step, as soon as the dimension they point
# at is built (and before the fact is, on a first build); "buildable" runs a test in the
# step where all its parents are built or upstream (the fact names its dimensions with
# `depends_on` for this).
os.environ.setdefault("DBT_INDIRECT_SELECTION", "buildable")


class WarehouseTranslator(DagsterDbtTranslator):
    """Keys mirror the warehouse: ``<schema>/<model>`` for models; a source table is keyed by
    the landing asset that writes it (both landing assets write the bookkeeping tables)."""

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            return spec.replace_attributes(key=landing_key(props["name"]))
        schema = props.get("config", {}).get("schema") or props["schema"]
        spec = spec.replace_attributes(key=dg.AssetKey([schema, props["name"]]), group_name=schema)
        sources = {
            manifest["sources"][node]["name"]
            for node in props.get("depends_on", {}).get("nodes", [])
            if node.startswith("source.")
        }
        if sources & set(BOOKKEEPING_TABLES) and SUBMISSIONS_KEY not in {
            dep.asset_key for dep in spec.deps
        }:
            spec = spec.replace_attributes(deps=[*spec.deps, dg.AssetDep(SUBMISSIONS_KEY)])
        return spec


# several source tables are written by the same landing asset
translator = WarehouseTranslator(
    settings=DagsterDbtTranslatorSettings(enable_duplicate_source_asset_keys=True)
)


def _build_args(context: dg.AssetExecutionContext) -> list[str]:
    args = ["build"]
    if context.run.tags.get(FULL_REFRESH_TAG) == "true":
        args.append("--full-refresh")
    return args


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=translator,
    project=dbt_project,
    exclude=MONTHLY_MODELS,
    name="warehouse_models",
)
def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(_build_args(context), context=context).stream()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=translator,
    project=dbt_project,
    select=MONTHLY_MODELS,
    partitions_def=MONTHLY,
    backfill_policy=dg.BackfillPolicy.single_run(),
    name="monthly_models",
)
def monthly_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    window = {
        "period_from": context.partition_key_range.start,
        "period_to": context.partition_key_range.end,
    }
    args = [*_build_args(context), "--vars", json.dumps(window)]
    yield from dbt.cli(args, context=context).stream()


def model_key(name: str) -> dg.AssetKey:
    """The asset key of a dbt model by its name."""
    for assets_def in (warehouse_models, monthly_models):
        for key in assets_def.keys:
            if key.path[-1] == name:
                return key
    raise KeyError(f"no dbt model named {name}")
