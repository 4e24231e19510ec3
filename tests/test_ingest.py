"""The loader on real files: every sample style parses to the same columns; bad files are
set aside with a reason while the rest loads; loading is incremental by content."""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import openpyxl
import pytest

from orchestration.ingest.forms import FORM_A_VALUES, parse
from orchestration.ingest.landing import Scope, load_raw
from orchestration.ingest.reading import Rejection, read_grids

from .conftest import SAMPLE

JUNE = SAMPLE / "submissions" / "2023-06"


@pytest.mark.parametrize(
    ("folder", "name", "money_unit"),
    [
        ("五华区", "到位资金明细表.xlsx", "亿元"),  # two-row merged header, unit row
        ("530103", "到位资金明细表.xlsx", "万元"),  # flattened, units in headers, form on 2nd sheet
        ("官渡区", "6月明细.csv", "万元"),  # UTF-8 with BOM
        ("西山区", "6月明细.csv", "亿元"),  # GBK
    ],
)
def test_every_form_a_style_maps_to_the_same_columns(
    folder: str, name: str, money_unit: str
) -> None:
    path = JUNE / folder / name
    table = parse(read_grids(path, name), name)
    assert table.form == "form_a"
    assert set(FORM_A_VALUES) <= set(table.columns)
    assert table.units["arrived_out_of_province_ytd"] == money_unit
    assert table.units["fdi_utilized_ytd"] == "万美元"
    assert table.filled_date == "2023-07-05"
    codes = [dict(zip(table.columns, r[1], strict=True))["project_code"] for r in table.rows]
    assert codes and all(c and c.startswith("KM") for c in codes)  # no 合计, title or footer rows


def test_traditional_script_and_full_width_headers(tmp_path: Path) -> None:
    path = tmp_path / "明細.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["安寧市2023年1－6月到位資金明細表"])
        w.writerow(["單位：萬元"])
        w.writerow(
            [
                "序號",
                "項目編號",
                "項目名稱",
                "省外產業到位資金（本月）",
                "省外產業到位資金（１－６月累計）",
                "備註",
            ]
        )
        w.writerow(["1", "KM20210001", "甲", "１２３．４", "1,234.5", ""])
        w.writerow(["合計", "", "", "123.4", "1234.5", ""])
    table = parse(read_grids(path, path.name), path.name)
    assert table.form == "form_a"
    assert {"project_code", "arrived_out_of_province_month", "arrived_out_of_province_ytd"} <= set(
        table.columns
    )
    assert table.units["arrived_out_of_province_ytd"] == "万元"
    assert len(table.rows) == 1


def test_totals_and_footers_are_skipped_and_data_that_looks_like_them_is_kept(
    tmp_path: Path,
) -> None:
    """合计/小计 rows and 填报人/审核人 footers (in either script, after blank cells) are not
    data; a project named 制造 or 合成 with a 备注 that starts with 注: is."""
    path = tmp_path / "明细.csv"
    header = [
        "序号",
        "项目编号",
        "项目名称",
        "省外产业到位资金（本月）",
        "省外产业到位资金（累计）",
    ]
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["某县到位资金明细表"])
        w.writerow(["单位：亿元"])
        w.writerow([*header, "备注"])
        w.writerow(["1", "KM20210001", "合成材料制造项目", "1", "2", "注：流转项目"])
        w.writerow(["2", "KM20210002", "小型全自动设备制造项目", "1", "2", "注:增资"])
        w.writerow(["", "小計", "", "2", "4", ""])
        w.writerow(["", "", "", "", "", ""])
        w.writerow(["合计", "", "", "2", "4", ""])
        w.writerow(["", "填報人：张三", "", "審核人：李四", "", ""])
        w.writerow(["负责人：王五", "", "制表：赵六", "", "", ""])
    table = parse(read_grids(path, path.name), path.name)
    codes = [dict(zip(table.columns, r[1], strict=True))["project_code"] for r in table.rows]
    assert codes == ["KM20210001", "KM20210002"]


