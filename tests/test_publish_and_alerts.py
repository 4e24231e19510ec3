"""Write, audit, publish — and alerts — with real parts: a DingTalk-style robot on a real
HTTP server on loopback, a real SMTP server on loopback, BI readers in other processes,
and a pipeline killed mid-build."""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from expectations.catalogue import AUDIT_RUN
from orchestration import runlock

from . import spreadsheets as ss
from .conftest import (
    HISTORY,
    LINEAGE,
    REPO,
    Built,
    copy_build,
    copy_sample,
    marts_fingerprint,
    run_warehouse,
    text_written_under,
)

pytestmark = pytest.mark.slow  # builds the whole sample

JUNE = "2023-06"


def live_figures(path: Path) -> dict[str, str]:
    """The marts' figures, leaving out lineage columns (which file version a row came from)
    and the revision history."""
    return marts_fingerprint(path, LINEAGE, HISTORY)


class Robot(BaseHTTPRequestHandler):
    """A group robot: records what it is sent and answers like DingTalk does."""

    received: list[tuple[str, dict]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        Robot.received.append((self.path, json.loads(self.rfile.read(length))))
        body = b'{"errcode":0,"errmsg":"ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def robot() -> list:
    Robot.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Robot)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], Robot.received
    server.shutdown()


@pytest.fixture
def mailbox() -> list:
    from aiosmtpd.controller import Controller

    class Handler:
        messages: list = []

        async def handle_DATA(self, server, session, envelope):
            Handler.messages.append(envelope)
            return "250 OK"

    with socket.socket() as probe:  # a free port: the controller checks the one it is given
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    Handler.messages = []
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port, Handler.messages
    controller.stop()


SECRETS = ("DT-TOKEN-7d1f", "SEC-DT-93ab", "WECOM-KEY-51c0", "FEISHU-HOOK-0e44aa17", "SEC-FS-77d2")


