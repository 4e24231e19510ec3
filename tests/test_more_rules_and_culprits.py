"""The rest of the catalogue on broken copies of the sample, and the culprit named for each
kind of defect behind a failed total. Independent breaks share one build; each rule still
has its own assertion on the unit and period it must name."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from . import spreadsheets as ss
from .conftest import Built, copy_sample, run_warehouse

pytestmark = pytest.mark.slow  # builds the whole sample

JUNE = "2023-06"
# the months of the culprit build's breaks (one a month: culprits are judged month by month)
SCALE_MONTH, MISSING_MONTH, PARK_MONTH = "2023-02", "2023-08", "2023-09"


def _file(raw: Path, period: str, folder: str, kind: str) -> Path:
    (path,) = [p for p in (raw / "submissions" / period / folder).iterdir() if kind in p.name]
    return path


def _register_2023(raw: Path) -> Path:
    (path,) = (raw / "register").glob("*2023*")
    return path


@pytest.fixture(scope="module")
def targets(clean_build: Built) -> dict:
    """Things to break, found in the clean build rather than hard-coded."""
    q = clean_build.query
    (re_period, re_unit, re_project, re_file) = q(
        """
        select f.period, f.unit_code, f.project_code, f.source_file
        from intermediate.int_arrival_figures_chained as f
        join intermediate.int_projects_versioned as p using (project_code)
        join staging.stg_reference__units as u on f.unit_code = u.unit_code
        where left(p.industry_code, 2) = '70' and f.ytd_value > 0 and u.is_reporting_unit and p.park_code is null
          and f.period = '2023-06' and f.source_file like '%.xlsx'
        order by f.project_code limit 1
        """,
        build=True,
    )[0]
    # two projects signed in 2021 with money in June 2023, in the same reporting unit
    (unit_code, old_project, unchained_project) = q(
        """
        select unit_code, min(project_code), max(project_code)
        from staging.stg_forms__arrival_cells as a
        join staging.stg_reference__units as u using (unit_code)
        where a.period = '2023-06' and a.project_code like 'KM2021%' and a.metric = 'arrived_out_of_province'
          and a.measure = 'ytd' and a.value > 0.5 and a.is_current_submission and u.is_reporting_unit
        group by unit_code having count(*) >= 2 order by unit_code limit 1
        """,
        build=True,
    )[0]
    # a transferred project with money in June 2023 that the province's figures carry (省外 or
    # 外资, which R13 compares), in its new unit's detail form; the old unit's June CSV
    (moved, old_unit, new_unit, new_file, old_file) = q(
        """
        select p.project_code, p.transferred_from_code, p.reporting_unit_code, f.source_file,
               (select any_value(o.source_file) from intermediate.int_arrival_figures_chained as o
                where o.unit_code = p.transferred_from_code and o.period = '2023-06')
        from intermediate.int_projects_versioned as p
        join intermediate.int_arrival_figures_chained as f
          on f.project_code = p.project_code and f.unit_code = p.reporting_unit_code
        where p.transferred_from_code is not null and f.period = '2023-06' and f.ytd_value > 0
          and f.metric in ('arrived_out_of_province', 'fdi_utilized')
        order by p.project_code limit 1
        """,
        build=True,
    )[0]
    assert old_file.endswith(".csv"), old_file
    (park_total,) = q(
        "select sum(value) from staging.stg_forms__arrival_cells where period = ? "
        "and unit_code = '530181P01' and is_current_submission "
        "and metric = 'arrived_out_of_province' and measure = 'ytd'",
        [PARK_MONTH],
        build=True,
    )[0]
    return {
        "real_estate": (re_period, re_unit, re_project, re_file),
        "old_project": old_project,
        "unchained_project": unchained_project,
        "unit_of_old_projects": unit_code,
        "moved": (moved, old_unit, new_unit, new_file, old_file),
        "park_total": float(park_total),
    }


def _rows(built: Built, rule_id: str) -> set[tuple]:
    return {(f["period"], f["unit_code"]) for f in built.failures(rule_id)}


# --- warn rules: flagged, and the build is still published ------------------------------


@pytest.fixture(scope="module")
def warn_build(tmp_path_factory: pytest.TempPathFactory, targets: dict) -> Built:
    root = tmp_path_factory.mktemp("warn")
    raw = copy_sample(root / "raw")
    register = _register_2023(raw)
    # R05: the register now says the project agreed to far less than has arrived
    ss.edit(register, ss.row_with(targets["old_project"]), 9, lambda v: 0.5)
    # R14: a project the register no longer assigns to any chain
    ss.edit(register, ss.row_with(targets["unchained_project"]), 5, lambda v: None)
    # R06: a 同比 that does not recompute from its own parts
    ss.edit(
        _file(raw, "2023-03", "五华区", "汇总"),
        ss.row_with("省外产业到位资金"),
        5,
        lambda v: round(v + 5, 2),
    )
    # R15: the only 备注 explaining 西山区's large change is gone
    path = _file(raw, JUNE, "西山区", "明细")
    remark = next(r for r in ss.rows(path) if len(r) > 9 and r[9].strip() and r[9] != "流转项目")
    ss.edit(path, ss.row_with(remark[1]), 9, lambda v: "")
    return run_warehouse(raw, root / "data")


def test_warnings_do_not_hold_the_build(warn_build: Built) -> None:
    assert warn_build.exit_code == 0
    failed = {
        r[0]
        for r in warn_build.query(
            "select distinct rule_id from audit.reconciliation_results where status = 'fail'"
        )
    }
    assert failed == {"R05", "R06", "R14", "R15"}


def test_r05_arrivals_beyond_the_agreed_amount(warn_build: Built, targets: dict) -> None:
    fails = warn_build.failures("R05")
    assert {f["project_code"] for f in fails} == {targets["old_project"]}
    assert all(float(f["expected_value"]) == 0.5 for f in fails)
    assert "未记录增资" in fails[0]["detail"]


def test_r06_rate_that_does_not_recompute(warn_build: Built) -> None:
    fails = warn_build.failures("R06")
    assert [(f["period"], f["unit_code"], f["metric"]) for f in fails] == [
        ("2023-03", "530102", "arrived_out_of_province_yoy_growth")
    ]


def test_r14_money_outside_every_chain(warn_build: Built, targets: dict) -> None:
    fails = warn_build.failures("R14")
    assert fails and all(
        f["period"].startswith("2023") and f["scope_code"] == "530100" for f in fails
    )
    assert all(f["suspect_unit_code"] == targets["unit_of_old_projects"] for f in fails)


def test_r15_large_change_without_explanation(warn_build: Built) -> None:
    assert _rows(warn_build, "R15") == {(JUNE, "530112")}


# --- error rules R01, R09, R10 -----------------------------------------------------------


@pytest.fixture(scope="module")
def error_build(tmp_path_factory: pytest.TempPathFactory, targets: dict) -> tuple[Built, str]:
    root = tmp_path_factory.mktemp("errors")
    raw = copy_sample(root / "raw")
    # R01: a clerk's typo in 西山区's May file
    may = _file(raw, "2023-05", "西山区", "明细")
    project = next(
        r[1] for r in ss.rows(may) if len(r) > 4 and r[1].startswith("KM") and float(r[4]) > 0
    )
    ss.edit(may, ss.row_with(project), 4, lambda v: "12..5")
    # R09: the park reports a figure its host does not have
    park = _file(raw, "2023-04", "安宁产业园区", "明细")
    park_project = next(
        r[1] for r in ss.rows(park) if len(r) > 4 and r[1].startswith("KM") and float(r[4] or 0) > 0
    )
    ss.edit(park, ss.row_with(park_project), 4, lambda v: round(v + 1, 2))
    # R10: 省外产业到位资金 on a real-estate project
    period, unit, project, source = targets["real_estate"]
    ss.edit(raw / source, ss.row_with(project), 4, lambda v: 10000)
    return run_warehouse(raw, root / "data"), park_project


def test_r01_a_cell_that_is_not_a_number(error_build: tuple[Built, str]) -> None:
    fails = error_build[0].failures("R01")
    assert [(f["period"], f["unit_code"]) for f in fails] == [("2023-05", "530112")]
    detail = fails[0]["detail"]
    assert "'12..5' 不是数字" in detail
    assert (
        "第" in detail
        and "行" in detail
        and "本年累计省外到位资金" in detail
        and "（E列）" in detail
    )
    # the row is set aside, in the audit for the clerk, and out of the fact
    built = error_build[0]
    (rejected,) = built.query("select count(*) from audit.rejected_rows where value = '12..5'")[0]
    assert rejected == 1
    (in_fact,) = built.query(
        "select count(*) from marts.fact_capital_arrival where period = '2023-05' "
        "and unit_code = '530112' and arrived_out_of_province_ytd is null",
        build=True,
    )[0]
    assert in_fact == 0


def test_r09_park_figure_missing_from_its_host(error_build: tuple[Built, str]) -> None:
    built, park_project = error_build
    fails = built.failures("R09")
    assert {(f["period"], f["unit_code"], f["project_code"]) for f in fails} == {
        ("2023-04", "530181P01", park_project)
    }
    assert fails[0]["suspect_unit_code"] == "530181"


def test_r10_real_estate_with_out_of_province_industry_money(
    error_build: tuple[Built, str], targets: dict
) -> None:
    period, unit, project, _ = targets["real_estate"]
    fails = [f for f in error_build[0].failures("R10") if f["project_code"]]
    assert {(f["period"], f["unit_code"], f["project_code"]) for f in fails} == {
        (period, unit, project)
    }


def test_error_rules_hold_the_build(error_build: tuple[Built, str]) -> None:
    assert error_build[0].exit_code == 3
    # a first run held: nothing was ever published, and the report says so
    report = (error_build[0].data / "report" / "index.html").read_text(encoding="utf-8")
    assert "暂停发布" in report and "尚无已发布的数据" in report


# --- a defect behind a failed total, and the culprit named for it ---------------------


def _top_suspect(
    built: Built, rule_id: str, period: str, metric: str | None = "arrived_out_of_province_ytd"
) -> tuple:
    """The failed city-level total of a rule in a month (for one metric, or the only one
    that failed)."""
    rows = [
        f
        for f in built.failures(rule_id)
        if f["scope_code"] == "530100"
        and f["period"] == period
        and (metric is None or f["metric"] == metric)
    ]
    assert len(rows) == 1, rows
    return (
        rows[0]["period"],
        rows[0]["suspect_unit_code"],
        rows[0]["suspect_cause"],
        rows[0]["detail"],
    )


def _amount_unit(path: Path) -> float:
    """亿元 per unit of a detail form's amount columns."""
    head = " ".join(" ".join(r) for r in ss.rows(path)[:4])
    return 1e-4 if "万元" in head else 1.0


