"""Reconciliation: Great Expectations validates every rule's relation (built by dbt, one
model per rule) once per run; each rule is an asset check on the mart it guards, with the
failing rows as metadata."""

import dagster as dg

from expectations.catalogue import load_rules
from expectations.runner import run_rules

from .. import progress
from ..publish import reconciliation_status
from ..resources import WarehouseResource
from .dbt import last_models, model_key

RECONCILIATION_KEY = dg.AssetKey(["audit", "rule_runs"])
RULES = load_rules()
AUDIT_MODELS = ("reconciliation_results", "mart_data_quality")


@dg.asset(
    key=RECONCILIATION_KEY,
    # the rules, the audit, and the last models of each dbt step: the checks (and the
    # publish after them) wait for every model of the run, and Dagster skips them when a
    # dbt step failed, whichever steps the run selected
    deps=sorted(
        {model_key(r.model) for r in RULES} | {model_key(m) for m in AUDIT_MODELS} | last_models(),
        key=lambda k: k.to_user_string(),
    ),
    group_name="audit",
    kinds={"great_expectations", "duckdb"},
    description="Great Expectations validates each rule relation (no failing rows) and "
    "cross-checks it with audit.reconciliation_results; audit.rule_runs; Data Docs",
)
def rule_runs(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    settings = warehouse.settings
    with progress.current().stage("rules", len(RULES), "rules") as stage:
        run = run_rules(settings.build_path, RULES, docs_dir=settings.data_dir / "docs")
        failed = sum(1 for o in run.outcomes if o.rows_failed)
        stage.advance(len(run.outcomes) - failed)
        stage.advance(failed, failed=True)
    return dg.MaterializeResult(
        metadata={
            "run_id": run.run_id or "",
            "rules": len(run.outcomes),
            "rules_failed": [o.rule.rule_id for o in run.outcomes if o.rows_failed],
        }
    )


def _markdown(rows: list[dict]) -> str:
    if not rows:
        return "no failing rows"
    cols = [
        "period",
        "unit_code",
        "project_code",
        "metric",
        "expected_value",
        "actual_value",
        "suspect_cause",
        "detail",
    ]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        lines.append("| " + " | ".join("" if r.get(c) is None else str(r[c]) for c in cols) + " |")
    return "\n".join(lines)


@dg.multi_asset_check(
    name="reconciliation_rules",
    specs=[
        dg.AssetCheckSpec(
            name=rule.check_name,
            asset=model_key(rule.guards),
            additional_deps=[RECONCILIATION_KEY, model_key(rule.model)],
            description=f"{rule.rule_id} ({rule.severity}): {rule.title}",
        )
        for rule in RULES
    ],
    # a run without the monthly models (files that belong to no month) reports the rules too
    can_subset=True,
)
def reconciliation_rules(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    """Report each selected rule's result from the latest reconciliation run."""
    selected = {key.name for key in context.selected_asset_check_keys}
    with warehouse.connect() as con:
        tables = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'audit'"
            ).fetchall()
        }
        if "rule_runs" not in tables:  # nothing built yet
            run_id, stats = None, {}
        else:
            run_id, _ = reconciliation_status(con)
            stats = {
                r[0]: r[1:]
                for r in con.execute(
                    "select rule_id, rows_checked, rows_failed, gx_success from audit.rule_runs "
                    "where run_id = ?",
                    [run_id],
                ).fetchall()
            }
        for rule in (r for r in RULES if r.check_name in selected):
            checked, failed, gx_success = stats.get(rule.rule_id, (0, None, False))
            failing: list[dict] = []
            if failed:
                cursor = con.execute(
                    "select * from audit.reconciliation_results where rule_id = ? and status = 'fail' "
                    "order by abs(difference) desc nulls first, period, unit_code limit 20",
                    [rule.rule_id],
                )
                names = [d[0] for d in cursor.description]
                failing = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            yield dg.AssetCheckResult(
                check_name=rule.check_name,
                asset_key=model_key(rule.guards),
                passed=bool(gx_success) and failed == 0,
                severity=dg.AssetCheckSeverity.ERROR
                if rule.severity == "error"
                else dg.AssetCheckSeverity.WARN,
                metadata={
                    "rule_id": rule.rule_id,
                    "run_id": run_id or "",
                    "rows_checked": checked,
                    "rows_failed": failed if failed is not None else -1,
                    "failing_rows": dg.MetadataValue.md(_markdown(failing)),
                },
            )
