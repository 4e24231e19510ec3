"""The marts the bureau reads, on the sample: the figures the sources publish read back
from them, the 赛马榜 recomputed independently, and every mart's data tests failing when its
data is broken."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from .conftest import Built

pytestmark = pytest.mark.slow  # builds the whole sample

CITY = "530100"


def test_the_2022_cohort_funnel_is_kunmings(clean_build: Built) -> None:
    """As of 2023-06, of the 330 projects of 1亿元以上 signed in 2022, 287 had landed (86.97 %),
    247 had started and 75 were in production (30.36 % of those started)."""
    (row,) = clean_build.query(
        "select signed, landed, landing_rate_pct, started, in_production, production_rate_pct "
        "from marts.mart_project_funnel where period = '2023-06' and unit_code = ? "
        "and cohort_year = 2022 and size_class = '1亿元以上'",
        [CITY],
    )
    assert row == (330, 287, 86.97, 247, 75, 30.36)


def test_h1_2023_majors_and_industrial_projects(clean_build: Built) -> None:
    (majors,) = clean_build.query(
        "select ytd_value from marts.mart_monthly_bulletin "
        "where period = '2023-06' and unit_code = ? and metric = 'major_projects_signed'",
        [CITY],
    )[0]
    assert majors == 23
    count, agreed, big = clean_build.query(
        """
        select count(*), sum(agreed_amount_yi_yuan), count(*) filter (agreed_amount_yi_yuan >= 10)
        from marts.dim_project
        where is_industrial and not is_real_estate and agreed_amount_yi_yuan >= 1
          and signed_date between '2023-01-01' and '2023-06-30'
        """
    )[0]
    assert (count, agreed, big) == (22, Decimal("504.33"), 10)


def test_the_bulletin_reports_what_the_forms_say(clean_build: Built) -> None:
    """On the clean sample, the warehouse's figure of every metric form S carries equals what
    the units reported; the city's 同比 is the published one."""
    (differences,) = clean_build.query(
        "select count(*) from marts.mart_monthly_bulletin where reported_difference <> 0"
    )[0]
    assert differences == 0
    (yoy,) = clean_build.query(
        "select yoy_growth_pct from marts.mart_monthly_bulletin "
        "where period = '2023-06' and unit_code = ? and metric = 'arrived_out_of_province'",
        [CITY],
    )[0]
    assert yoy == 19.37
    # the province's rows add up its prefectures (here the city alone)
    rows = clean_build.query(
        """
        select p.metric, p.ytd_value, sum(c.ytd_value)
        from marts.mart_monthly_bulletin as p
        join marts.mart_monthly_bulletin as c
          on c.period = p.period and c.metric = p.metric and c.unit_type = 'prefecture'
        where p.unit_type = 'province' and p.period = '2023-06'
        group by p.metric, p.ytd_value
        """
    )
    assert rows and all(total == parts for _, total, parts in rows)


