"""A real Apache Superset (6.1, from PyPI, in its own virtualenv pinned by tests/bi/superset.lock)
reads the published file read-only through duckdb-engine, the way an analyst's would: through
its REST API a database is registered, a dataset made on every table of the `marts` schema and
chart-data queries run; after a rebuild and publish with a revised figure the same query
returns the new figure, with no error and no restart.

The virtualenv is made once into the tests' cache outside the clone (conftest.CACHE, keyed by
the lock file's hash) and reused by later runs and fresh clones on the machine; making it
takes about 70 s, starting Superset on an empty SQLite metadata database about 40 s.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from . import spreadsheets as ss
from .conftest import CACHE, REPO, Built, cannot_install, copy_build, run_warehouse

pytestmark = pytest.mark.slow

LOCK = REPO / "tests" / "bi" / "superset.lock"
ADMIN = ("admin", "superset-test-only")  # a throwaway instance on loopback, gone after the test

CONFIG = """
import os
HERE = os.path.dirname(__file__)
SECRET_KEY = "superset-test-only-0123456789abcdef0123456789"
SQLALCHEMY_DATABASE_URI = "sqlite:///" + os.path.join(HERE, "superset.db")
WTF_CSRF_ENABLED = False  # the REST client below sends a JWT, not a browser session
TALISMAN_ENABLED = False
SCARF_ANALYTICS = False
# Superset's defaults, said aloud: no result cache (a cache would serve the previous file's
# figures after a publish until it expires) and a new connection per query (NullPool).
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
"""


def superset_venv() -> Path:
    """The Superset virtualenv for this lock file, made once (skips, loudly, offline)."""
    digest = hashlib.sha256(LOCK.read_bytes()).hexdigest()[:12]
    venv = CACHE / f"superset-{digest}"
    done = venv / ".installed"
    if done.exists():
        return venv
    shutil.rmtree(venv, ignore_errors=True)  # a half-made one from an interrupted run
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    pip = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        + ["--disable-pip-version-check", "-r", str(LOCK)],
        capture_output=True,
        text=True,
    )
    if pip.returncode != 0:
        cannot_install(f"Superset from {LOCK.name}: {pip.stderr[-300:]}")
    done.touch()
    return venv


@dataclass
class Superset:
    url: str
    token: str
    log: Path

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        req = urllib.request.Request(
            self.url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            raise AssertionError(f"{method} {path} -> {e.code}: {e.read().decode()[:2000]}") from e

    def query(self, dataset: int, body: dict) -> list[dict]:
        """One chart-data query (the call every Superset chart makes), its rows as JSON."""
        answer = self.call(
            "POST",
            "/api/v1/chart/data",
            {
                "datasource": {"id": dataset, "type": "table"},
                "result_format": "json",
                "result_type": "full",
                "queries": [{"row_limit": 1000, **body}],
            },
        )
        (result,) = answer["result"]
        assert result["status"] == "success" and result["error"] is None, result
        return result["data"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def superset(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Superset]:
    venv = superset_venv()
    home = tmp_path_factory.mktemp("superset")
    (home / "superset_config.py").write_text(CONFIG)
    env = {
        **os.environ,
        "SUPERSET_CONFIG_PATH": str(home / "superset_config.py"),
        "SUPERSET_HOME": str(home),
        "PATH": f"{venv / 'bin'}:{os.environ['PATH']}",
    }
    env.pop("PYTHONPATH", None)
    log = home / "superset.log"
    cli = str(venv / "bin" / "superset")
    with log.open("w") as out:
        for args in (
            ["db", "upgrade"],
            ["fab", "create-admin", "--username", ADMIN[0], "--password", ADMIN[1]]
            + ["--firstname", "测试", "--lastname", "管理员", "--email", "admin@localhost"],
            ["init"],
        ):
            done = subprocess.run([cli, *args], env=env, stdout=out, stderr=subprocess.STDOUT)
            assert done.returncode == 0, f"superset {args[0]} failed; see {log}"
    port = _free_port()
    server = subprocess.Popen(
        [cli, "run", "-h", "127.0.0.1", "-p", str(port), "--with-threads"],
        env=env,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
        # pytest-xdist's workers ignore SIGTERM, and a child inherits that: let it stop
        preexec_fn=lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 180
        while True:
            try:
                with urllib.request.urlopen(url + "/health", timeout=5) as r:
                    if r.read() == b"OK":
                        break
            except OSError:
                pass
            assert server.poll() is None, log.read_text()[-3000:]
            assert time.time() < deadline, f"Superset did not start: {log.read_text()[-3000:]}"
            time.sleep(1)
        login = urllib.request.Request(
            url + "/api/v1/security/login",
            data=json.dumps(
                {"username": ADMIN[0], "password": ADMIN[1], "provider": "db", "refresh": True}
            ).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(login, timeout=60) as r:
            token = json.loads(r.read())["access_token"]
        yield Superset(url, token, log)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # it would not stop: it is stopped
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)


CITY_JUNE = [
    {"col": "period", "op": "==", "val": "2023-06"},
    {"col": "metric", "op": "==", "val": "arrived_out_of_province"},
    {"col": "unit_type", "op": "==", "val": "prefecture"},
]
YTD = {"expressionType": "SIMPLE", "column": {"column_name": "ytd_value"}, "aggregate": "SUM"}


def test_superset_reads_every_mart_and_sees_a_new_publish(
    superset: Superset, clean_build: Built, tmp_path: Path
) -> None:
    raw, data = copy_build(clean_build, tmp_path)
    published = data / "warehouse.duckdb"
    database = superset.call(
        "POST",
        "/api/v1/database/",
        {
            "database_name": "招商数仓",
            "sqlalchemy_uri": f"duckdb:///{published}?access_mode=read_only",
            "expose_in_sqllab": True,
        },
    )["id"]

    tables = [
        r[0]
        for r in clean_build.query(
            "select table_name from information_schema.tables "
            "where table_schema = 'marts' order by 1"
        )
    ]
    assert {"mart_monthly_bulletin", "mart_league_table", "mart_project_funnel"} <= set(tables)
    datasets = {}
    for table in tables:
        made = superset.call(
            "POST",
            "/api/v1/dataset/",
            {"database": database, "schema": "marts", "table_name": table},
        )
        datasets[table] = made["id"]
        # every dataset answers, with the file's own row count
        (row,) = superset.query(made["id"], {"metrics": ["count"], "columns": []})
        (expected,) = clean_build.query(f"select count(*) from marts.{table}")[0]  # noqa: S608
        assert row["count"] == expected, table

    def city_june_ytd() -> float:
        (row,) = superset.query(
            datasets["mart_monthly_bulletin"],
            {"columns": ["unit_name"], "metrics": [{**YTD, "label": "ytd"}], "filters": CITY_JUNE},
        )
        assert row["unit_name"] == "昆明市"
        return row["ytd"]

    (bulletin,) = clean_build.query(
        "select ytd_value from marts.mart_monthly_bulletin where period = '2023-06' "
        "and metric = 'arrived_out_of_province' and unit_type = 'prefecture'"
    )[0]
    assert city_june_ytd() == float(bulletin) == pytest.approx(646.66)

    # 西山区 revises a project's June figure (+1 亿元 month and YTD, detail and summary); the
    # city's total no longer matches the province's figure, so the run is held, and an operator
    # publishes it with a reason — a rebuild and a publish while Superset stays up
    unit = raw / "submissions" / "2023-06" / "西山区"
    detail, summary = unit / "6月明细（修订）.csv", unit / "汇总表（修订）.csv"
    shutil.copy(unit / "6月明细.csv", detail)
    shutil.copy(unit / "汇总表.csv", summary)
    project = next(
        r[1] for r in ss.rows(detail) if len(r) > 4 and r[1].startswith("KM") and float(r[4]) > 0
    )
    for column in (3, 4):
        ss.edit(detail, ss.row_with(project), column, lambda v: round(v + 1, 2))
    for column in (2, 3):
        ss.edit(summary, ss.row_with("省外产业到位资金"), column, lambda v: round(v + 1, 2))
    held = run_warehouse(raw, data)
    assert held.exit_code == 3
    (held_run,) = held.query(
        "select run_id from audit.publish_log order by published_at desc limit 1"
    )[0]

    from orchestration.cli import main

    os.environ["ZS_DATA_DIR"] = str(data)
    assert main(["publish", "--force", "--run", held_run, "--reason", "西山区修订已核实"]) == 0

    assert city_june_ytd() == pytest.approx(647.66)
