"""Months, the window of accepted months, and which months a change reaches."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orchestration.periods import (
    first_period,
    last_closed_period,
    shift,
    span,
)

months = st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(2000, 2099), st.integers(1, 12))


def test_the_last_closed_month_is_in_beijing_time() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    assert last_closed_period(datetime(2026, 11, 21, 9, tzinfo=shanghai)) == "2026-10"
    assert last_closed_period(datetime(2027, 1, 1, 0, 30, tzinfo=shanghai)) == "2026-12"
    # 23:30 UTC on 31 October is already 1 November in Beijing: October has ended
    utc = ZoneInfo("UTC")
    assert last_closed_period(datetime(2026, 10, 31, 23, 30, tzinfo=utc)) == "2026-10"


def test_first_period_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    assert first_period() == "2020-01"
    monkeypatch.setenv("ZS_FIRST_PERIOD", "2023-13")
    with pytest.raises(ValueError, match="ZS_FIRST_PERIOD"):
        first_period()


@given(months, st.integers(-400, 400))
def test_shift_and_span_agree(period: str, n: int) -> None:
    later = shift(period, abs(n))
    assert shift(later, -abs(n)) == period
    assert len(span(period, later)) == abs(n) + 1
