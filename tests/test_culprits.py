"""Culprits that hold up (the defects clerks really make), on one broken copy of the sample.

Each defect sits in a month of its own, so that every month's failed total has exactly the
culprits planted in it; the summaries (the unit's form S and the city's) are added up from
the slipped detail, as a clerk's spreadsheet would, and the province's figure is the true one.

- 2023-06 省外: one project's 本月 typed ×10⁴ (万元 into an 亿元 column), 累计 following;
  in July the clerk types the YTD right again (the slip's echo);
- 2023-03 实际利用外资: one project's 本月 in 美元 typed into the 万美元 column;
- 2023-09 省外: a 亿元 figure typed into a 万元 form (×10⁻⁴);
- 2022-06: a whole form A declared 亿元 whose figures are in 万元 (its summary is right);
- 2022-09 省外: the same slip as June, plus another unit that did not report that month;
- 2023-11: 宜良县's form A arrived but cannot be read (set aside);
- 2023-01: 嵩明县's form A came as a WPS .et that cannot be read (set aside), in a January,
  so that no earlier month of the year estimates it: only its summary says what is missing.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from . import spreadsheets as ss
from .conftest import Built, copy_sample, run_warehouse

pytestmark = pytest.mark.slow  # builds the whole sample

CITY = "530100"
# form A columns (every house style): 序号, 项目编号, 项目名称, then 本月/累计 per metric
FORM_A = {"arrived_out_of_province": (3, 4), "arrived_in_province": (5, 6), "fdi_utilized": (7, 8)}
LABEL = {
    "arrived_out_of_province": "省外产业到位资金",
    "arrived_in_province": "省内市外到位资金",
    "fdi_utilized": "实际利用外资",
}
TO_CANONICAL = ss.TO_CANONICAL


def _file(raw: Path, period: str, folder: str, kind: str) -> Path:
    (path,) = [p for p in (raw / "submissions" / period / folder).iterdir() if kind in p.name]
    return path


def _unit_of(path: Path, metric: str) -> str:
    """The unit form A declares for a metric's columns (unit row or header)."""
    text = " ".join(" ".join(r) for r in ss.rows(path)[:4])
    if metric == "fdi_utilized":
        return "万美元"
    return "万元" if "万元" in text else "亿元"


def _project(path: Path, metric: str, minimum: float) -> str:
    month, ytd = FORM_A[metric]
    return next(
        r[1]
        for r in ss.rows(path)
        if len(r) > ytd
        and r[1].startswith("KM")
        and ss.is_number(r[month])
        and float(r[month] or 0) >= minimum
    )


def slip_month(
    raw: Path, period: str, folder: str, metric: str, factor: float
) -> tuple[str, float]:
    """One project's 本月 multiplied by `factor`, its 累计 following; the unit's and the city's
    form S added up from the slipped detail. Returns the project and the change in 亿元/万美元."""
    path = _file(raw, period, folder, "明细")
    unit = _unit_of(path, metric)
    month_col, ytd_col = FORM_A[metric]
    project = _project(path, metric, minimum=0.05 / TO_CANONICAL[unit] if unit != "万美元" else 50)
    old, new = ss.edit(path, ss.row_with(project), month_col, lambda v: round(float(v) * factor, 8))
    delta = float(new) - float(old)
    ss.edit(path, ss.row_with(project), ytd_col, lambda v: round(float(v) + delta, 8))
    delta_canonical = delta * TO_CANONICAL[unit]
    ss.add_to_summary(_file(raw, period, folder, "汇总"), LABEL[metric], delta_canonical)
    ss.add_to_summary(_file(raw, period, "昆明市", "汇总"), LABEL[metric], delta_canonical)
    return project, delta_canonical


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> tuple[Built, dict]:
    root = tmp_path_factory.mktemp("culprits")
    raw = copy_sample(root / "raw")
    planted = {
        "june": slip_month(raw, "2023-06", "五华区", "arrived_out_of_province", 1e4),  # 亿元 xlsx
        "fdi": slip_month(raw, "2023-03", "西山区", "fdi_utilized", 1e4),  # GBK CSV
        "small": slip_month(
            raw, "2023-09", "530103", "arrived_out_of_province", 1e-4
        ),  # 盘龙区, 万元 xlsx
        "september": slip_month(raw, "2022-09", "五华区", "arrived_out_of_province", 1e4),
    }
    # 2022-09: and 富民县 did not report at all
    shutil.rmtree(raw / "submissions" / "2022-09" / "富民县")
    # 2022-06: 西山区's whole form A is in 万元 though its unit row says 亿元 (summary right)
    whole = _file(raw, "2022-06", "西山区", "明细")
    for row in ss.rows(whole):
        if len(row) > 6 and row[1].startswith("KM"):
            for column in (3, 4, 5, 6):
                if ss.is_number(row[column]) and float(row[column]):
                    ss.edit(whole, ss.row_with(row[1]), column, lambda v: round(float(v) * 1e4, 4))
    # 2023-11: 宜良县's form A is not a readable workbook
    (_file(raw, "2023-11", "宜良县", "明细")).write_bytes(b"PK\x03\x04 this is not a workbook")
    # 2023-01: 嵩明县's form A saved by WPS as .et, in a format no reader here knows
    detail = _file(raw, "2023-01", "嵩明县", "明细")
    detail.unlink()
    detail.with_suffix(".et").write_bytes(b"\x14\x00WPS-ET native " * 64)
    return run_warehouse(raw, root / "data"), planted


