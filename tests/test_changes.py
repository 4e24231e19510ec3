"""What counts as a change since the last run (``orchestration/changes.py``): file content,
not its time stamp; the code; a deadline passing. No build: a raw folder of a few files."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from orchestration import changes

from .conftest import pointing_at


@pytest.fixture
def folders(tmp_path: Path):
    raw, data = tmp_path / "raw", tmp_path / "data"
    (raw / "reference").mkdir(parents=True)
    (raw / "reference" / "units.csv").write_text("unit_code,unit_name\n530102,五华区\n")
    month = raw / "submissions" / "2023-06" / "五华区"
    month.mkdir(parents=True)
    (month / "明细.csv").write_text("序号,项目编号\n1,KM20230001\n")
    (data / "build").mkdir(parents=True)
    (data / "warehouse.duckdb").write_bytes(b"")
    (data / "build" / "warehouse.duckdb").write_bytes(b"")
    with pointing_at(raw, data):
        yield raw, data


def _save() -> dict:
    """A successful run now: its state saved, and loaded back as the next run sees it."""
    changes.save_state(changes.current_state(changes.scan({})), started_at="t")
    return changes.trusted(changes.load_state())


def _plan(before: dict | None) -> changes.RunPlan:
    files = changes.scan(before["files"] if before else {})
    return changes.plan_run(before, changes.current_state(files))


def test_the_same_files_after_a_successful_run_are_no_change(folders) -> None:
    assert _plan(None).kind == "everything"  # no run yet
    assert _plan(None).reason == "no earlier run to compare with"
    assert _plan(_save()).kind == "nothing"


def test_a_touched_file_is_no_change_but_new_bytes_are(folders) -> None:
    raw, _ = folders
    state = _save()
    path = raw / "submissions" / "2023-06" / "五华区" / "明细.csv"
    os.utime(path, ns=(1, 1))  # touched: same bytes
    assert _plan(state).kind == "nothing"
    path.write_text("序号,项目编号\n1,KM20230002\n")
    files = changes.scan(state["files"])
    assert changes.changed_files(state["files"], files) == ["submissions/2023-06/五华区/明细.csv"]
    assert _plan(state) == changes.RunPlan(
        "months", ("2023-06", "2023-06"), "files of 2023-06 changed"
    )


def test_a_removed_file_a_new_file_and_a_lost_warehouse_are_changes(folders) -> None:
    raw, data = folders
    state = _save()
    (raw / "submissions" / "2023-06" / "五华区" / "明细.csv").unlink()
    assert changes.changed_files(state["files"], changes.scan({})) == [
        "submissions/2023-06/五华区",  # now an empty unit folder, recorded as such
        "submissions/2023-06/五华区/明细.csv",
    ]
    (raw / "submissions" / "2023-06" / "五华区" / "明细.csv").write_text(
        "序号,项目编号\n1,KM20230001\n"
    )
    (raw / "reference" / "aliases.csv").write_text("alias,unit_code\n")
    assert changes.changed_files(state["files"], changes.scan({})) == ["reference/aliases.csv"]
    assert _plan(state).kind == "everything"  # reference data: every month, from scratch
    (raw / "reference" / "aliases.csv").unlink()
    assert _plan(state).kind == "nothing"
    (data / "warehouse.duckdb").unlink()
    assert changes.trusted(changes.load_state()) is None  # nothing published to build on


def test_other_code_or_a_passed_deadline_is_a_change(
    folders, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZS_TODAY", "2024-01-05")  # December's forms are due today
    state = _save()
    assert _plan(state).kind == "nothing"
    monkeypatch.setenv("ZS_TODAY", "2024-01-06")  # now they are late: R11 may name someone
    assert _plan(state) == changes.RunPlan(
        "months", ("2023-12", "2023-12"), "the submission deadline of 2023-12 passed"
    )
    monkeypatch.setenv("ZS_TODAY", "2024-01-05")
    state["code"] = "another version"
    assert _plan(state) == changes.RunPlan("everything", ("2023-06", "2023-06"), "the code changed")


def test_a_run_rebuilds_from_the_first_month_that_changed_to_the_last_with_files(
    folders, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw, _ = folders
    monkeypatch.setenv("ZS_TODAY", "2024-01-05")
    state = _save()

    def months() -> tuple[str, str] | None:
        planned = _plan(state)
        return planned.kind, planned.months

    later = raw / "submissions" / "2023-09" / "五华区"
    later.mkdir(parents=True)
    (later / "明细.csv").write_text("序号,项目编号\n1,KM20230001\n")
    assert months() == ("months", ("2023-09", "2023-09"))  # a new month
    (raw / "submissions" / "2023-06" / "五华区" / "明细.csv").write_text("序号\n")
    # and a revised earlier one: from the earlier on, to the last month with files
    assert months() == ("months", ("2023-06", "2023-09"))
    (raw / "reference" / "aliases.csv").write_text("alias,unit_code\n")
    assert months() == ("everything", ("2023-06", "2023-09"))  # reference data: every month
    (raw / "reference" / "aliases.csv").unlink()
    monkeypatch.setenv("ZS_TODAY", "2024-01-06")  # December's deadline passed since
    assert months() == ("months", ("2023-06", "2023-12"))
    state = _save()
    monkeypatch.setenv("ZS_TODAY", "2024-02-06")
    # the month whose deadline passed (R11, submission status), though it has no files
    assert months() == ("months", ("2024-01", "2024-01"))
    misplaced = raw / "submissions" / "2099-01" / "五华区"
    misplaced.mkdir(parents=True)
    (misplaced / "明细.csv").write_text("序号\n")
    state = _save()
    assert months() == ("nothing", None)
    (misplaced / "明细.csv").write_text("序号,项目编号\n")
    assert months() == ("unpartitioned", None)  # set aside, with the reason, no month rebuilt
    (raw / "submissions" / "2023-09" / "五华区" / "明细.csv").write_text("序号\n")
    both = _plan(state)  # and a month's file: that month, and the unpartitioned assets too
    assert (both.kind, both.months, both.with_unpartitioned) == (
        "months",
        ("2023-09", "2023-09"),
        True,
    )
    assert both.reason == "files of 2023-09 changed; files that belong to no open month changed"
    state["code"] = "another version"
    assert months() == ("everything", ("2023-06", "2023-09"))


def test_opening_the_build_for_writing_forgets_the_state(folders) -> None:
    from orchestration.resources import WarehouseResource

    _, data = folders
    (data / "build" / "warehouse.duckdb").unlink()  # a real DuckDB file is made on connect
    changes.save_state(changes.current_state(changes.scan({})), started_at="t")
    with WarehouseResource().connect():
        pass
    assert changes.load_state() is None  # a killed or Dagster-started run leaves nothing


@pytest.mark.parametrize(
    ("on", "period"),
    [
        (date(2024, 1, 5), "2023-11"),
        (date(2024, 1, 6), "2023-12"),
        (date(2024, 3, 31), "2024-02"),
        (date(2024, 3, 1), "2024-01"),
    ],
)
def test_the_last_month_past_its_deadline(on: date, period: str) -> None:
    assert changes.last_period_past_deadline(on) == period  # deadline: the 5th
