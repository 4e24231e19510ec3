"""The dbt project as Dagster assets; dbt tests become asset checks.

Two sets of models: those tagged ``monthly`` are partitioned by month: the models built by
month (form A's cells, chains and slips, the fact, the marts of ``models/marts/by_period``,
the rules and their audit; ``by_period`` in ``dbt_project.yml``) replace every period from
the run's first month on (``dbt_setup.dbt_env``) and keep the earlier ones, and the models
that read them (the culprits, the rejected rows) follow in the same step; every other model
is unpartitioned, rebuilt whole, and built first. A run tagged
``zhaoshang/full_refresh=true`` rebuilds incremental models from scratch (needed once after
a model's columns changed).

Asset keys are dbt-dagster's defaults (``<schema>/<model>``; a source's from its
``meta.dagster.asset_key`` in ``_sources.yml``); the translator adds the group and the
second landing asset of the bookkeeping tables.
"""

import importlib.metadata
import os
import shutil
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cached_property
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from .. import prewarm
from ..config import DBT_PROJECT_DIR, settings
from ..constants import FULL_REFRESH_TAG
from ..dbt_setup import TARGET_DIR, dbt_build_args, dbt_env, dbt_executable, ensure_manifest
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

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
assert dbt_project.manifest_path == TARGET_DIR / "manifest.json"


class WarehouseDbtCli(DbtCliResource):
    """dagster-dbt's CLI resource without two costs it adds to every run, for things this
    project does not use (about 5 s a run, measured at every tier):

    - it learns dbt's version by running ``dbt --version`` (2.6 s): the dbt it runs is the
      one installed beside this Python (``dbt_setup.dbt_executable``), so the version is read
      from the installed package instead;
    - before each step it builds a dbt adapter inside Dagster's own process (importing dbt,
      loading its macros: about 3 s for the first step). dagster-dbt uses it only to fetch
      row counts and column metadata (``fetch_row_counts``, ``fetch_column_metadata``), which
      no asset here asks for; without it, Dagster's process never opens the build file
      while dbt writes it.
    """

    @cached_property
    def _cli_version(self):
        from packaging import version

        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None


def dbt_resource() -> DbtCliResource:
    return WarehouseDbtCli(project_dir=dbt_project, dbt_executable=dbt_executable())


class WarehouseTranslator(DagsterDbtTranslator):
    """Groups mirror the warehouse's schemas; a model that reads a source written by two
    landing assets (``meta.also_written_by``) depends on both."""

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            return spec
        spec = spec.replace_attributes(group_name=spec.key.path[0])
        also = {
            tuple(meta["also_written_by"])
            for node in props.get("depends_on", {}).get("nodes", [])
            if node.startswith("source.")
            and "also_written_by" in (meta := manifest["sources"][node]["config"].get("meta", {}))
        }
        deps = {dep.asset_key for dep in spec.deps}
        extra = [dg.AssetDep(dg.AssetKey(list(k))) for k in sorted(also)]
        extra = [d for d in extra if d.asset_key not in deps]
        return spec.replace_attributes(deps=[*spec.deps, *extra]) if extra else spec


# several source tables are written by the same landing asset
translator = WarehouseTranslator(
    settings=DagsterDbtTranslatorSettings(enable_duplicate_source_asset_keys=True)
)


def _full_refresh(context: dg.AssetExecutionContext) -> bool:
    return context.run.tags.get(FULL_REFRESH_TAG) == "true"


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=translator,
    project=dbt_project,
    exclude=MONTHLY_MODELS,
    name="warehouse_models",
)
def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    args = dbt_build_args(full_refresh=_full_refresh(context))
    yield from _build(dbt, args, context, dbt_env(run_id=context.run_id[:12]))


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
    window = (context.partition_key_range.start, context.partition_key_range.end)
    args = dbt_build_args(full_refresh=_full_refresh(context))
    yield from _build(dbt, args, context, dbt_env(run_id=context.run_id[:12], months=window))


def _build(
    dbt: DbtCliResource,
    args: list[str],
    context: dg.AssetExecutionContext,
    env: dict[str, str],
):
    """One dbt invocation, in its own folder under ``$ZS_DATA_DIR/build/dbt/`` (manifest, run
    results, logs: several MB), removed when it succeeds, so that scheduled runs do not pile
    them up (a failed one's stays, to look into). dbt's parse is kept beside them
    (``partial_parse.msgpack``): the next invocation on this data folder reparses only what
    changed, about 4 s less a step (dbt_setup.dbt_env)."""
    folder = settings().data_dir / "build" / "dbt"
    kept = folder / "partial_parse.msgpack"
    target = (
        folder
        / f"{context.op_execution_context.op.name}-{context.run.run_id[:7]}-{uuid.uuid4().hex[:7]}"
    )
    target.mkdir(parents=True)
    if kept.exists():
        shutil.copy(kept, target / kept.name)
    prewarm.start()  # the reconciliation's and the report's imports, while dbt works
    with _environment(env):  # dagster-dbt hands dbt this process's environment
        invocation = dbt.cli(args, context=context, target_path=target)
    yield from invocation.stream()
    if (target / kept.name).exists():
        os.replace(target / kept.name, kept)
    shutil.rmtree(target, ignore_errors=True)


@contextmanager
def _environment(extra: dict[str, str]) -> Iterator[None]:
    """``os.environ`` with ``extra`` (and without the other ``ZS_DBT_`` variables) while dbt's
    process is started."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("ZS_DBT_")}
    for name in saved:
        del os.environ[name]
    os.environ.update(extra)
    try:
        yield
    finally:
        for name in extra:
            os.environ.pop(name, None)
        os.environ.update(saved)


def model_key(name: str) -> dg.AssetKey:
    """The asset key of a dbt model by its name."""
    for assets_def in (warehouse_models, monthly_models):
        for key in assets_def.keys:
            if key.path[-1] == name:
                return key
    raise KeyError(f"no dbt model named {name}")


def last_models() -> set[dg.AssetKey]:
    """The dbt models no other model reads, in both steps: what a step builds last."""
    specs = [*warehouse_models.specs, *monthly_models.specs]
    read = {dep.asset_key for spec in specs for dep in spec.deps}
    return {spec.key for spec in specs if spec.key not in read}
