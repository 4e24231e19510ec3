"""Reconciliation: the rule catalogue (R01, R02, …) as SQL files, run through Great Expectations.

Each rule lives in exactly one file, ``rules/rNN_<what>.sql``, whose header names its id,
severity, the asset it guards and a one-line title. The SQL returns one row per thing
checked (rule, period, unit[, project]) with ``is_failure``; Great Expectations runs it
in DuckDB as a query asset and expects no failing rows; the runner writes every row to
``audit.reconciliation_results``.
"""