@pytest.fixture(scope="module")
def culprit_build(tmp_path_factory: pytest.TempPathFactory, targets: dict) -> tuple[Built, str]:
    """One defect a month behind a failed total: a 万元 figure typed in a 亿元 file
    (SCALE_MONTH), a transferred project reported by both units (June), a unit that did not
    report (MISSING_MONTH), a park added on top of its host (PARK_MONTH)."""
    root = tmp_path_factory.mktemp("culprits")
    raw = copy_sample(root / "raw")
    path = _file(raw, SCALE_MONTH, "五华区", "明细")
    scaled = next(
        r[1]
        for r in ss.rows(path)
        if len(r) > 4 and r[1].startswith("KM") and float(r[4] or 0) > 0.5
    )
    ss.edit(
        path, ss.row_with(scaled), 4, lambda v: round(v * 10000, 2)
    )  # the 万元 figure in a 亿元 file
    moved, _, _, new_name, old_name = targets["moved"]
    new_file, old_file = raw / new_name, raw / old_name
    row = next(r for r in ss.rows(new_file) if len(r) > 1 and r[1] == moved)
    # every house style has the same columns; amounts (not 万美元) follow each file's unit
    scale = _amount_unit(new_file) / _amount_unit(old_file)
    row[3:7] = [f"{float(v or 0) * scale:g}" for v in row[3:7]]
    ss.insert_csv_row(old_file, ["99", *row[1:]])
    shutil.rmtree(raw / "submissions" / MISSING_MONTH / "富民县")
    summary = _file(raw, PARK_MONTH, "安宁市", "汇总")  # xlsx in 万元
    ss.edit(
        summary,
        ss.row_with("省外产业到位资金"),
        3,
        lambda v: round(v + targets["park_total"] * 10000),
    )
    return run_warehouse(raw, root / "data"), scaled


