"""Great Expectations over the rule catalogue, in DuckDB.

dbt computes each rule once, as a model (``rules.rNN_*``: one row per thing checked, with
``is_failure``), and writes their union to ``audit.reconciliation_results``. This runner
then has Great Expectations validate each rule's relation — one suite per rule, expecting
``select * from {batch} where is_failure`` to return no rows, pushed down to DuckDB through
``DuckDBDatasource`` — and cross-checks GX's failing count with the audit's: the two must
agree, or the run stops. ``audit.rule_runs`` keeps one row per rule and run, for history,
and GX's Data Docs are written as static HTML.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from .catalogue import AUDIT_RUN, Rule, load_rules

log = logging.getLogger(__name__)

RULE_RUNS_DDL = """
create table if not exists audit.rule_runs (
    run_id varchar,
    checked_at timestamp,
    rule_id varchar,
    severity varchar,
    title varchar,
    rows_checked bigint,
    rows_failed bigint,
    gx_success boolean,
    duration_ms bigint
)
"""


@dataclass(frozen=True)
class RuleOutcome:
    rule: Rule
    rows_checked: int
    rows_failed: int
    gx_success: bool


@dataclass(frozen=True)
class ReconciliationRun:
    run_id: str | None  # the audit's run (None: no rule has been built yet)
    outcomes: tuple[RuleOutcome, ...]


class GxSession:
    """One Great Expectations context: a table asset, a suite and a validation definition
    per rule relation, one checkpoint, and Data Docs."""

    def __init__(self, db_path: Path) -> None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        from . import gx_duckdb  # noqa: F401  (registers the "duckdb" datasource type)

        self.gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.source = self.context.data_sources.add_duckdb(
            name="warehouse", connection_string=f"duckdb:///{db_path}"
        )

    def validate(self, rules: Iterable[Rule]) -> dict[str, tuple[bool, int]]:
        """GX verdict per rule: (success, failing row count), computed in DuckDB."""
        gx = self.gx
        definitions = []
        for rule in rules:
            asset = self.source.add_table_asset(
                name=rule.rule_id, table_name=rule.model, schema_name=rule.schema
            )
            batch = asset.add_batch_definition_whole_table(rule.rule_id)
            suite = self.context.suites.add(
                gx.ExpectationSuite(
                    name=rule.rule_id,
                    expectations=[
                        gx.expectations.UnexpectedRowsExpectation(
                            unexpected_rows_query="select * from {batch} where is_failure",
                            description=f"{rule.rule_id} {rule.label}: {rule.title}",
                        )
                    ],
                )
            )
            definitions.append(
                self.context.validation_definitions.add(
                    gx.ValidationDefinition(name=rule.rule_id, data=batch, suite=suite)
                )
            )
        checkpoint = self.context.checkpoints.add(
            gx.Checkpoint(
                name="reconciliation", validation_definitions=definitions, result_format="BASIC"
            )
        )
        try:
            result = checkpoint.run()
        finally:
            self.release()
        verdicts: dict[str, tuple[bool, int]] = {}
        for validation in result.run_results.values():
            (expectation,) = validation.results
            if "observed_value" not in (expectation.result or {}):
                info = expectation.exception_info or {}
                messages = [
                    str(v.get("exception_message"))
                    for v in (info.values() if "raised_exception" not in info else [info])
                    if isinstance(v, dict)
                ]
                raise RuntimeError(
                    f"{validation.suite_name}: GX could not evaluate the rule: {'; '.join(messages)}"
                )
            verdicts[validation.suite_name] = (
                bool(expectation.success),
                int(expectation.result["observed_value"]),
            )
        return verdicts

    def release(self) -> None:
        """Give the database back so this process can open it with its own configuration."""
        self.source.get_execution_engine().close()
        self.source.get_engine().dispose()

    def build_docs(self, directory: Path) -> Path:
        """Great Expectations Data Docs for this run's validations, as static HTML."""
        directory.mkdir(parents=True, exist_ok=True)
        self.context.add_data_docs_site(
            site_name="warehouse",
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(directory),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
        self.context.build_data_docs(site_names=["warehouse"])
        return directory / "index.html"


def _built(con: duckdb.DuckDBPyConnection, rules: Iterable[Rule]) -> bool:
    """Whether dbt has built the audit and every rule relation in this warehouse."""
    present = {
        f"{schema}.{name}"
        for schema, name in con.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
    }
    return "audit.reconciliation_results" in present and all(r.relation in present for r in rules)


def run_rules(
    db_path: Path, rules: Iterable[Rule] | None = None, docs_dir: Path | None = None
) -> ReconciliationRun:
    """Validate the rule relations with GX, cross-check them with the audit, record the run."""
    rules = tuple(rules if rules is not None else load_rules())
    with duckdb.connect(str(db_path), read_only=True) as con:
        if not _built(con, rules):
            log.warning("no rule has been built in %s yet: nothing to validate", db_path)
            return ReconciliationRun(None, ())
    session = GxSession(db_path)
    started = time.perf_counter()
    verdicts = session.validate(rules)
    gx_ms = int((time.perf_counter() - started) * 1000) // max(len(rules), 1)
    with duckdb.connect(str(db_path)) as con:
        con.execute(RULE_RUNS_DDL)
        run_id, checked_at = con.execute(
            f"select {AUDIT_RUN}, max(checked_at) from audit.reconciliation_results"  # noqa: S608 (constant)
        ).fetchone()
        counts = {
            rule_id: (checked, failed)
            for rule_id, checked, failed in con.execute(
                "select rule_id, sum(checks), count(*) filter (status = 'fail') "
                "from audit.reconciliation_results group by rule_id"
            ).fetchall()
        }
        outcomes = []
        con.execute("begin transaction")
        con.execute("delete from audit.rule_runs where run_id = ?", [run_id])
        for rule in rules:
            checked, failed = counts.get(rule.rule_id, (0, 0))
            gx_success, gx_failed = verdicts[rule.rule_id]
            if gx_failed != failed or gx_success != (failed == 0):
                raise RuntimeError(
                    f"{rule.rule_id}: GX counted {gx_failed} failing rows, the audit {failed}"
                )
            con.execute(
                "insert into audit.rule_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    run_id,
                    checked_at or datetime.now(UTC).replace(tzinfo=None),
                    rule.rule_id,
                    rule.severity,
                    rule.title,
                    checked,
                    failed,
                    gx_success,
                    gx_ms,
                ],
            )
            outcomes.append(RuleOutcome(rule, checked, failed, gx_success))
        con.execute("commit")
    if docs_dir is not None:
        session.build_docs(docs_dir)
    for o in outcomes:
        log.info(
            "%s %s: %d checked, %d failed",
            o.rule.rule_id,
            o.rule.severity,
            o.rows_checked,
            o.rows_failed,
        )
    return ReconciliationRun(run_id, tuple(outcomes))
