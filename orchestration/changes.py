"""What changed since the last run (the raw files by content, the code, the calendar), and
what a run must therefore rebuild: ``plan_run``, the one planner of the command line, the
sensor and the schedule.

Imports no Dagster, so that ``zhaoshang run`` can decide in well under a second that there
is nothing to do. A state is three things, compared with the state of the last successful
run (the command line keeps it in ``$ZS_DATA_DIR/run_state.json``; the sensor in its
cursor):

- ``files``: every raw file's size, modification time, sha256 and scope (its month,
  ``reference`` or ``elsewhere``); size and time only decide which files to hash again,
  so a file touched or re-saved with the same bytes is no change;
- ``code``: a hash of the dbt project, the orchestration and the GX glue;
- ``calendar``: the accepted window of months and the last month whose submission
  deadline has passed (R11 and the submission status change when a deadline passes).

The same three rebuild nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
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


def current_state(files: dict[str, list]) -> dict:
    """The state now: the files as scanned, the code, the calendar."""
    return {"files": files, "code": code_version(), "calendar": calendar()}


def save_state(state: dict, started_at: str) -> None:
    """Record a successful run's state (written whole, then renamed, so never half a file)."""
    path = settings().data_dir / STATE_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({**state, "started_at": started_at}, ensure_ascii=False), "utf-8")
    tmp.replace(path)


def forget_state() -> None:
    """Called whenever the build warehouse is opened for writing: a run that is killed, or one
    started from Dagster rather than the command line, leaves no state to trust."""
    (settings().data_dir / STATE_FILE).unlink(missing_ok=True)


@dataclass(frozen=True)
class RunPlan:
    """What a run rebuilds, and why.

    ``kind``: ``nothing``; ``months`` (the partitions ``months``, first to last, and what
    their files feed: the monthly models replace every period from the first on);
    ``unpartitioned`` (no month: reference data, the register, files set aside); or
    ``everything`` (every asset over ``months``, the incremental models made again from
    scratch; ``months`` is None when no month has files yet)."""

    kind: str
    months: tuple[str, str] | None
    reason: str
    # months, and files that belong to no open month changed too: the unpartitioned assets
    # run as well (the reference landing sets those files aside, with the reason)
    with_unpartitioned: bool = False

    @property
    def full_refresh(self) -> bool:
        return self.kind == "everything"

    @property
    def periods(self) -> str:
        """The months, as the run's tag shows them: ``2023-06`` or ``2023-06..2023-12``."""
        if self.months is None:
            return "none"
        first, last = self.months
        return first if first == last else f"{first}..{last}"


def plan_run(before: dict | None, now: dict, *, full_refresh: bool = False) -> RunPlan:
    """The run that brings the warehouse from state ``before`` (the last successful run's,
    or None when there is none to trust) to state ``now`` (``current_state``).

    A month whose files changed (appeared, went) counts, and so does a month whose deadline
    passed since; the run goes from the earliest such month to the latest of them and of the
    months with files.
    Reference data or the register, other code, another first month kept or another deadline
    day change every month: everything, from scratch. Files that belong to no open month
    alone: the unpartitioned assets, which set them aside."""
    present = sorted({v[3] for v in now["files"].values()} - {REFERENCE, ELSEWHERE})
    span = (present[0], present[-1]) if present else None
    why = "asked for a full refresh" if full_refresh else _why_everything(before, now)
    if why:
        return RunPlan("everything", span, why)
    previous, months, elsewhere = before["files"], set(), False
    for path in changed_files(previous, now["files"]):
        scopes = {v[3] for v in (previous.get(path), now["files"].get(path)) if v}
        if REFERENCE in scopes:
            return RunPlan("everything", span, f"reference data or the register changed: {path}")
        months |= scopes - {ELSEWHERE}
        elsewhere = elsewhere or ELSEWHERE in scopes
    reasons = [f"files of {', '.join(sorted(months))} changed"] if months else []
    passed, past_deadline = (
        before["calendar"].get("past_deadline"),
        now["calendar"]["past_deadline"],
    )
    if passed != past_deadline:
        month = shift(passed, 1) if isinstance(passed, str) else past_deadline
        months.add(month)
        reasons.append(f"the submission deadline of {month} passed")
    if months:
        first = min(months)
        if elsewhere:
            reasons.append("files that belong to no open month changed")
        span = (first, max([*months, *present]))
        return RunPlan("months", span, "; ".join(reasons), with_unpartitioned=elsewhere)
    if elsewhere:
        return RunPlan("unpartitioned", None, "files that belong to no open month changed")
    return RunPlan("nothing", None, "no raw file, no code, no deadline changed")


def _why_everything(before: dict | None, now: dict) -> str | None:
    if before is None:
        return "no earlier run to compare with"
    if before.get("code") != now["code"]:
        return "the code changed"
    calendar_before = before.get("calendar")
    if not isinstance(calendar_before, dict) or "files" not in before:
        return "the earlier run recorded no calendar"
    # the window's end moves every month (its files' scopes say what that changes); a new
    # first month kept, or another deadline day, changes every month
    if (calendar_before.get("window") or [None])[0] != now["calendar"]["window"][0]:
        return "the first month kept changed"
    if calendar_before.get("deadline_day") != now["calendar"]["deadline_day"]:
        return "the submission deadline day changed"
    return None


def trusted(state: dict | None) -> dict | None:
    """A state saved by the command line, when that run's build and published file are still
    there (else there is nothing to build on)."""
    s = settings()
    return state if s.build_path.exists() and s.warehouse_path.exists() else None
