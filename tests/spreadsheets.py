"""Editing copies of the sample the way a clerk would: with real spreadsheet writers.

xlsx files are opened and saved with openpyxl (merged headers survive); CSV files are
rewritten in the encoding they came in (UTF-8 with BOM or GBK).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import openpyxl

Match = Callable[[list[str]], bool]


def row_with(*texts: str) -> Match:
    """Matches the row whose cells contain all the given texts."""

    def match(cells: list[str]) -> bool:
        return all(any(t == c or (t in c and len(t) > 3) for c in cells) for t in texts)

    return match


def _encoding(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "gbk"


def edit(
    path: Path, match: Match, column: int, change: Callable[[object], object]
) -> tuple[object, object]:
    """Change one cell (0-based column) in the first matching row; returns (old, new)."""
    if path.suffix == ".csv":
        data = path.read_bytes()
        enc = _encoding(data)
        rows = list(csv.reader(io.StringIO(data.decode(enc))))
        for row in rows:
            if len(row) > column and match([c.strip() for c in row]):
                old = row[column]
                new = change(float(old) if is_number(old) else old)
                row[column] = str(new)
                out = io.StringIO()
                csv.writer(out).writerows(rows)
                path.write_bytes(out.getvalue().encode(enc))
                return old, new
    else:
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                cells = ["" if c.value is None else str(c.value).strip() for c in row]
                if len(row) > column and match(cells):
                    cell = row[column]
                    old = cell.value
                    cell.value = change(old)
                    wb.save(path)
                    return old, cell.value
    raise LookupError(f"no matching row in {path}")


def insert_csv_row(path: Path, cells: list[str], before: str = "合计") -> None:
    """Insert a row into a CSV form, in its own encoding, above the row starting with
    `before` (the total) or at the end."""
    data = path.read_bytes()
    enc = _encoding(data)
    rows = list(csv.reader(io.StringIO(data.decode(enc))))
    at = next((i for i, r in enumerate(rows) if r and r[0].strip() == before), len(rows))
    rows.insert(at, cells)
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    path.write_bytes(out.getvalue().encode(enc))


def rows(path: Path) -> list[list[str]]:
    """The file's cells as text, first sheet with a table (for finding what to break)."""
    if path.suffix == ".csv":
        data = path.read_bytes()
        return list(csv.reader(io.StringIO(data.decode(_encoding(data)))))
    wb = openpyxl.load_workbook(path, read_only=True)
    ws = wb.worksheets[-1]
    return [["" if v is None else str(v) for v in r] for r in ws.iter_rows(values_only=True)]


def is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


# --- adding a change up the way a clerk's spreadsheet would ---------------------------------

TO_CANONICAL = {"亿元": 1.0, "万元": 1e-4, "元": 1e-8, "万美元": 1.0, "亿美元": 1e4, "美元": 1e-4}
# form S columns: 指标, 单位, 本月, 累计, 上年同期累计, 同比增长(%), 年度目标, 完成率(%)
S_UNIT, S_MONTH, S_YTD, S_LAST, S_YOY, S_TARGET, S_RATE = 1, 2, 3, 4, 5, 6, 7


def add_to_summary(path: Path, label: str, delta_canonical: float, month: bool = True) -> None:
    """Add a change (亿元 / 万美元, or a count) to a form S row's 累计 (and 本月), in the row's
    own unit, and recompute its 同比 and 完成率 the way the form's formulas would."""
    row = next(r for r in rows(path) if r and r[0].strip() == label)
    factor = TO_CANONICAL.get(row[S_UNIT].strip(), 1.0)
    delta = delta_canonical / factor
    ytd = float(row[S_YTD]) + delta
    columns = {S_YTD: round(ytd, 6)}
    if month:
        columns[S_MONTH] = round(float(row[S_MONTH]) + delta, 6)
    if is_number(row[S_LAST]) and float(row[S_LAST]):
        columns[S_YOY] = round((ytd - float(row[S_LAST])) / float(row[S_LAST]) * 100, 2)
    if len(row) > S_RATE and is_number(row[S_TARGET]) and float(row[S_TARGET]):
        columns[S_RATE] = round(ytd / float(row[S_TARGET]) * 100, 2)
    for column, value in columns.items():
        edit(path, row_with(label), column, lambda v, value=value: value)


def add_to_published(path: Path, label: str, delta: float, city: str = "昆明市") -> None:
    """Add a change to the province's figure for the city, and to the province's total."""
    for area in (city, "云南省"):
        edit(path, row_with(area, label), 2, lambda v: f"{float(v) + delta:.2f}")
