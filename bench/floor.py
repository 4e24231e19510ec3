"""The floor: the least a pipeline over the same files must do, hand-written.

Reads every form A file (到位资金明细表) under a raw folder — xlsx with python-calamine, CSV
with the csv module in UTF-8 or GBK — in two processes, keeps the project rows, scales the
amounts to 亿元 by the unit the header declares, loads them into DuckDB as the fact (one
row per period × unit × project: 本月 and 累计 of the three amounts) and computes each
prefecture's totals per month. No revisions, no rules, no audit: what any warehouse must at
least pay to read the files, the yardstick for `bench/run.py`.

Usage: .venv/bin/python bench/floor.py RAW_DIR [DB_PATH]
"""

from __future__ import annotations

import csv
import io
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import duckdb
import pyarrow as pa
from python_calamine import CalamineWorkbook

PROJECT_CODE = re.compile(r"^[A-Z]{2}\d{8,10}$")
FULL_WIDTH = str.maketrans("０１２３４５６７８９．，－　", "0123456789.,- ")
COLUMNS = (
    "oop_month",
    "oop_ytd",
    "inp_month",
    "inp_ytd",
    "fdi_month",
    "fdi_ytd",
)  # the form's columns 3..8, in every house style


def _number(cell: object) -> float:
    if isinstance(cell, int | float):
        return float(cell)
    text = str(cell).translate(FULL_WIDTH).replace(",", "").strip()
    try:
        return float(text)
    except ValueError:
        return 0.0


def _amount_factor(head: str) -> float:
    """亿元 per unit of the amount columns (元, 万元 or 亿元 as the header says)."""
    head = head.replace("美元", "")
    if "万元" in head:
        return 1e-4
    if "亿元" in head:
        return 1.0
    return 1e-8 if "元" in head else 1.0


def _fdi_factor(head: str) -> float:
    """万美元 per unit of the 外资 columns."""
    if "亿美元" in head:
        return 1e4
    if "万美元" in head:
        return 1.0
    return 1e-4 if "美元" in head else 1.0


def read_form_a(path: str) -> list[tuple]:
    p = Path(path)
    if p.suffix == ".csv":
        data = p.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("gbk")
        rows: list[list] = list(csv.reader(io.StringIO(text)))
    else:
        book = CalamineWorkbook.from_path(path)
        sheets = (book.get_sheet_by_index(i).to_python() for i in range(len(book.sheet_names)))
        rows = next(s for s in sheets if any("项目编号" in map(str, r) for r in s[:6]))
    head = " ".join(str(c) for r in rows[:4] for c in r)
    amount, fdi = _amount_factor(head), _fdi_factor(head)
    scale = (amount, amount, amount, amount, fdi, fdi)
    period, folder = p.parts[-3], p.parts[-2]
    out = []
    for row in rows:
        if len(row) > 8 and PROJECT_CODE.match(str(row[1]).strip()):
            values = [_number(row[3 + i]) * scale[i] for i in range(6)]
            out.append((period, folder, str(row[1]).strip(), *values))
    return out


def run(raw: Path, db: Path) -> dict[str, float]:
    started = time.perf_counter()
    files = sorted(str(p) for p in (raw / "submissions").rglob("*明细*") if p.is_file())
    rows: list[tuple] = []
    with ProcessPoolExecutor(max_workers=2) as pool:
        for part in pool.map(read_form_a, files, chunksize=64):
            rows.extend(part)
    parsed = time.perf_counter()
    names = ("period", "folder", "project_code", *COLUMNS)
    table = pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)})
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    units = str(raw / "reference" / "units.csv")
    aliases = str(raw / "reference" / "aliases.csv")
    con.execute("create table units as select * from read_csv(?, all_varchar = true)", [units])
    con.execute("create table aliases as select * from read_csv(?, all_varchar = true)", [aliases])
    con.register("arrow_rows", table)
    con.execute(
        """
        create table fact as
        with folders as (
            select unit_code as folder, unit_code from units
            union select unit_name, unit_code from units
            union select alias, unit_code from aliases
        )
        select t.period, u.unit_code, u.unit_type, u.parent_code as prefecture_code,
               t.* exclude (period, folder)
        from arrow_rows as t
        join folders as f on t.folder = f.folder
        join units as u on f.unit_code = u.unit_code
        """
    )
    con.execute(
        """
        create table prefecture_totals as
        select period, prefecture_code,
               round(sum(oop_ytd), 2) as oop_ytd_yi_yuan,
               round(sum(inp_ytd), 2) as inp_ytd_yi_yuan,
               round(sum(fdi_ytd), 2) as fdi_ytd_wan_usd
        from fact
        where unit_type in ('county', 'zone')
        group by all
        """
    )
    (facts,) = con.execute("select count(*) from fact").fetchone()
    con.close()
    done = time.perf_counter()
    return {
        "files": len(files),
        "rows": len(rows),
        "fact_rows": facts,
        "parse_s": parsed - started,
        "total_s": done - started,
    }


if __name__ == "__main__":
    raw = Path(sys.argv[1])
    db = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("floor.duckdb")
    print(run(raw, db))
