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
