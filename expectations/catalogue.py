"""The rule catalogue: one SQL file per rule under ``rules/``, with a YAML header."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

RULES_DIR = Path(__file__).resolve().parent / "rules"


def deadline_day() -> str:
    """Day of the following month by which a period's submissions are due (R11)."""
    day = os.environ.get("ZS_SUBMISSION_DEADLINE_DAY", "5").strip()
    if not day.isdigit() or not 1 <= int(day) <= 28:
        raise ValueError(f"ZS_SUBMISSION_DEADLINE_DAY must be a day from 1 to 28, not {day!r}")
    return day


# Tolerances of the catalogue: amounts reconcile within 0.01 亿元 / 0.01 万美元, rates
# within 0.1 percentage points; submissions are due on the 5th of the following month,
# and "today" (for deadlines) is the date in Beijing, whatever the machine's time zone.
def parameters() -> dict[str, str]:
    """What the rule files' {{ placeholders }} stand for, read when the rules are loaded."""
    return {
        "amount_tolerance": "0.01",
        "rate_tolerance_pp": "0.1",
        "deadline_day": deadline_day(),
        "today": datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat(),
    }


SEVERITIES = ("error", "warn")
# Row-level rules run first; "totals" rules (R12-R14) run after them, so that the culprit
# analysis can read this run's row-level findings.
STAGES = ("rows", "totals")
SUSPECT_CAUSES = (
    "unit_scale",
    "double_count",
    "missing_submission",
    "not_in_register",
    "detail_summary_mismatch",
    "ytd_break",
    "published_mismatch",
    "other",
)
# What every rule's SQL returns, in this order of meaning (the runner selects by name).
RESULT_COLUMNS = (
    "period",
    "unit_code",
    "project_code",
    "scope_code",
    "metric",
    "expected_value",
    "actual_value",
    "is_failure",
    "suspect_unit_code",
    "suspect_cause",
    "detail",
    "source_file",
)

_HEADER = re.compile(r"^\s*/\*(.*?)\*/", re.DOTALL)
_PARAM = re.compile(r"\{\{\s*(\w+)\s*\}\}")


@dataclass(frozen=True)
class Rule:
    rule_id: str
    severity: str
    guards: str  # the mart (dbt model name) the rule's asset check is attached to
    title: str
    label: str  # the rule's name in Chinese, for alerts and BI
    sql: str
    path: Path
    stage: str = "rows"

    @property
    def check_name(self) -> str:
        return f"{self.rule_id.lower()}_{self.path.stem.split('_', 1)[1]}"


def _render(sql: str, path: Path) -> str:
    params = parameters()

    def value(m: re.Match) -> str:
        if m.group(1) not in params:
            raise ValueError(f"{path.name}: unknown parameter {m.group(1)}")
        return params[m.group(1)]

    return _PARAM.sub(value, sql)


def parse_rule(path: Path) -> Rule:
    text = path.read_text(encoding="utf-8")
    m = _HEADER.match(text)
    if not m:
        raise ValueError(f"{path.name}: a rule file starts with a /* yaml */ header")
    meta = yaml.safe_load(m.group(1))
    rule = Rule(
        rule_id=str(meta["rule_id"]),
        severity=str(meta["severity"]),
        guards=str(meta["guards"]),
        title=str(meta["title"]),
        label=str(meta["label"]),
        sql=_render(text[m.end() :].strip().rstrip(";"), path),
        path=path,
        stage=str(meta.get("stage", "rows")),
    )
    if rule.stage not in STAGES:
        raise ValueError(f"{path.name}: stage must be one of {STAGES}")
    if rule.severity not in SEVERITIES:
        raise ValueError(f"{path.name}: severity must be one of {SEVERITIES}")
    if not path.stem.startswith(rule.rule_id.lower() + "_"):
        raise ValueError(f"{path.name}: file name must start with {rule.rule_id.lower()}_")
    return rule


def load_rules() -> tuple[Rule, ...]:
    """Every rule of the catalogue, in id order, with the parameters of the environment."""
    return tuple(parse_rule(p) for p in sorted(RULES_DIR.glob("r[0-9][0-9]_*.sql")))
