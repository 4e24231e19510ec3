"""The dbt project, the dbt CLI resource, and keeping dbt's manifest in step with the files."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from .config import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

_SOURCES = ("models", "macros", "seeds", "tests", "dbt_project.yml", "profiles.yml")


def dbt_executable() -> str:
    """The dbt installed beside this Python (the venv's), whether or not it is on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else shutil.which("dbt") or "dbt"


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())


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
    manifest = dbt_project.manifest_path
    if (
        force
        or not manifest.exists()
        or manifest.stat().st_mtime < _newest_source_mtime(DBT_PROJECT_DIR)
    ):
        dbt_resource().cli(["parse", "--quiet"], target_path=dbt_project.target_path).wait()
    return manifest