def test_held_run_keeps_previous_marts_alerts_once_and_recovers(
    tmp_path: Path, robot, mailbox, monkeypatch: pytest.MonkeyPatch, capsys, caplog
) -> None:
    robot_port, posts = robot
    smtp_port, mails = mailbox
    base = f"http://127.0.0.1:{robot_port}"
    monkeypatch.setenv("ZS_ALERT_DINGTALK_URL", f"{base}/robot/send?access_token={SECRETS[0]}")
    monkeypatch.setenv("ZS_ALERT_DINGTALK_SECRET", SECRETS[1])
    monkeypatch.setenv("ZS_ALERT_WECOM_URL", f"{base}/cgi-bin/webhook/send?key={SECRETS[2]}")
    monkeypatch.setenv("ZS_ALERT_FEISHU_URL", f"{base}/open-apis/bot/v2/hook/{SECRETS[3]}")
    monkeypatch.setenv("ZS_ALERT_FEISHU_SECRET", SECRETS[4])
    monkeypatch.setenv("ZS_ALERT_WEBHOOK_URL", f"{base}/hooks/zhaoshang")
    monkeypatch.setenv("ZS_ALERT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ZS_ALERT_SMTP_PORT", str(smtp_port))
    monkeypatch.setenv("ZS_ALERT_SMTP_TO", "tongji@example.org, juzhang@example.org")
    home = tmp_path / "dagster_home"  # a real instance: its event log is searched at the end
    raw, data = copy_sample(tmp_path / "raw"), tmp_path / "data"

    # 1. clean: published, nothing to announce
    first = run_warehouse(raw, data, home)
    assert first.exit_code == 0
    assert posts == [] and mails == []
    live = live_figures(first.published)
    (first_run,) = first.query("select live_run_id from audit.publish_log")[0]
    first_parquet = (data / "parquet").resolve()
    first_report = (data / "report" / "index.html").read_text(encoding="utf-8")

    # 2. a 万元 figure typed as 亿元 in 五华区's June file: held, previous marts stay live
    path = next((raw / "submissions" / JUNE / "五华区").glob("*明细*"))
    original = path.read_bytes()
    project = next(
        r[1]
        for r in ss.rows(path)
        if len(r) > 4 and r[1].startswith("KM") and float(r[4] or 0) > 0.5
    )
    ss.edit(path, ss.row_with(project), 4, lambda v: round(v * 10000, 2))
    held = run_warehouse(raw, data, home)
    assert held.exit_code == 3
    assert live_figures(held.published) == live
    decision, live_run = held.query(
        "select decision, live_run_id from audit.publish_log order by published_at desc limit 1"
    )[0]
    assert (decision, live_run) == ("held", first_run)
    assert held.failures("R13"), "the published audit shows this run's failures"
    assert (data / "parquet").resolve() == first_parquet  # held: the Parquet files stay too
    report = (data / "report" / "index.html").read_text(encoding="utf-8")
    assert '<div class="banner held" id="status">' in report and "暂停发布" in report
    assert "暂停发布" not in first_report
    for table in ("headline", "trend", "league", "chains", "funnel"):  # the previous figures
        pattern = rf'<table class="{table}".*?</table>'
        shown, before = (re.search(pattern, page, re.S).group(0) for page in (report, first_report))
        if table == "headline":  # its last column is the latest (held) run's check: not shown
            shown, before = (
                re.sub(r"<td[^>]*>[^<]*</td>\s*</tr>", "</tr>", t) for t in (shown, before)
            )
        assert shown == before, table

    # one message per channel: DingTalk (markdown, signed), WeCom, Feishu, the webhook, one e-mail
    by_channel = {url.split("?")[0]: body for url, body in posts}
    assert len(posts) == 4 and len(mails) == 1
    assert "R13" in by_channel[f"/open-apis/bot/v2/hook/{SECRETS[3]}"]["content"]["text"]
    assert by_channel["/cgi-bin/webhook/send"]["msgtype"] == "markdown"
    assert "R13" in by_channel["/cgi-bin/webhook/send"]["markdown"]["content"]
    hook = by_channel["/hooks/zhaoshang"]
    assert any(a["rule_id"] == "R13" and a["suspect_cause"] == "unit_scale" for a in hook["alerts"])
    url, message = next((u, b) for u, b in posts if u.startswith("/robot/send"))
    assert url.startswith(f"/robot/send?access_token={SECRETS[0]}&timestamp=") and "&sign=" in url
    assert message["msgtype"] == "markdown"
    text = message["markdown"]["text"]
    for needle in (
        "R13",
        "全市合计与省级通报一致",
        JUNE,
        "五华区",
        "530102",
        "单位错误",
        "应为",
        "实际",
        "查看更多",
    ):
        assert needle in text, needle
    mail = mails[0]
    assert mail.rcpt_tos == ["tongji@example.org", "juzhang@example.org"]
    parsed = email.message_from_bytes(mail.content, policy=email.policy.default)
    assert parsed["Subject"].startswith("招商数仓核对")
    assert "五华区" in parsed.get_content() and "R13" in parsed.get_content()
    log_lines = (data / "alerts" / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
    assert any(json.loads(line)["rule_id"] == "R13" for line in log_lines)

    # 3. the same figures again, rebuilt and checked again (a file re-saved with other line
    # endings: new bytes, so the run does not stop at "nothing changed"): the same failures,
    # nothing new is sent
    (held_audit,) = held.query(f"select {AUDIT_RUN} from audit.reconciliation_results")[0]  # noqa: S608 (constant)
    resaved = raw / "submissions" / JUNE / "西山区" / "6月明细.csv"
    resaved.write_bytes(resaved.read_bytes().replace(b"\r\n", b"\n"))
    again = run_warehouse(raw, data, home)
    assert again.exit_code == 3
    (again_audit,) = again.query(f"select {AUDIT_RUN} from audit.reconciliation_results")[0]  # noqa: S608 (constant)
    assert (
        again_audit != held_audit
    )  # the rules ran again: the alerts' de-duplication is what holds
    assert len(posts) == 4 and len(mails) == 1
    # and again with nothing changed at all: nothing rebuilt, the held decision reported
    # again (exit 3), nothing sent
    unchanged = run_warehouse(raw, data, home)
    assert unchanged.exit_code == 3
    (unchanged_audit,) = unchanged.query(f"select {AUDIT_RUN} from audit.reconciliation_results")[0]  # noqa: S608 (constant)
    assert unchanged_audit == again_audit
    assert len(posts) == 4 and len(mails) == 1

    # 4. the clerk sends the corrected file: published again, recovery announced once
    path.write_bytes(original)
    fixed = run_warehouse(raw, data, home)
    assert fixed.exit_code == 0
    assert len(posts) == 8 and len(mails) == 2
    recovery = next(b for u, b in posts[4:] if u.startswith("/robot/send"))
    assert "已恢复" in recovery["markdown"]["text"]
    assert live_figures(fixed.published) == live
    assert (data / "parquet").resolve() != first_parquet  # published: a new Parquet version
    assert {p.resolve() for p in (data / "parquet-versions").iterdir()} == {
        first_parquet,
        (data / "parquet").resolve(),
    }  # the previous version kept for readers still on it

    # no robot token or secret in the logs, the audit tables or the Dagster event log
    captured = capsys.readouterr()
    written = [captured.out, captured.err, caplog.text, *text_written_under(home, data)]
    assert any(p.suffix == ".db" for p in home.rglob("*")), "the event log is in SQLite"
    for secret in SECRETS:
        assert not any(secret in text for text in written), secret


def test_an_operator_can_publish_a_held_build_with_a_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    raw, data = copy_sample(tmp_path / "raw"), tmp_path / "data"
    ss.edit(
        next((raw / "submissions" / JUNE / "昆明市").glob("*汇总*")),
        ss.row_with("省外产业到位资金"),
        3,
        lambda v: v + 1,
    )
    held = run_warehouse(raw, data)
    assert held.exit_code == 3
    assert (
        held.query("select count(*) from information_schema.tables where table_schema = 'marts'")[
            0
        ][0]
        == 0
    )

    (held_run,) = held.query(
        "select run_id from audit.publish_log order by published_at desc limit 1"
    )[0]

    from orchestration.cli import main

    os.environ["ZS_DATA_DIR"] = str(data)
    try:
        # the operator names the held run they looked at; another run's id is refused
        assert main(["publish", "--force", "--run", "0123456789ab", "--reason", "核实"]) == 1
        assert "不是要发布的运行 0123456789ab" in capsys.readouterr().err
        assert (
            main(["publish", "--force", "--run", held_run, "--reason", "市统计局电话确认，先发布"])
            == 0
        )
    finally:
        del os.environ["ZS_DATA_DIR"]
    decision, reason = held.query(
        "select decision, reason from audit.publish_log order by published_at desc limit 1"
    )[0]
    assert decision == "forced" and "市统计局电话确认" in reason
    assert held.query("select count(*) from marts.fact_capital_arrival")[0][0] > 0
    # the same run again: it was published, not held, so there is nothing to force
    os.environ["ZS_DATA_DIR"] = str(data)
    try:
        assert main(["publish", "--force", "--run", held_run, "--reason", "再来一次"]) == 1
    finally:
        del os.environ["ZS_DATA_DIR"]
    assert "不是“暂停发布”（held）状态（最近一次：forced）" in capsys.readouterr().err


READER = """
import json, os, sys, time, duckdb
path, mode, stop = sys.argv[1], sys.argv[2], sys.argv[3]
seen, errors = set(), []
end = time.time() + 600
con = duckdb.connect(path, read_only=True) if mode == "hold" else None
while time.time() < end:
    try:
        c = con or duckdb.connect(path, read_only=True)
        seen.add(c.execute(
            "select live_run_id from audit.publish_log order by published_at desc limit 1"
        ).fetchone()[0])
        if con is None:
            c.close()
    except Exception as exc:
        errors.append(repr(exc))
    if os.path.exists(stop):  # the build has finished: a second more, then stop
        end = min(end, time.time() + 1)
    time.sleep(0.05)
print(json.dumps([sorted(s for s in seen if s), errors]))
"""


def test_bi_readers_are_never_blocked_and_never_see_half_a_file(
    clean_build: Built, tmp_path: Path
) -> None:
    raw, data = copy_build(clean_build, tmp_path)
    (before,) = clean_build.query("select live_run_id from audit.publish_log")[0]
    # a re-saved file makes the next build do real work and publish a new version
    path = raw / "submissions" / JUNE / "西山区" / "6月明细.csv"
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n"))
    stop = tmp_path / "build-finished"
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", READER, str(data / "warehouse.duckdb"), mode, str(stop)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for mode in ("hold", "reopen")
    ]
    time.sleep(2)
    built = run_warehouse(raw, data)
    stop.touch()
    assert built.exit_code == 0
    (after,) = built.query(
        "select live_run_id from audit.publish_log order by published_at desc limit 1"
    )[0]
    assert after != before
    held_out, reopen_out = (r.communicate(timeout=120)[0] for r in readers)
    held_seen, held_errors = eval(held_out)
    reopen_seen, reopen_errors = eval(reopen_out)
    assert held_errors == [] and reopen_errors == []
    assert held_seen == [before]  # an open connection keeps reading the file it opened
    assert set(reopen_seen) <= {before, after} and after in reopen_seen


