"""The scale benchmark (`make bench`): what a run costs at a tier of the generator.

For a tier (S, the Kunming sample; M, a province; L, M with ten times the projects), in one
invocation on one machine:

1. **full build** — `zhaoshang run` on the whole tier, from an empty data folder;
2. **nothing changed** — the same command again;
3. **one new month** — a warehouse built without the tier's last month (its forms and the
   province's figures), then the month arrives and `zhaoshang run` is timed;
4. **one revised file** — then a clerk re-sends one form A of that last month (a remark
   added to its first project) and `zhaoshang run` is timed again;
5. **floor** — `bench/floor.py`, a hand-written calamine + DuckDB pipeline over the same
   form A files (the fact and the prefecture totals).

Each step's wall time and peak RSS (the whole process tree, sampled from /proc every
50 ms), the ratios to the full build and the floor, the stages the command reported
(``progress.py``: where a run's time went), and the published file's size against the
marts' own. The tier is generated once into `.cache/bench/<tier>/raw` (again when the
generator changes).

``--baseline COMMIT`` times steps 3 and 4 on that commit's code as well, in the same
invocation (a git worktree of it under `.cache/bench/code-<commit>`, run with this venv):
the targets that are ratios to an earlier commit are measured against it on the same
machine, at the same moment.

Usage: .venv/bin/python bench/run.py [--baseline COMMIT] [S|M|L ...]
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STAGE = re.compile(r"^  [a-z][a-z ]*: .*in \d+\.\ds$")
CACHE = REPO / ".cache" / "bench"
BIN = Path(sys.executable).parent


@dataclass
class Step:
    name: str
    seconds: float
    peak_rss_mb: float
    exit_code: int
    stages: list[str]


def _tree_rss_kb(root: int) -> int:
    """Resident memory of a process and all its descendants, in KiB."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/status") as f:
                kb = next((int(x.split()[1]) for x in f if x.startswith("VmRSS:")), 0)
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry))
        rss[int(entry)] = kb
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def measure(name: str, argv: list[str], env: dict[str, str], cwd: Path = REPO) -> Step:
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    stderr: list[str] = []
    reader = threading.Thread(target=lambda: stderr.extend(proc.stderr), daemon=True)
    reader.start()
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = proc.wait()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    reader.join()
    # the stages the command reported, one line each off a terminal (progress.py)
    stages = [line.strip() for line in stderr if STAGE.match(line)]
    step = Step(name, seconds, peak / 1024, code, stages)
    print(f"  {name:<16} {seconds:8.1f} s {step.peak_rss_mb:8.0f} MB  exit {code}", flush=True)
    for line in stages:
        print(f"      {line}", flush=True)
    if code not in (0, 3):
        print("".join(stderr[-40:]), flush=True)
    return step


def _generator_hash() -> str:
    h = hashlib.sha256()
    for path in sorted((REPO / "orchestration" / "samplegen").glob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def tier_raw(tier: str) -> Path:
    """The tier's raw folder, generated once per version of the generator."""
    raw = CACHE / tier / "raw"
    stamp = CACHE / tier / "generator"
    if not (stamp.exists() and stamp.read_text() == _generator_hash()):
        print(f"generating tier {tier} into {raw} …", flush=True)
        shutil.rmtree(raw, ignore_errors=True)
        subprocess.run(
            [BIN / "zhaoshang", "generate-sample", "--tier", tier, "--out", raw], check=True
        )
        stamp.write_text(_generator_hash())
    return raw


def _env(raw: Path, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZS_")}
    env.update(
        ZS_RAW_DIR=str(raw),
        ZS_DATA_DIR=str(data),
        GX_ANALYTICS_ENABLED="false",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DO_NOT_TRACK="1",
    )
    env.pop("DAGSTER_HOME", None)
    return env


def _held_out(raw: Path, dest: Path) -> tuple[Path, str]:
    """A copy of raw without its last month (forms and the province's figures)."""
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(raw, dest)
    last = sorted(p.name for p in (dest / "submissions").iterdir())[-1]
    shutil.move(dest / "submissions" / last, dest.parent / f"held-{last}")
    for published in (dest / "published").rglob(f"{last}*"):
        published.rename(dest.parent / f"held-{published.name}")
    return dest, last


def _restore(raw: Path, last: str) -> None:
    shutil.move(raw.parent / f"held-{last}", raw / "submissions" / last)
    for held in raw.parent.glob(f"held-{last}.*"):
        held.rename(raw / "published" / "province" / held.name.removeprefix("held-"))


def revise_one_file(raw: Path) -> Path:
    """A clerk re-sends one form A of the last month: a remark added to its first project
    (a CSV when the month has one, else a workbook re-saved)."""
    last = sorted(p.name for p in (raw / "submissions").iterdir())[-1]
    month = raw / "submissions" / last
    for path in sorted(month.rglob("*.csv")):
        lines = path.read_text(encoding="utf-8-sig").split("\n")
        first = next((i for i, line in enumerate(lines) if line[:2] == "1,"), None)
        if first is not None:
            lines[first] = lines[first].rstrip("\r").rstrip(",") + ",更正"
            path.write_text("\n".join(lines), encoding="utf-8-sig")
            return path
    import openpyxl

    path = next(p for p in sorted(month.rglob("*.xlsx")) if "明细" in p.name)
    book = openpyxl.load_workbook(path)
    sheet = book.active
    sheet.cell(row=sheet.max_row, column=sheet.max_column + 1, value="更正")
    book.save(path)
    return path


def code_at(commit: str) -> Path:
    """A git worktree of ``commit`` (made once), to run that code with this venv."""
    folder = CACHE / f"code-{commit}"
    if not (folder / "orchestration").exists():
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(folder), commit], cwd=REPO, check=True
        )
    return folder


