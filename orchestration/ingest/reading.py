"""Reading spreadsheets and CSV files into grids of cells, with guards against hostile files.

xlsx, and the legacy Excel 97-2003 ``.xls`` many offices and WPS still save, go through
python-calamine (Rust, ~10x openpyxl; merged headers and dates read alike). WPS's own
``.et`` is tried the same way (calamine reads those saved in the Excel 97 format); one it
cannot read is set aside with a reason telling the clerk to save it as .xlsx. CSV goes
through the standard library after decoding UTF-8 (with or without BOM) or GB18030 (a
superset of GBK, what Excel in Chinese writes). Every refusal is a ``Rejection`` that names
the file and says why.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_XLSX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_XLSX_RATIO = 100

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".et", ".csv"}
# what a clerk is told when a WPS .et file cannot be read
SAVE_AS_XLSX = "WPS 表格文件（.et）无法读取：请在 WPS 中“另存为” Excel 工作簿（.xlsx）后重新报送"


@dataclass
class Rejection(Exception):
    """Something in a file that cannot be accepted: where it is, what was wrong, what was expected."""

    file: str
    reason: str
    detail: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    expected: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.sheet:
            where += f" [{self.sheet}]"
        if self.row:
            where += f" 第{self.row}行"
        if self.column:
            where += f" `{self.column}`"
        return f"{where}: {self.detail}"


@dataclass
class Grid:
    sheet: str
    rows: list[list[object]]


def read_grids(path: Path, display: str) -> list[Grid]:
    """All sheets of a spreadsheet (one pseudo-sheet for a CSV) as lists of rows."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise Rejection(display, "too_large", f"file is {size} bytes, limit {MAX_FILE_BYTES}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return [Grid("csv", list(csv.reader(io.StringIO(_decode(path.read_bytes(), display)))))]
    if suffix in (".xlsx", ".xlsm"):
        _check_zip(path, display)
        return _calamine(path, display, "xlsx")
    if suffix == ".xls":
        return _calamine(path, display, "xls (Excel 97-2003)")
    if suffix == ".et":
        try:
            return _calamine(path, display, "et")
        except Rejection as rej:
            raise Rejection(display, "unreadable", SAVE_AS_XLSX, expected=".xlsx") from rej
    raise Rejection(
        display, "unsupported_type", f"'{suffix}' is not a spreadsheet (.xlsx, .xls or .csv)"
    )


def _calamine(path: Path, display: str, kind: str) -> list[Grid]:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        return [
            Grid(name, wb.get_sheet_by_name(name).to_python(skip_empty_area=False))
            for name in wb.sheet_names
        ]
    except Exception as exc:  # calamine raises its own error types
        raise Rejection(display, "unreadable", f"not a readable {kind} workbook: {exc}") from exc


def _decode(data: bytes, display: str) -> str:
    if b"\x00" in data[:4096]:
        raise Rejection(display, "unreadable", "binary content in a .csv file")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Rejection(display, "unreadable", "text is neither UTF-8 nor GBK/GB18030")


def _check_zip(path: Path, display: str) -> None:
    """Refuse zip bombs before a reader expands anything."""
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise Rejection(display, "unreadable", f"not a readable xlsx (zip) file: {exc}") from exc
    compressed = max(path.stat().st_size, 1)
    if total > MAX_XLSX_UNCOMPRESSED or total / compressed > MAX_XLSX_RATIO:
        raise Rejection(
            display,
            "too_large",
            f"expands to {total} bytes from {compressed} (limit {MAX_XLSX_UNCOMPRESSED} bytes, "
            f"ratio {MAX_XLSX_RATIO})",
        )
