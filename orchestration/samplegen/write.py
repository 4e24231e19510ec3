"""Write the sample model out as the bureau's files, laid out per the submission contract.

Each reporting unit keeps one house style (as real offices do), so the sample carries the
contract's variants 1-4 from the start: xlsx and CSV (UTF-8 with BOM, GBK), title and unit
rows, a 合计 row, a footer with 填报日期, two-row merged headers and flattened ones, amounts
in 亿元 in some files and 万元 in others.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from ..ingest.landing import OPTIONAL_COLUMNS, REFERENCE_FILES
from ..seeds import metric_labels
from .model import (
    BASES_2021,
    CITY_TARGET_2022_OUT_OF_CITY,
    METRICS,
    UNIT_TARGETS_2022,
    YEARS,
    Project,
    SampleModel,
    allocate,
    is_industrial,
    month_end,
    periods,
)
from .reference import (
    CITY,
    INDUSTRIES,
    LEAGUE_SCHEME,
    PREFECTURES,
    PROVINCE,
    SCHEMES,
    TRANSFER_SHARING,
    Unit,
    synthetic_prefecture,
)

# the money the generator models (model.METRICS), as the metrics seed names and labels it; a
# metric added to the seed has no figures in the generated files until the model makes them
METRIC_STEM = {
    "oop": "arrived_out_of_province",
    "inp": "arrived_in_province",
    "fdi": "fdi_utilized",
}
METRIC_LABEL = {short: metric_labels()[stem] for short, stem in METRIC_STEM.items()}
# hundredths of the canonical unit -> value in the file's unit
SCALE = {
    "亿元": 0.01,
    "万元": 100,
    "元": 1_000_000,
    "万美元": 0.01,
    "亿美元": 0.000001,
    "美元": 100,
}
COUNT_ROWS = [
    ("新签约项目", "个"),
    ("新签约协议投资额", "亿元"),
    ("新开工项目", "个"),
    ("新投产项目", "个"),
    ("10亿元以上新签约项目", "个"),
    ("新引进三类500强企业", "户"),
]


@dataclass(frozen=True)
class Style:
    kind: str  # xlsx-merged | xlsx-flat | csv-bom | csv-gbk
    money_unit: str  # 亿元 | 万元
    fdi_unit: str = "万美元"


STYLES = [
    Style("xlsx-merged", "亿元"),
    Style("xlsx-flat", "万元"),
    Style("csv-bom", "万元"),
    Style("csv-gbk", "亿元"),
]


def _num(hundredths: int, unit: str) -> float | int:
    v = hundredths * SCALE[unit]
    return (
        int(round(v)) if unit in ("万元", "元", "美元") else round(v, 2 if unit != "亿美元" else 6)
    )


def _ytd_label(period: str) -> str:
    m = int(period[5:])
    return "1月累计" if m == 1 else f"1-{m}月累计"


def _cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _upto(d: date | None, day: date) -> date | None:
    """A milestone date as the register knows it on ``day``: empty until reached."""
    return d if d and d <= day else None


def _filled_on(period: str) -> date:
    end = month_end(period)
    return date.fromordinal(end.toordinal() + 5)


class Sheet:
    """A table with its decoration, written to xlsx or CSV."""

    def __init__(self, name: str = "Sheet1") -> None:
        self.name = name
        self.rows: list[list] = []
        self.merges: list[tuple[int, int, int, int, str]] = []

    def add(self, *cells) -> int:
        self.rows.append(list(cells))
        return len(self.rows) - 1


def write_xlsx(path: Path, sheets: Sequence[Sheet], created: date) -> None:
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"created": datetime(created.year, created.month, created.day)})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    head = wb.add_format({"bold": True, "align": "center", "valign": "vcenter", "border": 1})
    for sheet in sheets:
        ws = wb.add_worksheet(sheet.name)
        for r, row in enumerate(sheet.rows):
            for c, v in enumerate(row):
                if v is None or v == "":
                    continue
                if isinstance(v, date):
                    ws.write_datetime(r, c, datetime(v.year, v.month, v.day), date_fmt)
                else:
                    ws.write(r, c, v)
        for r1, c1, r2, c2, text in sheet.merges:
            ws.merge_range(r1, c1, r2, c2, text, head)
    wb.close()


def write_csv(path: Path, sheet: Sheet, encoding: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        for row in sheet.rows:
            w.writerow(
                ["" if v is None else (v.isoformat() if isinstance(v, date) else v) for v in row]
            )


class SampleWriter:
    """The files of one prefecture's units (its model), and its share of the reference data."""

    def __init__(self, model: SampleModel, out: Path) -> None:
        self.m = model
        self.pref = model.prefecture
        self.out = out
        units = self.pref.reporting_units
        self.style = {u.code: STYLES[i % len(STYLES)] for i, u in enumerate(units)}
        for p in self.pref.parks:  # parks send xlsx only
            self.style[p.code] = STYLES[len(p.name) % 2]
        self.targets = self._targets()

    def _codes(self, unit_code: str) -> list[str]:
        """The reporting units a form adds up: the unit, or the prefecture's units."""
        if unit_code == self.pref.code:
            return [u.code for u in self.pref.reporting_units]
        return [unit_code]

    # reference ---------------------------------------------------------------------
    def unit_rows(self) -> list[list[str]]:
        return [
            [
                u.code,
                u.name,
                u.unit_type,
                self.pref.code,
                u.host or "",
                u.peer_group or "",
                u.valid_from,
                "",
                "" if u.in_league else "false",
            ]
            for u in self.pref.units
        ]

    def alias_rows(self) -> list[list[str]]:
        rows = [[a, self.pref.code] for a in self.pref.aliases]
        return rows + [[a, u.code] for u in self.pref.units for a in u.aliases]

    def _targets(self) -> dict[tuple[int, str, str], int]:
        rng = self.m.rng
        calibrated = self.pref.calibrated
        out: dict[tuple[int, str, str], int] = {}
        for year in self.m.years:
            dec = f"{year}-12"
            for metric in METRICS:
                stem = METRIC_STEM[metric]
                city = 0
                for u in self.pref.reporting_units:
                    fixed = (
                        UNIT_TARGETS_2022.get(u.code, {}).get(metric)
                        if calibrated and year == 2022
                        else None
                    )
                    actual = self.m.unit_amounts(u.code, dec)[metric][1]
                    v = fixed or max(100, round(actual * rng.uniform(0.9, 1.2), -2))
                    out[(year, u.code, stem)] = v
                    city += v
                out[(year, self.pref.code, stem)] = city
        if calibrated:
            out[(2022, self.pref.code, "arrived_out_of_city")] = CITY_TARGET_2022_OUT_OF_CITY
        return out

    # register -------------------------------------------------------------------------
    def write_register(self) -> None:
        for year in self.m.years:
            scheme = "KM2022" if year < 2023 else "KM2023"
            filled = date(year, 12, 31)
            chain_name = {c[0]: c[1] for c in SCHEMES[scheme][2]}
            chain_of = {i[0]: (i[2] if scheme == "KM2022" else i[3]) for i in INDUSTRIES}
            units = {u.code: u for u in self.pref.units}
            sheet = Sheet("项目库")
            sheet.add(f"{self.pref.name}招商引资项目库（{year}年12月）")
            sheet.add(f"填报日期：{_cn_date(filled)}")
            header = [
                "项目编号",
                "项目名称",
                "投资方",
                "投资方来源地",
                "三类500强",
                "产业链",
                "行业代码",
                "报送单位",
                "所在园区",
                "协议投资额(亿元)",
                "签约日期",
                "开工日期",
                "投产日期",
                "流转自",
                "流转日期",
            ]
            sheet.add(*header)
            for p in sorted(self.m.projects, key=lambda p: p.code):
                if p.signed > filled:
                    continue

                unit = units[p.unit_by_year[year]]
                # clerks write the unit's short name about half the time
                unit_label = unit.aliases[0] if unit.aliases and int(p.code[-1]) % 2 else unit.name
                moved = p.transferred_on and p.transferred_on <= filled
                sheet.add(
                    p.code,
                    p.name,
                    p.investor,
                    p.origin,
                    p.top500,
                    chain_name[chain_of[p.industry]],
                    p.industry,
                    unit_label,
                    units[p.park].name if p.park else "",
                    round(p.agreed_fen / 100, 2),
                    _upto(p.signed, filled),
                    _upto(p.started, filled),
                    _upto(p.produced, filled),
                    units[p.transferred_from].name if moved else "",
                    p.transferred_on if moved else None,
                )
            name = f"项目库{year}年12月.xlsx"
            if not self.pref.calibrated:
                name = f"项目库_{self.pref.name}_{year}年12月.xlsx"
            write_xlsx(self.out / "register" / name, [sheet], filled)

    # form A -----------------------------------------------------------------------------
    def form_a(self, unit: Unit, period: str) -> Sheet:
        st = self.style[unit.code]
        rows = self.m.detail_rows(unit.code, period)
        ytd = _ytd_label(period)
        sheet = Sheet("到位资金明细表")
        y, mo = period[:4], int(period[5:])
        sheet.add(f"{unit.name}{y}年1-{mo}月招商引资项目到位资金明细表")
        mu, fu = st.money_unit, st.fdi_unit
        if st.kind == "xlsx-merged":
            sheet.add(f"单位：{mu}、{fu}")
            r = sheet.add("序号", "项目编号", "项目名称", "", "", "", "", "", "", "备注")
            sheet.add("", "", "", "本月", ytd, "本月", ytd, "本月", ytd, "")
            for c, label in enumerate(["序号", "项目编号", "项目名称"]):
                sheet.merges.append((r, c, r + 1, c, label))
            sheet.merges.append((r, 9, r + 1, 9, "备注"))
            for i, metric in enumerate(METRICS):
                sheet.merges.append((r, 3 + 2 * i, r, 4 + 2 * i, METRIC_LABEL[metric]))
        elif st.kind == "xlsx-flat":
            sheet.add("")
            cols = []
            for metric in METRICS:
                u = fu if metric == "fdi" else mu
                cols += [
                    f"{METRIC_LABEL[metric]}-本月（{u}）",
                    f"{METRIC_LABEL[metric]}-累计（{u}）",
                ]
            sheet.add("序号", "项目编号", "项目名称", *cols, "备注")
        elif st.kind == "csv-bom":
            sheet.add(f"单位：{mu}、{fu}")
            cols = []
            for metric in METRICS:
                cols += [f"{METRIC_LABEL[metric]}（本月）", f"{METRIC_LABEL[metric]}（{ytd}）"]
            sheet.add("序号", "项目编号", "项目名称", *cols, "备注")
        else:
            sheet.add(f"单位：{mu}、{fu}")
            cols = []
            for label in ("省外到位资金", "省内市外到位资金", "实际利用外资"):
                cols += [f"本月{label}", f"本年累计{label}"]
            sheet.add("序号", "项目编号", "项目名称", *cols, "备注")
        explain = self._needs_explanation(unit.code, period, rows)
        totals = [0] * 6
        for i, (p, vals) in enumerate(rows, start=1):
            cells = []
            for j, metric in enumerate(METRICS):
                u = fu if metric == "fdi" else mu
                month, cum = vals[metric]
                totals[2 * j] += month
                totals[2 * j + 1] += cum
                cells += [_num(month, u), _num(cum, u)]
            remark = "流转项目" if p.transferred_from and period >= "2023" else ""
            if p.code in explain:
                remark = explain[p.code]
            sheet.add(i, p.code, p.name, *cells, remark)
        total_cells = []
        for j, metric in enumerate(METRICS):
            u = fu if metric == "fdi" else mu
            total_cells += [_num(totals[2 * j], u), _num(totals[2 * j + 1], u)]
        sheet.add("合计", "", "", *total_cells, "")
        sheet.add("")
        sheet.add(
            f"填报单位：{unit.name}投资促进局",
            "",
            "填报人：张明",
            "",
            "审核人：李华",
            "",
            f"填报日期：{_cn_date(_filled_on(period))}",
        )
        return sheet

    def _needs_explanation(self, unit_code: str, period: str, rows: list) -> dict[str, str]:
        """备注 a clerk writes when the unit's YTD moved more than 30 % on last year (rule R15):
        on the project that moved the most, per metric that moved."""
        if unit_code not in self.m.units or not rows:
            return {}
        amounts, last = self.m.unit_amounts(unit_code, period), self._last_year(unit_code, period)
        out: dict[str, str] = {}
        for metric in METRICS:
            ytd, ly = amounts[metric][1], last[metric]
            if ly and abs(ytd / ly - 1) > 0.3:
                top = max(rows, key=lambda r: r[1][metric][1])[0]
                word = "增长" if ytd > ly else "下降"
                out.setdefault(
                    top.code, f"{METRIC_LABEL[metric]}同比{word}较多，主要因本项目到资变化"
                )
        return out

    # form S -----------------------------------------------------------------------------
    def _counts(self, unit_code: str, period: str) -> dict[str, tuple[float, float]]:
        """新签约/开工/投产 … for one unit, month and YTD, from the register's dates."""
        year = int(period[:4])
        start, end = date(year, 1, 1), month_end(period)
        mstart = date(year, int(period[5:]), 1)
        codes = set(self._codes(unit_code))
        ps = [p for p in self.m.projects if p.unit_by_year[max(year, self.m.years[0])] in codes]

        def pair(pred, value=lambda p: 1):
            ytd = sum(value(p) for p in ps if pred(p, start))
            month = sum(value(p) for p in ps if pred(p, mstart))
            return month, ytd

        def signed(p, since):
            return since <= p.signed <= end

        return {
            "新签约项目": pair(signed),
            "新签约协议投资额": pair(signed, lambda p: p.agreed_fen),
            "新开工项目": pair(lambda p, s: p.started is not None and s <= p.started <= end),
            "新投产项目": pair(lambda p, s: p.produced is not None and s <= p.produced <= end),
            "10亿元以上新签约项目": pair(
                lambda p, s: signed(p, s) and p.agreed_fen >= 1000 and not p.is_real_estate
            ),
            "新引进三类500强企业": pair(lambda p, s: signed(p, s) and bool(p.top500)),
        }

    def _last_year(self, unit_code: str, period: str) -> dict[str, int]:
        """上年同期累计 per metric, hundredths. The first year needs the year before, which the
        sample invents."""
        year = int(period[:4])
        prev = f"{year - 1}{period[4:]}"
        out = dict.fromkeys(METRICS, 0)
        for code in self._codes(unit_code):
            if year > self.m.years[0]:
                amounts = self.m.unit_amounts(code, prev)
                for metric in METRICS:
                    out[metric] += amounts[metric][1]
            else:
                for metric, v in self._base_2021(code, period).items():
                    out[metric] += v
        return out

    def _base_2021(self, unit_code: str, period: str) -> dict[str, int]:
        this = self.m.unit_amounts(unit_code, period)
        first_december = f"{self.m.years[0]}-12"
        dec = self.m.unit_amounts(unit_code, first_december)
        if self.pref.calibrated and unit_code in BASES_2021:
            out_of_city, fdi = BASES_2021[unit_code]
            dec_ooc = dec["oop"][1] + dec["inp"][1]
            oop_share = dec["oop"][1] / dec_ooc if dec_ooc else 0.5
            oop = round(out_of_city * oop_share)
            ratio = {
                "oop": oop / max(dec["oop"][1], 1),
                "inp": (out_of_city - oop) / max(dec["inp"][1], 1),
            }
            ratio["fdi"] = fdi / max(dec["fdi"][1], 1)
        else:
            growth = 1.05 + (sum(map(ord, unit_code)) % 30) / 100  # stable per unit
            ratio = dict.fromkeys(METRICS, 1 / growth)
        if self.pref.calibrated and period == "2022-12" and unit_code in BASES_2021:
            # hit the published base exactly
            oc, fdi = BASES_2021[unit_code]
            return {"oop": oop, "inp": oc - oop, "fdi": fdi}
        return {metric: round(this[metric][1] * ratio[metric]) for metric in METRICS}

    def form_s(self, unit_code: str, unit_name: str, period: str) -> Sheet:
        st = self.style.get(unit_code, STYLES[0])
        year = int(period[:4])
        sheet = Sheet("主要指标汇总表")
        sheet.add(f"{unit_name}{year}年1-{int(period[5:])}月招商引资主要指标汇总表")
        sheet.add("")
        sheet.add(
            "指标",
            "单位",
            "本月",
            _ytd_label(period),
            "上年同期累计",
            "同比增长(%)",
            "年度目标",
            "完成率(%)",
        )
        if unit_code == self.pref.code:
            amounts = {metric: [0, 0] for metric in METRICS}
            for code in self._codes(unit_code):
                for metric, (a, b) in self.m.unit_amounts(code, period).items():
                    amounts[metric][0] += a
                    amounts[metric][1] += b
        else:
            amounts = self.m.unit_amounts(unit_code, period)
        last = self._last_year(unit_code, period)
        for metric in METRICS:
            u = st.fdi_unit if metric == "fdi" else st.money_unit
            month, ytd = amounts[metric]
            ly = last[metric]
            target = self.targets[(year, unit_code, METRIC_STEM[metric])]
            yoy = round((ytd - ly) / ly * 100, 2) if ly else "—"
            sheet.add(
                METRIC_LABEL[metric],
                u,
                _num(month, u),
                _num(ytd, u),
                _num(ly, u),
                yoy,
                _num(target, u),
                round(ytd / target * 100, 2),
            )
        this = self._counts(unit_code, period)
        prev = self._counts(unit_code, f"{year - 1}{period[4:]}")
        for label, u in COUNT_ROWS:
            (month, ytd), ly = this[label], prev[label][1]
            if u == "亿元":
                month, ytd, ly = (
                    _num(month, st.money_unit),
                    _num(ytd, st.money_unit),
                    _num(ly, st.money_unit),
                )
                u = st.money_unit
            yoy = round((ytd - ly) / ly * 100, 2) if ly else "—"
            sheet.add(f"{label}", u, month, ytd, ly, yoy, "", "")
        sheet.add("")
        sheet.add(
            f"填报单位：{unit_name}",
            "",
            "填报人：王芳",
            "",
            f"填报日期：{_cn_date(_filled_on(period))}",
        )
        return sheet

    # output -------------------------------------------------------------------------------
    def _emit(
        self, folder: Path, stem: str, csv_stem: str, sheet: Sheet, style: Style, filled: date
    ) -> None:
        if style.kind.startswith("xlsx"):
            sheets = [sheet]
            if style.kind == "xlsx-flat":
                note = Sheet("填表说明")
                note.add("1. 本表按月报送，金额为1月至本月累计。")
                note.add("2. 省外产业到位资金不含房地产项目。")
                sheets = [note, sheet]
            write_xlsx(folder / f"{stem}.xlsx", sheets, filled)
        else:
            enc = "utf-8-sig" if style.kind == "csv-bom" else "gbk"
            write_csv(folder / f"{csv_stem}.csv", sheet, enc)

    def folder_name(self, unit: Unit, index: int) -> str:
        if "昆明經開區" in unit.aliases:
            return "昆明經開區"  # traditional script (the Kunming sample's own zone only)
        if index % 5 == 1:
            return unit.code
        return unit.name

    def write_submissions(self) -> None:
        for year in self.m.years:
            for period in periods(year):
                base = self.out / "submissions" / period
                filled = _filled_on(period)
                m = int(period[5:])
                for i, u in enumerate(self.pref.reporting_units):
                    if u.valid_from > f"{period}-31":
                        continue
                    folder = base / self.folder_name(u, i)
                    st = self.style[u.code]
                    self._emit(
                        folder, "到位资金明细表", f"{m}月明细", self.form_a(u, period), st, filled
                    )
                    self._emit(
                        folder,
                        "主要指标汇总表",
                        "汇总表",
                        self.form_s(u.code, u.name, period),
                        st,
                        filled,
                    )
                for p in self.pref.parks:
                    self._emit(
                        base / p.name,
                        "到位资金明细表",
                        "",
                        self.form_a(p, period),
                        self.style[p.code],
                        filled,
                    )
                self._emit(
                    base / self.pref.name,
                    "主要指标汇总表",
                    "",
                    self.form_s(self.pref.code, self.pref.name, period),
                    STYLES[0],
                    filled,
                )

    def city_figures(self, period: str) -> dict[str, tuple[int, int]]:
        """The prefecture's YTD and last year's, per metric (hundredths): what it reports up."""
        last = self._last_year(self.pref.code, period)
        out = {}
        for metric in METRICS:
            ytd = sum(
                self.m.unit_amounts(code, period)[metric][1] for code in self._codes(self.pref.code)
            )
            out[metric] = (ytd, last[metric])
        return out


