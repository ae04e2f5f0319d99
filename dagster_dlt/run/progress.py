"""dlt's extract, normalize and load progress, in the step's Dagster event log.

dlt reports progress through a ``Collector`` (``dlt.common.runtime.collector``): each step opens it
with its name (``Extract shop``, ``Normalize shop in <load id>``, ``Load shop in <load id>``) and
updates counters: rows per table while extracting and normalizing, resources, files and jobs with
their totals. ``DagsterProgressCollector`` turns them into ``context.log`` lines, as dlt's
``LogCollector`` does for a console (dlt's Airflow helper, ``PipelineTasksGroup``, gives a task's
pipeline a ``LogCollector`` on dlt's logger when it has no collector; this is the Dagster
counterpart):

.. code-block:: text

    dlt Extract shop: 120,000 rows (orders 80,000, customers 40,000), resources 1/2, 24,000 rows/s after 5.0 s
    dlt Extract shop finished: 150,000 rows (orders 100,000, customers 50,000), resources 2/2, 23,800 rows/s in 6.3 s
    dlt Load shop in 1717171717.123 finished: jobs 6/6, 2.1 jobs/s in 2.9 s

A step logs at most one line per interval while it runs, and one line when it ends (so a short step
logs exactly one). dlt's own state extraction (only ``_dlt_*`` tables) logs nothing.

``collector_for_run`` picks the collector a run uses from the one the pipeline was created with.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Optional, Union

from dlt.common.runtime.collector import Collector, LogCollector, NullCollector

__all__ = ["DEFAULT_PROGRESS_INTERVAL", "DagsterProgressCollector", "collector_for_run"]

DEFAULT_PROGRESS_INTERVAL = 5.0
"""Seconds between two progress lines of one step."""

# Counters that count units of work; every other counter counts the rows of a table.
_UNITS = {"Resources": "resources", "Files": "files", "Jobs": "jobs"}
_TABLES_SHOWN = 5  # wide sources have hundreds of tables; the line names the largest
_LogLike = Any  # a logging.Logger, a LoggerAdapter, or Dagster's context.log


@dataclass
class _Counter:
    name: str
    label: Optional[str]
    count: int = 0
    total: Optional[int] = None


class DagsterProgressCollector(Collector):
    """A dlt progress collector that writes to a Dagster log, at most once per interval per step.

    Args:
        log: where to write, usually ``context.log`` (or a ``RedactingLogger`` around it).
        interval: seconds between two progress lines of a running step.
        clock: a monotonic clock in seconds; tests pass a fake one.

    Example:
        .. code-block:: python

            @asset
            def events(context: AssetExecutionContext) -> None:
                pipeline = dlt.pipeline(
                    pipeline_name="events",
                    destination="duckdb",
                    progress=DagsterProgressCollector(context.log, interval=10),
                )
                pipeline.run(events_source())
    """

    def __init__(
        self,
        log: _LogLike,
        interval: float = DEFAULT_PROGRESS_INTERVAL,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if interval <= 0:
            raise ValueError(f"interval must be a positive number of seconds, got {interval!r}")
        self.log = log
        self.interval = float(interval)
        self.step = None  # type: ignore[assignment] - dlt sets it through __call__
        self._clock = clock
        self._lock = threading.Lock()  # dlt updates from its worker threads in some steps
        self._counters: dict[str, _Counter] = {}
        self._started = 0.0
        self._last_line = 0.0

    def update(
        self,
        name: str,
        inc: int = 1,
        total: Optional[int] = None,
        inc_total: Optional[int] = None,
        message: Optional[str] = None,
        label: Optional[str] = None,
    ) -> None:
        with self._lock:
            key = f"{name}\0{label}" if label else name
            counter = self._counters.get(key)
            if counter is None:
                counter = self._counters[key] = _Counter(name, label, total=total)
            elif total is not None:
                counter.total = total
            if inc_total:
                counter.total = (counter.total or 0) + inc_total
            counter.count += inc
            now = self._clock()
            if now - self._last_line < self.interval:
                return
            self._last_line = now
            line = self._line(now, "running")
        if line:
            self.log.info(line)

    def _start(self, step: str) -> None:
        with self._lock:
            self._counters = {}
            self._started = self._last_line = self._clock()

    def _stop(self) -> None:
        self._finish("finished")

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc_val: Optional[BaseException],
        exc_tb: Optional[TracebackType],
    ) -> None:
        self._finish("finished" if exc_type is None else "failed")

    def __deepcopy__(self, memo: dict[int, Any]) -> "DagsterProgressCollector":
        # dlt deep-copies a pipeline's collector when it copies the pipeline; Dagster's log must
        # not be copied, and the copy starts with no step.
        return DagsterProgressCollector(self.log, self.interval, clock=self._clock)

    def _finish(self, state: str) -> None:
        with self._lock:
            line = self._line(self._clock(), state)
            self._counters = {}
        if line:
            self.log.info(line)

    def _line(self, now: float, state: str) -> Optional[str]:
        """One progress line; None for dlt's own state extraction, which users did not ask for."""
        tables = [c for c in self._counters.values() if c.name not in _UNITS and not c.label]
        if tables and all(c.name.startswith("_dlt") for c in tables):
            return None
        tables = [c for c in tables if not c.name.startswith("_dlt")]
        elapsed = max(now - self._started, 0.0)
        parts = []
        rows = sum(c.count for c in tables)
        if tables or self._counts_rows():
            largest = sorted(tables, key=lambda c: (-c.count, c.name))
            named = ", ".join(f"{c.name} {c.count:,}" for c in largest[:_TABLES_SHOWN])
            more = len(largest) - _TABLES_SHOWN
            named += f", {more} more tables" if more > 0 else ""
            parts.append(
                f"{rows:,} row{'' if rows == 1 else 's'}" + (f" ({named})" if named else "")
            )
        for counter in self._counters.values():
            if counter.name in _UNITS and not counter.label:
                of = f"/{counter.total:,}" if counter.total is not None else ""
                parts.append(f"{_UNITS[counter.name]} {counter.count:,}{of}")
        for counter in self._counters.values():
            if counter.label:
                parts.append(f"{counter.name.lower()} {counter.label.lower()} {counter.count:,}")
        jobs = self._counters.get("Jobs")
        if elapsed > 0 and rows:
            parts.append(f"{rows / elapsed:,.0f} rows/s")
        elif elapsed > 0 and jobs is not None and jobs.count:
            parts.append(f"{jobs.count / elapsed:,.1f} jobs/s")
        body = ", ".join(parts) or "nothing counted yet"
        if state == "running":
            return f"dlt {self.step}: {body} after {elapsed:.1f} s"
        return f"dlt {self.step} {state}: {body} in {elapsed:.1f} s"

    def _counts_rows(self) -> bool:
        # Extract and normalize count rows; show "0 rows" there even when nothing was yielded.
        step = (self.step or "").split(" ", 1)[0]
        return step in ("Extract", "Normalize")


