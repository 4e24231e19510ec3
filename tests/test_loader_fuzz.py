"""Property-based tests: the loader is fed corrupted files — random bytes named .xlsx,
truncated workbooks, tables with shuffled, missing and duplicated columns, absurd numbers,
files around the limits of ingest/limits.py, files that kill or outlast their reader — and
never crashes: each file lands or is set aside with a reason, and the clean file beside it
still lands."""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from functools import cache
from pathlib import Path

import duckdb
import jinja2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration.ingest.landing import load_raw

from .conftest import REPO, SAMPLE

JUNE = SAMPLE / "submissions" / "2023-06"
CLEAN_CSV = JUNE / "西山区" / "6月明细.csv"  # GBK
CLEAN_XLSX = JUNE / "五华区" / "到位资金明细表.xlsx"
# Example counts scale with the Hypothesis profile: `make test` runs the default profile
# (300 and 1,000 examples), `make test-fast` the "fast" one (conftest.py).
FUZZ = settings(
    max_examples=3 * settings.default.max_examples,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ref")
    shutil.copytree(SAMPLE / "reference", root / "reference")
    return root / "reference"


def _load_with(
    reference: Path, name: str, data: bytes, rows_of: list | None = None
) -> tuple[set[str], dict[str, str]]:
    """Land the corrupted file beside a clean one; return the paths landed and those set
    aside, with their reason. With
    `rows_of`, the form A rows landed from the corrupted file are appended to it as dicts."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp)
        shutil.copytree(reference, raw / "reference")
        unit = raw / "submissions" / "2023-06" / "西山区"
        unit.mkdir(parents=True)
        shutil.copy(CLEAN_CSV, unit / "6月明细.csv")
        (unit / name).write_bytes(data)
        with duckdb.connect() as con:
            load_raw(con, raw)
            landed = {r[0] for r in con.execute("select source_file from landing.files").fetchall()}
            rejected = dict(
                con.execute(
                    "select source_file, reason from landing.rejected_files "
                    "where reason <> '' and detail <> ''"
                ).fetchall()
            )
            if rows_of is not None:
                cursor = con.execute(
                    "select * from landing.form_a_rows where source_file = ?",
                    [f"submissions/2023-06/西山区/{name}"],
                )
                names = [d[0] for d in cursor.description]
                rows_of += [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    return landed, rejected


def _assert_survived(landed: set[str], rejected: dict[str, str], name: str) -> None:
    path = f"submissions/2023-06/西山区/{name}"
    assert "submissions/2023-06/西山区/6月明细.csv" in landed  # the clean file still lands
    assert (path in landed) != (path in rejected)  # the other one lands or is set aside, not both


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes_named_xlsx(reference: Path, data: bytes) -> None:
    landed, rejected = _load_with(reference, "明细（坏）.xlsx", data)
    _assert_survived(landed, rejected, "明细（坏）.xlsx")
    assert "submissions/2023-06/西山区/明细（坏）.xlsx" in rejected


@FUZZ
@given(st.floats(min_value=0.0, max_value=0.999))
def test_truncated_workbooks(reference: Path, cut: float) -> None:
    data = CLEAN_XLSX.read_bytes()
    name = "到位资金明细表（截断）.xlsx"
    landed, rejected = _load_with(reference, name, data[: int(len(data) * cut)])
    _assert_survived(landed, rejected, name)


def _table() -> list[list[str]]:
    text = CLEAN_CSV.read_bytes().decode("gbk")
    return list(csv.reader(io.StringIO(text)))


TABLE = _table()
HEADER_AT = next(i for i, row in enumerate(TABLE) if row and row[0] == "序号")


# the clean table's columns, by the canonical name the loader gives them
CANONICAL = {
    1: "project_code",
    3: "arrived_out_of_province_month",
    4: "arrived_out_of_province_ytd",
    5: "arrived_in_province_month",
    6: "arrived_in_province_ytd",
    7: "fdi_utilized_month",
    8: "fdi_utilized_ytd",
    9: "remark",
}


@FUZZ
@given(st.lists(st.integers(min_value=0, max_value=9), min_size=0, max_size=14))
def test_shuffled_missing_and_duplicated_columns(reference: Path, order: list[int]) -> None:
    rows = [
        [row[i] if i < len(row) else "" for i in order] if n >= HEADER_AT else row
        for n, row in enumerate(TABLE)
    ]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    name = "明细（列乱）.csv"
    landed_rows: list[dict] = []
    landed, rejected = _load_with(reference, name, out.getvalue().encode("utf-8-sig"), landed_rows)
    _assert_survived(landed, rejected, name)
    if 1 not in order:  # no 项目编号 column: no form can be recognised
        assert f"submissions/2023-06/西山区/{name}" in rejected
    # whatever lands, lands in its own column: each value is the original's of that column
    original = {r[1]: r for r in TABLE[HEADER_AT + 1 :] if len(r) > 1 and r[1].startswith("KM")}
    for landed_row in landed_rows:
        if landed_row["project_code"] not in original:
            continue  # a 合计 row whose label column was dropped: R01 names its missing code
        source = original[landed_row["project_code"]]
        for column, name_ in CANONICAL.items():
            if column in order and landed_row.get(name_) is not None:
                assert landed_row[name_] == source[column].strip(), (name_, order)


NUMBER = st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False, allow_infinity=False)
FULL_WIDTH = str.maketrans("0123456789.,", "０１２３４５６７８９．，")


def _spellings(value) -> list[str]:
    """Every way the contract allows a number to be typed."""
    plain = f"{value:f}"
    grouped = f"{value:,.2f}"
    return [
        plain,
        grouped,
        f"  {plain} ",
        f"\u3000{grouped}\u3000",  # full-width spaces
        plain.translate(FULL_WIDTH),
        grouped.translate(FULL_WIDTH),
    ]


@FUZZ
@given(NUMBER)
def test_every_spelling_of_a_number_reads_to_its_exact_value(value) -> None:
    sql = f"select {_parse_number_sql()} from (select unnest(?) as v)"  # noqa: S608 (our macro)
    read = [r[0] for r in _numbers().execute(sql, [_spellings(value)]).fetchall()]
    assert read == [value] * len(read), (value, _spellings(value), read)


def test_scientific_notation_is_read_as_a_number() -> None:
    """Excel writes very small or large numbers as 1E-05 when it saves a CSV: a number, read
    as its value (a decision: it is not a clerk's typo)."""
    sql = f"select {_parse_number_sql()} from (select unnest(?) as v)"  # noqa: S608 (our macro)
    with duckdb.connect() as con:
        read = [r[0] for r in con.execute(sql, [["1e-05", "1.5E+3", "2E2"]]).fetchall()]
    assert [str(v.normalize()) for v in read] == ["0.00001", "1.5E+3", "2E+2"]


@FUZZ
@given(st.floats(min_value=0.0, max_value=0.999), st.sampled_from(["sheet", "strings"]))
def test_workbooks_cut_inside_an_entry(reference: Path, cut: float, which: str) -> None:
    """A zip that opens but whose worksheet (or shared strings) XML stops midway."""
    import zipfile

    with zipfile.ZipFile(CLEAN_XLSX) as source:
        names = source.namelist()
        victim = next(
            n
            for n in names
            if (which == "sheet" and n.startswith("xl/worksheets/sheet"))
            or (which == "strings" and n == "xl/sharedStrings.xml")
        )
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as broken:
            for n in names:
                content = source.read(n)
                broken.writestr(n, content[: int(len(content) * cut)] if n == victim else content)
    name = "到位资金明细表（坏条目）.xlsx"
    landed, rejected = _load_with(reference, name, buffer.getvalue())
    _assert_survived(landed, rejected, name)


@cache
def _parse_number_sql() -> str:
    """The parse_number macro rendered once (every example reads through the same SQL)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(REPO / "dbt_project" / "macros"))
    return env.get_template("amounts.sql").module.parse_number("v")


@cache
def _numbers() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB for the number properties (opening one per example cost more
    than the example)."""
    return duckdb.connect()


ABSURD = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "1e400",
            "-1e400",
            "NaN",
            "inf",
            "--5",
            "12..5",
            "１２３４５６７８９０１２３４５６７８９０１２３",
            "9" * 40,
            "0x1F",
            "١٢٣",
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@settings(max_examples=10 * settings.default.max_examples, deadline=None)
@given(ABSURD)
def test_absurd_numbers_read_as_a_number_or_as_not_a_number(text: str) -> None:
    sql = f"select {_parse_number_sql()} from (select ? as v)"  # noqa: S608 (our macro)
    (value,) = _numbers().execute(sql, [text]).fetchone()
    # a finite number or not-a-number (null), never a crash; absurd sizes are R16's to flag
    assert value is None or value.is_finite()


# --- hostile kinds: the limits of ingest/limits.py, around their edges ------------------

ROWS_LIMIT, CHARS_LIMIT, CELLS_LIMIT = 80, 1000, 10_000


@FUZZ
@given(st.integers(min_value=1, max_value=120), st.integers(min_value=0, max_value=1500))
def test_rows_and_cells_around_their_limits(
    reference: Path, monkeypatch: pytest.MonkeyPatch, rows: int, chars: int
) -> None:
    """A form A of ``rows`` data rows whose first 备注 has ``chars`` characters: it lands
    when both are within the limits (lowered here), else it is set aside with the limit it
    broke — the cell first, read before the rows run out."""
    monkeypatch.setenv("ZS_LIMIT_SHEET_ROWS", str(ROWS_LIMIT))
    monkeypatch.setenv("ZS_LIMIT_CELL_CHARS", str(CHARS_LIMIT))
    data = [r for r in TABLE[HEADER_AT + 1 :] if len(r) > 9 and r[1].startswith("KM")]
    body = [list(data[i % len(data)]) for i in range(rows)]
    body[0][9] = "长" * chars
    out = io.StringIO()
    csv.writer(out).writerows(TABLE[: HEADER_AT + 1] + body)
    name = "明细（边界）.csv"
    landed, rejected = _load_with(reference, name, out.getvalue().encode("utf-8-sig"))
    _assert_survived(landed, rejected, name)
    path = f"submissions/2023-06/西山区/{name}"
    if chars > CHARS_LIMIT:
        assert rejected[path] == "cell_too_long"
    elif HEADER_AT + 1 + rows > ROWS_LIMIT:
        assert rejected[path] == "too_many_rows"
    else:
        assert path in landed


@FUZZ
@given(st.integers(min_value=1, max_value=300), st.integers(min_value=1, max_value=300))
def test_any_declared_area_lands_or_is_refused_before_it_is_read(
    reference: Path, monkeypatch: pytest.MonkeyPatch, columns: int, rows: int
) -> None:
    """The clean workbook with its sheets declaring A1 to the given corner: refused
    (``sheet_too_large``) exactly when the declared area passes the limit (lowered here),
    else it lands — a small or lying declaration changes nothing that is read."""
    import re
    import zipfile

    from orchestration.ingest.landing import column_letter

    monkeypatch.setenv("ZS_LIMIT_SHEET_CELLS", str(CELLS_LIMIT))
    corner = f"{column_letter(columns - 1)}{rows}".encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(CLEAN_XLSX) as source, zipfile.ZipFile(buffer, "w") as out:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                content = re.sub(
                    rb'<dimension ref="[^"]*"', b'<dimension ref="A1:' + corner + b'"', content
                )
            out.writestr(info, content)
    name = "到位资金明细表（声明区域）.xlsx"
    landed, rejected = _load_with(reference, name, buffer.getvalue())
    _assert_survived(landed, rejected, name)
    path = f"submissions/2023-06/西山区/{name}"
    if columns * rows > CELLS_LIMIT:
        assert rejected[path] == "sheet_too_large"
    else:
        assert path in landed


def test_a_file_that_kills_its_reader_or_outlasts_it_costs_only_itself(
    reference: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Native aborts and runaway reads happen in a worker process: the file is set aside
    with why, the clean file beside it lands, and the load goes on."""
    import re
    import zipfile

    import openpyxl

    sparse = tmp_path / "sparse.xlsx"
    book = openpyxl.Workbook()
    book.active["A1"] = "项目编号"
    book.active["XFD1048576"] = 1  # the reader would allocate 512 GiB
    book.save(sparse)
    buffer = io.BytesIO()
    with zipfile.ZipFile(sparse) as source, zipfile.ZipFile(buffer, "w") as out:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):  # the cheap check cannot see it
                content = re.sub(rb"<dimension[^>]*/>", b"", content)
            out.writestr(info, content)
    landed, rejected = _load_with(reference, "读取程序崩溃.xlsx", buffer.getvalue())
    _assert_survived(landed, rejected, "读取程序崩溃.xlsx")
    assert rejected["submissions/2023-06/西山区/读取程序崩溃.xlsx"] == "reader_crashed"

    # a form whose reading takes longer than the time limit (lowered to a tenth of a second)
    monkeypatch.setenv("ZS_LIMIT_READ_SECONDS", "0.1")
    out = io.StringIO()
    data = [r for r in TABLE[HEADER_AT + 1 :] if len(r) > 1 and r[1].startswith("KM")]
    csv.writer(out).writerows(TABLE[: HEADER_AT + 1] + data * (90_000 // len(data)))
    slow = out.getvalue().encode("utf-8-sig")
    landed, rejected = _load_with(reference, "很慢.csv", slow)
    _assert_survived(landed, rejected, "很慢.csv")
    assert rejected["submissions/2023-06/西山区/很慢.csv"] == "read_timeout"
