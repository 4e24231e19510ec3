"""The monthly report: ``$ZS_DATA_DIR/report/index.html``, one self-contained page in Chinese.

Rebuilt by every run after publishing (asset ``report/monthly``), from the published file —
the same file BI tools read — so that every number on the page is one the marts hold: the
queries below only select, filter and join marts (the target's pace line is the bulletin's
target times ``dim_date.elapsed_year_share``, in SQL); Python formats and lays out. When the
latest run was held, the page says so at the top and shows the live (previous) figures, which
is what the published file holds.

Offline by construction: charts are drawn when the page is built, as inline SVG (Vega-Lite
rendered by vl-convert, no browser, no network); no script, no web font, no external link
but the local Data Docs and dbt docs. Chinese text needs a CJK font on the reader's machine
(Noto Sans CJK, Debian ``fonts-noto-cjk``, or what Windows and macOS ship).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import os
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import duckdb
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from .config import Settings
from .ingest.parallel import workers
from .seeds import canonical_units, cause_labels, form_a_metrics, metric_labels, metric_order

TEMPLATE = "report.html.j2"
# the headline's amounts: the metrics seed's form A and derived metrics, in its order
AMOUNTS = metric_order("form_a", "derived")
# the lead metric: the trend chart, the chains' chart and their order
TREND_METRIC = "arrived_out_of_province"
FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
# new charts to draw from which worker processes pay for their start (about 1.5 s each)
CHART_WORKERS_FROM = 12

log = logging.getLogger(__name__)


def _has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    """Whether the published file's mart has the column (a file published by an older
    version may not)."""
    return bool(
        con.execute(
            "select 1 from information_schema.columns "
            "where table_schema = 'marts' and table_name = ? and column_name = ?",
            [table, column],
        ).fetchall()
    )


def _chain_chart(chains: list[dict]) -> Chart:
    """The chains' YTD of the lead metric (TREND_METRIC), as bars."""
    label = metric_labels()[TREND_METRIC]
    return Chart(
        {
            "width": 520,
            "height": {"step": 18},
            "data": {
                "values": [
                    {"产业链": c["chain_name"], label: float(c[f"{TREND_METRIC}_ytd"] or 0)}
                    for c in chains
                ]
            },
            "mark": "bar",
            "encoding": {
                "y": {"field": "产业链", "type": "nominal", "sort": None, "title": None},
                "x": {
                    "field": label,
                    "type": "quantitative",
                    "title": f"{label}（{canonical_units()[TREND_METRIC]}，本年累计）",
                },
            },
        }
    )


def _chain_amount_headers(metrics: list[str]) -> list[str]:
    """The chain table's money columns' heads: each metric's label, its unit given where it
    is not 亿元 (the table's unit)."""
    labels, units = metric_labels(), canonical_units()
    return [labels[m] + ("" if units[m] == "亿元" else f"（{units[m]}）") for m in metrics]


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def _full_spec(spec: dict) -> dict:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "config": {"font": FONT, "view": {"stroke": None}},
        **spec,
    }


def _svg_text(spec_json: str) -> str:
    """One chart drawn (a spec as JSON, so that a worker process can be handed it)."""
    import vl_convert

    svg = vl_convert.vegalite_to_svg(json.loads(spec_json))
    return svg[svg.index("<svg") :]


@cache
def _vl_convert_version() -> str:
    return importlib.metadata.version("vl-convert-python")


class Chart:
    """A chart to draw: its Vega-Lite spec until ``draw_charts`` replaces it with its SVG."""

    def __init__(self, spec: dict) -> None:
        self.spec_json = json.dumps(_full_spec(spec), ensure_ascii=False, sort_keys=True)
        # the drawing depends on the spec and on the vl-convert that draws it: after an
        # upgrade, every chart is drawn again
        drawn_by = f"vl-convert {_vl_convert_version()}\0"
        self.key = hashlib.sha256((drawn_by + self.spec_json).encode()).hexdigest()[:32]


