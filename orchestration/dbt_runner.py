"""dbt, kept warm: one dbt process serves every step of a run (and every later run of the same
process), through dbt's Python API (``dbtRunner``).

dagster-dbt starts a dbt process per step: each paid dbt's start-up (importing dbt, its
adapter, reading the parse: ≈ 2 s) and printed its log through a pipe. Here a spawned
process (``_serve``) imports dbt once, parses the project once per run (``_parsed``: dbt's
partial parse, kept in ``$ZS_DATA_DIR/build/dbt/partial_parse.msgpack``, re-reads only the
files that changed) and runs each step's ``dbt build`` on that parse, without the nodes
whose definition and inputs have not changed since they last built (``dbt_state.py``). It sends back dbt's
result events as the nodes finish: the step turns them into Dagster events and the
progress display counts them (``progress.py``). dbt stays in a process of its own, not in
Dagster's: Dagster's handling of each event (≈ 190 a run) then costs no time of dbt's,
and dbt's state (its event manager, its adapter, DuckDB's open database) stays out of the
steps that follow.

dbt writes its own log to ``$ZS_DATA_DIR/logs/dbt.log`` (rotated at 10 MB, five kept); the
console shows it only with ``zhaoshang run --verbose`` (the file then gets every statement
too: at that level the log costs a run seconds). One request at a time per process, which
the data folder's run lock already makes true for runs.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import childprocess, dbt_state, progress
from .config import DBT_PROJECT_DIR, Settings
from .dbt_setup import dbt_vars

RESULT_EVENTS = frozenset({"LogSeedResult", "LogModelResult", "LogSnapshotResult", "LogTestResult"})
START_SECONDS = 120  # for the dbt process to import dbt and say it is ready
_LOCK = threading.RLock()


@dataclass(frozen=True)
class Unchanged:
    """The step's nodes left as they are: unique id -> data fingerprint (in the order dbt
    would build them), and the nodes of the step each one reads."""

    nodes: dict[str, str]
    waits: dict[str, list[str]]


class DbtFailed(RuntimeError):
    """A dbt invocation that did not succeed: its error lines, and where its log is."""


def log_dir(data_dir: Path) -> Path:
    return data_dir / "logs"


# --- the dbt process ------------------------------------------------------------------------

# in the dbt process: "key" -> what was parsed, "manifest" -> it; "sources" -> (run, digests)
_parsed: dict[str, Any] = {}


def _flags(target: Path, data_dir: Path, verbose: bool) -> list[str]:
    return [
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target),
        "--log-path",
        str(log_dir(data_dir)),
        "--log-level",
        "none",  # the console: the parent shows what it is sent
        "--log-level-file",
        "debug" if verbose else "info",
        "--no-use-colors-file",
        "--no-use-colors",  # the lines it sends: the console's, without colour codes
    ]


class _Events:
    """dbt's events, seen from its threads: errors kept, results and counts sent on."""

    def __init__(self, send, verbose: bool) -> None:
        self.send = send
        self.verbose = verbose
        self.errors: list[str] = []
        self.total_sent = False

    def __call__(self, msg: Any) -> None:
        info = msg.info
        if info.level == "error" and info.msg:
            self.errors.append(info.msg)
        if self.verbose and info.level in ("info", "warn", "error") and info.msg:
            self.send(("line", f"{info.ts.ToDatetime():%H:%M:%S}  {info.msg}"))
        if info.name == "LogStartLine" and not self.total_sent:
            self.total_sent = True
            self.send(("total", msg.data.total))
        if info.name in RESULT_EVENTS:
            from dbt_common.events.functions import msg_to_dict

            self.send(("event", msg_to_dict(msg)))
        elif info.name == "LogNodeNoOpResult":  # an exposure: counted, nothing to report
            self.send(("counted", None))


def _invoke(args: list[str], manifest: Any, events: _Events):
    from dbt.cli.main import dbtRunner

    try:
        return dbtRunner(manifest=manifest, callbacks=[events]).invoke(args)
    finally:
        _release_duckdb()


def _release_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open after an invocation, so that the
    build file is free for the steps after dbt (and its memory is handed back)."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.adapters.factory import reset_adapters

    reset_adapters()
    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


def _failure(what: str, result: Any, events: _Events, data_dir: Path) -> str:
    lines = list(dict.fromkeys(events.errors))[:5]
    if result.exception is not None:
        lines.append(f"{type(result.exception).__name__}: {result.exception}")
    failed = [
        f"{r.node.name}: {r.status}"
        for r in getattr(result.result, "results", None) or []
        if str(r.status) in ("error", "fail")
    ]
    if failed:
        lines.append("failed: " + ", ".join(failed[:10]))
    detail = "\n".join(lines) or "no error was reported"
    return f"{what} failed:\n{detail}\n(dbt's log: {log_dir(data_dir) / 'dbt.log'})"


