"""The catalogue is the single source: a rule is added as one SQL file and its YAML, and
every part of the warehouse finds it (the audit's union, Great Expectations, Dagster's asset
checks, the clerk's check when its meta says so), with no other file edited. Done on a copy of the project, over a copy of the
shared build's folders (the copy's code differs: its first run builds every model again)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from expectations.catalogue import load_rules

from .conftest import REPO, Built, copy_build

pytestmark = pytest.mark.slow  # builds the whole sample once more, with a rule added

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


def test_a_rule_added_as_one_sql_and_one_yaml_is_found_everywhere(
    clean_build: Built, tmp_path: Path
) -> None:
    rule_id = f"R{len(load_rules()) + 1:02d}"
    model = f"{rule_id.lower()}_large_month_arrivals"
    project = copy_project(tmp_path / "project")
    rules_dir = project / "dbt_project" / "models" / "rules"
    (rules_dir / f"{model}.sql").write_text(PROBE_SQL, encoding="utf-8")
    (rules_dir / f"{model}.yml").write_text(
        PROBE_YAML.format(model=model, rule_id=rule_id), encoding="utf-8"
    )
    raw, data = copy_build(clean_build, tmp_path)

    run = run_in(project, raw, data, "-m", "orchestration.cli", "run")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert f"{rule_id} [warn]" in run.stdout  # the run's summary names it

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
