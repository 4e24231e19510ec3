"""The Python side's seams: shared names in one small module, dbt arguments built by plain
functions, no module importing the Dagster definitions but the entry points."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from orchestration.constants import dbt_vars, deadline_day
from orchestration.dbt_setup import dbt_build_args, dbt_env, rule_models
from orchestration.dbt_setup import dbt_vars as build_vars
from orchestration.seeds import form_a_metrics

REPO = Path(__file__).resolve().parent.parent
ENTRY_POINTS = {"orchestration/cli.py"}


def test_only_entry_points_import_the_definitions() -> None:
    importers = set()
    for path in [*REPO.glob("orchestration/**/*.py"), *REPO.glob("expectations/**/*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and (
                    node.module.endswith("definitions")
                    or node.module == "orchestration.definitions"
                )
            ):
                importers.add(path.relative_to(REPO).as_posix())
    assert importers <= ENTRY_POINTS, importers


def test_dbt_arguments_and_environment_of_a_monthly_step(monkeypatch: pytest.MonkeyPatch) -> None:
    args = dbt_build_args(full_refresh=True)
    assert args[0] == "build" and args[-1] == "--full-refresh"
    assert args[args.index("--exclude-resource-type") + 1] == "unit_test"  # the suite's
    assert "--no-write-json" in args  # Dagster reads dbt's log, not its JSON artifacts
    # the vars are the same in every run (a change of vars makes dbt parse everything again)
    monkeypatch.setenv("ZS_TODAY", "2024-07-05")
    monkeypatch.delenv("ZS_SUBMISSION_DEADLINE_DAY", raising=False)
    passed = json.loads(args[args.index("--vars") + 1])
    assert passed == build_vars()
    assert passed == {
        "deadline_day": 5,
        "rule_models": rule_models(),
        "form_a_metrics": list(form_a_metrics()),
    }
    assert len(passed["rule_models"]) >= 16
    assert "--full-refresh" not in dbt_build_args()
    # what changes with each run is its environment
    assert dbt_env(run_id="abc123", months=("2023-06", "2023-07")) == {
        "ZS_DBT_TODAY": "2024-07-05",
        "ZS_DBT_RUN_ID": "abc123",
        "ZS_DBT_PERIOD_FROM": "2023-06",
        "ZS_DBT_PERIOD_TO": "2023-07",
    }


@pytest.mark.parametrize("months", [("2023-13", "2023-12"), ("2023-07", "2023-06"), ("x", "y")])
def test_a_window_of_months_is_validated(months: tuple[str, str]) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        dbt_env(months=months)


def test_today_is_beijing_date_or_fixed_by_zs_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZS_TODAY", "2024-07-05")
    assert dbt_env()["ZS_DBT_TODAY"] == "2024-07-05"
    monkeypatch.setenv("ZS_TODAY", "5 July")
    with pytest.raises(ValueError, match="ZS_TODAY"):
        dbt_env()


def test_the_deadline_day_has_one_default_in_dbt_project_yml(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ZS_SUBMISSION_DEADLINE_DAY", raising=False)
    assert deadline_day() == dbt_vars()["deadline_day"] == 5
    monkeypatch.setenv("ZS_SUBMISSION_DEADLINE_DAY", "10")
    assert deadline_day() == 10 and build_vars()["deadline_day"] == 10
    monkeypatch.setenv("ZS_SUBMISSION_DEADLINE_DAY", "31")
    with pytest.raises(ValueError, match="1 to 28"):
        deadline_day()


def test_last_closed_period_follows_zs_today(monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.periods import last_closed_period, today

    monkeypatch.setenv("ZS_TODAY", "2024-01-05")
    assert today() == date(2024, 1, 5)
    assert last_closed_period() == "2023-12"


def test_publish_force_without_a_reason_is_refused(capsys: pytest.CaptureFixture) -> None:
    from orchestration.cli import main

    with pytest.raises(SystemExit) as refused:
        main(["publish", "--force"])
    assert refused.value.code == 2
    assert "--force needs --reason" in capsys.readouterr().err


_DBT_STEPS_IN_A_FRESH_PROCESS = """
import os, signal, sys
from pathlib import Path
from orchestration import dbt_runner

