"""Alert channels with real servers on loopback: a robot that answers HTTP 200 with an error
code, a robot that is down, an SMTP server that refuses — each is a failed delivery,
recorded, and tried again on the next run with nothing re-sent elsewhere; 300 failing groups
still make one digest per robot within its limits; DingTalk's 加签 and Feishu's 签名校验 are
checked by value; no robot token or secret is written anywhere."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from orchestration.alerts import Alerter
from orchestration.config import Settings

from .conftest import text_written_under


def _warehouse(path: Path) -> Path:
    """A build warehouse holding one failing R13 row of one run (and the units' names)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema staging")
        con.execute(
            "create table staging.stg_reference__units as select '530100' as unit_code, '昆明市' as unit_name"
        )
        con.execute("create schema audit")
        con.execute(
            """
            create table audit.reconciliation_results as select
                'run1' as run_id, now()::timestamp as checked_at, 'R13' as rule_id, 'error' as severity,
                'fail' as status, '2023-06' as period, null::varchar as unit_code, null::varchar as project_code,
                '530100' as scope_code, 'arrived_out_of_province_ytd' as metric,
                646.66::decimal(24,8) as expected_value, 696.66::decimal(24,8) as actual_value,
                50::decimal(24,8) as difference, null::varchar as suspect_unit_code,
                'published_mismatch' as suspect_cause, null::varchar as cause_period,
                '昆明市 2023-06 省外产业到位资金：省级通报 646.66 亿元' as detail, 'p.csv' as source_file
            """
        )
    return path


class Robot(BaseHTTPRequestHandler):
    answer = b'{"errcode":0,"errmsg":"ok"}'
    answers: dict[str, list[bytes]] = {}  # path prefix -> answers to give first, in order
    received: list[tuple[str, dict]] = []
    sizes: list[int] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        Robot.received.append((self.path, json.loads(self.rfile.read(length))))
        Robot.sizes.append(length)
        answer = Robot.answer
        for prefix, queued in Robot.answers.items():
            if self.path.startswith(prefix) and queued:
                answer = queued.pop(0)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def robot():
    Robot.received, Robot.sizes, Robot.answers = [], [], {}
    Robot.answer = b'{"errcode":0,"errmsg":"ok"}'
    server = ThreadingHTTPServer(("127.0.0.1", 0), Robot)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _send(tmp_path: Path) -> list[tuple]:
    settings = Settings(raw_dir=tmp_path / "raw", data_dir=tmp_path / "data")
    with duckdb.connect(str(_warehouse(settings.build_path))) as con:
        Alerter(settings, timeout=3).run(con)
        return con.execute(
            "select channel, ok, error from audit.alert_deliveries order by channel"
        ).fetchall()


def test_a_robot_answering_200_with_an_error_code_is_a_failed_delivery(
    robot: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Robot.answer = b'{"errcode":310000,"errmsg":"keywords not in content"}'
    monkeypatch.setenv(
        "ZS_ALERT_DINGTALK_URL", f"http://127.0.0.1:{robot}/robot/send?access_token=t"
    )
    deliveries = dict((c, (ok, err)) for c, ok, err in _send(tmp_path))
    ok, error = deliveries["dingtalk"]
    assert ok is False and "310000" in error
    assert len(Robot.received) == 1


def test_a_robot_that_is_down_is_a_failed_delivery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "ZS_ALERT_WECOM_URL", f"http://127.0.0.1:{_free_port()}/cgi-bin/webhook/send?key=k"
    )
    deliveries = dict((c, (ok, err)) for c, ok, err in _send(tmp_path))
    ok, error = deliveries["wecom"]
    assert ok is False and error


def test_an_smtp_server_that_refuses_is_a_failed_delivery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aiosmtpd.controller import Controller

    class Refusing:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            return "550 5.1.1 mailbox unavailable"

    port = _free_port()
    controller = Controller(Refusing(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setenv("ZS_ALERT_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("ZS_ALERT_SMTP_PORT", str(port))
        monkeypatch.setenv("ZS_ALERT_SMTP_TO", "tongji@example.org")
        deliveries = dict((c, (ok, err)) for c, ok, err in _send(tmp_path))
    finally:
        controller.stop()
    ok, error = deliveries["email"]
    assert ok is False and "550" in error


def test_the_dingtalk_signature_is_the_hmac_of_timestamp_and_secret(
    robot: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "SEC-0123456789abcdef"
    monkeypatch.setenv(
        "ZS_ALERT_DINGTALK_URL", f"http://127.0.0.1:{robot}/robot/send?access_token=t"
    )
    monkeypatch.setenv("ZS_ALERT_DINGTALK_SECRET", secret)
    deliveries = dict((c, (ok, err)) for c, ok, err in _send(tmp_path))
    assert deliveries["dingtalk"] == (True, None)
    ((path, _),) = Robot.received
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    (timestamp,), (sign,) = query["timestamp"], query["sign"]
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert sign == expected


def _many_failures(path: Path, groups: int = 300) -> Path:
    """A build warehouse with ``groups`` failing groups of one run: a whole month's files set
    aside would look like this (units missing, totals off), errors and warnings mixed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema staging")
        con.execute(
            """
            create table staging.stg_reference__units as
            select '53' || lpad(i::varchar, 4, '0') as unit_code, '第' || i || '单位（县区）' as unit_name
            from range(?) as t(i)
            """,
            [groups],
        )
        con.execute("create schema audit")
        con.execute(
            """
            create table audit.reconciliation_results as select
                'run1' as run_id, now()::timestamp as checked_at,
                case when i % 3 = 0 then 'R11' else 'R02' end as rule_id,
                case when i % 3 = 0 then 'warn' else 'error' end as severity,
                'fail' as status, '2023-06' as period,
                '53' || lpad(i::varchar, 4, '0') as unit_code, null::varchar as project_code,
                null::varchar as scope_code, 'arrived_out_of_province_ytd' as metric,
                (i * 1.5)::decimal(24,8) as expected_value, (i * 1.5 + i % 97)::decimal(24,8) as actual_value,
                (i % 97)::decimal(24,8) as difference,
                '53' || lpad(i::varchar, 4, '0') as suspect_unit_code,
                'missing_submission' as suspect_cause, null::varchar as cause_period,
                '第' || i || '单位 2023-06 到位资金明细表未能入库：被搁置的文件 submissions/2023-06/第'
                    || i || '单位/到位资金明细表.xlsx（not a readable xlsx (zip) file），请修改后重新报送'
                    as detail,
                'submissions/2023-06/x.xlsx' as source_file
            from range(?) as t(i)
            """,
            [groups],
        )
    return path


def _run_alerts(settings: Settings) -> None:
    with duckdb.connect(str(settings.build_path)) as con:
        Alerter(settings, timeout=3).run(con)


def _robots(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    base = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("ZS_ALERT_DINGTALK_URL", f"{base}/robot/send?access_token=DT-TOKEN-0001")
    monkeypatch.setenv("ZS_ALERT_DINGTALK_SECRET", "SEC-DINGTALK-0002")
    monkeypatch.setenv("ZS_ALERT_WECOM_URL", f"{base}/cgi-bin/webhook/send?key=WECOM-KEY-0003")
    monkeypatch.setenv("ZS_ALERT_FEISHU_URL", f"{base}/open-apis/bot/v2/hook/FEISHU-HOOK-00000004")
    monkeypatch.setenv("ZS_ALERT_FEISHU_SECRET", "SEC-FEISHU-0005")


def _by_channel() -> dict[str, list[tuple[int, dict]]]:
    out: dict[str, list[tuple[int, dict]]] = {"dingtalk": [], "wecom": [], "feishu": []}
    for (path, body), size in zip(Robot.received, Robot.sizes, strict=True):
        name = (
            "dingtalk"
            if path.startswith("/robot/send")
            else "wecom"
            if path.startswith("/cgi-bin/")
            else "feishu"
        )
        out[name].append((size, body))
    return out


def test_three_hundred_failing_groups_make_one_digest_per_robot_within_its_limits(
    robot: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(raw_dir=tmp_path / "raw", data_dir=tmp_path / "data")
    _many_failures(settings.build_path)
    _robots(monkeypatch, robot)
    _run_alerts(settings)
    sent = _by_channel()
    assert [len(v) for v in sent.values()] == [1, 1, 1]  # one message per robot
    ((ding_size, ding),) = sent["dingtalk"]
    ((_, wecom),) = sent["wecom"]
    ((feishu_size, feishu),) = sent["feishu"]
    assert ding_size < 20_000 and feishu_size < 20_000
    assert len(wecom["markdown"]["content"].encode("utf-8")) <= 4_096
    for text in (
        ding["markdown"]["text"],
        wecom["markdown"]["content"],
        feishu["content"]["text"],
    ):
        assert "300 项新问题（错误 200 项）" in text  # the counts
        assert "audit.reconciliation_results" in text  # where to see the rest
        listed = [line for line in text.splitlines() if line.startswith(("- 【", "· 【"))]
        assert listed, text
        # errors first, the largest gap first: the first listed is an error of gap 96
        assert "R02" in listed[0] and "差 96.00" in listed[0], listed[0]
        assert all("R02" in line for line in listed)  # no warning before the 200 errors
        more = int(re.search(r"另有 (\d+) 项未列出", text).group(1))
        assert more + len(listed) == 300
    with duckdb.connect(str(settings.build_path), read_only=True) as con:
        assert con.execute(
            "select channel, alerts, ok from audit.alert_deliveries order by channel"
        ).fetchall() == [
            ("dingtalk", 300, True),
            ("feishu", 300, True),
            ("log", 300, True),
            ("wecom", 300, True),
        ]


def test_a_rate_limited_robot_gets_the_digest_again_and_nothing_else_is_resent(
    robot: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(raw_dir=tmp_path / "raw", data_dir=tmp_path / "data")
    _many_failures(settings.build_path, groups=5)
    _robots(monkeypatch, robot)
    Robot.answers = {"/robot/send": [b'{"errcode":130101,"errmsg":"send too fast"}']}
    _run_alerts(settings)
    first = _by_channel()
    assert [len(v) for v in first.values()] == [1, 1, 1]
    with duckdb.connect(str(settings.build_path), read_only=True) as con:
        (ok, error) = con.execute(
            "select ok, error from audit.alert_deliveries where channel = 'dingtalk'"
        ).fetchone()
    assert ok is False and "130101" in error

    Robot.received, Robot.sizes = [], []
    _run_alerts(settings)  # the same failures: only DingTalk still owes them
    second = _by_channel()
    assert [len(v) for v in second.values()] == [1, 0, 0]
    ((_, again),) = second["dingtalk"]
    assert "5 项新问题" in again["markdown"]["text"]
    assert again["markdown"]["text"].count("【R") == 5

    Robot.received, Robot.sizes = [], []
    _run_alerts(settings)  # delivered everywhere: nothing more
    assert Robot.received == []


def test_the_feishu_signature_is_the_hmac_keyed_by_timestamp_and_secret(
    robot: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "SEC-feishu-0123456789"
    monkeypatch.setenv("ZS_ALERT_FEISHU_URL", f"http://127.0.0.1:{robot}/open-apis/bot/v2/hook/h")
    monkeypatch.setenv("ZS_ALERT_FEISHU_SECRET", secret)
    Robot.answer = b'{"StatusCode":0,"StatusMessage":"success","code":0,"msg":"success"}'
    deliveries = dict((c, (ok, err)) for c, ok, err in _send(tmp_path))
    assert deliveries["feishu"] == (True, None)
    ((path, body),) = Robot.received
    assert path == "/open-apis/bot/v2/hook/h" and body["msg_type"] == "text"
    expected = base64.b64encode(
        hmac.new(f"{body['timestamp']}\n{secret}".encode(), b"", hashlib.sha256).digest()
    ).decode()
    assert body["sign"] == expected
    assert "R13" in body["content"]["text"]


def test_a_feishu_error_code_is_a_failed_delivery(
    robot: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZS_ALERT_FEISHU_URL", f"http://127.0.0.1:{robot}/open-apis/bot/v2/hook/h")
    Robot.answer = b'{"code":19021,"msg":"sign match fail or timestamp is not within one hour"}'
    deliveries = dict((c, (ok, err)) for c, ok, err in _send(tmp_path))
    ok, error = deliveries["feishu"]
    assert ok is False and "19021" in error


def test_robot_tokens_and_secrets_are_written_nowhere(
    robot: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Failing deliveries, one whose robot quotes its key back: the audit, the alert log and
    the Python log hold the errors, never the token, key or secret."""
    secrets = ["TOKEN-abcdef-0001", "KEY-abcdef-0002", "HOOK-abcdef-0003-0003", "SEC-abcdef-0004"]
    monkeypatch.setenv("ZS_ALERT_DINGTALK_URL", f"dingtalk://robot/send?access_token={secrets[0]}")
    monkeypatch.setenv("ZS_ALERT_WECOM_URL", f"http://127.0.0.1:{robot}/send?key={secrets[1]}")
    Robot.answer = f'{{"errcode":93000,"errmsg":"invalid webhook key {secrets[1]}"}}'.encode()
    monkeypatch.setenv("ZS_ALERT_FEISHU_URL", f"feishu://open-apis/bot/v2/hook/{secrets[2]}")
    monkeypatch.setenv("ZS_ALERT_FEISHU_SECRET", secrets[3])
    monkeypatch.setenv("ZS_ALERT_WEBHOOK_URL", f"http:/broken/{secrets[2]}?t={secrets[0]}")
    with caplog.at_level("DEBUG"):
        deliveries = _send(tmp_path)
    assert {c for c, ok, _ in deliveries if not ok} == {"dingtalk", "wecom", "feishu", "webhook"}
    assert any("***" in (err or "") for _, _, err in deliveries)  # the URL was quoted, masked
    written = [caplog.text, *text_written_under(tmp_path / "data")]
    for secret in secrets:
        assert not any(secret in text for text in written), secret
