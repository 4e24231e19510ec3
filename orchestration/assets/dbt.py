"""The dbt project as Dagster assets; dbt tests become asset checks."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from ..dbt_setup import dbt_project


class WarehouseTranslator(DagsterDbtTranslator):
    """Keys mirror the warehouse: ``landing/<table>`` for sources, ``<schema>/<model>`` for models."""

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            return spec.replace_attributes(key=dg.AssetKey(["landing", props["name"]]))
        schema = props.get("config", {}).get("schema") or props["schema"]
        return spec.replace_attributes(
            key=dg.AssetKey([schema, props["name"]]),
            group_name=schema,
        )


translator = WarehouseTranslator()


class DbtBuildConfig(dg.Config):
    """``full_refresh`` rebuilds incremental models from scratch (after their columns changed)."""

    full_refresh: bool = False


@dbt_assets(
    manifest=dbt_project.manifest_path, dagster_dbt_translator=translator, project=dbt_project
)
def warehouse_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig
):
    args = ["build", "--full-refresh"] if config.full_refresh else ["build"]
    yield from dbt.cli(args, context=context).stream()


def model_key(name: str) -> dg.AssetKey:
    """The asset key of a dbt model by its name."""
    from dagster_dbt import get_asset_key_for_model

    return get_asset_key_for_model([warehouse_models], name)