def _total(built: Built, period: str, metric: str, rule_id: str = "R13") -> dict:
    (row,) = [
        f
        for f in built.failures(rule_id)
        if f["period"] == period and f["scope_code"] == CITY and f["metric"] == metric
    ]
    return row


def _shares(detail: str) -> list[float]:
    return [float(s) for s in re.findall(r"差额的 (-?[\d.]+)%", detail)]


def test_a_month_typed_in_wan_yuan_is_the_culprit_of_the_city_total(broken) -> None:
    built, planted = broken
    project, delta = planted["june"]
    assert delta > 100  # the city's total is hundreds of 亿元 above the province's figure
    total = _total(built, "2023-06", "arrived_out_of_province_ytd")
    assert (total["suspect_unit_code"], total["suspect_cause"]) == ("530102", "unit_scale")
    assert project in total["detail"]
    # R16 saw the month figure, though the YTD step (~420×) is below 10³
    r16 = [
        f
        for f in built.failures("R16")
        if f["period"] == "2023-06" and f["project_code"] == project
    ]
    assert len(r16) == 1 and "本月" in r16[0]["detail"]


def test_dollars_typed_as_wan_dollars(broken) -> None:
    built, planted = broken
    project, _ = planted["fdi"]
    total = _total(built, "2023-03", "fdi_utilized_ytd")
    assert (total["suspect_unit_code"], total["suspect_cause"]) == ("530112", "unit_scale")
    assert project in total["detail"]


def test_a_yi_yuan_figure_typed_as_wan_yuan(broken) -> None:
    built, planted = broken
    project, delta = planted["small"]
    assert delta < 0
    total = _total(built, "2023-09", "arrived_out_of_province_ytd")
    assert (total["suspect_unit_code"], total["suspect_cause"]) == ("530103", "unit_scale")
    assert project in total["detail"]


def test_a_whole_form_in_the_wrong_unit_is_one_finding(broken) -> None:
    built, _ = broken
    total = _total(built, "2022-06", "arrived_out_of_province_ytd")
    assert (total["suspect_unit_code"], total["suspect_cause"]) == ("530112", "unit_scale")
    r16 = [
        f for f in built.failures("R16") if f["period"] == "2022-06" and f["unit_code"] == "530112"
    ]
    assert len(r16) == 1 and r16[0]["project_code"] is None and "整张表" in r16[0]["detail"]


def test_a_slip_and_a_missing_unit_in_one_month_are_both_named(broken) -> None:
    built, planted = broken
    project, _ = planted["september"]
    total = _total(built, "2022-09", "arrived_out_of_province_ytd")
    assert (total["suspect_unit_code"], total["suspect_cause"]) == ("530102", "unit_scale")
    detail = total["detail"]
    first, second = detail.split("最可能的原因：")[1].split("；")[:2]
    assert first.startswith("1. 五华区") and project in first
    assert second.startswith("2. 富民县") and "未报送" in second
    assert abs(sum(_shares(detail)) - 100) <= 0.2, detail
    assert "未能解释" not in detail
    # on 实际利用外资 only the missing unit moves the total
    fdi = _total(built, "2022-09", "fdi_utilized_ytd")
    assert (fdi["suspect_unit_code"], fdi["suspect_cause"]) == ("530124", "missing_submission")


