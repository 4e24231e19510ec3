"""The Python side's seams: shared names in one small module, dbt arguments built by plain
functions, no module importing the Dagster definitions but the entry points."""

from __future__ import annotations

import ast
import json
from datetime import date
from pathlib import Path

import pytest

from orchestration.constants import dbt_vars, deadline_day
from orchestration.dbt_setup import dbt_build_args, dbt_env
from orchestration.dbt_setup import dbt_vars as build_vars

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
    # the vars are the same in every run (a change of vars makes dbt parse everything again)
    monkeypatch.setenv("ZS_TODAY", "2024-07-05")
    monkeypatch.delenv("ZS_SUBMISSION_DEADLINE_DAY", raising=False)
    assert json.loads(args[args.index("--vars") + 1]) == build_vars() == {"deadline_day": 5}
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