def test_unit_scale_a_wan_yuan_figure_typed_as_yi_yuan(culprit_build) -> None:
    built, _ = culprit_build
    assert (SCALE_MONTH, "530102") in _rows(built, "R16")
    period, unit, cause, detail = _top_suspect(built, "R13", SCALE_MONTH)
    assert (period, unit, cause) == (SCALE_MONTH, "530102", "unit_scale")
    assert "五华区" in detail and "差额的" in detail


def test_double_count_a_transferred_project_reported_by_both_units(
    culprit_build, targets: dict
) -> None:
    built, _ = culprit_build
    moved, old_unit, _, _, _ = targets["moved"]
    assert {(f["period"], f["unit_code"], f["project_code"]) for f in built.failures("R08")} == {
        (JUNE, old_unit, moved)
    }
    period, unit, cause, _ = _top_suspect(built, "R13", JUNE, metric=None)
    assert (period, unit, cause) == (JUNE, old_unit, "double_count")


def test_double_count_a_park_added_on_top_of_its_host(culprit_build) -> None:
    built, _ = culprit_build
    assert (PARK_MONTH, "530181") in _rows(built, "R02")
    period, unit, cause, detail = _top_suspect(built, "R12", PARK_MONTH)
    assert (period, unit, cause) == (PARK_MONTH, "530181", "double_count")
    assert "530181P01" in detail