def test_the_month_after_a_slip_points_to_it_and_alerts_once(broken) -> None:
    built, planted = broken
    project, _ = planted["june"]
    echoes = [
        f
        for rule_id in ("R03", "R04")
        for f in built.failures(rule_id)
        if f["period"] == "2023-07" and f["project_code"] == project
    ]
    assert {f["rule_id"] for f in echoes} == {"R03", "R04"}
    for f in echoes:
        assert (f["suspect_unit_code"], f["suspect_cause"]) == ("530102", "unit_scale")
        assert "2023-06" in f["detail"]
    alerts = [
        json.loads(line)
        for line in (built.data / "alerts" / "alerts.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()
    ]
    keys = {a["group_key"] for a in alerts}
    assert "R16|2023-06|530102" in keys
    assert not {k for k in keys if k.startswith(("R03|2023-07|530102", "R04|2023-07|530102"))}


def test_passing_rows_say_what_was_checked_not_a_suspicion(broken) -> None:
    built, _ = broken
    (suspicious,) = built.query(
        "select count(*) from audit.reconciliation_results "
        "where rule_id = 'R16' and status = 'pass' and detail like '%疑似%'"
    )[0]
    assert suspicious == 0
    (checked,) = built.query(
        "select sum(checks) from audit.reconciliation_results where rule_id = 'R16' "
        "and status = 'pass' and detail like '已核对%'"
    )[0]
    assert checked > 1000  # passing checks, counted per rule, month and unit when published


def test_a_form_set_aside_is_named_as_the_culprit(broken) -> None:
    built, _ = broken
    for metric in ("arrived_out_of_province_ytd", "fdi_utilized_ytd"):
        total = _total(built, "2023-11", metric)
        assert (total["suspect_unit_code"], total["suspect_cause"]) == (
            "530125",
            "missing_submission",
        )
        assert (
            "明细表被搁置：submissions/2023-11/宜良县/到位资金明细表.xlsx（不是可读的 .xlsx（zip）文件"
            in total["detail"]
        )


SONGMING = "530127"
ET_FILE = "submissions/2023-01/嵩明县/1月明细.et"


def test_a_set_aside_et_file_is_the_culprit_of_its_summary_and_of_the_city_total(broken) -> None:
    """Not "the summary disagrees with the detail": the detail came and was set aside."""
    built, _ = broken
    rows = [f for rule in ("R02", "R11", "R13") for f in built.failures(rule)]
    january = [f for f in rows if f["period"] == "2023-01"]
    assert {f["rule_id"] for f in january} >= {"R02", "R11", "R13"}
    for f in january:
        assert (f["suspect_unit_code"], f["suspect_cause"]) == (SONGMING, "missing_submission"), f
        assert ET_FILE in f["detail"] and "另存为" in f["detail"], f["detail"]
    (r11,) = [f for f in january if f["rule_id"] == "R11"]
    assert "未能入库" in r11["detail"] and "未报送" not in r11["detail"]
    set_aside = [f for f in rows if f["period"] in ("2023-01", "2023-11")]
    assert not [f for f in set_aside if f["suspect_cause"] == "detail_summary_mismatch"]


def test_the_submission_status_shows_the_missing_and_the_set_aside(broken) -> None:
    built, _ = broken
    status = {
        (r[0], r[1]): r[2:]
        for r in built.query(
            "select period, unit_code, has_form_a, has_form_s, files_set_aside, is_missing, is_on_time "
            "from marts.mart_submission_status",
            build=True,
        )
    }
    assert status[("2022-09", "530124")] == (False, False, 0, True, False)  # 富民县 never sent
    assert status[("2023-11", "530125")] == (
        False,
        True,
        1,
        True,
        False,
    )  # 宜良县's form A set aside
    assert status[("2023-11", "530102")][-1] is True  # everyone else on time
