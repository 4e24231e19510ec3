"""``zhaoshang``: the command line.

- ``zhaoshang run``              land, build, reconcile and publish everything, in-process
                                 (``--full-refresh`` rebuilds incremental models from scratch;
                                 ``--no-wait`` exits with EXIT_BUSY when another run holds
                                 the data folder instead of waiting for it, ``runlock.py``);
- ``zhaoshang publish --force --run RUN --reason …``
                                 publish the held run RUN deliberately, with a recorded
                                 reason (refused when the build is now another run's);
- ``zhaoshang check PATH``       a clerk's check of a file or folder before sending it;
- ``zhaoshang prepare``          rebuild dbt's manifest (``make dev`` does this first);
- ``zhaoshang dbt-vars``         the vars a dbt call needs (``dbt build --vars "$(zhaoshang dbt-vars)"``);
- ``zhaoshang generate-sample``  rewrite the seeded sample under ``raw/`` (``--tier`` S, S2, M, L).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path

from .config import settings
from .constants import EXIT_BUSY, EXIT_HELD


def _env() -> None:
    """Absolute paths for child processes (dbt) and quiet third parties."""
    s = settings()
    os.environ["ZS_RAW_DIR"] = str(s.raw_dir)
    os.environ["ZS_DATA_DIR"] = str(s.data_dir)
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    s.data_dir.mkdir(parents=True, exist_ok=True)


def _instance():
    import dagster as dg

    if os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def execute(tags: dict[str, str], asset_selection=None, instance=None, run_id=None):
    """One run of the warehouse job in this process (tags carry the partition range).

    ``execute_in_process`` runs the job's steps without its executor, so the caller holds
    the run lock (``runlock.hold``), as ``run_pipeline`` does."""
    from .constants import WAREHOUSE_JOB
    from .definitions import defs

    job = defs().resolve_job_def(WAREHOUSE_JOB)
    run_config = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    with nullcontext(instance) if instance is not None else _instance() as active:
        return job.execute_in_process(
            instance=active,
            raise_on_error=False,
            tags=tags,
            asset_selection=asset_selection,
            run_config=run_config,
            run_id=run_id,
        )


def run_pipeline(
    full_refresh: bool = False,
    months: tuple[str, str] | None = None,
    wait: bool = True,
    verbose: bool = False,
) -> int:
    """Materialize every asset and run every check, in this process; print where results are.

    ``months``: the range of monthly partitions to land; the monthly models replace every
    period from its first month on. Default: what ``changes.plan_run`` says the changes
    since the last successful run need (the sensor and the schedule ask it too): from the
    first month whose files or deadline changed to the last month with files and what their
    files feed, or everything from scratch (other code, reference data), or nothing.

    The whole run holds the data folder's run lock (``runlock.py``): a second run waits for
    it, or with ``wait=False`` returns ``EXIT_BUSY`` at once.

    When no raw file, no code and no deadline changed since the last successful run, nothing
    is rebuilt: it says so and reports that run's decision.

    While it works, it shows its stages on standard error (``progress.py``): live on a
    terminal, a line per stage elsewhere; ``verbose`` adds dbt's own log.
    """
    import uuid

    from . import progress, runlock
    from .history import record_run

    _env()
    run_id = str(uuid.uuid4())
    try:
        with runlock.hold(
            settings().data_dir,
            run_id=run_id,
            command="zhaoshang run",
            wait=wait,
            say=lambda text: print(text, file=sys.stderr, flush=True),
        ):
            started = time.perf_counter()
            with progress.showing(progress.Display(verbose=verbose)):
                code = _run_locked(full_refresh, months, run_id)
            outcome = {0: "published", EXIT_HELD: "held"}.get(code, "failed")
            record_run(
                settings().data_dir, run_id, time.perf_counter() - started, outcome, "zhaoshang run"
            )
            return code
    except runlock.RunLockBusy as busy:
        print(f"未运行：{busy}。稍后再试，或去掉 --no-wait 排队等待。", file=sys.stderr)
        return EXIT_BUSY


def _failed(run_id: str, step: str, message: str) -> int:
    """A run that failed: one line, recorded as the run's outcome; nothing is published."""
    from .publish import record_failed_run

    record_failed_run(settings().data_dir, run_id, step, message)
    print(f"运行失败（{step}）：{message}。已发布的数据、Parquet 和报告均未改动。", file=sys.stderr)
    return 1