def _manifest(data_dir: Path, key: str, events: _Events) -> tuple[Any, str | None]:
    """The project parsed for a run (``key``), made once and shared by the run's steps: the
    project's files may change between runs, not within one."""
    wanted = (key, str(data_dir), json.dumps(dbt_vars()))
    if _parsed.get("key") == wanted:
        return _parsed["manifest"], None
    folder = data_dir / "build" / "dbt"
    kept = folder / "partial_parse.msgpack"
    work = folder / f"parse-{uuid.uuid4().hex[:12]}"
    work.mkdir(parents=True)
    try:
        if kept.exists():
            shutil.copy(kept, work / kept.name)
        args = [
            "parse",
            "--no-write-json",
            "--vars",
            json.dumps(dbt_vars()),
            *_flags(work, data_dir, events.verbose),
        ]
        result = _invoke(args, None, events)
        if not result.success:
            return None, _failure("dbt parse", result, events, data_dir)
        if (work / kept.name).exists():
            os.replace(work / kept.name, kept)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _parsed.update(key=wanted, manifest=result.result)
    return result.result, None


def _build(request: dict, send) -> None:
    data_dir = Path(request["data_dir"])
    os.environ.clear()
    os.environ.update(request["environ"])
    events = _Events(send, request["verbose"])
    manifest, failure = _manifest(data_dir, request["key"], events)
    if failure:
        send(("done", failure))
        return
    args = list(request["args"])
    planned = _plan(request, manifest, args, data_dir, send)
    target = data_dir / "build" / "dbt" / f"{request['label']}-{uuid.uuid4().hex[:12]}"
    target.mkdir(parents=True)
    try:
        args += [*planned.exclusion(manifest), *_flags(target, data_dir, events.verbose)]
        result = _invoke(args, manifest, events)
    finally:
        shutil.rmtree(target, ignore_errors=True)
    results = getattr(result.result, "results", None) or []
    dbt_state.record(
        Settings(Path(), data_dir).build_path,
        planned,
        [(r.node.unique_id, str(r.status)) for r in results],
    )
    what = f"dbt build ({request['label']})"
    send(("done", None if result.success else _failure(what, result, events, data_dir)))


def _plan(request: dict, manifest: Any, args: list[str], data_dir: Path, send) -> dbt_state.Plan:
    """The step's nodes whose inputs have not changed (``dbt_state.py``): left out of its
    build, and told to the step (which reports the models as they are)."""
    database = Settings(Path(), data_dir).build_path
    if request.get("monthly") is None:  # a build that is not a run's step: everything
        return dbt_state.Plan()
    if _parsed.get("sources", (None,))[0] != request["key"]:  # a new run: its sources unread
        _parsed["sources"] = (request["key"], {})
    planned = dbt_state.plan(
        manifest,
        database,
        dbt_vars(),
        dict(os.environ),
        request["monthly"],
        everything="--full-refresh" in args,
        sources=_parsed["sources"][1],
    )
    send(("unchanged", (planned.unchanged, planned.waits)))
    return planned