def test_a_sheet_without_a_known_header_is_refused_with_what_was_expected(tmp_path: Path) -> None:
    path = tmp_path / "notes.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["随便写点", "不是报表"])
    wb.save(path)
    with pytest.raises(Rejection) as err:
        parse(read_grids(path, "x/notes.xlsx"), "x/notes.xlsx")
    assert err.value.reason == "unknown_form"
    assert "到位资金明细表" in (err.value.expected or "")


def _tree_hash(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        h.update(p.relative_to(root).as_posix().encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture
def small_raw(tmp_path: Path) -> Path:
    """Reference data, the register and one month of the sample."""
    raw = tmp_path / "raw"
    for sub in ("reference", "register"):
        shutil.copytree(SAMPLE / sub, raw / sub)
    shutil.copytree(JUNE, raw / "submissions" / "2023-06")
    return raw


def test_bad_files_are_set_aside_and_the_rest_loads(small_raw: Path, tmp_path: Path) -> None:
    june = small_raw / "submissions" / "2023-06"
    (june / "五华区" / "到位资金明细表（坏）.xlsx").write_bytes(b"\x00garbage" * 100)
    (june / "不存在区").mkdir()
    shutil.copy(june / "西山区" / "6月明细.csv", june / "不存在区" / "6月明细.csv")
    (small_raw / "submissions" / "2023-13" / "西山区").mkdir(parents=True)
    shutil.copy(
        june / "西山区" / "6月明细.csv", small_raw / "submissions" / "2023-13" / "西山区" / "x.csv"
    )
    before = _tree_hash(small_raw)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        report = load_raw(con, small_raw)
        rejected = dict(
            con.execute("select reason, source_file from landing.rejected_files").fetchall()
        )
        loaded = con.execute("select count(*) from landing.files where kind = 'form_a'").fetchone()[
            0
        ]
    assert report.rejected == 3
    assert rejected.keys() == {"unreadable", "unknown_unit", "bad_period"}
    assert loaded == 27  # 20 reporting units + 7 parks, none lost to the bad files
    assert _tree_hash(small_raw) == before  # nothing under raw/ is modified


def test_loading_is_incremental_and_a_changed_file_supersedes_the_old(
    small_raw: Path, tmp_path: Path
) -> None:
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        first = load_raw(con, small_raw)
        again = load_raw(con, small_raw)
        assert again.landed == 0 and again.skipped == first.landed
        path = small_raw / "submissions" / "2023-06" / "西山区" / "6月明细.csv"
        path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n"))
        third = load_raw(con, small_raw)
        assert (third.landed, third.superseded) == (1, 1)
        versions = con.execute(
            "select count(*), count(superseded_at) from landing.files where source_file like '%西山区/6月明细.csv'"
        ).fetchone()
    assert versions == (2, 1)


def test_each_load_takes_its_scope_and_months_outside_the_window_wait(
    small_raw: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The partitioned landing takes its months only; the reference landing takes reference
    data and what belongs to no open month; a month that has not ended (or is before the
    first month kept) is set aside and looked at again on every run."""
    june = small_raw / "submissions" / "2023-06"
    shutil.copytree(june / "西山区", small_raw / "submissions" / "2099-01" / "西山区")
    shutil.copytree(june / "西山区", small_raw / "submissions" / "2023-05" / "西山区")
    kinds = "select kind, period, count(*) from landing.files group by all order by all"
    waiting = (
        "select source_file, detail from landing.rejected_files "
        "where reason = 'period_outside_window' order by all"
    )
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        months = load_raw(con, small_raw, Scope.of_months("2023-06", "2023-06"))
        assert months.rejected == 0
        assert {(k, p) for k, p, _ in con.execute(kinds).fetchall()} == {
            ("form_a", "2023-06"),
            ("form_s", "2023-06"),
        }
        load_raw(con, small_raw, Scope.reference_only())
        assert {k for k, p, _ in con.execute(kinds).fetchall() if p is None} == {
            "reference",
            "register",
        }
        assert {r[0] for r in con.execute(waiting).fetchall()} == {
            "submissions/2099-01/西山区/汇总表.csv",
            "submissions/2099-01/西山区/6月明细.csv",
        }

        monkeypatch.setenv("ZS_FIRST_PERIOD", "2023-06")  # May is now before the window
        load_raw(con, small_raw)
        load_raw(con, small_raw)  # looked at again: replaced, not repeated
        rows = con.execute(waiting).fetchall()
        assert len(rows) == 4
        assert all("has not ended yet" in d for f, d in rows if "/2099-01/" in f)
        assert all(
            "before the first month kept (2023-06)" in d for f, d in rows if "/2023-05/" in f
        )

        monkeypatch.setenv("ZS_FIRST_PERIOD", "2020-01")  # May is back in the window: it lands
        report = load_raw(con, small_raw)
        assert report.landed == 2
        assert [f for f, _ in con.execute(waiting).fetchall() if "/2023-05/" in f] == []
        assert ("form_a", "2023-05", 1) in con.execute(kinds).fetchall()


def test_a_zip_bomb_and_a_symlink_are_refused_before_anything_is_read(
    small_raw: Path, tmp_path: Path
) -> None:
    import zipfile

    june = small_raw / "submissions" / "2023-06"
    bomb = june / "五华区" / "到位资金明细表（大）.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("xl/worksheets/sheet1.xml", "w") as member:
            for _ in range(40):
                member.write(b"\0" * (1 << 20))  # 40 MB of nothing, a few tens of KB packed
    outside = tmp_path / "elsewhere.csv"
    outside.write_text("序号,项目编号\n", encoding="utf-8")
    (june / "西山区" / "链接.csv").symlink_to(outside)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        load_raw(con, small_raw)
        rejected = dict(con.execute("select reason, detail from landing.rejected_files").fetchall())
        loaded = con.execute("select count(*) from landing.files where kind = 'form_a'").fetchone()[
            0
        ]
    assert set(rejected) == {"too_large", "unsafe_path"}
    assert "压缩炸弹" in rejected["too_large"]
    assert loaded == 27


def test_a_wps_et_file_loads_when_readable_and_is_set_aside_with_a_save_as_reason_when_not(
    tmp_path: Path,
) -> None:
    """WPS saves .et; one in the Excel 97 format reads like .xls, anything else is set aside
    telling the clerk to save it as .xlsx."""
    import xlwt

    from orchestration.ingest.reading import SAVE_AS_XLSX

    readable = tmp_path / "明细.et"
    wb = xlwt.Workbook(encoding="utf-8")
    wb.add_sheet("明细").write(0, 0, "西山区到位资金明细表")
    wb.save(str(readable))
    assert read_grids(readable, "明细.et")[0].rows[0][0] == "西山区到位资金明细表"
    unreadable = tmp_path / "到位资金明细表.et"
    unreadable.write_bytes(b"\x14\x00WPS-ET native " * 64)
    with pytest.raises(Rejection) as rej:
        read_grids(unreadable, "submissions/2023-01/嵩明县/到位资金明细表.et")
    assert rej.value.reason == "unreadable" and rej.value.detail == SAVE_AS_XLSX
    assert "另存为" in str(rej.value) and ".xlsx" in str(rej.value)
    assert str(rej.value).startswith("submissions/2023-01/嵩明县/到位资金明细表.et")


def _landing_tables(path: Path) -> dict[str, list[tuple]]:
    """Every landing table's rows, sorted, without the load's timestamps."""
    out = {}
    with duckdb.connect(str(path), read_only=True) as con:
        for (table,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'landing'"
        ).fetchall():
            columns = [
                f'"{name}"'
                for (name,) in con.execute(
                    "select column_name from information_schema.columns where table_schema = "
                    "'landing' and table_name = ? and column_name not in ('loaded_at', "
                    "'superseded_at') order by ordinal_position",
                    [table],
                ).fetchall()
            ]
            query = f"select {', '.join(columns)} from landing.{table} order by all"  # noqa: S608
            out[table] = con.execute(query).fetchall()
    return out


def test_many_files_are_read_in_workers_and_land_as_in_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A load of many files reads them in worker processes (ingest/parallel.py); the landed
    rows, the files set aside and their reasons are the same with one worker, two, or none
    (``ZS_LANDING_WORKERS=0``: read in the loader's own process, as when workers cannot
    start)."""
    from orchestration.ingest import parallel

    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE, raw)
    june = raw / "submissions" / "2023-06"
    (june / "五华区" / "到位资金明细表（坏）.xlsx").write_bytes(b"\x00garbage" * 100)
    sheet = openpyxl.Workbook()
    sheet.active.append(["名称", "金额"])
    sheet.save(june / "五华区" / "不是报表.xlsx")
    (raw / "submissions" / "2023-07" / "不存在区").mkdir()
    shutil.copy(june / "西山区" / "6月明细.csv", raw / "submissions" / "2023-07" / "不存在区")
    # every file but the reference tables (CSV the loader reads itself)
    files = sum(1 for p in raw.rglob("*") if p.is_file() and p.parent.name != "reference")

    read_in = {}
    for workers in ("1", "2", "0"):
        monkeypatch.setenv("ZS_LANDING_WORKERS", workers)
        path = tmp_path / f"workers-{workers}.duckdb"
        with caplog.at_level("INFO", logger=parallel.__name__), duckdb.connect(str(path)) as con:
            load_raw(con, raw)
        read_in[workers] = _landing_tables(path)
    assert [r.getMessage() for r in caplog.records if r.name == parallel.__name__] == [
        f"reading {files} files in worker processes"
    ] * 2  # none for "0"
    assert read_in["2"] == read_in["1"] == read_in["0"]
    reasons = {(row[1].rsplit("/", 1)[-1], row[3]) for row in read_in["2"]["rejected_files"]}
    assert reasons == {
        ("到位资金明细表（坏）.xlsx", "unreadable"),
        ("不是报表.xlsx", "unknown_form"),
        ("6月明细.csv", "unknown_unit"),
    }
    assert len(read_in["2"]["form_a_rows"]) > 15_000


def test_the_number_of_landing_workers_is_a_whole_number(monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.ingest import parallel

    monkeypatch.setenv("ZS_LANDING_WORKERS", "two")
    with pytest.raises(ValueError, match="ZS_LANDING_WORKERS"):
        parallel.workers()
    monkeypatch.setenv("ZS_LANDING_WORKERS", "0")
    assert parallel.workers() == 0


_UNGUARDED_SCRIPT = """
import logging
import sys
from pathlib import Path

import duckdb

from orchestration.ingest.landing import load_raw

logging.basicConfig(level=logging.INFO)
with duckdb.connect(sys.argv[2]) as con:
    print(load_raw(con, Path(sys.argv[1])))
"""


def test_a_script_without_a_main_guard_still_lands_everything(tmp_path: Path) -> None:
    """Spawned workers import the main script again; one without `if __name__ ==
    "__main__":` breaks them, and the loader reads the files itself instead."""
    script = tmp_path / "land.py"
    script.write_text(_UNGUARDED_SCRIPT, encoding="utf-8")
    database = tmp_path / "w.duckdb"
    result = subprocess.run(
        [sys.executable, str(script), str(SAMPLE), str(database)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "ZS_LANDING_WORKERS": "2"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "reading the rest here" in result.stderr
    assert "0 set aside" in result.stdout
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("select count(*) from landing.form_a_rows").fetchone()[0] > 15_000
