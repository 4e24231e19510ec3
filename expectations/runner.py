"""Run the rule catalogue against a DuckDB warehouse and write ``audit.reconciliation_results``.

Two steps, each entirely inside DuckDB:

1. Great Expectations validates one suite per rule. The rule's SQL is a query asset; its
   suite expects ``select * from {batch} where is_failure`` to return no rows. GX pushes the
   query down to DuckDB through ``DuckDBDatasource`` and reports the failing count.
2. The runner writes every row of every rule (passes and failures) to
   ``audit.reconciliation_results`` with ``insert … select`` and cross-checks the failing
   count against GX's: the two must agree, or the run stops.

``audit.reconciliation_results`` holds the latest run; ``audit.rule_runs`` one row per rule
and run, for history.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from .catalogue import STAGES, Rule, load_rules

CULPRITS_SQL = Path(__file__).with_name("culprits.sql")
DATA_QUALITY_SQL = Path(__file__).with_name("data_quality.sql")

log = logging.getLogger(__name__)

AUDIT_DDL = [
    "create schema if not exists audit",
    """
    create table if not exists audit.reconciliation_results (
        run_id varchar,
        checked_at timestamp,
        rule_id varchar,
        severity varchar,
        status varchar,
        period varchar,
        unit_code varchar,
        project_code varchar,
        scope_code varchar,
        metric varchar,
        expected_value decimal(24, 8),
        actual_value decimal(24, 8),
        difference decimal(24, 8),
        suspect_unit_code varchar,
        suspect_cause varchar,
        detail varchar,
        source_file varchar
    )
    """,
    """
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
    """,
]


@dataclass
class RuleOutcome:
    rule: Rule
    rows_checked: int
    rows_failed: int
    gx_success: bool
    failures: list[dict] = field(default_factory=list)  # the first failing rows, for metadata

    @property
    def passed(self) -> bool:
        return self.rows_failed == 0


@dataclass
class ReconciliationRun:
    run_id: str
    checked_at: datetime
    outcomes: list[RuleOutcome]

    @property
    def error_failures(self) -> list[RuleOutcome]:
        return [o for o in self.outcomes if not o.passed and o.rule.severity == "error"]

    @property
    def passed(self) -> bool:
        return not self.error_failures


class GxSession:
    """One Great Expectations context for a reconciliation run: one suite, one query asset
    and one validation definition per rule, a checkpoint per stage, and Data Docs.

    Between stages the DuckDB connection is released, so that the runner can write the
    audit rows (DuckDB lets a process hold a file only under one configuration)."""

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

    def validate(self, stage: str, rules: Iterable[Rule]) -> dict[str, tuple[bool, int]]:
        """GX verdict per rule: (success, failing row count), computed in DuckDB."""
        gx = self.gx
        definitions = []
        for rule in rules:
            query = f"select * from ({rule.sql}) as rule_rows"  # noqa: S608 (rule SQL is ours)
            asset = self.source.add_query_asset(name=rule.rule_id, query=query)
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
                name=f"reconciliation_{stage}",
                validation_definitions=definitions,
                result_format="BASIC",
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


def _failures(con: duckdb.DuckDBPyConnection, rule: Rule, limit: int = 20) -> list[dict]:
    cursor = con.execute(
        "select * from audit.reconciliation_results where rule_id = ? and status = 'fail' "
        "order by abs(difference) desc nulls first, period, unit_code limit ?",
        [rule.rule_id, limit],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _write(
    con: duckdb.DuckDBPyConnection,
    run: ReconciliationRun,
    rule: Rule,
    verdict: tuple[bool, int],
    gx_ms: int,
) -> RuleOutcome:
    """Insert every row of one rule; cross-check the failing count with GX's verdict."""
    t0 = time.perf_counter()
    con.execute(
        f"""
        insert into audit.reconciliation_results
        select
            ? as run_id, ? as checked_at, ? as rule_id, ? as severity,
            case when is_failure then 'fail' else 'pass' end as status,
            period, unit_code, project_code, scope_code, metric,
            expected_value, actual_value, actual_value - expected_value as difference,
            case when is_failure then suspect_unit_code end as suspect_unit_code,
            case when is_failure then suspect_cause end as suspect_cause,
            detail, source_file
        from ({rule.sql}) as r
        """,  # noqa: S608 (the rule SQL is ours, from expectations/rules)
        [run.run_id, run.checked_at, rule.rule_id, rule.severity],
    )
    checked, failed = con.execute(
        "select count(*), count(*) filter (status = 'fail') "
        "from audit.reconciliation_results where rule_id = ?",
        [rule.rule_id],
    ).fetchone()
    gx_success, gx_failed = verdict
    if gx_failed != failed or gx_success != (failed == 0):
        raise RuntimeError(
            f"{rule.rule_id}: GX counted {gx_failed} failing rows, the audit {failed}"
        )
    con.execute(
        "insert into audit.rule_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run.run_id,
            run.checked_at,
            rule.rule_id,
            rule.severity,
            rule.title,
            checked,
            failed,
            gx_success,
            gx_ms + int((time.perf_counter() - t0) * 1000),
        ],
    )
    return RuleOutcome(rule, checked, failed, gx_success, _failures(con, rule))


def run_rules(
    db_path: Path,
    rules: Iterable[Rule] | None = None,
    run_id: str | None = None,
    docs_dir: Path | None = None,
) -> ReconciliationRun:
    """Validate the rules with GX and write their rows to the audit schema, stage by stage;
    then name the culprits of failed totals."""
    rules = tuple(rules if rules is not None else load_rules())
    run = ReconciliationRun(
        run_id or uuid.uuid4().hex[:12], datetime.now(UTC).replace(tzinfo=None), []
    )
    with duckdb.connect(str(db_path)) as con:
        for stmt in AUDIT_DDL:
            con.execute(stmt)
        con.execute("delete from audit.reconciliation_results")
    session = GxSession(db_path)
    for stage in STAGES:
        staged = [r for r in rules if r.stage == stage]
        if not staged:
            continue
        started = time.perf_counter()
        verdicts = session.validate(stage, staged)
        gx_ms = int((time.perf_counter() - started) * 1000) // len(staged)
        with duckdb.connect(str(db_path)) as con:
            con.execute("begin transaction")
            for rule in staged:
                run.outcomes.append(_write(con, run, rule, verdicts[rule.rule_id], gx_ms))
            if stage == "totals":
                con.execute(CULPRITS_SQL.read_text(encoding="utf-8"))
                for outcome in run.outcomes:
                    if outcome.rule.stage == "totals":
                        outcome.failures = _failures(con, outcome.rule)
            con.execute("commit")
    with duckdb.connect(str(db_path)) as con:
        con.execute(DATA_QUALITY_SQL.read_text(encoding="utf-8"))
    if docs_dir is not None:
        session.build_docs(docs_dir)
    for o in run.outcomes:
        log.info(
            "%s %s: %d checked, %d failed",
            o.rule.rule_id,
            o.rule.severity,
            o.rows_checked,
            o.rows_failed,
        )
    return run
