"""The dbt project from Python: where it is, keeping its manifest in step with its files,
and the arguments of a build. Plain functions (no Dagster), so that the clerks' check, the
rule catalogue and the tests use them cheaply; ``assets/dbt.py`` wraps them for Dagster.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .config import DBT_PROJECT_DIR
from .constants import deadline_day
from .periods import is_period, today
from .seeds import form_a_metrics

TARGET_DIR = DBT_PROJECT_DIR / "target"
MANIFEST = TARGET_DIR / "manifest.json"

_SOURCES = (
    "models",
    "macros",
    "materializations",
    "seeds",
    "tests",
    "dbt_project.yml",
    "profiles.yml",
)


def dbt_executable() -> str:
    """The dbt installed beside this Python (the venv's), whether or not it is on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else shutil.which("dbt") or "dbt"


def _newest_source_mtime(root: Path) -> float:
    newest = 0.0
    for name in _SOURCES:
        path = root / name
        files = [path] if path.is_file() else path.rglob("*") if path.exists() else []
        for f in files:
            if f.is_file():
                newest = max(newest, f.stat().st_mtime)
    return newest


@contextmanager
def _target_lock() -> Iterator[None]:
    """The project's ``target/`` written by one process at a time (several processes load
    the code location at once: the UI and a run, or the test suite's workers)."""
    TARGET_DIR.mkdir(parents=True, exist_ok=True)
    with (TARGET_DIR / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _stale() -> bool:
    return not MANIFEST.exists() or MANIFEST.stat().st_mtime < _newest_source_mtime(DBT_PROJECT_DIR)


def ensure_manifest(force: bool = False) -> Path:
    """Run ``dbt parse`` when the manifest is missing or older than any dbt project file."""
    if not (force or _stale()):
        return MANIFEST
    with _target_lock():
        if force or _stale():  # another process may have parsed it while this one waited
            _parse()
    return MANIFEST


def _parse() -> None:
    """``dbt parse`` into the project's ``target/`` (the caller holds the lock)."""
    result = subprocess.run(
        [
            dbt_executable(),
            "--quiet",
            "parse",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(TARGET_DIR),
            "--vars",
            json.dumps(dbt_vars()),
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{result.stdout[-3000:]}{result.stderr[-2000:]}")


DOCS_CACHE = TARGET_DIR / "docs"


def dbt_docs_page(data_dir: Path) -> Path:
    """dbt docs as one self-contained page (``dbt docs generate --static``): the manifest
    and the catalog of the build warehouse in ``data_dir``. The page describes the code, so
    it is generated once per code version (about 2 s) and kept in ``target/docs/``."""
    from .changes import code_version

    page = DOCS_CACHE / f"{code_version()}.html"
    if page.exists():
        return page
    work = TARGET_DIR / f"docs-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    # --no-compile reads the manifest from the target path: the parsed one, copied, with
    # dbt's partial-parse state (without it dbt parses the whole project again: 6 s, not 1)
    shutil.copy(ensure_manifest(), work / "manifest.json")
    if (TARGET_DIR / "partial_parse.msgpack").exists():
        shutil.copy(TARGET_DIR / "partial_parse.msgpack", work / "partial_parse.msgpack")
    result = subprocess.run(
        [
            dbt_executable(),
            "--quiet",
            "docs",
            "generate",
            "--static",
            "--no-compile",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(work),
            "--vars",
            json.dumps(dbt_vars()),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "ZS_DATA_DIR": str(data_dir)},
    )
    if result.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        raise RuntimeError(f"dbt docs failed:\n{result.stdout[-3000:]}{result.stderr[-2000:]}")
    with _target_lock():
        for old in DOCS_CACHE.glob("*.html") if DOCS_CACHE.exists() else []:
            if old != page:
                old.unlink(missing_ok=True)
        DOCS_CACHE.mkdir(exist_ok=True)
        os.replace(work / "static_index.html", page)
    shutil.rmtree(work, ignore_errors=True)
    return page


def write_dbt_docs(data_dir: Path) -> Path:
    """``$ZS_DATA_DIR/docs/dbt/index.html``: the data dictionary the report links to,
    replaced whole (a reader never sees half a page)."""
    dest = data_dir / "docs" / "dbt" / "index.html"
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    shutil.copyfile(dbt_docs_page(data_dir), partial)
    os.replace(partial, dest)
    return dest


def manifest() -> dict:
    """dbt's manifest (parsed first if the project's files changed)."""
    return json.loads(ensure_manifest().read_text(encoding="utf-8"))


RULES_DIR = DBT_PROJECT_DIR / "models" / "rules"


def rule_models() -> list[str]:
    """The rule models: every model in ``models/rules/`` (the folder tags them ``rule``). A
    rule is added as a SQL file and its YAML there; nothing else lists it."""
    return sorted(p.stem for p in RULES_DIR.glob("*.sql"))


def dbt_vars() -> dict[str, object]:
    """The vars every build passes: the submission deadline (R11), the rule models (the
    audit's union reads them: macro rule_models) and the metrics seed's form A metrics (the
    column pairs of the landing table, the fact and the chain mart: macro form_a_metrics)."""
    return {
        "deadline_day": deadline_day(),
        "rule_models": rule_models(),
        "form_a_metrics": list(form_a_metrics()),
    }


def dbt_env(*, run_id: str | None = None, months: tuple[str, str] | None = None) -> dict[str, str]:
    """What changes with every build, as environment variables: the Beijing date (R11), the
    run id the audit rows carry, and for the monthly models the window of months they replace.
    Not dbt vars: dbt parses the whole project again whenever its vars change (about 4 s a
    step), while a changed environment variable makes it re-parse only the few models that
    read it while being parsed (R11 and the submission status: today; the audit: the run
    id). The months are read only when models run."""
    out = {"ZS_DBT_TODAY": today().isoformat()}
    if run_id:
        out["ZS_DBT_RUN_ID"] = run_id
    if months:
        first, last = months
        if not (is_period(first) and is_period(last) and first <= last):
            raise ValueError(f"a window of months is two YYYY-MM months in order, not {months!r}")
        out |= {"ZS_DBT_PERIOD_FROM": first, "ZS_DBT_PERIOD_TO": last}
    return out


def dbt_build_args(*, full_refresh: bool = False) -> list[str]:
    """``dbt build`` arguments for one step of a run (selection is added by the caller; its
    environment is ``dbt_env``). Unit tests are the test suite's (``make test-fast``), not
    every run's: they run on fixtures, not on the data, and would cost each run seconds.
    No JSON artifacts (``manifest.json`` twice, ``run_results.json``: 0.7 s a step): Dagster
    reads dbt's structured log, and a failed step's folder keeps that log (``dbt.log``)."""
    args = [
        "build",
        "--no-write-json",
        "--exclude-resource-type",
        "unit_test",
        "--vars",
        json.dumps(dbt_vars()),
    ]
    if full_refresh:
        args.append("--full-refresh")
    return args
