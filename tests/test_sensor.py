"""The sensor on the raw folder: what it asks for, and what the runs it asks for do."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.assets.sensors import raw_files_sensor
from orchestration.constants import (
    FULL_REFRESH_TAG,
    PARTITION_RANGE_END_TAG,
    PARTITION_RANGE_START_TAG,
    PERIODS_TAG,
    REASON_TAG,
)
from orchestration.definitions import defs

from . import spreadsheets as ss
from .conftest import SAMPLE, pointing_at, run_warehouse

LANDING_REFERENCE = dg.AssetKey(["landing", "reference"])
LANDING_SUBMISSIONS = dg.AssetKey(["landing", "submissions"])
FACT = dg.AssetKey(["marts", "fact_capital_arrival"])


def _tick(cursor: str | None) -> tuple[list[dg.RunRequest] | dg.SkipReason, str | None]:
    context = dg.build_sensor_context(cursor=cursor, definitions=defs())
    result = raw_files_sensor(context)
    return result, context.cursor


def _range(request: dg.RunRequest) -> tuple[str, str]:
    return (request.tags[PARTITION_RANGE_START_TAG], request.tags[PARTITION_RANGE_END_TAG])


def test_the_partition_range_tags_are_dagsters() -> None:
    """Written out (Dagster documents the strings; its constants are private): the same."""
    from dagster._core.storage import tags

    assert PARTITION_RANGE_START_TAG == tags.ASSET_PARTITION_RANGE_START_TAG
    assert PARTITION_RANGE_END_TAG == tags.ASSET_PARTITION_RANGE_END_TAG


@pytest.fixture
def raw(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "raw"
    shutil.copytree(SAMPLE / "reference", root / "reference")
    for month in ("2023-05", "2023-06", "2023-12"):
        shutil.copytree(SAMPLE / "submissions" / month, root / "submissions" / month)
    monkeypatch.setenv("ZS_RAW_DIR", str(root))
    return root


def test_what_the_sensor_asks_for(raw: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the first look: nothing seen before, so everything over every month with files
    (first,), cursor = _tick(None)
    assert _range(first) == ("2023-05", "2023-12")
    assert first.asset_selection is None  # everything
    assert first.tags[FULL_REFRESH_TAG] == "true"
    assert first.tags[REASON_TAG] == "no earlier run to compare with"

    again, cursor = _tick(cursor)
    assert isinstance(again, dg.SkipReason)

    # touched, and re-saved with the same bytes: same content, no run
    june = raw / "submissions" / "2023-06" / "西山区" / "6月明细.csv"
    os.utime(june, ns=(1, 1))
    june.write_bytes(june.read_bytes())
    touched, cursor = _tick(cursor)
    assert isinstance(touched, dg.SkipReason)

    # a new month: from that month to the last with files, and what its files feed
    shutil.copytree(SAMPLE / "submissions" / "2023-07", raw / "submissions" / "2023-07")
    (july,), cursor = _tick(cursor)
    assert _range(july) == ("2023-07", "2023-12")
    assert july.tags[PERIODS_TAG] == "2023-07..2023-12"
    assert july.tags[REASON_TAG] == "files of 2023-07 changed"
    assert FULL_REFRESH_TAG not in july.tags
    assert LANDING_SUBMISSIONS in july.asset_selection and FACT in july.asset_selection
    assert LANDING_REFERENCE not in july.asset_selection

    # a revision of June: from June on (the models rebuild every period from June on)
    june.write_bytes(june.read_bytes().replace(b"\r\n", b"\n"))
    (revised,), cursor = _tick(cursor)
    assert _range(revised) == ("2023-06", "2023-12")
    assert revised.run_key != july.run_key

    # May and December revised together: one run, from May to December
    for month, unit in (("2023-05", "西山区"), ("2023-12", "西山区")):
        path = next((raw / "submissions" / month / unit).glob("*明细*"))
        path.write_bytes(path.read_bytes() + b"\n")
    (both,), cursor = _tick(cursor)
    assert _range(both) == ("2023-05", "2023-12")

    # a folder for a month that has not ended: no month's run; the unpartitioned assets run
    # and set the file aside
    shutil.copytree(SAMPLE / "submissions" / "2023-08", raw / "submissions" / "2099-01")
    (early,), cursor = _tick(cursor)
    assert early.tags[PERIODS_TAG] == "none"
    assert PARTITION_RANGE_START_TAG not in early.tags
    assert LANDING_REFERENCE in early.asset_selection
    assert LANDING_SUBMISSIONS not in early.asset_selection and FACT not in early.asset_selection

    # another first month kept: every month is built again, from scratch
    monkeypatch.setenv("ZS_FIRST_PERIOD", "2023-06")
    (left,), cursor = _tick(cursor)
    assert _range(left) == ("2023-06", "2023-12") and left.tags[FULL_REFRESH_TAG] == "true"
    monkeypatch.setenv("ZS_FIRST_PERIOD", "2020-01")
    (back,), cursor = _tick(cursor)
    assert _range(back) == ("2023-05", "2023-12")

    # a new version of the register: every month uses it, so one run of everything
    (raw / "register").mkdir()
    shutil.copy(next((SAMPLE / "register").glob("*2023*")), raw / "register")
    (register,), cursor = _tick(cursor)
    assert _range(register) == ("2023-05", "2023-12")  # every month that has files
    assert register.asset_selection is None
    assert register.tags[REASON_TAG].startswith("reference data or the register changed")


def test_the_command_line_and_the_sensor_plan_the_same_run(
    raw: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One planner: given the same change since the same state, the same months, the same
    selection and the same reason, whether the command line or the sensor asks."""
    from orchestration import changes
    from orchestration.assets.sensors import run_request
    from orchestration.cli import plan

    data = tmp_path / "data"
    (data / "build").mkdir(parents=True)
    (data / "build" / "warehouse.duckdb").write_bytes(b"")  # a build and a published file
    (data / "warehouse.duckdb").write_bytes(b"")
    monkeypatch.setenv("ZS_DATA_DIR", str(data))
    graph = defs().resolve_asset_graph()

    def both() -> tuple[dg.RunRequest, dg.RunRequest]:
        (sensed,), _ = _tick(cursor)
        planned, _, _ = plan()
        return sensed, run_request(planned, graph)

    # the same state seen by both: the command line's last run, the sensor's cursor
    monkeypatch.setenv("ZS_TODAY", "2024-01-05")  # December's forms are due today
    _, cursor = _tick(None)
    changes.save_state(json.loads(cursor), started_at="t")
    june = next((raw / "submissions" / "2023-06" / "西山区").glob("*明细*"))
    june.write_bytes(june.read_bytes() + b"\n")
    shutil.copytree(SAMPLE / "submissions" / "2023-07", raw / "submissions" / "2023-07")
    monkeypatch.setenv("ZS_TODAY", "2024-01-06")  # and December's deadline passed
    for step in ("months", "reference"):
        if step == "reference":
            (raw / "register").mkdir()
            shutil.copy(next((SAMPLE / "register").glob("*2023*")), raw / "register")
        sensed, asked = both()
        assert sensed.tags == asked.tags, step
        assert sensed.asset_selection == asked.asset_selection, step
        if step == "months":
            assert _range(sensed) == ("2023-06", "2023-12")
            assert sensed.tags[REASON_TAG] == (
                "files of 2023-06, 2023-07 changed; the submission deadline of 2023-12 passed"
            )
    assert _range(sensed) == ("2023-05", "2023-12") and sensed.asset_selection is None


