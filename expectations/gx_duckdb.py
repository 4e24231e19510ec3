"""A Great Expectations datasource for DuckDB that actually returns metric results.

GX's SQL execution engine runs a query on a pooled connection and reads the result after
the ``with engine.connect()`` block has returned the connection to the pool. The pool's
reset-on-return rolls the DuckDB connection back, which discards the pending result, so
every metric comes back empty (``MetricResolutionError: list index out of range``). GX
already keeps one persisted connection for the dialects where that matters (SQLite, SQL
Server, …) but not for DuckDB. This datasource type does the same for DuckDB: every query
runs on one connection that stays open until the engine is closed, so the SQL is pushed
down to DuckDB and its results are read before anything else touches the connection.
"""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager
from typing import Literal

from great_expectations.datasource.fluent import SQLDatasource
from great_expectations.execution_engine import SqlAlchemyExecutionEngine


class DuckDBExecutionEngine(SqlAlchemyExecutionEngine):
    @contextmanager
    def get_connection(self) -> Generator:
        if self._connection is None:
            self._connection = self.engine.connect()
        yield self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        super().close()


class DuckDBDatasource(SQLDatasource):
    """``context.data_sources.add_duckdb(name=..., connection_string="duckdb:///path")``."""

    type: Literal["duckdb"] = "duckdb"  # type: ignore[assignment]
    execution_engine_override = DuckDBExecutionEngine  # type: ignore[assignment]
