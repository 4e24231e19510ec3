"""Property-based tests: the loader is fed corrupted files — random bytes named .xlsx,
truncated workbooks, tables with shuffled, missing and duplicated columns, absurd numbers —
and never crashes: each file lands or is set aside with a reason, and the clean file
beside it still lands."""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
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
) -> tuple[set[str], set[str]]:
    """Land the corrupted file beside a clean one; return (landed, rejected) paths. With
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
            rejected = {
                r[0]
                for r in con.execute(
                    "select source_file from landing.rejected_files where reason <> '' and detail <> ''"
                ).fetchall()
            }
            if rows_of is not None:
                cursor = con.execute(
                    "select * from landing.form_a_rows where source_file = ?",
                    [f"submissions/2023-06/西山区/{name}"],
                )
                names = [d[0] for d in cursor.description]
                rows_of += [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    return landed, rejected


def _assert_survived(landed: set[str], rejected: set[str], name: str) -> None:
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
    with duckdb.connect() as con:
        read = [r[0] for r in con.execute(sql, [_spellings(value)]).fetchall()]
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


def _parse_number_sql() -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(REPO / "dbt_project" / "macros"))
    return env.get_template("amounts.sql").module.parse_number("v")


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
    with duckdb.connect() as con:
        (value,) = con.execute(sql, [text]).fetchone()
    # a finite number or not-a-number (null), never a crash; absurd sizes are R16's to flag
    assert value is None or value.is_finite()