def later_runs(tier: str, raw: Path, work: Path, code: Path, label: str) -> list[Step]:
    """A new month, then one revised file, with the code in ``code``."""
    command = [str(BIN / "python"), "-m", "orchestration.cli", "run"]
    partial, last = _held_out(raw, work / f"raw-held{label}")
    data = work / f"data-held{label}"
    subprocess.run(
        command,
        env=_env(partial, data),
        cwd=code,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _restore(partial, last)
    steps = [measure(f"new month {last}{label}", command, _env(partial, data), cwd=code)]
    revise_one_file(partial)
    steps.append(measure(f"revised file{label}", command, _env(partial, data), cwd=code))
    return steps


def _marts_mb(published: Path, scratch: Path) -> float:
    """The marts' own size: the marts schema alone, copied into a fresh file."""
    import duckdb

    scratch.unlink(missing_ok=True)
    con = duckdb.connect()
    con.execute(f"attach '{published}' as pub (read_only)")
    con.execute(f"attach '{scratch}' as only_marts (storage_version 'v1.0.0')")
    con.execute("create schema only_marts.marts")
    for (table,) in con.execute(
        "select table_name from information_schema.tables "
        "where table_catalog = 'pub' and table_schema = 'marts'"
    ).fetchall():
        con.execute(f"create table only_marts.marts.{table} as from pub.marts.{table}")
    con.close()
    return scratch.stat().st_size / 1e6


def bench(tier: str, baseline: str | None = None) -> list[Step]:
    raw = tier_raw(tier)
    work = CACHE / tier / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    zhaoshang = [str(BIN / "zhaoshang"), "run"]
    print(f"tier {tier}: {sum(1 for p in raw.rglob('*') if p.is_file())} files", flush=True)

    data = work / "data"
    steps = [measure("full build", zhaoshang, _env(raw, data))]
    steps.append(measure("nothing changed", zhaoshang, _env(raw, data)))
    published = data / "warehouse.duckdb"
    published_mb = published.stat().st_size / 1e6 if published.exists() else float("nan")
    marts_mb = _marts_mb(published, work / "marts-only.duckdb") if published.exists() else 0

    steps += later_runs(tier, raw, work, REPO, "")
    if baseline:
        steps += later_runs(tier, raw, work, code_at(baseline), f" on {baseline[:7]}")

    floor = [
        str(BIN / "python"),
        str(REPO / "bench" / "floor.py"),
        str(raw),
        str(work / "floor.duckdb"),
    ]
    steps.append(measure("floor", floor, _env(raw, data)))

    full, floor_s = steps[0].seconds, steps[-1].seconds
    print(f"\n| tier {tier} | wall s | peak RSS MB | × floor | % of full build |")
    print("|---|---|---|---|---|")
    for s in steps:
        print(
            f"| {s.name} | {s.seconds:.1f} | {s.peak_rss_mb:.0f} | {s.seconds / floor_s:.1f} "
            f"| {100 * s.seconds / full:.0f} % |"
        )
    print(
        f"\npublished file {published_mb:.1f} MB, the marts alone {marts_mb:.1f} MB "
        f"({published_mb / marts_mb if marts_mb else float('nan'):.2f}×)"
    )
    return steps


def main(argv: list[str]) -> int:
    import duckdb

    print(
        f"{platform.node()}: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, DuckDB {duckdb.__version__}"
    )
    baseline = None
    if argv[:1] == ["--baseline"]:
        baseline, argv = argv[1], argv[2:]
    failed = False
    for tier in argv or ["S", "M"]:
        failed |= any(s.exit_code not in (0, 3) for s in bench(tier, baseline))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
