"""Shared fixtures: copies of the sample and warehouses built from them by the real pipeline."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from hypothesis import settings

# `make test-fast` runs with --hypothesis-profile=fast: the same properties, fewer examples
settings.register_profile("fast", max_examples=15)

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "raw"

# Every test starts from a clean ZS_* environment: settings exported in the developer's shell
# (a real robot's URL, a data folder) never reach a test. A test that needs one sets it.
OUTSIDE_ZS_ENV = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("ZS_")}

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


@dataclass
class Built:
    raw: Path
    data: Path
    exit_code: int

    @property
    def published(self) -> Path:
        return self.data / "warehouse.duckdb"

    @property
    def build(self) -> Path:
        return self.data / "build" / "warehouse.duckdb"

    def query(self, sql: str, params: list | None = None, build: bool = False) -> list[tuple]:
        with duckdb.connect(str(self.build if build else self.published), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def failures(self, rule_id: str) -> list[dict]:
        with duckdb.connect(str(self.published), read_only=True) as con:
            cur = con.execute(
                "select * from audit.reconciliation_results where rule_id = ? and status = 'fail'",
                [rule_id],
            )
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


@contextmanager
def pointing_at(raw: Path, data: Path, dagster_home: Path | None = None) -> Iterator[None]:
    """ZS_RAW_DIR and ZS_DATA_DIR set to these folders for a while, and DAGSTER_HOME to the
    given one (else unset: an ephemeral Dagster instance)."""
    env = {"ZS_RAW_DIR": str(raw), "ZS_DATA_DIR": str(data)}
    saved = {k: os.environ.get(k) for k in [*env, "DAGSTER_HOME"]}
    os.environ.update(env)
    os.environ.pop("DAGSTER_HOME", None)
    if dagster_home is not None:
        dagster_home.mkdir(parents=True, exist_ok=True)
        os.environ["DAGSTER_HOME"] = str(dagster_home)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_warehouse(raw: Path, data: Path, dagster_home: Path | None = None) -> Built:
    """The whole pipeline (the Dagster job, in-process, every month), on the given folders."""
    from orchestration.cli import run_pipeline

    with pointing_at(raw, data, dagster_home):
        code = run_pipeline()
    return Built(raw, data, code)


def copy_build(built: Built, dest: Path) -> tuple[Path, Path]:
    """Private copies of a build's raw and data folders, for a test to run again on."""
    raw, data = dest / "raw", dest / "data"
    shutil.copytree(built.raw, raw)
    shutil.copytree(built.data, data)
    return raw, data


def text_written_under(*folders: Path) -> list[str]:
    """Everything written under the folders, as text to search: every text value of every
    DuckDB file's tables (strings may be compressed on disk) and every other file's bytes."""
    out: list[str] = []
    for path in (p for folder in folders for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".wal":
            continue
        if path.suffix != ".duckdb":
            out.append(path.read_bytes().decode("utf-8", "replace"))
            continue
        with duckdb.connect(str(path), read_only=True) as con:
            for schema, table, column in con.execute(
                "select table_schema, table_name, column_name from information_schema.columns "
                "where data_type = 'VARCHAR'"
            ).fetchall():
                query = f'select "{column}" from "{schema}"."{table}"'  # noqa: S608 (catalog names)
                out += [v for (v,) in con.execute(query).fetchall() if v]
    return out


STAMPS = frozenset({"built_at", "loaded_at"})  # when a row was built or its file landed
LINEAGE = frozenset({"submission_id"})  # which file version a row came from
# what was sent and when: every re-sent file is recorded (revision counts too), by design
HISTORY = frozenset({"mart_submission_changes", "mart_submission_status"})


def marts_fingerprint(
    path: Path,
    skip_columns: frozenset[str] = frozenset(),
    skip_tables: frozenset[str] = frozenset(),
) -> dict[str, str]:
    """A hash of each mart's rows in a stable order, leaving out the run's time stamps and the
    columns and tables given."""
    skip_columns = skip_columns | STAMPS
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        ]
        out = {}
        for t in sorted(set(tables) - skip_tables):
            columns = [r[0] for r in con.execute(f"describe marts.{t}").fetchall()]
            keep = ", ".join(c for c in columns if c not in skip_columns)
            rows = con.execute(f"select {keep} from marts.{t} order by all").fetchall()  # noqa: S608
            out[t] = hashlib.sha256(repr(rows).encode()).hexdigest()
        return out


# Packages fetched once for tests (another DuckDB, Superset's virtualenv), kept outside the
# clone so that a fresh clone on the same machine (CI's) reuses them: ZS_TEST_CACHE, else
# the user's cache folder. Not in git.
CACHE = Path(
    OUTSIDE_ZS_ENV.get("ZS_TEST_CACHE")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "zhaoshang-tests"
)
OFFLINE = "OFFLINE"  # the start of a skip reason for want of the network


