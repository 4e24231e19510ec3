"""Severity is what decides publishing: each error rule alone holds the build, warnings alone
do not.

For each error rule, a copy of the sample is broken so that this rule — and no other error
rule — fails: the 本月, the summaries (the unit's and the city's, with their 同比 and 完成率)
and the province's figure are adjusted the way the clerks' own spreadsheets would, so nothing
else moves. The build must be held and the published marts must stay those of the clean
build. If a rule's severity were switched to `warn`, its test here would fail; one build with
every warning rule failing (and no error rule) must be published.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from . import spreadsheets as ss
from .conftest import LINEAGE, Built, copy_build, marts_fingerprint, run_warehouse

pytestmark = pytest.mark.slow  # builds the whole sample

ERROR_RULES = {"R01", "R02", "R03", "R04", "R07", "R08", "R09", "R10", "R12", "R13", "R17"}
WARN_RULES = {"R05", "R06", "R11", "R14", "R15", "R16", "R18"}
OOP, INP, FDI = "省外产业到位资金", "省内市外到位资金", "实际利用外资"
FORM_A = {OOP: (3, 4), INP: (5, 6), FDI: (7, 8)}  # 本月, 累计 columns in every house style


def _file(raw: Path, period: str, folder: str, kind: str) -> Path:
    (path,) = [p for p in (raw / "submissions" / period / folder).iterdir() if kind in p.name]
    return path


def _unit_factor(path: Path, label: str) -> float:
    """亿元 (or 万美元) per unit of form A's column for the metric."""
    if label == FDI:
        return 1.0
    head = " ".join(" ".join(r) for r in ss.rows(path)[:4])
    return 1e-4 if "万元" in head else 1.0


def _row(path: Path, project: str) -> list[str]:
    return next(r for r in ss.rows(path) if len(r) > 1 and r[1] == project)


def _a_project(path: Path, label: str, minimum: float = 0.5, moving: bool = False) -> str:
    """The first project with at least `minimum` of the metric so far (and money this month
    if `moving`)."""
    month, ytd = FORM_A[label]
    factor = _unit_factor(path, label)
    return next(
        r[1]
        for r in ss.rows(path)
        if len(r) > ytd
        and r[1].startswith("KM")
        and ss.is_number(r[ytd])
        and float(r[ytd]) * factor >= minimum
        and ss.is_number(r[month])
        and (not moving or float(r[month]) > 0)
    )


def _failing(built: Built) -> tuple[set[str], set[str]]:
    rows = built.query(
        "select distinct rule_id, severity from audit.reconciliation_results where status = 'fail'"
    )
    return {r for r, s in rows if s == "error"}, {r for r, s in rows if s == "warn"}


def _run_broken(clean_build: Built, tmp_path: Path, breaking) -> tuple[Built, dict, dict]:
    raw, data = copy_build(clean_build, tmp_path)
    before = marts_fingerprint(data / "warehouse.duckdb", LINEAGE)
    breaking(raw)
    built = run_warehouse(raw, data)
    return built, before, marts_fingerprint(data / "warehouse.duckdb", LINEAGE)


# --- the breaks: each makes one error rule fail and leaves the others passing ---------------


def break_r01(raw: Path) -> None:
    """A count on 西山区's form S that is not a number (nothing else reads 本月 of a count)."""
    ss.edit(_file(raw, "2023-06", "西山区", "汇总"), ss.row_with("新签约项目"), 2, lambda v: "两个")


def break_r02(raw: Path) -> None:
    """五华区's summary 1 亿元 above its detail; the city's summary added up from it."""
    for folder in ("五华区", "昆明市"):
        ss.add_to_summary(_file(raw, "2023-06", folder, "汇总"), OOP, 1.0)


def break_r03(raw: Path) -> None:
    """A 本月 that does not chain (the YTD, authoritative, stays right)."""
    path = _file(raw, "2023-06", "西山区", "明细")
    project = _a_project(path, OOP)
    ss.edit(path, ss.row_with(project), FORM_A[OOP][0], lambda v: round(float(v) + 5, 2))


