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

import logging
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtProject,
    dbt_assets,
)
from dagster_dbt.asset_utils import (
    DAGSTER_DBT_EXCLUDE_METADATA_KEY,
    DAGSTER_DBT_SELECT_METADATA_KEY,
    DAGSTER_DBT_SELECTOR_METADATA_KEY,
    get_asset_check_key_for_test,
    get_manifest_and_translator_from_dbt_assets,
    get_subset_selection_for_context,
)
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage

from .. import dbt_runner, prewarm
from ..config import DBT_PROJECT_DIR, settings
from ..constants import FULL_REFRESH_TAG, MONTHLY_TAG
from ..dbt_setup import TARGET_DIR, dbt_build_args, dbt_env, ensure_manifest
from .partitions import MONTHLY

MONTHLY_MODELS = f"tag:{MONTHLY_TAG}"
UNCHANGED = "unchanged: built from the same inputs before, its tests passed on them; not run again"

# The asset graph is read from dbt's manifest: (re)build it first when it is missing or
# older than the dbt project's files (a fresh clone, an edited model).
ensure_manifest()

# The two sets run as separate dbt invocations. dbt's default (eager) test selection would
# run the fact's relationship tests in the other step, as soon as the dimension they point
# at is built (and before the fact is, on a first build); "buildable" runs a test in the
# step where all its parents are built or upstream (the fact names its dimensions with
# `depends_on` for this).
INDIRECT_SELECTION = "buildable"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
assert dbt_project.manifest_path == TARGET_DIR / "manifest.json"


class WarmDbt(dg.ConfigurableResource):
    """dbt run by one warm dbt process that serves every step of the run
    (``orchestration/dbt_runner.py``), not a dbt process per step as dagster-dbt's
    ``DbtCliResource`` starts: dbt is imported once per process and parsed once per run,
    while Dagster starts. dagster-dbt still maps the project to assets, chooses what a
    subset of them selects, and turns dbt's result events into Dagster's (materializations,
    asset checks)."""

    def build(
        self, context: dg.AssetExecutionContext, args: list[str], env: dict[str, str]
    ) -> Iterator[Any]:
        manifest, dagster_translator, project = get_manifest_and_translator_from_dbt_assets(
            [context.assets_def]
        )
        tags = context.op.tags
        selection, indirect = get_subset_selection_for_context(
            context=context,
            manifest=manifest,
            select=tags.get(DAGSTER_DBT_SELECT_METADATA_KEY),
            exclude=tags.get(DAGSTER_DBT_EXCLUDE_METADATA_KEY),
            selector=tags.get(DAGSTER_DBT_SELECTOR_METADATA_KEY),
            dagster_dbt_translator=dagster_translator,
            current_dbt_indirect_selection_env=INDIRECT_SELECTION,
        )
        env = {**env, "DBT_INDIRECT_SELECTION": indirect or INDIRECT_SELECTION}
        data_dir = settings().data_dir
        label = "models by month" if context.assets_def.partitions_def else "models"
        prewarm.start()  # the reconciliation's and the report's imports, while dbt works
        nodes = 0
        unchanged = _AsTheyAre(context, manifest, dagster_translator, project)
        for raw in dbt_runner.build(
            [*args, *selection],
            data_dir=data_dir,
            key=context.run_id,
            env=env,
            label=label,
            monthly=context.assets_def.partitions_def is not None,
        ):
            if isinstance(raw, dbt_runner.Unchanged):
                unchanged.told(raw)
                yield from unchanged.ready()
                continue
            nodes += 1
            yield from DbtCoreCliEventMessage(
                raw_event=raw, event_history_metadata={}
            ).to_default_asset_events(
                manifest=manifest,
                dagster_dbt_translator=dagster_translator,
                context=context,
                project=project,
            )
            yield from unchanged.ready(raw["data"]["node_info"]["unique_id"])
        yield from unchanged.rest()
        context.log.info(
            f"dbt built {nodes} nodes in this process; its log: {dbt_runner.log_dir(data_dir)}"
        )


class _QuietChecks(logging.Filter):
    """Dagster warns of every blocking check a step did not evaluate; the tests dbt left as
    they are (their data unchanged since they passed) are not evaluated on purpose."""

    def __init__(self) -> None:
        super().__init__()
        self.left: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(f"'{check}' emitted no result" in message for check in self.left)


_quiet_checks = _QuietChecks()
logging.getLogger("dagster._core.execution.plan.active").addFilter(_quiet_checks)


class _AsTheyAre:
    """The selected models dbt left as they are, their inputs unchanged since they last
    built and their tests passed on them: each is reported with its data version (the same
    as then), after the models of the step it reads (Dagster wants a step's assets in
    order), so that what reads it runs. Their tests are not reported: their last
    evaluation, on the same data, stands (a check result each would cost Dagster about as
    much as running the test)."""

    def __init__(self, context, manifest, translator, project) -> None:
        self.context, self.manifest = context, manifest
        self.translator, self.project = translator, project
        self.pending: dict[str, str] = {}
        self.waits: dict[str, list[str]] = {}
        self.done: set[str] = set()

    def told(self, unchanged: dbt_runner.Unchanged) -> None:
        models = {uid: data for uid, data in unchanged.nodes.items() if not uid.startswith("test.")}
        self.pending, self.waits = models, unchanged.waits
        for unique_id in unchanged.nodes.keys() - models.keys():
            check = get_asset_check_key_for_test(
                self.manifest, self.translator, unique_id, self.project
            )
            if check is not None:
                _quiet_checks.left.add(check.to_user_string())

    def ready(self, finished: str | None = None) -> Iterator[dg.MaterializeResult]:
        if finished:
            self.done.add(finished)
        released = True
        while released:
            released = False
            for unique_id in list(self.pending):
                if not set(self.waits[unique_id]) <= self.done:
                    continue
                released = True
                self.done.add(unique_id)
                yield from self._model(unique_id, self.pending.pop(unique_id))

    def rest(self) -> Iterator[dg.MaterializeResult]:
        """What is left at the end (after a model it reads failed, too: it is as it was)."""
        for unique_id, fingerprint in list(self.pending.items()):
            yield from self._model(unique_id, fingerprint)
        self.pending = {}

    def _model(self, unique_id: str, fingerprint: str) -> Iterator[dg.MaterializeResult]:
        key = self.translator.get_asset_spec(self.manifest, unique_id, self.project).key
        if key in self.context.selected_asset_keys:
            yield dg.MaterializeResult(
                asset_key=key,
                metadata={"dbt": UNCHANGED},
                data_version=dg.DataVersion(fingerprint),
            )


def dbt_resource() -> WarmDbt:
    return WarmDbt()


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
def warehouse_models(context: dg.AssetExecutionContext, dbt: WarmDbt):
    args = dbt_build_args(full_refresh=_full_refresh(context))
    yield from dbt.build(context, args, dbt_env(run_id=context.run_id[:12]))


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=translator,
    project=dbt_project,
    select=MONTHLY_MODELS,
    partitions_def=MONTHLY,
    backfill_policy=dg.BackfillPolicy.single_run(),
    name="monthly_models",
)
def monthly_models(context: dg.AssetExecutionContext, dbt: WarmDbt):
    window = (context.partition_key_range.start, context.partition_key_range.end)
    args = dbt_build_args(full_refresh=_full_refresh(context))
    yield from dbt.build(context, args, dbt_env(run_id=context.run_id[:12], months=window))


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
