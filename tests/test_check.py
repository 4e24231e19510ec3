"""`zhaoshang check`: the clerks' self-check shares the loader's parser and the rules."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import openpyxl
import pytest

from orchestration.check import check

from . import spreadsheets as ss
from .conftest import SAMPLE

JUNE = SAMPLE / "submissions" / "2023-06"


@pytest.fixture(autouse=True)
def sample_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZS_RAW_DIR", str(SAMPLE))


@pytest.mark.slow  # a dbt build of its own; the CSV typo keeps the check in the fast tier
def test_a_good_submission_passes() -> None:
    out = io.StringIO()
    assert check(JUNE / "五华区", out=out) == 0
    assert "0 个错误" in out.getvalue()


@pytest.mark.slow  # a dbt build of its own; the fast tier keeps the others
def test_a_form_for_a_month_that_has_not_ended_can_be_checked(tmp_path: Path) -> None:
    """The warehouse waits for the month to end; the clerk's check does not."""
    folder = tmp_path / "submissions" / "2099-01" / "五华区"
    shutil.copytree(SAMPLE / "submissions" / "2023-01" / "五华区", folder)
    out = io.StringIO()
    assert check(folder, out=out) == 0, out.getvalue()


def _row_of(path: Path, project: str) -> int:
    """The row a clerk sees the project on: 1-based, counted in the sheet (or CSV) itself."""
    return next(n for n, r in enumerate(ss.rows(path), start=1) if len(r) > 1 and r[1] == project)


def test_a_typo_in_a_csv_is_named_by_its_line_and_column_letter(tmp_path: Path) -> None:
    path = tmp_path / "6月明细.csv"
    shutil.copy(JUNE / "西山区" / "6月明细.csv", path)
    project = next(
        r[1] for r in ss.rows(path) if len(r) > 4 and r[1].startswith("KM") and float(r[4]) > 0
    )
    ss.edit(path, ss.row_with(project), 4, lambda v: "12..5")
    out = io.StringIO()
    assert check(path, period="2023-06", unit="西山区", out=out) == 1
    text = out.getvalue()
    row = _row_of(path, project)
    assert row > 3  # under the title, the unit row and the header
    assert (
        f"[错误] R01：submissions/2023-06/西山区/6月明细.csv（工作表 csv）第{row}行 "
        "`本年累计省外到位资金`（E列）：'12..5' 不是数字"
    ) in text, text


@pytest.mark.slow  # a dbt build of its own; the fast tier keeps the CSV one
def test_a_typo_under_a_title_and_a_two_row_header_is_named_by_its_excel_row(
    tmp_path: Path,
) -> None:
    """五华区's xlsx: title, unit row, then a header merged over two rows (省外产业到位资金 over
    本月 | 1-6月累计); the row is the one Excel shows, the column its letter."""
    folder = tmp_path / "submissions" / "2023-06" / "五华区"
    folder.mkdir(parents=True)
    path = folder / "到位资金明细表.xlsx"
    shutil.copy(JUNE / "五华区" / "到位资金明细表.xlsx", path)
    project = next(
        r[1] for r in ss.rows(path) if len(r) > 4 and r[1].startswith("KM") and float(r[4]) > 0
    )
    ss.edit(path, ss.row_with(project), 4, lambda v: "12..5")
    row = _row_of(path, project)
    assert row >= 5  # title, unit row, two header rows
    out = io.StringIO()
    assert check(path, out=out) == 1
    assert (
        f"submissions/2023-06/五华区/到位资金明细表.xlsx（工作表 到位资金明细表）第{row}行 "
        "`省外产业到位资金1-6月累计`（E列）："
        "'12..5' 不是数字"
    ) in out.getvalue(), out.getvalue()


def test_a_file_that_is_not_a_spreadsheet_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "明细.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    out = io.StringIO()
    assert check(path, period="2023-06", unit="西山区", out=out) == 1
    assert "明细.xlsx" in out.getvalue()


@pytest.mark.slow  # a dbt build of its own; the CSV typo keeps R01 in the fast tier
def test_r01_a_currency_that_does_not_fit_the_metric_names_file_row_and_column(
    tmp_path: Path,
) -> None:
    """美元 declared for 省内市外到位资金 (an amount in 亿元) is not converted: each of its cells
    is an R01 error that names the sheet, the row and the column letter a clerk sees."""
    folder = tmp_path / "submissions" / "2023-06" / "盘龙区"
    folder.mkdir(parents=True)
    path = folder / "到位资金明细表.xlsx"
    shutil.copy(JUNE / "530103" / "到位资金明细表.xlsx", path)
    wb = openpyxl.load_workbook(path)
    ws = wb["到位资金明细表"]
    assert ws["G3"].value == "省内市外到位资金-累计（万元）"
    ws["G3"] = "省内市外到位资金-累计（美元）"
    wb.save(path)
    out = io.StringIO()
    assert check(path, out=out) == 1
    text = out.getvalue()
    assert "[错误] R01" in text
    assert (
        "到位资金明细表.xlsx（工作表 到位资金明细表）第4行 `省内市外到位资金-累计(美元)`（G列）："
        "单位'美元'不适用于省内市外到位资金（应以亿元计）"
    ) in text, text


