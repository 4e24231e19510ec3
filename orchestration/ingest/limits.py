"""The limits a submitted file must stay within, in one place.

A file beyond a limit is set aside with a reason naming the limit (``landing.rejected_files``),
and the run goes on with every other file. Each limit has a default sized for what clerks
really send (a form A has hundreds of rows and about twenty columns; a prefecture's register
at the largest benchmark tier 15,000 rows) with a wide margin, and can be changed with its
environment variable. The README's table of limits is this module's ``LIMITS``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    env: str  # the environment variable that overrides the default
    default: int
    meaning: str  # what is limited, in words, for the README and the messages

    def value(self) -> float:
        """The limit in force: the environment variable when set, else the default (a whole
        number; seconds may have decimals)."""
        text = os.environ.get(self.env, "").strip().replace("_", "")
        if not text:
            return self.default
        try:
            number = float(text) if "." in text else int(text)
        except ValueError:
            number = 0
        if number <= 0:
            raise ValueError(f"{self.env} must be a positive number, not {text!r}")
        return number


FILE_BYTES = Limit("ZS_LIMIT_FILE_BYTES", 50 * 1024 * 1024, "bytes in one file")
XLSX_UNCOMPRESSED_BYTES = Limit(
    "ZS_LIMIT_XLSX_UNCOMPRESSED_BYTES", 200 * 1024 * 1024, "bytes an .xlsx expands to"
)
XLSX_RATIO = Limit("ZS_LIMIT_XLSX_RATIO", 100, "times an .xlsx expands (zip bombs)")
SHEET_CELLS = Limit(
    "ZS_LIMIT_SHEET_CELLS", 5_000_000, "cells in the area a worksheet declares (rows × columns)"
)
SHEET_ROWS = Limit("ZS_LIMIT_SHEET_ROWS", 100_000, "rows in one sheet or CSV file")
CELL_CHARS = Limit("ZS_LIMIT_CELL_CHARS", 32_767, "characters in one cell (Excel's own limit)")
READER_MEMORY_MB = Limit(
    "ZS_LIMIT_READER_MEMORY_MB", 2048, "MB of memory a reading worker process may take"
)
READ_SECONDS = Limit("ZS_LIMIT_READ_SECONDS", 120, "seconds a worker may spend on one file")

LIMITS = (
    FILE_BYTES,
    XLSX_UNCOMPRESSED_BYTES,
    XLSX_RATIO,
    SHEET_CELLS,
    SHEET_ROWS,
    CELL_CHARS,
    READER_MEMORY_MB,
    READ_SECONDS,
)