def write_reference(out: Path, writers: list[SampleWriter]) -> None:
    """The bureau's reference files, for every prefecture written."""
    ref = out / "reference"
    ref.mkdir(parents=True, exist_ok=True)
    with (ref / "units.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow([*REFERENCE_FILES["units"], *OPTIONAL_COLUMNS["units"]])
        w.writerow([*PROVINCE, "province", "", "", "", "1950-01-01", "", ""])
        for code, name in PREFECTURES:
            w.writerow([code, name, "prefecture", PROVINCE[0], "", "州市", "1950-01-01", "", ""])
        for writer in writers:
            w.writerows(writer.unit_rows())
    with (ref / "aliases.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(REFERENCE_FILES["aliases"])
        for writer in writers:
            w.writerows(writer.alias_rows())
    first_year = min(writer.m.years[0] for writer in writers)
    with (ref / "chains.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(REFERENCE_FILES["chains"])
        for scheme, (start, end, chains) in SCHEMES.items():
            start = min(start, f"{first_year}-01-01") if scheme == "KM2022" else start
            for code, name, leader, dept in chains:
                w.writerow([scheme, code, name, leader, dept, start, end])
    with (ref / "targets.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(REFERENCE_FILES["targets"])
        for writer in writers:
            for (year, unit, metric), v in sorted(writer.targets.items()):
                w.writerow([year, unit, metric, f"{v / 100:.2f}"])
    with (ref / "league_scheme.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(REFERENCE_FILES["league_scheme"])
        for group, rows, list_size in LEAGUE_SCHEME:
            for indicator, weight in rows:
                w.writerow([group, indicator, weight, list_size])
    with (ref / "transfer_sharing.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(REFERENCE_FILES["transfer_sharing"])
        w.writerows(TRANSFER_SHARING)


def write_published(out: Path, writers: list[SampleWriter], period: str) -> None:
    """省级通报: the province's YTD per prefecture, and its own total. A prefecture written
    here gets its own total (what its units' forms add up to); the others, figures
    proportioned on the first one's."""
    written = {writer.pref.code: writer.city_figures(period) for writer in writers}
    reference = next(iter(written.values()))
    rows = []
    totals = {"oop": [0, 0], "fdi": [0, 0]}
    for code, name in PREFECTURES:
        for metric in ("oop", "fdi"):
            if code in written:
                ytd, ly = written[code][metric]
            else:
                share = 0.05 + (int(code) % 97) / 600
                ytd = round(reference[metric][0] * share)
                ly = round(ytd / (1.02 + (int(code) % 13) / 50))
            totals[metric][0] += ytd
            totals[metric][1] += ly
            rows.append((name, metric, ytd, ly))
    path = out / "published" / "province" / f"{period}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)

    def growth(ytd: int, ly: int) -> str:
        return f"{(ytd - ly) / ly * 100:.2f}" if ly else "—"

    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["州市", "指标", _ytd_label(period), "同比增长(%)"])
        for metric in ("oop", "fdi"):
            ytd, ly = totals[metric]
            w.writerow([PROVINCE[1], METRIC_LABEL[metric], f"{ytd / 100:.2f}", growth(ytd, ly)])
        for name, metric, ytd, ly in rows:
            w.writerow([name, METRIC_LABEL[metric], f"{ytd / 100:.2f}", growth(ytd, ly)])


# Tiers of sample: S, the Kunming sample (raw/); S2, Kunming and a synthetic prefecture
# beside it; M, a province (16 synthetic prefectures × 10 units × 150 projects, 3 years);
# L, M with ten times the projects.
TIERS = {
    "S": {"kunming": True, "prefectures": 0, "projects": None, "years": YEARS},
    "S2": {"kunming": True, "prefectures": 1, "projects": 40, "years": YEARS},
    "M": {"kunming": False, "prefectures": 16, "projects": 150, "years": (2021, 2022, 2023)},
    "L": {"kunming": False, "prefectures": 16, "projects": 1500, "years": (2021, 2022, 2023)},
}


def models_of(tier: str, seed: int = 20230630) -> list[SampleModel]:
    spec = TIERS[tier]
    models = [SampleModel(seed)] if spec["kunming"] else []
    others = [p for p in PREFECTURES if not (spec["kunming"] and p[0] == CITY[0])]
    for code, name in others[: spec["prefectures"]]:
        prefecture = synthetic_prefecture(code, name)
        models.append(SampleModel(seed, prefecture, spec["years"], spec["projects"]))
    return models


def generate(out: Path, seed: int = 20230630, tier: str = "S") -> None:
    """Write a sample of the given tier under ``out`` (replacing what the generator wrote)."""
    for sub in ("reference", "register", "submissions", "published"):
        shutil.rmtree(out / sub, ignore_errors=True)
    writers = [SampleWriter(model, out) for model in models_of(tier, seed)]
    write_reference(out, writers)
    for writer in writers:
        writer.write_register()
        writer.write_submissions()
    for year in TIERS[tier]["years"]:
        for period in periods(year):
            write_published(out, writers, period)


def summary(model: SampleModel) -> dict[str, float]:
    """The calibrated figures, for the README and tests."""
    h1 = "2023-06"
    oop = sum(model.ytd(p, h1) for p in model.projects if p.money == "oop")
    ind = sum(
        model.ytd(p, h1) for p in model.projects if p.money == "oop" and is_industrial(p.industry)
    )
    return {"oop_2023_06": oop / 100, "industrial_2023_06": ind / 100}


__all__ = ["TIERS", "Project", "allocate", "generate", "summary"]
