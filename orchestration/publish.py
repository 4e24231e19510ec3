"""Write, audit, publish: the build file becomes what BI reads only when it passes.

The warehouse is built and checked in ``$ZS_DATA_DIR/build/warehouse.duckdb``. Publishing
writes a fresh file next to the published one and renames it over
``$ZS_DATA_DIR/warehouse.duckdb`` (an atomic replace on POSIX), so:

- a BI tool that has the published file open keeps reading the old version undisturbed,
  and one that opens it afterwards sees the new one; nobody sees a half-written file;
- the build process never holds the published file open for writing, so it never locks
  readers out (DuckDB lets one read-write process exclude all others);
- the file is written with an old storage version (``PUBLISH_STORAGE_VERSION``) that the
  DuckDB drivers in BI tools (≤ 1.5) can open.

Every mart is also exported as Parquet, for Evidence, pandas or any engine:
``$ZS_DATA_DIR/parquet/<mart>.parquet``. ``parquet`` is a symbolic link to one run's folder
under ``parquet-versions/``, written in full before the DuckDB file is renamed and swapped
in (an atomic replace of the link) right after it, so a reader of the folder never sees a
mix of two runs. A held run leaves the Parquet files as they are (its marts are the
previous ones); the previous version is kept for readers still on it, older ones go.

When an error-severity rule failed, the run is held: the new file carries the previous
published marts unchanged and this run's ``audit`` schema, and ``audit.publish_log`` says
which run's marts are live and why this one was held. An operator can publish a held run
deliberately with a recorded reason (``zhaoshang publish --force --run <run> --reason …``):
the run named must be the held run whose build is there, so that nobody publishes a newer
build they did not look at.

Every run ends ``published``, ``held`` or ``failed``. A run in which any step failed never
reaches the publish step (it depends on every step before it, and checks the run's
failures again): the published file, its Parquet and the report stay as they were, byte
for byte. The failure is recorded beside them (``failed_runs.jsonl`` in the data folder,
``record_failed_run``) and folded into ``audit.publish_log`` — decision ``failed``, with
the step that failed — by the next publish.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from expectations.catalogue import AUDIT_RUN

from . import jsonlines
from .config import Settings, duckdb_config

PUBLISH_STORAGE_VERSION = "v1.0.0"
PUBLISHED_SCHEMAS = ("marts",)
AUDIT_SCHEMA = "audit"
PARQUET_LINK = "parquet"  # $ZS_DATA_DIR/parquet -> parquet-versions/<version>/
PARQUET_VERSIONS = "parquet-versions"
FAILED_RUNS = "failed_runs.jsonl"  # failed runs not yet in a published audit.publish_log
LOG_COLUMNS = (
    "published_at",
    "run_id",
    "decision",
    "live_run_id",
    "reason",
    "error_failures",
    "dagster_run_id",
    "failed_step",
)


class PublishRefused(RuntimeError):
    """``publish --force`` asked for a build that is not there any more."""


def record_failed_run(data_dir: Path, run_id: str, step: str, reason: str) -> None:
    """A run that failed: recorded beside the published file without touching it, and
    carried into ``audit.publish_log`` by the next publish."""
    line = {
        "published_at": datetime.now(UTC).replace(tzinfo=None).isoformat(),
        "run_id": run_id[:12],
        "decision": "failed",
        "reason": reason[:2000],
        "dagster_run_id": run_id,
        "failed_step": step,
    }
    if any(r.get("dagster_run_id") == run_id for r in failed_runs(data_dir)):
        return  # recorded already (the executor of a run, then the command that ran it)
    jsonlines.append(data_dir / FAILED_RUNS, line)


def failed_runs(data_dir: Path) -> list[dict]:
    """The failed runs recorded since the last publish, oldest first."""
    return jsonlines.read(data_dir / FAILED_RUNS)


@dataclass(frozen=True)
class PublishDecision:
    decision: str  # published | held | forced
    run_id: str | None
    live_run_id: str | None
    reason: str
    error_failures: int

    @property
    def published(self) -> bool:
        return self.decision in ("published", "forced")


def _quote(path: Path) -> str:
    """A path as a SQL string literal (ATTACH takes no parameters). Paths are ours, not input."""
    return "'" + str(path).replace("'", "''") + "'"


def _tables(con: duckdb.DuckDBPyConnection, catalog: str, schema: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = ? and table_schema = ? and table_type = 'BASE TABLE' order by 1",
            [catalog, schema],
        ).fetchall()
    ]


def reconciliation_status(
    con: duckdb.DuckDBPyConnection, catalog: str | None = None
) -> tuple[str | None, int]:
    """The publish gate, in one place: the run id of the audit in ``catalog`` (the connection's
    own database by default) and how many of its rows failed an error-severity rule.
    (None, 0) when no rule has been built there yet."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'audit' "
        "and table_name = 'reconciliation_results' and table_catalog = coalesce(?, current_database())",
        [catalog],
    ).fetchone()[0]
    if not exists:
        return None, 0
    prefix = f"{catalog}." if catalog else ""
    failing = "count(*) filter (status = 'fail' and severity = 'error')"
    sql = f"select {AUDIT_RUN}, {failing} from {prefix}audit.reconciliation_results"  # noqa: S608 (our catalog names)
    run_id, failures = con.execute(sql).fetchone()
    return run_id, int(failures)


