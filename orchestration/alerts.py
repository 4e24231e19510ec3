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
- ``ZS_ALERT_FEISHU_URL`` (+ ``ZS_ALERT_FEISHU_SECRET`` for 签名校验): a Feishu/Lark group robot;
- ``ZS_ALERT_SMTP_HOST`` (+ ``_PORT``, ``_USER``, ``_PASSWORD``, ``_FROM``, ``_TO``
  comma-separated, ``_STARTTLS``): e-mail.

Within the robots' limits: one digest per channel per run (runs are one at a time), and a
channel that already had ``RATE_PER_MINUTE`` deliveries in the last minute waits for the
next run. Each digest fits its channel (``LIMITS``: DingTalk's and Feishu's request body
under 20,000 bytes, WeCom's markdown at most 4,096): the counts, then the most important
failures (errors first, largest gap first), then how many more and where to see them.

Not lost: each announcement waits in ``audit.alert_outbox`` per channel until that channel
took it. A delivery that failed (network down, or a robot answering HTTP 200 with an error
code in its JSON body) is tried again on the next run, with only what that channel has
not yet taken; the others are not sent anything twice.

Every delivery, successful or not, is recorded in ``audit.alert_deliveries``. A channel that
fails is logged and recorded; it does not stop the run, and the others still go out. Robot
URLs (their tokens), signing secrets and the SMTP password are never written anywhere:
errors are recorded with them masked (``redact``).
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
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import duckdb

from expectations.catalogue import load_rules

from .config import Settings
from .publish import reconciliation_status
from .seeds import cause_labels

log = logging.getLogger(__name__)
DIGEST_LIMIT = 15  # alerts listed in full in a chat message; the rest are counted
RATE_PER_MINUTE = 19  # DingTalk, WeCom: 20 messages a minute per robot; one kept in reserve
# what each channel accepts: (what is measured, bytes), with room kept for JSON escapes
LIMITS = {
    "dingtalk": ("body", 19_000),  # request body under 20,000 bytes
    "feishu": ("body", 19_000),  # request body at most 20 KB
    "wecom": ("content", 4_096),  # markdown.content at most 4,096 bytes (errcode 40058)
}
SECRET_ENVS = (
    "ZS_ALERT_WEBHOOK_URL",
    "ZS_ALERT_DINGTALK_URL",
    "ZS_ALERT_DINGTALK_SECRET",
    "ZS_ALERT_WECOM_URL",
    "ZS_ALERT_FEISHU_URL",
    "ZS_ALERT_FEISHU_SECRET",
    "ZS_ALERT_SMTP_PASSWORD",
)

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
    create table if not exists audit.alert_outbox (
        channel varchar,
        group_key varchar,
        queued_at timestamp,
        run_id varchar,
        alert_json varchar,
        primary key (channel, group_key)
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


def _plain(value: object) -> object:
    """JSON for what DuckDB hands back: decimals as numbers, the rest as text."""
    return float(value) if isinstance(value, Decimal) else str(value)


def _num(v: float | None) -> str:
    return "—" if v is None else f"{float(v):,.2f}"


def _importance(a: Alert) -> tuple:
    """Failures before recoveries, errors before warnings, the largest gap first."""
    return (
        a.kind != "failure",
        a.severity != "error",
        -abs(a.difference or 0),
        a.rule_id,
        a.period,
    )


def _clip(text: str, max_bytes: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[: max_bytes - 3].decode("utf-8", "ignore") + "…"


@dataclass
class Digest:
    run_id: str
    decision: str  # what the publish step will do with this build
    alerts: list[Alert] = field(default_factory=list)
    where: str = ""

    @property
    def title(self) -> str:
        failures = [a for a in self.alerts if a.kind == "failure"]
        errors = sum(a.severity == "error" for a in failures)
        recoveries = len(self.alerts) - len(failures)
        bits = [
            f"{len(failures)} 项新问题" + (f"（错误 {errors} 项）" if errors else "")
            if failures
            else "",
            f"{recoveries} 项已恢复" if recoveries else "",
        ]
        return "招商数仓核对：" + "，".join(b for b in bits if b)

    def text(self, markdown: bool = False, shown: int | None = None) -> str:
        """The digest; ``shown``: how many alerts to list (most important first), the rest
        counted, with where to see them."""
        bullet = "- " if markdown else "· "
        ordered = sorted(self.alerts, key=_importance)
        listed = ordered if shown is None else ordered[:shown]
        lines = [f"### {self.title}" if markdown else self.title, ""]
        lines.append(f"本次构建：{self.decision}")
        lines.append("")
        lines += [bullet + _clip(a.line(), 600) for a in listed]
        rest = ordered[len(listed) :]
        if rest:
            errors = sum(a.kind == "failure" and a.severity == "error" for a in rest)
            lines.append(
                f"{bullet}另有 {len(rest)} 项未列出"
                + (f"（其中错误 {errors} 项）" if errors else "")
                + "，全部见审计表 audit.reconciliation_results 与告警日志。"
            )
        lines += ["", f"查看更多：{self.where}"]
        return "\n".join(lines)

    def fitted(self, size: Callable[[str], int], limit: int, markdown: bool = True) -> str:
        """The longest text (at most DIGEST_LIMIT alerts listed) whose ``size`` is within ``limit``."""
        low, high = 0, min(DIGEST_LIMIT, len(self.alerts))
        while low < high:  # the size grows with the alerts listed: the most that fit
            mid = (low + high + 1) // 2
            if size(self.text(markdown, mid)) <= limit:
                low = mid
            else:
                high = mid - 1
        return self.text(markdown, low)


def redact(text: str) -> str:
    """``text`` with every robot URL's token, signing secret and password masked."""
    secrets: set[str] = set()
    for name in SECRET_ENVS:
        value = _env(name)
        if not value:
            continue
        secrets.add(value)
        if name.endswith("_URL"):
            parts = urllib.parse.urlsplit(value)
            secrets.add(parts.query)
            secrets.update(v for _, v in urllib.parse.parse_qsl(parts.query) if len(v) >= 4)
            secrets.update(seg for seg in parts.path.split("/") if len(seg) >= 16)
    for secret in sorted((x for x in secrets if x), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


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
        digest.alerts.sort(key=_importance)
        return digest, {g["group_key"]: g for g in current}

    def _where(self) -> str:
        ui = _env("ZS_DAGSTER_URL") or "http://127.0.0.1:3000"
        return (
            f"Dagster {ui}/asset-groups（资产检查）；审计表 audit.reconciliation_results，"
            f"{self.settings.warehouse_path}；Data Docs {self.settings.data_dir / 'docs' / 'index.html'}"
        )

    # sending -----------------------------------------------------------------------------
    def channels(self) -> list[tuple[str, Callable[[Digest], None]]]:
        """The channels configured in the environment (the log always)."""
        found = [("log", self._to_log)]
        for env, name, fn in (
            ("ZS_ALERT_WEBHOOK_URL", "webhook", self._to_webhook),
            ("ZS_ALERT_DINGTALK_URL", "dingtalk", self._to_dingtalk),
            ("ZS_ALERT_WECOM_URL", "wecom", self._to_wecom),
            ("ZS_ALERT_FEISHU_URL", "feishu", self._to_feishu),
            ("ZS_ALERT_SMTP_HOST", "email", self._to_email),
        ):
            if _env(env):
                found.append((name, fn))
        return found

    def run(self, con: duckdb.DuckDBPyConnection) -> Digest:
        """Announce what is new since the last run, and what a channel has not yet taken."""
        digest, current = self.pending(con)
        now = datetime.now(UTC).replace(tzinfo=None)
        channels = self.channels()
        if digest.alerts:
            self._queue(con, digest, current, [name for name, _ in channels], now)
        for name, fn in channels:
            self._deliver(con, name, fn, digest, now)
        return digest

    def _queue(
        self, con, digest: Digest, current: dict[str, dict], channels: list[str], now: datetime
    ) -> None:
        """Each new announcement waits for every channel; the groups' state is remembered."""
        alerts = digest.alerts
        con.execute(
            """
            create or replace temp table new_alerts as select
                unnest(?::varchar[]) as group_key,
                unnest(?::varchar[]) as kind,
                unnest(?::varchar[]) as alert_json,
                unnest(?::varchar[]) as rule_id,
                unnest(?::varchar[]) as period,
                unnest(?::varchar[]) as subject_code,
                unnest(?::varchar[]) as fingerprint
            """,
            [
                [a.group_key for a in alerts],
                [a.kind for a in alerts],
                [json.dumps(asdict(a), ensure_ascii=False, default=_plain) for a in alerts],
                [a.rule_id for a in alerts],
                [a.period for a in alerts],
                [a.subject_code for a in alerts],
                [(current.get(a.group_key) or {}).get("fingerprint") for a in alerts],
            ],
        )
        # a recovery of a failure a channel never took: that channel is told neither
        con.execute(
            """
            create or replace temp table to_queue as
            select c.channel, n.group_key, n.alert_json
            from new_alerts as n
            cross join (select unnest(?::varchar[]) as channel) as c
            where not (n.kind = 'recovery' and exists (
                select 1 from audit.alert_outbox as o
                where o.channel = c.channel and o.group_key = n.group_key
            ))
            """,
            [channels],
        )
        con.execute(
            "delete from audit.alert_outbox where group_key in "
            "(select group_key from new_alerts where kind = 'recovery')"
        )
        con.execute(
            """
            insert into audit.alert_outbox
            select channel, group_key, ?, ?, alert_json from to_queue
            on conflict (channel, group_key) do update set
                queued_at = excluded.queued_at,
                run_id = excluded.run_id,
                alert_json = excluded.alert_json
            """,
            [now, digest.run_id],
        )
        con.execute(
            """
            insert into audit.alert_state
            select
                group_key, rule_id, period, subject_code, fingerprint,
                case kind when 'failure' then 'failing' else 'recovered' end, ?, ?
            from new_alerts
            on conflict (group_key) do update set
                fingerprint = excluded.fingerprint,
                status = excluded.status,
                first_failed_at = case
                    when audit.alert_state.status = 'failing' then audit.alert_state.first_failed_at
                    else excluded.first_failed_at
                end,
                last_notified_at = excluded.last_notified_at
            """,
            [now, now],
        )

    def _deliver(self, con, name: str, fn, digest: Digest, now: datetime) -> None:
        """Send this channel everything waiting for it, as one digest; on success, clear it."""
        waiting = con.execute(
            "select group_key, alert_json from audit.alert_outbox where channel = ? order by group_key",
            [name],
        ).fetchall()
        if not waiting:
            return
        if name != "log":
            (recent,) = con.execute(
                "select count(*) from audit.alert_deliveries "
                "where channel = ? and sent_at > ? - interval 60 second",
                [name, now],
            ).fetchone()
            if recent >= RATE_PER_MINUTE:  # the robot would refuse it: the next run sends it
                log.warning(
                    "alert channel %s: %s messages in the last minute, deferred", name, recent
                )
                return
        alerts = [Alert(**json.loads(payload)) for _, payload in waiting]
        one = Digest(digest.run_id, digest.decision, alerts, where=digest.where)
        error = None
        try:
            fn(one)
        except Exception as exc:  # a channel down must not stop the others
            error = redact(f"{type(exc).__name__}: {exc}")[:500]
            log.warning("alert channel %s failed: %s", name, error)
        else:
            con.execute(
                "delete from audit.alert_outbox where channel = ? and group_key in (select unnest(?))",
                [name, [key for key, _ in waiting]],
            )
        con.execute(
            "insert into audit.alert_deliveries values (?, ?, ?, ?, ?, ?)",
            [now, digest.run_id, name, len(alerts), error is None, error],
        )

    def _to_log(self, digest: Digest) -> None:
        path = Path(_env("ZS_ALERT_LOG") or self.settings.data_dir / "alerts" / "alerts.jsonl")
        path.parent.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        with path.open("a", encoding="utf-8") as f:
            for a in sorted(digest.alerts, key=_importance):
                record = {"at": stamp, "run_id": digest.run_id, "message": a.line(), **asdict(a)}
                f.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")

    @staticmethod
    def _body(payload: dict) -> bytes:
        return json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")

    def _post(self, url: str, payload: dict) -> None:
        req = urllib.request.Request(
            url,
            data=self._body(payload),
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            answer = resp.read().decode("utf-8", "replace")
        # DingTalk and WeCom answer 200 with errcode in the body, Feishu with code
        try:
            body = json.loads(answer)
            code = body.get("errcode") or body.get("code") or 0
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
                "text": digest.text(shown=DIGEST_LIMIT),
                "alerts": [
                    {**asdict(a), "message": a.line()}
                    for a in sorted(digest.alerts, key=_importance)
                ],
            },
        )

    def _to_dingtalk(self, digest: Digest) -> None:
        url = _env("ZS_ALERT_DINGTALK_URL") or ""
        secret = _env("ZS_ALERT_DINGTALK_SECRET")
        if secret:  # 加签: timestamp (ms) and HMAC-SHA256 signature as query parameters
            ts = str(round(time.time() * 1000))
            mac = hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
            sign = urllib.parse.quote_plus(base64.b64encode(mac))
            url += ("&" if "?" in url else "?") + f"timestamp={ts}&sign={sign}"

        def payload(text: str) -> dict:
            return {"msgtype": "markdown", "markdown": {"title": digest.title, "text": text}}

        text = digest.fitted(lambda t: len(self._body(payload(t))), LIMITS["dingtalk"][1])
        self._post(url, payload(text))

    def _to_wecom(self, digest: Digest) -> None:
        text = digest.fitted(lambda t: len(t.encode("utf-8")), LIMITS["wecom"][1])
        self._post(
            _env("ZS_ALERT_WECOM_URL") or "",
            {"msgtype": "markdown", "markdown": {"content": text}},
        )

    def _to_feishu(self, digest: Digest) -> None:
        secret = _env("ZS_ALERT_FEISHU_SECRET")
        signed: dict[str, str] = {}
        if secret:  # 签名校验: timestamp (s); HMAC-SHA256 keyed by "timestamp\nsecret" of ""
            ts = str(int(time.time()))
            mac = hmac.new(f"{ts}\n{secret}".encode(), b"", hashlib.sha256).digest()
            signed = {"timestamp": ts, "sign": base64.b64encode(mac).decode()}

        def payload(text: str) -> dict:
            return {**signed, "msg_type": "text", "content": {"text": text}}

        text = digest.fitted(
            lambda t: len(self._body(payload(t))), LIMITS["feishu"][1], markdown=False
        )
        self._post(_env("ZS_ALERT_FEISHU_URL") or "", payload(text))

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
        msg.set_content(digest.text())  # an e-mail lists every alert
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
