"""The asset graph, snapshotted: a change to it is a deliberate change to this file.

Regenerate with ``UPDATE_SNAPSHOTS=1 pytest tests/test_asset_graph.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

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


def test_asset_graph_matches_snapshot() -> None:
    graph = _graph()
    if os.environ.get("UPDATE_SNAPSHOTS") or not SNAPSHOT.exists():
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(graph, encoding="utf-8")
    assert graph == SNAPSHOT.read_text(encoding="utf-8")


def test_every_rule_is_a_check_on_the_mart_it_guards() -> None:
    from expectations.catalogue import load_rules

    graph = _graph()
    for rule in load_rules():
        assert f"check marts/{rule.guards}:{rule.check_name}" in graph