data = Path(sys.argv[1])
ENV = {"DBT_INDIRECT_SELECTION": "buildable"}  # as the steps have it
def build(select, key="run-a"):
    args = ["build", "--no-write-json", "--select", select]
    return [e["data"]["node_info"]["node_name"]
            for e in dbt_runner.build(args, data_dir=data, key=key, env=ENV, label="t")]

first = build("cell_problems")
pid = dbt_runner._process.process.pid
second = build("cell_problems")
same = dbt_runner._process.process.pid == pid
try:
    build("stg_landing__files")  # its landing table does not exist: the model fails
    failure = "no failure"
except dbt_runner.DbtFailed as failed:
    failure = str(failed)
os.kill(dbt_runner._process.process.pid, signal.SIGKILL)  # dbt's process dies between steps
third = build("cell_problems", key="run-b")
dbt_here = [m for m in ("dbt.cli.main", "dbt.adapters.duckdb") if m in sys.modules]
print(repr((first, second, same, failure, third, dbt_here)))
"""


def test_dbt_runs_in_one_warm_process_that_reports_failures_and_is_replaced(
    tmp_path: Path,
) -> None:
    """The steps of a run share one dbt process (``dbt_runner.py``): dbt imported once,
    parsed once, never inside Dagster's own process; a failed model fails the step with its
    name and the log's path; a dbt process that died is replaced by the next step."""
    result = subprocess.run(
        [sys.executable, "-c", _DBT_STEPS_IN_A_FRESH_PROCESS, str(tmp_path)],
        cwd=REPO,
        env={**os.environ, "ZS_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    first, second, same, failure, third, dbt_here = ast.literal_eval(
        result.stdout.strip().splitlines()[-1]
    )
    # the seed and its tests, each reported as it finished
    assert "cell_problems" in first and len(first) > 1 and sorted(first) == sorted(second)
    assert same, "the second step started another dbt process"
    assert "stg_landing__files" in failure and str(tmp_path / "logs" / "dbt.log") in failure
    assert (tmp_path / "logs" / "dbt.log").exists()
    assert sorted(third) == sorted(first)
    assert not dbt_here, f"dbt ({dbt_here}) was imported into the run's own process"
    # what dbt leaves in the data folder: its kept parse, and no step's folder
    assert [p.name for p in (tmp_path / "build" / "dbt").iterdir()] == ["partial_parse.msgpack"]


def test_the_code_imports_nothing_private_of_dagster() -> None:
    """Only Dagster's public API (``dagster``, ``dagster_dbt``): a private module may move in
    any release. (A logger's name is no import.)"""
    private = []
    for path in [*REPO.glob("orchestration/**/*.py"), *REPO.glob("expectations/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            private += [
                f"{path.relative_to(REPO)}: {n}" for n in names if n.startswith("dagster._")
            ]
    assert private == []


def test_the_readme_is_a_front_door_and_the_guide_links_hold() -> None:
    """At most 200 lines; every relative link of the README and of docs/ resolves; no
    timing outside bench/RESULTS.md (a figure goes stale, one place keeps them dated)."""
    import re

    readme = REPO / "README.md"
    pages = [readme, *sorted((REPO / "docs").glob("*.md"))]
    assert len(readme.read_text(encoding="utf-8").splitlines()) <= 200
    broken, timed = [], []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if (
                not target.startswith(("http://", "https://"))
                and not (page.parent / target).exists()
            ):
                broken.append(f"{page.name}: {target}")
        prose = re.sub(r"```.*?```", "", text, flags=re.S)  # what a command prints is no claim
        timed += [
            f"{page.name}: {m.group(0)}"
            for m in re.finditer(r"\b\d+(?:[.,]\d+)?(?:[–-]\d+(?:[.,]\d+)?)? ?(?:s|min)\b", prose)
        ]
    assert broken == []
    assert timed == []
