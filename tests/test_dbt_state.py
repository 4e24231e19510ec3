"""A run builds what its changes reach (``orchestration/dbt_state.py``): a clerk's revised
form leaves the models and tests that read nothing it changed as they are, and says so —
in the run's stage line, and to Dagster (the model materialized with its data version
unchanged; its tests, passed on the same data, not evaluated again). A reference file that breaks a
model they left alone gets it built and tested again: the run fails on its test, whose
state is then gone (the next run tests it again).
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from orchestration.assets.dbt import UNCHANGED

from .conftest import Built, copy_build, pointing_at, run_warehouse

pytestmark = pytest.mark.slow


def _recorded(data: Path, what: str = "recorded_at") -> dict[str, object]:
    """unique id -> when its state was recorded (or its data fingerprint: ``what="data"``)."""
    with duckdb.connect(str(data / "build" / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(f"select unique_id, {what} from dbt_state.nodes").fetchall()  # noqa: S608
    return dict(rows)


def _models_line(err: str) -> str:
    (line,) = [ln for ln in err.splitlines() if re.match(r"\s*models:", ln)]
    return line


def _revise_a_remark(raw: Path) -> None:
    """A clerk re-sends a form A of the last month with a remark added."""
    last = sorted(p.name for p in (raw / "submissions").iterdir())[-1]
    path = next(p for p in sorted((raw / "submissions" / last).rglob("*.csv")) if "明细" in p.name)
    lines = path.read_text(encoding="utf-8-sig").split("\n")
    first = next(i for i, line in enumerate(lines) if line[:2] == "1,")
    lines[first] = lines[first].rstrip("\r").rstrip(",") + ",更正"
    path.write_text("\n".join(lines), encoding="utf-8-sig")


def test_a_revised_form_leaves_what_it_does_not_reach_and_a_broken_reference_is_tested_again(
    clean_build: Built, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    raw, data = copy_build(clean_build, tmp_path)
    before = _recorded(data)
    chain_tests = [
        uid
        for uid in before
        if uid.startswith("test.") and "_dim_chain_" in uid and "relationships_" not in uid
    ]
    assert "model.zhaoshang.dim_chain" in before and chain_tests

    # a remark on one form: the chains (reference data) are left, the calendar is built
    _revise_a_remark(raw)
    capfd.readouterr()
    home = tmp_path / "dagster"
    assert run_warehouse(raw, data, dagster_home=home).exit_code == 0
    err = capfd.readouterr().err
    line = _models_line(err)
    ran, total, unchanged = map(
        int, re.search(r"(\d+)/(\d+) nodes, (\d+) unchanged", line).groups()
    )
    assert ran == total and unchanged > ran, line
    after = _recorded(data)
    for uid in ["model.zhaoshang.dim_chain", *chain_tests]:
        assert after[uid] == before[uid], f"{uid} was run again"
    assert after["model.zhaoshang.dim_date"] > before["model.zhaoshang.dim_date"]

    # ... and told to Dagster: the chains materialized as they were (so that what reads them
    # runs), their tests not evaluated again, quietly
    import dagster as dg

    assert "emitted no result" not in err
    with pointing_at(raw, data, home):
        instance = dg.DagsterInstance.get()
        event = instance.get_latest_materialization_event(dg.AssetKey(["marts", "dim_chain"]))
        assert event.asset_materialization.metadata["dbt"].value == UNCHANGED
        version = event.asset_materialization.tags["dagster/data_version"]
        assert version == _recorded(data, "data")["model.zhaoshang.dim_chain"]
        chain_key = dg.AssetCheckKey(
            dg.AssetKey(["marts", "dim_chain"]), "unique_dim_chain_chain_key"
        )
        (left,) = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [chain_key]
        ).values()
        assert left.status.value == "PLANNED"  # planned with the step, never evaluated
        date_key = dg.AssetCheckKey(dg.AssetKey(["marts", "dim_date"]), "unique_dim_date_date_key")
        (evaluated,) = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [date_key]
        ).values()
        assert evaluated.event.dagster_event.event_specific_data.passed

    # a reference file with a chain listed twice: the chains are built and tested again
    chains = raw / "reference" / "chains.csv"
    good = chains.read_text(encoding="utf-8-sig")
    rows = good.rstrip("\n").split("\n")
    chains.write_text("\n".join([*rows, rows[1]]) + "\n", encoding="utf-8-sig")
    assert run_warehouse(raw, data).exit_code != 0
    err = capfd.readouterr().err
    assert "unique_combination_of_columns_dim_chain_scheme__chain_code" in err, err[-3000:]
    # ... and, failed, its state is gone: the next run tests the chains again
    duplicate = "test.zhaoshang.unique_combination_of_columns_dim_chain_scheme__chain_code"
    assert not [uid for uid in _recorded(data) if uid.startswith(duplicate)]


def test_a_model_that_reads_ephemeral_models_is_left_when_they_read_the_same(
    clean_build: Built, tmp_path: Path
) -> None:
    """The culprits' causes are ephemeral (dbt never builds or reports them): the union that
    reads them is fingerprinted through them, so the same month run twice over the same files
    leaves it as it is the second time; no ephemeral model has a state of its own."""
    from orchestration.cli import run_pipeline

    raw, data = copy_build(clean_build, tmp_path)
    month = sorted(p.name for p in (raw / "submissions").iterdir())[-1]
    candidates = "model.zhaoshang.int_culprit_candidates"
    with pointing_at(raw, data):
        assert run_pipeline(months=(month, month)) == 0
        first = _recorded(data)
        assert run_pipeline(months=(month, month)) == 0
    again = _recorded(data)
    assert again[candidates] == first[candidates]  # left as it was
    assert not [uid for uid in again if ".int_culprit_" in uid and uid != candidates]