def _query(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _built_at(data: Path) -> dict[str, object]:
    return dict(
        _query(
            data / "build" / "warehouse.duckdb",
            "select period, max(built_at) from marts.fact_capital_arrival group by 1",
        )
    )


def _materialized(result) -> set[tuple[str, str | None]]:
    return {
        ("/".join(e.asset_key.path), e.partition) for e in result.get_asset_materialization_events()
    }


@pytest.mark.slow
def test_a_new_month_and_a_revision_materialize_only_their_months(tmp_path: Path) -> None:
    from orchestration.cli import execute

    raw, data = tmp_path / "raw", tmp_path / "data"
    shutil.copytree(SAMPLE, raw)
    december = raw / "submissions" / "2023-12"
    shutil.move(december, tmp_path / "2023-12")
    shutil.move(raw / "published" / "province" / "2023-12.csv", tmp_path / "2023-12.csv")
    assert run_warehouse(raw, data).exit_code == 0
    build, published = data / "build" / "warehouse.duckdb", data / "warehouse.duckdb"

    with pointing_at(raw, data), dg.DagsterInstance.ephemeral() as instance:
        _, cursor = _tick(None)  # the sensor has seen what was built
        before = _built_at(data)
        assert "2023-12" not in before

        # December arrives: the sensor asks for December, and the run lands and builds it
        shutil.move(tmp_path / "2023-12", december)
        shutil.move(tmp_path / "2023-12.csv", raw / "published" / "province" / "2023-12.csv")
        (request,), cursor = _tick(cursor)
        result = execute(request.tags, request.asset_selection, instance)
        assert result.success
        done = _materialized(result)
        graph = defs().resolve_asset_graph()
        monthly = {
            key.to_user_string()
            for key in graph.materializable_asset_keys
            if graph.get(key).partitions_def is not None
        }
        assert {"landing/submissions", "marts/fact_capital_arrival"} < monthly
        assert {(k, p) for k, p in done if p is not None} == {(k, "2023-12") for k in monthly}
        assert ("landing/reference", None) not in done
        after = _built_at(data)
        assert {p: t for p, t in after.items() if p != "2023-12"} == before  # untouched
        sql = "select count(*) from marts.fact_capital_arrival where period = '2023-12'"
        assert _query(published, sql)[0][0] > 0  # checked and published

        # a revision of a June file: June lands again, every period from June on is rebuilt
        # (July's own month is July's YTD less June's), the old version is kept
        detail = raw / "submissions" / "2023-06" / "西山区" / "6月明细.csv"
        project = next(
            r[1]
            for r in ss.rows(detail)
            if len(r) > 4 and r[1].startswith("KM") and float(r[4]) > 0
        )
        figures = (
            "select period, arrived_out_of_province_ytd, arrived_out_of_province_month "
            "from marts.fact_capital_arrival where project_code = ? and unit_code = '530112' "
            "and period in ('2023-06', '2023-07') order by period"
        )
        old = _query(build, figures, [project])
        ss.edit(detail, ss.row_with(project), 4, lambda v: round(v + 1, 2))  # June YTD + 1 亿元
        (request,), cursor = _tick(cursor)
        assert _range(request) == ("2023-06", "2023-12")
        result = execute(request.tags, request.asset_selection, instance)
        assert result.success
        assert {p for _, p in _materialized(result) if p is not None} == {
            f"2023-{m:02d}" for m in range(6, 13)
        }
        rebuilt = _built_at(data)
        assert {p for p in rebuilt if rebuilt[p] != after[p]} == {
            p for p in after if p >= "2023-06"
        }

        new = _query(build, figures, [project])
        assert len(old) == 2  # the project has money in June and July (amounts are DECIMAL)
        assert new[0][1] == old[0][1] + 1  # June's YTD
        assert new[0][2] == old[0][2] + 1  # June's own month
        assert new[1][1] == old[1][1]  # July's YTD, as July's form says
        assert new[1][2] == old[1][2] - 1  # July's own month: July's YTD less June's
        versions = _query(
            build,
            "select count(*) from staging.stg_forms__submission_versions where source_file = ?",
            ["submissions/2023-06/西山区/6月明细.csv"],
        )
        assert versions[0][0] == 2

        # a folder for a month that has not ended: a run without partitions records it
        shutil.copytree(december / "五华区", raw / "submissions" / "2099-01" / "五华区")
        (request,), cursor = _tick(cursor)
        result = execute(request.tags, request.asset_selection, instance)
        assert result.success
        assert {p for _, p in _materialized(result)} == {None}
        assert _built_at(data) == rebuilt  # no month was touched
        waiting = _query(
            data / "warehouse.duckdb",
            "select reason from audit.rejected_files where source_file like 'submissions/2099-01/%'",
        )
        assert waiting and {r[0] for r in waiting} == {"period_outside_window"}


def test_the_schedule_builds_the_month_that_ended_last_after_the_deadline() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    schedule = defs().get_schedule_def("monthly_warehouse")
    assert schedule.cron_schedule == "0 6 6 * *"
    assert schedule.execution_timezone == "Asia/Shanghai"
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 12, 6, 6, tzinfo=ZoneInfo("Asia/Shanghai")),
        repository_def=defs().get_repository_def(),
    )
    (request,) = schedule.evaluate_tick(context).run_requests
    assert _range(request) == ("2026-11", "2026-11")  # November's forms were due on the 5th
    assert request.tags[REASON_TAG] == "the submission deadline of 2026-11 passed"