def test_a_run_killed_inside_the_publish_step_leaves_the_published_file_and_the_next_run_publishes(
    clean_build: Built, tmp_path: Path
) -> None:
    """SIGKILL between writing the new file and the rename (a test hook pauses there): the
    published file is the previous one, the half-published file is left behind, and the
    next run removes it and publishes."""
    raw, data = copy_build(clean_build, tmp_path)
    published = data / "warehouse.duckdb"
    live = live_figures(published)
    (log_before,) = clean_build.query("select count(*) from audit.publish_log")[0]
    # a re-saved file makes the next run do real work and publish a new version
    path = raw / "submissions" / JUNE / "西山区" / "6月明细.csv"
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n"))
    marker = tmp_path / "in-publish"
    env = {
        **os.environ,
        "ZS_RAW_DIR": str(raw),
        "ZS_DATA_DIR": str(data),
        "ZS_TEST_PAUSE_IN_PUBLISH": str(marker),
    }
    env.pop("DAGSTER_HOME", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "run"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 300
    while time.time() < deadline and not marker.exists() and proc.poll() is None:
        time.sleep(0.1)
    assert marker.exists(), "the run never reached the publish step"
    half_published = Path(marker.read_text(encoding="utf-8"))
    assert half_published.exists() and half_published.parent == data
    killed = runlock.holder(data)  # the run holds the data folder's lock while it publishes
    assert killed is not None and killed.pid == proc.pid
    os.killpg(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL  # it died by the signal, inside publish
    assert live_figures(published) == live
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select count(*) from audit.publish_log").fetchone()[0] == log_before
    assert half_published.exists()  # what the killed run left behind

    again = run_warehouse(raw, data)
    assert again.exit_code == 0
    assert not list(data.glob(".warehouse.duckdb.*.tmp"))
    # the killed run's lock was recognised and taken over, not waited for
    taken, released = runlock.history(data)[-2:]
    assert (taken["event"], taken["from_run_id"]) == ("taken over", killed.run_id)
    assert released["event"] == "released" and runlock.holder(data) is None
    decision, live_run = again.query(
        "select decision, live_run_id from audit.publish_log order by published_at desc limit 1"
    )[0]
    assert decision == "published"
    (before_run,) = clean_build.query("select live_run_id from audit.publish_log")[0]
    assert live_run != before_run
