"""The monthly report in a real browser: Debian's headless Chromium (installed by `make test`,
target `browser`, with fonts-noto-cjk) renders the page, takes a screenshot and dumps the DOM;
the figures on it are the marts' own; Chromium's network log shows that the page asks for
nothing beyond its own file (and the same check catches a page that does)."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
from html import unescape
from pathlib import Path

import pytest

from .conftest import Built

pytestmark = pytest.mark.slow  # builds the whole sample

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
QUIET = [  # the browser's own background traffic off; what the page asks for stays visible
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--hide-scrollbars",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
]


def _chromium(page: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    if CHROMIUM is None:
        pytest.fail(
            "chromium is missing: `make browser` installs it (Debian: chromium fonts-noto-cjk)"
        )
    return subprocess.run(
        [CHROMIUM, *QUIET, f"--user-data-dir={tmp / 'profile'}", *args, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )


def page_requests(page: Path, tmp: Path, *args: str) -> list[str]:
    """Every URL the page itself asked for (Chromium's net log; the browser's own requests,
    initiated by no origin, are left out), other than file: and data: URLs."""
    log = tmp / "net.json"
    net = (f"--log-net-log={log}", "--net-log-capture-mode=Everything", "--dump-dom")
    _chromium(page, tmp, *net, *args)
    events = json.loads(log.read_text(encoding="utf-8"))
    names = {v: k for k, v in events["constants"]["logEventTypes"].items()}
    return [
        e["params"].get("url")
        for e in events["events"]
        if names.get(e["type"]) == "URL_REQUEST_START_JOB"
        and e["params"].get("initiator") != "not an origin"
        and not e["params"].get("url", "file:").startswith(("file:", "data:"))
    ]


def _cells(dom: str, table_class: str) -> list[list[str]]:
    """The rows of the first table of a class, as lists of cell texts."""
    table = re.search(rf'<table class="{table_class}"[^>]*>(.*?)</table>', dom, re.S).group(1)
    return [
        [
            unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
    ]


def test_the_report_renders_in_chromium_with_the_marts_figures_and_asks_for_nothing(
    clean_build: Built, tmp_path: Path
) -> None:
    page = clean_build.data / "report" / "index.html"
    assert page.exists(), "every run writes the report"
    shot = tmp_path / "report.png"
    result = _chromium(page, tmp_path, "--window-size=1200,3000", f"--screenshot={shot}")
    assert shot.exists() and shot.stat().st_size > 50_000, result.stderr[-2000:]
    dom = _chromium(page, tmp_path, "--dump-dom").stdout
    assert "招商引资月度报告" in dom

    # the city's 2023-06 省外产业到位资金 YTD, as the bulletin holds it
    ((ytd,),) = clean_build.query(
        "select ytd_value from marts.mart_monthly_bulletin where period = '2023-06' "
        "and unit_code = '530100' and metric = 'arrived_out_of_province'"
    )
    assert f"{float(ytd):,.2f}" == "646.66"
    june = next(r for r in _cells(dom, "trend") if r and r[0] == "6")
    assert june[1] == "646.66"

    # the top of the county league table of the latest quarter, as the mart holds it
    (top,) = clean_build.query(
        """
        select unit_name, composite_score from marts.mart_league_table
        where scope_code = '530100' and peer_group = '县区' and league_rank = 1
            and quarter = (select max(quarter) from marts.mart_league_table)
        """
    )
    league = _cells(dom, "league")
    assert league[1][:2] == ["1", top[0]] and "红榜" in league[1][3]
    assert league[1][2].startswith(f"{top[1]:.2f}")  # (then any 利益分成 bonus it includes)

    # 考核口径 beside 统计口径 for the units whose moved projects' credit is shared
    shared = clean_build.query(
        """
        select unit_name, ytd_value, assessed_ytd_value from marts.mart_monthly_bulletin
        where period = (select max(period) from marts.mart_monthly_bulletin)
            and prefecture_code = '530100' and unit_type in ('county', 'zone')
            and assessed_ytd_value <> ytd_value
        """
    )
    assessed = _cells(dom, "assessed")[1:]
    assert shared and len(assessed) == len(shared)
    assert {r[0] for r in assessed} == {name for name, _, _ in shared}
    assert "含利益分成加分" in dom  # the bonus, where the league shows it

    assert page_requests(page, tmp_path) == []


def test_the_data_dictionary_is_dbt_docs_linked_from_the_report_and_offline(
    clean_build: Built, tmp_path: Path
) -> None:
    report = clean_build.data / "report" / "index.html"
    docs = clean_build.data / "docs" / "dbt" / "index.html"
    assert 'href="../docs/dbt/index.html"' in report.read_text(encoding="utf-8")
    # the page is an app: give its scripts time to draw the model's page
    model = docs.as_uri() + "#!/model/model.zhaoshang.mart_monthly_bulletin"
    dom = subprocess.run(
        [CHROMIUM, *QUIET, f"--user-data-dir={tmp_path / 'profile'}"]
        + ["--virtual-time-budget=10000", "--dump-dom", model],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    text = unescape(re.sub(r"<[^>]+>", " ", dom))
    # the model's description from its YAML and a column type from the build's catalog
    assert "月度通报" in text and "completion_rate_pct" in text
    assert re.search(r"period_date\s+DATE", text)
    assert page_requests(docs, tmp_path, "--virtual-time-budget=10000") == []


def test_the_network_check_sees_a_page_that_asks_for_something(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    page = tmp_path / "leaky.html"
    page.write_text(f'<html><body><img src="http://127.0.0.1:{port}/x.png"></body></html>')
    assert page_requests(page, tmp_path) == [f"http://127.0.0.1:{port}/x.png"]