def test_missing_submission_a_unit_that_did_not_report(culprit_build) -> None:
    built, _ = culprit_build
    assert _rows(built, "R11") == {(MISSING_MONTH, "530124")}
    for rule_id in ("R12", "R13"):
        period, unit, cause, _ = _top_suspect(built, rule_id, MISSING_MONTH)
        assert (period, unit, cause) == (MISSING_MONTH, "530124", "missing_submission"), rule_id


def test_r11_names_a_missing_unit_only_once_its_deadline_has_passed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a fixed clock (ZS_TODAY): on the 5th, December's forms are due that day and a
    unit that has not sent them is still to come; on the 6th it is late, and named."""
    raw = copy_sample(tmp_path / "raw")
    shutil.rmtree(raw / "submissions" / "2023-12" / "富民县")
    data = tmp_path / "data"

    def r11(built: Built) -> dict[str, tuple[str, str]]:
        return {
            unit: (status, detail)
            for unit, status, detail in built.query(
                "select unit_code, status, detail from audit.reconciliation_results "
                "where rule_id = 'R11' and period = '2023-12' and unit_code = '530124'"
            )
        }

    monkeypatch.setenv("ZS_TODAY", "2024-01-05")
    on_time = r11(run_warehouse(raw, data))
    assert on_time["530124"][0] == "pass"
    assert "截止日期 2024-01-05" in on_time["530124"][1]
    monkeypatch.setenv("ZS_TODAY", "2024-01-06")
    late = run_warehouse(raw, data)
    assert r11(late)["530124"][0] == "fail"
    assert _rows(late, "R11") == {("2023-12", "530124")}