@pytest.mark.slow  # a dbt build of its own
def test_a_file_of_another_raw_tree_is_checked_against_that_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file under …/submissions/YYYY-MM/<unit>/ of a raw tree finds that tree's reference
    data by itself, whatever ZS_RAW_DIR says (here: a tree that knows no unit at all)."""
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "reference").mkdir(parents=True)
    monkeypatch.setenv("ZS_RAW_DIR", str(elsewhere))
    tree = tmp_path / "county-share" / "raw"
    shutil.copytree(SAMPLE / "reference", tree / "reference")
    shutil.copytree(SAMPLE / "register", tree / "register")
    for month in ("2023-05", "2023-06"):
        shutil.copytree(
            SAMPLE / "submissions" / month / "西山区", tree / "submissions" / month / "西山区"
        )
    path = tree / "submissions" / "2023-06" / "西山区" / "6月明细.csv"
    project = next(
        r[1] for r in ss.rows(path) if len(r) > 4 and r[1].startswith("KM") and float(r[4]) > 0
    )
    ss.edit(path, ss.row_with(project), 4, lambda v: "12..5")
    out = io.StringIO()
    assert check(path, out=out) == 1
    text = out.getvalue()
    assert "不是已知的报送单位" not in text, text
    assert f"对照：{tree.resolve()}" in text
    assert (
        f"[错误] R01：submissions/2023-06/西山区/6月明细.csv（工作表 csv）第{_row_of(path, project)}行 "
        "`本年累计省外到位资金`（E列）：'12..5' 不是数字"
    ) in text, text


def test_a_missing_path_gets_a_message_and_exit_2(tmp_path: Path) -> None:
    out = io.StringIO()
    assert check(tmp_path / "no" / "such" / "file.xlsx", out=out) == 2
    assert "不存在" in out.getvalue()


def test_the_check_refuses_a_symbolic_link_as_the_run_does(tmp_path: Path) -> None:
    """The run never follows a link out of the raw tree; neither does the check."""
    outside = tmp_path / "elsewhere.csv"
    shutil.copy(JUNE / "西山区" / "6月明细.csv", outside)
    folder = tmp_path / "submissions" / "2023-06" / "西山区"
    folder.mkdir(parents=True)
    (folder / "6月明细.csv").symlink_to(outside)
    out = io.StringIO()
    assert check(folder / "6月明细.csv", out=out) == 2
    assert "符号链接" in out.getvalue()
    out = io.StringIO()
    assert check(folder, out=out) == 1  # the folder: the link is named as an error
    assert "6月明细.csv：符号链接" in out.getvalue()


def test_a_file_that_kills_its_reader_is_reported_not_fatal(tmp_path: Path) -> None:
    """Two cells at A1 and XFD1048576: the reader asks for 512 GiB. The check reads in a
    worker process, so the clerk gets a message instead of a crash."""
    path = tmp_path / "稀疏.xlsx"
    book = openpyxl.Workbook()
    book.active["A1"] = "项目编号"
    book.active["XFD1048576"] = 1
    book.save(path)
    out = io.StringIO()
    assert check(path, period="2023-06", unit="西山区", out=out) == 1
    assert "A1:XFD1048576" in out.getvalue()


@pytest.mark.slow  # a dbt build of its own
def test_money_under_a_category_its_origin_does_not_allow_is_named_to_the_clerk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R17 and R18 in a clerk's check: against a register that places one of the form's
    省外 projects in 昆明 (市内) and another nowhere, the check names both, with their rows."""
    tree = tmp_path / "raw"
    shutil.copytree(SAMPLE / "reference", tree / "reference")
    shutil.copytree(SAMPLE / "register", tree / "register")
    for month in ("2023-05", "2023-06"):
        shutil.copytree(
            SAMPLE / "submissions" / month / "西山区", tree / "submissions" / month / "西山区"
        )
    monkeypatch.setenv("ZS_RAW_DIR", str(tree))
    path = tree / "submissions" / "2023-06" / "西山区" / "6月明细.csv"
    city, nowhere = [
        r[1] for r in ss.rows(path) if len(r) > 4 and r[1].startswith("KM") and float(r[4]) > 0
    ][:2]
    (register,) = (tree / "register").glob("*2023*")
    ss.edit(register, ss.row_with(city), 3, lambda v: "昆明市")  # 投资方来源地
    ss.edit(register, ss.row_with(nowhere), 3, lambda v: "火星")
    out = io.StringIO()
    assert check(path, out=out) == 1
    text = out.getvalue()
    where = "submissions/2023-06/西山区/6月明细.csv"
    assert (
        f"[错误] R17：项目 {city} 投资方来源地「昆明市」属市内（市内县际间），资金填在 省外产业到位资金"
    ) in text, text
    assert f"见 {where} 第{_row_of(path, city)}行" in text
    assert f"[提醒] R18：项目 {nowhere} 投资方来源地「火星」无法识别" in text, text
    assert f"见 {where} 第{_row_of(path, nowhere)}行" in text
