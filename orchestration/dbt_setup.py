"""The dbt project from Python: where it is, keeping its manifest in step with its files,
and the arguments of a build. Plain functions (no Dagster), so that the clerks' check, the
rule catalogue and the tests use them cheaply; ``assets/dbt.py`` wraps them for Dagster.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from .config import DBT_PROJECT_DIR
from .constants import deadline_day
from .periods import is_period, today

TARGET_DIR = DBT_PROJECT_DIR / "target"
MANIFEST = TARGET_DIR / "manifest.json"

_SOURCES = ("models", "macros", "seeds", "tests", "dbt_project.yml", "profiles.yml")


def dbt_executable() -> str:
    """The dbt installed beside this Python (the venv's), whether or not it is on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else shutil.which("dbt") or "dbt"


def _newest_source_mtime(root: Path) -> float:
    newest = 0.0
    for name in _SOURCES:
        path = root / name
        files = [path] if path.is_file() else path.rglob("*") if path.exists() else []
        for f in files:
            if f.is_file():
                newest = max(newest, f.stat().st_mtime)
    return newest


def ensure_manifest(force: bool = False) -> Path:
    """Run ``dbt parse`` when the manifest is missing or older than any dbt project file."""
    if (
        force
        or not MANIFEST.exists()
        or MANIFEST.stat().st_mtime < _newest_source_mtime(DBT_PROJECT_DIR)
    ):
        result = subprocess.run(
            [
                dbt_executable(),
                "--quiet",
                "parse",
                "--project-dir",
                str(DBT_PROJECT_DIR),
                "--profiles-dir",
                str(DBT_PROJECT_DIR),
                "--target-path",
                str(TARGET_DIR),
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"dbt parse failed:\n{result.stdout[-3000:]}{result.stderr[-2000:]}")
    return MANIFEST


def manifest() -> dict:
    """dbt's manifest (parsed first if the project's files changed)."""
    return json.loads(ensure_manifest().read_text(encoding="utf-8"))


def dbt_vars(
    *, run_id: str | None = None, months: tuple[str, str] | None = None
) -> dict[str, object]:
    """The vars every build passes: the Beijing date and the deadline (R11), the run id the
    audit rows carry, and for the monthly models the window of months they replace."""
    out: dict[str, object] = {"today": today().isoformat(), "deadline_day": deadline_day()}
    if run_id:
        out["run_id"] = run_id
    if months:
        first, last = months
        if not (is_period(first) and is_period(last) and first <= last):
            raise ValueError(f"a window of months is two YYYY-MM months in order, not {months!r}")
        out |= {"period_from": first, "period_to": last}
    return out


def dbt_build_args(
    *,
    full_refresh: bool = False,
    run_id: str | None = None,
    months: tuple[str, str] | None = None,
) -> list[str]:
    """``dbt build`` arguments for one step of a run (selection is added by the caller).
    Unit tests are the test suite's (``make test-fast``), not every run's: they run on
    fixtures, not on the data, and would cost each run seconds."""
    args = [
        "build",
        "--exclude-resource-type",
        "unit_test",
        "--vars",
        json.dumps(dbt_vars(run_id=run_id, months=months)),
    ]
    if full_refresh:
        args.append("--full-refresh")
    return args