def _serve(conn) -> None:
    """The dbt process: import dbt, then run each request sent, until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the run decides when dbt stops
    # ... and can stop it: a SIGTERM ignored by whoever started the run (a test runner, a
    # service manager) would otherwise be ignored here too, and the run's exit, which
    # terminates and then waits for its daemonic processes, would wait for ever
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    lock = threading.Lock()  # dbt's threads send events

    def send(message: Any) -> None:
        with lock:
            conn.send(message)

    import dbt.cli.main  # noqa: F401  (the import is what a warm process saves)

    send("ready")
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request is None:
            return
        if request.get("prepare"):  # parse now, quietly: a failure is met again by the step
            try:
                os.environ.clear()
                os.environ.update(request["environ"])
                _manifest(Path(request["data_dir"]), request["key"], _Events(lambda _: None, False))
            except Exception:  # the step that needs the parse meets the error and reports it
                pass
            continue
        try:
            _build(request, send)
        except BaseException as exc:  # told to the run, which fails the step
            send(("done", f"dbt failed: {type(exc).__name__}: {exc}"))


# --- the run's side -------------------------------------------------------------------------


class _Process:
    def __init__(self) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child,), daemon=True, name="dbt")
        self.process.start()
        child.close()
        self.ready = False

    def wait_ready(self) -> None:
        """dbt imported in the process (it says so once)."""
        if self.ready:
            return
        if not self.conn.poll(START_SECONDS) or self._recv() != "ready":
            self.stop()
            raise DbtFailed(f"dbt's process did not start (exit {self.process.exitcode})")
        self.ready = True

    def _recv(self) -> Any:
        try:
            return self.conn.recv()
        except (EOFError, OSError):
            return None

    def stop(self, kill: bool = False) -> None:
        childprocess.end(self.process, self.conn, kill)


_process: _Process | None = None
# a request sent and not yet answered to the end: a step that stopped reading (its generator
# dropped without being closed) leaves it set, and the process is then replaced, since its
# answers to that request would be read as the next one's
_in_flight = False


def _warm() -> _Process:
    global _process
    if _in_flight:
        stop()
    if _process is None or not _process.process.is_alive():
        if _process is None:
            atexit.register(stop)  # asked to end, not only terminated, at this one's exit
        _process = _Process()
    return _process


def start(data_dir: Path | None = None, key: str | None = None) -> None:
    """Start dbt's process now, without waiting for it: it imports dbt while this one
    loads the run's definitions and lands the files; given the run (``data_dir``, ``key``),
    it parses the project for it meanwhile too."""
    with _LOCK:
        server = _warm()
        if data_dir is not None and key is not None:
            request = {
                "prepare": True,
                "data_dir": str(data_dir),
                "key": key,
                "environ": dict(os.environ),
            }
            try:
                server.conn.send(request)
            except (OSError, ValueError):  # the step starts another process
                pass


def stop(kill: bool = False) -> None:
    """End dbt's process: asked to, or (``kill``) at once, when nothing it does is wanted
    any more (the command's exit: an idle dbt takes most of a second to wind down)."""
    global _process, _in_flight
    with _LOCK:
        _in_flight = False
        if _process is not None:
            _process.stop(kill)
            _process = None


def _send(request: dict) -> _Process:
    server = _warm()
    server.wait_ready()
    try:
        server.conn.send(request)
    except (OSError, ValueError):  # it has died since: a new one
        stop()
        server = _warm()
        server.wait_ready()
        server.conn.send(request)
    return server


def build(
    args: list[str],
    *,
    data_dir: Path,
    key: str,
    env: dict[str, str],
    label: str,
    monthly: bool | None = None,
) -> Iterator[dict[str, Any]]:
    """dbt with ``args`` (``dbt_setup.dbt_build_args`` and a selection) in dbt's process,
    parsed for the run ``key``: each finished node's result event (as dbt's JSON log has
    it), as it finishes. Given ``monthly`` (which of a run's two steps this is), the step's
    nodes whose inputs have not changed are left out (``dbt_state.py``), told first, as an
    ``Unchanged``. Raises ``DbtFailed`` at the end when dbt did not succeed (a model
    failed, an error-severity test failed, dbt itself failed, its process died)."""
    display = progress.current()
    request = {
        "args": args,
        "data_dir": str(data_dir),
        "key": key,
        "label": label,
        "environ": {**os.environ, **env},
        "verbose": display.verbose,
        "monthly": monthly,
    }
    global _in_flight
    with display.stage(label, unit="nodes") as stage:
        # the lock is held only to send: a generator is not sure to be closed when its
        # reader gives up, and a lock held across its yields could then be held for ever
        with _LOCK:
            server = _send(request)
            _in_flight = True
        finished = False
        heard = False  # anything back from dbt's process for this request
        try:
            while True:
                message = server._recv()
                if message is None and not heard:
                    # the process had died before it took the request (killed while the
                    # run did other work): a new one does it
                    with _LOCK:
                        stop()
                        server = _send(request)
                        _in_flight = True
                    heard = True
                    continue
                heard = True
                if message is None:
                    server.process.join(5)
                    raise DbtFailed(
                        f"dbt's process ended during {label} (exit {server.process.exitcode}); "
                        f"its log: {log_dir(data_dir) / 'dbt.log'}"
                    )
                kind, value = message
                if kind == "event":
                    stage.advance(failed=value["data"].get("status") in ("error", "fail"))
                    yield value
                elif kind == "counted":
                    stage.advance()
                elif kind == "unchanged":
                    if value[0]:
                        stage.note = f"{len(value[0]):,} unchanged"
                    yield Unchanged(*value)
                elif kind == "total":
                    stage.expect(value)
                elif kind == "line":
                    display.line(value)
                elif kind == "done":
                    finished = True
                    _in_flight = False
                    if value:
                        raise DbtFailed(value)
                    return
        finally:
            if not finished:  # interrupted, or the process died: never reuse it
                stop()