def plan(full_refresh: bool = False, months: tuple[str, str] | None = None):
    """What ``zhaoshang run`` would run now, and the state it would record: the plan of
    ``changes.plan_run`` (the sensor's and the schedule's planner too) from the last
    successful run's state, or the months asked for."""
    from . import changes

    state = changes.load_state()
    now = changes.current_state(changes.scan(state["files"] if state else {}))
    if months is not None:
        reason = f"asked for {months[0]}..{months[1]}"
        kind = "everything" if full_refresh else "months"
        return changes.RunPlan(kind, months, reason), now, state
    return changes.plan_run(changes.trusted(state), now, full_refresh=full_refresh), now, state


def _run_locked(full_refresh: bool, months: tuple[str, str] | None, run_id: str) -> int:
    from . import changes

    started = time.perf_counter()
    raw_dir = settings().raw_dir
    planned, now, state = plan(full_refresh, months)
    if not changes.named_by_contract(now["files"]):  # missing, empty, or a share not mounted
        return _failed(
            run_id,
            "landing",
            f"no submissions under {raw_dir}（原始数据目录为空、不存在或未挂载）",
        )
    if planned.kind == "nothing":
        print(
            f"Nothing changed since the run of {state['started_at']} (no raw file, "
            "no code, no deadline passed): nothing rebuilt."
        )
        return _report(settings().warehouse_path, time.perf_counter() - started)
    run_started = datetime.now(UTC).isoformat(timespec="seconds")
    from . import dbt_runner, progress

    # dbt's process imports dbt and parses the project while Dagster starts and files land
    dbt_runner.start(settings().data_dir, run_id)
    progress.current().line(f"run: {planned.periods} ({planned.reason})")
    from .assets.sensors import run_request
    from .definitions import defs

    request = run_request(planned, defs().resolve_asset_graph())
    result = execute(request.tags, request.asset_selection, run_id=run_id)
    elapsed = time.perf_counter() - started
    if not result.success:
        from .assets.executor import describe_failure, record_failure

        failures = [e for e in result.all_events if e.is_step_failure]
        if failures:
            record_failure(run_id, failures)
        steps, message = describe_failure(failures)
        print(
            f"运行失败（{steps}）：{message}。已发布的数据、Parquet 和报告均未改动。\n"
            f"run failed after {elapsed:.1f}s at {steps}; dbt's log: "
            f"{settings().data_dir / 'logs' / 'dbt.log'}. If a model's columns changed since the last "
            "build, run `zhaoshang run --full-refresh` once.",
            file=sys.stderr,
        )
        return 1
    changes.save_state(now, started_at=run_started)
    return _report(settings().warehouse_path, elapsed)


