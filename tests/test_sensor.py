"""The sensor on the raw folder starts a run for new or changed content, and only then."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg
import pytest

from orchestration.assets.sensors import raw_files_sensor

from .conftest import SAMPLE


@pytest.fixture
def raw(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "raw"
    shutil.copytree(SAMPLE / "reference", root / "reference")
    shutil.copytree(SAMPLE / "submissions" / "2023-06", root / "submissions" / "2023-06")
    monkeypatch.setenv("ZS_RAW_DIR", str(root))
    return root


def _tick(cursor: str | None):
    context = dg.build_sensor_context(cursor=cursor)
    result = raw_files_sensor(context)
    return result, context.cursor


def test_new_files_start_a_run_and_unchanged_content_does_not(raw: Path) -> None:
    first, cursor = _tick(None)
    assert isinstance(first, dg.RunRequest)
    assert first.tags["zhaoshang/periods"] == "2023-06,all"

    again, cursor = _tick(cursor)
    assert isinstance(again, dg.SkipReason)

    # touched, and re-saved with the same bytes: same content, no run
    path = raw / "submissions" / "2023-06" / "西山区" / "6月明细.csv"
    os.utime(path, ns=(1, 1))
    path.write_bytes(path.read_bytes())
    touched, cursor = _tick(cursor)
    assert isinstance(touched, dg.SkipReason)

    # a new month arrives: a run for that month only
    shutil.copytree(SAMPLE / "submissions" / "2023-07", raw / "submissions" / "2023-07")
    new_month, cursor = _tick(cursor)
    assert isinstance(new_month, dg.RunRequest)
    assert new_month.tags["zhaoshang/periods"] == "2023-07"

    # a revision replaces a June file: a run for June
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n"))
    revised, cursor = _tick(cursor)
    assert isinstance(revised, dg.RunRequest)
    assert revised.tags["zhaoshang/periods"] == "2023-06"
    assert revised.run_key != new_month.run_key
