"""Where things are. Users and tests rely on these environment variables:

- ``ZS_RAW_DIR``  (default ``./raw``): the input folder, laid out per the submission contract;
- ``ZS_DATA_DIR`` (default ``./data``): everything the warehouse writes. The published
  warehouse is ``$ZS_DATA_DIR/warehouse.duckdb``; the build happens in
  ``$ZS_DATA_DIR/build/warehouse.duckdb`` and is published only when it passes;
- ``ZS_DUCKDB_MEMORY_LIMIT`` (default ``1GB``): DuckDB's own memory in each process that
  writes the build (landing and publishing here, dbt through ``dbt_project/profiles.yml``,
  which reads the same variable with the same default); beyond it DuckDB spills to disk.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


@dataclass(frozen=True)
class Settings:
    raw_dir: Path
    data_dir: Path

    @property
    def warehouse_path(self) -> Path:
        """The published warehouse: what BI tools read."""
        return self.data_dir / "warehouse.duckdb"

    @property
    def build_path(self) -> Path:
        """The working warehouse: built, checked, then copied to ``warehouse_path``."""
        return self.data_dir / "build" / "warehouse.duckdb"


def duckdb_config() -> dict[str, str]:
    """The settings of every DuckDB connection that writes the build (see above)."""
    return {"memory_limit": os.environ.get("ZS_DUCKDB_MEMORY_LIMIT") or "1GB"}


def settings() -> Settings:
    raw = Path(os.environ.get("ZS_RAW_DIR") or PROJECT_ROOT / "raw")
    data = Path(os.environ.get("ZS_DATA_DIR") or PROJECT_ROOT / "data")
    return Settings(raw_dir=raw.resolve(), data_dir=data.resolve())
