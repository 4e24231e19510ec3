"""With the real Dagster daemon running: dropping a new month into raw/ materializes that
month and nothing else.

The daemon evaluates the sensor (every 10 s here, every minute by default), queues the
runs it asks for (one at a time) and launches each in its own process, as in production.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from expectations.catalogue import load_rules

from .conftest import REPO, SAMPLE

pytestmark = pytest.mark.slow  # builds the whole sample

FACT = dg.AssetKey(["marts", "fact_capital_arrival"])
LANDING = dg.AssetKey(["landing", "submissions"])
FINISHED = (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)


def _wait_for_runs(instance: dg.DagsterInstance, count: int, timeout: float) -> list:
    """Wait until ``count`` runs exist and all of them have finished."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = instance.get_runs()
        if len(runs) >= count and all(r.status in FINISHED for r in runs):
            return sorted(
                runs, key=lambda r: instance.get_run_record_by_id(r.run_id).create_timestamp
            )
        time.sleep(2)
    states = [
        (r.run_id[:8], r.status.value, r.tags.get("zhaoshang/periods")) for r in instance.get_runs()
    ]
    pytest.fail(f"expected {count} finished runs within {timeout:.0f}s, have {states}")


def test_a_new_month_dropped_into_raw_materializes_that_month_only(tmp_path: Path) -> None:
    raw, data, home = tmp_path / "raw", tmp_path / "data", tmp_path / "dagster_home"
    shutil.copytree(SAMPLE, raw)
    december = raw / "submissions" / "2023-12"
    shutil.move(december, tmp_path / "2023-12")
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    env = {
        **os.environ,
        "ZS_RAW_DIR": str(raw),
        "ZS_DATA_DIR": str(data),
        "DAGSTER_HOME": str(home),
        "GX_ANALYTICS_ENABLED": "false",
        "ZS_SENSOR_INTERVAL_SECONDS": "10",  # production looks every minute
    }
    log = (tmp_path / "daemon.log").open("w")
    daemon = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "dagster-daemon"),
            "run",
            "-m",
            "orchestration.definitions",
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    saved = os.environ.get("DAGSTER_HOME"), os.environ.get("ZS_DATA_DIR")
    os.environ["DAGSTER_HOME"], os.environ["ZS_DATA_DIR"] = str(home), str(data)
    try:
        with dg.DagsterInstance.get() as instance:
            # the first look: everything is new, so one run builds every month that has files
            (first,) = _wait_for_runs(instance, 1, timeout=240)
            assert first.status == dg.DagsterRunStatus.SUCCESS, (
                tmp_path / "daemon.log"
            ).read_text()[-3000:]
            assert (
                first.tags["zhaoshang/periods"] == "2022-01..2023-12"
            )  # province figures: all months

            shutil.move(tmp_path / "2023-12", december)  # December's forms arrive
            _, second = _wait_for_runs(instance, 2, timeout=240)
            assert second.status == dg.DagsterRunStatus.SUCCESS
            assert second.tags["zhaoshang/periods"] == "2023-12"
            events = instance.get_records_for_run(
                second.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
            ).records
            done = {
                (
                    e.event_log_entry.dagster_event.asset_key,
                    e.event_log_entry.dagster_event.partition,
                )
                for e in events
            }
            partitioned = {k for k, p in done if p is not None}
            assert {LANDING, FACT} <= partitioned  # and the monthly dbt models built with it
            assert {p for k, p in done if p is not None} == {"2023-12"}
            assert (dg.AssetKey(["landing", "reference"]), None) not in done
            assert instance.get_materialized_partitions(FACT) >= {"2022-01", "2023-11", "2023-12"}
            # its stages, a line each in the run's log (progress.py), as `zhaoshang run` shows
            said = [entry.user_message for entry in instance.all_logs(second.run_id)]
            n = len(load_rules())
            for stage in ("landing submissions: ", "models by month: ", f"rules: {n}/{n}"):
                assert any(line.startswith(stage) for line in said), (stage, said[-30:])
            assert any(line.startswith("publish: published") for line in said), said[-30:]
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=60)
        log.close()
        for key, value in zip(("DAGSTER_HOME", "ZS_DATA_DIR"), saved, strict=True):
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
