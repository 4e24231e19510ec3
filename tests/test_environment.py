"""The suite never uses the developer's environment: a robot URL exported in the shell gets
nothing, even from a test that sends alerts."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .conftest import REPO


class Counter(BaseHTTPRequestHandler):
    hits = 0

    def do_POST(self) -> None:
        Counter.hits += 1
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"errcode":0}')

    def log_message(self, *args) -> None:
        pass


def test_a_robot_url_exported_outside_the_suite_is_not_used() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Counter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {
            **os.environ,
            "ZS_ALERT_DINGTALK_URL": f"http://127.0.0.1:{server.server_address[1]}/robot/send",
            "ZS_ALERT_WEBHOOK_URL": f"http://127.0.0.1:{server.server_address[1]}/hook",
        }
        # tests that alert through channels they configure themselves, run as the suite would
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "tests/test_alert_channels.py",
            ],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout[-2000:]
        assert Counter.hits == 0
    finally:
        server.shutdown()
