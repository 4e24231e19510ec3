"""What a dbt step can leave as it is: the nodes whose inputs are what they were when the
node last built (or, for a test, passed).

A run re-sends one clerk's file; before, every one of the step's nodes was rebuilt and
every test run again, though most of them read nothing the file changed (dbt's own work is
about 40 ms a node whatever its SQL). Here, in dbt's process and before each ``dbt build``,
every node gets a fingerprint of what it is made from:

- its **definition**: the parsed node (SQL, config, columns, tests' arguments), every macro
  of the project and of dbt (any change to one: everything again), the project's vars, and
  the values of the environment variables its macros read (``env_var``: the run's months,
  the date, the run id: the models that read them are rebuilt when they change);
- its **inputs**: the data fingerprint of each node or source it reads.

A source's data fingerprint is its content (row count and the sum of its rows' hashes,
computed by DuckDB: a few ms on the sample, a fraction of a second at a province's scale);
a view's, when its definition is unchanged and only its inputs changed, its content too
(the view need not be created again, and a view over changed files may still show the same
rows: the reference data read through the list of current files); a table's or a test's,
its input fingerprint; an ephemeral model's (never built: dbt writes it into the query of
what reads it, the culprits' causes), its input fingerprint, and what reads it waits for
what it reads. A node whose fingerprint is the one stored at its last success, and
whose relation exists, is excluded from the step (``--exclude``); the others run, and
those that succeed store theirs (table ``dbt_state.nodes`` in the build warehouse: the state
goes with the data it describes), computed from what they read as the step ends. A failed or
warned test, a model that failed or was skipped, has its state removed, so that it runs
again; ``--full-refresh`` runs everything. dbt leaves out the tests of a node it is told to
leave out, so a node with a test of the step that has to run is built again too.

The step tells Dagster what it left (``assets/dbt.py``): a model as materialized with its
data version unchanged (after the models it reads, and so that the steps that read it run);
a test is not evaluated again (its last result, on the same data, stands: planned and not
run, in Dagster's terms). The stage line counts them ("models: 14/14 nodes, 68
unchanged").

The premise: only dbt writes the models' relations, and a node's result is determined by
its definition and its inputs (the models by month included: their window is rebuilt from
inputs the fingerprint covers, and a change of window is a change of the environment they
read).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .constants import MONTHLY_TAG

BUILT = frozenset({"success", "pass"})  # what stores a node's state (all else removes it)
_ENV_VAR = re.compile(r"""env_var\(\s*['"]([A-Za-z0-9_]+)['"]""")
_VOLATILE = {"created_at"}  # differs from one parse to the next


@dataclass
class Plan:
    """The step's nodes to leave as they are, and what is needed to record the step's."""

    unchanged: dict[str, str] = field(default_factory=dict)  # id -> its data fingerprint
    # what an unchanged node is reported after: the nodes it reads that the step builds
    waits: dict[str, list[str]] = field(default_factory=dict)
    to_run: set[str] = field(default_factory=set)
    # views read before the step (their rows); those not in to_run are left as they are
    seen: dict[str, str] = field(default_factory=dict)
    planner: _Planner | None = None

    def exclusion(self, manifest: Any) -> list[str]:
        """``--exclude`` arguments for the unchanged nodes (by their full name)."""
        if not self.unchanged:
            return []
        names = ["fqn:" + ".".join(manifest.nodes[uid].fqn) for uid in self.unchanged]
        return ["--exclude", *names]


def _digest(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def content_sql(relation: str) -> str:
    """A relation's content as one value (order-independent; the engine's only SQL here)."""
    return f"select count(*), sum(hash(t)) from {relation} as t"  # noqa: S608 (dbt's names)


def _rows(con: Any, relation: str) -> str:
    return _digest(con.execute(content_sql(relation)).fetchone())


class _Definitions:
    """Definition fingerprints of a manifest's nodes (macros and vars shared by all)."""

    def __init__(self, manifest: Any, vars_: dict, environ: dict[str, str]) -> None:
        self.manifest = manifest
        self.environ = environ
        macros = sorted((uid, m.macro_sql) for uid, m in manifest.macros.items())
        self.salt = _digest(macros, vars_, _versions())
        self._env_names: dict[str, frozenset[str]] = {}

    def env_names(self, uid: str) -> frozenset[str]:
        """The environment variables a macro reads, with those of the macros it calls."""
        if uid not in self._env_names:
            self._env_names[uid] = frozenset()  # a cycle ends here
            macro = self.manifest.macros.get(uid)
            names = set(_ENV_VAR.findall(macro.macro_sql)) if macro else set()
            for called in macro.depends_on.macros if macro else []:
                names |= self.env_names(called)
            self._env_names[uid] = frozenset(names)
        return self._env_names[uid]

    def of(self, node: Any) -> str:
        body = {k: v for k, v in node.to_dict(omit_none=True).items() if k not in _VOLATILE}
        names = set(_ENV_VAR.findall(json.dumps(body, default=str)))
        config = body.get("config", {})
        hooks = json.dumps([config.get("pre-hook"), config.get("post-hook")], default=str)
        called = set(node.depends_on.macros)
        # a hook's macros are called when it runs, not recorded in depends_on
        called |= {
            uid
            for uid, macro in self.manifest.macros.items()
            if macro.package_name == node.package_name and f"{macro.name}(" in hooks
        }
        for uid in called:
            names |= self.env_names(uid)
        env = {name: self.environ.get(name) for name in sorted(names)}
        return _digest(self.salt, body, env)


def _versions() -> list[str]:
    from importlib.metadata import version

    return [version("dbt-core"), version("dbt-duckdb"), version("duckdb")]


def _stored(con: Any) -> dict[str, tuple[str, str, str]]:
    con.execute("create schema if not exists dbt_state")
    con.execute(
        "create table if not exists dbt_state.nodes (unique_id varchar primary key, "
        "definition varchar, inputs varchar, data varchar, recorded_at timestamp)"
    )
    rows = con.execute("select unique_id, definition, inputs, data from dbt_state.nodes").fetchall()
    return {uid: (d, i, data) for uid, d, i, data in rows}


def _relations(con: Any) -> set[str]:
    rows = con.execute("select table_schema, table_name from information_schema.tables")
    return {f"{schema}.{name}".lower() for schema, name in rows.fetchall()}


def _parents(node: Any) -> list[str]:
    return list(getattr(node.depends_on, "nodes", []))  # a seed depends on macros only


def _ordered(manifest: Any) -> list[str]:
    """The manifest's nodes, each after the nodes it reads."""
    done: set[str] = set()
    out: list[str] = []

    def visit(uid: str) -> None:
        stack = [(uid, iter(_parents(manifest.nodes[uid])))]
        done.add(uid)
        while stack:
            current, parents = stack[-1]
            parent = next(parents, None)
            if parent is None:
                stack.pop()
                out.append(current)
            elif parent in manifest.nodes and parent not in done:
                done.add(parent)
                stack.append((parent, iter(_parents(manifest.nodes[parent]))))

    for uid in sorted(manifest.nodes):
        if uid not in done:
            visit(uid)
    return out


def _in_step(manifest: Any, uid: str, monthly: bool) -> bool:
    """Whether the step (by month or not) builds the node: a model or seed by its tag, a test
    where dbt's "buildable" selection runs it (with its last parent)."""
    node = manifest.nodes[uid]
    if node.resource_type not in ("model", "seed", "test"):
        return False
    if node.resource_type != "test":
        return (MONTHLY_TAG in node.tags) == monthly
    parents = [p for p in _parents(node) if p in manifest.nodes]
    return any(MONTHLY_TAG in manifest.nodes[p].tags for p in parents) == monthly


def plan(
    manifest: Any,
    database: Path,
    vars_: dict,
    environ: dict[str, str],
    monthly: bool,
    everything: bool = False,
    sources: dict[str, str] | None = None,
) -> Plan:
    """Which of the step's nodes can stay as they are (none when ``everything``: a full
    refresh), in the order they are built, and the fingerprints of the others. ``sources``:
    the sources' digests read by an earlier step of the same run (dbt writes no source)."""
    import duckdb

    if not database.exists():
        return Plan()
    planner = _Planner(manifest, _Definitions(manifest, vars_, environ), monthly, sources)
    with duckdb.connect(str(database)) as con:
        stored = {} if everything else _stored(con)
        # dbt leaves out the tests of a node it is told to leave out: a node with a test of
        # this step that has to run is built too (and what reads it, in turn)
        forced: set[str] = set()
        views: dict[str, str] = {}
        while True:
            result = planner.decide(con, stored, forced, views)
            more = {
                parent
                for test in result.to_run
                if test.startswith("test.") and _in_step(manifest, test, monthly)
                for parent in _parents(manifest.nodes[test])
                if parent in result.unchanged
            }
            if not more:
                return result
            forced |= more


class _Planner:
    def __init__(
        self,
        manifest: Any,
        definitions: _Definitions,
        monthly: bool,
        sources: dict[str, str] | None = None,
    ) -> None:
        self.manifest = manifest
        self.monthly = monthly
        self.order = _ordered(manifest)
        self.definition_of: dict[str, str] = {}
        for uid in self.order:
            node = manifest.nodes[uid]
            definition = definitions.of(node)
            if self.is_view(uid):  # made again when what it reads is defined anew
                parents = [self.definition_of.get(p) for p in _parents(node)]
                definition = _digest(definition, parents)
            self.definition_of[uid] = definition
        self._sources: dict[str, str] = {} if sources is None else sources

    def is_view(self, uid: str) -> bool:
        return self.manifest.nodes[uid].config.materialized == "view"

    def is_ephemeral(self, uid: str) -> bool:
        """Never built (dbt inlines it into what reads it): what it yields follows from its
        definition and its inputs, which is its data fingerprint."""
        return self.manifest.nodes[uid].config.materialized == "ephemeral"

    def built_parents(self, uid: str) -> list[str]:
        """The nodes ``uid`` reads, through the ephemeral ones (which dbt never reports)."""
        out: list[str] = []
        for parent in _parents(self.manifest.nodes[uid]):
            if parent in self.manifest.nodes and self.is_ephemeral(parent):
                out += [p for p in self.built_parents(parent) if p not in out]
            elif parent not in out:
                out.append(parent)
        return out

    def relation(self, uid: str) -> str | None:
        node = self.manifest.nodes[uid]
        return None if node.resource_type == "test" else f"{node.schema}.{node.alias}".lower()

    def source_data(self, con: Any, uid: str, relations: set[str]) -> str:
        if uid not in self._sources:
            source = self.manifest.sources[uid]
            relation = f"{source.schema}.{source.identifier}".lower()
            self._sources[uid] = (
                _rows(con, relation) if relation in relations else _digest("missing", uid)
            )
        return self._sources[uid]

    def inputs(self, con: Any, uid: str, data: dict[str, str], relations: set[str]) -> str:
        parents = [
            self.source_data(con, p, relations)
            if p in self.manifest.sources
            else data.get(p, _digest("?", p))
            for p in _parents(self.manifest.nodes[uid])
        ]
        return _digest(self.definition_of[uid], parents)

    def decide(
        self,
        con: Any,
        stored: dict[str, tuple[str, str, str]],
        forced: set[str],
        views: dict[str, str],
    ) -> Plan:
        """One pass over the nodes (``views``: rows read so far, kept across passes)."""
        result = Plan(planner=self)
        relations = _relations(con)
        data: dict[str, str] = {}  # unique id -> data fingerprint, as the step starts
        new: set[str] = set()  # built anew: their data is not known until the step ends
        for uid in self.order:
            definition = self.definition_of[uid]
            inputs = self.inputs(con, uid, data, relations)
            if self.is_ephemeral(uid):
                data[uid] = inputs
                if any(p in new for p in _parents(self.manifest.nodes[uid])):
                    new.add(uid)
                continue
            before = stored.get(uid)
            relation = self.relation(uid)
            exists = relation is None or relation in relations
            # what it reads is as it will be when the step ends (no node it reads is built
            # anew: one built again for its tests' sake keeps its rows)
            final = not any(p in new for p in _parents(self.manifest.nodes[uid]))
            if before and before[:2] == (definition, inputs) and exists:
                data[uid] = before[2]
            elif final and self.is_view(uid) and exists and before and before[0] == definition:
                # the same view over changed inputs: its rows as they read now
                if relation not in views:
                    views[relation] = _rows(con, relation)
                data[uid] = result.seen[uid] = views[relation]
            else:
                data[uid] = inputs
                result.to_run.add(uid)
                new.add(uid)
                continue
            if uid in forced:  # built again for its tests' sake: its rows are what they were
                result.to_run.add(uid)
            elif _in_step(self.manifest, uid, self.monthly):
                result.unchanged[uid] = data[uid]
        in_step = {uid for uid in result.to_run if _in_step(self.manifest, uid, self.monthly)}
        result.waits = {
            uid: [p for p in self.built_parents(uid) if p in in_step or p in result.unchanged]
            for uid in result.unchanged
        }
        return result


def record(database: Path, planned: Plan, results: list[tuple[str, str]]) -> None:
    """After the step: the state of each node that built or passed (``results``: unique id,
    status), from what it read as the step ends, and of the views left as they are; the
    state of a node that failed, warned or was skipped is removed."""
    import duckdb

    planner = planned.planner
    if planner is None or not database.exists():
        return
    status = {uid: s for uid, s in results if uid in planner.manifest.nodes}
    rows, gone = [], [uid for uid, s in status.items() if s not in BUILT]
    with duckdb.connect(str(database)) as con:
        stored = _stored(con)
        relations = _relations(con)
        data: dict[str, str] = {}
        for uid in planner.order:
            if planner.is_ephemeral(uid):  # as planned: from its definition and inputs
                data[uid] = planner.inputs(con, uid, data, relations)
                continue
            left = uid in planned.seen and uid not in planned.to_run
            if status.get(uid) in BUILT or left:
                inputs = planner.inputs(con, uid, data, relations)
                relation = planner.relation(uid)
                if uid in planned.seen:  # read before the step, over what it did not change
                    data[uid] = planned.seen[uid]
                elif planner.is_view(uid) and relation in relations:
                    data[uid] = _rows(con, relation)
                else:
                    data[uid] = inputs
                rows.append((uid, planner.definition_of[uid], inputs, data[uid]))
            elif uid in stored and uid not in gone:
                data[uid] = stored[uid][2]
        con.execute("begin transaction")
        removed = [*gone, *(row[0] for row in rows)]
        if removed:
            marks = ", ".join("?" * len(removed))
            con.execute(f"delete from dbt_state.nodes where unique_id in ({marks})", removed)  # noqa: S608
        if rows:
            values = ", ".join(["(?, ?, ?, ?, current_timestamp)"] * len(rows))
            con.execute(
                f"insert into dbt_state.nodes values {values}",  # noqa: S608 (placeholders)
                [value for row in rows for value in row],
            )
        con.execute("commit")