def draw_charts(pages: list[dict], cache_dir: Path) -> None:
    """Every ``Chart`` in the cities' pages replaced by its SVG, in place.

    A chart costs vl-convert about 0.2 s, 32 charts for a province: a chart whose spec (its
    data included) is the one drawn last time is read back from ``cache_dir`` (a revised
    file changes its prefecture's charts, not the others'); many new charts are drawn in
    worker processes (``CHART_WORKERS_FROM``), spawned as landing's are (``ingest/parallel.py``;
    should they fail, the charts are drawn here). The cache keeps the last build's charts only.
    """
    charts = [v for page in pages for v in page.values() if isinstance(v, Chart)]
    cache_dir.mkdir(parents=True, exist_ok=True)
    svgs = {
        c.key: (cache_dir / f"{c.key}.svg").read_text(encoding="utf-8")
        for c in charts
        if (cache_dir / f"{c.key}.svg").exists()
    }
    todo = list({c.key: c.spec_json for c in charts if c.key not in svgs}.items())
    if todo:
        svgs |= dict(zip([k for k, _ in todo], _draw([j for _, j in todo]), strict=True))
    for key, svg in svgs.items():
        path = cache_dir / f"{key}.svg"
        if not path.exists():
            path.write_text(svg, encoding="utf-8")
    for old in cache_dir.glob("*.svg"):
        if old.stem not in svgs:
            old.unlink()
    for page in pages:
        for name, value in page.items():
            if isinstance(value, Chart):
                page[name] = Markup(svgs[value.key])


def _draw(specs: list[str]) -> list[str]:
    count = workers()
    if count > 1 and len(specs) >= CHART_WORKERS_FROM:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        try:
            processes = min(count, len(specs))
            with ProcessPoolExecutor(
                processes, mp_context=multiprocessing.get_context("spawn")
            ) as pool:
                svgs = list(pool.map(_svg_text, specs))
            log.info("drew %d charts in %d worker processes", len(specs), processes)
            return svgs
        except (BrokenProcessPool, OSError) as exc:
            log.warning("drawing charts in worker processes failed (%s); drawing them here", exc)
    return [_svg_text(spec) for spec in specs]


def warm_charts() -> None:
    """Start vl-convert's engine and load the fonts (about 1 s, once per process):
    ``prewarm.py`` calls it while dbt runs."""
    _svg_text(
        Chart(
            {
                "mark": "text",
                "data": {"values": [{"t": "月份"}]},
                "encoding": {"text": {"field": "t"}},
            }
        ).spec_json
    )


def _num(value, digits: int = 2) -> str:
    if value is None:
        return "—"
    return f"{float(value):,.{digits}f}"


def _signed(value, digits: int = 2, suffix: str = "") -> str:
    if value is None:
        return "—"
    return f"{float(value):+,.{digits}f}{suffix}"