def _report(path: Path, elapsed: float) -> int:
    import duckdb

    from .publish import reconciliation_status

    with duckdb.connect(str(path), read_only=True) as con:
        decision, reason, live, held_run = con.execute(
            "select decision, reason, live_run_id, run_id from audit.publish_log "
            "where decision <> 'failed' order by published_at desc limit 1"
        ).fetchone()
        audit_run, _ = reconciliation_status(con)
        rules = con.execute(
            "select rule_id, severity, rows_checked, rows_failed from audit.rule_runs "
            "where run_id = ? order by rule_id",
            [audit_run],
        ).fetchall()
    print(f"\nZhaoshang warehouse: {decision} ({reason}) in {elapsed:.1f}s")
    for rule_id, severity, checked, failed in rules:
        mark = "ok  " if failed == 0 else "FAIL"
        print(f"  {mark} {rule_id} [{severity}] {checked} checked, {failed} failed")
    print(f"\n  published warehouse (BI reads this): {path}")
    print(
        "    schemas: marts (star schema; mart_monthly_bulletin, mart_league_table, mart_chain_monthly, "
        "mart_project_funnel, mart_submission_status), audit (reconciliation_results, publish_log)"
    )
    print(f"  report (one offline page): {settings().data_dir / 'report' / 'index.html'}")
    print(f"  Parquet, one file per mart: {settings().data_dir / 'parquet'}")
    docs = settings().data_dir / "docs"
    print(f"  data dictionary (dbt docs): {docs / 'dbt' / 'index.html'}")
    print(f"  reconciliation details (Data Docs): {docs / 'index.html'}")
    print(f"  build warehouse (landing, staging, intermediate): {settings().build_path}")
    print(f"  live marts are from reconciliation run {live}")
    if decision == "held":
        print(
            f"\n  run {held_run} was held. Once its failures are checked, it can be published "
            f'deliberately:\n    zhaoshang publish --force --run {held_run} --reason "…"'
        )
    return 0 if decision in ("published", "forced") else EXIT_HELD


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="zhaoshang", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="land, build, reconcile and publish everything")
    run.add_argument(
        "--full-refresh", action="store_true", help="rebuild incremental models from scratch"
    )
    run.add_argument(
        "--no-wait",
        action="store_true",
        help=f"when another run holds the data folder, exit with {EXIT_BUSY} instead of waiting",
    )
    run.add_argument(
        "--verbose",
        action="store_true",
        help="show dbt's own log as it works (always written to $ZS_DATA_DIR/logs/dbt.log)",
    )
    pub = sub.add_parser("publish", help="publish the current build")
    pub.add_argument("--force", action="store_true", help="publish even though error rules failed")
    pub.add_argument(
        "--run",
        help="the held run to publish, as `zhaoshang run` printed it; required with --force "
        "(refused when the build is now another run's)",
    )
    pub.add_argument("--reason", help="why (recorded in audit.publish_log); required with --force")
    pub.add_argument(
        "--no-wait",
        action="store_true",
        help=f"when a run holds the data folder, exit with {EXIT_BUSY} instead of waiting",
    )
    chk = sub.add_parser("check", help="check a file or folder before sending it (R01-R04)")
    chk.add_argument("path", type=Path)
    chk.add_argument("--period", help="YYYY-MM, when the path does not say")
    chk.add_argument("--unit", help="the submitting unit, when the path does not say")
    sub.add_parser("prepare", help="rebuild dbt's manifest")
    sub.add_parser(
        "dbt-vars",
        help="the vars every dbt call needs, as JSON (a dbt call by hand: "
        'dbt build --vars "$(zhaoshang dbt-vars)")',
    )
    gen = sub.add_parser("generate-sample", help="rewrite the seeded sample data")
    gen.add_argument("--out", type=Path, default=Path("raw"))
    gen.add_argument("--seed", type=int, default=20230630)
    gen.add_argument(
        "--tier",
        default="S",
        choices=["S", "S2", "M", "L"],
        help="S: the Kunming sample; S2: with a synthetic prefecture beside it; "
        "M: a province (16 prefectures x 10 units x 150 projects x 3 years); L: M x 10 projects",
    )
    args = parser.parse_args(argv)

    if args.command == "run":
        return run_pipeline(
            full_refresh=args.full_refresh, wait=not args.no_wait, verbose=args.verbose
        )
    if args.command == "publish":
        if args.force and not args.reason:
            parser.error("--force needs --reason")
        if args.force and not args.run:
            parser.error(
                "--force needs --run: the held run to publish, as `zhaoshang run` printed it"
            )
        _env()
        import uuid

        from . import runlock
        from .publish import PublishRefused, publish

        try:
            with runlock.hold(
                settings().data_dir,
                run_id=f"publish-{uuid.uuid4()}",
                command="zhaoshang publish",
                wait=not args.no_wait,
                say=lambda text: print(text, file=sys.stderr, flush=True),
            ):
                decision = publish(
                    settings(),
                    force_reason=args.reason if args.force else None,
                    force_run=args.run,
                )
        except runlock.RunLockBusy as busy:
            print(f"未发布：{busy}。稍后再试，或去掉 --no-wait 排队等待。", file=sys.stderr)
            return EXIT_BUSY
        except PublishRefused as refused:
            print(refused, file=sys.stderr)
            return 1
        print(f"{decision.decision}: {decision.reason}")
        return 0 if decision.published else EXIT_HELD
    if args.command == "check":
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        from .check import check

        return check(args.path, period=args.period, unit=args.unit)
    if args.command == "prepare":
        _env()
        from .dbt_setup import ensure_manifest

        print(ensure_manifest(force=True))
        return 0
    if args.command == "dbt-vars":
        import json

        from .dbt_setup import dbt_vars

        print(json.dumps(dbt_vars(), ensure_ascii=False))
        return 0
    if args.command == "generate-sample":
        from .samplegen import generate

        generate(args.out, seed=args.seed, tier=args.tier)
        print(f"sample written to {args.out}")
        return 0
    return 2


def entry() -> None:
    """Console-script entry: exit as soon as the work is done.

    Skips interpreter teardown, where DuckDB 2.0's nanobind bindings print a spurious
    "leaked functions" report when other libraries still hold DuckDB objects.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    from multiprocessing import util

    from . import dbt_runner

    dbt_runner.stop(kill=True)  # dbt's process, idle now: its exit waits for nothing

    util._exit_function()  # release multiprocessing's resources, as a normal exit would
    os._exit(code)


if __name__ == "__main__":
    entry()
