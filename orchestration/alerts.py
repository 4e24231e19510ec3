"""Data-quality alerts: once per new or changed failure, once per recovery.

A failure is grouped by (rule, period, unit) — the unit being the reporting unit or park,
or for city/province-level rules the city or province. Each run compares the groups that
fail now with what was last notified (``audit.alert_state``): a group that is new, or whose
failing figures changed, is announced; a group that was failing and now passes is
announced as recovered; anything else stays quiet. Every run's announcements go out as one
digest per channel, so a bad month is one message, not hundreds.

Channels (addresses and secrets come from the environment only):

- always: a JSON-lines log, ``$ZS_ALERT_LOG`` (default ``$ZS_DATA_DIR/alerts/alerts.jsonl``);
- ``ZS_ALERT_WEBHOOK_URL``: a generic JSON POST of the digest;
- ``ZS_ALERT_DINGTALK_URL`` (+ ``ZS_ALERT_DINGTALK_SECRET`` for 加签): a DingTalk group robot;
- ``ZS_ALERT_WECOM_URL``: a WeCom (企业微信) group robot;
- ``ZS_ALERT_SMTP_HOST`` (+ ``_PORT``, ``_USER``, ``_PASSWORD``, ``_FROM``, ``_TO``
  comma-separated, ``_STARTTLS``): e-mail.

Every delivery, successful or not, is recorded in ``audit.alert_deliveries``. A channel that
fails is logged and recorded; it does not stop the run, and the others still go out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import smtplib
import time
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import duckdb

from expectations.catalogue import load_rules

from .config import Settings
from .publish import reconciliation_status
from .seeds import cause_labels

log = logging.getLogger(__name__)
DIGEST_LIMIT = 15  # alerts listed in full in one message; the rest are counted

STATE_DDL = [
    "create schema if not exists audit",
    """
    create table if not exists audit.alert_state (
        group_key varchar primary key,
        rule_id varchar,
        period varchar,
        subject_code varchar,
        fingerprint varchar,
        status varchar,
        first_failed_at timestamp,
        last_notified_at timestamp
    )
    """,
    """
    create table if not exists audit.alert_deliveries (
        sent_at timestamp,
        run_id varchar,
        channel varchar,
        alerts bigint,
        ok boolean,
        error varchar
    )
    """,
]

# Failing groups of the latest run, with a fingerprint of their failing figures and the
# row that best describes them (largest gap first).
_GROUPS_SQL = """
with failing as (
    select
        *,
        -- a failure whose cause lies in an earlier month's unit slip (its echo) joins that
        -- slip's group: one slip, one alert
        case when cause_period is not null and suspect_cause = 'unit_scale' then 'R16' else rule_id end
            as group_rule_id,
        coalesce(cause_period, period) as group_period,
        coalesce(unit_code, scope_code) as subject_code
    from audit.reconciliation_results
    where status = 'fail'
),

keyed as (
    select
        *,
        group_rule_id || '|' || group_period || '|' || coalesce(subject_code, '') as group_key,
        -- the row that best describes the group: the group's own rule first, largest gap
        struct_pack(own := rule_id = group_rule_id, gap := abs(coalesce(difference, 0))) as weight
    from failing
),

names as (
    select unit_code, unit_name from staging.stg_reference__units
)

select
    f.group_key,
    any_value(f.group_rule_id) as rule_id,
    min(f.severity) as severity,
    any_value(f.group_period) as period,
    any_value(f.subject_code) as subject_code,
    any_value(n.unit_name) as subject_name,
    count(*) as failing_rows,
    -- echoes are left out, so that a slip's echo arriving next month does not announce it again
    md5(coalesce(string_agg(
        concat_ws('|', f.metric, f.project_code, f.expected_value, f.actual_value),
        ';' order by f.metric, f.project_code, f.expected_value, f.actual_value
    ) filter (f.cause_period is null), '')) as fingerprint,
    arg_max(f.metric, f.weight) as metric,
    arg_max(f.project_code, f.weight) as project_code,
    arg_max(f.expected_value, f.weight) as expected_value,
    arg_max(f.actual_value, f.weight) as actual_value,
    arg_max(f.difference, f.weight) as difference,
    arg_max(f.suspect_unit_code, f.weight) as suspect_unit_code,
    arg_max(f.suspect_cause, f.weight) as suspect_cause,
    arg_max(f.detail, f.weight) as detail
