"""The dbt project's seeds, read by Python too: labels and codes live once, in
``dbt_project/seeds/*.csv``, and SQL and Python both read them from there."""

from __future__ import annotations

import csv
from functools import cache

from .config import DBT_PROJECT_DIR

SEEDS_DIR = DBT_PROJECT_DIR / "seeds"


@cache
def seed(name: str) -> tuple[dict[str, str], ...]:
    """The rows of ``seeds/<name>.csv`` as dicts of text."""
    with (SEEDS_DIR / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return tuple(csv.DictReader(f))


def cause_labels() -> dict[str, str]:
    """suspect_cause code -> its Chinese label."""
    return {r["suspect_cause"]: r["cause_label"] for r in seed("suspect_causes")}


def metric_labels() -> dict[str, str]:
    """metric stem -> its Chinese label."""
    return {r["metric"]: r["metric_label"] for r in seed("metrics")}


def canonical_units() -> dict[str, str]:
    """metric stem -> the unit the warehouse stores it in (亿元, 万美元, 个, 户)."""
    return {r["metric"]: r["canonical_unit"] for r in seed("metrics")}


def form_a_metrics() -> tuple[str, ...]:
    """The metrics form A carries per project (source form_a), in the seed's order: the
    landing table's and the fact's column pairs ``<metric>_month`` / ``<metric>_ytd``."""
    return metric_order("form_a")


@cache
def header_words() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(metric, the words any of which names it in a form A column's header), in the seed's
    order: the first metric whose word a header contains is the one it names."""
    return tuple(
        (r["metric"], tuple(r["header_words"].split()))
        for r in seed("metrics")
        if r["source"] == "form_a"
    )


def metric_order(*sources: str) -> tuple[str, ...]:
    """The metrics of these sources (form_a, register, derived), in the seed's order."""
    return tuple(r["metric"] for r in seed("metrics") if r["source"] in sources)


def declared_units(canonical_unit: str) -> tuple[str, ...]:
    """The units an amount of this canonical unit may be declared in (亿元: 亿元, 万元, 元)."""
    return tuple(
        r["declared_unit"]
        for r in seed("units_of_measure")
        if r["canonical_unit"] == canonical_unit
    )
