"""Each implemented rule, on a copy of the sample broken the way clerks break it, fails
with the right unit and period, and the run is held instead of published.

One build holds every break, each in a month of its own (the breaks are independent: a
rule's failures and culprits are judged month by month), so each test reads its month.
The build is a first build: nothing was ever published from its data folder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from expectations.catalogue import load_rules

from . import spreadsheets as ss
from .conftest import Built, copy_sample, run_warehouse

pytestmark = pytest.mark.slow  # builds the whole sample

# the month each break is in
R02_MONTH, R03_MONTH, R04_MONTH, R07_MONTH, R12_MONTH, R13_MONTH = (
    "2023-12",  # the last month: a doubled summary YTD breaks no later month's chain
    "2023-03",
    "2023-05",
    "2023-07",
    "2023-08",
    "2023-10",
)
WUHUA, XISHAN = "530102", "530112"  # 五华区 sends xlsx in 亿元; 西山区 GBK CSV in 亿元
PANLONG = "530103"  # 盘龙区: xlsx in 万元; the origins of three of its projects are changed
R17_MONTH = "2023-09"  # the month the province's figure leaves the 市内 money out
REGISTER = "项目库2023年12月.xlsx"  # the current register version


def _form_a(raw: Path, folder: str, period: str) -> Path:
    (path,) = [p for p in (raw / "submissions" / period / folder).iterdir() if "明细" in p.name]
    return path


def _form_s(raw: Path, folder: str, period: str) -> Path:
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


def _projects_with_money(path: Path, count: int) -> list[str]:
    """The first ``count`` projects with 省外 money (column 4: 累计) on a form A."""
    found = []
    for row in ss.rows(path):
        if len(row) > 4 and row[1].startswith("KM") and ss.is_number(row[4]) and float(row[4]) > 0:
            found.append(row[1])
    return found[:count]


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


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> tuple[Built, dict]:
    root = tmp_path_factory.mktemp("broken")
    raw = copy_sample(root / "raw")
    planted: dict[str, object] = {}
    # R02: 五华区's summary says more than its detail
    ss.edit(
        _form_s(raw, "五华区", R02_MONTH),
        ss.row_with("省外产业到位资金"),
        3,
        lambda v: round(v * 2 + 1, 2),
    )
    # R03: a month's figure of 西山区 that does not chain to its YTD
    path = _form_a(raw, "西山区", R03_MONTH)
    planted["r03"] = project = _project_with_money(path)
    planted["r03_file"] = path.name
    ss.edit(path, ss.row_with(project), 3, lambda v: round(v + 5, 2))
    # R04: 五华区's YTD of a project goes down from the month before
    before = _form_a(raw, "五华区", "2023-04")
    planted["r04"] = project = _project_with_money(before, min_ytd=1.0)
    ss.edit(_form_a(raw, "五华区", R04_MONTH), ss.row_with(project), 4, lambda v: 0.01)
    # R07: 西山区 reports money for a project the register does not know
    path = _form_a(raw, "西山区", R07_MONTH)
    ss.edit(path, ss.row_with(_project_with_money(path)), 1, lambda v: "KM2099X001")
    # R12: the city's summary is not the sum of its units'
    ss.edit(
        _form_s(raw, "昆明市", R12_MONTH),
        ss.row_with("省外产业到位资金"),
        3,
        lambda v: round(v + 100, 2),
    )
    # R13: the province's figure for the city disagrees with the city's detail
    path = raw / "published" / "province" / f"{R13_MONTH}.csv"
    ss.edit(path, ss.row_with("昆明市", "省外产业到位资金"), 2, lambda v: f"{v + 50:.2f}")
    # R17, R18: the register now says three of 盘龙区's projects with 省外 money come from
    # 昆明 (市内: counted under no metric), from 曲靖 (another prefecture: 省内市外), and from a
    # place that is none
    city, other, nowhere = _projects_with_money(_form_a(raw, PANLONG, R17_MONTH), 3)
    planted |= {"r17_city": city, "r17_other": other, "r18": nowhere}
    register = raw / "register" / REGISTER
    for project, origin in ((city, "昆明市"), (other, "曲靖市"), (nowhere, "火星")):
        ss.edit(register, ss.row_with(project), 3, lambda v, o=origin: o)
    # ... and in September the province nets the 市内 money out of its 省外 figure for the city
    # (R13 fails there, and R17's finding explains it)
    form = _form_a(raw, PANLONG, R17_MONTH)
    (wan,) = [float(r[4]) for r in ss.rows(form) if len(r) > 4 and r[1] == city]
    planted["r17_city_yi"] = wan / 10_000  # 盘龙区 types 万元
    ss.add_to_published(
        raw / "published" / "province" / f"{R17_MONTH}.csv", "省外产业到位资金", -wan / 10_000
    )
    return run_warehouse(raw, root / "data"), planted


def _in(built: Built, rule_id: str, period: str) -> list[dict]:
    return [f for f in built.failures(rule_id) if f["period"] == period]


def test_the_broken_build_is_held_and_nothing_is_published(broken) -> None:
    _held(broken[0])


def test_r02_summary_that_disagrees_with_its_detail(broken) -> None:
    built, _ = broken
    fails = _in(built, "R02", R02_MONTH)
    assert [(f["period"], f["unit_code"], f["metric"]) for f in fails] == [
        (R02_MONTH, WUHUA, "arrived_out_of_province_ytd")
    ]
    assert fails[0]["suspect_unit_code"] == WUHUA
    assert fails[0]["suspect_cause"] == "detail_summary_mismatch"
    assert "五华区" in fails[0]["detail"] and "主要指标汇总表" in fails[0]["detail"]
    # the city's summary no longer equals its units': the culprit is named, not only the gap
    (total,) = _in(built, "R12", R02_MONTH)
    assert (total["period"], total["suspect_unit_code"], total["suspect_cause"]) == (
        R02_MONTH,
        WUHUA,
        "detail_summary_mismatch",
    )
    assert "最可能的原因" in total["detail"]


def test_r03_month_that_does_not_chain(broken) -> None:
    built, planted = broken
    fails = _in(built, "R03", R03_MONTH)
    assert [(f["period"], f["unit_code"], f["project_code"]) for f in fails] == [
        (R03_MONTH, XISHAN, planted["r03"])
    ]
    assert fails[0]["suspect_cause"] == "ytd_break"
    assert planted["r03_file"] in fails[0]["detail"]


def test_r04_ytd_that_goes_down(broken) -> None:
    built, planted = broken
    fails = [
        f for f in _in(built, "R04", R04_MONTH) if f["metric"] == "arrived_out_of_province_ytd"
    ]
    assert [(f["period"], f["unit_code"], f["project_code"]) for f in fails] == [
        (R04_MONTH, WUHUA, planted["r04"])
    ]
    assert float(fails[0]["actual_value"]) == 0.01


def test_r07_project_not_in_register(broken) -> None:
    built, _ = broken
    fails = _in(built, "R07", R07_MONTH)
    assert [(f["period"], f["unit_code"], f["project_code"]) for f in fails] == [
        (R07_MONTH, XISHAN, "KM2099X001")
    ]
    assert fails[0]["suspect_cause"] == "not_in_register"
    # the city's detail total now falls short of the province's figure, and R13 says why
    (total,) = [
        f for f in _in(built, "R13", R07_MONTH) if f["metric"] == "arrived_out_of_province_ytd"
    ]
    assert (total["period"], total["suspect_unit_code"], total["suspect_cause"]) == (
        R07_MONTH,
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


def test_r12_city_summary_that_is_not_the_sum_of_its_units(broken) -> None:
    built, _ = broken
    fails = _in(built, "R12", R12_MONTH)
    assert [(f["period"], f["scope_code"], f["metric"]) for f in fails] == [
        (R12_MONTH, "530100", "arrived_out_of_province_ytd")
    ]
    assert float(fails[0]["difference"]) == 100.0


def test_r13_city_that_disagrees_with_the_province(broken) -> None:
    built, _ = broken
    fails = _in(built, "R13", R13_MONTH)
    # the city no longer matches, and the province's total no longer adds up either
    assert sorted((f["period"], f["scope_code"], f["metric"]) for f in fails) == [
        (R13_MONTH, "530000", "arrived_out_of_province_ytd"),
        (R13_MONTH, "530100", "arrived_out_of_province_ytd"),
    ]


def test_r17_money_under_a_category_its_investors_origin_does_not_allow(broken) -> None:
    built, planted = broken
    fails = built.failures("R17")
    # only the two projects whose origin changed, in 盘龙区, in every month with their money
    assert {f["project_code"] for f in fails} == {planted["r17_city"], planted["r17_other"]}
    assert {f["unit_code"] for f in fails} == {PANLONG}
    assert {f["severity"] for f in fails} == {"error"}
    for project, says in (
        (planted["r17_city"], "「昆明市」属市内（市内县际间），资金填在 省外产业到位资金"),
        (planted["r17_other"], "「曲靖市」属省内市外，资金填在 省外产业到位资金"),
    ):
        (f,) = [f for f in fails if f["project_code"] == project and f["period"] == "2023-09"]
        assert f["metric"] == "arrived_out_of_province_ytd"
        assert f"项目 {project} 投资方来源地{says}" in f["detail"], f["detail"]
        # the file and row of the money, and where it belongs
        assert re.search(
            r"；见 submissions/2023-09/530103/到位资金明细表\.xlsx 第\d+行$", f["detail"]
        )
    (city,) = [
        f for f in fails if f["project_code"] == planted["r17_city"] and f["period"] == "2023-09"
    ]
    assert "市内资金不计入市级以上任何到位资金指标" in city["detail"]
    (other,) = [
        f for f in fails if f["project_code"] == planted["r17_other"] and f["period"] == "2023-09"
    ]
    assert "应填 省内市外到位资金" in other["detail"]
    # the province left the 市内 money out of its September figure: R13 fails, and R17's
    # finding is the culprit (the other project's money only moved between categories the
    # province also publishes: 省外 here, 省内市外 not published)
    (total,) = [
        f
        for f in _in(built, "R13", R17_MONTH)
        if f["metric"] == "arrived_out_of_province_ytd" and f["scope_code"] == "530100"
    ]
    assert (total["suspect_unit_code"], total["suspect_cause"]) == (PANLONG, "origin_category")


def test_r18_an_origin_that_is_no_place_is_named_never_guessed(broken) -> None:
    built, planted = broken
    fails = built.failures("R18")
    assert {f["project_code"] for f in fails} == {planted["r18"]}
    assert {f["severity"] for f in fails} == {"warn"}
    (f,) = [f for f in fails if f["period"] == "2023-09"]
    assert "投资方来源地「火星」无法识别为省、市或国家（地区）" in f["detail"]
    assert "submissions/2023-09/530103/到位资金明细表.xlsx" in f["detail"]
    # R17 cannot check it: no row of it there
    assert planted["r18"] not in {f["project_code"] for f in built.failures("R17")}


def test_every_failure_of_the_broken_build_is_a_planted_break_or_its_consequence(broken) -> None:
    """The whole map of failures, rule by rule: nothing fails that no break explains (each
    test above reads its rule in its break's month; this one reads every month)."""
    built = broken[0]
    wuhua, xishan, city, province = WUHUA, XISHAN, "530100", "530000"
    found = {
        rule: sorted({(f["period"], f.get("unit_code") or f.get("scope_code")) for f in fails})
        for rule in (r.rule_id for r in load_rules())
        if (fails := built.failures(rule))
    }
    # the origins changed in the register: every month with their money, in 盘龙区 only
    # (the tests above say which projects)
    for rule in ("R17", "R18"):
        months = found.pop(rule)
        assert months and {unit for _, unit in months} == {PANLONG}, (rule, months)
    assert found == {
        # planted in December; May: R04's YTD of 0.01 makes 五华区's detail disagree with its summary
        "R02": [(R04_MONTH, wuhua), (R02_MONTH, wuhua)],
        # planted in March; May and June: R04's YTD goes down, then up again; August: the
        # project R07 renamed in July has no July to chain from
        "R03": [(R03_MONTH, xishan), (R04_MONTH, wuhua), ("2023-06", wuhua), ("2023-08", xishan)],
        "R04": [(R04_MONTH, wuhua)],
        # the rates recomputed from the city's summary (R12's August) and 五华区's (R02's December)
        "R06": [(R12_MONTH, city), (R02_MONTH, wuhua)],
        "R07": [(R07_MONTH, xishan)],
        # planted in August; December: R02's summary is one of the city's units'
        "R12": [(R12_MONTH, city), (R02_MONTH, city)],
        # planted in October (province and city); May and July: R04's and R07's changes of the
        # city's detail, against the province's unchanged figures
        # and September: the province left R17's 市内 money out of its figure for the city
        "R13": [
            (R04_MONTH, city),
            (R07_MONTH, city),
            (R17_MONTH, city),  # the province's own total was lowered as much: it adds up
            (R13_MONTH, province),
            (R13_MONTH, city),
        ],
    }
