"""Alert channels on their failure paths, with real servers on loopback: a robot that answers
HTTP 200 with an error code, a robot that is down, an SMTP server that refuses — each is a
failed delivery, recorded, never marked delivered. DingTalk's 加签 is checked by value."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from orchestration.alerts import Alerter
from orchestration.config import Settings


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
    received: list[tuple[str, dict]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        Robot.received.append((self.path, json.loads(self.rfile.read(length))))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(Robot.answer)))
        self.end_headers()
        self.wfile.write(Robot.answer)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def robot():
    Robot.received = []
    Robot.answer = b'{"errcode":0,"errmsg":"ok"}'
    server = ThreadingHTTPServer(("127.0.0.1", 0), Robot)
    threading.Thread(target=server.serve_forever, daemon=True).start()
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
