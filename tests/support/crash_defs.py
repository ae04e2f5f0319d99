"""A code location for the crash tests: one resource of N ids, loaded in many small jobs, that a
test can stop at a chosen point of dlt's run.

Environment (set by tests/durability/test_crash_safety.py):
- ``CRASH_TARGET``: the DuckDB file, or the folder of the filesystem destination;
- ``CRASH_DESTINATION``: ``duckdb`` or ``filesystem``;
- ``CRASH_DISPOSITION``: ``incremental`` for one incremental table; otherwise three tables, one
  per write disposition (append, merge, replace);
- ``CRASH_IDS``: how many ids each resource yields (0..N-1);
- ``CRASH_SOURCE_DELAY``: seconds the source sleeps per batch of 1,000 rows
  (benchmarks/crash_resume.py);
- ``CRASH_AT``: where to stop: ``extract:<rows>`` (inside the source, after that many rows),
  ``normalize`` (extract done), ``load:<jobs>`` (after that many completed load jobs),
  ``write:<k>`` (the filesystem destination has written half of its k-th data file);
- ``CRASH_MARKER``: a file written when that point is reached. The process then stops itself with
  SIGSTOP, and the test SIGKILLs its whole process group: a kill at a deterministic point, through
  dlt's public collector interface, with nothing in dagster-dlt that knows about tests.
"""

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
from dagster import AssetExecutionContext, Definitions, StaticPartitionsDefinition
from dlt.common.runtime.collector import Collector

from dagster_dlt import DagsterDltResource, dlt_assets

PARTITIONS = StaticPartitionsDefinition(["a", "b", "c"])


def _stop_here(what: str) -> None:
    marker = os.environ.get("CRASH_MARKER")
    if marker:
        Path(marker).write_text(what)
    os.kill(os.getpid(), signal.SIGSTOP)


class StopAt(Collector):
    """Stops the process when dlt reaches ``CRASH_AT``: normalize starting, or the k-th job."""

    def __init__(self) -> None:
        self.step = ""
        self.jobs = 0
        at = os.environ.get("CRASH_AT", "")
        self.kind, _, count = at.partition(":")
        self.count = int(count or 0)

    def update(self, name, inc=1, total=None, inc_total=None, message=None, label=None) -> None:
        if self.kind == "load" and self.step.startswith("Load") and name == "Jobs" and not label:
            self.jobs += inc
            if inc and self.jobs >= self.count:
                _stop_here(f"after {self.jobs} load jobs")

    def _start(self, step: str) -> None:
        self.step = step
        if self.kind == "normalize" and step.startswith("Normalize"):
            _stop_here("after extract")

    def _stop(self) -> None:
        pass


def _stop_mid_write(k: int) -> None:
    """Make the filesystem destination stop halfway through copying its k-th data file into the
    dataset folder: the instant at which a kill leaves a truncated ``.jsonl.gz`` there.

    dlt copies a local job file with fsspec's ``LocalFileSystem.put_file``; this copies the first
    half of the bytes, flushes them, and stops the process, which the test then kills.
    """
    from fsspec.implementations.local import LocalFileSystem

    put_file = LocalFileSystem.put_file
    written = [0]

    def put_half_then_stop(self: Any, lpath: str, rpath: str, *args: Any, **kwargs: Any) -> Any:
        if "_dlt" not in str(rpath) and not str(rpath).endswith(".json"):
            written[0] += 1
            if written[0] == k:
                data = Path(lpath).read_bytes()
                with open(rpath, "wb") as target:
                    target.write(data[: len(data) // 2])
                    target.flush()
                    os.fsync(target.fileno())
                _stop_here(f"half of {rpath} written")
        return put_file(self, lpath, rpath, *args, **kwargs)

    LocalFileSystem.put_file = put_half_then_stop  # type: ignore[method-assign]


if os.environ.get("CRASH_AT", "").startswith("write:"):
    _stop_mid_write(int(os.environ["CRASH_AT"].partition(":")[2]))


def _ids() -> Iterator[list[dict[str, Any]]]:
    n = int(os.environ.get("CRASH_IDS", "20000"))
    stop_after = None
    kind, _, count = os.environ.get("CRASH_AT", "").partition(":")
    if kind == "extract":
        stop_after = int(count)
    for start in range(0, n, 1000):
        if stop_after is not None and start >= stop_after:
            _stop_here(f"mid-extract after {start} rows")
        time.sleep(float(os.environ.get("CRASH_SOURCE_DELAY", "0")))  # a slow API
        yield [
            {"id": str(i), "n": i, "payload": "x" * 20} for i in range(start, min(n, start + 1000))
        ]


@dlt.source(name="crash")
def crash_source(partition: str = ""):
    """N ids into each of three tables, one per write disposition; or, with
    ``CRASH_DISPOSITION=incremental``, one incremental table."""
    if os.environ.get("CRASH_DISPOSITION") == "incremental":

        @dlt.resource(name="ids", primary_key="id", write_disposition="append")
        def ids(n=dlt.sources.incremental("n", initial_value=-1)) -> Iterator[list[dict[str, Any]]]:
            for batch in _ids():
                yield [row for row in batch if row["n"] > n.start_value]

        return ids

    def table(disposition: str) -> Any:
        @dlt.resource(
            name=f"{disposition}_ids",
            primary_key="id" if disposition == "merge" else None,
            write_disposition=disposition,
        )
        def ids() -> Iterator[list[dict[str, Any]]]:
            for batch in _ids():
                yield [{**row, "id": f"{partition}{row['id']}"} for row in batch]

        return ids

    return [table(disposition) for disposition in ("append", "merge", "replace")]


def _destination() -> Any:
    target = os.environ["CRASH_TARGET"]
    if os.environ.get("CRASH_DESTINATION", "duckdb") == "filesystem":
        return dlt.destinations.filesystem(target)
    return dlt.destinations.duckdb(target)


pipeline = dlt.pipeline(
    pipeline_name="crash",
    destination=_destination(),
    dataset_name="crash_data",
    progress=StopAt(),
)


@dlt_assets(dlt_source=crash_source(), dlt_pipeline=pipeline, name="crash_assets")
def crash_assets(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from dlt.run(context=context)


@dlt_assets(
    dlt_source=crash_source(),
    dlt_pipeline=pipeline,
    name="crash_partitioned",
    partitions_def=PARTITIONS,
)
def crash_partitioned(context: AssetExecutionContext, dlt: DagsterDltResource):
    yield from dlt.run(context=context, dlt_source=crash_source(partition=context.partition_key))


defs = Definitions(assets=[crash_assets], resources={"dlt": DagsterDltResource()})
partitioned_defs = Definitions(assets=[crash_partitioned], resources={"dlt": DagsterDltResource()})
