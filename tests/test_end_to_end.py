"""The whole pipeline on the sample: what `make run` produces, checked against the sources."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from expectations.catalogue import AUDIT_RUN, load_rules

from .conftest import HISTORY, LINEAGE, REPO, Built, copy_build, marts_fingerprint, run_warehouse

pytestmark = pytest.mark.slow  # builds the whole sample

RULES = load_rules()  # the catalogue: the rule models, found by tag
IMPLEMENTED = {r.rule_id for r in RULES}


def test_sample_builds_and_publishes(clean_build: Built) -> None:
    assert clean_build.exit_code == 0
    (decision,) = clean_build.query(
        "select decision from audit.publish_log order by published_at desc limit 1"
    )[0]
    assert decision == "published"


def test_city_out_of_province_ytd_2023_06_is_the_published_646_66(clean_build: Built) -> None:
    (total,) = clean_build.query(
        "select round(sum(arrived_out_of_province_ytd), 2) from marts.fact_capital_arrival where period = '2023-06'"
    )[0]
    assert float(total) == 646.66


def test_sample_reproduces_the_other_published_figures(clean_build: Built) -> None:
    (industrial,) = clean_build.query(
        """
        select round(sum(f.arrived_out_of_province_ytd), 2)
        from marts.fact_capital_arrival as f join marts.dim_project as p using (project_key)
        where f.period = '2023-06' and p.is_industrial
        """
    )[0]
    assert float(industrial) == 286.13
    (majors,) = clean_build.query(
        "select count(*) from marts.dim_project where is_major and signed_date between '2023-01-01' and '2023-06-30'"
    )[0]
    assert majors == 23
    city = dict(
        (metric, (float(ytd), yoy))
        for metric, ytd, yoy in clean_build.query(
            "select metric, ytd_value, yoy_growth_pct from marts.mart_monthly_bulletin "
            "where period = '2023-06' and unit_code = '530100'"
        )
    )
    assert city["arrived_out_of_province"] == (646.66, 19.37)
    assert city["fdi_utilized"] == (32000.0, 91.9)


def test_every_implemented_rule_ran_and_passed(clean_build: Built) -> None:
    [(audit_run,)] = clean_build.query(f"select {AUDIT_RUN} from audit.reconciliation_results")  # noqa: S608 (constant)
    rows = clean_build.query(
        "select rule_id, rows_checked, rows_failed, gx_success from audit.rule_runs where run_id = ?",
        [audit_run],
    )
    assert {r[0] for r in rows} >= IMPLEMENTED
    for rule_id, checked, failed, gx_success in rows:
        assert checked > 0, rule_id
        assert failed == 0, rule_id
        assert gx_success, rule_id
    statuses = clean_build.query(
        "select distinct status, suspect_cause from audit.reconciliation_results"
    )
    assert statuses == [("pass", None)]


def test_fact_grain_keys_and_no_park_double_count(clean_build: Built) -> None:
    rows, nulls, parks = clean_build.query(
        """
        select
            count(*),
            count(*) filter (district_key is null or project_key is null or date_key is null),
            count(*) filter (unit_code like '%P%')
        from marts.fact_capital_arrival
        """
    )[0]
    assert rows > 5000
    assert nulls == 0
    assert parks == 0


def test_every_landed_row_keeps_its_lineage(clean_build: Built) -> None:
    for table in ("form_a_rows", "form_s_rows", "register_rows", "province_figures", "ref_units"):
        (missing,) = clean_build.query(
            f"select count(*) from landing.{table} where source_file is null or sheet is null "  # noqa: S608
            "or row_number is null or length(file_sha256) <> 64 or loaded_at is null",
            build=True,
        )[0]
        assert missing == 0, table


def test_running_twice_leaves_identical_marts(clean_build: Built, tmp_path, capsys) -> None:
    import shutil

    data = tmp_path / "data"
    shutil.copytree(clean_build.data, data)
    published = data / "warehouse.duckdb"
    before = marts_fingerprint(published)
    stamp = published.stat().st_mtime_ns
    # nothing changed since the last run: nothing is rebuilt, and it says so
    capsys.readouterr()
    again = run_warehouse(clean_build.raw, data)
    assert again.exit_code == 0
    assert "nothing rebuilt" in capsys.readouterr().out
    assert published.stat().st_mtime_ns == stamp
    # a real second run (as after a run started from Dagster): the same marts, nothing
    # landed twice
    (data / "run_state.json").unlink()
    again = run_warehouse(clean_build.raw, data)
    assert again.exit_code == 0
    assert published.stat().st_mtime_ns != stamp
    assert marts_fingerprint(published) == before
    marts = {p.stem for p in (REPO / "dbt_project" / "models" / "marts").rglob("*.sql")}
    assert set(before) == marts  # every mart was compared
    (files,) = again.query("select count(*) from landing.files", build=True)[0]
    assert files == sum(1 for p in clean_build.raw.rglob("*") if p.is_file())


# the DuckDB versions BI drivers bundle (Metabase's, duckdb-engine users', Evidence's)
BI_DUCKDB_VERSIONS = ("1.1.3", "1.4.4", "1.5.6")


@pytest.mark.parametrize("version", BI_DUCKDB_VERSIONS)
def test_published_file_opens_in_the_duckdb_bi_tools_ship(clean_build: Built, version: str) -> None:
    """BI drivers bundle DuckDB 1.1 to 1.5: the published file must open there, read-only."""
    from .conftest import old_duckdb

    target = old_duckdb(version)
    code = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
        'print(duckdb.__version__, c.execute("select round(sum(arrived_out_of_province_ytd), 2) '
        "from marts.fact_capital_arrival where period = '2023-06'\").fetchone()[0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(clean_build.published)],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(target)},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [version, "646.66"]


def test_a_resaved_file_is_a_new_version_with_the_same_figures(
    clean_build: Built, tmp_path
) -> None:

    raw, data = copy_build(clean_build, tmp_path)
    # the same figures re-saved by another program: new bytes, a new version, same figures
    # (only the lineage differs: the rows now come from the new submission_id)
    path = raw / "submissions" / "2022-03" / "西山区" / "3月明细.csv"
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n"))
    again = run_warehouse(raw, data)
    assert again.exit_code == 0
    assert marts_fingerprint(data / "warehouse.duckdb", LINEAGE, HISTORY) == marts_fingerprint(
        clean_build.published, LINEAGE, HISTORY
    )
    (versions,) = again.query(
        "select count(*) from landing.files where source_file = ?",
        ["submissions/2022-03/西山区/3月明细.csv"],
        build=True,
    )[0]
    assert versions == 2


def test_data_docs_and_the_data_quality_mart(clean_build: Built) -> None:
    index = clean_build.data / "docs" / "index.html"
    html = index.read_text(encoding="utf-8")
    for rule_id in IMPLEMENTED:
        assert rule_id in html
    rows = clean_build.query(
        "select count(*), min(rules_run), sum(rules_failed) from audit.mart_data_quality"
    )[0]
    assert rows[0] > 0 and rows[1] > 0 and rows[2] == 0


def test_every_rule_is_a_model_that_returns_the_result_contract(clean_build: Built) -> None:
    """Columns and types (macro rule_result gives them; the rule models carry no contract of
    their own, their union audit.reconciliation_results does)."""
    text, amount = "VARCHAR", "DECIMAL(24,8)"
    contract = [
        ("period", text),
        ("unit_code", text),
        ("project_code", text),
        ("scope_code", text),
        ("metric", text),
        ("expected_value", amount),
        ("actual_value", amount),
        ("is_failure", "BOOLEAN"),
        ("suspect_unit_code", text),
        ("suspect_cause", text),
        ("cause_period", text),
        ("detail", text),
        ("source_file", text),
    ]
    with duckdb.connect(str(clean_build.build), read_only=True) as con:
        for rule in RULES:
            described = con.execute(f"describe {rule.relation}").fetchall()
            assert [(d[0], d[1]) for d in described] == contract, rule.rule_id


def test_a_revision_becomes_current_and_the_change_is_visible(clean_build: Built, tmp_path) -> None:

    from . import spreadsheets as ss

    raw, data = copy_build(clean_build, tmp_path)
    unit = raw / "submissions" / "2023-06" / "西山区"
    for name, revised in (
        ("6月明细.csv", "6月明细（修订）.csv"),
        ("汇总表.csv", "汇总表（修订）.csv"),
    ):
        text = (unit / name).read_bytes().decode("gbk").replace("2023年7月5日", "2023年7月8日")
        (unit / revised).write_bytes(text.encode("gbk"))
    detail = unit / "6月明细（修订）.csv"
    project = next(
        r[1] for r in ss.rows(detail) if len(r) > 4 and r[1].startswith("KM") and float(r[4]) > 0
    )
    (old_ytd, new_ytd) = ss.edit(detail, ss.row_with(project), 4, lambda v: round(v + 1, 2))
    ss.edit(detail, ss.row_with(project), 3, lambda v: round(v + 1, 2))
    ss.edit(
        unit / "汇总表（修订）.csv", ss.row_with("省外产业到位资金"), 3, lambda v: round(v + 1, 2)
    )
    ss.edit(
        unit / "汇总表（修订）.csv", ss.row_with("省外产业到位资金"), 2, lambda v: round(v + 1, 2)
    )
    built = run_warehouse(raw, data)
    # the revised summary matches the revised detail (no R02); the city's total, the
    # province's figure and July's YTD are not revised yet, so the build is held and the
    # figures below are read from the build
    assert built.exit_code == 3
    assert built.failures("R02") == []
    assert {f["period"] for f in built.failures("R13")} == {"2023-06"}
    (ytd,) = built.query(
        "select arrived_out_of_province_ytd from marts.fact_capital_arrival where period = '2023-06' and project_code = ?",
        [project],
        build=True,
    )[0]
    assert float(ytd) == float(new_ytd)
    versions = built.query(
        "select version_number, source_file from staging.stg_forms__submission_versions "
        "where period = '2023-06' and unit_code = '530112' and form = 'form_a' order by 1",
        build=True,
    )
    assert [v[1].split("/")[-1] for v in versions] == ["6月明细.csv", "6月明细（修订）.csv"]
    changes = built.query(
        "select project_code, metric, ytd_from::double, ytd_to::double, change_kind "
        "from marts.mart_submission_changes",
        build=True,
    )
    assert changes == [
        (project, "arrived_out_of_province", float(old_ytd), float(new_ytd), "changed")
    ]


def test_completion_pace_and_peer_rank_recompute_by_hand(clean_build: Built) -> None:
    """完成率, 序时进度 and the rank in the peer group, recomputed here from the fact, the
    targets file and the units file, for every 县区 and 开发区 in June 2023."""
    import csv

    ytd = dict(
        clean_build.query(
            "select unit_code, sum(arrived_out_of_province_ytd) from marts.fact_capital_arrival "
            "where period = '2023-06' group by unit_code"
        )
    )
    with (clean_build.raw / "reference" / "targets.csv").open(encoding="utf-8") as f:
        target = {
            r["unit_code"]: float(r["annual_target"])
            for r in csv.DictReader(f)
            if r["year"] == "2023" and r["metric"] == "arrived_out_of_province"
        }
    with (clean_build.raw / "reference" / "units.csv").open(encoding="utf-8") as f:
        group = {
            r["unit_code"]: r["peer_group"]
            for r in csv.DictReader(f)
            if r["unit_type"] in ("county", "zone") and r["in_league"] != "false"
        }
    rows = clean_build.query(
        "select unit_code, completion_rate_pct, pace_gap_pp, peer_rank from marts.mart_monthly_bulletin "
        "where period = '2023-06' and metric = 'arrived_out_of_province' "
        "and unit_type in ('county', 'zone') and in_league"
    )
    assert len(rows) == len(group)
    for unit, completion, pace, rank in rows:
        value = float(ytd.get(unit, 0))
        expected = round(value / target[unit] * 100, 2)
        assert completion == pytest.approx(expected, abs=0.005), unit
        assert pace == pytest.approx(round(value / target[unit] * 100 - 6 / 12 * 100, 2), abs=0.005)
        peers = [float(ytd.get(u, 0)) for u, g in group.items() if g == group[unit]]
        assert rank == 1 + sum(v > value for v in peers), unit


def test_full_refresh_rebuilds_the_fact_from_scratch(clean_build: Built, tmp_path) -> None:
    """A row left in the fact outside every month the run builds survives an ordinary run
    (which replaces only its months) and is gone after --full-refresh (the table is made
    again), after a run that rebuilds every month, and after a run with the UI's tag."""
    from orchestration.cli import execute, run_pipeline
    from orchestration.constants import FULL_REFRESH_TAG

    from .conftest import pointing_at

    raw, data = copy_build(clean_build, tmp_path)
    build = data / "build" / "warehouse.duckdb"

    def plant() -> None:
        with duckdb.connect(str(build)) as con:
            con.execute(
                "insert into marts.fact_capital_arrival by name "
                "select * replace ('2019-01' as period, 'planted' as capital_arrival_key) "
                "from marts.fact_capital_arrival limit 1"
            )

    def planted() -> int:
        with duckdb.connect(str(build), read_only=True) as con:
            return con.execute(
                "select count(*) from marts.fact_capital_arrival where period = '2019-01'"
            ).fetchone()[0]

    plant()
    assert run_warehouse(raw, data).exit_code == 0 and planted() == 1
    with pointing_at(raw, data):
        assert run_pipeline(full_refresh=True) == 0
    assert planted() == 0
    # a run that must rebuild every month anyway (here: no state of a last run it can trust)
    # makes the incremental tables again too
    plant()
    (data / "run_state.json").unlink()
    assert run_warehouse(raw, data).exit_code == 0 and planted() == 0
    plant()
    from orchestration.constants import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG

    tags = {
        FULL_REFRESH_TAG: "true",  # as an operator adds it to a run in the UI
        PARTITION_RANGE_START_TAG: "2023-12",
        PARTITION_RANGE_END_TAG: "2023-12",
    }
    with pointing_at(raw, data):
        result = execute(tags)
    assert result.success and planted() == 0


