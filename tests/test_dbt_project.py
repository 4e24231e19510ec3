"""The dbt project's structure, from its manifest, and its own tests on an empty warehouse:
every rule a model with its meta, the audit the union of all of them, only staging reading
sources, and dbt's unit tests (each rule on small fixtures) passing."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from expectations.catalogue import load_rules, rules_from_manifest
from orchestration.config import DBT_PROJECT_DIR
from orchestration.dbt_setup import dbt_env, dbt_executable, dbt_vars, manifest, rule_models
from orchestration.ingest.landing import ddl


@pytest.fixture(scope="module")
def nodes() -> dict:
    return manifest()["nodes"]


def test_every_rule_is_one_sql_file_and_its_own_yaml_found_by_its_tag(nodes: dict) -> None:
    """The catalogue (models tagged rule) is the models of models/rules/, each with its
    header and its unit tests in its own YAML; the audit's union reads every one of them
    (var rule_models: the folder), and the catalogue of the spec is all there."""
    rules = load_rules()
    assert [r.rule_id for r in rules] == [f"R{i:02d}" for i in range(1, len(rules) + 1)]
    assert {f"R{i:02d}" for i in range(1, 17)} <= {r.rule_id for r in rules}
    assert {r.severity for r in rules} == {"error", "warn"}
    assert {"R12", "R13", "R14"} <= {r.rule_id for r in rules if r.stage == "totals"}
    assert [r.model for r in rules] == rule_models()
    unit_tests = manifest()["unit_tests"].values()
    union = nodes["model.zhaoshang.reconciliation_results"]["depends_on"]["nodes"]
    for rule in rules:
        node = nodes[f"model.zhaoshang.{rule.model}"]
        assert node["path"] == f"rules/{rule.model}.sql"
        assert node["patch_path"] == f"zhaoshang://models/rules/{rule.model}.yml"
        assert f"model.zhaoshang.{rule.guards}" in nodes, rule.guards
        assert f"model.zhaoshang.{rule.model}" in union, rule.model
        own = [t for t in unit_tests if t["model"] == rule.model]
        assert own, f"{rule.model} has no unit test"
        assert {t["original_file_path"] for t in own} == {f"models/rules/{rule.model}.yml"}
    # the clerk's check: the rules one submission can be checked against say so in their meta
    alone = {r.rule_id: r.needs_forms for r in rules if r.checkable_alone}
    assert alone == {
        "R01": (),
        "R02": ("form_a", "form_s"),
        "R03": (),
        "R04": (),
        "R17": (),
        "R18": (),
    }


def test_a_rule_with_a_bad_severity_is_refused() -> None:
    bad = {
        "nodes": {
            "model.zhaoshang.r99_x": {
                "resource_type": "model",
                "tags": ["rule"],
                "name": "r99_x",
                "schema": "rules",
                "config": {
                    "meta": {
                        "rule_id": "R99",
                        "severity": "fatal",
                        "stage": "rows",
                        "guards": "x",
                        "title": "t",
                        "label": "l",
                    }
                },
            }
        }
    }
    with pytest.raises(ValueError, match="severity"):
        rules_from_manifest(bad)


def test_the_audit_is_the_union_of_every_rule_and_the_culprits(nodes: dict) -> None:
    audit = nodes["model.zhaoshang.reconciliation_results"]["depends_on"]["nodes"]
    assert set(audit) == {f"model.zhaoshang.{r.model}" for r in load_rules()} | {
        "model.zhaoshang.int_culprits_ranked"
    }


def test_only_staging_reads_sources(nodes: dict) -> None:
    readers = {
        n["original_file_path"]
        for n in nodes.values()
        if n["resource_type"] == "model"
        and any(d.startswith("source.") for d in n["depends_on"]["nodes"])
    }
    assert readers and all(p.startswith("models/staging/stg_") for p in readers), readers


def test_every_model_and_column_is_described(nodes: dict) -> None:
    """A rule model's columns are the rule result contract (macro rule_result), described
    once, on their union audit.reconciliation_results (is_failure there is status)."""
    union = nodes["model.zhaoshang.reconciliation_results"]["columns"]
    result = "period unit_code project_code scope_code metric expected_value actual_value"
    result += " suspect_unit_code suspect_cause cause_period detail source_file status"
    assert set(result.split()) <= union.keys()
    for node in nodes.values():
        if node["resource_type"] != "model":
            continue
        assert node["description"].strip(), node["name"]
        if "rule" in node["tags"] or "culprit_cause" in node["tags"]:
            # a rule's columns are the result contract; a suspect cause's are the candidates'
            assert not node["columns"], f"{node['name']}: its columns are its union's"
            continue
        assert node["columns"], node["name"]
        for column in node["columns"].values():
            assert column["description"].strip(), f"{node['name']}.{column['name']}"


@pytest.fixture(scope="module")
def empty_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty build warehouse: the landing tables the loader creates, nothing in them."""
    data = tmp_path_factory.mktemp("empty") / "data"
    db = data / "build" / "warehouse.duckdb"
    db.parent.mkdir(parents=True)
    with duckdb.connect(str(db)) as con:
        for stmt in ddl():
            con.execute(stmt)
    return data


def test_dbt_builds_an_empty_warehouse_and_its_unit_tests_pass(
    empty_warehouse: Path, tmp_path: Path
) -> None:
    """`dbt build --empty`: every model compiles and runs with its contract on an empty
    warehouse, and every unit test (the rules' among them) passes. (Data tests need data:
    the sample builds run them.)"""
    result = subprocess.run(
        [
            dbt_executable(),
            "build",
            "--empty",
            "--exclude",
            "test_type:data",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
            "--vars",
            json.dumps(dbt_vars()),
        ],
        env={**os.environ, **dbt_env(run_id="unit"), "ZS_DATA_DIR": str(empty_warehouse)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    unit = [r for r in results if r["unique_id"].startswith("unit_test.")]
    assert unit and all(r["status"] == "pass" for r in unit)
    tested = {r["unique_id"].split(".")[2] for r in unit}
    missing = {r.model for r in load_rules()} - tested
    assert not missing, f"rules without a dbt unit test: {sorted(missing)}"