def _copy_schema(con: duckdb.DuckDBPyConnection, source: str, schema: str) -> None:
    con.execute(f"create schema if not exists pub.{schema}")
    for table in _tables(con, source, schema):
        copy = f'create table pub.{schema}."{table}" as select * from {source}.{schema}."{table}"'  # noqa: S608 (catalog names)
        con.execute(copy)


def _pause_for_tests(tmp: Path) -> None:
    """Tests only: with ZS_TEST_PAUSE_IN_PUBLISH=<marker path>, write the marker and wait here,
    between the new file written and the rename, so that a test can kill the run inside the
    publish step itself."""
    marker = os.environ.get("ZS_TEST_PAUSE_IN_PUBLISH")
    if marker:
        Path(marker).write_text(str(tmp), encoding="utf-8")
        time.sleep(600)


def _previous_log(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """The published ``audit.publish_log`` in ``LOG_COLUMNS`` (a file published before a
    column was added has it empty)."""
    if "publish_log" not in _tables(con, "prev", AUDIT_SCHEMA):
        return []
    present = {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_catalog = 'prev' "
            "and table_schema = 'audit' and table_name = 'publish_log'"
        ).fetchall()
    }
    columns = ", ".join(c if c in present else f"null as {c}" for c in LOG_COLUMNS)
    return con.execute(f"select {columns} from prev.audit.publish_log").fetchall()  # noqa: S608 (our column names)


def _check_forced_run(run_id: str | None, force_run: str | None, log: list[tuple]) -> None:
    """``--force`` publishes the held run the operator names, and only while its build is
    the one in the build folder."""
    if not force_run:
        raise PublishRefused("--force needs the run to publish (--run): the held run you checked")
    if run_id is None or run_id != force_run[:12]:
        raise PublishRefused(
            f"未发布：构建目录里现在是运行 {run_id or '（无）'} 的结果，不是要发布的运行 {force_run}。"
            "请先查看这次运行的结果，再用它的运行号发布。"
        )
    index = LOG_COLUMNS.index
    decisions = [r[index("decision")] for r in log if r[index("run_id")] == run_id]
    last = next((d for d in reversed(decisions) if d != "failed"), None)
    if last != "held":
        raise PublishRefused(
            f"未发布：运行 {run_id} 现在不是“暂停发布”（held）状态（最近一次：{last or '无记录'}），"
            "无需也不能强制发布。"
        )


