"""What changed since the last run: the raw files (by content), the code, the calendar.

Imports no Dagster, so that ``zhaoshang run`` can decide in well under a second that there
is nothing to do. Used by the sensor (which files are new or changed, and of which month)
and by the command line, which keeps the state of its last successful run in
``$ZS_DATA_DIR/run_state.json``:

- ``files``: every raw file's size, modification time, sha256 and scope (its month,
  ``reference`` or ``elsewhere``); size and time only decide which files to hash again,
  so a file touched or re-saved with the same bytes is no change;
- ``code``: a hash of the dbt project, the orchestration and the GX glue;
- ``calendar``: the accepted window of months and the last month whose submission
  deadline has passed (R11 and the submission status change when a deadline passes).

A run with the same three rebuilds nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date
from pathlib import Path

from .config import PROJECT_ROOT, settings
from .constants import deadline_day
from .ingest.landing import discover, sha256_of
from .periods import in_window, shift, today, window

REFERENCE = "reference"  # the "period" of reference files and the register
ELSEWHERE = "elsewhere"  # files that belong to no open month
SET_ASIDE = "set aside: "  # the "hash" of what is wrong with a path, not a content
STATE_FILE = "run_state.json"
CODE = ("dbt_project", "orchestration", "expectations")
CODE_SUFFIXES = {".py", ".sql", ".yml", ".yaml", ".csv", ".json"}
BUILD_OUTPUTS = {"target", "logs", "dbt_packages", "__pycache__"}


def scan(previous: dict[str, list]) -> dict[str, list]:
    """path -> [size, mtime_ns, sha256, scope], re-hashing only files whose stat changed."""
    raw_dir = settings().raw_dir
    candidates, problems = discover(raw_dir)
    accepted = window()
    out = {}
    for cand in candidates:
        stat = cand.path.stat()
        if cand.period is None:
            scope = REFERENCE
        elif in_window(cand.period, accepted):
            scope = cand.period
        else:
            scope = ELSEWHERE
        known = previous.get(cand.rel)
        if known and known[:2] == [stat.st_size, stat.st_mtime_ns] and known[3] == scope:
            out[cand.rel] = known
        else:
            out[cand.rel] = [stat.st_size, stat.st_mtime_ns, sha256_of(cand.path), scope]
    for problem, _ in problems:  # links, hidden files, empty folders: never opened
        out[problem.file] = [0, 0, f"{SET_ASIDE}{problem.reason}", ELSEWHERE]
    return out


def named_by_contract(files: dict[str, list]) -> bool:
    """Whether a scan found any file the submission contract names."""
    return any(not entry[2].startswith(SET_ASIDE) for entry in files.values())


def changed_files(previous: dict[str, list], current: dict[str, list]) -> list[str]:
    """The files whose content or scope is new or changed (or that are gone)."""
    changed = {p for p, v in current.items() if p not in previous or previous[p][2:] != v[2:]}
    return sorted(changed | (previous.keys() - current.keys()))


def code_version() -> str:
    """A hash of everything that decides what a build computes (build outputs such as
    dbt's ``target/`` are not walked at all)."""
    h = hashlib.sha256()
    for top in CODE:
        for folder, dirs, names in os.walk(PROJECT_ROOT / top):
            dirs[:] = sorted(d for d in dirs if d not in BUILD_OUTPUTS)
            for name in sorted(names):
                path = Path(folder) / name
                if path.suffix in CODE_SUFFIXES:
                    h.update(str(path.relative_to(PROJECT_ROOT)).encode())
                    h.update(path.read_bytes())
    return h.hexdigest()[:16]


def last_period_past_deadline(on: date | None = None) -> str:
    """The last month whose forms were due before ``on`` (R11 names who never sent them)."""
    on = on or today()
    last_month = shift(f"{on.year:04d}-{on.month:02d}", -1)
    return last_month if on.day > deadline_day() else shift(last_month, -1)


def calendar() -> dict[str, object]:
    return {
        "window": list(window()),
        "deadline_day": deadline_day(),
        "past_deadline": last_period_past_deadline(),
    }


def load_state() -> dict | None:
    path = settings().data_dir / STATE_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def save_state(files: dict[str, list], started_at: str) -> None:
    """Record a successful run (written whole, then renamed, so never half a file)."""
    path = settings().data_dir / STATE_FILE
    state = {
        "files": files,
        "code": code_version(),
        "calendar": calendar(),
        "started_at": started_at,
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def forget_state() -> None:
    """Called whenever the build warehouse is opened for writing: a run that is killed, or one
    started from Dagster rather than the command line, leaves no state to trust."""
    (settings().data_dir / STATE_FILE).unlink(missing_ok=True)


def first_month_changed(state: dict | None, files: dict[str, list]) -> str | None:
    """The earliest month a run must rebuild from, given what changed since the last
    successful run (the monthly models replace every period from it on), or None when
    everything must be rebuilt: no trusted state or build, changed code, changed reference
    files or register, another first month kept or another deadline day. A month whose files
    changed (or appeared, or went) counts; so does a month whose deadline passed since."""
    s = settings()
    if (
        state is None
        or not s.build_path.exists()
        or state.get("code") != code_version()
        or not isinstance(state.get("calendar"), dict)
    ):
        return None
    before, now = state["calendar"], calendar()
    # the window's end moves every month (its files' scopes say what that changes); a new
    # first month kept, or another deadline day, changes every month
    first_kept = (before.get("window") or [None])[0]
    if first_kept != now["window"][0] or before.get("deadline_day") != now["deadline_day"]:
        return None
    previous = state.get("files", {})
    months = set()
    for path in changed_files(previous, files):
        scopes = {v[3] for v in (previous.get(path), files.get(path)) if v}
        if REFERENCE in scopes:
            return None
        months |= scopes - {ELSEWHERE}
    if before.get("past_deadline") != now["past_deadline"]:
        passed = before.get("past_deadline")
        months.add(shift(passed, 1) if isinstance(passed, str) else now["past_deadline"])
    return min(months) if months else None


def nothing_changed(state: dict | None, files: dict[str, list]) -> bool:
    """Whether a run now would compute exactly what the last successful run did."""
    s = settings()
    return (
        state is not None
        and s.warehouse_path.exists()
        and s.build_path.exists()
        and not changed_files(state.get("files", {}), files)
        and state.get("code") == code_version()
        and state.get("calendar") == calendar()
    )
