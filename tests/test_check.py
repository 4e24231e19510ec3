"""`zhaoshang check`: the clerks' self-check shares the loader's parser and the rules."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from orchestration.check import check

from . import spreadsheets as ss
from .conftest import SAMPLE

JUNE = SAMPLE / "submissions" / "2023-06"


@pytest.fixture(autouse=True)
def sample_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZS_RAW_DIR", str(SAMPLE))


def test_a_good_submission_passes() -> None:
    out = io.StringIO()
    assert check(JUNE / "五华区", out=out) == 0
    assert "0 个错误" in out.getvalue()


def test_a_form_for_a_month_that_has_not_ended_can_be_checked(tmp_path: Path) -> None:
    """The warehouse waits for the month to end; the clerk's check does not."""
    folder = tmp_path / "submissions" / "2099-01" / "五华区"
    shutil.copytree(SAMPLE / "submissions" / "2023-01" / "五华区", folder)
    out = io.StringIO()
    assert check(folder, out=out) == 0, out.getvalue()


def test_a_typo_is_named_by_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "6月明细.csv"
    shutil.copy(JUNE / "西山区" / "6月明细.csv", path)
    project = next(
        r[1] for r in ss.rows(path) if len(r) > 4 and r[1].startswith("KM") and float(r[4]) > 0
    )
    ss.edit(path, ss.row_with(project), 4, lambda v: "12..5")
    out = io.StringIO()
    assert check(path, period="2023-06", unit="西山区", out=out) == 1
    text = out.getvalue()
    assert "[错误] R01" in text
    assert "'12..5' 不是数字" in text
    assert "`本年累计省外到位资金`（E列）" in text and "第" in text


def test_a_file_that_is_not_a_spreadsheet_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "明细.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    out = io.StringIO()
    assert check(path, period="2023-06", unit="西山区", out=out) == 1
    assert "明细.xlsx" in out.getvalue()