def publish(
    settings: Settings,
    *,
    force_reason: str | None = None,
    force_run: str | None = None,
    dagster_run_id: str | None = None,
) -> PublishDecision:
    """Publish the build if it passed (or is forced), else hold it; always refresh the audit.
    With ``force_reason``, ``force_run`` names the held run to publish (``PublishRefused``
    when the build is another run's)."""
    build, target = settings.build_path, settings.warehouse_path
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{target.name}.*.tmp"):  # left by a killed publish
        stale.unlink(missing_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    now = datetime.now(UTC).replace(tzinfo=None)
    con = duckdb.connect(config=duckdb_config())
    try:
        con.execute(f"attach {_quote(build)} as build (read_only)")
        has_previous = target.exists()
        if has_previous:
            con.execute(f"attach {_quote(target)} as prev (read_only)")
        run_id, failures = reconciliation_status(con, "build")
        previous_log = _previous_log(con) if has_previous else []
        live_before = next((r[3] for r in reversed(previous_log) if r[3] is not None), None)
        if force_reason:
            _check_forced_run(run_id, force_run, previous_log)
        failed = [
            tuple(live_before if c == "live_run_id" else row.get(c) for c in LOG_COLUMNS)
            for row in failed_runs(target.parent)
        ]
        if run_id is None:
            decision, reason = "held", "no reconciliation results in the build: checks did not run"
        elif failures == 0:
            decision, reason = "published", "every error-severity rule passed"
        elif force_reason:
            decision, reason = (
                "forced",
                f"published by an operator despite {failures} failing rows: {force_reason}",
            )
        else:
            decision, reason = (
                "held",
                f"{failures} rows failed error-severity rules; previous marts stay live",
            )
        live_run_id = run_id if decision in ("published", "forced") else live_before

        con.execute(f"attach {_quote(tmp)} as pub (storage_version '{PUBLISH_STORAGE_VERSION}')")
        for schema in PUBLISHED_SCHEMAS:
            if decision in ("published", "forced"):
                _copy_schema(con, "build", schema)
            elif has_previous:
                _copy_schema(con, "prev", schema)
        _copy_schema(con, "build", AUDIT_SCHEMA)
        con.execute(
            """
            create table pub.audit.publish_log (
                published_at timestamp, run_id varchar, decision varchar, live_run_id varchar,
                reason varchar, error_failures bigint, dagster_run_id varchar,
                failed_step varchar
            )
            """
        )
        insert = "insert into pub.audit.publish_log values (?, ?, ?, ?, ?, ?, ?, ?)"
        if previous_log or failed:
            con.executemany(insert, [*previous_log, *failed])
        con.execute(
            insert, [now, run_id, decision, live_run_id, reason, failures, dagster_run_id, None]
        )
        parquet = None
        if decision in ("published", "forced") or not (target.parent / PARQUET_LINK).exists():
            parquet = _export_parquet(con, target.parent, now)
        con.execute("detach pub")
    finally:
        con.close()
    with tmp.open("rb") as f:
        os.fsync(f.fileno())
    _pause_for_tests(tmp)
    os.replace(tmp, target)
    if failed:  # now in the published audit.publish_log
        (target.parent / FAILED_RUNS).unlink(missing_ok=True)
    if parquet is not None:
        _swap_parquet(target.parent, parquet)
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return PublishDecision(decision, run_id, live_run_id, reason, failures)


def _export_parquet(con: duckdb.DuckDBPyConnection, data_dir: Path, now: datetime) -> Path:
    """Every published mart as ``<mart>.parquet`` in a new version folder (not yet live)."""
    versions = data_dir / PARQUET_VERSIONS
    folder = versions / f"{now:%Y%m%dT%H%M%S%f}-{os.getpid()}"
    folder.mkdir(parents=True)
    for schema in PUBLISHED_SCHEMAS:
        for table in _tables(con, "pub", schema):
            path = _quote(folder / f"{table}.parquet")
            con.execute(f'copy (select * from pub.{schema}."{table}") to {path} (format parquet)')  # noqa: S608 (catalog names)
    return folder


def _swap_parquet(data_dir: Path, folder: Path) -> None:
    """Point ``parquet`` at ``folder`` in one atomic step; keep the previous version only."""
    link = data_dir / PARQUET_LINK
    previous = link.resolve() if link.is_symlink() else None
    tmp = data_dir / f".{PARQUET_LINK}.{os.getpid()}.link"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(folder.relative_to(data_dir), target_is_directory=True)
    if link.exists() and not link.is_symlink():  # a folder someone made by hand
        shutil.rmtree(link)
    os.replace(tmp, link)
    for old in (data_dir / PARQUET_VERSIONS).iterdir():
        if old.resolve() not in (folder.resolve(), previous):
            shutil.rmtree(old, ignore_errors=True)