from keyed as f
left join names as n on f.subject_code = n.unit_code
group by f.group_key
order by min(f.severity), any_value(f.group_rule_id), any_value(f.group_period), f.group_key
"""


@dataclass
class Alert:
    kind: str  # failure | recovery
    group_key: str
    rule_id: str
    rule_label: str
    severity: str
    period: str
    subject_code: str | None
    subject_name: str | None
    failing_rows: int = 0
    metric: str | None = None
    project_code: str | None = None
    expected_value: float | None = None
    actual_value: float | None = None
    difference: float | None = None
    suspect_unit_code: str | None = None
    suspect_name: str | None = None
    suspect_cause: str | None = None
    detail: str | None = None
    changed: bool = False

    def line(self) -> str:
        """The alert in one Chinese sentence (markdown-safe)."""
        who = f"{self.subject_name or ''}（{self.subject_code}）" if self.subject_code else ""
        head = f"【{self.rule_id} {self.rule_label}】{self.period} {who}"
        if self.kind == "recovery":
            return f"{head}：已恢复正常。"
        parts = [
            f"{head}（{'错误' if self.severity == 'error' else '警告'}{'，有变化' if self.changed else ''}）"
        ]
        if self.actual_value is not None or self.expected_value is not None:
            parts.append(
                f"应为 {_num(self.expected_value)}，实际 {_num(self.actual_value)}"
                + (f"，差 {_num(self.difference)}" if self.difference is not None else "")
            )
        if self.suspect_unit_code or self.suspect_cause:
            parts.append(
                f"疑似 {self.suspect_name or ''}（{self.suspect_unit_code or '—'}）："
                f"{cause_labels().get(self.suspect_cause or 'other', self.suspect_cause)}"
            )
        if self.failing_rows > 1:
            parts.append(f"共 {self.failing_rows} 处")
        if self.detail:
            parts.append(f"详情：{self.detail}")
        return "；".join(parts)


def _num(v: float | None) -> str:
    return "—" if v is None else f"{float(v):,.2f}"


@dataclass
class Digest:
    run_id: str
    decision: str  # what the publish step will do with this build
    alerts: list[Alert] = field(default_factory=list)
    where: str = ""

    @property
    def title(self) -> str:
        failures = sum(a.kind == "failure" for a in self.alerts)
        recoveries = len(self.alerts) - failures
        bits = [
            f"{failures} 项新问题" if failures else "",
            f"{recoveries} 项已恢复" if recoveries else "",
        ]
        return "招商数仓核对：" + "，".join(b for b in bits if b)

    def text(self, markdown: bool = False) -> str:
        bullet = "- " if markdown else "· "
        lines = [f"### {self.title}" if markdown else self.title, ""]
        lines.append(f"本次构建：{self.decision}")
        lines.append("")
        shown = self.alerts[:DIGEST_LIMIT]
        lines += [bullet + a.line() for a in shown]
        if len(self.alerts) > len(shown):
            lines.append(f"{bullet}另有 {len(self.alerts) - len(shown)} 项，见审计表。")
        lines += ["", f"查看更多：{self.where}"]
        return "\n".join(lines)


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


class Alerter:
    def __init__(self, settings: Settings, timeout: float = 10.0) -> None:
        self.settings = settings
        self.timeout = timeout

    # what to announce ---------------------------------------------------------------
    def pending(self, con: duckdb.DuckDBPyConnection) -> tuple[Digest, dict[str, dict]]:
        """What to announce, and the failing groups of this run by key."""
        for stmt in STATE_DDL:
            con.execute(stmt)
        labels = {r.rule_id: r.label for r in load_rules()}
        run_id, error_failures = reconciliation_status(con)
        if run_id is None:  # no rule has been built yet: nothing to announce
            return Digest("", "", where=self._where()), {}
        decision = (
            f"因 {error_failures} 处错误级问题暂停发布，BI 仍显示上一次通过核对的数据"
            if error_failures
            else "已通过错误级核对，将发布"
        )
        cursor = con.execute(_GROUPS_SQL)
        names = [d[0] for d in cursor.description]
        current = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        state = {
            r[0]: (r[1], r[2])
            for r in con.execute(
                "select group_key, fingerprint, status from audit.alert_state"
            ).fetchall()
        }
        unit_names = dict(
            con.execute("select unit_code, unit_name from staging.stg_reference__units").fetchall()
        )
        digest = Digest(run_id or "", decision, where=self._where())
        for g in current:
            known = state.get(g["group_key"])
            if known and known[1] == "failing" and known[0] == g["fingerprint"]:
                continue
            digest.alerts.append(
                Alert(
                    kind="failure",
                    rule_label=labels.get(g["rule_id"], g["rule_id"]),
                    suspect_name=unit_names.get(g["suspect_unit_code"]),
                    changed=bool(known and known[1] == "failing"),
                    **{
                        k: g[k] for k in Alert.__dataclass_fields__ if k in g and k not in ("kind",)
                    },
                )
            )
        failing_now = {g["group_key"] for g in current}
        for key, (_, status) in state.items():
            if status == "failing" and key not in failing_now:
                rule_id, period, subject = key.split("|", 2)
                digest.alerts.append(
                    Alert(
                        kind="recovery",
                        group_key=key,
                        rule_id=rule_id,
                        rule_label=labels.get(rule_id, rule_id),
                        severity="",
                        period=period,
                        subject_code=subject or None,
                        subject_name=unit_names.get(subject),
                    )
                )
        digest.alerts.sort(
            key=lambda a: (a.kind != "failure", a.severity != "error", a.rule_id, a.period)
        )
        return digest, {g["group_key"]: g for g in current}

    def _where(self) -> str:
        ui = _env("ZS_DAGSTER_URL") or "http://127.0.0.1:3000"
        return (
            f"Dagster {ui}/asset-groups（资产检查）；审计表 audit.reconciliation_results，"
            f"{self.settings.warehouse_path}；Data Docs {self.settings.data_dir / 'docs' / 'index.html'}"
        )

    # sending -----------------------------------------------------------------------------
    def run(self, con: duckdb.DuckDBPyConnection) -> Digest:
        """Announce what is new since the last run; remember it."""
        digest, current = self.pending(con)
        if not digest.alerts:
            return digest
        now = datetime.now(UTC).replace(tzinfo=None)
        deliveries = [("log", self._to_log)]
        for env, name, fn in (
            ("ZS_ALERT_WEBHOOK_URL", "webhook", self._to_webhook),
            ("ZS_ALERT_DINGTALK_URL", "dingtalk", self._to_dingtalk),
            ("ZS_ALERT_WECOM_URL", "wecom", self._to_wecom),
            ("ZS_ALERT_SMTP_HOST", "email", self._to_email),
        ):
            if _env(env):
                deliveries.append((name, fn))
        for name, fn in deliveries:
            error = None
            try:
                fn(digest)
            except Exception as exc:  # a channel down must not stop the others
                error = f"{type(exc).__name__}: {exc}"
                log.warning("alert channel %s failed: %s", name, error)
            con.execute(
                "insert into audit.alert_deliveries values (?, ?, ?, ?, ?, ?)",
                [now, digest.run_id, name, len(digest.alerts), error is None, error],
            )
        for a in digest.alerts:
            g = current.get(a.group_key)
            con.execute(
                """
                insert into audit.alert_state values (?, ?, ?, ?, ?, ?, ?, ?)
                on conflict (group_key) do update set
                    fingerprint = excluded.fingerprint,
                    status = excluded.status,
                    first_failed_at = case
                        when audit.alert_state.status = 'failing' then audit.alert_state.first_failed_at
                        else excluded.first_failed_at
                    end,
                    last_notified_at = excluded.last_notified_at
                """,
                [
                    a.group_key,
                    a.rule_id,
                    a.period,
                    a.subject_code,
                    g["fingerprint"] if g else None,
                    "failing" if a.kind == "failure" else "recovered",
                    now,
                    now,
                ],
            )
        return digest

    def _to_log(self, digest: Digest) -> None:
        path = Path(_env("ZS_ALERT_LOG") or self.settings.data_dir / "alerts" / "alerts.jsonl")
        path.parent.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        with path.open("a", encoding="utf-8") as f:
            for a in digest.alerts:
                record = {"at": stamp, "run_id": digest.run_id, "message": a.line(), **asdict(a)}
                f.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")

    def _post(self, url: str, payload: dict) -> None:
        body = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
        req = urllib.request.Request(
            url, data=body, headers={"Content-Type": "application/json; charset=utf-8"}
        )
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            answer = resp.read().decode("utf-8", "replace")
        # DingTalk and WeCom answer 200 with an error code in the body
        try:
            code = json.loads(answer).get("errcode", 0)
        except (ValueError, AttributeError):
            code = 0
        if code:
            raise RuntimeError(f"robot answered {answer[:200]}")

    def _to_webhook(self, digest: Digest) -> None:
        self._post(
            _env("ZS_ALERT_WEBHOOK_URL") or "",
            {
                "title": digest.title,
                "run_id": digest.run_id,
                "decision": digest.decision,
                "text": digest.text(),
                "alerts": [{**asdict(a), "message": a.line()} for a in digest.alerts],
            },
        )

    def _to_dingtalk(self, digest: Digest) -> None:
        url = _env("ZS_ALERT_DINGTALK_URL") or ""
        secret = _env("ZS_ALERT_DINGTALK_SECRET")
        if secret:  # 加签: timestamp and HMAC-SHA256 signature as query parameters
            ts = str(round(time.time() * 1000))
            mac = hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
            sign = urllib.parse.quote_plus(base64.b64encode(mac))
            url += ("&" if "?" in url else "?") + f"timestamp={ts}&sign={sign}"
        self._post(
            url,
            {
                "msgtype": "markdown",
                "markdown": {"title": digest.title, "text": digest.text(markdown=True)},
            },
        )

    def _to_wecom(self, digest: Digest) -> None:
        content = digest.text(markdown=True)
        self._post(
            _env("ZS_ALERT_WECOM_URL") or "",
            {
                "msgtype": "markdown",
                "markdown": {"content": content.encode("utf-8")[:4000].decode("utf-8", "ignore")},
            },
        )

    def _to_email(self, digest: Digest) -> None:
        host = _env("ZS_ALERT_SMTP_HOST") or ""
        port = int(_env("ZS_ALERT_SMTP_PORT") or 25)
        recipients = [r.strip() for r in (_env("ZS_ALERT_SMTP_TO") or "").split(",") if r.strip()]
        if not recipients:
            raise ValueError("ZS_ALERT_SMTP_TO names no recipient")
        msg = EmailMessage()
        msg["Subject"] = digest.title
        msg["From"] = _env("ZS_ALERT_SMTP_FROM") or "zhaoshang-warehouse@localhost"
        msg["To"] = ", ".join(recipients)
        msg.set_content(digest.text())
        with smtplib.SMTP(host, port, timeout=self.timeout) as smtp:
            if (_env("ZS_ALERT_SMTP_STARTTLS") or "").lower() in ("1", "true", "yes"):
                smtp.starttls()
            user = _env("ZS_ALERT_SMTP_USER")
            if user:
                smtp.login(user, _env("ZS_ALERT_SMTP_PASSWORD") or "")
            smtp.send_message(msg)


def send_alerts(settings: Settings) -> Digest:
    """Run the alerting step against the build warehouse."""
    with duckdb.connect(str(settings.build_path)) as con:
        con.execute("begin transaction")
        digest = Alerter(settings).run(con)
        con.execute("commit")
    return digest
