"""A run's cost follows what changed, and never its figures: a warehouse built month by month
and revised is the warehouse built from scratch on the same files — mart for mart, failure for
failure, culprit for culprit.

On the two-prefecture tree (Kunming and a synthetic 曲靖市): a warehouse is built without the
last month; then 西山区 revises March (a project's month and YTD +1 亿元, detail and summary;
April's month amount and April's YTD chain change with it) and the last month arrives. The
next `zhaoshang run` rebuilds from March on only (the months before keep their rows, and
their build time stamps). March is revised once more and a run of March's partition alone
follows (what the sensor starts when a file arrives). The result equals a from-scratch build
of the final files.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from . import spreadsheets as ss
from .conftest import Built, marts_fingerprint, pointing_at, run_warehouse

pytestmark = pytest.mark.slow

REVISED = "2023-03"


def _revise_march(raw: Path, revision: str = "修订", project: str | None = None) -> str:
    """西山区's March, revised: one project's month and YTD +1 亿元, in detail and summary,
    as new files beside the earlier versions (a later revision builds on the one before)."""
    unit = raw / "submissions" / REVISED / "西山区"
    before = "" if project is None else "（修订）"
    detail, summary = unit / f"3月明细（{revision}）.csv", unit / f"汇总表（{revision}）.csv"
    for source, dest in ((f"3月明细{before}.csv", detail), (f"汇总表{before}.csv", summary)):
        text = (unit / source).read_bytes().decode("gbk")
        if project is not None:  # filled in later than the version before, so it counts
            text = text.replace("2023年4月5日", "2023年4月20日")
        dest.write_bytes(text.encode("gbk"))
    project = project or next(
        r[1] for r in ss.rows(detail) if len(r) > 4 and r[1].startswith("KM") and float(r[4]) > 0
    )
    for column in (3, 4):
        ss.edit(detail, ss.row_with(project), column, lambda v: round(v + 1, 2))
    for column in (2, 3):
        ss.edit(summary, ss.row_with("省外产业到位资金"), column, lambda v: round(v + 1, 2))
    return project


def _failures(built: Built) -> list[tuple]:
    """Every failed check with its culprit (the run id left out), from the build."""
    return built.query(
        "select rule_id, period, unit_code, project_code, scope_code, metric, expected_value, "
        "actual_value, suspect_unit_code, suspect_cause, cause_period, detail "
        "from audit.reconciliation_results where status = 'fail' order by all",
        build=True,
    )


def _april_month(built: Built, project: str) -> list[tuple]:
    """The project's own-month amount in April (April's YTD less March's), from the build."""
    return built.query(
        "select arrived_out_of_province_month from marts.fact_capital_arrival "
        "where period = '2023-04' and unit_code = '530112' and project_code = ?",
        [project],
        build=True,
    )


def _built_at(built: Built) -> dict[str, object]:
    """When each month's fact rows were built."""
    return dict(
        built.query(
            "select period, min(built_at) from marts.fact_capital_arrival group by 1", build=True
        )
    )


def _every_check(built: Built) -> list[tuple]:
    """Every row of the audit, passing checks and their counts too (when and by which run
    left out)."""
    return built.query(
        "select * exclude (run_id, checked_at) from audit.reconciliation_results order by all",
        build=True,
    )


