"""Reporting periods: ``YYYY-MM`` months, and the window of months the warehouse accepts.

A period's figures are "as of the end of that month", so a month is open for submissions
from the day after it ends. The window runs from ``ZS_FIRST_PERIOD`` (default 2020-01) to
the last month that has ended in Beijing time; files for a month outside it are set aside
and looked at again on every run, so a folder made early loads once its month has ended.
The monthly Dagster partitions are this window (``orchestration/assets/partitions.py``).

Plain Python (no Dagster), so the loader and ``zhaoshang check`` can use it cheaply.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from .constants import TIMEZONE

PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
DEFAULT_FIRST_PERIOD = "2020-01"


def is_period(text: str | None) -> bool:
    return bool(text) and PERIOD.match(text) is not None


def first_period() -> str:
    """The first month the warehouse keeps (``ZS_FIRST_PERIOD``, default 2020-01)."""
    value = os.environ.get("ZS_FIRST_PERIOD", DEFAULT_FIRST_PERIOD).strip()
    if not is_period(value):
        raise ValueError(f"ZS_FIRST_PERIOD must be a month written YYYY-MM, not {value!r}")
    return value


def today() -> date:
    """The date in Beijing; ``ZS_TODAY`` (YYYY-MM-DD) fixes it, for tests and for replaying
    a run as of a given day."""
    fixed = os.environ.get("ZS_TODAY", "").strip()
    if fixed:
        try:
            return date.fromisoformat(fixed)
        except ValueError:
            raise ValueError(f"ZS_TODAY must be a date written YYYY-MM-DD, not {fixed!r}") from None
    return datetime.now(ZoneInfo(TIMEZONE)).date()


def last_closed_period(now: datetime | date | None = None) -> str:
    """The newest month that has ended, in Beijing time (as of ``today()`` by default)."""
    if isinstance(now, datetime):
        now = now.astimezone(ZoneInfo(TIMEZONE)).date()
    day = now or today()
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def window() -> tuple[str, str]:
    """The months accepted now: the first month kept to the last month that has ended."""
    return first_period(), last_closed_period()


def in_window(period: str | None, accepted: tuple[str, str]) -> bool:
    """Whether ``period`` is a month within ``accepted`` (first, last)."""
    return is_period(period) and accepted[0] <= period <= accepted[1]


def shift(period: str, months: int) -> str:
    """The month ``months`` after (or before, if negative) ``period``."""
    year, month = int(period[:4]), int(period[5:7])
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def span(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last``, both included."""
    out, current = [], first
    while current <= last:
        out.append(current)
        current = shift(current, 1)
    return out