def _scheme(raw: Path) -> dict[str, tuple[list[tuple[str, float]], int]]:
    groups: dict[str, tuple[list[tuple[str, float]], int]] = {}
    with (raw / "reference" / "league_scheme.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            rows, _ = groups.get(r["peer_group"], ([], 0))
            groups[r["peer_group"]] = (
                rows + [(r["indicator"], float(r["weight"]))],
                int(r["list_size"]),
            )
    return groups


def _competition_ranks(values: dict[str, float]) -> dict[str, int]:
    return {u: 1 + sum(other > v for other in values.values()) for u, v in values.items()}


def test_the_league_table_recomputes_from_the_bulletin_and_the_scheme(clean_build: Built) -> None:
    """2023-Q2, every group, recomputed here from the bulletin's values in 考核口径 (the
    sample's 利益分成 scheme shares two moved projects) and league_scheme.csv with the
    glossary's rules, plus the scheme's bonus; 磨憨 (in_league = false) is listed but not
    ranked."""
    scheme = _scheme(clean_build.raw)
    table = {
        r[0]: r[1:]
        for r in clean_build.query(
            "select unit_code, peer_group, composite_score, league_rank, units_in_group, "
            "is_red_list, is_black_list, in_league, bonus_points "
            "from marts.mart_league_table where period = '2023-06'"
        )
    }
    bulletin = clean_build.query(
        "select unit_code, peer_group, in_league, metric, assessed_ytd_value, "
        "last_year_ytd_value, annual_target from marts.mart_monthly_bulletin "
        "where period = '2023-06' and unit_type in ('county', 'zone', 'prefecture')"
    )

    def measures(ytd: float, last_year: float | None, target: float | None) -> dict:
        return {
            "ytd": ytd,
            "yoy_growth_pct": round((ytd - last_year) / last_year * 100, 2) if last_year else None,
            "completion_rate_pct": round(ytd / target * 100, 2) if target else None,
            "pace_gap_pp": round(ytd / target * 100 - 6 / 12 * 100, 2) if target else None,
        }

    values: dict[tuple[str, str], float | None] = {}
    members: dict[str, set[str]] = {}
    for row in bulletin:
        unit, group, in_league = row[0], row[1], row[2]
        if in_league:
            members.setdefault(group, set()).add(unit)
        for indicator, _ in scheme[group][0]:
            metric, measure = indicator.split(".")
            if row[3] == metric:
                ytd, last_year, target = (None if v is None else float(v) for v in row[4:7])
                values[(unit, indicator)] = measures(ytd, last_year, target)[measure]
    assert table["530100Z06"][2:-1] == (None, 5, False, False, False)  # 磨憨: listed, unranked
    assert {u for u, row in table.items() if row[-1]} == {
        "530111",
        "530100Z01",
        "530112",
        "530100Z03",
    }
    for group, units in members.items():
        indicators, list_size = scheme[group]
        composite = {}
        for unit in units:
            total = 0.0
            for indicator, weight in indicators:
                known = [
                    values[(u, indicator)] for u in units if values[(u, indicator)] is not None
                ]
                x = values[(unit, indicator)]
                if x is None:
                    score = 0.0
                elif max(known) == min(known):
                    score = 100.0
                else:
                    score = 100 * (x - min(known)) / (max(known) - min(known))
                total += weight * score
            bonus = table[unit][-1] or 0  # both units of a move, in its year (2023)
            composite[unit] = round(total / sum(w for _, w in indicators), 2) + bonus
        ranks = _competition_ranks(composite)
        bottom = _competition_ranks({u: -v for u, v in composite.items()})
        n = len(units)
        lists = 0 if n < 2 else (n // 2 if n < 2 * list_size else list_size)
        for unit in units:
            _, score, rank, size, red, black, _, _ = table[unit]
            assert score == pytest.approx(composite[unit], abs=0.011), unit
            assert (rank, size) == (ranks[unit], n), unit
            assert red == (ranks[unit] <= lists), unit
            assert black == (bottom[unit] <= lists and not ranks[unit] <= lists), unit


def test_the_chains_add_up_to_the_city(clean_build: Built) -> None:
    rows = clean_build.query(
        """
        select c.period, sum(c.arrived_out_of_province_ytd), any_value(b.ytd_value)
        from marts.mart_chain_monthly as c
        join marts.mart_monthly_bulletin as b
          on b.period = c.period and b.unit_code = c.prefecture_code and b.metric = 'arrived_out_of_province'
        group by c.period
        """
    )
    assert len(rows) == 24 and all(chains == city for _, chains, city in rows)
    leaders = clean_build.query(
        "select count(*) filter (leader is null) from marts.mart_chain_monthly where chain_code <> '_unassigned'"
    )[0][0]
    assert leaders == 0


def test_every_expected_form_of_the_sample_came_on_time(clean_build: Built) -> None:
    rows = clean_build.query(
        "select unit_type, count(*), count(*) filter (is_on_time) from marts.mart_submission_status group by 1"
    )
    assert {t for t, _, _ in rows} == {"county", "zone", "park", "prefecture"}
    assert all(total == on_time for _, total, on_time in rows)


# one way to break each mart, and the data test of that mart that must catch it
TAMPER = {
    "mart_monthly_bulletin": (
        "insert into marts.mart_monthly_bulletin select * from marts.mart_monthly_bulletin limit 1",
        "unique_combination_of_columns_mart_monthly_bulletin_period__unit_code__metric",
    ),
    "mart_chain_monthly": (
        "insert into marts.mart_chain_monthly select * from marts.mart_chain_monthly "
        "where chain_name = '花卉' limit 1",
        "unique_combination_of_columns_mart_chain_monthly_period__prefecture_code__chain_code",
    ),
    "mart_league_table": (
        "insert into marts.mart_league_table select * from marts.mart_league_table limit 1",
        "unique_combination_of_columns_mart_league_table_period__unit_code",
    ),
}

# one way to break each row-level invariant a mart's contract declares (a check constraint):
# the database refuses the row as it is written, so no data test re-reads the table
BROKEN_ROWS = {
    "mart_league_table": "update marts.mart_league_table set is_black_list = true where is_red_list",
    "mart_league_scores": (
        "update marts.mart_league_scores set normalised_score = 140 where normalised_score = 100"
    ),
    "mart_project_funnel": (
        "update marts.mart_project_funnel set landed = signed + 1 where size_class = 'all'"
    ),
    "mart_submission_status": (
        "update marts.mart_submission_status set is_late = true where is_on_time"
    ),
    "mart_monthly_bulletin": (
        "update marts.mart_monthly_bulletin set unit_type = '县' where unit_type = 'county'"
    ),
    "reconciliation_results": "update audit.reconciliation_results set status = 'ok'",
}


def test_each_marts_data_tests_fail_on_its_broken_data(clean_build: Built, tmp_path: Path) -> None:
    """Every mart broken at once, each its own way, and their data tests run in one dbt
    call: each mart's own test fails, and nothing else does (no break hides behind another).
    (The invariants of single rows are check constraints: the next test.)"""
    from orchestration.config import DBT_PROJECT_DIR
    from orchestration.dbt_setup import dbt_executable, dbt_vars

    data = tmp_path / "data"
    shutil.copytree(clean_build.data / "build", data / "build")
    with duckdb.connect(str(data / "build" / "warehouse.duckdb")) as con:
        for sql, _ in TAMPER.values():
            con.execute(sql)
    target = tmp_path / "target"
    result = subprocess.run(
        [
            dbt_executable(),
            "test",
            "--select",
            *TAMPER,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target),
            "--log-path",
            str(tmp_path / "logs"),
            "--exclude",
            "test_type:unit",
            "--vars",
            json.dumps(dbt_vars()),
        ],
        env={**os.environ, "ZS_DATA_DIR": str(data)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1, result.stdout[-2000:]
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    nodes = json.loads((target / "manifest.json").read_text(encoding="utf-8"))["nodes"]
    failed = {
        nodes[r["unique_id"]]["attached_node"].split(".")[-1]: r["unique_id"].split(".")[2]
        for r in results
        if r["status"] != "pass"
    }
    assert len([r for r in results if r["status"] != "pass"]) == len(TAMPER)
    assert failed == {mart: test for mart, (_, test) in TAMPER.items()}


def test_a_null_where_a_contract_says_not_null_never_lands(
    clean_build: Built, tmp_path: Path
) -> None:
    """The marts' keys are declared not null in their contracts (``constraints``), not tested
    after the build: every such column is NOT NULL in the build's tables (those built by
    month too, to which each run appends), and a null is refused, naming the column."""
    from orchestration.config import DBT_PROJECT_DIR

    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text("utf-8"))
    declared = {
        (node["schema"], node["alias"], column["name"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        for column in node["columns"].values()
        if {"type": "not_null"} in [{"type": c["type"]} for c in column.get("constraints", [])]
    }
    assert ("marts", "fact_capital_arrival", "project_key") in declared and len(declared) >= 30
    build = tmp_path / "warehouse.duckdb"
    shutil.copy(clean_build.build, build)
    with duckdb.connect(str(build)) as con:
        enforced = set(
            con.execute(
                "select schema_name, table_name, unnest(constraint_column_names) "
                "from duckdb_constraints() where constraint_type = 'NOT NULL'"
            ).fetchall()
        )
        assert declared <= enforced, declared - enforced
        with pytest.raises(duckdb.ConstraintException, match="mart_chain_monthly.chain_code"):
            con.execute(
                "insert into marts.mart_chain_monthly select * replace (null as chain_code) "
                "from marts.mart_chain_monthly limit 1"
            )


def test_a_row_that_breaks_a_marts_declared_invariant_never_lands(
    clean_build: Built, tmp_path: Path
) -> None:
    """The row-level invariants of the marts (accepted values, scores within 0–100, the
    funnel's order, a unit not on both lists) are check constraints of their contracts:
    each is a CHECK of the build's table, and a row that breaks one is refused."""
    from orchestration.config import DBT_PROJECT_DIR

    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text("utf-8"))
    declared = {
        node["alias"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and any(
            c["type"] == "check"
            for c in [
                *node.get("constraints", []),
                *(c for col in node["columns"].values() for c in col.get("constraints", [])),
            ]
        )
    }
    assert declared >= set(BROKEN_ROWS), set(BROKEN_ROWS) - declared
    build = tmp_path / "warehouse.duckdb"
    shutil.copy(clean_build.build, build)
    with duckdb.connect(str(build)) as con:
        enforced = {
            table
            for (table,) in con.execute(
                "select table_name from duckdb_constraints() where constraint_type = 'CHECK'"
            ).fetchall()
        }
        assert declared <= enforced, declared - enforced
        for sql in BROKEN_ROWS.values():
            # the statement reaches rows (the break is not vacuous), and is refused
            table, _, rest = sql.removeprefix("update ").partition(" set ")
            where = rest.partition(" where ")[2] or "true"
            count = f"select count(*) from {table} where {where}"  # noqa: S608 (the tests own)
            assert con.execute(count).fetchone()[0] > 0
            with pytest.raises(duckdb.ConstraintException, match="CHECK constraint"):
                con.execute(sql)


@pytest.fixture(scope="module")
def two_prefectures(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Kunming and a synthetic 曲靖市 beside it, built together."""
    from orchestration.samplegen import generate

    from .conftest import run_warehouse

    root = tmp_path_factory.mktemp("two")
    generate(root / "raw", tier="S2")
    return run_warehouse(root / "raw", root / "data")


def test_with_two_prefectures_each_city_ranks_its_own_and_the_province_adds_them_up(
    two_prefectures: Built,
) -> None:
    built = two_prefectures
    assert built.exit_code == 0
    # each city ranks its own units: in every prefecture and peer group, ranks start at 1
    groups = built.query(
        """
        select prefecture_code, peer_group, min(peer_rank), count(*)
        from marts.mart_monthly_bulletin
        where period = '2023-06' and metric = 'arrived_out_of_province' and unit_type in ('county', 'zone')
        group by 1, 2 order by 1, 2
        """
    )
    assert {g[0] for g in groups} == {"530100", "530300"}
    assert all(first == 1 for _, _, first, _ in groups)
    # the prefectures are ranked among themselves
    ranks = built.query(
        "select unit_code, peer_rank from marts.mart_monthly_bulletin where period = '2023-06' "
        "and metric = 'arrived_out_of_province' and unit_type = 'prefecture' order by peer_rank"
    )
    assert sorted(r for _, r in ranks) == [1, 2]
    # the 赛马榜: each prefecture's units compete among themselves, the prefectures together
    scopes = dict(
        built.query(
            "select scope_code, count(*) from marts.mart_league_table where period = '2023-06' group by 1"
        )
    )
    assert set(scopes) == {"530100", "530300", "530000"} and scopes["530000"] == 2
    # the province's rows add up its prefectures, every month and metric
    (mismatches,) = built.query(
        """
        select count(*) from (
            select p.period, p.metric, p.ytd_value, sum(c.ytd_value) as parts
            from marts.mart_monthly_bulletin as p
            join marts.mart_monthly_bulletin as c
              on c.period = p.period and c.metric = p.metric and c.unit_type = 'prefecture'
            where p.unit_type = 'province'
            group by p.period, p.metric, p.ytd_value
            having p.ytd_value <> sum(c.ytd_value)
        )
        """
    )[0]
    assert mismatches == 0
    # and the province's published total is the sum of the two (R13 checks it)
    assert built.failures("R13") == []


def test_a_moved_projects_credit_is_shared_in_koujing_and_the_city_counts_it_once(
    clean_build: Built,
) -> None:
    """考核口径 on the sample: its 利益分成 scheme (30 %, 2 years) shares the two projects moved
    on 2023-01-01: the unit each came from is credited 30 % of its money in 2023, the unit
    reporting it keeps 70 %, the other units and the city are the same in both 口径."""
    moves = {"KM20210098": ("530111", "530100Z01"), "KM20210156": ("530112", "530100Z03")}
    figures = clean_build.query(
        "select project_code, unit_code, arrived_in_province_ytd, fdi_utilized_ytd "
        "from marts.fact_capital_arrival where period = '2023-12' and project_code in (?, ?)",
        list(moves),
    )
    expected: dict[tuple[str, str], float] = {}
    for project, unit, in_province, fdi in figures:
        from_unit, to_unit = moves[project]
        assert unit == to_unit
        for metric, value in (("arrived_in_province", in_province), ("fdi_utilized", fdi)):
            moved = 0.3 * float(value or 0)
            expected[(from_unit, metric)] = expected.get((from_unit, metric), 0) + moved
            expected[(to_unit, metric)] = expected.get((to_unit, metric), 0) - moved
    assert any(abs(v) > 0 for v in expected.values())
    rows = clean_build.query(
        "select unit_code, metric, assessed_ytd_value - ytd_value "
        "from marts.mart_monthly_bulletin where period = '2023-12' "
        "and metric in ('arrived_in_province', 'fdi_utilized')"
    )
    for unit, metric, difference in rows:
        want = expected.get((unit, metric), 0.0)
        assert float(difference) == pytest.approx(want, abs=1e-6), (unit, metric)
