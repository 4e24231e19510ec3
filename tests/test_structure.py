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
    assert "--no-write-json" in args  # Dagster reads dbt's log, not its JSON artifacts
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


_DBT_STEP_IN_A_FRESH_PROCESS = """
import sys
import dagster_dbt.core.resource as resource

def refuse(argv, *args, **kwargs):
    raise AssertionError(f"dagster-dbt ran {argv}")

resource.check_output = refuse  # how dagster-dbt learns dbt's version: `dbt --version`
from orchestration.assets.dbt import dbt_resource

invocation = dbt_resource().cli(["ls", "--select", "dim_date", "--output", "name"])
listed = [event.raw_event["info"]["msg"] for event in invocation.stream_raw_events()]
invocation.wait()
print("dim_date" in listed, "dbt.adapters.duckdb" in sys.modules)
"""


def test_a_dbt_step_starts_dbt_once_and_no_dbt_inside_dagster(tmp_path: Path) -> None:
    """dagster-dbt's stock resource runs `dbt --version` in a subprocess and builds a DuckDB
    adapter inside Dagster's process before every step (about 5 s a run) for row counts and
    column metadata no asset asks for; the project's resource skips both
    (``assets/dbt.py``, ``WarehouseDbtCli``). Fails if a dagster-dbt upgrade brings them back."""
    result = subprocess.run(
        [sys.executable, "-c", _DBT_STEP_IN_A_FRESH_PROCESS],
        cwd=REPO,
        env={**os.environ, "ZS_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split()[-2:] == ["True", "False"], result.stdout[-2000:]


def test_the_dbt_version_dagster_dbt_is_told_is_the_one_that_runs() -> None:
    """The version comes from the installed package, not from `dbt --version`: it must be
    that of the dbt the steps run (the interpreter its script starts; without asking PyPI for
    the latest release, as `dbt --version` does)."""
    from orchestration.assets.dbt import dbt_resource
    from orchestration.dbt_setup import dbt_executable

    shebang = Path(dbt_executable()).read_text(encoding="utf-8").splitlines()[0]
    assert shebang.startswith("#!"), shebang
    runs = subprocess.run(
        [shebang[2:].strip(), "-c", "import dbt.version; print(dbt.version.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert str(dbt_resource()._cli_version) == runs
