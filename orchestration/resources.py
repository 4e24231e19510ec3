"""Dagster resources: the build warehouse and the dbt CLI."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from .changes import forget_state
from .config import Settings, duckdb_config, settings


class WarehouseResource(dg.ConfigurableResource):
    """The working DuckDB file under ``$ZS_DATA_DIR/build``; paths come from the environment."""

    @property
    def settings(self) -> Settings:
        return settings()

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        path = self.settings.build_path
        path.parent.mkdir(parents=True, exist_ok=True)
        forget_state()  # the build changes: the next run must not trust the last one's state
        con = duckdb.connect(str(path), config=duckdb_config())
        try:
            yield con
        finally:
            con.close()
