"""The executor of every Dagster run: in-process, holding the data folder's run lock.

In-process (one DuckDB writer at a time, and no 12-18 s per-step start-up), and wrapped in
``runlock.hold`` for the whole execution plan, so that a run launched from the UI, the
sensor or the schedule never interleaves with another run or with ``zhaoshang run`` on the
same ``$ZS_DATA_DIR``: land, build, check and publish happen under one lock. The CLI takes
the lock first; its run then finds it held by its own process.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import dagster as dg

from .. import progress, runlock
from ..config import settings
from ..history import record_run
from ..publish import record_failed_run


class _OneRunAtATime(dg.Executor):
    def __init__(self, inner: dg.Executor) -> None:
        self._inner = inner

    @property
    def retries(self):
        return self._inner.retries

    def execute(self, plan_context, execution_plan) -> Iterator[dg.DagsterEvent]:
        failures: list[dg.DagsterEvent] = []
        started = time.perf_counter()
        with runlock.hold(
            settings().data_dir,
            run_id=plan_context.run_id,
            command=f"Dagster run of {plan_context.job_name}",
            say=plan_context.log.warning,
        ):
            # a line per stage in the run's log (progress.py), as `zhaoshang run` shows them
            display = progress.Display(progress.LogLines(plan_context.log.info), live=False)
            with progress.showing(display):
                for event in self._inner.execute(plan_context, execution_plan):
                    if event.is_step_failure:
                        failures.append(event)
                    yield event
        if failures:  # the run ends `failed`: recorded beside the published file, untouched
            record_failure(plan_context.run_id, failures)
        record_run(
            settings().data_dir,
            plan_context.run_id,
            time.perf_counter() - started,
            "failed" if failures else "succeeded",
            f"Dagster run of {plan_context.job_name}",
        )


def describe_failure(failures: list[dg.DagsterEvent]) -> tuple[str, str]:
    """The failed steps of a run, and the first one's error on one line."""
    steps = ", ".join(dict.fromkeys(e.step_key or "?" for e in failures)) or "?"
    first = failures[0] if failures else None
    error = getattr(first.event_specific_data, "error", None) if first else None
    while error is not None and error.cause is not None:  # Dagster's wrapper: say the cause
        error = error.cause
    message = (error.message if error is not None else first.message if first else "") or ""
    return steps, " ".join(message.split())[:300]


def record_failure(run_id: str, failures: list[dg.DagsterEvent]) -> None:
    """A run's failed steps, recorded as the run's outcome (``publish.record_failed_run``)."""
    record_failed_run(settings().data_dir, run_id, *describe_failure(failures))


@dg.executor(
    name="in_process_one_run_at_a_time",
    config_schema=dg.in_process_executor.config_schema.as_field(),
)
def one_run_at_a_time(init_context: dg.InitExecutorContext) -> dg.Executor:
    return _OneRunAtATime(dg.in_process_executor.executor_creation_fn(init_context))
