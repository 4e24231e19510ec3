"""The asset graph, snapshotted: a change to it is a deliberate change to this file.

After a deliberate change, write it again with
``.venv/bin/pytest tests/test_asset_graph.py --update-snapshots`` (the flag is refused
anywhere else). A missing snapshot is a failure, never written silently.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.txt"


def _graph() -> str:
    from orchestration.definitions import defs

    definitions = defs()
    graph = definitions.resolve_asset_graph()
    lines = []
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        deps = ", ".join(sorted(p.to_user_string() for p in node.parent_keys))
        monthly = " monthly" if node.partitions_def is not None else ""
        lines.append(f"asset {key.to_user_string()} [{node.group_name}{monthly}] <- {deps}")
    for check in sorted(graph.asset_check_keys, key=lambda k: k.to_user_string()):
        lines.append(f"check {check.to_user_string()}")
    jobs = sorted(j.name for j in definitions.resolve_all_job_defs() if not j.name.startswith("__"))
    lines.append(f"jobs {', '.join(jobs)}")
    lines.append(f"schedules {', '.join(sorted(s.name for s in definitions.schedules))}")
    lines.append(f"sensors {', '.join(sorted(s.name for s in definitions.sensors))}")
    return "\n".join(lines) + "\n"


def test_asset_graph_matches_snapshot(request: pytest.FixtureRequest) -> None:
    graph = _graph()
    if request.config.getoption("--update-snapshots"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(graph, encoding="utf-8")
    assert SNAPSHOT.exists(), (
        f"{SNAPSHOT} is missing: write it with "
        "`.venv/bin/pytest tests/test_asset_graph.py --update-snapshots` and review the diff"
    )
    assert graph == SNAPSHOT.read_text(encoding="utf-8")


def test_every_rule_is_a_check_on_the_mart_it_guards() -> None:
    from expectations.catalogue import load_rules

    graph = _graph()
    for rule in load_rules():
        assert f"check marts/{rule.guards}:{rule.check_name}" in graph


def test_every_rule_is_downstream_of_every_model_it_reads() -> None:
    """The lineage shows what each rule reads: R13 the province's published figures, and
    every rule each model its SQL refers to."""
    from expectations.catalogue import load_rules
    from orchestration.dbt_setup import manifest

    nodes = manifest()["nodes"]
    lines = {line.split(" [")[0].removeprefix("asset "): line for line in _graph().splitlines()}
    r13 = lines["rules/r13_city_matches_province"]
    assert "staging/stg_published__province_figures" in r13

    def parents(uid: str) -> set[str]:
        """What a node reads, an ephemeral model (compiled into it, no asset) seen through."""
        out = set()
        for parent in nodes[uid]["depends_on"]["nodes"]:
            ephemeral = nodes.get(parent, {}).get("config", {}).get("materialized") == "ephemeral"
            out |= parents(parent) if ephemeral else {parent}
        return out

    for rule in load_rules():
        line = lines[f"rules/{rule.model}"]
        for parent in parents(f"model.zhaoshang.{rule.model}"):
            parent_node = nodes[parent]
            assert f"{parent_node['schema']}/{parent_node['name']}" in line, (rule.model, parent)


def test_no_model_of_the_whole_step_reads_a_model_built_by_month() -> None:
    """Dagster builds the models in two steps, the whole ones first, then those tagged
    ``monthly`` for the run's months: a model of the first step reading one of the second
    would read it before the run built it."""
    from orchestration.dbt_setup import manifest

    nodes = manifest()["nodes"]
    monthly = {uid for uid, node in nodes.items() if "monthly" in node["tags"]}
    reading_monthly = {
        node["name"]: sorted(nodes[p]["name"] for p in node["depends_on"]["nodes"] if p in monthly)
        for uid, node in nodes.items()
        if node["resource_type"] == "model" and uid not in monthly
    }
    assert {name: parents for name, parents in reading_monthly.items() if parents} == {}
