"""What `zhaoshang run` shows while it works (``orchestration/progress.py``): on a terminal,
each stage live with a bar and its count, then a line; elsewhere a line per stage only,
and dbt's own log with ``--verbose``. The command runs as users run it, in a process of its
own: once on a pseudo-terminal, once on pipes, each after a clerk re-sends a file of the
sample's last month (a copy of the session's clean build)."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import REPO, Built, copy_build

pytestmark = pytest.mark.slow

ZHAOSHANG = str(REPO / ".venv" / "bin" / "zhaoshang")
STAGES = (
    "landing submissions",
    "models",
    "models by month",
    "rules",
    "publish",
    "report",
)


def _resend(raw: Path, remark: str) -> None:
    """The last month's first CSV form A, re-sent with a remark on its first project."""
    last = sorted(p.name for p in (raw / "submissions").iterdir())[-1]
    path = next(p for p in sorted((raw / "submissions" / last).rglob("*明细.csv")))
    lines = path.read_text(encoding="utf-8-sig").split("\n")
    first = next(i for i, line in enumerate(lines) if line[:2] == "1,")
    lines[first] = lines[first].rstrip("\r").rstrip(",") + f",{remark}"
    path.write_text("\n".join(lines), encoding="utf-8-sig")


def _env(raw: Path, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    return {**env, "ZS_RAW_DIR": str(raw), "ZS_DATA_DIR": str(data), "COLUMNS": "100"}


def _on_a_terminal(argv: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run argv with a pseudo-terminal as its standard output and error; what it wrote."""
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=terminal, stderr=terminal)
    os.close(terminal)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 1.0)
        if ready:
            try:
                data = os.read(controller, 65536)
            except OSError:  # the terminal closed: the command is done
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(controller)
    return proc.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


def test_a_run_shows_its_stages_live_on_a_terminal_and_a_line_each_elsewhere(
    clean_build: Built, tmp_path: Path
) -> None:
    raw, data = copy_build(clean_build, tmp_path)
    env = _env(raw, data)

    _resend(raw, "更正一")
    code, shown = _on_a_terminal([ZHAOSHANG, "run"], env)
    assert code == 0, shown[-3000:]
    # each counted stage is drawn in place (a carriage return, a bar), then left as a line
    assert "\r  landing submissions [" in shown, shown[-3000:]
    assert "\r  models by month [" in shown and "#" in shown
    lines = shown.replace("\r\n", "\n").split("\n")
    for stage in STAGES:
        summary = [line for line in lines if line.split("\r")[-1].startswith(f"  {stage}: ")]
        assert len(summary) == 1, (stage, summary)
    assert "  landing submissions: 1/1 files" in shown
    # first what the run rebuilds and why (changes.plan_run)
    assert re.search(r"run: 20\d\d-\d\d(\.\.20\d\d-\d\d)? \(files of 20\d\d-\d\d changed\)", shown)
    assert "Running with dbt" not in shown  # dbt's own log went to its file
    assert "published" in shown

    _resend(raw, "更正二")
    log = data / "logs" / "dbt.log"
    logged = log.stat().st_size
    piped = subprocess.run(
        [ZHAOSHANG, "run", "--verbose"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert piped.returncode == 0, piped.stderr[-3000:]
    # no drawing off a terminal: a line per stage, in order
    assert "\r" not in piped.stderr and "[#" not in piped.stderr
    summaries = [line.split(":")[0].strip() for line in piped.stderr.splitlines() if ": " in line]
    ordered = [s for s in summaries if s in STAGES]
    assert ordered == list(STAGES), summaries
    # --verbose: dbt's lines as it works, and every statement in its log
    assert "Running with dbt" in piped.stderr and "OK created" in piped.stderr
    with log.open(encoding="utf-8") as dbt_log:
        dbt_log.seek(logged)
        assert "SQL status" in dbt_log.read()  # dbt's debug lines: each statement's
    assert "Zhaoshang warehouse: published" in piped.stdout