def break_r04(raw: Path) -> None:
    """A project missing from 五华区's May form whose June YTD is below its April YTD; May's
    and June's summaries and the province's figures follow, and July's 本月 chains from the
    new June, so only R04 sees it."""
    april, may, june, july = (
        _file(raw, p, "五华区", "明细") for p in ("2023-04", "2023-05", "2023-06", "2023-07")
    )
    project = _a_project(april, OOP, minimum=1.0)
    month, ytd = FORM_A[OOP]
    factor = _unit_factor(may, OOP)
    april_ytd = float(_row(april, project)[ytd]) * factor
    may_row = _row(may, project)
    may_values = {
        label: float(may_row[FORM_A[label][1]] or 0) * _unit_factor(may, label) for label in FORM_A
    }
    # May: the row goes, and every total with it
    _drop_row(may, project)
    for label, value in may_values.items():
        if value:
            for folder in ("五华区", "昆明市"):
                ss.add_to_summary(_file(raw, "2023-05", folder, "汇总"), label, -value)
            if label != INP:
                ss.add_to_published(raw / "published" / "province" / "2023-05.csv", label, -value)
    # June: half of April's YTD, all of it "this month" (May had nothing)
    june_row = _row(june, project)
    new_ytd = round(april_ytd / 2 / factor, 6)
    old_ytd = float(june_row[ytd]) * factor
    ss.edit(june, ss.row_with(project), ytd, lambda v: new_ytd)
    ss.edit(june, ss.row_with(project), month, lambda v: new_ytd)
    delta = new_ytd * factor - old_ytd
    for folder in ("五华区", "昆明市"):
        ss.add_to_summary(_file(raw, "2023-06", folder, "汇总"), OOP, delta, month=False)
    ss.add_to_published(raw / "published" / "province" / "2023-06.csv", OOP, delta)
    # July: its YTD stands; its 本月 is now counted from the new June
    july_ytd = float(_row(july, project)[ytd])
    ss.edit(july, ss.row_with(project), month, lambda v: round(july_ytd - new_ytd, 6))


def _drop_row(path: Path, project: str) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            if len(row) > 1 and row[1].value == project:
                ws.delete_rows(row[0].row)
                wb.save(path)
                return
    raise LookupError(project)


def break_r07(raw: Path) -> None:
    """A project code nobody registered, in December (no later month chains with it); its
    money is not counted, and the province's figure did not count it either."""
    path = _file(raw, "2023-12", "西山区", "明细")
    project = _a_project(path, OOP)
    row = _row(path, project)
    ss.edit(path, ss.row_with(project), 1, lambda v: "KM2099X001")
    for label in (OOP, FDI):
        value = float(row[FORM_A[label][1]] or 0) * _unit_factor(path, label)
        if value:
            ss.add_to_published(raw / "published" / "province" / "2023-12.csv", label, -value)


def break_r08(raw: Path) -> None:
    """昆明经开区's transferred project reported by 官渡区 too, in December (its first month
    there: 本月 = 累计); 官渡区's summary, the city's and the province's count it."""
    new_file = _file(raw, "2023-12", "昆明經開區", "明细")
    moved = next(r for r in ss.rows(new_file) if len(r) > 9 and r[9] == "流转项目")
    old_file = _file(raw, "2023-12", "官渡区", "明细")  # UTF-8 CSV in 万元, like 经开区's
    row = list(moved)
    for month, ytd in FORM_A.values():
        row[month] = row[ytd]
    lines = old_file.read_bytes().decode("utf-8-sig").splitlines(keepends=True)
    total_at = next(i for i, line in enumerate(lines) if line.startswith("合计"))
    lines.insert(total_at, ",".join(["99", *row[1:]]) + "\r\n")
    old_file.write_bytes("".join(lines).encode("utf-8-sig"))
    for label, (_, ytd) in FORM_A.items():
        value = float(moved[ytd] or 0) * _unit_factor(new_file, label)
        if value:
            for folder in ("官渡区", "昆明市"):
                ss.add_to_summary(_file(raw, "2023-12", folder, "汇总"), label, value)
            if label != INP:
                ss.add_to_published(raw / "published" / "province" / "2023-12.csv", label, value)