def test_a_revised_earlier_month_and_a_new_month_equal_a_full_rebuild(tmp_path: Path) -> None:
    from orchestration.samplegen import generate

    generate(tmp_path / "all", tier="S2")
    raw = tmp_path / "raw"
    shutil.copytree(tmp_path / "all", raw)
    last = sorted(p.name for p in (raw / "submissions").iterdir())[-1]
    shutil.rmtree(raw / "submissions" / last)
    for figures in (raw / "published").rglob(f"{last}*"):
        figures.unlink()
    data = tmp_path / "data"
    first = run_warehouse(raw, data)
    assert first.exit_code == 0

    # the month arrives, and 西山区 revises March
    shutil.copytree(tmp_path / "all" / "submissions" / last, raw / "submissions" / last)
    for figures in (tmp_path / "all" / "published").rglob(f"{last}*"):
        dest = raw / figures.relative_to(tmp_path / "all")
        shutil.copy(figures, dest)
    project = _revise_march(raw)
    stamps = _built_at(first)
    log = data / "logs" / "dbt.log"
    logged = log.stat().st_size
    incremental = run_warehouse(raw, data)
    # dbt reused the last run's parse (build/dbt/partial_parse.msgpack: the vars are the same
    # in every run), and no step left its folder behind
    with log.open(encoding="utf-8") as dbt_log:
        dbt_log.seek(logged)
        this_run = dbt_log.read()
    assert "Running with dbt" in this_run  # the run's invocations are in dbt's log
    assert "Unable to do partial parsing" not in this_run
    assert [p.name for p in (data / "build" / "dbt").iterdir()] == ["partial_parse.msgpack"]

    # only the months from March on were rebuilt
    after = _built_at(incremental)
    assert {p for p, at in stamps.items() if after[p] == at} == {p for p in stamps if p < REVISED}
    assert last in after

    # March is revised again and only March's partition is run, as the sensor does when a
    # file arrives: the months after it are re-chained all the same
    _revise_march(raw, "修订2", project)
    with pointing_at(raw, data):
        from orchestration.cli import run_pipeline

        assert run_pipeline(months=(REVISED, REVISED)) == incremental.exit_code
    (current,) = incremental.query(
        "select source_file from staging.stg_forms__submission_versions where period = ? "
        "and unit_code = '530112' and form = 'form_a' and is_current",
        [REVISED],
        build=True,
    )[0]
    assert current.endswith("3月明细（修订2）.csv")

    full = run_warehouse(
        shutil.copytree(raw, tmp_path / "full" / "raw"), tmp_path / "full" / "data"
    )
    assert incremental.exit_code == full.exit_code

    # the revision did change figures after March, and failures point at it
    (april,) = _april_month(full, project)
    failures = _failures(full)
    assert any(f[0] == "R03" and f[1] == "2023-04" and f[3] == project for f in failures)

    assert _failures(incremental) == failures
    assert _every_check(incremental) == _every_check(full)
    assert marts_fingerprint(incremental.build) == marts_fingerprint(full.build)
    assert _april_month(incremental, project) == [april]


def test_a_table_built_by_month_whose_columns_changed_fails_the_run_and_says_what_to_do(
    clean_build: Built, tmp_path: Path
) -> None:
    """The models built by month are appended to directly (``dbt_project/materializations/
    incremental.sql``), after the table's columns are compared with the model's, names and
    types (on_schema_change fail): a table that no longer matches fails the run, naming it and
    the command that mends it, and that command does."""
    import duckdb

    from .conftest import copy_build

    raw, data = copy_build(clean_build, tmp_path)
    build = data / "build" / "warehouse.duckdb"
    with duckdb.connect(str(build)) as con:
        # only a type differs: the check compares types too, not only names
        con.execute("alter table marts.mart_monthly_bulletin alter column period_date type varchar")
    last = sorted(p.name for p in (raw / "submissions").iterdir())[-1]
    resent = next(sorted((raw / "submissions" / last).rglob("*明细.csv")).__iter__())
    resent.write_bytes(resent.read_bytes().replace(b"\r\n", b"\n") + b"\n")

    log = data / "logs" / "dbt.log"
    logged = log.stat().st_size
    assert run_warehouse(raw, data).exit_code == 1
    with log.open(encoding="utf-8") as dbt_log:
        dbt_log.seek(logged)
        said = dbt_log.read()
    assert 'The columns of "warehouse"."marts"."mart_monthly_bulletin" differ' in said
    assert "period_date varchar" in said and "period_date date" in said
    assert "zhaoshang run --full-refresh" in said

    with pointing_at(raw, data):
        from orchestration.cli import run_pipeline

        assert run_pipeline(full_refresh=True) == 0
    with duckdb.connect(str(build), read_only=True) as con:
        columns = dict(
            con.execute(
                "select table_name || '.' || column_name, data_type from information_schema.columns "
                "where table_schema = 'marts'"
            ).fetchall()
        )
    assert columns["mart_monthly_bulletin.period_date"] == "DATE"
