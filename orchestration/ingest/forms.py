"""Recognising a form from its header row and mapping its columns to canonical names.

One parser serves the loader and the clerks' self-check. A form is recognised by its header,
never by its file name; the table may sit anywhere on any sheet, under title and unit rows,
with a one-row or a two-row (merged) header, and above 合计 and footer rows.

Values are not converted here: each data row is landed as text together with the unit its
column declares, and dbt staging types and converts it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ..seeds import canonical_units, form_a_metrics, header_words
from .reading import Grid, Rejection
from .text import MONEY_UNITS, USD_UNITS, cell_text, find_date, norm_label, units_in

HEADER_SEARCH_ROWS = 40

# the metrics seed's form_a metrics, each a column pair (本月 and 1-N月累计)
FORM_A_VALUES = [f"{m}_{k}" for m in form_a_metrics() for k in ("month", "ytd")]


@dataclass
class Table:
    form: str  # form_a | form_s | register | published
    sheet: str
    header_row: int  # 1-based, last header row
    columns: dict[str, int]
    labels: dict[str, str]  # canonical name -> header text as written (for messages)
    units: dict[str, str] = field(default_factory=dict)
    table_unit: str | None = None
    filled_date: str | None = None
    rows: list[tuple[int, list[str | None]]] = field(default_factory=list)


# --- column classifiers: header label (normalised) -> canonical column name ----------


def _metric(label: str) -> str | None:
    """The form A metric a header names (the seed's header_words; the first that matches)."""
    for metric, words in header_words():
        if any(word in label for word in words):
            return metric
    return None


def _form_a_column(label: str) -> str | None:
    if label in ("序号", "序"):
        return "seq"
    if "项目编号" in label or label in ("编号", "项目代码"):
        return "project_code"
    if "项目名称" in label:
        return "project_name"
    if "备注" in label:
        return "remark"
    metric = _metric(label)
    if metric is None:
        return None
    if "本月" in label or "当月" in label:
        return f"{metric}_month"
    if "累计" in label:
        return f"{metric}_ytd"
    return None


def _form_s_column(label: str) -> str | None:
    if label in ("指标", "指标名称", "项目"):
        return "indicator"
    if label in ("单位", "计量单位"):
        return "row_unit"
    if "上年" in label:
        return "last_year_ytd"
    if "同比" in label:
        return "yoy_pct"
    if "目标" in label:
        return "annual_target"
    if "完成" in label:
        return "completion_pct"
    if "本月" in label or "当月" in label:
        return "month"
    if "累计" in label:
        return "ytd"
    return None


_REGISTER = [
    ("项目编号", "project_code"),
    ("项目名称", "project_name"),
    ("来源地", "investor_origin"),
    ("投资方", "investor"),
    ("500强", "top500_category"),
    ("产业链", "chain"),
    ("行业", "industry_code"),
    ("报送单位", "reporting_unit"),
    ("园区", "park"),
    ("协议投资", "agreed_amount"),
    ("签约", "signed_date"),
    ("开工", "started_date"),
    ("投产", "production_date"),
    ("流转日期", "transferred_date"),
    ("流转", "transferred_from"),
]


def _register_column(label: str) -> str | None:
    for key, name in _REGISTER:
        if key in label:
            return name
    return None


def _published_column(label: str) -> str | None:
    if label in ("州市", "地区", "州(市)"):
        return "area_name"
    if label == "指标":
        return "indicator"
    if "同比" in label:
        return "yoy_pct"
    if "累计" in label:
        return "ytd"
    return None


@dataclass(frozen=True)
class FormSpec:
    form: str
    classify: Callable[[str], str | None]
    required: tuple[str, ...]
    any_of: tuple[str, ...] = ()


FORMS = [
    FormSpec("register", _register_column, ("project_code", "reporting_unit", "agreed_amount")),
    FormSpec("form_a", _form_a_column, ("project_code",), tuple(FORM_A_VALUES)),
    FormSpec("published", _published_column, ("area_name", "indicator", "ytd")),
    FormSpec("form_s", _form_s_column, ("indicator", "ytd")),
]
FORM_NAMES = {
    "form_a": "到位资金明细表",
    "form_s": "主要指标汇总表",
    "register": "项目库",
    "published": "省级通报",
}


def _header_labels(rows: list[list[object]], r: int) -> tuple[list[str], int]:
    """Labels of the header starting at row r, merging a second header row if there is one."""
    top = [norm_label(c) for c in rows[r]]
    if r + 1 >= len(rows):
        return top, r
    below = [norm_label(c) for c in rows[r + 1]]
    subs = [b for b in below if b]
    if subs and all(("本月" in b or "累计" in b or "当月" in b) for b in subs):
        labels, parent = [], ""
        for c in range(max(len(top), len(below))):
            t = top[c] if c < len(top) else ""
            b = below[c] if c < len(below) else ""
            if t:
                parent = t
            labels.append(f"{parent}{b}" if b else t)
        return labels, r + 1
    return top, r


def recognise(grid: Grid) -> Table | None:
    """The table on a sheet, or None if no header row matches a known form."""
    rows = grid.rows
    for r in range(min(len(rows), HEADER_SEARCH_ROWS)):
        if not any(norm_label(c) for c in rows[r]):
            continue
        labels, last = _header_labels(rows, r)
        for spec in FORMS:
            columns: dict[str, int] = {}
            written: dict[str, str] = {}
            for c, label in enumerate(labels):
                name = spec.classify(label) if label else None
                if name and name not in columns:
                    columns[name] = c
                    written[name] = label
            if all(k in columns for k in spec.required) and (
                not spec.any_of or any(k in columns for k in spec.any_of)
            ):
                table = Table(spec.form, grid.sheet, last + 1, columns, written)
                _fill(table, rows, r, last)
                return table
    return None


_TOTAL_WORDS = ("合计", "总计", "小计", "全市合计")
_FOOTER_WORDS = ("填报单位", "填报人", "审核人", "填报日期", "负责人", "制表", "注:", "说明:")


def _fill(table: Table, rows: list[list[object]], first: int, last: int) -> None:
    # declared units: unit row above the header, else the header's own brackets
    for r in range(first):
        text = "".join(norm_label(c) for c in rows[r])
        if text.startswith("单位") or "单位:" in text:
            found = units_in(text)
            table.table_unit = "、".join(found) or None
    declared = units_in(table.table_unit or "")
    money = next((u for u in declared if u in MONEY_UNITS), "亿元")
    usd = next((u for u in declared if u in USD_UNITS), "万美元")
    for name, label in table.labels.items():
        in_header = units_in(label)
        if table.form == "form_a" and name in FORM_A_VALUES:
            metric = name.rsplit("_", 1)[0]
            default = usd if canonical_units()[metric] == "万美元" else money
            # every column the form has gets a unit; staging reads "no unit" as "no column"
            table.units[name] = in_header[0] if in_header else default
        elif table.form in ("register", "published") and in_header:
            table.units[name] = in_header[0]
    # filled date anywhere on the sheet (footer or under the title); only cells that can
    # hold it are normalised, so a 200,000-row sheet is not normalised cell by cell
    for row in rows:
        for i, c in enumerate(row):
            if isinstance(c, str) and "填" in c and "填报日期" in norm_label(c):
                tail = [norm_label(c), *(norm_label(x) for x in row[i + 1 : i + 3])]
                table.filled_date = next((d for d in map(find_date, tail) if d), None)
    # data rows: total (合计) and footer rows are skipped
    width = max(table.columns.values()) + 1
    for r in range(last + 1, len(rows)):
        cells = [cell_text(c) for c in rows[r][:width]]
        cells += [None] * (width - len(cells))
        texts = [c for c in cells if c]
        if not texts:
            continue
        if _is_total_or_footer(texts):
            continue
        table.rows.append((r + 1, [cells[i] for i in table.columns.values()]))


# a total word's character (every one has 计) and a footer word's first character, in
# simplified and traditional script: only cells that carry one are normalised
_TOTAL_MARK = re.compile("[计計]")
_FOOTER_MARKERS = re.compile("[填审審负負制注註說说]")


def _is_total_or_footer(texts: list[str]) -> bool:
    """A total (合计 … in the first text cell) or a footer (填报单位 … starting one of the
    first three text cells; a 备注 further right that starts with 注: is data)."""
    head = texts[:3]
    if _TOTAL_MARK.search(head[0]) and any(w in norm_label(head[0]) for w in _TOTAL_WORDS):
        return True
    return any(norm_label(t).startswith(_FOOTER_WORDS) for t in head if _FOOTER_MARKERS.search(t))


def parse(grids: list[Grid], display: str) -> Table:
    """The first sheet whose header matches a form; a Rejection if none does."""
    for grid in grids:
        table = recognise(grid)
        if table is not None:
            return table
    sheets = ", ".join(g.sheet for g in grids) or "none"
    raise Rejection(
        display,
        "unknown_form",
        f"no sheet has a header row of a known form (sheets: {sheets})",
        expected="a header row of 到位资金明细表 (项目编号, 省外产业到位资金 本月/累计 …), "
        "主要指标汇总表 (指标, 本月, 1-N月累计 …), 项目库 or 省级通报",
    )
