"""The catalogue is the single source: a rule is added as one SQL file and its YAML, a form
A metric as one row of the metrics seed, and every part of the warehouse finds them (a rule:
the audit's union, Great Expectations, Dagster's asset checks, the clerk's check when its
meta says so; a metric: the loader's header recognition, the landing table, the fact, the
chain mart, the bulletin, the rules, the report), with no other file edited. Done on a copy
of the project, over a copy of the shared build's folders, in one run (the copy's code
differs: the run builds every model again, and lands again every form A landed while the
seed listed other metrics)."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from expectations.catalogue import load_rules

from .conftest import REPO, Built, copy_build

pytestmark = pytest.mark.slow  # builds the whole sample once more, with a rule and a metric added

# what the project is made of (the copy leaves out dbt's target and everything built)
PROJECT = ("orchestration", "expectations", "dbt_project")
LEFT_OUT = shutil.ignore_patterns("target", "logs", "__pycache__", "*.pyc", ".user.yml")

PROBE_SQL = """-- A probe rule: a project whose 省外产业到位资金 of one month exceeds 5 亿元.
with checks as (
    select
        period,
        unit_code,
        project_code,
        null as scope_code,
        'arrived_out_of_province_month' as metric,
        5 as expected_value,
        month_reported as actual_value,
        coalesce(month_reported > 5, false) as is_failure,
        unit_code as suspect_unit_code,
        'other' as suspect_cause,
        '项目 ' || project_code || ' 本月到位超过 5 亿元；见 ' || source_file as detail,
        source_file
    from {{ ref('int_arrival_figures_chained') }}
    where metric = 'arrived_out_of_province'
)

{{ rule_result('checks') }}
"""

PROBE_YAML = """models:
  - name: {model}
    description: '{rule_id} (warn) 单月大额到位: A project whose arrivals of one month exceed 5 亿元.'
    config:
      meta:
        rule_id: {rule_id}
        severity: warn
        stage: rows
        guards: fact_capital_arrival
        label: 单月大额到位
        title: A project whose arrivals of one month exceed 5 亿元
        checkable_alone: true
"""


# a form A metric the forms do not carry today: 港澳台到位资金, in 亿元
METRIC = {
    "metric": "arrived_hmt",
    "metric_label": "港澳台到位资金",
    "canonical_unit": "亿元",
    "measure_kind": "amount",
    "source": "form_a",
    "derived_from": "",
    "header_words": "港澳台",
    "has_target": "false",
    "definition": "Capital from investors in Hong Kong, Macao and Taiwan: the detail forms' 1-N月累计.",
}
# the unit whose November and December forms (CSV, 万元) get the metric's two columns
UNIT, UNIT_FOLDER = "530115", "530115"


def add_metric(project: Path) -> None:
    """The metric as a row of the seed, after fdi_utilized: the only file edited."""
    path = project / "dbt_project" / "seeds" / "metrics.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    rows.insert(next(i for i, r in enumerate(rows) if r["metric"] == "fdi_utilized") + 1, METRIC)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _form_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8-sig").split("\n")


def _projects(lines: list[str]) -> set[str]:
    return {line.split(",")[1] for line in lines if line.split(",")[0].isdigit()}


def add_metric_figures(raw: Path) -> dict[str, int]:
    """The metric's columns (本月, 1-N月累计) in one unit's forms of 2023-11 and 2023-12, for
    the projects in both: h 万元 in November, h more in December. Returns the December
    YTD by project, in 万元."""
    forms = {
        11: raw / "submissions" / "2023-11" / UNIT_FOLDER / "11月明细.csv",
        12: raw / "submissions" / "2023-12" / UNIT_FOLDER / "12月明细.csv",
    }
    both = _projects(_form_lines(forms[11])) & _projects(_form_lines(forms[12]))
    h = {code: (int(code[-3:]) % 7 + 1) * 10 for code in both}
    for month, path in forms.items():
        out = []
        for line in _form_lines(path):
            cells = line.split(",")
            if cells[0] == "序号":
                cells[-1:-1] = ["港澳台到位资金（本月）", f"港澳台到位资金（1-{month}月累计）"]
            elif cells[0].isdigit():
                code = cells[1]
                ytd = h.get(code, 0) * (month - 10)
                cells[-1:-1] = [str(h.get(code, 0)), str(ytd)]
            out.append(",".join(cells))
        path.write_text("\n".join(out), encoding="utf-8-sig")
    return {code: 2 * v for code, v in h.items()}


@dataclass(frozen=True)
class Extended:
    """The copy's folders after its run, and what was added."""

    project: Path
    raw: Path
    data: Path
    rule_id: str
    model: str
    run: subprocess.CompletedProcess
    metric_ytd_wan: dict[str, int]  # the metric's December YTD by project, 万元


def copy_project(dest: Path) -> Path:
    for part in PROJECT:
        shutil.copytree(REPO / part, dest / part, ignore=LEFT_OUT)
    return dest


