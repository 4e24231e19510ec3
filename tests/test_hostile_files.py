"""No file can stop a run, and a run that failed never publishes.

Hostile files of every kind clerks (or accidents) produce sit beside the clean sample: each
is set aside with its reason, the run goes on, and every figure equals the clean build's.
A run that fails after a publish leaves the published file, its Parquet and the report as
they were, byte for byte, and is recorded as ``failed``. These tests start from the
session's clean build (a copy, rebuilt only for the month touched), not a build of their own.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest

from orchestration.publish import FAILED_RUNS

from .conftest import HISTORY, Built, copy_build, marts_fingerprint, run_warehouse

pytestmark = pytest.mark.slow

DECEMBER = "2023-12"


def _sparse_workbook(path: Path, keep_dimension: bool) -> None:
    """Two cells, A1 and XFD1048576: a reader allocates the whole area (512 GiB). Without
    the sheet's <dimension> element the cheap check cannot see it, and the reader dies."""
    book = openpyxl.Workbook()
    book.active["A1"] = "项目编号"
    book.active["XFD1048576"] = 1
    book.save(path)
    if keep_dimension:
        return
    stripped = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(stripped, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"<dimension[^>]*/>", b"", data)
            dst.writestr(info, data)
    stripped.replace(path)


def _zip_version_too_new(source: Path, path: Path) -> None:
    """A real workbook whose zip directory says it needs zip version 10.0 to extract."""
    data = bytearray(source.read_bytes())
    at = data.find(b"PK\x01\x02")
    data[at + 6 : at + 8] = struct.pack("<H", 100)
    path.write_bytes(bytes(data))


HOSTILE = {
    # file name (in 五华区's December folder) -> the reason it is set aside with
    "长单元格.csv": "cell_too_long",
    "稀疏.xlsx": "sheet_too_large",
    "读取程序崩溃.xlsx": "reader_crashed",
    "压缩版本.xlsx": "unreadable",
    "一百万行.csv": "too_many_rows",
    "~$到位资金明细表.xlsx": "hidden_file",
    ".DS_Store": "hidden_file",
}


def _plant(raw: Path) -> Path:
    unit = raw / "submissions" / DECEMBER / "五华区"
    clean = unit / "到位资金明细表.xlsx"
    (unit / "长单元格.csv").write_text(
        "序号,项目编号,项目名称\n1,KM-X," + "长" * 200_000 + "\n", encoding="utf-8"
    )
    _sparse_workbook(unit / "稀疏.xlsx", keep_dimension=True)
    _sparse_workbook(unit / "读取程序崩溃.xlsx", keep_dimension=False)
    _zip_version_too_new(clean, unit / "压缩版本.xlsx")
    with (unit / "一百万行.csv").open("w", encoding="utf-8") as f:
        f.write("序号,项目编号\n" + "1,KM\n" * 1_000_000)
    shutil.copy(clean, unit / "~$到位资金明细表.xlsx")
    (unit / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (raw / "submissions" / DECEMBER / "不存在的单位").mkdir()  # an empty unit folder
    return unit


def test_no_hostile_file_stops_a_run_and_every_figure_stays(
    clean_build: Built, tmp_path: Path
) -> None:
    raw, data = copy_build(clean_build, tmp_path)
    _plant(raw)
    built = run_warehouse(raw, data)
    assert built.exit_code in (0, 3)
    reasons = dict(
        built.query(
            "select source_file, reason from landing.rejected_files where source_file like ?",
            [f"submissions/{DECEMBER}/%"],
            build=True,
        )
    )
    prefix = f"submissions/{DECEMBER}/五华区/"
    for name, reason in HOSTILE.items():
        assert reasons.get(prefix + name) == reason, name
    assert reasons[f"submissions/{DECEMBER}/不存在的单位"] == "empty_folder"
    # each says what was wrong and what to do, in Chinese
    details = dict(built.query("select source_file, detail from audit.rejected_files"))
    assert (
        "32,767" in details[prefix + "长单元格.csv"] and "第2行" in details[prefix + "长单元格.csv"]
    )
    assert "A1:XFD1048576" in details[prefix + "稀疏.xlsx"]
    assert "读取程序中止" in details[prefix + "读取程序崩溃.xlsx"]
    assert "另存为" in details[prefix + "压缩版本.xlsx"]
    # the clean files beside them landed, and every figure is the clean build's
    assert marts_fingerprint(built.published, skip_tables=HISTORY) == marts_fingerprint(
        clean_build.published, skip_tables=HISTORY
    )


def _digest(data: Path) -> dict[str, str]:
    """A hash of everything the readers see: the published file, the Parquet files the
    link points at, the report."""
    files = [data / "warehouse.duckdb", data / "report" / "index.html"]
    files += sorted((data / "parquet").resolve().glob("*.parquet"))
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def test_a_run_that_fails_after_a_publish_changes_nothing_and_is_logged_failed(
    clean_build: Built, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    raw, data = copy_build(clean_build, tmp_path)
    before = _digest(data)
    parquet = (data / "parquet").resolve()

    # an empty (or unmounted) raw folder: one clear line, nothing rebuilt or published
    empty = tmp_path / "unmounted"
    empty.mkdir()
    failed = run_warehouse(empty, data)
    assert failed.exit_code == 1
    err = capsys.readouterr().err
    assert f"no submissions under {empty}" in err and "Traceback" not in err
    assert _digest(data) == before and (data / "parquet").resolve() == parquet

    # a run whose dbt step fails after landing: the reference units vanish, the models
    # that need them break; the checks and the publish never run
    (raw / "reference" / "units.csv").unlink()
    broken = run_warehouse(raw, data)
    assert broken.exit_code == 1
    assert "运行失败" in capsys.readouterr().err
    assert _digest(data) == before and (data / "parquet").resolve() == parquet

    logged = [json.loads(x) for x in (data / FAILED_RUNS).read_text("utf-8").splitlines()]
    assert [r["decision"] for r in logged] == ["failed", "failed"]
    assert logged[0]["failed_step"] == "landing"
    assert logged[1]["failed_step"]

    # the next good run publishes, and the failures are in its audit.publish_log
    shutil.copy(clean_build.raw / "reference" / "units.csv", raw / "reference" / "units.csv")
    good = run_warehouse(raw, data)
    assert good.exit_code == 0
    log = good.query(
        "select decision, failed_step from audit.publish_log order by published_at desc limit 3"
    )
    assert [d for d, _ in log] == ["published", "failed", "failed"]
    assert log[2][1] == "landing"
    assert not (data / FAILED_RUNS).exists()