def break_r09(raw: Path) -> None:
    """安宁产业园区's December figure its host 安宁市 does not have (parks are not added up)."""
    path = _file(raw, "2023-12", "安宁产业园区", "明细")
    project = _a_project(path, OOP, minimum=0.01)
    month, ytd = FORM_A[OOP]
    step = 1.0 / _unit_factor(path, OOP)
    ss.edit(path, ss.row_with(project), ytd, lambda v: round(float(v) + step, 4))
    ss.edit(path, ss.row_with(project), month, lambda v: round(float(v) + step, 4))


def break_r10(raw: Path) -> None:
    """A real-estate project of at least 10 亿元 signed in 2023 counted among its unit's
    10亿元以上新签约项目 in December 2023 (and in the city's count)."""
    import openpyxl

    (register,) = (raw / "register").glob("*2023*")
    wb = openpyxl.load_workbook(register)
    ws = wb.worksheets[0]
    header = next(r for r in ws.iter_rows() if r[0].value == "项目编号")
    col = {c.value: c.column - 1 for c in header}
    folders = {p.name for p in (raw / "submissions" / "2023-12").iterdir()}
    target = None
    for row in ws.iter_rows(min_row=header[0].row + 1):
        values = [c.value for c in row]
        if (
            str(values[col["行业代码"]]).startswith("70")
            and values[col["报送单位"]] in folders
            and not values[col["所在园区"]]
            and str(values[col["签约日期"]]).startswith("2023")
        ):
            target = row
            break
    assert target is not None
    amount = target[col["协议投资额(亿元)"]]
    amount.value = max(float(amount.value), 15.0)
    wb.save(register)
    for folder in (target[col["报送单位"]].value, "昆明市"):
        ss.add_to_summary(
            _file(raw, "2023-12", folder, "汇总"), "10亿元以上新签约项目", 1, month=False
        )


def break_r12(raw: Path) -> None:
    """The city's own summary 100 亿元 above its units' (its 同比 and 完成率 recomputed)."""
    ss.add_to_summary(_file(raw, "2023-06", "昆明市", "汇总"), OOP, 100.0)


def break_r13(raw: Path) -> None:
    """The province's figure for the city 50 亿元 above the city's (and its own total too)."""
    ss.add_to_published(raw / "published" / "province" / "2023-06.csv", OOP, 50.0)


def _set_origin(raw: Path, project: str, origin: str) -> None:
    """The current register (2023) says the project's investor comes from ``origin``."""
    (register,) = (raw / "register").glob("*2023*")
    ss.edit(register, ss.row_with(project), 3, lambda v: origin)  # 投资方来源地


def break_r17(raw: Path) -> None:
    """A project of 五华区 with 省外 money whose investor the register now places in 昆明 (市内:
    counted under no metric above the county)."""
    _set_origin(raw, _a_project(_file(raw, "2023-06", "五华区", "明细"), OOP), "昆明市")


BREAKS = {
    "R01": break_r01,
    "R02": break_r02,
    "R03": break_r03,
    "R04": break_r04,
    "R07": break_r07,
    "R08": break_r08,
    "R09": break_r09,
    "R10": break_r10,
    "R12": break_r12,
    "R13": break_r13,
    "R17": break_r17,
}


@pytest.mark.parametrize("rule_id", sorted(BREAKS))
def test_an_error_rule_alone_holds_the_build(
    rule_id: str, clean_build: Built, tmp_path: Path
) -> None:
    built, before, after = _run_broken(clean_build, tmp_path, BREAKS[rule_id])
    errors, _ = _failing(built)
    assert errors == {rule_id}
    assert built.exit_code == 3
    (decision,) = built.query(
        "select decision from audit.publish_log order by published_at desc limit 1"
    )[0]
    assert decision == "held"
    assert after == before  # the clean build's marts stay live


def test_every_error_rule_has_a_break_here() -> None:
    from expectations.catalogue import load_rules

    rules = load_rules()
    assert {r.rule_id for r in rules if r.severity == "error"} == ERROR_RULES == set(BREAKS)
    assert {r.rule_id for r in rules if r.severity == "warn"} == WARN_RULES