def gather(con: duckdb.DuckDBPyConnection, data_dir: Path) -> dict:
    """What the page shows, read from the published marts and audit."""
    log = _rows(con, "select * from audit.publish_log order by published_at desc limit 1")
    latest = log[0] if log else None
    # a first run that was held has published no marts yet: the page says so, and why
    period = None
    if _has_table(con, "marts", "mart_monthly_bulletin"):
        period = con.execute(
            "select max(period) from marts.mart_monthly_bulletin where ytd_value is not null"
        ).fetchone()[0]
    cities = (
        []
        if period is None
        else _rows(
            con,
            "select distinct unit_code, unit_name from marts.mart_monthly_bulletin "
            "where unit_type = 'prefecture' and period = ? order by unit_code",
            [period],
        )
    )
    held = bool(latest and latest["decision"] == "held")
    pages = [_city(con, c["unit_code"], c["unit_name"], period, held) for c in cities]
    draw_charts(pages, data_dir / "build" / "report-charts")
    has_audit = _has_table(con, "audit", "reconciliation_results")
    failing = (
        []
        if not has_audit
        else _rows(
            con,
            """
        select
            rule_id, any_value(severity) as severity, count(*) as failing_rows,
            arg_max(detail, abs(coalesce(difference, 0))) as example,
            arg_max(suspect_unit_code, abs(coalesce(difference, 0))) as suspect_unit_code,
            arg_max(suspect_cause, abs(coalesce(difference, 0))) as suspect_cause
        from audit.reconciliation_results
        where status = 'fail'
        group by rule_id
        order by min(severity), rule_id
        """,
        )
    )
    causes = cause_labels()
    for f in failing:
        f["cause_label"] = causes.get(f["suspect_cause"], f["suspect_cause"])
    return {
        "period": period,
        "latest": latest,
        "held": held,
        "cities": pages,
        "failing": failing,
        "data_docs": _link(data_dir / "docs" / "index.html", data_dir / "report"),
        "dbt_docs": _link(data_dir / "docs" / "dbt" / "index.html", data_dir / "report"),
        "built_at": datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M"),
    }


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether the published file has this table (a first run that was held has no marts)."""
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()[0]
    return bool(found)


def _link(target: Path, start: Path) -> str | None:
    return os.path.relpath(target, start) if target.exists() else None


def _city(con: duckdb.DuckDBPyConnection, code: str, name: str, period: str, held: bool) -> dict:
    year = period[:4]
    headline = _rows(
        con,
        """
        select
            b.metric, b.metric_label, b.canonical_unit, b.ytd_value, b.annual_target,
            b.completion_rate_pct, b.pace_gap_pp, b.last_year_ytd_value, b.yoy_growth_pct,
            r.expected_value as province_value, r.status as province_status
        from marts.mart_monthly_bulletin as b
        left join audit.reconciliation_results as r
            on r.rule_id = 'R13' and r.period = b.period and r.scope_code = b.unit_code
            and r.metric = b.metric || '_ytd'
        where b.period = ? and b.unit_code = ? and b.metric in (select unnest(?))
        order by list_position(?, b.metric)
        """,
        [period, code, list(AMOUNTS), list(AMOUNTS)],
    )
    for h in headline:
        h["ytd"] = _num(h["ytd_value"])
        h["target"] = _num(h["annual_target"])
        h["completion"] = _num(h["completion_rate_pct"], 1)
        h["pace"] = _signed(h["pace_gap_pp"], 1, " 个百分点")
        h["last_year"] = _num(h["last_year_ytd_value"])
        h["yoy"] = _signed(h["yoy_growth_pct"], 1, "%")
        h["province"] = _num(h["province_value"])
        # the audit is the latest run's: when it was held, it is not about the figures shown
        h["check"] = (
            "—" if held else {"pass": "一致", "fail": "不一致"}.get(h["province_status"], "—")
        )
    trend = _rows(
        con,
        """
        select
            d.calendar_month as month, b.ytd_value, b.last_year_ytd_value,
            b.annual_target * d.elapsed_year_share as target_pace_value, b.metric_label,
            b.canonical_unit
        from marts.mart_monthly_bulletin as b
        inner join marts.dim_date as d on b.period = d.period
        where b.unit_code = ? and b.metric = ? and d.calendar_year = ? and b.period <= ?
        order by d.calendar_month
        """,
        [code, TREND_METRIC, int(year), period],
    )
    series = [
        {"月份": t["month"], "值": float(v), "系列": label}
        for t in trend
        for label, v in (
            (f"{year}年累计", t["ytd_value"]),
            (f"{int(year) - 1}年同期累计", t["last_year_ytd_value"]),
            ("目标序时进度", t["target_pace_value"]),
        )
        if v is not None
    ]
    trend_chart = None
    if series:
        unit = trend[0]["canonical_unit"]
        trend_chart = Chart(
            {
                "width": 560,
                "height": 240,
                "data": {"values": series},
                "mark": {"type": "line", "point": True},
                "encoding": {
                    "x": {"field": "月份", "type": "ordinal", "title": "月份"},
                    "y": {"field": "值", "type": "quantitative", "title": unit},
                    "color": {"field": "系列", "type": "nominal", "title": None},
                    "strokeDash": {"field": "系列", "type": "nominal"},
                },
            }
        )
    quarter = con.execute(
        "select max(quarter) from marts.mart_league_table where scope_code = ? and period <= ?",
        [code, period],
    ).fetchone()[0]
    league = _rows(
        con,
        """
        select *
        from marts.mart_league_table
        where scope_code = ? and quarter = ?
        order by peer_group, league_rank nulls last, unit_code
        """,
        [code, quarter],
    )
    groups: dict[str, list[dict]] = {}
    for row in league:
        row["score"] = _num(row["composite_score"])
        row["bonus"] = _num(row.get("bonus_points")) if row.get("bonus_points") else None
        change = row["rank_change"]
        row["change"] = "—" if change is None else ("持平" if change == 0 else f"{change:+d}")
        groups.setdefault(row["peer_group"], []).append(row)
    # 考核口径 beside 统计口径, for the units where a moved project's credit is shared
    assessed = (
        _rows(
            con,
            """
            select unit_name, metric_label, canonical_unit, ytd_value, assessed_ytd_value
            from marts.mart_monthly_bulletin
            where prefecture_code = ? and period = ? and unit_type in ('county', 'zone')
              and assessed_ytd_value <> ytd_value
            order by metric, unit_code
            """,
            [code, period],
        )
        if _has_column(con, "mart_monthly_bulletin", "assessed_ytd_value")
        else []
    )
    for a in assessed:
        a["difference"] = _signed(a["assessed_ytd_value"] - a["ytd_value"], 2, "")
        a["ytd"], a["assessed"] = _num(a["ytd_value"]), _num(a["assessed_ytd_value"])
    chains = _rows(
        con,
        f"""
        select *
        from marts.mart_chain_monthly
        where prefecture_code = ? and period = ?
        order by chain_code = '_unassigned', {TREND_METRIC}_ytd desc
        """,  # noqa: S608 (our identifier)
        [code, period],
    )
    chain_chart = _chain_chart(chains) if chains else None
    # the form A metrics the published mart has (one added to the seed since is not there
    # until a run publishes again)
    amounts = [m for m in form_a_metrics() if chains and f"{m}_ytd" in chains[0]]
    for c in chains:
        c["amounts"] = [_num(c[f"{metric}_ytd"]) for metric in amounts]
    funnel = _rows(
        con,
        """
        select cohort_year, size_class, signed, landed, started, in_production,
               landing_rate_pct, start_rate_pct, production_rate_pct, funds_arrival_rate_pct
        from marts.mart_project_funnel
        where unit_code = ? and period = ?
        order by cohort_year desc, size_class
        """,
        [code, period],
    )
    cohorts = sorted({f["cohort_year"] for f in funnel}, reverse=True)[:2]
    funnel = [f for f in funnel if f["cohort_year"] in cohorts]
    for f in funnel:
        for k in (
            "landing_rate_pct",
            "start_rate_pct",
            "production_rate_pct",
            "funds_arrival_rate_pct",
        ):
            f[k] = _num(f[k], 2)
    status = _rows(
        con,
        """
        select s.unit_code, s.unit_name, s.period, s.is_on_time, s.is_late, s.is_missing,
               s.revision_count, s.files_set_aside
        from marts.mart_submission_status as s
        inner join marts.dim_district as d on s.unit_code = d.unit_code and d.is_current
        where left(s.period, 4) = ? and s.period <= ? and s.unit_code <> ?
            and d.prefecture_code = ?
        order by s.unit_code, s.period
        """,
        [year, period, code, code],
    )
    months = sorted({s["period"] for s in status})
    grid: dict[str, dict] = {}
    for s in status:
        unit = grid.setdefault(s["unit_code"], {"name": s["unit_name"], "cells": {}})
        if s["files_set_aside"]:
            mark, css = "搁置", "aside"
        elif s["is_missing"]:
            mark, css = "缺报", "missing"
        elif s["is_late"]:
            mark, css = "迟报", "late"
        elif s["revision_count"]:
            mark, css = "修订", "revised"
        elif s["is_on_time"]:
            mark, css = "按时", "ontime"
        else:
            mark, css = "待报", "pending"
        unit["cells"][s["period"]] = (mark, css)
    trend_rows = [
        {
            "month": t["month"],
            "ytd": _num(t["ytd_value"]),
            "last_year": _num(t["last_year_ytd_value"]),
            "pace": _num(t["target_pace_value"]),
        }
        for t in trend
    ]
    return {
        "code": code,
        "name": name,
        "headline": headline,
        "trend": trend_chart,
        "trend_rows": trend_rows,
        "trend_label": trend[0]["metric_label"] if trend else "",
        "quarter": quarter,
        "league": groups,
        "assessed": assessed,
        "chains": chains,
        "chain_amounts": _chain_amount_headers(amounts),
        "chain_chart": chain_chart,
        "funnel": funnel,
        "months": months,
        "grid": grid,
    }


def build_report(settings: Settings) -> Path:
    """Write ``$ZS_DATA_DIR/report/index.html`` from the published file; return its path."""
    out = settings.data_dir / "report" / "index.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        context = gather(con, settings.data_dir)
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    html = env.get_template(TEMPLATE).render(**context)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, out)
    return out