def cannot_install(what: str) -> None:
    """A test that cannot install what it needs: skipped, loudly, on a developer's machine
    offline; failed in CI (``CI=true``), where the package index is reachable, so that a
    lost guarantee never passes as a skip."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"cannot install {what} (CI=true: a test that cannot run fails)")
    pytest.skip(f"{OFFLINE}: cannot install {what}")


def old_duckdb(version: str) -> Path:
    """Another DuckDB version, installed once into .cache/ (a BI driver's, for reading the
    published file); later runs need no network. Skips, loudly, when it cannot be fetched."""
    import subprocess
    import sys

    target = CACHE / f"duckdb-{version}"
    if not (target / "duckdb").exists():
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        pip = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--target",
                str(partial),
                f"duckdb=={version}",
            ],
            capture_output=True,
            text=True,
        )
        if pip.returncode != 0:
            cannot_install(f"duckdb {version}: {pip.stderr.strip()[-200:]}")
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)
    return target


def pipeline_runs(root: Path) -> list[dict]:
    """Every pipeline run made under ``root`` (the data folders' run histories; a copied
    data folder carries its original's runs, counted once)."""
    from orchestration import jsonlines
    from orchestration.history import HISTORY

    seen: dict[str, dict] = {}
    for path in root.rglob(HISTORY):
        for run in jsonlines.read(path):
            seen.setdefault(run["run_id"], run)
    return list(seen.values())


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """How many pipeline runs the suite made and what they cost, so that growth shows; and
    tests skipped for want of the network, said in capitals at the end, not buried."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        runs = pipeline_runs(config._tmp_path_factory.getbasetemp())
        seconds = sum(r["seconds"] for r in runs)
        terminalreporter.write_sep(
            "-",
            f"pipeline runs: {len(runs)}, {seconds:.0f} s in total"
            + (f" ({seconds / len(runs):.1f} s each on average)" if runs else ""),
        )
    offline = [
        r
        for r in terminalreporter.stats.get("skipped", [])
        if OFFLINE in str(getattr(r, "longrepr", ""))
    ]
    if offline:
        terminalreporter.write_sep(
            "!",
            f"{len(offline)} TEST(S) SKIPPED OFFLINE: their packages could not be fetched",
            red=True,
        )
        for r in offline:
            terminalreporter.write_line(f"  SKIPPED OFFLINE {r.nodeid}", red=True)


def copy_sample(dest: Path) -> Path:
    shutil.copytree(SAMPLE, dest)
    return dest


@pytest.fixture(autouse=True)
def _no_zs_environment_from_outside() -> Iterator[None]:
    """ZS_* variables a test sets do not leak into the next test either."""
    before = {k: v for k, v in os.environ.items() if k.startswith("ZS_")}
    yield
    for k in [k for k in os.environ if k.startswith("ZS_") and k not in before]:
        del os.environ[k]
    os.environ.update(before)


def shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder every worker of this pytest run sees (pytest-xdist gives each worker a
    folder of its own below it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def shared_build(
    tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], Built]
) -> Built:
    """A build made once for the whole test run, by the first worker that asks for it
    (the others wait for it under a file lock, then read it). Tests never change it: a test
    that runs the pipeline again works on a copy (``copy_build``)."""
    root = shared_root(tmp_path_factory)
    folder = root / f"shared-{name}"
    with (root / f"shared-{name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            done = folder / "built.json"
            if done.exists():
                saved = json.loads(done.read_text(encoding="utf-8"))
                return Built(Path(saved["raw"]), Path(saved["data"]), saved["exit_code"])
            shutil.rmtree(folder, ignore_errors=True)  # a half-made one: made again
            folder.mkdir(parents=True)
            built = make(folder)
            done.write_text(
                json.dumps(
                    {"raw": str(built.raw), "data": str(built.data), "exit_code": built.exit_code}
                ),
                encoding="utf-8",
            )
            return built
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def clean_build(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The sample, untouched, built once for the whole test run."""
    return shared_build(
        tmp_path_factory,
        "clean",
        lambda root: run_warehouse(copy_sample(root / "raw"), root / "data"),
    )


# DuckDB 2.0's nanobind bindings print a "leaked functions" report at interpreter teardown
# when other libraries (GX, SQLAlchemy, Arrow) still hold DuckDB objects. It is noise that
# would follow pytest's summary line; end the process once pytest is done with it.
_EXIT_STATUS: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _EXIT_STATUS.append(int(exitstatus))


def pytest_unconfigure(config: pytest.Config) -> None:
    if _EXIT_STATUS and not os.environ.get("ZS_KEEP_TEARDOWN"):
        import sys
        from multiprocessing import util

        from orchestration import dbt_runner

        sys.stdout.flush()
        sys.stderr.flush()
        dbt_runner.stop()  # the warm dbt process of this worker, told to end
        util._exit_function()  # release dbt's semaphores as a normal exit would
        os._exit(_EXIT_STATUS[-1])


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-snapshots",
        action="store_true",
        help="write tests/snapshots/asset_graph.txt (only with tests/test_asset_graph.py)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--update-snapshots") and [
        a for a in config.args if "test_asset_graph.py" not in a
    ]:
        raise pytest.UsageError("--update-snapshots is for tests/test_asset_graph.py alone")