def test_every_mart_has_a_parquet_twin_of_the_published_rows(clean_build: Built) -> None:
    """$ZS_DATA_DIR/parquet/<mart>.parquet for Evidence, pandas or any engine: the same rows
    and columns as the published DuckDB file."""
    folder = clean_build.data / "parquet"
    assert folder.is_symlink() and folder.resolve().parent.name == "parquet-versions"
    with duckdb.connect(str(clean_build.published), read_only=True) as con:
        marts = [
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        ]
        assert {p.stem for p in folder.glob("*.parquet")} == set(marts)
        for mart in marts:
            path = str(folder / f"{mart}.parquet")
            mine = con.execute(
                f"select * from marts.{mart} except all select * from read_parquet(?)",  # noqa: S608 (catalog names)
                [path],
            ).fetchall()
            theirs = con.execute(
                f"select * from read_parquet(?) except all select * from marts.{mart}",  # noqa: S608 (catalog names)
                [path],
            ).fetchall()
            assert mine == [] and theirs == [], mart


def test_dbt_leaves_no_folder_per_invocation_behind(clean_build: Built) -> None:
    """dagster-dbt gives every dbt invocation a folder under target/ (several MB each); a
    scheduled warehouse would pile them up, so a successful one's is removed."""
    from orchestration.dbt_setup import TARGET_DIR

    ((run_id,),) = clean_build.query(
        "select dagster_run_id from audit.publish_log order by published_at desc limit 1"
    )
    assert run_id
    assert not [p.name for p in TARGET_DIR.iterdir() if f"-{run_id[:7]}-" in p.name]
