"""The dbt project handle, importable before the manifest exists."""

from __future__ import annotations

from dagster_dbt import DbtProject

from .config import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
