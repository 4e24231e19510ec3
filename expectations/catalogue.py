"""The rule catalogue, as the dbt project declares it: one model per rule under
``dbt_project/models/rules/`` (tag ``rule``), its header fields in the model's meta (its own
YAML, ``rNN_<what>.yml``). Read from dbt's manifest, so Python and dbt see the same rules;
nothing else lists them (the audit's union gets them from the folder: ``dbt_setup.rule_models``).
"""

from __future__ import annotations

from dataclasses import dataclass

SEVERITIES = ("error", "warn")
# "rows": a rule about figures of one submission or project; "totals": a rule about a
# city's or the province's total (R12-R14), whose failure gets a culprit.
STAGES = ("rows", "totals")
RULE_TAG = "rule"
# The audit's run, as SQL over audit.reconciliation_results: the run that wrote it last. A
# run replaces the periods it checked; the earlier periods keep the run that checked them.
AUDIT_RUN = "arg_max(run_id, checked_at)"


@dataclass(frozen=True)
class Rule:
    rule_id: str
    severity: str
    stage: str
    guards: str  # the mart (dbt model name) the rule's asset check is attached to
    title: str
    label: str  # the rule's name in Chinese, for alerts and BI
    model: str  # the dbt model that computes it, e.g. r02_summary_matches_detail
    schema: str  # where dbt builds it
    # in a clerk's check of one submission (zhaoshang check): meta checkable_alone, and
    # needs_forms, the forms the submission must carry for the rule to apply
    checkable_alone: bool = False
    needs_forms: tuple[str, ...] = ()

    @property
    def check_name(self) -> str:
        """The asset check's name: the model's name."""
        return self.model

    @property
    def relation(self) -> str:
        return f"{self.schema}.{self.model}"


def rules_from_manifest(manifest: dict) -> tuple[Rule, ...]:
    """Every rule model in the manifest, in id order; their meta validated."""
    out = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or RULE_TAG not in node["tags"]:
            continue
        meta = node["config"].get("meta", {})
        missing = {"rule_id", "severity", "stage", "guards", "title", "label"} - set(meta)
        if missing:
            raise ValueError(f"rule model {node['name']}: meta lacks {', '.join(sorted(missing))}")
        rule = Rule(
            rule_id=str(meta["rule_id"]),
            severity=str(meta["severity"]),
            stage=str(meta["stage"]),
            guards=str(meta["guards"]),
            title=str(meta["title"]),
            label=str(meta["label"]),
            model=node["name"],
            schema=node["schema"],
            checkable_alone=meta.get("checkable_alone", False) is True,
            needs_forms=tuple(meta.get("needs_forms") or ()),
        )
        if rule.severity not in SEVERITIES:
            raise ValueError(f"{rule.model}: severity must be one of {SEVERITIES}")
        if rule.stage not in STAGES:
            raise ValueError(f"{rule.model}: stage must be one of {STAGES}")
        if not rule.model.startswith(rule.rule_id.lower() + "_"):
            raise ValueError(f"{rule.model}: a rule model's name starts with its id")
        out.append(rule)
    ids = [r.rule_id for r in out]
    if len(set(ids)) != len(ids):
        raise ValueError(
            f"two rule models share an id: {sorted(i for i in ids if ids.count(i) > 1)}"
        )
    return tuple(sorted(out, key=lambda r: r.rule_id))


def load_rules() -> tuple[Rule, ...]:
    """The catalogue of the dbt project on disk (its manifest rebuilt if files changed)."""
    from orchestration.dbt_setup import manifest

    return rules_from_manifest(manifest())
