"""Benchmark: how fast the loader reads form A workbooks (calamine + form recognition).

Writes a form A workbook of N data rows (two-row merged header, title, unit and footer
rows, as the sample's), then times read_grids + parse, best of three, and prints rows/s
with the machine it ran on. Usage: .venv/bin/python bench/xlsx_read.py [rows]
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import xlsxwriter

from orchestration.ingest.forms import parse
from orchestration.ingest.reading import read_grids


def write_form_a(path: Path, rows: int) -> None:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("到位资金明细表")
    ws.write_row(0, 0, ["某县2023年1-6月招商引资项目到位资金明细表"])
    ws.write_row(1, 0, ["单位：亿元、万美元"])
    ws.write_row(
        2,
        0,
        [
            "序号",
            "项目编号",
            "项目名称",
            "省外产业到位资金",
            "",
            "省内市外到位资金",
            "",
            "实际利用外资",
            "",
            "备注",
        ],
    )
    ws.write_row(
        3, 0, ["", "", "", "本月", "1-6月累计", "本月", "1-6月累计", "本月", "1-6月累计", ""]
    )
    for i in range(rows):
        ws.write_row(
            4 + i, 0, [i + 1, f"KM2023{i:06d}", f"项目{i}", 1.25, 7.5, 0, 0, 12.5, 80.25, ""]
        )
    ws.write_row(4 + rows, 0, ["合计"])
    ws.write_row(6 + rows, 0, ["填报单位：某县投资促进局", "", "填报日期：2023年7月5日"])
    wb.close()


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "到位资金明细表.xlsx"
        write_form_a(path, rows)
        size = path.stat().st_size
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            table = parse(read_grids(path, path.name), path.name)
            best = min(best, time.perf_counter() - t0)
        assert len(table.rows) == rows, len(table.rows)
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"file: {rows:,} data rows, {size / 1e6:.1f} MB")
    print(f"read + recognise + extract: {best:.2f} s (best of 3) = {rows / best:,.0f} rows/s")


if __name__ == "__main__":
    main()