def run_in(project: Path, raw: Path, data: Path, *args: str) -> subprocess.CompletedProcess:
    """A command of the copy's code (its packages first on the path), on these folders."""
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env |= {"PYTHONPATH": str(project), "ZS_RAW_DIR": str(raw), "ZS_DATA_DIR": str(data)}
    return subprocess.run(
        [sys.executable, *args], cwd=project, env=env, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def extended(clean_build: Built, tmp_path_factory: pytest.TempPathFactory) -> Extended:
    """One run of a copy of the project with a rule and a metric added, on a copy of the
    shared build whose forms carry the metric for one unit."""
    tmp_path = tmp_path_factory.mktemp("catalogue")
    rule_id = f"R{len(load_rules()) + 1:02d}"
    model = f"{rule_id.lower()}_large_month_arrivals"
    project = copy_project(tmp_path / "project")
    rules_dir = project / "dbt_project" / "models" / "rules"
    (rules_dir / f"{model}.sql").write_text(PROBE_SQL, encoding="utf-8")
    (rules_dir / f"{model}.yml").write_text(
        PROBE_YAML.format(model=model, rule_id=rule_id), encoding="utf-8"
    )
    add_metric(project)
    raw, data = copy_build(clean_build, tmp_path)
    ytd = add_metric_figures(raw)
    run = run_in(project, raw, data, "-m", "orchestration.cli", "run")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return Extended(project, raw, data, rule_id, model, run, ytd)


def test_a_rule_added_as_one_sql_and_one_yaml_is_found_everywhere(extended: Extended) -> None:
    project, raw, data = extended.project, extended.raw, extended.data
    rule_id, model = extended.rule_id, extended.model
    assert f"{rule_id} [warn]" in extended.run.stdout  # the run's summary names it

    # the audit's union: its findings, published
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        found = dict(
            con.execute(
                "select status, sum(checks) from audit.reconciliation_results "
                "where rule_id = ? group by status",
                [rule_id],
            ).fetchall()
        )
        (flagged,) = con.execute(
            "select source_file from audit.reconciliation_results "
            "where rule_id = ? and status = 'fail' order by period desc, source_file limit 1",
            [rule_id],
        ).fetchone()
    assert found.get("fail", 0) > 0 and found.get("pass", 0) > 0, found
    # Great Expectations validated its relation (and found its failures)
    with duckdb.connect(str(data / "build" / "warehouse.duckdb"), read_only=True) as con:
        verdicts = con.execute(
            "select gx_success, rows_failed from audit.rule_runs where rule_id = ?", [rule_id]
        ).fetchall()
    assert verdicts and all(ok is False and failed > 0 for ok, failed in verdicts), verdicts
    # Dagster: an asset check of the rule, on the mart its meta says it guards
    listing = run_in(
        project,
        raw,
        data,
        "-c",
        "import json; from orchestration.definitions import defs; "
        "print(json.dumps(sorted(k.to_user_string() "
        "for k in defs().resolve_asset_graph().asset_check_keys)))",
    )
    assert listing.returncode == 0, listing.stderr[-3000:]
    checks = json.loads(listing.stdout.strip().splitlines()[-1])
    assert f"marts/fact_capital_arrival:{model}" in checks, [c for c in checks if "r1" in c]
    # the clerk's check of the file it flagged (its meta says one submission can be checked)
    checked = run_in(project, raw, data, "-m", "orchestration.cli", "check", str(raw / flagged))
    assert f"[提醒] {rule_id}：" in checked.stdout, checked.stdout[-3000:] + checked.stderr[-2000:]


def test_a_metric_added_as_a_row_of_the_seed_is_carried_everywhere(extended: Extended) -> None:
    data, stem = extended.data, METRIC["metric"]
    total_yi = sum(extended.metric_ytd_wan.values()) / 10_000  # 万元 -> 亿元
    assert "published" in extended.run.stdout  # every error rule passed, with the new metric
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        # the fact and the chain mart: its column pair, in 亿元
        fact = con.execute(
            f"select period, sum({stem}_ytd), sum({stem}_month), count({stem}_ytd) "  # noqa: S608
            "from marts.fact_capital_arrival where unit_code = ? and period >= '2023-10' "
            "group by period order by period",
            [UNIT],
        ).fetchall()
        chains = con.execute(
            f"select sum({stem}_ytd) from marts.mart_chain_monthly where period = '2023-12'"  # noqa: S608
        ).fetchone()[0]
        # the bulletin: its label and unit from the seed, for the unit and the city above it
        bulletin = con.execute(
            "select unit_code, metric_label, canonical_unit, ytd_value "
            "from marts.mart_monthly_bulletin "
            "where period = '2023-12' and metric = ? and ytd_value <> 0 order by unit_code",
            [stem],
        ).fetchall()
    by_period = {p: (y, n) for p, y, _, n in fact}
    assert by_period["2023-10"] == (None, 0)  # a form without the columns: no figures, not zeros
    assert float(by_period["2023-12"][0]) == pytest.approx(total_yi)
    assert float(by_period["2023-11"][0]) == pytest.approx(total_yi / 2)
    assert float(chains) == pytest.approx(total_yi)  # the city's chains add up to it
    assert [(u, label, unit) for u, label, unit, _ in bulletin] == [
        ("530000", "港澳台到位资金", "亿元"),
        ("530100", "港澳台到位资金", "亿元"),
        (UNIT, "港澳台到位资金", "亿元"),
    ]
    assert all(float(v) == pytest.approx(total_yi) for *_, v in bulletin)
    with duckdb.connect(str(data / "build" / "warehouse.duckdb"), read_only=True) as con:
        # the rules check it like the others (R03: the YTD chain of its months, all kept)
        r03 = con.execute(
            "select is_failure, count(*) from rules.r03_ytd_chains_month_to_month "
            "where metric = ? group by is_failure",
            [f"{stem}_ytd"],
        ).fetchall()
        # every current form A was landed again, knowing the new metric
        stale = con.execute(
            "select count(*) from landing.files where kind = 'form_a' "
            "and superseded_at is null and metrics_known not like ?",
            [f"%{stem}%"],
        ).fetchone()[0]
    assert stale == 0
    assert len(r03) == 1 and r03[0][0] is False and r03[0][1] >= len(extended.metric_ytd_wan)
    # the report: in the city's headline and in the chain table
    page = (data / "report" / "index.html").read_text(encoding="utf-8")
    assert f'data-metric="{stem}"' in page
    assert "<th>港澳台到位资金</th>" in page
