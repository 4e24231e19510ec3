"""The report's charts: drawn by vl-convert, kept from one build to the next while their
data do not change, drawn in worker processes when many are new."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration import report
from orchestration.report import Chart, draw_charts


def _trend(city: str, value: float) -> Chart:
    return Chart(
        {
            "data": {"values": [{"月份": m, "值": value * m, "系列": city} for m in (1, 2, 3)]},
            "title": city,
            "mark": "line",
            "encoding": {
                "x": {"field": "月份", "type": "ordinal"},
                "y": {"field": "值", "type": "quantitative"},
            },
        }
    )


def _pages(values: dict[str, float]) -> list[dict]:
    return [{"name": city, "trend": _trend(city, v)} for city, v in values.items()]


def test_a_chart_whose_data_did_not_change_is_not_drawn_again(tmp_path: Path) -> None:
    cache = tmp_path / "charts"
    first = _pages({"昆明市": 1.0, "曲靖市": 2.0, "玉溪市": 3.0})
    draw_charts(first, cache)
    assert all(str(p["trend"]).startswith("<svg") and "</svg>" in str(p["trend"]) for p in first)
    assert "昆明市" in str(first[0]["trend"])
    files = {f.name: f.stat().st_mtime_ns for f in cache.glob("*.svg")}
    assert len(files) == 3

    # 曲靖市's figure revised: its chart is drawn again, the others are read back, and the
    # chart of the old figure is dropped from the cache
    second = _pages({"昆明市": 1.0, "曲靖市": 2.5, "玉溪市": 3.0})
    draw_charts(second, cache)
    after = {f.name: f.stat().st_mtime_ns for f in cache.glob("*.svg")}
    assert len(after) == 3
    kept = files.keys() & after.keys()
    assert len(kept) == 2 and all(files[k] == after[k] for k in kept)
    assert str(second[0]["trend"]) == str(first[0]["trend"])
    assert str(second[1]["trend"]) != str(first[1]["trend"])


def test_many_new_charts_are_drawn_in_worker_processes_as_they_would_be_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    values = {f"城市{i}": float(i) for i in range(1, report.CHART_WORKERS_FROM + 1)}
    monkeypatch.setenv("ZS_LANDING_WORKERS", "2")
    in_workers = _pages(values)
    with caplog.at_level("INFO", logger=report.__name__):
        draw_charts(in_workers, tmp_path / "workers")
    # the workers drew them: said only when the pool returned, never after a fallback here
    said = [r.getMessage() for r in caplog.records if r.name == report.__name__]
    assert said == [f"drew {len(values)} charts in 2 worker processes"]
    caplog.clear()
    monkeypatch.setenv("ZS_LANDING_WORKERS", "1")
    here = _pages(values)
    with caplog.at_level("INFO", logger=report.__name__):
        draw_charts(here, tmp_path / "here")
    assert not [r for r in caplog.records if r.name == report.__name__]  # drawn here
    assert [str(p["trend"]) for p in in_workers] == [str(p["trend"]) for p in here]


def test_a_chart_drawn_by_another_vl_convert_is_drawn_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache's key is the spec and the version of vl-convert that draws it."""
    before = _trend("昆明市", 1.0).key
    monkeypatch.setattr(report, "_vl_convert_version", lambda: "0.0.0-another")
    assert _trend("昆明市", 1.0).key != before
