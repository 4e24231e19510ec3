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
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .limits import (
    CELL_CHARS,
    FILE_BYTES,
    SHEET_CELLS,
    SHEET_ROWS,
    XLSX_RATIO,
    XLSX_UNCOMPRESSED_BYTES,
)

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".et", ".csv"}
# what a clerk is told when a WPS .et file cannot be read
SAVE_AS_XLSX = "WPS 表格文件（.et）无法读取：请在 WPS 中“另存为” Excel 工作簿（.xlsx）后重新报送"
# what a clerk is told to do with a file too large or too strange to read
COPY_THE_TABLE = "请把报表区域复制到一个新的工作簿，另存为 .xlsx 后重新报送"


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
    """All sheets of a spreadsheet (one pseudo-sheet for a CSV) as lists of rows. The cheap
    checks come first (size, an .xlsx's zip directory and the area its sheets declare), so
    that a file beyond a limit (``limits.py``) is refused before a reader allocates for it."""
    size = path.stat().st_size
    limit = FILE_BYTES.value()
    if size > limit:
        raise Rejection(
            display,
            "too_large",
            f"文件有 {size:,} 字节，超过上限 {limit:,} 字节：{COPY_THE_TABLE}",
            expected=f"at most {limit} bytes ({FILE_BYTES.env})",
        )
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return [Grid("csv", _csv_rows(_decode(path.read_bytes(), display), display))]
    if suffix in (".xlsx", ".xlsm"):
        _check_zip(path, display)
        return _within_rows(_calamine(path, display, "xlsx"), display)
    if suffix == ".xls":
        return _within_rows(_calamine(path, display, "xls (Excel 97-2003)"), display)
    if suffix == ".et":
        try:
            return _calamine(path, display, "et")
        except Rejection as rej:
            raise Rejection(display, "unreadable", SAVE_AS_XLSX, expected=".xlsx") from rej
    raise Rejection(
        display, "unsupported_type", f"'{suffix}' is not a spreadsheet (.xlsx, .xls or .csv)"
    )


def _csv_rows(text: str, display: str) -> list[list[str]]:
    """A CSV file's rows, refused past ``SHEET_ROWS`` rows or a cell of ``CELL_CHARS``."""
    max_rows, max_chars = SHEET_ROWS.value(), CELL_CHARS.value()
    csv.field_size_limit(max_chars)
    reader = csv.reader(io.StringIO(text))
    rows: list[list[str]] = []
    try:
        for row in reader:
            if len(rows) >= max_rows:
                raise _too_many_rows(display, "csv", max_rows)
            rows.append(row)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise Rejection(
                display,
                "cell_too_long",
                f"有一个单元格超过 {max_chars:,} 个字符（Excel 单元格的上限）：请检查该行是否把"
                "整段文字或多行内容粘进了一个单元格，改正后重新报送",
                row=reader.line_num,
                expected=f"cells of at most {max_chars} characters ({CELL_CHARS.env})",
            ) from exc
        raise Rejection(
            display,
            "unreadable",
            f"不是可读的 CSV 文件（{exc}）：请用 Excel 或 WPS 另存为 .xlsx 后重新报送",
            row=reader.line_num,
        ) from exc
    return rows


def _too_many_rows(display: str, sheet: str, limit: int) -> Rejection:
    return Rejection(
        display,
        "too_many_rows",
        f"超过 {limit:,} 行，远多于任何一张报表的行数：{COPY_THE_TABLE}",
        sheet=sheet,
        expected=f"at most {limit} rows a sheet ({SHEET_ROWS.env})",
    )


def _within_rows(grids: list[Grid], display: str) -> list[Grid]:
    limit = SHEET_ROWS.value()
    for grid in grids:
        if len(grid.rows) > limit:
            raise _too_many_rows(display, grid.sheet, limit)
    return grids


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
    """Refuse zip bombs, and sheets declaring an area beyond ``SHEET_CELLS`` cells, before a
    reader expands anything (a reader allocates the whole declared area: two cells at A1 and
    XFD1048576 would take 512 GiB)."""
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(i.file_size for i in zf.infolist())
            max_total, max_ratio = XLSX_UNCOMPRESSED_BYTES.value(), XLSX_RATIO.value()
            compressed = max(path.stat().st_size, 1)
            if total > max_total or total / compressed > max_ratio:
                raise Rejection(
                    display,
                    "too_large",
                    f"解压后有 {total:,} 字节（压缩前 {compressed:,} 字节），超过上限 {max_total:,} "
                    f"字节或 {max_ratio} 倍，可能是“压缩炸弹”：{COPY_THE_TABLE}",
                    expected=f"at most {max_total} bytes and {max_ratio}x "
                    f"({XLSX_UNCOMPRESSED_BYTES.env}, {XLSX_RATIO.env})",
                )
            for name in sorted(n for n in zf.namelist() if _WORKSHEET.fullmatch(n)):
                with zf.open(name) as part:
                    _check_dimension(part.read(_DIMENSION_WITHIN), name, display)
    except Rejection:
        raise
    except Exception as exc:  # zipfile raises several types (NotImplementedError for a version)
        raise Rejection(
            display,
            "unreadable",
            f"不是可读的 .xlsx（zip）文件（{type(exc).__name__}: {exc}）：请用 Excel 或 WPS 打开后"
            "另存为 .xlsx 再报送",
        ) from exc


_WORKSHEET = re.compile(r"xl/worksheets/[^/]+\.xml", re.IGNORECASE)
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?"')
_DIMENSION_WITHIN = 64 * 1024  # the element comes before the cells, near the start


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _check_dimension(head: bytes, part: str, display: str) -> None:
    found = _DIMENSION.search(head)
    if found is None or found.group(3) is None:
        return
    first_col, first_row, last_col, last_row = found.groups()
    rows = int(last_row) - int(first_row) + 1
    columns = _column_number(last_col) - _column_number(first_col) + 1
    limit = SHEET_CELLS.value()
    if rows * columns > limit:
        declared = (
            f"{first_col.decode()}{first_row.decode()}:{last_col.decode()}{last_row.decode()}"
        )
        raise Rejection(
            display,
            "sheet_too_large",
            f"工作表（{part.rsplit('/', 1)[-1]}）声明的区域 {declared} 有 {rows * columns:,} 个"
            f"单元格，超过上限 {limit:,}（通常是远处某个单元格被误填或设了格式）：{COPY_THE_TABLE}",
            expected=f"a declared area of at most {limit} cells ({SHEET_CELLS.env})",
        )
