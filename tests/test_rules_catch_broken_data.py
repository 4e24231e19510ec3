"""Each implemented rule, on a copy of the sample broken the way clerks break it, fails
with the right unit and period, and the run is held instead of published."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import spreadsheets as ss
from .conftest import run_warehouse

pytestmark = pytest.mark.slow  # builds the whole sample

JUNE = "2023-06"
WUHUA, XISHAN = "530102", "530112"  # 五华区 sends xlsx in 亿元; 西山区 GBK CSV in 亿元


def _form_a(raw: Path, folder: str, period: str = JUNE) -> Path:
    (path,) = [p for p in (raw / "submissions" / period / folder).iterdir() if "明细" in p.name]
    return path


def _form_s(raw: Path, folder: str, period: str = JUNE) -> Path:
    (path,) = [p for p in (raw / "submissions" / period / folder).iterdir() if "汇总" in p.name]
    return path


def _project_with_money(path: Path, min_ytd: float = 0.5) -> str:
    for row in ss.rows(path):
        if len(row) > 4 and row[1].startswith("KM"):
            try:
                if float(row[4]) >= min_ytd:
                    return row[1]
            except ValueError:
                continue
    raise LookupError(path)


def _held(built) -> None:
    assert built.exit_code == 3
    decision, live = built.query(
        "select decision, live_run_id from audit.publish_log order by published_at desc limit 1"
    )[0]
    assert decision == "held"
    assert live is None  # nothing was ever published from this data folder
    assert (
        built.query("select count(*) from information_schema.tables where table_schema = 'marts'")[
            0
        ][0]
        == 0
    )


def test_r02_summary_that_disagrees_with_its_detail(broken_sample: Path, tmp_path: Path) -> None:
    ss.edit(
        _form_s(broken_sample, "五华区"),
        ss.row_with("省外产业到位资金"),
        3,
        lambda v: round(v * 2 + 1, 2),
    )
    built = run_warehouse(broken_sample, tmp_path / "data")
    _held(built)
    fails = built.failures("R02")
    assert [(f["period"], f["unit_code"], f["metric"]) for f in fails] == [
        (JUNE, WUHUA, "arrived_out_of_province_ytd")
    ]
    assert fails[0]["suspect_unit_code"] == WUHUA
    assert fails[0]["suspect_cause"] == "detail_summary_mismatch"
    assert "五华区" in fails[0]["detail"] and "主要指标汇总表" in fails[0]["detail"]
    # the city's summary no longer equals its units': the culprit is named, not only the gap
    (total,) = built.failures("R12")
    assert (total["period"], total["suspect_unit_code"], total["suspect_cause"]) == (
        JUNE,
        WUHUA,
        "detail_summary_mismatch",
    )
    assert "最可能的原因" in total["detail"]


def test_r03_month_that_does_not_chain(broken_sample: Path, tmp_path: Path) -> None:
    path = _form_a(broken_sample, "西山区")
    project = _project_with_money(path)
    ss.edit(path, ss.row_with(project), 3, lambda v: round(v + 5, 2))
    built = run_warehouse(broken_sample, tmp_path / "data")
    _held(built)
    fails = built.failures("R03")
    assert [(f["period"], f["unit_code"], f["project_code"]) for f in fails] == [
        (JUNE, XISHAN, project)
    ]
    assert fails[0]["suspect_cause"] == "ytd_break"
    assert path.name in fails[0]["detail"]


def test_r04_ytd_that_goes_down(broken_sample: Path, tmp_path: Path) -> None:
    may = _form_a(broken_sample, "五华区", "2023-05")
    project = _project_with_money(may, min_ytd=1.0)
    ss.edit(_form_a(broken_sample, "五华区"), ss.row_with(project), 4, lambda v: 0.01)
    built = run_warehouse(broken_sample, tmp_path / "data")
    _held(built)
    fails = [f for f in built.failures("R04") if f["metric"] == "arrived_out_of_province_ytd"]
    assert [(f["period"], f["unit_code"], f["project_code"]) for f in fails] == [
        (JUNE, WUHUA, project)
    ]
    assert float(fails[0]["actual_value"]) == 0.01


def test_r07_project_not_in_register(broken_sample: Path, tmp_path: Path) -> None:
    path = _form_a(broken_sample, "西山区")
    project = _project_with_money(path)
    ss.edit(path, ss.row_with(project), 1, lambda v: "KM2099X001")
    built = run_warehouse(broken_sample, tmp_path / "data")
    _held(built)
    fails = built.failures("R07")
    assert [(f["period"], f["unit_code"], f["project_code"]) for f in fails] == [
        (JUNE, XISHAN, "KM2099X001")
    ]
    assert fails[0]["suspect_cause"] == "not_in_register"
    # the city's detail total now falls short of the province's figure, and R13 says why
    (total,) = [f for f in built.failures("R13") if f["metric"] == "arrived_out_of_province_ytd"]
    assert (total["period"], total["suspect_unit_code"], total["suspect_cause"]) == (
        JUNE,
        XISHAN,
        "not_in_register",
    )
    # money for an unregistered project is not counted (先进库、后有数)
    assert (
        built.query(
            "select count(*) from marts.fact_capital_arrival where project_code = 'KM2099X001'",
            build=True,
        )[0][0]
        == 0
    )


def test_r12_city_summary_that_is_not_the_sum_of_its_units(
    broken_sample: Path, tmp_path: Path
) -> None:
    ss.edit(
        _form_s(broken_sample, "昆明市"),
        ss.row_with("省外产业到位资金"),
        3,
        lambda v: round(v + 100, 2),
    )
    built = run_warehouse(broken_sample, tmp_path / "data")
    _held(built)
    fails = built.failures("R12")
    assert [(f["period"], f["scope_code"], f["metric"]) for f in fails] == [
        (JUNE, "530100", "arrived_out_of_province_ytd")
    ]
    assert float(fails[0]["difference"]) == 100.0


def test_r13_city_that_disagrees_with_the_province(broken_sample: Path, tmp_path: Path) -> None:
    path = broken_sample / "published" / "province" / f"{JUNE}.csv"
    ss.edit(path, ss.row_with("昆明市", "省外产业到位资金"), 2, lambda v: f"{v + 50:.2f}")
    built = run_warehouse(broken_sample, tmp_path / "data")
    _held(built)
    fails = built.failures("R13")
    # the city no longer matches, and the province's total no longer adds up either
    assert sorted((f["period"], f["scope_code"], f["metric"]) for f in fails) == [
        (JUNE, "530000", "arrived_out_of_province_ytd"),
        (JUNE, "530100", "arrived_out_of_province_ytd"),
    ]