def break_warnings(raw: Path) -> None:
    """Every warning at once, and no error: R05 an agreed amount below what arrived; R06 a
    同比 that does not recompute; R11 a unit that never reported (the city's summary and the
    province's figure without it); R14 a project outside every chain; R15 a large change
    whose 备注 is gone; R16 a figure ×10⁴ in December that everyone added up, the province too;
    R18 an investor's origin that is no place.
    """
    import openpyxl

    (register,) = (raw / "register").glob("*2023*")
    wb = openpyxl.load_workbook(register)
    ws = wb.worksheets[0]
    header = next(r for r in ws.iter_rows() if r[0].value == "项目编号")
    col = {c.value: c.column - 1 for c in header}
    data = [r for r in ws.iter_rows(min_row=header[0].row + 1) if r[0].value]
    old = [r for r in data if str(r[0].value).startswith("KM2021")]
    old[3][col["协议投资额(亿元)"]].value = 0.5  # R05
    old[5][col["产业链"]].value = None  # R14
    wb.save(register)
    # R06
    ss.edit(
        _file(raw, "2023-03", "五华区", "汇总"),
        ss.row_with(OOP),
        ss.S_YOY,
        lambda v: round(float(v) + 5, 2),
    )
    # R15: the only 备注 explaining 西山区's large change in June is gone
    path = _file(raw, "2023-06", "西山区", "明细")
    remark = next(r for r in ss.rows(path) if len(r) > 9 and r[9].strip() and r[9] != "流转项目")
    ss.edit(path, ss.row_with(remark[1]), 9, lambda v: "")
    # R11: 富民县 never sent September; the city's summary and the province's figure lack it
    folder = raw / "submissions" / "2023-09" / "富民县"
    summary = _file(raw, "2023-09", "富民县", "汇总")
    values = {
        r[0].strip(): float(r[ss.S_YTD]) * ss.TO_CANONICAL.get(r[ss.S_UNIT].strip(), 1.0)
        for r in ss.rows(summary)
        if len(r) > ss.S_YTD and ss.is_number(r[ss.S_YTD]) and r[0].strip()
    }
    shutil.rmtree(folder)
    city = _file(raw, "2023-09", "昆明市", "汇总")
    for label, value in values.items():
        if value:
            ss.add_to_summary(city, label, -value)
    for label in (OOP, FDI):
        if values.get(label):
            ss.add_to_published(
                raw / "published" / "province" / "2023-09.csv", label, -values[label]
            )
    # R16: one December YTD ×10⁴ with 本月 following, added up everywhere
    december = _file(raw, "2023-12", "五华区", "明细")
    project = _a_project(december, OOP, moving=True)
    month, ytd = FORM_A[OOP]
    factor = _unit_factor(december, OOP)
    row = _row(december, project)
    extra = float(row[month]) * 9999
    ss.edit(december, ss.row_with(project), month, lambda v: round(float(v) + extra, 4))
    ss.edit(december, ss.row_with(project), ytd, lambda v: round(float(v) + extra, 4))
    for folder in ("五华区", "昆明市"):
        ss.add_to_summary(_file(raw, "2023-12", folder, "汇总"), OOP, extra * factor)
    ss.add_to_published(raw / "published" / "province" / "2023-12.csv", OOP, extra * factor)
    # R18: the register places a project of 官渡区 with money nowhere
    _set_origin(raw, _a_project(_file(raw, "2023-06", "官渡区", "明细"), OOP), "火星")


def test_warnings_alone_are_published(clean_build: Built, tmp_path: Path) -> None:
    # a fresh warehouse: what was once received is never deleted, so a unit that "never
    # sent" September needs a warehouse that never saw its files
    raw = tmp_path / "raw"
    shutil.copytree(clean_build.raw, raw)
    break_warnings(raw)
    built = run_warehouse(raw, tmp_path / "data")
    errors, warnings = _failing(built)
    assert errors == set()
    assert warnings == WARN_RULES
    assert built.exit_code == 0
    (decision,) = built.query(
        "select decision from audit.publish_log order by published_at desc limit 1"
    )[0]
    assert decision == "published"
    # the new figures are live
    assert marts_fingerprint(built.published, LINEAGE) != marts_fingerprint(
        clean_build.published, LINEAGE
    )
