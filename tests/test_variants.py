"""Every variant of the submission contract loads to the same figures as its clean twin.

One clean detail form (西山区, June 2023, GBK CSV in 亿元) is rewritten in each way the
contract lists — other units, units in the headers, traditional script, full-width digits,
thousands separators, the empty spellings, other encodings, xlsx with a two-row merged
header on the second sheet, the same as legacy Excel 97-2003 .xls with the 填报日期 a real
date cell, the unit folder by code or alias — with real writers (csv and codecs, openpyxl,
xlwt). Each variant goes into its own month; the real loader and the real
staging models read them all, and every month must hold the clean twin's figures.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import openpyxl
import pytest
import xlwt

from orchestration.config import DBT_PROJECT_DIR
from orchestration.dbt_setup import dbt_executable, dbt_vars
from orchestration.ingest.landing import load_raw
from orchestration.ingest.text import find_date

from . import spreadsheets as ss
from .conftest import SAMPLE

CLEAN = SAMPLE / "submissions" / "2023-06" / "西山区" / "6月明细.csv"
MONEY, FDI = (3, 4, 5, 6), (7, 8)
FULL = str.maketrans("0123456789.", "０１２３４５６７８９．")
T2S = str.maketrans("资计际实产业区内", "資計際實產業區內")


def _grid() -> list[list[str]]:
    return list(csv.reader(io.StringIO(CLEAN.read_bytes().decode("gbk"))))


GRID = _grid()
UNIT_ROW = next(i for i, r in enumerate(GRID) if r and r[0].startswith("单位"))
HEADER = next(i for i, r in enumerate(GRID) if r and r[0] == "序号")


def _data_rows(grid: list[list[str]]):
    for r in grid[HEADER + 1 :]:
        if len(r) > 1 and r[1].startswith("KM"):
            yield r


def _scale(grid: list[list[str]], cols, factor: float, fmt: str = "{:.8g}") -> None:
    for r in _data_rows(grid):
        for c in cols:
            r[c] = fmt.format(float(r[c]) * factor)


def wan_yuan(g):
    g[UNIT_ROW] = ["单位：万元、万美元"]
    _scale(g, MONEY, 10_000)


def yuan_and_usd(g):
    g[UNIT_ROW] = ["单位：元、美元"]
    _scale(g, MONEY, 100_000_000, "{:.0f}")
    _scale(g, FDI, 10_000, "{:.0f}")


def yi_usd(g):
    g[UNIT_ROW] = ["单位：亿元、亿美元"]
    _scale(g, FDI, 0.0001, "{:.8f}")


def units_in_headers(g):
    g[UNIT_ROW] = [""]
    g[HEADER] = [
        h + ("（万美元）" if i in FDI else "（亿元）" if i in MONEY else "")
        for i, h in enumerate(g[HEADER])
    ]


def traditional(g):
    g[UNIT_ROW] = ["單位：億元、萬美元"]
    g[HEADER] = [h.translate(T2S).replace("项目编号", "項目編號") for h in g[HEADER]]


def full_width(g):
    for r in _data_rows(g):
        for c in (*MONEY, *FDI):
            r[c] = r[c].translate(FULL)


def thousands(g):
    wan_yuan(g)
    for r in _data_rows(g):
        for c in MONEY:
            r[c] = f"{float(r[c]):,.2f}"


def empty_spellings(g):
    spellings = iter(["—", "-", "/", "无", "", " 0 "] * 1000)
    for r in _data_rows(g):
        for c in (*MONEY, *FDI):
            if float(r[c]) == 0:
                r[c] = next(spellings)


def spaces(g):
    g[HEADER] = [f" {h} " for h in g[HEADER]]
    for r in _data_rows(g):
        for c in (*MONEY, *FDI):
            r[c] = f"  {r[c]} "


def flattened_dash_headers(g):
    labels = ["省外产业到位资金", "省内市外到位资金", "实际利用外资"]
    g[HEADER] = (
        g[HEADER][:3] + [f"{lab}-{k}" for lab in labels for k in ("本月", "1-6月累计")] + ["备注"]
    )


# name, transform of the grid, how it is written, unit folder
VARIANTS: list[tuple[str, Callable | None, str, str]] = [
    ("clean", None, "gbk", "西山区"),
    ("wan_yuan", wan_yuan, "gbk", "西山区"),
    ("yuan_and_usd", yuan_and_usd, "utf-8-sig", "西山区"),
    ("yi_usd", yi_usd, "gbk", "西山区"),
    ("units_in_headers", units_in_headers, "gb18030", "西山区"),
    ("traditional", traditional, "utf-8", "西山区"),
    ("full_width", full_width, "utf-8-sig", "西山区"),
    ("thousands", thousands, "gbk", "西山区"),
    ("empty_spellings", empty_spellings, "gbk", "西山区"),
    ("spaces", spaces, "utf-8", "530112"),
    ("flattened_dash_headers", flattened_dash_headers, "gbk", "西山"),
    ("xlsx_merged_second_sheet", None, "xlsx", "西山区"),
    ("xls_merged_second_sheet", None, "xls", "西山区"),
]


def _period(month: int) -> str:
    """The month a variant goes into: 2024-01 (the clean twin) to 2024-12, then 2023-01 on."""
    return f"2024-{month:02d}" if month <= 12 else f"2023-{month - 12:02d}"


# Form S (主要指标汇总表): the same clean summary, rewritten
CLEAN_S = SAMPLE / "submissions" / "2023-06" / "西山区" / "汇总表.csv"
GRID_S = list(csv.reader(io.StringIO(CLEAN_S.read_bytes().decode("gbk"))))
HEADER_S = next(i for i, r in enumerate(GRID_S) if r and r[0] == "指标")
S_AMOUNTS, S_RATES = (2, 3, 4, 6), (5, 7)  # 本月, 累计, 上年同期, 年度目标; 同比, 完成率


def _metric_rows(grid: list[list[str]]):
    for r in grid[HEADER_S + 1 :]:
        if len(r) > 7 and r[1] in ("亿元", "万美元", "个", "户"):
            yield r


def percent_signs(g):
    for r in _metric_rows(g):
        for c in S_RATES:
            if ss.is_number(r[c]):
                r[c] = f"{r[c]}%"


def full_width_percent(g):
    percent_signs(g)
    for r in _metric_rows(g):
        for c in (*S_AMOUNTS, *S_RATES):
            r[c] = r[c].translate(FULL).replace("%", "％").replace("-", "－")


def wan_yuan_rows_with_thousands(g):
    for r in _metric_rows(g):
        if r[1] == "亿元":
            r[1] = "万元"
            for c in S_AMOUNTS:
                if ss.is_number(r[c]):
                    r[c] = f"{float(r[c]) * 10_000:,.2f}"


def traditional_summary(g):
    g[HEADER_S] = [
        "指標",
        "單位",
        "本月",
        "1-6月累計",
        "上年同期累計",
        "同比增長(%)",
        "年度目標",
        "完成率(%)",
    ]
    for r in _metric_rows(g):
        r[0] = (
            r[0].translate(T2S).replace("签约", "簽約").replace("开工", "開工").replace("产", "產")
        )
        r[1] = r[1].replace("亿元", "億元").replace("万美元", "萬美元")


def rates_not_given(g):
    for r in _metric_rows(g):
        for c in (6, 7):  # no annual target, so no completion rate: blank and "/"
            r[c] = "" if c == 6 else "/"


NOT_GIVEN = "2025-12"  # the month of the summary whose targets and rates are not given
S_VARIANTS: list[tuple[str, Callable | None, str]] = [
    ("clean", None, "gbk"),
    ("percent_signs", percent_signs, "utf-8-sig"),
    ("full_width_percent", full_width_percent, "utf-8"),
    ("wan_yuan_rows_with_thousands", wan_yuan_rows_with_thousands, "gb18030"),
    ("traditional_summary", traditional_summary, "utf-8-sig"),
]


def _write_xlsx(path: Path, grid: list[list[str]]) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "填表说明"
    wb.active.append(["本表按月报送"])
    ws = wb.create_sheet("明细")
    for r in grid[:HEADER]:
        ws.append(r)
    ws.append(
        [
            "序号",
            "项目编号",
            "项目名称",
            "省外产业到位资金",
            None,
            "省内市外到位资金",
            None,
            "实际利用外资",
            None,
            "备注",
        ]
    )
    ws.append(
        [None, None, None, "本月", "1-6月累计", "本月", "1-6月累计", "本月", "1-6月累计", None]
    )
    top = HEADER + 1
    for col in range(1, 4):
        ws.merge_cells(start_row=top, start_column=col, end_row=top + 1, end_column=col)
    for col in (4, 6, 8):
        ws.merge_cells(start_row=top, start_column=col, end_row=top, end_column=col + 1)
    for r in grid[HEADER + 1 :]:
        ws.append(
            [float(v) if i in (*MONEY, *FDI) and ss.is_number(v) else v for i, v in enumerate(r)]
        )
    wb.save(path)


def _write_xls(path: Path, grid: list[list[str]]) -> None:
    """The xlsx variant as Excel 97-2003 (what WPS and older offices save): a sheet before
    the form, the two-row merged header, numbers as numbers, the 填报日期 as a date cell."""
    wb = xlwt.Workbook(encoding="utf-8")
    wb.add_sheet("填表说明").write(0, 0, "本表按月报送")
    ws = wb.add_sheet("明细")
    for r, row in enumerate(grid[:HEADER]):
        for c, v in enumerate(row):
            ws.write(r, c, v)
    top = HEADER
    for c, label in enumerate(["序号", "项目编号", "项目名称"]):
        ws.write_merge(top, top + 1, c, c, label)
    for c, label in ((3, "省外产业到位资金"), (5, "省内市外到位资金"), (7, "实际利用外资")):
        ws.write_merge(top, top, c, c + 1, label)
        ws.write(top + 1, c, "本月")
        ws.write(top + 1, c + 1, "1-6月累计")
    ws.write_merge(top, top + 1, 9, 9, "备注")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    r = top + 2
    for row in grid[HEADER + 1 :]:
        for c, v in enumerate(row):
            if c in (*MONEY, *FDI) and ss.is_number(v):
                ws.write(r, c, float(v))
            elif isinstance(v, str) and v.startswith("填报日期") and find_date(v):
                ws.write(r, c, "填报日期：")  # the date itself in the next cell, as a date
                ws.write(r, c + 1, date.fromisoformat(find_date(v)), date_style)
            elif v:
                ws.write(r, c, v)
        r += 1
    wb.save(str(path))


def _write_csv(path: Path, grid: list[list[str]], encoding: str) -> None:
    out = io.StringIO()
    csv.writer(out).writerows(grid)
    path.write_bytes(out.getvalue().encode(encoding))


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("variants")
    raw = root / "raw"
    shutil.copytree(SAMPLE / "reference", raw / "reference")
    shutil.copytree(SAMPLE / "register", raw / "register")
    for month, (name, transform, how, folder) in enumerate(VARIANTS, start=1):
        grid = [list(r) for r in GRID]
        if transform:
            transform(grid)
        target = raw / "submissions" / _period(month) / folder
        target.mkdir(parents=True)
        if how == "xlsx":
            _write_xlsx(target / f"{name}.xlsx", grid)
        elif how == "xls":
            _write_xls(target / f"{name}.xls", grid)
        else:
            _write_csv(target / f"{name}.csv", grid, how)
    for month, (name, transform, how) in enumerate(S_VARIANTS, start=1):
        grid = [list(r) for r in GRID_S]
        if transform:
            transform(grid)
        target = raw / "submissions" / f"2025-{month:02d}" / "西山区"
        target.mkdir(parents=True)
        _write_csv(target / f"汇总表_{name}.csv", grid, how)
    grid = [list(r) for r in GRID_S]
    rates_not_given(grid)
    target = raw / "submissions" / NOT_GIVEN / "西山区"
    target.mkdir(parents=True)
    _write_csv(target / "汇总表.csv", grid, "gbk")
    db = root / "data" / "build" / "warehouse.duckdb"
    db.parent.mkdir(parents=True)
    with duckdb.connect(str(db)) as con:
        report = load_raw(con, raw)
    assert report.rejected == 0, report
    result = subprocess.run(
        [
            dbt_executable(),
            "--quiet",
            "build",
            "--resource-type",
            "seed",
            "--resource-type",
            "model",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(root / "target"),
            "--log-path",
            str(root / "logs"),
            "--select",
            "+stg_forms__arrival_cells",
            "+stg_forms__summary_indicators",
            "--vars",
            json.dumps(dbt_vars()),
        ],
        env={**os.environ, "ZS_DATA_DIR": str(root / "data")},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    return db


def _figures(db: Path, period: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            """
            select project_code, metric, measure, round(value, 6), unit_code
            from staging.stg_forms__arrival_cells
            where period = ? and is_current_submission
            order by project_code, metric, measure
            """,
            [period],
        ).fetchall()


@pytest.mark.parametrize(
    ("month", "name"), [(m, v[0]) for m, v in enumerate(VARIANTS, start=1) if m > 1]
)
def test_variant_loads_to_the_same_figures_as_its_clean_twin(
    staged: Path, month: int, name: str
) -> None:
    clean = _figures(staged, "2024-01")
    assert len(clean) > 5
    assert _figures(staged, _period(month)) == clean, name


def _summary(db: Path, period: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            """
            select metric, round(month_value, 6), round(ytd_value, 6),
                   round(last_year_ytd_value, 6), round(annual_target_value, 6),
                   round(yoy_growth_pct_reported, 4), round(completion_rate_pct_reported, 4)
            from staging.stg_forms__summary_indicators where period = ? order by metric
            """,
            [period],
        ).fetchall()


@pytest.mark.parametrize(
    ("month", "name"), [(m, v[0]) for m, v in enumerate(S_VARIANTS, start=1) if m > 1]
)
def test_summary_variant_reads_as_its_clean_twin(staged: Path, month: int, name: str) -> None:
    clean = _summary(staged, "2025-01")
    assert len(clean) == 9 and all(row[0] for row in clean)  # every metric row recognised
    assert any(row[5] is not None for row in clean) and any(row[6] for row in clean)
    assert _summary(staged, f"2025-{month:02d}") == clean, name


def test_targets_and_rates_not_given_read_as_not_given(staged: Path) -> None:
    """Blank 年度目标 and "/" 完成率 are "not given" (null), not zero; the rest is as clean."""
    clean = _summary(staged, "2025-01")
    blanked = _summary(staged, NOT_GIVEN)
    assert [r[4] for r in blanked] == [None] * 9 and [r[6] for r in blanked] == [None] * 9
    assert [r[:4] + r[5:6] for r in blanked] == [r[:4] + r[5:6] for r in clean]
    assert any(r[4] is not None for r in clean)


def test_the_xls_variant_keeps_its_filled_date(staged: Path) -> None:
    """The 填报日期 typed as text in the clean CSV and as a date cell in the .xls: the same day."""
    month = next(m for m, v in enumerate(VARIANTS, start=1) if v[2] == "xls")
    with duckdb.connect(str(staged), read_only=True) as con:
        dates = dict(
            con.execute(
                "select period, filled_date from landing.files where period in (?, ?)",
                ["2024-01", _period(month)],
            ).fetchall()
        )
    assert dates["2024-01"] is not None
    assert dates[_period(month)] == dates["2024-01"]
