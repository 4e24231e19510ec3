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


def _load_with(reference: Path, name: str, data: bytes) -> tuple[set[str], set[str]]:
    """Land the corrupted file beside a clean one; return (landed, rejected) paths."""
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
    landed, rejected = _load_with(reference, name, out.getvalue().encode("utf-8-sig"))
    _assert_survived(landed, rejected, name)
    if 1 not in order:  # no 项目编号 column: no form can be recognised
        assert f"submissions/2023-06/西山区/{name}" in rejected


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