class _BothCollectors(Collector):
    """Feeds the user's own collector and the event-log collector from one dlt pipeline."""

    def __init__(self, first: Collector, second: Collector) -> None:
        self.step = None  # type: ignore[assignment]
        self._collectors = (first, second)

    def update(
        self,
        name: str,
        inc: int = 1,
        total: Optional[int] = None,
        inc_total: Optional[int] = None,
        message: Optional[str] = None,
        label: Optional[str] = None,
    ) -> None:
        for collector in self._collectors:
            collector.update(name, inc, total, inc_total, message, label)

    def __call__(self, step: str) -> "_BothCollectors":
        self.step = step
        for collector in self._collectors:
            collector(step)
        return self

    def _start(self, step: str) -> None:
        for collector in self._collectors:
            collector.__enter__()

    def _stop(self) -> None:
        self.__exit__(None, None, None)

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc_val: Optional[BaseException],
        exc_tb: Optional[TracebackType],
    ) -> None:
        for collector in self._collectors:
            collector.__exit__(exc_type, exc_val, exc_tb)

    def on_start_trace(self, *args: Any) -> None:
        for collector in self._collectors:
            collector.on_start_trace(*args)

    def on_start_trace_step(self, *args: Any) -> None:
        for collector in self._collectors:
            collector.on_start_trace_step(*args)

    def on_end_trace_step(self, *args: Any) -> None:
        for collector in self._collectors:
            collector.on_end_trace_step(*args)

    def on_end_trace(self, *args: Any) -> None:
        for collector in self._collectors:
            collector.on_end_trace(*args)

    def __deepcopy__(self, memo: dict[int, Any]) -> "_BothCollectors":
        from copy import deepcopy

        return _BothCollectors(*(deepcopy(c, memo) for c in self._collectors))


def collector_for_run(
    pipeline_collector: Optional[Collector],
    log: _LogLike,
    interval: float = DEFAULT_PROGRESS_INTERVAL,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> Union[DagsterProgressCollector, Collector]:
    """The collector a run inside Dagster should give dlt, from the pipeline's own collector.

    - No collector (dlt's default ``NullCollector``), or ``progress="log"`` (a ``LogCollector``,
      which prints to stdout or a Python logger): replaced by a ``DagsterProgressCollector``, so
      progress shows once, in the event log, instead of in the compute logs as well.
    - A ``DagsterProgressCollector`` made for another run: a new one for this run's log.
    - Any other collector (``tqdm``, ``enlighten``, ``alive_progress``, your own): kept, and fed
      together with a ``DagsterProgressCollector``; they write to different places.

    The pipeline itself is not changed: give the result to the run's pipeline (copy), and put the
    original collector back after the run.

    Args:
        pipeline_collector: ``pipeline.collector`` of the user's pipeline.
        log: the step's log, ``context.log``.
        interval: seconds between two progress lines of a running step.
        clock: a monotonic clock in seconds; tests pass a fake one.

    Example:
        .. code-block:: python

            run_pipeline.collector = collector_for_run(pipeline.collector, context.log, 5.0)
    """
    ours = DagsterProgressCollector(log, interval, clock=clock)
    if pipeline_collector is None or isinstance(
        pipeline_collector, (NullCollector, LogCollector, DagsterProgressCollector)
    ):
        return ours
    if isinstance(pipeline_collector, _BothCollectors):
        pipeline_collector = pipeline_collector._collectors[0]
    return _BothCollectors(pipeline_collector, ours)
